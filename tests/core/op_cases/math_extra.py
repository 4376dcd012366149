"""Cases for the ops of core/ops/math_extra_ops.py: inverse and hyperbolic trigonometry, Expm1,
Rint, Erfinv, Ndtri, Atan2, the xlogy family, TruncateDiv/TruncateMod, MulNoNan, EuclideanNorm
and CumulativeLogsumexp.

References are per-element Python (the math module, exact integer arithmetic, bisection for the
inverse error functions) rather than the numpy function each kernel uses."""

import math

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(4321)


def uni(low, high, *shape, dtype=np.float32):
    return R.uniform(low, high, size=shape).astype(dtype)


def ci(values, dtype=np.int32):
    return Const(np.array(values, dtype=dtype))


def _per_element(fn, *arrays):
    """``fn`` on Python floats element by element (broadcast), cast back to the first dtype."""
    b = np.broadcast_arrays(*arrays)
    out = np.empty(b[0].shape, np.float64)
    for idx in np.ndindex(*out.shape):
        out[idx] = fn(*(float(a[idx]) for a in b))
    return out.astype(arrays[0].dtype)


def _scalar(fn):
    return lambda *xs: _per_element(fn, *xs)


def _bisect(f, target, lo, hi):
    """The root of increasing ``f(z) = target`` in [lo, hi] to float64 resolution."""
    for _ in range(2200):  # enough halvings to reach subnormal roots
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if f(mid) < target else (lo, mid)
    return 0.5 * (lo + hi)


def _erfinv(v):
    if v in (-1.0, 1.0):
        return math.copysign(math.inf, v)
    if abs(v) > 1 or v != v:
        return math.nan
    if abs(v) > 0.5:  # erfc(z) = 1 - |v|, exact, instead of erf rounding near 1
        z = _bisect(lambda t: -math.erfc(t), -(1 - abs(v)), 0.0, 30.0)
        return math.copysign(z, v)
    return _bisect(math.erf, v, -7.0, 7.0)


def _ndtri(p):
    if p in (0.0, 1.0):
        return -math.inf if p == 0 else math.inf
    if not 0 < p < 1:
        return math.nan
    if p > 0.5:  # by symmetry, where 1 - p is exact
        return -_ndtri(1 - p)
    return _bisect(lambda z: 0.5 * math.erfc(-z / math.sqrt(2)), p, -40.0, 40.0)


def _xlogy(x, y):
    if x == 0:
        return 0.0
    if y == 0:
        return -math.inf * x
    return x * math.log(y) if y > 0 else math.nan


def _xdivy(x, y):
    if x == 0:
        return 0.0
    if y == 0:
        return math.copysign(math.inf, x)
    return x / y


def _xlog1py(x, y):
    if x == 0:
        return 0.0
    return x * math.log1p(y) if y > -1 else (-math.inf * x if y == -1 else math.nan)


def _mul_no_nan(x, y):
    return 0.0 if y == 0 else x * y


def _int_elementwise(fn):
    def ref(x, y):
        xb, yb = np.broadcast_arrays(x, y)
        out = [fn(int(a), int(b)) for a, b in zip(xb.ravel(), yb.ravel())]
        return np.array(out, dtype=x.dtype).reshape(xb.shape)
    return ref


def _trunc_div_int(a, b):
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _trunc_mod_int(a, b):
    return a - _trunc_div_int(a, b) * b


def _trunc_div_float(x, y):
    return _per_element(lambda a, b: float(math.trunc(a / b)) if b else
                        (math.copysign(math.inf, a) * math.copysign(1, b) if a else math.nan),
                        x, y)


def _round_half_even(x):
    out = []
    for v in x.ravel().tolist():
        f = math.floor(v)
        d = v - f
        out.append(f + (1 if d > 0.5 or (d == 0.5 and f % 2 == 1) else 0))
    return np.array(out, dtype=x.dtype).reshape(x.shape)


def _euclidean_norm_ref(x, axes, keep_dims=False):
    axes = sorted({int(a) % x.ndim for a in np.asarray(axes).reshape(-1)})
    other = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, other + axes)
    out_shape = [x.shape[a] for a in other]
    groups = moved.reshape(int(np.prod(out_shape)), -1)
    if x.dtype.kind in "iu":
        res = [math.isqrt(sum(int(v) ** 2 for v in g)) for g in groups]
    else:
        res = [math.sqrt(sum(float(v) ** 2 for v in g)) for g in groups]
    out = np.array(res, dtype=x.dtype).reshape(out_shape)
    if keep_dims:
        out = out.reshape([1 if a in axes else d for a, d in enumerate(x.shape)])
    return out


def _logsumexp(values):
    m = max(values)
    return m + math.log(sum(math.exp(v - m) for v in values))


def _cumulative_logsumexp_ref(x, axis, exclusive=False, reverse=False):
    a = int(axis) % x.ndim
    moved = np.moveaxis(x, a, -1)
    out = np.empty(moved.shape, np.float64)
    n = moved.shape[-1]
    for idx in np.ndindex(*moved.shape[:-1]):
        row = [float(v) for v in moved[idx]]
        for i in range(n):
            js = [j for j in range(n) if (j > i if reverse else j < i) or
                  (j == i and not exclusive)]
            out[idx + (i,)] = _logsumexp([row[j] for j in js]) if js else -math.inf
    return np.moveaxis(out, -1, a).astype(x.dtype)


HALVES = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6, 3.0, 0.0], np.float32)

CASES = [
    # -- inverse and hyperbolic trigonometry (domains kept off the edges for the gradients) --------
    Case("Acos", [uni(-0.9, 0.9, 2, 3)], ref=_scalar(math.acos)),
    Case("Acos", [uni(-0.9, 0.9, 4, dtype=np.float64)], ref=_scalar(math.acos),
         id="Acos-float64"),
    Case("Acos", [np.array([-1.0, 1.0, 0.0, 1.5, -2.0], np.float32)],
         ref=lambda x: np.array([np.pi, 0.0, np.pi / 2, np.nan, np.nan], np.float32), grad=[],
         id="Acos-domain-edges"),
    Case("Asin", [uni(-0.9, 0.9, 3, 2)], ref=_scalar(math.asin)),
    Case("Asin", [uni(-0.9, 0.9, 5, dtype=np.float64)], ref=_scalar(math.asin),
         id="Asin-float64"),
    Case("Asin", [np.array([-1.0, 1.0, 1.01], np.float64)],
         ref=lambda x: np.array([-np.pi / 2, np.pi / 2, np.nan]), grad=[], id="Asin-edges"),
    Case("Atan", [uni(-5, 5, 2, 3)], ref=_scalar(math.atan)),
    Case("Atan", [np.array([-np.inf, np.inf, 0.0, 1.0])],
         ref=lambda x: np.array([-np.pi / 2, np.pi / 2, 0.0, np.pi / 4]), grad=[],
         id="Atan-float64-limits"),
    Case("Sinh", [uni(-3, 3, 2, 3)], ref=_scalar(math.sinh)),
    Case("Sinh", [uni(-3, 3, 4, dtype=np.float64)],
         ref=lambda x: (np.exp(x) - np.exp(-x)) / 2, id="Sinh-float64"),
    Case("Cosh", [uni(-3, 3, 3, 2)], ref=_scalar(math.cosh)),
    Case("Cosh", [uni(-3, 3, 4, dtype=np.float64)],
         ref=lambda x: (np.exp(x) + np.exp(-x)) / 2, id="Cosh-float64"),
    Case("Asinh", [uni(-4, 4, 2, 3)], ref=_scalar(math.asinh)),
    Case("Asinh", [uni(-4, 4, 3, dtype=np.float64)],
         ref=lambda x: np.log(x + np.sqrt(x * x + 1)), id="Asinh-float64"),
    Case("Acosh", [uni(1.2, 5, 2, 3)], ref=_scalar(math.acosh)),
    Case("Acosh", [np.array([1.0, 0.5, 2.0], np.float64)],
         ref=lambda x: np.array([0.0, np.nan, np.log(2 + np.sqrt(3))]), grad=[],
         id="Acosh-domain-edges"),
    Case("Atanh", [uni(-0.9, 0.9, 3, 2)], ref=_scalar(math.atanh)),
    Case("Atanh", [np.array([-1.0, 1.0, 2.0, 0.5], np.float32)],
         ref=lambda x: np.array([-np.inf, np.inf, np.nan, 0.5 * np.log(3)], np.float32),
         grad=[], id="Atanh-domain-edges"),
    Case("Expm1", [uni(-3, 3, 2, 3)], ref=_scalar(math.expm1)),
    Case("Expm1", [np.array([1e-10, -1e-12, 0.0, 700.0])],
         ref=_scalar(math.expm1), grad=[], id="Expm1-float64-tiny"),
    Case("Rint", [HALVES], ref=_round_half_even),
    Case("Rint", [uni(-5, 5, 3, 2, dtype=np.float64)], ref=_round_half_even, id="Rint-float64"),
    # -- inverse error functions ------------------------------------------------------------------
    Case("Erfinv", [uni(-0.95, 0.95, 2, 3)], ref=_scalar(_erfinv)),
    Case("Erfinv", [uni(-0.95, 0.95, 4, dtype=np.float64)], ref=_scalar(_erfinv), rtol=1e-12,
         id="Erfinv-float64"),
    Case("Erfinv", [np.array([-1.0, 1.0, 0.0, 1.5, np.nan, 1e-300, 1 - 1e-15, -0.999999])],
         ref=_scalar(_erfinv), rtol=1e-12, grad=[], id="Erfinv-edges"),
    Case("Ndtri", [uni(0.05, 0.95, 3, 2)], ref=_scalar(_ndtri)),
    Case("Ndtri", [uni(0.05, 0.95, 4, dtype=np.float64)], ref=_scalar(_ndtri), rtol=1e-12,
         id="Ndtri-float64"),
    Case("Ndtri", [np.array([0.0, 1.0, 0.5, -0.1, 1.1, 1e-300, 1e-12, 1 - 1e-12])],
         ref=_scalar(_ndtri), rtol=1e-10, grad=[], id="Ndtri-edges"),
    # -- binary ops (broadcasting) -----------------------------------------------------------------
    Case("Atan2", [uni(-2, 2, 2, 3), uni(0.5, 2, 3)], ref=_scalar(math.atan2)),
    Case("Atan2", [uni(-2, 2, 3, 1, dtype=np.float64), uni(-2, -0.5, 1, 2, dtype=np.float64)],
         ref=_scalar(math.atan2), id="Atan2-float64-outer"),
    Case("Atan2", [np.array([0.0, -0.0, 0.0, -0.0, 1.0], np.float32),
                   np.array([0.0, 0.0, -0.0, -0.0, 0.0], np.float32)],
         ref=_scalar(math.atan2), grad=[], id="Atan2-signed-zeros"),
    Case("Xlogy", [uni(-2, 2, 2, 3), uni(0.5, 3, 3)], ref=_scalar(_xlogy)),
    Case("Xlogy", [uni(-2, 2, 3, 1, dtype=np.float64), uni(0.5, 3, 1, 2, dtype=np.float64)],
         ref=_scalar(_xlogy), id="Xlogy-float64-outer"),
    # x = 0 gives 0 whatever y is (0, NaN, negative); TF's gradient for x there is 0, not log(y)
    Case("Xlogy", [np.array([0.0, 0.0, 0.0, 0.0, 1.0, 2.0], np.float32),
                   np.array([0.0, np.nan, -1.0, 2.0, 0.0, -1.0], np.float32)],
         ref=_scalar(_xlogy), grad=[], id="Xlogy-x-zero"),
    Case("Xlogy", [np.array([0.0, 0.0, 1.5]), np.array([0.7, 2.0, 1.3])], ref=_scalar(_xlogy),
         grad=[1], id="Xlogy-x-zero-grad-y"),
    Case("Xdivy", [uni(-2, 2, 2, 3), uni(0.5, 3, 2, 1)], ref=_scalar(_xdivy)),
    Case("Xdivy", [uni(-2, 2, 4, dtype=np.float64), np.float64(1.5)], ref=_scalar(_xdivy),
         id="Xdivy-float64-scalar-y"),
    Case("Xdivy", [np.array([0.0, 0.0, 1.0, -1.0, 0.0], np.float32),
                   np.array([0.0, np.nan, 0.0, 0.0, np.inf], np.float32)],
         ref=_scalar(_xdivy), grad=[], id="Xdivy-y-zero"),
    Case("Xlog1py", [uni(-2, 2, 3, 2), uni(-0.5, 3, 2)], ref=_scalar(_xlog1py)),
    Case("Xlog1py", [uni(-2, 2, 2, 2, dtype=np.float64), uni(-0.5, 3, 2, 2, dtype=np.float64)],
         ref=_scalar(_xlog1py), id="Xlog1py-float64"),
    Case("Xlog1py", [np.array([0.0, 0.0, 1.0, 2.0], np.float32),
                     np.array([-1.0, np.nan, -1.0, 1e-8], np.float32)],
         ref=_scalar(_xlog1py), grad=[], id="Xlog1py-edges"),
    Case("MulNoNan", [uni(-2, 2, 2, 3), uni(-2, 2, 3)], ref=_scalar(_mul_no_nan)),
    Case("MulNoNan", [uni(-2, 2, 3, 1, dtype=np.float64),
                      np.array([[0.0, 1.5, -2.0, 0.0]])], ref=_scalar(_mul_no_nan),
         id="MulNoNan-float64-zeros"),
    Case("MulNoNan", [np.array([np.inf, np.nan, 2.0, np.inf, 0.0], np.float32),
                      np.array([0.0, 0.0, np.nan, 2.0, np.inf], np.float32)],
         ref=lambda x, y: np.array([0.0, 0.0, np.nan, np.inf, np.nan], np.float32), grad=[],
         id="MulNoNan-nonfinite"),
    Case("TruncateDiv", [np.array([7, -7, 7, -7, 0, 6], np.int32),
                         np.array([2, 2, -2, -2, 3, -3], np.int32)],
         ref=_int_elementwise(_trunc_div_int), id="TruncateDiv-int-signs"),
    Case("TruncateDiv", [R.integers(-50, 50, (3, 4)).astype(np.int64),
                         np.array([3, -4, 5, -7], np.int64)],
         ref=_int_elementwise(_trunc_div_int), id="TruncateDiv-int64-bcast"),
    Case("TruncateDiv", [np.array([200, 7, 0], np.uint8), np.array([3], np.uint8)],
         ref=_int_elementwise(_trunc_div_int), id="TruncateDiv-uint8"),
    Case("TruncateDiv", [np.array([7.5, -7.5, 1.0, -1.0, 0.0], np.float32),
                         np.array([2.0, 2.0, 0.0, 0.0, 0.0], np.float32)],
         ref=_trunc_div_float, id="TruncateDiv-float"),
    Case("TruncateDiv", [uni(-5, 5, 2, 3, dtype=np.float64), uni(0.3, 2, 3, dtype=np.float64)],
         ref=_trunc_div_float, id="TruncateDiv-float64-bcast"),
    Case("TruncateMod", [np.array([7, -7, 7, -7, 0], np.int32),
                         np.array([3, 3, -3, -3, 5], np.int32)],
         ref=_int_elementwise(_trunc_mod_int), id="TruncateMod-int-signs"),
    Case("TruncateMod", [R.integers(-50, 50, (2, 4)).astype(np.int64),
                         np.array([[3], [-7]], np.int64)],
         ref=_int_elementwise(_trunc_mod_int), id="TruncateMod-int64-bcast"),
    # No gradient is registered for TruncateMod (covered by test_math_extra).
    Case("TruncateMod", [np.array([7.5, -7.5, 7.5, 1.0], np.float32),
                         np.array([2.0, 2.0, -2.0, 0.0], np.float32)],
         ref=_scalar(lambda a, b: math.fmod(a, b) if b else math.nan), grad=[],
         id="TruncateMod-float"),
    Case("TruncateMod", [uni(-5, 5, 3, 2, dtype=np.float64), uni(0.3, 2, 2, dtype=np.float64)],
         ref=_scalar(math.fmod), grad=[], id="TruncateMod-float64-bcast"),
    # -- EuclideanNorm -----------------------------------------------------------------------------
    Case("EuclideanNorm", [uni(0.5, 2, 2, 3, 4), ci([0, 2])], ref=_euclidean_norm_ref),
    Case("EuclideanNorm", [uni(-2, 2, 3, 4, dtype=np.float64), ci(-1)],
         attrs={"keep_dims": True}, ref=_euclidean_norm_ref, id="EuclideanNorm-keepdims-neg"),
    Case("EuclideanNorm", [uni(-2, 2, 2, 3), ci([0, 1], np.int64)], ref=_euclidean_norm_ref,
         id="EuclideanNorm-all-int64-axes"),
    Case("EuclideanNorm", [np.array([[3, 4], [1, 1], [0, 0]], np.int32), ci(1)],
         ref=_euclidean_norm_ref, id="EuclideanNorm-int-truncates"),
    Case("EuclideanNorm", [np.zeros((0, 2), np.float32), ci(0)], ref=_euclidean_norm_ref,
         grad=[], id="EuclideanNorm-empty"),
    # -- CumulativeLogsumexp -----------------------------------------------------------------------
    Case("CumulativeLogsumexp", [uni(-3, 3, 2, 4), ci(1)], ref=_cumulative_logsumexp_ref),
    # Exclusive scans start at -inf, which makes the harness's weighted loss NaN: their
    # gradients are checked in test_math_extra.
    Case("CumulativeLogsumexp", [uni(-3, 3, 3, 2, dtype=np.float64), ci(0)],
         attrs={"exclusive": True}, ref=_cumulative_logsumexp_ref, grad=[],
         id="CumulativeLogsumexp-float64-exclusive"),
    Case("CumulativeLogsumexp", [uni(-3, 3, 2, 3), ci(-1, np.int64)], attrs={"reverse": True},
         ref=_cumulative_logsumexp_ref, id="CumulativeLogsumexp-reverse"),
    Case("CumulativeLogsumexp", [uni(-3, 3, 2, 3, 2, dtype=np.float64), ci(1)],
         attrs={"exclusive": True, "reverse": True}, ref=_cumulative_logsumexp_ref, grad=[],
         id="CumulativeLogsumexp-exclusive-reverse"),
    Case("CumulativeLogsumexp", [np.array([1000.0, 1000.0, -1000.0, 0.0], np.float32), ci(0)],
         ref=_cumulative_logsumexp_ref, grad=[], id="CumulativeLogsumexp-large"),
    # TF's pairwise rule: -inf contributes nothing; a NaN after a number is skipped
    Case("CumulativeLogsumexp", [np.array([-np.inf, -np.inf, 0.0, np.inf, 1.0]), ci(0)],
         ref=lambda x, axis, **_: np.array([-np.inf, -np.inf, 0.0, np.inf, np.inf]), grad=[],
         id="CumulativeLogsumexp-infinities"),
    Case("CumulativeLogsumexp", [np.array([1.0, np.nan, np.nan]), ci(0)],
         ref=lambda x, axis, **_: np.array([1.0, 1 + np.log(2), 1 + np.log(4)]), grad=[],
         id="CumulativeLogsumexp-nan-after-number"),
    Case("CumulativeLogsumexp", [np.zeros((2, 0), np.float32), ci(1)],
         attrs={"exclusive": True}, ref=_cumulative_logsumexp_ref, grad=[],
         id="CumulativeLogsumexp-empty"),
]

# TruncateMod's gradient is TF's missing one (LookupError): its cases check no gradient.
COVERED_BY = {"TruncateMod": "test_math_extra.py::test_truncatemod_has_no_gradient"}
