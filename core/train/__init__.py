"""``tf.train``: optimizers, checkpoints and the global step."""

from .moving_averages import ExponentialMovingAverage  # noqa: F401
from .optimizer import (AdadeltaOptimizer, AdagradOptimizer, AdamOptimizer,  # noqa: F401
                        GradientDescentOptimizer, MomentumOptimizer, Optimizer,
                        RMSPropOptimizer)
from .optimizer_extra import (AdagradDAOptimizer, FtrlOptimizer,  # noqa: F401
                              ProximalAdagradOptimizer, ProximalGradientDescentOptimizer)
from .saver import (CheckpointReader, CheckpointState, NewCheckpointReader,  # noqa: F401
                    Saver, SaverDef, checkpoint_exists, export_meta_graph,
                    get_checkpoint_state, import_meta_graph, latest_checkpoint, list_variables,
                    load_checkpoint, load_variable)
from .step import assert_global_step  # noqa: F401
from .step import (cosine_decay, create_global_step, exponential_decay,  # noqa: F401
                   get_global_step, get_or_create_global_step, global_step, inverse_time_decay,
                   natural_exp_decay, piecewise_constant, polynomial_decay,
                   cosine_decay_restarts, linear_cosine_decay, noisy_linear_cosine_decay,
                   piecewise_constant_decay)
from .basic_session_run_hooks import (CheckpointSaverHook,  # noqa: F401
                                      CheckpointSaverListener, FeedFnHook, FinalOpsHook,
                                      LoggingTensorHook, NanLossDuringTrainingError,
                                      NanTensorHook, SecondOrStepTimer, StepCounterHook,
                                      StopAtStepHook, SummarySaverHook)
from .basic_session_run_hooks import ProfilerHook  # noqa: F401 - Chrome traces
from .checkpoint_utils import (VocabInfo, checkpoints_iterator,  # noqa: F401
                               get_checkpoint_mtimes, init_from_checkpoint, remove_checkpoint,
                               update_checkpoint_state, warm_start)
from .coordinator import Coordinator  # noqa: F401
from . import queue_runner  # noqa: F401 - tf.train.queue_runner.QueueRunner, ...
from .queue_runner import QueueRunner, add_queue_runner, start_queue_runners  # noqa: F401
from .input import *  # noqa: F401,F403 - batch, shuffle_batch, string_input_producer, ...
from .monitored_session import (ChiefSessionCreator, MonitoredSession,  # noqa: F401
                                MonitoredTrainingSession, Scaffold, SingularMonitoredSession)
from .session_run_hook import (SessionRunArgs, SessionRunContext,  # noqa: F401
                               SessionRunHook, SessionRunValues)
from .session_manager import SessionManager  # noqa: F401
from .supervisor import LooperThread, Supervisor  # noqa: F401
from .sync_replicas import *  # noqa: F401,F403 - SyncReplicasOptimizer
from .checkpoint import *  # noqa: F401,F403 - Checkpoint, CheckpointManager, CheckpointOptions
from . import experimental  # noqa: F401 - mixed-precision loss scaling (tf.train.experimental)
from .training_extras import (GlobalStepWaiterHook, SessionCreator,  # noqa: F401
                              WorkerSessionCreator, basic_train_loop,
                              generate_checkpoint_state_proto, summary_iterator)
from ..graph_util import write_graph  # noqa: F401,E402
from ..device import replica_device_setter  # noqa: F401,E402
from ..tf1_aliases import ClusterSpec  # noqa: F401,E402
from .server import Server  # noqa: F401,E402

# tf.train.Example and its parts, the protobuf classes TFRecord pipelines build and serialize;
# imported on first use (core does not import the protos package).
from .._protos import lazy_classes  # noqa: E402

__getattr__ = lazy_classes(__name__, {
    "Example": "example_pb2", "SequenceExample": "example_pb2", "Features": "feature_pb2",
    "Feature": "feature_pb2", "FeatureList": "feature_pb2", "FeatureLists": "feature_pb2",
    "BytesList": "feature_pb2", "FloatList": "feature_pb2", "Int64List": "feature_pb2",
    "ClusterDef": "cluster_pb2", "JobDef": "cluster_pb2"})
