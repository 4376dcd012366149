"""The rest of ``tf.contrib.metrics`` (TF 1.15): the non-streaming ``accuracy``, the
re-exported ``confusion_matrix`` and set ops, and contrib's own metrics: the histogram AUC,
curve points, the dynamic (exact) AUC and its confidence interval, precision/recall at equal
thresholds, rates at thresholds, precision at recall and recall at precision, the top-k
ratios, ``count`` and Cohen's kappa. Built as TF's metric_ops.py builds them, with the same
local variables and scopes."""

from __future__ import annotations

import collections

import minitf as tf

from ..losses import _broadcast_weights
from ..metrics import _squeezed
from ..metrics_at_k import _at_k_name
from ..metrics_at_k import _streaming_average_precision_at_top_k as _ap_at_top_k
from ..metrics_extra import _confusion_matrix_at_thresholds, _read, metric_variable
from ..sets import set_difference, set_intersection, set_size, set_union  # noqa: F401
from .metrics import _collected
from .framework_extra import remove_squeezable_dimensions

__all__ = [
    "accuracy", "auc_using_histogram", "auc_with_confidence_intervals", "cohen_kappa",
    "confusion_matrix", "count", "precision_at_recall", "precision_recall_at_equal_thresholds",
    "recall_at_precision", "set_difference", "set_intersection", "set_size", "set_union",
    "sparse_recall_at_top_k", "streaming_curve_points", "streaming_dynamic_auc",
    "streaming_false_negative_rate_at_thresholds", "streaming_false_positive_rate_at_thresholds",
    "streaming_sparse_average_precision_at_top_k", "streaming_sparse_precision_at_top_k"]

_EPSILON = 1e-7


def _thresholds(num_thresholds):
    """``num_thresholds`` evenly spaced in [0, 1], the ends moved just outside it."""
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - _EPSILON] + inner + [1.0 + _EPSILON]


def accuracy(predictions, labels, weights=None, name=None):
    """The (weighted) fraction of ``predictions`` equal to ``labels`` in this batch (not
    streaming); labels must be bool, integer or string, of the predictions' dtype."""
    predictions, labels = tf.convert_to_tensor(predictions), tf.convert_to_tensor(labels)
    if not (labels.dtype.is_integer or labels.dtype in (tf.bool, tf.string)):
        raise ValueError(f"Labels should have bool, integer, or string dtype, not "
                         f"{labels.dtype!r}")
    if not labels.dtype.is_compatible_with(predictions.dtype):
        raise ValueError(f"Dtypes of predictions and labels should match. Given: predictions "
                         f"({predictions.dtype!r}) and labels ({labels.dtype!r})")
    with tf.name_scope(name, "accuracy", values=[predictions, labels]):
        is_correct = tf.cast(tf.equal(predictions, labels), tf.float32)
        if weights is None:
            return tf.reduce_mean(is_correct)
        is_correct = tf.multiply(is_correct, weights)
        num_values = tf.multiply(weights, tf.ones_like(is_correct))
        return tf.div(tf.reduce_sum(is_correct), tf.reduce_sum(num_values))


def confusion_matrix(labels, predictions, num_classes=None, dtype=tf.int32, name=None,
                     weights=None):
    """``tf.confusion_matrix`` (contrib's deprecated copy)."""
    return tf.confusion_matrix(labels=labels, predictions=predictions, num_classes=num_classes,
                               dtype=dtype, name=name, weights=weights)


# -- AUC from histograms -------------------------------------------------------------------------
def auc_using_histogram(boolean_labels, scores, score_range, nbins=100, collections=None,
                        check_shape=True, name=None):
    """(auc, update_op): the ROC AUC from running int64 histograms (``hist_true_acc``,
    ``hist_false_acc``, in ``collections``: LOCAL_VARIABLES by default) of the scores of
    true and false labels over ``score_range``, integrated by trapezoids."""
    collections = [tf.GraphKeys.LOCAL_VARIABLES] if collections is None else collections
    with tf.variable_scope(name, "auc_using_histogram", [boolean_labels, scores, score_range]):
        scores, boolean_labels = remove_squeezable_dimensions(scores, boolean_labels)
        score_range = tf.convert_to_tensor(score_range, name="score_range")
        with tf.name_scope("_check_labels_and_scores", values=[boolean_labels, scores]):
            boolean_labels = tf.convert_to_tensor(boolean_labels, name="boolean_labels")
            scores = tf.convert_to_tensor(scores, name="scores")
            if boolean_labels.dtype != tf.bool:
                raise ValueError("Argument boolean_labels should have dtype bool.  Found: "
                                 f"{boolean_labels.dtype}")
            if check_shape:
                rank_checks = [
                    tf.Assert(tf.equal(1, tf.rank(boolean_labels)),
                              ["Argument boolean_labels should have rank 1.  Found: ",
                               boolean_labels.name, tf.shape(boolean_labels)]),
                    tf.Assert(tf.equal(1, tf.rank(scores)),
                              ["Argument scores should have rank 1.  Found: ", scores.name,
                               tf.shape(scores)])]
                with tf.control_dependencies(rank_checks):
                    boolean_labels, scores = tf.identity(boolean_labels), tf.identity(scores)
        with tf.variable_scope(None, "make_auc_histograms", [boolean_labels, scores, nbins]):
            hist_true = tf.histogram_fixed_width(
                tf.boolean_mask(scores, boolean_labels), score_range, nbins=nbins,
                dtype=tf.int64, name="hist_true")
            hist_false = tf.histogram_fixed_width(
                tf.boolean_mask(scores, tf.logical_not(boolean_labels)), score_range,
                nbins=nbins, dtype=tf.int64, name="hist_false")
        with tf.variable_scope(None, "hist_accumulate", [hist_true, hist_false]):
            accs = [tf.get_variable(n, shape=[nbins], dtype=tf.int64,
                                    initializer=tf.zeros_initializer(),
                                    collections=collections, trainable=False)
                    for n in ("hist_true_acc", "hist_false_acc")]
            update_op = tf.group(accs[0].assign_add(hist_true),
                                 accs[1].assign_add(hist_false), name="update_op")
        return _histograms_to_auc(*accs, nbins), update_op


def _histograms_to_auc(hist_true, hist_false, nbins):
    """Bouckaert's approximation: bins taken from high to low score, the ROC curve's steps
    integrated by trapezoids."""
    delta_y = tf.reverse(tf.truediv(hist_true, tf.reduce_sum(hist_true)), [0], name="delta_y_t")
    delta_x = tf.reverse(tf.truediv(hist_false, tf.reduce_sum(hist_false)), [0],
                         name="delta_x_t")
    delta_y, delta_x = tf.cast(delta_y, tf.float32), tf.cast(delta_x, tf.float32)
    with tf.name_scope("strict_1d_cumsum", values=[delta_y]):
        y = tf.cumsum(delta_y)
    first = delta_x[0] * y[0] / 2.0
    others = delta_x[1:] * (y[1:] + y[:nbins - 1]) / 2.0
    return tf.add(first, tf.reduce_sum(others), name="auc")


# -- curves and AUCs over thresholds -------------------------------------------------------------
def streaming_curve_points(labels=None, predictions=None, weights=None, num_thresholds=200,
                           metrics_collections=None, updates_collections=None, curve="ROC",
                           name=None):
    """(points, update_op): ``[num_thresholds, 2]`` points of the ROC (fpr, recall) or PR
    (recall, precision) curve at evenly spaced thresholds, from streaming counts."""
    with tf.variable_scope(name, "curve_points", (labels, predictions, weights)):
        if curve not in ("ROC", "PR"):
            raise ValueError(f"curve must be either ROC or PR, {curve} unknown")
        values, updates = _confusion_matrix_at_thresholds(
            labels, predictions, _thresholds(num_thresholds), weights)
        eps = 1.0e-6
        tp, fn, tn, fp = values["tp"], values["fn"], values["tn"], values["fp"]
        recall = tf.div(tp + eps, tp + fn + eps)
        if curve == "ROC":
            xs, ys = tf.div(fp, fp + tn + eps), recall
        else:
            xs, ys = recall, tf.div(tp + eps, tp + fp + eps)
        points = tf.stack([xs, ys], axis=1)
        update_op = tf.group(*updates.values())
    return _collected(points, update_op, metrics_collections, updates_collections)


def _rate_at_thresholds(kind, keys, default_name, predictions, labels, thresholds, weights,
                        metrics_collections, updates_collections, name):
    with tf.variable_scope(name, default_name, (predictions, labels, weights)):
        values, updates = _confusion_matrix_at_thresholds(labels, predictions, thresholds,
                                                          weights, includes=keys)

        def rate(num, other, op_name):
            return tf.div(num, _EPSILON + num + other, name=f"{kind}_{op_name}")

        value = rate(values[keys[0]], values[keys[1]], "value")
        update = rate(updates[keys[0]], updates[keys[1]], "update_op")
    return _collected(value, update, metrics_collections, updates_collections)


def streaming_false_positive_rate_at_thresholds(predictions, labels, thresholds, weights=None,
                                                metrics_collections=None,
                                                updates_collections=None, name=None):
    """fp / (fp + tn) at each threshold (``len(thresholds)`` values)."""
    return _rate_at_thresholds("fpr", ("fp", "tn"), "false_positive_rate_at_thresholds",
                               predictions, labels, thresholds, weights, metrics_collections,
                               updates_collections, name)


def streaming_false_negative_rate_at_thresholds(predictions, labels, thresholds, weights=None,
                                                metrics_collections=None,
                                                updates_collections=None, name=None):
    """fn / (fn + tp) at each threshold (``len(thresholds)`` values)."""
    return _rate_at_thresholds("fnr", ("fn", "tp"), "false_negative_rate_at_thresholds",
                               predictions, labels, thresholds, weights, metrics_collections,
                               updates_collections, name)


def _recall_at_precision(tp, fp, fn, precision, name, strict_mode):
    precisions = tf.div(tp, tp + fp + _EPSILON)
    if not strict_mode:
        index = tf.argmin(tf.abs(precisions - precision), 0, output_type=tf.int32)
        return tf.div(tp[index], tp[index] + fn[index] + _EPSILON, name)
    # the threshold of the smallest precision not below the target: 1 / (p - target) ranks
    # the positive differences first, the smaller ones higher
    index = tf.argmax(tf.div(1.0, precisions - precision + _EPSILON), 0, output_type=tf.int32)
    return tf.cond(precisions[index] >= precision,
                   lambda: tf.div(tp[index], tp[index] + fn[index] + _EPSILON, name),
                   lambda: 0.0)


def recall_at_precision(labels, predictions, precision, weights=None, num_thresholds=200,
                        metrics_collections=None, updates_collections=None, name=None,
                        strict_mode=False):
    """(recall, update_op): the recall at the threshold whose precision is closest to
    ``precision`` (``strict_mode``: the smallest precision not below it, else 0)."""
    if not 0 <= precision <= 1:
        raise ValueError("`precision` must be in the range [0, 1].")
    with tf.variable_scope(name, "recall_at_precision", (predictions, labels, weights)):
        thresholds = [i * 1.0 / (num_thresholds - 1) for i in range(1, num_thresholds - 1)]
        thresholds = [0.0 - _EPSILON] + thresholds + [1.0 + _EPSILON]
        values, updates = _confusion_matrix_at_thresholds(labels, predictions, thresholds,
                                                          weights)
        recall = _recall_at_precision(values["tp"], values["fp"], values["fn"], precision,
                                      "value", strict_mode)
        update = _recall_at_precision(updates["tp"], updates["fp"], updates["fn"], precision,
                                      "update_op", strict_mode)
    return _collected(recall, update, metrics_collections, updates_collections)


def precision_at_recall(labels, predictions, target_recall, weights=None, num_thresholds=200,
                        metrics_collections=None, updates_collections=None, name=None):
    """(precision, update_op): the precision at the largest threshold whose recall is still
    at least ``target_recall``."""
    if target_recall < 0 or target_recall > 1:
        raise ValueError("`target_recall` must be in the range [0, 1].")
    with tf.variable_scope(name, "precision_at_recall", (predictions, labels, weights)):
        values, updates = _confusion_matrix_at_thresholds(
            labels, predictions, _thresholds(num_thresholds), weights)

        def precision_at(tp, fp, fn, op_name):
            recalls = tf.div(tp, tp + fn + _EPSILON)
            # recall falls as the threshold rises: the last admissible threshold is the one
            index = tf.reduce_sum(tf.cast(tf.greater_equal(recalls, target_recall),
                                          tf.int64)) - 1
            return tf.div(tp[index] + _EPSILON, tp[index] + fp[index] + _EPSILON, op_name)

        value = precision_at(values["tp"], values["fp"], values["fn"], "value")
        update = precision_at(updates["tp"], updates["fp"], updates["fn"], "update_op")
    return _collected(value, update, metrics_collections, updates_collections)


def precision_recall_at_equal_thresholds(labels, predictions, weights=None,
                                         num_thresholds=None, use_locking=None, name=None):
    """(PrecisionRecallData(tp, fp, tn, fn, precision, recall, thresholds), update_op) at
    ``num_thresholds`` (201) thresholds evenly spaced in [0, 1], a prediction counting as
    positive at thresholds up to its own: O(T + N), from float64 per-bucket counts
    (``variables/tp_buckets``, ``variables/fp_buckets``) updated by scatter_add."""
    data = collections.namedtuple(
        "PrecisionRecallData", ["tp", "fp", "tn", "fn", "precision", "recall", "thresholds"])
    num_thresholds = 201 if num_thresholds is None else num_thresholds
    weights = 1.0 if weights is None else weights
    use_locking = True if use_locking is None else use_locking
    labels = tf.convert_to_tensor(labels)
    if labels.dtype.base_dtype != tf.bool:
        raise TypeError(f"labels must be of dtype bool, got {labels.dtype.name}")
    with tf.variable_scope(name, "precision_recall_at_equal_thresholds",
                           (labels, predictions, weights)):
        predictions = tf.convert_to_tensor(predictions)
        message = "predictions must be in [0, 1]"
        with tf.control_dependencies([
                tf.assert_greater_equal(predictions, tf.cast(0.0, predictions.dtype),
                                        message=message),
                tf.assert_less_equal(predictions, tf.cast(1.0, predictions.dtype),
                                     message=message)]):
            predictions, labels, weights = _squeezed(predictions, labels, weights)
        if not predictions.shape.is_compatible_with(labels.shape):
            raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible")
        f_labels = tf.cast(labels, tf.float64)
        weights = tf.cast(weights, tf.float64)
        true_labels = tf.reshape(f_labels * weights, [-1])
        false_labels = tf.reshape((1.0 - f_labels) * weights, [-1])
        flat_predictions = tf.reshape(predictions, [-1])
        buckets = tf.cast(tf.floor(flat_predictions * (num_thresholds - 1)), tf.int32)
        with tf.name_scope("variables"):
            tp_buckets = metric_variable([num_thresholds], tf.float64, name="tp_buckets")
            fp_buckets = metric_variable([num_thresholds], tf.float64, name="fp_buckets")
        with tf.name_scope("update_op"):
            update_tp = tf.scatter_add(tp_buckets, buckets, true_labels,
                                       use_locking=use_locking)
            update_fp = tf.scatter_add(fp_buckets, buckets, false_labels,
                                       use_locking=use_locking)
        tp = tf.cumsum(tp_buckets, reverse=True, name="tp")
        fp = tf.cumsum(fp_buckets, reverse=True, name="fp")
        tn, fn = fp[0] - fp, tp[0] - tp
        epsilon = tf.convert_to_tensor(1e-7, dtype=tf.float64)
        precision = tp / tf.maximum(epsilon, tp + fp)
        recall = tp / tf.maximum(epsilon, tp + fn)
        out = flat_predictions.dtype

        def cast(t):
            return tf.cast(t, out)

        result = data(tp=cast(tp), fp=cast(fp), tn=cast(tn), fn=cast(fn),
                      precision=cast(precision), recall=cast(recall),
                      thresholds=cast(tf.lin_space(0.0, 1.0, num_thresholds)))
        return result, tf.group(update_tp, update_fp)


# -- top k ----------------------------------------------------------------------------------------
def streaming_sparse_precision_at_top_k(top_k_predictions, labels, class_id=None, weights=None,
                                        metrics_collections=None, updates_collections=None,
                                        name=None):
    """tf.metrics.precision_at_top_k, in a ``precision_at_k[_class<id>]`` scope."""
    with tf.name_scope(name, _at_k_name("precision", class_id=class_id),
                       (top_k_predictions, labels, weights)) as scope:
        return tf.metrics.precision_at_top_k(
            labels=labels, predictions_idx=top_k_predictions, class_id=class_id,
            weights=weights, metrics_collections=metrics_collections,
            updates_collections=updates_collections, name=scope)


def sparse_recall_at_top_k(labels, top_k_predictions, class_id=None, weights=None,
                           metrics_collections=None, updates_collections=None, name=None):
    """tf.metrics.recall_at_top_k, in a ``recall_at_k[_class<id>]`` scope."""
    with tf.name_scope(name, _at_k_name("recall", class_id=class_id),
                       (top_k_predictions, labels, weights)) as scope:
        return tf.metrics.recall_at_top_k(
            labels=labels, predictions_idx=top_k_predictions, class_id=class_id,
            weights=weights, metrics_collections=metrics_collections,
            updates_collections=updates_collections, name=scope)


def streaming_sparse_average_precision_at_top_k(top_k_predictions, labels, weights=None,
                                                metrics_collections=None,
                                                updates_collections=None, name=None):
    """The mean average precision of the top-k predicted ids (``[..., k]``, k known)."""
    top_k_predictions = tf.convert_to_tensor(top_k_predictions)
    if top_k_predictions.shape.rank is None or top_k_predictions.shape[-1].value is None:
        raise ValueError("The last dimension of top_k_predictions must be set.")
    return _ap_at_top_k(labels, top_k_predictions, weights, metrics_collections,
                        updates_collections, name)


# -- counts and agreement ------------------------------------------------------------------------
def count(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """(count, update_op): the number of values seen (or the sum of their weights), a float32
    local ``count``."""
    with tf.variable_scope(name, "count", (values, weights)):
        counter = metric_variable([], tf.float32, name="count")
        if weights is None:
            values = tf.convert_to_tensor(values)
            num_values = tf.cast(tf.size(values), tf.float32)
        else:
            values = tf.cast(values, tf.float32)
            values, _, weights = _squeezed(values, None, weights)
            weights = _broadcast_weights(tf.cast(weights, tf.float32), values)
            num_values = tf.reduce_sum(weights)
        with tf.control_dependencies([values]):
            update = tf.assign_add(counter, num_values)
        value = _read(counter, metrics_collections)
    return _collected(value, update, None, updates_collections)


def cohen_kappa(labels, predictions_idx, num_classes, weights=None, metrics_collections=None,
                updates_collections=None, name=None):
    """(kappa, update_op): Cohen's kappa, (po - pe) / (N - pe), of the streamed confusion
    matrix (its diagonal ``po`` and row and column totals ``pe_row``, ``pe_col``)."""
    if num_classes < 2:
        raise ValueError(f"`num_classes` must be >= 2.Found: {num_classes}")
    with tf.variable_scope(name, "cohen_kappa", (labels, predictions_idx, weights)):
        labels = tf.convert_to_tensor(labels)
        labels.shape.with_rank_at_most(2)
        if labels.shape.rank == 2:
            labels = tf.squeeze(labels, axis=[-1])
        predictions_idx, labels, weights = _squeezed(predictions_idx, labels, weights)
        stat_dtype = tf.int64 if weights is None or weights.dtype.is_integer else tf.float32
        po = metric_variable((num_classes,), stat_dtype, name="po")
        pe_row = metric_variable((num_classes,), stat_dtype, name="pe_row")
        pe_col = metric_variable((num_classes,), stat_dtype, name="pe_col")
        table = tf.confusion_matrix(labels, predictions_idx, num_classes=num_classes,
                                    weights=weights, dtype=stat_dtype, name="counts_in_table")
        update_po = tf.assign_add(po, tf.diag_part(table))
        update_row = tf.assign_add(pe_row, tf.reduce_sum(table, axis=0))
        update_col = tf.assign_add(pe_col, tf.reduce_sum(table, axis=1))

        def kappa(po, pe_row, pe_col, op_name):
            total = tf.reduce_sum(pe_row)
            pe = tf.reduce_sum(tf.div_no_nan(tf.cast(pe_row * pe_col, tf.float64),
                                             tf.cast(total, tf.float64)))
            po = tf.cast(tf.reduce_sum(po), tf.float64)
            total = tf.cast(total, tf.float64)
            return tf.div_no_nan(po - pe, total - pe, name=op_name)

        value = kappa(po, pe_row, pe_col, "value")
        update = kappa(update_po, update_row, update_col, "update_op")
    return _collected(value, update, metrics_collections, updates_collections)


from .metrics_auc import (auc_with_confidence_intervals,  # noqa: E402, F401
                          streaming_dynamic_auc)
