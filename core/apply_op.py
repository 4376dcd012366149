"""Op construction: ``apply_op`` makes an Operation from an OpDef and user arguments.

It picks the graph (the inputs', else the default one), names the op in the name scope,
converts Python inputs to Const tensors of the dtypes the op's type attrs take (deriving those
attrs from the inputs), coerces and defaults the attrs, runs the OpDef's shape inference and
adds the op, routing inputs through a tf.cond branch or while loop being built. Every op
wrapper comes through here (``OpDef.__call__``).

Split from graph.py, which re-exports ``apply_op``. It is loaded by graph.py once Graph and the
default graph exist (it imports Graph and get_default_graph)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence

from . import dtypes as _dt
from .default_graph import get_default_graph
from .errors import InvalidArgumentError
from .graph import _VALID_OP_NAME, _VALID_SCOPE_NAME, Graph
from .opdef import TensorSpec, coerce_attr
from .op_type_constraints import ALLOWED
from .tensor import Operation, Tensor, group_by_args
from .tensor_conversion import (_as_tensor_or_none, _nested_tensor_dtype, constant_value,
                                constant_value_as_shape, convert_to_tensor, to_numpy)


def apply_op(opdef, args: Sequence, attrs: dict, name=None, *, graph=None, exact_name=False,
             strict_attrs=True, control_inputs=()) -> Operation:
    """Creates an Operation for ``opdef`` from user arguments.

    ``args`` follow ``opdef.inputs`` (a list for ``N*T`` arguments); Python values are converted
    to Const tensors using the dtype of their type attr. ``attrs`` are the declared attrs
    (defaults filled in). With ``strict_attrs=False`` (GraphDef import) derived attrs may be
    given and are checked, and unknown attrs are ignored.
    """
    if len(args) != len(opdef.args):
        raise TypeError(f"{opdef.type} expects {len(opdef.args)} inputs "
                        f"({', '.join(a.name for a in opdef.args)}), got {len(args)}")
    if graph is None:
        graph = _graph_of_args(args)
    with graph.as_default():
        if exact_name:
            if not name or not _VALID_OP_NAME.match(name):
                raise ValueError(f"'{name}' is not a valid node name")
            op_name, scope = name, contextlib.nullcontext()
        else:
            base = name if name else opdef.type
            # Inside a name scope TF accepts a leading "_" ("scope/_0"); at the root it does not.
            pattern = _VALID_SCOPE_NAME if graph._name_stack else _VALID_OP_NAME
            if not base.endswith("/") and (not base or not pattern.match(base)):
                raise ValueError(f"'{base}' is not a valid node name")
            scope = graph.name_scope(base)  # Python inputs become Consts named "<op>/<arg>"
        with scope as scope_name:
            if not exact_name:
                op_name = scope_name[:-1]
            flat, derived = _convert_args(opdef, args, graph)
            cond = graph._control_flow_context
            if cond is not None:  # in a tf.cond branch or loop: outside inputs are switched/entered
                flat, control_inputs = cond.enter_inputs(opdef, args, flat, control_inputs)
            if graph._loop_ops:
                from .control_flow import check_loop_inputs

                check_loop_inputs(graph, opdef, flat, op_name)
        final = _final_attrs(opdef, attrs, derived, strict_attrs)
        for attr in ALLOWED.get(opdef.type, _NONE):  # type attrs given, and lists of types
            value = final.get(attr)
            if isinstance(value, list):
                param = next((a.name for a in opdef.args if a.type_list_attr == attr), attr)
                for dtype in value:
                    _check_dtype(opdef, attr, dtype, param)
            elif value is not None and attr in opdef.attr_kinds:
                _check_dtype(opdef, attr, value, attr)
        kernel_attrs = {k: final[k] for k in opdef.attrs}
        specs_in = [TensorSpec(t._shape, t._dtype, value_fn=_value_thunk(t),
                               shape_fn=_shape_thunk(t)) for t in flat]
        grouped = group_by_args(opdef, specs_in, final)
        try:
            specs_out = list(opdef.infer(*grouped, **kernel_attrs))
        except (InvalidArgumentError, ValueError) as e:
            shapes = ", ".join(s.shape.debug_string() for s in specs_in)
            raise InvalidArgumentError(
                None, None, f"{e} for '{op_name}' (op: '{opdef.type}') with input shapes: "
                f"{shapes}.") from None
        op = graph._add_op(opdef, op_name, flat, final, kernel_attrs, specs_out, control_inputs)
        if cond is not None:
            cond.made(op)
        return op


def _value_thunk(t: Tensor):
    return lambda: constant_value(t)


def _shape_thunk(t: Tensor):
    return lambda: constant_value_as_shape(t)


def _graph_of_args(args) -> Graph:
    default = get_default_graph()
    if default._capture is not None:  # tracing a dataset function: outer tensors come in
        return default
    for a in args:
        for v in (a if isinstance(a, (list, tuple)) else (a,)):
            if isinstance(v, Tensor):
                return v.graph
            if hasattr(v, "_as_tensor"):  # a Variable or IndexedSlices: its graph, without
                graph = getattr(v, "graph", None)  # converting (that would add dead ops)
                if graph is None:
                    graph = v._as_tensor().graph
                return graph
    return get_default_graph()


def _same_graph(t, graph, opdef, ref=False):
    """``t`` if it is of ``graph``; else what the graph captures it as (a dataset function's
    graph takes an outer tensor's value as an input), or the ValueError TF raises."""
    if t.graph is graph:
        return t
    if graph._capture is not None and not ref:
        return graph._capture(t)
    raise ValueError(f"Tensor {t.name} must be from the same graph as the other inputs of "
                     f"'{opdef.type}'.")


def _convert_args(opdef, args, graph):
    """Converts arguments to tensors of consistent dtypes; returns (flat tensors, derived)."""
    derived: dict = {}
    # First pass: type attrs fixed by tensors already in the graph.
    for spec, a in zip(opdef.args, args):
        if spec.type_attr and spec.type_attr not in derived:
            for v in (a if spec.number_attr else [a]):
                t = _as_tensor_or_none(v)
                if t is not None:
                    derived[spec.type_attr] = t.dtype
                    break
    flat = []
    for spec, a in zip(opdef.args, args):
        if spec.type_list_attr:  # any dtypes: each converted on its own
            if not isinstance(a, (list, tuple)):
                raise TypeError(f"Expected list for '{spec.name}' argument to '{opdef.type}' Op, "
                                f"not {a!r}.")
            tensors = [_as_tensor_or_none(v) for v in a]
            # TF's convert_n_to_tensor names a list's elements "<arg>_<index>"
            tensors = [t if t is not None else convert_to_tensor(v, name=f"{spec.name}_{i}")
                       for i, (t, v) in enumerate(zip(tensors, a))]
            tensors = [_same_graph(t, graph, opdef) for t in tensors]
            derived[spec.type_list_attr] = [t.dtype for t in tensors]
            flat.extend(tensors)
            continue
        values = a if spec.number_attr else [a]
        if spec.number_attr:
            if not isinstance(a, (list, tuple)):
                raise TypeError(f"Expected list for '{spec.name}' argument to '{opdef.type}' Op, "
                                f"not {a!r}.")
            if spec.number_attr in derived and derived[spec.number_attr] != len(a):
                first = next(s.name for s in opdef.args if s.number_attr == spec.number_attr)
                raise ValueError(f"List argument '{spec.name}' to '{opdef.type}' Op with length "
                                 f"{len(a)} must match length {derived[spec.number_attr]} of "
                                 f"argument '{first}'.")
            derived[spec.number_attr] = len(a)
        want = spec.fixed_dtype or derived.get(spec.type_attr)
        for i, v in enumerate(values):
            if spec.is_ref and hasattr(v, "_ref"):
                v = v._ref()  # a Variable passes its VariableV2 output, not its read snapshot
            t = _as_tensor_or_none(v)
            if v is None:  # TF's ValueError, as convert_to_tensor(None) raises it
                raise ValueError(f"Tried to convert '{spec.name}' to a tensor and failed. "
                                 "Error: None values not supported.")
            if t is None:
                try:
                    t = convert_to_tensor(v, dtype=want if want else None,
                                          preferred_dtype=spec.default_dtype,
                                          name=f"{spec.name}_{i}" if spec.number_attr
                                          else spec.name)  # a list's: as TF's convert_n
                except (TypeError, ValueError) as e:
                    if spec.number_attr:  # TF judges a list as a whole
                        raise _list_mismatch(opdef, spec, a, want) from None
                    if isinstance(e, ValueError):
                        # TF's op_def_library: a value no dtype converts stays a ValueError
                        # (a partially known TensorShape); one of another dtype is a TypeError.
                        try:
                            convert_to_tensor(v)
                        except (TypeError, ValueError) as e2:
                            raise ValueError(f"Tried to convert '{spec.name}' to a tensor and "
                                             f"failed. Error: {e2}") from None
                    if want is None:  # no dtype asked for: TF re-raises the conversion's error
                        raise
                    raise TypeError(f"Expected {want.name} passed to parameter '{spec.name}' of "
                                    f"op '{opdef.type}', got {v!r} of type '{type(v).__name__}' "
                                    f"instead. Error: {e}") from None
            t = _same_graph(t, graph, opdef, ref=spec.is_ref)
            if want is not None and t.dtype != want and spec.number_attr:
                raise _list_mismatch(opdef, spec, a, want)
            if want is not None and t.dtype != want:
                first = next(s.name for s in opdef.args if s.type_attr == spec.type_attr) \
                    if spec.type_attr else None
                if spec.fixed_dtype is not None:
                    raise TypeError(f"Input '{spec.name}' of '{opdef.type}' Op has type "
                                    f"{t.dtype.name} that does not match expected type of "
                                    f"{want.name}.")
                raise TypeError(f"Input '{spec.name}' of '{opdef.type}' Op has type {t.dtype.name} "
                                f"that does not match type {want.name} of argument '{first}'.")
            if spec.type_attr and spec.type_attr not in derived:
                derived[spec.type_attr] = t.dtype
                want = t.dtype
            if spec.type_attr:  # checked input by input, in TF's order
                _check_dtype(opdef, spec.type_attr, t.dtype, spec.name)
            if spec.is_ref and not _is_reference(t):
                raise TypeError(f"'{opdef.type}' Op requires that input '{spec.name}' be a "
                                f"mutable tensor (e.g. a Variable); got {t.name}")
            flat.append(t)
    return flat, derived


def _list_mismatch(opdef, spec, values, want) -> TypeError:
    """TF's op_def_library error for a list input (``N * T``) whose elements do not all
    convert to one dtype; it lists the dtype each element has on its own."""
    observed = ", ".join(_observed_dtype(v) for v in values)
    prefix = f"Tensors in list passed to '{spec.name}' of '{opdef.type}' Op have types [{observed}]"
    if spec.fixed_dtype is not None:
        return TypeError(f"{prefix} that do not match expected type {want.name}.")
    earlier = opdef.args[:opdef.args.index(spec)]
    if any(s.type_attr == spec.type_attr for s in earlier):  # TF: attr set by an earlier input
        return TypeError(f"{prefix} that do not match type {want.name} inferred from earlier "
                         "arguments.")
    return TypeError(f"{prefix} that don't all match.")


def _observed_dtype(v) -> str:
    """The dtype ``v`` converts to on its own, without adding a Const to the graph."""
    t = _as_tensor_or_none(v)
    if t is not None:
        return t.dtype.base_dtype.name
    try:
        return _dt.from_numpy(to_numpy(v)).name
    except (TypeError, ValueError):
        nested = _nested_tensor_dtype(v) if isinstance(v, (list, tuple)) else None
        return nested.name if nested is not None else "<NOT CONVERTIBLE TO TENSOR>"


def _check_dtype(opdef, attr, dtype, param):
    """TF's TypeError for a dtype the op's TensorFlow OpDef does not allow for type attr
    ``attr`` (set by input ``param``, or given as that attr)."""
    names = ALLOWED.get(opdef.type, _NONE).get(attr)
    if names is not None and dtype.base_dtype.name not in names:
        raise TypeError(f"Value passed to parameter '{param}' has DataType "
                        f"{dtype.base_dtype.name} not in list of allowed values: "
                        f"{', '.join(names)}")


_NONE: dict = {}


def _is_variable_output(t: Tensor) -> bool:
    """A variable's storage tensor, directly or through a RefSwitch or RefEnter (tf.cond's and
    tf.while_loop's reference)."""
    op = t._op
    while op._opdef.type in ("RefSwitch", "RefEnter"):
        op = op._inputs[0]._op
    return is_variable_op(op)


def is_variable_op(op: Operation) -> bool:
    """A variable's own op (VariableV2...: its kernel holds the Cell), not an update of one."""
    return op._opdef.resource == "variable" and not op._opdef.ref_args


def _is_reference(t: Tensor) -> bool:
    """What a ref argument takes: a variable's storage (_is_variable_output) or an update's
    result, a reference to the same variable (see _forwards_ref). (tf.cond and loops still
    take an update's result by value: a Switch, not TF's RefSwitch, which gives the same
    values and lets a partial run feed it to a later step.)"""
    return is_variable_op(_variable_source(t))


# The ops whose output is a reference to the variable of their first input, as TF declares them
# ("output_ref: Ref(T)", "out: Ref(T)"): TF1's updates return the variable itself, so another
# update may take their result (tf.assign_add(v.assign(2.), 1.) writes v twice).
_FORWARDS_REF = re.compile(r"Assign(Add|Sub)?|Scatter(Nd)?[A-Z]\w*|(Sparse)?Apply[A-Z]\w*|"
                           r"StridedSliceAssign|ZeroInitializer")


def _forwards_ref(op: Operation) -> bool:
    refs = op._opdef.ref_args
    return bool(refs) and refs[0] == 0 and _FORWARDS_REF.fullmatch(op._opdef.type) is not None


def _variable_source(t: Tensor) -> Operation:
    """The op behind the reference ``t``: through RefSwitch, RefEnter and updates' results."""
    op = t._op
    while op._opdef.type in ("RefSwitch", "RefEnter") or _forwards_ref(op):
        op = op._inputs[0]._op
    return op


def _final_attrs(opdef, attrs, derived, strict):
    final = {}
    for k, v in attrs.items():
        if k in opdef.attr_kinds:
            # TF's generated wrappers take None for an attr with a default as the default (a
            # shape's None is the unknown shape, as make_shape reads it)
            if v is None and k in opdef.attr_defaults and "shape" not in opdef.attr_kinds[k]:
                continue
            final[k] = coerce_attr(opdef.attr_kinds[k], v, k, opdef.type)
        elif k in opdef.derived_attrs:
            if strict:
                raise TypeError(f"{opdef.type} got attr '{k}', which is derived from its inputs")
            known = derived.get(k)
            given = v if isinstance(known, int) else [_dt.as_dtype(x) for x in v] \
                if isinstance(known, list) else _dt.as_dtype(v)
            if derived.get(k) != given:
                raise InvalidArgumentError(
                    None, None, f"attr '{k}' of {opdef.type} is {given!r} but its inputs "
                    f"give {derived.get(k)!r}")
        elif strict:
            raise TypeError(f"{opdef.type} got an unexpected attr '{k}'")
    for k, kind in opdef.attr_kinds.items():
        if k not in final:
            if k not in opdef.attr_defaults:
                raise TypeError(f"{opdef.type} requires attr '{k}' ({kind})")
            d = opdef.attr_defaults[k]
            final[k] = list(d) if isinstance(d, list) else d
    final.update(derived)
    return final
