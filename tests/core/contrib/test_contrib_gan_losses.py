"""tf.contrib.gan losses (wargs and GANModel versions) against numpy written from TF 1.15's
formulas: weighted reductions (SUM_BY_NONZERO_WEIGHTS), label smoothing, the gradient
penalty at the run's own interpolation coefficients, the mutual-information penalty,
combine_adversarial_loss, cycle consistency, collections and errors."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import gan as tfgan

R = np.random.default_rng(5)
B = 4
W = tfgan.losses.wargs


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        yield


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _sce(labels, logits):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def _nonzero_mean(losses, weights):
    weights = np.broadcast_to(weights, losses.shape)
    count = np.count_nonzero(weights)
    return (losses * weights).sum() / count if count else 0.0


REAL = R.normal(size=(B, 1)).astype(np.float32)
GEN = R.normal(size=(B, 1)).astype(np.float32)
WTS = np.array([[1.0], [0.0], [2.0], [0.5]], np.float32)


def test_wasserstein_losses_weighted():
    g = W.wasserstein_generator_loss(GEN, weights=WTS)
    d = W.wasserstein_discriminator_loss(REAL, GEN, real_weights=WTS, generated_weights=2.0)
    gv, dv = _run([g, d])
    np.testing.assert_allclose(gv, _nonzero_mean(-GEN, WTS), rtol=1e-5)
    np.testing.assert_allclose(dv, _nonzero_mean(GEN, 2.0) - _nonzero_mean(REAL, WTS),
                               rtol=1e-5)
    # Each loss goes once into LOSSES (the discriminator's parts with no collection).
    assert tf.get_collection(tf.GraphKeys.LOSSES) == [g, d]


def test_minimax_and_modified_losses_with_label_smoothing():
    d = W.minimax_discriminator_loss(REAL, GEN, label_smoothing=0.25, real_weights=WTS)
    g = W.minimax_generator_loss(GEN, label_smoothing=0.1)
    md = W.modified_discriminator_loss(REAL, GEN)
    mg = W.modified_generator_loss(GEN, label_smoothing=0.2, weights=WTS)
    dv, gv, mdv, mgv = _run([d, g, md, mg])
    # TF's sigmoid label smoothing: labels * (1 - s) + s / 2.
    on_real = _nonzero_mean(_sce(1 - 0.25 / 2, REAL), WTS)
    on_gen = _sce(0.0, GEN).mean()
    np.testing.assert_allclose(dv, on_real + on_gen, rtol=1e-5)
    np.testing.assert_allclose(gv, -(_sce(1 - 0.05, np.ones_like(GEN)).mean()
                                     + _sce(0.0, GEN).mean()), rtol=1e-5)
    np.testing.assert_allclose(mdv, _sce(1 - 0.125, REAL).mean() + on_gen, rtol=1e-5)
    np.testing.assert_allclose(mgv, _nonzero_mean(_sce(1 - 0.1, GEN), WTS), rtol=1e-5)
    assert md.name.startswith("discriminator_modified_loss/")


def test_least_squares_losses():
    g = W.least_squares_generator_loss(GEN, real_label=0.9, weights=WTS)
    d = W.least_squares_discriminator_loss(REAL, GEN, real_label=1, fake_label=-1)
    gv, dv = _run([g, d])
    np.testing.assert_allclose(gv, _nonzero_mean((GEN - 0.9) ** 2 / 2, WTS), rtol=1e-5)
    np.testing.assert_allclose(dv, ((REAL - 1) ** 2 / 2).mean() + ((GEN + 1) ** 2 / 2).mean(),
                               rtol=1e-5)


def _softmax_ce(labels, logits):
    z = logits - logits.max(-1, keepdims=True)
    return -(labels * (z - np.log(np.exp(z).sum(-1, keepdims=True)))).sum(-1)


def test_acgan_losses():
    k = 3
    labels = np.eye(k, dtype=np.float32)[[0, 2, 1, 2]]
    real_cls = R.normal(size=(B, k)).astype(np.float32)
    gen_cls = R.normal(size=(B, k)).astype(np.float32)
    d = W.acgan_discriminator_loss(real_cls, gen_cls, labels, label_smoothing=0.3)
    g = W.acgan_generator_loss(gen_cls, labels, weights=WTS[:, 0])
    dv, gv = _run([d, g])
    smoothed = labels * 0.7 + 0.3 / k
    np.testing.assert_allclose(
        dv, _softmax_ce(labels, gen_cls).mean() + _softmax_ce(smoothed, real_cls).mean(),
        rtol=1e-5)
    np.testing.assert_allclose(gv, _nonzero_mean(_softmax_ce(labels, gen_cls), WTS[:, 0]),
                               rtol=1e-5)


def _quadratic_disc(weights):
    def fn(x, unused_inputs):
        w = tf.get_variable("w", initializer=tf.constant(weights))
        return tf.reduce_sum(w * tf.square(x), axis=[1, 2])
    return fn


@pytest.mark.parametrize("one_sided", [False, True])
def test_gradient_penalty_at_the_runs_interpolation(one_sided):
    real = R.normal(size=(B, 2, 3)).astype(np.float32)
    gen = R.normal(size=(B, 2, 3)).astype(np.float32)
    wq = (R.uniform(0.05, 0.6, size=(2, 3))).astype(np.float32)
    with tf.variable_scope("Discriminator") as dscope:
        _quadratic_disc(wq)(tf.constant(real), None)
    pen = W.wasserstein_gradient_penalty(real, gen, None, _quadratic_disc(wq), dscope,
                                         epsilon=1e-3, target=1.5, one_sided=one_sided,
                                         weights=WTS[:, 0])
    # The discriminator's variable was reused, not re-created.
    assert [v.name for v in tf.global_variables()] == ["Discriminator/w:0"]
    alpha_op, = [op for op in tf.get_default_graph().get_operations()
                 if op.type == "RandomUniform"]
    assert alpha_op.outputs[0].shape.as_list() == [B, 1, 1]
    pv, alpha = _run([pen, alpha_op.outputs[0]])
    x = real + alpha * (gen - real)
    grads = 2 * wq * x
    slopes = np.sqrt((grads ** 2).sum(axis=(1, 2)) + 1e-3)
    p = slopes / 1.5 - 1
    if one_sided:
        p = np.maximum(p, 0)
    np.testing.assert_allclose(pv, _nonzero_mean(p ** 2, WTS[:, 0]), rtol=1e-4)


def test_gradient_penalty_unknown_rank_is_an_error():
    ph = tf.placeholder(tf.float32)
    with pytest.raises(ValueError, match="real_data"):
        W.wasserstein_gradient_penalty(ph, GEN, None, lambda x, y: x, None)


def test_mutual_information_penalty():
    c1 = R.normal(size=(B, 2)).astype(np.float32)
    c2 = R.normal(size=(B,)).astype(np.float32)
    mu, sd = np.float32(0.3), np.float32(1.7)
    dists = [tf.distributions.Normal(loc=mu, scale=sd),
             tf.distributions.Normal(loc=np.zeros(B, np.float32), scale=np.float32(0.5))]
    loss = W.mutual_information_penalty([c1, c2], dists, weights=[1.0, 3.0])
    v = _run(loss)

    def logp(x, m, s):
        return -0.5 * ((x - m) / s) ** 2 - np.log(s) - 0.5 * np.log(2 * np.pi)

    lps = np.array([logp(c1, mu, sd).mean(), logp(c2, 0.0, 0.5).mean()])
    np.testing.assert_allclose(v, -(lps * [1.0, 3.0]).sum() / 2, rtol=1e-5)
    with pytest.raises(ValueError, match="length 1 must be the same"):
        W.mutual_information_penalty([c1], dists)
    with pytest.raises(ValueError, match="list of `Distributions`"):
        W.mutual_information_penalty([c1], [3.0])


def test_combine_adversarial_loss():
    v = tf.Variable([1.0, -2.0])
    main = tf.reduce_sum(tf.square(v))
    adv = tf.reduce_sum(3.0 * v)
    fixed = W.combine_adversarial_loss(main, adv, weight_factor=0.5, variables=[v])
    ratio = W.combine_adversarial_loss(main, adv, gradient_ratio=2.0, variables=[v])
    zero = W.combine_adversarial_loss(main, adv, weight_factor=0.0, variables=[v])
    g_ratio = tf.gradients(ratio, v)[0]
    fv, rv, gv = _run([fixed, ratio, g_ratio])
    x = np.array([1.0, -2.0])
    m, a = (x ** 2).sum(), (3 * x).sum()
    np.testing.assert_allclose(fv, m + 0.5 * a, rtol=1e-5)
    coeff = np.linalg.norm(2 * x) / (np.linalg.norm([3.0, 3.0]) + 1e-6) / 2.0
    np.testing.assert_allclose(rv, m + coeff * a, rtol=1e-5)
    # The coefficient is not differentiated through.
    np.testing.assert_allclose(gv, 2 * x + coeff * 3.0, rtol=1e-5)
    assert zero is main
    with pytest.raises(ValueError, match="cannot both be `None"):
        W.combine_adversarial_loss(main, adv)
    with pytest.raises(ValueError, match="cannot both be specified"):
        W.combine_adversarial_loss(main, adv, weight_factor=1.0, gradient_ratio=1.0)


def test_cycle_consistency_loss():
    x, rx, y, ry = (R.normal(size=(B, 3)).astype(np.float32) for _ in range(4))
    v = _run(W.cycle_consistency_loss(x, rx, y, ry))
    np.testing.assert_allclose(v, (np.abs(x - rx).mean() + np.abs(y - ry).mean()) / 2,
                               rtol=1e-5)


def _model(**kw):
    fields = dict.fromkeys(tfgan.GANModel._fields)
    fields.update(kw)
    return tfgan.GANModel(**fields)


def test_tuple_losses_read_the_model():
    model = _model(discriminator_real_outputs=tf.constant(REAL),
                   discriminator_gen_outputs=tf.constant(GEN))
    g = tfgan.losses.wasserstein_generator_loss(model, weights=WTS)
    d = tfgan.losses.least_squares_discriminator_loss(model, fake_label=-1)
    gv, dv = _run([g, d])
    np.testing.assert_allclose(gv, _nonzero_mean(-GEN, WTS), rtol=1e-5)
    np.testing.assert_allclose(dv, ((REAL - 1) ** 2 / 2).mean() + ((GEN + 1) ** 2 / 2).mean(),
                               rtol=1e-5)
    assert tfgan.losses.wasserstein_generator_loss.__name__ == "wasserstein_generator_loss"


def test_tuple_loss_errors_name_the_argument():
    model = _model(discriminator_gen_outputs=tf.constant(GEN))
    with pytest.raises(ValueError, match="present in both.*discriminator_gen_outputs"):
        tfgan.losses.wasserstein_generator_loss(model, discriminator_gen_outputs=GEN)
    with pytest.raises(ValueError, match="`one_hot_labels` must be supplied"):
        tfgan.losses.acgan_generator_loss(
            _model(), discriminator_gen_classification_logits=GEN)
    with pytest.raises(TypeError, match="unexpected keyword arguments.*'wieghts'"):
        tfgan.losses.wasserstein_generator_loss(model, wieghts=WTS)
    with pytest.raises(ValueError, match="must be a `CycleGANModel`"):
        tfgan.losses.cycle_consistency_loss(model)
