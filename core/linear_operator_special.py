"""Operators with a closed-form structure, as TF writes them: ``LinearOperatorPermutation``
(a gather of rows), ``LinearOperatorHouseholder`` (a reflection ``I - 2 v v^H``, its own
inverse) and ``LinearOperatorLowRankUpdate`` (``L + U D V^H``, solved with the Woodbury
identity and its determinant lemma through a small "capacitance" matrix)."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from . import linear_operator_util as lou
from . import tf_logging as logging
from .array_extra import broadcast_static_shape
from .composites import argsort
from .errors import InvalidArgumentError
from .graph import convert_to_tensor, name_scope
from .linear_operator_base import LinearOperator
from .linear_operator_basic import LinearOperatorDiag
from .linear_operator_identity import LinearOperatorIdentity
from .nn_impl import l2_normalize
from .ops import (array_ops, complex_ops, concat_split_ops, diag_ops, gather_ops, logic_ops,
                  math_ops, reduction_ops, transform_ops, unary_ops)
from .ops.array_extra_ops import broadcast_dynamic_shape
from .ops.linalg_extra_ops import cholesky_solve
from .ops.linalg_ops import cholesky, matmul, matrix_determinant

__all__ = ["LinearOperatorHouseholder", "LinearOperatorLowRankUpdate",
           "LinearOperatorPermutation"]


class LinearOperatorPermutation(LinearOperator):
    """The permutation matrix with ``P[i, perm[i]] = 1``: matmul gathers rows of x, its
    adjoint (= inverse) scatters them back (argsort of perm)."""

    def __init__(self, perm, dtype=_dt.float32, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorPermutation"):
        parameters = dict(perm=perm, dtype=dtype, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          name=name)
        with name_scope(name, values=[perm]):
            self._perm = lou.convert_nonref_to_tensor(perm, name="perm")
            self._check_perm(self._perm)
            if is_non_singular is False:
                raise ValueError(f"A Permutation operator is always non-singular. Expected "
                                 f"argument `is_non_singular` to be True. Received: "
                                 f"{is_non_singular}.")
            if is_square is False:
                raise ValueError(f"A Permutation operator is always square. Expected argument "
                                 f"`is_square` to be True. Received: {is_square}.")
            super().__init__(dtype=dtype, is_non_singular=is_non_singular,
                             is_self_adjoint=is_self_adjoint,
                             is_positive_definite=is_positive_definite, is_square=True,
                             parameters=parameters, name=name)

    @staticmethod
    def _check_perm(perm):
        if perm.shape.rank is not None and perm.shape.rank < 1:
            raise ValueError(f"Argument `perm` must have at least 1 dimension. "
                             f"Received: {perm}.")
        if not perm.dtype.is_integer:
            raise TypeError(f"Argument `perm` must be integer dtype. Received: {perm}.")
        static_perm = lou.static_value(perm)
        if static_perm is not None:
            if np.any(np.sort(static_perm, axis=-1) != np.arange(0, static_perm.shape[-1])):
                raise ValueError(f"Argument `perm` must be a vector of unique integers from 0 "
                                 f"to {static_perm.shape[-1] - 1}.")

    perm = property(lambda self: self._perm)

    def _shape(self):
        perm_shape = self._perm.shape
        return perm_shape.concatenate(perm_shape[-1:])

    def _shape_tensor(self):
        perm_shape = array_ops.shape(self._perm)
        return concat_split_ops.concat((perm_shape, [perm_shape[-1]]), 0)

    def _assert_non_singular(self):
        return array_ops.no_op("assert_non_singular")

    def _domain_dimension_tensor(self, perm=None):
        perm = perm if perm is not None else self.perm
        return array_ops.shape(perm)[-1]

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        perm = convert_to_tensor(self.perm)
        if adjoint and not self.is_self_adjoint:
            perm = argsort(perm, axis=-1)
        x = lou.adjoint(x) if adjoint_arg else x
        broadcast_shape = broadcast_dynamic_shape(array_ops.shape(x)[:-1],
                                                  array_ops.shape(perm))
        k = array_ops.shape(x)[-1]
        broadcast_x_shape = concat_split_ops.concat([broadcast_shape, [k]], axis=-1)
        x = transform_ops.broadcast_to(x, broadcast_x_shape)
        perm = transform_ops.broadcast_to(perm, broadcast_shape)
        m = array_ops.shape(x)[-2]
        x = array_ops.reshape(x, concat_split_ops.stack([-1, m, k]))
        perm = array_ops.reshape(perm, concat_split_ops.stack([-1, m]))
        y = gather_ops.gather(x, perm, axis=-2, batch_dims=1)
        return array_ops.reshape(y, broadcast_x_shape)

    def _log_abs_determinant(self):
        return array_ops.zeros(shape=self.batch_shape_tensor(), dtype=self.dtype)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._matmul(rhs, adjoint=not adjoint, adjoint_arg=adjoint_arg)

    def _to_dense(self):
        perm = convert_to_tensor(self.perm)
        return math_ops.cast(logic_ops.equal(
            array_ops.range_(0, self._domain_dimension_tensor(perm)), perm[..., None]),
            self.dtype)

    def _diag_part(self):
        perm = convert_to_tensor(self.perm)
        return math_ops.cast(logic_ops.equal(
            array_ops.range_(0, self._domain_dimension_tensor(perm)), perm), self.dtype)

    def _cond(self):
        return array_ops.ones(self.batch_shape_tensor(), dtype=self.dtype)


class LinearOperatorHouseholder(LinearOperator):
    """The reflection ``I - 2 v v^H / |v|^2`` across the hyperplane orthogonal to
    ``reflection_axis`` v: self-adjoint, its own inverse, determinant -1."""

    def __init__(self, reflection_axis, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorHouseholder"):
        parameters = dict(reflection_axis=reflection_axis, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          name=name)
        with name_scope(name, values=[reflection_axis]):
            self._reflection_axis = lou.convert_nonref_to_tensor(reflection_axis,
                                                                 name="reflection_axis")
            axis = self._reflection_axis
            if axis.shape.rank is not None and axis.shape.rank < 1:
                raise ValueError(f"Argument reflection_axis must have at least 1 dimension.  "
                                 f"Found: {axis}")
            if is_self_adjoint is False:
                raise ValueError("A Householder operator is always self adjoint.")
            if is_positive_definite is True:
                raise ValueError("A Householder operator is always non-positive definite.")
            if is_square is False:
                raise ValueError("A Householder operator is always square.")
            super().__init__(dtype=axis.dtype, is_non_singular=is_non_singular,
                             is_self_adjoint=True, is_positive_definite=False, is_square=True,
                             parameters=parameters, name=name)

    reflection_axis = property(lambda self: self._reflection_axis)

    def _shape(self):
        d_shape = self._reflection_axis.shape
        return d_shape.concatenate(d_shape[-1:])

    def _shape_tensor(self):
        d_shape = array_ops.shape(self._reflection_axis)
        return concat_split_ops.concat((d_shape, [d_shape[-1]]), 0)

    def _assert_non_singular(self):
        return array_ops.no_op("assert_non_singular")

    def _assert_positive_definite(self):
        raise InvalidArgumentError(None, None, "Householder operators are always non-positive "
                                               "definite.")

    def _assert_self_adjoint(self):
        return array_ops.no_op("assert_self_adjoint")

    def _linop_adjoint(self):
        return self

    def _linop_inverse(self):
        return self

    def _normalized_axis(self):
        return l2_normalize(convert_to_tensor(self.reflection_axis), axis=-1)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = lou.adjoint(x) if adjoint_arg else x
        mat = self._normalized_axis()[..., None]
        x_dot_normalized_v = matmul(mat, x, adjoint_a=True)
        return x - 2 * mat * x_dot_normalized_v

    def _trace(self):
        shape = self.shape_tensor()
        return math_ops.cast(self._domain_dimension_tensor(shape=shape) - 2, self.dtype) * \
            array_ops.ones(shape=self._batch_shape_tensor(shape=shape), dtype=self.dtype)

    def _determinant(self):
        return -array_ops.ones(shape=self.batch_shape_tensor(), dtype=self.dtype)

    def _log_abs_determinant(self):
        return array_ops.zeros(shape=self.batch_shape_tensor(), dtype=self.dtype)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._matmul(rhs, adjoint, adjoint_arg)

    def _to_dense(self):
        mat = self._normalized_axis()[..., None]
        matrix = -2 * matmul(mat, mat, adjoint_b=True)
        return diag_ops.matrix_set_diag(matrix, 1.0 + diag_ops.matrix_diag_part(matrix))

    def _diag_part(self):
        v = self._normalized_axis()
        return 1.0 - 2 * v * complex_ops.conj(v)

    def _eigvals(self):
        result_shape = array_ops.shape(self.reflection_axis)
        n = result_shape[-1]
        ones_shape = concat_split_ops.concat([result_shape[:-1], [n - 1]], axis=-1)
        neg_shape = concat_split_ops.concat([result_shape[:-1], [1]], axis=-1)
        return concat_split_ops.concat(
            [-array_ops.ones(shape=neg_shape, dtype=self.dtype),
             array_ops.ones(shape=ones_shape, dtype=self.dtype)], axis=-1)

    def _cond(self):
        return array_ops.ones(self.batch_shape_tensor(), dtype=self.dtype)


class LinearOperatorLowRankUpdate(LinearOperator):
    """``A = L + U D V^H`` for a base operator L ``[B, M, N]``, U ``[B, M, K]``, V (default U)
    and a positive diagonal D (default the identity); solves and determinants use the
    ``K x K`` capacitance ``C = D^-1 + V^H L^-1 U`` (Cholesky when everything is positive
    definite)."""

    def __init__(self, base_operator, u, diag_update=None, v=None,
                 is_diag_update_positive=None, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorLowRankUpdate"):
        parameters = dict(base_operator=base_operator, u=u, diag_update=diag_update, v=v,
                          is_diag_update_positive=is_diag_update_positive,
                          is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          name=name)
        dtype = base_operator.dtype
        if diag_update is not None and is_diag_update_positive and dtype.is_complex:
            logging.warning("Note: setting is_diag_update_positive with a complex dtype means "
                            "that diagonal is real and positive.")
        if diag_update is None:
            if is_diag_update_positive is False:
                raise ValueError("Default diagonal is the identity, which is positive.  "
                                 "However, user set 'is_diag_update_positive' to False.")
            is_diag_update_positive = True
        self._use_cholesky = bool(base_operator.is_positive_definite and
                                  base_operator.is_self_adjoint and is_diag_update_positive and
                                  v is None)
        if base_operator.is_self_adjoint and v is None and not dtype.is_complex:
            if is_self_adjoint is False:
                raise ValueError("A = L + UDU^H, with L self-adjoint and D real diagonal.  "
                                 "Since UDU^H is self-adjoint, this must be a self-adjoint "
                                 "operator.")
            is_self_adjoint = True
        if self._use_cholesky:
            if is_positive_definite is False or is_self_adjoint is False or \
                    is_non_singular is False:
                raise ValueError("Arguments imply this is self-adjoint positive-definite "
                                 "operator.")
            is_positive_definite = True
            is_self_adjoint = True
        with name_scope(name):
            self._u = lou.convert_nonref_to_tensor(u, name="u")
            self._v = self._u if v is None else lou.convert_nonref_to_tensor(v, name="v")
            self._diag_update = (None if diag_update is None else
                                 lou.convert_nonref_to_tensor(diag_update, name="diag_update"))
            self._base_operator = base_operator
            super().__init__(dtype=dtype, is_non_singular=is_non_singular,
                             is_self_adjoint=is_self_adjoint,
                             is_positive_definite=is_positive_definite, is_square=is_square,
                             parameters=parameters, name=name)
            self._set_diag_operators(diag_update, is_diag_update_positive)
            self._is_diag_update_positive = is_diag_update_positive
            self._check_shapes()

    def _check_shapes(self):
        uv_shape = broadcast_static_shape(self.u.shape, self.v.shape)
        batch_shape = broadcast_static_shape(self.base_operator.batch_shape, uv_shape[:-2])
        lou.assert_dims_compatible(self.base_operator.domain_dimension,
                                   lou.dimension_at_index(uv_shape, -2))
        if self._diag_update is not None:
            lou.assert_dims_compatible(lou.dimension_at_index(uv_shape, -1),
                                       self._diag_update.shape[-1])
            broadcast_static_shape(batch_shape, self._diag_update.shape[:-1])

    def _set_diag_operators(self, diag_update, is_diag_update_positive):
        if diag_update is not None:
            self._diag_operator = LinearOperatorDiag(
                self._diag_update, is_positive_definite=is_diag_update_positive)
            return
        r = lou.dimension_value(self.u.shape[-1])
        if r is None:
            r = array_ops.shape(self.u)[-1]
        self._diag_operator = LinearOperatorIdentity(num_rows=r, dtype=self.dtype)

    u = property(lambda self: self._u)
    v = property(lambda self: self._v)
    is_diag_update_positive = property(lambda self: self._is_diag_update_positive)
    diag_update = property(lambda self: self._diag_update)
    diag_operator = property(lambda self: self._diag_operator)
    base_operator = property(lambda self: self._base_operator)

    def _assert_self_adjoint(self):
        if self.u is self.v and self.diag_update is None:
            return self.base_operator.assert_self_adjoint()
        return super().assert_self_adjoint()

    def _shape(self):
        batch_shape = broadcast_static_shape(self.base_operator.batch_shape,
                                             self.diag_operator.batch_shape)
        batch_shape = broadcast_static_shape(batch_shape, self.u.shape[:-2])
        batch_shape = broadcast_static_shape(batch_shape, self.v.shape[:-2])
        return batch_shape.concatenate(self.base_operator.shape[-2:])

    def _shape_tensor(self):
        batch_shape = broadcast_dynamic_shape(self.base_operator.batch_shape_tensor(),
                                              self.diag_operator.batch_shape_tensor())
        batch_shape = broadcast_dynamic_shape(batch_shape, array_ops.shape(self.u)[:-2])
        batch_shape = broadcast_dynamic_shape(batch_shape, array_ops.shape(self.v)[:-2])
        return concat_split_ops.concat(
            [batch_shape, self.base_operator.shape_tensor()[-2:]], axis=0)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        u, v = self.u, self.v
        leading_term = self.base_operator.matmul(x, adjoint=adjoint, adjoint_arg=adjoint_arg)
        if adjoint:  # A^H x = L^H x + V D^H U^H x
            uh_x = matmul(u, x, adjoint_a=True, adjoint_b=adjoint_arg)
            return leading_term + matmul(v, self.diag_operator.matmul(uh_x, adjoint=adjoint))
        vh_x = matmul(v, x, adjoint_a=True, adjoint_b=adjoint_arg)
        return leading_term + matmul(u, self.diag_operator.matmul(vh_x, adjoint=adjoint))

    def _determinant(self):
        if self.is_positive_definite:
            return unary_ops.exp(self.log_abs_determinant())
        det_c = matrix_determinant(self._make_capacitance(u=self.u, v=self.v))
        return det_c * self.diag_operator.determinant() * self.base_operator.determinant()

    def _diag_part(self):
        product = self.u * complex_ops.conj(self.v)
        if self.diag_update is not None:
            product *= transform_ops.expand_dims(self.diag_update, axis=-2)
        return reduction_ops.reduce_sum(product, axis=-1) + self.base_operator.diag_part()

    def _log_abs_determinant(self):
        log_abs_det_d = self.diag_operator.log_abs_determinant()
        log_abs_det_l = self.base_operator.log_abs_determinant()
        capacitance = self._make_capacitance(u=self.u, v=self.v)
        if self._use_cholesky:
            chol_cap_diag = diag_ops.matrix_diag_part(cholesky(capacitance))
            log_abs_det_c = 2 * reduction_ops.reduce_sum(unary_ops.log(chol_cap_diag),
                                                         axis=[-1])
        else:
            log_abs_det_c = unary_ops.log(unary_ops.abs(matrix_determinant(capacitance)))
            if self.dtype.is_complex:
                log_abs_det_c = math_ops.cast(log_abs_det_c, dtype=self.dtype)
        return log_abs_det_c + log_abs_det_d + log_abs_det_l

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        if self.base_operator.is_non_singular is False:
            raise ValueError("Solve not implemented unless this is a perturbation of a "
                             "non-singular LinearOperator.")
        base = self.base_operator
        capacitance = self._make_capacitance(u=self.u, v=self.v)  # adjointed below if need be
        u, v = (self.v, self.u) if adjoint else (self.u, self.v)
        # Woodbury: A^-1 = L^-1 - L^-1 U C^-1 V^H L^-1.
        linv_rhs = base.solve(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)
        vh_linv_rhs = matmul(v, linv_rhs, adjoint_a=True)
        if self._use_cholesky:
            capinv_vh_linv_rhs = cholesky_solve(cholesky(capacitance), vh_linv_rhs)
        else:
            capinv_vh_linv_rhs = lou.matrix_solve_with_broadcast(capacitance, vh_linv_rhs,
                                                                 adjoint=adjoint)
        return linv_rhs - base.solve(matmul(u, capinv_vh_linv_rhs), adjoint=adjoint)

    def _make_capacitance(self, u, v):
        linv_u = self.base_operator.solve(u)
        vh_linv_u = matmul(v, linv_u, adjoint_a=True)
        return self._diag_operator.inverse().add_to_tensor(vh_linv_u)
