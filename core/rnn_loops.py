"""TF1's ``tf.nn.static_rnn`` / ``dynamic_rnn`` and their bidirectional forms: a cell (core/rnn.py)
run over time, re-exported by core/rnn.py.

``static_rnn`` unrolls the cell over its list of steps; ``dynamic_rnn`` builds TF1's graph, a
tf.while_loop over TensorArrays (named as TF names it), whether or not the time dimension is
known. The results, and the variable names (``rnn/basic_lstm_cell/kernel``), are TF1's.
"""

from __future__ import annotations

from . import dtypes as _dt
from .default_graph import control_dependencies, name_scope
from .graph import Tensor, convert_to_tensor
from .nest import map_structure
from .nest_util import flatten, pack
from .ops import array_ops, concat_split_ops, logic_ops, math_ops, transform_ops
from .ops.tensor_array_ops import TensorArray
from .tensor_shape import TensorShape
from .variables import variable_scope


def _batch_size(inputs):
    inputs = flatten(inputs)[0]  # (a nested step: its first tensor)
    n = inputs.shape[0].value if inputs.shape.rank else None
    return n if n is not None else array_ops.shape(inputs)[0]


def _unroll(cell, steps, initial_state, dtype, sequence_length, scope, keep_shapes):
    """The cell over ``steps`` (a list of [batch, depth] tensors) in variable scope ``rnn``;
    with ``sequence_length``, outputs are zero and the state is carried unchanged past each
    row's length (TF1's copy-through). With ``keep_shapes``, the state keeps the initial
    state's static shapes from step to step (see _step)."""
    with variable_scope(scope or "rnn") as vs:
        state = _initial_state(cell, _batch_size(steps[0]), initial_state, dtype)
        sequence_length = _lengths(sequence_length)
        outputs = []
        for t, x in enumerate(steps):
            if t > 0:
                vs.reuse_variables()
            output, state = _step(cell, x, state, sequence_length, t, keep_shapes)
            outputs.append(output)
        return outputs, state


def _initial_state(cell, batch, initial_state, dtype):
    """The given state, else TF's: the cell's ``get_initial_state(inputs=None, batch_size,
    dtype)`` if it has one (TF1's RNNCells and Keras' cells), else its ``zero_state``; a cell
    with neither (minitf's Keras cells) gets Keras' zero-filled state of its ``state_size``."""
    if initial_state is not None:
        return initial_state
    if dtype is None:
        raise ValueError("If no initial_state is provided, dtype must be specified")
    if getattr(cell, "get_initial_state", None) is not None:
        return cell.get_initial_state(inputs=None, batch_size=batch, dtype=dtype)
    if getattr(cell, "zero_state", None) is not None:
        return cell.zero_state(batch, dtype)
    return map_structure(lambda size: _zeros(batch, size, dtype), cell.state_size)


def _zeros(batch, size, dtype):
    """Zeros [batch, *size], ``batch`` an int or a scalar tensor (Keras' create_zeros)."""
    dims = TensorShape(size).as_list()
    if isinstance(batch, Tensor):
        return array_ops.zeros(concat_split_ops.stack([batch, *dims]), dtype=dtype)
    return array_ops.zeros([batch, *dims], dtype=dtype)


def _lengths(sequence_length):
    if sequence_length is None:
        return None
    return math_ops.cast(convert_to_tensor(sequence_length), _dt.int32)


def _step(cell, x, state, sequence_length, t, keep_shapes=True):
    """One step of the cell; past a row's length its output is zero and its state is
    carried through.

    The static shapes are TF1's: with ``keep_shapes`` the new state has the old one's static
    shape, as in TF1's dynamic_rnn, whose state is a while-loop variable (it keeps the shape
    it entered with), and in its static_rnn with lengths (which sets each step's state to the
    previous one's shape)."""
    output, new_state = cell(x, state)
    flat_new, flat_old = flatten(new_state), flatten(state)
    if sequence_length is None:
        if not keep_shapes:
            return output, new_state
        # (a TensorArray in the state, an AttentionWrapper's alignment history, has no
        # static shape to keep)
        return output, pack(new_state, iter([_with_shape(a, b.shape) if hasattr(b, "shape")
                                             else a for a, b in zip(flat_new, flat_old)]))
    alive = logic_ops.greater(sequence_length, t)  # a row per batch entry
    output = pack(output, iter([_pick_rows(alive, o, array_ops.zeros_like(o))
                                for o in flatten(output)]))
    return output, pack(new_state, iter(
        [_pick_rows(alive, a, b, b.shape if keep_shapes else None)
         if hasattr(b, "shape") and b.shape.rank != 0 else a  # TF's: a TensorArray or a
         for a, b in zip(flat_new, flat_old)]))  # scalar (an AttentionWrapper's time) go on


def _pick_rows(alive, new, old, shape=None):
    """``where(alive, new, old)``, with the static ``shape`` if given (the Select is a tensor
    of its own, so relaxing its shape touches nothing else)."""
    picked = logic_ops.where(alive, new, old)
    if shape is not None and shape.is_compatible_with(picked.shape):
        picked._shape = shape
    return picked


def _with_shape(tensor, shape):
    """``tensor`` with the less specific static ``shape`` (TF1's loop variable keeping its
    entering shape): itself if nothing would change, else an Identity of it carrying that shape
    (the cell's tensor may be its output too, whose shape stays)."""
    dims = [None if s.rank is None else s.as_list() for s in (tensor.shape, shape)]
    if dims[0] == dims[1] or not shape.is_compatible_with(tensor.shape):
        return tensor  # (an incompatible state fails at the next step's cell)
    relaxed = array_ops.identity(tensor)
    relaxed._shape = shape
    return relaxed


def _check_static_inputs(inputs):
    """TF's checks (and words) on a static RNN's inputs: a sequence, not empty."""
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"Argument `inputs` must be a sequence. Received: {inputs}")
    if not inputs:
        raise ValueError("Argument `inputs` must not be empty.")


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None,
               scope=None):
    """``cell`` over a list of [batch, depth] inputs: (list of outputs, final state)."""
    _check_static_inputs(inputs)
    return _unroll(cell, [convert_to_tensor(x) for x in inputs], initial_state, dtype,
                   sequence_length, scope, keep_shapes=sequence_length is not None)


def _transpose_batch_time(x):
    """[batch, time, ...] <-> [time, batch, ...], TF's _transpose_batch_time (a permutation
    built from the rank, the node names TF gives: ``transpose``, ``transpose_1``)."""
    static = x.shape
    if static.rank is not None and static.rank < 2:
        return x
    perm = concat_split_ops.concat(([1, 0], array_ops.range_(2, array_ops.rank(x))), axis=0)
    swapped = transform_ops.transpose(x, perm)
    swapped.set_shape(TensorShape([static.dims[1].value, static.dims[0].value]).concatenate(
        static[2:]))
    return swapped


def dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None,
                parallel_iterations=None, swap_memory=False, time_major=False, scope=None):
    """``cell`` over ``inputs`` [batch, time, ...] (``[time, batch, ...]`` if ``time_major``;
    a nested structure of such tensors is handed to the cell as one): (outputs of the same
    layout and the cell's output structure, final state).

    The graph is TF1's (rnn.py), whatever the time dimension: everything in variable scope
    ``scope or "rnn"``, a tf.while_loop over TensorArrays, so the outputs are
    ``rnn/transpose_1:0`` (``rnn/TensorArrayStack/TensorArrayGatherV3:0`` if time-major) and
    the state the loop's Exits (``rnn/while/Exit_3:0``...). A static time dimension is not
    unrolled (as minitf once did): the unrolled graph grows with the length (two LSTM layers
    at T=400: 31k nodes with gradients, 4.7 s to build, 2.6 s for the first run, against 441
    nodes, 0.06 s and 0.2 s) and is not TF's; measured, it ran at most ~0.5 ms per run faster
    at T <= 10 (batch 8, 32 units), 0-30% at T >= 50."""
    with variable_scope(scope or "rnn"):
        flat = [convert_to_tensor(x) for x in flatten(inputs)]
        for x in flat:
            if x.shape.rank is None or x.shape.rank < 3:
                raise ValueError(f"dynamic_rnn expects inputs of rank at least 3, got {x.shape}")
        if not time_major:  # (B,T,D) => (T,B,D)
            flat = [_transpose_batch_time(x) for x in flat]
        if sequence_length is not None:
            sequence_length = math_ops.cast(sequence_length, _dt.int32)
            if sequence_length.shape.rank not in (None, 1):
                raise ValueError("sequence_length must be a vector of length batch_size, got "
                                 f"shape {sequence_length.shape}")
            sequence_length = array_ops.identity(sequence_length, name="sequence_length")
        batch_size = _best_effort_batch_size(flat)
        state = _initial_state(cell, batch_size, initial_state, dtype)
        if sequence_length is not None:  # TF's check that there is a length per row
            with control_dependencies([_assert_has_shape(sequence_length, [batch_size])]):
                sequence_length = array_ops.identity(sequence_length, name="CheckSeqLen")
        outputs, state = _dynamic_rnn_loop(
            cell, pack(inputs, iter(flat)), state, parallel_iterations or 32, swap_memory,
            sequence_length, dtype)
        if not time_major:  # (T,B,D) => (B,T,D)
            outputs = [_transpose_batch_time(o) for o in outputs]
        return pack(cell.output_size, iter(outputs)), state


def _best_effort_batch_size(flat):
    """The static batch size of time-major inputs if any has one, else the first's dynamic one."""
    for x in flat:
        if x.shape.rank is not None and x.shape.dims[1].value is not None:
            return x.shape.dims[1].value
    return array_ops.shape(flat[0])[1]


def _assert_has_shape(x, shape):
    from .ops.logging_ops import Assert
    from .ops.reduction_ops import reduce_all

    x_shape = array_ops.shape(x)
    packed = concat_split_ops.stack(shape)
    return Assert(reduce_all(logic_ops.equal(x_shape, packed)),
                  [f"Expected shape for Tensor {x.name} is ", packed, " but saw shape: ",
                   x_shape])


def _concat(prefix, suffix):
    """TF's rnn_cell_impl._concat: the shape vector ``prefix`` (a batch size: an int or a
    scalar tensor) followed by ``suffix`` (an int or a TensorShape)."""
    if isinstance(prefix, Tensor):
        p = prefix if prefix.shape.rank != 0 else transform_ops.expand_dims(prefix, 0)
    else:
        p = array_ops.constant(TensorShape(prefix).as_list(), dtype=_dt.int32)
    s = array_ops.constant(TensorShape(suffix).as_list(), dtype=_dt.int32)
    return concat_split_ops.concat((p, s), 0)


def _state_dtype(dtype, state):
    """TF's _infer_state_dtype: ``dtype`` when given, else the state's. Where TF raises, on
    a state of mixed dtypes (an AttentionWrapper's int32 time), the first tensor's."""
    if dtype is not None:
        return dtype
    flat = flatten(state)
    if not flat:
        raise ValueError("Unable to infer dtype from an empty state: give dtype")
    return flat[0].dtype


def _dynamic_rnn_loop(cell, inputs, state, parallel_iterations, swap_memory, sequence_length,
                      dtype):
    """TF's _dynamic_rnn_loop: ``cell`` over time-major ``inputs`` in a tf.while_loop whose
    variables are (time, the output TensorArrays, the state), reading the inputs from
    TensorArrays; with ``sequence_length`` the loop stops at the longest row, and past each
    row's length the output is zero and the state carried through. Returns the time-major
    outputs (a flat list) and the final state."""
    from .control_flow import while_loop
    from .ops.reduction_ops import reduce_max, reduce_min

    flat_input = flatten(inputs)
    flat_output_size = flatten(cell.output_size)
    time_steps = array_ops.shape(flat_input[0])[0]
    batch_size = _best_effort_batch_size(flat_input)
    got_shapes = [x.shape.with_rank_at_least(3) for x in flat_input]
    const_time_steps, const_batch_size = got_shapes[0].as_list()[:2]
    for x, shape in zip(flat_input, got_shapes):
        if not shape[2:].is_fully_defined():
            raise ValueError("Input size (depth of inputs) must be accessible via shape "
                             f"inference, but saw value None for input={x}")
        if shape.dims[0].value != const_time_steps:
            raise ValueError("Time steps is not the same for all the elements in the input "
                             f"in a batch: {shape.dims[0].value} for input={x}")
        if shape.dims[1].value != const_batch_size:
            raise ValueError("Batch_size is not the same for all the elements in the input: "
                             f"{shape.dims[1].value} for input={x}")
    out_dtype = _state_dtype(dtype, state)
    zero_output = [array_ops.zeros(_concat(batch_size, size), out_dtype)
                   for size in flat_output_size]
    if sequence_length is not None:
        reduce_min(sequence_length)  # (TF's Min: unused, as its skip_conditionals steps)
        max_sequence_length = reduce_max(sequence_length)
    else:
        max_sequence_length = time_steps
    time = array_ops.constant(0, dtype=_dt.int32, name="time")
    with name_scope("dynamic_rnn") as base_name:
        pass  # (TF names its TensorArrays' storage after this scope)
    output_ta = tuple(
        TensorArray(out_dtype, size=time_steps, tensor_array_name=f"{base_name}output_{i}",
                    element_shape=TensorShape([const_batch_size]).concatenate(size))
        for i, size in enumerate(flat_output_size))
    input_ta = tuple(TensorArray(x.dtype, size=time_steps, element_shape=x.shape[1:],
                                 tensor_array_name=f"{base_name}input_{i}")
                     for i, x in enumerate(flat_input))
    input_ta = tuple(ta.unstack(x) for ta, x in zip(input_ta, flat_input))

    def time_step(time, output_ta_t, state):
        input_t = [ta.read(time) for ta in input_ta]
        for x, shape in zip(input_t, got_shapes):
            x.set_shape(shape[1:])
        output, new_state = cell(pack(inputs, iter(input_t)), state)
        if sequence_length is not None:
            output, new_state = _copy_through(time, sequence_length, zero_output, state,
                                              output, new_state)
        output_ta_t = tuple(ta.write(time, out) for ta, out in zip(output_ta_t, flatten(output)))
        return (time + 1, output_ta_t, new_state)

    # at least one step, so that the TensorArrays learn the elements' shape (TF's comment)
    loop_bound = math_ops.minimum(time_steps, math_ops.maximum(1, max_sequence_length))
    _, output_final_ta, final_state = while_loop(
        lambda time, *_: time < loop_bound, time_step, (time, output_ta, state),
        parallel_iterations=parallel_iterations, swap_memory=swap_memory,
        maximum_iterations=time_steps)
    final_outputs = [ta.stack() for ta in output_final_ta]
    for output, size in zip(final_outputs, flat_output_size):
        array_ops.constant(TensorShape(size).as_list(), dtype=_dt.int32)  # (TF's _concat
        # with static=True makes this Const too)
        output.set_shape(TensorShape([const_time_steps, const_batch_size]).concatenate(size))
    return final_outputs, final_state


def _copy_through(time, sequence_length, zero_output, state, new_output, new_state):
    """TF's _rnn_step with skip_conditionals: rows whose length is reached (time >= length)
    output zeros and keep their state (a TensorArray or scalar in the state goes on)."""
    from .default_graph import colocate_with

    copy_cond = logic_ops.greater_equal(time, sequence_length)

    def copy_one(old, new):
        if isinstance(old, TensorArray) or old.shape.rank == 0:
            return new
        with colocate_with(new):
            return logic_ops.where(copy_cond, old, new)

    flat_output, flat_state = flatten(new_output), flatten(new_state)
    outputs = [copy_one(z, o) for z, o in zip(zero_output, flat_output)]
    states = [copy_one(s, n) for s, n in zip(flatten(state), flat_state)]
    for o, z in zip(outputs, zero_output):
        o.set_shape(z.shape)
    for n, s in zip(states, flatten(state)):
        if not isinstance(n, TensorArray):
            n.set_shape(s.shape)
    return pack(new_output, iter(outputs)), pack(state, iter(states))


def bidirectional_dynamic_rnn(cell_fw, cell_bw, inputs, sequence_length=None,
                              initial_state_fw=None, initial_state_bw=None, dtype=None,
                              parallel_iterations=None, swap_memory=False, time_major=False,
                              scope=None):
    """TF1's ``tf.nn.bidirectional_dynamic_rnn``: ``cell_fw`` over ``inputs`` (scope
    ``bidirectional_rnn/fw``) and ``cell_bw`` over them reversed in time (each row's first
    ``sequence_length`` steps, with lengths; scope ``bidirectional_rnn/bw``), its outputs
    reversed back. Returns ((output_fw, output_bw), (state_fw, state_bw))."""
    time_axis, batch_axis = (0, 1) if time_major else (1, 0)

    def backwards(x):
        if sequence_length is None:
            from .composites import reverse

            return reverse(x, axis=[time_axis])
        return transform_ops.reverse_sequence(x, sequence_length, seq_axis=time_axis,
                                              batch_axis=batch_axis)

    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, state_fw = dynamic_rnn(
                cell_fw, inputs, sequence_length, initial_state_fw, dtype, parallel_iterations,
                swap_memory, time_major, scope=fw_scope)
        with variable_scope("bw") as bw_scope:
            reversed_inputs = pack(inputs, iter([backwards(convert_to_tensor(x))
                                                 for x in flatten(inputs)]))
            reversed_bw, state_bw = dynamic_rnn(
                cell_bw, reversed_inputs, sequence_length,
                initial_state_bw, dtype, parallel_iterations, swap_memory, time_major,
                scope=bw_scope)
    output_bw = pack(reversed_bw, iter([backwards(o) for o in flatten(reversed_bw)]))
    return (output_fw, output_bw), (state_fw, state_bw)


def static_bidirectional_rnn(cell_fw, cell_bw, inputs, initial_state_fw=None,
                             initial_state_bw=None, dtype=None, sequence_length=None,
                             scope=None):
    """TF1's ``tf.nn.static_bidirectional_rnn``: static_rnn of ``cell_fw`` over the list of
    inputs (scope ``bidirectional_rnn/fw``) and of ``cell_bw`` over it reversed (each row's
    first ``sequence_length`` steps, with lengths; scope ``bidirectional_rnn/bw``). Returns
    (outputs, state_fw, state_bw), each output the concatenation of both directions'."""
    _check_static_inputs(inputs)
    steps = [convert_to_tensor(x) for x in inputs]

    def backwards(xs):
        if sequence_length is None:
            return xs[::-1]
        stacked = concat_split_ops.stack(xs, axis=1)
        flipped = transform_ops.reverse_sequence(stacked, sequence_length, seq_axis=1,
                                                 batch_axis=0)
        return concat_split_ops.unstack(flipped, num=len(xs), axis=1)

    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, state_fw = static_rnn(cell_fw, steps, initial_state_fw, dtype,
                                             sequence_length, scope=fw_scope)
        with variable_scope("bw") as bw_scope:
            reversed_bw, state_bw = static_rnn(cell_bw, backwards(steps), initial_state_bw,
                                               dtype, sequence_length, scope=bw_scope)
    outputs = [concat_split_ops.concat([f, b], 1)
               for f, b in zip(output_fw, backwards(reversed_bw))]
    return outputs, state_fw, state_bw
