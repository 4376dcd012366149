"""Focused tests for convolution and pooling: tf.nn wrappers (signatures, node names, attrs),
gradient graphs, error messages, and numbers verified with TensorFlow 2.21 (tf.compat.v1)."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf.ops import conv_ops, pool_ops


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


def run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


X44 = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
F33 = np.arange(9, dtype=np.float32).reshape(3, 3, 1, 1)

# -- wrappers: names, attrs, shapes (checked against TensorFlow's graph) ---------------------------


def test_conv2d_wrapper_names_attrs_and_shapes():
    x = tf.placeholder(tf.float32, [None, 8, 8, 3], name="x")
    f = tf.placeholder(tf.float32, [3, 3, 3, 4], name="f")
    y = tf.nn.conv2d(x, f, strides=[1, 1, 1, 1], padding="SAME")
    y2 = tf.nn.conv2d(x, f, [1, 2, 2, 1], "VALID", name="myconv")
    y3 = tf.nn.conv2d(x, filters=f, strides=2, padding="SAME")
    y4 = tf.nn.conv2d(x, f, strides=[1, 1, 1, 1], padding=[[0, 0], [1, 2], [0, 1], [0, 0]])
    assert [t.op.name for t in (y, y2, y3, y4)] == ["Conv2D", "myconv", "Conv2D_1", "Conv2D_2"]
    assert [t.op.type for t in (y, y2, y3, y4)] == ["Conv2D"] * 4
    assert [t.shape.as_list() for t in (y, y2, y3, y4)] == [
        [None, 8, 8, 4], [None, 3, 3, 4], [None, 4, 4, 4], [None, 9, 7, 4]]
    assert y3.op.get_attr("strides") == [1, 2, 2, 1]
    assert y4.op.get_attr("padding") == b"EXPLICIT"
    assert y4.op.get_attr("explicit_paddings") == [0, 0, 1, 2, 0, 1, 0, 0]
    assert y.op.get_attr("dilations") == [1, 1, 1, 1]
    assert y.op.get_attr("use_cudnn_on_gpu") is True
    assert y.op.get_attr("data_format") == b"NHWC"
    assert y.op.get_attr("T") == tf.float32
    with pytest.raises(ValueError, match="Cannot specify both 'filter' and 'filters'"):
        tf.nn.conv2d(x, f, strides=1, padding="SAME", filters=f)
    with pytest.raises(ValueError, match="'EXPLICIT' is not a valid value for `padding`"):
        tf.nn.conv2d(x, f, strides=1, padding="EXPLICIT")


def test_conv2d_nchw_wrapper_puts_spatial_values_last():
    x = tf.placeholder(tf.float32, [2, 3, 7, 6])
    y = tf.nn.conv2d(x, tf.zeros([3, 3, 3, 5]), strides=2, padding="SAME", data_format="NCHW",
                     dilations=1)
    assert y.op.get_attr("strides") == [1, 1, 2, 2]
    assert y.shape.as_list() == [2, 5, 4, 3]


def test_pool_wrapper_names_and_attrs():
    x = tf.placeholder(tf.float32, [None, 8, 8, 3], name="x")
    m = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    m2 = tf.nn.max_pool(x, ksize=2, strides=2, padding="VALID")
    a = tf.nn.avg_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    mp2 = tf.nn.max_pool2d(x, 2, 2, "SAME")
    ap2 = tf.nn.avg_pool2d(x, 2, 2, "SAME")
    m3 = tf.nn.max_pool(x, (3, 3), 1, "SAME", name="pool")
    assert [t.op.name for t in (m, m2, a, mp2, ap2, m3)] == [
        "MaxPool", "MaxPool_1", "AvgPool", "MaxPool2d", "AvgPool_1", "pool"]
    assert m2.op.get_attr("ksize") == [1, 2, 2, 1] and m2.op.get_attr("strides") == [1, 2, 2, 1]
    assert m3.op.get_attr("ksize") == [1, 3, 3, 1] and m3.op.get_attr("strides") == [1, 1, 1, 1]
    assert m.op.get_attr("explicit_paddings") == []
    assert "explicit_paddings" not in a.op.attrs  # AvgPool has no such attr in TensorFlow
    assert [t.shape.as_list() for t in (m, m2, a, mp2, ap2, m3)] == [[None, 4, 4, 3]] * 5 + [
        [None, 8, 8, 3]]
    v = tf.nn.max_pool(input=x, ksize=2, strides=2, padding=[[0, 0], [1, 0], [0, 1], [0, 0]],
                       value=None)
    assert v.op.get_attr("padding") == b"EXPLICIT" and v.shape.as_list() == [None, 4, 4, 3]
    with pytest.raises(ValueError, match="`ksize` cannot be zero"):
        tf.nn.max_pool(x, [1, 0, 2, 1], 2, "SAME")
    with pytest.raises(ValueError, match="ksize should be of length 1, 2 or 4"):
        tf.nn.avg_pool(x, [2, 2, 2], 2, "SAME")


def test_backprop_wrappers_and_conv2d_transpose_names():
    f = tf.placeholder(tf.float32, [3, 3, 3, 4], name="f")
    x = tf.placeholder(tf.float32, [None, 8, 8, 3], name="x")
    dy = tf.placeholder(tf.float32, [None, 8, 8, 4], name="dy")
    bi = tf.nn.conv2d_backprop_input([2, 8, 8, 3], f, dy, [1, 1, 1, 1], "SAME")
    bf = tf.nn.conv2d_backprop_filter(x, [3, 3, 3, 4], dy, [1, 1, 1, 1], "SAME")
    ct = tf.nn.conv2d_transpose(dy, f, [2, 8, 8, 3], [1, 1, 1, 1])
    ct2 = tf.nn.conv2d_transpose(dy, f, tf.constant([2, 8, 8, 3]), 1, "VALID")
    assert [t.op.name for t in (bi, bf, ct, ct2)] == [
        "Conv2DBackpropInput", "Conv2DBackpropFilter", "conv2d_transpose", "conv2d_transpose_1"]
    assert [t.op.type for t in (bi, bf, ct, ct2)] == [
        "Conv2DBackpropInput", "Conv2DBackpropFilter", "Conv2DBackpropInput",
        "Conv2DBackpropInput"]
    assert bi.op.inputs[0].name == "Conv2DBackpropInput/input_sizes:0"
    assert bf.op.inputs[1].name == "Conv2DBackpropFilter/filter_sizes:0"
    assert ct.op.inputs[0].name == "conv2d_transpose/input_sizes:0"
    assert ct.op.inputs[0].dtype == tf.int32
    assert bf.shape.as_list() == [3, 3, 3, 4]
    # As TF 1.x, the shape is input_sizes' (out_backprop's batch is None here; TF 2 keeps it).
    assert bi.shape.as_list() == [2, 8, 8, 3] and ct2.shape.as_list() == [2, 8, 8, 3]
    ct3 = tf.nn.conv2d_transpose(dy, f, tf.placeholder(tf.int32, [4]), 2)
    assert ct3.shape.as_list() == [None, None, None, None]


def test_gradient_graph_uses_tensorflows_gradient_ops():
    x = tf.placeholder(tf.float32, [None, 8, 8, 3], name="x")
    f = tf.placeholder(tf.float32, [3, 3, 3, 4], name="f")
    y = tf.nn.conv2d(x, f, strides=[1, 1, 1, 1], padding="SAME")
    m = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    a = tf.nn.avg_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    gx, gf = tf.gradients(tf.reduce_sum(y) + tf.reduce_sum(m) + tf.reduce_sum(a), [x, f])
    types = {op.name: op.type for op in tf.get_default_graph().get_operations()}
    assert types["gradients/Conv2D_grad/Conv2DBackpropInput"] == "Conv2DBackpropInput"
    assert types["gradients/Conv2D_grad/Conv2DBackpropFilter"] == "Conv2DBackpropFilter"
    assert types["gradients/MaxPool_grad/MaxPoolGrad"] == "MaxPoolGrad"
    assert types["gradients/AvgPool_grad/AvgPoolGrad"] == "AvgPoolGrad"
    mpg = tf.get_default_graph().get_operation_by_name("gradients/MaxPool_grad/MaxPoolGrad")
    assert [t.name for t in mpg.inputs[:2]] == ["x:0", "MaxPool:0"]
    # Static shapes survive the dynamic Shape inputs of the backprop ops (as in TensorFlow).
    assert gx.shape.as_list() == [None, 8, 8, 3] and gf.shape.as_list() == [3, 3, 3, 4]


# -- numbers verified with TensorFlow --------------------------------------------------------------


def test_conv2d_same_stride2_even_input_pads_after():
    got = run(tf.nn.conv2d(X44, F33, strides=2, padding="SAME"))
    np.testing.assert_array_equal(got[0, :, :, 0], [[258, 186], [187, 113]])


def test_conv2d_valid_dilated():
    x = np.arange(36, dtype=np.float32).reshape(1, 6, 6, 1)
    f = np.array([1, 2, 3, 4], np.float32).reshape(2, 2, 1, 1)
    got = run(tf.nn.conv2d(x, f, 1, "VALID", dilations=2))
    np.testing.assert_array_equal(got[0, :, :, 0], [[96, 106, 116, 126], [156, 166, 176, 186],
                                                    [216, 226, 236, 246], [276, 286, 296, 306]])


def test_avg_pool_same_divides_by_real_elements():
    x = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1)
    got = run(tf.nn.avg_pool(x, 3, 2, "SAME"))
    np.testing.assert_array_equal(got[0, :, :, 0], [[3, 4.5, 6], [10.5, 12, 13.5], [18, 19.5, 21]])


def test_max_pool_same_padding_never_wins():
    x = (-np.arange(9, dtype=np.float32) - 1).reshape(1, 3, 3, 1)
    got = run(tf.nn.max_pool(x, 2, 2, "SAME"))
    np.testing.assert_array_equal(got[0, :, :, 0], [[-1, -3], [-7, -9]])


def test_max_pool_grad_ties_go_to_first_maximum():
    x = np.array([[1, 3, 3], [2, 3, 1], [0, 0, 3]], np.float32).reshape(1, 3, 3, 1)
    xt = tf.constant(x)
    y = tf.nn.max_pool(xt, 2, 1, "VALID")
    got = run(tf.gradients(y, xt)[0])
    np.testing.assert_array_equal(got[0, :, :, 0], [[0, 2, 0], [0, 2, 0], [0, 0, 0]])


def test_conv2d_transpose_stride2():
    got = run(tf.nn.conv2d_transpose(np.ones((1, 2, 2, 1), np.float32), F33, [1, 4, 4, 1], 2))
    np.testing.assert_array_equal(got[0, :, :, 0], [[0, 1, 2, 1], [3, 4, 8, 4], [6, 8, 16, 8],
                                                    [3, 4, 8, 4]])


def test_conv2d_backprop_filter_same_stride2():
    dy = np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1)
    got = run(tf.nn.conv2d_backprop_filter(X44, [3, 3, 1, 1], dy, [1, 2, 2, 1], "SAME"))
    np.testing.assert_array_equal(got[:, :, 0, 0], [[48, 54, 20], [72, 78, 28], [10, 11, 0]])


def test_max_pool_second_derivatives():
    x = tf.constant(np.array([[1, 5, 2], [4, 3, 6], [0, 8, 7]], np.float32).reshape(1, 3, 3, 1))
    w = tf.constant(np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1))
    y = tf.nn.max_pool(x, 2, 1, "SAME")
    g = tf.gradients(y, x)[0]
    np.testing.assert_array_equal(run(tf.gradients(tf.reduce_sum(g * w), x)[0]), np.zeros(
        (1, 3, 3, 1)))
    gy = tf.placeholder(tf.float32, [1, 3, 3, 1])
    g2 = tf.gradients(y, x, grad_ys=gy)[0]
    ggy = tf.gradients(tf.reduce_sum(g2 * w), gy)[0]
    assert ggy.op.type == "MaxPoolGradGrad"
    np.testing.assert_array_equal(run(ggy).ravel(), [1, 5, 5, 7, 7, 8, 7, 7, 8])


def test_max_pool_explicit_has_no_second_derivative():
    # As in TensorFlow: MaxPoolGradGrad has no explicit_paddings attr.
    x = tf.placeholder(tf.float32, [1, 4, 4, 1])
    y = tf.nn.max_pool(x, 2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]])
    gy = tf.placeholder(tf.float32, y.shape)
    g = tf.gradients(y, x, grad_ys=gy)[0]
    with pytest.raises(tf.errors.InvalidArgumentError, match="'EXPLICIT' not in"):
        tf.gradients(tf.reduce_sum(g), gy)


# -- shape inference -------------------------------------------------------------------------------


def test_inference_with_unknown_dims_and_rank():
    f = tf.zeros([3, 3, 2, 5])
    cases = [
        (tf.placeholder(tf.float32, [None, None, 7, 2]), "SAME", 2, [None, None, 4, 5]),
        (tf.placeholder(tf.float32, [None, 9, None, 2]), "VALID", 2, [None, 4, None, 5]),
        (tf.placeholder(tf.float32), "SAME", 1, [None, None, None, 5]),
    ]
    for x, padding, stride, want in cases:
        assert tf.nn.conv2d(x, f, stride, padding).shape.as_list() == want
    unknown_filter = tf.placeholder(tf.float32)
    x = tf.placeholder(tf.float32, [4, 6, 6, 2])
    assert tf.nn.conv2d(x, unknown_filter, 1, "SAME").shape.as_list() == [4, 6, 6, None]
    p = tf.nn.max_pool(tf.placeholder(tf.float32, [None, 3, None, 8]), 2, 2, "SAME",
                       data_format="NCHW")
    assert p.shape.as_list() == [None, 3, None, 4]
    assert tf.nn.avg_pool(tf.placeholder(tf.float32), 2, 2, "VALID").shape.rank == 4


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("build, message", [
    (lambda: tf.nn.conv2d(tf.zeros([1, 5, 5, 4]), tf.zeros([3, 3, 3, 2]), 1, "SAME"),
     r"Depth of input \(4\) is not a multiple of input depth of filter \(3\) for 'Conv2D' "
     r"\(op: 'Conv2D'\) with input shapes: \[1,5,5,4\], \[3,3,3,2\]"),
    (lambda: tf.nn.conv2d(tf.zeros([1, 5, 5, 4]), tf.zeros([3, 3, 2, 3]), 1, "SAME"),
     r"Depth of output \(3\) is not a multiple of the number of groups \(2\)"),
    (lambda: tf.nn.conv2d(tf.zeros([5, 5, 4]), tf.zeros([3, 3, 4, 2]), 1, "SAME"),
     "Shape must be rank 4 but is rank 3"),
    (lambda: tf.nn.conv2d(tf.zeros([1, 5, 5, 4]), tf.zeros([7, 3, 4, 2]), 1, "VALID"),
     "Negative dimension size caused by subtracting 7 from 5"),
    (lambda: tf.nn.conv2d(tf.zeros([1, 5, 5, 4]), tf.zeros([3, 3, 4, 2]), 1, "VALID",
                          dilations=[1, 3, 1, 1]),
     "Negative dimension size caused by subtracting 7 from 5"),
    (lambda: conv_ops.CONV2D(tf.zeros([1, 5, 5, 4]), tf.zeros([3, 3, 4, 2]), strides=[1, 1, 1],
                             padding="SAME"),
     "Conv2D on data format NHWC requires the stride attribute to contain 4 values, but "
     "got: 3"),
    (lambda: conv_ops.CONV2D(tf.zeros([1, 5, 5, 4]), tf.zeros([3, 3, 4, 2]),
                             strides=[1, 1, 1, 1], padding="SAME", dilations=[1, 0, 1, 1]),
     "Dilation rate must be >= 1, but got 0"),
    (lambda: conv_ops.CONV2D(tf.zeros([1, 5, 5, 4]), tf.zeros([3, 3, 4, 2]),
                             strides=[1, 1, 1, 1], padding="EXPLICIT",
                             explicit_paddings=[0, 0, 1, 1]),
     "explicit_paddings attribute must contain 8 values, but got: 4"),
    (lambda: conv_ops.CONV2D(tf.zeros([1, 5, 5, 4]), tf.zeros([3, 3, 4, 2]),
                             strides=[1, 1, 1, 1], padding="SAME",
                             explicit_paddings=[0, 0, 1, 1, 1, 1, 0, 0]),
     "explicit_paddings attribute must be empty if the padding attribute is not EXPLICIT"),
    (lambda: conv_ops.CONV2D(tf.zeros([1, 5, 5, 4]), tf.zeros([3, 3, 4, 2]),
                             strides=[1, 1, 1, 1], padding="EXPLICIT",
                             explicit_paddings=[1, 0, 1, 1, 1, 1, 0, 0]),
     "Nonzero explicit padding in the batch or depth dimensions is not supported"),
    (lambda: conv_ops.CONV2D(tf.zeros([1, 5, 5, 4]), tf.zeros([3, 3, 4, 2]),
                             strides=[1, 1, 1, 1], padding="FOO"),
     "Attr 'padding' of 'Conv2D' Op passed string 'FOO' not in"),
    (lambda: tf.nn.conv2d_backprop_input([1, 5, 5], tf.zeros([3, 3, 4, 2]),
                                         tf.zeros([1, 5, 5, 2]), [1, 1, 1, 1], "SAME"),
     "Conv2DBackpropInput requires input_sizes to contain 4 values or 2 values, but got: 3"),
    (lambda: tf.nn.conv2d_backprop_input([1, 5, 5, 4], tf.zeros([3, 3, 4, 2]),
                                         tf.zeros([1, 5, 5, 3]), [1, 1, 1, 1], "SAME"),
     "Dimensions must be equal, but are 3 and 2"),
    (lambda: tf.nn.max_pool(tf.zeros([5, 5, 4]), 2, 2, "SAME"),
     "Shape must be rank 4 but is rank 3"),
    (lambda: tf.nn.max_pool(tf.zeros([1, 5, 5, 4]), [1, 6, 2, 1], 2, "VALID"),
     "Negative dimension size caused by subtracting 6 from 5"),
    (lambda: tf.nn.max_pool(tf.zeros([1, 5, 5, 4]), 2, 2, [[0, 0], [2, 2], [1, 0], [0, 0]]),
     "Top padding 2 needs to be smaller than the window size 2"),
    (lambda: tf.nn.avg_pool(tf.zeros([1, 5, 5, 4]), 2, 2, "EXPLICIT"),
     "Attr 'padding' of 'AvgPool' Op passed string 'EXPLICIT' not in"),
])
def test_graph_construction_errors(build, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        build()


def test_type_constraints():
    with pytest.raises(TypeError, match="DataType int64 not in list of allowed values"):
        tf.nn.conv2d(tf.zeros([1, 3, 3, 1], tf.int64), tf.zeros([1, 1, 1, 1], tf.int64), 1,
                     "SAME")
    with pytest.raises(TypeError, match="parameter 'value' has DataType int32"):
        tf.nn.avg_pool(tf.zeros([1, 3, 3, 1], tf.int32), 2, 2, "SAME")
    got = run(tf.nn.max_pool(tf.constant(np.arange(9, dtype=np.int32).reshape(1, 3, 3, 1)), 2,
                             2, "SAME"))
    assert got.dtype == np.int32 and got.ravel().tolist() == [4, 5, 7, 8]


def test_runtime_errors_name_the_values():
    sizes = tf.placeholder(tf.int32, [4])
    bi = tf.nn.conv2d_backprop_input(sizes, tf.zeros([3, 3, 4, 2]), tf.zeros([1, 5, 5, 2]),
                                     [1, 1, 1, 1], "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Size of out_backprop doesn't "
                       r"match computed: actual = \[1, 5, 5, 2\], computed = \[1, 4, 3, 2\]"):
        run(bi, {sizes: [1, 6, 5, 4]})
    x = tf.placeholder(tf.float32)
    mpg = pool_ops.MAX_POOL_GRAD(x, x, tf.zeros([1, 2, 2, 4]), ksize=[1, 2, 2, 1],
                                 strides=[1, 2, 2, 1], padding="SAME")
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Expected grad shape to be \[1,3,3,4\], but got \[1,2,2,4\]"):
        run(mpg, {x: np.zeros((1, 5, 5, 4), np.float32)})
    y = tf.nn.conv2d(x, tf.zeros([3, 3, 2, 2]), 1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="input depth must be evenly divisible by filter depth: 3 vs 2"):
        run(y, {x: np.zeros((1, 4, 4, 3), np.float32)})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"input must be 4-dimensional\[4,4,2\]"):
        run(y, {x: np.zeros((4, 4, 2), np.float32)})


# -- kernels ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape, fshape, strides, padding, dilations, explicit", [
    ((2, 9, 8, 3), (3, 3, 3, 4), [1, 1, 1, 1], "SAME", [1, 1, 1, 1], []),
    ((2, 9, 8, 3), (3, 2, 3, 4), [1, 2, 3, 1], "VALID", [1, 1, 1, 1], []),
    ((1, 9, 8, 2), (3, 3, 2, 2), [1, 1, 1, 1], "SAME", [1, 2, 2, 1], []),
    ((1, 6, 7, 2), (2, 3, 2, 3), [1, 2, 1, 1], "EXPLICIT", [1, 1, 1, 1], [0, 0, 1, 2, 3, 0, 0, 0]),
    ((2, 6, 6, 4), (3, 3, 2, 4), [1, 1, 1, 1], "SAME", [1, 1, 1, 1], []),
])
def test_tap_loop_path_matches_im2col(monkeypatch, shape, fshape, strides, padding, dilations,
                                      explicit):
    """Large convolutions skip im2col; both paths compute the same values."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    f = rng.standard_normal(fshape)
    attrs = dict(strides=strides, use_cudnn_on_gpu=True, padding=padding,
                 explicit_paddings=explicit, data_format="NHWC", dilations=dilations)
    small = conv_ops._conv2d_kernel(x, f, **attrs)
    monkeypatch.setattr(conv_ops, "_IM2COL_MAX_ELEMENTS", 0)
    np.testing.assert_allclose(conv_ops._conv2d_kernel(x, f, **attrs), small, rtol=1e-12,
                               atol=1e-12)


def test_nchw_matches_nhwc():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
    f = rng.standard_normal((3, 2, 3, 4)).astype(np.float32)
    nhwc = tf.nn.conv2d(x, f, [1, 2, 1, 1], "SAME")
    nchw = tf.nn.conv2d(x.transpose(0, 3, 1, 2), f, [1, 1, 2, 1], "SAME", data_format="NCHW")
    pool = tf.nn.max_pool(x.transpose(0, 3, 1, 2), 3, 2, "SAME", data_format="NCHW")
    a, b, p = run([nhwc, nchw, pool])
    np.testing.assert_allclose(b.transpose(0, 2, 3, 1), a, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(p.transpose(0, 2, 3, 1), run(tf.nn.max_pool(x, 3, 2, "SAME")))
    assert b.flags.c_contiguous


def test_kernels_do_not_modify_inputs():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 5, 2)).astype(np.float32)
    f = rng.standard_normal((3, 3, 2, 3)).astype(np.float32)
    for a in (x, f):
        a.flags.writeable = False
    attrs = dict(strides=[1, 2, 2, 1], use_cudnn_on_gpu=True, padding="SAME",
                 explicit_paddings=[], data_format="NHWC", dilations=[1, 1, 1, 1])
    y = conv_ops._conv2d_kernel(x, f, **attrs)
    dy = np.ones_like(y)
    dy.flags.writeable = False
    conv_ops._conv2d_backprop_input_kernel(np.array(x.shape), f, dy, **attrs)
    conv_ops._conv2d_backprop_filter_kernel(x, np.array(f.shape), dy, **attrs)
    pool = dict(ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME")
    m = pool_ops._max_pool_kernel(x, explicit_paddings=[], data_format="NHWC", **pool)
    pool_ops._max_pool_grad_kernel(x, m, np.ones_like(m), explicit_paddings=[],
                                   data_format="NHWC", **pool)
    pool_ops._avg_pool_kernel(x, data_format="NHWC", **pool)


def test_max_pool_grad_keeps_non_finite_gradients_local():
    x = tf.constant(np.array([[1, 2], [3, 4]], np.float32).reshape(1, 2, 2, 1))
    y = tf.nn.max_pool(x, 1, 1, "VALID")
    g = tf.gradients(y, x, grad_ys=tf.constant(
        np.array([[np.inf, 1], [1, 1]], np.float32).reshape(1, 2, 2, 1)))[0]
    assert run(g).ravel().tolist() == [np.inf, 1, 1, 1]
    # Overlapping padded windows: inf reaches only its window's maximum (TensorFlow: inf, 0,
    # 0, 3), never NaN from 0 * inf at the other taps.
    xd = tf.constant(np.array([[5, 2], [3, 4]], np.float32).reshape(1, 2, 2, 1))
    yd = tf.nn.max_pool(xd, 2, 1, "SAME")
    gd = tf.gradients(yd, xd, grad_ys=tf.constant(
        np.array([[np.inf, 1], [1, 1]], np.float32).reshape(1, 2, 2, 1)))[0]
    assert run(gd).ravel().tolist() == [np.inf, 0, 0, 3]


def test_pool_attr_length_errors():
    x = tf.zeros([1, 5, 5, 4])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="MaxPool requires the ksize attribute to contain 4 values, but "
                             "got: 5"):
        pool_ops.MAX_POOL(x, ksize=[1, 2, 2, 1, 1], strides=[1, 2, 2, 1], padding="SAME")
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="AvgPool requires the stride attribute to contain 4 values, but "
                             "got: 5"):
        pool_ops.AVG_POOL(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1, 1], padding="SAME")
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Attr 'ksize' of 'MaxPool' Op passed list of length 3 less than "
                             "minimum 4."):
        pool_ops.MAX_POOL(x, ksize=[1, 2, 2], strides=[1, 2, 2, 1], padding="SAME")



def test_avg_pool_grad_infers_the_known_dims_of_a_partly_known_input_shape():
    """AvgPoolGrad's shape input ``tf.stack([batch, 8, 8, 3])``: its inferred shape is
    (?, 8, 8, 3), as TF's shape function reads a partly known shape tensor (it was all
    unknown unless the whole input was constant)."""
    batch = tf.placeholder(tf.int32, [])
    grad = tf.placeholder(tf.float32, [None, 4, 4, 3])
    out = pool_ops.AVG_POOL_GRAD(tf.stack([batch, 8, 8, 3]), grad, ksize=[1, 2, 2, 1],
                                 strides=[1, 2, 2, 1], padding="VALID")
    assert out.shape.as_list() == [None, 8, 8, 3]
