"""``tf.layers``: TF1's functional layers, built from minitf's ops and variables.

Variables and op names follow TF1's: ``dense/kernel``, ``dense/bias``, ``dense/MatMul``,
``dense/BiasAdd``; a second unnamed layer is ``dense_1``. Kernels start from
``glorot_uniform`` and biases from zeros, as in TF1; ``reuse`` and a scope's ``AUTO_REUSE``
share the variables of a named layer. The layer objects at the end (``tf.layers.Dense(...)``)
are subclasses of TF1's base Layer (core/layers_base.py) that run the same functions. The
transposed, 1-D and separable convolutions and 1-D pooling are in core/layers_conv.py, the 3-D
layers in core/layers_conv3d.py, batch normalization in core/layers_batch_norm.py (built on this
module's helpers, imported at the end).
"""

from __future__ import annotations

import contextlib
import inspect
import re
import threading

import numpy as np

from . import dtypes as _dt
from . import init_ops, nn_impl
from .graph import GraphKeys, Tensor, convert_to_tensor, get_default_graph, name_scope
from .layer_identifiers import activation_of, initializer_of
from .layers_base import (InputSpec, Layer, _activate, _activity, layer_losses_of,
                          layer_variable)
from .ops import (array_ops, concat_split_ops, conv_ops, linalg_ops, logic_ops,
                  math_ops, nn_ops, pool_ops, transform_ops)
from .sparse import sparse_dense_matmul
from .sparse_tensor import SparseTensor
from .tensor_shape import TensorShape
from .variable_scopes import takes_constraint as _getter_takes_constraint
from .variables import get_variable_scope, variable_scope

__all__ = ["dense", "conv2d", "max_pooling2d", "average_pooling2d", "flatten", "dropout",
           "batch_normalization", "Layer", "InputSpec", "Dense", "Conv2D", "MaxPooling2D",
           "AveragePooling2D", "Flatten", "Dropout", "BatchNormalization", "Convolution2D",
           "MaxPool2D", "AvgPool2D",
           # core/layers_conv.py
           "conv2d_transpose", "conv1d", "separable_conv2d", "separable_conv1d",
           "max_pooling1d", "average_pooling1d", "Conv2DTranspose", "Conv1D", "SeparableConv2D",
           "SeparableConv1D", "MaxPooling1D", "AveragePooling1D",
           # core/layers_conv3d.py
           "conv3d", "conv3d_transpose", "max_pooling3d", "average_pooling3d", "Conv3D",
           "Conv3DTranspose", "MaxPooling3D", "AveragePooling3D"]


# Given as ``_scope_out`` by a layer object's call: its scope is already open (layers_base).
_IN_LAYER = object()

# The update-op lists of the layer objects' calls in progress (innermost last), per thread.
_UPDATE_SINKS = threading.local()


@contextlib.contextmanager
def _collecting_updates():
    """Within this, a functional layer's update ops (batch norm's moving averages) go to the
    yielded list, for the layer object calling it to keep and file (TF1's Layer.__call__ puts
    ``layer.updates`` in UPDATE_OPS: none while the layer is not trainable)."""
    sinks = _UPDATE_SINKS.__dict__.setdefault("stack", [])
    sinks.append([])
    try:
        yield sinks[-1]
    finally:
        sinks.pop()


def _file_updates(ops, trainable: bool):
    """A functional layer's update ops: to the calling layer object's list (see
    _collecting_updates), else to UPDATE_OPS unless the layer is not ``trainable`` (TF1's
    function builds a layer object with that ``trainable`` and applies it)."""
    sinks = getattr(_UPDATE_SINKS, "stack", None)
    if sinks:
        sinks[-1].extend(ops)
    elif trainable:
        graph = get_default_graph()
        for op in ops:
            graph.add_to_collection(GraphKeys.UPDATE_OPS, op)


@contextlib.contextmanager
def _scope(name, default_name: str, reuse, scope_out=None):
    """A functional layer's variable scope: ``name`` (unique from ``default_name`` when None).
    Inside a layer object's call, the scope that call opened."""
    if scope_out is _IN_LAYER:
        yield get_variable_scope()
        return
    with variable_scope(name, default_name=default_name, reuse=reuse) as scope:
        yield scope


@contextlib.contextmanager
def getter_outputs_once(outputs: dict):
    """TF1's layers and cells make their weights once, in ``build``, and every later call
    computes with what ``add_weight`` returned then. minitf's compute through functions that
    ask ``get_variable`` at each call: within this, the current variable scope (and any opened
    inside) answers a name already in ``outputs`` (full name -> value) with that value, and
    asks its getters (the scope's custom getter, then the store) only for a new one, recording
    the answer. So a custom getter runs once per weight, as in TF, and its tensors (``v * 2``,
    an EMA average) are shared by every call."""
    scope = get_variable_scope()
    inner = scope.custom_getter
    takes_constraint = inner is None or _getter_takes_constraint(inner)

    def once(getter, name, **kwargs):
        if name in outputs:
            return outputs[name]
        if not takes_constraint:  # as get_variable decides for the scope's getter
            kwargs.pop("constraint", None)
        value = getter(name=name, **kwargs) if inner is None else \
            inner(getter=getter, name=name, **kwargs)
        outputs[name] = value
        return value

    scope.set_custom_getter(once)
    try:
        yield
    finally:
        scope.set_custom_getter(inner)


def split_weights(values) -> tuple:
    """What a TF1 layer tracks of the values its getters returned: (trainable, others), each
    partitioned variable as its parts, filed by the TRAINABLE_VARIABLES collection (a getter's
    tensor, which is in none, is not trainable: TF's legacy add_weight moves it)."""
    trainable = {id(v) for v in get_default_graph().get_collection(
        GraphKeys.TRAINABLE_VARIABLES)}
    seen, out = set(), ([], [])
    for value in values:
        parts = value._get_variable_list() if hasattr(value, "_get_variable_list") \
            else [value]
        for part in parts:
            if id(part) not in seen:
                seen.add(id(part))
                out[0 if id(part) in trainable else 1].append(part)
    return out


def _pair(value, what):
    if isinstance(value, (int, np.integer)):
        return (int(value), int(value))
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"The `{what}` argument must be a tuple of 2 integers. Received: "
                         f"{value}")
    return value


def _padding(padding):
    p = str(padding).upper()
    if p not in ("VALID", "SAME"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return p


def _nhwc(data_format):
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got "
                         f"{data_format!r}")
    return "NHWC" if data_format == "channels_last" else "NCHW"


def _weights(shape, dtype, kernel_initializer, bias_initializer, use_bias, kernel_regularizer,
             bias_regularizer, trainable, bias_units, kernel_constraint=None,
             bias_constraint=None):
    # No kernel initializer: get_variable's default, the enclosing variable_scope's
    # initializer or glorot_uniform (TF1's layers pass None through too).
    kernel, _ = layer_variable("kernel", shape, dtype=dtype,
                               initializer=initializer_of(kernel_initializer),
                               regularizer=kernel_regularizer, trainable=trainable,
                               constraint=kernel_constraint)
    bias = None
    if use_bias:
        bias, _ = layer_variable("bias", [bias_units], dtype=dtype,
                                 initializer=initializer_of(bias_initializer) or
                                 init_ops.zeros_initializer(),
                                 regularizer=bias_regularizer, trainable=trainable,
                                 constraint=bias_constraint)
    return kernel, bias


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=None, kernel_regularizer=None, bias_regularizer=None,
          activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
          trainable=True, name=None, reuse=None, _scope_out=None):
    """``outputs = activation(inputs @ kernel + bias)`` over the last dimension of inputs. A
    rank-2 SparseTensor input is multiplied by SparseTensorDenseMatMul (TF 1.15's Dense)."""
    sparse = isinstance(inputs, SparseTensor)
    if sparse and inputs.shape.rank != 2:
        raise TypeError(f"Dense takes a SparseTensor input of rank 2 only (it multiplies with "
                        f"sparse_tensor_dense_matmul), got shape {inputs.shape}: {inputs!r}")
    if not sparse:
        inputs = convert_to_tensor(inputs)
    depth = inputs.shape[-1].value if inputs.shape.rank else None
    if depth is None:
        raise ValueError("The last dimension of the inputs to `Dense` should be defined. "
                         "Found `None`.")
    with _scope(name, "dense", reuse, _scope_out):
        kernel, bias = _weights([depth, int(units)], inputs.dtype, kernel_initializer,
                                bias_initializer, use_bias, kernel_regularizer,
                                bias_regularizer, trainable, int(units), kernel_constraint,
                                bias_constraint)
        if sparse:
            out = sparse_dense_matmul(inputs, kernel)
        elif inputs.shape.rank == 2:
            out = linalg_ops.matmul(inputs, kernel)
        else:  # over the last axis: flatten the others, multiply, restore them
            leading = array_ops.shape(inputs)[:-1]
            flat = linalg_ops.matmul(array_ops.reshape(inputs, [-1, depth]), kernel)
            out = array_ops.reshape(flat, concat_split_ops.concat([leading, [int(units)]], 0))
            out.set_shape(inputs.shape[:-1].concatenate([int(units)]))
        if bias is not None:
            out = nn_ops.bias_add(out, bias)
        return _activity(_activate(activation, out),
                         activity_regularizer)


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1), activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None, _scope_out=None):
    """A 2-D convolution layer: kernel ``[kh, kw, in_channels, filters]`` and a bias."""
    inputs = convert_to_tensor(inputs)
    fmt = _nhwc(data_format)
    if inputs.shape.rank != 4:
        raise ValueError(f"Input 0 of layer conv2d is incompatible with the layer: expected "
                         f"ndim=4, found ndim={inputs.shape.rank}")
    channels = inputs.shape[3 if fmt == "NHWC" else 1].value
    if channels is None:
        raise ValueError("The channel dimension of the inputs should be defined. Found `None`.")
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(strides, "strides")
    dh, dw = _pair(dilation_rate, "dilation_rate")
    if max(sh, sw) > 1 and max(dh, dw) > 1:
        raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                         f"Received: strides={[sh, sw]} and dilation_rate={[dh, dw]}")
    with _scope(name, "conv2d", reuse, _scope_out):
        kernel, bias = _weights([kh, kw, channels, int(filters)], inputs.dtype,
                                kernel_initializer, bias_initializer, use_bias,
                                kernel_regularizer, bias_regularizer, trainable, int(filters),
                                kernel_constraint, bias_constraint)
        stride = [1, sh, sw, 1] if fmt == "NHWC" else [1, 1, sh, sw]
        # As Keras: the convolution is named after the layer class ("conv2d/Conv2D"); a
        # dilation runs it between SpaceToBatchND and BatchToSpaceND (tf.nn.convolution).
        with name_scope("Conv2D") as conv_scope:
            def op(converted, _, pad):
                return conv_ops.conv2d(converted, kernel, strides=stride, padding=pad,
                                       data_format=fmt, name=conv_scope)

            out = nn_impl.with_space_to_batch(inputs, [dh, dw], _padding(padding), op,
                                              filter_shape=[kh, kw], data_format=fmt)
        if bias is not None:
            out = nn_ops.bias_add(out, bias, data_format=fmt)
        return _activity(_activate(activation, out),
                         activity_regularizer)


def _pooling(op, default_name):
    def layer(inputs, pool_size, strides, padding="valid", data_format="channels_last",
              name=None, _scope_out=None):
        fmt = _nhwc(data_format)
        ph, pw = _pair(pool_size, "pool_size")
        sh, sw = _pair(strides, "strides")
        ksize = [1, ph, pw, 1] if fmt == "NHWC" else [1, 1, ph, pw]
        stride = [1, sh, sw, 1] if fmt == "NHWC" else [1, 1, sh, sw]
        with _scope(name, default_name, None, _scope_out):
            return op(inputs, ksize, stride, _padding(padding), data_format=fmt)
    layer.__name__ = default_name
    layer.__doc__ = f"A 2-D {default_name.split('_')[0]} pooling layer (``{op.__name__}``)."
    return layer


max_pooling2d = _pooling(pool_ops.max_pool, "max_pooling2d")
average_pooling2d = _pooling(pool_ops.avg_pool, "average_pooling2d")


def flatten(inputs, name=None, data_format="channels_last", _scope_out=None):
    """``[batch, ...]`` to ``[batch, everything else]``."""
    inputs = convert_to_tensor(inputs)
    with _scope(name, "flatten", None, _scope_out):
        if data_format == "channels_first" and inputs.shape.rank and inputs.shape.rank > 2:
            inputs = transform_ops.transpose(inputs,
                                             [0] + list(range(2, inputs.shape.rank)) + [1])
        rest = inputs.shape[1:].num_elements() if inputs.shape.rank else None
        if rest is not None:
            return array_ops.reshape(inputs, [-1, rest])
        return array_ops.reshape(inputs, [array_ops.shape(inputs)[0], -1])


def _select(training, if_true, if_false):
    """TF1's smart_cond(training, ...) as a select: both computed, one chosen. A tf.cond
    would skip one, but these branches are cheap and free of side effects, and a select keeps
    the layers' graphs plain dataflow. The result has the branches' shape (a ``training``
    placeholder of unknown rank must not make it unknown, as tf.cond does not)."""
    out = logic_ops.where_v2(math_ops.cast(training, "bool"), if_true, if_false)
    out.set_shape(if_true.shape.merge_with(if_false.shape))
    return out


def fill_noise_shape(inputs, noise_shape):
    """A dropout layer's ``noise_shape`` with its None entries taken from ``inputs``' shape
    (static where known), as Keras' Dropout layer (and so TF1's tf.layers) fills them."""
    if noise_shape is None or isinstance(noise_shape, Tensor):
        return noise_shape
    noise_shape = list(noise_shape)
    if all(v is not None for v in noise_shape):
        return noise_shape
    if inputs.shape.rank is not None and inputs.shape.rank != len(noise_shape):
        raise ValueError(f"noise_shape {noise_shape} has {len(noise_shape)} entries; the "
                         f"inputs have rank {inputs.shape.rank}")
    dims = inputs.shape.as_list() if inputs.shape.rank is not None else None
    dynamic = array_ops.shape(inputs)
    out = [(dims[i] if dims is not None and dims[i] is not None else dynamic[i])
           if value is None else value for i, value in enumerate(noise_shape)]
    if all(isinstance(v, (int, np.integer)) for v in out):
        return [int(v) for v in out]
    return concat_split_ops.stack(out)


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None,
            _scope_out=None):
    """Drops a fraction ``rate`` of the inputs (scaling the rest by ``1 / (1 - rate)``) when
    ``training``; the identity otherwise. A ``training`` tensor selects at run time: where TF1
    builds a tf.cond, minitf computes both the dropped and the plain values and picks one
    (see _select)."""
    inputs = convert_to_tensor(inputs)
    with _scope(name, "dropout", None, _scope_out):
        noise_shape = fill_noise_shape(inputs, noise_shape)
        if isinstance(training, (bool, np.bool_)):
            if not training:
                return array_ops.identity(inputs)
            return nn_impl.dropout(inputs, rate=rate, noise_shape=noise_shape, seed=seed)
        dropped = nn_impl.dropout(inputs, rate=rate, noise_shape=noise_shape, seed=seed)
        return _select(training, dropped, inputs)


# -- layer objects: tf.layers.Dense(...)(inputs) -------------------------------------------------
def linear(x):
    """The identity: a layer's ``activation`` when none is given (Keras' ``linear``)."""
    return x


def normalize_tuple(value, n: int, name: str, allow_zero: bool = False) -> tuple:
    """Keras' conv_utils.normalize_tuple: an int or ``n`` ints as a tuple of ``n`` ints, each
    > 0 (>= 0 with ``allow_zero``), with Keras' messages."""
    error = f"The `{name}` argument must be a tuple of {n} integers. Received: {value}"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(error) from None
        if len(values) != n:
            raise ValueError(error)
        for v in values:
            try:
                int(v)
            except (ValueError, TypeError):
                raise ValueError(f"{error}including element {v} of type {type(v)}") from None
    bad = {v for v in values if (v < 0 if allow_zero else v <= 0)}
    if bad:
        raise ValueError(f"{error} including {bad} that does not satisfy the requirement "
                         f"`{'>= 0' if allow_zero else '> 0'}`.")
    return values


def _normalize_padding(value):
    padding = value.lower() if isinstance(value, str) else value
    if padding not in ("valid", "same", "causal"):
        raise ValueError('The `padding` argument must be a list/tuple or one of "valid", "same" '
                         f'(or "causal", only for `Conv1D). Received: {value}')
    return padding


def _normalize_data_format(value):
    data_format = "channels_last" if value is None else str(value).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError('The `data_format` argument must be one of "channels_first", '
                         f'"channels_last". Received: {value}')
    return data_format


def _normalized(config: dict, rank: int | None, is_conv: bool) -> dict:
    """The attributes TF's layer objects show for their arguments: tuples of ``rank`` ints,
    lower-case padding, ``linear`` for no activation... (validated as TF does)."""
    out = dict(config)
    for key in ("kernel_size", "pool_size", "dilation_rate"):
        if key in out and rank is not None:
            out[key] = normalize_tuple(out[key], rank, key)
    if "strides" in out and rank is not None:
        strides = out["strides"] if out["strides"] is not None else out.get("pool_size")
        out["strides"] = normalize_tuple(strides, rank, "strides", allow_zero=True)
        if is_conv and not all(out["strides"]):
            raise ValueError(f"The argument `strides` cannot contains 0(s). Received: "
                             f"{out['strides']}")
    if "padding" in out:
        out["padding"] = _normalize_padding(out["padding"])
    if "data_format" in out:
        out["data_format"] = _normalize_data_format(out["data_format"])
    if "activation" in out:  # a Keras name is the function, as Keras' activations.get
        out["activation"] = activation_of(out["activation"]) or linear
    if "units" in out:
        out["units"] = int(out["units"])
    if "filters" in out:
        filters = int(out["filters"]) if isinstance(out["filters"], float) else out["filters"]
        if filters is not None and filters <= 0:
            raise ValueError("Invalid value for argument `filters`. Expected a strictly "
                             f"positive value. Received filters={filters}.")
        out["filters"] = filters
    return out


class _FunctionLayer(Layer):
    """A built-in layer object over its functional layer (``_fn``): the function's arguments
    (but inputs, and ``training`` which goes to the call) are given once, at construction,
    and show as attributes (normalised as TF's: ``kernel_size == (3, 3)``). Calls run the
    function inside the base Layer's scope, so the first makes the variables and later ones,
    wherever they are made, reuse them: as TF's build, the first asks the scope's getters for
    each weight and later ones compute with their answers (getter_outputs_once), which are what
    ``layer.kernel`` is and the layer tracks."""

    _fn = None  # the functional layer
    _call_args: tuple = ()  # arguments given per call (``training``)
    _rank: int | None = None  # of the convolution or pooling: 1, 2 or 3

    def __init__(self, *args, name=None, dtype=None, **kwargs):
        params = [p for p in self._params().values()
                  if p.name not in ("inputs", "name", "reuse", "_scope_out") + self._call_args]
        try:
            bound = inspect.Signature(params).bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{type(self).__name__}: {e}") from None
        self._config = dict(bound.arguments)
        defaults = {p.name: p.default for p in params}
        self._attrs = _normalized({**defaults, **self._config}, self._rank,
                                  "filters" in defaults)
        super().__init__(trainable=self._attrs.get("trainable", True), name=name, dtype=dtype)

    @classmethod
    def _params(cls):
        return inspect.signature(cls._fn).parameters

    def __getattr__(self, key):  # the configuration: layer.units, layer.kernel_size...
        attrs = self.__dict__.get("_attrs", {})
        if key in attrs and key != "trainable":
            return attrs[key]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {key!r}")

    def call(self, inputs, *args, **kwargs):
        # Its weights are what the getters returned on the first call (TF's build), which
        # later calls reuse; it tracks those, as TF's add_weight does.
        outputs = self.__dict__.setdefault("_getter_outputs", {})
        with getter_outputs_once(outputs), layer_losses_of() as own, \
                _collecting_updates() as made:
            out = type(self)._fn(inputs, *args, **kwargs, **self._config, _scope_out=_IN_LAYER)
        self._track(sum(split_weights(outputs.values()), []))
        # Its weights' own regularizers (first call; the variable scope's are the graph's
        # only) and its activity regularizer (each call).
        self._losses += own
        # kept whether or not it is trainable: ``updates`` (and so UPDATE_OPS, which the base
        # __call__ fills from it) shows them only while it is, as TF1's
        self._updates += made
        return out

    def compute_output_shape(self, input_shape):
        """The static shape of its output for ``input_shape``: the function built on a
        placeholder in a scratch graph."""
        from .graph import Graph

        with Graph().as_default():
            x = array_ops.placeholder(self.dtype or _dt.float32, TensorShape(input_shape))
            return type(self)._fn(x, **self._config).shape

    def get_config(self) -> dict:
        config = {k: v for k, v in self._attrs.items() if k != "trainable"}
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype, **config}

    def _variable(self, suffix):
        """``layer.kernel``...: what the getters returned for it (the variable, or a custom
        getter's value), as TF's add_weight; None before the first call."""
        for name, value in self.__dict__.get("_getter_outputs", {}).items():
            if name.endswith("/" + suffix):
                return value
        return None


def _layer(fn, class_name, call_args=(), variables=()):
    rank = re.search(r"([123])D", class_name)
    attrs = {"_fn": staticmethod(fn), "_call_args": tuple(call_args),
             "_default_name": fn.__name__, "_rank": int(rank.group(1)) if rank else None,
             "__doc__": f"TF1's ``tf.layers.{class_name}``: ``tf.layers.{fn.__name__}`` as an "
                        "object (see _FunctionLayer)."}
    for v in variables:  # dense.kernel, batch_normalization.moving_mean...
        attrs[v] = property(lambda self, v=v: self._variable(v))
    return type(class_name, (_FunctionLayer,), attrs)


Dense = _layer(dense, "Dense", variables=("kernel", "bias"))
Conv2D = _layer(conv2d, "Conv2D", variables=("kernel", "bias"))
MaxPooling2D = _layer(max_pooling2d, "MaxPooling2D")
AveragePooling2D = _layer(average_pooling2d, "AveragePooling2D")
Flatten = _layer(flatten, "Flatten")
Dropout = _layer(dropout, "Dropout", call_args=("training",))
Convolution2D, MaxPool2D, AvgPool2D = Conv2D, MaxPooling2D, AveragePooling2D

# The other convolution and pooling layers, built on the helpers above.
from .layers_conv import (AveragePooling1D, Conv1D, Conv2DTranspose, MaxPooling1D,  # noqa: E402
                          SeparableConv1D, SeparableConv2D, average_pooling1d, conv1d,
                          conv2d_transpose, max_pooling1d, separable_conv1d, separable_conv2d)
from .layers_conv3d import (AveragePooling3D, Conv3D, Conv3DTranspose,  # noqa: E402
                            MaxPooling3D, average_pooling3d, conv3d, conv3d_transpose,
                            max_pooling3d)
from .layers_batch_norm import batch_normalization  # noqa: E402

BatchNormalization = _layer(batch_normalization, "BatchNormalization", call_args=("training",),
                            variables=("gamma", "beta", "moving_mean", "moving_variance"))
