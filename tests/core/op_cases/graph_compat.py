"""Cases for einsum_ops.py, graph_compat_ops.py and graph_compat_train_ops.py. References are
written without the kernels' numpy routines: Einsum through matmul, transposes and loops over
diagonals; UniqueV2 and TopK with dicts and sorted(); NextAfter with math.nextafter; the
format ops by looking letters up in the format strings. The ops that update variables are
checked against real TF in test_graph_compat_ops.py; Segment*V2 references walk the rows.
Ops TF gives no gradient (Snapshot, UniqueV2, Inplace*...) have no gradient check here."""

import math

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(11)


def f64(*shape):
    return R.standard_normal(shape)


def _diag(v):  # "i->ii"
    out = np.zeros((v.size, v.size))
    for i, x in enumerate(v):
        out[i, i] = x
    return out


def _trace_rows(a):  # "aabc->ca": sum over b of a[i, i, b, c], transposed
    return np.array([[sum(a[i, i, b, c] for b in range(a.shape[2])) for i in range(a.shape[0])]
                     for c in range(a.shape[3])])


EINSUM = [
    ("ij,jk->ik", [f64(2, 3), f64(3, 4)], lambda a, b: a @ b),
    ("ij->ji", [f64(2, 3)], lambda a: a.T),
    ("ii->i", [f64(3, 3)], lambda a: np.array([a[i, i] for i in range(3)])),
    ("i->ii", [f64(3)], _diag),
    ("abc->ac", [f64(2, 3, 4)], lambda a: a.sum(axis=1)),
    ("aabc->ca", [f64(2, 2, 3, 4)], _trace_rows),
    ("bij,bjk->bik", [f64(2, 3, 4), f64(2, 4, 2)], lambda a, b: a @ b),
    ("...ij,...jk->...ik", [f64(2, 1, 2, 3), f64(3, 3, 2)], lambda a, b: a @ b),
    ("ij,ij->", [f64(3, 4), f64(3, 4)], lambda a, b: (a * b).sum()),
    ("ij,k->ijk", [f64(2, 3), f64(4)], lambda a, b: a[:, :, None] * b[None, None, :]),
]


def _einsum_cases():
    for eq, arrays, ref in EINSUM:
        yield Case("Einsum", [arrays], lambda arrays, ref=ref, **_: ref(*arrays),
                   attrs={"equation": eq}, id=f"Einsum-{eq}")


def _unique_slices(x, axis):
    rows = np.moveaxis(x, axis, 0)
    seen, idx = {}, []
    for r in rows:
        idx.append(seen.setdefault(tuple(r.ravel().tolist()), len(seen)))
    firsts = [idx.index(k) for k in range(len(seen))]
    y = np.moveaxis(np.stack([rows[k] for k in firsts]), 0, axis)
    return y, np.array(idx, np.int32), np.array([idx.count(k) for k in range(len(seen))],
                                                np.int32)


def _top_k(x, k):
    out_v, out_i = [], []
    for row in x.reshape(-1, x.shape[-1]):
        order = sorted(range(row.size), key=lambda j: (-row[j], j))[:k]
        out_v.append([row[j] for j in order])
        out_i.append(order)
    shape = x.shape[:-1] + (k,)
    return np.array(out_v, x.dtype).reshape(shape), np.array(out_i, np.int32).reshape(shape)



def _inplace(apply):
    def ref(x, i, v):
        out = x.copy()
        for row, val in zip(i, v):
            out[row] = apply(out[row], val)
        return out
    return ref


def _dim_map(x, src_format="NHWC", dst_format="NCHW"):
    return np.array([dst_format.index(src_format[int(v) % 4]) for v in x.ravel()],
                    x.dtype).reshape(x.shape)


def _vec_permute(x, src_format="NHWC", dst_format="NCHW"):
    return np.array([x[src_format.index(c)] for c in dst_format], x.dtype)


UNIQ = np.array([[1, 2, 1, 2], [3, 4, 3, 5], [1, 2, 1, 2]], np.int32)
X = f64(3, 4)
IDX = np.array([2, 0], np.int32)

CASES = [
    *_einsum_cases(),
    Case("Snapshot", [X], lambda x: x),
    Case("DeepCopy", [X], lambda x: x),
    Case("Empty", [Const(np.int32([2, 3]))], lambda s, dtype, init: np.zeros((2, 3)),
         attrs={"dtype": np.float64, "init": True}),
    Case("ClipByValue", [X, np.float64(-0.5), np.float64(0.7)],
         lambda x, lo, hi: np.array([[min(max(v, lo), hi) for v in r] for r in x])),
    Case("ClipByValue", [X, np.full((3, 4), -0.2), np.float64(0.3)],
         lambda x, lo, hi: np.where(x < lo, lo, np.where(x > hi, hi, x)),
         id="ClipByValue-tensor-min"),
    Case("NextAfter", [X, np.float64(0.0)],
         lambda a, b: np.vectorize(lambda u: math.nextafter(u, 0.0))(a)),
    Case("NextAfter", [X.astype(np.float32), np.float32(9.0)],
         lambda a, b: np.array([[np.float32(v) + np.spacing(np.float32(v)) for v in r]
                                for r in a], np.float32), grad=[], id="NextAfter-float32"),
    Case("CheckNumericsV2", [X], lambda x, message: x, attrs={"message": "ok"}),
    Case("UniqueV2", [UNIQ, Const(np.int64([1]))],
         lambda x, a, out_idx=None: _unique_slices(x, 1)[:2], exact_shape=False),
    Case("UniqueV2", [UNIQ, Const(np.int64([-2]))],
         lambda x, a, out_idx=None: _unique_slices(x, 0)[:2], exact_shape=False,
         id="UniqueV2-axis-neg"),
    Case("UniqueV2", [np.int32([4, 1, 4, 2]), Const(np.int64([]))],
         lambda x, a: _unique_slices(x, 0)[:2], exact_shape=False, id="UniqueV2-no-axis"),
    Case("UniqueWithCountsV2", [UNIQ, Const(np.int64([1]))],
         lambda x, a: _unique_slices(x, 1), exact_shape=False),
    Case("TopK", [X], lambda x, k: _top_k(x, k), attrs={"k": 2}),
    Case("TopK", [np.int32([[3, 1, 3, 2]])], lambda x, k, **_: _top_k(x, k),
         attrs={"k": 3, "sorted": True}, id="TopK-ties"),
    Case("InplaceAdd", [X, IDX, f64(2, 4)], _inplace(lambda a, b: a + b)),
    Case("InplaceSub", [X, IDX, f64(2, 4)], _inplace(lambda a, b: a - b)),
    Case("InplaceUpdate", [X, IDX, f64(2, 4)], _inplace(lambda a, b: b)),
    Case("DataFormatDimMap", [np.int32([-4, -1, 0, 1, 2, 3])], _dim_map),
    Case("DataFormatDimMap", [np.int64([0, 1, 2, 3])], _dim_map,
         attrs={"src_format": "NCHW", "dst_format": "NHWC"}, id="DataFormatDimMap-nchw"),
    Case("DataFormatVecPermute", [np.int32([1, 2, 3, 4])], _vec_permute),
    Case("DataFormatVecPermute", [np.int64([[1, 2], [3, 4], [5, 6], [7, 8]])], _vec_permute,
         attrs={"src_format": "NCHW", "dst_format": "NHWC"}, id="DataFormatVecPermute-2d"),
    Case("TensorStridedSliceUpdate",
         [f64(4, 5), Const(np.int32([1, 0])), Const(np.int32([3, 5])), Const(np.int32([1, 2])),
          f64(2, 3)], lambda x, b, e, s, v, **m: _set_slice(x, (slice(1, 3), slice(0, 5, 2)), v)),
    Case("TensorStridedSliceUpdate",
         [f64(4, 5), Const(np.int32([1])), Const(np.int32([0])), Const(np.int32([1])),
          f64(5)], lambda x, b, e, s, v, **m: _set_slice(x, (1,), v),
         attrs={"shrink_axis_mask": 1}, id="TensorStridedSliceUpdate-shrink"),
]


def _segments_v2(pick, empty):
    def ref(data, ids, n):
        out = [None] * int(n)
        for row, i in zip(data, ids):
            if 0 <= i < n:  # out-of-range ids are dropped, as XLA's kernels do
                out[i] = row.copy() if out[i] is None else pick(out[i], row)
        return np.array([np.full(data.shape[1:], empty(data.dtype), data.dtype) if o is None
                         else o for o in out])
    return ref


SEG = np.array([[1, 2], [3, -4], [5, 6], [7, 8], [-1, 0]], np.float32)
SEG_IDS = np.int32([0, 2, 1, 1, 7])
CASES += [Case(op, [SEG, SEG_IDS, Const(np.int32(4))], _segments_v2(pick, empty))
          for op, pick, empty in [
              ("SegmentSumV2", np.add, lambda dt: 0),
              ("SegmentProdV2", np.multiply, lambda dt: 1),
              ("SegmentMaxV2", np.maximum, lambda dt: np.finfo(dt).min),
              ("SegmentMinV2", np.minimum, lambda dt: np.finfo(dt).max)]]


def _set_slice(x, index, v):
    out = x.copy()
    out[index] = v
    return out


_VS = "test_graph_compat_ops.py::test_variable_updates_match_tensorflow"
COVERED_BY = {op: _VS for op in ("ScatterNdMax", "ScatterNdMin", "ApplyAdagradV2",
                                 "SparseApplyAdagradV2", "ApplyAdaMax", "ApplyAddSign",
                                 "ApplyPowerSign")}
