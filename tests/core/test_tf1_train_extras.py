"""tf.graph_util's remove_training_nodes / tensor_shape_from_node_def_name / must_run_on_cpu and
tf.train's summary_iterator, basic_train_loop, SessionCreator / WorkerSessionCreator,
GlobalStepWaiterHook and generate_checkpoint_state_proto: hand-checked, and side by side with
real TensorFlow where it is installed."""

import os

import numpy as np
import pytest

import minitf as tf
from minitf import errors
from minitf.protos import graph_pb2


# -- tf.graph_util -------------------------------------------------------------------------------
def _training_graph(m):
    """x -> Identity a -> CheckNumerics c (a control input of b) ...; out is an Identity."""
    x = m.placeholder(m.float32, [2], name="x")
    a = m.identity(x, name="a")
    c = m.check_numerics(a, "m", name="c")
    with m.control_dependencies([c]):
        b = m.identity(a, name="b")
    with m.control_dependencies([b]):
        d = m.identity(x * 2, name="d")
    e = m.stop_gradient(d, name="e")
    m.identity(m.add(e, b, name="f"), name="out")


def test_remove_training_nodes_by_hand():
    g = tf.Graph()
    with g.as_default():
        _training_graph(tf)
    out = tf.graph_util.remove_training_nodes(g.as_graph_def(), protected_nodes=["out"])
    nodes = {n.name: list(n.input) for n in out.node}
    # c is dropped; a, d and e are spliced; b keeps itself (a control input). As TF, only
    # mul/y waits for b: mul, and d after it, read mul/y, made in the same block.
    assert list(nodes) == ["x", "b", "mul/y", "mul", "f", "out"]
    assert nodes["b"] == ["x"] and nodes["f"] == ["mul", "b"] and nodes["mul/y"] == ["^b"]
    assert nodes["out"] == ["f"]
    unprotected = tf.graph_util.remove_training_nodes(g.as_graph_def())
    assert "out" not in {n.name for n in unprotected.node}
    g2 = tf.Graph()
    with g2.as_default():
        tf.import_graph_def(out, name="")
        np.testing.assert_allclose(tf.Session(graph=g2).run("out:0", {"x:0": [1.0, 2.0]}),
                                   [3.0, 6.0])


def test_remove_training_nodes_matches_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        _training_graph(tf1)
        with tf1.colocate_with(g.get_tensor_by_name("a:0")):  # keeps Identity a
            tf1.identity(g.get_tensor_by_name("a:0"), name="colocated")
    gd = g.as_graph_def()
    for protected in (None, ["out"], ["a", "e"]):
        theirs = tf1.graph_util.remove_training_nodes(gd, protected_nodes=protected)
        ours = tf.graph_util.remove_training_nodes(
            graph_pb2.GraphDef.FromString(gd.SerializeToString()), protected_nodes=protected)
        # Compared as messages: map fields (attr) serialize in no fixed order.
        assert ours == graph_pb2.GraphDef.FromString(theirs.SerializeToString()), protected
        assert [n.name for n in ours.node] == [n.name for n in theirs.node]
        assert ("a" in [n.name for n in ours.node]) and "c" not in [n.name for n in ours.node]


def test_tensor_shape_from_node_def_name():
    g = tf.Graph()
    with g.as_default():
        tf.placeholder(tf.float32, [None, 3], name="p")
        tf.unique(tf.constant([1, 1, 2]), name="u")
    assert tf.graph_util.tensor_shape_from_node_def_name(g, "p").as_list() == [None, 3]
    assert tf.graph_util.tensor_shape_from_node_def_name(g, "u:1").as_list() == [3]
    with pytest.raises(KeyError):
        tf.graph_util.tensor_shape_from_node_def_name(g, "nope")


def test_must_run_on_cpu():
    g = tf.Graph()
    with g.as_default():
        s, i, f = tf.constant("s"), tf.constant(1), tf.constant(1.0)
        cast = tf.cast(i, tf.float32)
        v = tf.Variable(1.0)
    cpu = tf.graph_util.must_run_on_cpu
    assert cpu(s.op) and cpu(i.op) and cpu(cast.op) and not cpu(f.op)
    assert not cpu(v.op) and cpu(v.op, pin_variables_on_cpu=True)
    assert cpu(g.as_graph_def().node[0])  # a NodeDef too


# -- tf.train.summary_iterator -------------------------------------------------------------------
def test_summary_iterator_reads_minitf_events(tmp_path):
    v = tf.placeholder(tf.float32, [])
    summ = tf.summary.scalar("loss", v)
    writer = tf.summary.FileWriter(str(tmp_path))
    with tf.Session() as sess:
        for step in range(3):
            writer.add_summary(sess.run(summ, {v: step * 0.5}), step)
    writer.close()
    (path,) = tmp_path.iterdir()
    events = list(tf.train.summary_iterator(str(path)))
    assert events[0].file_version == "brain.Event:2"
    scalars = [(e.step, v.tag, v.simple_value) for e in events for v in e.summary.value]
    assert scalars == [(0, "loss", 0.0), (1, "loss", 0.5), (2, "loss", 1.0)]
    path.write_bytes(path.read_bytes()[:-3])  # truncated: TF's DataLossError
    with pytest.raises(errors.DataLossError):
        list(tf.train.summary_iterator(str(path)))
    with pytest.raises(errors.NotFoundError):
        list(tf.train.summary_iterator(str(tmp_path / "missing")))


def test_summary_iterator_reads_tensorflow_events(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        v = tf1.placeholder(tf1.float32, [])
        summ = tf1.summary.scalar("loss", v)
        writer = tf1.summary.FileWriter(str(tmp_path), g)
        with tf1.Session(graph=g) as sess:
            for step in range(3):
                writer.add_summary(sess.run(summ, {v: step + 0.25}), step)
        writer.close()
    (path,) = tmp_path.iterdir()
    ours = [e.SerializeToString() for e in tf.train.summary_iterator(str(path))]
    theirs = [e.SerializeToString() for e in tf1.train.summary_iterator(str(path))]
    assert ours == theirs and len(ours) >= 4
    events = list(tf.train.summary_iterator(str(path)))
    assert any(e.graph_def for e in events)  # TF wrote the graph; we read it as bytes
    assert [v.simple_value for e in events for v in e.summary.value] == [0.25, 1.25, 2.25]


# -- basic_train_loop, session creators, GlobalStepWaiterHook ------------------------------------
class _Supervisor:
    """managed_session / should_stop as tf.train.Supervisor has them; aborts once."""

    def __init__(self, steps, abort_at=None):
        self.steps, self.abort_at, self.sessions, self.calls = steps, abort_at, 0, 0

    def managed_session(self, master):
        import contextlib

        @contextlib.contextmanager
        def ctx():
            self.sessions += 1
            yield f"sess{self.sessions}"
        return ctx()

    def should_stop(self):
        return self.calls >= self.steps


def test_basic_train_loop_retries_after_aborted():
    sup, seen = _Supervisor(steps=4, abort_at=2), []

    def step(sess, scale, offset=0):
        sup.calls += 1
        seen.append((sess, scale * sup.calls + offset))
        if sup.calls == sup.abort_at:
            raise errors.AbortedError(None, None, "a server restarted")

    tf.train.basic_train_loop(sup, step, args=[10], kwargs={"offset": 1})
    assert seen == [("sess1", 11), ("sess1", 21), ("sess2", 31), ("sess2", 41)]

    def failing(sess):
        raise ValueError("not retried")
    with pytest.raises(ValueError, match="not retried"):
        tf.train.basic_train_loop(_Supervisor(steps=1), failing)


def test_session_creator_interface():
    with pytest.raises(TypeError):
        tf.train.SessionCreator()
    assert isinstance(tf.train.ChiefSessionCreator(), tf.train.SessionCreator)
    assert issubclass(tf.train.WorkerSessionCreator, tf.train.SessionCreator)


def test_worker_session_creator():
    g = tf.Graph()
    with g.as_default():
        local = tf.Variable(3.0, collections=[tf.GraphKeys.LOCAL_VARIABLES])
        sess = tf.train.WorkerSessionCreator().create_session()
        assert sess.run(local) == 3.0  # the local init op ran; nothing global to wait for
    g = tf.Graph()
    with g.as_default():
        tf.Variable(1.0)  # only the chief initializes globals: never ready in a worker here
        with pytest.raises(errors.DeadlineExceededError, match="not ready"):
            tf.train.WorkerSessionCreator(max_wait_secs=0).create_session()


def test_global_step_waiter_hook(monkeypatch):
    from minitf.train import training_extras

    step = tf.train.get_or_create_global_step()
    bump = tf.assign_add(step, 3)
    hook = tf.train.GlobalStepWaiterHook(wait_until_step=5)
    hook.begin()
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    sleeps = []
    # The "chief" advances the step while this worker sleeps between polls.
    monkeypatch.setattr(training_extras.time, "sleep", lambda s: (sleeps.append(s),
                                                                  sess.run(bump)))
    context = tf.train.SessionRunContext(original_args=None, session=sess)
    assert hook.before_run(context) is None
    assert sleeps == [0.5, 0.5] and sess.run(step) == 6
    hook.before_run(context)  # started: no more waiting
    assert len(sleeps) == 2
    with tf.Graph().as_default(), pytest.raises(RuntimeError, match="Global step should be "
                                                "created"):
        tf.train.GlobalStepWaiterHook(1).begin()


def test_generate_checkpoint_state_proto():
    state = tf.train.generate_checkpoint_state_proto("train", "train/model-20",
                                                     ["train/model-10"])
    assert state.model_checkpoint_path == "model-20"
    assert state.all_model_checkpoint_paths == ["model-10", "model-20"]
    assert str(state) == ('model_checkpoint_path: "model-20"\n'
                          'all_model_checkpoint_paths: "model-10"\n'
                          'all_model_checkpoint_paths: "model-20"\n')
    absolute = tf.train.generate_checkpoint_state_proto("/ckpt", "/ckpt/m-1",
                                                        all_model_checkpoint_timestamps=[5.0])
    assert absolute.all_model_checkpoint_paths == ["/ckpt/m-1"]
    assert absolute.all_model_checkpoint_timestamps == [5.0]
    with pytest.raises(ValueError, match="must match checkpoint paths"):
        tf.train.generate_checkpoint_state_proto("d", "m-2", ["m-1"], [1.0, 2.0, 3.0])


def test_generate_checkpoint_state_proto_matches_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for args in (("train", "train/model-20", ["train/model-10"]), ("/abs", "/abs/m-3", None),
                 ("rel", "/abs/m-3", ["rel/m-1"], [1.5, 2.5], 0.5),
                 (os.path.join("a", "b"), "c/m", [])):
        theirs = tf1.train.generate_checkpoint_state_proto(*[list(a) if isinstance(a, list)
                                                             else a for a in args])
        ours = tf.train.generate_checkpoint_state_proto(*[list(a) if isinstance(a, list)
                                                          else a for a in args])
        assert str(ours) == str(theirs), args
