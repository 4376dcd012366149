"""Matrix decompositions, batched over leading dimensions: Svd, Qr and SelfAdjointEigV2, with
TensorFlow's gradients (linalg_grad.py); then ``tf.svd``, ``tf.qr``, ``tf.self_adjoint_eig`` and
``tf.self_adjoint_eigvals`` (``tf.linalg.svd``, ``qr``, ``eigh``, ``eigvalsh``).

Svd, Qr and SelfAdjointEigV2 take real and complex dtypes, as TF's OpDefs. For a complex input
the ops' singular values and eigenvalues are real numbers stored in the input's complex dtype
(as TF's kernels), R's diagonal is real (Householder QR, LAPACK's as Eigen's), and ``tf.svd``
returns the singular values' real part (as TF's wrapper; ``eigh`` does not). The signs (real)
or phases (complex) of singular vectors and eigenvectors are LAPACK's, which may differ from
TensorFlow's (Eigen's): only what is invariant under them (the values, |u|, the products they
reconstruct) is defined, and the gradients (TF's rules) are the loss's derivatives for losses
invariant under them."""

from __future__ import annotations

import collections

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import OpDef, TensorSpec, register, shape_error
from . import diag_ops as dg
from ._math_util import _check_dtype, _silence_float_warnings
from .array_ops import zeros_like
from .complex_ops import real
from .linalg_ops import _adjoint, _check_square, matmul, matrix_inverse
from .transform_ops import expand_dims
from .unary_ops import reciprocal, square

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = ["qr", "self_adjoint_eig", "self_adjoint_eigvals", "svd"]

_silence_float_warnings(__name__)

_TYPES = ("float64", "float32", "float16", "complex64", "complex128")


def _matrices(x, op_type):
    """The input as an array numpy's LAPACK takes (half precision computed in float32)."""
    x = np.asarray(x)
    if x.ndim < 2:
        raise InvalidArgumentError(None, None, f"{op_type}: input must have rank >= 2, got "
                                   f"shape {list(x.shape)}")
    return x, (x.astype(np.float32) if x.dtype == np.float16 else x)


def _dims(x, types=_TYPES):
    """(batch dims, rows, cols) of a [..., M, N] spec, or None for an unknown rank."""
    _check_dtype(x, types, "input")
    dims = x.shape.as_tuple()
    if dims is None:
        return None
    if len(dims) < 2:
        raise shape_error(f"Shape must be at least rank 2 but is rank {len(dims)}")
    return dims[:-2], dims[-2], dims[-1]


def _smaller(m, n):
    return None if m is None or n is None else min(m, n)


# -- Svd ------------------------------------------------------------------------------------------
def _svd_kernel(input, *, compute_uv, full_matrices):  # noqa: A002 - TF's argument name
    x, work = _matrices(input, "Svd")
    bad = ~np.isfinite(work).all(axis=(-2, -1))
    if bad.any():  # LAPACK would not converge: TF gives these matrices NaN factors
        work = np.where(bad[..., None, None], 0, work)
    if not compute_uv:
        s = np.linalg.svd(work, compute_uv=False)
        u = v = np.zeros([0], x.dtype)  # TF's outputs are then empty vectors
    else:
        u, s, vh = np.linalg.svd(work, full_matrices=full_matrices)
        v = np.conj(np.swapaxes(vh, -1, -2))  # TF returns V, numpy its adjoint V^H
    out = [s.astype(x.dtype), u.astype(x.dtype), v.astype(x.dtype)]  # s real, in dtype T
    for t in out[:3 if compute_uv else 1]:
        t[bad] = np.nan
    return out


def _svd_infer(input, *, compute_uv, full_matrices):  # noqa: A002
    d = _dims(input)
    if not compute_uv:
        empty = [TensorSpec([0], input.dtype), TensorSpec([0], input.dtype)]
        if d is None:
            return [TensorSpec(None, input.dtype)] + empty
        return [TensorSpec(d[0] + (_smaller(d[1], d[2]),), input.dtype)] + empty
    if d is None:
        return [TensorSpec(None, input.dtype)] * 3
    batch, m, n = d
    p = _smaller(m, n)
    return [TensorSpec(batch + (p,), input.dtype),
            TensorSpec(batch + (m, m if full_matrices else p), input.dtype),
            TensorSpec(batch + (n, n if full_matrices else p), input.dtype)]


def _safe_reciprocal(x, epsilon=1e-20):
    return x * reciprocal(x * x + epsilon)


def _svd_grad(op, grad_s, grad_u, grad_v):
    """TF's _SvdGrad: Townsend's formulas, the matrix transposed when M > N; with
    full_matrices only for |M - N| <= 1, as TF. A complex input adds TF's third term (Wan and
    Zhang), from the imaginary diagonal of V^H grad_v: the rule assumes a loss invariant under
    the phases of the singular vectors (u_k, v_k -> u_k e^{i phi}, v_k e^{i phi})."""
    a = op.inputs[0]
    grad_s_mat = dg.matrix_diag(grad_s)
    if not op._get_attr("compute_uv"):
        _, u, v = svd(a, compute_uv=True)
        return [matmul(u, matmul(grad_s_mat, v, adjoint_b=True))]
    full_matrices = op._get_attr("full_matrices")
    dims = a.shape.as_tuple()
    m, n = (dims[-2], dims[-1]) if dims is not None else (None, None)
    if m is None or n is None:
        raise NotImplementedError("SVD gradient has not been implemented for input with "
                                  "unknown inner matrix shape.")
    s, u, v = op.outputs
    use_adjoint = m > n
    if use_adjoint:
        m, n = n, m
        u, v = v, u
        grad_u, grad_v = grad_v, grad_u
    if full_matrices and abs(m - n) > 1:
        raise NotImplementedError(f"svd gradient is not implemented for abs(m - n) > 1 when "
                                  f"full_matrices is True. Received: m={m} and n={n} from op "
                                  f"input={a.name} with shape={a.shape}.")
    s_mat = dg.matrix_diag(s)
    s2 = square(s)
    f = dg.matrix_set_diag(_safe_reciprocal(expand_dims(s2, -2) - expand_dims(s2, -1)),
                           zeros_like(s))
    s_inv_mat = dg.matrix_diag(_safe_reciprocal(s))
    v1, grad_v1 = v[..., :, :m], grad_v[..., :, :m]
    v_gv = matmul(v1, grad_v1, adjoint_a=True)
    f_u = f * matmul(u, grad_u, adjoint_a=True)
    f_v = f * v_gv
    term1_nouv = (grad_s_mat + matmul(f_u + _adjoint(f_u), s_mat) +
                  matmul(s_mat, f_v + _adjoint(f_v)))
    grad_a = matmul(u, matmul(term1_nouv, v1, adjoint_b=True))
    if m != n:
        gv1t = _adjoint(grad_v1)
        term2_nous = gv1t - matmul(matmul(gv1t, v1), v1, adjoint_b=True)
        if full_matrices:
            v2, grad_v2 = v[..., :, m:n], grad_v[..., :, m:n]
            term2_nous -= matmul(matmul(v1, grad_v2, adjoint_a=True), v2, adjoint_b=True)
        grad_a = grad_a + matmul(matmul(u, s_inv_mat), term2_nous)
    if a.dtype.is_complex:  # TF builds eye * v_gv: the same diagonal
        diag_v_gv = dg.matrix_diag(dg.matrix_diag_part(v_gv))
        term3_nouv = matmul(s_inv_mat, _adjoint(diag_v_gv) - diag_v_gv)
        grad_a = grad_a + 0.5 * matmul(u, matmul(term3_nouv, v1, adjoint_b=True))
    return [_adjoint(grad_a) if use_adjoint else grad_a]


SVD = register(OpDef(
    "Svd", inputs=["input:T"], attrs={"compute_uv": True, "full_matrices": False},
    kernel=_svd_kernel, infer=_svd_infer, grad=_svd_grad,
    doc="s, u, v with input = u @ diag(s) @ v^H (s descending, real values in dtype T); u, v "
        "empty without compute_uv",
))


# -- Qr -------------------------------------------------------------------------------------------
def _qr_kernel(input, *, full_matrices):  # noqa: A002
    """LAPACK's Householder QR (geqrf/ungqr): R's diagonal is real (its sign LAPACK's, as
    Eigen's HouseholderQR in TF), the gauge TF's complex gradient assumes."""
    x, work = _matrices(input, "Qr")
    q, r = np.linalg.qr(work, mode="complete" if full_matrices else "reduced")
    return [q.astype(x.dtype), r.astype(x.dtype)]


def _qr_infer(input, *, full_matrices):  # noqa: A002
    d = _dims(input)
    if d is None:
        return [TensorSpec(None, input.dtype)] * 2
    batch, m, n = d
    k = m if full_matrices else _smaller(m, n)
    return [TensorSpec(batch + (m, k), input.dtype), TensorSpec(batch + (k, n), input.dtype)]


def _qr_grad(op, dq, dr):
    """TF's _QrGrad: for M >= N (reduced) the square-and-deep formula; for M < N the same on
    the leading square block, the rest through Q. x @ R^-H stands for TF's triangular solve.
    A complex input adds TF's correction for R's real diagonal: the imaginary part of
    diag(R dR^H - dQ^H Q), through R^-H."""
    from .concat_split_ops import concat
    from .math_ops import cast

    q, r = op.outputs
    rd, qd = r.shape.as_tuple(), q.shape.as_tuple()
    if rd is None or rd[-2] is None or rd[-1] is None:
        raise NotImplementedError(f"QrGrad not implemented with dynamic shapes. Received "
                                  f"r.shape: {r.shape}")
    if rd[-2] > rd[-1] and qd[-2] == qd[-1]:
        raise NotImplementedError(f"QrGrad not implemented when nrows > ncols and "
                                  f"full_matrices is true. Received r.shape={r.shape} with "
                                  f"nrows={rd[-2]}and ncols={rd[-1]}.")

    def solve_r(x, r):  # x @ inv(r)^H, r upper triangular
        return matmul(x, matrix_inverse(r), adjoint_b=True)

    def square_and_deep(q, r, dq, dr):
        qdq = matmul(q, dq, adjoint_a=True)
        rdr = matmul(r, dr, adjoint_b=True)
        tril = dg.matrix_band_part(qdq - _adjoint(qdq) + rdr - _adjoint(rdr), -1, 0)
        ret = matmul(q, dr + solve_r(tril, r)) + solve_r(dq - matmul(q, qdq), r)
        if q.dtype.is_complex:
            m = rdr - _adjoint(qdq)
            eyem = dg.matrix_set_diag(zeros_like(m), dg.matrix_diag_part(m))
            correction = eyem - cast(real(eyem), q.dtype)
            ret = ret + solve_r(matmul(q, _adjoint(correction)), r)
        return ret

    num_rows, num_cols = qd[-2], rd[-1]
    if num_rows >= num_cols:
        return [square_and_deep(q, r, dq, dr)]
    a = op.inputs[0]
    y, u = a[..., :, num_rows:], r[..., :, :num_rows]
    dv, du = dr[..., :, num_rows:], dr[..., :, :num_rows]
    dx = square_and_deep(q, u, dq + matmul(y, dv, adjoint_b=True), du)
    return [concat([dx, matmul(q, dv)], axis=-1)]


QR = register(OpDef(
    "Qr", inputs=["input:T"], attrs={"full_matrices": False},
    kernel=_qr_kernel, infer=_qr_infer, grad=_qr_grad,
    doc="q with orthonormal columns and upper-triangular r, input = q @ r",
))


# -- SelfAdjointEigV2 -----------------------------------------------------------------------------
def _eig_kernel(input, *, compute_v):  # noqa: A002
    x, work = _matrices(input, "SelfAdjointEigV2")
    _check_square(x, "SelfAdjointEigV2")
    if not np.all(np.isfinite(np.tril(work))):  # numpy returns NaN; TF's solver fails
        raise InvalidArgumentError(None, None, "Self-adjoint eigen decomposition was not "
                                   "successful. The input might not be valid.")
    # numpy, like TF (Eigen), reads only the lower triangle; eigenvalues ascending
    if not compute_v:
        return [np.linalg.eigvalsh(work).astype(x.dtype), np.zeros([0], x.dtype)]
    e, v = np.linalg.eigh(work)
    return [e.astype(x.dtype), v.astype(x.dtype)]


def _eig_infer(input, *, compute_v):  # noqa: A002
    d = _dims(input)
    if d is None:
        return [TensorSpec(None, input.dtype),
                TensorSpec(None if compute_v else [0], input.dtype)]
    batch, m, n = d
    if m is not None and n is not None and m != n:
        raise shape_error(f"Dimensions must be equal, but are {m} and {n}")
    n = n if n is not None else m
    return [TensorSpec(batch + (n,), input.dtype),
            TensorSpec(batch + (n, n) if compute_v else [0], input.dtype)]


def _eig_grad(op, grad_e, grad_v):
    """TF's _SelfAdjointEigV2Grad: V (diag(grad_e) + F o V^H grad_v) V^H, F_ij = 1/(e_j - e_i);
    made Hermitian onto the lower triangle, which is all the op reads (with a real diagonal: the
    op ignores the diagonal's imaginary part). The diagonal of V^H grad_v is dropped: the rule
    assumes a loss invariant under the eigenvectors' signs (real) or phases (complex)."""
    e = op.outputs[0]
    if op._get_attr("compute_v"):
        v = op.outputs[1]
        f = dg.matrix_set_diag(_safe_reciprocal(expand_dims(e, -2) - expand_dims(e, -1)),
                               zeros_like(e))
        inner = dg.matrix_diag(grad_e) + f * matmul(v, grad_v, adjoint_a=True)
    else:
        _, v = self_adjoint_eig(op.inputs[0])
        inner = dg.matrix_diag(grad_e)
    grad_a = matmul(v, matmul(inner, v, adjoint_b=True))
    grad_a = dg.matrix_band_part(grad_a + _adjoint(grad_a), -1, 0)
    return [dg.matrix_set_diag(grad_a, 0.5 * dg.matrix_diag_part(grad_a))]


SELF_ADJOINT_EIG_V2 = register(OpDef(
    "SelfAdjointEigV2", inputs=["input:T"], attrs={"compute_v": True},
    kernel=_eig_kernel, infer=_eig_infer, grad=_eig_grad,
    doc="Eigenvalues (ascending; real values in dtype T) and eigenvectors of self-adjoint "
        "matrices (lower triangle read)",
))


# == Public wrappers (TF1 names, signatures and default node names) ============================


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """``tf.svd`` / ``tf.linalg.svd``: (s, u, v) with ``tensor = u @ diag(s) @ v^H``, s in
    descending order; only s when ``compute_uv`` is False. As TF's wrapper, s is the real part
    of the op's output (a Real node for a complex input, nothing for a real one)."""
    s, u, v = SVD(tensor, compute_uv=compute_uv, full_matrices=full_matrices,
                  name=name or "Svd")
    return (real(s), u, v) if compute_uv else real(s)


# TF's qr returns its op wrapper's namedtuple; its svd and self_adjoint_eig unpack the
# outputs into plain tuples, as these do.
Qr = collections.namedtuple("Qr", ["q", "r"])


def qr(input, full_matrices=False, name=None):  # noqa: A002
    """``tf.qr`` / ``tf.linalg.qr``: Qr(q, r), TF's namedtuple, with ``input = q @ r``."""
    return Qr(*QR(input, full_matrices=full_matrices, name=name or "Qr"))


def self_adjoint_eig(tensor, name=None):
    """``tf.self_adjoint_eig`` / ``tf.linalg.eigh``: (e, v), eigenvalues ascending and the
    eigenvectors as columns, of self-adjoint matrices (their lower triangles are read); for a
    complex input e keeps the complex dtype, as TF's."""
    return tuple(SELF_ADJOINT_EIG_V2(tensor, compute_v=True, name=name or "SelfAdjointEigV2"))


def self_adjoint_eigvals(tensor, name=None):
    """``tf.self_adjoint_eigvals`` / ``tf.linalg.eigvalsh``: the eigenvalues, ascending."""
    e, _ = SELF_ADJOINT_EIG_V2(tensor, compute_v=False, name=name or "SelfAdjointEigV2")
    return e
