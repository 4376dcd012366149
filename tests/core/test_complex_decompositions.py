"""Complex Svd and SelfAdjointEigV2 (tf.linalg.svd, eigh, eigvalsh), which TF's OpDefs take.

The singular vectors and eigenvectors of a complex matrix are defined only up to a phase per
column (LAPACK picks it here, Eigen in TF), so the TF-free tests check what defines the
decompositions against numpy (the values, unitary factors, the products giving the input
back), and the gradients (TF's _SvdGrad and _SelfAdjointEigV2Grad rules) against central
differences, dL/dRe + i dL/dIm, of losses invariant under those phases. The tests gated on
TensorFlow compare the same quantities and gradients with tf.compat.v1, each in a graph of its
own."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

R = np.random.default_rng(11)


def _cplx(*shape, rng=R):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _adj(x):
    return np.conj(np.swapaxes(x, -1, -2))


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _hermitian_from_lower(a):
    """The matrix SelfAdjointEigV2 decomposes: a's strict lower triangle, its adjoint above,
    and the real part of a's diagonal (the op reads nothing else)."""
    low = np.tril(a, -1)
    return low + _adj(low) + np.real(np.diagonal(a, axis1=-2, axis2=-1))[..., None] * np.eye(
        a.shape[-1])


# -- values: TF-free ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 3, 5)])
def test_complex_svd_matches_numpy(shape, dtype):
    a = _cplx(*shape).astype(dtype)
    tol = 1e-5 if dtype == np.complex64 else 1e-12
    real = np.float32 if dtype == np.complex64 else np.float64
    with tf.Graph().as_default():
        s, u, v = tf.linalg.svd(tf.constant(a))
        s_only = tf.svd(tf.constant(a), compute_uv=False)
        raw_s = s.op.inputs[0]  # tf.svd returns the real part of the op's output, as TF
        assert s.op.type == "Real" and raw_s.op.type == "Svd"
        assert s.dtype == raw_s.dtype.real_dtype and raw_s.dtype == tf.as_dtype(dtype)
        assert u.dtype == v.dtype == tf.as_dtype(dtype)
        got_s, got_u, got_v, got_raw, got_only = _run([s, u, v, raw_s, s_only])
    p = min(shape[-2:])
    assert got_s.dtype == real and got_only.dtype == real
    assert got_u.shape == shape[:-1] + (p,) and got_v.shape == shape[:-2] + (shape[-1], p)
    want = np.linalg.svd(a.astype(np.complex128), compute_uv=False)
    np.testing.assert_allclose(got_s, want, rtol=tol, atol=tol)
    np.testing.assert_allclose(got_only, want, rtol=tol, atol=tol)
    np.testing.assert_array_equal(got_raw.imag, 0)
    np.testing.assert_allclose(got_raw.real, got_s, rtol=0)
    eye = np.eye(p)
    np.testing.assert_allclose(_adj(got_u) @ got_u, np.broadcast_to(eye, got_s.shape + (p,)),
                               atol=10 * tol)
    np.testing.assert_allclose(_adj(got_v) @ got_v, np.broadcast_to(eye, got_s.shape + (p,)),
                               atol=10 * tol)
    np.testing.assert_allclose((got_u * got_s[..., None, :]) @ _adj(got_v), a, atol=10 * tol)


def test_complex_svd_full_matrices_are_unitary():
    a = _cplx(2, 4, 3)
    with tf.Graph().as_default():
        s, u, v = tf.linalg.svd(tf.constant(a), full_matrices=True)
        assert u.shape.as_list() == [2, 4, 4] and v.shape.as_list() == [2, 3, 3]
        s, u, v = _run([s, u, v])
    np.testing.assert_allclose(_adj(u) @ u, np.broadcast_to(np.eye(4), (2, 4, 4)), atol=1e-12)
    np.testing.assert_allclose(_adj(v) @ v, np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-12)
    np.testing.assert_allclose((u[..., :3] * s[..., None, :]) @ _adj(v), a, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_eigh_reads_the_lower_triangle_and_a_real_diagonal(dtype):
    a = _cplx(2, 4, 4).astype(dtype)  # not Hermitian: only its lower triangle is read
    h = _hermitian_from_lower(a.astype(np.complex128))
    tol = 1e-4 if dtype == np.complex64 else 1e-11
    with tf.Graph().as_default():
        e, v = tf.linalg.eigh(tf.constant(a))
        vals = tf.linalg.eigvalsh(tf.constant(a))
        assert e.dtype == vals.dtype == v.dtype == tf.as_dtype(dtype)  # e complex, as TF's
        e, v, vals = _run([e, v, vals])
    want = np.linalg.eigvalsh(h)
    np.testing.assert_allclose(e.real, want, rtol=tol, atol=tol)
    np.testing.assert_array_equal(e.imag, 0)
    np.testing.assert_allclose(vals, e, rtol=tol, atol=tol)
    np.testing.assert_allclose(_adj(v) @ v, np.broadcast_to(np.eye(4), h.shape), atol=tol)
    np.testing.assert_allclose(h @ v, v * e.real[..., None, :], atol=10 * tol)


# -- gradients: central differences of phase-invariant losses -------------------------------------
def _column_weights(x):
    k = x.shape.as_list()[-1]
    return np.arange(1, k + 1).astype(x.dtype.as_numpy_dtype)


def _svd_losses(lib, x, shape, full=False, rng=None):
    """Real losses invariant under u_k, v_k -> u_k e^{i phi}, v_k e^{i phi}: weighted singular
    values, weighted |u|^2 and |v|^2, and u diag(1..p) v^H weighted (whose gradient needs
    _SvdGrad's complex term)."""
    rng = rng or np.random.default_rng(5)
    s, u, v = lib.linalg.svd(x, full_matrices=full)
    p = min(shape[-2:])
    up, vp = u[..., :, :p], v[..., :, :p]
    w_u = rng.standard_normal(u.shape.as_list())
    w_v = rng.standard_normal(v.shape.as_list())
    w_a = _cplx(*shape, rng=rng)
    return {
        "s": lib.reduce_sum(s * np.arange(1.0, p + 1)),
        "abs2": lib.reduce_sum(lib.math.real(u * lib.math.conj(u)) * w_u) +
        lib.reduce_sum(lib.math.real(v * lib.math.conj(v)) * w_v),
        "uv": lib.reduce_sum(lib.math.real(lib.matmul(up * _column_weights(up), vp,
                                                      adjoint_b=True) * np.conj(w_a))),
    }


def _eig_losses(lib, x, shape, rng=None):
    """Real losses invariant under v_k -> v_k e^{i phi}: weighted eigenvalues (through eigh and
    eigvalsh), weighted |v|^2 and v diag(1..n) v^H weighted."""
    rng = rng or np.random.default_rng(5)
    e, v = lib.linalg.eigh(x)
    n = shape[-1]
    w_v = rng.standard_normal(v.shape.as_list())
    w_a = _cplx(*shape, rng=rng)
    return {
        "e": lib.reduce_sum(lib.math.real(e) * np.arange(1.0, n + 1)),
        "eigvalsh": lib.reduce_sum(lib.math.real(lib.linalg.eigvalsh(x)) * np.arange(1.0, n + 1)),
        "abs2": lib.reduce_sum(lib.math.real(v * lib.math.conj(v)) * w_v),
        "vv": lib.reduce_sum(lib.math.real(lib.matmul(v * _column_weights(v), v, adjoint_b=True)
                                           * np.conj(w_a))),
    }


def _numeric(sess, loss, ph, x0, eps=1e-6):
    """dL/dRe + i dL/dIm by central differences."""
    num = np.zeros_like(x0)
    for j in np.ndindex(*x0.shape):
        for unit in (1, 1j):
            for sign in (1, -1):
                x = x0.copy()
                x[j] += sign * eps * unit
                num[j] += unit * sign * sess.run(loss, {ph: x}) / (2 * eps)
    return num


_SVD_SHAPES = [((3, 3), False), ((4, 3), False), ((3, 5), False), ((2, 4, 3), False),
               ((3, 4), True), ((4, 3), True)]
_EIG_SHAPES = [(3, 3), (2, 4, 4)]


def _gradients(lib, kind, shape, a, full=False, numeric=False):
    with lib.Graph().as_default():
        ph = lib.placeholder(lib.complex128, shape)
        losses = (_svd_losses(lib, ph, shape, full) if kind == "svd"
                  else _eig_losses(lib, ph, shape))
        grads = {k: lib.gradients(loss, ph)[0] for k, loss in losses.items()}
        with lib.Session() as sess:
            got = sess.run(grads, {ph: a})
            num = {k: _numeric(sess, loss, ph, a) for k, loss in losses.items()} if numeric \
                else None
    return got, num


@pytest.mark.parametrize("shape,full", _SVD_SHAPES, ids=[f"{s}-full{f}" for s, f in _SVD_SHAPES])
def test_complex_svd_gradients_match_central_differences(shape, full):
    a = _cplx(*shape, rng=np.random.default_rng(sum(shape)))
    got, num = _gradients(tf, "svd", shape, a, full, numeric=True)
    for key in got:
        np.testing.assert_allclose(got[key], num[key], rtol=1e-6, atol=1e-7, err_msg=key)


@pytest.mark.parametrize("shape", _EIG_SHAPES, ids=str)
def test_complex_eigh_gradients_match_central_differences(shape):
    a = _cplx(*shape, rng=np.random.default_rng(sum(shape)))
    got, num = _gradients(tf, "eig", shape, a, numeric=True)
    for key in got:
        np.testing.assert_allclose(got[key], num[key], rtol=1e-6, atol=1e-7, err_msg=key)
    # nothing flows to what the op does not read: the upper triangle, the diagonal's imaginary
    for key in got:
        np.testing.assert_array_equal(np.triu(got[key], 1), 0)
        np.testing.assert_array_equal(np.diagonal(got[key], axis1=-2, axis2=-1).imag, 0)


def test_complex_svd_gradient_of_a_wide_full_decomposition_is_refused_as_in_tf():
    with tf.Graph().as_default():
        x = tf.constant(_cplx(2, 5))
        _, u, _ = tf.linalg.svd(x, full_matrices=True)
        with pytest.raises(NotImplementedError, match=r"abs\(m - n\) > 1"):
            tf.gradients(tf.reduce_sum(tf.math.real(u)), x)


# -- side by side with TensorFlow ------------------------------------------------------------------
def _tf1():
    return pytest.importorskip("tensorflow.compat.v1")


def _invariants(lib, a, h):
    """The phase-invariant forward values of svd, eigh, eigvalsh (and their dtypes)."""
    x, y = lib.constant(a), lib.constant(h)
    s, u, v = lib.linalg.svd(x)
    e, w = lib.linalg.eigh(y)
    return [s, lib.svd(x, compute_uv=False), s.op.inputs[0], lib.math.real(u * lib.math.conj(u)),
            lib.matmul(u * _column_weights(u), v, adjoint_b=True), e, lib.linalg.eigvalsh(y),
            lib.math.real(w * lib.math.conj(w))]


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_decomposition_values_match_tensorflow(dtype):
    tf1 = _tf1()
    a = _cplx(2, 4, 3).astype(dtype)
    h = _cplx(3, 3).astype(dtype)
    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        want = sess.run(_invariants(tf1, a, h))
    with tf.Graph().as_default():
        got = _run(_invariants(tf, a, h))
    tol = 1e-4 if dtype == np.complex64 else 1e-10
    for k, (x, y) in enumerate(zip(got, want)):
        assert x.dtype == y.dtype and x.shape == y.shape, k
        np.testing.assert_allclose(x, y, rtol=tol, atol=tol, err_msg=str(k))


@pytest.mark.parametrize("kind,shape,full", [("svd", s, f) for s, f in _SVD_SHAPES] +
                         [("eig", s, False) for s in _EIG_SHAPES])
def test_complex_decomposition_gradients_match_tensorflow(kind, shape, full):
    tf1 = _tf1()
    a = _cplx(*shape, rng=np.random.default_rng(sum(shape)))
    want, _ = _gradients(tf1, kind, shape, a, full)
    got, _ = _gradients(tf, kind, shape, a, full)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-9, atol=1e-11, err_msg=key)


def _raw_s_gradient(lib, a, w):
    """The gradient of real(sum(s_op * conj(w))) for the op's own (complex, real-valued) s."""
    with lib.Graph().as_default():
        x = lib.constant(a)
        raw_s = lib.linalg.svd(x)[0].op.inputs[0]
        loss = lib.reduce_sum(lib.math.real(raw_s * np.conj(w)))
        with lib.Session() as sess:
            return sess.run(lib.gradients(loss, x)[0])


@pytest.mark.parametrize("shape", [(2, 3), (3, 2)], ids=["wide", "tall"])
def test_svd_grad_takes_a_complex_grad_s_as_given_as_tensorflow(shape):
    """_SvdGrad uses grad_s as it comes: through the op's real-valued s, a complex weight w
    gives u diag(w) v^H (for a wide matrix; a tall one is done on its adjoint, giving
    u diag(conj(w)) v^H), not the derivative u diag(Re(w)) v^H. minitf follows TF's rule;
    tf.svd's Real (or any real loss of s) never feeds such a grad_s."""
    tf1 = _tf1()
    a, w = _cplx(*shape), np.array([1 + 2j, -0.5 + 1j])
    got, want = _raw_s_gradient(tf, a, w), _raw_s_gradient(tf1, a, w)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    leak = w if shape[0] <= shape[1] else np.conj(w)
    np.testing.assert_allclose(got, (u * leak) @ vh, rtol=1e-10, atol=1e-12)
    assert not np.allclose(got, (u * w.real) @ vh)
