"""More batched matrix ops, as TensorFlow declares them: MatrixTriangularSolve, MatrixSolveLs,
LogMatrixDeterminant, Cross, MatrixSquareRoot and Lu, with TF's gradients (linalg_grad.py,
math_grad.py; Lu has none); then the root wrappers ``tf.matrix_triangular_solve``,
``tf.matrix_solve_ls``, ``tf.cholesky_solve``, ``tf.cross`` and ``tf.matrix_square_root``.
TridiagonalSolve and TridiagonalMatMul are in tridiagonal_ops.py, imported here.

Real dtypes only (TF also has complex kernels; minitf has no complex dtype). Half precision,
which the dtype lists admit but TF's CPU kernels mostly lack, is computed in float32."""

from __future__ import annotations

import collections

import numpy as np

from .. import dtypes as _dt
from ..errors import FailedPreconditionError, InvalidArgumentError
from ..graph import convert_to_tensor
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape, broadcast_shapes
from . import array_ops, concat_split_ops, diag_ops
from . import tridiagonal_ops  # noqa: F401 - registers TridiagonalSolve, TridiagonalMatMul
from ._math_util import _check_dtype, _dims, _scope, _silence_float_warnings
from .linalg_ops import (_SQUARE_TYPES, _check_square, _matrix_transpose, _square_infer, cholesky,
                         matmul, matrix_inverse, matrix_solve)

__all__ = ["cholesky_solve", "cross", "matrix_solve_ls", "matrix_square_root",
           "matrix_triangular_solve"]

_silence_float_warnings(__name__)

_TRIANGULAR_TYPES = ("bfloat16",) + _SQUARE_TYPES  # TF's order: bfloat16, float64, float32...


def _work(x):
    """The array a kernel computes with: half precision in float32."""
    x = np.asarray(x)
    return x.astype(np.float32) if x.dtype == np.float16 else x


def _rank_at_least_2(*specs):
    for s in specs:
        if s.shape.rank is not None and s.shape.rank < 2:
            raise shape_error(f"Shape must be at least rank 2 but is rank {s.shape.rank}")


def _equal_dims(a, b):
    if a is not None and b is not None and a != b:
        raise shape_error(f"Dimensions must be equal, but are {a} and {b}")
    return a if a is not None else b


def identity_like(x):
    """Identity matrices shaped like the square matrices x (tf.eye takes no shape tensor
    as batch_shape in minitf)."""
    return diag_ops.matrix_diag(array_ops.ones_like(diag_ops.matrix_diag_part(x)))


# -- MatrixTriangularSolve ------------------------------------------------------------------------
def _triangular_infer(matrix, rhs, *, lower, adjoint):
    _check_dtype(matrix, _TRIANGULAR_TYPES, "matrix")
    _rank_at_least_2(matrix, rhs)
    md, rd = matrix.shape.as_tuple(), rhs.shape.as_tuple()
    if md is None or rd is None:
        return [TensorSpec(None, rhs.dtype)]
    m = _equal_dims(md[-2], md[-1])
    rows = _equal_dims(m, rd[-2])
    try:  # batch dimensions broadcast (TF >= 2.2)
        batch = broadcast_shapes(TensorShape(md[:-2]), TensorShape(rd[:-2]))
    except ValueError as e:
        raise shape_error(str(e)) from None
    return [TensorSpec(batch.as_tuple() + (rows, rd[-1]), rhs.dtype)]


def _substitute(a, b, lower):
    """X with a @ X = b for triangular a (the other triangle zero). A zero on the diagonal
    gives inf/nan, as TF's kernel (it does not check)."""
    x = np.zeros(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:], b.dtype)
    n = a.shape[-1]
    for i in (range(n) if lower else range(n - 1, -1, -1)):
        rest = b[..., i, :] - np.einsum("...j,...jk->...k", a[..., i, :], x)
        x[..., i, :] = rest / a[..., i, i, None]
    return x


def _triangular_kernel(matrix, rhs, *, lower, adjoint):
    a, b = _work(matrix), _work(rhs)
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != a.shape[-2] or a.shape[-1] != b.shape[-2]:
        raise InvalidArgumentError(None, None, f"Incompatible matrix and right-hand side: "
                                   f"{_dims(a)} vs. {_dims(b)}; the matrix must be square "
                                   "with as many rows as the right-hand side")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise InvalidArgumentError(None, None, f"Incompatible batch shapes: {_dims(a)} vs. "
                                   f"{_dims(b)}") from None
    a = np.tril(a) if lower else np.triu(a)  # the other triangle is not read
    if adjoint:
        a, lower = np.conj(np.swapaxes(a, -1, -2)), not lower
    return _substitute(a, b, lower).astype(np.asarray(rhs).dtype, copy=False)


def _unbroadcast_batch(grad_a, grad_b, a, b):
    from .math_ops import sum_to_operand

    if a.shape.is_fully_defined() and b.shape.is_fully_defined() and \
            a.shape.as_tuple()[:-2] == b.shape.as_tuple()[:-2]:
        return [grad_a, grad_b]
    return [sum_to_operand(grad_a, a, grad_a), sum_to_operand(grad_b, b, grad_b)]


def _triangular_grad(op, dy):
    a, b = op.inputs
    adj, low = op._get_attr("adjoint"), op._get_attr("lower")
    c = op.outputs[0]
    grad_b = matrix_triangular_solve(a, dy, lower=low, adjoint=not adj)
    grad_a = -matmul(c, grad_b, adjoint_b=True) if adj else -matmul(grad_b, c, adjoint_b=True)
    grad_a = diag_ops.matrix_band_part(grad_a, -1, 0) if low else \
        diag_ops.matrix_band_part(grad_a, 0, -1)
    return _unbroadcast_batch(grad_a, grad_b, a, b)


MATRIX_TRIANGULAR_SOLVE = register(OpDef(
    "MatrixTriangularSolve", inputs=["matrix:T", "rhs:T"],
    attrs={"lower": True, "adjoint": False},
    kernel=_triangular_kernel, infer=_triangular_infer, grad=_triangular_grad,
    doc="X with matrix @ X = rhs for triangular matrices (batch dims broadcast)",
))


# -- MatrixSolveLs --------------------------------------------------------------------------------
_LS_TYPES = ("float64", "float32", "float16", "complex64", "complex128")


def _ls_infer(matrix, rhs, l2_regularizer, *, fast):
    _check_dtype(matrix, _LS_TYPES, "matrix")
    if l2_regularizer.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {l2_regularizer.shape.rank}")
    _rank_at_least_2(matrix, rhs)
    md, rd = matrix.shape.as_tuple(), rhs.shape.as_tuple()
    if md is None or rd is None:
        return [TensorSpec(None, rhs.dtype)]
    if len(md) != len(rd):
        raise shape_error(f"Shape must be rank {len(md)} but is rank {len(rd)}")
    batch = TensorShape(md[:-2])
    if not batch.is_compatible_with(TensorShape(rd[:-2])):  # no broadcasting here
        raise shape_error(f"Batch dimensions must be equal, but are {batch} and "
                          f"{TensorShape(rd[:-2])}")
    _equal_dims(md[-2], rd[-2])
    return [TensorSpec(batch.merge_with(TensorShape(rd[:-2])).as_tuple() + (md[-1], rd[-1]),
                       rhs.dtype)]


def _ls_fast(a, b, lam):
    """The normal equations, as TF's fast path (Cholesky of the regularised Gramian)."""
    at = np.conj(np.swapaxes(a, -1, -2))
    over = a.shape[-2] >= a.shape[-1]
    gram = at @ a if over else a @ at
    gram = gram + lam * np.eye(gram.shape[-1], dtype=a.dtype)
    try:
        low = np.linalg.cholesky(gram)
    except np.linalg.LinAlgError:
        raise InvalidArgumentError(None, None, "Input matrix was rank deficient or "
                                   "ill-conditioned. Try setting fast=False or provide a "
                                   "larger l2_regularizer > 0.") from None
    return _cholesky_solve_np(low, at @ b) if over else at @ _cholesky_solve_np(low, b)


def _cholesky_solve_np(low, r):
    """(L L^H)^-1 r by forward then back substitution."""
    return _substitute(np.conj(np.swapaxes(low, -1, -2)), _substitute(low, r, True), False)


def _ls_kernel(matrix, rhs, l2_regularizer, *, fast):
    a, b = _work(matrix), _work(rhs)
    if np.ndim(l2_regularizer) != 0:
        raise InvalidArgumentError(None, None, f"l2_regularizer must be a scalar, got shape "
                                   f"{_dims(l2_regularizer)}")
    if a.ndim < 2 or a.shape[:-2] != b.shape[:-2] or a.shape[-2] != b.shape[-2]:
        raise InvalidArgumentError(None, None, f"Input matrix and right-hand side must have "
                                   f"the same number of rows and batch dimensions: "
                                   f"{_dims(a)} vs. {_dims(b)}")
    if 0 in a.shape[-2:]:
        return np.zeros(a.shape[:-2] + (a.shape[-1], b.shape[-1]), np.asarray(rhs).dtype)
    if fast:
        out = _ls_fast(a, b, float(l2_regularizer))
    else:  # the minimum-norm solution, rank-deficient or not (TF: complete orthogonal decomp.)
        rcond = np.finfo(a.dtype).eps * max(a.shape[-2:])
        wide = np.complex128 if a.dtype.kind == "c" else np.float64
        out = np.linalg.pinv(a.astype(wide), rcond=rcond) @ b
    return out.astype(np.asarray(rhs).dtype)


def _gramian_cholesky(matrix, l2_regularizer, first_kind):
    """TF's _RegularizedGramianCholesky: chol(A^T A + l2 I) or chol(A A^T + l2 I)."""
    gramian = matmul(matrix, matrix, adjoint_a=first_kind, adjoint_b=not first_kind)
    if hasattr(l2_regularizer, "op") or l2_regularizer != 0:
        gramian = gramian + l2_regularizer * identity_like(gramian)
    return cholesky(gramian)


def _ls_overdetermined(a, b, x, l2, dy):
    z = cholesky_solve(_gramian_cholesky(a, l2, True), dy)
    xzt = matmul(x, z, adjoint_b=True)
    zx_sym = xzt + _matrix_transpose(xzt)  # TF's rule: a plain transpose here
    return [-matmul(a, zx_sym) + matmul(b, z, adjoint_b=True), matmul(a, z), None]


def _ls_underdetermined(a, b, l2, dy):
    chol = _gramian_cholesky(a, l2, False)
    grad_b = cholesky_solve(chol, matmul(a, dy))
    tmp = cholesky_solve(chol, b)
    a1 = -matmul(grad_b, matmul(tmp, a, adjoint_a=True))
    a2 = matmul(tmp, dy - matmul(a, grad_b, adjoint_a=True), adjoint_b=True)
    return [a1 + a2, grad_b, None]


def _ls_grad(op, dy):
    from ..control_flow import cond
    from .math_ops import cast

    if not op._get_attr("fast"):
        raise ValueError("Gradient not defined for fast=False")
    a, b, l2 = op.inputs
    l2 = cast(l2, a.dtype)

    def over():
        return _ls_overdetermined(a, b, op.outputs[0], l2, dy)[:2]

    def under():
        return _ls_underdetermined(a, b, l2, dy)[:2]

    dims = a.shape.as_tuple()
    if dims is not None and None not in dims[-2:]:
        return (over() if dims[-2] >= dims[-1] else under()) + [None]
    shape = array_ops.shape(a)
    return list(cond(shape[-2] >= shape[-1], over, under)) + [None]


MATRIX_SOLVE_LS = register(OpDef(
    "MatrixSolveLs", inputs=["matrix:T", "rhs:T", "l2_regularizer:float64"],
    attrs={"fast": True}, kernel=_ls_kernel, infer=_ls_infer, grad=_ls_grad,
    doc="Least-squares solutions X of matrix @ X = rhs, batched",
))


# -- LogMatrixDeterminant -------------------------------------------------------------------------
def _slogdet_kernel(input):  # noqa: A002 - TF's argument name
    x = _work(input)
    _check_square(x, "LogMatrixDeterminant")
    sign, logdet = np.linalg.slogdet(x)
    bad = np.isnan(x).any(axis=(-2, -1))
    sign, logdet = np.where(bad, np.nan, sign), np.where(bad, np.nan, logdet)
    t = np.asarray(input).dtype
    return [np.asarray(sign).astype(t), np.asarray(logdet).astype(t)]


def _slogdet_grad(op, _, grad_b):
    c = op.outputs[1]
    a_adj_inv = matrix_inverse(op.inputs[0], adjoint=True)
    shape = concat_split_ops.concat([array_ops.shape(c), [1, 1]], 0)
    return [array_ops.reshape(grad_b, shape) * a_adj_inv]


_SLOGDET_INFER = _square_infer("LogMatrixDeterminant", lambda d: d[:-2])
LOG_MATRIX_DETERMINANT = register(OpDef(
    "LogMatrixDeterminant", inputs=["input:T"],
    kernel=_slogdet_kernel, infer=lambda x: _SLOGDET_INFER(x) * 2, grad=_slogdet_grad,
    doc="sign and log(|det|) of batched square matrices",
))


# -- Cross ----------------------------------------------------------------------------------------
_CROSS_TYPES = ("float32", "float64", "int32", "uint8", "int16", "int8", "int64", "bfloat16",
                "uint16", "float16", "uint32", "uint64")


def _cross_infer(a, b):
    _check_dtype(a, _CROSS_TYPES, "a")
    if a.shape.rank is not None and b.shape.rank is not None and a.shape.rank != b.shape.rank:
        raise shape_error(f"Shapes must be equal rank, but are {a.shape.rank} and "
                          f"{b.shape.rank}")
    if not a.shape.is_compatible_with(b.shape):
        raise shape_error(f"Dimensions must be equal: {a.shape} vs. {b.shape}")
    shape = a.shape.merge_with(b.shape)
    if shape.rank == 0:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    last = None if shape.rank is None else shape.as_tuple()[-1]
    if last is not None and last != 3:
        raise shape_error(f"Dimension must be 3 but is {last}")
    return [TensorSpec(shape, a.dtype)]


def _cross_kernel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise InvalidArgumentError(None, None, f"Both inputs must be of same shape: "
                                   f"{_dims(a)} vs. {_dims(b)}")
    if a.ndim < 1:
        raise InvalidArgumentError(None, None, f"Input must be at least 1D{_dims(a)}")
    if a.shape[-1] != 3:  # TF's kernel: a FailedPrecondition, not an InvalidArgument
        raise FailedPreconditionError(None, None, "Cross-products are only defined for "
                                      "3-element vectors.")
    return np.cross(a, b).astype(a.dtype, copy=False)


CROSS = register(OpDef(
    "Cross", inputs=["a:T", "b:T"], kernel=_cross_kernel, infer=_cross_infer,
    grad=lambda op, dy: [cross(op.inputs[1], dy), cross(dy, op.inputs[0])],
    doc="Pairwise cross products of 3-vectors in the last dimension",
))


# -- MatrixSquareRoot -----------------------------------------------------------------------------
def _sqrtm_one(a):
    """The principal real square root of one matrix, or NaN where TF's (Eigen's real Schur)
    method finds none: a negative real eigenvalue, or a repeated zero one."""
    n = a.shape[-1]
    if n == 0:
        return a
    w, v = np.linalg.eig(a)
    if a.dtype.kind == "c" and np.linalg.cond(v) < 1e8:  # the principal root, complex-valued
        return v @ np.diag(np.sqrt(w)) @ np.linalg.inv(v)
    scale = max(np.abs(w).max(initial=0.0), 1.0)
    real = np.abs(w.imag) <= 1e-12 * scale
    zero = np.abs(w) <= 1e-12 * scale
    if (real & (w.real < 0) & ~zero).any() or zero.sum() > 1 or not np.isfinite(a).all():
        return np.full_like(a, np.nan)
    if np.linalg.cond(v) < 1e8:  # diagonalisable: V sqrt(D) V^-1
        return (v @ np.diag(np.sqrt(w.astype(complex))) @ np.linalg.inv(v)).real
    y, z = a, np.eye(n)  # defective (a Jordan block): Denman-Beavers iteration
    for _ in range(100):
        y, z = (y + np.linalg.inv(z)) / 2, (z + np.linalg.inv(y)) / 2
        if np.allclose(y @ y, a, rtol=1e-13, atol=1e-13 * scale):
            break
    return y


def _sqrtm_kernel(input):  # noqa: A002
    x = np.asarray(input)
    _check_square(x, "MatrixSquareRoot")
    wide = np.complex128 if x.dtype.kind == "c" else np.float64
    out = np.empty(x.shape, wide)
    for idx in np.ndindex(*x.shape[:-2]):
        out[idx] = _sqrtm_one(x[idx].astype(wide))
    return out.astype(x.dtype)


def _kronecker(b1, b2, batch, m):
    """Batched Kronecker products of [..., m, m] matrices, as TF's _KroneckerProduct."""
    b1 = array_ops.reshape(b1, concat_split_ops.concat([batch, [m, 1, m, 1]], 0))
    b2 = array_ops.reshape(b2, concat_split_ops.concat([batch, [1, m, 1, m]], 0))
    return array_ops.reshape(b1 * b2, concat_split_ops.concat([batch, [m * m, m * m]], 0))


def _sqrtm_grad(op, dy):
    """TF's rule: dA = R dR + dR R, a Sylvester equation solved for dR in Kronecker form."""
    sqrtm = op.outputs[0]
    shape = array_ops.shape(sqrtm)
    batch, m = shape[:-2], shape[-1]
    eye_batch = identity_like(sqrtm)
    # TF's rule transposes without conjugating, complex or not.
    ksum = _kronecker(eye_batch, _matrix_transpose(sqrtm), batch, m) + \
        _kronecker(sqrtm, eye_batch, batch, m)
    vec_da = array_ops.reshape(_matrix_transpose(dy),
                               concat_split_ops.concat([batch, [m * m, 1]], 0))
    return [_matrix_transpose(array_ops.reshape(matrix_solve(ksum, vec_da), shape))]


MATRIX_SQUARE_ROOT = register(OpDef(
    "MatrixSquareRoot", inputs=["input:T"], kernel=_sqrtm_kernel,
    infer=_square_infer("MatrixSquareRoot", lambda d: d), grad=_sqrtm_grad,
    doc="Principal square roots of batched square matrices",
))


# -- Lu -------------------------------------------------------------------------------------------
def _lu_kernel(input, *, output_idx_type):  # noqa: A002
    x = _work(input)
    _check_square(x, "Lu")
    n, idx = x.shape[-1], output_idx_type.as_numpy_dtype
    if n == 0:
        return [np.asarray(input).copy(), np.zeros(x.shape[:-1], idx)]
    lu = x.reshape((-1, n, n)).copy()
    perm = np.tile(np.arange(n), (lu.shape[0], 1))
    rows = np.arange(lu.shape[0])
    for k in range(n):  # Doolittle with partial pivoting (the first largest pivot, as Eigen)
        piv = k + np.argmax(np.abs(lu[:, k:, k]), axis=-1)
        lu[rows, k], lu[rows, piv] = lu[rows, piv], lu[rows, k].copy()
        perm[rows, k], perm[rows, piv] = perm[rows, piv], perm[rows, k].copy()
        if not np.all(lu[:, k, k] != 0):
            raise InvalidArgumentError(None, None, "Input is not invertible.")
        lu[:, k + 1:, k] /= lu[:, k, k, None]
        lu[:, k + 1:, k + 1:] -= lu[:, k + 1:, k, None] * lu[:, k, None, k + 1:]
    return [lu.reshape(x.shape).astype(np.asarray(input).dtype),
            perm.reshape(x.shape[:-1]).astype(idx)]


def _lu_infer(input, *, output_idx_type):  # noqa: A002
    _check_dtype(input, _LS_TYPES, "input")
    if output_idx_type.name not in ("int32", "int64"):
        raise TypeError(f"Value passed to parameter 'output_idx_type' has DataType "
                        f"{output_idx_type.name} not in list of allowed values: int32, int64")
    (lu,) = _square_infer("Lu", lambda d: d)(input)
    p = None if lu.shape.rank is None else lu.shape.as_tuple()[:-1]
    return [lu, TensorSpec(p, output_idx_type)]


LU = register(OpDef(
    "Lu", inputs=["input:T"], attrs={"output_idx_type": _dt.int32},
    kernel=_lu_kernel, infer=_lu_infer, grad=NO_GRADIENT,
    doc="LU factors (unit lower and upper in one matrix) and the row permutation p",
))


# == Public wrappers (TF1 names, signatures and default node names) ============================

def matrix_triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """``tf.matrix_triangular_solve`` / ``tf.linalg.triangular_solve``."""
    with _scope(name, "triangular_solve", (matrix, rhs)):
        return MATRIX_TRIANGULAR_SOLVE(matrix, rhs, lower=lower, adjoint=adjoint,
                                       name="MatrixTriangularSolve")


def cholesky_solve(chol, rhs, name=None):
    """``tf.cholesky_solve``: X with (chol chol^T) X = rhs, by two triangular solves."""
    with _scope(name, "cholesky_solve", (chol, rhs)):
        y = MATRIX_TRIANGULAR_SOLVE(chol, rhs, adjoint=False, lower=True,
                                    name="MatrixTriangularSolve")
        return MATRIX_TRIANGULAR_SOLVE(chol, y, adjoint=True, lower=True,
                                       name="MatrixTriangularSolve")


def _use_composite(fast, matrix):
    """TF's choice: the Cholesky composition unless fast=False, or the matrices outgrow a
    cache (256 kB) and the batch is larger than the smaller matrix side."""
    if not fast:
        return False
    dims = matrix.shape.as_tuple()
    if dims is None or None in dims:
        return True
    size = int(np.prod(dims)) * matrix.dtype.size
    return not (size > 256000 and int(np.prod(dims[:-2])) > min(dims[-2:]))


def matrix_solve_ls(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """``tf.matrix_solve_ls`` / ``tf.linalg.lstsq``: as TF, the regularised normal equations
    composed from Cholesky and triangular solves, or the MatrixSolveLs op (fast=False, or
    large batches of small matrices)."""
    from ..control_flow import cond

    matrix = convert_to_tensor(matrix, name="matrix")
    if not _use_composite(fast, matrix):
        return MATRIX_SOLVE_LS(matrix, rhs, l2_regularizer, fast=fast,
                               name=name or "MatrixSolveLs")
    with _scope(name, "matrix_solve_ls", (matrix, rhs, l2_regularizer)):
        rhs = convert_to_tensor(rhs, dtype=matrix.dtype, name="rhs")

        def over():  # (A^T A + l2 I)^-1 A^T rhs
            chol = _gramian_cholesky(matrix, l2_regularizer, True)
            return cholesky_solve(chol, matmul(matrix, rhs, adjoint_a=True))

        def under():  # A^T (A A^T + l2 I)^-1 rhs
            chol = _gramian_cholesky(matrix, l2_regularizer, False)
            return matmul(matrix, cholesky_solve(chol, rhs), adjoint_a=True)

        dims = matrix.shape.as_tuple()
        if dims is not None and None not in dims[-2:]:
            return over() if dims[-2] >= dims[-1] else under()
        shape = array_ops.shape(matrix)
        return cond(shape[-2] >= shape[-1], over, under)


def cross(a, b, name=None):
    """``tf.cross`` / ``tf.linalg.cross``: pairwise cross products of 3-vectors."""
    return CROSS(a, b, name=name or "Cross")


def matrix_square_root(input, name=None):  # noqa: A002
    """``tf.matrix_square_root`` / ``tf.linalg.sqrtm``."""
    return MATRIX_SQUARE_ROOT(input, name=name or "MatrixSquareRoot")


LogMatrixDeterminant = collections.namedtuple("LogMatrixDeterminant",
                                              ["sign", "log_abs_determinant"])
Lu = collections.namedtuple("Lu", ["lu", "p"])


def log_matrix_determinant(input, name=None):  # noqa: A002
    """``tf.linalg.slogdet``: (sign, log |det|) of square matrices."""
    return LogMatrixDeterminant(*LOG_MATRIX_DETERMINANT(input,
                                                        name=name or "LogMatrixDeterminant"))


def lu(input, output_idx_type=_dt.int32, name=None):  # noqa: A002
    """``tf.linalg.lu``: (lu, p) with ``input[..., p, :] = L @ U``, L unit lower triangular
    (below lu's diagonal) and U upper triangular (on and above it)."""
    return Lu(*LU(input, output_idx_type=output_idx_type, name=name or "Lu"))

