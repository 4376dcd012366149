"""TF1's ``tf.nn.raw_rnn`` and ``tf.nn.static_state_saving_rnn``, built as TF builds them
(``tensorflow/python/ops/rnn.py``) from minitf's tf.while_loop, TensorArrays and static_rnn.

raw_rnn hands each step's input, state and emitted output to the caller's ``loop_fn``: a
tf.while_loop runs while some batch entry is unfinished, entries that have finished keep their
state and emit zeros, and every step's emit is written to a growing TensorArray. So the loop,
its gradient (core/control_flow_grad.py) and the variables (``rnn/lstm_cell/kernel``) are TF1's.
"""

from __future__ import annotations

from . import dtypes as _dt
from .control_flow import _mismatch, while_loop
from .graph import Tensor, convert_to_tensor, get_default_graph
from .nest_util import flatten, pack
from .ops import array_ops, concat_split_ops, logic_ops, reduction_ops
from .ops.tensor_array_ops import TensorArray
from .rnn import static_rnn
from .tensor_conversion import constant_value
from .tensor_shape import TensorShape, as_shape
from .variables import variable_scope

__all__ = ["raw_rnn", "static_state_saving_rnn"]


def _assert_like_rnncell(name, cell):
    """TF's rnn_cell_impl.assert_like_rnncell: what a cell must have, all of it named."""
    problems = [message for missing, message in (
        (not hasattr(cell, "output_size"), "'output_size' property is missing"),
        (not hasattr(cell, "state_size"), "'state_size' property is missing"),
        (not (hasattr(cell, "zero_state") or hasattr(cell, "get_initial_state")),
         "either 'zero_state' or 'get_initial_state' method is required"),
        (not callable(cell), "is not callable")) if missing]
    if problems:
        raise TypeError(f"The argument {name!r} ({cell}) is not an RNNCell: "
                        f"{', '.join(problems)}.")


def _is_nested(v) -> bool:
    return isinstance(v, (list, tuple, dict))


def _assert_same_structure(a, b):
    """TF's nest.assert_same_structure (sequence kinds checked): ValueError or TypeError."""
    error = _mismatch(a, b)
    if error is not None:
        raise error("The two structures don't have the same nested structure.\n\n"
                    f"First structure: {a}\n\nSecond structure: {b}")


def _map(fn, *structures):
    """TF's nest.map_structure over structures of the same nesting."""
    return pack(structures[0], iter([fn(*leaves) for leaves in
                                     zip(*(flatten(s) for s in structures))]))


def _size_shape(size) -> TensorShape:
    """An output or state size (an int, a list or TensorShape, or a shape tensor) as a static
    shape (TF's _maybe_tensor_shape_from_tensor)."""
    if isinstance(size, Tensor):
        values = constant_value(size)
        return TensorShape(None) if values is None else TensorShape(values.tolist())
    return TensorShape([size]) if isinstance(size, int) else as_shape(size)


def _zeros(batch_size, size, dtype):
    """Zeros of shape [batch_size] + size (TF's _concat of a batch size and a size, static when
    both are known)."""
    static = _size_shape(size)
    if isinstance(batch_size, int) and static.is_fully_defined():
        return array_ops.zeros([batch_size] + static.as_list(), dtype=dtype)
    batch = array_ops.reshape(convert_to_tensor(batch_size, dtype=_dt.int32), [1])
    rest = size if isinstance(size, Tensor) else array_ops.constant(static.as_list(),
                                                                    dtype=_dt.int32)
    return array_ops.zeros(concat_split_ops.concat([batch, rest], 0), dtype=dtype)


def raw_rnn(cell, loop_fn, parallel_iterations=None, swap_memory=False, scope=None):
    """TF1's ``tf.nn.raw_rnn``: ``loop_fn(time, cell_output, cell_state, loop_state)`` returns
    ``(finished, next_input, next_cell_state, emit_output, next_loop_state)``; its first call
    (time 0, the rest None) gives the initial input and state, and the structure of what is
    emitted (None: ``cell.output_size``). While some entry of ``finished`` is false the cell
    runs on the next input; finished entries keep their state and emit zeros. Returns
    ``(emit_ta, final_state, final_loop_state)``: the emitted outputs as TensorArrays (one
    per leaf of the emit structure), the last state, and the last loop state (None if the first
    call gave None)."""
    _assert_like_rnncell("cell", cell)
    if not callable(loop_fn):
        raise TypeError(f"Argument `loop_fn` must be a callable. Received: {loop_fn}.")
    parallel_iterations = parallel_iterations or 32

    with variable_scope(scope or "rnn"):
        time = array_ops.constant(0, dtype=_dt.int32)
        (elements_finished, next_input, initial_state, emit_structure,
         init_loop_state) = loop_fn(time, None, None, None)
        flat_input = [convert_to_tensor(x) for x in flatten(next_input)]
        next_input = pack(next_input, iter(flat_input))
        # A surrogate loop state for the while_loop when loop_fn keeps none.
        loop_state = init_loop_state if init_loop_state is not None else \
            array_ops.constant(0, dtype=_dt.int32)

        static_batch = TensorShape([None])
        for x in flat_input:
            first = x.shape[:1] if x.shape.rank else TensorShape([None])
            if not static_batch.is_compatible_with(first):
                raise ValueError(f"Dimensions {static_batch[0].value} and {first[0].value} "
                                 "are not compatible")
            static_batch = static_batch.merge_with(first)
        const_batch_size = static_batch[0].value
        batch_size = const_batch_size if const_batch_size is not None else \
            array_ops.shape(flat_input[0])[0]

        _assert_same_structure(initial_state, cell.state_size)
        flat_state = [convert_to_tensor(s) for s in flatten(initial_state)]
        state = pack(initial_state, iter(flat_state))

        if emit_structure is not None:
            flat_emit_structure = [convert_to_tensor(e) for e in flatten(emit_structure)]
            flat_emit_size = [e.shape if e.shape.is_fully_defined() else array_ops.shape(e)
                              for e in flat_emit_structure]
            flat_emit_dtypes = [e.dtype for e in flat_emit_structure]
        else:
            emit_structure = cell.output_size
            flat_emit_size = flatten(emit_structure)
            flat_emit_dtypes = [flat_state[0].dtype] * len(flat_emit_size)

        flat_emit_ta = [
            TensorArray(dtype=dtype_i, dynamic_size=True, size=0,
                        element_shape=TensorShape([const_batch_size]).concatenate(
                            _size_shape(size_i)),
                        name=f"rnn_output_{i}")
            for i, (dtype_i, size_i) in enumerate(zip(flat_emit_dtypes, flat_emit_size))]
        emit_ta = pack(emit_structure, iter(flat_emit_ta))
        zero_emit = pack(emit_structure, iter(
            [_zeros(batch_size, size_i, dtype_i)
             for size_i, dtype_i in zip(flat_emit_size, flat_emit_dtypes)]))

        def condition(unused_time, elements_finished, *_):
            return logic_ops.logical_not(reduction_ops.reduce_all(elements_finished))

        def body(time, elements_finished, current_input, emit_ta, state, loop_state):
            next_output, cell_state = cell(current_input, state)
            _assert_same_structure(state, cell_state)
            _assert_same_structure(cell.output_size, next_output)

            next_time = time + 1
            (next_finished, next_input, next_state, emit_output,
             next_loop_state) = loop_fn(next_time, next_output, cell_state, loop_state)

            _assert_same_structure(state, next_state)
            _assert_same_structure(current_input, next_input)
            _assert_same_structure(emit_ta, emit_output)

            # loop_fn returning None for the loop state keeps the previous one.
            loop_state = loop_state if next_loop_state is None else next_loop_state

            def copy_some_through(current, candidate):
                """Finished entries keep ``current``: TensorArrays and scalars pass."""
                def copy_fn(cur_i, cand_i):
                    if isinstance(cur_i, TensorArray) or cur_i.shape.rank == 0:
                        return cand_i
                    return logic_ops.where(elements_finished, cur_i, cand_i)
                return _map(copy_fn, current, candidate)

            emit_output = copy_some_through(zero_emit, emit_output)
            next_state = copy_some_through(state, next_state)
            emit_ta = _map(lambda ta, emit: ta.write(time, emit), emit_ta, emit_output)
            elements_finished = logic_ops.logical_or(elements_finished, next_finished)
            return (next_time, elements_finished, next_input, emit_ta, next_state, loop_state)

        returned = while_loop(
            condition, body,
            loop_vars=[time, elements_finished, next_input, emit_ta, state, loop_state],
            parallel_iterations=parallel_iterations, swap_memory=swap_memory)
        emit_ta, final_state, final_loop_state = returned[-3:]
        if init_loop_state is None:
            final_loop_state = None
        return emit_ta, final_state, final_loop_state


def static_state_saving_rnn(cell, inputs, state_saver, state_name, sequence_length=None,
                            scope=None):
    """TF1's ``tf.nn.static_state_saving_rnn``: static_rnn from the state ``state_saver``
    holds (``state_saver.state(name)``, one name per leaf of ``cell.state_size``), saving the
    final state back (``state_saver.save_state(name, value)``) before the last output and the
    final state can be read. Returns (outputs, final state)."""
    state_size = cell.state_size
    state_is_tuple = _is_nested(state_size)
    state_name_tuple = _is_nested(state_name)
    if state_is_tuple != state_name_tuple:
        raise ValueError("Argument `state_name` should be the same type as "
                         f"`cell.state_size`. Received: state_name={state_name!s}, "
                         f"cell.state_size={state_size!s}.")
    if state_is_tuple:
        state_name_flat, state_size_flat = flatten(state_name), flatten(state_size)
        if len(state_name_flat) != len(state_size_flat):
            raise ValueError("Number of elements in argument `state_name` and "
                             "`cell.state_size` are mismatched. Received "
                             f"state_name={state_name} with {len(state_name_flat)} "
                             f"elements and cell.state_size={cell.state_size} with "
                             f"{len(state_size_flat)} elements.")
        initial_state = pack(state_size, iter([state_saver.state(s) for s in state_name_flat]))
    else:
        initial_state = state_saver.state(state_name)

    outputs, state = static_rnn(cell, inputs, initial_state=initial_state,
                                sequence_length=sequence_length, scope=scope)
    outputs = list(outputs)

    if state_is_tuple:
        flat_state = flatten(state)
        save_state = [state_saver.save_state(name, substate)
                      for name, substate in zip(flatten(state_name), flat_state)]
    else:
        save_state = [state_saver.save_state(state_name, state)]

    with get_default_graph().control_dependencies(save_state):
        last_output = outputs[-1]
        outputs[-1] = pack(last_output, iter(
            [array_ops.identity(output) for output in flatten(last_output)]))
        if state_is_tuple:
            state = pack(state, iter([array_ops.identity(s) for s in flat_state]))
        else:
            state = array_ops.identity(state)
    return outputs, state
