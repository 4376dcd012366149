"""The complex Schur decomposition A = Q T Q^H (T upper triangular, Q unitary) in numpy, which
has none: Householder reduction to Hessenberg form, then single-shift QR iterations (Wilkinson
shifts, exceptional shifts at iterations 10 and 30, Givens rotations chasing the bulge) with
deflation of negligible subdiagonal entries, the algorithm of Eigen's ComplexSchur that TF's
matrix functions (MatrixLogarithm) start from. A matrix already upper triangular deflates at
once and comes back unchanged (Q = I), so a Jordan block's logarithm sees the block itself."""

from __future__ import annotations

import numpy as np

__all__ = ["complex_schur"]

_MAX_ITERATIONS_PER_ROW = 30  # Eigen's m_maxIterationsPerRow


def _hessenberg(h, q):
    """Reduces h to upper Hessenberg form in place by Householder reflections, accumulated in q."""
    n = h.shape[0]
    for k in range(n - 2):
        x = h[k + 1:, k]
        tail = np.linalg.norm(x[1:])
        if tail == 0:
            continue
        alpha = np.hypot(abs(x[0]), tail)
        phase = x[0] / abs(x[0]) if x[0] != 0 else 1.0
        v = x.copy()
        v[0] += phase * alpha
        v /= np.linalg.norm(v)
        h[k + 1:, k:] -= 2 * np.outer(v, v.conj() @ h[k + 1:, k:])
        h[:, k + 1:] -= 2 * np.outer(h[:, k + 1:] @ v, v.conj())
        q[:, k + 1:] -= 2 * np.outer(q[:, k + 1:] @ v, v.conj())
        h[k + 2:, k] = 0


def _norm1(z):
    return abs(z.real) + abs(z.imag)


def _negligible(h, i, eps):
    """Whether h[i + 1, i] is negligible beside its diagonal neighbours (Eigen's test)."""
    scale = _norm1(h[i, i]) + _norm1(h[i + 1, i + 1])
    return _norm1(h[i + 1, i]) <= eps * scale


def _shift(h, iu, it):
    """The eigenvalue of h's trailing 2x2 window nearest its last entry (Wilkinson), or an
    exceptional shift at iterations 10 and 30 to break cycles."""
    if it in (10, 30) and iu >= 2:
        return abs(h[iu, iu - 1].real) + abs(h[iu - 1, iu - 2].real)
    t = h[iu - 1:iu + 1, iu - 1:iu + 1]
    normt = np.abs(t).sum()
    if normt == 0:
        return 0.0
    t = t / normt
    b = t[0, 1] * t[1, 0]
    c = t[0, 0] - t[1, 1]
    disc = np.sqrt(c * c + 4 * b)
    det = t[0, 0] * t[1, 1] - b
    trace = t[0, 0] + t[1, 1]
    ev1, ev2 = (trace + disc) / 2, (trace - disc) / 2
    if _norm1(ev1) > _norm1(ev2):
        ev2 = det / ev1
    elif _norm1(ev2) != 0:
        ev1 = det / ev2
    nearer = ev1 if _norm1(ev1 - t[1, 1]) < _norm1(ev2 - t[1, 1]) else ev2
    return normt * nearer


def _givens(x, y):
    """The unitary 2x2 G with G @ [x, y] = [r, 0]."""
    r = np.hypot(abs(x), abs(y))
    if r == 0:
        return np.eye(2, dtype=np.complex128)
    c, s = x / r, y / r
    return np.array([[c.conjugate(), s.conjugate()], [-s, c]])


def _rotate(h, q, k, g, first_col, last_row):
    h[k:k + 2, first_col:] = g @ h[k:k + 2, first_col:]
    h[:last_row + 1, k:k + 2] = h[:last_row + 1, k:k + 2] @ g.conj().T
    q[:, k:k + 2] = q[:, k:k + 2] @ g.conj().T


def complex_schur(a):
    """(T, Q) with a = Q @ T @ Q^H for a square complex128 matrix, or None when the QR
    iterations do not converge (Eigen's NoConvergence)."""
    n = a.shape[0]
    h = np.array(a, dtype=np.complex128)
    q = np.eye(n, dtype=np.complex128)
    if n <= 1:
        return h, q
    _hessenberg(h, q)
    eps = np.finfo(np.float64).eps
    iu, it, total = n - 1, 0, 0
    while True:
        while iu > 0 and _negligible(h, iu - 1, eps):  # deflate the converged bottom rows
            h[iu, iu - 1] = 0
            iu, it = iu - 1, 0
        if iu == 0:
            break
        it, total = it + 1, total + 1
        if total > _MAX_ITERATIONS_PER_ROW * n:
            return None
        il = iu - 1
        while il > 0 and not _negligible(h, il - 1, eps):
            il -= 1
        shift = _shift(h, iu, it)
        g = _givens(h[il, il] - shift, h[il + 1, il])
        _rotate(h, q, il, g, il, min(il + 2, iu))
        for k in range(il + 1, iu):  # chase the bulge at h[k + 1, k - 1] down
            g = _givens(h[k, k - 1], h[k + 1, k - 1])
            _rotate(h, q, k, g, k - 1, min(k + 2, iu))
            h[k + 1, k - 1] = 0
    return np.triu(h), q
