"""``tf.estimator.train_and_evaluate`` (local: training with an evaluation after each new
checkpoint, throttled by ``EvalSpec.throttle_secs``, and one at the end), its ``TrainSpec`` and
``EvalSpec``, and the exporters an EvalSpec runs after evaluating."""

from __future__ import annotations

import collections
import os
import shutil

from .. import tf_logging as logging
from ..train.basic_session_run_hooks import CheckpointSaverListener, SecondOrStepTimer
from .model_fn import _validate_hooks


class TrainSpec(collections.namedtuple("TrainSpec", ["input_fn", "max_steps", "hooks",
                                                     "saving_listeners"])):
    def __new__(cls, input_fn, max_steps=None, hooks=None, saving_listeners=None):
        if not callable(input_fn):
            raise TypeError(f"`input_fn` must be callable, given: {input_fn}")
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        listeners = tuple(saving_listeners or [])
        for listener in listeners:
            if not isinstance(listener, CheckpointSaverListener):
                raise TypeError(f"All saving_listeners must be `CheckpointSaverListener` "
                                f"instances, given: {listener}")
        return super().__new__(cls, input_fn, max_steps, _validate_hooks(hooks), listeners)


class EvalSpec(collections.namedtuple("EvalSpec", [
        "input_fn", "steps", "name", "hooks", "exporters", "start_delay_secs",
        "throttle_secs"])):
    def __new__(cls, input_fn, steps=100, name=None, hooks=None, exporters=None,
                start_delay_secs=120, throttle_secs=600):
        if not callable(input_fn):
            raise TypeError(f"`input_fn` must be callable, given: {input_fn}")
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be string, given: {name}")
        if exporters is None:
            exporters = ()
        elif isinstance(exporters, Exporter):
            exporters = (exporters,)
        else:
            exporters = tuple(exporters)
        names = set()
        for exporter in exporters:
            if not isinstance(exporter, Exporter):
                raise TypeError(f"`exporters` must be an Exporter, an iterable of Exporter, or "
                                f"`None`, found {exporter}.")
            if not exporter.name or not exporter.name.strip():
                raise ValueError(f"An Exporter cannot have a name that is `None` or empty. "
                                 f"All exporter names: {[e.name for e in exporters]}")
            if exporter.name in names:
                raise ValueError(f"`exporters` must have unique names. Such a name cannot be "
                                 f"`None`. All exporter names: {[e.name for e in exporters]}")
            names.add(exporter.name)
        if start_delay_secs < 0:
            raise ValueError(f"Must specify start_delay_secs >= 0, given: {start_delay_secs}")
        if throttle_secs < 0:
            raise ValueError(f"Must specify throttle_secs >= 0, given: {throttle_secs}")
        return super().__new__(cls, input_fn, steps, name, _validate_hooks(hooks), exporters,
                               start_delay_secs, throttle_secs)


# -- exporters ----------------------------------------------------------------------------------
class Exporter:
    """Exports the model after an evaluation: ``export(estimator, export_path,
    checkpoint_path, eval_result, is_the_final_export)`` returns the path written (or None)."""

    @property
    def name(self):
        raise NotImplementedError

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        raise NotImplementedError


class FinalExporter(Exporter):
    """Exports once, after the final evaluation."""

    def __init__(self, name, serving_input_receiver_fn, assets_extra=None, as_text=False):
        self._name, self._fn = name, serving_input_receiver_fn
        self._assets_extra, self._as_text = assets_extra, as_text

    name = property(lambda self: self._name)

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        if not is_the_final_export:
            return None
        logging.info("Performing the final export in the end of training.")
        return estimator.export_saved_model(export_path, self._fn,
                                            assets_extra=self._assets_extra,
                                            as_text=self._as_text,
                                            checkpoint_path=checkpoint_path)


class LatestExporter(FinalExporter):
    """Exports after every evaluation, keeping the ``exports_to_keep`` newest."""

    def __init__(self, name, serving_input_receiver_fn, assets_extra=None, as_text=False,
                 exports_to_keep=5):
        super().__init__(name, serving_input_receiver_fn, assets_extra, as_text)
        if exports_to_keep is not None and exports_to_keep <= 0:
            raise ValueError("`exports_to_keep`, if provided, must be a positive number. Got "
                             f"{exports_to_keep}")
        self._keep = exports_to_keep

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        path = estimator.export_saved_model(export_path, self._fn,
                                            assets_extra=self._assets_extra,
                                            as_text=self._as_text,
                                            checkpoint_path=checkpoint_path)
        if self._keep is not None:
            versions = sorted(int(d) for d in os.listdir(export_path) if d.isdigit())
            for old in versions[:-self._keep]:
                shutil.rmtree(os.path.join(export_path, str(old)), ignore_errors=True)
        return path


# -- the loop -----------------------------------------------------------------------------------
class _Evaluator:
    """Evaluates the newest checkpoint (once per checkpoint) and runs the exporters."""

    def __init__(self, estimator, eval_spec, max_training_steps):
        self._estimator, self._spec, self._max_steps = estimator, eval_spec, max_training_steps
        self._previous = None

    def evaluate_and_export(self):
        latest = self._estimator.latest_checkpoint()
        if not latest:
            logging.error("Estimator is not trained yet. Will start an evaluation when a "
                          "checkpoint is ready.")
            return None, []
        if latest == self._previous:
            logging.error("No new checkpoint ready for evaluation. Skip the current evaluation "
                          "pass as evaluation results are expected to be same for the same "
                          "checkpoint.")
            return None, []
        metrics = self._estimator.evaluate(input_fn=self._spec.input_fn, steps=self._spec.steps,
                                           name=self._spec.name, checkpoint_path=latest,
                                           hooks=self._spec.hooks)
        if not metrics:
            raise RuntimeError("Internal error: `Estimator.evaluate` should never return empty "
                               "metrics.")
        self._previous = latest
        step = metrics["global_step"]
        final = bool(self._max_steps and step >= self._max_steps)
        exports = []
        for exporter in self._spec.exporters:
            base = os.path.join(self._estimator.model_dir, "export", exporter.name)
            exports.append(exporter.export(self._estimator, base, latest, metrics, final))
        return metrics, exports


class _NewCheckpointListenerForEvaluate(CheckpointSaverListener):
    """Evaluates after a checkpoint is saved (at most every ``throttle_secs``) and at the
    end of training."""

    def __init__(self, evaluator, throttle_secs):
        self._evaluator, self._throttle = evaluator, throttle_secs
        self.eval_result, self.export_results = None, []

    def begin(self):
        self._timer = SecondOrStepTimer(every_secs=self._throttle)
        self._is_first_run = True

    def after_save(self, session, global_step_value):
        if self._is_first_run:  # the checkpoint written when the session starts
            self._is_first_run = False
            return
        if self._timer.should_trigger_for_step(global_step_value):
            self._evaluate(global_step_value)
        else:
            logging.info("Skip the current checkpoint eval due to throttle secs (%s secs).",
                         self._throttle)

    def end(self, session, global_step_value):
        if global_step_value != self._timer.last_triggered_step():
            self._evaluate(global_step_value)

    def _evaluate(self, global_step_value):
        self._timer.update_last_triggered_step(global_step_value)
        metrics, exports = self._evaluator.evaluate_and_export()
        if metrics is None:
            raise RuntimeError("There was no new checkpoint after the training.")
        self.eval_result, self.export_results = metrics, exports
        logging.info("Saving dict for global step %d: %s", metrics["global_step"], ", ".join(
            f"{k} = {v}" for k, v in sorted(metrics.items())))


def train_and_evaluate(estimator, train_spec, eval_spec):
    """Trains ``estimator`` on ``train_spec`` and evaluates ``eval_spec`` on each new
    checkpoint (not more often than ``throttle_secs``) and after the last step; returns
    ``(last metrics, export results)``. Local only: there is no cluster to distribute to."""
    from .estimator import Estimator

    if not isinstance(estimator, Estimator):
        raise TypeError(f"`estimator` must have type `tf.estimator.Estimator`. Got: "
                        f"{type(estimator)}")
    if not isinstance(train_spec, TrainSpec):
        raise TypeError(f"`train_spec` must have type `tf.estimator.TrainSpec`. Got: "
                        f"{type(train_spec)}")
    if not isinstance(eval_spec, EvalSpec):
        raise TypeError(f"`eval_spec` must have type `tf.estimator.EvalSpec`. Got: "
                        f"{type(eval_spec)}")
    config = estimator.config
    logging.info("Start train and evaluate loop. The evaluate will happen after every "
                 "checkpoint. Checkpoint frequency is determined based on RunConfig arguments: "
                 "save_checkpoints_steps %s or save_checkpoints_secs %s.",
                 config.save_checkpoints_steps, config.save_checkpoints_secs)
    evaluator = _Evaluator(estimator, eval_spec, train_spec.max_steps)
    listener = _NewCheckpointListenerForEvaluate(evaluator, eval_spec.throttle_secs)
    estimator.train(input_fn=train_spec.input_fn, max_steps=train_spec.max_steps,
                    hooks=list(train_spec.hooks),
                    saving_listeners=[listener, *train_spec.saving_listeners])
    return listener.eval_result, listener.export_results
