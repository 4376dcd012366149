"""Builds the same queue-based input pipelines in minitf and tf.compat.v1 and compares what is
deterministic: node names, types, inputs and control inputs; collections (queue runners, local
variables, summaries); static dtypes and shapes; FIFO values; a one-thread batch run to its end;
readers over temp files (keys, values, counters, errors); decode_csv values and errors; file ops;
and the messages of closed queues. Prints one OK line per part."""

import os
import re
import tempfile

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1  # noqa: E402

import minitf as mtf  # noqa: E402

tf1.disable_eager_execution()
tf1.disable_v2_tensorshape()  # TF 1.x's shape spelling, "(?, 3)", as minitf's
tf1.disable_control_flow_v2()
tf1.disable_resource_variables()
tf1.logging.set_verbosity(tf1.logging.ERROR)

D = tempfile.mkdtemp()


def _write(name, data: bytes) -> str:
    path = os.path.join(D, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


TFR = os.path.join(D, "a.tfr")
with tf1.python_io.TFRecordWriter(TFR) as w:
    for i in range(3):
        w.write(b"rec%d" % i)
TXT1 = _write("t1.txt", b"h1\nh2\nx,1\ny,2\nz,3")
TXT2 = _write("t2.txt", b"h\r\nq,9\r\n\n")
BIN = _write("f.bin", b"HH" + b"abcdefghijkl" + b"F")


def message(e) -> str:
    """An error's class and TF's own line (the run context TF adds stripped), with the
    process-wide resource counter ("_3_fifo_queue") made neutral."""
    if isinstance(e, (tf1.errors.OpError, mtf.errors.OpError)):
        lines = [ln for ln in e.message.splitlines() if ln and not ln.startswith(
            ("Graph exec", "Detected", "  File", "Node:", "\t", "    "))]
        text = lines[-1] if lines else ""
    else:
        text = str(e)
    return type(e).__name__ + ": " + re.sub(r"'_\d+_", "'_N_", text)


def structure(graph):
    """Every node but the inside of tf.Assert, whose node names differ (a defect of minitf's
    Assert, not of the queues): its op is named "<assert>"."""
    def name(op):
        return "<assert>" if op.type == "Assert" else op.name
    return [(op.name, op.type, [t.name for t in op.inputs], sorted(name(c) for c in
                                                                     op.control_inputs))
            for op in graph.get_operations() if "/Assert" not in op.name]


def check(label, got, want):
    if got != want:
        raise AssertionError(f"{label}:\n minitf {got}\n tf     {want}")
    print(f"OK {label}")


# -- 1. graph structure --------------------------------------------------------------------
def pipelines(tf):
    g = tf.Graph()
    with g.as_default():
        fq = tf.train.string_input_producer(["a", "b", "c"], num_epochs=2, shuffle=False)
        x = fq.dequeue()
        b = tf.train.batch([x, tf.constant([1, 2])], batch_size=2)
        sb = tf.train.shuffle_batch({"x": x, "y": tf.constant(3.0)}, batch_size=2, capacity=10,
                                    min_after_dequeue=3, seed=1)
        pb = tf.train.batch([tf.range(tf.strings.length(x))], 2, dynamic_pad=True,
                            allow_smaller_final_batch=True)
        r = tf.train.range_input_producer(5, shuffle=False)
        sl = tf.train.slice_input_producer([tf.constant([1, 2, 3]), tf.constant([[1.], [2.],
                                                                                  [3.]])],
                                           shuffle=False)
        bj = tf.train.batch_join([[x], [x]], 2)
        mb = tf.train.maybe_batch([x], tf.constant(True), 2)
        mf = tf.train.match_filenames_once("/tmp/*.nothing")
        q = tf.FIFOQueue(4, [tf.int32, tf.string], shapes=[[2], []], name="named")
        ops = [q.enqueue(([1, 2], "s")), q.enqueue_many(([[1, 2]], ["t"])), q.dequeue(),
               q.dequeue_many(2), q.dequeue_up_to(3), q.size(), q.is_closed(), q.close(True)]
        tensors = b + list(sb.values()) + [pb, r.dequeue()] + sl + [bj, mb, mf.value()]
        tensors += [t for o in ops for t in (o if isinstance(o, list) else [o])
                    if not hasattr(o, "type")]
        info = {"tensors": [(t.name, t.dtype.name, str(t.shape.as_list() if t.shape.rank
                                                      is not None else None))
                            for t in tensors],
                "structure": structure(g),
                "runners": [(qr.name, [o.name for o in qr.enqueue_ops], qr.close_op.name,
                             qr.cancel_op.name) for qr in
                            g.get_collection(tf.GraphKeys.QUEUE_RUNNERS)],
                "local": [v.name for v in g.get_collection(tf.GraphKeys.LOCAL_VARIABLES)],
                "summaries": [s.name for s in g.get_collection(tf.GraphKeys.SUMMARIES)],
                "queue": (q.name, [d.name for d in q.dtypes], [s.as_list() for s in q.shapes])}
    return info


mine, theirs = pipelines(mtf), pipelines(tf1)
for key in theirs:
    check(f"pipeline {key}", mine[key], theirs[key])


# -- 2. FIFO values and closed-queue messages ----------------------------------------------
def fifo(tf):
    out = []
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(5, [tf.int32, tf.float32], shapes=[[], [2]])
        unshaped = tf.FIFOQueue(3, tf.int32)
        pad = tf.PaddingFIFOQueue(5, [tf.int32], shapes=[[None]])
        v = tf.placeholder(tf.int32, [None])
        with tf.Session() as s:
            s.run(q.enqueue_many(([1, 2, 3], [[1., 2.], [3., 4.], [5., 6.]])))
            s.run(q.enqueue((4, [7., 8.])))
            out.append(s.run(q.dequeue()))
            out.append(s.run(q.dequeue_many(2)))
            out.append(s.run(q.size()))
            s.run(q.close())
            out.append(s.run(q.is_closed()))
            for op in (q.dequeue_many(2), q.dequeue_up_to(2), q.dequeue(),
                       q.enqueue((1, [1., 1.]))):
                try:
                    out.append(s.run(op))
                except tf.errors.OpError as e:
                    out.append(message(e))
            for op in (unshaped.dequeue_many(1),):
                try:
                    out.append(s.run(op))
                except tf.errors.OpError as e:
                    out.append(message(e))
            for row in ([1], [1, 2, 3], []):
                s.run(pad.enqueue([v]), {v: row})
            out.append(s.run(pad.dequeue_many(3)))
            ph = tf.placeholder(tf.float32)
            try:
                s.run(q.enqueue((1, ph)), {ph: [1., 2., 3.]})
            except tf.errors.OpError as e:
                out.append(message(e))
    return out


def same(a, b) -> bool:
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and bool(np.all(a == b))
    return a == b and type(a) is type(b)


def check_values(label, got, want):
    if not same(got, want):
        raise AssertionError(f"{label}:\n minitf {got}\n tf     {want}")
    print(f"OK {label}")


check_values("fifo", fifo(mtf), fifo(tf1))


# -- 3. a one-thread batch run to its end ------------------------------------------------
def batch_run(tf):
    g = tf.Graph()
    with g.as_default():
        fq = tf.train.string_input_producer(["a", "bb", "ccc"], num_epochs=2, shuffle=False)
        x = fq.dequeue()
        xb, nb = tf.train.batch([x, tf.strings.length(x)], 4, allow_smaller_final_batch=True)
        out = []
        with tf.Session() as s:
            s.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(s, coord)
            try:
                for _ in range(10):
                    out.append(s.run([xb, nb]))
            except tf.errors.OutOfRangeError as e:
                out.append(message(e))
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=10)
    return out


check_values("batch run", batch_run(mtf), batch_run(tf1))


# -- 4. readers ----------------------------------------------------------------------------
def readers(tf):
    out = []
    g = tf.Graph()
    with g.as_default():
        fq = tf.FIFOQueue(10, tf.string)
        names = tf.placeholder(tf.string, [None])
        fill = fq.enqueue_many([names])
        r = tf.TFRecordReader()
        k, v = r.read(fq)
        t = tf.TextLineReader(skip_header_lines=1)
        tk, tv = t.read(fq)
        ku, vu = t.read_up_to(fq, 3)
        fl = tf.FixedLengthRecordReader(4, header_bytes=2, footer_bytes=1)
        fk, fv = fl.read(fq)
        wf = tf.WholeFileReader()
        wk, wv = wf.read(fq)
        ir = tf.IdentityReader()
        ik, iv = ir.read(fq)
        counts = [r.num_records_produced(), r.num_work_units_completed()]
        with tf.Session() as s:
            def run(fetch, files=None):
                if files is not None:
                    s.run(fill, {names: files})
                try:  # a read the sequence gets wrong blocks: it times out instead
                    return s.run(fetch, options=tf.RunOptions(timeout_in_ms=2000))
                except tf.errors.OpError as e:
                    return message(e)
            for i in range(3):
                out.append(run([k, v], [TFR] if i == 0 else None))
            out.append(run(counts))
            out.append(run([k, v], [TFR]))  # the end of the first file, then the next
            out.append(run(counts))
            out.append(run([tk, tv], [TXT1, TXT2]))
            out += [run([tk, tv]), run([ku, vu]), run([ku, vu]), run([tk, tv])]
            out.append(run([t.num_records_produced(), t.num_work_units_completed()]))
            out += [run([fk, fv], [BIN, TXT1]), run([fk, fv]), run([fk, fv])]
            out += [run([wk, wv], [BIN]), run([wk, wv], ["nosuch"])]
            out += [run([ik, iv], ["w1", "w2"]), run([ik, iv])]
            out += [run([k, v], ["nosuch"])]
            s.run(r.reset())
            out.append(run(counts))
            s.run(fq.close())
            out += [run([k, v]), run([ku, vu])]
    out.append([(op.name, op.type) for op in g.get_operations()])
    return [re.sub(re.escape(D), "<dir>", str(x)) for x in out]


check_values("readers", readers(mtf), readers(tf1))


# -- 5. decode_csv -------------------------------------------------------------------------
def csv(tf):
    cases = [
        (["1,2.5,a,7", "3,,\"b,c\",8"], lambda: [[0], [1.0], ["z"], tf.constant([], tf.int64)],
         {}),
        (["1;2", "NA;4"], lambda: [[0], [0.0]], dict(field_delim=";", na_value="NA")),
        (["1,2,3"], lambda: [[0], [0]], dict(select_cols=[0, 2])),
        (["a\"b,c"], lambda: [[""], [""]], dict(use_quote_delim=False)),
        ([["1,2"], ["3,4"]], lambda: [[0], [0]], {}),
        ("1,2", lambda: [[0], [tf.constant(0, tf.float64)]], {}),
        (["1,2,3"], lambda: [[0], [0]], {}),
        (["1"], lambda: [[0], [0]], {}),
        (["x,2"], lambda: [[0], [0]], {}),
        (["1,"], lambda: [[0], tf.constant([], tf.int32)], {}),
        (["\"a\"b,c"], lambda: [[""], [""]], {}),
        (["\"ab,c"], lambda: [[""], [""]], {}),
        (["a\"b,c"], lambda: [[""], [""]], {}),
        (["\"a\"\"b\",c"], lambda: [[""], [""]], {}),
        (["1.5,2"], lambda: [[0], [0]], {}),
        (["99999999999,2"], lambda: [[0], [tf.constant(0, tf.int64)]], {}),
        (["1e3, 2 "], lambda: [[0.0], [0]], {}),
        (["1e3,x"], lambda: [[0.0], [0.0]], {}),
        ([",,"], lambda: [[1], [2.0], ["d"]], {}),
        (["1,2,3"], lambda: [[0], [0]], dict(select_cols=[2, 0])),
    ]
    out = []
    for rec, defaults, kw in cases:
        g = tf.Graph()
        with g.as_default():
            try:
                outs = tf.decode_csv(rec, defaults(), **kw)
                out.append([(o.name, o.dtype.name, str(o.shape)) for o in outs])
                with tf.Session() as s:
                    out.append(s.run(outs))
            except (tf.errors.OpError, ValueError) as e:
                out.append(message(e))
    return out


check_values("decode_csv", csv(mtf), csv(tf1))


# -- 6. file ops ---------------------------------------------------------------------------
def files(tf):
    g = tf.Graph()
    sub = os.path.join(D, "files", tf.__name__.split(".")[0])
    with g.as_default():
        path = os.path.join(sub, "x.txt")
        w = tf.write_file(path, "hello")
        r = tf.read_file(path)
        m = tf.matching_files(os.path.join(sub, "*.txt"))
        m2 = tf.matching_files([os.path.join(sub, "*.txt"), os.path.join(sub, "*.no")])
        out = [(t.name, t.dtype.name, str(t.shape)) for t in (r, m)] + [w.name, w.type]
        with tf.Session() as s:
            s.run(w)
            out.append([v.tolist() if isinstance(v, np.ndarray) else v
                        for v in s.run([r, m, m2])])
            try:
                s.run(tf.read_file(path + "no"))
            except tf.errors.OpError as e:
                out.append(message(e))
    return [re.sub(re.escape(sub), "<dir>", str(x)) for x in out]


check_values("file ops", files(mtf), files(tf1))
