"""LinearOperator corners a review found: empty batch shapes given as a TensorShape (Identity,
and the cholesky of Identity, Kronecker and BlockDiag of identities), complex operators that
need a complex l2_normalize (Householder) or complex svd/eigh (cond, eigvals), the circulant
solve refusing a spectrum of another precision as TF does, and tf.linalg.matrix_transpose /
adjoint being one implementation shared with the operators.

TF-free tests compare with numpy; the tests gated on TensorFlow build the same operators with
tf.compat.v1, each in a graph of its own, and compare values, dtypes, classes and errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

import minitf as tf
from minitf import linalg_base
from minitf import linear_operator_util as lou


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def _tf1():
    return pytest.importorskip("tensorflow.compat.v1")


def _both(build):
    """build(lib) run in minitf and in tf.compat.v1, each in a graph of its own."""
    tf1 = _tf1()
    out = []
    for lib in (tf, tf1):
        g = lib.Graph()
        with g.as_default(), lib.Session(graph=g) as sess:
            out.append(build(lib, sess))
    return out


# -- empty batch shapes and the identities' cholesky ----------------------------------------------
def test_shape_tensor_of_an_empty_shape_is_int32_in_every_form():
    with tf.Graph().as_default():
        for shape in ([], (), tf.TensorShape([])):
            t = lou.shape_tensor(shape)
            assert t.dtype == tf.int32 and t.shape.as_list() == [0], shape
        assert lou.shape_tensor(tf.TensorShape([2, 3])).dtype == tf.int32


_BATCH_SHAPES = {"list": [], "tuple": (), "TensorShape": "empty", "TensorShape-2": "two",
                 "int64-array": np.array([], np.int64)}


def _batch_shape(lib, key):
    value = _BATCH_SHAPES[key]
    if isinstance(value, str):
        return lib.TensorShape([] if value == "empty" else [2])
    return value


def _identity(lib, key):
    op = lib.linalg.LinearOperatorIdentity(2, batch_shape=_batch_shape(lib, key))
    return op.batch_shape.as_list(), op.to_dense()


@pytest.mark.parametrize("key", sorted(_BATCH_SHAPES))
def test_identity_takes_every_form_of_batch_shape(key):
    with tf.Graph().as_default():
        batch, dense = _identity(tf, key)
        dense = _run(dense)
    want_batch = [2] if key == "TensorShape-2" else []
    assert batch == want_batch
    np.testing.assert_array_equal(dense, np.broadcast_to(np.eye(2), want_batch + [2, 2]))


def _cholesky_operators(lib):
    ident = lib.linalg.LinearOperatorIdentity
    return {
        "identity": ident(3, dtype=lib.float64),
        "identity-batch": ident(2, batch_shape=[3]),
        "kronecker": lib.linalg.LinearOperatorKronecker([ident(2), ident(2)]),
        "block_diag": lib.linalg.LinearOperatorBlockDiag([
            ident(2), lib.linalg.LinearOperatorDiag([1.0, 4.0], is_positive_definite=True,
                                                    is_self_adjoint=True)]),
        "scaled": lib.linalg.LinearOperatorScaledIdentity(2, [1.0, 4.0],
                                                          is_positive_definite=True,
                                                          is_self_adjoint=True),
    }


def test_cholesky_of_identities_and_their_compositions():
    with tf.Graph().as_default():
        ops = _cholesky_operators(tf)
        chol = {k: o.cholesky() for k, o in ops.items()}
        assert type(chol["identity"]).__name__ == "LinearOperatorIdentity"
        assert type(chol["kronecker"]).__name__ == "LinearOperatorKronecker"
        assert type(chol["block_diag"]).__name__ == "LinearOperatorBlockDiag"
        dense, factors = _run([{k: o.to_dense() for k, o in ops.items()},
                               {k: c.to_dense() for k, c in chol.items()}])
    for key in ops:
        np.testing.assert_allclose(factors[key], np.linalg.cholesky(dense[key]), err_msg=key)


def test_identities_and_their_cholesky_match_tensorflow():
    def build(lib, sess):
        ops = _cholesky_operators(lib)
        chol = {k: o.cholesky() for k, o in ops.items()}
        shapes = {k: _identity(lib, k) for k in _BATCH_SHAPES}
        return ({k: type(c).__name__ for k, c in chol.items()},
                {k: b for k, (b, _) in shapes.items()},
                sess.run([{k: c.to_dense() for k, c in chol.items()},
                          {k: d for k, (_, d) in shapes.items()}]))
    (m_cls, m_batch, mine), (t_cls, t_batch, theirs) = _both(build)
    assert m_cls == t_cls and m_batch == t_batch
    for m, t in zip(mine, theirs):
        for key in t:
            assert m[key].dtype == t[key].dtype, key
            np.testing.assert_array_equal(m[key], t[key], err_msg=key)


# -- complex Householder (l2_normalize of a complex vector) ---------------------------------------
_V = np.array([1.0, 2j, 2.0])


def _householder(lib):
    op = lib.linalg.LinearOperatorHouseholder(_V)
    x = np.array([[1j, 1.0], [1.0, -2j], [0.5, 1.0 + 1j]])
    return op, [op.to_dense(), op.matmul(x), op.matmul(x, adjoint=True), op.matvec(x[:, 0]),
                op.solve(x), op.solvevec(x[:, 1]), op.determinant(), op.trace(),
                op.adjoint().to_dense()]


def test_complex_householder_reflects_through_the_normalised_vector():
    v = _V / np.linalg.norm(_V)
    dense = np.eye(3) - 2 * np.outer(v, v.conj())  # numpy's reflection I - 2 v v^H
    x = np.array([[1j, 1.0], [1.0, -2j], [0.5, 1.0 + 1j]])
    with tf.Graph().as_default():
        op, fetches = _householder(tf)
        assert op.dtype == tf.complex128
        got = _run(fetches)
    want = [dense, dense @ x, dense.conj().T @ x, dense @ x[:, 0], np.linalg.solve(dense, x),
            np.linalg.solve(dense, x[:, 1]), np.linalg.det(dense), np.trace(dense),
            dense.conj().T]
    for k, (a, b) in enumerate(zip(got, want)):
        assert a.dtype == np.complex128, k
        np.testing.assert_allclose(a, b, atol=1e-12, err_msg=str(k))
    np.testing.assert_allclose(got[0][0], [7 / 9, 4j / 9, -4 / 9], atol=1e-12)  # TF 2.21's row


def test_complex_householder_matches_tensorflow():
    (mine, theirs) = _both(lambda lib, sess: sess.run(_householder(lib)[1]))
    for k, (a, b) in enumerate(zip(mine, theirs)):
        assert a.dtype == b.dtype, k
        np.testing.assert_allclose(a, b, atol=1e-12, err_msg=str(k))


# -- the circulant solve keeps TF's dtype rule ----------------------------------------------------
_SPECTRUM = np.array([1.0, 2j, 3.0], np.complex128)


def test_circulant_solve_refuses_a_spectrum_of_another_precision_as_tf():
    with tf.Graph().as_default():
        op = tf.linalg.LinearOperatorCirculant(_SPECTRUM)  # dtype: the default complex64
        message = "`x` and `y` must have the same dtype, got tf.complex64 != tf.complex128."
        with pytest.raises(TypeError, match=message):
            op.solve(np.ones([3, 2], np.complex64))
        with pytest.raises(TypeError, match=message):
            op.solvevec(np.ones([3], np.complex64), adjoint=True)
        matmul = op.matmul(np.ones([3, 1], np.complex64))  # matmul casts, as TF's
        assert matmul.dtype == tf.complex64
        same = tf.linalg.LinearOperatorCirculant(_SPECTRUM, input_output_dtype=tf.complex128)
        rhs = np.array([[1.0, 1j], [2.0, 0.0], [0.5j, 1.0]])
        solved, dense = _run([same.solve(rhs), same.to_dense()])
    np.testing.assert_allclose(solved, np.linalg.solve(dense, rhs), atol=1e-12)
    kernel = np.fft.ifft(_SPECTRUM)  # the circulant's first column
    want = np.stack([np.roll(kernel, k) for k in range(3)], axis=1)
    np.testing.assert_allclose(dense, want, atol=1e-12)


def test_circulant_solve_dtypes_match_tensorflow():
    def build(lib, sess):
        out = []
        for dtype, rhs_dtype in ((None, np.complex64), ("complex128", np.complex128),
                                 (None, np.float32)):
            kwargs = {"input_output_dtype": getattr(lib, dtype)} if dtype else {}
            op = lib.linalg.LinearOperatorCirculant(_SPECTRUM, **kwargs)
            try:
                out.append(sess.run(op.solve(np.ones([3, 1], rhs_dtype))))
            except TypeError as e:  # the message's start and the dtypes it names
                out.append((str(e)[:20], re.findall(r"complex64|complex128|float32", str(e))))
        return out
    mine, theirs = _both(build)
    assert [type(x) for x in mine] == [type(x) for x in theirs]
    for a, b in zip(mine, theirs):
        if isinstance(b, tuple):
            assert a == b
        else:
            assert a.dtype == b.dtype
            np.testing.assert_allclose(a, b, atol=1e-12)


# -- cond and eigvals of complex operators (complex svd / eigh) -----------------------------------
_HERMITIAN = np.array([[2.0, 1j, 0.5], [-1j, 3.0, 1 - 1j], [0.5, 1 + 1j, 4.0]])
_GENERAL = np.array([[2.0, 1j, 0.0], [2.0, 3.0 + 1j, 1.0], [0.5j, 1.0, -1.0]])


def _cond_eigvals(lib):
    full = lib.linalg.LinearOperatorFullMatrix
    herm = full(_HERMITIAN, is_self_adjoint=True)
    return [herm.eigvals(), herm.cond(), full(_GENERAL).cond(),
            lib.linalg.LinearOperatorLowerTriangular(np.tril(_GENERAL) + 2 * np.eye(3)).cond()]


def test_cond_and_eigvals_of_complex_operators():
    with tf.Graph().as_default():
        fetches = _cond_eigvals(tf)
        assert [t.dtype for t in fetches] == [tf.complex128, tf.float64, tf.float64, tf.float64]
        eig, cond_h, cond_g, cond_l = _run(fetches)
    np.testing.assert_allclose(eig, np.linalg.eigvalsh(_HERMITIAN), rtol=1e-12)
    np.testing.assert_allclose(cond_h, np.linalg.cond(_HERMITIAN), rtol=1e-12)
    np.testing.assert_allclose(cond_g, np.linalg.cond(_GENERAL), rtol=1e-12)
    np.testing.assert_allclose(cond_l, np.linalg.cond(np.tril(_GENERAL) + 2 * np.eye(3)),
                               rtol=1e-12)


def test_cond_and_eigvals_of_complex_operators_match_tensorflow():
    mine, theirs = _both(lambda lib, sess: sess.run(_cond_eigvals(lib)))
    for a, b in zip(mine, theirs):
        assert np.asarray(a).dtype == np.asarray(b).dtype
        np.testing.assert_allclose(a, b, rtol=1e-12)


# -- one matrix_transpose / adjoint ---------------------------------------------------------------
def test_matrix_transpose_and_adjoint_are_one_implementation():
    assert tf.linalg.matrix_transpose is linalg_base.matrix_transpose is lou.matrix_transpose
    assert tf.matrix_transpose is tf.linalg.transpose is tf.linalg.matrix_transpose
    assert tf.linalg.adjoint is linalg_base.adjoint is lou.adjoint
    assert tf.linalg.matrix_transpose.__module__ == tf.linalg.adjoint.__module__ == \
        "minitf.linalg_base"


def _transposes(lib):
    x = lib.constant(np.arange(24).reshape(2, 3, 4) * (1 + 1j))
    r = lib.constant(np.arange(12.0).reshape(3, 4))
    unknown = lib.placeholder(lib.float64)
    return [lib.linalg.matrix_transpose(x), lib.linalg.matrix_transpose(x, conjugate=True),
            lib.linalg.adjoint(x), lib.linalg.adjoint(r), lib.matrix_transpose(r, name="mt"),
            lib.linalg.transpose(unknown), lib.linalg.adjoint(x, name="adj")], unknown


def test_matrix_transpose_and_adjoint_values_and_names():
    xv = np.arange(24).reshape(2, 3, 4) * (1 + 1j)
    rv = np.arange(12.0).reshape(3, 4)
    with tf.Graph().as_default():
        ts, unknown = _transposes(tf)
        assert [t.name for t in ts] == [
            "matrix_transpose/transpose:0", "matrix_transpose_1/transpose:0",
            "adjoint/matrix_transpose/transpose:0", "adjoint_1/matrix_transpose/transpose:0",
            "mt/transpose:0", "matrix_transpose_2/transpose:0",
            "adj/matrix_transpose/transpose:0"]
        assert [t.op.type for t in ts][:4] == ["Transpose", "ConjugateTranspose",
                                               "ConjugateTranspose", "Transpose"]
        with tf.Session() as sess:
            got = sess.run(ts, {unknown: np.ones((2, 5, 3))})
        with pytest.raises(ValueError, match=r"should be a \(batch\) matrix with rank >= 2"):
            tf.linalg.adjoint(tf.constant([1.0, 2.0]))
    swap = np.swapaxes(xv, -1, -2)
    for a, b in zip(got, [swap, swap.conj(), swap.conj(), rv.T, rv.T, np.ones((2, 3, 5)),
                          swap.conj()]):
        np.testing.assert_array_equal(a, b)


def test_matrix_transpose_and_adjoint_match_tensorflow():
    def build(lib, sess):
        ts, unknown = _transposes(lib)
        return ([(t.name, t.op.type) for t in ts],
                sess.run(ts, {unknown: np.ones((2, 5, 3))}))
    (m_names, mine), (t_names, theirs) = _both(build)
    assert m_names == t_names
    for a, b in zip(mine, theirs):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
