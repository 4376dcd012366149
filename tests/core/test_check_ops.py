"""TF1's rank, type and tolerance checks and the numerics helpers: decided at construction
when the static shape or dtype tells (with TensorFlow's messages, recorded from tf.compat.v1
2.21), else at run time by an Assert op."""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import FailedPreconditionError, InvalidArgumentError


def run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


@pytest.mark.parametrize("check,message", [
    (lambda x: tf.assert_rank(x, 3), "Tensor x:0 must have rank 3.  Received rank 2, shape "
                                     r"\(2, 3\)"),
    (lambda x: tf.assert_rank(x, 3, message="hey"), "hey.  Tensor x:0 must have rank 3."),
    (lambda x: tf.assert_rank_at_least(x, 3), "must have rank at least 3.  Received rank 2"),
    (lambda x: tf.assert_rank_in(x, [1, 3]), r"must have rank in \(1, 3\).  Received rank 2"),
    (lambda x: tf.assert_scalar(x), r"Expected scalar shape for x:0, saw shape: \(2, 3\)."),
])
def test_static_rank_failures_raise_at_construction(check, message):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 3], name="x")
        with pytest.raises(ValueError, match=message):
            check(x)


def test_static_passes_give_ops_to_depend_on():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 3], name="x")
        ok = [tf.assert_rank(x, 2), tf.assert_rank_at_least(x, 1), tf.assert_rank_in(x, [0, 2]),
              tf.assert_type(x, tf.float32), tf.assert_integer(tf.constant(1))]
        assert [op.type for op in ok] == ["NoOp"] * 5
        assert ok[0].name == "assert_rank/static_checks_determined_all_ok"
        assert tf.assert_scalar(tf.constant(1.0)).op.type == "Const"
        run(ok)  # they run


def test_dtype_checks():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        with pytest.raises(TypeError, match="m.  x:0 must be of type tf.int32; got tf.float32"):
            tf.assert_type(x, tf.int32, message="m")
        with pytest.raises(TypeError, match="Expected \"x\" to be integer type.  Found: x:0 "
                                            "of dtype <dtype: 'float32'>"):
            tf.assert_integer(x)
        y = tf.constant(1.0, tf.float64)
        with pytest.raises(ValueError, match=r"Const:0, type=<dtype: 'float64'>, must be of the "
                                             r"same type \(<dtype: 'float32'>\) as x:0"):
            tf.assert_same_float_dtype([x, y])
        assert tf.assert_same_float_dtype([x]) == tf.float32
        assert tf.assert_same_float_dtype(None, tf.float16) == tf.float16
        assert tf.assert_same_float_dtype() == tf.float32
        with pytest.raises(ValueError, match="Expected floating point type, got <dtype: 'int32'>"):
            tf.assert_same_float_dtype([tf.constant(1)])
        assert tf.is_numeric_tensor(x) and not tf.is_numeric_tensor(tf.constant("a"))
        assert not tf.is_numeric_tensor(3)
    for bad in ("abc", np.zeros(2), 3):
        with pytest.raises(TypeError, match='to be a "proper" iterable'):
            tf.assert_proper_iterable(bad)
    tf.assert_proper_iterable([1, 2])


@pytest.mark.parametrize("build,value,text", [
    (lambda u: tf.assert_rank(u, 2), np.zeros(3),
     "[] [Tensor u:0 must have rank] [2] [Received shape: ] [3]"),
    (lambda u: tf.assert_rank_at_least(u, 2, message="mm"), np.zeros(3),
     "[mm.  ] [Tensor u:0 must have rank at least] [2] [Received shape: ] [3]"),
    (lambda u: tf.assert_rank_in(u, [0, 2]), np.zeros(3),
     "[] [Tensor u:0 must have rank in] [0] [2] [Received shape: ] [3]"),
    (lambda u: tf.assert_rank(u, tf.placeholder_with_default(2, [])), np.zeros(3),
     "[Tensor u:0 must have rank] [2]"),
    (lambda u: tf.assert_none_equal(u, 1.0), np.array([0.0, 1.0]),
     "[Condition x != y did not hold for every single element:] [x (u:0) = ] [0 1]"),
    (lambda u: tf.assert_near(u, u + 1e-3), np.ones(3), "x and y not equal to tolerance"),
])
def test_run_time_checks_fail_with_their_data(build, value, text):
    with tf.Graph().as_default():
        u = tf.placeholder(tf.float32, name="u")
        check = build(u)
        assert check.type == "Assert"
        with pytest.raises(InvalidArgumentError) as err:
            run(check, {u: value})
        assert text in str(err.value)


def test_run_time_checks_pass():
    with tf.Graph().as_default():
        u = tf.placeholder(tf.float32, name="u")
        run([tf.assert_rank(u, 1), tf.assert_rank_in(u, [1, 2]), tf.assert_near(u, u + 1e-7),
             tf.assert_none_equal(u, 5.0), tf.assert_near(u, u + 0.05, atol=0.1)],
            {u: np.ones(3)})
        # a SparseTensor's rank is its dense_shape's length
        sp = tf.sparse_placeholder(tf.float32)
        run(tf.assert_rank(sp, 2), {sp: ([[0, 0]], [1.0], [2, 2])})
        with pytest.raises(InvalidArgumentError, match="must have rank"):
            run(tf.assert_rank(sp, 3), {sp: ([[0, 0]], [1.0], [2, 2])})


def test_verify_tensor_all_finite_and_add_check_numerics_ops():
    with tf.Graph().as_default():
        u = tf.placeholder(tf.float32)
        checked = tf.verify_tensor_all_finite(u, "bad!")
        assert [c.type for c in checked.op.control_inputs] == ["CheckNumerics"]
        np.testing.assert_array_equal(run(checked, {u: [1.0, 2.0]}), [1.0, 2.0])
        with pytest.raises(InvalidArgumentError, match="bad! : Tensor had NaN values"):
            run(checked, {u: [1.0, np.nan]})
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [2])
        q = tf.log(p)
        every = tf.add_check_numerics_ops()
        run([q, every], {p: [1.0, 2.0]})
        with pytest.raises(InvalidArgumentError, match="Log:0 : Tensor had NaN values"):
            run([q, every], {p: [1.0, -1.0]})
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [])
        tf.cond(x > 0, lambda: x, lambda: -x)
        with pytest.raises(ValueError, match="not compatible with TensorFlow control flow"):
            tf.add_check_numerics_ops()
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [])
        tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * 2.0), [0, x])
        with pytest.raises(ValueError, match="op 'while/.*' is inside one"):
            tf.add_check_numerics_ops()


def test_assert_variables_initialized():
    with tf.Graph().as_default():
        assert tf.assert_variables_initialized() is None  # no variables
        tf.Variable(1.0, name="vv")
        tf.Variable([1.0, 2.0], name="ww")
        check = tf.assert_variables_initialized()
        with tf.Session() as sess:
            with pytest.raises(FailedPreconditionError, match="uninitialized value vv"):
                sess.run(check)
            sess.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run(check), [0, 1])  # their ranks, as TF1's


def test_debugging_namespace_has_them():
    for name in ("assert_rank", "assert_rank_at_least", "assert_rank_in", "assert_type",
                 "assert_scalar", "assert_integer", "assert_near", "assert_none_equal",
                 "assert_proper_iterable", "assert_same_float_dtype", "is_numeric_tensor",
                 "is_non_decreasing", "is_strictly_increasing"):
        assert getattr(tf.debugging, name) is getattr(tf, name)
