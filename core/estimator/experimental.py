"""``tf.estimator.experimental`` (TF 1.15): early-stopping hooks, ``InMemoryEvaluatorHook``
(evaluation during training from the training session's variables, no checkpoint), the
stop-at-step hook factory, ``call_logit_fn``, the canned estimators' logit_fn builders and
``build_raw_supervised_input_receiver_fn``. ``KMeans`` and ``LinearSDCA`` are not provided."""

from __future__ import annotations

import collections

from ..train.session_run_hook import SessionRunHook
from .early_stopping import (make_early_stopping_hook, read_eval_metrics,  # noqa: F401
                             stop_if_higher_hook, stop_if_lower_hook, stop_if_no_decrease_hook,
                             stop_if_no_increase_hook)

__all__ = ["InMemoryEvaluatorHook", "build_raw_supervised_input_receiver_fn", "call_logit_fn",
           "dnn_logit_fn_builder", "linear_logit_fn_builder", "make_early_stopping_hook",
           "make_stop_at_checkpoint_step_hook", "stop_if_higher_hook", "stop_if_lower_hook",
           "stop_if_no_decrease_hook", "stop_if_no_increase_hook"]

_MISSING = {"KMeans": "a k-means clustering estimator",
            "LinearSDCA": "the SDCA optimizer of the linear estimators"}


def __getattr__(name):
    if name in _MISSING:
        raise AttributeError(f"tf.estimator.experimental.{name} ({_MISSING[name]}) is not "
                             f"provided by minitf; it provides {', '.join(__all__)}")
    raise AttributeError(f"module 'minitf.estimator.experimental' has no attribute {name!r}")


# -- evaluation while training ----------------------------------------------------------------
class InMemoryEvaluatorHook(SessionRunHook):
    """Evaluates ``estimator``'s model on ``input_fn`` every ``every_n_iter`` training
    iterations (and once when the session is created and once at the end) with the
    training session's variable values copied into an eval graph built once; the results go
    to ``eval_dir(name)``'s events as ``Estimator.evaluate`` writes them. Variables only (no
    other saveables, custom saver or init_fn), as TF's."""

    def __init__(self, estimator, input_fn, steps=None, hooks=None, name=None,
                 every_n_iter=100):
        from ..train.basic_session_run_hooks import SecondOrStepTimer
        from .estimator import _check_hooks_type
        from .evaluation import _StopAfterNEvalsHook

        if every_n_iter is None or every_n_iter <= 0:
            raise ValueError(f"invalid every_n_iter={every_n_iter}.")
        if estimator.config.num_ps_replicas > 0 or estimator.config.num_worker_replicas > 1:
            raise ValueError("InMemoryEvaluator supports only single machine (aka Local) "
                             "setting.")
        self._estimator, self._input_fn = estimator, input_fn
        self._steps, self._name, self._every_n_iter = steps, name, every_n_iter
        self._eval_dir = estimator.eval_dir(name)
        self._graph = None
        self._hooks = _check_hooks_type(hooks)
        if steps is not None:
            if steps <= 0:
                raise ValueError(f"Must specify steps > 0, given: {steps}")
            self._hooks.append(_StopAfterNEvalsHook(num_evals=steps, log_progress=False))
        self._timer = SecondOrStepTimer(every_steps=every_n_iter)

    def begin(self):
        """Builds the eval graph (model_fn in EVAL mode, metrics, loss) and one placeholder
        per global variable to feed the training values through."""
        from ..graph import Graph, GraphKeys, get_collection
        from ..ops.constant_ops import placeholder

        self._timer.reset()
        self._iter_count = 0
        self._graph = Graph()
        with self._graph.as_default():
            self._scaffold, self._update_op, self._eval_dict, self._all_hooks = \
                self._estimator._evaluate_build_graph(self._input_fn, self._hooks)
            if self._scaffold.saver is not None:
                raise ValueError("InMemoryEvaluator does not support custom saver")
            if self._scaffold.init_fn is not None:
                raise ValueError("InMemoryEvaluator does not support custom init_fn")
            variables = get_collection(GraphKeys.GLOBAL_VARIABLES)
            self._var_name_to_eval_var = {v.name: v for v in variables}
            self._var_name_to_placeholder = {v.name: placeholder(v.dtype.base_dtype)
                                             for v in variables}

    def after_create_session(self, session, coord):
        """Matches training and eval variables by name and runs the first evaluation (the
        metrics before training)."""
        from ..graph import GraphKeys, get_collection
        from ..ops.array_ops import group
        from ..ops.state_ops import assign

        if get_collection(GraphKeys.SAVEABLE_OBJECTS):
            raise ValueError("InMemoryEvaluator does not support saveables other than global "
                             "variables.")
        train_vars = {v.name: v for v in get_collection(GraphKeys.GLOBAL_VARIABLES)}
        names = sorted(set(self._var_name_to_placeholder) & set(train_vars))
        self._var_name_to_train_var = {n: train_vars[n] for n in names}
        self._var_name_to_eval_var = {n: self._var_name_to_eval_var[n] for n in names}
        with self._graph.as_default():
            self._var_feed_op = group(*[
                assign(self._var_name_to_eval_var[n], self._var_name_to_placeholder[n])
                for n in names])
        self._evaluate(session)

    def _evaluate(self, train_session):
        from ..graph import GraphKeys
        from ..train.monitored_session import Scaffold
        from .evaluation import _evaluate_once, _write_dict_to_summary

        values = train_session.run(self._var_name_to_train_var)
        feed = {self._var_name_to_placeholder[n]: v for n, v in values.items()}
        # As TF's: the default init op still runs (eval-only variables), then the feed
        scaffold = Scaffold(init_fn=lambda _, sess: sess.run(self._var_feed_op, feed),
                            copy_from_scaffold=self._scaffold)
        with self._graph.as_default():
            results = _evaluate_once(None, scaffold, self._update_op, self._eval_dict,
                                     self._all_hooks, self._estimator.config.session_config)
            _write_dict_to_summary(self._eval_dir, results,
                                   int(results[GraphKeys.GLOBAL_STEP]))
        self._timer.update_last_triggered_step(self._iter_count)
        return results

    def after_run(self, run_context, run_values):
        self._iter_count += 1
        if self._timer.should_trigger_for_step(self._iter_count):
            self._evaluate(run_context.session)

    def end(self, session):
        self._evaluate(session)


def make_stop_at_checkpoint_step_hook(estimator, last_step, wait_after_file_check_secs=30):
    """The chief's stop-at-step hook (minitf's one process is always the chief): stops at
    global step ``last_step``."""
    from ..train.basic_session_run_hooks import StopAtStepHook

    del wait_after_file_check_secs  # a non-chief's polling interval
    return StopAtStepHook(last_step=last_step)


# -- logit functions ---------------------------------------------------------------------------
def call_logit_fn(logit_fn, features, mode, params, config):
    """Calls ``logit_fn(features, [mode], [params], [config])`` with the arguments it
    takes; its result must be a Tensor or a dict of string to Tensor."""
    from ..graph import Tensor
    from .model_fn import fn_args

    args = fn_args(logit_fn)
    kwargs = {k: v for k, v in (("mode", mode), ("params", params), ("config", config))
              if k in args}
    result = logit_fn(features=features, **kwargs)
    valid_dict = isinstance(result, dict) and all(
        isinstance(k, str) and isinstance(v, Tensor) for k, v in result.items())
    if not (valid_dict or isinstance(result, Tensor)):
        raise ValueError(f"logit_fn should return a Tensor or a dictionary mapping strings to "
                         f"Tensors.  logit_fn returned: {result}")
    return result


def dnn_logit_fn_builder(units, hidden_units, feature_columns, activation_fn, dropout,
                         input_layer_partitioner, batch_norm):
    """``logit_fn(features, mode)``: DNNClassifier's network (``hiddenlayer_<i>`` and
    ``logits`` in the current variable scope: the canned estimators call it in ``dnn``)."""
    from .canned._common import check_features
    from .canned.dnn import _dnn_logits

    if not isinstance(units, int) or isinstance(units, bool):
        raise ValueError(f"units must be an int.  Given type: {type(units)}")
    hidden_units = tuple(hidden_units)

    def dnn_logit_fn(features, mode):
        check_features(features)
        return _dnn_logits(features, mode, units, hidden_units, feature_columns,
                           activation_fn, dropout, batch_norm, input_layer_partitioner)

    return dnn_logit_fn


def linear_logit_fn_builder(units, feature_columns, sparse_combiner="sum"):
    """``logit_fn(features)``: LinearClassifier's ``linear_model`` logits (variables
    ``linear_model/<column>/weights`` and ``linear_model/bias_weights`` in the current
    variable scope: the canned estimators call it in ``linear``)."""
    from .canned.linear import _check_combiner, _linear_logits

    if not isinstance(units, int) or isinstance(units, bool):
        raise ValueError(f"units must be an int.  Given type: {type(units)}")
    _check_combiner(sparse_combiner)

    def linear_logit_fn(features):
        return _linear_logits(features, feature_columns, units, sparse_combiner)

    return linear_logit_fn


# -- receivers for train/eval graphs ----------------------------------------------------------
class SupervisedInputReceiver(collections.namedtuple(
        "SupervisedInputReceiver", ["features", "labels", "receiver_tensors"])):
    """What a supervised (train or eval) input receiver fn returns: features and labels as
    model_fn takes them, and the tensors a caller feeds."""

    def __new__(cls, features, labels, receiver_tensors):
        from .export import wrap_and_check_input_tensors

        # Checked only: model_fn gets features and labels as given (dicts or Tensors).
        wrap_and_check_input_tensors(features, "feature", allow_int_keys=True)
        wrap_and_check_input_tensors(labels, "label", allow_int_keys=True)
        receiver_tensors = wrap_and_check_input_tensors(receiver_tensors, "receiver_tensor")
        return super().__new__(cls, features, labels, receiver_tensors)


def build_raw_supervised_input_receiver_fn(features, labels, default_batch_size=None):
    """A receiver fn with one placeholder per feature and per label (a dict, or one Tensor
    received as ``input`` / ``label``), each with its dtype, its shape past the batch
    dimension and its op name. Feature and label keys must differ."""
    from .export import _placeholder_from_tensor

    feature_keys = features.keys() if isinstance(features, dict) else ["input"]
    label_keys = labels.keys() if isinstance(labels, dict) else ["label"]
    overlap = set(feature_keys) & set(label_keys)
    if overlap:
        raise ValueError(f"Features and labels must have distinct keys. Found overlapping "
                         f"keys: {overlap}")

    def _placeholders(tensors, single_key):
        if isinstance(tensors, dict):
            received = {k: _placeholder_from_tensor(t, default_batch_size)
                        for k, t in tensors.items()}
            return received, received
        one = _placeholder_from_tensor(tensors, default_batch_size)
        return one, {single_key: one}

    def supervised_input_receiver_fn():
        feature_values, feature_receivers = _placeholders(features, "input")
        label_values, label_receivers = _placeholders(labels, "label")
        return SupervisedInputReceiver(feature_values, label_values,
                                       {**feature_receivers, **label_receivers})

    return supervised_input_receiver_fn

