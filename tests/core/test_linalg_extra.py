"""The linear-algebra ops and compositions of linalg_extra_ops.py, tridiagonal_ops.py and
linalg_extra.py: values against numpy and values TensorFlow 2.21 gave (hard-coded), TF's node
names and compositions, errors at graph construction and at run time. The side-by-side runs
with TensorFlow itself are in test_linalg_extra_vs_tf.py."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError

R = np.random.default_rng(11)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _types():
    return {op.type for op in tf.get_default_graph().get_operations()}


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()


def _spd(*shape):
    a = R.standard_normal(shape)
    return np.einsum("...ij,...kj->...ik", a, a) + shape[-1] * np.eye(shape[-1])


# -- triangular solves ----------------------------------------------------------------------------
def test_triangular_solve_reads_one_triangle_and_broadcasts_batches():
    low = np.tril(R.standard_normal((2, 3, 3))) + 3 * np.eye(3)
    junk = low + np.triu(R.standard_normal((3, 3)), 1)  # the upper triangle is not read
    rhs = R.standard_normal((1, 3, 2))
    x = tf.matrix_triangular_solve(junk, rhs)
    xt = tf.linalg.triangular_solve(np.swapaxes(low, -1, -2), rhs, lower=False, adjoint=True)
    assert x.op.type == "MatrixTriangularSolve" and x.op.name == "triangular_solve/" \
        "MatrixTriangularSolve" and x.shape.as_list() == [2, 3, 2]
    got, got_t = _run([x, xt])
    np.testing.assert_allclose(got, np.linalg.solve(low, np.broadcast_to(rhs, (2, 3, 2))))
    np.testing.assert_allclose(got_t, got)


def test_triangular_solve_of_a_singular_matrix_gives_infinities_as_tf():
    x = tf.matrix_triangular_solve(np.array([[0.0, 0], [1, 1]], np.float32),
                                   np.ones((2, 1), np.float32))
    np.testing.assert_array_equal(_run(x), [[np.inf], [-np.inf]])  # TF 2.21 gave these


@pytest.mark.parametrize("matrix, rhs, error, match", [
    (np.ones((2, 3)), np.ones((2, 1)), ValueError, "Dimensions must be equal, but are 2 and 3"),
    (np.eye(2), np.ones((3, 1)), ValueError, "Dimensions must be equal, but are 2 and 3"),
    (np.eye(2), np.ones(2), ValueError, "at least rank 2 but is rank 1"),
    (np.ones((3, 2, 2)), np.ones((2, 2, 1)), ValueError, "3"),
    (np.eye(2, dtype=np.int32), np.ones((2, 1), np.int32), TypeError, "int32 not in list"),
])
def test_triangular_solve_shape_errors_at_graph_construction(matrix, rhs, error, match):
    with pytest.raises(error, match=match):
        tf.matrix_triangular_solve(matrix, rhs)


def test_cholesky_solve_is_two_triangular_solves():
    a, rhs = _spd(2, 4, 4), R.standard_normal((2, 4, 3))
    x = tf.cholesky_solve(tf.cholesky(a), rhs)
    assert x.op.name == "cholesky_solve/MatrixTriangularSolve_1" and \
        x.op.get_attr("adjoint") and x.op.inputs[1].op.type == "MatrixTriangularSolve"
    np.testing.assert_allclose(_run(x), np.linalg.solve(a, rhs))
    assert tf.linalg.cholesky_solve is tf.cholesky_solve


# -- least squares --------------------------------------------------------------------------------
A = np.array([[1.0, 2], [3, 4], [5, 7]])
B = np.array([[1.0], [2], [4]])


def test_lstsq_values_tf_gave():
    over, under, reg, slow, deficient = _run([
        tf.matrix_solve_ls(A, B), tf.linalg.lstsq(A.T, B[:2]),
        tf.linalg.lstsq(A, B, l2_regularizer=0.5), tf.linalg.lstsq(A, B, fast=False),
        tf.linalg.lstsq(np.ones((3, 2)), B, fast=False)])
    # TF 2.21 gave these.
    np.testing.assert_allclose(over, [[0.07142857], [0.5]], rtol=1e-6)
    np.testing.assert_allclose(under, [[0.92857143], [-0.21428571], [0.14285714]], rtol=1e-6)
    np.testing.assert_allclose(reg, [[0.21886792], [0.39245283]], rtol=1e-6)
    np.testing.assert_allclose(slow, over, rtol=1e-6)
    np.testing.assert_allclose(deficient, [[1.16666667], [1.16666667]], rtol=1e-6)


def test_lstsq_is_composed_as_tf_unless_slow():
    x = tf.linalg.lstsq(tf.placeholder(tf.float32, [3, 2]), tf.placeholder(tf.float32, [3, 1]))
    assert _types() == {"Cholesky", "MatMul", "MatrixTriangularSolve", "Placeholder"}
    assert x.shape.as_list() == [2, 1]
    slow = tf.linalg.lstsq(A, B, fast=False)
    assert slow.op.type == "MatrixSolveLs" and slow.op.name == "MatrixSolveLs"
    assert slow.op.inputs[2].dtype == tf.float64 and not slow.op.get_attr("fast")


def test_lstsq_with_unknown_shapes_picks_the_side_at_run_time():
    a, b = tf.placeholder(tf.float64, None), tf.placeholder(tf.float64, None)
    x = tf.linalg.lstsq(a, b, l2_regularizer=0.1)
    for m, rhs in ((A, B), (A.T, B[:2])):
        got = _run(x, {a: m, b: rhs})
        gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
        want = np.linalg.solve(gram + 0.1 * np.eye(len(gram)), m.T @ rhs) \
            if m.shape[0] >= m.shape[1] else m.T @ np.linalg.solve(gram + 0.1 * np.eye(2), rhs)
        np.testing.assert_allclose(got, want)


def test_lstsq_gradient_with_unknown_shapes_is_chosen_at_run_time():
    """MatrixSolveLs' gradient picks the over- or underdetermined rule by a cond, as TF."""
    from minitf.ops.linalg_extra_ops import MATRIX_SOLVE_LS

    known, grads = [], []
    for m, rhs in ((A, B), (A.T, B[:2])):
        ph = tf.placeholder(tf.float64, [None, None])
        ph_b = tf.placeholder(tf.float64, [None, 1])
        loss = tf.reduce_sum(tf.sin(MATRIX_SOLVE_LS(ph, ph_b, 0.2, fast=True)))
        grads.append(_run(tf.gradients(loss, [ph, ph_b]), {ph: m, ph_b: rhs}))
        c, c_b = tf.constant(m), tf.constant(rhs)
        loss = tf.reduce_sum(tf.sin(MATRIX_SOLVE_LS(c, c_b, 0.2, fast=True)))
        known.append(_run(tf.gradients(loss, [c, c_b])))
    assert "Switch" in _types()
    for got, want in zip(grads, known):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12)


def test_lstsq_errors():
    with pytest.raises(ValueError, match="rank 0 but is rank 1"):
        tf.linalg.lstsq(np.eye(2), np.ones((2, 1)), l2_regularizer=tf.constant([1.0, 2.0],
                                                                               tf.float64),
                        fast=False)
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 2"):
        tf.linalg.lstsq(A, B[:2], fast=False)
    with pytest.raises(ValueError, match="Batch dimensions"):  # no broadcasting here
        tf.linalg.lstsq(np.ones((4, 3, 2)), np.ones((1, 3, 5)), fast=False)
    with pytest.raises(ValueError, match="Gradient not defined for fast=False"):
        x = tf.placeholder(tf.float64, [3, 2])
        tf.gradients(tf.linalg.lstsq(x, B, fast=False), x)
    from minitf.ops.linalg_extra_ops import MATRIX_SOLVE_LS

    with pytest.raises(InvalidArgumentError, match="rank deficient or ill-conditioned"):
        _run(MATRIX_SOLVE_LS(np.ones((3, 2)), B, 0.0, fast=True))


def test_empty_matrices_and_a_fed_non_scalar_regularizer():
    lu, sq, tri = _run([tf.linalg.lu(np.zeros((0, 0))), tf.linalg.sqrtm(np.zeros((0, 0))),
                        tf.matrix_triangular_solve(np.zeros((0, 0)), np.zeros((0, 2)))])
    assert lu.lu.shape == (0, 0) and lu.p.shape == (0,) and lu.p.dtype == np.int32
    assert sq.shape == (0, 0) and tri.shape == (0, 2)  # TF 2.21 gives these shapes
    l2 = tf.placeholder(tf.float64, None)
    with pytest.raises(InvalidArgumentError, match="l2_regularizer must be a scalar"):
        _run(tf.linalg.lstsq(np.ones((4, 3, 2)), np.ones((4, 3, 1)), l2, fast=False),
             {l2: [1.0, 2.0]})


# -- determinants ---------------------------------------------------------------------------------
def test_slogdet_and_logdet_values_tf_gave():
    sd = tf.linalg.slogdet(np.array([[1.0, 2], [3, 4]]))
    assert sd.sign.op.type == "LogMatrixDeterminant" and sd.sign.op.name == \
        "LogMatrixDeterminant" and sd.log_abs_determinant.shape.as_list() == []
    got = _run([sd, tf.linalg.slogdet(np.array([[1.0, 2], [2, 4]])),
                tf.linalg.slogdet(np.zeros((0, 0))), tf.linalg.logdet(np.array([[4.0, 2],
                                                                                [2, 3]]))])
    # TF 2.21 gave these (its singular sign is -0.0).
    np.testing.assert_allclose(got[0], [-1.0, 0.6931471805599455])
    assert got[1][0] == 0 and got[1][1] == -np.inf
    np.testing.assert_array_equal(got[2], [1.0, 0.0])
    np.testing.assert_allclose(got[3], 2.079441541679836)
    assert type(got[0]).__name__ == "LogMatrixDeterminant"


def test_slogdet_is_nan_for_nan_input_and_refuses_non_square():
    np.testing.assert_array_equal(_run(tf.linalg.slogdet(np.array([[np.nan, 2], [2, 4]]))),
                                  [np.nan, np.nan])
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
        tf.linalg.slogdet(np.ones((2, 3)))


# -- cross ----------------------------------------------------------------------------------------
def test_cross_values_and_errors():
    c = tf.cross([1.0, 0, 0], [0.0, 1, 0])
    assert c.op.type == "Cross" and c.op.name == "Cross" and tf.linalg.cross is tf.cross
    a, b = R.integers(-5, 5, (4, 3)), R.integers(-5, 5, (4, 3))
    got = _run([c, tf.cross(a, b)])
    np.testing.assert_array_equal(got[0], [0, 0, 1])
    np.testing.assert_array_equal(got[1], np.cross(a, b))
    with pytest.raises(ValueError, match="Dimension must be 3 but is 2"):
        tf.cross([1.0, 0], [0.0, 1])
    with pytest.raises(ValueError, match="equal rank, but are 2 and 1"):
        tf.cross(np.ones((2, 3)), np.ones(3))
    with pytest.raises(InvalidArgumentError, match="same shape"):
        p = tf.placeholder(tf.float32, None)
        _run(tf.cross(p, tf.ones([1, 3])), {p: np.ones((2, 3))})


# -- square roots ---------------------------------------------------------------------------------
def test_sqrtm_values_tf_gave():
    mats = [[[4.0, 1], [0, 9]], [[4.0, 1], [0, 4]], [[0.0, -1], [1, 0]], [[0.0, 0], [0, 4]],
            [[-4.0, 0], [0, 9]]]
    got = _run([tf.matrix_square_root(np.array(m)) for m in mats])
    # TF 2.21 gave these: a Jordan block, a rotation, a singular one; NaN without a real root.
    for g, w in zip(got, [[[2, 0.2], [0, 3]], [[2, 0.25], [0, 2]],
                          [[0.70710678, -0.70710678], [0.70710678, 0.70710678]],
                          [[0, 0], [0, 2]], [[np.nan, np.nan], [np.nan, np.nan]]]):
        np.testing.assert_allclose(g, w, rtol=1e-7, atol=1e-12)
    assert tf.linalg.sqrtm is tf.matrix_square_root
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
        tf.matrix_square_root(np.ones((2, 3)))


# -- LU -------------------------------------------------------------------------------------------
def test_lu_values_tf_gave_and_its_compositions():
    a = np.array([[1.0, 2], [3, 4]])
    lu, p = tf.linalg.lu(a, output_idx_type=tf.int64)
    assert lu.op.type == "Lu" and lu.op.name == "Lu" and p.dtype == tf.int64
    got_lu, got_p = _run([lu, p])
    np.testing.assert_allclose(got_lu, [[3.0, 4.0], [1 / 3, 2 / 3]])  # TF 2.21 gave these
    np.testing.assert_array_equal(got_p, [1, 0])
    m = R.standard_normal((2, 4, 4)) + 2 * np.eye(4)
    rhs = R.standard_normal((4, 3))
    lu, p = tf.linalg.lu(m)
    rec, inv, sol = _run([tf.linalg.lu_reconstruct(lu, p), tf.linalg.lu_matrix_inverse(lu, p),
                          tf.linalg.lu_solve(lu, p, rhs)])
    np.testing.assert_allclose(rec, m, atol=1e-12)
    np.testing.assert_allclose(inv, np.linalg.inv(m), atol=1e-12)
    np.testing.assert_allclose(sol, np.linalg.solve(m, rhs), atol=1e-12)


def test_lu_errors_and_no_gradient():
    with pytest.raises(InvalidArgumentError, match="Input is not invertible."):
        _run(tf.linalg.lu(np.array([[1.0, 2], [2, 4]])))
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
        tf.linalg.lu(np.ones((2, 3)))
    x = tf.placeholder(tf.float64, [2, 2])
    with pytest.raises(LookupError):  # TF registers no gradient for Lu
        tf.gradients(tf.linalg.lu(x).lu, x)
    with pytest.raises(ValueError, match="must equal `rank"):
        tf.linalg.lu_reconstruct(np.eye(2), [[0, 1]])
    with pytest.raises(ValueError, match="`rhs` must have at least 2 dimensions"):
        tf.linalg.lu_solve(np.eye(2), [0, 1], [1.0, 2.0])


def test_validate_args_checks_at_run_time_what_shapes_leave_open():
    lu, perm, rhs = (tf.placeholder(tf.float64, None), tf.placeholder(tf.int32, None),
                     tf.placeholder(tf.float64, None))
    x = tf.linalg.lu_solve(lu, perm, rhs, validate_args=True)
    np.testing.assert_allclose(_run(x, {lu: np.eye(2), perm: [0, 1], rhs: [[1.0], [2]]}),
                               [[1.0], [2]])
    with pytest.raises(InvalidArgumentError, match="must equal `rhs.shape"):
        _run(x, {lu: np.eye(2), perm: [0, 1], rhs: np.ones((3, 1))})
    with pytest.raises(InvalidArgumentError, match="`lower_upper` must be square"):
        _run(tf.linalg.lu_reconstruct(lu, perm, validate_args=True),
             {lu: np.ones((2, 3)), perm: [0, 1]})
    with pytest.raises(InvalidArgumentError, match="at least 2 dimensions"):
        _run(tf.linalg.pinv(rhs, validate_args=True), {rhs: [1.0, 2.0]})


# -- SVD compositions, matvec, normalize ----------------------------------------------------------
def test_pinv_rank_matvec_normalize_match_numpy():
    deficient = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])
    wide = R.standard_normal((2, 3, 5))
    v = R.standard_normal((2, 5))
    pinv, ranks, rank_tol, mv, (normed, norm) = _run([
        tf.linalg.pinv(deficient), tf.linalg.matrix_rank(np.stack([deficient, np.eye(3)])),
        tf.linalg.matrix_rank(wide, tol=100.0), tf.linalg.matvec(wide, v),
        tf.linalg.normalize(wide, axis=-1)])
    np.testing.assert_allclose(pinv, np.linalg.pinv(deficient), atol=1e-12)
    np.testing.assert_array_equal(ranks, [2, 3])
    np.testing.assert_array_equal(rank_tol, [0, 0])
    np.testing.assert_allclose(mv, np.einsum("bij,bj->bi", wide, v))
    np.testing.assert_allclose(norm, np.linalg.norm(wide, axis=-1, keepdims=True))
    np.testing.assert_allclose(normed, wide / norm)
    with pytest.raises(TypeError, match="float"):
        tf.linalg.matrix_rank(tf.constant(np.eye(2, dtype=np.int32)))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        tf.linalg.pinv([1.0, 2.0])


# -- tridiagonal systems --------------------------------------------------------------------------
D = np.array([[1.0, 2, 0], [4, 5, 6], [0, 7, 8]])  # superdiag, main, subdiag (compact)
DENSE = np.diag(D[1]) + np.diag(D[0, :2], 1) + np.diag(D[2, 1:], -1)
RHS = np.array([[1.0], [2], [3]])


def test_tridiagonal_solve_formats_and_matmul():
    want = np.linalg.solve(DENSE, RHS)
    outs = [tf.linalg.tridiagonal_solve(D, RHS),
            tf.linalg.tridiagonal_solve([D[0, :2], D[1], D[2, 1:]], RHS,
                                        diagonals_format="sequence"),
            tf.linalg.tridiagonal_solve(DENSE, RHS, diagonals_format="matrix"),
            tf.linalg.tridiagonal_solve(D, RHS.T, transpose_rhs=True),
            tf.linalg.tridiagonal_solve(D, RHS, partial_pivoting=False)]
    assert outs[0].op.type == "TridiagonalSolve" and outs[0].op.name == "TridiagonalSolve"
    for got in _run(outs):
        np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(_run(tf.linalg.tridiagonal_solve(D, RHS[:, 0])), want[:, 0])
    prod = R.standard_normal((3, 2))
    got = _run([tf.linalg.tridiagonal_matmul(D, prod),
                tf.linalg.tridiagonal_matmul(DENSE, prod, diagonals_format="matrix"),
                tf.linalg.tridiagonal_matmul([D[0], D[1], D[2]], prod,
                                             diagonals_format="sequence")])
    for g in got:
        np.testing.assert_allclose(g, DENSE @ prod)


def test_tridiagonal_singular_systems_as_tf():
    sing = np.array([[1.0, 0, 0], [1, 1, 1], [0, 1, 1]])  # rows 0 and 1 are equal
    got = _run([tf.linalg.tridiagonal_solve(sing, RHS),
                tf.linalg.tridiagonal_solve(sing, RHS, partial_pivoting=False),
                tf.linalg.tridiagonal_solve(sing, RHS, perturb_singular=True),
                tf.linalg.tridiagonal_solve(sing.astype(np.float32), RHS.astype(np.float32),
                                            perturb_singular=True)])
    assert np.isnan(got[0]).all() and np.isnan(got[1]).all()
    # TF 2.21 gave these: the zero pivot perturbed by eps.
    np.testing.assert_allclose(got[2].ravel(), [4.50359963e15, -4.50359963e15, 4.50359963e15])
    np.testing.assert_allclose(got[3].ravel(), [8.388606e06, -8.388605e06, 8.388608e06])


def test_tridiagonal_errors():
    from minitf.ops.tridiagonal_ops import TRIDIAGONAL_SOLVE

    with pytest.raises(ValueError, match="Dimension must be 3 but is 2"):
        TRIDIAGONAL_SOLVE(np.ones((2, 3)), RHS)
    with pytest.raises(ValueError, match="Expected 3 diagonals got 2"):
        tf.linalg.tridiagonal_solve(np.ones((2, 3)), RHS)
    with pytest.raises(ValueError, match="left-hand sided and right-hand sides"):
        tf.linalg.tridiagonal_solve(D, np.ones((4, 1)))
    with pytest.raises(ValueError, match="partial_pivoting must be True"):
        tf.linalg.tridiagonal_solve(D, RHS, partial_pivoting=False, perturb_singular=True)
    with pytest.raises(InvalidArgumentError, match="requires also setting partial_pivoting"):
        _run(TRIDIAGONAL_SOLVE(D, RHS, partial_pivoting=False, perturb_singular=True))
    with pytest.raises(ValueError, match="Unrecognized diagonals_format"):
        tf.linalg.tridiagonal_matmul(D, RHS, diagonals_format="banded")
    with pytest.raises(TypeError, match="int32 not in list"):
        TRIDIAGONAL_SOLVE(D.astype(np.int32), RHS.astype(np.int32))


# -- expm -----------------------------------------------------------------------------------------
# TF's approximants are this accurate here (TF 2.21 gives the same values: 2e-4 off exp(6)
# in float32, 3e-9 off the float64 rotation after its squarings).
@pytest.mark.parametrize("dtype, rtol", [(np.float32, 5e-4), (np.float64, 1e-8)])
def test_expm_closed_forms(dtype, rtol):
    t = 10.0  # a rotation generator with a large norm: scaled, approximated, squared back
    rotation = np.array([[0.0, t], [-t, 0]], dtype)
    diag = np.diag([-3.0, 0.5, 6.0]).astype(dtype)
    nilpotent = np.array([[0.0, 1], [0, 0]], dtype)
    got = _run([tf.linalg.expm(rotation), tf.linalg.expm(diag), tf.linalg.expm(nilpotent),
                tf.linalg.expm(np.zeros((2, 0, 0), dtype))])
    np.testing.assert_allclose(got[0], [[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]],
                               rtol=rtol, atol=rtol)
    np.testing.assert_allclose(got[1], np.diag(np.exp([-3.0, 0.5, 6.0])), rtol=rtol)
    np.testing.assert_allclose(got[2], [[1, 1], [0, 1]], rtol=rtol)
    assert got[3].shape == (2, 0, 0) and got[0].dtype == dtype


def test_batch_matmul_v3_gradients_of_mixed_dtypes():
    """BatchMatMulV3 (imported from TF 2.x graphs) differentiates in Tout and casts each
    gradient back to its operand's dtype: d(sum(x @ y))/dx = ones @ y^T, /dy = x^T @ ones;
    an integer operand gets none."""
    from minitf.opdef import registered

    v3 = registered()["BatchMatMulV3"]
    x = tf.constant(np.arange(6, dtype=np.float16).reshape(2, 3))
    y = tf.constant(np.arange(12, dtype=np.float32).reshape(3, 4) / 8)
    out = v3(x, y, Tout=tf.float32)
    gx, gy = tf.gradients(tf.reduce_sum(out), [x, y])
    assert out.dtype == tf.float32 and gx.dtype == tf.float16 and gy.dtype == tf.float32
    i = tf.constant(np.ones((2, 3), np.int8))
    assert tf.gradients(tf.reduce_sum(v3(i, y, Tout=tf.float32)), [i]) == [None]
    with tf.Session() as sess:
        got_x, got_y = sess.run([gx, gy])
    xv, yv = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4) / 8
    np.testing.assert_allclose(got_x, np.ones((2, 4)) @ yv.T, rtol=1e-3)
    np.testing.assert_allclose(got_y, xv.T @ np.ones((2, 4)), rtol=1e-6)
