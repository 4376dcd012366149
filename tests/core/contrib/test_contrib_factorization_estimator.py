"""tf.contrib.factorization's Estimators on well-separated blobs: KMeansClustering (full batch
and mini-batch, kmeans++ and random initial centers, cosine) recovers the true centers, and
its score, cluster indices, distances and checkpointed centers agree with numpy computed from
the centers it reports; stopping on a small relative change of the loss; GMM recovers the
means and mixture weights; the errors."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import factorization as fz

R = np.random.default_rng(77)
F = np.float32
TRUE = np.array([[0, 0], [20, 20], [-20, 20], [20, -20]], F)


def _blobs(n_per, scale=1.0, centers=TRUE):
    labels = np.repeat(np.arange(len(centers)), n_per)
    points = centers[labels] + scale * R.normal(size=(len(labels), centers.shape[1]))
    perm = R.permutation(len(labels))
    return points[perm].astype(F), labels[perm]


def _train_input(points):
    return lambda: (tf.constant(points), None)


def _predict_input(points):
    return lambda: tf.data.Dataset.from_tensors(points)  # one batch, then the end


def _match(found, true):
    """found reordered to the order of the true centers (nearest first)."""
    order = [int(np.argmin(((found - t) ** 2).sum(1))) for t in true]
    assert sorted(order) == list(range(len(true))), (found, true)
    return found[order]


@pytest.mark.parametrize("mini_batch, init", [(False, fz.KMEANS_PLUS_PLUS_INIT),
                                              (True, fz.KMEANS_PLUS_PLUS_INIT),
                                              (False, "one point of each blob")])
def test_kmeans_clustering_recovers_blobs(tmp_path, mini_batch, init):
    points, labels = _blobs(40)
    if init == "one point of each blob":
        init = np.array([points[labels == c][0] for c in range(4)])
    km = fz.KMeansClustering(4, model_dir=str(tmp_path), initial_clusters=init,
                             use_mini_batch=mini_batch, random_seed=11)
    km.train(_train_input(points), steps=6 if not mini_batch else 30)
    centers = km.cluster_centers()
    assert centers.shape == (4, 2)
    np.testing.assert_allclose(_match(centers, TRUE), TRUE, atol=0.6)
    if not mini_batch:  # Lloyd's fixed point: each center is the mean of its points
        means = np.array([points[labels == c].mean(0) for c in range(4)])
        np.testing.assert_allclose(_match(centers, TRUE), means, rtol=1e-4, atol=1e-4)
    d = ((points[:, None].astype(np.float64) - centers[None]) ** 2).sum(-1)
    np.testing.assert_allclose(km.score(_train_input(points)), d.min(1).sum(), rtol=1e-4)
    index = np.array(list(km.predict_cluster_index(_predict_input(points))))
    np.testing.assert_array_equal(index, d.argmin(1))
    distances = np.array(list(km.transform(_predict_input(points))))
    np.testing.assert_allclose(distances, d, rtol=1e-4, atol=1e-2)
    assert {fz.KMeansClustering.CLUSTER_INDEX, fz.KMeansClustering.ALL_DISTANCES} == set(
        next(km.predict(_predict_input(points))))
    assert set(km.get_variable_names()) >= {"clusters", "initialized", "global_step"}
    np.testing.assert_array_equal(km.get_variable_value("clusters"), centers)


def test_kmeans_clustering_random_init_reaches_a_lloyd_fixed_point(tmp_path):
    points, _ = _blobs(30)
    km = fz.KMeansClustering(4, model_dir=str(tmp_path), initial_clusters=fz.RANDOM_INIT,
                             use_mini_batch=False, random_seed=5)
    km.train(_train_input(points), steps=4)
    km.train(_train_input(points), steps=6)  # resumes from the checkpoint
    assert km.get_variable_value("global_step") == 10
    centers = km.cluster_centers()
    nearest = ((points[:, None] - centers[None]) ** 2).sum(-1).argmin(1)
    for c in range(4):  # every center is the mean of the points nearest to it
        mine = points[nearest == c]
        want = mine.sum(0) / (len(mine) + 1e-6)
        np.testing.assert_allclose(centers[c], want, rtol=1e-4, atol=1e-4)


def test_kmeans_clustering_cosine(tmp_path):
    directions = np.array([[1, 0], [0, 1], [-1, 0]], F)
    points, labels = _blobs(30, 0.05, directions)
    points *= R.uniform(1, 5, (len(points), 1)).astype(F)  # lengths do not matter
    km = fz.KMeansClustering(3, model_dir=str(tmp_path), use_mini_batch=False,
                             distance_metric=fz.COSINE_DISTANCE,
                             initial_clusters=fz.KMEANS_PLUS_PLUS_INIT, random_seed=2)
    km.train(_train_input(points), steps=5)
    centers = km.cluster_centers()
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose(_match(centers, directions), directions, atol=0.05)
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    cos = 1 - unit @ centers.T
    np.testing.assert_allclose(km.score(_train_input(points)), cos.min(1).sum(), rtol=1e-3,
                               atol=1e-4)
    index = np.array(list(km.predict_cluster_index(_predict_input(points))))
    np.testing.assert_array_equal(index, cos.argmin(1))


def test_kmeans_clustering_stops_when_the_loss_settles(tmp_path):
    points, _ = _blobs(25)
    km = fz.KMeansClustering(4, model_dir=str(tmp_path), use_mini_batch=False,
                             initial_clusters=fz.KMEANS_PLUS_PLUS_INIT, random_seed=3,
                             relative_tolerance=1e-4)
    km.train(_train_input(points), steps=100)
    # Lloyd's converges in a few steps on separated blobs; the hook then stops training
    assert km.get_variable_value("global_step") < 10


def test_kmeans_clustering_dict_features_in_sorted_key_order(tmp_path):
    points, _ = _blobs(20)
    km = fz.KMeansClustering(4, model_dir=str(tmp_path), use_mini_batch=False,
                             initial_clusters=fz.KMEANS_PLUS_PLUS_INIT, random_seed=4)
    # "x" holds the first column, "a" the second: "a" comes first in the matrix
    km.train(lambda: ({"x": tf.constant(points[:, :1]), "a": tf.constant(points[:, 1:])},
                      None), steps=5)
    swapped = TRUE[:, ::-1]
    np.testing.assert_allclose(_match(km.cluster_centers(), swapped), swapped, atol=0.6)


def test_kmeans_clustering_errors():
    with pytest.raises(ValueError, match="Unsupported initialization algorithm 'kmc3'"):
        fz.KMeansClustering(3, initial_clusters="kmc3")
    with pytest.raises(ValueError, match="Unsupported distance metric 'manhattan'"):
        fz.KMeansClustering(3, distance_metric="manhattan")
    assert fz.KMeansClustering.SCORE == "score"
    assert fz.KMeansClustering.CLUSTER_CENTERS_VAR_NAME == "clusters"


def test_gmm_recovers_means_and_weights(tmp_path):
    centers = np.array([[0, 0], [12, 0], [0, 12]], F)
    points = np.concatenate([centers[0] + R.normal(size=(60, 2)),
                             centers[1] + R.normal(size=(30, 2)),
                             centers[2] + R.normal(size=(30, 2))]).astype(F)
    for covariance in (fz.FULL_COVARIANCE, fz.DIAG_COVARIANCE):
        model = fz.GMM(3, model_dir=str(tmp_path / covariance), initial_clusters=centers + 1,
                       covariance_type=covariance, random_seed=1)
        model.train(_train_input(points), steps=8)
        means = model.clusters()
        np.testing.assert_allclose(means, [points[:60].mean(0), points[60:90].mean(0),
                                           points[90:].mean(0)], atol=0.05)
        np.testing.assert_allclose(model.weights(), [0.5, 0.25, 0.25], atol=0.01)
        covs = model.covariances()
        assert covs.shape == ((3, 2, 2) if covariance == fz.FULL_COVARIANCE else (3, 2))
        assignments = np.array(list(model.predict_assignments(_predict_input(points))))
        np.testing.assert_array_equal(assignments, np.repeat([0, 1, 2], [60, 30, 30]))
        assert np.isfinite(model.score(_train_input(points), steps=1))
    with pytest.raises(ValueError, match="Invalid covariance type: 'spherical'"):
        fz.GMM(3, covariance_type="spherical")
