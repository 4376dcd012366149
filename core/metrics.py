"""``tf.metrics``: TF1's streaming metrics. Each returns ``(value, update_op)``: ``update_op``
adds a batch to local counters (``tf.local_variables_initializer()`` resets them) and returns
the updated value; ``value`` reads the counters. Counter names follow TF1's
(``accuracy/total``, ``precision/true_positives/count``)."""

from __future__ import annotations

from . import dtypes as _dt
from .graph import GraphKeys, control_dependencies, convert_to_tensor, get_default_graph
from .ops import array_ops, logic_ops, math_ops, reduction_ops, state_ops
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


def _weighted(values, weights):
    """(values * weights, the weights' sum) with weights broadcast to values' shape."""
    if weights is None:
        return values, math_ops.cast(array_ops.size(values), _dt.float32)
    weights = math_ops.cast(convert_to_tensor(weights), _dt.float32) * array_ops.ones_like(
        values)
    return values * weights, reduction_ops.reduce_sum(weights)


def mean(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The (weighted) mean of every value seen so far."""
    with variable_scope(name, default_name="mean"):
        values = math_ops.cast(convert_to_tensor(values), _dt.float32)
        total, count = _counter("total"), _counter("count")
        values, num = _weighted(values, weights)
        update_total = state_ops.assign_add(total, reduction_ops.reduce_sum(values))
        with control_dependencies([values]):
            update_count = state_ops.assign_add(count, num)
        value = math_ops.div_no_nan(total.value(), math_ops.maximum(count.value(), 0.0),
                                    name="value")
        update = math_ops.div_no_nan(update_total, math_ops.maximum(update_count, 0.0),
                                     name="update_op")
        return _collect(metrics_collections, value, updates_collections, update)


def accuracy(labels, predictions, weights=None, metrics_collections=None,
             updates_collections=None, name=None):
    """How often ``predictions`` equals ``labels``: the mean of their equality."""
    labels = convert_to_tensor(labels)
    predictions = convert_to_tensor(predictions)
    if not predictions.shape.is_compatible_with(labels.shape):
        raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible")
    if labels.dtype != predictions.dtype:
        predictions = math_ops.cast(predictions, labels.dtype)
    is_correct = math_ops.cast(logic_ops.equal(predictions, labels), _dt.float32)
    return mean(is_correct, weights, metrics_collections, updates_collections,
                name or "accuracy")


def _ratio(kind, labels, predictions, weights, metrics_collections, updates_collections, name):
    """tp / (tp + other), 0 while nothing has counted; other is false positives (precision)
    or false negatives (recall)."""
    with variable_scope(name, default_name=kind):
        labels = math_ops.cast(convert_to_tensor(labels), _dt.bool)
        predictions = math_ops.cast(convert_to_tensor(predictions), _dt.bool)
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
