"""The variables a mirroring strategy makes: ``MirroredVariable`` (kept equal on every replica;
updates in a replica context must say how to aggregate) and ``SyncOnReadVariable`` (each
replica updates its own; a cross-replica read aggregates), with TF 1.15's rules for assigning to
them in each context.

minitf's strategies run one replica, so each is one minitf Variable of that class: reads and
ops see an ordinary variable, and the classes only add TF's checks and merge paths to
``assign``, ``assign_add`` and ``assign_sub``.
"""

from __future__ import annotations

import contextlib

from ..ops import math_ops
from ..ops.constant_ops import group
from ..ref_variable import Variable
from ..variables_extra import VariableAggregation, VariableSynchronization
from . import context as ctx_lib
from .reduce_util import ReduceOp

__all__ = ["MirroredVariable", "SyncOnReadVariable"]

_AGGREGATION_ERROR = (
    "You must specify an aggregation method to update a {variable_type} in Replica Context. "
    "You can do so by passing an explicit value for argument `aggregation` to "
    "tf.Variable(..).e.g. `tf.Variable(..., aggregation=tf.VariableAggregation.SUM)`. "
    "Alternatively update the {variable_type} in a cross-replica context: in the function "
    "given to `tf.distribute.get_replica_context().merge_call(merge_fn, ..)`, with "
    "`tf.distribute.StrategyExtended.update()`.")


@contextlib.contextmanager
def _enter_or_assert_strategy(strategy):
    if not ctx_lib.has_strategy():
        with strategy.scope():
            yield
        return
    current = ctx_lib.get_strategy()
    if current is not strategy:
        raise RuntimeError(f"Mixing different tf.distribute.Strategy objects: {current} is not "
                           f"{strategy}")
    yield


def _assert_replica_context(strategy):
    replica_context = ctx_lib.get_replica_context()
    if not replica_context:
        raise RuntimeError("Replica-local variables may only be assigned in a replica context.")
    if replica_context.strategy is not strategy:
        raise RuntimeError("Replica-local variables may only be assigned in a replica context.")


def apply_aggregation(strategy, value, aggregation, destinations):
    if aggregation == VariableAggregation.ONLY_FIRST_REPLICA:
        return strategy.extended.broadcast_to(strategy.experimental_local_results(value)[0],
                                              destinations=destinations)
    reduce_op = ReduceOp.from_variable_aggregation(aggregation)
    return strategy.extended.reduce_to(reduce_op, value, destinations)


class MirroredVariable(Variable):
    """A variable kept in sync across replicas (written with the same update everywhere)."""

    def _assign_func(self, method, args, kwargs):
        strategy = self._distribute_strategy
        with _enter_or_assert_strategy(strategy):
            if ctx_lib.in_cross_replica_context():
                if ctx_lib.get_update_device() is not None:  # inside extended.update()
                    return method(self, *args, **kwargs)
                return strategy.extended.update(self, method, args=args, kwargs=kwargs)
            _assert_replica_context(strategy)
            if self._aggregation == VariableAggregation.NONE:
                raise ValueError(_AGGREGATION_ERROR.format(variable_type="MirroredVariable"))

            def merge_fn(strategy, value, *other_args, **other_kwargs):
                v = apply_aggregation(strategy, value, self._aggregation, self)
                return strategy.extended.update(self, method, args=(v,) + other_args,
                                                kwargs=other_kwargs)

            return ctx_lib.get_replica_context().merge_call(merge_fn, args=args, kwargs=kwargs)

    def assign(self, *args, **kwargs):
        return self._assign_func(Variable.assign, args, kwargs)

    def assign_add(self, *args, **kwargs):
        return self._assign_func(Variable.assign_add, args, kwargs)

    def assign_sub(self, *args, **kwargs):
        return self._assign_func(Variable.assign_sub, args, kwargs)


class SyncOnReadVariable(Variable):
    """A variable each replica updates on its own (metrics); a cross-replica read aggregates
    (with one replica, the read is the value)."""

    def assign(self, *args, **kwargs):
        with _enter_or_assert_strategy(self._distribute_strategy):
            if not ctx_lib.in_cross_replica_context():
                return Variable.assign(self, *args, **kwargs)
            # TF divides a summed value among the copies, so a save/restore keeps the sum.
            value = args[0]
            if self._aggregation == VariableAggregation.SUM:
                value = math_ops.cast(math_ops.truediv(value, 1), self.dtype)
            return group(Variable.assign(self, value))

    def _cross_replica_update(self, method, what, args, kwargs):
        with _enter_or_assert_strategy(self._distribute_strategy):
            if not ctx_lib.in_cross_replica_context():
                return method(self, *args, **kwargs)
            if self._aggregation == VariableAggregation.SUM:
                raise ValueError(f"SyncOnReadVariable does not support `{what}` in "
                                 "cross-replica context when aggregation is set to "
                                 "`tf.VariableAggregation.SUM`.")
            return group(method(self, args[0]))

    def assign_add(self, *args, **kwargs):
        return self._cross_replica_update(Variable.assign_add, "assign_add", args, kwargs)

    def assign_sub(self, *args, **kwargs):
        return self._cross_replica_update(Variable.assign_sub, "assign_sub", args, kwargs)


def create_mirrored_variable(strategy, device, next_creator, kwargs):
    """``next_creator(**kwargs)`` on ``device``, made a MirroredVariable (or a
    SyncOnReadVariable for ``synchronization=ON_READ``), with TF's argument checks."""
    name = kwargs.get("name")
    sync = kwargs.get("synchronization") or VariableSynchronization.AUTO
    sync = VariableSynchronization(sync)
    if sync == VariableSynchronization.NONE:
        raise ValueError("`NONE` variable synchronization mode is not supported with "
                         "`Mirrored` distribution strategy. Please change the "
                         f"`synchronization` for variable: {name}")
    aggregation = kwargs.get("aggregation") or VariableAggregation.NONE
    try:
        aggregation = VariableAggregation(aggregation)
    except ValueError:
        raise ValueError(f"Invalid variable aggregation mode: {aggregation} for variable: "
                         f"{name}") from None
    kwargs.pop("caching_device", None)  # mirrored variables need no caching device
    from ..graph import get_default_graph

    with get_default_graph().device(device):
        v = next_creator(**kwargs)
    if type(v) is Variable:
        # One replica: the variable itself, given TF's assign rules by its class (it was made
        # by the creator chain, which ends in Variable's own constructor).
        v.__class__ = (SyncOnReadVariable if sync == VariableSynchronization.ON_READ
                       else MirroredVariable)
        v._distribute_strategy = strategy
    return v
