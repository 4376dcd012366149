"""TF1's ``tensorflow.python.client.timeline``: a traced run's ``RunMetadata.step_stats`` as a
Chrome trace (the JSON that chrome://tracing and Perfetto open).

``Timeline(run_metadata.step_stats).generate_chrome_trace_format()`` gives the same events as
TF's, field for field, so a trace from minitf and one from TF read alike (and tools written for
TF's traces read ours):

- process metadata (``ph: "M"``): pid 0 "Allocators", then per device two processes,
  "<device> Compute" (its ops) and "<device> Tensors" (its tensors' lifetimes);
- one complete event (``ph: "X"``, category "Op", named by the op type) per node, from
  ``all_start_micros`` for ``all_end_rel_micros``; ``tid`` is a lane: the first lane free
  before the node starts (TF ignores the recorded thread ids), and ``args`` holds the node
  name, the op type and the inputs parsed from ``timeline_label`` ("name = Type(a, b:1, ^c)");
- ``show_dataflow``: a flow start/end pair (``ph: "s"``/``"t"``, category "DataFlow", one id
  per edge) from a producer's end to a consumer's start, drawn only across lanes or devices;
- ``show_memory``: per output tensor an object created at the node's start and snapshotted
  (its TensorDescription as text) just before its end (``"N"``, ``"O"``), deleted at its last
  use (``"D"``), and per allocator a bytes-in-use counter (``"C"``) from requested bytes.

``op_time`` chooses which times an op shows: "schedule" (the node's own stats); "gpu" and "all"
stretch it over its GPU kernels (devices with "/stream:all") — on a host-only trace the same.

Where this differs from TF: the step stats passed in are never modified (TF writes the lanes
into ``thread_id``), each ``analyze_step_stats`` call starts a fresh trace (TF's accumulate),
and an unknown ``op_time`` is a ValueError (TF treats it as "all").
"""

from __future__ import annotations

import collections
import copy
import json
import re
import sys
import types

from . import tf_logging as logging

__all__ = ["AllocationMaximum", "StepStatsAnalysis", "Timeline"]

AllocationMaximum = collections.namedtuple(
    "AllocationMaximum", ("timestamp", "num_bytes", "tensors"))
AllocationMaximum.__doc__ = """An allocator's peak: when (micros), how many bytes, which
tensors were live."""
StepStatsAnalysis = collections.namedtuple(
    "StepStatsAnalysis", ("chrome_trace", "allocator_maximums"))
StepStatsAnalysis.__doc__ = """``chrome_trace`` (``format_to_string(pretty=False)``) and, with
show_memory, ``allocator_maximums``: allocator name -> AllocationMaximum."""

OP_TIMES = ("schedule", "gpu", "all")
_OP_LABEL = re.compile(r"(.*) = (.*)\((.*)\)")  # greedy, as TF's: "name = Type(in, in)"


def _parse_op_label(label: str):
    """(name, op type, inputs) of a node's timeline label; 'unknown' when it has no such form
    (TF's fallback)."""
    match = _OP_LABEL.match(label)
    if match is None:
        return "unknown", "unknown", []
    name, op, inputs = match.groups()
    return name, op, inputs.split(", ") if inputs else []


def _parse_kernel_label(label: str, node_name: str):
    """(node, op) of a GPU tracer's kernel: ``"... @@node#..."`` names the node, else the
    stats' ``node_name`` is ``node:op``."""
    start, end = label.find("@@"), label.find("#")
    if start >= 0 and end >= 0 and start + 2 < end:
        node_name = label[start + 2:end]
    name, op = (node_name.split(":") + ["unknown"])[:2]
    return name, op


class ChromeTrace:
    """The events of one trace: metadata first, then the rest in the order they were made."""

    def __init__(self):
        self._metadata: list[dict] = []
        self._events: list[dict] = []

    def process(self, name: str, pid: int) -> None:
        self._metadata.append({"name": "process_name", "ph": "M", "pid": pid,
                               "args": {"name": name}})

    def event(self, ph: str, category: str, name: str, pid: int, tid: int, ts: int,
              **fields) -> dict:
        event = {"ph": ph, "cat": category, "name": name, "pid": pid, "tid": tid, "ts": ts}
        event.update(fields)
        self._events.append(event)
        return event

    def format_to_string(self, pretty: bool = False) -> str:
        trace = {"traceEvents": self._metadata + self._events}
        if pretty:
            return json.dumps(trace, indent=4, separators=(",", ": "))
        return json.dumps(trace, separators=(",", ":"))


class _Tensor:
    __slots__ = ("name", "object_id", "pid", "create_time", "allocator", "num_bytes",
                 "last_unref")

    def __init__(self, name, object_id, pid, create_time, allocator, num_bytes, unref):
        self.name, self.object_id, self.pid = name, object_id, pid
        self.create_time, self.allocator, self.num_bytes = create_time, allocator, num_bytes
        self.last_unref = unref


def _lanes(dev_stats) -> list[int]:
    """Each node's lane: the first whose last node ended before this one starts."""
    ends, lanes = [0], []
    for ns in dev_stats.node_stats:
        start = ns.all_start_micros
        lane = next((i for i, end in enumerate(ends) if start > end), len(ends))
        if lane == len(ends):
            ends.append(0)
        ends[lane] = start + ns.all_end_rel_micros
        lanes.append(lane)
    return lanes


def _kernel_times(step_stats, op_time: str):
    """A copy of ``step_stats`` whose ops on "/job" devices span their GPU kernels ("all"),
    or start at the first of them ("gpu")."""
    step_stats = copy.deepcopy(step_stats)
    spans: dict[str, list] = {}
    for dev in step_stats.dev_stats:
        if "/stream:all" not in dev.device:
            continue
        for kernel in dev.node_stats:
            name, _ = _parse_kernel_label(kernel.timeline_label, kernel.node_name)
            start = kernel.all_start_micros
            end = start + kernel.all_end_rel_micros
            span = spans.setdefault(name, [start, end])
            span[0], span[1] = min(span[0], start), max(span[1], end)
    for dev in step_stats.dev_stats:
        if "/stream:all" in dev.device or "/job" not in dev.device:
            continue
        for op in dev.node_stats:
            if op.node_name in spans:
                start, end = spans[op.node_name]
                end = max(end, op.all_start_micros + op.all_end_rel_micros)
                if op_time == "gpu":
                    op.all_start_micros = start
                op.all_end_rel_micros = end - op.all_start_micros
    return step_stats


class Timeline:
    """The Chrome trace of one step's ``StepStats`` (minitf's or TF's message).

    ``graph`` is accepted for TF's signature; as in TF, nothing reads it.
    """

    def __init__(self, step_stats, graph=None):
        self._origin_step_stats = step_stats
        self._graph = graph

    def generate_chrome_trace_format(self, show_dataflow: bool = True,
                                     show_memory: bool = False,
                                     op_time: str = "schedule") -> str:
        """The trace as indented JSON: ``{"traceEvents": [...]}``."""
        analysis = self.analyze_step_stats(show_dataflow=show_dataflow,
                                           show_memory=show_memory, op_time=op_time)
        return analysis.chrome_trace.format_to_string(pretty=True)

    def analyze_step_stats(self, show_dataflow: bool = True, show_memory: bool = True,
                           op_time: str = "schedule") -> StepStatsAnalysis:
        if op_time not in OP_TIMES:
            raise ValueError(f"op_time must be one of {', '.join(map(repr, OP_TIMES))}; "
                             f"got {op_time!r}")
        stats = self._origin_step_stats
        if op_time != "schedule":
            stats = _kernel_times(stats, op_time)
        trace = ChromeTrace()
        trace.process("Allocators", 0)
        compute_pid, tensors_pid = {}, {}
        for i, dev in enumerate(stats.dev_stats):
            compute_pid[dev.device], tensors_pid[dev.device] = 2 * i + 1, 2 * i + 2
            trace.process(dev.device + " Compute", 2 * i + 1)
            trace.process(dev.device + " Tensors", 2 * i + 2)
        lanes = [_lanes(dev) for dev in stats.dev_stats]

        tensors: dict[str, _Tensor] = {}
        flow_starts: dict[str, tuple] = {}  # tensor name -> (its producer's end, pid, tid)
        for dev, dev_lanes in zip(stats.dev_stats, lanes):
            pid, tpid = compute_pid[dev.device], tensors_pid[dev.device]
            for ns, tid in zip(dev.node_stats, dev_lanes):
                start = ns.all_start_micros
                end = start + ns.all_end_rel_micros
                for index, output in enumerate(ns.output):  # TF names outputs by position
                    name = f"{ns.node_name}:{index}" if index else ns.node_name
                    desc = output.tensor_description
                    tensor = tensors[name] = _Tensor(
                        name, len(tensors), tpid, start, desc.allocation_description.
                        allocator_name, desc.allocation_description.requested_bytes, end)
                    flow_starts[name] = (end, pid, tid)
                    if show_memory:
                        trace.event("N", "Tensor", name, tpid, tid, start, id=tensor.object_id)
                        snapshot = {"tensor_description": str(desc).replace('"', "")}
                        trace.event("O", "Tensor", name, tpid, tid, end - 1,
                                    id=tensor.object_id, args={"snapshot": snapshot})

        flow_id = 0
        for dev, dev_lanes in zip(stats.dev_stats, lanes):
            pid = compute_pid[dev.device]
            gpu_trace = "/stream:" in dev.device or "/memcpy" in dev.device
            for ns, tid in zip(dev.node_stats, dev_lanes):
                start = ns.all_start_micros
                end = start + ns.all_end_rel_micros
                node_name, inputs = ns.node_name, []
                if gpu_trace:
                    node_name, op = _parse_kernel_label(ns.timeline_label, node_name)
                elif node_name == "RecvTensor":  # RPC tracing: no "name = Type()" label
                    op = "RecvTensor"
                else:
                    _, op, inputs = _parse_op_label(ns.timeline_label)
                args = {"name": node_name, "op": op}
                args.update((f"input{i}", name) for i, name in enumerate(inputs))
                trace.event("X", "Op", op, pid, tid, start, dur=ns.all_end_rel_micros,
                            args=args)
                if gpu_trace or node_name == "RecvTensor":
                    continue
                for name in inputs:
                    if name not in tensors and name.rfind("/_") > 0:
                        name = name[:name.rfind("/_")]  # a Send/Recv pair's: the sender's
                    tensor = tensors.get(name)
                    if tensor is None:  # a control input, or a node with no stats
                        logging.vlog(1, "Can't find tensor %s - removed by CSE?", name)
                        continue
                    tensor.last_unref = max(tensor.last_unref, end - 1)
                    made, made_pid, made_tid = flow_starts[name]
                    if show_dataflow and (made_pid != pid or made_tid != tid):
                        trace.event("s", "DataFlow", name, made_pid, made_tid, made, id=flow_id)
                        trace.event("t", "DataFlow", name, pid, tid, start, id=flow_id)
                        flow_id += 1

        maximums = _memory(trace, tensors) if show_memory else {}
        return StepStatsAnalysis(chrome_trace=trace, allocator_maximums=maximums)


def _memory(trace: ChromeTrace, tensors: dict) -> dict:
    """Deletes each tensor at its last use and adds each allocator's bytes-in-use counter;
    returns each allocator's AllocationMaximum."""
    changes: dict[str, list] = {}
    for name, tensor in tensors.items():
        trace.event("D", "Tensor", name, tensor.pid, 0, tensor.last_unref, id=tensor.object_id)
        changes.setdefault(tensor.allocator, []).extend(
            [(tensor.create_time, tensor.num_bytes, name),
             (tensor.last_unref, -tensor.num_bytes, name)])
    maximums = {}
    for allocator, events in changes.items():
        total, live = 0, set()
        maximums[allocator] = AllocationMaximum(timestamp=0, num_bytes=0, tensors=set())
        for ts, num_bytes, name in sorted(events):
            total += num_bytes
            if num_bytes < 0:
                live.discard(name)
            else:
                live.add(name)
            if total > maximums[allocator].num_bytes:
                maximums[allocator] = AllocationMaximum(ts, total, set(live))
            trace.event("C", "Memory", allocator, 0, 0, ts, args={allocator: total})
    return maximums


# ``tf.client.timeline`` (TF1's import path: ``from tensorflow.python.client import timeline``
# becomes ``from minitf.client import timeline``). A module, not a package: one file.
client = types.ModuleType(__name__.rpartition(".")[0] + ".client",
                          "TF1's ``tensorflow.python.client``: ``timeline``.")
client.timeline = sys.modules[__name__]
client.__all__ = ["timeline"]
sys.modules[client.__name__] = client
sys.modules[client.__name__ + ".timeline"] = sys.modules[__name__]
