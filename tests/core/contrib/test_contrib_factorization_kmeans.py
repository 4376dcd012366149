"""tf.contrib.factorization.KMeans (the graph): full-batch and mini-batch training, squared
euclidean and cosine distance, against numpy running the update rules step by step from the
same initial centers; the initializations (random rows, kmeans++, k-MC2, given centers, a
callable, batches smaller than the number of centers); TF1's variables; the errors; and, where
TensorFlow is installed, TF's own KMeans graph class side by side (ref variables)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import factorization as fz

from ..side_by_side import tf1_or_skip

R = np.random.default_rng(2018)
F = np.float32
TRUE = np.array([[0, 0, 0], [8, 8, 0], [-8, 8, 4], [0, -9, 6]], F)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _blobs(n, scale=1.0, rng=R):
    labels = rng.integers(0, len(TRUE), n)
    return (TRUE[labels] + scale * rng.normal(size=(n, TRUE.shape[1]))).astype(F)


def _normalize(x):
    return x / np.sqrt(np.maximum((x.astype(np.float64) ** 2).sum(1, keepdims=True), 1e-12))


def _assign(points, centers, metric):
    """Nearest centers and the distances KMeans reports (cosine: 1 - cos)."""
    p = points.astype(np.float64)
    c = centers.astype(np.float64)
    if metric == fz.COSINE_DISTANCE:
        p, c = _normalize(p), _normalize(c)
        all_d = 1 - p @ c.T
    else:
        all_d = ((p[:, None] - c[None]) ** 2).sum(-1)
    idx = all_d.argmin(1)
    return idx, all_d, all_d[np.arange(len(p)), idx]


class NumpyKMeans:
    """The update rules, written from TF's documentation: Lloyd's step for full batch;
    x += (sum(d) - k x) / (n + k) per center for mini-batch, synced every ``steps``."""

    def __init__(self, centers, metric, mini_batch, steps=1):
        self.metric, self.mini_batch, self.steps = metric, mini_batch, steps
        self.clusters = centers.astype(np.float64)
        self.updated = self.clusters.copy()
        k = len(centers)
        self.counts = np.zeros(k) if steps > 1 else np.ones(k)
        self.countdown = steps

    def step(self, points):
        p = points.astype(np.float64)
        if self.metric == fz.COSINE_DISTANCE:
            p = _normalize(p)
        if not self.mini_batch:
            idx = _assign(p, self.clusters, self.metric)[0]
            k = len(self.clusters)
            sums = np.zeros_like(self.clusters)
            np.add.at(sums, idx, p)
            counts = np.bincount(idx, minlength=k)[:, None]
            new = sums / (counts + 1e-6)
            self.clusters = _normalize(new) if self.metric == fz.COSINE_DISTANCE else new
            return
        if self.steps > 1:
            if self.countdown <= 0:
                self.countdown = self.steps - 1
                self.clusters = (_normalize(self.updated) if self.metric == fz.COSINE_DISTANCE
                                 else self.updated.copy())
                self.counts[:] = 0
            else:
                self.countdown -= 1
            target = self.updated
        else:
            target = self.clusters
        idx = _assign(p, self.clusters, self.metric)[0]
        for c in np.unique(idx):
            mine = p[idx == c]
            n, k = self.counts[c], len(mine)
            target[c] += (mine.sum(0) - k * target[c]) / (n + k)
            self.counts[c] += k


def _variable(name):
    return tf.get_default_graph().get_tensor_by_name(name + ":0")


def _initialize(sess, initialized, init_op, feed=None, max_runs=20):
    runs = 0
    while not sess.run(initialized):
        sess.run(init_op, feed)
        runs += 1
        assert runs <= max_runs, "the init op never finished"
    return runs


def _is_row_of(rows, points):
    return all(np.any(np.all(np.isclose(points, r, atol=1e-6), axis=1)) for r in rows)


@pytest.mark.parametrize("metric", [fz.SQUARED_EUCLIDEAN_DISTANCE, fz.COSINE_DISTANCE])
@pytest.mark.parametrize("init", [fz.RANDOM_INIT, fz.KMEANS_PLUS_PLUS_INIT])
def test_full_batch_matches_numpy(metric, init):
    points = _blobs(80)
    km = fz.KMeans(tf.constant(points), 4, initial_clusters=init, distance_metric=metric,
                   use_mini_batch=False, random_seed=7)
    all_scores, idx, scores, initialized, init_op, train_op = km.training_graph()
    assert [v.op.name for v in tf.global_variables()] == ["clusters", "initialized"]
    unit = _normalize(points).astype(F) if metric == fz.COSINE_DISTANCE else points
    expected_init = None
    if init == fz.KMEANS_PLUS_PLUS_INIT:  # the op on the (normalized) points, same seed
        expected_init = fz.kmeans_plus_plus_initialization(unit, 4, 7, 2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert _initialize(sess, initialized, init_op) == 1
        centers = sess.run(_variable("clusters"))
        assert centers.shape == (4, 3) and _is_row_of(centers, unit)
        if expected_init is not None:
            np.testing.assert_allclose(centers, sess.run(expected_init), rtol=1e-6)
        ref = NumpyKMeans(centers, metric, mini_batch=False)
        for _ in range(4):
            want_idx, want_all, want_score = _assign(points, ref.clusters, metric)
            got_all, got_idx, got_score = sess.run([all_scores[0], idx[0], scores[0]])
            np.testing.assert_array_equal(got_idx, want_idx)
            np.testing.assert_allclose(got_all, want_all, rtol=1e-4, atol=1e-3)
            np.testing.assert_allclose(got_score, want_score, rtol=1e-4, atol=1e-3)
            sess.run(train_op)
            ref.step(points)
            np.testing.assert_allclose(sess.run(_variable("clusters")), ref.clusters,
                                       rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("metric", [fz.SQUARED_EUCLIDEAN_DISTANCE, fz.COSINE_DISTANCE])
@pytest.mark.parametrize("steps", [1, 3])
def test_mini_batch_matches_numpy(metric, steps):
    batches = [_blobs(12) for _ in range(9)]
    x = tf.placeholder(tf.float32, [None, 3])
    km = fz.KMeans(x, 4, initial_clusters=fz.KMEANS_PLUS_PLUS_INIT, distance_metric=metric,
                   use_mini_batch=True, mini_batch_steps_per_iteration=steps, random_seed=3)
    _, _, _, initialized, init_op, train_op = km.training_graph()
    names = [v.op.name for v in tf.global_variables()]
    if steps > 1:
        assert names == ["clusters", "initialized", "clusters_updated", "update_in_steps",
                         "Variable"]
    else:
        assert names == ["clusters", "initialized", "Variable"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        _initialize(sess, initialized, init_op, {x: batches[0]})
        ref = NumpyKMeans(sess.run(_variable("clusters")), metric, True, steps)
        updated = "clusters_updated" if steps > 1 else "clusters"
        for batch in batches:
            sess.run(train_op, {x: batch})
            ref.step(batch)
            np.testing.assert_allclose(sess.run(_variable("clusters")), ref.clusters,
                                       rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(sess.run(_variable(updated)), ref.updated
                                       if steps > 1 else ref.clusters, rtol=1e-5, atol=1e-5)
            np.testing.assert_array_equal(sess.run(_variable("Variable")), ref.counts)


def test_given_centers_set_the_number_of_clusters():
    points = _blobs(40)
    start = TRUE + 0.5
    km = fz.KMeans(tf.constant(points), 99, initial_clusters=start, use_mini_batch=False)
    _, _, _, initialized, init_op, train_op = km.training_graph()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        _initialize(sess, initialized, init_op)
        np.testing.assert_allclose(sess.run(_variable("clusters")), start)
        sess.run(init_op)  # all chosen: only asserts that "initialized" is set
        ref = NumpyKMeans(start, fz.SQUARED_EUCLIDEAN_DISTANCE, False)
        sess.run(train_op)
        ref.step(points)
        np.testing.assert_allclose(sess.run(_variable("clusters")), ref.clusters, rtol=1e-5)


def test_callable_and_small_batches_fill_the_centers_over_several_runs():
    x = tf.placeholder(tf.float32, [None, 3])
    km = fz.KMeans(x, 3, initial_clusters=lambda inputs, k: inputs[0][:1], use_mini_batch=True)
    _, _, _, initialized, init_op, _ = km.training_graph()
    batches = [_blobs(5) for _ in range(3)]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for b in batches:
            assert not sess.run(initialized)
            sess.run(init_op, {x: b})
        assert sess.run(initialized)
        np.testing.assert_allclose(sess.run(_variable("clusters")), [b[0] for b in batches])
    with tf.Graph().as_default():  # "random" takes a batch no larger than what is missing
        x = tf.placeholder(tf.float32, [None, 3])
        km = fz.KMeans(x, 5, use_mini_batch=True, random_seed=2)
        _, _, _, initialized, init_op, _ = km.training_graph()
        small, big = _blobs(2), _blobs(30)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(init_op, {x: small})
            np.testing.assert_allclose(sess.run(_variable("clusters")), small)
            sess.run(init_op, {x: big})
            centers = sess.run(_variable("clusters"))
            assert sess.run(initialized) and centers.shape == (5, 3)
            assert _is_row_of(centers[2:], big)


def test_kmc2_adds_one_center_per_run_starting_with_the_first_row():
    points = _blobs(60)
    km = fz.KMeans(tf.constant(points), 4, initial_clusters=fz.KMC2_INIT,
                   use_mini_batch=False, random_seed=5, kmc2_chain_length=20)
    _, _, _, initialized, init_op, train_op = km.training_graph()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        seen = []
        while not sess.run(initialized):
            sess.run(init_op)
            seen.append(sess.run(_variable("clusters")).shape[0])
        centers = sess.run(_variable("clusters"))
        # the chains read the centers as they were when the op started, as TF's do
        assert seen == [1, 2, 3, 4]
        np.testing.assert_allclose(centers[0], points[0])
        assert _is_row_of(centers, points)
        ref = NumpyKMeans(centers, fz.SQUARED_EUCLIDEAN_DISTANCE, False)
        sess.run(train_op)
        ref.step(points)
        np.testing.assert_allclose(sess.run(_variable("clusters")), ref.clusters, rtol=1e-5)


def test_errors_name_what_is_wrong():
    x = tf.constant(_blobs(10))
    with pytest.raises(ValueError, match="Unsupported initialization algorithm 'kmeans'"):
        fz.KMeans(x, 2, initial_clusters="kmeans")
    with pytest.raises(ValueError, match="Unsupported distance metric 'l1'"):
        fz.KMeans(x, 2, distance_metric="l1")
    km = fz.KMeans(x, 11, initial_clusters=fz.KMEANS_PLUS_PLUS_INIT)  # more than 10 points
    _, _, _, initialized, init_op, _ = km.training_graph()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.InvalidArgumentError, match="assert|Condition"):
            sess.run(init_op)
    with tf.Graph().as_default():
        km = fz.KMeans(tf.constant(_blobs(10)), 2, initial_clusters=TRUE[:3])
        _, _, _, _, init_op, _ = km.training_graph()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(init_op)
            centers = sess.run(_variable("clusters"))
            assert centers.shape == (3, 3)  # the given centers decide their number


# TF's KMeans graph class in TF 1.x's mode (ref variables, v1 control flow), which TF 2 sets
# for a whole process: hence a process of its own, given the points and arguments as JSON.
_TF_KMEANS = """
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf1
from tensorflow.python.ops import clustering_ops
tf1.disable_v2_behavior()
args = json.load(sys.stdin)
histories = []
for kwargs in args["configs"]:
    with tf1.Graph().as_default() as g:
        points = tf1.constant(np.array(args["points"], np.float32))
        out = clustering_ops.KMeans(points, **kwargs).training_graph()
        _, _, _, initialized, init_op, train_op = out
        clusters = [v for v in tf1.global_variables() if v.op.name == "clusters"][0]
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            while not sess.run(initialized):
                sess.run(init_op)
            history = [sess.run(clusters).tolist()]
            for _ in range(args["steps"]):
                sess.run(train_op)
                history.append(sess.run(clusters).tolist())
    histories.append(history)
print(json.dumps(histories))
"""
TF_POINTS = _blobs(60, rng=np.random.default_rng(4))
# one k-MC2 chain per run: with several, TF's loop iterations race to write the centers
TF_CONFIGS = [dict(num_clusters=4, initial_clusters=init, distance_metric=metric,
                   use_mini_batch=False, kmc2_chain_length=40, random_seed=1)
              for init in (fz.KMEANS_PLUS_PLUS_INIT, fz.KMC2_INIT)
              for metric in (fz.SQUARED_EUCLIDEAN_DISTANCE, fz.COSINE_DISTANCE)]


@pytest.fixture(scope="module")
def tf_histories():
    """Every configuration of TF_CONFIGS in TensorFlow: the centers after init and 3 steps."""
    tf1_or_skip()
    payload = json.dumps({"points": TF_POINTS.tolist(), "configs": TF_CONFIGS, "steps": 3})
    done = subprocess.run([sys.executable, "-c", _TF_KMEANS], input=payload,
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-3000:]
    return [[np.array(h, F) for h in hist]
            for hist in json.loads(done.stdout.splitlines()[-1])]


@pytest.mark.parametrize("config", range(len(TF_CONFIGS)))
def test_full_batch_matches_tensorflow(config, tf_histories):
    want = tf_histories[config]
    # TF 2's KMeans seeds its ops with get_seed(random_seed)[0], the default graph seed
    kwargs = dict(TF_CONFIGS[config], random_seed=87654321)
    km = fz.KMeans(tf.constant(TF_POINTS), **kwargs)
    _, _, _, initialized, init_op, train_op = km.training_graph()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        _initialize(sess, initialized, init_op)
        got = [sess.run(_variable("clusters"))]
        for _ in range(3):
            sess.run(train_op)
            got.append(sess.run(_variable("clusters")))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
