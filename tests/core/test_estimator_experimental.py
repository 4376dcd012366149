"""tf.estimator.experimental: early-stopping hooks over the eval metrics evaluate writes (read
back from the eval dir's event files), stopping at hand-computed steps of a model with a
closed-form training path; InMemoryEvaluatorHook's evaluations from the training session's
variables; the stop-at-step hook, call_logit_fn, the logit_fn builders and the supervised
input receiver; TF's errors."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest

import minitf as tf
from minitf.estimator.experimental import read_eval_metrics

exp = tf.estimator.experimental
Modes = tf.estimator.ModeKeys
LR = 0.25


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default() as g:
        yield g
    tf.summary.FileWriterCache.clear()


def _w(step):
    """Gradient descent at LR on (w - 3)^2 from w = 0: w_t = 3 (1 - (1 - 2 LR)^t)."""
    return 3.0 * (1.0 - (1.0 - 2 * LR) ** step)


def _score(step):
    return -(_w(step) - 2.0) ** 2  # peaks at step 2 (w = 2.25), then falls


def _loss(step):
    return (_w(step) - 3.0) ** 2


def _model_fn(features, labels, mode):
    w = tf.get_variable("w", [], initializer=tf.zeros_initializer())
    loss = tf.square(w - 3.0) + 0.0 * tf.reduce_sum(features["x"])
    train_op = tf.train.GradientDescentOptimizer(LR).minimize(
        loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(
        mode, loss=loss, train_op=train_op, predictions={"w": w + 0.0 * features["x"]},
        eval_metric_ops={"score": tf.metrics.mean(-tf.square(w - 2.0))})


def _input():
    x = np.zeros((2, 1), np.float32)
    return tf.estimator.inputs.numpy_input_fn({"x": x}, np.zeros(2, np.float32), batch_size=2,
                                              num_epochs=None, shuffle=False)


def _estimator(model_dir, **config):
    config.setdefault("log_step_count_steps", None)
    return tf.estimator.Estimator(_model_fn, model_dir=str(model_dir),
                                  config=tf.estimator.RunConfig(**config))


def _train_and_evaluate(est, hook, max_steps=8):
    """Checkpoint (and evaluate) every 2 steps; the hook asks after every step."""
    tf.estimator.train_and_evaluate(
        est, tf.estimator.TrainSpec(_input(), max_steps=max_steps, hooks=[hook]),
        tf.estimator.EvalSpec(_input(), steps=1, throttle_secs=0))
    return int(est.get_variable_value("global_step"))


# -- read_eval_metrics --------------------------------------------------------------------------
def _write(directory, suffix, step_values):
    writer = tf.summary.FileWriter(str(directory), filename_suffix=suffix)
    for step, values in step_values:
        writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag=k, simple_value=v)
                                             for k, v in values.items()]), step)
    # A histogram (no simple_value) is not a metric.
    writer.add_summary(tf.Summary(value=[tf.Summary.Value(
        tag="h", histo=tf.HistogramProto(min=0.0, max=1.0))]), 99)
    writer.close()


def test_read_eval_metrics_merges_files_and_steps_in_step_order(tmp_path):
    _write(tmp_path, ".a", [(20, {"acc": 0.5}), (10, {"acc": 0.25})])
    _write(tmp_path, ".b", [(20, {"loss": 2.0}), (5, {"acc": 0.125, "loss": 3.0})])
    got = read_eval_metrics(str(tmp_path))
    assert list(got) == [5, 10, 20]
    assert got[5] == {"acc": 0.125, "loss": 3.0}
    assert got[10] == {"acc": 0.25}
    assert got[20] == {"acc": 0.5, "loss": 2.0}
    assert read_eval_metrics(str(tmp_path / "missing")) == {}


def test_read_eval_metrics_skips_the_rest_of_a_corrupt_file(tmp_path):
    _write(tmp_path, ".a", [(1, {"acc": 0.5}), (2, {"acc": 0.75})])
    _write(tmp_path, ".b", [(3, {"acc": 1.0})])
    path = glob.glob(os.path.join(tmp_path, "*.a"))[0]
    data = open(path, "rb").read()
    with open(path, "wb") as f:  # flip a byte of the last record's data: its CRC fails
        f.write(data[:-8] + bytes([data[-8] ^ 0xFF]) + data[-7:])
    got = read_eval_metrics(str(tmp_path))
    assert got[1] == {"acc": 0.5} and got[2] == {"acc": 0.75} and got[3] == {"acc": 1.0}


def test_read_eval_metrics_reads_what_tensorflow_writes(tmp_path):
    from .side_by_side import tf1_or_skip

    tf1 = tf1_or_skip()
    with tf1.Graph().as_default():
        writer = tf1.summary.FileWriter(str(tmp_path))
        writer.add_summary(tf1.Summary(value=[tf1.Summary.Value(tag="f1", simple_value=0.5)]),
                           7)
        writer.close()
    assert read_eval_metrics(str(tmp_path)) == {7: {"f1": 0.5}}


# -- the early-stopping hooks with real evaluations ---------------------------------------------
def test_stop_if_no_increase_stops_when_the_best_is_max_steps_old(tmp_path):
    est = _estimator(tmp_path, save_checkpoints_steps=2)
    hook = exp.stop_if_no_increase_hook(est, "score", 4, run_every_secs=None, run_every_steps=1)
    # Evaluations at 2, 4, 6: the best score is step 2's; at step 6 it is 4 steps old.
    assert _score(2) > _score(4) > _score(6) and _score(2) > _score(0)
    assert _train_and_evaluate(est, hook, max_steps=20) == 6
    got = read_eval_metrics(est.eval_dir())
    assert list(got) == [2, 4, 6]
    for step in got:
        np.testing.assert_allclose(got[step]["score"], _score(step), rtol=1e-6)
        np.testing.assert_allclose(got[step]["loss"], _loss(step), rtol=1e-6)


def test_stop_if_no_decrease_never_stops_on_a_falling_loss(tmp_path):
    est = _estimator(tmp_path, save_checkpoints_steps=2)
    hook = exp.stop_if_no_decrease_hook(est, "loss", 2, run_every_secs=None, run_every_steps=1)
    assert _train_and_evaluate(est, hook) == 8
    assert list(read_eval_metrics(est.eval_dir())) == [2, 4, 6, 8]


@pytest.mark.parametrize("kind, metric, threshold, min_steps, stop_step", [
    ("higher", "score", -0.1, 0, 2),   # score(2) = -0.0625 > -0.1
    ("higher", "score", -0.1, 3, 8),   # step 2 ignored; later scores are lower: never
    ("lower", "loss", 0.05, 0, 4),     # loss(2) = 0.5625, loss(4) = 0.0352 < 0.05
    ("lower", "loss", 1e-9, 0, 8),     # never that low within 8 steps
])
def test_threshold_hooks(tmp_path, kind, metric, threshold, min_steps, stop_step):
    crossed = [s for s in range(2, 9, 2) if s >= min_steps and (
        _score(s) > threshold if kind == "higher" else _loss(s) < threshold)]
    assert (crossed[0] if crossed else 8) == stop_step  # the hand-computed expectation
    est = _estimator(tmp_path, save_checkpoints_steps=2)
    make = exp.stop_if_higher_hook if kind == "higher" else exp.stop_if_lower_hook
    hook = make(est, metric, threshold, min_steps=min_steps, run_every_secs=None,
                run_every_steps=1)
    assert _train_and_evaluate(est, hook) == stop_step


def test_hook_reads_a_given_eval_dir_and_min_steps(tmp_path):
    """Eval results written beforehand (another job's): the hook stops at its first check."""
    est = _estimator(tmp_path / "model")
    _write(tmp_path / "other", ".a", [(100, {"f1": 0.9}), (600, {"f1": 0.8})])
    hook = exp.stop_if_no_increase_hook(est, "f1", 500, eval_dir=str(tmp_path / "other"),
                                        run_every_secs=None, run_every_steps=1)
    est.train(_input(), max_steps=5, hooks=[hook])
    assert est.get_variable_value("global_step") == 1
    # With min_steps past step 100, only step 600 counts: no stop.
    hook = exp.stop_if_no_increase_hook(est, "f1", 500, eval_dir=str(tmp_path / "other"),
                                        min_steps=200, run_every_secs=None, run_every_steps=1)
    est.train(_input(), max_steps=5, hooks=[hook])
    assert est.get_variable_value("global_step") == 5


class _ReadStop(tf.train.SessionRunHook):
    def end(self, session):
        self.stop = session.run(tf.get_default_graph().get_tensor_by_name(
            "signal_early_stopping/STOP:0"))


def test_make_early_stopping_hook_asks_every_n_steps_and_sets_stop(tmp_path):
    est = _estimator(tmp_path)
    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) == 3

    reader = _ReadStop()
    hook = exp.make_early_stopping_hook(est, should_stop, run_every_secs=None,
                                        run_every_steps=3)
    est.train(_input(), max_steps=20, hooks=[hook, reader])
    # Asked after steps 1, 4 and 7 (every 3 global steps); the third says stop.
    assert len(calls) == 3
    assert est.get_variable_value("global_step") == 7
    assert reader.stop


def test_make_early_stopping_hook_every_secs_asks_once_in_a_short_run(tmp_path):
    est = _estimator(tmp_path)
    calls = []
    hook = exp.make_early_stopping_hook(est, lambda: calls.append(1) and False,
                                        run_every_secs=3600)
    reader = _ReadStop()
    est.train(_input(), max_steps=5, hooks=[hook, reader])
    assert len(calls) == 1 and est.get_variable_value("global_step") == 5
    assert not reader.stop


def test_early_stopping_errors(tmp_path):
    est = _estimator(tmp_path)
    with pytest.raises(TypeError, match="must have type `tf.estimator.Estimator`"):
        exp.make_early_stopping_hook(object(), lambda: False)
    with pytest.raises(ValueError, match="Only one of `run_every_secs` and `run_every_steps`"):
        exp.stop_if_higher_hook(est, "acc", 0.9, run_every_secs=10, run_every_steps=10)
    with pytest.raises(TypeError, match="`should_stop_fn` must be callable"):
        exp.make_early_stopping_hook(est, 3)
    _write(tmp_path / "eval", ".a", [(1, {"acc": 0.5})])
    hook = exp.stop_if_higher_hook(est, "f1", 0.9, run_every_secs=None, run_every_steps=1)
    with pytest.raises(KeyError, match="'f1'.*\\['acc'\\]"):
        est.train(_input(), max_steps=3, hooks=[hook])


# -- InMemoryEvaluatorHook ----------------------------------------------------------------------
def test_in_memory_evaluator_evaluates_every_n_iter_without_checkpoints(tmp_path):
    est = _estimator(tmp_path, save_checkpoints_steps=None, save_checkpoints_secs=3600)
    hook = exp.InMemoryEvaluatorHook(est, _input(), steps=1, every_n_iter=3)
    est.train(_input(), max_steps=7, hooks=[hook])
    # Checkpoints at the start and the end only, yet steps 3 and 6 were evaluated.
    assert sorted(os.path.basename(p) for p in glob.glob(str(tmp_path / "model.ckpt-*.index"))) \
        == ["model.ckpt-0.index", "model.ckpt-7.index"]
    got = read_eval_metrics(est.eval_dir())
    assert list(got) == [0, 3, 6, 7]  # at start, every 3 iterations, at the end
    for step, metrics in got.items():
        np.testing.assert_allclose(metrics["score"], _score(step), rtol=1e-6)
        np.testing.assert_allclose(metrics["loss"], _loss(step), rtol=1e-6)


def test_in_memory_evaluator_initializes_eval_only_variables(tmp_path):
    """As TF's, the eval session still runs the default init op before the training values
    are fed: a variable only the EVAL graph has starts at its initial value."""
    def model_fn(features, labels, mode):
        spec = _model_fn(features, labels, mode)
        if mode != tf.estimator.ModeKeys.EVAL:
            return spec
        extra = tf.get_variable("eval_only", [], initializer=tf.constant_initializer(5.0))
        return spec._replace(eval_metric_ops={**spec.eval_metric_ops,
                                              "extra": tf.metrics.mean(extra)})

    est = tf.estimator.Estimator(model_fn, model_dir=str(tmp_path),
                                 config=tf.estimator.RunConfig(log_step_count_steps=None))
    est.train(_input(), max_steps=2,
              hooks=[exp.InMemoryEvaluatorHook(est, _input(), steps=1, every_n_iter=100)])
    got = read_eval_metrics(est.eval_dir())
    assert list(got) == [0, 2] and all(m["extra"] == 5.0 for m in got.values())
    np.testing.assert_allclose(got[2]["score"], _score(2), rtol=1e-6)


def test_in_memory_evaluator_named_and_errors(tmp_path):
    est = _estimator(tmp_path)
    hook = exp.InMemoryEvaluatorHook(est, _input(), steps=1, name="train", every_n_iter=100)
    est.train(_input(), max_steps=2, hooks=[hook])
    assert list(read_eval_metrics(os.path.join(str(tmp_path), "eval_train"))) == [0, 2]
    with pytest.raises(ValueError, match="invalid every_n_iter=0"):
        exp.InMemoryEvaluatorHook(est, _input(), every_n_iter=0)
    with pytest.raises(ValueError, match="Must specify steps > 0"):
        exp.InMemoryEvaluatorHook(est, _input(), steps=0)

    def saver_model_fn(features, labels, mode):
        spec = _model_fn(features, labels, mode)
        return spec._replace(scaffold=tf.train.Scaffold(saver=tf.train.Saver()))

    other = tf.estimator.Estimator(saver_model_fn, model_dir=str(tmp_path / "o"))
    hook = exp.InMemoryEvaluatorHook(other, _input(), steps=1)
    with pytest.raises(ValueError, match="does not support custom saver"):
        other.train(_input(), max_steps=1, hooks=[hook])


# -- smaller pieces -----------------------------------------------------------------------------
def test_make_stop_at_checkpoint_step_hook(tmp_path):
    est = _estimator(tmp_path)
    est.train(_input(), hooks=[exp.make_stop_at_checkpoint_step_hook(est, 4)])
    assert est.get_variable_value("global_step") == 4


def test_call_logit_fn_passes_what_it_takes():
    x = tf.constant([[1.0, 2.0]])
    seen = {}

    def logit_fn(features, mode, config):
        seen.update(mode=mode, config=config)
        return {"a": features * 2.0}

    out = exp.call_logit_fn(logit_fn, x, Modes.TRAIN, {"p": 1}, "cfg")
    assert seen == {"mode": Modes.TRAIN, "config": "cfg"} and set(out) == {"a"}
    assert exp.call_logit_fn(lambda features: features, x, Modes.EVAL, None, None) is x
    with pytest.raises(ValueError, match="logit_fn should return a Tensor or a dictionary"):
        exp.call_logit_fn(lambda features: {"a": 1.0}, x, Modes.EVAL, None, None)


def test_linear_logit_fn_builder_is_the_canned_linear_model():
    column = tf.feature_column.numeric_column("x", shape=(2,))
    fn = exp.linear_logit_fn_builder(units=3, feature_columns=[column])
    x = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)
    with tf.variable_scope("linear"):
        logits = fn(features={"x": tf.constant(x)})
    names = sorted(v.op.name for v in tf.global_variables())
    assert names == ["linear/linear_model/bias_weights", "linear/linear_model/x/weights"]
    weights = [v for v in tf.global_variables() if v.op.name.endswith("x/weights")][0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(tf.assign(weights, [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]]))
        got = sess.run(logits)
    np.testing.assert_allclose(got, x @ np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]]))
    with pytest.raises(ValueError, match="units must be an int"):
        exp.linear_logit_fn_builder(units=2.0, feature_columns=[column])


def test_dnn_logit_fn_builder_makes_the_canned_dnn_variables():
    column = tf.feature_column.numeric_column("x", shape=(2,))
    fn = exp.dnn_logit_fn_builder(1, [4], [column], tf.nn.relu, None, None, False)
    with tf.variable_scope("dnn"):
        logits = fn({"x": tf.zeros([3, 2])}, Modes.TRAIN)
    assert logits.shape.as_list() == [3, 1]
    assert sorted(v.op.name for v in tf.global_variables()) == [
        "dnn/hiddenlayer_0/bias", "dnn/hiddenlayer_0/kernel", "dnn/logits/bias",
        "dnn/logits/kernel"]
    with pytest.raises(ValueError, match="units must be an int"):
        exp.dnn_logit_fn_builder("1", [4], [column], tf.nn.relu, None, None, False)


def test_build_raw_supervised_input_receiver_fn():
    fn = exp.build_raw_supervised_input_receiver_fn(
        {"x": tf.zeros([5, 3]), "id": tf.zeros([5], tf.int64)}, tf.zeros([5, 1], tf.int32))
    with tf.Graph().as_default():
        receiver = fn()
        assert set(receiver.receiver_tensors) == {"x", "id", "label"}
        assert receiver.features["x"].shape.as_list() == [None, 3]
        assert receiver.labels.dtype == tf.int32 and receiver.labels.shape.as_list() == [None, 1]
        assert receiver.receiver_tensors["label"] is receiver.labels
        assert receiver.features["x"].op.type == "Placeholder"
    single = exp.build_raw_supervised_input_receiver_fn(tf.zeros([2]), {"y": tf.zeros([2])},
                                                        default_batch_size=2)
    with tf.Graph().as_default():
        receiver = single()
        assert set(receiver.receiver_tensors) == {"input", "y"}
        assert receiver.features.shape.as_list() == [2]
    with pytest.raises(ValueError, match="Features and labels must have distinct keys.*'a'"):
        exp.build_raw_supervised_input_receiver_fn({"a": tf.zeros([1])}, {"a": tf.zeros([1])})


def test_missing_experimental_members_name_themselves():
    with pytest.raises(AttributeError, match="KMeans.*not provided by minitf"):
        exp.KMeans  # noqa: B018
