"""tf.contrib.training's rejection_sample / stratified_sample (class frequencies of a few
thousand samples against the target by a chi-square bound, fixed seeds, bounded loops; static
and run-time validation errors) and resample_at_rate / weighted_resample (mean copies per row
against the rates, rows kept together, gradients, TF's variables). Every session has a
Coordinator and an operation timeout, so a bug fails instead of hanging."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import training
from minitf.contrib.training_sampling import _verify_input
from tests.core.contrib.test_training_buckets import TIMEOUT_MS, _running

# chi-square critical values at p = 1e-4 (the seeds are fixed: a pass is a pass every time)
CHI2_CRIT = {1: 15.14, 2: 18.42, 3: 21.11, 4: 23.51}


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(1234)
        yield




def _chi2(counts, probs):
    """Pearson's statistic over the classes of nonzero probability (the others must be 0)."""
    counts, probs = np.asarray(counts, float), np.asarray(probs, float)
    assert np.all(counts[probs == 0] == 0)
    n = counts.sum()
    keep = probs > 0
    expected = n * probs[keep]
    return float(np.sum((counts[keep] - expected) ** 2 / expected)), int(keep.sum()) - 1


def _label_stream(data_probs):
    """A scalar int32 label drawn from ``data_probs`` at every run."""
    logits = np.log(np.maximum(np.asarray(data_probs, np.float32), 1e-30))[None]
    return tf.reshape(tf.multinomial(logits, 1, output_dtype=tf.int32), [])


@pytest.mark.parametrize("known_init", [True, False])
def test_stratified_sample_reaches_the_target_probabilities(known_init):
    data_probs = [0.4, 0.3, 0.2, 0.1, 0.0]
    target = [0.2, 0.3, 0.3, 0.2, 0.0]  # accepted: 1/4, 1/2, 3/4, all; half the examples
    label = _label_stream(data_probs)
    value = tf.stack([tf.cast(label, tf.float32) * 10, 1.0])
    [data], labels = training.stratified_sample(
        [value], label, target, batch_size=50, init_probs=data_probs if known_init else None)
    assert data.shape.as_list() == [50, 2] and labels.shape.as_list() == [50]
    got = []
    with _running() as sess:
        for _ in range(50):  # 2500 samples
            d, lab = sess.run([data, labels])
            np.testing.assert_array_equal(d[:, 0], lab * 10)  # data travel with their labels
            got += list(lab)
    if known_init:  # fixed acceptance probabilities: the accepted labels are iid draws
        counts = np.bincount(got, minlength=5)
        stat, df = _chi2(counts, target)
        assert stat < CHI2_CRIT[df], (counts, stat)
    else:
        # The acceptance probabilities come from a running estimate of the data's classes, so
        # its error (about as large as the sampling error here) adds to the counts' and
        # Pearson's statistic is not chi-square distributed: with a fixed bound it failed about
        # 2 runs in 100 (the queue threads make the draws' order, so the result, vary). Bound
        # each class's frequency instead, after the estimate's start at equal (smoothed)
        # counts: over 200 seeds the largest error was 0.044; the unsampled data's is 0.2.
        counts = np.bincount(got[500:], minlength=5)
        assert counts[4] == 0
        freq = counts / counts.sum()
        assert np.max(np.abs(freq - target)) < 0.07, (counts, freq)


def test_stratified_sample_enqueue_many_and_class_count_variable():
    label = tf.constant([1, 3, 3, 1, 3], tf.int32)
    vals = tf.reshape(tf.range(10, dtype=tf.float32), [5, 2])
    [data], labels = training.stratified_sample(
        [vals], label, [0, 0.5, 0, 0.5], batch_size=8, enqueue_many=True, queue_capacity=32)
    counts = [v for v in tf.global_variables() if v.op.name.endswith("class_count")]
    assert len(counts) == 1 and counts[0].dtype.base_dtype == tf.int64
    with _running() as sess:
        d, lab = sess.run([data, labels])
        seen = sess.run(counts[0])
    rows = {1: {(0.0, 1.0), (6.0, 7.0)}, 3: {(2.0, 3.0), (4.0, 5.0), (8.0, 9.0)}}
    for row, lab_i in zip(d, lab):
        assert tuple(row) in rows[int(lab_i)]
    # 10 smoothing counts each, plus the labels of the input batches seen so far (2 of class 1,
    # 3 of class 3 per batch)
    extra = (seen - 10)
    assert extra[0] == extra[2] == 0 and extra[1] * 3 == extra[3] * 2 and extra[1] > 0


def test_stratified_sample_graph_errors():
    val = [tf.zeros([1, 3]), tf.ones([1, 5])]
    label = tf.constant([1], shape=[1])
    probs, init = [0.2] * 5, [0.1, 0.3, 0.1, 0.3, 0.2]
    sample = training.stratified_sample
    with pytest.raises(ValueError):  # labels need their batch dimension
        sample(val, tf.zeros([], tf.int32), probs, 16, init, enqueue_many=True)
    with pytest.raises(ValueError):
        sample(val, tf.zeros([1, 1], tf.int32), probs, 16, init, enqueue_many=True)
    with pytest.raises(ValueError):  # not one-hot labels
        sample(val, tf.constant([0, 1, 0, 0, 0]), probs, 16, init)
    with pytest.raises(TypeError, match="list of tensors"):
        sample(tf.zeros([1, 3]), label, probs, 16, init)
    with pytest.raises(ValueError):  # data need their batch dimension
        sample([tf.zeros([])], label, probs, 16, init, enqueue_many=True)
    with pytest.raises(ValueError, match="not compatible"):
        sample([tf.zeros([2, 1])], label, probs, 16, init, enqueue_many=True)
    with pytest.raises(ValueError, match="rank 1"):
        sample(val, label, 1, 16, init)
    with pytest.raises(ValueError, match="fully defined"):
        sample(val, label, tf.placeholder(tf.float32, [None]), 16, init)
    with pytest.raises(ValueError, match="same length"):
        sample(val, label, [0.1] * 10, 16, init_probs=[0.2] * 5)
    with pytest.raises(TypeError, match="integer"):
        sample(val, tf.constant([1.0]), probs, 16, init, enqueue_many=True)


def test_verify_input_runtime_errors():
    label_ph = tf.placeholder(tf.int32, [None])
    probs_ph = tf.placeholder(tf.float32, [5])
    vals, lbls, [probs] = _verify_input([tf.zeros([3, 1])], label_ph, [probs_ph])
    good_labels, good_probs = [1, 2, 3], [0.2] * 5
    config = tf.ConfigProto(operation_timeout_in_ms=TIMEOUT_MS)
    with tf.Session(config=config) as sess:
        sess.run([vals, lbls, probs], {label_ph: good_labels, probs_ph: good_probs})
        for bad in ([0, -1, 1], [5, 1, 1], [2, 3]):  # negative, >= classes, wrong batch
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(vals + [lbls], {label_ph: bad, probs_ph: good_probs})
        for bad in ([0.1] * 5, [-0.5, 0.5, 0.5, 0.4, 0.1]):  # not summing to 1, negative
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(probs, {label_ph: good_labels, probs_ph: bad})


def test_stratified_sample_zero_init_prob_with_target_fails_at_run_time():
    label = _label_stream([0.0, 0.5, 0.5])
    [data], _ = training.stratified_sample([tf.zeros([2])], label, [0.2, 0.4, 0.4], 4,
                                           init_probs=[0.0, 0.5, 0.5])
    config = tf.ConfigProto(operation_timeout_in_ms=TIMEOUT_MS)
    with tf.Session(config=config) as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        with pytest.raises(tf.errors.OutOfRangeError):  # the runner's error closes the queue
            sess.run(data)
        with pytest.raises(tf.errors.InvalidArgumentError, match="zero initial probability"):
            coord.join(threads, stop_grace_period_secs=10)


# -- rejection_sample --------------------------------------------------------------------------
def test_rejection_sample_keeps_in_proportion_to_the_accept_probability():
    value = tf.random_uniform([], 0, 4, dtype=tf.int32)  # 0..3 uniformly
    [batch] = training.rejection_sample([value], lambda t: tf.cast(t[0], tf.float32) / 3.0,
                                        batch_size=100)
    assert batch.shape.as_list() == [100]
    got = []
    with _running() as sess:
        for _ in range(30):
            got += list(sess.run(batch))
    # accepted value v with probability (1/4)(v/3) / sum: proportional to v
    stat, df = _chi2(np.bincount(got, minlength=4), [0, 1 / 6, 2 / 6, 3 / 6])
    assert stat < CHI2_CRIT[df]


def test_rejection_sample_enqueue_many_only_accepted():
    vals = tf.constant([1.0, 2.0, 1.0, 2.0, 2.0])
    other = tf.constant([[0], [1], [2], [3], [4]])
    out = training.rejection_sample([vals, other], lambda t: t[0] - 1.0, batch_size=10,
                                    enqueue_many=True)
    assert isinstance(out, list) and len(out) == 2
    with _running() as sess:
        for _ in range(3):
            v, o = sess.run(out)
            np.testing.assert_array_equal(v, [2.0] * 10)
            assert set(o[:, 0]) <= {1, 3, 4}


def test_rejection_sample_errors():
    accept = lambda _: tf.constant(1.0)  # noqa: E731
    with pytest.raises(ValueError):
        training.rejection_sample([tf.zeros([])], accept, 32, enqueue_many=True)
    with pytest.raises(ValueError, match="not compatible"):
        training.rejection_sample([tf.zeros([5, 1]), tf.zeros([4, 1])], accept, 32,
                                  enqueue_many=True)


def test_rejection_sample_runtime_checks():
    prob = tf.placeholder(tf.float32, [])
    training.rejection_sample([tf.zeros([])], lambda _: prob, 32, runtime_checks=True,
                              name="rejection_sample")
    checked = tf.get_default_graph().get_tensor_by_name("rejection_sample/prob_with_checks:0")
    with tf.Session(config=tf.ConfigProto(operation_timeout_in_ms=TIMEOUT_MS)) as sess:
        assert sess.run(checked, {prob: 0.25}) == 0.25
        for bad in (-0.1, 1.1):
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(checked, {prob: bad})


# -- resample_at_rate / weighted_resample ------------------------------------------------------
def test_resample_at_rate_mean_copies_follow_the_rates():
    rates = np.array([0.0, 0.5, 1.0, 3.0, 7.5], np.float32)
    rows = tf.constant(np.arange(5, dtype=np.int32))
    tens = tf.constant(np.arange(5, dtype=np.float32)[:, None] * [10.0, 20.0])
    a, b = training.resample_at_rate([rows, tens], rates, seed=7)
    assert a.shape.as_list() == [None] and b.shape.as_list() == [None, 2]
    runs, counts = 400, np.zeros(5)
    with tf.Session(config=tf.ConfigProto(operation_timeout_in_ms=TIMEOUT_MS)) as sess:
        for _ in range(runs):
            ra, rb = sess.run([a, b])
            np.testing.assert_array_equal(rb, ra[:, None] * [10.0, 20.0])  # rows kept together
            assert np.all(np.diff(ra) >= 0)  # each row's copies together, in row order
            counts += np.bincount(ra, minlength=5)
    mean = counts / runs
    assert mean[0] == 0
    # a Poisson count has variance = rate: within 4 standard deviations of the mean
    assert np.all(np.abs(mean - rates) <= 4 * np.sqrt(rates / runs) + 1e-9), mean


def test_resample_at_rate_empty_and_gradient():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    [none] = training.resample_at_rate([x], tf.zeros([3]))
    [out] = training.resample_at_rate([x], tf.constant([2.0, 0.5, 4.0]), seed=3)
    grad = tf.convert_to_tensor(tf.gradients(tf.reduce_sum(out * out), x)[0])
    with tf.Session(config=tf.ConfigProto(operation_timeout_in_ms=TIMEOUT_MS)) as sess:
        assert sess.run(none).shape == (0, 2)
        for _ in range(5):
            o, g = sess.run([out, grad])
            # d/dx of the sum of squares of the copies: 2 x times the row's number of copies
            copies = np.array([np.sum(np.all(o == row, axis=1)) for row in sess.run(x)])
            np.testing.assert_allclose(g, 2 * sess.run(x) * copies[:, None])


def test_weighted_resample_rates_and_variables():
    weights = tf.constant([1.0, 2.0, 3.0, 4.0])
    rows = tf.constant(np.arange(4, dtype=np.int32))
    [out], out_rates = training.weighted_resample([rows], weights, overall_rate=2.0, seed=11)
    local = [v.op.name for v in tf.local_variables()]
    assert "estimate_mean/estimated_mean" in local
    names = {v.op.name for v in tf.global_variables()}
    # TF's zero-debiasing opens a variable scope named after the average inside the current
    # "estimate_mean" scope, hence the doubled prefix
    assert {"estimate_mean/estimate_mean/estimated_mean/biased",
            "estimate_mean/estimate_mean/estimated_mean/local_step"} <= names
    # the zero-debiased moving average of a constant batch mean (2.5) is 2.5 from the start
    expected_rates = np.array([1.0, 2.0, 3.0, 4.0]) * 2.0 / 2.5
    runs, counts = 300, np.zeros(4)
    with _running() as sess:
        for _ in range(runs):
            o, r = sess.run([out, out_rates])
            np.testing.assert_allclose(r, expected_rates[o], rtol=1e-4)  # float32 debiasing
            counts += np.bincount(o, minlength=4)
    mean = counts / runs
    assert np.all(np.abs(mean - expected_rates) <= 4 * np.sqrt(expected_rates / runs)), mean
