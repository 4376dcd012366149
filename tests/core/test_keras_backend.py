"""tf.keras backend math, losses, metrics and optimizers against numpy and hand-computed
updates (TF-free; the side-by-side run against tf_keras is test_keras_training.py's)."""

import numpy as np
import pytest

import minitf as tf
from minitf.keras import backend as K  # noqa: N812 - Keras' own spelling
from minitf.keras import losses, metrics, optimizers

from .keras_session import _fresh_graph, ev  # noqa: F401 - an autouse fixture

RNG = np.random.default_rng(3)
A = RNG.normal(size=(2, 3, 4)).astype(np.float32)
P = RNG.uniform(0.05, 0.95, size=(4, 3)).astype(np.float32)
T = RNG.uniform(0.0, 1.0, size=(4, 3)).astype(np.float32)
EPS = 1e-7


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


@pytest.mark.parametrize("fn, ref", [
    (lambda: K.dot(K.constant(A), K.constant(A[0].T)), lambda: A @ A[0].T),
    (lambda: K.batch_dot(K.constant(A), K.constant(A), axes=[2, 2]),
     lambda: np.einsum("bik,bjk->bij", A, A)),
    (lambda: K.batch_dot(K.constant(P), K.constant(T), axes=1),
     lambda: (P * T).sum(1, keepdims=True)),
    (lambda: K.sqrt(K.constant(A)), lambda: np.sqrt(np.clip(A, 0, None))),
    (lambda: K.std(K.constant(A), axis=1), lambda: A.std(1)),
    (lambda: K.var(K.constant(A), axis=-1, keepdims=True), lambda: A.var(-1, keepdims=True)),
    (lambda: K.clip(K.constant(A), 0.5, -1.0), lambda: np.full_like(A, 0.5)),
    (lambda: K.relu(K.constant(A), alpha=0.1, max_value=0.8, threshold=0.2),
     lambda: np.where(A >= 0.8, 0.8, np.where(A > 0.2, A, 0.1 * (A - 0.2)))),
    (lambda: K.elu(K.constant(A), 0.5), lambda: np.where(A > 0, A, 0.5 * (np.exp(A) - 1))),
    (lambda: K.hard_sigmoid(K.constant(A)), lambda: np.clip(0.2 * A + 0.5, 0, 1)),
    (lambda: K.softmax(K.constant(A), axis=1), lambda: softmax(A, 1)),
    (lambda: K.batch_flatten(K.constant(A)), lambda: A.reshape(2, 12)),
    (lambda: K.repeat(K.constant(P), 2), lambda: np.repeat(P[:, None], 2, 1)),
    (lambda: K.permute_dimensions(K.constant(A), (2, 0, 1)), lambda: A.transpose(2, 0, 1)),
    (lambda: K.one_hot(K.constant([1, 0, 3], dtype="int32"), 4), lambda: np.eye(4)[[1, 0, 3]]),
    (lambda: K.categorical_crossentropy(K.constant(T), K.constant(P)),
     lambda: -(T * np.log(np.clip(P / P.sum(-1, keepdims=True), EPS, 1 - EPS))).sum(-1)),
    (lambda: K.categorical_crossentropy(K.constant(T[:3]), K.constant(A[0, :, :3]), True),
     lambda: -(T[:3] * np.log(softmax(A[0, :, :3]))).sum(-1)),
    (lambda: K.sparse_categorical_crossentropy(K.constant([0, 2, 1, 1]), K.constant(P)),
     lambda: -np.log(softmax(np.log(P)))[np.arange(4), [0, 2, 1, 1]]),
    (lambda: K.binary_crossentropy(K.constant(T), K.constant(P)),
     lambda: -(T * np.log(P + EPS) + (1 - T) * np.log(1 - P + EPS))),
    (lambda: K.switch(K.constant(A) > 0, K.constant(A), -K.constant(A)), lambda: np.abs(A)),
    (lambda: K.in_train_phase(K.constant(1.0), K.constant(2.0)), lambda: np.float32(2.0)),
    (lambda: K.in_train_phase(lambda: K.constant(1.0), K.constant(2.0), training=1),
     lambda: np.float32(1.0)),
])
def test_backend_function_matches_numpy(fn, ref):
    np.testing.assert_allclose(ev(fn()), ref(), rtol=1e-5, atol=1e-6)


def test_backend_variables_shapes_and_function_with_updates():
    v = K.variable(np.ones((3, 2)), name="v")
    assert K.dtype(v) == "float32" and K.int_shape(v) == (3, 2) and K.ndim(v) == 2
    assert K.count_params(v) == 6
    x = K.placeholder(shape=(None, 3))
    assert K.is_placeholder(x) and K.int_shape(x) == (None, 3)
    f = K.function([x], [K.dot(x, v)], updates=[K.update_add(v, K.ones_like(v))])
    np.testing.assert_allclose(f([P[:, :3]])[0], P[:, :3] @ np.ones((3, 2)), rtol=1e-6)
    np.testing.assert_allclose(f([P[:, :3]])[0], P[:, :3] @ np.full((3, 2), 2.0), rtol=1e-6)
    K.set_value(v, np.zeros((3, 2)))
    assert ev(v).sum() == 0
    assert ev(K.zeros((2, 2))).shape == (2, 2) and ev(K.eye(3)).trace() == 3
    with pytest.raises(TypeError, match="list or tuple"):
        K.function(x, [x])
    # the learning phase is a fed placeholder: training-only branches see True when fed.
    out = K.in_train_phase(K.constant(1.0), K.constant(2.0))
    assert K.get_session().run(out, {K.learning_phase(): True}) == 1.0


def _np_losses(yt, yp):
    sq = lambda v: v * v  # noqa: E731
    signed = 2 * yt - 1 if set(np.unique(yt)) <= {0.0, 1.0} else yt
    return {
        "mse": sq(yp - yt).mean(-1),
        "mae": np.abs(yp - yt).mean(-1),
        "mape": 100 * np.abs((yt - yp) / np.maximum(np.abs(yt), EPS)).mean(-1),
        "msle": sq(np.log(np.maximum(yp, EPS) + 1) - np.log(np.maximum(yt, EPS) + 1)).mean(-1),
        "hinge": np.maximum(1 - signed * yp, 0).mean(-1),
        "squared_hinge": sq(np.maximum(1 - signed * yp, 0)).mean(-1),
        "categorical_hinge": np.maximum((1 - yt) * yp, 0).max(-1) * 0 + np.maximum(
            ((1 - yt) * yp).max(-1) - (yt * yp).sum(-1) + 1, 0),
        "kld": (np.clip(yt, EPS, 1) * np.log(np.clip(yt, EPS, 1) / np.clip(yp, EPS, 1))).sum(-1),
        "poisson": (yp - yt * np.log(yp + EPS)).mean(-1),
        "cosine_similarity": -(yt / np.linalg.norm(yt, axis=-1, keepdims=True) * yp
                               / np.linalg.norm(yp, axis=-1, keepdims=True)).sum(-1),
        "logcosh": np.log(np.cosh(yp - yt)).mean(-1),
        "huber": np.where(np.abs(yp - yt) <= 1, 0.5 * sq(yp - yt), np.abs(yp - yt) - 0.5
                          ).mean(-1),
        "binary_crossentropy": -(yt * np.log(yp + EPS) + (1 - yt) * np.log(1 - yp + EPS)
                                 ).mean(-1),
        "categorical_crossentropy": -(yt * np.log(yp / yp.sum(-1, keepdims=True))).sum(-1),
    }


@pytest.mark.parametrize("name", sorted(_np_losses(T, P)))
def test_loss_functions_match_numpy(name):
    for yt in (T, (T > 0.5).astype(np.float32)):
        np.testing.assert_allclose(ev(losses.get(name)(K.constant(yt), K.constant(P))),
                                   _np_losses(yt, P)[name], rtol=1e-4, atol=1e-5)


def test_loss_classes_reduce_with_sample_weights():
    w = np.array([1.0, 0.0, 2.0, 0.5], np.float32)
    per = _np_losses(T, P)["mse"]
    assert np.isclose(ev(losses.MeanSquaredError()(T, P, sample_weight=w)), (per * w).sum() / 4)
    assert np.isclose(ev(losses.MeanSquaredError(reduction="sum")(T, P, w)), (per * w).sum())
    np.testing.assert_allclose(ev(losses.MeanSquaredError(reduction="none")(T, P, w)), per * w,
                               rtol=1e-6)
    huber = losses.Huber(delta=0.1)
    assert huber.get_config()["delta"] == 0.1
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.serialize(losses.mse) == "mean_squared_error"
    assert type(losses.deserialize(losses.serialize(huber))) is losses.Huber
    with pytest.raises(ValueError, match="Unknown loss function: nope"):
        losses.get("nope")
    with pytest.raises(ValueError, match="Invalid Reduction Key"):
        losses.MeanSquaredError(reduction="mean")


def test_metric_functions_and_stateful_classes():
    yt = np.eye(3, dtype=np.float32)[[0, 2, 1, 1]]
    yp = np.array([[.8, .1, .1], [.2, .3, .5], [.6, .3, .1], [.1, .5, .4]], np.float32)
    np.testing.assert_array_equal(ev(metrics.categorical_accuracy(yt, yp)), [1, 1, 0, 1])
    np.testing.assert_array_equal(ev(metrics.sparse_categorical_accuracy(
        K.constant([[0], [2], [1], [1]]), K.constant(yp))), [1, 1, 0, 1])
    np.testing.assert_array_equal(ev(metrics.top_k_categorical_accuracy(yt, yp, k=2)),
                                  [1, 1, 1, 1])
    np.testing.assert_array_equal(ev(metrics.binary_accuracy(K.constant([[1.0], [0.0]]),
                                                             K.constant([[0.7], [0.6]]))),
                                  [1, 0])
    mean = metrics.Mean()
    K.get_session().run(mean.update_state([1.0, 2.0, 3.0], sample_weight=[1.0, 0.0, 1.0]))
    assert ev(mean.result()) == 2.0
    mean.reset_states()
    assert ev(mean.result()) == 0.0
    precision, recall = metrics.Precision(), metrics.Recall(thresholds=[0.5, 0.9])
    labels = K.constant([1.0, 0.0, 1.0, 1.0])
    preds = K.constant([0.95, 0.8, 0.2, 0.7])
    assert np.isclose(ev(precision(labels, preds)), 2 / 3)
    np.testing.assert_allclose(ev(recall(labels, preds)), [2 / 3, 1 / 3], rtol=1e-6)
    acc = metrics.SparseCategoricalAccuracy()
    assert acc.name == "sparse_categorical_accuracy"
    assert ev(acc(K.constant([[0], [1], [1], [1]]), K.constant(yp))) == 0.5


def _one_step(opt, w0, grad):
    w = K.variable(w0)
    # loss = sum(grad * w): its gradient is ``grad`` whatever w is
    update = opt.get_updates(K.sum(K.constant(grad) * w), [w])
    K.get_session().run(update)
    return ev(w)


def test_optimizer_steps_match_hand_computed_updates():
    w0 = np.array([1.0, -2.0], np.float32)
    g = np.array([0.5, -0.25], np.float32)
    np.testing.assert_allclose(_one_step(optimizers.SGD(0.1), w0, g), w0 - 0.1 * g)
    # Keras momentum: accum = m * 0 - lr * g; nesterov: var += m * accum - lr * g.
    acc = -0.1 * g
    np.testing.assert_allclose(_one_step(optimizers.SGD(0.1, momentum=0.9, nesterov=True), w0,
                                         g), w0 + 0.9 * acc - 0.1 * g, rtol=1e-6)
    # Adam's first step: m = 0.1 g, v = 0.001 g^2, lr_t = lr sqrt(1 - b2) / (1 - b1).
    m, v = 0.1 * g, 0.001 * g * g
    lr_t = 0.01 * np.sqrt(1 - 0.999) / (1 - 0.9)
    np.testing.assert_allclose(_one_step(optimizers.Adam(0.01), w0, g),
                               w0 - lr_t * m / (np.sqrt(v) + 1e-7), rtol=1e-5)
    ms = 0.1 * g * g
    np.testing.assert_allclose(_one_step(optimizers.RMSprop(0.01), w0, g),
                               w0 - 0.01 * g / (np.sqrt(ms) + 1e-7), rtol=1e-5)
    acc = 0.1 + g * g
    np.testing.assert_allclose(_one_step(optimizers.Adagrad(0.1), w0, g),
                               w0 - 0.1 * g / (np.sqrt(acc) + 1e-7), rtol=1e-5)
    np.testing.assert_allclose(_one_step(optimizers.Adamax(0.01), w0, g),
                               w0 - 0.01 / 0.1 * (0.1 * g) / (np.abs(g) + 1e-7), rtol=1e-5)


def test_optimizer_identifiers_config_and_lr_variable():
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    adam = optimizers.Adam(lr=0.05)
    assert adam.get_config()["learning_rate"] == 0.05 and adam.epsilon == 1e-7
    K.set_value(adam.lr, 0.5)
    assert np.isclose(ev(adam.learning_rate), 0.5)
    again = optimizers.deserialize(optimizers.serialize(adam))
    assert isinstance(again, optimizers.Adam) and np.isclose(again.get_config()[
        "learning_rate"], 0.5)
    assert isinstance(optimizers.get(tf.train.AdamOptimizer(0.1)), optimizers.TFOptimizer)
    with pytest.raises(ValueError, match="Unknown optimizer: nope"):
        optimizers.get("nope")
    with pytest.raises(TypeError, match="Unexpected keyword argument"):
        optimizers.SGD(0.1, bogus=1)


def test_optimizer_applies_constraint_after_update_and_rejects_no_gradient():
    w = tf.Variable([3.0, -3.0], constraint=lambda v: tf.clip_by_value(v, -1.0, 1.0),
                    use_resource=True)
    K.track_variable(w)
    update = optimizers.SGD(0.1).get_updates(tf.reduce_sum(w), [w])
    K.get_session().run(update)
    np.testing.assert_allclose(ev(w), [1.0, -1.0])
    other = K.variable(1.0)
    with pytest.raises(ValueError, match="has `None` for gradient"):
        optimizers.SGD().get_updates(K.sum(w), [other])


def test_keras_session_is_per_thread():
    import threading

    with tf.Graph().as_default():
        mine = tf.keras.backend.get_session()
        theirs = []

        def other():
            with tf.Graph().as_default():  # another thread, another graph
                theirs.append(tf.keras.backend.get_session())

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(10)
        assert theirs and theirs[0] is not mine
        assert tf.keras.backend.get_session() is mine  # not replaced by the other thread's
    tf.keras.backend.set_session(None)


def test_a_graph_keras_used_is_freed_with_its_last_reference():
    import gc
    import weakref

    graph = tf.Graph()
    with graph.as_default():
        tf.keras.layers.Dense(2)(tf.keras.Input((3,)))  # tracked variables
        tf.keras.backend.learning_phase()
        tf.keras.backend.get_uid("dense")
    gone = weakref.ref(graph)
    del graph
    gc.collect()
    assert gone() is None
