"""tf.contrib.linalg: TF 1.x's LinearOperator names, including the early ones."""

import numpy as np
import pytest

import minitf as tf


def test_early_names_build_the_operators_they_became():
    # Kyubyong's transformer: the causal mask is the lower triangle of a ones matrix.
    tril = tf.contrib.linalg.LinearOperatorTriL(tf.ones([3, 3])).to_dense()
    full = tf.contrib.linalg.LinearOperatorMatrix(tf.constant([[1.0, 2.0], [3.0, 4.0]]))
    with tf.Session() as sess:
        mask, product = sess.run([tril, full.matvec(tf.constant([1.0, 1.0]))])
    np.testing.assert_array_equal(mask, np.tril(np.ones((3, 3), np.float32)))
    np.testing.assert_array_equal(product, [3.0, 7.0])
    assert tf.contrib.linalg.LinearOperatorDiag is tf.linalg.LinearOperatorDiag
    assert tf.contrib.linalg.LinearOperatorUDVHUpdate is tf.linalg.LinearOperatorLowRankUpdate
    with pytest.raises(AttributeError):
        tf.contrib.linalg.no_such_operator  # noqa: B018
