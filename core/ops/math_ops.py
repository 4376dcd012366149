"""Elementwise binary arithmetic (Add, Sub, Mul, RealDiv, FloorDiv, FloorMod, Pow, Maximum,
Minimum, SquaredDifference, DivNoNan), AddN, the gradient helper that undoes broadcasting
(``sum_to_operand``) and the Tensor operator overloads (installed on Tensor here, as TensorFlow's
math_ops does).

TensorFlow's other math ops are split by family: unary_ops (Neg, Exp, Log, Sqrt, Tanh, ...),
cast_ops (Cast and tf.cast, re-exported here), logic_ops (comparisons, logical ops,
Select/SelectV2/Where, IsFinite/IsNan/IsInf), reduction_ops (Sum, Mean, ..., ArgMax/ArgMin,
Cumsum/Cumprod) and linalg_ops (MatMul, BatchMatMulV2).

Ops are declared first, then the public TF1 wrappers, then the composite functions TensorFlow
writes in Python (clip_by_value, scalar_mul...).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import Tensor, convert_to_tensor
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ..ragged_dispatch import is_ragged, ragged_binary, ragged_unary
from . import array_ops, bitwise_ops
from ._math_util import _FLOAT, _INTS, _SIGNED, _binary, _scope, _silence_float_warnings
from .complex_ops import conj
from .linalg_ops import matmul
from .logic_ops import (greater, greater_equal, less, less_equal, logical_and, logical_not,
                        logical_or, logical_xor, not_equal, where, where_v2)
from .cast_ops import (CAST, _is_sparse, cast, to_double, to_float, to_int32,  # noqa: F401
                       to_int64)
from .unary_ops import abs, log, negative, square  # noqa: A004, F401 - TF's public names, used as math_ops.<name>

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = [
    "add", "subtract", "multiply", "realdiv", "truediv", "divide", "cast", "add_n",
    "floordiv", "floormod", "mod", "div", "div_no_nan", "pow", "squared_difference", "maximum",
    "minimum", "clip_by_value", "scalar_mul", "to_float", "to_double", "to_int32", "to_int64",
]

_silence_float_warnings(__name__)


# -- gradient helper: undo broadcasting ----------------------------------------------------------


def sum_to_operand(grad: Tensor, x: Tensor, other: Tensor) -> Tensor:
    """Reduces ``grad`` (shaped like ``broadcast(x, other)``) back to ``x``'s shape.

    Uses static shapes when they decide the reduction, else TensorFlow's dynamic pattern
    (Shape + BroadcastGradientArgs + Sum + Reshape).
    """
    from .reduction_ops import reduce_sum

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


# -- Binary arithmetic --------------------------------------------------------------------------


ADD = _binary("Add", np.add, _binary_grad(lambda op, dy: dy, lambda op, dy: dy), hot=True)
ADD_V2 = _binary("AddV2", np.add, _binary_grad(lambda op, dy: dy, lambda op, dy: dy), hot=True)
SUB = _binary("Sub", np.subtract, _binary_grad(lambda op, dy: dy, lambda op, dy: -dy), hot=True)
# For complex operands TF's gradients conjugate them (conj is no op for real ones).
MUL = _binary("Mul", np.multiply, _binary_grad(lambda op, dy: dy * conj(op.inputs[1]),
                                               lambda op, dy: conj(op.inputs[0]) * dy), hot=True)


def _real_div_kernel(x, y):
    return np.true_divide(x, y).astype(x.dtype, copy=False)


REAL_DIV = _binary("RealDiv", _real_div_kernel, _binary_grad(
    lambda op, dy: dy / conj(op.inputs[1]),
    # (-x / y) / y, as TF: -x / y**2 overflows or underflows where the quotients do not.
    lambda op, dy: dy * ((-conj(op.inputs[0]) / conj(op.inputs[1])) / conj(op.inputs[1]))),
    hot=True)


def _check_int_divisor(x, y):
    """TF's integer division kernels (FloorDiv, FloorMod, TruncateDiv, TruncateMod) fail on a
    zero divisor only when there is something to divide: an empty result is returned as is."""
    if x.dtype.kind in "iu" and not np.all(y) and \
            np.prod(np.broadcast_shapes(np.shape(x), np.shape(y)), dtype=np.int64):
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


def _small_int_power(x, y):
    """float32 ``x`` to a scalar small-integer ``y`` by multiplication in float64, rounded
    once to float32: numpy's float-exponent pow is ~100x slower. x**n for |n| <= 4 in
    float64 is within an ulp of double (x*x is exact), so the float32 rounding matches the
    correctly rounded power (TF's); 1/x**n gives pow's inf, -inf and -0.0 cases. None when
    not applicable."""
    if x.dtype != np.float32 or y.dtype != np.float32 or y.size != 1:
        return None
    n = float(y.reshape(()))
    if not -4 <= n <= 4 or n != int(n):  # NaN fails the first test
        return None
    shape = np.broadcast_shapes(x.shape, y.shape)
    n = int(n)
    if n == 0:
        return np.ones(shape, np.float32)  # x**0 is 1, even for NaN
    d = x.astype(np.float64)
    m = -n if n < 0 else n  # (this module's abs is tf.abs)
    p = d
    if m >= 2:
        p = d * d
        if m == 3:
            p = p * d
        elif m == 4:
            p = p * p
    with np.errstate(divide="ignore", over="ignore"):  # 0**-n = inf; overflow to inf
        if n < 0:
            p = np.reciprocal(p)
        return p.astype(np.float32).reshape(shape)  # y has one element: same size


def _pow_kernel(x, y):
    if x.dtype.kind == "i" and np.any(y < 0):
        raise InvalidArgumentError(None, None,
                                   "Integers to negative integer powers are not allowed")
    fast = _small_int_power(np.asarray(x), np.asarray(y))
    return np.power(x, y) if fast is None else fast


def _pow_grad(op, dy):
    x0, y0 = op.inputs
    x, y = conj(x0), conj(y0)
    gx = dy * y * pow(x, y - 1)
    # d/dy x^y = x^y log(x); TF uses 0 where x <= 0 (no real log there; for complex x where
    # x == 0) to avoid NaNs at x = 0.
    mask = not_equal(x, 0) if x.dtype.is_complex else greater(x, 0)
    safe_x = where(mask, x, array_ops.ones_like(x))
    log_x = where(mask, log(safe_x), array_ops.zeros_like(x))
    gy = dy * conj(op.outputs[0]) * log_x
    return [sum_to_operand(gx, x0, y0), sum_to_operand(gy, y0, x0)]


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


# TF's allowed list, in its order (the refusal message names it).
_MAX_MIN = _FLOAT + ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64")
MAXIMUM = _binary("Maximum", np.maximum, _max_min_grad(lambda x, y: greater_equal(x, y)),
                  allowed=_MAX_MIN)
MINIMUM = _binary("Minimum", np.minimum, _max_min_grad(lambda x, y: less_equal(x, y)),
                  allowed=_MAX_MIN)


def _squared_difference_kernel(x, y):
    d = np.subtract(x, y)
    if d.dtype.kind == "c":  # TF's: (x - y) * conj(x - y), real-valued in a complex type
        return d * np.conj(d)
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
    lambda op, dy: div_no_nan(dy, conj(op.inputs[1])),
    lambda op, dy: dy * div_no_nan(div_no_nan(-conj(op.inputs[0]), conj(op.inputs[1])),
                                   conj(op.inputs[1]))),
    allowed=("float16", "float32", "bfloat16", "float64", "complex64", "complex128"))


# -- AddN ---------------------------------------------------------------------------------------


def _add_n_infer(inputs):
    shape = inputs[0].shape
    for s in inputs[1:]:
        if not shape.is_compatible_with(s.shape):
            raise shape_error(f"Shapes must be equal: {shape} and {s.shape}")
        shape = shape.merge_with(s.shape)
    return [TensorSpec(shape, inputs[0].dtype)]


def _add_n_kernel(inputs):
    shape = np.shape(inputs[0])
    for i, x in enumerate(inputs):
        if np.shape(x) != shape:  # np.add would broadcast; AddN does not
            raise InvalidArgumentError(None, None, f"Inputs to operation AddN must have the "
                                       f"same size and shape.  Input 0: {list(shape)} != "
                                       f"input {i}: {list(np.shape(x))}")
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


@ragged_binary
def add(x, y, name=None):
    # As TF's math_ops.add: strings concatenate with Add (AddV2 has no string kernel in TF,
    # so a GraphDef with a string AddV2 would not import there).
    op = ADD if _is_string(x) or _is_string(y) else ADD_V2
    return op(x, y, name=name or "Add")


def _is_string(v) -> bool:
    """Whether ``v`` (a tensor, a variable, or a Python or numpy value) holds strings."""
    dtype = getattr(v, "dtype", None)
    if dtype is not None and hasattr(dtype, "as_datatype_enum"):  # a minitf dtype
        return dtype.name == "string"
    if isinstance(v, (str, bytes)):
        return True
    try:
        kind = np.asarray(v).dtype.kind
    except (TypeError, ValueError):
        return False
    return kind in "SU" or (kind == "O" and np.asarray(v).size > 0 and
                            isinstance(np.asarray(v).flat[0], (str, bytes)))


@ragged_binary
def subtract(x, y, name=None):
    return SUB(x, y, name=name or "Sub")


@ragged_binary
def multiply(x, y, name=None):
    return MUL(x, y, name=name or "Mul")


@ragged_binary
def realdiv(x, y, name=None):
    return REAL_DIV(x, y, name=name)


# TF's _TRUEDIV_TABLE: the float type integers are divided in by ``/`` (truediv), div_no_nan
# and a SparseTensor's ``/``; None: divided in their own type. Other dtypes are refused.
TRUEDIV_TABLE = {
    "uint8": _dt.float32, "int8": _dt.float32, "uint16": _dt.float32, "int16": _dt.float32,
    "uint32": _dt.float64, "int32": _dt.float64, "uint64": _dt.float64, "int64": _dt.float64,
    "bfloat16": None, "float16": None, "float32": None, "float64": None, "complex64": None,
    "complex128": None,
}


def truediv_dtype(dtype, what: str = "__truediv__"):
    """The dtype ``/`` divides ``dtype`` values in (TF's TypeError for one it cannot)."""
    try:
        to = TRUEDIV_TABLE[dtype.base_dtype.name]
    except KeyError:
        listed = ", ".join(f"tf.{n}" for n in TRUEDIV_TABLE)
        raise TypeError(f"Invalid dtype {dtype.base_dtype!r} in {what}. Expected one of "
                        f"{{{listed}}}.") from None
    return dtype.base_dtype if to is None else to


def as_truediv_operands(x_t, y_t, what):
    """Two tensors of one dtype, cast to the type ``/`` divides it in (TF's checks)."""
    if x_t.dtype.base_dtype != y_t.dtype.base_dtype:  # TF's check (no silent promotion)
        raise TypeError(f"`x` and `y` must have the same dtype, got "
                        f"{x_t.dtype.base_dtype!r} != {y_t.dtype.base_dtype!r}.")
    target = truediv_dtype(x_t.dtype, what)
    if target != x_t.dtype.base_dtype:
        x_t, y_t = cast(x_t, target), cast(y_t, target)
    return x_t, y_t


@ragged_binary
def truediv(x, y, name=None):
    """``x / y``: RealDiv; integer operands are first cast to float (TF's table)."""
    with _scope(name, "truediv", (x, y)) as scope:
        x_t = x if isinstance(x, Tensor) else None
        y_t = y if isinstance(y, Tensor) else None
        if x_t is None:
            x_t = convert_to_tensor(x, dtype=_tensor_dtype(y), name="x")
        if y_t is None:
            y_t = _hinted(y, x_t.dtype, "y")
        x_t, y_t = as_truediv_operands(x_t, y_t, "__truediv__")
        return REAL_DIV(x_t, y_t, name=scope)


def _hinted(value, dtype, name):
    """``value`` converted with TF's ``dtype_hint``: to ``dtype`` as numpy casts (300 beside a
    uint8 tensor is 44), else (1.5 beside an int32 one) to its own dtype, for the op to
    refuse. (convert_to_tensor's preference changes no value: see _to_numpy_preferring.)"""
    try:
        return convert_to_tensor(value, dtype=dtype, name=name)
    except (TypeError, ValueError):
        return convert_to_tensor(value, name=name)


def _tensor_dtype(v):
    return v.dtype if isinstance(v, Tensor) else None


divide = truediv


@ragged_binary
def floordiv(x, y, name=None):
    return FLOOR_DIV(x, y, name=name or "floordiv")


@ragged_binary
def floormod(x, y, name=None):
    return FLOOR_MOD(x, y, name=name or "FloorMod")


mod = floormod


@ragged_binary
def div(x, y, name=None):
    """TF1 ``tf.div``: floor division for integers, true division (RealDiv) for floats and
    complex numbers."""
    with _scope(name, "div", (x, y)) as scope:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, dtype=x.dtype, name="y")
        if x.dtype.is_floating or x.dtype.is_complex:
            return REAL_DIV(x, y, name=scope)
        return FLOOR_DIV(x, y, name=scope)


@ragged_binary
def div_no_nan(x, y, name=None):
    """``x / y``, or 0 where ``y`` is 0; integers are divided as floats, as by ``/``."""
    with _scope(name, "div_no_nan", (x, y)) as scope:
        if not _is_tensor_like(x) and _is_tensor_like(y):  # (as TF: x takes y's dtype)
            y = convert_to_tensor(y, name="y")
            x = convert_to_tensor(x, dtype=y.dtype.base_dtype, name="x")
        else:
            x = convert_to_tensor(x, name="x")
            y = _hinted(y, x.dtype.base_dtype, "y")
        x, y = as_truediv_operands(x, y, "tf.math.divide_no_nan")
        return DIV_NO_NAN(x, y, name=scope)


def _is_tensor_like(v) -> bool:
    return isinstance(v, Tensor) or hasattr(v, "_as_tensor")


@ragged_binary
def pow(x, y, name=None):  # noqa: A001 - TensorFlow's public name
    return POW(x, y, name=name or "Pow")


@ragged_binary
def squared_difference(x, y, name=None):
    return SQUARED_DIFFERENCE(x, y, name=name or "SquaredDifference")


@ragged_binary
def maximum(x, y, name=None):
    return MAXIMUM(x, y, name=name or "Maximum")


@ragged_binary
def minimum(x, y, name=None):
    return MINIMUM(x, y, name=name or "Minimum")


@ragged_unary(arg=1)
def scalar_mul(scalar, x, name=None):
    """``scalar * x`` for a 0-D ``scalar`` (a Mul node, the scalar first)."""
    x = convert_to_tensor(x)
    scalar = convert_to_tensor(scalar, dtype=x.dtype, name="scalar")
    if scalar.shape.rank != 0:
        raise ValueError(f"The input scalar must be a 0-D value. Received shape {scalar.shape}.")
    return MUL(scalar, x, name=name or "Mul")


@ragged_unary
def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """Minimum with the upper bound, then Maximum with the lower; may not grow ``t``'s shape.
    An IndexedSlices has its values clipped, row by row before any repeats add up (TF1)."""
    if _is_sparse(t):
        return t._with_values(clip_by_value(t.values, clip_value_min, clip_value_max, name))
    with _scope(name, "clip_by_value", (t, clip_value_min, clip_value_max)) as scope:
        values = convert_to_tensor(t, name="t")
        t_min = minimum(values, clip_value_max)
        values.shape.assert_is_compatible_with(t_min.shape)
        t_max = maximum(t_min, clip_value_min, name=scope)
        values.shape.assert_is_compatible_with(t_max.shape)
        return t_max


def add_n(inputs, name=None):
    """Sum of a list of tensors of one shape and dtype."""
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError("inputs must be a non-empty list of tensors")
    if len(inputs) == 1:
        # As TF: the input itself (an IndexedSlices made dense), behind an Identity only when
        # named.
        x = convert_to_tensor(inputs[0])
        return array_ops.identity(x, name=name) if name else x
    # TF converts each input on its own, outside the op's scope (Python values are Consts of
    # their own dtype: [float_tensor, [2]] is a dtype mismatch, as in TF)
    inputs = [v if isinstance(v, Tensor) or _is_sparse(v) else convert_to_tensor(v)
              for v in inputs]
    return ADD_N(inputs, name=name or "AddN")


# -- Tensor operators ---------------------------------------------------------------------------


def _install_operators():
    """Python operators as TF1 defines them: binary operators open a lowercase scope ("add",
    "floordiv", "mod", "pow", "and", "xor", "matmul") that names the op, with Python operands
    converted inside it ("add/y", reversed "sub/x"); comparisons name their op "Less" etc.
    ``==``/``!=`` stay identity comparisons (TF1)."""
    def binary(fn, scope_name, reverse):
        def method(self, other):
            if is_ragged(other):  # as TF: the RaggedTensor's reflected operator answers
                return NotImplemented
            g = self.graph
            if scope_name == "mul" and type(other).__name__ == "SparseTensor":
                # TF's _mul_dispatch: dense * sparse is the sparse-dense product, sparse
                # (as sparse * dense is); the other operators refuse a SparseTensor.
                from . import sparse_ops
                with g.as_default():
                    return sparse_ops._cwise(other, self, "mul")
            with g.as_default(), g.name_scope(scope_name) as scope:
                # A bitwise op converts a Python y itself ("and/BitwiseAnd/y"), as in TF.
                bitwise = scope_name in ("and", "or", "xor") and self.dtype.base_dtype != _dt.bool
                if not isinstance(other, Tensor) and not hasattr(other, "_as_tensor") and not (
                        bitwise and not reverse):
                    other = _hinted(other, self.dtype, "x" if reverse else "y")
                return fn(other, self, name=scope) if reverse else fn(self, other, name=scope)
        return method

    def _mul(x, y, name=None):
        # TF 2's operator (compat.v1 included): bool * bool is a logical and, built as Cast ->
        # Mul -> Cast, since Mul takes no bool; tf.multiply of bools stays a TypeError.
        if x.dtype.base_dtype == _dt.bool and getattr(y, "dtype", None) == _dt.bool:
            return cast(multiply(cast(x, _dt.int32), cast(y, _dt.int32)), _dt.bool, name=name)
        return multiply(x, y, name=name)

    def logical_or_bitwise(logical, bitwise):
        # TF 2's and_/or_/xor_: the logical op on bools, else the bitwise op, unnamed in the
        # operator's scope ("and/BitwiseAnd"); a float gets the bitwise op's TypeError.
        def fn(x, y, name=None):
            if x.dtype.base_dtype == _dt.bool:
                return logical(x, y, name=name)
            return bitwise(x, y)
        return fn

    table = {
        "add": (add, "add"), "sub": (subtract, "sub"), "mul": (_mul, "mul"),
        "truediv": (truediv, "truediv"), "floordiv": (floordiv, "floordiv"),
        "mod": (floormod, "mod"), "pow": (pow, "pow"), "matmul": (matmul, "matmul"),
        "and": (logical_or_bitwise(logical_and, bitwise_ops.BITWISE_AND), "and"),
        "or": (logical_or_bitwise(logical_or, bitwise_ops.BITWISE_OR), "or"),
        "xor": (logical_or_bitwise(logical_xor, bitwise_ops.BITWISE_XOR), "xor"),
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
    Tensor.__invert__ = lambda self: (  # TF 2's invert_: LogicalNot on bools, else Invert
        logical_not(self) if self.dtype.base_dtype == _dt.bool else bitwise_ops.INVERT(self))


_install_operators()
