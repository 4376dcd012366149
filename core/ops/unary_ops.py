"""Elementwise unary math: Neg, Square, Abs, Sign, Exp, Log, Log1p, Sqrt, Rsqrt, Reciprocal,
Tanh, Sigmoid, Floor, Ceil, Round, and the gradient ops TensorFlow uses for some of them
(TanhGrad, SigmoidGrad, SqrtGrad, RsqrtGrad, ReciprocalGrad); then the public TF1 wrappers."""

from __future__ import annotations

import numpy as np

from ..dtypes import DType
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ..ragged_dispatch import ragged_unary
from . import array_ops
from .complex_ops import complex_abs, conj
from ._math_util import (_FLOAT, _FLOAT_C, _NUMBER, _SIGNED, _scope, _silence_float_warnings,
                         LIBM_F32, _typed, _unary)

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = [
    "negative", "square", "abs", "sign", "exp", "log", "log1p", "sqrt", "rsqrt", "reciprocal",
    "floor", "ceil", "round", "tanh", "sigmoid", "sin", "cos", "tan",
]

_silence_float_warnings(__name__)


def _quiet(fn):
    """``fn`` called from a frame of this module, so the warnings filter above applies to it."""
    def kernel(*args):
        return fn(*args)
    return kernel


# -- Unary math ---------------------------------------------------------------------------------

NEG = _unary("Neg", np.negative, lambda op, dy: [-dy])
SQUARE = _unary("Square", np.square, lambda op, dy: [dy * (2 * conj(op.inputs[0]))],
                allowed=_NUMBER)  # not bool: numpy would square it into int8
ABS = _unary("Abs", np.abs, lambda op, dy: [dy * sign(op.inputs[0])],
             allowed=_FLOAT + _SIGNED)
# TF's Sign gradient is zeros (not None): the path exists but carries nothing.
SIGN = _unary("Sign", np.sign, lambda op, dy: [array_ops.zeros_like(op.inputs[0])],
              allowed=_FLOAT + _SIGNED + ("complex64", "complex128"))
# For complex x TF's gradients conjugate: dy * conj(f'(x)) (conj is no op for a real x).
EXP = _unary("Exp", _quiet(np.exp), lambda op, dy: [dy * conj(op.outputs[0])], allowed=_FLOAT_C)
LOG = _unary("Log", _quiet(np.log), lambda op, dy: [dy * reciprocal(conj(op.inputs[0]))],
             allowed=_FLOAT_C, half=np.float32)  # numpy's half log is off once
LOG1P = _unary("Log1p", _quiet(np.log1p),
               lambda op, dy: [dy * reciprocal(1 + conj(op.inputs[0]))], allowed=_FLOAT_C)
SIN = _unary("Sin", _quiet(np.sin), lambda op, dy: [dy * cos(conj(op.inputs[0]))],
             allowed=_FLOAT_C, half=LIBM_F32)
COS = _unary("Cos", _quiet(np.cos), lambda op, dy: [-dy * sin(conj(op.inputs[0]))],
             allowed=_FLOAT_C, half=LIBM_F32)
# TF's TanGrad: dy * sec(x)^2
TAN = _unary("Tan", _quiet(np.tan),
             lambda op, dy: [dy * square(reciprocal(cos(conj(op.inputs[0]))))], allowed=_FLOAT_C,
             half=LIBM_F32)
SQRT = _unary("Sqrt", _quiet(np.sqrt), lambda op, dy: [sqrt_grad(op.outputs[0], dy)],
              allowed=_FLOAT_C)


def _rsqrt_kernel(x):
    return np.reciprocal(np.sqrt(x))


# Half: TF rounds the float32 1/sqrt(x) once; numpy's half ops would round sqrt and 1/. twice.
RSQRT = _unary("Rsqrt", _rsqrt_kernel, lambda op, dy: [rsqrt_grad(op.outputs[0], dy)],
               allowed=_FLOAT_C, half=np.float32)


def _reciprocal_kernel(x):
    if x.dtype.kind not in "fc":  # TF's OpDef allows integers but registers no kernel for them
        raise InvalidArgumentError(None, None, "No OpKernel was registered to support Op "
                                   "'Reciprocal' with these attrs: "
                                   f"[T=DT_{x.dtype.name.upper()}]")
    return np.reciprocal(x)


RECIPROCAL = _unary("Reciprocal", _reciprocal_kernel,
                    lambda op, dy: [reciprocal_grad(op.outputs[0], dy)],
                    allowed=_FLOAT + _SIGNED + ("complex64", "complex128"))
# TF's Tanh and Sigmoid gradients pass conj(y) to kernels that do not conjugate (math_grad.py).
TANH = _unary("Tanh", np.tanh, lambda op, dy: [tanh_grad(conj(op.outputs[0]), dy)],
              allowed=_FLOAT_C)


def _sigmoid_half(x):
    """TF's half Sigmoid is Eigen's generic logistic, e = exp(x); e / (1 + e) (1 where e
    overflows), each step rounded to half: its results, not a once-rounded float32 sigmoid
    (exp here is the float32 exp rounded to half)."""
    e = np.exp(x.astype(np.float32)).astype(np.float16)
    with np.errstate(invalid="ignore"):
        y = e / (1 + e)
    return np.where(np.isposinf(e), np.float16(1), y)


def _sigmoid_kernel(x):
    t = np.exp(np.negative(x))
    if isinstance(t, np.ndarray):
        t += 1
        return np.reciprocal(t, out=t)
    return np.reciprocal(t + 1)


SIGMOID = _unary("Sigmoid", _sigmoid_kernel,
                 lambda op, dy: [sigmoid_grad(conj(op.outputs[0]), dy)], allowed=_FLOAT_C,
                 half=_sigmoid_half)
# TF registers Floor/Ceil/Round gradients as None: not differentiable.
FLOOR = _unary("Floor", np.floor, NOT_DIFFERENTIABLE, allowed=_FLOAT)
CEIL = _unary("Ceil", np.ceil, NOT_DIFFERENTIABLE, allowed=_FLOAT)
ROUND = _unary("Round", np.round, NOT_DIFFERENTIABLE,  # np.round: half to even, like TF
               allowed=_FLOAT + _SIGNED + ("complex64", "complex128"))


# -- TensorFlow's gradient ops: z = f(y, dy) with y the forward output ---------------------------


def _grad_op_infer(y, dy):
    if not y.shape.is_compatible_with(dy.shape):
        raise shape_error(f"Shapes {y.shape} and {dy.shape} must be equal")
    return [TensorSpec(y.shape.merge_with(dy.shape), y.dtype)]


def _grad_op(type_, kernel, grad):
    # The kernels are lambdas of this module: their warnings are silenced without _quiet.
    def checked(y, dy):  # numpy would broadcast; TF's kernels want the same shape
        if np.shape(y) != np.shape(dy):
            raise InvalidArgumentError(None, None, f"Inputs to operation {type_} must have "
                                       f"the same size and shape.  Input 0: {list(np.shape(y))}"
                                       f" != input 1: {list(np.shape(dy))}")
        return kernel(y, dy)
    return register(OpDef(type_, inputs=["y:T", "dy:T"], kernel=checked,
                          infer=_typed(_grad_op_infer, _FLOAT_C, "y"), grad=grad))


# The second-order rules are TF's (math_grad.py _TanhGradGrad ... _RsqrtGradGrad): the conjugate
# of the partial derivatives of the kernels below, the kernels called again where TF calls them.
# conj is no op for a real tensor, so real gradient graphs are as before.
def _tanh_grad_grad(op, g):
    a, b = conj(op.inputs[0]), conj(op.inputs[1])
    return [g * -2.0 * b * a, tanh_grad(a, g)]


def _sigmoid_grad_grad(op, g):
    a, b = conj(op.inputs[0]), conj(op.inputs[1])
    gb = g * b
    return [gb - 2.0 * gb * a, sigmoid_grad(a, g)]


def _sqrt_grad_grad(op, g):
    ga = g / op.inputs[0]  # the output is 0.5 * b / conj(a)
    return [-conj(ga) * op.outputs[0], 0.5 * ga]


def _rsqrt_grad_grad(op, g):
    a, b = op.inputs  # the output is -0.5 * b * conj(a)^3
    ca, cg = conj(a), conj(g)
    return [-1.5 * cg * b * square(ca), rsqrt_grad(ca, g)]


def _reciprocal_grad_grad(op, g):
    """Also InvGrad's rule (legacy_ops.py), as in TF: the output is -b * conj(a)^2."""
    a, b = op.inputs
    ca, cg = conj(a), conj(g)
    return [cg * -2.0 * b * ca, reciprocal_grad(ca, g)]


def _cj(y):
    """The conjugate of a complex y; a real one is used as it is (no copy)."""
    return np.conj(y) if y.dtype.kind == "c" else y


# TF's CPU kernels (checked with tf.raw_ops on complex values): TanhGrad and SigmoidGrad are
# dy * f'(y) without conjugating y (their callers pass conj(y)); SqrtGrad, RsqrtGrad,
# ReciprocalGrad and InvGrad conjugate y themselves.
TANH_GRAD = _grad_op("TanhGrad", lambda y, dy: dy * (1 - y * y), _tanh_grad_grad)
SIGMOID_GRAD = _grad_op("SigmoidGrad", lambda y, dy: dy * (y * (1 - y)), _sigmoid_grad_grad)
# TF's kernels answer 0 wherever dy is 0, even where y is 0, inf or NaN (sqrt(0) with no
# gradient flowing must not make NaNs).
def _sqrt_grad_kernel(y, dy):
    z = dy * 0.5 / _cj(y)
    if y.dtype.kind == "c":  # TF's (Eigen's) complex division: NaN for a zero or infinite y
        z = np.where(np.isfinite(y) & (y != 0), z, z.dtype.type(complex(np.nan, np.nan)))
    return np.where(dy == 0, 0, z)


SQRT_GRAD = _grad_op("SqrtGrad", _sqrt_grad_kernel, _sqrt_grad_grad)
RSQRT_GRAD = _grad_op("RsqrtGrad",
                      lambda y, dy: np.where(dy == 0, 0, dy * (-0.5 * _cj(y * y * y))),
                      _rsqrt_grad_grad)
RECIPROCAL_GRAD = _grad_op("ReciprocalGrad",
                           lambda y, dy: np.where(dy == 0, 0, -dy * _cj(y * y)),
                           _reciprocal_grad_grad)


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


# == Public wrappers (TF1 names, signatures and default node names) ============================
def sparse_aware(fn):
    """TF1's unary functions that take a SparseTensor too: the op on its values, the indices
    and dense shape kept (zero maps to zero for each of them); and, as every unary elementwise
    function, a RaggedTensor (its flat_values)."""
    def wrapper(x, name=None):
        from ..sparse_tensor import SparseTensor

        if isinstance(x, SparseTensor):
            return SparseTensor(x.indices, fn(x.values, name=name), x.dense_shape)
        return fn(x, name=name)
    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return ragged_unary(wrapper)


@sparse_aware
def negative(x, name=None):
    return NEG(x, name=name)


@sparse_aware
def square(x, name=None):
    return SQUARE(x, name=name)


@sparse_aware
def abs(x, name=None):  # noqa: A001 - TensorFlow's public name
    """|x|; ComplexAbs (a real result) for a complex tensor, named "Abs" as in TF (a Python
    value becomes the Const "Abs/x")."""
    dtype = getattr(x, "dtype", None)
    if dtype.is_complex if isinstance(dtype, DType) else np.iscomplexobj(x):
        with _scope(name, "Abs", (x,)) as scope:
            return complex_abs(convert_to_tensor(x, name="x"), name=scope)
    return ABS(x, name=name or "Abs")


@sparse_aware
def sign(x, name=None):
    return SIGN(x, name=name or "Sign")


@ragged_unary
def exp(x, name=None):
    return EXP(x, name=name or "Exp")


@ragged_unary
def log(x, name=None):
    return LOG(x, name=name or "Log")


@ragged_unary
def sin(x, name=None):
    return SIN(x, name=name or "Sin")


@ragged_unary
def cos(x, name=None):
    return COS(x, name=name or "Cos")


@ragged_unary
def tan(x, name=None):
    return TAN(x, name=name or "Tan")


@ragged_unary
def log1p(x, name=None):
    return LOG1P(x, name=name or "Log1p")


@sparse_aware
def sqrt(x, name=None):
    return SQRT(x, name=name or "Sqrt")


@ragged_unary
def rsqrt(x, name=None):
    return RSQRT(x, name=name or "Rsqrt")


@ragged_unary
def reciprocal(x, name=None):
    return RECIPROCAL(x, name=name or "Reciprocal")


@ragged_unary
def floor(x, name=None):
    return FLOOR(x, name=name or "Floor")


@ragged_unary
def ceil(x, name=None):
    return CEIL(x, name=name or "Ceil")


@ragged_unary
def round(x, name=None):  # noqa: A001 - TensorFlow's public name
    """Rounds half to even; integer tensors are returned unchanged (no op), as in TF."""
    x = convert_to_tensor(x, name="x")
    if x.dtype.is_integer:
        return x
    return ROUND(x, name=name or "Round")


@sparse_aware
def tanh(x, name=None):
    return TANH(x, name=name or "Tanh")


@ragged_unary
def sigmoid(x, name=None):
    return SIGMOID(x, name=name or "Sigmoid")
