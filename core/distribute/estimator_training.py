"""Estimator training and evaluation under a strategy (TF 1.15's
Estimator._train_model_distributed / _call_model_fn_eval_distributed), called by
core/estimator/estimator.py when ``RunConfig(train_distribute=...)`` /
``eval_distribute`` name a strategy.

As TF: ``input_fn`` (taking an optional ``input_context``) must return a tf.data.Dataset; its
iterator is made by ``strategy.make_input_fn_iterator`` and initialized by a hook; ``model_fn``
runs once per replica (``call_for_each_replica``) inside the strategy's scope; the reported
loss is the replicas' MEAN and the train op their group. Prediction is not distributed in TF
1.15, nor here.
"""

from __future__ import annotations

from .. import tf_logging as logging
from ..graph import Graph, GraphKeys, get_default_graph
from ..train.session_run_hook import SessionRunHook
from ..train.step import create_global_step, get_global_step
from .reduce_util import ReduceOp

__all__ = ["evaluate_build_graph_distributed", "train_model_distributed"]


def _check_strategy(strategy, what):
    if not (hasattr(strategy, "scope") and hasattr(strategy, "extended")):
        raise TypeError(f"RunConfig({what}=...) must be a tf.distribute.Strategy, got "
                        f"{strategy!r}")


class DistributedIteratorInitializerHook(SessionRunHook):
    """Runs the distributed iterator's initializer when the session is created."""

    def __init__(self, iterator):
        self._iterator = iterator

    def begin(self):
        self._initializer = self._iterator.initialize()

    def after_create_session(self, session, coord):
        session.run(self._initializer)


def _iterator_from_input_fn(estimator, input_fn, mode, strategy):
    from ..estimator.model_fn import fn_args

    if not callable(input_fn):
        raise TypeError(f"input_fn must be callable, given: {input_fn}")
    args = fn_args(input_fn)

    def call(input_context):
        kwargs = {}
        if "mode" in args:
            kwargs["mode"] = mode
        if "params" in args:
            kwargs["params"] = estimator.params
        if "config" in args:
            kwargs["config"] = estimator.config
        if "input_context" in args:
            logging.info("Passing input_context to input_fn.")
            kwargs["input_context"] = input_context
        with get_default_graph().device("/cpu:0"):
            return input_fn(**kwargs)

    iterator = strategy.make_input_fn_iterator(call)
    return iterator, [DistributedIteratorInitializerHook(iterator)]


def _parse_iterator_result(result):
    if isinstance(result, (list, tuple)):
        if len(result) != 2:
            raise ValueError("input_fn should return (features, labels) as a len 2 tuple.")
        return result[0], result[1]
    return result, None


def _first_replica(strategy, hooks):
    return [strategy.experimental_local_results(h)[0] for h in hooks]


def train_model_distributed(estimator, input_fn, hooks, saving_listeners):
    """Estimator.train's graph and loop with ``config.train_distribute``."""
    from ..estimator.model_fn import EstimatorSpec, ModeKeys
    from ..random import set_random_seed

    config = estimator._config
    strategy = config.train_distribute
    _check_strategy(strategy, "train_distribute")
    strategy.configure(config.session_config)
    worker_hooks = []
    with Graph().as_default() as g:
        # The V1 optimizer would scale a mean loss by 1/replicas under an Estimator (one
        # replica here: never); the loss is reported as the replicas' mean.
        with strategy.scope(), strategy._scale_loss_for_estimator_enabled():
            if config.tf_random_seed is not None:
                set_random_seed(config.tf_random_seed)
            iterator, input_hooks = _iterator_from_input_fn(estimator, input_fn,
                                                            ModeKeys.TRAIN, strategy)
            worker_hooks.extend(input_hooks)
            global_step = create_global_step(g)
            if not global_step.dtype.is_integer:
                raise TypeError("global_step must be an integer variable")
            features, labels = _parse_iterator_result(iterator.get_next())
            grouped = strategy.extended.call_for_each_replica(
                estimator._call_model_fn, args=(features, labels, ModeKeys.TRAIN,
                                                estimator.config))
            loss = strategy.reduce(ReduceOp.MEAN, grouped.loss, axis=None)
            spec = EstimatorSpec(
                mode=grouped.mode, loss=loss, train_op=strategy.group(grouped.train_op),
                training_hooks=_first_replica(strategy, grouped.training_hooks),
                training_chief_hooks=_first_replica(strategy, grouped.training_chief_hooks),
                scaffold=grouped.scaffold)
            return estimator._train_with_estimator_spec(spec, worker_hooks, hooks,
                                                        global_step, saving_listeners)


def evaluate_build_graph_distributed(estimator, input_fn, hooks, checkpoint_path=None):
    """Estimator.evaluate's graph with ``config.eval_distribute``: (scaffold, grouped metric
    updates, {name: value} with ``loss`` and ``global_step``, all hooks)."""
    from .. import metrics
    from ..estimator.evaluation import _extract_metric_update_ops
    from ..estimator.model_fn import ModeKeys

    strategy = estimator._config.eval_distribute
    _check_strategy(strategy, "eval_distribute")
    g = get_default_graph()
    estimator._new_graph(g)
    iterator, input_hooks = _iterator_from_input_fn(estimator, input_fn, ModeKeys.EVAL,
                                                    strategy)
    features, labels = _parse_iterator_result(iterator.get_next())
    spec = strategy.extended.call_for_each_replica(
        estimator._call_model_fn, args=(features, labels, ModeKeys.EVAL, estimator.config))
    if "loss" in spec.eval_metric_ops:
        raise ValueError('Metric with name "loss" is not allowed, because Estimator already '
                         'defines a default metric with the same name.')
    eval_metric_ops = dict(spec.eval_metric_ops)
    eval_metric_ops["loss"] = strategy.extended.call_for_each_replica(metrics.mean,
                                                                      args=(spec.loss,))
    eval_metric_ops = {name: (value, strategy.group(update))
                       for name, (value, update) in eval_metric_ops.items()}
    update_op, eval_dict = _extract_metric_update_ops(eval_metric_ops)
    estimator._maybe_warm_start(checkpoint_path)
    if GraphKeys.GLOBAL_STEP in eval_dict:
        raise ValueError("Metric with name `global_step` is not allowed, because Estimator "
                         "already defines a default metric with the same name.")
    eval_dict[GraphKeys.GLOBAL_STEP] = get_global_step(g)
    all_hooks = list(input_hooks) + list(hooks) + _first_replica(
        strategy, spec.evaluation_hooks)
    return spec.scaffold, update_op, eval_dict, all_hooks
