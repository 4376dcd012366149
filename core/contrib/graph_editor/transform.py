"""``tf.contrib.graph_editor.transform`` (TF 1.15): copying a subgraph (into the same or
another graph, under a new name scope), with hooks ("handlers") deciding how each op is
transformed and what its inputs from outside become; and graph_replace, which recomputes
target tensors from replacement tensors.

The copy adds each op anew through its OpDef (attrs as the original's, shapes inferred again
from the new inputs, so a replacement of another batch size gives tensors of that size),
keeping its device, colocation and gradient override. Ops are copied producers first; only
a cycle within the subgraph (made by rerouting) needs a temporary placeholder, rewired once
its producer is copied. Control inputs are connected last. tf.while_loop ops cannot be copied
here (their loop bookkeeping is not copied): the transformer refuses them."""

from __future__ import annotations

import functools
import heapq
import io

from ...apply_op import apply_op
from ...create_op import _attr_value
from ...errors import UnimplementedError
from ...graph import Graph, Operation, Tensor, convert_to_tensor
from ...opdef import lookup
from ...tensor import group_by_args
from . import reroute, select, subgraph, util

__all__ = ["replace_t_with_placeholder_handler", "keep_t_if_possible_handler",
           "assign_renamed_collections_handler", "transform_op_if_inside_handler",
           "copy_op_handler", "Transformer", "TransformerInfo", "copy",
           "copy_with_input_replacements", "graph_replace"]

_LOOP_OP_TYPES = frozenset({"Enter", "RefEnter", "Exit", "RefExit", "NextIteration",
                            "RefNextIteration", "LoopCond"})


def replace_t_with_placeholder_handler(info, t):
    """An outside tensor becomes a new placeholder of its dtype and shape in the destination
    graph and scope."""
    with info.graph_.as_default():
        return util.make_placeholder_from_tensor(t, scope=info.scope_)


def keep_t_if_possible_handler(info, t):
    """An outside tensor stays itself when copying within one graph, else a placeholder."""
    if info.graph is info.graph_:
        return t
    return replace_t_with_placeholder_handler(info, t)


def assign_renamed_collections_handler(info, elem, elem_):
    """The copy ``elem_`` joins the collections ``elem`` is in: the standard ones (GraphKeys)
    by their name, the others renamed from the source scope to the destination scope."""
    known = info._predefined_collections()
    for name in info._collections_of(elem):
        info.graph_.add_to_collection(name if name in known else info.new_name(name), elem_)


def transform_op_if_inside_handler(info, op, keep_if_possible=True):
    """An op of the subgraph becomes its copy; one outside stays itself when copying within
    one graph (and ``keep_if_possible``), else is dropped (None)."""
    if op in info.ops:
        return info.transformed_ops[op]
    if keep_if_possible and info.graph is info.graph_:
        return op
    return None


def _check_input_dtypes(op, new_inputs):
    if len(new_inputs) != len(op.inputs):
        raise ValueError(f"Copying {op.name}: it has {len(op.inputs)} inputs, "
                         f"{len(new_inputs)} given")
    for i, (t, t_) in enumerate(zip(op.inputs, new_inputs)):
        if not isinstance(t_, Tensor):
            raise TypeError(f"Copying {op.name}: input {i} must be a tf.Tensor, got "
                            f"{type(t_).__name__} (in place of {t.name})")
        if t_.dtype.base_dtype != t.dtype.base_dtype:
            raise TypeError(f"Copying {op.name}: input {i} was {t.name} of type "
                            f"{t.dtype.base_dtype.name}, its replacement {t_.name} is "
                            f"{t_.dtype.base_dtype.name}")


def copy_op_handler(info, op, new_inputs, copy_shape=False, nodedef_fn=None):
    """Copies ``op`` into the destination graph, reading ``new_inputs``; named from the
    source to the destination scope (made unique). ``copy_shape``: the outputs also take the
    original's static shapes. ``nodedef_fn(node_def) -> node_def`` may edit the NodeDef
    (name, device, attrs) the copy is made from. Returns ``(op_, op_.outputs)``."""
    if isinstance(new_inputs, bool):
        raise TypeError("the `new_inputs` argument must be an iterable.")
    new_inputs = list(new_inputs)
    _check_input_dtypes(op, new_inputs)
    graph_ = info.graph_
    name_ = graph_.unique_name(info.new_name(op.name))
    opdef, attrs, device, marks = op._opdef, dict(op._attrs), op._device, None
    if nodedef_fn is not None:
        node_def = op.node_def
        node_def.name = name_
        node_def = nodedef_fn(node_def)
        name_, device = node_def.name, node_def.device
        opdef = lookup(node_def.op)
        if opdef is None:
            raise ValueError(f"nodedef_fn gave op type {node_def.op!r}, which is not "
                             "registered")
        attrs, marks = {}, {}
        for key, av in node_def.attr.items():
            if key in opdef.attrs or key in opdef.derived_attrs:
                attrs[key] = _attr_value(opdef, key, av, node_def.op)
            else:
                marks[key] = av
    args = group_by_args(opdef, new_inputs, attrs)
    # As TF's copy makes the Operation directly: no control dependencies, tf.cond branch or
    # loop of the calling context apply to it (its control inputs are connected later).
    with graph_.control_dependencies(None):
        op_ = apply_op(opdef, args, attrs, name_, graph=graph_, exact_name=True,
                       strict_attrs=False)
    if marks is None:
        op_._device = device
        op_._colocation = op._colocation
        if op._marks:
            op_._marks = dict(op._marks)
        override = op.graph._gradient_overrides.get(op)
        if override is not None:
            graph_._gradient_overrides[op_] = override
    else:
        op_._set_device(device)
        for key, av in marks.items():
            op_._set_attr(key, av)
    if copy_shape:
        for t, t_ in zip(op.outputs, op_.outputs):
            t_.set_shape(t.get_shape())
    return op_, op_.outputs


class _TmpInfo:
    """What the handlers see during one transformation (TF's ``Transformer._TmpInfo``)."""

    def __init__(self, sgv, dst_graph, dst_scope, src_scope, transformer=None):
        self.transformer = transformer
        self.sgv = sgv
        self.sgv_inputs_set = frozenset(sgv.inputs)
        self.ops = frozenset(sgv.ops)
        self.graph = sgv.graph
        self.scope = src_scope
        self.graph_ = dst_graph
        self.scope_ = dst_scope
        self.transformed_ops: dict = {}
        self.transformed_ts: dict = {}
        graph = self.graph if self.graph is not None else dst_graph
        self.collections = {k: graph.get_collection(k) for k in graph.get_all_collection_keys()}
        self.cyclic_ops: list = []
        self.transform_original_op_handler = transform_op_if_inside_handler
        # (original tensor, temporary placeholder, consumer): inputs made by an op copied later
        self.tmp_cyclic_ts: list = []
        self._control_outputs = None
        self._collection_index = None
        self._predefined = None

    @property
    def control_outputs(self):
        if self._control_outputs is None:
            self._control_outputs = util.ControlOutputs(self.graph)
        return self._control_outputs

    def new_name(self, name):
        """``name`` moved from the source scope to the destination scope."""
        if not name.startswith(self.scope):
            raise ValueError(f"{name} does not belong to source scope: {self.scope}.")
        return self.scope_ + name[len(self.scope):]

    def _collections_of(self, elem) -> list:
        if self._collection_index is None:  # element id -> names, built once per transform
            index: dict = {}
            for name, items in self.collections.items():
                for x in items:
                    names = index.setdefault(id(x), [])
                    if name not in names:
                        names.append(name)
            self._collection_index = index
        return self._collection_index.get(id(elem), [])

    def _predefined_collections(self) -> frozenset:
        if self._predefined is None:
            self._predefined = frozenset(util.get_predefined_collection_names())
        return self._predefined


class TransformerInfo:
    """The result of a transform: which op/tensor each original became."""

    def __init__(self, info):
        self._graph = info.graph
        self._scope = info.scope
        self._graph_ = info.graph_
        self._scope_ = info.scope_
        self._transformed_ops = info.transformed_ops
        self._transformed_ts = info.transformed_ts

    def _get_transformed_map(self, top):
        if isinstance(top, Operation) or (isinstance(top, str) and ":" not in top):
            return self._transformed_ops
        if isinstance(top, (Tensor, str)):
            return self._transformed_ts
        raise TypeError(f"Expected a tf.Tensor or a tf.Operation, got a {type(top).__name__}")

    def _transformed_elem(self, original_top, missing_fn=None):
        mapping = self._get_transformed_map(original_top)
        if isinstance(original_top, str):
            found = [v for k, v in mapping.items() if k.name == original_top]
        else:
            found = [mapping[original_top]] if original_top in mapping else []
        if found:
            return found[0]
        return None if missing_fn is None else missing_fn(original_top)

    def _original_elem(self, transformed_top, missing_fn=None):
        mapping = self._get_transformed_map(transformed_top)
        for original, transformed in mapping.items():
            if (transformed.name == transformed_top if isinstance(transformed_top, str)
                    else transformed is transformed_top):
                return original
        return None if missing_fn is None else missing_fn(transformed_top)

    def transformed(self, original, missing_fn=None):
        """What ``original`` (an op, a tensor, their names, or a nest of them) became; None
        (or ``missing_fn(original)``) where it was not transformed."""
        return util.transform_tree(
            original, functools.partial(self._transformed_elem, missing_fn=missing_fn))

    def original(self, transformed, missing_fn=None):
        """The original of ``transformed`` (an op, a tensor, their names, or a nest)."""
        return util.transform_tree(
            transformed, functools.partial(self._original_elem, missing_fn=missing_fn))

    def __str__(self):
        out = io.StringIO()
        print("Transform result info:", file=out)
        if self._graph is self._graph_:
            in_place = "" if self._scope_ else " IN-PLACE"
            print(f"  Within graph[{id(self._graph)}]{in_place}", file=out)
        else:
            print(f"  graph[{id(self._graph)}] => graph[{id(self._graph_)}]", file=out)
        if self._scope:
            print(f"  Relative to source scope: {self._scope}", file=out)
        if self._scope_:
            print(f"  Scope destination: {self._scope_}", file=out)
        print("Operations mapping:", file=out)
        for op, op_ in self._transformed_ops.items():
            print(f"  {op.name} => {op_.name}", file=out)
        return out.getvalue()


def _copy_order(ops) -> list:
    """``ops`` producers first (by their data edges within ``ops``), otherwise in the order
    they were made; ops on a cycle come last, in the order they were made."""
    ops_set = set(ops)
    waiting = {op: len({t.op for t in op.inputs if t.op in ops_set and t.op is not op})
               for op in ops}
    heap = [(op._id, op) for op, n in waiting.items() if n == 0]
    heapq.heapify(heap)
    order, done = [], set()
    while heap:
        _, op = heapq.heappop(heap)
        order.append(op)
        done.add(op)
        for c in {c for t in op.outputs for c in t.consumers() if c in ops_set}:
            if c in done or c is op:
                continue
            waiting[c] -= 1
            if waiting[c] == 0:
                heapq.heappush(heap, (c._id, c))
    return order + sorted((op for op in ops if op not in done), key=lambda o: o._id)


class Transformer:
    """Transforms a subgraph into another (by default: copies it, its inputs becoming
    placeholders). Set the handler attributes to change how:

    - ``transform_op_handler(info, op, new_inputs) -> (op_, outputs_)``: copy_op_handler;
    - ``transform_control_input_handler(info, op) -> op_ or None``;
    - ``assign_collections_handler(info, elem, elem_)``;
    - ``transform_external_input_handler(info, t) -> t_``: for the subgraph's inputs;
    - ``transform_external_hidden_input_handler(info, t) -> t_``: for tensors its ops read
      that are not among its (remapped) inputs;
    - ``transform_original_op_handler``: kept for TF's API (minitf ops have no original op).
    """

    def __init__(self):
        self.transform_op_handler = copy_op_handler
        self.transform_control_input_handler = transform_op_if_inside_handler
        self.assign_collections_handler = assign_renamed_collections_handler
        self.transform_external_input_handler = replace_t_with_placeholder_handler
        self.transform_external_hidden_input_handler = keep_t_if_possible_handler
        self.transform_original_op_handler = transform_op_if_inside_handler

    def __call__(self, sgv, dst_graph, dst_scope, src_scope="", reuse_dst_scope=False):
        """Transforms ``sgv`` (anything make_view takes) into ``dst_graph`` under
        ``dst_scope`` (made unique unless ``reuse_dst_scope``); names are taken relative to
        ``src_scope``. Returns ``(sgv_, info)``: the view of the result and a TransformerInfo
        mapping originals to results."""
        sgv = subgraph.make_view(sgv)
        if not isinstance(dst_graph, Graph):
            raise TypeError(f"Expected a tf.Graph, got: {type(dst_graph).__name__}")
        for op in sgv.ops:
            if op.type in _LOOP_OP_TYPES or op in op.graph._loop_ops:
                raise UnimplementedError(
                    None, op, f"graph_editor cannot transform ops of a tf.while_loop "
                    f"({op.name}, type {op.type}): minitf does not copy a loop's frame")
        src_scope = util.scope_finalize(src_scope)
        dst_scope = util.scope_finalize(dst_scope)
        if dst_scope and not reuse_dst_scope:
            dst_scope = util.scope_finalize(dst_graph.unique_name(dst_scope[:-1]))
        info = _TmpInfo(sgv, dst_graph, dst_scope, src_scope, transformer=self)
        self._copy_ops(info)
        self._finalize_cycles(info)
        self._connect_control_inputs(info)
        return self._transform_sgv(info, sgv), TransformerInfo(info)

    def _copy_ops(self, info):
        for op in _copy_order(info.sgv.ops):
            new_inputs = [self._transformed_t(info, t, op) for t in op.inputs]
            op_, outputs_ = self.transform_op_handler(info, op, new_inputs)
            if op is op_:
                raise ValueError("In-place transformation not allowed.")
            info.transformed_ops[op] = op_
            self.assign_collections_handler(info, op, op_)
            for t, t_ in zip(op.outputs, outputs_):
                info.transformed_ts[t] = t_
                self.assign_collections_handler(info, t, t_)

    def _finalize_cycles(self, info):
        """Points the inputs that read temporary placeholders at the copies they stood for."""
        for t, tmp_t_, consumer in info.tmp_cyclic_ts:
            if t not in info.transformed_ts:
                raise ValueError(f"The tensor {t.name} should be transformed by now.")
            if consumer not in info.transformed_ops:
                raise ValueError(f"The op {consumer.name} should be transformed by now.")
            t_, consumer_ = info.transformed_ts[t], info.transformed_ops[consumer]
            updates = {(consumer_, i): t_ for i, x in enumerate(consumer_.inputs)
                       if x is tmp_t_}
            reroute._apply_updates(updates)

    def _connect_control_inputs(self, info):
        for op, op_ in info.transformed_ops.items():
            cis = [self.transform_control_input_handler(info, ci) for ci in op.control_inputs]
            cis = [ci for ci in dict.fromkeys(cis) if ci is not None and
                   ci not in op_.control_inputs]
            if cis:
                reroute.add_control_inputs(op_, cis)

    def _transform_sgv(self, info, sgv):
        """The view of the copies, its inputs and outputs in the order of ``sgv``'s."""
        sgv_ = subgraph.SubGraphView(list(info.transformed_ops.values()))
        inputs_, outputs_ = list(sgv_.inputs), list(sgv_.outputs)
        input_map = [sgv_.input_index(info.transformed_ts[t]) for t in sgv.inputs
                     if t in info.transformed_ts and info.transformed_ts[t] in inputs_]
        output_map = [sgv_.output_index(info.transformed_ts[t]) for t in sgv.outputs
                      if t in info.transformed_ts and info.transformed_ts[t] in outputs_]
        return sgv_.remap(list(dict.fromkeys(input_map)), output_map)

    def _transformed_t(self, info, t, consumer_op):
        """What input ``t`` of ``consumer_op`` becomes in the copy."""
        if t in info.transformed_ts:
            return info.transformed_ts[t]
        if t in info.sgv_inputs_set:
            t_ = self.transform_external_input_handler(info, t)
        elif t.op in info.ops:  # made by an op on a cycle, not copied yet
            with info.graph_.as_default():
                tmp_t_ = util.make_placeholder_from_tensor(t, scope=info.scope_,
                                                           prefix="geph_tmp")
            info.tmp_cyclic_ts.append((t, tmp_t_, consumer_op))
            return tmp_t_
        else:
            t_ = self.transform_external_hidden_input_handler(info, t)
        info.transformed_ts[t] = t_  # one placeholder per outside tensor, however many read it
        return t_


def copy(sgv, dst_graph=None, dst_scope="", src_scope="", reuse_dst_scope=False):
    """Copies a subgraph (anything make_view takes) into ``dst_graph`` (default: its own),
    its inputs becoming placeholders. Returns ``(sgv_, info)``."""
    sgv = subgraph.make_view(sgv)
    if dst_graph is None:
        dst_graph = sgv.graph
    if not isinstance(dst_graph, Graph):
        raise TypeError(f"Expected a tf.Graph, got: {type(dst_graph).__name__}")
    return Transformer()(sgv, dst_graph, dst_scope, src_scope, reuse_dst_scope=reuse_dst_scope)


def _tensor_key(key):
    """A replacement key as a tensor: a Variable stands for its value (``v.value()``)."""
    if isinstance(key, Tensor):
        return key
    if hasattr(key, "_as_graph_element") or hasattr(key, "_as_tensor"):
        return convert_to_tensor(key)
    raise TypeError(f"replacement_ts keys must be tf.Tensor, got {type(key).__name__}: {key!r}")


def _replacements(replacement_ts, graph_) -> dict:
    if not isinstance(replacement_ts, dict):
        raise TypeError("replacement_ts must be a dict mapping original tensors to their "
                        f"replacements, got {type(replacement_ts).__name__}")
    out = {}
    for key, value in replacement_ts.items():
        key = _tensor_key(key)
        if not isinstance(value, Tensor):
            with graph_.as_default():
                value = convert_to_tensor(value, dtype=key.dtype.base_dtype)
        if value.graph is not graph_:
            raise ValueError(f"The replacement of {key.name}, {value.name}, is not in the "
                             "destination graph.")
        out[key] = value
    return out


def copy_with_input_replacements(sgv, replacement_ts, dst_graph=None, dst_scope="",
                                 src_scope="", reuse_dst_scope=False):
    """Copies a subgraph whose inputs in ``replacement_ts`` (original -> replacement) read
    their replacements; other inputs and outside tensors are kept (within one graph).
    Returns ``(sgv_, info)``."""
    sgv = subgraph.make_view(sgv)
    if dst_graph is None:
        dst_graph = sgv.graph
    if not isinstance(dst_graph, Graph):
        raise TypeError(f"Expected a tf.Graph, got: {type(dst_graph).__name__}")
    replacements = _replacements(replacement_ts, dst_graph)

    def replace_t_with_replacement_handler(info, t):
        if t in replacements:
            return replacements[t]
        return keep_t_if_possible_handler(info, t)

    copier = Transformer()
    copier.transform_external_input_handler = replace_t_with_replacement_handler
    return copier(sgv, dst_graph, dst_scope, src_scope, reuse_dst_scope=reuse_dst_scope)


def graph_replace(target_ts, replacement_ts, dst_scope="", src_scope="",
                  reuse_dst_scope=False):
    """New tensors computing ``target_ts`` (a tensor or a nest of them) with the tensors
    ``replacement_ts`` maps replaced: the ops between the replaced tensors and the targets
    (along data and control edges) are copied. Targets not downstream of a replacement are
    returned as they are. ValueError if no target depends on a replaced tensor."""
    flat_targets = util.flatten_tree(target_ts)
    graph = util.get_unique_graph(flat_targets, check_types=Tensor)
    if not isinstance(replacement_ts, dict):
        raise TypeError("replacement_ts must be a dict mapping original tensors to their "
                        f"replacements, got {type(replacement_ts).__name__}")
    keys = [_tensor_key(k) for k in replacement_ts]
    for k in keys:
        if k.graph is not graph:
            raise ValueError(f"Tensor {k.name} to replace is not in the graph of the targets "
                             f"({flat_targets[0].name}).")
    control_ios = util.ControlOutputs(graph)
    ops = select.get_walks_intersection_ops(keys, flat_targets, control_ios=control_ios)
    if not ops:
        raise ValueError("Targets and replacements are not connected! No target "
                         f"({[t.name for t in flat_targets]}) depends on a replaced tensor "
                         f"({[k.name for k in keys]}).")
    _, info = copy_with_input_replacements(ops, replacement_ts, None, dst_scope, src_scope,
                                           reuse_dst_scope)
    return info.transformed(target_ts, missing_fn=lambda original_t: original_t)
