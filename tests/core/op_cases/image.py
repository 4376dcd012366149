"""Cases for the image ops: ResizeBilinear, ResizeNearestNeighbor, ResizeBicubic and their Grad
ops, AdjustContrastv2, AdjustHue, AdjustSaturation, RGBToHSV, HSVToRGB.

The resize references loop over output pixels with scalar float32 arithmetic as TensorFlow's
kernels document it (source coordinate, clamped neighbours, lerps; Keys cubic weights from the
polynomial at the 1/1024-quantised offset); the gradient references add each output's weighted
gradient into its input pixels one by one. The colour references use Python's colorsys per
pixel. Ops whose output is float32 whatever the input (so the harness cannot differentiate
them in float64) have their gradients checked in test_image.py (COVERED_BY).
"""

import colorsys
import math

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(11)
F = np.float32
ATTRS = [(False, False), (True, False), (False, True)]


def f32(*shape):
    return R.standard_normal(shape).astype(F)


def size(h, w):
    return Const(np.array([h, w], np.int32))


# -- resize references ---------------------------------------------------------------------------


def _src(o, in_size, out_size, align_corners, half_pixel, nearest=False):
    if align_corners and out_size > 1:
        scale = F(in_size - 1) / F(out_size - 1)
    else:
        scale = F(in_size) / F(out_size)
    if not half_pixel:
        return F(o) * scale
    v = (F(o) + F(0.5)) * scale
    return v if nearest else v - F(0.5)


def _linear(o, in_size, out_size, ac, hp):
    """[(index, weight)] of one output row/column: the two neighbours and their lerp."""
    s = _src(o, in_size, out_size, ac, hp)
    lerp = s - F(math.floor(s))
    lo, hi = max(math.floor(s), 0), min(math.ceil(s), in_size - 1)
    return lo, hi, lerp


def ref_bilinear(x, sz, align_corners=False, half_pixel_centers=False):
    n, h, w, c = x.shape
    oh, ow = (int(v) for v in sz)
    out = np.zeros((n, oh, ow, c), F)
    for i in range(oh):
        y0, y1, ly = _linear(i, h, oh, align_corners, half_pixel_centers)
        for j in range(ow):
            x0, x1, lx = _linear(j, w, ow, align_corners, half_pixel_centers)
            tl, tr = x[:, y0, x0].astype(F), x[:, y0, x1].astype(F)
            bl, br = x[:, y1, x0].astype(F), x[:, y1, x1].astype(F)
            top, bottom = tl + (tr - tl) * lx, bl + (br - bl) * lx
            out[:, i, j] = top + (bottom - top) * ly
    return out


def _bilinear_taps(o, in_size, out_size, ac, hp):
    lo, hi, lerp = _linear(o, in_size, out_size, ac, hp)
    return [(lo, 1.0 - float(lerp)), (hi, float(lerp))]


def _nearest(o, in_size, out_size, ac, hp):
    s = float(_src(o, in_size, out_size, ac, hp, nearest=True))
    i = math.floor(s + 0.5) if ac else math.floor(s)
    return min(max(i, 0), in_size - 1)


def ref_nearest(x, sz, align_corners=False, half_pixel_centers=False):
    n, h, w, c = x.shape
    oh, ow = (int(v) for v in sz)
    out = np.zeros((n, oh, ow, c), x.dtype)
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = x[:, _nearest(i, h, oh, align_corners, half_pixel_centers),
                             _nearest(j, w, ow, align_corners, half_pixel_centers)]
    return out


def _keys(d, a):
    d = abs(d)
    if d <= 1:
        return ((a + 2) * d - (a + 3)) * d * d + 1
    return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a if d < 2 else 0.0


def _cubic_taps(o, in_size, out_size, ac, hp):
    s = _src(o, in_size, out_size, ac, hp)
    base = math.floor(s)
    t = float(np.rint((s - F(base)) * F(1024))) / 1024  # TF reads a 1025-entry table
    a = -0.5 if hp else -0.75
    taps = [(base + k, float(F(_keys(t - k, a)))) for k in (-1, 0, 1, 2)]
    if not hp:  # legacy: clamp the index, keep the weight
        return [(min(max(i, 0), in_size - 1), wt) for i, wt in taps]
    inside = [(i, wt) for i, wt in taps if 0 <= i < in_size]  # Keys: drop and renormalise
    total = sum(wt for _, wt in inside)
    return [(i, wt / total) for i, wt in inside]


def _separable(taps):
    def ref(x, sz, align_corners=False, half_pixel_centers=False):
        n, h, w, c = x.shape
        oh, ow = (int(v) for v in sz)
        out = np.zeros((n, oh, ow, c))
        for i in range(oh):
            for j in range(ow):
                for yi, wy in taps(i, h, oh, align_corners, half_pixel_centers):
                    for xi, wx in taps(j, w, ow, align_corners, half_pixel_centers):
                        out[:, i, j] += wy * wx * x[:, yi, xi]
        return out.astype(F)
    return ref


ref_bicubic = _separable(_cubic_taps)


def _grad_ref(taps):
    """The transpose of a separable resize: each output's gradient spread over its taps."""
    def ref(dy, original, align_corners=False, half_pixel_centers=False):
        n, h, w, c = original.shape
        oh, ow = dy.shape[1:3]
        out = np.zeros((n, h, w, c))
        for i in range(oh):
            for j in range(ow):
                for yi, wy in taps(i, h, oh, align_corners, half_pixel_centers):
                    for xi, wx in taps(j, w, ow, align_corners, half_pixel_centers):
                        out[:, yi, xi] += wy * wx * dy[:, i, j]
        return out.astype(original.dtype)
    return ref


ref_bilinear_grad = _grad_ref(_bilinear_taps)
ref_bicubic_grad = _grad_ref(_cubic_taps)


def ref_nearest_grad(dy, sz, align_corners=False, half_pixel_centers=False):
    n, oh, ow, c = dy.shape
    h, w = (int(v) for v in sz)
    out = np.zeros((n, h, w, c), dy.dtype)
    for i in range(oh):
        for j in range(ow):
            out[:, _nearest(i, h, oh, align_corners, half_pixel_centers),
                _nearest(j, w, ow, align_corners, half_pixel_centers)] += dy[:, i, j]
    return out


# -- colour references (colorsys, per pixel) -------------------------------------------------------


def _per_pixel(x, fn):
    flat = x.reshape(-1, 3).astype(np.float64)
    return np.array([fn(*p) for p in flat]).reshape(x.shape).astype(x.dtype)


def ref_contrast(x, factor):
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=(-3, -2), keepdims=True)
    return ((x64 - mean) * float(factor) + mean).astype(x.dtype)


def ref_hue(x, delta):
    def shift(r, g, b):
        h, s, v = colorsys.rgb_to_hsv(r, g, b)
        return colorsys.hsv_to_rgb((h + float(delta)) % 1.0, s, v)
    return _per_pixel(x, shift)


def ref_saturation(x, scale):
    def scaled(r, g, b):
        h, s, v = colorsys.rgb_to_hsv(r, g, b)
        return colorsys.hsv_to_rgb(h, min(max(s * float(scale), 0.0), 1.0), v)
    return _per_pixel(x, scaled)


def ref_rgb_to_hsv(x):
    return _per_pixel(x, colorsys.rgb_to_hsv)


def ref_hsv_to_rgb(x):
    return _per_pixel(x, colorsys.hsv_to_rgb)


def colours(*shape, dtype=F):
    """RGB pixels in [0.05, 1] with channels at least 0.1 apart (no ties, no grey pixels) and
    a few exact greys and black."""
    base = R.uniform(0.05, 0.75, shape[:-1] + (1,))
    steps = np.stack([R.permutation(3) for _ in range(int(np.prod(shape[:-1])))])
    x = base + 0.12 * steps.reshape(shape) + R.uniform(0, 0.01, shape)
    flat = x.reshape(-1, 3)
    flat[0], flat[1] = 0.5, 0.0
    return x.astype(dtype)


# -- cases -----------------------------------------------------------------------------------------


def _resize_cases():
    x, x64, u8 = f32(2, 4, 5, 3), R.standard_normal((1, 3, 4, 2)), \
        R.integers(0, 256, (1, 3, 4, 2)).astype(np.uint8)
    cases = []
    for ac, hp in ATTRS:
        kw = dict(align_corners=ac, half_pixel_centers=hp)
        for op, ref in (("ResizeBilinear", ref_bilinear), ("ResizeBicubic", ref_bicubic),
                        ("ResizeNearestNeighbor", ref_nearest)):
            grad = None if op == "ResizeNearestNeighbor" else []  # float32 out: test_image
            tag = f"{op}-{int(ac)}{int(hp)}"
            cases += [
                Case(op, [x, size(7, 3)], ref, kw, grad=grad, id=f"{tag}-up"),
                Case(op, [x, size(2, 2)], ref, kw, grad=grad, id=f"{tag}-down"),
                Case(op, [x64, size(5, 9)], ref, kw, grad=grad, id=f"{tag}-f64"),
                Case(op, [u8, size(6, 5)], ref, kw, id=f"{tag}-u8", atol=1e-4),
            ]
        cases += [
            Case("ResizeBilinear", [x, size(1, 1)], ref_bilinear, kw, grad=[],
                 id=f"ResizeBilinear-{int(ac)}{int(hp)}-1x1"),
            Case("ResizeNearestNeighbor", [R.integers(-9, 9, (2, 3, 3, 1)).astype(np.int32),
                                           size(4, 2)], ref_nearest, kw,
                 id=f"ResizeNearestNeighbor-{int(ac)}{int(hp)}-int32"),
            Case("ResizeBilinearGrad", [f32(2, 7, 3, 3), x], ref_bilinear_grad, kw, grad=[],
                 id=f"ResizeBilinearGrad-{int(ac)}{int(hp)}"),
            Case("ResizeBilinearGrad", [f32(1, 2, 6, 2), x64], ref_bilinear_grad, kw, grad=[],
                 id=f"ResizeBilinearGrad-{int(ac)}{int(hp)}-f64"),
            Case("ResizeBicubicGrad", [f32(2, 6, 8, 3), x], ref_bicubic_grad, kw, grad=[],
                 id=f"ResizeBicubicGrad-{int(ac)}{int(hp)}"),
            Case("ResizeBicubicGrad", [f32(1, 2, 3, 2), x64], ref_bicubic_grad, kw, grad=[],
                 id=f"ResizeBicubicGrad-{int(ac)}{int(hp)}-f64"),
            Case("ResizeNearestNeighborGrad", [f32(2, 7, 3, 3), size(4, 5)], ref_nearest_grad,
                 kw, id=f"ResizeNearestNeighborGrad-{int(ac)}{int(hp)}"),
            Case("ResizeNearestNeighborGrad", [f32(1, 2, 2, 1), size(5, 3)], ref_nearest_grad,
                 kw, id=f"ResizeNearestNeighborGrad-{int(ac)}{int(hp)}-up"),
            Case("ResizeNearestNeighborGrad",
                 [R.integers(-5, 5, (1, 5, 4, 2)).astype(np.int32), size(3, 3)],
                 ref_nearest_grad, kw, id=f"ResizeNearestNeighborGrad-{int(ac)}{int(hp)}-int"),
        ]
    return cases


CASES = _resize_cases() + [
    Case("AdjustContrastv2", [f32(4, 5, 3), np.float32(1.7)], ref_contrast, grad=[]),
    Case("AdjustContrastv2", [f32(2, 3, 4, 2), np.float32(-0.4)], ref_contrast, grad=[]),
    Case("AdjustHue", [colours(2, 3, 4, 3), np.float32(0.3)], ref_hue, rtol=1e-5, atol=2e-6),
    Case("AdjustHue", [colours(4, 5, 3), np.float32(-0.85)], ref_hue, rtol=1e-5, atol=2e-6),
    Case("AdjustSaturation", [colours(2, 3, 4, 3), np.float32(0.4)], ref_saturation,
         atol=2e-6),
    Case("AdjustSaturation", [colours(4, 5, 3), np.float32(2.5)], ref_saturation, atol=2e-6),
    Case("RGBToHSV", [colours(3, 4, 3)], ref_rgb_to_hsv, grad=[]),
    Case("RGBToHSV", [colours(2, 3, 3, dtype=np.float64)[1:]], ref_rgb_to_hsv),  # no grey
    Case("HSVToRGB", [R.uniform(0, 1, (3, 4, 3)).astype(F)], ref_hsv_to_rgb, atol=2e-6),
    Case("HSVToRGB", [R.uniform(0, 1, (5, 3))], ref_hsv_to_rgb),
]

# Float32 outputs of float64 inputs (and float32-only inputs): their gradients are checked as
# the adjoint of the forward map and against finite differences in float32.
COVERED_BY = {
    "ResizeBilinear": "test_image.py::test_resize_gradients_are_adjoints",
    "ResizeBicubic": "test_image.py::test_resize_gradients_are_adjoints",
    "ResizeBilinearGrad": "test_image.py::test_resize_gradients_are_adjoints",
    "ResizeBicubicGrad": "test_image.py::test_resize_gradients_are_adjoints",
    "AdjustContrastv2": "test_image.py::test_adjust_contrast_gradient",
}
