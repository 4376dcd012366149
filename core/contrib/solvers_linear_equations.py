"""``tf.contrib.solvers.linear_equations`` (TF 1.15): (preconditioned) conjugate gradients for
a self-adjoint positive definite operator, as a graph while_loop."""

from __future__ import annotations

import collections

import minitf as tf

from . import solvers_util as util

__all__ = ["conjugate_gradient"]

_CGState = collections.namedtuple("CGState", ["i", "x", "r", "p", "gamma"])


def conjugate_gradient(operator, rhs, preconditioner=None, x=None, tol=1e-4, max_iter=20,
                       name="conjugate_gradient"):
    """Solves ``A x = rhs`` (``A`` = ``operator``, SPD) until ``||rhs - A x|| <= tol *
    ||rhs - A x0||`` or ``max_iter`` steps. ``preconditioner`` approximates ``A^-1``; ``x``
    is the initial guess (zeros). Returns ``CGState(i, x, r, p, gamma)``: iterations run,
    solution, residual, last search direction and ``r . M r``."""

    def stopping_criterion(i, state):
        return tf.logical_and(i < max_iter, tf.norm(state.r) > tol)

    def cg_step(i, state):
        z = operator.apply(state.p)
        alpha = state.gamma / util.dot(state.p, z)
        x = state.x + alpha * state.p
        r = state.r - alpha * z
        if preconditioner is None:
            q = r
        else:
            q = preconditioner.apply(r)
        gamma = util.dot(r, q)
        beta = gamma / state.gamma
        p = q + beta * state.p
        return i + 1, _CGState(i + 1, x, r, p, gamma)

    with tf.name_scope(name):
        rhs = tf.convert_to_tensor(rhs, name="rhs")
        if rhs.shape.rank is not None and rhs.shape.rank != 1:
            raise ValueError(f"conjugate_gradient: rhs must be a vector [N], got shape "
                             f"{rhs.shape}")
        n = operator.shape[1:]
        rhs = tf.expand_dims(rhs, -1)
        if x is None:
            x = tf.expand_dims(tf.zeros(n, dtype=rhs.dtype.base_dtype), -1)
            r0 = rhs
        else:
            x = tf.expand_dims(x, -1)
            r0 = rhs - operator.apply(x)
        p0 = r0 if preconditioner is None else preconditioner.apply(r0)
        gamma0 = util.dot(r0, p0)
        tol *= tf.norm(r0)
        i = tf.constant(0, dtype=tf.int32)
        state = _CGState(i=i, x=x, r=r0, p=p0, gamma=gamma0)
        _, state = tf.while_loop(stopping_criterion, cg_step, [i, state])
        return _CGState(state.i, x=tf.squeeze(state.x), r=tf.squeeze(state.r),
                        p=tf.squeeze(state.p), gamma=state.gamma)
