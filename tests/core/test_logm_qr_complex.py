"""tf.linalg.logm on defective (non-diagonalizable) matrices, the complex Schur decomposition it
starts from (core/ops/_schur.py), and complex tf.linalg.qr with TF's gradient (then
tf.linalg.eigh_tridiagonal's eigenvectors for complex off-diagonals, whose cluster
re-orthogonalisation runs Qr).

TF-free checks: expm(logm(A)) == A with an expm written here (Taylor scaling and squaring), the
Jordan block's closed form, the Schur factors' defining properties, QR's, and the complex
gradient against central differences. Side by side with tf.compat.v1 where TensorFlow is
installed: values to ~1e-12 (complex128) / ~1e-5 (complex64), gradients to ~1e-10."""

import numpy as np
import pytest

import minitf as tf
from minitf.ops._schur import complex_schur

R = np.random.default_rng(2026)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _logm(a):
    with tf.Graph().as_default():
        return _run(tf.linalg.logm(tf.constant(np.asarray(a))))


def _expm(a):
    """exp(A) by scaling and squaring of a degree-24 Taylor polynomial (||A / 2^s|| <= 1/2)."""
    a = np.asarray(a, np.complex128)
    s = max(0, int(np.ceil(np.log2(max(np.linalg.norm(a, 1), 1e-300) / 0.5))))
    x = a / 2.0 ** s
    out, term = np.eye(a.shape[-1], dtype=np.complex128), np.eye(a.shape[-1])
    for k in range(1, 25):
        term = term @ x / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


def _jordan(lam, n):
    return lam * np.eye(n, dtype=np.complex128) + np.diag(np.ones(n - 1), 1)


def _jordan_log(lam, n):
    nil = np.diag(np.ones(n - 1), 1)
    out, power = np.log(complex(lam)) * np.eye(n, dtype=np.complex128), np.eye(n)
    for k in range(1, n):
        power = power @ nil
        out = out + (-1) ** (k + 1) * power / (k * complex(lam) ** k)
    return out


def _complex(*shape):
    return R.standard_normal(shape) + 1j * R.standard_normal(shape)


def _unitary(n):
    return np.linalg.qr(_complex(n, n))[0]


def _max_rel(got, want):
    return np.abs(got - want).max() / max(np.abs(want).max(), 1.0)


# Inputs for the TF-free and the side-by-side checks: random, defective (Jordan blocks, also
# hidden by a similarity), negative real eigenvalues (in triangular form, where the branch is
# not up to rounding), near-singular, and a wide spread of eigenvalue magnitudes.
U4 = _unitary(4)
V4 = R.standard_normal((4, 4))
INPUTS = {
    "reviewer-jordan2": [[-2, 1], [0, -2]],
    "jordan2-minus-one": [[-1, 1], [0, -1]],
    "jordan3-minus-four": _jordan(-4, 3),
    "jordan5-imaginary": _jordan(0.5j, 5),
    "jordan3-big-superdiagonal": 2 * np.eye(3) + np.diag([1e3, 1e3], 1),
    "jordan4-unitary-similar": U4 @ _jordan(2 + 1j, 4) @ U4.conj().T,
    "jordan4-similar": V4 @ _jordan(2, 4) @ np.linalg.inv(V4),
    "two-jordan-blocks": np.kron(np.eye(2), _jordan(3, 2)),
    "negative-triangular": [[-1, 2, 0.5], [0, -3, 1], [0, 0, 2j]],
    "negative-diagonal": np.diag([-1.0, -2.0, 3.0]),
    "near-singular": [[1, 1], [0, 1e-8]],
    "near-singular-dense": [[1e-6, 2], [3, 6.000001]],
    "close-eigenvalues": [[1, 5], [0, 1 + 1e-9]],
    "close-across-the-cut": [[-1 + 1e-9j, 5], [0, -1 - 1e-9j]],
    "random3": _complex(3, 3),
    "random8": _complex(8, 8),
    "random20-scaled": 50 * _complex(20, 20),
}


# -- TF-free: logm --------------------------------------------------------------------------------
# Eigenvalues -1 +- 1e-9 i straddle the branch cut: log(A)'s superdiagonal is ~ 2 pi / 2e-9, and
# exp of it gives A back only to ~1e-6 (the TF comparison checks this input).
EXP_ILL_CONDITIONED = {"close-across-the-cut"}


@pytest.mark.parametrize("name", sorted(set(INPUTS) - EXP_ILL_CONDITIONED))
def test_exp_of_logm_gives_the_matrix_back(name):
    a = np.asarray(INPUTS[name], np.complex128)
    got = _logm(a)
    np.testing.assert_allclose(_expm(got), a, rtol=0, atol=1e-9 * max(np.abs(a).max(), 1))
    # The principal branch: every eigenvalue of log(A) has imaginary part in (-pi, pi].
    assert np.all(np.abs(np.linalg.eigvals(got).imag) <= np.pi + 1e-6)


@pytest.mark.parametrize("lam,n", [(-2, 2), (-1, 2), (-4, 3), (0.5j, 5), (1e-3, 3), (1e5, 3),
                                   (-0.3 + 2j, 6), (1, 7)])
def test_jordan_block_closed_form(lam, n):
    got = _logm(_jordan(lam, n))
    assert _max_rel(got, _jordan_log(lam, n)) < 1e-13


def test_reviewer_examples():
    log2pi = np.log(2) + 1j * np.pi
    np.testing.assert_allclose(_logm(np.array([[-2, 1], [0, -2]], np.complex128)),
                               [[log2pi, -0.5], [0, log2pi]], rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(_logm(np.array([[-1, 1], [0, -1]], np.complex128)),
                               [[1j * np.pi, -1], [0, 1j * np.pi]], rtol=1e-15, atol=1e-15)


def test_real_matrix_with_a_negative_eigenvalue_takes_the_principal_branch():
    """A real matrix's eigenvalue -x comes out of the Schur form a rounding error off the real
    axis; its logarithm is log x + pi i (the principal branch, as scipy's), not - pi i."""
    v = R.standard_normal((3, 3))
    a = (v @ np.diag([-1.0, 2.0, 3.0]) @ np.linalg.inv(v)).astype(np.complex128)
    want = (v * np.log(np.array([-1.0, 2.0, 3.0], np.complex128))) @ np.linalg.inv(v)
    assert _max_rel(_logm(a), want) < 1e-12


def test_complex64_batched_and_empty():
    a = np.stack([_jordan(-2, 3), _unitary(3) * 2]).astype(np.complex64)
    got = _logm(a)
    assert got.dtype == np.complex64 and got.shape == (2, 3, 3)
    np.testing.assert_allclose(got[0], _jordan_log(-2, 3), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_expm(got[1]), a[1], atol=1e-5)
    empty = _logm(np.zeros((3, 0, 0), np.complex64))
    assert empty.shape == (3, 0, 0) and empty.dtype == np.complex64


def test_singular_and_non_finite_matrices_give_nan():
    # TF 2.21 gave NaN everywhere for [[0, 0], [0, 0]], [[0, 1], [0, 2]] and [[nan, 0], [0, 1]].
    for a in ([[0, 0], [0, 0]], [[0, 1], [0, 2]], [[np.nan, 0], [0, 1]]):
        assert np.isnan(_logm(np.array(a, np.complex128))).all()


def test_logm_errors():
    with pytest.raises(TypeError, match="DataType float64 not in list of allowed values"):
        tf.linalg.logm(tf.constant(np.eye(2)))
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.linalg.logm(tf.zeros([2, 3], tf.complex128))
    x = tf.placeholder(tf.complex128)
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be square"):
        _run(tf.linalg.logm(x), {x: np.zeros((2, 3))})


# -- TF-free: the complex Schur decomposition -----------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 6, 15, 40])
def test_schur_factors(n):
    for a in (_complex(n, n), R.standard_normal((n, n)), np.roll(np.eye(n), 1, axis=0)):
        t, q = complex_schur(a)
        np.testing.assert_array_equal(t, np.triu(t))
        np.testing.assert_allclose(q.conj().T @ q, np.eye(n), atol=1e-13)
        np.testing.assert_allclose(q @ t @ q.conj().T, a, atol=1e-12 * max(n, 1))
        # The diagonal holds the eigenvalues: each numpy eigenvalue is one of them.
        dist = np.abs(t.diagonal()[:, None] - np.linalg.eigvals(a)[None, :])
        assert dist.min(axis=0).max() < 1e-9 and dist.min(axis=1).max() < 1e-9


def test_schur_of_a_triangular_matrix_is_itself():
    a = _jordan(-2, 4) + np.triu(_complex(4, 4), 2)
    t, q = complex_schur(a)
    np.testing.assert_array_equal(t, a)
    np.testing.assert_array_equal(q, np.eye(4))


# -- TF-free: complex Qr --------------------------------------------------------------------------
@pytest.mark.parametrize("shape,full", [((4, 3), False), ((3, 5), False), ((3, 3), True),
                                        ((2, 4, 2), True), ((2, 5), True)])
@pytest.mark.parametrize("dtype,tol", [(np.complex128, 1e-13), (np.complex64, 1e-5)])
def test_complex_qr_factors(shape, full, dtype, tol):
    a = _complex(*shape).astype(dtype)
    with tf.Graph().as_default():
        q, r = _run(list(tf.linalg.qr(tf.constant(a), full_matrices=full)))
    m, n = shape[-2:]
    k = m if full else min(m, n)
    assert q.dtype == dtype and r.dtype == dtype
    assert q.shape == shape[:-2] + (m, k) and r.shape == shape[:-2] + (k, n)
    np.testing.assert_allclose(np.swapaxes(q, -1, -2).conj() @ q,
                               np.broadcast_to(np.eye(k), shape[:-2] + (k, k)), atol=tol)
    np.testing.assert_array_equal(r, np.triu(r))
    assert not np.diagonal(r, axis1=-2, axis2=-1).imag.any()
    np.testing.assert_allclose(q @ r, a, atol=10 * tol)


def _qr_loss(lib, x, full, wq, wr):
    q, r = lib.linalg.qr(x, full_matrices=full)
    return (lib.reduce_sum(lib.math.real(q * lib.math.conj(lib.constant(wq))))
            + lib.reduce_sum(lib.math.real(r * lib.math.conj(lib.constant(wr)))))


def _qr_weights(shape, full):
    m, n = shape[-2:]
    k = m if full else min(m, n)
    return _complex(*shape[:-2], m, k), _complex(*shape[:-2], k, n)


QR_GRAD_SHAPES = [((4, 3), False), ((3, 3), False), ((3, 5), False), ((3, 3), True),
                  ((2, 3, 4), False)]


@pytest.mark.parametrize("shape,full", QR_GRAD_SHAPES)
def test_complex_qr_gradient_matches_central_differences(shape, full):
    """TF's convention for a real loss of complex z: dL/dRe(z) + i dL/dIm(z). R's real
    diagonal makes the phases of Q's columns a function of A, which TF's correction term
    accounts for."""
    a = _complex(*shape)
    wq, wr = _qr_weights(shape, full)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.complex128, shape)
        loss = _qr_loss(tf, x, full, wq, wr)
        grad = tf.gradients(loss, x)[0]
        with tf.Session() as sess:
            got = sess.run(grad, {x: a})
            num = np.zeros_like(a)
            eps = 1e-6
            for j in np.ndindex(*a.shape):
                for unit in (1, 1j):
                    plus, minus = a.copy(), a.copy()
                    plus[j] += eps * unit
                    minus[j] -= eps * unit
                    num[j] += unit * (sess.run(loss, {x: plus}) - sess.run(loss, {x: minus}))
            num /= 2 * eps
    np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-7)


def test_complex_qr_gradient_full_tall_is_refused_as_tf():
    with tf.Graph().as_default():
        x = tf.constant(_complex(4, 2))
        with pytest.raises(NotImplementedError, match="nrows > ncols and full_matrices"):
            tf.gradients(tf.real(tf.linalg.qr(x, full_matrices=True)[0]), x)


# -- eigh_tridiagonal with complex off-diagonals (eigenvectors) -----------------------------------
def _hermitian_tridiagonal(d, e):
    return np.diag(d).astype(np.complex128) + np.diag(e, 1) + np.diag(np.conj(e), -1)


def _eigh_tridiagonal(d, e):
    with tf.Graph().as_default():
        return _run(list(tf.linalg.eigh_tridiagonal(tf.constant(d), tf.constant(e),
                                                    eigvals_only=False)))


@pytest.mark.parametrize("d,e", [
    ([1, 2, 3], [1 + 1j, 0.5j]),
    ([1, 1, 1, 1], [1e-10j, 1e-10 + 1e-10j, 1e-10]),  # one cluster: re-orthogonalised by Qr
])
def test_eigh_tridiagonal_complex_eigenvectors(d, e):
    d, e = np.asarray(d, np.complex128), np.asarray(e, np.complex128)
    w, v = _eigh_tridiagonal(d, e)
    t = _hermitian_tridiagonal(d, e)
    np.testing.assert_allclose(w.real, np.linalg.eigvalsh(t), atol=1e-12)
    np.testing.assert_allclose(v.conj().T @ v, np.eye(len(d)), atol=1e-12)
    np.testing.assert_allclose(t @ v, v * w, atol=1e-12)


# -- side by side with TensorFlow -----------------------------------------------------------------
def _tf_run(build):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        fetches = build(tf1)
        with tf1.Session(graph=g) as sess:
            return sess.run(fetches)


@pytest.mark.parametrize("dtype,tol", [(np.complex128, 1e-12), (np.complex64, 1e-5)])
def test_logm_matches_tensorflow(dtype, tol):
    """Every input of INPUTS, in one TF graph (one session run for all)."""
    names = sorted(INPUTS)
    inputs = [np.asarray(INPUTS[k]).astype(dtype) for k in names]
    wants = _tf_run(lambda tf1: [tf1.linalg.logm(tf1.constant(a)) for a in inputs])
    for name, a, want in zip(names, inputs, wants):
        got = _logm(a)
        assert got.dtype == want.dtype == dtype, name
        assert _max_rel(got, want) < tol, (name, got, want)


def test_logm_batched_and_special_match_tensorflow():
    # 2x2 singular and NaN matrices only: TF 2.21's kernel does not return on a 3x3 zero or
    # NaN-diagonal matrix (Eigen's iterations never stop); minitf gives NaN for those too.
    batch = np.stack([_jordan(-2, 3), _complex(3, 3), _jordan(1e-8, 3)])
    special = np.array([[[0, 0], [0, 0]], [[0, 1], [0, 2]], [[np.nan, 0], [0, 1]]], complex)
    want = _tf_run(lambda tf1: [tf1.linalg.logm(tf1.constant(batch)),
                                tf1.linalg.logm(tf1.constant(special))])
    got = [_logm(batch), _logm(special)]
    assert _max_rel(got[0], want[0]) < 1e-12
    assert np.isnan(want[1]).all() and np.isnan(got[1]).all()


QR_TF_SHAPES = [((4, 3), False), ((3, 5), False), ((3, 3), True), ((4, 2), True), ((2, 4), True),
                ((2, 3, 3), False)]


@pytest.mark.parametrize("dtype,tol", [(np.complex128, 1e-12), (np.complex64, 1e-5)])
def test_complex_qr_matches_tensorflow(dtype, tol):
    inputs = [(_complex(*shape).astype(dtype), full) for shape, full in QR_TF_SHAPES]
    wants = _tf_run(lambda tf1: [list(tf1.linalg.qr(tf1.constant(a), full_matrices=full))
                                 for a, full in inputs])
    for (a, full), want in zip(inputs, wants):
        with tf.Graph().as_default():
            got = _run(list(tf.linalg.qr(tf.constant(a), full_matrices=full)))
        for g, w in zip(got, want):  # Householder in both: the same phases, not only up to them
            assert g.dtype == w.dtype == dtype and g.shape == w.shape
            np.testing.assert_allclose(g, w, atol=tol)


def test_complex_qr_gradient_matches_tensorflow():
    cases = [(_complex(*shape), full, *_qr_weights(shape, full))
             for shape, full in QR_GRAD_SHAPES]

    def grads(lib):
        out = []
        for a, full, wq, wr in cases:
            x = lib.constant(a)
            out.append(lib.gradients(_qr_loss(lib, x, full, wq, wr), x)[0])
        return out

    wants = _tf_run(grads)
    with tf.Graph().as_default():
        gots = _run(grads(tf))
    for got, want in zip(gots, wants):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-11)


def test_eigh_tridiagonal_complex_matches_tensorflow():
    d, e = np.array([1, 2, 3], np.complex128), np.array([1 + 1j, 0.5j])
    want = _tf_run(lambda tf1: list(tf1.linalg.eigh_tridiagonal(
        tf1.constant(d), tf1.constant(e), eigvals_only=False)))
    np.testing.assert_allclose(want[0].real, [-0.02803015, 2.60741912, 3.42061104], atol=1e-8)
    got = _eigh_tridiagonal(d, e)
    for g, w in zip(got, want):  # TF's seeded start vectors: the same phases
        np.testing.assert_allclose(g, w, atol=1e-12)
