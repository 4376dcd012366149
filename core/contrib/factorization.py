"""``tf.contrib.factorization`` (TF 1.15): k-means (``KMeans``, ``KMeansClustering``), Gaussian
mixtures (``GmmAlgorithm``, ``gmm``, ``GMM``) and weighted alternating least squares
(``WALSModel``), with the ops they run (NearestNeighbors, KmeansPlusPlusInitialization,
KMC2ChainInitialization, WALSComputePartialLhsAndRhs, MaskedMatmul; core/ops/clustering_ops.py
and core/ops/wals_ops.py).

``KMeansClustering`` is the canned tf.estimator Estimator of TF 1.15's contrib kmeans.py:
training runs the KMeans graph (the init op first, repeated by a session hook until every
center is chosen), evaluation reports ``SCORE`` (the sum of each point's distance to its
nearest center), prediction gives ``ALL_DISTANCES`` and ``CLUSTER_INDEX``; the centers are
the checkpointed variable "clusters".
"""

from __future__ import annotations

import minitf as tf

from ..ops.clustering_ops import (kmc2_chain_initialization, kmeans_plus_plus_initialization,
                                  nearest_neighbors)
from ..ops.wals_ops import masked_matmul, wals_compute_partial_lhs_and_rhs
from ..train.session_run_hook import SessionRunArgs, SessionRunHook
from .factorization_gmm import (DIAG_COVARIANCE, FULL_COVARIANCE, GMM, MEPS, GmmAlgorithm,
                                gmm)
from .factorization_kmeans import (CLUSTERS_VAR_NAME, COSINE_DISTANCE, KMC2_INIT,
                                   KMEANS_PLUS_PLUS_INIT, RANDOM_INIT,
                                   SQUARED_EUCLIDEAN_DISTANCE, KMeans, _InitializeClustersHook,
                                   _parse_tensor_or_dict)
from .factorization_wals import WALSModel

__all__ = ["CLUSTERS_VAR_NAME", "COSINE_DISTANCE", "DIAG_COVARIANCE", "FULL_COVARIANCE", "GMM",
           "GmmAlgorithm", "KMC2_INIT", "KMEANS_PLUS_PLUS_INIT", "KMeans", "KMeansClustering",
           "MEPS", "RANDOM_INIT", "SQUARED_EUCLIDEAN_DISTANCE", "WALSModel", "gmm",
           "kmc2_chain_initialization", "kmeans_plus_plus_initialization", "masked_matmul",
           "nearest_neighbors", "wals_compute_partial_lhs_and_rhs"]


class _LossRelativeChangeHook(SessionRunHook):
    """Stops training once the loss changes by less than ``tolerance`` relative to
    ``1 + |previous loss|`` from one step to the next."""

    def __init__(self, loss_tensor, tolerance):
        self._loss_tensor = loss_tensor
        self._tolerance = tolerance
        self._prev_loss = None

    def before_run(self, run_context):
        return SessionRunArgs(self._loss_tensor)

    def after_run(self, run_context, run_values):
        loss = run_values.results
        if self._prev_loss:  # TF's test: a previous loss of exactly 0 never stops
            if abs(loss - self._prev_loss) / (1 + abs(self._prev_loss)) < self._tolerance:
                run_context.request_stop()
        self._prev_loss = loss


class _ModelFn:
    """The model_fn of KMeansClustering."""

    def __init__(self, num_clusters, initial_clusters, distance_metric, random_seed,
                 use_mini_batch, mini_batch_steps_per_iteration, kmeans_plus_plus_num_retries,
                 relative_tolerance):
        self._num_clusters = num_clusters
        self._initial_clusters = initial_clusters
        self._distance_metric = distance_metric
        self._random_seed = random_seed
        self._use_mini_batch = use_mini_batch
        self._mini_batch_steps_per_iteration = mini_batch_steps_per_iteration
        self._kmeans_plus_plus_num_retries = kmeans_plus_plus_num_retries
        self._relative_tolerance = relative_tolerance

    def model_fn(self, features, mode, config):
        """Train: one (mini-)batch of Lloyd's algorithm; loss: the sum of each point's
        distance to its nearest center; eval: ``SCORE`` (that sum, averaged over batches);
        predict: ``ALL_DISTANCES`` and ``CLUSTER_INDEX``."""
        input_points = _parse_tensor_or_dict(features)
        (all_distances, model_predictions, losses, is_initialized, init_op,
         training_op) = KMeans(
            inputs=input_points, num_clusters=self._num_clusters,
            initial_clusters=self._initial_clusters, distance_metric=self._distance_metric,
            use_mini_batch=self._use_mini_batch,
            mini_batch_steps_per_iteration=self._mini_batch_steps_per_iteration,
            random_seed=self._random_seed,
            kmeans_plus_plus_num_retries=self._kmeans_plus_plus_num_retries).training_graph()
        loss = tf.reduce_sum(losses)
        tf.summary.scalar("loss/raw", loss)
        incr_step = tf.assign_add(tf.train.get_global_step(), 1)
        with tf.name_scope("control_dependency"), \
                tf.control_dependencies([training_op, incr_step]):
            training_op = tf.identity(loss)  # TF's with_dependencies
        training_hooks = [_InitializeClustersHook(init_op, is_initialized, config.is_chief)]
        if self._relative_tolerance is not None:
            training_hooks.append(_LossRelativeChangeHook(loss, self._relative_tolerance))
        export = tf.estimator.export
        export_outputs = {
            KMeansClustering.ALL_DISTANCES: export.PredictOutput(all_distances[0]),
            KMeansClustering.CLUSTER_INDEX: export.PredictOutput(model_predictions[0]),
            tf.saved_model.signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY:
                export.PredictOutput(model_predictions[0]),
        }
        return tf.estimator.EstimatorSpec(
            mode=mode,
            predictions={KMeansClustering.ALL_DISTANCES: all_distances[0],
                         KMeansClustering.CLUSTER_INDEX: model_predictions[0]},
            loss=loss, train_op=training_op,
            eval_metric_ops={KMeansClustering.SCORE: tf.metrics.mean(loss)},
            training_hooks=training_hooks, export_outputs=export_outputs)


class KMeansClustering(tf.estimator.Estimator):
    """An Estimator for k-means clustering (TF 1.15's contrib ``KMeansClustering``).

    With ``use_mini_batch=False`` each training step is one Lloyd iteration over what the
    input_fn returns (the whole data set); with ``use_mini_batch=True`` each step applies the
    mini-batch update, the centers synced every ``mini_batch_steps_per_iteration`` steps.
    ``initial_clusters`` is RANDOM_INIT, KMEANS_PLUS_PLUS_INIT, a tensor/array of centers or
    ``f(inputs, k)``; ``distance_metric`` SQUARED_EUCLIDEAN_DISTANCE or COSINE_DISTANCE.
    """

    SQUARED_EUCLIDEAN_DISTANCE = SQUARED_EUCLIDEAN_DISTANCE
    COSINE_DISTANCE = COSINE_DISTANCE
    RANDOM_INIT = RANDOM_INIT
    KMEANS_PLUS_PLUS_INIT = KMEANS_PLUS_PLUS_INIT
    SCORE = "score"  # evaluate(): sum of the distances to the nearest centers
    CLUSTER_INDEX = "cluster_index"  # predict(): the nearest center of each point
    ALL_DISTANCES = "all_distances"  # predict(): the distance of each point to each center
    CLUSTER_CENTERS_VAR_NAME = CLUSTERS_VAR_NAME

    def __init__(self, num_clusters, model_dir=None, initial_clusters=RANDOM_INIT,
                 distance_metric=SQUARED_EUCLIDEAN_DISTANCE, random_seed=0, use_mini_batch=True,
                 mini_batch_steps_per_iteration=1, kmeans_plus_plus_num_retries=2,
                 relative_tolerance=None, config=None):
        if isinstance(initial_clusters, str) and initial_clusters not in (RANDOM_INIT,
                                                                          KMEANS_PLUS_PLUS_INIT):
            raise ValueError(f"Unsupported initialization algorithm '{initial_clusters}': "
                             f"expected '{RANDOM_INIT}', '{KMEANS_PLUS_PLUS_INIT}', a tensor "
                             "or a callable")
        if distance_metric not in (SQUARED_EUCLIDEAN_DISTANCE, COSINE_DISTANCE):
            raise ValueError(f"Unsupported distance metric '{distance_metric}': expected "
                             f"'{SQUARED_EUCLIDEAN_DISTANCE}' or '{COSINE_DISTANCE}'")
        model_fn = _ModelFn(num_clusters, initial_clusters, distance_metric, random_seed,
                            use_mini_batch, mini_batch_steps_per_iteration,
                            kmeans_plus_plus_num_retries, relative_tolerance).model_fn
        super().__init__(model_fn=model_fn, model_dir=model_dir, config=config)

    def _predict_one_key(self, input_fn, predict_key):
        for result in self.predict(input_fn=input_fn, predict_keys=[predict_key]):
            yield result[predict_key]

    def predict_cluster_index(self, input_fn):
        """Yields the index of the nearest center of each input point."""
        yield from self._predict_one_key(input_fn, KMeansClustering.CLUSTER_INDEX)

    def score(self, input_fn):
        """The sum of the distances of the points of the first batch to their nearest
        centers (sklearn's score is its negative)."""
        return self.evaluate(input_fn=input_fn, steps=1)[KMeansClustering.SCORE]

    def transform(self, input_fn):
        """Yields each input point's distances to every center (squared euclidean distances
        for SQUARED_EUCLIDEAN_DISTANCE, where sklearn gives euclidean ones)."""
        yield from self._predict_one_key(input_fn, KMeansClustering.ALL_DISTANCES)

    def cluster_centers(self):
        """The cluster centers, from the latest checkpoint."""
        return self.get_variable_value(KMeansClustering.CLUSTER_CENTERS_VAR_NAME)
