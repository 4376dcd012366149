"""Cases for DecodeJpeg, DecodeAndCropJpeg and ExtractJpegShape. The references are what real
TensorFlow decoded from the same files (tests/core/data/jpeg, made by make_fixtures.py); crops
whose window starts at column 0 and ends at the right edge are rows of TF's whole decode (libjpeg
widens a crop to whole MCU columns and upsamples its edges as image edges, so other windows can
differ near their sides: test_jpeg.py checks those against TF itself)."""

import pathlib

import numpy as np

from .harness import Case

DATA = pathlib.Path(__file__).parent.parent / "data" / "jpeg"


def _file(name):
    return np.array((DATA / f"{name}.jpg").read_bytes(), dtype=object)


def _tf_decoded(name, variant="", rows=slice(None)):
    want = np.load(DATA / f"{name}{variant}.npy")[rows]
    return lambda *inputs, **attrs: want


def _tf_shape(name, dtype):
    shape = np.load(DATA / f"{name}.npy").shape
    channels = 1 if name.startswith("gray") else 3
    return lambda contents, **attrs: np.array(shape[:2] + (channels,), dtype)


CASES = [
    Case("DecodeJpeg", [_file("rgb420_q75")], ref=_tf_decoded("rgb420_q75"), exact_shape=False,
         id="DecodeJpeg-420"),
    Case("DecodeJpeg", [_file("rgb420_progressive")], attrs={"channels": 1},
         ref=_tf_decoded("rgb420_progressive", ".c1"), exact_shape=False,
         id="DecodeJpeg-progressive-gray"),
    Case("DecodeJpeg", [_file("rgb422_q90")], attrs={"dct_method": "INTEGER_ACCURATE"},
         ref=_tf_decoded("rgb422_q90", ".accurate"), exact_shape=False, id="DecodeJpeg-accurate"),
    Case("DecodeJpeg", [_file("rgb420_restart")], attrs={"fancy_upscaling": False},
         ref=_tf_decoded("rgb420_restart", ".plain"), exact_shape=False,
         id="DecodeJpeg-restart-plain"),
    Case("DecodeJpeg", [_file("rgb440_patched")], attrs={"ratio": 2},
         ref=_tf_decoded("rgb440_patched", ".r2"), exact_shape=False, id="DecodeJpeg-ratio2"),
    Case("DecodeAndCropJpeg", [_file("rgb420_q75"), np.array([5, 0, 20, 27], np.int32)],
         ref=_tf_decoded("rgb420_q75", rows=slice(5, 25)), exact_shape=False,
         id="DecodeAndCropJpeg-rows"),
    Case("ExtractJpegShape", [_file("gray_q85")], ref=_tf_shape("gray_q85", np.int32),
         id="ExtractJpegShape-gray"),
    Case("ExtractJpegShape", [_file("rgb444_q50")], attrs={"output_type": np.int64},
         ref=_tf_shape("rgb444_q50", np.int64), id="ExtractJpegShape-int64"),
]
