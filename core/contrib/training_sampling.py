"""``tf.contrib.training``'s resampling: batches by rejection sampling (``rejection_sample``,
``stratified_sample``, over ``tf.train.batch``/``maybe_batch`` queues, as TF 1.15 builds them)
and per-example resampling with replacement (``resample_at_rate``: a Poisson number of copies
of each row; ``weighted_resample``: rates proportional to weights, through a moving average of
the mean weight).

``stratified_sample`` accepts an example of class i with probability
``a_i = (t_i / p_i) / max_j (t_j / p_j)`` (t the target, p the data's class probabilities), so
the accepted examples have class i with probability ``p_i a_i / sum_j p_j a_j = t_i``.
"""

from __future__ import annotations

import minitf as tf

from ..distributions_util import with_dependencies as _with_dependencies
from ..tensor_shape import Dimension
from ..train.moving_averages import _assign_moving_average

__all__ = ["rejection_sample", "resample_at_rate", "stratified_sample", "weighted_resample"]


def _as_tensor_list(tensors, what):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{what}: `tensors` must be a list of tensors, got "
                        f"{type(tensors).__name__}")
    return [tf.convert_to_tensor(t) for t in tensors]


def _batch_dim(tensor):
    """The first dimension of ``tensor`` (ValueError if it is a scalar)."""
    shape = tensor.shape.with_rank_at_least(1)
    return Dimension(None) if shape.rank is None else shape.dims[0]


def rejection_sample(tensors, accept_prob_fn, batch_size, queue_threads=1, enqueue_many=False,
                     prebatch_capacity=16, prebatch_threads=1, runtime_checks=False,
                     name=None):
    """Batches of ``batch_size`` examples, each example of ``tensors`` kept with probability
    ``accept_prob_fn(example tensors)`` (a scalar in [0, 1]; ``runtime_checks`` asserts the
    range). With ``enqueue_many`` the tensors are batches, split into examples through a
    queue first. Returns a list like ``tensors``, batched."""
    with tf.variable_scope(name, "rejection_sample", tensors if isinstance(
            tensors, (list, tuple)) else [tensors]):
        tensor_list = _as_tensor_list(tensors, "rejection_sample")
        if enqueue_many:
            _verify_data_inputs(tensor_list)
            batched = tf.train.batch(tensor_list, batch_size=1, num_threads=prebatch_threads,
                                     capacity=prebatch_capacity, enqueue_many=True)
            batched = batched if isinstance(batched, list) else [batched]
            tensor_list = [tf.squeeze(x, [0]) for x in batched]
        cur_prob = accept_prob_fn(tensor_list)
        if runtime_checks:
            cur_prob = tf.identity(_with_dependencies(
                [tf.assert_less_equal(0.0, cur_prob), tf.assert_less_equal(cur_prob, 1.0)],
                cur_prob), name="prob_with_checks")
        minibatch = tf.train.maybe_batch(tensor_list,
                                         keep_input=tf.random_uniform([]) < cur_prob,
                                         batch_size=batch_size, num_threads=queue_threads)
        # a one-tensor batch comes back as a tensor: always give a list
        return minibatch if isinstance(minibatch, list) else [minibatch]


def stratified_sample(tensors, labels, target_probs, batch_size, init_probs=None,
                      enqueue_many=False, queue_capacity=16, threads_per_queue=1, name=None):
    """Batches whose labels follow ``target_probs``: examples (``tensors`` with their integer
    ``labels``) from data whose classes follow ``init_probs`` (estimated from the labels seen
    when None) are kept by rejection sampling. Returns ``(data_batch, label_batch)``."""
    values = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    with tf.name_scope(name, "stratified_sample", values + [labels]):
        tensor_list = _as_tensor_list(tensors, "stratified_sample")
        labels = tf.convert_to_tensor(labels)
        target_probs = tf.convert_to_tensor(target_probs, dtype=tf.float32)
        if not enqueue_many:  # one example is a batch of one
            tensor_list = [tf.expand_dims(t, 0) for t in tensor_list]
            labels = tf.expand_dims(labels, 0)
        if init_probs is None:
            # the number of classes comes from target_probs' static shape
            target_probs.shape.assert_is_fully_defined()
            init_probs = _estimate_data_distribution(labels,
                                                     target_probs.shape.num_elements())
        else:
            init_probs = tf.convert_to_tensor(init_probs, dtype=tf.float32)
        tensor_list, labels, [init_probs, target_probs] = _verify_input(
            tensor_list, labels, [init_probs, target_probs])
        zero_ok = tf.Assert(
            tf.reduce_all(tf.logical_or(tf.not_equal(init_probs, 0),
                                        tf.equal(target_probs, 0))),
            ["All classes with zero initial probability must also have zero target "
             "probability: ", init_probs, target_probs])
        init_probs = _with_dependencies([zero_ok], init_probs)

        accept_probs = _calculate_acceptance_probabilities(init_probs, target_probs)
        proportion_rejected = tf.reduce_sum((1 - accept_probs) * init_probs)
        accept_probs = tf.cond(
            tf.less(proportion_rejected, 0.5), lambda: accept_probs,
            lambda: tf.Print(accept_probs, [accept_probs],
                             message="Proportion of examples rejected by sampler is high.",
                             first_n=10))

        # one queue splits the input into examples, a second keeps the accepted ones
        batched = tf.train.batch(tensor_list + [labels], batch_size=1,
                                 num_threads=threads_per_queue, capacity=queue_capacity,
                                 enqueue_many=True)
        val_list = [tf.squeeze(x, [0]) for x in batched[:-1]]
        label = tf.squeeze(batched[-1], [0])
        cur_prob = tf.gather(accept_probs, label)
        batched = tf.train.maybe_batch(val_list + [label],
                                       keep_input=tf.random_uniform([]) < cur_prob,
                                       batch_size=batch_size, num_threads=threads_per_queue)
        return batched[:-1], batched[-1]


def _estimate_data_distribution(labels, num_classes, smoothing_constant=10):
    """The class frequencies of the labels seen so far (counts in a ``class_count`` variable,
    starting at ``smoothing_constant`` each), as float32."""
    if smoothing_constant <= 0:
        raise ValueError("smoothing_constant must be nonzero.")
    counts = tf.Variable([smoothing_constant] * num_classes, trainable=False,
                         name="class_count", dtype=tf.int64)
    seen = counts.assign_add(tf.reduce_sum(tf.one_hot(labels, num_classes, dtype=tf.int64), 0))
    seen = seen + 0  # a copy: other threads' updates must not show mid-computation
    return tf.cast(tf.truediv(seen, tf.reduce_sum(seen)), tf.float32)


def _verify_data_inputs(tensor_list):
    """ValueError unless every tensor has a batch dimension, all compatible."""
    first = _batch_dim(tensor_list[0])
    for tensor in tensor_list:
        _batch_dim(tensor).assert_is_compatible_with(first)
    return tensor_list


def _verify_input(tensor_list, labels, probs_list):
    """Static checks of batched data, labels and probability vectors (ValueError), and the
    tensors again, each behind its run-time checks: probabilities non-negative summing to 1,
    labels integers in [0, number of classes), the same positive batch size everywhere."""
    checked_probs_list = []
    for probs in probs_list:
        probs.shape.assert_is_fully_defined()
        probs.shape.assert_has_rank(1)
        tol = 1e-6
        prob_sum = tf.reduce_sum(probs)
        checked_probs_list.append(_with_dependencies(
            [tf.assert_non_negative(probs), tf.assert_less(prob_sum, 1.0 + tol),
             tf.assert_less(1.0 - tol, prob_sum)], probs))
    prob_length = checked_probs_list[0].shape.num_elements()
    for checked in checked_probs_list:
        if checked.shape.num_elements() != prob_length:
            raise ValueError("Probability parameters must have the same length.")
    labels.shape.assert_has_rank(1)
    label_dim = _batch_dim(labels)
    for tensor in tensor_list:
        _batch_dim(tensor).assert_is_compatible_with(label_dim)

    labels_batch_size = tf.shape(labels)[0]
    lbl_assert = tf.assert_positive(labels_batch_size)
    labels = _with_dependencies([lbl_assert], labels)
    tensor_list = [_with_dependencies(
        [lbl_assert, tf.assert_equal(tf.shape(x)[0], labels_batch_size)], x)
        for x in tensor_list]
    labels = _with_dependencies(
        [tf.assert_integer(labels), tf.assert_non_negative(labels),
         tf.assert_less(labels, tf.cast(prob_length, labels.dtype))], labels)
    return tensor_list, labels, checked_probs_list


def _calculate_acceptance_probabilities(init_probs, target_probs):
    """``a_i = r_i / max_j r_j`` with ``r_i = t_i / p_i`` (0 where that is NaN, 0/0)."""
    ratio = target_probs / init_probs
    ratio = tf.where(tf.is_nan(ratio), tf.zeros_like(ratio), ratio)
    return ratio / tf.reduce_max(ratio)


# -- resampling with replacement -----------------------------------------------------------------
def _repeat_range(counts, name=None):
    """``[i] * counts[i]`` for every i, concatenated (int32): the rows of a [n, max count]
    mask ``j < counts[i]``, read in row-major order."""
    with tf.name_scope(name, "repeat_range", [counts]):
        counts = tf.convert_to_tensor(counts, name="counts")
        longest = tf.reduce_max(tf.concat([counts, tf.zeros([1], counts.dtype)], 0))
        mask = tf.sequence_mask(counts, longest)
        return tf.cast(tf.where(mask)[:, 0], tf.int32)


def resample_at_rate(inputs, rates, scope=None, seed=None, back_prop=False):
    """Each row i of the ``inputs`` (tensors of shape ``[batch, ...]``) repeated a
    Poisson(``rates[i]``) number of times, the same rows for every input: on average row i
    appears ``rates[i]`` times. Gradients reach the inputs through the gathered rows."""
    with tf.name_scope(scope, "resample_at_rate", list(inputs) + [rates]):
        rates = tf.convert_to_tensor(rates, name="rates")
        sample_counts = tf.cast(tf.random_poisson(rates, (), rates.dtype, seed=seed), tf.int32)
        sample_indices = _repeat_range(sample_counts)
        if not back_prop:
            sample_indices = tf.stop_gradient(sample_indices)
        return [tf.gather(x, sample_indices) for x in inputs]


def weighted_resample(inputs, weights, overall_rate, scope=None, mean_decay=0.999, seed=None):
    """``resample_at_rate`` with rates ``weights * overall_rate / mean weight``, the mean a
    zero-debiased moving average (``mean_decay``) of the batches' mean weights, kept in the
    local variable ``estimate_mean/estimated_mean``. Returns ``(resampled inputs, the rates of
    the resampled rows)``."""
    with tf.name_scope(scope, "weighted_resample", inputs) as opscope:
        weights = tf.convert_to_tensor(weights, name="weights")
        with tf.variable_scope(scope, "estimate_mean", inputs):
            estimated_mean = tf.get_local_variable(
                "estimated_mean", initializer=tf.cast(0, weights.dtype), dtype=weights.dtype)
            batch_mean = tf.reduce_mean(weights)
            mean = _assign_moving_average(estimated_mean, batch_mean, mean_decay)
        rates = weights * overall_rate / mean
        results = resample_at_rate([rates] + list(inputs), rates, scope=opscope, seed=seed,
                                   back_prop=False)
        return results[1:], results[0]
