"""``tf.contrib.distributions.bijectors`` (TF 1.15), part five: bijectors of matrix events:
CholeskyOuterProduct, FillTriangular (with TF's ``fill_triangular`` layout: the vector fills
the triangle in a clockwise spiral), MatrixInverseTriL, TransformDiagonal and ScaleTriL."""

from __future__ import annotations

import numpy as np

import minitf as tf

from ..distributions_util import with_dependencies
from .distributions_bijectors_base import Bijector
from .distributions_bijectors_compose import Chain
from .distributions_bijectors_scalar import AffineScalar, Softplus

__all__ = ["CholeskyOuterProduct", "FillTriangular", "MatrixInverseTriL", "ScaleTriL",
           "TransformDiagonal", "fill_triangular", "fill_triangular_inverse",
           "vector_size_to_square_matrix_size"]


def _last_dim(x, rank_at_least):
    return x.shape.with_rank_at_least(rank_at_least)[-1].value


def fill_triangular(x, upper=False, name=None):
    """The ``n x n`` triangular matrices whose ``n (n + 1) / 2`` entries are the last axis of
    ``x``, laid out as TF's: the vector followed by its own tail (reversed for the lower
    triangle) fills ``n`` full rows, whose band is the triangle."""
    with tf.name_scope(name, "fill_triangular", values=[x]):
        x = tf.convert_to_tensor(x, name="x")
        m = _last_dim(x, 1)
        if m is not None:
            n = (np.sqrt(0.25 + 2.0 * m) - 0.5)
            if n != np.floor(n):
                raise ValueError(f"Input right-most shape ({m}) does not correspond to a "
                                 "triangular matrix.")
            n = int(n)
            static = x.shape[:-1].concatenate([n, n])
        else:
            m = tf.shape(x)[-1]
            n = tf.cast(tf.sqrt(0.25 + tf.cast(2 * m, tf.float32)), tf.int32)
            static = x.shape.with_rank_at_least(1)[:-1].concatenate([None, None])
        # n full rows of n entries whose band is the triangle: for the lower one x's tail
        # x[n:] followed by x reversed, for the upper one x followed by its tail reversed.
        if upper:
            rows = [x, tf.reverse(x[..., n:], axis=[-1])]
        else:
            rows = [x[..., n:], tf.reverse(x, axis=[-1])]
        shape = (static.as_list() if static.is_fully_defined()
                 else tf.concat([tf.shape(x)[:-1], [n, n]], axis=0))
        out = tf.reshape(tf.concat(rows, axis=-1), shape)
        out = tf.matrix_band_part(out, 0 if upper else -1, -1 if upper else 0)
        out.set_shape(static)
        return out


def fill_triangular_inverse(x, upper=False, name=None):
    """The vectors ``fill_triangular`` makes these triangular matrices of (the entries off
    the triangle are ignored)."""
    with tf.name_scope(name, "fill_triangular_inverse", values=[x]):
        x = tf.convert_to_tensor(x, name="x")
        n = _last_dim(x, 2)
        if n is not None:
            m = n * (n + 1) // 2
            static = x.shape[:-2].concatenate([m])
        else:
            n = tf.shape(x)[-1]
            m = (n * (n + 1)) // 2
            static = x.shape.with_rank_at_least(2)[:-2].concatenate([None])
        if upper:
            first, rest = x[..., 0, :], x[..., 1:, :]
        else:
            first, rest = tf.reverse(x[..., -1, :], axis=[-1]), x[..., :-1, :]
        # The other n - 1 rows, each folded with its 180-degree rotation, hold the rest.
        folded = rest + tf.reverse(rest, axis=[-2, -1])
        tail = tf.reshape(folded, tf.concat([tf.shape(x)[:-2], [n * (n - 1)]], axis=0))
        out = tf.concat([first, tail[..., :m - n]], axis=-1)
        out.set_shape(static)
        return out


def vector_size_to_square_matrix_size(d, validate_args, name=None):
    """The ``n`` with ``n (n + 1) / 2 == d``."""
    if isinstance(d, (float, int, np.generic, np.ndarray)):
        n = (-1 + np.sqrt(1 + 8 * d)) / 2.0
        if float(int(n)) != n:
            raise ValueError(f"Vector length {d} is not a triangular number.")
        return int(n)
    with tf.name_scope(name, "vector_size_to_square_matrix_size", [d]):
        n = (-1.0 + tf.sqrt(1 + 8.0 * tf.cast(d, tf.float32))) / 2.0
        if validate_args:
            n = with_dependencies([tf.assert_equal(
                tf.cast(tf.cast(n, tf.int32), tf.float32), n,
                message="Vector length is not a triangular number")], n)
        return tf.cast(n, d.dtype)


def _square_checks(x, validate_args, message_square="Input must be a (batch of) square "
                   "matrix."):
    if not validate_args:
        return []
    shape = tf.shape(x)
    return [tf.assert_rank_at_least(x, 2, message="Input must be a (batch of) matrix."),
            tf.assert_equal(shape[-2], shape[-1], message=message_square)]


class CholeskyOuterProduct(Bijector):
    """``Y = X @ X^T`` for lower-triangular ``X`` with a positive diagonal (its upper part is
    ignored); the inverse is the Cholesky factor."""

    def __init__(self, validate_args=False, name="cholesky_outer_product"):
        super().__init__(forward_min_event_ndims=2, validate_args=validate_args, name=name)

    def _forward(self, x):
        if self.validate_args:
            x = with_dependencies(_square_checks(x, True), x)
        x = tf.matrix_band_part(x, -1, 0)  # the upper triangle is ignored: zero it
        return tf.matmul(x, x, adjoint_b=True)

    def _inverse(self, y):
        return tf.cholesky(y)

    def _forward_log_det_jacobian(self, x):
        # Over the n (n + 1) / 2 free entries, d vec(Y) / d vec(X) is triangular with
        # diagonal 2 X[j, j] for each entry (i, j), i >= j: |J| = 2^n prod_j X[j, j]^(n - j).
        diag = tf.matrix_diag_part(x)
        if self.validate_args:
            checks = _square_checks(x, True) + [tf.assert_positive(
                diag, message="Input must be positive definite.")]
            diag = with_dependencies(checks, diag)
        n = _last_dim(x, 2)
        if n is None:
            n_int = tf.shape(x)[-1]
            n_float = tf.cast(n_int, x.dtype)
        else:
            n_int, n_float = n, np.array(n, dtype=x.dtype.as_numpy_dtype)
        exponents = tf.linspace(tf.cast(n_float, tf.float32), 1.0, n_int)
        exponents = tf.cast(exponents, x.dtype)
        return n_float * np.log(2.0) + tf.reduce_sum(tf.log(diag) * exponents, axis=-1)


class FillTriangular(Bijector):
    """Vectors of ``n (n + 1) / 2`` entries to ``n x n`` lower (or ``upper``) triangular
    matrices (``fill_triangular``); a volume-preserving rearrangement."""

    def __init__(self, upper=False, validate_args=False, name="fill_triangular"):
        self._upper = upper
        super().__init__(forward_min_event_ndims=1, inverse_min_event_ndims=2,
                         validate_args=validate_args, name=name)

    def _forward(self, x):
        return fill_triangular(x, upper=self._upper)

    def _inverse(self, y):
        return fill_triangular_inverse(y, upper=self._upper)

    def _forward_log_det_jacobian(self, x):
        return tf.zeros_like(x[..., 0])

    def _inverse_log_det_jacobian(self, y):
        return tf.zeros_like(y[..., 0, 0])

    def _forward_event_shape(self, input_shape):
        d = input_shape.with_rank_at_least(1)[-1].value
        n = None if d is None else vector_size_to_square_matrix_size(d, self.validate_args)
        return input_shape[:-1].concatenate([n, n])

    def _inverse_event_shape(self, output_shape):
        output_shape = output_shape.with_rank_at_least(2)
        n1, n2 = output_shape[-2].value, output_shape[-1].value
        if n1 is not None and n2 is not None and n1 != n2:
            raise ValueError(f"Matrix must be square. (saw [{n1}, {n2}])")
        n = n2 if n2 is not None else n1
        return output_shape[:-2].concatenate([None if n is None else n * (n + 1) // 2])

    def _forward_event_shape_tensor(self, input_shape_tensor):
        n = vector_size_to_square_matrix_size(input_shape_tensor[-1], self.validate_args)
        return tf.concat([input_shape_tensor[:-1], [n, n]], axis=0)

    def _inverse_event_shape_tensor(self, output_shape_tensor):
        n = output_shape_tensor[-1]
        if self.validate_args:
            n = with_dependencies([tf.assert_equal(n, output_shape_tensor[-2],
                                                   message="Matrix must be square.")], n)
        d = tf.cast(n * (n + 1) // 2, output_shape_tensor.dtype)
        return tf.concat([output_shape_tensor[:-2], [d]], axis=0)


class MatrixInverseTriL(Bijector):
    """``Y = inv(X)`` for non-singular lower-triangular ``X`` (its own inverse)."""

    def __init__(self, validate_args=False, name="matrix_inverse_tril"):
        super().__init__(forward_min_event_ndims=2, validate_args=validate_args, name=name)

    def _assertions(self, x):
        if not self.validate_args:
            return []
        shape = tf.shape(x)
        above = tf.matrix_band_part(tf.matrix_set_diag(x, tf.zeros(shape[:-1], x.dtype)), 0, -1)
        diag = tf.matrix_diag_part(x)
        return [tf.assert_rank_at_least(x, 2, message="Input must have rank at least 2."),
                tf.assert_equal(shape[-2], shape[-1], message="Input must be a square matrix."),
                tf.assert_equal(above, tf.zeros_like(above),
                                message="Input must be lower triangular."),
                tf.assert_none_equal(diag, tf.zeros_like(diag),
                                     message="Input must have all diagonal entries nonzero.")]

    def _forward(self, x):
        with tf.control_dependencies(self._assertions(x)):
            shape = tf.shape(x)
            eye = tf.eye(shape[-1], batch_shape=shape[:-2], dtype=x.dtype)
            return tf.matrix_triangular_solve(x, eye, lower=True)

    def _inverse(self, y):
        return self._forward(y)

    def _forward_log_det_jacobian(self, x):
        # d inv(X) = -inv(X) dX inv(X): J = -kron(Z, Z) with Z = inv(X), so
        # |det J| = |det X|^(-2n) (over all n^2 entries).
        with tf.control_dependencies(self._assertions(x)):
            n = tf.cast(tf.shape(x)[-1], x.dtype.base_dtype)
            return -2.0 * n * tf.reduce_sum(tf.log(tf.abs(tf.matrix_diag_part(x))), axis=-1)


class TransformDiagonal(Bijector):
    """Applies ``diag_bijector`` to the diagonal of matrices, leaving the rest as is."""

    def __init__(self, diag_bijector, validate_args=False, name="transform_diagonal"):
        self._diag_bijector = diag_bijector
        super().__init__(forward_min_event_ndims=2, inverse_min_event_ndims=2,
                         validate_args=validate_args, name=name)

    def _forward(self, x):
        return tf.matrix_set_diag(x, self._diag_bijector.forward(tf.matrix_diag_part(x)))

    def _inverse(self, y):
        return tf.matrix_set_diag(y, self._diag_bijector.inverse(tf.matrix_diag_part(y)))

    def _forward_log_det_jacobian(self, x):
        # Block diagonal over (diagonal, off-diagonal): the off-diagonal block is I.
        return self._diag_bijector.forward_log_det_jacobian(tf.matrix_diag_part(x),
                                                            event_ndims=1)

    def _inverse_log_det_jacobian(self, y):
        return self._diag_bijector.inverse_log_det_jacobian(tf.matrix_diag_part(y),
                                                            event_ndims=1)


class ScaleTriL(Chain):
    """Unconstrained vectors to lower-triangular matrices with a positive diagonal:
    FillTriangular, then ``diag_bijector`` (Softplus) plus ``diag_shift`` on the diagonal."""

    def __init__(self, diag_bijector=None, diag_shift=1e-5, validate_args=False,
                 name="scale_tril"):
        if diag_bijector is None:
            diag_bijector = Softplus(validate_args=validate_args)
        if diag_shift is not None:
            diag_bijector = Chain([AffineScalar(shift=diag_shift), diag_bijector])
        super().__init__([TransformDiagonal(diag_bijector=diag_bijector), FillTriangular()],
                         validate_args=validate_args, name=name)
