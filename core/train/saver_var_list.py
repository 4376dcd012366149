"""What a Saver saves, from its ``var_list`` (core/train/saver.py): TF's op_list_to_dict, with
a variable's output tensor (a graph rebuilt by import_graph_def has no Variable objects) taken
as the variable, and the record of it a ``.meta`` keeps for import_meta_graph's Saver."""

from __future__ import annotations

from ..graph import Tensor
from ..partitioned_variables import PartitionedVariable
from ..variables import Variable

# The ops whose output tensor a Saver takes as a variable (TF's _REF_VARIABLE_OPS): saved by
# reading it, restored into the op's storage.
_REF_VARIABLE_OPS = frozenset(["Variable", "VariableV2", "AutoReloadVariable"])


def is_variable_tensor(t) -> bool:
    return isinstance(t, Tensor) and t.op.type in _REF_VARIABLE_OPS


def saveables(var_list) -> dict:
    """{checkpoint name: [(Variable or a variable op's tensor, SaveSliceInfo or None)]} (TF's
    op_list_to_dict): a variable under its op name (or dict key); the parts of a partitioned
    variable (given as a PartitionedVariable, a list of parts, or part by part) together under
    its name, by offset."""
    items = list(var_list.items()) if isinstance(var_list, dict) else \
        [(None, v) for v in var_list]
    out, seen = {}, set()
    for key, v in items:
        sliced = isinstance(v, (PartitionedVariable, list, tuple))
        parts = list(v) if sliced else [v]
        for p in parts:
            if isinstance(p, Variable) or (not sliced and is_variable_tensor(p)):
                continue
            if sliced or not isinstance(p, Tensor):
                raise TypeError(f"Saver variables must be tf.Variable, got {p!r}"
                                + (f" for {key!r}" if key else ""))
            # TF's words (op_list_to_dict for a list, saveable_objects_for_op for a dict)
            raise TypeError(f"Variable to save is not a Variable: {p}" if key is None else
                            "names_to_saveables must be a dict mapping string names to "
                            f"Tensors/Variables. Not a variable: {p}")
        # A variable under a dict key is saved whole, as in TF, even a part; a variable's
        # tensor (a graph rebuilt by import_graph_def has no Variable objects) is never a part.
        infos = [getattr(p, "_save_slice_info", None) for p in parts] \
            if sliced or key is None else [None]
        if sliced and (not parts or None in infos):
            raise ValueError(f"Slices must all be slices: {parts}")
        if len({i.full_name for i in infos if i}) > 1:
            raise ValueError(f"Slices must all be from the same tensor: "
                             f"{' != '.join(sorted({i.full_name for i in infos}))}")
        name = key or (infos[0].full_name if infos[0] else parts[0].op.name)
        if name in out and not (infos[0] and out[name][0][1] and key is None and not sliced):
            if (infos[0] is None) != (out[name][0][1] is None):
                raise ValueError(f"Mixing slices and non-slices with the same name: {name}")
            raise ValueError(f"At least two variables have the same name: {name}")
        for p in parts:  # after the names, as TF: a list's [v, v] is a name clash
            if p.op in seen:  # restoring would write it twice, from two entries (a Variable
                # and its tensor are one saveable, as in TF)
                raise ValueError(f"The same saveable will be restored with two names: "
                                 f"{key or p.op.name}")
            seen.add(p.op)
        out.setdefault(name, []).extend(zip(parts, infos))
    for name, parts in out.items():
        if parts[0][1] is not None:
            parts.sort(key=lambda p: p[1].var_offset)
            if len({tuple(i.full_shape) for _, i in parts}) > 1:
                raise ValueError(f"The slices of {name} disagree on its full shape: "
                                 f"{[i.full_shape for _, i in parts]}")
    return out


def recordable(saved: dict) -> dict | None:
    """``saved`` for the record a ``.meta`` keeps of what the Saver saves (import_meta_graph's
    Saver restores by it): a variable's tensor as a Variable over the ops ``tf.Variable`` made
    beside it (its ``<op>/Assign`` initializer and ``<op>/read`` snapshot, which a graph
    rebuilt by import_graph_def keeps). None (no record: import_meta_graph then takes the
    graph's variables) when a tensor has no such ops, as a record naming ops that do not exist
    could not be imported."""
    out = {}
    for name, parts in saved.items():
        out[name] = []
        for v, info in parts:
            if not isinstance(v, Variable):
                v = _variable_of_tensor(v)
                if v is None:
                    return None
            out[name].append((v, info))
    return out


def _variable_of_tensor(t: Tensor) -> Variable | None:
    def consumer(op_type, suffix):
        found = [c for c in t.consumers() if c.type == op_type and c.inputs[0] is t]
        named = [c for c in found if c.name == f"{t.op.name}/{suffix}"]
        return (named or found or [None])[0]
    init, read = consumer("Assign", "Assign"), consumer("Identity", "read")
    if init is None or read is None:
        return None
    return Variable._from_graph(t, init, read.outputs[0], init.inputs[1], trainable=False)
