"""tf.random's stateless samplers and seed helpers (core/ops/stateless_random_{extra,gamma,ptn,
seed}_ops.py): statistics that can fail, the samplers' first draws rebuilt from the plain
stateless streams, TF's seed rules and errors; then, with TensorFlow installed, the values side by
side with TF 2.21 (bit for bit) and the gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError
from minitf.opdef import NOT_DIFFERENTIABLE, registered


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()


def test_differentiability_is_tensorflows():
    ops = registered()
    for t in ("StatelessMultinomial", "StatelessRandomPoisson", "StatelessRandomBinomial"):
        assert ops[t].grad is NOT_DIFFERENTIABLE
    for t in ("StatelessRandomGammaV2", "StatelessRandomGammaV3",
              "StatelessParameterizedTruncatedNormal"):
        assert ops[t].differentiable


# -- first draws rebuilt from the plain streams (already TF's to the bit) ---------------------


def test_gamma_alpha_one_is_minus_log1p_of_the_second_uniform():
    u = _run(tf.random.stateless_uniform([2], [5, 6], dtype=tf.float64))
    got = _run(registered()["StatelessRandomGammaV2"]([1], [5, 6], np.array([1.0])))
    assert got[0] == -math.log1p(-u[1])


def test_poisson_below_ten_is_knuths_product_of_buffered_uniforms():
    """Output i (rate i // 3, stored at [i % 3, i // 3]) multiplies the uniform doubles of its
    own stretch, from block 256 * i, each block's pair handed out last first."""
    lams = [7.5, 2.0, 0.7]
    u = _run(tf.random.stateless_uniform([2 * (256 * 8 + 64)], [3, 9], dtype=tf.float64))
    want = np.zeros((3, 3), np.int64)
    for i in range(9):
        pairs = u[512 * i:512 * i + 128].reshape(-1, 2)[:, ::-1].reshape(-1)
        prod, k = 1.0, 0
        while True:
            prod *= pairs[k]
            if prod <= math.exp(-lams[i // 3]):
                break
            k += 1
        want[i % 3, i // 3] = k
    got = _run(tf.random.stateless_poisson([3, 3], [3, 9], lam=lams, dtype=tf.int64))
    np.testing.assert_array_equal(got, want)


def test_truncated_normal_far_bounds_keep_the_normal_stream():
    normal = _run(tf.random.stateless_normal([8], [1, 2]))
    kept = normal[(normal >= -3) & (normal <= 1)][:4]
    got = _run(tf.random.stateless_parameterized_truncated_normal(
        [4], [1, 2], means=0.0, stddevs=1.0, minvals=-3.0, maxvals=1.0))
    np.testing.assert_array_equal(got, kept)


# -- statistics (bounds of several standard errors: a wrong sampler fails them) ---------------


def _moments_ok(x, mean, var, n_se=5.0, var_rtol=0.1):
    x = np.asarray(x, np.float64)
    se = math.sqrt(var / x.shape[0])
    assert abs(x.mean() - mean) < n_se * se + 1e-12, (x.mean(), mean)
    assert abs(x.var() - var) < var_rtol * var + 1e-12, (x.var(), var)


def test_categorical_frequencies_follow_the_softmax():
    logits = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 1e-30]]))
    logits[1, 2] = -np.inf
    n = 20000
    got = _run(tf.random.stateless_categorical(logits, n, seed=[7, 17]))
    assert got.shape == (2, n) and got.dtype == np.int64
    for row, p in zip(got, np.exp(logits)):
        freq = np.bincount(row, minlength=3) / n
        assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / n) + 1e-12), (freq, p)
    multi = _run(tf.random.stateless_multinomial(logits, 5, seed=[7, 17],
                                                 output_dtype=tf.int32))
    np.testing.assert_array_equal(multi[0], got[0, :5])  # row 0 reads from the first block


@pytest.mark.parametrize("lam", [0.3, 4.0, 10.0, 40.0, 900.0])
def test_poisson_moments(lam):
    x = _run(tf.random.stateless_poisson([4000], [11, 3], lam=lam, dtype=tf.float64))
    assert (x >= 0).all() and (x == np.floor(x)).all()
    _moments_ok(x, lam, lam)


@pytest.mark.parametrize("count, prob", [(8.0, 0.3), (60.0, 0.1), (500.0, 0.4), (40.0, 0.9),
                                         (300.0, 0.75)])
def test_binomial_moments(count, prob):
    x = _run(tf.random.stateless_binomial([4000], [5, 8], counts=count, probs=prob,
                                          output_dtype=tf.float64))
    assert (x >= 0).all() and (x <= count).all()
    _moments_ok(x, count * prob, count * prob * (1 - prob))


def test_binomial_degenerate_parameters():
    got = _run(tf.random.stateless_binomial([2, 4], [1, 2], counts=[0.0, 7.0, 7.0, -3.0],
                                            probs=[0.5, 0.0, 1.0, 0.5]))
    np.testing.assert_array_equal(got, [[0, 0, 7, 0]] * 2)


@pytest.mark.parametrize("alpha", [0.2, 1.0, 2.5, 30.0])
def test_gamma_moments(alpha):
    beta = 2.0
    x = _run(tf.random.stateless_gamma([6000], [2, 9], alpha=alpha, beta=beta, dtype=tf.float64))
    assert (x > 0).all()
    _moments_ok(x, alpha / beta, alpha / beta**2, var_rtol=0.15)


def _phi(x):
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _big_phi(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _truncated_mean(mu, sigma, lo, hi):
    a, b = (lo - mu) / sigma, (hi - mu) / sigma
    pa = 0.0 if a == -math.inf else _phi(a)
    pb = 0.0 if b == math.inf else _phi(b)
    return mu + sigma * (pa - pb) / (_big_phi(b) - _big_phi(a))


# (mean, stddev, min, max): normal rejection, uniform proposals, exponential tail, reflected
PTN_PARAMS = [(0.0, 1.0, -3.0, 1.0), (1.0, 2.0, 0.5, 1.5), (0.0, 1.0, 2.5, math.inf),
              (0.0, 1.0, -math.inf, -3.0)]


@pytest.mark.parametrize("mu, sigma, lo, hi", PTN_PARAMS)
def test_parameterized_truncated_normal_mean_and_support(mu, sigma, lo, hi):
    x = _run(tf.random.stateless_parameterized_truncated_normal(
        [5000], [4, 4], means=mu, stddevs=sigma, minvals=lo, maxvals=hi))
    assert x.dtype == np.float32 and (x >= lo).all() and (x <= hi).all()
    want = _truncated_mean(mu, sigma, lo, hi)
    assert abs(x.mean() - want) < 5 * x.std() / math.sqrt(x.size), (x.mean(), want)


def test_gamma_gradient_is_unbiased():
    """E[d x / d alpha] = d E[x] / d alpha = 1 / beta and E[x d x / d alpha] = (2 alpha + 1) /
    (2 beta^2) (d E[x^2] / 2 d alpha): TF's implicit gradient, checked over many samples."""
    alpha = tf.placeholder(tf.float64, [3])
    x = tf.random.stateless_gamma([20000, 3], [6, 1], alpha=alpha, dtype=tf.float64)
    g1, g2 = tf.gradients(tf.reduce_mean(x, 0), alpha)[0], \
        tf.gradients(tf.reduce_mean(x * x, 0) / 2, alpha)[0]
    a = np.array([0.4, 1.0, 6.0])
    got1, got2 = _run([g1, g2], {alpha: a})
    np.testing.assert_allclose(got1, 1.0, rtol=0.03)
    np.testing.assert_allclose(got2, (2 * a + 1) / 2, rtol=0.05)
    v3 = [op.type for op in tf.get_default_graph().get_operations()]
    assert "StatelessRandomGammaV3" in v3 and "RandomGammaGrad" in v3


def test_parameterized_truncated_normal_bound_gradients_are_unbiased():
    lo, hi = tf.placeholder(tf.float64, []), tf.placeholder(tf.float64, [])
    x = tf.random.stateless_parameterized_truncated_normal(
        [20000], [3, 3], means=tf.constant(0.2, tf.float64),
        stddevs=tf.constant(1.3, tf.float64), minvals=lo, maxvals=hi)
    dlo, dhi = tf.gradients(tf.reduce_mean(x), [lo, hi])
    got = _run([dlo, dhi], {lo: -1.0, hi: 0.8})
    eps = 1e-6
    want = [(_truncated_mean(0.2, 1.3, -1.0 + eps, 0.8) - _truncated_mean(0.2, 1.3, -1.0 - eps,
                                                                           0.8)) / (2 * eps),
            (_truncated_mean(0.2, 1.3, -1.0, 0.8 + eps) - _truncated_mean(0.2, 1.3, -1.0,
                                                                          0.8 - eps)) / (2 * eps)]
    np.testing.assert_allclose(got, want, rtol=0.05)


# -- seeds ----------------------------------------------------------------------------------


def test_get_seed_follows_tensorflows_rules():
    assert tf.random.get_seed(None) == (None, None)
    assert tf.random.get_seed(5) == (87654321, 5)
    tf.random.set_random_seed(2**31 + 2)  # taken modulo 2**31 - 1
    assert [tf.random.get_seed(None) for _ in range(3)] == [(3, 0), (3, 1), (3, 2)]
    assert tf.random.get_seed(2**33) == (3, 4)
    tf.random.set_random_seed(0)
    assert tf.random.get_seed(0) == (0, 2**31 - 1)  # (0, 0) would mean "nondeterministic"
    with tf.Graph().as_default():  # a new graph counts from 0 again
        tf.random.set_random_seed(1)
        assert tf.random.get_seed(None) == (1, 0)


def test_split_and_fold_in_are_full_range_stateless_integers():
    seeds = tf.random.split(tf.constant([1, 2]), 3)
    folded = tf.random.fold_in([1, 2], np.int64(-9))
    plain = tf.random.stateless_uniform([3, 2], [1, 2], dtype=tf.int32, minval=None,
                                        maxval=None)
    one = tf.random.stateless_uniform([], [1, 2], dtype=tf.int64, minval=None, maxval=None)
    s, f, p, o = _run([seeds, folded, plain, one])
    assert s.dtype == np.int32 and s.shape == (3, 2) and f.dtype == np.int64
    np.testing.assert_array_equal(s, p)
    np.testing.assert_array_equal(f, [o, -9])
    alg = _run(tf.random.split([1, 2], 2, alg=tf.random.Algorithm.PHILOX))
    np.testing.assert_array_equal(alg, p[:2])


def test_create_rng_state():
    a = tf.random.create_rng_state(1234, "philox")
    b = tf.random.create_rng_state([12, 34], "threefry")
    c = tf.random.create_rng_state(2**64 + 7, tf.random.Algorithm.AUTO_SELECT)
    d = tf.random.create_rng_state([2**64 - 1, 1, 2, 3], 1)
    e = tf.random.create_rng_state(tf.constant([5, 6], tf.int32), "philox")
    got = _run([a, b, c, d, e])
    for g, want in zip(got, [[1234, 0, 0], [12, 34], [7, 1, 0], [-1, 1, 2], [0, 5, 6]]):
        assert g.dtype == np.int64
        np.testing.assert_array_equal(g, want)
    with pytest.raises(ValueError, match="unsupported value bogus"):
        tf.random.create_rng_state(1, "bogus")
    with pytest.raises(TypeError, match="Can't convert argument `alg`"):
        tf.random.create_rng_state(1, 1.5)


# -- errors -----------------------------------------------------------------------------------


def test_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match="Argument `dtype` got invalid value"):
        tf.random.stateless_categorical([[1.0, 2.0]], 3, [1, 2], dtype=tf.float32)
    with pytest.raises(ValueError, match="rank 2"):
        tf.random.stateless_categorical([1.0, 2.0], 3, [1, 2])
    n = tf.placeholder(tf.int32, [])
    with pytest.raises(InvalidArgumentError, match="num_samples should be non-negative, got -1"):
        _run(tf.random.stateless_categorical([[1.0, 2.0]], n, [1, 2]), {n: -1})
    with pytest.raises(InvalidArgumentError, match="num_classes should be positive, got 0"):
        _run(tf.random.stateless_categorical(np.zeros((2, 0), np.float32), 3, [1, 2]))
    with pytest.raises(InvalidArgumentError, match="must end with broadcasted shape"):
        _run(tf.random.stateless_gamma([3, 2], [1, 2], alpha=[1.0, 2.0, 3.0]))
    with pytest.raises(InvalidArgumentError, match="must end with broadcasted shape"):
        _run(tf.random.stateless_poisson([3], [1, 2], lam=[1.0, 2.0]))
    lam = tf.placeholder(tf.float32, [1])
    with pytest.raises(InvalidArgumentError, match="lam must be finite"):
        _run(tf.random.stateless_poisson([2, 1], [1, 2], lam=lam), {lam: [np.inf]})
    with pytest.raises(InvalidArgumentError, match="compatible batch dimensions: \\[2\\] vs. "
                       "\\[3\\]"):
        _run(tf.random.stateless_binomial([2], [1, 2], counts=tf.placeholder_with_default(
            [1.0, 2.0], [None]), probs=tf.placeholder_with_default([0.1, 0.2, 0.3], [None])))
    with pytest.raises(InvalidArgumentError, match="Invalid parameters"):
        _run(tf.random.stateless_parameterized_truncated_normal([3], [1, 2], minvals=2.0,
                                                                maxvals=1.0))
    seed = tf.placeholder(tf.int64, None)
    with pytest.raises(InvalidArgumentError, match="seed must have shape \\[2\\], not \\[3\\]"):
        _run(tf.random.stateless_poisson([2], seed, lam=1.0), {seed: [1, 2, 3]})
    with pytest.raises(TypeError, match="'alpha' has DataType int32 not in list of allowed "
                                        "values: float16, float32, float64"):
        tf.random.stateless_gamma([2], [1, 2], alpha=1, dtype=tf.int32)


# -- side by side with TensorFlow -------------------------------------------------------------

NAN = float("nan")
SIDE_BY_SIDE = {
    "categorical": lambda t: t.random.stateless_categorical(
        [[0.0, 1.0, 2.0], [5.0, -np.inf, 1.0], [-np.inf] * 3], 11, seed=[3, 4]),
    "categorical-f16-int32": lambda t: t.random.stateless_categorical(
        np.array([[0.0, 1.0, 2.0, 3.0]] * 7, np.float16), 6, seed=[9, -9], dtype=t.int32),
    "multinomial-f64": lambda t: t.random.stateless_multinomial(
        np.log(np.array([[0.1, 0.2, 0.7]] * 5)), 13, seed=np.array([-3, 4], np.int64)),
    "poisson": lambda t: t.random.stateless_poisson([50, 4], seed=[1, 2],
                                                    lam=[0.5, 3.0, 12.0, 250.0]),
    "poisson-f32-out": lambda t: t.random.stateless_poisson(
        [30, 2], seed=[5, 6], lam=np.array([1e-3, 40.0]), dtype=t.float32),
    "poisson-f16": lambda t: t.random.stateless_poisson(
        [30, 2], seed=[5, 6], lam=np.array([-1.0, 9.99], np.float16), dtype=t.float16),
    "binomial": lambda t: t.random.stateless_binomial(
        [40, 5], seed=[1, 2], counts=[5.0, 50.0, 100.0, 1000.0, 3.0],
        probs=[0.3, 0.5, 0.9, 0.02, 0.7]),
    "binomial-broadcast": lambda t: t.random.stateless_binomial(
        [6, 3, 2], seed=[7, 2], counts=[[10.0], [200.0], [0.0]], probs=[0.25, 0.99],
        output_dtype=t.float64),
    "binomial-f16": lambda t: t.random.stateless_binomial(
        [20, 3], seed=[7, 2], counts=np.array([10.0, 200.0, 30], np.float16),
        probs=np.array([0.25, 0.6, 1.0], np.float16), output_dtype=t.int64),
    "binomial-nan-float": lambda t: t.random.stateless_binomial(
        [4], seed=[7, 2], counts=[10.0, 10, 10, -1], probs=[NAN, 0.0, 0.5, 0.5],
        output_dtype=t.float32),
    "gamma": lambda t: t.random.stateless_gamma([20, 3], seed=[4, 5], alpha=[0.3, 1.0, 7.5],
                                                beta=2.0),
    "gamma-f64-broadcast": lambda t: t.random.stateless_gamma(
        [10, 2, 2], seed=[4, 5], alpha=[[1.5], [0.01]], beta=[1.0, 3.0], dtype=t.float64),
    "gamma-f16": lambda t: t.random.stateless_gamma([8, 2], seed=[9, -3], alpha=[0.01, 150.0],
                                                    dtype=t.float16),
    "ptn": lambda t: t.random.stateless_parameterized_truncated_normal(
        [10, 3], seed=[1, 2], means=[0.0, 1.0, -2.0], stddevs=[1.0, 2.0, 0.5],
        minvals=[-1.0, 5.5, -10.0], maxvals=[1.0, 100.0, -1.9]),
    "ptn-one-sided": lambda t: t.random.stateless_parameterized_truncated_normal(
        [12, 2], seed=[3, 2], minvals=[2.5, -np.inf], maxvals=[np.inf, -3.0]),
    "ptn-f64": lambda t: t.random.stateless_parameterized_truncated_normal(
        [9, 3], seed=[1, 7], means=np.array([0.0, 1.0, -2.0]),
        stddevs=np.array([1.0, 2.0, 0.5]), minvals=np.array([-1.0, 0.5, -2.2]),
        maxvals=np.array([1.0, 100.0, -1.9])),
    "ptn-f16": lambda t: t.random.stateless_parameterized_truncated_normal(
        [9, 3], seed=[1, 7], means=np.array([0.0, 1.0, -2.0], np.float16),
        stddevs=np.array([1.0, 2.0, 0.5], np.float16),
        minvals=np.array([-1.0, 0.5, -2.2], np.float16),
        maxvals=np.array([1.0, 100.0, -1.9], np.float16)),
    "gamma-alpha-zero-and-negative": lambda t: t.random.stateless_gamma(
        [6, 2], seed=[1, 2], alpha=[0.0, -0.3], dtype=t.float64),
    "empty-outputs": lambda t: t.concat([
        t.cast(t.reshape(t.random.stateless_categorical([[1.0, 2.0]], 0, seed=[1, 2]), [-1]),
               t.float32),
        t.reshape(t.random.stateless_gamma([0, 2], seed=[1, 2], alpha=[1.0, 2.0]), [-1]),
        t.reshape(t.random.stateless_parameterized_truncated_normal([0, 3], seed=[1, 2]),
                  [-1])], 0),
    "poisson-int-lam": lambda t: t.random.stateless_poisson(
        [5, 2], seed=[1, 2], lam=np.array([3, 30], np.int32), dtype=t.int64),
    "binomial-int-counts": lambda t: t.random.stateless_binomial(
        [5, 2], seed=[1, 2], counts=[5, 10], probs=[0.5, 0.25]),
    "split": lambda t: t.random.split([1, 2], 3),
    "split-int64-philox": lambda t: t.random.split(np.array([1, 2], np.int64), 4, alg="philox"),
    "fold_in": lambda t: t.random.fold_in([1, 2], 3),
    "fold_in-int64": lambda t: t.random.fold_in([7, 8], np.int64(2**40)),
    "create_rng_state": lambda t: t.random.create_rng_state(2**70 + 5, "philox"),
    "create_rng_state-vector": lambda t: t.random.create_rng_state([2**64 - 1, 1, 2, 3], 2),
}


def _bits(x):
    x = np.asarray(x)
    return x.view(f"u{x.itemsize}") if x.dtype.kind == "f" else x


@pytest.mark.parametrize("name", sorted(SIDE_BY_SIDE))
def test_values_match_tensorflow_bit_for_bit(name):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    build = SIDE_BY_SIDE[name]
    with tf1.Graph().as_default(), tf1.Session() as sess:
        want = sess.run(build(tf1))
    got = _run(build(tf))
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(_bits(got), _bits(want))


# Big enough for TF's thread pool to split the work (into Eigen parallelFor blocks whose
# streams start apart); fed through placeholders, as TF's constant folding would run an
# all-constant op in one piece.
SHARDED = {
    "categorical": (lambda t, p: t.random.stateless_categorical(p, 200, seed=[1, 2]),
                    np.random.RandomState(0).randn(40, 30).astype(np.float32)),
    "categorical-many-rows": (lambda t, p: t.random.stateless_categorical(p, 3, seed=[5, 2]),
                              np.random.RandomState(2).randn(1000, 2)),
    "ptn-f32": (lambda t, p: t.random.stateless_parameterized_truncated_normal(
        [1500, 2], seed=[1, 2], means=p, stddevs=[1.0, 3.0], minvals=[-1.0, -2.0],
        maxvals=[2.0, 1.5]), np.array([0.5, -1.0], np.float32)),
    "ptn-f64": (lambda t, p: t.random.stateless_parameterized_truncated_normal(
        [550, 2], seed=[1, 2], means=p, stddevs=np.array([1.0, 3.0]),
        minvals=np.array([-1.0, -2.0]), maxvals=np.array([2.0, 1.5])), np.array([0.5, -1.0])),
}


@pytest.mark.parametrize("name", sorted(SHARDED))
def test_sharded_values_match_tensorflow(name):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    import os

    if len(os.sched_getaffinity(0)) != tf1.config.threading.get_intra_op_parallelism_threads() \
            and tf1.config.threading.get_intra_op_parallelism_threads() != 0:
        pytest.skip("TF's intra-op pool is not this machine's CPU count")
    build, value = SHARDED[name]
    with tf1.Graph().as_default(), tf1.Session() as sess:
        p = tf1.placeholder(tf1.as_dtype(value.dtype), value.shape)
        want = sess.run(build(tf1, p), {p: value})
    p = tf.placeholder(tf.as_dtype(value.dtype), value.shape)
    got = _run(build(tf, p), {p: value})
    np.testing.assert_array_equal(_bits(got), _bits(want))


def test_gradients_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def build(t):
        alpha = t.constant([0.4, 1.0, 6.0], t.float64)
        beta = t.constant([[2.0], [0.5]], t.float64)
        g = t.random.stateless_gamma([7, 2, 3], [6, 1], alpha=alpha, beta=beta,
                                     dtype=t.float64)
        w = t.constant(np.linspace(-1, 1, 42).reshape(7, 2, 3))
        params = [t.constant(v, t.float64) for v in ([0.2, -1.0], [1.3, 0.5], [-1.0, -3.0],
                                                     [0.8, 2.0])]
        x = t.random.stateless_parameterized_truncated_normal([5, 2], [3, 3], *params)
        return t.gradients(t.reduce_sum(g * w), [alpha, beta]) + \
            t.gradients(t.reduce_sum(x * t.constant([1.0, -2.0], t.float64)), params)

    with tf1.Graph().as_default(), tf1.Session() as sess:
        want = sess.run(build(tf1))
    got = _run(build(tf))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-9)


def test_experimental_aliases():
    ex = tf.random.experimental
    assert ex.stateless_split is tf.random.split and ex.stateless_fold_in is tf.random.fold_in
    assert ex.Algorithm is tf.random.Algorithm and ex.create_rng_state is tf.random.create_rng_state
    assert [a.value for a in tf.random.Algorithm] == [1, 2, 3]


NOT_BUILT = {"Generator", "get_global_generator", "set_global_generator"}


def test_namespace_has_tensorflows_names():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    names = {n for n in dir(tf1.random) if not n.startswith("_")}
    assert names - NOT_BUILT <= set(dir(tf.random)), sorted(names - NOT_BUILT - set(dir(tf.random)))
    experimental = {n for n in dir(tf1.random.experimental) if not n.startswith("_")}
    missing = experimental - NOT_BUILT - {"index_shuffle", "stateless_shuffle"}
    assert missing <= set(dir(tf.random.experimental))


def test_get_seed_matches_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def sequence(t):
        out = []
        with t.Graph().as_default():
            out += [t.random.get_seed(None), t.random.get_seed(5)]
            t.random.set_random_seed(2**31 + 2)
            out += [t.random.get_seed(None), t.random.get_seed(None), t.random.get_seed(7)]
            t.random.set_random_seed(0)
            out += [t.random.get_seed(None), t.random.get_seed(0)]
        return out

    assert sequence(tf) == sequence(tf1)


def _graph_of_samplers(t):
    return [t.random.stateless_categorical([[0.0, 1.0, 2.0]], 5, seed=[3, 4]),
            t.random.stateless_poisson([6, 2], [1, 2], lam=[1.0, 20.0]),
            t.random.stateless_binomial([6, 2], [1, 2], counts=[5.0, 100.0], probs=[0.3, 0.4]),
            t.random.stateless_gamma([6, 2], [1, 2], alpha=[0.5, 3.0]),
            t.random.stateless_parameterized_truncated_normal([6, 2], [1, 2]),
            t.random.split([1, 2], 3), t.random.fold_in([1, 2], 5)]


def test_graphdefs_travel_both_ways_with_tensorflow():
    """minitf's nodes run in TF and TF's in minitf, with the same values: same op types and
    attrs (the GraphDef contract)."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf.Graph().as_default() as g:
        outs = _graph_of_samplers(tf)
        names = [o.name for o in outs]
        mine = _run(outs)
        data = g.as_graph_def().SerializeToString()
    with tf1.Graph().as_default(), tf1.Session() as sess:
        tf1.import_graph_def(tf1.GraphDef.FromString(data), name="")
        theirs_on_mine = sess.run(names)
    with tf1.Graph().as_default() as tg, tf1.Session() as sess:
        touts = _graph_of_samplers(tf1)
        tnames = [o.name for o in touts]
        theirs = sess.run(touts)
        tdata = tg.as_graph_def().SerializeToString()
    with tf.Graph().as_default():
        tf.import_graph_def(tf.GraphDef.FromString(tdata), name="")
        mine_on_theirs = _run(tnames)
    for a, b, c, d in zip(mine, theirs_on_mine, theirs, mine_on_theirs):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(c, d)
        np.testing.assert_array_equal(a, c)


# -- the vectorised rejection loops (all outputs' draws at once) keep the scalar loops' bits ---

def _kernel_draws():
    from minitf.ops import stateless_random_extra_ops as extra
    from minitf.ops import stateless_random_gamma_ops as gamma
    from minitf.ops import stateless_random_ptn_ops as ptn
    from minitf.ops.stateless_random_ops import key_counter_from_seed as kc

    f16, f32, f64 = np.float16, np.float32, np.float64

    def tn(seed, dims, m, s, lo, hi, t):
        return ptn.ptn_samples(*kc(seed), dims, [np.asarray(v, t) for v in (m, s, lo, hi)], t)

    return {
        "poisson": lambda: extra.poisson_samples(
            *kc([1, 2]), (500, 7), np.array([0.0, 0.5, 3.0, 9.99, 10.0, 25.0, 1e4]), np.int32),
        "poisson-f16": lambda: extra.poisson_samples(
            *kc([5, 6]), (400, 3), np.array([1e-3, 9.5, 60.0], f16), f16),
        "poisson-f64": lambda: extra.poisson_samples(*kc([3, 4]), (3000,), np.array(150.0),
                                                     f64),
        "binomial": lambda: extra.binomial_samples(
            *kc([1, 2]), (400, 8), np.array([5.0, 50, 100, 1000, 3, 10, 0, 1e6], f32),
            np.array([0.3, 0.5, 0.9, 0.02, 0.7, 0.25, 0.5, 0.4], f32), np.int64),
        "binomial-f16": lambda: extra.binomial_samples(
            *kc([7, 2]), (300, 4), np.array([10.0, 200, 30, 80], f16),
            np.array([0.25, 0.6, 1.0, 0.75], f16), f16),
        "binomial-f64": lambda: extra.binomial_samples(
            *kc([9, 9]), (600, 4), np.array([20.0, 10, 40, 7.0]),
            np.array([0.5, np.nan, 0.999, 1e-3]), f64),
        "gamma": lambda: gamma.gamma_samples(
            *kc([4, 5]), (400, 8), np.array([0.01, 0.3, 0.5, 1.0, 1.5, 7.5, 150, 1e5], f32)),
        "gamma-f64": lambda: gamma.gamma_samples(*kc([4, 6]), (300, 4),
                                                 np.array([0.0, -0.3, 0.999, 2.0])),
        "gamma-f16": lambda: gamma.gamma_samples(*kc([9, -3]), (500, 2),
                                                 np.array([0.01, 150.0], f16)),
        "ptn": lambda: tn([1, 2], (1000, 4), [0.0, 1, -2, 0], [1.0, 2, 0.5, 1],
                          [-1.0, 5.5, -10, 2.5], [1.0, 100, -1.9, np.inf], f32),
        "ptn-big": lambda: tn([1, 3], (30000,), 0.0, 1.0, -1.0, 1.0, f32),
        "ptn-big-exp": lambda: tn([1, 4], (30000,), 0.0, 1.0, 3.0, 4.0, f32),
        "ptn-big-normal": lambda: tn([1, 5], (30000,), 0.0, 1.0, -3.0, 0.5, f32),
        "ptn-f64": lambda: tn([1, 7], (900, 4), [0.0, 1, -2, 0], [1.0, 2, 0.5, 1],
                              [-1.0, 0.5, -2.2, -np.inf], [1.0, 100, -1.9, -3], f64),
        "ptn-f16": lambda: tn([1, 7], (900, 3), [0.0, 1, -2], [1.0, 2, 0.5], [-1.0, 0.5, -2.2],
                              [1.0, 100, -1.9], f16),
        "ptn-big-f64": lambda: tn([2, 7], (20000,), 0.0, 1.0, 0.5, 2.0, f64),
    }


# sha256 (first 16 hex digits) of dtype, shape and bytes of each draw above, recorded from the
# scalar loops (one output at a time, TF's kernels transcribed) before they were vectorised;
# the TF-gated test below checks the same paths against TF itself.
SCALAR_LOOP_DIGESTS = {
    "poisson": "547d8deeb975adfa", "poisson-f16": "e415494f58d67ae9",
    "poisson-f64": "b1073ffcaf06c68c", "binomial": "984466dc21f7bf2f",
    "binomial-f16": "b240348549f33206", "binomial-f64": "e4b2feb79889c27f",
    "gamma": "2ff1d9915b94560f", "gamma-f64": "c361bbfc101cd6c1", "gamma-f16": "a5591545e6635aef",
    "ptn": "38ba544c1a95b442", "ptn-big": "504bacaecc07765b", "ptn-big-exp": "3f327c7392251e33",
    "ptn-big-normal": "d9c048c6a0ac72d9", "ptn-f64": "55db9aaf46b8e3a3",
    "ptn-f16": "b9d4bb568ec7f5a4", "ptn-big-f64": "17bee184c4b888b3",
}


@pytest.mark.parametrize("name", sorted(SCALAR_LOOP_DIGESTS))
def test_vectorised_samplers_keep_the_scalar_loops_bits(name, monkeypatch):
    import hashlib

    from minitf.ops import stateless_random_ptn_ops as ptn

    monkeypatch.setattr(ptn, "_intra_op_threads", lambda: 2)  # the shards they were recorded in
    a = np.ascontiguousarray(_kernel_draws()[name]())
    digest = hashlib.sha256(str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
    assert digest.hexdigest()[:16] == SCALAR_LOOP_DIGESTS[name]


class _CountingStream:
    """A stand-in shard stream whose blocks carry their own positions."""

    t = np.float32

    def __init__(self):
        self.pos = 0

    def blocks(self, count):
        return np.arange(self.pos, self.pos + count)


@pytest.mark.parametrize("period,raises", [(1000, False), (1001, True)])
def test_truncated_normal_gives_up_after_a_thousand_rejections_in_a_row(period, raises):
    from minitf.errors import InternalError
    from minitf.ops.stateless_random_ptn_ops import _take

    stream = _CountingStream()

    def propose(blocks):  # two values per block; the period-th of every period is accepted
        values = np.stack([2 * blocks, 2 * blocks + 1], 1).reshape(-1)
        return values.astype(np.float32), values % period == period - 1

    if raises:
        with pytest.raises(InternalError, match="failed to accept"):
            _take(stream, 3, 1, 2, propose, 1000, "sampler failed to accept a sample.")
        return
    got = _take(stream, 3, 1, 2, propose, 1000, "sampler failed to accept a sample.")
    np.testing.assert_array_equal(got, [999, 1999, 2999])
    assert stream.pos == 1500  # past the block of the last accepted value, not further
    np.testing.assert_array_equal(_take(stream, 1, 1, 2, propose, 1000, ""), [3999])


# One large draw per sampler (200k outputs: many rejection rounds, several shards for the
# truncated normal), with the seed fed so that TF runs its sharded kernel, not a constant fold.
LARGE = {
    "ptn-uniform": lambda t, s: t.random.stateless_parameterized_truncated_normal(
        [200000], s, 0.0, 1.0, -1.0, 1.0),
    "ptn-exp-f64": lambda t, s: t.random.stateless_parameterized_truncated_normal(
        [100000, 2], s, np.array([0.0, 1]), np.array([1.0, 2]), np.array([2.5, -9.0]),
        np.array([np.inf, -1.0])),
    "ptn-normal-f16": lambda t, s: t.random.stateless_parameterized_truncated_normal(
        [200000], s, np.float16(0), np.float16(1), np.float16(-3), np.float16(0.5)),
    "poisson": lambda t, s: t.random.stateless_poisson([100000, 2], s, lam=[3.0, 25.0]),
    "binomial": lambda t, s: t.random.stateless_binomial(
        [50000, 4], s, counts=[100.0, 7.0, 40.0, 1000.0], probs=[0.5, 0.3, 0.02, 0.9]),
    "gamma": lambda t, s: t.random.stateless_gamma([50000, 4], s, alpha=[0.5, 1.0, 0.01, 3.5]),
}


@pytest.mark.parametrize("name", sorted(LARGE))
def test_large_draws_match_tensorflow_bit_for_bit(name):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    import os

    if len(os.sched_getaffinity(0)) != tf1.config.threading.get_intra_op_parallelism_threads() \
            and tf1.config.threading.get_intra_op_parallelism_threads() != 0:
        pytest.skip("TF's intra-op pool is not this machine's CPU count")
    with tf1.Graph().as_default(), tf1.Session() as sess:
        s = tf1.placeholder(tf1.int32, [2])
        want = sess.run(LARGE[name](tf1, s), {s: [7, 11]})
    s = tf.placeholder(tf.int32, [2])
    got = _run(LARGE[name](tf, s), {s: [7, 11]})
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(_bits(got), _bits(want))


def test_gamma_with_a_nan_alpha_is_nan_and_ends():
    """TF's rejection loop lets a NaN proposal through (``while (v <= 0)``), so a NaN alpha
    gives NaN; the vectorized loop used to retry it for ever."""
    with tf.Graph().as_default():
        g = tf.random.stateless_gamma([2, 3], [1, 2], alpha=[float("nan"), 0.5, 2.0])
        with tf.Session() as sess:
            got = sess.run(g)
    assert np.isnan(got[:, 0]).all() and np.isfinite(got[:, 1:]).all()
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1.Graph().as_default():
        g = tf1.random.stateless_gamma([2, 3], [1, 2], alpha=[float("nan"), 0.5, 2.0])
        with tf1.Session() as sess:
            np.testing.assert_array_equal(sess.run(g), got)
