"""Cases for DecodePng, DecodeImage and EncodePng. The decode references are what real
TensorFlow decoded from the same files (tests/core/data/png, made by make_fixtures.py); the
encoder's output is read back with PIL (an independent decoder) or, for 16-bit colour, which PIL
narrows to 8 bits, with minitf's decoder, itself checked against TensorFlow in test_png.py."""

import io
import pathlib

import numpy as np

from .harness import Case

DATA = pathlib.Path(__file__).parent.parent / "data" / "png"
R = np.random.default_rng(5)


def _file(name):
    return np.array((DATA / f"{name}.png").read_bytes(), dtype=object)


def _tf_decoded(name, key):
    with np.load(DATA / f"{name}.npz", allow_pickle=False) as z:
        want = z[key]
    return lambda contents, **attrs: want


def _read_back(outs, inputs):
    from PIL import Image

    from minitf.ops._png import decode_png

    (image,) = inputs
    encoded = outs[0]
    assert encoded.shape == image.shape[:-3]
    for idx in np.ndindex(*encoded.shape):
        data, want = encoded[idx], image[idx]
        if want.dtype == np.uint8 or want.shape[-1] == 1:
            got = np.asarray(Image.open(io.BytesIO(data))).reshape(want.shape)
        else:
            got = decode_png(data, 0, sixteen_bit=True)
        np.testing.assert_array_equal(got, want)


CASES = [
    Case("DecodePng", [_file("tf_rgb8")], ref=_tf_decoded("tf_rgb8", "c0_uint8"),
         exact_shape=False, id="DecodePng-rgb8"),
    Case("DecodePng", [_file("palette8_trns")], attrs={"channels": 1, "dtype": np.uint16},
         ref=_tf_decoded("palette8_trns", "c1_uint16"), exact_shape=False,
         id="DecodePng-palette-trns-gray16"),
    Case("DecodePng", [_file("adam7_rgba16")], attrs={"channels": 3},
         ref=_tf_decoded("adam7_rgba16", "c3_uint8"), exact_shape=False, id="DecodePng-adam7"),
    Case("DecodeImage", [_file("filter_paeth_rgb8")], attrs={"dtype": np.float32},
         ref=_tf_decoded("filter_paeth_rgb8", "image_float32"), rtol=0, atol=0,
         exact_shape=False, id="DecodeImage-float32"),
    Case("DecodeImage", [_file("gray4")], attrs={"channels": 4, "expand_animations": False},
         ref=_tf_decoded("gray4", "c4_uint8"), exact_shape=False, id="DecodeImage-gray4-rgba"),
    Case("EncodePng", [R.integers(0, 256, (3, 5, 3), dtype=np.uint8)], ref=None,
         check=_read_back, id="EncodePng-rgb8"),
    Case("EncodePng", [R.integers(0, 65536, (2, 2, 4, 1), dtype=np.uint16)],
         attrs={"compression": 9}, ref=None, check=_read_back, id="EncodePng-batch-gray16"),
    Case("EncodePng", [R.integers(0, 65536, (4, 3, 4), dtype=np.uint16)], ref=None,
         check=_read_back, id="EncodePng-rgba16"),
]
