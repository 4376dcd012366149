"""tf.estimator as TF 1.x programs use it: a custom model_fn trained, resumed, evaluated,
predicted with and exported (then loaded back); the canned linear and DNN estimators; the
input functions, RunConfig, train_and_evaluate, warm starts, and TF's validation errors."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest

import minitf as tf
from minitf.export import load_saved_model
from minitf.export.events import summary_iterator

from .legacy_tf import run_against_tf

Modes = tf.estimator.ModeKeys


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default() as g:
        yield g
    tf.summary.FileWriterCache.clear()


def _data(n=120, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 3).astype(np.float32)
    y = (x @ np.array([1.5, -2.0, 0.5], np.float32) + 0.3 + 0.05 * rng.randn(n)) \
        .astype(np.float32)
    return x, y


def _linear_model_fn(features, labels, mode, params):
    """y = x @ w + b, squared error, GradientDescent at params['lr']; mae as a metric."""
    x = features["x"]
    w = tf.get_variable("w", [3, 1], initializer=tf.zeros_initializer())
    b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
    pred = tf.squeeze(tf.matmul(x, w) + b, 1)
    if mode == Modes.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": pred, "double": 2 * pred})
    loss = tf.losses.mean_squared_error(labels, pred)
    train_op = tf.train.GradientDescentOptimizer(params["lr"]).minimize(
        loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(
        mode, loss=loss, train_op=train_op,
        eval_metric_ops={"mae": tf.metrics.mean_absolute_error(labels, pred)})


def _estimator(model_dir, **config):
    config.setdefault("save_summary_steps", 10)
    config.setdefault("log_step_count_steps", 10)
    return tf.estimator.Estimator(_linear_model_fn, model_dir=str(model_dir),
                                  params={"lr": 0.2},
                                  config=tf.estimator.RunConfig(**config))


def _input(x, y=None, batch_size=None, epochs=None, shuffle=False):
    return tf.estimator.inputs.numpy_input_fn(
        {"x": x}, y, batch_size=batch_size or len(x), num_epochs=epochs, shuffle=shuffle)


def _tags(directory) -> set:
    tf.summary.FileWriterCache.get(str(directory)).flush()
    tags = set()
    for path in glob.glob(os.path.join(directory, "events.out.tfevents.*")):
        for event in summary_iterator(path):
            tags.update(v.tag for v in event.summary.value)
    return tags


# -- custom model_fn -------------------------------------------------------------------------
def test_trains_to_least_squares_and_writes_tf_layout(tmp_path):
    x, y = _data()
    est = _estimator(tmp_path)
    assert est.train(_input(x, y), steps=300) is est
    design = np.hstack([x, np.ones((len(x), 1), np.float32)])
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    np.testing.assert_allclose(est.get_variable_value("w").ravel(), solution[:3], atol=1e-4)
    np.testing.assert_allclose(est.get_variable_value("b"), solution[3:], atol=1e-4)
    assert est.get_variable_names() == ["b", "global_step", "w"]
    assert est.get_variable_value("global_step") == 300
    assert est.latest_checkpoint() == os.path.join(str(tmp_path), "model.ckpt-300")
    files = set(os.listdir(tmp_path))
    assert {"checkpoint", "graph.pbtxt", "model.ckpt-300.index", "model.ckpt-300.meta",
            "model.ckpt-300.data-00000-of-00001"} <= files
    assert {"loss", "global_step/sec"} <= _tags(tmp_path)


def test_resume_steps_and_max_steps(tmp_path):
    x, y = _data()
    # 3 steps then 2 more is 5 steps (full-batch gradient descent is deterministic).
    split = _estimator(tmp_path / "split")
    split.train(_input(x, y), steps=3).train(_input(x, y), steps=2)
    whole = _estimator(tmp_path / "whole").train(_input(x, y), steps=5)
    np.testing.assert_allclose(split.get_variable_value("w"), whole.get_variable_value("w"),
                               rtol=1e-6)
    est = _estimator(tmp_path, save_checkpoints_steps=40, keep_checkpoint_max=2)
    est.train(_input(x, y), steps=50)
    est.train(_input(x, y), steps=30)  # 30 more
    assert est.get_variable_value("global_step") == 80
    est.train(_input(x, y), max_steps=60)  # already past: nothing runs
    assert est.get_variable_value("global_step") == 80
    est.train(_input(x, y), max_steps=100)
    assert est.get_variable_value("global_step") == 100
    # keep_checkpoint_max counts the checkpoints of earlier runs too.
    kept = sorted(int(p.split("-")[-1].split(".")[0]) for p in glob.glob(
        str(tmp_path / "model.ckpt-*.index")))
    assert kept == [80, 100]
    # A finite input ends training early.
    est.train(_input(x, y, batch_size=40, epochs=1), steps=1000)
    assert est.get_variable_value("global_step") == 103


def test_evaluate_metrics_against_numpy(tmp_path):
    x, y = _data()
    est = _estimator(tmp_path)
    est.train(_input(x, y), steps=20)
    w, b = est.get_variable_value("w").ravel(), est.get_variable_value("b")
    pred = x @ w + b
    result = est.evaluate(_input(x, y, batch_size=40, epochs=1))
    assert set(result) == {"loss", "mae", "global_step"}
    assert result["global_step"] == 20
    # loss: the mean of the 3 batch losses (equal batches: the overall mean)
    np.testing.assert_allclose(result["loss"], np.mean((pred - y) ** 2), rtol=1e-4)
    np.testing.assert_allclose(result["mae"], np.mean(np.abs(pred - y)), rtol=1e-4)
    two = est.evaluate(_input(x, y, batch_size=40, epochs=1), steps=2, name="first")
    np.testing.assert_allclose(two["mae"], np.mean(np.abs(pred - y)[:80]), rtol=1e-4)
    assert os.path.isdir(tmp_path / "eval") and os.path.isdir(tmp_path / "eval_first")
    assert {"loss", "mae", "checkpoint_path"} <= _tags(tmp_path / "eval")
    # Without a checkpoint: the initial values (TF runs the initializers).
    fresh = _estimator(tmp_path / "fresh").evaluate(_input(x, y, epochs=1))
    np.testing.assert_allclose(fresh["loss"], np.mean(y ** 2), rtol=1e-5)
    assert fresh["global_step"] == 0


def test_predict(tmp_path):
    x, y = _data()
    est = _estimator(tmp_path)
    est.train(_input(x, y), steps=20)
    w, b = est.get_variable_value("w").ravel(), est.get_variable_value("b")
    singles = list(est.predict(_input(x[:5], batch_size=2, epochs=1)))
    assert len(singles) == 5 and set(singles[0]) == {"y", "double"}
    np.testing.assert_allclose([p["y"] for p in singles], x[:5] @ w + b, rtol=1e-5)
    batches = list(est.predict(_input(x[:5], batch_size=2, epochs=1), predict_keys=["y"],
                               yield_single_examples=False))
    assert [b_["y"].shape for b_ in batches] == [(2,), (2,), (1,)]
    assert set(batches[0]) == {"y"}
    with pytest.raises(ValueError, match="Expected to run at least one output"):
        next(est.predict(_input(x[:5], epochs=1), predict_keys=["nope"]))


def test_export_and_load(tmp_path):
    x, y = _data()
    est = _estimator(tmp_path / "model")
    est.train(_input(x, y), steps=20)
    receiver = tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.placeholder(tf.float32, [None, 3], name="x")})
    path = est.export_saved_model(str(tmp_path / "export"), receiver)
    assert isinstance(path, bytes)
    assert os.path.dirname(path) == os.fsencode(tmp_path / "export")
    assert os.path.basename(path).isdigit()
    assert os.listdir(tmp_path / "export") == [os.path.basename(path).decode()]
    expected = [p["y"] for p in est.predict(_input(x[:4], epochs=1))]
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, [tf.saved_model.tag_constants.SERVING], path)
        sig = meta.signature_def["serving_default"]
        assert sig.method_name == "tensorflow/serving/predict"
        assert set(sig.outputs) == {"y", "double"}
        out = sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: x[:4]})
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    # What `minitf serve` loads: frozen, the serving signature's tensors in its graph.
    model = load_saved_model(os.fsdecode(path))
    sig = model.signatures["serving_default"]
    with tf.Session(graph=model.graph) as sess:
        served = sess.run(model.tensor(sig.outputs["y"].name),
                          {model.tensor(sig.inputs["x"].name): x[:4]})
    np.testing.assert_allclose(served, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="Couldn't find trained model"):
        _estimator(tmp_path / "empty").export_saved_model(str(tmp_path / "e2"), receiver)


def test_model_fn_and_input_fn_arguments(tmp_path):
    """model_fn and input_fn get only the arguments they name; a Dataset input works."""
    seen = {}

    def model_fn(features, mode):
        seen["mode"] = mode
        v = tf.get_variable("v", [], initializer=tf.zeros_initializer())
        loss = tf.reduce_mean(tf.square(features - 4.0 - v))
        train = tf.assign_add(tf.train.get_global_step(), 1)
        with tf.control_dependencies([train]):
            train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train,
                                          predictions=features + v)

    def input_fn(params, mode, config):
        seen["input"] = (params, mode, config.model_dir)
        return tf.data.Dataset.from_tensor_slices(np.ones(8, np.float32)).batch(4).repeat()

    est = tf.estimator.Estimator(model_fn, model_dir=str(tmp_path))
    est.train(input_fn, steps=30)
    assert seen == {"mode": "train", "input": ({}, "train", str(tmp_path))}
    np.testing.assert_allclose(est.get_variable_value("v"), -3.0, atol=1e-4)
    with pytest.raises(ValueError, match="model_fn does not take labels"):
        est.train(lambda: (tf.constant([1.0]), tf.constant([1.0])), steps=1)
    # The public model_fn takes TF's four arguments, whatever the user's takes
    with tf.Graph().as_default():
        tf.train.create_global_step()
        spec = est.model_fn(tf.constant([1.0]), None, "infer", est.config)
        assert seen["mode"] == "infer" and isinstance(spec, tf.estimator.EstimatorSpec)


# -- canned estimators ------------------------------------------------------------------------
BINARY_KEYS = {"accuracy", "accuracy_baseline", "auc", "auc_precision_recall", "average_loss",
               "label/mean", "loss", "precision", "prediction/mean", "recall", "global_step"}


def _blobs(n=240, seed=1):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 2).astype(np.float32)
    return {"a": x[:, 0], "b": x[:, 1]}, x


COLUMNS = [tf.feature_column.numeric_column("a"), tf.feature_column.numeric_column("b")]


def _fit(est, features, labels, steps, batch=32):
    est.train(tf.estimator.inputs.numpy_input_fn(features, labels, batch_size=batch,
                                                 num_epochs=None, shuffle=True), steps=steps)
    return est.evaluate(tf.estimator.inputs.numpy_input_fn(features, labels, batch_size=60,
                                                           shuffle=False))


@pytest.mark.parametrize("make", [
    lambda d: tf.estimator.LinearClassifier(COLUMNS, model_dir=d),
    lambda d: tf.estimator.DNNClassifier([8], COLUMNS, model_dir=d,
                                         config=tf.estimator.RunConfig(tf_random_seed=1))])
def test_canned_binary_classifier(tmp_path, make):
    features, x = _blobs()
    labels = (x[:, 0] + 2 * x[:, 1] > 0).astype(np.int64)
    est = make(str(tmp_path))
    result = _fit(est, features, labels, 150)
    assert set(result) == BINARY_KEYS
    assert result["accuracy"] > 0.95 and result["auc"] > 0.97
    np.testing.assert_allclose(result["label/mean"], labels.mean(), rtol=1e-5)
    np.testing.assert_allclose(result["accuracy_baseline"], max(labels.mean(),
                                                                1 - labels.mean()), rtol=1e-5)
    # v1 heads: the loss is the batch's SUM, average_loss the per-example mean
    np.testing.assert_allclose(result["loss"], 60 * result["average_loss"], rtol=1e-4)
    pred = next(est.predict(tf.estimator.inputs.numpy_input_fn(
        {"a": x[:1, 0], "b": x[:1, 1]}, shuffle=False)))
    assert set(pred) == {"logits", "logistic", "probabilities", "class_ids", "classes",
                         "all_class_ids", "all_classes"}
    assert pred["classes"][0] == str(pred["class_ids"][0]).encode()
    np.testing.assert_allclose(pred["probabilities"].sum(), 1.0, rtol=1e-6)
    # A parsing receiver: classify, regress, predict and the default signature.
    spec = tf.feature_column.make_parse_example_spec(COLUMNS)
    path = est.export_saved_model(
        str(tmp_path / "export"),
        tf.estimator.export.build_parsing_serving_input_receiver_fn(spec))
    example = tf.train.Example(features=tf.train.Features(feature={
        k: tf.train.Feature(float_list=tf.train.FloatList(value=[float(x[0, i])]))
        for i, k in enumerate("ab")}))
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], path)
        assert set(meta.signature_def) == {"serving_default", "classification", "regression",
                                           "predict"}
        sig = meta.signature_def["serving_default"]
        assert sig.method_name == "tensorflow/serving/classify"
        out = sess.run({k: v.name for k, v in sig.outputs.items()},
                       {sig.inputs["inputs"].name: [example.SerializeToString()]})
    np.testing.assert_allclose(out["scores"][0], pred["probabilities"], rtol=1e-5)
    assert list(out["classes"][0]) == [b"0", b"1"]


def test_canned_variable_names(tmp_path):
    features, x = _blobs(60)
    labels = (x[:, 0] > 0).astype(np.int64)
    linear = tf.estimator.LinearClassifier(COLUMNS, model_dir=str(tmp_path / "l"))
    linear.train(tf.estimator.inputs.numpy_input_fn(features, labels, shuffle=False), steps=1)
    # TF1's: the weights are one-part partitioned variables, whose slots keep "part_0/"
    assert linear.get_variable_names() == [
        "global_step", "linear/linear_model/a/weights",
        "linear/linear_model/a/weights/part_0/Ftrl",
        "linear/linear_model/a/weights/part_0/Ftrl_1", "linear/linear_model/b/weights",
        "linear/linear_model/b/weights/part_0/Ftrl", "linear/linear_model/b/weights/part_0/Ftrl_1",
        "linear/linear_model/bias_weights", "linear/linear_model/bias_weights/part_0/Ftrl",
        "linear/linear_model/bias_weights/part_0/Ftrl_1"]
    dnn = tf.estimator.DNNRegressor([3], COLUMNS, model_dir=str(tmp_path / "d"), optimizer="SGD")
    dnn.train(tf.estimator.inputs.numpy_input_fn(features, x[:, 0], shuffle=False), steps=1)
    assert dnn.get_variable_names() == [
        "dnn/hiddenlayer_0/bias", "dnn/hiddenlayer_0/kernel", "dnn/logits/bias",
        "dnn/logits/kernel", "global_step"]
    assert {"loss", "average_loss", "dnn/dnn/hiddenlayer_0/fraction_of_zero_values",
            "dnn/dnn/logits/activation"} <= _tags(tmp_path / "d")


def test_canned_multiclass_with_vocabulary_and_weights(tmp_path):
    features, x = _blobs()
    ids = np.digitize(x[:, 0], [-0.5, 0.5])
    vocab = ["low", "mid", "high"]
    features = dict(features, w=np.ones(len(x), np.float32))
    est = tf.estimator.DNNClassifier(
        [16], COLUMNS, n_classes=3, label_vocabulary=vocab, weight_column="w",
        optimizer=tf.train.AdamOptimizer(0.05), model_dir=str(tmp_path),
        config=tf.estimator.RunConfig(tf_random_seed=2))
    result = _fit(est, features, np.array(vocab)[ids], 200)
    assert set(result) == {"accuracy", "average_loss", "loss", "global_step"}
    assert result["accuracy"] > 0.9
    preds = list(est.predict(tf.estimator.inputs.numpy_input_fn(
        {"a": x[:20, 0], "b": x[:20, 1]}, shuffle=False)))
    assert [p["classes"][0].decode() for p in preds] == [vocab[p["class_ids"][0]]
                                                          for p in preds]
    assert list(preds[0]["all_classes"]) == [b"low", b"mid", b"high"]


def test_canned_regressors(tmp_path):
    features, x = _blobs()
    y = (3 * x[:, 0] - x[:, 1] + 1).astype(np.float32)
    linear = tf.estimator.LinearRegressor(
        COLUMNS, model_dir=str(tmp_path / "l"),
        optimizer=tf.train.GradientDescentOptimizer(0.004))
    result = _fit(linear, features, y, 300)
    assert set(result) == {"average_loss", "label/mean", "loss", "prediction/mean",
                           "global_step"}
    assert result["average_loss"] < 1e-4
    np.testing.assert_allclose(result["label/mean"], y.mean(), rtol=1e-5)
    np.testing.assert_allclose(linear.get_variable_value("linear/linear_model/a/weights"),
                               [[3.0]], atol=1e-2)
    dnn = tf.estimator.DNNRegressor([16, 8], COLUMNS, model_dir=str(tmp_path / "d"),
                                    optimizer="Adam", activation_fn=tf.nn.tanh, dropout=0.1,
                                    config=tf.estimator.RunConfig(tf_random_seed=0))
    result = _fit(dnn, features, y, 300)
    assert result["average_loss"] < 0.2 * y.var()
    pred = next(dnn.predict(tf.estimator.inputs.numpy_input_fn(
        {"a": x[:1, 0], "b": x[:1, 1]}, shuffle=False)))
    assert set(pred) == {"predictions"}


# -- train_and_evaluate, warm start, listeners ------------------------------------------------
def test_train_and_evaluate(tmp_path):
    x, y = _data()
    est = _estimator(tmp_path, save_checkpoints_steps=25)
    receiver = tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.placeholder(tf.float32, [None, 3])})
    metrics, exports = tf.estimator.train_and_evaluate(
        est, tf.estimator.TrainSpec(_input(x, y), max_steps=60),
        tf.estimator.EvalSpec(_input(x, y, epochs=1), steps=None, throttle_secs=0,
                              exporters=[tf.estimator.FinalExporter("final", receiver)]))
    assert metrics["global_step"] == 60 and set(metrics) == {"loss", "mae", "global_step"}
    assert len(exports) == 1 and os.path.isdir(exports[0])
    assert os.path.dirname(exports[0]) == os.fsencode(tmp_path / "export" / "final")
    # An eval after each of the checkpoints at 25 and 50, and one at the end.
    steps = set()
    for path in glob.glob(str(tmp_path / "eval" / "events.*")):
        steps.update(e.step for e in summary_iterator(path) if e.summary.value)
    assert steps == {25, 50, 60}
    with pytest.raises(TypeError, match="train_spec"):
        tf.estimator.train_and_evaluate(est, None, tf.estimator.EvalSpec(_input(x, y)))


def test_warm_start_and_saving_listeners(tmp_path):
    x, y = _data()
    first = _estimator(tmp_path / "a")
    first.train(_input(x, y), steps=20)

    class Listener(tf.estimator.CheckpointSaverListener):
        steps = []

        def after_save(self, session, global_step_value):
            self.steps.append(global_step_value)

    second = tf.estimator.Estimator(_linear_model_fn, model_dir=str(tmp_path / "b"),
                                    params={"lr": 0.0}, warm_start_from=str(tmp_path / "a"))
    second.train(_input(x, y), steps=2, saving_listeners=[Listener()])
    np.testing.assert_allclose(second.get_variable_value("w"), first.get_variable_value("w"))
    assert second.get_variable_value("global_step") == 2  # not warm-started: not trainable
    assert Listener.steps == [0, 2]


# -- inputs -----------------------------------------------------------------------------------
def test_numpy_input_fn_batches(tmp_path):
    x = np.arange(7, dtype=np.float32)

    def batches(**kw):
        with tf.Graph().as_default():
            out = tf.estimator.inputs.numpy_input_fn({"x": x}, x * 10, **kw)()
            values = []
            with tf.train.MonitoredSession() as sess:
                while not sess.should_stop() and len(values) < 6:
                    values.append(sess.run(out))
            return values

    one = batches(batch_size=3, shuffle=False, num_epochs=1)
    assert [len(f["x"]) for f, _ in one] == [3, 3, 1]
    np.testing.assert_array_equal(one[2][1], [60.0])
    forever = batches(batch_size=3, shuffle=True, num_epochs=None)
    assert all(len(f["x"]) == 3 for f, _ in forever)
    np.testing.assert_array_equal(forever[0][0]["x"] * 10, forever[0][1])
    seen = np.concatenate([f["x"] for f, _ in forever])
    assert sorted(seen[:7]) == list(range(7))  # each epoch is a permutation
    with pytest.raises(ValueError, match="shuffle must be provided"):
        tf.estimator.inputs.numpy_input_fn({"x": x})
    with pytest.raises(ValueError, match="Length of tensors in x and y is mismatched"):
        tf.estimator.inputs.numpy_input_fn({"x": x}, x[:3], shuffle=False)()
    with pytest.raises(ValueError, match="duplicate keys"):
        tf.estimator.inputs.numpy_input_fn({"x": x}, {"x": x}, shuffle=False)()


# -- validation -------------------------------------------------------------------------------
def test_estimator_spec_errors():
    loss = tf.constant(1.0)
    train = tf.no_op()
    spec = tf.estimator.EstimatorSpec
    with pytest.raises(ValueError, match="Missing train_op"):
        spec(Modes.TRAIN, loss=loss)
    with pytest.raises(ValueError, match="Missing loss"):
        spec(Modes.TRAIN, train_op=train)
    with pytest.raises(ValueError, match="Missing loss"):
        spec(Modes.EVAL)
    with pytest.raises(ValueError, match="Missing predictions"):
        spec(Modes.PREDICT)
    with pytest.raises(ValueError, match="Loss must be scalar"):
        spec(Modes.EVAL, loss=tf.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match="loss must be Tensor"):
        spec(Modes.EVAL, loss=1.0)
    with pytest.raises(TypeError, match="train_op must be Operation or Tensor"):
        spec(Modes.TRAIN, loss=loss, train_op="op")
    with pytest.raises(TypeError, match=r"predictions\[p\] must be Tensor"):
        spec(Modes.PREDICT, predictions={"p": 1})
    with pytest.raises(TypeError, match="Values of eval_metric_ops must be"):
        spec(Modes.EVAL, loss=loss, eval_metric_ops={"m": loss})
    with pytest.raises(TypeError, match="All hooks must be SessionRunHook"):
        spec(Modes.TRAIN, loss=loss, train_op=train, training_hooks=[object()])
    with pytest.raises(ValueError, match="none of them is specified as the default"):
        out = tf.estimator.export.PredictOutput(loss)
        spec(Modes.PREDICT, predictions=loss, export_outputs={"a": out, "b": out})
    with tf.Graph().as_default():
        other = tf.constant(2.0)
    with pytest.raises(ValueError, match="loss must be from the default graph"):
        spec(Modes.EVAL, loss=other)
    assert spec("bogus").mode == "bogus"  # TF 1.x never checks the mode itself
    s = spec(Modes.PREDICT, predictions={"p": loss})
    assert set(s.export_outputs) == {"serving_default"}
    assert s.loss is None and s.eval_metric_ops == {} and s.training_hooks == ()
    assert spec(Modes.EVAL, loss=tf.constant([3.0])).loss.shape.rank == 0


def test_estimator_errors(tmp_path):
    x, y = _data(12)
    with pytest.raises(ValueError, match="must include features argument"):
        tf.estimator.Estimator(lambda labels, mode: None)
    with pytest.raises(ValueError, match="does not include params argument"):
        tf.estimator.Estimator(lambda features: None, params={"a": 1})
    with pytest.raises(ValueError, match="has following not expected args"):
        tf.estimator.Estimator(lambda features, extra: None)
    with pytest.raises(ValueError, match="config must be an instance of `RunConfig`"):
        tf.estimator.Estimator(lambda features: None, config={})
    with pytest.raises(ValueError, match="are set both in constructor and `RunConfig`"):
        tf.estimator.Estimator(lambda features: None, model_dir=str(tmp_path / "a"),
                               config=tf.estimator.RunConfig(model_dir=str(tmp_path / "b")))
    est = _estimator(tmp_path)
    with pytest.raises(ValueError, match="Can not provide both steps and max_steps"):
        est.train(_input(x, y), steps=1, max_steps=2)
    with pytest.raises(ValueError, match="Must specify steps > 0"):
        est.train(_input(x, y), steps=0)
    with pytest.raises(TypeError, match="Hooks must be a SessionRunHook"):
        est.train(_input(x, y), steps=1, hooks=[1])
    with pytest.raises(ValueError, match="Could not find trained model"):
        est.get_variable_names()
    with pytest.raises(ValueError, match="len 2 tuple"):
        est.train(lambda: ({"x": tf.constant(x)}, tf.constant(y), 3), steps=1)
    with pytest.raises(ValueError, match="There should be a CheckpointSaverHook"):
        _estimator(tmp_path / "n", save_checkpoints_secs=None).train(
            _input(x, y), steps=1,
            saving_listeners=[tf.estimator.CheckpointSaverListener()])
    bad = tf.estimator.Estimator(lambda features, labels, mode: {"not": "a spec"})
    with pytest.raises(ValueError, match="model_fn should return an EstimatorSpec"):
        bad.train(_input(x, y), steps=1)

    def no_loss(features, labels, mode):
        return tf.estimator.EstimatorSpec(mode, train_op=tf.no_op())

    with pytest.raises(ValueError, match="Missing loss"):
        tf.estimator.Estimator(no_loss).train(_input(x, y), steps=1)
    with pytest.raises(ValueError, match="n_classes must be > 2"):
        tf.estimator.DNNClassifier([2], COLUMNS, n_classes=1)
    with pytest.raises(ValueError, match="Unsupported optimizer name"):
        tf.estimator.LinearRegressor(COLUMNS, optimizer="Nope").train(
            tf.estimator.inputs.numpy_input_fn(_blobs(8)[0], np.zeros(8), shuffle=False),
            steps=1)


def test_parse_example_specs():
    spec = tf.estimator.classifier_parse_example_spec(COLUMNS, "label", weight_column="w")
    assert set(spec) == {"a", "b", "label", "w"}
    assert spec["label"] == tf.FixedLenFeature((1,), tf.int64)
    spec = tf.estimator.regressor_parse_example_spec(COLUMNS, "y", label_dimension=2)
    assert spec["y"] == tf.FixedLenFeature((2,), tf.float32)
    with pytest.raises(ValueError, match="label should not be used as feature"):
        tf.estimator.classifier_parse_example_spec(COLUMNS, "a")


def test_against_tensorflow():
    """Same losses and checkpoint names as the TF1 loop; TF reads minitf's checkpoints,
    events and SavedModels (tests/core/data/estimator_vs_tf.py)."""
    run_against_tf("estimator_vs_tf.py", 5)


def test_run_config():
    config = tf.estimator.RunConfig()
    assert (config.save_summary_steps, config.save_checkpoints_secs,
            config.save_checkpoints_steps, config.keep_checkpoint_max,
            config.log_step_count_steps, config.model_dir) == (100, 600, None, 5, 100, None)
    steps = config.replace(save_checkpoints_steps=10, tf_random_seed=3)
    assert (steps.save_checkpoints_steps, steps.save_checkpoints_secs,
            steps.tf_random_seed) == (10, None, 3)
    assert config.save_checkpoints_secs == 600  # replace copies
    assert tf.estimator.RunConfig(save_checkpoints_steps=5).save_checkpoints_secs is None
    with pytest.raises(ValueError, match="cannot be both set"):
        tf.estimator.RunConfig(save_checkpoints_steps=5, save_checkpoints_secs=5)
    with pytest.raises(ValueError, match="Replacing master is not supported"):
        config.replace(master="grpc://x")
    with pytest.raises(ValueError, match="save_summary_steps should be >= 0"):
        tf.estimator.RunConfig(save_summary_steps=-1)
    assert config.is_chief and config.num_worker_replicas == 1
    assert tf.estimator.ModeKeys.PREDICT == "infer"


def test_eval_metric_ops_may_hold_keras_metrics(tmp_path):
    # TF 1.15's EstimatorSpec takes a Keras metric as an eval_metric_ops value: its result,
    # updated by the update_state calls made in the model_fn.
    x, y = _data(40)
    w_true = np.array([[1.0], [2.0], [-1.0]], np.float32)

    def model_fn(features, labels, mode):
        w = tf.get_variable("w", initializer=w_true)
        pred = tf.squeeze(tf.matmul(features["x"], w), 1)
        loss = tf.reduce_mean(tf.square(labels - pred))
        mae, mse = tf.keras.metrics.MeanAbsoluteError(), tf.keras.metrics.Mean("mean_sq")
        mae.update_state(labels, pred)
        mse.update_state(tf.square(labels - pred))
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={"mae": mae,
                                                                             "mse": mse})

    est = tf.estimator.Estimator(model_fn, model_dir=str(tmp_path))
    result = est.evaluate(_input(x, y, batch_size=10), steps=4)
    err = y - (x @ w_true)[:, 0]
    np.testing.assert_allclose(result["mae"], np.abs(err).mean(), rtol=1e-5)
    np.testing.assert_allclose(result["mse"], np.square(err).mean(), rtol=1e-5)

    def no_update(features, labels, mode):
        tf.get_variable("w", initializer=w_true)
        return tf.estimator.EstimatorSpec(mode, loss=tf.constant(0.0),
                                          eval_metric_ops={"m": tf.keras.metrics.Mean("m")})

    with pytest.raises(ValueError, match='Please call update_state\\(...\\) on the "m" metric'):
        tf.estimator.Estimator(no_update, model_dir=str(tmp_path / "b")).evaluate(
            _input(x, y, batch_size=10), steps=1)


def test_keras_metric_records_one_update_per_outer_call():
    class Doubled(tf.keras.metrics.Mean):
        def update_state(self, values, sample_weight=None):
            return super().update_state(2.0 * values, sample_weight)

    m = Doubled()
    ops = [m.update_state(tf.constant([1.0, 3.0])), m.update_state(tf.constant([5.0]))]
    assert m.updates == ops  # the subclass's call records once, not once per class
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run(m.updates)
        assert sess.run(m.result()) == pytest.approx(6.0)  # mean of 2, 6, 10
