"""Square-matrix ops fill an unknown matrix dimension from the known one, as TF's
BatchUnchangedSquareShapeFn does (expected shapes taken from TF 2.21's tf.compat.v1)."""

import pytest

import minitf as tf

OPS = {
    "matrix_inverse": tf.matrix_inverse,
    "cholesky": tf.cholesky,
    "lu": lambda x: tf.linalg.lu(x)[0],
    "sqrtm": tf.linalg.sqrtm,
}


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("shape, expected", [
    ([None, 3], [3, 3]),
    ([3, None], [3, 3]),
    ([2, 3, None], [2, 3, 3]),
    ([2, None, 3], [2, 3, 3]),
    ([None, None], [None, None]),
])
def test_one_known_dimension_gives_both(name, shape, expected):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, shape)
        assert OPS[name](x).get_shape().as_list() == expected


def test_determinant_and_logm_shapes():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, None, 3])
        assert tf.matrix_determinant(x).get_shape().as_list() == [2]
        assert tf.linalg.logm(tf.cast(x, tf.complex64)).get_shape().as_list() == [2, 3, 3]


def test_inverse_of_partly_known_shape_still_runs():
    import numpy as np
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None, 2])
        inv = tf.matrix_inverse(x)
        with tf.Session() as sess:
            a = np.array([[2.0, 1.0], [1.0, 3.0]])
            np.testing.assert_allclose(sess.run(inv, {x: a}), np.linalg.inv(a))
