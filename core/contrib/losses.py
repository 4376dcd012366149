"""``tf.contrib.losses`` (TF 1.15, deprecated there in favour of tf.losses): contrib's
argument order (logits / predictions first, then labels) and its own weighting: losses are
cast to float32, summed over the dimensions past the weights' rank, scaled by the weights and
divided by the number of present (non-zero-weight) elements; the result joins the LOSSES
collection. Built as TF's loss_ops.py builds it, on minitf's ops. ``metric_learning`` is
losses_metric_learning.py."""

from __future__ import annotations

import minitf as tf

from ..graph import GraphKeys
from . import losses_metric_learning as metric_learning
from .arg_scope import add_arg_scope

__all__ = ["absolute_difference", "add_loss", "compute_weighted_loss", "cosine_distance",
           "get_losses", "get_regularization_losses", "get_total_loss", "hinge_loss",
           "log_loss", "mean_pairwise_squared_error", "mean_squared_error", "metric_learning",
           "sigmoid_cross_entropy", "softmax_cross_entropy", "sparse_softmax_cross_entropy"]


def _scale_losses(losses, weights):
    """sum(weights * losses summed over the dimensions past the weights' rank)."""
    start = max(0, weights.shape.rank)
    reduced = tf.reduce_sum(losses, axis=list(range(start, losses.shape.rank)))
    return tf.reduce_sum(tf.multiply(reduced, weights))


def _safe_mean(losses, num_present):
    return tf.div_no_nan(tf.reduce_sum(losses), num_present, name="value")


def _num_present(losses, weights, per_batch=False):
    """The number of elements with a non-zero weight (per batch entry if ``per_batch``)."""
    if weights.shape.rank == 0:
        batch_size = tf.reshape(tf.slice(tf.shape(losses), [0], [1]), [])
        num_per_batch = tf.div(tf.cast(tf.size(losses), tf.float32),
                               tf.cast(batch_size, tf.float32))
        num_per_batch = tf.where(tf.equal(weights, 0), 0.0, num_per_batch)
        num_per_batch = tf.multiply(tf.ones(tf.reshape(batch_size, [1])), num_per_batch)
        return num_per_batch if per_batch else tf.reduce_sum(num_per_batch)
    axis = list(range(1, weights.shape.rank))
    num_nonzero_per_batch = tf.reduce_sum(tf.cast(tf.not_equal(weights, 0), tf.float32),
                                          axis=axis)
    broadcast_dims = tf.slice(tf.shape(losses), [weights.shape.rank], [-1])
    num_to_broadcast = tf.cast(tf.reduce_prod(broadcast_dims), tf.float32)
    num_per_batch = tf.multiply(num_nonzero_per_batch, num_to_broadcast)
    return num_per_batch if per_batch else tf.reduce_sum(num_per_batch)


def _float_weights(weights, losses):
    weights = tf.cast(tf.convert_to_tensor(weights), tf.float32)
    if losses.shape.rank is None:
        raise ValueError("losses.get_shape().ndims cannot be None")
    if weights.shape.rank is None:
        raise ValueError("weights.get_shape().ndims cannot be None")
    return weights


def compute_weighted_loss(losses, weights=1.0, scope=None):
    """TF's contrib compute_weighted_loss: the weighted mean over present elements, added to
    the LOSSES collection, in the losses' dtype."""
    with tf.name_scope(scope, "weighted_loss", [losses, weights]):
        losses = tf.convert_to_tensor(losses)
        input_dtype = losses.dtype
        losses = tf.cast(losses, tf.float32)
        weights = _float_weights(weights, losses)
        if weights.shape.rank > 1 and weights.shape[-1].is_compatible_with(1):
            weights = tf.squeeze(weights, [-1])
        total_loss = _scale_losses(losses, weights)
        num_present = _num_present(losses, weights)
        mean_loss = tf.cast(_safe_mean(total_loss, num_present), input_dtype)
        add_loss(mean_loss)
        return mean_loss


@add_arg_scope
def add_loss(loss, loss_collection=GraphKeys.LOSSES):
    """TF's contrib add_loss: ``loss`` into ``loss_collection`` (none if it is falsy)."""
    if loss_collection:
        tf.add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES):
    """TF's contrib get_losses: the ``loss_collection`` entries under ``scope``."""
    return tf.get_collection(loss_collection, scope)


def get_regularization_losses(scope=None):
    """TF's contrib get_regularization_losses."""
    return tf.get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_total_loss(add_regularization_losses=True, name="total_loss"):
    """TF's contrib get_total_loss: add_n of the losses (and regularization losses)."""
    losses = get_losses()
    if add_regularization_losses:
        losses += get_regularization_losses()
    return tf.add_n(losses, name=name)


def _pair(predictions, labels, what="predictions"):
    if labels is None:
        raise ValueError(f"labels must be given with {what}")
    predictions, labels = tf.convert_to_tensor(predictions), tf.convert_to_tensor(labels)
    predictions.get_shape().assert_is_compatible_with(labels.get_shape())
    return predictions, labels


def absolute_difference(predictions, labels=None, weights=1.0, scope=None):
    """TF's contrib absolute_difference: weighted mean of |predictions - labels|."""
    with tf.name_scope(scope, "absolute_difference", [predictions, labels, weights]) as scope:
        predictions, labels = _pair(predictions, labels)
        losses = tf.abs(tf.subtract(tf.cast(predictions, tf.float32),
                                    tf.cast(labels, tf.float32)))
        return compute_weighted_loss(losses, weights, scope=scope)


def mean_squared_error(predictions, labels=None, weights=1.0, scope=None):
    """TF's contrib mean_squared_error: weighted mean of (predictions - labels)**2."""
    with tf.name_scope(scope, "mean_squared_error", [predictions, labels, weights]) as scope:
        predictions, labels = _pair(predictions, labels)
        losses = tf.square(tf.subtract(tf.cast(predictions, tf.float32),
                                       tf.cast(labels, tf.float32)))
        return compute_weighted_loss(losses, weights, scope=scope)


def log_loss(predictions, labels=None, weights=1.0, epsilon=1e-7, scope=None):
    """TF's contrib log_loss: weighted mean of the binary cross-entropy of probabilities."""
    with tf.name_scope(scope, "log_loss", [predictions, labels, weights]) as scope:
        predictions, labels = _pair(predictions, labels)
        predictions = tf.cast(predictions, tf.float32)
        labels = tf.cast(labels, tf.float32)
        losses = -tf.multiply(labels, tf.log(predictions + epsilon)) - tf.multiply(
            (1 - labels), tf.log(1 - predictions + epsilon))
        return compute_weighted_loss(losses, weights, scope=scope)


def hinge_loss(logits, labels=None, scope=None):
    """TF's contrib hinge_loss: the unreduced relu(1 - (2*labels - 1) * logits) (not added
    to any collection)."""
    with tf.name_scope(scope, "hinge_loss", [logits, labels]):
        logits, labels = _pair(logits, labels, "logits")
        labels = tf.cast(labels, tf.float32)
        all_ones = tf.ones_like(labels)
        labels = tf.subtract(2 * labels, all_ones)
        return tf.nn.relu(tf.subtract(all_ones, tf.multiply(labels, logits)))


def cosine_distance(predictions, labels=None, axis=None, weights=1.0, scope=None, dim=None):
    """TF's contrib cosine_distance: weighted mean of 1 - sum(predictions * labels, axis)
    (inputs assumed unit-normalized)."""
    if dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'dim'")
        axis = dim
    if axis is None:
        raise ValueError("You must specify 'axis'.")
    with tf.name_scope(scope, "cosine_distance_loss", [predictions, labels, weights]) as scope:
        predictions, labels = _pair(predictions, labels)
        radial_diffs = tf.multiply(tf.cast(predictions, tf.float32), tf.cast(labels, tf.float32))
        losses = 1 - tf.reduce_sum(radial_diffs, axis=[axis])
        return compute_weighted_loss(losses, weights, scope=scope)


def mean_pairwise_squared_error(predictions, labels=None, weights=1.0, scope=None):
    """TF's contrib mean_pairwise_squared_error: per batch entry, the mean over pairs of
    elements of ((p_i - p_j) - (l_i - l_j))**2, weighted per entry."""
    with tf.name_scope(scope, "mean_pairwise_squared_error",
                       [predictions, labels, weights]):
        predictions, labels = _pair(predictions, labels)
        diffs = tf.subtract(tf.cast(predictions, tf.float32), tf.cast(labels, tf.float32))
        weights = _float_weights(weights, diffs)
        axis = list(range(1, diffs.shape.rank))
        sum_squares_diff_per_batch = tf.reduce_sum(tf.square(diffs), axis=axis)
        num_present_per_batch = _num_present(diffs, weights, per_batch=True)
        term1 = 2.0 * tf.div_no_nan(sum_squares_diff_per_batch, num_present_per_batch,
                                    name="value")
        sum_diff = tf.reduce_sum(diffs, axis=axis)
        term2 = 2.0 * tf.div_no_nan(tf.square(sum_diff), tf.square(num_present_per_batch),
                                    name="value")
        loss = _scale_losses(term1 - term2, weights)
        mean_loss = tf.where(tf.reduce_sum(num_present_per_batch) > 0, loss,
                             tf.zeros_like(loss), name="value")
        add_loss(mean_loss)
        return mean_loss


def sigmoid_cross_entropy(logits, multi_class_labels, weights=1.0, label_smoothing=0,
                          scope=None):
    """TF's contrib sigmoid_cross_entropy: weighted mean of the element-wise sigmoid
    cross-entropy, labels smoothed towards 1/2 by ``label_smoothing``."""
    with tf.name_scope(scope, "sigmoid_cross_entropy_loss",
                       [logits, multi_class_labels]) as scope:
        logits, multi_class_labels = _pair(logits, multi_class_labels, "logits")
        multi_class_labels = tf.cast(multi_class_labels, logits.dtype)
        if label_smoothing > 0:
            multi_class_labels = (multi_class_labels * (1 - label_smoothing) +
                                  0.5 * label_smoothing)
        losses = tf.nn.sigmoid_cross_entropy_with_logits(labels=multi_class_labels,
                                                         logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope=scope)


def softmax_cross_entropy(logits, onehot_labels, weights=1.0, label_smoothing=0, scope=None):
    """TF's contrib softmax_cross_entropy: weighted mean over the batch of the softmax
    cross-entropy, one-hot labels smoothed by ``label_smoothing``."""
    with tf.name_scope(scope, "softmax_cross_entropy_loss", [logits, onehot_labels]) as scope:
        logits, onehot_labels = _pair(logits, onehot_labels, "logits")
        onehot_labels = tf.cast(onehot_labels, logits.dtype)
        if label_smoothing > 0:
            num_classes = tf.cast(tf.shape(onehot_labels)[1], logits.dtype)
            smooth_positives = 1.0 - label_smoothing
            smooth_negatives = label_smoothing / num_classes
            onehot_labels = onehot_labels * smooth_positives + smooth_negatives
        losses = tf.nn.softmax_cross_entropy_with_logits(labels=onehot_labels, logits=logits,
                                                         name="xentropy")
        return compute_weighted_loss(losses, weights, scope=scope)


def sparse_softmax_cross_entropy(logits, labels, weights=1.0, scope=None):
    """TF's contrib sparse_softmax_cross_entropy: as softmax_cross_entropy with class-id
    labels ([batch] or [batch, 1])."""
    with tf.name_scope(scope, "sparse_softmax_cross_entropy_loss", [logits, labels]) as scope:
        labels = tf.convert_to_tensor(labels)
        labels = tf.reshape(labels, shape=[tf.shape(labels)[0]])
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits,
                                                                name="xentropy")
        return compute_weighted_loss(losses, weights, scope=scope)
