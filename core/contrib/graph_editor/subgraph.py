"""``tf.contrib.graph_editor.subgraph`` (TF 1.15): SubGraphView, a view of part of a graph as
a function from input tensors to output tensors through a set of ops.

The view never changes the graph. Its inputs are the tensors its ops consume that are made
outside; its outputs the tensors its ops make that are consumed outside (or not at all);
"passthrough" tensors go from input to output touching no op of the view. Inputs and outputs
can be remapped (reordered, hidden, outputs repeated): the remapped view describes the same
ops with some inputs taken as given and some outputs ignored or duplicated.

Views go stale when the graph is edited under them; the editing functions that take views
update the views they were given in place."""

from __future__ import annotations

import io

from ...graph import Graph
from . import select, util

__all__ = ["SubGraphView", "make_view", "make_view_from_scope"]


def _check_within_range(mapping, n, repetition):
    """ValueError unless each index of ``mapping`` is in [0, n) and, without ``repetition``,
    none repeats."""
    for i in mapping:
        if not 0 <= i < n:
            raise ValueError(f"Out of [0, {n}[ range: {i}")
    if not repetition and len(set(mapping)) != len(mapping):
        raise ValueError(f"Found repetition in mapping: {mapping}")


class SubGraphView:
    """A view of ops of one graph, with its input, output and passthrough tensors."""

    def __init__(self, inside_ops=(), passthrough_ts=()):
        """``inside_ops``: what can be turned into a list of ops (these are the view's ops).
        ``passthrough_ts``: tensors going straight from the view's input to its output; those
        that touch the ops (their inputs, outputs or internal tensors) are ignored."""
        inside_ops = util.make_list_of_op(inside_ops)
        passthrough_ts = util.make_list_of_t(passthrough_ts)
        ops_and_ts = inside_ops + passthrough_ts
        if not ops_and_ts:
            self._graph = None
            self._ops, self._passthrough_ts, self._input_ts, self._output_ts = [], [], [], []
            return
        self._graph = util.get_unique_graph(ops_and_ts)
        self._ops = inside_ops
        inputs, outputs, insides = select.compute_boundary_ts(inside_ops)
        touching = frozenset(inputs + outputs + list(insides))
        self._passthrough_ts = [t for t in passthrough_ts if t not in touching]
        self._input_ts = inputs + self._passthrough_ts
        self._output_ts = outputs + self._passthrough_ts

    # -- copies (a view is used as an immutable value) -------------------------------------------
    def __copy__(self):
        res = SubGraphView.__new__(type(self))
        res._assign_from(self)
        return res

    def copy(self):
        """Another view of the same ops (the graph is not copied)."""
        return self.__copy__()

    def _assign_from(self, other):
        if not isinstance(other, SubGraphView):
            raise TypeError(f"Expected SubGraphView, got: {type(other).__name__}")
        self._graph = other._graph
        self._ops = list(other._ops)
        self._passthrough_ts = list(other._passthrough_ts)
        self._input_ts = list(other._input_ts)
        self._output_ts = list(other._output_ts)

    # -- remapping (in place on a copy) ----------------------------------------------------------
    def _remap_default(self, remove_input_map=True, remove_output_map=True):
        if not remove_input_map and not remove_output_map:
            return
        inputs, outputs, _ = select.compute_boundary_ts(self._ops)
        if remove_input_map:
            self._input_ts = list(inputs) + self._passthrough_ts
        if remove_output_map:
            self._output_ts = list(outputs) + self._passthrough_ts

    def remap_default(self, remove_input_map=True, remove_output_map=True):
        """A copy with its inputs and/or outputs back to the default (unremapped) ones."""
        res = self.copy()
        res._remap_default(remove_input_map, remove_output_map)
        return res

    def _remap_inputs(self, new_input_indices):
        new_input_indices = list(new_input_indices)
        _check_within_range(new_input_indices, len(self._input_ts), repetition=False)
        self._input_ts = [self._input_ts[i] for i in new_input_indices]

    def _remap_outputs(self, new_output_indices):
        new_output_indices = list(new_output_indices)
        _check_within_range(new_output_indices, len(self._output_ts), repetition=True)
        self._output_ts = [self._output_ts[i] for i in new_output_indices]

    def _remap_outputs_make_unique(self):
        self._output_ts = util.concatenate_unique([], self._output_ts)

    def _remap_outputs_to_consumers(self):
        self._remap_outputs_make_unique()
        self._output_ts = [t for t in self._output_ts for _ in t.consumers()]

    def remap_outputs_make_unique(self):
        """A copy whose outputs each appear once."""
        res = self.copy()
        res._remap_outputs_make_unique()
        return res

    def remap_outputs_to_consumers(self):
        """A copy whose outputs each appear once per consumer."""
        res = self.copy()
        res._remap_outputs_to_consumers()
        return res

    def _remove_unused_ops(self, control_inputs=True):
        used = set(select.get_walks_union_ops(self.connected_inputs, self.connected_outputs,
                                              within_ops=self._ops,
                                              control_inputs=control_inputs))
        self._ops = [op for op in self._ops if op in used]

    def remove_unused_ops(self, control_inputs=True):
        """A copy keeping only the ops connected to its inputs or outputs."""
        res = self.copy()
        res._remove_unused_ops(control_inputs)
        return res

    def remap_inputs(self, new_input_indices):
        """A copy whose inputs are ``[inputs[i] for i in new_input_indices]`` (no repeats;
        inputs left out are taken as given)."""
        res = self.copy()
        res._remap_inputs(new_input_indices)
        return res

    def remap_outputs(self, new_output_indices):
        """A copy whose outputs are ``[outputs[i] for i in new_output_indices]`` (repeats
        allowed)."""
        res = self.copy()
        res._remap_outputs(new_output_indices)
        return res

    def remap(self, new_input_indices=None, new_output_indices=None):
        """remap_inputs and remap_outputs at once (None leaves that side)."""
        res = self.copy()
        if new_input_indices is not None:
            res._remap_inputs(new_input_indices)
        if new_output_indices is not None:
            res._remap_outputs(new_output_indices)
        return res

    # -- inspection ------------------------------------------------------------------------------
    def find_op_by_name(self, op_name):
        res = [op for op in self._ops if op.name == op_name]
        if not res:
            raise ValueError(f"{op_name} not in subgraph.")
        if len(res) > 1:
            raise AssertionError(f"More than 1 op named: {op_name}!")
        return res[0]

    def __str__(self):
        if not self:
            return "SubGraphView: empty"
        out = io.StringIO()

        def section(title, items, name):
            if items:
                print(f"** {title}[{len(items)}]:", file=out)
                print("\n".join(name(x) for x in items), file=out)
            else:
                print(f"** {title}: empty", file=out)

        def tensor_name(t):
            return f"{t.name} *" if t in self._passthrough_ts else t.name

        print(f"SubGraphView (graphid={id(self._graph)}):", file=out)
        section("ops", self._ops, lambda op: op.name)
        section("inputs", self._input_ts, tensor_name)
        section("outputs", self._output_ts, tensor_name)
        return out.getvalue()

    def __repr__(self):
        return (f"<SubGraphView: {len(self._ops)} ops, {len(self._input_ts)} inputs, "
                f"{len(self._output_ts)} outputs>")

    @property
    def graph(self):
        """The graph of the view (None for an empty one)."""
        return self._graph

    @property
    def ops(self):
        return self._ops

    @property
    def inputs(self):
        return util.ListView(self._input_ts)

    @property
    def connected_inputs(self):
        """The inputs that are not passthrough tensors."""
        return [t for t in self._input_ts if t not in self._passthrough_ts]

    @property
    def outputs(self):
        return util.ListView(self._output_ts)

    @property
    def connected_outputs(self):
        """The outputs that are not passthrough tensors."""
        return [t for t in self._output_ts if t not in self._passthrough_ts]

    @property
    def passthroughs(self):
        return util.ListView(self._passthrough_ts)

    def __bool__(self):
        return self._graph is not None

    def op(self, op_id):
        return self._ops[op_id]

    def is_passthrough(self, t):
        return t in self._passthrough_ts

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        pass

    def input_index(self, t):
        """The position of ``t`` in the inputs (ValueError if it is not one)."""
        try:
            return self._input_ts.index(t)
        except ValueError:
            raise ValueError(f"Can't find {t.name} in the inputs of the subgraph view "
                             f"({[x.name for x in self._input_ts]}).") from None

    def output_index(self, t):
        """The position of ``t`` in the outputs (ValueError if it is not one)."""
        try:
            return self._output_ts.index(t)
        except ValueError:
            raise ValueError(f"Can't find {t.name} in the outputs of the subgraph view "
                             f"({[x.name for x in self._output_ts]}).") from None

    def consumers(self):
        """The ops consuming the outputs, each once."""
        res: list = []
        for t in self._output_ts:
            util.concatenate_unique(res, t.consumers())
        return res


def _check_graph(sgv, graph):
    if not isinstance(sgv, SubGraphView):
        raise TypeError(f"Expected a SubGraphView, got: {type(sgv).__name__}")
    if graph is None or not sgv.graph:
        return sgv
    if not isinstance(graph, Graph):
        raise TypeError(f"Expected a tf.Graph, got: {type(graph).__name__}")
    if sgv.graph is not graph:
        raise ValueError("Graph mismatch: the subgraph view is not of the graph given as "
                         "graph=.")
    return sgv


def make_view(*args, **kwargs):
    """A SubGraphView from a view, or from ops, tensors (passthrough candidates) and regexes
    (with ``graph=``; "(?#ts)" regexes select tensors), as select_ops_and_ts takes them."""
    graph = kwargs.get("graph")
    if len(args) == 1 and isinstance(args[0], SubGraphView):
        return _check_graph(args[0], graph)
    ops, ts = select.select_ops_and_ts(*args, **kwargs)
    return _check_graph(SubGraphView(ops, ts), graph)


def make_view_from_scope(scope, graph):
    """A SubGraphView of the ops in name scope ``scope`` of ``graph``."""
    return SubGraphView(select.get_name_scope_ops(graph, scope))
