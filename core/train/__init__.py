"""``tf.train``: optimizers, checkpoints and the global step."""

from .moving_averages import ExponentialMovingAverage  # noqa: F401
from .optimizer import (AdadeltaOptimizer, AdagradOptimizer, AdamOptimizer,  # noqa: F401
                        GradientDescentOptimizer, MomentumOptimizer, Optimizer,
                        RMSPropOptimizer)
from .saver import (CheckpointReader, CheckpointState, NewCheckpointReader,  # noqa: F401
                    Saver, SaverDef, checkpoint_exists, export_meta_graph,
                    get_checkpoint_state, import_meta_graph, latest_checkpoint, list_variables,
                    load_checkpoint, load_variable)
from .step import (cosine_decay, create_global_step, exponential_decay,  # noqa: F401
                   get_global_step, get_or_create_global_step, global_step, inverse_time_decay,
                   natural_exp_decay, piecewise_constant, polynomial_decay)
from ..graph_util import write_graph  # noqa: F401,E402
