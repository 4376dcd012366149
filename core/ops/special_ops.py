"""Special functions: Erf, Erfc, Lgamma and the ops their gradients need (Digamma, Polygamma);
then the public TF1 wrappers.

numpy has none of them: erf/erfc/lgamma are the standard library's (correctly rounded in float64)
applied per element; digamma and polygamma are computed in float64 by the recurrence up to a
large argument and the asymptotic series there (accurate to ~1e-13 relative). Results are cast
to the input's dtype."""

from __future__ import annotations

import math

import numpy as np

from ..opdef import OpDef, register
from ._math_util import _FLOAT, LIBM_F32, _silence_float_warnings, _typed, _unary
from ._util import broadcast_infer
from .unary_ops import sparse_aware

__all__ = ["digamma", "erf", "erfc", "lgamma", "polygamma"]

_silence_float_warnings(__name__)

_TWO_OVER_ROOT_PI = 2.0 / math.sqrt(math.pi)


def _per_element(fn):
    ufunc = np.frompyfunc(fn, 1, 1)

    def kernel(x):
        x = np.asarray(x)
        return np.asarray(ufunc(x.astype(np.float64)), dtype=np.float64).astype(x.dtype)
    return kernel


def _lgamma(v: float) -> float:
    try:
        return math.lgamma(v)
    except ValueError:  # a pole (0, -1, -2, ...): TF answers inf
        return math.inf


# Bernoulli numbers B_2 .. B_14 for the asymptotic series.
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
_LARGE = 15.0  # the series is used from here on; below, the recurrence shifts x up
_MOST_NEGATIVE = -1e4  # further down the recurrence would take too long: NaN


def _digamma_kernel(x):
    x = np.asarray(x)
    z = x.astype(np.float64)
    out = np.zeros_like(z)
    pole = (z <= 0) & (z == np.floor(z))
    # Reflection for negative arguments: psi(x) = psi(1 - x) - pi / tan(pi x).
    neg = z < 0
    out[neg] -= np.pi / np.tan(np.pi * z[neg])
    z = np.where(neg, 1 - z, z)
    while True:
        small = z < _LARGE
        if not small.any():
            break
        out[small] -= 1 / z[small]
        z = np.where(small, z + 1, z)
    inv2 = 1 / (z * z)
    series = np.zeros_like(z)
    for k in range(len(_BERNOULLI), 0, -1):  # sum_k B_2k / (2k z^2k), by Horner's rule
        series = (series + _BERNOULLI[k - 1] / (2 * k)) * inv2
    out += np.log(z) - 0.5 / z - series
    out[pole] = np.nan
    out[np.isnan(x)] = np.nan
    return out.astype(x.dtype)


def _polygamma_kernel(a, x):
    a, x = np.broadcast_arrays(np.asarray(a), np.asarray(x))
    dtype = x.dtype
    n_all, z = a.astype(np.float64), x.astype(np.float64).copy()
    out = np.full(z.shape, np.nan)
    for n in np.unique(n_all[np.isfinite(n_all)]):
        if n != np.floor(n) or n < 0:
            continue  # polygamma is defined for non-negative integer orders only: NaN
        sel = (n_all == n) & (z > _MOST_NEGATIVE) & ~((z <= 0) & (z == np.floor(z)))
        if n == 0:
            out[sel] = _digamma_kernel(z[sel])
            continue
        n = int(n)
        out[sel] = _polygamma_n(n, z[sel])
        out[(n_all == n) & (z <= 0) & (z == np.floor(z))] = \
            np.inf if n % 2 else np.nan  # poles: TF's Eigen answers inf for odd orders
    return out.astype(dtype)


def _polygamma_n(n: int, z):
    """psi^(n)(z) for n >= 1: ``(-1)^(n+1) n! sum_k 1/(z+k)^(n+1)``, the sum's head by the
    recurrence and its tail by the asymptotic series."""
    sign = -1.0 if n % 2 == 0 else 1.0
    fact = math.factorial(n)
    total = np.zeros_like(z)
    while True:
        small = z < _LARGE
        if not small.any():
            break
        total[small] += 1 / z[small] ** (n + 1)
        z = np.where(small, z + 1, z)
    tail = math.factorial(n - 1) / z ** n + fact / (2 * z ** (n + 1))
    for k, b in enumerate(_BERNOULLI, start=1):
        tail += b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) / z ** (2 * k + n)
    return sign * (fact * total + tail)


# -- erf and erfc below float64 ----------------------------------------------------------------
# libm per element costs ~150 ns a value. For float32 and half they are computed in float64 to
# ~1e-14 relative, which rounds to libm's result but for about one value in 10^6 (then 1 ulp):
# below |x| = 0.5 erf's Taylor series; above it erfc(x) = exp(-x^2) t h(t), t = 2 / (2 + |x|),
# with h a Chebyshev series interpolated at import on the standard library's erfc itself.
_SERIES_END = 0.5
_T_END = 2 / (2 + _SERIES_END)  # t runs over (0, _T_END]
_ERF_TAYLOR = tuple(_TWO_OVER_ROOT_PI * (-1) ** n / (math.factorial(n) * (2 * n + 1))
                    for n in range(13, -1, -1))  # in u = x^2, highest power first
_CHUNK = 16384  # elements per pass: the ~70 passes over a chunk stay in cache (3x faster)


def _exp_neg_square(a: float) -> float:
    """exp(-a^2) without a^2's rounding error (which exp would scale by a^2): a = hi + lo
    with hi's 24 bits, so hi^2 is exact."""
    hi = float(np.float32(a))
    lo = a - hi
    return math.exp(-hi * hi) * math.exp(-(2 * hi * lo + lo * lo))


def _h(t: float) -> float:
    """erfc(x) exp(x^2) / t at x = 2/t - 2; where erfc underflows (x > 26), its asymptotic
    series, exact to double precision there."""
    if t == 0:
        return 1 / (2 * math.sqrt(math.pi))
    x = 2 / t - 2
    if x <= 26:
        return math.erfc(x) / _exp_neg_square(x) / t
    r, term, total = 1 / (x * x), 1.0, 1.0
    for k in range(1, 12):
        term *= -(2 * k - 1) * r / 2
        total += term
    return total / (x * math.sqrt(math.pi)) / t


_H = np.polynomial.chebyshev.chebinterpolate(
    lambda u: np.array([_h((v + 1) / 2 * _T_END) for v in u]), 22)


def _clenshaw(u, coefficients):
    """sum_k c_k T_k(u), in place over three buffers."""
    u2 = u + u
    b1, b2, tmp = np.full_like(u, coefficients[-1]), np.zeros_like(u), np.empty_like(u)
    for c in coefficients[-2:0:-1]:
        np.multiply(u2, b1, out=tmp)
        tmp -= b2
        tmp += c
        b2, b1, tmp = b1, tmp, b2
    np.multiply(u, b1, out=tmp)
    tmp -= b2
    return tmp + coefficients[0]


def _erf_chunk(x, want_erf: bool):
    a = np.abs(x)
    out = np.empty_like(x)
    small = a < _SERIES_END
    s = x[small]
    u = s * s
    p = np.full_like(u, _ERF_TAYLOR[0])
    for c in _ERF_TAYLOR[1:]:
        p *= u
        p += c
    p *= s
    big = ~small  # NaN included: it stays NaN
    b = a[big]
    t = 2 / (2 + b)
    hi = b.astype(np.float32).astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        lo = b - hi  # NaN at inf, replaced below
        tail = np.exp(-hi * hi) * np.exp(-(2 * hi * lo + lo * lo))
    tail *= _clenshaw(t * (2 / _T_END) - 1, _H) * t  # erfc(|x|)
    tail[np.isinf(b)] = 0.0
    neg = x[big] < 0
    if want_erf:
        out[small] = p
        out[big] = np.where(neg, tail - 1, 1 - tail)
    else:
        out[small] = 1 - p
        out[big] = np.where(neg, 2 - tail, tail)
    return out


def _erf_kernel(libm, want_erf: bool):
    per_element = _per_element(libm)

    def kernel(x):
        x = np.asarray(x)
        if x.dtype == np.float64:  # libm's, to the last bit
            return per_element(x)
        flat = x.reshape(-1).astype(np.float64)
        out = np.empty_like(flat)
        for i in range(0, flat.size, _CHUNK):
            out[i:i + _CHUNK] = _erf_chunk(flat[i:i + _CHUNK], want_erf)
        np.copyto(out, flat, where=np.isnan(flat))  # NaN in, the same NaN out (its sign too)
        return out.astype(x.dtype).reshape(x.shape)
    return kernel


def _erf_grad(op, dy):
    from .unary_ops import exp, square

    x = op.inputs[0]
    return [dy * (_TWO_OVER_ROOT_PI * exp(-square(x)))]


def _erfc_grad(op, dy):
    from .unary_ops import exp, square

    x = op.inputs[0]
    return [dy * (-_TWO_OVER_ROOT_PI * exp(-square(x)))]


# float32 (BERT's GELU) and half: vectorized; float64: the standard library's, per element.
ERF = _unary("Erf", _erf_kernel(math.erf, True), _erf_grad, allowed=_FLOAT)
# half: computed in float64, rounded through float32 (LIBM_F32), as TF's libm-backed kernels
ERFC = _unary("Erfc", _erf_kernel(math.erfc, False), _erfc_grad, allowed=_FLOAT, half=LIBM_F32)
LGAMMA = _unary("Lgamma", _per_element(_lgamma), lambda op, dy: [dy * digamma(op.inputs[0])],
                allowed=_FLOAT, half=LIBM_F32)


def _digamma_grad(op, dy):
    from .math_ops import cast

    x = op.inputs[0]
    return [dy * polygamma(cast(1, x.dtype), x)]


DIGAMMA = _unary("Digamma", _digamma_kernel, _digamma_grad, allowed=_FLOAT, half=LIBM_F32)


def _polygamma_grad(op, dy):
    from .math_ops import sum_to_operand

    a, x = op.inputs
    # No gradient for the order, as TF's rule.
    return [None, sum_to_operand(dy * polygamma(a + 1, x), x, a)]


POLYGAMMA = register(OpDef(
    "Polygamma", inputs=["a:T", "x:T"], kernel=_polygamma_kernel,
    infer=_typed(broadcast_infer, ("float32", "float64"), "a"), grad=_polygamma_grad,
    doc="The n-th derivative of digamma (n = a, a non-negative integer) at x.",
))


# == Public wrappers (TF1 names, signatures and default node names) ============================


@sparse_aware
def erf(x, name=None):
    return ERF(x, name=name or "Erf")


def erfc(x, name=None):
    return ERFC(x, name=name or "Erfc")


def lgamma(x, name=None):
    return LGAMMA(x, name=name or "Lgamma")


def digamma(x, name=None):
    return DIGAMMA(x, name=name or "Digamma")


def polygamma(a, x, name=None):
    return POLYGAMMA(a, x, name=name or "Polygamma")
