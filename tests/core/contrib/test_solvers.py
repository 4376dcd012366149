"""tf.contrib.solvers against numpy: conjugate gradients (plain, preconditioned, warm start,
dynamic shapes) vs numpy.linalg.solve, CGLS vs numpy.linalg.lstsq, Lanczos bidiagonalization
checked by its defining identities with B built in numpy, bidiag_matmul, util helpers; bad
input."""

import numpy as np
import pytest

import minitf as tf
from tests.core.side_by_side import run

solvers = tf.contrib.solvers
RNG = np.random.RandomState(5)


def _spd(n, dtype=np.float64):
    a = RNG.randn(n, n)
    return (a @ a.T + n * np.eye(n)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conjugate_gradient_solves_spd_systems(dtype):
    a, b = _spd(6, dtype), RNG.randn(6).astype(dtype)
    with tf.Graph().as_default():
        op = solvers.util.create_operator(tf.constant(a))
        assert op.shape == [6, 6] and op.dtype == dtype
        cg = solvers.linear_equations.conjugate_gradient(op, b, tol=1e-6, max_iter=50)
        assert type(cg).__name__ == "CGState" and cg._fields == ("i", "x", "r", "p", "gamma")
        got = run(cg)
    tol = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(got.x, np.linalg.solve(a, b), rtol=tol, atol=tol)
    np.testing.assert_allclose(got.r, b - a @ got.x, atol=10 * tol)
    assert 0 < got.i <= 6 + 1  # CG is exact in n steps (up to rounding)
    np.testing.assert_allclose(got.gamma, got.r @ got.r, rtol=1e-3)


def test_conjugate_gradient_preconditioner_warm_start_and_max_iter():
    a = _spd(8) + np.diag(np.arange(1.0, 9.0) * 50)  # badly scaled diagonal
    b = RNG.randn(8)
    x0 = np.linalg.solve(a, b) + 0.01 * RNG.randn(8)
    with tf.Graph().as_default():
        op = solvers.util.create_operator(a)
        jacobi = solvers.util.create_operator(np.diag(1 / np.diag(a)))
        plain = solvers.linear_equations.conjugate_gradient(op, b, tol=1e-10, max_iter=100)
        pre = solvers.linear_equations.conjugate_gradient(op, b, preconditioner=jacobi,
                                                          tol=1e-10, max_iter=100)
        warm = solvers.linear_equations.conjugate_gradient(op, b, x=x0, tol=1e-10)
        capped = solvers.linear_equations.conjugate_gradient(op, b, max_iter=2)
        plain, pre, warm, capped = run([plain, pre, warm, capped])
    want = np.linalg.solve(a, b)
    for res in (plain, pre, warm):
        np.testing.assert_allclose(res.x, want, rtol=1e-8)
    np.testing.assert_allclose(pre.gamma, pre.r @ (pre.r / np.diag(a)), rtol=1e-6, atol=1e-30)
    assert capped.i == 2 and np.linalg.norm(capped.x - want) > 1e-6


def test_conjugate_gradient_dynamic_shape():
    a, b = _spd(5), RNG.randn(5)
    with tf.Graph().as_default():
        ph = tf.placeholder(tf.float64, [None, None])
        rhs = tf.placeholder(tf.float64, [None])
        op = solvers.util.create_operator(ph)
        assert isinstance(op.shape, tf.Tensor)
        cg = solvers.linear_equations.conjugate_gradient(op, rhs, tol=1e-10, max_iter=20)
        with tf.Session() as sess:
            got = sess.run(cg.x, {ph: a, rhs: b})
    np.testing.assert_allclose(got, np.linalg.solve(a, b), rtol=1e-8)


def test_cgls_solves_least_squares():
    a, b = RNG.randn(9, 4), RNG.randn(9)
    with tf.Graph().as_default():
        res = run(solvers.least_squares.cgls(solvers.util.create_operator(a), b, tol=1e-10,
                                             max_iter=40))
    want = np.linalg.lstsq(a, b, rcond=None)[0]
    np.testing.assert_allclose(res.x, want, rtol=1e-8)
    np.testing.assert_allclose(res.r, b - a @ res.x, atol=1e-10)
    np.testing.assert_allclose(res.gamma, np.sum((a.T @ res.r) ** 2), rtol=1e-6, atol=1e-25)


def _bidiag(alpha, beta):
    k = len(alpha)
    b = np.zeros((k + 1, k))
    b[np.arange(k), np.arange(k)] = alpha
    b[np.arange(1, k + 1), np.arange(k)] = beta
    return b


@pytest.mark.parametrize("orthogonalize", [True, False])
@pytest.mark.parametrize("shape,k", [((8, 5), 3), ((5, 8), 4), ((6, 6), 6)])
def test_lanczos_bidiag_identities(shape, k, orthogonalize):
    a = RNG.randn(*shape)
    with tf.Graph().as_default():
        lbd = solvers.lanczos.lanczos_bidiag(solvers.util.create_operator(a), k,
                                             orthogonalize=orthogonalize,
                                             starting_vector=RNG.randn(shape[0]))
        u, v, alpha, beta = run(lbd)
    assert u.shape == (shape[0], k + 1) and v.shape == (shape[1], k)
    b = _bidiag(alpha, beta)
    np.testing.assert_allclose(a @ v, u @ b, atol=1e-8)
    np.testing.assert_allclose(a.T @ u[:, :-1], v @ b[:-1, :].T, atol=1e-8)
    if orthogonalize:
        # k + 1 vectors fit in R^m only while k < m (else the last is beta ~ 0's leftover)
        cols = min(k + 1, shape[0])
        np.testing.assert_allclose(u[:, :cols].T @ u[:, :cols], np.eye(cols), atol=1e-8)
        np.testing.assert_allclose(v.T @ v, np.eye(k), atol=1e-8)


def test_lanczos_full_steps_keep_the_singular_values_from_a_random_start():
    a = RNG.randn(7, 5)
    with tf.Graph().as_default():
        u, v, alpha, beta = run(solvers.lanczos.lanczos_bidiag(
            solvers.util.create_operator(a), 5))
    # k = n: V is square orthogonal and A V = U B with orthonormal U, so B has A's
    # singular values
    np.testing.assert_allclose(np.linalg.svd(_bidiag(alpha, beta), compute_uv=False),
                               np.linalg.svd(a, compute_uv=False), rtol=1e-8)
    np.testing.assert_allclose(v.T @ v, np.eye(5), atol=1e-8)


def test_bidiag_matmul():
    m, alpha, beta = RNG.randn(4, 4), RNG.randn(3), RNG.randn(3)
    b = _bidiag(alpha, beta)
    with tf.Graph().as_default():
        ab = solvers.lanczos.bidiag_matmul(m, alpha, beta)
        abt = solvers.lanczos.bidiag_matmul(m[:, :3], alpha, beta, adjoint_b=True)
        ab, abt = run([ab, abt])
    np.testing.assert_allclose(ab, m @ b)
    np.testing.assert_allclose(abt, m[:, :3] @ b[:-1, :].T)


def test_util_helpers():
    x, y = RNG.randn(4) + 1j * RNG.randn(4), RNG.randn(4) + 1j * RNG.randn(4)
    v = RNG.randn(3, 1)
    with tf.Graph().as_default():
        ident = solvers.util.identity_operator(tf.zeros([3, 3], tf.float64))
        got = run([solvers.util.dot(x, y), solvers.util.l2norm_squared(v),
                   solvers.util.l2norm(v), solvers.util.l2normalize(v),
                   ident.apply(tf.constant(v)), ident.apply_adjoint(tf.constant(v))])
    np.testing.assert_allclose(got[0], np.vdot(x, y))
    np.testing.assert_allclose(got[1], np.sum(v ** 2))
    np.testing.assert_allclose(got[2], np.linalg.norm(v))
    np.testing.assert_allclose(got[3][0], v / np.linalg.norm(v))
    np.testing.assert_allclose(got[3][1], np.linalg.norm(v))
    np.testing.assert_allclose(got[4], v)
    np.testing.assert_allclose(got[5], v)


def test_bad_inputs():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="rank-2"):
            solvers.util.create_operator(tf.zeros([3]))
        op = solvers.util.create_operator(tf.eye(3))
        with pytest.raises(ValueError, match="rhs must be a vector"):
            solvers.linear_equations.conjugate_gradient(op, tf.zeros([3, 1]))
        with pytest.raises(ValueError, match="rhs must be a vector"):
            solvers.least_squares.cgls(op, tf.zeros([3, 1]))
        with pytest.raises(ValueError, match="starting_vector must be a vector"):
            solvers.lanczos.lanczos_bidiag(op, 2, starting_vector=tf.zeros([3, 1]))
        with pytest.raises((TypeError, ValueError)):
            solvers.linear_equations.conjugate_gradient(op, tf.zeros([3], tf.float64))
