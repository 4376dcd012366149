"""Cases for ListDiff, UnravelIndex, BroadcastArgs, Bitcast, ParallelConcat, EditDistance and
TensorScatter{Sub,Max,Min}; the variable updates (CountUpTo, ScatterNdSub) and the refused
gradients are tested in test_array_extra.py."""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(5)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def _list_diff_ref(x, y, out_idx=np.int32):
    out, idx = [], []
    for i, v in enumerate(x.tolist()):
        if v not in y.tolist():
            out.append(v)
            idx.append(i)
    return np.array(out, x.dtype), np.array(idx, np.dtype(getattr(out_idx, "as_numpy_dtype",
                                                                  out_idx)))


def _unravel_ref(indices, dims):
    cols = []
    for flat in np.atleast_1d(indices).tolist():
        coord = []
        for d in reversed(dims.tolist()):
            coord.append(flat % d)
            flat //= d
        cols.append(coord[::-1])
    out = np.array(cols, dims.dtype).T.reshape(len(dims), -1)
    return out[:, 0] if np.ndim(indices) == 0 else out


def _broadcast_args_ref(s0, s1):
    return np.array(np.broadcast_shapes(tuple(s0.tolist()), tuple(s1.tolist())), s0.dtype)


def _bitcast_ref(x, type):  # noqa: A002 - the attr's name
    to = np.dtype(getattr(type, "as_numpy_dtype", type))
    raw = np.frombuffer(np.ascontiguousarray(x).tobytes(), dtype=to)
    a, b = x.dtype.itemsize, to.itemsize
    shape = x.shape if a == b else x.shape + (a // b,) if a > b else x.shape[:-1]
    return raw.reshape(shape)


def _levenshtein(a, b):
    d = np.zeros((len(a) + 1, len(b) + 1), int)
    d[:, 0], d[0, :] = np.arange(len(a) + 1), np.arange(len(b) + 1)
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1,
                          d[i - 1, j - 1] + (a[i - 1] != b[j - 1]))
    return d[-1, -1]


def _edit_distance_ref(hi, hv, hs, ti, tv, ts, normalize=True):
    out_shape = tuple(np.maximum(hs[:-1], ts[:-1]))
    out = np.zeros(out_shape, np.float32)
    for pos in np.ndindex(*out_shape):
        h = [v for i, v in zip(hi.tolist(), hv.tolist()) if tuple(i[:-1]) == pos]
        t = [v for i, v in zip(ti.tolist(), tv.tolist()) if tuple(i[:-1]) == pos]
        if not h and not t:
            continue
        d = _levenshtein(h, t)
        out[pos] = d / len(t) if normalize and t else np.inf if normalize and d else d
    return out


def _tensor_scatter_ref(fn):
    def ref(tensor, indices, updates):
        out = tensor.copy()
        k = indices.shape[-1]
        upd = updates.reshape((-1,) + tensor.shape[k:])
        for n, idx in enumerate(indices.reshape(-1, k)):
            out[tuple(idx)] = fn(out[tuple(idx)], upd[n])
        return out
    return ref


def _hyp_truth():
    """Two 3-D SparseTensors: hypothesis only in group (1, 1), truth only in (0, 1)."""
    hi = np.array([[0, 0, 0], [0, 0, 1], [1, 0, 0], [1, 1, 0]], np.int64)
    ti = np.array([[0, 0, 0], [0, 1, 0], [0, 1, 1], [1, 0, 0], [1, 0, 1]], np.int64)
    return [hi, np.array([1, 2, 3, 4], np.int32), Const(np.array([2, 2, 2], np.int64)),
            ti, np.array([1, 2, 3, 1, 3], np.int32), Const(np.array([2, 2, 3], np.int64))]


NO_GRAD = {"grad": []}

CASES = [
    Case("ListDiff", [np.array([1, 2, 3, 4, 2, 6], np.int32), np.array([2, 4, 9], np.int32)],
         ref=_list_diff_ref, exact_shape=False),
    Case("ListDiff", [np.array([1.5, -2.0, 3.0], np.float64), np.array([3.0], np.float64)],
         attrs={"out_idx": np.int64}, ref=_list_diff_ref, exact_shape=False, **NO_GRAD,
         id="ListDiff-float-int64"),
    Case("ListDiff", [np.array([1, 2], np.int64), np.array([1, 2, 2], np.int64)],
         ref=_list_diff_ref, exact_shape=False, id="ListDiff-all-removed"),
    Case("UnravelIndex", [np.array([1, 5, 7, 0], np.int32), np.array([2, 4], np.int32)],
         ref=_unravel_ref),
    Case("UnravelIndex", [np.int64(22), np.array([3, 4, 2], np.int64)], ref=_unravel_ref,
         id="UnravelIndex-scalar-int64"),
    Case("UnravelIndex", [np.zeros(0, np.int32), np.array([5], np.int32)], ref=_unravel_ref,
         id="UnravelIndex-empty"),
    Case("BroadcastArgs", [np.array([2, 1, 3], np.int32), np.array([4, 1], np.int32)],
         ref=_broadcast_args_ref),
    Case("BroadcastArgs", [np.array([5, 1], np.int64), np.array([0, 1, 1], np.int64)],
         ref=_broadcast_args_ref, id="BroadcastArgs-int64-zero"),
    Case("BroadcastArgs", [np.zeros(0, np.int32), np.array([3], np.int32)],
         ref=_broadcast_args_ref, id="BroadcastArgs-scalar"),
    Case("Bitcast", [f32(2, 3)], attrs={"type": np.int32}, ref=_bitcast_ref, **NO_GRAD),
    Case("Bitcast", [R.standard_normal((2,))], attrs={"type": np.uint16}, ref=_bitcast_ref,
         **NO_GRAD, id="Bitcast-narrower"),
    Case("Bitcast", [np.arange(6, dtype=np.int32).reshape(3, 2)], attrs={"type": np.float64},
         ref=_bitcast_ref, id="Bitcast-wider"),
    Case("Bitcast", [np.array(7, np.uint8)], attrs={"type": np.int8}, ref=_bitcast_ref,
         id="Bitcast-scalar"),
    Case("ParallelConcat", [[f32(1, 3), f32(1, 3), f32(1, 3)]], attrs={"shape": [3, 3]},
         ref=lambda v, shape: np.concatenate(v), unknown_shapes=False, **NO_GRAD),
    Case("EditDistance", _hyp_truth(), ref=_edit_distance_ref),
    Case("EditDistance", _hyp_truth(), attrs={"normalize": False}, ref=_edit_distance_ref,
         id="EditDistance-unnormalized"),
    Case("EditDistance", [np.array([[0, 0], [0, 1], [2, 0]], np.int64),
                          np.array([1.0, 2.0, 5.0], np.float32), Const(np.array([3, 2], np.int64)),
                          np.zeros((0, 2), np.int64), np.zeros(0, np.float32),
                          Const(np.array([1, 4], np.int64))],
         ref=_edit_distance_ref, id="EditDistance-empty-truth"),
    Case("TensorScatterSub", [f32(4, 3), np.array([[1], [3], [1]], np.int32), f32(3, 3)],
         ref=_tensor_scatter_ref(np.subtract)),
    Case("TensorScatterSub", [np.arange(6, dtype=np.int64).reshape(2, 3),
                              np.array([[0, 0], [1, 2], [0, 0]], np.int64),
                              np.array([10, 20, 30], np.int64)],
         ref=_tensor_scatter_ref(np.subtract), id="TensorScatterSub-int-elements"),
    # Max/Min: distinct values (no ties), so the gradient is smooth where checked.
    Case("TensorScatterMax", [np.array([0.5, -1.0, 2.0, 0.25], np.float64),
                              np.array([[1], [1], [3], [2]], np.int32),
                              np.array([-0.5, 1.5, -3.0, 1.0], np.float64)],
         ref=_tensor_scatter_ref(np.maximum)),
    Case("TensorScatterMin", [f32(3, 2) + 10, np.array([[2, 1], [0, 0]], np.int32),
                              np.array([-1.0, 20.0], np.float32)],
         ref=_tensor_scatter_ref(np.minimum)),
    Case("TensorScatterMax", [np.array([[1, 5], [2, 2]], np.int32), np.array([[1], [0]], np.int32),
                              np.array([[3, 3], [0, 9]], np.int32)],
         ref=_tensor_scatter_ref(np.maximum), id="TensorScatterMax-int-rows"),
    # bad_indices_policy IGNORE: index tuples out of range left out (TF's CPU kernels). Max/Min's
    # gradient rule passes the policy on (TF's), so theirs is checked numerically.
    Case("TensorScatterSub", [f32(4, 3), np.array([[1], [5], [1]], np.int32), f32(3, 3)],
         attrs={"bad_indices_policy": "IGNORE"}, grad=[],
         ref=lambda t, i, u, **_: _tensor_scatter_ref(np.subtract)(t, i[[0, 2]], u[[0, 2]]),
         id="TensorScatterSub-ignore"),
    Case("TensorScatterMax", [np.array([0.5, -1.0, 2.0, 0.25], np.float64),
                              np.array([[1], [-3], [3], [4]], np.int32),
                              np.array([-0.5, 1.5, 3.0, 1.0], np.float64)],
         attrs={"bad_indices_policy": "IGNORE"},
         ref=lambda t, i, u, **_: _tensor_scatter_ref(np.maximum)(t, i[[0, 2]], u[[0, 2]]),
         id="TensorScatterMax-ignore"),
    Case("TensorScatterMin", [f32(3, 2) + 10, np.array([[2, 1], [0, 2], [3, 0]], np.int32),
                              np.array([-1.0, 20.0, 0.0], np.float32)],
         attrs={"bad_indices_policy": "IGNORE"},
         ref=lambda t, i, u, **_: _tensor_scatter_ref(np.minimum)(t, i[:1], u[:1]),
         id="TensorScatterMin-ignore"),
]

COVERED_BY = {
    # Variable updates: tested on variables.
    "CountUpTo": "test_array_extra.py::test_count_up_to_counts_then_raises_out_of_range",
    "ScatterNdSub": "test_array_extra.py::test_scatter_nd_sub_on_a_variable",
    # TensorFlow registers no gradient for these; the refusal is tested there.
    "ListDiff": "test_array_extra.py::test_ops_without_a_tf_gradient_refuse_one",
    "Bitcast": "test_array_extra.py::test_ops_without_a_tf_gradient_refuse_one",
    "ParallelConcat": "test_array_extra.py::test_ops_without_a_tf_gradient_refuse_one",
}
