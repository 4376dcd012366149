"""``tf.contrib.training``'s evaluation: run eval ops over a checkpoint until a hook stops
(``evaluate_once``), or over each new checkpoint as it appears (``evaluate_repeatedly``). The
loop is the one ``Estimator.evaluate`` uses (TF 1.x shared it the same way)."""

import time

from .. import summary
from .. import tf_logging as logging
from ..estimator.evaluation import _evaluate_once, _StopAfterNEvalsHook, get_or_create_eval_step
from ..train import basic_session_run_hooks as hooks_lib
from ..train.checkpoint_utils import checkpoints_iterator, wait_for_new_checkpoint
from ..train.monitored_session import ChiefSessionCreator, MonitoredSession
from ..train.session_run_hook import SessionRunHook
from ..train.step import get_or_create_global_step, global_step

__all__ = ["StopAfterNEvalsHook", "SummaryAtEndHook", "checkpoints_iterator", "evaluate_once",
           "evaluate_repeatedly", "get_or_create_eval_step", "wait_for_new_checkpoint"]


class StopAfterNEvalsHook(_StopAfterNEvalsHook):
    """Stops the evaluation after ``num_evals`` runs of the eval ops."""


class SummaryAtEndHook(SessionRunHook):
    """Writes ``summary_op`` (``tf.summary.merge_all()`` by default) once, when evaluation
    ends, at the global step."""

    def __init__(self, log_dir=None, summary_writer=None, summary_op=None, feed_dict=None):
        if log_dir is None and summary_writer is None:
            raise ValueError("One of log_dir or summary_writer should be used.")
        self._log_dir, self._summary_writer = log_dir, summary_writer
        self._summary_op, self._replace_summary_op = summary_op, summary_op is None
        self._feed_dict = feed_dict

    def begin(self):
        if self._replace_summary_op:
            self._summary_op = summary.merge_all()
        self._global_step = get_or_create_global_step()

    def after_create_session(self, session, coord):
        if self._summary_writer is None and self._log_dir:
            self._summary_writer = summary.FileWriterCache.get(self._log_dir)

    def end(self, session):
        step = global_step(session, self._global_step)
        summary_str = session.run(self._summary_op, self._feed_dict)
        if self._summary_writer:
            self._summary_writer.add_summary(summary_str, step)
            self._summary_writer.flush()


def evaluate_once(checkpoint_path, master="", scaffold=None, eval_ops=None, feed_dict=None,
                  final_ops=None, final_ops_feed_dict=None, hooks=None, config=None):
    """Restores ``checkpoint_path``, runs ``eval_ops`` until a hook stops (without one, until
    the input runs out), then returns ``final_ops``' values."""
    return _evaluate_once(checkpoint_path, scaffold, eval_ops, final_ops, hooks or [], config,
                          master=master, feed_dict=feed_dict,
                          final_ops_feed_dict=final_ops_feed_dict)


def evaluate_repeatedly(checkpoint_dir, master="", scaffold=None, eval_ops=None,
                        feed_dict=None, final_ops=None, final_ops_feed_dict=None,
                        eval_interval_secs=60, hooks=None, config=None,
                        max_number_of_evaluations=None, timeout=None, timeout_fn=None):
    """Evaluates each new checkpoint in ``checkpoint_dir`` (waiting ``eval_interval_secs``
    between them) until ``max_number_of_evaluations`` or ``timeout``; returns the last
    evaluation's ``final_ops`` values."""
    eval_step = get_or_create_eval_step()
    hooks = list(hooks or [])
    if eval_ops is not None:
        from ..ops.state_ops import assign_add

        update_eval_step = assign_add(eval_step, 1)
        for h in hooks:
            if isinstance(h, _StopAfterNEvalsHook):
                h._set_evals_completed_tensor(update_eval_step)
        eval_ops = [eval_ops, update_eval_step]
    final_hook = hooks_lib.FinalOpsHook(final_ops, final_ops_feed_dict)
    hooks.append(final_hook)
    evaluations = 0
    for checkpoint_path in checkpoints_iterator(checkpoint_dir, eval_interval_secs, timeout,
                                                timeout_fn):
        creator = ChiefSessionCreator(scaffold=scaffold, checkpoint_filename_with_path=
                                      checkpoint_path, master=master, config=config)
        with MonitoredSession(session_creator=creator, hooks=hooks) as session:
            logging.info("Starting evaluation at %s", time.strftime("%Y-%m-%d-%H:%M:%S"))
            if eval_ops is not None:
                while not session.should_stop():
                    session.run(eval_ops, feed_dict)
            logging.info("Finished evaluation at %s", time.strftime("%Y-%m-%d-%H:%M:%S"))
        evaluations += 1
        if max_number_of_evaluations is not None and evaluations >= max_number_of_evaluations:
            return final_hook.final_ops_values
    return final_hook.final_ops_values
