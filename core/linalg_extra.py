"""The ``tf.linalg`` functions TensorFlow writes in Python (linalg_impl.py, math_ops.py,
nn_impl.py), composed here from minitf's ops the same way: ``logdet`` (via Cholesky),
``matvec``, ``normalize``, ``pinv`` and ``matrix_rank`` (via Svd), and ``lu_solve``,
``lu_reconstruct`` and ``lu_matrix_inverse`` (via MatrixTriangularSolve and gathers),
``tridiagonal_solve`` and ``tridiagonal_matmul`` (their three diagonal formats) and ``expm``
(Pade approximants with scaling and squaring)."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .composites import norm
from .functional_ops import map_fn
from .check_ops import assert_rank, assert_rank_at_least
from .graph import control_dependencies, convert_to_tensor, name_scope
from .ops import (array_ops, array_extra_ops, complex_ops, concat_split_ops, diag_ops, gather_ops,
                  logic_ops, math_ops, pad_ops, reduction_ops, transform_ops, unary_ops)
from .ops.decomposition_ops import svd
from .ops.linalg_ops import cholesky, matmul
from .ops.linalg_extra_ops import identity_like, matrix_triangular_solve
from .ops.logging_ops import assert_equal
from .ops.linalg_ops import _matrix_transpose as matrix_transpose
from .ops.tridiagonal_ops import TRIDIAGONAL_MAT_MUL, TRIDIAGONAL_SOLVE
from .tensor_shape import TensorShape

__all__ = ["logdet", "lu_matrix_inverse", "lu_reconstruct", "lu_solve", "matrix_rank",
           "matrix_exponential", "matvec", "normalize", "pinv", "tridiagonal_matmul",
           "tridiagonal_solve"]


def logdet(matrix, name=None):
    """log(det(matrix)) of Hermitian positive definite matrices: twice the sum of the logs of
    the Cholesky factor's diagonal."""
    with name_scope(name, "logdet", [matrix]):
        chol = cholesky(matrix)
        return 2.0 * reduction_ops.reduce_sum(
            unary_ops.log(complex_ops.real(diag_ops.matrix_diag_part(chol))), axis=[-1])


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False,
           name=None):
    """``a @ b`` for a (batch of) matrix and vector: a matmul with b as a one-column matrix."""
    with name_scope(name, "MatVec", [a, b]):
        output = matmul(a, transform_ops.expand_dims(b, axis=-1), transpose_a=transpose_a,
                        adjoint_a=adjoint_a, a_is_sparse=a_is_sparse, b_is_sparse=b_is_sparse)
        return transform_ops.squeeze(output, axis=-1)


def normalize(tensor, ord="euclidean", axis=None, name=None):  # noqa: A002 - TF's argument
    """(tensor / norm, norm), the norm kept with its reduced dimensions."""
    with name_scope(name, "normalize", [tensor]):
        tensor = convert_to_tensor(tensor)
        n = math_ops.cast(norm(tensor, ord, axis, keepdims=True), tensor.dtype)
        return tensor / n, n


def _validated(tensors, assertions):
    """The tensors, behind the run-time checks validate_args asked for (if any)."""
    if not assertions:
        return tensors
    with control_dependencies(assertions):
        return [array_ops.identity(t) for t in tensors]


def _check_matrix(a, validate_args):
    """TF's _maybe_validate_matrix: static checks, and the run-time ones with validate_args."""
    if not a.dtype.is_floating:
        raise TypeError(f"Input `a` must have `float`-like `dtype` (saw {a.dtype.name}).")
    if a.shape.rank is not None:
        if a.shape.rank < 2:
            raise ValueError(f"Input `a` must have at least 2 dimensions (saw: "
                             f"{a.shape.rank}).")
        return a
    checks = [assert_rank_at_least(a, 2, message="Input `a` must have at least 2 "
                                   "dimensions.")] if validate_args else []
    return _validated([a], checks)[0]


def matrix_rank(a, tol=None, validate_args=False, name=None):
    """The number of singular values above ``tol`` (default eps * max(M, N) * max(s))."""
    with name_scope(name or "matrix_rank"):
        a = _check_matrix(convert_to_tensor(a, preferred_dtype=_dt.float32, name="a"),
                          validate_args)
        s = svd(a, compute_uv=False)
        if tol is None:
            dims = a.shape.as_tuple()
            m = max(dims[-2:]) if dims is not None and None not in dims[-2:] else \
                reduction_ops.reduce_max(array_ops.shape(a)[-2:])
            eps = np.finfo(a.dtype.as_numpy_dtype).eps
            tol = eps * math_ops.cast(m, a.dtype) * \
                reduction_ops.reduce_max(s, axis=-1, keepdims=True)
        return reduction_ops.reduce_sum(math_ops.cast(s > tol, _dt.int32), axis=-1)


def pinv(a, rcond=None, validate_args=False, name=None):
    """The Moore-Penrose pseudo-inverse through the SVD, singular values at or below
    ``rcond * max(s)`` (default 10 * max(M, N) * eps) treated as zero."""
    with name_scope(name or "pinv"):
        a = _check_matrix(convert_to_tensor(a, name="a"), validate_args)
        dtype = a.dtype.as_numpy_dtype
        if rcond is None:
            dims = a.shape.as_tuple()
            if dims is not None and None not in dims[-2:]:
                rcond = 10.0 * float(max(dims[-2:])) * np.finfo(dtype).eps
            else:
                shape = array_ops.shape(a)
                rcond = 10.0 * math_ops.cast(math_ops.maximum(shape[-2], shape[-1]), a.dtype) \
                    * np.finfo(dtype).eps
        rcond = convert_to_tensor(rcond, dtype=a.dtype, name="rcond")
        s, u, v = svd(a, full_matrices=False, compute_uv=True)
        cutoff = rcond * reduction_ops.reduce_max(s, axis=-1)
        s = logic_ops.where_v2(s > transform_ops.expand_dims(cutoff, -1), s,
                               np.array(np.inf, dtype))
        a_pinv = matmul(v / transform_ops.expand_dims(s, -2), u, adjoint_b=True)
        dims = a.shape.as_tuple()
        if dims is not None:
            a_pinv.set_shape(dims[:-2] + (dims[-1], dims[-2]))
        return a_pinv


def _check_lu(lower_upper, perm, validate_args):
    """TF's lu_reconstruct_assertions: what the static shapes decide raises now; the rest,
    with validate_args, becomes run-time asserts (returned)."""
    checks = []
    lu_rank, perm_rank = lower_upper.shape.rank, perm.shape.rank
    message = "Input `lower_upper` must have at least 2 dimensions."
    if lu_rank is not None and lu_rank < 2:
        raise ValueError(message)
    if lu_rank is None and validate_args:
        checks.append(assert_rank_at_least(lower_upper, 2, message=message))
    message = "`rank(lower_upper)` must equal `rank(perm) + 1`"
    if lu_rank is not None and perm_rank is not None:
        if lu_rank != perm_rank + 1:
            raise ValueError(message)
    elif validate_args:
        checks.append(assert_rank(lower_upper, array_ops.rank(perm) + 1, message=message))
    dims = lower_upper.shape.as_tuple()
    message = "`lower_upper` must be square."
    if dims is not None and None not in dims[-2:]:
        if dims[-2] != dims[-1]:
            raise ValueError(message)
    elif validate_args:
        shape = array_ops.shape(lower_upper)
        checks.append(assert_equal(shape[-2], shape[-1], message=message))
    return checks


def _unit_lower(lower_upper):
    """L from a packed LU matrix: its strict lower triangle with ones on the diagonal."""
    return diag_ops.matrix_set_diag(
        diag_ops.matrix_band_part(lower_upper, -1, 0),
        array_ops.ones(array_ops.shape(lower_upper)[:-1], dtype=lower_upper.dtype))


def _lu_inputs(lower_upper, perm, validate_args, rhs=None):
    """The inputs as tensors, checked as TF's lu_* functions check them."""
    lower_upper = convert_to_tensor(lower_upper, preferred_dtype=_dt.float32,
                                    name="lower_upper")
    perm = convert_to_tensor(perm, preferred_dtype=_dt.int32, name="perm")
    checks = _check_lu(lower_upper, perm, validate_args)
    if rhs is None:
        return _validated([lower_upper, perm], checks)
    rhs = convert_to_tensor(rhs, preferred_dtype=lower_upper.dtype, name="rhs")
    message = "Input `rhs` must have at least 2 dimensions."
    if rhs.shape.rank is not None and rhs.shape.rank < 2:
        raise ValueError(message)
    if rhs.shape.rank is None and validate_args:
        checks.append(assert_rank_at_least(rhs, 2, message=message))
    lu_dims, rhs_dims = lower_upper.shape.as_tuple(), rhs.shape.as_tuple()
    message = "`lower_upper.shape[-1]` must equal `rhs.shape[-1]`."
    if lu_dims and rhs_dims and None not in (lu_dims[-1], rhs_dims[-2]):
        if lu_dims[-1] != rhs_dims[-2]:
            raise ValueError(message)
    elif validate_args:
        checks.append(assert_equal(array_ops.shape(lower_upper)[-1],
                                   array_ops.shape(rhs)[-2], message=message))
    return _validated([lower_upper, perm, rhs], checks)


def _permute_rows(rhs, perm):
    """rhs[..., perm, :] with perm's and rhs's batch dimensions broadcast (TF's gather_nd)."""
    if rhs.shape.rank == 2 and perm.shape.rank == 1:
        return gather_ops.gather(rhs, perm, axis=-2)
    rhs_shape = array_ops.shape(rhs)
    batch = array_extra_ops.broadcast_dynamic_shape(rhs_shape[:-2], array_ops.shape(perm)[:-1])
    d, m = rhs_shape[-2], rhs_shape[-1]
    full = concat_split_ops.concat([batch, concat_split_ops.stack([d, m])], axis=0)
    flat_rhs = array_ops.reshape(transform_ops.broadcast_to(rhs, full), [-1, d, m])
    flat_perm = array_ops.reshape(transform_ops.broadcast_to(perm, full[:-1]), [-1, d])
    size = reduction_ops.reduce_prod(batch)
    rows = transform_ops.broadcast_to(
        transform_ops.expand_dims(array_ops.range_(size), 1), concat_split_ops.stack([size, d]))
    index = concat_split_ops.stack([rows, flat_perm], axis=-1)
    return array_ops.reshape(gather_ops.gather_nd(flat_rhs, index), full)


def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None):
    """X with A X = rhs, given ``lu(A)``: two triangular solves of the permuted rhs."""
    with name_scope(name or "lu_solve"):
        lower_upper, perm, rhs = _lu_inputs(lower_upper, perm, validate_args, rhs)
        permuted = _permute_rows(rhs, perm)
        return matrix_triangular_solve(  # only lower_upper's upper triangle is read
            lower_upper, matrix_triangular_solve(_unit_lower(lower_upper), permuted),
            lower=False)


def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None):
    """The inverse of A from ``lu(A)``: lu_solve against the identity."""
    with name_scope(name or "lu_matrix_inverse"):
        lower_upper, perm = _lu_inputs(lower_upper, perm, validate_args)
        return lu_solve(lower_upper, perm, rhs=identity_like(lower_upper))


def lu_reconstruct(lower_upper, perm, validate_args=False, name=None):
    """A from ``lu(A)``: L @ U with the rows put back by the inverse permutation."""
    with name_scope(name or "lu_reconstruct"):
        lower_upper, perm = _lu_inputs(lower_upper, perm, validate_args)
        shape = array_ops.shape(lower_upper)
        x = matmul(_unit_lower(lower_upper), diag_ops.matrix_band_part(lower_upper, 0, -1))
        if lower_upper.shape.rank != 2:
            batch_size = reduction_ops.reduce_prod(shape[:-2])
            d = shape[-1]
            x = array_ops.reshape(x, concat_split_ops.stack([batch_size, d, d]))
            perm = array_ops.reshape(perm, concat_split_ops.stack([batch_size, d]))
            perm = map_fn(transform_ops.invert_permutation, perm)
            rows = transform_ops.broadcast_to(
                transform_ops.expand_dims(array_ops.range_(batch_size), 1),
                concat_split_ops.stack([batch_size, d]))
            x = gather_ops.gather_nd(x, concat_split_ops.stack([rows, perm], axis=-1))
            x = array_ops.reshape(x, shape)
        else:
            x = gather_ops.gather(x, transform_ops.invert_permutation(perm))
        x.set_shape(lower_upper.shape)
        return x


# -- tridiagonal systems --------------------------------------------------------------------------
def _compact(diagonals, diagonals_format):
    """The [..., 3, M] compact diagonals from any of TF's three formats."""
    if diagonals_format == "compact":
        return convert_to_tensor(diagonals, name="diagonals")
    if diagonals_format == "sequence":
        if not isinstance(diagonals, (tuple, list)) or len(diagonals) != 3:
            raise ValueError("Expected diagonals to be a sequence of length 3.")
        superdiag, maindiag, subdiag = (convert_to_tensor(d) for d in diagonals)
        if not subdiag.shape[:-1].is_compatible_with(maindiag.shape[:-1]) or \
                not superdiag.shape[:-1].is_compatible_with(maindiag.shape[:-1]):
            raise ValueError(f"Tensors representing the three diagonals must have the same "
                             f"shape,except for the last dimension, got {subdiag.shape}, "
                             f"{maindiag.shape}, {superdiag.shape}")
        m = maindiag.shape.as_tuple()[-1]

        def pad_if_necessary(t, what, last_dim_padding):  # a diagonal of length M - 1
            n = t.shape.as_tuple()[-1]
            if not n or n == m:
                return t
            if n == m - 1:
                return pad_ops.pad(t, [[0, 0]] * (t.shape.rank - 1) + [last_dim_padding])
            raise ValueError(f"Expected {what} to be have length {m} or {m - 1}, got {n}.")

        subdiag = pad_if_necessary(subdiag, "subdiagonal", [1, 0])
        superdiag = pad_if_necessary(superdiag, "superdiagonal", [0, 1])
        return concat_split_ops.stack((superdiag, maindiag, subdiag), axis=-2)
    if diagonals_format == "matrix":
        diagonals = convert_to_tensor(diagonals, name="diagonals")
        dims = diagonals.shape.as_tuple()
        if dims is not None and dims[-1] and dims[-2] and dims[-1] != dims[-2]:
            raise ValueError(f"Expected last two dimensions of diagonals to be same, got "
                             f"{dims[-2]} and {dims[-1]}")
        return diag_ops.matrix_diag_part(diagonals, k=(-1, 1), padding_value=0.0,
                                         align="LEFT_RIGHT")
    raise ValueError(f"Unrecognized diagonals_format: {diagonals_format}")


def tridiagonal_solve(diagonals, rhs, diagonals_format="compact", transpose_rhs=False,
                      conjugate_rhs=False, name=None, partial_pivoting=True,
                      perturb_singular=False):
    """X with T @ X = rhs for tridiagonal T; rhs [..., M, K], or [..., M] for one vector (or
    [..., K, M] with ``transpose_rhs``); ``conjugate_rhs`` conjugates a complex rhs."""
    if perturb_singular and not partial_pivoting:
        raise ValueError("partial_pivoting must be True if perturb_singular is.")
    diagonals = _compact(diagonals, diagonals_format)
    rhs = convert_to_tensor(rhs, dtype=diagonals.dtype, name="rhs")
    d_rank, r_rank = diagonals.shape.rank, rhs.shape.rank
    d_dims, r_dims = diagonals.shape.as_tuple(), rhs.shape.as_tuple()
    if d_rank:
        if d_rank < 2:
            raise ValueError(f"Expected diagonals to have rank at least 2, got {d_rank}")
        if r_rank and r_rank not in (d_rank, d_rank - 1):
            raise ValueError(f"Expected the rank of rhs to be {d_rank - 1} or {d_rank}, got "
                             f"{r_rank}")
        if r_rank and not diagonals.shape[:-2].is_compatible_with(rhs.shape[:d_rank - 2]):
            raise ValueError(f"Batch shapes {diagonals.shape[:-2]} and "
                             f"{rhs.shape[:d_rank - 2]} are incompatible")
        if d_dims[-2] and d_dims[-2] != 3:
            raise ValueError(f"Expected 3 diagonals got {d_dims[-2]}")
    vector = bool(r_rank and d_rank and r_rank == d_rank - 1)
    if conjugate_rhs:  # no op for a real rhs
        rhs = complex_ops.conj(rhs)
    if vector:
        rhs = transform_ops.expand_dims(rhs, -1)
    elif transpose_rhs:
        rhs = matrix_transpose(rhs)
    r_dims = rhs.shape.as_tuple()
    if d_dims and r_dims and d_dims[-1] and r_dims[-2] and d_dims[-1] != r_dims[-2]:
        raise ValueError(f"Expected number of left-hand sided and right-hand sides to be "
                         f"equal, got {d_dims[-1]} and {r_dims[-2]}")
    x = TRIDIAGONAL_SOLVE(diagonals, rhs, partial_pivoting=partial_pivoting,
                          perturb_singular=perturb_singular, name=name or "TridiagonalSolve")
    return transform_ops.squeeze(x, -1) if vector else x


def tridiagonal_matmul(diagonals, rhs, diagonals_format="compact", name=None):
    """T @ rhs for tridiagonal T given in any of TF's three diagonal formats."""
    if diagonals_format == "sequence":
        superdiag, maindiag, subdiag = diagonals
    elif diagonals_format in ("compact", "matrix"):
        diags = _compact(diagonals, diagonals_format)
        superdiag, maindiag, subdiag = diags[..., 0, :], diags[..., 1, :], diags[..., 2, :]
    else:
        raise ValueError(f"Unrecognized diagonals_format: {diagonals_format}")
    superdiag, maindiag, subdiag = (transform_ops.expand_dims(d, -2)
                                    for d in (superdiag, maindiag, subdiag))
    return TRIDIAGONAL_MAT_MUL(superdiag, maindiag, subdiag, rhs,
                               name=name or "TridiagonalMatMul")


# -- expm -----------------------------------------------------------------------------------------
# Pade coefficients b_0..b_{q-1} of the order-q approximants (Higham 2005), as TF's.
_PADE = {
    3: [120.0, 60.0, 12.0],
    5: [30240.0, 15120.0, 3360.0, 420.0, 30.0],
    7: [17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0],
    9: [17643225600.0, 8821612800.0, 2075673600.0, 302702400.0, 30270240.0, 2162160.0,
        110880.0, 3960.0, 90.0],
    13: [64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
         129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
         40840800.0, 960960.0, 16380.0, 182.0],
}


def _pade(matrix, order):
    """(U, V) of TF's _matrix_exp_pade<order>: exp(A) ~ (V - U)^-1 (V + U)."""
    b = _PADE[order]
    ident = identity_like(matrix)
    powers = [ident, matmul(matrix, matrix)]  # even powers A^0, A^2, A^4, A^6...
    while len(powers) < min(order // 2 + 1, 4):
        powers.append(matmul(powers[-1], powers[1]))
    if order == 13:
        m2, m4, m6 = powers[1:4]
        tmp_u = matmul(m6, m6 + b[11] * m4 + b[9] * m2) + b[7] * m6 + b[5] * m4 + \
            b[3] * m2 + b[1] * ident
        tmp_v = b[12] * m6 + b[10] * m4 + b[8] * m2
        v = matmul(m6, tmp_v) + b[6] * m6 + b[4] * m4 + b[2] * m2 + b[0] * ident
        return matmul(matrix, tmp_u), v
    if order == 9:
        powers.append(matmul(powers[3], powers[1]))
    top = order // 2  # highest even power in the sums: A^(order-1)
    tmp, v = powers[top], b[order - 1] * powers[top]
    for i in range(top - 1, -1, -1):  # TF's order: the highest powers first
        tmp, v = tmp + b[2 * i + 1] * powers[i], v + b[2 * i] * powers[i]
    return matmul(matrix, tmp), v


def matrix_exponential(input, name=None):  # noqa: A002 - TF's argument name
    """``tf.linalg.expm``: scaling and squaring with Pade approximants, the order chosen per
    matrix from its 1-norm (Higham 2005), as TF composes it."""
    from .control_flow import cond, while_loop
    from .ops.linalg_ops import matrix_solve

    with name_scope(name, "matrix_exponential", [input]):
        matrix = convert_to_tensor(input, name="input")
        dims = matrix.shape.as_tuple()
        if dims is not None and dims[-2:] == (0, 0):
            return matrix
        batch_shape = TensorShape(dims[:-2]) if dims is not None else None
        if batch_shape is None or not batch_shape.is_fully_defined():
            batch_shape = array_ops.shape(matrix)[:-2]
        matrix = array_ops.reshape(matrix, concat_split_ops.concat(
            ([-1], array_ops.shape(matrix)[-2:]), axis=0))
        l1_norm = transform_ops.expand_dims(transform_ops.expand_dims(reduction_ops.reduce_max(
            reduction_ops.reduce_sum(unary_ops.abs(matrix), axis=1), axis=-1), -1), -1)

        def const(x):
            return convert_to_tensor(x, dtype=l1_norm.dtype)

        def nest_where(vals, cases):
            if len(vals) == 1:
                return logic_ops.where_v2(logic_ops.less(l1_norm, const(vals[0])), *cases)
            return logic_ops.where_v2(logic_ops.less(l1_norm, const(vals[0])), cases[0],
                                      nest_where(vals[1:], cases[1:]))

        # complex matrices take the branch of their real part's precision, as TF's does
        if matrix.dtype in (_dt.float16, _dt.float32, _dt.complex64):
            maxnorm, orders = 3.925724783138660, (3, 5, 7)
            conds = (4.258730016922831e-001, 1.880152677804762e+000)
        elif matrix.dtype in (_dt.float64, _dt.complex128):
            maxnorm, orders = 5.371920351148152, (3, 5, 7, 9, 13)
            conds = (1.495585217958292e-002, 2.539398330063230e-001, 9.504178996162932e-001,
                     2.097847961257068e+000)
        else:
            raise ValueError(f"tf.linalg.expm does not support matrices of type "
                             f"{matrix.dtype}")
        squarings = math_ops.maximum(unary_ops.floor(
            unary_ops.log(l1_norm / const(maxnorm)) / unary_ops.log(const(2.0))), 0)
        scaled = matrix / math_ops.cast(math_ops.pow(const(2.0), squarings), matrix.dtype)
        pades = [_pade(matrix if q != orders[-1] else scaled, q) for q in orders]
        u = nest_where(conds, [p[0] for p in pades])
        v = nest_where(conds, [p[1] for p in pades])
        is_finite = logic_ops.is_finite(reduction_ops.reduce_max(l1_norm))
        nan = convert_to_tensor(np.nan, dtype=matrix.dtype)
        result = cond(is_finite, lambda: matrix_solve(-u + v, u + v),
                      lambda: array_ops.fill(array_ops.shape(matrix), nan))
        max_squarings = reduction_ops.reduce_max(squarings)

        def keep_going(i, _):
            return cond(is_finite, lambda: logic_ops.less(i, max_squarings),
                        lambda: convert_to_tensor(False))

        def square(i, r):
            return i + 1, logic_ops.where_v2(logic_ops.less(i, squarings), matmul(r, r), r)

        _, result = while_loop(keep_going, square, [const(0.0), result])
        # a static target only when every dim is known (TF: the reshaped input's shape fully
        # defined); a None in the matrix dims would otherwise reach Reshape as a shape value
        if isinstance(batch_shape, TensorShape) and all(d is not None for d in dims[-2:]):
            return array_ops.reshape(result, batch_shape.as_tuple() + dims[-2:])
        if isinstance(batch_shape, TensorShape):
            batch_shape = np.asarray(batch_shape.as_tuple(), np.int32)
        return array_ops.reshape(result, concat_split_ops.concat(
            (batch_shape, array_ops.shape(result)[-2:]), axis=0))
