"""ExtractGlimpse and ExtractGlimpseV2: windows of ``size`` [height, width] cut from a batch of
[batch, height, width, channels] images at per-image ``offsets`` (y, x); the part of a window
outside its image is noise. tf.compat.v1.image.extract_glimpse builds the first,
tf.image.extract_glimpse (TF2) the second.

Both follow Eigen's GlimpseExtractionOp (TF's kernel) step by step, in float32 as it does:
the offset is scaled by the image size when ``normalized``, moved from the image's center when
``centered``, and (v1 always, v2 only when both are set) moved back by half the window; the
window's corner is that position truncated toward zero. Version 1 also halves a centered offset
that is not normalized (TF keeps that for old graphs). Noise: "uniform" (the image's min plus
U[0, 1) times its range, over all channels), "gaussian" (each channel's mean plus N(0, 1) times
its standard deviation, clipped to the channel's range) or "zero"; ``uniform_noise`` or an empty
``noise`` pick "uniform". The noise's values are numpy's draws, not Eigen's. TF declares
ExtractGlimpse not differentiable and registers nothing for V2 (asking for its gradient raises
LookupError)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from ._util import const_ints

_NOISES = ("uniform", "gaussian", "zero")


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, None, message)


def _corner(off, size, image, version, normalized, centered):
    """The window's top-left corner along one axis (float32 arithmetic, then C's cast)."""
    f = np.float32
    x, image_f, half = f(off), f(image), f(size) / f(2.0)
    if version == 1:
        if normalized:
            x = x * image_f
        if centered:
            x = x / f(2.0) + image_f / f(2.0)
        x = x - half
    elif normalized:
        x = x * image_f
        if centered:
            x = x / f(2.0) + image_f / f(2.0) - half
    elif centered:
        x = x + image_f / f(2.0)
    if not np.isfinite(x) or abs(float(x)) >= 2.0 ** 63:
        return -(2 ** 63)  # what x86's conversion gives (Index)x for NaN or out of range
    return int(x)  # truncation toward zero, as (Index)x


def _span(corner, size, image):
    """Eigen's clipping along one axis: (source start, length, destination start), and whether
    the window leaves the image (TF also counts a window touching the far edge)."""
    if corner < 0:
        length = max(0, size + corner)
        return 0, min(image, length), size - length, True
    if corner + size >= image:
        return corner, min(image, max(0, image - corner)), 0, True
    return corner, size, 0, False


def _noise(rng, image, out_shape, noise):
    if noise == "zero":
        return np.zeros(out_shape, np.float32)
    if image.size == 0:  # Eigen's min/max/mean of nothing: the noise is NaN
        return np.full(out_shape, np.nan, np.float32)
    if noise == "uniform":
        lo = image.min()
        return (lo + (rng.random(out_shape, dtype=np.float32) *
                      np.float32(image.max() - lo))).astype(np.float32)
    mean = image.mean(axis=(0, 1), dtype=np.float32)
    sigma = np.sqrt(np.square(image - mean).mean(axis=(0, 1), dtype=np.float32))
    draw = mean + rng.standard_normal(out_shape, dtype=np.float32) * sigma
    return np.clip(draw, image.min(axis=(0, 1)), image.max(axis=(0, 1))).astype(np.float32)


def _glimpse_kernel(version):
    def kernel(rng, input, size, offsets, *, centered, normalized, uniform_noise, noise):  # noqa: A002
        if input.ndim != 4:
            raise _invalid(f"input must be 4-dimensional (batch_size, height, width, depth)"
                           f"{list(input.shape)}")
        size = np.asarray(size)
        if size.shape != (2,):
            raise _invalid(f"input must be a vector of size 2 (height, width){list(size.shape)}")
        if offsets.ndim != 2:
            raise _invalid(f"input must be a matrix{list(offsets.shape)}")
        if offsets.shape[0] != input.shape[0]:
            raise _invalid(f"first dimension should be batch{list(offsets.shape)}")
        if offsets.shape[1] != 2:
            raise _invalid(f"second dimension should be of size 2 (y,x){list(offsets.shape)}")
        mode = _mode(uniform_noise, noise)
        height, width = int(size[0]), int(size[1])
        for v in (height, width):
            if v < 0:
                raise _invalid(f"Expected a non-negative size, got {v}")
        batch, in_h, in_w, channels = input.shape
        out = np.empty((batch, height, width, channels), np.float32)
        if out.size == 0:
            return out
        for i in range(batch):
            oy = _corner(offsets[i, 0], height, in_h, version, normalized, centered)
            ox = _corner(offsets[i, 1], width, in_w, version, normalized, centered)
            sy, ly, dy, part_y = _span(oy, height, in_h)
            sx, lx, dx, part_x = _span(ox, width, in_w)
            if part_x or part_y:
                out[i] = _noise(rng, input[i], out.shape[1:], mode)
            if ly and lx:
                out[i, dy:dy + ly, dx:dx + lx] = input[i, sy:sy + ly, sx:sx + lx]
        return out
    return kernel


def _mode(uniform_noise: bool, noise: str) -> str:
    """TF's choice: ``uniform_noise`` or an empty ``noise`` mean "uniform"."""
    if uniform_noise or noise in ("", "uniform"):
        return "uniform"
    if noise not in _NOISES:
        raise _invalid(f"The noise could only be uniform, gaussian, or zero, got{noise}")
    return noise


def _glimpse_infer(input, size, offsets, *, uniform_noise, noise, **_):  # noqa: A002
    if uniform_noise and noise not in ("", "uniform"):
        raise shape_error("The uniform_noise should not be True when noise is not uniform")
    for spec, what, rank in ((input, "input", 4), (size, "size", 1), (offsets, "offsets", 2)):
        if spec.shape.rank not in (None, rank):
            raise shape_error(f"Shape must be rank {rank} but is rank {spec.shape.rank} for "
                              f"'{what}'")
    if size.shape.rank == 1 and size.shape[0].value not in (None, 2):
        raise shape_error(f"Dimension must be 2 but is {size.shape[0].value} for 'size'")
    if offsets.shape.rank == 2 and offsets.shape[1].value not in (None, 2):
        raise shape_error(f"Dimension must be 2 but is {offsets.shape[1].value} for 'offsets'")
    dims = input.shape.as_tuple() or (None,) * 4
    batch = dims[0] if dims[0] is not None else (
        offsets.shape[0].value if offsets.shape.rank == 2 else None)
    if dims[0] is not None and offsets.shape.rank == 2 and \
            offsets.shape[0].value not in (None, dims[0]):
        raise shape_error(f"Dimensions must be equal, but are {dims[0]} and "
                          f"{offsets.shape[0].value} for 'offsets'")
    hw = const_ints(size)
    hw = hw if hw is not None and len(hw) == 2 else [None, None]
    return [TensorSpec(TensorShape([batch, hw[0], hw[1], dims[3]]), _dt.float32)]


def _glimpse_op(type_, version, grad):
    return register(OpDef(
        type_, inputs=["input:float32", "size:int32", "offsets:float32"],
        attrs={"centered": True, "normalized": True, "uniform_noise": True,
               "noise": "uniform"},
        kernel=_glimpse_kernel(version), infer=_glimpse_infer, grad=grad,
        stateful=True, resource="rng",  # the noise: a fresh draw each run, as TF's
    ))


EXTRACT_GLIMPSE = _glimpse_op("ExtractGlimpse", 1, NOT_DIFFERENTIABLE)
EXTRACT_GLIMPSE_V2 = _glimpse_op("ExtractGlimpseV2", 2, NO_GRADIENT)


def extract_glimpse(input, size, offsets, centered=True, normalized=True,  # noqa: A002
                    uniform_noise=True, name=None):
    """tf.compat.v1.image.extract_glimpse: the ExtractGlimpse op (version 1 arithmetic)."""
    return EXTRACT_GLIMPSE(input, size, offsets, centered=centered, normalized=normalized,
                           uniform_noise=uniform_noise, name=name or "ExtractGlimpse")


def extract_glimpse_v2(input, size, offsets, centered=True, normalized=True,  # noqa: A002
                       noise="uniform", name=None):
    """TF2's tf.image.extract_glimpse: the ExtractGlimpseV2 op, ``noise`` "uniform",
    "gaussian" or "zero"."""
    return EXTRACT_GLIMPSE_V2(input, size, offsets, centered=centered, normalized=normalized,
                              noise=noise, uniform_noise=False, name=name or "ExtractGlimpseV2")
