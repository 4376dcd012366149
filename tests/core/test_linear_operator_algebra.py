"""tf.linalg.LinearOperator, continued: operators combined with operators (the classes and
hints TF's products, solves, adjoints, inverses and Cholesky factors return), blockwise
arguments, the zeros and run-time-sized identity operators, circulant kernels, eigenvalues,
the tf.linalg exports and a user-defined subclass living on the dense defaults -- against
numpy. The per-operator method checks are in test_linear_operator.py."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


# == operators combined: the result types TF returns =============================================
def _full(m):
    return tf.linalg.LinearOperatorFullMatrix(np.asarray(m, np.float64))


def test_operator_products_keep_the_structure():
    la = tf.linalg
    d = la.LinearOperatorDiag([1.0, 2.0, 3.0])
    d2 = la.LinearOperatorDiag([2.0, 4.0, 5.0])
    low = la.LinearOperatorLowerTriangular((np.tril(np.ones((3, 3))) + np.eye(3)).astype("f4"))
    ident = la.LinearOperatorIdentity(3)
    scaled = la.LinearOperatorScaledIdentity(3, 2.0)
    expect = {
        "d@d2": (d @ d2, la.LinearOperatorDiag, np.diag([2.0, 8.0, 15.0])),
        "d.solve(d2)": (d.solve(d2), la.LinearOperatorDiag, np.diag([2.0, 2.0, 5 / 3])),
        "d@low": (d @ low, la.LinearOperatorLowerTriangular, np.diag([1, 2, 3.0]) @
                  (np.tril(np.ones((3, 3))) + np.eye(3))),
        "ident@d": (ident @ d, la.LinearOperatorDiag, np.diag([1.0, 2.0, 3.0])),
        "d@ident": (d @ ident, la.LinearOperatorDiag, np.diag([1.0, 2.0, 3.0])),
        "scaled@d": (scaled @ d, la.LinearOperatorDiag, np.diag([2.0, 4.0, 6.0])),
        "scaled@scaled": (scaled @ scaled, la.LinearOperatorScaledIdentity, 4 * np.eye(3)),
        "low@d2": (low @ d2, la.LinearOperatorLowerTriangular,
                   (np.tril(np.ones((3, 3))) + np.eye(3)) @ np.diag([2.0, 4.0, 5.0])),
        "low.solve(d2)": (low.solve(d2), la.LinearOperatorComposition,
                          np.linalg.solve(np.tril(np.ones((3, 3))) + np.eye(3),
                                          np.diag([2.0, 4.0, 5.0]))),
    }
    got = _run({k: v[0].to_dense() for k, v in expect.items()})
    for key, (op, cls, ref) in expect.items():
        assert type(op) is cls, key
        np.testing.assert_allclose(got[key], ref, rtol=1e-6, err_msg=key)


def test_derived_operators_and_their_hints():
    la = tf.linalg
    m = np.array([[4.0, 1.0], [1.0, 3.0]])
    full = _full(m)
    assert full.is_square is True and full.is_self_adjoint is None
    adj, inv = full.adjoint(), full.inverse()
    assert type(adj) is la.LinearOperatorAdjoint and adj.name == "LinearOperatorFullMatrix_adjoint"
    assert type(inv) is la.LinearOperatorInversion and inv.name == "LinearOperatorFullMatrix_inv"
    assert inv.inverse() is full and adj.adjoint() is full and full.H.H is full
    spd = la.LinearOperatorFullMatrix(m, is_self_adjoint=True, is_positive_definite=True)
    assert spd.adjoint() is spd and spd.is_non_singular is True and spd.is_square is True
    chol = spd.cholesky()
    assert type(chol) is la.LinearOperatorLowerTriangular and chol.is_non_singular
    aat = la.LinearOperatorComposition([full, full.H])
    assert aat.is_self_adjoint is True and aat.is_square is True
    diag = la.LinearOperatorDiag([1.0, 4.0], is_positive_definite=True)
    assert type(diag.cholesky()) is la.LinearOperatorDiag
    assert type(diag.inverse()) is la.LinearOperatorDiag
    ident = la.LinearOperatorIdentity(2)
    assert ident.inverse() is ident and ident.adjoint() is ident
    kron = la.LinearOperatorKronecker([diag, diag])
    assert type(kron.inverse()) is la.LinearOperatorKronecker and kron.is_positive_definite
    got = _run([chol.to_dense(), inv.to_dense(), aat.to_dense(), kron.inverse().to_dense()])
    np.testing.assert_allclose(got[0], np.linalg.cholesky(m))
    np.testing.assert_allclose(got[1], np.linalg.inv(m))
    np.testing.assert_allclose(got[2], m @ m.T)
    np.testing.assert_allclose(got[3], np.kron(np.diag([1, 0.25]), np.diag([1, 0.25])))


def test_block_lower_triangular_inverse_is_block_lower_triangular():
    la = tf.linalg
    rng = np.random.default_rng(8)
    a, c = np.eye(2) * 3 + rng.random((2, 2)), np.eye(3) * 3 + rng.random((3, 3))
    low = rng.random((3, 2))
    op = la.LinearOperatorBlockLowerTriangular(
        [[_full(a)], [_full(low), la.LinearOperatorDiag(np.diag(c).copy())]])
    inv = op.inverse()
    assert type(inv) is la.LinearOperatorBlockLowerTriangular
    dense = np.zeros((5, 5))
    dense[:2, :2], dense[2:, :2], dense[2:, 2:] = a, low, np.diag(np.diag(c))
    np.testing.assert_allclose(_run(inv.to_dense()), np.linalg.inv(dense), rtol=1e-6, atol=1e-9)


def test_blockwise_arguments_give_blockwise_results():
    la = tf.linalg
    op = la.LinearOperatorBlockDiag([_full(np.eye(2) * 2), la.LinearOperatorDiag(np.array([4.0]))])
    x = [np.ones((2, 1)), np.ones((1, 1))]
    y, z = op.matmul(x), op.solvevec([np.ones(2), np.ones(1)])
    assert isinstance(y, list) and len(y) == 2 and isinstance(z, list)
    got = _run([y, z])
    np.testing.assert_allclose(got[0][0], 2 * np.ones((2, 1)))
    np.testing.assert_allclose(got[0][1], [[4.0]])
    np.testing.assert_allclose(got[1][1], [0.25])


def test_circulant_convolution_kernel_and_hermitian_spectrum():
    rng = np.random.default_rng(9)
    kernel = rng.standard_normal(5)
    op = tf.linalg.LinearOperatorCirculant(np.fft.fft(kernel), input_output_dtype=tf.float64)
    h, check = op.convolution_kernel(), op.assert_hermitian_spectrum()
    np.testing.assert_allclose(_run(h), kernel, atol=1e-12)
    _run(check)
    bad = tf.linalg.LinearOperatorCirculant(
        tf.placeholder_with_default(np.array([1.0, 2j, 3.0]), [3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Spectrum was not Hermitian"):
        _run(bad.assert_hermitian_spectrum())


def test_eigvals_and_cond():
    la = tf.linalg
    m = np.array([[2.0, 1.0], [1.0, 3.0]])
    op = la.LinearOperatorFullMatrix(m, is_self_adjoint=True)
    diag = la.LinearOperatorDiag([1.0, -4.0])
    got = _run([op.eigvals(), op.cond(), diag.eigvals(), diag.cond()])
    np.testing.assert_allclose(got[0], np.linalg.eigvalsh(m))
    np.testing.assert_allclose(got[1], np.linalg.cond(m))
    np.testing.assert_allclose(got[2], [1.0, -4.0])
    np.testing.assert_allclose(got[3], 4.0)


def test_every_class_is_exported_in_tf_linalg():
    from minitf import linear_operator

    assert len(linear_operator.__all__) == 21
    for name in linear_operator.__all__:
        cls = getattr(tf.linalg, name)
        assert isinstance(cls, type) and issubclass(cls, tf.linalg.LinearOperator)
        assert name in tf.linalg.__all__


def test_zeros_operator():
    la = tf.linalg
    zeros = la.LinearOperatorZeros(3, batch_shape=[2], dtype=tf.float64)
    rect = la.LinearOperatorZeros(2, num_columns=3, is_square=False, is_self_adjoint=False,
                                  dtype=tf.float64)
    assert zeros.shape.as_list() == [2, 3, 3] and rect.shape.as_list() == [2, 3]
    assert rect.is_square is False
    x, m = np.ones((3, 4)), np.arange(9.0).reshape(3, 3)
    got = _run({"matmul": zeros.matmul(x), "adjoint_arg": zeros.matmul(x.T, adjoint_arg=True),
                "rect": rect.matmul(x), "rect_adjoint": rect.matmul(np.ones((2, 4)), adjoint=True),
                "det": zeros.determinant(), "trace": zeros.trace(), "diag": zeros.diag_part(),
                "dense": zeros.to_dense(), "add": zeros.add_to_tensor(m),
                "rect_dense": rect.to_dense()})
    np.testing.assert_array_equal(got["matmul"], np.zeros((2, 3, 4)))
    np.testing.assert_array_equal(got["adjoint_arg"], np.zeros((2, 3, 4)))
    np.testing.assert_array_equal(got["rect"], np.zeros((2, 4)))
    np.testing.assert_array_equal(got["rect_adjoint"], np.zeros((3, 4)))
    np.testing.assert_array_equal(got["det"], np.zeros(2))
    np.testing.assert_array_equal(got["trace"], np.zeros(2))
    np.testing.assert_array_equal(got["diag"], np.zeros((2, 3)))
    np.testing.assert_array_equal(got["dense"], np.zeros((2, 3, 3)))
    np.testing.assert_array_equal(got["add"], np.broadcast_to(m, (2, 3, 3)))
    np.testing.assert_array_equal(got["rect_dense"], np.zeros((2, 3)))
    full = _full(np.eye(3))
    assert (zeros @ full) is zeros and (full @ la.LinearOperatorZeros(3, dtype=tf.float64)
                                        ).__class__ is la.LinearOperatorZeros


def test_identity_with_run_time_rows_and_batch():
    rows = tf.placeholder(tf.int32, [])
    batch = tf.placeholder(tf.int32, [None])
    ident = tf.linalg.LinearOperatorIdentity(rows, batch_shape=batch, dtype=tf.float64)
    assert ident.shape.rank is None or ident.shape.as_list()[-2:] == [None, None]
    feed = {rows: 2, batch: [3]}
    got = _run([ident.to_dense(), ident.shape_tensor(), ident.trace(), ident.determinant(),
                ident.matmul(np.ones((2, 1)))], feed)
    np.testing.assert_array_equal(got[0], np.broadcast_to(np.eye(2), (3, 2, 2)))
    assert list(got[1]) == [3, 2, 2]
    np.testing.assert_array_equal(got[2], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(got[3], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(got[4], np.ones((3, 2, 1)))


def test_a_user_subclass_gets_the_dense_defaults():
    """Only _shape, _shape_tensor and _matmul: to_dense, solve, det... come from A @ I."""

    class TwiceTheMatrix(tf.linalg.LinearOperator):
        def __init__(self, matrix):
            self._m = tf.convert_to_tensor(matrix)
            super().__init__(dtype=self._m.dtype, name="Twice",
                             parameters=dict(matrix=matrix))

        def _shape(self):
            return self._m.shape

        def _shape_tensor(self):
            return tf.shape(self._m)

        def _matmul(self, x, adjoint=False, adjoint_arg=False):
            return 2.0 * tf.matmul(self._m, x, adjoint_a=adjoint, adjoint_b=adjoint_arg)

    m = np.array([[3.0, 1.0], [0.5, 2.0]])
    op = TwiceTheMatrix(m)
    assert op.is_square is True and op.parameters == {"matrix": m}
    x = np.ones((2, 1))
    got = _run([op.to_dense(), op.solve(x), op.determinant(), op.log_abs_determinant(),
                op.trace(), op.diag_part(), op.inverse().matmul(x), op.adjoint().to_dense()])
    np.testing.assert_allclose(got[0], 2 * m)
    np.testing.assert_allclose(got[1], np.linalg.solve(2 * m, x))
    np.testing.assert_allclose(got[2], np.linalg.det(2 * m))
    np.testing.assert_allclose(got[3], np.log(abs(np.linalg.det(2 * m))))
    np.testing.assert_allclose(got[4], np.trace(2 * m))
    np.testing.assert_allclose(got[5], np.diag(2 * m))
    np.testing.assert_allclose(got[6], np.linalg.solve(2 * m, x))
    np.testing.assert_allclose(got[7], 2 * m.T)
    with pytest.raises(TypeError, match="abstract"):
        type("NoMatmul", (tf.linalg.LinearOperator,), {"_shape": lambda self: None})(tf.float32)
