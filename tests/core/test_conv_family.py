"""The depthwise / separable / atrous convolution family, LRN and the layers built on them:
tf.nn wrappers (node names, attrs, graphs), values against numpy references, tf.layers'
variables and reuse, and error messages. tests/core/data/conv_family_vs_tf.py builds the same
graphs in TensorFlow (test_against_tensorflow)."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf.ops import depthwise_conv_ops
from tests.core.legacy_tf import run_against_tf

from .op_cases.conv import ref_avg_pool, ref_conv2d, ref_max_pool
from .op_cases.depthwise import ref_depthwise, ref_lrn

RNG = np.random.default_rng(3)


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def run(fetches, feed=None, init=False):
    with tf.Session() as sess:
        if init:
            sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def types(graph=None):
    return [op.type for op in (graph or tf.get_default_graph()).get_operations()]


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# -- tf.nn.depthwise_conv2d_native and its backprops -------------------------------------------


def test_depthwise_native_wrappers_names_attrs_and_shapes():
    x = tf.placeholder(tf.float32, [None, 8, 8, 3])
    f = tf.placeholder(tf.float32, [3, 3, 3, 2])
    y = tf.nn.depthwise_conv2d_native(x, f, [1, 1, 1, 1], "SAME")
    y2 = tf.nn.depthwise_conv2d_native(x, f, [1, 2, 2, 1], "VALID", name="dw")
    y3 = tf.nn.depthwise_conv2d_native(x, f, [1, 1, 1, 1], [[0, 0], [1, 2], [0, 1], [0, 0]])
    assert [t.op.name for t in (y, y2, y3)] == ["DepthwiseConv2dNative", "dw",
                                                 "DepthwiseConv2dNative_1"]
    assert [t.shape.as_list() for t in (y, y2, y3)] == [[None, 8, 8, 6], [None, 3, 3, 6],
                                                         [None, 9, 7, 6]]
    assert y3.op.get_attr("padding") == b"EXPLICIT"
    assert y3.op.get_attr("explicit_paddings") == [0, 0, 1, 2, 0, 1, 0, 0]
    assert sorted(y.op.attrs) == ["T", "data_format", "dilations", "explicit_paddings",
                                  "padding", "strides"]  # no use_cudnn_on_gpu, as in TF
    dx = tf.nn.depthwise_conv2d_native_backprop_input([2, 8, 8, 3], f, y, [1, 1, 1, 1], "SAME")
    df = tf.nn.depthwise_conv2d_backprop_filter(x, [3, 3, 3, 2], y, [1, 1, 1, 1], "SAME")
    assert (dx.op.type, dx.shape.as_list()) == ("DepthwiseConv2dNativeBackpropInput",
                                                [2, 8, 8, 3])
    assert (df.op.type, df.shape.as_list()) == ("DepthwiseConv2dNativeBackpropFilter",
                                                [3, 3, 3, 2])
    assert tf.nn.depthwise_conv2d_backprop_input is tf.nn.depthwise_conv2d_native_backprop_input


def test_depthwise_native_values_and_gradient_graph():
    xv, fv = f32(2, 6, 5, 3), f32(3, 3, 3, 2)
    x = tf.placeholder(tf.float32, [None, None, None, 3])
    y = tf.nn.depthwise_conv2d_native(x, fv, [1, 2, 1, 1], "SAME")
    dx, = tf.gradients(tf.reduce_sum(y * y), [x])
    assert "DepthwiseConv2dNativeBackpropInput" in types()
    assert dx.shape.as_list() == [None, None, None, 3]
    got, gdx = run([y, dx], {x: xv})
    close(got, ref_depthwise(xv, fv, strides=[1, 2, 1, 1], padding="SAME"))
    assert gdx.shape == xv.shape


def test_depthwise_native_errors():
    x = tf.placeholder(tf.float32, [2, 5, 5, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Dimensions must be equal, but "
                       "are 3 and 2"):
        tf.nn.depthwise_conv2d_native(x, tf.zeros([3, 3, 2, 2]), [1, 1, 1, 1], "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="stride attribute to contain 4"):
        tf.nn.depthwise_conv2d_native(x, tf.zeros([3, 3, 3, 2]), [1, 1, 1], "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="strides in the batch and depth"):
        tf.nn.depthwise_conv2d_native(x, tf.zeros([3, 3, 3, 2]), [1, 1, 1, 2], "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="subtracting 7 from 5"):
        tf.nn.depthwise_conv2d_native(x, tf.zeros([3, 3, 3, 2]), [1, 1, 1, 1], "VALID",
                                      dilations=[1, 3, 3, 1])
    with pytest.raises(TypeError, match="DataType int32 not in list of allowed values"):
        tf.nn.depthwise_conv2d_native(tf.zeros([1, 3, 3, 1], tf.int32),
                                      tf.zeros([1, 1, 1, 1], tf.int32), [1, 1, 1, 1], "SAME")
    # Caught when the kernel runs: shapes known only then.
    u = tf.placeholder(tf.float32, None)
    y = tf.nn.depthwise_conv2d_native(u, tf.zeros([3, 3, 3, 2]), [1, 1, 1, 1], "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="same depth: 2 vs 3"):
        run(y, {u: np.zeros((1, 4, 4, 2), np.float32)})
    dx = tf.nn.depthwise_conv2d_native_backprop_input(
        [1, 4, 4, 3], tf.zeros([3, 3, 3, 2]), u, [1, 1, 1, 1], "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Size of out_backprop doesn't "
                       "match computed"):
        run(dx, {u: np.zeros((1, 4, 4, 5), np.float32)})


# -- tf.nn.depthwise_conv2d / separable_conv2d / atrous_conv2d ---------------------------------


def test_depthwise_conv2d_without_rate_is_one_native_node():
    x = tf.placeholder(tf.float32, [None, 7, 7, 2])
    y = tf.nn.depthwise_conv2d(x, f32(3, 3, 2, 2), [1, 2, 2, 1], "SAME")
    assert (y.op.name, y.op.type, y.shape.as_list()) == ("depthwise", "DepthwiseConv2dNative",
                                                         [None, 4, 4, 4])
    assert "SpaceToBatchND" not in types()


@pytest.mark.parametrize("rate,padding,fmt", [(2, "SAME", "NHWC"), ([2, 3], "VALID", "NHWC"),
                                              ((3, 2), "SAME", "NCHW")])
def test_depthwise_conv2d_with_rate_is_atrous(rate, padding, fmt):
    """A rate runs the native op between SpaceToBatchND and BatchToSpaceND, as in TF; the
    values are those of the dilated convolution (the naive reference)."""
    xv, fv = f32(2, 9, 8, 3), f32(3, 2, 3, 2)
    if fmt == "NCHW":
        xv = xv.transpose(0, 3, 1, 2)
    x = tf.placeholder(tf.float32, xv.shape)
    y = tf.nn.depthwise_conv2d(x, fv, [1, 1, 1, 1], padding, rate=rate, data_format=fmt)
    assert [t for t in types() if t not in ("Const", "Placeholder")] == [
        "SpaceToBatchND", "DepthwiseConv2dNative", "BatchToSpaceND"]
    r = list(np.broadcast_to(rate, (2,)))
    dil = [1] + r + [1] if fmt == "NHWC" else [1, 1] + r
    want = ref_depthwise(xv, fv, strides=[1, 1, 1, 1], padding=padding, data_format=fmt,
                         dilations=dil)
    assert y.shape.as_list() == list(want.shape)
    close(run(y, {x: xv}), want)
    # The same again with unknown spatial sizes: the paddings are computed in the graph.
    u = tf.placeholder(tf.float32, [None, None, None, None] if fmt == "NHWC" else None)
    yu = tf.nn.depthwise_conv2d(u, fv, [1, 1, 1, 1], padding, dilations=rate, data_format=fmt)
    close(run(yu, {u: xv}), want)


def test_depthwise_conv2d_rate_gradients_match_the_dilated_native_op():
    xv, fv = f32(1, 6, 7, 2), f32(3, 3, 2, 2)
    x, f = tf.constant(xv), tf.constant(fv)
    a = tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], "SAME", rate=[2, 2])
    b = tf.nn.depthwise_conv2d_native(x, f, [1, 1, 1, 1], "SAME", dilations=[1, 2, 2, 1])
    w = tf.constant(f32(1, 6, 7, 4))
    ga = tf.gradients(tf.reduce_sum(a * w), [x, f])
    gb = tf.gradients(tf.reduce_sum(b * w), [x, f])
    for u, v in zip(run(ga), run(gb)):
        close(u, v)


def test_depthwise_conv2d_argument_errors():
    x = tf.placeholder(tf.float32, [1, 5, 5, 2])
    f = tf.zeros([3, 3, 2, 1])
    with pytest.warns(UserWarning, match="all values of strides must be 1"):  # TF only warns
        tf.nn.depthwise_conv2d(x, f, [1, 2, 2, 1], "SAME", rate=2)
    with pytest.raises(ValueError, match="Cannot specify both 'rate' and 'dilations'"):
        tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], "SAME", rate=2, dilations=2)
    with pytest.raises(ValueError, match="`dilation_rate` must be positive"):
        tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], "SAME", rate=[0, 1])


def test_separable_conv2d_is_depthwise_then_pointwise():
    xv, dv, pv = f32(2, 6, 6, 3), f32(3, 3, 3, 2), f32(1, 1, 6, 4)
    x = tf.placeholder(tf.float32, [None, 6, 6, 3])
    y = tf.nn.separable_conv2d(x, dv, pv, [1, 1, 1, 1], "SAME")
    y2 = tf.nn.separable_conv2d(x, dv, pv, [1, 1, 1, 1], "VALID", rate=2, name="sep")
    ops = {op.name: op.type for op in tf.get_default_graph().get_operations()}
    assert (ops["separable_conv2d/depthwise"], ops["separable_conv2d"]) == (
        "DepthwiseConv2dNative", "Conv2D")
    assert (y.op.name, y2.op.name, ops["sep/SpaceToBatchND"]) == (
        "separable_conv2d", "sep", "SpaceToBatchND")
    assert y.shape.as_list() == [None, 6, 6, 4] and y2.shape.as_list() == [None, 2, 2, 4]
    got, got2 = run([y, y2], {x: xv})
    s1, dil2 = [1, 1, 1, 1], [1, 2, 2, 1]
    close(got, ref_depthwise(xv, dv, strides=s1, padding="SAME") @ pv[0, 0])
    close(got2, ref_depthwise(xv, dv, strides=s1, padding="VALID", dilations=dil2) @ pv[0, 0])
    with pytest.raises(ValueError, match="Dimensions 2 and 1 are not compatible"):
        tf.nn.separable_conv2d(x, dv, tf.zeros([2, 1, 6, 4]), s1, "SAME")
    with pytest.raises(ValueError, match="must have rank 4"):
        tf.nn.separable_conv2d(x, dv, tf.zeros([6, 4]), s1, "SAME")


@pytest.mark.parametrize("rate,padding", [(2, "SAME"), (3, "VALID"), (1, "SAME")])
def test_atrous_conv2d(rate, padding):
    xv, fv = f32(2, 9, 9, 2), f32(3, 3, 2, 4)
    x = tf.placeholder(tf.float32, [None, 9, 9, 2])
    y = tf.nn.atrous_conv2d(x, fv, rate, padding)
    assert (y.op.name if rate == 1 else y.op.name.split("/")[0]) == "convolution"
    assert ("SpaceToBatchND" in types()) == (rate > 1)
    want = ref_conv2d(xv, fv, [1, 1, 1, 1], padding, dilations=[1, rate, rate, 1])
    assert y.shape.as_list() == [None, *want.shape[1:]]
    close(run(y, {x: xv}), want, 1e-4)


def test_atrous_conv2d_refuses_a_zero_rate():
    with pytest.raises(ValueError, match="all values of `dilation_rate` must be positive"):
        tf.nn.atrous_conv2d(tf.zeros([1, 5, 5, 1]), tf.zeros([3, 3, 1, 1]), 0, "SAME")


def test_with_space_to_batch_runs_any_window_op():
    """TF's documented use: a dilated pooling (a max over every other element)."""
    xv = f32(1, 8, 8, 1)
    x = tf.placeholder(tf.float32, [1, 8, 8, 1])
    y = tf.nn.with_space_to_batch(
        x, [2, 2], "VALID",
        lambda inp, num, padding: tf.nn.max_pool(inp, [1, 2, 2, 1], [1, 1, 1, 1], padding))
    want = np.maximum.reduce([xv[:, i:i + 6, j:j + 6] for i in (0, 2) for j in (0, 2)])
    close(run(y, {x: xv}), want)
    same = tf.nn.with_space_to_batch(x, [1, 1], "SAME", lambda inp, num, p: (inp, num, p))
    assert same[1:] == (2, "SAME") and same[0] is x  # rate 1: the op itself
    with pytest.raises(ValueError, match="`filter_shape` must be specified"):
        tf.nn.with_space_to_batch(x, [2, 2], "SAME", lambda *a: a[0])
    with pytest.raises(ValueError, match="`input.shape.rank` must be at least 3"):
        tf.nn.with_space_to_batch(tf.zeros([2, 3]), [2, 2], "VALID", lambda *a: a[0])


def test_conv1d_names_its_conv2d_after_the_scope():
    y = tf.nn.conv1d(tf.zeros([2, 9, 3]), tf.zeros([3, 3, 4]), 2, "VALID")
    ops = {op.name: op.type for op in tf.get_default_graph().get_operations()}
    assert (ops["conv1d"], y.op.name) == ("Conv2D", "conv1d/Squeeze")  # as TensorFlow's


# -- SpaceToBatchND / BatchToSpaceND ----------------------------------------------------------


def test_space_to_batch_round_trip_and_errors():
    xv = f32(2, 5, 5, 3)
    x = tf.placeholder(tf.float32, [None, 5, 5, 3])
    s = depthwise_conv_ops.space_to_batch_nd(x, [2, 2], [[0, 1], [0, 1]])
    back = depthwise_conv_ops.batch_to_space_nd(s, [2, 2], [[0, 1], [0, 1]])
    assert s.shape.as_list() == [None, 3, 3, 3] and back.shape.as_list() == [None, 5, 5, 3]
    close(run(back, {x: xv}), xv)
    err = tf.errors.InvalidArgumentError
    with pytest.raises(err, match="evenly divisible by 2 but is 5"):
        depthwise_conv_ops.space_to_batch_nd(x, [2, 2], [[0, 0], [0, 1]])
    with pytest.raises(err, match="block_shape must be positive"):
        depthwise_conv_ops.space_to_batch_nd(x, [0, 2], [[0, 1], [0, 1]])
    with pytest.raises(err, match="paddings cannot be negative"):
        depthwise_conv_ops.space_to_batch_nd(x, [2, 2], [[-1, 2], [0, 1]])
    with pytest.raises(err, match="crops cannot be negative"):
        depthwise_conv_ops.batch_to_space_nd(x, [1, 1], [[-1, 0], [0, 0]])
    with pytest.raises(err, match="subtracting 11 from 10"):
        depthwise_conv_ops.batch_to_space_nd(tf.zeros([2, 5, 5, 3]), [2, 1], [[0, 11], [0, 0]])
    u = tf.placeholder(tf.float32)
    bad = depthwise_conv_ops.batch_to_space_nd(u, [2, 2], [[0, 0], [0, 0]])
    with pytest.raises(err, match=r"batch dimension \(3\) is not divisible by product of "
                       r"block sizes \(4\)"):
        run(bad, {u: np.zeros((3, 2, 2, 1), np.float32)})



def test_space_to_batch_batch_needs_only_the_block_shape():
    """TF's shape function: batch = input batch * prod(block) once the block is known, even
    when the paddings are not."""
    x = tf.placeholder(tf.float32, [3, 4, 4, 2])
    pads = tf.placeholder(tf.int32, [2, 2])
    assert depthwise_conv_ops.space_to_batch_nd(x, [2, 2], pads).shape.as_list() == \
        [12, None, None, 2]
    unknown_block = tf.placeholder(tf.int32, [2])
    assert depthwise_conv_ops.space_to_batch_nd(x, unknown_block, pads).shape.as_list() == \
        [None, None, None, 2]


def test_tf1_space_to_batch_and_batch_to_space_square_blocks():
    """tf.space_to_batch(input, paddings, block_size) / tf.batch_to_space(input, crops,
    block_size): the ND ops with an int64 [block_size, block_size] block (TF's graph)."""
    xv = f32(2, 4, 6, 3)
    x = tf.placeholder(tf.float32, [None, 4, 6, 3])
    s = tf.space_to_batch(x, [[0, 0], [1, 1]], 2)
    assert (s.op.type, s.op.name, s.op.inputs[1].dtype) == ("SpaceToBatchND", "SpaceToBatchND",
                                                            tf.int64)
    assert tf.nn.space_to_batch is tf.space_to_batch
    back = tf.batch_to_space(s, [[0, 0], [1, 1]], block_size=2)
    assert back.op.type == "BatchToSpaceND" and back.shape.as_list() == [None, 4, 6, 3]
    got_s, got_back = run([s, back], {x: xv})
    padded = np.pad(xv, [(0, 0), (0, 0), (1, 1), (0, 0)])
    # Batch entry (i, j, b) is padded[b, i::2, j::2] (block offsets major).
    want = np.stack([padded[b, i::2, j::2] for i in range(2) for j in range(2)
                     for b in range(2)])
    close(got_s, want)
    close(got_back, xv)
    with pytest.raises(ValueError, match="Cannot specify both 'block_size' and 'block_shape'"):
        tf.space_to_batch(x, [[0, 0], [0, 0]], 2, block_shape=2)
    with pytest.raises(ValueError, match="rank 4"):
        tf.space_to_batch(tf.zeros([2, 4, 4, 2, 1]), [[0, 0], [0, 0]], 2)


# -- static shapes read from partly known shape tensors --------------------------------------


def test_backprop_ops_read_partly_known_sizes():
    """A shape input built by tf.stack([dynamic, 8, 8, 8]) is (?, 8, 8, 8): the backprop ops'
    inference keeps what it knows (TF's MakeShapeFromShapeTensor), so a batch normalization
    after a conv2d_transpose finds its channels."""
    h = tf.placeholder(tf.float32, [None, 4, 4, 16])
    bs = tf.shape(h)[0]
    w = tf.ones([3, 3, 8, 16])
    y = tf.nn.conv2d_transpose(h, w, tf.stack([bs, 8, 8, 8]), [1, 2, 2, 1])
    assert y.shape.as_list() == [None, 8, 8, 8]
    bn = tf.layers.batch_normalization(y, training=True)
    assert bn.shape.as_list() == [None, 8, 8, 8]
    assert run(bn, {h: np.ones((2, 4, 4, 16), np.float32)}, init=True).shape == (2, 8, 8, 8)
    nchw = tf.nn.conv2d_transpose(tf.transpose(h, [0, 3, 1, 2]), w, tf.stack([bs, 8, 8, 8]),
                                  [1, 1, 2, 2], data_format="NCHW")
    assert nchw.shape.as_list() == [None, 8, 8, 8]
    hw_only = tf.nn.conv2d_backprop_input(tf.stack([bs * 2, 8]), w, h, [1, 2, 2, 1], "SAME")
    assert hw_only.shape.as_list() == [None, None, 8, 8]  # 2 values: height, width
    x = tf.placeholder(tf.float32, [None, 8, 8, 3])
    dy = tf.placeholder(tf.float32, [None, 8, 8, 6])
    c = tf.placeholder(tf.int32, [])
    assert tf.nn.conv2d_backprop_filter(x, tf.stack([3, 3, c, 6]), dy, [1, 1, 1, 1],
                                        "SAME").shape.as_list() == [3, 3, None, 6]
    assert tf.nn.depthwise_conv2d_native_backprop_input(
        tf.stack([tf.shape(x)[0], 8, 8, 3]), tf.ones([3, 3, 3, 2]), dy, [1, 1, 1, 1],
        "SAME").shape.as_list() == [None, 8, 8, 3]
    assert tf.nn.depthwise_conv2d_native_backprop_filter(
        x, tf.stack([3, c, 3, 2]), dy, [1, 1, 1, 1], "SAME").shape.as_list() == [3, None, 3, 2]
    with pytest.raises(ValueError, match="contain 4 values or 2 values, but got: 3"):
        tf.nn.conv2d_transpose(h, w, tf.stack([bs, 8, 8]), [1, 2, 2, 1])
    with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3"):
        tf.nn.depthwise_conv2d_native_backprop_filter(x, tf.stack([3, c, 3]), dy,
                                                      [1, 1, 1, 1], "SAME")


# -- tf.nn.convolution and tf.nn.pool ----------------------------------------------------------


@pytest.mark.parametrize("padding,strides,rate,fmt", [
    ("SAME", None, None, "NHWC"), ("VALID", [2, 1], None, "NHWC"), ("SAME", 1, [2, 2], "NHWC"),
    ("VALID", None, [2, 3], "NHWC"), ("SAME", None, [3, 2], "NCHW"), ("VALID", 2, 1, "NCHW")])
def test_convolution_2d_against_the_dilated_reference(padding, strides, rate, fmt):
    xv, fv = f32(2, 9, 8, 3), f32(3, 2, 3, 4)
    xin = xv if fmt == "NHWC" else xv.transpose(0, 3, 1, 2)
    y = tf.nn.convolution(tf.constant(xin), tf.constant(fv), padding, strides=strides,
                          dilation_rate=rate, data_format=fmt)
    s = [1] * 2 if strides is None else list(np.broadcast_to(strides, (2,)))
    r = [1] * 2 if rate is None else list(np.broadcast_to(rate, (2,)))
    four = (lambda v: [1] + v + [1]) if fmt == "NHWC" else (lambda v: [1, 1] + v)
    want = ref_conv2d(xin, fv, four(s), padding, data_format=fmt, dilations=four(r))
    assert y.shape.as_list() == list(want.shape)
    close(run(y), want, 1e-4)
    dilated = max(r) > 1
    assert {op.type for op in tf.get_default_graph().get_operations()} >= (
        {"Conv2D", "SpaceToBatchND", "BatchToSpaceND"} if dilated else {"Conv2D"})
    assert (y.op.type, y.op.name) == (("BatchToSpaceND", "convolution/BatchToSpaceND")
                                      if dilated else ("Conv2D", "convolution"))


def test_convolution_1d_is_conv1d_and_3d_is_conv3d():
    xv, fv = f32(2, 11, 3), f32(3, 3, 4)
    y = tf.nn.convolution(xv, fv, "VALID", dilation_rate=[2], name="c1")
    direct = tf.nn.conv1d(xv, fv, 1, "VALID", dilations=2)
    assert y.op.name == "c1/BatchToSpaceND" and y.shape.as_list() == [2, 7, 4]
    close(*run([y, direct]), 1e-4)
    ncw = tf.nn.convolution(xv.transpose(0, 2, 1), fv, "SAME", strides=[2], data_format="NCW")
    close(run(ncw), run(tf.nn.conv1d(xv, fv, 2, "SAME")).transpose(0, 2, 1), 1e-4)
    # 3-D: a Conv3D (values in test_conv3d.py)
    assert tf.nn.convolution(tf.zeros([1, 4, 4, 4, 2]), tf.zeros([2, 2, 2, 2, 3]),
                             "SAME").op.type == "Conv3D"
    with pytest.raises(ValueError, match="`strides > 1` not supported in conjunction"):
        tf.nn.convolution(xv, fv, "SAME", strides=[2], dilation_rate=[2])
    with pytest.raises(ValueError, match="dilations should be of length 1, 1 or 3"):
        tf.nn.convolution(xv, fv, "SAME", dilation_rate=[2, 2])


def _dilated_pool(x, window, rate, reduce):
    """VALID pooling of an NHWC x whose window taps are ``rate`` apart (stride 1)."""
    kh, kw = window
    oh, ow = x.shape[1] - (kh - 1) * rate[0], x.shape[2] - (kw - 1) * rate[1]
    taps = [x[:, i * rate[0]:i * rate[0] + oh, j * rate[1]:j * rate[1] + ow]
            for i in range(kh) for j in range(kw)]
    return reduce(np.stack(taps), axis=0)


def test_pool_2d_1d_and_dilated():
    xv = f32(2, 7, 8, 3)
    mx = tf.nn.pool(xv, [2, 3], "MAX", "SAME", strides=[2, 2])
    assert (mx.op.type, mx.op.name) == ("MaxPool", "max_pool")
    close(run(mx), ref_max_pool(xv, [1, 2, 3, 1], [1, 2, 2, 1], "SAME"))
    avg_nchw = tf.nn.pool(xv.transpose(0, 3, 1, 2), [3, 2], "AVG", "VALID", strides=[1, 2],
                          data_format="NCHW")
    close(run(avg_nchw), ref_avg_pool(xv, [1, 3, 2, 1], [1, 1, 2, 1], "VALID").transpose(
        0, 3, 1, 2))
    dil = tf.nn.pool(xv, [2, 2], "AVG", "VALID", dilation_rate=[2, 3])
    assert dil.op.name == "avg_pool_1/BatchToSpaceND" and dil.shape.as_list() == [2, 5, 5, 3]
    close(run(dil), _dilated_pool(xv, [2, 2], [2, 3], np.mean))
    dil_max = tf.nn.pool(xv, [3, 2], "MAX", "VALID", dilations=[2, 1])
    close(run(dil_max), _dilated_pool(xv, [3, 2], [2, 1], np.max))
    seq = f32(2, 9, 3)
    one = tf.nn.pool(seq, [3], "MAX", "VALID", strides=[2])
    assert one.op.name == "max_pool_2/Squeeze" and one.shape.as_list() == [2, 4, 3]
    close(run(one), np.stack([seq[:, i:i + 3].max(1) for i in range(0, 7, 2)], 1))
    ncw = tf.nn.pool(seq.transpose(0, 2, 1), [2], "AVG", "SAME", data_format="NCW")
    close(run(ncw), ref_avg_pool(seq[:, None], [1, 1, 2, 1], [1, 1, 1, 1], "SAME")[:, 0]
          .transpose(0, 2, 1))


def test_pool_errors():
    x = tf.zeros([1, 6, 6, 2])
    with pytest.raises(ValueError, match="'SAME' padding is not implemented for"):
        tf.nn.pool(x, [2, 2], "MAX", "SAME", dilation_rate=[2, 2])
    with pytest.raises(ValueError, match="`strides` > `window_shape` not supported"):
        tf.nn.pool(x, [2, 2], "MAX", "VALID", strides=[3, 1])
    with pytest.raises(ValueError, match="`strides > 1` not supported in conjunction"):
        tf.nn.pool(x, [2, 2], "MAX", "VALID", strides=[2, 2], dilation_rate=[2, 1])
    with pytest.raises(ValueError, match="must have rank 3"):
        tf.nn.pool(x, [2], "MAX", "VALID")
    with pytest.raises(ValueError, match="2-D MIN pooling is not supported"):
        tf.nn.pool(x, [2, 2], "MIN", "VALID")
    # 3-D is a MaxPool3D (test_conv3d.py)
    assert tf.nn.pool(tf.zeros([1, 4, 4, 4, 1]), [2, 2, 2], "MAX", "VALID").op.type == \
        "MaxPool3D"

# -- LRN ---------------------------------------------------------------------------------------


def test_lrn_wrappers_values_and_gradient_op():
    xv = f32(2, 3, 3, 8)
    x = tf.placeholder(tf.float32, [None, 3, 3, 8])
    y = tf.nn.lrn(x, depth_radius=2, bias=1.5, alpha=0.2, beta=0.75)
    y2 = tf.nn.local_response_normalization(x)
    assert (y.op.name, y2.op.name, y.op.type) == ("LRN", "LRN_1", "LRN")
    assert (y.op.get_attr("depth_radius"), y.op.get_attr("beta")) == (2, 0.75)
    assert y2.op.get_attr("depth_radius") == 5 and y2.op.get_attr("alpha") == 1.0
    dx, = tf.gradients(tf.reduce_sum(y), [x])
    assert dx.op.type == "LRNGrad"
    got, got2 = run([y, y2], {x: xv})
    close(got, ref_lrn(xv, 2, 1.5, 0.2, 0.75))
    close(got2, ref_lrn(xv))


def test_lrn_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Shape must be rank 4 but is "
                       "rank 3"):
        tf.nn.lrn(tf.zeros([5, 5, 3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="depth_radius = -1 must be "
                       "non-negative"):
        tf.nn.lrn(tf.zeros([1, 5, 5, 3]), depth_radius=-1)
    with pytest.raises(TypeError, match="DataType int32 not in list"):
        tf.nn.lrn(tf.zeros([1, 5, 5, 3], tf.int32))


def test_lrn_grad_has_no_gradient_as_in_tensorflow():
    x = tf.placeholder(tf.float32, [1, 2, 2, 4])
    dx, = tf.gradients(tf.reduce_sum(tf.nn.lrn(x, 1) ** 2), [x])
    with pytest.raises(LookupError, match=r"No gradient defined for operation .*LRNGrad"):
        tf.gradients(tf.reduce_sum(dx), [x])


# -- tf.layers: conv2d_transpose -------------------------------------------------------------


def ref_conv2d_transpose(x, k, stride, padding, bias=None):
    """Each input pixel scatters ``x * kernel`` into the output; SAME crops the result to
    ``in * stride`` (pad_total // 2 off the start), VALID to ``in * stride + max(k - s, 0)``."""
    n, h, w, _ = x.shape
    kh, kw, f, _ = k.shape
    (sh, sw) = stride
    full = np.zeros((n, (h - 1) * sh + kh + sh, (w - 1) * sw + kw + sw, f))
    for i in range(h):
        for j in range(w):
            full[:, i * sh:i * sh + kh, j * sw:j * sw + kw] += np.einsum(
                "nc,abfc->nabf", x[:, i, j].astype(np.float64), k)
    if padding == "same":
        oh, ow = h * sh, w * sw
        top = max((h - 1) * sh + kh - oh, 0) // 2
        left = max((w - 1) * sw + kw - ow, 0) // 2
    else:
        oh, ow = h * sh + max(kh - sh, 0), w * sw + max(kw - sw, 0)
        top = left = 0
    out = full[:, top:top + oh, left:left + ow]
    return out + bias if bias is not None else out


@pytest.mark.parametrize("kernel,strides,padding", [(3, 2, "same"), ((3, 2), (2, 1), "valid"),
                                                    (2, 3, "valid"), (4, 2, "same")])
def test_conv2d_transpose_layer(kernel, strides, padding):
    xv = f32(2, 4, 5, 3)
    x = tf.placeholder(tf.float32, [None, 4, 5, 3])
    y = tf.layers.conv2d_transpose(x, 2, kernel, strides, padding,
                                   bias_initializer=tf.constant_initializer(0.5))
    k = tf.trainable_variables()[0]
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    assert [(v.op.name, v.shape.as_list()) for v in tf.trainable_variables()] == [
        ("conv2d_transpose/kernel", [kh, kw, 2, 3]), ("conv2d_transpose/bias", [2])]
    ops = {op.name: op.type for op in tf.get_default_graph().get_operations()}
    assert ops["conv2d_transpose/conv2d_transpose"] == "Conv2DBackpropInput"
    assert y.op.name == "conv2d_transpose/BiasAdd"
    got, kv = run([y, k], {x: xv}, init=True)
    want = ref_conv2d_transpose(xv, kv, np.broadcast_to(strides, (2,)), padding, 0.5)
    assert y.shape.as_list() == [None, *want.shape[1:]]
    close(got, want, 1e-4)


def test_conv2d_transpose_layer_unknown_height_and_channels_first():
    xv = f32(2, 4, 5, 3)
    x = tf.placeholder(tf.float32, [None, None, 5, 3])
    y = tf.layers.conv2d_transpose(x, 2, 3, 2, "valid", use_bias=False)
    assert y.shape.as_list() == [None, None, 11, 2]
    xc = tf.placeholder(tf.float32, [None, 3, 4, 5])
    yc = tf.layers.Conv2DTranspose(2, 3, 2, "same", data_format="channels_first",
                                   name="up")(xc)
    assert yc.shape.as_list() == [None, 2, 8, 10]
    assert [v.op.name for v in tf.trainable_variables()] == [
        "conv2d_transpose/kernel", "up/kernel", "up/bias"]
    got, gotc, k1, k2 = run([y, yc] + tf.trainable_variables()[:2],
                            {x: xv, xc: xv.transpose(0, 3, 1, 2)}, init=True)
    close(got, ref_conv2d_transpose(xv, k1, (2, 2), "valid"), 1e-4)
    close(gotc, ref_conv2d_transpose(xv, k2, (2, 2), "same").transpose(0, 3, 1, 2), 1e-4)


# -- tf.layers: conv1d -------------------------------------------------------------------------


def ref_conv1d(x, k, stride=1, padding="valid", rate=1, bias=None):
    n, w, c = x.shape
    kw, _, f = k.shape
    eff = (kw - 1) * rate + 1
    if padding == "causal":
        x = np.concatenate([np.zeros((n, eff - 1, c), x.dtype), x], axis=1)
    elif padding == "same":
        out = -(-w // stride)
        total = max((out - 1) * stride + eff - w, 0)
        x = np.pad(x, [(0, 0), (total // 2, total - total // 2), (0, 0)])
    out = (x.shape[1] - eff) // stride + 1
    y = np.zeros((n, out, f))
    for t in range(out):
        for j in range(kw):
            y[:, t] += x[:, t * stride + j * rate].astype(np.float64) @ k[j]
    return y + bias if bias is not None else y


@pytest.mark.parametrize("stride,padding,rate", [(1, "valid", 1), (2, "same", 1),
                                                 (1, "same", 2), (1, "causal", 3)])
def test_conv1d_layer(stride, padding, rate):
    xv = f32(2, 9, 3)
    x = tf.placeholder(tf.float32, [None, 9, 3])
    y = tf.layers.conv1d(x, 4, 3, stride, padding, dilation_rate=rate, activation=tf.nn.relu,
                         bias_initializer=tf.constant_initializer(0.1))
    assert [(v.op.name, v.shape.as_list()) for v in tf.trainable_variables()] == [
        ("conv1d/kernel", [3, 3, 4]), ("conv1d/bias", [4])]
    ops = {op.name: op.type for op in tf.get_default_graph().get_operations()}
    assert ops["conv1d/Conv1D"] == "Conv2D" and y.op.name == "conv1d/Relu"
    assert ("conv1d/Conv1D/SpaceToBatchND" in ops) == (rate > 1)
    assert ("conv1d/Pad" in ops) == (padding == "causal")
    got, kv = run([y, tf.trainable_variables()[0]], {x: xv}, init=True)
    want = np.maximum(ref_conv1d(xv, kv, stride, padding, rate, 0.1), 0)
    assert y.shape.as_list() == [None, *want.shape[1:]]
    close(got, want, 1e-4)


def test_conv1d_layer_channels_first_reuse_and_errors():
    xv = f32(2, 3, 7)
    x = tf.placeholder(tf.float32, [None, 3, 7])
    y = tf.layers.conv1d(x, 2, 3, data_format="channels_first", name="c",
                         bias_initializer=tf.constant_initializer(0.3))
    y2 = tf.layers.conv1d(x, 2, 3, data_format="channels_first", name="c", reuse=True)
    assert len(tf.trainable_variables()) == 2 and y.shape.as_list() == [None, 2, 5]
    got, got2, kv = run([y, y2, tf.trainable_variables()[0]], {x: xv}, init=True)
    want = ref_conv1d(xv.transpose(0, 2, 1), kv, bias=0.3).transpose(0, 2, 1)
    close(got, want, 1e-4)
    close(got2, want, 1e-4)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        tf.layers.conv1d(tf.zeros([1, 2, 3, 4]), 2, 3)
    with pytest.raises(ValueError, match="channel dimension of the inputs should be defined"):
        tf.layers.conv1d(tf.placeholder(tf.float32, [None, 5, None]), 2, 3)
    with pytest.raises(ValueError, match="`strides > 1` not supported in conjunction with "
                       "`dilation_rate > 1`"):
        tf.layers.conv1d(x, 2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="padding must be 'valid', 'same' or 'causal'"):
        tf.layers.conv1d(x, 2, 3, padding="full")


# -- tf.layers: separable convolutions ---------------------------------------------------------


@pytest.mark.parametrize("strides,padding,rate,multiplier", [(1, "same", 1, 2),
                                                             (2, "valid", 1, 1),
                                                             (1, "same", 2, 3)])
def test_separable_conv2d_layer(strides, padding, rate, multiplier):
    xv = f32(2, 7, 7, 3)
    x = tf.placeholder(tf.float32, [None, 7, 7, 3])
    y = tf.layers.separable_conv2d(x, 4, 3, strides, padding, dilation_rate=rate,
                                   depth_multiplier=multiplier,
                                   bias_initializer=tf.constant_initializer(-0.2))
    assert [(v.op.name, v.shape.as_list()) for v in tf.trainable_variables()] == [
        ("separable_conv2d/depthwise_kernel", [3, 3, 3, multiplier]),
        ("separable_conv2d/pointwise_kernel", [1, 1, 3 * multiplier, 4]),
        ("separable_conv2d/bias", [4])]
    ops = {op.name: op.type for op in tf.get_default_graph().get_operations()}
    assert ops["separable_conv2d/separable_conv2d/depthwise"] == "DepthwiseConv2dNative"
    assert ops["separable_conv2d/separable_conv2d"] == "Conv2D"
    got, dk, pk = run([y] + tf.trainable_variables()[:2], {x: xv}, init=True)
    s = [1, strides, strides, 1]
    want = ref_depthwise(xv, dk, strides=s, padding=padding.upper(),
                         dilations=[1, rate, rate, 1]) @ pk[0, 0] - 0.2
    assert y.shape.as_list() == [None, *want.shape[1:]]
    close(got, want, 1e-4)


def test_separable_conv1d_layer_and_glorot_bounds():
    xv = f32(2, 9, 2)
    x = tf.placeholder(tf.float32, [None, 9, 2])
    layer = tf.layers.SeparableConv1D(3, 3, padding="causal", dilation_rate=2,
                                      depth_multiplier=2)
    y = layer(x)
    assert [(v.op.name, v.shape.as_list()) for v in layer.variables] == [
        ("separable_conv1d/depthwise_kernel", [3, 2, 2]),
        ("separable_conv1d/pointwise_kernel", [1, 4, 3]), ("separable_conv1d/bias", [3])]
    assert layer.depthwise_kernel is layer.variables[0] and y.op.name == "separable_conv1d/Squeeze"
    got, dk, pk = run([y, layer.depthwise_kernel, layer.pointwise_kernel], {x: xv}, init=True)
    # glorot_uniform over [k, 1, in, multiplier]-style fans: limit sqrt(6 / (3*2 + 3*2)).
    assert np.abs(dk).max() <= np.sqrt(6 / 12) and np.abs(pk).max() <= np.sqrt(6 / (4 + 3))
    xp = np.concatenate([np.zeros((2, 4, 2), np.float32), xv], axis=1)
    want = ref_depthwise(xp[:, None], dk[None], strides=[1, 1, 1, 1], padding="VALID",
                         dilations=[1, 1, 2, 1])[:, 0] @ pk[0]
    close(got, want, 1e-4)


def test_separable_conv2d_layer_object_reuse_and_channels_first():
    xv = f32(2, 3, 6, 6)
    x = tf.placeholder(tf.float32, [None, 3, 6, 6])
    layer = tf.layers.SeparableConv2D(2, 3, padding="same", data_format="channels_first",
                                      use_bias=False)
    a, b = layer(x), layer(x * 2.0)
    assert [v.op.name for v in layer.variables] == [
        "separable_conv2d/depthwise_kernel", "separable_conv2d/pointwise_kernel"]
    assert layer.bias is None and a.shape.as_list() == [None, 2, 6, 6]
    ga, gb, dk, pk = run([a, b, layer.depthwise_kernel, layer.pointwise_kernel], {x: xv},
                         init=True)
    want = ref_depthwise(xv, dk, strides=[1, 1, 1, 1], padding="SAME",
                         data_format="NCHW").transpose(0, 2, 3, 1) @ pk[0, 0]
    close(ga, want.transpose(0, 3, 1, 2), 1e-4)
    close(gb, 2 * ga, 1e-4)


def test_dilated_conv2d_layer_runs_between_space_to_batch_ops():
    """As TF's (Keras) Conv2D: a dilation goes through tf.nn.convolution's SpaceToBatchND."""
    xv = f32(2, 7, 6, 2)
    x = tf.placeholder(tf.float32, [None, 7, 6, 2])
    y = tf.layers.conv2d(x, 3, 3, padding="same", dilation_rate=(2, 3), use_bias=False)
    ops = {op.name: op.type for op in tf.get_default_graph().get_operations()}
    assert (ops["conv2d/Conv2D/SpaceToBatchND"], ops["conv2d/Conv2D"],
            y.op.name) == ("SpaceToBatchND", "Conv2D", "conv2d/Conv2D/BatchToSpaceND")
    got, kv = run([y, tf.trainable_variables()[0]], {x: xv}, init=True)
    close(got, ref_conv2d(xv, kv, [1, 1, 1, 1], "SAME", dilations=[1, 2, 3, 1]), 1e-4)
    with pytest.raises(ValueError, match="`strides > 1` not supported in conjunction"):
        tf.layers.conv2d(x, 3, 3, strides=2, dilation_rate=2)


# -- tf.layers: 1-D pooling ----------------------------------------------------------------------


@pytest.mark.parametrize("fn,reduce", [(tf.layers.max_pooling1d, np.max),
                                       (tf.layers.average_pooling1d, np.mean)])
def test_pooling1d_layers(fn, reduce):
    xv = f32(2, 7, 3)
    x = tf.placeholder(tf.float32, [None, 7, 3])
    y = fn(x, 2, 2)
    ys = fn(x, 3, 2, padding="same")
    yc = fn(tf.transpose(x, [0, 2, 1]), 2, 2, data_format="channels_first")
    assert y.op.name == f"{fn.__name__}/Squeeze" and ys.op.name == f"{fn.__name__}_1/Squeeze"
    assert [t.shape.as_list() for t in (y, ys, yc)] == [[None, 3, 3], [None, 4, 3],
                                                         [None, 3, 3]]
    got, gots, gotc = run([y, ys, yc], {x: xv})
    want = np.stack([reduce(xv[:, 2 * i:2 * i + 2], axis=1) for i in range(3)], axis=1)
    # SAME, window 3, stride 2 over 7: pad_total 2 -> windows [-1, 2), [1, 4), ..., [5, 8)
    want_s = np.stack([reduce(xv[:, max(2 * i - 1, 0):2 * i + 2], axis=1) for i in range(4)],
                      axis=1)
    close(got, want)
    close(gots, want_s)
    close(gotc, want.transpose(0, 2, 1))
    layer = tf.layers.MaxPooling1D(2, 2) if fn is tf.layers.max_pooling1d else \
        tf.layers.AveragePooling1D(2, 2)
    close(run(layer(x), {x: xv}), want)


# -- against TensorFlow ----------------------------------------------------------------------------


def test_against_tensorflow():
    """Values, gradients, emitted ops and the layers' variables agree with tf.compat.v1."""
    run_against_tf("conv_family_vs_tf.py", cases=CASES_VS_TF)


CASES_VS_TF = 57
