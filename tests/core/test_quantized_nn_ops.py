"""QuantizedRelu/Relu6/ReluX, QuantizedMaxPool/AvgPool, QuantizedConv2D, QuantizedMatMul and
QuantizedBiasAdd (core/ops/quantized_nn_ops.py, quantized_math_ops.py).

TF-free tests check values worked out by hand from TF's formulas, TF's errors and the missing
gradients. The side-by-side test runs one graph builder (``_BUILD``) in minitf and in
TensorFlow 2.21 over many random inputs, shapes, attrs and edge ranges and requires equal bits
(and the same error class where TF refuses). TF runs in a subprocess with
TF_ENABLE_ONEDNN_OPTS=0, as tests/core/test_quantize_ops.py does. TF 2.21 has no kernel for
QuantizedReluX, so its values (with max_value 6) are compared with TF's QuantizedRelu6, whose
kernel code is the same with 6 in place of max_value."""

import importlib.util

import numpy as np
import pytest

import minitf as tf
from minitf import dtypes
from minitf.errors import InvalidArgumentError, UnimplementedError
from minitf.ops.quantized_math_ops import QUANTIZED_BIAS_ADD, QUANTIZED_MATMUL
from minitf.ops.quantized_nn_ops import QUANTIZED_RELU, QUANTIZED_RELU6

from .quantized_side_by_side import (check_graph_def_interop, minitf_results,
                                     tensorflow_results)

f = np.float32


def _q(values, dtype):
    return tf.constant(np.asarray(values), dtype=dtype)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


# -- values by hand -----------------------------------------------------------------------------
def test_relu_family_clamps_at_quantized_zero_and_top():
    # quint8 over [-1, 5]: s = 256 / (6 * 256/255) = 42.5; zero is 0 - round(-42.5) = 43,
    # 3.0 is round(127.5) + 43 = 171 and 6.0 is round(255) + 43 = 298 -> clamped to 255.
    x = np.arange(0, 256, 17)
    with tf.Graph().as_default():
        rx = tf.nn.quantized_relu_x(_q(x, dtypes.quint8), 3.0, -1.0, 5.0)
        r6 = QUANTIZED_RELU6(_q(x, dtypes.quint8), -1.0, 5.0, out_type=dtypes.quint8)
        r = QUANTIZED_RELU(_q(x, dtypes.quint8), -1.0, 5.0, out_type=dtypes.quint8)
        got = _run([rx, r6, r])
    assert type(rx).__name__ == "QuantizedReluX" and rx.activations.dtype == dtypes.quint8
    np.testing.assert_array_equal(got[0][0], np.clip(x, 43, 171))
    np.testing.assert_array_equal(got[1][0], np.maximum(x, 43))
    np.testing.assert_array_equal(got[2][0], np.maximum(x, 43))
    assert got[0][1] == f(-1) and got[0][2] == f(5)  # the range passes through
    # qint32 over [-2, 2]: s = 2^32 / (4 * 2^32/(2^32-1)) = (2^32-1)/4; zero is
    # round(0) - round(-2^31 + 0.5) - 2^31 = 2^31 - 2^31 = 0; 6.0 clamps to 2^31-1.
    v = np.array([-5, 0, 7, 2 ** 31 - 1], np.int32)
    with tf.Graph().as_default():
        got = _run(QUANTIZED_RELU6(_q(v, dtypes.qint32), -2.0, 2.0, out_type=dtypes.qint32))
    np.testing.assert_array_equal(got[0], [0, 0, 7, 2 ** 31 - 1])


def test_max_and_avg_pool_by_hand():
    x = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]).reshape(1, 3, 3, 1)
    with tf.Graph().as_default():
        mp = tf.nn.quantized_max_pool(_q(x, dtypes.quint8), 0.0, 1.0, [1, 2, 2, 1],
                                      [1, 2, 2, 1], "SAME")
        ap = tf.nn.quantized_avg_pool(_q(x, dtypes.quint8), 0.0, 1.0, [1, 2, 2, 1],
                                      [1, 2, 2, 1], "SAME")
        neg = tf.nn.quantized_avg_pool(_q(-x, dtypes.qint8), -1.0, 1.0, [1, 2, 2, 1],
                                       [1, 2, 2, 1], "SAME")
        got = _run([mp, ap, neg])
    assert mp.output.shape.as_list() == [1, 2, 2, 1]
    np.testing.assert_array_equal(got[0][0].reshape(2, 2), [[5, 6], [8, 9]])
    # integer means over the real elements only: 12/4, 9/2, 15/2, 9/1
    np.testing.assert_array_equal(got[1][0].reshape(2, 2), [[3, 4], [7, 9]])
    # C++ integer division truncates toward zero: -9/2 is -4, not -5
    np.testing.assert_array_equal(got[2][0].reshape(2, 2), [[-3, -4], [-7, -9]])
    assert (got[1][1], got[1][2]) == (f(0), f(1))


def test_depthwise_max_pool():
    x = np.arange(8).reshape(1, 1, 2, 4)
    with tf.Graph().as_default():
        mp = tf.nn.quantized_max_pool(_q(x, dtypes.quint8), 0.0, 1.0, [1, 1, 1, 2],
                                      [1, 1, 1, 2], "VALID")
        got = _run(mp)
    np.testing.assert_array_equal(got[0].reshape(2, 2), [[1, 3], [5, 7]])


def test_conv2d_by_hand():
    x = np.array([[10, 20], [30, 40]]).reshape(1, 2, 2, 1)
    w = np.array([[1, 2], [3, 4]]).reshape(2, 2, 1, 1)
    with tf.Graph().as_default():
        # input [0, 1] and filter [0, 255]: both zero points are 0 (0 - round(0) + 0).
        plain = tf.nn.quantized_conv2d(_q(x, dtypes.quint8), _q(w, dtypes.quint8), 0.0, 1.0,
                                       0.0, 255.0, [1, 1, 1, 1], "SAME")
        # input [-1, 1]: zero point 0 - round(-127.5) = 128; filter [-255, 0]: 255.
        shifted = tf.nn.quantized_conv2d(_q(x, dtypes.quint8), _q(w, dtypes.quint8), -1.0,
                                         1.0, -255.0, 0.0, [1, 1, 1, 1], "VALID")
        got = _run([plain, shifted])
    # SAME: pad after (bottom/right); outside adds (zero point - zero point) * w = 0.
    np.testing.assert_array_equal(got[0][0].reshape(2, 2),
                                  [[10 + 40 + 90 + 160, 20 + 120], [30 + 80, 40]])
    want = sum((v - 128) * (k - 255) for v, k in zip([10, 20, 30, 40], [1, 2, 3, 4]))
    assert got[1][0].reshape(-1).tolist() == [want]
    # one level of each: 1/255 and 1.0 -> the product's level 1/255, times -2^31 and 2^31
    assert got[0][1] == f(f(1 / 255) * f(-(2 ** 31))) and got[0][2] == f(f(1 / 255) * f(2 ** 31))


def test_conv2d_quirks_outside_value_and_origin():
    # A range below zero puts the input's zero point past 255 (here 340): TF fills the
    # outside with its low byte (84), which then counts as 84 - 340 = -256 per tap.
    x = np.full((1, 1, 1, 1), 100)
    w = np.ones((1, 3, 1, 1))
    with tf.Graph().as_default():
        out = tf.nn.quantized_conv2d(_q(x, dtypes.quint8), _q(w, dtypes.quint8), -4.0, -1.0,
                                     0.0, 255.0, [1, 1, 1, 1], "SAME")
        got = _run(out)
    assert got[0].reshape(-1).tolist() == [(100 - 340) + 2 * (84 - 340)]
    # VALID, input 9, filter 2, stride 4: the origin offset is ((2 - 1) * 4 + 2 - 9 + 1) / 2,
    # -1 in C++, so the windows start one element on (at 1 and 5, not 0 and 4).
    x = np.arange(9).reshape(1, 1, 9, 1)
    w = np.array([1, 1]).reshape(1, 2, 1, 1)
    with tf.Graph().as_default():
        out = tf.nn.quantized_conv2d(_q(x, dtypes.quint8), _q(w, dtypes.quint8), 0.0, 1.0,
                                     0.0, 255.0, [1, 4, 4, 1], "VALID")
        got = _run(out)
    assert got[0].reshape(-1).tolist() == [1 + 2, 5 + 6]
    # SAME, input 7, filter 1, stride 4: (2 - 1) * 4 + 1 - 7 = -2, halved -1: the windows
    # read elements 1 and 5 where Conv2D reads 0 and 4.
    x = np.arange(7).reshape(1, 1, 7, 1) + 10
    with tf.Graph().as_default():
        out = tf.nn.quantized_conv2d(_q(x, dtypes.quint8), _q(np.ones((1, 1, 1, 1)),
                                                              dtypes.quint8),
                                     0.0, 1.0, 0.0, 255.0, [1, 4, 4, 1], "SAME")
        got = _run(out)
    assert got[0].reshape(-1).tolist() == [11, 15]


def test_matmul_and_bias_add_by_hand():
    a = np.array([[1, 2], [3, 4]])
    with tf.Graph().as_default():
        mm = QUANTIZED_MATMUL(_q(a, dtypes.quint8), _q(a, dtypes.quint8), 0.0, 255.0,
                              -1.0, 1.0, transpose_b=True)
        got = _run(mm)
    # b's zero point: 0 - round(-127.5) = 128
    want = [[sum(a[i, k] * (a[j, k] - 128) for k in range(2)) for j in range(2)]
            for i in range(2)]
    np.testing.assert_array_equal(got[0], want)
    # bias add: the total range is 2^17 times the widest input, symmetric: [-2^17, 2^17] for
    # [0, 1]; there one level is 2^18 / (2^32 - 1), so input 255 (= 1.0) is about 2^14.
    with tf.Graph().as_default():
        ba = QUANTIZED_BIAS_ADD(_q([[255, 0]], dtypes.quint8), _q([0, 255], dtypes.quint8),
                                0.0, 1.0, 0.0, 1.0, out_type=dtypes.qint32)
        got = _run(ba)
    assert (got[1], got[2]) == (f(-(2 ** 17)), f(2 ** 17))
    np.testing.assert_allclose(got[0], [[2 ** 14, 2 ** 14]], atol=2)


# -- errors, as TF's ----------------------------------------------------------------------------
def test_construction_errors_are_tfs():
    with tf.Graph().as_default():
        x = _q(np.zeros((1, 4, 4, 3)), dtypes.quint8)
        with pytest.raises(TypeError, match="DataType float32 not in list of allowed values"):
            tf.nn.quantized_relu_x(tf.constant(1.0), 3.0, -1.0, 5.0)
        with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
            tf.nn.quantized_relu_x(x, 3.0, [-1.0, 0.0], 5.0)
        with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3"):
            tf.nn.quantized_max_pool(x[0], 0.0, 1.0, [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
        with pytest.raises(ValueError, match="MaxPool requires the ksize attribute to contain "
                                             "4 values, but got: 3"):
            tf.nn.quantized_max_pool(x, 0.0, 1.0, [1, 1, 1], [1, 1, 1, 1], "SAME")
        with pytest.raises(ValueError, match="Stride must be > 0, but got 0"):
            tf.nn.quantized_avg_pool(x, 0.0, 1.0, [1, 1, 1, 1], [1, 0, 1, 1], "VALID")
        with pytest.raises(ValueError, match="Negative dimension size caused by subtracting 5 "
                                             "from 4"):
            tf.nn.quantized_avg_pool(x, 0.0, 1.0, [1, 5, 1, 1], [1, 1, 1, 1], "VALID")
        with pytest.raises(ValueError, match="not in: \"SAME\", \"VALID\""):
            tf.nn.quantized_avg_pool(x, 0.0, 1.0, [1, 1, 1, 1], [1, 1, 1, 1], "EXPLICIT")
        w = _q(np.zeros((2, 2, 2, 4)), dtypes.quint8)
        with pytest.raises(ValueError, match=r"Depth of input \(3\) is not a multiple of input "
                                             r"depth of filter \(2\)"):
            tf.nn.quantized_conv2d(x, w, 0.0, 1.0, -1.0, 1.0, [1, 1, 1, 1], "SAME")
        with pytest.raises(ValueError, match="requires the stride attribute to contain 4"):
            tf.nn.quantized_conv2d(x, w, 0.0, 1.0, -1.0, 1.0, [1, 1, 1], "SAME")
        with pytest.raises(TypeError, match="'out_type' has DataType float32"):
            tf.nn.quantized_conv2d(x, w, 0.0, 1.0, -1.0, 1.0, [1, 1, 1, 1], "SAME",
                                   out_type=tf.float32)
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 2"):
            QUANTIZED_MATMUL(_q(np.zeros((2, 3)), dtypes.quint8),
                             _q(np.zeros((2, 3)), dtypes.quint8), 0.0, 1.0, 0.0, 1.0)


@pytest.mark.parametrize("build, error, message", [
    (lambda x: tf.nn.quantized_relu_x(_q(x, dtypes.qint8), 3.0, -1.0, 5.0,
                                      out_type=dtypes.qint8),
     InvalidArgumentError, "No OpKernel was registered to support Op 'QuantizedReluX'"),
    (lambda x: QUANTIZED_RELU(_q(x, dtypes.qint32), 0.0, 1.0, out_type=dtypes.quint8),
     InvalidArgumentError, r"\[Tinput=DT_QINT32, out_type=DT_QUINT8\]"),
    (lambda x: QUANTIZED_RELU(_q(x, dtypes.quint8), tf.placeholder_with_default(
        f([0, 1]), None), 1.0, out_type=dtypes.quint8),
     InvalidArgumentError, "`min_input` must be rank 0 but is rank 1"),
    (lambda x: tf.nn.quantized_max_pool(_q(x, dtypes.qint32), 0.0, 1.0, [1, 2, 2, 1],
                                        [1, 2, 2, 1], "SAME"),
     InvalidArgumentError, "No OpKernel was registered to support Op 'QuantizedMaxPool'"),
    (lambda x: tf.nn.quantized_max_pool(_q(x, dtypes.quint8), 0.0, 1.0, [2, 1, 1, 1],
                                        [1, 1, 1, 1], "SAME"),
     UnimplementedError, "Pooling is not yet supported on the batch dimension."),
    (lambda x: tf.nn.quantized_max_pool(_q(x, dtypes.quint8), 0.0, 1.0, [1, 1, 1, 3],
                                        [1, 1, 1, 3], "SAME"),
     UnimplementedError, "depth window to evenly divide the input depth"),
    (lambda x: tf.nn.quantized_max_pool(_q(x, dtypes.quint8), 0.0, 1.0, [1, 1, 1, 2],
                                        [1, 1, 1, 1], "VALID"),
     UnimplementedError, "depth window to equal the depth stride"),
    (lambda x: tf.nn.quantized_max_pool(_q(x, dtypes.quint8), 0.0, 1.0, [1, 2, 1, 2],
                                        [1, 1, 1, 2], "VALID"),
     UnimplementedError, "exactly one of pooling across depth or pooling across width"),
    (lambda x: tf.nn.quantized_max_pool(_q(x, dtypes.quint8), 0.0, 1.0, [1, 0, 1, 1],
                                        [1, 1, 1, 1], "VALID"),
     InvalidArgumentError, "Sliding window ksize must be positive. The specified or inferred "
                           "ksize is: 1,0,1,1"),
    (lambda x: tf.nn.quantized_avg_pool(_q(x, dtypes.quint8), 0.0, 1.0, [1, 1, 1, 2],
                                        [1, 1, 1, 2], "SAME"),
     UnimplementedError, "Non-spatial pooling is not yet supported"),
    (lambda x: tf.nn.quantized_avg_pool(_q(x, dtypes.quint8), tf.placeholder_with_default(
        f([0, 1]), None), 1.0, [1, 1, 1, 1], [1, 1, 1, 1], "VALID"),
     InvalidArgumentError, r"min_input shape must be rank 0 but is rank 1, received shape: \[2\]"),
    (lambda x: tf.nn.quantized_avg_pool(tf.placeholder_with_default(
        _q(x[0], dtypes.quint8), None), 0.0, 1.0, [1, 1, 1, 1], [1, 1, 1, 1], "VALID"),
     InvalidArgumentError, "tensor_in_shape must have 2 spatial dimensions. 3 0"),
    (lambda x: tf.nn.quantized_conv2d(_q(x, dtypes.qint8), _q(np.ones((1, 1, 4, 2)),
                                                               dtypes.qint8),
                                      0.0, 1.0, -1.0, 1.0, [1, 1, 1, 1], "SAME"),
     InvalidArgumentError, "No OpKernel was registered to support Op 'QuantizedConv2D'"),
    (lambda x: tf.nn.quantized_conv2d(_q(x, dtypes.quint8), _q(np.ones((1, 1, 4, 2)),
                                                                dtypes.quint8),
                                      0.0, 1.0, -1.0, 1.0, [1, 1, 1, 1], "SAME",
                                      dilations=[1, 2, 2, 1]),
     InvalidArgumentError, "only supports dilated rate as 1 in the row and column"),
    (lambda x: tf.nn.quantized_conv2d(_q(x, dtypes.quint8), _q(np.ones((1, 1, 4, 2)),
                                                                dtypes.quint8),
                                      0.0, 1.0, -1.0, 1.0, [1, 2, 3, 1], "SAME"),
     InvalidArgumentError, "only supports equal length strides in the row and column"),
    (lambda x: tf.nn.quantized_conv2d(_q(x, dtypes.quint8), _q(np.ones((1, 1, 4, 2)),
                                                                dtypes.quint8),
                                      0.0, 1.0, -1.0, 1.0, [2, 1, 1, 1], "SAME"),
     InvalidArgumentError, "does not yet support strides in the batch and depth"),
    (lambda x: tf.nn.quantized_conv2d(tf.placeholder_with_default(_q(x, dtypes.quint8), None),
                                      tf.placeholder_with_default(
                                          _q(np.ones((1, 1, 2, 2)), dtypes.quint8), None),
                                      0.0, 1.0, -1.0, 1.0, [1, 1, 1, 1], "SAME"),
     InvalidArgumentError, "input and filter must have the same depth: 4 vs 2"),
    (lambda x: tf.nn.quantized_conv2d(_q(x[:0], dtypes.quint8), _q(np.ones((1, 1, 4, 2)),
                                                                    dtypes.quint8),
                                      0.0, 1.0, -1.0, 1.0, [1, 1, 1, 1], "SAME"),
     InvalidArgumentError, "Shapes dimension cannot be 0"),
    (lambda x: QUANTIZED_MATMUL(_q(np.zeros((2, 3)), dtypes.quint8),
                                _q(np.zeros((3, 2)), dtypes.quint8), 1.0, 1.0, 0.0, 1.0),
     InvalidArgumentError, "max_a must be larger than min_a."),
    (lambda x: QUANTIZED_MATMUL(tf.placeholder_with_default(_q(np.zeros((2, 3)),
                                                               dtypes.quint8), None),
                                tf.placeholder_with_default(_q(np.zeros((2, 3)),
                                                               dtypes.quint8), None),
                                0.0, 1.0, 0.0, 1.0),
     InvalidArgumentError, r"Matrix size-incompatible: In\[0\]: \[2,3\], In\[1\]: \[2,3\]"),
    (lambda x: QUANTIZED_BIAS_ADD(tf.placeholder_with_default(_q(x, dtypes.quint8), None),
                                  tf.placeholder_with_default(_q([1, 2], dtypes.quint8), None),
                                  0.0, 1.0, 0.0, 1.0, out_type=dtypes.qint32),
     InvalidArgumentError, r"Must provide as many biases as the last dimension of the input "
                           r"tensor: \[2\] vs. \[2,4,4,4\]"),
])
def test_run_time_errors_are_tfs(build, error, message):
    x = np.arange(2 * 4 * 4 * 4).reshape(2, 4, 4, 4) % 200
    with tf.Graph().as_default():
        out = build(x)
        with pytest.raises(error, match=message):
            _run(out)


def test_no_gradients_as_in_tf():
    with tf.Graph().as_default():
        lo = tf.constant(0.0)
        out = tf.nn.quantized_avg_pool(_q(np.zeros((1, 2, 2, 1)), dtypes.quint8), lo, 1.0,
                                       [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
        with pytest.raises(LookupError, match="QuantizedAvgPool"):
            tf.gradients(out.min_output, lo)


# -- side by side with TensorFlow ---------------------------------------------------------------
_BUILD = r'''
import numpy as np


def build(t, spec, a):
    op, kw = spec["op"], dict(spec["attrs"])
    tf1 = hasattr(t, "raw_ops")
    q = lambda name, T: t.constant(a[name], dtype=getattr(t.dtypes, T))  # noqa: E731
    r = [a[n] for n in spec["ranges"]]
    if tf1:
        raw = t.raw_ops
    else:
        from minitf.ops import quantized_math_ops as m, quantized_nn_ops as n
        raw = None
    if op in ("relu", "relu6", "relux"):
        T = getattr(t.dtypes, kw["T"])
        x = q(spec["x"], kw["T"])
        if op == "relux":
            if not tf1:
                return list(t.nn.quantized_relu_x(x, r[2], r[0], r[1], out_type=T))
            op = "relu6"  # TF 2.21 links no QuantizedReluX kernel; max_value is 6 here
        if op == "relu":
            if tf1:
                return list(raw.QuantizedRelu(features=x, min_features=r[0], max_features=r[1],
                                              out_type=T))
            return n.QUANTIZED_RELU(x, r[0], r[1], out_type=T)
        if tf1:
            return list(raw.QuantizedRelu6(features=x, min_features=r[0], max_features=r[1],
                                           out_type=T))
        return n.QUANTIZED_RELU6(x, r[0], r[1], out_type=T)
    if op in ("max_pool", "avg_pool"):
        x = q(spec["x"], kw.pop("T"))
        return list(getattr(t.nn, "quantized_" + op)(x, r[0], r[1], **kw))
    if op == "conv":
        x, w = q(spec["x"], "quint8"), q(spec["w"], "quint8")
        return list(t.nn.quantized_conv2d(x, w, *r, **kw))
    if op == "matmul":
        x, w = q(spec["x"], "quint8"), q(spec["w"], "quint8")
        if tf1:
            return list(raw.QuantizedMatMul(a=x, b=w, min_a=r[0], max_a=r[1], min_b=r[2],
                                            max_b=r[3], **kw))
        return m.QUANTIZED_MATMUL(x, w, *r, **kw)
    if op == "bias_add":
        T = kw.pop("T")
        x, b = q(spec["x"], T), q(spec["w"], T)
        if tf1:
            return list(raw.QuantizedBiasAdd(input=x, bias=b, min_input=r[0], max_input=r[1],
                                             min_bias=r[2], max_bias=r[3],
                                             out_type=t.dtypes.qint32))
        return m.QUANTIZED_BIAS_ADD(x, b, *r, out_type=t.dtypes.qint32)
    raise ValueError(op)


def run_all(t, specs, a):
    """Each spec's outputs, or the name of the error class it raised: running, TF's exact
    class; building, the builtin one (minitf's shape errors subclass ValueError)."""
    out = []
    for spec in specs:
        g = t.Graph()
        with g.as_default():
            try:
                fetches = build(t, spec, a)
            except (TypeError, ValueError) as e:  # at construction: TF's builtin classes
                out.append("build " + ("TypeError" if isinstance(e, TypeError)
                                       else "ValueError"))
                continue
            with t.Session() as sess:
                try:
                    out.append(sess.run(fetches))
                except Exception as e:  # noqa: BLE001 - compared with the other side
                    out.append(type(e).__name__)
    return out
'''

_RANGES = [(-1, 1), (-2.5, 3), (0, 0), (0.5, 0.5), (-6, -0.16), (0.25, 4), (-1e-3, 1e-3),
           (-100, 100), (0, 255 / 64), (-3.7, 0), (-1e-36, 1e-36), (0, 3e-38), (-3e38, 3e38),
           (1e-3, 2e-3), (-20, -10), (0, 6), (-1e30, 1e30)]
_INFO = {"quint8": (0, 255), "qint8": (-128, 127), "qint32": (-(2 ** 31), 2 ** 31 - 1)}


def _specs():
    """Random inputs over every op, type, attr and edge range."""
    rng, arrays, specs = np.random.default_rng(2024), {}, []

    def arr(v):
        arrays[f"a{len(arrays)}"] = np.asarray(v)
        return f"a{len(arrays) - 1}"

    def ints(T, shape):
        lo, hi = _INFO[T]
        if T == "qint32" and rng.random() < 0.5:
            lo, hi = -3000, 3000
        return arr(rng.integers(lo, hi, shape, endpoint=True))

    def rng_pair():
        lo, hi = _RANGES[rng.integers(len(_RANGES))]
        if rng.random() < 0.3:
            lo, hi = sorted(rng.uniform(-10, 10, 2))
        return [arr(f(lo)), arr(f(hi))]

    for _ in range(150):
        T = ["quint8", "qint32", "quint8", "qint32", "qint8"][rng.integers(5)]
        op = ["relu", "relu6", "relux"][rng.integers(3)]
        specs.append(dict(op=op, x=ints(T, (3, 7)), ranges=rng_pair() + [arr(f(6))],
                          attrs=dict(T=T)))
    for _ in range(220):
        op = ["max_pool", "avg_pool"][rng.integers(2)]
        T = ["quint8", "qint8", "quint8", "qint8", "qint32"][rng.integers(5)]
        n, h, w, c = (int(rng.integers(1, 3)), int(rng.integers(1, 8)),
                      int(rng.integers(1, 8)), int(rng.integers(1, 5)))
        ksize = [1, int(rng.integers(1, 5)), int(rng.integers(1, 5)), 1]
        strides = [1, int(rng.integers(1, 4)), int(rng.integers(1, 4)), 1]
        if rng.random() < 0.08:  # depthwise max pooling (and its errors)
            ksize, strides = [1, 1, 1, int(rng.integers(1, 4))], [1, 1, 1, int(rng.integers(1, 4))]
        padding = ["SAME", "VALID"][rng.integers(2)]
        specs.append(dict(op=op, x=ints(T, (n, h, w, c)), ranges=rng_pair(),
                          attrs=dict(T=T, ksize=ksize, strides=strides, padding=padding)))
    for _ in range(160):
        n, h, w, c = (int(rng.integers(1, 3)), int(rng.integers(1, 9)),
                      int(rng.integers(1, 9)), int(rng.integers(1, 4)))
        kh, kw, o = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        s = int(rng.integers(1, 5))
        padding = ["SAME", "VALID"][rng.integers(2)]
        if padding == "VALID" and (kh > h or kw > w):  # TF aborts on an empty output
            kh, kw = min(kh, h), min(kw, w)
        specs.append(dict(op="conv", x=ints("quint8", (n, h, w, c)),
                          w=ints("quint8", (kh, kw, c, o)), ranges=rng_pair() + rng_pair(),
                          attrs=dict(strides=[1, s, s, 1], padding=padding)))
    for _ in range(80):
        m, k, n = (int(v) for v in rng.integers(1, 7, 3))
        ta, tb = bool(rng.integers(2)), bool(rng.integers(2))
        specs.append(dict(op="matmul", x=ints("quint8", (k, m) if ta else (m, k)),
                          w=ints("quint8", (n, k) if tb else (k, n)),
                          ranges=rng_pair() + rng_pair(),
                          attrs=dict(transpose_a=ta, transpose_b=tb)))
    for _ in range(80):
        T = ["quint8", "qint8"][rng.integers(2)]
        shape = [int(v) for v in rng.integers(1, 5, int(rng.integers(2, 4)))]
        specs.append(dict(op="bias_add", x=ints(T, shape), w=ints(T, shape[-1:]),
                          ranges=rng_pair() + rng_pair(), attrs=dict(T=T)))
    return specs, arrays


def test_side_by_side_bits_match_tensorflow(tmp_path):
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("needs tensorflow")
    specs, arrays = _specs()
    want = tensorflow_results(_BUILD, specs, arrays, tmp_path)
    got = minitf_results(_BUILD, specs, arrays)
    mismatches, compared, errors = [], 0, 0
    for i, (spec, g) in enumerate(zip(specs, got)):
        if f"{i}_err" in want:
            errors += 1
            if g != str(want[f"{i}_err"]):
                mismatches.append((i, spec, str(want[f"{i}_err"]), g))
            continue
        if isinstance(g, str):
            mismatches.append((i, spec, "ok", g))
            continue
        for j, v in enumerate(g):
            w, v = want[f"{i}_{j}"], np.asarray(v)
            compared += 1
            if w.dtype != v.dtype or w.shape != v.shape or w.tobytes() != v.tobytes():
                mismatches.append((i, spec, j, w.ravel()[:6], v.ravel()[:6]))
                break
    assert not mismatches, f"{len(mismatches)} of {len(specs)} differ: {mismatches[:8]}"
    assert compared > 1500 and errors > 20  # the battery really ran, values and errors


# -- GraphDef interop ---------------------------------------------------------------------------
_NAMES = ["rl:0", "r6:0", "mp:0", "ap:0", "cv:0", "cv:1", "cv:2", "mm:0", "mm:2", "ba:0",
          "ba:1"]

# Graph code both sides build (``t`` is minitf or tf.compat.v1): every op as a raw node.
_INTEROP_GRAPH = '''
t = tf1 if "tf1" in globals() else tf
if "tf1" in globals():
    R = tf1.raw_ops
    relu = lambda x, lo, hi, name: R.QuantizedRelu(features=x, min_features=lo,
                                                    max_features=hi, out_type=x.dtype, name=name)
    relu6 = lambda x, lo, hi, name: R.QuantizedRelu6(features=x, min_features=lo,
                                                      max_features=hi, out_type=x.dtype,
                                                      name=name)
    matmul = lambda a, b, *r, name: R.QuantizedMatMul(a=a, b=b, min_a=r[0], max_a=r[1],
                                                       min_b=r[2], max_b=r[3],
                                                       transpose_b=True, name=name)
    bias_add = lambda x, b, *r, name: R.QuantizedBiasAdd(input=x, bias=b, min_input=r[0],
                                                          max_input=r[1], min_bias=r[2],
                                                          max_bias=r[3], out_type=t.qint32,
                                                          name=name)
else:
    from minitf.ops import quantized_math_ops as m, quantized_nn_ops as n
    relu = lambda x, lo, hi, name: n.QUANTIZED_RELU(x, lo, hi, out_type=x.dtype, name=name)
    relu6 = lambda x, lo, hi, name: n.QUANTIZED_RELU6(x, lo, hi, out_type=x.dtype, name=name)
    matmul = lambda a, b, *r, name: m.QUANTIZED_MATMUL(a, b, *r, transpose_b=True, name=name)
    bias_add = lambda x, b, *r, name: m.QUANTIZED_BIAS_ADD(x, b, *r, out_type=t.qint32,
                                                           name=name)
x = t.constant((np.arange(2 * 5 * 5 * 3) * 37 % 256).reshape(2, 5, 5, 3), dtype=t.quint8)
w = t.constant((np.arange(3 * 3 * 3 * 2) * 91 % 256).reshape(3, 3, 3, 2), dtype=t.quint8)
m8 = t.constant((np.arange(12) * 53 % 256).reshape(3, 4), dtype=t.quint8)
relu(x, -1.0, 3.0, name="rl")
relu6(t.constant(np.arange(-6, 6) * 99999, dtype=t.qint32), -20.0, 20.0, name="r6")
t.nn.quantized_max_pool(x, -1.0, 3.0, [1, 2, 3, 1], [1, 2, 1, 1], "SAME", name="mp")
t.nn.quantized_avg_pool(x, -1.0, 3.0, [1, 3, 2, 1], [1, 1, 2, 1], "VALID", name="ap")
t.nn.quantized_conv2d(x, w, -1.0, 3.0, -0.5, 0.25, [1, 2, 2, 1], "SAME", name="cv")
matmul(m8, m8, -2.0, 1.0, 0.0, 4.0, name="mm")
bias_add(m8, m8[0], -2.0, 1.0, -1.0, 4.0, name="ba")
'''

def test_graph_def_interop_with_tensorflow(tmp_path):
    """Every op crosses both ways through GraphDef bytes and gives TF's bits."""
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("needs tensorflow")
    g2 = check_graph_def_interop(_INTEROP_GRAPH, _NAMES, tmp_path)
    assert g2.get_tensor_by_name("cv:0").dtype == dtypes.qint32
