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


def _erf_grad(op, dy):
    from .unary_ops import exp, square

    x = op.inputs[0]
    return [dy * (_TWO_OVER_ROOT_PI * exp(-square(x)))]


def _erfc_grad(op, dy):
    from .unary_ops import exp, square

    x = op.inputs[0]
    return [dy * (-_TWO_OVER_ROOT_PI * exp(-square(x)))]


ERF = _unary("Erf", _per_element(math.erf), _erf_grad, allowed=_FLOAT)
# half: computed in float64, rounded through float32 (LIBM_F32), as TF's libm-backed kernels
ERFC = _unary("Erfc", _per_element(math.erfc), _erfc_grad, allowed=_FLOAT, half=LIBM_F32)
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
