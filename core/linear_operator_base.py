"""``tf.linalg.LinearOperator``: the base class of operators that act like a (batch of)
matrices without necessarily materialising them, as TF writes it in linear_operator.py.

A subclass implements ``_shape`` and ``_matmul`` (and, when its structure allows, the faster
``_solve``, ``_determinant``...); the public methods here check arguments, open the
operator's name scope and fall back to dense O(N^3) defaults (with TF's warning). Everything is
composed from ordinary minitf ops, so results freeze, serialise and differentiate."""

from __future__ import annotations

import abc
import contextlib


from . import dtypes as _dt
from . import linear_operator_util as lou
from . import tf_logging as logging
from .graph import Tensor, convert_to_tensor, name_scope
from .linear_operator_dense import DenseFallbacks
from .ops import (array_ops, transform_ops)
from .tensor_shape import Dimension

__all__ = ["LinearOperator"]


class LinearOperator(DenseFallbacks, metaclass=abc.ABCMeta):
    """Base class defining a [batch of] linear operator[s] with shape ``[B1,...,Bb, M, N]``.

    The ``is_X`` hints (non_singular, self_adjoint, positive_definite, square) are promises, not
    run-time checks: True means the caller may rely on X, False that X does not hold, None
    nothing either way. Subclasses pass ``parameters`` (their constructor arguments)."""

    def __init__(self, dtype, graph_parents=None, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None, parameters=None):
        if is_positive_definite:
            if is_non_singular is False:
                raise ValueError("A positive definite matrix is always non-singular.")
            is_non_singular = True
        if is_non_singular:
            if is_square is False:
                raise ValueError("A non-singular matrix is always square.")
            is_square = True
        if is_self_adjoint:
            if is_square is False:
                raise ValueError("A self-adjoint matrix is always square.")
            is_square = True
        self._is_square_set_or_implied_by_hints = is_square
        if graph_parents is not None:
            logging.warning("`graph_parents` is deprecated: do not pass it, it is no longer "
                            "used.")
            self._set_graph_parents(graph_parents)
        else:
            self._graph_parents = []
        self._dtype = _dt.as_dtype(dtype).base_dtype if dtype else dtype
        self._is_non_singular = is_non_singular
        self._is_self_adjoint = is_self_adjoint
        self._is_positive_definite = is_positive_definite
        self._parameters = parameters or {}
        self._name = name or type(self).__name__

    @contextlib.contextmanager
    def _name_scope(self, name=None):
        """The scope of the operator's ops: ``<operator name>/<method name>``."""
        full_name = self.name if name is None else self.name + "/" + name
        with name_scope(full_name) as scope:
            yield scope

    # -- identity and hints -----------------------------------------------------------------------
    parameters = property(lambda self: dict(self._parameters),
                          doc="The arguments this operator was constructed with.")
    dtype = property(lambda self: self._dtype, doc="The DType of Tensors this operator handles.")
    name = property(lambda self: self._name, doc="Prefix of every op this operator creates.")
    graph_parents = property(lambda self: self._graph_parents, doc="Deprecated.")
    is_non_singular = property(lambda self: self._is_non_singular)
    is_self_adjoint = property(lambda self: self._is_self_adjoint)
    is_positive_definite = property(lambda self: self._is_positive_definite)

    @property
    def is_square(self):
        """True/False as set or implied by the hints, else whether the static shape is square."""
        auto_square_check = self.domain_dimension == self.range_dimension
        if self._is_square_set_or_implied_by_hints is False and auto_square_check:
            raise ValueError("User set is_square hint to False, but the operator was square.")
        if self._is_square_set_or_implied_by_hints is None:
            return auto_square_check
        return self._is_square_set_or_implied_by_hints

    def _set_graph_parents(self, graph_parents):
        for i, t in enumerate(graph_parents):
            if t is None or not (isinstance(t, Tensor) or hasattr(t, "_as_tensor")):
                raise ValueError(f"Graph parent item {i} is not a Tensor; {t}.")
        self._graph_parents = list(graph_parents)

    # -- shapes ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def _shape(self):
        raise NotImplementedError("_shape is not implemented.")

    @property
    def shape(self):
        """The static TensorShape ``[B1,...,Bb, M, N]`` (may be partly unknown)."""
        return self._shape()

    def _shape_tensor(self):
        raise NotImplementedError("_shape_tensor is not implemented.")

    def shape_tensor(self, name="shape_tensor"):
        """The shape as an int32 Tensor, determined at run time."""
        with self._name_scope(name):
            if self.shape.is_fully_defined():
                return lou.shape_tensor(self.shape.as_list())
            return self._shape_tensor()

    @property
    def batch_shape(self):
        return self.shape[:-2]

    def batch_shape_tensor(self, name="batch_shape_tensor"):
        with self._name_scope(name):
            return self._batch_shape_tensor()

    def _batch_shape_tensor(self, shape=None):
        if self.batch_shape.is_fully_defined():
            return lou.shape_tensor(self.batch_shape.as_list(), name="batch_shape")
        shape = self.shape_tensor() if shape is None else shape
        return shape[:-2]

    @property
    def tensor_rank(self):
        """``b + 2`` for shape ``[B1,...,Bb, M, N]`` (None if the rank is unknown)."""
        return self.shape.rank

    def tensor_rank_tensor(self, name="tensor_rank_tensor"):
        with self._name_scope(name):
            return self._tensor_rank_tensor()

    def _tensor_rank_tensor(self, shape=None):
        if self.tensor_rank is not None:
            return convert_to_tensor(self.tensor_rank)
        shape = self.shape_tensor() if shape is None else shape
        return array_ops.size(shape)

    @property
    def domain_dimension(self):
        """N, the dimension of the domain, as a Dimension."""
        if self.shape.rank is None:
            return Dimension(None)
        return self.shape[-1]

    def domain_dimension_tensor(self, name="domain_dimension_tensor"):
        with self._name_scope(name):
            return self._domain_dimension_tensor()

    def _domain_dimension_tensor(self, shape=None):
        value = lou.dimension_value(self.domain_dimension)
        if value is not None:
            return convert_to_tensor(value)
        shape = self.shape_tensor() if shape is None else shape
        return shape[-1]

    @property
    def range_dimension(self):
        """M, the dimension of the range, as a Dimension."""
        if self.shape.rank:
            return self.shape[-2]
        return Dimension(None)

    def range_dimension_tensor(self, name="range_dimension_tensor"):
        with self._name_scope(name):
            return self._range_dimension_tensor()

    def _range_dimension_tensor(self, shape=None):
        value = lou.dimension_value(self.range_dimension)
        if value is not None:
            return convert_to_tensor(value)
        shape = self.shape_tensor() if shape is None else shape
        return shape[-2]

    # -- run-time assertions --------------------------------------------------------------------
    def assert_non_singular(self, name="assert_non_singular"):
        """An op failing the run if the condition number exceeds
        ``1 / (max(100, M, N) * eps)``."""
        with self._name_scope(name):
            return self._assert_non_singular()

    def assert_positive_definite(self, name="assert_positive_definite"):
        """An op failing the run unless ``x^H A x`` has positive real part for all x."""
        with self._name_scope(name):
            return self._assert_positive_definite()

    def assert_self_adjoint(self, name="assert_self_adjoint"):
        """An op failing the run unless the operator equals its adjoint exactly."""
        with self._name_scope(name):
            return self._assert_self_adjoint()

    def _check_input_dtype(self, arg):
        if arg.dtype.base_dtype != self.dtype:
            raise TypeError(f"Expected argument to have dtype {self.dtype!r}.  Found: "
                            f"{arg.dtype!r} in tensor {arg}")

    # -- products -------------------------------------------------------------------------------
    @abc.abstractmethod
    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        raise NotImplementedError("_matmul is not implemented.")

    def matmul(self, x, adjoint=False, adjoint_arg=False, name="matmul"):
        """``A @ x`` (``A^H`` with adjoint, ``x^H`` with adjoint_arg) for a [batch] matrix x of
        shape ``[..., N, R]``; a LinearOperator x gives the composed operator."""
        if isinstance(x, LinearOperator):
            left = self.adjoint() if adjoint else self
            right = x.adjoint() if adjoint_arg else x
            if right.range_dimension != left.domain_dimension and \
                    right.range_dimension.value is not None and \
                    left.domain_dimension.value is not None:
                raise ValueError(f"Operators are incompatible. Expected `x` to have dimension "
                                 f"{left.domain_dimension} but got {right.range_dimension}.")
            with self._name_scope(name):
                return self._linop_matmul(left, right)
        with self._name_scope(name):
            x = convert_to_tensor(x, name="x")
            self._check_input_dtype(x)
            self_dim = -2 if adjoint else -1
            arg_dim = -1 if adjoint_arg else -2
            lou.assert_dims_compatible(lou.dimension_at_index(self.shape, self_dim),
                                       lou.dimension_at_index(x.shape, arg_dim))
            return self._matmul(x, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _linop_matmul(self, left_operator, right_operator):
        from .linear_operator_composite import LinearOperatorComposition

        if hasattr(right_operator, "_ones_diag") and not hasattr(right_operator, "multiplier"):
            return left_operator  # times the identity
        if hasattr(right_operator, "_zeros_diag"):
            if not right_operator.is_square or not left_operator.is_square:
                raise ValueError("Matmul with non-square `LinearOperator`s or non-square "
                                 "`LinearOperatorZeros` not supported at this time.")
            return right_operator
        return LinearOperatorComposition(
            operators=[left_operator, right_operator],
            **lou.product_hints(left_operator, right_operator))

    def __matmul__(self, other):
        return self.matmul(other)

    def _matvec(self, x, adjoint=False):
        x_mat = transform_ops.expand_dims(x, axis=-1)
        y_mat = self.matmul(x_mat, adjoint=adjoint)
        return transform_ops.squeeze(y_mat, axis=-1)

    def matvec(self, x, adjoint=False, name="matvec"):
        """``A @ x`` for a [batch] vector x of shape ``[..., N]``."""
        with self._name_scope(name):
            x = convert_to_tensor(x, name="x")
            self._check_input_dtype(x)
            self_dim = -2 if adjoint else -1
            lou.assert_dims_compatible(lou.dimension_at_index(self.shape, self_dim),
                                       lou.dimension_at_index(x.shape, -1))
            return self._matvec(x, adjoint=adjoint)

    # -- determinants ---------------------------------------------------------------------------
    def determinant(self, name="det"):
        """det(A) for every batch member."""
        if self.is_square is False:
            raise NotImplementedError("Determinant not implemented for an operator that is "
                                      "expected to not be square.")
        with self._name_scope(name):
            return self._determinant()

    def log_abs_determinant(self, name="log_abs_det"):
        """log|det(A)| for every batch member."""
        if self.is_square is False:
            raise NotImplementedError("Determinant not implemented for an operator that is "
                                      "expected to not be square.")
        with self._name_scope(name):
            return self._log_abs_determinant()

    # -- solves ---------------------------------------------------------------------------------
    def solve(self, rhs, adjoint=False, adjoint_arg=False, name="solve"):
        """X with ``A X = rhs`` (``A^H`` with adjoint, ``rhs^H`` with adjoint_arg); a
        LinearOperator rhs gives the operator ``A^-1 rhs``."""
        self._check_solvable()
        if isinstance(rhs, LinearOperator):
            left = self.adjoint() if adjoint else self
            right = rhs.adjoint() if adjoint_arg else rhs
            if right.range_dimension != left.domain_dimension and \
                    right.range_dimension.value is not None and \
                    left.domain_dimension.value is not None:
                raise ValueError(f"Operators are incompatible. Expected `rhs` to have "
                                 f"dimension {left.domain_dimension} but got "
                                 f"{right.range_dimension}.")
            with self._name_scope(name):
                return self._linop_solve(left, right)
        with self._name_scope(name):
            rhs = convert_to_tensor(rhs, name="rhs")
            self._check_input_dtype(rhs)
            self_dim = -1 if adjoint else -2
            arg_dim = -1 if adjoint_arg else -2
            lou.assert_dims_compatible(lou.dimension_at_index(self.shape, self_dim),
                                       lou.dimension_at_index(rhs.shape, arg_dim))
            return self._solve(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _check_solvable(self):
        if self.is_non_singular is False:
            raise NotImplementedError("Exact solve not implemented for an operator that is "
                                      "expected to be singular.")
        if self.is_square is False:
            raise NotImplementedError("Exact solve not implemented for an operator that is "
                                      "expected to not be square.")

    def _linop_solve(self, left_operator, right_operator):
        from .linear_operator_composite import LinearOperatorComposition, LinearOperatorInversion

        if hasattr(right_operator, "_ones_diag") and not hasattr(right_operator, "multiplier"):
            return left_operator.inverse()  # the identity's solve is the inverse
        return LinearOperatorComposition(
            operators=[LinearOperatorInversion(left_operator), right_operator],
            **lou.product_hints(left_operator, right_operator))

    def _solvevec(self, rhs, adjoint=False):
        rhs_mat = transform_ops.expand_dims(rhs, axis=-1)
        solution_mat = self.solve(rhs_mat, adjoint=adjoint)
        return transform_ops.squeeze(solution_mat, axis=-1)

    def solvevec(self, rhs, adjoint=False, name="solve"):
        """x with ``A x = rhs`` for a [batch] vector rhs of shape ``[..., M]``."""
        with self._name_scope(name):
            rhs = convert_to_tensor(rhs, name="rhs")
            self._check_input_dtype(rhs)
            self_dim = -1 if adjoint else -2
            lou.assert_dims_compatible(lou.dimension_at_index(self.shape, self_dim),
                                       lou.dimension_at_index(rhs.shape, -1))
            return self._solvevec(rhs, adjoint=adjoint)

    # -- derived operators ----------------------------------------------------------------------
    def adjoint(self, name="adjoint"):
        """The operator ``A^H`` (this operator itself when known to be self-adjoint)."""
        if self.is_self_adjoint is True:
            return self
        with self._name_scope(name):
            return self._linop_adjoint()

    H = property(adjoint, None)

    def _linop_adjoint(self):
        from .linear_operator_composite import LinearOperatorAdjoint

        return LinearOperatorAdjoint(self, is_non_singular=self.is_non_singular,
                                     is_self_adjoint=self.is_self_adjoint,
                                     is_positive_definite=self.is_positive_definite,
                                     is_square=self.is_square)

    def inverse(self, name="inverse"):
        """The operator ``A^-1``; ValueError when the hints say A is not invertible."""
        if self.is_square is False:
            raise ValueError("Cannot take the Inverse: This operator represents a non square "
                             "matrix.")
        if self.is_non_singular is False:
            raise ValueError("Cannot take the Inverse: This operator represents a singular "
                             "matrix.")
        with self._name_scope(name):
            return self._linop_inverse()

    def _linop_inverse(self):
        from .linear_operator_composite import LinearOperatorInversion

        return LinearOperatorInversion(self, is_non_singular=self.is_non_singular,
                                       is_self_adjoint=self.is_self_adjoint,
                                       is_positive_definite=self.is_positive_definite,
                                       is_square=self.is_square)

    def cholesky(self, name="cholesky"):
        """The lower Cholesky factor as an operator (self-adjoint positive definite only)."""
        if not self._can_use_cholesky():
            raise ValueError("Cannot take the Cholesky decomposition: Not a positive definite "
                             "self adjoint matrix.")
        with self._name_scope(name):
            return self._linop_cholesky()

    # -- dense views ----------------------------------------------------------------------------
    def to_dense(self, name="to_dense"):
        """The operator as a dense [batch] matrix."""
        with self._name_scope(name):
            return self._to_dense()

    def diag_part(self, name="diag_part"):
        """The main diagonal, shape ``[B1,...,Bb, min(M, N)]``."""
        with self._name_scope(name):
            return self._diag_part()

    def trace(self, name="trace"):
        with self._name_scope(name):
            return self._trace()

    def add_to_tensor(self, x, name="add_to_tensor"):
        """``A + x`` for a [batch] matrix x of the operator's dtype."""
        with self._name_scope(name):
            x = convert_to_tensor(x, name="x")
            self._check_input_dtype(x)
            return self._add_to_tensor(x)

    def eigvals(self, name="eigvals"):
        """The eigenvalues (self-adjoint operators only)."""
        if not self.is_self_adjoint:
            raise NotImplementedError("Only self-adjoint matrices are supported.")
        with self._name_scope(name):
            return self._eigvals()

    def cond(self, name="cond"):
        """The condition number (ratio of the extreme singular values)."""
        with self._name_scope(name):
            return self._cond()

    def _can_use_cholesky(self):
        return self.is_self_adjoint and self.is_positive_definite
