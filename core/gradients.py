"""Reverse-mode autodiff: ``tf.gradients`` builds symbolic gradient subgraphs.

Each op's rule lives in its OpDef (``grad(op, *output_grads) -> input_grads``). Gradients are
ordinary graph ops, so they can be fetched, frozen and differentiated again.
"""

from __future__ import annotations

import collections
import enum

from . import dtypes as _dt
from .graph import Operation, Tensor, convert_to_tensor
from .indexed_slices import IndexedSlices
from .opdef import NO_GRADIENT, NOT_DIFFERENTIABLE


def _is_trainable(t: Tensor) -> bool:
    # TF's IsTrainable: a variant carries gradients too (a TensorList's is a list)
    return t.dtype.is_floating or t.dtype.is_complex or t.dtype == _dt.variant


def _as_list(x) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _rule_result(x) -> list:
    """A rule's input gradients: a sequence, or one gradient bare (TF takes both)."""
    if x is None or isinstance(x, (Tensor, IndexedSlices)) or hasattr(x, "_ref"):
        return [x]
    return list(x)


# -- registered gradients (tf.RegisterGradient, tf.NotDifferentiable) ----------------------------
_REGISTERED: dict = {}


def gradient_function(op):
    """The op's gradient rule: the one registered (or built in) under the name a
    gradient_override_map gave it, else one registered for its type (an op type minitf has no
    rule for), else its OpDef's (None: none defined)."""
    from .opdef import lookup

    override = op.graph._gradient_overrides.get(op)
    if override is not None:
        if override in _REGISTERED:
            return _REGISTERED[override]
        builtin = lookup(override)  # e.g. {"Sign": "Identity"}: a straight-through estimator
        if builtin is None or builtin.grad is None:
            raise LookupError(f"gradient registry has no entry for: {override}")
        return builtin.grad
    return _REGISTERED.get(op.type, op._opdef.grad)


def _register(op_type, fn):
    from .opdef import lookup

    if not isinstance(op_type, str):
        raise TypeError("op_type must be a string")
    builtin = lookup(op_type)
    if op_type in _REGISTERED or (builtin is not None and builtin.grad is not None):
        raise KeyError(f"Registering two gradient with name '{op_type}'!")
    _REGISTERED[op_type] = fn


class RegisterGradient:
    """``@tf.RegisterGradient("Name")``: ``fn(op, *output_grads)`` becomes the gradient of
    ops mapped to "Name" by ``graph.gradient_override_map`` (or of ops of type "Name", when
    minitf has no rule of its own for it)."""

    def __init__(self, op_type):
        if not isinstance(op_type, str):
            raise TypeError("op_type must be a string")
        self._op_type = op_type

    def __call__(self, fn):
        _register(self._op_type, fn)
        return fn


def NotDifferentiable(op_type):  # noqa: N802 - TF's name
    """``tf.NotDifferentiable``: ops of ``op_type`` have no gradient (their inputs get None)."""
    _register(op_type, NOT_DIFFERENTIABLE)


no_gradient = NotDifferentiable


def _to_tensor(x) -> Tensor:
    ref = getattr(x, "_ref", None)
    if ref is not None:
        return ref()  # a Variable: differentiate with respect to its storage tensor
    return convert_to_tensor(x)


class _Loop:
    """A tf.while_loop as one node of the walk: its inputs are the values entering it, its
    outputs its Exits; its gradient is a loop of its own (core/control_flow_grad.py)."""

    def __init__(self, ctx):
        from .control_flow_grad import loop_inputs

        self.ctx = ctx
        self.name = ctx.name
        self.inputs = loop_inputs(ctx)
        self.outputs = [x.outputs[0] for x in ctx.exits]


class AggregationMethod:
    """How tf.gradients sums a tensor's several gradients (TF1's constants). minitf adds them
    with AddN whichever is asked: the sums are the same."""

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


class UnconnectedGradients(str, enum.Enum):
    """What tf.gradients gives an x that ys do not depend on: None, or zeros."""

    NONE = "none"
    ZERO = "zero"


def _tf_str(t) -> str:
    """TF's str() of a graph tensor (its messages quote it)."""
    return (f'Tensor("{t.name}"' + (f", shape={t.shape}" if t.shape.rank is not None else "") +
            f", dtype={t.dtype.name}" + (f", device={t.device}" if t.device else "") + ")")


def _check_grad_y_dtype(gy, y, i) -> bool:
    """Whether grad_y is to take y's dtype (Python and numpy values do). A grad_y tensor of
    another dtype is a TypeError, as TF's _DefaultGradYs (with its messages) for the wrong
    kind of type. TF lets another real type through and fails with a TypeError in the first
    gradient op mixing the two; minitf fails here, naming both."""
    if not isinstance(gy, (Tensor, IndexedSlices)) or gy.dtype == y.dtype:
        return True
    got, want = gy.dtype.name, y.dtype.name
    real = y.dtype.is_floating or y.dtype.is_integer or want == "bfloat16"
    if real and not (gy.dtype.is_floating or gy.dtype.is_integer or got == "bfloat16"):
        raise TypeError(f"Gradient type {got} generated for real or integer-valued tensor "
                        f"{_tf_str(y)} with type {want} must be real or integer")
    if y.dtype.is_complex and not gy.dtype.is_complex:
        raise TypeError(f"Gradient type {got} generated for complex-valued tensor "
                        f"{_tf_str(y)} with type {want} must be real")
    if not (real or y.dtype.is_complex or want in ("variant", "resource")):
        raise TypeError(f"Tensor {_tf_str(y)} with type {want} must be numeric to obtain a "
                        "default gradient")
    if not _is_trainable(y):  # an integer y passes no gradient on: TF takes any real grad_y
        return False
    raise TypeError(f"Gradient type {got} generated for tensor {_tf_str(y)} with type {want} "
                    f"must be {want} too (grad_ys[{i}])")


def _grad_y_here(gy, y, i: int, array_ops):
    """grad_ys[i] made in the gradients' name scope, as TF's _DefaultGradYs: an Identity
    "grad_ys_<i>" of it (a Python or numpy value first becomes a Const "grad_y_<i>"), and of
    each tensor part of an IndexedSlices, which stays sparse. A TensorArray's gradient finds
    its tf.gradients call by that name (a grad_y made elsewhere would not say)."""
    dtype = y.dtype if _check_grad_y_dtype(gy, y, i) else None
    if isinstance(gy, IndexedSlices):
        def part(t, suffix):
            return array_ops.identity(t, name=f"grad_ys_{i}_{suffix}") if isinstance(
                t, Tensor) else t

        return IndexedSlices(part(gy.values, "values"), part(gy.indices, "indices"),
                             part(gy.dense_shape, "shape"))._with_static_shape(gy.shape)
    if not isinstance(gy, Tensor):  # (a Tensor's dtype is y's, or _check let it be)
        gy = convert_to_tensor(gy, dtype=dtype, name=f"grad_y_{i}")
    return array_ops.identity(gy, name=f"grad_ys_{i}")


def gradients(ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=False,
              gate_gradients=False, aggregation_method=None, stop_gradients=None,
              unconnected_gradients="none", _stop_at=frozenset()):
    """Symbolic d(sum ys)/d(xs): a list aligned with ``xs`` (None where there is no path).
    ``_stop_at``: ops the walk neither passes nor differentiates (a loop body's inputs)."""
    ys = [_to_tensor(y) for y in _as_list(ys)]
    xs = [_to_tensor(x) for x in _as_list(xs)]
    grad_ys = _as_list(grad_ys) or [None] * len(ys)
    if len(grad_ys) != len(ys):
        raise ValueError(f"Passed {len(grad_ys)} grad_ys for {len(ys)} ys")
    if unconnected_gradients not in ("none", "zero"):
        raise ValueError(f"Unknown value for unconnected_gradients: {unconnected_gradients!r}")
    if aggregation_method not in (None, AggregationMethod.ADD_N,
                                  AggregationMethod.EXPERIMENTAL_TREE,
                                  AggregationMethod.EXPERIMENTAL_ACCUMULATE_N):
        raise ValueError(f"Invalid aggregation_method specified {aggregation_method}.")
    if not ys:
        return [None] * len(xs)
    graph = ys[0].graph
    stop_ops = {_to_tensor(t).op for t in _as_list(stop_gradients)} | set(_stop_at)
    from .ops import array_ops, math_ops

    with graph.as_default(), graph.name_scope(name) as grad_scope:
        between, node_of, reached = _between_nodes([y.op for y in ys], [x.op for x in xs],
                                                   _stop_at)
        pending = collections.Counter()
        for node in between:
            for t in node.inputs:
                src = node_of(t)
                if src in between:
                    pending[src] += 1

        grads: dict[Tensor, list] = collections.defaultdict(list)
        for i, (y, gy) in enumerate(zip(ys, grad_ys)):
            if gy is None and y.dtype.is_complex:  # ones would be a choice of convention
                raise TypeError(f"Gradients of complex tensors ({_tf_str(y)}) must set grad_ys "
                                f"(y.dtype = {y.dtype.name})")
            if gy is None:
                gy = array_ops.fill(array_ops.shape(y),
                                    array_ops.constant(1, dtype=y.dtype, name=f"grad_ys_{i}"))
            else:
                # No shape check, as TF1: a grad_y that broadcasts against y (a scalar for a
                # vector, say) flows into the gradients as it is.
                gy = _grad_y_here(gy, y, i, array_ops)
            grads[y].append(gy)

        queue = collections.deque(op for op in dict.fromkeys(node_of(y) for y in ys)
                                  if op in between and pending[op] == 0)
        done: set[Operation] = set()
        while queue:
            op = queue.popleft()
            if op in done:
                continue
            done.add(op)
            out_grads = [_aggregate(grads.get(t), math_ops) for t in op.outputs]
            in_grads = [None] * len(op.inputs)
            has_grad = any(g is not None for g in out_grads)
            if not any(t._op in reached for t in op.inputs):
                pass  # no x upstream (an x's own op): its gradient reaches none (TF's stop ops)
            elif isinstance(op, _Loop):
                out_grads = [None if t.op in stop_ops else g  # an Exit in stop_gradients
                             for g, t in zip(out_grads, op.outputs)]
                if any(g is not None for g in out_grads):
                    from .control_flow_grad import loop_gradients

                    in_grads = loop_gradients(op.ctx, out_grads)
            elif has_grad and op not in stop_ops and any(_is_trainable(t) for t in op.inputs):
                grad_fn = gradient_function(op)
                if grad_fn is NOT_DIFFERENTIABLE:
                    pass
                elif grad_fn is None or grad_fn is NO_GRADIENT:
                    raise LookupError(f"No gradient defined for operation '{op.name}' "
                                      f"(op type: {op.type})")
                else:
                    # (optimize=False: the zeros read the output, so they are live exactly
                    # when it is, as TF's ZerosLikeOutsideLoop: a cond's untaken branch)
                    out_grads = [_dense_unless_passed(g, op) if g is not None else (
                        array_ops.zeros_like(t, optimize=False) if _is_trainable(t) else None)
                        for g, t in zip(out_grads, op.outputs)]
                    with graph.name_scope(op.name + "_grad"):
                        result = _rule_result(_maybe_compile(grad_scope, op, grad_fn,
                                                             out_grads))
                        if len(result) != len(op.inputs):
                            raise ValueError(f"Gradient function for {op.type} '{op.name}' "
                                             f"returned {len(result)} gradients, expected "
                                             f"{len(op.inputs)}")
                        if gate_gradients:
                            result = _gate(result, op, between, node_of, array_ops)
                    in_grads = result
            for t, g in zip(op.inputs, in_grads):
                if g is not None and _is_trainable(t):
                    if not isinstance(g, IndexedSlices):
                        g = convert_to_tensor(g)
                        try:  # as TF: the gradient has the input's static shape
                            g.set_shape(t.shape)
                        except ValueError:
                            raise ValueError(
                                f"Incompatible shapes between op input and calculated input "
                                f"gradient. Forward operation: {op.name}. Input: {t.name}. "
                                f"Input shape: {t.shape}. Calculated input gradient shape: "
                                f"{g.shape}") from None
                    if g.dtype != t.dtype:
                        raise TypeError(f"Gradient of {op.type} '{op.name}' for input {t.name} "
                                        f"has dtype {g.dtype.name}, expected {t.dtype.name}")
                    grads[t].append(g)
                src = node_of(t)
                if src in between:
                    pending[src] -= 1
                    if pending[src] == 0:
                        queue.append(src)

        result = []
        for x in xs:
            g = _aggregate(grads.get(x), math_ops)
            if g is None and unconnected_gradients == "zero":
                g = array_ops.zeros_like(x)
            result.append(g)
        return result


def hessians(ys, xs, name="hessians", colocate_gradients_with_ops=False, gate_gradients=False,
             aggregation_method=None):
    """TF1's ``tf.hessians``: per x, the second derivatives of sum(ys), shaped
    ``concat(shape(x), shape(x))``. As TF1, row j is the gradient of element j of the flattened
    gradient, written to a TensorArray by a while loop over ``size(x)``, so x's shape may be
    partly or wholly unknown; the graph stays one loop whatever x's size (unrolling it made
    graphs grow with x's size). ``name`` is unused, as in TF1. An x the ys do not depend on is
    a ValueError, as in TF1; one they depend on linearly gives zero rows (where TF1 fails)."""
    from .control_flow import while_loop
    from .ops import array_ops, concat_split_ops, constant_ops, shape_ops
    from .ops.tensor_array_ops import TensorArray

    xs = [_to_tensor(x) for x in _as_list(xs)]
    firsts = gradients(ys, xs, colocate_gradients_with_ops=colocate_gradients_with_ops,
                       gate_gradients=gate_gradients, aggregation_method=aggregation_method)
    out = []
    for x, g in zip(xs, firsts):
        if g is None:  # as TF1, whose reshape of the missing gradient fails
            raise ValueError(f"None values not supported: the ys do not depend on {x.name}, "
                             "so it has no Hessian")
        with x.graph.as_default():
            flat = shape_ops.reshape(convert_to_tensor(g), [-1])
            n = shape_ops.size(x)

            def body(j, rows, flat=flat, x=x):
                (row,) = gradients(flat[j], x, colocate_gradients_with_ops=(
                    colocate_gradients_with_ops), gate_gradients=gate_gradients,
                    aggregation_method=aggregation_method)
                row = array_ops.zeros_like(x) if row is None else convert_to_tensor(row)
                return j + 1, rows.write(j, row)

            _, rows = while_loop(lambda j, _, n=n: j < n, body,
                                 [constant_ops.constant(0, _dt.int32), TensorArray(x.dtype, n)])
            dims = shape_ops.shape(x)
            h = shape_ops.reshape(rows.stack(), concat_split_ops.concat((dims, dims), 0))
            if x.shape.rank is not None:  # what TF's shape inference reads from shape(x)
                h.set_shape(x.shape.concatenate(x.shape))
        out.append(h)
    return out


def _maybe_compile(scope, op, grad_fn, out_grads):
    """TF's _MaybeCompile: the ops the gradient rule of an op marked for XLA (a jit_scope's
    ``_XlaCompile``) builds get ``_XlaCompile`` and ``_XlaScope``: the op's, or with
    ``_XlaSeparateCompiledGradients`` ``<scope>_grad_<gradients name scope, "/" -> "_">``, so
    XLA compiles them apart (the graph's attr scope, as TF's)."""
    try:
        xla_compile = op._get_attr("_XlaCompile")
        separate = op._get_attr("_XlaSeparateCompiledGradients")
        xla_scope = op._get_attr("_XlaScope").decode()
    except ValueError:
        return grad_fn(op, *out_grads)
    if not xla_compile:
        return grad_fn(op, *out_grads)
    if separate:
        xla_scope = f"{xla_scope}_grad_{scope.rstrip('/').replace('/', '_')}"
    from . import AttrValue  # (the lazy protobuf class: core does not import protos)

    attrs = {"_XlaCompile": AttrValue(b=bool(xla_compile)),
             "_XlaScope": AttrValue(s=xla_scope.encode())}
    with op.graph._attr_scope(attrs):
        return grad_fn(op, *out_grads)


def _aggregate(gs, math_ops):
    """The sum of a tensor's gradients, as TF1 forms it: sparse ones (IndexedSlices) stay
    sparse by concatenating their rows; any dense one makes the sum dense."""
    if not gs:
        return None
    if len(gs) == 1:
        return gs[0]
    if all(isinstance(g, IndexedSlices) for g in gs):
        from .ops import concat_split_ops

        if len({g.indices.dtype for g in gs}) > 1:  # concat needs one index type: int64
            gs = [IndexedSlices(g.values, math_ops.cast(g.indices, "int64"), g.dense_shape)
                  ._with_static_shape(g.shape) for g in gs]
        return IndexedSlices(concat_split_ops.concat([g.values for g in gs], 0),
                             concat_split_ops.concat([g.indices for g in gs], 0),
                             gs[0].dense_shape)._with_static_shape(gs[0].shape)
    return math_ops.add_n(gs)


def _dense_unless_passed(g, op):
    """A sparse gradient stays sparse only for rules declared to take it (OpDef.sparse_grad)."""
    if isinstance(g, IndexedSlices) and not op._opdef.sparse_grad:
        return convert_to_tensor(g)
    return g


def _gate(in_grads, op, between, node_of, array_ops):
    """TF1's ``gate_gradients``: the op's gradients each wait for all of them (a ``tuple``), so
    an update of one input (ApplyAdam on a weight) cannot run before the gradient that still
    reads it (the other input's). Unlike TF1, a gradient nothing on the way to ``xs`` uses
    stays out of the gate: TF computes it every step (the input's gradient of a first layer)."""
    used = [k for k, (t, g) in enumerate(zip(op.inputs, in_grads))
            if g is not None and _is_trainable(t) and node_of(t) in between]
    if len(used) < 2:
        return in_grads
    out = list(in_grads)
    for k, g in zip(used, array_ops.tuple_([in_grads[k] for k in used])):
        out[k] = g
    return out


def _between_nodes(to_ops, from_ops, stop=frozenset()):
    """The nodes on a data path from ``from_ops`` to ``to_ops`` (not past ``stop``), the map
    from a tensor to the node that makes it, and the ops reached from ``from_ops``. A node is
    an op, or a whole tf.while_loop (``_Loop``) in place of its Exits and inside; a loop
    imported from a GraphDef stays ops, and its Exit's gradient refuses."""
    reached = set()
    stack = list(from_ops)
    while stack:
        op = stack.pop()
        if op in reached:
            continue
        reached.add(op)
        for t in op.outputs:
            stack.extend(t._consumers)
    loops: dict = {}  # Exit op -> its loop's node

    def node_of(t):
        op = t._op
        if op.type != "Exit":
            return op
        if op not in loops:
            from .control_flow_grad import loop_of

            ctx = loop_of(op)
            node = _Loop(ctx) if ctx is not None else op
            for x in (ctx.exits if ctx is not None else [op]):
                loops[x] = node
        return loops[op]

    between = set()
    stack = [node_of(op.outputs[0]) if op.type == "Exit" else op for op in to_ops
             if op in reached]
    while stack:
        node = stack.pop()
        if node in between:
            continue
        between.add(node)
        if node in stop:
            continue
        stack.extend(node_of(t) for t in node.inputs if t._op in reached)
    return between, node_of, reached
