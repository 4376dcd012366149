"""``tf.keras.losses``: the loss functions (per-sample values: the mean over the last axis) and
the ``Loss`` classes that reduce them with sample weights, as tf_keras defines them.

A ``Loss`` object's default reduction is SUM_OVER_BATCH_SIZE: ``sum(weights * losses)`` over the
number of loss elements, which is what ``Model.compile`` uses for each output."""

from __future__ import annotations

from .. import dtypes as _dt
from ..graph import name_scope
from ..ops import logic_ops, math_ops, nn_ops, reduction_ops, shape_ops, transform_ops
from . import backend_math as K  # noqa: N812 - Keras' own spelling
from . import backend_ops as KO  # noqa: N812

__all__ = [
    "Loss", "LossFunctionWrapper", "Reduction", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "BinaryCrossentropy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "Hinge", "SquaredHinge",
    "CategoricalHinge", "KLDivergence", "Poisson", "CosineSimilarity", "LogCosh", "Huber",
    "mean_squared_error", "mse", "MSE", "mean_absolute_error", "mae", "MAE",
    "mean_absolute_percentage_error", "mape", "MAPE", "mean_squared_logarithmic_error", "msle",
    "MSLE", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "hinge", "squared_hinge", "categorical_hinge", "kullback_leibler_divergence", "kld", "KLD",
    "kl_divergence", "poisson", "cosine_similarity", "cosine_proximity", "logcosh", "log_cosh",
    "huber", "huber_loss", "get", "serialize", "deserialize", "compute_weighted_loss",
]


class Reduction:
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"
    AUTO = "auto"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError(f'Invalid Reduction Key: {key}. Expected keys are "{cls.all()}"')


def _pair(y_true, y_pred):
    y_pred = K._t(y_pred)
    return math_ops.cast(y_true, y_pred.dtype), y_pred


def _eps_of(x):
    return K._const(K._eps(), x)


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return K.mean(K.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return K.mean(K.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    diff = K.abs((y_true - y_pred) / math_ops.maximum(K.abs(y_true), _eps_of(y_pred)))
    return 100.0 * K.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    e = _eps_of(y_pred)
    first = K.log(math_ops.maximum(y_pred, e) + 1.0)
    second = K.log(math_ops.maximum(y_true, e) + 1.0)
    return K.mean(K.square(first - second), axis=-1)


def _maybe_convert_labels(y_true):
    """tf_keras' hinge losses: labels that are all 0/1 become -1/1."""
    is_binary = K.all(logic_ops.logical_or(logic_ops.equal(y_true, 0.0),
                                           logic_ops.equal(y_true, 1.0)))
    return KO.switch(is_binary, lambda: 2.0 * y_true - 1.0, lambda: y_true)


def hinge(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    return K.mean(math_ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    return K.mean(K.square(math_ops.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    pos = K.sum(y_true * y_pred, axis=-1)
    neg = K.max((1.0 - y_true) * y_pred, axis=-1)
    return math_ops.maximum(neg - pos + 1.0, 0.0)


def kullback_leibler_divergence(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = K.clip(y_true, K._eps(), 1)
    y_pred = K.clip(y_pred, K._eps(), 1)
    return K.sum(y_true * K.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return K.mean(y_pred - y_true * K.log(y_pred + _eps_of(y_pred)), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """The loss: minus the cosine similarity (so minimizing aligns the vectors)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return -K.sum(K.l2_normalize(y_true, axis=axis) * K.l2_normalize(y_pred, axis=axis),
                  axis=axis)


def logcosh(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    return K.mean(x + nn_ops.softplus(-2.0 * x) - math_ops.cast(0.6931471805599453, x.dtype),
                  axis=-1)


def huber(y_true, y_pred, delta=1.0):
    y_true, y_pred = _pair(y_true, y_pred)
    error = y_pred - y_true
    abs_error = K.abs(error)
    d = K._const(delta, error)
    half = K._const(0.5, error)
    return K.mean(KO.switch(abs_error <= d, half * K.square(error),
                           d * abs_error - half * K.square(d)), axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return K.mean(KO.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        n = math_ops.cast(shape_ops.shape(y_true)[-1], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / n
    return KO.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    return KO.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits,
                                             axis=axis)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence = kullback_leibler_divergence
cosine_proximity = cosine_similarity
log_cosh = logcosh
huber_loss = huber


# -- reduction ---------------------------------------------------------------------------------
def compute_weighted_loss(losses, sample_weight=None, reduction=Reduction.SUM_OVER_BATCH_SIZE):
    """``losses * sample_weight`` (a weight of one rank more is squeezed, of lower rank
    expanded, as Keras' squeeze_or_expand_dimensions; then they broadcast), reduced: NONE
    keeps it, SUM sums, SUM_OVER_BATCH_SIZE divides the sum by the number of elements."""
    Reduction.validate(reduction)
    losses = K._t(losses)
    if losses.dtype.base_dtype != _dt.as_dtype(K._floatx()) and losses.dtype.is_integer:
        losses = math_ops.cast(losses, K._floatx())
    if sample_weight is not None:
        w = math_ops.cast(sample_weight, losses.dtype)
        lr, wr = K.ndim(losses), K.ndim(w)
        if lr is not None and wr is not None:
            if lr == 0 and wr == 1:
                # A loss function that already reduced to a scalar (a custom `K.mean(...)`):
                # fit's per-sample weights (ones unless given) scale it by their mean.
                w = reduction_ops.reduce_mean(w)
            elif wr == lr + 1:
                w = transform_ops.squeeze(w, [-1])
            elif 0 < wr < lr:
                # per-sample weights of a loss kept per pixel (a conv output's mse) broadcast
                # over the other axes, so each sample's mean is weighted (TF broadcasts its
                # unfed default weight [1.] so; Keras 2.2 averaged those axes first)
                for _ in range(lr - wr):
                    w = transform_ops.expand_dims(w, -1)
        weighted = losses * w
    else:
        weighted = losses
    if reduction == Reduction.NONE:
        return weighted
    total = reduction_ops.reduce_sum(weighted)
    if reduction == Reduction.SUM:
        return total
    n = math_ops.cast(shape_ops.size(weighted), losses.dtype)
    return math_ops.div_no_nan(total, n)


class Loss:
    """Base class: ``call(y_true, y_pred)`` gives per-sample losses; ``__call__`` weights and
    reduces them."""

    def __init__(self, reduction=Reduction.AUTO, name=None):
        Reduction.validate(reduction)
        self.reduction = reduction
        self.name = name

    def __call__(self, y_true, y_pred, sample_weight=None):
        # A wrapped lambda is named '<lambda>', no valid scope name: TF's Loss uses 'lambda'.
        scope = "lambda" if self.name == "<lambda>" else self.name
        scope = scope or type(self).__name__.lower()
        with name_scope(scope):
            losses = self.call(y_true, y_pred)
            reduction = self.reduction
            if reduction == Reduction.AUTO:
                reduction = Reduction.SUM_OVER_BATCH_SIZE
            return compute_weighted_loss(losses, sample_weight, reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError("Must be implemented in subclasses.")

    def get_config(self):
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    def __init__(self, fn, reduction=Reduction.AUTO, name=None, **kwargs):
        super().__init__(reduction=reduction, name=name)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = dict(self._fn_kwargs)
        config.update(super().get_config())
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("fn", None)  # tf_keras writes the wrapped function's name: the class's own
        if "ignore_class" in config:  # tf_keras' SparseCategoricalCrossentropy (TF 2.10+)
            if config.pop("ignore_class") is not None:
                raise ValueError(f"{cls.__name__}: ignore_class (tf_keras') is not supported "
                                 "by TF 1.x's Keras")
        return cls(**config)


def _wrapper(class_name, fn, default_name, **defaults):
    def __init__(self, reduction=Reduction.AUTO, name=default_name, **kwargs):  # noqa: N807
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError(f"__init__() got an unexpected keyword argument "
                            f"'{sorted(unknown)[0]}'")
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name,
                                     **{**defaults, **kwargs})
    return type(class_name, (LossFunctionWrapper,), {"__init__": __init__,
                                                      "__doc__": f"Keras' {class_name}."})


MeanSquaredError = _wrapper("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _wrapper("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _wrapper("MeanAbsolutePercentageError",
                                       mean_absolute_percentage_error,
                                       "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _wrapper("MeanSquaredLogarithmicError",
                                       mean_squared_logarithmic_error,
                                       "mean_squared_logarithmic_error")
BinaryCrossentropy = _wrapper("BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
                              from_logits=False, label_smoothing=0.0, axis=-1)
CategoricalCrossentropy = _wrapper("CategoricalCrossentropy", categorical_crossentropy,
                                   "categorical_crossentropy", from_logits=False,
                                   label_smoothing=0.0, axis=-1)
# (No axis, as TF 1.x's and tf_keras': its config would not load there.)
SparseCategoricalCrossentropy = _wrapper("SparseCategoricalCrossentropy",
                                         sparse_categorical_crossentropy,
                                         "sparse_categorical_crossentropy", from_logits=False)
Hinge = _wrapper("Hinge", hinge, "hinge")
SquaredHinge = _wrapper("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _wrapper("CategoricalHinge", categorical_hinge, "categorical_hinge")
KLDivergence = _wrapper("KLDivergence", kullback_leibler_divergence, "kl_divergence")
Poisson = _wrapper("Poisson", poisson, "poisson")
CosineSimilarity = _wrapper("CosineSimilarity", cosine_similarity, "cosine_similarity", axis=-1)
LogCosh = _wrapper("LogCosh", logcosh, "log_cosh")
Huber = _wrapper("Huber", huber, "huber_loss", delta=1.0)


# -- identifiers -------------------------------------------------------------------------------
def _registry() -> dict:
    names = {n: globals()[n] for n in __all__ if n not in ("get", "serialize", "deserialize",
                                                          "compute_weighted_loss", "Reduction")}
    return names


def serialize(loss):
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    if callable(loss) and getattr(loss, "__name__", None) in _registry():
        return loss.__name__
    raise ValueError(f"Cannot serialize {loss!r}")


def deserialize(name, custom_objects=None):
    found = dict(_registry(), **(custom_objects or {}))
    if isinstance(name, dict):
        cls = found.get(name.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown loss function: {name.get('class_name')}")
        return cls.from_config(name.get("config", {})) if isinstance(cls, type) else cls
    if name not in found:
        raise ValueError(f"Unknown loss function: {name}. Please ensure this object is passed "
                         "to the `custom_objects` argument.")
    return found[name]


def get(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss function identifier: {identifier}")
