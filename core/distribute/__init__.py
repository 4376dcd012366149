"""``tf.distribute`` as TF 1.15 has it (graph mode), for one machine with one CPU.

TF1 programs written for distribution strategies run unchanged: MirroredStrategy() uses the
CPU as its single replica (as TF does without GPUs), OneDeviceStrategy places everything on
its device, and the experimental strategies run their one-machine form. The replica and
cross-replica contexts, merge_call, reductions, mirrored variables, optimizers' distributed
apply and Estimator's train_distribute / eval_distribute follow TF 1.15. Several replicas
(in-graph replication over devices) and clusters are refused with UnimplementedError.

Modules: context.py (current strategy, replica / cross-replica mode), distribute_lib.py
(Strategy, StrategyExtended, ReplicaContext, default strategy), strategies.py and
experimental.py (the strategies), values.py (mirrored variables), cross_device_ops.py,
input_lib.py, optimizer_v1.py, estimator_training.py, contrib.py (tf.contrib.distribute).
"""

from ..train.server import Server
from . import cluster_resolver, experimental
from .context import (experimental_set_strategy, get_cross_replica_context,
                      get_replica_context, get_strategy, has_strategy, in_cross_replica_context)
from .cross_device_ops import (CrossDeviceOps, HierarchicalCopyAllReduce, NcclAllReduce,
                               ReductionToOneDevice)
from .distribute_lib import (InputContext, InputReplicationMode, Strategy, StrategyExtended,
                             get_loss_reduction)
from .replica_context import ReplicaContext
from .reduce_util import ReduceOp
from .strategies import MirroredStrategy, OneDeviceStrategy

__all__ = ["CrossDeviceOps", "HierarchicalCopyAllReduce", "InputContext",
           "InputReplicationMode", "MirroredStrategy", "NcclAllReduce", "OneDeviceStrategy",
           "ReduceOp", "ReductionToOneDevice", "ReplicaContext", "Server", "Strategy",
           "StrategyExtended", "cluster_resolver", "experimental", "experimental_set_strategy",
           "get_cross_replica_context", "get_loss_reduction", "get_replica_context",
           "get_strategy", "has_strategy", "in_cross_replica_context"]
