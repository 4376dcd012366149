"""Ops of TF 1.x's older versions that its GraphDefs still hold: Inv / InvGrad (now Reciprocal),
Div and Mod (now RealDiv / FloorDiv / TruncateMod), Concat (ConcatV2 with the axis first),
BiasAddV1 (BiasAdd without data_format) and ApproximateEqual. Each reuses the kernel of the op
that replaced it, so imported graphs run as TF runs them. (MatrixDiag, MatrixDiagPart and
MatrixSetDiag, the v1 diagonal ops, are in diag_ops.py beside their V3.)"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ._math_util import _FLOAT, _INTS, _SIGNED, _silence_float_warnings, _typed, _unary
from .concat_split_ops import _concat_infer, _concat_kernel, _split_like
from .math_extra_ops import _binary_op, _truncate_div_kernel, _truncate_mod_kernel
from .math_ops import sum_to_operand
from .nn_ops import _bias_add_infer, _bias_add_kernel
from .reduction_ops import reduce_sum
from .unary_ops import _cj, _grad_op, _reciprocal_grad_grad, reciprocal_grad

_silence_float_warnings(__name__)  # 1/0 is inf, as in TF


def _inv_kernel(x):
    if x.dtype.kind != "f":  # as Reciprocal: the OpDef allows integers, no kernel takes them
        raise InvalidArgumentError(None, None, "No OpKernel was registered to support Op 'Inv' "
                                   f"with these attrs: [T=DT_{x.dtype.name.upper()}]")
    return np.reciprocal(x)


INV = _unary("Inv", _inv_kernel, lambda op, dy: [reciprocal_grad(op.outputs[0], dy)],
             allowed=_FLOAT + _SIGNED)
INV_GRAD = _grad_op("InvGrad", lambda y, dy: np.where(dy == 0, 0, -dy * _cj(y * y)),
                    _reciprocal_grad_grad)  # ReciprocalGrad's kernel and rule, as in TF


def _div_kernel(x, y):
    """Real division for floats; C's truncating division for integers (an error on 0)."""
    if x.dtype.kind in "iu":
        return _truncate_div_kernel(x, y)
    return np.true_divide(x, y).astype(x.dtype, copy=False)


def _div_grad(op, dy):
    x, y = op.inputs
    return [sum_to_operand(dy / y, x, y), sum_to_operand(dy * ((-x / y) / y), y, x)]


DIV = _binary_op("Div", _div_kernel, _div_grad, _FLOAT + _INTS)
# C's remainder (the sign of the dividend) for integers and floats; TF has no gradient for it.
MOD = _binary_op("Mod", _truncate_mod_kernel, NO_GRADIENT, ("int32", "int64") + _FLOAT)


def _approximate_equal_kernel(x, y, *, tolerance):
    if np.shape(x) != np.shape(y):
        raise InvalidArgumentError(None, None, f"x and y must be of the same shape. x shape: "
                                   f"{list(np.shape(x))}. y shape: {list(np.shape(y))}")
    return np.abs(np.subtract(x, y)) < np.asarray(tolerance, np.asarray(x).dtype)


def _approximate_equal_infer(x, y, *, tolerance):
    if not x.shape.is_compatible_with(y.shape):
        raise shape_error(f"Shapes {x.shape} and {y.shape} are incompatible")
    return [TensorSpec(x.shape.merge_with(y.shape), _dt.bool)]


APPROXIMATE_EQUAL = register(OpDef(
    "ApproximateEqual", inputs=["x:T", "y:T"], attrs={"tolerance": 1e-5},
    kernel=_approximate_equal_kernel,
    infer=_typed(_approximate_equal_infer, _FLOAT, "x"), grad=NOT_DIFFERENTIABLE,
))

CONCAT = register(OpDef(
    "Concat", inputs=["concat_dim:int32", "values:N*T"],
    kernel=lambda concat_dim, values: _concat_kernel(values, concat_dim),
    infer=lambda concat_dim, values: _concat_infer(values, concat_dim),
    grad=lambda op, dy: [None] + _split_like(dy, op.inputs[1:], op.inputs[0]),
))


def _bias_add_v1_grad(op, dy):
    rank = dy.shape.rank
    axes = list(range(rank - 1)) if rank is not None else None
    if axes is None:
        from .array_ops import range_
        from .array_ops import rank as rank_of

        axes = range_(0, rank_of(dy) - 1)
    return [dy, reduce_sum(dy, axes)]


BIAS_ADD_V1 = register(OpDef(
    "BiasAddV1", inputs=["value:T", "bias:T"],
    kernel=lambda value, bias: _bias_add_kernel(value, bias, data_format="NHWC"),
    infer=lambda value, bias: _bias_add_infer(value, bias, data_format="NHWC"),
    grad=_bias_add_v1_grad,
))
