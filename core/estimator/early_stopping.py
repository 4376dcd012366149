"""Early stopping for ``Estimator.train`` / ``train_and_evaluate`` (TF 1.x's
tensorflow_estimator early_stopping.py): a hook that asks a predicate every N seconds or steps
whether to stop, and the four predicates over the eval metrics that ``Estimator.evaluate``
wrote to the eval directory's event files (read back with ``read_eval_metrics``).

One process: the chief's hook, which also sets the ``signal_early_stopping/STOP`` variable
(global, as TF's), so a model_fn or hook can watch it."""

from __future__ import annotations

import collections
import operator
import os

from .. import tf_logging as logging
from ..train.session_run_hook import SessionRunArgs, SessionRunHook

_EVENT_FILE_GLOB_PATTERN = "events.out.tfevents.*"


def read_eval_metrics(eval_dir) -> collections.OrderedDict:
    """``{global_step: {metric name: value}}`` from the scalar (``simple_value``) summaries
    of every event file in ``eval_dir``, ordered by step. A corrupt record ends the reading
    of its file (with a warning), as TF's does."""
    by_step = collections.defaultdict(dict)
    for event in _summaries(eval_dir):
        if not event.HasField("summary"):
            continue
        metrics = {v.tag: v.simple_value for v in event.summary.value
                   if v.HasField("simple_value")}
        if metrics:
            by_step[event.step].update(metrics)
    return collections.OrderedDict(sorted(by_step.items(), key=lambda t: t[0]))


def _summaries(eval_dir):
    from .. import gfile
    from ..errors import DataLossError
    from ..train.training_extras import summary_iterator

    if not gfile.Exists(eval_dir):
        return
    for path in sorted(gfile.Glob(os.path.join(os.fspath(eval_dir),
                                               _EVENT_FILE_GLOB_PATTERN))):
        try:
            yield from summary_iterator(path)
        except DataLossError as e:
            logging.warning("Skipping rest of the file due to encountering data corruption "
                            "error; file path: %s; original error raised by "
                            "`tf.train.summary_iterator`: %s", path, e)


def make_early_stopping_hook(estimator, should_stop_fn, run_every_secs=60,
                             run_every_steps=None):
    """A hook that calls ``should_stop_fn()`` every ``run_every_secs`` seconds or every
    ``run_every_steps`` steps (exactly one of them) and stops training when it is true."""
    from .estimator import Estimator

    if not isinstance(estimator, Estimator):
        raise TypeError(f"`estimator` must have type `tf.estimator.Estimator`. Got: "
                        f"{type(estimator)}")
    if run_every_secs is not None and run_every_steps is not None:
        raise ValueError("Only one of `run_every_secs` and `run_every_steps` must be set.")
    if estimator.config.is_chief:
        return _StopOnPredicateHook(should_stop_fn, run_every_secs, run_every_steps)
    return _CheckForStoppingHook()


def stop_if_higher_hook(estimator, metric_name, threshold, eval_dir=None, min_steps=0,
                        run_every_secs=60, run_every_steps=None):
    """Stops once an evaluation at step >= ``min_steps`` has ``metric_name`` > ``threshold``."""
    return _threshold_hook(estimator, metric_name, threshold, True, eval_dir, min_steps,
                           run_every_secs, run_every_steps)


def stop_if_lower_hook(estimator, metric_name, threshold, eval_dir=None, min_steps=0,
                       run_every_secs=60, run_every_steps=None):
    """Stops once an evaluation at step >= ``min_steps`` has ``metric_name`` < ``threshold``."""
    return _threshold_hook(estimator, metric_name, threshold, False, eval_dir, min_steps,
                           run_every_secs, run_every_steps)


def stop_if_no_increase_hook(estimator, metric_name, max_steps_without_increase, eval_dir=None,
                             min_steps=0, run_every_secs=60, run_every_steps=None):
    """Stops once ``metric_name`` has not risen above its best for
    ``max_steps_without_increase`` training steps (evaluations before ``min_steps`` ignored)."""
    return _no_improvement_hook(estimator, metric_name, max_steps_without_increase, True,
                                eval_dir, min_steps, run_every_secs, run_every_steps)


def stop_if_no_decrease_hook(estimator, metric_name, max_steps_without_decrease, eval_dir=None,
                             min_steps=0, run_every_secs=60, run_every_steps=None):
    """Stops once ``metric_name`` has not fallen below its best for
    ``max_steps_without_decrease`` training steps (evaluations before ``min_steps`` ignored)."""
    return _no_improvement_hook(estimator, metric_name, max_steps_without_decrease, False,
                                eval_dir, min_steps, run_every_secs, run_every_steps)


def _metric_value(metrics, metric_name, step, eval_dir):
    try:
        return metrics[metric_name]
    except KeyError:
        # TF lets the KeyError escape bare; name what is there instead.
        raise KeyError(f"Early stopping: metric {metric_name!r} is not among the eval "
                       f"metrics written at step {step} in {eval_dir}: "
                       f"{sorted(metrics)}") from None


def _threshold_hook(estimator, metric_name, threshold, higher_is_better, eval_dir, min_steps,
                    run_every_secs, run_every_steps):
    eval_dir = estimator.eval_dir() if eval_dir is None else eval_dir
    better = operator.gt if higher_is_better else operator.lt
    word = "greater than" if higher_is_better else "less than"

    def stop_if_threshold_crossed_fn():
        for step, metrics in read_eval_metrics(eval_dir).items():
            if step < min_steps:
                continue
            value = _metric_value(metrics, metric_name, step, eval_dir)
            if better(value, threshold):
                logging.info('At step %s, metric "%s" has value %s which is %s the configured '
                             'threshold (%s) for early stopping.', step, metric_name, value,
                             word, threshold)
                return True
        return False

    return make_early_stopping_hook(estimator, stop_if_threshold_crossed_fn,
                                    run_every_secs=run_every_secs,
                                    run_every_steps=run_every_steps)


def _no_improvement_hook(estimator, metric_name, max_steps_without_improvement,
                         higher_is_better, eval_dir, min_steps, run_every_secs,
                         run_every_steps):
    eval_dir = estimator.eval_dir() if eval_dir is None else eval_dir
    better = operator.gt if higher_is_better else operator.lt
    word = "increase" if higher_is_better else "decrease"

    def stop_if_no_metric_improvement_fn():
        best, best_step = None, None
        for step, metrics in read_eval_metrics(eval_dir).items():
            if step < min_steps:
                continue
            value = _metric_value(metrics, metric_name, step, eval_dir)
            if best is None or better(value, best):
                best, best_step = value, step
            if step - best_step >= max_steps_without_improvement:
                logging.info('No %s in metric "%s" for %s steps, which is greater than or '
                             'equal to max steps (%s) configured for early stopping.', word,
                             metric_name, step - best_step, max_steps_without_improvement)
                return True
        return False

    return make_early_stopping_hook(estimator, stop_if_no_metric_improvement_fn,
                                    run_every_secs=run_every_secs,
                                    run_every_steps=run_every_steps)


def _get_or_create_stop_var():
    from .. import dtypes
    from ..init_ops import constant_initializer
    from ..variables import AUTO_REUSE, get_variable, variable_scope

    # Global, as TF's: the Estimator's checkpoints hold it, so TF resumes them with its hook.
    with variable_scope("signal_early_stopping", values=[], reuse=AUTO_REUSE):
        return get_variable("STOP", shape=[], dtype=dtypes.bool,
                            initializer=constant_initializer(False), trainable=False)


class _StopOnPredicateHook(SessionRunHook):
    """Requests a stop (and sets the STOP variable) when ``should_stop_fn()`` is true; asks
    it after a run every ``run_every_secs`` seconds or ``run_every_steps`` global steps."""

    def __init__(self, should_stop_fn, run_every_secs=60, run_every_steps=None):
        from ..train.basic_session_run_hooks import SecondOrStepTimer

        if not callable(should_stop_fn):
            raise TypeError("`should_stop_fn` must be callable.")
        self._should_stop_fn = should_stop_fn
        self._timer = SecondOrStepTimer(every_secs=run_every_secs, every_steps=run_every_steps)
        self._global_step_tensor = self._stop_var = self._stop_op = None

    def begin(self):
        from ..ops.state_ops import assign
        from ..train.step import get_global_step

        self._global_step_tensor = get_global_step()
        if self._global_step_tensor is None:
            raise RuntimeError("Global step should be created to use early stopping hooks.")
        self._stop_var = _get_or_create_stop_var()
        self._stop_op = assign(self._stop_var, True)

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values):
        global_step = int(run_values.results)
        if self._timer.should_trigger_for_step(global_step):
            self._timer.update_last_triggered_step(global_step)
            if self._should_stop_fn():
                logging.info("Requesting early stopping at global step %d", global_step)
                run_context.session.run(self._stop_op)
                run_context.request_stop()


class _CheckForStoppingHook(SessionRunHook):
    """A non-chief's side: stops once the chief has set the STOP variable."""

    def begin(self):
        self._stop_var = _get_or_create_stop_var()

    def before_run(self, run_context):
        return SessionRunArgs(self._stop_var)

    def after_run(self, run_context, run_values):
        if run_values.results:
            logging.info("Early stopping requested, suspending run.")
            run_context.request_stop()
