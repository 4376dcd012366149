"""Special functions: Erf, Erfc, Lgamma and the ops their gradients need (Digamma, Polygamma);
then the public TF1 wrappers.

numpy has none of them. In float64 erf/erfc/lgamma are the standard library's, per element; below
float64 they are vectorized (each section below says how) and equal the standard library's value
rounded. digamma and polygamma are computed in float64 by the recurrence up to a
large argument and the asymptotic series there (accurate to ~1e-13 relative). Results are cast
to the input's dtype."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..opdef import OpDef, register
from ..ragged_dispatch import ragged_unary
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


# -- lgamma below float64 ----------------------------------------------------------------------
# math.lgamma (CPython's own Lanczos sum, not libm's) costs ~200 ns a value. For float32 and half
# it is computed in float64: within 0.1 of 0 and of lgamma's zeros at 1 and 2 by the Taylor
# series at 2 (accurate there in relative terms), elsewhere by Stirling's series from 7 on (the
# argument shifted up by the recurrence), and for x < 0 by the reflection formula. Where that
# value and math.lgamma's may round to different float32 values (math.lgamma's own error is
# absolute, ~1e-16, so relatively large next to its zeros), math.lgamma is asked: about one
# value in 10^5, most of them next to zeros.
_EULER_GAMMA = Fraction("0.57721566490153286060651209008240243")


def _bernoulli_numbers(n: int) -> list:
    """B_0 .. B_n exactly, by the recurrence sum_{j<=m} C(m+1, j) B_j = 0."""
    b = [Fraction(1)]
    for m in range(1, n + 1):
        b.append(-sum(math.comb(m + 1, j) * b[j] for j in range(m)) / (m + 1))
    return b


_BERNOULLI_EXACT = _bernoulli_numbers(20)


def _zeta_minus_one(k: int) -> Fraction:
    """zeta(k) - 1: sum_{n=2}^{19} n^-k, then the Euler-Maclaurin tail from n = 20 on."""
    n = 20
    total = sum(Fraction(1, m ** k) for m in range(2, n))
    total += Fraction(1, (k - 1) * n ** (k - 1)) + Fraction(1, 2 * n ** k)
    rising = k  # k (k+1) ... (k+2j-2): the (2j-1)-th derivative of n^-k, up to sign
    for j in range(1, 10):
        total += _BERNOULLI_EXACT[2 * j] / math.factorial(2 * j) * rising / n ** (k + 2 * j - 1)
        rising *= (k + 2 * j - 1) * (k + 2 * j)
    return total


# lgamma(2 + e) = (1 - gamma) e + sum_{k>=2} (-1)^k (zeta(k) - 1) / k e^k; the terms fall as
# (e/2)^k / k, so 13 of them reach 1e-18 at |e| = 0.1. Highest power first.
_TAYLOR_AT_2 = tuple(float((-1) ** k * _zeta_minus_one(k) / k) for k in range(13, 1, -1)) \
    + (float(1 - _EULER_GAMMA),)
_TAYLOR_WIDTH = 0.1
# Stirling's series sum_k B_2k / (2k (2k-1) w^(2k-1)); from w = 7 on its 9 terms reach 2e-17.
_STIRLING = tuple(float(_BERNOULLI_EXACT[2 * k] / (2 * k * (2 * k - 1))) for k in range(9, 0, -1))
_STIRLING_SHIFT = 7
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
# sin(pi r) / (pi r) = sum_k (-1)^k pi^(2k) / (2k+1)! r^(2k): 12 terms reach 1e-18 at |r| = 1/2.
_SIN_PI_OVER_PI_R = tuple((-1) ** k * math.pi ** (2 * k) / math.factorial(2 * k + 1)
                          for k in range(11, -1, -1))
# |float64 value - math.lgamma| stays below this, relative plus absolute (times the size of the
# reflection formula's two terms for x < 0): measured, at most a tenth of it.
_LGAMMA_REL_ERR, _LGAMMA_ABS_ERR = 1e-13, 5e-14


def _horner(coefficients, u):
    p = np.full_like(u, coefficients[0])
    for c in coefficients[1:]:
        p *= u
        p += c
    return p


# The chunk's full-size arrays live in scratch rows reused from chunk to chunk, and subsets are
# taken by index: fresh 128 KB arrays and boolean-mask indexing each cost more than a pass.
def _lgamma_positive(z, y, b, c, d):
    """y = lgamma(z) for z >= 0 (float32 or half values), in float64; b, c, d: scratch."""
    # lgamma(z) = lgamma(w) - log(z (z+1) ... (z+6)) with w = z + 7, for every z (a subset
    # would cost more than it saves); the product stays below 1e270.
    w = np.add(z, _STIRLING_SHIFT, out=b)
    r2 = np.multiply(w, w, out=c)
    np.divide(1, r2, out=r2)
    series = d
    series.fill(_STIRLING[0])
    for k in _STIRLING[1:]:
        series *= r2
        series += k
    series /= w
    log_w = np.log(w, out=c)
    np.subtract(log_w, 1, out=y)
    y *= w
    log_w *= 0.5
    y -= log_w
    y += series
    y += _HALF_LOG_2PI  # (w - 1/2) log w - w + log(2 pi) / 2 + series = lgamma(w)
    t, prod = b, c
    np.copyto(t, z)
    np.copyto(prod, z)
    for _ in range(_STIRLING_SHIFT - 1):
        t += 1  # exact, but for tiny z (the Taylor series below takes those) and z > 2^53
        prod *= t
    y -= np.log(prod, out=prod)
    # Near 0, 1 and 2 that absolute error is too large a relative one: lgamma(c + e) by
    # lgamma(2 + e) = P(e), lgamma(1 + e) = P(e) - log(1 + e) and lgamma(e) = that - log(e).
    centre = np.round(z, out=b)
    dist = np.abs(np.subtract(z, centre, out=c), out=c)
    near = np.flatnonzero((dist <= _TAYLOR_WIDTH) & (z < 2.5))
    if near.size:
        centre = centre.take(near)
        e = z.take(near) - centre
        p = _horner(_TAYLOR_AT_2, e)
        p *= e
        np.subtract(p, np.log1p(e), out=p, where=centre < 2)
        np.subtract(p, np.log(np.abs(e)), out=p, where=centre == 0)  # |e|: no NaN warnings
        y.put(near, p)


def _lgamma_chunk(x, y, scratch):
    """y = lgamma(x), rounding to math.lgamma's float32 value; scratch: 4 rows like x."""
    a, b, c, d = scratch
    neg = np.flatnonzero(x < 0)
    z = x
    if neg.size:
        z = a
        np.copyto(z, x)
        z.put(neg, 1 - x.take(neg))
    _lgamma_positive(z, y, b, c, d)
    if neg.size:
        # Reflection: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x), sin taken at the
        # distance r to the nearest integer (exact), as pi r S(r^2) by its Taylor series.
        r = x.take(neg)
        r -= np.round(r)
        s = _horner(_SIN_PI_OVER_PI_R, r * r)
        s *= r
        refl = np.log(np.abs(s, out=s), out=s)
        np.negative(refl, out=refl)
        g = y.take(neg)
        y.put(neg, refl - g)
        np.abs(refl, out=refl)
        refl += np.abs(g)  # the two terms' size scales the absolute error
    # Only at poles (0, -0, -1, ...), +-inf and NaN is y not finite: lgamma is inf there (the
    # caller puts NaN back).
    bad = ~np.isfinite(y)
    np.copyto(y, np.inf, where=bad)
    err = np.abs(y, out=a)
    err *= _LGAMMA_REL_ERR
    err += _LGAMMA_ABS_ERR
    if neg.size:
        refl -= 1
        refl *= _LGAMMA_ABS_ERR
        err[neg] += refl
    np.copyto(err, 0.0, where=bad)
    low, high = d.view(np.float32)[:x.size], d.view(np.float32)[x.size:]
    np.copyto(low, np.subtract(y, err, out=b), casting="same_kind")
    np.copyto(high, np.add(y, err, out=c), casting="same_kind")
    for i in np.flatnonzero(low != high):
        y[i] = math.lgamma(x[i])


def _lgamma_float32(x):
    """lgamma of a float32 or half array, as float32: math.lgamma's value rounded."""
    flat = x.reshape(-1)
    out = np.empty(flat.shape, np.float32)
    scratch = np.empty((6, min(flat.size, _CHUNK)))
    for i in range(0, flat.size, _CHUNK):
        n = min(_CHUNK, flat.size - i)
        part, y = scratch[4, :n], scratch[5, :n]
        np.copyto(part, flat[i:i + n])
        _lgamma_chunk(part, y, scratch[:4, :n])
        np.copyto(y, part, where=np.isnan(part))  # NaN in, the same NaN out (its sign too)
        np.copyto(out[i:i + n], y, casting="same_kind")
    return out.reshape(x.shape)


_lgamma_per_element = _per_element(_lgamma)


def _lgamma_kernel(x):
    x = np.asarray(x)
    if x.dtype == np.float32 and x.size >= _SMALL:
        return _lgamma_float32(x)
    return _lgamma_per_element(x)  # float64: math.lgamma's to the last bit; bfloat16 as before


def _lgamma_half(x):
    """half: rounded through float32 (LIBM_F32's semantics), vectorized."""
    return _lgamma_kernel(x.astype(np.float32)).astype(np.float16)


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
# Below this many values the ~70 passes' call overhead (60-80 us) costs more than libm per
# element (erf and lgamma break even near 1000): small arrays stay per element.
_SMALL = 1024


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
    p = _horner(_ERF_TAYLOR, u)
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
        if x.dtype == np.float64 or x.size < _SMALL:  # float64: libm's, to the last bit
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


# float32 (BERT's GELU) and Erf's half: vectorized from _SMALL values on; float64: the
# standard library's, per element. (Erfc's half goes through float64 per element.)
ERF = _unary("Erf", _erf_kernel(math.erf, True), _erf_grad, allowed=_FLOAT)
# half: computed in float64, rounded through float32 (LIBM_F32), as TF's libm-backed kernels
ERFC = _unary("Erfc", _erf_kernel(math.erfc, False), _erfc_grad, allowed=_FLOAT, half=LIBM_F32)
LGAMMA = _unary("Lgamma", _lgamma_kernel, lambda op, dy: [dy * digamma(op.inputs[0])],
                allowed=_FLOAT, half=_lgamma_half)


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


@ragged_unary
def erfc(x, name=None):
    return ERFC(x, name=name or "Erfc")


@ragged_unary
def lgamma(x, name=None):
    return LGAMMA(x, name=name or "Lgamma")


@ragged_unary
def digamma(x, name=None):
    return DIGAMMA(x, name=name or "Digamma")


def polygamma(a, x, name=None):
    return POLYGAMMA(a, x, name=name or "Polygamma")
