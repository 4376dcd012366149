"""tf.nn.softmax / log_softmax / softmax_cross_entropy_with_logits along an axis other than the
last when the rank of the logits is not known at graph construction: TF computes the
cross-entropy's transposition at run time, and so does minitf, for all three (they were refused
at build time; TF 2.21's softmax and log_softmax fail there with a TypeError from
``shape.ndims - 1``, an accident of its code, so minitf runs them, and its cross-entropy
fails for a negative axis, which minitf counts from the end). References: numpy's
formulas without TensorFlow, and tf.compat.v1 in a process of its own where TensorFlow is
installed."""

from __future__ import annotations

import json

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import tf_side_json

RNG = np.random.default_rng(5)
LOGITS = RNG.standard_normal((3, 2, 4)).astype(np.float32)
LABELS = RNG.random((3, 2, 4)).astype(np.float32)
AXES = [0, 1, -2, -3]


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", AXES)
def test_unknown_rank_matches_numpy(axis):
    x = tf.placeholder(tf.float32)  # no rank at all
    y = tf.placeholder(tf.float32)
    fetches = [tf.nn.softmax(x, axis=axis), tf.nn.log_softmax(x, axis=axis),
               tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=x, axis=axis)]
    with tf.Session() as sess:
        soft, log_soft, xent = sess.run(fetches, {x: LOGITS, y: LABELS})
    want = _softmax(LOGITS.astype(np.float64), axis)
    np.testing.assert_allclose(soft, want, rtol=1e-5)
    np.testing.assert_allclose(log_soft, np.log(want), rtol=1e-5, atol=1e-6)
    # The cost keeps the other axes in their order (TF moves the axis behind them).
    np.testing.assert_allclose(xent, -(LABELS * np.log(want)).sum(axis=axis), rtol=1e-5)
    assert xent.shape == tuple(np.delete(LOGITS.shape, axis))


def test_one_graph_takes_logits_of_any_rank():
    x = tf.placeholder(tf.float32)
    soft = tf.nn.softmax(x, axis=0)
    with tf.Session() as sess:
        for values in (LOGITS[0], LOGITS, LOGITS[None]):
            np.testing.assert_allclose(sess.run(soft, {x: values}), _softmax(values, 0),
                                       rtol=1e-5)


def test_an_axis_out_of_range_for_the_fed_rank_fails_at_run_time():
    x = tf.placeholder(tf.float32)
    soft = tf.nn.softmax(x, axis=3)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"softmax: axis 3 is out of range.*\[and shape\] \[3 2 4\]"):
            sess.run(soft, {x: LOGITS})
        np.testing.assert_allclose(sess.run(soft, {x: LOGITS[None]}),
                                   _softmax(LOGITS[None], 3), rtol=1e-5)


@pytest.mark.parametrize("axis", [0, -2])
def test_gradients_equal_those_of_the_known_rank_graph(axis):
    values = LOGITS.astype(np.float64)
    w = RNG.standard_normal(values.shape)
    grads = []
    for shape in (None, values.shape):
        x = tf.placeholder(tf.float64, shape)
        y = tf.placeholder(tf.float64, shape)
        loss = tf.reduce_sum(w * tf.nn.softmax(x, axis=axis)) + tf.reduce_sum(
            tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=x, axis=axis))
        with tf.Session() as sess:
            grads.append(sess.run(tf.gradients(loss, [x, y]), {x: values, y: LABELS}))
    for unknown, known in zip(*grads):
        np.testing.assert_allclose(unknown, known, rtol=1e-12)
    # and against the formulas: J^T w = s * (w - sum(s * w)) for the softmax term, and TF's
    # cross-entropy kernel's backprop, softmax - labels (labels taken as distributions)
    s = _softmax(values, axis)
    xent_grad = s - LABELS
    np.testing.assert_allclose(grads[1][0], s * (w - (s * w).sum(axis=axis, keepdims=True))
                               + xent_grad, rtol=1e-9)


_TF_PROGRAM = r"""
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
logits = np.asarray(json.loads(sys.argv[1]), np.float32)
labels = np.asarray(json.loads(sys.argv[2]), np.float32)
x = tf.placeholder_with_default(logits, None)
y = tf.placeholder_with_default(labels, None)
fetches = []
refused = []
for axis in json.loads(sys.argv[3]):
    if axis >= 0:  # a negative one fails at build: range(axis) with axis < 0 (TF's own limit)
        fetches.append(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=x,
                                                                  axis=axis))
    for fn in (tf.nn.softmax, tf.nn.log_softmax):
        try:
            fn(x, axis=axis)
        except TypeError:
            refused.append(fn.__name__)
with tf.Session() as sess:
    print(json.dumps([[v.tolist() for v in sess.run(fetches)], refused]))
"""


def test_matches_tensorflow():
    theirs = tf_side_json(_TF_PROGRAM, json.dumps(LOGITS.tolist()), json.dumps(LABELS.tolist()),
                          json.dumps(AXES), legacy_keras=False)
    theirs, refused = theirs
    # TF's softmax of unknown rank is the accident the docstring names; minitf's is tested
    # against numpy above.
    assert len(refused) == 2 * len(AXES)
    x = tf.placeholder_with_default(LOGITS, None)
    y = tf.placeholder_with_default(LABELS, None)
    fetches = [tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=x, axis=axis)
               for axis in AXES if axis >= 0]
    with tf.Session() as sess:
        ours = sess.run(fetches)
    assert len(ours) == len(theirs) == 2
    for mine, their in zip(ours, theirs):
        np.testing.assert_allclose(mine, np.asarray(their), rtol=1e-5, atol=1e-6)
