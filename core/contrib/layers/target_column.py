"""``tf.contrib.layers``' target columns (TF 1.15's target_column.py, deprecated there since
2016 in favour of tf.contrib.learn's heads): ``regression_target``, ``multi_class_target``
and slim's ``binary_svm_target``, each a head giving a loss from logits and labels,
predictions and streaming eval metrics (contrib.metrics)."""

from __future__ import annotations

import minitf as tf

__all__ = ["binary_svm_target", "multi_class_target", "regression_target"]


def regression_target(label_name=None, weight_column_name=None, label_dimension=1):
    """A target column for linear regression: squared-error loss."""
    return _TargetColumn(_mean_squared_loss, label_dimension, label_name,
                         weight_column_name, _LINEAR_REGRESSION)


def multi_class_target(n_classes, label_name=None, weight_column_name=None):
    """A target column for single-label classification: sigmoid cross entropy for 2 classes
    (one logit), softmax cross entropy (integer labels) for more."""
    if n_classes < 2:
        raise ValueError("n_classes must be > 1 for classification.")
    loss_fn = _log_loss_with_two_classes if n_classes == 2 else _softmax_cross_entropy_loss
    return _TargetColumn(loss_fn, 1 if n_classes == 2 else n_classes, label_name,
                         weight_column_name, _CLASSIFICATION)


def binary_svm_target(label_name=None, weight_column_name=None):
    """A target column for binary classification with the hinge loss (labels 0/1)."""
    def loss_fn(logits, target):
        check = tf.Assert(tf.less_equal(tf.rank(target), 2),
                          ["target's shape should be either [batch_size, 1] or [batch_size]"])
        with tf.control_dependencies([check]):
            target = tf.reshape(target, shape=[tf.shape(target)[0], 1])
        from ..losses import hinge_loss

        return hinge_loss(logits, target)

    column = _TargetColumn(loss_fn, 1, label_name, weight_column_name, _CLASSIFICATION)
    column.svm = True
    return column


_CLASSIFICATION, _LINEAR_REGRESSION = 1, 2  # TF's ProblemType values


class _TargetColumn:
    """A single head: its loss (``training_loss``: weighted mean over the batch; ``loss``:
    weighted average), predictions from logits and streaming eval metrics."""

    svm = False

    def __init__(self, loss_fn, num_label_columns, label_name, weight_column_name,
                 problem_type):
        self._loss_fn, self._num_label_columns = loss_fn, num_label_columns
        self._label_name, self._weight_column_name = label_name, weight_column_name
        self._problem_type = problem_type

    label_name = property(lambda self: self._label_name)
    weight_column_name = property(lambda self: self._weight_column_name)
    num_label_columns = property(lambda self: self._num_label_columns)
    problem_type = property(lambda self: self._problem_type)

    def get_weight_tensor(self, features):
        if not self._weight_column_name:
            return None
        return tf.reshape(tf.cast(features[self._weight_column_name], tf.float32), (-1,))

    def _losses(self, logits, target, features):
        target = target[self.label_name] if isinstance(target, dict) else target
        logits, target = tf.convert_to_tensor(logits), tf.convert_to_tensor(target)
        losses, weights = self._loss_fn(logits, target), self.get_weight_tensor(features)
        if weights is not None:
            losses = tf.reshape(losses, (-1,)) * tf.reshape(weights, (-1,))
        return losses, weights

    def training_loss(self, logits, target, features, name="training_loss"):
        """``sum_i w_i l_i / batch_size``."""
        return tf.reduce_mean(self._losses(logits, target, features)[0], name=name)

    def loss(self, logits, target, features):
        """``sum_i w_i l_i / sum_i w_i``."""
        losses, weights = self._losses(logits, target, features)
        if weights is None:
            return tf.reduce_mean(losses, name="loss")
        return tf.div(tf.reduce_sum(losses), tf.reduce_sum(weights), name="loss")

    def logits_to_predictions(self, logits, proba=False):
        if self._problem_type == _LINEAR_REGRESSION:
            return tf.squeeze(logits, axis=[1]) if self.num_label_columns == 1 else logits
        if self.svm and proba:
            raise ValueError("logits to probabilities is not supported for "
                             "_BinarySvmTargetColumn")
        if self.num_label_columns == 1:
            logits = tf.concat([tf.zeros_like(logits), logits], 1)
        return tf.nn.softmax(logits) if proba else tf.argmax(logits, 1)

    def get_eval_ops(self, features, logits, labels, metrics=None):
        """{name: (value, update_op)}: the streaming mean loss, plus ``metrics`` ({name or
        (name, "classes" | "probabilities"): metric_fn(predictions, labels[, weights])};
        classification defaults to accuracy)."""
        from .. import metrics as contrib_metrics

        result = {"loss": contrib_metrics.streaming_mean(self.loss(logits, labels, features))}
        weights = self.get_weight_tensor(features)
        if self._problem_type == _CLASSIFICATION:
            if metrics is None:
                metrics = {("accuracy", "classes"): contrib_metrics.streaming_accuracy}
            if self.num_label_columns == 1:  # binary: TF's defaults on sigmoid(logits)
                args = (tf.sigmoid(logits), tf.cast(labels, tf.float32))
                for name, metric in _default_binary_metrics(contrib_metrics, 0.5).items():
                    result[name] = metric(*args)
        for name, metric in (metrics or {}).items():
            kind = "classes"
            if isinstance(name, tuple):
                if len(name) != 2 or name[1] not in ("classes", "probabilities"):
                    raise ValueError(f"Ignoring metric {name}. Its name should be a string or "
                                     "(name, 'classes' | 'probabilities').")
                name, kind = name
            elif not isinstance(name, str):
                raise ValueError(f"Ignoring metric {name}. Its name is not in the correct "
                                 "form.")
            predictions = self.logits_to_predictions(logits, proba=kind == "probabilities")
            args = (predictions, tf.cast(labels, predictions.dtype))
            result[name] = metric(*args) if weights is None else metric(*args, weights=weights)
        return result


def _as_column(target):
    return tf.expand_dims(target, axis=1) if target.shape.ndims == 1 else target


def _mean_squared_loss(logits, target):
    target = _as_column(target)
    logits.shape.assert_is_compatible_with(target.shape)
    return tf.squared_difference(logits, tf.cast(target, tf.float32))


def _log_loss_with_two_classes(logits, target):
    return tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.cast(_as_column(target), tf.float32), logits=logits)


def _softmax_cross_entropy_loss(logits, target):
    if not target.dtype.is_integer:
        raise ValueError(f"Target's dtype should be integer Instead got {target.dtype}.")
    if target.shape.ndims == 2:
        target = tf.squeeze(target, axis=[1])
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=logits)


def _default_binary_metrics(m, threshold):
    """TF's get_default_binary_metrics_for_eval (one threshold), unweighted as TF calls it."""
    def at_threshold(fn):
        def metric(predictions, labels):
            value, update = fn(predictions, labels=labels, thresholds=[threshold])
            return tf.squeeze(value), tf.squeeze(update)  # scalars, as TF's
        return metric

    def accuracy(predictions, labels):
        hard = tf.cast(tf.greater_equal(predictions, threshold), tf.float32)
        return m.streaming_accuracy(predictions=hard, labels=labels)

    def labels_mean(predictions, labels):
        return m.streaming_mean(labels)

    return {"labels/prediction_mean": lambda p, labels: m.streaming_mean(p),
            "labels/actual_target_mean": labels_mean,
            "accuracy/baseline_target_mean": labels_mean,
            "auc": lambda p, labels: m.streaming_auc(p, labels),
            f"accuracy/threshold_{threshold:f}_mean": accuracy,
            f"precision/positive_threshold_{threshold:f}_mean":
                at_threshold(m.streaming_precision_at_thresholds),
            f"recall/positive_threshold_{threshold:f}_mean":
                at_threshold(m.streaming_recall_at_thresholds)}
