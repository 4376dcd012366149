"""Importing TensorFlow's resource variables (``VarHandleOp`` and the ops on its handle) into
minitf's resource-variable form (core/resource_variable.py): the handle becomes the variable's
VariableV2 storage, ``ReadVariableOp`` a ``Copy`` read carrying the gradient override
``Identity``, ``AssignVariableOp`` and the other updates their reference-variable ops
(``Assign``, ``AssignSub``, ``ApplyAdam``...), ``ResourceGather`` a gather from the storage.
Each node keeps its name and inputs, so what users look up (``w/Read/ReadVariableOp:0``,
``save/restore_all``) is there, and a Saver's RestoreV2 -> AssignVariableOp restores.

The rewrite is made node by node while importing (graph_def_import.py), where the ops a node
reads are known: a handle passed through ``Switch``/``Enter`` (tf.cond's and while loops'
reads) becomes ``RefSwitch``/``RefEnter`` of the storage. What has no minitf equivalent
(``ResourceApplyKerasMomentum``, ``DestroyResourceOp``...) is refused by name, as any op minitf
lacks.
"""

from __future__ import annotations

from minitf import dtypes as _dt
from minitf.errors import UnimplementedError
from minitf.opdef import lookup
from minitf.protos import node_def_pb2, types_pb2

from .graph_def_attrs import _attr_kind

# TF's resource-variable ops with a fixed minitf form: (op type, {minitf attr: TF attr}).
_FORMS = {
    "VarHandleOp": ("VariableV2", {}),
    "ReadVariableOp": ("Copy", {"T": "dtype"}),
    "AssignVariableOp": ("Assign", {"T": "dtype"}),
    "AssignAddVariableOp": ("AssignAdd", {"T": "dtype"}),
    "AssignSubVariableOp": ("AssignSub", {"T": "dtype"}),
    "VarIsInitializedOp": ("IsVariableInitialized", {}),
    "VariableShape": ("Shape", {}),  # (a gather's gradient asks it)
    "ResourceGather": ("GatherV2", {"Tparams": "dtype"}),
}
# Pass-through ops that may carry a handle (typed DT_RESOURCE), and what carries a reference.
_REF_FORMS = {"Switch": "RefSwitch", "Enter": "RefEnter", "Identity": "Identity"}


def _update_form(op_type: str) -> str | None:
    """The reference-variable op of a ``ResourceApply*``/``ResourceSparseApply*``/
    ``ResourceScatter*`` op (TF's training and scatter kernels on a handle), if minitf has it:
    the same inputs, the first (and the slots) a variable."""
    if not op_type.startswith("Resource"):
        return None
    ref = op_type[len("Resource"):]
    if not ref.startswith(("Apply", "SparseApply", "Scatter")):
        return None
    opdef = lookup(ref)
    return ref if opdef is not None and opdef.ref_args[:1] == (0,) else None


def minitf_type(op_type: str) -> str:
    """The op type a TF node of ``op_type`` is imported as."""
    if op_type in _FORMS:
        return _FORMS[op_type][0]
    return _update_form(op_type) or op_type


def is_storage(t) -> bool:
    """Whether the tensor ``t`` is a variable's storage, or a reference to it through
    RefSwitch/RefEnter."""
    op = getattr(t, "op", None)
    while op is not None and op.type in ("RefSwitch", "RefEnter"):
        op = op.inputs[0].op
    return op is not None and op.type == "VariableV2"


def minitf_node(node, first_input):
    """``node`` (a TF NodeDef) in minitf's form: the same node when nothing changes.
    ``first_input()`` gives the tensor its first data input names (None if not made yet)."""
    op_type = node.op
    update = None if op_type in _FORMS else _update_form(op_type)
    passes = op_type in _REF_FORMS and "T" in node.attr and \
        node.attr["T"].type == types_pb2.DT_RESOURCE
    if op_type not in _FORMS and update is None and not passes:
        return node
    handle = first_input()
    if passes and not is_storage(handle):
        return node  # another resource (a TensorArray's handle...): not a variable's
    new = node_def_pb2.NodeDef()
    new.CopyFrom(node)
    if passes:  # a variable's handle through tf.cond / a while loop: a reference to it
        new.op = _REF_FORMS[op_type]
        new.attr["T"].type = handle.dtype.base_dtype.as_datatype_enum
        return new
    if update is not None:
        new.op = update
        if "T" not in new.attr and "dtype" in new.attr:  # ResourceScatter*: dtype is T
            new.attr["T"].CopyFrom(new.attr["dtype"])
        return new
    new.op, renames = _FORMS[op_type]
    for ours, theirs in renames.items():
        if theirs in node.attr:
            new.attr[ours].CopyFrom(node.attr[theirs])
    if op_type in ("VarIsInitializedOp", "VariableShape") and handle is not None:
        new.attr["dtype" if op_type == "VarIsInitializedOp" else "T"].type = \
            handle.dtype.base_dtype.as_datatype_enum
    elif op_type == "ReadVariableOp":  # gradients reach the variable through every read
        new.attr["_gradient_op_type"].s = b"Identity"
    elif op_type == "ResourceGather":
        new.attr["Taxis"].type = types_pb2.DT_INT32
    # Attrs TF's op has and minitf's form does not (debug_name, allowed_devices, dtype...)
    # go: they would not travel back out in a GraphDef of minitf's ops.
    opdef = lookup(new.op)
    for key in list(new.attr):
        if not key.startswith("_") and _attr_kind(opdef, key) is None:
            del new.attr[key]
    return new


def extra_inputs(node, graph, op_name) -> list:
    """Inputs minitf's form has beyond TF's node's: ResourceGather's axis (GatherV2 takes
    it as an input; TF gathers from axis ``batch_dims``)."""
    if node.op != "ResourceGather":
        return []
    from minitf.ops.constant_ops import constant

    batch_dims = node.attr["batch_dims"].i if "batch_dims" in node.attr else 0
    with graph.as_default(), graph.control_dependencies(None):
        return [constant(batch_dims, dtype=_dt.int32, name=op_name + "/axis")]


def check_handle(node, inputs, source):
    """A resource op whose handle is not a variable's storage (an Identity of a handle, a
    handle fed by input_map...): refused by name, as minitf cannot update it."""
    if node.op in _FORMS and node.op != "VarHandleOp" or _update_form(node.op):
        handle = inputs[0] if inputs else None
        if handle is None or not is_storage(handle) and (
                node.op not in ("ReadVariableOp", "ResourceGather", "VariableShape")):
            raise UnimplementedError(
                None, None, f"{source}: node '{node.name}' ({node.op}) takes "
                f"'{node.input[0] if node.input else ''}', which is not a resource variable's "
                "handle minitf can follow (VarHandleOp, directly or through Switch/Enter)")
