"""``tf.contrib.factorization``'s Gaussian mixture models (TF 1.15's gmm_ops.py and gmm.py):
``GmmAlgorithm`` (the EM graph), ``gmm`` (its functional form) and the ``GMM`` Estimator.

One training op is one EM iteration over the data given (a tensor or a list of shards):

- E step: ``log(alpha_k N(x | mu_k, S_k + 1e-3 I))`` per point and class ("full": through the
  Cholesky factor; "diag": variances + 1e-3), normalized over classes into memberships w_ik;
- M step: ``alpha_k = N_k / sum(N_k)`` ("w" in ``params``), ``mu_k = sum_i w_ik x_i / N_k``
  ("m"), ``S_k = sum_i w_ik x_i x_i^T / N_k - mu_k mu_k^T + 1e-3 I`` ("c"; its diagonal for
  "diag"), with ``N_k = sum_i w_ik`` (+ machine epsilon in the divisions). The covariances use
  the means just updated, as TF's control dependencies intend.

The variables are TF's "clusters" [k, 1, d], "clusters_covs", "alphas" and "initialized"; the
init op sets the means (random rows of the data, or the given ones) and the covariances (the
data's, plus 1e-3 I) once. The loss is TF's: the log of the summed likelihoods of the points.
"""

from __future__ import annotations

import numpy as np

import minitf as tf

from .factorization_kmeans import _InitializeClustersHook, _parse_tensor_or_dict

__all__ = ["DIAG_COVARIANCE", "FULL_COVARIANCE", "GMM", "MEPS", "GmmAlgorithm", "gmm"]

MEPS = np.finfo(float).eps  # machine epsilon, added to the M step's divisors
FULL_COVARIANCE = "full"
DIAG_COVARIANCE = "diag"


def _covariance(x, diag):
    """The sample covariance of the rows of ``x`` (its diagonal as a row with ``diag``)."""
    num_points = tf.cast(tf.shape(x)[0], tf.float32)
    x -= tf.reduce_mean(x, 0, keepdims=True)
    if diag:
        return tf.reduce_sum(tf.square(x), 0, keepdims=True) / (num_points - 1)
    return tf.matmul(x, x, transpose_a=True) / (num_points - 1)


def _init_clusters_random(data, num_clusters, random_seed):
    """``num_clusters`` rows drawn uniformly from the shards of ``data``."""
    num_data = tf.add_n([tf.shape(inp)[0] for inp in data])
    with tf.control_dependencies([tf.assert_less_equal(num_clusters, num_data)]):
        indices = tf.random_uniform([num_clusters], minval=0,
                                    maxval=tf.cast(num_data, tf.int64), seed=random_seed,
                                    dtype=tf.int64)
    indices %= tf.cast(num_data, tf.int64)
    return tf.nn.embedding_lookup(data, indices, partition_strategy="div")


class GmmAlgorithm:
    """TF 1.15's GMM clustering graph over a list of data shards."""

    CLUSTERS_WEIGHT = "alphas"
    CLUSTERS_VARIABLE = "clusters"
    CLUSTERS_COVS_VARIABLE = "clusters_covs"

    def __init__(self, data, num_classes, initial_means=None, params="wmc",
                 covariance_type=FULL_COVARIANCE, random_seed=0):
        self._params = params
        self._random_seed = random_seed
        self._covariance_type = covariance_type
        if self._covariance_type not in (DIAG_COVARIANCE, FULL_COVARIANCE):
            raise ValueError(f"Invalid covariance type: {covariance_type!r} (expected "
                             f"'{FULL_COVARIANCE}' or '{DIAG_COVARIANCE}')")
        num_shards = len(data)
        self._probs = [None] * num_shards
        self._prior_probs = [None] * num_shards
        self._w = [None] * num_shards
        self._points_in_k = [None] * num_shards
        first_shard = data[0]
        self._dimensions = tf.shape(first_shard)[1]
        self._num_classes = num_classes
        # keeps the covariances invertible
        self._min_var = tf.diag(tf.ones(tf.stack([self._dimensions]))) * 1e-3
        self._create_variables()
        self._initialize_variables(data, initial_means)
        self._w_mul_x = []
        self._w_mul_x2 = []
        self._define_graph(data)

    def _create_variables(self):
        init_value = tf.constant([], dtype=tf.float32)
        self._means = tf.Variable(init_value, name=self.CLUSTERS_VARIABLE, validate_shape=False)
        self._covs = tf.Variable(init_value, name=self.CLUSTERS_COVS_VARIABLE,
                                 validate_shape=False)
        self._alpha = tf.Variable(tf.tile([1.0 / self._num_classes], [self._num_classes]),
                                  name=self.CLUSTERS_WEIGHT, validate_shape=False)
        self._cluster_centers_initialized = tf.Variable(False, dtype=tf.bool,
                                                        name="initialized")

    def _initialize_variables(self, data, initial_means=None):
        first_shard = data[0]
        if initial_means is not None:
            means = tf.expand_dims(initial_means, 1)
        else:
            means = tf.expand_dims(
                _init_clusters_random(data, self._num_classes, self._random_seed), 1)
        if self._covariance_type == FULL_COVARIANCE:
            cov = _covariance(first_shard, False) + self._min_var
            covs = tf.tile(tf.expand_dims(cov, 0), [self._num_classes, 1, 1])
        else:
            cov = _covariance(first_shard, True) + self._min_var
            covs = tf.tile(tf.expand_dims(tf.diag_part(cov), 0), [self._num_classes, 1])
        with tf.control_dependencies([means, covs]):
            initialized = tf.identity(self._cluster_centers_initialized)
        def init():
            # TF builds these assignments outside its conds, so they run whenever the init
            # op does; here they run only while "initialized" is not set (one cond for both,
            # so the first one setting the flag cannot stop the second).
            assigns = [tf.assign(self._means, means, validate_shape=False),
                       tf.assign(self._covs, covs, validate_shape=False)]
            with tf.control_dependencies(assigns):
                return tf.assign(self._cluster_centers_initialized, True)

        self._init_ops = [tf.cond(initialized, tf.no_op, init).op]

    def init_ops(self):
        """The op that sets the means and covariances (once)."""
        return tf.group(*self._init_ops)

    def training_ops(self):
        """One EM iteration."""
        return tf.group(*self._train_ops)

    def is_initialized(self):
        return self._cluster_centers_initialized

    def alphas(self):
        return self._alpha

    def clusters(self):
        """The means, [num_classes, 1, dimensions]."""
        return self._means

    def covariances(self):
        return self._covs

    def assignments(self):
        """Per shard, each point's most probable class."""
        return [tf.argmax(w, 1) for w in self._w]

    def scores(self):
        """Each point's log-likelihood, [num_points, 1]."""
        return self._scores

    def log_likelihood_op(self):
        return self._log_likelihood_op

    def _define_graph(self, data):
        for shard_id, shard in enumerate(data):
            self._num_examples = tf.shape(shard)[0]
            shard = tf.expand_dims(shard, 0)
            self._define_log_prob_operation(shard_id, shard)
            self._define_prior_log_prob_operation(shard_id)
            self._define_expectation_operation(shard_id)
            self._define_partial_maximization_operation(shard_id, shard)
        self._define_maximization_operation(len(data))
        self._define_loglikelihood_operation()
        self._define_score_samples()

    def _define_full_covariance_probs(self, shard_id, shard):
        """log N(x | mu_k, S_k + 1e-3 I) for each point and class, [num_points, k]."""
        diff = shard - self._means
        cholesky = tf.cholesky(self._covs + self._min_var)
        log_det_covs = 2.0 * tf.reduce_sum(tf.log(tf.matrix_diag_part(cholesky)), 1)
        x_mu_cov = tf.square(tf.matrix_triangular_solve(
            cholesky, tf.transpose(diff, perm=[0, 2, 1]), lower=True))
        diag_m = tf.transpose(tf.reduce_sum(x_mu_cov, 1))
        self._probs[shard_id] = -0.5 * (diag_m + tf.cast(self._dimensions, tf.float32)
                                        * tf.log(2 * np.pi) + log_det_covs)

    def _define_diag_covariance_probs(self, shard_id, shard):
        det_expanded = tf.reduce_sum(tf.log(self._covs + 1e-3), 1, keepdims=True)
        x2 = tf.squared_difference(shard, self._means)
        cov_expanded = tf.expand_dims(1.0 / (self._covs + 1e-3), 2)
        x2_cov = tf.transpose(tf.squeeze(tf.matmul(x2, cov_expanded), [2]))
        self._probs[shard_id] = -0.5 * (tf.cast(self._dimensions, tf.float32)
                                        * tf.log(2.0 * np.pi) + tf.transpose(det_expanded)
                                        + x2_cov)

    def _define_log_prob_operation(self, shard_id, shard):
        if self._covariance_type == FULL_COVARIANCE:
            self._define_full_covariance_probs(shard_id, shard)
        else:
            self._define_diag_covariance_probs(shard_id, shard)
        self._probs[shard_id] += tf.log(self._alpha)

    def _define_prior_log_prob_operation(self, shard_id):
        # log p(x) of each point: the classes' joint log-probabilities summed
        self._prior_probs[shard_id] = tf.reduce_logsumexp(self._probs[shard_id], axis=1,
                                                          keepdims=True)

    def _define_expectation_operation(self, shard_id):
        probs = tf.expand_dims(self._probs[shard_id], 0)
        # memberships w_ik = alpha_k f_k(x_i) / sum_m alpha_m f_m(x_i)
        self._w[shard_id] = tf.reshape(tf.exp(probs - self._prior_probs[shard_id]),
                                       tf.stack([self._num_examples, self._num_classes]))

    def _define_partial_maximization_operation(self, shard_id, shard):
        self._points_in_k[shard_id] = tf.reduce_sum(self._w[shard_id], 0, keepdims=True)
        w_mul_x = tf.expand_dims(
            tf.matmul(self._w[shard_id], tf.squeeze(shard, [0]), transpose_a=True), 1)
        self._w_mul_x.append(w_mul_x)
        x = tf.concat([shard for _ in range(self._num_classes)], 0)
        x_trans = tf.transpose(x, perm=[0, 2, 1])
        x_mul_w = tf.concat([tf.expand_dims(x_trans[k, :, :] * self._w[shard_id][:, k], 0)
                             for k in range(self._num_classes)], 0)
        self._w_mul_x2.append(tf.matmul(x_mul_w, x))

    def _define_maximization_operation(self, num_batches):
        with tf.control_dependencies(self._w):
            points_in_k = tf.squeeze(tf.add_n(self._points_in_k), axis=[0])
            if "w" in self._params:
                final_points_in_k = points_in_k / num_batches
                num_examples = tf.cast(tf.reduce_sum(final_points_in_k), tf.float32)
                self._alpha_op = tf.assign(self._alpha,
                                           final_points_in_k / (num_examples + MEPS))
            else:
                self._alpha_op = tf.no_op()
            self._train_ops = [self._alpha_op]
            points_in_k_expanded = tf.reshape(points_in_k, [self._num_classes, 1, 1])
            if "m" in self._params:
                self._means_op = tf.assign(self._means, tf.div(
                    tf.add_n(self._w_mul_x), points_in_k_expanded + MEPS))
            else:
                self._means_op = tf.no_op()
            with tf.control_dependencies([self._means_op]):
                b = tf.add_n(self._w_mul_x2) / (points_in_k_expanded + MEPS)
                means = self._means.read_value()  # after the means' update
                new_covs = []
                for k in range(self._num_classes):
                    mean = means[k, :, :]
                    new_cov = b[k, :, :] - tf.matmul(mean, mean, transpose_a=True) + self._min_var
                    if self._covariance_type == FULL_COVARIANCE:
                        new_covs.append(tf.expand_dims(new_cov, 0))
                    else:
                        new_covs.append(tf.expand_dims(tf.diag_part(new_cov), 0))
                new_covs = tf.concat(new_covs, 0)
                if "c" in self._params:
                    with tf.control_dependencies([self._means_op, new_covs]):
                        self._train_ops.append(tf.assign(self._covs, new_covs,
                                                         validate_shape=False))

    def _define_loglikelihood_operation(self):
        self._log_likelihood_op = tf.reduce_logsumexp(
            [tf.reduce_logsumexp(prior_probs) for prior_probs in self._prior_probs])

    def _define_score_samples(self):
        op = [prior_probs + tf.log(self._w[shard_id])
              for shard_id, prior_probs in enumerate(self._prior_probs)]
        self._scores = tf.squeeze(tf.reduce_logsumexp(op, axis=2, keepdims=True), axis=0)


def gmm(inp, initial_clusters, num_clusters, random_seed, covariance_type=FULL_COVARIANCE,
        params="wmc"):
    """The GMM graph: (loss, scores, [assignments], training_op, init_op, is_initialized).
    ``initial_clusters`` is "random" or the initial means (a tensor or array)."""
    initial_means = None
    if isinstance(initial_clusters, tf.Tensor):
        initial_means = initial_clusters
    elif not (isinstance(initial_clusters, str) and initial_clusters == "random"):
        if isinstance(initial_clusters, str):
            raise ValueError(f"Unsupported initial_clusters {initial_clusters!r}: expected "
                             "'random', a tensor or an array of means")
        initial_means = tf.constant(initial_clusters, dtype=tf.float32)
    inp = inp if isinstance(inp, list) else [inp]
    gmm_tool = GmmAlgorithm(inp, num_clusters, initial_means, params, covariance_type,
                            random_seed)
    return (gmm_tool.log_likelihood_op(), gmm_tool.scores(), [gmm_tool.assignments()],
            gmm_tool.training_ops(), gmm_tool.init_ops(), gmm_tool.is_initialized())


def _streaming_sum(scalar_tensor):
    """(sum, update): a local total of ``scalar_tensor`` over evaluation steps."""
    sum_metric = tf.Variable(tf.constant(0.0), trainable=False,
                             collections=[tf.GraphKeys.LOCAL_VARIABLES], name="streaming_sum")
    return sum_metric.value(), tf.assign_add(sum_metric, scalar_tensor)


class GMM(tf.estimator.Estimator):
    """An Estimator for GMM clustering (TF 1.15's contrib ``GMM``): each training step is one
    EM iteration over what the input_fn returns; evaluation reports ``SCORES``, the summed
    log-likelihood of the points; prediction gives ``ASSIGNMENTS``."""

    SCORES = "scores"
    LOG_LIKELIHOOD = "loss"
    ASSIGNMENTS = "assignments"

    def __init__(self, num_clusters, model_dir=None, random_seed=0, params="wmc",
                 initial_clusters="random", covariance_type="full", config=None):
        if covariance_type not in (FULL_COVARIANCE, DIAG_COVARIANCE):
            raise ValueError(f"Invalid covariance type: {covariance_type!r} (expected "
                             f"'{FULL_COVARIANCE}' or '{DIAG_COVARIANCE}')")
        self._num_clusters = num_clusters
        self._gmm_params = params  # (the Estimator's own _params is its params dict)
        self._training_initial_clusters = initial_clusters
        self._covariance_type = covariance_type
        self._random_seed = random_seed
        super().__init__(model_fn=self._model_builder(), model_dir=model_dir, config=config)

    def predict_assignments(self, input_fn=None, batch_size=None, outputs=None):
        """Yields each input point's most probable class. (``batch_size`` is contrib.learn's
        and unused with an input_fn.)"""
        for result in self.predict(input_fn=input_fn, predict_keys=outputs):
            yield result[GMM.ASSIGNMENTS]

    def score(self, input_fn=None, batch_size=None, steps=None):
        """The summed log-likelihood of the points (over ``steps`` batches)."""
        return np.sum(self.evaluate(input_fn=input_fn, steps=steps)[GMM.SCORES])

    def weights(self):
        """The mixture weights, from the latest checkpoint."""
        return self.get_variable_value(GmmAlgorithm.CLUSTERS_WEIGHT)

    def clusters(self):
        """The means [num_clusters, dimensions], from the latest checkpoint."""
        return np.squeeze(self.get_variable_value(GmmAlgorithm.CLUSTERS_VARIABLE), 1)

    def covariances(self):
        """The covariances, from the latest checkpoint."""
        return self.get_variable_value(GmmAlgorithm.CLUSTERS_COVS_VARIABLE)

    def _model_builder(self):
        def _model_fn(features, labels, mode, config):
            if labels is not None:
                raise ValueError(f"GMM is unsupervised: its input_fn must give no labels, "
                                 f"got {labels!r}")
            (loss, scores, model_predictions, training_op, init_op,
             is_initialized) = gmm(_parse_tensor_or_dict(features),
                                   self._training_initial_clusters, self._num_clusters,
                                   self._random_seed, self._covariance_type, self._gmm_params)
            incr_step = tf.assign_add(tf.train.get_global_step(), 1)
            with tf.name_scope("control_dependency"), \
                    tf.control_dependencies([training_op, incr_step]):
                training_op = tf.identity(loss)
            return tf.estimator.EstimatorSpec(
                mode=mode, predictions={GMM.ASSIGNMENTS: model_predictions[0][0]},
                eval_metric_ops={GMM.SCORES: _streaming_sum(tf.reduce_sum(scores))},
                loss=loss, train_op=training_op,
                training_hooks=[_InitializeClustersHook(init_op, is_initialized,
                                                        config.is_chief)])
        return _model_fn
