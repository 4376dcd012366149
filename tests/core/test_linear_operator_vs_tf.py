"""tf.linalg.LinearOperator side by side with tf.compat.v1 (skipped without TensorFlow): every
operator of test_linear_operator.py built in both, in graphs of their own, from the same arrays
-- with static shapes and with run-time shapes -- and compared method by method (values,
dtypes, static shapes, result tensor names), with the hints, names and classes of the derived
operators (adjoint, inverse, cholesky, products and solves of operators), the gradients of
every method's outputs with respect to the operators' inputs, and the errors bad arguments
raise."""

from __future__ import annotations

import re

import numpy as np
import pytest

import minitf as tf

from .test_linear_operator import CASE_NAMES, build, method_fetches


def _tf1():
    return pytest.importorskip("tensorflow.compat.v1")


def _info(op):
    return (type(op).__name__, op.name, op.is_square, op.is_self_adjoint, op.is_non_singular,
            op.is_positive_definite, op.dtype.name)


def _dims(shape):
    return None if shape.rank is None else [d if isinstance(d, int) or d is None else d.value
                                            for d in shape.as_list()]


def _compatible(mine, theirs):
    """minitf's static shape is TF's, or more specific where TF leaves a dimension unknown."""
    if theirs is None:
        return True
    return mine is not None and len(mine) == len(theirs) and \
        all(t is None or m == t for m, t in zip(mine, theirs))


def _side_by_side(name, dynamic, grads):
    results = []
    for lib in (tf, _tf1()):
        g = lib.Graph()
        with g.as_default():
            op, dense, builder = build(name, lib=lib, dynamic=dynamic)
            fetches = {k: t for k, (t, _) in
                       method_fetches(op, dense, name, np.random.default_rng(2)).items()}
            derived = {"op": op, "adjoint": op.adjoint(), "inverse": op.inverse()}
            if op.is_self_adjoint and op.is_positive_definite:
                derived["cholesky"] = op.cholesky()
            meta = {k: _info(d) for k, d in derived.items()}
            meta["names"] = {k: t.name for k, t in fetches.items()}
            shapes = {k: _dims(t.shape) for k, t in fetches.items()}
            if grads and builder.inputs:
                outs = [t for k, t in fetches.items() if t.dtype.is_floating or
                        t.dtype.is_complex]
                loss = lib.add_n([lib.reduce_sum(lib.sin(lib.real(o))) for o in outs])
                for i, grad in enumerate(lib.gradients(loss, builder.inputs)):
                    fetches[f"grad_{i}"] = grad
            with lib.Session(graph=g) as sess:
                results.append((meta, shapes, sess.run(fetches)))
    return results


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("name", CASE_NAMES)
def test_operators_match_tensorflow(name, dynamic):
    if dynamic and name == "tridiag_compact":
        pytest.skip("TF's MatrixDiagV3 shape function rejects unknown compact diagonals")
    # TF's MatrixDiagPartV3 gradient fails on TridiagonalSolve's; the tridiagonal gradients
    # are checked against finite differences in test_linear_operator.py instead.
    grads = dynamic and not name.startswith("tridiag")
    (m_meta, m_shapes, mine), (t_meta, t_shapes, theirs) = _side_by_side(name, dynamic, grads)
    assert sorted(mine) == sorted(theirs)
    for key in theirs:
        a, b = np.asarray(mine[key]), np.asarray(theirs[key])
        assert a.shape == b.shape and a.dtype == b.dtype, key
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9, err_msg=key)
    for key in ("op", "adjoint", "inverse", "cholesky"):
        assert m_meta.get(key) == t_meta.get(key), key
    for key, shape in t_shapes.items():
        if dynamic:
            assert _compatible(m_shapes[key], shape), key
        else:
            assert m_shapes[key] == shape, key
    # Known naming differences: tf.eye's node is "eye/diag" in TF, "eye" in minitf; TF loses
    # the rank of a "sequence" Tridiag with unknown dims (minitf keeps it: Const, not Size).
    skip = {"to_dense", "adjoint", "inverse", "cholesky"} if name == "identity" else \
        {"tensor_rank_tensor"} if dynamic and name == "tridiag_sequence" else set()
    for key, tensor_name in t_meta["names"].items():
        if key not in skip:
            assert m_meta["names"][key] == tensor_name, key


def _combinations(lib):
    la = lib.linalg
    rng = np.random.default_rng(0)
    d = la.LinearOperatorDiag(np.array([1.0, 2.0, 3.0]))
    d2 = la.LinearOperatorDiag(np.array([2.0, 2.0, 5.0]), is_positive_definite=True)
    low = la.LinearOperatorLowerTriangular(np.tril(rng.standard_normal((3, 3))) + 3 * np.eye(3))
    full = la.LinearOperatorFullMatrix(rng.standard_normal((3, 3)) + 3 * np.eye(3))
    ident = la.LinearOperatorIdentity(3, dtype=lib.float64)
    scaled = la.LinearOperatorScaledIdentity(3, np.float64(2.5))
    zeros = la.LinearOperatorZeros(3, dtype=lib.float64)
    circ = la.LinearOperatorCirculant(np.fft.fft(rng.standard_normal(3)) + 5,
                                      input_output_dtype=lib.complex128)
    circ2 = la.LinearOperatorCirculant(np.fft.fft(rng.standard_normal(3)) + 5,
                                       input_output_dtype=lib.complex128)
    block = la.LinearOperatorBlockDiag([la.LinearOperatorFullMatrix(np.eye(2) * 2),
                                        la.LinearOperatorDiag(np.array([3.0]))])
    block2 = la.LinearOperatorBlockDiag([la.LinearOperatorFullMatrix(np.eye(2) + 1),
                                         la.LinearOperatorDiag(np.array([4.0]))])
    kron = la.LinearOperatorKronecker([la.LinearOperatorFullMatrix(np.eye(1) * 2), full])
    blt = la.LinearOperatorBlockLowerTriangular([[full], [low, d2], [scaled, d, low]])
    low_rank = la.LinearOperatorLowRankUpdate(d2, rng.standard_normal((3, 2)))
    wide = la.LinearOperatorFullMatrix(rng.standard_normal((2, 3)))
    tall = la.LinearOperatorFullMatrix(rng.standard_normal((3, 4)))
    return {
        "wide@tall": wide @ tall, "wide.H": wide.H, "wide.H@wide": wide.matmul(wide,
                                                                              adjoint=True),
        "kron_rect": la.LinearOperatorKronecker([wide, tall]),
        "block_rect": la.LinearOperatorBlockDiag([wide, tall], is_square=False),
        "d@d2": d @ d2, "d.solve(d2)": d.solve(d2), "d@low": d @ low, "low@d": low @ d,
        "d.solve(low)": d.solve(low), "ident@full": ident @ full, "full@ident": full @ ident,
        "full.solve(ident)": full.solve(ident), "scaled@d": scaled @ d,
        "scaled@scaled": scaled @ scaled, "scaled.solve(d)": scaled.solve(d),
        "d@scaled": d @ scaled, "zeros@full": zeros @ full, "full@zeros": full @ zeros,
        "circ@circ2": circ @ circ2, "circ.solve(circ2)": circ.solve(circ2),
        "block@block2": block @ block2, "block.solve(block2)": block.solve(block2),
        "full@low": full @ low, "full.solve(low)": full.solve(low),
        "full.H.matmul(low.H)": full.matmul(low, adjoint=True, adjoint_arg=True),
        "kron.inverse": kron.inverse(), "kron.H": kron.adjoint(), "block.inverse": block.inverse(),
        "block.H": block.H, "blt.inverse": blt.inverse(), "d2.cholesky": d2.cholesky(),
        "scaled.inverse": scaled.inverse(), "circ.H": circ.H, "circ.inverse": circ.inverse(),
        "low_rank.cholesky": low_rank.cholesky(),
        "full@full.H": la.LinearOperatorComposition([full, full.H]),
        "full.inverse.solve(low)": full.inverse().solve(low),
        "blt.inverse.blocks": blt.inverse(),
    }


def test_operator_algebra_matches_tensorflow():
    results = []
    for lib in (tf, _tf1()):
        g = lib.Graph()
        with g.as_default():
            ops = _combinations(lib)
            meta = {k: _info(v) + (_dims(v.shape),) for k, v in ops.items()}
            meta["blocks"] = [[type(o).__name__ for o in row]
                              for row in ops["blt.inverse.blocks"].operators]
            with lib.Session(graph=g) as sess:
                results.append((meta, sess.run({k: v.to_dense() for k, v in ops.items()})))
    (m_meta, mine), (t_meta, theirs) = results
    assert m_meta == t_meta
    for key in theirs:
        assert mine[key].dtype == theirs[key].dtype, key
        np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-6, atol=1e-9, err_msg=key)


# (case, builder(linalg module, lib)): both must raise the same class with the same message.
_E, _R = np.eye(3), np.ones((2, 3))
ERRORS_VS_TF = {
    "pd_not_non_singular": lambda la, lib: la.LinearOperatorFullMatrix(
        _E, is_positive_definite=True, is_non_singular=False),
    "non_square_det": lambda la, lib: la.LinearOperatorFullMatrix(_R).determinant(),
    "non_square_solve": lambda la, lib: la.LinearOperatorFullMatrix(_R).solve(np.ones((2, 1))),
    "non_square_inverse": lambda la, lib: la.LinearOperatorFullMatrix(_R).inverse(),
    "cholesky": lambda la, lib: la.LinearOperatorFullMatrix(_E).cholesky(),
    "square_hint": lambda la, lib: la.LinearOperatorFullMatrix(_E, is_square=False).is_square,
    "matmul_dims": lambda la, lib: la.LinearOperatorFullMatrix(_E).matmul(np.ones((4, 2))),
    "solvevec_dims": lambda la, lib: la.LinearOperatorFullMatrix(_E).solvevec(np.ones(4)),
    "operators_incompatible": lambda la, lib: la.LinearOperatorFullMatrix(_E).matmul(
        la.LinearOperatorFullMatrix(_R)),
    "full_int": lambda la, lib: la.LinearOperatorFullMatrix(np.eye(3, dtype=np.int32)),
    "diag_real_not_self_adjoint": lambda la, lib: la.LinearOperatorDiag(
        [1.0], is_self_adjoint=False),
    "identity_negative": lambda la, lib: la.LinearOperatorIdentity(-1),
    "identity_batch_negative": lambda la, lib: la.LinearOperatorIdentity(3, batch_shape=[-2]),
    "composition_empty": lambda la, lib: la.LinearOperatorComposition([]),
    "composition_shapes": lambda la, lib: la.LinearOperatorComposition(
        [la.LinearOperatorFullMatrix(_E), la.LinearOperatorFullMatrix(_R)]).shape,
    "inversion_singular": lambda la, lib: la.LinearOperatorInversion(
        la.LinearOperatorFullMatrix(_E, is_non_singular=False)),
    "adjoint_contradicting": lambda la, lib: la.LinearOperatorAdjoint(
        la.LinearOperatorFullMatrix(_E, is_self_adjoint=True), is_self_adjoint=False),
    "zeros_rectangular": lambda la, lib: la.LinearOperatorZeros(2, num_columns=3),
    "zeros_assert": lambda la, lib: la.LinearOperatorZeros(3).assert_non_singular(),
    "permutation": lambda la, lib: la.LinearOperatorPermutation([0, 0, 1]),
    "householder": lambda la, lib: la.LinearOperatorHouseholder([1.0], is_self_adjoint=False),
    "kronecker_pd": lambda la, lib: la.LinearOperatorKronecker(
        [la.LinearOperatorIdentity(2)], is_positive_definite=False),
    "block_diag_counts": lambda la, lib: la.LinearOperatorBlockDiag(
        [la.LinearOperatorIdentity(2), la.LinearOperatorIdentity(1)]).matmul(
        la.LinearOperatorBlockDiag([la.LinearOperatorIdentity(3)])),
    "blt_counts": lambda la, lib: la.LinearOperatorBlockLowerTriangular(
        [[la.LinearOperatorIdentity(2)], [la.LinearOperatorIdentity(2)]]),
    "blt_dims": lambda la, lib: la.LinearOperatorBlockLowerTriangular(
        [[la.LinearOperatorIdentity(2)],
         [la.LinearOperatorIdentity(3), la.LinearOperatorIdentity(3)]]),
    "toeplitz": lambda la, lib: la.LinearOperatorToeplitz([1.0, 2.0], [1.0, 2.0, 3.0]),
    "tridiag_format": lambda la, lib: la.LinearOperatorTridiag(_E, diagonals_format="x"),
    "circulant_real": lambda la, lib: la.LinearOperatorCirculant([1.0], is_self_adjoint=False),
    "low_rank": lambda la, lib: la.LinearOperatorLowRankUpdate(
        la.LinearOperatorIdentity(3), np.ones((3, 1), np.float32),
        is_diag_update_positive=False),
    "abstract": lambda la, lib: la.LinearOperator(lib.float32),
}


def _raised(build, lib):
    g = lib.Graph()
    with g.as_default():
        try:
            build(lib.linalg, lib)
        except Exception as e:  # noqa: BLE001 - the class and message are what is compared
            return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("case", sorted(ERRORS_VS_TF))
def test_errors_match_tensorflow(case):
    mine, theirs = _raised(ERRORS_VS_TF[case], tf), _raised(ERRORS_VS_TF[case], _tf1())
    assert theirs is not None and mine is not None
    assert mine[0] == theirs[0]
    if case != "abstract":  # (Python names the abstract methods in its own order)
        # str() of a TF DType is "<dtype: 'int32'>", of minitf's "tf.int32".
        assert mine[1] == re.sub(r"<dtype: '(\w+)'>", r"tf.\1", theirs[1])


def test_tf_linalg_exports_the_same_operator_classes():
    theirs = {n for n in dir(_tf1().linalg) if n.startswith("LinearOperator")}
    mine = {n for n in dir(tf.linalg) if n.startswith("LinearOperator")}
    assert mine == theirs


def _extras(lib):
    """Operators outside the square, non-singular CASE_NAMES: zeros (square and rectangular),
    an identity of run-time size, a complex scaled identity, a circulant's adjoint and kernel."""
    la = lib.linalg
    zeros = la.LinearOperatorZeros(3, batch_shape=[2], dtype=lib.float64)
    rect = la.LinearOperatorZeros(2, num_columns=3, is_square=False, is_self_adjoint=False,
                                  dtype=lib.float64)
    rows = lib.placeholder_with_default(np.int32(2), [])
    ident = la.LinearOperatorIdentity(rows, batch_shape=[3], dtype=lib.float64)
    scaled = la.LinearOperatorScaledIdentity(2, np.array([1 + 2j, 3 - 1j]))
    circ = la.LinearOperatorCirculant(np.array([4 + 1j, 1 - 2j, 2.0 + 0j]))
    x = np.ones((3, 4))
    rng = np.random.default_rng(3)
    wide = la.LinearOperatorFullMatrix(rng.standard_normal((2, 3)))
    tall = la.LinearOperatorFullMatrix(rng.standard_normal((3, 4)))
    kron = la.LinearOperatorKronecker([wide, tall])
    block = la.LinearOperatorBlockDiag([wide, tall], is_square=False)
    y = rng.standard_normal((2, 12, 2))
    out = {
        "kron_matmul": kron.matmul(y), "kron_adjoint": kron.matmul(y[..., :6, :], adjoint=True),
        "kron_adjoint_arg": kron.matmul(np.swapaxes(y, -1, -2), adjoint_arg=True),
        "block_matmul": block.matmul(y[..., :7, :]),
        "block_adjoint": block.matmul(y[..., :5, :], adjoint=True),
        "block_matvec": block.matvec(y[0, :7, 0]),
        "zeros_matmul": zeros.matmul(x), "zeros_det": zeros.determinant(),
        "zeros_diag": zeros.diag_part(), "zeros_add": zeros.add_to_tensor(lib.constant(np.eye(3))),
        "rect_matmul": rect.matmul(x), "rect_adjoint": rect.matmul(np.ones((2, 4)), adjoint=True),
        "rect_dense": rect.to_dense(), "ident_dense": ident.to_dense(),
        "ident_trace": ident.trace(), "ident_shape": ident.shape_tensor(),
        "ident_solve": ident.solve(np.ones((2, 1))),
        "scaled_det": scaled.determinant(), "scaled_log_det": scaled.log_abs_determinant(),
        "scaled_trace": scaled.trace(), "scaled_adjoint": scaled.adjoint().to_dense(),
        "scaled_solve": scaled.solve(np.ones((2, 1), np.complex128), adjoint=True),
        "circ_adjoint": circ.adjoint().to_dense(), "circ_kernel": circ.convolution_kernel(),
        "circ_trace": circ.trace(), "circ_diag": circ.diag_part(), "circ_det": circ.determinant(),
    }
    meta = {"circ_adjoint_dtype": circ.adjoint().dtype.name, "rect_square": rect.is_square,
            "ident_shape": _dims(ident.shape), "scaled": _info(scaled.adjoint())}
    return out, meta


def test_zeros_identity_and_complex_operators_match_tensorflow():
    results = []
    for lib in (tf, _tf1()):
        g = lib.Graph()
        with g.as_default():
            out, meta = _extras(lib)
            names = {k: t.name for k, t in out.items()}
            with lib.Session(graph=g) as sess:
                results.append((meta, names, sess.run(out)))
    (m_meta, m_names, mine), (t_meta, t_names, theirs) = results
    assert m_meta == t_meta
    for key in theirs:
        assert mine[key].dtype == theirs[key].dtype and mine[key].shape == theirs[key].shape, key
        np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-6, atol=1e-7, err_msg=key)
        if key != "ident_dense":  # (tf.eye's node names differ)
            assert m_names[key] == t_names[key], key
