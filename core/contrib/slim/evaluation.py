"""``tf.contrib.slim.evaluation``: slim's evaluate_once / evaluation_loop, contrib.training's
evaluation with a StopAfterNEvalsHook and the summaries written to ``logdir`` at the end."""

from ... import summary
from ...train.saver import Saver
from ..training_eval import (StopAfterNEvalsHook, SummaryAtEndHook, checkpoints_iterator,
                            evaluate_once as _evaluate_once,
                            evaluate_repeatedly as _evaluate_repeatedly,
                            get_or_create_eval_step, wait_for_new_checkpoint)

__all__ = ["StopAfterNEvalsHook", "SummaryAtEndHook", "checkpoints_iterator", "evaluate_once",
           "evaluation_loop", "get_or_create_eval_step", "wait_for_new_checkpoint"]

_USE_DEFAULT = 0


def _eval_hooks(num_evals, summary_op, logdir, summary_op_feed_dict, hooks):
    if summary_op == _USE_DEFAULT:
        summary_op = summary.merge_all()
    all_hooks = [StopAfterNEvalsHook(num_evals)]
    if summary_op is not None:
        all_hooks.append(SummaryAtEndHook(log_dir=logdir, summary_op=summary_op,
                                          feed_dict=summary_op_feed_dict))
    return all_hooks + list(hooks or [])


def evaluate_once(master, checkpoint_path, logdir, num_evals=1, initial_op=None,
                  initial_op_feed_dict=None, eval_op=None, eval_op_feed_dict=None,
                  final_op=None, final_op_feed_dict=None, summary_op=_USE_DEFAULT,
                  summary_op_feed_dict=None, variables_to_restore=None, session_config=None,
                  hooks=None):
    """Restores ``checkpoint_path``, runs ``eval_op`` ``num_evals`` times, writes the summaries
    to ``logdir`` and returns ``final_op``'s value."""
    from ...train.monitored_session import Scaffold

    saver = Saver(variables_to_restore) if variables_to_restore is not None else None
    return _evaluate_once(
        checkpoint_path, master=master,
        scaffold=Scaffold(init_op=initial_op, init_feed_dict=initial_op_feed_dict, saver=saver),
        eval_ops=eval_op, feed_dict=eval_op_feed_dict, final_ops=final_op,
        final_ops_feed_dict=final_op_feed_dict,
        hooks=_eval_hooks(num_evals, summary_op, logdir, summary_op_feed_dict, hooks),
        config=session_config)


def evaluation_loop(master, checkpoint_dir, logdir, num_evals=1, initial_op=None,
                    initial_op_feed_dict=None, init_fn=None, eval_op=None,
                    eval_op_feed_dict=None, final_op=None, final_op_feed_dict=None,
                    summary_op=_USE_DEFAULT, summary_op_feed_dict=None,
                    variables_to_restore=None, eval_interval_secs=60,
                    max_number_of_evaluations=None, session_config=None, timeout=None,
                    timeout_fn=None, hooks=None):
    """``evaluate_once`` on each new checkpoint of ``checkpoint_dir``."""
    from ...train.monitored_session import Scaffold

    saver = Saver(variables_to_restore) if variables_to_restore is not None else None
    return _evaluate_repeatedly(
        checkpoint_dir, master=master,
        scaffold=Scaffold(init_op=initial_op, init_feed_dict=initial_op_feed_dict,
                          init_fn=init_fn, saver=saver),
        eval_ops=eval_op, feed_dict=eval_op_feed_dict, final_ops=final_op,
        final_ops_feed_dict=final_op_feed_dict, eval_interval_secs=eval_interval_secs,
        hooks=_eval_hooks(num_evals, summary_op, logdir, summary_op_feed_dict, hooks),
        config=session_config, max_number_of_evaluations=max_number_of_evaluations,
        timeout=timeout, timeout_fn=timeout_fn)

