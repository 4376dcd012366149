"""tf.contrib.distributions' compound and relaxed distributions against numpy written from
their definitions: Mixture, MixtureSameFamily and Independent (densities, moments by the law of
total variance, sample moments, KL, errors) and the Concrete relaxations (densities, the
Gumbel-max property of their samples, reparameterized gradients)."""

import math

import numpy as np
import pytest

import minitf as tf
import minitf.contrib.distributions as tfd

R = np.random.default_rng(13)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(17)
        yield


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _normal_lp(x, mu, sd):
    return -0.5 * ((x - mu) / sd) ** 2 - np.log(sd) - 0.5 * np.log(2 * np.pi)


def _logsumexp(a, axis):
    m = a.max(axis, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis, keepdims=True))).squeeze(axis)


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# --- Mixture ---------------------------------------------------------------------------------

def test_mixture_of_normals():
    probs = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    mus = [np.array([-1.0, 0.0]), np.array([2.0, 1.0]), np.array([0.5, 4.0])]
    sds = [np.array([0.5, 1.0]), np.array([1.5, 0.3]), np.array([1.0, 2.0])]
    mix = tfd.Mixture(cat=tfd.Categorical(probs=probs),
                      components=[tfd.Normal(m, s) for m, s in zip(mus, sds)])
    assert mix.batch_shape.as_list() == [2] and mix.event_shape.as_list() == []
    assert mix.num_components == 3
    x = np.array([[0.3, -2.0], [1.0, 3.0], [5.0, 0.5]])
    got = run({"lp": mix.log_prob(x), "p": mix.prob(x), "lcdf": mix.log_cdf(x),
               "mean": mix.mean(), "std": mix.stddev(), "var": mix.variance(),
               "elb": mix.entropy_lower_bound(), "s": mix.sample(60000, seed=3)})
    comp_lp = np.stack([_normal_lp(x, m, s) for m, s in zip(mus, sds)], -1)
    want = _logsumexp(comp_lp + np.log(probs), -1)
    np.testing.assert_allclose(got["lp"], want, rtol=1e-10)
    np.testing.assert_allclose(got["p"], np.exp(want), rtol=1e-10)
    erf = np.vectorize(math.erf)
    cdf = sum(probs[:, i] * 0.5 * (1 + erf((x - m) / (s * np.sqrt(2))))
              for i, (m, s) in enumerate(zip(mus, sds)))
    np.testing.assert_allclose(got["lcdf"], np.log(cdf), rtol=1e-8)
    mu, sd = np.stack(mus, -1), np.stack(sds, -1)
    mean = (probs * mu).sum(-1)
    var = (probs * (sd ** 2 + mu ** 2)).sum(-1) - mean ** 2
    np.testing.assert_allclose(got["mean"], mean, rtol=1e-12)
    np.testing.assert_allclose(got["std"], np.sqrt(var), rtol=1e-12)
    np.testing.assert_allclose(got["var"], var, rtol=1e-12)
    np.testing.assert_allclose(got["elb"], (probs * (0.5 * np.log(2 * np.pi * np.e * sd ** 2)))
                               .sum(-1), rtol=1e-12)
    s = got["s"]
    assert s.shape == (60000, 2)
    np.testing.assert_allclose(s.mean(0), mean, atol=0.03)
    np.testing.assert_allclose(s.var(0), var, rtol=0.04)


def test_mixture_of_vector_components_and_errors():
    cat = tfd.Categorical(logits=np.zeros(2))
    comps = [tfd.MultivariateNormalDiag(np.array([0.0, 1.0]), np.array([1.0, 1.0])),
             tfd.MultivariateNormalDiag(np.array([4.0, -1.0]), np.array([0.5, 2.0]))]
    mix = tfd.Mixture(cat, comps)
    assert mix.event_shape.as_list() == [2] and mix.batch_shape.as_list() == []
    x = np.array([[1.0, 0.0], [3.0, -2.0]])
    lp, mean, s = run([mix.log_prob(x), mix.mean(), mix.sample(20000, seed=1)])
    c1 = _normal_lp(x, [0.0, 1.0], [1.0, 1.0]).sum(-1)
    c2 = _normal_lp(x, [4.0, -1.0], [0.5, 2.0]).sum(-1)
    np.testing.assert_allclose(lp, np.logaddexp(c1, c2) + np.log(0.5), rtol=1e-10)
    np.testing.assert_allclose(mean, [2.0, 0.0])
    assert s.shape == (20000, 2)
    np.testing.assert_allclose(s.mean(0), [2.0, 0.0], atol=0.05)
    normal = tfd.Normal(0.0, 1.0)
    with pytest.raises(TypeError, match="cat must be a Categorical"):
        tfd.Mixture(normal, [normal])
    with pytest.raises(ValueError, match="non-empty"):
        tfd.Mixture(cat, [])
    with pytest.raises(TypeError, match="Distribution instances"):
        tfd.Mixture(cat, [normal, 3.0])
    with pytest.raises(TypeError, match="same dtype"):
        tfd.Mixture(cat, [normal, tfd.Normal(np.float64(0.0), np.float64(1.0))])
    with pytest.raises(ValueError, match=r"cat.num_classes != len\(components\): 2 vs. 3"):
        tfd.Mixture(cat, [normal] * 3)
    with pytest.raises(ValueError, match="not compatible"):
        tfd.Mixture(cat, [normal, tfd.Normal([0.0, 1.0], 1.0)])


# --- MixtureSameFamily ------------------------------------------------------------------------

def test_mixture_same_family_scalar_components():
    logits = np.log([[0.3, 0.7], [0.5, 0.5]])
    loc = np.array([[-1.0, 1.0], [0.0, 3.0]])
    scale = np.array([[0.1, 0.5], [1.0, 2.0]])
    msf = tfd.MixtureSameFamily(tfd.Categorical(logits=logits), tfd.Normal(loc, scale))
    assert msf.batch_shape.as_list() == [2] and msf.event_shape.as_list() == []
    x = np.array([[0.5, -0.5], [1.0, 2.0], [-1.0, 0.0]])
    got = run({"lp": msf.log_prob(x), "lcdf": msf.log_cdf(x), "mean": msf.mean(),
               "var": msf.variance(), "s": msf.sample(60000, seed=4)})
    p = np.exp(logits)
    want = _logsumexp(_normal_lp(x[..., None], loc, scale) + logits, -1)
    np.testing.assert_allclose(got["lp"], want, rtol=1e-10)
    erf = np.vectorize(math.erf)
    cdf = (p * 0.5 * (1 + erf((x[..., None] - loc) / (scale * np.sqrt(2))))).sum(-1)
    np.testing.assert_allclose(got["lcdf"], np.log(cdf), rtol=1e-8)
    mean = (p * loc).sum(-1)
    var = (p * (scale ** 2 + (loc - mean[:, None]) ** 2)).sum(-1)
    np.testing.assert_allclose(got["mean"], mean, rtol=1e-12)
    np.testing.assert_allclose(got["var"], var, rtol=1e-12)
    np.testing.assert_allclose(got["s"].mean(0), mean, atol=0.03)
    np.testing.assert_allclose(got["s"].var(0), var, rtol=0.04)
    # TF's doc example: 0.3 N(-1, 0.1) + 0.7 N(1, 0.5) has mean 0.4 and variance 1.018.
    gm = tfd.MixtureSameFamily(tfd.Categorical(probs=[0.3, 0.7]),
                               tfd.Normal([-1.0, 1.0], [0.1, 0.5]))
    m, v = run([gm.mean(), gm.variance()])
    assert m == pytest.approx(0.4, rel=1e-6) and v == pytest.approx(1.018, rel=1e-5)


def test_mixture_same_family_vector_components_with_scalar_mixture():
    # TF's doc example: a scalar-batch mixture over a [2]-batch of bivariate normals.
    gm = tfd.MixtureSameFamily(
        tfd.Categorical(probs=[0.3, 0.7]),
        tfd.MultivariateNormalDiag(loc=[[-1.0, 1.0], [1.0, -1.0]],
                                   scale_identity_multiplier=[0.3, 0.6]))
    assert gm.batch_shape.as_list() == [] and gm.event_shape.as_list() == [2]
    x = np.array([[0.0, 0.0], [1.0, -1.0]], np.float32)
    got = run({"mean": gm.mean(), "cov": gm.covariance(), "lp": gm.log_prob(x),
               "s": gm.sample(4000, seed=2)})
    np.testing.assert_allclose(got["mean"], [0.4, -0.4], rtol=1e-6)
    np.testing.assert_allclose(got["cov"], [[1.119, -0.84], [-0.84, 1.119]], rtol=1e-5)
    lp1 = _normal_lp(x, [-1.0, 1.0], 0.3).sum(-1)
    lp2 = _normal_lp(x, [1.0, -1.0], 0.6).sum(-1)
    np.testing.assert_allclose(got["lp"], np.logaddexp(lp1 + np.log(0.3), lp2 + np.log(0.7)),
                               rtol=1e-5)
    assert got["s"].shape == (4000, 2)


def test_mixture_same_family_errors():
    normal = tfd.Normal([0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="is not over integers"):
        tfd.MixtureSameFamily(tfd.Normal(0.0, 1.0), normal)
    with pytest.raises(ValueError, match=r"components` \(3\) does not equal"):
        tfd.MixtureSameFamily(tfd.Categorical(logits=np.zeros(3, np.float32)), normal)
    with pytest.raises(ValueError, match="is not compatible"):
        tfd.MixtureSameFamily(tfd.Categorical(logits=np.zeros((3, 2), np.float32)),
                              tfd.Normal(np.zeros((4, 2), np.float32), 1.0))


# --- Independent -----------------------------------------------------------------------------

def test_independent_shapes_log_prob_entropy_and_kl():
    loc, scale = R.normal(size=(2, 3, 4)), np.exp(R.normal(size=(2, 3, 4)))
    base = tfd.Normal(loc, scale)
    ind = tfd.Independent(base, reinterpreted_batch_ndims=2)
    default = tfd.Independent(base)
    assert ind.batch_shape.as_list() == [2] and ind.event_shape.as_list() == [3, 4]
    assert default.reinterpreted_batch_ndims == 2
    assert ind.name.startswith("IndependentNormal")
    other = tfd.Independent(tfd.Normal(np.zeros((2, 3, 4)), np.ones((2, 3, 4))), 2)
    x = R.normal(size=(5, 2, 3, 4))
    got = run({"lp": ind.log_prob(x), "ent": ind.entropy(), "mean": ind.mean(),
               "kl": tfd.kl_divergence(ind, other), "s": ind.sample(3, seed=1),
               "bs": ind.batch_shape_tensor(), "es": ind.event_shape_tensor()})
    np.testing.assert_allclose(got["lp"], _normal_lp(x, loc, scale).sum((-1, -2)), rtol=1e-10)
    np.testing.assert_allclose(got["ent"], (0.5 * np.log(2 * np.pi * np.e * scale ** 2))
                               .sum((-1, -2)), rtol=1e-10)
    np.testing.assert_allclose(got["mean"], loc)
    kl = (np.log(1 / scale) + (scale ** 2 + loc ** 2) / 2 - 0.5).sum((-1, -2))
    np.testing.assert_allclose(got["kl"], kl, rtol=1e-10)
    assert got["s"].shape == (3, 2, 3, 4)
    np.testing.assert_array_equal(got["bs"], [2])
    np.testing.assert_array_equal(got["es"], [3, 4])
    assert ind.reparameterization_type is tfd.FULLY_REPARAMETERIZED


def test_independent_errors():
    base = tfd.Normal(np.zeros((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"reinterpreted_batch_ndims\(3\) cannot exceed "
                                         r"distribution.batch_ndims\(2\)"):
        tfd.Independent(base, reinterpreted_batch_ndims=3)
    with pytest.raises(ValueError, match="must be non-negative"):
        tfd.Independent(base, reinterpreted_batch_ndims=-1)
    a = tfd.Independent(base, 1)
    b = tfd.Independent(tfd.Normal(np.zeros((2, 4)), np.ones((2, 4))), 1)
    with pytest.raises(ValueError, match="Event shapes do not match"):
        tfd.kl_divergence(a, b)


# --- the Concrete relaxations ----------------------------------------------------------------

def test_relaxed_bernoulli_density_cdf_and_samples():
    temperature = np.array([0.5, 2.0])
    logits = np.array([0.3, -1.2])
    d = tfd.RelaxedBernoulli(temperature, logits=logits)
    assert d.batch_shape.as_list() == [2]
    y = np.array([[0.2, 0.9], [0.6, 0.05]])
    # Integrate over u = logit(y): the density has integrable spikes at 0 and 1 when T < 1.
    u = np.linspace(-30.0, 30.0, 400001)[:, None]
    grid = 1 / (1 + np.exp(-u))
    got = run({"lp": d.log_prob(y), "cdf": d.cdf(y), "s": d.sample(40000, seed=3),
               "grid": d.prob(grid)})
    z = temperature * np.log(y / (1 - y)) - logits
    want = np.log(temperature) - z - 2 * np.log1p(np.exp(-z)) - np.log(y * (1 - y))
    np.testing.assert_allclose(got["lp"], want, rtol=1e-10)
    np.testing.assert_allclose(got["cdf"], 1 / (1 + np.exp(-z)), rtol=1e-10)
    dens = got["grid"] * grid * (1 - grid)  # dy = y (1 - y) du
    np.testing.assert_allclose(np.trapezoid(dens, u[:, 0], axis=0), 1.0, atol=1e-5)
    s = got["s"]
    assert ((s > 0) & (s < 1)).all()
    mean = np.trapezoid(grid * dens, u[:, 0], axis=0)
    np.testing.assert_allclose(s.mean(0), mean, atol=0.01)
    # Gumbel-max at any temperature: P(Y > 1/2) = sigmoid(logits).
    np.testing.assert_allclose((s > 0.5).mean(0), 1 / (1 + np.exp(-logits)), atol=0.01)


def test_relaxed_bernoulli_reparameterized_gradient():
    logits = tf.constant([0.3, -1.2], tf.float64)
    d = tfd.RelaxedBernoulli(np.array([0.5, 2.0]), logits=logits)
    s = d.sample(1000, seed=1)
    grad = tf.gradients(tf.reduce_sum(s), logits)[0]
    sv, g = run([s, grad])
    # s = sigmoid((logits + L) / T): ds / dlogits = s (1 - s) / T.
    np.testing.assert_allclose(g, (sv * (1 - sv) / [0.5, 2.0]).sum(0), rtol=1e-10)


def test_exp_relaxed_and_relaxed_one_hot_categorical():
    logits = np.array([[0.5, -0.3, 1.2], [0.0, 2.0, -1.0]])
    temperature = 0.7
    exp_d = tfd.ExpRelaxedOneHotCategorical(temperature, logits=logits)
    d = tfd.RelaxedOneHotCategorical(temperature, logits=logits)
    assert d.batch_shape.as_list() == [2] and d.event_shape.as_list() == [3]
    y = _softmax(R.normal(size=(4, 2, 3)))
    got = run({"exp_lp": exp_d.log_prob(np.log(y)), "lp": d.log_prob(y),
               "exp_s": exp_d.sample(30000, seed=5), "s": d.sample(30000, seed=6)})
    k, lx = 3, np.log(y)
    v = logits - temperature * lx
    want_exp = (math.lgamma(k) + (k - 1) * np.log(temperature) + v.sum(-1)
                - k * _logsumexp(v, -1))
    np.testing.assert_allclose(got["exp_lp"], want_exp, rtol=1e-10)
    # The Concrete density (Maddison et al. 2016):
    # (k-1)! T^(k-1) prod(pi_i y_i^(-T-1)) / (sum pi_i y_i^(-T))^k.
    pi = _softmax(logits)
    concrete = (math.factorial(k - 1) * temperature ** (k - 1)
                * np.prod(pi * y ** (-temperature - 1), -1)
                / (pi * y ** -temperature).sum(-1) ** k)
    np.testing.assert_allclose(got["lp"], np.log(concrete), rtol=1e-10)
    np.testing.assert_allclose(_logsumexp(got["exp_s"], -1), 0.0, atol=1e-12)
    s = got["s"]
    np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-12)
    # Gumbel-max at any temperature: the argmax is Categorical(logits).
    freq = np.stack([(s.argmax(-1) == i).mean(0) for i in range(3)], -1)
    np.testing.assert_allclose(freq, pi, atol=0.012)
    with pytest.raises(tf.errors.InvalidArgumentError):
        run(tfd.RelaxedOneHotCategorical(-1.0, logits=[0.0, 1.0], validate_args=True)
            .log_prob([0.5, 0.5]))
