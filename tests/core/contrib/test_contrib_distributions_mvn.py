"""tf.contrib.distributions' multivariate normals against numpy written from the Gaussian
formulas (solve, log-determinant, trace): log_prob, entropy, moments, broadcast batch shapes,
sample moments, reparameterized gradients, KL(MVN || MVN), constructor and validate_args
errors (scipy.stats as an extra reference where installed)."""

import math

import numpy as np
import pytest

import minitf as tf
import minitf.contrib.distributions as tfd

R = np.random.default_rng(3)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(5)
        yield


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _mvn_log_prob(x, mu, cov):
    """log N(x; mu, cov) over the last axis, batch-broadcast."""
    k = mu.shape[-1]
    diff = x - mu
    sol = np.linalg.solve(cov, diff[..., None])[..., 0]
    _, logdet = np.linalg.slogdet(cov)
    return -0.5 * (diff * sol).sum(-1) - 0.5 * k * np.log(2 * np.pi) - 0.5 * logdet


def _mvn_entropy(cov):
    k = cov.shape[-1]
    return 0.5 * k * (1 + np.log(2 * np.pi)) + 0.5 * np.linalg.slogdet(cov)[1]


def _mvn_kl(mu_a, cov_a, mu_b, cov_b):
    k = mu_a.shape[-1]
    inv_b = np.linalg.inv(cov_b)
    diff = mu_b - mu_a
    return 0.5 * (np.trace(inv_b @ cov_a, axis1=-2, axis2=-1)
                  + np.einsum("...i,...ij,...j->...", diff, inv_b, diff) - k
                  + np.linalg.slogdet(cov_b)[1] - np.linalg.slogdet(cov_a)[1])


def _tril(batch, k):
    m = np.tril(R.normal(size=batch + (k, k)))
    idx = np.arange(k)
    m[..., idx, idx] = np.abs(m[..., idx, idx]) + 0.5
    return m


def test_tril_values_shapes_and_scipy():
    loc = R.normal(size=(2, 1, 3))
    tril = _tril((4,), 3)
    d = tfd.MultivariateNormalTriL(loc, tril)
    assert d.batch_shape.as_list() == [2, 4] and d.event_shape.as_list() == [3]
    cov = tril @ np.swapaxes(tril, -1, -2)
    x = R.normal(size=(5, 2, 4, 3))
    got = run({"lp": d.log_prob(x), "p": d.prob(x[0]), "ent": d.entropy(), "mean": d.mean(),
               "mode": d.mode(), "cov": d.covariance(), "var": d.variance(),
               "std": d.stddev(), "ldc": d.log_det_covariance(), "dc": d.det_covariance(),
               "bs": d.batch_shape_tensor(), "es": d.event_shape_tensor()})
    want = _mvn_log_prob(x, loc, cov)
    np.testing.assert_allclose(got["lp"], want, rtol=1e-10)
    np.testing.assert_allclose(got["p"], np.exp(want[0]), rtol=1e-10)
    np.testing.assert_allclose(got["ent"], np.broadcast_to(_mvn_entropy(cov), (2, 4)))
    np.testing.assert_allclose(got["mean"], np.broadcast_to(loc, (2, 4, 3)))
    np.testing.assert_allclose(got["mode"], got["mean"])
    np.testing.assert_allclose(got["cov"], np.broadcast_to(cov, (2, 4, 3, 3)), rtol=1e-12)
    np.testing.assert_allclose(got["var"], np.diagonal(got["cov"], axis1=-2, axis2=-1))
    np.testing.assert_allclose(got["std"], np.sqrt(got["var"]))
    np.testing.assert_allclose(got["ldc"], np.linalg.slogdet(cov)[1], rtol=1e-12)
    np.testing.assert_allclose(got["dc"], np.linalg.det(cov), rtol=1e-12)
    np.testing.assert_array_equal(got["bs"], [2, 4])
    np.testing.assert_array_equal(got["es"], [3])
    stats = pytest.importorskip("scipy.stats")
    np.testing.assert_allclose(got["lp"][1, 1, 2],
                               stats.multivariate_normal(loc[1, 0], cov[2]).logpdf(x[1, 1, 2]))


def test_diag_with_identity_multiplier_and_identity_scale():
    loc = np.array([[1.0, -1.0, 0.5], [0.0, 2.0, 3.0]])
    diag = np.array([0.5, 1.0, 2.0])
    mult = np.array([0.25, 1.0])
    d = tfd.MultivariateNormalDiag(loc, scale_diag=diag, scale_identity_multiplier=mult)
    ident = tfd.MultivariateNormalDiag(loc)
    scaled = tfd.MultivariateNormalDiag(loc, scale_identity_multiplier=mult)
    x = R.normal(size=(3, 2, 3))
    got = run({"lp": d.log_prob(x), "std": d.stddev(), "cov": d.covariance(),
               "lp_id": ident.log_prob(x), "cov_id": ident.covariance(),
               "lp_sc": scaled.log_prob(x), "ent_sc": scaled.entropy()})
    sd = diag + mult[:, None]
    cov = np.stack([np.diag(s ** 2) for s in sd])
    np.testing.assert_allclose(got["lp"], _mvn_log_prob(x, loc, cov), rtol=1e-10)
    np.testing.assert_allclose(got["std"], sd)
    np.testing.assert_allclose(got["cov"], cov)
    np.testing.assert_allclose(got["lp_id"], _mvn_log_prob(x, loc, np.eye(3)), rtol=1e-10)
    np.testing.assert_allclose(got["cov_id"], np.broadcast_to(np.eye(3), (2, 3, 3)))
    cov_sc = mult[:, None, None] ** 2 * np.eye(3)
    np.testing.assert_allclose(got["lp_sc"], _mvn_log_prob(x, loc, cov_sc), rtol=1e-10)
    np.testing.assert_allclose(got["ent_sc"], _mvn_entropy(cov_sc), rtol=1e-10)
    soft = tfd.MultivariateNormalDiagWithSoftplusScale(loc, np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_allclose(run(soft.stddev()),
                               np.broadcast_to(np.log1p(np.exp([-1.0, 0.0, 2.0])), (2, 3)))


def test_full_covariance_and_diag_plus_low_rank():
    a = R.normal(size=(2, 3, 3))
    cov = a @ np.swapaxes(a, -1, -2) + np.eye(3)
    loc = R.normal(size=(3,))
    x = R.normal(size=(4, 2, 3))
    full = tfd.MultivariateNormalFullCovariance(loc, cov)
    diag = np.array([1.0, 2.0, 0.5])
    factor = R.normal(size=(3, 2))
    pdiag = np.array([0.3, 0.8])
    low = tfd.MultivariateNormalDiagPlusLowRank(loc, scale_diag=diag,
                                                scale_perturb_factor=factor,
                                                scale_perturb_diag=pdiag)
    scale = np.diag(diag) + factor @ np.diag(pdiag) @ factor.T
    got = run({"lp": full.log_prob(x), "cov": full.covariance(), "ent": full.entropy(),
               "lp_low": low.log_prob(x), "cov_low": low.covariance(),
               "var_low": low.variance(), "ent_low": low.entropy()})
    np.testing.assert_allclose(got["lp"], _mvn_log_prob(x, loc, cov), rtol=1e-10)
    np.testing.assert_allclose(got["cov"], cov, rtol=1e-10)
    np.testing.assert_allclose(got["ent"], _mvn_entropy(cov), rtol=1e-10)
    cov_low = scale @ scale.T
    np.testing.assert_allclose(got["lp_low"], _mvn_log_prob(x, loc, cov_low), rtol=1e-10)
    np.testing.assert_allclose(got["cov_low"], cov_low, rtol=1e-10)
    np.testing.assert_allclose(got["var_low"], np.diag(cov_low), rtol=1e-10)
    np.testing.assert_allclose(got["ent_low"], _mvn_entropy(cov_low), rtol=1e-10)


def test_linear_operator_scale_and_kl():
    loc_a, loc_b = R.normal(size=(2, 3)), R.normal(size=(3,))
    tril_a, full_b = _tril((2,), 3), R.normal(size=(3, 3)) + 3 * np.eye(3)
    a = tfd.MultivariateNormalLinearOperator(
        loc_a, tf.linalg.LinearOperatorLowerTriangular(tril_a))
    b = tfd.MultivariateNormalLinearOperator(
        loc_b, tf.linalg.LinearOperatorFullMatrix(full_b))
    diag_a = tfd.MultivariateNormalDiag(loc_a, np.array([0.5, 1.0, 1.5]))
    diag_b = tfd.MultivariateNormalDiag(loc_b, np.array([[2.0, 1.0, 0.7]]))
    got = run({"ab": tfd.kl_divergence(a, b), "ba": b.kl_divergence(a),
               "diag": tfd.kl_divergence(diag_a, diag_b), "aa": tfd.kl_divergence(a, a),
               "cross": a.cross_entropy(b)})
    cov_a = tril_a @ np.swapaxes(tril_a, -1, -2)
    cov_b = full_b @ full_b.T
    np.testing.assert_allclose(got["ab"], _mvn_kl(loc_a, cov_a, loc_b, cov_b), rtol=1e-10)
    np.testing.assert_allclose(got["ba"], _mvn_kl(loc_b, cov_b, loc_a, cov_a), rtol=1e-10)
    np.testing.assert_allclose(got["aa"], [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(got["cross"], _mvn_entropy(cov_a) + got["ab"], rtol=1e-10)
    dcov_a = np.diag([0.5, 1.0, 1.5]) ** 2
    dcov_b = np.diag([2.0, 1.0, 0.7]) ** 2
    np.testing.assert_allclose(got["diag"], _mvn_kl(loc_a, dcov_a, loc_b, dcov_b), rtol=1e-10)
    assert tfd.kl_divergence(diag_a, diag_b).shape.as_list() == [2]


def test_sample_moments_and_reparameterized_gradients():
    loc = tf.constant([1.0, -2.0, 0.5], tf.float64)
    tril_value = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [-0.3, 0.4, 0.5]])
    tril = tf.constant(tril_value)
    d = tfd.MultivariateNormalTriL(loc, tril)
    x = d.sample([200, 100], seed=2)
    assert x.shape.as_list() == [200, 100, 3]
    g_loc, g_tril = tf.gradients(tf.reduce_mean(x[..., 0] + 2.0 * x[..., 2]), [loc, tril])
    xv, gl, gt = run([x, g_loc, g_tril])
    flat = xv.reshape(-1, 3)
    np.testing.assert_allclose(flat.mean(0), [1.0, -2.0, 0.5], atol=0.03)
    np.testing.assert_allclose(np.cov(flat.T), tril_value @ tril_value.T, atol=0.04)
    assert d.reparameterization_type is tfd.FULLY_REPARAMETERIZED
    np.testing.assert_allclose(gl, [1.0, 0.0, 2.0])  # x = loc + L z
    z = np.linalg.solve(tril_value, (flat - [1.0, -2.0, 0.5]).T).T
    # d mean(x_0 + 2 x_2) / d L_ij = mean(w_i z_j) with w = (1, 0, 2); the upper triangle of
    # the operator's matrix is never read, so its gradient is zero.
    want = np.tril(np.outer([1.0, 0.0, 2.0], z.mean(0)))
    np.testing.assert_allclose(gt, want, atol=1e-10)


def test_batched_samples_follow_each_member():
    loc = np.array([[0.0, 0.0], [5.0, -5.0]])
    d = tfd.MultivariateNormalDiag(loc, np.array([[1.0, 0.1], [0.2, 3.0]]))
    s = run(d.sample(20000, seed=7))
    assert s.shape == (20000, 2, 2)
    np.testing.assert_allclose(s.mean(0), loc, atol=0.06)
    np.testing.assert_allclose(s.std(0), [[1.0, 0.1], [0.2, 3.0]], rtol=0.03)


def test_constructor_errors():
    with pytest.raises(ValueError, match="Missing required `scale` parameter"):
        tfd.MultivariateNormalLinearOperator(loc=[0.0, 1.0])
    with pytest.raises(TypeError, match="LinearOperator"):
        tfd.MultivariateNormalLinearOperator(loc=[0.0], scale=np.eye(1))
    with pytest.raises(ValueError, match="one or both of `loc`, `scale_tril`"):
        tfd.MultivariateNormalTriL()
    with pytest.raises(ValueError, match="one or both of `loc`, `covariance_matrix`"):
        tfd.MultivariateNormalFullCovariance()
    with pytest.raises(ValueError, match="Cannot infer `event_shape`"):
        tfd.MultivariateNormalDiag()
    with pytest.raises(TypeError, match="incompatible with scale.dtype"):
        tfd.MultivariateNormalTriL(np.zeros(2), np.eye(2, dtype=np.float32))
    with pytest.raises(ValueError, match="event size 3 .* 2 x 2"):
        tfd.MultivariateNormalTriL(np.zeros(3), np.eye(2))
    with pytest.raises(ValueError, match="scale_perturb_diag"):
        tfd.MultivariateNormalDiagPlusLowRank([0.0, 0.0], scale_perturb_diag=[1.0])


def test_validate_args_checks_at_run_time():
    cov = tf.placeholder(tf.float64, [2, 2])
    d = tfd.MultivariateNormalFullCovariance(np.zeros(2), cov, validate_args=True)
    lp = d.log_prob(np.zeros(2))
    assert run(lp, {cov: np.eye(2)}) == pytest.approx(-math.log(2 * math.pi))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Matrix was not symmetric"):
        run(lp, {cov: [[1.0, 0.5], [0.0, 1.0]]})
    diag = tf.placeholder(tf.float64, [2])
    singular = tfd.MultivariateNormalDiag(np.zeros(2), diag, validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError):
        run(singular.log_prob(np.zeros(2)), {diag: [1.0, 0.0]})
    low = tfd.MultivariateNormalDiagPlusLowRank(np.zeros(2), scale_diag=diag,
                                                scale_perturb_factor=np.ones((2, 1)),
                                                validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="diagonal part must be positive"):
        run(low.log_prob(np.zeros(2)), {diag: [1.0, -1.0]})


def test_vector_laplace_diag():
    loc = np.array([[0.0, 1.0, -1.0], [2.0, 0.5, 0.0]])
    diag = np.array([0.5, 2.0, 1.0])
    d = tfd.VectorLaplaceDiag(loc, diag)
    assert d.batch_shape.as_list() == [2] and d.event_shape.as_list() == [3]
    x = R.normal(size=(4, 2, 3))
    got = run({"lp": d.log_prob(x), "ent": d.entropy(), "mean": d.mean(), "mode": d.mode(),
               "cov": d.covariance(), "std": d.stddev(), "s": d.sample(40000, seed=3)})
    want = (-np.abs((x - loc) / diag) - np.log(2 * diag)).sum(-1)
    np.testing.assert_allclose(got["lp"], want, rtol=1e-10)
    np.testing.assert_allclose(got["ent"], np.full(2, (1 + np.log(2 * diag)).sum()))
    np.testing.assert_allclose(got["mean"], loc)
    np.testing.assert_allclose(got["mode"], loc)
    np.testing.assert_allclose(got["cov"], np.broadcast_to(np.diag(2 * diag ** 2), (2, 3, 3)))
    np.testing.assert_allclose(got["std"], np.broadcast_to(np.sqrt(2) * diag, (2, 3)))
    s = got["s"]
    np.testing.assert_allclose(s.mean(0), loc, atol=0.04)
    np.testing.assert_allclose(s.std(0), got["std"], rtol=0.03)
    assert d.reparameterization_type is tfd.FULLY_REPARAMETERIZED
    with pytest.raises(NotImplementedError, match="No KL"):
        tfd.kl_divergence(d, tfd.MultivariateNormalDiag(loc, diag))


def test_vector_exponential_diag():
    loc = np.array([1.0, -2.0])
    mult = np.array([0.5, 3.0])
    d = tfd.VectorExponentialDiag(loc, scale_identity_multiplier=mult)
    assert d.batch_shape.as_list() == [2] and d.event_shape.as_list() == [2]
    x = loc + np.array([[0.3, 1.2], [4.0, 0.1]])[:, None, :] * mult[:, None]
    got = run({"lp": d.log_prob(x), "ent": d.entropy(), "mean": d.mean(), "mode": d.mode(),
               "var": d.variance(), "s": d.sample(40000, seed=4)})
    z = (x - loc) / mult[:, None]
    np.testing.assert_allclose(got["lp"], -z.sum(-1) - 2 * np.log(mult), rtol=1e-10)
    np.testing.assert_allclose(got["ent"], 2 + 2 * np.log(mult))
    np.testing.assert_allclose(got["mean"], loc + mult[:, None])
    np.testing.assert_allclose(got["mode"], np.broadcast_to(loc, (2, 2)))
    np.testing.assert_allclose(got["var"], np.broadcast_to(mult[:, None] ** 2, (2, 2)))
    s = got["s"]
    assert (s >= loc).all()
    np.testing.assert_allclose(s.mean(0), got["mean"], rtol=0.03)
    checked = tfd.VectorExponentialDiag(loc, validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="outside the support"):
        run(checked.log_prob(loc - 1.0))
