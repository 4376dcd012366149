"""tf.contrib.resampler.resampler: bilinear sampling against numpy written from the equations
(tests/core/op_cases/resampler.py), points inside, on and beyond the border, the gradients
with respect to data and warp against central differences, and the shape and dtype errors."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import resampler as resampler_lib
from minitf.contrib.resampler import resampler

from ..op_cases.resampler import points, ref_resampler, ref_resampler_grad

R = np.random.default_rng(5)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_namespace_and_op():
    assert tf.contrib.resampler is resampler_lib
    out = resampler(np.zeros((1, 2, 2, 1), np.float32), np.zeros((1, 3, 2), np.float32))
    assert out.op.type == "Resampler" and out.op.name == "resampler/Resampler"
    assert out.shape.as_list() == [1, 3, 1]


def test_hand_values_inside_on_and_outside_the_border():
    # One 2x3 image (height 2, width 3), pixel (x, y) = 10 * y + x.
    data = (10 * np.arange(2)[:, None] + np.arange(3)[None, :]).astype(np.float32)
    data = data[None, :, :, None]
    warp = np.array([[[0, 0], [2, 1], [0.5, 0], [1, 0.5], [1.25, 0.75],  # inside
                      [2.5, 1], [-0.5, 1], [1, -0.25],  # half outside: zero padding fades
                      [-1, 0], [3, 0], [0, 2], [-2, -2], [np.nan, 0]]], np.float32)
    want = [0, 12, 0.5, 6, 8.75,
            0.5 * 12, 0.5 * 10, 0.75 * 1,
            0, 0, 0, 0, 0]
    got = _run(resampler(data, warp))
    np.testing.assert_allclose(got[0, :, 0], want, rtol=1e-6, atol=1e-6)


def test_against_numpy_reference_with_batch_and_grid():
    data = R.standard_normal((3, 5, 4, 3)).astype(np.float32)
    warp = points(3, 12, 5, 4).reshape(3, 2, 6, 2)
    out = resampler(data, warp)
    assert out.shape.as_list() == [3, 2, 6, 3]
    np.testing.assert_allclose(_run(out), ref_resampler(data, warp), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float16, 2e-2)])
def test_other_float_dtypes(dtype, tol):
    data = R.standard_normal((2, 3, 3, 1)).astype(dtype)
    warp = points(2, 5, 3, 3).astype(dtype)
    out = resampler(data, warp)
    assert out.dtype == tf.as_dtype(dtype)
    got = _run(out)
    assert got.dtype == dtype
    np.testing.assert_allclose(got.astype(np.float64), ref_resampler(
        data.astype(np.float64), warp.astype(np.float64)), rtol=tol, atol=tol)


def test_unknown_shapes_are_inferred_at_run_time():
    d = tf.placeholder(tf.float32, [None, None, None, 2])
    w = tf.placeholder(tf.float32, [None, 4, 2])
    out = resampler(d, w)
    assert out.shape.as_list() == [None, 4, 2]
    data = R.standard_normal((1, 3, 3, 2)).astype(np.float32)
    warp = points(1, 4, 3, 3)
    np.testing.assert_allclose(_run(out, {d: data, w: warp}), ref_resampler(data, warp),
                               rtol=1e-5, atol=1e-6)


def _numeric_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        hi, lo = x.copy(), x.copy()
        hi[i] += eps
        lo[i] -= eps
        g[i] = (f(hi) - f(lo)) / (2 * eps)
    return g


def test_gradients_match_finite_differences():
    data = R.standard_normal((2, 3, 4, 2))
    warp = points(2, 6, 3, 4).astype(np.float64)
    weights = R.standard_normal((2, 6, 2))
    d = tf.placeholder(tf.float64, data.shape)
    w = tf.placeholder(tf.float64, warp.shape)
    loss = tf.reduce_sum(resampler(d, w) * weights)
    gd, gw = tf.gradients(loss, [d, w])
    assert gd.op.type == "ResamplerGrad" and gd.op is gw.op
    with tf.Session() as sess:
        got_d, got_w = sess.run([gd, gw], {d: data, w: warp})
        num_d = _numeric_grad(lambda v: sess.run(loss, {d: v, w: warp}), data)
        num_w = _numeric_grad(lambda v: sess.run(loss, {d: data, w: v}), warp)
    np.testing.assert_allclose(got_d, num_d, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got_w, num_w, rtol=1e-6, atol=1e-8)
    # ... and the hand-derived reference, including the points outside (zero gradient).
    want_d, want_w = ref_resampler_grad(data, warp, weights)
    np.testing.assert_allclose(got_d, want_d, rtol=1e-10)
    np.testing.assert_allclose(got_w, want_w, rtol=1e-10, atol=1e-12)


def test_gradient_of_the_gradient_is_refused_as_in_tf():
    d = tf.constant(np.ones((1, 2, 2, 1), np.float32))
    w = tf.constant([[[0.5, 0.5]]])
    gd, gw = tf.gradients(tf.reduce_sum(resampler(d, w)), [d, w])
    assert tf.gradients(tf.reduce_sum(gw), [w]) == [None]  # ResamplerGrad: not differentiable


@pytest.mark.parametrize("data_shape, warp_shape, error, message", [
    ((2, 3, 3), (2, 4, 2), tf.errors.UnimplementedError, r"input data shape must be \[batch"),
    ((2, 3, 3, 1), (2, 4, 3), tf.errors.UnimplementedError, r"last entry should be 2"),
    ((2, 3, 3, 1), (3, 4, 2), tf.errors.InvalidArgumentError,
     r"Batch size of data and warp tensor must be the same.*\[2,3,3,1\], \[3,4,2\]"),
    ((2, 3, 3, 1), (2,), tf.errors.InvalidArgumentError, r"warp should be at least a matrix"),
])
def test_shape_errors_at_run_time(data_shape, warp_shape, error, message):
    d = tf.placeholder(tf.float32)
    w = tf.placeholder(tf.float32)
    out = resampler(d, w)
    with pytest.raises(error, match=message):
        _run(out, {d: np.zeros(data_shape, np.float32), w: np.zeros(warp_shape, np.float32)})


def test_construction_errors():
    with pytest.raises(TypeError, match="'data' has DataType int32 not in list of allowed"):
        resampler(np.zeros((1, 2, 2, 1), np.int32), np.zeros((1, 1, 2), np.int32))
    with pytest.raises(ValueError, match="at least rank 1"):
        resampler(np.float32(1.0), np.zeros((1, 1, 2), np.float32))
    with pytest.raises((TypeError, ValueError)):  # data and warp of different dtypes
        resampler(np.zeros((1, 2, 2, 1), np.float32), np.zeros((1, 1, 2), np.float64))


def test_resampler_grad_checks_grad_output_shape():
    from minitf.ops.resampler_ops import resampler_grad

    gd, gw = resampler_grad(np.zeros((1, 2, 2, 3), np.float32),
                            np.zeros((1, 4, 2), np.float32), np.zeros((1, 4, 2), np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"grad_output shape is not consistent.*\[1,4,3\] but is \[1,4,2\]"):
        _run(gd)
