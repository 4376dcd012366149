"""Helpers of ``tf.linalg.LinearOperator`` that TF keeps in ``linear_operator_util.py`` and
``property_hint_util.py``: argument conversion and checks, batch broadcasting of matrices,
the broadcasting dense solve, blockwise arguments, and the rules that combine two operators'
hints (``is_square``, ``is_non_singular``...) -- composed from minitf ops as TF composes them."""

from __future__ import annotations

import numpy as np

from . import composites
from . import dtypes as _dt
from .array_extra import broadcast_static_shape
from .check_ops import assert_proper_iterable
from .distributions_util import with_dependencies  # noqa: F401 - re-exported for the operators
from .graph import Tensor, constant_value, convert_to_tensor, name_scope
# The one implementation of tf.linalg.matrix_transpose / adjoint (re-exported: lou.adjoint).
from .linalg_base import adjoint, matrix_transpose  # noqa: F401
from .ops import (array_ops, complex_ops, concat_split_ops, logging_ops, transform_ops,
                  unary_ops)
from .ops.array_extra_ops import broadcast_dynamic_shape
from .ops.linalg_ops import matrix_solve
from .tensor_shape import Dimension, TensorShape, as_shape


# -- conversion and small checks ------------------------------------------------------------------

def convert_nonref_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """``value`` as a Tensor (None stays None). TF keeps variables unconverted so they are read
    at each use; in graph mode the converted variable is read at each run all the same."""
    if value is None:
        return None
    return convert_to_tensor(value, dtype=dtype, preferred_dtype=dtype_hint, name=name)


def check_dtype(arg, dtype):
    """TypeError unless ``arg`` has the operator's dtype (TF's message)."""
    if arg.dtype.base_dtype != dtype:
        raise TypeError(f"Expected argument to have dtype {dtype}. Found: {arg.dtype} in "
                        f"tensor {arg}.")


def assert_not_ref_type(x, arg_name):
    """TypeError for a variable where a (static) shape argument is expected."""
    if hasattr(x, "_as_tensor"):
        raise TypeError(f"Argument {arg_name} cannot be reference type. Found: {type(x)}.")


def shape_tensor(shape, name=None):
    """A shape as an int Tensor; an empty shape (``[]``, ``()``, ``TensorShape([])``) is
    int32, as TF's, where numpy would make it float. The TensorShape is made a list first, so
    the empty test sees it too."""
    if isinstance(shape, TensorShape):
        shape = shape.as_list()
    dtype = _dt.int32 if isinstance(shape, (tuple, list)) and not shape else None
    if isinstance(shape, (tuple, list)):
        shape = [d.value if isinstance(d, Dimension) else d for d in shape]
    return convert_to_tensor(shape, dtype=dtype, name=name)


def static_value(x):
    """TF's tensor_util.constant_value for a Tensor; plain values are returned as arrays."""
    if isinstance(x, Tensor):
        return constant_value(x)
    return None if x is None else np.asarray(x)


def dimension_value(d):
    return d.value if isinstance(d, Dimension) else d


def dimension_at_index(shape, index) -> Dimension:
    """The Dimension at ``index`` (unknown when the rank is)."""
    shape = as_shape(shape)
    if shape.rank is None:
        return Dimension(None)
    return shape[index]


def assert_dims_compatible(a, b):
    """TF's Dimension.assert_is_compatible_with: ValueError naming both dimensions."""
    a, b = Dimension(dimension_value(a)), Dimension(dimension_value(b))
    if not a.is_compatible_with(b):
        raise ValueError(f"Dimensions {a} and {b} are not compatible")


def assert_no_entries_with_modulus_zero(x, message=None,
                                        name="assert_no_entries_with_modulus_zero"):
    """An op failing the run if any ``|x|`` is zero."""
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        zero = convert_to_tensor(0, dtype=x.dtype.real_dtype)
        return logging_ops.assert_less(zero, unary_ops.abs(x), message=message)


def assert_zero_imag_part(x, message=None, name="assert_zero_imag_part"):
    """An op failing the run if ``x`` has a non-zero imaginary part (a no-op for reals)."""
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        if x.dtype.is_floating:
            return array_ops.no_op()
        zero = convert_to_tensor(0, dtype=x.dtype.real_dtype)
        return logging_ops.assert_equal(zero, complex_ops.imag(x), message=message)


def assert_compatible_matrix_dimensions(operator, x):
    """An op failing the run unless ``x.shape[-2]`` is the operator's domain dimension."""
    return logging_ops.assert_equal(
        array_ops.shape(x)[-2], operator.domain_dimension_tensor(),
        message="Dimensions are not compatible.  shape[-2] of argument to be the same as this "
                "operator")


def assert_is_batch_matrix(tensor):
    if tensor.shape.rank is not None and tensor.shape.rank < 2:
        raise ValueError(f"Expected [batch] matrix to have at least two dimensions. Found: "
                         f"{tensor}.")


# -- batch broadcasting ---------------------------------------------------------------------------

def broadcast_matrix_batch_dims(batch_matrices, name=None):
    """The matrices broadcast against each other's batch dimensions (the last two kept)."""
    with name_scope(name or "broadcast_matrix_batch_dims", values=list(batch_matrices)):
        assert_proper_iterable(batch_matrices)
        batch_matrices = [convert_to_tensor(m) for m in batch_matrices]
        for m in batch_matrices:
            assert_is_batch_matrix(m)
        if len(batch_matrices) < 2:
            return batch_matrices
        bcast = batch_matrices[0].shape[:-2]
        for m in batch_matrices[1:]:
            bcast = broadcast_static_shape(bcast, m.shape[:-2])
        if bcast.is_fully_defined():
            for i, m in enumerate(batch_matrices):
                if m.shape[:-2] != bcast:
                    full = concat_split_ops.concat(
                        [bcast.as_list(), array_ops.shape(m)[-2:]], axis=0)
                    batch_matrices[i] = transform_ops.broadcast_to(m, full)
            return batch_matrices
        dyn = array_ops.shape(batch_matrices[0])[:-2]
        for m in batch_matrices[1:]:
            dyn = broadcast_dynamic_shape(dyn, array_ops.shape(m)[:-2])
        return [transform_ops.broadcast_to(
            m, concat_split_ops.concat([dyn, array_ops.shape(m)[-2:]], axis=0))
            for m in batch_matrices]


def matrix_solve_with_broadcast(matrix, rhs, adjoint=False, name=None):
    """MatrixSolve with batch broadcasting; a batch of right-hand sides over fewer matrices is
    folded into extra columns first (fewer, wider solves), as TF does."""
    with name_scope(name, "MatrixSolveWithBroadcast", [matrix, rhs]):
        matrix = convert_to_tensor(matrix, name="matrix")
        rhs = convert_to_tensor(rhs, name="rhs", dtype=matrix.dtype)
        matrix, rhs, reshape_inv, still_transpose = _reshape_for_efficiency(
            matrix, rhs, adjoint_a=adjoint)
        matrix, rhs = broadcast_matrix_batch_dims([matrix, rhs])
        return reshape_inv(matrix_solve(matrix, rhs, adjoint=adjoint and still_transpose))


def _reshape_for_efficiency(a, b, adjoint_a=False):
    """TF's _reshape_for_efficiency: b's extra leading dimensions moved to its columns."""
    def identity(x):
        return x

    ra, rb = a.shape.rank, b.shape.rank
    if ra is None or rb is None or ra >= rb:
        return a, b, identity, True
    extra = rb - ra
    a_domain = dimension_value(a.shape[-2 if adjoint_a else -1])
    b_eq = dimension_value(b.shape[-1])
    extra_shape = b.shape[:extra]
    b_extra_sz = int(np.prod(extra_shape.as_list())) if extra_shape.is_fully_defined() else None
    if a_domain is not None and b_eq is not None and b_extra_sz is not None:
        if b_extra_sz < 2 or a_domain <= b_eq:
            return a, b, identity, True
    if adjoint_a:
        a = adjoint(a)
    b_extra_sh = array_ops.shape(b)[:extra]
    b_main_sh = array_ops.shape(b)[extra:]
    perm = np.concatenate((np.arange(extra, rb), np.arange(0, extra)), 0)
    b_extra_on_end = transform_ops.transpose(b, perm=perm)
    b_squashed = array_ops.reshape(
        b_extra_on_end, concat_split_ops.concat((b_main_sh[:-1], [-1]), 0))

    def reshape_inv(y):
        y_extra_shape = concat_split_ops.concat(
            (array_ops.shape(y)[:-1], [b_main_sh[-1]], b_extra_sh), 0)
        return transform_ops.transpose(array_ops.reshape(y, y_extra_shape),
                                       perm=np.argsort(perm))

    return a, b_squashed, reshape_inv, False


def eye(num_rows, batch_shape=None, dtype=_dt.float32):
    """``tf.eye(num_rows, batch_shape=...)`` where batch_shape may also be a run-time Tensor."""
    if batch_shape is None or isinstance(batch_shape, (list, tuple)):
        return composites.eye(num_rows, batch_shape=batch_shape, dtype=dtype)
    matrix = composites.eye(num_rows, dtype=dtype)
    return transform_ops.broadcast_to(matrix, concat_split_ops.concat(
        [batch_shape, array_ops.shape(matrix)], axis=0))


def rotate_transpose(x, shift, name="rotate_transpose"):
    """``x`` with its dimensions rolled by ``shift`` (a Python int), as
    ``np.transpose(x, np.roll(range(rank), shift))``."""
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        rank = x.shape.rank
        if rank is not None:
            perm = np.roll(np.arange(rank), shift).astype(np.int32)
            return transform_ops.transpose(x, perm)
        r = array_ops.rank(x)
        s = shift % r if shift >= 0 else (r + shift % -r) % r
        first = array_ops.range_(r - s, r)
        rest = array_ops.range_(0, r - s)
        return transform_ops.transpose(x, concat_split_ops.concat([first, rest], 0))


# -- operator relations and hints ----------------------------------------------------------------

def is_adjoint_pair(x, y):
    """True when ``x`` is known to be the adjoint of ``y``."""
    if x is y:
        if x.is_self_adjoint is False:
            return False
        if x.is_self_adjoint:
            return True
    return x.H is y or y.H is x


def is_aat_form(operators):
    """True for ``A @ B @ ... @ B.H @ A.H`` (so the product is self-adjoint)."""
    operators = list(operators)
    if not operators:
        raise ValueError("AAT form is undefined for empty operators")
    if len(operators) % 2:
        return False
    return all(is_adjoint_pair(operators[i], operators[-1 - i])
               for i in range(len(operators) // 2))


def use_operator_or_provided_hint_unless_contradicting(operator, hint_attr_name,
                                                       provided_hint_value, message):
    """The operator's hint or the provided one; ValueError(message) when they contradict."""
    op_hint = getattr(operator, hint_attr_name)
    if op_hint is False and provided_hint_value:
        raise ValueError(message)
    if op_hint and provided_hint_value is False:
        raise ValueError(message)
    if op_hint or provided_hint_value:
        return True
    if op_hint is False or provided_hint_value is False:
        return False
    return None


def product_hints(left, right):
    """The hints of ``left @ right`` (or ``left^-1 @ right``) that TF derives."""
    square = is_square(left, right)
    hints = {"is_square": square, "is_non_singular": None, "is_self_adjoint": None,
             "is_positive_definite": None}
    if square:
        hints["is_non_singular"] = combined_non_singular_hint(left, right)
    elif square is False:
        hints.update(is_non_singular=False, is_self_adjoint=False, is_positive_definite=False)
    return hints


def combined_commuting_self_adjoint_hint(a, b):
    """Self-adjointness of ``a @ b`` for commuting operators."""
    if a.is_self_adjoint and b.is_self_adjoint:
        return True
    if (a.is_self_adjoint is True and b.is_self_adjoint is False) or (
            a.is_self_adjoint is False and b.is_self_adjoint is True):
        return False
    return None


def is_square(a, b):
    """Whether ``a @ b`` is square, as far as the hints and static shapes tell."""
    if a.is_square and b.is_square:
        return True
    if a.is_square is False and b.is_square is False:
        m, n = a.range_dimension, b.domain_dimension
        if m is not None and n is not None:
            return m == n
    if a.is_square != b.is_square and a.is_square is not None and b.is_square is not None:
        return False
    return None


def combined_commuting_positive_definite_hint(a, b):
    if (a.is_positive_definite is True and a.is_self_adjoint is True and
            b.is_positive_definite is True and b.is_self_adjoint is True):
        return True
    return None


def combined_non_singular_hint(a, b):
    if a.is_non_singular is False or b.is_non_singular is False:
        return False
    return a.is_non_singular and b.is_non_singular


# -- blockwise arguments (BlockDiag, BlockLowerTriangular) ----------------------------------------

def _is_nested(x):
    return isinstance(x, (list, tuple, dict))


def arg_is_blockwise(block_dimensions, arg, arg_split_dim):
    """Whether ``arg`` is a list of per-block Tensors rather than one Tensor to split."""
    if isinstance(arg, (tuple, list)) and len(arg) == len(block_dimensions):
        if not any(_is_nested(x) for x in arg):
            return True
        arg_dims = [dimension_value(convert_to_tensor(x).shape[arg_split_dim]) for x in arg]
        self_dims = [dimension_value(d) for d in block_dimensions]
        if all(d is None for d in self_dims):
            if len(arg_dims) == 1:
                return False
            if any(d != arg_dims[0] for d in arg_dims):
                return True
            raise ValueError("Parsing of the input structure is ambiguous. Please input a "
                             "blockwise iterable of `Tensor`s or a single `Tensor`.")
        if all(s == a or s is None for s, a in zip(self_dims, arg_dims)):
            return True
        self_dim = sum(d for d in self_dims if d is not None)
        if all(d == arg_dims[0] for d in arg_dims) and arg_dims[0] >= self_dim:
            return False
        raise ValueError("Input dimension does not match operator dimension.")
    return False


def split_arg_into_blocks(block_dims, block_dims_fn, arg, axis=-1):
    """``arg`` split along ``axis`` into the blocks' sizes (run-time sizes if any unknown)."""
    sizes = [dimension_value(d) for d in block_dims]
    if any(d is None for d in sizes):
        sizes = concat_split_ops.stack(block_dims_fn())
    return concat_split_ops.split(arg, sizes, axis=axis)
