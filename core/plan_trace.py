"""A traced run of a plan: TF1's ``RunOptions(trace_level=SOFTWARE_TRACE / FULL_TRACE)``,
which fills ``RunMetadata.step_stats`` (and ``partition_graphs`` when
``output_partition_graphs`` is set).

Tracing costs the normal run path nothing: ``Plan.run`` is never told about it. A traced run
rebuilds the plan's steps once for that run, each kernel wrapped in a timer that keeps its
result (core/plan_compile.py leaves on each step what it was bound from: ``step.bound`` and
``_unless_dead``'s ``step.guard``), and runs a shallow copy of the plan holding those steps, so
the checks and copies of ``Plan.run`` are the very same code.

What is recorded, per executed node, as TF's executor does (tensorflow/core/common_runtime/
step_stats_collector.cc): the node's start (``all_start``, wall clock), the kernel's start and
end and the node's end relative to it (the difference is reading inputs, writing outputs and
freeing dead slots), when it became ready (``scheduled``: the previous step's end, as steps run
one after another on one thread), the thread, ``timeline_label`` ("name = Type(inputs)"), and
per output its dtype, shape and AllocationDescription. ``requested_bytes`` is the array's
``nbytes``; an output the kernel allocated (a fresh array, not a view of, or one of, its inputs,
nor a variable's or constant's memory) also has ``allocated_bytes``, an allocation id and a
``memory`` entry (AllocatorMemoryUsed) whose records show the allocation and, once the plan
frees that slot, the deallocation. ``memory_stats`` is set on every node, with
``persistent_memory_size`` for constants, as TF does.

Where minitf's executor differs from TF's, the stats say what minitf did: constants folded at
compile time are reported as TF reports the Const nodes its own constant folding leaves (zero
duration, at the start of the run; only those a step or a fetch reads); Identity ops aliased to
their input, and variable reads served straight from the variable, run no step and get no
stats; a while loop is one step (node name: the loop's frame, type While); TF's own rewrites
(``_SOURCE``, ``_arg_*``, ``_retval_*`` nodes, ``_MklMatMul``) have no counterpart.
"""

from __future__ import annotations

import copy
import threading
import time
import warnings
from time import perf_counter_ns

import numpy as np

from .dtypes import from_numpy
from .graph import Operation
from .plan_codegen import _make_step, _unless_dead

DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"  # TF's name for the host CPU
ALLOCATOR = "cpu"  # TF's CPU allocator (a oneDNN build of TF says "mklcpu")
TRACE_LEVELS = (1, 2, 3)  # SOFTWARE_TRACE, HARDWARE_TRACE, FULL_TRACE: the same on a CPU

# The timer calls ufunc kernels the generated steps would call: numpy's float warnings (inf,
# nan: TF's results too) are silenced here as they are for those steps (core/plan_codegen.py).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__ + "$")


def trace_level(options) -> int:
    """``options.trace_level`` (a RunOptions of minitf or of TF, read duck-typed), else 0."""
    return int(getattr(options, "trace_level", 0) or 0) if options is not None else 0


class _Record:
    """One executed step: times in perf_counter nanoseconds, the kernel's outputs."""

    __slots__ = ("op", "start", "op_start", "op_end", "end", "scheduled", "values",
                 "allocated", "frees", "thread")

    def __init__(self, op):
        self.op = op
        self.op_start = None  # stays None when the step did not run its kernel (dead input)
        self.allocated = ()
        self.frees = []  # (perf ns, -bytes): this node's allocations freed later in the run


class Trace:
    """The traced variant of one plan for one run: ``plan`` runs like the original and records
    into this object; ``fill`` writes the records into a RunMetadata."""

    def __init__(self, plan):
        self.source = plan
        self.records: list[_Record] = []
        self._alloc_of: dict[int, tuple] = {}  # slot -> (record, bytes) of a live allocation
        self._next_id = 1
        self.plan = traced = copy.copy(plan)
        traced._steps = [self._traced_step(step) for step in plan._steps]
        self.wall0, self.perf0 = time.time_ns(), perf_counter_ns()

    # -- recording -------------------------------------------------------------------------------
    def _traced_step(self, step):
        rec = _Record(step.op)
        guard = getattr(step, "guard", None)
        inner = guard[0] if guard is not None else step
        kernel, pre, argspec, outs, kw, free = inner.bound

        def timed(*args, **kwargs):
            rec.op_start = perf_counter_ns()
            result = kernel(*args, **kwargs)
            rec.op_end = perf_counter_ns()
            rec.values = (result,) if len(outs) == 1 else tuple(result) if outs else ()
            rec.allocated = self._allocations(rec, args)
            return result

        rebuilt = _make_step(timed, pre, argspec, outs, kw, free)
        if guard is not None:
            rebuilt.op = step.op
            rebuilt = _unless_dead(rebuilt, *guard[1:])
        records, alloc_of = self.records, self._alloc_of

        def traced(s):
            rec.scheduled = records[-1].end if records else self.perf0
            rec.start = perf_counter_ns()
            rebuilt(s)
            rec.end = end = perf_counter_ns()
            rec.thread = threading.get_native_id()
            if rec.op_start is None:
                return
            records.append(rec)
            for k, nbytes in rec.allocated:
                alloc_of[outs[k]] = (rec, nbytes)
            for i in free:
                owner = alloc_of.pop(i, None)
                if owner is not None:
                    owner[0].frees.append((end, -owner[1]))

        traced.op = step.op
        return traced

    def _allocations(self, rec, args) -> tuple:
        """(output index, bytes) of the outputs the kernel allocated."""
        if rec.op._opdef.resource == "variable":
            return ()  # a variable's own memory
        found = []
        for k, v in enumerate(rec.values):
            if isinstance(v, np.generic) or (
                    type(v) is np.ndarray and v.base is None and v.flags.writeable
                    and not any(v is a for a in args)):
                found.append((k, v.nbytes))
        return tuple(found)

    # -- writing the RunMetadata -----------------------------------------------------------------
    def _wall(self, perf_ns: int) -> int:
        return self.wall0 + (perf_ns - self.perf0)

    def fill(self, run_metadata) -> None:
        """Appends this run's DeviceStepStats to ``run_metadata.step_stats`` (minitf's or TF's
        RunMetadata: only the message API is used)."""
        dev = run_metadata.step_stats.dev_stats.add()
        dev.device = DEVICE
        self._fill_folded(dev)
        alloc_id = 1
        for rec in self.records:
            stats = dev.node_stats.add()
            _times(stats, self._wall(rec.start), self._wall(rec.scheduled),
                   rec.op_start - rec.start, rec.op_end - rec.start, rec.end - rec.start)
            stats.thread_id = rec.thread & 0xFFFFFFFF
            stats.node_name = rec.op.name
            stats.timeline_label = _label(rec.op)
            stats.memory_stats.SetInParent()
            allocated = dict(rec.allocated)
            for k, v in enumerate(rec.values[:len(rec.op._outputs)]):
                desc = _output(stats, k, v)
                if desc is not None and k in allocated:
                    desc.allocated_bytes = allocated[k]
                    desc.allocation_id = alloc_id
                    alloc_id += 1
            if allocated:
                total = sum(allocated.values())
                memory = stats.memory.add()
                memory.allocator_name = ALLOCATOR
                memory.total_bytes = memory.peak_bytes = total
                memory.live_bytes = total + sum(b for t, b in rec.frees if t <= rec.op_end)
                memory.allocation_records.add(
                    alloc_micros=self._wall(rec.op_end) // 1000, alloc_bytes=total)
                for t, b in rec.frees:
                    memory.allocation_records.add(alloc_micros=self._wall(t) // 1000,
                                                  alloc_bytes=b)

    def _fill_folded(self, dev) -> None:
        """The folded constants a step or a fetch reads, as TF's Const nodes."""
        plan = self.source
        read = set(plan._fetch_slots)
        for step in plan._steps:
            read.update(_slots_read(step.bound[2] if hasattr(step, "bound")
                                    else step.guard[0].bound[2]))
        start = self._wall(self.perf0)
        for op, slots in zip(plan._folded, plan._folded_slots):
            if not read.intersection(slots):
                continue
            stats = dev.node_stats.add()
            _times(stats, start, start, 0, 0, 0)
            stats.thread_id = threading.get_native_id() & 0xFFFFFFFF
            stats.node_name = op.name
            stats.timeline_label = f"{op.name} = Const()"
            persistent = 0
            for k, i in enumerate(slots):
                desc = _output(stats, k, plan._initial[i])
                persistent += desc.requested_bytes if desc is not None else 0
            stats.memory_stats.persistent_memory_size = persistent


def _times(stats, start_ns, scheduled_ns, op_start, op_end, end) -> None:
    stats.all_start_nanos, stats.all_start_micros = start_ns, start_ns // 1000
    stats.scheduled_nanos, stats.scheduled_micros = scheduled_ns, scheduled_ns // 1000
    stats.op_start_rel_nanos, stats.op_start_rel_micros = op_start, op_start // 1000
    stats.op_end_rel_nanos, stats.op_end_rel_micros = op_end, op_end // 1000
    stats.all_end_rel_nanos, stats.all_end_rel_micros = end, end // 1000


def _output(stats, k: int, v):
    """Adds NodeOutput ``k`` describing ``v``; returns its AllocationDescription (None for a
    value that is not an array: a dead value, a queue or a TensorArray handle)."""
    if not isinstance(v, (np.ndarray, np.generic)):
        return None
    try:
        dtype = from_numpy(np.asarray(v)).as_datatype_enum
    except TypeError:
        return None
    out = stats.output.add()
    out.slot = k
    tensor = out.tensor_description
    tensor.dtype = dtype
    tensor.shape.SetInParent()
    for d in np.shape(v):
        tensor.shape.dim.add(size=d)
    desc = tensor.allocation_description
    desc.requested_bytes = v.nbytes
    desc.allocator_name = ALLOCATOR
    if isinstance(v, np.ndarray):
        desc.ptr = v.ctypes.data
    return desc


def _slots_read(argspec) -> set:
    read = set()
    for a in argspec:
        if isinstance(a, int):
            read.add(a)
        elif isinstance(a, list):
            read.update(a)
        elif a[0] == "deref":
            read.add(a[1])
        elif a[0] == "derefs":
            read.update(a[1])
    return read


def _label(op) -> str:
    """TF's timeline label: ``name = Type(input, input:1, ^control)``."""
    if not isinstance(op, Operation):  # a while loop's step
        return f"{op.name} = {op.type}()"
    inputs = [t._op.name if t._value_index == 0 else f"{t._op.name}:{t._value_index}"
              for t in op._inputs]
    inputs += ["^" + c.name for c in op._control_inputs]
    return f"{op.name} = {op.type}({', '.join(inputs)})"


def fill_partition_graphs(plan, run_metadata) -> None:
    """``RunOptions.output_partition_graphs``: the one (CPU) partition's GraphDef, the graph's
    nodes this plan needs (fed placeholders included), before constant folding."""
    names = {op.name for op in plan._order if isinstance(op, Operation)}
    names.update(t._op.name for t in plan.feeds)
    graph_def = plan.graph.as_graph_def()
    kept = [node for node in graph_def.node if node.name in names]
    del graph_def.node[:]
    graph_def.node.extend(kept)
    run_metadata.partition_graphs.add().MergeFromString(graph_def.SerializeToString())
