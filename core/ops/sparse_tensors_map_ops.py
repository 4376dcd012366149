"""TF's SparseTensorsMap ops: AddSparseToTensorsMap, AddManySparseToTensorsMap and
TakeManySparseFromTensorsMap, which carry SparseTensors through queues as int64 handles
(core/train/input.py's batching), with TF's private Python wrappers.

The map is a per-session resource found by (container, shared_name) without a handle, as TF's
ResourceMgr finds it (core/plan_resources.py's ``SHARED_FAMILIES``): an empty shared_name means
the node's own name, so an Add op and the Take op whose shared_name is the Add op's name meet.
Handles count up from 0 per map; Take removes what it reads. None is differentiable.
"""

from __future__ import annotations

import threading

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import Operation, colocate_with, convert_to_tensor
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req
from ..plan_resources import SHARED_FAMILIES
from ..sparse_tensor import SparseTensor, convert_to_sparse
from ._quantize_util import with_rank
from .queue_ops import resource_in, resource_name

__all__: list[str] = []  # private wrappers, as TF's sparse_ops._add_sparse_to_tensors_map...


def _error(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, None, message)


def _dims(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


class SparseTensorsMap:
    """One map of a session: handle -> (indices, values, dense shape)."""

    def __init__(self, name: str):
        self.name = name
        self._lock = threading.Lock()
        self._next = 0
        self._items: dict[int, tuple] = {}

    def add(self, indices, values, shape) -> int:
        # Copies: an input may be a view of a variable that changes before the Take.
        item = (np.array(indices, np.int64), np.array(values), np.array(shape, np.int64))
        with self._lock:
            handle, self._next = self._next, self._next + 1
            self._items[handle] = item
        return handle

    def take(self, handles, map_name: str) -> list:
        """The tensors of ``handles``, removed from the map (those before a missing one too,
        as TF's)."""
        out = []
        with self._lock:
            for h in handles:
                item = self._items.pop(int(h), None)
                if item is None:
                    raise _error(f"Unable to find SparseTensor: {int(h)} in map: {map_name}")
                out.append(item)
        return out


def _map(state, shared_name: str, default: str) -> SparseTensorsMap:
    return resource_in(state, lambda: SparseTensorsMap(resource_name(shared_name, None,
                                                                     default)
                                                       if default else shared_name))


def _check_inputs(indices, values, shape):
    """The Add ops' first checks: matrix, vector, vector."""
    indices, values, shape = np.asarray(indices), np.asarray(values), np.asarray(shape)
    for what, arr, rank, kind in (("indices", indices, 2, "a matrix"),
                                  ("values", values, 1, "a vector"),
                                  ("shape", shape, 1, "a vector")):
        if arr.ndim != rank:
            raise _error(f"Input {what} should be {kind} but received shape {_dims(arr.shape)}")
    return indices, values, shape


# -- kernels ---------------------------------------------------------------------------------------
def _add_kernel(state, indices, values, shape, *, container, shared_name):
    indices, values, shape = _check_inputs(indices, values, shape)
    for d in shape:
        if d < 0:
            raise _error(f"Dimension {int(d)} must be >= 0")
    # TF's SparseTensor::Create: rows agree, then the rank of the indices that of the shape
    # (said through the "order", which has one entry per shape dimension).
    if indices.shape[0] != values.shape[0]:
        raise _error("indices and values rows (indexing dimension) must match. (indices = "
                     f"{indices.shape[0]}, values = {values.shape[0]})")
    if indices.shape[1] != shape.size:
        raise _error("Order length must be SparseTensor rank.")
    handle = _map(state, shared_name, None).add(indices, values, shape)
    return np.int64(handle)


def _add_many_kernel(state, indices, values, shape, *, container, shared_name):
    indices, values, shape = _check_inputs(indices, values, shape)
    if values.shape[0] != indices.shape[0]:
        raise _error("Number of values must match first dimension of indices. Got "
                     f"{values.shape[0]} values, indices shape: {_dims(indices.shape)}")
    if shape.shape[0] != indices.shape[1]:
        raise _error("Number of dimensions must match second dimension of indices. Got "
                     f"{shape.shape[0]} dimensions, indices shape: {_dims(indices.shape)}")
    rank = shape.size
    if rank <= 1:
        raise _error(f"Rank of input SparseTensor should be > 1, but saw rank: {rank}")
    for d in shape:
        if d < 0:
            raise _error(f"Expected shape dimensions to be non-negative, got {int(d)}")
    _check_indices_valid(indices, shape)
    the_map = _map(state, shared_name, None)
    n = int(shape[0])
    handles = np.zeros(n, np.int64)
    seen = np.zeros(n, bool)
    rows = indices[:, 0]
    # Entries are sorted (checked above), so each minibatch entry is one run of rows; handles
    # are given in run order, then to the empty entries in row order, as TF's kernel does.
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if rows.size else []
    ends = list(starts[1:]) + [rows.size]
    for a, b in zip(starts, ends):
        r = int(rows[a])
        handles[r] = the_map.add(indices[a:b, 1:], values[a:b], shape[1:])
        seen[r] = True
    for r in np.flatnonzero(~seen):
        handles[r] = the_map.add(np.zeros((0, rank - 1), np.int64), values[:0], shape[1:])
    return handles


def _check_indices_valid(indices, shape):
    """TF's SparseTensor::IndicesValid: every index in bounds, in strictly increasing
    lexicographic order."""
    def text(row):
        return _dims(int(v) for v in row)
    for i, row in enumerate(indices):
        if np.any(row < 0) or np.any(row >= shape):
            raise _error(f"indices[{i}] = {text(row)} is out of bounds: need 0 <= index < "
                         f"{text(shape)}")
        if i:
            prev = indices[i - 1]
            diff = np.flatnonzero(row != prev)
            if not diff.size:
                raise _error(f"indices[{i}] = {text(row)} is repeated")
            if row[diff[0]] < prev[diff[0]]:
                raise _error(f"indices[{i}] = {text(row)} is out of order. Many sparse ops "
                             "require sorted indices.\n    Use `tf.sparse.reorder` to create a "
                             "correctly ordered copy.\n\n")


def _take_kernel(state, handles, *, dtype, container, shared_name):
    handles = np.asarray(handles)
    if handles.ndim != 1:
        raise _error(f"sparse_handles should be a vector but received shape "
                     f"{_dims(handles.shape)}")
    n = handles.shape[0]
    if n == 0:
        raise _error("Must have at least 1 serialized SparseTensor, but input matrix has 0 rows")
    the_map = _map(state, shared_name, "TakeManySparseFromTensorsMap")
    items = the_map.take(handles, the_map.name or shared_name)
    want = dtype.as_numpy_dtype
    rank = items[0][2].size
    dense = np.zeros(rank + 1, np.int64)
    dense[0] = n
    for i, (_, val, shp) in enumerate(items):
        got = _dt.from_numpy(val)
        if got is not dtype:
            raise _error(f"Requested SparseTensor of type {_type_text(dtype)} but "
                         f"SparseTensor[{i}].values.dtype() == {_type_text(got)}")
        if shp.size != rank:
            raise _error(f"Inconsistent rank across SparseTensors: rank prior to "
                         f"SparseTensor[{i}] was: {rank + 1} but rank of SparseTensor[{i}] is: "
                         f"{shp.size + 1}")
        if rank:
            dense[1:] = np.maximum(dense[1:], shp)
    out_ind = np.concatenate(
        [np.hstack([np.full((len(ind), 1), i, np.int64), ind.reshape(len(ind), rank)])
         for i, (ind, _, _) in enumerate(items)])
    out_val = np.concatenate([val for _, val, _ in items]).astype(want, copy=False)
    return [out_ind, out_val, dense]


def _type_text(dtype) -> str:
    """TF's DataTypeString: float32 is "float", float64 "double"."""
    return {"float32": "float", "float64": "double"}.get(dtype.name, dtype.name)


# -- inference: TF's shape functions ---------------------------------------------------------------
def _add_infer(many):
    def infer(indices, values, shape, *, container, shared_name):
        with_rank(indices, 2)
        with_rank(values, 1)
        with_rank(shape, 1)
        return [TensorSpec([None] if many else [], _dt.int64)]
    return infer


def _take_infer(handles, *, dtype, container, shared_name):
    with_rank(handles, 1)
    return [TensorSpec([None, None], _dt.int64), TensorSpec([None], dtype),
            TensorSpec([None], _dt.int64)]


_ATTRS = {"container": "", "shared_name": ""}
_SPARSE_IN = ["sparse_indices:int64", "sparse_values:T", "sparse_shape:int64"]

ADD_SPARSE_TO_TENSORS_MAP = register(OpDef(
    "AddSparseToTensorsMap", inputs=_SPARSE_IN, attrs=dict(_ATTRS), kernel=_add_kernel,
    infer=_add_infer(False), grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
    doc="Stores a SparseTensor in the session's SparseTensorsMap; outputs its int64 handle."))
ADD_MANY_SPARSE_TO_TENSORS_MAP = register(OpDef(
    "AddManySparseToTensorsMap", inputs=_SPARSE_IN, attrs=dict(_ATTRS),
    kernel=_add_many_kernel, infer=_add_infer(True), grad=NOT_DIFFERENTIABLE, stateful=True,
    resource="state",
    doc="Stores each minibatch entry (first dimension) of a sorted SparseTensor of rank > 1 in "
        "the SparseTensorsMap; outputs their N handles."))
TAKE_MANY_SPARSE_FROM_TENSORS_MAP = register(OpDef(
    "TakeManySparseFromTensorsMap", inputs=["sparse_handles:int64"],
    attrs={"dtype": req("type"), **_ATTRS}, kernel=_take_kernel, infer=_take_infer,
    grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
    doc="Removes the SparseTensors of N handles from the map and stacks them along a new first "
        "dimension (each other dimension the largest of theirs)."))

SHARED_FAMILIES.update({t: "SparseTensorsMap" for t in (
    "AddSparseToTensorsMap", "AddManySparseToTensorsMap", "TakeManySparseFromTensorsMap")})


# -- TF's private wrappers (tensorflow/python/ops/sparse_ops.py) ---------------------------------
def add_sparse_to_tensors_map(sp_input, container=None, shared_name=None, name=None):
    """The scalar int64 handle of ``sp_input`` stored in a SparseTensorsMap."""
    sp = convert_to_sparse(sp_input)
    return ADD_SPARSE_TO_TENSORS_MAP(sp.indices, sp.values, sp.dense_shape,
                                     container=container or "",
                                     shared_name=shared_name or "",
                                     name=name or "AddSparseToTensorsMap")


def add_many_sparse_to_tensors_map(sp_input, container=None, shared_name=None, name=None):
    """The N int64 handles of ``sp_input``'s minibatch entries stored in a SparseTensorsMap."""
    sp = convert_to_sparse(sp_input)
    return ADD_MANY_SPARSE_TO_TENSORS_MAP(sp.indices, sp.values, sp.dense_shape,
                                          container=container or "",
                                          shared_name=shared_name or "",
                                          name=name or "AddManySparseToTensorsMap")


def take_many_sparse_from_tensors_map(sparse_map_op, sparse_handles, rank=None, name=None):
    """The SparseTensor stacking those ``sparse_handles`` (int64 [N]) name in the map
    ``sparse_map_op`` (an Add op) stored them in; ``rank`` is their rank + 1, when known."""
    if not isinstance(sparse_map_op, Operation):
        raise TypeError("sparse_map_op be an Operation")
    if sparse_map_op.type not in ("AddSparseToTensorsMap", "AddManySparseToTensorsMap"):
        raise TypeError("sparse_map_op must be one of AddSparseToTensorsMap or "
                        f"AddSparseToTensorsMap. Instead, found `{sparse_map_op.type}`.")
    with colocate_with(sparse_map_op):
        shared_name = sparse_map_op._get_attr("shared_name") or sparse_map_op.name
        indices, values, shape = TAKE_MANY_SPARSE_FROM_TENSORS_MAP(
            convert_to_tensor(sparse_handles, dtype=_dt.int64, name="sparse_handles"),
            dtype=sparse_map_op._get_attr("T"), container=sparse_map_op._get_attr("container"),
            shared_name=shared_name, name=name or "TakeManySparseFromTensorsMap")
    indices.set_shape([None, rank])
    shape.set_shape([rank])
    return SparseTensor(indices, values, shape)
