"""Cases for the set ops (SetSize, DenseToDenseSetOperation, DenseToSparseSetOperation,
SparseToSparseSetOperation). The reference walks every group (all dimensions but the last) with
Python sets and lays the sorted results out as TF's kernels do; the expected triples of a few
cases were also checked against TensorFlow by hand."""

import itertools

import numpy as np

from .harness import Case, Const

A = np.array([[[1, -1, 3, 3], [2, 2, 0, 5]], [[7, 7, 7, 7], [4, 1, 0, 9]]], np.int64)
B = np.array([[[-1, 3, 8], [7, 5, 5]], [[7, 6, 6], [0, 0, 0]]], np.int64)
# A sparse [2, 2, 3] operand in row-major order; group (1, 0) is empty.
SP_IDX = np.array([[0, 0, 0], [0, 0, 2], [0, 1, 1], [1, 1, 0], [1, 1, 1]], np.int64)
SP_VALS = np.array([3, 9, 2, 4, 4], np.int64)
SP_SHAPE = np.array([2, 2, 3], np.int64)
SP2_IDX = np.array([[0, 0, 0], [1, 0, 0], [1, 0, 1]], np.int64)
SP2_VALS = np.array([3, 6, 5], np.int64)


def _dense_groups(x):
    x = np.asarray(x)
    return {k: set(x[k].tolist()) for k in itertools.product(*map(range, x.shape[:-1]))}


def _sparse_groups(idx, vals, shape):
    out = {k: set() for k in itertools.product(*(range(int(d)) for d in shape[:-1]))}
    for i, v in zip(np.asarray(idx).tolist(), np.asarray(vals).tolist()):
        out[tuple(i[:-1])].add(v)
    return out


OPS = {"a-b": lambda a, b: a - b, "b-a": lambda a, b: b - a,
       "intersection": lambda a, b: a & b, "union": lambda a, b: a | b}


def _triple(g1, g2, op, dtype):
    indices, values, width = [], [], 0
    for key in sorted(g1):
        s = sorted(OPS[op](g1[key], g2[key]))
        width = max(width, len(s))
        for j, v in enumerate(s):
            indices.append(list(key) + [j])
            values.append(v)
    rank = len(next(iter(g1))) + 1
    return (np.array(indices, np.int64).reshape(-1, rank), np.array(values, dtype),
            np.array(list(max(g1)) + [0], np.int64) + np.array([1] * (rank - 1) + [width]))


def _dd(a, b, set_operation, validate_indices=True):
    return _triple(_dense_groups(a), _dense_groups(b), set_operation, np.asarray(a).dtype)


def _ds(a, idx, vals, shape, set_operation, validate_indices=True):
    return _triple(_dense_groups(a), _sparse_groups(idx, vals, shape), set_operation,
                   np.asarray(a).dtype)


def _ss(i1, v1, s1, i2, v2, s2, set_operation, validate_indices=True):
    return _triple(_sparse_groups(i1, v1, s1), _sparse_groups(i2, v2, s2), set_operation,
                   np.asarray(v1).dtype)


def _size(idx, vals, shape, validate_indices=True):
    groups = _sparse_groups(idx, vals, shape)
    out = np.zeros([int(d) for d in shape[:-1]], np.int32)
    for k, s in groups.items():
        out[k] = len(s)
    return out


STR_A = np.array([[b"b", b"a", b""], [b"x", b"x", b"y"]], dtype=object)
STR_B = np.array([[b"c", b"a"], [b"y", b"z"]], dtype=object)

CASES = [
    *[Case("DenseToDenseSetOperation", [A, B], _dd, {"set_operation": op},
           exact_shape=False, id=f"DenseToDenseSetOperation-{op}")
      for op in OPS],
    Case("DenseToDenseSetOperation", [A[0].astype(np.int32), B[0].astype(np.int32)], _dd,
         {"set_operation": "union"}, exact_shape=False, id="DenseToDenseSetOperation-int32"),
    Case("DenseToDenseSetOperation", [STR_A, STR_B], _dd, {"set_operation": "a-b"},
         exact_shape=False, id="DenseToDenseSetOperation-string"),
    *[Case("DenseToSparseSetOperation", [A, Const(SP_IDX), Const(SP_VALS), Const(SP_SHAPE)],
           _ds, {"set_operation": op}, exact_shape=False,
           id=f"DenseToSparseSetOperation-{op}") for op in OPS],
    *[Case("SparseToSparseSetOperation", [SP_IDX, SP_VALS, SP_SHAPE, SP2_IDX, SP2_VALS,
                                          SP_SHAPE], _ss, {"set_operation": op},
           exact_shape=False, id=f"SparseToSparseSetOperation-{op}") for op in OPS],
    Case("SetSize", [SP_IDX, SP_VALS, SP_SHAPE], _size, exact_shape=False),
    Case("SetSize", [np.zeros((0, 2), np.int64), np.zeros(0, np.int32),
                     np.array([3, 5], np.int64)], _size, exact_shape=False, id="SetSize-empty"),
]
