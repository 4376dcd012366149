"""SparseTensors through tf.train's queue batching, as TF stores them: each goes into a
SparseTensorsMap (core/ops/sparse_tensors_map_ops.py), the queue carries its int64 handle
([1] per element, [N, 1] with enqueue_many) and TakeManySparseFromTensorsMap rebuilds the
batched SparseTensor after the dequeue (TF's input.py _store/_restore_sparse_tensors)."""

from __future__ import annotations

from .. import dtypes as _dt
from ..distributions_util import with_dependencies
from ..graph import constant_value, convert_to_tensor
from ..ops import array_ops
from ..ops.gather_ops import gather
from ..ops.sparse_tensors_map_ops import (add_many_sparse_to_tensors_map,
                                          add_sparse_to_tensors_map,
                                          take_many_sparse_from_tensors_map)
from ..ops.transform_ops import expand_dims, squeeze
from ..sparse import retain as sparse_retain
from ..sparse_tensor import SparseTensor
from ..tensor_shape import as_dimension


def _smart_cond(pred, true_fn, false_fn):
    """TF's smart_cond: the branch itself when ``pred`` is known statically, else tf.cond."""
    value = constant_value(pred)
    if value is not None:
        return true_fn() if bool(value) else false_fn()
    from ..control_flow import cond

    return cond(pred, true_fn, false_fn)


class _SparseMetaData:
    """Per component of a batched list: whether it is sparse, the Add op that stored it (its
    map) and its statically known rank as an element (without the enqueue_many dimension)."""

    def __init__(self, sparse, map_op, rank):
        self._sparse, self._map_op, self._rank = sparse, map_op, as_dimension(rank)

    sparse = property(lambda self: self._sparse)
    map_op = property(lambda self: self._map_op)
    rank = property(lambda self: self._rank)

    def __eq__(self, other):
        if self.sparse != other.sparse:
            return False
        if not self.sparse:
            return True
        # Components of one queue must come out of one map, with compatible ranks.
        return self.map_op is other.map_op and self.rank.is_compatible_with(other.rank)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __str__(self):
        name = self.map_op.name if self.map_op is not None else None
        return f"[SparseMetaData({self.sparse}, {name}, {self.rank})]"

    def merge_with(self, other):
        if self != other:
            raise ValueError(f"SparseMetaData objects are incompatible: {self} vs. {other}")
        if self.sparse:
            self._rank = self.rank.merge_with(other.rank)
        return self


def _store_sparse_tensors(tensor_list, enqueue_many, keep_input, shared_map_ops=None):
    """(``tensor_list`` with each SparseTensor replaced by its handle(s) in a SparseTensorsMap,
    expanded to [1] / [N, 1] for the queue, their ``_SparseMetaData``). ``shared_map_ops``
    (batch_join's later lists) stores into the maps of the first list's Add ops."""
    shared_map_ops = shared_map_ops or [None] * len(tensor_list)

    def store(t, shared_map_op):
        if not isinstance(t, SparseTensor):
            return t, _SparseMetaData(False, None, None)
        map_name = shared_map_op.name if shared_map_op is not None else None
        if keep_input.shape.rank == 1:  # enqueue_many: drop the entries of rows not kept
            t = sparse_retain(t, gather(keep_input, t.indices[:, 0]))
            stored = add_many_sparse_to_tensors_map(t, shared_name=map_name)
        elif enqueue_many:
            stored = _smart_cond(
                keep_input, lambda: add_many_sparse_to_tensors_map(t, shared_name=map_name),
                lambda: -1 * array_ops.ones(array_ops.shape(t)[0:1], _dt.int64))
            stored.set_shape([None])  # a tf.cond's Merge loses it when t's rank is unknown
        else:
            stored = _smart_cond(
                keep_input, lambda: add_sparse_to_tensors_map(t, shared_name=map_name),
                lambda: convert_to_tensor(-1, dtype=_dt.int64, name="Const"))
        rank = t.dense_shape.shape.with_rank(1)[0]
        if enqueue_many:
            rank -= 1
        info = _SparseMetaData(True, shared_map_op or _storing_op(stored), rank)
        return expand_dims(stored, [-1]), info

    pairs = [store(t, op) for t, op in zip(tensor_list, shared_map_ops)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _storing_op(stored):
    """The Add op behind a stored handle (the input of tf.cond's Merge when keep_input is
    only known at run time)."""
    if stored.op.type in ("AddSparseToTensorsMap", "AddManySparseToTensorsMap"):
        return stored.op
    for t in stored.op.inputs:
        if t.op.type in ("AddSparseToTensorsMap", "AddManySparseToTensorsMap"):
            return t.op
    raise ValueError(f"No SparseTensorsMap op feeds {stored.name}")


def _store_sparse_tensors_join(tensor_list_list, enqueue_many, keep_input):
    """``_store_sparse_tensors`` for every list of batch_join, all into the first list's maps
    (the one Take after the dequeue reads one map per component)."""
    stored0, infos = _store_sparse_tensors(tensor_list_list[0], enqueue_many, keep_input)
    stored_list_list = [stored0]
    for tensor_list in tensor_list_list[1:]:
        stored, candidate = _store_sparse_tensors(tensor_list, enqueue_many, keep_input,
                                                  [info.map_op for info in infos])
        if infos != candidate:
            raise ValueError(f"Inconsistent SparseTensors list: {tensor_list_list[0]} vs. "
                             f"{tensor_list}")
        infos = [a.merge_with(b) for a, b in zip(infos, candidate)]
        stored_list_list.append(stored)
    return stored_list_list, infos


def _restore_sparse_tensors(stored_list, sparse_infos):
    """The dequeued components with each sparse one's handles ([batch, 1]) turned back into
    a batched SparseTensor; every output waits for all the Takes (so a run fetching only
    some still empties the map of the others)."""
    is_list = isinstance(stored_list, (list, tuple))
    if not is_list:
        stored_list = [stored_list]
    tensors = [take_many_sparse_from_tensors_map(
        info.map_op, squeeze(s, [1]),
        rank=None if info.rank.value is None else info.rank.value + 1)
        if info.sparse else s for s, info in zip(stored_list, sparse_infos)]
    if not any(isinstance(x, SparseTensor) for x in tensors):
        return tensors if is_list else tensors[0]
    deps = [x.values if isinstance(x, SparseTensor) else x for x in tensors]
    out = [SparseTensor(with_dependencies(deps, x.indices), with_dependencies(deps, x.values),
                        with_dependencies(deps, x.dense_shape))
           if isinstance(x, SparseTensor) else with_dependencies(deps, x) for x in tensors]
    return out if is_list else out[0]
