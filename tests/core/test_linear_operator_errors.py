"""tf.linalg.LinearOperator: hints and their consistency errors, bad arguments (TypeError /
ValueError / NotImplementedError at graph construction, with TF's messages), the run-time
assertions (InvalidArgumentError), and the name scopes the operators' ops are created in. The
messages are TF 2.21's (checked side by side in test_linear_operator_vs_tf.py)."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError

LA = tf.linalg
E = np.eye(3)
RECT = np.ones((2, 3))


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _full(m, **hints):
    return LA.LinearOperatorFullMatrix(np.asarray(m, np.float64), **hints)


# (case, builder, exception class, message regex); each raises at graph construction.
ERRORS = [
    ("pd_but_singular", lambda: _full(E, is_positive_definite=True, is_non_singular=False),
     ValueError, "A positive definite matrix is always non-singular."),
    ("non_singular_not_square", lambda: _full(E, is_non_singular=True, is_square=False),
     ValueError, "A non-singular matrix is always square."),
    ("self_adjoint_not_square", lambda: _full(E, is_self_adjoint=True, is_square=False),
     ValueError, "A self-adjoint matrix is always square."),
    ("square_hint_false_but_square", lambda: _full(E, is_square=False).is_square,
     ValueError, "User set is_square hint to False, but the operator was square."),
    ("det_of_non_square", lambda: _full(RECT).determinant(),
     NotImplementedError, "Determinant not implemented for an operator that is expected to "
                          "not be square."),
    ("log_det_of_non_square", lambda: _full(RECT).log_abs_determinant(),
     NotImplementedError, "Determinant not implemented"),
    ("solve_non_square", lambda: _full(RECT).solve(np.ones((2, 1))),
     NotImplementedError, "Exact solve not implemented for an operator that is expected to "
                          "not be square."),
    ("solve_singular", lambda: _full(E, is_non_singular=False).solve(E),
     NotImplementedError, "expected to be singular"),
    ("inverse_non_square", lambda: _full(RECT).inverse(),
     ValueError, "Cannot take the Inverse: This operator represents a non square matrix."),
    ("inverse_singular", lambda: _full(E, is_non_singular=False).inverse(),
     ValueError, "represents a singular matrix"),
    ("cholesky_without_hints", lambda: _full(E).cholesky(),
     ValueError, "Cannot take the Cholesky decomposition: Not a positive definite self "
                 "adjoint matrix."),
    ("eigvals_not_self_adjoint", lambda: _full(E).eigvals(),
     NotImplementedError, "Only self-adjoint matrices are supported."),
    ("matmul_dims", lambda: _full(E).matmul(np.ones((4, 2))),
     ValueError, "Dimensions 3 and 4 are not compatible"),
    ("matmul_adjoint_dims", lambda: _full(RECT).matmul(np.ones((3, 2)), adjoint=True),
     ValueError, "Dimensions 2 and 3 are not compatible"),
    ("matvec_dims", lambda: _full(E).matvec(np.ones(4)), ValueError, "not compatible"),
    ("solve_dims", lambda: _full(E).solve(np.ones((4, 2))), ValueError, "not compatible"),
    ("solvevec_dims", lambda: _full(E).solvevec(np.ones(4)), ValueError, "not compatible"),
    ("matmul_dtype", lambda: _full(E).matmul(np.ones((3, 2), np.float32)),
     TypeError, "Expected argument to have dtype tf.float64.  Found: tf.float32"),
    ("add_to_tensor_dtype", lambda: _full(E).add_to_tensor(np.ones((3, 3), np.float32)),
     TypeError, "Expected argument to have dtype"),
    ("operators_incompatible", lambda: _full(E).matmul(_full(RECT)),
     ValueError, "Operators are incompatible. Expected `x` to have dimension 3 but got 2."),
    ("solve_operators_incompatible", lambda: _full(E).solve(_full(RECT)),
     ValueError, "Expected `rhs` to have dimension 3 but got 2."),
    ("abstract_base", lambda: LA.LinearOperator(tf.float32), TypeError, "abstract"),
    ("full_matrix_int", lambda: LA.LinearOperatorFullMatrix(np.eye(3, dtype=np.int32)),
     TypeError, "Argument `matrix` must have dtype in"),
    ("full_matrix_vector", lambda: LA.LinearOperatorFullMatrix(np.ones(3)),
     ValueError, "Argument `matrix` must have at least 2 dimensions."),
    ("diag_scalar", lambda: LA.LinearOperatorDiag(1.0),
     ValueError, "Argument diag must have at least 1 dimension."),
    ("diag_real_not_self_adjoint", lambda: LA.LinearOperatorDiag([1.0], is_self_adjoint=False),
     ValueError, "A real diagonal operator is always self adjoint."),
    ("diag_not_square", lambda: LA.LinearOperatorDiag([1.0], is_square=False),
     ValueError, "Only square diagonal operators currently supported."),
    ("tril_vector", lambda: LA.LinearOperatorLowerTriangular(np.ones(3)),
     ValueError, "Argument tril must have at least 2 dimensions."),
    ("tril_not_square", lambda: LA.LinearOperatorLowerTriangular(E, is_square=False),
     ValueError, "Only square lower triangular operators supported at this time."),
    ("identity_not_self_adjoint", lambda: LA.LinearOperatorIdentity(3, is_self_adjoint=False),
     ValueError, "An identity operator is always self adjoint."),
    ("identity_not_pd", lambda: LA.LinearOperatorIdentity(3, is_positive_definite=False),
     ValueError, "An identity operator is always positive-definite."),
    ("identity_negative_rows", lambda: LA.LinearOperatorIdentity(-1),
     ValueError, "Argument num_rows must be non-negative."),
    ("identity_float_rows", lambda: LA.LinearOperatorIdentity(3.0),
     TypeError, "Argument num_rows must be integer type."),
    ("identity_vector_rows", lambda: LA.LinearOperatorIdentity([3]),
     ValueError, "Argument num_rows must be a 0-D Tensor."),
    ("identity_batch_2d", lambda: LA.LinearOperatorIdentity(3, batch_shape=[[2]]),
     ValueError, "Argument batch_shape must be a 1-D Tensor."),
    ("identity_batch_negative", lambda: LA.LinearOperatorIdentity(3, batch_shape=[-2]),
     ValueError, "Argument batch_shape must be non-negative."),
    ("identity_batch_float", lambda: LA.LinearOperatorIdentity(3, batch_shape=[2.0]),
     TypeError, "Argument batch_shape must be integer type."),
    ("identity_rows_variable",
     lambda: LA.LinearOperatorIdentity(tf.Variable(3)),
     TypeError, "Argument num_rows cannot be reference type."),
    ("scaled_identity_not_square", lambda: LA.LinearOperatorScaledIdentity(3, 2.0,
                                                                           is_square=False),
     ValueError, "A ScaledIdentity operator is always square."),
    ("composition_empty", lambda: LA.LinearOperatorComposition([]),
     ValueError, "Expected a non-empty list of operators."),
    ("composition_dtypes", lambda: LA.LinearOperatorComposition(
        [_full(E), LA.LinearOperatorFullMatrix(np.eye(3, dtype=np.float32))]),
     TypeError, "Expected all operators to have the same dtype."),
    ("composition_not_iterable", lambda: LA.LinearOperatorComposition(_full(E)),
     TypeError, "iterable"),
    ("composition_shapes", lambda: LA.LinearOperatorComposition([_full(E), _full(RECT)]).shape,
     ValueError, "Dimensions 3 and 2 are not compatible"),
    ("composition_non_singular_false", lambda: LA.LinearOperatorComposition(
        [LA.LinearOperatorIdentity(3)], is_non_singular=False),
     ValueError, "The composition of non-singular operators is always non-singular."),
    ("inversion_of_singular", lambda: LA.LinearOperatorInversion(
        _full(E, is_non_singular=False)),
     ValueError, "must have supplied hint `is_non_singular` equal to `True` or `None`"),
    ("inversion_contradicting", lambda: LA.LinearOperatorInversion(
        _full(E, is_self_adjoint=True), is_self_adjoint=False),
     ValueError, "An operator is self-adjoint if and only if its inverse is self-adjoint."),
    ("adjoint_contradicting", lambda: LA.LinearOperatorAdjoint(
        _full(E, is_self_adjoint=True), is_self_adjoint=False),
     ValueError, "An operator is self-adjoint if and only if its adjoint is self-adjoint."),
    ("zeros_non_singular", lambda: LA.LinearOperatorZeros(3, is_non_singular=True),
     ValueError, "A zero operator is always singular."),
    ("zeros_rectangular_square", lambda: LA.LinearOperatorZeros(2, num_columns=3),
     ValueError, r"initialized as is_square=True, but got num_rows\(2\) != num_columns\(3\)"),
    ("zeros_assert_non_singular", lambda: LA.LinearOperatorZeros(3).assert_non_singular(),
     InvalidArgumentError, "Zero operators are always non-invertible."),
    ("zeros_solve", lambda: LA.LinearOperatorZeros(3).solve(np.eye(3, dtype=np.float32)),
     NotImplementedError, "expected to be singular"),
    ("permutation_repeats", lambda: LA.LinearOperatorPermutation([0, 0, 1]),
     ValueError, "Argument `perm` must be a vector of unique integers from 0 to 2."),
    ("permutation_float", lambda: LA.LinearOperatorPermutation([0.0, 1.0]),
     TypeError, "Argument `perm` must be integer dtype."),
    ("householder_not_self_adjoint", lambda: LA.LinearOperatorHouseholder(
        [1.0, 2.0], is_self_adjoint=False),
     ValueError, "A Householder operator is always self adjoint."),
    ("householder_assert_pd", lambda: LA.LinearOperatorHouseholder(
        [1.0, 2.0]).assert_positive_definite(),
     InvalidArgumentError, "Householder operators are always non-positive definite."),
    ("kronecker_empty", lambda: LA.LinearOperatorKronecker([]),
     ValueError, "Argument `operators` must be a list of >=1 operators."),
    ("kronecker_pd_false", lambda: LA.LinearOperatorKronecker(
        [LA.LinearOperatorIdentity(2)], is_positive_definite=False),
     ValueError, "The Kronecker product of positive-definite operators is always "
                 "positive-definite."),
    ("kronecker_assert_rectangular", lambda: LA.LinearOperatorKronecker(
        [_full(RECT)]).assert_non_singular(),
     InvalidArgumentError, "All Kronecker factors must be square"),
    ("block_diag_block_counts", lambda: LA.LinearOperatorBlockDiag(
        [LA.LinearOperatorIdentity(2), LA.LinearOperatorIdentity(1)]).matmul(
        LA.LinearOperatorBlockDiag([LA.LinearOperatorIdentity(3)])),
     ValueError, "Can not efficiently multiply two `LinearOperatorBlockDiag`s together when "
                 "number of blocks differ."),
    ("block_diag_trace_rectangular", lambda: LA.LinearOperatorBlockDiag(
        [_full(RECT)], is_square=None).trace(),
     NotImplementedError, "`trace` not implemented for an operator whose blocks are not "
                          "square."),
    ("block_lower_triangular_counts", lambda: LA.LinearOperatorBlockLowerTriangular(
        [[LA.LinearOperatorIdentity(2)], [LA.LinearOperatorIdentity(2)]]),
     ValueError, r"Argument `operators\[1\]` must contain `2` blocks. Received: 1 blocks."),
    ("block_lower_triangular_dims", lambda: LA.LinearOperatorBlockLowerTriangular(
        [[LA.LinearOperatorIdentity(2)],
         [LA.LinearOperatorIdentity(3), LA.LinearOperatorIdentity(3)]]),
     ValueError, r"Argument `operators\[1\]\[0\].domain_dimension` \(3\) must be the same as "
                 r"`operators\[0\]\[0\].domain_dimension` \(2\)."),
    ("block_lower_triangular_not_square", lambda: LA.LinearOperatorBlockLowerTriangular(
        [[LA.LinearOperatorIdentity(2)]], is_square=False),
     ValueError, "`LinearOperatorBlockLowerTriangular` must be square."),
    ("toeplitz_mismatch", lambda: LA.LinearOperatorToeplitz([1.0, 2.0], [1.0, 2.0, 3.0]),
     ValueError, "Expected square matrix, got row and col with mismatched dimensions."),
    ("tridiag_format", lambda: LA.LinearOperatorTridiag(E, diagonals_format="banded"),
     ValueError, "Argument `diagonals_format` must be one of compact, matrix, or sequence."),
    ("circulant_not_square", lambda: LA.LinearOperatorCirculant([1.0 + 0j, 2.0],
                                                                is_square=False),
     ValueError, "A \\[\\[nested\\] block\\] circulant operator is always square."),
    ("circulant_real_not_self_adjoint", lambda: LA.LinearOperatorCirculant(
        [1.0, 2.0], is_self_adjoint=False),
     ValueError, "A real spectrum always corresponds to a self-adjoint operator."),
    ("circulant2d_rank", lambda: LA.LinearOperatorCirculant2D([1.0 + 0j, 2.0]),
     ValueError, "Argument `spectrum` must have at least 2 dimensions."),
    ("low_rank_diag_not_positive", lambda: LA.LinearOperatorLowRankUpdate(
        LA.LinearOperatorIdentity(3), np.ones((3, 1), np.float32),
        is_diag_update_positive=False),
     ValueError, "Default diagonal is the identity, which is positive."),
    ("low_rank_shapes", lambda: LA.LinearOperatorLowRankUpdate(
        LA.LinearOperatorIdentity(3), np.ones((4, 1), np.float32)),
     ValueError, "Dimensions 3 and 4 are not compatible"),
    ("low_rank_pd_false", lambda: LA.LinearOperatorLowRankUpdate(
        LA.LinearOperatorIdentity(3), np.ones((3, 1), np.float32), is_positive_definite=False),
     ValueError, "Arguments imply this is self-adjoint positive-definite operator."),
]


@pytest.mark.parametrize("builder, error, message", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_bad_arguments_and_hints_raise_tf_errors(builder, error, message):
    with pytest.raises(error, match=message):
        builder()


def test_hints_imply_each_other():
    op = _full(E, is_positive_definite=True)
    assert op.is_non_singular is True and op.is_square is True
    assert op.is_self_adjoint is None
    assert _full(E, is_self_adjoint=True).is_square is True
    assert _full(RECT).is_square is False and _full(E).is_square is True
    diag = LA.LinearOperatorDiag([1.0, 2.0])
    assert diag.is_self_adjoint is True and diag.is_square is True
    assert LA.LinearOperatorDiag(np.array([1j, 2.0])).is_self_adjoint is None
    ident = LA.LinearOperatorIdentity(2)
    assert (ident.is_non_singular, ident.is_self_adjoint, ident.is_positive_definite) == \
        (True, True, True)
    zeros = LA.LinearOperatorZeros(2)
    assert (zeros.is_non_singular, zeros.is_self_adjoint, zeros.is_positive_definite) == \
        (False, True, False)
    hh = LA.LinearOperatorHouseholder([1.0, 0.0])
    assert hh.is_self_adjoint is True and hh.is_positive_definite is False
    low_rank = LA.LinearOperatorLowRankUpdate(LA.LinearOperatorIdentity(2),
                                              np.ones((2, 1), np.float32))
    assert low_rank.is_positive_definite and low_rank.is_self_adjoint
    assert low_rank.is_diag_update_positive is True
    composition = LA.LinearOperatorComposition([diag, diag])  # A A^H for self-adjoint A
    assert composition.is_self_adjoint is True and composition.is_square is True
    assert composition.is_non_singular is None and composition.is_positive_definite is None
    assert LA.LinearOperatorComposition([_full(E), _full(E)]).is_self_adjoint is None
    assert LA.LinearOperatorComposition([ident, ident]).is_positive_definite is True
    assert op.parameters["is_positive_definite"] is True and op.parameters["is_square"] is None


def test_graph_parents_must_be_tensors():
    class Op(LA.LinearOperatorFullMatrix):
        def __init__(self, parents):
            LA.LinearOperator.__init__(self, tf.float32, graph_parents=parents)
            self._matrix = tf.constant(np.eye(2, dtype=np.float32))

    t = tf.constant(1.0)
    assert Op([t]).graph_parents == [t]
    with pytest.raises(ValueError, match="Graph parent item 1 is not a Tensor; 2."):
        Op([t, 2])


# == run-time assertions ==========================================================================
def test_runtime_assertions_pass_and_fail_with_invalid_argument():
    ph = tf.placeholder(tf.float64, [3])
    diag = LA.LinearOperatorDiag(ph)
    checks = [diag.assert_non_singular(), diag.assert_positive_definite(),
              diag.assert_self_adjoint()]
    _run(checks, {ph: [1.0, 2.0, 3.0]})
    with pytest.raises(InvalidArgumentError, match="Diagonal contained zero values"):
        _run(checks[0], {ph: [1.0, 0.0, 3.0]})
    with pytest.raises(InvalidArgumentError, match="non-positive diagonal entries"):
        _run(checks[1], {ph: [1.0, -2.0, 3.0]})


def test_dense_default_assertions():
    ph = tf.placeholder(tf.float64, [2, 2])
    op = LA.LinearOperatorFullMatrix(ph)
    sym, singular = np.array([[2.0, 1.0], [1.0, 2.0]]), np.array([[1.0, 2.0], [2.0, 4.0]])
    check_sa, check_ns = op.assert_self_adjoint(), op.assert_non_singular()
    _run([check_sa, check_ns], {ph: sym})
    with pytest.raises(InvalidArgumentError, match="Matrix was not equal to its adjoint."):
        _run(check_sa, {ph: np.array([[1.0, 2.0], [0.0, 1.0]])})
    with pytest.raises(InvalidArgumentError, match="Singular matrix up to precision epsilon."):
        _run(check_ns, {ph: singular})
    spd = LA.LinearOperatorFullMatrix(ph, is_self_adjoint=True)
    check_pd = spd.assert_positive_definite()
    _run(check_pd, {ph: sym})
    with pytest.raises(InvalidArgumentError):  # Cholesky fails or its diagonal is not > 0
        _run(check_pd, {ph: -sym})


def test_identity_assert_proper_shapes_checks_at_run_time():
    rows = tf.placeholder(tf.int32, [])
    ident = LA.LinearOperatorIdentity(rows, assert_proper_shapes=True, dtype=tf.float64)
    x = tf.placeholder(tf.float64, [None, 2])
    y = ident.matmul(x)
    np.testing.assert_allclose(_run(y, {rows: 3, x: np.ones((3, 2))}), np.ones((3, 2)))
    with pytest.raises(InvalidArgumentError, match="Dimensions are not compatible"):
        _run(y, {rows: 4, x: np.ones((3, 2))})
    with pytest.raises(InvalidArgumentError, match="Argument num_rows must be non-negative"):
        _run(ident.shape_tensor(), {rows: -1})


def test_scaled_identity_assertions():
    c = tf.placeholder(tf.float64, [2])
    op = LA.LinearOperatorScaledIdentity(3, c)
    checks = [op.assert_non_singular(), op.assert_positive_definite()]
    _run(checks, {c: [1.0, 2.0]})
    with pytest.raises(InvalidArgumentError, match="LinearOperator was singular"):
        _run(checks[0], {c: [1.0, 0.0]})
    with pytest.raises(InvalidArgumentError, match="LinearOperator was not positive definite"):
        _run(checks[1], {c: [1.0, -1.0]})


def test_composite_operators_delegate_assertions():
    ph = tf.placeholder(tf.float64, [2])
    diag = LA.LinearOperatorDiag(ph)
    inv = LA.LinearOperatorInversion(diag)  # (diag.inverse() is the Diag of 1 / diag)
    comp = LA.LinearOperatorComposition([diag, diag])
    checks = [inv.assert_non_singular(), comp.assert_non_singular(),
              LA.LinearOperatorAdjoint(diag).assert_positive_definite()]
    _run(checks, {ph: [1.0, 2.0]})
    for check in checks[:2]:
        with pytest.raises(InvalidArgumentError, match="Diagonal contained zero values"):
            _run(check, {ph: [0.0, 2.0]})


# == name scopes ==================================================================================
def test_ops_are_created_in_the_operators_name_scopes():
    diag = LA.LinearOperatorDiag([1.0, 2.0, 3.0])
    other = LA.LinearOperatorDiag([1.0, 2.0, 3.0])
    x = tf.ones([3, 2])
    assert diag.diag.name == "LinearOperatorDiag/diag:0"
    assert other.diag.name == "LinearOperatorDiag_1/diag:0"
    assert other.name == "LinearOperatorDiag"  # the operator name stays as given
    assert diag.matmul(x).name == "LinearOperatorDiag/matmul/mul:0"
    assert diag.matmul(x).name == "LinearOperatorDiag/matmul_1/mul:0"
    assert diag.solve(x).name == "LinearOperatorDiag/solve/mul:0"
    assert diag.determinant().name == "LinearOperatorDiag/det/Prod:0"
    assert diag.log_abs_determinant().name == "LinearOperatorDiag/log_abs_det/Sum:0"
    assert diag.trace().name == "LinearOperatorDiag/trace/Sum:0"
    assert diag.shape_tensor().name == "LinearOperatorDiag/shape_tensor/Const:0"
    full = LA.LinearOperatorFullMatrix(np.eye(3, dtype=np.float32) + 1, name="A")
    assert full.determinant().name == "A/det/MatrixDeterminant:0"
    assert full.solve(x).name == "A/solve/MatrixSolveWithBroadcast/MatrixSolve:0"
    comp = diag @ full
    assert comp.name == "LinearOperatorDiag_o_A"
    assert comp.matmul(x).name == "LinearOperatorDiag_o_A/matmul/LinearOperatorDiag/matmul/mul:0"
    kron = LA.LinearOperatorKronecker([diag, full])
    assert kron.name == "LinearOperatorDiag_x_A"
    block = LA.LinearOperatorBlockDiag([diag, full])
    assert block.name == "LinearOperatorDiag_ds_A"
