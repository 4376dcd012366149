"""Session.run against TF 1.x where a differential probe found them apart: distinct fetches
get arrays of their own, names may be bytes, a fetched string feed comes back as given, bad
feed values raise TF's classes, and an op updating a fed variable is refused."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import tf_side_json

X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)

# Views or aliases of ``a`` the plan may hand back, with their numpy reference.
VIEWS = {
    "identity": (tf.identity, lambda a: a),
    "stop_gradient": (tf.stop_gradient, lambda a: a),
    "reshape": (lambda a: tf.reshape(a, [-1]), lambda a: a.reshape(-1)),
    "expand_dims": (lambda a: tf.expand_dims(a, 0), lambda a: a[None]),
    "squeeze": (lambda a: tf.squeeze(tf.expand_dims(a, 0), 0), lambda a: a),
    "transpose": (tf.transpose, lambda a: a.T),
    "slice": (lambda a: a[:, 1:], lambda a: a[:, 1:]),
}


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


@pytest.mark.parametrize("kind", sorted(VIEWS))
def test_distinct_fetches_get_arrays_of_their_own(graph, kind):
    build, ref = VIEWS[kind]
    pf = tf.placeholder(tf.float32, [None, 3], name="pf")
    a = pf * 2.0
    t = build(a)
    sess = tf.Session()
    want = ref(X * 2.0)
    for r in (sess.run([a, t], {pf: X}), sess.make_callable([a, t], [pf])(X),
              list(sess.run({"a": a, "t": t}, {pf: X}).values())):
        assert r[0] is not r[1] and not np.shares_memory(r[0], r[1])
        r[0] += 100.0  # writing one result leaves the other as computed
        np.testing.assert_array_equal(r[1], want)


def test_same_tensor_fetched_twice_is_one_array(graph):
    pf = tf.placeholder(tf.float32, [None, 3])
    a = pf * 2.0
    r = tf.Session().run([a, (a,), tf.identity(a)], {pf: X})
    assert r[0] is r[1][0] and r[0] is not r[2]
    np.testing.assert_array_equal(r[2], X * 2.0)


def test_names_as_bytes(graph):
    pf = tf.placeholder(tf.float32, [None, 3], name="pf")
    add = tf.add(pf, 1.0, name="add")
    tf.identity(add, name="ident")
    sess = tf.Session()
    np.testing.assert_array_equal(sess.run(b"add:0", {pf: X}), X + 1)
    np.testing.assert_array_equal(sess.run([b"add:0"], {b"pf:0": X})[0], X + 1)
    np.testing.assert_array_equal(sess.make_callable(b"ident:0", [b"pf:0"])(X), X + 1)
    h = sess.partial_run_setup([add], [b"pf:0"])
    np.testing.assert_array_equal(sess.partial_run(h, add, {b"pf:0": X}), X + 1)
    assert graph.as_graph_element(b"add") is add.op
    with pytest.raises(TypeError):
        graph.get_tensor_by_name(b"add:0")  # a TypeError in TF too
    with pytest.raises(TypeError):
        graph.get_operation_by_name(b"add")


def test_fetched_string_feed_comes_back_as_given(graph):
    ps = tf.placeholder(tf.string, [None], name="ps")
    ident = tf.identity(ps)
    sess = tf.Session()
    r = sess.run(ps, {ps: ["a", "é"]})
    assert r.dtype == object and r.tolist() == ["a", "é"]
    r = sess.run([ps, ident], {"ps:0": np.array(["a", "é"])})
    assert r[0].tolist() == ["a", "é"] and all(type(x) is str for x in r[0])
    assert r[1].tolist() == [b"a", "é".encode()]  # computed by an op: bytes
    assert sess.run(ps, {ps: [b"a", "b"]}).tolist() == [b"a", "b"]
    assert sess.make_callable(ps, [ps])(["é"]).tolist() == ["é"]


def test_bad_feed_values_raise_tfs_classes(graph):
    pi = tf.placeholder(tf.int32, [])
    pb = tf.placeholder(tf.bool, [])
    ps = tf.placeholder(tf.string, [])
    pf = tf.placeholder(tf.float32, [3])
    v = tf.Variable([1.0, 2.0, 3.0])
    sess = tf.Session()
    for ph, value, cls in [(pi, None, TypeError), (pi, {"a": 1}, TypeError),
                           (pi, "x", ValueError), (pb, 5, TypeError), (pb, -1, TypeError),
                           (ps, 3, TypeError), (ps, True, TypeError), (pf, v, ValueError),
                           (pf, v.value(), TypeError)]:
        with pytest.raises(cls):
            sess.run(ph, {ph: value})
    assert sess.run(pb, {pb: 1}) == np.array(True)
    assert sess.run(pb, {pb: 2.0}) == np.array(True)
    assert sess.run(pi, {pi: True}) == 1


def test_op_updating_a_fed_variable_is_refused(graph):
    v = tf.Variable([0.0, 0.0, 0.0], name="v")
    inc = tf.assign_add(v, [1.0, 1.0, 1.0])
    read = tf.identity(v)
    sess = tf.Session()
    sess.run(v.initializer)
    with pytest.raises(tf.errors.InvalidArgumentError, match="v:0"):
        sess.run(inc, {v: np.full(3, 4.0, np.float32)})
    np.testing.assert_array_equal(sess.run(v), [0.0, 0.0, 0.0])  # nothing ran
    np.testing.assert_array_equal(sess.run(read, {"v:0": np.full(3, 4.0, np.float32)}),
                                  [4.0, 4.0, 4.0])  # reading a fed variable is fine
    np.testing.assert_array_equal(sess.run(inc), [1.0, 1.0, 1.0])


# The same calls in TensorFlow and here: each line a JSON-able summary.
_STEPS = r"""
def attempt(fn):
    try:
        return ["OK", fn()]
    except Exception as e:
        return [type(e).__name__]

X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
g = tf.Graph()
with g.as_default():
    pf = tf.placeholder(tf.float32, [None, 3], name="pf")
    a = tf.multiply(pf, 2.0, name="a")
    views = [tf.identity(a), tf.stop_gradient(a), tf.reshape(a, [-1]), tf.transpose(a),
             a[:, 1:], tf.squeeze(tf.expand_dims(a, 0), 0)]
    ident = tf.identity(a, name="ident")
    ps = tf.placeholder(tf.string, [None], name="ps")
    ps_id = tf.identity(ps)
    pi = tf.placeholder(tf.int32, [], name="pi")
    pb = tf.placeholder(tf.bool, [], name="pb")
    p0 = tf.placeholder(tf.string, [], name="p0")
    pv = tf.placeholder(tf.float32, [3], name="pv")
    v = tf.Variable([0.0, 0.0, 0.0], name="v")
    inc = tf.assign_add(v, [1.0, 1.0, 1.0])
sess = tf.Session(graph=g)
sess.run(v.initializer)
out = []
r = sess.run([a] + views + [a], {pf: X})
out.append([[r[0] is x, bool(np.shares_memory(r[0], x))] for x in r[1:]])
out.append(attempt(lambda: sess.run(b"a:0", {b"pf:0": X}).tolist()))
out.append(attempt(lambda: sess.make_callable(b"ident:0", [b"pf:0"])(X).tolist()))
out.append(attempt(lambda: bool(sess.partial_run_setup([ident], [b"pf:0"]))))
out.append(attempt(lambda: g.get_tensor_by_name(b"a:0").name))
out.append(attempt(lambda: repr([x.tolist() for x in sess.run([ps, ps_id], {ps: ["a", "é"]})])))
for ph, value in [(pi, None), (pi, {"a": 1}), (pi, "x"), (pb, 5), (pb, 1), (p0, 3),
                  (pv, v)]:
    out.append(attempt(lambda: repr(sess.run(ph, {ph: value}))))
out.append(attempt(lambda: sess.run(inc, {v: np.full(3, 4.0, np.float32)}).tolist()))
out.append(sess.run(v).tolist())
"""


def _ours():
    scope = {"tf": tf, "np": np}
    exec(_STEPS, scope)  # the very calls the TF program makes
    return scope["out"]


def test_same_as_tensorflow():
    theirs = tf_side_json("import json\nimport numpy as np\nimport tensorflow.compat.v1 as tf\n"
                          "tf.disable_v2_behavior()\n" + _STEPS + "print(json.dumps(out))",
                          legacy_keras=False)
    ours = _ours()
    assert ours[0] == [[False, False]] * 6 + [[True, True]]
    assert theirs == ours
