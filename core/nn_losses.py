"""The ``tf.nn`` losses TensorFlow composes in Python (its nn_impl.py): the cross-entropies with
logistic outputs (sigmoid_cross_entropy_with_logits, weighted_cross_entropy_with_logits) and
the sampled losses (nce_loss, sampled_softmax_loss) with their log-uniform candidate sampler.

Split from nn_impl.py, which re-exports them for tf.nn, so that each module reads in one
sitting; the sampled losses live with the logistic loss nce_loss is made of, and gather their
class weights with embedding_lookup (nn_embedding.py).
"""

from __future__ import annotations

from . import dtypes as _dt
from .graph import convert_to_tensor, name_scope
from .nn_embedding import embedding_lookup
from .ops import (array_ops, concat_split_ops, linalg_ops, logic_ops, math_ops, reduction_ops,
                  unary_ops)
from .ops.nn_ops import relu, softplus
from .ops.softmax_ops import _ensure_xent_args


# -- cross-entropy with logistic outputs -----------------------------------------------------------


def _same_shape_or_raise(logits, labels):
    if not labels.shape.is_compatible_with(logits.shape):
        raise ValueError(f"logits and labels must have the same shape ({logits.shape} vs "
                         f"{labels.shape})")


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Elementwise logistic loss ``max(x, 0) - x * z + log(1 + exp(-|x|))`` (TF's stable form,
    whose gradient is also right at x = 0)."""
    _ensure_xent_args("sigmoid_cross_entropy_with_logits", labels, logits)
    with name_scope(name, "logistic_loss", [logits, labels]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        _same_shape_or_raise(logits, labels)
        zeros = array_ops.zeros_like(logits)
        cond = logic_ops.greater_equal(logits, zeros)
        relu_logits = logic_ops.where(cond, logits, zeros)
        neg_abs_logits = logic_ops.where(cond, -logits, logits)
        # softplus(-|x|) = log1p(exp(-|x|)), computed by one stable kernel.
        return math_ops.add(relu_logits - logits * labels, softplus(neg_abs_logits), name=scope)


def weighted_cross_entropy_with_logits(labels=None, logits=None, pos_weight=None, name=None,
                                       targets=None):
    """Logistic loss with positives weighted by ``pos_weight``:
    ``(1 - z) * x + (1 + (q - 1) * z) * log(1 + exp(-x))``."""
    if labels is None:
        labels = targets
    elif targets is not None:
        raise ValueError("Cannot specify both 'labels' and 'targets'")
    with name_scope(name, "logistic_loss", [logits, labels]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        _same_shape_or_raise(logits, labels)
        log_weight = 1 + (pos_weight - 1) * labels
        # TF's log1p(exp(-|x|)) + relu(-x) (softplus(-x), spelt so that the gradient at
        # x = 0 is TF's: abs and relu contribute 0 there, so zero-initialised models train
        # as in TF).
        stable = softplus(-math_ops.abs(logits)) + relu(-logits)
        return math_ops.add((1 - labels) * logits, log_weight * stable, name=scope)



# -- sampled losses -------------------------------------------------------------------------------
def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                  seed=None, name=None):
    """(sampled_candidates, true_expected_count, sampled_expected_count): ``num_sampled``
    classes from a log-uniform (Zipfian) distribution over [0, range_max), as TF1's."""
    from .ops.candidate_ops import LOG_UNIFORM_CANDIDATE_SAMPLER
    from .ops.random_ops import _seed_attrs

    true_classes = math_ops.cast(convert_to_tensor(true_classes), _dt.int64)
    return tuple(LOG_UNIFORM_CANDIDATE_SAMPLER(
        true_classes, num_true=int(num_true), num_sampled=int(num_sampled),
        unique=bool(unique), range_max=int(range_max), **_seed_attrs(seed),
        name=name or "LogUniformCandidateSampler"))


def _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                    sampled_values, subtract_log_q, remove_accidental_hits, partition_strategy,
                    seed=None):
    """TF1's _compute_sampled_logits: logits of the true classes and of the sampled ones (their
    expected counts' logs subtracted), and the labels to score them against."""
    weights = list(weights) if isinstance(weights, (list, tuple)) else [weights]
    labels = math_ops.cast(convert_to_tensor(labels), _dt.int64)
    if labels.shape.rank == 1:
        labels = array_ops.reshape(labels, [-1, num_true])
    flat_labels = array_ops.reshape(labels, [-1])
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(labels, num_true, num_sampled, True,
                                                       num_classes, seed=seed)
    sampled, true_expected, sampled_expected = (array_ops.stop_gradient(t)
                                                for t in sampled_values)
    sampled = math_ops.cast(sampled, _dt.int64)
    all_ids = concat_split_ops.concat([flat_labels, sampled], 0)
    inputs = convert_to_tensor(inputs)
    all_w = embedding_lookup(weights, all_ids, partition_strategy=partition_strategy)
    n_true = array_ops.size(flat_labels)
    true_w = all_w[:n_true]
    sampled_w = all_w[n_true:]
    all_b = embedding_lookup(biases, all_ids, partition_strategy=partition_strategy)
    true_b, sampled_b = all_b[:n_true], all_b[n_true:]
    dim = inputs.shape[-1].value
    # true logits: each row of inputs against its num_true true classes' weights
    true_w = array_ops.reshape(true_w, [-1, num_true, dim])
    true_logits = reduction_ops.reduce_sum(
        array_ops.reshape(inputs, [-1, 1, dim]) * true_w, 2) + array_ops.reshape(
            true_b, [-1, num_true])
    sampled_logits = linalg_ops.matmul(inputs, sampled_w, transpose_b=True) + sampled_b
    if remove_accidental_hits:
        # TF's way: -FLT_MAX added where ComputeAccidentalHits points. It maps each sampled id
        # to its last position, so of a repeated id only the last copy is masked.
        from .ops.candidate_ops import compute_accidental_hits
        from .ops.sparse_dense_ops import SPARSE_TO_DENSE

        acc_indices, acc_ids, acc_weights = compute_accidental_hits(labels, sampled,
                                                                    num_true=num_true)
        sparse_indices = concat_split_ops.concat(
            [array_ops.reshape(acc_indices, [-1, 1]),
             array_ops.reshape(math_ops.cast(acc_ids, _dt.int32), [-1, 1])], 1,
            name="sparse_indices")
        sampled_logits_shape = concat_split_ops.concat(
            [array_ops.shape(labels)[:1], array_ops.constant([num_sampled], _dt.int32)], 0)
        sampled_logits += SPARSE_TO_DENSE(
            sparse_indices, sampled_logits_shape,
            math_ops.cast(acc_weights, sampled_logits.dtype),
            array_ops.constant(0.0, sampled_logits.dtype), validate_indices=False)
    if subtract_log_q:
        true_logits -= unary_ops.log(true_expected)
        sampled_logits -= unary_ops.log(sampled_expected)
    logits = concat_split_ops.concat([true_logits, sampled_logits], 1)
    targets = concat_split_ops.concat([array_ops.ones_like(true_logits) / num_true,
                                       array_ops.zeros_like(sampled_logits)], 1)
    return logits, targets


def nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
             sampled_values=None, remove_accidental_hits=False, partition_strategy="mod",
             name="nce_loss"):
    """TF1's noise-contrastive estimation loss, one value per example: the true classes
    against ``num_sampled`` sampled ones, as independent logistic regressions."""
    with name_scope(name, "nce_loss", [weights, biases, labels, inputs]):
        logits, targets = _sampled_logits(
            weights, biases, labels, inputs, num_sampled, num_classes, num_true,
            sampled_values, True, remove_accidental_hits, partition_strategy)
    # As TF, the loss is made outside that scope (its output is the caller's Reshape) and its
    # rows summed by a matmul with ones (TF's _sum_rows).
    per_class = sigmoid_cross_entropy_with_logits(labels=targets, logits=logits,
                                                  name="sampled_losses")
    ones = array_ops.ones(concat_split_ops.stack([array_ops.shape(per_class)[1], 1]),
                          per_class.dtype)
    return array_ops.reshape(linalg_ops.matmul(per_class, ones), [-1])


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                         sampled_values=None, remove_accidental_hits=True,
                         partition_strategy="mod", name="sampled_softmax_loss", seed=None):
    """TF1's sampled softmax loss, one value per example: a softmax over the true classes and
    ``num_sampled`` sampled ones."""
    from .ops.softmax_ops import softmax_cross_entropy_with_logits_v2

    with name_scope(name, "sampled_softmax_loss", [weights, biases, labels, inputs]):
        logits, targets = _sampled_logits(
            weights, biases, labels, inputs, num_sampled, num_classes, num_true,
            sampled_values, True, remove_accidental_hits, partition_strategy, seed)
    # As TF, the loss is made outside that scope: its output is the caller's
    # softmax_cross_entropy_with_logits/Reshape_2.
    targets = array_ops.stop_gradient(targets, name="labels_stop_gradient")
    return softmax_cross_entropy_with_logits_v2(labels=targets, logits=logits)
