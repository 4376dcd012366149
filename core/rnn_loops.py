"""TF1's ``tf.nn.static_rnn`` / ``dynamic_rnn`` and their bidirectional forms: a cell (core/rnn.py)
run over time, re-exported by core/rnn.py.

``dynamic_rnn`` unrolls over a time dimension known at graph construction (the usual fixed
``num_steps``); over one known only at run time it is a tf.while_loop, as in TF1. The results,
and the variable names (``rnn/basic_lstm_cell/kernel``), are TF1's.
"""

from __future__ import annotations

from . import dtypes as _dt
from .graph import convert_to_tensor
from .nest_util import flatten, pack
from .ops import array_ops, concat_split_ops, logic_ops, math_ops, transform_ops
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
    if initial_state is not None:
        return initial_state
    if dtype is None:
        raise ValueError("If no initial_state is provided, dtype must be specified")
    return cell.zero_state(batch, dtype)


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


def _loop(cell, inputs, initial_state, dtype, sequence_length, scope, parallel_iterations,
          swap_memory):
    """The cell over time-major ``inputs`` (a tensor or a nested structure of them, each
    [time, batch, ...]) whose time dimension is known only when the graph runs: a
    tf.while_loop over TensorArrays, as TF1 builds dynamic_rnn."""
    from .control_flow import while_loop
    from .ops.tensor_array_ops import TensorArray

    flat = flatten(inputs)
    with variable_scope(scope or "rnn"):
        batch = flat[0].shape[1].value if flat[0].shape.rank else None
        state = _initial_state(cell, batch if batch is not None else
                               array_ops.shape(flat[0])[1], initial_state, dtype)
        sequence_length = _lengths(sequence_length)
        steps = array_ops.shape(flat[0])[0]
        elements = [TensorArray(x.dtype, size=steps, element_shape=x.shape[1:],
                                tensor_array_name=f"dynamic_rnn_input_{i}" if i else
                                "dynamic_rnn_input").unstack(x) for i, x in enumerate(flat)]
        # TF's _infer_state_dtype: the outputs take ``dtype`` when given, else the state's
        out_dtype = dtype if dtype is not None else flatten(state)[0].dtype
        outputs = [TensorArray(out_dtype, size=steps, tensor_array_name=f"dynamic_rnn_output_{i}"
                               if i else "dynamic_rnn_output")
                   for i in range(len(flatten(cell.output_size)))]

        def body(t, state, *outputs):
            # (the while loop's variables keep their entering shapes themselves)
            x = pack(inputs, iter([e.read(t) for e in elements]))
            output, state = _step(cell, x, state, sequence_length, t, keep_shapes=False)
            return (t + 1, state, *(ta.write(t, o) for ta, o in zip(outputs, flatten(output))))

        _, state, *outputs = while_loop(
            lambda t, *_: t < steps, body,
            (array_ops.constant(0, name="time"), state, *outputs),
            parallel_iterations=parallel_iterations or 32, swap_memory=swap_memory,
            maximum_iterations=steps)
        return [ta.stack() for ta in outputs], state


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None,
               scope=None):
    """``cell`` over a list of [batch, depth] inputs: (list of outputs, final state)."""
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise TypeError("inputs must be a non-empty list of tensors")
    return _unroll(cell, [convert_to_tensor(x) for x in inputs], initial_state, dtype,
                   sequence_length, scope, keep_shapes=sequence_length is not None)


def _swap_batch_time(x):
    """[batch, time, ...] <-> [time, batch, ...] (TF's _transpose_batch_time)."""
    return transform_ops.transpose(x, [1, 0] + list(range(2, x.shape.rank)))


def dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None,
                parallel_iterations=None, swap_memory=False, time_major=False, scope=None):
    """``cell`` over ``inputs`` [batch, time, ...] (``[time, batch, ...]`` if ``time_major``;
    a nested structure of such tensors is handed to the cell as one): (outputs of the same
    layout and the cell's output structure, final state). A time dimension known at graph
    construction is unrolled; one known only at run time is a tf.while_loop over
    TensorArrays, as TF1 builds it. Both differentiate."""
    flat = [convert_to_tensor(x) for x in flatten(inputs)]
    for x in flat:
        if x.shape.rank is None or x.shape.rank < 3:
            raise ValueError(f"dynamic_rnn expects inputs of rank at least 3, got {x.shape}")
    axis = 0 if time_major else 1
    steps = flat[0].shape[axis].value
    out_structure = cell.output_size
    if steps is None:
        if not time_major:
            flat = [_swap_batch_time(x) for x in flat]
        outputs, state = _loop(cell, pack(inputs, iter(flat)), initial_state, dtype,
                               sequence_length, scope, parallel_iterations, swap_memory)
        if not time_major:
            outputs = [_swap_batch_time(o) for o in outputs]
        return pack(out_structure, iter(outputs)), state
    per_input = [concat_split_ops.unstack(x, num=steps, axis=axis) for x in flat]
    step_inputs = [pack(inputs, iter([xs[t] for xs in per_input])) for t in range(steps)]
    outputs, state = _unroll(cell, step_inputs, initial_state, dtype, sequence_length, scope,
                             keep_shapes=True)
    flat_steps = [flatten(o) for o in outputs]
    stacked = [concat_split_ops.stack([o[i] for o in flat_steps], axis=axis)
               for i in range(len(flat_steps[0]))]
    return pack(outputs[0], iter(stacked)), state


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
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise TypeError("inputs must be a non-empty list of tensors")
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
