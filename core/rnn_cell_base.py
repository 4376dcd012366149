"""The base of TF1's recurrent cells (``tf.nn.rnn_cell.RNNCell``, TF's rnn_cell_impl) and
``LSTMStateTuple``: a cell's variable scope and naming, its Layer-like build on the first call
(``build(inputs_shape)``, ``add_weight``), ``zero_state`` / ``get_initial_state`` and its
config. The cells themselves are in rnn.py, which re-exports these."""

from __future__ import annotations

import collections
import contextlib

from . import dtypes as _dt
from . import init_ops
from .graph import GraphKeys, Tensor, convert_to_tensor, get_default_graph
from .layers_base import _NAME_UIDS, Layer, _to_snake_case
from .nest import flatten as _flatten
from .nest import is_nested, map_structure
from .ops import array_ops, concat_split_ops
from .tensor_conversion import constant_value
from .tensor_shape import TensorShape
from .variables import get_variable, variable_scope


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ["c", "h"])):
    """An LSTM's state ``(c, h)``; its ``dtype`` is theirs (TF1's, which refuses two)."""

    __slots__ = ()

    @property
    def dtype(self):
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent dtypes for internal state: {c.dtype} vs {h.dtype}")
        return c.dtype


class RNNCell:
    """Base class: ``__call__(inputs, state) -> (output, new_state)``."""

    _base_name = "rnn_cell"
    # TF1's LayerRNNCell (its core cells): the weights are made once, in build, and every call
    # computes with what the getters returned then (a custom getter runs once per weight).
    # Other cells ask get_variable at each call, as TF1's contrib cells do.
    _builds_once = False

    def __init__(self, name=None, reuse=None, dtype=None, trainable=True, **kwargs):
        # TF1's RNNCell is a Layer, whose keywords cells copied from TF's source pass on
        # (``super().__init__(_reuse=reuse, name=name)``); minitf's own cells pass ``reuse``.
        reuse = kwargs.pop("_reuse", reuse)
        kwargs.pop("_scope", None)
        if kwargs:
            raise TypeError(f"Keyword argument not understood: {sorted(kwargs)[0]!r}")
        self._name = name
        # TF1's Layer name: the given one, else the class's numbered per graph from 1
        # (gru_cell_1), as TF numbers its layers; the variable scope is named apart (gru_cell).
        self._layer_name = name or _unique_cell_name(_to_snake_case(type(self).__name__))
        self._reuse = reuse
        self._dtype = dtype
        # Kept for subclasses: TF's Layer applies it to add_weight's variables only, and a
        # cell's tf.get_variable ones stay trainable there too.
        self.trainable = trainable
        self._scope = None  # the variable scope its variables live in, set on the first call

    @property
    def state_size(self):
        raise NotImplementedError

    @property
    def output_size(self):
        raise NotImplementedError

    def zero_state(self, batch_size, dtype):
        """Zeros of the state's structure, ``batch_size`` rows (a state size is an int or,
        for a convolutional cell's, a TensorShape)."""
        def zeros(size):
            if isinstance(size, tuple):
                made = [zeros(s) for s in size]
                return type(size)(*made) if hasattr(size, "_fields") else tuple(made)
            dims = TensorShape(size).as_list() if isinstance(size, (TensorShape, list)) \
                else [size]
            if isinstance(batch_size, int):
                return array_ops.zeros([batch_size, *dims], dtype=dtype)
            return array_ops.zeros(concat_split_ops.stack([batch_size, *dims]), dtype=dtype)
        with get_default_graph().name_scope(type(self).__name__ + "ZeroState"):
            return zeros(self.state_size)

    name = property(lambda self: self._layer_name)
    # True once built (by build or a first call that succeeded); LayerRNNCell's and copies
    # of cells set it too.
    built = property(lambda self: self.__dict__.get("_built", False),
                     lambda self, value: setattr(self, "_built", value))

    def __call__(self, inputs, state, scope=None):
        # (nested inputs, as dynamic_rnn hands a structure on, stay a structure)
        inputs = map_structure(convert_to_tensor, inputs) if is_nested(inputs) else \
            convert_to_tensor(inputs)
        with self._cell_scope(scope), self._getters_once():
            if not self.built:
                self._maybe_build(inputs)
            out = self._step(inputs, state)
        self.built = True
        return out

    def _maybe_build(self, inputs):
        """TF1's Layer on its first call, in the cell's scope: the dtype taken from the inputs
        unless given, then a subclass's ``build(input shapes)`` (a user's cell making its
        weights there with add_variable), after which the cell is built. minitf's own cells
        make theirs in their step (RNNCell.build)."""
        leaves = _flatten(inputs)
        if self._dtype is None and leaves and hasattr(leaves[0], "dtype"):
            self._dtype = leaves[0].dtype.base_dtype
        if type(self).build is not RNNCell.build:
            self.build(map_structure(lambda x: x.shape, inputs))
            self.built = True

    @contextlib.contextmanager
    def _cell_scope(self, scope=None):
        """The cell's variable scope: made by the first call (or build), re-entered later."""
        if self._scope is None:
            with self._new_scope(scope):
                yield
        else:
            # As TF1's layers: reuse once built (a first call refused before making its
            # variables leaves them to the next one, in the same scope).
            with variable_scope(self._scope, reuse=True if self.built else self._reuse):
                yield

    @contextlib.contextmanager
    def _new_scope(self, scope=None):
        """Makes the cell's variable scope (``scope``, its name, else one after its class)."""
        name, base = self._scope_names(scope)
        self._graph = get_default_graph()
        with variable_scope(name, default_name=base, reuse=self._reuse) as vs:
            self._scope = vs
            yield

    def add_variable(self, name, shape, dtype=None, initializer=None, regularizer=None,
                     trainable=None, constraint=None, use_resource=None, partitioner=None):
        """TF1's ``Layer.add_variable`` (``add_weight``): ``get_variable`` in the cell's scope
        (made now if ``build`` runs before any call), of the cell's dtype (float32 if it has
        none yet) unless given; reused once the cell is built. The cell's ``variables`` and
        ``trainable_variables`` are its scope's."""
        if self._scope is None:
            with self._new_scope():
                pass
        dtype = _dt.as_dtype(dtype or self._dtype or _dt.float32)
        if self._dtype is None:  # (TF's "infer" policy: the first weight's dtype)
            self._dtype = dtype.base_dtype
        reuse = True if self.built else self._reuse
        with variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False):
            return get_variable(name, shape, dtype=dtype,
                                initializer=initializer, regularizer=regularizer,
                                trainable=(trainable is None or trainable) and self.trainable,
                                constraint=constraint, use_resource=use_resource,
                                partitioner=partitioner)

    add_weight = add_variable

    # TF1's Layer: the dtype's name, the given one or, once called, the inputs'
    dtype = property(lambda self: None if self._dtype is None else
                     _dt.as_dtype(self._dtype).base_dtype.name)

    @property
    def scope_name(self) -> str:
        """The name of the cell's variable scope (``rnn/lstm_cell``), set by its first call."""
        if self._scope is None:
            raise ValueError(f'No name available for layer scope because the layer '
                             f'"{self.name}" has not been used yet. The scope name  is '
                             "determined the first time the layer instance is called. You "
                             "must therefore call the layer before querying `scope_name`.")
        return self._scope.name

    def get_config(self) -> dict:
        """TF1's Layer config; each cell adds its constructor's arguments."""
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        """TF1's: the zero state for ``inputs``' batch size and dtype (checked against
        ``batch_size`` and ``dtype`` if given too), else for those two."""
        if inputs is not None:
            inputs = convert_to_tensor(inputs, name="inputs")
            if batch_size is not None:
                static = constant_value(batch_size) if isinstance(batch_size, Tensor) \
                    else batch_size
                if inputs.shape.dims[0].value != static:
                    raise ValueError("batch size from input tensor is different from the "
                                     f"input param. Input tensor batch: "
                                     f"{inputs.shape.dims[0].value}, batch_size: {batch_size}")
            if dtype is not None and inputs.dtype != dtype:
                raise ValueError("dtype from input tensor is different from the input param. "
                                 f"Input tensor dtype: {inputs.dtype}, dtype: {dtype}")
            batch_size = inputs.shape.dims[0].value or array_ops.shape(inputs)[0]
            dtype = inputs.dtype
        if batch_size is None or dtype is None:
            raise ValueError("batch_size and dtype cannot be None while constructing initial "
                             f"state: batch_size={batch_size}, dtype={dtype}")
        return self.zero_state(batch_size, dtype)

    def _getters_once(self):
        if not self._builds_once:
            return contextlib.nullcontext()
        from .layers import getter_outputs_once

        return getter_outputs_once(self.__dict__.setdefault("_getter_outputs", {}))

    def build(self, inputs_shape):
        """TF1's ``Layer.build``: a core cell makes its weights for inputs of ``inputs_shape``
        ([batch, depth], depth known) in its variable scope, named as its first call would
        name them, and later calls compute with them. Other cells make theirs when called."""
        if self._builds_once:
            shape = TensorShape(inputs_shape)
            depth = shape[-1].value if shape.rank else None
            if depth is None:
                raise ValueError(f"Expected inputs.shape[-1] to be known, received shape: "
                                 f"{shape}")
            dtype = _dt.as_dtype(self._dtype or _dt.float32)
            self._dtype = dtype  # (TF's "infer" policy: its weights' dtype)
            with self._cell_scope(), self._getters_once():
                self._make_weights(depth, dtype)
        self.built = True

    def _make_weights(self, depth: int, dtype):
        """A core cell's weights for inputs of ``depth`` (its step asks for them again)."""
        raise NotImplementedError

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on {self.name}, but the layer "
                             f"isn't built. You can build it manually via: `{self.name}.build("
                             "batch_input_shape)`.")
        return Layer.count_params(self)

    # TF1's Layer's (they only need ``weights`` and ``name``)
    get_weights = Layer.get_weights
    set_weights = Layer.set_weights

    def _scope_variables(self, key: str) -> list:
        """What TF's Layer tracks for a cell (none before its first call): for one that builds
        once, the values its getters returned (trainable ones first, as Keras orders them),
        else the ``key`` collection's variables under the cell's scope."""
        if self._scope is None:
            return []
        if self._builds_once:
            from .layers import split_weights

            graph = getattr(self, "_graph", None)
            with (graph if graph is not None else get_default_graph()).as_default():
                trainable, others = split_weights(
                    self.__dict__.get("_getter_outputs", {}).values())
            return trainable if key == GraphKeys.TRAINABLE_VARIABLES else trainable + others
        prefix = self._scope.name + "/"
        graph = getattr(self, "_graph", None) or get_default_graph()
        return [v for v in graph.get_collection(key) if v.op.name.startswith(prefix)]

    variables = weights = property(lambda self: self._scope_variables(GraphKeys.GLOBAL_VARIABLES))
    trainable_variables = trainable_weights = property(
        lambda self: self._scope_variables(GraphKeys.TRAINABLE_VARIABLES))
    non_trainable_variables = non_trainable_weights = property(
        lambda self: _without(self.variables, self.trainable_variables))

    def _scope_names(self, scope):
        """(name, default name) of the variable scope the first call makes: ``scope`` or the
        cell's name, else one after its class (a user's MyCell: my_cell), as TF's layers."""
        base = self._base_name if "_base_name" in type(self).__dict__ else \
            _to_snake_case(type(self).__name__)
        return scope or self._name, base

    def _step(self, inputs, state):
        return self.call(inputs, state)

    def call(self, inputs, state):
        """A subclass's step (TF1's documented way to write a cell): ``(output, new_state)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(inputs, state)")

    def _weights(self, name, rows, cols, initializer=None, bias_init=None, dtype=None):
        kernel = get_variable(f"{name}kernel", [rows, cols], dtype=dtype,
                              initializer=initializer)
        bias = get_variable(f"{name}bias", [cols], dtype=dtype,
                            initializer=bias_init or init_ops.zeros_initializer())
        return kernel, bias


def _unique_cell_name(base: str) -> str:
    """``base_1``, ``base_2``...: TF's names for unnamed layers (Keras' unique_object_name with
    zero_based=False), counted per graph in the table minitf's layers count in."""
    uids = _NAME_UIDS.setdefault(get_default_graph(), {})
    uids[base] = uids.get(base, 0) + 1
    return f"{base}_{uids[base]}"


def _without(values, excluded) -> list:
    """``values`` not in ``excluded``, by identity (a getter's tensors overload ==)."""
    ids = {id(v) for v in excluded}
    return [v for v in values if id(v) not in ids]


def _serialized_activation(activation):
    """TF1's ``activations.serialize``: a Keras built-in's name, else the function's."""
    from .keras.activations import serialize

    return serialize(activation)


def _serialized_initializer(initializer):
    """TF1's ``initializers.serialize``: None, else ``{"class_name", "config"}``."""
    if initializer is None or not hasattr(initializer, "get_config"):
        return getattr(initializer, "__name__", initializer)
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def _config(cell, **config) -> dict:
    """The cell's Layer config followed by its own entries (TF1's cells' get_config)."""
    return {**RNNCell.get_config(cell), **config, "reuse": cell._reuse}
