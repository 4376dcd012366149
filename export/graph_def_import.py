"""The node-by-node work of ``import_graph_def`` (graph_def.py): parsing ``name:index`` /
``^control`` inputs, the import order (topological, a while loop's back edges joined after),
the imported names, colocation, and building each node's op from its NodeDef (attrs, inputs
grouped into the OpDef's arguments, input_map dtypes checked)."""

from __future__ import annotations

import contextlib
import heapq

from minitf import dtypes as _dt
from minitf.errors import InvalidArgumentError, NotFoundError, OpError
from minitf.graph import (Operation, Tensor, _scopes_of, apply_op, convert_to_tensor,
                          group_by_args)
from minitf.opdef import lookup
from minitf.resource_variable import mark_storage
from minitf.tensor_shape import TensorShape

from . import resource_import
from .graph_def_attrs import _attr_kind, attr_from_proto


def _parse_input(text: str):
    """(node name, output index) for "n", "n:1"; (name, -1) for "^n" (TensorFlow's rules)."""
    if text.startswith("^"):
        return text[1:], -1
    name, sep, idx = text.rpartition(":")
    if sep and idx.isdigit():
        return name, int(idx)
    return text, 0


def _input_map_tensors(input_map, name, prefix, graph) -> dict:
    """``input_map`` keyed by tensor names ("x" -> "x:0"), its values as Tensors: as TF, other
    values become Consts under "<prefix>_inputs/" (so a prefix is needed)."""
    if input_map is None:
        return {}
    if not isinstance(input_map, dict) or \
            not all(isinstance(k, (str, bytes)) for k in input_map):
        raise TypeError("input_map must be a dictionary mapping strings to Tensor objects, "
                        f"got {input_map!r}")
    # bytes keys are names too, as TF's compat.as_str takes them
    input_map = {k.decode() if isinstance(k, bytes) else k: v for k, v in input_map.items()}
    if not all(isinstance(v, Tensor) for v in input_map.values()):
        if name == "":
            raise ValueError("tf.import_graph_def() requires a non-empty `name` if `input_map` "
                             "contains non-Tensor values. Try calling tf.convert_to_tensor() "
                             "on `input_map` values before calling tf.import_graph_def().")
        with graph.as_default(), graph.name_scope(prefix), graph.name_scope("_inputs"):
            input_map = {k: convert_to_tensor(v) for k, v in input_map.items()}
    return {_norm(k): v for k, v in input_map.items()}



def _import_names(nodes, prefix, graph) -> dict:
    """Each node's name in ``graph``: prefixed and, if an op or a scope of one has that name,
    suffixed "_1", "_2"... past the names of the GraphDef's own nodes (TF's importer)."""
    names = {n.name: prefix + n.name for n in nodes}
    if not graph._by_name:
        return names
    taken = graph._taken_names()
    planned = None
    for key, name in names.items():
        if name in taken:
            planned = planned or _with_scopes(names.values())
            i = 1
            while f"{name}_{i}" in taken or f"{name}_{i}" in planned:
                i += 1
            names[key] = f"{name}_{i}"
    return names


def _with_scopes(names) -> set:
    """``names`` and the scopes they are in ("a/b/c" adds "a/b" and "a")."""
    return {s for name in names for s in _scopes_of(name)}


class _InputMapDtypeError(Exception):
    """An input_map tensor whose dtype the node's input does not take (TF: a ValueError)."""


def _import_nodes(nodes, order, names, input_map, graph, source, contents) -> dict:
    """Adds the nodes in ``order``; returns GraphDef name -> Operation. Under
    ``tf.control_dependencies``, every imported op runs after the controls, as in TF, whose
    Python side adds them to each new op afterwards (its inputs being tensors, the ops made in
    the block never count as already ordered), after the node's own control inputs."""
    stack = graph._control_stack
    levels = list(stack)
    stack.clear()
    try:
        created = _import_ordered(nodes, order, names, input_map, graph, source, contents)
    finally:
        stack[:] = levels
    for op in created.values():
        for level in levels:
            op._add_control_inputs(level)
            level.seen.add(op)  # later ops reading it are ordered by it, as TF's
    return created


def _import_ordered(nodes, order, names, input_map, graph, source, contents) -> dict:
    created: dict[str, Operation] = {}
    back_edges: list = []  # (Merge op, input position, NextIteration node name)
    colocated = []
    for i in order:
        node = nodes[i]
        groups = _colocation_groups(node, names, source)
        # As TF's importer: a colocated node takes the device of its group (below), not the
        # device scopes'; another keeps its own device, merged under the scopes', and so does
        # a node that names its own group (TF1's variables: ``v`` with ``loc:@v``).
        own = b"loc:@" + names[node.name].encode() in groups
        placement = graph.colocate_with(None, ignore_existing=True) if groups and not own \
            else graph.device(node.device) if node.device else contextlib.nullcontext()
        try:
            with placement:
                created[node.name] = op = _import_node(
                    node, names[node.name], created, input_map, graph, source, contents.get(i),
                    back_edges)
        except OpError:
            raise
        except _InputMapDtypeError as e:
            raise ValueError(str(e)) from None
        except (TypeError, ValueError, KeyError, IndexError, ArithmeticError) as e:
            # A malformed node must not escape as a bare Python error (ArithmeticError: an
            # infer dividing by a zero attr, e.g. Split with num_split 0).
            raise InvalidArgumentError(
                None, None, f"{source}: node '{node.name}' ({node.op}): {e}") from None
        if "_gradient_op_type" in node.attr:  # a gradient_override_map's mark
            graph._gradient_overrides[op] = node.attr["_gradient_op_type"].s.decode()
        if groups:
            op._colocation = tuple(groups)
            colocated.append(op)
    for op in colocated:
        op._device = next((d for d in _group_devices(graph, op._colocation) if d), "")
    for merge, k, src, idx in back_edges:
        try:
            merge._update_input(k, created[src]._outputs[idx])
        except TypeError as e:
            raise InvalidArgumentError(None, None, f"{source}: node '{merge.name}': "
                                       f"{e}") from None
    return created


def _colocation_groups(node, names, source) -> list:
    """The node's ``_class`` groups, naming the ops as imported. A group of a node the GraphDef
    does not hold is refused, as TF's importer refuses it (its ValueError: a bad GraphDef's
    InvalidArgumentError is one)."""
    av = node.attr["_class"] if "_class" in node.attr else None
    if av is None or av.WhichOneof("value") != "list":
        return []
    out = []
    for group in av.list.s:
        if not group.startswith(b"loc:@"):
            out.append(group)
            continue
        name = group[5:].decode("utf-8", "replace")
        if name not in names:
            raise InvalidArgumentError(None, None, f"{source}: Node '{node.name}' expects to be "
                                       f"colocated with unknown node '{name}'")
        out.append(b"loc:@" + names[name].encode())
    return out


def _group_devices(graph, groups):
    for group in groups:
        op = graph._by_name.get(group[5:].decode()) if group.startswith(b"loc:@") else None
        if op is not None:
            yield op.device


def _return_element(text: str, created: dict, input_map: dict):
    """A return_elements entry: an imported op, or a tensor (input_map's, if it maps it)."""
    if isinstance(text, bytes):  # a name too, as TF's compat.as_str takes it
        text = text.decode()
    node_name, idx = _parse_input(text)
    op = created.get(node_name)
    if op is None or (":" in text and idx >= len(op.outputs)):
        raise ValueError(f"Requested return_element {text!r} not found in graph_def.")
    if ":" not in text:
        return op
    return input_map.get(f"{node_name}:{idx}", op.outputs[idx])


def _norm(key: str) -> str:
    """"x" -> "x:0"; a control key "^x" stays itself (it maps x's control edges)."""
    name, idx = _parse_input(key)
    return key if idx < 0 else f"{name}:{idx}"


def _topological_order(nodes, index, input_map, source) -> list:
    deps = []
    for node in nodes:
        d = set()
        seen_control = False
        for text in node.input:
            src, idx = _parse_input(text)
            if idx < 0:
                seen_control = True
            elif seen_control:
                raise InvalidArgumentError(None, None, f"{source}: node '{node.name}' has data "
                                           f"input '{text}' after a control input")
            if f"{src}:{idx}" in input_map or (idx < 0 and text in input_map):
                continue
            if src not in index:
                raise InvalidArgumentError(None, None, f"{source}: node '{node.name}' has input "
                                           f"'{text}', but there is no node '{src}'")
            if _is_back_edge(node, nodes[index[src]], idx):
                continue  # a while loop's NextIteration -> Merge: joined after both exist
            d.add(index[src])
        deps.append(d)
    users = [[] for _ in nodes]
    for i, d in enumerate(deps):
        for j in d:
            users[j].append(i)
    indeg = [len(d) for d in deps]
    # Lowest index first (TensorFlow's importer keeps a sorted ready set), so a GraphDef that is
    # already in topological order imports in its own order and exports back unchanged.
    ready = [i for i, n in enumerate(indeg) if n == 0]
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for u in users[i]:
            indeg[u] -= 1
            if indeg[u] == 0:
                heapq.heappush(ready, u)
    if len(order) != len(nodes):
        stuck = min(i for i, n in enumerate(indeg) if n > 0)
        raise InvalidArgumentError(None, None, f"{source}: the graph has a cycle through node "
                                   f"'{nodes[stuck].name}'")
    return order


def _is_back_edge(node, src_node, idx: int) -> bool:
    """A while loop's back edge (TF's importer makes the same exception to the order)."""
    return idx >= 0 and node.op in ("Merge", "RefMerge") and \
        src_node.op in ("NextIteration", "RefNextIteration")


def _opdef_of(node, source):
    # TF's resource-variable ops import as minitf's resource-variable form (resource_import.py)
    opdef = lookup(resource_import.minitf_type(node.op))
    if opdef is None:
        # (TF's class for an op type its binary lacks: NotFoundError)
        raise NotFoundError(None, None, f"{source}: node '{node.name}' uses op type "
                            f"'{node.op}', which minitf does not support")
    return opdef


def _import_node(node, op_name, created, input_map, graph, source, content, back_edges):
    tf_node = node
    node = resource_import.minitf_node(
        node, lambda: _first_input(tf_node, created, input_map))
    opdef = _opdef_of(node, source)
    what = f"{source}: node '{node.name}' ({node.op}) attr"
    attrs, marks = {}, {}
    for key, av in node.attr.items():
        if key.startswith("_"):
            # Kept on the op as TF keeps them (_XlaCompile...); colocation and a gradient
            # override are held apart (below), and the output shapes refine the op's (as TF).
            if key not in ("_class", "_gradient_op_type", "_output_shapes"):
                marks[key] = av
            continue
        kind = _attr_kind(opdef, key)
        if kind is None:
            continue  # an attr from a newer TensorFlow we do not model: ignored, as TF does
        attrs[key] = attr_from_proto(av, kind, f"{what} '{key}'",
                                     content if key == "value" else None)
    inputs, controls, mapped = [], [], set()
    pending = []  # back edges: (input position, NextIteration node), joined by the caller
    for text in node.input:
        src, idx = _parse_input(text)
        if idx < 0:  # "^src" in input_map moves the control edge to the mapped op (TF)
            mapped_op = input_map.get("^" + src)
            controls.append(created[src] if mapped_op is None else mapped_op.op)
            continue
        if f"{src}:{idx}" in input_map:
            mapped.add(len(inputs))
            inputs.append(input_map[f"{src}:{idx}"])
            continue
        if src not in created:  # a back edge (see _is_back_edge): for now, another input
            pending.append((len(inputs), src, idx))
            inputs.append(None)
            continue
        op = created[src]
        if idx >= len(op.outputs):
            raise InvalidArgumentError(None, None, f"{source}: node '{node.name}' has input "
                                       f"'{text}', but '{src}' has only {len(op.outputs)} "
                                       "outputs")
        inputs.append(op.outputs[idx])
    if pending:
        others = [t for t in inputs if t is not None]
        if not others:
            raise InvalidArgumentError(None, None, f"{source}: node '{node.name}' ({node.op}) "
                                       "has no input from outside its loop")
        for k, _, _ in pending:
            inputs[k] = others[0]
    if node is not tf_node:
        resource_import.check_handle(tf_node, inputs, source)
        inputs.extend(resource_import.extra_inputs(tf_node, graph, op_name))
    if mapped:
        _check_mapped_dtypes(opdef, inputs, attrs, mapped, op_name)
    args = _group(opdef, inputs, attrs, node, source)
    try:
        op = apply_op(opdef, args, attrs, op_name, graph=graph, exact_name=True,
                      strict_attrs=False, control_inputs=controls)
    except OpError as e:
        raise type(e)(None, None, f"{source}: node '{node.name}' ({node.op}): "
                      f"{e.message}") from None
    if tf_node.op == "VarHandleOp":
        mark_storage(op)
    elif node is not tf_node and "_gradient_op_type" in node.attr:  # a read's Identity rule
        graph._gradient_overrides[op] = node.attr["_gradient_op_type"].s.decode()
    # As TensorFlow's importer does: imported names count as used, so ops added later under the
    # same name are uniquified ("probs_1") instead of clashing.
    graph._names_in_use.setdefault(op.name.lower(), 1)
    if marks:
        op._marks = {k: type(av).FromString(av.SerializeToString()) for k, av in marks.items()}
    if pending:
        # The values a loop variable takes may differ in shape from its first (TF1's shape
        # invariants are not in the GraphDef): nothing static is assumed about them.
        op._outputs[0]._shape = TensorShape(None)
        back_edges.extend((op, k, src, idx) for k, src, idx in pending)
    if node is tf_node and "_output_shapes" in node.attr:  # (a rewritten node's outputs differ)
        _merge_output_shapes(node.attr["_output_shapes"], op, source)
    return op


def _merge_output_shapes(av, op, source):
    """TF's importer: the ``_output_shapes`` a GraphDef records refine the shapes its own
    inference gives each output (ops made afterwards infer from them), and must agree. Handles
    (resource, variant) are left as minitf shapes them (TF's StackV2 handle is a 2-vector)."""
    if av.WhichOneof("value") != "list":
        return  # not a list of shapes: TF ignores it
    shapes = av.list.shape
    if len(shapes) < len(op._outputs):
        raise InvalidArgumentError(None, None, f"{source}: Node '{op.name}' has "
                                   f"{len(op._outputs)} outputs but the _output_shapes "
                                   f"attribute specifies shapes for {len(shapes)} outputs")
    for i, t in enumerate(op._outputs):
        if t._dtype.base_dtype in (_dt.resource, _dt.variant):
            continue
        proto = shapes[i]
        dims = [d.size for d in proto.dim]
        if any(d < -1 for d in dims):
            raise InvalidArgumentError(
                None, None, f"{source}: Node '{op.name} has an invalid _output_shapes attribute "
                f"(shape #{i} error:'Shape [{','.join(map(str, dims))}] has dimensions with "
                "values below -1 (where -1 means unknown)'")
        known = None if proto.unknown_rank else [None if d < 0 else d for d in dims]
        if known is not None and t._shape.rank == len(known) and t._shape.as_list() == known:
            continue  # the usual case: what minitf inferred (nothing to merge)
        given = TensorShape(known)
        try:
            t._shape = _merge_shapes(t._shape, given)
        except ValueError as e:
            raise InvalidArgumentError(None, None, f"{source}: Node '{op.name}' has an "
                                       "_output_shapes attribute inconsistent with the GraphDef "
                                       f"for output #{i}: {e}") from None


def _merge_shapes(ours: TensorShape, given: TensorShape) -> TensorShape:
    """The shape both describe, or TF's shape-inference error."""
    if ours.rank is None:
        return given
    if given.rank is None:
        return ours
    if ours.rank != given.rank:
        raise ValueError(f"Shapes must be equal rank, but are {ours.rank} and {given.rank}")
    for i, (a, b) in enumerate(zip(ours.as_list(), given.as_list())):
        if a is not None and b is not None and a != b:
            raise ValueError(f"Dimension {i} in both shapes must be equal, but are {a} and {b}. "
                             f"Shapes are {ours.debug_string()} and {given.debug_string()}.")
    return ours.merge_with(given)


def _first_input(node, created, input_map):
    """The tensor ``node``'s first data input names, if it is made already (else None)."""
    for text in node.input:
        src, idx = _parse_input(text)
        if idx < 0:
            continue
        if f"{src}:{idx}" in input_map:
            return input_map[f"{src}:{idx}"]
        op = created.get(src)
        return op.outputs[idx] if op is not None and idx < len(op.outputs) else None
    return None


def _check_mapped_dtypes(opdef, inputs, attrs, mapped, op_name):
    """Raises TF's error for an input_map tensor whose dtype the node's input does not take
    (as far as the node's attrs tell the dtypes)."""
    wants = []  # the dtype of each flat input (None: not fixed by an attr)
    for spec in opdef.args:
        if spec.type_list_attr:
            wants.extend(attrs.get(spec.type_list_attr) or [])
        elif spec.number_attr:
            count = attrs.get(spec.number_attr, 0)
            if not 0 <= count <= len(inputs):
                return  # malformed: _group reports it
            wants.extend([spec.fixed_dtype or attrs.get(spec.type_attr)] * count)
        else:
            wants.append(spec.fixed_dtype or attrs.get(spec.type_attr))
    if len(wants) != len(inputs):
        return  # malformed: _group reports it
    for k in sorted(mapped):
        t, want = inputs[k], wants[k]
        if want is not None and t.dtype.base_dtype != want.base_dtype:
            raise _InputMapDtypeError(
                f"Input {k} of node {op_name} was passed {_dt.dtype_string(t.dtype)} from "
                f"{t.name} incompatible with expected {_dt.dtype_string(want)}.")


def _group(opdef, inputs, attrs, node, source):
    """Splits a NodeDef's flat inputs into the OpDef's arguments (lists for N*T)."""
    lists = [a for a in opdef.args if a.is_list]
    n_single = len(opdef.args) - len(lists)
    if lists:
        counts = {}  # list argument's count attr -> its length (N, or len(U))
        for a in lists:
            key = a.number_attr or a.type_list_attr
            if key in attrs:
                given = attrs.pop(key)
                counts[key] = given if a.number_attr else len(given)
        spare = len(inputs) - n_single - sum(counts.values())
        missing = [a for a in lists if (a.number_attr or a.type_list_attr) not in counts]
        if len(missing) == 1 and spare >= 0:
            counts[missing[0].number_attr or missing[0].type_list_attr] = spare
        expected = n_single + sum(counts.get(a.number_attr or a.type_list_attr, 0)
                                  for a in lists)
    else:
        expected = n_single
    if len(inputs) != expected or (lists and any(
            (a.number_attr or a.type_list_attr) not in counts for a in lists)):
        raise InvalidArgumentError(None, None, f"{source}: node '{node.name}' ({node.op}) has "
                                   f"{len(inputs)} inputs, expected {expected}")
    return group_by_args(opdef, inputs, counts) if lists else inputs
