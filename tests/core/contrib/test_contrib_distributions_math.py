"""tf.contrib.distributions' helper functions against numpy references: softplus_inverse,
fill_triangular (TF's documented layout) and its inverse, matrix_diag_transform,
reduce_weighted_logsumexp, tridiag, percentile (TF's descending-sort indexing), the
known-scale normal conjugates and SeedStream; with gradients and the errors."""

import numpy as np
import pytest

import minitf as tf
import minitf.contrib.distributions as tfd

R = np.random.default_rng(21)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_softplus_inverse_round_trips_across_ranges():
    x = np.array([1e-30, 1e-10, 0.3, 5.0, 40.0, 1e4])
    for dtype in (np.float32, np.float64):
        y = run(tfd.softplus_inverse(x.astype(dtype)))
        back = np.logaddexp(0.0, y.astype(np.float64))  # softplus
        np.testing.assert_allclose(back, x, rtol=1e-5 if dtype == np.float32 else 1e-12)
    mid = np.array([0.3, 5.0])
    np.testing.assert_allclose(run(tfd.softplus_inverse(mid)), np.log(np.expm1(mid)),
                               rtol=1e-12)


def test_fill_triangular_layout_and_inverse():
    x = np.arange(1.0, 7.0)
    lower, upper = run([tfd.fill_triangular(x), tfd.fill_triangular(x, upper=True)])
    np.testing.assert_array_equal(lower, [[4, 0, 0], [6, 5, 0], [3, 2, 1]])  # TF's docstring
    np.testing.assert_array_equal(upper, [[1, 2, 3], [0, 5, 6], [0, 0, 4]])
    batch = R.normal(size=(2, 4, 10))
    for up in (False, True):
        tri = tfd.fill_triangular(batch, upper=up)
        assert tri.shape.as_list() == [2, 4, 4, 4]
        back = tfd.fill_triangular_inverse(tri, upper=up)
        assert back.shape.as_list() == [2, 4, 10]
        t, b = run([tri, back])
        np.testing.assert_array_equal(b, batch)
        # every input element appears exactly once in the triangle
        mask = np.triu(np.ones((4, 4))) if up else np.tril(np.ones((4, 4)))
        np.testing.assert_allclose(np.sort(t[..., mask == 1], -1), np.sort(batch, -1))
        assert (t[..., mask == 0] == 0).all()
    with pytest.raises(ValueError, match="does not correspond to a triangular matrix"):
        tfd.fill_triangular(np.zeros(5))
    with pytest.raises(ValueError, match="known statically"):
        tfd.fill_triangular(tf.placeholder(tf.float32, [None]))


def test_fill_triangular_gradient_routes_back():
    x = tf.constant(R.normal(size=6))
    w = R.normal(size=(3, 3))
    g = run(tf.gradients(tf.reduce_sum(tfd.fill_triangular(x) * w), x)[0])
    # The gradient of element i is the weight at the position it was placed.
    placed = run(tfd.fill_triangular_inverse(tf.constant(np.tril(w))))
    np.testing.assert_allclose(g, placed)


def test_matrix_diag_transform_and_tridiag():
    m = R.normal(size=(2, 3, 3))
    got, same = run([tfd.matrix_diag_transform(m, transform=tf.exp),
                     tfd.matrix_diag_transform(m)])
    want = m.copy()
    idx = np.arange(3)
    want[:, idx, idx] = np.exp(m[:, idx, idx])
    np.testing.assert_allclose(got, want)
    np.testing.assert_array_equal(same, m)
    below, diag, above = R.normal(size=(2, 3)), R.normal(size=(2, 4)), R.normal(size=(2, 3))
    full, only_below = run([tfd.tridiag(below, diag, above), tfd.tridiag(below=below)])
    want = np.zeros((2, 4, 4))
    for b in range(2):
        want[b] = np.diag(diag[b]) + np.diag(below[b], -1) + np.diag(above[b], 1)
    np.testing.assert_allclose(full, want)
    np.testing.assert_allclose(only_below, want - np.stack(
        [np.diag(diag[b]) + np.diag(above[b], 1) for b in range(2)]))
    with pytest.raises(ValueError, match="at least one of `below`, `diag`, `above`"):
        tfd.tridiag()


def test_reduce_weighted_logsumexp():
    logx = R.normal(size=(3, 4))
    w = R.normal(size=(3, 4))
    got = run({"plain": tfd.reduce_weighted_logsumexp(logx, axis=-1),
               "w": tfd.reduce_weighted_logsumexp(logx, w, axis=-1, return_sign=True),
               "keep": tfd.reduce_weighted_logsumexp(logx, w, axis=0, keep_dims=True),
               "all": tfd.reduce_weighted_logsumexp(logx, w),
               "inf": tfd.reduce_weighted_logsumexp(np.array([-np.inf, -np.inf]),
                                                    np.array([1.0, 1.0]))})
    total = (w * np.exp(logx)).sum(-1)
    np.testing.assert_allclose(got["plain"], np.log(np.exp(logx).sum(-1)), rtol=1e-12)
    np.testing.assert_allclose(got["w"][0], np.log(np.abs(total)), rtol=1e-12)
    np.testing.assert_array_equal(got["w"][1], np.sign(total))
    np.testing.assert_allclose(got["keep"], np.log(np.abs((w * np.exp(logx)).sum(0,
                                                                                 keepdims=True))))
    assert got["keep"].shape == (1, 4)
    assert got["all"] == pytest.approx(np.log(np.abs((w * np.exp(logx)).sum())), rel=1e-12)
    assert got["inf"] == -np.inf  # not NaN: the infinite max is not subtracted
    big = run(tfd.reduce_weighted_logsumexp(np.array([1000.0, 1000.0]), np.array([2.0, -1.0])))
    assert big == pytest.approx(1000.0, abs=1e-9)  # stable: log(2 e^1000 - e^1000)


def _tf_percentile(x, q, interpolation):
    """TF 1.15's rule: index (d - 1)(1 - q/100) into the descending sort, rounded per mode."""
    y = np.sort(x.reshape(-1))[::-1]
    pos = (len(y) - 1) * (1 - q / 100)
    idx = {"lower": np.ceil, "higher": np.floor, "nearest": np.round}[interpolation](pos)
    return y[int(np.clip(idx, 0, len(y) - 1))]


def test_percentile_matches_tf_indexing():
    x = R.normal(size=(4, 7))
    for q in (0.0, 13.0, 50.0, 77.0, 100.0):
        for mode in ("lower", "higher", "nearest"):
            got = run(tfd.percentile(x, q, interpolation=mode))
            assert got == _tf_percentile(x, q, mode), (q, mode)
    per_row = run(tfd.percentile(x, 30.0, axis=1, interpolation="lower"))
    np.testing.assert_array_equal(per_row, [_tf_percentile(r, 30.0, "lower") for r in x])
    cube = R.normal(size=(2, 3, 5))
    got = run(tfd.percentile(cube, 60.0, axis=[0, 2], keep_dims=True))
    assert got.shape == (1, 3, 1)
    np.testing.assert_array_equal(got[0, :, 0], [_tf_percentile(cube[:, i, :], 60.0, "nearest")
                                                 for i in range(3)])
    np.testing.assert_array_equal(run(tfd.percentile(x, 100.0)), x.max())
    # 'lower'/'higher' are numpy's on the ascending sort.
    np.testing.assert_array_equal(run(tfd.percentile(x, 40.0, interpolation="lower")),
                                  np.percentile(x, 40.0, method="lower"))
    np.testing.assert_array_equal(run(tfd.percentile(x, 40.0, interpolation="higher")),
                                  np.percentile(x, 40.0, method="higher"))


def test_percentile_errors():
    with pytest.raises(ValueError, match="'interpolation' must be in"):
        tfd.percentile([1.0], 50.0, interpolation="linear")
    with pytest.raises(ValueError, match="'q' to be a scalar"):
        tfd.percentile([1.0, 2.0], [10.0, 20.0])
    with pytest.raises(ValueError, match="statically available"):
        tfd.percentile(np.ones((2, 2)), 50.0, axis=tf.placeholder(tf.int32, []))
    q = tf.placeholder(tf.float64, [])
    checked = tfd.percentile([1.0, 2.0, 3.0], q, validate_args=True)
    assert run(checked, {q: 50.0}) == 2.0
    with pytest.raises(tf.errors.InvalidArgumentError):
        run(checked, {q: 101.0})


def test_normal_conjugates_known_scale():
    prior = tfd.Normal(loc=np.float64(1.0), scale=np.float64(2.0))
    scale, n = np.float64(0.5), 4
    data = np.array([0.2, 0.9, 1.4, 0.7])
    s = tf.constant(data.sum())
    post = tfd.normal_conjugates_known_scale_posterior(prior, scale, s, n)
    pred = tfd.normal_conjugates_known_scale_predictive(prior, scale, s, n)
    assert isinstance(post, tfd.Normal)
    got = run([post.loc, post.scale, pred.loc, pred.scale])
    var = 1 / (1 / 4.0 + n / 0.25)
    mean = var * (1.0 / 4.0 + data.sum() / 0.25)
    np.testing.assert_allclose(got, [mean, np.sqrt(var), mean, np.sqrt(var + 0.25)])
    with pytest.raises(TypeError, match="instance of type Normal"):
        tfd.normal_conjugates_known_scale_posterior(tfd.Laplace(0.0, 1.0), 1.0, s, 1)
    with pytest.raises(TypeError, match="does not match prior dtype"):
        tfd.normal_conjugates_known_scale_predictive(prior, scale, tf.constant(1.0), 1)


def test_seed_stream():
    a, b = tfd.SeedStream(42, salt="x"), tfd.SeedStream(42, salt="x")
    seeds = [a() for _ in range(3)]
    assert seeds == [b() for _ in range(3)] and len(set(seeds)) == 3
    assert tfd.SeedStream(42, salt="y")() != seeds[0]
    assert tfd.SeedStream(None, salt="x")() is None
    assert tfd.SeedStream(a, salt="x").original_seed == 42


def _auto_corr_ref(x, max_lags, center, normalize):
    """R[m] = sum_n x[n] x[n + m] / (N - m), directly, along the last axis."""
    if center:
        x = x - x.mean(-1, keepdims=True)
    n = x.shape[-1]
    r = np.stack([(x[..., :n - m] * x[..., m:]).sum(-1) / (n - m)
                  for m in range(max_lags + 1)], -1)
    return r / r[..., :1] if normalize else r


def test_auto_correlation_against_the_direct_sum():
    x = R.normal(size=(3, 13))
    got = run({"full": tfd.auto_correlation(x),
               "lags": tfd.auto_correlation(x, max_lags=4, normalize=False),
               "axis0": tfd.auto_correlation(x.T, axis=0, max_lags=3, center=False)})
    np.testing.assert_allclose(got["full"], _auto_corr_ref(x, 12, True, True), atol=1e-12)
    np.testing.assert_allclose(got["lags"], _auto_corr_ref(x, 4, True, False), atol=1e-12)
    np.testing.assert_allclose(got["axis0"], _auto_corr_ref(x, 3, False, True).T, atol=1e-12)
    # an AR(1) series x_t = 0.8 x_{t-1} + e_t has autocorrelation 0.8^m
    e = R.normal(size=20000)
    ar = np.zeros_like(e)
    for t in range(1, len(e)):
        ar[t] = 0.8 * ar[t - 1] + e[t]
    rho = run(tfd.auto_correlation(ar, max_lags=3))
    np.testing.assert_allclose(rho, 0.8 ** np.arange(4), atol=0.03)
    with pytest.raises(TypeError, match="float or complex dtype"):
        tfd.auto_correlation(np.arange(4))


def test_moving_mean_variance_recurrence_and_variable_names():
    values = R.normal(size=(6, 2))
    value = tf.placeholder(tf.float64, [2])
    mean, var = tfd.moving_mean_variance(value, decay=0.9)
    names = sorted(v.op.name for v in tf.global_variables())
    assert names == ["moving_mean_variance/moving_mean", "moving_mean_variance/moving_variance"]
    assert not tf.trainable_variables()
    m_ref, v_ref = np.zeros(2), np.zeros(2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for v in values:
            m, s = sess.run([mean, var], {value: v})
            v_ref = 0.9 * (v_ref + 0.1 * (v - m_ref) ** 2)  # with the lag-1 mean
            m_ref = 0.9 * m_ref + 0.1 * v
            np.testing.assert_allclose(m, m_ref, rtol=1e-12)
            np.testing.assert_allclose(s, v_ref, rtol=1e-12)
    with pytest.raises(TypeError, match="not a floating-type"):
        tfd.moving_mean_variance(tf.constant([1, 2]), 0.9, name="ints")


def test_assign_log_moving_mean_exp():
    log_var = tf.Variable(np.log([2.0, 1e-300]), dtype=tf.float64)
    log_value = tf.placeholder(tf.float64, [2])
    update = tfd.assign_log_moving_mean_exp(log_var, log_value, decay=0.75)
    with tf.Session() as sess:
        sess.run(log_var.initializer)
        got = sess.run(update, {log_value: [np.log(6.0), 800.0]})
    # log(0.75 * 2 + 0.25 * 6); the second stays finite although exp(800) overflows
    np.testing.assert_allclose(got, [np.log(3.0), 800.0 + np.log(0.25)], rtol=1e-12)
    mean = tf.Variable([0.0], dtype=tf.float32)
    with pytest.raises(TypeError, match="!= variance_var.base_dtype"):
        tfd.assign_moving_mean_variance(mean, tf.Variable([0.0], dtype=tf.float64), [1.0], 0.5)
