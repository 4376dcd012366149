"""MatrixLogarithm: the principal logarithm of each square matrix in a batch (tf.linalg.logm).

TF's kernel (Eigen's MatrixLogarithm) takes complex64 and complex128 only, and TF registers no
gradient for it (tf.gradients raises LookupError, as here). Like Eigen, this kernel starts from
the complex Schur form A = Q T Q^H (core/ops/_schur.py), so it is exact in kind for defective
(non-diagonalizable) matrices, where an eigendecomposition breaks down; then the logarithm of
the whole triangular T by inverse scaling and squaring (Al-Mohy and Higham 2012): square roots
of T (the triangular recurrence) until T^(1/2^s) - I is small in the sense of
alpha_p = ||X^p||^(1/p) (small for nilpotent parts, which the norm is not), log(I + X) by the
[16/16] Pade approximant (Gauss-Legendre quadrature of its integral), times 2^s. Diagonal and
superdiagonal are recomputed by their exact formulas (log of the eigenvalues; the unwinding
number and atanh for the superdiagonal, as Eigen's 2x2 blocks), so a 2x2 Jordan block
[[l, 1], [0, l]] gives exactly [[log l, 1/l], [0, log l]]. Everything is computed in complex128;
a singular or non-finite matrix gives NaN entries, as TF's kernel does."""

from __future__ import annotations

import numpy as np

from ..opdef import NO_GRADIENT, OpDef, register
from ._math_util import _silence_float_warnings
from ._schur import complex_schur
from .linalg_ops import _check_square, _square_infer

__all__ = ["logm"]

_silence_float_warnings(__name__)

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(16)
_NODES, _WEIGHTS = (_NODES + 1) / 2, _WEIGHTS / 2  # on [0, 1]
# [16/16] Pade of log(1 + x) has error below double's unit roundoff for |x| <= 0.72 (Higham,
# Functions of Matrices, table 11.1); 0.5 keeps a margin. alpha_p bounds the series' terms
# X^k (k >= 33) for p (p - 1) <= 33.
_THETA = 0.5
_POWERS = 6
_MAX_ROOTS = 100


def _unwinding(z):
    """The unwinding number of z: the integer U with log(e^z) = z - 2 pi i U."""
    return np.ceil((z.imag - np.pi) / (2 * np.pi))


def _log_superdiag(l1, l2, t12):
    """The (1, 2) entry of log([[l1, t12], [0, l2]]), accurate for close l1, l2 (Higham 11.28)."""
    if l1 == l2:
        return t12 / l1
    log1, log2 = np.log(l1), np.log(l2)
    if abs(l2 - l1) > abs(l1 + l2) / 2:
        return t12 * (log2 - log1) / (l2 - l1)
    z = (l2 - l1) / (l2 + l1)
    return t12 * 2 * (np.arctanh(z) + 1j * np.pi * _unwinding(log2 - log1)) / (l2 - l1)


def _power_superdiag(l1, l2, t12, p):
    """The (1, 2) entry of [[l1, t12], [0, l2]]^p (principal power), accurate for close l1, l2."""
    log1, log2 = np.log(l1), np.log(l2)
    if l1 == l2:
        return t12 * p * np.exp((p - 1) * log1)
    if abs(l2 - l1) > abs(l1 + l2) / 2:
        return t12 * (np.exp(p * log2) - np.exp(p * log1)) / (l2 - l1)
    z = (l2 - l1) / (l2 + l1)
    b = p * (np.arctanh(z) + 1j * np.pi * _unwinding(log2 - log1))
    return t12 * np.exp(p / 2 * (log2 + log1)) * 2 * np.sinh(b) / (l2 - l1)


def _root_minus_one(a, s):
    """a^(1/2^s) - 1 without cancellation (Al-Mohy 2012, algorithm 2)."""
    if s == 0:
        return a - 1
    n0 = s
    if np.angle(a) >= np.pi / 2:
        a, n0 = np.sqrt(a), s - 1
    z0 = a - 1
    a = np.sqrt(a)
    r = 1 + a
    for _ in range(1, n0):
        a = np.sqrt(a)
        r = r * (1 + a)
    return z0 / r


def _sqrt_triangular(t):
    """The principal square root of upper-triangular t (Bjorck-Hammarling, column by column:
    (R[:j, :j] + r_jj I) R[:j, j] = T[:j, j])."""
    n = t.shape[0]
    r = np.zeros_like(t)
    r[np.diag_indices(n)] = np.sqrt(t.diagonal())
    for j in range(1, n):
        lhs = r[:j, :j] + r[j, j] * np.eye(j)
        r[:j, j] = np.linalg.solve(lhs, t[:j, j])
    return r


def _alpha(x):
    """min over p of max(||X^p||^(1/p), ||X^(p+1)||^(1/(p+1))), 1-norms, p < _POWERS."""
    norms, xp = [], x
    for k in range(1, _POWERS + 1):
        norms.append(np.linalg.norm(xp, 1) ** (1.0 / k))
        xp = xp @ x
    return min(max(norms[p - 1], norms[p]) for p in range(1, _POWERS))


def _log_near_identity(x):
    """log(I + X): the integral of X (I + t X)^-1 over [0, 1] by 16-point Gauss-Legendre."""
    n = x.shape[-1]
    out = np.zeros_like(x)
    for t, w in zip(_NODES, _WEIGHTS):
        out += w * np.linalg.solve(np.eye(n) + t * x, x)
    return out


def _logm_triangular(t):
    """The principal logarithm of upper-triangular t with no zero on its diagonal."""
    n = t.shape[0]
    d = t.diagonal().copy()
    if n == 1:
        return np.log(d).reshape(1, 1)
    r, s = t, 0
    while s < _MAX_ROOTS:
        x = r - np.eye(n)
        x[np.diag_indices(n)] = [_root_minus_one(a, s) for a in d]
        if _alpha(x) <= _THETA:
            break
        r, s = _sqrt_triangular(r), s + 1
    p = 0.5 ** s
    for i in range(n - 1):
        x[i, i + 1] = _power_superdiag(d[i], d[i + 1], t[i, i + 1], p)
    out = np.triu(_log_near_identity(x)) * 2.0 ** s
    out[np.diag_indices(n)] = np.log(d)
    for i in range(n - 1):
        out[i, i + 1] = _log_superdiag(d[i], d[i + 1], t[i, i + 1])
    return out


def _snap_real_eigenvalues(t, a):
    """For a real matrix, eigenvalues on the negative real axis that the Schur form leaves a
    rounding error off it get the imaginary part +0: the principal logarithm's branch (log of
    -x is log x + pi i), rather than the side the rounding fell on."""
    d = t.diagonal().copy()
    tol = 64 * a.shape[0] * np.finfo(np.float64).eps * np.linalg.norm(a)
    near = (d.real < 0) & (np.abs(d.imag) <= tol)
    t[np.diag_indices_from(t)] = np.where(near, d.real + 0j, d + 0.0)  # + 0.0: no -0 imag


def _logm_one(a):
    n = a.shape[-1]
    nan = np.full_like(a, np.nan + 1j * np.nan)
    if n == 0:
        return a
    if not np.isfinite(a).all():
        return nan
    schur = complex_schur(a)
    if schur is None:
        return nan
    t, q = schur
    if not np.any(a.imag):
        _snap_real_eigenvalues(t, a)
    else:
        t[np.diag_indices(n)] += 0.0  # -0 imaginary parts are +0, as the input's real axis
    if np.any(t.diagonal() == 0):  # singular: log 0 = -inf, Eigen's result is NaN throughout
        return nan
    return q @ _logm_triangular(t) @ q.conj().T


def _logm_kernel(input):  # noqa: A002 - TensorFlow's argument name
    x = np.asarray(input)
    _check_square(x, "MatrixLogarithm")
    out = np.empty(x.shape, np.complex128)
    for idx in np.ndindex(*x.shape[:-2]):
        out[idx] = _logm_one(x[idx].astype(np.complex128))
    return out.astype(x.dtype)


def _logm_infer(input):  # noqa: A002
    from ._math_util import _check_dtype

    _check_dtype(input, ("complex64", "complex128"), "input")
    return _square_infer("MatrixLogarithm", lambda dims: dims)(input)


MATRIX_LOGARITHM = register(OpDef(
    "MatrixLogarithm", inputs=["input:T"], kernel=_logm_kernel, infer=_logm_infer,
    grad=NO_GRADIENT,  # TF registers none
    doc="The principal matrix logarithm of each square matrix (complex only).",
))


def logm(input, name=None):  # noqa: A002
    """tf.linalg.logm: the principal logarithm of each inner square matrix (complex64 or
    complex128, as TF's kernel)."""
    return MATRIX_LOGARITHM(input, name=name or "MatrixLogarithm")
