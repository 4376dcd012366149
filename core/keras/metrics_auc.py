"""``tf.keras.metrics.AUC`` and ``MeanIoU``: metrics over a whole epoch's predictions, kept as
confusion counts (per threshold for AUC, per class pair for MeanIoU) in local variables, as
tf_keras keeps them, so an epoch's value is not a mean of batch values."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..composites import boolean_mask
from ..ops import (constant_ops, count_ops, diag_ops, logic_ops, math_ops, reduction_ops,
                   shape_ops, state_ops, transform_ops, unary_ops)
from . import backend_math as K  # noqa: N812 - Keras' own spelling
from .metrics import Metric, fill_zeros_like

__all__ = ["AUC", "MeanIoU"]

_CURVES = {"roc": "ROC", "pr": "PR", "pr_gain": "PR_GAIN", "prgain": "PR_GAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")
EPSILON = 1e-7  # tf_keras' backend.epsilon(): the end thresholds sit just outside [0, 1]


class AUC(Metric):
    """The area under the ROC, PR or PR-gain curve, from true/false positive/negative counts
    at ``num_thresholds`` thresholds (evenly spaced over [0, 1], or the ``thresholds`` given),
    summed as tf_keras sums it: trapezoids (``interpolation``; for PR, Davis & Goadrich's
    interpolation), or the lower (``minoring``) or upper (``majoring``) Riemann sum. A label is
    positive when nonzero, a prediction when above the threshold. With ``multi_label`` each
    column of ``[N, L]`` data has its own curve and the result is their mean (weighted by
    ``label_weights``); otherwise every element counts as one prediction (``label_weights``
    then weighting the columns)."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            inner = sorted(float(t) for t in thresholds)
        else:
            if num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. Received: "
                                 f"num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.thresholds = [0.0 - EPSILON] + inner + [1.0 + EPSILON]
        key = curve if not isinstance(curve, str) else _CURVES.get(curve.lower())
        if key is None:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["PR", '
                             '"ROC", "PR_GAIN"]')
        self.curve = key
        if summation_method not in _SUMMATIONS + tuple(s.capitalize() for s in _SUMMATIONS):
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". '
                             'Expected values are ["interpolation", "majoring", "minoring"]')
        self.summation_method = summation_method.lower()
        super().__init__(name=name, dtype=dtype)
        self.multi_label, self.num_labels = multi_label, num_labels
        if label_weights is not None:
            weights = np.asarray(label_weights, self.dtype.as_numpy_dtype)
            if (weights < 0).any():
                raise ValueError("All values of `label_weights` must be non-negative.")
            label_weights = weights
        self.label_weights = label_weights
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build(num_labels)
        elif num_labels:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        else:
            self._build(None)

    def _build(self, labels):
        shape = (self.num_thresholds,) if labels is None else (self.num_thresholds, labels)
        self.true_positives = self.add_weight("true_positives", shape=shape)
        self.true_negatives = self.add_weight("true_negatives", shape=shape)
        self.false_positives = self.add_weight("false_positives", shape=shape)
        self.false_negatives = self.add_weight("false_negatives", shape=shape)
        if labels is not None:  # built by the first update: initialized now, as tf_keras does
            from .backend import get_session
            get_session()
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = math_ops.cast(K._t(y_pred), self.dtype)
        y_true = math_ops.cast(K._t(y_true), self.dtype)
        if self.multi_label or self.label_weights is not None:
            columns = y_pred.shape[-1] if y_pred.shape.rank else None
            if y_pred.shape.rank != 2:
                raise ValueError("`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                                 f"{y_pred.shape.rank}. Full shape received for `y_pred`: "
                                 f"{y_pred.shape}")
            if self.label_weights is not None and columns is not None and \
                    columns != len(self.label_weights):
                raise ValueError(f"Number of labels is not consistent: y_pred has {columns} "
                                 f"columns and label_weights {len(self.label_weights)}")
        if not self._built:
            self._build(y_pred.shape[-1])
        if self._from_logits:
            y_pred = unary_ops.sigmoid(y_pred)
        t = constant_ops.constant(np.asarray(self.thresholds, self.dtype.as_numpy_dtype))
        weights = fill_zeros_like(y_pred) + 1.0
        if sample_weight is not None:  # expanded at the end, then broadcast (tf_keras)
            w = math_ops.cast(sample_weight, self.dtype)
            for _ in range((K.ndim(y_pred) or 0) - (K.ndim(w) or 0)):
                w = transform_ops.expand_dims(w, -1)
            weights = weights * w
        if self.label_weights is not None and not self.multi_label:
            weights = weights * constant_ops.constant(self.label_weights)
        if self.multi_label:  # [T, N, L]: one curve per column
            label = logic_ops.not_equal(transform_ops.expand_dims(y_true, 0),
                                        K._const(0, y_pred))
            pred = logic_ops.greater(transform_ops.expand_dims(y_pred, 0),
                                     shape_ops.reshape(t, [-1, 1, 1]))
            weights = transform_ops.expand_dims(weights, 0)
        else:  # [T, M]: every element one prediction
            label = logic_ops.not_equal(shape_ops.reshape(y_true, [1, -1]),
                                        K._const(0, y_pred))
            pred = logic_ops.greater(shape_ops.reshape(y_pred, [1, -1]),
                                     transform_ops.expand_dims(t, 1))
            weights = shape_ops.reshape(weights, [1, -1])
        neg_label, neg_pred = logic_ops.logical_not(label), logic_ops.logical_not(pred)
        ups = []
        for var, hit in ((self.true_positives, logic_ops.logical_and(label, pred)),
                         (self.false_positives, logic_ops.logical_and(neg_label, pred)),
                         (self.true_negatives, logic_ops.logical_and(neg_label, neg_pred)),
                         (self.false_negatives, logic_ops.logical_and(label, neg_pred))):
            counted = reduction_ops.reduce_sum(math_ops.cast(hit, self.dtype) * weights, 1)
            ups.append(state_ops.assign_add(var, counted))
        return constant_ops.group(*ups)

    def _mean_over_labels(self, by_threshold):
        """The area: summed over thresholds, then (multi-label) averaged over the labels."""
        if not self.multi_label:
            return reduction_ops.reduce_sum(by_threshold)
        by_label = reduction_ops.reduce_sum(by_threshold, 0)
        if self.label_weights is None:
            return reduction_ops.reduce_mean(by_label)
        w = constant_ops.constant(self.label_weights)
        return math_ops.div_no_nan(reduction_ops.reduce_sum(by_label * w),
                                   reduction_ops.reduce_sum(w))

    def _interpolate_pr_auc(self, tp, fp, fn):
        """Davis & Goadrich's PR interpolation: precision varies as TP / P with TP and P linear
        between thresholds, integrated in closed form (tf_keras' formula)."""
        n = self.num_thresholds
        dtp = tp[:n - 1] - tp[1:]
        p = tp + fp
        dp = p[:n - 1] - p[1:]
        slope = math_ops.div_no_nan(dtp, math_ops.maximum(dp, 0.0))
        intercept = tp[1:] - slope * p[1:]
        ratio = logic_ops.where(
            logic_ops.logical_and(logic_ops.greater(p[:n - 1], 0.0),
                                  logic_ops.greater(p[1:], 0.0)),
            math_ops.div_no_nan(p[:n - 1], math_ops.maximum(p[1:], 0.0)),
            fill_zeros_like(p[1:]) + 1.0)
        return math_ops.div_no_nan(slope * (dtp + intercept * unary_ops.log(ratio)),
                                   math_ops.maximum(tp[1:] + fn[1:], 0.0))

    def result(self):
        tp, fp = self.true_positives.value(), self.false_positives.value()
        tn, fn = self.true_negatives.value(), self.false_negatives.value()
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._mean_over_labels(self._interpolate_pr_auc(tp, fp, fn))
        recall = math_ops.div_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = math_ops.div_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, math_ops.div_no_nan(tp, tp + fp)
        else:  # PR gain: gains are 0 (recall) and 1 (precision) where nothing is positive
            scale = math_ops.div_no_nan(tp + fn, fp + tn)
            none = logic_ops.equal(tp, 0.0)
            zeros = fill_zeros_like(tp)
            x = math_ops.maximum(logic_ops.where(
                none, zeros, 1.0 - scale * math_ops.div_no_nan(fn, tp)), zeros)
            y = logic_ops.where(none, zeros + 1.0, 1.0 - scale * math_ops.div_no_nan(fp, tp))
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[:n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = math_ops.minimum(y[:n - 1], y[1:])
        else:
            heights = math_ops.maximum(y[:n - 1], y[1:])
        return self._mean_over_labels((x[:n - 1] - x[1:]) * heights)

    def reset_states(self):
        if self._built:
            super().reset_states()

    reset_state = reset_states

    def get_config(self):
        weights = self.label_weights
        config = dict(super().get_config(), num_thresholds=self.num_thresholds,
                      curve=self.curve, summation_method=self.summation_method,
                      multi_label=self.multi_label, num_labels=self.num_labels,
                      label_weights=None if weights is None else weights.tolist(),
                      from_logits=self._from_logits)
        if self._init_from_thresholds:  # the end points come back with the constructor
            config["thresholds"] = self.thresholds[1:-1]
        return config


class MeanIoU(Metric):
    """The mean over classes of intersection over union, from a confusion matrix of
    ``num_classes`` (float64 counts, as tf_keras') accumulated over batches; classes that never
    occur in labels or predictions are left out of the mean. Labels and predictions are class
    ids (``sparse_y_true``/``sparse_y_pred``; else the argmax over ``axis``); ``ignore_class``
    drops those labels."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype)
        self.num_classes, self.ignore_class = num_classes, ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.total_cm = self.add_weight("total_confusion_matrix",
                                        shape=(num_classes, num_classes), dtype=_dt.float64)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = K._t(y_true), K._t(y_pred)
        if not self.sparse_y_true:
            y_true = reduction_ops.argmax(y_true, self.axis)
        if not self.sparse_y_pred:
            y_pred = reduction_ops.argmax(y_pred, self.axis)
        y_true = shape_ops.reshape(math_ops.cast(y_true, self.dtype), [-1])
        y_pred = shape_ops.reshape(math_ops.cast(y_pred, self.dtype), [-1])
        weights = None
        if sample_weight is not None:
            weights = shape_ops.reshape(math_ops.cast(sample_weight, self.dtype), [-1])
        if self.ignore_class is not None:
            keep = logic_ops.not_equal(y_true, math_ops.cast(self.ignore_class, self.dtype))
            y_true = boolean_mask(y_true, keep)
            y_pred = boolean_mask(y_pred, keep)
            if weights is not None:
                weights = boolean_mask(weights, keep)
        current = count_ops.confusion_matrix(y_true, y_pred, self.num_classes,
                                             weights=weights, dtype=_dt.float64)
        return state_ops.assign_add(self.total_cm, current)

    def result(self):
        cm = self.total_cm.value()
        rows = math_ops.cast(reduction_ops.reduce_sum(cm, 0), self.dtype)
        cols = math_ops.cast(reduction_ops.reduce_sum(cm, 1), self.dtype)
        tp = math_ops.cast(diag_ops.matrix_diag_part(cm), self.dtype)
        denominator = rows + cols - tp
        valid = reduction_ops.reduce_sum(
            math_ops.cast(logic_ops.not_equal(denominator, 0.0), self.dtype))
        iou = math_ops.div_no_nan(tp, denominator)
        return math_ops.div_no_nan(reduction_ops.reduce_sum(iou), valid)

    def get_config(self):
        return dict(super().get_config(), num_classes=self.num_classes,
                    ignore_class=self.ignore_class, sparse_y_true=self.sparse_y_true,
                    sparse_y_pred=self.sparse_y_pred, axis=self.axis)

