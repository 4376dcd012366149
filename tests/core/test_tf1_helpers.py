"""TF1 helpers: make_template, get_local_variable, custom_gradient, the orthogonal and
unit-scaling initializers, the cosine learning-rate schedules, AggregationMethod /
UnconnectedGradients and tf.compat's string helpers. Names were recorded from tf.compat.v1
2.21; values are worked out from TF's formulas by hand."""

import math

import numpy as np
import pytest

import minitf as tf


def run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def test_make_template_shares_variables_across_calls():
    with tf.Graph().as_default():
        def scale(x, k=2.0):
            w = tf.get_variable("w", [], initializer=tf.constant_initializer(k))
            return tf.multiply(x, w, name="mul")

        t = tf.make_template("scaler", scale, k=3.0)
        assert t.variable_scope_name == ""
        a, b = t(tf.constant(1.0)), t(tf.constant(2.0))
        t2 = tf.make_template("scaler", scale, create_scope_now_=True)
        c = t2(tf.constant(1.0))
        with tf.variable_scope("outer"):
            d = t(tf.constant(5.0))  # still the template's own scope
        assert [a.name, b.name, c.name, d.name] == ["scaler/mul:0", "scaler_1/mul:0",
                                                    "scaler_1_1/mul:0", "outer/scaler/mul:0"]
        assert [v.op.name for v in tf.global_variables()] == ["scaler/w", "scaler_1/w"]
        assert t.variable_scope_name == "scaler/" and t2.variable_scope_name == "scaler_1/"
        assert [v.op.name for v in t.trainable_variables] == ["scaler/w"]
        assert run([a, b, c, d]) == [3.0, 6.0, 2.0, 15.0]

        def with_local(x):
            w = tf.get_variable("w", [], initializer=tf.ones_initializer())
            return x * w + tf.get_local_variable("loc", [], initializer=tf.zeros_initializer())

        t3 = tf.make_template("m", with_local)
        t3(tf.constant(1.0))
        assert [v.op.name for v in t3.variables] == ["m/w", "m/loc"]  # global, then local
        assert [v.op.name for v in t3.local_variables] == ["m/loc"]
        bad = tf.make_template("bad", lambda: tf.Variable(1.0, name="v"))
        bad()
        with pytest.raises(ValueError, match="Trainable variable created when calling a "
                                             "template after the first time"):
            bad()


def test_get_local_variable():
    with tf.Graph().as_default():
        v = tf.get_local_variable("count", [], initializer=tf.zeros_initializer(),
                                  collections=["extra"])
        assert v in tf.local_variables() and v not in tf.global_variables()
        assert v not in tf.trainable_variables() and tf.get_collection("extra") == [v]
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            assert sess.run(v) == 0.0


def test_custom_gradient():
    with tf.Graph().as_default():
        @tf.custom_gradient
        def log1pexp(x):  # autodiff would give inf / inf = nan at x = 100
            e = tf.exp(x)
            return tf.log(1 + e), lambda dy: dy * (1 - 1 / (1 + e))

        @tf.custom_gradient
        def clip_grad(x, y):
            return x * y, lambda dy: (tf.clip_by_value(dy, -0.1, 0.1), 2.0 * dy)

        w = tf.Variable(3.0, name="w")

        @tf.custom_gradient
        def scaled(x):
            return x * w, lambda dy, variables=None: (dy * 10.0, [dy * 100.0])

        x = tf.constant([0.0, 100.0])
        y = log1pexp(x)
        a, b = tf.constant(2.0), tf.constant(5.0)
        z = clip_grad(a, b)
        q = scaled(tf.constant(2.0))
        assert y.op.type == "IdentityN"
        got = run([y, tf.gradients(y, x), z, tf.gradients(z * 3.0, [a, b]), q,
                   tf.gradients(q, [w])])
        np.testing.assert_allclose(got[0], [math.log(2.0), np.inf])
        np.testing.assert_allclose(got[1][0], [0.5, 1.0])
        assert got[2] == 10.0 and got[3] == [0.1, 6.0] and got[4] == 6.0 and got[5] == [100.0]

        @tf.custom_gradient
        def reads_w(x):
            return x * w, lambda dy: dy

        with pytest.raises(TypeError, match="must accept keyword argument 'variables'"):
            reads_w(tf.constant(1.0))

        @tf.custom_gradient
        def too_few(x, y):
            return x + y, lambda dy: dy

        with pytest.raises(ValueError, match="expected to return 2 gradients but returned 1"):
            tf.gradients(too_few(a, b), a)


def test_custom_gradient_counts_only_variables_reached_differentiably():
    """TF's _get_dependent_variables walks back only through ops with gradients: a mask, a
    tf.where condition, a stop_gradient or a cond predicate made from a variable does not
    make grad_fn take ``variables`` (StyleGAN's nested leaky_relu)."""
    with tf.Graph().as_default():
        w = tf.Variable([1.0, -1.0], name="w")
        lod = tf.Variable(1.0, name="lod")

        def leaky_relu(x, alpha=0.2):
            @tf.custom_gradient
            def func(x):
                y = tf.maximum(x, x * alpha)

                @tf.custom_gradient
                def grad(dy):
                    return (tf.where(y >= 0, dy, dy * alpha),
                            lambda ddx: tf.where(y >= 0, ddx, ddx * alpha))
                return y, grad
            return func(x)

        @tf.custom_gradient
        def masked(x):
            return x * tf.cast(w > 0, tf.float32) + tf.stop_gradient(w), lambda dy: dy * 2.0

        x = tf.placeholder(tf.float32, [2])
        out = tf.reduce_sum(leaky_relu(x * w))
        branch = tf.cond(lod > 0.5, lambda: masked(x), lambda: x)
        got = run([out, tf.gradients(out, x)[0], tf.gradients(out, w)[0], branch,
                   tf.gradients(tf.reduce_sum(branch), x)[0]], {x: [2.0, 3.0]})
    with tf.Graph().as_default():  # TF registers Floor's gradient (None): its walk goes on
        w2 = tf.Variable(2.5, name="w2")

        @tf.custom_gradient
        def floored(x):
            return x * tf.floor(w2), lambda dy: dy

        with pytest.raises(TypeError, match=r"must accept keyword argument 'variables'.*w2"):
            floored(tf.constant(1.0))
    assert got[0] == pytest.approx(1.4)  # 2 + (-3 * 0.2)
    np.testing.assert_allclose(got[1], [1.0, -0.2])
    np.testing.assert_allclose(got[2], [2.0, 0.6])
    np.testing.assert_allclose(got[3], [3.0, -1.0])  # [2*1 + 1, 3*0 - 1]
    np.testing.assert_allclose(got[4], [2.0, 2.0])


@pytest.mark.parametrize("shape", [[4, 6], [6, 4], [3, 2, 5]])
def test_orthogonal_initializer(shape):
    with tf.Graph().as_default():
        v = tf.get_variable("w", shape, initializer=tf.orthogonal_initializer(gain=2.0, seed=1))
        m = run(v).reshape(-1, shape[-1])
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(len(gram)), atol=1e-5)  # gain^2 * I
    with tf.Graph().as_default(), pytest.raises(ValueError, match="at least two-dimensional"):
        tf.get_variable("v", [3], initializer=tf.initializers.orthogonal())


def test_uniform_unit_scaling_initializer():
    with tf.Graph().as_default():
        u = tf.get_variable("u", [300, 10],
                            initializer=tf.uniform_unit_scaling_initializer(factor=2.0, seed=1))
        got = run(u)
    limit = 2.0 * math.sqrt(3 / 300)  # factor * sqrt(3 / input size)
    assert np.abs(got).max() <= limit and np.abs(got).max() > 0.9 * limit


def _cosine_restarts(step, first=10, t_mul=2.0, m_mul=1.0, alpha=0.0):
    """SGDR by hand: walk the periods."""
    start, length, scale = 0.0, float(first), 1.0
    while step >= start + length:
        start, length, scale = start + length, length * t_mul, scale * m_mul
    frac = (step - start) / length
    return (1 - alpha) * 0.5 * scale * (1 + math.cos(math.pi * frac)) + alpha


def _linear_cosine(step, periods, alpha, beta, steps=100, lr=0.1):
    s = min(step, steps)
    cosine = 0.5 * (1 + math.cos(math.pi * 2 * periods * s / steps))
    return lr * ((alpha + (steps - s) / steps) * cosine + beta)


def test_cosine_schedules():
    with tf.Graph().as_default():
        g = tf.placeholder(tf.int64, [])
        outs = [tf.train.linear_cosine_decay(0.1, g, 100),
                tf.train.linear_cosine_decay(0.1, g, 100, num_periods=2.0, alpha=0.1,
                                             beta=0.01),
                tf.train.cosine_decay_restarts(0.1, g, 10),
                tf.train.cosine_decay_restarts(0.1, g, 10, t_mul=1.0, m_mul=0.5, alpha=0.05),
                tf.train.cosine_decay_restarts(0.1, g, 10, t_mul=3.0, m_mul=0.9)]
        noisy = tf.train.noisy_linear_cosine_decay(0.1, g, 100)
        assert [o.op.name for o in outs] == ["LinearCosineDecay", "LinearCosineDecay_1",
                                             "SGDRDecay", "SGDRDecay_1", "SGDRDecay_2"]
        assert tf.train.piecewise_constant_decay is tf.train.piecewise_constant
        with tf.Session() as sess:
            for step in (0, 5, 10, 29, 31, 75, 100, 150):
                got = sess.run(outs, {g: step})
                want = [_linear_cosine(step, 0.5, 0.0, 0.001),
                        _linear_cosine(step, 2.0, 0.1, 0.01),
                        0.1 * _cosine_restarts(step),
                        0.1 * _cosine_restarts(step, t_mul=1.0, m_mul=0.5, alpha=0.05),
                        0.1 * _cosine_restarts(step, t_mul=3.0, m_mul=0.9)]
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7, err_msg=str(step))
            draws = [sess.run(noisy, {g: 50}) for _ in range(300)]
    # At step 50: linear 0.5 and cosine 0.5, so the mean is 0.1 * (0.5 * 0.5 + 0.001); the
    # noise (variance 1 / 51 ** 0.55) is scaled by 0.1 * cosine.
    assert abs(np.mean(draws) - 0.1 * (0.5 * 0.5 + 0.001)) < 0.004
    assert abs(np.std(draws) - 0.05 * math.sqrt(51 ** -0.55)) < 0.004


def test_aggregation_method_and_unconnected_gradients():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2])
        zero, = tf.gradients(tf.constant(1.0), x,
                             unconnected_gradients=tf.UnconnectedGradients.ZERO)
        twice, = tf.gradients(x * 2 + x, x,
                              aggregation_method=tf.AggregationMethod.EXPERIMENTAL_TREE)
        np.testing.assert_array_equal(run([zero, twice], {x: [1.0, 2.0]}), [[0, 0], [3, 3]])
        with pytest.raises(ValueError, match="Invalid aggregation_method specified 7"):
            tf.gradients(x * 2, x, aggregation_method=7)
        assert tf.NoGradient is tf.NotDifferentiable


def test_compat_string_helpers():
    assert tf.compat.as_bytes("ab") == b"ab" and tf.compat.as_bytes(bytearray(b"x")) == b"x"
    assert tf.compat.as_text(b"\xc3\xa9") == "é" and tf.compat.as_str("s") == "s"
    assert tf.compat.as_str_any(3) == "3"
    with pytest.raises(TypeError, match="Expected binary or unicode string"):
        tf.compat.as_bytes(3)
    assert tf.compat.dimension_value(tf.TensorShape([3, None])[0]) == 3
