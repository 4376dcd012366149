"""Cases for the sparse ops (SparseToDense, SparseTensorDenseMatMul, SparseTensorDenseAdd,
SparseAdd/SparseAddGrad, SparseReorder, SparseReshape, SparseReduceSum/Max,
SparseDenseCwiseMul/Div/Add, SparseFillEmptyRows(+Grad), SparseConcat, SparseSlice(+Grad),
SparseSoftmax) and SparseSegmentSum/Mean/SqrtN (+ grads).

References loop over the entries one at a time into dense numpy arrays, in float64."""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(17)

IDX = np.array([[0, 1], [1, 0], [1, 3], [2, 2]], np.int64)  # canonical order
VALS = R.standard_normal(4).astype(np.float32)
SHAPE = np.array([3, 4], np.int64)
UNSORTED = np.array([[2, 2], [0, 1], [1, 3], [1, 0]], np.int64)


def ci(v, dtype=np.int64):
    return Const(np.array(v, dtype))


def _to_dense_ref(idx, shape, vals, default, validate_indices=True):
    idx = np.asarray(idx).reshape(len(idx), -1) if np.ndim(idx) == 2 else \
        np.asarray(idx).reshape(-1, 1)
    out = np.full(tuple(int(d) for d in shape), float(default))
    for k, i in enumerate(idx):
        out[tuple(i)] = vals if np.ndim(vals) == 0 else vals[k]
    return out


def _matmul_ref(idx, vals, shape, b, adjoint_a=False, adjoint_b=False):
    a = np.zeros(tuple(shape))
    for i, v in zip(idx, vals):
        a[tuple(i)] += v
    a = a.T if adjoint_a else a
    b = b.T if adjoint_b else b
    out = np.zeros((a.shape[0], b.shape[1]))
    for r in range(a.shape[0]):
        for c in range(b.shape[1]):
            out[r, c] = sum(a[r, k] * b[k, c] for k in range(a.shape[1]))
    return out


def _dense_add_ref(idx, vals, shape, b):
    out = np.array(b, np.float64)
    for i, v in zip(idx, vals):
        out[tuple(i)] += v
    return out


def _sparse_add_ref(ai, av, ashape, bi, bv, bshape, thresh):
    entries, met = {}, set()
    for i, v in list(zip(map(tuple, ai), av)) + list(zip(map(tuple, bi), bv)):
        if i in entries:
            met.add(i)
        entries[i] = entries.get(i, 0.0) + float(v)
    keys = sorted(k for k in entries if k not in met or abs(entries[k]) >= thresh)
    return (np.array(keys, np.int64).reshape(-1, len(ashape)), np.array([entries[k] for k in keys]),
            np.array(ashape))


def _sparse_add_grad_ref(g, ai, bi, si):
    pos = {tuple(k): n for n, k in enumerate(si)}
    return tuple(np.array([g[pos[tuple(k)]] if tuple(k) in pos else 0.0 for k in x])
                 for x in (ai, bi))


def _reorder_ref(idx, vals, shape):
    order = sorted(range(len(idx)), key=lambda n: tuple(idx[n]))
    return np.array([idx[n] for n in order]), np.array([vals[n] for n in order])


def _reshape_ref(idx, shape, new):
    new = list(new)
    if -1 in new:
        new[new.index(-1)] = int(np.prod(shape)) // int(np.prod([d for d in new if d != -1]))
    out = []
    for i in idx:
        flat = 0
        for d, n in zip(i, shape):
            flat = flat * int(n) + int(d)
        row = []
        for n in reversed(new):
            row.append(flat % n)
            flat //= n
        out.append(row[::-1])
    return np.array(out, np.int64), np.array(new, np.int64)


def _reduce_ref(kind):
    def ref(idx, vals, shape, axes, keep_dims=False):
        axes = {int(a) % len(shape) for a in np.atleast_1d(axes)}
        out_shape = [1 if d in axes else int(n) for d, n in enumerate(shape)]
        groups = {}
        for i, v in zip(idx, vals):  # each entry into the slot of its kept coordinates
            key = tuple(0 if d in axes else int(c) for d, c in enumerate(i))
            groups.setdefault(key, []).append(float(v))
        out = np.zeros(out_shape)  # slots without entries stay 0, as in TF
        for key, vs in groups.items():
            out[key] = sum(vs) if kind == "sum" else max(vs)
        return out if keep_dims else out.reshape([n for d, n in enumerate(out_shape)
                                                  if d not in axes])
    return ref


def _cwise_ref(op):
    def ref(idx, vals, shape, dense):
        full = np.broadcast_to(dense, tuple(shape))
        return np.array([op(v, full[tuple(i)]) for i, v in zip(idx, vals)])
    return ref


def _fill_ref(idx, vals, shape, default):
    rows = {}
    for i, v in zip(idx, vals):
        rows.setdefault(int(i[0]), []).append((list(i), v))
    out_idx, out_vals, empty = [], [], []
    for r in range(int(shape[0])):
        entries = rows.get(r, [([r] + [0] * (len(shape) - 1), default)])
        empty.append(r not in rows)
        for i, v in entries:
            out_idx.append(i)
            out_vals.append(v)
    reverse, seen = [], 0
    position = {}
    for n, i in enumerate(out_idx):
        position.setdefault(tuple(i), []).append(n)
    for i in idx:
        reverse.append(position[tuple(i)].pop(0))
        seen += 1
    return (np.array(out_idx, np.int64), np.array(out_vals), np.array(empty),
            np.array(reverse, np.int64))


def _fill_grad_ref(reverse, grad):
    d_values = np.array([grad[r] for r in reverse])
    rest = sum(grad[n] for n in range(len(grad)) if n not in set(reverse.tolist()))
    return d_values, np.float64(rest)


def _segment_ref(kind):
    def ref(data, indices, ids, num=None, sparse_gradient=False):
        n = int(ids[-1]) + 1 if num is None else int(num)
        out = np.zeros((n,) + data.shape[1:])
        counts = np.zeros(n)
        for i, s in zip(indices, ids):
            out[s] += data[i]
            counts[s] += 1
        scale = {"sum": np.ones(n), "mean": np.maximum(counts, 1),
                 "sqrt": np.sqrt(np.maximum(counts, 1))}[kind]
        return out / scale.reshape((-1,) + (1,) * (data.ndim - 1))
    return ref


def _segment_grad_ref(kind, v2=False):
    def ref(grad, indices, ids, dim0):
        out = _segment_grad_dense(kind, grad, indices, ids, dim0)
        if not v2:
            return out
        rows = sorted(set(int(i) for i in indices))
        return out[rows], np.array(rows, np.asarray(indices).dtype)
    return ref


def _segment_grad_dense(kind, grad, indices, ids, dim0):
    counts = np.bincount(ids, minlength=grad.shape[0]).astype(np.float64)
    scale = {"mean": np.maximum(counts, 1), "sqrt": np.sqrt(np.maximum(counts, 1)),
             "sum": np.ones_like(counts)}[kind]
    out = np.zeros((int(dim0),) + grad.shape[1:])
    for i, s in zip(indices, ids):
        out[i] += grad[s] / scale[s]
    return out


DATA = R.standard_normal((5, 3)).astype(np.float32)
SEG_IDX = np.array([0, 3, 3, 4, 1], np.int32)
SEG_IDS = np.array([0, 0, 1, 3, 3], np.int32)

def _concat_ref(indices, values, shapes, concat_dim):
    axis = concat_dim % len(shapes[0])
    entries, offset = [], 0
    for idx, vals, shape in zip(indices, values, shapes):
        for i, v in zip(idx, vals):
            moved = list(map(int, i))
            moved[axis] += offset
            entries.append((moved, v))
        offset += int(shape[axis])
    entries.sort(key=lambda e: e[0])  # Python's sort is stable: ties keep the input order
    out_shape = np.array(shapes[0], np.int64)
    out_shape[axis] = sum(int(s[axis]) for s in shapes)
    return (np.array([e[0] for e in entries], np.int64).reshape(-1, len(out_shape)),
            np.array([e[1] for e in entries]), out_shape)


def _slice_ref(idx, vals, shape, start, size):
    kept = [(i, v) for i, v in zip(idx, vals)
            if all(s <= d < s + n for d, s, n in zip(i, start, size))]
    out_shape = [max(min(s + n, d) - s, 0) for d, s, n in zip(shape, start, size)]
    return (np.array([[d - s for d, s in zip(i, start)] for i, _ in kept],
                     np.int64).reshape(-1, len(shape)),
            np.array([v for _, v in kept]), np.array(out_shape, np.int64))


def _slice_grad_ref(grad, idx, start, out_idx):
    found = {tuple(int(d) + int(s) for d, s in zip(o, start)): g for o, g in zip(out_idx, grad)}
    return np.array([found.get(tuple(map(int, i)), 0.0) for i in idx])


def _softmax_ref(idx, vals, shape):
    groups = {}
    for n, i in enumerate(idx):
        groups.setdefault(tuple(map(int, i[:-1])), []).append(n)
    out = np.zeros(len(vals))
    for members in groups.values():
        e = np.exp(np.array([float(vals[n]) for n in members]))
        out[members] = e / e.sum()
    return out


IDX3 = np.array([[0, 0, 1], [0, 0, 3], [0, 2, 0], [1, 1, 1], [1, 1, 2]], np.int64)


CASES = [
    Case("SparseToDense", [IDX, ci([3, 4]), VALS, np.float32(0.5)],
         ref=_to_dense_ref),
    Case("SparseToDense", [np.array([4, 1], np.int32), Const(np.array([6], np.int32)),
                           np.float32(2.0), np.float32(-1.0)],
         ref=_to_dense_ref, attrs={"validate_indices": False},
         id="SparseToDense-1d-scalar-value-unsorted"),
    Case("SparseToDense", [IDX, ci([3, 4]), np.arange(4, dtype=np.int32), np.int32(7)],
         ref=_to_dense_ref, id="SparseToDense-int"),
    Case("SparseTensorDenseMatMul", [IDX, VALS, ci([3, 4]),
                                     R.standard_normal((4, 2)).astype(np.float32)],
         ref=_matmul_ref),
    Case("SparseTensorDenseMatMul", [IDX, VALS.astype(np.float64), ci([3, 4]),
                                     R.standard_normal((2, 3))],
         ref=_matmul_ref, attrs={"adjoint_a": True, "adjoint_b": True},
         id="SparseTensorDenseMatMul-adjoints"),
    Case("SparseTensorDenseMatMul", [np.array([[0, 1], [0, 1]], np.int32),
                                     np.array([1.0, 2.0]), ci([2, 2]), np.eye(2)],
         ref=_matmul_ref, id="SparseTensorDenseMatMul-repeated-int32"),
    Case("SparseTensorDenseAdd", [IDX, VALS, ci([3, 4]),
                                  R.standard_normal((3, 4)).astype(np.float32)],
         ref=_dense_add_ref),
    Case("SparseAdd", [IDX, VALS, ci([3, 4]), np.array([[1, 0], [2, 1]], np.int64),
                       np.array([-VALS[1] + 1e-3, 3.0], np.float32), ci([3, 4]),
                       np.float32(0.01)],
         ref=_sparse_add_ref, grad=[1, 3], exact_shape=False, id="SparseAdd-thresh-drops"),
    Case("SparseAdd", [IDX, VALS, ci([3, 4]), np.array([[0, 0], [1, 3]], np.int64),
                       np.array([1.0, 2.0], np.float32), ci([3, 4]), np.float32(0)],
         ref=_sparse_add_ref, grad=[1, 3], exact_shape=False),
    Case("SparseAddGrad", [np.arange(5, dtype=np.float32), IDX,
                           np.array([[0, 0], [1, 3]], np.int64),
                           np.array([[0, 0], [0, 1], [1, 0], [1, 3], [2, 2]], np.int64)],
         ref=_sparse_add_grad_ref),
    Case("SparseReorder", [UNSORTED, VALS, ci([3, 4])], ref=_reorder_ref),
    Case("SparseReshape", [IDX, ci([3, 4]), ci([2, -1])], ref=_reshape_ref),
    Case("SparseReshape", [IDX, np.array([3, 4], np.int64), np.array([12], np.int64)],
         ref=_reshape_ref, exact_shape=False, id="SparseReshape-fed"),
    Case("SparseReduceSum", [IDX, VALS, ci([3, 4]), Const(np.array([1], np.int32))],
         ref=_reduce_ref("sum")),
    Case("SparseReduceSum", [IDX, VALS, ci([3, 4]), Const(np.array([0, -1], np.int32))],
         ref=_reduce_ref("sum"), attrs={"keep_dims": True},
         id="SparseReduceSum-all-keep"),
    Case("SparseReduceMax", [IDX, -np.abs(VALS), ci([3, 4]), Const(np.array(0, np.int32))],
         ref=_reduce_ref("max"), id="SparseReduceMax-negative-and-empty"),
    Case("SparseReduceMax", [IDX, np.arange(4, dtype=np.int32), ci([3, 4]),
                             Const(np.array([1], np.int32))],
         ref=_reduce_ref("max"), attrs={"keep_dims": True}, id="SparseReduceMax-int-keep"),
    Case("SparseDenseCwiseMul", [IDX, VALS, ci([3, 4]),
                                 R.standard_normal((1, 4)).astype(np.float32)],
         ref=_cwise_ref(np.multiply)),
    Case("SparseDenseCwiseDiv", [IDX, VALS.astype(np.float64), ci([3, 4]),
                                 R.uniform(1, 2, (3, 4))],
         ref=_cwise_ref(np.divide)),
    Case("SparseDenseCwiseDiv", [np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.int64),
                                 np.array([-7, 7, -6, 7], np.int32), ci([2, 2]),
                                 np.array([[2, -2], [4, 7]], np.int32)],
         ref=lambda i, v, sh, d: np.array([-3, -3, -1, 1], np.int32),  # toward zero, as C
         id="SparseDenseCwiseDiv-int-truncates"),
    Case("SparseFillEmptyRows", [np.array([[1, 0], [1, 2], [3, 1]], np.int64),
                                 np.array([1.0, 2.0, 3.0], np.float32), ci([5, 3]),
                                 np.float32(-1)],
         ref=_fill_ref, exact_shape=False),
    Case("SparseFillEmptyRowsGrad", [np.array([1, 2, 4], np.int64),
                                     np.arange(6, dtype=np.float32)], ref=_fill_grad_ref),
    Case("SparseSegmentSum", [DATA, SEG_IDX, SEG_IDS], ref=_segment_ref("sum"),
         exact_shape=False),
    Case("SparseSegmentMean", [DATA, SEG_IDX.astype(np.int64), SEG_IDS],
         ref=_segment_ref("mean"), exact_shape=False),
    Case("SparseSegmentSqrtN", [DATA.astype(np.float64), SEG_IDX, SEG_IDS.astype(np.int64)],
         ref=_segment_ref("sqrt"), exact_shape=False),
    Case("SparseSegmentMeanGrad", [R.standard_normal((4, 3)).astype(np.float32), SEG_IDX,
                                   SEG_IDS, Const(np.array(6, np.int32))],
         ref=_segment_grad_ref("mean")),
    Case("SparseSegmentSqrtNGrad", [R.standard_normal((4, 3)), SEG_IDX, SEG_IDS,
                                    Const(np.array(5, np.int32))],
         ref=_segment_grad_ref("sqrt")),
    Case("SparseSegmentSumGrad", [R.standard_normal((4, 3)), SEG_IDX, SEG_IDS,
                                  Const(np.array(5, np.int32))],
         ref=_segment_grad_ref("sum")),
    Case("SparseSegmentSumGradV2", [R.standard_normal((4, 3)), SEG_IDX, SEG_IDS,
                                    Const(np.array(5, np.int32))],
         ref=_segment_grad_ref("sum", v2=True), exact_shape=False),
    Case("SparseSegmentMeanGradV2", [R.standard_normal((4, 3)), SEG_IDX.astype(np.int64),
                                     SEG_IDS, Const(np.array(6, np.int32))],
         ref=_segment_grad_ref("mean", v2=True), exact_shape=False),
    Case("SparseSegmentSqrtNGradV2", [R.standard_normal((4, 3)).astype(np.float32), SEG_IDX,
                                      SEG_IDS, Const(np.array(5, np.int32))],
         ref=_segment_grad_ref("sqrt", v2=True), exact_shape=False),
    Case("SparseSegmentSumWithNumSegments", [DATA, SEG_IDX, SEG_IDS,
                                             Const(np.array(6, np.int32))],
         ref=_segment_ref("sum")),
    Case("SparseSegmentMeanWithNumSegments", [DATA.astype(np.float64), SEG_IDX, SEG_IDS,
                                              Const(np.array(5, np.int64))],
         ref=_segment_ref("mean")),
    Case("SparseSegmentSqrtNWithNumSegments", [DATA, SEG_IDX, SEG_IDS,
                                               np.array(4, np.int32)],
         ref=_segment_ref("sqrt"), exact_shape=False),
    Case("SparseDenseCwiseAdd", [IDX, VALS, ci([3, 4]),
                                 R.standard_normal((3, 1)).astype(np.float32)],
         ref=_cwise_ref(np.add), grad=[]),  # TF's gradient raises; so does ours
    Case("SparseConcat", [[IDX, np.array([[0, 0], [2, 1]], np.int64)],
                          [VALS, np.array([5.0, 6.0], np.float32)], [ci([3, 4]), ci([3, 2])]],
         ref=lambda i, v, s, concat_dim: _concat_ref(i, v, s, concat_dim),
         attrs={"concat_dim": 1}),
    Case("SparseConcat", [[UNSORTED, IDX, np.array([[0, 3]], np.int64)],
                          [np.arange(4, dtype=np.int32), np.arange(4, 8, dtype=np.int32),
                           np.array([9], np.int32)], [ci([3, 4]), ci([3, 4]), ci([1, 4])]],
         ref=lambda i, v, s, concat_dim: _concat_ref(i, v, s, concat_dim),
         attrs={"concat_dim": -2}, id="SparseConcat-unsorted-negative-axis"),
    Case("SparseSlice", [IDX, VALS, ci([3, 4]), ci([1, 0]), ci([2, 3])], ref=_slice_ref,
         exact_shape=False),
    Case("SparseSlice", [IDX3, R.standard_normal(5), ci([2, 3, 4]), ci([0, 0, 1]),
                         ci([5, 5, 2])], ref=_slice_ref, exact_shape=False,
         id="SparseSlice-rank3-past-the-end"),
    Case("SparseSliceGrad", [np.array([1.5, -2.0], np.float32), IDX, ci([1, 0]),
                             np.array([[0, 0], [1, 2]], np.int64)], ref=_slice_grad_ref),
    Case("SparseSoftmax", [IDX, VALS, ci([3, 4])], ref=_softmax_ref),
    Case("SparseSoftmax", [IDX3, R.standard_normal(5), ci([2, 3, 4])], ref=_softmax_ref,
         id="SparseSoftmax-rank3"),
]
