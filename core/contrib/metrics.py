"""``tf.contrib.metrics`` (TF 1.15): the ``streaming_*`` names. Most are thin wrappers over
tf.metrics, as TF's were, taking contrib's argument order ``(predictions, labels)``; the
contrib-only ones (covariance, Pearson correlation, concat, false positive/negative rates,
f1_score) are built as TF's metric_ops.py builds them, with the same local variables."""

from __future__ import annotations

import minitf as tf

from .. import metrics as _m
from ..metrics import _collect, _squeezed
from ..metrics_extra import _confusion_matrix_at_thresholds, metric_variable

__all__ = [
    "aggregate_metric_map", "aggregate_metrics", "f1_score", "streaming_accuracy",
    "streaming_auc", "streaming_concat", "streaming_covariance", "streaming_false_negative_rate",
    "streaming_false_negatives", "streaming_false_negatives_at_thresholds",
    "streaming_false_positive_rate", "streaming_false_positives",
    "streaming_false_positives_at_thresholds", "streaming_mean", "streaming_mean_absolute_error",
    "streaming_mean_cosine_distance", "streaming_mean_iou", "streaming_mean_relative_error",
    "streaming_mean_squared_error", "streaming_mean_tensor", "streaming_pearson_correlation",
    "streaming_percentage_less", "streaming_precision", "streaming_precision_at_thresholds",
    "streaming_recall", "streaming_recall_at_k", "streaming_recall_at_thresholds",
    "streaming_root_mean_squared_error", "streaming_sensitivity_at_specificity",
    "streaming_sparse_average_precision_at_k", "streaming_sparse_precision_at_k",
    "streaming_sparse_recall_at_k", "streaming_specificity_at_sensitivity",
    "streaming_true_negatives", "streaming_true_negatives_at_thresholds",
    "streaming_true_positives", "streaming_true_positives_at_thresholds"]


def _collected(value, update, metrics_collections, updates_collections):
    return _collect(metrics_collections, value, updates_collections, update)


# -- thin wrappers over tf.metrics (contrib's order: predictions, labels) ----------------------
def _pair_wrapper(core, doc):
    def wrapper(predictions, labels, weights=None, metrics_collections=None,
                updates_collections=None, name=None):
        return core(labels=labels, predictions=predictions, weights=weights,
                    metrics_collections=metrics_collections,
                    updates_collections=updates_collections, name=name)

    wrapper.__doc__ = doc
    return wrapper


streaming_true_positives = _pair_wrapper(_m.true_positives, "TF's streaming_true_positives.")
streaming_true_negatives = _pair_wrapper(_m.true_negatives, "TF's streaming_true_negatives.")
streaming_false_positives = _pair_wrapper(_m.false_positives, "TF's streaming_false_positives.")
streaming_false_negatives = _pair_wrapper(_m.false_negatives, "TF's streaming_false_negatives.")
streaming_accuracy = _pair_wrapper(_m.accuracy, "TF's streaming_accuracy (tf.metrics.accuracy).")
streaming_precision = _pair_wrapper(_m.precision, "TF's streaming_precision.")
streaming_recall = _pair_wrapper(_m.recall, "TF's streaming_recall.")
streaming_mean_absolute_error = _pair_wrapper(_m.mean_absolute_error,
                                              "TF's streaming_mean_absolute_error.")
streaming_mean_squared_error = _pair_wrapper(_m.mean_squared_error,
                                             "TF's streaming_mean_squared_error.")
streaming_root_mean_squared_error = _pair_wrapper(_m.root_mean_squared_error,
                                                  "TF's streaming_root_mean_squared_error.")


def streaming_mean(values, weights=None, metrics_collections=None, updates_collections=None,
                   name=None):
    """TF's streaming_mean (tf.metrics.mean)."""
    return _m.mean(values, weights, metrics_collections, updates_collections, name)


def streaming_mean_tensor(values, weights=None, metrics_collections=None,
                          updates_collections=None, name=None):
    """TF's streaming_mean_tensor (tf.metrics.mean_tensor)."""
    return _m.mean_tensor(values, weights, metrics_collections, updates_collections, name)


def streaming_auc(predictions, labels, weights=None, num_thresholds=200,
                  metrics_collections=None, updates_collections=None, curve="ROC", name=None,
                  summation_method="trapezoidal"):
    """TF's streaming_auc (tf.metrics.auc)."""
    return _m.auc(labels=labels, predictions=predictions, weights=weights,
                  num_thresholds=num_thresholds, metrics_collections=metrics_collections,
                  updates_collections=updates_collections, curve=curve, name=name,
                  summation_method=summation_method)


def streaming_specificity_at_sensitivity(predictions, labels, sensitivity, weights=None,
                                         num_thresholds=200, metrics_collections=None,
                                         updates_collections=None, name=None):
    """TF's streaming_specificity_at_sensitivity."""
    return _m.specificity_at_sensitivity(
        labels=labels, predictions=predictions, sensitivity=sensitivity, weights=weights,
        num_thresholds=num_thresholds, metrics_collections=metrics_collections,
        updates_collections=updates_collections, name=name)


def streaming_sensitivity_at_specificity(predictions, labels, specificity, weights=None,
                                         num_thresholds=200, metrics_collections=None,
                                         updates_collections=None, name=None):
    """TF's streaming_sensitivity_at_specificity."""
    return _m.sensitivity_at_specificity(
        labels=labels, predictions=predictions, specificity=specificity, weights=weights,
        num_thresholds=num_thresholds, metrics_collections=metrics_collections,
        updates_collections=updates_collections, name=name)


def _thresholds_wrapper(core, doc):
    def wrapper(predictions, labels, thresholds, weights=None, metrics_collections=None,
                updates_collections=None, name=None):
        return core(labels=labels, predictions=predictions, thresholds=thresholds,
                    weights=weights, metrics_collections=metrics_collections,
                    updates_collections=updates_collections, name=name)

    wrapper.__doc__ = doc
    return wrapper


streaming_precision_at_thresholds = _thresholds_wrapper(
    _m.precision_at_thresholds, "TF's streaming_precision_at_thresholds.")
streaming_recall_at_thresholds = _thresholds_wrapper(
    _m.recall_at_thresholds, "TF's streaming_recall_at_thresholds.")


def _counts_wrapper(key, doc):
    # contrib's counts are the confusion matrix's own variables, made in the caller's scope
    # (``true_positives``, updated by ``AssignAdd``), not core tf.metrics' scoped ones
    def wrapper(predictions, labels, thresholds, weights=None):
        values, updates = _confusion_matrix_at_thresholds(labels, predictions, thresholds,
                                                          weights=weights, includes=(key,))
        return values[key], updates[key]

    wrapper.__doc__ = doc
    return wrapper


streaming_true_positives_at_thresholds = _counts_wrapper(
    "tp", "TF's streaming_true_positives_at_thresholds.")
streaming_true_negatives_at_thresholds = _counts_wrapper(
    "tn", "TF's streaming_true_negatives_at_thresholds.")
streaming_false_positives_at_thresholds = _counts_wrapper(
    "fp", "TF's streaming_false_positives_at_thresholds.")
streaming_false_negatives_at_thresholds = _counts_wrapper(
    "fn", "TF's streaming_false_negatives_at_thresholds.")


def streaming_mean_relative_error(predictions, labels, normalizer, weights=None,
                                  metrics_collections=None, updates_collections=None,
                                  name=None):
    """TF's streaming_mean_relative_error."""
    return _m.mean_relative_error(labels=labels, predictions=predictions,
                                  normalizer=normalizer, weights=weights,
                                  metrics_collections=metrics_collections,
                                  updates_collections=updates_collections, name=name)


def streaming_mean_cosine_distance(predictions, labels, dim, weights=None,
                                   metrics_collections=None, updates_collections=None,
                                   name=None):
    """TF's streaming_mean_cosine_distance."""
    return _m.mean_cosine_distance(labels=labels, predictions=predictions, dim=dim,
                                   weights=weights, metrics_collections=metrics_collections,
                                   updates_collections=updates_collections, name=name)


def streaming_percentage_less(values, threshold, weights=None, metrics_collections=None,
                              updates_collections=None, name=None):
    """TF's streaming_percentage_less (tf.metrics.percentage_below)."""
    return _m.percentage_below(values=values, threshold=threshold, weights=weights,
                               metrics_collections=metrics_collections,
                               updates_collections=updates_collections, name=name)


def streaming_mean_iou(predictions, labels, num_classes, weights=None,
                       metrics_collections=None, updates_collections=None, name=None):
    """TF's streaming_mean_iou (tf.metrics.mean_iou)."""
    return _m.mean_iou(labels=labels, predictions=predictions, num_classes=num_classes,
                       weights=weights, metrics_collections=metrics_collections,
                       updates_collections=updates_collections, name=name)


def streaming_recall_at_k(predictions, labels, k, weights=None, metrics_collections=None,
                          updates_collections=None, name=None):
    """TF's streaming_recall_at_k: the mean of in_top_k(predictions, labels, k)."""
    in_top_k = tf.cast(tf.nn.in_top_k(predictions, labels, k), tf.float32)
    return streaming_mean(in_top_k, weights, metrics_collections, updates_collections,
                          name or f"recall_at_{k}")


def streaming_sparse_precision_at_k(predictions, labels, k, class_id=None, weights=None,
                                    metrics_collections=None, updates_collections=None,
                                    name=None):
    """TF's streaming_sparse_precision_at_k (tf.metrics.precision_at_k)."""
    return _m.precision_at_k(labels=labels, predictions=predictions, k=k, class_id=class_id,
                             weights=weights, metrics_collections=metrics_collections,
                             updates_collections=updates_collections, name=name)


def streaming_sparse_recall_at_k(predictions, labels, k, class_id=None, weights=None,
                                 metrics_collections=None, updates_collections=None, name=None):
    """TF's streaming_sparse_recall_at_k (tf.metrics.recall_at_k)."""
    return _m.recall_at_k(labels=labels, predictions=predictions, k=k, class_id=class_id,
                          weights=weights, metrics_collections=metrics_collections,
                          updates_collections=updates_collections, name=name)


def streaming_sparse_average_precision_at_k(predictions, labels, k, weights=None,
                                            metrics_collections=None, updates_collections=None,
                                            name=None):
    """TF's streaming_sparse_average_precision_at_k."""
    return _m.average_precision_at_k(labels=labels, predictions=predictions, k=k,
                                     weights=weights, metrics_collections=metrics_collections,
                                     updates_collections=updates_collections, name=name)


# -- contrib's own metrics --------------------------------------------------------------------
def _rate(numerator_fn, other_fn, default_name, predictions, labels, weights,
          metrics_collections, updates_collections, name):
    with tf.variable_scope(name, default_name, (predictions, labels, weights)):
        predictions, labels, weights = _squeezed(tf.cast(predictions, tf.bool),
                                                 tf.cast(labels, tf.bool), weights)
        num, num_update = numerator_fn(labels=labels, predictions=predictions, weights=weights)
        other, other_update = other_fn(labels=labels, predictions=predictions, weights=weights)

        def compute(a, b, op_name):
            return tf.where(tf.greater(a + b, 0), tf.div(a, a + b), 0.0 * a, name=op_name)

        return _collected(compute(num, other, "value"),
                          compute(num_update, other_update, "update_op"),
                          metrics_collections, updates_collections)


def streaming_false_positive_rate(predictions, labels, weights=None, metrics_collections=None,
                                  updates_collections=None, name=None):
    """TF's streaming_false_positive_rate: fp / (fp + tn), 0 before any negative."""
    return _rate(_m.false_positives, _m.true_negatives, "false_positive_rate", predictions,
                 labels, weights, metrics_collections, updates_collections, name)


def streaming_false_negative_rate(predictions, labels, weights=None, metrics_collections=None,
                                  updates_collections=None, name=None):
    """TF's streaming_false_negative_rate: fn / (fn + tp), 0 before any positive."""
    return _rate(_m.false_negatives, _m.true_positives, "false_negative_rate", predictions,
                 labels, weights, metrics_collections, updates_collections, name)


def streaming_covariance(predictions, labels, weights=None, metrics_collections=None,
                         updates_collections=None, name=None):
    """TF's streaming_covariance: the (weighted) unbiased covariance of everything seen, by
    the pairwise-merge update of count, means and comoment (float32 local variables); NaN
    until more than one element (or weight) is in."""
    with tf.variable_scope(name, "covariance", (predictions, labels, weights)):
        predictions, labels, weights = _squeezed(predictions, labels, weights)
        predictions.get_shape().assert_is_compatible_with(labels.get_shape())
        count_ = metric_variable([], tf.float32, name="count")
        mean_prediction = metric_variable([], tf.float32, name="mean_prediction")
        mean_label = metric_variable([], tf.float32, name="mean_label")
        comoment = metric_variable([], tf.float32, name="comoment")
        if weights is None:
            batch_count = tf.cast(tf.size(labels), tf.float32)
            weighted_predictions, weighted_labels = predictions, labels
        else:
            weights = tf.cast(weights, tf.float32) * tf.ones_like(labels, tf.float32)
            batch_count = tf.reduce_sum(weights)
            weighted_predictions = tf.multiply(predictions, weights)
            weighted_labels = tf.multiply(labels, weights)
        update_count = tf.assign_add(count_, batch_count)
        prev_count = update_count - batch_count
        batch_mean_prediction = tf.div_no_nan(tf.reduce_sum(weighted_predictions), batch_count)
        delta_mean_prediction = tf.div_no_nan(
            (batch_mean_prediction - mean_prediction) * batch_count, update_count)
        update_mean_prediction = tf.assign_add(mean_prediction, delta_mean_prediction)
        prev_mean_prediction = update_mean_prediction - delta_mean_prediction
        batch_mean_label = tf.div_no_nan(tf.reduce_sum(weighted_labels), batch_count)
        delta_mean_label = tf.div_no_nan((batch_mean_label - mean_label) * batch_count,
                                         update_count)
        update_mean_label = tf.assign_add(mean_label, delta_mean_label)
        prev_mean_label = update_mean_label - delta_mean_label
        coresiduals = (predictions - batch_mean_prediction) * (labels - batch_mean_label)
        batch_comoment = tf.reduce_sum(coresiduals if weights is None else
                                       coresiduals * weights)
        delta_comoment = batch_comoment + (prev_mean_prediction - batch_mean_prediction) * (
            prev_mean_label - batch_mean_label) * (prev_count * batch_count / update_count)
        update_comoment = tf.assign_add(comoment, delta_comoment)
        nan = tf.constant(float("nan"), tf.float32)
        covariance = tf.where(tf.less_equal(count_, 1.0), nan,
                              tf.truediv(comoment, count_ - 1), name="covariance")
        with tf.control_dependencies([update_comoment]):
            update_op = tf.where(tf.less_equal(count_, 1.0), nan,
                                 tf.truediv(comoment, count_ - 1), name="update_op")
    return _collected(covariance, update_op, metrics_collections, updates_collections)


def streaming_pearson_correlation(predictions, labels, weights=None, metrics_collections=None,
                                  updates_collections=None, name=None):
    """TF's streaming_pearson_correlation: cov(p, l) / sqrt(var(p) var(l)), each a
    streaming_covariance (``covariance``, ``variance_predictions``, ``variance_labels``)."""
    with tf.variable_scope(name, "pearson_r", (predictions, labels, weights)):
        predictions, labels, weights = _squeezed(predictions, labels, weights)
        predictions.get_shape().assert_is_compatible_with(labels.get_shape())
        if weights is not None:
            weights = tf.cast(weights, tf.float32) * tf.ones_like(labels, tf.float32)
        cov, update_cov = streaming_covariance(predictions, labels, weights=weights,
                                               name="covariance")
        var_p, update_var_p = streaming_covariance(predictions, predictions, weights=weights,
                                                   name="variance_predictions")
        var_l, update_var_l = streaming_covariance(labels, labels, weights=weights,
                                                   name="variance_labels")
        pearson_r = tf.truediv(cov, tf.multiply(tf.sqrt(var_p), tf.sqrt(var_l)),
                               name="pearson_r")
        update_op = tf.truediv(update_cov, tf.multiply(tf.sqrt(update_var_p),
                                                       tf.sqrt(update_var_l)), name="update_op")
    return _collected(pearson_r, update_op, metrics_collections, updates_collections)


def streaming_concat(values, axis=0, max_size=None, metrics_collections=None,
                     updates_collections=None, name=None):
    """TF's streaming_concat: every batch of ``values`` seen, concatenated along ``axis``
    (the first ``max_size`` entries when given). Its local variables are ``array`` (the
    entries, ``axis`` first) and ``size``."""
    with tf.variable_scope(name, "streaming_concat", (values,)):
        values = tf.convert_to_tensor(values)
        ndim = values.shape.rank
        if ndim is None:
            raise ValueError("`values` must have known statically known rank")
        if axis < 0:
            axis += ndim
        if not 0 <= axis < ndim:
            raise ValueError(f"axis = {axis!r} not in [0, {ndim!r})")
        fixed_shape = [d.value for n, d in enumerate(values.shape) if n != axis]
        if any(v is None for v in fixed_shape):
            raise ValueError("all dimensions of `values` other than the dimension to "
                             "concatenate along must have statically known size")
        array = metric_variable([0] + fixed_shape, values.dtype, validate_shape=False,
                                name="array")
        size = metric_variable([], tf.int32, name="size")
        perm = [0 if n == axis else n + 1 if n < axis else n for n in range(ndim)]
        valid = array[:size]
        valid.set_shape([None] + fixed_shape)
        value = tf.transpose(valid, perm, name="concat")
        values_size = tf.shape(values)[axis]
        batch_size = values_size if max_size is None else tf.minimum(values_size,
                                                                     max_size - size)
        to_front = [axis] + [n for n in range(ndim) if n != axis]
        batch_values = tf.transpose(values, to_front)[:batch_size]
        # (TF doubles a preallocated array and assigns slices; the contents are the same.)
        appended = tf.assign(array, tf.concat([array[:size], batch_values], 0),
                             validate_shape=False)
        with tf.control_dependencies([appended]):
            update_op = tf.assign(size, size + batch_size)  # TF's update: the new size
    return _collected(value, update_op, metrics_collections, updates_collections)


def f1_score(labels, predictions, weights=None, num_thresholds=200, metrics_collections=None,
             updates_collections=None, name=None):
    """TF's contrib f1_score: the best F1 over ``num_thresholds`` thresholds in [0, 1]
    (labels first, as TF's)."""
    with tf.variable_scope(name, "f1", (labels, predictions, weights)):
        predictions, labels, weights = _squeezed(predictions, labels, weights)
        epsilon = 1e-7
        thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        thresholds = [0.0 - epsilon] + thresholds + [1.0 + epsilon]
        values, update_ops = _confusion_matrix_at_thresholds(
            labels, predictions, thresholds, weights, includes=("tp", "fp", "fn"))

        def best_f1(tp, fp, fn, op_name):
            precision = tf.div(tp, epsilon + tp + fp, name="precision_" + op_name)
            recall = tf.div(tp, epsilon + tp + fn, name="recall_" + op_name)
            f1 = 2.0 * precision * recall / (precision + recall + epsilon)
            return tf.reduce_max(f1)

        value = best_f1(values["tp"], values["fp"], values["fn"], "value")
        update = best_f1(update_ops["tp"], update_ops["fp"], update_ops["fn"], "update")
    return _collected(value, update, metrics_collections, updates_collections)


def aggregate_metrics(*value_update_tuples):
    """TF's aggregate_metrics: ([values], [update ops]) of (value, update) pairs."""
    if not value_update_tuples:
        raise ValueError("Expected at least one value_tensor/update_op pair")
    value_ops, update_ops = zip(*value_update_tuples)
    return list(value_ops), list(update_ops)


def aggregate_metric_map(names_to_tuples):
    """TF's aggregate_metric_map: ({name: value}, {name: update op})."""
    names = names_to_tuples.keys()
    value_ops, update_ops = zip(*names_to_tuples.values())
    return dict(zip(names, value_ops)), dict(zip(names, update_ops))


from .metrics_extra import *  # noqa: E402, F403 - accuracy, cohen_kappa, dynamic AUC, ...
from .metrics_extra import __all__ as _extra_all  # noqa: E402

__all__ += _extra_all
