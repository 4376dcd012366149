"""tf.contrib.layers utilities: initializers, regularizers, optimize_loss and summaries
(hand-computed values; side by side with tf_slim, TF 1.x's contrib.layers code)."""

import math

import numpy as np
import pytest

import minitf as tf

layers = tf.contrib.layers


def _run(fetches, init=True, feed=None):
    with tf.Session() as sess:
        if init:
            sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


# -- initializers ---------------------------------------------------------------------------------

def test_variance_scaling_statistics_and_bounds():
    with tf.Graph().as_default():
        tf.set_random_seed(5)
        # fan_in = 3 * 3 * 40 = 360, fan_out = 3 * 3 * 50 = 450
        normal = layers.variance_scaling_initializer(factor=2.0, mode="FAN_IN")([3, 3, 40, 50])
        uniform = layers.variance_scaling_initializer(factor=1.0, mode="FAN_OUT", uniform=True,
                                                      seed=3)([3, 3, 40, 50])
        xavier = layers.xavier_initializer(seed=1)([300, 500])
        xavier_n = layers.xavier_initializer_conv2d(uniform=False, seed=1)([300, 500])
        scalar = layers.variance_scaling_initializer(mode="FAN_AVG")([])
        a, b, c, d, e = _run([normal, uniform, xavier, xavier_n, scalar], init=False)
    std = math.sqrt(1.3 * 2.0 / 360)  # TF 1.x's truncated normal: 1.3 correction
    assert np.abs(a).max() <= 2 * std + 1e-6
    # a normal truncated at 2 sigma has 0.8796 of the untruncated standard deviation
    assert a.std() == pytest.approx(0.8796 * std, rel=0.03)
    limit = math.sqrt(3.0 / 450)
    assert np.abs(b).max() <= limit and b.std() == pytest.approx(limit / math.sqrt(3), rel=0.03)
    limit = math.sqrt(6.0 / 800)
    assert np.abs(c).max() <= limit and c.std() == pytest.approx(limit / math.sqrt(3), rel=0.02)
    assert d.std() == pytest.approx(0.8796 * math.sqrt(1.3 * 2.0 / 800), rel=0.02)
    assert e.shape == () and abs(e) <= 2 * math.sqrt(1.3 * 2.0)
    assert layers.xavier_initializer_conv2d is layers.xavier_initializer


def test_variance_scaling_errors():
    with pytest.raises(TypeError, match="Cannot create initializer for non-floating point"):
        layers.variance_scaling_initializer(dtype=tf.int32)
    with pytest.raises(TypeError, match=r"Unknown mode fan_in \[FAN_IN, FAN_OUT, FAN_AVG\]"):
        layers.variance_scaling_initializer(mode="fan_in")
    init = layers.xavier_initializer()
    with tf.Graph().as_default(), pytest.raises(TypeError, match="non-floating point"):
        init([2, 2], dtype=tf.int32)


def _random_op_constants(graph):
    """(name, op type, seed attrs, its scope's min/max/mean/stddev constants) of each random
    op of ``graph`` (minitf's or TF's)."""
    found = []
    for op in graph.get_operations():
        if op.type in ("RandomUniform", "TruncatedNormal"):
            scope = op.name.rsplit("/", 1)[0]
            values = sorted(round(float(_const(o)), 6) for o in graph.get_operations()
                            if o.name.startswith(scope + "/") and o.type == "Const"
                            and o.name.rsplit("/", 1)[1] in ("min", "max", "stddev", "mean"))
            found.append((op.name, op.type, op.get_attr("seed"), op.get_attr("seed2"), values))
    return found


def _const(op):
    value = op.get_attr("value")
    if hasattr(value, "tensor_shape"):  # a TF TensorProto
        from tensorflow.python.framework import tensor_util

        return tensor_util.MakeNdarray(value)
    return np.asarray(value)


def test_initializer_graphs_match_tf_slim():
    """TF's stateful random streams are not minitf's, so the comparison is of what the
    initializers build: op names, types, seeds and the scale constants."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    slim = pytest.importorskip("tf_slim")

    def build(lib, lay):
        lib.set_random_seed(9)
        lib.get_variable("w", [4, 3], initializer=lay.variance_scaling_initializer(seed=1))
        lib.get_variable("x", [5, 6, 2, 3], initializer=lay.xavier_initializer(uniform=False))
        lib.get_variable("u", [7], initializer=lay.variance_scaling_initializer(
            factor=3.0, mode="FAN_OUT", uniform=True, seed=4))
        lib.get_variable("c", [2, 8], initializer=lay.xavier_initializer(seed=2))
        return lib.get_default_graph()

    with tf1.Graph().as_default():
        theirs = _random_op_constants(build(tf1, slim))
    with tf.Graph().as_default():
        mine = _random_op_constants(build(tf, layers))
    assert mine == theirs and len(mine) == 4


# -- regularizers ---------------------------------------------------------------------------------

W = np.array([[1.0, -2.0], [3.0, -4.0]], np.float32)


def test_regularizer_values_and_names():
    with tf.Graph().as_default():
        w = tf.constant(W)
        l1 = layers.l1_regularizer(0.5)(w)
        l2 = layers.l2_regularizer(0.5)(w)
        l1l2 = layers.l1_l2_regularizer(0.5, 0.25)(w)
        only_l2 = layers.l1_l2_regularizer(0.0, 0.25)(w)
        summed = layers.sum_regularizer([layers.l1_regularizer(1.0), None,
                                         layers.l2_regularizer(0.0)], scope="s")(w)
        assert l1.op.name == "l1_regularizer" and l2.op.name == "l2_regularizer"
        assert l1l2.op.name == "l1_l2_regularizer" and summed.op.name == "s"
        assert only_l2.op.name == "l1_l2_regularizer_1"
        got = _run([l1, l2, l1l2, only_l2, summed], init=False)
    l1_ref, l2_ref = np.abs(W).sum(), (W ** 2).sum() / 2
    np.testing.assert_allclose(got, [0.5 * l1_ref, 0.5 * l2_ref, 0.5 * l1_ref + 0.25 * l2_ref,
                                     0.25 * l2_ref, l1_ref], rtol=1e-6)


def test_regularizer_errors_and_disabled_scales():
    with pytest.raises(ValueError, match="scale cannot be an integer: 1"):
        layers.l1_regularizer(1)
    with pytest.raises(ValueError, match="scale cannot be an integer: 2"):
        layers.l2_regularizer(2)
    with pytest.raises(ValueError, match=r"Setting a scale less than 0 on a regularizer: -0.5$"):
        layers.l1_regularizer(-0.5)
    with pytest.raises(ValueError, match=r"Setting a scale less than 0 on a regularizer: -1\."):
        layers.l2_regularizer(-1.0)
    with pytest.raises(ValueError, match="scale_l1 cannot be an integer: 1"):
        layers.l1_l2_regularizer(1, 1.0)
    with pytest.raises(ValueError, match="scale_l2 cannot be an integer: 1"):
        layers.l1_l2_regularizer(1.0, 1)
    assert layers.l1_regularizer(0.0)(None) is None
    assert layers.l2_regularizer(0.0)(None) is None
    assert layers.sum_regularizer([None]) is None
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="No weights to regularize."):
            layers.apply_regularization(layers.l2_regularizer(1.0))
        with pytest.raises(ValueError, match="regularizer must return a scalar Tensor instead "
                                             "of a Tensor with rank 2"):
            layers.apply_regularization(lambda w: w * 2.0, [tf.constant(W)])


def test_apply_regularization_sums_and_collects():
    with tf.Graph().as_default():
        a = tf.Variable(W, name="a")
        b = tf.Variable(np.ones(3, np.float32), name="b")
        tf.add_to_collection(tf.GraphKeys.WEIGHTS, a)
        tf.add_to_collection(tf.GraphKeys.WEIGHTS, b)
        penalty = layers.apply_regularization(layers.l1_regularizer(0.1))
        zero = layers.apply_regularization(layers.l1_regularizer(0.0), [a])
        assert penalty.op.name == "get_regularization_penalty"
        assert tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES) == [penalty, zero]
        got = _run([penalty, zero])
    np.testing.assert_allclose(got, [0.1 * (10.0 + 3.0), 0.0], rtol=1e-6)


def test_regularizers_match_tf_slim():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    slim = pytest.importorskip("tf_slim")

    def build(lib, lay):
        w = lib.constant(W)
        v = lib.constant(W.T * 3)
        regs = [lay.l1_regularizer(0.3), lay.l2_regularizer(0.7),
                lay.l1_l2_regularizer(0.2, 0.4), lay.sum_regularizer(
                    [lay.l1_regularizer(0.1), lay.l2_regularizer(0.2)])]
        outs = [r(w) for r in regs] + [lay.apply_regularization(regs[2], [w, v])]
        return outs, [t.op.name for t in outs]

    with tf1.Graph().as_default():
        outs, their_names = build(tf1, slim)
        with tf1.Session() as sess:
            theirs = sess.run(outs)
    with tf.Graph().as_default():
        outs, my_names = build(tf, layers)
        mine = _run(outs, init=False)
    assert my_names == their_names
    np.testing.assert_allclose(mine, theirs, rtol=1e-6)


# -- optimize_loss --------------------------------------------------------------------------------

X = np.array([[1.0, 2.0, -1.0], [0.5, -1.0, 2.0], [2.0, 0.0, 1.0], [-1.0, 1.0, 0.5]], np.float32)
Y = np.array([[1.0], [-2.0], [0.5], [3.0]], np.float32)
W0 = np.array([[0.3], [-0.2], [0.1]], np.float32)


def _configs(lib, lay, w, b, counter):
    """optimize_loss's ways of being called (the model's variables given for multipliers)."""
    train = lib.train
    return [
        dict(learning_rate=0.1, optimizer="SGD"),
        dict(learning_rate=0.05, optimizer="Adam", clip_gradients=0.5,
             summaries=list(lay.OPTIMIZER_SUMMARIES)),
        dict(learning_rate=lib.constant(0.1), optimizer=train.AdagradOptimizer,
             gradient_multipliers={w: 0.5, "model/b:0": 2.0}, summaries=["gradients"]),
        dict(learning_rate=0.2, optimizer=lambda lr: train.RMSPropOptimizer(lr, decay=0.8),
             learning_rate_decay_fn=lambda lr, step: train.exponential_decay(lr, step, 2, 0.5),
             name="Custom"),
        dict(learning_rate=None, optimizer=lambda: train.GradientDescentOptimizer(0.05),
             clip_gradients=lay.adaptive_clipping_fn(decay=0.5, static_max_norm=2.0),
             increment_global_step=False, update_ops=[lib.assign_add(counter, 1.0)]),
        dict(learning_rate=0.3, optimizer="Momentum", gradient_noise_scale=0.0,
             clip_gradients=lambda gv: [(g * 0.5, v) for g, v in gv]),
        dict(learning_rate=0.1, optimizer="Ftrl", summaries=["loss", "gradient_norm"]),
        dict(learning_rate=None, optimizer=train.GradientDescentOptimizer(0.3), variables=[w],
             colocate_gradients_with_ops=True, summaries=[]),
        dict(learning_rate=0.01, optimizer="RMSProp"),
    ]


def _train(lib, lay, index, steps=3):
    """Builds config ``index`` and runs ``steps`` training steps; returns what to compare."""
    x, y = lib.constant(X), lib.constant(Y)
    with lib.variable_scope("model"):
        w = lib.get_variable("w", [3, 1], initializer=lib.constant_initializer(W0))
        b = lib.get_variable("b", [1], initializer=lib.zeros_initializer())
    counter = lib.Variable(0.0, trainable=False, name="counter")
    loss = lib.reduce_mean(lib.square(lib.matmul(x, w) + b - y))
    step = lib.train.get_or_create_global_step()
    train_op = lay.optimize_loss(loss, step, **_configs(lib, lay, w, b, counter)[index])
    graph = lib.get_default_graph()
    with lib.Session() as sess:
        sess.run(lib.global_variables_initializer())
        losses = [sess.run(train_op) for _ in range(steps)]
        values = sess.run([w, b, step, counter])
    names = sorted(v.op.name for v in lib.global_variables())
    summaries = [s.op.name for s in graph.get_collection(lib.GraphKeys.SUMMARIES)]
    return losses, values, names, summaries, train_op.op.name


def test_optimize_loss_sgd_by_hand():
    with tf.Graph().as_default():
        losses, (w, b, step, _), names, summaries, op_name = _train(tf, layers, 0, steps=2)
    w_ref, b_ref = W0.astype(np.float64), np.zeros(1)
    ref_losses = []
    for _ in range(2):
        err = X @ w_ref + b_ref - Y
        ref_losses.append(np.mean(err ** 2))
        w_ref = w_ref - 0.1 * 2 * X.T @ err / len(X)
        b_ref = b_ref - 0.1 * 2 * err.mean(0)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    np.testing.assert_allclose(w, w_ref, rtol=1e-5)
    np.testing.assert_allclose(b, b_ref, rtol=1e-5)
    assert step == 2
    assert "OptimizeLoss/learning_rate" in names
    # the learning rate is summarized only when decayed (as TF 1.x)
    assert summaries == ["OptimizeLoss/global_norm/gradient_norm", "OptimizeLoss/loss"]
    assert op_name.startswith("OptimizeLoss/")


@pytest.mark.parametrize("index", range(9))
def test_optimize_loss_runs_every_way(index):
    with tf.Graph().as_default():
        losses, (w, b, step, counter), names, summaries, _ = _train(tf, layers, index)
    assert losses[-1] < losses[0]
    assert step == (0 if index == 4 else 3)
    assert counter == (3.0 if index == 4 else 0.0)
    if index == 7:  # only w was trained
        assert b == 0.0


def test_optimize_loss_errors():
    with tf.Graph().as_default():
        loss = tf.reduce_sum(tf.get_variable("v", [2]))
        step = tf.train.get_or_create_global_step()
        with pytest.raises(ValueError, match="Expected scalar shape"):
            layers.optimize_loss(tf.ones([2]), step, 0.1, "SGD")
        with pytest.raises(TypeError, match="does not have integer type"):
            layers.optimize_loss(loss, tf.constant(1.0), 0.1, "SGD")
        with pytest.raises(ValueError, match="Invalid learning_rate -0.1."):
            layers.optimize_loss(loss, step, -0.1, "SGD")
        with pytest.raises(ValueError, match="Learning rate should be 0d Tensor or float. Got 1"):
            layers.optimize_loss(loss, step, 1, "SGD")
        lr = tf.Variable(0.5, trainable=False, name="lr")
        # as TF 1.x: a Variable is not a Tensor (tf_slim refuses one too); its value is
        with pytest.raises(ValueError, match="Learning rate should be 0d Tensor or float"):
            layers.optimize_loss(loss, step, lr, "SGD")
        with pytest.raises(ValueError, match="Learning rate should be 0d Tensor or float"):
            layers.optimize_loss(loss, step, tf.constant([0.1]), "SGD")
        by_variable = layers.optimize_loss(loss, step, lr.value(), "SGD", name="ByVariable")
        with pytest.raises(ValueError, match=r"Optimizer name should be one of \[Adagrad, Adam, "
                                             r"Ftrl, Momentum, RMSProp, SGD\], you provided X."):
            layers.optimize_loss(loss, step, 0.1, "X")
        with pytest.raises(ValueError, match="Learning rate is None, but should be specified "
                                             "if optimizer is string"):
            layers.optimize_loss(loss, step, None, "SGD")
        with pytest.raises(ValueError, match="if optimizer is class"):
            layers.optimize_loss(loss, step, None, tf.train.AdamOptimizer)
        with pytest.raises(ValueError, match="function should return subclass of Optimizer"):
            layers.optimize_loss(loss, step, None, lambda: 3)
        with pytest.raises(ValueError, match="Unrecognized optimizer: should be string"):
            layers.optimize_loss(loss, step, 0.1, 42)
        with pytest.raises(ValueError, match="Summaries should be one of"):
            layers.optimize_loss(loss, step, 0.1, "SGD", summaries=["nope"])
        with pytest.raises(ValueError, match="Unknown type <class 'int'> for clip_gradients"):
            layers.optimize_loss(loss, step, 0.1, "SGD", clip_gradients=1)
        with pytest.raises(ValueError, match="No variables to optimize"):
            layers.optimize_loss(loss, step, 0.1, "SGD", variables=[])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            v0 = sess.run("v:0")
            sess.run(by_variable)
            sess.run(lr.assign(0.25))
            sess.run(by_variable)
            # d sum(v) / dv = 1: one step at the variable's 0.5, then one at its new 0.25
            np.testing.assert_allclose(sess.run("v:0"), v0 - 0.75, rtol=1e-6)
    with tf.Graph().as_default():
        loss = tf.reduce_sum(tf.get_variable("v", [2]))
        with pytest.raises(ValueError, match="global_step is required for "
                                             "learning_rate_decay_fn."):
            layers.optimize_loss(loss, None, 0.1, "SGD",
                                 learning_rate_decay_fn=lambda lr, s: lr)
    assert sorted(layers.OPTIMIZER_CLS_NAMES) == ["Adagrad", "Adam", "Ftrl", "Momentum",
                                                   "RMSProp", "SGD"]


def test_gradient_noise_is_added():
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        v = tf.get_variable("v", [3], initializer=tf.zeros_initializer())
        loss = tf.reduce_sum(v)
        train = layers.optimize_loss(loss, None, 1.0, "SGD", gradient_noise_scale=0.5,
                                     summaries=[])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(train)
            got = sess.run(v)
    noise = -got - 1.0  # v = -(1 + noise)
    assert np.all(np.abs(noise) <= 2 * 0.5) and np.any(noise != 0)


@pytest.mark.parametrize("index", range(9))
def test_optimize_loss_matches_tf_slim(index, monkeypatch):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    slim = pytest.importorskip("tf_slim")
    from tensorflow.python.framework import ops

    # tf_slim 1.1's optimize_loss still names ops.Tensor / ops.IndexedSlices, which TF 2.21
    # moved elsewhere
    monkeypatch.setattr(ops, "Tensor", tf1.Tensor, raising=False)
    monkeypatch.setattr(ops, "IndexedSlices", tf1.IndexedSlices, raising=False)
    with tf1.Graph().as_default():
        theirs = _train(tf1, slim, index)
    with tf.Graph().as_default():
        mine = _train(tf, layers, index)
    np.testing.assert_allclose(mine[0], theirs[0], rtol=2e-5)  # losses
    for got, want in zip(mine[1], theirs[1]):  # w, b, global step, update-op counter
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-7)
    assert mine[2] == theirs[2]  # global variables (slots, learning rate, moving averages)
    assert mine[3] == theirs[3]  # summary op names
    assert mine[4] == theirs[4]  # the train op's name


# -- summaries ------------------------------------------------------------------------------------

def _summarize(lib, lay):
    """Summaries of activations, tensors and a collection; returns the summary ops."""
    pre = lib.constant([[-1.0, 2.0, 7.0], [8.0, -3.0, 0.5]], name="pre")
    relu6 = lib.nn.relu6(pre, name="act6")
    relu = lib.nn.relu(pre, name="act")
    tanh = lib.tanh(pre, name="th")
    for t in (relu6, tanh):
        lib.add_to_collection(lib.GraphKeys.ACTIVATIONS, t)
    out = [lay.summarize_activation(relu)]
    out += lay.summarize_activations(name_filter="act")  # the tanh is filtered out
    scalar = lib.reduce_sum(pre, name="total")
    out += [lay.summarize_tensor(scalar), lay.summarize_tensor(pre, tag="pre_hist")]
    assert lay.summarize_tensor(lib.constant(["a"])) is None
    assert lay.summarize_tensor(lib.constant([True])) is None
    lib.add_to_collection("mine", scalar)
    lib.add_to_collection("mine", tanh)
    out += lay.summarize_collection("mine")
    out += lay.summarize_tensors([relu, scalar])
    return [s for s in lib.get_collection(lib.GraphKeys.SUMMARIES)], out


def _describe(summary_bytes, parse):
    """(tag, simple value or histogram count/min/max) of each value of a serialized Summary."""
    described = []
    for value in parse(summary_bytes).value:
        if value.HasField("histo"):
            described.append((value.tag, value.histo.num, round(value.histo.min, 5),
                              round(value.histo.max, 5)))
        else:
            described.append((value.tag, round(value.simple_value, 6)))
    return described


def test_summaries_tags_and_values():
    with tf.Graph().as_default():
        collected, out = _summarize(tf, layers)
        assert [s.op.name for s in out] == [
            "act/activation", "act6/activation", "total_summary", "pre_hist", "total_summary_1",
            "th_summary", "act_summary", "total_summary_2"]
        got = _run(collected, init=False)
    described = [d for s in got for d in _describe(s, tf.Summary.FromString)]
    assert described[:6] == [
        ("act/zeros", 0.333333), ("act/activation", 6, 0.0, 8.0),
        ("act6/zeros", 0.333333), ("act6/sixes", 0.333333), ("act6/activation", 6, 0.0, 6.0),
        ("total_summary", 13.5)]
    assert described[6] == ("pre_hist", 6, -3.0, 8.0)


def test_summaries_match_tf_slim():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    slim = pytest.importorskip("tf_slim")
    with tf1.Graph().as_default():
        collected, out = _summarize(tf1, slim)
        their_names = [s.op.name for s in collected + out]
        with tf1.Session() as sess:
            theirs = [_describe(s, tf1.Summary.FromString) for s in sess.run(collected)]
    with tf.Graph().as_default():
        collected, out = _summarize(tf, layers)
        my_names = [s.op.name for s in collected + out]
        mine = [_describe(s, tf.Summary.FromString) for s in _run(collected, init=False)]
    assert my_names == their_names
    assert mine == theirs


def test_optimize_loss_edge_cases_from_tf_tests():
    """Cases of TF 1.x's optimizers_test: no-gradient variables, wrong optimizers, a
    placeholder gradient multiplier, a None loss."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [])
        var = tf.get_variable("test", [], initializer=tf.constant_initializer(10.0))
        loss = tf.abs(var * x)
        step = tf.train.get_or_create_global_step()
        unused = tf.get_variable("ignore_me", [])
        layers.optimize_loss(loss, step, 0.1, "SGD", gradient_noise_scale=10.0,
                             gradient_multipliers={unused: 1.0}, clip_gradients=10.0)
        for optimizer in ["blah", tf.Variable, object(), lambda lr: None]:
            with pytest.raises(ValueError):
                layers.optimize_loss(loss, step, 0.1, optimizer)
        with pytest.raises(ValueError):
            layers.optimize_loss(None, step, 0.1, "SGD")
        multiplier = tf.placeholder(tf.float32, [])
        train = layers.optimize_loss(loss, step, 0.1, "SGD",
                                     gradient_multipliers={var: multiplier})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(train, {x: 5.0, multiplier: 7.0})
            # d|var * x|/dvar = 5; 10 - 0.1 * 7 * 5
            assert sess.run(var) == pytest.approx(6.5) and sess.run(step) == 1


def test_adaptive_clipping_statistics_and_spikes():
    with tf.Graph().as_default():
        scale = 2.0
        grad = tf.ones([3, 4]) * scale
        log_norm = np.log(np.sqrt(scale ** 2 * 12))
        clipped = layers.adaptive_clipping_fn(decay=0.5)([(grad, grad)])
        stats = {v.op.name: v for v in tf.global_variables()}
        assert sorted(stats) == ["AdaptiveMaxNorm/mean", "AdaptiveMaxNorm/sq_mean"]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(20):
                mean, sq_mean, _ = sess.run([stats["AdaptiveMaxNorm/mean"],
                                             stats["AdaptiveMaxNorm/sq_mean"], clipped[0][0]])
        assert float(mean) == pytest.approx(log_norm, abs=1e-4)
        assert float(sq_mean) == pytest.approx(log_norm ** 2, abs=1e-4)
    with tf.Graph().as_default():
        multiplier = tf.placeholder(tf.float32, [])
        step = tf.placeholder(tf.int32, [])
        grad = tf.ones([3, 4]) * multiplier
        clipped = layers.adaptive_clipping_fn(decay=0.9, global_step=step)([(grad, grad)])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())

            def run(value, i):
                return sess.run(clipped[0][0], {multiplier: value, step: i})

            for i in range(20):
                value = [1.0, -2.0][i % 2]
                got = run(value, i)
                if i > 3:
                    np.testing.assert_allclose(got, np.full((3, 4), value), rtol=1e-5)
            assert (run(1000.0, 20) < 25.0).all()  # a spike is clipped
            for i in range(10):
                got = run(1000.0, i + 21)
            np.testing.assert_allclose(got, np.full((3, 4), 1000.0), rtol=1e-4)
