"""Regenerates the PNG fixtures of tests/core/test_png.py. Needs real TensorFlow:

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python tests/core/data/png/make_fixtures.py

Writes ``<name>.png`` and ``<name>.npz``: what ``tf.io.decode_png`` returns for every channels
(0, 1, 3, 4) x dtype (uint8, uint16) variant (keys ``c<channels>_<dtype>``), plus
``decode_image`` with dtype float32 (key ``image_float32``). The 8/16-bit gray/GA/RGB/RGBA files
come from ``tf.io.encode_png``; the others (palette, tRNS, 1/2/4-bit, Adam7, each filter type)
from the small writer below, which builds raw scanlines with chosen filter bytes. The writer is
deliberately plain Python (no numpy tricks), so it shares no code with minitf's decoder.
"""

from __future__ import annotations

import pathlib
import zlib

import numpy as np

HERE = pathlib.Path(__file__).parent
R = np.random.default_rng(2024)
ADAM7 = [(0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2),
         (1, 0, 2, 1)]  # (row start, col start, row step, col step) of each pass
SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # samples per pixel of each colour type


def chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return len(data).to_bytes(4, "big") + kind + data + crc.to_bytes(4, "big")


def paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind: int, row: list[int], prior: list[int], bpp: int) -> list[int]:
    """The filtered bytes of one scanline (the encoder's side of the five filter types)."""
    out = []
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - pred) % 256)
    return out


def pack_row(samples: list[int], depth: int) -> list[int]:
    """Samples of one scanline as bytes: big-endian 16-bit, or packed MSB-first below 8 bits."""
    if depth == 16:
        return [b for s in samples for b in (s >> 8, s & 255)]
    if depth == 8:
        return list(samples)
    per = 8 // depth
    out = []
    for i in range(0, len(samples), per):
        group = samples[i:i + per] + [0] * (per - len(samples[i:i + per]))
        byte = 0
        for s in group:
            byte = (byte << depth) | s
        out.append(byte)
    return out


def scanlines(img: np.ndarray, depth: int, filters) -> bytes:
    """Filtered scanlines of a [h, w, samples] array; ``filters(y)`` picks each row's filter."""
    h, w, s = img.shape
    bpp = max(1, s * depth // 8)
    prior = None
    out = bytearray()
    for y in range(h):
        row = pack_row([int(v) for v in img[y].reshape(-1)], depth)
        prior = prior or [0] * len(row)
        kind = filters(y)
        out.append(kind)
        out += bytes(filter_row(kind, row, prior, bpp))
        prior = row
    return bytes(out)


def write_png(img, color_type, depth, *, filters=lambda y: y % 5, interlace=False,
              palette=None, trns=None, split_idat=False, extra=b"") -> bytes:
    img = np.asarray(img)
    h, w, _ = img.shape
    if interlace:
        raw = b"".join(scanlines(img[r0::dr, c0::dc], depth, filters)
                       for r0, c0, dr, dc in ADAM7 if r0 < h and c0 < w)
    else:
        raw = scanlines(img, depth, filters)
    ihdr = w.to_bytes(4, "big") + h.to_bytes(4, "big") + bytes([depth, color_type, 0, 0,
                                                                 int(interlace)])
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
    if palette is not None:
        out += chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).reshape(-1)))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    data = zlib.compress(raw, 9)
    parts = [data[:len(data) // 2], data[len(data) // 2:]] if split_idat else [data]
    return out + b"".join(chunk(b"IDAT", p) for p in parts) + chunk(b"IEND", b"")


def rand(shape, bits):
    return R.integers(0, 1 << bits, shape)


def hand_built() -> dict[str, bytes]:
    pal = rand((16, 3), 8)
    out = {
        "gray1": write_png(rand((5, 13, 1), 1), 0, 1),
        "gray2": write_png(rand((4, 7, 1), 2), 0, 2),
        "gray4": write_png(rand((6, 5, 1), 4), 0, 4),
        "gray8_trns": write_png(np.array([[[7], [9], [7]], [[0], [255], [7]]]), 0, 8,
                                trns=(7).to_bytes(2, "big")),
        "gray16_trns": write_png(np.array([[[300], [65535], [300]]]), 0, 16,
                                 trns=(300).to_bytes(2, "big")),
        "gray2_trns": write_png(rand((3, 5, 1), 2), 0, 2, trns=(2).to_bytes(2, "big")),
        "gray1_trns_wide": write_png(rand((2, 9, 1), 1), 0, 1, trns=(0x101).to_bytes(2, "big")),
        "rgb8_trns": write_png(np.array([[[1, 2, 3], [1, 2, 4], [1, 2, 3]]]), 2, 8,
                               trns=b"\x00\x01\x00\x02\x00\x03"),
        "palette8": write_png(rand((5, 6, 1), 4), 3, 8, palette=pal),
        "palette8_trns": write_png(rand((5, 6, 1), 4), 3, 8, palette=pal,
                                   trns=bytes([0, 128, 255, 17])),
        "palette1": write_png(rand((3, 11, 1), 1), 3, 1, palette=pal[:2]),
        "palette2_trns": write_png(rand((4, 6, 1), 2), 3, 2, palette=pal[:4], trns=b"\x40"),
        "palette4": write_png(rand((5, 9, 1), 4), 3, 4, palette=pal),
        "ga8_hand": write_png(rand((4, 4, 2), 8), 4, 8),
        "ga16_hand": write_png(rand((3, 4, 2), 16), 4, 16),
        "adam7_rgb8": write_png(rand((9, 11, 3), 8), 2, 8, interlace=True),
        "adam7_rgba16": write_png(rand((7, 6, 4), 16), 6, 16, interlace=True),
        "adam7_gray1": write_png(rand((10, 13, 1), 1), 0, 1, interlace=True),
        "adam7_palette4": write_png(rand((8, 8, 1), 4), 3, 4, interlace=True, palette=pal),
        "adam7_tiny": write_png(rand((2, 3, 3), 8), 2, 8, interlace=True),
        "adam7_1x1": write_png(rand((1, 1, 1), 8), 0, 8, interlace=True),
        "chunks": write_png(rand((6, 5, 3), 8), 2, 8, split_idat=True,
                            extra=chunk(b"tEXt", b"Comment\x00minitf")),
        "rgb8_mixed_filters": write_png(rand((10, 6, 3), 8), 2, 8, filters=lambda y: (3 * y) % 5),
    }
    for kind, name in enumerate(["none", "sub", "up", "average", "paeth"]):
        f = (lambda k: lambda y: k)(kind)
        out[f"filter_{name}_rgb8"] = write_png(rand((6, 7, 3), 8), 2, 8, filters=f)
        out[f"filter_{name}_rgba16"] = write_png(rand((4, 5, 4), 16), 6, 16, filters=f)
        out[f"filter_{name}_gray2"] = write_png(rand((4, 9, 1), 2), 0, 2, filters=f)
    return out


def main():
    import tensorflow as tf

    files = {}
    for bits, dtype in ((8, np.uint8), (16, np.uint16)):
        for c, name in ((1, "gray"), (2, "ga"), (3, "rgb"), (4, "rgba")):
            img = rand((5, 7, c), bits).astype(dtype)
            files[f"tf_{name}{bits}"] = tf.io.encode_png(img).numpy()
    files["tf_rgb8_wide"] = tf.io.encode_png(rand((3, 40, 3), 8).astype(np.uint8)).numpy()
    files.update(hand_built())
    for old in HERE.glob("*.np[yz]"):
        old.unlink()
    for name, data in files.items():
        (HERE / f"{name}.png").write_bytes(data)
        arrays = {}
        for channels in (0, 1, 3, 4):
            for dtype in (tf.uint8, tf.uint16):
                got = tf.io.decode_png(data, channels=channels, dtype=dtype).numpy()
                arrays[f"c{channels}_{dtype.name}"] = got
        arrays["image_float32"] = tf.io.decode_image(data, dtype=tf.float32).numpy()
        np.savez(HERE / f"{name}.npz", **arrays)
    print(f"wrote {len(files)} fixtures to {HERE}")


if __name__ == "__main__":
    main()
