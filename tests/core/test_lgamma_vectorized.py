"""Lgamma below float64 is vectorized (core/ops/special_ops.py); the reference is the standard
library's math.lgamma per element (poles: inf), rounded to float32 (half: then to half)."""

import math

import numpy as np
import pytest

import minitf as tf
from minitf.ops import special_ops

F32 = np.float32


def _libm(v: float) -> float:
    try:
        return math.lgamma(v)
    except ValueError:  # a pole: TF's answer is inf
        return math.inf


def _reference(x, dtype):
    want = np.array([_libm(float(v)) for v in x.ravel()])
    with np.errstate(over="ignore"):
        want = want.astype(F32)  # beyond float32's range: inf, as the current op
    return want.astype(dtype).reshape(x.shape)


def _neighbours(centres, count):
    """The `count` float32 values on each side of each centre (and the centre)."""
    bits = np.asarray(centres, F32).view(np.int32)[:, None] + np.arange(-count, count + 1)
    return bits.astype(np.int32).view(F32).ravel()


def _sign_changes(lo, hi, n):
    """Where lgamma changes sign on (lo, hi) (its zeros for x < -2), to a grid's step."""
    grid = np.linspace(lo, hi, n)
    values = np.array([_libm(v) for v in grid])
    flip = np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)
    return grid[flip]


def _float32_inputs():
    rng = np.random.default_rng(11)
    scales = np.concatenate([10 ** rng.uniform(-3, 3, 40000), 10 ** rng.uniform(-45, 38.5, 6000)])
    signs = np.where(rng.random(scales.size) < 0.5, -1.0, 1.0)
    negative_integers = np.arange(1, 60, dtype=np.float64)
    zeros = _sign_changes(-12.0, -2.0, 20001)  # negative x: lgamma's zeros next to the poles
    return np.concatenate([
        scales * signs,
        -(negative_integers[:, None] + rng.uniform(-0.5, 0.5, (59, 200))).ravel(),
        _neighbours(-negative_integers[:30], 40),  # poles and the values next to them
        _neighbours([1.0, 2.0], 3000),  # lgamma's zeros: relative accuracy is the hard part
        1 + rng.uniform(-0.2, 0.2, 6000), 2 + rng.uniform(-0.2, 0.2, 6000),
        _neighbours(zeros, 300),
        _neighbours([0.1, 0.2, 0.5, 2.5, 7.0, 7.5], 50),  # the method's boundaries
        _neighbours([4.08e36], 2000),  # lgamma passes float32's largest value
        rng.uniform(-8.0, 8.0, 30000),
        [0.0, -0.0, 1e-45, -1e-45, 1e-38, -1e-38, 3.4028235e38, -3.4028235e38, 8388607.5,
         -8388607.5, 16777216.0, -16777216.0, np.inf, -np.inf, np.nan, -np.nan],
    ]).astype(F32)


def _run(x):
    with tf.Graph().as_default(), tf.Session() as sess:
        p = tf.placeholder(x.dtype, [None])
        return sess.run(tf.lgamma(p), {p: x})


def _assert_same(got, want):
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)  # NaN positions included
    # -0.0, NaN's sign: the bits themselves
    view = np.uint32 if got.dtype == F32 else np.uint16
    assert np.array_equal(got.view(view), want.view(view))


def test_float32_matches_the_standard_library_rounded():
    x = _float32_inputs()
    assert x.size > 2 * 16384  # chunk boundaries are crossed
    _assert_same(_run(x), _reference(x, F32))


def test_specials():
    x = np.array([0.0, -0.0, -1.0, -7.0, -1e30, np.inf, -np.inf, np.nan, -np.nan, 1.0, 2.0,
                  1e-45, 3e38], F32)
    got = _run(x)
    assert np.all(got[:7] == np.inf)  # poles, and lgamma(+-inf) = inf
    assert np.isnan(got[7]) and not np.signbit(got[7]) and np.signbit(got[8])
    assert got[9] == 0 and got[10] == 0 and not np.signbit(got[9:11]).any()
    assert got[11] == F32(-math.log(float(F32(1e-45)))) and got[12] == np.inf  # float32 overflows


def test_every_half_value():
    x = np.arange(65536, dtype=np.uint16).view(np.float16)
    # half rounds through float32, as TF's libm-backed kernels (LIBM_F32)
    _assert_same(_run(x), _reference(x, F32).astype(np.float16))


def test_float64_stays_the_standard_library_exactly():
    x = np.array([0.5, 1 + 2 ** -40, 2 - 2 ** -40, 2.5e-300, -2.5, -3.1, 1e300, 171.3])
    np.testing.assert_array_equal(_run(x), [math.lgamma(v) for v in x])


def test_math_lgamma_only_for_a_few_values(monkeypatch):
    calls = []

    def counting(v):
        calls.append(v)
        return math_lgamma(v)

    math_lgamma = math.lgamma
    x = np.random.default_rng(5).standard_normal((128, 3072)).astype(F32) * 4
    monkeypatch.setattr(math, "lgamma", counting)
    got = special_ops.LGAMMA.kernel(x)
    monkeypatch.undo()
    assert len(calls) < 100, f"math.lgamma asked for {len(calls)} of {x.size} values"
    assert got.dtype == F32 and got.shape == x.shape
    sample = x.ravel()[::97]
    _assert_same(got.ravel()[::97], _reference(sample, F32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_is_digamma(dtype):
    g_ = 0.5772156649015329  # Euler's constant: digamma(1) = -g_
    x0 = np.array([-2.5, 1.0, 1.5, 2.0, 9.0], dtype)
    want = [-g_ - 2 * math.log(2) + 2 + 2 / 3 + 0.4,  # digamma(3.5): reflection, cot = 0
            -g_, 2 - g_ - 2 * math.log(2), 1 - g_, sum(1 / k for k in range(1, 9)) - g_]
    with tf.Graph().as_default(), tf.Session() as sess:
        p = tf.placeholder(dtype, [None])
        (g,) = tf.gradients(tf.reduce_sum(tf.lgamma(p)), [p])
        got, digamma = sess.run([g, tf.math.digamma(p)], {p: x0})
    np.testing.assert_array_equal(got, digamma)
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-12)
