"""The profiler's "scope" and "op" views (TensorFlow's TFScope / TFOp), with their report text.

Scope view: every graph node sits in a tree by its name (``a/b/c`` is a child of ``a/b``;
missing scopes get a parent node of their own) under ``_TFProfRoot``. A node is *accounted*
when one of its op types matches ``account_type_regexes``; accounting keeps accounted nodes and
the ancestors of accounted nodes and sums their totals bottom-up. Display then walks the tree:
a node is shown if it passes the ``min_*`` thresholds (on its own parameters and float ops),
``max_depth`` and the show/hide regexes; a hidden node's shown descendants move up to its
nearest shown ancestor, children are sorted by ``order_by`` (stably, from name order), and with
``account_displayed_op_only`` the totals are recomputed from what is displayed.

Op view: one node per op type; types are sorted by ``order_by`` and each type's totals include
every type after it (the report's first percentage is that cumulative share, the second the
type's own). The returned MultiGraphNodeProto chains the shown types as nested children.

Both views fill the protos' fields as TensorFlow does: stats are copied, so the messages are
equal field for field to the ones ``tensorflow.compat.v1.profiler`` returns for the same graph.
"""

from __future__ import annotations

import importlib

from .profiler_model import (
    ROOT, SCOPE_PARENT, SORT_FIELDS, GraphNode, format_memory, format_number, format_time,
    full_match,
)

__all__ = ["scope_view", "op_view"]


def _pb():
    return importlib.import_module("minitf.protos.tfprof_output_pb2")


def _shape_proto(vec, out):
    if not vec:
        out.unknown_rank = True
    for d in vec:
        out.dim.add().size = d


# Per-node run-time statistics (GraphNodeProto fields, GraphNode.stat names).
_RUN_STATS = ("run_count", "exec_micros", "accelerator_exec_micros", "cpu_exec_micros",
              "requested_bytes", "peak_bytes", "residual_bytes", "output_bytes")
_TOTALS = ("total_requested_bytes", "total_peak_bytes", "total_residual_bytes",
           "total_output_bytes", "total_exec_micros", "total_accelerator_exec_micros",
           "total_cpu_exec_micros", "total_parameters", "total_float_ops")


class ShowNode:
    """A graph node with the proto it is displayed as (ScopeNode)."""

    def __init__(self, node: GraphNode):
        self.node = node
        self.account = False
        self.formatted = ""
        self.children: list = []
        self.show_children: list = []
        self.proto = _pb().GraphNodeProto()
        self.reinit()

    name = property(lambda self: self.node.name)

    def reinit(self, step: int = -1):
        p, n = self.proto, self.node
        p.name = n.name
        p.ClearField("devices")
        if n.canonical_device:
            p.devices.append(n.canonical_device)
        for field in _RUN_STATS:
            setattr(p, field, n.stat(field, step))
        p.float_ops = n.run_float_ops(step)
        p.ClearField("input_shapes")
        for idx, vec in n.input_shapes().items():
            _shape_proto(vec, p.input_shapes[idx])
        p.parameters = n.parameters

    def reset_totals(self):
        self.formatted = ""
        p = self.proto
        p.total_definition_count = p.total_run_count = 0
        for field in _TOTALS:
            setattr(p, field, 0)
        p.ClearField("children")

    def add_self(self):
        p = self.proto
        p.total_definition_count += 1
        p.total_run_count += p.run_count
        for field in _RUN_STATS[1:]:
            setattr(p, "total_" + field, getattr(p, "total_" + field) + getattr(p, field))
        p.total_parameters += p.parameters
        p.total_float_ops += p.float_ops

    def aggregate(self, other):
        p, o = self.proto, other.proto
        p.total_definition_count += o.total_definition_count
        p.total_run_count += o.total_run_count
        for field in _TOTALS:
            setattr(p, field, getattr(p, field) + getattr(o, field))


def _reaccount(node_types, opts) -> bool:
    regexes = opts.account_type_regexes
    if regexes == [".*"]:
        return True
    return any(full_match(r, t) for r in regexes for t in sorted(node_types))


def _sort(nodes, opts, multi=False):
    if not opts.order_by or not nodes:
        return list(nodes)
    if multi and opts.order_by == "occurrence":  # the op view: by number of graph nodes
        return sorted(nodes, key=lambda n: (n.name != ROOT, -len({g.name for g in n.picked})))
    field = SORT_FIELDS.get(opts.order_by)
    if field is None:
        return sorted(nodes, key=lambda n: (n.name != ROOT, n.name))
    return sorted(nodes, key=lambda n: (n.name != ROOT, -getattr(n.proto, field)))


def _thresholds_pass(p, opts, own: bool) -> bool:
    """The min_* filters; the scope view compares a node's own params/flops, the op view its
    totals (tfprof's ShouldShow of TFShow / TFMultiShow)."""
    params = p.parameters if own else p.total_parameters
    flops = p.float_ops if own else p.total_float_ops
    return not (p.total_requested_bytes < opts.min_bytes
                or p.total_peak_bytes < opts.min_peak_bytes
                or p.total_residual_bytes < opts.min_residual_bytes
                or p.total_output_bytes < opts.min_output_bytes
                or p.total_exec_micros < opts.min_micros
                or p.total_accelerator_exec_micros < opts.min_accelerator_micros
                or p.total_cpu_exec_micros < opts.min_cpu_micros
                or params < opts.min_params or flops < opts.min_float_ops
                or (own and p.run_count < opts.min_occurrence))


def _should_show(node, opts, depth, own) -> bool:
    if node.name == ROOT:
        return True
    if not _thresholds_pass(node.proto, opts, own) or depth > opts.max_depth:
        return False
    if opts.show_name_regexes != [".*"] and \
            not any(full_match(r, node.name) for r in opts.show_name_regexes):
        return False
    return not any(full_match(r, node.name) for r in opts.hide_name_regexes)


def _trimmed(node, opts) -> bool:
    return any(full_match(r, node.name) for r in opts.trim_name_regexes)


# -- scope view -----------------------------------------------------------------------------


def scope_view(nodes: dict, opts):
    """(GraphNodeProto, report text) of the scope view of ``nodes`` (name -> GraphNode)."""
    show = {name: ShowNode(n) for name, n in nodes.items()}
    for name in list(nodes):
        while "/" in name:
            name = name.rpartition("/")[0]
            if name not in show:
                show[name] = ShowNode(GraphNode(name, SCOPE_PARENT, -1, nodes))
    roots = []
    for name in sorted(show):
        prefix, slash, _ = name.rpartition("/")
        (show[prefix].children if slash else roots).append(show[name])
    root = ShowNode(GraphNode(ROOT, SCOPE_PARENT, -1, nodes))
    root.children = roots

    root.reset_totals()
    accounted = _account(root.children, opts)
    for n in accounted:
        root.aggregate(n)
    if opts.start_name_regexes != [".*"]:
        accounted = _search_root(accounted, opts.start_name_regexes)
    root.show_children = accounted
    shown = _print_scope([root], opts, 1, 0)[0]
    shown.formatted = _legend(opts) + shown.formatted
    text = [shown.formatted]
    _format(shown.show_children, text, shown.proto)
    return shown.proto, "".join(text)


def _account(nodes, opts):
    kept = []
    for node in nodes:
        node.reset_totals()
        children = _account(node.children, opts)
        node.reinit(opts.step)
        node.account = _reaccount(node.node.op_types, opts)
        if node.account or children:
            node.show_children = []
            node.reset_totals()
            node.add_self()
            for c in children:
                node.aggregate(c)
                node.show_children.append(c)
            kept.append(node)
    return kept


def _search_root(roots, regexes):
    found = []
    for node in roots:
        if any(full_match(r, node.name) for r in regexes):
            found.append(node)
        else:
            found.extend(_search_root(node.show_children, regexes))
    return found


def _print_scope(nodes, opts, depth, last_indent):
    shown = []
    for node in nodes:
        indent = last_indent
        visible = _should_show(node, opts, depth, own=True)
        if visible:
            indent += 2
        children = []
        if not _trimmed(node, opts) and depth <= opts.max_depth:
            children = _print_scope(node.show_children, opts, depth + 1, indent)
        if visible:
            node.show_children = []
            if opts.account_displayed_op_only:
                node.reset_totals()
                node.add_self()
            for c in _sort(children, opts):
                node.show_children.append(c)
                if opts.account_displayed_op_only:
                    node.aggregate(c)
            node.formatted = " " * last_indent + _format_node(node, opts) + "\n"
            shown.append(node)
        else:
            shown.extend(children)
    return shown


def _format(nodes, text, proto):
    for node in nodes:
        text.append(node.formatted)
        child = proto.children.add()
        child.MergeFrom(node.proto)
        _format(node.show_children, text, child)


def _ratio(node, own, total, fmt=format_number):
    return (fmt(own) if node.account else "--") + "/" + fmt(total)


def _format_node(node, opts) -> str:
    p, info = node.proto, []
    if opts.selects("params"):
        shape = "x".join(str(d) for d in node.node.shape)
        if shape:
            info.append(shape)
        info.append(_ratio(node, p.parameters, p.total_parameters) + " params")
    if opts.selects("float_ops"):
        info.append(_ratio(node, p.float_ops, p.total_float_ops) + " flops")
    for key in ("bytes", "peak_bytes", "residual_bytes", "output_bytes"):
        if opts.selects(key):
            own = "requested_bytes" if key == "bytes" else key
            info.append(_ratio(node, getattr(p, own), getattr(p, "total_" + own),
                               format_memory))
    times = ("exec_micros", "accelerator_exec_micros", "cpu_exec_micros") \
        if opts.selects("micros") else \
        (("accelerator_exec_micros",) if opts.selects("accelerator_micros") else ()) + \
        (("cpu_exec_micros",) if opts.selects("cpu_micros") else ())
    for own in times:
        info.append(_ratio(node, getattr(p, own), getattr(p, "total_" + own), format_time))
    if opts.selects("device") and p.devices:
        info.append("|".join(p.devices))
    if opts.selects("op_types"):
        info.append("|".join(sorted(node.node.op_types)))
    if opts.selects("occurrence"):
        run = _ratio(node, p.run_count, p.total_run_count)
        definition = ("1" if node.account else "--") + "/" + \
            format_number(p.total_definition_count)
        info.append(run + "|" + definition)
    if opts.selects("input_shapes"):
        info.append("|".join(f"{i}:{'x'.join(map(str, s)) if s else 'unknown'}"
                             for i, s in node.node.input_shapes().items()))
    return f"{node.name} ({', '.join(info)})"


_LEGEND = (("params", "# parameters"), ("float_ops", "# float_ops"), ("device",
           "assigned devices"), ("op_types", "op types"), ("occurrence",
           "op count (run|defined)"), ("input_shapes", "input shapes"))
_MULTI_LEGEND = (("params", "# parameters"), ("float_ops", "# float_ops"),
                 ("device", "assigned devices"), ("op_types", "op types"),
                 ("occurrence", "op occurrence (run|defined)"), ("input_shapes", "input shapes"))


_RUN_LEGEND = (("bytes", "requested bytes"), ("peak_bytes", "peak bytes"),
               ("residual_bytes", "residual bytes"), ("output_bytes", "output bytes"))
_TIME_LEGEND = ("total execution time", "accelerator execution time", "cpu execution time")


def _legend(opts, legend=_LEGEND) -> str:
    texts = [text for key, text in legend[:2] if opts.selects(key)]
    if legend is _LEGEND:  # the scope view's run-time columns, after params and float ops
        texts += [text for key, text in _RUN_LEGEND if opts.selects(key)]
        if opts.selects("micros"):
            texts += _TIME_LEGEND
        else:
            texts += [text for key, text in (("accelerator_micros", _TIME_LEGEND[1]),
                                             ("cpu_micros", _TIME_LEGEND[2]))
                      if opts.selects(key)]
    texts += [text for key, text in legend[2:] if opts.selects(key)]
    return "node name | " + " | ".join(texts) + "\n"


# -- op view --------------------------------------------------------------------------------


class _OpNode:
    """All graph nodes of one op type (TFMultiGraphNode + ShowMultiNode)."""

    def __init__(self, name, members):
        self.name, self.members = name, members  # members: sorted [GraphNode]
        self.account = False
        self.picked: list = []
        self.proto = _pb().MultiGraphNodeProto()

    def reinit(self, regexes) -> bool:
        if not regexes:
            picked = []
        elif regexes == [".*"]:
            picked = list(self.members)
        else:
            picked = [n for r in regexes for n in self.members
                      if any(full_match(r, t) for t in sorted(n.op_types))]
        p = self.proto
        p.Clear()
        p.name = self.name
        snapshot = {n.name: n for n in picked}
        for name in sorted(snapshot):
            s = ShowNode(snapshot[name])
            s.add_self()
            p.graph_nodes.add().MergeFrom(s.proto)
        p.float_ops = sum(n.float_ops for n in picked)
        p.parameters = sum(n.parameters for n in picked)
        self.picked = picked
        return bool(picked) or regexes == [".*"]

    def reset_totals(self):
        for field in _TOTALS:
            setattr(self.proto, field, 0)
        self.proto.ClearField("children")

    def add_self(self):
        self.proto.total_parameters += self.proto.parameters
        self.proto.total_float_ops += self.proto.float_ops

    def aggregate(self, other):
        for field in _TOTALS:
            setattr(self.proto, field, getattr(self.proto, field) + getattr(other.proto, field))


def op_view(nodes: dict, opts):
    """(MultiGraphNodeProto, report text) of the op view of ``nodes``."""
    by_type: dict = {}
    for node in nodes.values():
        by_type.setdefault(node.op, []).append(node)
    root = _OpNode(ROOT, [])
    root.proto.name = ROOT
    if not by_type:
        return root.proto, _format_op(root, root, opts)
    ops = [_OpNode(t, by_type[t]) for t in sorted(by_type)]
    for n in ops:
        n.account = n.reinit(opts.account_type_regexes)
        n.reset_totals()
        n.add_self()
    ops = _sort(ops, opts, multi=True)
    accounted, pre = [], None
    for n in reversed(ops):
        if n.account:
            if pre is not None:
                n.aggregate(pre)
            accounted.append(n)
            pre = n
    accounted.reverse()
    if pre is not None:
        root.aggregate(pre)

    start = 0
    if opts.start_name_regexes and opts.start_name_regexes != [".*"]:
        start = next((i for i, n in enumerate(accounted)
                      if any(full_match(r, n.name) for r in opts.start_name_regexes)),
                     len(accounted))
    shown = []
    for depth, n in enumerate(accounted[start:]):
        if _trimmed(n, opts) or depth > opts.max_depth:
            break
        if _should_show(n, opts, depth, own=False):
            shown.append(n)
    pre = None
    for n in reversed(shown):
        if opts.account_displayed_op_only:
            n.reset_totals()
            n.add_self()
            if pre is not None:
                n.aggregate(pre)
        pre = n
    if opts.account_displayed_op_only:
        root.reset_totals()
        if pre is not None:
            root.aggregate(pre)
    text = _legend(opts, _MULTI_LEGEND) + "".join(_format_op(n, root, opts) for n in shown)
    out = root.proto
    for n in shown:
        out.ClearField("children")
        child = out.children.add()
        child.CopyFrom(n.proto)
        out = child
    return root.proto, text


def _percent(text, total, own, root_total):
    accu = pct = 0.0
    if total > 0:
        accu = 100.0 * total / root_total
        pct = 100.0 * own / root_total
    return f"{text} ({accu:.2f}%, {pct:.2f}%)".rjust(30)


def _format_op(node, root, opts) -> str:
    p, r, attrs = node.proto, root.proto, []
    if opts.selects("params"):
        attrs.append(_percent(format_number(p.parameters) + " params", p.total_parameters,
                              p.parameters, r.total_parameters))
    if opts.selects("float_ops"):
        attrs.append(_percent(format_number(p.float_ops) + " float_ops", p.total_float_ops,
                              p.float_ops, r.total_float_ops))
    if opts.selects("device"):
        attrs.append("|".join(sorted({""} if node.picked else set())))
    if opts.selects("op_types"):
        attrs.append("|".join(sorted({t for n in node.picked for t in n.op_types})))
    if opts.selects("occurrence"):
        attrs.append(f"0|{len(p.graph_nodes)}".rjust(10))
    line = node.name.ljust(25) + ", ".join(attrs) + "\n"
    if opts.selects("input_shapes"):
        shapes = _input_shape_text(p)
        if shapes:
            line = f"{line}\n{shapes}\n\n"
    return line


def _input_shape_text(proto) -> str:
    counts: dict = {}
    for g in proto.graph_nodes:
        parts = []
        for idx in sorted(g.input_shapes):
            dims = [d.size for d in g.input_shapes[idx].dim]
            parts.append(f"{idx}:{'x'.join(map(str, dims))}" if dims else f"{idx}:unknown")
        key = "input_type: " + ",\t".join(parts)
        counts[key] = counts.get(key, 0) + 1
    return "\n".join(f"{k}\t(run*0|defined*{counts[k]})\texec_time: 0us" for k in sorted(counts))
