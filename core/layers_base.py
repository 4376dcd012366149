"""TF1's base layer, ``tf.layers.Layer``, and ``tf.layers.InputSpec`` (core/layers.py exports
them; its Dense, Conv2D... are subclasses).

The contract is TF1's legacy layer (tf_keras/legacy_tf_layers/base.py): a layer's first call
(or first ``add_weight``) fixes its variable scope, made unique from its name (``my_layer``,
``my_layer_1``); every call opens that scope and its first name scope again, so variables are
``<scope>/<name>`` and shared by later calls, and ops are ``my_layer/MatMul``,
``my_layer/MatMul_1``. The first call runs ``build(input_shape)`` (a TensorShape, or the
structure of the inputs' shapes) before ``call``.

A weight's regularizers are TF1's two (legacy base.py add_weight): ``tf.get_variable`` applies
the variable scope's regularizer (``<scope>/<name>/Regularizer/...``), and the layer applies its
own besides, to a new variable only, in its name scope (``<name>/Regularizer``); ``layer_variable``
does both for layers that make their variables without ``add_weight``.
"""

from __future__ import annotations

import contextlib
import inspect
import re
import threading
import weakref

import numpy as np

from . import dtypes as _dt
from . import nest_util as nest
from .nest import flatten as _flatten_inputs  # a SparseTensor input stays one input
from .nest import pack_sequence_as as _pack_inputs
from .graph import GraphKeys, Tensor, convert_to_tensor, get_default_graph, name_scope
from .layer_identifiers import activation_of, initializer_of, regularizer_of
from .ops import array_ops, math_ops
from .tensor_shape import TensorShape
from .variables import get_variable, trainable_variables, variable_scope

__all__ = ["Layer", "InputSpec", "layer_variable", "layer_losses_of"]

# Per graph, how many layers of each default name were made: TF1 numbers them per graph.
_NAME_UIDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

# Keyword arguments Keras' base layer accepts besides trainable, name and dtype.
_ALLOWED_KWARGS = {"input_shape", "batch_input_shape", "batch_size", "weights",
                   "activity_regularizer", "autocast", "implementation", "_scope", "_reuse"}


def _to_snake_case(name: str) -> str:
    """Keras' to_snake_case: ``MyLayer`` -> ``my_layer``, ``_Private`` -> ``private__private``."""
    name = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return name if name[0] != "_" else "private" + name


def _unique_layer_name(base: str) -> str:
    uids = _NAME_UIDS.setdefault(get_default_graph(), {})
    count = uids.get(base, 0)
    uids[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def _add_to_collection(elements, key):
    """Adds what is not there yet (by identity: tensors overload ==)."""
    collection = get_default_graph().get_collection_ref(key)
    present = {id(e) for e in collection}
    for e in elements:
        if id(e) not in present:
            collection.append(e)
            present.add(id(e))


def _global_ids() -> set:
    return {id(v) for v in get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES)}


def _weight_regularization(name, variable, regularizer, existing) -> list:
    """TF1's layer regularizer on a weight it made (Keras' _handle_weight_regularization):
    ``regularizer`` of each part (a partitioned variable's too) in the name scope
    ``<name>/Regularizer`` of the current one, added to REGULARIZATION_LOSSES. Nothing for a
    reused variable (one already among the ``existing`` ids), whose losses were made once."""
    parts = list(variable) if hasattr(variable, "_get_variable_list") else [variable]
    if regularizer is None or any(id(v) in existing for v in parts):
        return []
    graph = get_default_graph()
    losses = []
    for part in parts:
        with graph.name_scope(name + "/Regularizer"):
            loss = regularizer(part)
        if loss is not None:
            losses.append(convert_to_tensor(loss))
    _add_to_collection(losses, GraphKeys.REGULARIZATION_LOSSES)
    return losses


# Lists that also receive layer_variable's and _activity's losses: the innermost is the layer
# object's whose call is running (layer_losses_of), whose ``losses`` count them but not the
# variable scope's.
# Per thread, as graphs may be built in several.
_LAYER_LOSS_SINKS = threading.local()


def _sinks() -> list:
    return _LAYER_LOSS_SINKS.__dict__.setdefault("stack", [])


def _to_layer_losses(losses):
    if _sinks():
        _sinks()[-1].extend(losses)


@contextlib.contextmanager
def layer_losses_of():
    """Gathers the losses of a layer's own regularizers that ``layer_variable`` and
    ``_activity`` make inside, into the list it yields (in order)."""
    sink: list = []
    _sinks().append(sink)
    try:
        yield sink
    finally:
        _sinks().pop()


def layer_variable(name, shape=None, regularizer=None, **kwargs):
    """A layer's weight as TF1 makes it: ``tf.get_variable(name, shape, **kwargs)`` without
    the layer's ``regularizer``, so the variable scope's applies (as for any variable), then
    the layer's own in the current name scope (the layer's) if the variable is new. Returns
    the variable and the layer's losses (what ``Layer.losses`` counts)."""
    existing, version = _global_ids(), get_default_graph().version
    variable = get_variable(name, shape, **kwargs)
    if get_default_graph().version == version:  # nothing made: a getter's earlier answer
        regularizer = None  # (getter_outputs_once), whose losses were made with it
    losses = _weight_regularization(name, variable, regularizer_of(regularizer), existing)
    _to_layer_losses(losses)
    return variable, losses


def _activate(activation, outputs):
    """``activation(outputs)``: a callable, a Keras name such as "relu", or None (linear)."""
    activation = activation_of(activation)
    return outputs if activation is None else activation(outputs)


def _activity(outputs, activity_regularizer):
    """TF1's base Layer on a layer's outputs: ``activity_regularizer(outputs)`` divided by the
    batch size (so its strength does not depend on the batch), under the name scope
    "<layer>/ActivityRegularizer", added to REGULARIZATION_LOSSES."""
    activity_regularizer = regularizer_of(activity_regularizer)
    if activity_regularizer is None:
        return outputs
    with name_scope("ActivityRegularizer"):
        loss = convert_to_tensor(activity_regularizer(outputs))
        batch_size = math_ops.cast(array_ops.shape(outputs)[0], loss.dtype)
        loss = math_ops.truediv(loss, batch_size)
        get_default_graph().add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
    _to_layer_losses([loss])
    return outputs


class InputSpec:
    """TF1's ``tf.layers.InputSpec``: the rank, dtype and shape a layer accepts, checked at
    each call with Keras' messages."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = _dt.as_dtype(dtype).name if dtype is not None else None
        shape = TensorShape(shape)
        self.shape = None if shape.rank is None else tuple(shape.as_list())
        self.ndim = ndim if self.shape is None else len(self.shape)
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.allow_last_axis_squeeze, self.name, self.optional = \
            allow_last_axis_squeeze, name, optional
        try:
            self.axes = {int(k): v for k, v in (axes or {}).items()}
        except (ValueError, TypeError, AttributeError):
            raise TypeError(f"Argument `axes` must be a dict with integer keys. Received: "
                            f"axes={axes}") from None

    def __repr__(self):
        spec = [f"dtype={self.dtype}" if self.dtype else "",
                f"shape={self.shape}" if self.shape else "",
                f"ndim={self.ndim}" if self.ndim else "",
                f"max_ndim={self.max_ndim}" if self.max_ndim else "",
                f"min_ndim={self.min_ndim}" if self.min_ndim else "",
                f"axes={self.axes}" if self.axes else ""]
        return f"InputSpec({', '.join(x for x in spec if x)})"


def _check_input_spec(input_spec, inputs, layer_name):
    """Keras' assert_input_compatibility (rank, dtype, axes and shape; one spec or a list)."""
    if input_spec is None:
        return
    specs = nest.flatten(input_spec)
    xs = _flatten_inputs(inputs)
    if len(xs) != len(specs):
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
                         f"{len(xs)} input tensors. Inputs received: {inputs}")
    where = 'Input {} of layer "' + layer_name + '" is incompatible with the layer: '
    for i, (x, spec) in enumerate(zip(xs, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        shape = TensorShape(x.shape)
        if shape.rank is None:
            return
        ndim, dims = shape.rank, shape.as_list()
        full = f"Full shape received: {tuple(dims)}"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(where.format(i) + f"expected ndim={spec.ndim}, found ndim={ndim}. "
                             + full)
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(where.format(i) + f"expected max_ndim={spec.max_ndim}, found "
                             f"ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(where.format(i) + f"expected min_ndim={spec.min_ndim}, found "
                             f"ndim={ndim}. " + full)
        if spec.dtype is not None and x.dtype.base_dtype.name != spec.dtype:
            raise ValueError(where.format(i) + f"expected dtype={spec.dtype}, found "
                             f"dtype={x.dtype}")
        for axis, value in spec.axes.items():
            value = getattr(value, "value", value)
            if value is not None and dims[int(axis)] not in (value, None):
                raise ValueError(where.format(i) + f"expected axis {axis} of input shape to "
                                 f"have value {value}, but received input with shape "
                                 f"{tuple(dims)}")
        if spec.shape is not None:
            want, got = list(spec.shape), dims
            if spec.allow_last_axis_squeeze:
                got = got[:-1] if got and got[-1] == 1 else got
                want = want[:-1] if want and want[-1] == 1 else want
            if any(w is not None and g is not None and w != g for w, g in zip(want, got)):
                raise ValueError(where.format(i) + f"expected shape={spec.shape}, found "
                                 f"shape={tuple(dims)}")


class Layer:
    """TF1's ``tf.layers.Layer``. Subclasses create their variables in ``build(input_shape)``
    with ``add_weight`` and compute in ``call(inputs, ...)``; calling the layer runs both
    in its variable scope (see the module docstring)."""

    _default_name: str | None = None  # else the class name in snake case

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        for key in kwargs:
            if key not in _ALLOWED_KWARGS:
                raise TypeError("Keyword argument not understood:", key)
        self.trainable = trainable
        self._dtype = None if dtype is None else _dt.as_dtype(dtype).base_dtype.name
        base = self._default_name or _to_snake_case(type(self).__name__)
        self._name = name or _unique_layer_name(base)
        self._base_name = name or base
        self._reuse = kwargs.get("_reuse")
        self._scope = None
        if kwargs.get("_scope"):
            with variable_scope(kwargs["_scope"]) as captured:
                self._scope = captured
        self.activity_regularizer = kwargs.get("activity_regularizer")
        self.input_spec = None
        self.built = False
        self._trainable_weights: list = []
        self._non_trainable_weights: list = []
        self._losses: list = []  # add_loss and activity regularization, in call order
        self._weight_losses: list = []  # the regularizers of its weights
        self._updates: list = []

    # -- identity ---------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self):
        """The weights' dtype name (``'float32'``); None until given or taken from the first
        input."""
        return self._dtype

    @property
    def scope_name(self) -> str:
        if self._scope is None:
            raise ValueError(f'No name available for layer scope because the layer "{self.name}" '
                             "has not been used yet. The scope name is determined the first "
                             "time the layer instance is called. You must therefore call the "
                             "layer before querying `scope_name`.")
        return self._scope.name

    def _set_scope(self, scope=None):
        """Fixes the variable scope once: unique from the name, or exactly it with _reuse."""
        if self._scope is None:
            if self._reuse:
                with variable_scope(scope if scope is not None else self._base_name) as s:
                    self._scope = s
            else:
                with variable_scope(scope, default_name=self._base_name) as s:
                    self._scope = s

    @contextlib.contextmanager
    def _enter_scope(self, reuse):
        """Its variable scope with ``reuse``, and the name scope its first entry opened."""
        with variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False) as scope, \
                get_default_graph().name_scope(self._scope.original_name_scope):
            yield scope

    # -- weights ----------------------------------------------------------------------------------
    def add_weight(self, name, shape=None, dtype=None, initializer=None, regularizer=None,
                   trainable=None, constraint=None, use_resource=None, synchronization=None,
                   aggregation=None, partitioner=None, **kwargs):
        """Creates (or on reuse gets) ``<scope>/<name>`` with ``tf.get_variable`` in the
        layer's scope, which applies the scope's regularizer; ``regularizer`` is the layer's,
        applied besides (``layer_variable``), its loss in REGULARIZATION_LOSSES and ``losses``.
        A non-trainable layer makes non-trainable variables."""
        for key in kwargs:
            if key != "experimental_autocast":
                raise TypeError("Unknown keyword argument:", key)
        trainable = True if trainable is None else bool(trainable)
        dtype = dtype if dtype is not None else (self._dtype or _dt.float32)
        self._set_scope(None)
        with self._enter_scope(self.built or self._reuse), layer_losses_of():
            variable, losses = layer_variable(
                name, shape, regularizer=regularizer, dtype=dtype,
                initializer=initializer_of(initializer), trainable=trainable and self.trainable,
                constraint=constraint, partitioner=partitioner)
        self._weight_losses += losses  # the scope's regularizer is the graph's, not the layer's
        self._track([variable])
        return variable

    add_variable = add_weight  # TF1's older name

    def _track(self, variables):
        """Files new variables under trainable or not, as the TRAINABLE_VARIABLES collection
        says (a custom getter or scope may have overridden ``trainable``)."""
        trainable = {id(v) for v in trainable_variables()}
        known = {id(v) for v in self._trainable_weights + self._non_trainable_weights}
        for v in variables:
            if id(v) not in known:
                (self._trainable_weights if id(v) in trainable
                 else self._non_trainable_weights).append(v)

    @property
    def trainable_weights(self) -> list:
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self) -> list:
        if self.trainable:
            return list(self._non_trainable_weights)
        return self._trainable_weights + self._non_trainable_weights

    @property
    def weights(self) -> list:
        """Trainable weights, then the others (Keras' order)."""
        return self.trainable_weights + self.non_trainable_weights

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def count_params(self) -> int:
        return int(sum(np.prod(v.shape.as_list()) for v in self.weights))

    def get_weights(self) -> list:
        """Its variables' values, read in the default session."""
        from .session import get_default_session

        session = get_default_session()
        if session is None:
            raise ValueError("get_weights needs a default session (with tf.Session() as s)")
        return session.run(self.weights)

    def set_weights(self, weights):
        """Assigns values to its variables in the default session (as Variable.load)."""
        mine = self.weights
        if len(weights) != len(mine):
            raise ValueError(f"You called `set_weights(weights)` on layer {self.name!r} with a "
                             f"weight list of length {len(weights)}, but the layer was "
                             f"expecting {len(mine)} weights.")
        for v, w in zip(mine, weights):
            v.load(w)

    # -- losses and updates -----------------------------------------------------------------------
    @property
    def losses(self) -> list:
        """What ``add_loss`` and the activity regularizer added, then its weights'
        regularization losses (Keras' order)."""
        return self._losses + self._weight_losses

    def add_loss(self, losses, inputs=None):
        """Adds loss tensors (or zero-argument callables giving them) to ``losses`` and, as
        TF1's layers do, to REGULARIZATION_LOSSES."""
        new = [convert_to_tensor(x() if callable(x) and not isinstance(x, Tensor) else x)
               for x in nest.flatten(losses) if x is not None]
        self._losses += new
        _add_to_collection(new, GraphKeys.REGULARIZATION_LOSSES)

    @property
    def updates(self) -> list:
        """The update ops its calls made; none for a non-trainable layer (as Keras)."""
        return list(self._updates) if self.trainable else []

    def add_update(self, updates, inputs=None):
        """Adds update ops (tensors, or zero-argument callables making them, give their
        operations, as Keras); each call puts them in UPDATE_OPS."""
        for u in nest.flatten(updates):
            u = u() if callable(u) and not isinstance(u, Tensor) else u
            if u is not None:
                self._updates.append(getattr(u, "op", u))

    # -- building and calling ---------------------------------------------------------------------
    def build(self, input_shape):
        """Creates the weights; the default has none."""
        self.built = True

    def call(self, inputs, **kwargs):
        """The computation; the default is the identity."""
        return inputs

    def __call__(self, inputs, *args, **kwargs):
        """``call(inputs, *args, **kwargs)`` in the layer's scope, after ``build`` on the first
        call; a ``scope`` keyword names the scope of a first call."""
        self._set_scope(kwargs.pop("scope", None))
        xs = _flatten_inputs(inputs)
        if any(isinstance(x, (np.ndarray, np.generic, float, int)) for x in xs):
            xs = [convert_to_tensor(x) if isinstance(x, (np.ndarray, np.generic, float, int))
                  else x for x in xs]
            inputs = _pack_inputs(inputs, xs)
        with self._enter_scope(True if self.built else self._reuse) as scope:
            _check_input_spec(self.input_spec, inputs, self.name)
            if not self.built:
                if self._dtype is None and xs and hasattr(xs[0], "dtype"):
                    self._dtype = xs[0].dtype.base_dtype.name
                shapes = None
                if all(hasattr(x, "shape") for x in xs):
                    shapes = _pack_inputs(inputs, [TensorShape(x.shape) for x in xs])
                self.build(shapes)
                self.built = True  # also when build did not say so (as Keras)
            if "scope" in inspect.signature(self.call).parameters:
                kwargs["scope"] = scope
            outputs = self.call(inputs, *args, **kwargs)
            if outputs is None:
                raise ValueError(f"A layer's `call` method should return a Tensor or a list of "
                                 f"Tensors, not None (layer: {self.name}).")
            if self.activity_regularizer is not None:
                regularization = get_default_graph().get_collection_ref(
                    GraphKeys.REGULARIZATION_LOSSES)
                before = len(regularization)
                for out in nest.flatten(outputs):
                    _activity(out, self.activity_regularizer)
                self._losses += regularization[before:]
        _add_to_collection(self.updates, GraphKeys.UPDATE_OPS)
        return outputs

    apply = __call__

    def compute_output_shape(self, input_shape):
        """TF1 graph mode has no default: a layer that needs one defines it."""
        raise NotImplementedError(f"Layer {type(self).__name__} ({self.name!r}) does not "
                                  "define compute_output_shape")

    def get_config(self) -> dict:
        """name, trainable and dtype; a subclass whose ``__init__`` takes more must say them
        (Keras' rule)."""
        params = inspect.signature(type(self).__init__).parameters
        extra = [p for p, v in params.items()
                 if p not in ("self", "trainable", "name", "dtype")
                 and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)]
        if extra and type(self).get_config is Layer.get_config:
            raise NotImplementedError("Layers with arguments in `__init__` must override "
                                      f"`get_config` ({type(self).__name__} takes {extra}).")
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
