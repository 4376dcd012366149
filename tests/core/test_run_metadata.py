"""Traced runs: ``sess.run(..., options=tf.RunOptions(trace_level=FULL_TRACE),
run_metadata=rm)`` fills ``rm.step_stats`` (core/plan_trace.py), and
``output_partition_graphs`` fills ``rm.partition_graphs``.

TF-free tests check the stats against the plan that ran and against numpy: every executed node
once, times monotone and inside the run, each output's dtype, shape and bytes equal to the
value's, allocations and their frees, nothing recorded (and nothing changed on the plan) when
tracing is off. Side-by-side tests run the same graph in tf.compat.v1 (its own tf1.Graph) and
compare the structure of TF's RunMetadata with ours; the events test reads minitf's
``FileWriter.add_run_metadata`` output with TF's and TensorBoard's own readers.
"""

import time

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError
from minitf.export.events import summary_iterator
from minitf.protos import config_pb2, graph_pb2

FULL = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
CPU = "/job:localhost/replica:0/task:0/device:CPU:0"
X = np.arange(12, dtype=np.float32).reshape(4, 3) / 10 - 0.5
W = np.array([[1.0, -2.0], [0.5, 1.0], [-1.0, 0.25]], np.float32)


def dense(lib):
    """x @ w (a constant), + 1, relu, sum: no variables, so TF's graph is the same nodes."""
    x = lib.placeholder(lib.float32, [None, 3], name="x")
    w = lib.constant(W, name="w")
    y = lib.matmul(x, w, name="y")
    z = lib.nn.relu(y + 1.0, name="z")
    return x, lib.reduce_sum(z, name="s")


def traced(sess, fetches, feed_dict=None, options=FULL):
    rm = tf.RunMetadata()
    before = time.time_ns() // 1000
    out = sess.run(fetches, feed_dict, options=options, run_metadata=rm)
    after = time.time_ns() // 1000 + 1
    return out, rm, before, after


def by_name(rm) -> dict:
    (dev,) = rm.step_stats.dev_stats
    return {n.node_name: n for n in dev.node_stats}


def end_micros(stats) -> int:
    return (stats.all_start_nanos + stats.all_end_rel_nanos) // 1000


def test_full_trace_records_every_executed_node_once_with_sane_times():
    g = tf.Graph()
    with g.as_default():
        x, s = dense(tf)
    with tf.Session(graph=g) as sess:
        out, rm, before, after = traced(sess, s, {x: X})
        (plan,) = sess._plans.values()
    assert out == pytest.approx(np.maximum(X @ W + 1, 0).sum(), rel=1e-6)
    (dev,) = rm.step_stats.dev_stats
    assert dev.device == CPU
    names = [n.node_name for n in dev.node_stats]
    assert len(names) == len(set(names))
    executed = [op.name for op in plan.ops]
    assert executed == ["y", "add", "z", "s"]
    assert names == ["w", "add/y", "Const", *executed]  # folded constants first, as Const nodes
    previous_end = before
    for n in dev.node_stats:
        assert n.all_start_micros == n.all_start_nanos // 1000
        assert n.all_end_rel_micros == n.all_end_rel_nanos // 1000
        assert n.op_start_rel_micros == n.op_start_rel_nanos // 1000
        assert n.scheduled_micros == n.scheduled_nanos // 1000
        assert 0 <= n.op_start_rel_nanos <= n.op_end_rel_nanos <= n.all_end_rel_nanos
        assert before <= n.scheduled_micros <= n.all_start_micros
        assert previous_end <= n.all_start_micros  # one thread: each node after the last
        previous_end = n.all_start_micros + n.all_end_rel_micros
        assert previous_end <= after
        assert n.thread_id > 0 and n.HasField("memory_stats")
    stats = by_name(rm)
    assert stats["y"].timeline_label == "y = MatMul(x, w)"
    assert stats["add"].timeline_label == "add = AddV2(y, add/y)"
    assert stats["s"].timeline_label == "s = Sum(z, Const)"
    assert stats["w"].timeline_label == "w = Const()"
    assert not rm.partition_graphs and not rm.HasField("cost_graph")  # as TF, unless asked


def test_outputs_describe_the_values_and_their_allocations():
    g = tf.Graph()
    with g.as_default():
        x, s = dense(tf)
    with tf.Session(graph=g) as sess:
        _, rm, _, _ = traced(sess, s, {x: X})
    y = X @ W
    expected = {"w": W, "add/y": np.float32(1), "Const": np.array([0, 1], np.int32), "y": y,
                "add": y + 1, "z": np.maximum(y + 1, 0), "s": np.float32(0)}
    stats = by_name(rm)
    for name, value in expected.items():
        (out,) = stats[name].output
        desc = out.tensor_description
        assert out.slot == 0
        assert desc.dtype == tf.as_dtype(value.dtype).as_datatype_enum
        assert [d.size for d in desc.shape.dim] == list(np.shape(value))
        assert desc.allocation_description.requested_bytes == value.nbytes
        assert desc.allocation_description.allocator_name == "cpu"
    for name in ("w", "add/y", "Const"):  # constants: persistent memory, allocated by no node
        n = stats[name]
        assert n.memory_stats.persistent_memory_size == expected[name].nbytes
        assert not n.memory and not n.output[0].tensor_description.allocation_description \
            .allocated_bytes
        assert n.all_end_rel_nanos == 0
    ids = set()
    for name in ("y", "add", "z", "s"):  # numpy allocates each result afresh
        n = stats[name]
        alloc = n.output[0].tensor_description.allocation_description
        assert alloc.allocated_bytes == alloc.requested_bytes == expected[name].nbytes
        ids.add(alloc.allocation_id)
        (memory,) = n.memory
        assert memory.allocator_name == "cpu"
        assert memory.total_bytes == memory.peak_bytes == memory.live_bytes == \
            alloc.requested_bytes
        records = memory.allocation_records
        assert records[0].alloc_bytes == alloc.requested_bytes
        assert records[0].alloc_micros <= end_micros(n)
    assert len(ids) == 4 and 0 not in ids
    # y, add and z are freed by the step after them (the fetched s is not): a -bytes record.
    for name, freer in (("y", "add"), ("add", "z"), ("z", "s")):
        (memory,) = stats[name].memory
        assert [r.alloc_bytes for r in memory.allocation_records] == [32, -32]
        freed = memory.allocation_records[1].alloc_micros
        assert stats[freer].all_start_micros <= freed <= end_micros(stats[freer])
    assert [r.alloc_bytes for r in stats["s"].memory[0].allocation_records] == [4]


def test_views_and_variables_are_not_allocations():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [4, 3], name="x")
        v = tf.Variable(W, name="v")
        r = tf.reshape(x, [2, 6], name="r")  # a view of the feed
        t = tf.transpose(v, name="t")
        init = tf.global_variables_initializer()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        (r_val, v_val, t_val), rm, _, _ = traced(sess, [r, v, t], {x: X})
    np.testing.assert_array_equal(v_val, W)
    np.testing.assert_array_equal(t_val, W.T)
    stats = by_name(rm)
    for name, value in (("r", r_val), ("v", v_val)):
        alloc = stats[name].output[0].tensor_description.allocation_description
        assert alloc.requested_bytes == value.nbytes and alloc.allocated_bytes == 0
        assert not stats[name].memory
    assert stats["v"].timeline_label == "v = VariableV2()"


def test_train_step_outputs_are_recorded_though_nothing_reads_them():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [4, 3], name="x")
        w = tf.Variable(W, name="w")
        loss = tf.reduce_sum(tf.square(tf.matmul(x, w)))
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        init = tf.global_variables_initializer()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        _, rm, _, _ = traced(sess, train, {x: X})
        (plan,) = [p for p in sess._plans.values() if p.targets == (train,)]
        updated = sess.run(w)
    grad = 2 * X.T @ (X @ W)
    np.testing.assert_allclose(updated, W - 0.1 * grad, rtol=1e-5)
    stats = by_name(rm)
    assert {op.name for op in plan.ops} <= set(stats)
    update = next(n for n in stats.values() if "ApplyGradientDescent" in n.timeline_label)
    (out,) = update.output  # the updated variable, though the step frees its slot at once
    assert [d.size for d in out.tensor_description.shape.dim] == [3, 2]


@pytest.mark.parametrize("level", [1, 2, 3], ids=["software", "hardware", "full"])
def test_every_trace_level_traces(level):
    g = tf.Graph()
    with g.as_default():
        x, s = dense(tf)
    with tf.Session(graph=g) as sess:
        _, rm, _, _ = traced(sess, s, {x: X}, tf.RunOptions(trace_level=level))
    assert set(by_name(rm)) == {"w", "add/y", "Const", "y", "add", "z", "s"}


def test_no_stats_when_tracing_is_off_and_the_plan_is_untouched():
    g = tf.Graph()
    with g.as_default():
        x, s = dense(tf)
    with tf.Session(graph=g) as sess:
        expected = sess.run(s, {x: X})
        (plan,) = sess._plans.values()
        steps = list(plan._steps)
        rm = tf.RunMetadata()
        sess.run(s, {x: X}, options=FULL, run_metadata=rm)
        assert rm.step_stats.dev_stats
        assert plan._steps == steps and sess._plans[next(iter(sess._plans))] is plan
        for options in (None, tf.RunOptions(), tf.RunOptions(timeout_in_ms=5000)):
            # As TF's, the RunMetadata is replaced by the run's own: empty without tracing.
            assert sess.run(s, {x: X}, options=options, run_metadata=rm) == expected
            assert rm == tf.RunMetadata()
            sess.run(s, {x: X}, options=FULL, run_metadata=rm)
        assert sess.run(s, {x: X}, options=FULL) == expected  # nowhere to put it: no error
        assert plan._steps == steps and len(sess._plans) == 1


def test_make_callable_takes_options_and_run_metadata():
    """A callable made with accept_options traces and times out as run() does (it ran the plan
    bare, ignoring both)."""
    g = tf.Graph()
    with g.as_default():
        x, s = dense(tf)
        q = tf.FIFOQueue(2, tf.float32, shapes=[[]])
        take = q.dequeue()
    with tf.Session(graph=g) as sess:
        f = sess.make_callable(s, [x], accept_options=True)
        rm = tf.RunMetadata()
        assert f(X, options=FULL, run_metadata=rm) == sess.run(s, {x: X})
        assert set(by_name(rm)) == {"w", "add/y", "Const", "y", "add", "z", "s"}
        dequeue = sess.make_callable(take, accept_options=True)
        start = time.monotonic()
        with pytest.raises(tf.errors.DeadlineExceededError):
            dequeue(options=tf.RunOptions(timeout_in_ms=200))
        assert time.monotonic() - start < 10


def test_partition_graphs_when_asked():
    g = tf.Graph()
    with g.as_default():
        x, s = dense(tf)
        tf.constant(3.0, name="unused")
    with tf.Session(graph=g) as sess:
        _, rm, _, _ = traced(sess, s, {x: X}, tf.RunOptions(output_partition_graphs=True))
    assert not rm.step_stats.dev_stats
    (part,) = rm.partition_graphs
    assert sorted(n.name for n in part.node) == sorted(
        ["x", "w", "y", "add/y", "add", "z", "Const", "s"])
    assert next(n for n in part.node if n.name == "y").op == "MatMul"


def test_untaken_branches_and_loops():
    g = tf.Graph()
    with g.as_default():
        p = tf.placeholder(tf.bool, [], name="p")
        a = tf.placeholder(tf.float32, [3], name="a")
        c = tf.cond(p, lambda: tf.identity(a * 2.0, name="yes"),
                    lambda: tf.negative(a, name="no"))
        _, total = tf.while_loop(lambda i, acc: i < 3, lambda i, acc: (i + 1, acc + c),
                                 [tf.constant(0), tf.zeros([3])])
    a_val = np.array([1.0, 2.0, 3.0], np.float32)
    with tf.Session(graph=g) as sess:
        out, rm, _, _ = traced(sess, total, {p: True, a: a_val})
        (plan,) = sess._plans.values()
    np.testing.assert_allclose(out, 3 * 2 * a_val)
    stats = by_name(rm)
    assert "cond/no" not in stats  # its input was dead: the kernel did not run
    assert "cond/mul" in stats
    loops = [n for n in stats.values() if "= While(" in n.timeline_label]
    assert len(loops) == 1
    shapes = [[d.size for d in o.tensor_description.shape.dim] for o in loops[0].output]
    assert sorted(shapes) == [[], [3]]  # its Exits: the counter and the accumulator
    ran = {op.name for op in plan.ops} - {"cond/no"}
    assert ran <= set(stats)


def test_a_failing_traced_run_reports_the_node():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        y = tf.debugging.check_numerics(tf.math.log(x), "bad log", name="check")
    with tf.Session(graph=g) as sess, pytest.raises(InvalidArgumentError, match="bad log"):
        sess.run(y, {x: [1.0, -1.0]}, options=FULL, run_metadata=tf.RunMetadata())


def test_run_metadata_goes_through_file_writer(tmp_path):
    g = tf.Graph()
    with g.as_default():
        x, s = dense(tf)
    with tf.Session(graph=g) as sess, tf.summary.FileWriter(str(tmp_path), g) as writer:
        _, rm, _, _ = traced(sess, s, {x: X})
        writer.add_run_metadata(rm, "step_3", global_step=3)
    (path,) = tmp_path.iterdir()
    (event,) = [e for e in summary_iterator(str(path)) if e.HasField("tagged_run_metadata")]
    assert event.step == 3 and event.tagged_run_metadata.tag == "step_3"
    back = config_pb2.RunMetadata.FromString(event.tagged_run_metadata.run_metadata)
    assert back == rm and isinstance(back.partition_graphs.add(), graph_pb2.GraphDef)


# --------------------------------------------------------------------------------------------
# Side by side with tf.compat.v1.


def _tf_run(tf1, build, feed, options):
    g = tf1.Graph()
    with g.as_default():
        x, s = build(tf1)
    rm = tf1.RunMetadata()
    with tf1.Session(graph=g) as sess:
        out = sess.run(s, {x: feed}, options=options, run_metadata=rm)
    return out, rm


def _ours(build, feed, options):
    g = tf.Graph()
    with g.as_default():
        x, s = build(tf)
    rm = tf.RunMetadata()
    with tf.Session(graph=g) as sess:
        out = sess.run(s, {x: feed}, options=options, run_metadata=rm)
    return out, rm


TF_ONLY = ("_SOURCE", "_arg_", "_retval_")  # TF's executor's own nodes


def test_same_structure_as_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    theirs_out, theirs = _tf_run(tf1, dense, X, tf1.RunOptions(
        trace_level=tf1.RunOptions.FULL_TRACE))
    ours_out, ours = _ours(dense, X, FULL)
    assert ours_out == pytest.approx(theirs_out, rel=1e-6)
    assert [d.device for d in ours.step_stats.dev_stats] == [
        d.device for d in theirs.step_stats.dev_stats]
    their_nodes = {n.node_name: n for n in theirs.step_stats.dev_stats[0].node_stats
                   if not n.node_name.startswith(TF_ONLY)}
    our_nodes = by_name(ours)
    assert set(our_nodes) == set(their_nodes)
    for name, mine in our_nodes.items():
        other = their_nodes[name]
        # The same kinds of fields are set (TF leaves thread_id 0 on a CPU).
        mine_fields = {f.name for f, _ in mine.ListFields()} - {"thread_id", "memory"}
        their_fields = {f.name for f, _ in other.ListFields()} - {"memory"}
        zero_ok = {"op_start_rel_micros", "op_end_rel_micros", "all_end_rel_micros",
                   "op_start_rel_nanos", "op_end_rel_nanos", "all_end_rel_nanos"}
        assert mine_fields - zero_ok == their_fields - zero_ok, name
        # Outputs: same slots, dtypes, shapes and requested bytes.
        assert [(o.slot, o.tensor_description.dtype, str(o.tensor_description.shape),
                 o.tensor_description.allocation_description.requested_bytes)
                for o in mine.output] == [
                    (o.slot, o.tensor_description.dtype, str(o.tensor_description.shape),
                     o.tensor_description.allocation_description.requested_bytes)
                    for o in other.output], name
        assert mine.memory_stats.persistent_memory_size == \
            other.memory_stats.persistent_memory_size, name
        # Labels: "name = Type(inputs)", TF's with its rewrites (_MklMatMul, _arg_x_0_0) and
        # its reordering of commutative inputs.
        lhs, _, rhs = other.timeline_label.partition(" = ")
        their_type, _, their_inputs = rhs.rstrip(")").partition("(")
        our_type, _, our_inputs = mine.timeline_label.partition(" = ")[2].rstrip(")") \
            .partition("(")
        assert mine.timeline_label.startswith(lhs + " = ")
        assert our_type == their_type.removeprefix("_Mkl")
        assert sorted(our_inputs.split(", ")) == sorted(
            "x" if i.startswith("_arg_x") else i for i in their_inputs.split(", ")), name
    for name in ("y", "s"):  # TF's fresh allocations: ours too, the same bytes
        (mine_memory,), (their_memory,) = our_nodes[name].memory, their_nodes[name].memory
        assert mine_memory.total_bytes == their_memory.total_bytes
        assert mine_memory.allocation_records[0].alloc_bytes == \
            their_memory.allocation_records[0].alloc_bytes


def test_partition_graphs_and_empty_metadata_like_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for ask in (tf1.RunOptions(output_partition_graphs=True), None, tf1.RunOptions()):
        _, theirs = _tf_run(tf1, dense, X, ask)
        _, ours = _ours(dense, X, None if ask is None else config_pb2.RunOptions.FromString(
            ask.SerializeToString()))
        assert len(ours.partition_graphs) == len(theirs.partition_graphs)
        assert ours.HasField("step_stats") == theirs.HasField("step_stats")
        assert ours.HasField("cost_graph") == theirs.HasField("cost_graph") is False
        if theirs.partition_graphs:
            their_names = {n.name for n in theirs.partition_graphs[0].node
                           if not n.name.startswith(TF_ONLY)}
            # TF's holds the _Arg node instead of the fed placeholder.
            assert {n.name for n in ours.partition_graphs[0].node} - {"x"} == their_names


def test_tensorflow_messages_work_both_ways(tmp_path):
    """TF's own RunOptions / RunMetadata objects drive minitf's run (duck-typed); the bytes
    parse with TF's classes; TF's summary_iterator and TensorBoard read the event."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    _, rm = _ours(dense, X, tf1.RunOptions(trace_level=tf1.RunOptions.FULL_TRACE))
    assert isinstance(rm, config_pb2.RunMetadata)
    g = tf.Graph()
    with g.as_default():
        x, s = dense(tf)
    their_rm = tf1.RunMetadata()
    with tf.Session(graph=g) as sess, tf.summary.FileWriter(str(tmp_path)) as writer:
        sess.run(s, {x: X}, options=tf1.RunOptions(trace_level=3), run_metadata=their_rm)
        writer.add_run_metadata(their_rm, "traced", global_step=7)
    names = [n.node_name for n in their_rm.step_stats.dev_stats[0].node_stats]
    assert names == [n.node_name for n in rm.step_stats.dev_stats[0].node_stats]
    assert tf1.RunMetadata.FromString(rm.SerializeToString()).step_stats.dev_stats[0].device \
        == CPU
    (path,) = tmp_path.iterdir()
    (event,) = [e for e in tf1.train.summary_iterator(str(path))
                if e.HasField("tagged_run_metadata")]
    assert tf1.RunMetadata.FromString(event.tagged_run_metadata.run_metadata) == their_rm
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    acc = accumulator.EventAccumulator(str(tmp_path))
    acc.Reload()
    assert acc.Tags()["run_metadata"] == ["traced"]
    assert [n.node_name for n in acc.RunMetadata("traced").step_stats.dev_stats[0].node_stats
            ] == names


@pytest.mark.parametrize("kwargs, words", [
    ({"options": 123}, "options must be a tf.RunOptions, not builtins.int"),
    ({"options": "fast"}, "options must be a tf.RunOptions, not builtins.str"),
    ({"options": config_pb2.RunMetadata()}, "options must be a tf.RunOptions, not minitf"),
    ({"run_metadata": config_pb2.RunOptions()}, "run_metadata must be a tf.RunMetadata"),
    ({"run_metadata": {}}, "run_metadata must be a tf.RunMetadata, not builtins.dict")])
def test_options_and_run_metadata_of_another_kind_are_refused(kwargs, words):
    """A wrong object was read as an empty message (no timeout, no trace) and ignored; TF fails
    on it too (it serializes the message)."""
    x = tf.placeholder(tf.float32, [None])
    with tf.Session() as sess:
        with pytest.raises(TypeError, match=words):
            sess.run(x, {x: [1.0]}, **kwargs)
        call = sess.make_callable(x, [x], accept_options=True)
        with pytest.raises(TypeError, match=words):
            call([1.0], **kwargs)
        meta = config_pb2.RunMetadata()  # the right kinds still run
        assert sess.run(x, {x: [2.0]}, options=config_pb2.RunOptions(timeout_in_ms=1000),
                        run_metadata=meta).tolist() == [2.0]
