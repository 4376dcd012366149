"""``tf.contrib.resampler`` (TF 1.15): ``resampler(data, warp)``, differentiable bilinear
sampling of a batch of images at arbitrary points (Sonnet's resampler). The Resampler op and
its gradient op ResamplerGrad are core/ops/resampler_ops.py."""

from __future__ import annotations

import minitf as tf

from ..ops.resampler_ops import RESAMPLER

__all__ = ["resampler"]


def resampler(data, warp, name="resampler"):
    """TF's ``resampler``: ``data`` [batch, height, width, channels] sampled bilinearly at the
    (x, y) points of ``warp`` [batch, d_0, ..., d_n, 2] (x indexes the width, y the height),
    giving [batch, d_0, ..., d_n, channels]. Outside the image the data reads as 0, so a
    point further than one pixel outside samples 0."""
    with tf.name_scope(name, "resampler", [data, warp]):
        data_tensor = tf.convert_to_tensor(data, name="data")
        warp_tensor = tf.convert_to_tensor(warp, name="warp")
        return RESAMPLER(data_tensor, warp_tensor)
