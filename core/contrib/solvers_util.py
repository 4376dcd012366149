"""``tf.contrib.solvers.util`` (TF 1.15): matrix-free linear operators as namedtuples
``LinearOperator(shape, dtype, apply, apply_adjoint)`` and the vector helpers the solvers use."""

from __future__ import annotations

import collections

import minitf as tf

__all__ = ["create_operator", "dot", "identity_operator", "l2norm", "l2norm_squared",
           "l2normalize"]

_LinearOperator = collections.namedtuple("LinearOperator",
                                         ["shape", "dtype", "apply", "apply_adjoint"])


def _shape(matrix):
    """The static shape as a list when fully known, else the dynamic shape tensor."""
    shape = matrix.get_shape()
    if shape.rank is not None and shape.rank != 2:
        raise ValueError(f"A linear operator needs a rank-2 matrix, got shape {shape}")
    return shape.as_list() if shape.is_fully_defined() else tf.shape(matrix)


def create_operator(matrix):
    """The operator of a rank-2 tensor: ``apply(v) = matrix @ v``, ``apply_adjoint(v) =
    matrix^H @ v`` (``v`` a column ``[n, 1]``)."""
    matrix = tf.convert_to_tensor(matrix, name="matrix")
    return _LinearOperator(
        shape=_shape(matrix), dtype=matrix.dtype,
        apply=lambda v: tf.matmul(matrix, v, adjoint_a=False),
        apply_adjoint=lambda v: tf.matmul(matrix, v, adjoint_a=True))


def identity_operator(matrix):
    """The identity operator with the shape and dtype of the rank-2 ``matrix``."""
    matrix = tf.convert_to_tensor(matrix, name="matrix")
    return _LinearOperator(shape=_shape(matrix), dtype=matrix.dtype,
                           apply=lambda v: v, apply_adjoint=lambda v: v)


def dot(x, y):
    """``sum(conj(x) * y)``."""
    x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    return tf.reduce_sum(tf.conj(x) * y)


def l2norm_squared(v):
    v = tf.convert_to_tensor(v)
    return tf.constant(2, dtype=v.dtype.base_dtype) * tf.nn.l2_loss(v)


def l2norm(v):
    return tf.sqrt(l2norm_squared(v))


def l2normalize(v):
    """``(v / ||v||, ||v||)``."""
    norm = l2norm(v)
    return v / norm, norm
