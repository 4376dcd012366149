"""Element-moving and pass-through array ops: Roll, IdentityN, EnsureShape, LinSpace,
SpaceToDepth and DepthToSpace; then their public TF1 wrappers.

``tf.linspace`` itself is TF 2.x's composite (linspace_nd, in core/composites.py); the LinSpace
op is here because TF1 GraphDefs carry it (``tf.raw_ops.LinSpace``)."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape, as_shape
from ._math_util import _FLOAT, _check_dtype, _silence_float_warnings
from ._util import const_ints, same_as

__all__ = ["depth_to_space", "ensure_shape", "identity_n", "roll", "space_to_depth"]

_silence_float_warnings(__name__)


# -- Roll -----------------------------------------------------------------------------------------


def _roll_kernel(x, shift, axis):
    x, shift, axis = np.asarray(x), np.asarray(shift), np.asarray(axis)
    if shift.ndim > 1 or axis.ndim > 1:
        raise InvalidArgumentError(None, None, "shift and axis must be a scalar or a 1-D "
                                   f"vector, got shapes {list(shift.shape)} and "
                                   f"{list(axis.shape)}")
    if shift.shape != axis.shape:
        raise InvalidArgumentError(None, None, f"shift and axis must have the same size, got "
                                   f"{shift.size} and {axis.size}")
    if x.ndim == 0:
        raise InvalidArgumentError(None, None, "input must be 1-D or higher")
    for a in axis.reshape(-1):
        if not -x.ndim <= a < x.ndim:
            raise InvalidArgumentError(None, None, f"axis {a} is out of range")
    # Shifts on one axis add up, as TF's kernel sums them per dimension.
    return np.roll(x, shift.reshape(-1).tolist(), axis.reshape(-1).tolist())


def _roll_infer(x, shift, axis):
    for s, n in ((shift, "shift"), (axis, "axis")):
        if s.shape.rank is not None and s.shape.rank > 1:
            raise shape_error(f"Shape must be at most rank 1 but is rank {s.shape.rank} "
                              f"for {n}")
        _check_dtype(s, ("int32", "int64"), n)
    if x.shape.rank == 0:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    if not shift.shape.is_compatible_with(axis.shape):
        raise shape_error(f"shift and axis must have the same size, got shapes {shift.shape} "
                          f"and {axis.shape}")
    return same_as(x)


ROLL = register(OpDef(
    "Roll", inputs=["input:T", "shift:Tshift", "axis:Taxis"],
    kernel=_roll_kernel, infer=_roll_infer,
    grad=lambda op, dy: [ROLL(dy, -op.inputs[1], op.inputs[2]), None, None],
    doc="input with its elements moved `shift` places along each `axis`, wrapping around.",
))


# -- IdentityN / EnsureShape ----------------------------------------------------------------------


def _identity_n_kernel(inputs):
    return inputs[0] if len(inputs) == 1 else list(inputs)  # one output: the plan's single slot


IDENTITY_N = register(OpDef(
    "IdentityN", inputs=["input:list(T)"],
    kernel=_identity_n_kernel,
    infer=lambda inputs: [TensorSpec(s.shape, s.dtype) for s in inputs],
    grad=lambda op, *dys: list(dys),
    doc="Each input again, as one node (TF uses it to give a group a custom gradient).",
))


def _ensure_shape_kernel(x, *, shape):
    if not shape.is_compatible_with(TensorShape(np.shape(x))):
        dims = "[" + ",".join(map(str, np.shape(x))) + "]"
        raise InvalidArgumentError(None, None, f"Shape of tensor {dims} is not "
                                   f"compatible with expected shape {_shape_str(shape)}.")
    return x


def _shape_str(shape: TensorShape) -> str:
    dims = shape.as_tuple()
    if dims is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _ensure_shape_infer(x, *, shape):
    if not x.shape.is_compatible_with(shape):
        raise shape_error(f"Shape of tensor {x.shape} is not compatible with expected shape "
                          f"{shape}")
    return [TensorSpec(x.shape.merge_with(shape), x.dtype)]


ENSURE_SHAPE = register(OpDef(
    "EnsureShape", inputs=["input:T"], attrs={"shape": req("shape")},
    kernel=_ensure_shape_kernel, infer=_ensure_shape_infer,
    grad=lambda op, dy: [dy],
    doc="input again, after checking at run time that its shape is compatible with `shape`.",
))


# -- LinSpace -------------------------------------------------------------------------------------


def _lin_space_kernel(start, stop, num):
    for v, n in ((start, "start"), (stop, "stop"), (num, "num")):
        if np.ndim(v) != 0:
            raise InvalidArgumentError(None, None, f"{n} must be a scalar, not shape "
                                       f"{list(np.shape(v))}")
    num = int(num)
    if num <= 0:
        raise InvalidArgumentError(None, None, f"Requires num > 0: {num}")
    dtype = np.asarray(start).dtype
    if num == 1:
        return np.array([start], dtype=dtype)
    step = (np.float64(stop) - np.float64(start)) / (num - 1)
    out = start + np.arange(num, dtype=np.float64) * step
    out[-1] = stop  # the last value is exactly stop, as TF's kernel makes it
    return out.astype(dtype)


def _lin_space_infer(start, stop, num):
    _check_dtype(start, _FLOAT, "start")
    for s, n in ((start, "start"), (stop, "stop"), (num, "num")):
        if s.shape.rank not in (None, 0):
            raise shape_error(f"Shape must be rank 0 but is rank {s.shape.rank} for {n}")
    _check_dtype(num, ("int32", "int64"), "num")
    n = const_ints(num)
    if n is not None and n[0] <= 0:
        raise shape_error(f"Requires num > 0: {n[0]}")
    return [TensorSpec([None if n is None else n[0]], start.dtype)]


LIN_SPACE = register(OpDef(
    "LinSpace", inputs=["start:T", "stop:T", "num:Tidx"],
    kernel=_lin_space_kernel, infer=_lin_space_infer,
    grad=NOT_DIFFERENTIABLE,  # TF registers no gradient for it
    doc="`num` evenly spaced values from `start` to `stop`, both included.",
))


# -- SpaceToDepth / DepthToSpace ------------------------------------------------------------------


def _nhwc(x, data_format):
    return x if data_format == "NHWC" else np.transpose(x, (0, 2, 3, 1))


def _from_nhwc(x, data_format):
    return x if data_format == "NHWC" else np.transpose(x, (0, 3, 1, 2))


def _check_4d(x, block_size):
    if np.ndim(x) != 4:
        raise InvalidArgumentError(None, None, f"Input rank should be: 4 instead of: "
                                   f"{np.ndim(x)}")
    if block_size < 2:
        raise InvalidArgumentError(None, None, f"Block size should be > 1, but was: "
                                   f"{block_size}")


def _space_to_depth_kernel(x, *, block_size, data_format):
    _check_4d(x, block_size)
    x = _nhwc(np.asarray(x), data_format)
    n, h, w, c = x.shape
    b = block_size
    if h % b or w % b:
        raise InvalidArgumentError(None, None, f"Image width {w} and height {h} should be "
                                   f"divisible by block_size: {b}")
    # Each b x b block becomes the depth, in (row, column, channel) order.
    out = x.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5)
    return _from_nhwc(out.reshape(n, h // b, w // b, b * b * c), data_format)


def _depth_to_space_kernel(x, *, block_size, data_format):
    _check_4d(x, block_size)
    x = _nhwc(np.asarray(x), data_format)
    n, h, w, c = x.shape
    b = block_size
    if c % (b * b):
        raise InvalidArgumentError(None, None, f"Input depth dimension {c} should be "
                                   f"divisible by: {b * b}")
    out = x.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5)
    return _from_nhwc(out.reshape(n, h * b, w * b, c // (b * b)), data_format)


def _space_depth_infer(to_depth):
    def infer(x, *, block_size, data_format):
        if data_format not in ("NHWC", "NCHW"):
            raise shape_error(f"Invalid data_format {data_format!r}")
        if block_size < 2:
            raise shape_error(f"Block size should be > 1, but was: {block_size}")
        dims = x.shape.as_tuple()
        if dims is None:
            return [TensorSpec(TensorShape([None] * 4), x.dtype)]
        if len(dims) != 4:
            raise shape_error(f"Shape must be rank 4 but is rank {len(dims)}")
        n, h, w, c = dims if data_format == "NHWC" else (dims[0], dims[2], dims[3], dims[1])
        b = block_size
        if to_depth:
            for d, what in ((h, "height"), (w, "width")):
                if d is not None and d % b:
                    raise shape_error(f"Dimension size must be evenly divisible by {b} but is "
                                      f"{d} for {what}")
            h, w, c = (None if h is None else h // b, None if w is None else w // b,
                       None if c is None else c * b * b)
        else:
            if c is not None and c % (b * b):
                raise shape_error(f"Dimension size must be evenly divisible by {b * b} but is "
                                  f"{c} for depth")
            h, w, c = (None if h is None else h * b, None if w is None else w * b,
                       None if c is None else c // (b * b))
        out = (n, h, w, c) if data_format == "NHWC" else (n, c, h, w)
        return [TensorSpec(out, x.dtype)]
    return infer


SPACE_TO_DEPTH = register(OpDef(
    "SpaceToDepth", inputs=["input:T"], attrs={"block_size": req("int"), "data_format": "NHWC"},
    kernel=_space_to_depth_kernel, infer=_space_depth_infer(True),
    grad=lambda op, dy: [DEPTH_TO_SPACE(dy, block_size=op._get_attr("block_size"),
                                        data_format=op._get_attr("data_format"))],
    doc="Blocks of block_size x block_size pixels moved into the depth dimension.",
))
DEPTH_TO_SPACE = register(OpDef(
    "DepthToSpace", inputs=["input:T"], attrs={"block_size": req("int"), "data_format": "NHWC"},
    kernel=_depth_to_space_kernel, infer=_space_depth_infer(False),
    grad=lambda op, dy: [SPACE_TO_DEPTH(dy, block_size=op._get_attr("block_size"),
                                        data_format=op._get_attr("data_format"))],
    doc="The depth dimension spread into blocks of block_size x block_size pixels.",
))


# == Public wrappers (TF1 names, signatures and default node names) ============================


def roll(input, shift, axis, name=None):  # noqa: A002 - TF's argument name
    """``tf.roll``: elements shifted along ``axis`` (ints or lists of them), wrapping around."""
    return ROLL(input, shift, axis, name=name or "Roll")


def identity_n(input, name=None):  # noqa: A002
    """``tf.identity_n``: the list of tensors again, through one IdentityN node."""
    out = IDENTITY_N(list(input), name=name or "IdentityN")
    return out if isinstance(out, list) else [out]


def ensure_shape(x, shape, name=None):
    """``tf.ensure_shape``: ``x`` with its static shape refined to ``shape``; fails at run time
    (InvalidArgumentError) when the real shape is not compatible."""
    x = convert_to_tensor(x, name="x")
    return ENSURE_SHAPE(x, shape=as_shape(shape), name=name or "EnsureShape")


def lin_space(start, stop, num, name=None):
    """The LinSpace op itself (``tf.raw_ops.LinSpace``); ``tf.linspace`` is the composite."""
    start = convert_to_tensor(start, name="start")
    stop = convert_to_tensor(stop, dtype=start.dtype, name="stop")
    return LIN_SPACE(start, stop, num, name=name or "LinSpace")


def space_to_depth(input, block_size, name=None, data_format="NHWC"):  # noqa: A002
    return SPACE_TO_DEPTH(input, block_size=block_size, data_format=data_format,
                          name=name or "SpaceToDepth")


def depth_to_space(input, block_size, name=None, data_format="NHWC"):  # noqa: A002
    return DEPTH_TO_SPACE(input, block_size=block_size, data_format=data_format,
                          name=name or "DepthToSpace")

