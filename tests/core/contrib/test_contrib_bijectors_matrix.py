"""tf.contrib.distributions.bijectors of vector and matrix events against numpy: forward and
inverse against the formulas, log-det Jacobians against numpy's slogdet of a numerical
Jacobian (central differences of the bijector's own forward, over the event's free
coordinates), event shapes and the errors of bad arguments."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import distributions_bijectors as tfb
from minitf.contrib.distributions_bijectors_matrix import (fill_triangular,
                                                           fill_triangular_inverse)

R = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _numeric_log_det(bijector, x, take_in=None, take_out=None, eps=1e-6):
    """log|det J| of ``bijector.forward`` at ``x`` (float64), by central differences over the
    input coordinates ``take_in`` (a boolean mask; all by default) and the outputs
    ``take_out``."""
    ph = tf.placeholder(tf.float64, x.shape)
    y = bijector.forward(ph)
    take_in = np.ones(x.shape, bool) if take_in is None else take_in
    columns = []
    with tf.Session() as sess:
        for i in zip(*np.nonzero(take_in)):
            step = np.zeros_like(x)
            step[i] = eps
            diff = (sess.run(y, {ph: x + step}) - sess.run(y, {ph: x - step})) / (2 * eps)
            columns.append(diff[take_out] if take_out is not None else diff.ravel())
    sign, logdet = np.linalg.slogdet(np.stack(columns, axis=1))
    assert sign != 0
    return logdet


def test_affine_against_the_dense_scale_matrix():
    shift, c = R.normal(size=3), np.float64(0.7)
    diag, tril = R.uniform(0.5, 1.5, size=3), np.tril(R.normal(size=(3, 3)))
    factor, pdiag = R.normal(size=(3, 2)), R.uniform(0.5, 1.0, size=2)
    scale = c * np.eye(3) + np.diag(diag) + tril + factor @ np.diag(pdiag) @ factor.T
    b = tfb.Affine(shift=shift, scale_identity_multiplier=c, scale_diag=diag, scale_tril=tril,
                   scale_perturb_factor=factor, scale_perturb_diag=pdiag)
    x = R.normal(size=(4, 2, 3))
    y = x @ scale.T + shift
    got = _run([b.forward(tf.constant(x)), b.inverse(tf.constant(y)),
                b.forward_log_det_jacobian(tf.constant(x), event_ndims=1),
                b.inverse_log_det_jacobian(tf.constant(y), event_ndims=2)])
    np.testing.assert_allclose(got[0], y, rtol=1e-10)
    np.testing.assert_allclose(got[1], x, rtol=1e-8, atol=1e-10)
    logdet = np.linalg.slogdet(scale)[1]
    np.testing.assert_allclose(got[2], logdet, rtol=1e-9)
    np.testing.assert_allclose(got[3], -2 * logdet, rtol=1e-9)  # two events of one matrix
    np.testing.assert_allclose(logdet, _numeric_log_det(b, x[0, 0]), rtol=1e-6)


@pytest.mark.parametrize("kwargs, dense", [
    ({}, np.eye(2)),
    ({"scale_identity_multiplier": -2.0}, -2.0 * np.eye(2)),
    ({"scale_diag": [2.0, 0.5]}, np.diag([2.0, 0.5])),
    ({"scale_tril": [[1.0, 5.0], [2.0, 3.0]]}, np.array([[1.0, 0.0], [2.0, 3.0]])),
    ({"scale_perturb_factor": [[1.0], [2.0]]}, np.eye(2) + np.array([[1.0, 2.0], [2.0, 4.0]])),
])
def test_affine_scale_terms(kwargs, dense):
    shift = np.array([1.0, -1.0])
    b = tfb.Affine(shift=shift, **{k: np.asarray(v, np.float64) for k, v in kwargs.items()})
    x = R.normal(size=(3, 2))
    got = _run([b.forward(tf.constant(x)),
                b.inverse_log_det_jacobian(tf.constant(x), event_ndims=1)])
    np.testing.assert_allclose(got[0], x @ dense.T + shift, rtol=1e-10)
    np.testing.assert_allclose(got[1], -np.linalg.slogdet(dense)[1], rtol=1e-10, atol=1e-12)


def test_affine_errors_and_validation():
    with pytest.raises(ValueError, match="scale_perturb_factor must be specified"):
        tfb.Affine(scale_perturb_diag=[1.0])
    with pytest.raises(TypeError, match=r"shift.dtype\(float64\) is incompatible with "
                       r"scale.dtype\(float32\)"):
        tfb.Affine(shift=np.zeros(2), scale_diag=[1.0, 2.0])
    diag = tf.placeholder(tf.float32, [2])
    b = tfb.Affine(scale_diag=diag, validate_args=True)
    y = b.forward(tf.ones([2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="diagonal part must be non-zero"):
        _run(y, {diag: [1.0, 0.0]})
    np.testing.assert_allclose(_run(y, {diag: [1.0, 2.0]}), [1.0, 2.0])


def test_affine_linear_operator():
    matrix = np.array([[2.0, 1.0], [0.5, 3.0]])
    b = tfb.AffineLinearOperator(shift=np.array([1.0, 2.0]),
                                 scale=tf.linalg.LinearOperatorFullMatrix(matrix))
    x = R.normal(size=(5, 2))
    y = x @ matrix.T + [1.0, 2.0]
    got = _run([b.forward(tf.constant(x)), b.inverse(tf.constant(y)),
                b.forward_log_det_jacobian(tf.constant(x), event_ndims=1)])
    np.testing.assert_allclose(got[0], y, rtol=1e-10)
    np.testing.assert_allclose(got[1], x, rtol=1e-9)
    np.testing.assert_allclose(got[2], np.log(abs(np.linalg.det(matrix))), rtol=1e-10)
    shift_only = tfb.AffineLinearOperator(shift=[1.0, 2.0])
    assert float(_run(shift_only.inverse_log_det_jacobian(tf.ones([2]), event_ndims=1))) == 0
    with pytest.raises(TypeError, match="not an instance of tf.LinearOperator"):
        tfb.AffineLinearOperator(scale=matrix)
    with pytest.raises(ValueError, match="must be non-singular"):
        tfb.AffineLinearOperator(scale=tf.linalg.LinearOperatorFullMatrix(matrix),
                                 validate_args=True)


def test_permute():
    b = tfb.Permute(permutation=[2, 0, 1])
    x = R.normal(size=(4, 3))
    got = _run([b.forward(tf.constant(x)), b.inverse(tf.constant(x[:, [2, 0, 1]])),
                b.forward_log_det_jacobian(tf.constant(x), event_ndims=1)])
    np.testing.assert_allclose(got[0], x[:, [2, 0, 1]])
    np.testing.assert_allclose(got[1], x)
    assert float(got[2]) == 0.0
    with pytest.raises(ValueError, match="exactly one of each"):
        tfb.Permute([0, 0, 1])
    with pytest.raises(TypeError, match="should be `int`-like"):
        tfb.Permute([0.0, 1.0])
    perm = tf.placeholder(tf.int32, [3])
    checked = tfb.Permute(perm, validate_args=True).forward(tf.constant(x))
    with pytest.raises(tf.errors.InvalidArgumentError, match="exactly one of each"):
        _run(checked, {perm: [0, 2, 2]})


def test_reshape():
    b = tfb.Reshape(event_shape_out=[2, 3], event_shape_in=[-1])
    x = R.normal(size=(4, 6))
    y = b.forward(tf.constant(x))
    assert y.shape.as_list() == [4, 2, 3]
    back = b.inverse(tf.constant(x.reshape(4, 2, 3)))
    got = _run([y, back, b.inverse_log_det_jacobian(tf.constant(x.reshape(4, 2, 3)),
                                                    event_ndims=2),
                b.forward_event_shape_tensor([6]), b.inverse_event_shape_tensor([2, 3])])
    np.testing.assert_allclose(got[0], x.reshape(4, 2, 3))
    np.testing.assert_allclose(got[1], x)
    np.testing.assert_allclose(got[2], np.zeros(4))
    np.testing.assert_array_equal(got[3], [2, 3])
    np.testing.assert_array_equal(got[4], [6])
    assert b.forward_event_shape([6]).as_list() == [2, 3]
    assert b.inverse_event_shape([2, 3]).as_list() == [6]
    assert tfb.Reshape([1, -1]).forward_event_shape([5]).as_list() == [1, 5]
    with pytest.raises(ValueError, match="at most one `-1`"):
        tfb.Reshape([-1, -1])
    with pytest.raises(ValueError, match="positive integers or `-1`"):
        tfb.Reshape([-2, 3])
    with pytest.raises(ValueError, match="does not match `event_shape_in`"):
        tfb.Reshape([2, 3], event_shape_in=[6]).forward(tf.zeros([4, 5]))


def test_softmax_centered():
    b = tfb.SoftmaxCentered()
    x = R.normal(size=(3, 2))
    padded = np.concatenate([x, np.zeros((3, 1))], -1)
    y = np.exp(padded) / np.exp(padded).sum(-1, keepdims=True)
    got = _run([b.forward(tf.constant(x)), b.inverse(tf.constant(y)),
                b.forward_log_det_jacobian(tf.constant(x), event_ndims=1),
                b.inverse_log_det_jacobian(tf.constant(y), event_ndims=1)])
    np.testing.assert_allclose(got[0], y, rtol=1e-10)
    np.testing.assert_allclose(got[1], x, rtol=1e-9)
    # the volume element over the K free coordinates y[:-1]
    numeric = _numeric_log_det(b, x[0], take_out=slice(0, 2))
    np.testing.assert_allclose(got[2][0], numeric, rtol=1e-6)
    np.testing.assert_allclose(got[3], -got[2], rtol=1e-9)
    assert b.forward_event_shape([3]).as_list() == [4]
    assert b.inverse_event_shape([4]).as_list() == [3]
    np.testing.assert_array_equal(_run(b.forward_event_shape_tensor([3])), [4])
    with pytest.raises(ValueError, match="<= 1"):
        b.inverse_event_shape([1])


def test_ordered():
    b = tfb.Ordered()
    x = np.sort(R.normal(size=(2, 4)), -1)
    y = np.concatenate([x[:, :1], np.log(np.diff(x, axis=-1))], -1)
    got = _run([b.forward(tf.constant(x)), b.inverse(tf.constant(y)),
                b.forward_log_det_jacobian(tf.constant(x), event_ndims=1),
                b.inverse_log_det_jacobian(tf.constant(y), event_ndims=1)])
    np.testing.assert_allclose(got[0], y, rtol=1e-10)
    np.testing.assert_allclose(got[1], x, rtol=1e-10)
    np.testing.assert_allclose(got[2][1], _numeric_log_det(b, x[1]), rtol=1e-6)
    np.testing.assert_allclose(got[3], -got[2], rtol=1e-9)


def test_fill_triangular_layout():
    v = np.arange(1.0, 7.0)
    lower, upper = _run([fill_triangular(tf.constant(v)),
                         fill_triangular(tf.constant(v), upper=True)])
    np.testing.assert_array_equal(lower, [[4, 0, 0], [6, 5, 0], [3, 2, 1]])
    np.testing.assert_array_equal(upper, [[1, 2, 3], [0, 5, 6], [0, 0, 4]])
    batch = R.normal(size=(2, 3, 10))
    for up in (False, True):
        mats = fill_triangular(tf.constant(batch), upper=up)
        assert mats.shape.as_list() == [2, 3, 4, 4]
        back = _run(fill_triangular_inverse(mats, upper=up))
        np.testing.assert_allclose(back, batch)
    with pytest.raises(ValueError, match="does not correspond to a triangular matrix"):
        fill_triangular(tf.zeros([5]))
    ph = tf.placeholder(tf.float64, [None, None])  # sizes known only at run time
    dynamic = fill_triangular(ph)
    np.testing.assert_array_equal(_run(dynamic, {ph: v[None]})[0], lower)


def test_fill_triangular_bijector():
    b = tfb.FillTriangular()
    x = R.normal(size=(3, 6))
    y = b.forward(tf.constant(x))
    got = _run([y, b.inverse(tf.constant(np.tril(R.normal(size=(3, 3))))),
                b.forward_log_det_jacobian(tf.constant(x), event_ndims=1),
                b.inverse_log_det_jacobian(y, event_ndims=2)])
    assert got[0].shape == (3, 3, 3) and got[1].shape == (6,)
    np.testing.assert_array_equal(got[2], np.zeros(3))
    np.testing.assert_array_equal(got[3], np.zeros(3))
    assert b.forward_event_shape([6]).as_list() == [3, 3]
    assert b.inverse_event_shape([3, 3]).as_list() == [6]
    np.testing.assert_array_equal(_run(b.forward_event_shape_tensor([10])), [4, 4])
    np.testing.assert_array_equal(_run(b.inverse_event_shape_tensor([4, 4])), [10])
    with pytest.raises(ValueError, match="not a triangular number"):
        b.forward_event_shape([5])
    with pytest.raises(ValueError, match="Matrix must be square"):
        b.inverse_event_shape([2, 3])


def _tril_mask(n):
    return np.tril(np.ones((n, n), bool))


def test_cholesky_outer_product():
    b = tfb.CholeskyOuterProduct()
    lower = np.tril(R.normal(size=(3, 3)))
    lower[np.diag_indices(3)] = R.uniform(0.5, 2.0, size=3)
    y = lower @ lower.T
    got = _run([b.forward(tf.constant(lower)), b.inverse(tf.constant(y)),
                b.forward_log_det_jacobian(tf.constant(lower), event_ndims=2),
                b.inverse_log_det_jacobian(tf.constant(y), event_ndims=2)])
    np.testing.assert_allclose(got[0], y, rtol=1e-10)
    np.testing.assert_allclose(got[1], lower, rtol=1e-9)
    # over the free coordinates: tril(X) -> tril(Y) (Y is symmetric)
    numeric = _numeric_log_det(b, lower, take_in=_tril_mask(3), take_out=_tril_mask(3))
    np.testing.assert_allclose(got[2], numeric, rtol=1e-6)
    np.testing.assert_allclose(got[3], -numeric, rtol=1e-6)
    bad = tf.placeholder(tf.float64, [2, 2])
    checked = tfb.CholeskyOuterProduct(validate_args=True).forward_log_det_jacobian(
        bad, event_ndims=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="positive definite"):
        _run(checked, {bad: [[1.0, 0.0], [1.0, -1.0]]})


def test_matrix_inverse_tril():
    b = tfb.MatrixInverseTriL()
    x = np.tril(R.normal(size=(3, 3))) + 2 * np.eye(3)
    got = _run([b.forward(tf.constant(x)), b.inverse(tf.constant(np.linalg.inv(x))),
                b.forward_log_det_jacobian(tf.constant(x), event_ndims=2)])
    np.testing.assert_allclose(got[0], np.linalg.inv(x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got[1], x, rtol=1e-9, atol=1e-12)
    # TF's convention: the Jacobian of X -> inv(X) over all n^2 entries
    eps, cols = 1e-6, []
    for i in range(9):
        step = np.zeros(9)
        step[i] = eps
        cols.append((np.linalg.inv(x + step.reshape(3, 3)) -
                     np.linalg.inv(x - step.reshape(3, 3))).ravel() / (2 * eps))
    np.testing.assert_allclose(got[2], np.linalg.slogdet(np.stack(cols, 1))[1], rtol=1e-6)
    bad = tf.placeholder(tf.float64, [2, 2])
    checked = tfb.MatrixInverseTriL(validate_args=True).forward(bad)
    with pytest.raises(tf.errors.InvalidArgumentError, match="lower triangular"):
        _run(checked, {bad: [[1.0, 2.0], [0.0, 1.0]]})
    with pytest.raises(tf.errors.InvalidArgumentError, match="diagonal entries nonzero"):
        _run(checked, {bad: [[1.0, 0.0], [3.0, 0.0]]})


def test_transform_diagonal():
    b = tfb.TransformDiagonal(diag_bijector=tfb.Exp())
    x = R.normal(size=(2, 3, 3))
    want = x.copy()
    for k in range(3):
        want[:, k, k] = np.exp(x[:, k, k])
    got = _run([b.forward(tf.constant(x)), b.inverse(tf.constant(want)),
                b.forward_log_det_jacobian(tf.constant(x), event_ndims=2)])
    np.testing.assert_allclose(got[0], want, rtol=1e-12)
    np.testing.assert_allclose(got[1], x, rtol=1e-12)
    np.testing.assert_allclose(got[2], np.trace(x, axis1=-2, axis2=-1), rtol=1e-12)


def test_scale_tril():
    assert _run(tfb.ScaleTriL().forward(tf.zeros([3]))).dtype == np.float32
    b = tfb.ScaleTriL(diag_shift=np.float64(1e-5))  # softplus on the diagonal, plus 1e-5
    x = R.normal(size=6)
    y = _run(b.forward(tf.constant(x)))
    want = np.array([[x[3], 0, 0], [x[5], x[4], 0], [x[2], x[1], x[0]]])
    want[np.diag_indices(3)] = np.logaddexp(0, np.diag(want)) + 1e-5
    np.testing.assert_allclose(y, want, rtol=1e-10)
    got = _run([b.inverse(tf.constant(want)),
                b.forward_log_det_jacobian(tf.constant(x), event_ndims=1)])
    np.testing.assert_allclose(got[0], x, rtol=1e-8)
    numeric = _numeric_log_det(b, x, take_out=_tril_mask(3))
    np.testing.assert_allclose(got[1], numeric, rtol=1e-6)
    exp_diag = tfb.ScaleTriL(diag_bijector=tfb.Exp(), diag_shift=None)
    np.testing.assert_allclose(_run(exp_diag.forward(tf.zeros([3]))), np.eye(2))
    assert (b.forward_min_event_ndims, b.inverse_min_event_ndims) == (1, 2)
