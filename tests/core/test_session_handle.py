"""TF1's session tensor handles: tf.get_session_handle / get_session_tensor /
delete_session_tensor and the TensorHandle Session.run returns. TF-free tests check
hand-computed values and TF's errors; the side-by-side tests at the end run the same TF1
program in tf.compat.v1 and minitf (skipped without TensorFlow)."""

from __future__ import annotations

import gc
import re

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InternalError, InvalidArgumentError
from minitf.session_handle import TensorHandle

DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"


def _graph():
    g = tf.Graph()
    with g.as_default():
        a = tf.constant([1.0, 2.0], name="a")
        b = tf.multiply(a, 3.0, name="b")
        h = tf.get_session_handle(b)
    return g, a, b, h


# -- storing and reading back --------------------------------------------------------------------
def test_store_read_back_and_compute():
    g, a, b, h = _graph()
    with g.as_default(), tf.Session() as sess:
        hv = sess.run(h)
        assert isinstance(hv, TensorHandle)
        assert hv.handle == f"GetSessionHandle;0;{DEVICE}" == str(hv)
        p, t = tf.get_session_tensor(hv.handle, tf.float32)
        c = t * 10.0
        np.testing.assert_array_equal(sess.run(c, {p: hv.handle}), [30.0, 60.0])
        np.testing.assert_array_equal(sess.run(c, {p: hv.handle.encode()}), [30.0, 60.0])
        np.testing.assert_array_equal(hv.eval(), [3.0, 6.0])
        assert sess.run(h).handle == f"GetSessionHandle;1;{DEVICE}"  # a new id every run
        # A handle's tensor feeds another handle: a chain of runs without copying to Python.
        h2 = tf.get_session_handle(t + 1.0, name="next")
        hv2 = sess.run(h2, {p: hv.handle})
        assert hv2.handle == f"next;2;{DEVICE}"
        np.testing.assert_array_equal(hv2.eval(), [4.0, 7.0])


def test_stored_value_is_a_snapshot():
    v = tf.Variable([1.0, 2.0], name="v")
    h = tf.get_session_handle(tf.identity(v))
    with tf.Session() as sess:
        sess.run(v.initializer)
        hv = sess.run(h)
        sess.run(tf.assign_add(v, [10.0, 10.0]))
        got = hv.eval()
        np.testing.assert_array_equal(got, [1.0, 2.0])  # not the updated variable
        got[0] = 99.0  # a fetched value is the caller's own
        np.testing.assert_array_equal(hv.eval(), [1.0, 2.0])


def test_string_and_int_tensors():
    s = tf.constant([b"x", b"yz"])
    i = tf.constant([[1, 2]], tf.int64)
    hs, hi = tf.get_session_handle(s), tf.get_session_handle(i)
    with tf.Session() as sess:
        vs, vi = sess.run([hs, hi])
        assert vs._dtype == tf.string and vi._dtype == tf.int64
        assert list(vs.eval()) == [b"x", b"yz"]
        got = vi.eval()
        assert got.dtype == np.int64 and got.tolist() == [[1, 2]]


def test_fetching_the_same_handle_twice():
    g, a, b, h = _graph()
    with tf.Session(graph=g) as sess:
        r = sess.run([h, h, {"k": h}, a])
        assert r[0] is r[1] is r[2]["k"]  # one run stores once: one handle
        assert r[0].handle == f"GetSessionHandle;0;{DEVICE}"
        np.testing.assert_array_equal(r[3], [1.0, 2.0])
        assert sess.run(h).handle != sess.run(h).handle
        # TF's callable without a feed_list skips the fetch handler: the handle's bytes.
        assert sess.make_callable(h)() == f"GetSessionHandle;3;{DEVICE}".encode()


def test_get_session_handle_v2():
    from minitf.ops.session_handle_ops import GET_SESSION_HANDLE_V2
    g, a, b, h = _graph()
    with g.as_default():
        h2 = GET_SESSION_HANDLE_V2(b)
        assert h2.dtype == tf.resource and h2.op.type == "GetSessionHandleV2"
        with tf.Session() as sess:
            hv = sess.run(h2)
            assert hv.handle == f"GetSessionHandleV2;0;{DEVICE}"
            np.testing.assert_array_equal(hv.eval(), [3.0, 6.0])


# -- feeding a TensorHandle ----------------------------------------------------------------------
def test_feeding_a_tensor_handle_feeds_the_tensor_it_names():
    g, a, b, h = _graph()
    with g.as_default():
        pf = tf.placeholder(tf.float32, [3], name="pf")  # static shape not checked, as TF
        pi = tf.placeholder(tf.int32, name="pi")
        with tf.Session() as sess:
            hv = sess.run(h)
            np.testing.assert_array_equal(sess.run(pf * 2.0, {pf: hv}), [6.0, 12.0])
            np.testing.assert_array_equal(sess.run(b * 2.0, {b: hv}), [6.0, 12.0])
            with pytest.raises(InvalidArgumentError,
                               match=r"Expects arg\[0\] to be int32 but float is provided"):
                sess.run(pi * 2, {pi: hv})
            p, t = tf.get_session_tensor(hv.handle, tf.float32)
            # The holder wants the handle string: a TensorHandle feeds the stored float.
            with pytest.raises(InvalidArgumentError, match="to be string but float"):
                sess.run(t, {p: hv})
            fn = sess.make_callable(pf * 2.0, [pf])
            np.testing.assert_array_equal(fn(hv), [6.0, 12.0])


# -- deleting, errors ----------------------------------------------------------------------------
def test_delete_then_use_is_an_error():
    g, a, b, h = _graph()
    with g.as_default(), tf.Session() as sess:
        hv = sess.run(h)
        raw = hv.handle
        dp, deleter = tf.delete_session_tensor(raw)
        assert deleter.type == "DeleteSessionTensor" and not deleter.outputs
        p, t = tf.get_session_tensor(raw, tf.float32)
        sess.run(deleter, {dp: hv.get_raw_handle()})
        with pytest.raises(InvalidArgumentError,
                           match=f"The tensor with handle '{re.escape(raw)}' is not in the "
                                 "session store"):
            sess.run(t, {p: raw})
        with pytest.raises(InvalidArgumentError, match=f"Failed to delete a tensor with handle "
                                                       f"'{re.escape(raw)}' in the session store"):
            sess.run(deleter, {dp: raw})
        with pytest.raises(InvalidArgumentError, match="is not in the session store"):
            sess.run(t * 1.0, {t: hv})  # a fed handle is looked up too
        # get_raw_handle hands the lifetime to the caller: eval/delete refuse.
        with pytest.raises(TypeError, match="may have already been deleted"):
            hv.eval()
        hv2 = sess.run(h)
        hv2.delete()
        with pytest.raises(TypeError, match=f"Persistent tensor {re.escape(hv2.handle)} may"):
            hv2.delete()
        with pytest.raises(InvalidArgumentError, match="not in the session store"):
            sess.run(t, {p: hv2.handle})


def test_wrong_dtype_and_unknown_handle():
    g, a, b, h = _graph()
    with g.as_default(), tf.Session() as sess:
        hv = sess.run(h)
        pi, ti = tf.get_session_tensor(hv.handle, tf.int32, name="as_int")
        with pytest.raises(InternalError, match=r"Output 0 of type float does not match "
                                                r"declared output type int32 for node "
                                                r"\{\{node as_int\}\}"):
            sess.run(ti, {pi: hv.handle})
        p, t = tf.get_session_tensor(hv.handle, tf.float32)
        bogus = f"bogus;9;{DEVICE}"
        with pytest.raises(InvalidArgumentError, match=f"'{bogus}' is not in the session"):
            sess.run(t, {p: bogus})
        # TF parses the device of a string fed to the placeholder first.
        with pytest.raises(ValueError, match="Unknown attribute 'x' is encountered"):
            sess.run(t, {p: "bogus;9;x"})
        with pytest.raises(ValueError, match="Unknown attribute 'nothing' is encountered"):
            sess.run(t, {p: b"nothing"})


def test_construction_errors():
    with pytest.raises(TypeError, match="`data` must be of type Tensor"):
        tf.get_session_handle(np.array([1.0]))
    with pytest.raises(ValueError, match="Unknown attribute 'abc' is encountered while "
                                         "parsing the device spec: 'abc'"):
        tf.get_session_tensor("abc", tf.float32)
    with pytest.raises(ValueError, match="Unknown attribute"):
        tf.delete_session_tensor("abc")
    p = tf.placeholder(tf.string, [2])
    from minitf.ops.session_handle_ops import DELETE_SESSION_TENSOR, GET_SESSION_TENSOR
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        GET_SESSION_TENSOR(p, dtype=tf.float32)
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        DELETE_SESSION_TENSOR(p)


# -- sessions ------------------------------------------------------------------------------------
def test_two_sessions_have_their_own_stores():
    g, a, b, h = _graph()
    with g.as_default():
        s1, s2 = tf.Session(), tf.Session()
        x, y, z = s1.run(h), s2.run(h), s1.run(h)
        # Ids count per session: both first handles read "…;0;…".
        assert (x.handle, y.handle, z.handle) == tuple(
            f"GetSessionHandle;{i};{DEVICE}" for i in (0, 0, 1))
        p, t = tf.get_session_tensor(z.handle, tf.float32)
        np.testing.assert_array_equal(s1.run(t, {p: z.handle}), [3.0, 6.0])
        with pytest.raises(InvalidArgumentError, match="not in the session store"):
            s2.run(t, {p: z.handle})
        pf = tf.placeholder(tf.float32)
        with pytest.raises(InvalidArgumentError, match="not in the session store"):
            s2.run(pf + 0.0, {pf: z})  # fed to s2: looked up in s2's store
        s1.close()
        s2.close()


def test_closed_session():
    g, a, b, h = _graph()
    sess = tf.Session(graph=g)
    hv = sess.run(h)
    store = sess._resources.tensor_store
    assert list(store.tensors) == [hv.handle]
    sess.close()
    assert store.tensors == {}  # closing frees the stored tensors
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session"):
        hv.eval()
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session"):
        hv.delete()
    assert hv.handle == f"GetSessionHandle;0;{DEVICE}"


def test_garbage_collected_handles_are_deleted_by_tens():
    g, a, b, h = _graph()
    with tf.Session(graph=g) as sess:
        store = sess._resources.tensor_store
        kept = sess.run(h)
        raw = sess.run(h).get_raw_handle()  # not collected: the caller owns it
        handles = [sess.run(h) for _ in range(9)]
        del handles
        gc.collect()
        assert len(store.tensors) == 11  # 9 dead ones wait for a 10th
        sess.run(h)  # dropped at once: the 10th dead handle
        gc.collect()
        assert sorted(store.tensors) == sorted([kept.handle, raw])


def test_partial_run_and_traced_run_give_handles():
    g, a, b, h = _graph()
    with tf.Session(graph=g) as sess:
        md = tf.RunMetadata()
        traced = sess.run(h, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                          run_metadata=md)
        assert isinstance(traced, TensorHandle) and len(md.step_stats.dev_stats) == 1
        run = sess.partial_run_setup([h, a], [])
        got = sess.partial_run(run, [h, a])
        assert isinstance(got[0], TensorHandle) and got[0].handle.startswith("GetSessionHandle;1;")
        np.testing.assert_array_equal(got[0].eval(), [3.0, 6.0])


def test_graph_nodes():
    g, a, b, h = _graph()
    with g.as_default():
        with tf.name_scope("sc"):
            p, t = tf.get_session_tensor(f"x;0;{DEVICE}", tf.float32)
            p2, t2 = tf.get_session_tensor("x;0;/cpu:0", "int32", name="gt")
            dp, dop = tf.delete_session_tensor(f"x;0;{DEVICE}")
    assert h.name == "GetSessionHandle:0" and h.dtype == tf.string and h.shape.as_tuple() == ()
    assert h.op.colocation_groups() == [b"loc:@b"]
    assert (p.name, t.name, p2.name, t2.name, dp.name, dop.name) == (
        "sc/Placeholder:0", "sc/GetSessionTensor:0", "sc/Placeholder_1:0", "sc/gt:0",
        "sc/Placeholder_2:0", "sc/DeleteSessionTensor")
    assert p.dtype == tf.string and p.shape.rank is None and t.shape.rank is None
    assert t2.dtype == tf.int32
    assert t.device == p.device == dop.device == DEVICE and t2.device == "/device:CPU:0"


# -- side by side with tf.compat.v1 --------------------------------------------------------------
def _program(m):
    """One TF1 program on module ``m`` (minitf or tf.compat.v1): values, handle strings and
    (class name, message) of each error, then the GraphDef's nodes."""
    out = {}

    def expect_error(key, fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - compared by class and words
            out[key] = (type(e).__name__, getattr(e, "message", str(e)))
        else:
            out[key] = None

    g = m.Graph()
    with g.as_default():
        a = m.constant([1.0, 2.0], name="a")
        b = m.multiply(a, 3.0, name="b")
        h = m.get_session_handle(b)
        hn = m.get_session_handle(m.constant([[1, 2]], m.int64), name="ints")
        pf = m.placeholder(m.float32, [2], name="pf")
        pi = m.placeholder(m.int32, name="pi")
        s1, s2 = m.Session(), m.Session()
        hv = s1.run(h)
        out["handles"] = [hv.handle, s1.run(h).handle, s2.run(h).handle]
        both = s1.run([hn, hn])
        out["same_object"] = both[0] is both[1]
        out["callables"] = [type(s1.make_callable(h)()).__name__,
                            type(s1.make_callable(h, [pf])([0.0, 0.0])).__name__]
        out["ints"] = both[0].eval().tolist()
        p, t = m.get_session_tensor(hv.handle, m.float32)
        out["read"] = s1.run(t * 10.0, {p: hv.handle}).tolist()
        out["eval"] = hv.eval().tolist()
        out["fed_handle"] = s1.run(pf * 2.0, {pf: hv}).tolist()
        expect_error("fed_wrong_dtype", lambda: s1.run(pi * 2, {pi: hv}))
        expect_error("holder_fed_handle", lambda: s1.run(t, {p: hv}))
        pi2, ti = m.get_session_tensor(hv.handle, m.int32)
        expect_error("read_wrong_dtype", lambda: s1.run(ti, {pi2: hv.handle}))
        h3 = s1.run(h)
        expect_error("other_session", lambda: s2.run(t, {p: h3.handle}))
        expect_error("junk_handle", lambda: s1.run(t, {p: "junk"}))
        expect_error("unknown_handle", lambda: s1.run(t, {p: f"junk;7;{DEVICE}"}))
        dp, dop = m.delete_session_tensor(hv.handle)
        raw = hv.get_raw_handle()
        s1.run(dop, {dp: raw})
        expect_error("read_deleted", lambda: s1.run(t, {p: raw}))
        expect_error("delete_twice", lambda: s1.run(dop, {dp: raw}))
        expect_error("eval_raw", lambda: hv.eval())
        h3.delete()
        expect_error("delete_deleted", lambda: h3.delete())
        h4 = s2.run(h)
        s2.close()
        expect_error("eval_closed", lambda: h4.eval())
        expect_error("not_a_tensor", lambda: m.get_session_handle([1.0]))
        expect_error("bad_device", lambda: m.get_session_tensor("abc", m.float32))
        s1.close()
        out["nodes"] = [(n.name, n.op, n.device, list(n.input),
                         {k: n.attr[k].SerializeToString(deterministic=True) for k in n.attr})
                        for n in g.as_graph_def().node]
    return out


def test_side_by_side_with_tf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    ours, theirs = _program(tf), _program(tf1)
    assert ours.keys() == theirs.keys()
    for key in ours:
        mine, ref = ours[key], theirs[key]
        if isinstance(ref, tuple):  # an error: same class, TF's message within ours or alike
            assert mine is not None and mine[0] == ref[0], (key, mine, ref)
            want = ref[1].splitlines()
            core = [ln for ln in want if ln and not ln.startswith(("Graph execution", "Detected",
                                                                     "Node:", "\t", " "))]
            text = core[-1] if core else ref[1]
            words = re.sub(r"\{\{node [^}]*\}\}", "", text).split()[:8]
            assert all(w in mine[1] for w in words), (key, mine[1], ref[1])
        else:
            assert mine == ref, (key, mine, ref)


def _gc_program(m):
    """Which of 10 then 9 collected handles' tensors are still readable, per TF1's rule of
    deleting dead handles by tens."""
    g = m.Graph()
    with g.as_default():
        h = m.get_session_handle(m.constant([1.0, 2.0]))
        with m.Session() as sess:
            p, t = m.get_session_tensor(f"x;0;{DEVICE}", m.float32)

            def readable(handles):
                out = []
                for raw in handles:
                    try:
                        sess.run(t, {p: raw})
                        out.append(True)
                    except m.errors.InvalidArgumentError:
                        out.append(False)
                return out

            result = []
            for n in (10, 9):
                handles = [sess.run(h) for _ in range(n)]
                raws = [x.handle for x in handles]
                del handles
                gc.collect()
                result.append(readable(raws))
            return result


def test_side_by_side_garbage_collection_with_tf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    ours = _gc_program(tf)
    assert ours == [[False] * 10, [True] * 9]
    assert _gc_program(tf1) == ours
