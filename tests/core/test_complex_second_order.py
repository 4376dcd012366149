"""Complex values through TF's gradient ops (TanhGrad, SigmoidGrad, SqrtGrad, RsqrtGrad,
ReciprocalGrad, InvGrad), their gradients (the second-order rules of math_grad.py) and
TridiagonalMatMul's gradient (linalg_grad.py), against values derived by hand in numpy; the
TF-gated tests build the same graphs in TensorFlow.

For a real loss L = sum(real(out * conj(w))) TF's convention is dL/dz = dL/dRe(z) + i dL/dIm(z):
w * conj(d out/dz) where out is holomorphic in z, conj(w) * d out/d conj(z) where it is
holomorphic in conj(z)."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf.opdef import registered

_R = np.random.default_rng(11)
Y = _R.standard_normal((2, 3)) + 1j * _R.standard_normal((2, 3))
DY = _R.standard_normal((2, 3)) + 1j * _R.standard_normal((2, 3))
W = _R.standard_normal((2, 3)) + 1j * _R.standard_normal((2, 3))
c = np.conj

# TF 2.21's CPU kernels (tf.raw_ops on complex values): TanhGrad and SigmoidGrad do not
# conjugate y (the Tanh and Sigmoid gradients pass conj(y)), the others do.
KERNELS = {
    "TanhGrad": lambda y, dy: dy * (1 - y * y),
    "SigmoidGrad": lambda y, dy: dy * y * (1 - y),
    "SqrtGrad": lambda y, dy: 0.5 * dy / c(y),
    "RsqrtGrad": lambda y, dy: -0.5 * dy * c(y) ** 3,
    "ReciprocalGrad": lambda y, dy: -dy * c(y) ** 2,
    "InvGrad": lambda y, dy: -dy * c(y) ** 2,
}
# (dL/dy, dL/d dy) for the loss above, derived by hand from KERNELS.
SECOND = {
    "TanhGrad": lambda y, dy, w: (-2 * w * c(dy * y), w * c(1 - y * y)),
    "SigmoidGrad": lambda y, dy, w: (w * c(dy * (1 - 2 * y)), w * c(y * (1 - y))),
    "SqrtGrad": lambda y, dy, w: (-0.5 * c(w) * dy / c(y) ** 2, 0.5 * w / y),
    "RsqrtGrad": lambda y, dy, w: (-1.5 * c(w) * dy * c(y) ** 2, -0.5 * w * y ** 3),
    "ReciprocalGrad": lambda y, dy, w: (-2 * c(w) * dy * c(y), -w * y * y),
    "InvGrad": lambda y, dy, w: (-2 * c(w) * dy * c(y), -w * y * y),
}
# TF 2.21 gave these for y = 0.25+0.5j, dy = 1-1j (the conjugate-free formulas of the last
# four, or a conjugating TanhGrad / SigmoidGrad, give other numbers).
TF_GAVE = {"TanhGrad": 0.9375 - 1.4375j, "SigmoidGrad": 0.6875 - 0.1875j,
           "SqrtGrad": 1.2 + 0.4j, "RsqrtGrad": 0.0703125 - 0.1015625j,
           "ReciprocalGrad": 0.4375 + 0.0625j, "InvGrad": 0.4375 + 0.0625j}
OPS = sorted(KERNELS)


def _run(fetch):
    with tf.Session() as sess:
        return sess.run(fetch)


def _kernel(op, y, dy):
    with tf.Graph().as_default():
        return _run(registered()[op](tf.constant(y), tf.constant(dy)))


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("op", OPS)
def test_gradient_kernels_conjugate_as_tf_does(op, dtype):
    got = _kernel(op, Y.astype(dtype), DY.astype(dtype))
    assert got.dtype == dtype
    want = KERNELS[op](Y, DY)
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.complex64 else 1e-13)


@pytest.mark.parametrize("op", OPS)
def test_gradient_kernel_values_tf_gave(op):
    got = _kernel(op, np.complex128(0.25 + 0.5j), np.complex128(1 - 1j))
    np.testing.assert_allclose(got, TF_GAVE[op], rtol=1e-14)
    np.testing.assert_allclose(KERNELS[op](0.25 + 0.5j, 1 - 1j), TF_GAVE[op], rtol=1e-14)


def test_sqrt_grad_of_a_zero_or_infinite_complex_y_is_nan_as_in_tf():
    # TF 2.21: nan+nanj wherever y is 0 or not finite and dy is not 0 (Eigen's complex
    # division); 0 wherever dy is 0.
    y = np.array([0, np.inf, complex(np.inf, 1), 0, 2j])
    got = _kernel("SqrtGrad", y, np.array([1, 1j, 1, 0, 1]))
    assert np.isnan(got[:3].real).all() and np.isnan(got[:3].imag).all()
    np.testing.assert_array_equal(got[3:], [0, 0.25j])
    np.testing.assert_array_equal(_kernel("SqrtGrad", np.array([0.0, 4]), np.array([1.0, 1])),
                                  [np.inf, 0.125])  # real y: as before


def _second_order(op, y, dy, w):
    with tf.Graph().as_default():
        ty, tdy = tf.constant(y), tf.constant(dy)
        out = registered()[op](ty, tdy)
        loss = tf.reduce_sum(tf.real(out * tf.conj(tf.constant(w))))
        return _run(tf.gradients(loss, [ty, tdy]))


@pytest.mark.parametrize("op", OPS)
def test_second_order_rules_match_the_hand_derivation(op):
    got = _second_order(op, Y, DY, W)
    for g, want in zip(got, SECOND[op](Y, DY, W)):
        np.testing.assert_allclose(g, want, rtol=1e-12)


@pytest.mark.parametrize("op", OPS)
def test_hand_derivation_is_the_central_difference(op):
    """SECOND is dL/dRe + i dL/dIm of the kernel (TF's rules are the convention here)."""
    def loss(y, dy):
        return np.sum(np.real(KERNELS[op](y, dy) * c(W)))

    eps, num = 1e-6, [np.zeros_like(Y), np.zeros_like(DY)]
    for k in range(2):
        for j in np.ndindex(*Y.shape):
            for unit in (1, 1j):
                args = [[Y.copy(), DY.copy()], [Y.copy(), DY.copy()]]
                args[0][k][j] += eps * unit
                args[1][k][j] -= eps * unit
                num[k][j] += unit * (loss(*args[0]) - loss(*args[1])) / (2 * eps)
    for n, want in zip(num, SECOND[op](Y, DY, W)):
        np.testing.assert_allclose(n, want, rtol=1e-6, atol=1e-8)


# f and f'' of the unary functions whose gradients are these ops.
_FUNCTIONS = {
    "tanh": (np.tanh, lambda z: -2 * np.tanh(z) * (1 - np.tanh(z) ** 2)),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)),
                lambda z: (s := 1 / (1 + np.exp(-z))) * (1 - s) * (1 - 2 * s)),
    "sqrt": (np.sqrt, lambda z: -0.25 / np.sqrt(z) ** 3),
    "rsqrt": (lambda z: 1 / np.sqrt(z), lambda z: 0.75 / np.sqrt(z) ** 5),
    "reciprocal": (lambda z: 1 / z, lambda z: 2 / z ** 3),
}
Z = np.array([0.5 + 0.25j, 1.5 - 0.75j, 0.2 + 1.1j])


def _twice(lib, name, z, w, v):
    """d/dz of real(sum(g * conj(v))) where g = d/dz of real(sum(f(z) * conj(w)))."""
    x = lib.constant(z)
    fn = getattr(lib.math, name)
    first = lib.gradients(lib.reduce_sum(lib.math.real(fn(x) * lib.math.conj(lib.constant(w)))),
                          x)[0]
    loss = lib.reduce_sum(lib.math.real(first * lib.math.conj(lib.constant(v))))
    return [first, lib.gradients(loss, x)[0]]


@pytest.mark.parametrize("name", sorted(_FUNCTIONS))
def test_first_and_second_complex_derivatives_through_the_gradient_ops(name):
    # first = w * conj(f'(z)) = F(conj z) with F(u) = w * f'(u), so the second is
    # conj(v) * w * conj(f''(z)).
    f, f2 = _FUNCTIONS[name]
    w, v = W[0], W[1]
    with tf.Graph().as_default():
        first, second = _run(_twice(tf, name, Z, w, v))
    eps = 1e-7
    f1 = (f(Z + eps) - f(Z - eps)) / (2 * eps)  # f is holomorphic: any direction gives f'
    np.testing.assert_allclose(first, w * c(f1), rtol=1e-6)
    np.testing.assert_allclose(second, c(v) * w * c(f2(Z)), rtol=1e-12)


def test_second_derivatives_tf_gave():
    # TF 2.21 gave these for z = 0.5+0.25j: d/dz real(d/dz real(f(z))).
    want = {"tanh": -0.856380128437662 + 0.13156120884958053j,
            "sigmoid": -0.06089476417850742 + 0.0244447393441395j,
            "sqrt": -0.45922264556528913 - 0.38325636093871046j,
            "rsqrt": 1.2844534324604826 + 2.9417648818625035j,
            "reciprocal": 2.048000000000001 + 11.264000000000003j}
    for name, value in want.items():
        with tf.Graph().as_default():
            got = _run(_twice(tf, name, np.complex128(0.5 + 0.25j), 1.0 + 0j, 1.0 + 0j)[1])
        np.testing.assert_allclose(got, value, rtol=1e-13, err_msg=name)


# -- TridiagonalMatMul -----------------------------------------------------------------------------
def _tridiagonal_inputs(dtype):
    r = np.random.default_rng(12)

    def cplx(*shape):
        return (r.standard_normal(shape) + 1j * r.standard_normal(shape)).astype(dtype)

    return [cplx(2, 1, 4), cplx(2, 1, 4), cplx(2, 1, 4), cplx(2, 4, 3)], cplx(2, 4, 3)


def _tridiagonal_grads(lib, inputs, w):
    ts = [lib.constant(x) for x in inputs]
    if lib is tf:
        out = registered()["TridiagonalMatMul"](*ts)
    else:
        out = lib.raw_ops.TridiagonalMatMul(superdiag=ts[0], maindiag=ts[1], subdiag=ts[2],
                                            rhs=ts[3])
    loss = lib.reduce_sum(lib.math.real(out * lib.math.conj(lib.constant(w))))
    return lib.gradients(loss, ts)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_tridiagonal_matmul_complex_gradient_is_the_adjoint(dtype):
    (sup, dia, sub, rhs), w = _tridiagonal_inputs(dtype)
    with tf.Graph().as_default():
        got = _run(_tridiagonal_grads(tf, [sup, dia, sub, rhs], w))
    s, d, b = sup[:, 0], dia[:, 0], sub[:, 0]
    dense = np.stack([np.diag(d[i]) + np.diag(s[i, :-1], 1) + np.diag(b[i, 1:], -1)
                      for i in range(2)])
    # out = T @ rhs: dL/drhs = T^H w; dL/dT[i, j] = sum_n w[i, n] conj(rhs[j, n]).
    dt = w @ c(rhs).transpose(0, 2, 1)
    want = [np.pad(np.diagonal(dt, 1, -2, -1), [(0, 0), (0, 1)])[:, None],
            np.diagonal(dt, 0, -2, -1)[:, None],
            np.pad(np.diagonal(dt, -1, -2, -1), [(0, 0), (1, 0)])[:, None],
            c(dense).transpose(0, 2, 1) @ w]
    tol = 1e-5 if dtype == np.complex64 else 1e-12
    for g, x in zip(got, want):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, x, rtol=tol, atol=tol)


def test_real_gradient_graphs_build_no_complex_ops():
    with tf.Graph().as_default() as g:
        x = tf.constant([0.3, 1.2])
        for f in (tf.tanh, tf.sigmoid, tf.sqrt, tf.rsqrt, tf.reciprocal):
            tf.gradients(tf.gradients(f(x), x)[0], x)
        y, dy = tf.constant([0.5, 2.0]), tf.constant([1.0, -1.0])
        tf.gradients(registered()["InvGrad"](y, dy), [y, dy])
        diags = [tf.constant(np.ones(3)) for _ in range(3)]
        tf.gradients(tf.linalg.tridiagonal_matmul(diags, tf.constant(np.ones((3, 2))),
                                                  diagonals_format="sequence"), diags)
        types = {op.type for op in g.get_operations()}
    assert not {"Conj", "Real", "Imag", "ConjugateTranspose", "Complex"} & types, types


# -- Side by side with TensorFlow --------------------------------------------------------------


def _tf_run(tf1, build):
    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        return sess.run(build())


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_gradient_kernels_match_tensorflow(dtype):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    y = np.concatenate([Y.ravel(), [0, np.inf, 1e-30]]).astype(dtype)
    dy = np.concatenate([DY.ravel(), [1, 1, 0]]).astype(dtype)
    want = _tf_run(tf1, lambda: [getattr(tf1.raw_ops, op)(y=y, dy=dy) for op in OPS])
    for op, x in zip(OPS, want):
        got = _kernel(op, y, dy)
        assert got.dtype == x.dtype
        np.testing.assert_allclose(got, x, rtol=1e-6 if dtype == np.complex64 else 1e-14,
                                   err_msg=op)


@pytest.mark.parametrize("op", OPS)
def test_second_order_rules_match_tensorflow(op):
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def build():
        ty, tdy = tf1.constant(Y), tf1.constant(DY)
        out = getattr(tf1.raw_ops, op)(y=ty, dy=tdy)
        return tf1.gradients(tf1.reduce_sum(tf1.math.real(out * tf1.math.conj(W))), [ty, tdy])

    for g, x in zip(_second_order(op, Y, DY, W), _tf_run(tf1, build)):
        np.testing.assert_allclose(g, x, rtol=1e-13, err_msg=op)


@pytest.mark.parametrize("name", sorted(_FUNCTIONS))
def test_first_and_second_derivatives_match_tensorflow(name):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    want = _tf_run(tf1, lambda: _twice(tf1, name, Z, W[0], W[1]))
    with tf.Graph().as_default():
        got = _run(_twice(tf, name, Z, W[0], W[1]))
    for g, x in zip(got, want):
        np.testing.assert_allclose(g, x, rtol=1e-13, err_msg=name)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_tridiagonal_matmul_gradient_matches_tensorflow(dtype):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    inputs, w = _tridiagonal_inputs(dtype)
    want = _tf_run(tf1, lambda: _tridiagonal_grads(tf1, inputs, w))
    with tf.Graph().as_default():
        got = _run(_tridiagonal_grads(tf, inputs, w))
    for g, x in zip(got, want):
        assert g.dtype == x.dtype
        np.testing.assert_allclose(g, x, rtol=1e-5 if dtype == np.complex64 else 1e-13)
