"""Helpers shared by the math op modules (math_ops, unary_ops, logic_ops, reduction_ops,
linalg_ops): TensorFlow's dtype lists and their graph-construction check, the name-scope helper
of the wrappers, the builders of elementwise ops, and the filter for numpy's inf/nan warnings."""

from __future__ import annotations

import contextlib
import re
import warnings

import numpy as np

from ..errors import InvalidArgumentError
from ..graph import _graph_of
from ..opdef import OpDef, TensorSpec, register
from ._util import broadcast_infer, unary_infer


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


# How TensorFlow's CPU kernels compute float16: Eigen evaluates most half functions as
# float(x) -> f -> half, one rounding of a float32 result, which numpy's half ufuncs do for most
# ops (those are left alone). Others round differently in numpy (checked against TF 2.21 on every
# finite float16 value): Rsqrt (numpy rounds sqrt and 1/. twice) and Log take a float32 result
# rounded once; libm's float32 functions (sin, cos, tan, atan, asin, cosh, erfc, lgamma...) are
# correctly rounded, which a float64 result rounded to float32, then to half, reproduces
# (numpy's float32 and half loops are 1 ulp off for a few values): LIBM_F32. Eigen's own
# vectorised exp and tanh, and its half reductions' order, are not copied: those results can
# differ from TF's in the last half bit.
LIBM_F32 = (np.float64, np.float32)


def _half_kernel(kernel, half):
    """``kernel`` with float16 inputs handled by ``half``: a numpy float type (compute in it,
    round to half once), a tuple of them (compute in the first, round through the others to
    half: LIBM_F32) or a function of the half array. Other dtypes go straight to ``kernel``,
    so their results are unchanged."""
    if not callable(half) or isinstance(half, type):
        types = half if isinstance(half, tuple) else (half,)

        def half(x):
            y = np.asarray(kernel(x.astype(types[0])))
            for t in types[1:]:
                y = y.astype(t)
            return y.astype(np.float16)

    def dispatch(x):
        if getattr(x, "dtype", None) == np.float16:
            return half(np.asarray(x))
        return kernel(x)
    return dispatch


def _unary(type_, kernel, grad, allowed=None, infer=unary_infer, half=None):
    """An elementwise OpDef. ``half`` (see _half_kernel) says how float16 inputs are computed
    when numpy's half kernel would not round as TensorFlow does."""
    if allowed is not None:
        infer = _typed(infer, allowed)
    if half is not None:
        kernel = _half_kernel(kernel, half)
    return register(OpDef(type_, inputs=["x:T"], kernel=kernel, infer=infer, grad=grad))


def _dims(a) -> str:
    return "[" + ",".join(str(d) for d in np.shape(a)) + "]"


# inf and nan results are TensorFlow's too; numpy's RuntimeWarnings about them (overflow in exp,
# log(0), x/0...) are noise. The kernels compute them in frames of the math modules, so one filter
# per module silences them at no per-call cost (entering np.errstate costs microseconds per call).
def _silence_float_warnings(module_name: str):
    warnings.filterwarnings("ignore", category=RuntimeWarning,
                            module=re.escape(module_name) + "$")


_silence_float_warnings(__name__)  # the kernels _broadcasting wraps run in this module's frames
