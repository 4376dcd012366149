"""tf.contrib.distributions.bijectors flows: MaskedAutoregressiveFlow and RealNVP log_prob
against the change-of-variables sum computed in numpy from the template outputs fetched in
the same run, MADE's masks and the autoregressive property, TF's variable names, forward /
inverse round trips (while_loop and unrolled), a small flow trained by Adam, and the
BatchNormalization bijector against the batch-norm equations."""

import math

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import distributions_bijectors as tfb
from minitf.contrib.distributions_bijectors_transformed import TransformedDistribution

R = np.random.default_rng(5)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        yield


def _normal_logpdf(x):
    return -0.5 * x * x - 0.5 * math.log(2 * math.pi)


def _session():
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    return sess


def test_maf_log_prob_is_the_change_of_variables_sum():
    template = tfb.masked_autoregressive_default_template(hidden_layers=[8, 8])
    maf = tfb.MaskedAutoregressiveFlow(shift_and_log_scale_fn=template)
    dist = TransformedDistribution(tf.distributions.Normal(0.0, 1.0), maf, event_shape=[3])
    y = tf.placeholder(tf.float32, [5, 3])
    log_prob = dist.log_prob(y)
    shift, log_scale = template(y)
    y_np = R.normal(size=(5, 3)).astype(np.float32)
    with _session() as sess:
        lp, s, ls = sess.run([log_prob, shift, log_scale], {y: y_np})
    x = (y_np - s) * np.exp(-ls)
    np.testing.assert_allclose(lp, _normal_logpdf(x).sum(-1) - ls.sum(-1), rtol=1e-5, atol=1e-5)


def test_made_template_is_autoregressive():
    template = tfb.masked_autoregressive_default_template(hidden_layers=[6])
    y = tf.placeholder(tf.float32, [1, 3])
    outputs = template(y)
    base = R.normal(size=(1, 3)).astype(np.float32)
    with _session() as sess:
        before = np.stack(sess.run(outputs, {y: base}))
        for j in range(3):
            moved = base.copy()
            moved[0, j] += 1.0
            after = np.stack(sess.run(outputs, {y: moved}))
            # outputs 0..j depend on y[:j] only
            np.testing.assert_array_equal(after[:, :, :j + 1], before[:, :, :j + 1])


def test_masked_dense_mask_and_constraint():
    x = tf.placeholder(tf.float32, [4, 3])
    out = tfb.masked_dense(x, units=6, num_blocks=3, exclusive=True, name="made")
    kernel = [v for v in tf.global_variables() if v.op.name == "made/kernel"][0]
    # block k of the inputs feeds output blocks k+1.. (exclusive): 2 outputs per block
    want = np.array([[0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 0]], bool)
    loss = tf.reduce_sum(tf.square(out - 1.0))
    train = tf.train.AdamOptimizer(0.1).minimize(loss)
    with _session() as sess:
        initial = sess.run(kernel)
        assert np.all(initial[~want] == 0) and np.all(initial[want] != 0)
        for _ in range(3):
            sess.run(train, {x: R.normal(size=(4, 3))})
        trained = sess.run(kernel)
    assert np.all(trained[~want] == 0)  # re-masked by the constraint after each step
    assert not np.allclose(trained[want], initial[want])
    tfb.masked_dense(tf.zeros([1, 2]), units=4, num_blocks=2, name="inc")
    kernel = [v for v in tf.global_variables() if v.op.name == "inc/kernel"][0]
    with _session() as sess:
        got = sess.run(kernel) != 0
    np.testing.assert_array_equal(got, [[1, 1, 1, 1], [0, 0, 1, 1]])


def test_template_variable_names_are_tfs():
    made = tfb.masked_autoregressive_default_template(hidden_layers=[4])
    maf = tfb.MaskedAutoregressiveFlow(made)
    maf.inverse(tf.zeros([2, 2]))
    maf.forward(tf.zeros([2, 2]))  # later calls share the variables
    nvp = tfb.RealNVP(num_masked=1, shift_and_log_scale_fn=tfb.real_nvp_default_template([5]))
    nvp.forward(tf.zeros([2, 3]))
    nvp.inverse(tf.zeros([2, 3]))
    got = {v.op.name: v.shape.as_list() for v in tf.global_variables()}
    assert got == {
        "masked_autoregressive_default_template/dense/kernel": [2, 4],
        "masked_autoregressive_default_template/dense/bias": [4],
        "masked_autoregressive_default_template/dense_1/kernel": [4, 4],
        "masked_autoregressive_default_template/dense_1/bias": [4],
        "real_nvp_default_template/dense/kernel": [1, 5],
        "real_nvp_default_template/dense/bias": [5],
        "real_nvp_default_template/dense_1/kernel": [5, 4],
        "real_nvp_default_template/dense_1/bias": [4],
    }


@pytest.mark.parametrize("unroll", [False, True])
def test_maf_forward_inverts_inverse(unroll):
    template = tfb.masked_autoregressive_default_template(hidden_layers=[8])
    maf = tfb.MaskedAutoregressiveFlow(template, unroll_loop=unroll)
    y_np = R.normal(size=(4, 3)).astype(np.float32)
    x = maf.inverse(tf.constant(y_np))
    y = maf.forward(tf.identity(x))  # a new tensor: the autoregression, not the cache
    fldj = maf.forward_log_det_jacobian(tf.identity(x), event_ndims=1)
    ildj = maf.inverse_log_det_jacobian(tf.constant(y_np), event_ndims=1)
    with _session() as sess:
        got = sess.run([y, fldj, ildj])
    np.testing.assert_allclose(got[0], y_np, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], -got[2], rtol=1e-5, atol=1e-5)


def test_maf_shift_only_and_errors():
    template = tfb.masked_autoregressive_default_template([4], shift_only=True)
    maf = tfb.MaskedAutoregressiveFlow(template, is_constant_jacobian=True)
    y = tf.constant(R.normal(size=(2, 3)).astype(np.float32))
    ildj = maf.inverse_log_det_jacobian(y, event_ndims=1)
    shift, log_scale = template(y)
    assert log_scale is None
    with _session() as sess:
        got = sess.run([maf.inverse(y), shift, ildj, y])
    np.testing.assert_allclose(got[0], got[3] - got[1], rtol=1e-6)
    assert float(got[2]) == 0.0
    unrolled = tfb.MaskedAutoregressiveFlow(template, unroll_loop=True)
    with pytest.raises(ValueError, match="final dimension of `x` must be known"):
        unrolled.forward(tf.placeholder(tf.float32, [2, None]))
    with pytest.raises(NotImplementedError, match="Rightmost dimension must be known"):
        tfb.masked_dense(tf.placeholder(tf.float32, [2, None]), units=4, num_blocks=2)


def test_real_nvp_log_prob_is_the_change_of_variables_sum():
    template = tfb.real_nvp_default_template(hidden_layers=[6])
    nvp = tfb.RealNVP(num_masked=2, shift_and_log_scale_fn=template)
    dist = TransformedDistribution(tf.distributions.Normal(0.0, 1.0), nvp, event_shape=[5])
    y = tf.placeholder(tf.float32, [4, 5])
    log_prob = dist.log_prob(y)
    shift, log_scale = template(y[:, :2], 3)
    y_np = R.normal(size=(4, 5)).astype(np.float32)
    x_t = nvp.inverse(tf.constant(y_np))
    y_back = nvp.forward(tf.identity(x_t))
    fldj = nvp.forward_log_det_jacobian(tf.identity(x_t), event_ndims=1)
    with _session() as sess:
        lp, s, ls, back, fl = sess.run([log_prob, shift, log_scale, y_back, fldj], {y: y_np})
    x = np.concatenate([y_np[:, :2], (y_np[:, 2:] - s) * np.exp(-ls)], -1)
    np.testing.assert_allclose(lp, _normal_logpdf(x).sum(-1) - ls.sum(-1), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(back, y_np, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fl, ls.sum(-1), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="num_masked must be a positive integer"):
        tfb.RealNVP(num_masked=0, shift_and_log_scale_fn=template)
    too_many = tfb.RealNVP(num_masked=3, shift_and_log_scale_fn=template)
    with pytest.raises(ValueError, match="smaller than the event size"):
        too_many.forward(tf.zeros([2, 3]))


def test_a_small_flow_learns():
    # correlated 2-D data: x1 ~ N(0, 1), x2 ~ N(x1^2 / 2, 0.5^2)
    x1 = R.normal(size=256)
    data = np.stack([x1, 0.5 * x1 ** 2 + 0.5 * R.normal(size=256)], -1).astype(np.float32)
    maf = tfb.MaskedAutoregressiveFlow(
        tfb.masked_autoregressive_default_template(hidden_layers=[16, 16]))
    dist = TransformedDistribution(tf.distributions.Normal(0.0, 1.0), maf, event_shape=[2])
    batch = tf.placeholder(tf.float32, [None, 2])
    nll = -tf.reduce_mean(dist.log_prob(batch))
    train = tf.train.AdamOptimizer(0.01).minimize(nll)
    with _session() as sess:
        before = sess.run(nll, {batch: data})
        for _ in range(60):
            sess.run(train, {batch: data})
        after = sess.run(nll, {batch: data})
        samples = sess.run(dist.sample(500, seed=1))
    assert after < before - 0.2
    assert samples.shape == (500, 2) and np.all(np.isfinite(samples))


def test_batch_normalization_bijector():
    bn = tfb.BatchNormalization()  # training: the inverse normalises by the batch
    y_np = R.normal(loc=3.0, scale=2.0, size=(16, 3)).astype(np.float32)
    y = tf.constant(y_np)
    x = bn.inverse(y)
    ildj = bn.inverse_log_det_jacobian(y, event_ndims=1)
    fwd = bn.forward(tf.constant(y_np[:2]))  # the moving averages: initially 0 and 1
    eps = bn.batchnorm.epsilon
    with _session() as sess:
        got = sess.run([x, ildj, fwd])
    mean, var = y_np.mean(0), y_np.var(0)
    np.testing.assert_allclose(got[0], (y_np - mean) / np.sqrt(var + eps), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[1], -0.5 * np.log(var + eps).sum(), rtol=1e-5)
    np.testing.assert_allclose(got[2], y_np[:2] * np.sqrt(1 + eps), rtol=1e-6)
    assert bn.forward_min_event_ndims == 1
    assert {v.op.name for v in tf.global_variables()} >= {
        "batch_normalization/gamma", "batch_normalization/beta",
        "batch_normalization/moving_mean", "batch_normalization/moving_variance"}


def test_batch_normalization_bijector_inference_is_invertible():
    bn = tfb.BatchNormalization(training=False)
    x_np = R.normal(size=(4, 3)).astype(np.float32)
    y = bn.forward(tf.constant(x_np))
    x = bn.inverse(tf.identity(y))
    fldj = bn.forward_log_det_jacobian(tf.constant(x_np), event_ndims=1)
    ildj = bn.inverse_log_det_jacobian(tf.identity(y), event_ndims=1)
    with _session() as sess:
        got = sess.run([x, fldj, ildj])
    np.testing.assert_allclose(got[0], x_np, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], 1.5 * np.log(1 + bn.batchnorm.epsilon), rtol=1e-4)
    np.testing.assert_allclose(got[2], -got[1], rtol=1e-6)


def test_batch_normalization_bijector_errors():
    with pytest.raises(ValueError, match="instance of BatchNormalization layer"):
        tfb.BatchNormalization(batchnorm_layer=tf.layers.Dense(3))
    with pytest.raises(ValueError, match="does not support renormalization"):
        tfb.BatchNormalization(batchnorm_layer=tf.layers.BatchNormalization(renorm=True))
    with pytest.raises(ValueError, match="shape known at graph construction"):
        tfb.BatchNormalization().inverse_log_det_jacobian(tf.placeholder(tf.float32, [None, 3]),
                                                          event_ndims=1)


def test_chained_flow_log_prob_with_and_without_the_cache():
    # MAF, a permutation and an inverse autoregressive flow: log_prob of the samples (from
    # the cache) equals log_prob recomputed from scratch, and the change-of-variables sum
    first = tfb.masked_autoregressive_default_template([8])
    second = tfb.masked_autoregressive_default_template([8])
    maf, iaf = tfb.MaskedAutoregressiveFlow(first), tfb.MaskedAutoregressiveFlow(second)
    flow = tfb.Chain([maf, tfb.Permute([2, 1, 0]), tfb.Invert(iaf)])
    dist = TransformedDistribution(tf.distributions.Normal(0.0, 1.0), flow, event_shape=[3])
    samples = dist.sample(6, seed=2)
    cached, fresh = dist.log_prob(samples), dist.log_prob(tf.identity(samples))
    y = tf.identity(samples)
    z = maf.inverse(y)  # the flow's inverse, step by step
    _, log_scale1 = first(y)  # the MAF's scales, at its output y
    z = tf.gather(z, [2, 1, 0], axis=-1)
    x = iaf.forward(z)
    with _session() as sess:
        got = sess.run([cached, fresh, log_scale1, x, z])
    _, _, ls1, x_np, z_np = got
    # log p = log N(x) - sum log_scale_maf(y) + sum log_scale_iaf(x), the IAF's scales at x
    with _session() as sess:
        ls2 = sess.run(second(tf.constant(x_np)))[1]
    want = _normal_logpdf(x_np).sum(-1) - ls1.sum(-1) + ls2.sum(-1)
    np.testing.assert_allclose(got[0], got[1], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got[1], want, rtol=1e-4, atol=1e-4)
    assert z_np.shape == (6, 3)
