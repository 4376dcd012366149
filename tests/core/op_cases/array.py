"""Cases for the shape-manipulation ops: Size, Rank, ExpandDims, Squeeze, Transpose,
InvertPermutation, ConcatOffset, ConcatV2, Pack, Unpack, Split, SplitV, Tile, Range, OneHot, Pad,
PadV2, MirrorPad and MirrorPadGrad."""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(7)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def i32(*shape):
    return R.integers(-5, 5, size=shape).astype(np.int32)


def ci(values, dtype=np.int32):
    return Const(np.array(values, dtype=dtype))


# -- references written from the definitions -----------------------------------------------------


def _squeeze_ref(x, squeeze_dims=()):
    if not squeeze_dims:
        return x.reshape([d for d in x.shape if d != 1])
    drop = {a % x.ndim for a in squeeze_dims}
    return x.reshape([d for i, d in enumerate(x.shape) if i not in drop])


def _invert_ref(p):
    out = np.zeros_like(p)
    for i, v in enumerate(p):
        out[v] = i
    return out


def _pack_ref(values, axis=0):
    r = values[0].ndim + 1
    a = axis % r
    expanded = [v.reshape(v.shape[:a] + (1,) + v.shape[a:]) for v in values]
    return np.concatenate(expanded, axis=a)


def _unpack_ref(x, num, axis=0):
    a = axis % x.ndim
    return tuple(np.take(x, i, axis=a) for i in range(num))


def _split_ref(axis, x, num_split):
    a = int(axis) % x.ndim
    n = x.shape[a] // num_split
    out = tuple(np.take(x, np.arange(i * n, (i + 1) * n), axis=a) for i in range(num_split))
    return out[0] if num_split == 1 else out


def _split_v_ref(x, sizes, axis, num_split):
    a = int(axis) % x.ndim
    sizes = [int(s) for s in sizes]
    if -1 in sizes:
        sizes[sizes.index(-1)] = x.shape[a] - (sum(sizes) + 1)
    starts = np.cumsum([0] + sizes)
    out = tuple(np.take(x, np.arange(starts[i], starts[i + 1]), axis=a)
                for i in range(num_split))
    return out[0] if num_split == 1 else out


def _tile_ref(x, m):
    out = x
    for a, k in enumerate(m):
        out = np.concatenate([out] * int(k), axis=a) if k else np.take(out, [], axis=a)
    return out


def _range_ref(start, limit, delta):
    dt = np.asarray(start).dtype
    n = max(int(np.ceil((float(limit) - float(start)) / float(delta))), 0)
    return (float(start) + np.arange(n) * float(delta)).astype(dt)


def _one_hot_ref(indices, depth, on, off, axis=-1):
    flat = indices.reshape(-1)
    out = np.full((flat.size, int(depth)), off, dtype=np.asarray(on).dtype)
    for i, v in enumerate(flat):
        if 0 <= v < depth:
            out[i, v] = on
    out = out.reshape(indices.shape + (int(depth),))
    return out if axis == -1 else np.moveaxis(out, -1, axis)


def _pad_ref(x, p, c=0):
    out = np.full([d + int(b) + int(a) for d, (b, a) in zip(x.shape, p)], c, dtype=x.dtype)
    out[tuple(slice(int(b), int(b) + d) for d, (b, _) in zip(x.shape, p))] = x
    return out


def _mirror_ref(x, p, mode):
    return np.pad(x, np.asarray(p), mode=mode.lower())


def _mirror_grad_ref(g, p, mode):
    """Transpose of MirrorPad, built from MirrorPad of every basis vector."""
    p = np.asarray(p)
    in_shape = tuple(d - int(b) - int(a) for d, (b, a) in zip(g.shape, p))
    n = int(np.prod(in_shape))
    basis = np.eye(n, dtype=np.float64).reshape((n,) + in_shape)
    padded = np.stack([np.pad(b, p, mode=mode.lower()) for b in basis])
    return np.tensordot(padded, g.astype(np.float64), axes=g.ndim).reshape(in_shape) \
        .astype(g.dtype)


CASES = [
    # Size / Rank
    Case("Size", [f32(2, 3, 4)], ref=lambda x: np.array(x.size, np.int32)),
    Case("Size", [np.zeros((0, 3), np.int64)], attrs={"out_type": np.int64},
         ref=lambda x, out_type: np.array(0, np.int64), id="Size-empty-int64"),
    Case("Size", [np.float32(2.5)], ref=lambda x: np.array(1, np.int32), id="Size-scalar"),
    Case("Rank", [f32(2, 3)], ref=lambda x: np.array(2, np.int32)),
    Case("Rank", [np.int32(4)], ref=lambda x: np.array(0, np.int32), id="Rank-scalar"),
    # ExpandDims
    Case("ExpandDims", [f32(2, 3), ci(1)], ref=lambda x, d: x.reshape(2, 1, 3)),
    Case("ExpandDims", [f32(2, 3), ci(-1, np.int64)], ref=lambda x, d: x.reshape(2, 3, 1),
         id="ExpandDims-neg-int64"),
    Case("ExpandDims", [f32(2, 3), ci(-3)], ref=lambda x, d: x.reshape(1, 2, 3),
         id="ExpandDims-neg-first"),
    Case("ExpandDims", [np.float32(3.0), ci(0)], ref=lambda x, d: x.reshape(1),
         id="ExpandDims-scalar"),
    Case("ExpandDims", [i32(0, 2), ci(2)], ref=lambda x, d: x.reshape(0, 2, 1),
         id="ExpandDims-empty-int"),
    Case("ExpandDims", [f32(3), np.int32(0)], ref=lambda x, d: x.reshape(1, 3),
         exact_shape=False, id="ExpandDims-fed-dim"),
    # Squeeze
    Case("Squeeze", [f32(2, 1, 3, 1)], ref=_squeeze_ref),
    Case("Squeeze", [f32(2, 1, 3, 1)], attrs={"squeeze_dims": [1]}, ref=_squeeze_ref,
         id="Squeeze-dims"),
    Case("Squeeze", [f32(1, 3, 1)], attrs={"squeeze_dims": [-1, 0]}, ref=_squeeze_ref,
         id="Squeeze-neg"),
    Case("Squeeze", [i32(1, 1)], ref=_squeeze_ref, id="Squeeze-to-scalar-int"),
    Case("Squeeze", [np.zeros((0, 1), np.float32)], attrs={"squeeze_dims": [1]},
         ref=_squeeze_ref, id="Squeeze-empty"),
    # Transpose
    Case("Transpose", [f32(2, 3, 4), ci([2, 0, 1])], ref=lambda x, p: np.transpose(x, p)),
    Case("Transpose", [f32(3, 5), ci([1, 0], np.int64)], ref=lambda x, p: x.T,
         id="Transpose-2d-int64"),
    Case("Transpose", [i32(2, 1, 3), ci([1, 2, 0])], ref=lambda x, p: np.transpose(x, p),
         id="Transpose-int"),
    Case("Transpose", [np.zeros((0, 3), np.float32), ci([1, 0])], ref=lambda x, p: x.T,
         id="Transpose-empty"),
    Case("Transpose", [f32(2, 3, 2), np.array([0, 2, 1], np.int32)],
         ref=lambda x, p: np.transpose(x, p), exact_shape=False, id="Transpose-fed-perm"),
    Case("Transpose", [np.float32(1.5), ci(np.zeros(0))], ref=lambda x, p: x,
         id="Transpose-scalar"),
    # InvertPermutation
    Case("InvertPermutation", [np.array([2, 0, 1], np.int32)], ref=_invert_ref),
    Case("InvertPermutation", [np.array([3, 1, 0, 4, 2], np.int64)], ref=_invert_ref,
         id="InvertPermutation-int64"),
    Case("InvertPermutation", [np.zeros(0, np.int32)], ref=_invert_ref,
         id="InvertPermutation-empty"),
    # ConcatOffset (hand-computed: each input starts after the sizes before it along dim)
    Case("ConcatOffset", [ci(1), [np.array([2, 3, 5], np.int32), np.array([2, 4, 5], np.int32)]],
         ref=lambda d, s: (np.array([0, 0, 0], np.int32), np.array([0, 3, 0], np.int32))),
    Case("ConcatOffset", [ci(-1), [np.array([1, 2]), np.array([1, 5]), np.array([1, 1])]],
         ref=lambda d, s: (np.array([0, 0]), np.array([0, 2]), np.array([0, 7])),
         id="ConcatOffset-three-neg-int64"),
    # ConcatV2
    Case("ConcatV2", [[f32(2, 3), f32(4, 3)], ci(0)],
         ref=lambda v, a: np.concatenate(v, axis=0)),
    Case("ConcatV2", [[f32(2, 1, 3), f32(2, 4, 3), f32(2, 2, 3)], ci(-2, np.int64)],
         ref=lambda v, a: np.concatenate(v, axis=1), id="ConcatV2-three-neg-int64"),
    Case("ConcatV2", [[i32(2, 2), i32(2, 3)], ci(1)],
         ref=lambda v, a: np.concatenate(v, axis=1), id="ConcatV2-int"),
    Case("ConcatV2", [[np.zeros((0, 3), np.float32), f32(2, 3)], ci(0)],
         ref=lambda v, a: np.concatenate(v, axis=0), id="ConcatV2-empty"),
    Case("ConcatV2", [[f32(2, 3), f32(2, 2)], np.int32(-1)],
         ref=lambda v, a: np.concatenate(v, axis=-1), exact_shape=False,
         id="ConcatV2-fed-axis"),
    Case("ConcatV2", [[f32(1, 2), f32(3, 2)], np.int64(0)],
         ref=lambda v, a: np.concatenate(v, axis=0), exact_shape=False,
         id="ConcatV2-fed-axis-int64"),
    # Pack / Unpack
    Case("Pack", [[f32(2, 3), f32(2, 3)]], ref=_pack_ref),
    Case("Pack", [[f32(2, 3), f32(2, 3), f32(2, 3)]], attrs={"axis": 1}, ref=_pack_ref,
         id="Pack-axis1"),
    Case("Pack", [[i32(4), i32(4)]], attrs={"axis": -1}, ref=_pack_ref, id="Pack-neg-int"),
    Case("Pack", [[f32(3)]], ref=_pack_ref, id="Pack-one"),
    Case("Pack", [[np.float32(1.0), np.float32(2.0)]], ref=_pack_ref, id="Pack-scalars"),
    Case("Pack", [[np.zeros((0, 2), np.float32)] * 2], attrs={"axis": 2}, ref=_pack_ref,
         id="Pack-empty"),
    Case("Unpack", [f32(2, 3)], attrs={"num": 3, "axis": 1}, ref=_unpack_ref),
    Case("Unpack", [f32(2, 2, 4)], attrs={"num": 4, "axis": -1}, ref=_unpack_ref,
         id="Unpack-neg"),
    Case("Unpack", [i32(3, 2)], attrs={"num": 3}, ref=_unpack_ref, id="Unpack-int"),
    Case("Unpack", [f32(1, 5)], attrs={"num": 1}, ref=lambda x, num: x[0], id="Unpack-one"),
    Case("Unpack", [np.zeros((2, 0), np.float32)], attrs={"num": 2}, ref=_unpack_ref,
         id="Unpack-empty"),
    # Split / SplitV
    Case("Split", [ci(1), f32(2, 6)], attrs={"num_split": 3}, ref=_split_ref),
    Case("Split", [ci(-1), f32(2, 2, 4)], attrs={"num_split": 2}, ref=_split_ref,
         id="Split-neg"),
    Case("Split", [ci(0), i32(4, 3)], attrs={"num_split": 4}, ref=_split_ref, id="Split-int"),
    Case("Split", [ci(0), f32(3, 2)], attrs={"num_split": 1}, ref=_split_ref, id="Split-one"),
    Case("Split", [ci(1), np.zeros((2, 0), np.float32)], attrs={"num_split": 2},
         ref=_split_ref, id="Split-empty"),
    Case("Split", [np.int32(1), f32(2, 4)], attrs={"num_split": 2}, ref=_split_ref,
         exact_shape=False, id="Split-fed-axis"),
    Case("SplitV", [f32(2, 5), ci([1, 4]), ci(1)], attrs={"num_split": 2}, ref=_split_v_ref),
    Case("SplitV", [f32(6, 2), ci([2, -1, 1], np.int64), ci(-2)], attrs={"num_split": 3},
         ref=_split_v_ref, id="SplitV-minus-one-int64"),
    Case("SplitV", [i32(3, 4), ci([0, 3, 1]), ci(1)], attrs={"num_split": 3},
         ref=_split_v_ref, id="SplitV-zero-piece-int"),
    Case("SplitV", [f32(4, 3), ci([4]), ci(0)], attrs={"num_split": 1}, ref=_split_v_ref,
         id="SplitV-one"),
    Case("SplitV", [f32(5, 2), np.array([3, 2], np.int32), ci(0)], attrs={"num_split": 2},
         ref=_split_v_ref, exact_shape=False, id="SplitV-fed-sizes"),
    # Tile
    Case("Tile", [f32(2, 3), ci([2, 1])], ref=_tile_ref),
    Case("Tile", [f32(2, 1, 3), ci([1, 3, 2], np.int64)], ref=_tile_ref, id="Tile-3d-int64"),
    Case("Tile", [i32(2, 2), ci([3, 2])], ref=_tile_ref, id="Tile-int"),
    Case("Tile", [f32(2, 3), ci([0, 2])], ref=_tile_ref, id="Tile-zero"),
    Case("Tile", [np.float32(2.0), ci(np.zeros(0))], ref=lambda x, m: x, id="Tile-scalar"),
    Case("Tile", [f32(3, 2), np.array([2, 2], np.int32)], ref=_tile_ref, exact_shape=False,
         id="Tile-fed-multiples"),
    # Range
    Case("Range", [ci(0), ci(5), ci(1)], ref=_range_ref),
    Case("Range", [ci(10), ci(2), ci(-3)], ref=_range_ref, id="Range-negative-delta"),
    Case("Range", [ci(3, np.int64), ci(3, np.int64), ci(1, np.int64)], ref=_range_ref,
         id="Range-empty-int64"),
    Case("Range", [Const(np.float32(0.1)), Const(np.float32(1.0)), Const(np.float32(0.1))],
         ref=_range_ref, id="Range-float32"),
    Case("Range", [Const(1.0), Const(2.0), Const(0.3)], ref=_range_ref, id="Range-float64"),
    Case("Range", [np.int32(2), np.int32(9), np.int32(2)], ref=_range_ref, exact_shape=False,
         id="Range-fed"),
    # ReverseSequence: each row's first seq_lengths[b] steps reversed (its own gradient)
    Case("ReverseSequence", [f32(3, 4, 2), ci([4, 0, 2], np.int64)],
         ref=lambda x, n, **_: np.stack([np.concatenate([x[b, :k][::-1], x[b, k:]])
                                         for b, k in enumerate(n)]),
         attrs={"seq_dim": 1, "batch_dim": 0}),
    Case("ReverseSequence", [f32(5, 2, 3), ci([3, 5], np.int32)],
         ref=lambda x, n, **_: np.stack([np.concatenate([x[:k, b][::-1], x[k:, b]])
                                         for b, k in enumerate(n)], axis=1),
         attrs={"seq_dim": 0, "batch_dim": 1}, id="ReverseSequence-time-major"),
    # OneHot
    Case("OneHot", [np.array([0, 2, 1, -1], np.int32), ci(3), np.float32(1.0),
                    np.float32(0.0)], ref=_one_hot_ref),
    Case("OneHot", [np.array([[0, 2], [5, -1]], np.int64), ci(3), np.float32(2.0),
                    np.float32(-1.0)], attrs={"axis": 1}, ref=_one_hot_ref,
         id="OneHot-axis1-int64"),
    Case("OneHot", [np.array([1, 0], np.uint8), ci(4), np.int32(7), np.int32(3)],
         attrs={"axis": 0}, ref=_one_hot_ref, id="OneHot-axis0-int"),
    Case("OneHot", [np.int32(1), ci(3), np.float32(1.0), np.float32(0.0)], ref=_one_hot_ref,
         id="OneHot-scalar"),
    Case("OneHot", [np.array([1, 0], np.int32), ci(0), np.float32(1.0), np.float32(0.0)],
         ref=_one_hot_ref, id="OneHot-depth0"),
    Case("OneHot", [np.array([1, 2], np.int32), np.int32(3), np.float64(1.0), np.float64(0.0)],
         ref=_one_hot_ref, exact_shape=False, id="OneHot-fed-depth"),
    # Pad / PadV2 / MirrorPad
    Case("Pad", [f32(2, 3), ci([[1, 0], [2, 2]])], ref=_pad_ref),
    Case("Pad", [f32(2, 1, 3), ci([[0, 1], [1, 1], [0, 0]], np.int64)], ref=_pad_ref,
         id="Pad-3d-int64"),
    Case("Pad", [i32(3), ci([[2, 1]])], ref=_pad_ref, id="Pad-int"),
    Case("Pad", [np.zeros((0, 2), np.float32), ci([[1, 1], [0, 1]])], ref=_pad_ref,
         id="Pad-empty"),
    Case("Pad", [f32(2, 2), np.array([[1, 0], [0, 2]], np.int32)], ref=_pad_ref,
         exact_shape=False, id="Pad-fed-paddings"),
    Case("PadV2", [f32(2, 3), ci([[1, 1], [0, 2]]), np.float32(-1.5)], ref=_pad_ref,
         grad=[0]),
    Case("PadV2", [i32(2, 2), ci([[0, 1], [1, 0]]), np.int32(9)], ref=_pad_ref,
         id="PadV2-int"),
    Case("MirrorPad", [f32(3, 4), ci([[1, 2], [2, 3]])], attrs={"mode": "REFLECT"},
         ref=_mirror_ref),
    Case("MirrorPad", [f32(2, 3), ci([[2, 1], [3, 0]], np.int64)], attrs={"mode": "SYMMETRIC"},
         ref=_mirror_ref, id="MirrorPad-symmetric"),
    Case("MirrorPad", [i32(3), ci([[1, 1]])], attrs={"mode": "REFLECT"}, ref=_mirror_ref,
         id="MirrorPad-int"),
    Case("MirrorPadGrad", [f32(6, 9), ci([[1, 2], [2, 3]])], attrs={"mode": "REFLECT"},
         ref=_mirror_grad_ref),
    Case("MirrorPadGrad", [f32(5, 6), ci([[2, 1], [3, 0]])], attrs={"mode": "SYMMETRIC"},
         ref=_mirror_grad_ref, id="MirrorPadGrad-symmetric"),
]
