"""tf.sort / tf.argsort along an axis other than the last when the rank of the values is not
known at graph construction: TF computes the transposition at run time, and so does minitf
(negative axes count from the end; an axis out of range for the fed rank fails at run time).
References: np.sort / np.argsort (stable) without TensorFlow, and tf.compat.v1 in a process of
its own where TensorFlow is installed."""

from __future__ import annotations

import json

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import tf_side_json

VALUES = np.array([[[3, 1, 2, 9], [0, 2, 5, 2]], [[7, 1, 0, 4], [4, 4, 1, 2]],
                   [[3, 6, 2, 0], [8, 2, 5, 1]]], np.float32)  # ties along every axis
AXES = [0, 1, 2, -1, -2, -3]


def _numpy(values, axis, direction, indices):
    keys = values if direction == "ASCENDING" else -values.astype(np.float64)  # no wrap
    order = np.argsort(keys, axis=axis, kind="stable")  # TopKV2 keeps ties in index order
    return order if indices else np.take_along_axis(values, order, axis=axis)


def test_the_probe_case():
    v = tf.placeholder_with_default(tf.constant([[3., 1.], [0., 2.]]), None)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(tf.argsort(v, axis=0)), [[1, 0], [0, 1]])


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("direction", ["ASCENDING", "DESCENDING"])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint8])
def test_unknown_rank_matches_numpy(axis, direction, dtype):
    values = VALUES.astype(dtype)
    v = tf.placeholder(tf.as_dtype(dtype))  # no rank at all
    fetches = [tf.sort(v, axis=axis, direction=direction),
               tf.argsort(v, axis=axis, direction=direction)]
    with tf.Session() as sess:
        got_sorted, got_order = sess.run(fetches, {v: values})
    np.testing.assert_array_equal(got_sorted, _numpy(values, axis, direction, False))
    np.testing.assert_array_equal(got_order, _numpy(values, axis, direction, True))
    assert got_order.dtype == np.int32 and got_sorted.dtype == dtype


@pytest.mark.parametrize("axis", [0, -2])
def test_one_graph_sorts_values_of_any_rank_fed(axis):
    v = tf.placeholder(tf.float32)
    order = tf.argsort(v, axis=axis)
    with tf.Session() as sess:
        for values in (VALUES[0], VALUES, VALUES[None]):
            np.testing.assert_array_equal(sess.run(order, {v: values}),
                                          _numpy(values, axis, "ASCENDING", True))


@pytest.mark.parametrize("axis", [3, -4])
def test_an_axis_out_of_range_for_the_fed_rank_fails_at_run_time(axis):
    v = tf.placeholder(tf.float32)
    order = tf.argsort(v, axis=axis)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=rf"argsort: axis {axis} is out of range.*\[3\] \[and shape\] "
                                 r"\[3 2 4\]"):
            sess.run(order, {v: VALUES})
        # The same graph runs for values of a rank the axis fits.
        np.testing.assert_array_equal(sess.run(order, {v: VALUES[None]}),
                                      _numpy(VALUES[None], axis, "ASCENDING", True))


@pytest.mark.parametrize("axis", [0, -2])
def test_the_gradient_goes_back_through_the_run_time_transposition(axis):
    # d sum(w * sort(x)) / dx: each weight lands where its sorted value came from.
    values = VALUES.astype(np.float64) + np.arange(VALUES.size).reshape(VALUES.shape) * 1e-3
    weights = np.random.default_rng(0).standard_normal(values.shape)
    v = tf.placeholder(tf.float64)
    (grad,) = tf.gradients(tf.reduce_sum(tf.sort(v, axis=axis) * weights), v)
    with tf.Session() as sess:
        got = sess.run(grad, {v: values})
    want = np.zeros_like(values)
    np.put_along_axis(want, np.argsort(values, axis=axis), weights, axis=axis)
    np.testing.assert_allclose(got, want, rtol=1e-12)


_TF_PROGRAM = r"""
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
values = np.asarray(json.loads(sys.argv[1]), np.float32)
out = []
v = tf.placeholder_with_default(values, None)
fetches = []
for axis in json.loads(sys.argv[2]):
    for direction in ("ASCENDING", "DESCENDING"):
        fetches += [tf.sort(v, axis=axis, direction=direction),
                    tf.argsort(v, axis=axis, direction=direction)]
with tf.Session() as sess:
    print(json.dumps([x.tolist() for x in sess.run(fetches)]))
"""


def test_matches_tensorflow():
    theirs = tf_side_json(_TF_PROGRAM, json.dumps(VALUES.tolist()), json.dumps(AXES),
                          legacy_keras=False)
    v = tf.placeholder_with_default(VALUES, None)
    fetches = []
    for axis in AXES:
        for direction in ("ASCENDING", "DESCENDING"):
            fetches += [tf.sort(v, axis=axis, direction=direction),
                        tf.argsort(v, axis=axis, direction=direction)]
    with tf.Session() as sess:
        ours = sess.run(fetches)
    assert len(ours) == len(theirs) == 4 * len(AXES)
    for mine, their in zip(ours, theirs):
        np.testing.assert_array_equal(mine, their)
