"""``tf.contrib.estimator``'s head factories (TF 1.15 tensorflow_estimator contrib head.py):
binary, multi-class and multi-label classification, and regression (mean squared error, or a
custom ``loss_fn`` with an ``inverse_link_fn``: Poisson and logistic regression), built on the
canned estimators' heads (minitf.estimator.canned.head). The contrib defaults differ from the
canned ones: the loss is reduced by ``SUM_OVER_BATCH_SIZE``."""

from __future__ import annotations

from .. import dtypes as _dt
from ..estimator.canned import head as _head
from ..estimator.model_fn import fn_args
from ..graph import control_dependencies, convert_to_tensor, name_scope
from ..losses import Reduction
from ..ops import array_ops, transform_ops

__all__ = ["binary_classification_head", "logistic_regression_head", "multi_class_head",
           "multi_label_head", "poisson_regression_head", "regression_head"]

_SUM_OVER_BATCH_SIZE = Reduction.SUM_OVER_BATCH_SIZE


# -- custom losses ------------------------------------------------------------------------------
def _validate_loss_fn_args(loss_fn):
    """``loss_fn`` takes ``labels`` and ``logits``, and may take ``features``; nothing else."""
    args = fn_args(loss_fn)
    for required in ("labels", "logits"):
        if required not in args:
            raise ValueError(f"loss_fn must contain argument: {required}. Given arguments: "
                             f"{args}")
    invalid = sorted(set(args) - {"labels", "logits", "features"})
    if invalid:
        raise ValueError(f"loss_fn has unexpected args: {invalid}")


def _call_loss_fn(loss_fn, labels, logits, features, expected_loss_dim=1):
    """``loss_fn``'s unreduced loss, which must be shaped [D0, ... DN, expected_loss_dim]
    (checked statically where known, and when run, as TF's Assert does)."""
    from ..ops.logging_ops import Assert
    from ..ops.reduction_ops import reduce_all
    from ..ops.logic_ops import equal
    from ..ops import concat_split_ops

    kwargs = {"features": features} if "features" in fn_args(loss_fn) else {}
    inputs = list(features.values()) if isinstance(features, dict) else []
    with name_scope(None, "call_loss_fn", [labels, logits] + inputs):
        loss = convert_to_tensor(loss_fn(labels=labels, logits=logits, **kwargs))
        message = f"loss_fn must return Tensor of shape [D0, D1, ... DN, {expected_loss_dim}]. "
        have, want = loss.shape, logits.shape
        if have.rank is not None and want.rank is not None:
            wrong_rank = have.rank != want.rank
            wrong_dim = have.rank and have[-1].value not in (None, expected_loss_dim)
            if wrong_rank or wrong_dim:
                raise ValueError(f"{message}logits_shape: {want}, loss_shape: {have}")
        logits_shape = array_ops.shape(logits, name="logits_shape")
        expected = concat_split_ops.concat([logits_shape[:-1], [expected_loss_dim]], axis=0,
                                           name="expected_loss_shape")
        loss_shape = array_ops.shape(loss, name="loss_shape")
        check = Assert(reduce_all(equal(loss_shape, expected)),
                       [message, "logits_shape: ", logits_shape, "loss_shape: ", loss_shape],
                       name="check_loss_shape")
        with control_dependencies([check]):
            return array_ops.identity(loss)


class _LossFnHead:
    """With a ``loss_fn``, ``create_loss`` processes the labels as the head does and asks
    ``loss_fn`` for the unreduced loss; without one it is the canned head's."""

    _loss_fn = None

    def create_loss(self, features, mode, logits, labels):
        from ..losses import compute_weighted_loss

        if self._loss_fn is None:
            return super().create_loss(features, mode, logits, labels)
        logits = convert_to_tensor(logits)
        labels = _head._check_dense_labels(labels, logits, self._labels_dimension())
        labels = self._process_labels(labels)
        unweighted = _call_loss_fn(self._loss_fn, labels, logits, features,
                                   expected_loss_dim=self._labels_dimension())
        weights = _head._weights(features, self._weight_column, logits)
        training_loss = compute_weighted_loss(unweighted, weights=weights,
                                              reduction=self._loss_reduction)
        return _head.LossSpec(training_loss, unweighted, weights, labels)


class _BinaryHead(_LossFnHead, _head._BinaryLogisticHead):
    def __init__(self, loss_fn=None, **kwargs):
        super().__init__(**kwargs)
        self._loss_fn = loss_fn

    def _process_labels(self, labels):
        from ..ops.math_ops import cast

        if self._vocabulary is not None:
            labels = _head._label_ids_from_vocabulary(labels, self._vocabulary)
        return _head._assert_range(cast(labels, _dt.float32), 2)


class _MultiClassHead(_LossFnHead, _head._MultiClassHead):
    def __init__(self, n_classes, loss_fn=None, **kwargs):
        super().__init__(n_classes, **kwargs)
        self._loss_fn = loss_fn

    def _process_labels(self, labels):
        if self._vocabulary is None:
            if not labels.dtype.is_integer:
                raise ValueError(f"Labels dtype should be integer. Instead got {labels.dtype}.")
            return _head._assert_range(labels, self._n_classes)
        return _head._assert_range(_head._label_ids_from_vocabulary(labels, self._vocabulary),
                                   self._n_classes)


class _RegressionHead(_LossFnHead, _head._RegressionHead):
    def __init__(self, loss_fn=None, inverse_link_fn=None, **kwargs):
        super().__init__(**kwargs)
        self._loss_fn, self._inverse_link_fn = loss_fn, inverse_link_fn

    def _process_labels(self, labels):
        from ..ops.math_ops import cast

        return cast(labels, _dt.float32)

    def _predictions(self, logits):
        if self._inverse_link_fn is None:
            return super()._predictions(logits)
        keys = _head.PredictionKeys
        return {keys.PREDICTIONS: self._inverse_link_fn(logits), keys.LOGITS: logits}, None


# -- factories ----------------------------------------------------------------------------------
def binary_classification_head(weight_column=None, thresholds=None, label_vocabulary=None,
                               loss_reduction=_SUM_OVER_BATCH_SIZE, loss_fn=None, name=None):
    """A head for one binary label: sigmoid cross-entropy over one logit (or ``loss_fn``)."""
    _head.check_loss_reduction(loss_reduction)
    if loss_fn:
        _validate_loss_fn_args(loss_fn)
    return _BinaryHead(loss_fn=loss_fn, weight_column=weight_column, thresholds=thresholds,
                       label_vocabulary=label_vocabulary, loss_reduction=loss_reduction,
                       name=name)


def multi_class_head(n_classes, weight_column=None, label_vocabulary=None,
                     loss_reduction=_SUM_OVER_BATCH_SIZE, loss_fn=None, name=None):
    """A head for one of ``n_classes`` (> 2) classes: softmax cross-entropy (or
    ``loss_fn``)."""
    if label_vocabulary is not None and not isinstance(label_vocabulary, (list, tuple)):
        raise ValueError(f"label_vocabulary should be a list or a tuple. Given type: "
                         f"{type(label_vocabulary)}")
    _head.check_loss_reduction(loss_reduction)
    if loss_fn:
        _validate_loss_fn_args(loss_fn)
    return _MultiClassHead(n_classes, loss_fn=loss_fn, weight_column=weight_column,
                           label_vocabulary=label_vocabulary, loss_reduction=loss_reduction,
                           name=name)


def regression_head(weight_column=None, label_dimension=1,
                    loss_reduction=_SUM_OVER_BATCH_SIZE, loss_fn=None, inverse_link_fn=None,
                    name=None):
    """A head for ``label_dimension`` real targets: mean squared error (or ``loss_fn``);
    ``inverse_link_fn`` maps logits to the predictions (the logits are then predicted too)."""
    _head.check_loss_reduction(loss_reduction)
    if loss_fn:
        _validate_loss_fn_args(loss_fn)
    return _RegressionHead(loss_fn=loss_fn, inverse_link_fn=inverse_link_fn,
                           label_dimension=label_dimension, weight_column=weight_column,
                           loss_reduction=loss_reduction, name=name)


def poisson_regression_head(weight_column=None, label_dimension=1,
                            loss_reduction=_SUM_OVER_BATCH_SIZE, compute_full_loss=True,
                            name=None):
    """Poisson regression: ``tf.nn.log_poisson_loss`` of the logits (log rates), and
    ``exp(logits)`` predicted."""
    from ..math_extra import log_poisson_loss
    from ..ops.unary_ops import exp

    def _poisson_loss(labels, logits):
        return log_poisson_loss(targets=labels, log_input=logits,
                                compute_full_loss=compute_full_loss)

    return regression_head(weight_column=weight_column, label_dimension=label_dimension,
                           loss_reduction=loss_reduction, loss_fn=_poisson_loss,
                           inverse_link_fn=exp, name=name)


def logistic_regression_head(weight_column=None, loss_reduction=_SUM_OVER_BATCH_SIZE,
                             name=None):
    """Logistic regression: sigmoid cross-entropy against float labels in [0, 1] (checked
    when run), ``sigmoid(logits)`` predicted; a regression head's metrics and exports."""
    from ..nn_impl import sigmoid_cross_entropy_with_logits
    from ..ops.unary_ops import sigmoid

    def _logistic_loss(labels, logits):
        labels = _assert_in_unit_interval(labels)
        return sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)

    return regression_head(weight_column=weight_column, label_dimension=1,
                           loss_reduction=loss_reduction, loss_fn=_logistic_loss,
                           inverse_link_fn=sigmoid, name=name)


def _assert_in_unit_interval(labels, message="Labels must be in range [0, 1]"):
    from ..ops import logging_ops

    with name_scope(None, "assert_range", (labels,)):
        deps = [op for op in (
            logging_ops.assert_less_equal(labels, convert_to_tensor(1, dtype=labels.dtype),
                                          message=message),
            logging_ops.assert_non_negative(labels, message=message)) if op is not None]
        with control_dependencies(deps):
            return array_ops.identity(labels)


# -- multi-label ------------------------------------------------------------------------------
def multi_label_head(n_classes, weight_column=None, thresholds=None, label_vocabulary=None,
                     loss_reduction=_SUM_OVER_BATCH_SIZE, loss_fn=None,
                     classes_for_class_based_metrics=None, name=None):
    """A head for zero or more of ``n_classes`` (> 1) labels per example: sigmoid
    cross-entropy per class averaged over the classes (or ``loss_fn``). Labels are multi-hot
    [D0, ... DN, n_classes], or a SparseTensor of class ids (of vocabulary strings)."""
    thresholds = tuple(thresholds) if thresholds else ()
    if n_classes is None or n_classes < 2:
        raise ValueError(f"n_classes must be > 1 for multi-class classification. Given: "
                         f"{n_classes}")
    for t in thresholds:
        if t <= 0.0 or t >= 1.0:
            raise ValueError(f"thresholds must be in (0, 1) range. Given: {t}")
    if label_vocabulary is not None:
        if not isinstance(label_vocabulary, (list, tuple)):
            raise ValueError(f"label_vocabulary must be a list or tuple. Given type: "
                             f"{type(label_vocabulary)}")
        if len(label_vocabulary) != n_classes:
            raise ValueError(f"Length of label_vocabulary must be n_classes ({n_classes}). "
                             f"Given: {len(label_vocabulary)}")
    if loss_fn:
        _validate_loss_fn_args(loss_fn)
    _head.check_loss_reduction(loss_reduction)
    classes = tuple(classes_for_class_based_metrics or ())
    if classes and isinstance(classes[0], str):
        if not label_vocabulary:
            raise ValueError("label_vocabulary must be provided when "
                             "classes_for_class_based_metrics are sting.")
        classes = tuple(list(label_vocabulary).index(c) for c in classes)
    else:
        for class_id in classes:
            if class_id < 0 or class_id >= n_classes:
                raise ValueError(f"All classes_for_class_based_metrics must be in range "
                                 f"[0, {n_classes - 1}]. Given: {class_id}")
    return _MultiLabelHead(n_classes, weight_column, thresholds, label_vocabulary,
                           loss_reduction, loss_fn, classes, name)


class _MultiLabelHead(_head._Head):
    def __init__(self, n_classes, weight_column, thresholds, label_vocabulary, loss_reduction,
                 loss_fn, classes_for_class_based_metrics, name):
        super().__init__(weight_column, loss_reduction, name)
        self._n_classes, self._thresholds = n_classes, thresholds
        self._vocabulary, self._loss_fn = label_vocabulary, loss_fn
        self._class_metrics = classes_for_class_based_metrics

    @property
    def logits_dimension(self):
        return self._n_classes

    def _labels_dimension(self):
        return self._n_classes

    def _predictions(self, logits):
        from ..ops.unary_ops import sigmoid

        keys = _head.PredictionKeys
        return {keys.LOGITS: logits,
                keys.PROBABILITIES: sigmoid(logits, name=keys.PROBABILITIES)}, None

    def _export_outputs(self, predictions):
        from ..estimator.export import ClassificationOutput, PredictOutput

        keys = _head.PredictionKeys
        scores = predictions[keys.PROBABILITIES]
        classifier = ClassificationOutput(scores=scores, classes=_head._all_classes(
            scores, self._n_classes, self._vocabulary))
        return {_head._DEFAULT_SERVING_KEY: classifier,
                _head._CLASSIFY_SERVING_KEY: classifier,
                _head._PREDICT_SERVING_KEY: PredictOutput(predictions)}

    def create_loss(self, features, mode, logits, labels):
        from ..losses import compute_weighted_loss, sigmoid_cross_entropy
        from ..ops.reduction_ops import reduce_mean

        logits = convert_to_tensor(logits)
        labels = _head._check_dense_labels(self._process_labels(labels), logits,
                                           self._n_classes)
        if self._loss_fn:
            unweighted = _call_loss_fn(self._loss_fn, labels, logits, features,
                                       expected_loss_dim=1)
        else:
            unweighted = sigmoid_cross_entropy(multi_class_labels=labels, logits=logits,
                                               reduction=Reduction.NONE)
            unweighted = reduce_mean(unweighted, axis=-1, keepdims=True)  # over the classes
        weights = _head._weights(features, self._weight_column, logits)
        training_loss = compute_weighted_loss(unweighted, weights=weights,
                                              reduction=self._loss_reduction)
        return _head.LossSpec(training_loss, unweighted, weights, labels)

    def _eval_metric_ops(self, labels, predictions, extra, weights, unreduced):
        from ..ops.math_ops import cast, greater_equal

        k, key = _head.MetricKeys, lambda n: _head._summary_key(self._name, n)
        probs = predictions[_head.PredictionKeys.PROBABILITIES]
        # TF broadcasts the [D0.., 1] example weights over the classes for these metrics.
        w = None if isinstance(weights, float) else weights * array_ops.ones_like(probs)
        metric = _head._metric
        ops = {key(k.LOSS_MEAN): self._loss_mean_metric(unreduced, weights),
               key(k.AUC): metric("auc")(labels, probs, weights=w, name=k.AUC),
               key(k.AUC_PR): metric("auc")(labels, probs, weights=w, curve="PR",
                                            name=k.AUC_PR)}
        for t in self._thresholds:
            name = k.ACCURACY_AT_THRESHOLD % t
            ops[key(name)] = metric("accuracy")(
                labels, cast(greater_equal(probs, t), labels.dtype), weights=w, name=name)
            for fn, fmt in (("precision_at_thresholds", k.PRECISION_AT_THRESHOLD),
                            ("recall_at_thresholds", k.RECALL_AT_THRESHOLD)):
                value, update = metric(fn)(labels, probs, thresholds=(t,), weights=w,
                                           name=fmt % t)
                ops[key(fmt % t)] = (transform_ops.squeeze(value), transform_ops.squeeze(update))
        for class_id in self._class_metrics:
            tag = self._vocabulary[class_id] if self._vocabulary else f"class{class_id}"
            p, y = probs[..., class_id:class_id + 1], labels[..., class_id:class_id + 1]
            cw = None if isinstance(weights, float) else weights * array_ops.ones_like(p)
            ops[key(f"probability_mean/{tag}")] = _head._mean(
                p, weights, f"probability_mean/{tag}")
            ops[key(f"auc/{tag}")] = metric("auc")(y, p, weights=cw, name=f"auc/{tag}")
            ops[key(f"auc_precision_recall/{tag}")] = metric("auc")(
                y, p, weights=cw, curve="PR", name=f"auc_precision_recall/{tag}")
        return ops

    def _process_labels(self, labels):
        from ..ops.math_ops import cast
        from ..sparse import to_indicator
        from ..sparse_tensor import SparseTensor

        if labels is None:
            raise ValueError("You must provide a labels Tensor. Given: None. Suggested "
                             "troubleshooting steps: Check that your data contain your label "
                             "feature. Check that your input_fn properly parses and returns "
                             "labels.")
        if isinstance(labels, SparseTensor):
            if labels.dtype == _dt.string:
                if not self._vocabulary:
                    raise ValueError("string labels need a label_vocabulary")
                ids = _head._label_ids_from_vocabulary(labels.values, self._vocabulary)
                labels = SparseTensor(labels.indices, ids, labels.dense_shape)
            elif not labels.dtype.is_integer:
                raise ValueError(f"labels must be an integer SparseTensor with values in "
                                 f"[0, {self._n_classes}); got dtype {labels.dtype}")
            else:
                values = _head._assert_range(labels.values, self._n_classes)
                labels = SparseTensor(labels.indices, values, labels.dense_shape)
            return cast(to_indicator(labels, self._n_classes), _dt.int64)
        labels = convert_to_tensor(labels)
        return _head._assert_range(labels, 2)
