"""Projective image transforms, connected components and greedy matching:
ImageProjectiveTransformV2 and V3 (``tf.contrib.image.transform``, TF 2's ``tf.raw_ops``), and
TF 1.15 contrib.image's own ImageConnectedComponents (under ``connected_components``) and
BipartiteMatch (``bipartite_match``).

The transform kernel follows TF's ProjectiveGenerator (image_ops.h) step by step in float32:
output pixel (x, y) (integer indices, not pixel centres) maps to the input point
((a0 x + a1 y + a2) / k, (a3 x + a4 y + a5) / k) with k = a6 x + a7 y + 1 (k == 0 gives the
fill value); ``fill_mode`` maps a point outside the image back in (REFLECT: dcba|abcd|dcba,
WRAP: abcd|abcd|abcd, NEAREST: clamp; CONSTANT leaves it outside, where the fill value is read);
NEAREST interpolation reads the pixel at the point rounded half away from zero (no float
conversion: float64 values pass unchanged), BILINEAR mixes the four neighbours in float32 and
converts back with C's cast (integers truncate). V2's fill value is 0, V3's its input cast to
the image type. The gradient is TF's (image_grad.py): the incoming gradient transformed by the
inverse matrices, which is the exact adjoint only for permutations such as integer shifts.

ImageConnectedComponents labels 4-connected pixels of equal non-zero value; a component's id is
one plus the smallest flat index (over the whole batch) among its pixels. TF's union-find picks
some member as the root; contrib's Python renumbers the ids in order of first appearance, which
any choice of root gives the same result for, so ``connected_components`` matches TF exactly.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req
from ._conv_util import _require
from .concat_split_ops import _dims_str
from .image_ops import _rank4, _size_hw

__all__: list[str] = []

_F32 = np.float32
_IMAGE_TYPES = (_dt.uint8, _dt.int32, _dt.int64, _dt.float16, _dt.float32,
                _dt.float64)
_CC_TYPES = (_dt.int64, _dt.int32, _dt.uint16, _dt.int16, _dt.uint8, _dt.int8, _dt.float16,
             _dt.float32, _dt.float64, _dt.bool, _dt.string)
_INTERPOLATIONS = ("NEAREST", "BILINEAR")
_FILL_MODES = ("CONSTANT", "REFLECT", "WRAP", "NEAREST")


def _error(message):
    return InvalidArgumentError(None, None, message)


# -- coordinate mapping (TF's MapCoordinate functors) --------------------------------------------


def _trunc(v):
    """C's static_cast<int64>(float), for finite values."""
    return np.trunc(np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)).astype(np.int64)


def _map_reflect(c, n):
    if n <= 1:
        return np.where((c < 0) | (c > n - 1), _F32(0), c)
    sz2 = 2 * n
    neg = np.where(c < sz2, (sz2 * _trunc(-c / _F32(sz2))).astype(_F32) + c, c)
    neg = np.where(neg < -n, neg + _F32(sz2), -neg - _F32(1))
    pos = c - (sz2 * _trunc(c / _F32(sz2))).astype(_F32)
    pos = np.where(pos >= n, _F32(sz2) - pos - _F32(1), pos)
    out = np.where(c < 0, neg, np.where(c > n - 1, pos, c))
    return np.clip(out, _F32(0), _F32(n - 1))


def _map_wrap(c, n):
    if n <= 1:
        return np.where((c < 0) | (c > n - 1), _F32(0), c)
    sz = n - 1
    neg = c + (n * (_trunc(-c / _F32(sz)) + 1)).astype(_F32)
    pos = c - (n * _trunc(c / _F32(sz))).astype(_F32)
    out = np.where(c < 0, neg, np.where(c > n - 1, pos, c))
    return np.clip(out, _F32(0), _F32(n - 1))


def _map(c, n, fill_mode):
    with np.errstate(invalid="ignore", over="ignore"):
        if fill_mode == "REFLECT":
            return _map_reflect(c, n)
        if fill_mode == "WRAP":
            return _map_wrap(c, n)
        if fill_mode == "NEAREST":
            return np.clip(c, _F32(0), _F32(n - 1))
    return c


# -- ImageProjectiveTransformV2 / V3 -------------------------------------------------------------


def _read(img, y, x, fill):
    """img[y, x] ([h, w, c] image, int64 index grids) with ``fill`` outside the image."""
    h, w = img.shape[:2]
    inside = (y >= 0) & (y < h) & (x >= 0) & (x < w)
    vals = img[np.where(inside, y, 0), np.where(inside, x, 0)]
    return np.where(inside[..., None], vals, fill)


def _index(v):
    """DenseIndex(v) for a float grid; non-finite points become an index outside any image."""
    ok = np.isfinite(v) & (np.abs(v) < 2.0 ** 62)
    return np.where(ok, np.trunc(np.where(ok, v, 0)), -1).astype(np.int64)


def _cast_back(v, dtype):
    """T(float) as C++ converts: integers truncate (wrapping as x86 does), floats round."""
    if np.issubdtype(dtype, np.integer):
        return _index(v).astype(dtype)
    return v.astype(dtype)


def _transform_one(img, t, out_h, out_w, interpolation, fill_mode, fill):
    """One [h, w, c] image under one transform row (float32, as TF's generator)."""
    h, w = img.shape[:2]
    ox = np.arange(out_w, dtype=_F32)[None, :]
    oy = np.arange(out_h, dtype=_F32)[:, None]
    t = t.astype(_F32)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        proj = t[6] * ox + t[7] * oy + _F32(1)
        in_x = (t[0] * ox + t[1] * oy + t[2]) / proj
        in_y = (t[3] * ox + t[4] * oy + t[5]) / proj
        x, y = _map(in_x, w, fill_mode), _map(in_y, h, fill_mode)
        if interpolation == "NEAREST":
            # std::round: half away from zero
            out = _read(img, _index(np.sign(y) * np.floor(np.abs(y) + _F32(0.5))),
                        _index(np.sign(x) * np.floor(np.abs(x) + _F32(0.5))),
                        img.dtype.type(fill))
        else:
            f32 = img.astype(_F32, copy=False)
            fill32 = _F32(img.dtype.type(fill))
            yf, xf = np.floor(y), np.floor(x)
            yc, xc = yf + _F32(1), xf + _F32(1)
            iyf, ixf, iyc, ixc = _index(yf), _index(xf), _index(yc), _index(xc)
            wx0, wx1 = (xc - x)[..., None], (x - xf)[..., None]
            top = wx0 * _read(f32, iyf, ixf, fill32) + wx1 * _read(f32, iyf, ixc, fill32)
            bottom = wx0 * _read(f32, iyc, ixf, fill32) + wx1 * _read(f32, iyc, ixc, fill32)
            out = _cast_back((yc - y)[..., None] * top + (y - yf)[..., None] * bottom,
                             img.dtype)
    return np.where((proj == 0)[..., None], img.dtype.type(fill), out)


def _fill_cast(fill_value, dtype):
    """static_cast<T>(float fill_value)."""
    v = _F32(fill_value)
    if np.issubdtype(dtype, np.integer):
        return _index(np.asarray(v)).astype(dtype)[()]
    return dtype.type(v)


def _transform(images, transforms, output_shape, fill_value, interpolation, fill_mode):
    if interpolation not in _INTERPOLATIONS:
        raise _error(f"Invalid interpolation {interpolation}. Supported types: NEAREST, "
                     f"BILINEAR")
    if fill_mode not in _FILL_MODES:
        raise _error(f"Invalid fill_mode {fill_mode}. Supported types: CONSTANT, REFLECT, "
                     f"WRAP, NEAREST")
    x, t = np.asarray(images), np.asarray(transforms, _F32)
    if x.ndim != 4:
        raise _error("Input images must have rank 4")
    if t.ndim != 2 or t.shape[0] not in (x.shape[0], 1) or t.shape[1] != 8:
        raise _error("Input transform should be num_images x 8 or 1 x 8")
    size = np.asarray(output_shape)
    if size.ndim != 1:
        raise _error(f"output shape must be 1-dimensional{_dims_str(size.shape)}")
    if size.size != 2:
        raise _error(f"output shape must have two elements{_dims_str(size.shape)}")
    out_h, out_w = int(size[0]), int(size[1])
    if out_h <= 0 or out_w <= 0:
        raise _error("output dimensions must be positive")
    fill = _fill_cast(fill_value, x.dtype)
    out = np.empty((x.shape[0], out_h, out_w, x.shape[3]), x.dtype)
    for b in range(x.shape[0]):
        out[b] = _transform_one(x[b], t[0 if t.shape[0] == 1 else b], out_h, out_w,
                                interpolation, fill_mode, fill)
    return out


def _v2_kernel(images, transforms, output_shape, *, interpolation, fill_mode):
    return _transform(images, transforms, output_shape, 0.0, interpolation, fill_mode)


def _v3_kernel(images, transforms, output_shape, fill_value, *, interpolation, fill_mode):
    fv = np.asarray(fill_value)
    if fv.ndim != 0:
        raise _error(f"fill_value must be a scalar{_dims_str(fv.shape)}")
    return _transform(images, transforms, output_shape, float(fv), interpolation, fill_mode)


def _infer(images, transforms, output_shape, fill_value=None, *, interpolation, fill_mode):
    _require(images, "images", _IMAGE_TYPES)
    n, _, _, c = _rank4(images)
    h, w = _size_hw(output_shape)
    return [TensorSpec([n, h, w, c], images.dtype)]


def _inverse_flat(transforms):
    """TF's flat_transforms_to_matrices -> matrix_inverse -> matrices_to_flat_transforms."""
    from .concat_split_ops import concat
    from .fill_ops import ones_like
    from .linalg_ops import matrix_inverse
    from .shape_ops import reshape

    flat = reshape(transforms, [-1, 8])
    mats = reshape(concat([flat, ones_like(flat[:, :1])], axis=1), [-1, 3, 3])
    inv = reshape(matrix_inverse(mats), [-1, 9])
    inv = inv / inv[:, 8:9]
    return inv[:, :8]


def _grad_images(op, dy, v3):
    """TF's _image_projective_transform_grad (image_grad.py): dy under the inverse transform."""
    from .shape_ops import shape

    images, transforms = op.inputs[0], op.inputs[1]
    if images.dtype not in (_dt.uint8, _dt.int32, _dt.int64, _dt.float16, _dt.float32,
                            _dt.float64):
        raise TypeError(f"Invalid dtype {images.dtype}.")
    if transforms.shape.rank not in (1, 2):
        raise TypeError("Transforms should have rank 1 or 2.")
    inverse = _inverse_flat(transforms)
    attrs = {"interpolation": op._get_attr("interpolation"),
             "fill_mode": op._get_attr("fill_mode")}
    size = shape(images)[1:3]
    if v3:
        return [IMAGE_PROJECTIVE_TRANSFORM_V3(dy, inverse, size, 0.0, **attrs),
                None, None, None]
    return [IMAGE_PROJECTIVE_TRANSFORM_V2(dy, inverse, size, **attrs), None, None]


IMAGE_PROJECTIVE_TRANSFORM_V2 = register(OpDef(
    "ImageProjectiveTransformV2",
    inputs=["images:dtype", "transforms:float32", "output_shape:int32"],
    attrs={"interpolation": req("string"), "fill_mode": "CONSTANT"},
    kernel=_v2_kernel, infer=_infer, grad=lambda op, dy: _grad_images(op, dy, False),
))
IMAGE_PROJECTIVE_TRANSFORM_V3 = register(OpDef(
    "ImageProjectiveTransformV3",
    inputs=["images:dtype", "transforms:float32", "output_shape:int32", "fill_value:float32"],
    attrs={"interpolation": req("string"), "fill_mode": "CONSTANT"},
    kernel=_v3_kernel, infer=_infer, grad=lambda op, dy: _grad_images(op, dy, True),
))


# -- ImageConnectedComponents --------------------------------------------------------------------


def _find(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def connected_component_ids(image):
    """[n, h, w] -> int64 ids: 0 for zero pixels, else 1 + the smallest flat index of the
    4-connected component of equal values the pixel belongs to (union-find)."""
    x = np.asarray(image)
    n, h, w = x.shape
    flat = x.reshape(-1)
    parent = np.arange(flat.size)
    nonzero = flat != (b"" if x.dtype.kind in "SO" else 0)

    def union(a, b):
        ra, rb = _find(parent, a), _find(parent, b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for b in range(n):
        base = b * h * w
        for r in range(h):
            for c in range(w):
                i = base + r * w + c
                if not nonzero[i]:
                    continue
                if c + 1 < w and flat[i + 1] == flat[i]:
                    union(i, i + 1)
                if r + 1 < h and flat[i + w] == flat[i]:
                    union(i, i + w)
    roots = np.array([_find(parent, i) for i in range(flat.size)], np.int64)
    return np.where(nonzero, roots + 1, 0).reshape(x.shape).astype(np.int64)


def _cc_kernel(image):
    x = np.asarray(image)
    if x.ndim != 3:
        raise _error(f"image must be 3-dimensional (batch x height x width){_dims_str(x.shape)}")
    return connected_component_ids(x)


def _cc_infer(image):
    _require(image, "image", _CC_TYPES)
    dims = image.shape.as_tuple()
    if dims is not None and len(dims) != 3:
        raise InvalidArgumentError(None, None, f"Shape must be rank 3 but is rank {len(dims)}")
    return [TensorSpec(image.shape, _dt.int64)]


IMAGE_CONNECTED_COMPONENTS = register(OpDef(
    "ImageConnectedComponents", inputs=["image:dtype"],
    kernel=_cc_kernel, infer=_cc_infer, grad=NOT_DIFFERENTIABLE,
))


# -- BipartiteMatch ------------------------------------------------------------------------------


def _match_kernel(distance_mat, num_valid_rows, *, top_k):
    """TF's greedy matching (bipartite_match_op.cc): top_k times (or until nothing is left),
    pair the unmatched valid row and unmatched column with the smallest distance, the first
    in row-major order on ties; a NaN distance never matches."""
    d = np.asarray(distance_mat, _F32)
    if d.ndim != 2:
        raise _error(f"distance_mat should be 2-dimensional, but got {_dims_str(d.shape)}")
    valid = np.asarray(num_valid_rows)
    if valid.ndim != 0:
        raise _error(f"num_valid_rows argument should be a scalar, but got "
                     f"{_dims_str(valid.shape)}")
    rows, cols = d.shape
    nvalid = int(valid)
    if nvalid < 0 or nvalid > rows:
        nvalid = rows
    limit = min(nvalid, cols)
    steps = limit if top_k <= 0 else min(limit, top_k)
    row_to_col = np.full(rows, -1, np.int32)
    col_to_row = np.full(cols, -1, np.int32)
    free = np.where(np.isnan(d[:nvalid]), np.inf, d[:nvalid]).astype(np.float64)
    free[free >= float(np.finfo(_F32).max)] = np.inf  # TF starts from FLT_MAX, strictly less
    for _ in range(steps):
        if not free.size or not np.isfinite(free).any():
            break
        r, c = np.unravel_index(int(np.argmin(free)), free.shape)
        row_to_col[r], col_to_row[c] = c, r
        free[r, :] = np.inf
        free[:, c] = np.inf
    return [row_to_col, col_to_row]


def _match_infer(distance_mat, num_valid_rows, *, top_k):
    dims = distance_mat.shape.as_tuple()
    if dims is not None and len(dims) != 2:
        raise InvalidArgumentError(None, None, f"Shape must be rank 2 but is rank {len(dims)}")
    rows, cols = dims if dims is not None else (None, None)
    return [TensorSpec([rows], _dt.int32), TensorSpec([cols], _dt.int32)]


BIPARTITE_MATCH = register(OpDef(
    "BipartiteMatch", inputs=["distance_mat:float32", "num_valid_rows:float32"],
    attrs={"top_k": -1}, kernel=_match_kernel, infer=_match_infer, grad=NOT_DIFFERENTIABLE,
))
