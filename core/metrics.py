"""``tf.metrics``: TF1's streaming metrics. Each returns ``(value, update_op)``: ``update_op``
adds a batch to local counters (``tf.local_variables_initializer()`` resets them) and returns
the updated value; ``value`` reads the counters. Counter names follow TF1's
(``accuracy/total``, ``precision/true_positives/count``)."""

from __future__ import annotations

from . import dtypes as _dt
from .control_flow import cond
from .graph import GraphKeys, control_dependencies, convert_to_tensor, get_default_graph
from .ops import array_ops, logic_ops, math_ops, reduction_ops, state_ops, transform_ops
from .ops.count_ops import _remove_squeezable_dimensions
from .variables import Variable, variable_scope

__all__ = ["accuracy", "mean", "precision", "recall"]


def _counter(name):
    """A float32 scalar local variable starting at 0 (TF1's metric_variable)."""
    return Variable(lambda: array_ops.zeros([], _dt.float32), trainable=False, name=name,
                    collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES])


def _collect(metrics_collections, value, updates_collections, update):
    graph = get_default_graph()
    for key in metrics_collections or ():
        graph.add_to_collection(key, value)
    for key in updates_collections or ():
        graph.add_to_collection(key, update)
    return value, update


def _squeezed(predictions, labels=None, weights=None):
    """TF1's _remove_squeezable_dimensions: a trailing dimension of size 1 that makes labels
    and predictions differ in rank by one is squeezed out, and weights one rank above or
    below the predictions get it squeezed out or added (scalar weights stay), before anything
    broadcasts (else [N, 1] labels against [N] predictions would compare N x N). Static ranks
    decide now; a rank known only at run time, as TF, with conds on the rank difference."""
    predictions = convert_to_tensor(predictions)
    if labels is not None:
        labels, predictions = _remove_squeezable_dimensions(convert_to_tensor(labels),
                                                            predictions)
        if not predictions.shape.is_compatible_with(labels.shape):
            raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible")
    if weights is None:
        return predictions, labels, None
    weights = convert_to_tensor(weights)
    wr, pr = weights.shape.rank, predictions.shape.rank
    if wr == 0:
        return predictions, labels, weights
    if wr is not None and pr is not None:
        if wr - pr == 1:
            weights = transform_ops.squeeze(weights, [-1])
        elif pr - wr == 1:
            weights = transform_ops.expand_dims(weights, -1)
        return predictions, labels, weights
    w_rank = array_ops.rank(weights)
    rank_diff = w_rank - array_ops.rank(predictions)
    w = weights

    def maybe_squeeze():  # a static last dim other than 1 would only fail to squeeze
        if wr is not None and not w.shape[-1].is_compatible_with(1):
            return w
        return transform_ops.squeeze(w, [-1])

    def maybe_expand():
        return cond(logic_ops.equal(rank_diff, -1), lambda: transform_ops.expand_dims(w, -1),
                    lambda: w)

    weights = cond(logic_ops.equal(w_rank, 0), lambda: w,
                   lambda: cond(logic_ops.equal(rank_diff, 1), maybe_squeeze, maybe_expand))
    return predictions, labels, weights


def _weighted(values, weights):
    """(values * weights, the weights broadcast to values' shape); (values, None) without."""
    if weights is None:
        return values, None
    weights = math_ops.cast(convert_to_tensor(weights), _dt.float32) * array_ops.ones_like(
        values)
    return values * weights, weights


def mean(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The (weighted) mean of every value seen so far."""
    with variable_scope(name, default_name="mean"):
        values, _, weights = _squeezed(values, None, weights)
        values = math_ops.cast(values, _dt.float32)
        total, count = _counter("total"), _counter("count")
        if weights is not None:  # TF's broadcast_weights: ValueError unless broadcastable
            from .losses import _broadcast_weights

            weights = _broadcast_weights(math_ops.cast(weights, _dt.float32), values)
            values = math_ops.multiply(values, weights)
        num = math_ops.cast(array_ops.size(values), _dt.float32) if weights is None else \
            reduction_ops.reduce_sum(weights)
        return _mean_of(total, count, reduction_ops.reduce_sum(values), num, values,
                        metrics_collections, updates_collections)


def _mean_of(total, count, total_delta, count_delta, values, metrics_collections,
             updates_collections):
    """(total / count, the update adding the deltas, then total / count), TF's mean pair;
    the count's update waits for ``values``."""
    update_total = state_ops.assign_add(total, total_delta)
    with control_dependencies([values]):
        update_count = state_ops.assign_add(count, count_delta)
    value = math_ops.div_no_nan(total.value(), math_ops.maximum(count.value(), 0.0),
                                name="value")
    update = math_ops.div_no_nan(update_total, math_ops.maximum(update_count, 0.0),
                                 name="update_op")
    return _collect(metrics_collections, value, updates_collections, update)


def accuracy(labels, predictions, weights=None, metrics_collections=None,
             updates_collections=None, name=None):
    """How often ``predictions`` equals ``labels``: the mean of their equality."""
    predictions, labels, weights = _squeezed(predictions, labels, weights)
    if labels.dtype != predictions.dtype:
        predictions = math_ops.cast(predictions, labels.dtype)
    is_correct = math_ops.cast(logic_ops.equal(predictions, labels), _dt.float32)
    return mean(is_correct, weights, metrics_collections, updates_collections,
                name or "accuracy")


def _ratio(kind, labels, predictions, weights, metrics_collections, updates_collections, name):
    """tp / (tp + other), 0 while nothing has counted; other is false positives (precision)
    or false negatives (recall)."""
    with variable_scope(name, default_name=kind):
        predictions, labels, weights = _squeezed(
            math_ops.cast(convert_to_tensor(predictions), _dt.bool),
            math_ops.cast(convert_to_tensor(labels), _dt.bool), weights)
        if kind == "precision":
            other_name, other = "false_positives", logic_ops.logical_and(
                logic_ops.logical_not(labels), predictions)
        else:
            other_name, other = "false_negatives", logic_ops.logical_and(
                labels, logic_ops.logical_not(predictions))
        counts, updates = [], []
        for scope, condition in (("true_positives", logic_ops.logical_and(labels, predictions)),
                                 (other_name, other)):
            with variable_scope(scope):
                counter = _counter("count")
                hits, _ = _weighted(math_ops.cast(condition, _dt.float32), weights)
                counts.append(counter.value())
                updates.append(state_ops.assign_add(counter, reduction_ops.reduce_sum(hits)))

        def compute(tp, other, scope):  # TF1: where(tp + other > 0, tp / (tp + other), 0)
            return math_ops.div_no_nan(tp, tp + other, name=scope)

        value = compute(*counts, "value")
        update = compute(*updates, "update_op")
        return _collect(metrics_collections, value, updates_collections, update)


def precision(labels, predictions, weights=None, metrics_collections=None,
              updates_collections=None, name=None):
    """true positives / (true positives + false positives), labels and predictions as bools."""
    return _ratio("precision", labels, predictions, weights, metrics_collections,
                  updates_collections, name)


def recall(labels, predictions, weights=None, metrics_collections=None,
           updates_collections=None, name=None):
    """true positives / (true positives + false negatives), labels and predictions as bools."""
    return _ratio("recall", labels, predictions, weights, metrics_collections,
                  updates_collections, name)


# The rest of tf.metrics (imported last: those modules build on mean and the helpers above).
from .metrics_extra import *  # noqa: E402, F403
from .metrics_extra import __all__ as _extra  # noqa: E402
from .metrics_at_k import *  # noqa: E402, F403
from .metrics_at_k import __all__ as _at_k  # noqa: E402

__all__ += _extra + _at_k
