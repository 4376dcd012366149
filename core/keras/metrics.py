"""``tf.keras.metrics``: the metric functions (per-sample values) and the stateful ``Metric``
classes, whose variables accumulate over batches (``update_state``), report (``result``) and
restart (``reset_states``) as tf_keras' do. ``Model.fit`` wraps every compiled metric in one of
these, so an epoch's metric is the weighted mean over all its samples, not of batch means."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..graph import GraphKeys, get_default_graph, name_scope
from ..ops import (constant_ops, gather_ops, logic_ops, math_ops, nn_ops, reduction_ops, shape_ops,
                   state_ops, transform_ops)
from ..ref_variable import Variable
from . import backend_math as K  # noqa: N812 - Keras' own spelling
from . import losses as _losses
from .losses import (KLD, MAE, MAPE, MSE, MSLE, binary_crossentropy, categorical_crossentropy,
                     categorical_hinge, hinge, kld, kullback_leibler_divergence, log_cosh,
                     logcosh, mae, mape, mean_absolute_error, mean_absolute_percentage_error,
                     mean_squared_error, mean_squared_logarithmic_error, mse, msle, poisson,
                     sparse_categorical_crossentropy, squared_hinge)

__all__ = [
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
    "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "BinaryCrossentropy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "Hinge", "SquaredHinge",
    "CategoricalHinge", "KLDivergence", "Poisson", "LogCoshError", "CosineSimilarity",
    "RootMeanSquaredError", "TruePositives", "TrueNegatives", "FalsePositives",
    "FalseNegatives", "Precision", "Recall", "AUC", "MeanIoU", "accuracy", "binary_accuracy",
    "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "cosine_similarity", "cosine_proximity",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "hinge", "squared_hinge", "categorical_hinge", "kullback_leibler_divergence", "kld",
    "logcosh", "mae", "mape", "mse", "msle", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "poisson", "MSE", "MAE", "MAPE", "MSLE", "KLD", "log_cosh", "get", "serialize",
    "deserialize",
]


# -- functions ---------------------------------------------------------------------------------
def accuracy(y_true, y_pred):
    y_pred = K._t(y_pred)
    y_true = math_ops.cast(y_true, y_pred.dtype)
    return math_ops.cast(logic_ops.equal(y_true, y_pred), K._floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_pred = K._t(y_pred)
    y_true = math_ops.cast(y_true, y_pred.dtype)
    y_pred = math_ops.cast(logic_ops.greater(y_pred, K._const(threshold, y_pred)), y_pred.dtype)
    return K.mean(math_ops.cast(logic_ops.equal(y_true, y_pred), K._floatx()), axis=-1)


def categorical_accuracy(y_true, y_pred):
    return math_ops.cast(logic_ops.equal(reduction_ops.argmax(y_true, -1),
                                         reduction_ops.argmax(y_pred, -1)), K._floatx())


def _flat_sparse_labels(y_true, y_pred):
    y_true, y_pred = K._t(y_true), K._t(y_pred)
    if K.ndim(y_true) is not None and K.ndim(y_true) == K.ndim(y_pred):
        y_true = transform_ops.squeeze(y_true, [-1])  # labels (batch, 1), as tf_keras
    return y_true, y_pred


def sparse_categorical_accuracy(y_true, y_pred):
    y_true, y_pred = _flat_sparse_labels(y_true, y_pred)
    pred = math_ops.cast(reduction_ops.argmax(y_pred, -1), K._floatx())
    return math_ops.cast(logic_ops.equal(math_ops.cast(y_true, K._floatx()), pred), K._floatx())


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    return math_ops.cast(nn_ops.in_top_k(y_pred, reduction_ops.argmax(y_true, -1), k),
                         K._floatx())


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Shaped as the labels (tf_keras reshapes the matches back to (batch, 1))."""
    original = K._t(y_true)
    y_true, y_pred = _flat_sparse_labels(original, y_pred)
    hits = math_ops.cast(nn_ops.in_top_k(y_pred, math_ops.cast(y_true, _dt.int32), k),
                         K._floatx())
    return shape_ops.reshape(hits, shape_ops.shape(original)) if y_true is not original \
        else hits


def cosine_similarity(y_true, y_pred, axis=-1):
    """The metric: the cosine similarity itself (the loss is its negative)."""
    return -_losses.cosine_similarity(y_true, y_pred, axis=axis)


cosine_proximity = cosine_similarity


# -- stateful metrics --------------------------------------------------------------------------
class Metric:
    """Accumulating state in non-trainable local variables (initialized by ``get_session``).
    Calling the metric on tensors updates the state and returns the result (graph mode)."""

    def __init__(self, name=None, dtype=None, **kwargs):
        self.name = name or _snake(type(self).__name__)
        self.dtype = _dt.as_dtype(dtype or K._floatx())
        self._weights: list = []
        self.stateful = True
        self.built = True

    def add_weight(self, name, shape=(), initializer="zeros", dtype=None):
        from .backend import track_variable
        dt = _dt.as_dtype(dtype or self.dtype)
        with name_scope(self.name):
            v = Variable(np.zeros(shape, dt.as_numpy_dtype), trainable=False, name=name,
                         collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES],
                         use_resource=None)
        track_variable(v)
        self._weights.append(v)
        return v

    @property
    def variables(self):
        return list(self._weights)

    weights = variables

    def reset_states(self):
        from .backend import batch_set_value
        batch_set_value([(v, np.zeros(v.shape.as_list(), v.dtype.base_dtype.as_numpy_dtype))
                         for v in self._weights])

    reset_state = reset_states

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "update_state" in cls.__dict__:
            cls.update_state = _recording_updates(cls.__dict__["update_state"])

    @property
    def updates(self) -> list:
        """The ops of the ``update_state`` calls so far (graph mode), as Keras' ``add_update``
        keeps them: an EstimatorSpec's ``eval_metric_ops`` may hold the metric itself."""
        return list(self.__dict__.get("_updates", ()))

    def update_state(self, *args, **kwargs):
        raise NotImplementedError("Must be implemented in subclasses.")

    def result(self):
        raise NotImplementedError("Must be implemented in subclasses.")

    def __call__(self, *args, **kwargs):
        update = self.update_state(*args, **kwargs)
        with get_default_graph().control_dependencies([update]):
            return constant_ops.identity(self.result())

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _recording_updates(update_state):
    """``update_state`` keeping its op on the metric (only the outermost call of a subclass
    chain records: a subclass calling super().update_state gives one op)."""
    def wrapped(self, *args, **kwargs):
        if self.__dict__.get("_updating"):
            return update_state(self, *args, **kwargs)
        self._updating = True
        try:
            op = update_state(self, *args, **kwargs)
        finally:
            self._updating = False
        if op is not None:
            self.__dict__.setdefault("_updates", []).append(op)
        return op

    wrapped.__name__, wrapped.__doc__ = update_state.__name__, update_state.__doc__
    wrapped.__wrapped__ = update_state
    return wrapped


def _snake(name):
    import re
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


class _Reduce(Metric):
    def __init__(self, reduction, name, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reduction = reduction
        self.total = self.add_weight("total")
        if reduction == "mean":
            self.count = self.add_weight("count")

    def update_state(self, values, sample_weight=None):
        values = math_ops.cast(values, self.dtype)
        if sample_weight is not None:
            w = math_ops.cast(sample_weight, self.dtype)
            vr, wr = K.ndim(values), K.ndim(w)
            if vr is not None and wr is not None and wr > vr and w.shape[-1] == 1:
                w = transform_ops.squeeze(w, [-1])
            elif vr is not None and wr is not None and vr > wr:
                for _ in range(vr - wr):
                    w = transform_ops.expand_dims(w, -1)
            w = w + fill_zeros_like(values)  # broadcast to the values' shape
            values = values * w
        update_total = state_ops.assign_add(self.total, reduction_ops.reduce_sum(values))
        if self.reduction != "mean":
            return update_total.op
        n = math_ops.cast(shape_ops.size(values), self.dtype) if sample_weight is None \
            else reduction_ops.reduce_sum(w)
        with get_default_graph().control_dependencies([update_total]):
            return state_ops.assign_add(self.count, n).op

    def result(self):
        if self.reduction == "mean":
            return math_ops.div_no_nan(self.total.value(), self.count.value())
        return constant_ops.identity(self.total.value())


def fill_zeros_like(x):
    from ..ops import fill_ops
    return fill_ops.zeros_like(x)


class Mean(_Reduce):
    def __init__(self, name="mean", dtype=None):
        super().__init__("mean", name, dtype)


class Sum(_Reduce):
    def __init__(self, name="sum", dtype=None):
        super().__init__("sum", name, dtype)


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over all samples seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "mean"), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        return super().update_state(values, sample_weight)

    def get_config(self):
        return dict(super().get_config(), **self._fn_kwargs)


def _wrapped(class_name, fn, default_name, **defaults):
    def init(self, name=default_name, dtype=None, **kwargs):
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError(f"__init__() got an unexpected keyword argument "
                            f"'{sorted(unknown)[0]}'")
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **{**defaults, **kwargs})
    return type(class_name, (MeanMetricWrapper,), {"__init__": init,
                                                    "__doc__": f"Keras' {class_name}."})


Accuracy = _wrapped("Accuracy", accuracy, "accuracy")
BinaryAccuracy = _wrapped("BinaryAccuracy", binary_accuracy, "binary_accuracy", threshold=0.5)
CategoricalAccuracy = _wrapped("CategoricalAccuracy", categorical_accuracy,
                               "categorical_accuracy")
SparseCategoricalAccuracy = _wrapped("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                     "sparse_categorical_accuracy")
TopKCategoricalAccuracy = _wrapped("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                   "top_k_categorical_accuracy", k=5)
SparseTopKCategoricalAccuracy = _wrapped("SparseTopKCategoricalAccuracy",
                                         sparse_top_k_categorical_accuracy,
                                         "sparse_top_k_categorical_accuracy", k=5)
MeanSquaredError = _wrapped("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _wrapped("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _wrapped("MeanAbsolutePercentageError",
                                       mean_absolute_percentage_error,
                                       "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _wrapped("MeanSquaredLogarithmicError",
                                       mean_squared_logarithmic_error,
                                       "mean_squared_logarithmic_error")
BinaryCrossentropy = _wrapped("BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
                              from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _wrapped("CategoricalCrossentropy", categorical_crossentropy,
                                   "categorical_crossentropy", from_logits=False,
                                   label_smoothing=0.0)
SparseCategoricalCrossentropy = _wrapped("SparseCategoricalCrossentropy",
                                         sparse_categorical_crossentropy,
                                         "sparse_categorical_crossentropy", from_logits=False,
                                         axis=-1)
Hinge = _wrapped("Hinge", hinge, "hinge")
SquaredHinge = _wrapped("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _wrapped("CategoricalHinge", categorical_hinge, "categorical_hinge")
KLDivergence = _wrapped("KLDivergence", kullback_leibler_divergence,
                        "kullback_leibler_divergence")
Poisson = _wrapped("Poisson", poisson, "poisson")
LogCoshError = _wrapped("LogCoshError", logcosh, "logcosh")
CosineSimilarity = _wrapped("CosineSimilarity", cosine_similarity, "cosine_similarity", axis=-1)


class RootMeanSquaredError(Mean):
    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = K._t(y_pred)
        sq = K.square(y_pred - math_ops.cast(y_true, y_pred.dtype))
        return super().update_state(sq, sample_weight)

    def result(self):
        return K.sqrt(math_ops.div_no_nan(self.total.value(), self.count.value()))


NEG_INF = -1e10  # tf_keras' metrics_utils.NEG_INF: what top_k filtering puts in the others


def _filter_top_k(x, k):
    """``x`` with all but its ``k`` largest entries along the last axis set to NEG_INF
    (tf_keras' _filter_top_k; ties keep the lower index, as TF's top_k)."""
    _, idx = gather_ops.top_k(x, k, sorted=False)
    depth = x.shape[-1] if x.shape.rank and x.shape[-1] is not None else shape_ops.shape(x)[-1]
    mask = reduction_ops.reduce_sum(transform_ops.one_hot(idx, depth, dtype=x.dtype), -2)
    return x * mask + NEG_INF * (1.0 - mask)


class _Confusion(Metric):
    """Counts of confusion-matrix cells per threshold, as tf_keras'
    update_confusion_matrix_variables: a label is positive when nonzero, a prediction when
    above the threshold. ``top_k`` keeps only the k largest predictions of each sample (the
    others count as negative); ``class_id`` counts one column of the last axis only."""

    _cells: tuple = ()

    def __init__(self, thresholds=None, name=None, dtype=None, top_k=None, class_id=None):
        super().__init__(name=name, dtype=dtype)
        if thresholds is not None:
            listed = [thresholds] if np.isscalar(thresholds) else list(thresholds)
            invalid = [t for t in listed if t is None or t < 0 or t > 1]
            if invalid:
                raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
        self.init_thresholds = thresholds
        self.top_k, self.class_id = top_k, class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = [default] if thresholds is None else (
            [thresholds] if np.isscalar(thresholds) else list(thresholds))
        self._acc = {c: self.add_weight(c, shape=(len(self.thresholds),))
                     for c in self._cells}

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = math_ops.cast(K._t(y_pred), self.dtype)
        y_true = math_ops.cast(K._t(y_true), self.dtype)
        if self.top_k is not None:
            y_pred = _filter_top_k(y_pred, self.top_k)
        if self.class_id is not None:  # y[..., class_id, None]
            y_true = gather_ops.gather(y_true, [self.class_id], axis=-1)
            y_pred = gather_ops.gather(y_pred, [self.class_id], axis=-1)
        t = constant_ops.constant(np.asarray(self.thresholds, self.dtype.as_numpy_dtype))
        label = logic_ops.not_equal(shape_ops.reshape(y_true, [1, -1]), K._const(0, y_pred))
        pred = logic_ops.greater(shape_ops.reshape(y_pred, [1, -1]),
                                 transform_ops.expand_dims(t, 1))
        w = None
        if sample_weight is not None:  # expanded at the end, then broadcast (tf_keras)
            w = math_ops.cast(sample_weight, self.dtype)
            for _ in range((K.ndim(y_pred) or 0) - (K.ndim(w) or 0)):
                w = transform_ops.expand_dims(w, -1)
            w = shape_ops.reshape(w + fill_zeros_like(y_pred), [1, -1])
        cells = {"tp": logic_ops.logical_and(label, pred),
                 "fp": logic_ops.logical_and(logic_ops.logical_not(label), pred),
                 "tn": logic_ops.logical_and(logic_ops.logical_not(label),
                                             logic_ops.logical_not(pred)),
                 "fn": logic_ops.logical_and(label, logic_ops.logical_not(pred))}
        ups = []
        for c in self._cells:
            hit = math_ops.cast(cells[c], self.dtype)
            if w is not None:
                hit = hit * w
            ups.append(state_ops.assign_add(self._acc[c], reduction_ops.reduce_sum(hit, 1)))
        return constant_ops.group(*ups)

    def _value(self, c):
        v = self._acc[c].value()
        return v[0] if len(self.thresholds) == 1 else v

    def get_config(self):
        return dict(super().get_config(), thresholds=self.init_thresholds)


def _cell_metric(class_name, cell, default_name):
    def init(self, thresholds=None, name=default_name, dtype=None):
        _Confusion.__init__(self, thresholds=thresholds, name=name, dtype=dtype)
    return type(class_name, (_Confusion,), {
        "__init__": init, "_cells": (cell,), "result": lambda self: self._value(cell),
        "__doc__": f"Keras' {class_name}: the (weighted) count of {cell} per threshold."})


TruePositives = _cell_metric("TruePositives", "tp", "true_positives")
FalsePositives = _cell_metric("FalsePositives", "fp", "false_positives")
TrueNegatives = _cell_metric("TrueNegatives", "tn", "true_negatives")
FalseNegatives = _cell_metric("FalseNegatives", "fn", "false_negatives")


class _Ratio(_Confusion):
    """tp / (tp + other), 0 where nothing was counted: Precision (other = fp) and Recall
    (other = fn), with tf_keras' thresholds, top_k and class_id."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, name=name or _snake(type(self).__name__),
                         dtype=dtype, top_k=top_k, class_id=class_id)

    def result(self):
        tp, other = self._value("tp"), self._value(self._cells[1])
        return math_ops.div_no_nan(tp, tp + other)

    def get_config(self):
        return dict(super().get_config(), top_k=self.top_k, class_id=self.class_id)


class Precision(_Ratio):
    _cells = ("tp", "fp")


class Recall(_Ratio):
    _cells = ("tp", "fn")


from .metrics_auc import AUC, MeanIoU  # noqa: E402 - they build on Metric above


# -- identifiers -------------------------------------------------------------------------------
def _registry() -> dict:
    names = {n: globals()[n] for n in __all__ if n not in ("get", "serialize", "deserialize")}
    names.update(acc=accuracy, ce=categorical_crossentropy, crossentropy=categorical_crossentropy)
    return names


def serialize(metric):
    if isinstance(metric, Metric):
        return {"class_name": type(metric).__name__, "config": metric.get_config()}
    return metric.__name__


def deserialize(config, custom_objects=None):
    found = dict(_registry(), **(custom_objects or {}))
    if isinstance(config, dict):
        cls = found.get(config.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown metric function: {config.get('class_name')}")
        return cls.from_config(config.get("config", {}))
    if config not in found:
        raise ValueError(f"Unknown metric function: {config}. Please ensure this object is "
                         "passed to the `custom_objects` argument.")
    return found[config]


def get(identifier):
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret metric function identifier: {identifier}")
