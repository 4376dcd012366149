"""Small TF ops behind TF1 root names of core/tf1_misc.py: Timestamp, GuaranteeConst,
ExtractVolumePatches (the 5-D ExtractImagePatches) and EagerPyFunc (``tf.py_function``), with
their thin wrappers, and the ``tf.math.nextafter`` wrapper of NextAfter (declared, with TF's
gradient, in graph_compat_ops.py).

Gradients are TF's registrations: Timestamp is NotDifferentiable; GuaranteeConst has none
registered (asking raises LookupError, as TF's); ExtractVolumePatches sums each patch value's
gradient back into the voxel it came from (UnsortedSegmentSum where TF multiplies by a sparse
matrix) and, as TF's rule, needs the static sizes of the spatial dimensions. EagerPyFunc: TF
differentiates it with an eager tape recorded while the function ran; minitf has no eager
execution, so asking for its gradient raises LookupError (wrap the call in
``tf.custom_gradient`` to give one).
"""

from __future__ import annotations

import functools
import operator
import time
import warnings

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, OpError, OutOfRangeError, UnimplementedError, \
    UnknownError
from ..graph import Operation, Tensor, get_default_graph, to_numpy
from ..opdef import (NO_GRADIENT, NOT_DIFFERENTIABLE, OpDef, TensorSpec, identity_kernel,
                     register, req, shape_error)
from ..tensor_shape import TensorShape
from ._conv_util import _out_dim
from ._math_util import _REAL, _check_dtype
from .concat_split_ops import _dims_str
from .script_ops import _ERRORS, _FUNCS, _register

__all__ = ["timestamp", "guarantee_const", "nextafter", "extract_volume_patches", "py_function"]


# -- Timestamp, GuaranteeConst -------------------------------------------------------------------

TIMESTAMP = register(OpDef(
    "Timestamp", kernel=lambda: np.array(time.time(), np.float64),
    infer=lambda: [TensorSpec([], _dt.float64)], grad=NOT_DIFFERENTIABLE,
    stateful=True,  # a new time at every run: never folded into a constant
    doc="seconds since the Unix epoch, as float64, when the op runs",
))

GUARANTEE_CONST = register(OpDef(
    "GuaranteeConst", inputs=["input:T"], kernel=identity_kernel,
    infer=lambda x: [TensorSpec(x.shape, x.dtype)],
    grad=NO_GRADIENT,  # TF registers no gradient: tf.gradients through it raises LookupError
    doc="its input; a promise to the runtime that the value is constant",
))


def timestamp(name=None):
    """``tf.timestamp``: the Timestamp op (float64 seconds since the epoch, read at run time)."""
    return TIMESTAMP(name=name or "Timestamp")


def guarantee_const(input, name=None):  # noqa: A002 - TF's argument name
    """``tf.guarantee_const``: the GuaranteeConst op, its input unchanged."""
    return GUARANTEE_CONST(input, name=name or "GuaranteeConst")


# -- nextafter -----------------------------------------------------------------------------------


def nextafter(x1, x2, name=None):
    """``tf.math.nextafter``: the NextAfter op (float32 or float64, broadcasting). Its OpDef,
    gradient included, is in graph_compat_ops.py; this checks the dtype with TF's TypeError."""
    from ..graph import convert_to_tensor
    from .graph_compat_ops import NEXT_AFTER

    x1 = convert_to_tensor(x1, preferred_dtype=_dt.float32, name="x1")
    _check_dtype(x1, ("float64", "float32"), "x1")
    return NEXT_AFTER(x1, x2, name=name or "NextAfter")


# -- ExtractVolumePatches ------------------------------------------------------------------------


def _volume_attrs(ksizes, strides, padding):
    """((kp, kr, kc), (sp, sr, sc)), checked as TF checks them: lengths and padding at graph
    construction, the rest (TF: at run time) here too, with TF's error classes."""
    for what, values in (("ksizes", ksizes), ("strides", strides)):
        if len(values) < 5:
            raise shape_error(f"Attr '{what}' of 'ExtractVolumePatches' Op passed list of "
                              f"length {len(values)} less than minimum 5.")
        if len(values) != 5:
            raise shape_error(f"ExtractVolumePatches requires {what} to have 5 values, but got "
                              f"{len(values)}")
    if padding not in ("SAME", "VALID"):
        raise shape_error(f"Attr 'padding' of 'ExtractVolumePatches' Op passed string "
                          f"'{padding}' not in: \"SAME\", \"VALID\".")
    if min(strides) < 1:
        raise shape_error(f"Stride must be > 0, but got {min(strides)}")
    for what, values in (("ksizes", ksizes), ("strides", strides)):
        if values[0] != 1 or values[4] != 1:
            raise UnimplementedError(None, None, f"Only support {what} across space.")
    if min(ksizes) < 1:
        raise OutOfRangeError(None, None, "ksizes is out of range.")
    return tuple(ksizes[1:4]), tuple(strides[1:4])


def _volume_geometry(spatial, ksizes, strides, padding):
    """(output sizes, pads before) of the three spatial dimensions; None where unknown."""
    ks, ss = _volume_attrs(ksizes, strides, padding)
    geo = [_out_dim(size, k, s, 1, padding, (0, 0), True) for size, k, s in zip(spatial, ks, ss)]
    return [g[0] for g in geo], [g[1] for g in geo]


def _volume_kernel(input, *, ksizes, strides, padding):  # noqa: A002 - TF's argument name
    x = np.asarray(input)
    if x.ndim != 5:
        raise InvalidArgumentError(None, None, f"input must be 5-dimensional{_dims_str(x.shape)}")
    n, *spatial, c = x.shape
    outs, befores = _volume_geometry(spatial, ksizes, strides, padding)
    ks, ss = tuple(ksizes[1:4]), tuple(strides[1:4])
    out = np.zeros((n, *outs, *ks, c), x.dtype)
    for tap in np.ndindex(*ks):
        where = [np.arange(o) * s - b + t for o, s, b, t in zip(outs, ss, befores, tap)]
        ok = [(w >= 0) & (w < size) for w, size in zip(where, spatial)]
        at = [np.clip(w, 0, max(size - 1, 0)) for w, size in zip(where, spatial)]
        picked = x[:, at[0]][:, :, at[1]][:, :, :, at[2]] if all(len(a) for a in at) else \
            np.zeros((n, *outs, c), x.dtype)
        inside = ok[0][:, None, None] & ok[1][None, :, None] & ok[2][None, None, :]
        out[(slice(None),) * 4 + tap] = np.where(inside[..., None], picked, x.dtype.type(0))
    return out.reshape(n, *outs, int(np.prod(ks)) * c)


def _volume_infer(input, *, ksizes, strides, padding):  # noqa: A002
    _check_dtype(input, _REAL, "input")
    dims = input.shape.as_tuple()
    if dims is not None and len(dims) != 5:
        raise shape_error(f"Shape must be rank 5 but is rank {len(dims)}")
    n, *spatial, c = dims if dims is not None else (None,) * 5
    outs, _ = _volume_geometry(spatial, ksizes, strides, padding)
    depth = None if c is None else ksizes[1] * ksizes[2] * ksizes[3] * c
    return [TensorSpec([n, *outs, depth], input.dtype)]


def _static_dims(t, what) -> list:
    dims = t.shape.as_tuple()
    if dims is None or any(d is None for d in dims[1:4]):
        raise TypeError(f"ExtractVolumePatches' gradient needs the static sizes of the {what}'s "
                        f"planes, rows and columns (as TF's), but its shape is {t.shape}")
    return list(dims[1:4])


def _volume_grad(op, dy):
    """TF's _ExtractVolumePatchesGrad: voxel numbers 1..p*r*c (0 marks padding) go through the
    same patches; each patch value's gradient is added to the voxel it came from."""
    from . import array_ops, math_ops, transform_ops
    from .gather_ops import unsorted_segment_sum

    x = op.inputs[0]
    planes, rows, cols = _static_dims(x, "input")
    out_p, out_r, out_c = _static_dims(op.outputs[0], "output")
    attrs = {k: op._get_attr(k) for k in ("ksizes", "strides", "padding")}
    kp, kr, kc = attrs["ksizes"][1:4]
    shape = array_ops.shape(x)
    n, c = shape[0], shape[4]
    voxels = planes * rows * cols
    numbers = array_ops.reshape(array_ops.range_(1, 1 + voxels), [1, planes, rows, cols, 1])
    sources = array_ops.reshape(EXTRACT_VOLUME_PATCHES(numbers, **attrs), [-1])
    per_tap = array_ops.reshape(dy, [n, out_p, out_r, out_c, kp, kr, kc, c])
    per_tap = transform_ops.transpose(per_tap, [1, 2, 3, 4, 5, 6, 0, 7])
    summed = unsorted_segment_sum(array_ops.reshape(per_tap, [-1, n * c]), sources, 1 + voxels)
    dx = array_ops.reshape(summed[1:], [planes, rows, cols, n, c])
    return [math_ops.cast(transform_ops.transpose(dx, [3, 0, 1, 2, 4]), x.dtype)]


EXTRACT_VOLUME_PATCHES = register(OpDef(
    "ExtractVolumePatches", inputs=["input:T"],
    attrs={"ksizes": req("list(int)"), "strides": req("list(int)"), "padding": req("string")},
    kernel=_volume_kernel, infer=_volume_infer, grad=_volume_grad,
    doc="the ksizes windows of a [batch, planes, rows, cols, depth] input, each flattened",
))


def extract_volume_patches(input, ksizes, strides, padding, name=None):  # noqa: A002
    """``tf.extract_volume_patches``: the ExtractVolumePatches op. Output ``[batch, out_planes,
    out_rows, out_cols, kp * kr * kc * depth]``, each patch in (plane, row, col, depth) order."""
    return EXTRACT_VOLUME_PATCHES(input, ksizes=list(ksizes), strides=list(strides),
                                  padding=padding, name=name or "ExtractVolumePatches")


# -- EagerPyFunc (tf.py_function) ----------------------------------------------------------------


class EagerTensor:
    """What ``tf.py_function``'s function receives for each input, where TF passes EagerTensors:
    the value, with ``.numpy()``, ``.dtype``, ``.shape`` and numpy's arithmetic (results are
    EagerTensors again). minitf has no eager execution: compute with numpy inside the function,
    not with minitf ops."""

    __slots__ = ("_value", "_dtype")
    __array_priority__ = 100  # ndarray <op> EagerTensor defers to the reflected method here
    __hash__ = None  # as TF's: a tensor is not hashable (its == is elementwise)

    def __init__(self, value, dtype=None):
        self._value = np.asarray(value)
        self._dtype = _dt.as_dtype(dtype) if dtype is not None else _dt.from_numpy(self._value)

    def numpy(self):
        """A copy of the value: a numpy scalar (bytes for a string) when 0-d, else an array."""
        v = self._value.copy()
        return v[()] if v.ndim == 0 else v

    dtype = property(lambda self: self._dtype)
    shape = property(lambda self: TensorShape(self._value.shape))
    ndim = property(lambda self: self._value.ndim)

    def get_shape(self) -> TensorShape:
        return self.shape

    def __array__(self, dtype=None, copy=None):
        return self._value.astype(dtype) if dtype is not None else self._value.copy()

    def __len__(self):
        if self._value.ndim == 0:
            raise TypeError("Scalar tensor has no `len()`")
        return len(self._value)

    def __iter__(self):
        if self._value.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        return (_wrap(v) for v in self._value)

    def __getitem__(self, key):
        return _wrap(self._value[_unwrap(key)])

    def __bool__(self):
        return bool(self._value)

    def __int__(self):
        return int(self._value)

    def __float__(self):
        return float(self._value)

    def __index__(self):
        return operator.index(self._value[()])

    def __repr__(self):
        return f"<tf.Tensor: shape={self._value.shape}, dtype={self._dtype.name}, " \
               f"numpy={self._value!r}>"


def _unwrap(v):
    return v._value if isinstance(v, EagerTensor) else v


def _wrap(v):
    """A numpy result as an EagerTensor (as it is if numpy's dtype has no TF counterpart)."""
    arr = np.asarray(v)
    try:
        return EagerTensor(arr)
    except TypeError:
        return v


def _binary_method(fn, reflected=False):
    if reflected:
        return lambda self, other: _wrap(fn(_unwrap(other), self._value))
    return lambda self, other: _wrap(fn(self._value, _unwrap(other)))


def _unary_method(fn):
    return lambda self: _wrap(fn(self._value))


for _name, _fn in (("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
                   ("truediv", operator.truediv), ("floordiv", operator.floordiv),
                   ("mod", operator.mod), ("pow", operator.pow), ("matmul", operator.matmul),
                   ("and", operator.and_), ("or", operator.or_), ("xor", operator.xor)):
    setattr(EagerTensor, f"__{_name}__", _binary_method(_fn))
    setattr(EagerTensor, f"__r{_name}__", _binary_method(_fn, reflected=True))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(EagerTensor, f"__{_name}__", _binary_method(getattr(operator, _name)))
for _name in ("neg", "pos", "abs", "invert"):
    setattr(EagerTensor, f"__{_name}__", _unary_method(getattr(operator, _name)))


def _to_output(value, dtype: _dt.DType) -> np.ndarray:
    """A returned value as an output of ``dtype``, converted as TF's EagerFunc converts
    (``convert_to_tensor(value, dtype)`` in eager mode: numpy values are cast, Python values
    must fit). Raises TypeError/ValueError, reported as TF reports them."""
    if isinstance(value, EagerTensor):
        if value.dtype != dtype:
            raise ValueError(f"Tensor conversion requested dtype {dtype.name} for Tensor with "
                             f"dtype {value.dtype.name}: {value!r}")
        return value._value
    if isinstance(value, (Tensor, Operation)):
        raise TypeError(f"{value!r} is a graph tensor: minitf has no eager execution, so "
                        "tf.py_function's function must compute its results with numpy")
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biufc" and \
            dtype != _dt.string:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)  # TF drops it too
            return np.asarray(value).astype(dtype.as_numpy_dtype)
    try:
        return to_numpy(value, dtype)
    except (TypeError, ValueError):
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}") \
            from None


def _eager_py_func_kernel(inputs, *, token, is_async, Tout):  # noqa: N803 - TF's attr name
    holder = _FUNCS.get(token)
    if holder is None:
        raise InvalidArgumentError(None, None, f"callback {token} is not found: a py_function's "
                                   "Python function exists only in the process that built "
                                   "its graph")
    try:
        ret = holder.func(*[EagerTensor(x) for x in inputs])
        if isinstance(ret, (list, tuple)):  # zip: extra values are dropped, as TF's EagerFunc
            outs = [_to_output(v, t) for v, t in zip(ret, Tout)]
        elif ret is None:
            outs = []
        else:
            outs = [_to_output(ret, Tout[0])]  # IndexError (UnknownError) if Tout is empty
    except OpError:
        raise
    except Exception as e:  # noqa: BLE001 - reported with TF's code for its kind
        error = next((err for kind, err in _ERRORS if isinstance(e, kind)), UnknownError)
        raise error(None, None, f"{type(e).__name__}: {e}") from e
    if len(outs) != len(Tout):
        raise InvalidArgumentError(None, None, f"{token} returns {len(outs)} values, but "
                                   f"expects to see {len(Tout)} values.")
    return outs[0] if len(outs) == 1 else tuple(outs)


EAGER_PY_FUNC = register(OpDef(
    "EagerPyFunc", inputs=["input:list(Tin)"],
    attrs={"token": req("string"), "is_async": False, "Tout": req("list(type)")},
    kernel=_eager_py_func_kernel,
    infer=lambda inputs, *, token, is_async, Tout: [TensorSpec(None, t) for t in Tout],
    grad=NO_GRADIENT,  # TF's needs an eager tape (see the module docstring)
    stateful=True,  # the function runs at every run, never folded
    doc="the outputs of a Python function called with its inputs as EagerTensors",
))


def py_function(func=None, inp=None, Tout=None, name=None):  # noqa: N803 - TF's argument name
    """``tf.py_function``: ``func(*inputs)`` run when the graph runs, each input an EagerTensor
    (``.numpy()`` gives its value); ``Tout`` a dtype (one output) or a list of dtypes (a list;
    the Operation when empty). Without ``func``, a decorator. Not differentiable in minitf."""
    if Tout is None:
        raise TypeError("Missing required argument: 'Tout'\n  If using tf.py_function as a "
                        "decorator, set `Tout`\n  **by name** above the function:\n"
                        "  `@tf.py_function(Tout=tout)`")
    if func is None:
        if inp is not None:
            raise TypeError("Don't set the `inp` argument when using tf.py_function as a "
                            "decorator (`func=None`).")

        def decorator(fun):
            @functools.wraps(fun)
            def wrapper(*args):
                return py_function(fun, inp=args, Tout=Tout, name=name)
            return wrapper
        return decorator
    if inp is None:
        raise TypeError("Missing argument `inp`: you must set the `inp` argument (the list of "
                        "arguments to the function), unless you use `tf.py_function` as a "
                        "decorator (`func=None`).")
    if not callable(func):
        raise ValueError(f"Expected func to be callable. Received func={func} of type "
                         f"{type(func)}.")
    if isinstance(inp, Tensor):
        raise TypeError("`inp` must be a list of tensors: iterating over a symbolic `tf.Tensor` "
                        "is not allowed in graph mode.")
    single = not isinstance(Tout, (list, tuple))
    touts = [_dt.as_dtype(t) for t in ([Tout] if single else Tout)]
    token = _register(func, get_default_graph())
    out = EAGER_PY_FUNC(list(inp), token=token, is_async=False, Tout=touts,
                        name=name or "EagerPyFunc")
    if single or isinstance(out, Operation):
        return out
    return [out] if len(touts) == 1 else list(out)
