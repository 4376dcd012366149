"""TF 1.x's canned heads (tensorflow_estimator/python/estimator/canned/head.py): from logits
to predictions, loss, eval metrics, train op and export outputs, for binary (sigmoid),
multi-class (softmax) classification and regression. The loss is reduced by
``loss_reduction`` (TF 1.x's v1 estimators default to ``SUM`` over the batch); the
``average_loss`` metric is the weighted mean per example.

Metrics come from ``tf.metrics`` as found at call time: one minitf lacks is left out
(``auc`` and ``auc_precision_recall`` need ``tf.metrics.auc``, the threshold metrics
``precision_at_thresholds`` / ``recall_at_thresholds``)."""

from __future__ import annotations

import collections

from ... import dtypes as _dt
from ... import summary
from ...graph import GraphKeys, control_dependencies, convert_to_tensor, get_collection, name_scope
from ...ops import array_ops, concat_split_ops, transform_ops
from ..export import ClassificationOutput, PredictOutput, RegressionOutput
from ..model_fn import ModeKeys

_DEFAULT_SERVING_KEY = "serving_default"
_CLASSIFY_SERVING_KEY = "classification"
_REGRESS_SERVING_KEY = "regression"
_PREDICT_SERVING_KEY = "predict"


class PredictionKeys:
    CLASSES = "classes"
    CLASS_IDS = "class_ids"
    ALL_CLASSES = "all_classes"
    ALL_CLASS_IDS = "all_class_ids"
    LOGISTIC = "logistic"
    LOGITS = "logits"
    PREDICTIONS = "predictions"
    PROBABILITIES = "probabilities"
    TOP_K = "top_k"


class MetricKeys:
    LOSS = "loss"
    LOSS_MEAN = "average_loss"
    LOSS_REGULARIZATION = "regularization_loss"
    ACCURACY = "accuracy"
    PRECISION = "precision"
    RECALL = "recall"
    ACCURACY_BASELINE = "accuracy_baseline"
    AUC = "auc"
    AUC_PR = "auc_precision_recall"
    LABEL_MEAN = "label/mean"
    PREDICTION_MEAN = "prediction/mean"
    ACCURACY_AT_THRESHOLD = "accuracy/positive_threshold_%g"
    PRECISION_AT_THRESHOLD = "precision/positive_threshold_%g"
    RECALL_AT_THRESHOLD = "recall/positive_threshold_%g"


LossSpec = collections.namedtuple("LossSpec", ["training_loss", "unreduced_loss", "weights",
                                               "processed_labels"])


# -- shared pieces -----------------------------------------------------------------------------
def _metric(name):
    """``tf.metrics.<name>`` if minitf has it now (another module may add it), else None."""
    from ... import metrics

    return getattr(metrics, name, None)


def _summary_key(head_name, key):
    return f"{key}/{head_name}" if head_name else key


def _check_logits_final_dim(logits, expected):
    from ...ops.math_ops import cast

    with name_scope(None, "logits", (logits,)):
        logits = cast(convert_to_tensor(logits), _dt.float32)
        shape = logits.shape
        if shape.rank is not None and shape.rank < 2:
            raise ValueError(f"logits shape must be [D0, D1, ... DN, logits_dimension], got "
                             f"{shape}.")
        if shape.rank is not None and shape[-1].value is not None and \
                shape[-1].value != expected:
            raise ValueError(f"logits shape must be [D0, D1, ... DN, logits_dimension="
                             f"{expected}], got {shape}.")
        return logits


def _check_dense_labels(labels, logits, expected_dim):
    from ...sparse_tensor import SparseTensor

    if labels is None:
        raise ValueError("You must provide a labels Tensor. Given: None. Suggested "
                         "troubleshooting steps: Check that your data contain your label "
                         "feature. Check that your input_fn properly parses and returns labels.")
    with name_scope(None, "labels", (labels, logits)):
        if isinstance(labels, SparseTensor):
            raise ValueError(f"SparseTensor labels are not supported. labels must be a Tensor "
                             f"of shape [D0, D1, ..., DN, {expected_dim}], e.g. [batch_size, "
                             f"{expected_dim}].")
        labels = convert_to_tensor(labels)
        if labels.shape.rank is not None and logits.shape.rank is not None and \
                labels.shape.rank == logits.shape.rank - 1:
            labels = transform_ops.expand_dims(labels, -1)
        rank = labels.shape.rank
        if rank is not None and rank < 2:
            raise ValueError(f"labels shape must be [D0, D1, ... DN, {expected_dim}]. Suggested "
                             f"Fix: check your n_classes argument to the estimator and/or the "
                             f"shape of your label.")
        if rank is not None and labels.shape[-1].value not in (None, expected_dim):
            raise ValueError(f"Mismatched label shape. Expected labels dimension="
                             f"{expected_dim}.  Received {labels.shape[-1].value}. Suggested "
                             f"Fix:If your classifier expects one-hot encoding label,check your "
                             f"n_classes argument to the estimator and/or the shape of your "
                             f"label. Otherwise, check the shape of your label.")
        return labels


def _weights(features, weight_column, logits):
    """The example weights, shaped [D0, ... DN, 1] (1. without a weight column)."""
    from ...feature_column import numeric_column
    from ...feature_column.columns import _LazyBuilder, _NumericColumn
    from ...ops.math_ops import cast

    if weight_column is None:
        return 1.0
    with name_scope(None, "weights", tuple(features.values()) + (logits,)):
        if isinstance(weight_column, str):
            weight_column = numeric_column(key=weight_column, shape=(1,))
        if not isinstance(weight_column, _NumericColumn):
            raise TypeError(f"Weight column must be either a string or _NumericColumn. Given "
                            f"type: {type(weight_column)}.")
        weights = weight_column._get_dense_tensor(_LazyBuilder(features))
        if not (weights.dtype.is_floating or weights.dtype.is_integer):
            raise ValueError(f"Weight column should be castable to float. Given dtype: "
                             f"{weights.dtype}")
        weights = cast(weights, _dt.float32, name="weights")
        if weights.shape.rank is not None and logits.shape.rank is not None and \
                weights.shape.rank == logits.shape.rank - 1:
            weights = transform_ops.expand_dims(weights, -1)
        return weights


def _assert_range(labels, n_classes):
    from ...ops import logging_ops

    with name_scope(None, "assert_range", (labels,)):
        less = logging_ops.assert_less_equal(
            labels, convert_to_tensor(n_classes - 1, dtype=labels.dtype),
            message="Labels must <= n_classes - 1")
        positive = logging_ops.assert_non_negative(labels, message="Labels must >= 0")
        deps = [op for op in (less, positive) if op is not None]
        with control_dependencies(deps):
            return array_ops.identity(labels)


def _mean(values, weights, name):
    from ...ops.math_ops import cast

    values = cast(values, _dt.float32)
    if not isinstance(weights, float):
        weights = weights * array_ops.ones_like(values)
    return _metric("mean")(values, weights=weights, name=name)


def _all_classes(logits, n_classes, vocabulary=None):
    from ...ops.array_ops import range_
    from ...strings import as_string

    batch = array_ops.shape(logits)[0]
    names = convert_to_tensor(list(vocabulary)) if vocabulary else \
        as_string(range_(n_classes))
    return transform_ops.tile(transform_ops.expand_dims(names, 0), [batch, 1])


def _all_class_ids(logits, n_classes):
    from ...ops.array_ops import range_

    batch = array_ops.shape(logits)[0]
    return transform_ops.tile(transform_ops.expand_dims(range_(n_classes), 0), [batch, 1])


def _class_names(class_ids, vocabulary):
    """Each id's class name: its vocabulary entry (a gather: nothing to initialise, so it
    freezes into a SavedModel as is), or the id as a string."""
    from ...ops.gather_ops import gather
    from ...strings import as_string

    if vocabulary:
        return gather(convert_to_tensor(list(vocabulary)), class_ids)
    return as_string(class_ids, name="str_classes")


def _label_ids_from_vocabulary(labels, vocabulary):
    from ...lookup import KeyValueTensorInitializer, StaticHashTable
    from ...ops.array_ops import range_

    if labels.dtype != _dt.string:
        raise ValueError(f"Labels dtype should be string if there is a vocabulary. Instead got "
                         f"{labels.dtype}")
    table = StaticHashTable(KeyValueTensorInitializer(
        list(vocabulary), range_(len(vocabulary), dtype=_dt.int64)), -1,
        name="class_id_lookup")
    return table.lookup(labels)


def _append_update_ops(train_op):
    from ...ops.array_ops import group

    update_ops = get_collection(GraphKeys.UPDATE_OPS)
    return group(train_op, *update_ops) if update_ops else train_op



def check_loss_reduction(loss_reduction):
    from ...losses import Reduction

    if loss_reduction not in Reduction.all() or loss_reduction == Reduction.NONE:
        raise ValueError(f"Invalid loss_reduction: {loss_reduction}")

class _Head:
    """The shared flow of TF's v1 heads: predictions; then loss; EVAL metrics or TRAIN op."""

    logits_dimension = 1

    def __init__(self, weight_column, loss_reduction, name):
        check_loss_reduction(loss_reduction)
        self._weight_column, self._loss_reduction, self._name = \
            weight_column, loss_reduction, name

    @property
    def name(self):
        return self._name

    def create_loss(self, features, mode, logits, labels):
        from ...losses import compute_weighted_loss

        labels = _check_dense_labels(labels, logits, self._labels_dimension())
        labels, unweighted = self._unweighted_loss(labels, logits)
        weights = _weights(features, self._weight_column, logits)
        training_loss = compute_weighted_loss(unweighted, weights=weights,
                                              reduction=self._loss_reduction)
        return LossSpec(training_loss, unweighted, weights, labels)

    def _labels_dimension(self):
        return 1

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None,
                              train_op_fn=None, regularization_losses=None):
        from ...ops.math_ops import add_n
        from ...ops.reduction_ops import reduce_sum
        from ...losses import Reduction
        from ...train.step import get_global_step
        from ..model_fn import EstimatorSpec

        with name_scope(self._name, "head"):
            logits = _check_logits_final_dim(logits, self.logits_dimension)
            with name_scope(None, "predictions", (logits,)):
                predictions, extra = self._predictions(logits)
            if mode == ModeKeys.PREDICT:
                return EstimatorSpec(mode=ModeKeys.PREDICT, predictions=predictions,
                                     export_outputs=self._export_outputs(predictions))
            training_loss, unreduced, weights, processed = self.create_loss(
                features, mode, logits, labels)
            if regularization_losses:
                reg_loss = add_n(regularization_losses)
                loss = add_n([training_loss, reg_loss])
            else:
                reg_loss, loss = None, training_loss
            if mode == ModeKeys.EVAL:
                with name_scope(None, "metrics"):
                    metric_ops = self._eval_metric_ops(processed, predictions, extra, weights,
                                                       unreduced)
                    if reg_loss is not None:
                        metric_ops[_summary_key(self._name, MetricKeys.LOSS_REGULARIZATION)] = \
                            _metric("mean")(reg_loss, name=MetricKeys.LOSS_REGULARIZATION)
                return EstimatorSpec(mode=ModeKeys.EVAL, predictions=predictions, loss=loss,
                                     eval_metric_ops=metric_ops)
            if optimizer is not None:
                if train_op_fn is not None:
                    raise ValueError("train_op_fn and optimizer cannot both be set.")
                train_op = optimizer.minimize(loss, global_step=get_global_step())
            elif train_op_fn is not None:
                train_op = train_op_fn(loss)
            else:
                raise ValueError("train_op_fn and optimizer cannot both be None.")
            train_op = _append_update_ops(train_op)
            mean_loss = None
            if self._loss_reduction == Reduction.SUM:  # TF logs it for SUM only
                mean_loss = training_loss / reduce_sum(weights * array_ops.ones_like(unreduced))
        with name_scope(""):
            summary.scalar(_summary_key(self._name, MetricKeys.LOSS), loss)
            if mean_loss is not None:
                summary.scalar(_summary_key(self._name, MetricKeys.LOSS_MEAN), mean_loss)
            if reg_loss is not None:
                summary.scalar(_summary_key(self._name, MetricKeys.LOSS_REGULARIZATION),
                               reg_loss)
        return EstimatorSpec(mode=ModeKeys.TRAIN, predictions=predictions, loss=loss,
                             train_op=train_op)

    def _loss_mean_metric(self, unreduced, weights):
        return _mean(unreduced, weights, MetricKeys.LOSS_MEAN)


class _BinaryLogisticHead(_Head):
    """Sigmoid cross-entropy over one logit; labels in {0, 1} (or the vocabulary's two)."""

    def __init__(self, weight_column=None, thresholds=None, label_vocabulary=None,
                 loss_reduction="weighted_sum", name=None):
        super().__init__(weight_column, loss_reduction, name)
        thresholds = tuple(thresholds) if thresholds else ()
        if label_vocabulary is not None and not isinstance(label_vocabulary, (list, tuple)):
            raise TypeError(f"label_vocabulary should be a list or tuple. Given type: "
                            f"{type(label_vocabulary)}")
        for t in thresholds:
            if t <= 0.0 or t >= 1.0:
                raise ValueError(f"thresholds not in (0, 1): {(thresholds,)}.")
        self._thresholds, self._vocabulary = thresholds, label_vocabulary

    def _predictions(self, logits):
        from ... import nn
        from ...ops.unary_ops import sigmoid
        from ...ops.reduction_ops import argmax

        k = PredictionKeys
        logistic = sigmoid(logits, name=k.LOGISTIC)
        two = concat_split_ops.concat([array_ops.zeros_like(logits), logits], axis=-1,
                               name="two_class_logits")
        probabilities = nn.softmax(two, name=k.PROBABILITIES)
        class_ids = transform_ops.expand_dims(argmax(two, axis=-1, name=k.CLASS_IDS), -1)
        predictions = {k.LOGITS: logits, k.LOGISTIC: logistic, k.PROBABILITIES: probabilities,
                       k.CLASS_IDS: class_ids,
                       k.CLASSES: _class_names(class_ids, self._vocabulary),
                       k.ALL_CLASS_IDS: _all_class_ids(logits, 2),
                       k.ALL_CLASSES: _all_classes(logits, 2, self._vocabulary)}
        return predictions, None

    def _export_outputs(self, predictions):
        k = PredictionKeys
        classifier = ClassificationOutput(scores=predictions[k.PROBABILITIES],
                                          classes=predictions[k.ALL_CLASSES])
        return {_DEFAULT_SERVING_KEY: classifier, _CLASSIFY_SERVING_KEY: classifier,
                _REGRESS_SERVING_KEY: RegressionOutput(value=predictions[k.LOGISTIC]),
                _PREDICT_SERVING_KEY: PredictOutput(predictions)}

    def _unweighted_loss(self, labels, logits):
        from ...nn_impl import sigmoid_cross_entropy_with_logits
        from ...ops.math_ops import cast

        if self._vocabulary is not None:
            labels = _label_ids_from_vocabulary(labels, self._vocabulary)
        labels = _assert_range(cast(labels, _dt.float32), 2)
        return labels, sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)

    def _eval_metric_ops(self, labels, predictions, extra, weights, unreduced):
        from ...ops.math_ops import cast, greater_equal, maximum

        k, key = MetricKeys, lambda name: _summary_key(self._name, name)
        class_ids, logistic = predictions[PredictionKeys.CLASS_IDS], \
            predictions[PredictionKeys.LOGISTIC]
        w = None if isinstance(weights, float) else weights
        label_mean = _mean(labels, weights, k.LABEL_MEAN)
        ops = {key(k.LOSS_MEAN): self._loss_mean_metric(unreduced, weights),
               key(k.ACCURACY): _metric("accuracy")(labels, class_ids, weights=w,
                                                    name=k.ACCURACY),
               key(k.PRECISION): _metric("precision")(labels, class_ids, weights=w,
                                                      name=k.PRECISION),
               key(k.RECALL): _metric("recall")(labels, class_ids, weights=w, name=k.RECALL),
               key(k.PREDICTION_MEAN): _mean(logistic, weights, k.PREDICTION_MEAN),
               key(k.LABEL_MEAN): label_mean}
        with name_scope(None, "accuracy_baseline", label_mean):
            value, update = label_mean
            ops[key(k.ACCURACY_BASELINE)] = (maximum(value, 1.0 - value, name="value"),
                                             maximum(update, 1.0 - update, name="update_op"))
        auc = _metric("auc")
        if auc is not None:
            ww = None if w is None else w * array_ops.ones_like(logistic)
            ops[key(k.AUC)] = auc(labels, logistic, weights=ww, name=k.AUC)
            ops[key(k.AUC_PR)] = auc(labels, logistic, weights=ww, curve="PR", name=k.AUC_PR)
        at = {"precision": _metric("precision_at_thresholds"),
              "recall": _metric("recall_at_thresholds")}
        for t in self._thresholds:
            name = k.ACCURACY_AT_THRESHOLD % t
            ops[key(name)] = _metric("accuracy")(
                labels, cast(greater_equal(logistic, t), _dt.float32), weights=w, name=name)
            for kind, fn in at.items():
                if fn is None:
                    continue
                name = (k.PRECISION_AT_THRESHOLD if kind == "precision"
                        else k.RECALL_AT_THRESHOLD) % t
                value, update = fn(labels, logistic, thresholds=(t,), weights=w, name=name)
                ops[key(name)] = (transform_ops.squeeze(value), transform_ops.squeeze(update))
        return ops


class _MultiClassHead(_Head):
    """Softmax cross-entropy over ``n_classes`` logits; integer labels (or vocabulary
    strings)."""

    def __init__(self, n_classes, weight_column=None, label_vocabulary=None,
                 loss_reduction="weighted_sum", name=None):
        if label_vocabulary is not None and not isinstance(label_vocabulary, (list, tuple)):
            raise ValueError(f"label_vocabulary should be a list or a tuple. Given type: "
                             f"{type(label_vocabulary)}")
        super().__init__(weight_column, loss_reduction, name)
        if n_classes is None:
            raise ValueError("n_classes cannot be None")
        if n_classes <= 2:
            raise ValueError(f"n_classes must be > 2: {n_classes}.")
        self._n_classes, self._vocabulary = n_classes, label_vocabulary

    @property
    def logits_dimension(self):
        return self._n_classes

    def _predictions(self, logits):
        from ... import nn
        from ...ops.reduction_ops import argmax

        k = PredictionKeys
        class_ids = transform_ops.expand_dims(argmax(logits, axis=-1, name=k.CLASS_IDS), -1)
        predictions = {k.LOGITS: logits,
                       k.PROBABILITIES: nn.softmax(logits, name=k.PROBABILITIES),
                       k.CLASS_IDS: class_ids,
                       k.CLASSES: _class_names(class_ids, self._vocabulary),
                       k.ALL_CLASS_IDS: _all_class_ids(logits, self._n_classes),
                       k.ALL_CLASSES: _all_classes(logits, self._n_classes, self._vocabulary)}
        return predictions, None

    def _export_outputs(self, predictions):
        k = PredictionKeys
        classifier = ClassificationOutput(scores=predictions[k.PROBABILITIES],
                                          classes=predictions[k.ALL_CLASSES])
        return {_DEFAULT_SERVING_KEY: classifier, _CLASSIFY_SERVING_KEY: classifier,
                _PREDICT_SERVING_KEY: PredictOutput(predictions)}

    def _unweighted_loss(self, labels, logits):
        from ...losses import Reduction, sparse_softmax_cross_entropy

        if self._vocabulary is None:
            if not labels.dtype.is_integer:
                raise ValueError(f"Labels dtype should be integer. Instead got {labels.dtype}.")
            ids = labels
        else:
            ids = _label_ids_from_vocabulary(labels, self._vocabulary)
        ids = _assert_range(ids, self._n_classes)
        loss = sparse_softmax_cross_entropy(labels=ids, logits=logits,
                                            reduction=Reduction.NONE)
        return ids, transform_ops.expand_dims(loss, -1)

    def _eval_metric_ops(self, labels, predictions, extra, weights, unreduced):
        k, key = MetricKeys, lambda name: _summary_key(self._name, name)
        w = None if isinstance(weights, float) else weights
        return {key(k.LOSS_MEAN): self._loss_mean_metric(unreduced, weights),
                key(k.ACCURACY): _metric("accuracy")(
                    labels, predictions[PredictionKeys.CLASS_IDS], weights=w, name=k.ACCURACY)}


class _RegressionHead(_Head):
    """Mean squared error over ``label_dimension`` outputs."""

    def __init__(self, label_dimension=1, weight_column=None, loss_reduction="weighted_sum",
                 name=None):
        super().__init__(weight_column, loss_reduction, name)
        if label_dimension < 1:
            raise ValueError(f"Invalid label_dimension {label_dimension}.")
        self._label_dimension = label_dimension

    @property
    def logits_dimension(self):
        return self._label_dimension

    def _labels_dimension(self):
        return self._label_dimension

    def _predictions(self, logits):
        return {PredictionKeys.PREDICTIONS: logits}, None

    def _export_outputs(self, predictions):
        regression = RegressionOutput(value=predictions[PredictionKeys.PREDICTIONS])
        return {_DEFAULT_SERVING_KEY: regression, _REGRESS_SERVING_KEY: regression,
                _PREDICT_SERVING_KEY: PredictOutput(predictions)}

    def _unweighted_loss(self, labels, logits):
        from ...losses import Reduction, mean_squared_error
        from ...ops.math_ops import cast

        labels = cast(labels, _dt.float32)
        return labels, mean_squared_error(labels=labels, predictions=logits,
                                          reduction=Reduction.NONE)

    def _eval_metric_ops(self, labels, predictions, extra, weights, unreduced):
        k, key = MetricKeys, lambda name: _summary_key(self._name, name)
        value = predictions[PredictionKeys.PREDICTIONS]
        return {key(k.LOSS_MEAN): self._loss_mean_metric(unreduced, weights),
                key(k.PREDICTION_MEAN): _mean(value, weights, k.PREDICTION_MEAN),
                key(k.LABEL_MEAN): _mean(labels, weights, k.LABEL_MEAN)}


def binary_or_multi_class_head(n_classes, weight_column, label_vocabulary, loss_reduction):
    if n_classes == 2:
        return _BinaryLogisticHead(weight_column=weight_column,
                                   label_vocabulary=label_vocabulary,
                                   loss_reduction=loss_reduction)
    return _MultiClassHead(n_classes, weight_column=weight_column,
                           label_vocabulary=label_vocabulary, loss_reduction=loss_reduction)


def regression_head(label_dimension, weight_column, loss_reduction):
    return _RegressionHead(label_dimension, weight_column=weight_column,
                           loss_reduction=loss_reduction)
