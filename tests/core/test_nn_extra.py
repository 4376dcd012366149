"""tf.nn.dilation2d / erosion2d, conv_transpose, compute_average_loss,
scale_regularization_loss, batch_norm_with_global_normalization and the legacy
BatchNormWithGlobalNormalization op: values against numpy or hand-computed ones, then side by
side with TensorFlow (its own graphs and sessions), errors with TF's classes and words, and
GraphDefs that TF imports and runs. The samplers: test_nn_extra_samplers.py."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf import errors
from .side_by_side import run, tf1_or_skip, tf_run

from .op_cases.nn_extra import image, ref_dilation, taps

S1 = [1, 1, 1, 1]
DILATIONS = [  # (x shape, filter shape, strides, rates, padding)
    ((2, 5, 6, 3), (2, 3, 3), S1, S1, "SAME"),
    ((1, 7, 6, 2), (3, 2, 2), [1, 2, 1, 1], [1, 1, 2, 1], "VALID"),
    ((1, 4, 5, 2), (2, 2, 2), [1, 2, 3, 1], [1, 3, 2, 1], "SAME"),
]


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# -- dilation2d / erosion2d ----------------------------------------------------------------------


def _dilation_and_grads(lib, x, f, w, strides, rates, padding):
    y = lib.nn.dilation2d(lib.constant(x), lib.constant(f), strides, rates, padding)
    return [y, *lib.gradients(lib.reduce_sum(y * w), [y.op.inputs[0], y.op.inputs[1]])]


@pytest.mark.parametrize("xs, fs, strides, rates, padding", DILATIONS)
def test_dilation2d_and_gradients_match_the_loop_reference(xs, fs, strides, rates, padding):
    x, f = image(*xs), taps(*fs)
    want = ref_dilation(x, f, strides=strides, rates=rates, padding=padding)
    w = image(*want[0].shape)
    want = ref_dilation(x, f, w, strides=strides, rates=rates, padding=padding)
    with tf.Graph().as_default():
        got = run(_dilation_and_grads(tf, x, f, w, strides, rates, padding))
    for g, r in zip(got, want):
        close(g, r)


def test_dilation2d_by_hand():
    """A 1x3x3x1 input, 2x2 filter, VALID: each output is its window's max of input + filter;
    the gradient goes to that maximum's input element and filter tap."""
    x = np.array([1, 5, 2, 0, 3, 9, 4, 1, 0], np.float32).reshape(1, 3, 3, 1)
    f = np.array([0, 1, 2, 0], np.float32).reshape(2, 2, 1)
    with tf.Graph().as_default():
        xt, ft = tf.constant(x), tf.constant(f)
        y = tf.nn.dilation2d(xt, ft, S1, S1, "VALID")
        out, dx, df = run([y, *tf.gradients(tf.reduce_sum(y), [xt, ft])])
    # windows: [1 5;0 3] -> max(1, 6, 2, 3) = 6; [5 2;3 9] -> max(5, 3, 5, 9) = 9;
    # [0 3;4 1] -> max(0, 4, 6, 1) = 6; [3 9;1 0] -> max(3, 10, 3, 0) = 10
    np.testing.assert_array_equal(out.reshape(2, 2), [[6, 9], [6, 10]])
    np.testing.assert_array_equal(dx.reshape(3, 3), [[0, 1, 0], [0, 0, 2], [1, 0, 0]])
    np.testing.assert_array_equal(df.reshape(2, 2), [[0, 2], [1, 1]])


@pytest.mark.parametrize("xs, fs, strides, rates, padding", DILATIONS)
def test_dilation2d_matches_tensorflow(xs, fs, strides, rates, padding):
    x, f = image(*xs), taps(*fs)
    w = image(*ref_dilation(x, f, strides=strides, rates=rates, padding=padding)[0].shape)
    want = tf_run(lambda tf1: _dilation_and_grads(tf1, x, f, w, strides, rates, padding))
    with tf.Graph().as_default():
        got = run(_dilation_and_grads(tf, x, f, w, strides, rates, padding))
    for g, r in zip(got, want):
        close(g, r)


def _erosion(lib):
    x, k = image(1, 5, 5, 2), taps(3, 2, 2)
    return lib.nn.erosion2d(lib.constant(x, name="x"), lib.constant(k, name="k"),
                            [1, 2, 1, 1], [1, 1, 2, 1], "SAME", name="ero")


def test_erosion2d_is_dilation_by_duality():
    x, k = image(1, 5, 5, 2), taps(3, 2, 2)
    with tf.Graph().as_default():
        got = run(_erosion(tf))
    want = -ref_dilation(-x, k[::-1, ::-1], strides=[1, 2, 1, 1], rates=[1, 1, 2, 1],
                         padding="SAME")[0]
    close(got, want)


def test_erosion2d_matches_tensorflow_values_and_nodes():
    tf1 = tf1_or_skip()
    g = tf1.Graph()
    with g.as_default():
        y = _erosion(tf1)
        with tf1.Session(graph=g) as sess:
            want = sess.run(y)
    theirs = [(op.name, op.type) for op in g.get_operations()]
    with tf.Graph().as_default() as ours:
        got = run(_erosion(tf))
    close(got, want)
    assert [(op.name, op.type) for op in ours.get_operations()] == theirs


def test_dilation2d_graph_errors():
    x, f = tf.zeros([1, 4, 4, 2]), tf.zeros([2, 2, 2])
    with pytest.raises(ValueError, match="rank 4 but is rank 3"):
        tf.nn.dilation2d(tf.zeros([4, 4, 2]), f, S1, S1, "SAME")
    with pytest.raises(ValueError, match="rank 3 but is rank 2"):
        tf.nn.dilation2d(x, tf.zeros([2, 2]), S1, S1, "SAME")
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
        tf.nn.dilation2d(x, tf.zeros([2, 2, 3]), S1, S1, "SAME")
    with pytest.raises(ValueError, match="'strides' of 'Dilation2D' Op passed list of length 3"):
        tf.nn.dilation2d(x, f, [1, 1, 1], S1, "SAME")
    with pytest.raises(ValueError, match="'rates' of 'Dilation2D' Op passed list of length 3"):
        tf.nn.dilation2d(x, f, S1, [1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="'padding' of 'Dilation2D' Op passed string 'FOO'"):
        tf.nn.dilation2d(x, f, S1, S1, "FOO")
    with pytest.raises(TypeError, match="DataType bool not in list of allowed values"):
        tf.nn.dilation2d(tf.zeros([1, 4, 4, 2], tf.bool), tf.zeros([2, 2, 2], tf.bool), S1, S1,
                         "SAME")
    # A VALID window larger than the input by less than a stride gives an empty output (TF).
    assert tf.nn.dilation2d(x, tf.zeros([5, 2, 2]), S1, S1, "VALID").shape.as_list() == \
        [1, 0, 3, 2]


def test_dilation2d_run_time_errors():
    a, b = tf.placeholder(tf.float32), tf.placeholder(tf.float32)
    y = tf.nn.dilation2d(a, b, S1, S1, "VALID")
    x, f = np.zeros((1, 4, 4, 2), np.float32), np.zeros((2, 2, 2), np.float32)
    with pytest.raises(errors.InvalidArgumentError, match=r"input must be 4-dimensional\[4, 4"):
        run(y, {a: x[0], b: f})
    with pytest.raises(errors.InvalidArgumentError, match="same depth: 2 vs 3"):
        run(y, {a: x, b: np.zeros((2, 2, 3), np.float32)})
    with pytest.raises(errors.UnimplementedError, match="stride 1 on the batch"):
        run(tf.nn.dilation2d(x, f, [2, 1, 1, 1], S1, "SAME"))
    with pytest.raises(errors.UnimplementedError, match="rate 1 on the batch"):
        run(tf.nn.dilation2d(x, f, S1, [1, 1, 1, 2], "SAME"))
    dy = tf.placeholder(tf.float32)
    from minitf.ops.nn_extra_ops import DILATION2D_BACKPROP_FILTER, DILATION2D_BACKPROP_INPUT

    for op in (DILATION2D_BACKPROP_INPUT, DILATION2D_BACKPROP_FILTER):
        t = op(a, b, dy, strides=S1, rates=S1, padding="VALID")
        with pytest.raises(errors.InvalidArgumentError, match="out_backprop has incompatible"):
            run(t, {a: x, b: f, dy: np.zeros((1, 2, 2, 2), np.float32)})


def test_backprop_ops_have_no_gradient():
    """TF registers none for Dilation2DBackpropInput/Filter: asking raises LookupError."""
    from minitf.ops.nn_extra_ops import DILATION2D_BACKPROP_INPUT

    x, f = tf.constant(image(1, 3, 3, 1)), tf.constant(taps(2, 2, 1))
    dx = DILATION2D_BACKPROP_INPUT(x, f, tf.ones([1, 3, 3, 1]), strides=S1, rates=S1,
                                   padding="SAME")
    with pytest.raises(LookupError):
        tf.gradients(dx, x)


def _round_trip(build, fetch_names, feed):
    """Builds in minitf, imports the GraphDef into TensorFlow; both runs' values."""
    tf1 = tf1_or_skip()
    with tf.Graph().as_default() as ours:
        build()
        mine = run([ours.get_tensor_by_name(n) for n in fetch_names],
                   {ours.get_tensor_by_name(k): v for k, v in feed.items()})
    g = tf1.Graph()
    with g.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(
            ours.as_graph_def().SerializeToString()), name="")
        with tf1.Session(graph=g) as sess:
            theirs = sess.run(fetch_names, feed)
    return mine, theirs


def test_dilation_graph_round_trips_through_tensorflow():
    x, f = image(1, 6, 5, 2), taps(2, 3, 2)

    def build():
        xp = tf.placeholder(tf.float32, [None, 6, 5, 2], name="x")
        y = tf.nn.dilation2d(xp, tf.constant(f), [1, 2, 1, 1], [1, 1, 2, 1], "SAME", name="dil")
        e = tf.nn.erosion2d(xp, tf.constant(f), S1, S1, "VALID", name="ero")
        tf.identity(tf.gradients(tf.reduce_sum(y * y), xp)[0], name="dx")
        tf.identity(tf.gradients(tf.reduce_sum(y), y.op.inputs[1])[0], name="df")
        tf.identity(e, name="e")

    mine, theirs = _round_trip(build, ["dil:0", "e:0", "dx:0", "df:0"], {"x:0": x})
    for a, b in zip(mine, theirs):
        close(a, b)


# -- conv_transpose ------------------------------------------------------------------------------


CONV_T = [  # (input shape, filter shape, output_shape, strides, data_format)
    ((2, 4, 3), (3, 5, 3), [2, 8, 5], 2, None),
    ((1, 3, 4, 2), (2, 2, 3, 2), [1, 6, 8, 3], [2, 2], "NHWC"),
    ((1, 2, 3, 4), (3, 3, 5, 2), [1, 5, 3, 4], 1, "NCHW"),
    ((1, 2, 3, 2, 2), (2, 2, 2, 3, 2), [1, 4, 6, 4, 3], 2, None),
]


def _conv_t(lib, xs, fs, out, strides, fmt):
    x, f = image(*xs), image(*fs)
    return lib.nn.conv_transpose(lib.constant(x), lib.constant(f), out, strides,
                                 data_format=fmt)


@pytest.mark.parametrize("xs, fs, out, strides, fmt", CONV_T)
def test_conv_transpose_dispatches_as_tensorflow(xs, fs, out, strides, fmt):
    if fmt == "NCHW":  # TF's CPU kernels have no NCHW transposed convolution
        with tf.Graph().as_default():
            y = _conv_t(tf, xs, fs, out, strides, fmt)
            assert y.op.type == "Conv2DBackpropInput" and y.op.name == "conv_transpose"
            assert run(y).shape == tuple(out)
        return
    tf1 = tf1_or_skip()
    g = tf1.Graph()
    with g.as_default():
        y = _conv_t(tf1, xs, fs, out, strides, fmt)
        with tf1.Session(graph=g) as sess:
            want = sess.run(y)
        # the transposed convolution's node (Squeeze after it for 1-D), as TF names it
        conv = [(o.name, o.type) for o in g.get_operations() if "Backprop" in o.type]
    with tf.Graph().as_default() as ours:
        got = run(_conv_t(tf, xs, fs, out, strides, fmt))
    close(got, want, 1e-4)
    assert [(o.name, o.type) for o in ours.get_operations() if "Backprop" in o.type] == conv


def test_conv_transpose_2d_equals_conv2d_transpose():
    x, f = image(1, 3, 3, 2), image(3, 3, 4, 2)
    want = run(tf.nn.conv2d_transpose(x, f, [1, 6, 6, 4], [1, 2, 2, 1]))
    close(run(tf.nn.conv_transpose(x, f, [1, 6, 6, 4], 2)), want)


def test_conv_transpose_errors():
    x, f = tf.zeros([1, 3, 3, 2]), tf.zeros([3, 3, 4, 2])
    with pytest.raises(ValueError, match="must be of length 3, 4 or 5.*of length 6"):
        tf.nn.conv_transpose(x, f, [1, 2, 3, 4, 5, 6], 1)
    with pytest.raises(ValueError, match="must be a tensor or sized collection"):
        tf.nn.conv_transpose(x, f, 7, 1)


# -- losses and batch_norm_with_global_normalization ---------------------------------------------


LOSS = np.array([1.0, 2.0, 3.0, 6.0], np.float32)
AVERAGE_CASES = [  # (kwargs, value by hand)
    ({}, 3.0),
    ({"sample_weight": 2.0}, 6.0),
    ({"sample_weight": [1.0, 0.0, 1.0, 0.5]}, 1.75),
    ({"sample_weight": [[1.0], [0.0], [1.0], [0.5]]}, 1.75),
    ({"global_batch_size": 8}, 1.5),
    ({"global_batch_size": 0}, 0.0),  # div_no_nan
]


@pytest.mark.parametrize("kwargs, want", AVERAGE_CASES)
def test_compute_average_loss(kwargs, want):
    close(run(tf.nn.compute_average_loss(LOSS, **kwargs)), want)
    theirs = tf_run(lambda tf1: tf1.nn.compute_average_loss(LOSS, **kwargs))
    close(theirs, want)


def test_compute_average_loss_on_rows_and_unknown_ranks():
    """[batch, k] losses with [batch] weights (expanded); an unknown rank decided at run."""
    loss = np.arange(6, dtype=np.float32).reshape(3, 2)
    w = np.array([1.0, 2.0, 0.0], np.float32)
    close(run(tf.nn.compute_average_loss(loss, sample_weight=w)), (1 + 2 * 5) / 3)
    lp, wp = tf.placeholder(tf.float32), tf.placeholder(tf.float32)
    got = run(tf.nn.compute_average_loss(lp, sample_weight=wp), {lp: loss, wp: w})
    close(got, (1 + 2 * 5) / 3)
    with pytest.raises(errors.InvalidArgumentError, match="at least rank 1"):
        run(tf.nn.compute_average_loss(lp), {lp: np.float32(3.0)})


def test_compute_average_loss_errors():
    with pytest.raises(ValueError, match="Expected a tensor with at least rank 1"):
        tf.nn.compute_average_loss(3.0)
    with pytest.raises(TypeError, match="global_batch_size must be an integer"):
        tf.nn.compute_average_loss(LOSS, global_batch_size=2.0)
    with pytest.raises(ValueError, match="global_batch_size must be scalar"):
        tf.nn.compute_average_loss(LOSS, global_batch_size=[2])
    with pytest.raises(errors.InvalidArgumentError, match="global_batch_size must be non-neg"):
        tf.nn.compute_average_loss(LOSS, global_batch_size=-1)


def test_scale_regularization_loss():
    losses = np.array([0.5, 1.5, 2.0], np.float32)
    close(run(tf.nn.scale_regularization_loss(losses)), 4.0)
    close(tf_run(lambda tf1: tf1.nn.scale_regularization_loss(losses)), 4.0)


@pytest.mark.parametrize("scale", [True, False])
def test_batch_norm_with_global_normalization(scale):
    t = image(2, 3, 2, 4)
    m, v = np.float32([0.5, -1, 2, 0]), np.float32([1, 2, 0.5, 3])
    beta, gamma = np.float32([0.1, 0.2, 0.3, 0.4]), np.float32([2, -1, 0.5, 3])
    want = (t - m) / np.sqrt(v + 0.01) * (gamma if scale else 1) + beta
    got = run(tf.nn.batch_norm_with_global_normalization(
        input=t, mean=m, variance=v, beta=beta, gamma=gamma, variance_epsilon=0.01,
        scale_after_normalization=scale))
    close(got, want)
    theirs = tf_run(lambda tf1: tf1.nn.batch_norm_with_global_normalization(
        t, m, v, beta, gamma, 0.01, scale))
    close(got, theirs)


# -- BatchNormWithGlobalNormalization: the op of TF1 GraphDefs (producer version < 9) ------------


def _bn_graph():
    from minitf.ops.nn_extra_ops import (BATCH_NORM_WITH_GLOBAL_NORMALIZATION,
                                         BATCH_NORM_WITH_GLOBAL_NORMALIZATION_GRAD)

    base = np.float32([1, 2, 3, 4])
    t = tf.placeholder(tf.float32, [None, 2, 2, 4], name="t")
    m, v, beta, gamma = (tf.constant(base * k, name=n) for k, n in
                         ((2, "m"), (3, "v"), (4, "beta"), (5, "gamma")))
    y = BATCH_NORM_WITH_GLOBAL_NORMALIZATION(t, m, v, beta, gamma, variance_epsilon=0.001,
                                             scale_after_normalization=True, name="bn")
    for i, g in enumerate(tf.gradients(tf.reduce_sum(y * y), [t, m, v, beta, gamma])):
        tf.identity(g, name=f"d{i}")
    BATCH_NORM_WITH_GLOBAL_NORMALIZATION_GRAD(t, m, v, gamma, t, variance_epsilon=0.001,
                                              scale_after_normalization=False, name="bng")


BN_FETCHES = ["bn:0", *[f"d{i}:0" for i in range(5)], *[f"bng:{i}" for i in range(5)]]
BN_FEED = {"t:0": np.arange(16, dtype=np.float32).reshape(1, 2, 2, 4)}


def test_batch_norm_with_global_normalization_op_by_tensorflows_values():
    """TF 2.21 gave these (a producer-8 GraphDef holding both ops)."""
    with tf.Graph().as_default() as g:
        _bn_graph()
        got = run([g.get_tensor_by_name(n) for n in BN_FETCHES],
                  {g.get_tensor_by_name("t:0"): BN_FEED["t:0"]})
    close(got[0][0, 0, 0], [-1.772541, -4.2464285, -7.998888, -12.86631])
    close(got[0][0, 1, 1], [32.862705, 44.739285, 51.997776, 56.412834])
    dx, dm, dv, db, dg = got[6:]
    close(dx[0, 0, 0], [0.0, 0.40821427, 0.6666296, 0.86598927])
    close(dm, [-13.854099, -11.429999, -10.666074, -10.391871])
    close(dv, [-16.927145, -5.5779986, -2.666222, -1.3950886], 1e-4)
    np.testing.assert_array_equal(db, [24, 28, 32, 36])
    np.testing.assert_array_equal(dg, 0)


def test_batch_norm_with_global_normalization_graph_runs_in_tensorflow():
    """Our GraphDef, marked as TF1's producer version 8 (TF refuses the op from version 9),
    runs in TensorFlow with the same values and gradients."""
    tf1 = tf1_or_skip()
    with tf.Graph().as_default() as ours:
        _bn_graph()
        mine = run([ours.get_tensor_by_name(n) for n in BN_FETCHES],
                   {ours.get_tensor_by_name("t:0"): BN_FEED["t:0"]})
    graph_def = tf1.GraphDef.FromString(ours.as_graph_def().SerializeToString())
    graph_def.versions.producer = 8
    g = tf1.Graph()
    with g.as_default():
        tf1.import_graph_def(graph_def, name="")
        with tf1.Session(graph=g) as sess:
            theirs = sess.run(BN_FETCHES, BN_FEED)
    for a, b in zip(mine, theirs):
        close(a, b, 1e-4)


def test_batch_norm_with_global_normalization_op_errors():
    from minitf.ops.nn_extra_ops import BATCH_NORM_WITH_GLOBAL_NORMALIZATION as BN

    attrs = {"variance_epsilon": 0.1, "scale_after_normalization": True}
    v = tf.ones([2])
    with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 2"):
        BN(tf.zeros([2, 2]), v, v, v, v, **attrs)
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
        BN(tf.zeros([1, 2, 2, 2]), tf.ones([3]), v, v, v, **attrs)
    with pytest.raises(TypeError, match="DataType bool not in list"):
        b = tf.ones([2], tf.bool)
        BN(tf.zeros([1, 2, 2, 2], tf.bool), b, b, b, b, **attrs)
    t = tf.placeholder(tf.float32)
    with pytest.raises(errors.InvalidArgumentError, match="input must be 4-dimensional"):
        run(BN(t, v, v, v, v, **attrs), {t: np.zeros((2, 2), np.float32)})
