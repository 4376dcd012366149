"""``Graph.create_op``: TF1's low-level way to add an op by type name, with flat inputs and
attrs given as AttrValue protos (or plain values)."""

from __future__ import annotations

import importlib

from . import dtypes as _dt
from .errors import NotFoundError
from .opdef import lookup


def _attr_value(opdef, key, value, op_type):
    """A plain attr value; AttrValue protos are converted as GraphDef import converts them."""
    if not hasattr(value, "WhichOneof"):
        return value
    graph_def = importlib.import_module("minitf.export.graph_def")  # owns the attr protos
    kind = graph_def._attr_kind(opdef, key)
    if kind is None:
        raise ValueError(f"create_op: op type '{op_type}' has no attr '{key}'")
    return graph_def.attr_from_proto(value, kind, f"create_op: attr '{key}' of '{op_type}'")


def _group(opdef, inputs, attrs, op_type):
    """The flat inputs split into the op's arguments; a list argument's length comes from its
    count attr (N), or from the inputs left over when it is the only one not given."""
    counts = {}
    for a in opdef.args:
        key = a.number_attr or a.type_list_attr
        if a.is_list and key in attrs:
            counts[key] = a.length(attrs)
    lists = [a for a in opdef.args if a.is_list]
    missing = [a for a in lists if (a.number_attr or a.type_list_attr) not in counts]
    singles = len(opdef.args) - len(lists)
    if len(missing) == 1:
        spare = len(inputs) - singles - sum(counts.values())
        counts[missing[0].number_attr or missing[0].type_list_attr] = max(spare, 0)
    elif missing:
        raise ValueError(f"create_op: op type '{op_type}' needs attrs "
                         f"{[a.number_attr or a.type_list_attr for a in missing]} to split its "
                         "inputs")
    expected = singles + sum(counts.values())
    if len(inputs) != expected:
        raise ValueError(f"create_op: op type '{op_type}' takes {expected} inputs "
                         f"({', '.join(a.name for a in opdef.args)}), got {len(inputs)}")
    from .graph import group_by_args

    return group_by_args(opdef, list(inputs), counts)


def create_op(graph, op_type, inputs, dtypes=None, name=None, attrs=None):
    from .graph import apply_op

    opdef = lookup(op_type)
    if opdef is None:
        raise NotFoundError(None, None, f"Op type not registered '{op_type}'")
    given = {k: _attr_value(opdef, k, v, op_type) for k, v in (attrs or {}).items()}
    unknown = sorted(set(given) - set(opdef.attrs) - set(opdef.derived_attrs))
    if unknown:
        raise ValueError(f"create_op: op type '{op_type}' has no attr {unknown[0]!r}")
    args = _group(opdef, inputs, given, op_type)
    with graph._all_or_nothing():  # a refused op (and its Consts) is taken back
        # As GraphDef import: derived attrs (T, N) may be given, and are checked against the
        # inputs.
        op = apply_op(opdef, args, given, name, graph=graph, strict_attrs=False)
        if dtypes is not None:
            want = [_dt.as_dtype(d).base_dtype for d in dtypes]
            got = [t.dtype.base_dtype for t in op.outputs]
            if want != got:
                raise TypeError(f"create_op: op type '{op_type}' gives outputs of types "
                                f"{[d.name for d in got]}, but dtypes says "
                                f"{[d.name for d in want]}")
    return op
