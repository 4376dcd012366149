"""Cases for DecodeBmp and DecodeGif. The references are what real TensorFlow 2.21 decoded from
the same files (tests/core/data/gif_bmp, made by make_fixtures.py there)."""

import pathlib

import numpy as np

from .harness import Case

DATA = pathlib.Path(__file__).parent.parent / "data" / "gif_bmp"


def _file(name):
    return np.array((DATA / name).read_bytes(), dtype=object)


def _tf_decoded(key):
    want = np.load(DATA / f"{key}.npy", allow_pickle=False)
    return lambda contents, **attrs: want


CASES = [
    Case("DecodeBmp", [_file("rgb_padded.bmp")], ref=_tf_decoded("rgb_padded_c0"),
         exact_shape=False, id="DecodeBmp-rgb24-padded-rows"),
    Case("DecodeBmp", [_file("bgra_32_top_down.bmp")], attrs={"channels": 3},
         ref=_tf_decoded("bgra_32_top_down_c3"), exact_shape=False, id="DecodeBmp-bgra-top-down"),
    Case("DecodeBmp", [_file("gray_8.bmp")], attrs={"channels": 4},
         ref=_tf_decoded("gray_8_c4"), exact_shape=False, id="DecodeBmp-8bit-rgba"),
    Case("DecodeGif", [_file("pil_anim.gif")], ref=_tf_decoded("pil_anim"), exact_shape=False,
         id="DecodeGif-animation"),
    Case("DecodeGif", [_file("offsets.gif")], ref=_tf_decoded("offsets"), exact_shape=False,
         id="DecodeGif-offsets-local-table-transparency"),
    Case("DecodeGif", [_file("kwkwk_chain.gif")], ref=_tf_decoded("kwkwk_chain"),
         exact_shape=False, id="DecodeGif-kwkwk"),
]
