"""``tf.estimator.MultiHead`` (TF 1.15, tensorflow_estimator head/multi_head.py): several
named heads trained together. Logits are a dict by head name or one tensor split along its
last dimension in head order; labels are a dict by head name; the loss is the (optionally
weighted) sum of the heads' losses; predictions are keyed ``(head name, key)``; the first
head serves ``serving_default``."""

from __future__ import annotations

from ..graph import convert_to_tensor, name_scope
from ..keras import metrics as keras_metrics
from .canned import head as _v1
from .export import PredictOutput
from .heads import (Head, _metric_ops, _update, create_estimator_spec_summary,
                    create_estimator_spec_train_op)
from .model_fn import ModeKeys

_DEFAULT_SERVING_KEY = "serving_default"
_PREDICT_SERVING_KEY = "predict"


def _no_op_train_fn(loss):
    from ..ops.array_ops import no_op

    del loss
    return no_op()


def _default_export_output(export_outputs, head_name):
    """The head's ``serving_default`` output, else its only one."""
    if _DEFAULT_SERVING_KEY in export_outputs:
        return export_outputs[_DEFAULT_SERVING_KEY]
    if len(export_outputs) == 1:
        return next(iter(export_outputs.values()))
    raise ValueError(f"{head_name} did not specify default export_outputs. Given: "
                     f"{export_outputs} Suggested fix: Use one of the heads in "
                     f"tf.estimator, or include key {_DEFAULT_SERVING_KEY} in export_outputs.")


class MultiHead(Head):
    """Several named heads as one; ``head_weights`` weight their losses in the sum."""

    def __init__(self, heads, head_weights=None):
        if not heads:
            raise ValueError(f"Must specify heads. Given: {heads}")
        if head_weights and len(head_weights) != len(heads):
            raise ValueError(f"heads and head_weights must have the same size. Given "
                             f"len(heads): {len(heads)}. Given len(head_weights): "
                             f"{len(head_weights)}.")
        for head in heads:
            if head.name is None:
                raise ValueError(f"All given heads must have name specified. Given: {head}")
        self._heads = tuple(heads)
        self._head_weights = tuple(head_weights) if head_weights else ()
        self._logits_dimension = sum(h.logits_dimension for h in heads)
        self._loss_keys = tuple(f"{_v1.MetricKeys.LOSS}/{h.name}" for h in heads)

    @property
    def name(self):
        return "_".join(h.name for h in self._heads)

    @property
    def logits_dimension(self):
        return self._logits_dimension

    @property
    def loss_reduction(self):
        reductions = [h.loss_reduction for h in self._heads]
        if len(set(reductions)) > 1:
            raise ValueError(f"The loss_reduction must be the same for different heads. "
                             f"Given: {reductions}")
        return reductions[0]

    def _split_logits(self, logits):
        from ..ops.concat_split_ops import concat
        from ..ops.fill_ops import ones_like, zeros_like
        from ..ops.shape_ops import shape
        from ..ops.slicing_ops import slice_

        dims = [h.logits_dimension for h in self._heads]
        with name_scope(None, "split_logits", [logits]):
            logits = convert_to_tensor(logits)
            last = logits.shape[-1].value if logits.shape.rank is not None else None
            if last is not None and last != sum(dims):
                raise ValueError(f"Could not split logits of shape {logits.shape.as_list()!r} "
                                 f"among the heads with individual logits dimensions: "
                                 f"{dims!r}. The last dimension of the logits tensor should "
                                 f"equal {sum(dims)} but is {last}.")
            batch_shape = shape(logits)[:-1]
            begin_zeros, size_all = zeros_like(batch_shape), -1 * ones_like(batch_shape)
            out, begin = {}, 0
            for head in self._heads:
                out[head.name] = slice_(
                    logits, concat([begin_zeros, [begin]], axis=0),
                    concat([size_all, [head.logits_dimension]], axis=0))
                begin += head.logits_dimension
        return out

    def _check_logits_and_labels(self, logits, labels=None):
        names = [h.name for h in self._heads]
        if isinstance(logits, dict):
            missing = list(set(names) - set(logits))
            if missing:
                raise ValueError(f"logits has missing values for head(s): {missing}")
            logits_dict = logits
        else:
            logits_dict = self._split_logits(logits)
        if labels is not None:
            if not isinstance(labels, dict):
                raise ValueError(f"labels must be a dict. Given: {labels}")
            missing = list(set(names) - set(labels))
            if missing:
                raise ValueError(f"labels has missing values for head(s): {missing}")
        return logits_dict

    def loss(self, labels, logits, features=None, mode=None, regularization_losses=None):
        from ..ops.math_ops import add_n

        logits_dict = self._check_logits_and_labels(logits, labels)
        losses = [h.loss(logits=logits_dict[h.name], labels=labels[h.name], features=features,
                         mode=mode) for h in self._heads]
        with name_scope(None, "merge_losses"):
            if self._head_weights:
                losses = [loss * w for loss, w in zip(losses, self._head_weights)]
            loss = add_n(losses)
            if regularization_losses is not None:
                loss = loss + add_n(regularization_losses)
        return loss

    def predictions(self, logits, keys=None):
        logits_dict = self._check_logits_and_labels(logits)
        predictions = {}
        with name_scope("merge_pred"):
            for head in self._heads:
                for k, v in head.predictions(logits=logits_dict[head.name]).items():
                    predictions[(head.name, k)] = v
        del keys  # TF's MultiHead ignores them
        return predictions

    def metrics(self, regularization_losses=None):
        metrics = {}
        if regularization_losses is not None:
            metrics[_v1._summary_key(self.name, _v1.MetricKeys.LOSS_REGULARIZATION)] = \
                keras_metrics.Mean(name=_v1.MetricKeys.LOSS_REGULARIZATION)
        with name_scope("merge_eval"):
            for key in self._loss_keys:
                metrics[key] = keras_metrics.Mean(name=key)
        return metrics

    def update_metrics(self, eval_metrics, features, logits, labels,
                       regularization_losses=None):
        from ..ops.math_ops import add_n

        logits_dict = self._check_logits_and_labels(logits, labels)
        if regularization_losses is not None:
            _update(eval_metrics[_v1._summary_key(self.name,
                                                  _v1.MetricKeys.LOSS_REGULARIZATION)],
                    add_n(regularization_losses))
        for key, head in zip(self._loss_keys, self._heads):
            head_logits, head_labels = logits_dict[head.name], labels[head.name]
            _update(eval_metrics[key],
                    head.loss(logits=head_logits, labels=head_labels, features=features))
            eval_metrics.update(head.update_metrics(head.metrics(), features, head_logits,
                                                    head_labels) or {})
        return eval_metrics

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None,
                              trainable_variables=None, train_op_fn=None, update_ops=None,
                              regularization_losses=None):
        from .model_fn import EstimatorSpec

        with name_scope(self.name, "multi_head"):
            logits_dict = self._check_logits_and_labels(logits, labels)
            specs = [h.create_estimator_spec(features=features, mode=mode,
                                             logits=logits_dict[h.name],
                                             labels=labels[h.name] if labels else None,
                                             train_op_fn=_no_op_train_fn)
                     for h in self._heads]
            predictions = self.predictions(logits)
            if mode == ModeKeys.PREDICT:
                return EstimatorSpec(mode=ModeKeys.PREDICT, predictions=predictions,
                                     export_outputs=self._merge_export_outputs(specs))
            loss = self.loss(labels, logits, features, mode, regularization_losses)
            if mode == ModeKeys.EVAL:
                metrics = self.update_metrics(self.metrics(regularization_losses), features,
                                              logits, labels,
                                              regularization_losses=regularization_losses)
                return EstimatorSpec(mode=ModeKeys.EVAL, predictions=predictions, loss=loss,
                                     eval_metric_ops=_metric_ops(metrics))
            if mode == ModeKeys.TRAIN:
                train_op = create_estimator_spec_train_op(
                    optimizer, trainable_variables, train_op_fn, update_ops, loss)
                create_estimator_spec_summary(loss, regularization_losses)
                metric_ops = {}
                for spec in specs:
                    metric_ops.update(spec.eval_metric_ops or {})
                return EstimatorSpec(mode=ModeKeys.TRAIN, loss=loss, train_op=train_op,
                                     predictions=predictions, eval_metric_ops=metric_ops)
            raise ValueError(f"mode={mode} unrecognized")

    def _merge_export_outputs(self, specs):
        outputs = {_DEFAULT_SERVING_KEY: _default_export_output(specs[0].export_outputs,
                                                                self._heads[0].name)}
        merged = {}
        for head, spec in zip(self._heads, specs):
            for k, v in spec.export_outputs.items():
                outputs[head.name if k == _DEFAULT_SERVING_KEY else f"{head.name}/{k}"] = v
                if k == _PREDICT_SERVING_KEY and isinstance(v, PredictOutput):
                    for kp, vp in v.outputs.items():
                        merged[f"{head.name}/{kp}"] = vp
        outputs[_PREDICT_SERVING_KEY] = PredictOutput(merged)
        return outputs
