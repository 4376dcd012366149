"""The rest of TF1's Variable API, attached to ``Variable`` by core/ref_variable.py: the index-tuple
and batch updates (``scatter_nd_*``, ``batch_scatter_update``), ``count_up_to``, the
``VariableDef`` round trip (``to_proto``/``from_proto``), the distribution enums TF1 accepts
(``VariableSynchronization``, ``VariableAggregation``: one process has nothing to synchronize,
so they are validated and recorded only) and ``tf.init_scope``."""

from __future__ import annotations

import contextlib
import enum
import importlib
import inspect

from .graph import convert_to_tensor, get_default_graph
from .ops import array_ops, state_ops


class VariableSynchronization(enum.Enum):
    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3
    ONLY_FIRST_TOWER = 3  # TF1's older name, an alias of ONLY_FIRST_REPLICA


def check_synchronization(synchronization, aggregation, trainable, name):
    """TF1's validation of the distribution arguments; returns ``trainable`` with TF's default
    for ON_READ variables (not trained)."""
    if aggregation is None:
        aggregation = VariableAggregation.NONE
    elif not isinstance(aggregation, VariableAggregation):
        try:
            aggregation = VariableAggregation(aggregation)
        except ValueError:
            raise ValueError(f"Invalid variable aggregation mode: {aggregation} for variable: "
                             f"{name}") from None
    if synchronization is None:
        synchronization = VariableSynchronization.AUTO
    else:
        try:
            synchronization = VariableSynchronization(synchronization)
        except ValueError:
            raise ValueError(f"Invalid variable synchronization mode: {synchronization} for "
                             f"variable: {name}") from None
    if trainable is None:
        trainable = synchronization != VariableSynchronization.ON_READ
    return synchronization, aggregation, trainable


@contextlib.contextmanager
def init_scope():
    """``tf.init_scope``: graph construction outside any control dependency (and control-flow
    branch), in the current name scope, as TF1 builds variable initializers."""
    graph = get_default_graph()
    with graph.control_dependencies(None):
        yield


def call_initializer(initializer, shape, dtype, partition_info=None):
    """``initializer(shape, dtype=...)``, with ``partition_info`` if it takes one (TF1's
    call: user functions often have no such parameter)."""
    try:
        params = inspect.signature(initializer).parameters
    except (TypeError, ValueError):
        params = {}
    if "partition_info" in params or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return initializer(shape, dtype=dtype, partition_info=partition_info)
    return initializer(shape, dtype=dtype)


def takes_no_arguments(fn) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in params)


# -- Variable methods ------------------------------------------------------------------------------
def _scatter_nd_update(self, indices, updates, name=None):
    """The variable's slices at the index tuples ``indices`` set to ``updates``; returns the
    new value. Likewise scatter_nd_add and scatter_nd_sub."""
    return state_ops.scatter_nd_update(self._variable, indices, updates, use_locking=True,
                                       name=name)


def _scatter_nd_add(self, indices, updates, name=None):
    return state_ops.scatter_nd_add(self._variable, indices, updates, name=name)


def _scatter_nd_sub(self, indices, updates, name=None):
    from .ops.array_extra_ops import scatter_nd_sub

    return scatter_nd_sub(self._variable, indices, updates, name=name)


def _batch_scatter_update(self, sparse_delta, use_locking=False, name=None):
    """``batch_scatter_update`` with an IndexedSlices (indices per batch row)."""
    from .indexed_slices import IndexedSlices

    if not isinstance(sparse_delta, IndexedSlices):
        raise TypeError(f"sparse_delta is not IndexedSlices: {sparse_delta}")
    return batch_scatter_update(self, sparse_delta.indices, sparse_delta.values,
                                use_locking=use_locking, name=name)


def _count_up_to(self, limit):
    from .ops.array_extra_ops import count_up_to

    return count_up_to(self._variable, limit)


def _strip(name: str, scope) -> str:
    return name[len(scope) + 1:] if scope and name.startswith(scope + "/") else name


def _to_proto(self, export_scope=None):
    """The variable as a ``VariableDef`` (names of its ops, ``export_scope`` stripped), or
    None when it is outside ``export_scope``."""
    if export_scope is not None and not self._variable.name.startswith(export_scope):
        return None
    variable_pb2 = importlib.import_module("minitf.protos.variable_pb2")
    return variable_pb2.VariableDef(
        variable_name=_strip(self._variable.name, export_scope),
        initial_value_name=_strip(self._initial_value.name, export_scope),
        initializer_name=_strip(self._initializer_op.name, export_scope),
        snapshot_name=_strip(self._snapshot.name, export_scope),
        trainable=self.trainable, synchronization=self.synchronization.value,
        aggregation=self.aggregation.value)


def from_proto(variable_def, import_scope=None):
    """A Variable over the default graph's ops a ``VariableDef`` names (TF1: not added to any
    collection)."""
    from .variables import Variable

    if getattr(variable_def, "is_resource", False):
        raise ValueError(f"{variable_def.variable_name} is a resource variable: not supported")
    graph = get_default_graph()
    prefix = f"{import_scope}/" if import_scope else ""
    variable = graph.get_tensor_by_name(prefix + variable_def.variable_name)
    initializer = graph.get_operation_by_name(prefix + variable_def.initializer_name)
    snapshot = graph.get_tensor_by_name(prefix + variable_def.snapshot_name)
    initial_value = graph.get_tensor_by_name(prefix + variable_def.initial_value_name) \
        if variable_def.initial_value_name else initializer.inputs[1]
    v = Variable._from_graph(variable, initializer, snapshot, initial_value,
                             variable_def.trainable)
    v._synchronization = VariableSynchronization(variable_def.synchronization)
    v._aggregation = VariableAggregation(variable_def.aggregation)
    return v


def attach(cls):
    cls.scatter_nd_update = _scatter_nd_update
    cls.scatter_nd_add = _scatter_nd_add
    cls.scatter_nd_sub = _scatter_nd_sub
    cls.batch_scatter_update = _batch_scatter_update
    cls.count_up_to = _count_up_to
    cls.to_proto = _to_proto
    cls.from_proto = staticmethod(from_proto)
    cls.synchronization = property(
        lambda self: getattr(self, "_synchronization", VariableSynchronization.AUTO))
    cls.aggregation = property(
        lambda self: getattr(self, "_aggregation", VariableAggregation.NONE))


# -- tf.batch_scatter_update -----------------------------------------------------------------------
def batch_scatter_update(ref, indices, updates, use_locking=True, name=None):
    """``tf.batch_scatter_update``: ``ref[i..., indices[i..., j]] = updates[i..., j]``, i.e.
    scatter_update per batch row; TF1 builds it as one ScatterNdUpdate with the batch
    coordinates prepended to ``indices``."""
    from .ops import concat_split_ops, math_ops, transform_ops

    ref = getattr(ref, "_variable", ref)
    with get_default_graph().name_scope(name or "batch_scatter_update"):
        indices = convert_to_tensor(indices, name="indices")
        rank = indices.shape.rank
        if rank is None:
            raise ValueError("batch_gather does not allow indices with unknown shape.")
        shape = array_ops.shape(indices)
        nd_indices = transform_ops.expand_dims(indices, -1)
        parts = []
        for d in range(rank - 1):
            size = shape[d]
            broadcast = [1] * (rank + 1)
            broadcast[d] = size
            coords = array_ops.reshape(math_ops.cast(array_ops.range_(0, size, 1),
                                                     indices.dtype), broadcast)
            parts.append(coords * array_ops.ones_like(nd_indices))
        parts.append(nd_indices)
        final = concat_split_ops.concat(parts, axis=-1)
        return state_ops.scatter_nd_update(ref, final, updates, use_locking=use_locking)
