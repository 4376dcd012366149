"""tf.Print, tf.Assert and the runtime tf.assert_* messages write each element as TF's legacy
Tensor::SummarizeValue does (PrintOneElement with print_v2=false): float32 "%.6g", or "%.9g"
when that does not read back; float64 "%.15g"/"%.17g"; half through float; bools 1 and 0;
complex "?"; strings C-escaped (absl::Utf8SafeCEscape) and unquoted. The expected texts were
written by tf.compat.v1 2.21 for the same tensors; the last test asks TensorFlow again where
it is installed."""

from __future__ import annotations

import json

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import tf_side_json

# (name, dtype, values, TF 2.21's Assert text of them)
CASES = [
    ("float32", "float32", [1e6, 3.14159265, 1e-5, 0.1, -0.0, "inf", "-inf", "nan", 3.4e38,
                            123456789.0, 100.0, 0.5],
     "1e+06 3.14159274 1e-05 0.1 -0 inf -inf nan 3.4e+38 123456792 100 0.5"),
    ("float64", "float64", [1 / 3, 0.1, 1e6, 1e16, -0.0, "inf", "nan", "-nan", 2.5, 1e-300,
                            123456789012345678.0],
     "0.33333333333333331 0.1 1000000 1e+16 -0 inf nan -nan 2.5 1e-300 1.2345678901234568e+17"),
    ("float16", "float16", [0.1, 1 / 3, 65504.0, -0.0, "inf", "nan", 6e-8],
     "0.0999755859 0.333251953 65504 -0 inf nan 5.96046448e-08"),
    ("int8", "int8", [-128, 65, 0, 127], "-128 65 0 127"),
    ("uint8", "uint8", [0, 65, 255], "0 65 255"),
    ("int64", "int64", [-2**63, 2**62], "-9223372036854775808 4611686018427387904"),
    ("uint64", "uint64", [2**64 - 1], "18446744073709551615"),
    ("bool", "bool", [True, False], "1 0"),
    ("complex64", "complex64", [[1, 2], [0.1, -1e6]], "? ?"),
    ("complex128", "complex128", [[1 / 3, 2]], "?"),
    ("string", "string", ["it's", 'q"b\\', "t\tn\nr\r\x01\x7f", "é€"],
     "it\\'s q\\\"b\\\\ t\\tn\\nr\\r\\001\\177 é€"),
]


def _array(dtype: str, values):
    if dtype == "string":
        return np.array([v.encode() for v in values], object)
    if dtype.startswith("complex"):
        return np.array([complex(*v) for v in values], dtype)
    return np.array([float(v) if isinstance(v, str) else v for v in values], dtype)


@pytest.mark.parametrize("name, dtype, values, want", CASES, ids=[c[0] for c in CASES])
def test_assert_message_formats_elements_as_tf(name, dtype, values, want):
    check = tf.Assert(False, [tf.constant(_array(dtype, values))], summarize=100)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(check)
    assert info.value.message.split("\n")[0] == f"assertion failed: [{want}]"


def test_print_writes_tfs_legacy_text(capsys):
    """The brief's repro: tf.compat.v1 2.21 wrote this line to stderr for the same graph."""
    x = tf.constant([1e6, 3.14159265, 1e-5], tf.float32)
    d = tf.constant([1 / 3], tf.float64)
    s = tf.constant(["it's"])
    with tf.Session() as sess:
        capsys.readouterr()
        sess.run(tf.Print(x, [x, d, s, tf.constant([1 + 2j]), tf.constant([0.1], tf.float16)],
                          message="P: "))
        assert capsys.readouterr().err == \
            "P: [1e+06 3.14159274 1e-05][0.33333333333333331][it\\'s][?][0.0999755859]\n"


def test_runtime_assert_less_shows_floats_as_tf():
    x = tf.placeholder(tf.float32, [2])
    check = tf.debugging.assert_less(x, 1.0)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(check, {x: [0.1, 3.14159265]})
    assert info.value.message.split("\n")[0].endswith(
        "[x (Placeholder:0) = ] [0.1 3.14159274] [y (assert_less/y:0) = ] [1]")


_TF_PROGRAM = r"""
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()

def array(dtype, values):
    if dtype == "string":
        return np.array([v.encode() for v in values], object)
    if dtype.startswith("complex"):
        return np.array([complex(*v) for v in values], dtype)
    return np.array([float(v) if isinstance(v, str) else v for v in values], dtype)

out = {}
for name, dtype, values in json.loads(sys.stdin.read()):
    with tf.Graph().as_default():
        check = tf.Assert(False, [tf.constant(array(dtype, values))], summarize=100)
        with tf.Session() as sess:
            try:
                sess.run(check)
            except tf.errors.InvalidArgumentError as e:
                line = e.message.split("assertion failed: ", 1)[1].split("\n")[0]
                out[name] = line
print(json.dumps(out))
"""


def test_cases_are_what_tensorflow_writes():
    theirs = tf_side_json(_TF_PROGRAM, legacy_keras=False,
                          stdin=json.dumps([c[:3] for c in CASES]))
    assert theirs == {name: f"[{want}]" for name, _, _, want in CASES}


def test_tf_print_writes_complex_as_tf(capsys):
    """tf.print (PrintV2) shares the element text: TF 2.21 wrote this line for the same op."""
    import sys

    with tf.Session() as sess:
        capsys.readouterr()
        sess.run(tf.print(tf.constant([1 + 2j]), tf.constant(["it's"]), output_stream=sys.stderr))
        assert capsys.readouterr().err == "[?] [\"it\\'s\"]\n"
