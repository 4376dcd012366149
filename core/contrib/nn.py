"""``tf.contrib.nn`` (TF 1.15): variants of ``tf.nn`` ops, composed from minitf's as TF composed
them: alpha dropout (SELU's dropout), the argument-flipped cross-entropies, the sampled softmax
losses with rank-based resampling or sparse labels, and the scaled softplus with its own
gradient; ``conv1d_transpose`` and ``nth_element`` are TF's core ones, re-exported."""

from __future__ import annotations

import numbers

import minitf as tf

from ..graph import constant_value
from ..nn_conv3d import conv1d_transpose
from ..nn_losses import _sampled_logits
from ..ops.nth_element_ops import nth_element
from ..ops.shape_ops import broadcast_gradient_args

__all__ = ["alpha_dropout", "conv1d_transpose",
           "deprecated_flipped_sigmoid_cross_entropy_with_logits",
           "deprecated_flipped_softmax_cross_entropy_with_logits",
           "deprecated_flipped_sparse_softmax_cross_entropy_with_logits", "nth_element",
           "rank_sampled_softmax_loss", "sampled_sparse_softmax_loss", "scaled_softplus"]

# SELU's saturation value -lambda * alpha: what a dropped unit is set to.
_ALPHA_PRIME = -1.7580993408473766


def alpha_dropout(x, keep_prob, noise_shape=None, seed=None, name=None):
    """TF's alpha dropout (Klambauer et al. 2017): each unit is kept with probability
    ``keep_prob`` or set to SELU's negative saturation, then an affine map ``a * x + b``
    restores a zero-mean, unit-variance input's mean and variance. ``keep_prob`` 1 (known at
    graph construction) returns ``x`` itself."""
    with tf.name_scope(name, "alpha_dropout", [x]):
        x = tf.convert_to_tensor(x, name="x")
        if isinstance(keep_prob, numbers.Real) and not 0 < keep_prob <= 1.0:
            raise ValueError("keep_prob must be a scalar tensor or a float in the range (0, 1], "
                             f"got {keep_prob:g}")
        keep_prob = tf.convert_to_tensor(keep_prob, dtype=x.dtype, name="keep_prob")
        keep_prob.get_shape().assert_is_compatible_with(tf.TensorShape([]))
        if constant_value(keep_prob) == 1:
            return x
        noise_shape = noise_shape if noise_shape is not None else tf.shape(x)
        random_tensor = tf.random_uniform(noise_shape, seed=seed, dtype=x.dtype)
        kept = tf.cast(tf.greater_equal(random_tensor, 1 - keep_prob), x.dtype)
        x = x * kept + _ALPHA_PRIME * (1 - kept)
        a = (keep_prob + keep_prob * (1 - keep_prob) * _ALPHA_PRIME ** 2) ** -0.5
        b = -a * _ALPHA_PRIME * (1 - keep_prob)
        return a * x + b


def deprecated_flipped_softmax_cross_entropy_with_logits(logits, labels, dim=-1, name=None):
    """``tf.nn.softmax_cross_entropy_with_logits`` (TF1's: no gradient into ``labels``) with
    the arguments in the old order."""
    return tf.nn.softmax_cross_entropy_with_logits(logits=logits, labels=labels, dim=dim,
                                                   name=name)


def deprecated_flipped_sparse_softmax_cross_entropy_with_logits(logits, labels, name=None):
    """``tf.nn.sparse_softmax_cross_entropy_with_logits`` with the arguments in the old
    order."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(logits=logits, labels=labels,
                                                          name=name)


def deprecated_flipped_sigmoid_cross_entropy_with_logits(logits, targets, name=None):
    """``tf.nn.sigmoid_cross_entropy_with_logits`` with the old argument order and name
    (``targets`` for ``labels``)."""
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits, name=name)


# -- sampled losses ------------------------------------------------------------------------------


def _rank_resample(weights, biases, inputs, sampled_values, num_resampled,
                   resampling_temperature, partition_strategy):
    """TF's helper: of the sampled classes, the ``num_resampled`` whose
    ``logsumexp_j((w_i . x_j + b_i) / T)`` over the batch's inputs is largest, with their
    expected counts."""
    sampled, true_expected_count, sampled_expected_count = sampled_values
    sampled = tf.cast(tf.stop_gradient(sampled), tf.int64)
    true_expected_count = tf.stop_gradient(true_expected_count)
    sampled_expected_count = tf.stop_gradient(sampled_expected_count)
    reweighted_inputs = inputs / resampling_temperature
    embeddings = tf.nn.embedding_lookup(weights, sampled, partition_strategy)
    sampled_logits = tf.reduce_logsumexp(
        tf.matmul(embeddings, reweighted_inputs, transpose_b=True), axis=1, keepdims=False)
    sampled_b = tf.reshape(tf.nn.embedding_lookup(biases, sampled, partition_strategy), [-1])
    sampled_logits += sampled_b / resampling_temperature
    _, resampled_indices = tf.nn.top_k(sampled_logits, k=num_resampled, sorted=False)
    resampled = tf.gather(sampled, indices=resampled_indices)
    resampled_expected_count = tf.gather(sampled_expected_count, indices=resampled_indices)
    return resampled, true_expected_count, resampled_expected_count


def rank_sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_resampled,
                              num_classes, num_true, sampled_values, resampling_temperature,
                              remove_accidental_hits, partition_strategy, name=None):
    """TF's TAPAS loss (arXiv:1707.03073): ``num_sampled`` classes drawn (by
    ``tf.nn.learned_unigram_candidate_sampler`` unless ``sampled_values`` is given), the
    ``num_resampled`` of them the inputs score highest at ``resampling_temperature`` kept,
    and ``tf.nn.sampled_softmax_loss`` over those. One loss per example."""
    if num_sampled > num_classes:
        raise ValueError(f"num_sampled ({num_sampled}) cannot be greater than num_classes "
                         f"({num_classes})")
    if num_sampled <= num_resampled:
        raise ValueError(f"num_resampled ({num_resampled}) must be less than num_sampled "
                         f"({num_sampled})")
    if partition_strategy not in ("div", "mod"):
        raise ValueError(f"unsupported partition_strategy ({partition_strategy})")
    with tf.name_scope(name, "rank_sampled_softmax_loss", [
            weights, biases, labels, inputs, sampled_values, resampling_temperature]) as name:
        if not sampled_values:
            sampled_values = tf.nn.learned_unigram_candidate_sampler(
                true_classes=labels, num_true=num_true, num_sampled=num_sampled, unique=True,
                range_max=num_classes)
        resampled_values = _rank_resample(weights, biases, inputs, sampled_values,
                                          num_resampled, resampling_temperature,
                                          partition_strategy)
        return tf.nn.sampled_softmax_loss(
            weights=weights, biases=biases, labels=labels, inputs=inputs,
            num_sampled=num_resampled, num_classes=num_classes, num_true=num_true,
            sampled_values=resampled_values, remove_accidental_hits=remove_accidental_hits,
            partition_strategy=partition_strategy, name=name)


def sampled_sparse_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes,
                                sampled_values=None, remove_accidental_hits=True,
                                partition_strategy="mod", name="sampled_sparse_softmax_loss"):
    """TF's sampled softmax loss for one true class per example (``labels`` [batch, 1]): the
    sparse cross-entropy of the true class (column 0 of the sampled logits) against
    ``num_sampled`` sampled classes (log-uniform unless ``sampled_values`` is given)."""
    with tf.name_scope(name, "sampled_sparse_softmax_loss",
                       [weights, biases, labels, inputs]):
        logits, _ = _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes,
                                    1, sampled_values, True, remove_accidental_hits,
                                    partition_strategy)
        # The true logit is column 0. TF squeezes every axis (a batch of 1 became a scalar
        # and failed); only the class axis is squeezed here.
        zeros = tf.zeros([tf.shape(logits)[0], 1], dtype=tf.int64)
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.squeeze(zeros, [1]),
                                                              logits=logits)


# -- scaled softplus -----------------------------------------------------------------------------


def _reduce_and_reshape_grad(g, t):
    """``g`` summed over the axes ``t`` was broadcast along, in ``t``'s shape."""
    shape = tf.shape(t)
    bcast_dims, _ = broadcast_gradient_args(shape, tf.shape(g))
    return tf.reshape(tf.reduce_sum(g, bcast_dims), shape)


def scaled_softplus(x, alpha, clip=None, name=None):
    """TF's ``alpha * log(1 + exp(x / alpha))``, or its minimum with ``clip``: a ReLU (ReLU6
    with ``clip=6``) smoothed by ``alpha`` > 0. Its gradient is TF's, written from the output
    y (``dy/dx = 1 - exp(-y / alpha)``), flowing to x, alpha and clip, not through the
    forward ops."""
    clipping = clip is not None
    with tf.name_scope(name, "scaled_softplus", [x, alpha] + ([clip] if clipping else [])):
        x = tf.convert_to_tensor(x, name="x")
        dtype = x.dtype
        alpha = tf.convert_to_tensor(alpha, dtype=dtype, name="alpha")
        args = [x, alpha]
        if clipping:
            args.append(tf.convert_to_tensor(clip, dtype=dtype, name="clip"))

        @tf.custom_gradient
        def forward(*inputs):
            x, alpha = inputs[:2]
            y = alpha * tf.nn.softplus(x / alpha)
            if clipping:
                y = tf.minimum(y, inputs[2])

            def grad(g):
                y_ = y
                with tf.control_dependencies([g]):  # TF: the work waits for g
                    y_ = tf.identity(y_)
                clip_grad = []
                if clipping:
                    unclipped = tf.cast(y_ < inputs[2], g.dtype)
                    clip_grad = [_reduce_and_reshape_grad(g * (1.0 - unclipped), inputs[2])]
                    g = g * unclipped
                y_ = y_ / alpha
                emy = tf.exp(-y_)
                dy_dx = 1.0 - emy
                # t * log(t) -> 0 as t -> 0; the eps keeps the log finite there.
                dy_dalpha = y_ * emy - dy_dx * tf.log(dy_dx + 1e-8)
                return [_reduce_and_reshape_grad(g * dy_dx, x),
                        _reduce_and_reshape_grad(g * dy_dalpha, alpha)] + clip_grad

            return y, grad

        return forward(*args)
