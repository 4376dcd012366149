"""The object graph of an object-based checkpoint (``tf.train.Checkpoint``): which objects
a checkpoint holds, how they are named, and the ``TrackableObjectGraph`` proto that records
them under the key ``_CHECKPOINTABLE_OBJECT_GRAPH`` of the tensor bundle.

Objects. A Checkpoint's children are its keyword arguments and the attributes assigned to it
later. Trackable here are: minitf Variables (leaves, saved as their one attribute
``VARIABLE_VALUE``); ``tf.layers`` layers (their weights, under the name they were made with:
``kernel``, ``bias``; as in TF1's legacy layers, attributes are not tracked, so a sub-layer
kept in one is not saved); ``tf.train`` optimizers (their non-slot variables of the graph
being saved, sorted by name: Adam's ``beta1_power``, ``beta2_power``; their slot variables
are recorded apart, see below); Checkpoints and tf.Modules (their tracked attributes, in
assignment order: core/module.py) and anything else with a ``_trackable_children()`` method
returning {name: child}; dicts (their string keys, in insertion order) and lists/tuples
(``"0"``, ``"1"``...) of these. As TF wraps them: exactly list, dict and OrderedDict, and a
tuple only if it holds something trackable (``(2, 3)`` is no dependency).

Traversal, as TF's graph_view: breadth first from the root, a node id per object in the order
found (an object reached twice keeps its first id and path). Then, for each optimizer in node
order, for each of its slot names (sorted), for each node in order that has a slot, the slot
variable gets the next node id, and the optimizer's node a SlotVariableReference to it.

Keys. A path is its local names joined by ``/``, each escaped (``.`` -> ``..``, ``/`` ->
``.S``); a variable's value is saved under ``<path>/.ATTRIBUTES/VARIABLE_VALUE``, a slot's
under ``<variable path>/.OPTIMIZER_SLOT/<optimizer path>/<slot name>/.ATTRIBUTES/...``.

The proto (tensorflow/core/protobuf/trackable_object_graph.proto) is encoded by hand with
core/_wire.py (core may not import minitf.protos): TrackableObjectGraph {repeated
TrackableObject nodes = 1}; TrackableObject {repeated ObjectReference children = 1 {int32
node_id = 1; string local_name = 2}, repeated SerializedTensor attributes = 2 {string name =
1; string full_name = 2; string checkpoint_key = 3}, repeated SlotVariableReference
slot_variables = 3 {int32 original_variable_node_id = 1; string slot_name = 2; int32
slot_variable_node_id = 3}, RegisteredSaver registered_saver = 4 {string name = 1; string
object_name = 2}, google.protobuf.BoolValue has_checkpoint_values = 5 {bool value = 1}}.
The bytes are those TensorFlow's SerializeToString gives for the same graph.
"""

from __future__ import annotations

import collections
import dataclasses

from .. import _wire
from ..errors import DataLossError
from ..layers_base import Layer
from ..partitioned_variables import PartitionedVariable
from ..variables import Variable
from .optimizer import Optimizer

OBJECT_GRAPH_PROTO_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
VARIABLE_VALUE = "VARIABLE_VALUE"
_ATTRIBUTES = ".ATTRIBUTES"
_SLOTS = ".OPTIMIZER_SLOT"


# -- names -----------------------------------------------------------------------------------
def escape_local_name(name: str) -> str:
    """TF's escape: ``.`` doubles (``.ATTRIBUTES`` cannot clash with a user's name) and ``/``
    becomes ``.S`` (``/`` separates the edges of a path)."""
    return name.replace(".", "..").replace("/", ".S")


def object_path(names) -> str:
    return "/".join(escape_local_name(n) for n in names)


def attribute_key(path: str, attribute: str = VARIABLE_VALUE) -> str:
    return f"{path}/{_ATTRIBUTES}/{escape_local_name(attribute)}"


def slot_path(variable_path: str, optimizer_path: str, slot_name: str) -> str:
    return f"{variable_path}/{_SLOTS}/{optimizer_path}/{escape_local_name(slot_name)}"


# -- the proto --------------------------------------------------------------------------------
@dataclasses.dataclass
class ObjectNode:
    """One TrackableObject: children [(node_id, local_name)], attributes [(name, full_name,
    checkpoint_key)], slot_variables [(original_variable_node_id, slot_name,
    slot_variable_node_id)]."""

    children: list = dataclasses.field(default_factory=list)
    attributes: list = dataclasses.field(default_factory=list)
    slot_variables: list = dataclasses.field(default_factory=list)
    registered_saver: tuple | None = None
    has_checkpoint_values: bool | None = None


def _opt_uint(field, n):
    return _wire.uint(field, n) if n else b""


def _opt_str(field, s):
    return _wire.string(field, s) if s else b""


def encode_object_graph(nodes: list) -> bytes:
    out = []
    for node in nodes:
        body = [_wire.length_delimited(1, _opt_uint(1, i) + _opt_str(2, name))
                for i, name in node.children]
        body += [_wire.length_delimited(2, _opt_str(1, a) + _opt_str(2, f) + _opt_str(3, k))
                 for a, f, k in node.attributes]
        body += [_wire.length_delimited(3, _opt_uint(1, o) + _opt_str(2, s) + _opt_uint(3, i))
                 for o, s, i in node.slot_variables]
        if node.registered_saver is not None:
            name, obj = node.registered_saver
            body.append(_wire.length_delimited(4, _opt_str(1, name) + _opt_str(2, obj)))
        if node.has_checkpoint_values is not None:
            body.append(_wire.length_delimited(5, _opt_uint(1, int(node.has_checkpoint_values))))
        out.append(_wire.length_delimited(1, b"".join(body)))
    return b"".join(out)


def _submessage(buf, types: dict) -> dict:
    """{field: value} of a flat message whose fields are ints or strings (``types``)."""
    out = {}
    for number, wt, value, _, _ in _wire.fields(buf):
        kind = types.get(number)
        if kind is int and wt == _wire.VARINT:
            out[number] = value if value < 2 ** 31 else value - 2 ** 64  # int32, sign-extended
        elif kind is str and wt == _wire.LEN:
            out[number] = value.decode("utf-8")
        elif kind is bool and wt == _wire.VARINT:
            out[number] = bool(value)
        elif kind is not None:
            raise _wire.WireError(f"field {number} has wire type {wt}")
    return out


def decode_object_graph(data: bytes, where: str = "") -> list:
    """The nodes of a serialized TrackableObjectGraph; DataLossError if it is not one."""
    try:
        nodes = []
        for number, wt, value, _, _ in _wire.fields(data):
            if number != 1 or wt != _wire.LEN:
                continue
            node = ObjectNode()
            for f, fwt, v, _, _ in _wire.fields(value):
                if fwt != _wire.LEN:
                    continue
                if f == 1:
                    m = _submessage(v, {1: int, 2: str})
                    node.children.append((m.get(1, 0), m.get(2, "")))
                elif f == 2:
                    m = _submessage(v, {1: str, 2: str, 3: str})
                    node.attributes.append((m.get(1, ""), m.get(2, ""), m.get(3, "")))
                elif f == 3:
                    m = _submessage(v, {1: int, 2: str, 3: int})
                    node.slot_variables.append((m.get(1, 0), m.get(2, ""), m.get(3, 0)))
                elif f == 4:
                    m = _submessage(v, {1: str, 2: str})
                    node.registered_saver = (m.get(1, ""), m.get(2, ""))
                elif f == 5:
                    node.has_checkpoint_values = _submessage(v, {1: bool}).get(1, False)
            nodes.append(node)
    except (_wire.WireError, UnicodeDecodeError) as e:
        raise DataLossError(None, None, f"Checkpoint {where}: {OBJECT_GRAPH_PROTO_KEY} is not a "
                            f"TrackableObjectGraph proto ({e})") from None
    for node_id, node in enumerate(nodes):
        refs = [i for i, _ in node.children] + [i for o, _, s in node.slot_variables
                                                 for i in (o, s)]
        if any(not 0 <= i < len(nodes) for i in refs):
            raise DataLossError(None, None, f"Checkpoint {where}: object {node_id} of the "
                                f"object graph refers to a node id out of range "
                                f"(there are {len(nodes)} nodes)")
    return nodes


def format_node(node: ObjectNode) -> str:
    """The node in protobuf text format, as TF's messages show it."""
    def q(s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = []
    for i, name in node.children:
        lines += ["children {"] + ([f"  node_id: {i}"] if i else []) + \
            ([f"  local_name: {q(name)}"] if name else []) + ["}"]
    for a, f, k in node.attributes:
        lines += ["attributes {"] + [f"  {label}: {q(v)}" for label, v in
                                     (("name", a), ("full_name", f), ("checkpoint_key", k)) if v]
        lines += ["}"]
    for o, s, i in node.slot_variables:
        lines += ["slot_variables {"] + ([f"  original_variable_node_id: {o}"] if o else []) + \
            ([f"  slot_name: {q(s)}"] if s else []) + \
            ([f"  slot_variable_node_id: {i}"] if i else []) + ["}"]
    if node.has_checkpoint_values is not None:
        lines += ["has_checkpoint_values {"] + \
            (["  value: true"] if node.has_checkpoint_values else []) + ["}"]
    return "\n".join(lines) + "\n"


def node_names(nodes: list) -> dict:
    """{node id: "(root).model.kernel"} as TF's ObjectGraphProtoPrettyPrinter names them."""
    paths = {0: ("(root)",)} if nodes else {}
    queue = collections.deque(paths)
    while queue:
        node_id = queue.popleft()
        for child, name in nodes[node_id].children:
            if child not in paths:
                paths[child] = paths[node_id] + (name,)
                queue.append(child)
    names = {i: ".".join(p) for i, p in paths.items()}
    for node_id, node in enumerate(nodes):
        for original, slot, slot_id in node.slot_variables:
            names[slot_id] = (f"{names.get(node_id, node_id)}'s state '{slot}' for "
                              f"{names.get(original, original)}")
    return names


# -- the objects ------------------------------------------------------------------------------
def is_trackable(obj) -> bool:
    """TF's rule (data_structures.wrap_or_unwrap): Variables, layers, optimizers, objects with
    ``_trackable_children`` (Checkpoints, Modules); lists, dicts and OrderedDicts (exactly those
    types: a dict subclass is not wrapped); a tuple only when it holds a trackable object or a
    list/dict (a tuple of plain values is not a dependency)."""
    if type(obj) in (list, dict, collections.OrderedDict):
        return True
    if isinstance(obj, tuple):
        return any(is_trackable(e) for e in obj)
    return isinstance(obj, (Variable, Layer, Optimizer)) or \
        callable(getattr(obj, "_trackable_children", None))


def check_trackable(obj, who: str = "Checkpoint"):
    if isinstance(obj, PartitionedVariable):
        raise ValueError(f"`{who}` cannot track the PartitionedVariable {obj.name!r}: save its "
                         "parts, or use tf.train.Saver, which saves partitioned variables")
    if not is_trackable(obj):
        raise ValueError(f"`{who}` was expecting a trackable object (an object derived from "
                         f"`Trackable`), got {obj}. If you believe this object should be "
                         "trackable (i.e. it is part of the TensorFlow Python API and manages "
                         "state), please open an issue.")


def _layer_weight_name(layer: Layer, v: Variable) -> str:
    name = v.op.name
    scope = layer._scope.name if layer._scope is not None else None
    if scope and name.startswith(scope + "/"):
        return name[len(scope) + 1:]
    return name.rpartition("/")[2]


def children(obj, graph=None) -> list:
    """[(local name, child)] of a trackable object, in TF's order."""
    if isinstance(obj, Variable):
        return []
    if isinstance(obj, dict):
        out = []
        for k, v in obj.items():
            if not is_trackable(v):
                continue
            if not isinstance(k, str):
                raise ValueError(f"Unable to save the object {obj!r} (a dictionary wrapper "
                                 f"constructed automatically on attribute assignment). The "
                                 f"wrapped dictionary contains a non-string key {k!r} which "
                                 "maps to a trackable object or mutable data structure.")
            out.append((k, v))
        return out
    if isinstance(obj, (list, tuple)):
        return [(str(i), v) for i, v in enumerate(obj) if is_trackable(v)]
    if isinstance(obj, Optimizer):
        found = [(name, v) for (name, g), v in obj._non_slot_dict.items()
                 if graph is None or g is graph]
        return sorted(found, key=lambda item: item[0])
    if isinstance(obj, Layer):
        # Only what add_weight made: TF1's legacy layers bypass attribute tracking, so a
        # sub-layer kept in an attribute is not part of the checkpoint there either.
        return [(_layer_weight_name(obj, v), v)
                for v in obj._trainable_weights + obj._non_trainable_weights]
    return list(obj._trackable_children().items())


@dataclasses.dataclass
class SavedGraph:
    """An object graph ready to save: its nodes, ``objects[node_id]``, the path of each
    object ({id: path string}), and the variables to save [(checkpoint key, Variable)]."""

    nodes: list
    objects: list
    paths: dict
    variables: list


def list_objects(root, graph=None) -> tuple:
    """(objects in breadth-first order, {id(object): tuple of local names}, {id: node id})."""
    objects, names, ids = [root], {id(root): ()}, {id(root): 0}
    queue = collections.deque([root])
    while queue:
        current = queue.popleft()
        for name, child in children(current, graph):
            if id(child) not in ids:
                ids[id(child)] = len(objects)
                objects.append(child)
                names[id(child)] = names[id(current)] + (name,)
                queue.append(child)
    return objects, names, ids


def serialize(root, graph=None, skip_slots: bool = False) -> SavedGraph:
    """The object graph of ``root`` and the variables it saves (see the module docstring)."""
    objects, names, ids = list_objects(root, graph)
    paths = {k: object_path(v) for k, v in names.items()}
    nodes = [ObjectNode(children=[(ids[id(c)], n) for n, c in children(o, graph)])
             for o in objects]
    first = len(objects)
    for opt_id in range(first):
        opt = objects[opt_id]
        if skip_slots or not isinstance(opt, Optimizer):
            continue
        for slot_name in opt.get_slot_names():
            for var_id in range(first):
                original = objects[var_id]
                if not isinstance(original, Variable):
                    continue
                slot = opt.get_slot(original, slot_name)
                if slot is None:
                    continue
                if id(slot) in ids:
                    raise NotImplementedError(
                        f"A slot variable was re-used as a dependency of a Trackable object: "
                        f"{slot}. This is not currently allowed. File a feature request if "
                        "this limitation bothers you.")
                ids[id(slot)] = len(objects)
                objects.append(slot)
                paths[id(slot)] = slot_path(paths[id(original)], paths[id(opt)], slot_name)
                nodes.append(ObjectNode())
                nodes[opt_id].slot_variables.append((var_id, slot_name, ids[id(slot)]))
    variables = []
    for node, obj in zip(nodes, objects):
        if isinstance(obj, Variable):
            key = attribute_key(paths[id(obj)])
            node.attributes.append((VARIABLE_VALUE, obj.op.name, key))
            variables.append((key, obj))
    _mark_checkpoint_values(nodes)
    return SavedGraph(nodes, objects, paths, variables)


def _mark_checkpoint_values(nodes):
    """TF's has_checkpoint_values: a node with attributes, slot variables or a registered
    saver, and every node from which one is reachable through children."""
    parents = collections.defaultdict(set)
    for node_id, node in enumerate(nodes):
        for child, _ in node.children:
            parents[child].add(node_id)
    marked = {i for i, n in enumerate(nodes)
              if n.attributes or n.slot_variables or n.registered_saver is not None}
    queue = list(marked)
    while queue:
        for p in parents.pop(queue.pop(), ()):
            if p not in marked:
                marked.add(p)
                queue.append(p)
    for node_id, node in enumerate(nodes):
        node.has_checkpoint_values = node_id in marked
