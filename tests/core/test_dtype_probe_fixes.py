"""Dtype behaviours a probe found differing from TF 2.21's tf.compat.v1, each checked against
hand-computed values (no TensorFlow needed) and, where TensorFlow is installed, against TF run
in a process of its own: Python's float as a dtype, how values convert to a requested dtype
(numpy values cast, Python ints wrapped, Python floats refused for ints), the dtypes ``/`` and
div_no_nan divide integers in, quantized Cast results, Bitcast of complex and quantized types,
DType properties, float16 Range, Cast to and from strings, float64 -> float16 rounding."""

import json
import re

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import tf_side_json
from tests.core.side_by_side import run as _run


# -- 1. Python's builtin types as dtypes (TF's _PYTHON_TO_TF) -----------------------------------
def test_python_float_is_float32():
    assert tf.as_dtype(float) is tf.float32
    assert tf.as_dtype(bool) is tf.bool and tf.as_dtype(object) is tf.string
    assert tf.placeholder(float, [2]).dtype == tf.float32
    x = tf.constant([1, 2])
    outs = [tf.cast(x, float), tf.zeros([1], float),
            tf.Variable([1.5], dtype=float).initialized_value()]
    assert [o.dtype for o in outs] == [tf.float32] * 3
    assert [v.dtype for v in _run(outs)] == [np.float32] * 3
    assert tf.float32.__eq__(float) and not tf.float64.__eq__(float)  # (DType == float)


@pytest.mark.parametrize("kind", [int, complex, str, bytes])
def test_other_python_types_are_refused(kind):
    # numpy reads them (int as int64, str as a string type); TF 2.21's as_dtype does not.
    with pytest.raises(TypeError, match=re.escape(
            f"Cannot convert the argument `type_value`: {kind!r} to a TensorFlow DType.")):
        tf.as_dtype(kind)


# -- 2. Values converted to a requested dtype (TF's make_tensor_proto) --------------------------
def test_numpy_values_are_cast_to_the_requested_dtype():
    outs = _run([
        tf.constant(np.array([1.5, -2.7]), dtype=tf.int32),  # truncated toward 0
        tf.Variable(np.array([0.5, 1.5]), dtype=tf.int32).initialized_value(),
        tf.constant(np.array([-1.5, 300.2]), dtype=tf.uint8),
        tf.constant(np.array([0.0, 0.5, 2.0]), dtype=tf.bool),
        tf.constant(np.array([1 + 2j]), dtype=tf.float32),  # the imaginary part dropped
        tf.constant(np.array(["12"]), dtype=tf.int32),  # numpy parses numeric strings
        tf.constant(np.float64(2.9), dtype=tf.int32),
        tf.constant([1], tf.int32) + np.array([1.5]),  # an op input converts likewise
    ])
    want = [[1, -2], [0, 1], [255, 44], [False, True, True], [1.0], [12], 2, [2]]
    dtypes = [np.int32, np.int32, np.uint8, np.bool_, np.float32, np.int32, np.int32, np.int32]
    for got, w, d in zip(outs, want, dtypes):
        assert got.dtype == d and got.tolist() == w


def test_a_preferred_dtype_changes_no_value():
    # TF's op layer keeps a value's own dtype when the op allows it (a uint16 image for
    # EncodePng, whose default T is uint8); minitf's converts with the preference alone, so
    # a preference is taken only when no value changes (tf.convert_to_tensor's own
    # preferred_dtype in TF would cast [1.5] to [1]: a known difference).
    img = np.array([[[300, 70000 % 65536, 1]]], np.uint16)
    assert tf.image.encode_png(img).op.inputs[0].dtype == tf.uint16
    kept = [tf.convert_to_tensor(np.array([1.5]), preferred_dtype=tf.int32),
            tf.convert_to_tensor(300, preferred_dtype=tf.uint8),
            tf.convert_to_tensor(np.array([1 + 1j]), preferred_dtype=tf.float32)]
    assert [t.dtype for t in kept] == [tf.float64, tf.int32, tf.complex128]
    taken = [tf.convert_to_tensor(np.array([2.0]), preferred_dtype=tf.int32),
             tf.convert_to_tensor(np.array([0.1]), preferred_dtype=tf.float32)]
    assert [t.dtype for t in taken] == [tf.int32, tf.float32]


def test_python_ints_wrap_into_the_requested_dtype():
    outs = _run([
        tf.constant(300, tf.uint8), tf.constant(0xFFFFFFFF, tf.int32), tf.constant(-1, tf.uint64),
        tf.constant(2**63, tf.int64), tf.constant([1, 300], tf.uint8),
        tf.constant([1], tf.uint8) + 300, tf.constant([1], tf.uint8) > -1,
        tf.constant([1]) + 2**40, tf.fill([2], tf.constant(300, tf.uint8)),
        tf.Variable(300, dtype=tf.uint8).initialized_value(),
    ])
    want = [44, -1, 2**64 - 1, -2**63, [1, 44], [45], [False], [1], [44, 44], 44]
    assert [o.tolist() for o in outs] == want
    assert tf.constant(2**63).dtype == tf.uint64  # numpy's type for it, which TF keeps


@pytest.mark.parametrize("value, dtype, shown, kind", [
    ([1.5], tf.int32, "1.5", "float"), (1.0, tf.int32, "1.0", "float"),
    ([1, 2.0], tf.int32, "2.0", "float"), ([1], tf.bool, "1", "int"),
    ([np.True_], tf.bool, "True", "bool"), ([np.True_], tf.int32, "True", "bool"),
    (1j, tf.float32, "1j", "complex"), ([1], tf.string, "1", "int"),
    ("12", tf.int32, "12", "str"), ([np.float64(1.5)], tf.int32, "1.5", "float64"),
    ([np.array(1.5)], tf.int32, "1.5", "ndarray"),
])
def test_python_values_of_other_types_are_refused(value, dtype, shown, kind):
    # TF's _AssertCompatible: a float is no int even when whole; a numpy bool is no Python bool
    with pytest.raises(TypeError, match=re.escape(
            f"Expected {dtype.name}, but got {shown} of type '{kind}'.")):
        tf.constant(value, dtype)


def test_numpy_non_strings_refused_as_strings_and_huge_ints_overflow():
    with pytest.raises(TypeError, match="Expected binary or unicode string, got 1"):
        tf.constant(np.array([1, 2]), tf.string)
    with pytest.raises(OverflowError):  # numpy's error, which TF lets through
        tf.constant(2**70, tf.int64)
    with pytest.raises(TypeError, match=re.escape("Expected int32 passed to parameter 'y' of "
                                                  "op 'AddV2', got 1.5 of type 'float' instead. "
                                                  "Error: Expected int32, but got 1.5 of type "
                                                  "'float'.")):
        tf.add(tf.constant([1]), 1.5)


# -- 3/4. The dtype integers are divided in: TF's _TRUEDIV_TABLE ---------------------------------
_TRUEDIV = {"int8": "float32", "uint8": "float32", "int16": "float32", "uint16": "float32",
            "int32": "float64", "uint32": "float64", "int64": "float64", "uint64": "float64",
            "float16": "float16", "float32": "float32", "float64": "float64"}


@pytest.mark.parametrize("name", sorted(_TRUEDIV))
def test_integer_division_dtypes(name):
    d = getattr(tf, name)
    x, y = tf.constant([7, 2], d), tf.constant([2, 0], d)
    seg = tf.constant([1, 2, 4], d)
    outs = [x / y, tf.truediv(x, y), tf.div_no_nan(x, y),
            tf.math.unsorted_segment_mean(seg, [0, 0, 2], 3),
            tf.SparseTensor([[0], [1]], x, [2]) / tf.constant([2, 4], d)]
    got = _run([o if not hasattr(o, "values") else o.values for o in outs])
    assert [o.dtype.name for o in outs] == [_TRUEDIV[name]] * 5
    assert [g.dtype.name for g in got] == [_TRUEDIV[name]] * 5
    assert got[0].tolist() == got[1].tolist() == [3.5, np.inf]
    assert got[2].tolist() == [3.5, 0.0] and got[3].tolist() == [1.5, 0.0, 4.0]
    assert got[4].tolist() == [3.5, 0.5]


def test_div_no_nan_conversions_and_refusals():
    outs = [tf.div_no_nan(3, 2), tf.div_no_nan(3, tf.constant(2, tf.uint8)),
            tf.div_no_nan(tf.constant(3, tf.int16), 0)]
    assert [o.dtype for o in outs] == [tf.float64, tf.float32, tf.float32]
    assert [v.tolist() for v in _run(outs)] == [1.5, 1.5, 0.0]
    with pytest.raises(TypeError, match=re.escape(
            "`x` and `y` must have the same dtype, got tf.int32 != tf.float32.")):
        tf.div_no_nan(tf.constant(3), tf.constant(2.0))
    with pytest.raises(TypeError, match=re.escape(
            "Invalid dtype tf.bool in tf.math.divide_no_nan. Expected one of {tf.uint8, ")):
        tf.div_no_nan(tf.constant([True]), tf.constant([True]))
    with pytest.raises(TypeError, match=re.escape("Invalid dtype tf.string in __truediv__.")):
        _ = tf.constant(["a"]) / tf.constant(["b"])


# -- 5. Cast to and from quantized types: plain storage integers, as TF's values ---------------
def test_quantized_casts_give_storage_integers():
    q8 = tf.cast(tf.constant([1, -3, 200]), tf.qint8)
    outs = _run([q8, tf.cast(tf.constant([-1, 256]), tf.quint8),
                 tf.cast(tf.cast(tf.constant([300]), tf.qint32), tf.qint8),
                 tf.cast(q8, tf.float32), tf.cast(tf.constant([3.7 + 1j], tf.complex64),
                                                   tf.qint8)])
    assert [o.dtype for o in outs] == [np.int8, np.uint8, np.int8, np.float32, np.int8]
    assert [o.tolist() for o in outs] == [[1, -3, -56], [255, 0], [44], [1.0, -3.0, -56.0], [3]]


# -- 6. Bitcast of complex and quantized types --------------------------------------------------
def test_bitcast_complex_and_quantized():
    c = tf.constant([1 + 2j, 3 - 1j], tf.complex64)
    outs = [tf.bitcast(c, tf.float32), tf.bitcast(tf.constant([1.0, 2.0]), tf.complex64),
            tf.bitcast(tf.constant([1.0, 2.0], tf.float64), tf.complex128),
            tf.bitcast(tf.constant([1, -3], tf.int8), tf.qint8),
            tf.bitcast(tf.cast(tf.constant([[2, 1]]), tf.qint8), tf.qint16),
            tf.bitcast(tf.cast(tf.constant([1065353216]), tf.qint32), tf.float32)]
    assert [o.shape.as_list() for o in outs] == [[2, 2], [], [], [2], [1], [1]]
    got = _run(outs)
    assert got[0].tolist() == [[1.0, 2.0], [3.0, -1.0]]
    assert got[1] == np.complex64(1 + 2j) and got[2] == 1 + 2j
    assert got[3].dtype == np.int8 and got[3].tolist() == [1, -3]
    assert got[4].dtype == np.int16 and got[4].tolist() == [258]  # little-endian bytes 2, 1
    assert got[5].tolist() == [1.0]
    with pytest.raises(ValueError, match="Cannot bitcast from 1 to 8 due to shape. 3 does not "
                                         "match 2"):
        tf.bitcast(tf.constant([1.0, 2.0, 3.0]), tf.complex64)


# -- 7. DType properties ------------------------------------------------------------------------
def test_dtype_properties_as_tf():
    assert not tf.bool.is_unsigned and tf.uint8.is_unsigned
    for d in (tf.bool, tf.string, tf.complex64):
        for what, prop in (("minimum", "min"), ("maximum", "max")):
            with pytest.raises(TypeError, match=re.escape(
                    f"Cannot find {what} value of {d} with type {d}.")):
                getattr(d, prop)
    with pytest.raises(TypeError, match=re.escape(
            "Cannot find minimum value of <dtype: 'qint8'> with quantized type <dtype: "
            "'qint8'>.")):
        _ = tf.qint8.min
    # TF's limits: a property, so the min is always clipped to 0; floats are (0, 1)
    assert tf.uint8.limits == (0, 255) and tf.int8.limits == (0, 127)
    assert tf.float32.limits == (0, 1) and tf.bool.limits == (0, True)
    for d in (tf.float16, tf.complex64, tf.string, tf.qint8):
        with pytest.raises(ValueError, match=re.escape(f"{d} does not have defined limits.")):
            _ = d.limits
    assert tf.string.size == 0 and tf.resource.size == 0 and tf.float64.size == 8
    assert not tf.resource.is_numpy_compatible and tf.float32.is_numpy_compatible


# -- 8. float16 Range, Cast to or from strings, float64 -> float16 ------------------------------
def test_float16_range():
    with pytest.raises(ValueError, match="Unsupported dtype19"):  # TF: at graph construction
        tf.range(1, 7, 2, dtype=tf.float16)
    p = tf.placeholder(tf.float16, [])
    r = tf.range(p, tf.constant(7, tf.float16), tf.constant(0.3, tf.float16))
    got = _run(r, {p: 1.5})
    # start + half(i) * delta with each operation rounded to half (TF 2.21's values)
    s, d = np.float16(1.5), np.float16(0.3)
    want = [float(np.float16(s + np.float16(np.float16(i) * d))) for i in range(19)]
    assert got.dtype == np.float16 and got.tolist() == want
    assert want[9] == 4.203125  # (in float32 and rounded once it would be 4.19921875)


@pytest.mark.parametrize("src, dst, message", [
    (["12"], tf.int32, "Cast string to int32 is not supported"),
    ([1.5], tf.string, "Cast float to string is not supported"),
    ([True], tf.string, "Cast bool to string is not supported"),
    (["1"], tf.float64, "Cast string to double is not supported"),
])
def test_cast_to_or_from_string_is_unimplemented(src, dst, message):
    y = tf.cast(tf.constant(src), dst)  # (builds, as in TF; fails when run)
    with pytest.raises(tf.errors.UnimplementedError, match=re.escape(message)):
        _run(y)


def test_float64_to_float16_rounds_through_float32():
    v = [1.00048828125 + 2**-30, 1.7, 65519.99, -2.5]
    got = _run([tf.cast(tf.constant(v, tf.float64), tf.float16),
                tf.cast(tf.constant(np.array(v, np.complex128)), tf.float16)])
    want = np.array(v).astype(np.float32).astype(np.float16)
    assert want[0] == 1.0 and np.float16(v[0]) != 1.0  # the tie double rounding breaks
    for g in got:
        assert g.dtype == np.float16 and g.tolist() == want.tolist()


# -- the same cases side by side with TensorFlow (skipped without it) --------------------------
_CASES = [
    "tf.zeros([1], float)", "tf.cast(tf.constant([1]), float)",
    "tf.constant(np.array([1.5, -2.7]), dtype=tf.int32)",
    "tf.constant(np.array([-1.5, 300.2]), dtype=tf.uint8)",
    "tf.constant(np.array([0, 2]), dtype=tf.bool)", "tf.constant(np.array(['12']), tf.int32)",
    "tf.Variable(np.array([0.5, 1.5]), dtype=tf.int32).initialized_value()",
    "tf.constant(300, tf.uint8)", "tf.constant(0xFFFFFFFF, tf.int32)",
    "tf.constant(-1, tf.uint64)", "tf.constant(2**63)", "tf.constant([1], tf.uint8) + 300",
    "tf.constant([1], tf.uint8) > -1", "tf.constant([1]) + np.array([1.5])",
    "tf.constant([1], tf.uint8) + np.array([300])", "tf.constant([1]) / 2**40",
    "tf.image.encode_png(np.array([[[300, 9, 1]]], np.uint16)).op.inputs[0]",
    "tf.constant([1.5], tf.int32)", "tf.constant([1, 2.0], tf.int32)",
    "tf.constant([1], tf.bool)", "tf.constant([np.True_], tf.bool)", "tf.constant(1j, tf.float32)",
    "tf.constant([1], tf.string)", "tf.constant(np.array([1]), tf.string)",
    "tf.constant([7], tf.uint16) / tf.constant([2], tf.uint16)",
    "tf.constant([7], tf.uint32) / tf.constant([2], tf.uint32)",
    "tf.constant([True]) / tf.constant([True])",
    "tf.div_no_nan(tf.constant([3, 4]), tf.constant([2, 0]))",
    "tf.div_no_nan(tf.constant([3, 4], tf.uint16), tf.constant([2, 0], tf.uint16))",
    "tf.div_no_nan(3, tf.constant(2, tf.uint8))",
    "tf.math.unsorted_segment_mean(tf.constant([1, 2, 4]), [0, 0, 1], 2)",
    "tf.math.unsorted_segment_mean(tf.constant([[1, 2], [3, 5]], tf.int8), [0, 0], 2)",
    "tf.cast(tf.constant([1, -3]), tf.qint8)", "tf.cast(tf.constant([-1.5, 256.0]), tf.quint8)",
    "tf.cast(tf.cast(tf.constant([1, -3]), tf.qint16), tf.float64)",
    "tf.bitcast(tf.constant([1 + 2j], tf.complex64), tf.float64)",
    "tf.bitcast(tf.constant([1.0, 2.0]), tf.complex64)",
    "tf.bitcast(tf.constant([1 + 2j], tf.complex128), tf.uint8)",
    "tf.bitcast(tf.constant([258], tf.int32), tf.qint8)",
    "tf.bitcast(tf.cast(tf.constant([65535]), tf.quint16), tf.int16)",
    "tf.range(1, 7, 2, dtype=tf.float16)", "tf.cast(tf.constant(['12']), tf.int32)",
    "tf.cast(tf.constant([1.5]), tf.string)",
    "tf.cast(tf.constant([1.00048828125 + 2**-30, 1.7, 65519.99], tf.float64), tf.float16)",
    "tf.constant(tf.bool.is_unsigned)", "tf.constant(str(tf.bool.min))",
    "tf.constant(str(tf.string.max))", "tf.constant(str(tf.int16.limits))",
    "tf.constant(str(tf.float16.limits))", "tf.constant(str(tf.as_dtype(int)))",
]

_PROGRAM = """
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()

def outcome(expr):
    g = tf.Graph()
    with g.as_default():
        try:
            t = eval(expr)
            v = np.asarray(tf.Session().run(t))
            return ["value", np.dtype(v.dtype).name, repr(v.tolist())]
        except Exception as e:  # noqa: BLE001 - the error is the outcome
            names = [k.__name__ for k in type(e).__mro__]
            message = getattr(e, "message", str(e))
            return ["error", names, message]

print(json.dumps([outcome(c) for c in json.loads(sys.stdin.read())]))
"""


def _error_text(message):
    """The part of an error message both libraries word alike: TF's run-time errors wrap the
    kernel's words in a traceback; its build-time ValueErrors add the NodeDef."""
    lines = [ln for ln in message.splitlines() if ln and not ln.startswith((" ", "\t"))]
    text = next((ln for ln in lines if "is not supported" in ln), lines[0] if lines else "")
    return text.split(" for '")[0]


def test_cases_match_tensorflow():
    cases = json.dumps(_CASES)
    theirs = tf_side_json(_PROGRAM, legacy_keras=False, stdin=cases)
    mine = [_minitf_outcome(c) for c in _CASES]
    for case, t, m in zip(_CASES, theirs, mine):
        assert t[0] == m[0], (case, t, m)
        if t[0] == "value":
            assert t[1:] == m[1:], (case, t, m)
        else:
            assert t[1][0] in m[1], (case, t, m)  # TF's class is (a base of) minitf's
            assert _error_text(t[2]) == _error_text(m[2]), (case, t, m)


def _minitf_outcome(expr):
    with tf.Graph().as_default():
        try:
            t = eval(expr, {"tf": tf, "np": np})
            v = np.asarray(_run(t))
            return ["value", np.dtype(v.dtype).name, repr(v.tolist())]
        except Exception as e:  # noqa: BLE001 - the error is the outcome
            names = [k.__name__ for k in type(e).__mro__]
            return ["error", names, getattr(e, "message", str(e))]


# == A second probe: & | ^ ~ on integers (bitwise ops), tf.div of complex (RealDiv),
# saturate_cast of complex values and infinities (always a ClipByValue), float -> uint32/uint64
# casts (wrapping through int64, as TF's x86 kernels) ==========================================


def test_bitwise_operators_on_integer_tensors():
    x = tf.constant([5, 6])
    out = [x & 3, x | 8, x ^ 1, ~x, ~tf.constant([0, 200], tf.uint8),
           3 & x, 3 | x, 3 ^ x, x & tf.constant([3, 1]), tf.constant([5, 6], tf.int64) & 3]
    got = _run(out)
    want = [[1, 2], [13, 14], [4, 7], [-6, -7], [255, 55], [1, 2], [7, 7], [6, 5], [1, 0],
            [1, 2]]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert (got[4].dtype, got[9].dtype) == (np.uint8, np.int64)
    # TF's names: the bitwise op unnamed in the operator's scope, which converts a Python y
    assert [t.op.type for t in out[:4]] == ["BitwiseAnd", "BitwiseOr", "BitwiseXor", "Invert"]
    assert [t.op.name for t in out[:4]] == ["and/BitwiseAnd", "or/BitwiseOr", "xor/BitwiseXor",
                                            "Invert"]
    assert out[0].op.inputs[1].op.name == "and/BitwiseAnd/y"
    assert out[5].op.inputs[0].op.name == "and_1/x"  # reversed: the scope converts x


def test_logical_operators_stay_on_bools_and_floats_are_refused():
    a, b = tf.constant([True, False]), tf.constant([True, True])
    out = [a & b, a | b, a ^ b, ~a, True ^ a]
    assert [out[0].op.type, out[1].op.type, out[3].op.type] == ["LogicalAnd", "LogicalOr",
                                                                "LogicalNot"]
    got = _run(out)
    for g, w in zip(got, [[True, False], [True, True], [False, True], [False, True],
                          [False, True]]):
        np.testing.assert_array_equal(g, w)
    f = tf.constant([1.0])
    with pytest.raises(TypeError):
        _ = f & 1
    with pytest.raises(TypeError):
        _ = ~f


def test_div_of_complex_is_real_div():
    y = tf.div(tf.constant([7 + 0j, 1 + 1j], tf.complex64),
               tf.constant([2 + 0j, 1j], tf.complex64))
    assert y.op.type == "RealDiv"
    got = _run(y)
    assert got.dtype == np.complex64
    np.testing.assert_array_equal(got, [3.5 + 0j, 1 - 1j])


_F32_MAX = float(np.finfo(np.float32).max)


def test_saturate_cast_of_complex_values():
    c = tf.constant([1e10 + 3j, -5 + 2j], tf.complex64)
    got = _run([tf.saturate_cast(c, tf.float32),  # the real part, as cast
                tf.saturate_cast(tf.constant([300 + 3j, -5 + 2j], tf.complex64), tf.uint8),
                tf.saturate_cast(tf.constant([1, -1]), tf.complex64),
                tf.saturate_cast(tf.constant([1e300 + 2j, -1e300 - 1e300j], tf.complex128),
                                 tf.complex64)])
    np.testing.assert_array_equal(got[0], np.array([1e10, -5], np.float32))
    np.testing.assert_array_equal(got[1], np.array([255, 0], np.uint8))
    np.testing.assert_array_equal(got[2], np.array([1, -1], np.complex64))
    np.testing.assert_array_equal(got[3], np.array([_F32_MAX + 2j, -_F32_MAX - 1j * _F32_MAX],
                                                   np.complex64))
    assert [a.dtype for a in got] == [np.float32, np.uint8, np.complex64, np.complex64]


def test_saturate_cast_always_clamps_infinities():
    y = tf.saturate_cast(tf.constant([np.inf, -np.inf, 1.0]), tf.float32)
    assert (y.op.type, y.op.name) == ("ClipByValue", "saturate_cast/clamp")
    got = _run([y, tf.saturate_cast(tf.constant([1e300, -np.inf, np.nan], tf.float64),
                                    tf.float32)])
    np.testing.assert_array_equal(got[0], np.array([_F32_MAX, -_F32_MAX, 1], np.float32))
    np.testing.assert_array_equal(got[1], np.array([_F32_MAX, -_F32_MAX, np.nan], np.float32))


def test_saturate_cast_float16_to_int32_clamps_in_float16():
    x = tf.constant([np.inf, -np.inf, 70000, 3.5], tf.float16)  # 70000 is inf in half
    got = _run(tf.saturate_cast(x, tf.int32))
    np.testing.assert_array_equal(got, np.array([65504, -65504, 65504, 3], np.int32))


def test_saturate_cast_wide_integer_limits_are_exact():
    # TF 2.21's own limits overflow here (all INT64_MIN; an error for uint64): saturated instead
    i64 = np.iinfo(np.int64)
    below_2_63 = 2 ** 63 - 2 ** 39  # float32's largest value below 2**63
    ints = tf.constant([5, i64.min, i64.max], tf.int64)
    got = _run([tf.saturate_cast(ints, tf.int64), tf.saturate_cast(ints, tf.float32),
                tf.saturate_cast(tf.constant([np.inf, -np.inf, 1e19, 3.5]), tf.int64),
                tf.saturate_cast(tf.constant(np.array([5, 2 ** 64 - 1], np.uint64)), tf.int64)])
    np.testing.assert_array_equal(got[0], [5, i64.min, i64.max])
    np.testing.assert_array_equal(got[1], np.array([5, -2.0 ** 63, 2.0 ** 63], np.float32))
    np.testing.assert_array_equal(got[2], np.array([below_2_63, i64.min, below_2_63, 3]))
    np.testing.assert_array_equal(got[3], [5, i64.max])


def test_float_to_wide_unsigned_cast_wraps_through_int64():
    # TF's scalar loop (tensors under 8 values, and tails): through int64. (Its 8-wide vector
    # loop gives 2**31 for a value outside (-2**31, 2**32): not copied.) 12 values here, as
    # numpy's own cast differs between its short and vectorised loops.
    def cast(values, src, dst):
        return tf.cast(tf.constant(np.tile(values, 4), src), dst)

    got = _run([cast([1e10, -3e9, 7.9], tf.float32, tf.uint32),
                cast([1e10, -3e9, 4294967295.0], tf.float64, tf.uint32),
                cast([1e10, -3e9, 1e19], tf.float64, tf.uint64),
                cast([-3.0, 2.0, 60000.0], tf.float16, tf.uint32),
                cast([-3 + 1j, 1e10, 1], tf.complex64, tf.uint32)])
    want = [[1410065408, 1294967296, 7], [1410065408, 1294967296, 4294967295],
            [10 ** 10, 2 ** 64 - 3 * 10 ** 9, 10 ** 19], [2 ** 32 - 3, 2, 60000],
            [2 ** 32 - 3, 1410065408, 1]]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, np.tile(w, 4))
    assert [a.dtype for a in got] == [np.uint32, np.uint32, np.uint64, np.uint32, np.uint32]


_CASES_2 = [
    "tf.constant([5, 6]) & 3", "tf.constant([5, 6]) | 8", "tf.constant([5, 6]) ^ 1",
    "~tf.constant([5, 6])", "~tf.constant([0, 200], tf.uint8)", "3 & tf.constant([5, 6])",
    "tf.constant([True, False]) ^ tf.constant([True, True])", "tf.constant([1.0]) & 1",
    "tf.constant([(tf.constant([5, 6], tf.int64) & 3).name, (3 ^ tf.constant([1])).name,"
    " (~tf.constant([1])).name, (tf.constant([True]) | tf.constant([False])).name])",
    "tf.div(tf.constant([7+0j, 1+1j], tf.complex64), tf.constant([2+0j, 1j], tf.complex64))",
    "tf.saturate_cast(tf.constant([1e10+3j, -5+2j], tf.complex64), tf.float32)",
    "tf.saturate_cast(tf.constant([300+3j, -5+2j], tf.complex64), tf.uint8)",
    "tf.saturate_cast(tf.constant([1, -1]), tf.complex64)",
    "tf.saturate_cast(tf.constant([1e300+2j, -1e300-1e300j], tf.complex128), tf.complex64)",
    "tf.saturate_cast(tf.constant([np.inf, -np.inf, 1.0]), tf.float32)",
    "tf.constant(tf.saturate_cast(tf.constant([1.0]), tf.float32).name)",
    "tf.saturate_cast(tf.constant([np.inf, -np.inf, 70000, 3.5], tf.float16), tf.int32)",
    "tf.saturate_cast(tf.constant([1e10, -5, 7.0]), tf.uint32)",
    "tf.saturate_cast(tf.constant([500, -7]), tf.uint8)",
    "tf.cast(tf.constant([1e10, -3e9, 7.9, -3.0, 3e9, 1e10, 5e19]), tf.uint32)",  # < 8 values
    "tf.cast(tf.constant(np.resize([1e10, -3e9, 1e19, 5e19, 7.9], 19)), tf.uint64)",
]


def test_second_probe_cases_match_tensorflow():
    theirs = tf_side_json(_PROGRAM, legacy_keras=False, stdin=json.dumps(_CASES_2))
    for case, t in zip(_CASES_2, theirs):
        m = _minitf_outcome(case)
        assert t[0] == m[0], (case, t, m)
        if t[0] == "value":
            assert t[1:] == m[1:], (case, t, m)
        else:
            assert t[1][0] in m[1], (case, t, m)
