"""3-D convolution and pooling and the pooling variants: tf.nn wrappers (node names, attrs,
static shapes with unknown dims), values against the numpy references of op_cases/conv3d.py,
float32 gradient checks of the max-pooling ops (which refuse float64, as TensorFlow's), errors
with TensorFlow's messages, and the tf.layers. tests/core/data/conv3d_vs_tf.py builds the same
graphs in TensorFlow (test_against_tensorflow)."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf.ops.pool3d_ops import MAX_POOL_V2
from tests.core.legacy_tf import run_against_tf

from .op_cases.conv import ref_avg_pool, ref_max_pool
from .op_cases.conv3d import (distinct, ref_avg_pool3d, ref_conv3d, ref_conv3d_backprop_input,
                              ref_max_pool3d, ref_max_pool_with_argmax)

RNG = np.random.default_rng(5)
S1 = [1, 1, 1, 1, 1]


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def run(fetches, feed=None, init=False):
    with tf.Session() as sess:
        if init:
            sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def close(a, b, tol=1e-4):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# -- gradients of the max-pooling ops, in float32 --------------------------------------------------


def _numeric(loss, ph, x, feed, eps=1e-2):
    num = np.zeros(x.shape, np.float64)
    with tf.Session() as sess:
        for j in np.ndindex(*x.shape):
            for sign in (1, -1):
                xx = x.copy()
                xx[j] += sign * eps
                num[j] += sign * sess.run(loss, {**feed, ph: xx}) / (2 * eps)
    return num


@pytest.mark.parametrize("fmt", ["NDHWC", "NCDHW"])
def test_max_pool3d_gradients_in_float32(fmt):
    """MaxPool3D -> MaxPool3DGrad -> MaxPool3DGradGrad -> MaxPool3DGrad, each rule checked
    by central differences (distinct values: gaps of 0.37 against eps 0.01)."""
    shape = [1, 3, 4, 5, 2] if fmt == "NDHWC" else [1, 2, 3, 4, 5]
    ksize = [1, 2, 2, 3, 1] if fmt == "NDHWC" else [1, 1, 2, 2, 3]
    strides = [1, 1, 2, 2, 1] if fmt == "NDHWC" else [1, 1, 1, 2, 2]
    x0 = distinct(*shape)
    x = tf.placeholder(tf.float32, shape)
    y = tf.nn.max_pool3d(x, ksize, strides, "SAME", data_format=fmt)
    w = tf.constant(f32(*y.shape.as_list()))
    loss = tf.reduce_sum(y * w)
    (dx,) = tf.gradients(loss, [x])
    assert dx.op.type == "MaxPool3DGrad"
    close(run(dx, {x: x0}), _numeric(loss, x, x0, {}), 2e-3)
    # The gradient of MaxPool3DGrad with respect to its `grad` input: MaxPool3DGradGrad.
    g = tf.placeholder(tf.float32, y.shape)
    g0 = f32(*y.shape.as_list())
    back = tf.gradients(y, x, grad_ys=g)[0]  # MaxPool3DGrad(x, y, g)
    w2 = tf.constant(f32(*shape))
    loss2 = tf.reduce_sum(back * w2)
    dg = tf.gradients(loss2, [g])[0]
    assert dg.op.type == "MaxPool3DGradGrad"
    close(run(dg, {x: x0, g: g0}), _numeric(loss2, g, g0, {x: x0}), 2e-3)
    # ... and of MaxPool3DGradGrad with respect to its `grad`: MaxPool3DGrad again.
    h = tf.placeholder(tf.float32, shape)
    h0 = f32(*shape)
    gg = tf.gradients(back, [g], grad_ys=h)[0]
    loss3 = tf.reduce_sum(gg * w)
    dh = tf.gradients(loss3, [h])[0]
    assert dh.op.type == "MaxPool3DGrad"
    close(run(dh, {x: x0, g: g0, h: h0}), _numeric(loss3, h, h0, {x: x0, g: g0}), 2e-3)


# -- tf.nn wrappers --------------------------------------------------------------------------------


def test_conv3d_wrappers_names_and_shapes_with_unknown_dims():
    x = tf.placeholder(tf.float32, [None, None, 8, 9, 3])
    f = tf.placeholder(tf.float32, [3, 3, 3, 3, 4])
    y = tf.nn.conv3d(x, f, [1, 1, 2, 2, 1], "SAME")
    y2 = tf.nn.conv3d(x, filters=f, strides=S1, padding="VALID", dilations=[1, 1, 2, 1, 1],
                      name="c")
    assert [t.op.name for t in (y, y2)] == ["Conv3D", "c"]
    assert [t.shape.as_list() for t in (y, y2)] == [[None, None, 4, 5, 4], [None, None, 4, 7, 4]]
    assert y.op.get_attr("data_format") == b"NDHWC"
    t = tf.nn.conv3d_transpose(y, f, tf.shape(x), [1, 1, 2, 2, 1])
    assert t.op.type == "Conv3DBackpropInputV2" and t.op.name == "conv3d_transpose"
    assert t.shape.rank == 5
    t2 = tf.nn.conv3d_transpose(y, f, [2, 5, 8, 9, 3], 2, padding="SAME", name="up")
    assert t2.op.name == "up" and t2.shape.as_list() == [2, 5, 8, 9, 3]
    assert t2.op.get_attr("strides") == [1, 2, 2, 2, 1]
    df = tf.nn.conv3d_backprop_filter(x, [3, 3, 3, 3, 4], y, [1, 1, 2, 2, 1], "SAME")
    assert df.op.type == "Conv3DBackpropFilterV2" and df.shape.as_list() == [3, 3, 3, 3, 4]
    assert tf.nn.conv3d_backprop_filter_v2 is tf.nn.conv3d_backprop_filter
    # Gradients: ShapeN feeds both backprop ops, as in TensorFlow's graph.
    dx, dfw = tf.gradients(tf.reduce_sum(y), [x, f])
    assert (dx.op.type, dfw.op.type) == ("Conv3DBackpropInputV2", "Conv3DBackpropFilterV2")
    assert dx.op.inputs[0].op.type == "ShapeN"
    assert dx.shape.as_list() == [None, None, 8, 9, 3]


def test_conv3d_values_ncdhw_and_transpose_adjoint():
    x0, f0 = f32(2, 3, 4, 5, 6), f32(2, 3, 2, 3, 4)
    x = tf.constant(x0)
    y = tf.nn.conv3d(x, f0, [1, 1, 1, 2, 1], "SAME", data_format="NCDHW")
    assert y.shape.as_list() == [2, 4, 4, 3, 6]
    got = run(y)
    close(got, ref_conv3d(x0, f0, [1, 1, 1, 2, 1], "SAME", data_format="NCDHW"))
    # conv3d_transpose is the adjoint of conv3d: <conv(x), dy> == <x, conv_t(dy)>.
    dy0 = f32(*got.shape)
    xt = run(tf.nn.conv3d_transpose(dy0, f0, x0.shape, [1, 1, 1, 2, 1],
                                    data_format="NCDHW"))
    close(np.sum(got * dy0), np.sum(x0 * xt), 1e-3)
    close(xt, ref_conv3d_backprop_input(x0.shape, f0, dy0, [1, 1, 1, 2, 1], "SAME",
                                        data_format="NCDHW"))


def test_pool3d_wrappers_and_unknown_dims():
    x = tf.placeholder(tf.float32, [None, 5, None, 6, 3])
    m = tf.nn.max_pool3d(x, 2, 2, "SAME")
    a = tf.nn.avg_pool3d(x, [1, 3, 1, 2, 1], [1, 2, 1, 2, 1], "VALID", name="avg")
    assert [t.op.name for t in (m, a)] == ["MaxPool3D", "avg"]
    assert m.shape.as_list() == [None, 3, None, 3, 3]
    assert a.shape.as_list() == [None, 2, None, 3, 3]
    x0 = f32(2, 5, 4, 6, 3)
    mv, av = run([m, a], {x: x0})
    close(mv, ref_max_pool3d(x0, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "SAME"))
    close(av, ref_avg_pool3d(x0, [1, 3, 1, 2, 1], [1, 2, 1, 2, 1], "VALID"))
    (g,) = tf.gradients(tf.reduce_sum(a), [x])
    assert g.op.type == "AvgPool3DGrad" and g.shape.as_list() == [None, 5, None, 6, 3]


def test_max_pool_with_argmax_values_index_and_gradient():
    x0 = f32(2, 5, 6, 3)
    x = tf.constant(x0)
    out, arg = tf.nn.max_pool_with_argmax(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")
    assert (out.op.name, out.op.type, arg.dtype) == ("MaxPoolWithArgmax", "MaxPoolWithArgmax",
                                                      tf.int64)
    assert out.shape.as_list() == arg.shape.as_list() == [2, 3, 3, 3]
    res = tf.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID",
                                     output_dtype=tf.int32, include_batch_in_index=True)
    assert res.argmax.dtype == tf.int32 and res.output is res[0]
    o1, a1, a2 = run([out, arg, res.argmax])
    want_o, want_a = ref_max_pool_with_argmax(x0, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")
    close(o1, want_o)
    np.testing.assert_array_equal(a1, want_a)
    np.testing.assert_array_equal(a2, ref_max_pool_with_argmax(
        x0, [1, 2, 2, 1], [1, 2, 2, 1], "VALID", include_batch_in_index=True)[1])
    # The flattened index finds the value: per image, or over the batch.
    np.testing.assert_array_equal(x0.reshape(2, -1)[np.arange(2)[:, None], a1.reshape(2, -1)],
                                  o1.reshape(2, -1))
    np.testing.assert_array_equal(x0.reshape(-1)[a2], run(res.output))
    (g,) = tf.gradients(tf.reduce_sum(out * 2.0), [x])
    assert g.op.type == "MaxPoolGradWithArgmax"
    # TensorFlow registers no gradient for MaxPoolGradWithArgmax.
    with pytest.raises(LookupError):
        tf.gradients(g, [x])


def test_pool_1d_and_v2_dispatch_by_rank():
    x3, x4, x5 = (tf.constant(f32(*s)) for s in ((2, 7, 3), (2, 5, 6, 3), (2, 4, 5, 6, 3)))
    m1 = tf.nn.max_pool1d(x3, 2, 2, "SAME")
    a1 = tf.nn.avg_pool1d(x3, [3], [1], "VALID")
    assert (m1.op.name, a1.op.name) == ("MaxPool1d/Squeeze", "AvgPool1D/Squeeze")
    assert m1.op.inputs[0].op.type == "MaxPool" and m1.shape.as_list() == [2, 4, 3]
    e1 = tf.nn.max_pool1d(x3, 3, 1, [[0, 0], [1, 1], [0, 0]])
    assert e1.op.inputs[0].op.get_attr("explicit_paddings") == [0, 0, 0, 0, 1, 1, 0, 0]
    outs = [tf.nn.max_pool_v2(x, 2, 2, "SAME") for x in (x3, x4, x5)] + \
        [tf.nn.avg_pool_v2(x, 2, 2, "VALID") for x in (x3, x4, x5)]
    types = [o.op.type if o.op.type != "Squeeze" else o.op.inputs[0].op.type for o in outs]
    assert types == ["MaxPool", "MaxPool", "MaxPool3D", "AvgPool", "AvgPool", "AvgPool3D"]
    v = run([m1, a1, e1] + outs)
    x3v = run(x3)
    close(v[0], ref_max_pool(x3v[:, None], [1, 1, 2, 1], [1, 1, 2, 1], "SAME")[:, 0])
    close(v[1], ref_avg_pool(x3v[:, None], [1, 1, 3, 1], [1, 1, 1, 1], "VALID")[:, 0])
    close(v[5], ref_max_pool3d(run(x5), [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "SAME"))


def test_max_pool_v2_op_reads_ksize_and_strides_tensors():
    x = tf.placeholder(tf.float32, [2, 5, 6, 3])
    k = tf.placeholder(tf.int32, [4])
    y = MAX_POOL_V2(x, [1, 2, 2, 1], [1, 2, 2, 1], padding="SAME")
    y2 = MAX_POOL_V2(x, k, [1, 1, 1, 1], padding="VALID")
    assert y.shape.as_list() == [2, 3, 3, 3] and y2.shape.as_list() == [None] * 4
    x0 = f32(2, 5, 6, 3)
    v, v2 = run([y, y2], {x: x0, k: [1, 2, 3, 1]})
    close(v, ref_max_pool(x0, [1, 2, 2, 1], [1, 2, 2, 1], "SAME"))
    close(v2, ref_max_pool(x0, [1, 2, 3, 1], [1, 1, 1, 1], "VALID"))
    (g,) = tf.gradients(tf.reduce_sum(y), [x])
    assert g.op.type == "MaxPoolGradV2"


def test_convolution_and_pool_dispatch_3d():
    x0, f0 = f32(2, 7, 6, 5, 3), f32(3, 2, 3, 3, 4)
    y = tf.nn.convolution(x0, f0, "SAME")
    yd = tf.nn.convolution(x0, f0, "VALID", dilation_rate=[2, 1, 2])
    assert (y.op.type, y.op.name) == ("Conv3D", "convolution")
    assert yd.op.type == "BatchToSpaceND" and yd.op.inputs[0].op.type == "Conv3D"
    p = tf.nn.pool(x0, [2, 2, 2], "MAX", "SAME", strides=[2, 2, 2])
    pd = tf.nn.pool(x0, [2, 2, 2], "AVG", "VALID", dilation_rate=[2, 1, 2])
    assert (p.op.type, p.op.name) == ("MaxPool3D", "max_pool")
    v, vd, pv = run([y, yd, p])
    close(v, ref_conv3d(x0, f0, S1, "SAME"))
    close(vd, ref_conv3d(x0, f0, S1, "VALID", dilations=[1, 2, 1, 2, 1]))
    close(pv, ref_max_pool3d(x0, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "SAME"))
    assert run(pd).shape == (2, 5, 5, 3, 3)


def test_conv1d_transpose_and_atrous_conv2d_transpose_are_adjoints():
    x0, f0 = f32(2, 9, 3), f32(3, 3, 4)  # conv1d's [w, in, out] is the transpose's [w, out, in]
    y = tf.nn.conv1d(x0, f0, 2, "SAME")
    dy0 = f32(2, 5, 4)
    t = tf.nn.conv1d_transpose(dy0, f0, [2, 9, 3], 2)
    assert t.op.type == "Squeeze" and t.op.inputs[0].op.type == "Conv2DBackpropInput"
    yv, tv = run([y, t])
    close(np.sum(yv * dy0), np.sum(x0 * tv), 1e-3)
    for padding in ("SAME", "VALID"):
        tf.reset_default_graph()
        x2, k2 = f32(2, 9, 8, 3), f32(3, 3, 3, 2)  # atrous_conv2d's filters: [.., in, out]
        a = tf.nn.atrous_conv2d(x2, k2, 2, padding)
        dya = f32(*a.shape.as_list())
        at = tf.nn.atrous_conv2d_transpose(dya, k2, [2, 9, 8, 3], 2, padding)
        assert at.op.type == "BatchToSpaceND" and at.shape.as_list() == [2, 9, 8, 3]
        av, atv = run([a, at])
        close(np.sum(av * dya), np.sum(x2 * atv), 1e-3)


# -- errors ----------------------------------------------------------------------------------------


def test_conv3d_errors_with_tensorflow_messages():
    x = tf.placeholder(tf.float32, [2, 5, 6, 7, 3])
    f = tf.placeholder(tf.float32, [3, 3, 3, 3, 4])
    with pytest.raises(ValueError, match="Attr 'data_format' of 'Conv3D' Op passed string "
                                         "'NHWC' not in: \"NDHWC\", \"NCDHW\""):
        tf.nn.conv3d(x, f, S1, "SAME", data_format="NHWC")
    with pytest.raises(ValueError, match="passed string 'EXPLICIT' not in: \"SAME\", \"VALID\""):
        tf.nn.conv3d(x, f, S1, "EXPLICIT")
    with pytest.raises(ValueError, match="passed list of length 4 less than minimum 5"):
        tf.nn.conv3d(x, f, [1, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match=r"Depth of input \(3\) is not a multiple of input "
                                         r"depth of filter \(2\)"):
        tf.nn.conv3d(x, tf.zeros([3, 3, 3, 2, 4]), S1, "SAME")
    with pytest.raises(ValueError, match="Shape must be rank 5 but is rank 4"):
        tf.nn.conv3d(x, tf.zeros([3, 3, 3, 4]), S1, "SAME")
    with pytest.raises(ValueError, match="Negative dimension size caused by subtracting 3 "
                                         "from 2"):
        tf.nn.conv3d(x[:, :2], f, S1, "VALID")
    with pytest.raises(ValueError, match="Stride must be > 0, but got 0"):
        tf.nn.conv3d(x, f, [1, 0, 1, 1, 1], "SAME")
    # As TF's: strides and dilations on the batch dimension build and fail at run time
    xv = np.zeros([2, 5, 6, 7, 3], np.float32)
    fv = np.zeros([3, 3, 3, 3, 4], np.float32)
    with pytest.raises(tf.errors.UnimplementedError, match="does not yet support strides in "
                                                           "the batch and depth dimensions"):
        run(tf.nn.conv3d(x, f, [2, 1, 1, 1, 1], "SAME"), {x: xv, f: fv})
    with pytest.raises(tf.errors.InvalidArgumentError, match="dilations rates in the batch"):
        run(tf.nn.conv3d(x, f, S1, "SAME", dilations=[2, 1, 1, 1, 1]), {x: xv, f: fv})
    with pytest.raises(TypeError, match="parameter 'input' has DataType int32 not in list of "
                                        "allowed values: float16, bfloat16, float32, float64"):
        tf.nn.conv3d(tf.zeros([1, 2, 2, 2, 1], tf.int32), tf.zeros([1, 1, 1, 1, 1], tf.int32),
                     S1, "SAME")
    # A grouped 3-D convolution passes the shape function, and, as TensorFlow's CPU kernel,
    # the kernel refuses it.
    g = tf.nn.conv3d(tf.zeros([1, 3, 3, 3, 6]), tf.zeros([2, 2, 2, 3, 4]), S1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="input and filter must have the "
                                                             "same depth: 6 vs 3"):
        run(g)


def test_pool3d_and_argmax_errors_with_tensorflow_messages():
    x = tf.placeholder(tf.float32, [2, 5, 6, 7, 3])
    with pytest.raises(TypeError, match="parameter 'input' has DataType float64 not in list of "
                                        "allowed values: float16, bfloat16, float32$"):
        tf.nn.max_pool3d(tf.zeros([1, 2, 2, 2, 1], tf.float64), 1, 1, "SAME")
    with pytest.raises(tf.errors.UnimplementedError, match="Pooling is not yet supported on "
                                                           "the batch dimension."):
        tf.nn.max_pool3d(x, [2, 1, 1, 1, 1], 1, "SAME")
    with pytest.raises(tf.errors.UnimplementedError, match="on the depth dimension"):
        tf.nn.avg_pool3d(x, [1, 1, 1, 1, 2], [1, 1, 1, 1, 2], "SAME")
    with pytest.raises(ValueError, match="ksize should be of length 1, 3 or 5"):
        tf.nn.max_pool3d(x, [1, 1, 1, 1], 1, "SAME")
    with pytest.raises(ValueError, match="Sliding window ksize must be positive"):
        tf.nn.max_pool3d(x, [1, 0, 1, 1, 1], 1, "SAME")
    with pytest.raises(ValueError, match="Negative dimension size caused by subtracting 6 "
                                         "from 5"):
        tf.nn.max_pool3d(x, [1, 6, 1, 1, 1], 1, "VALID")
    with pytest.raises(ValueError, match="Shape must be rank 5 but is rank 4"):
        tf.nn.max_pool3d(x[0], 2, 1, "VALID")
    x4 = x[:, 0]
    with pytest.raises(ValueError, match="`data_format` values other  than 'NHWC' are not "
                                         "supported. Received: data_format=NCHW"):
        tf.nn.max_pool_with_argmax(x4, [1, 2, 2, 1], [1, 2, 2, 1], "SAME", data_format="NCHW")
    with pytest.raises(TypeError, match="Expected list for 'ksize' argument"):
        tf.nn.max_pool_with_argmax(x4, 2, [1, 2, 2, 1], "SAME")
    with pytest.raises(TypeError, match="'Targmax' has DataType float32 not in list of "
                                        "allowed values: int32, int64"):
        tf.nn.max_pool_with_argmax(x4, [1, 2, 2, 1], [1, 2, 2, 1], "SAME", Targmax=tf.float32)
    with pytest.raises(TypeError, match="DataType bool not in list of allowed values"):
        tf.nn.max_pool_with_argmax(tf.zeros([1, 2, 2, 1], tf.bool), [1, 1, 1, 1], [1, 1, 1, 1],
                                   "SAME")
    with pytest.raises(ValueError, match="passed string 'EXPLICIT' not in"):
        tf.nn.max_pool_with_argmax(x4, [1, 2, 2, 1], [1, 2, 2, 1], "EXPLICIT")
    with pytest.raises(ValueError, match="Explicit padding is not supported with an input "
                                         "tensor of rank 5"):
        tf.nn.max_pool_v2(x, 2, 2, [[0, 0]] * 5)


# -- tf.layers -------------------------------------------------------------------------------------


def test_conv3d_layer_variables_names_values_and_reuse():
    x0 = f32(2, 5, 6, 7, 3)
    x = tf.placeholder(tf.float32, [None, 5, 6, 7, 3])
    y = tf.layers.conv3d(x, 4, 3, padding="same", activation=tf.nn.relu)
    y2 = tf.layers.conv3d(x, 4, (3, 2, 3), dilation_rate=2, name="dil")
    assert [v.op.name for v in tf.global_variables()] == [
        "conv3d/kernel", "conv3d/bias", "dil/kernel", "dil/bias"]
    assert tf.global_variables()[0].shape.as_list() == [3, 3, 3, 3, 4]
    assert y.shape.as_list() == [None, 5, 6, 7, 4] and y2.shape.as_list() == [None, 1, 4, 3, 4]
    names = {op.name: op.type for op in tf.get_default_graph().get_operations()}
    assert names["conv3d/Conv3D"] == "Conv3D" and names["conv3d/BiasAdd"] == "BiasAdd"
    assert names["dil/Conv3D/SpaceToBatchND"] == "SpaceToBatchND"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        k, k2, b = sess.run(["conv3d/kernel:0", "dil/kernel:0", "conv3d/bias:0"])
        v, v2 = sess.run([y, y2], {x: x0})
    limit = np.sqrt(6 / (27 * 3 + 27 * 4))  # glorot_uniform over the 5-D kernel
    assert np.abs(k).max() <= limit and np.all(b == 0)
    close(v, np.maximum(ref_conv3d(x0, k, S1, "SAME"), 0))
    close(v2, ref_conv3d(x0, k2, S1, "VALID", dilations=[1, 2, 2, 2, 1]))
    # A named layer is reused; the layer object makes its variables on the first call.
    tf.layers.conv3d(x, 4, 3, padding="same", name="conv3d", reuse=True)
    layer = tf.layers.Conv3D(2, [1, 2, 2], strides=(1, 2, 2), data_format="channels_first")
    out = layer(tf.placeholder(tf.float32, [None, 5, 4, 6, 8]))
    layer(tf.placeholder(tf.float32, [None, 5, 4, 6, 8]))
    assert layer.kernel.shape.as_list() == [1, 2, 2, 5, 2] and len(layer.variables) == 2
    assert out.shape.as_list() == [None, 2, 4, 3, 4]
    assert out.op.inputs[0].op.get_attr("data_format") == b"NCDHW"
    with pytest.raises(ValueError, match="`strides > 1` not supported in conjunction with "
                                         "`dilation_rate > 1`"):
        tf.layers.conv3d(x, 4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="expected ndim=5, found ndim=4"):
        tf.layers.conv3d(x[0], 4, 3)
    with pytest.raises(ValueError, match="tuple of 3 integers"):
        tf.layers.conv3d(x, 4, (3, 3))


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv3d_transpose_layer(padding):
    x = tf.placeholder(tf.float32, [None, 3, None, 4, 2])
    y = tf.layers.conv3d_transpose(x, 5, (2, 3, 3), strides=(2, 1, 2), padding=padding)
    dims = [6, None, 8] if padding == "same" else [6, None, 9]
    assert y.shape.as_list() == [None, dims[0], None, dims[2], 5]
    assert tf.global_variables()[0].shape.as_list() == [2, 3, 3, 5, 2]
    t = tf.get_default_graph().get_operation_by_name("conv3d_transpose/conv3d_transpose")
    assert t.type == "Conv3DBackpropInputV2" and t.inputs[0].op.type == "Pack"
    x0 = f32(2, 3, 4, 4, 2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        k = sess.run(tf.global_variables()[0])
        v = sess.run(y, {x: x0})
    out_shape = [2, 6, 4 if padding == "same" else 6, dims[2], 5]
    close(v, ref_conv3d_backprop_input(out_shape, k, x0, [1, 2, 1, 2, 1], padding.upper()))
    obj = tf.layers.Conv3DTranspose(3, 2, strides=2, use_bias=False,
                                    data_format="channels_first")
    o = obj(tf.placeholder(tf.float32, [1, 2, 3, 3, 3]))
    assert o.shape.as_list() == [1, 3, 6, 6, 6] and obj.bias is None


def test_pooling3d_layers_channels_first_transposes():
    x0 = f32(2, 5, 6, 7, 3)
    m = tf.layers.max_pooling3d(x0, 2, 2)
    a = tf.layers.average_pooling3d(np.transpose(x0, (0, 4, 1, 2, 3)), (3, 2, 2), (1, 2, 2),
                                    padding="same", data_format="channels_first")
    assert m.op.name == "max_pooling3d/MaxPool3D"
    assert a.op.name == "average_pooling3d/transpose_1"
    assert a.op.inputs[0].op.type == "AvgPool3D"
    obj = tf.layers.MaxPooling3D([1, 2, 2], 1, padding="same", name="pool")
    o = obj(x0)
    assert o.op.name == "pool/MaxPool3D" and o.shape.as_list() == [2, 5, 6, 7, 3]
    mv, av, ov = run([m, a, o])
    close(mv, ref_max_pool3d(x0, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "VALID"))
    close(av, np.transpose(ref_avg_pool3d(x0, [1, 3, 2, 2, 1], [1, 1, 2, 2, 1], "SAME"),
                           (0, 4, 1, 2, 3)))
    close(ov, ref_max_pool3d(x0, [1, 1, 2, 2, 1], S1, "SAME"))
    assert tf.layers.AveragePooling3D(2, 2)(x0).op.type == "AvgPool3D"


CASES_VS_TF = 56


def test_against_tensorflow():
    run_against_tf("conv3d_vs_tf.py", cases=CASES_VS_TF)


def test_max_pool3d_gradient_goes_to_every_tied_maximum():
    """TF's MaxPool3DGrad masks every element equal (within 1e-5) to the window's maximum;
    values recorded from tf.compat.v1 2.21 (2-D MaxPoolGrad picks the first, as minitf's)."""
    x = tf.constant(np.array([1.0, 1.0, 0.0, 2.0, 2.0, 2.0, 0.0, 0.0],
                             np.float32).reshape(1, 2, 2, 2, 1))
    y = tf.nn.max_pool3d(x, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "VALID")
    with tf.Session() as sess:
        grad = sess.run(tf.gradients(tf.reduce_sum(y), x)[0])
    np.testing.assert_array_equal(grad.ravel(), [0, 0, 0, 1, 1, 1, 0, 0])
