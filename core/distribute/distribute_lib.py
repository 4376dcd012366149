"""``tf.distribute.Strategy`` (TF 1.15's V1 API), ``StrategyExtended``, ``ReplicaContext``,
``InputContext`` and the default strategy that is current when no scope is open.

A strategy's ``scope()`` makes it current (cross-replica context) and sends every variable
made inside through its variable creator; ``experimental_run_v2(fn)`` calls ``fn`` once per
replica in a replica context; ``merge_call`` goes back to the cross-replica context, where
``reduce`` / ``extended.update`` combine and apply values. The strategies themselves are in
core/distribute/strategies.py.
"""

from __future__ import annotations

import contextlib
import copy
import enum
import weakref

from .. import dtypes as _dt
from .. import tf_logging as logging
from ..graph import get_default_graph
from ..module import variable_creator_scope
from ..nest import flatten
from ..ops import array_ops
from ..ref_variable import Variable
from ..variable_scopes import _wrap_getter, get_variable_scope
from . import context as ctx_lib
from . import device_util
from .reduce_util import ReduceOp, as_reduce_op

__all__ = ["InputContext", "InputReplicationMode", "Strategy",
           "StrategyExtended", "get_loss_reduction"]


class InputReplicationMode(enum.Enum):
    """``PER_WORKER``: the input function runs once per worker."""

    PER_WORKER = "PER_WORKER"


class InputContext:
    """What an input function is told: the number of input pipelines, this one's id and the
    number of replicas in sync (to get the per-replica batch size)."""

    def __init__(self, num_input_pipelines=1, input_pipeline_id=0, num_replicas_in_sync=1):
        self._num_input_pipelines = num_input_pipelines
        self._input_pipeline_id = input_pipeline_id
        self._num_replicas_in_sync = num_replicas_in_sync

    num_replicas_in_sync = property(lambda self: self._num_replicas_in_sync)
    input_pipeline_id = property(lambda self: self._input_pipeline_id)
    num_input_pipelines = property(lambda self: self._num_input_pipelines)

    def get_per_replica_batch_size(self, global_batch_size):
        if global_batch_size % self._num_replicas_in_sync != 0:
            raise ValueError(f"The `global_batch_size` {global_batch_size!r} is not divisible by "
                             f"`num_replicas_in_sync` {self._num_replicas_in_sync!r} ")
        return global_batch_size // self._num_replicas_in_sync

    def __repr__(self):
        return (f"tf.distribute.InputContext(input pipeline id {self._input_pipeline_id}, "
                f"total: {self._num_input_pipelines})")


def get_loss_reduction():
    """SUM outside an Estimator's training (the optimizer then does not scale the loss); in it,
    MEAN unless the last tf.losses reduction was a sum."""
    if not ctx_lib.get_strategy()._scale_loss_for_estimator:
        return ReduceOp.SUM
    last = getattr(get_default_graph(), "_last_loss_reduction", None)
    return ReduceOp.SUM if last in ("weighted_sum", "sum") else ReduceOp.MEAN


# -- scope ------------------------------------------------------------------------------------
class _CurrentDistributionContext:
    """What ``strategy.scope()`` returns: makes the strategy current, routes variable creation
    through its creator and (for strategies that do not partition variables) drops any
    partitioner from get_variable, with TF's warning."""

    def __init__(self, strategy, creator, allow_partition, default_device=None):
        self._mode = ctx_lib.CrossReplicaThreadMode(strategy)
        self._creator = creator
        self._allow_partition = allow_partition
        self._default_device = default_device
        self._same_scope_again_count = 0
        self._exits: list = []

    def __enter__(self):
        strategy = self._mode.strategy
        if ctx_lib.has_strategy():  # re-entering the current strategy's scope is allowed
            ctx_lib.require_cross_replica_or_default_context(strategy.extended)
            self._same_scope_again_count += 1
            return strategy
        ctx_lib.push_mode(self._mode)
        stack = contextlib.ExitStack()
        if not self._allow_partition:
            scope = get_variable_scope()
            old = scope.custom_getter
            scope.set_custom_getter(_distributed_getter if old is None
                                    else _wrap_getter(_distributed_getter, old))
            stack.callback(scope.set_custom_getter, old)
        stack.enter_context(variable_creator_scope(self._creator))
        if self._default_device:
            stack.enter_context(get_default_graph().device(self._default_device))
        self._exits.append(stack)
        return strategy

    def __exit__(self, exc_type, exc, tb):
        if self._same_scope_again_count > 0:
            self._same_scope_again_count -= 1
            return
        self._exits.pop().close()
        ctx_lib.pop_mode()


def _distributed_getter(getter, *args, **kwargs):
    if kwargs.pop("partitioner", None) is not None:
        logging.log_first_n(logging.WARN, "Partitioned variables are disabled when using "
                            "current tf.distribute.Strategy.", 1)
    return getter(*args, **kwargs)


# -- Strategy -----------------------------------------------------------------------------------
class Strategy:
    """A distribution policy over devices: ``tf.distribute.Strategy`` as TF 1.x has it."""

    def __init__(self, extended):
        self._extended = extended
        # Set by an Estimator while it trains: the V1 optimizer then scales the loss by
        # 1/num_replicas when the loss is a mean (TF's compatibility rule).
        self._scale_loss_for_estimator = False

    extended = property(lambda self: self._extended)

    @contextlib.contextmanager
    def _scale_loss_for_estimator_enabled(self):
        self._scale_loss_for_estimator = True
        try:
            yield
        finally:
            self._scale_loss_for_estimator = False

    def scope(self):
        """A context manager making this strategy current (cross-replica context)."""
        return self._extended._scope(self)

    def colocate_vars_with(self, colocate_with_variable):
        return self._extended.colocate_vars_with(colocate_with_variable)

    def make_dataset_iterator(self, dataset):
        """An iterator over ``dataset`` (batched by the global batch size), split across the
        replicas; run its ``initialize()`` first."""
        return self._extended._make_dataset_iterator(dataset)

    def make_input_fn_iterator(self, input_fn,
                               replication_mode=InputReplicationMode.PER_WORKER):
        """An iterator over ``input_fn(input_context)``'s dataset (per-replica batches)."""
        if replication_mode != InputReplicationMode.PER_WORKER:
            raise ValueError(f"Input replication mode not supported: {replication_mode!r}")
        with self.scope():
            return self._extended._make_input_fn_iterator(input_fn, replication_mode)

    def experimental_make_numpy_dataset(self, numpy_input, session=None):
        return self._extended.experimental_make_numpy_dataset(numpy_input, session=session)

    def experimental_run(self, fn, input_iterator=None):
        """``fn`` per replica on the next element of ``input_iterator``."""
        with self.scope():
            args = (input_iterator.get_next(),) if input_iterator is not None else ()
        return self.experimental_run_v2(fn, args=args)

    def experimental_distribute_dataset(self, dataset):
        return self._extended._experimental_distribute_dataset(dataset)

    def experimental_distribute_datasets_from_function(self, dataset_fn):
        return self._extended._experimental_distribute_datasets_from_function(dataset_fn)

    def experimental_run_v2(self, fn, args=(), kwargs=None):
        """Runs ``fn(*args, **kwargs)`` once per replica, in a replica context; returns its
        results (per replica values; with one replica, the values themselves)."""
        with self.scope():
            return self._extended.call_for_each_replica(fn, args=args, kwargs=kwargs)

    run = experimental_run_v2  # the name tf.compat.v1 has since TF 2.2

    def reduce(self, reduce_op, value, axis=None):
        """``value`` (per replica) combined across replicas with ``reduce_op``; with ``axis``
        also along that dimension of each replica's value (a MEAN then divides by the total
        number of elements along it)."""
        ctx_lib.require_cross_replica_or_default_context(self._extended)
        reduce_op = as_reduce_op(reduce_op)
        if axis is None:
            return self._extended._reduce(reduce_op, value)
        from ..ops import math_ops
        from ..ops.reduction_ops import reduce_sum

        if reduce_op == ReduceOp.SUM:
            value = self.experimental_run_v2(lambda v: reduce_sum(v, axis=axis), args=(value,))
            return self._extended._reduce(reduce_op, value)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"Expected `axis` to be an integer not: {axis!r}")

        def mean_reduce_helper(v, axis=axis):
            numer = reduce_sum(v, axis=axis)
            rank = v.shape.rank
            if rank is not None:
                if not -rank <= axis < rank:
                    raise ValueError(f"`axis` = {axis!r} out of range for `value` with rank "
                                     f"{rank}")
                dim = v.shape[axis % rank].value
                if dim is not None:  # a static length: a Python number, no op
                    return numer, dim
            elif axis < 0:
                axis = axis + array_ops.rank(v)
            return numer, array_ops.shape(v, out_type=_dt.int64)[axis]

        numer, denom = self.experimental_run_v2(mean_reduce_helper, args=(value,))
        numer = self._extended._reduce(ReduceOp.SUM, numer)
        denom = self._extended._reduce(ReduceOp.SUM, denom)
        return math_ops.truediv(numer, math_ops.cast(denom, numer.dtype))

    def unwrap(self, value):
        """Deprecated name of experimental_local_results."""
        return self._extended._local_results(value)

    def experimental_local_results(self, value):
        """The tuple of ``value``'s per-replica values on this worker ((value,) for one)."""
        return self._extended._local_results(value)

    def group(self, value, name=None):
        return self._extended._group(value, name)

    num_replicas_in_sync = property(lambda self: self._extended._num_replicas_in_sync)

    def configure(self, session_config=None, cluster_spec=None, task_type=None, task_id=None):
        """Deprecated: updates ``session_config`` in place (see update_config_proto)."""
        return self._extended._configure(session_config, cluster_spec, task_type, task_id)

    def update_config_proto(self, config_proto):
        """A copy of ``config_proto`` with what this strategy needs set."""
        return self._extended._update_config_proto(config_proto)

    def __deepcopy__(self, memo):
        cls = self.__class__
        result = cls.__new__(cls)
        memo[id(self)] = result
        for k, v in self.__dict__.items():
            setattr(result, k, copy.deepcopy(v, memo))
        result._extended._container_strategy_weakref = weakref.ref(result)
        return result

    def __copy__(self):
        raise RuntimeError("Must only deepcopy DistributionStrategy.")


# -- StrategyExtended ---------------------------------------------------------------------------
class StrategyExtended:
    """The lower-level API: variable placement, per-replica calls, reductions, updates."""

    def __init__(self, container_strategy):
        self._container_strategy_weakref = weakref.ref(container_strategy)
        self._default_device = None
        self._require_static_shapes = False

    def _container_strategy(self):
        strategy = self._container_strategy_weakref()
        if strategy is None:
            raise RuntimeError("The strategy of this StrategyExtended no longer exists.")
        return strategy

    def _scope(self, strategy):
        def creator(next_creator, **kwargs):
            ctx_lib.require_strategy_scope_extended(self)
            v = self._create_variable(next_creator, **kwargs)
            if isinstance(v, Variable) and getattr(v, "_distribute_strategy", None) is None:
                v._distribute_strategy = strategy
            return v

        return _CurrentDistributionContext(strategy, creator, self._allow_variable_partition(),
                                           self._default_device)

    def _allow_variable_partition(self):
        return False

    def _create_variable(self, next_creator, **kwargs):
        raise NotImplementedError("must be implemented in descendants")

    def variable_created_in_scope(self, v) -> bool:
        """Whether ``v`` was made inside this strategy's scope."""
        return getattr(v, "_distribute_strategy", None) is self._container_strategy_weakref()

    def colocate_vars_with(self, colocate_with_variable):
        """A scope whose variables go where ``colocate_with_variable`` is (in this scope)."""
        def create_colocated_variable(next_creator, **kwargs):
            ctx_lib.require_strategy_scope_extended(self)
            kwargs["colocate_with"] = colocate_with_variable
            return next_creator(**kwargs)

        ctx_lib.require_strategy_scope_extended(self)
        self._validate_colocate_with_variable(colocate_with_variable)
        return variable_creator_scope(create_colocated_variable)

    def _validate_colocate_with_variable(self, colocate_with_variable):
        pass

    def experimental_make_numpy_dataset(self, numpy_input, session=None):
        """A Dataset of ``numpy_input``'s rows (TF copies them into variables first, to keep
        big arrays out of the GraphDef; minitf slices the arrays directly)."""
        ctx_lib.require_cross_replica_or_default_context(self)
        from ..data import Dataset

        return Dataset.from_tensor_slices(numpy_input)

    def broadcast_to(self, tensor, destinations):
        """``tensor`` mirrored to ``destinations`` (a variable or a device string)."""
        if destinations is None:
            raise AssertionError("broadcast_to needs destinations")
        ctx_lib.require_cross_replica_or_default_context(self)
        if isinstance(destinations, (list, tuple)):
            raise AssertionError("destinations must not be a list or a tuple")
        return self._broadcast_to(tensor, destinations)

    def _broadcast_to(self, tensor, destinations):
        return tensor

    def call_for_each_replica(self, fn, args=(), kwargs=None):
        """``fn(*args, **kwargs)`` once per replica, each in a replica context."""
        ctx_lib.require_cross_replica_or_default_context(self)
        with self._container_strategy().scope():
            return self._call_for_each_replica(fn, args, kwargs or {})

    def _call_for_each_replica(self, fn, args, kwargs):
        raise NotImplementedError("must be implemented in descendants")

    def read_var(self, v):
        """The value of ``v`` (aggregated across replicas for a sync-on-read variable)."""
        raise NotImplementedError("must be implemented in descendants")

    def _reduce(self, reduce_op, value):
        dest = device_util.current() or "/device:CPU:0"
        return self._local_results(self._reduce_to(reduce_op, value, dest))[0]

    def reduce_to(self, reduce_op, value, destinations):
        """``value`` combined across replicas, placed on ``destinations``."""
        from ..variables_extra import VariableAggregation

        ctx_lib.require_cross_replica_or_default_context(self)
        if isinstance(destinations, (list, tuple)):
            raise AssertionError("destinations must not be a list or a tuple")
        if isinstance(reduce_op, VariableAggregation):
            raise AssertionError("reduce_op must be a tf.distribute.ReduceOp, not a "
                                 "tf.VariableAggregation")
        reduce_op = as_reduce_op(reduce_op)
        return self._reduce_to(reduce_op, value, destinations)

    def _reduce_to(self, reduce_op, value, destinations):
        raise NotImplementedError("must be implemented in descendants")

    def batch_reduce_to(self, reduce_op, value_destination_pairs):
        """reduce_to for each (value, destinations) pair, as one batch."""
        from ..variables_extra import VariableAggregation

        ctx_lib.require_cross_replica_or_default_context(self)
        if isinstance(reduce_op, VariableAggregation):
            raise AssertionError("reduce_op must be a tf.distribute.ReduceOp, not a "
                                 "tf.VariableAggregation")
        return self._batch_reduce_to(as_reduce_op(reduce_op), list(value_destination_pairs))

    def _batch_reduce_to(self, reduce_op, value_destination_pairs):
        return [self.reduce_to(reduce_op, t, destinations=v) for t, v in value_destination_pairs]

    def update(self, var, fn, args=(), kwargs=None, group=True):
        """``fn(var, *args, **kwargs)`` on each copy of ``var`` (in an update context)."""
        ctx_lib.require_cross_replica_or_default_context(self)
        with self._container_strategy().scope():
            return self._update(var, fn, args, kwargs or {}, group)

    def _update(self, var, fn, args, kwargs, group):
        raise NotImplementedError("must be implemented in descendants")

    def update_non_slot(self, colocate_with, fn, args=(), kwargs=None, group=True):
        """``fn(*args, **kwargs)`` on the ``colocate_with`` devices (non_slot_devices())."""
        ctx_lib.require_cross_replica_or_default_context(self)
        with self._container_strategy().scope():
            return self._update_non_slot(colocate_with, fn, args, kwargs or {}, group)

    def _update_non_slot(self, colocate_with, fn, args, kwargs, group):
        raise NotImplementedError("must be implemented in descendants")

    def _local_results(self, value):
        return (value,)

    def value_container(self, value):
        """The distributed value ``value`` belongs to (``value`` itself for one replica)."""
        return value

    def _group(self, value, name=None):
        value = flatten(self._local_results(value))
        if len(value) != 1 or name is not None:
            return array_ops.group(value, name=name)
        v, = value
        return getattr(v, "op", v)

    experimental_require_static_shapes = property(lambda self: self._require_static_shapes)

    @property
    def _num_replicas_in_sync(self):
        raise NotImplementedError("must be implemented in descendants")

    worker_devices = property(lambda self: self._not_implemented())
    parameter_devices = property(lambda self: self._not_implemented())

    def _not_implemented(self):
        raise NotImplementedError("must be implemented in descendants")

    def non_slot_devices(self, var_list):
        raise NotImplementedError("must be implemented in descendants")

    experimental_between_graph = property(lambda self: self._not_implemented())
    experimental_should_init = property(lambda self: self._not_implemented())
    should_checkpoint = property(lambda self: self._not_implemented())
    should_save_summary = property(lambda self: self._not_implemented())

    def _configure(self, session_config=None, cluster_spec=None, task_type=None,
                   task_id=None):
        pass

    def _update_config_proto(self, config_proto):
        return copy.deepcopy(config_proto)

    def experimental_run_steps_on_iterator(self, fn, iterator, iterations=1,
                                           initial_loop_values=None):
        """Deprecated: ``fn(ctx, inputs)`` ``iterations`` times in a while loop."""
        from .input_lib import run_steps_on_iterator

        ctx_lib.require_cross_replica_or_default_context(self)
        with self._container_strategy().scope():
            return run_steps_on_iterator(self, fn, iterator, iterations, initial_loop_values)
