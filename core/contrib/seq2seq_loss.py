"""TF 1.15's ``tf.contrib.seq2seq.sequence_loss`` and ``hardmax``, composed from core ops as
TF composes them (contrib/seq2seq/python/ops/loss.py, attention_wrapper.py)."""

from __future__ import annotations

import minitf as tf

__all__ = ["hardmax", "sequence_loss"]


def sequence_loss(logits, targets, weights, average_across_timesteps=True,
                  average_across_batch=True, sum_over_timesteps=False, sum_over_batch=False,
                  softmax_loss_function=None, name=None):
    """TF1's ``tf.contrib.seq2seq.sequence_loss``: weighted cross-entropy of ``logits``
    [batch, time, classes] against ``targets`` [batch, time]; averaged over the weights (the
    ``average_*`` flags) or summed and divided by the count of nonzero weights (``sum_*``)
    over the chosen axes, or left per position."""
    logits = tf.convert_to_tensor(logits)
    targets = tf.convert_to_tensor(targets)
    weights = tf.convert_to_tensor(weights)
    if logits.shape.rank != 3:
        raise ValueError("Logits must be a [batch_size x sequence_length x logits_num_classes] "
                         "tensor")
    if targets.shape.rank != 2:
        raise ValueError("Targets must be a [batch_size x sequence_length] tensor")
    if weights.shape.rank != 2:
        raise ValueError("Weights must be a [batch_size x sequence_length] tensor")
    if average_across_timesteps and sum_over_timesteps:
        raise ValueError("average_across_timesteps and sum_over_timesteps cannot be set to "
                         "True at same time.")
    if average_across_batch and sum_over_batch:
        raise ValueError("average_across_batch and sum_over_batch cannot be set to True at "
                         "same time.")
    with tf.name_scope(name, "sequence_loss", [logits, targets, weights]):
        num_classes = tf.shape(logits)[2]
        logits_flat = tf.reshape(logits, [-1, num_classes])
        targets = tf.reshape(targets, [-1])
        if softmax_loss_function is None:
            crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets,
                                                                      logits=logits_flat)
        else:
            crossent = softmax_loss_function(labels=targets, logits=logits_flat)
        crossent *= tf.reshape(weights, [-1])
        if average_across_timesteps and average_across_batch:
            crossent = tf.reduce_sum(crossent)
            crossent = tf.div_no_nan(crossent, tf.reduce_sum(weights))
        elif sum_over_timesteps and sum_over_batch:
            crossent = tf.reduce_sum(crossent)
            total_count = tf.cast(tf.count_nonzero(weights), crossent.dtype)
            crossent = tf.div_no_nan(crossent, total_count)
        else:
            crossent = tf.reshape(crossent, tf.shape(logits)[0:2])
            if average_across_timesteps or average_across_batch:
                reduce_axis = [0] if average_across_batch else [1]
                crossent = tf.reduce_sum(crossent, axis=reduce_axis)
                total_size = tf.reduce_sum(weights, axis=reduce_axis)
                crossent = tf.div_no_nan(crossent, total_size)
            elif sum_over_timesteps or sum_over_batch:
                reduce_axis = [0] if sum_over_batch else [1]
                crossent = tf.reduce_sum(crossent, axis=reduce_axis)
                total_count = tf.cast(tf.count_nonzero(weights, axis=reduce_axis),
                                      crossent.dtype)
                crossent = tf.div_no_nan(crossent, total_count)
        return crossent


def hardmax(logits, name=None):
    """TF1's ``tf.contrib.seq2seq.hardmax``: one-hot of the argmax over the last axis."""
    with tf.name_scope(name, "Hardmax", [logits]):
        logits = tf.convert_to_tensor(logits, name="logits")
        depth = logits.shape[-1].value if logits.shape.rank is not None else None
        if depth is None:
            depth = tf.shape(logits)[-1]
        return tf.one_hot(tf.argmax(logits, -1), depth, dtype=logits.dtype)
