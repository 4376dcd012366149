"""Runs the same tf.train.Supervisor / SessionManager programs in minitf and tf.compat.v1 and
compares: the USE_DEFAULT ops and properties, error types and messages, the events a classic
managed_session loop writes (read with both sides' summary_iterator), the checkpoints it saves,
and restoring each side's checkpoints with the other's Supervisor. One OK line per part."""

import os
import re
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1  # noqa: E402
from tensorflow.python.summary.summary_iterator import summary_iterator as tf_events  # noqa: E402

import minitf as mtf  # noqa: E402
from minitf.export.events import summary_iterator as mtf_events  # noqa: E402

tf1.disable_eager_execution()
tf1.disable_control_flow_v2()
tf1.disable_resource_variables()
tf1.logging.set_verbosity(tf1.logging.ERROR)


def model(tf, n_inputs=20):
    """w trained towards 3 on a Dataset of n_inputs ones; the summary does not read inputs."""
    step = tf.train.get_or_create_global_step()
    ds = tf.data.Dataset.range(n_inputs).map(lambda i: tf.cast(i * 0 + 1, tf.float32))
    x = tf.data.make_one_shot_iterator(ds).get_next()
    w = tf.Variable(0.0, name="w")
    tf.summary.scalar("w", w)
    loss = tf.square(w * x - 3.0)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    return w, train


def both(fn):
    out = []
    for tf in (tf1, mtf):
        with tf.Graph().as_default():
            out.append(fn(tf))
    return out


def outcome(call):
    try:
        return ("ok", call())
    except Exception as e:  # noqa: BLE001 - the comparison is the point
        text = re.sub(r" at 0x[0-9a-f]+", "", str(e))
        return (type(e).__name__, text)


# -- defaults ---------------------------------------------------------------------------------
def defaults(tf):
    model(tf)
    sv = tf.train.Supervisor(logdir=tempfile.mkdtemp())
    g = tf.get_default_graph()
    keys = ["init_op", "ready_op", "local_init_op", "summary_op", "savers", "global_step"]
    return dict(
        init=sv.init_op.name, ready=sv.ready_op.dtype.name, saver=type(sv.saver).__name__,
        summary=sv.summary_op.name, step=sv.global_step.name, finalized=g.finalized,
        collections=[len(g.get_collection(k)) for k in keys],
        local=sv.session_manager._local_init_op.type, rfl=sv.ready_for_local_init_op,
        secs=(sv.save_model_secs, sv.save_summaries_secs), chief=sv.is_chief,
        path=os.path.basename(sv.save_path), default=tf.train.Supervisor.USE_DEFAULT)


tf_d, mtf_d = both(defaults)
assert tf_d == mtf_d, (tf_d, mtf_d)
print("defaults OK")


# -- messages ---------------------------------------------------------------------------------
def messages(tf):
    with tf.device("/cpu:0"):  # TF's non-chief requires placed variables
        v = tf.Variable(1.0, name="v")
    ready = tf.report_uninitialized_variables()
    noop, saver, init = tf.no_op(name="n"), tf.train.Saver([v]), tf.variables_initializer([v])
    sm = tf.train.SessionManager(ready_op=ready)
    out = [outcome(lambda: sm.prepare_session("")),
           outcome(lambda: sm.prepare_session("", init_op=noop)),
           outcome(lambda: tf.train.SessionManager(ready_for_local_init_op=ready))[0],
           outcome(lambda: sm.wait_for_session("", max_wait_secs=0))[0]]
    sess, restored = sm.recover_session("", saver=saver, checkpoint_dir=tempfile.mkdtemp())
    out.append(restored)
    ok = tf.train.SessionManager(local_init_op=init, ready_op=ready)
    out.append(float(ok.wait_for_session("").run(v)))
    worker = tf.train.Supervisor(is_chief=False, recovery_wait_secs=0.01)
    out += [outcome(lambda: worker.start_standard_services(None)),
            outcome(lambda: worker.prepare_or_wait_for_session(max_wait_secs=0))[0],
            outcome(lambda: worker.summary_computed(None, b""))]
    return out


tf_m, mtf_m = both(messages)
assert tf_m == mtf_m, (tf_m, mtf_m)
print("messages OK")


# -- the classic loop -------------------------------------------------------------------------
def events(path, reader):
    out = []
    for e in reader(path):
        kind = e.WhichOneof("what")
        detail = None
        if kind == "summary":
            detail = tuple(v.tag for v in e.summary.value)
        elif kind == "session_log":
            detail = (e.session_log.status, os.path.basename(e.session_log.checkpoint_path))
        out.append((e.step, kind, detail))
    return out


def classic(tf):
    w, train = model(tf)
    d = tempfile.mkdtemp()
    sv = tf.train.Supervisor(logdir=d, save_model_secs=600, save_summaries_secs=600)
    steps = 0
    with sv.managed_session() as sess:
        time.sleep(0.3)  # the services' first (and only) run happens as they start
        while not sv.should_stop():
            sess.run(train)
            steps += 1
    (event_file,) = [f for f in os.listdir(d) if f.startswith("events")]
    path = os.path.join(d, event_file)
    # TF's reader and minitf's see the same events in either side's file.
    seen = events(path, tf_events)
    assert seen == events(path, mtf_events), path
    state = tf1.train.get_checkpoint_state(d)  # TF lists either side's checkpoints
    files = sorted(f for f in os.listdir(d) if not f.startswith(("events", "model.ckpt-0.")))
    return (steps, sorted(seen[1:]), seen[:4], os.path.basename(state.model_checkpoint_path),
            [os.path.basename(p) for p in state.all_model_checkpoint_paths], files)


tf_c, mtf_c = both(classic)
assert tf_c == mtf_c, (tf_c, mtf_c)
print("classic loop OK")


# -- restoring across the two ----------------------------------------------------------------
LOGDIR = tempfile.mkdtemp()


def train_steps(tf, n, saver=None):
    w, train = model(tf, 100)
    kw = {} if saver is None else {"saver": saver()}
    sv = tf.train.Supervisor(logdir=LOGDIR, save_model_secs=0, save_summaries_secs=0, **kw)
    with sv.managed_session() as sess:
        start = sess.run([w, sv.global_step])
        for _ in range(n):
            sess.run(train)
        sv.saver.save(sess, sv.save_path, global_step=sv.global_step)
        return [float(start[0]), int(start[1])], [float(sess.run(w)), int(sess.run(
            sv.global_step))]


with mtf.Graph().as_default():
    first = train_steps(mtf, 5, lambda: mtf.train.Saver(
        write_version=mtf.train.SaverDef.V2))  # TF's checkpoint format
with tf1.Graph().as_default():
    second = train_steps(tf1, 2)
with mtf.Graph().as_default():
    third = train_steps(mtf, 0)
assert first[0] == [0.0, 0] and second[0] == first[1] and third[0] == second[1], \
    (first, second, third)
assert abs(second[1][0] - 3 * (1 - 0.8 ** 7)) < 1e-5, second
print("restore across OK")


# -- errors -----------------------------------------------------------------------------------
def errors(tf):
    w, train = model(tf)
    sv = tf.train.Supervisor(save_model_secs=0)
    out = []

    def block(body):
        def run():
            with sv.managed_session() as sess:
                body(sess)
            return sv.should_stop()
        return outcome(run)[0]

    def raise_(e):
        raise e

    def failing_loop(sess):
        sv.loop(0.01, lambda: raise_(KeyError("x")))
        deadline = time.monotonic() + 5
        while not sv.should_stop() and time.monotonic() < deadline:
            time.sleep(0.005)

    out.append(block(lambda sess: raise_(ValueError("boom"))))
    out.append(block(lambda sess: raise_(tf.errors.OutOfRangeError(None, None, "end"))))
    out.append(block(failing_loop))
    out.append(block(lambda sess: sess.run(train)))
    return out


tf_e, mtf_e = both(errors)
assert tf_e == mtf_e == ["ValueError", "ok", "KeyError", "ok"], (tf_e, mtf_e)
print("errors OK")
print("ALL OK")
