"""TensorFlow's further special functions: the incomplete gamma and beta functions (Igamma,
Igammac, IgammaGradA, Betainc), Hurwitz's zeta, the Bessel functions of orders 0 and 1
(I, I scaled, J, Y, K, K scaled), Dawson's integral, the exponential integral, the Fresnel
integrals and Spence's function; then the public wrappers (tf.math.* and tf.math.special.*).

The kernels evaluate the scalar float64 routines of _special_extra_math per element and cast to
the input's dtype; gradients are TensorFlow's (math_grad.py), including where it defines none."""

from __future__ import annotations

import types

import numpy as np

from . import _bessel_math as bm
from . import _special_extra_math as sm
from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from ._math_util import _scope, _silence_float_warnings, _typed, _unary
from ._util import broadcast_infer
from .unary_ops import sparse_aware

__all__ = ["betainc", "igamma", "igammac", "zeta"]

_silence_float_warnings(__name__)

_UNARY_TYPES = ("float16", "float32", "float64")  # TF's list has bfloat16 too: minitf lacks it


def _elementwise(fn):
    """A kernel applying the scalar ``fn`` per element (after broadcasting) in float64."""
    ufunc = np.frompyfunc(fn, 1, 1)
    ufunc2 = np.frompyfunc(fn, 2, 1)
    ufunc3 = np.frompyfunc(fn, 3, 1)
    by_arity = {1: ufunc, 2: ufunc2, 3: ufunc3}

    def kernel(*args):
        dtype = np.asarray(args[0]).dtype
        wide = [np.asarray(a, dtype=np.float64) for a in args]
        out = by_arity[len(args)](*wide)
        return np.asarray(out, dtype=np.float64).astype(dtype)
    return kernel


# == Incomplete gamma ==========================================================================


def _igamma_partials(op, dy):
    """TF's _IgammaGrad: d/da by IgammaGradA, d/dx = x^(a-1) e^-x / Gamma(a) in log space."""
    from .math_ops import sum_to_operand
    from .special_ops import lgamma
    from .unary_ops import exp, log

    a, x = op.inputs
    partial_a = IGAMMA_GRAD_A(a, x)
    partial_x = exp(-x + (a - 1) * log(x) - lgamma(a))
    return sum_to_operand(partial_a * dy, a, x), sum_to_operand(partial_x * dy, x, a)


def _igammac_grad(op, dy):
    da, dx = _igamma_partials(op, dy)
    return [-da, -dx]


def _binary(type_, fn, grad, allowed=_UNARY_TYPES, params=("a", "x"), doc=""):
    return register(OpDef(
        type_, inputs=[f"{params[0]}:T", f"{params[1]}:T"],
        kernel=_elementwise(fn), infer=_typed(broadcast_infer, allowed, params[0]), grad=grad,
        doc=doc))


IGAMMA = _binary("Igamma", sm.igamma, lambda op, dy: list(_igamma_partials(op, dy)),
                 doc="The regularized lower incomplete gamma function P(a, x).")
IGAMMAC = _binary("Igammac", sm.igammac, _igammac_grad,
                  doc="The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x).")
IGAMMA_GRAD_A = _binary("IgammaGradA", sm.igamma_grad_a, NO_GRADIENT,
                        allowed=("float32", "float64"), doc="d igamma(a, x) / da.")


def _zeta_grad(op, dy):
    from .math_ops import sum_to_operand

    x, q = op.inputs
    # Only the gradient in q, as TF's (none in x).
    return [None, sum_to_operand(-x * ZETA(x + 1, q) * dy, q, x)]


ZETA = _binary("Zeta", sm.zeta, _zeta_grad, allowed=("float32", "float64"), params=("x", "q"),
               doc="Hurwitz's zeta function sum_n (n + q)^-x.")


# == Regularized incomplete beta ===============================================================


def _betainc_infer(a, b, x):
    """TF's rule: the non-scalar inputs share one shape; scalars go along with it."""
    for spec, param in ((b, "b"), (x, "x")):
        if spec.dtype != a.dtype:
            raise TypeError(f"Betainc: input '{param}' has dtype {spec.dtype.name}, expected "
                            f"{a.dtype.name} like 'a'")
    shape = TensorShape(None)
    for spec in (a, b, x):
        if spec.shape.rank == 0:
            continue
        if not shape.is_compatible_with(spec.shape):
            raise shape_error(f"Betainc: shapes of a, b and x are inconsistent: "
                              f"{a.shape} vs. {b.shape} vs. {x.shape}")
        shape = shape.merge_with(spec.shape)
    if all(s.shape.rank == 0 for s in (a, b, x)):
        shape = TensorShape([])
    return [TensorSpec(shape, a.dtype)]


def _betainc_kernel(a, b, x):
    shapes = [np.shape(v) for v in (a, b, x) if np.ndim(v)]
    if any(s != shapes[0] for s in shapes):
        raise InvalidArgumentError(
            None, None, f"Shapes of a, b, and x are inconsistent: {list(np.shape(a))} vs. "
            f"{list(np.shape(b))} vs. {list(np.shape(x))}")
    return _elementwise(sm.betainc)(a, b, x)


def _betainc_grad(op, dy):
    from .math_extra_ops import xlog1py, xlogy
    from .math_ops import sum_to_operand
    from .special_ops import lgamma
    from .unary_ops import exp

    a, b, x = op.inputs
    log_beta = lgamma(a) + lgamma(b) - lgamma(a + b)
    partial_x = exp(xlog1py(b - 1, -x) + xlogy(a - 1, x) - log_beta)
    return [None, None, sum_to_operand(partial_x * dy, x, a)]  # no gradient in a, b (as TF)


BETAINC = register(OpDef(
    "Betainc", inputs=["a:T", "b:T", "x:T"], kernel=_betainc_kernel,
    infer=_typed(_betainc_infer, ("float32", "float64"), "a"), grad=_betainc_grad,
    doc="The regularized incomplete beta function I_x(a, b).",
))


# == Unary special functions ===================================================================


def _special(type_, fn, grad):
    return _unary(type_, _elementwise(fn), grad, allowed=_UNARY_TYPES)


def _where_zero(x, at_zero, elsewhere):
    """TF's ``where_v2(equal(x, 0), cast(at_zero), elsewhere)`` for gradients singular at 0."""
    from .logic_ops import equal, where_v2
    from .math_ops import cast

    return where_v2(equal(x, cast(0.0, x.dtype)), cast(at_zero, x.dtype), elsewhere)


def _i0e_grad(op, dy):
    from .unary_ops import sign

    x, y = op.inputs[0], op.outputs[0]
    return [dy * (BESSEL_I1E(x) - sign(x) * y)]


def _i1e_grad(op, dy):
    from .unary_ops import reciprocal, sign

    x, y = op.inputs[0], op.outputs[0]
    return [dy * _where_zero(x, 0.5, BESSEL_I0E(x) - y * (sign(x) + reciprocal(x)))]


def _i1_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    return [dy * _where_zero(x, 1.0, BESSEL_I0(x) - y / x)]


def _j1_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    return [dy * _where_zero(x, 0.5, BESSEL_J0(x) - y / x)]


def _y1_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    return [dy * (BESSEL_Y0(x) - y / x)]


def _k1_grad(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    return [dy * (-BESSEL_K0(x) - y / x)]


def _k1e_grad(op, dy):
    from .unary_ops import reciprocal

    x, y = op.inputs[0], op.outputs[0]
    return [dy * (y * (1.0 - reciprocal(x)) - BESSEL_K0E(x))]


def _spence_grad(op, dy):
    from .array_ops import ones_like
    from .logic_ops import equal, where
    from .unary_ops import log

    x = op.inputs[0]
    partial = where(equal(x, 1.0), -ones_like(x), log(x) / (1 - x))
    return [dy * partial]


def _expint_grad(op, dy):
    from .unary_ops import exp

    x = op.inputs[0]
    return [dy * exp(x) / x]


def _trig_of_square(name):
    from .unary_ops import cos, sin, square

    fn = {"cos": cos, "sin": sin}[name]
    return lambda op, dy: [dy * fn((np.pi / 2.0) * square(op.inputs[0]))]


BESSEL_I0E = _special("BesselI0e", bm.bessel_i0e, _i0e_grad)
BESSEL_I1E = _special("BesselI1e", bm.bessel_i1e, _i1e_grad)
BESSEL_I0 = _special("BesselI0", bm.bessel_i0, lambda op, dy: [dy * BESSEL_I1(op.inputs[0])])
BESSEL_I1 = _special("BesselI1", bm.bessel_i1, _i1_grad)
BESSEL_J0 = _special("BesselJ0", bm.bessel_j0, lambda op, dy: [dy * -BESSEL_J1(op.inputs[0])])
BESSEL_J1 = _special("BesselJ1", bm.bessel_j1, _j1_grad)
BESSEL_Y0 = _special("BesselY0", bm.bessel_y0, lambda op, dy: [dy * -BESSEL_Y1(op.inputs[0])])
BESSEL_Y1 = _special("BesselY1", bm.bessel_y1, _y1_grad)
BESSEL_K0 = _special("BesselK0", bm.bessel_k0, lambda op, dy: [dy * -BESSEL_K1(op.inputs[0])])
BESSEL_K0E = _special("BesselK0e", bm.bessel_k0e,
                      lambda op, dy: [dy * (op.outputs[0] - BESSEL_K1E(op.inputs[0]))])
BESSEL_K1 = _special("BesselK1", bm.bessel_k1, _k1_grad)
BESSEL_K1E = _special("BesselK1e", bm.bessel_k1e, _k1e_grad)
DAWSN = _special("Dawsn", sm.dawsn,
                 lambda op, dy: [dy * (1.0 - 2 * op.inputs[0] * op.outputs[0])])
EXPINT = _special("Expint", sm.expint, _expint_grad)
FRESNEL_COS = _special("FresnelCos", sm.fresnel_cos, _trig_of_square("cos"))
FRESNEL_SIN = _special("FresnelSin", sm.fresnel_sin, _trig_of_square("sin"))
SPENCE = _special("Spence", sm.spence, _spence_grad)


# == Public wrappers (TF1 names and default node names; TF2's name scopes for tf.math.special) ==


def igamma(a, x, name=None):
    """P(a, x), the regularized lower incomplete gamma function."""
    return IGAMMA(a, x, name=name or "Igamma")


def igammac(a, x, name=None):
    """Q(a, x) = 1 - P(a, x), the regularized upper incomplete gamma function."""
    return IGAMMAC(a, x, name=name or "Igammac")


def igamma_grad_a(a, x, name=None):
    return IGAMMA_GRAD_A(a, x, name=name or "IgammaGradA")


def betainc(a, b, x, name=None):
    """I_x(a, b); the non-scalar arguments must share one shape."""
    return BETAINC(a, b, x, name=name or "Betainc")


def zeta(x, q, name=None):
    """Hurwitz's zeta function sum_n (n + q)^-x."""
    return ZETA(x, q, name=name or "Zeta")


def _scoped(opdef, scope_name):
    @sparse_aware
    def wrapper(x, name=None):
        with _scope(name, scope_name, (x,)):
            return opdef(x)
    wrapper.__name__ = wrapper.__qualname__ = scope_name
    wrapper.__doc__ = f"TensorFlow's {scope_name} (op {opdef.type}) elementwise."
    return wrapper


bessel_i0 = _scoped(BESSEL_I0, "bessel_i0")
bessel_i0e = _scoped(BESSEL_I0E, "bessel_i0e")
bessel_i1 = _scoped(BESSEL_I1, "bessel_i1")
bessel_i1e = _scoped(BESSEL_I1E, "bessel_i1e")
bessel_j0 = _scoped(BESSEL_J0, "bessel_j0")
bessel_j1 = _scoped(BESSEL_J1, "bessel_j1")
bessel_y0 = _scoped(BESSEL_Y0, "bessel_y0")
bessel_y1 = _scoped(BESSEL_Y1, "bessel_y1")
bessel_k0 = _scoped(BESSEL_K0, "bessel_k0")
bessel_k0e = _scoped(BESSEL_K0E, "bessel_k0e")
bessel_k1 = _scoped(BESSEL_K1, "bessel_k1")
bessel_k1e = _scoped(BESSEL_K1E, "bessel_k1e")
dawsn = _scoped(DAWSN, "dawsn")
expint = _scoped(EXPINT, "expint")
fresnel_cos = _scoped(FRESNEL_COS, "fresnel_cos")
fresnel_sin = _scoped(FRESNEL_SIN, "fresnel_sin")
spence = _scoped(SPENCE, "spence")

#: tf.math.special (TF 2.x's namespace; TF 1.15 has only the four I functions under tf.math).
special = types.SimpleNamespace(
    bessel_i0=bessel_i0, bessel_i0e=bessel_i0e, bessel_i1=bessel_i1, bessel_i1e=bessel_i1e,
    bessel_j0=bessel_j0, bessel_j1=bessel_j1, bessel_y0=bessel_y0, bessel_y1=bessel_y1,
    bessel_k0=bessel_k0, bessel_k0e=bessel_k0e, bessel_k1=bessel_k1, bessel_k1e=bessel_k1e,
    dawsn=dawsn, expint=expint, fresnel_cos=fresnel_cos, fresnel_sin=fresnel_sin, spence=spence)
