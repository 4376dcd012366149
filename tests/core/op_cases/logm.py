"""Cases for core/ops/logm_ops.py: MatrixLogarithm (complex only, as TF). The references are
independent of the kernel's method (Schur form, inverse scaling and squaring): the exponential
of a known logarithm (a Hermitian L has log(expm(L)) = L, expm by eigendecomposition), a
diagonalizable matrix's V log(D) V^-1, and a Jordan block's logarithm from its series
log(l I + N) = log(l) I + sum_k (-1)^(k+1) N^k / (k l^k), also under a unitary similarity.
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



def _jordan(lam, n):
    return lam * np.eye(n, dtype=np.complex128) + np.diag(np.ones(n - 1), 1)


def _jordan_log(lam, n):
    """The principal log of the n x n Jordan block at lam, from the series in N."""
    nil = np.diag(np.ones(n - 1), 1)
    out = np.log(complex(lam)) * np.eye(n, dtype=np.complex128)
    power = np.eye(n)
    for k in range(1, n):
        power = power @ nil
        out = out + (-1) ** (k + 1) * power / (k * complex(lam) ** k)
    return out


def _eig_log(a):
    """V log(D) V^-1: a reference for diagonalizable matrices with well-separated eigenvalues."""
    w, v = np.linalg.eig(a)
    return (v * np.log(w)) @ np.linalg.inv(v)


RANDOM = R.standard_normal((2, 4, 4)) + 1j * R.standard_normal((2, 4, 4))
UNITARY, _ = np.linalg.qr(R.standard_normal((4, 4)) + 1j * R.standard_normal((4, 4)))

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
    # Defective matrices with eigenvalues on the negative real axis: an eigendecomposition
    # breaks down here (the reviewer's [[-2, 1], [0, -2]] gave 3.5e30, [[-1, 1], [0, -1]]
    # "Singular matrix"); TF 2.21 gave [[0.6931+3.1416j, -0.5], [0, 0.6931+3.1416j]].
    Case("MatrixLogarithm", [_jordan(-2, 2)], lambda x: _jordan_log(-2, 2), rtol=1e-13,
         atol=1e-13, id="MatrixLogarithm-jordan2-negative"),
    Case("MatrixLogarithm", [_jordan(-1, 2)], lambda x: _jordan_log(-1, 2), rtol=1e-13,
         atol=1e-13, id="MatrixLogarithm-jordan2-minus-one"),
    Case("MatrixLogarithm", [_jordan(-4, 3)], lambda x: _jordan_log(-4, 3), rtol=1e-12,
         atol=1e-13, id="MatrixLogarithm-jordan3-negative"),
    Case("MatrixLogarithm", [_jordan(0.5j, 5).astype(np.complex64)],
         lambda x: _jordan_log(0.5j, 5).astype(np.complex64), rtol=1e-5, atol=1e-5,
         id="MatrixLogarithm-jordan5-c64"),
    Case("MatrixLogarithm", [UNITARY @ _jordan(2 + 1j, 4) @ UNITARY.conj().T],
         lambda x: UNITARY @ _jordan_log(2 + 1j, 4) @ UNITARY.conj().T, rtol=1e-11,
         atol=1e-12, id="MatrixLogarithm-jordan4-similar"),
    Case("MatrixLogarithm", [RANDOM], lambda x: np.stack([_eig_log(a) for a in x]),
         rtol=1e-10, atol=1e-11, id="MatrixLogarithm-random-batch"),
]
