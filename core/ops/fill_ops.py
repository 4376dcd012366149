"""Value generators: Fill, ZerosLike, OnesLike and Range, with ``tf.zeros`` / ``tf.ones`` (a Const
when the shape is static, else a Fill) and ``tf.range``.

Tensors made from a shape or from bounds rather than from input data. Split from array_ops (which
re-exports everything here) to keep each family readable in one sitting; built on constant_ops'
Const and shape_ops' Reshape.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import Tensor, convert_to_tensor, name_scope
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register
from ..tensor_shape import TensorShape
from ._math_util import _dims
from ._util import same_as, shape_error, shape_from_value
from .constant_ops import constant
from .shape_ops import reshape

__all__ = ["fill", "zeros", "ones", "zeros_like", "ones_like"]


# -- Fill, zeros, ones --------------------------------------------------------------------------


def _fill_infer(dims, value):
    if dims.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {dims.shape.rank}")
    if value.shape.rank not in (None, 0):
        raise shape_error(f"value must be a scalar, got shape {value.shape}")
    return [TensorSpec(shape_from_value(dims), value.dtype)]


def _fill_kernel(dims, value):
    dims = np.asarray(dims)
    # TF's kernel still takes a scalar dims as one dim (only its shape function wants a vector).
    if dims.ndim > 1:
        raise InvalidArgumentError(None, None, "dims must represent a vector, got shape "
                                   f"{_dims(dims)}")
    if np.ndim(value) != 0:
        raise InvalidArgumentError(None, None, "value must represent a scalar, got shape "
                                   f"{list(np.shape(value))}")
    shape = dims.reshape(-1).tolist()
    for d in shape:
        if d < 0:
            raise InvalidArgumentError(None, None, f"Dimension {d} must be >= 0")
    return np.full(shape, value, dtype=np.asarray(value).dtype)


FILL = register(OpDef(
    "Fill", inputs=["dims:index_type=int32", "value:T"],
    kernel=_fill_kernel,
    infer=_fill_infer,
    grad=lambda op, dy: [None, _reduce_all(dy)],
))


def _reduce_all(t):
    from .reduction_ops import reduce_sum

    return reduce_sum(t)


def fill(dims, value, name=None):
    return FILL(dims, value, name=name)


# TF's _constant_if_small: a known shape of fewer elements is a Const, a bigger one a Fill (so
# serialized GraphDefs stay small).
_SMALL = 1000


def zeros(shape, dtype=_dt.float32, name=None):
    dtype = _dt.as_dtype(dtype)
    static = _static_shape_list(shape)
    if static is not None and int(np.prod(static)) < _SMALL:  # (a string's zero is b"")
        zero = np.full(static, b"", object) if dtype == _dt.string else \
            np.zeros(static, dtype=dtype.as_numpy_dtype)
        return constant(zero, dtype=dtype, name=name or "zeros")
    return _filled(shape, b"" if dtype == _dt.string else False if dtype == _dt.bool else 0,
                   dtype, name, "zeros")


def ones(shape, dtype=_dt.float32, name=None):
    dtype = _dt.as_dtype(dtype)
    static = _static_shape_list(shape)
    if static is not None and int(np.prod(static)) < _SMALL:
        return constant(np.ones(static, dtype=dtype.as_numpy_dtype), dtype=dtype,
                        name=name or "ones")
    return _filled(shape, True if dtype == _dt.bool else 1, dtype, name, "ones")


def shape_list_tensor(shape, name=None):
    """A shape given as a list (of ints and scalar tensors) as one tensor: int32, or int64
    when a tensor in it is (as TF packs it: an id from Dataset.range sizes a tensor)."""
    wide = any(isinstance(d, Tensor) and d.dtype == _dt.int64 for d in shape)
    return convert_to_tensor(list(shape), dtype=_dt.int64 if wide else _dt.int32, name=name)


def _filled(shape, value, dtype, name, default):
    """A Fill of ``shape`` (known only at run time, or big), its helper nodes named as TF1
    names them ("zeros/packed" or "zeros/shape_as_tensor", "zeros/Const")."""
    with name_scope(name, default, [shape]) as scope:
        static = _static_shape_list(shape)
        if static is not None:
            shape = constant(static, _dt.int32, name="shape_as_tensor")
        elif isinstance(shape, (list, tuple)):
            shape = shape_list_tensor(shape)
        else:
            shape = convert_to_tensor(shape)
        if shape.shape.rank in (None, 0):  # TF's ones/zeros: a scalar shape is one dim
            shape = reshape(shape, [-1])
        return fill(shape, constant(value, dtype=dtype), name=scope)


def _static_shape_list(shape):
    if hasattr(shape, "op") or hasattr(shape, "_as_tensor"):
        return None
    if isinstance(shape, TensorShape):
        return shape.as_list() if shape.is_fully_defined() else None
    try:
        return [int(d) for d in (shape if isinstance(shape, (list, tuple)) else [shape])] \
            if not isinstance(shape, (int, np.integer)) else [int(shape)]
    except TypeError:
        return None


# -- ZerosLike / OnesLike ----------------------------------------------------------------------


def _like_kernel(fill_value):
    def kernel(x):
        dtype = np.asarray(x).dtype
        if dtype.kind == "O" and fill_value == 0:
            from .list_ops import TensorList, scalar

            value = np.asarray(x)[()] if np.ndim(x) == 0 else None
            if isinstance(value, TensorList):  # a variant list's zero: a list of zeros (TF's
                return scalar(value.zeros_like())  # TensorListZerosLike)
            return np.full(np.shape(x), b"", dtype=object)  # a string's zero is b"", as TF's
        return np.full(np.shape(x), fill_value, dtype=dtype)
    return kernel


ZEROS_LIKE = register(OpDef(
    "ZerosLike", inputs=["x:T"], kernel=_like_kernel(0), infer=lambda x: same_as(x),
    grad=NOT_DIFFERENTIABLE,
))
ONES_LIKE = register(OpDef(
    "OnesLike", inputs=["x:T"], kernel=_like_kernel(1), infer=lambda x: same_as(x),
    grad=NOT_DIFFERENTIABLE,
))


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    """TF1's: a fully known shape (with ``optimize``) gives zeros that do not read ``tensor``
    (so an unfed placeholder or an uninitialized variable is not needed); otherwise ZerosLike,
    or zeros of its run-time shape when ``dtype`` differs."""
    with name_scope(name, "zeros_like", [tensor]) as scope:
        x = convert_to_tensor(tensor, name="tensor")
        dtype = x.dtype if dtype is None else _dt.as_dtype(dtype)
        if x.dtype in (_dt.variant, _dt.resource):
            return ZEROS_LIKE(x, name=scope)
        if optimize and x.shape.is_fully_defined():  # (a Const if small, as zeros)
            return zeros(x.shape.as_list(), dtype, name=scope)
        if dtype != x.dtype:
            return zeros(_shape_of(x, optimize), dtype, name=scope)
        return ZEROS_LIKE(x, name=scope)


def ones_like(tensor, dtype=None, name=None, optimize=True):
    """TF1's: ones of ``tensor``'s shape (a constant when known and ``optimize``), with its
    static shape."""
    with name_scope(name, "ones_like", [tensor]) as scope:
        x = convert_to_tensor(tensor, name="tensor")
        dtype = x.dtype if dtype is None else _dt.as_dtype(dtype)
        if x.dtype in (_dt.variant, _dt.resource):
            return ONES_LIKE(x, name=scope)
        out = ones(_shape_of(x, optimize), dtype, name=scope)
        out.set_shape(x.shape)
        return out


def _shape_of(x, optimize):
    """TF's shape_internal: the known shape as a constant, else a Shape op."""
    if optimize and x.shape.is_fully_defined():
        with name_scope(None, "Shape"):
            return constant(x.shape.as_list(), _dt.int32, name="shape_as_tensor")
    from .shape_ops import shape

    return shape(x)


# -- Range --------------------------------------------------------------------------------------


def _range_length(start, limit, delta):
    """TF's element count, computed in the op's dtype; raises TF's messages."""
    if delta == 0:
        raise InvalidArgumentError(None, None, f"Requires delta != 0: {delta}")
    if delta > 0 and start > limit:
        raise InvalidArgumentError(None, None, f"Requires start <= limit when delta > 0: "
                                   f"{start}/{limit}")
    if delta < 0 and start < limit:
        raise InvalidArgumentError(None, None, f"Requires start >= limit when delta < 0: "
                                   f"{start}/{limit}")
    if np.issubdtype(np.asarray(start).dtype, np.integer):
        s, lim, d = int(start), int(limit), int(delta)
        return (abs(lim - s) + abs(d) - 1) // abs(d)
    return int(np.ceil(np.abs((limit - start) / delta)))


def _range_kernel(start, limit, delta):
    start, limit, delta = (np.asarray(v) for v in (start, limit, delta))
    for v, what in ((start, "start"), (limit, "limit"), (delta, "delta")):
        if v.shape not in ((), (1,)):  # TF's kernel also takes a 1-element vector
            raise InvalidArgumentError(None, None, f"{what} must be a scalar, not shape "
                                       f"{_dims(v)}")
    start, limit, delta = (v.reshape(()) for v in (start, limit, delta))
    n = _range_length(start[()], limit[()], delta[()])
    # start + T(i) * delta, each operation rounded to the op's dtype as TF's kernel does (for
    # float16 too: numpy's half arithmetic rounds each result, as Eigen's half does)
    return (start + np.arange(n).astype(start.dtype) * delta).astype(start.dtype, copy=False)


def _range_infer(start, limit, delta):
    for s, what in ((start, "start"), (limit, "limit"), (delta, "delta")):
        if s.shape.rank not in (None, 0):
            raise shape_error(f"{what} must be a scalar, not shape {s.shape}")
    vals = [s.value for s in (start, limit, delta)]
    if any(v is None for v in vals):
        return [TensorSpec([None], start.dtype)]
    if start.dtype == _dt.float16:  # TF's shape function sizes no half range (the kernel can)
        raise ValueError(f"Unsupported dtype{start.dtype.as_datatype_enum}")
    n = _range_length(*(np.asarray(v)[()] for v in vals))
    return [TensorSpec([n], start.dtype)]


RANGE = register(OpDef(
    "Range", inputs=["start:Tidx=int32", "limit:Tidx=int32", "delta:Tidx=int32"],
    kernel=_range_kernel,
    infer=_range_infer,
    grad=NOT_DIFFERENTIABLE,
))

# tf.range infers the op dtype as the widest of its arguments in this order.
_RANGE_DTYPES = (_dt.int32, _dt.int64, _dt.float16, _dt.float32, _dt.float64)


def range_(start, limit=None, delta=1, dtype=None, name="range"):
    """``tf.range``: exported as ``tf.range`` by the package (not shadowing the builtin here)."""
    from .math_ops import cast

    if limit is None:
        start, limit = 0, start
    with name_scope(name, "Range", [start, limit, delta]) as scope:
        args = []
        for v, what in ((start, "start"), (limit, "limit"), (delta, "delta")):
            args.append(convert_to_tensor(v) if _is_tensor(v) else
                        convert_to_tensor(v, dtype=dtype, name=what))
        if dtype is None:
            for a in args:
                if a.dtype not in _RANGE_DTYPES:
                    raise TypeError(f"Range does not support dtype {a.dtype.name}")
            dtype = max((a.dtype for a in args), key=_RANGE_DTYPES.index)
        args = [cast(a, dtype) for a in args]
        return RANGE(*args, name=scope)


def _is_tensor(v) -> bool:
    """A graph tensor or something standing for one (a Variable)."""
    return isinstance(v, Tensor) or hasattr(v, "_as_tensor")
