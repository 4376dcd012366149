"""tf.linalg.LinearOperator and its subclasses against dense numpy: every operator is built
next to the dense matrix it stands for, and matmul / matvec / solve / solvevec (all adjoint
flags, batch broadcasting), det, log|det|, trace, diag_part, to_dense, adjoint(), inverse(),
cholesky() and add_to_tensor are checked against np.linalg on that matrix -- with static shapes
and with shapes only known at run time. Gradients are checked against finite differences, and
the structure each class exists for (Diag solves by division, Kronecker by its factors...) by
the ops its graph holds. Operators combined: test_linear_operator_algebra.py; hints and errors:
test_linear_operator_errors.py; side by side with TensorFlow: test_linear_operator_vs_tf.py."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

CASE_NAMES = [
    "full", "full_spd", "diag", "tril", "identity", "scaled_identity", "composition",
    "inversion", "adjoint", "kronecker", "block_diag", "block_lower_triangular",
    "low_rank_spd", "low_rank_general", "permutation", "householder", "toeplitz",
    "tridiag_compact", "tridiag_sequence", "tridiag_matrix", "circulant_real",
    "circulant_complex", "circulant2d_real", "circulant3d_real",
]


# == dense references ==============================================================================
def _h(m):
    return np.conj(np.swapaxes(m, -1, -2))


def _well(rng, batch, n, dtype):
    a = rng.standard_normal(batch + (n, n)) + 3 * n ** 0.5 * np.eye(n)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(batch + (n, n))
    return a.astype(dtype)


def _spd(rng, batch, n, dtype):
    a = _well(rng, batch, n, dtype)
    return (a @ _h(a) + n * np.eye(n)).astype(dtype)


def _circulant_dense(spec, depth):
    """The [nested] circulant for a spectrum: column k is ifftn(spec * fftn(e_k))."""
    block = spec.shape[-depth:]
    n, axes = int(np.prod(block)), tuple(range(-depth, 0))
    out = np.zeros(spec.shape[:-depth] + (n, n), np.complex128)
    for k in range(n):
        e = np.zeros(n)
        e[k] = 1
        col = np.fft.ifftn(spec * np.fft.fftn(e.reshape(block), axes=axes), axes=axes)
        out[..., :, k] = col.reshape(spec.shape[:-depth] + (n,))
    return out


def _toeplitz_dense(col, row):
    n = col.shape[-1]
    out = np.zeros(col.shape + (n,), col.dtype)
    for i in range(n):
        for j in range(n):
            out[..., i, j] = col[..., i - j] if i >= j else row[..., j - i]
    return out


def _tridiag_dense(sup, diag, sub):
    n = diag.shape[-1]
    out = np.zeros(diag.shape + (n,), diag.dtype)
    for i in range(n):
        out[..., i, i] = diag[..., i]
        if i + 1 < n:
            out[..., i, i + 1], out[..., i + 1, i] = sup[..., i], sub[..., i + 1]
    return out


class Builder:
    """Arguments become Tensors through ``arg``: constants, or (dynamic) placeholders with
    defaults and unknown dimensions; the float ones are kept for gradients."""

    def __init__(self, lib, dynamic=False):
        self.lib, self.la, self.dynamic, self.inputs = lib, lib.linalg, dynamic, []

    def arg(self, a):
        if isinstance(a, list):
            return [self.arg(x) for x in a]
        a = np.asarray(a)
        if not self.dynamic:
            return a
        p = self.lib.placeholder_with_default(a, shape=[None] * a.ndim)
        if a.dtype.kind == "f":
            self.inputs.append(p)
        return p


def build(name, lib=tf, dynamic=False, batch=(2,), dtype=np.float64, seed=1):
    """(operator, dense matrix, builder) for the case ``name``; every operator is square."""
    rng = np.random.default_rng(seed)
    b = Builder(lib, dynamic)
    la, arg, n = b.la, b.arg, 3
    if name in ("full", "full_spd"):
        m = (_spd if name == "full_spd" else _well)(rng, batch, n, dtype)
        hints = dict(is_self_adjoint=True, is_positive_definite=True) if name == "full_spd" \
            else {}
        return la.LinearOperatorFullMatrix(arg(m), **hints), m, b
    if name == "diag":
        d = (rng.random(batch + (n,)) + 0.5).astype(dtype)
        if np.dtype(dtype).kind == "c":
            d = (d + 1j * rng.random(batch + (n,))).astype(dtype)
        return la.LinearOperatorDiag(arg(d)), np.eye(n) * d[..., None, :], b
    if name == "tril":
        m = _well(rng, batch, n, dtype)
        return la.LinearOperatorLowerTriangular(arg(m)), np.tril(m), b
    if name == "identity":
        return (la.LinearOperatorIdentity(n, batch_shape=list(batch), dtype=dtype),
                np.broadcast_to(np.eye(n, dtype=dtype), batch + (n, n)), b)
    if name == "scaled_identity":
        c = (rng.random(batch) + 0.5).astype(dtype)
        return la.LinearOperatorScaledIdentity(n, arg(c)), c[..., None, None] * np.eye(n), b
    if name == "composition":
        m1, m2 = _well(rng, batch, n, dtype), _well(rng, (), n, dtype)
        return (la.LinearOperatorComposition([la.LinearOperatorFullMatrix(arg(m1)),
                                              la.LinearOperatorLowerTriangular(arg(m2))]),
                m1 @ np.tril(m2), b)
    if name == "inversion":
        m = _well(rng, batch, n, dtype)
        return la.LinearOperatorInversion(la.LinearOperatorFullMatrix(arg(m))), \
            np.linalg.inv(m), b
    if name == "adjoint":
        m = _well(rng, batch, n, dtype)
        return la.LinearOperatorAdjoint(la.LinearOperatorLowerTriangular(arg(m))), \
            _h(np.tril(m)), b
    if name == "kronecker":
        a, c = _well(rng, batch, 2, dtype), np.tril(_well(rng, (), 3, dtype))
        dense = np.einsum("...ij,kl->...ikjl", a, c).reshape(batch + (6, 6))
        return (la.LinearOperatorKronecker([la.LinearOperatorFullMatrix(arg(a)),
                                            la.LinearOperatorLowerTriangular(arg(c))]),
                dense, b)
    if name in ("block_diag", "block_lower_triangular"):
        a, c = _well(rng, batch, 2, dtype), _well(rng, (), 3, dtype)
        low = rng.standard_normal((3, 2)).astype(dtype)
        dense = np.zeros(batch + (5, 5), dtype)
        dense[..., :2, :2], dense[..., 2:, 2:] = a, c
        fa = la.LinearOperatorFullMatrix(arg(a), is_square=True)
        fc = la.LinearOperatorFullMatrix(arg(c), is_square=True)
        if name == "block_diag":
            return la.LinearOperatorBlockDiag([fa, fc]), dense, b
        dense[..., 2:, :2] = low
        return (la.LinearOperatorBlockLowerTriangular(
            [[fa], [la.LinearOperatorFullMatrix(arg(low)), fc]]), dense, b)
    if name == "low_rank_spd":
        d = (rng.random(batch + (n,)) + 1.0).astype(dtype)
        u = rng.standard_normal(batch + (n, 2)).astype(dtype)
        du = (rng.random(2) + 0.5).astype(dtype)
        dense = np.eye(n) * d[..., None, :] + u @ (du[:, None] * np.swapaxes(u, -1, -2))
        base = la.LinearOperatorDiag(arg(d), is_positive_definite=True)
        return (la.LinearOperatorLowRankUpdate(base, arg(u), diag_update=arg(du),
                                               is_diag_update_positive=True), dense, b)
    if name == "low_rank_general":
        m = _well(rng, batch, n, dtype)
        u, v = (rng.standard_normal(batch + (n, 2)).astype(dtype) for _ in range(2))
        du = (rng.random(2) + 0.5).astype(dtype)
        return (la.LinearOperatorLowRankUpdate(la.LinearOperatorFullMatrix(arg(m)), arg(u),
                                               diag_update=arg(du), v=arg(v)),
                m + u @ (du[:, None] * _h(v)), b)
    if name == "permutation":
        perm = np.stack([rng.permutation(n) for _ in range(int(np.prod(batch)))])
        perm = perm.reshape(batch + (n,)).astype(np.int32)
        return (la.LinearOperatorPermutation(arg(perm), dtype=dtype),
                (np.arange(n) == perm[..., None]).astype(dtype), b)
    if name == "householder":
        v = rng.standard_normal(batch + (n,)).astype(dtype)
        vn = v / np.linalg.norm(v, axis=-1, keepdims=True)
        return (la.LinearOperatorHouseholder(arg(v)),
                np.eye(n) - 2 * vn[..., :, None] * vn[..., None, :], b)
    if name == "toeplitz":
        col, row = (rng.standard_normal(batch + (n,)).astype(dtype) for _ in range(2))
        col[..., 0] += 4
        row[..., 0] = col[..., 0]
        return la.LinearOperatorToeplitz(arg(col), arg(row)), _toeplitz_dense(col, row), b
    if name.startswith("tridiag"):
        fmt = name.split("_")[1]
        diag = (rng.standard_normal(batch + (n,)) + 4).astype(dtype)
        sup, sub = (rng.standard_normal(batch + (n,)).astype(dtype) for _ in range(2))
        sup[..., -1], sub[..., 0] = 0, 0
        dense = _tridiag_dense(sup, diag, sub)
        diagonals = {"compact": np.stack([sup, diag, sub], -2), "sequence": [sup, diag, sub],
                     "matrix": dense}[fmt]
        return la.LinearOperatorTridiag(arg(diagonals), diagonals_format=fmt), dense, b
    if name.startswith("circulant"):
        depth = {"circulant": 1, "circulant2d": 2, "circulant3d": 3}[name.split("_")[0]]
        block = {1: (4,), 2: (2, 3), 3: (2, 2, 2)}[depth]
        cls = {1: la.LinearOperatorCirculant, 2: la.LinearOperatorCirculant2D,
               3: la.LinearOperatorCirculant3D}[depth]
        kernel = rng.standard_normal(batch + block)  # real kernel: Hermitian spectrum
        spec = np.fft.fftn(kernel, axes=tuple(range(-depth, 0))) + 10
        if name.endswith("complex"):
            spec = spec + 1j * rng.standard_normal(spec.shape)
            return (cls(arg(spec), input_output_dtype=lib.complex128),
                    _circulant_dense(spec, depth), b)
        return (cls(arg(spec), input_output_dtype=lib.float64),
                _circulant_dense(spec, depth).real, b)
    raise KeyError(name)


def x_batch(name):
    """Batch of the matmul/solve arguments: (3, 1) broadcasts against the operators' (2,);
    tridiagonal_matmul (as TF's) needs equal batch ranks."""
    return (2,) if name.startswith("tridiag") else (3, 1)


def method_fetches(op, dense, name, rng, complex_args=False):
    """{key: (tensor, numpy reference)} for every method on ``op`` standing for ``dense``."""
    n, dt = dense.shape[-1], op.dtype.as_numpy_dtype

    def rand(*shape):
        a = rng.standard_normal(shape)
        return (a + 1j * rng.standard_normal(shape) if complex_args else a).astype(dt)

    x = rand(*x_batch(name), n, 4)
    v = rand(*((2,) if name.startswith("tridiag") else ()), n)
    out = {}
    for adj in (False, True):
        a = _h(dense) if adj else dense
        for adj_arg in (False, True):
            arg = _h(x).copy() if adj_arg else x
            out[f"matmul_{adj}_{adj_arg}"] = (
                op.matmul(arg, adjoint=adj, adjoint_arg=adj_arg), a @ x)
            out[f"solve_{adj}_{adj_arg}"] = (
                op.solve(arg, adjoint=adj, adjoint_arg=adj_arg), np.linalg.solve(a, x))
        out[f"matvec_{adj}"] = (op.matvec(v, adjoint=adj), (a @ v[..., None])[..., 0])
        out[f"solvevec_{adj}"] = (op.solvevec(v, adjoint=adj),
                                  np.linalg.solve(a, v[..., None])[..., 0])
    m = rand(*dense.shape)
    out.update(
        det=(op.determinant(), np.linalg.det(dense)),
        log_abs_det=(op.log_abs_determinant(), np.linalg.slogdet(dense)[1]),
        trace=(op.trace(), np.trace(dense, axis1=-2, axis2=-1)),
        diag_part=(op.diag_part(), np.diagonal(dense, axis1=-2, axis2=-1)),
        to_dense=(op.to_dense(), dense),
        adjoint=(op.adjoint().to_dense(), _h(dense)),
        inverse=(op.inverse().to_dense(), np.linalg.inv(dense)),
        add_to_tensor=(op.add_to_tensor(m), dense + m),
        shape_tensor=(op.shape_tensor(), np.array(dense.shape)),
        batch_shape_tensor=(op.batch_shape_tensor(), np.array(dense.shape[:-2])),
        domain_dimension_tensor=(op.domain_dimension_tensor(), n),
        range_dimension_tensor=(op.range_dimension_tensor(), n),
        tensor_rank_tensor=(op.tensor_rank_tensor(), dense.ndim),
    )
    if op.is_self_adjoint and op.is_positive_definite:
        out["cholesky"] = (op.cholesky().to_dense(), np.linalg.cholesky(dense))
    return out


def _check(fetches, rtol=1e-7, atol=1e-8, feed=None, skip=()):
    got = _run({k: t for k, (t, _) in fetches.items() if k not in skip}, feed)
    for key, value in got.items():
        ref = np.asarray(fetches[key][1])
        value = np.asarray(value)
        assert value.shape == np.broadcast_shapes(ref.shape, value.shape), key
        np.testing.assert_allclose(value, np.broadcast_to(ref, value.shape), rtol=rtol,
                                   atol=atol, err_msg=key)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()


# == every operator against its dense matrix ======================================================
@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("name", CASE_NAMES)
def test_methods_match_dense_numpy(name, dynamic):
    op, dense, _ = build(name, dynamic=dynamic)
    if not dynamic:
        assert op.shape.as_list() == list(dense.shape)
        assert op.batch_shape.as_list() == list(dense.shape[:-2])
        assert op.tensor_rank == dense.ndim
        assert op.domain_dimension.value == op.range_dimension.value == dense.shape[-1]
    else:
        assert op.tensor_rank == dense.ndim  # the rank stays known
    _check(method_fetches(op, dense, name, np.random.default_rng(2)))


COMPLEX_CASES = ["full", "full_spd", "diag", "tril", "inversion", "adjoint", "block_diag",
                 "block_lower_triangular"]


@pytest.mark.parametrize("name", COMPLEX_CASES)
def test_complex128_operators(name):
    op, dense, _ = build(name, dtype=np.complex128)
    assert op.dtype == tf.complex128
    fetches = method_fetches(op, dense, name, np.random.default_rng(3), complex_args=True)
    # log|det| of a complex FullMatrix is complex (LogMatrixDeterminant's output), of a
    # triangular or diagonal one real: as TF, compare the values only.
    _check(fetches)


@pytest.mark.parametrize("name", ["full", "diag", "tril", "kronecker", "low_rank_spd",
                                  "toeplitz", "householder", "block_diag"])
def test_float32_operators(name):
    op, dense, _ = build(name, dtype=np.float32)
    assert op.dtype == tf.float32
    fetches = method_fetches(op, dense.astype(np.float64), name, np.random.default_rng(4))
    for key, (t, _) in fetches.items():
        if t.dtype.is_floating:
            assert t.dtype == tf.float32, key
    _check(fetches, rtol=2e-4, atol=2e-4)


def test_unknown_rank_full_matrix_uses_shape_at_run_time():
    m = np.random.default_rng(5).standard_normal((2, 3, 3)) + 4 * np.eye(3)
    ph = tf.placeholder(tf.float64, shape=None)
    op = tf.linalg.LinearOperatorFullMatrix(ph)
    assert op.shape.rank is None and op.tensor_rank is None
    assert op.domain_dimension.value is None and op.batch_shape.rank is None
    x = np.ones((2, 3, 1))
    got = _run([op.shape_tensor(), op.batch_shape_tensor(), op.domain_dimension_tensor(),
                op.tensor_rank_tensor(), op.matmul(x), op.solve(x), op.to_dense()], {ph: m})
    assert list(got[0]) == [2, 3, 3] and list(got[1]) == [2] and got[2] == 3 and got[3] == 3
    np.testing.assert_allclose(got[4], m @ x)
    np.testing.assert_allclose(got[5], np.linalg.solve(m, x))
    np.testing.assert_allclose(got[6], m)


def test_batch_broadcasting_of_operator_and_argument():
    rng = np.random.default_rng(6)
    d = rng.random((4, 1, 3)) + 1
    op = tf.linalg.LinearOperatorDiag(d)
    full = tf.linalg.LinearOperatorFullMatrix(np.eye(3) * 2 + rng.random((1, 5, 3, 3)))
    x = rng.standard_normal((5, 3, 2))
    y, z, w = _run([op.matmul(x), op.solve(x), (op @ full).to_dense()])
    assert y.shape == (4, 5, 3, 2) and z.shape == (4, 5, 3, 2) and w.shape == (4, 5, 3, 3)
    np.testing.assert_allclose(y, d[..., :, None] * x)
    np.testing.assert_allclose(z, x / d[..., :, None])
    assert (op @ full).batch_shape.as_list() == [4, 5]


# == structure: the efficient algorithm each class exists for ====================================
def _op_types():
    return [o.type for o in tf.get_default_graph().get_operations()]


@pytest.mark.parametrize("name, present, absent", [
    ("diag", {"RealDiv"}, {"MatrixSolve", "MatrixDeterminant", "BatchMatMulV2"}),
    ("tril", {"MatrixTriangularSolve"}, {"MatrixSolve", "MatrixDeterminant"}),
    ("scaled_identity", {"Pow"}, {"MatrixSolve", "MatrixDeterminant"}),
    ("circulant_real", {"FFT", "IFFT"}, {"MatrixSolve", "MatrixDeterminant"}),
    ("householder", {"Rsqrt"}, {"MatrixSolve", "MatrixDeterminant", "MatrixInverse"}),
    ("permutation", {"GatherV2"}, {"MatrixSolve", "BatchMatMulV2"}),
    ("tridiag_compact", {"TridiagonalSolve", "TridiagonalMatMul"}, {"MatrixSolve"}),
    ("full_spd", {"Cholesky", "MatrixTriangularSolve"}, {"MatrixSolve"}),
    ("low_rank_spd", {"Cholesky"}, {"MatrixDeterminant"}),
])
def test_solve_and_determinant_use_the_structure(name, present, absent):
    op, _, _ = build(name)
    x = np.ones(x_batch(name) + (op.domain_dimension.value, 2))
    before = len(tf.get_default_graph().get_operations())
    op.solve(x)
    op.matmul(x)
    op.log_abs_determinant()
    op.determinant()
    types = set(_op_types()[before:])
    assert present <= types, (present - types)
    assert not (absent & types), (absent & types)


def test_kronecker_never_builds_the_full_product():
    """A 2x2 kron 3x3 operator applies its factors to 2x3 / 3x2 reshapes of x."""
    op, dense, _ = build("kronecker")
    graph = tf.get_default_graph()
    before = len(graph.get_operations())
    y = op.matmul(np.ones((2, 6, 1)))
    sizes = [tuple(t.shape.as_list()[-2:]) for o in graph.get_operations()[before:]
             for t in o.outputs if t.shape.rank and t.shape.rank >= 2]
    assert (6, 6) not in sizes
    np.testing.assert_allclose(_run(y), dense @ np.ones((2, 6, 1)))


# == gradients through the operators ============================================================
def _numeric_grads(loss, inputs, eps=1e-6):
    """Central differences of ``loss`` w.r.t. each placeholder_with_default input."""
    grads = []
    with tf.Session() as sess:
        for p in inputs:
            x0 = _run_default(sess, p)
            g = np.zeros_like(x0)
            for idx in np.ndindex(*x0.shape):
                hi, lo = x0.copy(), x0.copy()
                hi[idx] += eps
                lo[idx] -= eps
                g[idx] = (sess.run(loss, {p: hi}) - sess.run(loss, {p: lo})) / (2 * eps)
            grads.append(g)
    return grads


def _run_default(sess, p):
    return np.array(sess.run(p))


@pytest.mark.parametrize("name", ["full", "diag", "tril", "scaled_identity", "inversion",
                                  "composition", "kronecker", "block_lower_triangular",
                                  "low_rank_general", "householder", "toeplitz",
                                  "tridiag_compact", "circulant_real"])
def test_gradients_match_finite_differences(name):
    op, _, b = build(name, dynamic=True, batch=(1,))
    size = {"kronecker": 6, "block_lower_triangular": 5, "circulant_real": 4}.get(name, 3)
    x = np.random.default_rng(7).standard_normal((1, size, 2))
    outs = [op.matmul(x), op.solve(x, adjoint=True), op.log_abs_determinant(), op.trace(),
            op.diag_part()]
    loss = tf.add_n([tf.reduce_sum(tf.sin(o)) for o in outs])
    symbolic = _run(tf.gradients(loss, b.inputs))
    numeric = _numeric_grads(loss, b.inputs)
    for s, num in zip(symbolic, numeric):
        np.testing.assert_allclose(s, num, rtol=1e-5, atol=1e-6)


def test_training_a_variable_diagonal_solves_the_system():
    """Variables go in like any tensor; a few gradient steps fit diag so that A x = y."""
    var = tf.Variable(np.ones(3), dtype=tf.float64)
    op = tf.linalg.LinearOperatorDiag(var)
    target = np.array([2.0, 3.0, 4.0])
    loss = tf.reduce_sum(tf.square(op.matvec(np.ones(3)) - target))
    step = tf.train.GradientDescentOptimizer(0.25).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(50):
            sess.run(step)
        np.testing.assert_allclose(sess.run(op.diag_part()), target, rtol=1e-6)
