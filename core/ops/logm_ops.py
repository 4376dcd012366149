"""MatrixLogarithm: the principal logarithm of each square matrix in a batch (tf.linalg.logm).

TF's kernel (Eigen's MatrixLogarithm, complex Schur then Schur-Parlett) takes complex64 and
complex128 only, and TF registers no gradient for it (tf.gradients raises LookupError, as
here). This kernel computes in complex128: V log(D) V^-1 from the eigendecomposition when the
eigenvectors are well conditioned; otherwise (a defective or nearly defective matrix) inverse
scaling and squaring: square roots (Denman-Beavers) until the matrix is near I, then log(I + X)
by Gauss-Legendre quadrature of its integral (the diagonal Pade approximant), times 2^s."""

from __future__ import annotations

import numpy as np

from ..opdef import NO_GRADIENT, OpDef, register
from ._math_util import _silence_float_warnings
from .linalg_ops import _check_square, _square_infer

__all__ = ["logm"]

_silence_float_warnings(__name__)  # a singular matrix: -inf/NaN entries, as Eigen's

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(16)
_NODES, _WEIGHTS = (_NODES + 1) / 2, _WEIGHTS / 2  # on [0, 1]


def _log_near_identity(a):
    """log(A) for ||A - I|| < ~0.3: the integral of X (I + t X)^-1 over t in [0, 1]."""
    n = a.shape[-1]
    x = a - np.eye(n)
    out = np.zeros_like(x)
    for t, w in zip(_NODES, _WEIGHTS):
        out += w * np.linalg.solve(np.eye(n) + t * x, x)
    return out


def _inverse_scaling_squaring(a):
    n = a.shape[-1]
    s = 0
    while np.linalg.norm(a - np.eye(n), 1) > 0.25 and s < 64:
        y, z = a, np.eye(n, dtype=a.dtype)
        for _ in range(100):  # Denman-Beavers: y -> sqrt(a), z -> its inverse
            y, z = (y + np.linalg.inv(z)) / 2, (z + np.linalg.inv(y)) / 2
            if np.linalg.norm(y @ y - a, 1) <= 1e-14 * max(np.linalg.norm(a, 1), 1e-300):
                break
        a, s = y, s + 1
    return _log_near_identity(a) * 2.0 ** s


def _logm_one(a):
    if a.shape[-1] == 0:
        return a
    if not np.isfinite(a).all():
        return np.full_like(a, np.nan)
    w, v = np.linalg.eig(a)
    if np.linalg.cond(v) < 1e6:
        return (v * np.log(w)) @ np.linalg.inv(v)
    return _inverse_scaling_squaring(a)


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
