"""``tf.keras.layers.Layer`` as TF 1.x graph mode has it (tf_keras' base_layer_v1).

A layer is named once (``dense``, ``dense_1``... per graph, backend.unique_object_name); each
call opens ``graph.name_scope(layer.name)``, which the graph uniquifies, so a second call makes
ops under ``dense_1/``. The first call runs ``build(input_shape)`` inside that scope, so weights
are ``<outer scopes>/dense/kernel``: ``tf.Variable``s (minitf has only reference variables; TF
makes resource variables) in GLOBAL_VARIABLES and, if trainable, TRAINABLE_VARIABLES, registered
with ``backend.track_variable`` so ``backend.get_session()`` initializes them. A weight's
constraint stays on the variable (``v.constraint``) for the optimizer to apply after an update.

The framework fills two call arguments the caller did not pass: ``training`` (the enclosing
layer's, else ``backend.learning_phase()`` if ``call``'s default for it is None; another
default, such as ``training=False``, stands) and ``mask`` (the inputs' ``_keras_mask``). When
every input came from ``Input`` or another layer, the call is recorded as a Node
(core/keras/node.py) and the outputs carry ``_keras_history`` for the functional API.
"""

from __future__ import annotations

import contextlib
import inspect
import threading

import numpy as np

from .. import dtypes as _dt
from .. import nest
from ..graph import convert_to_tensor, get_default_graph
from ..layer_identifiers import initializer_of, regularizer_of
from ..layers_base import InputSpec, _check_input_spec, _to_snake_case
from ..ops import math_ops
from ..tensor import Tensor
from ..tensor_shape import TensorShape
from ..variables import Variable
from . import backend
from .node import LayerConnectivity, is_keras_tensor

__all__ = ["Layer", "InputSpec"]

_ALLOWED_KWARGS = {"input_dim", "input_shape", "batch_input_shape", "batch_size", "weights",
                   "activity_regularizer", "autocast", "implementation"}

_CALL_CONTEXT = threading.local()  # .stack: [training value of each enclosing layer call]


@contextlib.contextmanager
def _enter_call(training):
    stack = _CALL_CONTEXT.__dict__.setdefault("stack", [])
    stack.append(training)
    try:
        yield
    finally:
        stack.pop()


def _reachable_ops(tensors) -> set:
    """The operations downstream of ``tensors`` (data and control edges)."""
    seen: set = set()
    todo = [getattr(t, "op", t) for t in tensors]
    while todo:
        op = todo.pop()
        if op in seen:
            continue
        seen.add(op)
        for out in op.outputs:
            todo.extend(out.consumers())
        todo.extend(op._control_outputs)
    return seen


def _split_by_inputs(layer, items, inputs):
    """TF1 Keras' get_updates_for/get_losses_for: the items (ops or tensors) reachable from
    ``inputs``, or with None, those reachable from no placeholder (nothing fed: a call on a
    plain placeholder records no Node, so the graph's placeholders are the inputs to avoid)."""
    if inputs is None:
        graph = items[0].graph if items else get_default_graph()
        fed = [op for op in graph.get_operations() if op.type == "Placeholder"]
        reached = _reachable_ops(fed)
        return [x for x in items if getattr(x, "op", x) not in reached]
    reached = _reachable_ops(nest.flatten(inputs))
    return [x for x in items if getattr(x, "op", x) in reached]


def _context_training():
    """The ``training`` value an enclosing layer call was given (None if none was)."""
    stack = getattr(_CALL_CONTEXT, "stack", None)
    return stack[-1] if stack else None


def in_call() -> bool:
    return bool(getattr(_CALL_CONTEXT, "stack", None))


def _resolve(kind: str, identifier):
    """``tf.keras.<kind>.get(identifier)`` when that module has one, else minitf's shared
    identifiers (core/layer_identifiers.py)."""
    if identifier is None:
        return None
    from . import constraints, initializers, regularizers

    module = {"initializers": initializers, "regularizers": regularizers,
              "constraints": constraints}[kind]
    get = getattr(module, "get", None)
    if get is not None:
        return get(identifier)
    if kind == "initializers":
        return initializer_of(identifier)
    if kind == "regularizers":
        return regularizer_of(identifier)
    if not callable(identifier):
        raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")
    return identifier


def _is_symbolic(x) -> bool:
    return isinstance(x, Tensor) or type(x).__name__ in ("SparseTensor", "RaggedTensor")


class Layer(LayerConnectivity):
    """``tf.keras.layers.Layer(trainable=True, name=None, dtype=None, dynamic=False,
    **kwargs)``: subclasses make weights in ``build(input_shape)`` with ``add_weight`` and
    compute in ``call(inputs, ...)``."""

    def __init__(self, trainable=True, name=None, dtype=None, dynamic=False, **kwargs):
        for key in kwargs:
            if key not in _ALLOWED_KWARGS:
                raise TypeError("Keyword argument not understood:", key)
        object.__setattr__(self, "_self_tracked_layers",
                           getattr(self, "_self_tracked_layers", []))
        self._trainable = bool(trainable)
        self.stateful = False
        self.built = False
        self._build_input_shape = None
        self._input_spec = None
        self.supports_masking = False
        if name is None:
            name = backend.unique_object_name(_to_snake_case(type(self).__name__))
        elif not isinstance(name, str):
            raise TypeError(f"Expected `name` argument to be a string, but got: {name}")
        self._name = name
        self._dtype = None if dtype is None else _dt.as_dtype(dtype).base_dtype.name
        self._activity_regularizer = _resolve("regularizers",
                                              kwargs.pop("activity_regularizer", None))
        self._trainable_weights: list = []
        self._non_trainable_weights: list = []
        self._updates: list = []
        self._losses: list = []  # symbolic add_loss tensors and activity regularization
        self._callable_losses: list = []  # [callable, its tensor once made]
        self._inbound_nodes: list = []
        self._outbound_nodes: list = []
        self._dynamic = bool(dynamic)
        if "input_dim" in kwargs and "input_shape" not in kwargs:
            kwargs["input_shape"] = (kwargs["input_dim"],)
        if "batch_input_shape" in kwargs:
            self._batch_input_shape = tuple(kwargs["batch_input_shape"])
        elif "input_shape" in kwargs:
            self._batch_input_shape = (kwargs.get("batch_size"),) + tuple(kwargs["input_shape"])
        self._initial_weights = kwargs.get("weights")
        call = inspect.signature(self.call).parameters
        self._expects_training_arg = "training" in call or any(
            p.kind == p.VAR_KEYWORD for p in call.values())
        default = call["training"].default if "training" in call else None
        self._training_default = None if default is inspect.Parameter.empty else default
        self._expects_mask_arg = "mask" in call or any(
            p.kind == p.VAR_KEYWORD for p in call.values())
        self._call_arg_names = [p for p, v in call.items()
                                if v.kind in (v.POSITIONAL_ONLY, v.POSITIONAL_OR_KEYWORD)]

    # -- attribute tracking (sub-layers assigned as attributes) -----------------------------------
    def __setattr__(self, name, value):
        tracked = self.__dict__.get("_self_tracked_layers")
        if tracked is None:
            object.__setattr__(self, "_self_tracked_layers", [])
            tracked = self._self_tracked_layers
        candidates = value if isinstance(value, (list, tuple)) else [value]
        if not name.startswith("_self_") and name not in ("_layers", "_inbound_nodes",
                                                           "_outbound_nodes"):
            for v in candidates:
                if isinstance(v, Layer) and v is not self and \
                        not any(v is t for t in tracked):
                    tracked.append(v)
        object.__setattr__(self, name, value)

    def _flatten_layers(self, include_self=True, recursive=True):
        """This layer, then its tracked sub-layers depth first (each once)."""
        seen, order = set(), []

        def visit(layer, is_self):
            if id(layer) in seen:
                return
            seen.add(id(layer))
            if not is_self or include_self:
                order.append(layer)
            if is_self or recursive:
                for child in layer._self_tracked_layers:
                    visit(child, False)

        visit(self, True)
        return order

    # -- identity and flags -----------------------------------------------------------------------
    name = property(lambda self: self._name)
    dynamic = property(lambda self: self._dynamic)

    @property
    def dtype(self):
        """The weights' dtype name (``'float32'``); None until given or taken from the first
        input."""
        return self._dtype

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        for layer in self._flatten_layers():
            layer._trainable = bool(value)

    def _get_trainable_state(self) -> dict:
        """{layer: trainable} for this layer and every sub-layer (TF1 Keras: what compile
        freezes, restored while the train step is built)."""
        return {layer: layer._trainable for layer in self._flatten_layers()}

    def _set_trainable_state(self, state: dict):
        """Sets each layer's own flag from ``state``; layers it does not name keep theirs."""
        for layer in self._flatten_layers():
            if layer in state:
                layer._trainable = state[layer]

    @property
    def activity_regularizer(self):
        return self._activity_regularizer

    @activity_regularizer.setter
    def activity_regularizer(self, regularizer):
        self._activity_regularizer = regularizer

    @property
    def input_spec(self):
        return self._input_spec

    @input_spec.setter
    def input_spec(self, value):
        for v in nest.flatten(value):
            if v is not None and not isinstance(v, InputSpec):
                raise TypeError("Layer input_spec must be an instance of InputSpec. "
                                f"Got: {v}")
        self._input_spec = value

    # -- weights ----------------------------------------------------------------------------------
    def add_weight(self, name=None, shape=None, dtype=None, initializer=None, regularizer=None,
                   trainable=None, constraint=None, partitioner=None, use_resource=None,
                   synchronization=None, aggregation=None, **kwargs):
        """Makes the variable ``<name scope>/<name>`` with ``initializer(shape, dtype)``; its
        regularizer's loss joins ``losses``; ``constraint`` stays on it (``v.constraint``)."""
        for key in kwargs:
            if key not in ("autocast", "getter", "collections", "experimental_autocast",
                           "caching_device"):
                raise TypeError("Unknown keyword argument:", key)
        shape = () if shape is None else shape
        dtype = _dt.as_dtype(dtype or self._dtype or backend.floatx()).base_dtype
        if self._dtype is None:
            self._dtype = dtype.name
        initializer = _resolve("initializers", initializer)
        regularizer = _resolve("regularizers", regularizer)
        constraint = _resolve("constraints", constraint)
        trainable = True if trainable is None else bool(trainable)
        if initializer is None:
            if dtype.is_floating:
                initializer = _resolve("initializers", "glorot_uniform")
            elif dtype.is_integer or dtype.is_unsigned or dtype.is_bool:
                initializer = _resolve("initializers", "zeros")
            else:
                raise ValueError(f"An initializer for variable {name} of type {dtype} is "
                                 f"required for layer {self.name}")
        shape_list = TensorShape(shape).as_list()
        getter = kwargs.get("getter")
        if getter is not None:
            variable = getter(name=name, shape=shape_list, dtype=dtype, initializer=initializer,
                              trainable=trainable, constraint=constraint)
        else:
            graph = get_default_graph()
            with graph.control_dependencies(None):
                variable = Variable(lambda: initializer(shape_list, dtype=dtype), name=name,
                                    trainable=trainable, dtype=dtype, constraint=constraint,
                                    collections=kwargs.get("collections"), use_resource=None)
        if regularizer is not None:
            scope = variable.op.name

            def weight_loss(v=variable, regularizer=regularizer, scope=scope):
                with get_default_graph().name_scope(scope + "/Regularizer/"):
                    return regularizer(v)

            self._callable_losses.append([weight_loss, None])
        backend.track_variable(variable)
        (self._trainable_weights if trainable else self._non_trainable_weights).append(variable)
        return variable

    add_variable = add_weight

    @staticmethod
    def _dedup(weights) -> list:
        out = []
        for w in weights:
            if not any(w is o for o in out):
                out.append(w)
        return out

    def _children(self, attribute) -> list:
        return [w for layer in self._self_tracked_layers for w in getattr(layer, attribute)]

    @property
    def trainable_weights(self) -> list:
        if not self.trainable:
            return []
        return self._dedup(self._trainable_weights + self._children("trainable_weights"))

    @property
    def non_trainable_weights(self) -> list:
        if self.trainable:
            return self._dedup(self._non_trainable_weights
                               + self._children("non_trainable_weights"))
        return self._dedup(self._trainable_weights + self._non_trainable_weights
                           + self._children("weights"))

    @property
    def weights(self) -> list:
        """Trainable weights, then the others (Keras' order)."""
        return self._dedup(self.trainable_weights + self.non_trainable_weights)

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def get_weights(self) -> list:
        """The weights' values as numpy arrays, read in ``backend.get_session()``."""
        return backend.batch_get_value(self.weights)

    def set_weights(self, weights):
        """Assigns numpy values to the weights (in ``weights`` order) in
        ``backend.get_session()``."""
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(f'You called `set_weights(weights)` on layer "{self.name}" with a '
                             f"weight list of length {len(weights)}, but the layer was "
                             f"expecting {len(params)} weights. Provided weights: "
                             f"{str(weights)[:50]}...")
        pairs = []
        for p, w in zip(params, weights):
            w = np.asarray(w)
            if not TensorShape(p.shape).is_compatible_with(TensorShape(w.shape)):
                raise ValueError(f"Layer {self.name} weight shape {tuple(p.shape.as_list())} "
                                 f"is not compatible with provided weight shape {w.shape}")
            pairs.append((p, w))
        backend.batch_set_value(pairs)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on {self.name}, but the layer "
                             f"isn't built. You can build it manually via: "
                             f"`{self.name}.build(batch_input_shape)`.")
        return int(sum(np.prod(w.shape.as_list(), dtype=np.int64) for w in self.weights))

    # -- losses and updates -----------------------------------------------------------------------
    def add_loss(self, losses, inputs=None):
        """Tensors join ``losses``; zero-argument callables are called once, when ``losses``
        is first read (Keras v1 calls them on every read)."""
        for x in nest.flatten(losses):
            if x is None:
                continue
            if callable(x) and not isinstance(x, Tensor):
                self._callable_losses.append([x, None])
            else:
                self._losses.append(convert_to_tensor(x, dtype=getattr(x, "dtype", None)))

    @property
    def losses(self) -> list:
        """Each layer's (this one's, then its sub-layers') added losses, then its weights'
        regularization losses."""
        out = []
        for layer in self._flatten_layers():
            out += layer._losses
            for entry in layer._callable_losses:
                if entry[1] is None:
                    graph = get_default_graph()
                    with graph.control_dependencies(None), graph.name_scope(None):
                        entry[1] = entry[0]()
                if entry[1] is not None:
                    out.append(entry[1])
        return out

    def add_update(self, updates, inputs=None):
        """Update ops (tensors give their op; zero-argument callables are called) run by
        ``fit`` after each step."""
        for u in nest.flatten(updates):
            if callable(u) and not isinstance(u, Tensor) and not hasattr(u, "node_def"):
                u = u()
            if u is not None:
                self._updates.append(u)

    @property
    def updates(self) -> list:
        """The update ops of this layer and its sub-layers; none from a non-trainable,
        non-stateful layer (Keras)."""
        out = []
        for layer in self._flatten_layers():
            if not layer.trainable and not layer.stateful:
                continue
            out += [getattr(u, "op", u) for u in layer._updates]
        return self._dedup(out)

    def get_updates_for(self, inputs):
        """The updates that depend on ``inputs`` (what calls on them made); with None, those
        that depend on no call's inputs (unconditional), as TF1 Keras."""
        return _split_by_inputs(self, self.updates, inputs)

    def get_losses_for(self, inputs):
        """The losses that depend on ``inputs``; with None, those that depend on no call's
        inputs (e.g. weight regularization), as TF1 Keras."""
        return _split_by_inputs(self, self.losses, inputs)

    # -- building and calling ---------------------------------------------------------------------
    def build(self, input_shape):
        """Creates the weights (the default has none)."""
        self._build_input_shape = input_shape
        self.built = True

    def call(self, inputs, **kwargs):
        """The computation (the default is the identity)."""
        return inputs

    def compute_mask(self, inputs, mask=None):
        """The outputs' mask: the input mask if the layer supports masking, else None."""
        if not self.supports_masking:
            if any(m is not None for m in nest.flatten(mask)):
                raise TypeError(f"Layer {self.name} does not support masking, but was passed "
                                f"an input_mask: {mask}")
            return None
        return mask

    def compute_output_shape(self, input_shape):
        raise NotImplementedError("Please run in eager mode or implement the "
                                  "compute_output_shape method on your layer "
                                  f"({type(self).__name__}).")

    def _maybe_build(self, inputs):
        if not self.built:
            _check_input_spec(self.input_spec, inputs, self.name)
            xs = nest.flatten(inputs)
            if xs and self._dtype is None and hasattr(xs[0], "dtype"):
                self._dtype = xs[0].dtype.base_dtype.name
            shapes = None
            if any(hasattr(x, "shape") for x in xs):
                shapes = nest.map_structure(
                    lambda x: TensorShape(x.shape) if hasattr(x, "shape") else None, inputs)
            self.build(shapes)
            Layer.build(self, shapes)
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    def __call__(self, *args, **kwargs):
        """``call(inputs, *args, **kwargs)`` under the layer's name scope, after ``build`` on
        the first call; fills ``training`` and ``mask`` when not passed (module docstring)."""
        if "_inbound_nodes" not in self.__dict__:
            raise RuntimeError("You must call `super().__init__()` in the layer constructor.")
        if args:
            inputs, args = args[0], args[1:]
        elif self._call_arg_names and self._call_arg_names[0] in kwargs:
            inputs = kwargs.pop(self._call_arg_names[0])
        else:
            raise ValueError("The first argument to `Layer.call` must always be passed.")
        if any(isinstance(x, (np.ndarray, np.generic, float, int)) for x in nest.flatten(inputs)):
            inputs = nest.map_structure(
                lambda x: convert_to_tensor(x)
                if isinstance(x, (np.ndarray, np.generic, float, int)) else x, inputs)
        flat_inputs = nest.flatten(inputs)
        keras_inputs = bool(flat_inputs) and all(is_keras_tensor(x) for x in flat_inputs)
        if not keras_inputs and not in_call() and any(is_keras_tensor(x) or hasattr(x, "op")
                                                       for x in flat_inputs):
            from .op_layer import create_keras_history, uses_keras_history

            if uses_keras_history(inputs):  # raw ops on Keras tensors become layers
                create_keras_history(inputs)
                keras_inputs = all(is_keras_tensor(x) for x in flat_inputs)

        names = self._call_arg_names
        passed = {n for n in names[1:1 + len(args)]} | set(kwargs)
        mask_by_framework = False
        input_masks = kwargs.get("mask") if "mask" in passed else None
        if "mask" not in passed:
            masks = nest.map_structure(lambda t: getattr(t, "_keras_mask", None), inputs)
            if any(m is not None for m in nest.flatten(masks)):
                input_masks = masks
                if self._expects_mask_arg:
                    kwargs["mask"] = masks
                    mask_by_framework = True
        training = None
        if "training" in passed:
            training = kwargs.get("training") if "training" in kwargs else \
                args[names.index("training") - 1]
            if not self._expects_training_arg:
                kwargs.pop("training", None)
        training_by_framework = False
        if training is None:
            training = _context_training()
            if training is None and self._expects_training_arg and \
                    self._training_default is None:
                training = backend.learning_phase()
            if self._expects_training_arg and training is not None:
                if not isinstance(training, Tensor):
                    training = bool(training)
                elif training.dtype.base_dtype != _dt.bool:
                    training = math_ops.cast(training, _dt.bool)
                if "training" in names[1:1 + len(args)]:
                    args = list(args)
                    args[names.index("training") - 1] = training
                    args = tuple(args)
                else:
                    kwargs["training"] = training
                training_by_framework = True

        graph = get_default_graph()
        with _enter_call(training), graph.as_default(), graph.name_scope(self.name):
            _check_input_spec(self.input_spec, inputs, self.name)
            self._maybe_build(inputs)
            outputs = self.call(inputs, *args, **kwargs)
            if outputs is None:
                raise ValueError("A layer's `call` method should return a Tensor or a list of "
                                 f"Tensors, not None (layer: {self.name}).")
            if keras_inputs and all(_is_symbolic(x) for x in nest.flatten(outputs)):
                if training_by_framework:
                    kwargs.pop("training", None)
                if mask_by_framework:
                    kwargs.pop("mask", None)
                outputs = self._set_connectivity_metadata(inputs, args, kwargs, outputs)
            self._handle_activity_regularization(outputs)
            self._set_mask_metadata(inputs, outputs, input_masks)
        return outputs

    # -- configuration ---------------------------------------------------------------------------
    def get_config(self) -> dict:
        """name, trainable, batch_input_shape (when given) and dtype; a subclass whose
        ``__init__`` takes more arguments must override it (Keras' rule)."""
        config = {"name": self.name, "trainable": self.trainable}
        if hasattr(self, "_batch_input_shape"):
            config["batch_input_shape"] = self._batch_input_shape
        config["dtype"] = self.dtype or backend.floatx()  # tf_keras: the global policy's
        if self.dynamic:
            config["dynamic"] = True
        params = inspect.signature(type(self).__init__).parameters
        extra = [p for p, v in params.items()
                 if p not in ("self", "trainable", "name", "dtype", "dynamic")
                 and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)]
        if extra and type(self).get_config is Layer.get_config:
            raise NotImplementedError("Layers with arguments in `__init__` must override "
                                      "`get_config`.")
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} object {self.name!r}>"
