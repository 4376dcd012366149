"""``tf.losses``: TF 1.x loss functions (weighted, reduced, added to the LOSSES collection).

Each loss computes elementwise losses in float32, weights them (a scalar, or a tensor of the
losses' rank whose dims are 1 or match), reduces them as ``reduction`` says and adds the result
to ``loss_collection``, as ``tf.compat.v1.losses`` does.
"""

from __future__ import annotations

from . import dtypes as _dt
from .control_flow import cond
from .graph import (GraphKeys, control_dependencies, convert_to_tensor, get_default_graph,
                    name_scope)
from . import nn_impl
from .ops import (array_ops, logging_ops, logic_ops, math_ops, nn_ops, reduction_ops,
                  softmax_ops, transform_ops, unary_ops)

__all__ = [
    "Reduction", "compute_weighted_loss", "absolute_difference", "cosine_distance",
    "hinge_loss", "huber_loss", "log_loss", "mean_pairwise_squared_error", "mean_squared_error",
    "sigmoid_cross_entropy",
    "softmax_cross_entropy", "sparse_softmax_cross_entropy", "add_loss", "get_losses",
    "get_regularization_loss", "get_regularization_losses", "get_total_loss",
]


class Reduction:
    """How a loss reduces its weighted elements."""

    NONE = "none"  # unreduced weighted losses, the input's shape
    SUM = "weighted_sum"  # sum of the weighted losses
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"  # SUM / number of elements
    MEAN = "weighted_mean"  # SUM / sum of the weights
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"  # SUM / count of nonzero weights
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls):
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE,
                cls.SUM_OVER_NONZERO_WEIGHTS, cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key}. Key should be one of {cls.all()}.")


_BROADCAST_ERROR = "weights can not be broadcast to values."


def _assert_broadcastable(weights, values):
    """TF's ``assert_broadcastable``: weights are a scalar, or have the values' rank with each
    dim 1 or equal to the values' dim. Static ranks (and, for the dims, fully known shapes)
    decide now, raising ValueError, and give None; otherwise an Assert op checks at run time
    (run it, or depend on it)."""
    w, v = weights.shape, values.shape
    if w.rank is not None and v.rank is not None:
        if w.rank == 0:
            return None
        if w.rank != v.rank:
            raise ValueError(f"{_BROADCAST_ERROR} values.rank={v.rank}. weights.rank={w.rank}. "
                             f"values.shape={v}. weights.shape={w}.")
        if w.is_fully_defined() and v.is_fully_defined():
            for i, (a, b) in enumerate(zip(w.as_tuple(), v.as_tuple())):
                if a not in (1, b):
                    raise ValueError(f"{_BROADCAST_ERROR} Mismatch at dim {i}. "
                                     f"values.shape={v}, weights.shape={w}.")
            return None
    with name_scope(None, "assert_broadcastable", (weights, values)) as scope:
        with name_scope(None, "weights", (weights,)):
            w_shape = array_ops.shape(weights, name="shape")
            w_rank = array_ops.rank(weights, name="rank")
        with name_scope(None, "values", (values,)):
            v_shape = array_ops.shape(values, name="shape")
            v_rank = array_ops.rank(values, name="rank")
        is_scalar = logic_ops.equal(0, w_rank, name="is_scalar")

        def valid_nonscalar():  # TF's _has_valid_nonscalar_shape: same rank, dims equal or 1
            same_rank = logic_ops.equal(v_rank, w_rank, name="is_same_rank")
            return cond(same_rank, lambda: reduction_ops.reduce_all(logic_ops.logical_or(
                logic_ops.equal(w_shape, v_shape), logic_ops.equal(w_shape, 1))),
                lambda: same_rank, name="has_valid_nonscalar_shape")

        is_valid = cond(is_scalar, lambda: is_scalar, valid_nonscalar, name="is_valid_shape")
        return logging_ops.Assert(is_valid, [
            _BROADCAST_ERROR, "weights.shape=", weights.name, w_shape, "values.shape=",
            values.name, v_shape, "is_scalar=", is_scalar], name=scope)


def _after(op):
    """Control dependencies on ``op``, when there is one (a static check gives None)."""
    return control_dependencies([] if op is None else [op])


def _broadcast_weights(weights, values):
    with name_scope(None, "broadcast_weights", (weights, values)) as scope:
        values = convert_to_tensor(values, name="values")
        weights = convert_to_tensor(weights, dtype=values.dtype, name="weights")
        if weights.shape.is_fully_defined() and values.shape.is_fully_defined() and \
                weights.shape.is_compatible_with(values.shape):
            return weights
        with _after(_assert_broadcastable(weights, values)):
            return math_ops.multiply(weights, array_ops.ones_like(values), name=scope)


def _safe_mean(losses, num_present):
    """The mean over present elements, 0 when none are (no weights)."""
    return math_ops.div_no_nan(reduction_ops.reduce_sum(losses), num_present, name="value")


def _num_elements(losses):
    with name_scope(None, "num_elements", values=[losses]) as scope:
        return math_ops.cast(array_ops.size(losses, name=scope), losses.dtype)


def _num_present(losses, weights, per_batch=False):
    """The number of elements of ``losses`` whose (broadcast) weight is nonzero; with
    ``per_batch``, per example ([batch, 1, ...], the other dimensions kept as 1)."""
    if isinstance(weights, float) and weights != 0.0:
        return _num_elements(losses)
    with name_scope(None, "num_present", (losses, weights)) as scope:
        weights = math_ops.cast(weights, _dt.float32)
        present = logic_ops.where(logic_ops.equal(weights, 0.0), array_ops.zeros_like(weights),
                                  array_ops.ones_like(weights))
        present = _broadcast_weights(present, losses)
        if per_batch:
            return reduction_ops.reduce_sum(present, axis=_inner_axes(present), keepdims=True,
                                            name=scope)
        return reduction_ops.reduce_sum(present, name=scope)


def _inner_axes(x):
    """Every axis but the first, as a tensor (the rank may be known only at run time)."""
    return array_ops.range_(1, array_ops.rank(x))


def compute_weighted_loss(losses, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """``losses * weights`` reduced by ``reduction``, added to ``loss_collection``."""
    Reduction.validate(reduction)
    with name_scope(scope, "weighted_loss", (losses, weights)):
        losses = convert_to_tensor(losses)
        input_dtype = losses.dtype
        weights_t = convert_to_tensor(weights)
        with _after(_assert_broadcastable(weights_t, losses)):
            losses = math_ops.cast(losses, _dt.float32)
            weights_t = math_ops.cast(weights_t, _dt.float32)
            weighted_losses = math_ops.multiply(losses, weights_t)
        if reduction == Reduction.NONE:
            loss = weighted_losses
        else:
            loss = reduction_ops.reduce_sum(weighted_losses)
            if reduction == Reduction.MEAN:
                loss = _safe_mean(
                    loss, reduction_ops.reduce_sum(array_ops.ones_like(losses) * weights_t))
            elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
                loss = _safe_mean(loss, _num_present(losses, weights))
            elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                loss = _safe_mean(loss, _num_elements(losses))
        loss = math_ops.cast(loss, input_dtype)
        add_loss(loss, loss_collection)
        return loss


def _check_args(**named):
    for k, v in named.items():
        if v is None:
            raise ValueError(f"Argument `{k}` must not be None.")


def _float_pair(labels, predictions):
    predictions = math_ops.cast(predictions, _dt.float32)
    labels = math_ops.cast(labels, _dt.float32)
    predictions.shape.assert_is_compatible_with(labels.shape)
    return labels, predictions


def absolute_difference(labels, predictions, weights=1.0, scope=None,
                        loss_collection=GraphKeys.LOSSES,
                        reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted ``|predictions - labels|``."""
    _check_args(labels=labels, predictions=predictions)
    with name_scope(scope, "absolute_difference", (predictions, labels, weights)) as scope:
        labels, predictions = _float_pair(labels, predictions)
        losses = unary_ops.abs(math_ops.subtract(predictions, labels))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def cosine_distance(labels, predictions, axis=None, weights=1.0, scope=None,
                    loss_collection=GraphKeys.LOSSES,
                    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS, dim=None):
    """Weighted ``1 - sum(labels * predictions, axis)`` (inputs are unit-normalized)."""
    if axis is None:
        axis = dim
    if axis is None:
        raise ValueError("You must specify argument `axis`.")
    _check_args(labels=labels, predictions=predictions)
    with name_scope(scope, "cosine_distance_loss", (predictions, labels, weights)) as scope:
        labels, predictions = _float_pair(labels, predictions)
        radial_diffs = math_ops.multiply(predictions, labels)
        losses = 1 - reduction_ops.reduce_sum(radial_diffs, axis=(axis,), keepdims=True)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def hinge_loss(labels, logits, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted ``max(0, 1 - (2 * labels - 1) * logits)`` for labels in {0, 1}."""
    _check_args(labels=labels, logits=logits)
    with name_scope(scope, "hinge_loss", (logits, labels, weights)) as scope:
        labels, logits = _float_pair(labels, logits)
        all_ones = array_ops.ones_like(labels)
        labels = math_ops.subtract(2 * labels, all_ones)
        losses = nn_ops.relu(math_ops.subtract(all_ones, math_ops.multiply(labels, logits)))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def huber_loss(labels, predictions, weights=1.0, delta=1.0, scope=None,
               loss_collection=GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted Huber loss: quadratic for |error| <= delta, linear beyond."""
    _check_args(labels=labels, predictions=predictions)
    with name_scope(scope, "huber_loss", (predictions, labels, weights)) as scope:
        labels, predictions = _float_pair(labels, predictions)
        abs_error = unary_ops.abs(math_ops.subtract(predictions, labels))
        quadratic = math_ops.minimum(abs_error, delta)
        # The linear part is abs_error - quadratic: written this way (not with a select), the
        # gradient is right on both sides of delta.
        linear = math_ops.subtract(abs_error, quadratic)
        losses = math_ops.add(
            math_ops.multiply(convert_to_tensor(0.5, dtype=quadratic.dtype),
                              math_ops.multiply(quadratic, quadratic)),
            math_ops.multiply(delta, linear))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def log_loss(labels, predictions, weights=1.0, epsilon=1e-7, scope=None,
             loss_collection=GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted binary cross-entropy of probabilities ``predictions``."""
    _check_args(labels=labels, predictions=predictions)
    with name_scope(scope, "log_loss", (predictions, labels, weights)) as scope:
        labels, predictions = _float_pair(labels, predictions)
        losses = -math_ops.multiply(labels, unary_ops.log(predictions + epsilon)) - \
            math_ops.multiply(1 - labels, unary_ops.log(1 - predictions + epsilon))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def mean_squared_error(labels, predictions, weights=1.0, scope=None,
                       loss_collection=GraphKeys.LOSSES,
                       reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted ``(predictions - labels) ** 2``."""
    _check_args(labels=labels, predictions=predictions)
    with name_scope(scope, "mean_squared_error", (predictions, labels, weights)) as scope:
        labels, predictions = _float_pair(labels, predictions)
        losses = math_ops.squared_difference(predictions, labels)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def mean_pairwise_squared_error(labels, predictions, weights=1.0, scope=None,
                                loss_collection=GraphKeys.LOSSES):
    """For each example, the mean over pairs of its elements (i, j) of
    ``((p_i - p_j) - (l_i - l_j))^2``, weighted per example and summed over the batch (TF's
    ``2 * sum(d^2) / (n - 1) - 2 * sum(d)^2 / (n * (n - 1))`` with d = p - l, n the elements
    of the example with a nonzero weight)."""
    _check_args(labels=labels, predictions=predictions)
    with name_scope(scope, "mean_pairwise_squared_error",
                    (predictions, labels, weights)) as scope:
        weights = math_ops.cast(convert_to_tensor(weights), _dt.float32)
        labels = math_ops.cast(convert_to_tensor(labels), _dt.float32)
        predictions = math_ops.cast(convert_to_tensor(predictions), _dt.float32)
        predictions.shape.assert_is_compatible_with(labels.shape)
        with _after(_assert_broadcastable(weights, labels)):
            diffs = math_ops.subtract(predictions, labels)
            axes = _inner_axes(diffs)
            n = _num_present(diffs, weights, per_batch=True)
            sum_squares = reduction_ops.reduce_sum(math_ops.square(diffs), axis=axes, keepdims=True)
            term1 = 2.0 * math_ops.div_no_nan(sum_squares, math_ops.maximum(n - 1, 0.0),
                                              name="value")
            sum_diff = reduction_ops.reduce_sum(diffs, axis=axes, keepdims=True)
            term2 = 2.0 * math_ops.div_no_nan(math_ops.square(sum_diff),
                                              math_ops.maximum(n * (n - 1), 0.0), name="value")
            loss = reduction_ops.reduce_sum(math_ops.multiply(term1 - term2, weights))
            mean_loss = logic_ops.where(reduction_ops.reduce_sum(n) > 0, loss,
                                        array_ops.zeros_like(loss), name="value")
        add_loss(mean_loss, loss_collection)
        return mean_loss


def sigmoid_cross_entropy(multi_class_labels, logits, weights=1.0, label_smoothing=0,
                          scope=None, loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted sigmoid cross-entropy; labels smoothed towards 1/2 by ``label_smoothing``."""
    _check_args(multi_class_labels=multi_class_labels, logits=logits)
    with name_scope(scope, "sigmoid_cross_entropy_loss",
                    (logits, multi_class_labels, weights)) as scope:
        logits = convert_to_tensor(logits)
        multi_class_labels = math_ops.cast(multi_class_labels, logits.dtype)
        logits.shape.assert_is_compatible_with(multi_class_labels.shape)
        if label_smoothing > 0:
            multi_class_labels = (multi_class_labels * (1 - label_smoothing) +
                                  0.5 * label_smoothing)
        losses = nn_impl.sigmoid_cross_entropy_with_logits(labels=multi_class_labels,
                                                           logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted softmax cross-entropy per example; labels smoothed towards uniform by
    ``label_smoothing``; no gradient flows into the labels."""
    _check_args(onehot_labels=onehot_labels, logits=logits)
    with name_scope(scope, "softmax_cross_entropy_loss",
                    (logits, onehot_labels, weights)) as scope:
        logits = convert_to_tensor(logits)
        onehot_labels = math_ops.cast(onehot_labels, logits.dtype)
        logits.shape.assert_is_compatible_with(onehot_labels.shape)
        if label_smoothing > 0:
            classes = onehot_labels.shape[-1].value
            if classes is not None:
                num_classes = convert_to_tensor(float(classes), dtype=logits.dtype)
            else:
                num_classes = math_ops.cast(array_ops.shape(onehot_labels)[-1], logits.dtype)
            smooth_positives = 1.0 - label_smoothing
            smooth_negatives = label_smoothing / num_classes
            onehot_labels = onehot_labels * smooth_positives + smooth_negatives
        onehot_labels = array_ops.stop_gradient(onehot_labels, name="labels_stop_gradient")
        losses = softmax_ops.softmax_cross_entropy_with_logits_v2(labels=onehot_labels,
                                                                  logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def _squeeze_weights(labels, weights):
    """Weights of shape [batch, 1] for labels [batch] lose the trailing 1 (the weights half of
    TF's ``_remove_squeezable_dimensions``: static ranks decide at once, unknown ones at run
    time with a cond)."""
    from .control_flow import cond
    from .ops import array_ops, logic_ops

    weights = convert_to_tensor(weights)
    lr, wr = labels.shape.rank, weights.shape.rank
    if lr is not None and wr is not None:
        if wr - lr == 1:
            weights = transform_ops.squeeze(weights, [-1])
        return weights
    if wr is None or (wr > 0 and weights.shape[-1].is_compatible_with(1)):
        w = weights
        rank_diff = array_ops.rank(weights) - array_ops.rank(labels)
        weights = cond(logic_ops.equal(1, rank_diff), lambda: transform_ops.squeeze(w, [-1]),
                       lambda: w)
    return weights


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope=None,
                                 loss_collection=GraphKeys.LOSSES,
                                 reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted softmax cross-entropy against integer class ``labels``."""
    from .ops.count_ops import _remove_squeezable_dimensions

    _check_args(labels=labels, logits=logits)
    with name_scope(scope, "sparse_softmax_cross_entropy_loss",
                    (logits, labels, weights)) as scope:
        labels = convert_to_tensor(labels)
        logits = convert_to_tensor(logits)
        # Labels of shape [batch, 1] with logits [batch, classes] lose the trailing 1, decided
        # at run time when a rank or that dimension is unknown (labels parsed from examples).
        labels, logits = _remove_squeezable_dimensions(labels, logits, expected_rank_diff=1)
        weights = _squeeze_weights(labels, weights)
        losses = softmax_ops.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                      logits=logits,
                                                                      name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


# -- the LOSSES collection ------------------------------------------------------------------------


def add_loss(loss, loss_collection=GraphKeys.LOSSES):
    """Adds ``loss`` to ``loss_collection`` (nothing when the collection is None)."""
    if loss_collection:
        get_default_graph().add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES):
    return get_default_graph().get_collection(loss_collection, scope)


def get_regularization_losses(scope=None):
    return get_default_graph().get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope=None, name="total_regularization_loss"):
    """The sum of the regularization losses, or 0.0 when there are none."""
    losses = get_regularization_losses(scope)
    if losses:
        return math_ops.add_n(losses, name=name)
    return array_ops.constant(0.0)


def get_total_loss(add_regularization_losses=True, name="total_loss", scope=None):
    """The sum of the LOSSES collection (and the regularization losses)."""
    losses = get_losses(scope=scope)
    if add_regularization_losses:
        losses += get_regularization_losses(scope=scope)
    return math_ops.add_n(losses, name=name)
