"""``tf.contrib.distribute`` (TF 1.15): the core strategies under their contrib names and
signatures (MirroredStrategy(num_gpus=...), CollectiveAllReduceStrategy,
ParameterServerStrategy(num_gpus_per_worker=...)), DistributeConfig for
``RunConfig(experimental_distribute=...)``, the Step / Monitor training loop helpers and the
context functions. GPU counts above zero get TF's unknown-device error (minitf has the CPU
only); cluster and TPU helpers raise UnimplementedError."""

from __future__ import annotations

import collections

from ..errors import UnimplementedError
from .context import (get_cross_replica_context, get_replica_context, get_strategy,
                      has_strategy, in_cross_replica_context, require_replica_context,
                      UpdateContext)
from .cross_device_ops import (AllReduceCrossDeviceOps, CrossDeviceOps, MultiWorkerAllReduce,
                               ReductionToOneDevice)
from .distribute_lib import Strategy, StrategyExtended, get_loss_reduction
from .replica_context import ReplicaContext
from .experimental import (CollectiveCommunication, TPUStrategy, _CollectiveExtended,
                           _ps_extended)
from .strategies import OneDeviceStrategy, _mirrored_extended

__all__ = ["AllReduceCrossDeviceOps", "CollectiveAllReduceStrategy", "CrossDeviceOps",
           "DistributeConfig", "DistributionStrategy", "DistributionStrategyExtended",
           "MirroredStrategy", "Monitor", "MultiWorkerAllReduce", "OneDeviceStrategy",
           "ParameterServerStrategy", "ReductionToOneDeviceCrossDeviceOps", "ReplicaContext",
           "StandardInputStep", "StandardSingleLossStep", "Step", "TPUStrategy",
           "UpdateContext", "get_cross_replica_context", "get_distribution_strategy",
           "get_loss_reduction", "get_replica_context", "get_strategy",
           "has_distribution_strategy", "has_strategy", "in_cross_replica_context",
           "initialize_tpu_system", "require_replica_context", "run_standard_tensorflow_server"]

DistributionStrategy = Strategy
DistributionStrategyExtended = StrategyExtended
ReductionToOneDeviceCrossDeviceOps = ReductionToOneDevice
get_distribution_strategy = get_strategy
has_distribution_strategy = has_strategy


class DistributeConfig(collections.namedtuple(
        "DistributeConfig", ["train_distribute", "eval_distribute", "remote_cluster"])):
    """The strategies an Estimator trains and evaluates with (RunConfig's
    experimental_distribute); ``remote_cluster`` names a cluster to run on."""

    __slots__ = ()

    def __new__(cls, train_distribute=None, eval_distribute=None, remote_cluster=None):
        return super().__new__(cls, train_distribute, eval_distribute, remote_cluster)


def _gpu_devices(num_gpus):
    return [f"/device:GPU:{i}" for i in range(num_gpus)] if num_gpus else None


class MirroredStrategy(Strategy):
    """contrib's MirroredStrategy: ``devices`` or ``num_gpus`` (0: the CPU); datasets given
    to make_dataset_iterator are batched per replica (the same with one replica)."""

    def __init__(self, devices=None, num_gpus=None, num_gpus_per_worker=None,
                 cross_device_ops=None, auto_shard_dataset=False, cross_tower_ops=None):
        if cross_device_ops and cross_tower_ops:
            raise AssertionError("Give cross_device_ops or cross_tower_ops, not both")
        if num_gpus is not None and num_gpus_per_worker is not None:
            raise ValueError("You cannot specify both `num_gpus` and `num_gpus_per_worker`.")
        num_gpus = num_gpus if num_gpus is not None else num_gpus_per_worker
        if devices is not None and num_gpus is not None:
            raise ValueError("Must only specify one of `devices` and `num_gpus_per_worker`.")
        devices = devices if devices is not None else _gpu_devices(num_gpus)
        super().__init__(_mirrored_extended(self, devices, cross_device_ops or cross_tower_ops,
                                            "MirroredStrategy"))


class CollectiveAllReduceStrategy(Strategy):
    """contrib's multi-worker mirrored strategy; without a cluster, one worker."""

    def __init__(self, num_gpus_per_worker=0, communication=CollectiveCommunication.AUTO):
        if not isinstance(communication, CollectiveCommunication):
            raise AssertionError(f"communication must be a CollectiveCommunication, got "
                                 f"{communication!r}")
        super().__init__(_mirrored_extended(self, _gpu_devices(num_gpus_per_worker), None,
                                            "CollectiveAllReduceStrategy",
                                            cls=_CollectiveExtended, between_graph=True))


class ParameterServerStrategy(Strategy):
    """contrib's parameter-server strategy; without a cluster (``configure``), this machine:
    compute on ``num_gpus_per_worker`` GPUs (0: the CPU), variables beside it."""

    def __init__(self, num_gpus_per_worker=0):
        super().__init__(_ps_extended(self, _gpu_devices(num_gpus_per_worker), None,
                                      "ParameterServerStrategy"))


def initialize_tpu_system(cluster_resolver=None):
    raise UnimplementedError(None, None, "initialize_tpu_system: minitf has no TPU")


def run_standard_tensorflow_server(session_config=None):
    raise UnimplementedError(None, None, "run_standard_tensorflow_server serves this task of "
                             "the TF_CONFIG cluster: minitf has no distributed runtime")


# -- step_fn / monitor ----------------------------------------------------------------------------
class Step:
    """One step of a training algorithm under ``distribution``."""

    def __init__(self, distribution):
        self._distribution = distribution

    distribution = property(lambda self: self._distribution)

    def initialize(self):
        return []

    def __call__(self):
        raise NotImplementedError("must be implemented in descendants")


class StandardInputStep(Step):
    """A step reading its input from ``dataset_fn()``'s dataset."""

    def __init__(self, dataset_fn, distribution):
        super().__init__(distribution)
        self._iterator = distribution.make_input_fn_iterator(lambda _: dataset_fn())

    def initialize(self):
        return self._iterator.initializer


class StandardSingleLossStep(StandardInputStep):
    """Minimizes ``loss_fn(ctx, inputs)`` with ``optimizer`` (a tf.train optimizer) on each
    replica, ``iterations_per_step`` times per call; ``step()`` returns the op doing it."""

    def __init__(self, dataset_fn, loss_fn, optimizer, distribution, iterations_per_step=1):
        super().__init__(dataset_fn, distribution)
        self._loss_fn = loss_fn
        self._optimizer = optimizer
        self._iterations_per_step = iterations_per_step

    def __call__(self):
        with self._distribution.scope():
            def gradients_fn(ctx, inputs):
                pairs = self._optimizer.compute_gradients(self._loss_fn(ctx, inputs))
                return [(g, v) for g, v in pairs if g is not None]

            def step_fn(ctx, inputs):
                grads_and_vars = self.distribution.extended.call_for_each_replica(
                    gradients_fn, args=(ctx, inputs))
                from .optimizer_v1 import distributed_apply

                return distributed_apply(self.distribution, self._optimizer, grads_and_vars)

            ctx = self.distribution.extended.experimental_run_steps_on_iterator(
                step_fn, self._iterator, self._iterations_per_step)
            return ctx.run_op


class Monitor:
    """Runs a Step in a session: ``Monitor(step, session).run_steps(n)``."""

    def __init__(self, step_callable, session=None):
        if session is None:
            raise ValueError("Should provide a `session` in Graph mode.")
        session.run(step_callable.initialize())
        self._run_step = session.make_callable(step_callable())

    def run_steps(self, num_steps=None):
        step = 0
        while num_steps is None or step < num_steps:
            self._run_step()
            step += 1
