"""The float arithmetic TensorFlow's quantization kernels share (quantize_op.cc,
dequantize_op.cc, quantization_utils.h, quantize_and_dequantize_op.h), written so numpy does
the same float32 (or float64) operations in the same order, and so gives the same bits:

- ``std::min``/``std::max`` are ``(b < a) ? b : a`` and ``(a < b) ? b : a`` (NaN picks a side);
- Eigen's ``round()`` rounds half away from zero, ``scalar_round_half_to_even_op`` is ``rint``,
  ``scalar_round_up_op`` is ``floor(x + 0.5)``;
- a float cast to an integer truncates, and a value out of int32's range (or NaN) becomes
  INT32_MIN, as x86's cvttss2si gives; narrower integers then keep their low bits;
- TF runs its CPU kernels with denormals flushed to zero (FTZ and DAZ): ``ftz`` applies that
  to every computed value whose magnitude can fall below the smallest normal float (a range of
  0 gives a scale of FLT_MAX and levels of 1/FLT_MAX, which TF sees as 0).

Shared by ops/quantize_ops.py, ops/quantize_and_dequantize_ops.py and the quantized op modules,
with the shape checks their shape functions share (TF's ``WithRank``/``Merge`` wording).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..opdef import shape_error
from ..tensor_shape import TensorShape

F32 = np.float32
FLT_MAX = np.finfo(np.float32).max

# The storage range of each quantized type (numeric_limits<T>::lowest() / max()).
LIMITS = {_dt.qint8: (-128, 127), _dt.quint8: (0, 255), _dt.qint16: (-32768, 32767),
          _dt.quint16: (0, 65535), _dt.qint32: (-(1 << 31), (1 << 31) - 1)}


def ftz(a):
    """A float value (array or scalar) with its denormals replaced by zeros of their sign."""
    arr = np.asarray(a)
    if arr.dtype.kind != "f":
        return a
    with np.errstate(invalid="ignore"):
        out = np.where(np.abs(arr) < np.finfo(arr.dtype).tiny, np.copysign(0, arr), arr)
    out = out.astype(arr.dtype, copy=False)
    return out if isinstance(a, np.ndarray) else arr.dtype.type(out)


def f32(v):
    """A scalar rounded to float32 and flushed, as a C++ ``float`` under FTZ."""
    return ftz(F32(v))


def smin(a, b):
    """``std::min(a, b)``."""
    return b if b < a else a


def smax(a, b):
    """``std::max(a, b)``."""
    return b if a < b else a


def cmin(x, bound):
    """Eigen's ``x.cwiseMin(bound)``, ``std::min(x, bound)`` elementwise: a NaN bound is
    ignored (numpy's minimum would propagate it)."""
    return np.where(bound < x, bound, x).astype(np.result_type(x), copy=False)


def cmax(x, bound):
    """Eigen's ``x.cwiseMax(bound)``, ``std::max(x, bound)`` elementwise."""
    return np.where(x < bound, bound, x).astype(np.result_type(x), copy=False)


def round_half_away(x: np.ndarray) -> np.ndarray:
    """``std::round`` / Eigen's ``round()``, exactly: ``x - trunc(x)`` is exact in floating
    point, so ties are found without the error ``trunc(x + 0.5)`` makes near 0.5."""
    t = np.trunc(x)
    with np.errstate(invalid="ignore"):
        frac = x - t
        return t + np.where(np.abs(frac) >= 0.5, np.sign(x), 0).astype(x.dtype)


def round_half_up(x: np.ndarray) -> np.ndarray:
    """Eigen's ``scalar_round_up_op``: ``floor(x + 0.5)`` in the input's precision."""
    return np.floor(x + x.dtype.type(0.5))


def to_int(x: np.ndarray, dtype: _dt.DType) -> np.ndarray:
    """A float array cast to a quantized type's storage integers the way TF's CPU build does
    it: truncation to int32 (out of range or NaN gives INT32_MIN), then the low bits."""
    x = np.asarray(x)
    with np.errstate(invalid="ignore"):
        bad = ~((x >= -2147483648.0) & (x < 2147483648.0))
        i32 = np.where(bad, 0, x).astype(np.int64)
    i32 = np.where(bad, np.int64(-(1 << 31)), i32)
    return i32.astype(dtype._np)


def to_int_rounded(x: np.ndarray, dtype: _dt.DType, chunk: int = 8) -> np.ndarray:
    """Eigen's ``.round().cast<T>()`` of QuantizeV2's signed MIN_COMBINED and SCALED paths,
    which differ from ``to_int`` only where the value is NaN or out of range (a degenerate
    range): qint32 converts through ``lrint`` (NaN and infinities give 0); qint8 and qint16
    convert packets of floats with saturating packs (INT32_MIN becomes the type's minimum)
    over the first ``size - size % chunk`` elements, and the rest one at a time (INT32_MIN
    keeps its low bits, 0). TF 2.21's build packs whole tensors in chunks of 8 after
    ``round()`` and of 32 after round-half-to-even; a per-axis slice not at all (``chunk=0``)."""
    x = np.asarray(x)
    if dtype is _dt.qint32:
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(x) & (np.abs(x) < 2.0 ** 63)
        return np.where(ok, x, 0).astype(np.int64).astype(np.int32)
    out = to_int(x, dtype)
    if chunk and dtype in (_dt.qint8, _dt.qint16) and x.size >= chunk:
        flat, vec = out.reshape(-1), x.size - x.size % chunk
        v = x.reshape(-1)[:vec]
        with np.errstate(invalid="ignore"):
            bad = ~((v >= -2147483648.0) & (v < 2147483648.0))
        wide = np.where(bad, 0, v).astype(np.int64)
        wide[bad] = -(1 << 31)
        flat[:vec] = np.clip(wide, *LIMITS[dtype])
    return out


def quantized_to_float(q, lo, hi, T: _dt.DType) -> np.ndarray:
    """quantization_utils.h's ``QuantizedToFloat<T>`` (the scalar one, not Eigen's), elementwise:
    the range's minimum rounded to a level in float32, then the level offset in doubles. (Eigen's
    quantized types convert to numbers through ``operator float``: a qint32 level is rounded to
    float32 first.)"""
    q = np.asarray(q)
    lo, hi = f32(lo), f32(hi)
    if lo == hi:
        return np.full(q.shape, lo, F32)
    steps = float(1 << (8 * np.dtype(T._np).itemsize))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = np.float64(f32(hi - lo)) * (steps / (steps - 1.0)) / steps
        s32 = f32(scale)  # ``range_min / static_cast<float>(range_scale)``: float arithmetic
        rounded = f32(round_half_away(np.asarray(f32(lo / s32))) * s32)
        out = np.float64(rounded) + (q.astype(F32).astype(np.float64) - LIMITS[T][0]) * scale
    return ftz(out.astype(F32))


# -- shape-function checks, in TF's words --------------------------------------------------------
def with_rank(spec, rank: int) -> TensorShape:
    """``c->WithRank``: the spec's shape, an unknown one becoming ``rank`` unknown dims."""
    r = spec.shape.rank
    if r is not None and r != rank:
        raise shape_error(f"Shape must be rank {rank} but is rank {r}")
    return spec.shape if r is not None else TensorShape([None] * rank)


def with_rank_at_least(spec, rank: int):
    r = spec.shape.rank
    if r is not None and r < rank:
        raise shape_error(f"Shape must be at least rank {rank} but is rank {r}")


def merge_dims(a, b):
    """``c->Merge`` of two dimensions (None = unknown): the known one, or TF's error."""
    if a is not None and b is not None and a != b:
        raise shape_error(f"Dimensions must be equal, but are {a} and {b}")
    return a if a is not None else b


def merge_shapes(a, b):
    """``c->Merge`` of two shapes: the more specific one, or TF's error."""
    if a.rank is not None and b.rank is not None and a.rank != b.rank:
        raise shape_error(f"Shapes must be equal rank, but are {a.rank} and {b.rank}")
    if not a.is_compatible_with(b):
        for i, (x, y) in enumerate(zip(a.as_tuple(), b.as_tuple())):
            if x is not None and y is not None and x != y:
                raise shape_error(f"Dimension {i} in both shapes must be equal, but are {x} "
                                  f"and {y}. Shapes are {_dims(a)} and {_dims(b)}.")
    return a.merge_with(b)


def _dims(shape) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_tuple()) + "]"


def minmax_shape(specs, axis: int, x_spec, merge: bool = True):
    """The checks TF's QuantizeV2, Dequantize and QuantizeAndDequantize shape functions make of
    a (min, max) pair: rank 0 without an axis, else rank 1 with its size checked against the
    input's ``axis`` dimension. Returns the pair's shape as those functions output it: merged
    (QuantizeAndDequantize*), or with ``merge=False`` the last one's (QuantizeV2 checks each
    one's rank only); never merged with the input's dimension (TF checks it, keeps the pair's)."""
    rank = 0 if axis == -1 else 1
    shape = None
    for s in specs:
        s = with_rank(s, rank)
        shape = s if shape is None or not merge else merge_shapes(s, shape)
    if axis < -1:
        raise shape_error(f"axis should be at least -1, got {axis}")
    if axis != -1:
        with_rank_at_least(x_spec, axis + 1)
        depth = x_spec.shape.as_tuple()[axis] if x_spec.shape.rank is not None else None
        merge_dims(shape.as_tuple()[0], depth)
    return shape
