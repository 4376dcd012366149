"""Session.partial_run_setup / partial_run, Session.reset, and the run / make_callable details
TF 2.21 (tf.compat.v1, graph mode) showed minitf getting wrong: rank-0 feeds fetched back,
callables given the wrong number of values or used after close, feed_dict given as pairs,
out-of-range ints in a list feed. Expected values were given by TF 2.21 unless a test compares
with TF itself."""

import re

import numpy as np
import pytest

import minitf as tf


def _example(T):
    a = T.placeholder(T.float32, name="a")
    b = T.placeholder(T.float32, name="b")
    c = a + b
    return a, b, c, c * 3.0


# -- partial_run --------------------------------------------------------------------------------
def test_partial_run_reuses_what_earlier_calls_computed():
    a, b, c, d = _example(tf)
    with tf.Session() as sess:
        h = sess.partial_run_setup([c, d], [a, b])
        assert isinstance(h, str)
        assert sess.partial_run(h, c, {a: 1.0, b: 2.0}) == 3.0
        r = sess.partial_run(h, d)
        assert r == 9.0 and type(r) is np.float32  # a computed rank-0 value: numpy scalar


def test_partial_run_feeds_in_several_calls():
    a, b, c, d = _example(tf)
    with tf.Session() as sess:
        h = sess.partial_run_setup([c, d], [a, b])
        assert sess.partial_run(h, [], {a: 1.0}) == []  # only feeds: nothing fetched
        assert sess.partial_run(h, [], {b: 5.0}) == []
        assert sess.partial_run(h, [c, d]) == [6.0, 18.0]


def test_stateful_ops_run_once_per_handle():
    a = tf.placeholder(tf.float32, [], name="a")
    r = tf.random_uniform([])
    x, y = r + a, r * 1.0
    v = tf.Variable(0.0)
    inc = tf.assign_add(v, 1.0)
    out = a + inc
    with tf.control_dependencies([inc]):  # reached later through a control edge only
        z = tf.identity(a) * 2.0
    with tf.Session() as sess:
        sess.run(v.initializer)
        h = sess.partial_run_setup([x, y, out, inc, z], [a])
        first = sess.partial_run(h, [y, inc])
        later = sess.partial_run(h, [x, out, z], {a: 0.0})
        assert later[0] == first[0]  # the same random draw
        assert first[1] == 1.0 and later[1] == 1.0 and later[2] == 0.0
        assert sess.run(v) == 1.0
        # A new handle runs them again.
        h = sess.partial_run_setup([out], [a])
        assert sess.partial_run(h, out, {a: 10.0}) == 12.0


def test_ops_run_as_soon_as_their_feeds_are_given():
    # TF's partial-run executor starts at setup: what needs no declared feed runs then,
    # declared targets included (which partial_run itself cannot name).
    a = tf.placeholder(tf.float32, [], name="a")
    w = tf.Variable(0.0)
    inc = tf.assign_add(w, 1.0)
    inc_by_a = tf.assign_add(w, a)
    out = a * 2.0
    with tf.Session() as sess:
        sess.run(w.initializer)
        h = sess.partial_run_setup([out, inc.op, inc_by_a.op], [a])
        assert sess.run(w) == 1.0
        with pytest.raises(RuntimeError, match=r"^partial_run\(\) requires empty `target_list`. "
                           r"Received: target_list=\[<tf.Operation 'AssignAdd' "
                           r"type=AssignAdd>\] \(non-empty\)$"):
            sess.partial_run(h, inc.op)
        assert sess.partial_run(h, out, {a: 5.0}) == 10.0
        assert sess.run(w) == 6.0


def test_a_control_edge_on_a_declared_placeholder_waits_for_its_feed():
    a = tf.placeholder(tf.float32, [], name="a")
    v = tf.Variable(0.0)
    with tf.control_dependencies([a.op]):
        inc = tf.assign_add(v, 1.0)
    k = tf.constant(1.0) * 2.0
    with tf.Session() as sess:
        sess.run(v.initializer)
        h = sess.partial_run_setup([inc, k], [a])
        assert sess.run(v) == 0.0  # waits for a's feed, as TF's does
        assert sess.partial_run(h, k) == 2.0
        assert sess.partial_run(h, inc, {a: 1.0}) == 1.0
        assert sess.run(v) == 1.0


def test_partial_run_fetch_structures_and_fed_fetches():
    a, b, c, d = _example(tf)
    with tf.Session() as sess:
        h = sess.partial_run_setup({"x": [c], "y": (d,)}, [a, b])
        out = sess.partial_run(h, {"x": [c, c, a], "y": (d,)}, {a: 1.0, b: 2.0})
        assert out["x"][:2] == [3.0, 3.0] and out["y"] == (9.0,)
        # A tensor fed in this call comes back as fed, a rank-0 ndarray, declared or not.
        assert type(out["x"][2]) is np.ndarray and out["x"][2].shape == ()
        h = sess.partial_run_setup(["add:0"], ["a:0", "b:0"])
        assert sess.partial_run(h, "add:0", {"a:0": 1.0, b: 2.0}) == 3.0


def test_partial_run_values_do_not_alias_the_caller():
    a = tf.placeholder(tf.float32, [2], name="a")
    b = a * 2.0
    c = b + 1.0
    with tf.Session() as sess:
        h = sess.partial_run_setup([b, c], [a])
        fed = np.array([1.0, 2.0], np.float32)
        got = sess.partial_run(h, b, {a: fed})
        got += 100.0
        fed += 100.0
        np.testing.assert_array_equal(sess.partial_run(h, c), [3.0, 5.0])


@pytest.mark.parametrize("call, message", [
    (lambda s, h, T: s.partial_run(h, T["c"], {T["a"]: 1.0, T["b"]: 2.0, T["e"]: [1.0, 2.0]}),
     "The feed e:0 was not specified in partial_run_setup."),
    (lambda s, h, T: s.partial_run(h, T["a"] + 1.0),
     "The fetch add_1:0 was not specified in partial_run_setup."),
    (lambda s, h, T: s.partial_run(h, T["c"], {T["a"]: 1.0}),
     "Fetch b:0 can't be computed from the feeds that have been fed so far."),
    (lambda s, h, T: s.partial_run("nope", T["c"], {T["a"]: 1.0}),
     "Must run 'setup' before performing partial runs!"),
])
def test_partial_run_refuses_what_setup_did_not_declare(call, message):
    a, b, c, d = _example(tf)
    e = tf.placeholder(tf.float32, [2], name="e")
    names = {"a": a, "b": b, "c": c, "e": e}
    with tf.Session() as sess:
        h = sess.partial_run_setup([c, d], [a, b])
        with pytest.raises(tf.errors.InvalidArgumentError, match=f"^{re.escape(message)}$"):
            call(sess, h, names)
        # A refused call leaves the handle as it was.
        assert sess.partial_run(h, [c, d], {a: 1.0, b: 1.0}) == [2.0, 6.0]


def test_partial_run_refuses_feeding_or_fetching_twice():
    a, b, c, d = _example(tf)
    with tf.Session() as sess:
        h = sess.partial_run_setup([c, d], [a, b])
        sess.partial_run(h, c, {a: 1.0, b: 2.0})
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="^The feed a:0 has already been fed.$"):
            sess.partial_run(h, d, {a: 1.0})
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="^The fetch add:0 has already been fetched.$"):
            sess.partial_run(h, c)
        assert sess.partial_run(h, d) == 9.0
        # Every feed given and every fetch fetched: the handle is gone.
        with pytest.raises(tf.errors.InvalidArgumentError, match="^Must run 'setup'"):
            sess.partial_run(h, d)


def test_partial_run_setup_errors():
    a, b, c, d = _example(tf)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="^a:0 is both fed and fetched.$"):
            sess.partial_run_setup([c, a], [a, b])
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="^Must specify at least one target to fetch or execute.$"):
            sess.partial_run_setup([], [a])
        with pytest.raises(TypeError, match="^Cannot interpret argument `feed` key as Tensor"):
            sess.partial_run_setup([c], [3])
        with pytest.raises(TypeError, match="must be a string or Tensor"):
            sess.partial_run_setup([3], [a])
        h = sess.partial_run_setup(c, a)  # single elements, as TF allows
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="^The feed b:0 was not specified in partial_run_setup.$"):
            sess.partial_run(h, c, {a: 1.0, b: 1.0})
    with pytest.raises(RuntimeError, match="^Attempted to use a closed Session.$"):
        sess.partial_run_setup([c], [a])
    with pytest.raises(RuntimeError, match="^Attempted to use a closed Session.$"):
        sess.partial_run(h, c, {a: 1.0})


def test_a_failure_reaches_the_next_call_and_drops_the_handle():
    a, b, c, _ = _example(tf)
    k = tf.constant(2.0) * 3.0
    e = tf.placeholder(tf.float32, [None], name="e")
    r = tf.reshape(e, [3])
    with tf.Session() as sess:
        # b is needed but not declared: its Placeholder fails at setup, reported next call.
        h = sess.partial_run_setup([c, k], [a])
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="You must feed a value for placeholder tensor 'b'"):
            sess.partial_run(h, k)
        with pytest.raises(tf.errors.InvalidArgumentError, match="^Must run 'setup'"):
            sess.partial_run(h, k)
    with tf.Session() as sess:  # (in TF a failed handle cancels the session's later ones)
        # A call that only feeds returns; its failure comes with the next call.
        h = sess.partial_run_setup([r, k], [e])
        assert sess.partial_run(h, [], {e: [1.0, 2.0]}) == []
        with pytest.raises(tf.errors.InvalidArgumentError, match="Input to reshape is a tensor "
                           "with 2 values, but the requested shape has 3"):
            sess.partial_run(h, k)
        with pytest.raises(tf.errors.InvalidArgumentError, match="^Must run 'setup'"):
            sess.partial_run(h, k)


def test_partial_run_through_tf1_control_flow():
    a = tf.placeholder(tf.float32, [], name="a")
    p = tf.placeholder(tf.bool, [], name="p")
    v = tf.Variable(0.0)
    inc = tf.assign_add(v, 1.0)
    _, total = tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s + a),
                             [tf.constant(0), tf.constant(0.0)])
    k = tf.constant(2.0) * 3.0
    branch = tf.cond(tf.constant(True), lambda: inc + a, lambda: tf.constant(0.0))
    picked = tf.cond(p, lambda: k * 2.0, lambda: k * 3.0)
    scaled, shifted = total * k, picked + a
    with tf.Session() as sess:
        sess.run(v.initializer)
        h = sess.partial_run_setup([scaled, k, branch, picked, shifted], [a, p])
        assert sess.partial_run(h, [k, picked], {p: True}) == [6.0, 12.0]
        assert sess.partial_run(h, [scaled, branch, shifted], {a: 2.0}) == [36.0, 3.0, 14.0]
        assert sess.run(v) == 1.0


def test_partial_run_matches_tf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def run(T):
        graph = T.Graph()
        with graph.as_default():
            a = T.placeholder(T.float32, [2], name="a")
            b = T.placeholder(T.float32, [], name="b")
            v = T.Variable([1.0, 2.0])
            upd = T.assign_add(v, a)
            s = T.reduce_sum(upd * b)
            m = T.reduce_max(a)
            with T.Session() as sess:
                sess.run(v.initializer)
                h = sess.partial_run_setup({"m": m, "s": [s, upd]}, [a, b])
                out = [sess.partial_run(h, [m, a], {a: [3.0, 4.0]})]
                out.append(sess.partial_run(h, {"s": s}, {b: 2.0}))
                out.append(sess.partial_run(h, upd))
                out.append(sess.run(v))
                return out

    ours, theirs = run(tf), run(tf1)
    assert repr(ours) == repr(theirs)


# -- Session.reset ------------------------------------------------------------------------------
def test_reset_closes_every_in_process_session():
    c = tf.constant(5.0)
    x = tf.placeholder(tf.float32, [])
    v = tf.Variable(1.0)
    s1, s2 = tf.Session(), tf.Session()
    s1.run(v.initializer)
    h = s1.partial_run_setup([x + 1.0], [x])
    call, call_fed = s1.make_callable(c), s1.make_callable(c, feed_list=[])
    tf.Session.reset("", ["some_container"])
    closed = "^Session has been closed.$"
    for fn in (lambda: s1.run(v), lambda: s2.run(c), call, call_fed,
               lambda: s1.partial_run(h, x + 1.0, {x: 1.0}), lambda: s1.partial_run_setup([c])):
        with pytest.raises(tf.errors.CancelledError, match=closed):
            fn()
    with pytest.raises(ValueError, match="Cannot feed value of shape"):  # checked first
        s1.run(c, {x: [1.0, 2.0]})
    s1.close()
    with tf.Session() as s3:
        assert s3.run(c) == 5.0
        tf.Session.reset(None)
        with pytest.raises(tf.errors.CancelledError, match=closed):
            s3.run(c)
    with pytest.raises(TypeError, match="^Expected binary or unicode string, got 3$"):
        tf.Session.reset(3)
    with pytest.raises(TypeError, match="^Expected binary or unicode string, got 1$"):
        tf.Session.reset("", [1])


# -- run / make_callable --------------------------------------------------------------------------
def test_a_fetched_rank0_feed_stays_an_array():
    x = tf.placeholder(tf.int32, [])
    y = x + 1
    with tf.Session() as sess:
        fed = sess.run(x, {x: 3})
        assert type(fed) is np.ndarray and fed.shape == () and fed.dtype == np.int32
        both = sess.run([x, y], {x: 3})
        assert type(both[0]) is np.ndarray and type(both[1]) is np.int32
        computed = sess.run(y, {x: 3})
        assert type(computed) is np.int32 and computed == 4
        call = sess.make_callable([x, y], feed_list=[x])
        got = call(3)
        assert type(got[0]) is np.ndarray and type(got[1]) is np.int32
        assert type(sess.make_callable(x, feed_list=[x])(3)) is np.ndarray
        assert type(sess.make_callable(tf.constant(2.0))()) is np.float32


def test_callable_with_the_wrong_number_of_values():
    x = tf.placeholder(tf.float32, name="x")
    z = x + 1.0
    with tf.Session() as sess:
        f = sess.make_callable(z, feed_list=[x])
        # TF zips feed_list with the values and calls run(): a missing one is a missing feed
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="You must feed a value for placeholder tensor 'x'"):
            f()
        assert f(1.0, 2.0) == 2.0  # and an extra one is ignored
        const = sess.make_callable(tf.constant(3.0), feed_list=[x])
        assert const() == 3.0  # nothing needs x
        with pytest.raises(TypeError):  # without a feed_list TF's callable takes no values
            sess.make_callable(z)(1.0)


def test_callable_after_close():
    x = tf.placeholder(tf.float32, name="x")
    c = tf.constant(1.0)
    sess = tf.Session()
    with_feeds = sess.make_callable(x * 2.0, feed_list=[x])
    empty_list = sess.make_callable(c, feed_list=[])
    direct = [sess.make_callable(c), sess.make_callable([c]), sess.make_callable(tf.no_op()),
              sess.make_callable(c, accept_options=True)]
    sess.close()
    # With a feed_list TF 2.21's callable calls run(): RuntimeError; without one it runs the
    # closed C session: CancelledError.
    for f, args in ((with_feeds, (1.0,)), (empty_list, ())):
        with pytest.raises(RuntimeError, match="^Attempted to use a closed Session.$"):
            f(*args)
    for f in direct:
        with pytest.raises(tf.errors.CancelledError, match="^Session has been closed.$"):
            f()


def test_feed_dict_must_be_a_mapping():
    x = tf.placeholder(tf.float32, [])
    with tf.Session() as sess:
        for pairs in ([(x, 1.0)], ((x, 1.0),)):
            with pytest.raises(TypeError, match="^FlattenDictItems: 'dict' must be a dictionary "
                               "or collection.Mapping type object, instead of "
                               f"'{type(pairs).__name__}'.$"):
                sess.run(x * 2.0, pairs)
        assert sess.run(tf.constant(1.0), []) == 1.0  # empty: nothing to feed, as TF


def test_out_of_range_python_ints_in_a_list_wrap():
    xi = tf.placeholder(tf.int32, [None])
    xu = tf.placeholder(tf.uint8, [None])
    x0 = tf.placeholder(tf.int32, [])
    with tf.Session() as sess:
        got = sess.run(xi, {xi: [2**31, 2**32 + 5, -2**31 - 1]})
        np.testing.assert_array_equal(got, [-2**31, 5, 2**31 - 1])
        assert got.dtype == np.int32
        np.testing.assert_array_equal(sess.run(xi, {xi: [2**64 - 1]}), [-1])
        np.testing.assert_array_equal(sess.run(xi, {xi: [2**63]}), [0])
        np.testing.assert_array_equal(sess.run(xu, {xu: [-1, 256, 300]}), [255, 0, 44])
        # Beyond 64 bits TF's own cast overflows.
        with pytest.raises(OverflowError, match="Tensor Placeholder:0 of dtype int32"):
            sess.run(xi, {xi: [2**70]})
        # A lone Python int out of range: TF's TypeError.
        with pytest.raises(TypeError, match="is not compatible with Tensor type"):
            sess.run(x0, {x0: 2**40})
