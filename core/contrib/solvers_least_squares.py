"""``tf.contrib.solvers.least_squares`` (TF 1.15): CGLS, conjugate gradients on the normal
equations ``A^H A x = A^H rhs`` without forming ``A^H A``."""

from __future__ import annotations

import collections

import minitf as tf

from . import solvers_util as util

__all__ = ["cgls"]

_CGLSState = collections.namedtuple("CGLSState", ["i", "x", "r", "p", "gamma"])


def cgls(operator, rhs, tol=1e-6, max_iter=20, name="cgls"):
    """Minimizes ``||A x - rhs||`` (``A`` = ``operator``, with ``apply_adjoint``) until
    ``||A^H (rhs - A x)|| <= tol * ||A^H rhs||`` or ``max_iter`` steps. Returns
    ``CGLSState(i, x, r, p, gamma)`` with ``gamma = ||A^H r||^2``."""

    def stopping_criterion(i, state):
        return tf.logical_and(i < max_iter, state.gamma > tol)

    def cgls_step(i, state):
        q = operator.apply(state.p)
        alpha = state.gamma / util.l2norm_squared(q)
        x = state.x + alpha * state.p
        r = state.r - alpha * q
        s = operator.apply_adjoint(r)
        gamma = util.l2norm_squared(s)
        beta = gamma / state.gamma
        p = s + beta * state.p
        return i + 1, _CGLSState(i + 1, x, r, p, gamma)

    with tf.name_scope(name):
        rhs = tf.convert_to_tensor(rhs, name="rhs")
        if rhs.shape.rank is not None and rhs.shape.rank != 1:
            raise ValueError(f"cgls: rhs must be a vector [M], got shape {rhs.shape}")
        n = operator.shape[1:]
        rhs = tf.expand_dims(rhs, -1)
        s0 = operator.apply_adjoint(rhs)
        gamma0 = util.l2norm_squared(s0)
        tol = tol * tol * gamma0  # compared with gamma = ||A^H r||^2
        x = tf.expand_dims(tf.zeros(n, dtype=rhs.dtype.base_dtype), -1)
        i = tf.constant(0, dtype=tf.int32)
        state = _CGLSState(i=i, x=x, r=rhs, p=s0, gamma=gamma0)
        _, state = tf.while_loop(stopping_criterion, cgls_step, [i, state])
        return _CGLSState(state.i, x=tf.squeeze(state.x), r=tf.squeeze(state.r),
                          p=tf.squeeze(state.p), gamma=state.gamma)
