"""TF 1.15's ``tf.estimator`` head classes (tensorflow_estimator head/*.py, the v2 Head API,
exported to v1 too): ``Head`` and the single heads ``BinaryClassHead``, ``MultiClassHead``,
``MultiLabelHead``, ``RegressionHead``, ``PoissonRegressionHead`` and
``LogisticRegressionHead``. Labels, losses, predictions and export outputs are the
tf.contrib.estimator heads' (contrib/estimator_heads.py); what is v2 here is the interface:
``loss`` gives the reduced, regularized loss, ``metrics`` / ``update_metrics`` work with
``tf.keras.metrics`` objects, the optimizer is a ``tf.keras.optimizers`` one applied to
``trainable_variables``, and ``loss_reduction`` takes ``tf.keras.losses.Reduction`` values
(default ``sum_over_batch_size``)."""

from __future__ import annotations

import abc

from ..graph import name_scope
from ..keras import metrics as keras_metrics
from .canned import head as _v1
from .model_fn import ModeKeys

_keys = _v1.MetricKeys
_pred = _v1.PredictionKeys
# tf.keras.losses.Reduction -> the tf.losses.Reduction the contrib heads compute with.
_V1_REDUCTION = {"sum": "weighted_sum", "sum_over_batch_size": "weighted_sum_over_batch_size",
                 "auto": "weighted_sum_over_batch_size"}


def _v1_reduction(loss_reduction):
    if loss_reduction not in _V1_REDUCTION:
        raise ValueError(f"Invalid loss_reduction: {loss_reduction}. See "
                         "`tf.losses.Reduction` for valid options.")
    return _V1_REDUCTION[loss_reduction]


def _add_regularization(loss, regularization_losses):
    from ..ops.math_ops import add_n

    return loss if regularization_losses is None else loss + add_n(regularization_losses)


def _update(metric, *args, **kwargs):
    """``metric.update_state``; Keras metrics keep their update ops (``metric.updates``)."""
    return metric.update_state(*args, **kwargs)


def _metric_ops(eval_metrics):
    """Keras metrics -> the ``(value, update_op)`` pairs of ``EstimatorSpec.eval_metric_ops``."""
    from ..ops.array_ops import group

    return {key: (metric.result(), group(*metric.updates))
            for key, metric in eval_metrics.items()}


def _broadcast(weights, values):
    """Example weights [D0.., 1] broadcast to ``values``; None without a weight column."""
    from ..ops import array_ops

    return None if isinstance(weights, float) else weights * array_ops.ones_like(values)


def create_estimator_spec_train_op(optimizer=None, trainable_variables=None, train_op_fn=None,
                                   update_ops=None, regularized_training_loss=None):
    """TF's ``base_head.create_estimator_spec_train_op`` (under the name scope ``training``).
    A ``tf.keras.optimizers`` optimizer updates ``trainable_variables``; a ``tf.train``
    optimizer (what the v1 canned estimators pass, as TF 1.x heads took) minimizes over
    them, or every trainable variable, steps the global step and runs UPDATE_OPS."""
    from ..keras.optimizers import Optimizer as KerasOptimizer
    from ..ops.array_ops import group
    from ..train.optimizer import Optimizer as TrainOptimizer
    from ..train.step import get_global_step

    if update_ops is not None and not isinstance(update_ops, (list, tuple)):
        raise ValueError(f"update_ops should be a list or a tuple. Given type: "
                         f"{type(update_ops)}.")
    with name_scope(""), name_scope("training"):
        if optimizer is not None:
            if train_op_fn is not None:
                raise ValueError("train_op_fn and optimizer cannot both be set.")
            if isinstance(optimizer, TrainOptimizer):
                train_op = optimizer.minimize(
                    regularized_training_loss, global_step=get_global_step(),
                    var_list=None if trainable_variables is None else list(trainable_variables))
                if update_ops is None:  # TF 1.x style: the UPDATE_OPS collection (batch norm)
                    train_op = _v1._append_update_ops(train_op)
            elif isinstance(optimizer, KerasOptimizer):
                if trainable_variables is None:
                    raise ValueError(f"trainable_variables cannot be None. Given "
                                     f"{trainable_variables}")
                if not isinstance(trainable_variables, (list, tuple)):
                    raise ValueError(f"trainable_variables should be a list or a tuple. "
                                     f"Given type: {type(trainable_variables)}.")
                train_op = optimizer.get_updates(loss=regularized_training_loss,
                                                 params=list(trainable_variables))[0]
            else:
                raise ValueError("The given optimizer is not a tf.keras.optimizers.Optimizer "
                                 f"instance. Given: {optimizer}")
        elif train_op_fn is not None:
            train_op = train_op_fn(regularized_training_loss)
        else:
            raise ValueError("train_op_fn and optimizer cannot both be None.")
        if update_ops is not None:
            train_op = group(train_op, *update_ops)
        return train_op


def create_estimator_spec_summary(regularized_training_loss, regularization_losses=None,
                                  summary_key_fn=None):
    from .. import summary
    from ..ops.math_ops import add_n

    key = summary_key_fn or (lambda k: k)
    with name_scope(""):
        summary.scalar(key(_keys.LOSS), regularized_training_loss)
        if regularization_losses is not None:
            summary.scalar(key(_keys.LOSS_REGULARIZATION), add_n(regularization_losses))


class Head(abc.ABC):
    """The interface of a head: from logits to predictions, loss, metrics and an
    EstimatorSpec (``tf.estimator.Head``)."""

    @property
    @abc.abstractmethod
    def name(self):
        """The head's name (suffix of its metric keys), or None."""

    @property
    @abc.abstractmethod
    def logits_dimension(self):
        """The size of the logits' last dimension."""

    @property
    @abc.abstractmethod
    def loss_reduction(self):
        """A ``tf.keras.losses.Reduction`` value (not NONE)."""

    @abc.abstractmethod
    def loss(self, labels, logits, features=None, mode=None, regularization_losses=None):
        """The reduced training loss plus the regularization losses: a scalar."""

    @abc.abstractmethod
    def predictions(self, logits, keys=None):
        """A dict of prediction tensors."""

    @abc.abstractmethod
    def metrics(self, regularization_losses=None):
        """A dict of new ``tf.keras.metrics`` objects by metric key."""

    @abc.abstractmethod
    def update_metrics(self, eval_metrics, features, logits, labels, mode=None,
                       regularization_losses=None):
        """Updates ``eval_metrics`` (from ``metrics``) with a batch; returns them."""

    @abc.abstractmethod
    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None,
                              trainable_variables=None, train_op_fn=None, update_ops=None,
                              regularization_losses=None):
        """The EstimatorSpec of ``mode``."""


class _ContribHead(Head):
    """A v2 head over a tf.contrib.estimator head object (``self._impl``)."""

    def __init__(self, impl, loss_reduction):
        self._impl, self._loss_reduction = impl, loss_reduction

    name = property(lambda self: self._impl.name)
    logits_dimension = property(lambda self: self._impl.logits_dimension)
    loss_reduction = property(lambda self: self._loss_reduction)

    def _summary_key(self, key):
        return _v1._summary_key(self.name, key)

    def _loss_spec(self, labels, logits, features, mode):
        """(checked logits, LossSpec(training_loss, unreduced, weights, processed labels))."""
        logits = _v1._check_logits_final_dim(logits, self.logits_dimension)
        return logits, self._impl.create_loss(features if features is not None else {}, mode,
                                              logits, labels)

    def loss(self, labels, logits, features=None, mode=None, regularization_losses=None):
        with name_scope(None, "losses"):
            _, spec = self._loss_spec(labels, logits, features, mode)
            return _add_regularization(spec.training_loss, regularization_losses)

    def predictions(self, logits, keys=None):
        logits = _v1._check_logits_final_dim(logits, self.logits_dimension)
        with name_scope(None, "predictions", (logits,)):
            predictions, _ = self._impl._predictions(logits)
        if keys:
            for key in keys:
                if key not in predictions:
                    raise ValueError(f"{key} is not a valid prediction key. Valid prediction "
                                     f"keys are {sorted(predictions)}.")
            predictions = {k: v for k, v in predictions.items() if k in keys}
        return predictions

    def metrics(self, regularization_losses=None):
        with name_scope(None, "metrics"):
            metrics = {self._summary_key(_keys.LOSS_MEAN): keras_metrics.Mean(
                name=_keys.LOSS_MEAN)}
            metrics.update(self._head_metrics())
            if regularization_losses is not None:
                metrics[self._summary_key(_keys.LOSS_REGULARIZATION)] = keras_metrics.Mean(
                    name=_keys.LOSS_REGULARIZATION)
        return metrics

    def update_metrics(self, eval_metrics, features, logits, labels,
                       regularization_losses=None):
        from ..ops.math_ops import add_n

        logits, spec = self._loss_spec(labels, logits, features, None)
        _update(eval_metrics[self._summary_key(_keys.LOSS_MEAN)], spec.unreduced_loss,
                sample_weight=_broadcast(spec.weights, spec.unreduced_loss))
        self._update_head_metrics(eval_metrics, logits, spec.processed_labels, spec.weights)
        if regularization_losses is not None:
            _update(eval_metrics[self._summary_key(_keys.LOSS_REGULARIZATION)],
                    add_n(regularization_losses))
        return eval_metrics

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None,
                              trainable_variables=None, train_op_fn=None, update_ops=None,
                              regularization_losses=None):
        from .model_fn import EstimatorSpec

        with name_scope(self.name, "head"):
            predictions = self.predictions(logits)
            if mode == ModeKeys.PREDICT:
                return EstimatorSpec(mode=ModeKeys.PREDICT, predictions=predictions,
                                     export_outputs=self._impl._export_outputs(predictions))
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
                create_estimator_spec_summary(loss, regularization_losses, self._summary_key)
                return EstimatorSpec(mode=ModeKeys.TRAIN, predictions=predictions, loss=loss,
                                     train_op=train_op)
            raise ValueError(f"mode={mode} unrecognized")

    def _head_metrics(self):
        return {}

    def _update_head_metrics(self, eval_metrics, logits, labels, weights):
        pass


class _AccuracyBaseline(keras_metrics.Metric):
    """max(label mean, 1 - label mean), from the ``label/mean`` metric's total and count
    (TF rebinds them the same way): the accuracy of always predicting one class."""

    def __init__(self, name):
        super().__init__(name=name)
        self._label_mean = None

    def update_state(self, label_mean):
        from ..ops.array_ops import no_op

        self._label_mean = label_mean
        return no_op()

    def result(self):
        from ..graph import convert_to_tensor
        from ..ops.math_ops import div_no_nan, maximum

        if self._label_mean is None:
            return convert_to_tensor(0.0)
        total, count = self._label_mean.total.value(), self._label_mean.count.value()
        return div_no_nan(maximum(total, count - total), count)


class BinaryClassHead(_ContribHead):
    """Single-label binary classification: sigmoid cross-entropy over one logit."""

    def __init__(self, weight_column=None, thresholds=None, label_vocabulary=None,
                 loss_reduction="sum_over_batch_size", loss_fn=None, name=None):
        from ..contrib.estimator_heads import binary_classification_head

        super().__init__(binary_classification_head(
            weight_column=weight_column, thresholds=thresholds,
            label_vocabulary=label_vocabulary, loss_reduction=_v1_reduction(loss_reduction),
            loss_fn=loss_fn, name=name), loss_reduction)
        self._thresholds = tuple(thresholds) if thresholds else ()

    def _head_metrics(self):
        key, m = self._summary_key, keras_metrics
        metrics = {key(_keys.ACCURACY): m.Accuracy(name=_keys.ACCURACY),
                   key(_keys.PRECISION): m.Precision(name=_keys.PRECISION),
                   key(_keys.RECALL): m.Recall(name=_keys.RECALL),
                   key(_keys.PREDICTION_MEAN): m.Mean(name=_keys.PREDICTION_MEAN),
                   key(_keys.LABEL_MEAN): m.Mean(name=_keys.LABEL_MEAN),
                   key(_keys.ACCURACY_BASELINE): _AccuracyBaseline(_keys.ACCURACY_BASELINE),
                   key(_keys.AUC): m.AUC(name=_keys.AUC),
                   key(_keys.AUC_PR): m.AUC(curve="PR", name=_keys.AUC_PR)}
        for t in self._thresholds:
            for fmt, make in ((_keys.ACCURACY_AT_THRESHOLD, m.BinaryAccuracy),
                              (_keys.PRECISION_AT_THRESHOLD, m.Precision),
                              (_keys.RECALL_AT_THRESHOLD, m.Recall)):
                arg = {"threshold": t} if make is m.BinaryAccuracy else {"thresholds": t}
                metrics[key(fmt % t)] = make(name=key(fmt % t), **arg)
        return metrics

    def _update_head_metrics(self, eval_metrics, logits, labels, weights):
        key = self._summary_key
        predictions = self.predictions(logits, [_pred.CLASS_IDS, _pred.LOGISTIC])
        class_ids, logistic = predictions[_pred.CLASS_IDS], predictions[_pred.LOGISTIC]
        w = _broadcast(weights, labels)
        for name in (_keys.ACCURACY, _keys.PRECISION, _keys.RECALL):
            _update(eval_metrics[key(name)], labels, class_ids, sample_weight=w)
        _update(eval_metrics[key(_keys.PREDICTION_MEAN)], logistic, sample_weight=w)
        _update(eval_metrics[key(_keys.LABEL_MEAN)], labels, sample_weight=w)
        _update(eval_metrics[key(_keys.ACCURACY_BASELINE)],
                eval_metrics[key(_keys.LABEL_MEAN)])
        for name in (_keys.AUC, _keys.AUC_PR):
            _update(eval_metrics[key(name)], labels, logistic, sample_weight=w)
        for t in self._thresholds:
            for fmt in (_keys.ACCURACY_AT_THRESHOLD, _keys.PRECISION_AT_THRESHOLD,
                        _keys.RECALL_AT_THRESHOLD):
                _update(eval_metrics[key(fmt % t)], labels, logistic, sample_weight=w)


class MultiClassHead(_ContribHead):
    """Single-label classification among ``n_classes`` (> 2): softmax cross-entropy."""

    def __init__(self, n_classes, weight_column=None, label_vocabulary=None,
                 loss_reduction="sum_over_batch_size", loss_fn=None, name=None):
        from ..contrib.estimator_heads import multi_class_head

        super().__init__(multi_class_head(
            n_classes, weight_column=weight_column, label_vocabulary=label_vocabulary,
            loss_reduction=_v1_reduction(loss_reduction), loss_fn=loss_fn, name=name),
            loss_reduction)

    def _head_metrics(self):
        return {self._summary_key(_keys.ACCURACY): keras_metrics.Accuracy(name=_keys.ACCURACY)}

    def _update_head_metrics(self, eval_metrics, logits, labels, weights):
        class_ids = self.predictions(logits, [_pred.CLASS_IDS])[_pred.CLASS_IDS]
        _update(eval_metrics[self._summary_key(_keys.ACCURACY)], labels, class_ids,
                sample_weight=_broadcast(weights, class_ids))


class MultiLabelHead(_ContribHead):
    """Zero or more of ``n_classes`` labels per example: sigmoid cross-entropy per class."""

    def __init__(self, n_classes, weight_column=None, thresholds=None, label_vocabulary=None,
                 loss_reduction="sum_over_batch_size", loss_fn=None,
                 classes_for_class_based_metrics=None, name=None):
        from ..contrib.estimator_heads import multi_label_head

        impl = multi_label_head(
            n_classes, weight_column=weight_column, thresholds=thresholds,
            label_vocabulary=label_vocabulary, loss_reduction=_v1_reduction(loss_reduction),
            loss_fn=loss_fn,
            classes_for_class_based_metrics=classes_for_class_based_metrics, name=name)
        super().__init__(impl, loss_reduction)

    def _class_tags(self):
        impl = self._impl
        return [(c, impl._vocabulary[c] if impl._vocabulary else f"class{c}")
                for c in impl._class_metrics]

    def _head_metrics(self):
        key, m = self._summary_key, keras_metrics
        metrics = {key(_keys.AUC): m.AUC(name=_keys.AUC),
                   key(_keys.AUC_PR): m.AUC(curve="PR", name=_keys.AUC_PR)}
        for t in self._impl._thresholds:
            metrics[key(_keys.ACCURACY_AT_THRESHOLD % t)] = m.BinaryAccuracy(
                name=key(_keys.ACCURACY_AT_THRESHOLD % t), threshold=t)
            metrics[key(_keys.PRECISION_AT_THRESHOLD % t)] = m.Precision(
                name=key(_keys.PRECISION_AT_THRESHOLD % t), thresholds=t)
            metrics[key(_keys.RECALL_AT_THRESHOLD % t)] = m.Recall(
                name=key(_keys.RECALL_AT_THRESHOLD % t), thresholds=t)
        for _, tag in self._class_tags():
            metrics[key(f"probability_mean/{tag}")] = m.Mean(name=f"probability_mean/{tag}")
            metrics[key(f"auc/{tag}")] = m.AUC(name=f"auc/{tag}")
            metrics[key(f"auc_precision_recall/{tag}")] = m.AUC(
                curve="PR", name=f"auc_precision_recall/{tag}")
        return metrics

    def _update_head_metrics(self, eval_metrics, logits, labels, weights):
        key = self._summary_key
        probs = self.predictions(logits, [_pred.PROBABILITIES])[_pred.PROBABILITIES]
        w = _broadcast(weights, probs)
        for name in (_keys.AUC, _keys.AUC_PR):
            _update(eval_metrics[key(name)], labels, probs, sample_weight=w)
        for t in self._impl._thresholds:
            for fmt in (_keys.ACCURACY_AT_THRESHOLD, _keys.PRECISION_AT_THRESHOLD,
                        _keys.RECALL_AT_THRESHOLD):
                _update(eval_metrics[key(fmt % t)], labels, probs, sample_weight=w)
        for c, tag in self._class_tags():
            p, y = probs[..., c:c + 1], labels[..., c:c + 1]
            cw = _broadcast(weights, p)
            _update(eval_metrics[key(f"probability_mean/{tag}")], p, sample_weight=cw)
            _update(eval_metrics[key(f"auc/{tag}")], y, p, sample_weight=cw)
            _update(eval_metrics[key(f"auc_precision_recall/{tag}")], y, p, sample_weight=cw)


class RegressionHead(_ContribHead):
    """Regression over ``label_dimension`` targets: mean squared error (or ``loss_fn``);
    ``inverse_link_fn`` maps the logits to the predictions."""

    def __init__(self, label_dimension=1, weight_column=None,
                 loss_reduction="sum_over_batch_size", loss_fn=None, inverse_link_fn=None,
                 name=None):
        from ..contrib.estimator_heads import regression_head

        super().__init__(regression_head(
            weight_column=weight_column, label_dimension=label_dimension,
            loss_reduction=_v1_reduction(loss_reduction), loss_fn=loss_fn,
            inverse_link_fn=inverse_link_fn, name=name), loss_reduction)

    def predictions(self, logits):
        return super().predictions(logits)

    def _head_metrics(self):
        key = self._summary_key
        return {key(_keys.PREDICTION_MEAN): keras_metrics.Mean(name=_keys.PREDICTION_MEAN),
                key(_keys.LABEL_MEAN): keras_metrics.Mean(name=_keys.LABEL_MEAN)}

    def _update_head_metrics(self, eval_metrics, logits, labels, weights):
        key = self._summary_key
        value = self.predictions(logits)[_pred.PREDICTIONS]
        _update(eval_metrics[key(_keys.PREDICTION_MEAN)], value,
                sample_weight=_broadcast(weights, value))
        _update(eval_metrics[key(_keys.LABEL_MEAN)], labels,
                sample_weight=_broadcast(weights, labels))


class PoissonRegressionHead(RegressionHead):
    """Poisson regression: ``tf.nn.log_poisson_loss`` of the logits (log rates); predicts
    ``exp(logits)``."""

    def __init__(self, label_dimension=1, weight_column=None,
                 loss_reduction="sum_over_batch_size", compute_full_loss=True, name=None):
        from ..contrib.estimator_heads import poisson_regression_head

        _ContribHead.__init__(self, poisson_regression_head(
            weight_column=weight_column, label_dimension=label_dimension,
            loss_reduction=_v1_reduction(loss_reduction),
            compute_full_loss=compute_full_loss, name=name), loss_reduction)


class LogisticRegressionHead(RegressionHead):
    """Regression of a probability: sigmoid cross-entropy against labels in [0, 1];
    predicts ``sigmoid(logits)``."""

    def __init__(self, weight_column=None, loss_reduction="sum_over_batch_size", name=None):
        from ..contrib.estimator_heads import logistic_regression_head

        _ContribHead.__init__(self, logistic_regression_head(
            weight_column=weight_column, loss_reduction=_v1_reduction(loss_reduction),
            name=name), loss_reduction)
