"""Cases for core/ops/glimpse_ops.py: ExtractGlimpse (v1 offset arithmetic) and
ExtractGlimpseV2. References place each output pixel one at a time (the image's pixel under it,
else the zero noise), from TF's documented offset rules: normalized offsets scale by the image
size, centered ones count from its center, and the window's corner is truncated toward zero.
Random noise is checked by its range (``check``); windows inside the image are deterministic."""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(71)
IMG = R.standard_normal((2, 6, 7, 3)).astype(np.float32)


def _corner(off, size, image, version, normalized, centered):
    f = np.float32
    x = f(off)
    if version == 1:
        x = x * f(image) if normalized else x
        x = x / f(2) + f(image) / f(2) if centered else x
        return int(x - f(size) / f(2))
    if normalized and centered:
        return int((x * f(image)) / f(2) + f(image) / f(2) - f(size) / f(2))
    if normalized:
        return int(x * f(image))
    return int(x + f(image) / f(2)) if centered else int(x)


def _ref(version):
    def ref(img, size, offsets, centered, normalized, **_):
        h, w = (int(v) for v in size)
        out = np.zeros((img.shape[0], h, w, img.shape[3]), np.float32)
        for b in range(img.shape[0]):
            oy = _corner(offsets[b, 0], h, img.shape[1], version, normalized, centered)
            ox = _corner(offsets[b, 1], w, img.shape[2], version, normalized, centered)
            for r in range(h):
                for c in range(w):
                    if 0 <= oy + r < img.shape[1] and 0 <= ox + c < img.shape[2]:
                        out[b, r, c] = img[b, oy + r, ox + c]
        return out
    return ref


def _noise_in_range(outputs, inputs):
    """Outside the image: values within the image's range (uniform: over all channels)."""
    (out,), img = outputs, inputs[0]
    for b in range(img.shape[0]):
        assert out[b].min() >= img[b].min() and out[b].max() <= img[b].max()
    assert np.isfinite(out).all()


def _attrs(centered, normalized, noise="zero", uniform_noise=False):
    return {"centered": centered, "normalized": normalized, "noise": noise,
            "uniform_noise": uniform_noise}


def _i(*v):
    return Const(np.array(v, np.int32))


OFF_NORM = np.array([[0.9, -0.3], [-0.95, 0.4]], np.float32)
OFF_PIX = np.array([[-2.5, 3.7], [4.0, -6.2]], np.float32)
INSIDE = np.array([[0.1, -0.1], [0.0, 0.2]], np.float32)  # a 3x3 window inside the image

CASES = [
    Case("ExtractGlimpseV2", [IMG, _i(4, 5), OFF_NORM], _ref(2), attrs=_attrs(True, True)),
    Case("ExtractGlimpseV2", [IMG, _i(3, 4), OFF_PIX], _ref(2), attrs=_attrs(False, False),
         id="ExtractGlimpseV2-pixels"),
    Case("ExtractGlimpseV2", [IMG, _i(5, 2), OFF_PIX], _ref(2), attrs=_attrs(True, False),
         id="ExtractGlimpseV2-centered-pixels"),
    Case("ExtractGlimpseV2", [IMG, _i(2, 3), np.abs(OFF_NORM)], _ref(2),
         attrs=_attrs(False, True), id="ExtractGlimpseV2-normalized-corner"),
    Case("ExtractGlimpseV2", [IMG, _i(3, 3), INSIDE], _ref(2),
         attrs=_attrs(True, True, noise="uniform"), id="ExtractGlimpseV2-inside-uniform"),
    Case("ExtractGlimpseV2", [IMG, _i(9, 10), OFF_NORM], None, check=_noise_in_range,
         attrs=_attrs(True, True, noise="gaussian"), id="ExtractGlimpseV2-gaussian"),
    Case("ExtractGlimpse", [IMG, _i(4, 5), OFF_NORM], _ref(1), attrs=_attrs(True, True)),
    Case("ExtractGlimpse", [IMG, _i(3, 4), OFF_PIX], _ref(1), attrs=_attrs(True, False),
         id="ExtractGlimpse-v1-centered-pixels"),
    Case("ExtractGlimpse", [IMG, _i(3, 4), OFF_PIX], _ref(1), attrs=_attrs(False, False),
         id="ExtractGlimpse-v1-pixels"),
    Case("ExtractGlimpse", [IMG, _i(3, 3), INSIDE], _ref(1),
         attrs=_attrs(True, True, "uniform", True), id="ExtractGlimpse-inside-uniform"),
    Case("ExtractGlimpse", [IMG, _i(8, 9), OFF_PIX], None, check=_noise_in_range,
         attrs=_attrs(False, False, "uniform", True), id="ExtractGlimpse-uniform-noise"),
]
