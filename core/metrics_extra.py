"""The rest of TF1's ``tf.metrics`` but the ``*_at_k`` family (core/metrics_at_k.py): errors
(squared, absolute, relative, cosine), ``mean_tensor``, ``percentage_below``, ``mean_iou``,
``mean_per_class_accuracy``, the true/false positive/negative counts and their ``_at_thresholds``
forms, precision/recall at thresholds, sensitivity/specificity and ``auc``.

Built as TF's metrics_impl.py builds them: the same local variables (LOCAL_VARIABLES and
METRIC_VARIABLES, e.g. ``auc/true_positives``), scopes, float32/float64 counters, asserts and
the same arithmetic (its epsilons and float32 thresholds), so values agree with TF's to the ulp.
"""

from __future__ import annotations

from . import dtypes as _dt
from . import tf_logging
from .graph import GraphKeys, control_dependencies, convert_to_tensor, get_default_graph
from .losses import _broadcast_weights
from .metrics import _collect, _mean_of, _squeezed, mean
from .ops import (array_ops, concat_split_ops, diag_ops, logging_ops, logic_ops, math_ops,
                  reduction_ops, state_ops, transform_ops, unary_ops)
from .tensor_shape import as_shape
from .variables import Variable, variable_scope

__all__ = ["auc", "false_negatives", "false_negatives_at_thresholds", "false_positives",
           "false_positives_at_thresholds", "mean_absolute_error", "mean_cosine_distance",
           "mean_iou", "mean_per_class_accuracy", "mean_relative_error", "mean_squared_error",
           "mean_tensor", "percentage_below", "precision_at_thresholds", "recall_at_thresholds",
           "root_mean_squared_error", "sensitivity_at_specificity", "specificity_at_sensitivity",
           "true_negatives", "true_negatives_at_thresholds", "true_positives",
           "true_positives_at_thresholds"]


def metric_variable(shape, dtype, validate_shape=True, name=None):
    """TF's metric_variable: a zero-initialised, non-trainable local variable, also in
    METRIC_VARIABLES (so local_variables_initializer resets it)."""
    shape = as_shape(shape)
    if not shape.is_fully_defined():  # TF converts the shape to a tensor for zeros()
        raise ValueError(f"Cannot convert a partially known TensorShape {shape} to a Tensor.")
    return Variable(lambda: array_ops.zeros(shape.as_list(), dtype), trainable=False,
                    collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES],
                    validate_shape=validate_shape, name=name)


def _read(variable, metrics_collections):
    """TF's _aggregate_variable outside a distribution strategy: an Identity of the counter."""
    value = array_ops.identity(variable)
    for key in metrics_collections or ():
        get_default_graph().add_to_collection(key, value)
    return value


def _with_updates(value, update, updates_collections):
    for key in updates_collections or ():
        get_default_graph().add_to_collection(key, update)
    return value, update


# -- errors and means ----------------------------------------------------------------------------
def mean_squared_error(labels, predictions, weights=None, metrics_collections=None,
                       updates_collections=None, name=None):
    """The (weighted) mean of ``(labels - predictions) ** 2`` over everything seen."""
    predictions, labels, weights = _squeezed(predictions, labels, weights)
    squared_error = math_ops.squared_difference(labels, predictions)
    return mean(squared_error, weights, metrics_collections, updates_collections,
                name or "mean_squared_error")


def root_mean_squared_error(labels, predictions, weights=None, metrics_collections=None,
                            updates_collections=None, name=None):
    """The square root of mean_squared_error (its counters in ``root_mean_squared_error/``)."""
    predictions, labels, weights = _squeezed(predictions, labels, weights)
    mse, update_mse = mean_squared_error(labels, predictions, weights, None, None,
                                         name or "root_mean_squared_error")
    return _collect(metrics_collections, unary_ops.sqrt(mse), updates_collections,
                    unary_ops.sqrt(update_mse))


def mean_absolute_error(labels, predictions, weights=None, metrics_collections=None,
                        updates_collections=None, name=None):
    """The (weighted) mean of ``|predictions - labels|``."""
    predictions, labels, weights = _squeezed(predictions, labels, weights)
    absolute_errors = unary_ops.abs(predictions - labels)
    return mean(absolute_errors, weights, metrics_collections, updates_collections,
                name or "mean_absolute_error")


def mean_relative_error(labels, predictions, normalizer, weights=None, metrics_collections=None,
                        updates_collections=None, name=None):
    """The (weighted) mean of ``|labels - predictions| / normalizer`` (0 where the normalizer
    is 0)."""
    predictions, labels, weights = _squeezed(predictions, labels, weights)
    # TF squeezes the pair (predictions, normalizer) as (labels, predictions).
    normalizer, predictions, _ = _squeezed(normalizer, predictions)
    relative_errors = logic_ops.where(
        logic_ops.equal(normalizer, 0.0), array_ops.zeros_like(labels),
        math_ops.divide(unary_ops.abs(labels - predictions), normalizer))
    return mean(relative_errors, weights, metrics_collections, updates_collections,
                name or "mean_relative_error")


def mean_cosine_distance(labels, predictions, dim, weights=None, metrics_collections=None,
                         updates_collections=None, name=None):
    """1 - the mean of the dot products along ``dim`` (labels and predictions unit-normalised
    by the caller, as TF requires)."""
    predictions, labels, weights = _squeezed(predictions, labels, weights)
    radial_diffs = reduction_ops.reduce_sum(math_ops.multiply(predictions, labels), axis=[dim],
                                            keepdims=True)
    mean_distance, update = mean(radial_diffs, weights, None, None,
                                 name or "mean_cosine_distance")
    return _collect(metrics_collections, math_ops.subtract(1.0, mean_distance),
                    updates_collections, math_ops.subtract(1.0, update))


def mean_tensor(values, weights=None, metrics_collections=None, updates_collections=None,
                name=None):
    """The element-wise (weighted) mean of ``values`` over the batches: counters of the values'
    (fully known) shape."""
    with variable_scope(name, default_name="mean"):
        values = math_ops.cast(convert_to_tensor(values), _dt.float32)
        total = metric_variable(values.shape, _dt.float32, name="total_tensor")
        count = metric_variable(values.shape, _dt.float32, name="count_tensor")
        num_values = array_ops.ones_like(values)
        if weights is not None:
            values, _, weights = _squeezed(values, None, weights)
            weights = _broadcast_weights(math_ops.cast(weights, _dt.float32), values)
            values = math_ops.multiply(values, weights)
            num_values = math_ops.multiply(num_values, weights)
        return _mean_of(total, count, values, num_values, values, metrics_collections,
                        updates_collections)


def percentage_below(values, threshold, weights=None, metrics_collections=None,
                     updates_collections=None, name=None):
    """The (weighted) fraction of values below ``threshold``."""
    is_below = math_ops.cast(logic_ops.less(values, threshold), _dt.float32)
    return mean(is_below, weights, metrics_collections, updates_collections,
                name or "percentage_below_threshold")


def _flat(t, unknown=True):
    """TF flattens ids and weights of rank > 1 (its ``ndims > 1``); an unknown rank is
    flattened when ``unknown`` (ids: never scalars), left as is otherwise (weights)."""
    rank = t.shape.rank
    return array_ops.reshape(t, [-1]) if (unknown if rank is None else rank > 1) else t


def mean_iou(labels, predictions, num_classes, weights=None, metrics_collections=None,
             updates_collections=None, name=None):
    """The mean over classes of intersection / union, from a float64 streaming confusion matrix
    (``mean_iou/total_confusion_matrix``); classes never seen are left out. ``update_op`` is
    the matrix's update, as TF's."""
    with variable_scope(name, default_name="mean_iou"):
        labels, predictions = convert_to_tensor(labels), convert_to_tensor(predictions)
        if not predictions.shape.is_compatible_with(labels.shape):
            raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible")
        total_cm = metric_variable([num_classes, num_classes], _dt.float64,
                                   name="total_confusion_matrix")
        predictions = _flat(math_ops.cast(predictions, _dt.int64))
        labels = _flat(math_ops.cast(labels, _dt.int64))
        if weights is not None:
            weights = _flat(convert_to_tensor(weights), unknown=False)
        from .ops.count_ops import confusion_matrix  # TF's, with its asserts on the ids

        current = confusion_matrix(labels, predictions, math_ops.cast(num_classes, _dt.int64),
                                   weights=weights, dtype=_dt.float64)
        update = state_ops.assign_add(total_cm, current)

        cm = total_cm.value()
        sum_over_row = math_ops.cast(reduction_ops.reduce_sum(cm, 0), _dt.float32)
        sum_over_col = math_ops.cast(reduction_ops.reduce_sum(cm, 1), _dt.float32)
        cm_diag = math_ops.cast(diag_ops.diag_part(cm), _dt.float32)
        denominator = sum_over_row + sum_over_col - cm_diag
        num_valid = reduction_ops.reduce_sum(
            math_ops.cast(logic_ops.not_equal(denominator, 0), _dt.float32))
        denominator = logic_ops.where(logic_ops.greater(denominator, 0), denominator,
                                      array_ops.ones_like(denominator))
        iou = math_ops.divide(cm_diag, denominator)
        value = logic_ops.where(logic_ops.greater(num_valid, 0),
                                reduction_ops.reduce_sum(iou, name="mean_iou") / num_valid,
                                0.0)
        return _collect(metrics_collections, value, updates_collections, update)


def mean_per_class_accuracy(labels, predictions, num_classes, weights=None,
                            metrics_collections=None, updates_collections=None, name=None):
    """The mean over classes of each class's accuracy (counters ``mean_accuracy/total`` and
    ``/count`` per class). As TF's, ``update_op`` gives the per-class accuracies."""
    with variable_scope(name, default_name="mean_accuracy"):
        labels = _flat(math_ops.cast(convert_to_tensor(labels), _dt.int64))
        predictions = _flat(convert_to_tensor(predictions))
        if not predictions.shape.is_compatible_with(labels.shape):
            raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible")
        total = metric_variable([num_classes], _dt.float32, name="total")
        count = metric_variable([num_classes], _dt.float32, name="count")
        ones = array_ops.ones([array_ops.size(labels)], _dt.float32)
        if labels.dtype != predictions.dtype:
            predictions = math_ops.cast(predictions, labels.dtype)
        is_correct = math_ops.cast(logic_ops.equal(predictions, labels), _dt.float32)
        if weights is not None:
            weights = math_ops.cast(_flat(convert_to_tensor(weights), unknown=False),
                                    _dt.float32)
            is_correct *= weights
            ones *= weights
        update_total = state_ops.scatter_add(total, labels, ones)
        update_count = state_ops.scatter_add(count, labels, is_correct)
        per_class = math_ops.div_no_nan(count.value(), math_ops.maximum(total.value(), 0.0))
        value = reduction_ops.reduce_mean(per_class, name="mean_accuracy")
        update = math_ops.div_no_nan(update_count, math_ops.maximum(update_total, 0.0),
                                     name="update_op")
        return _collect(metrics_collections, value, updates_collections, update)


# -- counts --------------------------------------------------------------------------------------
def _count_condition(values, weights, metrics_collections, updates_collections):
    """A float32 ``count`` of the True entries of ``values`` (weighted)."""
    from .check_ops import assert_rank_in

    count = metric_variable([], _dt.float32, name="count")
    values = math_ops.cast(values, _dt.float32)
    if weights is not None:
        with control_dependencies([assert_rank_in(weights, (0, array_ops.rank(values)))]):
            weights = math_ops.cast(weights, _dt.float32)
            values = math_ops.multiply(values, weights)
    value = _read(count, metrics_collections)
    update = state_ops.assign_add(count, reduction_ops.reduce_sum(values))
    return _with_updates(value, update, updates_collections)


def _counter_metric(kind, label_is, prediction_is):
    def metric(labels, predictions, weights=None, metrics_collections=None,
               updates_collections=None, name=None):
        with variable_scope(name, default_name=kind):
            predictions, labels, weights = _squeezed(
                math_ops.cast(convert_to_tensor(predictions), _dt.bool),
                math_ops.cast(convert_to_tensor(labels), _dt.bool), weights)
            condition = logic_ops.logical_and(logic_ops.equal(labels, label_is),
                                              logic_ops.equal(predictions, prediction_is))
            return _count_condition(condition, weights, metrics_collections,
                                    updates_collections)
    metric.__name__ = kind
    metric.__doc__ = (f"The (weighted) number of {kind.replace('_', ' ')} (labels and "
                      "predictions as bools): a float32 counter ``<name>/count``.")
    return metric


true_positives = _counter_metric("true_positives", True, True)
false_positives = _counter_metric("false_positives", False, True)
true_negatives = _counter_metric("true_negatives", False, False)
false_negatives = _counter_metric("false_negatives", True, False)

_KINDS = {"tp": "true_positives", "fn": "false_negatives", "tn": "true_negatives",
          "fp": "false_positives"}


def _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights=None,
                                    includes=None):
    """({key: counter}, {key: its update}) of float32 ``[len(thresholds)]`` counters of tp,
    fn, tn, fp, a prediction being positive when it is above the (float32) threshold."""
    includes = tuple(_KINDS) if includes is None else includes
    for key in includes:
        if key not in _KINDS:
            raise ValueError(f"Invalid key: {key}")
    predictions = convert_to_tensor(predictions)
    message = "predictions must be in [0, 1]"
    with control_dependencies([
            logging_ops.assert_greater_equal(
                predictions, math_ops.cast(0.0, predictions.dtype), message=message),
            logging_ops.assert_less_equal(
                predictions, math_ops.cast(1.0, predictions.dtype), message=message)]):
        predictions, labels, weights = _squeezed(
            math_ops.cast(predictions, _dt.float32),
            math_ops.cast(convert_to_tensor(labels), _dt.bool), weights)
    num_thresholds = len(thresholds)
    predictions_2d = array_ops.reshape(predictions, [-1, 1])
    labels_2d = array_ops.reshape(math_ops.cast(labels, _dt.bool), [1, -1])
    num_predictions = predictions_2d.shape[0].value
    if num_predictions is None:
        num_predictions = array_ops.shape(predictions_2d)[0]
    thresh_tiled = transform_ops.tile(
        transform_ops.expand_dims(array_ops.constant(thresholds, _dt.float32), 1),
        concat_split_ops.stack([1, num_predictions]))
    pred_is_pos = logic_ops.greater(
        transform_ops.tile(transform_ops.transpose(predictions_2d), [num_thresholds, 1]),
        thresh_tiled)
    label_is_pos = transform_ops.tile(labels_2d, [num_thresholds, 1])
    weights_tiled = None
    if weights is not None:
        weights = _broadcast_weights(math_ops.cast(weights, _dt.float32), predictions)
        weights_tiled = transform_ops.tile(array_ops.reshape(weights, [1, -1]),
                                           [num_thresholds, 1])
        if not thresh_tiled.shape.is_compatible_with(weights_tiled.shape):
            raise ValueError(f"Shapes {thresh_tiled.shape} and {weights_tiled.shape} are "
                             "incompatible")
    conditions = {
        "tp": lambda: logic_ops.logical_and(label_is_pos, pred_is_pos),
        "fn": lambda: logic_ops.logical_and(label_is_pos, logic_ops.logical_not(pred_is_pos)),
        "tn": lambda: logic_ops.logical_and(logic_ops.logical_not(label_is_pos),
                                            logic_ops.logical_not(pred_is_pos)),
        "fp": lambda: logic_ops.logical_and(logic_ops.logical_not(label_is_pos), pred_is_pos)}
    values, updates = {}, {}
    for key in _KINDS:  # TF's order of creation: tp, fn, tn, fp
        if key not in includes:
            continue
        counter = metric_variable([num_thresholds], _dt.float32, name=_KINDS[key])
        hits = math_ops.cast(conditions[key](), _dt.float32)
        if weights_tiled is not None:
            hits *= weights_tiled
        updates[key] = state_ops.assign_add(counter, reduction_ops.reduce_sum(hits, 1))
        values[key] = counter  # the variable itself, as TF's (contrib returns it)
    return values, updates


def _count_at_thresholds(key):
    kind = _KINDS[key]

    def metric(labels, predictions, thresholds, weights=None, metrics_collections=None,
               updates_collections=None, name=None):
        with variable_scope(name, default_name=kind):
            values, updates = _confusion_matrix_at_thresholds(
                labels, predictions, thresholds, weights=weights, includes=(key,))
            value = _read(values[key], metrics_collections)
            return _with_updates(value, updates[key], updates_collections)
    metric.__name__ = f"{kind}_at_thresholds"
    metric.__doc__ = (f"The (weighted) {kind.replace('_', ' ')} at each threshold: a float32 "
                      f"``<name>/{kind}`` of ``len(thresholds)`` counters.")
    return metric


true_positives_at_thresholds = _count_at_thresholds("tp")
false_positives_at_thresholds = _count_at_thresholds("fp")
true_negatives_at_thresholds = _count_at_thresholds("tn")
false_negatives_at_thresholds = _count_at_thresholds("fn")


def _ratio_at_thresholds(kind, other, labels, predictions, thresholds, weights,
                         metrics_collections, updates_collections, name):
    with variable_scope(name, default_name=f"{kind}_at_thresholds"):
        values, updates = _confusion_matrix_at_thresholds(
            labels, predictions, thresholds, weights, includes=("tp", other))
        epsilon = 1e-7

        def compute(tp, o, suffix):
            return math_ops.divide(tp, epsilon + tp + o, name=f"{kind}_{suffix}")

        return _collect(metrics_collections, compute(values["tp"], values[other], "value"),
                        updates_collections, compute(updates["tp"], updates[other],
                                                     "update_op"))


def precision_at_thresholds(labels, predictions, thresholds, weights=None,
                            metrics_collections=None, updates_collections=None, name=None):
    """tp / (tp + fp + 1e-7) at each threshold."""
    return _ratio_at_thresholds("precision", "fp", labels, predictions, thresholds, weights,
                                metrics_collections, updates_collections, name)


def recall_at_thresholds(labels, predictions, thresholds, weights=None,
                         metrics_collections=None, updates_collections=None, name=None):
    """tp / (tp + fn + 1e-7) at each threshold."""
    return _ratio_at_thresholds("recall", "fn", labels, predictions, thresholds, weights,
                                metrics_collections, updates_collections, name)


# -- curves --------------------------------------------------------------------------------------
_KEPSILON = 1e-7  # TF's margin for the end thresholds


def _even_thresholds(num_thresholds, top):
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - _KEPSILON] + inner + [top]


def sensitivity_at_specificity(labels, predictions, specificity, weights=None,
                               num_thresholds=200, metrics_collections=None,
                               updates_collections=None, name=None):
    """The recall at the threshold whose specificity is closest to ``specificity``."""
    if specificity < 0 or specificity > 1:
        raise ValueError("`specificity` must be in the range [0, 1]. Currently, "
                         f"`specificity` got {specificity}.")
    with variable_scope(name, default_name="sensitivity_at_specificity"):
        values, updates = _confusion_matrix_at_thresholds(
            labels, predictions, _even_thresholds(num_thresholds, 1.0 + _KEPSILON), weights)

        def compute(v, scope):
            specificities = math_ops.divide(v["tn"], v["tn"] + v["fp"] + _KEPSILON)
            index = math_ops.cast(reduction_ops.argmin(
                unary_ops.abs(specificities - specificity), 0), _dt.int32)
            tp, fn = v["tp"][index], v["fn"][index]
            return math_ops.divide(tp, tp + fn + _KEPSILON, scope)

        return _collect(metrics_collections, compute(values, "value"), updates_collections,
                        compute(updates, "update_op"))


def specificity_at_sensitivity(labels, predictions, sensitivity, weights=None,
                               num_thresholds=200, metrics_collections=None,
                               updates_collections=None, name=None):
    """The specificity at the threshold whose recall is closest to ``sensitivity`` (the last
    such threshold on ties, as TF's cumsum-argmax picks)."""
    if sensitivity < 0 or sensitivity > 1:
        raise ValueError("`sensitivity` must be in the range [0, 1]. Currently, "
                         f"`sensitivity` is {sensitivity}.")
    with variable_scope(name, default_name="specificity_at_sensitivity"):
        # TF's last threshold here is 1 - epsilon (sensitivity_at_specificity's 1 + epsilon).
        values, updates = _confusion_matrix_at_thresholds(
            labels, predictions, _even_thresholds(num_thresholds, 1.0 - _KEPSILON), weights)

        def compute(v, scope):
            distance = unary_ops.abs(math_ops.divide(v["tp"], v["tp"] + v["fn"] + _KEPSILON)
                                     - sensitivity)
            at_min = math_ops.cast(logic_ops.equal(distance, reduction_ops.reduce_min(distance)),
                                   _dt.int64)
            index = math_ops.cast(reduction_ops.argmax(reduction_ops.cumsum(at_min), 0),
                                  _dt.int32)
            tn, fp = v["tn"][index], v["fp"][index]
            return math_ops.divide(tn, tn + fp + _KEPSILON, scope)

        return _collect(metrics_collections, compute(values, "value"), updates_collections,
                        compute(updates, "update_op"))


def _interpolate_pr_auc(tp, fp, fn, n):
    """TF's careful interpolation of the PR curve (Davis & Goadrich) between thresholds."""
    dtp = tp[:n - 1] - tp[1:]
    p = tp + fp
    prec_slope = math_ops.div_no_nan(dtp, math_ops.maximum(p[:n - 1] - p[1:], 0.0),
                                     name="prec_slope")
    intercept = tp[1:] - math_ops.multiply(prec_slope, p[1:])
    safe_p_ratio = logic_ops.where(
        logic_ops.logical_and(p[:n - 1] > 0, p[1:] > 0),
        math_ops.div_no_nan(p[:n - 1], math_ops.maximum(p[1:], 0.0),
                            name="recall_relative_ratio"),
        array_ops.ones_like(p[1:]))
    return reduction_ops.reduce_sum(
        math_ops.div_no_nan(prec_slope * (dtp + intercept * unary_ops.log(safe_p_ratio)),
                            math_ops.maximum(tp[1:] + fn[1:], 0.0), name="pr_auc_increment"),
        name="interpolate_pr_auc")


_SUMMATIONS = ("trapezoidal", "careful_interpolation", "minoring", "majoring")


def auc(labels, predictions, weights=None, num_thresholds=200, metrics_collections=None,
        updates_collections=None, curve="ROC", name=None, summation_method="trapezoidal",
        thresholds=None):
    """The area under the ROC or PR curve, summed over ``num_thresholds`` thresholds evenly
    spread over [0, 1] (or the given ``thresholds`` plus the two ends) by a Riemann sum:
    'trapezoidal', 'careful_interpolation' (PR), 'minoring' or 'majoring'."""
    with variable_scope(name, default_name="auc"):
        if curve not in ("ROC", "PR"):
            raise ValueError(f"Curve must be either ROC or PR. Curve {curve} is unknown.")
        if thresholds is not None:
            thresholds = sorted(thresholds)
            num_thresholds = len(thresholds) + 2
        else:
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1)
                          for i in range(num_thresholds - 2)]
        thresholds = [0.0 - _KEPSILON] + thresholds + [1.0 + _KEPSILON]
        values, updates = _confusion_matrix_at_thresholds(labels, predictions, thresholds,
                                                          weights)
        epsilon = 1.0e-6
        n = num_thresholds

        def compute(v, scope):
            tp, fn, tn, fp = v["tp"], v["fn"], v["tn"], v["fp"]
            if curve == "PR":
                if summation_method == "trapezoidal":
                    tf_logging.warning("Trapezoidal rule is known to produce incorrect "
                                       'PR-AUCs; please switch to "careful_interpolation" '
                                       "instead.")
                elif summation_method == "careful_interpolation":
                    return _interpolate_pr_auc(tp, fp, fn, n)
            rec = math_ops.divide(tp + epsilon, tp + fn + epsilon)
            if curve == "ROC":
                x, y = math_ops.divide(fp, fp + tn + epsilon), rec
            else:
                x, y = rec, math_ops.divide(tp + epsilon, tp + fp + epsilon)
            if summation_method in ("trapezoidal", "careful_interpolation"):
                heights = (y[:n - 1] + y[1:]) / 2.0
            elif summation_method == "minoring":
                heights = math_ops.minimum(y[:n - 1], y[1:])
            elif summation_method == "majoring":
                heights = math_ops.maximum(y[:n - 1], y[1:])
            else:
                raise ValueError(f"Invalid summation_method: {summation_method} "
                                 "summation_method should be 'trapezoidal', "
                                 "'careful_interpolation', 'minoring', or 'majoring'.")
            return reduction_ops.reduce_sum(math_ops.multiply(x[:n - 1] - x[1:], heights),
                                            name=scope)

        return _collect(metrics_collections, compute(values, "value"), updates_collections,
                        compute(updates, "update_op"))
