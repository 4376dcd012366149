"""Cases for core/ops/sparse_extra_ops.py and sparse_count_ops.py: SparseSparseMaximum/Minimum
(a reference that walks both entry lists as TF's merge does), SparseSplit (pieces found one entry
at a time), SparseReduceSumSparse/MaxSparse (entries grouped in a dict by their kept
coordinates), SparseCrossV2 (nested loops) and Dense/SparseCountSparseOutput (counts in a dict).
None has a numerical gradient: TF registers none, or (for the max/min) one that raises, checked
in tests/core/test_sparse_extra.py."""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(5)

A_IDX = np.array([[0, 1], [1, 0], [1, 3], [2, 2]], np.int64)
A_VALS = R.standard_normal(4).astype(np.float32)
B_IDX = np.array([[0, 0], [1, 0], [2, 2], [2, 3]], np.int64)
B_VALS = R.standard_normal(4).astype(np.float32)
SHAPE = np.array([3, 4], np.int64)
IDX3 = np.array([[0, 0, 1], [0, 0, 3], [0, 2, 0], [1, 1, 1], [1, 1, 2], [1, 2, 0]], np.int64)
VALS3 = R.standard_normal(6)
SHAPE3 = np.array([2, 3, 4], np.int64)


def _min_max_ref(pick):
    def ref(ai, av, ashape, bi, bv, bshape):
        a = {tuple(map(int, i)): float(v) for i, v in zip(ai, av)}
        b = {tuple(map(int, i)): float(v) for i, v in zip(bi, bv)}
        keys = sorted(set(a) | set(b))  # sorted inputs: the union in row-major order
        return (np.array(keys, np.int64).reshape(-1, len(ashape)),
                np.array([pick(a.get(k, 0.0), b.get(k, 0.0)) for k in keys]))
    return ref


def _split_ref(split_dim, idx, vals, shape, num_split):
    axis = int(split_dim) % len(shape)
    dim = int(shape[axis])
    sizes = [dim // num_split + (1 if k < dim % num_split else 0) for k in range(num_split)]
    starts = [sum(sizes[:k]) for k in range(num_split)]
    pieces = [([], []) for _ in range(num_split)]
    for i, v in zip(idx, vals):
        k = max(n for n in range(num_split) if starts[n] <= i[axis])
        moved = [int(c) for c in i]
        moved[axis] -= starts[k]
        pieces[k][0].append(moved)
        pieces[k][1].append(v)
    shapes = []
    for k in range(num_split):
        s = [int(d) for d in shape]
        s[axis] = sizes[k]
        shapes.append(np.array(s, np.int64))
    return tuple([np.array(p[0], np.int64).reshape(-1, len(shape)) for p in pieces] +
                 [np.array(p[1], vals.dtype) for p in pieces] + shapes)


def _reduce_ref(pick):
    def ref(idx, vals, shape, axes, keep_dims=False):
        hit = {int(a) % len(shape) for a in np.atleast_1d(axes)}
        groups = {}
        for i, v in zip(idx, vals):
            key = tuple(0 if d in hit else int(c) for d, c in enumerate(i)) if keep_dims else \
                tuple(int(c) for d, c in enumerate(i) if d not in hit)
            groups.setdefault(key, []).append(v)
        keys = sorted(groups)
        out_shape = [1 if d in hit else int(n) for d, n in enumerate(shape)
                     if keep_dims or d not in hit]
        return (np.array(keys, np.int64).reshape(len(keys), len(out_shape)),
                np.array([pick(groups[k]) for k in keys], vals.dtype),
                np.array(out_shape, np.int64))
    return ref


def s(*items):
    out = np.empty(len(items), dtype=object)
    out[:] = [i.encode() for i in items]
    return out


def _cross_ref(indices, values, shapes, dense, sep):
    batch = int(shapes[0][0])
    columns = [[[v for i, v in zip(idx, vals) if i[0] == b] for b in range(batch)]
               for idx, vals in zip(indices, values)] + [list(d) for d in dense]
    out_idx, out_vals, widest = [], [], 0
    for b in range(batch):
        combos = [[]]
        for col in columns:
            combos = [c + [f if isinstance(f, bytes) else str(int(f)).encode()]
                      for c in combos for f in col[b]]
        for n, c in enumerate(combos):
            out_idx.append([b, n])
            out_vals.append(np.asarray(sep).item().join(c))
        widest = max(widest, len(combos))
    vals = np.empty(len(out_vals), dtype=object)
    vals[:] = out_vals
    return np.array(out_idx, np.int64).reshape(-1, 2), vals, np.array([batch, widest], np.int64)


def _count_ref(rows, values, weights, batch, minlength=-1, maxlength=-1, binary_output=False):
    counts = {}
    for n, (r, v) in enumerate(zip(rows, values)):
        if maxlength > 0 and v >= maxlength:
            continue
        add = 1 if binary_output or not len(weights) else weights[n]
        counts[(int(r), int(v))] = add if binary_output else counts.get((int(r), int(v)), 0) + add
    kept = [v for (_, v) in counts] or [0]
    size = maxlength if maxlength > 0 else max(max(kept) + 1, minlength)
    keys = sorted(counts)
    dtype = weights.dtype
    if batch is None:
        return (np.array([[v] for _, v in keys], np.int64).reshape(-1, 1),
                np.array([counts[k] for k in keys], dtype), np.array([size], np.int64))
    return (np.array(keys, np.int64).reshape(-1, 2), np.array([counts[k] for k in keys], dtype),
            np.array([batch, size], np.int64))


def _dense_count_ref(values, weights, **attrs):
    batched = values.ndim == 2
    rows = np.repeat(np.arange(len(values)), values.shape[1]) if batched else 0 * values
    return _count_ref(rows, values.reshape(-1), weights.reshape(-1),
                      len(values) if batched else None, **attrs)


def _sparse_count_ref(idx, values, shape, weights, **attrs):
    batched = len(shape) == 2
    return _count_ref(idx[:, 0] if batched else 0 * values, values, weights,
                      int(shape[0]) if batched else None, **attrs)


COUNTED = np.array([[3, 1, 3, 0], [5, 1, 1, 7]], np.int64)

CASES = [
    Case("SparseSparseMaximum", [A_IDX, A_VALS, SHAPE, B_IDX, B_VALS, SHAPE],
         ref=_min_max_ref(max), grad=[], exact_shape=False),
    Case("SparseSparseMinimum", [A_IDX, A_VALS.astype(np.float64), SHAPE, B_IDX,
                                 B_VALS.astype(np.float64), SHAPE],
         ref=_min_max_ref(min), grad=[], exact_shape=False),
    Case("SparseSparseMaximum", [A_IDX, np.array([3, -1, 2, -7], np.int32), SHAPE,
                                 np.zeros((0, 2), np.int64), np.zeros(0, np.int32), SHAPE],
         ref=_min_max_ref(max), exact_shape=False, id="SparseSparseMaximum-int-b-empty"),
    Case("SparseSplit", [np.int64(1), A_IDX, A_VALS, SHAPE],
         attrs={"num_split": 3}, ref=_split_ref, exact_shape=False, id="SparseSplit-uneven"),
    Case("SparseSplit", [Const(np.int64(-3)), IDX3, VALS3, SHAPE3],
         attrs={"num_split": 2}, ref=_split_ref, exact_shape=False,
         id="SparseSplit-rank3-negative-axis"),
    Case("SparseSplit", [np.int64(0), A_IDX[::-1].copy(), np.arange(4, dtype=np.int32), SHAPE],
         attrs={"num_split": 1}, ref=_split_ref, exact_shape=False, id="SparseSplit-unsorted"),
    Case("SparseReduceSumSparse", [IDX3, VALS3, SHAPE3, Const(np.array([1], np.int32))],
         ref=_reduce_ref(sum), exact_shape=False),
    Case("SparseReduceSumSparse", [IDX3[::-1].copy(), VALS3, SHAPE3,
                                   Const(np.array([0, -1], np.int32))],
         attrs={"keep_dims": True}, ref=_reduce_ref(sum), exact_shape=False,
         id="SparseReduceSumSparse-unsorted-keep"),
    Case("SparseReduceMaxSparse", [IDX3, -np.abs(VALS3), SHAPE3,
                                   Const(np.array([2], np.int32))],
         ref=_reduce_ref(max), exact_shape=False),
    Case("SparseReduceMaxSparse", [IDX3, np.arange(6, dtype=np.int32), SHAPE3,
                                   Const(np.array([0, 1, 2], np.int32))],
         attrs={"keep_dims": True}, ref=_reduce_ref(max), exact_shape=False,
         id="SparseReduceMaxSparse-int-all-keep"),
    Case("SparseCrossV2", [[np.array([[0, 0], [1, 0], [1, 1]], np.int64),
                            np.array([[0, 0], [1, 0]], np.int64)],
                           [s("a", "b", "c"), np.array([7, -8], np.int64)],
                           [np.array([2, 2], np.int64), np.array([2, 1], np.int64)],
                           [s("f", "g").reshape(2, 1)], Const(np.array(b"_Y_", object))],
         ref=_cross_ref, exact_shape=False),
    Case("DenseCountSparseOutput", [COUNTED, np.zeros(0, np.int64)],
         attrs={"binary_output": False}, ref=_dense_count_ref, exact_shape=False),
    Case("DenseCountSparseOutput", [COUNTED.reshape(-1).astype(np.int32),
                                    R.standard_normal(8).astype(np.float32)],
         attrs={"binary_output": False, "minlength": 12}, ref=_dense_count_ref,
         exact_shape=False, id="DenseCountSparseOutput-1d-weights"),
    Case("DenseCountSparseOutput", [COUNTED, np.zeros(0, np.float64)],
         attrs={"binary_output": True, "maxlength": 4}, ref=_dense_count_ref,
         exact_shape=False, id="DenseCountSparseOutput-binary-max"),
    Case("SparseCountSparseOutput", [A_IDX[[2, 0, 3, 1]], np.array([4, 1, 4, 2], np.int32),
                                     np.array([5, 4], np.int64), np.zeros(0, np.int32)],
         attrs={"binary_output": False}, ref=_sparse_count_ref, exact_shape=False),
    Case("SparseCountSparseOutput", [A_IDX[:, 1:].copy(), np.array([4, 1, 4, 2], np.int64),
                                     np.array([4], np.int64), R.standard_normal(4)],
         attrs={"binary_output": False, "maxlength": 3}, ref=_sparse_count_ref,
         exact_shape=False, id="SparseCountSparseOutput-1d-weights-max"),
]

# The max/min's gradient raises NotImplementedError, as TF's registered one does.
COVERED_BY = {
    "SparseSparseMaximum": "tests/core/test_sparse_extra.py::test_gradients_are_tfs",
    "SparseSparseMinimum": "tests/core/test_sparse_extra.py::test_gradients_are_tfs",
}
