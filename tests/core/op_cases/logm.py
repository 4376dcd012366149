"""Cases for core/ops/logm_ops.py: MatrixLogarithm (complex only, as TF). The references are
independent of the kernel's method: the exponential of a known logarithm (a Hermitian L has
log(expm(L)) = L, expm by eigendecomposition), and a Jordan block's logarithm from its series.
TF registers no gradient for this op (NO_GRADIENT)."""

import numpy as np

from .harness import Case

R = np.random.default_rng(67)


def _expm_hermitian(h):
    w, v = np.linalg.eigh(h)
    return (v * np.exp(w)) @ v.conj().T


def _hermitian(n, scale=0.5):
    a = R.standard_normal((n, n)) + 1j * R.standard_normal((n, n))
    return scale * (a + a.conj().T) / 2


L1 = _hermitian(3)  # eigenvalues well inside (-pi, pi): log(expm(L)) = L
L2 = np.stack([_hermitian(4, 0.3), _hermitian(4, 0.3)])
# log of the Jordan block lambda I + N (N nilpotent, N^3 = 0): log(lambda) I + N/lambda
# - N^2 / (2 lambda^2)
N = np.diag([1.0, 1.0], 1)
JORDAN = 2.0 * np.eye(3) + N
JORDAN_LOG = np.log(2.0) * np.eye(3) + N / 2 - N @ N / 8

CASES = [
    Case("MatrixLogarithm", [_expm_hermitian(L1)], lambda x: L1, rtol=1e-10, atol=1e-10),
    Case("MatrixLogarithm", [np.stack([_expm_hermitian(h) for h in L2]).astype(np.complex64)],
         lambda x: L2.astype(np.complex64), rtol=1e-4, atol=1e-5, id="MatrixLogarithm-c64"),
    Case("MatrixLogarithm", [JORDAN.astype(np.complex128)], lambda x: JORDAN_LOG + 0j,
         rtol=1e-10, atol=1e-10, id="MatrixLogarithm-defective"),
    Case("MatrixLogarithm", [np.diag([-1.0, 2.0]).astype(np.complex128)],
         lambda x: np.diag([1j * np.pi, np.log(2.0)]), id="MatrixLogarithm-negative-real"),
    Case("MatrixLogarithm", [np.zeros((2, 0, 0), np.complex128)],
         lambda x: np.zeros((2, 0, 0), np.complex128), id="MatrixLogarithm-empty"),
]
