"""``minitf.client.timeline`` (TF1's ``tensorflow.python.client.timeline``) and
``tf.train.ProfilerHook``.

TF-free tests parse the JSON and check the events against hand-built StepStats whose lanes,
flows, tensor lifetimes and memory counters are worked out by hand below, and against the stats
of real traced runs; ProfilerHook's files and event-file records are checked per step in a
MonitoredSession. Side-by-side tests hand the same StepStats (serialized, parsed into TF's
class) to TF's Timeline and to ours and compare the parsed JSON exactly, for every
show_dataflow / show_memory / op_time combination; and run TF's ProfilerHook and ours over the
same schedule.
"""

from __future__ import annotations

import itertools
import json
import os

import numpy as np
import pytest

import minitf as tf
from minitf.export.events import summary_iterator
from minitf.protos import config_pb2, step_stats_pb2

CPU = "/job:localhost/replica:0/task:0/device:CPU:0"
GPU = "/job:localhost/replica:0/task:0/device:GPU:0"
STREAM = "/device:GPU:0/stream:all"
COMBOS = list(itertools.product([True, False], [True, False]))


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default() as g:
        yield g
    tf.summary.FileWriterCache.clear()


def node(dev, name, start, dur, label, outputs=(), allocator="cpu"):
    ns = dev.node_stats.add(node_name=name, all_start_micros=start, all_end_rel_micros=dur,
                            timeline_label=label, thread_id=77)
    for k, nbytes in enumerate(outputs):
        out = ns.output.add(slot=k)
        out.tensor_description.dtype = 1
        out.tensor_description.shape.dim.add(size=nbytes // 4)
        desc = out.tensor_description.allocation_description
        desc.requested_bytes, desc.allocator_name = nbytes, allocator
    return ns


def two_devices():
    """a (0..) and b (overlapping it: a second lane) feed c on the CPU; c (through a Recv's
    name, c/_3) and b feed d on the GPU."""
    stats = step_stats_pb2.StepStats()
    cpu = stats.dev_stats.add(device=CPU)
    node(cpu, "a", 100, 10, "a = Const()", [16])
    node(cpu, "b", 105, 20, "b = Split(a)", [8, 4])
    node(cpu, "c", 130, 5, "c = Add(a, b:1, ^b)", [4])
    gpu = stats.dev_stats.add(device=GPU)
    node(gpu, "d", 140, 10, "d = Mul(c/_3, b)", [4], allocator="gpu")
    return stats


def events(step_stats, **kw):
    text = tf.timeline.Timeline(step_stats).generate_chrome_trace_format(**kw)
    return json.loads(text)["traceEvents"]


def of(evs, ph):
    return [e for e in evs if e["ph"] == ph]


def test_import_paths():
    from minitf.client import timeline

    import minitf.client.timeline as timeline2

    assert timeline is timeline2 is tf.timeline is tf.client.timeline
    assert timeline.Timeline.__module__ == "minitf.timeline"


def test_processes_ops_and_lanes():
    evs = events(two_devices(), show_dataflow=False)
    assert of(evs, "M") == [
        {"name": "process_name", "ph": "M", "pid": pid, "args": {"name": name}}
        for pid, name in [(0, "Allocators"), (1, CPU + " Compute"), (2, CPU + " Tensors"),
                          (3, GPU + " Compute"), (4, GPU + " Tensors")]]
    ops = of(evs, "X")
    assert [(e["name"], e["pid"], e["tid"], e["ts"], e["dur"], e["cat"]) for e in ops] == [
        ("Const", 1, 0, 100, 10, "Op"), ("Split", 1, 1, 105, 20, "Op"),
        ("Add", 1, 0, 130, 5, "Op"), ("Mul", 3, 0, 140, 10, "Op")]
    assert ops[2]["args"] == {"name": "c", "op": "Add", "input0": "a", "input1": "b:1",
                              "input2": "^b"}
    assert ops[0]["args"] == {"name": "a", "op": "Const"}
    assert len(evs) == 5 + 4  # no flows, no memory events


def test_flows_pair_producers_and_consumers_across_lanes_and_devices():
    flows = [e for e in events(two_devices()) if e["ph"] in "st"]
    # b (lane 1) reads a (lane 0); c reads a on its own lane (no arrow) and b:1 from lane 1;
    # d reads c (named c/_3: the Recv suffix is dropped) and b on another device. An arrow
    # starts at the producer's end and ends at the consumer's start.
    assert [(e["ph"], e["id"], e["name"], e["pid"], e["tid"], e["ts"]) for e in flows] == [
        ("s", 0, "a", 1, 0, 110), ("t", 0, "a", 1, 1, 105),
        ("s", 1, "b:1", 1, 1, 125), ("t", 1, "b:1", 1, 0, 130),
        ("s", 2, "c", 1, 0, 135), ("t", 2, "c", 3, 0, 140),
        ("s", 3, "b", 1, 1, 125), ("t", 3, "b", 3, 0, 140)]
    assert {e["cat"] for e in flows} == {"DataFlow"}
    assert not [e for e in events(two_devices(), show_dataflow=False) if e["ph"] in "st"]


def test_memory_objects_counters_and_maximums():
    stats = two_devices()
    evs = events(stats, show_dataflow=False, show_memory=True)
    created = [(e["name"], e["id"], e["pid"], e["tid"], e["ts"]) for e in of(evs, "N")]
    assert created == [("a", 0, 2, 0, 100), ("b", 1, 2, 1, 105), ("b:1", 2, 2, 1, 105),
                       ("c", 3, 2, 0, 130), ("d", 4, 4, 0, 140)]
    snaps = of(evs, "O")
    assert [(e["name"], e["ts"]) for e in snaps] == [("a", 109), ("b", 124), ("b:1", 124),
                                                     ("c", 134), ("d", 149)]
    desc = snaps[0]["args"]["snapshot"]["tensor_description"]
    assert "dtype: DT_FLOAT" in desc and "requested_bytes: 16" in desc
    assert "allocator_name: cpu" in desc and '"' not in desc
    # Deleted at the last use: the producer's end, or a consumer's end - 1.
    assert [(e["name"], e["ts"], e["pid"], e["tid"]) for e in of(evs, "D")] == [
        ("a", 134, 2, 0), ("b", 149, 2, 0), ("b:1", 134, 2, 0), ("c", 149, 2, 0),
        ("d", 150, 4, 0)]
    counters = [(e["name"], e["ts"], e["args"]) for e in of(evs, "C")]
    cpu = [16, 20, 28, 32, 16, 12, 4, 0]
    assert counters == [("cpu", ts, {"cpu": v}) for ts, v in zip(
        [100, 105, 105, 130, 134, 134, 149, 149], cpu)] + [
        ("gpu", 140, {"gpu": 4}), ("gpu", 150, {"gpu": 0})]
    analysis = tf.timeline.Timeline(stats).analyze_step_stats(show_memory=True)
    assert analysis.allocator_maximums == {
        "cpu": tf.timeline.AllocationMaximum(130, 32, {"a", "b", "b:1", "c"}),
        "gpu": tf.timeline.AllocationMaximum(140, 4, {"d"})}
    assert json.loads(analysis.chrome_trace.format_to_string())["traceEvents"][5:] == \
        [e for e in events(stats, show_memory=True)[5:]]


def test_stats_untouched_labels_and_bad_op_time():
    stats = two_devices()
    before = stats.SerializeToString()
    tf.timeline.Timeline(stats).generate_chrome_trace_format(show_memory=True)
    assert stats.SerializeToString() == before  # TF writes lanes into thread_id; not here
    odd = step_stats_pb2.StepStats()
    dev = odd.dev_stats.add(device=CPU)
    node(dev, "x", 1, 1, "not a label")
    node(dev, "RecvTensor", 3, 1, "RecvTensor from somewhere")
    ops = of(events(odd), "X")
    assert [e["args"] for e in ops] == [{"name": "x", "op": "unknown"},
                                        {"name": "RecvTensor", "op": "RecvTensor"}]
    with pytest.raises(ValueError, match="op_time must be one of 'schedule', 'gpu', 'all'"):
        tf.timeline.Timeline(odd).generate_chrome_trace_format(op_time="kernel")


def with_gpu_kernels():
    stats = two_devices()
    stream = stats.dev_stats.add(device=STREAM)
    node(stream, "d:Mul", 138, 4, "MulKernel @@d#id=1#")
    node(stream, "d:Mul", 146, 9, "MulKernel @@d#id=2#")
    node(stream, "b:Split", 107, 2, "no annotation")
    return stats


def test_op_time_stretches_ops_over_their_kernels():
    ops = {(e["pid"], e["args"]["name"]): (e["ts"], e["dur"])
           for e in of(events(with_gpu_kernels(), op_time="schedule"), "X")}
    assert ops[(3, "d")] == (140, 10) and ops[(1, "b")] == (105, 20)
    assert ops[(5, "d")] == (146, 9)  # the kernels: named after the annotated node
    assert of(events(with_gpu_kernels()), "X")[-1]["args"] == {"name": "b", "op": "Split"}
    for op_time, d, b in [("all", (140, 15), (105, 20)), ("gpu", (138, 17), (107, 18))]:
        ops = {(e["pid"], e["args"]["name"]): (e["ts"], e["dur"])
               for e in of(events(with_gpu_kernels(), op_time=op_time), "X")}
        # From its start ("all") or its first kernel's ("gpu") to the later of its end and
        # its last kernel's end.
        assert ops[(3, "d")] == d
        assert ops[(1, "b")] == b


def traced_run():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.constant(np.ones((3, 2), np.float32), name="w")
    a, b = tf.split(tf.matmul(x, w, name="y"), 2, axis=1, name="sp")
    s = tf.reduce_sum(tf.nn.relu(a + b + 1.0), name="s")
    rm = tf.RunMetadata()
    with tf.Session() as sess:
        sess.run(s, {x: np.ones((4, 3), np.float32)},
                 options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE), run_metadata=rm)
    return rm


def test_a_traced_runs_events_are_its_stats():
    rm = traced_run()
    (dev,) = rm.step_stats.dev_stats
    evs = events(rm.step_stats, show_memory=True)
    ops = of(evs, "X")
    assert [(e["args"]["name"], e["ts"], e["dur"], e["pid"]) for e in ops] == [
        (n.node_name, n.all_start_micros, n.all_end_rel_micros, 1) for n in dev.node_stats]
    assert [e["name"] for e in ops] == [n.timeline_label.split(" = ")[1].split("(")[0]
                                        for n in dev.node_stats]
    assert {"sp", "sp:1", "y", "s"} <= {e["name"] for e in of(evs, "N")}
    made = {e["name"]: e for e in of(evs, "N")}
    assert len(made) == sum(len(n.output) for n in dev.node_stats)
    starts, ends = of(evs, "s"), of(evs, "t")
    assert [e["id"] for e in starts] == [e["id"] for e in ends] == list(range(len(starts)))
    for s, t in zip(starts, ends):  # each arrow: the producer's end to a consumer's start
        producer = next(n for n in dev.node_stats if n.node_name == s["name"].split(":")[0])
        assert s["ts"] == producer.all_start_micros + producer.all_end_rel_micros
        assert any(e["ts"] == t["ts"] and s["name"] in e["args"].values() for e in ops)


def test_profiler_hook_arguments(tmp_path):
    with pytest.raises(ValueError, match="Either every_secs or every_steps should be provided"):
        tf.train.ProfilerHook()
    with pytest.raises(ValueError, match="Can not provide both every_secs and every_steps"):
        tf.train.ProfilerHook(save_steps=1, save_secs=1)
    with pytest.raises(RuntimeError, match="Global step should be created to use ProfilerHook"):
        tf.train.ProfilerHook(save_steps=1, output_dir=str(tmp_path)).begin()


def run_with_profiler(tmp_path, runs, **kw):
    step = tf.train.get_or_create_global_step()
    w = tf.Variable(np.arange(6, dtype=np.float32), name="w")
    loss = tf.reduce_sum(tf.square(w), name="loss")
    with tf.control_dependencies([loss]):
        train = tf.assign_add(step, 1, name="train/AssignAdd")
    with tf.train.MonitoredSession(hooks=[tf.train.ProfilerHook(**kw)]) as sess:
        for _ in range(runs):
            sess.run(train)
    tf.summary.FileWriterCache.clear()
    files = sorted(f for f in os.listdir(kw.get("output_dir") or tmp_path)
                   if f.startswith("timeline-"))
    return files


def run_metadata_records(directory):
    (path,) = [os.path.join(directory, f) for f in os.listdir(directory) if ".tfevents." in f]
    return [(e.tagged_run_metadata.tag, config_pb2.RunMetadata.FromString(
        e.tagged_run_metadata.run_metadata)) for e in summary_iterator(path)
        if e.HasField("tagged_run_metadata")]


def test_profiler_hook_traces_every_n_steps(tmp_path):
    out = str(tmp_path / "prof")
    files = run_with_profiler(tmp_path, 7, save_steps=2, output_dir=out, show_memory=True)
    # TF's schedule: the first run starts the timer (at step 0); then runs reaching steps
    # 2, 4, 6 are traced and named after the step read after them.
    assert files == ["timeline-2.json", "timeline-4.json", "timeline-6.json"]
    records = run_metadata_records(out)
    assert [tag for tag, _ in records] == ["step_2", "step_4", "step_6"]
    for name, (_, rm) in zip(files, records):
        with open(os.path.join(out, name)) as f:
            written = json.load(f)
        # The file is the recorded stats' trace, with memory as asked.
        assert written == json.loads(tf.timeline.Timeline(rm.step_stats)
                                     .generate_chrome_trace_format(show_memory=True))
        assert {"loss", "train/AssignAdd"} <= {e["args"]["name"]
                                               for e in of(written["traceEvents"], "X")}
        assert of(written["traceEvents"], "C")


def test_profiler_hook_every_run_and_into_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_with_profiler(tmp_path, 4, save_steps=1) == [
        "timeline-2.json", "timeline-3.json", "timeline-4.json"]
    assert [tag for tag, _ in run_metadata_records(tmp_path)] == ["step_2", "step_3", "step_4"]
    with open(tmp_path / "timeline-3.json") as f:
        assert not of(json.load(f)["traceEvents"], "C")  # show_memory=False


def test_profiler_hook_by_seconds(tmp_path):
    out = str(tmp_path)
    assert run_with_profiler(tmp_path, 3, save_secs=0, output_dir=out) == [
        "timeline-2.json", "timeline-3.json"]
    with tf.Graph().as_default():
        assert run_with_profiler(tmp_path, 3, save_secs=3600,
                                 output_dir=str(tmp_path / "x")) == []


# -- side by side with TensorFlow ------------------------------------------------------------

def tf_events(tl_module, step_stats, **kw):
    return json.loads(tl_module.Timeline(step_stats).generate_chrome_trace_format(**kw))


@pytest.mark.parametrize("build", [two_devices, with_gpu_kernels, traced_run])
def test_same_trace_as_tensorflow(build):
    pytest.importorskip("tensorflow.compat.v1")
    from tensorflow.core.framework import step_stats_pb2 as tf_step_stats_pb2
    from tensorflow.python.client import timeline as tf_timeline

    stats = build()
    stats = stats.step_stats if hasattr(stats, "step_stats") else stats
    theirs = tf_step_stats_pb2.StepStats.FromString(stats.SerializeToString())
    for (dataflow, memory), op_time in itertools.product(COMBOS, ["schedule", "gpu", "all"]):
        kw = dict(show_dataflow=dataflow, show_memory=memory, op_time=op_time)
        ours = tf_events(tf.timeline, stats, **kw)
        assert ours == tf_events(tf_timeline, theirs, **kw), kw
        assert len(ours["traceEvents"]) > 4
    ours = tf.timeline.Timeline(stats).analyze_step_stats()
    tf_stats = tf_step_stats_pb2.StepStats.FromString(stats.SerializeToString())
    expected = tf_timeline.Timeline(tf_stats).analyze_step_stats()
    assert ours.allocator_maximums == expected.allocator_maximums
    assert json.loads(ours.chrome_trace.format_to_string()) == \
        json.loads(expected.chrome_trace.format_to_string())


def test_profiler_hook_schedule_as_tensorflows(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def tf_run(out, runs, **kw):
        with tf1.Graph().as_default():
            step = tf1.train.get_or_create_global_step()
            train = tf1.assign_add(step, 1)
            with tf1.train.MonitoredSession(hooks=[tf1.train.ProfilerHook(
                    output_dir=out, **kw)]) as sess:
                for _ in range(runs):
                    sess.run(train)
        tf1.summary.FileWriterCache.clear()
        tags = [e.tagged_run_metadata.tag for f in os.listdir(out) if ".tfevents." in f
                for e in tf1.train.summary_iterator(os.path.join(out, f))
                if e.HasField("tagged_run_metadata")]
        return sorted(f for f in os.listdir(out) if f.startswith("timeline-")), tags

    for i, kw in enumerate([dict(save_steps=2), dict(save_steps=3), dict(save_steps=1),
                            dict(save_secs=0)]):
        theirs = tf_run(str(tmp_path / f"tf{i}"), 7, **kw)
        out = str(tmp_path / f"ours{i}")
        with tf.Graph().as_default():
            files = run_with_profiler(tmp_path, 7, output_dir=out, **kw)
        assert (files, [t for t, _ in run_metadata_records(out)]) == theirs, kw
