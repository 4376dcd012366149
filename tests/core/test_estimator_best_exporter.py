"""tf.estimator.BestExporter (TF 1.15's exporter.py): exports only when an evaluation beats
the best so far by compare_fn (default: smaller loss), seeds the best from the eval event
files under model_dir, keeps the exports_to_keep newest 10-digit export directories, and
raises TF's errors for bad arguments. Most cases drive it with a stand-in estimator whose
exports are directories named by a counter; one runs train_and_evaluate end to end."""

from __future__ import annotations

import os

import numpy as np
import pytest

import minitf as tf
from minitf.estimator.best_exporter import _loss_smaller


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield
    tf.summary.FileWriterCache.clear()


class _FakeEstimator:
    """Records exports as <base>/<10-digit counter>/ directories."""

    def __init__(self, model_dir):
        self.model_dir = str(model_dir)
        self.version = 1_500_000_000
        self.exports = []

    def export_saved_model(self, export_dir_base, serving_input_receiver_fn, assets_extra=None,
                           as_text=False, checkpoint_path=None):
        self.version += 1
        path = os.path.join(export_dir_base, str(self.version))
        os.makedirs(path)
        self.exports.append((path, checkpoint_path))
        return path.encode()


def _write_eval_events(model_dir, results):
    """Eval event files as Estimator.evaluate writes them: scalar summaries by step."""
    writer = tf.summary.FileWriter(os.path.join(str(model_dir), "eval"))
    for step, values in results:
        summary = tf.Summary(value=[tf.Summary.Value(tag=k, simple_value=v)
                                    for k, v in values.items()])
        writer.add_summary(summary, step)
    writer.close()


def test_exports_only_improvements(tmp_path):
    est = _FakeEstimator(tmp_path)
    exporter = tf.estimator.BestExporter(serving_input_receiver_fn=lambda: None,
                                         event_file_pattern=None)
    assert exporter.name == "best_exporter"
    base = str(tmp_path / "export" / "best")
    results = [exporter.export(est, base, f"ckpt-{i}", {"loss": loss}, False)
               for i, loss in enumerate([0.5, 0.7, 0.4, 0.4, 0.45, 0.1])]
    exported = [r is not None for r in results]
    assert exported == [True, False, True, False, False, True]
    assert [c for _, c in est.exports] == ["ckpt-0", "ckpt-2", "ckpt-5"]
    assert results[-1] == est.exports[-1][0].encode()


def test_garbage_collection_keeps_newest(tmp_path):
    est = _FakeEstimator(tmp_path)
    base = tmp_path / "export" / "best"
    base.mkdir(parents=True)
    (base / "temp-123").mkdir()  # not a 10-digit version: left alone
    (base / "12345").mkdir()
    exporter = tf.estimator.BestExporter(serving_input_receiver_fn=lambda: None,
                                         event_file_pattern=None, exports_to_keep=2)
    for loss in (5., 4., 3., 2.):
        exporter.export(est, str(base), None, {"loss": loss}, False)
    kept = sorted(os.listdir(base))
    assert kept == sorted(["temp-123", "12345"] + [str(est.version - 1), str(est.version)])

    keep_all = tf.estimator.BestExporter(serving_input_receiver_fn=lambda: None,
                                         event_file_pattern=None, exports_to_keep=None)
    for loss in (5., 4., 3.):
        keep_all.export(est, str(tmp_path / "all"), None, {"loss": loss}, False)
    assert len(os.listdir(tmp_path / "all")) == 3


def test_best_is_seeded_from_eval_events(tmp_path):
    _write_eval_events(tmp_path, [(100, {"loss": 0.5, "accuracy": 0.7}),
                                  (200, {"loss": 0.3, "accuracy": 0.8}),
                                  (300, {"loss": 0.6, "accuracy": 0.6})])
    est = _FakeEstimator(tmp_path)
    exporter = tf.estimator.BestExporter(serving_input_receiver_fn=lambda: None)
    base = str(tmp_path / "export")
    assert exporter.export(est, base, None, {"loss": 0.35}, False) is None  # 0.3 was better
    assert exporter._best_eval_result == {"loss": pytest.approx(0.3),
                                          "accuracy": pytest.approx(0.8)}
    assert exporter.export(est, base, None, {"loss": 0.25}, False) is not None
    assert len(est.exports) == 1

    # The evaluation being exported is the best one in the files: exported once.
    _write_eval_events(tmp_path / "m2", [(10, {"loss": 0.25})])
    est2, fresh = _FakeEstimator(tmp_path / "m2"), tf.estimator.BestExporter(
        serving_input_receiver_fn=lambda: None)
    base2 = str(tmp_path / "export2")
    assert fresh.export(est2, base2, None, {"loss": np.float32(0.25)}, False) is not None
    assert fresh.export(est2, base2, None, {"loss": np.float32(0.25)}, False) is None


def test_custom_compare_fn(tmp_path):
    def higher_accuracy(best_eval_result, current_eval_result):
        return current_eval_result["accuracy"] > best_eval_result["accuracy"]

    est = _FakeEstimator(tmp_path)
    exporter = tf.estimator.BestExporter(name="acc", serving_input_receiver_fn=lambda: None,
                                         compare_fn=higher_accuracy, event_file_pattern=None)
    results = [exporter.export(est, str(tmp_path / "e"), None, {"accuracy": a}, False)
               for a in (0.5, 0.4, 0.9, 0.9)]
    assert [r is not None for r in results] == [True, False, True, False]


def test_errors():
    with pytest.raises(ValueError, match="`compare_fn` must not be None"):
        tf.estimator.BestExporter(compare_fn=None)
    with pytest.raises(ValueError, match="must include current_eval_result argument"):
        tf.estimator.BestExporter(compare_fn=lambda best_eval_result: True)
    with pytest.raises(ValueError, match="must include best_eval_result argument"):
        tf.estimator.BestExporter(compare_fn=lambda current_eval_result: True)
    with pytest.raises(ValueError, match=r"has following not expected args: \['extra'\]"):
        tf.estimator.BestExporter(
            compare_fn=lambda best_eval_result, current_eval_result, extra: True)
    with pytest.raises(ValueError, match="`exports_to_keep`, if provided, must be a positive "
                       "number. Got 0"):
        tf.estimator.BestExporter(exports_to_keep=0)
    with pytest.raises(ValueError, match="best_eval_result cannot be empty or no loss"):
        _loss_smaller({}, {"loss": 1.0})
    with pytest.raises(ValueError, match="current_eval_result cannot be empty or no loss"):
        _loss_smaller({"loss": 1.0}, {"accuracy": 1.0})
    assert isinstance(tf.estimator.BestExporter(), tf.estimator.Exporter)


def test_train_and_evaluate_end_to_end(tmp_path):
    x = np.zeros((8, 1), np.float32)
    y = np.linspace(0, 7, 8).astype(np.float32)
    est = tf.estimator.BaselineRegressor(
        model_dir=str(tmp_path), config=tf.estimator.RunConfig(save_checkpoints_steps=20),
        optimizer=lambda: tf.train.GradientDescentOptimizer(0.01))
    fn = tf.estimator.inputs.numpy_input_fn({"x": x}, y, batch_size=8, num_epochs=None,
                                            shuffle=False)
    eval_fn = tf.estimator.inputs.numpy_input_fn({"x": x}, y, batch_size=8, num_epochs=1,
                                                 shuffle=False)
    receiver = tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.placeholder(tf.float32, [None, 1], name="x")})
    exporter = tf.estimator.BestExporter(serving_input_receiver_fn=receiver, exports_to_keep=1)
    metrics, exports = tf.estimator.train_and_evaluate(
        est, tf.estimator.TrainSpec(fn, max_steps=40),
        tf.estimator.EvalSpec(eval_fn, exporters=exporter, throttle_secs=0))
    assert metrics["global_step"] == 40
    base = os.path.join(str(tmp_path), "export", "best_exporter")
    versions = os.listdir(base)
    assert len(versions) == 1 and len(versions[0]) == 10  # GC kept only the newest
    assert os.path.exists(os.path.join(base, versions[0], "saved_model.pb"))
    assert exports[-1] is not None  # loss falls every evaluation: the last one exported
