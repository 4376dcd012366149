"""Cases for EncodeJpeg and EncodeJpegVariableQuality. The encoded files are read back with
minitf's own decoder (core/ops/_jpeg.py, checked against TensorFlow in test_jpeg.py, and
independent of the encoder): the header must carry the attrs (progressive frame, densities,
XMP) and the pixels must be close to the input (a PSNR bound for the quality). Byte equality
with TensorFlow and libjpeg-turbo is test_jpeg_encode.py's."""

import numpy as np

from .harness import Case

R = np.random.default_rng(11)


def _smooth(h, w, c):
    y, x = np.mgrid[:h, :w]
    planes = [(np.sin(x / 5 + i) * np.cos(y / 7) * 90 + 128) for i in range(c)]
    return np.clip(np.stack(planes, -1) + R.normal(0, 3, (h, w, c)), 0, 255).astype(np.uint8)


def _psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    return np.inf if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def _read_back(min_psnr, progressive=False, density=(1, 300, 300), xmp=b""):
    def check(outs, inputs):
        from minitf.ops import _jpeg

        data, image = outs[0][()], inputs[0]
        assert outs[0].shape == () and isinstance(data, bytes)
        assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
        jfif = data[data.index(b"JFIF\0"):][:14]
        assert (jfif[7], int.from_bytes(jfif[8:10], "big"),
                int.from_bytes(jfif[10:12], "big")) == density
        assert (b"\xff\xe1" + (len(xmp) + 31).to_bytes(2, "big") + b"http://ns.adobe.com/xap/1.0/\0"
                + xmp in data) == bool(xmp)
        frame = _jpeg.read_header(data)
        assert frame.progressive == progressive
        assert (frame.height, frame.width, len(frame.components)) == image.shape
        decoded = _jpeg.decode(data, image.shape[-1], fast=False)
        assert _psnr(decoded, image) > min_psnr
    return check


CASES = [
    Case("EncodeJpeg", [_smooth(21, 30, 3)], ref=None, check=_read_back(30),
         id="EncodeJpeg-rgb-420"),
    Case("EncodeJpeg", [_smooth(9, 17, 1)],
         attrs={"format": "grayscale", "quality": 80, "optimize_size": True,
                "density_unit": "cm", "x_density": 72, "y_density": 96},
         ref=None, check=_read_back(30, density=(2, 72, 96)), id="EncodeJpeg-gray-optimized"),
    Case("EncodeJpeg", [_smooth(16, 24, 3)],
         attrs={"format": "rgb", "progressive": True, "chroma_downsampling": False,
                "xmp_metadata": "<x:xmpmeta/>"},
         ref=None, check=_read_back(32, progressive=True, xmp=b"<x:xmpmeta/>"),
         id="EncodeJpeg-progressive-444-xmp"),
    Case("EncodeJpegVariableQuality", [_smooth(13, 11, 3), np.array(60, np.int32)], ref=None,
         check=_read_back(26), id="EncodeJpegVariableQuality-rgb"),
]
