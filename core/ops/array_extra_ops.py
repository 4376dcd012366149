"""Smaller array ops TF 1.x graphs use: ListDiff (tf.setdiff1d), UnravelIndex, BroadcastArgs
(tf.broadcast_dynamic_shape), Bitcast, ParallelConcat (tf.parallel_stack), CountUpTo,
EditDistance, the out-of-place TensorScatter{Sub,Max,Min} and the variable update ScatterNdSub.
"""

from __future__ import annotations

import collections

import threading

import numpy as np

from .. import dtypes as _dt
from ..errors import InternalError, InvalidArgumentError, OutOfRangeError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape
from ._math_util import _check_dtype
from .gather_ops import GATHER_ND, SCATTER_ND
from .slicing_ops import _shape_str
from .state_ops import _scatter_nd, _scatter_nd_infer, _scatter_op
from .tensor_scatter_ops import _kernel as _tensor_scatter_kernel
from .tensor_scatter_ops import scatter_nd_infer

__all__ = ["bitcast", "broadcast_dynamic_shape", "count_up_to", "edit_distance",
           "scatter_nd_sub", "setdiff1d", "tensor_scatter_nd_max", "tensor_scatter_nd_min",
           "tensor_scatter_nd_sub", "tensor_scatter_sub", "unravel_index"]

_INDEX_TYPES = ("int32", "int64")


def _no_gradient(op_type):
    """TensorFlow registers no gradient for ``op_type``: tf.gradients through it fails."""
    def grad(op, *_):
        raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op_type})")
    return grad


def _rank_is(spec, rank):
    if spec.shape.rank not in (None, rank):
        raise shape_error(f"Shape must be rank {rank} but is rank {spec.shape.rank}")


# -- ListDiff -------------------------------------------------------------------------------------
def _list_diff_kernel(x, y, *, out_idx):
    x, y = np.asarray(x), np.asarray(y)
    for v, what in ((x, "x"), (y, "y")):
        if v.ndim != 1:
            raise InvalidArgumentError(None, None, f"{what} should be a 1D vector.")
    if x.dtype.kind == "O":  # strings: hashing, as TF's set of y
        drop = set(y.tolist())
        keep = np.array([v not in drop for v in x.tolist()], dtype=bool)
    else:
        keep = ~np.isin(x, y)
    return x[keep], np.flatnonzero(keep).astype(out_idx.as_numpy_dtype)


def _list_diff_infer(x, y, *, out_idx):
    if out_idx.name not in _INDEX_TYPES:
        raise TypeError(f"Value for attr 'out_idx' of {out_idx.name} is not in the list of "
                        "allowed values: int32, int64")
    _rank_is(x, 1)
    _rank_is(y, 1)
    return [TensorSpec([None], x.dtype), TensorSpec([None], out_idx)]


LIST_DIFF = register(OpDef(
    "ListDiff", inputs=["x:T", "y:T"], attrs={"out_idx": _dt.int32},
    kernel=_list_diff_kernel, infer=_list_diff_infer, grad=_no_gradient("ListDiff"),
    doc="out: the values of x not in y, in order; idx: their positions in x.",
))

ListDiff = collections.namedtuple("ListDiff", ["out", "idx"])


def setdiff1d(x, y, index_dtype=_dt.int32, name=None):
    """``tf.setdiff1d``: (out, idx), the entries of ``x`` not in ``y`` and where they are."""
    return ListDiff(*LIST_DIFF(x, y, out_idx=_dt.as_dtype(index_dtype), name=name or "ListDiff"))


# -- UnravelIndex ---------------------------------------------------------------------------------
def _c_div(a, b):
    """C's integer division (toward zero), as TF's kernel computes."""
    q = a // b
    return np.where((a % b != 0) & ((a < 0) != (b < 0)), q + 1, q)


def _unravel_kernel(indices, dims):
    idx, dims = np.asarray(indices), np.asarray(dims)
    if idx.ndim > 1:
        raise InvalidArgumentError(None, None, f"The indices can only be scalar or vector, got "
                                   f"\"{_shape_str(idx.shape)}\"")
    if dims.ndim != 1:
        raise InvalidArgumentError(None, None, f"The indices can only be 1-D, got "
                                   f"\"{_shape_str(dims.shape)}\"")
    if (dims == 0).any():
        raise InvalidArgumentError(None, None, "Input dims cannot contain a dim of zero, but "
                                   f"dims contains zero at index {int(np.argmax(dims == 0))}")
    if (idx >= np.prod(dims, dtype=np.int64)).any():
        raise InvalidArgumentError(None, None, "index is out of bound as with dims")
    strides = np.concatenate([np.cumprod(dims[::-1])[::-1][1:], [1]]).astype(dims.dtype)
    # TF checks only the upper bound; a negative index gives C's quotients and remainders.
    q = _c_div(idx.reshape(1, -1), strides.reshape(-1, 1))
    out = np.fmod(q, dims.reshape(-1, 1)).astype(dims.dtype)
    return out[:, 0] if idx.ndim == 0 else out


def _unravel_infer(indices, dims):
    _rank_is(dims, 1)
    n = dims.shape[0].value if dims.shape.rank == 1 else None
    rank = indices.shape.rank
    if rank is None:
        return [TensorSpec(TensorShape(None), indices.dtype)]
    if rank == 0:
        return [TensorSpec([n], indices.dtype)]
    return [TensorSpec([n, indices.shape.num_elements()], indices.dtype)]


UNRAVEL_INDEX = register(OpDef(
    "UnravelIndex", inputs=["indices:Tidx=int32", "dims:Tidx=int32"],
    kernel=_unravel_kernel, infer=_unravel_infer, grad=NOT_DIFFERENTIABLE,
    doc="The coordinates in an array of shape dims of each flat index.",
))


def unravel_index(indices, dims, name=None):
    """``tf.unravel_index``: the coordinates (one row per dimension) of flat ``indices``."""
    return UNRAVEL_INDEX(indices, dims, name=name or "UnravelIndex")


# -- BroadcastArgs --------------------------------------------------------------------------------
def _broadcast_args_kernel(s0, s1):
    s0, s1 = np.asarray(s0), np.asarray(s1)
    for s in (s0, s1):
        if s.ndim != 1:
            raise InvalidArgumentError(None, None, f"In[0] and In[1] must be vectors, got shape "
                                       f"{_shape_str(s.shape)}")
    a, b = s0.tolist(), s1.tolist()
    n = max(len(a), len(b))
    pa, pb = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
    out = []
    for x, y in zip(pa, pb):
        if x != y and x != 1 and y != 1:
            raise InvalidArgumentError(None, None, f"Incompatible shapes: {_shape_str(a)} vs. "
                                       f"{_shape_str(b)}")
        out.append(y if x == 1 else x)
    return np.array(out, dtype=s0.dtype)


def _broadcast_args_infer(s0, s1):
    _check_dtype(s0, _INDEX_TYPES, "s0")
    _rank_is(s0, 1)
    _rank_is(s1, 1)
    n0 = s0.shape[0].value if s0.shape.rank == 1 else None
    n1 = s1.shape[0].value if s1.shape.rank == 1 else None
    return [TensorSpec([None if n0 is None or n1 is None else max(n0, n1)], s0.dtype)]


BROADCAST_ARGS = register(OpDef(
    "BroadcastArgs", inputs=["s0:T=int32", "s1:T=int32"],
    kernel=_broadcast_args_kernel, infer=_broadcast_args_infer, grad=NOT_DIFFERENTIABLE,
    doc="The shape two shapes broadcast to.",
))


def broadcast_dynamic_shape(shape_x, shape_y):
    """``tf.broadcast_dynamic_shape``: the broadcast shape of two shape vectors, at run time."""
    return BROADCAST_ARGS(shape_x, shape_y, name="BroadcastArgs")


# -- Bitcast --------------------------------------------------------------------------------------
# TF's allowed list for both T and type (bfloat16 aside: minitf has no such dtype).
_BITCAST_TYPES = ("float16", "float32", "float64", "int64", "int32", "uint8", "uint16", "uint32",
                  "uint64", "int8", "int16", "complex64", "complex128", "qint8", "quint8",
                  "qint16", "quint16", "qint32")


def _bitcast_kernel(x, *, type):  # noqa: A002 - TF's attr name
    x = np.asarray(x)
    x = x if x.flags.c_contiguous else x.copy()  # (ascontiguousarray would make scalars 1-D)
    to = np.dtype(type._np)  # a quantized type's storage integers, as its run-time values are
    a, b = x.dtype.itemsize, to.itemsize
    if a < b and (x.ndim == 0 or x.shape[-1] != b // a):
        raise InvalidArgumentError(None, None, f"Cannot bitcast from {x.dtype} to {to}: the last "
                                   f"dimension of {_shape_str(x.shape)} must be {b // a}")
    # TF reinterprets the bytes in the machine's order; numpy's view does the same.
    flat = x.reshape(-1).view(to)
    if a == b:
        return flat.reshape(x.shape)
    if a > b:
        return flat.reshape(x.shape + (a // b,))
    return flat.reshape(x.shape[:-1])


def _bitcast_infer(x, *, type):  # noqa: A002
    _check_dtype(x, _BITCAST_TYPES, "input")
    if type.name not in _BITCAST_TYPES:
        raise TypeError(f"Value for attr 'type' of {type.name} is not in the list of allowed "
                        f"values: {', '.join(_BITCAST_TYPES)}")
    a, b = x.dtype.size, type.size
    dims = x.shape.as_tuple()
    if a == b or dims is None:
        return [TensorSpec(x.shape, type)]
    if a > b:
        return [TensorSpec(list(dims) + [a // b], type)]
    if not dims:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    if dims[-1] is not None and dims[-1] != b // a:
        # (TF's words, which name the dtypes by their enum values)
        raise shape_error(f"Cannot bitcast from {x.dtype.as_datatype_enum} to "
                          f"{type.as_datatype_enum} due to shape. {dims[-1]} does not match "
                          f"{b // a}")
    return [TensorSpec(list(dims[:-1]), type)]


BITCAST = register(OpDef(
    "Bitcast", inputs=["input:T"], attrs={"type": req("type")},
    kernel=_bitcast_kernel, infer=_bitcast_infer, grad=_no_gradient("Bitcast"),
    doc="The bytes of input read as another dtype (a last dimension added or removed).",
))


def bitcast(input, type, name=None):  # noqa: A002
    """``tf.bitcast``: ``input``'s bytes reinterpreted as ``type``."""
    return BITCAST(input, type=_dt.as_dtype(type), name=name or "Bitcast")


# -- ParallelConcat (tf.parallel_stack) -----------------------------------------------------------
def _parallel_concat_kernel(values, *, shape):
    out = np.concatenate([np.asarray(v) for v in values], axis=0)
    if out.shape != tuple(shape.as_list()):
        raise InvalidArgumentError(None, None, f"ParallelConcat: the inputs make shape "
                                   f"{_shape_str(out.shape)}, not {shape.debug_string()}")
    return out


def _parallel_concat_infer(values, *, shape):
    if not shape.is_fully_defined():
        raise shape_error("shape attr must be fully defined.")
    row = TensorShape([1, *shape.as_tuple()[1:]])
    for v in values:
        if not v.shape.is_fully_defined():
            raise shape_error("All input shapes must be fully defined.")
        if v.shape.rank < 1:
            raise shape_error("The rank of all input shapes must be at least 1")
        if not v.shape.is_compatible_with(row):
            raise shape_error(f"Input shape {v.shape} does not match {row}")
    return [TensorSpec(shape, values[0].dtype)]


PARALLEL_CONCAT = register(OpDef(
    "ParallelConcat", inputs=["values:N*T"], attrs={"shape": req("shape")},
    kernel=_parallel_concat_kernel, infer=_parallel_concat_infer,
    grad=_no_gradient("ParallelConcat"),
    doc="The inputs (each of first dimension 1) concatenated along it into ``shape``.",
))


# -- CountUpTo ------------------------------------------------------------------------------------
# Read-check-increment is one step for every thread (queue runners count epochs concurrently).
_COUNT_LOCK = threading.Lock()


def _count_up_to_kernel(cell, *, limit):
    with _COUNT_LOCK:
        cur = cell.value
        if cur is None:
            cell.get()  # raises FailedPreconditionError naming the variable
        before = cur.copy()
        if before >= limit:
            raise OutOfRangeError(None, None, f"Reached limit of {limit}")
        np.add(cur, 1, out=cur)  # in place: the variable's buffer, as every update op
        return before


def _count_up_to_infer(ref, *, limit):
    _check_dtype(ref, _INDEX_TYPES, "ref")
    _rank_is(ref, 0)
    return [TensorSpec([], ref.dtype)]


COUNT_UP_TO = register(OpDef(
    "CountUpTo", inputs=["ref:Ref(T)"], attrs={"limit": req("int")},
    kernel=_count_up_to_kernel, infer=_count_up_to_infer, grad=NOT_DIFFERENTIABLE,
    stateful=True,
    doc="The variable's value, then the variable incremented; OutOfRange at the limit.",
))


def count_up_to(ref, limit, name=None):
    """``tf.count_up_to``: increments the integer variable ``ref`` until ``limit``, returning
    its value before the increment; then raises OutOfRangeError."""
    return COUNT_UP_TO(ref, limit=limit, name=name or "CountUpTo")


# -- EditDistance ---------------------------------------------------------------------------------
def _levenshtein(a: list, b: list) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def _sequences(name, indices, values, shape):
    """{group (all but the last coordinate): values in order of the last coordinate}."""
    indices, values, shape = np.asarray(indices), np.asarray(values), np.asarray(shape)
    if indices.ndim != 2:
        raise InvalidArgumentError(None, None, f"{name}_indices should be a matrix, but got "
                                   f"shape: {_shape_str(indices.shape)}")
    if values.ndim != 1:
        raise InvalidArgumentError(None, None, f"{name}_values should be a vector, but got "
                                   f"shape: {_shape_str(values.shape)}")
    if shape.ndim != 1 or shape.size != indices.shape[1]:
        raise InvalidArgumentError(None, None, f"{name}_shape should be a vector of "
                                   f"{indices.shape[1]} entries, but got shape: "
                                   f"{_shape_str(shape.shape)}")
    if values.size != indices.shape[0]:
        raise InvalidArgumentError(None, None, f"Expected {name}_values.dim_size(0) == "
                                   f"{name}_indices.dim_size(0), got {values.size} vs. "
                                   f"{indices.shape[0]}")
    groups: dict = {}
    order = np.lexsort(indices.T[::-1]) if indices.size else np.arange(0)
    for k in order.tolist():
        groups.setdefault(tuple(indices[k, :-1].tolist()), []).append(values[k])
    return groups, shape


def _edit_distance_kernel(hi, hv, hs, ti, tv, ts, *, normalize):
    hyp, hs = _sequences("hypothesis", hi, hv, hs)
    truth, ts = _sequences("truth", ti, tv, ts)
    if hs.size != ts.size:
        raise InvalidArgumentError(None, None, "Num elements of hypothesis_shape does not match "
                                   f"truth_shape: {hs.size} vs. {ts.size}")
    out_shape = tuple(int(d) for d in np.maximum(hs[:-1], ts[:-1]))
    out = np.zeros(out_shape, np.float32)
    flat = out.reshape(-1)
    strides = np.cumprod((1,) + out_shape[:0:-1])[::-1]
    for key in sorted(hyp.keys() | truth.keys()):
        # As TF, only the flat position is bounds-checked.
        loc = int(np.dot(key, strides)) if key else 0
        if not 0 <= loc < flat.size:
            raise InternalError(None, None, f"Got an inner product {loc} which would require "
                                f"writing to outside of the buffer for the output tensor (max "
                                f"elements {flat.size})")
        h, t = hyp.get(key, []), truth.get(key, [])
        dist = np.float32(_levenshtein(h, t))
        if normalize:
            with np.errstate(divide="ignore"):
                dist = dist / np.float32(len(t))  # an empty truth: inf, as TF
        flat[loc] = dist
    return out


def _edit_distance_infer(hi, hv, hs, ti, tv, ts, *, normalize):
    if hv.dtype != tv.dtype:
        raise TypeError(f"Input 'truth_values' of 'EditDistance' Op has type {tv.dtype.name} "
                        f"that does not match type {hv.dtype.name} of argument "
                        "'hypothesis_values'.")
    h, t = hs.value, ts.value
    if h is None or t is None:
        return [TensorSpec(TensorShape(None), _dt.float32)]
    for v, what in ((h, "Hypothesis"), (t, "Truth")):
        if v.size < 2:
            raise shape_error(f"Input {what} SparseTensors must have rank at least 2, but "
                              f"{what.lower()}_shape rank is: {v.size}")
    if h.size != t.size:
        raise shape_error("Num elements of hypothesis_shape does not match truth_shape: "
                          f"{h.size} vs. {t.size}")
    return [TensorSpec([int(max(a, b)) for a, b in zip(h[:-1], t[:-1])], _dt.float32)]


EDIT_DISTANCE = register(OpDef(
    "EditDistance", inputs=["hypothesis_indices:int64", "hypothesis_values:T",
                            "hypothesis_shape:int64", "truth_indices:int64", "truth_values:T",
                            "truth_shape:int64"],
    attrs={"normalize": True},
    kernel=_edit_distance_kernel, infer=_edit_distance_infer, grad=NOT_DIFFERENTIABLE,
    doc="Levenshtein distance of the sequences of two SparseTensors (last dimension).",
))


def edit_distance(hypothesis, truth, normalize=True, name="edit_distance"):
    """``tf.edit_distance``: the Levenshtein distance between the sequences (the last
    dimension) of two SparseTensors, divided by the truth's length if ``normalize``."""
    from ..sparse_tensor import SparseTensor, SparseTensorValue

    for value, what in ((hypothesis, "Hypothesis"), (truth, "Truth")):
        if not isinstance(value, (SparseTensor, SparseTensorValue)):
            raise TypeError(f"{what} must be a SparseTensor.")
    h, t = SparseTensor.from_value(hypothesis), SparseTensor.from_value(truth)
    return EDIT_DISTANCE(h.indices, h.values, h.dense_shape, t.indices, t.values,
                         t.dense_shape, normalize=normalize, name=name)


# -- TensorScatter{Sub,Max,Min} -------------------------------------------------------------------
def _tensor_scatter_sub_grad(op, dy):
    from .array_ops import identity
    from .unary_ops import negative

    indices = op.inputs[1]
    return [identity(dy), None, negative(GATHER_ND(dy, indices))]


def _tensor_scatter_extreme_grad(op, dy):
    """TF's rule: the gradient goes to whichever of the tensor entry and the updates equal the
    output, split evenly between ties."""
    from .array_ops import shape
    from .logic_ops import equal
    from .math_ops import cast

    x, indices, y = op.inputs
    out = op.outputs[0]
    policy = op._get_attr("bad_indices_policy")  # TF's rule passes it on
    x_hit = cast(equal(x, out), dy.dtype)
    y_hit = cast(equal(y, GATHER_ND(out, indices, bad_indices_policy=policy)), dy.dtype)
    hits = x_hit + SCATTER_ND(indices, y_hit, shape(x, out_type=indices.dtype),
                              bad_indices_policy=policy)
    return [dy * x_hit / hits, None,
            GATHER_ND(dy / hits, indices, bad_indices_policy=policy) * y_hit]


def _tensor_scatter(op_type, apply, grad):
    return register(OpDef(
        op_type, inputs=["tensor:T", "indices:Tindices", "updates:T"],
        attrs={"bad_indices_policy": ""},
        kernel=_tensor_scatter_kernel(op_type, apply), infer=scatter_nd_infer, grad=grad,
        doc=f"A copy of tensor with updates combined in at index tuples ({op_type}).",
    ))


TENSOR_SCATTER_SUB = _tensor_scatter("TensorScatterSub", np.subtract.at,
                                     _tensor_scatter_sub_grad)
TENSOR_SCATTER_MAX = _tensor_scatter("TensorScatterMax", np.maximum.at,
                                     _tensor_scatter_extreme_grad)
TENSOR_SCATTER_MIN = _tensor_scatter("TensorScatterMin", np.minimum.at,
                                     _tensor_scatter_extreme_grad)


def tensor_scatter_nd_sub(tensor, indices, updates, name=None):
    """``tf.tensor_scatter_nd_sub``: a copy of ``tensor`` with ``updates`` subtracted at
    ``indices`` (repeats all apply)."""
    return TENSOR_SCATTER_SUB(tensor, indices, updates, name=name or "TensorScatterSub")


def tensor_scatter_nd_max(tensor, indices, updates, name=None):
    """``tf.tensor_scatter_nd_max``: a copy of ``tensor``, each slice at ``indices`` the
    maximum of itself and its updates."""
    return TENSOR_SCATTER_MAX(tensor, indices, updates, name=name or "TensorScatterMax")


def tensor_scatter_nd_min(tensor, indices, updates, name=None):
    """``tf.tensor_scatter_nd_min``: as tensor_scatter_nd_max, with the minimum."""
    return TENSOR_SCATTER_MIN(tensor, indices, updates, name=name or "TensorScatterMin")


tensor_scatter_sub = tensor_scatter_nd_sub


# -- ScatterNdSub ---------------------------------------------------------------------------------
SCATTER_ND_SUB = _scatter_op("ScatterNdSub", np.subtract.at, False, _scatter_nd,
                             _scatter_nd_infer)


def scatter_nd_sub(ref, indices, updates, use_locking=False, name=None):
    """TF1's ``tf.scatter_nd_sub``: ``updates`` subtracted from the variable's slices at
    ``indices`` (repeats all apply); returns its value after the update."""
    return SCATTER_ND_SUB(ref, indices, updates, use_locking=bool(use_locking),
                          name=name or "ScatterNdSub")
