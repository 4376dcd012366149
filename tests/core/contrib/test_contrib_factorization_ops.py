"""The ops of tf.contrib.factorization: NearestNeighbors against numpy distances (exactly, ties
by index), KmeansPlusPlusInitialization and KMC2ChainInitialization by what every valid draw
satisfies and, where TensorFlow is installed, sample for sample against TF's kernels (same
seed, same stream); WALSComputePartialLhsAndRhs and MaskedMatmul against numpy; the errors."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import factorization as fz

from ..side_by_side import tf_run

R = np.random.default_rng(1815)
F = np.float32


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _np_nearest(points, centers, k):
    d = ((points[:, None, :].astype(np.float64) - centers[None]) ** 2).sum(-1)
    order = np.argsort(d, axis=1, kind="stable")[:, :min(k, centers.shape[0])]
    return order, np.take_along_axis(d, order, axis=1)


def _blobs(n_per, centers, scale, rng):
    centers = np.asarray(centers, F)
    pts = np.concatenate([c + scale * rng.normal(size=(n_per, centers.shape[1])) for c in centers])
    return pts.astype(F)


# -- NearestNeighbors ----------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2, 5, 8])
def test_nearest_neighbors_matches_numpy(k):
    points = R.normal(size=(40, 6)).astype(F)
    centers = R.normal(size=(5, 6)).astype(F)
    indices, distances = fz.nearest_neighbors(points, centers, k)
    assert indices.dtype == tf.int64 and distances.dtype == tf.float32
    assert indices.shape.as_list() == [40, min(k, 5)]
    got_i, got_d = _run([indices, distances])
    want_i, want_d = _np_nearest(points, centers, k)
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_allclose(got_d, want_d, rtol=1e-5, atol=1e-5)


def test_nearest_neighbors_ties_go_to_the_lower_index_and_k_is_capped():
    centers = np.array([[1, 1], [0, 0], [1, 1], [0, 0]], F)
    points = np.array([[0.9, 1.0], [0.1, 0.0]], F)
    got_i, got_d = _run(fz.nearest_neighbors(points, centers, 10))
    np.testing.assert_array_equal(got_i, [[0, 2, 1, 3], [1, 3, 0, 2]])
    np.testing.assert_allclose(got_d, _np_nearest(points, centers, 4)[1], atol=1e-6)
    empty = fz.nearest_neighbors(points, centers, 0)
    assert [a.shape for a in _run(empty)] == [(2, 0), (2, 0)]
    none = fz.nearest_neighbors(points, np.zeros((0, 2), F), 3)
    assert none[0].shape.as_list() == [2, 0] and _run(none)[0].shape == (2, 0)


def test_nearest_neighbors_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="points should be a matrix"):
        fz.nearest_neighbors(np.zeros(3, F), np.zeros((2, 3), F), 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="point_dimensions == center_dim"):
        fz.nearest_neighbors(np.zeros((2, 3), F), np.zeros((2, 4), F), 1)
    p = tf.placeholder(tf.float32)
    c = tf.placeholder(tf.float32)
    k = tf.placeholder(tf.int64)
    out = fz.nearest_neighbors(p, c, k)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="3 vs 4"):
            sess.run(out, {p: np.zeros((2, 3)), c: np.zeros((2, 4)), k: 1})
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"points.rows\(\) > 0"):
            sess.run(out, {p: np.zeros((0, 3)), c: np.zeros((2, 3)), k: 1})
        with pytest.raises(tf.errors.InvalidArgumentError, match="k should be a scalar"):
            sess.run(out, {p: np.zeros((1, 3)), c: np.zeros((2, 3)), k: [1]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="k >= 0"):
            sess.run(out, {p: np.zeros((1, 3)), c: np.zeros((2, 3)), k: -1})


def test_nearest_neighbors_matches_tensorflow():
    points = R.normal(size=(30, 4)).astype(F)
    centers = np.concatenate([R.normal(size=(6, 4)), points[:2]]).astype(F)
    want = tf_run(lambda tf1: [tf1.raw_ops.NearestNeighbors(points=points, centers=centers, k=k)
                               for k in (1, 3)])
    got = _run([list(fz.nearest_neighbors(points, centers, k)) for k in (1, 3)])
    for (gi, gd), (wi, wd) in zip(got, want):
        np.testing.assert_array_equal(gi, wi)
        np.testing.assert_allclose(gd, wd, rtol=1e-5, atol=1e-5)


# -- KmeansPlusPlusInitialization ----------------------------------------------------------------

def _row_ids(samples, points):
    return [int(np.flatnonzero((points == s).all(1))[0]) for s in samples]


def test_kmeans_plus_plus_samples_are_distinct_rows_one_per_far_blob():
    blobs = [[0, 0], [50, 0], [0, 50], [50, 50]]
    points = _blobs(15, blobs, 0.5, R)
    for seed in range(8):
        samples = _run(fz.kmeans_plus_plus_initialization(points, 4, seed, 2))
        ids = _row_ids(samples, points)
        assert len(set(ids)) == 4
        # k-means++ draws in proportion to the squared distance from the chosen ones: a second
        # point of a blob already chosen is ~1e4 times less likely than one of a new blob.
        assert sorted(i // 15 for i in ids) == [0, 1, 2, 3]
    first = _run(fz.kmeans_plus_plus_initialization(points, 4, 3, -1))
    again = _run(fz.kmeans_plus_plus_initialization(points, 4, 3, -1))
    np.testing.assert_array_equal(first, again)  # a seed fixes the draw


def test_kmeans_plus_plus_takes_every_row_when_asked_for_all():
    points = R.normal(size=(9, 3)).astype(F)
    for retries in (0, 3):
        samples = _run(fz.kmeans_plus_plus_initialization(points, 9, 21, retries))
        assert sorted(_row_ids(samples, points)) == list(range(9))


def test_kmeans_plus_plus_with_duplicate_points_never_repeats_an_index():
    points = np.repeat(R.normal(size=(3, 2)).astype(F), 2, axis=0)  # each point twice
    samples = _run(fz.kmeans_plus_plus_initialization(points, 3, 5, 1))
    assert len({tuple(s) for s in samples}) == 3  # one of each pair: the copy is 0 away


def test_kmeans_plus_plus_errors():
    p = tf.placeholder(tf.float32)
    n = tf.placeholder(tf.int64)
    out = fz.kmeans_plus_plus_initialization(p, n, 1, 2)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="num_to_sample <= points"):
            sess.run(out, {p: np.zeros((2, 3)), n: 3})
        with pytest.raises(tf.errors.InvalidArgumentError, match="num_to_sample > 0"):
            sess.run(out, {p: np.zeros((2, 3)), n: 0})
        with pytest.raises(tf.errors.InvalidArgumentError, match="points should be a matrix"):
            sess.run(out, {p: np.zeros(3), n: 1})
    with pytest.raises(tf.errors.InvalidArgumentError, match="seed should be a scalar"):
        fz.kmeans_plus_plus_initialization(np.zeros((2, 2), F), 1, [1, 2], 0)


@pytest.mark.parametrize("retries", [-1, 0, 1, 4])
def test_kmeans_plus_plus_matches_tensorflow_sample_for_sample(retries):
    cases = []
    for n, d, scale in ((50, 3, 10.0), (37, 8, 1.0), (64, 17, 100.0)):
        points = (scale * R.normal(size=(n, d))).astype(F)
        cases.append((points, int(R.integers(1, n)), int(R.integers(0, 1 << 40))))
    want = tf_run(lambda tf1: [tf1.raw_ops.KmeansPlusPlusInitialization(
        points=p, num_to_sample=k, seed=s, num_retries_per_sample=retries) for p, k, s in cases])
    got = _run([fz.kmeans_plus_plus_initialization(p, k, s, retries) for p, k, s in cases])
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


# -- KMC2ChainInitialization ---------------------------------------------------------------------

def test_kmc2_chain_certain_moves():
    distances = np.zeros(1000, F)
    distances[[4, 6]] = [1e4, 1e8]
    assert _run(fz.kmc2_chain_initialization(distances, 3)) == 6  # TF's own test
    distances[6] = 0
    assert _run(fz.kmc2_chain_initialization(distances, 3)) == 4
    # equal distances: each candidate is accepted with probability 1 (u * d < d for u < 1)
    assert _run(fz.kmc2_chain_initialization(np.full(7, 2.5, F), 9)) == 6
    assert _run(fz.kmc2_chain_initialization(np.zeros(5, F), 9)) == 0


def test_kmc2_chain_picks_in_proportion_to_distance():
    distances = np.array([1.0, 3.0], F)  # after 0, candidate 1 is taken for sure
    assert _run(fz.kmc2_chain_initialization(distances, 0)) == 1
    distances = np.array([3.0, 1.0], F)  # candidate 1 is taken with probability 1/3
    picks = _run([fz.kmc2_chain_initialization(distances, s) for s in range(300)])
    assert 0.25 < np.mean(picks) < 0.42


def test_kmc2_chain_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="distances should be a vector"):
        fz.kmc2_chain_initialization(np.zeros((2, 2), F), 1)
    d = tf.placeholder(tf.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"size\(\) > 0"):
        _run(fz.kmc2_chain_initialization(d, 1), {d: np.zeros(0)})


def test_kmc2_chain_matches_tensorflow():
    cases = [(np.abs(R.normal(size=n)).astype(F), int(R.integers(0, 1 << 40)))
             for n in (1, 5, 200, 1000)]
    want = tf_run(lambda tf1: [tf1.raw_ops.KMC2ChainInitialization(distances=d, seed=s)
                               for d, s in cases])
    got = _run([fz.kmc2_chain_initialization(d, s) for d, s in cases])
    assert [int(g) for g in got] == [int(w) for w in want]


# -- WALSComputePartialLhsAndRhs and MaskedMatmul -----------------------------------------------

def test_wals_partial_lhs_rhs_against_numpy_rows_and_transposed():
    factors = R.normal(size=(5, 3)).astype(F)
    dense = R.normal(size=(4, 5)).astype(F) * (R.random((4, 5)) < 0.6)
    rows_w, cols_w = R.uniform(0.5, 2, 4).astype(F), R.uniform(0.5, 2, 5).astype(F)
    idx = np.argwhere(dense != 0).astype(np.int64)
    vals = dense[dense != 0]
    lhs, rhs = fz.wals_compute_partial_lhs_and_rhs(factors, cols_w, 0.2, rows_w, idx, vals, [],
                                                   4, False)
    lhs_t, rhs_t = fz.wals_compute_partial_lhs_and_rhs(factors, cols_w, 0.2, rows_w,
                                                       idx[:, ::-1].copy(), vals, [], 4, True)
    got = _run([lhs, rhs, lhs_t, rhs_t])
    for r in range(4):
        obs = dense[r] != 0
        w = rows_w[r] * cols_w[obs]
        f = factors[obs].astype(np.float64)
        np.testing.assert_allclose(got[0][r], (f.T * w) @ f, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got[1][r], f.T @ (dense[r, obs] * (0.2 + w)), rtol=1e-5,
                                   atol=1e-6)
    np.testing.assert_allclose(got[2], got[0], rtol=1e-6)
    np.testing.assert_allclose(got[3], got[1], rtol=1e-6)


def test_wals_partial_lhs_rhs_errors():
    f = np.ones((3, 2), F)
    idx = np.array([[0, 1]], np.int64)

    def run(fw, iw, ew, indices=idx, block=2):
        return _run(fz.wals_compute_partial_lhs_and_rhs(f, fw, 0.1, iw, indices, [1.0], ew,
                                                        block, False))

    with pytest.raises(tf.errors.InvalidArgumentError, match="either \\(1\\) entry_weights"):
        run(np.ones(3, F), np.ones(2, F), np.ones(1, F))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Weights must be >= 0"):
        run([], [], [-1.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range: 5 not in \\[0, 2\\)"):
        run([], [], [1.0], indices=np.array([[5, 1]], np.int64))
    with pytest.raises(tf.errors.InvalidArgumentError, match="shape \\(\\?, 2\\)"):
        run([], [], [1.0], indices=np.array([[0, 1, 2]], np.int64))
    with pytest.raises(tf.errors.InvalidArgumentError, match="factors should be a matrix"):
        fz.wals_compute_partial_lhs_and_rhs(np.ones(3, F), [], 0.1, [], idx, [1.0], [1.0], 2,
                                            False)


def test_masked_matmul_against_numpy_and_errors():
    a, b = R.normal(size=(3, 4)).astype(F), R.normal(size=(4, 6)).astype(F)
    idx = np.array([[0, 5], [2, 0], [1, 1], [0, 5]], np.int64)
    want = (a @ b)[idx[:, 0], idx[:, 1]]
    got = _run([fz.masked_matmul(a, b, idx, False, False),
                fz.masked_matmul(a.T.copy(), b, idx, True, False),
                fz.masked_matmul(a, b.T.copy(), idx, False, True)])
    for g in got:
        np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"incompatible: a has shape \[3,4\], while b has shape \[3,4\]"):
        _run(fz.masked_matmul(a, a, idx, False, False))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"mask_indices\[1, :\], the column index 9 is out of bounds"):
        _run(fz.masked_matmul(a, b, np.array([[0, 0], [1, 9]], np.int64), False, False))
