"""``tf.profiler`` (TF 1.x, tfprof): parameter and float-operation counts of a graph.

``profile(graph, cmd=..., options=...)`` returns TensorFlow's result protos
(``GraphNodeProto`` for the name-scope view ``cmd='scope'``, ``MultiGraphNodeProto`` for the
op-type view ``cmd='op'``) and prints TensorFlow's report (the ``Options`` block, the
``Model Analysis Report`` with its ``Doc`` and the indented tree), to stdout, a file
(``output='file:outfile=...'``) or nowhere (``'none'``). Counts follow TensorFlow's rules:
parameters are the element counts of nodes' ``shape`` attrs (variables, and anything else
accounted), float ops come from the per-op rules of ``profiler_flops``; both need static shapes.

With a RunMetadata from a traced run (``profile(..., run_meta=rm)``, ``Profiler.add_step``),
the scope view also shows run-time statistics with tfprof's rules (``time_and_memory()``,
``select`` of bytes and micros; see ``profiler_model.ExecStep``), the run's shapes refine the
graph's partly known ones as TF's ``_fill_missing_graph_shape`` does, and ``step`` picks a step
(-1: the average). What minitf does not provide is refused with ``UnimplementedError`` instead
of printing zeros: the op view's run-time columns, timeline output, the graph view
(``cmd='graph'``), the advisor's use of step stats, and the code view (``cmd='code'``,
``Profiler.profile_python``: minitf ops keep no Python tracebacks).
"""

from __future__ import annotations

import copy
import importlib
import os
import sys

from ._protos import lazy_classes
from .errors import InvalidArgumentError, UnimplementedError
from .profiler_flops import TRAINABLE_VARIABLES, logged_ops
from .profiler_model import RUNTIME_SELECT, Options, add_run_meta, build_nodes, query_doc
from .profiler_views import op_view, scope_view

# (GraphNodeProto, MultiGraphNodeProto, OpLogProto, AdviceProto are resolved by the module
# __getattr__ below.)
__all__ = ["profile", "advise", "write_op_log", "Profiler", "ProfileOptionBuilder"]

__getattr__ = lazy_classes(__name__, {
    "GraphNodeProto": "tfprof_output_pb2", "MultiGraphNodeProto": "tfprof_output_pb2",
    "AdviceProto": "tfprof_output_pb2", "OpLogProto": "tfprof_log_pb2",
})

_DEFAULT_PROFILE_OPTIONS = 0
_DEFAULT_ADVISE_OPTIONS = 0
ALL_ADVICE = {
    "ExpensiveOperationChecker": {},
    "AcceleratorUtilizationChecker": {},
    "JobChecker": {},  # only available inside Google, in TensorFlow too
    "OperationChecker": {},
}
_NO_STEP_STATS = ("the advisor does not read RunMetadata.step_stats in minitf (its "
                  "ExpensiveOperationChecker needs them)")


def _proto_module(name):
    return importlib.import_module(f"minitf.protos.{name}")


def _default_graph(graph):
    if graph is None:
        from .graph import get_default_graph
        graph = get_default_graph()
    return graph


class _Snapshot:
    """The graph as the analyser sees it: GraphDef nodes plus logged float ops and types, and
    the step stats of the RunMetadata added (``profile``'s as step 0, ``add_step``'s)."""

    def __init__(self, graph, op_log=None, run_meta=None):
        self.graph = graph
        self.op_log = op_log
        self.run_metas: list = []  # (step, RunMetadata) in the order added
        if _has_step_stats(run_meta):
            self.run_metas.append((0, run_meta))
        self._build()

    def _build(self):
        for _, run_meta in self.run_metas:
            _fill_missing_graph_shape(self.graph, run_meta)
        self.logged = logged_ops(self.graph, self.op_log)
        self.graph_def = self.graph.as_graph_def(add_shapes=True)
        self.nodes = build_nodes(self.graph_def, self.logged)
        self.covered: set = set()
        for step, run_meta in self.run_metas:
            self.covered |= add_run_meta(self.nodes, step, run_meta)
        self.nodes = dict(sorted(self.nodes.items()))
        self.steps = sorted({step for step, _ in self.run_metas})

    def add_step(self, step: int, run_meta) -> float:
        """tfprof's AddStep; returns the run coverage (nodes with stats / all nodes)."""
        if not _has_step_stats(run_meta):
            sys.stderr.write(f"Invalid RunMetadata for step {step}\n")
        else:
            self.run_metas.append((int(step), run_meta))
            self._build()
        return len(self.covered) / (len(self.nodes) + 1e-10)

    def show(self, cmd: str, options: dict):
        opts = Options(options)
        _check_static(cmd, opts)
        empty = _result_class(cmd)()
        if opts.step >= 0 and opts.step not in self.steps:  # TF reports it, returns nothing
            sys.stderr.write(f"Options -step={opts.step} not found.\nAvailable steps: "
                             + "".join(f"{s} " for s in self.steps) + "\n")
            return empty
        proto, text = (scope_view if cmd == "scope" else op_view)(self.nodes, opts)
        prefix = query_doc(cmd, opts) + "Profile:\n"
        if opts.output_type == "stdout":
            sys.stdout.write(
                "\n=========================Options=============================\n"
                + opts.to_string()
                + "\n==================Model Analysis Report======================\n"
                + prefix + text
                + "\n======================End of Report==========================\n")
            sys.stdout.flush()
        elif opts.output_type == "file":
            with open(opts.output_options["outfile"], "w") as f:
                f.write(prefix + text)
        return proto


def _result_class(cmd):
    pb = _proto_module("tfprof_output_pb2")
    return pb.MultiGraphNodeProto if cmd in ("op", "code") else pb.GraphNodeProto


def _check_static(cmd, opts):
    if cmd == "code":
        raise UnimplementedError(
            None, None, "tf.profiler code view (cmd='code', profile_python) is not supported: "
                        "minitf operations keep no Python traceback to build it from.")
    if cmd == "graph":
        raise UnimplementedError(
            None, None, "tf.profiler graph view (cmd='graph') is not supported by minitf; "
                        "use cmd='scope' or cmd='op' for parameters and float ops.")
    if cmd not in ("scope", "op"):
        raise InvalidArgumentError(None, None, f"unknown cmd: {cmd}\n")
    runtime = sorted(set(opts.select) & RUNTIME_SELECT)
    if (runtime and cmd == "op") or opts.output_type == "timeline":
        what = f"the op view's select={runtime}" if runtime else "timeline output"
        raise UnimplementedError(
            None, None, f"tf.profiler: {what} is not supported by minitf; the scope view "
                        "(cmd='scope') shows the run-time statistics of RunMetadata.step_stats.")
    if opts.output_type == "pprof":
        raise UnimplementedError(
            None, None, "tf.profiler: pprof output needs the code view, which minitf does "
                        "not support.")


def profile(graph=None, run_meta=None, op_log=None, cmd="scope",
            options=_DEFAULT_PROFILE_OPTIONS):
    """Profile a graph (TF1 ``tf.profiler.profile``): GraphNodeProto for cmd 'scope',
    MultiGraphNodeProto for cmd 'op'; prints the report as ``options['output']`` says."""
    graph = _default_graph(graph)
    if cmd not in ("scope", "op", "graph", "code"):
        raise InvalidArgumentError(None, None, f"unknown cmd: {cmd}\n")
    if options == _DEFAULT_PROFILE_OPTIONS:
        options = ProfileOptionBuilder.trainable_variables_parameter()
    return _Snapshot(graph, op_log, run_meta).show(cmd, options)


def _has_step_stats(run_meta) -> bool:
    return run_meta is not None and run_meta.HasField("step_stats")


def _check_run_meta(run_meta):
    # A RunMetadata without step stats adds nothing in TensorFlow either.
    if _has_step_stats(run_meta):
        raise UnimplementedError(None, None, f"tf.profiler.advise cannot use this RunMetadata: "
                                             f"{_NO_STEP_STATS}.")


def _fill_missing_graph_shape(graph, run_meta):
    """TF's tfprof_logger._fill_missing_graph_shape: the run's output shapes refine the
    graph's partly known static shapes (so float ops and input shapes use them)."""
    for dev_stat in run_meta.step_stats.dev_stats:
        for stat in dev_stat.node_stats:
            if not stat.output:
                continue
            try:
                op = graph.get_operation_by_name(stat.node_name)
            except (KeyError, ValueError):
                continue
            if len(stat.output) != len(op.outputs):
                continue
            for tensor, out in zip(op.outputs, stat.output):
                if tensor.shape.is_fully_defined():
                    continue
                dims = [d.size for d in out.tensor_description.shape.dim]
                try:
                    tensor.set_shape(tensor.shape.merge_with(dims))
                except ValueError as e:
                    sys.stderr.write(f"Node {stat.node_name} incompatible shapes: {e}.\n")


def advise(graph=None, run_meta=None, options=_DEFAULT_ADVISE_OPTIONS):
    """Run the advisor's checkers (TF1 ``tf.profiler.advise``); returns an AdviceProto."""
    graph = _default_graph(graph)
    if options == _DEFAULT_ADVISE_OPTIONS:
        options = ALL_ADVICE.copy()
    _check_run_meta(run_meta)
    return _advise(_Snapshot(graph).nodes, options)


def _advise(nodes, options):
    advice = _proto_module("tfprof_output_pb2").AdviceProto()
    options = options or {}
    if "AcceleratorUtilizationChecker" in options:
        advice.checkers["AcceleratorUtilizationChecker"]  # no device timings: no reports
    if "OperationChecker" in options:
        reports = advice.checkers["OperationChecker"].reports
        batch_norm = any("BatchNorm" in name for name in nodes)
        fused = any("FusedBatchNorm" in n.op_types for n in nodes.values())
        if batch_norm and not fused:
            reports.append("Maybe use faster FusedBatchNorm instead of BatchNorm")
    if "ExpensiveOperationChecker" in options:
        sys.stderr.write("Missing RunMetadata info. Skip ExpensiveOperationChecker\n"
                         "Missing run_meta for ExpensiveOperationChecker\n")
        advice.checkers["ExpensiveOperationChecker"]
    lines = []
    for name in ("ExpensiveOperationChecker", "AcceleratorUtilizationChecker",
                 "OperationChecker"):
        if name in advice.checkers:
            lines.append(f"\n{name}:\n" + "".join(r + "\n" for r in advice.checkers[name].reports))
    sys.stdout.write("".join(lines))
    sys.stdout.flush()
    return advice


def write_op_log(graph, log_dir, op_log=None, run_meta=None, add_trace=True):
    """Write ``<log_dir>/tfprof_log``: an OpLogProto with the graph's float ops and the
    ``_trainable_variables`` type merged into ``op_log``. minitf ops keep no Python traceback,
    so ``add_trace`` adds no code traces."""
    graph = _default_graph(graph)
    if _has_step_stats(run_meta):
        _fill_missing_graph_shape(graph, run_meta)
    proto = _op_log_proto(logged_ops(graph, op_log))
    with open(os.path.join(log_dir, "tfprof_log"), "wb") as f:
        f.write(proto.SerializeToString())


def _op_log_proto(logged):
    proto = _proto_module("tfprof_log_pb2").OpLogProto()
    for name, (flops, types) in logged.items():
        entry = proto.log_entries.add(name=name, float_ops=flops)
        entry.types.extend(types)
    proto.id_to_string[0] = "none"
    return proto


class Profiler:
    """TF1's multi-step ``tf.profiler.Profiler`` over one graph: static statistics, and the
    step stats of the RunMetadata added with ``add_step`` (scope view)."""

    def __init__(self, graph=None, op_log=None):
        self._graph = _default_graph(graph)
        self._coverage = 0.0
        self._snapshot = _Snapshot(self._graph, op_log)

    def add_step(self, step, run_meta):
        """Adds a traced run's RunMetadata as ``step`` (options' ``step`` picks it; -1
        averages the steps)."""
        self._coverage = self._snapshot.add_step(step, run_meta)

    def profile_python(self, options):
        _check_static("code", Options(options))

    def profile_operations(self, options):
        return self._snapshot.show("op", options)

    def profile_name_scope(self, options):
        return self._snapshot.show("scope", options)

    def profile_graph(self, options):
        return self._snapshot.show("graph", options)

    def advise(self, options):
        return _advise(self._snapshot.nodes, options)

    def serialize_to_string(self) -> bytes:
        """The ProfileProto of the graph (nodes, shapes, op types, float ops; no code traces,
        and not the steps' execution records: those are not written yet)."""
        pb = _proto_module("tfprof_log_pb2")
        profile_pb = pb.ProfileProto()
        profile_pb.id_to_string[0] = "none"
        nodes = self._snapshot.nodes
        for node in nodes.values():
            out = profile_pb.nodes[node.id]
            out.name, out.op, out.id, out.float_ops = node.name, node.op, node.id, node.float_ops
            out.shape.extend(node.shape)
            out.op_types.extend(sorted(node.op_types))
            for idx, source in node.inputs.items():
                out.inputs[idx] = nodes[source].id
            for idx, vec in node.output_shapes.items():
                out.output_shapes[idx].int64_values.extend(vec)
            for source, idx in node.src_output_idx.items():
                out.src_output_index[nodes[source].id] = idx
            for key, value in node.attrs.items():
                out.attrs[key].MergeFrom(value)
        return profile_pb.SerializeToString()


class ProfileOptionBuilder:
    """Builds profile option dicts (TF1 ``tf.profiler.ProfileOptionBuilder``)."""

    def __init__(self, options=None):
        if options is not None:
            self._options = copy.deepcopy(options)
        else:
            self._options = {"max_depth": 100, "min_bytes": 0, "min_micros": 0,
                             "min_params": 0, "min_float_ops": 0, "min_occurrence": 0,
                             "order_by": "name", "account_type_regexes": [".*"],
                             "start_name_regexes": [".*"], "trim_name_regexes": [],
                             "show_name_regexes": [".*"], "hide_name_regexes": [],
                             "account_displayed_op_only": False, "select": ["micros"],
                             "step": -1, "output": "stdout"}

    @staticmethod
    def trainable_variables_parameter():
        """Count the parameters of trainable variables (with the 'scope' view)."""
        return {"max_depth": 10000, "min_bytes": 0, "min_micros": 0, "min_params": 0,
                "min_float_ops": 0, "min_occurrence": 0, "order_by": "name",
                "account_type_regexes": [TRAINABLE_VARIABLES], "start_name_regexes": [".*"],
                "trim_name_regexes": [], "show_name_regexes": [".*"], "hide_name_regexes": [],
                "account_displayed_op_only": True, "select": ["params"], "step": -1,
                "output": "stdout"}

    @staticmethod
    def float_operation():
        """Count float operations (ops with a registered flops rule and static shapes)."""
        return {"max_depth": 10000, "min_bytes": 0, "min_micros": 0, "min_params": 0,
                "min_float_ops": 1, "min_occurrence": 0, "order_by": "float_ops",
                "account_type_regexes": [".*"], "start_name_regexes": [".*"],
                "trim_name_regexes": [], "show_name_regexes": [".*"], "hide_name_regexes": [],
                "account_displayed_op_only": True, "select": ["float_ops"], "step": -1,
                "output": "stdout"}

    @staticmethod
    def time_and_memory(min_micros=1, min_bytes=1, min_accelerator_micros=0,
                        min_cpu_micros=0, min_peak_bytes=0, min_residual_bytes=0,
                        min_output_bytes=0):
        """TF's time-and-memory options (profiling with them needs step stats; see module)."""
        return {"max_depth": 10000, "min_bytes": min_bytes, "min_peak_bytes": min_peak_bytes,
                "min_residual_bytes": min_residual_bytes, "min_output_bytes": min_output_bytes,
                "min_micros": min_micros, "min_accelerator_micros": min_accelerator_micros,
                "min_cpu_micros": min_cpu_micros, "min_params": 0, "min_float_ops": 0,
                "min_occurrence": 0, "order_by": "micros", "account_type_regexes": [".*"],
                "start_name_regexes": [".*"], "trim_name_regexes": [],
                "show_name_regexes": [".*"], "hide_name_regexes": [],
                "account_displayed_op_only": True, "select": ["micros", "bytes"], "step": -1,
                "output": "stdout"}

    def build(self):
        return copy.deepcopy(self._options)

    def with_max_depth(self, max_depth):
        self._options["max_depth"] = max_depth
        return self

    def with_min_memory(self, min_bytes=0, min_peak_bytes=0, min_residual_bytes=0,
                        min_output_bytes=0):
        self._options.update(min_bytes=min_bytes, min_peak_bytes=min_peak_bytes,
                             min_residual_bytes=min_residual_bytes,
                             min_output_bytes=min_output_bytes)
        return self

    def with_min_execution_time(self, min_micros=0, min_accelerator_micros=0,
                                min_cpu_micros=0):
        self._options.update(min_micros=min_micros,
                             min_accelerator_micros=min_accelerator_micros,
                             min_cpu_micros=min_cpu_micros)
        return self

    def with_min_parameters(self, min_params):
        self._options["min_params"] = min_params
        return self

    def with_min_occurrence(self, min_occurrence):
        self._options["min_occurrence"] = min_occurrence
        return self

    def with_min_float_operations(self, min_float_ops):
        self._options["min_float_ops"] = min_float_ops
        return self

    def with_accounted_types(self, account_type_regexes):
        self._options["account_type_regexes"] = copy.copy(account_type_regexes)
        return self

    def with_node_names(self, start_name_regexes=None, show_name_regexes=None,
                        hide_name_regexes=None, trim_name_regexes=None):
        for key, value in (("start_name_regexes", start_name_regexes),
                           ("show_name_regexes", show_name_regexes),
                           ("hide_name_regexes", hide_name_regexes),
                           ("trim_name_regexes", trim_name_regexes)):
            if value is not None:
                self._options[key] = copy.copy(value)
        return self

    def account_displayed_op_only(self, is_true):
        self._options["account_displayed_op_only"] = is_true
        return self

    def with_empty_output(self):
        self._options["output"] = "none"
        return self

    def with_stdout_output(self):
        self._options["output"] = "stdout"
        return self

    def with_file_output(self, outfile):
        self._options["output"] = f"file:outfile={outfile}"
        return self

    def with_timeline_output(self, timeline_file):
        self._options["output"] = f"timeline:outfile={timeline_file}"
        return self

    def with_pprof_output(self, pprof_file):
        self._options["output"] = f"pprof:outfile={pprof_file}"
        return self

    def order_by(self, attribute):
        self._options["order_by"] = attribute
        return self

    def select(self, attributes):
        self._options["select"] = copy.copy(attributes)
        return self

    def with_step(self, step):
        self._options["step"] = step
        return self
