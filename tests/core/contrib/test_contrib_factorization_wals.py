"""tf.contrib.factorization.WALSModel against numpy alternating least squares on a small
matrix given as a SparseTensor: plain ALS (no weights) and weighted ALS, one shard and several,
row sweeps and column sweeps (transposed input too), the losses, regularization and weight
sums it reports, projection of new rows, the caches, TF1's variables; the errors."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import factorization as fz

R = np.random.default_rng(5)
F = np.float32
N, M, K = 6, 5, 2
W0, LAM = 0.3, 0.1


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _problem():
    dense = R.uniform(1, 3, (N, M)).astype(F)
    mask = R.random((N, M)) < 0.6
    mask[:, 0] = True  # every row and column observed at least once
    mask[0, :] = True
    return dense, mask, R.normal(size=(N, K)).astype(F), R.normal(size=(M, K)).astype(F)


def _weights(mask, rw, cw, weighted):
    return np.where(mask, W0 + (np.outer(rw, cw) if weighted else 0.0), W0)


def _solve(a, w, other):
    """Each row u of min |sqrt(w) (a - u other^T)|^2 + LAM |u|^2 (a's unobserved entries 0)."""
    out = []
    for i in range(a.shape[0]):
        lhs = (other.T * w[i]) @ other + LAM * np.eye(other.shape[1])
        out.append(np.linalg.solve(lhs, (other.T * w[i]) @ a[i]))
    return np.array(out)


def _split(x, sizes):
    return np.split(x, np.cumsum(sizes)[:-1])


def _build(dense, mask, u0, v0, rw, cw, weighted, shards):
    rows = fz.WALSModel._shard_sizes(N, shards)
    cols = fz.WALSModel._shard_sizes(M, shards)
    return fz.WALSModel(
        N, M, K, unobserved_weight=W0, regularization=LAM,
        row_init=_split(u0, rows) if shards > 1 else u0,
        col_init=_split(v0, cols) if shards > 1 else v0,
        num_row_shards=shards, num_col_shards=shards,
        row_weights=[s.tolist() for s in _split(rw, rows)] if weighted else None,
        col_weights=[s.tolist() for s in _split(cw, cols)] if weighted else None)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shards", [1, 2, 3])
def test_sweeps_match_numpy_als(weighted, shards):
    dense, mask, u0, v0 = _problem()
    rw, cw = R.uniform(0.5, 2, N).astype(F), R.uniform(0.5, 2, M).astype(F)
    idx = np.argwhere(mask).astype(np.int64)
    sp = tf.SparseTensor(idx, dense[mask], [N, M])
    model = _build(dense, mask, u0, v0, rw, cw, weighted, shards)
    rows = model.update_row_factors(sp)
    cols = model.update_col_factors(tf.sparse_transpose(sp), transpose_input=True)
    w = _weights(mask, rw, cw, weighted)
    a = np.where(mask, dense, 0).astype(np.float64)
    u, v = u0.astype(np.float64), v0.astype(np.float64)
    with tf.Session() as sess:
        sess.run(model.initialize_op)
        sess.run(model.worker_init)
        for _ in range(2):
            sess.run(model.row_update_prep_gramian_op)
            sess.run(model.initialize_row_update_op)
            new_u, loss, reg, sum_w = sess.run(list(rows[:1]) + list(rows[2:]))
            sess.run(rows[1])
            u = _solve(a, w, v)
            np.testing.assert_allclose(new_u, u, rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(loss, (w * (a - u @ v.T) ** 2).sum(), rtol=1e-4)
            np.testing.assert_allclose(reg, LAM * ((u ** 2).sum() + (v ** 2).sum()), rtol=1e-4)
            np.testing.assert_allclose(sum_w, w.sum(), rtol=1e-5)
            sess.run(model.col_update_prep_gramian_op)
            sess.run(model.initialize_col_update_op)
            new_v, loss = sess.run([cols[0], cols[2]])
            sess.run(cols[1])
            v = _solve(a.T, w.T, u)
            np.testing.assert_allclose(new_v, v, rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(loss, (w * (a - u @ v.T) ** 2).sum(), rtol=1e-4)
            np.testing.assert_allclose(np.concatenate(sess.run(model.row_factors)), u,
                                       rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(np.concatenate(sess.run(model.col_factors)), v,
                                       rtol=1e-4, atol=1e-5)


def test_a_slice_of_rows_updates_those_rows_and_scales_the_loss():
    dense, mask, u0, v0 = _problem()
    rw, cw = np.ones(N, F), np.ones(M, F)
    some = [4, 1]  # rows given in any order
    idx = np.argwhere(mask[some])
    idx[:, 0] = np.array(some)[idx[:, 0]]
    sp = tf.SparseTensor(idx.astype(np.int64), dense[idx[:, 0], idx[:, 1]], [N, M])
    model = _build(dense, mask, u0, v0, rw, cw, True, 2)
    new_u, update, loss, reg, _ = model.update_row_factors(sp)
    with tf.Session() as sess:
        sess.run(model.initialize_op)
        sess.run(model.worker_init)
        sess.run(model.row_update_prep_gramian_op)
        sess.run(model.initialize_row_update_op)
        got, got_loss, got_reg = sess.run([new_u, loss, reg])
        sess.run(update)
        factors = np.concatenate(sess.run(model.row_factors))
    w = _weights(mask, rw, cw, True)
    a = np.where(mask, dense, 0).astype(np.float64)
    want = _solve(a[some], w[some], v0.astype(np.float64))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    expected = u0.copy()
    expected[some] = want
    np.testing.assert_allclose(factors, expected, rtol=1e-4, atol=1e-5)
    scale = N / len(some)  # the loss of the rows given, scaled to the whole matrix
    np.testing.assert_allclose(got_loss, (w[some] * (a[some] - want @ v0.T) ** 2).sum() * scale,
                               rtol=1e-4)
    np.testing.assert_allclose(got_reg, LAM * ((want ** 2).sum() * scale + (v0 ** 2).sum()),
                               rtol=1e-4)


def test_projection_solves_new_rows_without_updating():
    dense, mask, u0, v0 = _problem()
    rw, cw = np.ones(N, F), R.uniform(0.5, 2, M).astype(F)
    model = _build(dense, mask, u0, v0, rw, cw, True, 1)
    new_rows = np.array([[1.0, 0, 2.0, 0, 0], [0, 3.0, 0, 0, 1.0]], F)
    idx = np.argwhere(new_rows != 0)
    idx[:, 0] += 50  # row indices of new rows are ignored
    sp = tf.SparseTensor(idx.astype(np.int64), new_rows[new_rows != 0], [100, M])
    projected = model.project_row_factors(sp, projection_weights=[2.0, 0.5])
    with tf.Session() as sess:
        sess.run(model.initialize_op)
        sess.run(model.worker_init)
        sess.run(model.row_update_prep_gramian_op)
        sess.run(model.initialize_row_update_op)
        got = sess.run(projected)
        np.testing.assert_array_equal(np.concatenate(sess.run(model.row_factors)), u0)
    obs = new_rows != 0
    w = np.where(obs, W0 + np.outer([2.0, 0.5], cw), W0)
    np.testing.assert_allclose(got, _solve(new_rows.astype(np.float64), w,
                                           v0.astype(np.float64)), rtol=1e-4, atol=1e-5)


def test_variables_caches_and_scopes():
    dense, mask, u0, v0 = _problem()
    model = fz.WALSModel(N, M, K, num_row_shards=2, use_factors_weights_cache=False,
                         use_gramian_cache=False)
    names = {v.op.name for v in tf.global_variables()}
    assert names == {"row_factors_shard_0", "row_factors_shard_1", "col_factors_shard_0",
                     "row_weights_shard_0", "row_weights_shard_1", "col_weights_shard_0",
                     "row_gramian", "col_gramian"}
    assert tf.local_variables() == []  # no caches: the updates read the variables
    assert [v.shape.as_list() for v in model.row_factors] == [[3, K], [3, K]]
    with tf.Graph().as_default():
        fz.WALSModel(N, M, K, use_scoped_vars=True)
        names = {v.op.name for v in tf.global_variables()}
        assert {"row_factors/row_factors_shard_0", "col_weights/col_weights_shard_0"} <= names
        assert len(tf.local_variables()) == 6  # factor, weight and Gramian caches


def test_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match="must both be None"):
        fz.WALSModel(N, M, K, row_weights=None, col_weights=1)
    with pytest.raises(ValueError, match="Invalid weight initialization argument"):
        fz.WALSModel(N, M, K, row_weights=-1.0)
    with pytest.raises(ValueError, match="3 initial values for 2 shards"):
        fz.WALSModel(N, M, K, row_init=[np.ones((2, K))] * 3, num_row_shards=2)
    model = fz.WALSModel(N, M, K)
    with pytest.raises(TypeError, match="sp_input must be a SparseTensor"):
        model.update_row_factors(np.ones((N, M), F))
