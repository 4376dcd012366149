"""The profiler's data model: options, graph nodes and number formatting (TensorFlow's tfprof).

TensorFlow's ``tf.profiler`` hands a GraphDef (with ``_output_shapes``), an OpLogProto (float
ops and extra types per op) and options to a C++ analyser (``core/profiler/internal``). This
module is that analyser's model, written from its documented behaviour:

- ``Options``: the option dict as ``model_analyzer._build_options`` fills it (defaults for
  missing keys), with the ``-output`` parsing and the ``Options`` block printed before a report.
- ``GraphNode``: one NodeDef: its op type, the ``shape`` attr (whose element count is the
  node's "parameters"), the output shapes, inputs (control inputs included, as NodeDef lists
  them), float ops and op types (the op type plus OpLog types such as
  ``_trainable_variables``). Shapes follow tfprof's vector convention: a scalar is ``[1]``, an
  unknown rank is ``[]``.
- ``ExecStep`` / ``add_run_meta``: what a RunMetadata's step stats (a traced Session.run, see
  core/plan_trace.py) add to the nodes, step by step, with tfprof's rules: a node's CPU time
  is its ``op_end_rel_micros`` (at least 1us), its requested / peak / residual bytes its
  AllocatorMemoryUsed sums plus the persistent (and temporary) bytes of ``memory_stats``,
  its output bytes those of its outputs; with ``step=-1`` a node reports its average over
  the steps; the device it ran on becomes one of its op types.
- ``format_number`` & co.: the humanised numbers of the report (``1.23k``, ``4.50m``,
  ``32B``, ``1.25KB``, ``13us``, ``50.69ms``).
"""

from __future__ import annotations

import re

from .errors import InvalidArgumentError

__all__ = ["Options", "GraphNode", "ExecStep", "add_run_meta", "build_nodes", "format_number",
           "format_memory", "format_time", "query_doc"]

ROOT = "_TFProfRoot"
SCOPE_PARENT = "_kTFScopeParent"  # sic: TF's constant

ORDER_BY = ("name", "bytes", "peak_bytes", "residual_bytes", "output_bytes", "micros",
            "accelerator_micros", "cpu_micros", "params", "float_ops", "occurrence")
SHOWN = ("bytes", "micros", "params", "float_ops", "tensor_value", "device", "op_types",
         "occurrence", "input_shapes", "accelerator_micros", "cpu_micros", "peak_bytes",
         "residual_bytes", "output_bytes")
OUTPUT_TYPES = ("timeline", "stdout", "file", "pprof", "none")
# The proto total a node is sorted by, per order_by (name and occurrence sort by name).
SORT_FIELDS = {"bytes": "total_requested_bytes", "peak_bytes": "total_peak_bytes",
               "residual_bytes": "total_residual_bytes", "output_bytes": "total_output_bytes",
               "micros": "total_exec_micros", "accelerator_micros": "total_accelerator_exec_micros",
               "cpu_micros": "total_cpu_exec_micros", "params": "total_parameters",
               "float_ops": "total_float_ops"}

_INT_OPTIONS = ("min_bytes", "min_peak_bytes", "min_residual_bytes", "min_output_bytes",
                "min_micros", "min_accelerator_micros", "min_cpu_micros", "min_params",
                "min_float_ops", "min_occurrence")
# Options that need run-time statistics (RunMetadata.step_stats).
RUNTIME_SELECT = frozenset({"bytes", "micros", "accelerator_micros", "cpu_micros", "peak_bytes",
                            "residual_bytes", "output_bytes"})


class Options:
    """A profile option dict, read with ``_build_options``' defaults."""

    def __init__(self, options: dict):
        if not isinstance(options, dict):
            raise TypeError(f"options must be a dict, got {type(options).__name__}")
        get = options.get
        self.max_depth = int(get("max_depth", 10))
        for name in _INT_OPTIONS:
            setattr(self, name, int(get(name, 0)))
        self.step = int(get("step", -1))
        self.order_by = str(get("order_by", "name"))
        self.account_type_regexes = list(get("account_type_regexes", []))
        self.start_name_regexes = list(get("start_name_regexes", []))
        self.trim_name_regexes = list(get("trim_name_regexes", []))
        self.show_name_regexes = list(get("show_name_regexes", []))
        self.hide_name_regexes = list(get("hide_name_regexes", []))
        self.account_displayed_op_only = bool(get("account_displayed_op_only", False))
        self.select = sorted(set(get("select", [])))  # a std::set in tfprof
        self.output = str(get("output", "stdout"))
        self.output_type, self.output_options = _parse_output(self.output)
        dump_to_file = get("dump_to_file", "")
        if dump_to_file:
            import sys
            sys.stderr.write("-dump_to_file option is deprecated. "
                             "Please use -output file:outfile=<filename>\n")
            sys.stderr.write(f"-output {self.output} is overwritten with "
                             f"-output file:outfile={dump_to_file}\n")
            self.output_type, self.output_options = "file", {"outfile": dump_to_file}

    def selects(self, name: str) -> bool:
        return name in self.select

    def to_string(self) -> str:
        """The ``Options`` block tfprof prints before a stdout report."""
        rows = [("-max_depth", self.max_depth)]
        rows += [("-" + name, getattr(self, name)) for name in _INT_OPTIONS]
        rows += [("-step", self.step), ("-order_by", self.order_by)]
        for name in ("account_type_regexes", "start_name_regexes", "trim_name_regexes",
                     "show_name_regexes", "hide_name_regexes"):
            rows.append(("-" + name, ",".join(getattr(self, name))))
        rows.append(("-account_displayed_op_only",
                     "true" if self.account_displayed_op_only else "false"))
        rows.append(("-select", ",".join(self.select)))
        kv = ",".join(f"{k}={v}" for k, v in sorted(self.output_options.items()))
        rows.append(("-output", f"{self.output_type}:{kv}"))
        return "".join(f"{name:<28}{value}\n" for name, value in rows)


def _parse_output(output: str):
    if not output:
        return "stdout", {}
    valid = ",".join(sorted(OUTPUT_TYPES))
    kind, sep, rest = output.partition(":")
    if kind not in OUTPUT_TYPES:
        raise InvalidArgumentError(
            None, None, f"E.g. Unknown output type: {kind}, Valid types: {valid}\n")
    allowed = {"timeline", "file", "pprof"}
    options = {}
    for kv in filter(None, rest.split(",")) if sep else ():
        parts = [p for p in kv.split("=") if p]
        if len(parts) != 2:
            raise InvalidArgumentError(
                None, None, "Visualize format: -output timeline:key=value,key=value,...")
        if kind not in allowed or parts[0] != "outfile":
            raise InvalidArgumentError(
                None, None, f"Unrecognized options {parts[0]} for output_type: {kind}\n")
        options[parts[0]] = parts[1]
    if kind in allowed and "outfile" not in options:
        raise InvalidArgumentError(
            None, None, f"Missing required output_options for {kind}\n"
                        f"E.g. -output {kind}:outfile=...\n")
    return kind, options


def full_match(regex: str, text: str) -> bool:
    return re.fullmatch(regex, text) is not None


class GraphNode:
    """One graph node as tfprof sees it (TFGraphNode)."""

    __slots__ = ("name", "op", "id", "float_ops", "op_types", "shape", "output_shapes",
                 "inputs", "src_output_idx", "nodes", "attrs", "execs", "canonical_device")

    def __init__(self, name, op, node_id, nodes, attrs=None):
        self.name, self.op, self.id, self.nodes = name, op, node_id, nodes
        self.float_ops = 0
        self.execs: dict[int, ExecStep] = {}  # step -> what RunMetadata recorded of it
        self.canonical_device = ""
        self.op_types = {op}
        self.shape: list = []
        self.output_shapes: dict = {}
        self.inputs: dict = {}  # input index -> source node name
        self.src_output_idx: dict = {}  # source node name -> output index
        self.attrs = attrs

    @property
    def parameters(self) -> int:
        if not self.shape or any(d < 0 for d in self.shape):
            return 0
        n = 1
        for d in self.shape:
            n *= d
        return n

    def add_step_stat(self, step: int, device: str, stat) -> None:
        """A NodeExecStats of ``step`` (tfprof's TFGraphNode::AddStepStat)."""
        dev = device.lower()
        if _CANONICAL_DEVICE.fullmatch(dev):
            if self.canonical_device:
                if self.canonical_device != dev:
                    return  # the node also appears on another device: tfprof keeps the first
            else:
                self.canonical_device = dev
                self.op_types.add(dev)
        exec_step = self.execs.setdefault(step, ExecStep())
        exec_step.add_time(dev, stat)
        if dev == self.canonical_device:
            exec_step.add_memory(dev, stat)

    def stat(self, name: str, step: int) -> int:
        """An ExecStep total for ``step``, or (step < 0) its average over the steps run."""
        if not self.execs:
            return 0
        if step >= 0:
            found = self.execs.get(step)
            return getattr(found, name)() if found is not None else 0
        return sum(getattr(e, name)() for e in self.execs.values()) // len(self.execs)

    def run_float_ops(self, step: int) -> int:
        """The static float ops, times the number of runs once the node has run."""
        return self.float_ops * self.stat("run_count", step) if self.execs else self.float_ops

    def input_shapes(self) -> dict:
        """input index -> shape vector ([] when unknown), over data and control inputs."""
        shapes = {}
        for idx in sorted(self.inputs):
            source = self.nodes.get(self.inputs[idx])
            index = self.src_output_idx.get(self.inputs[idx])
            shapes[idx] = [] if source is None or index is None else \
                list(source.output_shapes.get(index, []))
        return shapes


_CANONICAL_DEVICE = re.compile(r".*/(device:gpu|gpu|device:cpu|cpu):\d+")


class ExecStep:
    """One step's execution of a node (tfprof's ExecStep): its (start, micros) runs on CPU
    devices and on accelerator streams, and one memory record per run."""

    __slots__ = ("runs", "cpu", "accelerator", "memory")

    def __init__(self):
        self.runs = 0
        self.cpu: list = []
        self.accelerator: list = []
        self.memory: list = []  # (requested, peak, residual, output) bytes per run

    def add_time(self, dev: str, stat) -> None:
        if stat.all_start_micros <= 0:
            return
        micros = stat.op_end_rel_micros or 1  # a quick op counts as 1us
        if "stream:all" in dev:
            self.accelerator.append((stat.all_start_micros, micros))
        elif _CANONICAL_DEVICE.fullmatch(dev):
            self.cpu.append((stat.all_start_micros, micros))
            self.runs += 1  # a node in a while loop runs several times a step

    def add_memory(self, dev: str, stat) -> None:
        if stat.all_start_micros <= 0:
            import sys
            sys.stderr.write(f"{stat.node_name} has no start time, skipping\n")
            return
        output = 0
        for out in stat.output:
            if out.HasField("tensor_description") and \
                    out.tensor_description.HasField("allocation_description"):
                desc = out.tensor_description.allocation_description
                output += max(desc.allocated_bytes, desc.requested_bytes)
        temp = persistent = 0
        if stat.HasField("memory_stats"):  # host or accelerator: summed alike below
            temp = stat.memory_stats.temp_memory_size
            persistent = stat.memory_stats.persistent_memory_size
        requested = sum(m.total_bytes for m in stat.memory) + persistent + temp
        peak = sum(m.peak_bytes for m in stat.memory) + persistent + temp
        residual = sum(m.live_bytes for m in stat.memory) + persistent
        self.memory.append((requested, peak, residual, output))

    def run_count(self) -> int:
        return self.runs

    def cpu_exec_micros(self) -> int:
        return sum(m for _, m in self.cpu)

    def accelerator_exec_micros(self) -> int:
        return sum(m for _, m in self.accelerator)

    def exec_micros(self) -> int:
        return self.cpu_exec_micros() + self.accelerator_exec_micros()

    def requested_bytes(self) -> int:
        return sum(m[0] for m in self.memory)

    def peak_bytes(self) -> int:
        return sum(m[1] for m in self.memory)

    def residual_bytes(self) -> int:
        return sum(m[2] for m in self.memory)

    def output_bytes(self) -> int:
        return sum(m[3] for m in self.memory)


def add_run_meta(nodes: dict, step: int, run_meta) -> set:
    """Adds ``run_meta``'s step stats to ``nodes`` as step ``step`` (tfprof's AddRunMeta): a
    node the graph does not have becomes one whose op is its name (TF's _arg/_retval nodes),
    except _SOURCE, RecvTensor and MEMCPY ones. Returns the ids of graph nodes covered."""
    covered = set()
    for dev_stat in run_meta.step_stats.dev_stats:
        for stat in dev_stat.node_stats:
            name = stat.node_name.partition(":")[0]
            node = nodes.get(name)
            if node is None:
                if name in ("RecvTensor", "_SOURCE") or "MEMCPY" in name:
                    continue
                node = nodes[name] = GraphNode(name, name, len(nodes), nodes, {})
            else:
                covered.add(node.id)
            node.add_step_stat(step, dev_stat.device, stat)
    return covered


def shape_vector(shape_proto) -> list:
    """tfprof's ShapeProtoToVec: a known-rank scalar is [1], an unknown rank []."""
    if not shape_proto.dim and not shape_proto.unknown_rank:
        return [1]
    return [d.size for d in shape_proto.dim]


def build_nodes(graph_def, logged: dict) -> dict:
    """``{name: GraphNode}`` from a GraphDef with ``_output_shapes`` and the logged ops."""
    nodes: dict = {}
    defs = []
    for node_def in graph_def.node:
        if node_def.name in nodes:
            continue
        node = GraphNode(node_def.name, node_def.op, len(nodes), nodes, node_def.attr)
        for key in sorted(node_def.attr):  # a protobuf map: tfprof iterates it in key order
            value = node_def.attr[key]
            if key == "shape" and value.HasField("shape"):
                node.shape = shape_vector(value.shape)
            elif key == "_output_shapes" and value.HasField("list"):
                node.output_shapes = {i: shape_vector(s) for i, s in enumerate(value.list.shape)}
        nodes[node.name] = node
        defs.append((node, node_def))
    for node, node_def in defs:
        for i, text in enumerate(node_def.input):
            name, _, index = text.partition(":")
            name = name.removeprefix("^")
            node.inputs[i] = name
            node.src_output_idx[name] = int(index) if index else 0
    for name, (flops, types) in logged.items():
        node = nodes.get(name)
        if node is None:
            continue
        node.op_types.update(types)
        if flops:
            node.float_ops = flops
    return dict(sorted(nodes.items()))


def format_number(n: int) -> str:
    if n < 1000:
        return str(n)
    if n < 1000000:
        return f"{n / 1000.0:.2f}k"
    if n < 1000000000:
        return f"{n / 1000000.0:.2f}m"
    return f"{n / 1000000000.0:.2f}b"


def format_time(micros: int) -> str:
    if micros < 1000:
        return f"{micros}us"
    if micros < 1000000:
        return f"{micros / 1000.0:.2f}ms"
    return f"{micros / 1000000.0:.2f}sec"


def format_memory(nbytes: int) -> str:
    if nbytes < 1000:
        return f"{nbytes}B"
    if nbytes < 1000000:
        return f"{nbytes / 1000.0:.2f}KB"
    return f"{nbytes / 1000000.0:.2f}MB"


_DOCS = {
    "scope": "scope: The nodes in the model graph are organized by their names, which is "
             "hierarchical like filesystem.",
    "op": "op: The nodes are operation kernel type, such as MatMul, Conv2D. Graph nodes "
          "belonging to the same type are aggregated together.",
}
_ACC = ("accelerator execution time: Time spent executing on the accelerator. This is "
        "normally measured by the actual hardware library.")
_CPU = ("cpu execution time: The time from the start to the end of the operation. It's the "
        "sum of actual cpu run time plus the time that it spends waiting if part of "
        "computation is launched asynchronously.")
_SELECT_DOCS = {
    "bytes": "requested bytes: The memory requested by the operation, accumulatively.",
    "micros": "total execution time: Sum of accelerator execution time and cpu execution "
              "time.\n" + _CPU + "\n" + _ACC,
    "params": "param: Number of parameters (in the Variable).",
    "float_ops": "flops: Number of float operations. Note: Please read the implementation for "
                 "the math behind it.",
    "tensor_value": "tensor_value: Not supported now.",
    "device": "device: which device is placed on.",
    "op_types": "op_types: The attributes of the operation, includes the Kernel name device "
                "placed on and user-defined strings.",
    "occurrence": "occurrence: The number of times it occurs",
    "input_shapes": "input shape: The shape of input tensors",
    "accelerator_micros": _ACC,
    "cpu_micros": _CPU,
    "peak_bytes": "peak bytes: The peak amount of memory that the operation is holding at "
                  "some point.",
    "residual_bytes": "residual bytes: The memory not de-allocated after the operation "
                      "finishes.",
    "output_bytes": "output bytes: The memory that is output from the operation (not "
                    "necessarily allocated by the operation)",
}


def query_doc(cmd: str, opts: Options) -> str:
    helps = [_SELECT_DOCS.get(s, "Unknown select: " + s) for s in opts.select]
    return "\nDoc:\n" + _DOCS[cmd] + "\n" + "\n".join(helps) + "\n\n"
