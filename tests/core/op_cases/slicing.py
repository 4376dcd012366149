"""Cases for the slicing and gathering ops: Slice, StridedSlice, StridedSliceGrad, GatherV2 and
UnsortedSegmentSum. StridedSlice references are plain numpy basic indexing of the same index
expression; masks are encoded from it the way TensorFlow's ``tensor[...]`` does."""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(11)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def ci(values, dtype=np.int32):
    return Const(np.array(values, dtype=dtype))


_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def encode(index):
    """(begin, end, strides, masks) for a numpy basic index expression (TF's encoding)."""
    if not isinstance(index, tuple):
        index = (index,)
    begin, end, strides = [], [], []
    masks = dict.fromkeys(_MASKS, 0)
    for i, s in enumerate(index):
        bit = 1 << i
        if isinstance(s, slice):
            begin.append(0 if s.start is None else s.start)
            end.append(0 if s.stop is None else s.stop)
            strides.append(1 if s.step is None else s.step)
            masks["begin_mask"] |= bit if s.start is None else 0
            masks["end_mask"] |= bit if s.stop is None else 0
        elif s is Ellipsis:
            begin.append(0), end.append(0), strides.append(1)
            masks["ellipsis_mask"] |= bit
        elif s is None:
            begin.append(0), end.append(0), strides.append(1)
            masks["new_axis_mask"] |= bit
        else:
            begin.append(s), end.append(s + 1), strides.append(1)
            masks["shrink_axis_mask"] |= bit
    return begin, end, strides, masks


def ss_case(x, index, dtype=np.int32, tag="", **kw):
    """A StridedSlice case whose reference is ``x[index]`` in numpy."""
    begin, end, strides, masks = encode(index)
    return Case("StridedSlice", [x, ci(begin, dtype), ci(end, dtype), ci(strides, dtype)],
                ref=lambda x, b, e, s, **_: x[index], attrs=masks,
                id=f"StridedSlice-{tag or index}", **kw)


def raw_ss_case(x, begin, end, strides, ref, tag, **masks):
    """A StridedSlice case given by raw begin/end/strides/masks and a hand-written reference."""
    return Case("StridedSlice", [x, ci(begin), ci(end), ci(strides)],
                ref=lambda x, b, e, s, **_: ref(x), attrs=masks, id=f"StridedSlice-{tag}")


def _scatter_ref(shape, index):
    """StridedSliceGrad's reference: zeros with dy written into ``zeros[index]``."""
    full = index if isinstance(index, tuple) else (index,)
    full += () if Ellipsis in full else (Ellipsis,)  # keeps all-int indexing a 0-d view

    def ref(s, b, e, st, dy, **_):
        out = np.zeros(shape, dy.dtype)
        out[full] = dy  # numpy's view of the region has dy's shape, new axes included
        return out
    return ref


def ssg_case(shape, index, tag="", dtype=np.int32):
    begin, end, strides, masks = encode(index)
    dy = np.zeros(shape, np.float32)[index].shape
    return Case("StridedSliceGrad", [ci(shape, dtype), ci(begin, dtype), ci(end, dtype),
                                     ci(strides, dtype), f32(*dy)],
                ref=_scatter_ref(shape, index), attrs=masks,
                id=f"StridedSliceGrad-{tag or index}")


def _slice_ref(x, begin, size):
    return x[tuple(slice(b, x.shape[i] if s == -1 else b + s)
                   for i, (b, s) in enumerate(zip(begin, size)))]


def _gather_ref(params, indices, axis, batch_dims=0):
    """Gather from the definition, batch by batch: out[pre.., idx.., post..] =
    params[pre.., indices[idx..], post..]."""
    axis = int(axis) % params.ndim
    if batch_dims < 0:
        batch_dims += indices.ndim
    if batch_dims == 0:
        return np.take(params, indices, axis=axis)
    out = [_gather_ref(params[b], indices[b], axis - 1, batch_dims - 1)
           for b in range(params.shape[0])]
    return np.stack(out)


def _uss_ref(data, ids, n):
    out = np.zeros((int(n),) + data.shape[ids.ndim:], data.dtype)
    for pos in np.ndindex(*ids.shape):
        if ids[pos] >= 0:
            out[ids[pos]] += data[pos]
    return out


# Distinct values, so max and min are unique and their gradient is defined.
SEG_DATA = np.random.default_rng(11).permutation(15).reshape(5, 3).astype(np.float32) - 7.0
_SEG_OPS = {"SegmentSum": "sum", "SegmentMean": "mean", "SegmentMax": "max", "SegmentMin": "min",
            "UnsortedSegmentMax": "max", "UnsortedSegmentMin": "min"}


def _segment_ref_for(op_type):
    """The numpy reference of one segment op: row by row, the empty-segment rule by hand."""
    kind = _SEG_OPS[op_type]

    def ref(data, ids, n=None):
        count = int(n) if n is not None else (int(ids.max()) + 1 if ids.size else 0)
        tail = data.shape[ids.ndim:]
        rows = data.reshape((ids.size,) + tail)
        out = []
        for seg in range(count):
            members = [rows[j] for j, i in enumerate(ids.reshape(-1)) if i == seg]
            if not members:
                if n is None:  # sorted: an empty segment is 0
                    out.append(np.zeros(tail, data.dtype))
                else:  # unsorted max/min: the dtype's lowest / largest
                    info = np.finfo(data.dtype)
                    out.append(np.full(tail, info.min if kind == "max" else info.max))
                continue
            out.append({"sum": np.sum, "mean": np.mean, "max": np.max,
                        "min": np.min}[kind](members, axis=0))
        return np.array(out, data.dtype).reshape((count,) + tail)
    return ref


def _gather_nd_ref(params, indices):
    return np.array([params[tuple(ix)] for ix in indices.reshape(-1, indices.shape[-1])]
                    ).reshape(indices.shape[:-1] + params.shape[indices.shape[-1]:])


def _scatter_nd_ref(indices, updates, shape):
    out = np.zeros(tuple(shape), updates.dtype)
    for ix, u in zip(indices.reshape(-1, indices.shape[-1]),
                     updates.reshape((-1,) + out.shape[indices.shape[-1]:])):
        out[tuple(ix)] += u
    return out


def _top_k_ref(x, k, **_):
    """Per row, positions by value, largest first, equal values by position (a plain sort)."""
    rows = x.reshape(-1, x.shape[-1])
    idx = np.array([[i for _, i in sorted((-float(v), i) for i, v in enumerate(row))][:int(k)]
                    for row in rows], np.int32).reshape(x.shape[:-1] + (int(k),))
    return np.take_along_axis(x, idx, -1), idx


X = f32(3, 4, 5)
X2 = f32(4, 6)
XI = np.arange(60, dtype=np.int32).reshape(3, 4, 5)

# Index expressions checked against numpy: ints (negative too), slices with negative / None
# bounds and steps, out-of-range bounds (clamped), ellipsis anywhere, new axes, and all mixed.
_EXPRESSIONS = [
    (slice(None), 1),
    0,
    -1,
    (1, 2, 3),
    (-3, -4, -5),
    (slice(1, 3),),
    (slice(None, None, -1),),
    (slice(None, None, -2), slice(3, 0, -1)),
    (slice(-1, -10, -2), slice(1, None), slice(None, -1, 2)),
    (slice(-100, 100), slice(10, 20)),
    (slice(100, -100, -1), slice(-100, 100, 3)),
    (slice(2, 1),),
    (slice(1, 2, -1),),
    (Ellipsis, 1),
    (Ellipsis, slice(1, 3), None),
    (None, Ellipsis, None, 2),
    (1, Ellipsis, slice(None, None, -1)),
    (slice(None), Ellipsis, 0),
    (None,),
    (None, None, 1, None),
    (slice(None, None, -1), None, -2),
    (0, None, slice(None, None, 2), -1),
    (Ellipsis,),
    (),
    (slice(None, None, 7), slice(None, None, 3)),
    (2, slice(None, None, 2), Ellipsis, None),
]

CASES = [ss_case(X, e) for e in _EXPRESSIONS] + [
    ss_case(X2, (slice(None, None, -1), slice(1, 5, 2)), tag="2d"),
    ss_case(X, (1, slice(None, None, -1)), dtype=np.int64, tag="int64-index"),
    ss_case(XI, (slice(None), -1, slice(None, None, -2)), tag="int32-data"),
    ss_case(np.array([True, False, True]), slice(None, None, -1), tag="bool"),
    ss_case(np.float32(3.5) * np.ones(4, np.float32), 2, tag="to-scalar"),
    ss_case(f32(0, 3), (slice(None), 1), tag="empty-dim"),
    ss_case(f32(2, 3, 4, 2), (1, Ellipsis, None, slice(None, 1)), tag="rank4"),
    # Raw specs that index expressions cannot write: masked bounds holding garbage values,
    # mask bits beyond the spec, stride > 1 with shrink, a new axis and shrink on one bit
    # (new axis wins), an ellipsis and new axis on one bit (ellipsis wins).
    raw_ss_case(X, [7, -9], [-9, 7], [1, -1], lambda x: x[:, ::-1], "masked-garbage",
                begin_mask=3, end_mask=3),
    raw_ss_case(X, [1], [2], [1], lambda x: x[1:2], "mask-bits-beyond", begin_mask=6,
                end_mask=6, shrink_axis_mask=4),
    raw_ss_case(X, [1], [2], [2], lambda x: x[1], "shrink-stride2", shrink_axis_mask=1),
    raw_ss_case(X, [0, 1], [1, 2], [1, 1], lambda x: x[None, 1:2], "newaxis-beats-shrink",
                new_axis_mask=1, shrink_axis_mask=1),
    raw_ss_case(X, [0, 1], [1, 2], [1, 1], lambda x: x[..., 1:2], "ellipsis-beats-newaxis",
                ellipsis_mask=1, new_axis_mask=1),
    raw_ss_case(X, [-1], [0], [1], lambda x: x[-1], "shrink-last", shrink_axis_mask=1),
    # Begin/end/strides fed at run time: shape inference is partial, the result exact.
    Case("StridedSlice", [X, np.array([1, -1], np.int32), np.array([3, -5], np.int32),
                          np.array([1, -2], np.int32)],
         ref=lambda x, b, e, s: x[1:3, -1:-5:-2], exact_shape=False, id="StridedSlice-fed"),
    Case("StridedSlice", [X, np.array([0, 2], np.int64), np.array([0, 3], np.int64),
                          ci([1, 1], np.int64)],
         attrs={"begin_mask": 1, "end_mask": 1, "shrink_axis_mask": 2},
         ref=lambda x, b, e, s, **_: x[:, 2], exact_shape=False, id="StridedSlice-fed-shrink"),
    # StridedSliceGrad: the scatter that is StridedSlice's gradient.
    ssg_case([3, 4, 5], (slice(None), 1), tag="shrink"),
    ssg_case([3, 4, 5], (slice(None, None, -2), None, slice(3, 0, -1)), tag="neg-newaxis"),
    ssg_case([3, 4, 5], (Ellipsis, slice(1, 4, 2)), tag="ellipsis", dtype=np.int64),
    ssg_case([3, 4, 5], (1, 2, 3), tag="element"),
    ssg_case([4, 6], (slice(-100, 100), slice(5, None)), tag="clamped"),
    Case("StridedSliceGrad", [ci([3, 2]), ci([2]), ci([0]), ci([-1]),
                              np.arange(6, dtype=np.int32).reshape(3, 2)],
         attrs={"end_mask": 1},
         ref=lambda *a, **k: np.arange(6, dtype=np.int32).reshape(3, 2)[::-1],
         id="StridedSliceGrad-int"),
    # Slice.
    Case("Slice", [X, ci([0, 1, 2]), ci([1, -1, 2])], ref=_slice_ref),
    Case("Slice", [X2, ci([1, 0], np.int64), ci([3, 6], np.int64)], ref=_slice_ref,
         id="Slice-int64"),
    Case("Slice", [X, ci([3, 0, 0]), ci([0, -1, -1])], ref=_slice_ref, id="Slice-empty"),
    Case("Slice", [XI, ci([1, 1, 1]), ci([-1, 2, -1])], ref=_slice_ref, id="Slice-int32-data"),
    Case("Slice", [X, np.array([1, 2, 0], np.int32), np.array([2, 2, -1], np.int32)],
         ref=_slice_ref, exact_shape=False, id="Slice-fed"),
    Case("Slice", [f32(5), ci([2]), ci([-1])], ref=_slice_ref, id="Slice-1d"),
    # GatherV2.
    Case("GatherV2", [X, np.array([2, 0, 2], np.int32), ci(0)],
         ref=_gather_ref, id="GatherV2-axis0-dup"),
    Case("GatherV2", [X, np.array([[3, 0], [1, 3]], np.int64), ci(1)],
         ref=_gather_ref, id="GatherV2-axis1-int64"),
    Case("GatherV2", [X, np.array([4, 0, 4, 1], np.int32), ci(-1)],
         ref=_gather_ref, id="GatherV2-axis-neg1"),
    Case("GatherV2", [X, np.array(2, np.int32), ci(2, np.int64)],
         ref=_gather_ref, id="GatherV2-scalar-index"),
    Case("GatherV2", [XI, np.array([[1], [0]], np.int64), ci(0)],
         ref=_gather_ref, id="GatherV2-int-params"),
    Case("GatherV2", [X, np.zeros([0, 2], np.int32), ci(1)],
         ref=_gather_ref, id="GatherV2-empty-indices"),
    Case("GatherV2", [X, np.array([[1, 3, 3], [0, 0, 2], [3, 2, 1]], np.int32), ci(1)],
         attrs={"batch_dims": 1}, ref=_gather_ref, id="GatherV2-batch1-axis1"),
    Case("GatherV2", [X, np.array([[4, 0], [1, 1], [3, 2]], np.int32), ci(2)],
         attrs={"batch_dims": 1}, ref=_gather_ref, id="GatherV2-batch1-axis2"),
    Case("GatherV2", [X, np.array([[[4], [0], [1], [2]]] * 3, np.int64), ci(-1)],
         attrs={"batch_dims": -1}, ref=_gather_ref,
         id="GatherV2-batch-neg1"),
    Case("GatherV2", [X2, np.array([5, 0], np.int32), np.array(1, np.int32)],
         ref=_gather_ref, exact_shape=False, id="GatherV2-fed-axis"),
    # UnsortedSegmentSum.
    Case("UnsortedSegmentSum", [X, np.array([2, 0, 2], np.int32), ci(4)], ref=_uss_ref),
    Case("UnsortedSegmentSum", [X, np.array([[0, 1, 1, 0], [2, 2, 0, 1], [1, 1, 1, 1]],
                                            np.int64), ci(3, np.int64)],
         ref=_uss_ref, id="UnsortedSegmentSum-2d-ids"),
    Case("UnsortedSegmentSum", [X2, np.array([0, -1, 2, -3], np.int32), ci(3)],
         ref=_uss_ref, id="UnsortedSegmentSum-negative-ids"),
    Case("UnsortedSegmentSum", [XI, np.array([1, 1, 0], np.int32), ci(2)],
         ref=_uss_ref, id="UnsortedSegmentSum-int"),
    Case("UnsortedSegmentSum", [f32(3), np.array([0, 0, 0], np.int32), ci(2)],
         ref=_uss_ref, id="UnsortedSegmentSum-1d"),
    Case("UnsortedSegmentSum", [X2, np.array([1, 0, 1, 1], np.int32),
                                np.array(2, np.int32)],
         ref=_uss_ref, exact_shape=False, id="UnsortedSegmentSum-fed-num"),
    # Sorted segments (empty ones 0) and unsorted max/min (empty ones the dtype's extreme).
    Case("SegmentSum", [SEG_DATA, np.array([0, 0, 2, 2, 3], np.int32)],
         ref=_segment_ref_for("SegmentSum"), exact_shape=False),
    Case("SegmentMean", [SEG_DATA, np.array([0, 0, 2, 2, 3], np.int32)],
         ref=_segment_ref_for("SegmentMean"), exact_shape=False),
    Case("SegmentMax", [SEG_DATA, np.array([0, 0, 2, 2, 3], np.int64)],
         ref=_segment_ref_for("SegmentMax"), exact_shape=False),
    Case("SegmentMin", [SEG_DATA, np.array([1, 1, 1, 2, 2], np.int32)],
         ref=_segment_ref_for("SegmentMin"), exact_shape=False),
    Case("UnsortedSegmentMax", [SEG_DATA, np.array([2, -1, 0, 1, 0], np.int32), ci(3)],
         ref=_segment_ref_for("UnsortedSegmentMax")),
    Case("UnsortedSegmentMin", [SEG_DATA[:4].reshape(2, 2, 3), np.array([[1, 0], [1, 1]],
                                                                        np.int64), ci(2)],
         ref=_segment_ref_for("UnsortedSegmentMin")),
    # Empty unsorted segments hold the dtype's extreme (no numerical gradient through it).
    Case("UnsortedSegmentMax", [SEG_DATA, np.array([2, -1, 0, 2, 0], np.int32), ci(4)],
         ref=_segment_ref_for("UnsortedSegmentMax"), grad=[], id="UnsortedSegmentMax-empty"),
    Case("UnsortedSegmentMin", [SEG_DATA, np.array([3, 3, -1, 0, 0], np.int32), ci(4)],
         ref=_segment_ref_for("UnsortedSegmentMin"), grad=[], id="UnsortedSegmentMin-empty"),
    # GatherNd: index tuples picking elements (K = rank) or slices (K < rank).
    Case("GatherNd", [X, np.array([[2, 0, 1], [0, 3, 4], [2, 0, 1]], np.int32)],
         ref=_gather_nd_ref, id="GatherNd-elements-dup"),
    Case("GatherNd", [X, np.array([[[1], [0]], [[2], [2]]], np.int64)],
         ref=_gather_nd_ref, id="GatherNd-rows"),
    Case("GatherNd", [XI, np.array([[1, 3], [0, 0]], np.int32)],
         ref=_gather_nd_ref, id="GatherNd-int-slices"),
    # ScatterNd: repeated indices add up.
    Case("ScatterNd", [np.array([[1], [3], [1]], np.int32), f32(3, 5), ci([4, 5])],
         ref=_scatter_nd_ref, grad=[1], id="ScatterNd-rows-dup"),
    Case("ScatterNd", [np.array([[0, 1], [2, 2]], np.int64), f32(2), ci([3, 3], np.int64)],
         ref=_scatter_nd_ref, grad=[1], id="ScatterNd-elements"),
    # bad_indices_policy IGNORE (TF's CPU kernels): an index tuple out of range gathers zeros /
    # updates nothing. The ScatterNd gradient (a GatherNd) does not pass it on, as TF's rule.
    Case("GatherNd", [X2, np.array([[3, 1], [4, 0], [0, -1], [0, 5]], np.int32)],
         attrs={"bad_indices_policy": "IGNORE"},
         ref=lambda p, i, **_: np.array([p[3, 1], 0, 0, p[0, 5]], np.float32),
         id="GatherNd-ignore-bad-elements"),
    # Rows (indices (n, 1)): the gradient is IndexedSlices, whose dense form refuses the bad row
    # (TF's UnsortedSegmentSum too), so no gradient check.
    Case("GatherNd", [X2, np.array([[9], [1]], np.int64)], attrs={"bad_indices_policy": "IGNORE"},
         grad=[], ref=lambda p, i, **_: np.stack([np.zeros(6, np.float32), p[1]]),
         id="GatherNd-ignore-rows"),
    Case("ScatterNd", [np.array([[1], [7], [-2], [1]], np.int32), f32(4, 5), ci([3, 5])],
         attrs={"bad_indices_policy": "IGNORE"}, grad=[],
         ref=lambda i, u, s, **_: np.stack([np.zeros(5, np.float32), u[0] + u[3],
                                            np.zeros(5, np.float32)]),
         id="ScatterNd-ignore"),
    Case("ScatterNd", [np.array([[1], [2]], np.int32), f32(2, 5), ci([3, 5])],
         attrs={"bad_indices_policy": "ERROR"}, ref=lambda i, u, s, **_: _scatter_nd_ref(i, u, s),
         grad=[1], id="ScatterNd-error-policy-in-range"),
    # TopKV2: distinct values (a tie's numerical gradient is not defined).
    Case("TopKV2", [np.random.default_rng(5).permutation(20).reshape(4, 5).astype(np.float32),
                    ci(3)], ref=_top_k_ref, id="TopKV2-2d"),
    Case("TopKV2", [np.array([3.0, 1.0, 3.0, 7.0, -2.0], np.float32), ci(4)],
         ref=_top_k_ref, grad=[], id="TopKV2-ties-lower-index-first"),
    Case("TopKV2", [np.array([[5, 9, 1], [2, 2, 8]], np.int32), ci(0)],
         ref=_top_k_ref, id="TopKV2-k0-int"),
    # index_type: the indices' dtype (TF's int16 / int64 too); the gradient casts them.
    Case("TopKV2", [np.random.default_rng(6).permutation(12).reshape(3, 4).astype(np.float32),
                    ci(2)], attrs={"index_type": np.int64},
         ref=lambda x, k, **_: (_top_k_ref(x, k)[0], _top_k_ref(x, k)[1].astype(np.int64)),
         id="TopKV2-index-int64"),
    Case("TopKV2", [np.array([4.0, -1.0, 9.0, 2.0], np.float32), ci(3)],
         attrs={"index_type": np.int16, "sorted": True},
         ref=lambda x, k, **_: (_top_k_ref(x, k)[0], _top_k_ref(x, k)[1].astype(np.int16)),
         id="TopKV2-index-int16"),
]

