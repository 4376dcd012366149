"""tf.gradients called inside a tf.while_loop / tf.map_fn body, of values made outside the loop
(the row-by-row Jacobian idiom of TF1): the Enter of an outside value passes the gradient
through (TF1's _EnterGrad), the gradient ops are the body's. Checked against hand-computed
Jacobians in numpy, and side by side with tf.compat.v1 (skipped without TensorFlow)."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import run_against_tf

X = np.array([0.3, -0.7, 1.1])


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()


def _y(x):
    """A vector function of x whose Jacobian is _jacobian(x)."""
    return tf.stack([tf.sin(x[0]) * x[1], x[2] ** 3, tf.reduce_prod(x)])


def _y_np(x):
    return np.array([np.sin(x[0]) * x[1], x[2] ** 3, np.prod(x)])


def _jacobian(x):
    x0, x1, x2 = x
    return np.array([[np.cos(x0) * x1, np.sin(x0), 0.0],
                     [0.0, 0.0, 3 * x2 ** 2],
                     [x1 * x2, x0 * x2, x0 * x1]])


def _run(fetch, feed=None, init=False):
    with tf.Session() as sess:
        if init:
            sess.run(tf.global_variables_initializer())
        return sess.run(fetch, feed)


def test_map_fn_jacobian_rows():
    x = tf.constant(X)
    y = _y(x)
    jac = tf.map_fn(lambda i: tf.gradients(y[i], x)[0], tf.range(3), dtype=tf.float64)
    np.testing.assert_allclose(_run(jac), _jacobian(X), rtol=1e-12, atol=1e-12)


def test_while_loop_tensor_array_jacobian_rows():
    x = tf.constant(X)
    y = _y(x)
    ta = tf.TensorArray(tf.float64, size=3)
    _, ta = tf.while_loop(lambda j, ta: j < 3,
                          lambda j, ta: (j + 1, ta.write(j, tf.gradients(y[j], x)[0])), [0, ta])
    np.testing.assert_allclose(_run(ta.stack()), _jacobian(X), rtol=1e-12, atol=1e-12)


def test_jacobian_of_a_fed_vector_of_unknown_length():
    x = tf.placeholder(tf.float64, [None])
    y = x ** 2 * tf.reduce_sum(x)
    jac = tf.map_fn(lambda i: tf.gradients(y[i], x)[0], tf.range(tf.shape(x)[0]),
                    dtype=tf.float64)
    v = np.array([1.0, 2.0, 3.0, -0.5])
    want = np.diag(2 * v * v.sum()) + (v ** 2)[:, None]  # d(x_i^2 s)/dx_k
    np.testing.assert_allclose(_run(jac, {x: v}), want, rtol=1e-12)


def test_jacobian_of_a_variable_and_a_training_step_through_it():
    """A tf.Variable's Jacobian; then the loop holding those gradients is itself
    differentiated from outside (ordinary loop backprop): one SGD step on sum(J**2) (a rate
    exact in float32: the optimizer makes it a float32 constant first)."""
    x = tf.Variable(X)
    y = _y(x)
    jac = tf.map_fn(lambda i: tf.gradients(y[i], x)[0], tf.range(3), dtype=tf.float64)
    loss = tf.reduce_sum(jac ** 2)
    step = tf.train.GradientDescentOptimizer(0.0625).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(jac), _jacobian(X), rtol=1e-12, atol=1e-12)
        sess.run(step)
        after = sess.run(x)
    # loss = (x1 cos x0)^2 + sin^2 x0 + 9 x2^4 + (x1 x2)^2 + (x0 x2)^2 + (x0 x1)^2
    x0, x1, x2 = X
    grad = np.array([2 * np.sin(x0) * np.cos(x0) * (1 - x1 ** 2) + 2 * x0 * (x2 ** 2 + x1 ** 2),
                     2 * x1 * (np.cos(x0) ** 2 + x2 ** 2 + x0 ** 2),
                     36 * x2 ** 3 + 2 * x2 * (x1 ** 2 + x0 ** 2)])
    np.testing.assert_allclose(after, X - 0.0625 * grad, rtol=1e-12)


def test_variable_read_in_the_body():
    """The variable's value enters the loop; the gradient flows out to it."""
    x = tf.Variable(X)
    rows = tf.map_fn(lambda i: tf.gradients(tf.reduce_sum(x * tf.cast(i, tf.float64)) ** 2,
                                            x)[0], tf.range(3), dtype=tf.float64)
    want = np.array([2 * i * i * X.sum() * np.ones(3) for i in range(3)])
    np.testing.assert_allclose(_run(rows, init=True), want, rtol=1e-12)


def test_gradient_of_a_loop_variable_times_an_outside_value():
    """y depends on the loop variable and on x (outside): its gradient wrt x in the body."""
    x = tf.constant(X)

    def body(i, a):
        (g,) = tf.gradients(tf.reduce_sum(tf.sin(a * x)), x)
        return i + 1, a + g

    got = _run(tf.while_loop(lambda i, a: i < 3, body, [0, tf.constant([1.0, 2.0, 3.0],
                                                                        tf.float64)])[1])
    a = np.array([1.0, 2.0, 3.0])
    for _ in range(3):
        a = a + a * np.cos(a * X)
    np.testing.assert_allclose(got, a, rtol=1e-12)


def test_gradients_wrt_the_body_input_and_an_outside_value_together():
    x = tf.constant(X)

    def body(i, a):
        ga, gx = tf.gradients(tf.reduce_sum(a * a * x), [a, x])
        return i + 1, a - 0.1 * ga + 0.01 * gx

    got = _run(tf.while_loop(lambda i, a: i < 3, body, [0, tf.ones([3], tf.float64)])[1])
    a = np.ones(3)
    for _ in range(3):
        a = a - 0.1 * 2 * a * X + 0.01 * a * a
    np.testing.assert_allclose(got, a, rtol=1e-12)


def test_nested_loops_gradient_in_the_inner_body():
    """d(y_i y_j)/dx in the inner of two map_fns: y_j J_i + y_i J_j."""
    x = tf.constant(X)
    y = _y(x)
    got = _run(tf.map_fn(lambda i: tf.map_fn(lambda j: tf.gradients(y[i] * y[j], x)[0],
                                             tf.range(3), dtype=tf.float64),
                         tf.range(3), dtype=tf.float64))
    yv, jac = _y_np(X), _jacobian(X)
    want = yv[None, :, None] * jac[:, None, :] + yv[:, None, None] * jac[None, :, :]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_gradient_in_a_cond_branch_inside_the_loop_and_through_a_cond():
    x = tf.constant(X)
    y = _y(x)
    in_branch = tf.map_fn(lambda i: tf.cond(i > 0, lambda: tf.gradients(y[i], x)[0],
                                            lambda: -x), tf.range(3), dtype=tf.float64)
    through = tf.map_fn(lambda i: tf.gradients(tf.cond(i > 0, lambda: y[i],
                                                       lambda: 2.0 * y[0]), x)[0],
                        tf.range(3), dtype=tf.float64)
    got_in, got_through = _run([in_branch, through])
    jac = _jacobian(X)
    np.testing.assert_allclose(got_in, np.stack([-X, jac[1], jac[2]]), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got_through, np.stack([2 * jac[0], jac[1], jac[2]]),
                               rtol=1e-12, atol=1e-12)


def test_gradient_through_a_loop_variable_to_its_initial_value_refuses_as_tf1():
    """Only the first iteration's loop variable is its initial value: TF1 refuses (a
    ValueError), so does minitf, instead of a gradient through the loop's Merge."""
    x0 = tf.constant([1.0, 2.0])

    def body(i, a):
        return i + 1, a + tf.gradients(tf.reduce_sum(a * a), x0)[0]

    with pytest.raises(ValueError, match="through the initial value of a loop variable"):
        tf.while_loop(lambda i, a: i < 2, body, [0, x0])


def test_an_enter_outside_the_loop_being_built_still_refuses():
    """The pass-through is only for the loop being built: reached from outside, an Enter of a
    frame that is not TF1's form keeps its refusal (a loop of TF1's form is differentiated as
    a whole, never through its Enters)."""
    from minitf.ops.control_flow_ops import ENTER

    x = tf.constant(X)
    entered = ENTER(x, frame_name="not_a_loop")
    with pytest.raises(LookupError, match="not a while loop of TF1's form"):
        tf.gradients(entered * 2.0, x)


_VS_TF = r'''
import os
import numpy as np
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1
import minitf as mtf
tf1.disable_v2_behavior()  # TF1 control flow (v1 loops), as minitf

X = [0.3, -0.7, 1.1]


def y_of(tf, x):
    return tf.stack([tf.sin(x[0]) * x[1], x[2] ** 3, tf.reduce_prod(x)])


def map_fn_rows(tf):
    x = tf.constant(X)
    y = y_of(tf, x)
    return tf.map_fn(lambda i: tf.gradients(y[i], x)[0], tf.range(3), dtype=tf.float32)


def tensor_array_rows(tf):
    x = tf.constant(X)
    y = y_of(tf, x)
    ta = tf.TensorArray(tf.float32, size=3)
    _, ta = tf.while_loop(lambda j, ta: j < 3,
                          lambda j, ta: (j + 1, ta.write(j, tf.gradients(y[j], x)[0])), [0, ta])
    return ta.stack()


def variable_rows_and_backprop(tf):
    x = tf.Variable(X)
    y = y_of(tf, x)
    jac = tf.map_fn(lambda i: tf.gradients(y[i], x)[0], tf.range(3), dtype=tf.float32)
    return tf.concat([tf.reshape(jac, [-1]), tf.gradients(tf.reduce_sum(jac * jac), x)[0]], 0)


def loop_variable_and_outside(tf):
    x = tf.constant(X)

    def body(i, a):
        return i + 1, a + tf.gradients(tf.reduce_sum(tf.sin(a * x)), x)[0]

    return tf.while_loop(lambda i, a: i < 3, body, [0, tf.constant([1.0, 2.0, 3.0])])[1]


def nested(tf):
    x = tf.constant(X)
    y = y_of(tf, x)
    return tf.map_fn(lambda i: tf.map_fn(lambda j: tf.gradients(y[i] * y[j], x)[0],
                                         tf.range(3), dtype=tf.float32),
                     tf.range(3), dtype=tf.float32)


def cond_inside(tf):
    x = tf.constant(X)
    y = y_of(tf, x)
    return tf.map_fn(lambda i: tf.gradients(tf.cond(i > 0, lambda: y[i], lambda: 2.0 * y[0]),
                                            x)[0], tf.range(3), dtype=tf.float32)


def initial_value(tf):
    x0 = tf.constant([1.0, 2.0])
    return tf.while_loop(lambda i, a: i < 2, lambda i, a: (
        i + 1, a + tf.gradients(tf.reduce_sum(a * a), x0)[0]), [0, x0])[1]


def run(tf, build):
    with tf.Graph().as_default():
        try:
            out = build(tf)
        except ValueError as e:
            return "ValueError" if "initial value of a loop variable" in str(e) else repr(e)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return sess.run(out)


for build in [map_fn_rows, tensor_array_rows, variable_rows_and_backprop,
              loop_variable_and_outside, nested, cond_inside, initial_value]:
    theirs, ours = run(tf1, build), run(mtf, build)
    if isinstance(theirs, str) or isinstance(ours, str):
        same = theirs == ours
    else:
        same = ours.shape == theirs.shape and np.allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    print(build.__name__, "OK" if same else f"DIFF ours={ours!r} theirs={theirs!r}")
'''


def test_against_tensorflow(tmp_path):
    """Jacobian rows by map_fn and by while_loop + TensorArray, a variable (and backprop of
    the loop holding its gradients), nested loops, a cond inside, and the initial-value
    refusal agree with tf.compat.v1."""
    run_against_tf("gradients_inside_loops_vs_tf.py", cases=7, source=_VS_TF, tmp_path=tmp_path)
