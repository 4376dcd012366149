"""``tf.while_loop`` as TF1 builds it: the loop variables enter a frame (Enter), a Merge per
variable joins the entry with the back edge (NextIteration), a Switch on the condition
(LoopCond) either feeds the body or leaves the loop (Exit). ``WhileContext`` is the graph's
control-flow context while the condition and body functions run, and enters every outside value
they use into the frame. Also here: the checks of loop variables against the body's results
and the shape invariants, and ``check_loop_inputs`` (apply_op's check that a value made inside a
loop is used only inside it).

Split from core/control_flow.py (tf.cond, tf.case), which re-exports these names; the context
plumbing both share is core/control_flow_util.py, the loop's gradient core/control_flow_grad.py.
"""

from __future__ import annotations

import copy

from .tensor_shape import TensorShape
from .graph import (Operation, Tensor, _is_variable_output, convert_to_tensor,
                    get_default_graph, name_scope)
from .nest import assert_same_structure
from .nest_util import _sparse, describe, flatten, pack
from .ops.array_ops import identity
from .ops.tensor_array_ops import TensorArray
from .ops.control_flow_ops import (ENTER, EXIT, LOOP_COND, MERGE, NEXT_ITERATION, REF_ENTER,
                                   SWITCH)
from .control_flow_util import _as_loop_tensor, _outside, _register, _with_arrays

__all__ = ["while_loop"]


def _enclosing_loop(ctx):
    """The innermost WhileContext around ``ctx`` (itself included), or None."""
    while ctx is not None and not isinstance(ctx, WhileContext):
        ctx = ctx.outer
    return ctx


def check_loop_inputs(graph, opdef, inputs, op_name: str):
    """A value made inside a while loop exists once per iteration: only ops inside that loop
    may use it (TF1's check; the loop's results are its Exits)."""
    if opdef.type == "Exit":
        return
    ctx = graph._control_flow_context
    for t in inputs:
        loop = graph._loop_ops.get(t._op)
        if loop is None:
            continue
        inner = ctx
        while inner is not None and inner is not loop:
            inner = inner.outer
        if inner is None:
            raise ValueError(f"Cannot use '{t._op.name}' as input to '{op_name}' because "
                             f"'{t._op.name}' is in a while loop ('{loop.name}'); use the "
                             "loop's results instead.")


class WhileContext:
    """One tf.while_loop under construction, as TF1's WhileContext.

    While its cond and body functions run, it is the graph's control-flow context: apply_op
    hands it each new op's inputs, and it replaces every tensor made outside the loop by that
    tensor entered into the loop's frame (an Enter with is_constant, made once per tensor; a
    variable by reference, a RefEnter, so updates in the body write to it). An op whose inputs
    all come from outside gets a control input on the pivot (the first loop variable), so it
    belongs to the loop. A control input from outside the loop moves to the loop's Enter ops:
    the loop starts after it, and its op does not run again in every iteration."""

    is_gradient = False  # a gradient loop (its stack pops would pass for constants)
    refusal = None  # why tf.gradients cannot differentiate this loop (an imported one)

    def __init__(self, graph, name: str, parallel_iterations: int, outer, control_inputs):
        self.graph = graph
        self.name = name  # the frame name (Enter's frame_name)
        self.parallel_iterations = parallel_iterations
        self.outer = outer  # the enclosing branch or loop, or None
        self.values: set = set()  # tensors usable here as they are
        self.ops: set = set()  # ops made in this loop (or in a context inside it)
        self.external: dict = {}  # an outside tensor -> its Enter output
        self.enters: list = []
        self.loop_cond = None  # the LoopCond's output, once the condition is built
        self.pivot = None  # the first loop variable: in the condition its Merge, in the body
        self._control_inputs = control_inputs  # the control scope of the tf.while_loop call
        self._inner: dict = {}  # op -> the context inside this loop it was made in
        self.back_prop = True

    def enter(self, t: Tensor, is_constant: bool) -> Tensor:
        """``t`` (already in the outer context) entered into this loop's frame."""
        enter = REF_ENTER if _is_variable_output(t) else ENTER
        with _outside(self):
            entered = enter(t, frame_name=self.name, is_constant=is_constant,
                            parallel_iterations=self.parallel_iterations)
        entered.op._add_control_inputs(self._control_inputs)
        self.enters.append(entered.op)
        _register(self, entered.op)
        return entered

    def add_value(self, t: Tensor) -> Tensor:
        """``t`` as seen inside this loop: itself if made here, else entered (once)."""
        if t in self.values:
            return self.external.get(t, t)
        entered = self.enter(t if self.outer is None else self.outer.add_value(t), True)
        self.values.add(t)
        self.external[t] = entered
        return entered

    def enter_inputs(self, opdef, args, flat: list, control_inputs):
        return [self.add_value(t) for t in flat], control_inputs

    def made(self, op: Operation):
        _register(self, op)
        if not op._control_inputs and all(
                t._op._opdef.type in ("Enter", "RefEnter") and t._op._attrs["is_constant"]
                for t in op._inputs):
            op._add_control_input(self.pivot.op)

    def _contains(self, op: Operation):
        self.values.update(op.outputs)
        self.ops.add(op)
        self.graph._loop_ops.setdefault(op, self)  # the innermost loop: registered first
        for t in op.outputs:  # as TF1: a value inside a loop exists once per iteration
            self.graph.prevent_feeding(t)
        ctx = self.graph._control_flow_context
        if ctx is not None and ctx is not self and op not in self._inner:
            self._inner[op] = ctx  # made in a branch (or loop) inside this loop
        if op in self.enters:
            return
        external = [c for c in op._control_inputs if c not in self.ops]
        if external:
            for c in external:
                op._control_inputs.remove(c)
                c._control_outputs.remove(op)
            self._hoist(external)

    def _hoist(self, controls):
        """Control inputs from outside this loop go to its Enter ops; those from outside an
        enclosing loop too, to that loop's."""
        outer = _enclosing_loop(self.outer)
        if outer is not None:
            outer._hoist([c for c in controls if c not in outer.ops])
            controls = [c for c in controls if c in outer.ops]
        for e in self.enters:
            e._add_control_inputs(controls)

    def build(self, cond, body, loop_vars, shape_invariants):
        """TF1's _BuildLoop: returns (the body's result, the Exit tensors)."""
        graph = self.graph
        originals = flatten(loop_vars)
        flat = [_as_loop_tensor(v) for v in originals]
        invariants = [v.shape if s is None or isinstance(o, TensorArray) else s  # a flow: ()
                      for o, v, s in zip(originals, flat,
                                         _flat_invariants(loop_vars, shape_invariants))]
        signature = _signature(loop_vars, shape_invariants)
        saved, graph._control_flow_context = graph._control_flow_context, self
        try:
            real = flat if self.outer is None else [self.outer.add_value(v) for v in flat]
            entered = []
            for v, shape in zip(real, invariants):
                e = self.enter(v, False)
                if not _shape_less_than_or_equal(v.shape, shape):
                    raise ValueError(
                        f"The shape invariant specified for {v.name} is not compatible with "
                        f"the initial shape of the loop variable. It enters the loop with shape "
                        f"{v.shape}, but the specified shape invariant is {shape}.")
                e._shape = shape  # TF1: the Enter takes the invariant, and so the Merge
                entered.append(e)
            self.values.update(entered)
            merges = [MERGE([e, e])[0] for e in entered]
            self.pivot = merges[0]
            pred = convert_to_tensor(cond(*pack(signature, _with_arrays(originals, merges))))
            loop_cond = self.loop_cond = LOOP_COND(pred, name="LoopCond")
            switches = [SWITCH(m, loop_cond) for m in merges]
            inside = [identity(sw[1]) for sw in switches]
            self.pivot = inside[0]
            result = body(*pack(signature, _with_arrays(originals, inside)))
            if not isinstance(result, (list, tuple, dict)):
                result = [result]
            # TF1 lets a list of loop variables come back as a tuple (only the top level)
            _check_returns(list(loop_vars), list(result))
            for k, (o, r) in enumerate(zip(originals, flatten(result))):
                if isinstance(o, TensorArray) != isinstance(r, TensorArray):
                    raise TypeError(f"Loop variable {k} enters the loop as a "
                                    f"{type(o).__name__}, but the body returns a "
                                    f"{type(r).__name__} for it")
            nexts = [_as_loop_tensor(v) for v in flatten(result)]
            for k, (m, e, v) in enumerate(zip(merges, entered, nexts)):
                if v.dtype.base_dtype != m.dtype.base_dtype:
                    raise ValueError(
                        f"Loop variable {k} enters the loop as {m.dtype.name}, but the body "
                        f"returns {v.dtype.name} for it ({v.name})")
                if not _shape_less_than_or_equal(v.shape, m.shape):
                    raise ValueError(
                        f"Input tensor '{e.op.inputs[0].name}' enters the loop with shape "
                        f"{m.shape}, but has shape {v.shape} after one iteration. To allow "
                        "the shape to vary across iterations, use the `shape_invariants` "
                        "argument of tf.while_loop to specify a less-specific shape.")
                m.op._update_input(1, NEXT_ITERATION(v))  # the loop's back edge
        finally:
            graph._control_flow_context = saved
        exits = [EXIT(sw[0]) for sw in switches]
        # What the loop's gradient needs (core/control_flow_grad.py).
        self.merges, self.inside, self.nexts = merges, inside, nexts
        self.exits = [x.op for x in exits]
        self.entries = [e.op for e in entered]  # the loop variables' Enters
        graph._while_contexts[self.name] = self
        return result, exits

    def add_loop_variable(self, initial, step, shape=None):
        """A loop variable added to this loop once its condition exists (the gradient's
        iteration counter, a sparse gradient's accumulator): ``initial`` is a value or a
        function making it (outside the loop), ``step(value) -> next value`` builds its update
        in the body, ``shape`` is its shape invariant. Returns (its Exit, its NextIteration
        op)."""
        graph = self.graph
        with graph.control_dependencies(None):  # part of the loop, not of the caller's scope
            graph._control_flow_context = self.outer
            initial = convert_to_tensor(initial() if callable(initial) else initial)
            graph._control_flow_context = self
            real = initial if self.outer is None else self.outer.add_value(initial)
            entered = self.enter(real, False)
            if shape is not None:
                entered._shape = shape
            self.values.add(entered)
            merge = MERGE([entered, entered])[0]
            switch = SWITCH(merge, self.loop_cond)
            following = NEXT_ITERATION(step(identity(switch[1])))
            merge.op._update_input(1, following)
            graph._control_flow_context = self.outer
            result = EXIT(switch[0])
        return result, following.op

    def op_context(self, op: Operation):
        """The innermost context ``op`` was made in, from this loop's inside; None if that
        is this loop itself."""
        return self._inner.get(op)


def _check_returns(loop_vars, result):
    """As TF1's nest.assert_same_structure: TypeError if only the kinds of sequence differ."""
    error = _mismatch(loop_vars, result)
    if error is None:
        return
    detail = ("The body of tf.while_loop must return the structure of 'loop_vars' "
              f"({describe(loop_vars)} went in and {describe(result)} came back)")
    try:  # TF's own check (its message is what users search for)
        assert_same_structure(loop_vars, result, check_types=error is TypeError,
                              expand_composites=True)
    except (TypeError, ValueError) as e:
        raise error(f"{detail}: {e}") from None
    raise error(detail)


def _mismatch(a, b):
    """The error class TF1's assert_same_structure raises at the first difference, in its
    order (nesting, then the kind of sequence, then the length), or None."""
    seq = (list, tuple, dict)
    if isinstance(a, seq) != isinstance(b, seq) or _sparse(a) != _sparse(b):
        return ValueError
    if not isinstance(a, seq):
        return None
    if type(a) is not type(b) and not (isinstance(a, dict) and isinstance(b, dict)):
        return TypeError
    if isinstance(a, dict):
        if sorted(a) != sorted(b):
            return ValueError
        a, b = [a[k] for k in sorted(a)], [b[k] for k in sorted(b)]
    if len(a) != len(b):
        return ValueError
    return next((e for e in map(_mismatch, a, b) if e is not None), None)


def _flat_invariants(loop_vars, shape_invariants) -> list:
    """The shape invariants of the flat loop variables, from TensorShapes nested as
    ``loop_vars`` (None: the variables' own shapes, left None here). As TF1, a SparseTensor's
    is the shape of its dense shape, ``[rank]``: its indices and values may change length (so
    they do even without an invariant)."""
    out: list = []

    def mismatch():
        return ValueError("'shape_invariants' must have the structure of 'loop_vars': "
                          f"{describe(loop_vars)} and {describe(shape_invariants)}")

    def walk(v, s):
        if isinstance(v, dict):
            if s is not None and (not isinstance(s, dict) or sorted(v) != sorted(s)):
                raise mismatch()
            for k in sorted(v):
                walk(v[k], None if s is None else s[k])
        elif isinstance(v, (list, tuple)):
            if s is not None and (not isinstance(s, (list, tuple)) or len(v) != len(s)):
                raise mismatch()
            for k, a in enumerate(v):
                walk(a, None if s is None else s[k])
        elif isinstance(s, (list, tuple, dict)):
            raise mismatch()
        elif s is not None and not isinstance(s, TensorShape):
            raise TypeError(f"Each shape invariant must be a tf.TensorShape, got {s!r}")
        elif _sparse(v):
            rank = _sparse_rank(v, s)
            out.extend([TensorShape([None, rank]), TensorShape([None]), TensorShape([rank])])
        else:
            out.append(s)  # None: the variable's own shape

    walk(loop_vars, shape_invariants)
    return out


def _sparse_rank(v, s):
    """A sparse loop variable's rank: its invariant's length (TF1: the invariant must be the
    shape of its dense_shape, a vector), else its static rank; None if unknown."""
    if s is None:
        return v.shape.rank
    if s.rank is not None and s.rank != 1:
        raise ValueError(f"Expected a shape with 1 dimension. Obtained: {s} which has "
                         f"{s.rank} dimensions.")
    return None if s.rank is None else s.as_tuple()[0]


def _signature(loop_vars, shape_invariants):
    """``loop_vars`` as the loop's cond and body see them: with an invariant, a SparseTensor's
    static shape is only its rank (TF1's SparseTensorSpec of the invariant)."""
    if shape_invariants is None:
        return loop_vars
    if isinstance(loop_vars, dict):
        return {k: _signature(v, shape_invariants[k]) for k, v in loop_vars.items()}
    if isinstance(loop_vars, (list, tuple)):
        items = [_signature(v, s) for v, s in zip(loop_vars, shape_invariants)]
        if hasattr(loop_vars, "_fields"):  # a namedtuple
            return type(loop_vars)(*items)
        return type(loop_vars)(items)
    if _sparse(loop_vars):
        rank = _sparse_rank(loop_vars, shape_invariants)
        relaxed = copy.copy(loop_vars)
        relaxed._shape = TensorShape(None if rank is None else [None] * rank)
        return relaxed
    return loop_vars


def _shape_less_than_or_equal(shape, invariant) -> bool:
    """Whether ``shape`` is at least as specific as ``invariant`` (TF1's check)."""
    if invariant.rank is None:
        return True
    if shape.rank != invariant.rank:
        return False
    return all(b is None or a == b for a, b in zip(shape.as_tuple(), invariant.as_tuple()))


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, name=None, maximum_iterations=None,
               return_same_structure=False):
    """TF1's ``tf.while_loop``: repeats ``body`` while ``cond`` holds, decided when the graph
    runs. ``loop_vars`` is a list or tuple (possibly nested) of tensors; ``cond`` and ``body``
    take them as arguments, ``body`` returns new values of the same structure, dtypes and
    (unless ``shape_invariants`` says otherwise) shapes. Both functions are called once, now,
    to build the loop. ``maximum_iterations`` bounds the iterations. Returns the final values,
    a lone one unwrapped unless ``return_same_structure``. tf.gradients differentiates it as
    TF1 does (core/control_flow_grad.py)."""
    if not callable(cond):
        raise TypeError("'cond' must be callable.")
    if not callable(body):
        raise TypeError("'body' must be callable.")
    if not isinstance(parallel_iterations, int) or parallel_iterations < 1:
        raise TypeError("'parallel_iterations' must be a positive integer.")
    if isinstance(loop_vars, Tensor) or not isinstance(loop_vars, (list, tuple)):
        raise TypeError("'loop_vars' must be a list or tuple of tensors (possibly nested), got "
                        f"{type(loop_vars).__name__}")
    if not loop_vars:
        raise ValueError("'loop_vars' must be provided.")
    graph = get_default_graph()
    with graph.as_default(), name_scope(name, "while", flatten(loop_vars)):
        try_to_pack = len(loop_vars) == 1 and not return_same_structure
        if maximum_iterations is not None:
            from .ops.logic_ops import logical_and
            from .ops.array_ops import constant

            maximum_iterations = convert_to_tensor(maximum_iterations,
                                                   name="maximum_iterations")
            if maximum_iterations.shape.rank != 0:
                raise ValueError("'maximum_iterations' must be a scalar. Received shape: "
                                 f"{maximum_iterations.shape}")
            counter = constant(0, dtype=maximum_iterations.dtype, name="iteration_counter")
            orig_cond, orig_body = cond, body
            if try_to_pack:
                loop_vars = (counter, loop_vars[0])

                def cond(i, lv):
                    return logical_and(i < maximum_iterations, orig_cond(lv))

                def body(i, lv):
                    following = i + 1  # made first, as TF1 (node names)
                    result = orig_body(lv)
                    _check_returns(lv, result)  # here: the message shows no counter
                    return (following, result)
            else:
                loop_vars = (counter, loop_vars)

                def cond(i, lv):
                    return logical_and(i < maximum_iterations, orig_cond(*lv))

                def body(i, lv):
                    following = i + 1  # made first, as TF1 (node names)
                    result = orig_body(*lv)
                    _check_returns(lv, result)  # as TF1: no list-for-tuple leniency inside
                    return (following, result)
            if shape_invariants is not None:
                shape_invariants = (TensorShape([]), shape_invariants)
        controls = [c for level in graph._control_stack for c in level]
        context = WhileContext(graph, graph.unique_name("while_context"), parallel_iterations,
                               graph._control_flow_context, controls)
        context.back_prop = back_prop  # False: gradients do not go through (a stop_gradient)
        result, exits = context.build(cond, body, loop_vars, shape_invariants)
        packed = pack(result, _with_arrays(flatten(result), exits))
        if not return_same_structure and len(exits) == 1:
            packed = packed[0]
        if maximum_iterations is not None:
            return packed[1]
        return packed
