"""tf.contrib.stateless: TF 1.15's names for the stateless random ops, the same functions as
minitf's tf.random.stateless_*; their numbers are TensorFlow's (side by side) and a function
of the seed only."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import stateless

from ..side_by_side import tf_run

SEED = [7, 17]


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def test_names_are_minitfs_stateless_ops():
    assert tf.contrib.stateless is stateless
    assert stateless.stateless_random_uniform is tf.random.stateless_uniform
    assert stateless.stateless_random_normal is tf.random.stateless_normal
    assert stateless.stateless_truncated_normal is tf.random.stateless_truncated_normal
    assert stateless.stateless_multinomial is tf.random.stateless_multinomial
    assert sorted(stateless.__all__) == ["stateless_multinomial", "stateless_random_normal",
                                         "stateless_random_uniform",
                                         "stateless_truncated_normal"]


def _build(lib, fns):
    logits = lib.log([[10.0, 10.0], [1.0, 3.0]])
    return [fns[0]([3, 4], seed=SEED), fns[1]([5], seed=SEED, mean=2.0, stddev=0.5),
            fns[2]([2, 3], seed=SEED), fns[3](logits, 6, seed=SEED),
            fns[0]([4], seed=SEED, minval=3, maxval=9, dtype=lib.int32)]


def test_deterministic_in_the_seed():
    fns = (stateless.stateless_random_uniform, stateless.stateless_random_normal,
           stateless.stateless_truncated_normal, stateless.stateless_multinomial)
    outs = _build(tf, fns)
    other = stateless.stateless_random_uniform([3, 4], seed=[7, 18])
    with tf.Session() as sess:
        first, second = sess.run(outs), sess.run(outs)
        differs = sess.run(other)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], differs)
    assert first[0].shape == (3, 4) and np.all((first[0] >= 0) & (first[0] < 1))
    assert np.all(np.abs(first[2]) <= 2)  # truncated at two standard deviations
    assert first[3].shape == (2, 6) and first[3].dtype == np.int64
    assert np.all((first[4] >= 3) & (first[4] < 9)) and first[4].dtype == np.int32


def test_values_match_tensorflow():
    want = tf_run(lambda tf1: _build(tf1, (
        tf1.random.stateless_uniform, tf1.random.stateless_normal,
        tf1.random.stateless_truncated_normal, tf1.random.stateless_multinomial)))
    with tf.Session() as sess:
        got = sess.run(_build(tf, (
            stateless.stateless_random_uniform, stateless.stateless_random_normal,
            stateless.stateless_truncated_normal, stateless.stateless_multinomial)))
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-6)
