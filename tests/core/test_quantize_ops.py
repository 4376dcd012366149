"""Quantized dtypes (qint8, quint8, qint16, quint16, qint32) and the ops on them: QuantizeV2,
Dequantize, QuantizedConcat, QuantizeAndDequantizeV2/V3/V4 and V4Grad.

TF-free tests check hand-computed values, TF's errors and the dtypes' TensorProto round trip.
The side-by-side tests run the same graph-building code (``_BUILD``) in minitf and in
TensorFlow 2.21 over many random inputs, every mode, round mode, per-axis ranges and edge
ranges, and require equal bits. TensorFlow runs in a subprocess with TF_ENABLE_ONEDNN_OPTS=0:
its oneDNN graph rewrite replaces some SCALED QuantizeV2/Dequantize nodes by _Mkl kernels (which
fail on qint32, for one), and minitf follows TF's reference CPU kernels."""

import importlib.util

import numpy as np
import pytest

import minitf as tf
from minitf import dtypes
from minitf.errors import InvalidArgumentError, UnimplementedError
from minitf.export import graph_def as gdef
from minitf.export import tensors
from minitf.ops.quantize_and_dequantize_ops import QDQ_V3, QDQ_V4_GRAD

from .quantized_side_by_side import (check_graph_def_interop, minitf_results,
                                     tensorflow_results)

R = np.random.default_rng(1234)
f = np.float32
QTYPES = ["qint8", "quint8", "qint16", "quint16", "qint32"]


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


# -- dtypes -------------------------------------------------------------------------------------
def test_quantized_dtypes_are_tfs():
    want = {"qint8": (11, np.int8, 1), "quint8": (12, np.uint8, 1), "qint16": (15, np.int16, 2),
            "quint16": (16, np.uint16, 2), "qint32": (13, np.int32, 4)}
    for name, (enum, storage, size) in want.items():
        d = getattr(dtypes, name)
        assert (d.name, d.as_datatype_enum, d.size) == (name, enum, size)
        assert d.as_numpy_dtype == np.dtype([(name, storage)])  # TF's one-field record
        assert d.is_quantized and not d.is_integer and not d.is_floating and not d.is_unsigned
        assert dtypes.as_dtype(name) is d and dtypes.as_dtype(enum) is d
        assert dtypes.as_dtype(enum + 100) is d  # a *_REF enum
        assert dtypes.as_dtype(np.dtype([(name, storage)])) is d
        assert d.real_dtype is d and d.base_dtype is d
        for bound in ("min", "max"):
            with pytest.raises(TypeError, match="quantized type"):
                getattr(d, bound)
    assert dtypes.QUANTIZED_DTYPES == {dtypes.qint8, dtypes.quint8, dtypes.qint16,
                                       dtypes.quint16, dtypes.qint32}
    assert not dtypes.int8.is_quantized and dtypes.as_dtype(np.int8) is dtypes.int8


def test_constant_of_a_quantized_dtype_follows_tf():
    a = tf.constant(np.array([1, 2, -3]), dtype=dtypes.qint8)
    b = tf.constant([(1,), (2,)], dtype=dtypes.quint16)  # Python values: one tuple per element
    c = tf.constant(np.array(7), dtype=dtypes.qint32, shape=[3])
    assert (a.dtype, b.dtype, c.dtype) == (dtypes.qint8, dtypes.quint16, dtypes.qint32)
    assert tf.make_ndarray(a.op.get_attr("value")).dtype == dtypes.qint8.as_numpy_dtype  # as TF's
    with pytest.raises(TypeError, match="Expected qint8, but got 1 of type 'int'"):
        tf.constant([1, 2], dtype=dtypes.qint8)
    with pytest.raises(TypeError, match="Expected quint8, but got 5 of type 'int'"):
        tf.constant(5, dtype=dtypes.quint8)
    va, vb, vc = _run([a, b, c])  # values are the storage integers, as TF's Session.run gives
    assert va.dtype == np.int8 and va.tolist() == [1, 2, -3]
    assert vb.dtype == np.uint16 and vb.tolist() == [1, 2]
    assert vc.dtype == np.int32 and vc.tolist() == [7, 7, 7]
    p = tf.placeholder(dtypes.quint8, [2])
    assert _run(tf.identity(p), {p: [3, 255]}).tolist() == [3, 255]
    records = np.array([(4,), (5,)], dtypes.quint8.as_numpy_dtype)  # TF's numpy form feeds too
    assert _run(tf.identity(p), {p: records}).tolist() == [4, 5]


def test_tensor_proto_round_trip():
    for name, content, scalar in (("qint8", b"\x01\xfd", [-3]), ("quint8", b"\x01\xfd", [253]),
                                  ("qint16", b"\x01\x00\xfd\xff", [-3]),
                                  ("quint16", b"\x01\x00\xfd\xff", [65533]),
                                  ("qint32", b"\x01\x00\x00\x00\xfd\xff\xff\xff", [-3])):
        d = getattr(dtypes, name)
        p = tensors.make_tensor_proto(np.array([1, -3]).astype(d._np), dtype=d)
        assert p.dtype == d.as_datatype_enum and p.tensor_content == content
        back = tensors.make_ndarray(p)
        assert back.dtype == d.as_numpy_dtype and back.view(d._np).tolist() == \
            np.array([1, -3]).astype(d._np).tolist()
        s = tensors.make_tensor_proto(np.array(-3).astype(d._np), dtype=d)  # TF: scalars in int_val
        assert list(s.int_val) == scalar and not s.tensor_content
        assert tensors.make_ndarray(s).view(d._np).tolist() == scalar[0]
        p.ClearField("tensor_content")
        p.int_val.extend([4])  # a short value list repeats its last value
        assert tensors.make_ndarray(p).view(d._np).tolist() == [4, 4]


def test_graph_def_round_trip_keeps_quantized_constants():
    g = tf.Graph()
    with g.as_default():
        tf.constant(np.arange(6).reshape(2, 3), dtype=dtypes.qint16, name="a")
        tf.constant(np.array(200), dtype=dtypes.quint8, name="b")
        q = tf.quantization.quantize(np.array([0.1, -0.5], f), -1.0, 1.0, dtypes.qint8, name="q")
    gd = gdef.graph_to_graph_def(g)
    node = {n.name: n for n in gd.node}
    assert node["a"].attr["dtype"].type == 15 and node["a"].attr["value"].tensor.dtype == 15
    assert node["b"].attr["value"].tensor.int_val == [200]
    assert node["q"].attr["T"].type == 11
    g2 = gdef.graph_from_graph_def(gdef.parse_graph_def(gd.SerializeToString(), "test"))
    with g2.as_default():
        a, b, qo = _run(["a:0", "b:0", q.output.name])
    assert a.dtype == np.int16 and a.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert b.dtype == np.uint8 and int(b) == 200
    assert qo.tolist() == [12, -64] and g2.get_tensor_by_name("q:0").dtype == dtypes.qint8


# -- hand-computed values -----------------------------------------------------------------------
def test_quantize_values_by_hand():
    x = np.array([0.1, -0.5, 0.3, 1.2, 2.0, -3.0], f)
    # MIN_COMBINED qint8 on [-1, 1]: (x + 1) * 255/2 - 128, rounded half away, clamped.
    q = tf.quantization.quantize(x, -1.0, 1.0, dtypes.qint8)
    # quint8 on [0, 6]: x * 42.5 + 0.5, truncated.
    u = tf.quantization.quantize(np.array([0, 3, 6, 1.5], f), 0.0, 6.0, dtypes.quint8)
    # SCALED qint8 on [-1, 127/64]: scale 64 = min(-128/-1, 127/(127/64)); ties at +-k.5.
    ties = np.array([2.5, -1.5, 0.5, -0.5, 10], f) / 64
    sa = tf.quantization.quantize(ties, -1.0, 127 / 64, dtypes.qint8, mode="SCALED")
    se = tf.quantization.quantize(ties, -1.0, 127 / 64, dtypes.qint8, mode="SCALED",
                                  round_mode="HALF_TO_EVEN")
    # MIN_FIRST quint8 on [0, 1]: round(x * 255) - round(0 * 255).
    mf = tf.quantization.quantize(np.array([0.5, 1.0, 0.2], f), 0.0, 1.0, dtypes.quint8,
                                  mode="MIN_FIRST")
    # min == max == 0.5: min widens to 0; max = max(0.5, 0 + max(1, 0.5) * 0.01).
    eq = tf.quantization.quantize(np.array([0.25], f), 0.5, 0.5, dtypes.quint8)
    got = _run([q, u, sa, se, mf, eq])
    assert got[0].output.tolist() == [12, -64, 38, 127, 127, -128]
    assert (got[0].output_min, got[0].output_max) == (-1.0, 1.0)
    assert got[1].output.tolist() == [0, 128, 255, 64]
    assert got[2].output.tolist() == [3, -2, 1, -1, 10]
    assert got[3].output.tolist() == [2, -2, 0, 0, 10]
    assert (got[2].output_min, got[2].output_max) == (-2.0, f(127 / 64))
    assert got[4].output.tolist() == [128, 255, 51]
    assert (got[5].output_min, got[5].output_max) == (0.0, 0.5)
    assert got[5].output.tolist() == [128]  # 0.25 * 510 + 0.5 = 128


def test_dequantize_values_by_hand():
    q8 = tf.constant(np.array([12, -128, 127, 3]), dtype=dtypes.qint8)
    mc = tf.quantization.dequantize(q8, -1.0, 1.0)  # (q + 128) * 2/255 - 1
    sc = tf.quantization.dequantize(q8, -2.0, 127 / 64, mode="SCALED")  # q * 1/64
    qu = tf.constant(np.array([0, 128, 255]), dtype=dtypes.quint8)
    mf = tf.quantization.dequantize(qu, 0.0, 1.0, mode="MIN_FIRST")  # q / 255
    q2 = tf.constant(np.array([[1, 2], [3, 4]]), dtype=dtypes.qint8)
    per = tf.quantization.dequantize(q2,
                                     [-1.0, -2.0], [1.0, 2.0], mode="SCALED", axis=1)
    a, b, c, d = _run([mc, sc, mf, per])
    np.testing.assert_allclose(a, [140 * 2 / 255 - 1, -1, 1, 131 * 2 / 255 - 1], atol=1e-7)
    assert b.tolist() == [12 / 64, -2.0, 127 / 64, 3 / 64]
    np.testing.assert_allclose(c, [0, 128 / 255, 1], rtol=1e-6)
    np.testing.assert_allclose(d, [[1 / 127, 4 / 127], [3 / 127, 8 / 127]], rtol=1e-6)


def test_quantize_and_dequantize_values_by_hand():
    x = np.array([0.5, -0.5, 2.0, -1.5], f)
    # signed 8 bits on [-1, 1]: scale 127 (the max side), levels k/127; range given: clamped.
    even = tf.quantization.quantize_and_dequantize(x, -1.0, 1.0, range_given=True)
    up = tf.quantization.quantize_and_dequantize(x, -1.0, 1.0, range_given=True,
                                                 round_mode="HALF_UP")
    # unsigned 4 bits on [0, 3]: scale 5, levels k/5 (0.5 * 5 = 2.5 rounds to even 2).
    u4 = tf.quantization.quantize_and_dequantize_v2(np.array([0.5, -1.0, 3.5], f), 0.0, 3.0,
                                                    signed_input=False, num_bits=4,
                                                    range_given=True)
    # the range from the input itself: [-2, 1] -> scale 64 (the min side), levels k/64.
    own = tf.quantization.quantize_and_dequantize(np.array([-2.0, 1.0, 0.1], f), 0.0, 0.0)
    v3 = QDQ_V3(x, -1.0, 1.0, 2)  # 2 bits: levels -2..1, scale 1 (max side)
    a, b, c, d, e = _run([even, up, u4, own, v3])
    np.testing.assert_array_equal(a, np.array([64, -64, 127, -128], f) * f(1 / 127))
    np.testing.assert_array_equal(b, np.array([64, -63, 127, -128], f) * f(1 / 127))
    np.testing.assert_array_equal(c, np.array([2, 0, 15], f) * f(0.2))
    assert d.tolist() == [-2.0, 1.0, f(6 / 64)]
    assert e.tolist() == [0.0, -0.0, 1.0, -2.0]


def test_quantized_concat_values_by_hand():
    a = tf.constant(np.array([0, 255]), dtype=dtypes.quint8)
    b = tf.constant(np.array([7]), dtype=dtypes.quint8)
    same = tf.quantization.quantized_concat(0, [a, b], [0.0, 0.0], [1.0, 1.0])
    # a's range [0, 1] within the output's [0, 2]: 255 -> 1.0 -> round(1.0 * 127.5) = 128.
    wide = tf.quantization.quantized_concat(0, [a, b], [0.0, 0.0], [1.0, 2.0])
    s, w = _run([same, wide])
    assert s.output.tolist() == [0, 255, 7] and (s.output_min, s.output_max) == (0.0, 1.0)
    assert w.output.tolist() == [0, 128, 7] and (w.output_min, w.output_max) == (0.0, 2.0)
    # signed: a range symmetric around zero
    c = tf.constant(np.array([5]), dtype=dtypes.qint32)
    sym = _run(tf.quantization.quantized_concat(0, [c, c], [-1.0, -1.0], [3.0, 3.0]))
    assert (sym.output_min, sym.output_max) == (-3.0, 3.0)


# -- errors -------------------------------------------------------------------------------------
def test_construction_errors_are_tfs():
    x = tf.placeholder(tf.float32, [2, 3])
    q = tf.quantization.quantize(x, -1.0, 1.0, dtypes.qint8)
    with pytest.raises(ValueError, match="Attr 'mode' of 'QuantizeV2' Op passed string 'FOO'"):
        tf.quantization.quantize(x, -1.0, 1.0, dtypes.qint8, mode="FOO")
    with pytest.raises(TypeError, match="parameter 'T' has DataType float32 not in list"):
        tf.quantization.quantize(x, -1.0, 1.0, tf.float32)
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        tf.quantization.quantize(x, [-1.0, 0], [1.0, 2], dtypes.qint8)
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 2"):
        tf.quantization.quantize(x, [-1.0, 0, 1], [1.0, 2, 3], dtypes.qint8, axis=-2)
    with pytest.raises(ValueError, match="Shape must be at least rank 3 but is rank 2"):
        tf.quantization.quantize(x, [-1.0, 0, 1], [1.0, 2, 3], dtypes.qint8, axis=2)
    with pytest.raises(TypeError, match="parameter 'input' has DataType float32"):
        tf.quantization.dequantize(x, -1.0, 1.0)
    with pytest.raises(TypeError, match="parameter 'dtype' has DataType float64"):
        tf.quantization.dequantize(q.output, -1.0, 1.0, dtype=tf.float64)
    with pytest.raises(ValueError, match=r"Axis must be less than input dimension\(2\), got 5"):
        tf.quantization.dequantize(q.output, -1.0, 1.0, axis=5)
    with pytest.raises(ValueError, match="Attr 'round_mode' of 'QuantizeAndDequantizeV2'"):
        tf.quantization.quantize_and_dequantize(x, -1.0, 1.0, round_mode="FOO")
    with pytest.raises(TypeError, match="DataType int32 not in list of allowed values"):
        tf.quantization.quantize_and_dequantize_v2(tf.zeros([2], tf.int32), -1.0, 1.0)
    with pytest.raises(ValueError, match="length 1 must match length 2 of argument 'values'"):
        tf.quantization.quantized_concat(0, [q.output] * 2, [q.output_min] * 2, [q.output_max])
    with pytest.raises(ValueError, match="shorter than minimum length 2"):
        tf.quantization.quantized_concat(0, [q.output], [q.output_min], [q.output_max])
    with pytest.raises(ValueError, match="Shape must be at least rank 3 but is rank 2"):
        tf.quantization.quantized_concat(2, [q.output] * 2, [q.output_min] * 2,
                                         [q.output_max] * 2)
    with pytest.raises(ValueError, match="known rank to use negative axis"):
        tf.quantization.quantize(tf.placeholder(tf.float32), [0.0], [1.0], dtypes.qint8, axis=-1)


def test_run_time_errors_are_tfs():
    x = np.array([[0.1, -0.5, 0.3], [1.2, 2.0, -3.0]], f)
    cases = [
        (lambda: tf.quantization.quantize(x, -1.0, 1.0, dtypes.qint8, round_mode="HALF_TO_EVEN"),
         InvalidArgumentError, "Round mode 'HALF_TO_EVEN' only supported for mode 'SCALED', "
         "but mode is 'MIN_COMBINED'."),
        (lambda: tf.quantization.quantize(x, 1.0, -1.0, dtypes.qint8), InvalidArgumentError,
         "input_max_range must be larger than input_min_range."),
        (lambda: tf.quantization.quantize(x, [-1.0, 0], [1.0, 2], dtypes.qint8, axis=0,
                                          mode="MIN_FIRST"),
         UnimplementedError, "MIN_FIRST mode is not implemented for Quantize with axis != -1."),
        (lambda: tf.quantization.quantize_and_dequantize(x, 0.0, 1.0, num_bits=0),
         InvalidArgumentError, "num_bits is out of range: 0 with signed_input_ 1"),
        (lambda: tf.quantization.quantize_and_dequantize_v2(x, 2.0, 1.0, range_given=True),
         InvalidArgumentError, "Invalid range: input_min 2 > input_max 1"),
        (lambda: tf.quantization.quantize_and_dequantize_v2(x, [0.0, 0], [1.0, 1], axis=0,
                                                            range_given=True),
         InvalidArgumentError, "input_min must be a scalar."),  # TF 2.21's V2/V4 kernel
        (lambda: QDQ_V3(x, 0.0, 1.0, 70), InvalidArgumentError,
         "num_bits is out of range: 70 with `signed_input_` 1"),
        (lambda: tf.quantization.quantize_and_dequantize(x.astype(np.float16), 0.0, 1.0),
         InvalidArgumentError, "No OpKernel was registered to support Op"),
        (lambda: tf.quantization.quantized_concat(
            -1, [tf.constant(np.zeros((1, 2)), dtype=dtypes.quint8)] * 2, [0.0] * 2, [1.0] * 2),
         InvalidArgumentError, r"ConcatOp : Expected concatenating dimensions in the range "
         r"\[0, 2\), but got -1"),
        (lambda: tf.quantization.quantized_concat(
            0, [tf.constant(np.zeros(2), dtype=dtypes.qint8)] * 2, [0.0] * 2, [1.0] * 2),
         InvalidArgumentError, "No OpKernel was registered to support Op 'QuantizedConcat'"),
    ]
    for build, cls, message in cases:
        tf.reset_default_graph()
        with pytest.raises(cls, match=message.replace("(", r"\(").replace(")", r"\)")
                           if "\\" not in message else message):
            _run(build())


# -- gradients ----------------------------------------------------------------------------------
def test_qdq_gradients():
    x = tf.placeholder(tf.float32, [5])
    lo, hi = tf.constant(-1.0), tf.constant(1.0)
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0], f)
    xs = np.array([-2.0, -1.0, 0.3, 1.0, 1.5], f)
    v2 = tf.quantization.quantize_and_dequantize(x, lo, hi, range_given=True)
    v3 = QDQ_V3(x, lo, hi, 8)
    v4 = tf.quantization.quantize_and_dequantize_v2(x, lo, hi, range_given=True)
    g2 = tf.gradients(tf.reduce_sum(v2 * w), [x, lo, hi])
    g3 = tf.gradients(tf.reduce_sum(v3 * w), [x, lo, hi])
    g4 = tf.gradients(tf.reduce_sum(v4 * w), [x, lo, hi])
    assert g2[1:] == [None, None] and g3[1:] == [None, None]  # straight through to x only
    a, b, (c, cmin, cmax) = _run([g2[0], g3[0], g4], {x: xs})
    assert a.tolist() == w.tolist() and b.tolist() == w.tolist()
    assert c.tolist() == [0, 2, 3, 4, 0] and (cmin, cmax) == (0.0, 0.0)  # masked to [-1, 1]


def test_v4_grad_has_tfs_broken_gradient():
    x = tf.placeholder(tf.float32, [3])
    gx = tf.gradients(tf.quantization.quantize_and_dequantize_v2(x, -1.0, 1.0), x)[0]
    assert gx.op.type == "QuantizeAndDequantizeV4Grad"
    per = QDQ_V4_GRAD(np.ones((2, 3), f), np.array([[0, 1, 2], [3, -1, 0.5]], f), [0.0, 1, 2],
                      [1.0, 1, 2], axis=1)
    got = _run(per)
    assert got[0].tolist() == [[1, 1, 1], [0, 0, 0]] and got[1].tolist() == [0, 0, 0]
    with pytest.raises(TypeError, match="takes 2 positional arguments but 4 were given"):
        tf.gradients(gx, x)  # TF's rule for V4Grad fails the same way


def test_quantize_ops_have_no_gradient():
    lo = tf.constant(-1.0)
    q = tf.quantization.quantize(np.ones(3, f), lo, 1.0, dtypes.qint8)
    with pytest.raises(LookupError, match="QuantizeV2"):
        tf.gradients(q.output_min, lo)
    d = tf.quantization.dequantize(q.output, lo, 1.0)
    with pytest.raises(LookupError, match="Dequantize"):
        tf.gradients(d, lo)


# -- side by side with TensorFlow ---------------------------------------------------------------
# One builder for both: ``t`` is minitf or tf.compat.v1; ``a`` maps names to arrays.
_BUILD = r'''
def build(t, spec, a):
    op, kw = spec["op"], dict(spec["attrs"])
    ins = [a[k] for k in spec["inputs"]]
    tf1 = hasattr(t, "raw_ops")
    if op == "quantize":
        T = getattr(t.dtypes, kw.pop("T"))
        q = t.quantization.quantize(ins[0], ins[1], ins[2], T, **kw)
        dq = dict(mode=kw.get("mode", "MIN_COMBINED"), axis=kw.get("axis"),
                  narrow_range=kw.get("narrow_range", False))
        return [q.output, q.output_min, q.output_max,
                t.quantization.dequantize(q.output, q.output_min, q.output_max, **dq),
                t.quantization.dequantize(q.output, ins[1], ins[2], **dq)]
    if op == "dequantize":
        x = t.constant(ins[0], dtype=getattr(t.dtypes, kw.pop("T")))
        return [t.quantization.dequantize(x, ins[1], ins[2], **kw)]
    if op == "v2":
        return [t.quantization.quantize_and_dequantize(*ins, **kw)]
    if op == "v4":
        return [t.quantization.quantize_and_dequantize_v2(*ins, **kw)]
    if op == "v3":
        if tf1:
            return [t.raw_ops.QuantizeAndDequantizeV3(input=ins[0], input_min=ins[1],
                                                      input_max=ins[2], num_bits=ins[3], **kw)]
        from minitf.ops.quantize_and_dequantize_ops import QDQ_V3
        return [QDQ_V3(*ins, **kw)]
    if op == "v4grad":
        if tf1:
            return list(t.raw_ops.QuantizeAndDequantizeV4Grad(
                gradients=ins[0], input=ins[1], input_min=ins[2], input_max=ins[3], **kw))
        from minitf.ops.quantize_and_dequantize_ops import QDQ_V4_GRAD
        return QDQ_V4_GRAD(*ins, **kw)
    if op == "concat":
        T = getattr(t.dtypes, kw.pop("T"))
        n = kw.pop("n")
        vals = [t.constant(v, dtype=T) for v in ins[:n]]
        return list(t.quantization.quantized_concat(kw.pop("dim"), vals, ins[n:2 * n],
                                                    ins[2 * n:]))
    raise ValueError(op)


def run_all(t, specs, a):
    """Each spec's outputs, or the name of the error class it raised (at run time)."""
    out = []
    for spec in specs:
        g = t.Graph()
        with g.as_default():
            fetches = build(t, spec, a)
            with t.Session() as sess:
                try:
                    out.append(sess.run(fetches))
                except Exception as e:  # noqa: BLE001 - compared with the other side
                    out.append(type(e).__name__)
    return out
'''

def _x(rng, shape):
    kind = rng.integers(6)
    if kind == 5:  # NaN and infinities: TF's float -> integer conversions, packet by packet
        x = rng.standard_normal(shape).astype(f)
        x[rng.random(shape) < 0.2] = np.nan
        x[rng.random(shape) < 0.1] = np.inf
        x[rng.random(shape) < 0.1] = -np.inf
        return x
    if kind == 0:
        return (rng.standard_normal(shape) * rng.choice([0.01, 1, 10, 1000])).astype(f)
    if kind == 1:  # on a grid of 1/256: exact rounding ties
        return (rng.integers(-600, 600, shape) / 256).astype(f)
    if kind == 2:
        return (rng.integers(-40, 40, shape) / 8).astype(f)
    if kind == 3:  # tiny values, denormals among them (TF's kernels flush those to zero)
        return (rng.standard_normal(shape) * 1e-37).astype(f)
    return rng.uniform(-3, 3, shape).astype(f)


def _specs():
    """Random inputs over every mode, round mode, type and edge range."""
    rng, arrays, specs = np.random.default_rng(99), {}, []

    def arr(v):
        arrays[f"a{len(arrays)}"] = np.asarray(v)
        return f"a{len(arrays) - 1}"

    ranges = [(-1, 1), (-2.5, 3), (0, 0), (0.5, 0.5), (-6, -0.16), (0.25, 4), (-1e-3, 1e-3),
              (-100, 100), (0, 255 / 64), (-3.7, 0), (-1e-36, 1e-36), (0, 3e-38)]
    for i, (lo, hi) in enumerate(ranges):
        x = arr(_x(rng, (3, 4, 5)))
        for name in QTYPES:
            for mode, rmode in (("MIN_COMBINED", "HALF_AWAY_FROM_ZERO"),
                                ("MIN_FIRST", "HALF_AWAY_FROM_ZERO"),
                                ("SCALED", "HALF_AWAY_FROM_ZERO"), ("SCALED", "HALF_TO_EVEN")):
                kw = dict(T=name, mode=mode, round_mode=rmode, narrow_range=bool(i % 2),
                          ensure_minimum_range=[0.01, 0.0, 0.5][i % 3])
                specs.append(dict(op="quantize", inputs=[x, arr(f(lo)), arr(f(hi))], attrs=kw))
                los = np.sort(rng.uniform(-4, 1, 4)).astype(f)
                his = (los + rng.choice([0, 0.001, 1, 5], 4)).astype(f)
                specs.append(dict(op="quantize", inputs=[x, arr(los), arr(his)],
                                  attrs=dict(kw, axis=1)))
            info = np.iinfo(dtypes.as_dtype(name)._np)
            q = arr(rng.integers(info.min, info.max, (4, 6), endpoint=True))
            for mode in ("MIN_COMBINED", "MIN_FIRST", "SCALED"):
                specs.append(dict(op="dequantize", inputs=[q, arr(f(lo)), arr(f(hi))],
                                  attrs=dict(T=name, mode=mode, narrow_range=bool(i % 2))))
    for dt in (np.float32, np.float64):
        for _ in range(8):
            x_value = _x(rng, (3, 4, 5)).astype(dt)
            x = arr(x_value)
            with_nan = bool(np.isnan(x_value).any())
            lo = arr(dt(rng.choice([-1, -2.5, 0, 0.5, -1e-3, -1e-36])))
            hi = arr(dt(rng.choice([1, 2.5, 0, 3, 1e-3, 1e-36])))
            los = np.sort(rng.uniform(-3, 0, 4)).astype(dt)
            los_k, his_k = arr(los), arr((los + rng.uniform(0, 4, 4)).astype(dt))
            for signed in (True, False):
                for bits in (1, 2, 4, 8, 16, 31, 40, 62):
                    for given in (True, False):
                        if with_nan and not given:
                            # TF's minimum()/maximum() of data with NaNs depend on the order
                            # of Eigen's packet reduction; minitf skips NaNs (not compared)
                            continue
                        for rmode in ("HALF_TO_EVEN", "HALF_UP"):
                            kw = dict(signed_input=signed, num_bits=bits, range_given=given,
                                      round_mode=rmode, narrow_range=bool(bits % 3 == 1))
                            specs.append(dict(op=["v2", "v4"][bits % 2], inputs=[x, lo, hi],
                                              attrs=kw))
                        if not with_nan:
                            specs.append(dict(op="v2", inputs=[x, los_k, his_k],
                                              attrs=dict(num_bits=bits, range_given=False,
                                                         axis=1, signed_input=signed)))
                        kw3 = dict(signed_input=signed, range_given=given,
                                   narrow_range=bool(bits % 2))
                        specs.append(dict(op="v3", inputs=[x, lo, hi, arr(np.int32(bits))],
                                          attrs=kw3))
                        specs.append(dict(op="v3", inputs=[x, los_k, his_k, arr(np.int32(bits))],
                                          attrs=dict(kw3, axis=1)))
            g = arr(rng.standard_normal((3, 4, 5)).astype(dt))
            specs.append(dict(op="v4grad", inputs=[g, x, lo, hi], attrs={}))
            specs.append(dict(op="v4grad", inputs=[g, x, los_k, his_k], attrs=dict(axis=1)))
    for trial in range(60):
        name = ["quint8", "qint32", "qint8"][trial % 3] if trial < 57 else "qint16"
        info = np.iinfo(dtypes.as_dtype(name)._np)
        rank = int(rng.integers(1, 4))
        dim = int(rng.integers(0, rank))
        n = int(rng.integers(2, 5))
        base = list(rng.integers(1, 4, rank))
        vals, mins, maxs = [], [], []
        for _ in range(n):
            s = list(base)
            s[dim] = int(rng.integers(0, 4))  # empty inputs too
            vals.append(arr(rng.integers(info.min, info.max, s, endpoint=True)))
            lo = f(rng.choice([-1, 0, -3.5, rng.uniform(-10, 1), 0.5]))
            hi = f(lo + rng.choice([0, 1, 2, rng.uniform(0, 20)])) if trial % 5 else f(1)
            lo = lo if trial % 5 else f(-1)
            mins.append(arr(lo))
            maxs.append(arr(hi))
        specs.append(dict(op="concat", inputs=vals + mins + maxs,
                          attrs=dict(T=name, n=n, dim=dim)))
    return specs, arrays


def test_side_by_side_bits_match_tensorflow(tmp_path):
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("needs tensorflow")
    specs, arrays = _specs()
    want = tensorflow_results(_BUILD, specs, arrays, tmp_path)
    got = minitf_results(_BUILD, specs, arrays)
    errors = {"InvalidArgumentError", "UnimplementedError"}
    mismatches, compared = [], 0
    for i, (spec, g) in enumerate(zip(specs, got)):
        if f"{i}_err" in want:
            if str(want[f"{i}_err"]) not in errors or g != str(want[f"{i}_err"]):
                mismatches.append((spec, str(want[f"{i}_err"]), g))
            continue
        if isinstance(g, str):
            mismatches.append((spec, "ok", g))
            continue
        for j, v in enumerate(g):
            w, v = want[f"{i}_{j}"], np.asarray(v)
            compared += 1
            if w.dtype != v.dtype or w.shape != v.shape or w.tobytes() != v.tobytes():
                mismatches.append((spec, j, w.ravel()[:4], v.ravel()[:4]))
                break
    assert not mismatches, f"{len(mismatches)} of {len(specs)} differ: {mismatches[:5]}"
    assert compared > 3000  # the battery really ran (most specs succeed in both)


# Graph code both sides build (``t`` is minitf or tf.compat.v1).
_INTEROP_GRAPH = '''
t = tf1 if "tf1" in globals() else tf
x = t.constant(np.linspace(-3, 3, 24, dtype=np.float32).reshape(4, 6))
c = t.constant(np.arange(-3, 3), dtype=t.dtypes.qint8, name="c")
q = t.quantization.quantize(x, -2.0, 2.5, t.dtypes.quint8, mode="MIN_FIRST", name="q")
t.quantization.dequantize(q.output, q.output_min, q.output_max, mode="MIN_FIRST", name="d")
t.quantization.quantize_and_dequantize_v2(x, -1.0, 1.0, range_given=True, num_bits=4, name="v4")
t.quantization.quantized_concat(1, [q.output, q.output], [q.output_min, -1.0],
                                [q.output_max, 4.0], name="cat")
'''


def test_graph_def_interop_with_tensorflow(tmp_path):
    """Quantized constants and the quantize ops cross both ways through GraphDef bytes."""
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("needs tensorflow")
    names = ["c:0", "q:0", "q:1", "q:2", "d:0", "v4:0", "cat:0", "cat:1"]
    g2 = check_graph_def_interop(_INTEROP_GRAPH, names, tmp_path)
    assert g2.get_tensor_by_name("c:0").dtype == dtypes.qint8


def _quantize_node_names(t):
    g = t.Graph()
    with g.as_default():
        q = t.quantize([1.0, 2.0], -1.0, 2.0, t.qint8, name="qq")
        t.quantize([1.0, 2.0], -1.0, 2.0, t.qint8)
        t.dequantize(q[0], q[1], q[2], name="dq")
    return [n.name for n in g.as_graph_def().node]


def test_converted_inputs_are_named_inside_the_op_scope():
    """A list input becomes ``qq/input``, as TF names it (it was a root ``input``)."""
    assert _quantize_node_names(tf) == [
        "qq/input", "qq/min_range", "qq/max_range", "qq", "QuantizeV2/input",
        "QuantizeV2/min_range", "QuantizeV2/max_range", "QuantizeV2", "dq"]


def test_node_names_same_as_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    assert _quantize_node_names(tf) == _quantize_node_names(tf1)
