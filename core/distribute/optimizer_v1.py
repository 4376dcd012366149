"""How a ``tf.train.Optimizer`` applies gradients under a strategy (TF 1.15's
Optimizer.apply_gradients / _distributed_apply).

In a replica context, ``apply_gradients`` goes to the cross-replica context by ``merge_call``;
there the gradients are summed across replicas (``batch_reduce_to(SUM)``; one replica: the
gradients themselves) and each variable is updated with ``extended.update``, the optimizer's
non-slot variables with ``update_non_slot`` and the global step last. Called in the
cross-replica context (inside ``scope()`` but outside ``experimental_run_v2``) it is a
RuntimeError, as in TF.
"""

from __future__ import annotations

from ..graph import GraphKeys, Tensor, convert_to_tensor, get_default_graph
from ..indexed_slices import IndexedSlices
from ..ops import state_ops
from ..variables_extra import init_scope
from . import context as ctx_lib
from .reduce_util import ReduceOp

__all__ = ["apply_in_strategy", "distributed_apply"]


def apply_in_strategy(optimizer, grads_and_vars, global_step, name):
    """The distributed apply when a strategy is current (else None: the caller's own path).
    ``grads_and_vars`` holds only pairs with a gradient, as TF filters them."""
    if not ctx_lib.has_strategy():
        return None
    if ctx_lib.in_cross_replica_context():
        raise RuntimeError("Use `_distributed_apply()` instead of `apply_gradients()` in a "
                           "cross-replica context.")
    return ctx_lib.get_replica_context().merge_call(
        lambda strategy, *args: distributed_apply(strategy, optimizer, *args),
        args=(list(grads_and_vars), global_step, name))


def distributed_apply(distribution, optimizer, grads_and_vars, global_step=None, name=None):
    """``apply_gradients`` in the cross-replica context of ``distribution``."""
    grads_and_vars = list(grads_and_vars)
    reduced = distribution.extended.batch_reduce_to(ReduceOp.SUM, grads_and_vars)
    var_list = [v for _, v in grads_and_vars]
    graph = get_default_graph()
    with init_scope():
        optimizer._create_slots(var_list)

    def update(v, g):
        if not isinstance(g, IndexedSlices):
            try:
                g = convert_to_tensor(g)
            except TypeError:
                raise TypeError(f"Gradient must be convertible to a Tensor or IndexedSlices, "
                                f"or None: {g}") from None
        with graph.name_scope("update_" + v.op.name):
            return optimizer._update(g, v, graph)

    with graph.name_scope(name or optimizer._name) as scope:
        optimizer._prepare()
        update_ops = [op for g, v in zip(reduced, var_list)
                      for op in distribution.extended.update(v, update, args=(g,),
                                                             group=False)]
        finish_updates = distribution.extended.update_non_slot(
            distribution.extended.non_slot_devices(var_list),
            lambda opt, ops: opt._finish(ops, "update"), args=(optimizer, update_ops),
            group=False)
        if global_step is None:
            apply_updates = distribution.group(finish_updates, name=scope)
        else:
            with graph.control_dependencies(list(finish_updates)):
                apply_updates = distribution.extended.update(
                    global_step, state_ops.assign_add, args=(1,), kwargs={"name": scope})
    if isinstance(apply_updates, Tensor):
        apply_updates = apply_updates.op
    if apply_updates not in graph.get_collection(GraphKeys.TRAIN_OP):
        graph.add_to_collection(GraphKeys.TRAIN_OP, apply_updates)
    return apply_updates

