"""``tf.contrib.solvers.lanczos`` (TF 1.15): Golub-Kahan-Lanczos bidiagonalization of a
matrix-free operator (with PROPACK-style iterated modified Gram-Schmidt reorthogonalization),
and multiplication by the resulting lower bidiagonal matrix."""

from __future__ import annotations

import collections

import minitf as tf

from . import solvers_util as util

__all__ = ["bidiag_matmul", "lanczos_bidiag"]

# The Lanczos vectors are kept as *rows* of TensorArrays (which stack along axis 0).
_LanczosBidiagState = collections.namedtuple("LanczosBidiagState", ["u", "v", "alpha", "beta"])


def _tarray(size, dtype, name):
    return tf.TensorArray(dtype=dtype, size=size, tensor_array_name=name,
                          clear_after_read=False)


def _read_colvec(tarray, i):
    return tf.expand_dims(tarray.read(i), -1)


def _write_colvec(tarray, colvec, i):
    return tarray.write(i, tf.squeeze(colvec))


def lanczos_bidiag(operator, k, orthogonalize=True, starting_vector=None,
                   name="lanczos_bidiag"):
    """``k`` steps of bidiagonalization: ``U [m, k+1]``, ``V [n, k]`` with orthonormal columns
    and the lower bidiagonal ``B [k+1, k]`` (diagonal ``alpha``, subdiagonal ``beta``) with
    ``A V = U B`` and ``A^H U[:, :-1] = V B[:-1, :]^H``. ``starting_vector`` ``[m]`` defaults
    to a uniform random vector."""

    def update_state(old, i, u, v, alpha, beta):
        return _LanczosBidiagState(_write_colvec(old.u, u, i + 1), _write_colvec(old.v, v, i),
                                   old.alpha.write(i, alpha), old.beta.write(i, beta))

    def gram_schmidt_step(j, basis, v):
        """v minus its component along the j-th basis vector."""
        v_shape = v.get_shape()
        basis_vec = _read_colvec(basis, j)
        v -= tf.matmul(basis_vec, v, adjoint_a=True) * basis_vec
        v.set_shape(v_shape)
        return j + 1, basis, v

    def orthogonalize_once(i, basis, v):
        j = tf.constant(0, dtype=tf.int32)
        _, _, v = tf.while_loop(lambda j, basis, v: j < i, gram_schmidt_step, [j, basis, v])
        return util.l2normalize(v)

    def orthogonalize_(i, basis, v):
        v_norm = util.l2norm(v)
        v_new, v_new_norm = orthogonalize_once(i, basis, v)
        # A norm drop by more than 1/sqrt(2) means cancellation: one more pass (Parlett,
        # The Symmetric Eigenvalue Problem, 1980, pp. 105-109).
        return tf.cond(v_new_norm < 0.7071 * v_norm, lambda: orthogonalize_once(i, basis, v),
                       lambda: (v_new, v_new_norm))

    def lanczos_bidiag_step(i, ls):
        u = _read_colvec(ls.u, i)
        r = operator.apply_adjoint(u)
        r_shape = r.get_shape()  # cond loses the static shape
        r = tf.cond(i > 0, lambda: r - ls.beta.read(i - 1) * _read_colvec(ls.v, i - 1),
                    lambda: r)
        r.set_shape(r_shape)
        if orthogonalize:
            v, alpha = orthogonalize_(i - 1, ls.v, r)
        else:
            v, alpha = util.l2normalize(r)
        p = operator.apply(v) - alpha * u
        if orthogonalize:
            u, beta = orthogonalize_(i, ls.u, p)
        else:
            u, beta = util.l2normalize(p)
        return i + 1, update_state(ls, i, u, v, alpha, beta)

    with tf.name_scope(name):
        dtype = operator.dtype
        if starting_vector is None:
            starting_vector = tf.random_uniform(operator.shape[:1], -1, 1, dtype=dtype)
        else:
            starting_vector = tf.convert_to_tensor(starting_vector, dtype=dtype,
                                                   name="starting_vector")
            if starting_vector.shape.rank is not None and starting_vector.shape.rank != 1:
                raise ValueError(f"lanczos_bidiag: starting_vector must be a vector [m], got "
                                 f"shape {starting_vector.shape}")
        u0, _ = util.l2normalize(starting_vector)
        ls = _LanczosBidiagState(u=_write_colvec(_tarray(k + 1, dtype, "u"), u0, 0),
                                 v=_tarray(k, dtype, "v"), alpha=_tarray(k, dtype, "alpha"),
                                 beta=_tarray(k, dtype, "beta"))
        i = tf.constant(0, dtype=tf.int32)
        _, ls = tf.while_loop(lambda i, _: i < k, lanczos_bidiag_step, [i, ls])
        return _LanczosBidiagState(tf.matrix_transpose(ls.u.stack()),
                                   tf.matrix_transpose(ls.v.stack()), ls.alpha.stack(),
                                   ls.beta.stack())


def bidiag_matmul(matrix, alpha, beta, adjoint_b=False, name="bidiag_matmul"):
    """``matrix @ B`` for the ``(k+1) x k`` lower bidiagonal ``B`` (diagonal ``alpha``,
    subdiagonal ``beta``), or ``matrix @ B[:-1, :]^H`` when ``adjoint_b``."""
    with tf.name_scope(name):
        alpha = tf.expand_dims(alpha, 0)
        if adjoint_b is False:
            beta = tf.expand_dims(beta, 0)
            return matrix[:, :-1] * alpha + matrix[:, 1:] * beta
        beta = tf.expand_dims(beta[:-1], 0)
        shape = tf.shape(matrix)
        zero_column = tf.expand_dims(tf.zeros(shape[:1], dtype=matrix.dtype), 1)
        return matrix * alpha + tf.concat([zero_column, matrix[:, :-1] * beta], 1)
