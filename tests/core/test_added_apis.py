"""The TF1 APIs composed from ops (sort, linspace, meshgrid, saturate_cast, gelu, ...), the
namespaces they live in, graph-construction and run-time errors of the new ops, the in-place
ScatterNd updates, and (when TensorFlow is installed) a comparison with tf.compat.v1."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

import minitf as tf
from minitf.gradients import gradients


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()


def _numeric_grad(loss, x, x0, feed=None, eps=1e-6):
    num = np.zeros_like(x0)
    with tf.Session() as sess:
        for j in np.ndindex(*x0.shape):
            for sign in (1, -1):
                v = x0.copy()
                v[j] += sign * eps
                num[j] += sign * sess.run(loss, {**(feed or {}), x: v}) / (2 * eps)
    return num


def _check_grad(build, x0, rtol=1e-4, atol=1e-6):
    x = tf.placeholder(tf.float64, x0.shape)
    y = build(x)
    w = tf.constant(np.random.default_rng(0).standard_normal(_run(tf.shape(y), {x: x0})))
    loss = tf.reduce_sum(y * w)
    (g,) = gradients(loss, [x])
    got = _run(g, {x: x0})
    np.testing.assert_allclose(got, _numeric_grad(loss, x, x0), rtol=rtol, atol=atol)


def test_namespaces():
    for ns, names in [
        (tf, ["linspace", "lin_space", "meshgrid", "roll", "sort", "argsort", "identity_n",
              "ensure_shape", "saturate_cast", "erf", "erfc", "lgamma", "diag", "diag_part",
              "matrix_diag", "matrix_diag_part", "matrix_set_diag", "matrix_band_part", "trace",
              "matrix_inverse", "matrix_determinant", "cholesky", "matrix_solve",
              "segment_prod", "unsorted_segment_prod", "tensor_scatter_nd_update",
              "tensor_scatter_update", "tensor_scatter_nd_add", "tensor_scatter_add",
              "scatter_nd_update", "scatter_nd_add", "space_to_depth", "depth_to_space",
              "clip_by_average_norm", "random_shuffle", "multinomial", "matrix_transpose"]),
        (tf.math, ["erf", "erfc", "lgamma", "digamma", "polygamma", "segment_prod",
                   "unsorted_segment_prod", "reduce_variance", "reduce_std"]),
        (tf.linalg, ["inv", "det", "cholesky", "solve", "trace", "band_part", "diag",
                     "diag_part", "set_diag", "tensor_diag", "tensor_diag_part", "matmul",
                     "eye", "norm", "einsum", "tensordot", "transpose", "adjoint",
                     "l2_normalize"]),
        (tf.nn, ["gelu", "swish", "silu", "crelu", "space_to_depth", "depth_to_space"]),
        (tf.random, ["shuffle", "categorical", "multinomial"]),
    ]:
        missing = [n for n in names if not callable(getattr(ns, n, None))]
        assert not missing, f"{ns.__name__} lacks {missing}"
    assert tf.linalg.inv is tf.matrix_inverse and tf.linalg.diag is tf.matrix_diag
    assert tf.random.shuffle is tf.random_shuffle and tf.math.erf is tf.erf


def test_sort_and_argsort_as_tf_composes_them():
    v = np.array([[3.0, 1.0, 2.0, 1.0], [0.0, -1.0, 5.0, 5.0]], np.float32)
    x = tf.constant(v)
    asc, desc = tf.sort(x), tf.sort(x, direction="DESCENDING")
    idx, idx0 = tf.argsort(x, stable=True), tf.argsort(x, axis=0, direction="DESCENDING")
    ints = tf.sort(tf.constant([3, -2, 5, -2**31, 2**31 - 1], tf.int32))
    uints = tf.sort(tf.constant([3, 0, 255, 2], tf.uint8))
    got = _run([asc, desc, idx, idx0, ints, uints])
    np.testing.assert_array_equal(got[0], np.sort(v, axis=-1))
    np.testing.assert_array_equal(got[1], -np.sort(-v, axis=-1))
    np.testing.assert_array_equal(got[2], np.argsort(v, axis=-1, kind="stable"))
    np.testing.assert_array_equal(got[3], np.argsort(-v, axis=0, kind="stable"))
    assert got[2].dtype == np.int32
    np.testing.assert_array_equal(got[4], [-2**31, -2, 3, 5, 2**31 - 1])
    np.testing.assert_array_equal(got[5], [0, 2, 3, 255])
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert "TopKV2" in types and "Transpose" in types
    with pytest.raises(ValueError, match="ASCENDING"):
        tf.sort(x, direction="UP")
    with pytest.raises(ValueError, match="constant scalar"):
        tf.sort(x, axis=tf.placeholder(tf.int32, []))
    with pytest.raises(ValueError, match="out of range"):
        tf.argsort(x, axis=2)
    _check_grad(lambda t: tf.sort(t, axis=0), np.random.default_rng(1).permutation(12)
                .reshape(3, 4).astype(np.float64))


def test_linspace_values_gradients_and_errors():
    got = _run([tf.linspace(0.0, 1.0, 5), tf.lin_space(2.0, -1.0, 1),
                tf.linspace([0.0, 1.0], [1.0, 3.0], 4, axis=1),
                tf.linspace(tf.constant(1), 3, 3)])
    np.testing.assert_allclose(got[0], [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(got[1], [2.0])
    np.testing.assert_allclose(got[2], [[0, 1 / 3, 2 / 3, 1], [1, 5 / 3, 7 / 3, 3]], rtol=1e-6)
    assert got[3].dtype == np.float64  # integers divide to float64, as TF's composite
    start, stop = tf.constant(0.5, tf.float64), tf.constant(2.0, tf.float64)
    ys = tf.linspace(start, stop, 5)
    w = np.arange(1.0, 6.0)
    gs = _run(gradients(tf.reduce_sum(ys * w), [start, stop]))
    frac = np.arange(5) / 4  # y_i = start + i/4 (stop - start)
    np.testing.assert_allclose(gs, [np.sum(w * (1 - frac)), np.sum(w * frac)])
    with pytest.raises(tf.errors.InvalidArgumentError, match="start"):
        _run(tf.linspace(0.0, 1.0, -1))
    with pytest.raises(TypeError, match="integer"):
        tf.linspace(0.0, 1.0, 2.5)


def test_lin_space_op_errors():
    from minitf.ops.manip_ops import lin_space

    with pytest.raises(ValueError, match="num > 0"):
        lin_space(0.0, 1.0, 0)
    n = tf.placeholder(tf.int32, [])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Requires num > 0: 0"):
        _run(lin_space(0.0, 1.0, n), {n: 0})
    with pytest.raises(TypeError, match="start"):
        lin_space(tf.constant(0), 1, 3)


def test_meshgrid_xy_and_ij():
    x, y, z = [1, 2, 3], [4, 5], [7, 8, 9, 10]
    xy = _run(tf.meshgrid(tf.constant(x), tf.constant([4, 5])))
    for g, w in zip(xy, np.meshgrid(x, [4, 5])):
        np.testing.assert_array_equal(g, w)
    ij = _run(tf.meshgrid(x, y, z, indexing="ij"))
    for g, w in zip(ij, np.meshgrid(x, y, z, indexing="ij")):
        np.testing.assert_array_equal(g, w)
    p = tf.placeholder(tf.float32, [None])
    out = _run(tf.meshgrid(p, tf.constant([4.0, 5.0])), {p: np.array([1.0, 2.0, 3.0], np.float32)})
    assert out[0].shape == (2, 3)
    with pytest.raises(ValueError, match="indexing"):
        tf.meshgrid(x, y, indexing="yx")
    with pytest.raises(TypeError, match="invalid keyword"):
        tf.meshgrid(x, y, sparse=True)


def test_roll_identity_n_ensure_shape():
    x = tf.placeholder(tf.float32, [None, 4])
    v = np.arange(12, dtype=np.float32).reshape(3, 4)
    rolled = tf.roll(x, [1, -1], [0, 1])
    a, b = tf.identity_n([x, tf.constant([1, 2])])
    ensured = tf.ensure_shape(x, [3, 4])
    assert ensured.shape.as_list() == [3, 4] and rolled.op.type == "Roll"
    assert a.op.type == "IdentityN" and b.dtype == tf.int32
    got = _run([rolled, a, b, ensured], {x: v})
    np.testing.assert_array_equal(got[0], np.roll(v, [1, -1], [0, 1]))
    np.testing.assert_array_equal(got[1], v)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Shape of tensor \[2,4\] is not compatible with expected shape "
                             r"\[3,4\]"):
        _run(ensured, {x: v[:2]})
    with pytest.raises(ValueError, match="not compatible"):
        tf.ensure_shape(x, [3, 5])
    with pytest.raises(ValueError, match="same size"):
        tf.roll(x, [1, 2], 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="axis 3 is out of range"):
        _run(tf.roll(x, 1, 3), {x: v})
    (g,) = gradients(tf.reduce_sum(tf.roll(x, 2, 1) * np.arange(4.0, dtype=np.float32)), [x])
    np.testing.assert_array_equal(_run(g, {x: v})[0], np.roll(np.arange(4.0), -2))


def test_saturate_cast():
    x = tf.constant([-1e10, -1.0, 2.5, 300.0, 1e10], tf.float32)
    got = _run([tf.saturate_cast(x, tf.uint8), tf.saturate_cast(x, tf.int32),
                tf.saturate_cast(tf.constant([70000, -5], tf.int32), tf.int16)])
    np.testing.assert_array_equal(got[0], [0, 0, 2, 255, 255])
    np.testing.assert_array_equal(got[1], [-2**31, -1, 2, 300, 2147483520])
    np.testing.assert_array_equal(got[2], [32767, -5])
    ops = [op.type for op in tf.get_default_graph().get_operations()]
    assert "Cast" in ops


def test_special_functions_and_their_gradients():
    v = np.array([-2.5, -0.3, 0.4, 1.0, 3.7], np.float64)
    got = _run([tf.erf(v), tf.erfc(v), tf.lgamma(v), tf.math.digamma(v[2:])])
    np.testing.assert_allclose(got[0], [math.erf(a) for a in v], rtol=1e-15)
    np.testing.assert_allclose(got[1], [math.erfc(a) for a in v], rtol=1e-14)
    np.testing.assert_allclose(got[2], [math.lgamma(a) for a in v], rtol=1e-14)
    np.testing.assert_allclose(got[3], [-2.5613845445851, -0.5772156649015, 1.1671535393615],
                               rtol=1e-9)
    with pytest.raises(TypeError, match="not in list of allowed values"):
        tf.erf(tf.constant([1, 2]))
    # Lgamma's gradient is Digamma, whose gradient is Polygamma(1, x): a second derivative.
    x0 = np.array([0.7, 1.5, 4.0])
    _check_grad(tf.lgamma, x0)
    x = tf.placeholder(tf.float64, [3])
    (g,) = gradients(tf.reduce_sum(tf.lgamma(x)), [x])
    (gg,) = gradients(tf.reduce_sum(g), [x])
    np.testing.assert_allclose(_run(gg, {x: x0}), [2.8340491557, 0.9348022005, 0.2838229557],
                               rtol=1e-7)


def test_gelu_swish_crelu():
    v = np.array([-3.0, -0.5, 0.0, 0.7, 2.0], np.float32)
    got = _run([tf.nn.gelu(v), tf.nn.gelu(v, approximate=True), tf.nn.swish(v),
                tf.nn.silu(v, beta=2.0), tf.nn.crelu(v.reshape(1, 5))])
    exact = [0.5 * a * (1 + math.erf(a / math.sqrt(2))) for a in v.tolist()]
    approx = [0.5 * a * (1 + math.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))
              for a in v.tolist()]
    np.testing.assert_allclose(got[0], exact, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got[1], approx, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got[2], v / (1 + np.exp(-v)), rtol=1e-6)
    np.testing.assert_allclose(got[3], v / (1 + np.exp(-2 * v)), rtol=1e-6)
    np.testing.assert_array_equal(got[4], np.maximum(np.concatenate([v, -v])[None], 0))
    with pytest.raises(ValueError, match="floating"):
        tf.nn.gelu(tf.constant([1, 2]))
    x0 = np.array([-1.3, 0.2, 0.9])
    _check_grad(tf.nn.gelu, x0)
    _check_grad(lambda t: tf.nn.gelu(t, approximate=True), x0)
    _check_grad(tf.nn.swish, x0)


def test_diag_band_trace_wrappers():
    m = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    got = _run([tf.matrix_diag_part(m), tf.linalg.diag_part(m, k=(-1, 1), padding_value=9),
                tf.matrix_diag([[1.0, 2.0]]), tf.linalg.diag([1, 2], k=1),
                tf.linalg.set_diag(m, np.zeros((2, 3), np.float32)),
                tf.matrix_band_part(m, 0, 1), tf.trace(m), tf.linalg.trace(m[0, :, :3]),
                tf.diag([1, 2]), tf.diag_part(np.eye(2) * 3)])
    np.testing.assert_array_equal(got[0], np.diagonal(m, axis1=1, axis2=2))
    np.testing.assert_array_equal(got[1][0], [[1, 6, 11], [0, 5, 10], [4, 9, 9]])
    np.testing.assert_array_equal(got[2], [[[1, 0], [0, 2]]])
    np.testing.assert_array_equal(got[3], [[0, 1, 0], [0, 0, 2], [0, 0, 0]])
    assert np.all(np.diagonal(got[4], axis1=1, axis2=2) == 0)
    np.testing.assert_array_equal(got[5][0], np.triu(np.tril(m[0], 1)))
    np.testing.assert_array_equal(got[6], np.trace(m, axis1=1, axis2=2))
    assert got[7] == 0 + 5 + 10
    np.testing.assert_array_equal(got[8], np.diag([1, 2]))
    np.testing.assert_array_equal(got[9], [3, 3])
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert {"MatrixDiagPartV3", "MatrixDiagV3", "MatrixSetDiagV3", "MatrixBandPart", "Diag",
            "DiagPart", "Sum"} <= types
    with pytest.raises(ValueError, match="at least rank 2"):
        tf.matrix_band_part(tf.constant([1.0]), 0, 0)
    with pytest.raises(ValueError, match="lower_diag_index must not be larger"):
        tf.matrix_diag_part(m, k=(1, 0))
    with pytest.raises(ValueError, match="diagonal must have shape"):
        tf.matrix_set_diag(m, np.zeros((2, 4), np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_lower must be negative"):
        n = tf.placeholder(tf.int64, [])
        _run(tf.matrix_band_part(m, n, n), {n: 5})


def test_linalg_values_errors_and_gradients():
    a = np.array([[4.0, 1.0], [2.0, 3.0]])
    b = np.array([[1.0], [2.0]])
    got = _run([tf.linalg.inv(a), tf.linalg.det(a), tf.linalg.solve(a, b),
                tf.matrix_solve(a, b, adjoint=True), tf.cholesky(a @ a.T)])
    np.testing.assert_allclose(got[0], [[0.3, -0.1], [-0.2, 0.4]])
    np.testing.assert_allclose(got[1], 10.0)
    np.testing.assert_allclose(got[2], [[0.1], [0.6]])
    np.testing.assert_allclose(a.T @ got[3], b)
    np.testing.assert_allclose(got[4] @ got[4].T, a @ a.T)
    with pytest.raises(tf.errors.InvalidArgumentError, match="not invertible"):
        _run(tf.matrix_inverse(np.ones((2, 2))))
    with pytest.raises(tf.errors.InvalidArgumentError, match="not invertible"):
        _run(tf.matrix_solve(np.zeros((2, 2)), b))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Cholesky decomposition"):
        _run(tf.cholesky(-np.eye(2)))
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.matrix_inverse(np.ones((2, 3)))
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.matrix_solve(a, np.ones((3, 1)))
    with pytest.raises(TypeError, match="not in list of allowed values"):
        tf.matrix_determinant(np.eye(2, dtype=np.int32))


def test_cholesky_gradient_through_a_symmetric_input():
    """Cholesky reads one triangle and TF's gradient is the symmetric one: differentiate
    through ``(s + s^T) / 2 + n I`` so that every entry of s matters symmetrically."""
    s0 = np.random.default_rng(3).standard_normal((2, 3, 3))

    def build(s):
        sym = 0.5 * (s + tf.linalg.matrix_transpose(s)) + 3.0 * tf.eye(3, dtype=tf.float64)
        return tf.cholesky(sym)
    _check_grad(build, s0)


def test_segment_prod_gradient_with_zeros():
    data = np.array([2.0, 0.0, 3.0, 0.0, 0.0, 4.0, 5.0])
    ids = np.array([0, 0, 1, 1, 1, 2, 2], np.int32)
    _check_grad(lambda t: tf.segment_prod(t, ids), data)
    _check_grad(lambda t: tf.math.unsorted_segment_prod(t, ids[::-1], 4), data)
    got = _run(tf.math.unsorted_segment_prod([1.0, 2.0], [0, 0], 3))
    np.testing.assert_array_equal(got, [2.0, 1.0, 1.0])  # an empty segment's product is 1
    with pytest.raises(tf.errors.InvalidArgumentError, match="not increasing"):
        _run(tf.segment_prod([1.0, 2.0], [1, 0]))


def test_tensor_scatter_and_scatter_nd_errors():
    t = tf.constant(np.zeros((4, 2), np.float32))
    got = _run([tf.tensor_scatter_nd_update(t, [[1], [3]], [[1.0, 2.0], [3.0, 4.0]]),
                tf.tensor_scatter_add(t, [[0, 1], [0, 1]], [1.0, 2.0])])
    np.testing.assert_array_equal(got[0], [[0, 0], [1, 2], [0, 0], [3, 4]])
    np.testing.assert_array_equal(got[1], [[0, 3], [0, 0], [0, 0], [0, 0]])
    with pytest.raises(ValueError, match="Dimensions of updates"):
        tf.tensor_scatter_nd_update(t, [[1]], [1.0, 2.0, 3.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not index into"):
        _run(tf.tensor_scatter_nd_add(t, [[7]], [[1.0, 1.0]]))


def test_scatter_nd_update_and_add_on_variables():
    v = tf.Variable(np.zeros((3, 2), np.float32))
    upd = tf.scatter_nd_update(v, [[0], [2]], [[1.0, 2.0], [3.0, 4.0]])
    add = tf.scatter_nd_add(v, [[0, 1], [0, 1], [1, 0]], [10.0, 20.0, 5.0])
    assert upd.op.type == "ScatterNdUpdate" and add.op.type == "ScatterNdAdd"
    assert upd.op.get_attr("use_locking") is True and add.op.get_attr("use_locking") is False
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(upd), [[1, 2], [0, 0], [3, 4]])
        np.testing.assert_array_equal(sess.run(add), [[1, 32], [5, 0], [3, 4]])
        np.testing.assert_array_equal(sess.run(v), [[1, 32], [5, 0], [3, 4]])  # in place
        with pytest.raises(tf.errors.InvalidArgumentError, match="does not index into"):
            sess.run(tf.scatter_nd_add(v, [[3, 0]], [1.0]))
    with pytest.raises(ValueError, match="Dimensions of updates"):
        tf.scatter_nd_update(v, [[0]], [1.0, 2.0, 3.0])


def test_space_depth_reduce_variance_clip_by_average_norm():
    x = np.arange(32, dtype=np.float32).reshape(1, 4, 4, 2)
    s2d = tf.space_to_depth(x, 2)
    back = tf.nn.depth_to_space(s2d, 2)
    v = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 9.0]], np.float32)
    got = _run([s2d, back, tf.math.reduce_variance(v), tf.math.reduce_std(v, axis=1,
                                                                          keepdims=True),
                tf.clip_by_average_norm(v, 0.5)])
    assert got[0].shape == (1, 2, 2, 8)
    np.testing.assert_array_equal(got[1], x)
    np.testing.assert_allclose(got[2], np.var(v), rtol=1e-6)
    np.testing.assert_allclose(got[3], np.std(v, axis=1, keepdims=True), rtol=1e-6)
    avg = np.sqrt(np.sum(v * v)) / v.size
    np.testing.assert_allclose(got[4], v * 0.5 / max(avg, 0.5), rtol=1e-6)
    with pytest.raises(TypeError, match="integer"):
        tf.math.reduce_variance(tf.constant([1, 2]))
    with pytest.raises(ValueError, match="divisible"):
        tf.space_to_depth(np.zeros((1, 3, 4, 1), np.float32), 2)


def test_random_shuffle_and_multinomial_seeding():
    tf.set_random_seed(7)
    x = np.arange(20, dtype=np.int32)
    s1 = tf.random_shuffle(x, seed=1)
    m1 = tf.multinomial(np.log([[0.2, 0.8]]), 5, seed=2)
    c1 = tf.random.categorical(np.log([[0.2, 0.8]]), 5, dtype=tf.int32, seed=2)
    assert s1.op.type == "RandomShuffle" and m1.op.type == "Multinomial"
    assert m1.dtype == tf.int64 and c1.dtype == tf.int32 and c1.shape.as_list() == [1, 5]
    with tf.Session() as sess:
        first = sess.run([s1, m1])
    with tf.Session() as sess:
        again = sess.run([s1, m1])
    np.testing.assert_array_equal(first[0], again[0])  # same seeds, same draws
    np.testing.assert_array_equal(first[1], again[1])
    assert sorted(first[0].tolist()) == x.tolist()
    with pytest.raises(ValueError, match="rank 2"):
        tf.multinomial([1.0, 2.0], 3)


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs tensorflow")
def test_against_tensorflow():
    """Values, gradients and op types against tf.compat.v1 (skipped without TensorFlow)."""
    import os
    import subprocess
    import sys

    script = os.path.join(os.path.dirname(__file__), "data", "added_apis_vs_tf.py")
    done = subprocess.run([sys.executable, script], capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    assert "ALL OK" in done.stdout, done.stdout


def test_eye_takes_a_list_or_a_tensor_batch_shape():
    from tests.core.side_by_side import run, tf_run

    def build(t):
        n = t.placeholder_with_default(t.constant([2, 1]), [2])
        return [t.eye(2, 3, batch_shape=[2]), t.eye(2, batch_shape=n), t.eye(2, batch_shape=[])]

    got = run(build(tf))
    assert [g.shape for g in got] == [(2, 2, 3), (2, 1, 2, 2), (2, 2)]
    np.testing.assert_array_equal(got[1][1, 0], np.eye(2))
    for g, w in zip(got, tf_run(build)):
        np.testing.assert_array_equal(g, w)
