"""tf.register_tensor_conversion_function: user types become op inputs through registered
functions, tried by priority then registration order; TF's errors for bad registrations and
bad results (messages as TF 2.21 gave them)."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf import tensor_conversion


class Meters:
    def __init__(self, v):
        self.v = v


class Feet(Meters):
    pass


@pytest.fixture(autouse=True)
def _restore_registry():
    saved = tensor_conversion._CONVERSIONS
    yield
    tensor_conversion._CONVERSIONS = saved


def _to_const(value, dtype=None, name=None, as_ref=False):
    return tf.constant(value.v, dtype=dtype, name=name)


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def test_registered_type_and_its_subclasses_become_op_inputs():
    with tf.Graph().as_default():
        tf.register_tensor_conversion_function(Meters, _to_const)
        total = tf.add(Meters(1.5), 2.0)
        sub = tf.convert_to_tensor(Feet(3.0), name="feet")
        assert sub.op.type == "Const" and sub.op.name == "feet"
        assert _run([total, sub]) == [3.5, 3.0]


def test_priority_then_order_and_not_implemented_falls_through():
    calls = []

    def declines(value, dtype=None, name=None, as_ref=False):
        calls.append("declines")
        return NotImplemented

    def late(value, dtype=None, name=None, as_ref=False):
        calls.append("late")
        return tf.constant(-1.0)

    with tf.Graph().as_default():
        tf.register_tensor_conversion_function(Meters, late, priority=100)
        tf.register_tensor_conversion_function(Feet, _to_const, priority=100)
        tf.register_tensor_conversion_function(Meters, declines, priority=1)
        assert _run(tf.convert_to_tensor(Feet(7.0))) == -1.0  # same priority: first registered
        assert calls == ["declines", "late"]


def test_requested_dtype_is_passed_and_checked():
    with tf.Graph().as_default():
        tf.register_tensor_conversion_function(Meters, _to_const)
        t = tf.convert_to_tensor(Meters(2), dtype=tf.float64)
        assert t.dtype == tf.float64 and _run(t) == 2.0
        tf.register_tensor_conversion_function(
            Feet, lambda v, dtype=None, name=None, as_ref=False: tf.constant(1, tf.int64),
            priority=1)
        with pytest.raises(RuntimeError, match="returned incompatible dtype: requested = "
                                               "float32, actual = int64"):
            tf.convert_to_tensor(Feet(3.0), dtype=tf.float32)


def test_a_result_that_is_not_a_tensor_is_refused():
    with tf.Graph().as_default():
        tf.register_tensor_conversion_function(Meters, lambda v, **kw: 5)
        with pytest.raises(RuntimeError, match="returned non-Tensor: 5"):
            tf.convert_to_tensor(Meters(1.0))


@pytest.mark.parametrize("base_type", [int, float, bool, np.float32, np.ndarray])
def test_numeric_and_numpy_types_cannot_be_registered(base_type):
    with pytest.raises(TypeError, match="Cannot register conversions for Python numeric "
                                        "types and NumPy scalars and arrays."):
        tf.register_tensor_conversion_function(base_type, _to_const)


def test_bad_arguments():
    with pytest.raises(TypeError, match="must be a type or a tuple of types. Obtained: 3"):
        tf.register_tensor_conversion_function(3, _to_const)
    with pytest.raises(TypeError, match="must be callable. Received 3."):
        tf.register_tensor_conversion_function(Meters, 3)


def test_unregistered_conversion_is_unchanged():
    with tf.Graph().as_default():
        tf.register_tensor_conversion_function(Meters, _to_const)
        assert _run(tf.convert_to_tensor([1, 2])).tolist() == [1, 2]
        with pytest.raises(TypeError):
            tf.convert_to_tensor(object())


def test_tensorflow_converts_and_refuses_the_same():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from tensorflow.python.framework import tensor_conversion_registry as reg

    class Yards(Meters):  # a class of this test only: TF's registry cannot be emptied again
        pass

    g = tf1.Graph()
    with g.as_default():
        tf1.register_tensor_conversion_function(
            Yards, lambda v, dtype=None, name=None, as_ref=False: tf1.constant(
                v.v, dtype=dtype, name=name))
        with tf1.Session(graph=g) as sess:
            want = sess.run(tf1.add(Yards(1.5), 2.0))
    with tf.Graph().as_default():
        tf.register_tensor_conversion_function(Yards, _to_const)
        assert _run(tf.add(Yards(1.5), 2.0)) == want == 3.5
    for bad in (int, np.ndarray):
        with pytest.raises(TypeError) as theirs:
            reg.register_tensor_conversion_function(bad, _to_const)
        with pytest.raises(TypeError) as ours:
            tf.register_tensor_conversion_function(bad, _to_const)
        assert str(ours.value) == str(theirs.value)
