"""``tf.estimator.ModeKeys`` and ``EstimatorSpec``: what a model_fn returns, validated with TF
1.x's messages (tensorflow_estimator/python/estimator/model_fn.py)."""

from __future__ import annotations

import collections
import functools
import inspect

from .. import nest
from ..graph import Operation, Tensor, get_default_graph
from ..ref_variable import Variable
from ..train.monitored_session import Scaffold
from ..train.session_run_hook import SessionRunHook

LOSS_METRIC_KEY = "loss"
AVERAGE_LOSS_METRIC_KEY = "average_loss"


class ModeKeys:
    """The three modes a model_fn is called in."""

    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"


def fn_args(fn) -> tuple:
    """The names of ``fn``'s positional-or-keyword arguments, as TF's ``function_utils``
    reads them: a partial's bound ones, a bound method's ``self`` and a callable object's
    ``self`` left out; ``*args``, ``**kwargs`` and keyword-only arguments not counted."""
    if isinstance(fn, functools.partial):
        args = fn_args(fn.func)
        return tuple(a for a in args[len(fn.args):] if a not in (fn.keywords or {}))
    if not (inspect.isfunction(fn) or inspect.ismethod(fn) or inspect.isbuiltin(fn)) and \
            callable(fn):
        fn = fn.__call__
    args = inspect.getfullargspec(fn).args
    if inspect.ismethod(fn) and args:
        args = args[1:]
    return tuple(args)


def _is_tensor(x) -> bool:
    """TF's ``ops.is_dense_tensor_like``: a Tensor or a Variable (not a SparseTensor)."""
    return isinstance(x, (Tensor, Variable))


def _check_is_tensor_or_operation(x, name):
    if not (isinstance(x, Operation) or _is_tensor(x)):
        raise TypeError(f"{name} must be Operation or Tensor, given: {x}")


def _check_is_tensor(x, name):
    if not _is_tensor(x):
        raise TypeError(f"{name} must be Tensor, given: {x}")
    return x


def _check_graph(x, name, graph):
    own = x.graph if isinstance(x, (Tensor, Operation)) else getattr(x, "values", x).graph
    if own is not graph:
        raise ValueError(f"{name} must be from the default graph. Possible causes of this "
                         f"error include: \n\n1) {name} was created outside the context of the "
                         f"default graph.\n\n2) The object passed through to EstimatorSpec was "
                         f"not created in the most recent call to \"model_fn\".")


def _validate_hooks(hooks):
    hooks = tuple(hooks or [])
    for hook in hooks:
        if not isinstance(hook, SessionRunHook):
            raise TypeError(f"All hooks must be SessionRunHook instances, given: {hook}")
    return hooks


class EstimatorSpec(collections.namedtuple("EstimatorSpec", [
        "mode", "predictions", "loss", "train_op", "eval_metric_ops", "export_outputs",
        "training_chief_hooks", "training_hooks", "scaffold", "evaluation_hooks",
        "prediction_hooks"])):
    """What ``model_fn`` returns: the ops for one mode. TRAIN needs ``loss`` and
    ``train_op``, EVAL ``loss``, PREDICT ``predictions``; the rest is checked as TF does."""

    def __new__(cls, mode, predictions=None, loss=None, train_op=None, eval_metric_ops=None,
                export_outputs=None, training_chief_hooks=None, training_hooks=None,
                scaffold=None, evaluation_hooks=None, prediction_hooks=None):
        from ..ops.array_ops import reshape
        from ..tensor_shape import TensorShape

        # TF 1.x checks each field against the mode and never the mode itself.
        graph = get_default_graph()
        if train_op is None:
            if mode == ModeKeys.TRAIN:
                raise ValueError("Missing train_op.")
        else:
            _check_is_tensor_or_operation(train_op, "train_op")
            if isinstance(train_op, Variable):
                train_op = train_op.op
            _check_graph(train_op, "train_op", graph)
        if loss is None:
            if mode in (ModeKeys.TRAIN, ModeKeys.EVAL):
                raise ValueError("Missing loss.")
        else:
            loss = _check_is_tensor(loss, "loss")
            _check_graph(loss, "loss", graph)
            n = loss.shape.num_elements() if loss.shape.is_fully_defined() else None
            if n not in (None, 1):
                raise ValueError(f"Loss must be scalar, given: {loss}")
            if not loss.shape.is_compatible_with(TensorShape([])):
                loss = reshape(loss, [])
        if predictions is None:
            if mode == ModeKeys.PREDICT:
                raise ValueError("Missing predictions.")
            predictions = {}
        elif isinstance(predictions, dict):
            predictions = {k: _check_is_tensor(v, f"predictions[{k}]")
                           for k, v in predictions.items()}
            for v in predictions.values():
                _check_graph(v, "prediction values", graph)
        else:
            predictions = _check_is_tensor(predictions, "predictions")
            _check_graph(predictions, "prediction values", graph)
        if mode == ModeKeys.PREDICT:  # TF checks and completes them in PREDICT only
            from .export import get_export_outputs

            export_outputs = get_export_outputs(export_outputs, predictions)
        eval_metric_ops = _validate_eval_metric_ops(eval_metric_ops, graph)
        scaffold = scaffold or Scaffold()
        if not isinstance(scaffold, Scaffold):
            raise TypeError(f"scaffold must be tf.train.Scaffold. Given: {scaffold}")
        return super().__new__(
            cls, mode=mode, predictions=predictions, loss=loss, train_op=train_op,
            eval_metric_ops=eval_metric_ops, export_outputs=export_outputs,
            training_chief_hooks=_validate_hooks(training_chief_hooks),
            training_hooks=_validate_hooks(training_hooks), scaffold=scaffold,
            evaluation_hooks=_validate_hooks(evaluation_hooks),
            prediction_hooks=_validate_hooks(prediction_hooks))

    def _replace(self, **kwds):
        if "mode" in kwds and self.mode != kwds["mode"]:
            raise ValueError("mode of EstimatorSpec cannot be changed.")
        return EstimatorSpec(**dict(self._asdict(), **kwds))


def _validate_eval_metric_ops(eval_metric_ops, graph) -> dict:
    if eval_metric_ops is None:
        return {}
    if not isinstance(eval_metric_ops, dict):
        raise TypeError(f"eval_metric_ops must be a dict, given: {eval_metric_ops}")
    eval_metric_ops = dict(eval_metric_ops)
    for key, value in eval_metric_ops.items():
        if hasattr(value, "update_state") and hasattr(value, "result"):
            # A Keras metric (TF 1.15 takes one): its result and the updates made so far.
            if not value.updates:
                raise ValueError(f'Please call update_state(...) on the "{value.name}" metric')
            from ..ops.array_ops import group

            updates = value.updates
            value = eval_metric_ops[key] = (
                value.result(), updates[0] if len(updates) == 1 else group(*updates))
        if not isinstance(value, tuple) or len(value) != 2:
            raise TypeError(f"Values of eval_metric_ops must be (metric_value, update_op) "
                            f"tuples, given: {value} for key: {key}")
        # As TF: the pair may nest (a metric value that is a tuple of tensors); every leaf
        # must be of the default graph.
        for part in nest.flatten(value):
            if not hasattr(part, "graph"):
                raise TypeError(f"eval_metric_ops[{key}] must be Operation or Tensor, given: "
                                f"{part}")
            _check_graph(part, "eval_metric_ops", graph)
    return eval_metric_ops
