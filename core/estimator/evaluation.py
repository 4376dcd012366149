"""Estimator.evaluate's machinery: metric update ops grouped, a loop over the eval input
counted by the local ``eval_step`` variable (``steps`` stops it early), and the results
written as scalar summaries to the eval directory, as TF 1.x's evaluation.py does."""

from __future__ import annotations

import os
import time

import numpy as np

from .. import summary
from .. import tf_logging as logging
from ..graph import GraphKeys, get_collection
from ..train import basic_session_run_hooks as hooks_lib
from ..train.monitored_session import ChiefSessionCreator, MonitoredSession
from ..train.session_run_hook import SessionRunArgs, SessionRunHook

_EVAL_STEP = "eval_step"


def _extract_metric_update_ops(eval_dict):
    from ..ops.array_ops import group

    update_ops, value_ops = [], {}
    for name, (value, update) in sorted(eval_dict.items()):  # sorted: the same graph each time
        value_ops[name] = value
        update_ops.append(update)
    return (group(*update_ops) if update_ops else None), value_ops


class _StopAfterNEvalsHook(SessionRunHook):
    """Stops evaluation after ``num_evals`` batches (counted by the eval_step variable)."""

    def __init__(self, num_evals, log_progress=True):
        self._num_evals, self._log_progress = num_evals, log_progress
        self._evals_completed = None
        self._log_frequency = 1 if num_evals is None or num_evals < 20 else num_evals // 10

    def _set_evals_completed_tensor(self, tensor):
        self._evals_completed = tensor

    def before_run(self, run_context):
        return SessionRunArgs({"evals_completed": self._evals_completed})

    def after_run(self, run_context, run_values):
        done = int(run_values.results["evals_completed"])
        if self._log_progress and (done % self._log_frequency == 0 or done == self._num_evals):
            logging.info("Evaluation [%d/%d]", done, self._num_evals)
        if done >= self._num_evals:
            run_context.request_stop()


def get_or_create_eval_step():
    """The graph's ``eval_step`` counter (int64, local), created on first use."""
    from ..init_ops import zeros_initializer
    from ..variables import get_variable
    from .. import dtypes

    steps = get_collection(_EVAL_STEP)
    if len(steps) > 1:
        raise ValueError("Multiple tensors added to tf.GraphKeys.EVAL_STEP")
    if steps:
        return steps[0]
    return get_variable(_EVAL_STEP, shape=[], dtype=dtypes.int64,
                        initializer=zeros_initializer(), trainable=False,
                        collections=[GraphKeys.LOCAL_VARIABLES, _EVAL_STEP])


def _evaluate_once(checkpoint_path, scaffold, eval_ops, final_ops, hooks, config, master="",
                   feed_dict=None, final_ops_feed_dict=None):
    from ..graph import control_dependencies
    from ..nest import flatten
    from ..ops.array_ops import identity
    from ..ops.state_ops import assign_add

    eval_step = get_or_create_eval_step()
    hooks = list(hooks)
    if eval_ops is not None:
        # TF adds the step's update to a list or dict of eval ops (slim passes a list of
        # metric updates), and after them counts the evaluation
        update_ops = flatten(eval_ops)
        update_eval_step = assign_add(eval_step, 1)
        if isinstance(eval_ops, dict):
            eval_ops = {**eval_ops, "update_eval_step": update_eval_step}
        elif isinstance(eval_ops, (list, tuple)):
            eval_ops = [*eval_ops, update_eval_step]
        else:
            eval_ops = [eval_ops, update_eval_step]
        with control_dependencies([*update_ops, update_eval_step]):
            done = identity(eval_step.read_value())
        for h in hooks:
            if isinstance(h, _StopAfterNEvalsHook):
                h._set_evals_completed_tensor(done)
    logging.info("Starting evaluation at %s", time.strftime("%Y-%m-%dT%H:%M:%S"))
    start = time.time()
    creator = ChiefSessionCreator(scaffold=scaffold, checkpoint_filename_with_path=checkpoint_path,
                                  master=master, config=config)
    final_hook = hooks_lib.FinalOpsHook(final_ops, final_ops_feed_dict)
    hooks.append(final_hook)
    with MonitoredSession(session_creator=creator, hooks=hooks) as session:
        if eval_ops is not None:
            while not session.should_stop():
                session.run(eval_ops, feed_dict)
    logging.info("Inference Time : %0.5fs", time.time() - start)
    logging.info("Finished evaluation at %s", time.strftime("%Y-%m-%d-%H:%M:%S"))
    return final_hook.final_ops_values


def _scalar_value(tag, x) -> bytes:
    from .. import _wire

    return _wire.length_delimited(1, _wire.string(1, tag) + _wire.float32(2, float(x)))


def _write_dict_to_summary(output_dir, dictionary, current_global_step):
    """The eval results as scalar summaries in ``output_dir``'s events (TF's tags)."""
    logging.info("Saving dict for global step %d: %s", current_global_step, ", ".join(
        f"{k} = {v}" for k, v in sorted(dictionary.items()) if not isinstance(v, bytes)))
    values = b""
    for key, value in dictionary.items():
        if value is None or key == GraphKeys.GLOBAL_STEP:
            continue
        if isinstance(value, (float, int, np.floating, np.integer)) or (
                isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiub"):
            values += _scalar_value(key, value)
        else:
            logging.warning("Skipping summary for %s, must be a float, np.float32, np.int64, "
                            "np.int32 or int.", key)
    writer = summary.FileWriterCache.get(output_dir)
    writer.add_summary(values, current_global_step)
    writer.flush()


def _write_checkpoint_path_to_summary(output_dir, checkpoint_path, current_global_step):
    from .. import _wire

    logging.info("Saving 'checkpoint_path' summary for global step %d: %s", current_global_step,
                 checkpoint_path)
    # Summary.Value{tag, tensor: TensorProto{dtype: DT_STRING, tensor_shape {}, string_val}}.
    tensor = _wire.uint(1, 7) + _wire.length_delimited(2, b"") + \
        _wire.length_delimited(8, os.fsencode(checkpoint_path))
    value = _wire.string(1, "checkpoint_path") + _wire.length_delimited(8, tensor)
    writer = summary.FileWriterCache.get(output_dir)
    writer.add_summary(_wire.length_delimited(1, value), current_global_step)
    writer.flush()
