"""``tf.train``: optimizers, checkpoints and the global step."""

from .optimizer import (AdagradOptimizer, AdamOptimizer, GradientDescentOptimizer,  # noqa: F401
                        MomentumOptimizer, Optimizer, RMSPropOptimizer)
from .saver import (CheckpointState, Saver, checkpoint_exists, get_checkpoint_state,  # noqa: F401
                    latest_checkpoint, list_variables, load_variable)
from .step import (create_global_step, exponential_decay, get_global_step,  # noqa: F401
                   get_or_create_global_step, global_step)
from ..graph_util import write_graph  # noqa: F401,E402
