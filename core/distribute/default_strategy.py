"""The default strategy: current when no strategy's scope is open (one replica, nothing
placed; its replica context is what get_replica_context() gives outside any scope)."""

from __future__ import annotations

from .. import dtypes as _dt
from ..graph import get_default_graph
from ..module import variable_creator_scope
from ..nest import map_structure
from ..ops import array_ops
from . import context as ctx_lib
from .distribute_lib import InputContext, Strategy, StrategyExtended
from .replica_context import ReplicaContext


class _DefaultDistributionStrategy(Strategy):
    """The strategy current when no scope is open: one replica, no placement."""

    def __init__(self):
        raise RuntimeError("Should only create a single instance of "
                           "_DefaultDistributionStrategy")

    def __deepcopy__(self, memo):
        raise RuntimeError("Should only create a single instance of "
                           "_DefaultDistributionStrategy")


class _DefaultDistributionContext:
    def __init__(self, strategy):
        def creator(next_creator, **kwargs):
            if ctx_lib.get_strategy() is not strategy:
                ctx_lib.wrong_strategy_scope(strategy, ctx_lib.get_mode())
            return next_creator(**kwargs)

        self._creator = creator
        self._strategy = strategy
        self._nested_count = 0
        self._scope = None

    def __enter__(self):
        if ctx_lib.has_strategy():
            raise RuntimeError("Must not nest tf.distribute.Strategy scopes.")
        if self._nested_count == 0:
            self._scope = variable_creator_scope(self._creator)
            self._scope.__enter__()
        self._nested_count += 1
        return self._strategy

    def __exit__(self, exc_type, exc, tb):
        self._nested_count -= 1
        if self._nested_count == 0:
            self._scope.__exit__(exc_type, exc, tb)


class _DefaultDistributionExtended(StrategyExtended):
    def _scope(self, strategy):
        return _DefaultDistributionContext(strategy)

    def colocate_vars_with(self, colocate_with_variable):
        ctx_lib.require_strategy_scope_extended(self)
        return get_default_graph().colocate_with(colocate_with_variable)

    def variable_created_in_scope(self, v):
        return getattr(v, "_distribute_strategy", None) is None

    def _experimental_distribute_dataset(self, dataset):
        return dataset

    def _experimental_distribute_datasets_from_function(self, dataset_fn):
        return dataset_fn(InputContext())

    def _make_dataset_iterator(self, dataset):
        from .input_lib import DefaultInputIterator

        return DefaultInputIterator(dataset)

    def _make_input_fn_iterator(self, input_fn, replication_mode=None):
        from .input_lib import DefaultInputIterator

        return DefaultInputIterator(input_fn(InputContext()))

    def _broadcast_to(self, tensor, destinations):
        if destinations is None:
            return tensor
        raise NotImplementedError("TODO")

    def _call_for_each_replica(self, fn, args, kwargs):
        from ..ops.constant_ops import constant

        with ReplicaContext(self._container_strategy(),
                            replica_id_in_sync_group=constant(0, _dt.int32)):
            return fn(*args, **kwargs)

    def _reduce_to(self, reduce_op, value, destinations):
        return value

    def _update(self, var, fn, args, kwargs, group):
        return self._update_non_slot(var, fn, (var,) + tuple(args), kwargs, group)

    def _update_non_slot(self, colocate_with, fn, args, kwargs, should_group):
        with ctx_lib.UpdateContext(colocate_with):
            result = fn(*args, **kwargs)
            return result if should_group else map_structure(self._local_results, result)

    def read_var(self, replica_local_var):
        return array_ops.identity(replica_local_var)

    @property
    def _num_replicas_in_sync(self):
        return 1

    @property
    def worker_devices(self):
        raise RuntimeError("worker_devices() method unsupported by default "
                           "tf.distribute.Strategy.")

    @property
    def parameter_devices(self):
        raise RuntimeError("parameter_devices() method unsupported by default "
                           "tf.distribute.Strategy.")

    def non_slot_devices(self, var_list):
        return min(var_list, key=lambda x: x.name)


def _make_default_strategy():
    strategy = _DefaultDistributionStrategy.__new__(_DefaultDistributionStrategy)
    Strategy.__init__(strategy, _DefaultDistributionExtended(strategy))
    return strategy
