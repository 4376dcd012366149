"""tf.distributions (TF1) without TensorFlow: hand-computed values, sampling moments and shapes
(fixed seeds, generous bounds), reparameterized gradients, the KL registry and the errors."""

import math

import numpy as np
import pytest

import minitf as tf

tfd = tf.distributions
F32 = np.float32


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def test_normal_hand_values():
    d = tfd.Normal(loc=1.0, scale=2.0)
    lp, cdf, ent, q = run([d.log_prob(3.0), d.cdf(1.0), d.entropy(), d.quantile(0.5)])
    assert lp == pytest.approx(-0.5 - math.log(2.0) - 0.5 * math.log(2 * math.pi), rel=1e-6)
    assert cdf == pytest.approx(0.5)
    assert ent == pytest.approx(0.5 * math.log(2 * math.pi * math.e * 4.0), rel=1e-6)
    assert q == pytest.approx(1.0, abs=1e-6)


def test_normal_log_cdf_far_tail_uses_the_series():
    # log Phi(-15) = -116.1313848 (scipy.special.log_ndtr; TF 2.21 gave -116.131386); the
    # float32 ndtr alone underflows there, so log(ndtr) would be -inf.
    d = tfd.Normal(loc=0.0, scale=1.0)
    assert run(d.log_cdf(-15.0)) == pytest.approx(-116.1313848, rel=1e-6)


def test_hand_values_of_the_other_families():
    x = 0.5
    got = run({
        "exp_cdf": tfd.Exponential(rate=2.0).cdf(x),
        "lap_lp": tfd.Laplace(0.0, 1.0).log_prob(x),
        "uni_p": tfd.Uniform(0.0, 4.0).prob([x, 5.0]),
        "gam_lp": tfd.Gamma(2.0, 3.0).log_prob(x),
        "beta_lp": tfd.Beta(2.0, 3.0).log_prob(x),
        "bern_lp": tfd.Bernoulli(probs=0.25).log_prob(1),
        "cat_lp": tfd.Categorical(probs=[0.2, 0.8]).log_prob(1),
        "st_lp": tfd.StudentT(df=1.0, loc=0.0, scale=1.0).log_prob(x),
        "dir_lp": tfd.Dirichlet([1.0, 1.0, 1.0]).log_prob([0.2, 0.3, 0.5]),
        "mult_lp": tfd.Multinomial(2.0, probs=[0.5, 0.5]).log_prob([1.0, 1.0]),
        "dm_lp": tfd.DirichletMultinomial(1.0, [1.0, 3.0]).log_prob([0.0, 1.0]),
    })
    assert got["exp_cdf"] == pytest.approx(1 - math.exp(-1.0), rel=1e-6)
    assert got["lap_lp"] == pytest.approx(-math.log(2.0) - 0.5, rel=1e-6)
    np.testing.assert_allclose(got["uni_p"], [0.25, 0.0])
    assert got["gam_lp"] == pytest.approx(math.log(9 * 0.5 * math.exp(-1.5)), abs=1e-6)
    assert got["beta_lp"] == pytest.approx(math.log(12 * 0.5 * 0.25), rel=1e-6)
    assert got["bern_lp"] == pytest.approx(math.log(0.25), rel=1e-6)
    assert got["cat_lp"] == pytest.approx(math.log(0.8), rel=1e-6)
    assert got["st_lp"] == pytest.approx(-math.log(math.pi * 1.25), rel=1e-6)  # Cauchy
    assert got["dir_lp"] == pytest.approx(math.log(2.0), rel=1e-6)  # uniform on the simplex
    assert got["mult_lp"] == pytest.approx(math.log(0.5), rel=1e-6)
    assert got["dm_lp"] == pytest.approx(math.log(0.75), rel=1e-6)


def test_kl_hand_values_and_cross_entropy():
    a, b = tfd.Normal(0.0, 1.0), tfd.Normal(1.0, 2.0)
    kl, ce = run([tfd.kl_divergence(a, b), a.cross_entropy(b)])
    want = math.log(2.0) + (1 + 1) / 8 - 0.5
    assert kl == pytest.approx(want, rel=1e-6)
    assert ce == pytest.approx(want + 0.5 * math.log(2 * math.pi * math.e), rel=1e-6)


# (constructor, mean, variance, sample shape, reparameterized)
_MOMENTS = {
    "normal": (lambda: tfd.Normal([0.0, 3.0], [1.0, 0.5]), [0.0, 3.0], [1.0, 0.25], True),
    "uniform": (lambda: tfd.Uniform([0.0, -2.0], [1.0, 2.0]), [0.5, 0.0], [1 / 12, 16 / 12],
                True),
    "laplace": (lambda: tfd.Laplace([1.0, 0.0], [1.0, 2.0]), [1.0, 0.0], [2.0, 8.0], True),
    "gamma": (lambda: tfd.Gamma([0.5, 3.0], [1.0, 2.0]), [0.5, 1.5], [0.5, 0.75], True),
    "exponential": (lambda: tfd.Exponential([1.0, 4.0]), [1.0, 0.25], [1.0, 1 / 16], True),
    "beta": (lambda: tfd.Beta([2.0, 0.5], [3.0, 0.5]), [0.4, 0.5], [0.04, 0.125], True),
    "student_t": (lambda: tfd.StudentT([5.0, 10.0], [1.0, 0.0], [1.0, 2.0]), [1.0, 0.0],
                  [5 / 3, 5.0], True),
    "bernoulli": (lambda: tfd.Bernoulli(probs=[0.2, 0.7], dtype=tf.float32), [0.2, 0.7],
                  [0.16, 0.21], False),
    "categorical": (lambda: tfd.Categorical(probs=[[0.2, 0.8], [0.5, 0.5]], dtype=tf.float32),
                    [0.8, 0.5], [0.16, 0.25], False),
}


@pytest.mark.parametrize("name", sorted(_MOMENTS))
def test_sampling_moments_shapes_and_reparameterization(name):
    tf.set_random_seed(7)
    make, mean, var, reparam = _MOMENTS[name]
    d = make()
    s = d.sample([20000], seed=11)
    assert s.shape.as_list() == [20000, 2]
    assert (d.reparameterization_type is tfd.FULLY_REPARAMETERIZED) == reparam
    got = run(s)
    assert got.dtype == np.float32
    # within 5 standard errors (plus slack) of the mean
    assert np.all(np.abs(got.mean(0) - mean) < 5 * np.sqrt(np.array(var) / 20000) + 0.01)
    np.testing.assert_allclose(got.var(0), var, rtol=0.15, atol=0.01)


def test_vector_event_samples():
    tf.set_random_seed(3)
    conc = np.array([[1.0, 2.0, 3.0], [4.0, 1.0, 1.0]], F32)
    dirichlet = tfd.Dirichlet(conc).sample([3000, 2], seed=1)
    mult = tfd.Multinomial(total_count=[5.0, 2.0], probs=[[0.2, 0.3, 0.5], [0.5, 0.5, 0.0]])
    dm = tfd.DirichletMultinomial(4.0, conc)
    ms, dms = mult.sample(2000, seed=2), dm.sample(2000, seed=4)
    assert dirichlet.shape.as_list() == [3000, 2, 2, 3]
    assert ms.shape.as_list() == [2000, 2, 3] and dms.shape.as_list() == [2000, 2, 3]
    d, m, dmv = run([dirichlet, ms, dms])
    np.testing.assert_allclose(d.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(d.reshape(-1, 2, 3).mean(0), conc / conc.sum(-1, keepdims=True),
                               atol=0.02)
    np.testing.assert_array_equal(m.sum(-1), np.broadcast_to([5.0, 2.0], (2000, 2)))
    np.testing.assert_allclose(m.mean(0), [[1.0, 1.5, 2.5], [1.0, 1.0, 0.0]], atol=0.1)
    np.testing.assert_array_equal(dmv.sum(-1), 4.0)
    np.testing.assert_allclose(dmv.mean(0), 4.0 * conc / conc.sum(-1, keepdims=True), atol=0.15)


def test_reparameterized_sample_gradients():
    tf.set_random_seed(5)
    loc, scale = tf.constant(2.0), tf.constant(3.0)
    conc = tf.constant([2.0, 5.0])
    normal = tfd.Normal(loc, scale).sample(1000, seed=1)
    gamma = tfd.Gamma(conc, 1.0).sample(4000, seed=2)
    g_loc, g_scale = tf.gradients(tf.reduce_mean(normal), [loc, scale])
    (g_conc,) = tf.gradients(tf.reduce_mean(gamma, 0), [conc])
    s, gl, gs, gc = run([normal, g_loc, g_scale, g_conc])
    assert gl == pytest.approx(1.0)
    assert gs == pytest.approx(((s - 2.0) / 3.0).mean(), rel=1e-4)
    # d E[Gamma(c, 1)] / dc = 1 for each concentration.
    np.testing.assert_allclose(gc, [1.0, 1.0], atol=0.1)


def test_cdfs_through_igamma_and_betainc():
    # Gamma(2, 1): 1 - e^-x (1 + x); Beta(2, 1): x^2; StudentT(3): 1/2 at 0, and at 1
    # 1/2 + (arctan(1/sqrt 3) + sqrt(3)/4) / pi; Exponential is Gamma(1, rate): igamma of a
    # negative x is nan, as in TF.
    got = run([tfd.Gamma(2.0, 1.0).cdf(0.5), tfd.Beta(2.0, 1.0).cdf(0.5),
               tfd.Beta(2.0, 1.0).log_cdf(0.5), tfd.StudentT(3.0, 0.0, 1.0).cdf([0.0, 1.0, -1.0]),
               tfd.Exponential(2.0).cdf([0.5, -1.0])])
    assert got[0] == pytest.approx(1 - math.exp(-0.5) * 1.5, rel=1e-6)
    assert got[1] == pytest.approx(0.25, rel=1e-6)
    assert got[2] == pytest.approx(math.log(0.25), rel=1e-6)
    t1 = 0.5 + (math.atan(1 / math.sqrt(3)) + math.sqrt(3) / 4) / math.pi
    np.testing.assert_allclose(got[3], [0.5, t1, 1 - t1], rtol=1e-5)
    assert got[4][0] == pytest.approx(1 - math.exp(-1.0), rel=1e-6) and np.isnan(got[4][1])


def test_register_kl_lookup_by_ancestry_and_errors():
    class MyNormal(tfd.Normal):
        pass

    a, b = MyNormal(0.0, 1.0), tfd.Normal(0.0, 1.0)
    assert run(tfd.kl_divergence(a, b)) == pytest.approx(0.0)  # inherits Normal's KL

    @tfd.RegisterKL(MyNormal, tfd.Normal)
    def _kl(x, y, name=None):
        return tf.constant(42.0)

    assert run(tfd.kl_divergence(a, b)) == 42.0
    with pytest.raises(ValueError, match="already been registered"):
        tfd.RegisterKL(MyNormal, tfd.Normal)(_kl)
    with pytest.raises(TypeError, match="must be callable"):
        tfd.RegisterKL(tfd.Normal, MyNormal)(3)
    with pytest.raises(NotImplementedError, match="No KL.*Uniform"):
        tfd.kl_divergence(b, tfd.Uniform())


def test_base_api_properties_copy_and_names():
    d = tfd.Normal(loc=[0.0, 1.0], scale=1.0, name="prior")
    assert d.name == "prior/" and d.dtype == tf.float32
    assert d.validate_args is False and d.allow_nan_stats is True
    assert sorted(d.parameters) == ["allow_nan_stats", "loc", "name", "scale", "validate_args"]
    assert d.log_prob(0.0).name.startswith("prior/log_prob/")
    c = d.copy(scale=2.0)
    assert isinstance(c, tfd.Normal) and run(c.stddev()).tolist() == [2.0, 2.0]
    assert d.batch_shape.as_list() == [2] and d.event_shape.as_list() == []
    assert run(d.batch_shape_tensor()).tolist() == [2]
    assert "batch_shape=(2,)" in str(d) and repr(tfd.FULLY_REPARAMETERIZED).startswith("<Rep")
    shapes = tfd.Normal.param_shapes([3, 4])
    assert sorted(shapes) == ["loc", "scale"] and run(shapes["loc"]).tolist() == [3, 4]
    assert tfd.Gamma.param_static_shapes([2])["rate"].as_list() == [2]
    assert run([d.is_scalar_event(), d.is_scalar_batch()]) == [True, False]


def test_dynamic_batch_shape_from_placeholders():
    loc = tf.placeholder(tf.float32, [None])
    d = tfd.Normal(loc, tf.ones([1]))
    s = d.sample(4, seed=1)
    assert d.batch_shape.as_list() == [None]
    got_shape, samples = run([d.batch_shape_tensor(), s], {loc: [1.0, 2.0, 3.0]})
    assert got_shape.tolist() == [3] and samples.shape == (4, 3)
    unknown = tfd.Normal(tf.placeholder(tf.float32), 1.0)
    assert run(unknown.is_scalar_batch(), {unknown.loc: [1.0]}) == False  # noqa: E712


def test_constructor_errors():
    with pytest.raises(ValueError, match="Must pass probs or logits, but not both"):
        tfd.Bernoulli(logits=1.0, probs=0.5)
    with pytest.raises(TypeError, match="logits must having floating type"):
        tfd.Categorical(logits=[1, 2])
    with pytest.raises(ValueError, match="must be of the same type"):
        tfd.Normal(np.float64(0.0), np.float32(1.0))
    with pytest.raises(ValueError, match="at least 2 events"):
        tfd.Categorical(logits=[1.0], validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Condition x > 0"):
        tfd.Normal(0.0, -1.0, validate_args=True)  # a constant: TF1 fails at construction
    scale = tf.placeholder(tf.float32, [])
    d = tfd.Normal(0.0, scale, validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Condition x > 0"):
        run(d.mean(), {scale: -1.0})


def test_dynamic_sample_shape_and_int64_categorical():
    n = tf.placeholder(tf.int32, [2])
    d = tfd.Normal([0.0, 1.0, 2.0], 1.0)
    c = tfd.Categorical(logits=[[0.0, 50.0], [50.0, 0.0]], dtype=tf.int64)
    s, cs = d.sample(n, seed=1), c.sample(5, seed=2)
    assert s.shape.as_list() == [None, None, 3] and cs.dtype == tf.int64
    got, cats = run([s, cs], {n: [4, 2]})
    assert got.shape == (4, 2, 3)
    np.testing.assert_array_equal(cats, np.broadcast_to([1, 0], (5, 2)))
