"""TF1's recurrent cells (``tf.nn.rnn_cell``); their wrappers are in rnn_wrappers.py and
``tf.nn.static_rnn`` / ``dynamic_rnn``, which run a cell over time, in rnn_loops.py, all
re-exported here.

The variable names (``rnn/basic_lstm_cell/kernel``) are TF1's. A cell creates its
variables on its first call (or a core cell on ``build(inputs_shape)``), in a variable scope
named after it (``basic_lstm_cell``, ``basic_lstm_cell_1`` for a second cell in the same
scope), and reuses them on every later call, as TF1's cells do. The core cells, built once in
TF1 (LayerRNNCell), ask a scope's custom getter once per weight and compute every later step
with its answers. As TF1's Layers, cells have a ``name``, ``built``, ``count_params``,
``get_weights``, a ``dtype`` (the inputs' once called), ``scope_name`` and ``get_config``; a
user's cell may make its weights in ``build(inputs_shape)``, which its first call runs, with
``add_variable`` / ``add_weight``.
"""

from __future__ import annotations

import collections
import contextlib

from . import dtypes as _dt
from . import init_ops
from .graph import GraphKeys, Tensor, convert_to_tensor, get_default_graph
from .layer_identifiers import activation_of
from .layers_base import _NAME_UIDS, Layer, _to_snake_case
from .nest import flatten as _flatten
from .nest import is_nested, map_structure
from .ops import (array_ops, concat_split_ops, linalg_ops, math_ops, nn_ops, slicing_ops,
                  unary_ops)
from .rnn_loops import (bidirectional_dynamic_rnn, dynamic_rnn, static_bidirectional_rnn,
                        static_rnn)
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


def _depth(inputs):
    depth = inputs.shape[-1].value if inputs.shape.rank == 2 else None
    if depth is None:
        raise ValueError(f"Expected inputs of shape [batch, depth] with depth known, got "
                         f"{inputs.shape}")
    return depth


def _dense(x, kernel, bias):
    return nn_ops.bias_add(linalg_ops.matmul(x, kernel), bias)


class BasicRNNCell(RNNCell):
    """``output = new_state = activation(W [inputs, state] + b)``."""

    _base_name = "basic_rnn_cell"
    _builds_once = True

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None):
        super().__init__(name, reuse, dtype)
        self._num_units = num_units
        self._activation = activation_of(activation) or unary_ops.tanh

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def get_config(self) -> dict:
        return _config(self, num_units=self._num_units,
                       activation=_serialized_activation(self._activation))

    def _make_weights(self, depth, dtype):
        return self._weights("", depth + self._num_units, self._num_units, dtype=dtype)

    def _step(self, inputs, state):
        kernel, bias = self._make_weights(_depth(inputs), inputs.dtype)
        output = self._activation(_dense(concat_split_ops.concat([inputs, state], 1), kernel,
                                         bias))
        return output, output


class GRUCell(RNNCell):
    """TF1's GRU: gates ``r, u = sigmoid(W_g [x, h] + b_g)`` (bias starting at 1), candidate
    ``c = tanh(W_c [x, r * h] + b_c)``, ``h' = u * h + (1 - u) * c``."""

    _base_name = "gru_cell"
    _builds_once = True

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None,
                 bias_initializer=None, name=None, dtype=None):
        super().__init__(name, reuse, dtype)
        self._num_units = num_units
        self._activation = activation_of(activation) or unary_ops.tanh
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def get_config(self) -> dict:
        return _config(self, num_units=self._num_units,
                       kernel_initializer=_serialized_initializer(self._kernel_initializer),
                       bias_initializer=_serialized_initializer(self._bias_initializer),
                       activation=_serialized_activation(self._activation))

    def _make_weights(self, depth, dtype):
        n, rows = self._num_units, depth + self._num_units
        with variable_scope("gates"):
            gates = self._weights("", rows, 2 * n, self._kernel_initializer,
                                  self._bias_initializer or init_ops.constant_initializer(1.0),
                                  dtype)
        with variable_scope("candidate"):
            candidate = self._weights("", rows, n, self._kernel_initializer,
                                      self._bias_initializer, dtype)
        return gates, candidate

    def _step(self, inputs, state):
        (gate_k, gate_b), (cand_k, cand_b) = self._make_weights(_depth(inputs), inputs.dtype)
        value = unary_ops.sigmoid(_dense(concat_split_ops.concat([inputs, state], 1), gate_k,
                                        gate_b))
        r, u = concat_split_ops.split(value, 2, axis=1)
        candidate = self._activation(_dense(concat_split_ops.concat([inputs, r * state], 1),
                                            cand_k, cand_b))
        new_h = u * state + (1 - u) * candidate
        return new_h, new_h


class BasicLSTMCell(RNNCell):
    """TF1's LSTM: ``i, j, f, o = split(W [x, h] + b)``, ``c' = c * sigmoid(f + forget_bias) +
    sigmoid(i) * tanh(j)``, ``h' = tanh(c') * sigmoid(o)``; the state is ``(c, h)``."""

    _base_name = "basic_lstm_cell"
    _builds_once = True

    def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None,
                 reuse=None, name=None, dtype=None):
        super().__init__(name, reuse, dtype)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation_of(activation) or unary_ops.tanh
        self._initializer = None

    @property
    def state_size(self):
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    output_size = property(lambda self: self._num_units)

    def get_config(self) -> dict:
        return _config(self, num_units=self._num_units, forget_bias=self._forget_bias,
                       state_is_tuple=self._state_is_tuple,
                       activation=_serialized_activation(self._activation))

    def _make_weights(self, depth, dtype):
        n = self._num_units
        return self._weights("", depth + n, 4 * n, self._initializer, dtype=dtype)

    def _step(self, inputs, state):
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = concat_split_ops.split(state, 2, axis=1)
        kernel, bias = self._make_weights(_depth(inputs), inputs.dtype)
        gates = _dense(concat_split_ops.concat([inputs, h], 1), kernel, bias)
        i, j, f, o = concat_split_ops.split(gates, 4, axis=1)
        forget = math_ops.cast(self._forget_bias, f.dtype)
        new_c = c * unary_ops.sigmoid(f + forget) + unary_ops.sigmoid(i) * self._activation(j)
        new_h = self._activation(new_c) * unary_ops.sigmoid(o)
        new_state = LSTMStateTuple(new_c, new_h) if self._state_is_tuple else \
            concat_split_ops.concat([new_c, new_h], 1)
        return new_h, new_state


class LSTMCell(BasicLSTMCell):
    """TF1's ``LSTMCell``: BasicLSTMCell's step (variables under ``lstm_cell``, an optional
    ``initializer`` for every weight but the bias), with, as TF1's:

    - ``use_peepholes``: diagonal weights ``w_f_diag``, ``w_i_diag``, ``w_o_diag`` [num_units]
      from the memory cell into the gates: ``c' = sigmoid(f + forget_bias + w_f * c) * c +
      sigmoid(i + w_i * c) * tanh(j)``, ``h' = sigmoid(o + w_o * c') * tanh(c')``;
    - ``cell_clip``: ``c'`` clipped to ``[-cell_clip, cell_clip]`` before the output uses it;
    - ``num_proj``: ``h'`` projected by ``projection/kernel`` [num_units, num_proj] (then
      clipped to ``[-proj_clip, proj_clip]`` with ``proj_clip``); the state is then
      ``(c [num_units], h [num_proj])`` and the recurrent kernel has ``num_proj`` rows for h;
    - ``num_unit_shards`` / ``num_proj_shards`` (deprecated in TF1): the kernel / projection
      kernel split in that many row partitions (``kernel/part_0``...), as a
      ``fixed_size_partitioner`` would.
    """

    _base_name = "lstm_cell"

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None,
                 num_proj=None, proj_clip=None, num_unit_shards=None, num_proj_shards=None,
                 forget_bias=1.0, state_is_tuple=True, activation=None, reuse=None, name=None,
                 dtype=None):
        super().__init__(num_units, forget_bias, state_is_tuple, activation, reuse, name,
                         dtype)
        self._initializer = initializer
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._num_unit_shards = num_unit_shards
        self._num_proj_shards = num_proj_shards

    @property
    def state_size(self):
        n, p = self._num_units, self._num_proj
        if not p:
            return super().state_size
        return LSTMStateTuple(n, p) if self._state_is_tuple else n + p

    output_size = property(lambda self: self._num_proj or self._num_units)

    def get_config(self) -> dict:
        return _config(self, num_units=self._num_units, use_peepholes=self._use_peepholes,
                       cell_clip=self._cell_clip,
                       initializer=_serialized_initializer(self._initializer),
                       num_proj=self._num_proj, proj_clip=self._proj_clip,
                       num_unit_shards=self._num_unit_shards,
                       num_proj_shards=self._num_proj_shards, forget_bias=self._forget_bias,
                       state_is_tuple=self._state_is_tuple,
                       activation=_serialized_activation(self._activation))

    def _make_weights(self, depth, dtype):
        from .partitioned_variables import fixed_size_partitioner

        n, init = self._num_units, self._initializer
        proj = n if self._num_proj is None else self._num_proj

        def shards(count):
            return None if count is None else fixed_size_partitioner(count)

        # Made in TF1's order: kernel, bias, the diagonals, the projection.
        kernel = get_variable("kernel", [depth + proj, 4 * n], dtype=dtype,
                              initializer=init, partitioner=shards(self._num_unit_shards))
        bias = get_variable("bias", [4 * n], dtype=dtype,
                            initializer=init_ops.zeros_initializer())
        diagonals = proj_kernel = None
        if self._use_peepholes:
            diagonals = [get_variable(f"w_{g}_diag", [n], dtype=dtype, initializer=init)
                         for g in "fio"]
        if self._num_proj is not None:
            proj_kernel = get_variable("projection/kernel", [n, self._num_proj], dtype=dtype,
                                       initializer=init,
                                       partitioner=shards(self._num_proj_shards))
        return kernel, bias, diagonals, proj_kernel

    def _step(self, inputs, state):
        n = self._num_units
        proj = n if self._num_proj is None else self._num_proj
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = slicing_ops.slice_(state, [0, 0], [-1, n])
            m_prev = slicing_ops.slice_(state, [0, n], [-1, proj])
        kernel, bias, diagonals, proj_kernel = self._make_weights(_depth(inputs), inputs.dtype)
        if self._use_peepholes:
            w_f, w_i, w_o = diagonals

        lstm_matrix = _dense(concat_split_ops.concat([inputs, m_prev], 1), kernel, bias)
        i, j, f, o = concat_split_ops.split(lstm_matrix, 4, axis=1)
        sigmoid, forget = unary_ops.sigmoid, math_ops.cast(self._forget_bias, f.dtype)
        if self._use_peepholes:
            c = sigmoid(f + forget + w_f * c_prev) * c_prev + \
                sigmoid(i + w_i * c_prev) * self._activation(j)
        else:
            c = sigmoid(f + forget) * c_prev + sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = math_ops.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + w_o * c) * self._activation(c)
        else:
            m = sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = linalg_ops.matmul(m, proj_kernel)
            if self._proj_clip is not None:
                m = math_ops.clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else \
            concat_split_ops.concat([c, m], 1)
        return m, new_state


class MultiRNNCell(RNNCell):
    """Cells stacked: cell i runs in scope ``cell_i`` on the previous cell's output."""

    _base_name = "multi_rnn_cell"

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        self._cells = list(cells)
        # state_is_tuple=False (deprecated in TF1): the cells' states side by side in one
        # [batch, sum of state sizes] tensor, which needs each cell's state to be one tensor.
        self._state_is_tuple = state_is_tuple
        if not state_is_tuple and any(is_nested(c.state_size) for c in self._cells):
            raise ValueError("Some cells return tuples of states, but the flag state_is_tuple "
                             f"is not set.  State sizes are: {[c.state_size for c in cells]}")

    state_size = property(lambda self: tuple(c.state_size for c in self._cells)
                          if self._state_is_tuple else sum(c.state_size for c in self._cells))
    output_size = property(lambda self: self._cells[-1].output_size)

    # TF's: its cells' weights, the trainable ones of every cell first (Keras' sublayers).
    trainable_variables = trainable_weights = property(
        lambda self: [v for c in self._cells for v in c.trainable_variables])
    non_trainable_variables = non_trainable_weights = property(
        lambda self: [v for c in self._cells for v in c.non_trainable_variables])
    variables = weights = property(
        lambda self: self.trainable_variables + self.non_trainable_variables)

    def zero_state(self, batch_size, dtype):
        """Each cell's own zero state (an AttentionWrapper's is not zeros of its sizes)."""
        if not self._state_is_tuple:
            return super().zero_state(batch_size, dtype)
        with get_default_graph().name_scope(type(self).__name__ + "ZeroState"):
            return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)

    def _step(self, inputs, state):
        out, new_states, position = inputs, [], 0
        for i, cell in enumerate(self._cells):
            with variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    s = state[i]
                else:
                    s = slicing_ops.slice_(state, [0, position], [-1, cell.state_size])
                    position += cell.state_size
                out, s = cell(out, s)
            new_states.append(s)
        return out, (tuple(new_states) if self._state_is_tuple else
                     concat_split_ops.concat(new_states, 1))


# The wrappers subclass RNNCell, so they come after it (and stay importable from here).
from .rnn_wrappers import DeviceWrapper, DropoutWrapper, ResidualWrapper  # noqa: E402

__all__ = ["BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell",
           "LSTMCell", "LSTMStateTuple", "MultiRNNCell", "RNNCell", "ResidualWrapper",
           "bidirectional_dynamic_rnn", "dynamic_rnn", "static_bidirectional_rnn", "static_rnn"]
