"""Elementwise math, comparisons and logic, reductions, scans, MatMul/BatchMatMulV2, Cast, and
the Tensor operator overloads (installed on Tensor here, as TensorFlow's math_ops does).

Ops are declared first (grouped by family), then the public TF1 wrappers, then the composite
functions TensorFlow writes in Python (clip_by_value, count_nonzero, reduce_logsumexp...).
"""

from __future__ import annotations

import contextlib
import re
import warnings

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import Tensor, _graph_of, constant_value, convert_to_tensor
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape, broadcast_shapes
from . import array_ops
from ._util import broadcast_infer, compare_infer, const_ints, normalize_axis, unary_infer

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = [
    "add", "subtract", "multiply", "negative", "square", "realdiv", "truediv", "divide",
    "cast", "reduce_sum", "reduce_mean", "matmul", "add_n",
    "floordiv", "floormod", "mod", "div", "div_no_nan", "abs", "sign", "pow", "exp", "log",
    "log1p", "sqrt", "rsqrt", "squared_difference", "reciprocal", "maximum", "minimum",
    "floor", "ceil", "round", "tanh", "sigmoid", "is_finite", "is_nan", "is_inf",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_not", "logical_xor", "where", "where_v2",
    "reduce_max", "reduce_min", "reduce_prod", "reduce_all", "reduce_any", "reduce_logsumexp",
    "count_nonzero", "argmax", "argmin", "cumsum", "cumprod", "clip_by_value", "scalar_mul",
    "to_float", "to_double", "to_int32", "to_int64",
]

# -- dtype restrictions (TensorFlow's OpDef allowed lists, in its order for the messages) -------

_FLOAT = ("bfloat16", "float16", "float32", "float64")
_FLOAT_C = _FLOAT + ("complex64", "complex128")
_REAL = ("float32", "float64", "int32", "uint8", "int16", "int8", "int64", "bfloat16", "uint16",
         "float16", "uint32", "uint64")
_NUMBER = ("float32", "float64", "int32", "uint8", "int16", "int8", "complex64", "int64",
           "qint8", "quint8", "qint32", "bfloat16", "qint16", "quint16", "uint16", "complex128",
           "float16", "uint32", "uint64")
_SIGNED = ("int8", "int16", "int32", "int64")
_INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def _check_dtype(spec: TensorSpec, allowed, param: str):
    if spec.dtype.name not in allowed:
        raise TypeError(f"Value passed to parameter '{param}' has DataType {spec.dtype.name} "
                        f"not in list of allowed values: {', '.join(allowed)}")


def _typed(infer, allowed, param="x"):
    """``infer`` preceded by TensorFlow's graph-construction dtype check of the first input."""
    def checked(first, *rest, **attrs):
        _check_dtype(first, allowed, param)
        return infer(first, *rest, **attrs)
    return checked


@contextlib.contextmanager
def _scope(name, default, values=()):
    """TF's ``with ops.name_scope(name, default, values) as scope`` on the values' graph."""
    g = _graph_of(values)
    with g.as_default(), g.name_scope(name or default) as scope:
        yield scope

# -- gradient helper: undo broadcasting ----------------------------------------------------------


def sum_to_operand(grad: Tensor, x: Tensor, other: Tensor) -> Tensor:
    """Reduces ``grad`` (shaped like ``broadcast(x, other)``) back to ``x``'s shape.

    Uses static shapes when they decide the reduction, else TensorFlow's dynamic pattern
    (Shape + BroadcastGradientArgs + Sum + Reshape).
    """
    xs, os_, gs = x.shape.as_tuple(), other.shape.as_tuple(), grad.shape.as_tuple()
    if xs is not None and os_ is not None and gs is not None:
        n = len(gs)
        lead = n - len(xs)
        other_al = (1,) * (n - len(os_)) + os_ if len(os_) < n else os_[-n:] if n else ()
        axes_ones, static = [], lead >= 0
        for i, d in enumerate(xs if static else ()):
            if d == 1:
                if gs[lead + i] != 1:
                    axes_ones.append(lead + i)
            elif d is None and other_al[lead + i] != 1:
                static = False
        if static:
            g = grad
            if axes_ones:
                g = reduce_sum(g, axes_ones, keepdims=True)
            if lead:
                g = reduce_sum(g, list(range(lead)))
            return g
    sx = array_ops.shape(x)
    rx, _ = array_ops.broadcast_gradient_args(sx, array_ops.shape(grad))
    return array_ops.reshape(reduce_sum(grad, rx), sx)


def _binary_grad(fx, fy):
    """A gradient rule for a broadcasting binary op from the two local derivatives."""
    def grad(op, dy):
        x, y = op.inputs
        gx = fx(op, dy)
        gy = fy(op, dy)
        return [None if gx is None else sum_to_operand(gx, x, y),
                None if gy is None else sum_to_operand(gy, y, x)]
    return grad


def _broadcasting(fn):
    """A binary kernel that reports mismatched shapes with TensorFlow's wording."""
    def kernel(x, y, **attrs):
        try:
            return fn(x, y, **attrs)
        except ValueError:
            try:
                np.broadcast_shapes(np.shape(x), np.shape(y))
            except ValueError:
                raise InvalidArgumentError(None, None, f"Incompatible shapes: {_dims(x)} vs. "
                                           f"{_dims(y)}") from None
            raise
    return kernel


def _binary(type_, kernel, grad, allowed=None, infer=broadcast_infer, doc="", hot=False):
    if allowed is not None:
        infer = _typed(infer, allowed)
    # Hot arithmetic (Add, Sub, Mul, RealDiv) skips the error-rewording wrapper: one Python
    # call per step matters for small graphs; the executor still reports numpy's message.
    return register(OpDef(type_, inputs=["x:T", "y:T"],
                          kernel=kernel if hot else _broadcasting(kernel),
                          infer=infer, grad=grad, doc=doc))


def _unary(type_, kernel, grad, allowed=None, infer=unary_infer):
    if allowed is not None:
        infer = _typed(infer, allowed)
    return register(OpDef(type_, inputs=["x:T"], kernel=kernel, infer=infer, grad=grad))


# inf and nan results are TensorFlow's too; numpy's RuntimeWarnings about them (overflow in exp,
# log(0), x/0...) are noise. The kernels compute them in frames of this module, so this one filter
# silences them at no per-call cost (entering np.errstate costs microseconds per call).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=re.escape(__name__) + "$")


def _quiet(fn):
    """``fn`` called from a frame of this module, so the warnings filter above applies to it."""
    def kernel(*args):
        return fn(*args)
    return kernel

# -- Binary arithmetic --------------------------------------------------------------------------


ADD = _binary("Add", np.add, _binary_grad(lambda op, dy: dy, lambda op, dy: dy), hot=True)
ADD_V2 = _binary("AddV2", np.add, _binary_grad(lambda op, dy: dy, lambda op, dy: dy), hot=True)
SUB = _binary("Sub", np.subtract, _binary_grad(lambda op, dy: dy, lambda op, dy: -dy), hot=True)
MUL = _binary("Mul", np.multiply, _binary_grad(lambda op, dy: dy * op.inputs[1],
                                               lambda op, dy: op.inputs[0] * dy), hot=True)


def _real_div_kernel(x, y):
    return np.true_divide(x, y).astype(x.dtype, copy=False)


REAL_DIV = _binary("RealDiv", _real_div_kernel, _binary_grad(
    lambda op, dy: dy / op.inputs[1],
    lambda op, dy: dy * (-op.inputs[0] / square(op.inputs[1]))), hot=True)


def _check_int_divisor(x, y):
    if x.dtype.kind in "iu" and not np.all(y):
        raise InvalidArgumentError(None, None, "Integer division by zero")


def _floor_div_kernel(x, y):
    _check_int_divisor(x, y)
    if x.dtype.kind in "iu":
        return np.floor_divide(x, y)
    return np.floor(np.true_divide(x, y))  # TF: floor(x / y), not Python's x // y


def _floor_mod_kernel(x, y):
    _check_int_divisor(x, y)
    return np.mod(x, y)  # the sign of the divisor, like TF's FloorMod


# TF registers FloorDiv's gradient as (None, None): it is not differentiable.
FLOOR_DIV = _binary("FloorDiv", _floor_div_kernel, NOT_DIFFERENTIABLE,
                    allowed=_FLOAT + _INTS + ("complex64", "complex128"))
FLOOR_MOD = _binary("FloorMod", _floor_mod_kernel, _binary_grad(
    lambda op, dy: dy,
    lambda op, dy: dy * -floordiv(op.inputs[0], op.inputs[1])),
    allowed=_INTS + _FLOAT)


def _pow_kernel(x, y):
    if x.dtype.kind == "i" and np.any(y < 0):
        raise InvalidArgumentError(None, None,
                                   "Integers to negative integer powers are not allowed")
    return np.power(x, y)


def _pow_grad(op, dy):
    x, y = op.inputs
    gx = dy * y * pow(x, y - 1)
    # d/dy x^y = x^y log(x); TF uses 0 where x <= 0 (no real log there) to avoid NaNs at x = 0.
    mask = greater(x, 0)
    safe_x = where(mask, x, array_ops.ones_like(x))
    log_x = where(mask, log(safe_x), array_ops.zeros_like(x))
    gy = dy * op.outputs[0] * log_x
    return [sum_to_operand(gx, x, y), sum_to_operand(gy, y, x)]


POW = _binary("Pow", _pow_kernel, _pow_grad, allowed=_FLOAT + _SIGNED + ("complex64",
                                                                        "complex128"))


def _max_min_grad(selector):
    """TF's Maximum/Minimum gradient: dy goes to x where selector(x, y) holds, else to y."""
    def grad(op, dy):
        x, y = op.inputs
        zeros = array_ops.zeros_like(dy)
        xmask = selector(x, y)
        return [sum_to_operand(where_v2(xmask, dy, zeros), x, y),
                sum_to_operand(where_v2(xmask, zeros, dy), y, x)]
    return grad


MAXIMUM = _binary("Maximum", np.maximum, _max_min_grad(lambda x, y: greater_equal(x, y)),
                  allowed=_FLOAT + _INTS)
MINIMUM = _binary("Minimum", np.minimum, _max_min_grad(lambda x, y: less_equal(x, y)),
                  allowed=_FLOAT + _INTS)


def _squared_difference_kernel(x, y):
    d = np.subtract(x, y)
    return np.multiply(d, d, out=d) if isinstance(d, np.ndarray) else d * d


def _squared_difference_grad(op, dy):
    x, y = op.inputs
    gx = scalar_mul(2.0, dy) * (x - y)
    return [sum_to_operand(gx, x, y), sum_to_operand(-gx, y, x)]


SQUARED_DIFFERENCE = _binary("SquaredDifference", _squared_difference_kernel,
                             _squared_difference_grad,
                             allowed=_FLOAT + ("int32", "int64", "complex64", "complex128"))


def _div_no_nan_kernel(x, y):
    zero = y == 0  # divide by 1 there instead: no x/0 is ever computed
    q = np.true_divide(x, np.where(zero, np.ones((), y.dtype), y))
    return np.where(zero, np.zeros((), x.dtype), q).astype(x.dtype, copy=False)


DIV_NO_NAN = _binary("DivNoNan", _div_no_nan_kernel, _binary_grad(
    lambda op, dy: div_no_nan(dy, op.inputs[1]),
    lambda op, dy: dy * div_no_nan(div_no_nan(-op.inputs[0], op.inputs[1]), op.inputs[1])),
    allowed=("float16", "float32", "bfloat16", "float64", "complex64", "complex128"))

# -- Unary math ---------------------------------------------------------------------------------

NEG = _unary("Neg", np.negative, lambda op, dy: [-dy])
SQUARE = _unary("Square", np.square, lambda op, dy: [dy * (2 * op.inputs[0])])
ABS = _unary("Abs", np.abs, lambda op, dy: [dy * sign(op.inputs[0])],
             allowed=_FLOAT + _SIGNED)
# TF's Sign gradient is zeros (not None): the path exists but carries nothing.
SIGN = _unary("Sign", np.sign, lambda op, dy: [array_ops.zeros_like(op.inputs[0])],
              allowed=_FLOAT + _SIGNED + ("complex64", "complex128"))
EXP = _unary("Exp", _quiet(np.exp), lambda op, dy: [dy * op.outputs[0]], allowed=_FLOAT_C)
LOG = _unary("Log", _quiet(np.log), lambda op, dy: [dy * reciprocal(op.inputs[0])],
             allowed=_FLOAT_C)
LOG1P = _unary("Log1p", _quiet(np.log1p), lambda op, dy: [dy * reciprocal(1 + op.inputs[0])],
               allowed=_FLOAT_C)
SQRT = _unary("Sqrt", _quiet(np.sqrt), lambda op, dy: [sqrt_grad(op.outputs[0], dy)],
              allowed=_FLOAT_C)


def _rsqrt_kernel(x):
    return np.reciprocal(np.sqrt(x))


RSQRT = _unary("Rsqrt", _rsqrt_kernel, lambda op, dy: [rsqrt_grad(op.outputs[0], dy)],
               allowed=_FLOAT_C)


def _reciprocal_kernel(x):
    if x.dtype.kind != "f":  # TF's OpDef allows integers but registers no kernel for them
        raise InvalidArgumentError(None, None, "No OpKernel was registered to support Op "
                                   "'Reciprocal' with these attrs: "
                                   f"[T=DT_{x.dtype.name.upper()}]")
    return np.reciprocal(x)


RECIPROCAL = _unary("Reciprocal", _reciprocal_kernel,
                    lambda op, dy: [reciprocal_grad(op.outputs[0], dy)],
                    allowed=_FLOAT + _SIGNED + ("complex64", "complex128"))
TANH = _unary("Tanh", np.tanh, lambda op, dy: [tanh_grad(op.outputs[0], dy)], allowed=_FLOAT_C)


def _sigmoid_kernel(x):
    t = np.exp(np.negative(x))
    if isinstance(t, np.ndarray):
        t += 1
        return np.reciprocal(t, out=t)
    return np.reciprocal(t + 1)


SIGMOID = _unary("Sigmoid", _sigmoid_kernel, lambda op, dy: [sigmoid_grad(op.outputs[0], dy)],
                 allowed=_FLOAT_C)
# TF registers Floor/Ceil/Round gradients as None: not differentiable.
FLOOR = _unary("Floor", np.floor, NOT_DIFFERENTIABLE, allowed=_FLOAT)
CEIL = _unary("Ceil", np.ceil, NOT_DIFFERENTIABLE, allowed=_FLOAT)
ROUND = _unary("Round", np.round, NOT_DIFFERENTIABLE,  # np.round: half to even, like TF
               allowed=_FLOAT + _SIGNED + ("complex64", "complex128"))


def _bool_unary(type_, fn):
    return _unary(type_, fn, NOT_DIFFERENTIABLE, allowed=_FLOAT,
                  infer=lambda x: [TensorSpec(x.shape, _dt.bool)])


IS_FINITE = _bool_unary("IsFinite", np.isfinite)
IS_NAN = _bool_unary("IsNan", np.isnan)
IS_INF = _bool_unary("IsInf", np.isinf)

# -- TensorFlow's gradient ops: z = f(y, dy) with y the forward output ---------------------------


def _grad_op_infer(y, dy):
    if not y.shape.is_compatible_with(dy.shape):
        raise shape_error(f"Shapes {y.shape} and {dy.shape} must be equal")
    return [TensorSpec(y.shape.merge_with(dy.shape), y.dtype)]


def _grad_op(type_, kernel, grad):
    return register(OpDef(type_, inputs=["y:T", "dy:T"], kernel=_quiet(kernel),
                          infer=_typed(_grad_op_infer, _FLOAT_C, "y"), grad=grad))


def _tanh_grad_grad(op, g):
    a, b = op.inputs
    return [g * -2.0 * b * a, tanh_grad(a, g)]


def _sigmoid_grad_grad(op, g):
    a, b = op.inputs
    gb = g * b
    return [gb - 2.0 * gb * a, sigmoid_grad(a, g)]


def _sqrt_grad_grad(op, g):
    a = op.inputs[0]
    ga = g / a
    return [-ga * op.outputs[0], 0.5 * ga]


def _rsqrt_grad_grad(op, g):
    a, b = op.inputs
    return [-1.5 * g * b * square(a), rsqrt_grad(a, g)]


def _reciprocal_grad_grad(op, g):
    a, b = op.inputs
    return [g * -2.0 * b * a, reciprocal_grad(a, g)]


TANH_GRAD = _grad_op("TanhGrad", lambda y, dy: dy * (1 - y * y), _tanh_grad_grad)
SIGMOID_GRAD = _grad_op("SigmoidGrad", lambda y, dy: dy * (y * (1 - y)), _sigmoid_grad_grad)
SQRT_GRAD = _grad_op("SqrtGrad", lambda y, dy: dy * 0.5 / y, _sqrt_grad_grad)
RSQRT_GRAD = _grad_op("RsqrtGrad", lambda y, dy: dy * (-0.5 * y * y * y), _rsqrt_grad_grad)
RECIPROCAL_GRAD = _grad_op("ReciprocalGrad", lambda y, dy: -dy * (y * y), _reciprocal_grad_grad)


def tanh_grad(y, dy, name=None):
    return TANH_GRAD(y, dy, name=name)


def sigmoid_grad(y, dy, name=None):
    return SIGMOID_GRAD(y, dy, name=name)


def sqrt_grad(y, dy, name=None):
    return SQRT_GRAD(y, dy, name=name)


def rsqrt_grad(y, dy, name=None):
    return RSQRT_GRAD(y, dy, name=name)


def reciprocal_grad(y, dy, name=None):
    return RECIPROCAL_GRAD(y, dy, name=name)

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
    out = _merge_equal(t.shape, e.shape)
    c = cond.shape
    if c.rank is None or c.rank == 0 or out.rank is None:
        if out.rank is None and c.rank is not None and c.rank > 1:
            out = c  # a condition of rank > 1 has the output's shape
        return [TensorSpec(out, t.dtype)]
    if c.rank == 1 and out.rank > 1:  # TF1: a vector picks whole rows
        d0 = _merge_equal(c, out[:1])
        return [TensorSpec(d0.as_tuple() + out.as_tuple()[1:], t.dtype)]
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


def _dims(a) -> str:
    return "[" + ",".join(str(d) for d in np.shape(a)) + "]"


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

# -- Cast ----------------------------------------------------------------------------------------


def _cast_kernel(x, *, DstT, Truncate):  # noqa: N803 - TensorFlow's attr names
    return np.asarray(x).astype(DstT.as_numpy_dtype)


def _cast_grad(op, dy):
    src = op.inputs[0].dtype
    if src.is_floating and op.get_attr("DstT").is_floating:
        return [cast(dy, src)]
    return [None]


CAST = register(OpDef(
    "Cast", inputs=["x:SrcT"], attrs={"DstT": _dt.float32, "Truncate": False},
    kernel=_cast_kernel,
    infer=lambda x, *, DstT, Truncate: [TensorSpec(x.shape, DstT)],
    grad=_cast_grad,
))
CAST.attr_defaults.pop("DstT")  # required in TensorFlow: no default

# -- Reductions ---------------------------------------------------------------------------------


def _reduction_axes(x_rank, axes_spec):
    vals = const_ints(axes_spec)
    if vals is None or x_rank is None:
        return None
    return sorted({normalize_axis(a, x_rank, "reduction axis") for a in vals})


def _reduce_infer(x, axes, *, keep_dims):
    rank = x.shape.rank
    vals = const_ints(axes)
    if vals is not None and rank is not None:
        for a in vals:
            if not -rank <= a < rank:
                raise shape_error(f"Invalid reduction dimension {a} for input with {rank} "
                                  "dimensions.")
    axes_v = _reduction_axes(rank, axes)
    if axes_v is None:
        if keep_dims and rank is not None:
            return [TensorSpec([None] * rank, x.dtype)]
        return [TensorSpec(TensorShape(None), x.dtype)]
    dims = x.shape.as_tuple()
    if keep_dims:
        out = [1 if i in axes_v else d for i, d in enumerate(dims)]
    else:
        out = [d for i, d in enumerate(dims) if i not in axes_v]
    return [TensorSpec(out, x.dtype)]


def _axes_tuple(x, axes):
    nd = x.ndim
    a = axes.tolist() if isinstance(axes, np.ndarray) else np.asarray(axes).tolist()
    if not isinstance(a, list):
        a = [a]
    out = []
    for v in a:
        if not -nd <= v < nd:
            raise InvalidArgumentError(None, None, f"Invalid reduction dimension {int(v)} for "
                                       f"input with {nd} dimensions.")
        out.append(v % nd)
    return tuple(out)


# Reductions call the ufuncs' reduce directly: np.sum & co. add microseconds of Python dispatch.
def _sum_kernel(x, axes, *, keep_dims):
    return np.add.reduce(x, axis=_axes_tuple(x, axes), keepdims=keep_dims, dtype=x.dtype)


def _mean_kernel(x, axes, *, keep_dims):
    ax = _axes_tuple(x, axes)
    if x.dtype.kind in "iu":
        n = int(np.prod([x.shape[a] for a in ax])) if ax else 1
        s = np.sum(x, axis=ax, keepdims=keep_dims, dtype=np.int64)
        return (s // max(n, 1) if n else s).astype(x.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.mean(x, axis=ax, keepdims=keep_dims, dtype=x.dtype)


def _extreme_kernel(ufunc, identity):
    def kernel(x, axes, *, keep_dims):
        ax = _axes_tuple(x, axes)
        if np.size(x) == 0:  # an empty reduction gives the identity: -inf/lowest, inf/highest
            return ufunc.reduce(x, axis=ax, keepdims=keep_dims, initial=identity(x.dtype))
        return ufunc.reduce(x, axis=ax, keepdims=keep_dims)
    return kernel


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype):
    return np.inf if dtype.kind == "f" else np.iinfo(dtype).max


def _prod_kernel(x, axes, *, keep_dims):
    return np.multiply.reduce(x, axis=_axes_tuple(x, axes), keepdims=keep_dims, dtype=x.dtype)


def _all_kernel(x, axes, *, keep_dims):
    return np.logical_and.reduce(x, axis=_axes_tuple(x, axes), keepdims=keep_dims)


def _any_kernel(x, axes, *, keep_dims):
    return np.logical_or.reduce(x, axis=_axes_tuple(x, axes), keepdims=keep_dims)


def _spec(t: Tensor) -> TensorSpec:
    return TensorSpec(t.shape, t.dtype, value_fn=lambda: constant_value(t))


def _reduced_shape_keepdims(op):
    """x's shape with the reduced axes set to 1, as a static list when no unknown dim survives
    the reduction (else None); also the static axes (None if not constant)."""
    x, axes = op.inputs
    rank = x.shape.rank
    axes_v = _reduction_axes(rank, _spec(axes))
    if axes_v is None:
        return None, None
    kept = [1 if i in axes_v else d for i, d in enumerate(x.shape.as_tuple())]
    return (None if None in kept else kept), axes_v


def _kept_dims_shape(op):
    """The reduction's output shape with the reduced dims kept as 1: a list or a Tensor."""
    kept, _ = _reduced_shape_keepdims(op)
    if kept is not None:
        return kept
    x, axes = op.inputs
    return reduced_shape(array_ops.shape(x), axes)


def _with_kept_dims(op, t, kept=None):
    """``t`` (shaped like a reduction's output) reshaped to keep the reduced dims as 1."""
    if op.get_attr("keep_dims"):
        return t
    return array_ops.reshape(t, _kept_dims_shape(op) if kept is None else kept)


def _sum_grad(op, dy):
    if op.outputs[0].shape.rank == 0 and dy.shape.rank == 0:
        g = dy  # a full reduction: the scalar gradient broadcasts as it is
    else:
        g = _with_kept_dims(op, dy)
    return [broadcast_to_shape_of(g, op.inputs[0]), None]


def reduced_shape(input_shape: Tensor, axes: Tensor) -> Tensor:
    """Dynamic ``input_shape`` with ``axes`` set to 1 (TensorFlow's ``reduced_shape``)."""
    rank = array_ops.size(input_shape)
    hit = _axes_mask(rank, axes)
    return where(hit, array_ops.ones_like(input_shape), input_shape)


def _axes_mask(rank: Tensor, axes) -> Tensor:
    """A bool vector of length ``rank``: True at the (possibly negative) ``axes``."""
    axes = floormod(cast(array_ops.reshape(axes, [-1]), _dt.int32), rank)
    return reduce_any(equal(array_ops.expand_dims(array_ops.range_(rank), 1),
                            array_ops.expand_dims(axes, 0)), axis=1)


def broadcast_to_shape_of(g: Tensor, x: Tensor) -> Tensor:
    """``g`` (x's shape with reduced dims of size 1) broadcast to x's full shape: one
    BroadcastTo, which the kernel does as a view (no copy, no multiply by ones)."""
    if g.shape.is_fully_defined() and x.shape.is_fully_defined() and g.shape == x.shape:
        return g
    return array_ops.broadcast_to(g, array_ops.shape(x))


def _mean_grad(op, dy):
    x, axes = op.inputs
    in_n = x.shape.num_elements()
    out_n = op.outputs[0].shape.num_elements()
    if in_n is not None and out_n is not None:
        factor = array_ops.constant(max(in_n // max(out_n, 1), 1), dtype=x.dtype)
    elif out_n == 1:  # a full reduction: the count is just the input's size
        factor = cast(array_ops.size(x), x.dtype)
    else:
        factor = cast(floordiv(array_ops.size(x), maximum(array_ops.size(op.outputs[0]), 1)),
                      x.dtype)
    # Scale the (small) incoming gradient before broadcasting it back to the input's shape.
    return [_sum_grad(op, dy / factor)[0], None]


def _min_or_max_grad(op, dy):
    """TF's Max/Min gradient: dy split evenly between the positions equal to the result."""
    x, axes = op.inputs
    kept = None if op.get_attr("keep_dims") else _kept_dims_shape(op)
    y = _with_kept_dims(op, op.outputs[0], kept)
    g = _with_kept_dims(op, dy, kept)
    indicators = cast(equal(y, x), dy.dtype)
    num_selected = reduce_sum(indicators, axes, keepdims=True)
    return [indicators / num_selected * g, None]


def _prod_grad(op, dy):
    """d prod / d x_i = product of all the other reduced elements, computed with exclusive
    cumulative products (as TensorFlow does) so zeros in the input are handled exactly."""
    x, axes = op.inputs
    g = _with_kept_dims(op, dy)
    static = _static_prod_axes(x, axes)
    if static is not None:
        if not static:
            return [broadcast_to_shape_of(g, x), None]
        return [g * _products_of_others(x, static), None]
    return [g * _products_of_others_dynamic(x, axes), None]


def _static_prod_axes(x, axes):
    """The reduced axes as distinct ints when known at graph construction, else None."""
    vals = const_ints(_spec(axes))
    if vals is None:
        return None
    rank = x.shape.rank
    if rank is not None:
        return sorted({normalize_axis(a, rank, "reduction axis") for a in vals})
    if all(a >= 0 for a in vals) or all(a < 0 for a in vals):
        return sorted(set(vals))  # same-sign axes are distinct axes even without the rank
    return None


def _products_of_others(x, axes):
    """For each element, the product of the other elements of its reduction group.

    Over axes a1..ak: others(x) = excl(x, a1) * excl(prod_{a1} x, a2) * ..., where excl(t, a)
    is the product along ``a`` excluding the element itself (two exclusive cumprods).
    """
    acc, t = None, x
    for a in axes:
        e = cumprod(t, a, exclusive=True) * cumprod(t, a, exclusive=True, reverse=True)
        acc = e if acc is None else acc * e
        t = reduce_prod(t, a, keepdims=True)
    return acc


def _products_of_others_dynamic(x, axes):
    """``_products_of_others`` for axes only known at run time (TF's transpose pattern)."""
    rank = array_ops.rank(x)
    hit = _axes_mask(rank, axes)
    reduced = cast(array_ops.reshape(where(hit), [-1]), _dt.int32)
    other = cast(array_ops.reshape(where(logical_not(hit)), [-1]), _dt.int32)
    perm = array_ops.concat([reduced, other], 0)
    shape = array_ops.shape(x)
    ones = array_ops.ones_like(shape)
    reduced_num = reduce_prod(where(hit, shape, ones))
    other_num = reduce_prod(where(hit, ones, shape))
    permuted = array_ops.transpose(x, perm)
    flat = array_ops.reshape(permuted, array_ops.stack([reduced_num, other_num]))
    y = cumprod(flat, 0, exclusive=True) * cumprod(flat, 0, exclusive=True, reverse=True)
    y = array_ops.reshape(y, array_ops.shape(permuted))
    return array_ops.transpose(y, array_ops.invert_permutation(perm))


def _reduction(type_, kernel, grad, allowed=None, input_spec="input:T"):
    infer = _reduce_infer if allowed is None else _typed(_reduce_infer, allowed, "input")
    return register(OpDef(
        type_, inputs=[input_spec, "reduction_indices:Tidx=int32"], attrs={"keep_dims": False},
        kernel=kernel, infer=infer, grad=grad,
    ))


SUM = _reduction("Sum", _sum_kernel, _sum_grad)
MEAN = _reduction("Mean", _mean_kernel, _mean_grad)
MAX = _reduction("Max", _extreme_kernel(np.maximum, _lowest), _min_or_max_grad, _REAL)
MIN = _reduction("Min", _extreme_kernel(np.minimum, _highest), _min_or_max_grad, _REAL)
PROD = _reduction("Prod", _prod_kernel, _prod_grad, _NUMBER)
ALL = _reduction("All", _all_kernel, NOT_DIFFERENTIABLE, input_spec="input:bool")
ANY = _reduction("Any", _any_kernel, NOT_DIFFERENTIABLE, input_spec="input:bool")

# -- ArgMax / ArgMin ----------------------------------------------------------------------------


def _arg_infer(x, dim, *, output_type):
    _check_dtype(x, _REAL + ("bool",), "input")
    if output_type.name not in ("int16", "uint16", "int32", "int64"):
        raise TypeError(f"Value passed to parameter 'output_type' has DataType "
                        f"{output_type.name} not in list of allowed values: int16, uint16, "
                        "int32, int64")
    if dim.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {dim.shape.rank}")
    rank = x.shape.rank
    if rank is None:
        return [TensorSpec(None, output_type)]
    vals = const_ints(dim)
    if vals is None:
        return [TensorSpec([None] * max(rank - 1, 0), output_type)]
    d = vals[0]
    if not -rank <= d < rank:
        raise shape_error(f"Dimension ({d}) must be in the range [{-rank}, {rank}), where "
                          f"{rank} is the number of dimensions in the input.")
    dims = x.shape.as_tuple()
    return [TensorSpec(dims[:d % rank] + dims[d % rank + 1:], output_type)]


def _arg_kernel(fn, sign):
    """ArgMax (sign 1) / ArgMin (sign -1). TF scans with a strict comparison starting from
    (index 0, the dtype's lowest/highest finite value): NaN never wins and a slice with nothing
    better than that start gives 0. numpy's NaN-first answer is corrected only when NaN occur."""
    def kernel(x, dim, *, output_type):
        if np.ndim(dim) != 0:
            raise InvalidArgumentError(None, None, "dimension must be a scalar, got shape "
                                       f"{_dims(dim)}")
        d, nd = int(dim), np.ndim(x)
        if not -nd <= d < nd:
            raise InvalidArgumentError(None, None, f"Expected dimension in the range [{-nd}, "
                                       f"{nd}), but got {d}")
        if np.shape(x)[d] == 0:
            raise InvalidArgumentError(None, None, f"Reduction axis {d} is empty in shape "
                                       f"{_dims(x)}")
        x = np.asarray(x)
        if x.dtype.kind == "f" and np.isnan(x).any():
            x = np.where(np.isnan(x), -sign * np.inf, x)
            idx = fn(x, axis=d)
            best = np.take_along_axis(x, np.expand_dims(idx, d), d).squeeze(d)
            start = np.finfo(x.dtype).min if sign > 0 else np.finfo(x.dtype).max
            idx = np.where(sign * best > sign * start, idx, 0)
        else:
            idx = fn(x, axis=d)
        return np.asarray(idx).astype(output_type.as_numpy_dtype, copy=False)
    return kernel


ARG_MAX = register(OpDef(
    "ArgMax", inputs=["input:T", "dimension:Tidx=int32"], attrs={"output_type": _dt.int64},
    kernel=_arg_kernel(np.argmax, 1), infer=_arg_infer, grad=NOT_DIFFERENTIABLE,
))
ARG_MIN = register(OpDef(
    "ArgMin", inputs=["input:T", "dimension:Tidx=int32"], attrs={"output_type": _dt.int64},
    kernel=_arg_kernel(np.argmin, -1), infer=_arg_infer, grad=NOT_DIFFERENTIABLE,
))

# -- Cumsum / Cumprod ---------------------------------------------------------------------------


def _scan_kernel(fn, identity):
    def kernel(x, axis, *, exclusive, reverse):
        if np.ndim(axis) != 0:
            raise InvalidArgumentError(None, None, "ScanOp: axis must be a scalar, not a tensor "
                                       f"of shape {_dims(axis)}")
        nd, a = np.ndim(x), int(axis)
        if not -nd <= a < nd:
            raise InvalidArgumentError(None, None, f"ScanOp: Expected scan axis in the range "
                                       f"[{-nd}, {nd}), but got {a}")
        a %= nd
        x = np.asarray(x)
        if reverse:
            x = np.flip(x, a)
        if exclusive:
            out = np.empty(x.shape, x.dtype)
            head, tail, rest = ([slice(None)] * nd for _ in range(3))
            head[a], tail[a], rest[a] = slice(0, 1), slice(1, None), slice(None, -1)
            out[tuple(head)] = identity
            fn(x[tuple(rest)], axis=a, dtype=x.dtype, out=out[tuple(tail)])
        else:
            out = fn(x, axis=a, dtype=x.dtype)
        return np.flip(out, a) if reverse else out
    return kernel


def _cumsum_grad(op, dy):
    return [cumsum(dy, op.inputs[1], exclusive=op.get_attr("exclusive"),
                   reverse=not op.get_attr("reverse")), None]


def _cumprod_grad(op, dy):
    # TF's rule (exact away from zeros; div_no_nan gives 0 where x is 0).
    x, axis = op.inputs
    ex, rev = op.get_attr("exclusive"), op.get_attr("reverse")
    prod = cumprod(x, axis, exclusive=ex, reverse=rev)
    out = cumsum(prod * dy, axis, exclusive=ex, reverse=not rev)
    return [div_no_nan(out, x), None]


def _scan(type_, kernel, grad):
    return register(OpDef(
        type_, inputs=["x:T", "axis:Tidx=int32"], attrs={"exclusive": False, "reverse": False},
        kernel=kernel, grad=grad,
        infer=_typed(lambda x, axis, **_: [TensorSpec(x.shape, x.dtype)], _NUMBER),
    ))


CUMSUM = _scan("Cumsum", _scan_kernel(np.cumsum, 0), _cumsum_grad)
CUMPROD = _scan("Cumprod", _scan_kernel(np.cumprod, 1), _cumprod_grad)

# -- MatMul / BatchMatMulV2 ---------------------------------------------------------------------


def _matmul_infer(a, b, *, transpose_a, transpose_b):
    for s, n in ((a, "a"), (b, "b")):
        if s.shape.rank not in (None, 2):
            raise shape_error(f"Shape must be rank 2 but is rank {s.shape.rank} for input {n}")
    ad = a.shape.as_tuple() or (None, None)
    bd = b.shape.as_tuple() or (None, None)
    m, k1 = (ad[1], ad[0]) if transpose_a else ad
    k2, n = (bd[1], bd[0]) if transpose_b else bd
    if k1 is not None and k2 is not None and k1 != k2:
        raise shape_error(f"Dimensions must be equal, but are {k1} and {k2}")
    return [TensorSpec([m, n], a.dtype)]


def _matmul_kernel(a, b, *, transpose_a, transpose_b):
    if transpose_a:
        a = a.T
    if transpose_b:
        b = b.T
    if a.shape[1] != b.shape[0]:
        raise InvalidArgumentError(None, None, f"Matrix size-incompatible: In[0]: "
                                   f"{list(a.shape)}, In[1]: {list(b.shape)}")
    return np.matmul(a, b)


def _matmul_grad(op, dy):
    a, b = op.inputs
    ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    if not ta and not tb:
        return [matmul(dy, b, transpose_b=True), matmul(a, dy, transpose_a=True)]
    if not ta and tb:
        return [matmul(dy, b), matmul(dy, a, transpose_a=True)]
    if ta and not tb:
        return [matmul(b, dy, transpose_b=True), matmul(a, dy)]
    return [matmul(b, dy, transpose_a=True, transpose_b=True),
            matmul(dy, a, transpose_a=True, transpose_b=True)]


MATMUL = register(OpDef(
    "MatMul", inputs=["a:T", "b:T"], attrs={"transpose_a": False, "transpose_b": False},
    kernel=_matmul_kernel, infer=_matmul_infer, grad=_matmul_grad,
))


def _batch_matmul_infer(x, y, *, adj_x, adj_y):
    _check_dtype(x, _FLOAT + ("int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                              "complex64", "complex128"), "x")
    for s in (x, y):
        if s.shape.rank is not None and s.shape.rank < 2:
            raise shape_error(f"Shape must be at least rank 2 but is rank {s.shape.rank}")
    xd, yd = x.shape.as_tuple(), y.shape.as_tuple()
    if xd is None or yd is None:
        return [TensorSpec(None, x.dtype)]
    m, k1 = (xd[-1], xd[-2]) if adj_x else (xd[-2], xd[-1])
    k2, n = (yd[-1], yd[-2]) if adj_y else (yd[-2], yd[-1])
    if k1 is not None and k2 is not None and k1 != k2:
        raise shape_error(f"Dimensions must be equal, but are {k1} and {k2}")
    try:
        batch = broadcast_shapes(TensorShape(xd[:-2]), TensorShape(yd[:-2]))
    except ValueError as e:
        raise shape_error(str(e)) from None
    return [TensorSpec(batch.as_tuple() + (m, n), x.dtype)]


def _batch_matmul_kernel(x, y, *, adj_x, adj_y):
    for i, a in enumerate((x, y)):
        if np.ndim(a) < 2:
            raise InvalidArgumentError(None, None, f"In[{i}] ndims must be >= 2: {np.ndim(a)}")
    a = np.swapaxes(x, -1, -2) if adj_x else x
    b = np.swapaxes(y, -1, -2) if adj_y else y
    if a.shape[-1] != b.shape[-2]:
        raise InvalidArgumentError(None, None, f"Matrix size-incompatible: In[0]: {_dims(x)}, "
                                   f"In[1]: {_dims(y)} {int(adj_x)} {int(adj_y)}")
    try:
        return np.matmul(a, b)
    except ValueError:
        raise InvalidArgumentError(None, None, "In[0] and In[1] must have compatible batch "
                                   f"dimensions: {_dims(x)} vs. {_dims(y)}") from None


def _batch_matmul_grad(op, dy):
    x, y = op.inputs
    ax, ay = op.get_attr("adj_x"), op.get_attr("adj_y")
    if not ax and not ay:
        gx, gy = matmul(dy, y, adjoint_b=True), matmul(x, dy, adjoint_a=True)
    elif not ax:
        gx, gy = matmul(dy, y), matmul(dy, x, adjoint_a=True)
    elif not ay:
        gx, gy = matmul(y, dy, adjoint_b=True), matmul(x, dy)
    else:
        gx = matmul(y, dy, adjoint_a=True, adjoint_b=True)
        gy = matmul(dy, x, adjoint_a=True, adjoint_b=True)
    # Broadcast batch dims are summed away; the matrix dims already match the operand's.
    return [sum_to_operand(gx, x, gx), sum_to_operand(gy, y, gy)]


# TF 2.x also has grad_x/grad_y (false by default); like MatMul's grad_a/grad_b they are left out
# so our GraphDefs stay loadable by TF 1.x, which rejects unknown attrs.
BATCH_MATMUL_V2 = register(OpDef(
    "BatchMatMulV2", inputs=["x:T", "y:T"], attrs={"adj_x": False, "adj_y": False},
    kernel=_batch_matmul_kernel, infer=_batch_matmul_infer, grad=_batch_matmul_grad,
))

# -- AddN ---------------------------------------------------------------------------------------


def _add_n_infer(inputs):
    shape = inputs[0].shape
    for s in inputs[1:]:
        if not shape.is_compatible_with(s.shape):
            raise shape_error(f"Shapes must be equal: {shape} and {s.shape}")
        shape = shape.merge_with(s.shape)
    return [TensorSpec(shape, inputs[0].dtype)]


def _add_n_kernel(inputs):
    out = np.asarray(np.add(inputs[0], inputs[1])) if len(inputs) > 1 else \
        np.array(inputs[0])  # asarray: np.add of 0-d arrays gives a scalar, not a buffer
    for x in inputs[2:]:
        np.add(out, x, out=out)
    return out


ADD_N = register(OpDef(
    "AddN", inputs=["inputs:N*T"],
    kernel=_add_n_kernel, infer=_add_n_infer,
    grad=lambda op, dy: [dy] * len(op.inputs),
))

# == Public wrappers (TF1 names, signatures and default node names) ============================


def add(x, y, name=None):
    return ADD_V2(x, y, name=name or "Add")


def subtract(x, y, name=None):
    return SUB(x, y, name=name or "Sub")


def multiply(x, y, name=None):
    return MUL(x, y, name=name or "Mul")


def negative(x, name=None):
    return NEG(x, name=name)


def square(x, name=None):
    return SQUARE(x, name=name)


def realdiv(x, y, name=None):
    return REAL_DIV(x, y, name=name)


def truediv(x, y, name=None):
    """``x / y``: RealDiv; integer operands are first cast to float (float64 for 32/64-bit)."""
    with _scope(name, "truediv", (x, y)) as scope:
        x_t = x if isinstance(x, Tensor) else None
        y_t = y if isinstance(y, Tensor) else None
        if x_t is None:
            x_t = convert_to_tensor(x, dtype=_tensor_dtype(y), name="x")
        if y_t is None:
            y_t = convert_to_tensor(y, dtype=x_t.dtype, name="y")
        if x_t.dtype.is_integer:
            target = _dt.float32 if x_t.dtype in (_dt.int8, _dt.int16, _dt.uint8) else \
                _dt.float64
            x_t, y_t = cast(x_t, target), cast(y_t, target)
        return REAL_DIV(x_t, y_t, name=scope)


def _tensor_dtype(v):
    return v.dtype if isinstance(v, Tensor) else None


divide = truediv


def floordiv(x, y, name=None):
    return FLOOR_DIV(x, y, name=name or "floordiv")


def floormod(x, y, name=None):
    return FLOOR_MOD(x, y, name=name or "FloorMod")


mod = floormod


def div(x, y, name=None):
    """TF1 ``tf.div``: floor division for integers, true division (RealDiv) for floats."""
    with _scope(name, "div", (x, y)) as scope:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, dtype=x.dtype, name="y")
        if x.dtype.is_floating:
            return REAL_DIV(x, y, name=scope)
        return FLOOR_DIV(x, y, name=scope)


def div_no_nan(x, y, name=None):
    """``x / y``, or 0 where ``y`` is 0."""
    with _scope(name, "div_no_nan", (x, y)) as scope:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, dtype=x.dtype, name="y")
        return DIV_NO_NAN(x, y, name=scope)


def abs(x, name=None):  # noqa: A001 - TensorFlow's public name
    return ABS(x, name=name or "Abs")


def sign(x, name=None):
    return SIGN(x, name=name or "Sign")


def pow(x, y, name=None):  # noqa: A001 - TensorFlow's public name
    return POW(x, y, name=name or "Pow")


def exp(x, name=None):
    return EXP(x, name=name or "Exp")


def log(x, name=None):
    return LOG(x, name=name or "Log")


def log1p(x, name=None):
    return LOG1P(x, name=name or "Log1p")


def sqrt(x, name=None):
    return SQRT(x, name=name or "Sqrt")


def rsqrt(x, name=None):
    return RSQRT(x, name=name or "Rsqrt")


def squared_difference(x, y, name=None):
    return SQUARED_DIFFERENCE(x, y, name=name or "SquaredDifference")


def reciprocal(x, name=None):
    return RECIPROCAL(x, name=name or "Reciprocal")


def maximum(x, y, name=None):
    return MAXIMUM(x, y, name=name or "Maximum")


def minimum(x, y, name=None):
    return MINIMUM(x, y, name=name or "Minimum")


def floor(x, name=None):
    return FLOOR(x, name=name or "Floor")


def ceil(x, name=None):
    return CEIL(x, name=name or "Ceil")


def round(x, name=None):  # noqa: A001 - TensorFlow's public name
    """Rounds half to even; integer tensors are returned unchanged (no op), as in TF."""
    x = convert_to_tensor(x, name="x")
    if x.dtype.is_integer:
        return x
    return ROUND(x, name=name or "Round")


def tanh(x, name=None):
    return TANH(x, name=name or "Tanh")


def sigmoid(x, name=None):
    return SIGMOID(x, name=name or "Sigmoid")


def is_finite(x, name=None):
    return IS_FINITE(x, name=name or "IsFinite")


def is_nan(x, name=None):
    return IS_NAN(x, name=name or "IsNan")


def is_inf(x, name=None):
    return IS_INF(x, name=name or "IsInf")


def equal(x, y, name=None):
    return EQUAL(x, y, name=name or "Equal")


def not_equal(x, y, name=None):
    return NOT_EQUAL(x, y, name=name or "NotEqual")


def less(x, y, name=None):
    return LESS(x, y, name=name or "Less")


def less_equal(x, y, name=None):
    return LESS_EQUAL(x, y, name=name or "LessEqual")


def greater(x, y, name=None):
    return GREATER(x, y, name=name or "Greater")


def greater_equal(x, y, name=None):
    return GREATER_EQUAL(x, y, name=name or "GreaterEqual")


def logical_and(x, y, name=None):
    return LOGICAL_AND(x, y, name=name or "LogicalAnd")


def logical_or(x, y, name=None):
    return LOGICAL_OR(x, y, name=name or "LogicalOr")


def logical_not(x, name=None):
    return LOGICAL_NOT(x, name=name or "LogicalNot")


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


def cast(x, dtype, name=None):
    dtype = _dt.as_dtype(dtype)
    x = convert_to_tensor(x)
    if x.dtype == dtype:
        return x
    return CAST(x, DstT=dtype, name=name or "Cast")


def to_float(x, name="ToFloat"):
    return cast(x, _dt.float32, name=name)


def to_double(x, name="ToDouble"):
    return cast(x, _dt.float64, name=name)


def to_int32(x, name="ToInt32"):
    return cast(x, _dt.int32, name=name)


def to_int64(x, name="ToInt64"):
    return cast(x, _dt.int64, name=name)


def scalar_mul(scalar, x, name=None):
    """``scalar * x`` for a 0-D ``scalar`` (a Mul node, the scalar first)."""
    x = convert_to_tensor(x)
    scalar = convert_to_tensor(scalar, dtype=x.dtype, name="scalar")
    if scalar.shape.rank != 0:
        raise ValueError(f"The input scalar must be a 0-D value. Received shape {scalar.shape}.")
    return MUL(scalar, x, name=name or "Mul")

# -- Reductions ---------------------------------------------------------------------------------


def _deprecated_lookup(new_name, new_value, old_name, old_value):
    if old_value is None:
        return new_value
    if new_value is not None:
        raise ValueError(f"Cannot specify both '{old_name}' and '{new_name}'.")
    return old_value


def _axis_arg(input_tensor, axis):
    """Reduction axes: ``axis``, or all axes (a Const when the rank is known, as TF does)."""
    x = convert_to_tensor(input_tensor)
    if axis is not None:
        return x, axis
    rank = x.shape.rank
    if rank is not None:
        return x, array_ops.constant(np.arange(rank, dtype=np.int32))
    return x, array_ops.range_(0, array_ops.rank(x))


def _reducer(opdef, default_name):
    def reduce(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
        axis = _deprecated_lookup("axis", axis, "reduction_indices", reduction_indices)
        keep = _deprecated_lookup("keepdims", keepdims, "keep_dims", keep_dims)
        keep = bool(keep) if keep is not None else False
        x, axes = _axis_arg(input_tensor, axis)
        return _may_reduce_to_scalar(keep, axis, opdef(x, axes, keep_dims=keep,
                                                       name=name or default_name))
    reduce.__name__ = reduce.__qualname__ = f"reduce_{default_name.lower()}"
    return reduce


def _may_reduce_to_scalar(keepdims, axis, output):
    """A full reduction without keepdims is a scalar even when the input's rank is unknown."""
    if not output.shape.is_fully_defined() and not keepdims and axis is None:
        output.set_shape([])
    return output


reduce_sum = _reducer(SUM, "Sum")
reduce_mean = _reducer(MEAN, "Mean")
reduce_max = _reducer(MAX, "Max")
reduce_min = _reducer(MIN, "Min")
reduce_prod = _reducer(PROD, "Prod")
reduce_all = _reducer(ALL, "All")
reduce_any = _reducer(ANY, "Any")


def reduce_logsumexp(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
                     keep_dims=None):
    """log(sum(exp(x))) computed stably around the (gradient-stopped) maximum, as TF does."""
    axis = _deprecated_lookup("axis", axis, "reduction_indices", reduction_indices)
    keep = _deprecated_lookup("keepdims", keepdims, "keep_dims", keep_dims)
    keep = bool(keep) if keep is not None else False
    with _scope(name, "ReduceLogSumExp", (input_tensor,)) as scope:
        raw_max = reduce_max(input_tensor, axis=axis, keepdims=True)
        my_max = array_ops.stop_gradient(SELECT_V2(is_finite(raw_max), raw_max, 0))
        result = log(reduce_sum(exp(subtract(input_tensor, my_max)), axis=axis, keepdims=keep))
        if not keep:
            # gen_array_ops.shape in TF: a Shape node even for a fully known shape
            my_max = array_ops.reshape(my_max, array_ops.SHAPE(result, out_type=_dt.int32))
        return _may_reduce_to_scalar(keep, axis, add(result, my_max, name=scope))


def count_nonzero(input_tensor=None, axis=None, keepdims=None, dtype=_dt.int64, name=None,
                  reduction_indices=None, keep_dims=None, input=None):  # noqa: A002
    """The number of non-zero elements along ``axis`` (NotEqual, Cast to int64, Sum)."""
    input_tensor = _deprecated_lookup("input", input, "input_tensor", input_tensor)
    axis = _deprecated_lookup("axis", axis, "reduction_indices", reduction_indices)
    keep = _deprecated_lookup("keepdims", keepdims, "keep_dims", keep_dims)
    with _scope(name, "count_nonzero", (input_tensor,)):
        x = convert_to_tensor(input_tensor, name="input")
        zero = array_ops.zeros([], dtype=x.dtype)
        nonzero = cast(not_equal(x, zero), _dt.int64)
        return cast(reduce_sum(nonzero, axis=axis, keepdims=keep), dtype)


def argmax(input, axis=None, name=None, dimension=None,  # noqa: A002 - TF's argument name
           output_type=_dt.int64):
    axis = _deprecated_lookup("axis", axis, "dimension", dimension)
    return ARG_MAX(input, 0 if axis is None else axis, output_type=_dt.as_dtype(output_type),
                   name=name or "ArgMax")


def argmin(input, axis=None, name=None, dimension=None,  # noqa: A002 - TF's argument name
           output_type=_dt.int64):
    axis = _deprecated_lookup("axis", axis, "dimension", dimension)
    return ARG_MIN(input, 0 if axis is None else axis, output_type=_dt.as_dtype(output_type),
                   name=name or "ArgMin")


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    with _scope(name, "Cumsum", (x,)) as scope:
        x = convert_to_tensor(x, name="x")
        return CUMSUM(x, axis, exclusive=exclusive, reverse=reverse, name=scope)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    with _scope(name, "Cumprod", (x,)) as scope:
        x = convert_to_tensor(x, name="x")
        return CUMPROD(x, axis, exclusive=exclusive, reverse=reverse, name=scope)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """Minimum with the upper bound, then Maximum with the lower; may not grow ``t``'s shape."""
    with _scope(name, "clip_by_value", (t, clip_value_min, clip_value_max)) as scope:
        values = convert_to_tensor(t, name="t")
        t_min = minimum(values, clip_value_max)
        values.shape.assert_is_compatible_with(t_min.shape)
        t_max = maximum(t_min, clip_value_min, name=scope)
        values.shape.assert_is_compatible_with(t_max.shape)
        return t_max

# -- MatMul ---------------------------------------------------------------------------------------


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, name=None):
    """MatMul for matrices; BatchMatMulV2 (adj_x/adj_y) when either rank is > 2 or unknown."""
    for t, adj, s in ((transpose_a, adjoint_a, "a"), (transpose_b, adjoint_b, "b")):
        if t and adj:
            raise ValueError(f"Only one of `transpose_{s}` and `adjoint_{s}` can be True. "
                             f"Received `transpose_{s}`={t}, `adjoint_{s}`={adj}.")
    with _scope(name, "MatMul", (a, b)) as scope:
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, preferred_dtype=a.dtype, name="b")
        ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)
        if any(r is None or r > 2 for r in (a.shape.rank, b.shape.rank)):
            return BATCH_MATMUL_V2(a, b, adj_x=ta, adj_y=tb, name=scope)
        return MATMUL(a, b, transpose_a=ta, transpose_b=tb, name=scope)


def add_n(inputs, name=None):
    """Sum of a list of tensors of one shape and dtype."""
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError("inputs must be a non-empty list of tensors")
    if len(inputs) == 1 and name is None:
        return array_ops.identity(inputs[0])
    return ADD_N(list(inputs), name=name or "AddN")

# -- Tensor operators ---------------------------------------------------------------------------


def _install_operators():
    """Python operators as TF1 defines them: binary operators open a lowercase scope ("add",
    "floordiv", "mod", "pow", "and", "xor", "matmul") that names the op, with Python operands
    converted inside it ("add/y", reversed "sub/x"); comparisons name their op "Less" etc.
    ``==``/``!=`` stay identity comparisons (TF1)."""
    def binary(fn, scope_name, reverse):
        def method(self, other):
            g = self.graph
            with g.as_default(), g.name_scope(scope_name) as scope:
                if not isinstance(other, Tensor) and not hasattr(other, "_as_tensor"):
                    other = convert_to_tensor(other, preferred_dtype=self.dtype,
                                              name="x" if reverse else "y")
                return fn(other, self, name=scope) if reverse else fn(self, other, name=scope)
        return method

    table = {
        "add": (add, "add"), "sub": (subtract, "sub"), "mul": (multiply, "mul"),
        "truediv": (truediv, "truediv"), "floordiv": (floordiv, "floordiv"),
        "mod": (floormod, "mod"), "pow": (pow, "pow"), "matmul": (matmul, "matmul"),
        "and": (logical_and, "and"), "or": (logical_or, "or"), "xor": (logical_xor, "xor"),
    }
    for name, (fn, scope_name) in table.items():
        setattr(Tensor, f"__{name}__", binary(fn, scope_name, False))
        setattr(Tensor, f"__r{name}__", binary(fn, scope_name, True))
    Tensor.__lt__ = lambda self, other: less(self, other)
    Tensor.__le__ = lambda self, other: less_equal(self, other)
    Tensor.__gt__ = lambda self, other: greater(self, other)
    Tensor.__ge__ = lambda self, other: greater_equal(self, other)
    Tensor.__neg__ = lambda self: negative(self)
    Tensor.__abs__ = lambda self: abs(self)
    Tensor.__invert__ = lambda self: logical_not(self)


_install_operators()
