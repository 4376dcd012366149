"""``tf.contrib.factorization.KMeans`` (TF 1.15's clustering_ops.py): the graph of k-means
clustering, full batch (one Lloyd iteration per step) or mini-batch.

Built as TF builds it, with the same variables ("clusters", "initialized", and for mini-batch
the counts "Variable", plus "clusters_updated" / "update_in_steps" when
``mini_batch_steps_per_iteration > 1``):

- the init op adds centers until there are ``num_clusters`` ("random": rows drawn uniformly,
  or the whole batch when it has no more rows than centers are missing; "kmeans_plus_plus":
  KmeansPlusPlusInitialization on the first shard; "kmc2": a k-MC2 chain, one center per run
  once the first is the batch's first row; a tensor/array; or ``f(inputs, k)``), then sets
  "initialized";
- full batch: ``centers = sums / (counts + 1e-6)`` per cluster (an empty cluster goes to 0);
- mini-batch: each center with k new points moves ``x += (sum(d) - k x) / (n + k)``, n its
  running count (which starts at 1; at 0 and reset every iteration when
  ``mini_batch_steps_per_iteration > 1``, the updated copy being synced to "clusters" then).
  TF's graph leaves some reads unordered with the writes of the same step (its results then
  depend on its scheduler); here the counts and centers are read before they are updated and,
  with more than one step per iteration, the step that syncs assigns its points to the
  centers it has just synced (one more NearestNeighbors than TF's graph).

Cosine distance normalizes the inputs and keeps (full batch) or reads (mini-batch) the centers
normalized; the assigned distance is half the squared distance between normalized vectors.
"""

from __future__ import annotations

import time

import minitf as tf

from ..errors import OpError

from ..ops.clustering_ops import (kmc2_chain_initialization, kmeans_plus_plus_initialization,
                                  nearest_neighbors)
from ..train.session_run_hook import SessionRunHook

__all__ = ["CLUSTERS_VAR_NAME", "COSINE_DISTANCE", "KMC2_INIT", "KMEANS_PLUS_PLUS_INIT", "KMeans",
           "RANDOM_INIT", "SQUARED_EUCLIDEAN_DISTANCE"]

SQUARED_EUCLIDEAN_DISTANCE = "squared_euclidean"
COSINE_DISTANCE = "cosine"
RANDOM_INIT = "random"
KMEANS_PLUS_PLUS_INIT = "kmeans_plus_plus"
KMC2_INIT = "kmc2"
CLUSTERS_VAR_NAME = "clusters"  # the variable the Estimator reads the centers from


class KMeans:
    """Creates the graph for k-means clustering (TF 1.15's ``KMeans``)."""

    def __init__(self, inputs, num_clusters, initial_clusters=RANDOM_INIT,
                 distance_metric=SQUARED_EUCLIDEAN_DISTANCE, use_mini_batch=False,
                 mini_batch_steps_per_iteration=1, random_seed=0, kmeans_plus_plus_num_retries=2,
                 kmc2_chain_length=200):
        methods = [RANDOM_INIT, KMEANS_PLUS_PLUS_INIT, KMC2_INIT]
        if isinstance(initial_clusters, str) and initial_clusters not in methods:
            raise ValueError(f"Unsupported initialization algorithm '{initial_clusters}': "
                             f"expected one of {methods}, a tensor or a callable")
        if distance_metric not in (SQUARED_EUCLIDEAN_DISTANCE, COSINE_DISTANCE):
            raise ValueError(f"Unsupported distance metric '{distance_metric}': expected "
                             f"'{SQUARED_EUCLIDEAN_DISTANCE}' or '{COSINE_DISTANCE}'")
        self._inputs = inputs if isinstance(inputs, list) else [inputs]
        self._num_clusters = num_clusters
        self._initial_clusters = initial_clusters
        self._distance_metric = distance_metric
        self._use_mini_batch = use_mini_batch
        self._mini_batch_steps_per_iteration = int(mini_batch_steps_per_iteration)
        self._random_seed = random_seed
        self._kmeans_plus_plus_num_retries = kmeans_plus_plus_num_retries
        self._kmc2_chain_length = kmc2_chain_length

    @classmethod
    def _distance_graph(cls, inputs, clusters, distance_metric):
        """Distance of every row of each input to every center: a list, one per input."""
        assert isinstance(inputs, list)
        if distance_metric == SQUARED_EUCLIDEAN_DISTANCE:
            return cls._compute_euclidean_distance(inputs, clusters)
        return cls._compute_cosine_distance(inputs, clusters, inputs_normalized=True)

    @classmethod
    def _compute_euclidean_distance(cls, inputs, clusters):
        # |x|^2 - 2 x.c + |c|^2, the norms broadcast along rows and columns
        return [tf.reduce_sum(tf.square(inp), 1, keepdims=True)
                - 2 * tf.matmul(inp, clusters, transpose_b=True)
                + tf.transpose(tf.reduce_sum(tf.square(clusters), 1, keepdims=True))
                for inp in inputs]

    @classmethod
    def _compute_cosine_distance(cls, inputs, clusters, inputs_normalized=True):
        if not inputs_normalized:
            clusters = tf.nn.l2_normalize(clusters, axis=1)
        output = []
        for inp in inputs:
            if not inputs_normalized:
                inp = tf.nn.l2_normalize(inp, axis=1)
            output.append(1 - tf.matmul(inp, clusters, transpose_b=True))
        return output

    def _infer_graph(self, inputs, clusters):
        """(all_scores, scores, cluster_idx), each a tuple with one tensor per input: the
        distances to every center, to the nearest one, and the nearest one's index."""
        assert isinstance(inputs, list)
        scores = self._distance_graph(inputs, clusters, self._distance_metric)
        if self._distance_metric == COSINE_DISTANCE and not self._clusters_l2_normalized():
            # between unit vectors, cosine distance is half the squared euclidean one
            clusters = tf.nn.l2_normalize(clusters, axis=1)
        output = []
        for inp, score in zip(inputs, scores):
            indices, distances = nearest_neighbors(inp, clusters, 1)
            if self._distance_metric == COSINE_DISTANCE:
                distances *= 0.5
            output.append((score, tf.squeeze(distances, [-1]), tf.squeeze(indices, [-1])))
        return tuple(zip(*output))

    def _clusters_l2_normalized(self):
        """Whether the stored centers are kept normalized (cosine, except plain mini-batch)."""
        return (self._distance_metric == COSINE_DISTANCE
                and (not self._use_mini_batch or self._mini_batch_steps_per_iteration > 1))

    def _create_variables(self, num_clusters):
        """(clusters, initialized, counts, clusters_updated, update_in_steps)."""
        init_value = tf.constant([], dtype=tf.float32)
        cluster_centers = tf.Variable(init_value, name=CLUSTERS_VAR_NAME, validate_shape=False)
        cluster_centers_initialized = tf.Variable(False, dtype=tf.bool, name="initialized")
        if self._use_mini_batch and self._mini_batch_steps_per_iteration > 1:
            # the copy each step updates, synced to "clusters" once per iteration
            cluster_centers_updated = tf.Variable(init_value, name="clusters_updated",
                                                  validate_shape=False)
            update_in_steps = tf.Variable(self._mini_batch_steps_per_iteration, dtype=tf.int64,
                                          name="update_in_steps")
            cluster_counts = tf.Variable(tf.zeros([num_clusters], dtype=tf.int64))
        else:
            cluster_centers_updated = cluster_centers
            update_in_steps = None
            cluster_counts = (tf.Variable(tf.ones([num_clusters], dtype=tf.int64))
                              if self._use_mini_batch else None)
        return (cluster_centers, cluster_centers_initialized, cluster_counts,
                cluster_centers_updated, update_in_steps)

    @classmethod
    def _l2_normalize_data(cls, inputs):
        return [tf.nn.l2_normalize(inp, axis=1) for inp in inputs]

    def training_graph(self):
        """(all_scores, cluster_idx, scores, cluster_centers_initialized, init_op,
        training_op). Run ``init_op`` until ``cluster_centers_initialized`` is True, then
        ``training_op`` once per full-batch iteration or mini-batch."""
        if isinstance(self._initial_clusters, str) or callable(self._initial_clusters):
            initial_clusters = self._initial_clusters
            num_clusters = tf.convert_to_tensor(self._num_clusters)
        else:
            initial_clusters = tf.convert_to_tensor(self._initial_clusters)
            num_clusters = tf.shape(initial_clusters)[0]
        inputs = self._inputs
        (cluster_centers_var, cluster_centers_initialized, total_counts,
         cluster_centers_updated, update_in_steps) = self._create_variables(num_clusters)
        init_op = _InitializeClustersOpFactory(
            self._inputs, num_clusters, initial_clusters, self._distance_metric,
            self._random_seed, self._kmeans_plus_plus_num_retries, self._kmc2_chain_length,
            cluster_centers_var, cluster_centers_updated, cluster_centers_initialized).op()
        cluster_centers = cluster_centers_var
        if self._distance_metric == COSINE_DISTANCE:
            inputs = self._l2_normalize_data(inputs)
            if not self._clusters_l2_normalized():
                cluster_centers = tf.nn.l2_normalize(cluster_centers, axis=1)
        all_scores, scores, cluster_idx = self._infer_graph(inputs, cluster_centers)
        if self._use_mini_batch:
            sync_updates_op = self._mini_batch_sync_updates_op(
                update_in_steps, cluster_centers_var, cluster_centers_updated, total_counts)
            with tf.control_dependencies([sync_updates_op]):
                if self._mini_batch_steps_per_iteration > 1:
                    # TF leaves the assignments unordered with the sync; these are made
                    # after it, from the centers of the iteration just ended.
                    _, _, cluster_idx = self._infer_graph(inputs,
                                                          cluster_centers_var.read_value())
                training_op = self._mini_batch_training_op(inputs, cluster_idx,
                                                           cluster_centers_updated, total_counts)
        else:
            training_op = self._full_batch_training_op(inputs, num_clusters, cluster_idx,
                                                       cluster_centers_var)
        return (all_scores, cluster_idx, scores, cluster_centers_initialized, init_op,
                training_op)

    def _mini_batch_sync_updates_op(self, update_in_steps, cluster_centers_var,
                                    cluster_centers_updated, total_counts):
        """Every ``mini_batch_steps_per_iteration`` steps: copy the updated centers to
        "clusters" and zero the counts; otherwise count the step down."""
        if not (self._use_mini_batch and self._mini_batch_steps_per_iteration > 1):
            return tf.no_op()

        def _sync():
            # reset the countdown first, then the centers, then the counts (TF's order)
            with tf.control_dependencies([tf.assign(update_in_steps,
                                                    self._mini_batch_steps_per_iteration - 1)]):
                centers = cluster_centers_updated
                if self._distance_metric == COSINE_DISTANCE:
                    centers = tf.nn.l2_normalize(cluster_centers_updated, axis=1)
                with tf.control_dependencies([tf.assign(cluster_centers_var, centers)]):
                    with tf.control_dependencies([tf.assign(total_counts,
                                                            tf.zeros_like(total_counts))]):
                        return tf.identity(update_in_steps)

        return tf.cond(update_in_steps <= 0, _sync, lambda: tf.assign_sub(update_in_steps, 1))

    def _mini_batch_training_op(self, inputs, cluster_idx_list, cluster_centers, total_counts):
        """x += (sum_i d_i - k x) / (n + k) for each center x with count n and k new points."""
        update_ops = []
        for inp, cluster_idx in zip(inputs, cluster_idx_list):
            cluster_idx = tf.reshape(cluster_idx, [-1])
            unique_ids, unique_idx = tf.unique(cluster_idx)
            num_unique_cluster_idx = tf.size(unique_ids)
            # read after any sync (inside its control dependency), before the updates below
            old_counts = tf.gather(total_counts.read_value(), unique_ids)
            old_cluster_centers = tf.gather(cluster_centers.read_value(), unique_ids)
            count_updates = tf.unsorted_segment_sum(
                tf.ones_like(unique_idx, dtype=total_counts.dtype), unique_idx,
                num_unique_cluster_idx)
            cluster_center_updates = tf.unsorted_segment_sum(inp, unique_idx,
                                                             num_unique_cluster_idx)
            broadcast_shape = tf.concat(
                [tf.reshape(num_unique_cluster_idx, [1]),
                 tf.ones(tf.reshape(tf.rank(inp) - 1, [1]), dtype=tf.int32)], 0)
            cluster_center_updates -= tf.cast(tf.reshape(count_updates, broadcast_shape),
                                              inp.dtype) * old_cluster_centers
            learning_rate = tf.reciprocal(tf.cast(old_counts + count_updates, inp.dtype))
            cluster_center_updates *= tf.reshape(learning_rate, broadcast_shape)
            with tf.control_dependencies([old_counts, old_cluster_centers]):
                update_ops.extend([tf.scatter_add(total_counts, unique_ids, count_updates),
                                   tf.scatter_add(cluster_centers, unique_ids,
                                                  cluster_center_updates)])
        return tf.group(*update_ops)

    def _full_batch_training_op(self, inputs, num_clusters, cluster_idx_list, cluster_centers):
        """One Lloyd iteration: each center := mean of its points (sum / (count + 1e-6))."""
        cluster_sums, cluster_counts = [], []
        epsilon = tf.constant(1e-6, dtype=inputs[0].dtype)
        for inp, cluster_idx in zip(inputs, cluster_idx_list):
            cluster_sums.append(tf.unsorted_segment_sum(inp, cluster_idx, num_clusters))
            ones = tf.reshape(tf.ones(tf.reshape(tf.shape(inp)[0], [-1])), [-1, 1])
            cluster_counts.append(tf.unsorted_segment_sum(ones, cluster_idx, num_clusters))
        new_clusters_centers = tf.add_n(cluster_sums) / (
            tf.cast(tf.add_n(cluster_counts), cluster_sums[0].dtype) + epsilon)
        if self._clusters_l2_normalized():
            new_clusters_centers = tf.nn.l2_normalize(new_clusters_centers, axis=1)
        return tf.assign(cluster_centers, new_clusters_centers)


class _InitializeClustersOpFactory:
    """Builds the init op: while centers are missing, choose up to that many more (normalized
    for cosine), append them to "clusters" (and "clusters_updated"), and set "initialized"
    once none are missing; with none missing, assert that "initialized" is set."""

    def __init__(self, inputs, num_clusters, initial_clusters, distance_metric, random_seed,
                 kmeans_plus_plus_num_retries, kmc2_chain_length, cluster_centers,
                 cluster_centers_updated, cluster_centers_initialized):
        self._inputs = inputs
        self._num_clusters = num_clusters
        self._initial_clusters = initial_clusters
        self._distance_metric = distance_metric
        self._random_seed = random_seed
        self._kmeans_plus_plus_num_retries = kmeans_plus_plus_num_retries
        self._kmc2_chain_length = kmc2_chain_length
        self._cluster_centers = cluster_centers
        self._cluster_centers_updated = cluster_centers_updated
        self._cluster_centers_initialized = cluster_centers_initialized
        self._num_selected = tf.shape(self._cluster_centers)[0]
        self._num_remaining = self._num_clusters - self._num_selected
        self._num_data = tf.add_n([tf.shape(i)[0] for i in self._inputs])

    def _random(self):
        indices = tf.random_uniform(tf.reshape(self._num_remaining, [-1]), minval=0,
                                    maxval=tf.cast(self._num_data, tf.int64),
                                    seed=self._random_seed, dtype=tf.int64)
        return tf.nn.embedding_lookup(self._inputs, indices, partition_strategy="div")

    def _kmeans_plus_plus(self):
        inp = self._inputs[0]  # TF samples from the first shard only
        if self._distance_metric == COSINE_DISTANCE:
            inp = tf.nn.l2_normalize(inp, axis=1)
        return kmeans_plus_plus_initialization(inp, tf.cast(self._num_remaining, tf.int64),
                                               self._random_seed,
                                               self._kmeans_plus_plus_num_retries)

    def _kmc2_multiple_centers(self):
        """Runs one k-MC2 chain per ``kmc2_chain_length`` rows of the first shard (at least
        one). The chains read "clusters" as it was when the op started, as TF's do, so each
        run adds one center: the batch's first row when there is none yet, else the last
        chain's pick (TF's loop iterations run in parallel and any chain's write may win)."""
        first_shard = self._inputs[0]
        batch_size = tf.shape(first_shard)[0]
        max_to_sample = tf.cast(batch_size / self._kmc2_chain_length, dtype=tf.int32)
        num_to_sample = tf.maximum(tf.minimum(self._num_remaining, max_to_sample), 1)

        def _cond(i, _):
            return tf.less(i, num_to_sample)

        def _body(i, _):
            def _sample_random():
                new_center = tf.reshape(first_shard[0], [1, -1])
                if self._distance_metric == COSINE_DISTANCE:
                    new_center = tf.nn.l2_normalize(new_center, axis=1)
                return new_center

            def _sample_kmc2_chain():
                start = i * self._kmc2_chain_length
                subset = first_shard[start:start + self._kmc2_chain_length]
                _, distances = nearest_neighbors(subset, self._cluster_centers, 1)
                new_center_index = kmc2_chain_initialization(tf.squeeze(distances),
                                                             self._random_seed)
                new_center = tf.reshape(subset[new_center_index], [1, -1])
                if self._distance_metric == COSINE_DISTANCE:
                    new_center = tf.nn.l2_normalize(new_center, axis=1)
                return tf.concat([self._cluster_centers, new_center], 0)

            new_centers = tf.cond(tf.equal(self._num_selected, 0), _sample_random,
                                  _sample_kmc2_chain)
            assigned = tf.assign(self._cluster_centers, new_centers, validate_shape=False)
            if self._cluster_centers_updated is not self._cluster_centers:
                assigned = tf.assign(self._cluster_centers_updated, assigned,
                                     validate_shape=False)
            return i + 1, self._num_clusters - tf.shape(assigned)[0]

        _, num_remaining = tf.while_loop(_cond, _body, [0, 0])
        return num_remaining

    def _greedy_batch_sampler(self, sampler):
        # a batch with no more rows than centers missing becomes centers whole
        return tf.cond(self._num_data <= self._num_remaining,
                       lambda: tf.concat(self._inputs, 0), sampler)

    def _single_batch_sampler(self, sampler):
        # all the missing centers must come from this one batch
        with tf.control_dependencies([tf.assert_greater_equal(self._num_data,
                                                              self._num_remaining)]):
            return sampler()

    def _choose_initial_centers(self):
        if isinstance(self._initial_clusters, str):
            if self._initial_clusters == RANDOM_INIT:
                return self._greedy_batch_sampler(self._random)
            return self._single_batch_sampler(self._kmeans_plus_plus)
        if callable(self._initial_clusters):
            return self._initial_clusters(self._inputs, self._num_remaining)
        with tf.control_dependencies([tf.assert_equal(
                self._num_remaining, tf.shape(self._initial_clusters)[0])]):
            return self._initial_clusters

    def _add_new_centers(self):
        """Appends newly chosen centers; returns how many are still missing."""
        new_centers = self._choose_initial_centers()
        if self._distance_metric == COSINE_DISTANCE:
            new_centers = tf.nn.l2_normalize(new_centers, axis=1)
        # an empty "clusters" (shape [0]) does not concatenate with a matrix
        all_centers = tf.cond(tf.equal(self._num_selected, 0), lambda: new_centers,
                              lambda: tf.concat([self._cluster_centers, new_centers], 0))
        a = tf.assign(self._cluster_centers, all_centers, validate_shape=False)
        if self._cluster_centers_updated is not self._cluster_centers:
            a = tf.assign(self._cluster_centers_updated, a, validate_shape=False)
        return self._num_clusters - tf.shape(a)[0]

    def _initialize(self):
        with tf.control_dependencies([tf.assert_positive(self._num_remaining)]):
            if isinstance(self._initial_clusters, str) and self._initial_clusters == KMC2_INIT:
                num_now_remaining = self._kmc2_multiple_centers()
            else:
                num_now_remaining = self._add_new_centers()
            return tf.cond(tf.equal(num_now_remaining, 0),
                           lambda: tf.assign(self._cluster_centers_initialized, True),
                           tf.no_op)

    def op(self):
        """The init op."""
        return tf.cond(tf.equal(self._num_remaining, 0),
                       lambda: tf.assert_equal(self._cluster_centers_initialized, True),
                       self._initialize)


class _InitializeClustersHook(SessionRunHook):
    """The chief runs the init op until every center is chosen; other workers wait."""

    def __init__(self, init_op, is_initialized_var, is_chief):
        self._init_op = init_op
        self._is_initialized_var = is_initialized_var
        self._is_chief = is_chief

    def after_create_session(self, session, coord):
        while True:
            try:
                if session.run(self._is_initialized_var):
                    break
                if self._is_chief:
                    session.run(self._init_op)
                else:
                    time.sleep(1)
            except RuntimeError as e:
                if isinstance(e, OpError):  # a failing init op would fail forever
                    raise
                tf.logging.info(e)


def _parse_tensor_or_dict(features):
    """A dict of features becomes one matrix, its columns in sorted key order."""
    if isinstance(features, dict):
        keys = sorted(features.keys())
        return tf.concat([features[k] for k in keys], axis=1)
    return features
