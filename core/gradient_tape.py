"""``tf.GradientTape`` as TF 1.15 has it in graph mode (eager execution disabled).

TF's tape records each op created while it is recording whose inputs include a tensor the tape
tracks (a watched tensor, a watched variable's value, or an output of an op it recorded), and
``gradient`` walks only those ops back. minitf builds the same walk from the graph itself:
ops are numbered in creation order (``Operation._id``), so the tape keeps the spans of ids
created while it recorded and the id from which each watched tensor counts, and ``gradient``
finds which ops TF would have recorded, then calls ``tf.gradients`` with every other op on the
way stopped. A trainable variable counts as watched (``watch_accessed_variables``) from the
first recorded op that reads it. A source the tape does not track gets None (zeros with
``unconnected_gradients=ZERO``), as TF's tape gives; a source that is also a target gets ones.

Unlike TF's per-thread tape stack, ops another thread adds to the same graph while this tape
records are recorded too. ``jacobian`` and ``batch_jacobian`` build one tf.while_loop (TF: pfor,
or a while loop with ``experimental_use_pfor=False``) whose body takes the vector-Jacobian
product with one row of the identity, so values and shapes are TF's.
"""

from __future__ import annotations

import contextlib

from . import dtypes as _dt
from . import nest
from . import tf_logging as logging
from .graph import GraphKeys, Tensor, convert_to_tensor, get_default_graph
from .gradients import UnconnectedGradients, gradients
from .indexed_slices import IndexedSlices

__all__ = ["GradientTape"]

_TRAINABLE = (_dt.float16, _dt.float32, _dt.float64, _dt.complex64, _dt.complex128,
              _dt.variant, _dt.resource)
_NON_PERSISTENT_USED = ("GradientTape.gradient can only be called once on non-persistent "
                        "tapes.")


def _is_variable(x) -> bool:
    return hasattr(x, "_ref") and hasattr(x, "_snapshot")


def _trainable_dtype(t: Tensor) -> bool:
    dtype = t.dtype.base_dtype
    return dtype in _TRAINABLE or getattr(dtype, "name", "") == "bfloat16"


def _unconnected(value) -> str:
    value = getattr(value, "value", value)  # the enum, or its string
    if value not in ("none", "zero"):
        raise ValueError(f"Unknown value for unconnected_gradients: {value!r}")
    return value


class _Record:
    """What a tape saw: the spans of op ids made while it recorded, and the watched tensors
    and variables with the op id from which each counts as watched."""

    def __init__(self, graph):
        self.graph = graph
        self.spans: list = []  # [first id, end id or None while open]
        self.tensors: dict = {}  # Tensor -> op id from which it is watched
        self.variables: dict = {}  # id(variable) -> (variable, op id)

    def now(self) -> int:
        return len(self.graph._ops)

    def open(self):
        self.spans.append([self.now(), None])

    def close(self):
        self.spans[-1][1] = self.now()

    def watch_tensor(self, t: Tensor):
        self.tensors.setdefault(t, self.now())

    def watch_variable(self, v):
        self.variables.setdefault(id(v), (v, self.now()))

    def recorded_ops(self) -> list:
        ops, end = self.graph._ops, self.now()
        return [op for first, last in self.spans for op in ops[first:end if last is None
                                                                  else last]]

    def analyze(self, auto_watch: bool):
        """(ops TF's tape would hold, tracked tensors -> op id, watched variables): a fixed
        point, so that a tf.while_loop's Merge sees its NextIteration (made after it)."""
        tracked = dict(self.tensors)
        variables = dict(self.variables)

        def track_variable(v, when):
            for t in (v._ref(), v._snapshot):
                tracked[t] = min(tracked.get(t, when), when)

        for v, when in variables.values():
            track_variable(v, when)
        readable = {}
        if auto_watch:
            for v in self.graph.get_collection(GraphKeys.TRAINABLE_VARIABLES):
                if _is_variable(v) and v.trainable:
                    readable[v._ref()] = readable[v._snapshot] = v
        recorded = self.recorded_ops()
        allowed: set = set()
        changed = True
        while changed:
            changed = False
            for op in recorded:
                if op in allowed:
                    continue
                when = op._id
                if readable:
                    refs = op._opdef.ref_args if len(op._opdef.args) == len(op.inputs) else ()
                    for k, t in enumerate(op.inputs):
                        v = readable.get(t)
                        if v is None or k in refs or op is v._snapshot.op:
                            continue  # an update, or the variable's own construction
                        if id(v) not in variables:
                            variables[id(v)] = (v, when)
                            track_variable(v, when)
                if any(_trainable_dtype(t) and t in tracked and
                       (tracked[t] <= when or t.op._id > when) for t in op.inputs):
                    allowed.add(op)
                    changed = True
                    for t in op.outputs:
                        tracked[t] = min(tracked.get(t, when), when)
        for v, _ in variables.values():
            allowed.add(v._snapshot.op)  # its read (made with the variable) passes gradients
        return allowed, tracked, variables


class GradientTape:
    """``tf.GradientTape(persistent=False, watch_accessed_variables=True)``: records the ops
    made in its context, for ``gradient`` (see the module docstring)."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._tape = None
        self._persistent = persistent
        self._watch_accessed_variables = watch_accessed_variables
        self._watched_variables = ()
        self._recording = False

    # -- recording ------------------------------------------------------------------------------
    def __enter__(self):
        self._push_tape()
        return self

    def __exit__(self, typ, value, traceback):
        if self._recording:
            self._pop_tape()

    def _push_tape(self):
        if self._recording:
            raise ValueError("Tape is still recording, This can happen if you try to re-enter "
                             "an already-active tape.")
        if self._tape is None:
            self._tape = _Record(get_default_graph())
        self._tape.open()
        self._recording = True

    def _pop_tape(self):
        if not self._recording:
            raise ValueError("Tape is not recording.")
        self._tape.close()
        self._recording = False

    @contextlib.contextmanager
    def _ensure_recording(self):
        if self._recording:
            yield
            return
        self._push_tape()
        try:
            yield
        finally:
            self._pop_tape()

    def watch(self, tensor):
        """Ensures that ``tensor`` (a Tensor, Variable, or a structure of them) is traced."""
        for t in nest.flatten(tensor):
            if not (isinstance(t, Tensor) or _is_variable(t)):
                raise ValueError(f"Passed in object of type {type(t)}, not tf.Tensor")
            if not _trainable_dtype(t):
                logging.log_first_n(logging.WARN, "The dtype of the watched tensor must be "
                                    "floating (e.g. tf.float32), got %r", 5, t.dtype)
            if self._tape is None:
                self._tape = _Record(get_default_graph())
            if _is_variable(t):
                self._tape.watch_variable(t)
            else:
                self._tape.watch_tensor(t)

    @contextlib.contextmanager
    def stop_recording(self):
        """Ops made in this block are not recorded on this tape."""
        if self._tape is None:
            raise RuntimeError("Trying to stop recording a tape which is not recording.")
        self._pop_tape()
        try:
            yield
        finally:
            self._push_tape()

    def reset(self):
        """Forgets everything recorded so far; the tape goes on recording."""
        self._pop_tape()
        self._tape = None
        self._push_tape()

    def watched_variables(self) -> tuple:
        """The variables this tape watches, in order of construction."""
        if self._tape is not None:
            _, _, variables = self._tape.analyze(self._watch_accessed_variables)
            self._watched_variables = tuple(sorted(
                (v for v, _ in variables.values()), key=lambda v: v.op._id))
        return self._watched_variables

    # -- gradients ------------------------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """d(sum of ``target``)/d(``sources``) through the recorded ops, in the structure of
        ``sources`` (None, or zeros with ``unconnected_gradients=ZERO``, where unconnected)."""
        if self._tape is None:
            raise RuntimeError(_NON_PERSISTENT_USED)
        unconnected = _unconnected(unconnected_gradients)
        flat_sources = nest.flatten(sources)
        for s in flat_sources:
            if not (isinstance(s, Tensor) or _is_variable(s)):
                raise TypeError(f"GradientTape.gradient: sources must be Tensors or Variables, "
                                f"got {s!r} of type {type(s).__name__}")
        flat_targets = [t._ref() if _is_variable(t) else convert_to_tensor(t)
                        for t in nest.flatten(target)]
        if output_gradients is not None:
            output_gradients = [None if g is None else convert_to_tensor(g)
                                for g in nest.flatten(output_gradients)]
            if len(output_gradients) != len(flat_targets):
                raise ValueError(f"GradientTape.gradient: {len(output_gradients)} "
                                 f"output_gradients for {len(flat_targets)} targets")
        if self._recording:
            if not self._persistent:
                self._pop_tape()
            else:
                logging.log_first_n(
                    logging.WARN, "Calling GradientTape.gradient on a persistent tape inside "
                    "its context is significantly less efficient than calling it outside the "
                    "context (it causes the gradient ops to be recorded on the tape, leading "
                    "to increased CPU and memory usage). Only call GradientTape.gradient "
                    "inside the context if you actually want to trace the gradient in order "
                    "to compute higher order derivatives.", 1)
        record = self._tape
        allowed, tracked, variables = record.analyze(self._watch_accessed_variables)
        targets = set(flat_targets)
        wanted = []  # (position, source) differentiated; the others are unconnected
        for k, s in enumerate(flat_sources):
            key = s._ref() if _is_variable(s) else s
            if key in targets or (id(s) in variables if _is_variable(s) else s in tracked):
                wanted.append((k, s))
        blocked = _blocked_ops(flat_targets, allowed)
        grads = [None] * len(flat_sources)
        if wanted:
            found = gradients(flat_targets, [s for _, s in wanted], grad_ys=output_gradients,
                              stop_gradients=[op.outputs[0] for op in blocked],
                              unconnected_gradients=unconnected, name="gradient_tape")
            for (k, _), g in zip(wanted, found):
                grads[k] = g
        if unconnected == "zero":
            from .ops import array_ops

            grads = [array_ops.zeros_like(s._ref() if _is_variable(s) else s) if g is None
                     else g for s, g in zip(flat_sources, grads)]
        if not self._persistent:
            self._watched_variables = tuple(sorted((v for v, _ in variables.values()),
                                                   key=lambda v: v.op._id))
            self._tape = None
        return nest.pack_sequence_as(sources, grads)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """d(target)/d(each source), shaped ``target.shape + source.shape``, in the structure
        of ``sources`` (None where unconnected, unless ``unconnected_gradients=ZERO``).
        ``parallel_iterations`` and ``experimental_use_pfor`` are accepted: one while loop
        computes every row (module docstring)."""
        del parallel_iterations, experimental_use_pfor  # one loop whatever they ask
        return _jacobian(self, target, sources, _unconnected(unconnected_gradients))

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example jacobians: ``[b, y1.., x1..]`` for target ``[b, y1..]`` and source
        ``[b, x1..]`` (``target[i]`` must depend on ``source[i]`` only). None when the target
        does not depend on the source (TF 1.15's; later TFs give zeros)."""
        del parallel_iterations, experimental_use_pfor
        return _batch_jacobian(self, target, source, _unconnected(unconnected_gradients))


def _blocked_ops(targets, allowed) -> list:
    """The ops with outputs on the way back from ``targets`` that the tape did not record:
    gradients stop there. The walk does not pass them (nothing behind one can be reached
    through it)."""
    seen, blocked = set(), []
    stack = [t.op for t in targets]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if op not in allowed:
            if op.outputs:
                blocked.append(op)
            continue
        stack.extend(t.op for t in op.inputs)
    return blocked


def _value(t) -> Tensor:
    return convert_to_tensor(t)  # a Variable's value, too


def _rows(n, row_grads):
    """The loop over ``i < n`` stacking ``row_grads(i)`` (a list of gradients, None where
    unconnected), as TF's pfor / for_loop stacks ``loop_fn(i)``: stacked results, None kept."""
    from .tf1_more import vectorized_map
    from .ops import array_ops

    missing: list = []

    def body(i):
        grads = row_grads(i)
        missing[:] = [g is None for g in grads]
        # the loop stacks tensors only: an unconnected gradient is dropped after the loop
        return [array_ops.zeros([]) if g is None else _dense(g) for g in grads]

    stacked = vectorized_map(body, array_ops.range_(n))
    return [None if m else s for s, m in zip(stacked, missing)]


def _dense(g):
    return convert_to_tensor(g) if isinstance(g, IndexedSlices) else g


def _jacobian(tape, target, sources, unconnected):
    from .ops import array_ops, concat_split_ops, transform_ops

    if tape._tape is None:
        raise RuntimeError(_NON_PERSISTENT_USED)
    flat_sources = nest.flatten(sources)
    target = _value(target)
    static_shape = target.shape
    target_shape = array_ops.shape(target)
    with tape._ensure_recording():  # recorded, so gradients pass the reshape back
        flat = array_ops.reshape(target, [-1])
    n = flat.shape[0].value
    if n is None:
        n = array_ops.shape(flat)[0]

    def row(i):  # the vector-Jacobian product with row i of the identity: d flat[i]
        e_i = transform_ops.one_hot(i, n, dtype=flat.dtype)
        return tape.gradient(flat, flat_sources, output_gradients=[e_i],
                             unconnected_gradients=unconnected)

    out = _rows(n, row)
    for k, (o, s) in enumerate(zip(out, flat_sources)):
        if o is not None:
            o = array_ops.reshape(o, concat_split_ops.concat(
                [target_shape, array_ops.shape(o)[1:]], axis=0))
            o.set_shape(static_shape.concatenate(s.shape))
            out[k] = o
    return nest.pack_sequence_as(sources, out)


def _batch_jacobian(tape, target, source, unconnected):
    from .ops.logging_ops import assert_equal
    from .ops import array_ops, concat_split_ops, transform_ops

    if tape._tape is None:
        raise RuntimeError(_NON_PERSISTENT_USED)
    target, source = _value(target), source
    source_static = source.shape
    target_static = target.shape
    if not target_static.with_rank_at_least(2)[0].is_compatible_with(
            source_static.with_rank_at_least(2)[0]):
        raise ValueError(f"Need first dimension of target shape ({target_static}) and source "
                         f"shape ({source_static}) to match.")
    if target_static.is_fully_defined():
        batch_size = target_static[0].value
        row_size = target_static.num_elements() // batch_size
        target_shape = target_static.as_list()
    else:
        target_shape = array_ops.shape(target)
        batch_size = target_shape[0]
        row_size = array_ops.size(target) // batch_size
    source_shape = array_ops.shape(_value(source))
    with tape._ensure_recording():  # flattened to [batch, row], recorded
        with get_default_graph().control_dependencies(
                [assert_equal(batch_size, source_shape[0])]):
            target = array_ops.reshape(target, [batch_size, row_size])

    def row(j):  # column j of every example's flattened target, at once
        e_j = transform_ops.one_hot(array_ops.fill(array_ops.shape(target)[:1], j), row_size,
                                    dtype=target.dtype)
        return [tape.gradient(target, source, output_gradients=[e_j],
                              unconnected_gradients=unconnected)]

    (out,) = _rows(row_size, row)
    if out is None:
        return None
    out = array_ops.reshape(out, [row_size, batch_size, -1])
    out = transform_ops.transpose(out, [1, 0, 2])
    out = array_ops.reshape(out, concat_split_ops.concat(
        [target_shape, source_shape[1:]], axis=0))
    out.set_shape(target_static.concatenate(source_static[1:]))
    return out
