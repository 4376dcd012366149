"""Session feeds keyed by nested structures (a MultiRNNCell's state: a tuple of
LSTMStateTuples). As TF's ``nest.flatten_dict_items``: a nested key and its value are both
flattened (tuples, namedtuples, lists, dicts by sorted key; a numpy array, a string, a set is a
leaf) and must have as many leaves, whatever their structures; no leaf key may repeat, across
keys too. Through Session.run, make_callable (a feed_list entry may be nested) and partial_run.
TF-free checks with hand-computed values first, then side by side with tf.compat.v1.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

import minitf as tf

V1, V2, V3 = np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([10.0, 20.0])
WANT = [14.0, 26.0]  # V1 + V2 + V3
Pair = collections.namedtuple("Pair", "x y")
# TF's LSTMStateTuple needs legacy Keras; to nest, any namedtuple is alike.
StateTuple = collections.namedtuple("LSTMStateTuple", "c h")


def _abc(T):
    a = T.placeholder(T.float32, [2], name="a")
    b = T.placeholder(T.float32, [2], name="b")
    c = T.placeholder(T.float32, [2], name="c")
    return a, b, c, a + b + c


# Feed dicts over placeholders (a, b, c): each gives WANT, or the error TF gives.
def _feeds(a, b, c, LS):
    return {
        "tuple of tuples": {((a,), (b, c)): ((V1,), (V2, V3))},
        "lists for tuples": {((a,), (b, c)): [[V1], [V2, V3]]},
        "deep": {(((a,),), b, c): (((V1,),), V2, V3)},
        "state tuples": {(LS(a, b), c): (LS(V1, V2), V3)},
        "namedtuple key, tuple value": {(LS(a, b), c): ((V1, V2), V3)},
        "other namedtuple": {(LS(a, b), c): (Pair(V1, V2), V3)},
        "same leaves, other nesting": {((a,), b, c): (V1, (V2,), V3)},
        "dict value by sorted key": {((b, a), c): ({"y": V1, "x": V2}, V3)},
        "names as leaves": {(("a:0",), ("b:0", c)): ((V1,), (V2, V3))},
        "empty key": {(): (), a: V1, b: V2, c: V3},
        "flat tuple next to a tensor": {(a, b): (V1, V2), c: V3},
        "too many values": {(a, b): (V1, V2, V3)},
        "too few inside": {((a, b), c): ((V1,), V3)},
        "a list value is nested": {((a, b), c): ((V1, [3.0, 4.0]), V3)},
        "an array is one leaf": {((a, b), c): (np.array([V1, V2]), V3)},
        "a scalar for a tuple": {(a, b, c): 5.0},
        "a string is one leaf": {(a, b): "xy"},
        "a value for an empty key": {(): (1,), a: V1, b: V2, c: V3},
        "repeated leaf": {((a, b), a): ((V1, V2), V3)},
        "repeated across keys": {a: V1, ((a,), (b, c)): ((V1,), (V2, V3))},
        "bad leaf key": {((a, 5), c): ((V1, V2), V3)},
        "a tensor as a leaf value": {((a,), (b, c)): ((a,), (V2, V3))},
        "a leaf of the wrong shape": {((a,), (b, c)): ((np.zeros(3),), (V2, V3))},
    }


def _outcomes(T, LS):
    """Each feed dict's result or (error class name, message)."""
    out = {}
    with T.Graph().as_default():
        a, b, c, total = _abc(T)
        with T.Session() as sess:
            for name, feed in _feeds(a, b, c, LS).items():
                try:
                    out[name] = sess.run(total, feed).tolist()
                except Exception as e:  # noqa: BLE001 - compared by class and text
                    out[name] = (type(e).__name__, str(e))
    return out


def test_nested_keys_feed_their_leaves():
    got = _outcomes(tf, tf.nn.rnn_cell.LSTMStateTuple)
    for name in ("tuple of tuples", "lists for tuples", "deep", "state tuples",
                 "namedtuple key, tuple value", "other namedtuple", "same leaves, other nesting",
                 "dict value by sorted key", "names as leaves", "empty key",
                 "flat tuple next to a tensor"):
        assert got[name] == WANT, name


def test_a_value_that_does_not_flatten_like_its_key():
    got = _outcomes(tf, tf.nn.rnn_cell.LSTMStateTuple)
    counts = {"too many values": (2, 3), "too few inside": (3, 2),
              "a list value is nested": (3, 4), "an array is one leaf": (3, 2),
              "a scalar for a tuple": (3, 1), "a string is one leaf": (2, 1),
              "a value for an empty key": (0, 1)}
    for name, (k, v) in counts.items():
        kind, message = got[name]
        assert kind == "ValueError", name
        assert message.startswith(f"Could not flatten dictionary. Key had {k} elements, but "
                                  f"value had {v} elements. Key: ["), name
    assert got["too many values"][1] == (
        "Could not flatten dictionary. Key had 2 elements, but value had 3 elements. Key: "
        "[<tf.Tensor 'a:0' shape=(2,) dtype=float32>, <tf.Tensor 'b:0' shape=(2,) "
        "dtype=float32>], value: [array([1., 2.]), array([3., 4.]), array([10., 20.])].")
    assert got["a value for an empty key"][1] == (
        "Could not flatten dictionary. Key had 0 elements, but value had 1 elements. "
        "Key: [], value: [1].")


def test_leaves_that_repeat_a_key_and_bad_leaves():
    got = _outcomes(tf, tf.nn.rnn_cell.LSTMStateTuple)
    for name in ("repeated leaf", "repeated across keys"):
        assert got[name] == ("ValueError", "Cannot flatten dict because this key is not "
                             'unique: Tensor("a:0", shape=(2,), dtype=float32)'), name
    assert got["bad leaf key"] == (
        "TypeError", "Cannot interpret feed_dict key as Tensor: Can not convert a int into a "
        "Tensor.")
    kind, message = got["a tensor as a leaf value"]
    assert kind == "TypeError" and message.startswith("The value of a feed cannot be a "
                                                      "tf.Tensor object.")
    assert got["a leaf of the wrong shape"] == (
        "ValueError", "Cannot feed value of shape (3,) for Tensor a:0, which has shape (2,)")


def _state_graph(T, LS):
    """A two-layer state of placeholders (as MultiRNNCell.zero_state gives: a tuple of
    LSTMStateTuples) and out = sum over layers of (layer+1) * (c + 10 h)."""
    state = tuple(LS(T.placeholder(T.float32, [None, 2], name=f"c{i}"),
                     T.placeholder(T.float32, [None, 2], name=f"h{i}")) for i in range(2))
    out = sum((i + 1.0) * (s.c + 10.0 * s.h) for i, s in enumerate(state))
    return state, out


def _state_value():
    LS = tf.nn.rnn_cell.LSTMStateTuple
    return (LS(np.array([[1.0, 2.0]]), np.array([[0.5, 0.0]])),
            LS(np.array([[3.0, 0.0]]), np.array([[0.0, 1.0]])))


STATE_WANT = [[1 * (1 + 5) + 2 * (3 + 0), 1 * (2 + 0) + 2 * (0 + 10)]]  # [[12, 22]]


def test_a_multi_rnn_cell_state_feeds_through_run_make_callable_and_partial_run():
    state, out = _state_graph(tf, tf.nn.rnn_cell.LSTMStateTuple)
    value = _state_value()
    with tf.Session() as sess:
        assert sess.run(out, {state: value}).tolist() == STATE_WANT
        assert sess.run(out, {state[0]: value[0], state[1].c: value[1].c,
                              state[1].h: value[1].h}).tolist() == STATE_WANT
        fetched = sess.run(state, {state: value})  # a fed fetch: the value fed, as a state
        assert type(fetched[1]).__name__ == "LSTMStateTuple"
        assert fetched[1].h.tolist() == [[0.0, 1.0]]
        call = sess.make_callable(out, [state])
        assert call(value).tolist() == STATE_WANT
        assert sess.make_callable(out, [state[0], state[1]])(*value).tolist() == STATE_WANT
        with pytest.raises(ValueError, match="Key had 4 elements, but value had 3"):
            call((value[0], value[1].c))
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key as Tensor"):
            sess.make_callable(out, [(state, 3)])
        leaves = [t for s in state for t in s]
        handle = sess.partial_run_setup([out], leaves)
        assert sess.partial_run(handle, out, {state: value}).tolist() == STATE_WANT
        handle = sess.partial_run_setup([out], leaves)
        with pytest.raises(ValueError, match="Key had 4 elements, but value had 5"):
            sess.partial_run(handle, out, {state: (*value, 1.0)})


def test_dynamic_rnn_state_fed_back():
    """The final state of a MultiRNNCell fed back as its initial state gives the state of
    running the two sequences back to back."""
    x = tf.placeholder(tf.float32, [None, None, 2])
    cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(3) for _ in range(2)])
    init = cell.zero_state(tf.shape(x)[0], tf.float32)
    _, final = tf.nn.dynamic_rnn(cell, x, initial_state=init)
    seq = np.sin(np.arange(12, dtype=np.float32)).reshape(2, 3, 2) * 0.5
    more = np.cos(np.arange(8, dtype=np.float32)).reshape(2, 2, 2) * 0.5
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        mid = sess.run(final, {x: seq})
        got = sess.run(final, {x: more, init: mid})
        want = sess.run(final, {x: np.concatenate([seq, more], axis=1)})
    for g, w in zip(tf.nest.flatten(got), tf.nest.flatten(want)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


# -- side by side with TensorFlow ----------------------------------------------------------------
def test_same_results_and_errors_as_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    want = _outcomes(tf1, StateTuple)
    got = _outcomes(tf, tf.nn.rnn_cell.LSTMStateTuple)
    assert got.keys() == want.keys()
    for name in want:
        if name == "a tensor as a leaf value":  # (TF's names the key with str(), minitf's
            # (session_feeds.py) with repr(): the same first sentence)
            assert got[name][0] == want[name][0]
            assert got[name][1].split(" For ")[0] == want[name][1].split(" For ")[0]
        else:
            assert got[name] == want[name], name


def test_same_state_feeds_as_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def outcome(T, LS):
        with T.Graph().as_default():
            state, out = _state_graph(T, LS)
            value = tuple(LS(*s) for s in _state_value())
            with T.Session() as sess:
                return (sess.run(out, {state: value}).tolist(),
                        sess.make_callable(out, [state])(value).tolist())

    assert outcome(tf, tf.nn.rnn_cell.LSTMStateTuple) == outcome(tf1, StateTuple) == \
        (STATE_WANT, STATE_WANT)
