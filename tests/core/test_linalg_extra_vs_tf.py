"""The ops and compositions of linalg_extra_ops.py, tridiagonal_ops.py and linalg_extra.py
side by side with tf.compat.v1 (skipped without TensorFlow): values and gradients in float32
and float64, and a graph of every op exported to a GraphDef, run by TensorFlow, and TF's own
serialisation of it imported back and run by minitf."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

from .test_linalg_extra import _run, _spd

R = np.random.default_rng(13)


# == against TensorFlow ===========================================================================
def _side_by_side(build, arrays, grad=True):
    """build(lib, *placeholders) in minitf and in tf.compat.v1; outputs and, with grad, the
    gradients of sum(sin(outputs)) with respect to every input."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    results = []
    for lib in (tf, tf1):
        g = lib.Graph()
        with g.as_default():
            phs = [lib.placeholder(lib.as_dtype(a.dtype), a.shape) for a in arrays]
            out = build(lib, *phs)
            outs = list(out) if isinstance(out, (tuple, list)) else [out]
            fetch = list(outs)
            if grad:
                loss = lib.add_n([lib.reduce_sum(lib.sin(o)) for o in outs])
                fetch += lib.gradients(loss, phs)
            with lib.Session(graph=g) as sess:
                results.append(sess.run(fetch, dict(zip(phs, arrays))))
    return results


def _triangular(dt):
    return (np.tril(R.standard_normal((2, 4, 4))) + 4 * np.eye(4)).astype(dt)


CASES_VS_TF = {
    "triangular_solve": (lambda lib, a, b: lib.matrix_triangular_solve(a, b, adjoint=True),
                         lambda dt: [_triangular(dt), R.standard_normal((2, 4, 3))], True),
    "triangular_solve_upper_broadcast": (
        lambda lib, a, b: lib.linalg.triangular_solve(a, b, lower=False),
        lambda dt: [np.swapaxes(_triangular(dt)[:1], -1, -2).copy(),
                    R.standard_normal((2, 4, 3))], True),
    "lstsq_over_l2": (lambda lib, a, b: lib.linalg.lstsq(a, b, l2_regularizer=0.7),
                      lambda dt: [R.standard_normal((2, 5, 3)), R.standard_normal((2, 5, 2))],
                      True),
    "lstsq_under": (lambda lib, a, b: lib.matrix_solve_ls(a, b),
                    lambda dt: [R.standard_normal((3, 5)), R.standard_normal((3, 2))], True),
    "lstsq_slow": (lambda lib, a, b: lib.linalg.lstsq(a, b, fast=False),
                   lambda dt: [R.standard_normal((5, 3)), R.standard_normal((5, 2))], False),
    "slogdet": (lambda lib, a: lib.linalg.slogdet(a),
                lambda dt: [R.standard_normal((3, 3, 3)) + 2 * np.eye(3)], True),
    "logdet_sym": (lambda lib, a: lib.linalg.logdet((a + lib.linalg.matrix_transpose(a)) / 2),
                   lambda dt: [_spd(2, 3, 3)], True),
    "cholesky_solve": (lambda lib, a, b: lib.cholesky_solve(lib.cholesky(a), b),
                       lambda dt: [_spd(2, 3, 3), R.standard_normal((2, 3, 2))], False),
    "cross": (lambda lib, a, b: lib.cross(a, b),
              lambda dt: [R.standard_normal((4, 3)), R.standard_normal((4, 3))], True),
    "sqrtm": (lambda lib, a: lib.linalg.sqrtm(a),
              lambda dt: [R.standard_normal((2, 3, 3)) + 3 * np.eye(3)], True),
    "lu_family": (lambda lib, a, b: [*lib.linalg.lu(a),
                                     lib.linalg.lu_solve(*lib.linalg.lu(a), b),
                                     lib.linalg.lu_reconstruct(*lib.linalg.lu(a)),
                                     lib.linalg.lu_matrix_inverse(*lib.linalg.lu(a))],
                  lambda dt: [R.standard_normal((2, 3, 3)), R.standard_normal((2, 3, 2))],
                  False),
    "pinv_rank": (lambda lib, a: [lib.linalg.pinv(a), lib.linalg.matrix_rank(a)],
                  lambda dt: [R.standard_normal((2, 3, 5))], False),
    "pinv_grad": (lambda lib, a: lib.linalg.pinv(a),
                  lambda dt: [R.standard_normal((4, 3))], True),
    "matvec_normalize": (lambda lib, a, v: [lib.linalg.matvec(a, v, transpose_a=True),
                                            *lib.linalg.normalize(a, axis=[-2, -1])],
                         lambda dt: [R.standard_normal((2, 3, 4)), R.standard_normal((2, 3))],
                         True),
    "expm": (lambda lib, a: lib.linalg.expm(a),
             lambda dt: [R.standard_normal((4, 3, 3)) * [[[0.01]], [[0.3]], [[1.5]], [[4.0]]]],
             True),
    "tridiagonal_solve": (lambda lib, d, b: lib.linalg.tridiagonal_solve(d, b),
                          lambda dt: [R.standard_normal((2, 3, 4)) * [[1], [0.1], [1]],
                                      R.standard_normal((2, 4, 3))], True),
    "tridiagonal_perturbed": (
        lambda lib, d, b: lib.linalg.tridiagonal_solve(d, b, perturb_singular=True),
        lambda dt: [R.standard_normal((2, 3, 4)) * [[1], [0.1], [1]],
                    R.standard_normal((2, 4, 3))], False),
    "tridiagonal_matmul": (lambda lib, d, b: lib.linalg.tridiagonal_matmul(d, b),
                           lambda dt: [R.standard_normal((2, 3, 4)),
                                       R.standard_normal((2, 4, 3))], True),
}


@pytest.mark.tensorflow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES_VS_TF))
def test_values_and_gradients_match_tensorflow(name, dtype):
    build, inputs, grad = CASES_VS_TF[name]
    arrays = [np.asarray(a, dtype) for a in inputs(dtype)]
    mine, theirs = _side_by_side(build, arrays, grad=grad)
    tol = 2e-3 if dtype == np.float32 else 1e-8
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(np.asarray(m), np.asarray(t), rtol=tol, atol=tol,
                                   err_msg=name)


@pytest.mark.tensorflow
def test_a_graph_of_every_op_runs_in_tensorflow():
    """Built in minitf, exported as a GraphDef, imported and run by TensorFlow."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from minitf.ops.tridiagonal_ops import TRIDIAGONAL_MAT_MUL

    a = R.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    rhs = R.standard_normal((2, 3, 2))
    ours = tf.Graph()
    with ours.as_default():
        x = tf.placeholder(tf.float64, [None, 3, 3], name="x")
        b = tf.placeholder(tf.float64, [None, 3, 2], name="b")
        outs = {
            "tri": tf.matrix_triangular_solve(x, b, lower=False, adjoint=True),
            "ls": tf.linalg.lstsq(x, b, l2_regularizer=0.25, fast=False),
            "logdet": tf.linalg.slogdet(x).log_abs_determinant,
            "cross": tf.cross(x, b[..., :1, :1] + x),
            "sqrtm": tf.linalg.sqrtm(tf.matmul(x, x, transpose_b=True)),
            "lu": tf.linalg.lu(x, output_idx_type=tf.int64).lu,
            "perm": tf.get_default_graph().get_tensor_by_name("Lu:1"),
            "tds": tf.linalg.tridiagonal_solve(x, b),
            "tdm": TRIDIAGONAL_MAT_MUL(x[..., :1, :], x[..., 1:2, :], x[..., 2:, :], b),
        }
        for name, t in outs.items():
            tf.identity(t, name="out_" + name)
        tf.identity(tf.gradients(tf.reduce_sum(tf.matrix_triangular_solve(x, b)), x)[0],
                    name="dtri")
    fetches = ["out_" + n + ":0" for n in outs] + ["dtri:0"]
    assert {op.type for op in ours.get_operations()} >= {
        "MatrixTriangularSolve", "MatrixSolveLs", "LogMatrixDeterminant", "Cross",
        "MatrixSquareRoot", "Lu", "TridiagonalSolve", "TridiagonalMatMul"}
    feed = {"x:0": a, "b:0": rhs}
    with tf.Session(graph=ours) as sess:
        mine = sess.run(fetches, feed)
    theirs_graph = tf1.Graph()
    with theirs_graph.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(ours.as_graph_def().SerializeToString()),
                             name="")
        with tf1.Session(graph=theirs_graph) as sess:
            theirs = sess.run(fetches, feed)
        back = theirs_graph.as_graph_def().SerializeToString()  # with TF's default attrs
    for name, m, t in zip(fetches, mine, theirs):
        np.testing.assert_allclose(m, t, rtol=1e-9, atol=1e-9, err_msg=name)
        assert np.asarray(m).dtype == np.asarray(t).dtype, name
    from minitf.protos import graph_pb2

    with tf.Graph().as_default():
        tf.import_graph_def(graph_pb2.GraphDef.FromString(back), name="")
        again = _run(fetches, feed)
    for name, m, t in zip(fetches, again, theirs):
        np.testing.assert_allclose(m, t, rtol=1e-9, atol=1e-9, err_msg=name)
