"""The weighted-ALS ops of ``tf.contrib.factorization``'s WALSModel (TF 1.15's contrib kernels
wals_solver_ops.cc and masked_matmul_ops.cc): WALSComputePartialLhsAndRhs and MaskedMatmul.
TensorFlow 2 dropped both with contrib.

WALSComputePartialLhsAndRhs builds, for each input row r of a block of a sparse matrix, the
observed part of the normal equations of its factor: ``lhs[r] = sum_j w_rj f_j f_j^T`` and
``rhs[r] = sum_j a_rj (w0 + w_rj) f_j`` over the row's entries (r, j) with value a_rj, where
w_rj is the entry's weight (``entry_weights``) or ``input_weights[r] * factor_weights[j]``.
``input_is_transpose`` reads each index pair as (j, r). MaskedMatmul is ``(a @ b)[i, j]`` at
the given (i, j) only. Where TF's kernels CHECK-fail (a negative weight, an index out of
range) these raise InvalidArgumentError. TF registers no gradient for either.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, shape_error

__all__ = ["masked_matmul", "wals_compute_partial_lhs_and_rhs"]

_F = np.float32


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, None, message)


def _check_rank(value, rank: int, message: str):
    if np.ndim(value) != rank:
        raise _invalid(message)


def _static_rank(spec: TensorSpec, rank: int, message: str):
    if spec.shape.rank not in (None, rank):
        raise shape_error(message)


def _scalar_value(spec: TensorSpec):
    return None if spec.value is None else int(np.asarray(spec.value))


# -- WALSComputePartialLhsAndRhs -------------------------------------------------------------------

_WALS_RANKS = (
    ("factors", 2, "Input factors should be a matrix."),
    ("factor_weights", 1, "Input factor_weights should be a vector."),
    ("unobserved_weights", 0, "Input unobserved_weights should be a scalar."),
    ("input_weights", 1, "Input input_weights should be a vector."),
    ("input_indices", 2, "Input input_indices should be a matrix."),
    ("input_values", 1, "Input input_values should be a vector"),
    ("entry_weights", 1, "Input entry_weights should be a vector"),
    ("input_block_size", 0, "Input input_block_size should be a scalar."),
    ("input_is_transpose", 0, "Input input_is_transpose should be a scalar."),
)


def _wals_kernel(factors, factor_weights, unobserved_weights, input_weights, input_indices,
                 input_values, entry_weights, input_block_size, input_is_transpose):
    args = (factors, factor_weights, unobserved_weights, input_weights, input_indices,
            input_values, entry_weights, input_block_size, input_is_transpose)
    for value, (_, rank, message) in zip(args, _WALS_RANKS):
        _check_rank(value, rank, message)
    indices = np.asarray(input_indices, np.int64)
    if indices.shape[1] != 2:
        raise _invalid("Input input_indices should have shape (?, 2).")
    nnz = indices.shape[0]
    if np.shape(input_values)[0] != nnz:
        raise _invalid("Input input_values' length should match the first dimension of Input "
                       "input_indices ")
    factors = np.asarray(factors, _F)
    factor_weights = np.asarray(factor_weights, _F)
    input_weights = np.asarray(input_weights, _F)
    entry_weights = np.asarray(entry_weights, _F)
    rows_weighted = (input_weights.shape[0] > 0 and factor_weights.shape[0] == factors.shape[0]
                     and entry_weights.shape[0] == 0)
    entries_weighted = (input_weights.shape[0] == 0 and factor_weights.shape[0] == 0
                        and entry_weights.shape[0] == nnz)
    if not (rows_weighted or entries_weighted):
        raise _invalid("To specify the weights for observed entries, either (1) entry_weights "
                       "must be set or (2) input_weights and factor_weights must be set, but "
                       "not both.")
    block_size, k = int(input_block_size), factors.shape[1]
    if block_size < 0:
        raise _invalid(f"Input input_block_size must be >= 0, got {block_size}.")
    transpose = bool(input_is_transpose)
    rows, cols = (indices[:, 1], indices[:, 0]) if transpose else (indices[:, 0], indices[:, 1])
    for ids, bound, what in ((rows, block_size, "input_block_size"),
                             (cols, factors.shape[0], "the number of factors")):
        bad = np.flatnonzero((ids < 0) | (ids >= bound))
        if bad.size:
            raise _invalid(f"input_indices[{bad[0]}] = {indices[bad[0]].tolist()} is out of "
                           f"range: {ids[bad[0]]} not in [0, {bound}) ({what})")
    if entries_weighted:
        weights = entry_weights
    else:
        if np.any(rows >= input_weights.shape[0]):
            raise _invalid(f"input_weights has {input_weights.shape[0]} entries; the input "
                           f"indices reach row {int(rows.max())}")
        weights = input_weights[rows] * factor_weights[cols]
    negative = np.flatnonzero(weights < 0)
    if negative.size:
        raise _invalid(f"Weights must be >= 0: entry {negative[0]} has weight "
                       f"{weights[negative[0]]}")
    chosen = factors[cols]
    scaled = chosen * np.sqrt(weights)[:, None]  # TF's rank-k update of sqrt(w) f
    lhs = np.zeros((block_size, k, k), _F)
    rhs = np.zeros((block_size, k), _F)
    np.add.at(lhs, rows, scaled[:, :, None] * scaled[:, None, :])
    coef = np.asarray(input_values, _F) * (_F(unobserved_weights) + weights)
    np.add.at(rhs, rows, coef[:, None] * chosen)
    return lhs, rhs


def _wals_infer(factors, factor_weights, unobserved_weights, input_weights, input_indices,
                input_values, entry_weights, input_block_size, input_is_transpose):
    args = (factors, factor_weights, unobserved_weights, input_weights, input_indices,
            input_values, entry_weights, input_block_size, input_is_transpose)
    for spec, (_, rank, message) in zip(args, _WALS_RANKS):
        _static_rank(spec, rank, message)
    if input_indices.shape.rank == 2 and input_indices.shape[1].value not in (None, 2):
        raise shape_error("Input input_indices should have shape (?, 2).")
    k = factors.shape[1].value if factors.shape.rank == 2 else None
    block = _scalar_value(input_block_size)
    block = block if block is None or block >= 0 else None
    return [TensorSpec([block, k, k], _dt.float32), TensorSpec([block, k], _dt.float32)]


WALS_COMPUTE_PARTIAL_LHS_AND_RHS = register(OpDef(
    "WALSComputePartialLhsAndRhs",
    inputs=["factors:float32", "factor_weights:float32", "unobserved_weights:float32",
            "input_weights:float32", "input_indices:int64", "input_values:float32",
            "entry_weights:float32", "input_block_size:int64", "input_is_transpose:bool"],
    kernel=_wals_kernel, infer=_wals_infer,
    grad=NO_GRADIENT,  # TF registers none
    doc="(partial_lhs, partial_rhs): the observed terms of WALS's normal equations per row",
))


def wals_compute_partial_lhs_and_rhs(factors, factor_weights, unobserved_weights, input_weights,
                                     input_indices, input_values, entry_weights,
                                     input_block_size, input_is_transpose, name=None):
    """The WALSComputePartialLhsAndRhs op: ``[partial_lhs, partial_rhs]``."""
    return WALS_COMPUTE_PARTIAL_LHS_AND_RHS(
        factors, factor_weights, unobserved_weights, input_weights, input_indices,
        input_values, entry_weights, input_block_size, input_is_transpose, name=name)


# -- MaskedMatmul ----------------------------------------------------------------------------------


def _dims(x) -> str:
    return "[" + ",".join(str(d) for d in np.shape(x)) + "]"


def _masked_matmul_kernel(a, b, mask_indices, transpose_a, transpose_b):
    _check_rank(a, 2, "Input a should be a matrix.")
    _check_rank(b, 2, "Input b should be a matrix.")
    _check_rank(mask_indices, 2, "Input mask_indices should be a matrix.")
    _check_rank(transpose_a, 0, "Input transpose_a should be a scalar.")
    _check_rank(transpose_b, 0, "Input transpose_b should be a scalar.")
    left = np.asarray(a, _F).T if bool(transpose_a) else np.asarray(a, _F)
    right = np.asarray(b, _F).T if bool(transpose_b) else np.asarray(b, _F)
    if left.shape[1] != right.shape[0]:
        raise _invalid(f"Matrix shapes are incompatible: a has shape {_dims(a)}, while b has "
                       f"shape {_dims(b)}.")
    indices = np.asarray(mask_indices, np.int64)
    if indices.shape[1] != 2:
        raise _invalid("mask_indices should be a matrix of shape [nnz 2], where nnz is the "
                       "number of non-zero elements.")
    for col, bound, what in ((0, left.shape[0], "row"), (1, right.shape[1], "column")):
        bad = np.flatnonzero((indices[:, col] < 0) | (indices[:, col] >= bound))
        if bad.size:
            i = bad[0]
            raise _invalid(f"In mask_indices[{i}, :], the {what} index {indices[i, col]} is "
                           f"out of bounds [0, {bound}).")
    return np.einsum("ij,ij->i", left[indices[:, 0]], right.T[indices[:, 1]], dtype=_F)


def _masked_matmul_infer(a, b, mask_indices, transpose_a, transpose_b):
    _static_rank(a, 2, "Input a should be a matrix.")
    _static_rank(b, 2, "Input b should be a matrix.")
    _static_rank(mask_indices, 2, "Input mask_indices should be a matrix.")
    _static_rank(transpose_a, 0, "Input transpose_a should be a scalar.")
    _static_rank(transpose_b, 0, "Input transpose_b should be a scalar.")
    nnz = mask_indices.shape[0].value if mask_indices.shape.rank == 2 else None
    return [TensorSpec([nnz], _dt.float32)]


MASKED_MATMUL = register(OpDef(
    "MaskedMatmul",
    inputs=["a:float32", "b:float32", "mask_indices:int64", "transpose_a:bool",
            "transpose_b:bool"],
    kernel=_masked_matmul_kernel, infer=_masked_matmul_infer,
    grad=NO_GRADIENT,  # TF registers none
    doc="the entries of a @ b (either transposed) at mask_indices",
))


def masked_matmul(a, b, mask_indices, transpose_a, transpose_b, name=None):
    """The MaskedMatmul op: ``prod_values[i] = (a @ b)[mask_indices[i, 0], mask_indices[i, 1]]``
    (with ``a``/``b`` transposed when ``transpose_a``/``transpose_b``)."""
    return MASKED_MATMUL(a, b, mask_indices, transpose_a, transpose_b, name=name)
