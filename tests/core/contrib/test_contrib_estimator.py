"""tf.contrib.estimator: add_metrics (metric values against numpy from the trained weights),
forward_features (features carried into predictions and export outputs; TF's errors),
clip_gradients_by_norm (hand-computed clipped steps), the head factories (losses, predictions
and metrics against numpy written from the formulas), the export wrappers and the
early-stopping re-exports as TF1 programs (tf_ner) call them."""

from __future__ import annotations

import os

import numpy as np
import pytest

import minitf as tf

ce = tf.contrib.estimator
Modes = tf.estimator.ModeKeys
RNG = np.random.RandomState(5)
X = RNG.randn(12, 3).astype(np.float32)
Y = (X @ np.array([1.0, -2.0, 0.5], np.float32) + 0.25).astype(np.float32)
IDS = np.arange(100, 112, dtype=np.int64)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default() as g:
        yield g
    tf.summary.FileWriterCache.clear()


def _model_fn(features, labels, mode, params):
    w = tf.get_variable("w", [3, 1], initializer=tf.zeros_initializer())
    b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
    pred = tf.squeeze(tf.matmul(features["x"], w) + b, 1)
    if mode == Modes.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": pred})
    loss = tf.losses.mean_squared_error(labels, pred)
    train_op = tf.train.GradientDescentOptimizer(params["lr"]).minimize(
        loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(
        mode, loss=loss, train_op=train_op, predictions={"y": pred},
        eval_metric_ops={"mae": tf.metrics.mean_absolute_error(labels, pred)})


def _estimator(model_dir):
    return tf.estimator.Estimator(_model_fn, model_dir=str(model_dir), params={"lr": 0.1},
                                  config=tf.estimator.RunConfig(log_step_count_steps=None))


def _input(labels=True, epochs=None, **extra):
    features = {"x": X, "id": IDS, **extra}
    return tf.estimator.inputs.numpy_input_fn(features, Y if labels else None,
                                              batch_size=len(X), num_epochs=epochs,
                                              shuffle=False)


def _numpy_pred(est):
    return (X @ est.get_variable_value("w") + est.get_variable_value("b")).ravel()


# -- add_metrics --------------------------------------------------------------------------------
def test_add_metrics_values_match_numpy(tmp_path):
    est = _estimator(tmp_path).train(_input(), steps=5)
    seen = {}

    def metric_fn(labels, predictions, features, config):
        seen["config"] = config
        err = labels - predictions["y"]
        return {"mse": tf.metrics.mean(tf.square(err)),
                "mae": tf.metrics.mean(tf.abs(err) * 2.0),  # replaces the model's "mae"
                "weighted": tf.metrics.mean(err, weights=tf.cast(features["id"], tf.float32))}

    extended = ce.add_metrics(est, metric_fn)
    assert extended.model_dir == est.model_dir
    result = extended.evaluate(_input(epochs=1))
    err = Y - _numpy_pred(est)
    np.testing.assert_allclose(result["mse"], np.mean(err ** 2), rtol=1e-5)
    np.testing.assert_allclose(result["mae"], 2 * np.mean(np.abs(err)), rtol=1e-5)
    np.testing.assert_allclose(result["weighted"], np.sum(err * IDS) / IDS.sum(), rtol=1e-5)
    np.testing.assert_allclose(result["loss"], np.mean(err ** 2), rtol=1e-5)
    assert result["global_step"] == 5 and seen["config"].model_dir == est.model_dir
    # Training through the extended estimator is the model's (params reach model_fn).
    extended.train(_input(), steps=1)
    assert est.get_variable_value("global_step") == 6


def test_add_metrics_rejects_unknown_args(tmp_path):
    with pytest.raises(ValueError, match=r"has following not expected args: \['mode'\]"):
        ce.add_metrics(_estimator(tmp_path), lambda labels, mode: {})


# -- forward_features ---------------------------------------------------------------------------
def test_forward_features_into_predictions(tmp_path):
    est = _estimator(tmp_path).train(_input(), steps=3)
    forwarded = ce.forward_features(est, "id")
    rows = list(forwarded.predict(_input(labels=False, epochs=1)))
    assert [r["id"] for r in rows] == list(IDS) and set(rows[0]) == {"y", "id"}
    np.testing.assert_allclose([r["y"] for r in rows], _numpy_pred(est), rtol=1e-5)
    every = list(ce.forward_features(est).predict(_input(labels=False, epochs=1)))
    assert set(every[0]) == {"y", "id", "x"}
    np.testing.assert_array_equal(every[3]["x"], X[3])


def test_forward_features_updates_predict_export_outputs(tmp_path):
    forwarded = ce.forward_features(_estimator(tmp_path), ["id"])
    features = {"x": tf.placeholder(tf.float32, [None, 3]), "id": tf.placeholder(tf.int64)}
    spec = forwarded.model_fn(features, None, Modes.PREDICT, forwarded.config)
    outputs = spec.export_outputs["serving_default"].outputs
    assert outputs["id"] is features["id"] and "y" in outputs
    assert spec.predictions["id"] is features["id"]


def test_forward_features_errors(tmp_path):
    est = _estimator(tmp_path)
    with pytest.raises(TypeError, match="keys should be either a string or a list"):
        ce.forward_features(est, 3)
    with pytest.raises(TypeError, match="All items in the given keys list should be a string"):
        ce.forward_features(est, ["id", 4])

    def spec_for(keys, extra=lambda: {}):
        with tf.Graph().as_default():
            features = {"x": tf.zeros([2, 3]), "id": tf.zeros([2], tf.int64), **extra()}
            forwarded = ce.forward_features(est, keys)
            return forwarded.model_fn(features, None, Modes.PREDICT, forwarded.config)

    with pytest.raises(ValueError, match='Key "missing" is not in features dict'):
        spec_for("missing")
    with pytest.raises(ValueError, match=r"Cannot forward feature key \(y\)"):
        spec_for("y", lambda: {"y": tf.zeros([2])})
    with pytest.raises(ValueError, match=r"Forwarded feature \(tags\) should be a Tensor"):
        spec_for("tags", lambda: {"tags": tf.SparseTensor([[0, 0]], [1.0], [2, 2])})


# -- clip_gradients_by_norm ---------------------------------------------------------------------
def test_clip_gradients_by_norm_clips_the_global_norm():
    a = tf.get_variable("a", initializer=tf.constant([0.0, 0.0]))
    b = tf.get_variable("b", initializer=tf.constant(0.0))
    # d/da = [3, 4], d/db = 12: global norm 13.
    loss = tf.reduce_sum(a * tf.constant([3.0, 4.0])) + 12.0 * b
    opt = ce.clip_gradients_by_norm(tf.train.GradientDescentOptimizer(0.5), clip_norm=2.6)
    assert opt.get_name() == "ClipByNormGradientDescent"
    step = tf.train.get_or_create_global_step()
    train = opt.minimize(loss, global_step=step)
    loose = ce.clip_gradients_by_norm(tf.train.GradientDescentOptimizer(0.5), 100.0)
    train_loose = loose.minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        scale = 2.6 / 13.0
        np.testing.assert_allclose(sess.run(a), -0.5 * scale * np.array([3.0, 4.0]), rtol=1e-6)
        np.testing.assert_allclose(sess.run(b), -0.5 * scale * 12.0, rtol=1e-6)
        assert sess.run(step) == 1
        before = sess.run(a)
        sess.run(train_loose)  # norm 13 < 100: unclipped
        np.testing.assert_allclose(sess.run(a), before - 0.5 * np.array([3.0, 4.0]), rtol=1e-6)


def test_clip_gradients_by_norm_keeps_the_wrapped_slots():
    v = tf.get_variable("v", initializer=tf.constant([1.0]))
    opt = ce.clip_gradients_by_norm(tf.train.MomentumOptimizer(0.1, 0.9), 1.0)
    opt.minimize(tf.reduce_sum(v * v))
    assert opt.get_slot_names() == ["momentum"]
    assert opt.get_slot(v, "momentum").op.name == "v/Momentum"


# -- heads ------------------------------------------------------------------------------------
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _sigmoid_ce(labels, logits):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def _spec(head, mode, logits, labels=None, features=None):
    return head.create_estimator_spec(features=features or {}, mode=mode,
                                      logits=tf.constant(logits), labels=labels,
                                      train_op_fn=lambda loss: tf.no_op())


def _eval(spec):
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run(tf.tables_initializer())
        sess.run([u for _, u in spec.eval_metric_ops.values()])
        return sess.run({k: v for k, (v, _) in spec.eval_metric_ops.items()})


LOGITS1 = np.array([[0.5], [-1.0], [2.0], [0.1]], np.float32)


def test_binary_classification_head_averages_over_the_batch():
    labels = np.array([[1.0], [0.0], [0.0], [1.0]], np.float32)
    spec = _spec(ce.binary_classification_head(), Modes.TRAIN, LOGITS1, tf.constant(labels))
    want = np.mean(_sigmoid_ce(labels, LOGITS1))  # SUM_OVER_BATCH_SIZE: the mean
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(spec.loss), want, rtol=1e-6)


def test_binary_head_with_vocabulary_and_loss_fn_features():
    def loss_fn(labels, logits, features):
        return features["scale"] * tf.square(labels - tf.sigmoid(logits))

    head = ce.binary_classification_head(label_vocabulary=["neg", "pos"], loss_fn=loss_fn)
    labels = tf.constant([["pos"], ["neg"], ["neg"], ["pos"]])
    scale = np.array([[1.0], [2.0], [0.5], [1.0]], np.float32)
    spec = _spec(head, Modes.TRAIN, LOGITS1, labels, {"scale": tf.constant(scale)})
    want = np.mean(scale * (np.array([[1], [0], [0], [1]]) - _sigmoid(LOGITS1)) ** 2)
    with tf.Session() as sess:
        sess.run(tf.tables_initializer())
        np.testing.assert_allclose(sess.run(spec.loss), want, rtol=1e-5)


def test_multi_class_head_loss_fn_shape_is_checked():
    logits = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], np.float32)
    labels = tf.constant([[1], [2]])

    def ok(labels, logits):
        return tf.cast(labels, tf.float32) * tf.reduce_sum(logits, -1, keepdims=True)

    spec = _spec(ce.multi_class_head(3, loss_fn=ok), Modes.TRAIN, logits, labels)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(spec.loss), (1 * 3.5 + 2 * 2.0) / 2, rtol=1e-6)
    with pytest.raises(ValueError, match=r"loss_fn must return Tensor of shape \[D0, D1, \.\.\. "
                                         r"DN, 1\]"):
        _spec(ce.multi_class_head(3, loss_fn=lambda labels, logits: logits), Modes.TRAIN,
              logits, labels)
    # Shapes known only when run: TF's Assert.
    shape = tf.placeholder(tf.int32, [2])

    def wrong(labels, logits):
        return tf.reshape(logits[:, :2], shape)

    spec = _spec(ce.multi_class_head(3, loss_fn=wrong), Modes.TRAIN, logits, labels)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="loss_fn must return Tensor of shape"):
        sess.run(spec.loss, {shape: [2, 2]})
    with pytest.raises(ValueError, match="loss_fn must contain argument: logits"):
        ce.multi_class_head(3, loss_fn=lambda labels, x: x)
    with pytest.raises(ValueError, match=r"loss_fn has unexpected args: \['mode'\]"):
        ce.multi_class_head(3, loss_fn=lambda labels, logits, mode: logits)
    with pytest.raises(ValueError, match="Invalid loss_reduction: none"):
        ce.multi_class_head(3, loss_reduction=tf.losses.Reduction.NONE)


def test_regression_head_inverse_link_fn():
    head = ce.regression_head(label_dimension=1, inverse_link_fn=tf.exp)
    spec = _spec(head, Modes.PREDICT, LOGITS1)
    assert set(spec.predictions) == {"predictions", "logits"}
    labels = np.array([[1.0], [0.5], [6.0], [1.0]], np.float32)
    eval_spec = _spec(head, Modes.EVAL, LOGITS1, tf.constant(labels))
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(spec.predictions["predictions"]), np.exp(LOGITS1),
                                   rtol=1e-6)
        # The loss is on the logits (mean squared error), averaged over the batch.
        np.testing.assert_allclose(sess.run(eval_spec.loss), np.mean((labels - LOGITS1) ** 2),
                                   rtol=1e-6)
    metrics = _eval(eval_spec)
    np.testing.assert_allclose(metrics["prediction/mean"], np.mean(np.exp(LOGITS1)), rtol=1e-6)


def test_poisson_regression_head():
    labels = np.array([[0.0], [1.0], [3.0], [5.0]], np.float32)
    head = ce.poisson_regression_head()
    spec = _spec(head, Modes.TRAIN, LOGITS1, tf.constant(labels))
    stirling = np.where(labels > 1, labels * np.log(np.maximum(labels, 1)) - labels
                        + 0.5 * np.log(2 * np.pi * np.maximum(labels, 1)), 0.0)
    want = np.mean(np.exp(LOGITS1) - labels * LOGITS1 + stirling)
    predict = _spec(head, Modes.PREDICT, LOGITS1)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(spec.loss), want, rtol=1e-5)
        np.testing.assert_allclose(sess.run(predict.predictions["predictions"]),
                                   np.exp(LOGITS1), rtol=1e-6)


def test_logistic_regression_head():
    labels = np.array([[0.2], [0.9], [0.0], [1.0]], np.float32)
    head = ce.logistic_regression_head()
    spec = _spec(head, Modes.TRAIN, LOGITS1, tf.constant(labels))
    predict = _spec(head, Modes.PREDICT, LOGITS1)
    assert set(predict.export_outputs) == {"serving_default", "regression", "predict"}
    fed = tf.placeholder(tf.float32, [4, 1])  # checked when run (a constant: when built)
    bad = _spec(head, Modes.TRAIN, LOGITS1, fed)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(spec.loss), np.mean(_sigmoid_ce(labels, LOGITS1)),
                                   rtol=1e-5)
        np.testing.assert_allclose(sess.run(predict.predictions["predictions"]),
                                   _sigmoid(LOGITS1), rtol=1e-6)
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"Labels must be in range"):
            sess.run(bad.loss, {fed: labels + 0.5})


LOGITS3 = np.array([[1.0, -2.0, 0.5], [-0.5, 2.0, 0.0], [3.0, 0.2, -1.0], [-1.5, -0.3, 0.8]],
                   np.float32)
MULTI_HOT = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 0], [0, 0, 1]], np.int64)


def test_multi_label_head_loss_and_predictions():
    head = ce.multi_label_head(3)
    want = np.mean(np.mean(_sigmoid_ce(MULTI_HOT, LOGITS3), axis=1))
    dense = _spec(head, Modes.TRAIN, LOGITS3, tf.constant(MULTI_HOT))
    ids = tf.SparseTensor([[0, 0], [0, 1], [1, 0], [2, 0], [3, 0]], tf.constant([0, 2, 1, 0, 2],
                                                                                tf.int64), [4, 2])
    sparse = _spec(head, Modes.TRAIN, LOGITS3, ids)
    vocab = ce.multi_label_head(3, label_vocabulary=["a", "b", "c"])
    names = tf.SparseTensor([[0, 0], [0, 1], [1, 0], [2, 0], [3, 0]], ["a", "c", "b", "a", "c"],
                            [4, 2])
    by_name = _spec(vocab, Modes.TRAIN, LOGITS3, names)
    predict = _spec(head, Modes.PREDICT, LOGITS3)
    with tf.Session() as sess:
        sess.run(tf.tables_initializer())
        for spec in (dense, sparse, by_name):
            np.testing.assert_allclose(sess.run(spec.loss), want, rtol=1e-5)
        np.testing.assert_allclose(sess.run(predict.predictions["probabilities"]),
                                   _sigmoid(LOGITS3), rtol=1e-6)
        classes = sess.run(predict.export_outputs["serving_default"].classes)
        assert classes.tolist() == [[b"0", b"1", b"2"]] * 4


def test_multi_label_head_eval_metrics():
    head = ce.multi_label_head(3, thresholds=[0.5], classes_for_class_based_metrics=[1])
    metrics = _eval(_spec(head, Modes.EVAL, LOGITS3, tf.constant(MULTI_HOT)))
    p = _sigmoid(LOGITS3)
    np.testing.assert_allclose(metrics["average_loss"],
                               np.mean(_sigmoid_ce(MULTI_HOT, LOGITS3)), rtol=1e-5)
    np.testing.assert_allclose(metrics["accuracy/positive_threshold_0.5"],
                               np.mean((p >= 0.5) == MULTI_HOT), rtol=1e-6)
    predicted = p > 0.5
    np.testing.assert_allclose(metrics["precision/positive_threshold_0.5"],
                               np.sum(predicted & (MULTI_HOT == 1)) / np.sum(predicted),
                               rtol=1e-6)
    np.testing.assert_allclose(metrics["recall/positive_threshold_0.5"],
                               np.sum(predicted & (MULTI_HOT == 1)) / np.sum(MULTI_HOT),
                               rtol=1e-6)
    np.testing.assert_allclose(metrics["probability_mean/class1"], np.mean(p[:, 1]), rtol=1e-6)
    # These scores separate the positives from the negatives: both AUCs are 1.
    assert p[MULTI_HOT == 1].min() > p[MULTI_HOT == 0].max()
    np.testing.assert_allclose(metrics["auc"], 1.0, atol=1e-3)
    np.testing.assert_allclose(metrics["auc/class1"], 1.0, atol=1e-3)
    assert {"auc_precision_recall", "auc_precision_recall/class1"} <= set(metrics)


def test_multi_label_head_errors():
    with pytest.raises(ValueError, match="n_classes must be > 1"):
        ce.multi_label_head(1)
    with pytest.raises(ValueError, match=r"thresholds must be in \(0, 1\) range. Given: 1.0"):
        ce.multi_label_head(3, thresholds=[1.0])
    with pytest.raises(ValueError, match=r"Length of label_vocabulary must be n_classes \(3\)"):
        ce.multi_label_head(3, label_vocabulary=["a", "b"])
    with pytest.raises(ValueError, match=r"must be in range \[0, 2\]. Given: 3"):
        ce.multi_label_head(3, classes_for_class_based_metrics=[3])
    with pytest.raises(ValueError, match="label_vocabulary must be provided"):
        ce.multi_label_head(3, classes_for_class_based_metrics=["a"])
    head = ce.multi_label_head(3)
    with pytest.raises(ValueError, match="You must provide a labels Tensor"):
        _spec(head, Modes.TRAIN, LOGITS3, None)
    fed = tf.placeholder(tf.int64, [4, 3])
    bad = _spec(head, Modes.TRAIN, LOGITS3, fed)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="Labels must <= n_classes - 1"):
        sess.run(bad.loss, {fed: MULTI_HOT * 2})


def test_head_in_an_estimator(tmp_path):
    head = ce.multi_label_head(3)

    def model_fn(features, labels, mode):
        logits = tf.layers.dense(features["x"], 3)
        return head.create_estimator_spec(features, mode, logits, labels,
                                          optimizer=tf.train.GradientDescentOptimizer(0.5))

    labels = (X[:, :1] > np.array([[-0.5, 0.0, 0.5]])).astype(np.int64)
    est = tf.estimator.Estimator(model_fn, str(tmp_path))
    fn = tf.estimator.inputs.numpy_input_fn({"x": X}, labels, batch_size=12, num_epochs=None,
                                            shuffle=False)
    first = est.train(fn, steps=1).evaluate(fn, steps=1)["average_loss"]
    last = est.train(fn, steps=30).evaluate(fn, steps=1)["average_loss"]
    assert last < first


# -- export ------------------------------------------------------------------------------------
def test_export_wrappers(tmp_path):
    est = _estimator(tmp_path / "m").train(_input(), steps=1)
    receiver = tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.placeholder(tf.float32, [None, 3])})
    path = ce.export_saved_model_for_mode(est, str(tmp_path / "e"), receiver)
    assert os.path.exists(os.path.join(os.fsdecode(path), "saved_model.pb"))
    path = ce.export_all_saved_models(est, str(tmp_path / "a"), {Modes.PREDICT: receiver})
    assert os.path.exists(os.path.join(os.fsdecode(path), "saved_model.pb"))
    supervised = ce.build_raw_supervised_input_receiver_fn(
        {"x": tf.zeros([2, 3])}, tf.zeros([2]))
    with pytest.raises(tf.errors.UnimplementedError, match="PREDICT graph only"):
        ce.export_saved_model_for_mode(est, str(tmp_path / "t"), supervised, mode=Modes.TRAIN)
    with pytest.raises(tf.errors.UnimplementedError, match=r"modes \['train'\]"):
        ce.export_all_saved_models(est, str(tmp_path / "t"),
                                   {Modes.TRAIN: supervised, Modes.PREDICT: receiver})
    with pytest.raises(ValueError, match="An input_receiver_fn must be defined"):
        ce.export_all_saved_models(est, str(tmp_path / "t"), {Modes.PREDICT: None})


def test_build_supervised_input_receiver_fn_from_input_fn():
    fn = ce.build_supervised_input_receiver_fn_from_input_fn(_input(), )
    assert tf.get_default_graph().get_operations() == []  # the input_fn ran elsewhere
    receiver = fn()
    assert set(receiver.receiver_tensors) == {"x", "id", "label"}
    assert receiver.features["id"].dtype == tf.int64
    assert receiver.labels.shape.as_list() == [None]


# -- the early-stopping re-exports, as tf_ner calls them ---------------------------------------
def test_early_stopping_as_tf_ner_calls_it(tmp_path):
    est = _estimator(tmp_path)
    hook = ce.stop_if_no_increase_hook(est, "f1", 500, min_steps=8000, run_every_secs=120)
    assert isinstance(hook, tf.train.SessionRunHook)
    exp = tf.estimator.experimental
    for name in ("stop_if_higher_hook", "stop_if_lower_hook", "stop_if_no_increase_hook",
                 "stop_if_no_decrease_hook", "make_early_stopping_hook", "InMemoryEvaluatorHook",
                 "call_logit_fn", "build_raw_supervised_input_receiver_fn"):
        assert getattr(ce, name) is getattr(exp, name)
    with pytest.raises(AttributeError, match="replicate_model_fn.*minitf provides"):
        ce.replicate_model_fn  # noqa: B018
