"""``tf.contrib.compiler.xla`` (TF 1.15): ``compile`` (tf.xla.experimental.compile, see
core/xla.py), ``check_function_argument_count`` and ``estimator_model_fn``, the decorator that
builds a model_fn's TRAIN and EVAL graphs inside ``compile``.

As in TF, a model decorated so may not update variables made before the compile (the global
step an Estimator makes is one: ``minimize(global_step=...)`` raises NotImplementedError, as
TF 1.15 does with its reference variables); variables the model_fn makes may be updated.
"""

from __future__ import annotations

import functools
import inspect

from .. import tf_logging as logging
from ..estimator.model_fn import EstimatorSpec, ModeKeys, fn_args
from ..default_graph import control_dependencies
from ..ops.constant_ops import identity
from ..xla import check_function_argument_count, compile  # noqa: A004 - TF's name

__all__ = ["check_function_argument_count", "compile", "estimator_model_fn"]


class _Captured:
    """A value the compiled step function hands out (set once)."""

    def __init__(self):
        self.value = None

    def capture(self, value):
        if self.value:
            raise RuntimeError("InternalError: _CapturedObject can capture only once. Please "
                               "file bug.")
        self.value = value


def _scaffold(captured: _Captured):
    scaffold_fn = captured.value
    if not scaffold_fn:
        return None
    scaffold = scaffold_fn()
    if scaffold is None:
        raise ValueError("TPUEstimatorSpec.scaffold_fn returns None, which is not allowed")
    return scaffold


class _ModelFnWrapper:
    """Calls a model_fn inside ``compile`` in TRAIN and EVAL modes (PREDICT is refused, as
    in TF); with ``params['use_tpu']`` (TPUEstimator compiles already) it calls it as is."""

    def __init__(self, model_fn):
        self._model_fn = model_fn

    def __call__(self, features, labels, mode, params):
        if params.get("use_tpu"):
            return self._call_model_fn(features, labels, mode, params)
        if mode == ModeKeys.TRAIN:
            scaffold_fn = _Captured()

            def train_step():
                spec = self._call_model_fn(features, labels, mode, params)
                scaffold_fn.capture(getattr(spec, "scaffold_fn", None))
                # A train_op Tensor would not run by itself: the loss waits for it.
                with control_dependencies([spec.train_op]):
                    return identity(spec.loss)

            (loss,) = compile(train_step)
            return EstimatorSpec(mode=mode, loss=loss, train_op=identity(loss),
                                 scaffold=_scaffold(scaffold_fn))
        if mode == ModeKeys.EVAL:
            metric_fn, scaffold_fn = _Captured(), _Captured()

            def eval_step():
                spec = self._call_model_fn(features, labels, mode, params)
                scaffold_fn.capture(getattr(spec, "scaffold_fn", None))
                fn, tensors = getattr(spec, "eval_metrics", None) or (None, [])
                if isinstance(tensors, dict):  # by name: in metric_fn's argument order
                    tensors = [tensors[name] for name in fn_args(fn)]
                metric_fn.capture(fn)
                return tuple([spec.loss] + list(tensors))

            outputs = compile(eval_step)
            metric_ops = metric_fn.value(*outputs[1:]) if metric_fn.value else None
            return EstimatorSpec(mode=mode, loss=outputs[0], eval_metric_ops=metric_ops,
                                 scaffold=_scaffold(scaffold_fn))
        raise NotImplementedError(f"{mode} is not implemented, only TRAIN and EVAL are "
                                  "supported")

    def _call_model_fn(self, features, labels, mode, params):
        args = fn_args(self._model_fn)
        kwargs = {}
        if "labels" in args:
            kwargs["labels"] = labels
        elif labels is not None:
            raise ValueError("model_fn does not take labels, but input_fn returns labels.")
        if "mode" in args:
            kwargs["mode"] = mode
        if "params" in args:
            kwargs["params"] = params
        return _verify_spec(self._model_fn(features=features, **kwargs))


def _verify_spec(spec):
    """TF's checks of what the model_fn returned."""
    if getattr(spec, "scaffold", None):
        logging.warning("EstimatorSpec.scaffold is ignored with XLA compilation. Please use "
                        "TPUEstimatorSpec.scaffold_fn instead.")
    if getattr(spec, "eval_metric_ops", None):
        raise ValueError("EstimatorSpec.eval_metric_ops is not supported with XLA compilation. "
                         "Please use TPUEstimatorSpec.eval_metrics instead.")
    eval_metrics = getattr(spec, "eval_metrics", None)
    if spec.mode == ModeKeys.EVAL and eval_metrics and isinstance(eval_metrics[1], dict):
        fn, tensors = eval_metrics
        wanted = fn_args(fn)
        missing = [a for a in wanted if a not in tensors]
        extra = [k for k in tensors if k not in wanted]
        if missing:
            raise ValueError(f"Arguments {missing} are needed by metric_fn (first element of "
                             "TPUEstimatorSpec.eval_metrics) but they are not provided by "
                             "evaluation tensors (second element of "
                             "TPUEstimatorSpec.eval_metrics).")
        if extra:
            raise ValueError(f"Arguments {extra} are provided by evaluation tensors (second "
                             "element of TPUEstimatorSpec.eval_metrics) but they are not "
                             "needed by metric_fn (first element of "
                             "TPUEstimatorSpec.eval_metrics).")
    return spec


def estimator_model_fn(target_model_fn=None):
    """A model_fn (``features, labels, mode, params``) whose TRAIN and EVAL graphs are built
    with ``compile``: ``@estimator_model_fn()`` or ``estimator_model_fn(model_fn)``. It
    returns an EstimatorSpec whose loss (and eval metrics' inputs) come out of the cluster."""
    def decorated(function):
        wrapper = _ModelFnWrapper(function)

        def model_fn(features, labels, mode, params):
            return wrapper(features, labels, mode, params)

        functools.update_wrapper(model_fn, function)
        # Estimator reads the arguments to pass from the decorated function, as from TF's
        # decorator.
        model_fn.__signature__ = inspect.signature(function)
        return model_fn

    return decorated(target_model_fn) if target_model_fn else decorated
