"""``LinearOperatorTridiag``: a [batch] square tridiagonal matrix in one of TF's three diagonal
formats, applied with tridiagonal_matmul and solved with tridiagonal_solve (O(N) per column),
as TF writes it.

Formats: ``compact`` ``[..., 3, N]`` (superdiagonal padded at the end, diagonal, subdiagonal
padded at the front), ``sequence`` (a list of those three ``[..., N]`` vectors) and ``matrix``
``[..., N, N]`` (only the three diagonals are read)."""

from __future__ import annotations

from . import linear_operator_util as lou
from .array_extra import broadcast_static_shape
from .graph import convert_to_tensor, name_scope
from .linalg_extra import tridiagonal_matmul, tridiagonal_solve
from .linear_operator_base import LinearOperator
from .ops import (array_ops, complex_ops, concat_split_ops, diag_ops, logging_ops, manip_ops,
                  transform_ops)
from .ops.array_extra_ops import broadcast_dynamic_shape

__all__ = ["LinearOperatorTridiag"]

_COMPACT, _MATRIX, _SEQUENCE = "compact", "matrix", "sequence"
_DIAGONAL_FORMATS = frozenset({_COMPACT, _MATRIX, _SEQUENCE})


class LinearOperatorTridiag(LinearOperator):
    """A tridiagonal operator given by ``diagonals`` in ``diagonals_format``."""

    def __init__(self, diagonals, diagonals_format=_COMPACT, is_non_singular=None,
                 is_self_adjoint=None, is_positive_definite=None, is_square=None,
                 name="LinearOperatorTridiag"):
        parameters = dict(diagonals=diagonals, diagonals_format=diagonals_format,
                          is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          name=name)
        values = list(diagonals) if diagonals_format == _SEQUENCE else [diagonals]
        with name_scope(name, values=values):
            if diagonals_format not in _DIAGONAL_FORMATS:
                raise ValueError(f"Argument `diagonals_format` must be one of compact, matrix, "
                                 f"or sequence. Received : {diagonals_format}.")
            if diagonals_format == _SEQUENCE:
                self._diagonals = [lou.convert_nonref_to_tensor(d, name=f"diag_{i}")
                                   for i, d in enumerate(diagonals)]
                dtype = self._diagonals[0].dtype
            else:
                self._diagonals = lou.convert_nonref_to_tensor(diagonals, name="diagonals")
                dtype = self._diagonals.dtype
            self._diagonals_format = diagonals_format
            super().__init__(dtype=dtype, is_non_singular=is_non_singular,
                             is_self_adjoint=is_self_adjoint,
                             is_positive_definite=is_positive_definite, is_square=is_square,
                             parameters=parameters, name=name)

    diagonals = property(lambda self: self._diagonals)
    diagonals_format = property(lambda self: self._diagonals_format)

    def _shape(self):
        if self.diagonals_format == _MATRIX:
            return self.diagonals.shape
        if self.diagonals_format == _COMPACT:
            d_shape = self.diagonals.shape[:-2].concatenate(self.diagonals.shape[-1:])
        else:
            d = self.diagonals
            batch = broadcast_static_shape(d[0].shape[:-1], d[1].shape[:-1])
            batch = broadcast_static_shape(batch, d[2].shape[:-1])
            d_shape = batch.concatenate(d[1].shape[-1:])
        return d_shape.concatenate(d_shape[-1:])

    def _shape_tensor(self, diagonals=None):
        diagonals = diagonals if diagonals is not None else self.diagonals
        if self.diagonals_format == _MATRIX:
            return array_ops.shape(diagonals)
        if self.diagonals_format == _COMPACT:
            d_shape = array_ops.shape(diagonals[..., 0, :])
        else:
            d = self.diagonals
            batch = broadcast_dynamic_shape(array_ops.shape(d[0])[:-1],
                                            array_ops.shape(d[1])[:-1])
            batch = broadcast_dynamic_shape(batch, array_ops.shape(d[2])[:-1])
            d_shape = concat_split_ops.concat([batch, [array_ops.shape(d[1])[-1]]], axis=0)
        return concat_split_ops.concat([d_shape, [d_shape[-1]]], axis=-1)

    def _assert_self_adjoint(self):
        diag_message = ("This tridiagonal operator contained non-zero imaginary values on the "
                        "diagonal.")
        off_diag_message = ("This tridiagonal operator has non-conjugate subdiagonal and "
                            "superdiagonal.")
        if self.diagonals_format == _MATRIX:
            asserts = [logging_ops.assert_equal(self.diagonals, lou.adjoint(self.diagonals),
                                                message="Matrix was not equal to its adjoint.")]
        else:
            if self.diagonals_format == _COMPACT:
                d = convert_to_tensor(self.diagonals)
                superdiag, diag, subdiag = d[..., 0, :], d[..., 1, :], d[..., 2, :]
            else:
                superdiag, diag, subdiag = self.diagonals
            subdiag = manip_ops.roll(subdiag, shift=-1, axis=-1)
            asserts = [lou.assert_zero_imag_part(diag, message=diag_message),
                       logging_ops.assert_equal(complex_ops.conj(subdiag[..., :-1]),
                                                superdiag[..., :-1], message=off_diag_message)]
        return array_ops.group(asserts)

    def _construct_adjoint_diagonals(self, diagonals):
        """The diagonals of the adjoint: conjugated, super and sub swapped (and re-padded)."""
        if self.diagonals_format == _SEQUENCE:
            diagonals = [complex_ops.conj(d) for d in reversed(diagonals)]
            diagonals[0] = manip_ops.roll(diagonals[0], shift=-1, axis=-1)
            diagonals[2] = manip_ops.roll(diagonals[2], shift=1, axis=-1)
            return diagonals
        if self.diagonals_format == _MATRIX:
            return lou.adjoint(diagonals)
        diagonals = complex_ops.conj(diagonals)
        superdiag, diag, subdiag = concat_split_ops.unstack(diagonals, num=3, axis=-2)
        return concat_split_ops.stack([manip_ops.roll(subdiag, shift=-1, axis=-1), diag,
                                       manip_ops.roll(superdiag, shift=1, axis=-1)], axis=-2)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        diagonals = self.diagonals
        if adjoint:
            diagonals = self._construct_adjoint_diagonals(diagonals)
        x = lou.adjoint(x) if adjoint_arg else x
        return tridiagonal_matmul(diagonals, x, diagonals_format=self.diagonals_format)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        diagonals = self.diagonals
        if adjoint:
            diagonals = self._construct_adjoint_diagonals(diagonals)
        rhs_shape = array_ops.shape(rhs)
        k = self._shape_tensor(diagonals)[-1]
        batch = broadcast_dynamic_shape(self._shape_tensor(diagonals)[:-2], rhs_shape[:-2])
        rhs = transform_ops.broadcast_to(
            rhs, concat_split_ops.concat([batch, rhs_shape[-2:]], axis=-1))
        if self.diagonals_format == _MATRIX:
            diagonals = transform_ops.broadcast_to(
                diagonals, concat_split_ops.concat([batch, concat_split_ops.stack([k, k])], -1))
        elif self.diagonals_format == _COMPACT:
            diagonals = transform_ops.broadcast_to(
                diagonals, concat_split_ops.concat([batch, concat_split_ops.stack([3, k])], -1))
        else:
            diagonals = [transform_ops.broadcast_to(
                d, concat_split_ops.concat([batch, concat_split_ops.stack([k])], -1))
                for d in diagonals]
        return tridiagonal_solve(diagonals, rhs, diagonals_format=self.diagonals_format,
                                 transpose_rhs=adjoint_arg, conjugate_rhs=adjoint_arg)

    def _diag_part(self):
        if self.diagonals_format == _MATRIX:
            return diag_ops.matrix_diag_part(self.diagonals)
        if self.diagonals_format == _SEQUENCE:
            return transform_ops.broadcast_to(self.diagonals[1], self.shape_tensor()[:-1])
        return self.diagonals[..., 1, :]

    def _to_dense(self):
        if self.diagonals_format == _MATRIX:
            return self.diagonals
        if self.diagonals_format == _COMPACT:
            diagonals = self.diagonals
        else:
            diagonals = concat_split_ops.stack(
                [convert_to_tensor(d) for d in self.diagonals], axis=-2)
        return diag_ops.matrix_diag(diagonals, name="MatrixDiagV3", k=(-1, 1), num_rows=-1,
                                    num_cols=-1, align="LEFT_RIGHT", padding_value=0.0)
