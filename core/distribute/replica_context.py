"""``tf.distribute.ReplicaContext``: the strategy's API inside a replica function."""

from __future__ import annotations

from ..graph import Tensor
from ..nest import flatten, map_structure, pack_sequence_as
from . import context as ctx_lib
from . import device_util
from .reduce_util import ReduceOp

__all__ = ["ReplicaContext"]


class ReplicaContext:
    """The strategy's API inside a replica function (``tf.distribute.get_replica_context()``)."""

    def __init__(self, strategy, replica_id_in_sync_group):
        self._strategy = strategy
        self._thread_context = ctx_lib.InReplicaThreadMode(self)
        self._replica_id_in_sync_group = replica_id_in_sync_group

    def __enter__(self):
        ctx_lib.push_mode(self._thread_context)

    def __exit__(self, exc_type, exc, tb):
        ctx_lib.pop_mode()

    def merge_call(self, merge_fn, args=(), kwargs=None):
        """``merge_fn(strategy, *args, **kwargs)`` once, in the cross-replica context, with the
        replicas' arguments grouped (one replica: as given); its result goes back to each."""
        ctx_lib.require_replica_context(self)
        return self._merge_call(merge_fn, args, kwargs or {})

    def _merge_call(self, merge_fn, args, kwargs):
        ctx_lib.push_mode(ctx_lib.CrossReplicaThreadMode(self._strategy))
        try:
            return merge_fn(self._strategy, *args, **kwargs)
        finally:
            ctx_lib.pop_mode()

    num_replicas_in_sync = property(lambda self: self._strategy.num_replicas_in_sync)
    strategy = property(lambda self: self._strategy)

    @property
    def replica_id_in_sync_group(self):
        ctx_lib.require_replica_context(self)
        return self._replica_id_in_sync_group

    @property
    def devices(self):
        ctx_lib.require_replica_context(self)
        return (device_util.current(),)

    def all_reduce(self, reduce_op, value):
        """``value`` (a nest of tensors) reduced across all replicas, on every replica; its
        gradient is the same all-reduce of the incoming gradients (SUM and MEAN)."""
        def batch_all_reduce(strategy, *value_flat):
            return strategy.extended.batch_reduce_to(
                reduce_op, [(v, v.device if isinstance(v, Tensor) else v) for v in value_flat])

        if reduce_op in (ReduceOp.SUM, ReduceOp.MEAN):
            from ..custom_gradient import custom_gradient

            @custom_gradient
            def grad_wrapper(*xs):
                ys = self.merge_call(batch_all_reduce, args=xs)
                return ys, lambda *dy_s: self.all_reduce(reduce_op, dy_s)

            return pack_sequence_as(value, grad_wrapper(*flatten(value)))
        from ..ops.constant_ops import PREVENT_GRADIENT

        reduced = pack_sequence_as(value, self.merge_call(batch_all_reduce,
                                                          args=flatten(value)))
        return map_structure(lambda t: PREVENT_GRADIENT(t), reduced)
