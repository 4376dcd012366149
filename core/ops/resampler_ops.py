"""Resampler and ResamplerGrad (TF 1.x's contrib/resampler kernels): bilinear sampling of a
batch of [batch, height, width, channels] images at per-example (x, y) points, and its
gradient with respect to both the images and the points. The public wrapper is
``tf.contrib.resampler.resampler`` (core/contrib/resampler.py).

TensorFlow 2 dropped both ops, so the kernels follow TF 1.15's C++ ones: a point samples only
when -1 < x < width and -1 < y < height (anything else, NaN included, gives 0); its four
neighbours (floor and floor + 1 on each axis) weigh (1 - |offset|) each, and a neighbour
outside the image reads 0, so the result fades to 0 across the border instead of jumping.
The floor is taken of the coordinate cast to float32, as TF's kernel does for every dtype.
TF's shape function only asks for rank >= 1; the kernels check the rest (rank-4 data, a last
warp dimension of 2, matching batch sizes) when they run, with TF's error classes.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError, UnimplementedError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from ._math_util import _check_dtype

__all__ = ["RESAMPLER", "RESAMPLER_GRAD", "resampler", "resampler_grad"]

_T = ("float16", "float32", "float64")


def _shape_text(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _check_inputs(data, warp, what):
    if data.ndim != 4:
        raise UnimplementedError(None, None, (
            f"Only bilinear interpolation is currently supported. The input data shape must "
            f"be [batch_size, data_height, data_width, data_channels], but is: "
            f"{_shape_text(data.shape)}") if what == "Resampler" else (
            f"Only bilinear interpolation is supported, the input data tensor must be a batch "
            f"of 2d data; data shape should have 4 entries corresponding to [batch_size, "
            f"data_height, data_width, data_channels], but is: {_shape_text(data.shape)}"))
    if warp.ndim < 2:
        raise InvalidArgumentError(None, None, "warp should be at least a matrix, got shape "
                                   f"{_shape_text(warp.shape)}")
    if warp.shape[-1] != 2:
        raise UnimplementedError(None, None, (
            "Only bilinear interpolation is supported, warping coordinates must be 2D; warp "
            f"shape last entry should be 2, but shape vector is: {_shape_text(warp.shape)}"))
    if data.shape[0] != warp.shape[0]:
        raise InvalidArgumentError(None, None, (
            "Batch size of data and warp tensor must be the same, but input shapes are: "
            f"{_shape_text(data.shape)}, {_shape_text(warp.shape)}"))


def _corners(data, warp):
    """For every point of ``warp`` (flattened to [batch, points, 2]): whether it samples, the
    four neighbours' values [batch, points, channels] (0 outside the image) in TF's order
    (fx fy, cx cy, fx cy, cx fy), their clipped coordinates and in-image masks, and the
    offsets dx = cx - x, dy = cy - y."""
    batch, height, width, _ = data.shape
    flat = warp.reshape(batch, -1, 2)
    x, y = flat[..., 0], flat[..., 1]
    one = data.dtype.type(1)
    with np.errstate(invalid="ignore"):
        inside = (x > -one) & (y > -one) & (x < data.dtype.type(width)) & \
            (y < data.dtype.type(height))
    # TF floors the coordinate cast to float32 (for float64 too); points that do not sample
    # are parked at 0 so that floor and the int conversion see finite numbers.
    fx = np.floor(np.where(inside, x, 0).astype(np.float32)).astype(np.int64)
    fy = np.floor(np.where(inside, y, 0).astype(np.float32)).astype(np.int64)
    cx, cy = fx + 1, fy + 1
    dx = (cx.astype(data.dtype) - x).astype(data.dtype)
    dy = (cy.astype(data.dtype) - y).astype(data.dtype)
    rows = np.arange(batch)[:, None]
    neighbours = []
    for px, py in ((fx, fy), (cx, cy), (fx, cy), (cx, fy)):
        ok = inside & (px >= 0) & (py >= 0) & (px <= width - 1) & (py <= height - 1)
        qx, qy = np.clip(px, 0, width - 1), np.clip(py, 0, height - 1)
        values = np.where(ok[..., None], data[rows, qy, qx], data.dtype.type(0)) \
            if height and width else np.zeros(px.shape + data.shape[3:], data.dtype)
        neighbours.append((values, qx, qy, ok))
    return inside, neighbours, dx, dy


def _resampler_kernel(data, warp):
    data, warp = np.asarray(data), np.asarray(warp)
    _check_inputs(data, warp, "Resampler")
    out_shape = warp.shape[:-1] + data.shape[3:]
    if warp.size == 0 or data.shape[0] == 0:
        return np.zeros(out_shape, data.dtype)
    inside, corners, dx, dy = _corners(data, warp)
    (ff, *_), (cc, *_), (fc, *_), (cf, *_) = corners
    one = data.dtype.type(1)
    dx, dy = dx[..., None], dy[..., None]
    # TF's sum, term by term in its order: each term is (weight product) * value.
    out = dx * dy * ff + (one - dx) * (one - dy) * cc + dx * (one - dy) * fc + \
        (one - dx) * dy * cf
    out = np.where(inside[..., None], out, data.dtype.type(0))
    return out.astype(data.dtype).reshape(out_shape)


def _resampler_grad_kernel(data, warp, grad_output):
    data, warp = np.asarray(data), np.asarray(warp)
    grad_output = np.asarray(grad_output)
    _check_inputs(data, warp, "ResamplerGrad")
    want = warp.shape[:-1] + data.shape[3:]
    if grad_output.shape != want:
        raise InvalidArgumentError(None, None, (
            "grad_output shape is not consistent with data and warp shapes; it should be "
            f"{_shape_text(want)} but is {_shape_text(grad_output.shape)}"))
    grad_data = np.zeros(data.shape, data.dtype)
    grad_warp = np.zeros(warp.shape, data.dtype)
    if warp.size == 0 or data.shape[0] == 0:
        return grad_data, grad_warp
    batch = data.shape[0]
    inside, corners, dx, dy = _corners(data, warp)
    (ff, *_), (cc, *_), (fc, *_), (cf, *_) = corners
    one = data.dtype.type(1)
    go = np.where(inside[..., None], grad_output.reshape(batch, -1, data.shape[3]),
                  data.dtype.type(0))
    dxc, dyc = dx[..., None], dy[..., None]
    gx = go * ((one - dyc) * (cc - fc) + dyc * (cf - ff))
    gy = go * ((one - dxc) * (cc - cf) + dxc * (fc - ff))
    grad_warp.reshape(batch, -1, 2)[...] = np.stack([gx.sum(-1), gy.sum(-1)], -1)
    weights = (dxc * dyc, (one - dxc) * (one - dyc), dxc * (one - dyc), (one - dxc) * dyc)
    rows = np.broadcast_to(np.arange(batch)[:, None], inside.shape)
    for (_, qx, qy, ok), weight in zip(corners, weights):
        np.add.at(grad_data, (rows[ok], qy[ok], qx[ok]), (go * weight)[ok])
    return grad_data, grad_warp


def _resampler_infer(data, warp):
    _check_dtype(data, _T, "data")
    for name, spec in (("data", data), ("warp", warp)):
        if spec.shape.rank == 0:
            raise shape_error(f"Shape must be at least rank 1 but is rank 0 for '{name}'")
    channels = data.shape[-1] if data.shape.rank is not None else None
    if warp.shape.rank is None:
        return [TensorSpec(TensorShape(None), data.dtype)]
    return [TensorSpec(TensorShape(list(warp.shape.dims[:-1]) + [channels]), data.dtype)]


def _resampler_grad(op, grad_output):
    data, warp = op.inputs
    return RESAMPLER_GRAD(data, warp, grad_output)


RESAMPLER = register(OpDef(
    "Resampler", inputs=["data:T", "warp:T"],
    kernel=_resampler_kernel, infer=_resampler_infer, grad=_resampler_grad,
    doc="bilinear samples of each image at its warp's (x, y) points; 0 outside",
))


def _resampler_grad_infer(data, warp, grad_output):
    _check_dtype(data, _T, "data")
    return [TensorSpec(data.shape, data.dtype), TensorSpec(warp.shape, data.dtype)]


RESAMPLER_GRAD = register(OpDef(
    "ResamplerGrad", inputs=["data:T", "warp:T", "grad_output:T"],
    kernel=_resampler_grad_kernel, infer=_resampler_grad_infer,
    grad=NOT_DIFFERENTIABLE,  # TF: ops.NotDifferentiable("ResamplerGrad")
    doc="the gradients of Resampler with respect to its data and warp",
))


def resampler(data, warp, name=None):
    """The Resampler op (``tf.contrib.resampler.resampler`` adds TF's name scope)."""
    return RESAMPLER(data, warp, name=name)


def resampler_grad(data, warp, grad_output, name=None):
    """The ResamplerGrad op: ``[grad_data, grad_warp]``."""
    return RESAMPLER_GRAD(data, warp, grad_output, name=name)
