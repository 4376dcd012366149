"""Scalar float64 Bessel functions of orders 0 and 1 (I, J, Y, K and the scaled I and K) for
special_extra_ops: power series summed in ``decimal`` with 60 digits below 25 (so the
cancellation of J, Y, K there costs no float64 precision), Hankel's asymptotic expansions
above. The edge values follow TensorFlow's Eigen kernels."""

from __future__ import annotations

import decimal
import math

from ._special_extra_math import _CTX, _D_EULER, _D_PI, _INF, _NAN, _times_exp

_SERIES_LIMIT = 25.0  # decimal series below, asymptotic expansion above


# == Bessel functions of orders 0 and 1 ========================================================

def _asymptotic_terms(order: int, x: float):
    """a_k(order) / x^k, k = 0, 1, ..., while they decrease (Hankel's coefficients)."""
    mu, term, k = 4.0 * order * order, 1.0, 0
    while True:
        yield term
        k += 1
        nxt = term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        if abs(nxt) >= abs(term) or abs(nxt) < 1e-17 * 1e-3 or k > 200:
            return
        term = nxt


def _i_scaled_asymptotic(order: int, x: float) -> float:
    """I_n(x) e^-x for large x > 0."""
    s = sum(t * (-1) ** k for k, t in enumerate(_asymptotic_terms(order, x)))
    return s / math.sqrt(2.0 * math.pi * x)


def _k_scaled_asymptotic(order: int, x: float) -> float:
    """K_n(x) e^x for large x > 0."""
    return sum(_asymptotic_terms(order, x)) * math.sqrt(math.pi / (2.0 * x))


def _jy_asymptotic(order: int, x: float):
    """(J_n(x), Y_n(x)) for large x > 0 from Hankel's P and Q."""
    p = q = 0.0
    for k, t in enumerate(_asymptotic_terms(order, x)):
        sign = -1.0 if (k // 2) % 2 else 1.0
        if k % 2:
            q += sign * t
        else:
            p += sign * t
    chi = x - (0.5 * order + 0.25) * math.pi
    amp = math.sqrt(2.0 / (math.pi * x))
    return (amp * (p * math.cos(chi) - q * math.sin(chi)),
            amp * (p * math.sin(chi) + q * math.cos(chi)))


def _bessel_series(order: int, x: float, sign: int):
    """In decimal: (J_n or I_n, and the sum of the log-free part of Y_n or K_n) from
    sum_k sign^k (x/2)^(2k+n) / (k! (k+n)!) and the same terms weighted by psi(k+1)+psi(k+n+1)."""
    with decimal.localcontext(_CTX):
        half = decimal.Decimal(x) / 2
        z = half * half * sign
        term = half if order else decimal.Decimal(1)
        euler = decimal.Decimal(_D_EULER)
        psi_sum = -2 * euler + (1 if order else 0)  # psi(1) + psi(1 + n)
        plain, weighted = decimal.Decimal(0), decimal.Decimal(0)
        for k in range(1000):
            plain += term
            weighted += term * psi_sum
            if k > 2 and abs(term) < abs(plain) * decimal.Decimal("1e-40") + \
                    decimal.Decimal("1e-300"):
                break
            term = term * z / ((k + 1) * (k + 1 + order))
            psi_sum += decimal.Decimal(1) / (k + 1) + decimal.Decimal(1) / (k + 1 + order)
        return plain, weighted


def bessel_i0e(x: float) -> float:
    if math.isnan(x):
        return _NAN
    x = abs(x)
    if x > _SERIES_LIMIT:
        return _i_scaled_asymptotic(0, x)
    return float(_bessel_series(0, x, 1)[0]) * math.exp(-x)


def bessel_i1e(x: float) -> float:
    if math.isnan(x):
        return _NAN
    ax = abs(x)
    if ax > _SERIES_LIMIT:
        return math.copysign(_i_scaled_asymptotic(1, ax), x)
    return float(_bessel_series(1, x, 1)[0]) * math.exp(-ax)


def bessel_i0(x: float) -> float:
    return _times_exp(bessel_i0e(x), abs(x))


def bessel_i1(x: float) -> float:
    return _times_exp(bessel_i1e(x), abs(x))


def _bessel_jy(order: int, x: float):
    """(J_n(x), Y_n(x)) for x > 0."""
    if x > _SERIES_LIMIT:
        return _jy_asymptotic(order, x)
    with decimal.localcontext(_CTX):
        j, rest = _bessel_series(order, x, -1)
        pi = decimal.Decimal(_D_PI)
        log_half = (decimal.Decimal(x) / 2).ln()
        y = 2 / pi * log_half * j - rest / pi
        if order:
            y -= 2 / (pi * decimal.Decimal(x))
        return float(j), float(y)


def bessel_j0(x: float) -> float:
    if math.isnan(x):
        return _NAN
    if math.isinf(x):
        return _NAN  # as TF's
    return _bessel_jy(0, abs(x))[0] if x else 1.0


def bessel_j1(x: float) -> float:
    if math.isnan(x):
        return _NAN
    if math.isinf(x):
        return _NAN
    if x == 0:
        return x
    j = _bessel_jy(1, abs(x))[0]
    return j if x > 0 else -j


def _bessel_y(order: int, x: float) -> float:
    if math.isnan(x) or x == math.inf:
        return _NAN
    if x <= 0:
        return -_INF  # TF's answer for all x <= 0
    return _bessel_jy(order, x)[1]


def bessel_y0(x: float) -> float:
    return _bessel_y(0, x)


def bessel_y1(x: float) -> float:
    return _bessel_y(1, x)


def _bessel_k_scaled(order: int, x: float) -> float:
    """K_n(x) e^x for x > 0."""
    if x > _SERIES_LIMIT:
        return _k_scaled_asymptotic(order, x)
    with decimal.localcontext(_CTX):
        i, rest = _bessel_series(order, x, 1)
        dx = decimal.Decimal(x)
        log_half = (dx / 2).ln()
        if order:
            k = 1 / dx + log_half * i - rest / 2
        else:
            k = -log_half * i + rest / 2
        return float(k * dx.exp())


def _bessel_k_any(order: int, x: float, scaled: bool) -> float:
    if math.isnan(x):
        return _NAN
    if x <= 0:
        return _INF  # TF's answer for all x <= 0
    if math.isinf(x):
        return 0.0
    k = _bessel_k_scaled(order, x)
    return k if scaled else k * math.exp(-x)


def bessel_k0(x: float) -> float:
    return _bessel_k_any(0, x, False)


def bessel_k0e(x: float) -> float:
    return _bessel_k_any(0, x, True)


def bessel_k1(x: float) -> float:
    return _bessel_k_any(1, x, False)


def bessel_k1e(x: float) -> float:
    return _bessel_k_any(1, x, True)
