"""Regenerates the GIF and BMP fixtures of tests/core/test_gif_bmp.py. Needs real TensorFlow:

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python tests/core/data/gif_bmp/make_fixtures.py

Writes ``<name>.gif`` / ``<name>.bmp`` and what real TensorFlow returns for them:
``<name>.npy`` (tf.io.decode_gif), ``<name>_c<channels>.npy`` (tf.io.decode_bmp per channels),
or the error message in errors.json (key ``<name>`` / ``<name>_c<channels>``). Pillow writes the
ordinary files (interlaced, optimised animations with transparency, palettes); the writer below
builds the rest code by code (offsets, local tables, KwKwK and future codes, a full table with
no clear code, 9-bit codes, truncations), packing the codes with giflib's code-width rule.
"""

from __future__ import annotations

import io
import json
import pathlib
import struct

import numpy as np

HERE = pathlib.Path(__file__).parent
R = np.random.default_rng(11)


# -- a GIF writer, code by code ------------------------------------------------------------------


def pack(codes, min_bits: int) -> bytes:
    """LZW codes as GIF sub-blocks, each code as wide as giflib will read it."""
    clear = 1 << min_bits
    running, bits = clear + 2, min_bits + 1
    acc = n = 0
    out = bytearray()
    for c in codes:
        acc |= c << n
        n += bits
        while n >= 8:
            out.append(acc & 255)
            acc >>= 8
            n -= 8
        if running < 4097:
            running += 1
            if running > (1 << bits) and bits < 12:
                bits += 1
        if c == clear:
            running, bits = clear + 2, min_bits + 1
    if n:
        out.append(acc & 255)
    blocks = b"".join(bytes([len(out[i:i + 255])]) + out[i:i + 255]
                      for i in range(0, len(out), 255))
    return bytes([min_bits]) + blocks + b"\x00"


def literal_codes(pixels, min_bits: int, clear_every: int = 0):
    """Every pixel as its own code: a valid stream that still fills the decoder's table."""
    clear = 1 << min_bits
    codes = [clear]
    for i, p in enumerate(pixels):
        if clear_every and i and i % clear_every == 0:
            codes.append(clear)
        codes.append(int(p))
    return codes + [clear + 1]


def colors(n: int) -> bytes:
    return R.integers(0, 256, 3 * n, dtype=np.uint8).tobytes()


def gce(transparent=None, disposal=0) -> bytes:
    flags = disposal << 2 | (transparent is not None)
    return b"\x21\xf9\x04" + bytes([flags, 5, 0, transparent or 0]) + b"\x00"


def image(left, top, w, h, data: bytes, local: bytes = b"", interlace=False) -> bytes:
    flags = (0x40 if interlace else 0)
    if local:
        flags |= 0x80 | ((len(local) // 3).bit_length() - 2)
    return b"\x2c" + struct.pack("<4HB", left, top, w, h, flags) + local + data


def gif(width, height, global_table: bytes, *records: bytes, trailer=True) -> bytes:
    flags = 0x80 | ((len(global_table) // 3).bit_length() - 2) if global_table else 0
    head = b"GIF89a" + struct.pack("<2H3B", width, height, flags, 0, 0) + global_table
    return head + b"".join(records) + (b"\x3b" if trailer else b"")


def lit(w, h, n_colors, min_bits=None, **kw) -> bytes:
    min_bits = min_bits or max(2, (n_colors - 1).bit_length())
    return pack(literal_codes(R.integers(0, n_colors, w * h), min_bits, **kw), min_bits)


def hand_gifs() -> dict:
    g4, g16 = colors(4), colors(16)
    cases = {
        # Frame 0 smaller than the canvas (black elsewhere); later ones offset, clipped, local.
        "offsets": gif(9, 9, g4, image(0, 0, 3, 2, lit(3, 2, 4)),
                       image(2, 1, 5, 4, lit(5, 4, 16), local=colors(16)),
                       gce(transparent=1), image(3, 3, 4, 4, lit(4, 4, 4))),
        "outside": gif(4, 4, g4, image(0, 0, 4, 4, lit(4, 4, 4)),
                       image(6, 6, 2, 2, lit(2, 2, 4))),
        "transparent_first": gif(5, 3, g4, gce(transparent=2), image(0, 0, 5, 3, lit(5, 3, 4))),
        # The first Graphics Control Extension counts; one of the wrong length is ignored.
        "two_gces": gif(4, 3, g4, image(0, 0, 4, 3, lit(4, 3, 4)), gce(transparent=0),
                        gce(transparent=3), image(0, 0, 4, 3, lit(4, 3, 4))),
        "bad_gce": gif(4, 3, g4, b"\x21\xf9\x03\x01\x00\x00\x00", image(0, 0, 4, 3, lit(4, 3, 4))),
        "app_ext": gif(4, 3, g4, b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00",
                       b"\x21\xfe\x03abc\x02hi\x00", image(0, 0, 4, 3, lit(4, 3, 4))),
        "no_color_map": gif(4, 3, b"", image(0, 0, 4, 3, lit(4, 3, 4))),
        "index_past_table": gif(4, 3, colors(2), image(0, 0, 4, 3, lit(4, 3, 4, min_bits=2))),
        "index_past_table_transparent": gif(
            3, 1, colors(2), gce(transparent=3), image(0, 0, 3, 1, pack([4, 0, 3, 1, 5], 2))),
        "no_images": gif(4, 3, g4),
        "wrong_record": gif(4, 3, g4, b"\x00"),
        "open_short": b"GIF89a\x04\x00",
        "stamp_short": b"GIF89",
        "code_size_12": gif(4, 3, g4, image(0, 0, 4, 3, b"\x0c\x01\x00\x00")),
        "zero_width_first": gif(4, 3, g4, image(0, 0, 0, 3, lit(1, 1, 4))),
        "zero_width_second": gif(4, 3, g4, image(0, 0, 4, 3, lit(4, 3, 4)),
                                 image(0, 0, 0, 3, lit(1, 1, 4))),
        "min_bits_1": gif(6, 2, colors(2), image(0, 0, 6, 2, lit(6, 2, 2, min_bits=1))),
        # 9-bit literal codes: giflib keeps their low byte.
        "min_bits_9": gif(5, 2, colors(256), image(0, 0, 5, 2, pack(
            [512, 3, 300, 511, 258, 7, 256, 100, 44, 45, 46, 513], 9))),
        "clear_every_7": gif(10, 10, g16, image(0, 0, 10, 10, lit(10, 10, 16, clear_every=7))),
        # 4100 literal codes with no clear: the table fills and the codes stay 12 bits wide.
        "table_full": gif(41, 100, g4, image(0, 0, 41, 100, pack(
            [4] + R.integers(0, 4, 4100).tolist() + [5], 2))),
        # KwKwK codes (each the code being defined), a clear mid-stream, repeats.
        "kwkwk": gif(12, 1, g4, image(0, 0, 12, 1, pack([4, 0, 6, 7, 4, 1, 1, 6, 2, 3, 5], 2))),
        "kwkwk_chain": gif(12, 1, g4, image(0, 0, 12, 1, pack([4, 1, 0, 6, 8, 9, 3, 5], 2))),
        # A code from the future: giflib outputs the last string plus pixel 2 (its broken
        # chain's NO_SUCH_CODE as a byte), then defines code 7 as its own prefix...
        "future_code": gif(4, 1, g4, image(0, 0, 4, 1, pack([4, 1, 7, 3, 0, 5], 2))),
        # ... whose use is a defect: the only frame is dropped, an error.
        "self_loop": gif(5, 1, g4, image(0, 0, 5, 1, pack([4, 1, 7, 3, 7, 5], 2))),
        # An end code before the last pixel drops the frame; the first one is returned.
        "eof_early_second": gif(4, 3, g4, image(0, 0, 4, 3, lit(4, 3, 4)),
                                image(0, 0, 4, 3, pack([4, 1, 2, 5], 2))),
        "interlaced_hand": gif(3, 11, g4, image(0, 0, 3, 11, lit(3, 11, 4), interlace=True)),
        "no_trailer": gif(4, 3, g4, image(0, 0, 4, 3, lit(4, 3, 4)), trailer=False),
    }
    first = gif(4, 3, g4, image(0, 0, 4, 3, lit(4, 3, 4)), trailer=False)
    two = first + image(1, 1, 2, 2, lit(2, 2, 4), local=colors(4)) + b"\x3b"
    second = len(first)  # where the second image descriptor starts
    cases["cut_in_descriptor"] = two[:second + 5]
    cases["cut_before_code_size"] = two[:second + 10 + 12]
    cases["cut_after_frame"] = two[:second]
    return cases


def pillow_gifs() -> dict:
    from PIL import Image

    def save(frames, **kw):
        buf = io.BytesIO()
        frames[0].save(buf, format="GIF", save_all=len(frames) > 1, append_images=frames[1:],
                       **kw)
        return buf.getvalue()

    base = R.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    frames = []
    for k in range(4):
        a = base.copy()
        a[k * 3:k * 3 + 5, k * 4:k * 4 + 6] = R.integers(0, 256, 3, dtype=np.uint8)
        frames.append(Image.fromarray(a))
    pal = [Image.fromarray(R.integers(0, 5, (12, 10), dtype=np.uint8), "P") for _ in range(2)]
    for p in pal:
        p.putpalette(R.integers(0, 256, 15).tolist())
    runs = np.repeat(R.integers(0, 3, (30, 1), dtype=np.uint8) * 100, 90, axis=1)
    return {
        "pil_rgb": save([Image.fromarray(R.integers(0, 256, (7, 9, 3), dtype=np.uint8))]),
        "pil_interlaced": save([Image.fromarray(R.integers(0, 256, (21, 17, 3), np.uint8))]),
        "pil_anim": save(frames, duration=50, loop=0),
        "pil_anim_disposal2": save(frames, duration=50, loop=0, disposal=2),
        "pil_gray": save([Image.fromarray(R.integers(0, 4, (16, 16), np.uint8) * 80, "L")]),
        "pil_transparent": save(pal, transparency=2),
        "pil_runs": save([Image.fromarray(runs, "L")]),
    }


# -- BMP ------------------------------------------------------------------------------------------


def bmp(pixels_bgr: np.ndarray, bpp: int, top_down=False, palette=b"", extra=b"") -> bytes:
    """A BITMAPINFOHEADER BMP of rows bottom-up (or top-down: negative height)."""
    h, w = pixels_bgr.shape[:2]
    row = w * bpp // 8
    pad = (-row) % 4
    rows = pixels_bgr if top_down else pixels_bgr[::-1]
    data = b"".join(r.tobytes() + b"\x00" * pad for r in rows)
    offset = 14 + 40 + len(palette)
    head = struct.pack("<2sIHHI", b"BM", offset + len(data), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, w, -h if top_down else h, 1, bpp, 0, len(data),
                       2835, 2835, len(palette) // 4, 0)
    return head + info + palette + data + extra


def bmps() -> dict:
    from PIL import Image

    def pil(mode, shape):
        buf = io.BytesIO()
        Image.fromarray(R.integers(0, 256, shape, dtype=np.uint8), mode).save(buf, "BMP")
        return buf.getvalue()

    rgb = R.integers(0, 256, (3, 5, 3), dtype=np.uint8)
    good = bmp(rgb, 24)
    return {
        "pil_rgb_5x3": pil("RGB", (3, 5, 3)),
        "pil_rgb_4x2": pil("RGB", (2, 4, 3)),
        "pil_gray_palette": pil("L", (3, 6)),
        "rgb_padded": good,
        "rgb_top_down": bmp(rgb, 24, top_down=True),
        "bgra_32": bmp(R.integers(0, 256, (2, 3, 4), dtype=np.uint8), 32),
        "bgra_32_top_down": bmp(R.integers(0, 256, (4, 1, 4), dtype=np.uint8), 32, top_down=True),
        "gray_8": bmp(R.integers(0, 256, (3, 7, 1), dtype=np.uint8), 8,
                      palette=R.integers(0, 256, 1024, dtype=np.uint8).tobytes()),
        "bits_16": bmp(R.integers(0, 256, (2, 2, 2), dtype=np.uint8), 16),
        "bits_1": good[:28] + struct.pack("<H", 1) + good[30:],
        "trailing_bytes": bmp(rgb, 24, extra=b"\0\0\0"),
        "truncated": good[:-5],
        "short": good[:31],
        "zero_width": good[:18] + b"\0\0\0\0" + good[22:],
        "zero_height": good[:22] + b"\0\0\0\0" + good[26:],
        "negative_offset": good[:10] + struct.pack("<i", -4) + good[14:],
    }


def main():
    import tensorflow as tf

    errors = {}

    def run(key, fn):
        try:
            np.save(HERE / f"{key}.npy", fn().numpy())
        except tf.errors.OpError as e:
            errors[key] = e.message.split("}} ")[-1].split(" [Op:")[0]

    for name, data in {**hand_gifs(), **pillow_gifs()}.items():
        (HERE / f"{name}.gif").write_bytes(data)
        run(name, lambda d=data: tf.io.decode_gif(d))
    for name, data in bmps().items():
        (HERE / f"{name}.bmp").write_bytes(data)
        for c in (0, 1, 3, 4):
            run(f"{name}_c{c}", lambda d=data, c=c: tf.io.decode_bmp(d, channels=c))
    (HERE / "errors.json").write_text(json.dumps(errors, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
