"""dense * SparseTensor is the sparse-dense product (TF's _mul_dispatch), and float attrs are
float32 as TF's AttrValue holds them, so kernels see the rounded value (expected values
checked against TF 2.21's tf.compat.v1)."""

import numpy as np
import pytest

import minitf as tf


def test_dense_times_sparse_is_sparse():
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 0], [1, 2]], [2., 3.], [2, 3])
        w = tf.constant([[10., 20., 30.]])
        v = tf.Variable([[1., 2., 3.]])
        outs = [w * sp, v * sp, sp * w, tf.constant(2.0) * sp]
        assert all(isinstance(o, tf.SparseTensor) for o in outs)
        assert outs[0].get_shape().as_list() == [2, 3]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = [sess.run(o).values.tolist() for o in outs]
    assert got == [[20., 90.], [2., 9.], [20., 90.], [4., 6.]]


@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a / b])
def test_other_operators_refuse_a_sparse_right_operand(op):
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 0]], [2.], [1, 3])
        with pytest.raises(TypeError):
            op(tf.constant([[1., 2., 3.]]), sp)


def test_leaky_relu_alpha_is_float32_for_float64_inputs():
    with tf.Graph().as_default():
        x = tf.constant([-1000.0, 3.0], tf.float64)
        y = tf.nn.leaky_relu(x, alpha=0.1)
        assert y.op.get_attr("alpha") == float(np.float32(0.1))
        with tf.Session() as sess:
            out = sess.run(y)
    # TF: -100.00000149 (0.1 rounded to float32, times -1000 in float64)
    assert out[0] == -1000.0 * float(np.float32(0.1)) and out[0] != -100.0
    assert out[1] == 3.0


def test_float_attr_defaults_are_float32():
    with tf.Graph().as_default():
        x = tf.constant([-1.0], tf.float64)
        y = tf.nn.leaky_relu(x)  # default alpha 0.2
        with tf.Session() as sess:
            assert sess.run(y)[0] == -float(np.float32(0.2))
