"""tf.contrib.input_pipeline: obtain_next's round robin and counter values (TF 1.15's own test
sequence), seek_next looping, epoch limits ending in OutOfRangeError, seeded shuffling
against Python's random with the same seed; bad input."""

import random

import numpy as np
import pytest

import minitf as tf

ip = tf.contrib.input_pipeline


def test_obtain_next_round_robin_and_counter():
    with tf.Graph().as_default(), tf.Session() as sess:
        var = tf.Variable(np.int64(0), name="counter")
        sess.run(tf.assign(var, -1))
        c = tf.constant(["a", "b"])
        sample = ip.obtain_next(c, var)
        assert sample.dtype == tf.string and sample.shape.as_list() == []
        got = []
        for _ in range(3):
            got.append((sess.run(sample), sess.run(var)))
    assert got == [(b"a", 0), (b"b", 1), (b"a", 0)]


def test_seek_next_loops_and_makes_its_variables():
    with tf.Graph().as_default(), tf.Session() as sess:
        elem = ip.seek_next(["a", "b", "c"])
        names = sorted(v.op.name for v in tf.global_variables())
        assert names == ["obtain_next/obtain_next_counter",
                         "obtain_next/obtain_next_expanded_list"]
        assert tf.trainable_variables() == []
        sess.run(tf.global_variables_initializer())
        got = [sess.run(elem) for _ in range(4)]
    assert got == [b"a", b"b", b"c", b"a"]


@pytest.mark.parametrize("epochs", [1, 3])
def test_seek_next_limits_epochs(epochs):
    with tf.Graph().as_default(), tf.Session() as sess:
        elem = ip.seek_next(["a", "b", "c"], num_epochs=epochs)
        sess.run([tf.local_variables_initializer(), tf.global_variables_initializer()])
        got = [sess.run(elem) for _ in range(3 * epochs)]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(elem)
    assert got == [b"a", b"b", b"c"] * epochs


def test_seek_next_shuffles_each_epoch_with_the_seed():
    items = [f"f{i}" for i in range(6)]
    random.seed(42)  # the same Python shuffles, by hand
    want, pool = [], list(items)
    for _ in range(2):
        random.shuffle(pool)
        want.extend(pool)
    with tf.Graph().as_default(), tf.Session() as sess:
        elem = ip.seek_next(list(items), shuffle=True, seed=42, num_epochs=2)
        sess.run(tf.global_variables_initializer())
        got = [sess.run(elem).decode() for _ in range(12)]
    assert got == want
    assert sorted(got[:6]) == sorted(items) and sorted(got[6:]) == sorted(items)


def test_bad_inputs():
    with tf.Graph().as_default():
        var = tf.Variable(np.int64(-1))
        with pytest.raises(ValueError, match="must be rank 1 but is rank 2"):
            ip.obtain_next(tf.constant([["a"]]), var)
        with pytest.raises(ValueError, match="must be rank 0 but is rank 1"):
            ip.obtain_next(tf.constant(["a"]), tf.Variable(np.array([-1], np.int64)))
        with pytest.raises(TypeError, match="int64"):
            ip.obtain_next(tf.constant(["a"]), tf.Variable(-1))
        with pytest.raises(TypeError, match="variable"):
            ip.obtain_next(tf.constant(["a"]), tf.constant(np.int64(-1)))
        with pytest.raises(TypeError, match="string"):
            ip.obtain_next(tf.constant([1.0]), var)
        with pytest.raises(ValueError, match="must not be empty"):
            ip.seek_next([])
