"""Fused batch norm beyond the registry-driven cases (tests/core/op_cases/batch_norm.py):
tf.nn.fused_batch_norm, build-time and run-time errors, the training-mode gradient and second
derivative checked numerically, the gradient graph TF builds, and (with TensorFlow installed)
training-mode values, gradients and second derivatives against TensorFlow itself."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minitf as tf
from minitf.gradients import gradients

from .op_cases.harness import allow_float64
from minitf.opdef import registered

R = np.random.default_rng(5)


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()


def _ph(a):
    return tf.placeholder(tf.as_dtype(a.dtype), a.shape)


# -- tf.nn.fused_batch_norm ----------------------------------------------------------------------


def test_fused_batch_norm_training_graph_and_values():
    x = R.standard_normal((4, 3, 3, 2)).astype(np.float32)
    s, o = np.array([1.5, 0.5], np.float32), np.array([0.1, -0.2], np.float32)
    y, mean, var = tf.nn.fused_batch_norm(tf.constant(x), s, o)
    op = y.op
    assert op.type == "FusedBatchNormV3" and op.name == "FusedBatchNormV3"
    assert op.get_attr("epsilon") == pytest.approx(0.001)
    assert op.get_attr("is_training") is True
    # TF1 passes empty constants for the mean and variance it does not read.
    assert [t.shape.as_list() for t in op.inputs[3:]] == [[0], [0]]
    assert [t.op.type for t in op.inputs[3:]] == ["Const", "Const"]
    assert y.shape.as_list() == [4, 3, 3, 2] and mean.shape.as_list() == [2]
    with tf.Session() as sess:
        got_y, got_m, got_v = sess.run([y, mean, var])
    flat = x.reshape(-1, 2).astype(np.float64)
    m, v = flat.mean(0), flat.var(0)
    np.testing.assert_allclose(got_y, (x - m) / np.sqrt(v + 0.001) * s + o, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_m, m, rtol=1e-5)
    np.testing.assert_allclose(got_v, v * 36 / 35, rtol=1e-5)  # Bessel-corrected


def test_fused_batch_norm_inference_and_average_factor():
    x = R.standard_normal((2, 2, 2, 3)).astype(np.float32)
    s, o = np.ones(3, np.float32), np.zeros(3, np.float32)
    m0, v0 = np.array([1.0, 2.0, 3.0], np.float32), np.array([1.0, 4.0, 9.0], np.float32)
    y, mean, var = tf.nn.fused_batch_norm(x, s, o, m0, v0, epsilon=0.0, is_training=False,
                                          data_format="NHWC", name="bn")
    assert y.op.name == "bn"
    _, mean2, var2 = tf.nn.fused_batch_norm(x, s, o, m0, v0, exponential_avg_factor=0.25)
    with tf.Session() as sess:
        got_y, got_m, got_v, m2, v2 = sess.run([y, mean, var, mean2, var2])
    np.testing.assert_allclose(got_y, (x - m0) / np.sqrt(v0), rtol=1e-6)
    np.testing.assert_array_equal(got_m, m0)
    np.testing.assert_array_equal(got_v, v0)
    flat = x.reshape(-1, 3).astype(np.float64)
    np.testing.assert_allclose(m2, 0.75 * m0 + 0.25 * flat.mean(0), rtol=1e-5)
    np.testing.assert_allclose(v2, 0.75 * v0 + 0.25 * flat.var(0, ddof=1), rtol=1e-5)


def test_fused_batch_norm_needs_mean_and_variance_when_not_training():
    x = tf.zeros([1, 2, 2, 3])
    with pytest.raises(ValueError, match="Both `mean` and `variance` must be a 1D tensor"):
        tf.nn.fused_batch_norm(x, tf.ones([3]), tf.zeros([3]), is_training=False)
    with pytest.raises(ValueError, match="exponential_avg_factor"):
        tf.nn.fused_batch_norm(x, tf.ones([3]), tf.zeros([3]), exponential_avg_factor=0.5)


# -- errors ----------------------------------------------------------------------------------------


V3 = registered()["FusedBatchNormV3"]


@pytest.mark.parametrize("shape, channels, kwargs, message", [
    ([2, 3, 4], 4, {}, "Shape must be rank 4 but is rank 3"),
    ([2, 3, 4, 5, 6], 6, {}, "Shape must be rank 4 but is rank 5"),
    ([2, 3, 4, 5], 6, {"data_format": "NDHWC"}, "Shape must be rank 5 but is rank 4"),
    ([2, 3, 3, 4], 3, {}, "Dimensions must be equal, but are 4 and 3"),
    ([2, 4, 3, 3], 3, {"data_format": "NCHW"}, "Dimensions must be equal, but are 4 and 3"),
    ([2, 3, 3, 4], 4, {"data_format": "NCW"}, "Attr 'data_format' of 'FusedBatchNormV3' Op "
                                              "passed string 'NCW' not in"),
])
def test_build_time_errors(shape, channels, kwargs, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        tf.nn.fused_batch_norm(tf.zeros(shape), tf.ones([channels]), tf.zeros([channels]),
                               **kwargs)


def test_build_time_errors_name_the_op_and_check_every_parameter():
    x = tf.zeros([2, 3, 3, 4])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"but are 4 and 5 .*'bn'"):
        V3(x, tf.ones([4]), tf.zeros([5]), [], [], name="bn")  # offset
    with pytest.raises(tf.errors.InvalidArgumentError, match="Shape must be rank 1 but is rank 2"):
        V3(x, tf.ones([4, 1]), tf.zeros([4]), [], [])
    # Not training (or blending), mean and variance must have one value per channel.
    with pytest.raises(tf.errors.InvalidArgumentError, match="but are 4 and 0"):
        V3(x, tf.ones([4]), tf.zeros([4]), tf.zeros([0]), tf.ones([4]), is_training=False)
    with pytest.raises(tf.errors.InvalidArgumentError, match="but are 4 and 3"):
        V3(x, tf.ones([4]), tf.zeros([4]), tf.zeros([4]), tf.ones([3]),
           exponential_avg_factor=0.5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="'FusedBatchNormV2' Op passed "
                       "string 'NDHWC'"):
        registered()["FusedBatchNormV2"](tf.zeros([1, 2, 2, 2, 4]), tf.ones([4]), tf.zeros([4]),
                                         [], [], data_format="NDHWC")
    with pytest.raises(TypeError, match="parameter 'x' has DataType int32"):
        V3(tf.zeros([1, 2, 2, 4], tf.int32), tf.ones([4]), tf.zeros([4]), [], [])
    grad = registered()["FusedBatchNormGradV3"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="but are 4 and 5"):
        grad(tf.zeros([2, 3, 3, 4]), tf.zeros([2, 3, 3, 5]), tf.ones([4]), tf.zeros([4]),
             tf.ones([4]), tf.zeros([]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="but are 4 and 3"):
        grad(tf.zeros([2, 3, 3, 4]), tf.zeros([2, 3, 3, 4]), tf.ones([4]), tf.zeros([3]),
             tf.ones([4]), tf.zeros([]))


def test_run_time_errors_with_unknown_shapes():
    x = tf.placeholder(tf.float32)
    s = tf.placeholder(tf.float32)
    y = tf.nn.fused_batch_norm(x, s, tf.zeros([3]))[0]
    y2 = tf.nn.fused_batch_norm(x, tf.ones([3]), tf.zeros([3]), tf.zeros([3]), tf.ones([3]),
                                is_training=False, data_format="NCHW")[0]
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="scale must have the same "
                           "number of elements as the channels of x, got 2 and 3"):
            sess.run(y, {x: np.zeros((1, 2, 2, 3)), s: np.ones(2)})
        with pytest.raises(tf.errors.InvalidArgumentError, match="must be 4-dimensional"):
            sess.run(y, {x: np.zeros((2, 3)), s: np.ones(3)})
        with pytest.raises(tf.errors.InvalidArgumentError, match="channels of x, got 3 and 2"):
            sess.run(y2, {x: np.zeros((1, 2, 2, 3))})


def test_empty_batch_gives_nan_statistics():
    y, m, v = tf.nn.fused_batch_norm(tf.zeros([0, 2, 2, 3]), tf.ones([3]), tf.zeros([3]))
    with tf.Session() as sess:
        got_y, got_m, got_v = sess.run([y, m, v])
    assert got_y.shape == (0, 2, 2, 3)
    assert np.isnan(got_m).all() and np.isnan(got_v).all()


# -- gradients -------------------------------------------------------------------------------------


def _numeric(f, x0, eps=1e-6):
    num = np.zeros_like(x0)
    for j in np.ndindex(*x0.shape):
        hi, lo = x0.copy(), x0.copy()
        hi[j] += eps
        lo[j] -= eps
        num[j] = (f(hi) - f(lo)) / (2 * eps)
    return num


@pytest.mark.parametrize("data_format, shape", [("NHWC", (3, 2, 2, 3)), ("NCHW", (2, 3, 2, 3)),
                                                ("NCDHW", (2, 3, 2, 2, 1))])
def test_training_gradient_of_y_is_numerically_right(data_format, shape, monkeypatch):
    allow_float64(monkeypatch)  # TF's OpDef: float32 and half only
    c = shape[1] if data_format.startswith("NC") else shape[-1]
    vals = [R.standard_normal(shape) * 2 + 1, R.standard_normal(c) + 1, R.standard_normal(c)]
    phs = [_ph(v) for v in vals]
    y = tf.nn.fused_batch_norm(*phs, data_format=data_format)[0]
    w = tf.constant(R.standard_normal(shape))
    loss = tf.reduce_sum(y * w)
    grads = gradients(loss, phs)
    assert {op.type for op in tf.get_default_graph().get_operations()} >= {
        "FusedBatchNormGradV3"}
    with tf.Session() as sess:
        got = sess.run(grads, dict(zip(phs, vals)))
        for i in range(3):
            def f(v, i=i):
                feed = dict(zip(phs, vals))
                feed[phs[i]] = v
                return sess.run(loss, feed)
            np.testing.assert_allclose(got[i], _numeric(f, vals[i]), rtol=1e-5, atol=1e-6)


def test_gradient_graph_is_tensorflows():
    """Training: the grad op reads the forward op's reserve spaces; inference in NCHW: x and dy
    are transposed to NHWC and the grad op reads the population statistics; mean and variance
    get no gradient."""
    x = tf.placeholder(tf.float32, [2, 3, 4, 4])
    s, o = tf.ones([3]), tf.zeros([3])
    m, v = tf.zeros([3]), tf.ones([3])
    y = tf.nn.fused_batch_norm(x, s, o, data_format="NCHW")[0]
    gx, gm = gradients(y, [x, m])
    grad_op = gx.op
    assert grad_op.type == "FusedBatchNormGradV3" and gm is None
    assert [t.name for t in grad_op.inputs[3:]] == [f"{y.op.name}:{i}" for i in (3, 4, 5)]
    assert grad_op.get_attr("data_format") == b"NCHW"
    y2 = tf.nn.fused_batch_norm(x, s, o, m, v, is_training=False, data_format="NCHW")[0]
    gx2, gm2, gv2 = gradients(y2, [x, m, v])
    assert gm2 is None and gv2 is None
    assert gx2.op.type == "Transpose"
    inner = gx2.op.inputs[0].op
    assert inner.type == "FusedBatchNormGradV3" and inner.get_attr("data_format") == b"NHWC"
    assert inner.get_attr("is_training") is False
    assert inner.inputs[3] is m and inner.inputs[4] is v


@pytest.mark.parametrize("version", ["FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"])
@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
def test_training_second_derivative_is_numerically_right(version, data_format, monkeypatch):
    """d/d(x, scale) of a weighted sum of the first derivatives (through the grad op's own
    gradient, TF's composed rule)."""
    allow_float64(monkeypatch)  # TF's OpDef: float32 and half only
    shape = (2, 3, 2, 3)  # 3 channels either way
    vals = [R.standard_normal(shape), R.standard_normal(3) + 1]
    phs = [_ph(v) for v in vals]
    empty = tf.zeros([0], tf.float64)
    out = registered()[version](phs[0], phs[1], tf.zeros([3], tf.float64), empty, empty,
                                epsilon=0.01, data_format=data_format)
    loss = tf.reduce_sum(out[0] * tf.constant(R.standard_normal(shape)))
    gx, gs = gradients(loss, phs)
    second = tf.reduce_sum(gx * tf.constant(R.standard_normal(shape))) + \
        tf.reduce_sum(gs * tf.constant(R.standard_normal(3)))
    grads = gradients(second, phs)
    with tf.Session() as sess:
        got = sess.run(grads, dict(zip(phs, vals)))
        for i in range(2):
            def f(v, i=i):
                feed = dict(zip(phs, vals))
                feed[phs[i]] = v
                return sess.run(second, feed)
            np.testing.assert_allclose(got[i], _numeric(f, vals[i]), rtol=1e-4, atol=1e-6)


# -- against TensorFlow ----------------------------------------------------------------------------

_TF_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import tensorflow.compat.v1 as tf
    tf.disable_eager_execution()
    d = dict(np.load(sys.argv[1]))
    out = {}
    for fmt in ("NHWC", "NCHW"):
        x = tf.constant(d[f"x_{fmt}"]); s = tf.constant(d["s"]); o = tf.constant(d["o"])
        w = tf.constant(d[f"w_{fmt}"])
        y, m, v = tf.nn.fused_batch_norm(x, s, o, epsilon=0.01, data_format=fmt)
        loss = tf.reduce_sum(y * w)
        gx, gs, go = tf.gradients(loss, [x, s, o])
        second = tf.reduce_sum(gx * w) + tf.reduce_sum(gs * s)
        hx, hs = tf.gradients(second, [x, s])
        names = ["y", "m", "v", "gx", "gs", "go", "hx", "hs"]
        with tf.Session() as sess:
            for k, val in zip(names, sess.run([y, m, v, gx, gs, go, hx, hs])):
                out[f"{k}_{fmt}"] = val
    np.savez(sys.argv[2], **out)
""")


def test_training_values_and_gradients_match_tensorflow(tmp_path):
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("needs tensorflow")
    data = {"s": R.standard_normal(4).astype(np.float32) + 1,
            "o": R.standard_normal(4).astype(np.float32)}
    for fmt, shape in (("NHWC", (3, 4, 3, 4)), ("NCHW", (3, 4, 3, 4))):
        data[f"x_{fmt}"] = (R.standard_normal(shape) * 3 + 2).astype(np.float32)
        data[f"w_{fmt}"] = R.standard_normal(shape).astype(np.float32)
    np.savez(tmp_path / "in.npz", **data)
    done = subprocess.run(
        [sys.executable, "-c", _TF_SCRIPT, str(tmp_path / "in.npz"), str(tmp_path / "out.npz")],
        capture_output=True, text=True, timeout=600,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0"))
    assert done.returncode == 0, done.stderr[-3000:]
    want = dict(np.load(tmp_path / "out.npz"))
    for fmt in ("NHWC", "NCHW"):
        tf.reset_default_graph()
        x, s, o = (tf.constant(data[k]) for k in (f"x_{fmt}", "s", "o"))
        w = tf.constant(data[f"w_{fmt}"])
        y, m, v = tf.nn.fused_batch_norm(x, s, o, epsilon=0.01, data_format=fmt)
        loss = tf.reduce_sum(y * w)
        gx, gs, go = tf.gradients(loss, [x, s, o])
        second = tf.reduce_sum(gx * w) + tf.reduce_sum(gs * s)
        hx, hs = tf.gradients(second, [x, s])
        with tf.Session() as sess:
            got = sess.run([y, m, v, gx, gs, go, hx, hs])
        for k, g in zip(["y", "m", "v", "gx", "gs", "go", "hx", "hs"], got):
            ref = want[f"{k}_{fmt}"]
            scale = max(1.0, float(np.abs(ref).max()))
            np.testing.assert_allclose(g, ref, rtol=1e-4, atol=1e-5 * scale,
                                       err_msg=f"{k} ({fmt})")
