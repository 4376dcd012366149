"""Cases for Resampler and ResamplerGrad (tf.contrib.resampler). TensorFlow 2 has neither op,
so the reference is numpy written from the equations, point by point: a point (x, y) with
-1 < x < width and -1 < y < height is the sum over its four neighbouring pixels (i, j) of
(1 - |x - i|)(1 - |y - j|) times the pixel (0 outside the image); any other point is 0. The
gradients are that sum's derivatives. Contrib-level tests: tests/core/contrib/
test_contrib_resampler.py."""

import numpy as np

import minitf.ops.resampler_ops  # noqa: F401 - registers Resampler and ResamplerGrad (contrib)

from .harness import Case

R = np.random.default_rng(23)


def _neighbours(x, y):
    """The four pixels around (x, y) with their weights and the weights' x and y slopes."""
    x0, y0 = int(np.floor(x)), int(np.floor(y))
    for i in (x0, x0 + 1):
        for j in (y0, y0 + 1):
            wx, wy = 1 - abs(x - i), 1 - abs(y - j)
            sx = 1.0 if i > x0 else -1.0  # d(1 - |x - i|)/dx for i on either side of x
            sy = 1.0 if j > y0 else -1.0
            yield i, j, wx, wy, sx, sy


def _samples(x, y, height, width):
    return -1 < x < width and -1 < y < height


def ref_resampler(data, warp):
    batch, height, width, channels = data.shape
    points = warp.reshape(batch, -1, 2).astype(np.float64)
    out = np.zeros((batch, points.shape[1], channels))
    for b in range(batch):
        for p, (x, y) in enumerate(points[b]):
            if not _samples(x, y, height, width):
                continue
            for i, j, wx, wy, _, _ in _neighbours(x, y):
                if 0 <= i < width and 0 <= j < height:
                    out[b, p] += wx * wy * data[b, j, i].astype(np.float64)
    return out.reshape(warp.shape[:-1] + (channels,)).astype(data.dtype)


def ref_resampler_grad(data, warp, grad_output):
    batch, height, width, channels = data.shape
    points = warp.reshape(batch, -1, 2).astype(np.float64)
    go = grad_output.reshape(batch, -1, channels).astype(np.float64)
    grad_data = np.zeros(data.shape)
    grad_warp = np.zeros(points.shape)
    for b in range(batch):
        for p, (x, y) in enumerate(points[b]):
            if not _samples(x, y, height, width):
                continue
            for i, j, wx, wy, sx, sy in _neighbours(x, y):
                if 0 <= i < width and 0 <= j < height:
                    pixel = data[b, j, i].astype(np.float64)
                    grad_data[b, j, i] += wx * wy * go[b, p]
                    grad_warp[b, p, 0] += sx * wy * (pixel * go[b, p]).sum()
                    grad_warp[b, p, 1] += wx * sy * (pixel * go[b, p]).sum()
    return grad_data.astype(data.dtype), grad_warp.reshape(warp.shape).astype(data.dtype)


def points(batch, n, height, width, margin=1.5):
    """Random points over the image and up to ``margin`` pixels around it, kept away from
    whole numbers (where the interpolation has kinks) by more than the gradient check's
    step."""
    xy = np.stack([R.uniform(-margin, width - 1 + margin, (batch, n)),
                   R.uniform(-margin, height - 1 + margin, (batch, n))], -1)
    near = np.abs(xy - np.round(xy)) < 0.05
    return np.where(near, xy + 0.1, xy).astype(np.float32)


DATA = R.standard_normal((2, 3, 4, 2)).astype(np.float32)
WARP = points(2, 7, 3, 4)
# On the border and beyond it: corners, the last row/column, exactly -1 and width/height.
EDGES = np.array([[[0, 0], [3, 2], [3, 0.5], [1.5, 2], [-1, 1], [4, 1], [-0.5, -0.5],
                   [3.5, 2.5], [1, -1], [2, 3]]], np.float32)

CASES = [
    Case("Resampler", [DATA, WARP], ref=ref_resampler),
    Case("Resampler", [DATA[:1], EDGES], ref=ref_resampler, grad=[0],
         id="Resampler-border-and-outside"),
    Case("Resampler", [DATA, points(2, 6, 3, 4).reshape(2, 2, 3, 2)], ref=ref_resampler,
         id="Resampler-grid-of-points"),
    Case("Resampler", [DATA.astype(np.float64), WARP.astype(np.float64)], ref=ref_resampler,
         id="Resampler-float64"),
    Case("ResamplerGrad", [DATA, WARP, R.standard_normal((2, 7, 2)).astype(np.float32)],
         ref=ref_resampler_grad, rtol=1e-4, atol=1e-5),
    Case("ResamplerGrad", [DATA[:1], EDGES, R.standard_normal((1, 10, 2)).astype(np.float32)],
         ref=ref_resampler_grad, rtol=1e-4, atol=1e-5, id="ResamplerGrad-border-and-outside"),
]
