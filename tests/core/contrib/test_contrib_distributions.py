"""tf.contrib.distributions (TF 1.15): the namespace (core's classes re-exported, contrib-only
names kept out of tf.distributions) and the scalar / discrete families against numpy written
from their formulas (scipy.stats as an extra reference where installed): values, broadcast
batch shapes, sample shapes and moments, reparameterized gradients, KLs and validate_args."""

import math

import numpy as np
import pytest

import minitf as tf
import minitf.contrib.distributions as tfd

F64 = np.float64
R = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(11)
        yield


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _lgamma(x):
    return np.vectorize(math.lgamma)(np.asarray(x, F64))


# --- the namespace ----------------------------------------------------------------------------

def test_reexports_core_and_keeps_contrib_names_out_of_core():
    for name in tf.distributions.__all__:
        assert getattr(tfd, name) is getattr(tf.distributions, name), name
    contrib_only = ["MultivariateNormalDiag", "Poisson", "Mixture", "Independent", "Logistic",
                    "OneHotCategorical", "RelaxedBernoulli", "fill_triangular", "percentile",
                    "HalfNormal", "NormalWithSoftplusScale"]
    for name in contrib_only:
        assert hasattr(tfd, name) and name in tfd.__all__
        assert not hasattr(tf.distributions, name), name
    assert set(tfd.__all__) <= set(dir(tfd))


def test_bijectors_load_lazily_as_a_module_attribute():
    pytest.importorskip("minitf.contrib.distributions_bijectors")
    import minitf.contrib.distributions_bijectors as bij
    assert tfd.bijectors is bij
    with pytest.raises(AttributeError, match="NoSuchDistribution"):
        tfd.NoSuchDistribution  # noqa: B018


# --- Logistic, Cauchy, HalfNormal --------------------------------------------------------------

def test_logistic_values_and_broadcast_shapes():
    loc, scale = np.array([0.0, 1.5]), np.array([[1.0], [2.5]])
    x = np.array([[-0.3, 2.0], [-4.0, 9.0]])
    d = tfd.Logistic(loc, scale)
    assert d.batch_shape.as_list() == [2, 2] and d.event_shape.as_list() == []
    got = run({m: getattr(d, m)(x) for m in ("log_prob", "prob", "cdf", "log_cdf",
                                            "survival_function", "log_survival_function")}
              | {m: getattr(d, m)() for m in ("entropy", "mean", "stddev", "variance", "mode")})
    z = (x - loc) / scale
    want_lp = -z - 2 * np.log1p(np.exp(-z)) - np.log(scale)
    np.testing.assert_allclose(got["log_prob"], want_lp, rtol=1e-12)
    np.testing.assert_allclose(got["prob"], np.exp(want_lp), rtol=1e-12)
    np.testing.assert_allclose(got["cdf"], 1 / (1 + np.exp(-z)), rtol=1e-12)
    np.testing.assert_allclose(got["log_cdf"], -np.log1p(np.exp(-z)), rtol=1e-12)
    np.testing.assert_allclose(got["survival_function"], 1 / (1 + np.exp(z)), rtol=1e-12)
    np.testing.assert_allclose(got["log_survival_function"], -np.log1p(np.exp(z)), rtol=1e-12)
    np.testing.assert_allclose(got["entropy"], np.broadcast_to(2 + np.log(scale), (2, 2)))
    np.testing.assert_allclose(got["mean"], np.broadcast_to(loc, (2, 2)))
    np.testing.assert_allclose(got["mode"], np.broadcast_to(loc, (2, 2)))
    np.testing.assert_allclose(got["stddev"], np.broadcast_to(scale * np.pi / np.sqrt(3), (2, 2)))
    np.testing.assert_allclose(got["variance"], got["stddev"] ** 2)
    stats = pytest.importorskip("scipy.stats")
    np.testing.assert_allclose(got["log_prob"], stats.logistic(loc, scale).logpdf(x))


def test_logistic_sampling_and_reparameterized_gradient():
    loc = tf.constant([1.0, -2.0], tf.float64)
    scale = tf.constant([0.5, 2.0], tf.float64)
    d = tfd.Logistic(loc, scale)
    x = d.sample(40000, seed=3)
    assert x.shape.as_list() == [40000, 2]
    g_loc, g_scale = tf.gradients(tf.reduce_sum(x), [loc, scale])
    xv, gl, gs = run([x, g_loc, g_scale])
    np.testing.assert_allclose(xv.mean(0), [1.0, -2.0], atol=0.06)
    np.testing.assert_allclose(xv.var(0), (np.array([0.5, 2.0]) * np.pi) ** 2 / 3, rtol=0.05)
    assert d.reparameterization_type is tfd.FULLY_REPARAMETERIZED
    # x = loc + scale * z: d sum(x) / d loc = n, d sum(x) / d scale = sum(z).
    np.testing.assert_allclose(gl, [40000, 40000])
    np.testing.assert_allclose(gs, ((xv - [1.0, -2.0]) / [0.5, 2.0]).sum(0), rtol=1e-8)


def test_cauchy_values_undefined_moments_and_samples():
    loc, scale = np.array([0.0, 2.0]), np.array([1.0, 3.0])
    x = np.array([0.5, -1.0])
    d = tfd.Cauchy(loc, scale)
    got = run({"lp": d.log_prob(x), "cdf": d.cdf(x), "lcdf": d.log_cdf(x), "ent": d.entropy(),
               "q": d.quantile(0.8), "mode": d.mode(), "mean": d.mean(), "var": d.variance()})
    z = (x - loc) / scale
    np.testing.assert_allclose(got["lp"], -np.log(np.pi * scale * (1 + z ** 2)), rtol=1e-12)
    np.testing.assert_allclose(got["cdf"], np.arctan(z) / np.pi + 0.5, rtol=1e-12)
    np.testing.assert_allclose(got["lcdf"], np.log(np.arctan(z) / np.pi + 0.5), rtol=1e-12)
    np.testing.assert_allclose(got["ent"], np.log(4 * np.pi * scale))
    np.testing.assert_allclose(got["q"], loc + scale * np.tan(np.pi * 0.3), rtol=1e-12)
    np.testing.assert_allclose(got["mode"], loc)
    assert np.isnan(got["mean"]).all() and np.isnan(got["var"]).all()
    s = run(d.sample(20000, seed=1))
    np.testing.assert_allclose(np.median(s, 0), loc, atol=0.1)  # the median is loc
    strict = tfd.Cauchy(0.0, 1.0, allow_nan_stats=False)
    with pytest.raises(ValueError, match="`mean` is undefined for Cauchy"):
        strict.mean()
    with pytest.raises(ValueError, match="`variance` is undefined"):
        strict.variance()


def test_half_normal_values_kl_and_samples():
    scale = np.array([0.5, 2.0])
    x = np.array([0.3, 1.7])
    d = tfd.HalfNormal(scale)
    got = run({"lp": d.log_prob(x), "cdf": d.cdf(x), "ent": d.entropy(), "mean": d.mean(),
               "var": d.variance(), "q": d.quantile(0.3), "mode": d.mode(),
               "kl": tfd.kl_divergence(d, tfd.HalfNormal(np.array([1.0, 1.0])))})
    np.testing.assert_allclose(got["lp"], np.log(np.sqrt(2 / np.pi) / scale)
                               - x ** 2 / (2 * scale ** 2), rtol=1e-12)
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(got["cdf"], erf(x / (scale * np.sqrt(2))), rtol=1e-12)
    np.testing.assert_allclose(got["ent"], 0.5 * np.log(np.pi * scale ** 2 / 2) + 0.5)
    np.testing.assert_allclose(got["mean"], scale * np.sqrt(2 / np.pi))
    np.testing.assert_allclose(got["var"], scale ** 2 * (1 - 2 / np.pi))
    np.testing.assert_allclose(erf(got["q"] / (scale * np.sqrt(2))), 0.3, rtol=1e-10)
    np.testing.assert_array_equal(got["mode"], [0.0, 0.0])
    # KL(a || b) = integral of p_a log(p_a / p_b), numerically on a fine grid.
    grid = np.linspace(0, 30, 300001)[:, None]
    log_pa = 0.5 * np.log(2 / np.pi) - np.log(scale) - grid ** 2 / (2 * scale ** 2)
    log_pb = 0.5 * np.log(2 / np.pi) - grid ** 2 / 2
    integrand = np.exp(log_pa) * (log_pa - log_pb)
    np.testing.assert_allclose(got["kl"], np.trapezoid(integrand, grid[:, 0], axis=0),
                               rtol=1e-5)
    s = run(d.sample(30000, seed=2))
    assert (s >= 0).all()
    np.testing.assert_allclose(s.mean(0), got["mean"], rtol=0.03)


# --- InverseGamma, Chi2, Kumaraswamy ----------------------------------------------------------

def test_inverse_gamma_values_and_undefined_moments():
    c, r = np.array([0.5, 1.5, 3.0]), np.array([1.0, 2.0, 0.5])
    x = np.array([0.4, 1.1, 2.5])
    d = tfd.InverseGamma(c, r)
    got = run({"lp": d.log_prob(x), "cdf": d.cdf(x), "ent": d.entropy(), "mean": d.mean(),
               "var": d.variance(), "mode": d.mode()})
    want_lp = c * np.log(r) - _lgamma(c) - (c + 1) * np.log(x) - r / x
    np.testing.assert_allclose(got["lp"], want_lp, rtol=1e-10)
    np.testing.assert_allclose(got["mode"], r / (c + 1))
    np.testing.assert_allclose(got["mean"], [np.nan, r[1] / 0.5, r[2] / 2.0])
    np.testing.assert_allclose(got["var"], [np.nan, np.nan, r[2] ** 2 / 4.0])
    stats = pytest.importorskip("scipy.stats")
    np.testing.assert_allclose(got["cdf"], stats.invgamma(c, scale=r).cdf(x), rtol=1e-8)
    np.testing.assert_allclose(got["ent"], stats.invgamma(c, scale=r).entropy(), rtol=1e-8)


def test_inverse_gamma_cdf_and_entropy_by_quadrature():
    c, r = 3.0, 2.0
    d = tfd.InverseGamma(F64(c), F64(r))
    grid = np.geomspace(1e-3, 1e6, 2000001)  # the density's tail is heavy (x^-4)
    pdf = r ** c / math.gamma(c) * grid ** (-c - 1) * np.exp(-r / grid)
    cdf, ent = run([d.cdf(F64(1.3)), d.entropy()])
    sel = grid <= 1.3
    assert cdf == pytest.approx(np.trapezoid(pdf[sel], grid[sel]), rel=1e-4)
    assert ent == pytest.approx(-np.trapezoid(pdf * np.log(np.maximum(pdf, 1e-300)), grid),
                                rel=1e-4)


def test_inverse_gamma_strict_stats_and_validation():
    strict = tfd.InverseGamma([0.5, 3.0], [1.0, 1.0], allow_nan_stats=False)
    with pytest.raises(tf.errors.InvalidArgumentError, match="mean undefined"):
        run(strict.mean())
    with pytest.raises(tf.errors.InvalidArgumentError, match="x > 0"):
        run(tfd.InverseGamma([-1.0], [1.0], validate_args=True).log_prob([1.0]))
    fed = tf.placeholder(tf.float32, [1])
    bad = tfd.InverseGamma(fed, [1.0], validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="x > 0"):
        run(bad.log_prob([1.0]), {fed: [-1.0]})
    s = run(tfd.InverseGamma(np.array([4.0]), np.array([6.0])).sample(40000, seed=5))
    assert s.mean() == pytest.approx(2.0, rel=0.03)  # rate / (c - 1)


def test_chi2_and_abs_df():
    df = np.array([1.0, 4.5])
    x = np.array([0.7, 3.0])
    d = tfd.Chi2(df)
    got = run({"lp": d.log_prob(x), "mean": d.mean(), "var": d.variance(), "df": d.df,
               "abs": tfd.Chi2WithAbsDf(np.array([-4.7, 2.2])).df})
    k = df / 2
    np.testing.assert_allclose(got["lp"], (k - 1) * np.log(x) - x / 2 - k * np.log(2)
                               - _lgamma(k), rtol=1e-10)
    np.testing.assert_allclose(got["mean"], df)
    np.testing.assert_allclose(got["var"], 2 * df)
    np.testing.assert_array_equal(got["abs"], [4.0, 2.0])
    assert d.batch_shape.as_list() == [2]


def test_kumaraswamy_against_quadrature():
    a, b = np.array([2.0, 0.7, 3.5]), np.array([3.0, 1.4, 0.9])
    d = tfd.Kumaraswamy(a, b)
    x = np.array([0.3, 0.6, 0.95])
    got = run({"lp": d.log_prob(x), "cdf": d.cdf(x), "mean": d.mean(), "var": d.variance(),
               "ent": d.entropy(), "mode": d.mode()})
    want_lp = np.log(a * b) + (a - 1) * np.log(x) + (b - 1) * np.log1p(-x ** a)
    np.testing.assert_allclose(got["lp"], want_lp, rtol=1e-10)
    np.testing.assert_allclose(got["cdf"], 1 - (1 - x ** a) ** b, rtol=1e-10)
    grid = np.linspace(1e-9, 1 - 1e-9, 2000001)[:, None]
    pdf = a * b * grid ** (a - 1) * (1 - grid ** a) ** (b - 1)
    m1 = np.trapezoid(grid * pdf, grid[:, 0], axis=0)
    m2 = np.trapezoid(grid ** 2 * pdf, grid[:, 0], axis=0)
    np.testing.assert_allclose(got["mean"], m1, rtol=2e-3)
    np.testing.assert_allclose(got["var"], m2 - m1 ** 2, rtol=5e-3)
    ent = -np.trapezoid(pdf * np.log(pdf), grid[:, 0], axis=0)
    np.testing.assert_allclose(got["ent"], ent, rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(got["mode"][0], ((a[0] - 1) / (a[0] * b[0] - 1)) ** (1 / a[0]))
    assert np.isnan(got["mode"][1:]).all()  # a <= 1 or b <= 1


def test_kumaraswamy_samples_and_gradient():
    a = tf.constant([2.0, 5.0], tf.float64)
    b = tf.constant([3.0, 1.5], tf.float64)
    d = tfd.Kumaraswamy(a, b)
    x = d.sample(40000, seed=8)
    grad = tf.gradients(tf.reduce_mean(x), [a])[0]
    xv, mean, g = run([x, d.mean(), grad])
    assert ((xv > 0) & (xv < 1)).all()
    np.testing.assert_allclose(xv.mean(0), mean, atol=0.01)
    assert np.all(g > 0)  # larger a pushes x = (1 - (1-u)^(1/b))^(1/a) up


# --- Poisson, Binomial, Geometric, NegativeBinomial -------------------------------------------

def test_poisson_values_both_parameterizations_and_errors():
    rate = np.array([0.7, 3.0, 10.0])
    k = np.array([0.0, 2.0, 12.0])
    d = tfd.Poisson(rate=rate)
    d_log = tfd.Poisson(log_rate=np.log(rate))
    got = run({"lp": d.log_prob(k), "lp_log": d_log.log_prob(k), "cdf": d.cdf(k),
               "lp_frac": d.log_prob(k + 0.6), "mean": d.mean(), "var": d.variance(),
               "mode": d.mode()})
    want = k * np.log(rate) - rate - _lgamma(k + 1)
    np.testing.assert_allclose(got["lp"], want, rtol=1e-10)
    np.testing.assert_allclose(got["lp_log"], want, rtol=1e-10)
    np.testing.assert_allclose(got["lp_frac"], want, rtol=1e-10)  # floored, as TF does
    cdf = [sum(math.exp(j * math.log(r) - r - math.lgamma(j + 1)) for j in range(int(n) + 1))
           for r, n in zip(rate, k)]
    np.testing.assert_allclose(got["cdf"], cdf, rtol=1e-8)
    np.testing.assert_allclose(got["mean"], rate)
    np.testing.assert_allclose(got["var"], rate)
    np.testing.assert_array_equal(got["mode"], [0.0, 3.0, 10.0])
    with pytest.raises(ValueError, match="exactly one of `rate`, `log_rate`"):
        tfd.Poisson()
    with pytest.raises(ValueError, match="exactly one of `rate`, `log_rate`"):
        tfd.Poisson(rate=1.0, log_rate=0.0)
    with pytest.raises(TypeError, match="not a float-type"):
        tfd.Poisson(rate=[1, 2])
    checked = tfd.Poisson(rate=[1.0], validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="fractional"):
        run(checked.log_prob([1.5]))
    s = run(tfd.Poisson(rate=np.array([4.0, 0.5])).sample(30000, seed=4))
    np.testing.assert_allclose(s.mean(0), [4.0, 0.5], rtol=0.03)
    np.testing.assert_allclose(s.var(0), [4.0, 0.5], rtol=0.05)


def test_binomial_values_and_checks():
    n = np.array([5.0, 10.0])
    p = np.array([[0.3], [0.8]])
    k = np.array([2.0, 7.0])
    d = tfd.Binomial(total_count=n, probs=p)
    assert d.batch_shape.as_list() == [2, 2]
    got = run({"lp": d.log_prob(k), "cdf": d.cdf(k), "cdf_n": d.cdf(n), "mean": d.mean(),
               "var": d.variance(), "mode": d.mode()})
    comb = np.vectorize(lambda a, b: math.log(math.comb(int(a), int(b))))
    want = comb(n, k) + k * np.log(p) + (n - k) * np.log1p(-p)
    np.testing.assert_allclose(got["lp"], want, rtol=1e-10)
    cdf = np.vectorize(lambda nn, pp, kk: sum(math.comb(int(nn), j) * pp ** j
                                              * (1 - pp) ** (nn - j) for j in range(int(kk) + 1)))
    np.testing.assert_allclose(got["cdf"], cdf(n, p, k), rtol=1e-8)
    np.testing.assert_allclose(got["cdf_n"], np.ones((2, 2)))
    np.testing.assert_allclose(got["mean"], n * p)
    np.testing.assert_allclose(got["var"], n * p * (1 - p))
    np.testing.assert_array_equal(got["mode"], np.floor((n + 1) * p))
    with pytest.raises(NotImplementedError, match="sample_n is not implemented"):
        d.sample()
    checked = tfd.Binomial(total_count=4.0, logits=0.0, validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="less than or equal to n"):
        run(checked.log_prob(5.0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="fractional"):
        run(tfd.Binomial(total_count=4.5, probs=0.5, validate_args=True).mean())
    with pytest.raises(ValueError, match="Must pass probs or logits, but not both"):
        tfd.Binomial(3.0)


def test_geometric_values_and_samples():
    p = np.array([0.2, 0.7])
    k = np.array([3.0, 0.0])
    d = tfd.Geometric(probs=p)
    got = run({"lp": d.log_prob(k), "cdf": d.cdf(k), "ent": d.entropy(), "mean": d.mean(),
               "var": d.variance(), "mode": d.mode(), "lp_logits": tfd.Geometric(
                   logits=np.log(p / (1 - p))).log_prob(k)})
    np.testing.assert_allclose(got["lp"], k * np.log1p(-p) + np.log(p), rtol=1e-10)
    np.testing.assert_allclose(got["lp_logits"], got["lp"], rtol=1e-10)
    np.testing.assert_allclose(got["cdf"], 1 - (1 - p) ** (k + 1), rtol=1e-10)
    j = np.arange(2000)[:, None]
    log_pmf = j * np.log1p(-p) + np.log(p)
    np.testing.assert_allclose(got["ent"], -(np.exp(log_pmf) * log_pmf).sum(0), rtol=1e-8)
    np.testing.assert_allclose(got["mean"], (1 - p) / p)
    np.testing.assert_allclose(got["var"], (1 - p) / p ** 2)
    np.testing.assert_array_equal(got["mode"], [0.0, 0.0])
    s = run(d.sample(40000, seed=6))
    np.testing.assert_allclose(s.mean(0), (1 - p) / p, rtol=0.04)
    with pytest.raises(tf.errors.InvalidArgumentError):
        run(tfd.Geometric(probs=[0.0], validate_args=True).mean())


def test_negative_binomial_values_and_samples():
    r = np.array([3.0, 0.5])
    p = np.array([0.4, 0.75])
    k = np.array([2.0, 5.0])
    d = tfd.NegativeBinomial(total_count=r, probs=p)
    got = run({"lp": d.log_prob(k), "cdf": d.cdf(k), "mean": d.mean(), "var": d.variance(),
               "mode": d.mode()})
    want = (_lgamma(k + r) - _lgamma(k + 1) - _lgamma(r) + k * np.log(p) + r * np.log1p(-p))
    np.testing.assert_allclose(got["lp"], want, rtol=1e-10)
    pmf = lambda j: np.exp(_lgamma(j + r) - _lgamma(j + 1) - _lgamma(r)  # noqa: E731
                           + j * np.log(p) + r * np.log1p(-p))
    np.testing.assert_allclose(got["cdf"], [sum(pmf(j)[i] for j in range(int(k[i]) + 1))
                                            for i in range(2)], rtol=1e-8)
    np.testing.assert_allclose(got["mean"], r * p / (1 - p))
    np.testing.assert_allclose(got["var"], r * p / (1 - p) ** 2)
    np.testing.assert_array_equal(got["mode"], [np.floor(2 * p[0] / (1 - p[0])), 0.0])
    s = run(d.sample(40000, seed=9))
    np.testing.assert_allclose(s.mean(0), got["mean"], rtol=0.04)
    np.testing.assert_allclose(s.var(0), got["var"], rtol=0.08)


# --- OneHotCategorical, Deterministic ---------------------------------------------------------

def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_one_hot_categorical():
    logits = np.array([[0.2, -1.0, 1.5], [0.0, 0.0, 3.0]])
    d = tfd.OneHotCategorical(logits=logits)
    assert d.batch_shape.as_list() == [2] and d.event_shape.as_list() == [3]
    x = np.array([[0, 0, 1], [1, 0, 0]], np.int32)
    other = tfd.OneHotCategorical(probs=np.array([0.5, 0.25, 0.25]))
    got = run({"lp": d.log_prob(x), "lp_bcast": d.log_prob(x[None, :1]), "ent": d.entropy(),
               "mean": d.mean(), "var": d.variance(), "cov": d.covariance(), "mode": d.mode(),
               "kl": tfd.kl_divergence(d, other), "sample": d.sample(20000, seed=2)})
    p = _softmax(logits)
    np.testing.assert_allclose(got["lp"], np.log((p * x).sum(-1)), rtol=1e-10)
    np.testing.assert_allclose(got["lp_bcast"], np.log(p[:, 2])[None], rtol=1e-10)
    np.testing.assert_allclose(got["ent"], -(p * np.log(p)).sum(-1), rtol=1e-10)
    np.testing.assert_allclose(got["mean"], p)
    np.testing.assert_allclose(got["var"], p * (1 - p))
    np.testing.assert_allclose(got["cov"], np.stack([np.diag(q) - np.outer(q, q) for q in p]))
    np.testing.assert_array_equal(got["mode"], [[0, 0, 1], [0, 0, 1]])
    q = np.array([0.5, 0.25, 0.25])
    np.testing.assert_allclose(got["kl"], (p * np.log(p / q)).sum(-1), rtol=1e-10)
    s = got["sample"]
    assert s.shape == (20000, 2, 3) and s.dtype == np.int32
    np.testing.assert_array_equal(s.sum(-1), 1)
    np.testing.assert_allclose(s.mean(0), p, atol=0.015)
    checked = tfd.OneHotCategorical(logits=logits, validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="sum to 1"):
        run(checked.log_prob([[1, 1, 0], [1, 0, 0]]))


def test_deterministic_and_vector_deterministic():
    d = tfd.Deterministic(loc=[0.0, 2.0], atol=0.1)
    got = run({"p": d.prob([0.05, 2.2]), "cdf": d.cdf([-0.2, 1.95]), "s": d.sample([3]),
               "mean": d.mean(), "var": d.variance()})
    np.testing.assert_array_equal(got["p"], [1.0, 0.0])
    np.testing.assert_array_equal(got["cdf"], [0.0, 1.0])
    np.testing.assert_array_equal(got["s"], [[0.0, 2.0]] * 3)
    np.testing.assert_array_equal(got["var"], [0.0, 0.0])
    rel = tfd.Deterministic(loc=100.0, rtol=0.01)
    np.testing.assert_array_equal(run(rel.prob([100.9, 101.1])), [1.0, 0.0])
    v = tfd.VectorDeterministic(loc=[[0.0, 1.0], [2.0, 3.0]])
    assert v.batch_shape.as_list() == [2] and v.event_shape.as_list() == [2]
    np.testing.assert_array_equal(run(v.prob([[0.0, 1.0], [2.0, 3.5]])), [1.0, 0.0])
    assert run(v.sample(4)).shape == (4, 2, 2)
    with pytest.raises(ValueError, match="at least rank 1"):
        tfd.VectorDeterministic(loc=1.0, validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="non-negative"):
        run(tfd.Deterministic(0.0, atol=-1.0, validate_args=True).prob(0.0))


def test_softplus_variants_transform_their_parameters():
    raw = np.array([-1.0, 0.5], np.float32)
    sp = np.log1p(np.exp(raw.astype(F64)))
    got = run({"normal": tfd.NormalWithSoftplusScale(0.0, raw).scale,
               "laplace": tfd.LaplaceWithSoftplusScale(0.0, raw).scale,
               "exp": tfd.ExponentialWithSoftplusRate(raw).rate,
               "gamma": tfd.GammaWithSoftplusConcentrationRate(raw, raw).concentration,
               "beta": tfd.BetaWithSoftplusConcentration(raw, raw).concentration0,
               "invgamma": tfd.InverseGammaWithSoftplusConcentrationRate(raw, raw).rate,
               "student_df": tfd.StudentTWithAbsDfSoftplusScale(
                   np.array([-3.5, 2.2], np.float32), 0.0, raw).df,
               "bern": tfd.BernoulliWithSigmoidProbs(logits=raw).probs})
    for key in ("normal", "laplace", "exp", "gamma", "beta", "invgamma"):
        np.testing.assert_allclose(got[key], sp, rtol=1e-6, err_msg=key)
    np.testing.assert_array_equal(got["student_df"], [3.0, 2.0])
    np.testing.assert_allclose(got["bern"], 1 / (1 + np.exp(-raw)), rtol=1e-6)
    kl = run(tfd.kl_divergence(tfd.NormalWithSoftplusScale(0.0, 0.0),
                               tfd.Normal(0.0, math.log(2.0))))
    assert kl == pytest.approx(0.0, abs=1e-7)  # softplus(0) = log 2: the same Normal
