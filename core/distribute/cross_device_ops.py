"""``tf.distribute.CrossDeviceOps`` and its implementations: how a strategy combines the
replicas' values and copies results to devices (TF 1.15's cross_device_ops, for one replica).

With one replica a reduction has one value: SUM and MEAN give it (on the destination's
device; TF's shortcut returns it untouched when it is already there), and a broadcast is an
Identity on the destination device. The algorithm classes (NCCL, hierarchical copy) exist so
TF1 programs construct them; they only differ from each other with several GPUs.
"""

from __future__ import annotations

from ..errors import UnimplementedError
from ..graph import get_default_graph
from ..ops.constant_ops import identity
from . import device_util
from .reduce_util import ReduceOp, as_reduce_op

__all__ = ["AllReduceCrossDeviceOps", "CrossDeviceOps", "HierarchicalCopyAllReduce",
           "MultiWorkerAllReduce", "NcclAllReduce", "ReductionToOneDevice"]


def check_destinations(destinations) -> bool:
    if isinstance(destinations, str):
        return bool(destinations)
    if hasattr(destinations, "device"):  # a variable or a tensor
        return bool(destinations.device)
    return bool(destinations)


def validate_destinations(destinations):
    if not check_destinations(destinations):
        raise ValueError("destinations can not be empty")


def _device_of(destinations) -> str:
    if isinstance(destinations, str):
        return device_util.resolve(destinations)
    return device_util.resolve(destinations.device)


def simple_broadcast(value, destinations):
    """``value`` copied to the destination's device (an Identity there)."""
    with get_default_graph().device(_device_of(destinations)):
        return identity(value)


def reduce_one(reduce_op, value, destinations):
    """TF's reduce of a value that is the same object on every replica (here: the one
    replica's value): 0 stays 0, MEAN is the value, SUM the value on ``destinations``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return 0
    if reduce_op == ReduceOp.MEAN:
        return value
    validate_destinations(destinations)
    return simple_broadcast(value, destinations)


def _value_device(value) -> str:
    if isinstance(value, (list, tuple)):
        raise ValueError(f"Cannot convert `input_tensor` to a `PerReplica` object, got "
                         f"{value!r} but expected a object that is not a tuple or list.")
    try:
        device = value.device
    except AttributeError:
        raise ValueError("Cannot convert `input_tensor` to a `PerReplica` object because it "
                         "doesn't have device set.") from None
    return device_util.canonicalize(device)


class CrossDeviceOps:
    """Base class: ``reduce``, ``batch_reduce`` and ``broadcast`` of per-replica values."""

    def reduce(self, reduce_op, per_replica_value, destinations):
        """``per_replica_value`` reduced with ``reduce_op`` onto ``destinations``."""
        reduce_op = as_reduce_op(reduce_op)
        validate_destinations(destinations)
        if _value_device(per_replica_value) == _device_of(destinations):
            return per_replica_value  # TF's shortcut: one value, already there
        return self.reduce_implementation(reduce_op, per_replica_value, destinations)

    def batch_reduce(self, reduce_op, value_destination_pairs):
        """``reduce`` of each (value, destinations) pair."""
        reduce_op = as_reduce_op(reduce_op)
        pairs = list(value_destination_pairs)
        if not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs):
            raise ValueError("value_destination_pairs should be a list or tuple of "
                             "(value, destinations) pairs")
        for _, d in pairs:
            validate_destinations(d)
        devices = [(_value_device(v), _device_of(d)) for v, d in pairs]
        if all(a == b == devices[0][0] for a, b in devices):
            return [v for v, _ in pairs]  # TF's shortcut: every value already in place
        return self.batch_reduce_implementation(reduce_op, pairs)

    def broadcast(self, tensor, destinations):
        validate_destinations(destinations)
        return self.broadcast_implementation(tensor, destinations)

    def reduce_implementation(self, reduce_op, per_replica_value, destinations):
        return simple_broadcast(per_replica_value, destinations)

    def batch_reduce_implementation(self, reduce_op, value_destination_pairs):
        return [self.reduce_implementation(reduce_op, v, d) for v, d in value_destination_pairs]

    def broadcast_implementation(self, tensor, destinations):
        return simple_broadcast(tensor, destinations)


class ReductionToOneDevice(CrossDeviceOps):
    """Copies the values to one device, reduces there, and copies the result back."""

    def __init__(self, reduce_to_device=None, accumulation_fn=None):
        self.reduce_to_device = reduce_to_device
        self.accumulation_fn = accumulation_fn


class AllReduceCrossDeviceOps(CrossDeviceOps):
    """All-reduce with ``all_reduce_alg`` ("nccl" or "hierarchical_copy") over packs."""

    def __init__(self, all_reduce_alg="nccl", num_packs=1, agg_small_grads_max_bytes=0,
                 agg_small_grads_max_group=10):
        self._all_reduce_alg = all_reduce_alg
        self._num_packs = num_packs
        self._agg_small_grads_max_bytes = agg_small_grads_max_bytes
        self._agg_small_grads_max_group = agg_small_grads_max_group
        if num_packs > 0 and agg_small_grads_max_bytes > 0:
            raise ValueError("Only one of num_packs and agg_small_grads_max_bytes can be "
                             "non-zero.")


class NcclAllReduce(AllReduceCrossDeviceOps):
    def __init__(self, num_packs=1):
        if num_packs < 0:
            raise ValueError(f"NCCL all-reduce requires num_packs >= 0, but {num_packs} is "
                             "specified")
        super().__init__(all_reduce_alg="nccl", num_packs=num_packs)


class HierarchicalCopyAllReduce(AllReduceCrossDeviceOps):
    def __init__(self, num_packs=1):
        if num_packs < 0:
            raise ValueError(f"HierarchicalCopy requires num_packs >= 0, but {num_packs} is "
                             "specified")
        super().__init__(all_reduce_alg="hierarchical_copy", num_packs=num_packs)


class MultiWorkerAllReduce(AllReduceCrossDeviceOps):
    """In-graph all-reduce across workers: refused (minitf runs in one process)."""

    def __init__(self, worker_devices, num_gpus_per_worker, all_reduce_spec=("pscpu/pscpu", 2,
                 -1), num_packs=0, agg_small_grads_max_bytes=0, agg_small_grads_max_group=10):
        raise UnimplementedError(None, None, "MultiWorkerAllReduce reduces across workers: "
                                 "minitf runs in one process")
