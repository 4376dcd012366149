"""tf.contrib.gan models and training: TF's variable scopes (the real-data discriminator call
reusing the generated-data call's variables), gan_loss's auxiliary terms against numpy,
gan_train_ops on a tiny 1-D Wasserstein GAN where each train op moves only its own player's
variables by the numpy SGD step, sequential/joint hooks and gan_train, CycleGAN, features and
errors naming what is wrong."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import gan as tfgan

Z = np.array([[0.5], [-1.0], [2.0]], np.float32)
X = np.array([[1.5], [0.2], [-0.4]], np.float32)
A0, B0, W0, C0 = 0.7, -0.3, 1.2, 0.4
LR_G, LR_D = 0.1, 0.05


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        yield


def _const(name, value):
    return tf.get_variable(name, initializer=tf.constant(np.float32(value)))


def generator_fn(z):
    return z * _const("a", A0) + _const("b", B0)


def discriminator_fn(x, unused_inputs):
    return x * _const("w", W0) + _const("c", C0)


def _model():
    return tfgan.gan_model(generator_fn, discriminator_fn, X, Z)


def _sess():
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    return sess


def test_gan_model_scopes_and_variables():
    m = _model()
    assert [v.name for v in m.generator_variables] == ["Generator/a:0", "Generator/b:0"]
    assert [v.name for v in m.discriminator_variables] == ["Discriminator/w:0",
                                                           "Discriminator/c:0"]
    assert m.generator_scope.name == "Generator"
    assert m.discriminator_scope.name == "Discriminator"
    # The real-data call reuses the variables under a fresh name scope, as TF's does.
    assert m.discriminator_real_outputs.name.startswith("Discriminator_1/")
    assert len(tf.trainable_variables()) == 4
    with _sess() as sess:
        g, dg, dr = sess.run([m.generated_data, m.discriminator_gen_outputs,
                              m.discriminator_real_outputs])
    np.testing.assert_allclose(g, Z * A0 + B0, rtol=1e-6)
    np.testing.assert_allclose(dg, g * W0 + C0, rtol=1e-6)
    np.testing.assert_allclose(dr, X * W0 + C0, rtol=1e-6)


def test_gan_model_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"Generator output shape \(\(3, 2\)\).*\(\(3, 1\)\)"):
        tfgan.gan_model(lambda z: tf.concat([z, z], 1), discriminator_fn, X, Z)


def _gan_steps(a, b, w, c, steps, order):
    """numpy SGD on the Wasserstein losses (means over the batch)."""
    for _ in range(steps):
        for who in order:
            gz = Z * a + b
            new_w = w - LR_D * (gz.mean() - X.mean())  # L_D = mean(w gz + c) - mean(w x + c)
            if who in "gj":  # L_G = -mean(w (a z + b) + c)
                a, b = a + LR_G * w * Z.mean(), b + LR_G * w
            if who in "dj":  # "j": both from the same values, in one session call
                w = new_w
    return a, b, w, c


def _train_ops(**kw):
    m = _model()
    loss = tfgan.gan_loss(m, add_summaries=False)
    ops = tfgan.gan_train_ops(m, loss, tf.train.GradientDescentOptimizer(LR_G),
                              tf.train.GradientDescentOptimizer(LR_D), **kw)
    return m, loss, ops


def _values(sess, m):
    return [float(v) for v in sess.run(m.generator_variables + m.discriminator_variables)]


def test_each_train_op_moves_only_its_players_variables():
    m, _, ops = _train_ops()
    with _sess() as sess:
        sess.run(ops.generator_train_op)
        after_g = _values(sess, m)
        np.testing.assert_allclose(after_g, _gan_steps(A0, B0, W0, C0, 1, "g"), rtol=1e-5)
        assert after_g[2:] == pytest.approx([W0, C0])
        sess.run(ops.discriminator_train_op)
        after_d = _values(sess, m)
        np.testing.assert_allclose(after_d, _gan_steps(A0, B0, W0, C0, 1, "gd"), rtol=1e-5)
        assert after_d[:2] == after_g[:2]
        assert after_d[2] != W0
        # Neither train op increments the global step; the increment op does.
        assert sess.run(tf.train.get_global_step()) == 0
        sess.run(ops.global_step_inc_op)
        assert sess.run(tf.train.get_global_step()) == 1


class _Capture(tf.train.SessionRunHook):
    def __init__(self, variables):
        self.variables, self.values = variables, None

    def end(self, session):
        self.values = [float(v) for v in session.run(self.variables)]


@pytest.mark.parametrize("hooks_fn, order", [
    (tfgan.get_sequential_train_hooks(), "gd"),
    (tfgan.get_sequential_train_hooks(tfgan.GANTrainSteps(2, 3)), "ggddd"),
    (tfgan.get_joint_train_hooks(tfgan.GANTrainSteps(1, 2)), "jd"),
])
def test_gan_train_runs_the_hooks_each_step(tmp_path, hooks_fn, order):
    m, _, ops = _train_ops()
    capture = _Capture(m.generator_variables + m.discriminator_variables)
    tfgan.gan_train(ops, str(tmp_path), get_hooks_fn=hooks_fn,
                    hooks=[tf.train.StopAtStepHook(num_steps=3), capture],
                    save_checkpoint_secs=None, save_summaries_steps=None)
    # Three global steps, each preceded by the hooks' generator/discriminator steps.
    np.testing.assert_allclose(capture.values, _gan_steps(A0, B0, W0, C0, 3, order),
                               rtol=1e-5)


def test_joint_hooks_split_steps():
    _, _, ops = _train_ops()
    hooks = tfgan.get_joint_train_hooks(tfgan.GANTrainSteps(3, 5))(ops)
    assert [h._train_steps for h in hooks] == [3, 0, 2]
    assert hooks[0]._train_ops == [ops.generator_train_op, ops.discriminator_train_op]


def test_gan_train_ops_update_ops_and_kwargs():
    m = _model()
    with tf.variable_scope(m.discriminator_scope, reuse=True):
        d_update = tf.assign_add(_const("c", C0), 1.0).op
    with tf.variable_scope(m.generator_scope, reuse=True):
        g_update = tf.assign_add(_const("b", B0), 10.0).op
    tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, d_update)
    tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, g_update)
    loss = tfgan.gan_loss(m, add_summaries=False)
    seen = []

    def transform(grads_and_vars):
        seen.append([v.name for _, v in grads_and_vars])
        return [(g * 0.0, v) for g, v in grads_and_vars]

    ops = tfgan.gan_train_ops(m, loss, tf.train.GradientDescentOptimizer(LR_G),
                              tf.train.GradientDescentOptimizer(LR_D),
                              transform_grads_fn=transform, summarize_gradients=True)
    assert seen == [["Generator/a:0", "Generator/b:0"], ["Discriminator/w:0",
                                                          "Discriminator/c:0"]]
    with _sess() as sess:
        sess.run(ops.discriminator_train_op)  # only the discriminator's update op runs
        np.testing.assert_allclose(_values(sess, m), [A0, B0, W0, C0 + 1], rtol=1e-6)
        sess.run(ops.generator_train_op)
        np.testing.assert_allclose(_values(sess, m), [A0, B0 + 10, W0, C0 + 1], rtol=1e-6)
    stray = tf.no_op(name="stray_update")
    tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, stray)
    with pytest.raises(ValueError, match="unused update ops.*stray_update"):
        tfgan.gan_train_ops(m, loss, tf.train.GradientDescentOptimizer(LR_G),
                            tf.train.GradientDescentOptimizer(LR_D))


def test_gan_loss_gradient_penalty_and_regularization():
    def disc(x, unused):
        w = tf.get_variable("w", initializer=tf.constant(np.float32(W0)),
                            regularizer=lambda t: 0.5 * tf.square(t))
        return x * w + _const("c", C0)

    m = tfgan.gan_model(generator_fn, disc, X, Z)
    loss = tfgan.gan_loss(m, gradient_penalty_weight=2.0, gradient_penalty_epsilon=1e-4)
    with _sess() as sess:
        g, d = sess.run(loss)
    gz = Z * A0 + B0
    np.testing.assert_allclose(g, -(W0 * gz + C0).mean(), rtol=1e-5)
    # A linear discriminator's gradient is w wherever it is interpolated.
    gp = (np.sqrt(W0 ** 2 + 1e-4) - 1) ** 2
    np.testing.assert_allclose(d, W0 * (gz.mean() - X.mean()) + 2.0 * gp + 0.5 * W0 ** 2,
                               rtol=1e-5)
    assert any("generator_wass_loss" in s.name
               for s in tf.get_collection(tf.GraphKeys.SUMMARIES))


def test_gan_loss_argument_errors():
    m = _model()
    with pytest.raises(ValueError, match="`gradient_penalty_weight` must be greater than 0"):
        tfgan.gan_loss(m, gradient_penalty_weight=-1.0)
    with pytest.raises(ValueError, match="must be an `InfoGANModel`"):
        tfgan.gan_loss(m, mutual_information_penalty_weight=1.0)
    with pytest.raises(ValueError, match="must be an `ACGANModel`"):
        tfgan.gan_loss(m, aux_cond_generator_weight=1.0)
    with pytest.raises(ValueError, match="must be a `GANLoss`"):
        tfgan.gan_train_ops(m, (1.0, 2.0), tf.train.GradientDescentOptimizer(0.1),
                            tf.train.GradientDescentOptimizer(0.1))


def test_acgan_model_and_aux_losses():
    labels = np.eye(2, dtype=np.float32)[[0, 1, 1]]
    cls_w = np.array([[0.3, -0.2]], np.float32)

    def disc(x, unused):
        return x * _const("w", W0), x * tf.get_variable("k", initializer=tf.constant(cls_w))

    m = tfgan.acgan_model(generator_fn, disc, X, Z, labels)
    loss = tfgan.gan_loss(m, aux_cond_generator_weight=0.5, aux_cond_discriminator_weight=2.0,
                          add_summaries=False)
    with _sess() as sess:
        g, d = sess.run(loss)
    gz = Z * A0 + B0

    def ce(logits):
        z = logits - logits.max(-1, keepdims=True)
        return -(labels * (z - np.log(np.exp(z).sum(-1, keepdims=True)))).sum(-1).mean()

    np.testing.assert_allclose(g, -(W0 * gz).mean() + 0.5 * ce(gz * cls_w), rtol=1e-5)
    np.testing.assert_allclose(d, W0 * (gz.mean() - X.mean())
                               + 2.0 * (ce(gz * cls_w) + ce(X * cls_w)), rtol=1e-5)
    with pytest.raises(TypeError, match="must output a tuple"):
        tfgan.acgan_model(generator_fn, discriminator_fn, X, Z, labels,
                          generator_scope="G2", discriminator_scope="D2")


def test_infogan_model_and_mutual_information():
    code = np.array([[0.1], [0.4], [-0.3]], np.float32)

    def gen(inputs):
        noise, c = inputs
        return noise * _const("a", A0) + c

    def disc(x, unused):
        return x * _const("w", W0), [tf.distributions.Normal(loc=x, scale=1.0)]

    m = tfgan.infogan_model(gen, disc, X, [Z], [code])
    assert m.structured_generator_inputs[0].shape.as_list() == [3, 1]
    loss = tfgan.gan_loss(m, mutual_information_penalty_weight=3.0, add_summaries=False)
    with _sess() as sess:
        g, d = sess.run(loss)
    gz = Z * A0 + code
    mi = -(-0.5 * (code - gz) ** 2 - 0.5 * np.log(2 * np.pi)).mean()
    np.testing.assert_allclose(g, -(W0 * gz).mean() + 3.0 * mi, rtol=1e-5)
    np.testing.assert_allclose(d, W0 * (gz.mean() - X.mean()) + 3.0 * mi, rtol=1e-5)
    with pytest.raises(ValueError, match="`predicted_distributions` 0 must be the same"):
        tfgan.infogan_model(gen, lambda x, y: (x, []), X, [Z], [code],
                            generator_scope="G2", discriminator_scope="D2")


def test_cyclegan_model_and_loss():
    y = np.array([[0.3], [0.9], [-1.1]], np.float32)
    m = tfgan.cyclegan_model(generator_fn, discriminator_fn, Z, y)
    names = sorted(v.name for v in tf.trainable_variables())
    assert names == ["ModelX2Y/Discriminator/c:0", "ModelX2Y/Discriminator/w:0",
                     "ModelX2Y/Generator/a:0", "ModelX2Y/Generator/b:0",
                     "ModelY2X/Discriminator/c:0", "ModelY2X/Discriminator/w:0",
                     "ModelY2X/Generator/a:0", "ModelY2X/Generator/b:0"]
    loss = tfgan.cyclegan_loss(m, cycle_consistency_loss_weight=10.0, add_summaries=False)
    with _sess() as sess:
        rx, (gx2y, _), (gy2x, _) = sess.run([m.reconstructed_x, loss.loss_x2y, loss.loss_y2x])
    f = Z * A0 + B0   # x -> y
    gy = y * A0 + B0  # y -> x
    np.testing.assert_allclose(rx, f * A0 + B0, rtol=1e-6)
    cycle = (np.abs(Z - (f * A0 + B0)).mean() + np.abs(y - (gy * A0 + B0)).mean()) / 2
    np.testing.assert_allclose(gx2y, ((f * W0 + C0 - 1) ** 2 / 2).mean() + 10 * cycle,
                               rtol=1e-5)
    np.testing.assert_allclose(gy2x, ((gy * W0 + C0 - 1) ** 2 / 2).mean() + 10 * cycle,
                               rtol=1e-5)
    ops = tfgan.gan_train_ops(m, loss, tf.train.GradientDescentOptimizer(0.1),
                              tf.train.GradientDescentOptimizer(0.1))
    assert len(ops.generator_train_op) == 2 and len(ops.discriminator_train_op) == 2
    with pytest.raises(ValueError, match="must be a `CycleGANModel`"):
        tfgan.cyclegan_loss(m.model_x2y)


def test_clip_discriminator_weights():
    m, loss, _ = _train_ops()
    opt = tfgan.features.clip_discriminator_weights(tf.train.GradientDescentOptimizer(100.0),
                                                    m, 0.01)
    step = opt.minimize(loss.discriminator_loss, var_list=m.discriminator_variables)
    with _sess() as sess:
        sess.run(step)
        gz = Z * A0 + B0
        w = W0 - 100.0 * (gz.mean() - X.mean())
        np.testing.assert_allclose(_values(sess, m), [A0, B0, np.clip(w, -0.01, 0.01), 0.01],
                                   rtol=1e-3)


def test_condition_tensor_from_onehot():
    t = np.arange(12, dtype=np.float32).reshape(3, 2, 2)
    labels = np.eye(2, dtype=np.float32)[[1, 0, 1]]
    out = tfgan.features.condition_tensor_from_onehot(t, labels, embedding_size=5)
    names = sorted(v.name for v in tf.trainable_variables())
    assert names == ["embedding:0", "fully_connected/biases:0", "fully_connected/weights:0"]
    with _sess() as sess:
        emb, wts, bias, ov = sess.run(
            [tf.get_default_graph().get_tensor_by_name(n) for n in
             ("embedding:0", "fully_connected/weights:0", "fully_connected/biases:0")]
            + [out])
    np.testing.assert_allclose(ov, t + ((labels @ emb) @ wts + bias).reshape(3, 2, 2),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="`one_hot_labels` must have rank 2"):
        tfgan.features.condition_tensor_from_onehot(t, labels[0])
