"""contrib.metrics' exact AUCs over everything streamed (TF 1.15's metric_ops.py): the labels,
predictions and weights are concatenated across batches (``streaming_concat`` local variables
``concat_labels``, ``concat_preds``, ``concat_weights``) and the area computed from all of
them: ``streaming_dynamic_auc`` by trapezoids with every distinct prediction a threshold,
``auc_with_confidence_intervals`` from placement values (DeLong's AUC with Sun and Xu's
variance) with an asymptotic normal interval."""

from __future__ import annotations

import collections

import minitf as tf

from ..metrics import _squeezed
from .metrics import _collected

__all__ = ["auc_with_confidence_intervals", "streaming_dynamic_auc"]

_EPSILON = 1e-7


def _binary_labels_checks(labels):
    return [tf.assert_greater_equal(labels, tf.zeros_like(labels, tf.int64),
                                    message="labels must be 0 or 1, at least one is <0"),
            tf.assert_less_equal(labels, tf.ones_like(labels, tf.int64),
                                 message="labels must be 0 or 1, at least one is >1")]


def _dynamic_auc(labels, predictions, curve="ROC", weights=None):
    """The area under the curve through the points of every distinct prediction taken as
    the threshold (float64); 0 when all labels are the same."""
    size = tf.size(predictions)
    if weights is None:
        weights = tf.ones_like(labels, dtype=tf.float64)
    labels, predictions, weights = _squeezed(labels, predictions, weights)
    total_weight = tf.reduce_sum(weights)
    total_positive = tf.reduce_sum(tf.where(tf.greater(labels, 0), weights,
                                            tf.zeros_like(labels, dtype=tf.float64)))

    def area():
        ordered, indices = tf.nn.top_k(predictions, k=size)
        ordered_labels = tf.gather(labels, indices)
        ordered_weights = tf.gather(weights, indices)
        _, _, counts = tf.unique_with_counts(ordered)
        splits = tf.cast(tf.pad(tf.cumsum(counts), paddings=[[1, 0]]), tf.int32)

        def weight_left_of_splits(condition):
            picked = tf.where(condition, ordered_weights,
                              tf.zeros_like(ordered_labels, dtype=tf.float64))
            return tf.gather(tf.pad(tf.cumsum(picked), paddings=[[1, 0]]), splits)

        true_positives = weight_left_of_splits(tf.greater(ordered_labels, 0))
        if curve == "ROC":
            false_positives = weight_left_of_splits(tf.less(ordered_labels, 1))
            xs = tf.truediv(false_positives, total_weight - total_positive)
            ys = tf.truediv(true_positives, total_positive)
        else:
            xs = tf.truediv(true_positives, total_positive)
            positives = tf.gather(tf.pad(tf.cumsum(ordered_weights), paddings=[[1, 0]]),
                                  splits)
            # precision is 1 before any prediction counts as positive
            ys = tf.where(tf.greater(splits, 0), tf.truediv(true_positives, positives),
                          tf.ones_like(true_positives, dtype=tf.float64))
        heights = tf.add(ys[1:], ys[:-1]) / 2.0
        widths = tf.abs(tf.subtract(xs[1:], xs[:-1]))
        return tf.reduce_sum(tf.multiply(heights, widths))

    return tf.cond(tf.logical_or(tf.equal(total_positive, 0),
                                 tf.equal(total_positive, total_weight)),
                   true_fn=lambda: tf.constant(0, tf.float64), false_fn=area)


def streaming_dynamic_auc(labels, predictions, curve="ROC", metrics_collections=(),
                          updates_collections=(), name=None, weights=None):
    """(auc, update_op): the exact ROC or PR AUC of all the 0/1 ``labels`` and
    ``predictions`` (and ``weights``) streamed so far; every distinct prediction is a
    threshold. Memory grows with the data."""
    from .metrics import streaming_concat

    if curve not in ("PR", "ROC"):
        raise ValueError(f"curve must be either ROC or PR, {curve} unknown")
    with tf.variable_scope(name, default_name="dynamic_auc"):
        labels, predictions = tf.convert_to_tensor(labels), tf.convert_to_tensor(predictions)
        labels.shape.assert_is_compatible_with(predictions.shape)
        predictions = tf.reshape(tf.cast(predictions, tf.float64), [-1])
        labels = tf.reshape(tf.cast(labels, tf.int64), [-1])
        with tf.control_dependencies(_binary_labels_checks(labels)):
            preds_accum, update_preds = streaming_concat(predictions, name="concat_preds")
            labels_accum, update_labels = streaming_concat(labels, name="concat_labels")
            if weights is not None:
                weights = tf.reshape(tf.cast(weights, tf.float64), [-1])
                weights_accum, update_weights = streaming_concat(weights,
                                                                 name="concat_weights")
                update_op = tf.group(update_labels, update_preds, update_weights)
            else:
                weights_accum = None
                update_op = tf.group(update_labels, update_preds)
            auc = _dynamic_auc(labels_accum, preds_accum, curve=curve, weights=weights_accum)
    return _collected(auc, update_op, metrics_collections, updates_collections)


def _placement_auc(labels, predictions, weights, alpha, logit_transformation, is_valid):
    """AucData(auc, lower, upper) from placement values: for each example, the weighted
    fraction of the other class it outranks (ties count half)."""
    auc_data = collections.namedtuple("AucData", ["auc", "lower", "upper"])
    size = tf.size(predictions, out_type=tf.int32)
    total_0 = tf.reduce_sum(tf.cast(1 - labels, weights.dtype) * weights)
    total_1 = tf.reduce_sum(tf.cast(labels, weights.dtype) * weights)
    # ascending order
    ordered, indices = tf.nn.top_k(predictions, k=size, sorted=True)
    ordered = tf.reverse(ordered, axis=tf.zeros(1, tf.int32))
    indices = tf.reverse(indices, axis=tf.zeros(1, tf.int32))
    ordered_labels = tf.gather(labels, indices)
    ordered_weights = tf.gather(weights, indices)
    _, segments = tf.unique(ordered)  # equal predictions share a segment
    is_true = tf.cast(ordered_labels, tf.float32)
    is_false = 1.0 - is_true
    # each label's placement counts the weight of the other label below it
    totals_for_true = tf.segment_sum(ordered_weights * is_false, segments)
    totals_for_false = tf.segment_sum(ordered_weights * is_true, segments)
    below_for_true = tf.cumsum(totals_for_true, exclusive=True)
    below_for_false = tf.cumsum(totals_for_false, exclusive=True)
    place_true = (below_for_true + totals_for_true / 2.0) / (
        tf.reduce_sum(totals_for_true) + _EPSILON)
    place_false = (below_for_false + totals_for_false / 2.0) / (
        tf.reduce_sum(totals_for_false) + _EPSILON)
    placements = tf.gather(place_true, segments) * is_true + \
        tf.gather(place_false, segments) * is_false
    negative = tf.cast(1 - ordered_labels, weights.dtype)
    positive = tf.cast(ordered_labels, weights.dtype)
    placements_0, weights_0 = placements * negative, ordered_weights * negative
    placements_1, weights_1 = placements * positive, ordered_weights * positive
    auc_0 = tf.reduce_sum(weights_0 * (1. - placements_0)) / (total_0 + _EPSILON)
    auc_1 = tf.reduce_sum(weights_1 * placements_1) / (total_1 + _EPSILON)
    auc = tf.where(tf.less(total_0, total_1), auc_1, auc_0)
    var_0 = tf.reduce_sum(weights_0 * tf.square(1. - placements_0 - auc_0)) / (
        total_0 - 1. + _EPSILON)
    var_1 = tf.reduce_sum(weights_1 * tf.squared_difference(placements_1, auc_1)) / (
        total_1 - 1. + _EPSILON)
    std_err = tf.sqrt(var_0 / (total_0 + _EPSILON) + var_1 / (total_1 + _EPSILON))
    z = tf.distributions.Normal(loc=0., scale=1.).quantile((1.0 - alpha) / 2.0)
    if logit_transformation:
        estimate = tf.log(auc / (1. - auc + _EPSILON))
        std_err = std_err / (auc * (1. - auc + _EPSILON))

        def inverse_logit(x):
            return 1. / (1. + tf.exp(tf.negative(x)) + _EPSILON)

        lower_bound = inverse_logit(estimate + z * std_err)
        upper_bound = inverse_logit(estimate - z * std_err)
    else:
        lower_bound, upper_bound = auc + z * std_err, auc - z * std_err
    # an AUC of exactly 0 or 1 has no variance: its interval is itself
    degenerate = tf.logical_or(tf.equal(auc, tf.ones_like(auc)),
                               tf.equal(auc, tf.zeros_like(auc)))
    lower = tf.where(degenerate, auc, lower_bound)
    upper = tf.where(degenerate, auc, upper_bound)
    trivial = tf.constant(0.0)
    return auc_data(*tf.cond(is_valid, lambda: [auc, lower, upper], lambda: [trivial] * 3))


def auc_with_confidence_intervals(labels, predictions, weights=None, alpha=0.95,
                                  logit_transformation=True, metrics_collections=(),
                                  updates_collections=(), name=None):
    """(AucData(auc, lower, upper), update_op): the exact ROC AUC of everything streamed and
    its ``alpha`` asymptotic normal confidence interval (on the logit scale by default);
    zeros until both labels are seen. Batches of total weight below 1 are not added."""
    from .metrics import streaming_concat

    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; currently {alpha:.02f}")
    predictions = tf.convert_to_tensor(predictions)
    if weights is None:
        weights = tf.ones_like(predictions)
    with tf.variable_scope(name, default_name="auc_with_confidence_intervals",
                           values=[labels, predictions, weights]):
        predictions, labels, weights = _squeezed(predictions, labels, weights)
        total_weight = tf.reduce_sum(weights)
        weights = tf.reshape(weights, [-1])
        predictions = tf.reshape(tf.cast(predictions, tf.float64), [-1])
        labels = tf.reshape(tf.cast(labels, tf.int64), [-1])
        with tf.control_dependencies(_binary_labels_checks(labels)):
            preds_accum, update_preds = streaming_concat(predictions, name="concat_preds")
            labels_accum, update_labels = streaming_concat(labels, name="concat_labels")
            weights_accum, update_weights = streaming_concat(weights, name="concat_weights")
            update_valid = tf.group(update_labels, update_preds, update_weights)
            both_labels = tf.logical_and(tf.equal(tf.reduce_min(labels), 0),
                                         tf.equal(tf.reduce_max(labels), 1))
            enough_weight = tf.greater_equal(total_weight, 1.0)
            is_valid = tf.logical_and(both_labels, enough_weight)
            update_op = tf.cond(enough_weight, lambda: update_valid, tf.no_op)
            auc = _placement_auc(labels_accum, preds_accum, weights_accum, alpha=alpha,
                                 logit_transformation=logit_transformation,
                                 is_valid=is_valid)
    return _collected(auc, update_op, metrics_collections, updates_collections)
