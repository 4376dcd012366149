"""Fixes from the convolution probe against TF 2.21's tf.compat.v1, each checked against a numpy
reference of what TensorFlow computes (and side by side with TensorFlow where it is installed):

- depthwise_conv2d / separable_conv2d with rate > 1 and strides > 1: TF builds (depthwise warns)
  and runs the strided op on the space-to-batch form;
- tf.layers.Conv2DTranspose's dilation_rate and output_padding (TF's legacy layer hands them on
  to Keras);
- strides, windows and dilations on the batch or depth dimension: the graph builds with TF's
  static shape and the kernel fails with TF's error class.
"""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import minitf as tf

from .side_by_side import run, tf_run

RNG = np.random.RandomState(0)


def f32(*shape):
    return RNG.rand(*shape).astype(np.float32)


# -- depthwise / separable convolution with rate > 1 and strides > 1 --------------------------


def _np_depthwise_valid(x, f, sh, sw):
    n, h, w, c = x.shape
    kh, kw, _, m = f.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.zeros((n, oh, ow, c * m), np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw]
            out += (patch[..., None] * f[i, j]).reshape(n, oh, ow, c * m)
    return out


def _np_space_to_batch_depthwise(x, f, strides, rate, padding):
    """What TF's with_space_to_batch computes: pad (SAME: the dilated kernel's padding) and pad
    again so each size divides by its rate, space-to-batch, the strided VALID depthwise
    convolution, batch-to-space, crop the extra padding."""
    n, _, _, c = x.shape
    pads, extras = [], []
    for axis, r in ((1, rate[0]), (2, rate[1])):
        total = (f.shape[axis - 1] - 1) * r if padding == "SAME" else 0
        before, after = total // 2, total - total // 2
        extra = (r - (x.shape[axis] + total) % r) % r
        pads.append((before, after + extra))
        extras.append(extra)
    xp = np.pad(x, [(0, 0), pads[0], pads[1], (0, 0)])
    r0, r1 = rate
    hp, wp = xp.shape[1] // r0, xp.shape[2] // r1
    blocks = xp.reshape(n, hp, r0, wp, r1, c).transpose(2, 4, 0, 1, 3, 5)
    y = _np_depthwise_valid(blocks.reshape(r0 * r1 * n, hp, wp, c), f, strides[1], strides[2])
    _, oh, ow, co = y.shape
    y = y.reshape(r0, r1, n, oh, ow, co).transpose(2, 3, 0, 4, 1, 5)
    y = y.reshape(n, oh * r0, ow * r1, co)
    return y[:, :oh * r0 - extras[0], :ow * r1 - extras[1]]


DEPTHWISE_CASES = [  # x shape, filter shape, strides, padding, rate
    ((2, 7, 8, 3), (3, 3, 3, 2), [1, 2, 2, 1], "SAME", [2, 2]),
    ((2, 7, 8, 3), (3, 3, 3, 2), [1, 2, 3, 1], "VALID", [2, 3]),
    ((1, 9, 10, 3), (2, 3, 3, 1), [1, 3, 2, 1], "SAME", [3, 1]),
]


@pytest.mark.parametrize("xs, fs, strides, padding, rate", DEPTHWISE_CASES)
def test_depthwise_conv2d_rate_and_strides_warns_and_runs_on_space_to_batch(
        xs, fs, strides, padding, rate):
    xv, fv = f32(*xs), f32(*fs)
    want = _np_space_to_batch_depthwise(xv, fv, strides, rate, padding)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = tf.nn.depthwise_conv2d(tf.constant(xv), tf.constant(fv), strides, padding,
                                   rate=rate)
    assert [str(w.message) for w in caught if w.category is UserWarning] == [
        f"When dilation rate is greater than 1, then all values of strides must be 1. "
        f"Received: `dilation rate` {rate} and `strides` {strides}"]
    assert y.shape.as_list() == list(want.shape)
    np.testing.assert_allclose(run(y), want, rtol=1e-5)


def test_separable_conv2d_rate_and_strides_runs_without_warning():
    xv, fv, pv = f32(2, 7, 8, 3), f32(3, 3, 3, 2), f32(1, 1, 6, 5)
    want = _np_space_to_batch_depthwise(xv, fv, [1, 2, 2, 1], [2, 2], "SAME") @ pv[0, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = tf.nn.separable_conv2d(tf.constant(xv), tf.constant(fv), tf.constant(pv),
                                   [1, 2, 2, 1], "SAME", rate=[2, 2])
    assert y.shape.as_list() == [2, 3, 4, 5]
    np.testing.assert_allclose(run(y), want, rtol=1e-5)


def test_depthwise_and_separable_rate_and_strides_match_tensorflow():
    xv, fv, pv = f32(2, 7, 8, 3), f32(3, 3, 3, 2), f32(1, 1, 6, 5)

    def build(lib):
        x, f = lib.constant(xv), lib.constant(fv)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [lib.nn.depthwise_conv2d(x, f, [1, 2, 2, 1], "SAME", rate=[2, 2]),
                    lib.nn.depthwise_conv2d(x, f, [1, 2, 3, 1], "VALID", rate=[2, 3]),
                    lib.nn.separable_conv2d(x, f, lib.constant(pv), [1, 2, 2, 1], "SAME",
                                            rate=[2, 2])]

    want = tf_run(build)
    for got, theirs in zip(run(build(tf)), want):
        assert got.shape == theirs.shape
        np.testing.assert_allclose(got, theirs, rtol=1e-5)


# -- tf.layers.Conv2DTranspose: dilation_rate and output_padding -------------------------------


def _np_conv_transpose(x, k, out_hw, strides, dilation, padding):
    """Conv2DBackpropInput's values (NHWC): every input element times every kernel tap, added
    at ``i * stride + tap * dilation - pad_before`` of an output of size ``out_hw``; SAME pads
    as the forward convolution of that output would."""
    n, h, w, _ = x.shape
    kh, kw, cout, _ = k.shape
    spans = [(kh - 1) * dilation + 1, (kw - 1) * dilation + 1]
    before = []
    for size, out, s, span in zip((h, w), out_hw, strides, spans):
        total = max((size - 1) * s + span - out, 0) if padding == "SAME" else 0
        before.append(total // 2)
    rows = max((h - 1) * strides[0] + spans[0], before[0] + out_hw[0])
    cols = max((w - 1) * strides[1] + spans[1], before[1] + out_hw[1])
    buf = np.zeros((n, rows, cols, cout), np.float64)
    for i in range(kh):
        for j in range(kw):
            r, c = i * dilation, j * dilation
            buf[:, r:r + (h - 1) * strides[0] + 1:strides[0],
                c:c + (w - 1) * strides[1] + 1:strides[1]] += x @ k[i, j].T
    return buf[:, before[0]:before[0] + out_hw[0], before[1]:before[1] + out_hw[1]]


TRANSPOSE_CASES = [  # input shape, layer kwargs, output height and width (Keras' formula)
    ((2, 4, 5, 3), dict(dilation_rate=2, padding="valid"), (8, 9)),
    ((2, 4, 5, 3), dict(dilation_rate=(3, 3), padding="same"), (4, 5)),
    ((2, 4, 5, 3), dict(strides=2, output_padding=(1, 0), padding="valid"), (10, 11)),
    ((2, 4, 5, 3), dict(strides=(2, 3), output_padding=(1, 2), padding="same"), (8, 15)),
    ((2, 4, 5, 3), dict(strides=2, output_padding=0, padding="same"), (7, 9)),
    ((2, 4, 5, 3), dict(dilation_rate=2, output_padding=0, padding="same"), (4, 5)),
]


@pytest.mark.parametrize("shape, kwargs, out_hw", TRANSPOSE_CASES)
@pytest.mark.parametrize("channels_first", [False, True])
def test_conv2d_transpose_layer_dilation_rate_and_output_padding(shape, kwargs, out_hw,
                                                                 channels_first):
    xv, kv = f32(*shape), f32(3, 3, 4, shape[3])
    stride = kwargs.get("strides", 1)
    strides = (stride, stride) if isinstance(stride, int) else stride
    want = _np_conv_transpose(xv, kv, out_hw, strides, np.broadcast_to(
        kwargs.get("dilation_rate", 1), (2,))[0], kwargs["padding"].upper())
    x = xv.transpose(0, 3, 1, 2) if channels_first else xv
    layer = tf.layers.Conv2DTranspose(
        4, 3, use_bias=False, kernel_initializer=tf.constant_initializer(kv),
        data_format="channels_first" if channels_first else "channels_last", **kwargs)
    y = layer(tf.constant(x))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(y)
    if channels_first:
        got = got.transpose(0, 2, 3, 1)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_conv2d_transpose_layer_static_shape_and_checks():
    x = tf.placeholder(tf.float32, [None, 4, None, 3])
    assert tf.layers.Conv2DTranspose(4, 3, dilation_rate=2)(x).shape.as_list() == \
        [None, 8, None, 4]
    layer = tf.layers.Conv2DTranspose(4, 3, strides=3, padding="same", output_padding=(2, 1))
    assert layer.output_padding == (2, 1)
    assert layer(tf.placeholder(tf.float32, [None, None, 5, 3])).shape.as_list() == \
        [None, None, 14, 4]
    # Keras' checks: at construction, and (the backend's) when called.
    with pytest.raises(ValueError, match=r"`strides > 1` not supported in conjunction with "
                                         r"`dilation_rate > 1`. Received: strides=\(2, 2\)"):
        tf.layers.Conv2DTranspose(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"Strides must be greater than output padding. "
                                         r"Received strides=\(2, 2\), output_padding=\(2, 2\)"):
        tf.layers.Conv2DTranspose(4, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="dimensions of the `dilation_rate` argument to be "
                                         "equal"):
        tf.layers.Conv2DTranspose(4, 3, dilation_rate=(2, 1))(tf.zeros([2, 4, 5, 3]))
    # TF's functional form takes neither.
    with pytest.raises(TypeError, match="dilation_rate"):
        tf.layers.conv2d_transpose(tf.zeros([2, 4, 5, 3]), 4, 3, dilation_rate=2)


_TF_TRANSPOSE_SCRIPT = """
import os, sys
import numpy as np
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
data = np.load(sys.argv[1])
out = {}
for i, kw in enumerate(eval(sys.argv[2])):
    with tf.Graph().as_default():
        layer = tf.layers.Conv2DTranspose(4, 3, kernel_initializer=tf.constant_initializer(
            data["k"]), bias_initializer=tf.constant_initializer(data["b"]), **kw)
        y = layer(tf.constant(data["x"]))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out[str(i)] = sess.run(y)
np.savez(sys.argv[3], **out)
"""


def test_conv2d_transpose_layer_matches_tensorflow(tmp_path):
    pytest.importorskip("tensorflow")
    data = {"x": f32(2, 4, 5, 3), "k": f32(3, 3, 4, 3), "b": f32(4)}
    np.savez(tmp_path / "in.npz", **data)
    cases = [kw for _, kw, _ in TRANSPOSE_CASES]
    done = subprocess.run([sys.executable, "-c", _TF_TRANSPOSE_SCRIPT, str(tmp_path / "in.npz"),
                           repr(cases), str(tmp_path / "out.npz")], capture_output=True,
                          text=True, timeout=300,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-2000:]
    want = np.load(tmp_path / "out.npz")
    for i, kw in enumerate(cases):
        with tf.Graph().as_default():
            y = tf.layers.Conv2DTranspose(4, 3, kernel_initializer=tf.constant_initializer(
                data["k"]), bias_initializer=tf.constant_initializer(data["b"]), **kw)(
                tf.constant(data["x"]))
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                np.testing.assert_allclose(sess.run(y), want[str(i)], rtol=1e-5, err_msg=kw)


# -- strides, windows and dilations on the batch or depth dimension ----------------------------


def _x():
    return tf.zeros([2, 7, 7, 3])


def _x5():
    return tf.zeros([1, 5, 6, 7, 2])


BATCH_DEPTH_CASES = [  # build, TF's static shape, TF's error class at run time
    (lambda: tf.nn.conv2d(_x(), tf.zeros([3, 3, 3, 4]), [2, 1, 1, 1], "SAME"),
     [2, 7, 7, 4], tf.errors.UnimplementedError),
    (lambda: tf.nn.conv2d(_x(), tf.zeros([3, 3, 3, 4]), [1, 2, 2, 3], "VALID"),
     [2, 3, 3, 4], tf.errors.UnimplementedError),
    (lambda: tf.nn.conv2d(_x(), tf.zeros([3, 3, 3, 4]), 1, "SAME", dilations=[2, 1, 1, 1]),
     [2, 7, 7, 4], tf.errors.InvalidArgumentError),
    (lambda: tf.nn.conv2d_backprop_input([2, 7, 7, 3], tf.zeros([3, 3, 3, 4]),
                                         tf.zeros([2, 7, 7, 4]), [2, 1, 1, 1], "SAME"),
     [2, 7, 7, 3], tf.errors.InvalidArgumentError),
    (lambda: tf.nn.max_pool(_x(), [2, 2, 2, 1], 1, "VALID"),
     [2, 6, 6, 3], tf.errors.UnimplementedError),
    (lambda: tf.nn.max_pool(_x(), [1, 2, 2, 1], [2, 1, 1, 1], "VALID"),
     [2, 6, 6, 3], tf.errors.UnimplementedError),
    (lambda: tf.nn.avg_pool(_x(), [2, 2, 2, 1], 1, "VALID"),
     [2, 6, 6, 3], tf.errors.UnimplementedError),
    (lambda: tf.nn.conv3d(_x5(), tf.zeros([3, 3, 3, 2, 3]), [2, 1, 1, 1, 1], "SAME"),
     [1, 5, 6, 7, 3], tf.errors.UnimplementedError),
    (lambda: tf.nn.conv3d(_x5(), tf.zeros([3, 3, 3, 2, 3]), [1, 2, 1, 1, 2], "VALID"),
     [1, 2, 4, 5, 3], tf.errors.UnimplementedError),
    (lambda: tf.nn.conv3d(_x5(), tf.zeros([3, 3, 3, 2, 3]), [1] * 5, "SAME",
                          dilations=[2, 1, 1, 1, 1]),
     [1, 5, 6, 7, 3], tf.errors.InvalidArgumentError),
]


@pytest.mark.parametrize("build, shape, error", BATCH_DEPTH_CASES)
def test_batch_and_depth_strides_build_and_fail_at_run_time(build, shape, error):
    with tf.Graph().as_default():
        y = build()
        assert y.shape.as_list() == shape
        with pytest.raises(error, match="not yet support"):
            run(y)


def test_batch_stride_gradients_build_and_fail_at_run_time():
    x, f = _x(), tf.zeros([3, 3, 3, 4])
    dx = tf.gradients(tf.nn.conv2d(x, f, [2, 1, 1, 1], "SAME"), x)[0]
    assert dx.shape.as_list() == [2, 7, 7, 3]
    with pytest.raises(tf.errors.InvalidArgumentError, match="strides in the batch"):
        run(dx)
    dx = tf.gradients(tf.nn.max_pool(x, [2, 2, 2, 1], 1, "VALID"), x)[0]
    assert dx.shape.as_list() == [2, 7, 7, 3]
    with pytest.raises(tf.errors.UnimplementedError, match="batch dimension"):
        run(dx)
