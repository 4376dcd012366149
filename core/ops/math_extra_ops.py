"""TensorFlow 1.x math ops beyond the basic families: inverse and hyperbolic trigonometry (Acos,
Asin, Atan, Acosh, Asinh, Atanh, Sinh, Cosh), Expm1, Rint, the inverse error functions (Erfinv,
Ndtri); the binary Atan2, Xlogy, Xdivy, Xlog1py, TruncateDiv, TruncateMod and MulNoNan; the
reduction EuclideanNorm and the scan CumulativeLogsumexp; then their public TF1 wrappers.

Composites TF writes in Python on top of these (reciprocal_no_nan, lbeta, polyval, ...) are in
core/math_extra.py."""

from __future__ import annotations

import math

import numpy as np

from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register
from ..ragged_dispatch import ragged_binary, ragged_unary
from . import array_ops
from ._math_util import (_FLOAT, _FLOAT_C, _INTS, _NUMBER, LIBM_F32, _broadcasting, _dims,
                         _scope, _silence_float_warnings, _typed, _unary)
from ._util import broadcast_infer
from .logic_ops import greater, less, not_equal, where_v2
from .complex_ops import conj
from .math_ops import _check_int_divisor, cast, sum_to_operand
from .reduction_ops import (_axes_tuple, _axis_arg, _may_reduce_to_scalar, _reduce_infer,
                            _with_kept_dims)
from .unary_ops import exp, log, reciprocal, sqrt, square

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
# erfinv, ndtri, xlogy, xdivy, xlog1py, multiply_no_nan, reduce_euclidean_norm and
# cumulative_logsumexp are only under tf.math in TF1 (core/math.py).
__all__ = [
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cosh", "expm1", "rint", "sinh",
    "truncatediv", "truncatemod",
]

_silence_float_warnings(__name__)


def _one_minus_square(x):
    return 1 - square(x)


# -- Inverse and hyperbolic trigonometry, Expm1, Rint ---------------------------------------------
# The kernels are lambdas of this module so its warnings filter silences numpy's nan/inf noise.

# TF's rules conjugate the derivative for complex inputs (conj is no op for real ones, so real
# graphs are unchanged).
def _inv_sqrt_one_minus_square(x):
    return reciprocal(sqrt(_one_minus_square(conj(x))))


ACOS = _unary("Acos", lambda x: np.arccos(x),
              lambda op, dy: [-dy * _inv_sqrt_one_minus_square(op.inputs[0])],
              allowed=_FLOAT_C)
ASIN = _unary("Asin", lambda x: np.arcsin(x),
              lambda op, dy: [dy * _inv_sqrt_one_minus_square(op.inputs[0])],
              allowed=_FLOAT_C, half=LIBM_F32)
ATAN = _unary("Atan", lambda x: np.arctan(x),
              lambda op, dy: [dy * reciprocal(1 + square(conj(op.inputs[0])))],
              allowed=_FLOAT_C, half=LIBM_F32)
SINH = _unary("Sinh", lambda x: np.sinh(x), lambda op, dy: [dy * conj(cosh(op.inputs[0]))],
              allowed=_FLOAT_C)
COSH = _unary("Cosh", lambda x: np.cosh(x), lambda op, dy: [dy * conj(sinh(op.inputs[0]))],
              allowed=_FLOAT_C, half=LIBM_F32)
# The inverse hyperbolics differentiate through their output, as TF's rules do.
ASINH = _unary("Asinh", lambda x: np.arcsinh(x),
               lambda op, dy: [dy / conj(cosh(op.outputs[0]))], allowed=_FLOAT_C)
ACOSH = _unary("Acosh", lambda x: np.arccosh(x),
               lambda op, dy: [dy / conj(sinh(op.outputs[0]))], allowed=_FLOAT_C)
ATANH = _unary("Atanh", lambda x: np.arctanh(x),
               lambda op, dy: [dy * reciprocal(_one_minus_square(conj(op.inputs[0])))],
               allowed=_FLOAT_C)
EXPM1 = _unary("Expm1", lambda x: np.expm1(x), lambda op, dy: [dy * conj(exp(op.inputs[0]))],
               allowed=_FLOAT_C, half=LIBM_F32)
# np.rint rounds half to even, as TF's Rint; TF's gradient for it is None.
RINT = _unary("Rint", lambda x: np.rint(x), NOT_DIFFERENTIABLE, allowed=_FLOAT)


# -- Erfinv / Ndtri --------------------------------------------------------------------------------
#
# numpy has neither. Both are computed in float64 from ndtri on (0, 0.5]: Acklam's rational
# approximation (relative error below 1.2e-9) polished by Halley steps on the normal CDF, which
# the standard library's erfc gives to full precision; erfinv near 0 is polished on erf itself so
# tiny arguments keep their relative precision.

_ACKLAM_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_ACKLAM_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
             6.680131188771972e+01, -1.328068155288572e+01, 1.0)
_ACKLAM_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_ACKLAM_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
             3.754408661907416e+00, 1.0)
_ACKLAM_SPLIT = 0.02425  # below it the tail form is used
_SQRT_2PI = math.sqrt(2 * math.pi)
_erf = np.frompyfunc(math.erf, 1, 1)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def _horner(coeffs, t):
    acc = np.zeros_like(t)
    for c in coeffs:
        acc = acc * t + c
    return acc


def _ndtri_lower(p):
    """ndtri of float64 ``p`` in (0, 0.5]."""
    tail = p < _ACKLAM_SPLIT
    q = np.sqrt(-2 * np.log(np.where(tail, p, 0.5)))
    r = (p - 0.5) ** 2
    z = np.where(tail, _horner(_ACKLAM_C, q) / _horner(_ACKLAM_D, q),
                 (p - 0.5) * _horner(_ACKLAM_A, r) / _horner(_ACKLAM_B, r))
    for _ in range(2):
        e = 0.5 * np.asarray(_erfc(-z / math.sqrt(2)), np.float64) - p
        u = e * _SQRT_2PI * np.exp(z * z / 2)
        u = np.where(np.isfinite(u), u, 0)  # exp overflows only for subnormal p: keep z
        z = z - u / (1 + z * u / 2)
    return z


def _ndtri_f64(p):
    out = np.full(p.shape, np.nan)
    lower, upper = (p > 0) & (p <= 0.5), (p > 0.5) & (p < 1)
    out[lower] = _ndtri_lower(p[lower])
    out[upper] = -_ndtri_lower(1 - p[upper])  # 1 - p is exact for p >= 0.5
    out[p == 0] = -np.inf
    out[p == 1] = np.inf
    return out


def _erfinv_f64(x):
    a = np.abs(x)
    ok = a < 1
    z = np.full(x.shape, np.nan)
    # erfinv(x) = -ndtri((1 - |x|) / 2) / sqrt(2), exactly representable arguments for |x| >= 0.5
    z[ok] = -_ndtri_lower((1 - a[ok]) / 2) / math.sqrt(2)
    near0 = ok & (a < 0.5)
    w, t = z[near0], a[near0]
    for _ in range(3):  # Halley on erf(w) = t
        f = np.asarray(_erf(w), np.float64) - t
        w = w - f / (2 / math.sqrt(math.pi) * np.exp(-w * w) + w * f)
    z[near0] = w
    z[a == 1] = np.inf
    return np.where(x < 0, -z, z)


def _in_float64(fn):
    def kernel(x):
        x = np.asarray(x)
        return fn(x.astype(np.float64)).astype(x.dtype)
    return kernel


def _erfinv_grad(op, dy):
    return [dy * (math.sqrt(math.pi) / 2) * exp(square(op.outputs[0]))]


def _ndtri_grad(op, dy):
    return [dy * _SQRT_2PI * exp(square(op.outputs[0]) / 2)]


ERFINV = _unary("Erfinv", _in_float64(_erfinv_f64), _erfinv_grad, allowed=_FLOAT)
NDTRI = _unary("Ndtri", _in_float64(_ndtri_f64), _ndtri_grad, allowed=_FLOAT)


# -- Binary ops ------------------------------------------------------------------------------------


def _binary_op(type_, kernel, grad, allowed, names=("x", "y")):
    return register(OpDef(type_, inputs=[f"{names[0]}:T", f"{names[1]}:T"],
                          kernel=_broadcasting(kernel),
                          infer=_typed(broadcast_infer, allowed, names[0]), grad=grad))


def _reduced(gx, gy):
    """The gradients of a broadcasting binary op's operands, each summed back to its shape."""
    def grad(op, dy):
        x, y = op.inputs
        return [sum_to_operand(gx(op, dy), x, y), sum_to_operand(gy(op, dy), y, x)]
    return grad


def _atan2_grad(op, dy):
    y, x = op.inputs
    grad_inv = dy / (square(y) + square(x))
    return [sum_to_operand(x * grad_inv, y, x), sum_to_operand(-y * grad_inv, x, y)]


ATAN2 = _binary_op("Atan2", lambda y, x: np.arctan2(y, x), _atan2_grad, _FLOAT, ("y", "x"))

_XY_TYPES = ("float16", "bfloat16", "float32", "float64", "complex64", "complex128")


def _x_times(fn):
    """``x * fn(y)``, or 0 wherever x is 0 whatever y is (TF's xlogy family)."""
    def kernel(x, y):
        out = np.where(x == 0, np.zeros((), x.dtype), x * fn(y))
        return out.astype(x.dtype, copy=False)
    return kernel


def _nonzero(x):
    return cast(not_equal(x, array_ops.zeros([], x.dtype)), x.dtype)


XLOGY = _binary_op("Xlogy", _x_times(np.log), _reduced(
    lambda op, dy: xlogy(_nonzero(op.inputs[0]), op.inputs[1]) * dy,
    lambda op, dy: xdivy(op.inputs[0], op.inputs[1]) * dy), _XY_TYPES)
XLOG1PY = _binary_op("Xlog1py", _x_times(np.log1p), _reduced(
    lambda op, dy: xlog1py(_nonzero(op.inputs[0]), op.inputs[1]) * dy,
    lambda op, dy: xdivy(op.inputs[0], op.inputs[1] + 1) * dy), _XY_TYPES)
XDIVY = _binary_op("Xdivy", _x_times(np.reciprocal), _reduced(
    lambda op, dy: xdivy(_nonzero(op.inputs[0]), op.inputs[1]) * dy,
    lambda op, dy: xdivy(-op.inputs[0], op.inputs[1] ** 2) * dy), _XY_TYPES)


def _truncate_div_kernel(x, y):
    _check_int_divisor(x, y)
    if x.dtype.kind == "u":
        return np.floor_divide(x, y)
    if x.dtype.kind == "i":
        q = np.floor_divide(x, y)
        # Floor and truncation differ where the quotient is negative and inexact: step up.
        return q + ((q * y != x) & ((x < 0) != (y < 0))).astype(x.dtype)
    return np.trunc(np.true_divide(x, y)).astype(x.dtype, copy=False)


def _truncate_mod_kernel(x, y):
    _check_int_divisor(x, y)
    return np.fmod(x, y)  # C's remainder: the sign of the dividend


def _truncate_mod_grad(op, dy):
    # TensorFlow registers no gradient for TruncateMod.
    raise LookupError(f"No gradient defined for operation '{op.name}' (op type: TruncateMod)")


# TF registers TruncateDiv's gradient as (None, None).
TRUNCATE_DIV = _binary_op("TruncateDiv", _truncate_div_kernel, NOT_DIFFERENTIABLE,
                          _FLOAT + _INTS + ("complex64", "complex128"))
TRUNCATE_MOD = _binary_op("TruncateMod", _truncate_mod_kernel, _truncate_mod_grad,
                          ("int32", "int64") + _FLOAT)


def _mul_no_nan_kernel(x, y):
    return np.where(y == 0, np.zeros((), x.dtype), x * y).astype(x.dtype, copy=False)


MUL_NO_NAN = _binary_op("MulNoNan", _mul_no_nan_kernel, _reduced(
    lambda op, dy: MUL_NO_NAN(dy, op.inputs[1]),
    lambda op, dy: MUL_NO_NAN(op.inputs[0], dy)), _FLOAT_C)


# -- EuclideanNorm ---------------------------------------------------------------------------------


def _euclidean_norm_kernel(x, axes, *, keep_dims):
    x = np.asarray(x)
    # TF sums x * conj(x): the real |x|^2 even for a complex x.
    sq = np.add.reduce(x * np.conj(x) if x.dtype.kind == "c" else x * x,
                       axis=_axes_tuple(x, axes), keepdims=keep_dims, dtype=x.dtype)
    if x.dtype.kind in "iu":  # TF takes the root in the integer type: truncated
        return np.sqrt(sq.astype(np.float64)).astype(x.dtype)
    return np.sqrt(sq)


def _euclidean_norm_grad(op, dy):
    # TF's rule x / (norm / dy): NaN where a norm is 0.
    out = _with_kept_dims(op, op.outputs[0])
    g = _with_kept_dims(op, dy)
    return [op.inputs[0] / (out / g), None]


EUCLIDEAN_NORM = register(OpDef(
    "EuclideanNorm", inputs=["input:T", "reduction_indices:Tidx=int32"],
    attrs={"keep_dims": False}, kernel=_euclidean_norm_kernel,
    infer=_typed(_reduce_infer, _NUMBER, "input"), grad=_euclidean_norm_grad,
))


# -- CumulativeLogsumexp ---------------------------------------------------------------------------


def _log_add_exp(acc, v):
    """TF's pairwise log-add-exp: ``max + log1p(exp(min - max))`` with max/min as C++'s
    ``std::max(acc, v)`` / ``std::min(acc, v)`` (so a NaN after a number is skipped), and the
    larger one as it is when the smaller is -inf."""
    hi = np.where(acc < v, v, acc)
    lo = np.where(v < acc, v, acc)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(lo == -np.inf, hi, hi + np.log1p(np.exp(lo - hi)))


def _cumulative_logsumexp_kernel(x, axis, *, exclusive, reverse):
    if np.ndim(axis) != 0:
        raise InvalidArgumentError(None, None, "ScanOp: axis must be a scalar, not a tensor of "
                                   f"shape {_dims(axis)}")
    x = np.asarray(x)
    nd, a = x.ndim, int(axis)
    if not -nd <= a < nd:
        raise InvalidArgumentError(None, None, f"ScanOp: Expected scan axis in the range "
                                   f"[{-nd}, {nd}), but got {a}")
    moved = np.moveaxis(x, a % nd, 0)
    order = range(moved.shape[0] - 1, -1, -1) if reverse else range(moved.shape[0])
    out = np.empty_like(moved)
    acc = np.full(moved.shape[1:], -np.inf, x.dtype)
    for i in order:  # one vectorised step per position along the axis
        if exclusive:
            out[i] = acc
        acc = _log_add_exp(acc, moved[i]).astype(x.dtype, copy=False)
        if not exclusive:
            out[i] = acc
    return np.ascontiguousarray(np.moveaxis(out, 0, a % nd))


def _cumulative_logsumexp_grad(op, dy):
    # TF's rule: the positive and negative parts of dy go through logs separately (stable).
    x, axis = op.inputs
    y = op.outputs[0]
    exclusive, rev = op._get_attr("exclusive"), op._get_attr("reverse")
    lowest = array_ops.constant(np.finfo(dy.dtype.as_numpy_dtype).min, dtype=dy.dtype)
    log_pos = where_v2(greater(dy, 0), log(dy), lowest)
    log_neg = where_v2(less(dy, 0), log(-dy), lowest)
    out_pos = exp(cumulative_logsumexp(log_pos - y, axis, exclusive=exclusive,
                                       reverse=not rev) + x)
    out_neg = exp(cumulative_logsumexp(log_neg - y, axis, exclusive=exclusive,
                                       reverse=not rev) + x)
    return [out_pos - out_neg, None]


CUMULATIVE_LOGSUMEXP = register(OpDef(
    "CumulativeLogsumexp", inputs=["x:T", "axis:Tidx=int32"],
    attrs={"exclusive": False, "reverse": False},
    kernel=_cumulative_logsumexp_kernel, grad=_cumulative_logsumexp_grad,
    infer=_typed(lambda x, axis, **_: [TensorSpec(x.shape, x.dtype)], _FLOAT),
))


# == Public wrappers (TF1 names, signatures and default node names) ============================


@ragged_unary
def acos(x, name=None):
    return ACOS(x, name=name or "Acos")


@ragged_unary
def asin(x, name=None):
    return ASIN(x, name=name or "Asin")


@ragged_unary
def atan(x, name=None):
    return ATAN(x, name=name or "Atan")


@ragged_unary
def acosh(x, name=None):
    return ACOSH(x, name=name or "Acosh")


@ragged_unary
def asinh(x, name=None):
    return ASINH(x, name=name or "Asinh")


@ragged_unary
def atanh(x, name=None):
    return ATANH(x, name=name or "Atanh")


@ragged_unary
def sinh(x, name=None):
    return SINH(x, name=name or "Sinh")


@ragged_unary
def cosh(x, name=None):
    return COSH(x, name=name or "Cosh")


@ragged_unary
def expm1(x, name=None):
    return EXPM1(x, name=name or "Expm1")


@ragged_unary
def rint(x, name=None):
    return RINT(x, name=name or "Rint")


@ragged_unary
def erfinv(x, name=None):
    with _scope(name, "erfinv", (x,)):
        return ERFINV(x)


@ragged_unary
def ndtri(x, name=None):
    with _scope(name, "ndtri", (x,)):
        return NDTRI(x)


@ragged_binary
def atan2(y, x, name=None):
    return ATAN2(y, x, name=name or "Atan2")


@ragged_binary
def xlogy(x, y, name=None):
    return XLOGY(x, y, name=name or "Xlogy")


@ragged_binary
def xdivy(x, y, name=None):
    with _scope(name, "xdivy", (x,)):
        return XDIVY(x, y)


@ragged_binary
def xlog1py(x, y, name=None):
    with _scope(name, "xlog1py", (x,)):
        return XLOG1PY(x, y)


@ragged_binary
def truncatediv(x, y, name=None):
    return TRUNCATE_DIV(x, y, name=name or "TruncateDiv")


@ragged_binary
def truncatemod(x, y, name=None):
    return TRUNCATE_MOD(x, y, name=name or "TruncateMod")


@ragged_binary
def multiply_no_nan(x, y, name=None):
    """``x * y``, or 0 where ``y`` is 0 even if ``x`` is NaN or infinite."""
    with _scope(name, "multiply_no_nan", (x, y)) as scope:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        return MUL_NO_NAN(x, y, name=scope)


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """sqrt(sum(x ** 2)) over ``axis`` (all axes if None); integers give a truncated root."""
    keep = bool(keepdims)
    x, axes = _axis_arg(input_tensor, axis)
    return _may_reduce_to_scalar(keep, axis, EUCLIDEAN_NORM(x, axes, keep_dims=keep,
                                                            name=name or "EuclideanNorm"))


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """log(cumsum(exp(x))) along ``axis``, computed stably by pairwise log-add-exp."""
    with _scope(name, "CumulativeLogsumexp", (x,)) as scope:
        x = convert_to_tensor(x, name="x")
        return CUMULATIVE_LOGSUMEXP(x, axis, exclusive=exclusive, reverse=reverse, name=scope)

