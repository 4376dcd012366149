"""The parts of ``tf.test`` beyond TestCase and gradient checks: TF's benchmark harness
(``Benchmark``, ``benchmark_config``), googletest's ``StubOutForTesting`` and
``assert_equal_graph_def`` with TF's node summaries. core/test.py re-exports them."""

from __future__ import annotations

import inspect
import math
import re
import time

from .session import get_default_session

__all__ = ["Benchmark", "StubOutForTesting", "assert_equal_graph_def", "benchmark_config"]


def benchmark_config():
    """TF's benchmark ConfigProto: Grappler's dependency optimization OFF. minitf's ConfigProto
    declares no graph_options (minitf has no Grappler), so the setting is carried as TF's wire
    bytes (ConfigProto.graph_options.rewrite_options.dependency_optimization = OFF), kept as
    an unknown field and written back unchanged for TF to read."""
    from . import ConfigProto  # imported on first use (core/_protos.py)
    from ._wire import length_delimited, uint

    off = uint(8, 2)  # RewriterConfig.dependency_optimization = 8, Toggle.OFF = 2
    return ConfigProto.FromString(length_delimited(10, length_delimited(10, off)))


class StubOutForTesting:
    """Replaces attributes for a test and puts them back on ``CleanUp`` (or on leaving a
    ``with`` block): ``Set`` on the object given, ``SmartSet`` on the class in the MRO that
    defines the attribute (TF's googletest helper)."""

    def __init__(self):
        self.cache, self.stubs = [], []

    def __del__(self):
        self.CleanUp()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, tb):
        self.CleanUp()

    def CleanUp(self):  # noqa: N802 - TF's names
        self.SmartUnsetAll()
        self.UnsetAll()

    def SmartSet(self, obj, attr_name, new_attr):  # noqa: N802
        if inspect.ismodule(obj) or (not inspect.isclass(obj) and attr_name in obj.__dict__):
            orig_obj, orig_attr = obj, getattr(obj, attr_name)
        else:
            mro = list(inspect.getmro(obj if inspect.isclass(obj) else type(obj)))[::-1]
            found = False
            for cls in mro:
                try:
                    orig_obj, orig_attr = cls, getattr(obj, attr_name)
                    found = True
                except AttributeError:
                    continue
            if not found:
                raise AttributeError("Attribute not found.")
        if isinstance(obj.__dict__.get(attr_name), staticmethod):
            orig_attr = staticmethod(orig_attr)
        self.stubs.append((orig_obj, attr_name, orig_attr))
        setattr(orig_obj, attr_name, new_attr)

    def SmartUnsetAll(self):  # noqa: N802
        for args in reversed(self.stubs):
            setattr(*args)
        self.stubs = []

    def Set(self, parent, child_name, new_child):  # noqa: N802
        old_child = getattr(parent, child_name)
        if isinstance(parent.__dict__.get(child_name), staticmethod):
            old_child = staticmethod(old_child)
        self.cache.append((parent, old_child, child_name))
        setattr(parent, child_name, new_child)

    def UnsetAll(self):  # noqa: N802
        for parent, old_child, child_name in reversed(self.cache):
            setattr(parent, child_name, old_child)
        self.cache = []


class Benchmark:
    """TF's ``tf.test.Benchmark``: ``report_benchmark`` logs one line per result (TF's format;
    TF also prints a BenchmarkEntries proto, or writes it under $TEST_REPORT_FILE_PREFIX, which
    minitf does not), ``run_op_benchmark`` times ``sess.run`` and reports the median."""

    @classmethod
    def is_abstract(cls):
        return len(cls.mro()) <= 2

    def _get_name(self, overwrite_name=None):
        for frame in inspect.stack()[::-1]:  # the outermost method of a Benchmark on the stack
            if isinstance(frame[0].f_locals.get("self"), Benchmark):
                cls_name = type(frame[0].f_locals["self"]).__name__
                return f"{cls_name}.{overwrite_name or frame[3]}"
        raise ValueError("Unable to determine calling Benchmark class.")

    def report_benchmark(self, iters=None, cpu_time=None, wall_time=None, throughput=None,
                         extras=None, name=None, metrics=None):
        from .tf_logging import info

        name = self._get_name(overwrite_name=name)
        if extras is not None and not isinstance(extras, dict):
            raise TypeError("extras must be a dict")
        if metrics is not None:
            if not isinstance(metrics, list):
                raise TypeError("metrics must be a list")
            for metric in metrics:
                for field in ("name", "value"):
                    if field not in metric:
                        raise TypeError(f"metric must has a '{field}' field")
        info("Benchmark [%s] iters: %d, wall_time: %g, cpu_time: %g,throughput: %g, extras: "
             "%s, metrics: %s", name, -1 if iters is None else iters,
             -1 if wall_time is None else wall_time, -1 if cpu_time is None else cpu_time,
             -1 if throughput is None else throughput, str(extras) if extras else "None",
             str(metrics) if metrics else "None")

    def run_op_benchmark(self, sess, op_or_tensor, feed_dict=None, burn_iters=2, min_iters=10,
                         store_trace=False, store_memory_usage=True, name=None, extras=None,
                         mbs=0):
        """Runs ``burn_iters`` untimed then ``min_iters`` timed; reports and returns
        {iters, wall_time (median s), extras (+ wall_time_mean / _stdev), name, throughput}.
        ``store_trace`` is refused: TF turns a traced run's step stats into a Chrome trace with
        its ``timeline`` module, which minitf lacks. ``store_memory_usage`` adds no allocator
        extras."""
        if store_trace:
            from .errors import UnimplementedError
            raise UnimplementedError(None, None, "run_op_benchmark(store_trace=True): minitf "
                                     "has no timeline module to make a Chrome trace of the "
                                     "run's step stats")
        for _ in range(burn_iters):
            sess.run(op_or_tensor, feed_dict=feed_dict)
        deltas = []
        for _ in range(min_iters):
            start = time.time()
            sess.run(op_or_tensor, feed_dict=feed_dict)
            deltas.append(time.time() - start)
        ordered, n = sorted(deltas), len(deltas)
        median = (ordered[n // 2] + ordered[(n - 1) // 2]) / 2.0 if n else -1
        values = {"iters": min_iters, "wall_time": median,
                  "extras": extras if extras is not None else {}, "name": name,
                  "throughput": mbs / median}
        self.report_benchmark(**values)
        mean = sum(deltas) / n if n else -1
        stdev = (math.sqrt(sum((d - mean) ** 2 for d in deltas) / (n - 1)) if n > 1 else -1)
        values["extras"].update(wall_time_mean=mean, wall_time_stdev=stdev)
        return values

    def evaluate(self, tensors):
        """``tensors`` run in the default session (TF's Benchmark has no session of its own:
        without one it fails too)."""
        sess = get_default_session()
        if sess is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute "
                                 "'cached_session': Benchmark.evaluate needs a default session "
                                 "(`with tf.Session().as_default():`)")
        return sess.run(tensors)


def _strip_randomized(graph_def, checkpoint_v2, hash_table_shared_name):
    for node in graph_def.node:
        for key in list(node.attr):
            value = node.attr[key]
            if checkpoint_v2 and value.HasField("tensor") and len(value.tensor.string_val) == 1:
                s = value.tensor.string_val[0]
                if s and re.match(rb"_temp_[0-9a-z]{32}/part", s):
                    del node.attr[key]
            if (hash_table_shared_name and key == "shared_name" and node.op == "HashTableV2"
                    and re.match(rb"hash_table_[0-9a-z\-]+", value.s)):
                del node.attr[key]


_DT_NAMES = {1: "DT_FLOAT", 2: "DT_DOUBLE", 3: "DT_INT32", 4: "DT_UINT8", 5: "DT_INT16",
             6: "DT_INT8", 7: "DT_STRING", 8: "DT_COMPLEX64", 9: "DT_INT64", 10: "DT_BOOL",
             14: "DT_BFLOAT16", 17: "DT_UINT16", 18: "DT_COMPLEX128", 19: "DT_HALF",
             20: "DT_RESOURCE", 21: "DT_VARIANT", 22: "DT_UINT32", 23: "DT_UINT64"}


def _summarize_attr(v) -> str:
    """TF's SummarizeAttrValue for the common kinds (a tensor is summarized by its type)."""
    kind = v.WhichOneof("value")
    if kind == "type":
        return _DT_NAMES.get(v.type, str(v.type))
    if kind in ("i", "f"):
        return f"{getattr(v, kind):g}" if kind == "f" else str(v.i)
    if kind == "b":
        return "true" if v.b else "false"
    if kind == "s":
        return '"' + v.s.decode("utf-8", "backslashreplace") + '"'
    if kind == "shape":
        if v.shape.unknown_rank:
            return "<unknown>"
        return "[" + ",".join("?" if d.size < 0 else str(d.size) for d in v.shape.dim) + "]"
    if kind == "list":
        items = ([_DT_NAMES.get(t, str(t)) for t in v.list.type] + [str(i) for i in v.list.i]
                 + [f"{f:g}" for f in v.list.f] + ['"' + x.decode() + '"' for x in v.list.s])
        return "[" + ", ".join(items) + "]"
    if kind == "tensor":
        return f"Tensor<type: {_DT_NAMES.get(v.tensor.dtype, '?')[3:].lower()}>"
    return str(v).strip()


def _summarize_node(n) -> str:
    """TF's SummarizeNodeDef: ``{{node NAME}} = OP[attrs](inputs)``."""
    attrs = [f"{k}={_summarize_attr(n.attr[k])}" for k in sorted(n.attr)]
    if n.device:
        attrs.append(f'_device="{n.device}"')
    return f"{{{{node {n.name}}}}} = {n.op}[{', '.join(attrs)}]({', '.join(n.input)})"


def _node_diff(a, e):
    """TF's EqualNodeDef message for the first difference of two same-named nodes, or ''."""
    head = f"Node named '{a.name}' has"
    if a.op != e.op:
        return f"{head} op '{a.op}' that is not expected '{e.op}'"
    if a.device != e.device:
        return f"{head} device '{a.device}' that is not expected '{e.device}'"
    if len(a.input) != len(e.input):
        return (f"{head} inputs '{', '.join(a.input)}' that don't match expected "
                f"'{', '.join(e.input)}'")
    first_control = next((i for i, x in enumerate(e.input) if x.startswith("^")), len(e.input))
    for i in range(first_control):
        if a.input[i] != e.input[i]:
            return f"{head} input {i} '{a.input[i]}' that doesn't match expected '{e.input[i]}'"
    a_ctl, e_ctl = set(a.input[first_control:]), set(e.input[first_control:])
    for x in sorted(e_ctl - a_ctl):
        return f"Node named '{a.name}' missing expected control input '{x}'"
    for x in sorted(a_ctl - e_ctl):
        return f"{head} unexpected control input '{x}'"
    for key in sorted(a.attr):
        if key.startswith("_"):
            continue
        if key not in e.attr:
            return f"{head} unexpected attr '{key}' with value: {_summarize_attr(a.attr[key])}"
        if (a.attr[key].SerializeToString(deterministic=True)
                != e.attr[key].SerializeToString(deterministic=True)):
            return (f"{head} attr '{key}' with value: {_summarize_attr(a.attr[key])} that does "
                    f"not match expected: {_summarize_attr(e.attr[key])}")
    for key in sorted(e.attr):
        if not key.startswith("_") and key not in a.attr:
            return (f"Node named '{a.name}' missing expected attr '{key}' with value: "
                    f"{_summarize_attr(e.attr[key])}")
    return ""


def assert_equal_graph_def(actual, expected, checkpoint_v2=False, hash_table_shared_name=False):
    """AssertionError naming the first difference between two GraphDefs (minitf's or TF's),
    compared as TF does: nodes matched by name in any order, then op, device, data inputs in
    order, control inputs as a set and attrs (those starting with '_' ignored); versions and
    the function library are not compared. ``checkpoint_v2`` / ``hash_table_shared_name`` drop
    the randomized save-path and table-name attrs first (from both protos, as TF)."""
    for what, g in (("actual", actual), ("expected", expected)):
        if type(g).__name__ != "GraphDef" or not hasattr(g, "node"):
            raise TypeError(f"Expected tf.GraphDef for {what}, got {type(g).__name__}")
    if checkpoint_v2 or hash_table_shared_name:
        for g in (actual, expected):
            _strip_randomized(g, checkpoint_v2, hash_table_shared_name)
    index = {n.name: n for n in actual.node}
    for e in expected.node:
        a = index.pop(e.name, None)
        if a is None:
            raise AssertionError(f"Did not find expected node '{_summarize_node(e)}'")
        diff = _node_diff(a, e)
        if diff:
            raise AssertionError(diff)
    if index:
        a = next(iter(index.values()))
        raise AssertionError(f"Found unexpected node '{_summarize_node(a)}'")
