"""``tf.contrib.estimator`` (TF 1.15, re-exported from tensorflow_estimator's contrib):
estimator extenders (``add_metrics``, ``forward_features``), ``clip_gradients_by_norm``, the
early-stopping hooks and ``InMemoryEvaluatorHook`` (minitf.estimator.experimental's), the
head factories (estimator_heads.py), logit_fn helpers, and the export wrappers.

Not provided: multi_head, replicate_model_fn / TowerOptimizer (multi-GPU towers), boosted
trees, RNN estimators, SavedModelEstimator and the layer-annotation DNNs."""

from __future__ import annotations

from ..estimator.early_stopping import (make_early_stopping_hook, read_eval_metrics,
                                        stop_if_higher_hook, stop_if_lower_hook,
                                        stop_if_no_decrease_hook, stop_if_no_increase_hook)
from ..estimator.estimator import Estimator
from ..estimator.experimental import (InMemoryEvaluatorHook,
                                      build_raw_supervised_input_receiver_fn, call_logit_fn,
                                      dnn_logit_fn_builder, linear_logit_fn_builder,
                                      make_stop_at_checkpoint_step_hook)
from ..estimator.model_fn import ModeKeys, fn_args
from ..train.optimizer import Optimizer
from .estimator_heads import (binary_classification_head, logistic_regression_head,
                              multi_class_head, multi_label_head, poisson_regression_head,
                              regression_head)

__all__ = [
    "InMemoryEvaluatorHook", "add_metrics", "binary_classification_head",
    "build_raw_supervised_input_receiver_fn", "build_supervised_input_receiver_fn_from_input_fn",
    "call_logit_fn", "clip_gradients_by_norm", "dnn_logit_fn_builder",
    "export_all_saved_models", "export_saved_model_for_mode", "forward_features",
    "linear_logit_fn_builder", "logistic_regression_head", "make_early_stopping_hook",
    "make_stop_at_checkpoint_step_hook", "multi_class_head", "multi_label_head",
    "poisson_regression_head", "read_eval_metrics", "regression_head", "stop_if_higher_hook",
    "stop_if_lower_hook", "stop_if_no_decrease_hook", "stop_if_no_increase_hook"]

_VALID_METRIC_FN_ARGS = {"features", "labels", "predictions", "config"}


def __getattr__(name):
    raise AttributeError(f"module 'minitf.contrib.estimator' has no attribute {name!r}: "
                         f"minitf provides tf.contrib.estimator.{{{', '.join(__all__)}}}")


# -- extenders ----------------------------------------------------------------------------------
def add_metrics(estimator, metric_fn):
    """A new Estimator (same model_dir, config and warm start) whose evaluation also runs the
    metrics ``metric_fn(features, labels, predictions, config)`` returns (any subset of those
    arguments), a dict of ``(value, update_op)``; a name already there is replaced."""
    _verify_metric_fn_args(metric_fn)

    def new_model_fn(features, labels, mode, config):
        spec = estimator._call_model_fn(features, labels, mode, config)
        if mode != ModeKeys.EVAL:
            return spec
        new_metrics = _call_metric_fn(metric_fn, features, labels, spec.predictions, config)
        all_metrics = dict(spec.eval_metric_ops or {})
        all_metrics.update(new_metrics)
        return spec._replace(eval_metric_ops=all_metrics)

    return Estimator(model_fn=new_model_fn, model_dir=estimator.model_dir,
                     config=estimator.config, warm_start_from=estimator._warm_start_settings)


def _verify_metric_fn_args(metric_fn):
    invalid = sorted(set(fn_args(metric_fn)) - _VALID_METRIC_FN_ARGS)
    if invalid:
        raise ValueError(f"metric_fn ({metric_fn}) has following not expected args: {invalid}")


def _call_metric_fn(metric_fn, features, labels, predictions, config):
    args = fn_args(metric_fn)
    given = {"features": features, "labels": labels, "predictions": predictions,
             "config": config}
    return metric_fn(**{k: v for k, v in given.items() if k in args})


def forward_features(estimator, keys=None):
    """A new Estimator (same model_dir and config) whose predictions also hold the input
    features ``keys`` (one name, a list of names, or every feature when None), e.g. an
    example id to join batch predictions back to their inputs; the ``predict`` and
    ``serving_default`` PredictOutputs carry them too."""
    from ..array_extra import convert_to_tensor_or_sparse_tensor
    from ..estimator.export import PredictOutput
    from ..graph import Tensor

    if keys is not None:
        if isinstance(keys, str):
            keys = [keys]
        elif not isinstance(keys, (list, tuple)):
            raise TypeError(f"keys should be either a string or a list of strings. Given: "
                            f"{type(keys)}")
        for key in keys:
            if not isinstance(key, str):
                raise TypeError(f"All items in the given keys list should be a string. There "
                                f"exist an item with type: {type(key)}")

    def keys_of(features):
        return list(features.keys()) if keys is None else keys

    def check(features, predictions):
        if not isinstance(predictions, dict):
            raise ValueError(f"Predictions should be a dict to be able to forward features. "
                             f"Given: {type(predictions)}")
        if not isinstance(features, dict):
            raise ValueError(f"Features should be a dict to be able to forward features. "
                             f"Given: {type(features)}")
        for key in keys_of(features):
            if key not in features:
                raise ValueError(f'keys should be exist in features. Key "{key}" is not in '
                                 f"features dict. features dict has following keys: "
                                 f"{list(features.keys())}. Please check arguments of "
                                 f"forward_features.")
            if key in predictions:
                raise ValueError(f"Cannot forward feature key ({key}). Since it does exist in "
                                 f"predictions. Existing prediction keys: "
                                 f"{list(predictions.keys())}. Please check arguments of "
                                 f"forward_features.")

    def new_model_fn(features, labels, mode, config):
        spec = estimator._call_model_fn(features, labels, mode, config)
        predictions = spec.predictions
        if predictions is None:
            return spec
        check(features, predictions)
        predictions = dict(predictions)
        for key in keys_of(features):
            feature = convert_to_tensor_or_sparse_tensor(features[key])
            if not isinstance(feature, Tensor):
                raise ValueError(f"Forwarded feature ({key}) should be a Tensor. Please use "
                                 f"keys argument of forward_features to filter unwanted "
                                 f"features. Type of features[{key}] is {type(feature)}.")
            predictions[key] = feature
        export_outputs = spec.export_outputs
        if export_outputs:
            export_outputs = dict(export_outputs)
            for name in ("predict", "serving_default"):
                if isinstance(export_outputs.get(name), PredictOutput):
                    export_outputs[name] = PredictOutput({
                        **export_outputs[name].outputs,
                        **{key: predictions[key] for key in keys_of(features)}})
        return spec._replace(predictions=predictions, export_outputs=export_outputs)

    return Estimator(model_fn=new_model_fn, model_dir=estimator.model_dir,
                     config=estimator.config)


# -- optimizers ---------------------------------------------------------------------------------
def clip_gradients_by_norm(optimizer, clip_norm):
    """``optimizer`` applying the gradients clipped together to global norm ``clip_norm``
    (``tf.clip_by_global_norm``); named ``ClipByNorm<optimizer's name>``."""
    from ..clip_ops import clip_by_global_norm

    def clip_grads(grads_and_vars):
        gradients, variables = zip(*grads_and_vars)
        gradients = clip_by_global_norm(gradients, clip_norm)[0]
        return list(zip(gradients, variables))

    return _TransformGradients(optimizer, clip_grads, name="ClipByNorm" + optimizer.get_name())


class _TransformGradients(Optimizer):
    """Passes the gradients through ``transform_grads_fn`` (a list of (gradient, variable)
    pairs in and out) before the wrapped optimizer applies them; its slots are the wrapped
    optimizer's."""

    def __init__(self, optimizer, transform_grads_fn, name=None):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a tf.train.Optimizer, given: {optimizer!r}")
        super().__init__(use_locking=False, name=name or optimizer.get_name())
        self._optimizer, self._transform_grads_fn = optimizer, transform_grads_fn

    def compute_gradients(self, *args, **kwargs):
        return self._optimizer.compute_gradients(*args, **kwargs)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        grads_and_vars = self._transform_grads_fn(list(grads_and_vars))
        return self._optimizer.apply_gradients(grads_and_vars, global_step, name)

    def get_slot(self, *args, **kwargs):
        return self._optimizer.get_slot(*args, **kwargs)

    def get_slot_names(self, *args, **kwargs):
        return self._optimizer.get_slot_names(*args, **kwargs)

    def variables(self):
        return self._optimizer.variables()


# -- export ------------------------------------------------------------------------------------
def export_saved_model_for_mode(estimator, export_dir_base, input_receiver_fn,
                                assets_extra=None, as_text=False, checkpoint_path=None,
                                mode=ModeKeys.PREDICT):
    """``estimator.export_saved_model`` for ``mode``; minitf exports the PREDICT graph only
    (frozen SavedModels), so TRAIN and EVAL raise UnimplementedError."""
    return estimator.export_saved_model(export_dir_base, input_receiver_fn,
                                        assets_extra=assets_extra, as_text=as_text,
                                        checkpoint_path=checkpoint_path,
                                        experimental_mode=mode)


def export_all_saved_models(estimator, export_dir_base, input_receiver_fn_map,
                            assets_extra=None, as_text=False, checkpoint_path=None):
    """Exports the graphs of ``{mode: input_receiver_fn}`` as one SavedModel. minitf writes
    frozen PREDICT graphs only: a TRAIN or EVAL entry raises UnimplementedError."""
    from ..errors import UnimplementedError

    if not isinstance(input_receiver_fn_map, dict) or not input_receiver_fn_map:
        raise ValueError(f"input_receiver_fn_map must be a non-empty dict of ModeKeys to "
                         f"input_receiver_fn, given: {input_receiver_fn_map!r}")
    for mode, fn in input_receiver_fn_map.items():
        if mode not in (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT):
            raise ValueError(f"input_receiver_fn_map has an unknown mode {mode!r}; the keys "
                             f"are tf.estimator.ModeKeys")
        if not fn:
            raise ValueError("An input_receiver_fn must be defined.")
    others = sorted(m for m in input_receiver_fn_map if m != ModeKeys.PREDICT)
    if others:
        raise UnimplementedError(None, None, f"export_all_saved_models: modes {others}: minitf "
                                 "exports the PREDICT graph only (frozen SavedModels hold no "
                                 "training or eval graph)")
    return estimator.export_saved_model(export_dir_base, input_receiver_fn_map[ModeKeys.PREDICT],
                                        assets_extra=assets_extra, as_text=as_text,
                                        checkpoint_path=checkpoint_path)


def build_supervised_input_receiver_fn_from_input_fn(input_fn, **input_fn_args):
    """``build_raw_supervised_input_receiver_fn`` over the features and labels ``input_fn``
    returns (called in a graph of its own, so the default graph stays clean)."""
    from ..estimator.estimator import _parse_input_fn_result
    from ..graph import Graph

    with Graph().as_default():
        features, labels, _ = _parse_input_fn_result(input_fn(**input_fn_args))
    return build_raw_supervised_input_receiver_fn(features, labels)
