"""The state probe's variable fixes: get_variable's explicit dtype against a value initializer's,
no shape beside a constant initializer, tf.assign* of a partitioned variable (its own methods),
and Assign/AssignAdd/AssignSub shapes (equal, never broadcast). TF-free tests check TF 2.21's
messages and hand-computed values; one runs the same script in tf.compat.v1 as well."""

import json

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import tf_side_json


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


# -- get_variable: an explicit dtype must be the value initializer's --------------------------
@pytest.mark.parametrize("initializer, dtype, theirs", [
    (np.random.RandomState(0).randn(5, 3), tf.float32, "float64"),
    ([1, 2], tf.float32, "int32"),
    ([1.0, 2.0], tf.float64, "float32"),
    (lambda: tf.constant([1.0, 2.0]), tf.float64, "float32"),  # a Tensor (made here)
])
def test_explicit_dtype_must_match_a_value_initializer(initializer, dtype, theirs):
    value = initializer() if callable(initializer) else initializer
    with pytest.raises(ValueError, match=rf"^Initializer type '<dtype: '{theirs}'>' and explicit "
                                         rf"dtype '<dtype: '{dtype.name}'>' don't match.$"):
        tf.get_variable("emb", initializer=value, dtype=dtype)
    assert not tf.global_variables()


def test_matching_or_unstated_dtypes_and_callables_are_taken():
    assert tf.get_variable("a", initializer=1.0, dtype=tf.float32).dtype == tf.float32
    assert tf.get_variable("b", initializer=np.ones([2])).dtype == tf.float64  # the value's
    made = tf.get_variable("c", initializer=lambda: tf.constant([1, 2]), dtype=tf.float32)
    assert made.dtype == tf.int32  # a callable's value is not checked (as TF)


def test_no_shape_beside_a_constant_initializer():
    for value in (tf.constant([1.0, 2.0]), [1.0, 2.0], np.float32([1.0, 2.0])):
        with pytest.raises(ValueError, match=r"^If initializer is a constant, do not specify "
                                             r"shape.$"):
            tf.get_variable("x", [2], initializer=value)
    assert tf.get_variable("x", initializer=tf.constant([1.0, 2.0])).shape == [2]


# -- tf.assign* of a partitioned variable ------------------------------------------------------
def test_assign_of_a_partitioned_variable_updates_each_part():
    emb = tf.get_variable("emb", [6, 2], initializer=tf.zeros_initializer(),
                          partitioner=tf.fixed_size_partitioner(2))
    load = tf.assign(emb, np.arange(12, dtype=np.float32).reshape(6, 2))
    assert isinstance(load, list) and len(load) == 2
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(load)
        np.testing.assert_array_equal(sess.run(tf.convert_to_tensor(emb)),
                                      np.arange(12).reshape(6, 2))
        sess.run(tf.assign_add(emb, np.ones([6, 2], np.float32)))
        sess.run(tf.assign_sub(emb, np.full([6, 2], 2.0, np.float32)))
        np.testing.assert_array_equal(sess.run(tf.convert_to_tensor(emb)),
                                      np.arange(12).reshape(6, 2) - 1)


# -- Assign/AssignAdd/AssignSub shapes: equal, never broadcast -----------------------------------
@pytest.mark.parametrize("update", [tf.assign, tf.assign_add, tf.assign_sub])
def test_updates_refuse_another_shape_when_built(update):
    v = tf.Variable([1.0, 2.0])
    m = tf.Variable([[1.0, 2.0]])
    with pytest.raises(ValueError, match="^Shapes must be equal rank, but are 1 and 0"):
        update(v, 1.0)
    with pytest.raises(ValueError, match=r"^Dimension 0 in both shapes must be equal, but are 2 "
                                         r"and 3. Shapes are \[2\] and \[3\]."):
        update(v, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="^Shapes must be equal rank, but are 2 and 1"):
        update(m, [1.0, 2.0])


def test_updates_refuse_another_shape_when_run():
    v = tf.Variable([1.0, 2.0])
    p = tf.placeholder(tf.float32)
    add, sub, assign = tf.assign_add(v, p), tf.assign_sub(v, p), tf.assign(v, p)
    with tf.Session() as sess:
        sess.run(v.initializer)
        for op in (add, sub):
            for value in (1.0, [1.0], [[1.0, 2.0]]):
                with pytest.raises(tf.errors.InvalidArgumentError,
                                   match="^Parameters and update must be the same size"):
                    sess.run(op, {p: value})
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"^Assign requires shapes of "
                                                                 r"both tensors to match. lhs "
                                                                 r"shape= \[2\] rhs shape= \[\]"):
            sess.run(assign, {p: 1.0})
        np.testing.assert_array_equal(sess.run(add, {p: [1.0, 1.0]}), [2.0, 3.0])
        np.testing.assert_array_equal(sess.run(v), [2.0, 3.0])  # nothing else changed it
    # validate_shape=False: the value's shape, even a scalar, replaces the variable's.
    grow = tf.assign(v, 5.0, validate_shape=False)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(grow) == 5.0 and sess.run(v) == 5.0


_SCRIPT = """
def err(fn):
    try:
        fn()
        return "OK"
    except Exception as e:
        return str(e).split(" for ")[0].split("\\n")[0]
out = {}
emb = tf.get_variable("emb", initializer=np.ones([2, 2]), dtype=tf.float64)
out["dtype"] = [err(lambda: tf.get_variable("e1", initializer=np.ones([2]), dtype=tf.float32)),
                err(lambda: tf.get_variable("e2", initializer=[1, 2], dtype=tf.float32)),
                emb.dtype.base_dtype.name]
out["shape"] = err(lambda: tf.get_variable("x", [2], initializer=tf.constant([1.0, 2.0])))
v = tf.Variable([1.0, 2.0])
out["build"] = [err(lambda: tf.assign_add(v, 1.0)), err(lambda: tf.assign_sub(v, [1.0] * 3)),
                err(lambda: tf.assign(v, 1.0))]
pv = tf.get_variable("pv", [4, 1], initializer=tf.zeros_initializer(),
                     partitioner=tf.fixed_size_partitioner(2))
load = tf.assign(pv, np.float32([[1], [2], [3], [4]]))
p = tf.placeholder(tf.float32)
add = tf.assign_add(v, p)
with tf.Session() as s:
    s.run(tf.global_variables_initializer())
    s.run(load)
    out["partitioned"] = s.run(tf.convert_to_tensor(pv)).ravel().tolist()
    try:
        s.run(add, {p: 1.0})
    except tf.errors.InvalidArgumentError as e:
        out["run"] = "Parameters and update must be the same size" in e.message
"""


def _mine(script):
    scope = {"tf": tf, "np": np}
    exec(script, scope)  # noqa: S102 - the test's own script, run in TF as well
    return json.loads(json.dumps(scope["out"]))


def test_same_results_and_messages_as_tensorflow():
    theirs = tf_side_json("import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()\n"
                          "import json, numpy as np\n" + _SCRIPT + "\nprint(json.dumps(out))",
                          legacy_keras=False)
    assert _mine(_SCRIPT) == theirs
