"""Tridiagonal systems, as TensorFlow declares them: TridiagonalSolve (diagonals in the compact
[..., 3, M] form: superdiagonal, main diagonal, subdiagonal; the superdiagonal's last and the
subdiagonal's first entries are not read) and TridiagonalMatMul (the three diagonals as
[..., 1, M] tensors), with TF's gradients (linalg_grad.py). linalg_extra_ops imports this
module; ``tf.linalg.tridiagonal_solve`` / ``tridiagonal_matmul`` are in linalg_extra.py.

The solvers follow TF's CPU kernel (tridiagonal_solve_op.cc): LAPACK's gtsv partial pivoting,
the Thomas algorithm without pivoting, and the xLAGTF/xLAGTS perturbation of tiny pivots with
``perturb_singular``. A singular system gives NaN (TF logs a warning), not an error."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from . import array_ops, concat_split_ops, pad_ops, reduction_ops, transform_ops
from ._math_util import _check_dtype, _dims, _silence_float_warnings
from .complex_ops import conj
from .linalg_ops import _adjoint

__all__: list = []

_silence_float_warnings(__name__)

_TYPES = ("float64", "float32", "complex64", "complex128")


def _merge(a, b):
    """Two static shapes as one, with TF's message when they differ."""
    try:
        return a.merge_with(b)
    except ValueError:
        raise shape_error(f"Shapes {a} and {b} are not compatible") from None


# -- TridiagonalSolve -----------------------------------------------------------------------------
def _solve_infer(diagonals, rhs, *, partial_pivoting, perturb_singular):
    _check_dtype(diagonals, _TYPES, "diagonals")
    for s in (diagonals, rhs):
        if s.shape.rank is not None and s.shape.rank < 2:
            raise shape_error(f"Shape must be at least rank 2 but is rank {s.shape.rank}")
    return _product_spec(diagonals.shape, rhs, 3)


def _product_spec(diagonals: TensorShape, rhs, rows_of_diagonals: int) -> list:
    """The [..., M, K] result of diagonals [..., rows_of_diagonals, M] with rhs [..., M, K]."""
    dd, rd = diagonals.as_tuple(), rhs.shape.as_tuple()
    if dd is not None and dd[-2] is not None and dd[-2] != rows_of_diagonals:
        raise shape_error(f"Dimension must be {rows_of_diagonals} but is {dd[-2]}")
    if dd is None or rd is None:
        return [TensorSpec(rhs.shape, rhs.dtype)]
    if len(dd) != len(rd):
        raise shape_error(f"Shape must be rank {len(dd)} but is rank {len(rd)}")
    batch = _merge(TensorShape(dd[:-2]), TensorShape(rd[:-2]))
    if None not in (dd[-1], rd[-2]) and dd[-1] != rd[-2]:
        raise shape_error(f"Dimensions must be equal, but are {dd[-1]} and {rd[-2]}")
    rows = rd[-2] if rd[-2] is not None else dd[-1]
    return [TensorSpec(batch.as_tuple() + (rows, rd[-1]), rhs.dtype)]


def _gtsv(sup, dia, sub, rhs):
    """LAPACK gtsv's partial pivoting over a batch: (B, n) diagonals, (B, n, k) rhs. Each
    step computes both branches (keep the row, or swap it with the next) and picks per
    system. Returns x and which systems were singular."""
    n = dia.shape[1]
    u0, u1, u2 = dia.copy(), np.zeros_like(dia), np.zeros_like(dia)
    u1[:, 0] = sup[:, 0]
    x = rhs.copy()
    bad = np.zeros(dia.shape[0], bool)
    for i in range(n - 1):
        keep = np.abs(u0[:, i]) >= np.abs(sub[:, i + 1])
        bad |= keep & (u0[:, i] == 0)
        f_keep = sub[:, i + 1] / np.where(keep, u0[:, i], 1)
        f_swap = u0[:, i] / np.where(keep, 1, sub[:, i + 1])
        xi, xn = x[:, i].copy(), x[:, i + 1].copy()
        u0_next = np.where(keep, dia[:, i + 1] - f_keep * u1[:, i],
                           u1[:, i] - f_swap * dia[:, i + 1])
        x[:, i + 1] = np.where(keep[:, None], xn - f_keep[:, None] * xi,
                               xi - f_swap[:, None] * xn)
        x[:, i] = np.where(keep[:, None], xi, xn)
        u0[:, i] = np.where(keep, u0[:, i], sub[:, i + 1])
        u1[:, i] = np.where(keep, u1[:, i], dia[:, i + 1])
        u0[:, i + 1] = u0_next
        if i != n - 2:
            u1[:, i + 1] = np.where(keep, sup[:, i + 1], -f_swap * sup[:, i + 1])
            u2[:, i] = np.where(keep, 0, sup[:, i + 1])
    bad |= u0[:, n - 1] == 0
    x[:, n - 1] /= u0[:, n - 1, None]
    for i in range(n - 2, -1, -1):
        rest = x[:, i] - u1[:, i, None] * x[:, i + 1]
        if i + 2 < n:
            rest = rest - u2[:, i, None] * x[:, i + 2]
        x[:, i] = rest / u0[:, i, None]
    return x, bad


def _thomas(sup, dia, sub, rhs):
    """The Thomas algorithm (no pivoting) over a batch; a zero pivot marks the system bad."""
    n = dia.shape[1]
    u, x = np.zeros_like(dia), rhs.copy()
    bad = dia[:, 0] == 0
    denom = dia[:, 0]
    for i in range(n):
        if i:
            denom = dia[:, i] - sub[:, i] * u[:, i - 1]
            bad |= denom == 0
            x[:, i] = x[:, i] - sub[:, i, None] * x[:, i - 1]
        u[:, i] = sup[:, i] / denom
        x[:, i] = x[:, i] / denom[:, None]
    for i in range(n - 2, -1, -1):
        x[:, i] -= u[:, i, None] * x[:, i + 1]
    return x, bad


def _perturb_pivot(perturb, pivot, row):
    """xLAGTS' guard (TF's MaybePerturbPivot): nudges a tiny pivot so that row / pivot does
    not overflow."""
    info = np.finfo(row.dtype)
    small = 1 / info.max
    safemin = info.tiny if small < info.tiny else small * (1 + info.eps)
    bignum = 1 / safemin
    abs_pivot = abs(pivot)
    if abs_pivot >= 1:
        return pivot, row
    perturb = np.copysign(max(abs(perturb), safemin), np.real(pivot))  # TF: real(pivot)'s sign
    max_factor = np.abs(row).max(initial=0)
    while abs_pivot < 1:
        if abs_pivot < safemin and not (abs_pivot == 0 or max_factor * safemin > abs_pivot):
            return pivot * bignum, row * bignum
        if abs_pivot < safemin or max_factor > abs_pivot * bignum:
            pivot, perturb = pivot + perturb, perturb * 2
        else:
            break
        abs_pivot = abs(pivot)
    return pivot, row


def _gtsv_perturbed(sup, dia, sub, rhs):
    """One system with pivoting and tiny pivots perturbed (TF's xLAGTF + xLAGTS port)."""
    n, eps = dia.shape[0], np.finfo(rhs.dtype).eps
    x = rhs.copy()
    if n == 1:
        d, row = _perturb_pivot(eps * abs(dia[0]), dia[0], x[0])
        return row * (1 / d)
    u = np.zeros((n, 3), rhs.dtype)
    u[0, 0], u[0, 1] = dia[0], sup[0]
    max_u = max(abs(u[0, 0]), abs(u[0, 1]))
    scale1 = abs(u[0, 0]) + abs(u[0, 1])
    for k in range(n - 1):
        u[k + 1, 0] = dia[k + 1]
        scale2 = abs(sub[k + 1]) + abs(u[k + 1, 0]) + (abs(sup[k + 1]) if k < n - 2 else 0)
        piv1 = 0 if u[k, 0] == 0 else abs(u[k, 0]) / scale1
        if sub[k + 1] == 0 or abs(sub[k + 1]) / scale2 <= piv1:
            factor = 0 if sub[k + 1] == 0 else sub[k + 1] / u[k, 0]
            scale1 = scale2
            u[k + 1, 0] = dia[k + 1] - factor * u[k, 1]
            u[k + 1, 1], u[k, 2] = sup[k + 1], 0
            x[k + 1] = rhs[k + 1] - factor * x[k]
        else:
            factor = u[k, 0] / sub[k + 1]
            u[k, 0], u[k + 1, 0] = sub[k + 1], u[k, 1] - factor * dia[k + 1]
            u[k, 1] = dia[k + 1]
            if k < n - 2:
                u[k, 2], u[k + 1, 1] = sup[k + 1], -factor * sup[k + 1]
            x[k + 1], x[k] = x[k] - factor * rhs[k + 1], rhs[k + 1].copy()
        if k < n - 2:
            max_u = max(max_u, np.abs(u[k]).max())
    tol = eps * max(max_u, abs(u[n - 1, 0]))
    for k in range(n - 1, -1, -1):
        row = x[k] - (u[k, 1] * x[k + 1] if k < n - 1 else 0) - \
            (u[k, 2] * x[k + 2] if k < n - 2 else 0)
        d, row = _perturb_pivot(tol, u[k, 0], row)
        x[k] = row * (1 / d)
    return x


def _solve_kernel(diagonals, rhs, *, partial_pivoting, perturb_singular):
    d, b = np.asarray(diagonals), np.asarray(rhs)
    if perturb_singular and not partial_pivoting:
        raise InvalidArgumentError(None, None, "Setting perturb_singular requires also "
                                   "setting partial_pivoting.")
    if d.ndim < 2 or d.shape[-2] != 3 or b.ndim != d.ndim or d.shape[:-2] != b.shape[:-2] \
            or d.shape[-1] != b.shape[-2]:
        raise InvalidArgumentError(None, None, f"Expected diagonals [..., 3, M] and rhs "
                                   f"[..., M, K] with the same batch dimensions, got "
                                   f"{_dims(d)} and {_dims(b)}")
    n = d.shape[-1]
    if n == 0 or b.shape[-1] == 0 or b.size == 0:
        return np.zeros(b.shape, b.dtype)
    flat = d.reshape((-1, 3, n))
    sup, dia, sub = flat[:, 0], flat[:, 1], flat[:, 2]
    rows = b.reshape((-1,) + b.shape[-2:])
    if perturb_singular:
        x = np.stack([_gtsv_perturbed(sup[i], dia[i], sub[i], rows[i])
                      for i in range(rows.shape[0])])
    else:
        x, bad = (_gtsv if partial_pivoting else _thomas)(sup, dia, sub, rows)
        x[bad] = np.nan
    return x.reshape(b.shape).astype(b.dtype, copy=False)


def _shift(x, left):
    """x's next-to-last dimension shifted one place (left: x[i+1]; else x[i-1]), zero filled
    (TF's _LeftShift / _RightShift)."""
    zeros = array_ops.zeros(concat_split_ops.stack([array_ops.rank(x) - 2, 2]),
                            dtype="int32")
    pad = concat_split_ops.concat([zeros, [[0, 1] if left else [1, 0], [0, 0]]], axis=0)
    return pad_ops.pad(x[..., 1:, :] if left else x[..., :-1, :], pad)


def _transpose_tridiagonal(diags):
    """The compact diagonals of the transposed matrix (TF's _TransposeTridiagonalMatrix)."""
    zeros = array_ops.zeros(concat_split_ops.stack([array_ops.rank(diags) - 2, 2]),
                            dtype="int32")
    superdiag = pad_ops.pad(diags[..., 2, 1:], concat_split_ops.concat([zeros, [[0, 1]]], 0))
    subdiag = pad_ops.pad(diags[..., 0, :-1], concat_split_ops.concat([zeros, [[1, 0]]], 0))
    return concat_split_ops.stack([superdiag, diags[..., 1, :], subdiag], axis=-2)


def _three_diagonals_of_product(x, y_tr):
    """The compact diagonals of x @ y_tr^T, without the product (TF's
    _MatmulExtractingThreeDiagonals)."""
    diag = reduction_ops.reduce_sum(x * y_tr, axis=-1)
    superdiag = reduction_ops.reduce_sum(x * _shift(y_tr, left=True), axis=-1)
    subdiag = reduction_ops.reduce_sum(x * _shift(y_tr, left=False), axis=-1)
    return concat_split_ops.stack([superdiag, diag, subdiag], axis=-2)


def _solve_grad(op, dy):
    x = op.outputs[0]
    grad_rhs = TRIDIAGONAL_SOLVE(_transpose_tridiagonal(op.inputs[0]), dy,
                                 partial_pivoting=op._get_attr("partial_pivoting"),
                                 perturb_singular=op._get_attr("perturb_singular"))
    return [-_three_diagonals_of_product(grad_rhs, x), grad_rhs]


TRIDIAGONAL_SOLVE = register(OpDef(
    "TridiagonalSolve", inputs=["diagonals:T", "rhs:T"],
    attrs={"partial_pivoting": True, "perturb_singular": False},
    kernel=_solve_kernel, infer=_solve_infer, grad=_solve_grad,
    doc="X with T @ X = rhs, T tridiagonal given by its compact [..., 3, M] diagonals",
))


# -- TridiagonalMatMul ----------------------------------------------------------------------------
def _matmul_infer(superdiag, maindiag, subdiag, rhs):
    _check_dtype(superdiag, _TYPES, "superdiag")
    for s in (superdiag, maindiag, subdiag, rhs):
        if s.shape.rank is not None and s.shape.rank < 2:
            raise shape_error(f"Shape must be at least rank 2 but is rank {s.shape.rank}")
    diag = _merge(_merge(superdiag.shape, maindiag.shape), subdiag.shape)
    return _product_spec(diag, rhs, 1)


def _matmul_kernel(superdiag, maindiag, subdiag, rhs):
    sup, dia, sub, b = (np.asarray(t) for t in (superdiag, maindiag, subdiag, rhs))
    if not (sup.shape == dia.shape == sub.shape) or dia.ndim != b.ndim or \
            dia.shape[-2] != 1 or dia.shape[:-2] != b.shape[:-2] or dia.shape[-1] != b.shape[-2]:
        raise InvalidArgumentError(None, None, f"Expected diagonals [..., 1, M] and rhs "
                                   f"[..., M, N] with the same batch dimensions, got "
                                   f"{_dims(sup)}, {_dims(dia)}, {_dims(sub)} and {_dims(b)}")
    sup, dia, sub = (np.swapaxes(d, -1, -2) for d in (sup, dia, sub))  # [..., M, 1] columns
    out = dia * b
    out[..., :-1, :] += sup[..., :-1, :] * b[..., 1:, :]
    out[..., 1:, :] += sub[..., 1:, :] * b[..., :-1, :]
    return out


def _matmul_grad(op, dy):
    """TF's _TridiagonalMatMulGrad: the diagonals' gradients take conj(rhs), the rhs's the
    adjoint diagonals (conj is no op for a real tensor)."""
    sup, dia, sub, rhs = op.inputs
    rhs = conj(rhs)

    def summed(x):
        return transform_ops.expand_dims(reduction_ops.reduce_sum(x * dy, axis=-1), -2)

    rhs_grad = _shift(_adjoint(sup) * dy, left=False) + _adjoint(dia) * dy + \
        _shift(_adjoint(sub) * dy, left=True)
    return [summed(_shift(rhs, left=True)), summed(rhs), summed(_shift(rhs, left=False)),
            rhs_grad]


TRIDIAGONAL_MAT_MUL = register(OpDef(
    "TridiagonalMatMul", inputs=["superdiag:T", "maindiag:T", "subdiag:T", "rhs:T"],
    kernel=_matmul_kernel, infer=_matmul_infer, grad=_matmul_grad,
    doc="T @ rhs for tridiagonal T given by three [..., 1, M] diagonals",
))
