"""tf.train.SyncReplicasOptimizer trained in-process through tf.train.MonitoredTrainingSession
and its hook (the chief queue runner in a thread), against updates computed by hand with numpy:
replicas_to_aggregate=1; replicas_to_aggregate=2 with one worker computing two batches per
update (dense and IndexedSlices gradients); replicas_to_aggregate=2 with two replica threads.
TF's documented first wasted step (a gradient made stale by the first update) is checked too.
Against tf.compat.v1: the same runs give the same variables, and the GraphDef has the same
nodes. Every run has a deadline and every thread is joined with a timeout."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import minitf as tf
from minitf.opdef import lookup

LR = 0.1
W0, B0 = np.array([0.5, -0.5]), 0.1
EMB0 = np.array([[0.2], [-0.1], [0.4], [0.3]])
BATCHES = {  # x, y, ids (sorted and distinct: the order TF's sparse accumulator expects)
    "A": (np.array([[1., 2.], [0., 1.]]), np.array([1., 0.]), np.array([0, 2])),
    "B": (np.array([[2., -1.], [1., 1.]]), np.array([0., 2.]), np.array([1, 2])),
}


# -- the model, by hand --------------------------------------------------------------------------
def _grads(params, batch):
    """d loss / d (w, b, embedding rows) of mean((x.w + b + emb[ids] - y)^2)."""
    w, b, emb = params
    x, y, ids = BATCHES[batch]
    r = x @ w + b + emb[ids, 0] - y
    return 2 * x.T @ r / len(y), 2 * r.mean(), {int(i): 2 * rj / len(y) for i, rj in
                                                zip(ids, r)}


def _update(params, batches):
    """One update with the mean of the batches' gradients; an embedding row's mean is over
    the gradients that have it (TF's sparse accumulator)."""
    w, b, emb = params
    grads = [_grads(params, k) for k in batches]
    rows: dict = {}
    for _, _, g in grads:
        for i, v in g.items():
            rows.setdefault(i, []).append(v)
    emb = emb.copy()
    for i, vs in rows.items():
        emb[i, 0] -= LR * np.mean(vs)
    return (w - LR * np.mean([g[0] for g in grads], axis=0),
            b - LR * np.mean([g[1] for g in grads]), emb)


# -- the model, in a library (minitf or tf.compat.v1) --------------------------------------------
def _build(lib, replicas_to_aggregate, total_num_replicas, opt=None):
    x = lib.placeholder(lib.float32, [None, 2], name="x")
    y = lib.placeholder(lib.float32, [None], name="y")
    ids = lib.placeholder(lib.int32, [None], name="ids")
    w = lib.Variable(W0.astype(np.float32), name="w")
    b = lib.Variable(np.float32(B0), name="b")
    emb = lib.Variable(EMB0.astype(np.float32), name="emb")
    pred = lib.reduce_sum(x * w, axis=1) + b + lib.gather(emb, ids)[:, 0]
    loss = lib.reduce_mean(lib.square(pred - y))
    step = lib.train.get_or_create_global_step()
    sync = lib.train.SyncReplicasOptimizer(
        opt or lib.train.GradientDescentOptimizer(LR), replicas_to_aggregate,
        total_num_replicas=total_num_replicas)
    train = sync.minimize(loss, global_step=step)
    feeds = {k: {x: bx, y: by, ids: bi} for k, (bx, by, bi) in BATCHES.items()}
    return sync, train, step, (w, b, emb), feeds


class _Run:
    """A MonitoredTrainingSession with the optimizer's chief hook; every run has a deadline."""

    def __init__(self, lib, sync, step, num_tokens=-1):
        self.lib, self.step = lib, step
        self.opts = lib.RunOptions(timeout_in_ms=20_000)
        self.sess = lib.train.MonitoredTrainingSession(
            hooks=[sync.make_session_run_hook(is_chief=True, num_tokens=num_tokens)],
            stop_grace_period_secs=0.5)

    def run(self, fetches, feed=None):
        return self.sess.run(fetches, feed, options=self.opts)

    def wait_for_step(self, n):
        """The chief applies the update in its own thread: wait until it is done."""
        deadline = time.monotonic() + 20
        while self.run(self.step) != n:
            assert time.monotonic() < deadline, "the chief did not update"
            time.sleep(0.005)


def _values(run, variables):
    return [np.asarray(v, np.float64) for v in run.run(list(variables))]


def _one_replica(lib):
    """replicas_to_aggregate=1: each run is one update, but the second: its gradient was
    computed at the local step the first (initial) token gave, which the first update made
    stale, so it is dropped (TF's documented first wasted step)."""
    sync, train, step, variables, feeds = _build(lib, 1, None)
    seen = []
    run = _Run(lib, sync, step)
    with run.sess:
        run.run(train, feeds["A"])
        run.wait_for_step(1)
        seen.append(_values(run, variables))
        run.run(train, feeds["B"])  # stale: dropped
        seen.append(_values(run, variables) + [run.run(step)])
        for k in "BABA":  # each run waits for its update (its token comes after it)
            run.run(train, feeds[k])
            seen.append(_values(run, variables))
        seen.append(run.run(step))
    return seen


def _two_batches_per_update(lib):
    """replicas_to_aggregate=2, total_num_replicas=1: one worker computes two batches per
    update (TF's "replicas compute multiple batches per update"): tokens_per_step is 2."""
    sync, train, step, variables, feeds = _build(lib, 2, 1)
    seen = []
    run = _Run(lib, sync, step)
    with run.sess:
        run.run(train, feeds["A"])
        run.run(train, feeds["B"])
        run.wait_for_step(1)
        seen.append(_values(run, variables))
        run.run(train, feeds["A"])  # stale: dropped
        for _ in range(3):
            run.run(train, feeds["B"])
            run.run(train, feeds["A"])  # completes the update; waits for its token
            seen.append(_values(run, variables) + [run.run(step)])
    return seen


def _two_replica_threads(lib, steps=4):
    """Two replicas (threads feeding batches A and B) in lock-step. With no initial tokens
    (num_tokens=0) every replica's gradient of every step counts: each step is the mean of
    both. The threads share the graph's sync_rep_local_step (each replica has its own in
    TF's multi-process setting), which TF's initial tokens would make racy."""
    sync, train, step, variables, feeds = _build(lib, 2, 2)
    run = _Run(lib, sync, step, num_tokens=0)
    barrier = threading.Barrier(2, timeout=20)
    errors = []
    seen = []

    def replica(feed, log):
        try:
            for _ in range(steps):
                run.run(train, feed)
                if barrier.wait() == 0 and log:
                    seen.append(_values(run, variables) + [run.run(step)])
                barrier.wait()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
            barrier.abort()

    with run.sess:
        threads = [threading.Thread(target=replica, args=(feeds[k], True), daemon=True)
                   for k in "AB"]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads) and not errors, errors
    return seen


def _expected_one_replica():
    p = (W0, B0, EMB0)
    out = []
    p = _update(p, "A")
    out.append(list(p))
    out.append(list(p) + [1])
    for k in "BABA":
        p = _update(p, k)
        out.append(list(p))
    out.append(5)
    return out


def _close(got, want):
    if isinstance(want, (int, np.integer)):
        assert got == want
        return
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if isinstance(w, (list, tuple)):
            _close(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-6)


# -- TF-free -------------------------------------------------------------------------------------
def test_one_replica_against_hand_computed_updates():
    _close(_one_replica(tf), _expected_one_replica())


def test_two_batches_per_update_against_hand_computed_means():
    p = _update((W0, B0, EMB0), "AB")
    want = [list(p)]
    for n in (2, 3, 4):
        p = _update(p, "BA")
        want.append(list(p) + [n])
    _close(_two_batches_per_update(tf), want)


def test_two_replica_threads_against_hand_computed_means():
    p, want = (W0, B0, EMB0), []
    for n in range(1, 5):
        p = _update(p, "AB")
        want.append(list(p) + [n])
    _close(_two_replica_threads(tf), want)


def test_graph_collections_and_wrappers():
    momentum = tf.train.MomentumOptimizer(0.1, 0.9)
    sync, train, step, (w, b, emb), _ = _build(tf, 2, 3, opt=momentum)
    graph = tf.get_default_graph()
    assert train.op.type == "Assign" and train.op.inputs[1].op.name == "sync_token_q_Dequeue"
    assert [v.name for v in tf.local_variables()] == ["sync_rep_local_step:0"]
    assert sync._local_step.dtype == tf.int64 and not sync._local_step.trainable
    accumulators = [a for a, _ in sync._accumulator_list]
    assert [type(a).__name__ for a in accumulators] == [
        "ConditionalAccumulator", "ConditionalAccumulator", "SparseConditionalAccumulator"]
    assert [a.accumulator_ref.op.get_attr("shared_name") for a in accumulators] == [
        b"w:0/grad_accum", b"b:0/grad_accum", b"emb:0/grad_accum"]
    assert [a.accumulator_ref.op.name for a in accumulators] == [
        "sync_replicas/conditional_accumulator", "sync_replicas/conditional_accumulator_1",
        "sync_replicas/sparse_conditional_accumulator"]
    runner = sync.get_chief_queue_runner()
    assert runner.queue.name == "sync_token_q" and runner.enqueue_ops[0].name == \
        "sync_token_q_EnqueueMany"
    # tokens_per_step = max(total_num_replicas, replicas_to_aggregate) = 3
    fill = runner.enqueue_ops[0].inputs[1].op
    assert fill.type == "Fill" and tf.get_static_value(fill.inputs[0]).tolist() == [3]
    assert sync.chief_init_op.name == "sync_replicas/group_deps"
    assert sorted(c.name for c in sync.chief_init_op.control_inputs) == [
        "Assign", "sync_replicas/SetGlobalStep", "sync_replicas/SetGlobalStep_1",
        "sync_replicas/SetGlobalStep_2"]
    assert sync.variables() == momentum.variables() and len(sync.variables()) == 3
    assert sync.get_slot(w, "momentum") is momentum.get_slot(w, "momentum") is not None
    assert sync.get_slot_names() == ["momentum"]
    assert sync.get_init_tokens_op().name == "sync_token_q_EnqueueMany_1"
    assert sync.get_init_tokens_op(num_tokens=0).name == "no_init_tokens"
    assert graph.get_operation_by_name("sync_replicas/ResourceAccumulatorTakeGradient")


def test_errors():
    sync = tf.train.SyncReplicasOptimizer(tf.train.GradientDescentOptimizer(0.1), 3,
                                          total_num_replicas=1)
    with pytest.raises(ValueError, match="Should be called after apply_gradients"):
        sync.get_chief_queue_runner()
    with pytest.raises(ValueError, match="should be called after apply_gradients"):
        sync.get_init_tokens_op()
    with pytest.raises(ValueError, match="apply_gradient should be called before using"):
        sync.make_session_run_hook(True).begin()
    w = tf.Variable([1.0, 2.0])
    step = tf.train.get_or_create_global_step()
    with pytest.raises(ValueError, match="Must supply at least one variable"):
        sync.apply_gradients([], global_step=step)
    with pytest.raises(ValueError, match="Global step is required to check staleness"):
        sync.apply_gradients([(tf.constant([1.0, 1.0]), w)])
    with pytest.raises(ValueError, match="Unknown grad type!"):
        sync.apply_gradients([(object(), w)], global_step=step)
    v = tf.Variable(3.0)
    sync = tf.train.SyncReplicasOptimizer(tf.train.GradientDescentOptimizer(0.1), 3,
                                          total_num_replicas=1)
    sync.apply_gradients([(tf.constant([1.0, 1.0]), w), (None, v)], global_step=step)
    assert len(sync._accumulator_list) == 1  # a None gradient passes through
    with pytest.raises(ValueError, match=r"Too few tokens to finish the first step: 1 "
                       r"\(given\) vs 2 \(needed\)"):
        sync.get_init_tokens_op(num_tokens=1)


# -- against TensorFlow --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tf1():
    # Graph mode comes from _in_graph's Graph().as_default(); TF's process-wide switches are
    # set back afterwards, so later tests see TF as they expect it.
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    tf1.disable_resource_variables()
    tf1.logging.set_verbosity(tf1.logging.ERROR)
    yield tf1
    tf1.enable_resource_variables()


def _in_graph(lib, scenario):
    with lib.Graph().as_default():
        return scenario(lib)


# When its session closes, TF's chief queue runner thread raises the CancelledError of its
# blocked take (its Coordinator re-raises reports made after join): TF's noise, not minitf's.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.parametrize("scenario", [_one_replica, _two_batches_per_update,
                                      _two_replica_threads])
def test_training_against_tensorflow(tf1, scenario):
    _close(_in_graph(tf, scenario), _in_graph(tf1, scenario))


def _nodes(lib):
    """The GraphDef's nodes as name -> (op, data inputs, control inputs, attrs), without TF's
    "_class" and "_has_manual_control_dependencies" (minitf colocates no ref-input ops: that is
    the graph's, not the optimizer's). The gradient and report_uninitialized_variables
    subgraphs are other modules' (a gradient input is only said to be one)."""
    with lib.Graph().as_default() as g:
        sync, *_ = _build(lib, 2, 3)
        sync.make_session_run_hook(True).begin()
        graph_def = g.as_graph_def()
    out = {}
    for n in graph_def.node:
        if n.name.startswith(("gradients/", "report_uninitialized_variables")):
            continue
        attrs = {}
        for k, v in n.attr.items():
            kind = v.WhichOneof("value")
            if kind == "tensor" or k in ("_class", "_has_manual_control_dependencies"):
                continue
            value = getattr(v, kind)
            if kind == "list":
                value = (list(value.type), [[d.size for d in s.dim] for s in value.shape])
            elif kind == "shape":
                value = [d.size for d in value.dim]
            attrs[k] = value
        out[n.name] = (n.op, [_gradient(i) for i in n.input if not i.startswith("^")],
                       {i[1:] for i in n.input if i.startswith("^")}, attrs)
    return out


def _gradient(name):
    return "<a gradient>" if name.startswith("gradients/") else name


def _default(op_type, attr):
    """minitf's default of an attr (GraphDefs it writes leave defaults out)."""
    value = lookup(op_type).attr_defaults.get(attr, "<none>")
    return value.encode() if isinstance(value, str) else value


def test_graph_against_tensorflow(tf1):
    ours, theirs = _nodes(tf), _nodes(tf1)
    assert sorted(ours) == sorted(theirs)
    for name, (op, inputs, controls, attrs) in theirs.items():
        got = ours[name]
        assert got[:2] == (op, inputs), name
        # TF drops a control input an op already has through a data input made in the same
        # control_dependencies block; minitf keeps it: TF's must all be there.
        assert controls <= got[2], name
        for k, value in attrs.items():
            assert got[3].get(k, _default(op, k)) == value, (name, k)
        assert set(got[3]) <= set(attrs), name
