"""The math functions of core/ops/math_extra_ops.py and core/math_extra.py beyond the op harness:
the namespaces and node names TF1 gives them, the composites' values and gradients, the
missing gradients, graph-construction and run-time errors, and (when TensorFlow is installed) a
comparison with tf.compat.v1 (tests/core/data/math_extra_vs_tf.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minitf as tf

from .legacy_tf import run_against_tf


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _check_grad(build, *inputs, rtol=1e-5, atol=1e-7, eps=1e-6):
    """Symbolic gradients of ``sum(build(*xs) * w)`` against central differences (float64)."""
    xs = [tf.placeholder(tf.float64, np.shape(a)) for a in inputs]
    y = build(*xs)
    w = tf.constant(np.random.default_rng(0).standard_normal(y.shape.as_list()))
    loss = tf.reduce_sum(y * w)
    grads = tf.gradients(loss, xs)
    feed = dict(zip(xs, inputs))
    with tf.Session() as sess:
        got = sess.run(grads, feed)
        for x, a, g in zip(xs, inputs, got):
            num = np.zeros_like(a)
            for j in np.ndindex(*a.shape):
                for sign in (1, -1):
                    v = a.copy()
                    v[j] += sign * eps
                    num[j] += sign * sess.run(loss, {**feed, x: v}) / (2 * eps)
            np.testing.assert_allclose(g, num, rtol=rtol, atol=atol)


# -- namespaces and node names ------------------------------------------------------------------


ROOT = ["acos", "asin", "atan", "acosh", "asinh", "atanh", "sinh", "cosh", "expm1", "rint",
        "atan2", "truncatediv", "truncatemod", "floor_div", "accumulate_n", "lbeta",
        "is_non_decreasing", "is_strictly_increasing", "unsorted_segment_sqrt_n"]
MATH = ROOT[:11] + ["erfinv", "ndtri", "erfcinv", "xlogy", "xdivy", "xlog1py",
                    "multiply_no_nan", "reduce_euclidean_norm", "cumulative_logsumexp",
                    "reciprocal_no_nan", "polyval", "zero_fraction", "softmax", "log_softmax",
                    "invert_permutation"] + ROOT[14:]
NN = ["zero_fraction", "sufficient_statistics", "normalize_moments", "weighted_moments",
      "log_poisson_loss"]


def test_names_are_where_tf1_has_them():
    missing = [f"tf.{n}" for n in ROOT if not callable(getattr(tf, n, None))]
    missing += [f"tf.math.{n}" for n in MATH if not callable(getattr(tf.math, n, None))]
    missing += [f"tf.nn.{n}" for n in NN if not callable(getattr(tf.nn, n, None))]
    assert not missing
    assert tf.math.acos is tf.acos and tf.math.softmax is tf.nn.softmax
    assert tf.math.log_softmax is tf.nn.log_softmax
    assert tf.math.invert_permutation is tf.invert_permutation
    assert tf.math.zero_fraction is tf.nn.zero_fraction


def test_default_node_names_are_tfs():
    x = tf.placeholder(tf.float32, [3])
    y = tf.placeholder(tf.float32, [3])
    names = [t.op.name for t in (
        tf.acos(x), tf.atan2(x, y), tf.math.xlogy(x, y), tf.math.xdivy(x, y),
        tf.math.xlog1py(x, y), tf.math.erfinv(x), tf.math.ndtri(x), tf.truncatediv(x, y),
        tf.floor_div(x, y), tf.math.multiply_no_nan(x, y), tf.math.reduce_euclidean_norm(x),
        tf.math.cumulative_logsumexp(x), tf.math.reciprocal_no_nan(x), tf.nn.zero_fraction(x))]
    assert names == ["Acos", "Atan2", "Xlogy", "xdivy/Xdivy", "xlog1py/Xlog1py",
                     "erfinv/Erfinv", "ndtri/Ndtri", "TruncateDiv", "FloorDiv",
                     "multiply_no_nan", "EuclideanNorm", "CumulativeLogsumexp",
                     "reciprocal_no_nan", "zero_fraction/fraction"]


# -- gradients TF does not define, and the ones the harness cannot check --------------------------


def test_truncatemod_has_no_gradient():
    x = tf.placeholder(tf.float32, [3])
    y = tf.truncatemod(x, 2.0)
    with pytest.raises(LookupError, match="No gradient defined for operation 'TruncateMod'"):
        tf.gradients(y, x)


def test_truncatediv_and_rint_have_none_gradients():
    x = tf.placeholder(tf.float32, [3])
    z = tf.placeholder(tf.float32, [3])
    assert tf.gradients(tf.truncatediv(x, z), [x, z]) == [None, None]
    assert tf.gradients(tf.rint(x), x) == [None]


def test_cumulative_logsumexp_exclusive_gradients():
    x0 = np.random.default_rng(3).uniform(-2, 2, (3, 4))
    for reverse in (False, True):
        # The exclusive scan's first entry is -inf: it is given no weight.
        def build(x, reverse=reverse):
            y = tf.math.cumulative_logsumexp(x, axis=1, exclusive=True, reverse=reverse)
            return tf.where(tf.is_finite(y), y, tf.zeros_like(y))
        _check_grad(build, x0)


def test_euclidean_norm_gradient_is_nan_at_a_zero_norm():
    x = tf.placeholder(tf.float32, [2, 2])
    g = tf.gradients(tf.math.reduce_euclidean_norm(x, axis=1), x)[0]
    got = _run(g, {x: [[0.0, 0.0], [3.0, 4.0]]})
    assert np.isnan(got[0]).all()  # TF's x / (norm / dy): 0 / 0
    np.testing.assert_allclose(got[1], [0.6, 0.8])


def test_xlogy_gradient_at_x_zero_is_zero_as_tfs():
    x = tf.constant([0.0, 2.0])
    y = tf.constant([3.0, 5.0])
    gx, gy = _run(tf.gradients(tf.math.xlogy(x, y), [x, y]))
    np.testing.assert_allclose(gx, [0.0, math.log(5.0)], rtol=1e-6)
    np.testing.assert_allclose(gy, [0.0, 0.4], rtol=1e-6)


# -- errors ---------------------------------------------------------------------------------------


def test_integer_division_by_zero_fails_at_run_time():
    a = tf.placeholder(tf.int32, [None])
    for op in (tf.truncatediv, tf.truncatemod):
        with pytest.raises(tf.errors.InvalidArgumentError, match="Integer division by zero"):
            _run(op(a, a), {a: [1, 0]})


@pytest.mark.parametrize("build", [
    lambda: tf.acos(tf.constant([1, 2])),
    lambda: tf.math.erfinv(tf.constant([1])),
    lambda: tf.atan2(tf.constant([1]), tf.constant([2])),
    lambda: tf.truncatemod(tf.constant([1], tf.uint8), tf.constant([1], tf.uint8)),
    lambda: tf.math.cumulative_logsumexp(tf.constant([1, 2])),
    lambda: tf.math.reciprocal_no_nan(tf.constant([1, 2])),
    lambda: tf.math.xlogy(tf.constant([1]), tf.constant([2])),
    lambda: tf.is_non_decreasing(tf.constant(["a", "b"])),
], ids=["acos-int", "erfinv-int", "atan2-int", "truncatemod-uint8", "cle-int",
        "reciprocal_no_nan-int", "xlogy-int", "monotonic-string"])
def test_unsupported_dtypes_are_refused_at_graph_construction(build):
    with pytest.raises(TypeError):
        build()


def test_shape_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid reduction dimension"):
        tf.math.reduce_euclidean_norm(tf.zeros([3]), axis=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Atan2"):
        tf.atan2(tf.zeros([2]), tf.zeros([3]))
    x = tf.placeholder(tf.float32, None)
    with pytest.raises(tf.errors.InvalidArgumentError, match="scan axis"):
        _run(tf.math.cumulative_logsumexp(x, axis=2), {x: np.ones((2, 2), np.float32)})
    with pytest.raises(ValueError, match="must have the same shape"):
        tf.nn.log_poisson_loss(tf.zeros([2]), tf.zeros([3]))


def test_multiply_no_nan_wants_one_dtype():
    with pytest.raises((TypeError, ValueError)):
        tf.math.multiply_no_nan(tf.zeros([2], tf.float32), tf.zeros([2], tf.float64))


# -- composites -----------------------------------------------------------------------------------


def test_reciprocal_no_nan_and_erfcinv():
    x = tf.constant([2.0, 0.5, 0.0, -4.0])
    np.testing.assert_allclose(_run(tf.math.reciprocal_no_nan(x)), [0.5, 2.0, 0.0, -0.25])
    q = np.array([0.0, 0.2, 1.0, 1.5, 2.0])
    got = _run(tf.math.erfcinv(tf.constant(q)))
    assert got[0] == np.inf and got[-1] == -np.inf
    np.testing.assert_allclose([math.erfc(v) for v in got[1:-1]], q[1:-1], rtol=1e-13)


def test_lbeta():
    x = np.array([[1.5, 2.0, 0.7], [3.0, 1.0, 2.5]])
    want = [sum(math.lgamma(v) for v in r) - math.lgamma(sum(r)) for r in x]
    np.testing.assert_allclose(_run(tf.lbeta(tf.constant(x))), want, rtol=1e-12)
    _check_grad(tf.lbeta, x)


def test_polyval():
    x0 = np.array([[0.5, -1.0], [2.0, 3.0]])
    c = [np.float64(2.0), np.float64(-3.0), np.float64(0.5)]
    got = _run(tf.math.polyval(c, tf.constant(x0)))
    np.testing.assert_allclose(got, 2 * x0 ** 2 - 3 * x0 + 0.5)
    np.testing.assert_array_equal(_run(tf.math.polyval([], tf.constant(x0))), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="must be list type"):
        tf.math.polyval((1.0, 2.0), tf.constant(1.0))
    _check_grad(lambda x, k: tf.math.polyval([k, x, k * 2], x), x0, np.array(1.5))


def test_accumulate_n():
    a, b = tf.constant([[1, 2], [3, 4]]), tf.constant([[5, 0], [0, 6]])
    total = tf.accumulate_n([a, b, a], shape=[2, 2], tensor_dtype=tf.int32)
    assert total.op.type == "AddN"
    np.testing.assert_array_equal(_run(total), [[7, 4], [6, 14]])
    assert tf.accumulate_n([a]) is a
    assert tf.accumulate_n([a], name="one").op.name == "one"
    for bad in ([], [a, tf.constant([[1.0, 2.0], [3.0, 4.0]])], "ab"):
        with pytest.raises(ValueError, match="inputs must be a list"):
            tf.accumulate_n(bad)
    with pytest.raises(ValueError):
        tf.accumulate_n([a, tf.constant([1, 2, 3])])
    with pytest.raises(ValueError):
        tf.accumulate_n([a, b], shape=[3])
    with pytest.raises(TypeError, match="tensor_dtype"):
        tf.accumulate_n([a, b], tensor_dtype=tf.float32)


def test_monotonicity():
    x = tf.placeholder(tf.float32, None)
    nd, si = tf.is_non_decreasing(x), tf.math.is_strictly_increasing(x)
    for value, want in (([1, 2, 2, 3], (True, False)), ([[1, 2], [3, 4]], (True, True)),
                        ([3, 2], (False, False)), ([], (True, True)), ([5], (True, True))):
        assert tuple(_run([nd, si], {x: np.array(value, np.float32)})) == want
    assert nd.dtype == tf.bool and nd.shape.as_list() == []


def test_unsorted_segment_sqrt_n():
    data = np.arange(12, dtype=np.float64).reshape(4, 3)
    ids = np.array([2, 0, 2, -1])  # a negative id drops its row; segment 1 is empty
    got = _run(tf.unsorted_segment_sqrt_n(tf.constant(data), ids, 3))
    want = np.stack([data[1], np.zeros(3), (data[0] + data[2]) / math.sqrt(2)])
    np.testing.assert_allclose(got, want)
    # Unknown ranks: the counts are reshaped by a shape computed at run time.
    d = tf.placeholder(tf.float64, None)
    s = tf.placeholder(tf.int32, None)
    np.testing.assert_allclose(_run(tf.math.unsorted_segment_sqrt_n(d, s, 3),
                                    {d: data, s: ids}), want)
    _check_grad(lambda x: tf.unsorted_segment_sqrt_n(x, ids, 3), data)


def test_zero_fraction():
    got = _run(tf.nn.zero_fraction(tf.constant([[0, 1, 0], [2, 0, 0]])))
    assert got.dtype == np.float32 and got == np.float32(4 / 6)


def test_sufficient_statistics_and_normalize_moments():
    x0 = np.random.default_rng(1).standard_normal((4, 3, 2))
    for shape in ([4, 3, 2], [None, 3, None]):
        tf.reset_default_graph()
        x = tf.placeholder(tf.float64, shape)
        for shift in (None, tf.constant(0.3, tf.float64)):
            counts, m_ss, v_ss, sh = tf.nn.sufficient_statistics(x, [0, -1], shift=shift)
            assert sh is shift
            mean, var = tf.nn.normalize_moments(counts, m_ss, v_ss, shift)
            got = _run([counts, mean, var], {x: x0})
            assert got[0] == 8
            np.testing.assert_allclose(got[1], x0.mean(axis=(0, 2)))
            np.testing.assert_allclose(got[2], x0.var(axis=(0, 2)))
    kept = tf.nn.sufficient_statistics(tf.zeros([2, 3]), [1], keepdims=True)
    assert kept[1].shape.as_list() == [2, 1]


def test_weighted_moments():
    x0 = np.random.default_rng(2).standard_normal((3, 4))
    w0 = np.array([[1.0, 2.0, 0.0, 3.0]])
    mean, var = tf.nn.weighted_moments(tf.constant(x0), [1], w0)
    got_m, got_v = _run([mean, var])
    want_m = (x0 * w0).sum(1) / w0.sum()
    np.testing.assert_allclose(got_m, want_m)
    np.testing.assert_allclose(got_v, (w0 * (x0 - want_m[:, None]) ** 2).sum(1) / w0.sum())
    zero_m, _ = tf.nn.weighted_moments(tf.constant(x0), [0, 1], np.zeros((1, 4)),
                                       keep_dims=True)
    np.testing.assert_array_equal(_run(zero_m), [[0.0]])  # no weight: 0, not NaN
    half = tf.nn.weighted_moments(tf.constant(x0, tf.float16), [0], tf.ones([3, 1]))
    assert [t.dtype for t in half] == [tf.float16, tf.float16]
    _check_grad(lambda x: tf.nn.weighted_moments(x, [1], w0)[1], x0)


def test_log_poisson_loss():
    z = np.array([0.0, 0.5, 1.0, 3.0, 7.0])
    c = np.array([0.1, -0.3, 0.2, 1.1, 1.9])
    plain = np.exp(c) - c * z
    stirling = np.where((z >= 0) & (z <= 1), 0.0,
                        z * np.log(np.where(z > 0, z, 1)) - z + 0.5 * np.log(2 * np.pi * z))
    got = _run([tf.nn.log_poisson_loss(z, tf.constant(c)),
                tf.nn.log_poisson_loss(z, tf.constant(c), compute_full_loss=True)])
    np.testing.assert_allclose(got[0], plain)
    np.testing.assert_allclose(got[1], plain + stirling)
    _check_grad(lambda t: tf.nn.log_poisson_loss(z, t, compute_full_loss=True), c)


def test_against_tensorflow():
    run_against_tf("math_extra_vs_tf.py", 1)
