"""Complex numbers: Complex (tf.complex), Real, Imag, Angle, Conj, ComplexAbs (tf.abs of a
complex tensor) and ConjugateTranspose, with TensorFlow's gradients; then the public TF1
wrappers.

Gradients follow TF's convention for complex tensors: the gradient of a real loss L with respect
to z = x + iy is dL/dx + i dL/dy, so Real's is complex(dy, 0), Imag's complex(0, dy), and the
arithmetic ops conjugate their operands (math_ops, unary_ops and linalg_ops do so)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..graph import convert_to_tensor
from ..opdef import OpDef, TensorSpec, register, shape_error
from . import array_ops, transform_ops
from ._math_util import _broadcasting, _check_dtype, _scope
from ._util import broadcast_infer

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = ["complex", "real", "imag", "angle", "conj"]

_REALS = ("float32", "float64")
_COMPLEX = ("complex64", "complex128")
_COMPLEX_OF = {"float32": _dt.complex64, "float64": _dt.complex128}


# -- Complex: (real, imag) -> complex --------------------------------------------------------------
def _complex_kernel(real, imag, *, Tout):  # noqa: N803 - TensorFlow's attr name
    shape = np.broadcast_shapes(np.shape(real), np.shape(imag))
    out = np.empty(shape, Tout.as_numpy_dtype)
    out.real, out.imag = real, imag  # not real + 1j * imag: inf * 1j would give nan + inf j
    return out


def _complex_infer(real, imag, *, Tout):  # noqa: N803
    _check_dtype(real, _REALS, "real")
    if imag.dtype != real.dtype:
        raise TypeError(f"Input 'imag' of 'Complex' Op has type {imag.dtype.name} that does not "
                        f"match type {real.dtype.name} of argument 'real'.")
    if Tout.real_dtype != real.dtype or not Tout.is_complex:
        raise shape_error(f"Complex: Tout={Tout.name} does not match inputs of type "
                          f"{real.dtype.name} (want {_COMPLEX_OF[real.dtype.name].name})")
    return [TensorSpec(broadcast_infer(real, imag)[0].shape, Tout)]


def _complex_grad(op, dy):
    """TF's _ComplexGrad: the real part of dy to ``real``, its imaginary part to ``imag``."""
    from .math_ops import sum_to_operand

    x, y = op.inputs
    return [sum_to_operand(real(dy), x, y), sum_to_operand(imag(dy), y, x)]


COMPLEX = register(OpDef(
    "Complex", inputs=["real:T", "imag:T"], attrs={"Tout": _dt.complex64},
    kernel=_broadcasting(_complex_kernel), infer=_complex_infer, grad=_complex_grad))


# -- complex -> real: Real, Imag, Angle, ComplexAbs ------------------------------------------------
def _to_real_infer(x, *, Tout):  # noqa: N803
    _check_dtype(x, _COMPLEX, "input")
    if Tout != x.dtype.real_dtype:
        raise shape_error(f"Tout={Tout.name} is not the real type of {x.dtype.name} "
                          f"({x.dtype.real_dtype.name})")
    return [TensorSpec(x.shape, Tout)]


def _to_real(type_, fn, grad, arg="input"):
    def kernel(x, *, Tout):  # noqa: N803
        return np.asarray(fn(x), dtype=Tout.as_numpy_dtype)  # (ascontiguousarray makes 0-d 1-d)
    return register(OpDef(type_, inputs=[f"{arg}:T"], attrs={"Tout": _dt.float32},
                          kernel=kernel, infer=_to_real_infer, grad=grad))


def _as_complex(dy, like):
    """``dy`` (real) as the complex type of ``like``: complex(dy, 0)."""
    return COMPLEX(dy, array_ops.zeros_like(dy), Tout=like.dtype)


def _angle_grad(op, dy):
    """TF's _AngleGrad: -complex(dy, 0) / complex(imag(x), real(x))."""
    x = op.inputs[0]
    z = COMPLEX(imag(x), real(x), Tout=x.dtype)
    return [-_as_complex(dy, x) / z]


def _complex_abs_grad(op, dy):
    """TF's _ComplexAbsGrad: complex(dy, 0) * x / complex(|x|, 0), 0 where |x| is 0."""
    from .math_ops import div_no_nan

    x = op.inputs[0]
    return [div_no_nan(_as_complex(dy, x) * x, _as_complex(op.outputs[0], x))]


REAL = _to_real("Real", np.real, lambda op, dy: [_as_complex(dy, op.inputs[0])])
IMAG = _to_real("Imag", np.imag, lambda op, dy: [
    COMPLEX(array_ops.zeros_like(dy), dy, Tout=op.inputs[0].dtype)])
ANGLE = _to_real("Angle", np.angle, _angle_grad)
COMPLEX_ABS = _to_real("ComplexAbs", np.abs, _complex_abs_grad, arg="x")


# -- Conj, ConjugateTranspose ----------------------------------------------------------------------
def _conj_infer(x):
    _check_dtype(x, _COMPLEX + ("variant",), "input")
    return [TensorSpec(x.shape, x.dtype)]


CONJ = register(OpDef("Conj", inputs=["input:T"], kernel=np.conj, infer=_conj_infer,
                      grad=lambda op, dy: [conj(dy)]))


def _conjugate_transpose_kernel(x, perm):
    return np.conj(transform_ops.TRANSPOSE.kernel(x, perm))


def _conjugate_transpose_grad(op, dy):
    """TF's _ConjugateTransposeGrad: the conjugate transpose by the inverse permutation."""
    return [CONJUGATE_TRANSPOSE(dy, transform_ops.inverse_perm(op)), None]


CONJUGATE_TRANSPOSE = register(OpDef(
    "ConjugateTranspose", inputs=["x:T", "perm:Tperm=int32"],
    kernel=_conjugate_transpose_kernel, infer=transform_ops.TRANSPOSE.infer,
    grad=_conjugate_transpose_grad))


# == Public wrappers (TF1 names, signatures and default node names) ============================
def complex(real, imag, name=None):  # noqa: A001 - TensorFlow's public name
    """``real + i imag``: complex64 from float32 parts, complex128 from float64 parts."""
    real = convert_to_tensor(real, name="real")
    imag = convert_to_tensor(imag, name="imag")
    with _scope(name, "Complex", (real, imag)) as scope:
        if real.dtype != imag.dtype or real.dtype.name not in _REALS:
            raise TypeError(f"The `real` and `imag` components have incorrect types: "
                            f"{real.dtype.name} {imag.dtype.name}. They must be consistent, "
                            "and one of [tf.float32, tf.float64]")
        return COMPLEX(real, imag, Tout=_COMPLEX_OF[real.dtype.name], name=scope)


def _part(opdef, default, otherwise):
    """tf.real / tf.imag / tf.angle: the op for a complex tensor, ``otherwise(x)`` for a real
    one (TF adds no op there, or a composition)."""
    def wrapper(input, name=None):  # noqa: A002 - TensorFlow's argument name
        with _scope(name, default, (input,)) as scope:
            x = convert_to_tensor(input, name="input")
            if x.dtype.is_complex:
                return opdef(x, Tout=x.dtype.real_dtype, name=scope)
            return otherwise(x)
    wrapper.__name__ = default.lower()
    return wrapper


def _real_angle(x):
    """TF's angle of a real tensor: pi where it is negative, else 0."""
    from .logic_ops import where_v2

    pi = array_ops.constant(np.pi, dtype=x.dtype)
    return where_v2(x < 0, pi * array_ops.ones_like(x), array_ops.zeros_like(x))


real = _part(REAL, "Real", lambda x: x)
imag = _part(IMAG, "Imag", lambda x: array_ops.zeros_like(x))
angle = _part(ANGLE, "Angle", _real_angle)
real.__doc__ = "The real part of a complex tensor; a real tensor as it is."
imag.__doc__ = "The imaginary part of a complex tensor; zeros for a real tensor."
angle.__doc__ = "The argument of a complex tensor (atan2(imag, real)); for a real one pi or 0."


def conj(x, name=None):
    """The complex conjugate; a real tensor is returned as it is (no op), as in TF (a Python
    value becomes the Const "Conj/x")."""
    with _scope(name, "Conj", (x,)) as scope:
        x = convert_to_tensor(x, name="x")
        if x.dtype.is_complex:
            return CONJ(x, name=scope)
        if x.dtype.is_floating or x.dtype.is_integer:
            return x
        raise TypeError(f"Expected numeric or variant tensor, got dtype {x.dtype!r}")


def complex_abs(x, name=None):
    """|x| of a complex tensor as ComplexAbs (what tf.abs builds for one)."""
    return COMPLEX_ABS(x, Tout=x.dtype.real_dtype, name=name)


def conjugate_transpose(x, perm=None, name="transpose"):
    """``tf.transpose(x, perm, conjugate=True)``: ConjugateTranspose for a complex tensor."""
    with _scope(name, "transpose", (x,)) as scope:
        x = convert_to_tensor(x, name="a")
        if not x.dtype.is_complex:
            return transform_ops.transpose(x, perm, name=scope)
        if perm is None:
            r = x.shape.rank
            perm = (array_ops.range_(array_ops.rank(x) - 1, -1, -1) if r is None else
                    np.arange(r - 1, -1, -1, dtype=np.int32))
        return CONJUGATE_TRANSPOSE(x, perm, name=scope)
