"""Erf and Erfc below float64 are vectorized (core/ops/special_ops.py); the reference is the
standard library's erf/erfc per element, rounded to the input's dtype."""

import math

import numpy as np
import pytest

import minitf as tf

EDGES = [0.0, -0.0, 0.5, -0.5, np.nextafter(0.5, 0), 1e-30, -1e-45, 3.0, 9.9, 10.0, 26.0,
         30.0, -30.0, 3e38, -3e38, np.inf, -np.inf, np.nan]


def _inputs(dtype):
    rng = np.random.default_rng(7)
    # Over two chunks (16384 values each) so chunk boundaries are crossed.
    values = np.concatenate([rng.standard_normal(20000) * 3, np.linspace(-12, 12, 24001),
                             rng.standard_normal(2000) * 1e-3, EDGES])
    return values.astype(dtype)


def _run(fn, x):
    with tf.Graph().as_default(), tf.Session() as sess:
        p = tf.placeholder(x.dtype, [None])
        return sess.run(fn(p), {p: x})


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.float64])
@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_matches_the_standard_library_rounded(name, dtype):
    x = _inputs(dtype)
    libm = getattr(math, name)
    want = np.array([libm(float(v)) for v in x])
    # half Erfc rounds through float32, as TF's libm-backed kernels
    want = want.astype(np.float32).astype(dtype) if dtype == np.float16 and name == "erfc" \
        else want.astype(dtype)
    got = _run(getattr(tf.math, name), x)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)  # NaN positions included
    assert np.array_equal(np.signbit(got), np.signbit(want))  # -0.0 and NaN's sign kept


def test_gelu_of_a_bert_sized_activation():
    x = np.random.default_rng(3).standard_normal((4, 3072)).astype(np.float32) * 4
    got = _run(lambda t: 0.5 * t * (1.0 + tf.erf(t / np.float32(math.sqrt(2.0)))), x.ravel())
    xs = (x.ravel() / np.float32(math.sqrt(2.0))).astype(np.float32)
    erf = np.array([math.erf(float(v)) for v in xs]).astype(np.float32)
    np.testing.assert_array_equal(got, (np.float32(0.5) * x.ravel()) * (np.float32(1) + erf))


@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_small_arrays_match_too(name):  # under 1024 values: per element
    x = np.array(EDGES, np.float32)
    want = np.array([getattr(math, name)(float(v)) for v in x]).astype(np.float32)
    np.testing.assert_array_equal(_run(getattr(tf.math, name), x), want)
