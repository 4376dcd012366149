"""Set ops over the last dimension (tf.sets): SetSize, DenseToDenseSetOperation,
DenseToSparseSetOperation and SparseToSparseSetOperation, as TF's set_kernels.cc.

Every index of the leading dimensions (the "group") holds a set: the values along the last
dimension of a dense tensor (all of them: -1 or "" are elements too), or a sparse tensor's
values at that group. Results are SparseTensor triples whose groups are in row-major order, each
set sorted ascending, the last dimension as long as the largest set. The public functions live
in core/sets.py."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import Dimension, TensorShape
from .sparse_ops import _linear, _triple

__all__: list[str] = []

SET_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "string")
OPERATIONS = ("a-b", "b-a", "intersection", "union")


# -- kernels -------------------------------------------------------------------------------------
def _join(values):
    return ",".join(str(int(v)) for v in values)


def _group_shape(shape):
    """shape[:-1]; TF refuses rank < 2 (a set needs a group and an element dimension)."""
    shape = [int(d) for d in shape]
    if len(shape) < 2:
        raise InvalidArgumentError(None, None, f"Shape [{_join(shape)}] has rank "
                                   f"{len(shape)} < 2")
    return tuple(shape[:-1])


def _same_groups(g1, g2):
    if g1 != g2:
        raise InvalidArgumentError(None, None, f"Mismatched shapes [{_join(g1)}] vs "
                                   f"[{_join(g2)}]")
    return g1


def _sparse_sets(indices, values, shape, validate_indices, what):
    """(group shape, {group index: set of values}) of a sparse operand."""
    idx, vals, shp = _triple(indices, values, shape, what)
    groups = _group_shape(shp)
    if validate_indices and idx.shape[0]:
        bad = ((idx < 0) | (idx >= shp)).any(axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise InvalidArgumentError(None, None, f"indices[{i}] = [{_join(idx[i])}] is out of "
                                       f"bounds: need 0 <= index < [{_join(shp)}]")
        step = np.diff(_linear(idx, shp))
        if (step <= 0).any():  # SparseTensor::IndicesValid: row-major, no repeats
            i = int(np.argmax(step <= 0)) + 1
            problem = "is repeated" if step[i - 1] == 0 else (
                "is out of order. Many sparse ops require sorted indices.\n    Use "
                "`tf.sparse.reorder` to create a correctly ordered copy.\n\n")
            raise InvalidArgumentError(None, None, f"indices[{i}] = "
                                       f"[{_join(idx[i])}] {problem}")
    sets: dict[tuple, set] = {}
    for key, v in zip(map(tuple, idx[:, :-1].tolist()), vals.tolist()):
        sets.setdefault(key, set()).add(v)
    return groups, sets


def _dense_sets(x):
    x = np.asarray(x)
    groups = _group_shape(x.shape)
    rows = x.reshape(int(np.prod(groups, dtype=np.int64)), x.shape[-1]).tolist()
    return groups, {key: set(row) for key, row in zip(np.ndindex(*groups), rows)}


def _apply(a, b, operation):
    if operation == "a-b":
        return a - b
    if operation == "b-a":
        return b - a
    if operation == "intersection":
        return a & b
    return a | b


def _result(groups, sets1, sets2, keys, operation, dtype):
    """The SparseTensor triple of the non-empty results, in row-major group order."""
    rows, vals, width = [], [], 0
    for key in sorted(keys):
        out = sorted(_apply(sets1.get(key, set()), sets2.get(key, set()), operation))
        width = max(width, len(out))
        rows += [key + (j,) for j in range(len(out))]
        vals += out
    indices = np.array(rows, np.int64).reshape(len(rows), len(groups) + 1)
    return [indices, np.array(vals, dtype=dtype), np.array(groups + (width,), np.int64)]


def _check_operation(operation):
    if operation not in OPERATIONS:
        raise InvalidArgumentError(None, None, f"Invalid set_operation {operation}.")


def _dense_dense_kernel(set1, set2, *, set_operation, validate_indices):
    _check_operation(set_operation)
    g1, s1 = _dense_sets(set1)
    g2, s2 = _dense_sets(set2)
    groups = _same_groups(g1, g2)
    return _result(groups, s1, s2, s1.keys(), set_operation, np.asarray(set1).dtype)


def _dense_sparse_kernel(set1, set2_indices, set2_values, set2_shape, *, set_operation,
                         validate_indices):
    _check_operation(set_operation)
    g1, s1 = _dense_sets(set1)
    g2, s2 = _sparse_sets(set2_indices, set2_values, set2_shape, validate_indices, "set2")
    groups = _same_groups(g1, g2)
    return _result(groups, s1, s2, s1.keys(), set_operation, np.asarray(set1).dtype)


def _sparse_sparse_kernel(set1_indices, set1_values, set1_shape, set2_indices, set2_values,
                          set2_shape, *, set_operation, validate_indices):
    _check_operation(set_operation)
    g1, s1 = _sparse_sets(set1_indices, set1_values, set1_shape, validate_indices, "set1")
    g2, s2 = _sparse_sets(set2_indices, set2_values, set2_shape, validate_indices, "set2")
    groups = _same_groups(g1, g2)
    return _result(groups, s1, s2, set(s1) | set(s2), set_operation,
                   np.asarray(set1_values).dtype)


def _set_size_kernel(set_indices, set_values, set_shape, *, validate_indices):
    groups, sets = _sparse_sets(set_indices, set_values, set_shape, validate_indices, "set")
    out = np.zeros(groups, np.int32)
    for key, s in sets.items():
        out[key] = len(s)
    return out


# -- static inference (TF's shape functions in ops/set_ops.cc) -----------------------------------
def _check_t(dtype):
    if dtype.name not in SET_DTYPES:
        raise TypeError(f"Value for attr 'T' of {dtype.name} is not in the list of allowed "
                        f"values: {', '.join(SET_DTYPES)}")


def _rank_at_least_2(spec):
    if spec.shape.rank is not None and spec.shape.rank < 2:
        raise shape_error(f"Shape must be at least rank 2 but is rank {spec.shape.rank}")


def _sparse_parts(indices, values, shape):
    for spec, rank in ((indices, 2), (values, 1), (shape, 1)):
        if spec.shape.rank not in (None, rank):
            raise shape_error(f"Shape must be rank {rank} but is rank {spec.shape.rank}")
    return shape.shape[0] if shape.shape.rank == 1 else Dimension(None)


def _outputs(rank: Dimension, dtype):
    return [TensorSpec([None, rank.value], _dt.int64), TensorSpec([None], dtype),
            TensorSpec([rank.value], _dt.int64)]


def _dense_dense_infer(set1, set2, *, set_operation, validate_indices):
    _check_t(set1.dtype)
    _rank_at_least_2(set1)
    _rank_at_least_2(set2)
    r1, r2 = set1.shape.rank, set2.shape.rank
    if r1 is not None and r2 is not None:
        if r1 != r2:
            raise shape_error(f"Shapes must be equal rank, but are {r1} and {r2}")
        for i, (a, b) in enumerate(zip(set1.shape.as_list()[:-1], set2.shape.as_list()[:-1])):
            if a is not None and b is not None and a != b:
                raise shape_error(f"Dimension {i} in both shapes must be equal, but are {a} "
                                  f"and {b}.")
    return _outputs(Dimension(r1 if r1 is not None else r2), set1.dtype)


def _dense_sparse_infer(set1, set2_indices, set2_values, set2_shape, *, set_operation,
                        validate_indices):
    _check_t(set1.dtype)
    _rank_at_least_2(set1)
    rank = _sparse_parts(set2_indices, set2_values, set2_shape)
    if set1.shape.rank is not None:
        rank = rank.merge_with(set1.shape.rank)
    return _outputs(rank, set1.dtype)


def _sparse_sparse_infer(set1_indices, set1_values, set1_shape, set2_indices, set2_values,
                         set2_shape, *, set_operation, validate_indices):
    _check_t(set1_values.dtype)
    rank = _sparse_parts(set1_indices, set1_values, set1_shape).merge_with(
        _sparse_parts(set2_indices, set2_values, set2_shape))
    return _outputs(rank, set1_values.dtype)


def _set_size_infer(set_indices, set_values, set_shape, *, validate_indices):
    _check_t(set_values.dtype)
    _sparse_parts(set_indices, set_values, set_shape)
    return [TensorSpec(TensorShape(None), _dt.int32)]  # TF's UnknownShape


_ATTRS = {"set_operation": req("string"), "validate_indices": True}
_OUT_DOC = "(result_indices, result_values, result_shape): the sets, a SparseTensor."

DENSE_TO_DENSE_SET_OPERATION = register(OpDef(
    "DenseToDenseSetOperation", inputs=["set1:T", "set2:T"], attrs=dict(_ATTRS),
    kernel=_dense_dense_kernel, infer=_dense_dense_infer, grad=NOT_DIFFERENTIABLE,
    doc=f"set_operation ('a-b', 'b-a', 'intersection', 'union') of two dense sets. {_OUT_DOC}",
))

DENSE_TO_SPARSE_SET_OPERATION = register(OpDef(
    "DenseToSparseSetOperation",
    inputs=["set1:T", "set2_indices:int64", "set2_values:T", "set2_shape:int64"],
    attrs=dict(_ATTRS), kernel=_dense_sparse_kernel, infer=_dense_sparse_infer,
    grad=NOT_DIFFERENTIABLE,
    doc=f"set_operation of a dense and a sparse set. {_OUT_DOC}",
))

SPARSE_TO_SPARSE_SET_OPERATION = register(OpDef(
    "SparseToSparseSetOperation",
    inputs=["set1_indices:int64", "set1_values:T", "set1_shape:int64", "set2_indices:int64",
            "set2_values:T", "set2_shape:int64"],
    attrs=dict(_ATTRS), kernel=_sparse_sparse_kernel, infer=_sparse_sparse_infer,
    grad=NOT_DIFFERENTIABLE,
    doc=f"set_operation of two sparse sets. {_OUT_DOC}",
))

SET_SIZE = register(OpDef(
    "SetSize", inputs=["set_indices:int64", "set_values:T", "set_shape:int64"],
    attrs={"validate_indices": True}, kernel=_set_size_kernel, infer=_set_size_infer,
    grad=NOT_DIFFERENTIABLE,
    doc="The number of distinct values in each set of a sparse tensor (int32, the group shape).",
))
