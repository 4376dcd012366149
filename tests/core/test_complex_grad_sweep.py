"""A registry sweep of complex gradients: every op with a table-driven gradient case
(tests/core/op_cases) is rebuilt with its floating inputs made complex128; ops whose inference
accepts that get a central-difference check of TF's convention for a real loss
L = sum(real(y * conj(w))): dL/dz = dL/dRe(z) + i dL/dIm(z)."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf.gradients import gradients

from .op_cases.harness import Const
from .test_ops import GRAD_CASES, _build

# Ops whose gradient TF itself defines without the conjugate, so it is not dL/dRe + i dL/dIm for
# complex inputs; minitf follows TF's rule (test_complex_gradient_matches_tensorflow checks it).
# op type -> TF's rule.
EXCLUDED = {
    "MulNoNan": "_MulNoNanGrad multiplies by y, not conj(y)",
    "Xlogy": "_XLogyGrad uses log(y) and x / y without conj",
    "Xdivy": "_XDivyGrad uses 1 / y and -x / y**2 without conj",
    "Xlog1py": "_XLog1pyGrad uses log1p(y) and x / (y + 1) without conj",
    "SquaredDifference": "_SquaredDifferenceGrad is 2 * dy * (x - y) without conj",
    "Sign": "_SignGrad is zero",
    "Cumprod": "_CumprodGrad divides by x without conj",
    "SegmentProd": "_SegmentProdGrad divides by x without conj",
    "UnsortedSegmentProd": "_UnsortedSegmentProdGrad divides by x without conj",
    "EuclideanNorm": "_EuclideanNormGrad is x / (norm / dy) without conj",
    "MatrixDeterminant": "_MatrixDeterminantGrad scales by det, not conj(det)",
    "LogMatrixDeterminant": "_LogMatrixDeterminantGrad uses inv(A^H) times dy of a real output",
    "MatrixSquareRoot": "_MatrixSquareRootGrad transposes without conjugating",
    "TridiagonalSolve": "_TridiagonalSolveGrad transposes without conjugating",
}

# Defects found by this sweep (none left); strict xfails so a fix shows up. op type -> what is
# wrong.
KNOWN_DEFECTS: dict = {}
# Ops whose complex gradient TF and minitf both refuse at graph construction, so there is no
# value to check (test_complex_dtype_refusals.py checks the refusal). op type -> why.
GRAD_REFUSED = {
    # TF runs a complex ClipByValue (real and imaginary parts clipped apart, as minitf does),
    # but _clip_by_value_grad builds Less, which refuses complex, as minitf's rule does.
    "ClipByValue": "the gradient builds Less, which refuses complex, in TF and in minitf",
}
# Ops whose outputs are defined only up to a gauge: each singular vector pair (u_k, v_k) or
# eigenvector v_k up to a phase e^{i phi} (LAPACK picks it here, Eigen in TF), so a loss
# weighting those outputs directly has no derivative to check and differs between the two
# libraries. TF's rules (_SvdGrad, _SelfAdjointEigV2Grad) give dL/dRe + i dL/dIm of losses
# invariant under that gauge; the sweep weights such functions of the outputs instead.
# op type -> f(library, *outputs) -> the tensors to weight.


def _weighted_columns(lib, x):
    """x with its k-th column scaled by k + 1 (a fixed real weight per column)."""
    k = x.shape.as_list()[-1]
    return x * np.arange(1, k + 1).astype(x.dtype.as_numpy_dtype)


def _svd_invariants(lib, s, u, v):
    """|s|^2, |u|^2, |v|^2 and u diag(k + 1) v^H (its gradient needs the complex term of
    _SvdGrad); only |s|^2 without compute_uv. s enters as s * conj(s), whose gradient reaches s
    real-valued, as through tf.svd's Real: _SvdGrad takes grad_s as given, so the imaginary part
    of a complex weight on the op's real-valued s would leak into the gradient, in TF as in
    minitf (test_complex_decompositions.py checks that leak against TF)."""
    if u.shape.rank is not None and u.shape.rank < 2:
        return [s * lib.conj(s)]
    return [s * lib.conj(s), u * lib.conj(u), v * lib.conj(v),
            lib.matmul(_weighted_columns(lib, u), v, adjoint_b=True)]


def _eig_invariants(lib, e, v):
    """e, |v|^2 and v diag(k + 1) v^H; only e without compute_v."""
    if v.shape.rank is not None and v.shape.rank < 2:
        return [e]
    return [e, v * lib.conj(v), lib.matmul(_weighted_columns(lib, v), v, adjoint_b=True)]


GAUGE_INVARIANT = {"Svd": _svd_invariants, "SelfAdjointEigV2": _eig_invariants}

# Ops TF cannot run with complex128 here, so there is nothing to compare with.
TF_CANNOT = {
    # The sweep makes the inputs complex128 while the case's Tout stays float64: TF's gradient
    # then builds a BatchMatMulV2 of a complex and a float tensor, which it refuses.
    "BatchMatMulV3": "TF's gradient of complex operands with a real Tout builds a mixed-dtype "
                     "BatchMatMulV2",
    **dict.fromkeys(["TensorScatterMax", "TensorScatterMin", "SpaceToBatchND",
                     "BatchToSpaceND"], "TF registers no complex128 CPU kernel"),
    # TF's OpDef takes complex, its CPU kernel does not; TF's Python rule lacks the conj that
    # minitf's has (test_complex_gradient_matches_central_differences checks minitf's).
    **dict.fromkeys(["SparseDenseCwiseMul", "SparseDenseCwiseDiv"],
                    "TF registers no complex CPU kernel (its OpDef allows complex)"),
    "TopK": "TF no longer builds TopK (removed in GraphDef version 7)",
}


def _first_case_per_op():
    seen, out = set(), []
    for c in GRAD_CASES:
        if c.op not in seen:
            seen.add(c.op)
            out.append(c)
    return out


def _complex_build(case):
    """(outputs, placeholders, feeds) with complex128 feeds, or None if the op refuses them."""
    rng = np.random.default_rng(1)
    tf.reset_default_graph()
    try:
        outs, phs, feeds = _build(case, dtype_override=np.complex128)
    except (TypeError, ValueError, NotImplementedError, tf.errors.InvalidArgumentError):
        return None
    feeds = [np.asarray(f + 0.1j * rng.standard_normal(f.shape)) if f.dtype.kind == "c" else f
             for f in feeds]
    return outs, phs, feeds


def _loss(outs, weights):
    # Flattened first: Real of a 0-d tensor comes back with shape (1,) (reported bug).
    terms = [tf.reduce_sum(tf.real(tf.reshape(
        t * tf.conj(tf.constant(np.asarray(w).astype(t.dtype.as_numpy_dtype))), [-1])))
        for t, w in zip(outs, weights)]
    return terms[0] if len(terms) == 1 else tf.add_n(terms)


def _numeric(sess, loss, feed, ph, x0, eps=1e-6):
    num = np.zeros_like(x0)
    for j in np.ndindex(*x0.shape):
        for unit in (1, 1j):
            for sign in (1, -1):
                x = x0.copy()
                x[j] += sign * eps * unit
                num[j] += unit * sign * sess.run(loss, {**feed, ph: x}) / (2 * eps)
    return num


def _sweep(case):
    """(inputs, weights, positions, symbolic, numeric) with complex feeds, or None if the op
    refuses them; cached per case as the TF comparison reuses it."""
    if case.id in _CACHE:
        return _CACHE[case.id]
    result = None
    built = _complex_build(case)
    if built is not None:
        outs, phs, feeds = built
        if case.op in GAUGE_INVARIANT:
            outs = GAUGE_INVARIANT[case.op](tf, *outs)
        wanted = case.grad if case.grad is not None else range(len(feeds))
        positions = [i for i in wanted if feeds[i].dtype.kind == "c"]
        idx = [k for k, t in enumerate(outs) if t.dtype.is_complex or t.dtype.is_floating]
        if idx and positions:
            result = _differentiate(case, outs, phs, feeds, positions, idx)
    _CACHE[case.id] = result
    return result


_CACHE: dict = {}


def _differentiate(case, outs, phs, feeds, positions, idx):
    feed = dict(zip(phs, feeds))
    rng = np.random.default_rng(2)
    with tf.Session() as sess:
        values = sess.run([outs[k] for k in idx], feed)
        weights = [rng.standard_normal(np.shape(v)) + 1j * rng.standard_normal(np.shape(v))
                   for v in values]
        loss = _loss([outs[k] for k in idx], weights)
        sym = gradients(loss, [phs[i] for i in positions])
        assert all(g is not None for g in sym), f"{case.op}: no gradient"
        got = sess.run([tf.convert_to_tensor(g) for g in sym], feed)
        num = [_numeric(sess, loss, feed, phs[i], feeds[i]) for i in positions]
    return feeds, (idx, weights), positions, got, num


def _tf_gradients(tf1, case, feeds, idx_weights, positions):
    """The same op, loss and gradients built by TensorFlow (raw op by type name)."""
    from tensorflow.python.framework import op_def_library

    from minitf.opdef import registered

    args = registered()[case.op].args
    g = tf1.Graph()
    with g.as_default():
        flat, it = [], iter(feeds)

        def tensor(v):
            if isinstance(v, Const):
                return tf1.constant(v.value)
            t = tf1.constant(next(it))
            flat.append(t)
            return t

        kwargs = {a.name: [tensor(e) for e in v] if isinstance(v, list) else tensor(v)
                  for a, v in zip(args, case.inputs)}
        # TF's op-definition library takes the OpDef's own argument names, as minitf's do.
        attrs = _explicit_attrs(case.op, {**registered()[case.op].attrs, **case.attrs})
        outs = list(op_def_library._apply_op_helper(case.op, **kwargs, **attrs)[2].outputs)
        if case.op in GAUGE_INVARIANT:
            outs = GAUGE_INVARIANT[case.op](tf1, *outs)
        idx, weights = idx_weights
        loss = tf1.add_n([tf1.reduce_sum(tf1.math.real(outs[k] * tf1.math.conj(
            tf1.constant(w.astype(outs[k].dtype.as_numpy_dtype))))) for k, w in zip(idx, weights)])
        grads = [tf1.convert_to_tensor(d)
                 for d in tf1.gradients(loss, [flat[i] for i in positions])]
        with tf1.Session(graph=g) as sess:
            return sess.run(grads)


def _explicit_attrs(op_type, attrs):
    """The attrs TF's op-definition library wants spelled out: all but those it infers from
    the inputs' types and lengths."""
    from tensorflow.python.framework import op_def_registry

    op_def = op_def_registry.get(op_type)
    inferred = {n for a in op_def.input_arg for n in (a.type_attr, a.number_attr,
                                                     a.type_list_attr)}
    return {a.name: attrs[a.name] if a.name in attrs else _default(a.default_value)
            for a in op_def.attr if a.name not in inferred}


def _default(value):
    """An AttrValue default as the Python value the library takes (TF-only attrs)."""
    field = value.WhichOneof("value")
    got = getattr(value, field)
    return got.decode() if field == "s" else [] if field == "list" else got


SWEEP = _first_case_per_op()


def _params(defects):
    return [pytest.param(c, id=c.op, marks=pytest.mark.xfail(strict=True, reason=defects[c.op]))
            if c.op in defects else pytest.param(c, id=c.op) for c in SWEEP]


def test_sweep_reaches_the_complex_ops():
    """The sweep really differentiates complex inputs (ops refusing complex128 are skipped)."""
    checked = {c.op for c in SWEEP if c.op not in KNOWN_DEFECTS and c.op not in GRAD_REFUSED
               and _sweep(c) is not None}
    assert {"Sinh", "Cosh", "Expm1", "Asin", "Acos", "Atan", "Asinh", "Acosh", "Atanh",
            "MatrixTriangularSolve", "MatrixInverse", "MatrixSolve", "MatMul",
            "Mul", "Svd", "SelfAdjointEigV2", "Qr"} <= checked, sorted(checked)


@pytest.mark.parametrize("case", _params(KNOWN_DEFECTS))
def test_complex_gradient_matches_central_differences(case):
    if case.op in GRAD_REFUSED:
        pytest.skip(GRAD_REFUSED[case.op])
    result = _sweep(case)
    if result is None:
        pytest.skip(f"{case.op} takes no complex128 input")
    _, _, positions, got, num = result
    close = all(np.allclose(s, n, rtol=1e-4, atol=1e-5) for s, n in zip(got, num))
    if case.op in EXCLUDED:
        assert not close, f"{case.op} is in EXCLUDED but its complex gradient now checks out"
    else:
        assert close, f"{case.op}: symbolic {got} vs numeric {num}"


@pytest.mark.parametrize("case", _params(KNOWN_DEFECTS))
def test_complex_gradient_matches_tensorflow(case):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    if case.op in TF_CANNOT or case.op in GRAD_REFUSED:
        pytest.skip(TF_CANNOT.get(case.op) or GRAD_REFUSED[case.op])
    result = _sweep(case)
    if result is None:
        pytest.skip(f"{case.op} takes no complex128 input")
    feeds, idx_weights, positions, got, _ = result
    want = _tf_gradients(tf1, case, feeds, idx_weights, positions)
    for s, w in zip(got, want):
        np.testing.assert_allclose(s, w, rtol=1e-6, atol=1e-8, err_msg=case.op)


# == The fixed rules, one by one ===================================================================
# f'(z) of the unary ops whose rules gained TF's conj: the gradient of real(f(z)) is conj(f'(z)).
_DERIVATIVES = {
    "sinh": np.cosh, "cosh": np.sinh, "expm1": np.exp,
    "asin": lambda z: 1 / np.sqrt(1 - z * z), "acos": lambda z: -1 / np.sqrt(1 - z * z),
    "atan": lambda z: 1 / (1 + z * z), "asinh": lambda z: 1 / np.sqrt(z * z + 1),
    "acosh": lambda z: 1 / (np.sqrt(z - 1) * np.sqrt(z + 1)), "atanh": lambda z: 1 / (1 - z * z),
}


def _unary_grad(name, z):
    with tf.Graph().as_default():
        x = tf.constant(np.complex128(z))
        y = getattr(tf, name)(x)
        return _run(tf.gradients(tf.real(y), x)[0])


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


@pytest.mark.parametrize("name", sorted(_DERIVATIVES))
def test_unary_complex_gradient_is_the_conjugate_derivative(name):
    z = 1 + 1j if name != "atanh" else 0.5 + 0.25j
    np.testing.assert_allclose(_unary_grad(name, z), np.conj(_DERIVATIVES[name](z)), rtol=1e-12)


def test_sinh_and_expm1_gradients_tf_gave():
    # TF 2.21 gave these for x = 1+1j: d real(sinh(x)) and d real(expm1(x)).
    np.testing.assert_allclose(_unary_grad("sinh", 1 + 1j), 0.8337300251 - 0.9888977058j,
                               rtol=1e-9)
    np.testing.assert_allclose(_unary_grad("expm1", 1 + 1j), 1.4686939399 - 2.2873552872j,
                               rtol=1e-9)


@pytest.mark.parametrize("name", sorted(_DERIVATIVES))
def test_unary_complex_gradient_matches_tensorflow(name):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    z = 1 + 1j if name != "atanh" else 0.5 + 0.25j
    g = tf1.Graph()
    with g.as_default():
        x = tf1.constant(np.complex128(z))
        grad = tf1.gradients(tf1.math.real(getattr(tf1.math, name)(x)), x)[0]
        with tf1.Session(graph=g) as sess:
            want = sess.run(grad)
    np.testing.assert_allclose(_unary_grad(name, z), want, rtol=1e-12)


def _complex_results():
    with tf.Graph().as_default():
        v = tf.constant(np.array([3 + 4j], np.complex64))
        var = tf.math.reduce_variance(tf.constant(np.array([1j, -1j], np.complex64)))
        return _run([tf.norm(v), tf.math.reduce_euclidean_norm(v), var]), var.dtype


def test_norms_and_variance_of_complex_tensors_are_real_valued():
    (norm, enorm, var), var_dtype = _complex_results()
    assert norm == 5 + 0j and norm.dtype == np.complex64  # TF 2.21 gave 5+0j for both norms
    assert enorm == 5 + 0j and enorm.dtype == np.complex64
    assert var_dtype == tf.float32 and var == np.float32(1.0)  # TF 2.21: 1.0, float32


def test_norms_and_variance_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        v = tf1.constant(np.array([3 + 4j, 1 - 2j], np.complex64))
        fetches = [tf1.norm(v), tf1.math.reduce_euclidean_norm(v),
                   tf1.math.reduce_variance(tf1.constant(np.array([1j, -1j, 2], np.complex64)))]
        with tf1.Session(graph=g) as sess:
            want = sess.run(fetches)
    with tf.Graph().as_default():
        v = tf.constant(np.array([3 + 4j, 1 - 2j], np.complex64))
        got = _run([tf.norm(v), tf.math.reduce_euclidean_norm(v),
                    tf.math.reduce_variance(tf.constant(np.array([1j, -1j, 2], np.complex64)))])
    for a, b in zip(got, want):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-6)


_M = np.array([[2 + 1j, 0], [1 - 1j, 3 + 2j]])
_RHS = np.array([[1], [2j]])


def _triangular_adjoint(m=_M, rhs=_RHS):
    with tf.Graph().as_default():
        return _run(tf.linalg.triangular_solve(tf.constant(m), tf.constant(rhs), lower=True,
                                               adjoint=True))


def test_triangular_solve_adjoint_conjugates():
    got = _triangular_adjoint()
    np.testing.assert_allclose(got, np.linalg.solve(_M.conj().T, _RHS), rtol=1e-12)
    np.testing.assert_allclose(got[0, 0], 0.7384615385 + 0.2923076923j, rtol=1e-9)  # TF 2.21


def _hermitian(n, seed):
    r = np.random.default_rng(seed)
    a = r.standard_normal((n, n)) + 1j * r.standard_normal((n, n))
    return a @ a.conj().T + n * np.eye(n)


def test_logdet_of_a_complex_matrix_is_real():
    a = _hermitian(3, 0)
    with tf.Graph().as_default():
        t = tf.linalg.logdet(tf.constant(a))
        got = _run(t)
    assert t.dtype == tf.float64
    np.testing.assert_allclose(got, np.log(np.linalg.det(a).real), rtol=1e-12)


def _cholesky_loss_grad(lib, a, w):
    """d/dA of real(sum(chol((A + A^H) / 2) * conj(w))): the input made Hermitian first so
    central differences see the function the rule differentiates."""
    x = lib.constant(a)
    h = (x + lib.linalg.adjoint(x)) / 2
    loss = lib.reduce_sum(lib.math.real(lib.linalg.cholesky(h) * lib.math.conj(lib.constant(w))))
    return loss, x, lib.gradients(loss, x)[0]


def test_cholesky_complex_gradient_matches_central_differences():
    a, r = _hermitian(3, 1), np.random.default_rng(3)
    w = r.standard_normal((3, 3)) + 1j * r.standard_normal((3, 3))
    with tf.Graph().as_default():
        loss, x, grad = _cholesky_loss_grad(tf, a, w)
        with tf.Session() as sess:
            got = sess.run(grad)
            num = _numeric(sess, loss, {}, x, a)
    np.testing.assert_allclose(got, num, rtol=1e-5, atol=1e-6)


def test_cholesky_complex_gradient_matches_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    a, r = _hermitian(3, 1), np.random.default_rng(3)
    w = r.standard_normal((3, 3)) + 1j * r.standard_normal((3, 3))
    g = tf1.Graph()
    with g.as_default():
        grad = _cholesky_loss_grad(tf1, a, w)[2]
        with tf1.Session(graph=g) as sess:
            want = sess.run(grad)
    with tf.Graph().as_default():
        got = _run(_cholesky_loss_grad(tf, a, w)[2])
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_linalg_forward_values_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    r = np.random.default_rng(4)
    a = r.standard_normal((4, 2)) + 1j * r.standard_normal((4, 2))
    b = r.standard_normal((4, 1)) + 1j * r.standard_normal((4, 1))
    sq = _hermitian(3, 5) + 0.5j * np.triu(np.ones((3, 3)))

    def build(lib):
        return [lib.linalg.triangular_solve(lib.constant(_M), lib.constant(_RHS), adjoint=True),
                lib.linalg.logdet(lib.constant(_hermitian(3, 0))),
                lib.linalg.sqrtm(lib.constant(sq)),
                lib.linalg.lstsq(lib.constant(a), lib.constant(b), fast=True),
                lib.linalg.lstsq(lib.constant(a), lib.constant(b), fast=False)]
    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        want = sess.run(build(tf1))
    with tf.Graph().as_default():
        got = _run(build(tf))
    for x, y in zip(got, want):
        assert x.dtype == y.dtype
        np.testing.assert_allclose(x, y, rtol=1e-8, atol=1e-10)


def test_sqrtm_and_lstsq_of_complex_matrices():
    r = np.random.default_rng(6)
    sq = _hermitian(3, 5) + 0.5j * np.triu(np.ones((3, 3)))
    a = r.standard_normal((4, 2)) + 1j * r.standard_normal((4, 2))
    b = r.standard_normal((4, 1)) + 1j * r.standard_normal((4, 1))
    with tf.Graph().as_default():
        root, fast, slow = _run([tf.linalg.sqrtm(tf.constant(sq)),
                                 tf.linalg.lstsq(tf.constant(a), tf.constant(b), fast=True),
                                 tf.linalg.lstsq(tf.constant(a), tf.constant(b), fast=False)])
    np.testing.assert_allclose(root @ root, sq, rtol=1e-10)
    want = np.linalg.lstsq(a, b, rcond=None)[0]
    np.testing.assert_allclose(fast, want, rtol=1e-10)
    np.testing.assert_allclose(slow, want, rtol=1e-10)


def _real_gradient_op_types():
    """Op types of gradient graphs of real inputs through every rule changed for complex."""
    from collections import Counter

    with tf.Graph().as_default() as g:
        x = tf.constant(np.full((2, 2), 0.5))
        spd = tf.constant(_hermitian(2, 0).real)
        ys = [f(x) for f in (tf.sinh, tf.cosh, tf.asin, tf.acos, tf.atan, tf.asinh, tf.atanh,
                             tf.expm1)] + [tf.acosh(x + 1), tf.norm(x), tf.math.reduce_variance(x),
                                           tf.math.reduce_euclidean_norm(x),
                                           tf.linalg.cholesky(spd), tf.linalg.logdet(spd)]
        tf.gradients([tf.reduce_sum(y) for y in ys], [x, spd])
        return Counter(op.type for op in g.get_operations())


def test_real_gradient_graphs_build_no_complex_ops():
    types = _real_gradient_op_types()
    assert not {"Conj", "Real", "Imag", "ConjugateTranspose", "Complex"} & set(types), types


def _tridiagonal_solves(lib, diags, rhs):
    d, r = lib.constant(diags), lib.constant(rhs)
    return [lib.linalg.tridiagonal_solve(d, r, conjugate_rhs=True),
            lib.linalg.tridiagonal_solve(d, lib.linalg.matrix_transpose(r), transpose_rhs=True,
                                         conjugate_rhs=True),
            lib.linalg.tridiagonal_solve(d, r[:, 0], conjugate_rhs=True)]


_DIAGS = np.array([[1 + 1j, 2, 0], [4, 5 - 1j, 6], [0, 1j, 2]])
_TRI_RHS = np.array([[1 + 2j, 1], [3j, 2], [1, -1j]])


def test_tridiagonal_solve_conjugates_the_rhs():
    dense = np.diag(_DIAGS[1]) + np.diag(_DIAGS[0, :-1], 1) + np.diag(_DIAGS[2, 1:], -1)
    want = np.linalg.solve(dense, _TRI_RHS.conj())
    with tf.Graph().as_default():
        plain, transposed, vector = _run(_tridiagonal_solves(tf, _DIAGS, _TRI_RHS))
    np.testing.assert_allclose(plain, want, rtol=1e-12)
    np.testing.assert_allclose(transposed, want, rtol=1e-12)
    np.testing.assert_allclose(vector, want[:, 0], rtol=1e-12)


def test_tridiagonal_solve_conjugate_rhs_matches_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        want = sess.run(_tridiagonal_solves(tf1, _DIAGS, _TRI_RHS))
    with tf.Graph().as_default():
        got = _run(_tridiagonal_solves(tf, _DIAGS, _TRI_RHS))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12)
