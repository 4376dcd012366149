"""Comparisons (Less, Equal, ...), logical ops, Select / SelectV2 / Where and the float
predicates IsFinite / IsNan / IsInf and CheckNumerics; then the public TF1 wrappers."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..ragged_dispatch import ragged_binary, ragged_unary
from ..tensor_shape import TensorShape, broadcast_shapes
from . import array_ops
from ._math_util import (_FLOAT, _NUMBER, _REAL, _binary, _broadcasting, _dims, _scope,
                         _silence_float_warnings, _typed, _unary)
from ._util import compare_infer, unary_infer

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = [
    "is_finite", "is_nan", "is_inf", "check_numerics", "equal", "not_equal", "less",
    "less_equal", "greater", "greater_equal", "logical_and", "logical_or", "logical_not",
    "logical_xor", "where", "where_v2",
]

_silence_float_warnings(__name__)


# -- IsFinite / IsNan / IsInf -------------------------------------------------------------------


def _bool_unary(type_, fn):
    return _unary(type_, fn, NOT_DIFFERENTIABLE, allowed=_FLOAT,
                  infer=lambda x: [TensorSpec(x.shape, _dt.bool)])


IS_FINITE = _bool_unary("IsFinite", np.isfinite)
IS_NAN = _bool_unary("IsNan", np.isnan)
IS_INF = _bool_unary("IsInf", np.isinf)


def _check_numerics_kernel(x, *, message):
    bad = [kind for kind, test in (("Inf", np.isinf), ("NaN", np.isnan)) if test(x).any()]
    if bad:
        raise InvalidArgumentError(None, None, f"{message} : Tensor had "
                                   f"{' and '.join(bad)} values")
    return x


CHECK_NUMERICS = register(OpDef(
    "CheckNumerics", inputs=["tensor:T"], attrs={"message": req("string")},
    kernel=_check_numerics_kernel,
    infer=_typed(lambda x, **a: [TensorSpec(x.shape, x.dtype)], _FLOAT, "tensor"),
    # The gradient is checked too, naming this check (TF1's rule).
    grad=lambda op, dy: [CHECK_NUMERICS(
        dy, message="Not a number (NaN) or infinity (Inf) values detected in gradient. "
        + op._get_attr("message"))],
    stateful=True,  # as TF's: never folded away, even on constants
    doc="the input, after raising InvalidArgumentError if it holds Inf or NaN values",
))


@ragged_unary
def check_numerics(tensor, message, name=None):
    """``tensor``, checked at run time: an Inf or NaN value raises InvalidArgumentError with
    ``message``."""
    return CHECK_NUMERICS(tensor, message=message, name=name or "CheckNumerics")


# -- Comparisons and logic ----------------------------------------------------------------------


def _compare(type_, fn, allowed=_REAL):
    return _binary(type_, fn, NOT_DIFFERENTIABLE, allowed=allowed, infer=compare_infer)


LESS = _compare("Less", np.less)
LESS_EQUAL = _compare("LessEqual", np.less_equal)
GREATER = _compare("Greater", np.greater)
GREATER_EQUAL = _compare("GreaterEqual", np.greater_equal)


def _equality_kernel(fn, incompatible_value):
    def kernel(x, y, *, incompatible_shape_error):
        if not incompatible_shape_error:
            try:
                np.broadcast_shapes(np.shape(x), np.shape(y))
            except ValueError:
                return np.array(incompatible_value)
        return np.asarray(fn(x, y), dtype=np.bool_)  # object (string) inputs give bools too
    return kernel


def _equality_infer(x, y, *, incompatible_shape_error):
    if incompatible_shape_error:
        return compare_infer(x, y)
    if x.shape.is_fully_defined() and y.shape.is_fully_defined():
        try:
            return [TensorSpec(broadcast_shapes(x.shape, y.shape), _dt.bool)]
        except ValueError:
            return [TensorSpec([], _dt.bool)]  # a scalar answer instead of an error
    return [TensorSpec(None, _dt.bool)]


def _equality(type_, fn, incompatible_value):
    return register(OpDef(type_, inputs=["x:T", "y:T"],
                          attrs={"incompatible_shape_error": True},
                          kernel=_broadcasting(_equality_kernel(fn, incompatible_value)),
                          infer=_equality_infer, grad=NOT_DIFFERENTIABLE))


EQUAL = _equality("Equal", np.equal, False)
NOT_EQUAL = _equality("NotEqual", np.not_equal, True)

LOGICAL_AND = register(OpDef("LogicalAnd", inputs=["x:bool", "y:bool"],
                             kernel=_broadcasting(np.logical_and), infer=compare_infer,
                             grad=NOT_DIFFERENTIABLE))
LOGICAL_OR = register(OpDef("LogicalOr", inputs=["x:bool", "y:bool"],
                            kernel=_broadcasting(np.logical_or), infer=compare_infer,
                            grad=NOT_DIFFERENTIABLE))
LOGICAL_NOT = register(OpDef("LogicalNot", inputs=["x:bool"], kernel=np.logical_not,
                             infer=unary_infer, grad=NOT_DIFFERENTIABLE))

# -- Select / SelectV2 / Where ------------------------------------------------------------------


def _merge_equal(a: TensorShape, b: TensorShape) -> TensorShape:
    """TensorFlow's shape Merge: equal ranks and compatible dims, with its messages."""
    if a.rank is None:
        return b
    if b.rank is None:
        return a
    if a.rank != b.rank:
        raise shape_error(f"Shapes must be equal rank, but are {a.rank} and {b.rank}")
    out = []
    for i, (p, q) in enumerate(zip(a.as_tuple(), b.as_tuple())):
        if p is not None and q is not None and p != q:
            raise shape_error(f"Dimension {i} in both shapes must be equal, but are {p} and {q}."
                              f" Shapes are {a.debug_string()} and {b.debug_string()}.")
        out.append(p if p is not None else q)
    return TensorShape(out)


def _select_infer(cond, t, e):
    """TF's Select shape function: the branches' shape; a condition of the same rank is merged
    in, a vector (picking whole rows) only checked against the first dimension."""
    out = _merge_equal(t.shape, e.shape)
    c = cond.shape
    if c.rank is None or c.rank == 0 or out.rank is None:
        return [TensorSpec(out, t.dtype)]
    if c.rank == 1 and out.rank > 0:
        _merge_equal(c, out[:1])
        return [TensorSpec(out, t.dtype)]
    return [TensorSpec(_merge_equal(out, c), t.dtype)]


def _select_kernel(cond, t, e):
    if np.shape(t) != np.shape(e):
        raise InvalidArgumentError(None, None, "'then' and 'else' must have the same size.  but "
                                   f"received: {_dims(t)} vs. {_dims(e)}")
    if np.ndim(cond) == 0:
        return t if cond else e
    if cond.ndim == 1 and t.ndim > 1:
        if cond.shape[0] != t.shape[0]:
            raise InvalidArgumentError(None, None, "Number of batches of 'then' must match size "
                                       f"of 'cond', but saw: {t.shape[0]} vs. {cond.shape[0]}")
        cond = cond.reshape((-1,) + (1,) * (t.ndim - 1))
    elif cond.shape != t.shape:
        raise InvalidArgumentError(None, None, "Inputs to operation Select of type Select must "
                                   "have the same size and shape.  Input 0: "
                                   f"{_dims(cond)} != input 1: {_dims(t)}")
    return np.where(cond, t, e)


def _select_grad(op, dy):
    c, x, _ = op.inputs
    zeros = array_ops.zeros_like(x)
    return [None, where(c, dy, zeros), where(c, zeros, dy)]


SELECT = register(OpDef(
    "Select", inputs=["condition:bool", "t:T", "e:T"],
    kernel=_select_kernel, infer=_select_infer, grad=_select_grad,
))


def _select_v2_infer(cond, t, e):
    try:
        return [TensorSpec(broadcast_shapes(cond.shape, broadcast_shapes(t.shape, e.shape)),
                           t.dtype)]
    except ValueError as err:
        raise shape_error(str(err)) from None


def _select_v2_kernel(cond, t, e):
    try:
        return np.where(cond, t, e)
    except ValueError:
        raise InvalidArgumentError(None, None, "condition, then and else must be broadcastable:"
                                   f" {_dims(cond)}, {_dims(t)}, {_dims(e)}") from None


def _select_v2_grad(op, dy):
    from .math_ops import sum_to_operand

    c, x, y = op.inputs
    z = op.outputs[0]
    zeros = array_ops.zeros([], dtype=dy.dtype)
    return [None, sum_to_operand(where_v2(c, dy, zeros), x, z),
            sum_to_operand(where_v2(c, zeros, dy), y, z)]


SELECT_V2 = register(OpDef(
    "SelectV2", inputs=["condition:bool", "t:T", "e:T"],
    kernel=_select_v2_kernel, infer=_select_v2_infer, grad=_select_v2_grad,
))


def _where_kernel(x):
    if np.ndim(x) == 0:
        raise InvalidArgumentError(None, None, "WhereOp : Unhandled input dimensions: 0")
    return np.argwhere(x).astype(np.int64, copy=False)


WHERE = register(OpDef(
    "Where", inputs=["input:T=bool"],
    kernel=_where_kernel,
    infer=_typed(lambda x: [TensorSpec([None, x.shape.rank], _dt.int64)], _NUMBER + ("bool",),
                 "input"),
    grad=NOT_DIFFERENTIABLE,
))


# == Public wrappers (TF1 names, signatures and default node names) ============================


@ragged_unary
def is_finite(x, name=None):
    return IS_FINITE(x, name=name or "IsFinite")


@ragged_unary
def is_nan(x, name=None):
    return IS_NAN(x, name=name or "IsNan")


@ragged_unary
def is_inf(x, name=None):
    return IS_INF(x, name=name or "IsInf")


@ragged_binary
def equal(x, y, name=None):
    return EQUAL(x, y, name=name or "Equal")


@ragged_binary
def not_equal(x, y, name=None):
    return NOT_EQUAL(x, y, name=name or "NotEqual")


@ragged_binary
def less(x, y, name=None):
    return LESS(x, y, name=name or "Less")


@ragged_binary
def less_equal(x, y, name=None):
    return LESS_EQUAL(x, y, name=name or "LessEqual")


@ragged_binary
def greater(x, y, name=None):
    return GREATER(x, y, name=name or "Greater")


@ragged_binary
def greater_equal(x, y, name=None):
    return GREATER_EQUAL(x, y, name=name or "GreaterEqual")


@ragged_binary
def logical_and(x, y, name=None):
    return LOGICAL_AND(x, y, name=name or "LogicalAnd")


@ragged_binary
def logical_or(x, y, name=None):
    return LOGICAL_OR(x, y, name=name or "LogicalOr")


@ragged_unary
def logical_not(x, name=None):
    return LOGICAL_NOT(x, name=name or "LogicalNot")


@ragged_binary
def logical_xor(x, y, name="LogicalXor"):
    """``(x | y) & ~(x & y)``, composed from three ops as TensorFlow does."""
    return logical_and(logical_or(x, y), logical_not(logical_and(x, y)), name=name)


def where(condition, x=None, y=None, name=None):
    """TF1 ``tf.where``: with ``x`` and ``y``, Select (``condition`` of their shape, a scalar, or
    a vector picking rows); without, the coordinates of the true elements (Where, int64)."""
    if x is None and y is None:
        with _scope(name, "Where", (condition,)) as scope:
            condition = convert_to_tensor(condition, preferred_dtype=_dt.bool, name="condition")
            return WHERE(condition, name=scope)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    return SELECT(condition, x, y, name=name or "Select")


def where_v2(condition, x=None, y=None, name=None):
    """``tf.where_v2``: SelectV2 (condition, x and y broadcast together), or Where."""
    if x is None and y is None:
        return WHERE(condition, name=name or "Where")
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    return SELECT_V2(condition, x, y, name=name or "SelectV2")
