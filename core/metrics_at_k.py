"""TF1's ``tf.metrics`` over top-k predictions: ``precision_at_k``, ``recall_at_k``, their
``_at_top_k`` forms (given the predicted ids) and ``average_precision_at_k`` (with TF's
deprecated ``sparse_*`` names).

As TF's metrics_impl.py: labels are dense ``[D1, ... DN, num_labels]`` (or ``[D1, ... DN]``, one
label each) or a SparseTensor of class ids; the counts come from tf.sets (set intersections
and differences per row, so out-of-range ids in dense labels are ordinary elements) into float64
local variables named after the name scope (``precision_at_2/true_positive_at_2``). Ratios are
plain divisions: 0 / 0 is NaN, as TF's."""

from __future__ import annotations

from . import dtypes as _dt
from . import sets
from .array_extra import convert_to_tensor_or_sparse_tensor as _tensor_or_sparse
from .control_flow import cond
from .graph import control_dependencies, convert_to_tensor, get_default_graph, name_scope
from .losses import _assert_broadcastable, _broadcast_weights
from .metrics_extra import metric_variable
from .ops import (array_ops, concat_split_ops, logic_ops, math_ops, reduction_ops, slicing_ops,
                  state_ops, transform_ops)
from .ops.gather_ops import top_k
from .sparse import concat as sparse_concat
from .sparse import reshape as sparse_reshape
from .sparse import retain as sparse_retain
from .sparse_tensor import SparseTensor

__all__ = ["average_precision_at_k", "precision_at_k", "precision_at_top_k", "recall_at_k",
           "recall_at_top_k", "sparse_average_precision_at_k", "sparse_precision_at_k"]




def _at_k_name(name, k=None, class_id=None):
    name = f"{name}_at_{k}" if k is not None else f"{name}_at_k"
    return name if class_id is None else f"{name}_class{class_id}"


def _add(collections, value):
    for key in collections or ():
        get_default_graph().add_to_collection(key, value)


def _maybe_expand_labels(labels, predictions):
    """Labels one rank below the predictions get a last dimension of 1."""
    with name_scope(None, "expand_labels", (labels, predictions)) as scope:
        labels = _tensor_or_sparse(labels)
        p_rank = predictions.shape.rank
        if isinstance(labels, SparseTensor):
            l_rank = labels.dense_shape.shape[0].value if labels.dense_shape.shape.rank else \
                None

            def expanded():
                return sparse_reshape(labels, concat_split_ops.concat(
                    (labels.dense_shape, [1]), 0), name=scope)
            if p_rank is not None and l_rank is not None:  # decided statically (TF: a cond)
                return expanded() if p_rank == l_rank + 1 else labels
            return cond(logic_ops.equal(array_ops.rank(predictions),
                                        array_ops.size(labels.dense_shape) + 1),
                        expanded, lambda: labels)
        l_rank = labels.shape.rank
        if l_rank is not None and p_rank is not None:
            if p_rank == l_rank:
                return labels
            if p_rank == l_rank + 1:
                return transform_ops.expand_dims(labels, -1, name=scope)
            raise ValueError(f"Unexpected labels shape {labels.shape} for predictions shape "
                             f"{predictions.shape}. Predictions rank should be the same rank "
                             "as labels rank or labels rank plus one .")
        return cond(logic_ops.equal(array_ops.rank(predictions), array_ops.rank(labels) + 1),
                    lambda: transform_ops.expand_dims(labels, -1, name=scope), lambda: labels)


def _select_class_id(ids, selected_id):
    """Only the entries of ``ids`` equal to ``selected_id``, as a SparseTensor of ids' shape."""
    ids = _tensor_or_sparse(ids)
    if isinstance(ids, SparseTensor):
        return sparse_retain(ids, logic_ops.equal(ids.values, selected_id))
    ids_shape = array_ops.shape(ids, out_type=_dt.int64)
    ids_last_dim = array_ops.size(ids_shape) - 1
    filled_shape = reduction_ops.reduced_shape(ids_shape, array_ops.reshape(ids_last_dim, [1]))
    filled = array_ops.fill(filled_shape, math_ops.cast(selected_id, _dt.int64))
    result = sets.set_intersection(filled, ids)
    return SparseTensor(result.indices, result.values, ids_shape)


def _maybe_select_class_id(labels, predictions_idx, selected_id=None):
    if selected_id is None:
        return labels, predictions_idx
    return (_select_class_id(labels, selected_id),
            _select_class_id(predictions_idx, selected_id))


def _weighted_count(count, weights):
    """float64 ``count``, times the weights (checked broadcastable to it) if any."""
    count = math_ops.cast(count, _dt.float64)
    if weights is None:
        return count
    weights = convert_to_tensor(weights)
    check = _assert_broadcastable(weights, count)
    with control_dependencies([] if check is None else [check]):
        return math_ops.multiply(count, math_ops.cast(weights, _dt.float64))


def _sparse_true_positive_at_k(labels, predictions_idx, class_id=None, weights=None,
                               name=None):
    """Per row, how many predicted ids are labels."""
    with name_scope(name, "true_positives", (predictions_idx, labels, weights)):
        labels, predictions_idx = _maybe_select_class_id(labels, predictions_idx, class_id)
        tp = sets.set_size(sets.set_intersection(predictions_idx, labels))
        return _weighted_count(tp, weights)


def _sparse_false_negative_at_k(labels, predictions_idx, class_id=None, weights=None):
    with name_scope(None, "false_negatives", (predictions_idx, labels, weights)):
        labels, predictions_idx = _maybe_select_class_id(labels, predictions_idx, class_id)
        fn = sets.set_size(sets.set_difference(predictions_idx, labels, aminusb=False))
        return _weighted_count(fn, weights)


def _sparse_false_positive_at_k(labels, predictions_idx, class_id=None, weights=None):
    with name_scope(None, "false_positives", (predictions_idx, labels, weights)):
        labels, predictions_idx = _maybe_select_class_id(labels, predictions_idx, class_id)
        fp = sets.set_size(sets.set_difference(predictions_idx, labels, aminusb=True))
        return _weighted_count(fp, weights)


def _streaming(kind, count_fn, labels, predictions_idx, k, class_id, weights):
    """(counter, its update): a float64 local variable named after its scope, as TF's."""
    with name_scope(None, _at_k_name(kind, k, class_id=class_id),
                    (predictions_idx, labels, weights)) as scope:
        counts = count_fn(labels=labels, predictions_idx=predictions_idx, class_id=class_id,
                          weights=weights)
        batch_total = math_ops.cast(reduction_ops.reduce_sum(counts), _dt.float64)
        var = metric_variable([], _dt.float64, name=scope)
        return var, state_ops.assign_add(var, batch_total, name="update")


def _ratio_at_top_k(kind, other_kind, other_fn, labels, predictions_idx, k, class_id, weights,
                    metrics_collections, updates_collections, name):
    with name_scope(name, _at_k_name(kind, k, class_id=class_id),
                    (predictions_idx, labels, weights)) as scope:
        predictions_idx = convert_to_tensor(predictions_idx)  # TF needs a tensor here
        labels = _maybe_expand_labels(labels, predictions_idx)
        top_k_idx = math_ops.cast(predictions_idx, _dt.int64)
        tp, tp_update = _streaming("true_positive", _sparse_true_positive_at_k, labels,
                                   top_k_idx, k, class_id, weights)
        other, other_update = _streaming(other_kind, other_fn, labels, top_k_idx, k, class_id,
                                         weights)
        metric = math_ops.divide(tp, math_ops.add(tp, other), name=scope)
        update = math_ops.divide(tp_update, math_ops.add(tp_update, other_update),
                                 name="update")
        _add(metrics_collections, metric)
        _add(updates_collections, update)
        return metric, update


def precision_at_top_k(labels, predictions_idx, k=None, class_id=None, weights=None,
                       metrics_collections=None, updates_collections=None, name=None):
    """Of the predicted ids (``predictions_idx``, ``[D1, ... DN, k]``), the fraction that are
    labels (only ``class_id`` when given), over all batches: float64."""
    return _ratio_at_top_k("precision", "false_positive", _sparse_false_positive_at_k, labels,
                           predictions_idx, k, class_id, weights, metrics_collections,
                           updates_collections, name)


def recall_at_top_k(labels, predictions_idx, k=None, class_id=None, weights=None,
                    metrics_collections=None, updates_collections=None, name=None):
    """Of the labels, the fraction among the predicted ids, over all batches: float64."""
    return _ratio_at_top_k("recall", "false_negative", _sparse_false_negative_at_k, labels,
                           predictions_idx, k, class_id, weights, metrics_collections,
                           updates_collections, name)


def precision_at_k(labels, predictions, k, class_id=None, weights=None,
                   metrics_collections=None, updates_collections=None, name=None):
    """precision_at_top_k of the ``k`` highest ``predictions`` (logits ``[..., num_classes]``)."""
    with name_scope(name, _at_k_name("precision", k, class_id=class_id),
                    (predictions, labels, weights)) as scope:
        _, top_k_idx = top_k(predictions, k)
        return precision_at_top_k(labels, top_k_idx, k, class_id, weights,
                                  metrics_collections, updates_collections, name=scope)


def recall_at_k(labels, predictions, k, class_id=None, weights=None, metrics_collections=None,
                updates_collections=None, name=None):
    """recall_at_top_k of the ``k`` highest ``predictions``."""
    with name_scope(name, _at_k_name("recall", k, class_id=class_id),
                    (predictions, labels, weights)) as scope:
        _, top_k_idx = top_k(predictions, k)
        return recall_at_top_k(labels, top_k_idx, k, class_id, weights, metrics_collections,
                               updates_collections, name=scope)


sparse_precision_at_k = precision_at_k  # TF's deprecated name


# -- average precision ---------------------------------------------------------------------------
def _expand_and_tile(tensor, multiple, dim=0, name=None):
    """A new dimension before ``dim`` with ``tensor`` repeated ``multiple`` times along it."""
    if multiple < 1:
        raise ValueError(f"Invalid argument multiple={multiple} for expand_and_tile  call. "
                         "`multiple` must be an integer > 0")
    with name_scope(name, "expand_and_tile", (tensor, multiple, dim)) as scope:
        tensor = _tensor_or_sparse(tensor)
        if isinstance(tensor, SparseTensor):
            if dim < 0:
                expand_dims = array_ops.reshape(array_ops.size(tensor.dense_shape) + dim, [1])
            else:
                expand_dims = [dim]
            expanded_shape = concat_split_ops.concat(
                (slicing_ops.slice(tensor.dense_shape, [0], expand_dims),
                 array_ops.constant([1], _dt.int64),
                 slicing_ops.slice(tensor.dense_shape, expand_dims, [-1])), 0,
                name="expanded_shape")
            expanded = sparse_reshape(tensor, expanded_shape, name="expand")
            if multiple == 1:
                return expanded
            return sparse_concat(dim - 1 if dim < 0 else dim, [expanded] * multiple, name=scope)
        expanded = transform_ops.expand_dims(tensor, dim if dim >= 0 else dim - 1,
                                             name="expand")
        if multiple == 1:
            return expanded
        ones = array_ops.ones_like(array_ops.shape(tensor))
        tile_multiples = concat_split_ops.concat((ones[:dim], (multiple,), ones[dim:]), 0,
                                                 name="multiples")
        return transform_ops.tile(expanded, tile_multiples, name=scope)


def _num_relevant(labels, k):
    """Per row, min(number of labels, k); dense labels count only ids >= 0."""
    if k < 1:
        raise ValueError(f"Invalid k={k}")
    with name_scope(None, "num_relevant", (labels,)) as scope:
        labels = _tensor_or_sparse(labels)
        if isinstance(labels, SparseTensor):
            return math_ops.minimum(sets.set_size(labels), k, name=scope)
        num_labels = reduction_ops.reduce_sum(
            logic_ops.where_v2(logic_ops.greater_equal(labels, 0), array_ops.ones_like(labels),
                               array_ops.zeros_like(labels)), axis=-1)
        return math_ops.minimum(num_labels, k, name=scope)


def _sparse_average_precision_at_top_k(labels, predictions_idx):
    """Per row, the average over the top k of the precision at each relevant rank: float64,
    NaN for a row without labels."""
    with name_scope(None, "average_precision", (predictions_idx, labels)) as scope:
        predictions_idx = math_ops.cast(predictions_idx, _dt.int64, name="predictions_idx")
        if predictions_idx.shape.rank == 0:
            raise ValueError("The rank of `predictions_idx` must be at least 1.")
        k = predictions_idx.shape[-1].value if predictions_idx.shape.rank else None
        if k is None:
            raise ValueError("The last dimension of predictions_idx must be set. Currently, "
                             "it is None.")
        labels = _maybe_expand_labels(labels, predictions_idx)
        predictions_idx_per_k = transform_ops.expand_dims(predictions_idx, -1,
                                                          name="predictions_idx_per_k")
        labels_per_k = _expand_and_tile(labels, multiple=k, dim=-1, name="labels_per_k")
        relevant_per_k = _sparse_true_positive_at_k(labels_per_k, predictions_idx_per_k,
                                                    name="relevant_per_k")
        tp_per_k = reduction_ops.cumsum(relevant_per_k, axis=-1, name="tp_per_k")
        retrieved_per_k = reduction_ops.cumsum(array_ops.ones_like(relevant_per_k), axis=-1,
                                               name="retrieved_per_k")
        precision_per_k = math_ops.divide(math_ops.cast(tp_per_k, _dt.float64),
                                          math_ops.cast(retrieved_per_k, _dt.float64),
                                          name="precision_per_k")
        relevant_precision_per_k = math_ops.multiply(
            precision_per_k, math_ops.cast(relevant_per_k, _dt.float64),
            name="relevant_precision_per_k")
        precision_sum = reduction_ops.reduce_sum(relevant_precision_per_k, axis=(-1,),
                                                 name="precision_sum")
        num_relevant_items = math_ops.cast(_num_relevant(labels, k), _dt.float64)
        return math_ops.divide(precision_sum, num_relevant_items, name=scope)


def _clean_out_of_range_indices(labels, num_classes):
    """Label ids >= num_classes become -1 (TF's cond: only when some are)."""
    labels = _tensor_or_sparse(labels)
    sparse = isinstance(labels, SparseTensor)

    def clean(values):
        return logic_ops.where_v2(logic_ops.greater_equal(values, num_classes),
                                  -1 * array_ops.ones_like(values), values)

    def cleaned():
        if sparse:
            return SparseTensor(labels.indices, clean(labels.values), labels.dense_shape)
        return clean(labels)

    max_labels = reduction_ops.reduce_max(labels.values if sparse else labels)
    return cond(logic_ops.greater_equal(max_labels, num_classes), cleaned, lambda: labels)


def average_precision_at_k(labels, predictions, k, weights=None, metrics_collections=None,
                           updates_collections=None, name=None):
    """The mean over rows (weighted) of the average precision of the ``k`` highest
    ``predictions``; float64 ``<name>/total`` and ``<name>/max`` (TF's scopes) counters."""
    if k < 1:
        raise ValueError(f"Invalid k={k}. `k` should be >= 1.")
    with name_scope(name, _at_k_name("average_precision", k),
                    (predictions, labels, weights)) as scope:
        predictions = convert_to_tensor(predictions)
        _, predictions_idx = top_k(predictions, k)
        labels = _clean_out_of_range_indices(
            labels, math_ops.cast(array_ops.shape(predictions)[-1], _dt.int64))
        return _streaming_average_precision_at_top_k(labels, predictions_idx, weights,
                                                     metrics_collections, updates_collections,
                                                     name=scope)


sparse_average_precision_at_k = average_precision_at_k  # TF's deprecated name


def _streaming_average_precision_at_top_k(labels, predictions_idx, weights=None,
                                          metrics_collections=None, updates_collections=None,
                                          name=None):
    with name_scope(name, "average_precision_at_top_k",
                    (predictions_idx, labels, weights)) as scope:
        average_precision = _sparse_average_precision_at_top_k(labels, predictions_idx)
        if weights is not None:
            weights = _broadcast_weights(math_ops.cast(weights, _dt.float64), average_precision)
            average_precision = math_ops.multiply(average_precision, weights)
        with name_scope(None, "max", (average_precision,)) as max_scope:
            max_var = metric_variable([], _dt.float64, name=max_scope)
            if weights is None:
                batch_max = math_ops.cast(array_ops.size(average_precision, name="batch_max"),
                                          _dt.float64)
            else:
                batch_max = reduction_ops.reduce_sum(weights, name="batch_max")
            max_update = state_ops.assign_add(max_var, batch_max, name="update")
        with name_scope(None, "total", (average_precision,)) as total_scope:
            total_var = metric_variable([], _dt.float64, name=total_scope)
            batch_total = reduction_ops.reduce_sum(average_precision, name="batch_total")
            total_update = state_ops.assign_add(total_var, batch_total, name="update")
        value = math_ops.div_no_nan(total_var, max_var, name="mean")
        update = math_ops.div_no_nan(total_update, max_update, name=scope)
        _add(metrics_collections, value)
        _add(updates_collections, update)
        return value, update
