"""Scalar float64 implementations of the special functions behind special_extra_ops (the Bessel
functions are in _bessel_math), written from their definitions: power series, continued
fractions and asymptotic expansions.

Where a power series cancels badly (J, Y, K and Fresnel at moderate arguments) it is summed in
``decimal`` with 60 digits, so the float64 result keeps full precision; beyond the crossover the
asymptotic expansions are summed until their terms stop shrinking (their error there is below
float64's resolution). The edge values (0, negatives, inf, nan) follow TensorFlow's Eigen
kernels."""

from __future__ import annotations

import decimal
import math
from fractions import Fraction

_EPS = 2.0 ** -53
_NAN, _INF = math.nan, math.inf
_EULER = 0.57721566490153286061
_D_EULER = "0.57721566490153286060651209008240243104215933593992"
_D_PI = "3.14159265358979323846264338327950288419716939937511"
_CTX = decimal.Context(prec=60)


def _digamma(a: float) -> float:
    """psi(a) for a > 0: recurrence up to 10, then the asymptotic series."""
    out = 0.0
    while a < 10.0:
        out -= 1.0 / a
        a += 1.0
    inv2 = 1.0 / (a * a)
    tail = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
    return out + math.log(a) - 0.5 / a - tail


def _times_exp(v: float, t: float) -> float:
    """v * e^t computed as TF does: inf once e^t overflows, nan for inf * 0."""
    try:
        return v * math.exp(t)
    except OverflowError:
        return v * _INF



# == Incomplete gamma (Igamma, Igammac, IgammaGradA) ===========================================
# Each returns (value, d value / da): the derivative is carried through the same iteration
# (forward mode), as Eigen computes IgammaGradA.

def _igamma_series(a: float, x: float):
    """P(a, x) = x^a e^-x / Gamma(a+1) * sum_n x^n / ((a+1)...(a+n))."""
    r, c, ans, dc, dans = a, 1.0, 1.0, 0.0, 0.0
    for _ in range(100000):
        r += 1.0
        term, dterm = x / r, -x / (r * r)
        dc = term * dc + dterm * c
        c *= term
        ans += c
        dans += dc
        if c <= _EPS * ans and abs(dc) <= _EPS * abs(dans):
            break
    logax = a * math.log(x) - x - math.lgamma(a + 1.0)
    ax = math.exp(logax)
    return ans * ax, ax * (dans + ans * (math.log(x) - _digamma(a + 1.0)))


def _igammac_cf(a: float, x: float):
    """Q(a, x) by Legendre's continued fraction, through the convergents' numerators and
    denominators (rescaled when they grow)."""
    if math.isinf(x):
        return 0.0, 0.0
    y, z, c = 1.0 - a, x + 2.0 - a, 0.0
    pkm2, qkm2, pkm1, qkm1 = 1.0, x, x + 1.0, z * x
    dpkm2, dqkm2, dpkm1, dqkm1 = 0.0, 0.0, 0.0, -x
    ans = pkm1 / qkm1
    dans = (dpkm1 - ans * dqkm1) / qkm1
    for _ in range(100000):
        c += 1.0
        y += 1.0
        z += 2.0
        yc = y * c
        pk, qk = pkm1 * z - pkm2 * yc, qkm1 * z - qkm2 * yc
        dpk = dpkm1 * z - pkm1 - dpkm2 * yc + pkm2 * c
        dqk = dqkm1 * z - qkm1 - dqkm2 * yc + qkm2 * c
        t, dt = 1.0, 1.0
        if qk != 0:
            r = pk / qk
            dr = (dpk - r * dqk) / qk
            t, dt = abs((ans - r) / r), abs(dr - dans)
            ans, dans = r, dr
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        dpkm2, dpkm1, dqkm2, dqkm1 = dpkm1, dpk, dqkm1, dqk
        if abs(pk) > 2.0 ** 500:
            s = 2.0 ** -500
            pkm2, pkm1, qkm2, qkm1 = pkm2 * s, pkm1 * s, qkm2 * s, qkm1 * s
            dpkm2, dpkm1, dqkm2, dqkm1 = dpkm2 * s, dpkm1 * s, dqkm2 * s, dqkm1 * s
        if t <= _EPS and dt <= _EPS * abs(dans):
            break
    logax = a * math.log(x) - x - math.lgamma(a)
    ax = math.exp(logax)
    return ans * ax, ax * (dans + ans * (math.log(x) - _digamma(a)))


def _igamma_pair(a: float, x: float, upper: bool):
    """(P or Q, its derivative in a), choosing series or fraction as Eigen does."""
    if x > 1.0 and x > a:
        q, dq = _igammac_cf(a, x)
        return (q, dq) if upper else (1.0 - q, -dq)
    p, dp = _igamma_series(a, x)
    return (1.0 - p, -dp) if upper else (p, dp)


def igamma(a: float, x: float) -> float:
    if x == 0.0:
        return 0.0
    if x < 0 or a <= 0 or math.isnan(a) or math.isnan(x):
        return _NAN
    if math.isinf(a):
        return 0.0
    return _igamma_pair(a, x, False)[0]


def igammac(a: float, x: float) -> float:
    if x < 0 or a <= 0 or math.isnan(a) or math.isnan(x):
        return _NAN
    if math.isinf(a):
        return 0.0 if math.isinf(x) else 1.0
    if x == 0.0:
        return 1.0
    return _igamma_pair(a, x, True)[0]


def igamma_grad_a(a: float, x: float) -> float:
    if x == 0.0:
        return 0.0
    if x < 0 or a <= 0 or math.isnan(a) or math.isnan(x):
        return _NAN
    if math.isinf(x) or math.isinf(a):
        return 0.0
    return _igamma_pair(a, x, False)[1]


# == Regularized incomplete beta ===============================================================

def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100000):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                    -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            delta = d * c
            h *= delta
        if abs(delta - 1.0) <= _EPS:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    if a <= 0 or b <= 0 or not 0 <= x <= 1:
        return _NAN
    if x == 0.0 or x == 1.0:
        return x  # even for a or b nan, as TF's
    if not (math.isfinite(a) and math.isfinite(b)):
        return _NAN
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


# == Hurwitz zeta ==============================================================================

def _bernoulli_ratios(n: int) -> list[float]:
    """(2k)! / B_2k for k = 1..n: the Euler-Maclaurin tail's denominators."""
    b = [Fraction(1)]
    for m in range(1, 2 * n + 1):
        b.append(-sum(math.comb(m + 1, k) * b[k] for k in range(m)) / (m + 1))
    return [float(math.factorial(2 * k) / b[2 * k]) for k in range(1, n + 1)]


_ZETA_TAIL = _bernoulli_ratios(12)


def zeta(x: float, q: float) -> float:
    if math.isnan(x) or math.isnan(q):
        return _NAN
    if x == 1.0:
        return _INF
    if x < 1.0:
        return _NAN
    if q <= 0.0:
        integer = math.isfinite(x) and x == math.floor(x)
        if math.isinf(q) or q == math.floor(q):  # a pole (-inf too, as Eigen's floor(q) == q):
            # TF answers inf for an even integer x, else nan
            return _INF if integer and x % 2 == 0 else _NAN
        if not integer:
            return _NAN  # (n + q)^-x is not real
    # Euler-Maclaurin: the first terms directly, then the integral and the Bernoulli tail.
    try:
        s, a, b, i = q ** -x, q, 0.0, 0
    except OverflowError:
        return _INF
    while i < 9 or a <= 9.0:
        i += 1
        a += 1.0
        b = a ** -x
        s += b
        if abs(b) <= _EPS * abs(s):
            return s
    w = a
    s += b * w / (x - 1.0) - 0.5 * b
    fac, k = 1.0, 0.0
    for ratio in _ZETA_TAIL:
        fac *= x + k
        b /= w
        t = fac * b / ratio
        s += t
        if abs(t) <= _EPS * abs(s):
            break
        k += 1.0
        fac *= x + k
        b /= w
        k += 1.0
    return s


# == Dawson, exponential integral, Fresnel, Spence =============================================

def dawsn(x: float) -> float:
    """F(x) = e^-x^2 int_0^x e^t^2 dt: its positive series below 6, its asymptotic series above."""
    if math.isnan(x):
        return _NAN
    ax = abs(x)
    if ax > 6.0:
        if math.isinf(ax):
            return math.copysign(0.0, x)
        inv, term, s, k = 1.0 / (2.0 * ax * ax), 1.0, 1.0, 0
        while abs(term) > 1e-18 * s:
            k += 1
            nxt = term * (2 * k - 1) * inv
            if nxt >= term:  # the asymptotic series starts diverging
                break
            term = nxt
            s += term
        return math.copysign(s / (2.0 * ax), x)
    x2, term, s, k = ax * ax, ax, 0.0, 0  # sum_k x^(2k+1) / (k! (2k+1))
    while True:
        s += term / (2 * k + 1)
        k += 1
        term *= x2 / k
        if term / (2 * k + 1) <= 1e-17 * s:
            break
    return math.copysign(s * math.exp(-x2), x)


def expint(x: float) -> float:
    """Ei(x) = gamma + log x + sum_k x^k / (k k!), and its asymptotic series above 40."""
    if math.isnan(x) or x < 0 or math.isinf(x):
        return _NAN  # TF's Ei has no values below 0 (nor at inf)
    if x == 0:
        return -_INF
    if x > 40.0:
        s, term, k = 1.0, 1.0, 0
        while k < 100:
            k += 1
            nxt = term * k / x
            if nxt >= term or nxt < 1e-18:
                break
            term = nxt
            s += term
        return _times_exp(s / x, x)
    s, term, k = 0.0, 1.0, 0
    while True:
        k += 1
        term *= x / k
        s += term / k
        if term / k < 1e-17 * s:
            break
    return _EULER + math.log(x) + s


def _fresnel_series(x: float):
    """(C(x), S(x)) from their power series, in decimal."""
    with decimal.localcontext(_CTX):
        dx = decimal.Decimal(x)
        t = decimal.Decimal(_D_PI) / 2 * dx * dx  # the series run in powers of t = pi x^2 / 2
        c_sum, s_sum, term, n = decimal.Decimal(0), decimal.Decimal(0), decimal.Decimal(1), 0
        while True:  # term = (-1)^(n//2) t^n / n!, alternately into C (n even) and S (n odd)
            piece = term / (2 * n + 1)
            if n % 2 == 0:
                c_sum += piece
            else:
                s_sum += piece
            n += 1
            term = term * t / n * (-1 if n % 2 == 0 else 1)
            if n > 4 and abs(term) < decimal.Decimal("1e-45") * (abs(c_sum) + abs(s_sum)):
                break
        return float(dx * c_sum), float(dx * s_sum)


def _fresnel_asymptotic(x: float):
    """(C(x), S(x)) for large x > 0 from the auxiliary functions f and g."""
    y = math.pi * x * x
    u = 1.0 / (y * y)
    f = g = 0.0
    tf, tg, k = 1.0, 1.0, 0  # (-1)^k (4k-1)!! u^k and (-1)^k (4k+1)!! u^k
    while k < 100:
        f += tf
        g += tg
        k += 1
        nf = -tf * (4 * k - 3) * (4 * k - 1) * u
        ng = -tg * (4 * k - 1) * (4 * k + 1) * u
        if abs(ng) >= abs(tg) or abs(ng) < 1e-18:
            break
        tf, tg = nf, ng
    f /= math.pi * x
    g /= math.pi * y * x
    t = math.pi / 2 * x * x
    return 0.5 + f * math.sin(t) - g * math.cos(t), 0.5 - f * math.cos(t) - g * math.sin(t)


def _fresnel(x: float, which: int) -> float:
    if math.isnan(x):
        return _NAN
    ax = abs(x)
    if ax > 36974.0:  # where TF stops: the oscillation is below float32's resolution
        pair = (0.5, 0.5)
    elif ax < 5.0:
        pair = _fresnel_series(ax)
    else:
        pair = _fresnel_asymptotic(ax)
    return math.copysign(pair[which], x)


def fresnel_cos(x: float) -> float:
    return _fresnel(x, 0)


def fresnel_sin(x: float) -> float:
    return _fresnel(x, 1)


_PI2_6 = math.pi * math.pi / 6.0


def _dilog(z: float) -> float:
    """Li2(z) for real z <= 1, mapped by its functional equations into |z| <= 1/2."""
    if z == 1.0:
        return _PI2_6
    if z < -1.0:
        return -_PI2_6 - 0.5 * math.log(-z) ** 2 - _dilog(1.0 / z)
    if z < -0.5:
        return -_dilog(z / (z - 1.0)) - 0.5 * math.log1p(-z) ** 2
    if z > 0.5:
        return _PI2_6 - math.log(z) * math.log1p(-z) - _dilog(1.0 - z)
    s, p, k = 0.0, 1.0, 0
    while True:
        k += 1
        p *= z
        s += p / (k * k)
        if abs(p) < 1e-17 * k * k * abs(s) or p == 0:
            return s


def spence(x: float) -> float:
    """Spence's function int_1^x log(t) / (1 - t) dt = Li2(1 - x), for x >= 0."""
    if math.isnan(x) or x < 0:
        return _NAN
    if math.isinf(x):
        return _NAN
    return _dilog(1.0 - x)
