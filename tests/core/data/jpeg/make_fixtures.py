"""Regenerates the JPEG fixtures of tests/core/test_jpeg.py. Needs Pillow and real TensorFlow:

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python tests/core/data/jpeg/make_fixtures.py

Writes ``<name>.jpg`` and what ``tf.io.decode_jpeg`` returns for it: ``<name>.npy`` with the
default attrs, ``<name>.c1.npy`` with channels=1, ``<name>.accurate.npy`` with
dct_method="INTEGER_ACCURATE", ``<name>.plain.npy`` with fancy_upscaling=False and
``<name>.r2.npy`` / ``<name>.r8.npy`` with ratio 2 / 8. The files come
from Pillow (libjpeg's encoder) at several sizes, qualities, subsamplings, restart intervals and
progressive; a few are edited after encoding, where Pillow cannot write the variant: the sampling
factors of 4:4:0 and 4:1:1 (same blocks per MCU as 4:2:2 / 4:2:0, new geometry), an Adobe APP14
marker saying "not YCbCr", component ids 'R', 'G', 'B' with no JFIF marker, and CMYK read as YCCK
or without its Adobe marker (no ``.c1``: TF refuses grey from CMYK).
"""

from __future__ import annotations

import io
import pathlib

import numpy as np
from PIL import Image

HERE = pathlib.Path(__file__).parent
R = np.random.default_rng(2026)


def picture(h: int, w: int) -> np.ndarray:
    """Smooth colour gradients with noise: like a photo, so every coefficient band is used."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 / max(w - 1, 1), y * 255 / max(h - 1, 1),
                     128 + 100 * np.sin((x + y) / 3.0)], axis=-1)
    return np.clip(base + R.normal(0, 25, (h, w, 3)), 0, 255).astype(np.uint8)


def pillow(img: np.ndarray, mode: str = "RGB", **options) -> bytes:
    out = io.BytesIO()
    Image.fromarray(img).convert(mode).save(out, format="JPEG", **options)
    return out.getvalue()


def sof_at(data: bytes) -> int:
    return data.index(b"\xff\xc0")


def with_geometry(data: bytes, height: int, width: int, factors: list[int]) -> bytes:
    """The same coded blocks read with other sampling factors and image size."""
    i = sof_at(data)
    out = bytearray(data)
    out[i + 5:i + 7] = height.to_bytes(2, "big")
    out[i + 7:i + 9] = width.to_bytes(2, "big")
    for k, hv in enumerate(factors):
        out[i + 11 + 3 * k] = hv
    return bytes(out)


def without_jfif(data: bytes) -> bytes:
    assert data[2:4] == b"\xff\xe0"
    return data[:2] + data[4 + int.from_bytes(data[4:6], "big"):]


def adobe(data: bytes, transform: int) -> bytes:
    body = b"Adobe" + (100).to_bytes(2, "big") + bytes([0, 0, 0, 0, transform])
    app14 = b"\xff\xee" + (len(body) + 2).to_bytes(2, "big") + body
    stripped = without_jfif(data)
    return stripped[:2] + app14 + stripped[2:]


def rgb_ids(data: bytes) -> bytes:
    out = bytearray(without_jfif(data))
    i, s = sof_at(out), out.index(b"\xff\xda")
    for k, cid in enumerate(b"RGB"):
        out[i + 10 + 3 * k] = cid
        out[s + 5 + 2 * k] = cid
    return bytes(out)


def fixtures() -> dict[str, bytes]:
    f = {
        "rgb420_q75": pillow(picture(33, 27), quality=75, subsampling=2),
        "rgb422_q90": pillow(picture(21, 35), quality=90, subsampling=1),
        "rgb444_q50": pillow(picture(17, 19), quality=50, subsampling=0),
        "rgb420_q100": pillow(picture(16, 24), quality=100, subsampling=2),
        "rgb420_q3": pillow(picture(26, 22), quality=3, subsampling=2),
        "gray_q85": pillow(picture(23, 29), "L", quality=85),
        "rgb420_restart": pillow(picture(40, 24), quality=80, subsampling=2,
                                 restart_marker_blocks=1),
        "rgb444_restart": pillow(picture(19, 30), quality=70, subsampling=0,
                                 restart_marker_rows=1),
        "rgb420_progressive": pillow(picture(31, 26), quality=80, subsampling=2,
                                     progressive=True),
        "gray_progressive": pillow(picture(18, 21), "L", quality=60, progressive=True),
        "rgb444_optimized": pillow(picture(25, 20), quality=88, subsampling=0, optimize=True),
        "rgb420_1x1": pillow(picture(1, 1), quality=90, subsampling=2),
        "rgb420_narrow": pillow(picture(13, 2), quality=90, subsampling=2),
        "rgb422_3wide": pillow(picture(9, 3), quality=90, subsampling=1),
    }
    # 4:2:2 codes 2x1 luma blocks per MCU; read as 1x2 they make a 4:4:0 image 8 wide, 16 tall.
    f["rgb440_patched"] = with_geometry(pillow(picture(16, 32), quality=80, subsampling=1),
                                        29, 15, [0x12, 0x11, 0x11])
    # 4:2:0 codes 2x2 luma blocks per MCU; read as 4x1 they make 4:1:1.
    f["rgb411_patched"] = with_geometry(pillow(picture(16, 32), quality=80, subsampling=2),
                                        7, 61, [0x41, 0x11, 0x11])
    f["adobe_rgb"] = adobe(pillow(picture(14, 18), quality=85, subsampling=0), 0)
    f["adobe_ycc"] = adobe(pillow(picture(14, 18), quality=85, subsampling=2), 1)
    f["ids_rgb"] = rgb_ids(pillow(picture(12, 10), quality=85, subsampling=0))
    # Pillow writes Adobe's inverted CMYK (transform 0); read as YCCK (transform 2) or, without
    # the Adobe marker, as plain CMYK, the same data exercise TF's other two conversions.
    cmyk = pillow(picture(11, 13), "CMYK", quality=90)
    at = cmyk.index(b"Adobe")
    f["cmyk_adobe"] = cmyk
    f["ycck_adobe"] = cmyk[:at + 11] + b"\x02" + cmyk[at + 12:]
    f["cmyk_plain"] = cmyk[:at - 4] + cmyk[at - 2 + int.from_bytes(cmyk[at - 2:at], "big"):]
    return f


def serving_graph(tf, data: bytes) -> None:
    """``serving_graph.pb``: a TF1 graph as exported for TF Serving, JPEG bytes in, and
    ``serving_graph.npz``: what TF computes from ``data`` with it."""
    tf1 = tf.compat.v1
    g = tf1.Graph()
    with g.as_default():
        jpeg = tf1.placeholder(tf.string, [], name="image_bytes")
        image = tf1.image.decode_jpeg(jpeg, channels=3, name="decoded")
        scaled = tf1.subtract(tf1.cast(image, tf.float32) * (1 / 255), 0.5)
        tf1.expand_dims(scaled, 0, name="batch")
        tf1.image.extract_jpeg_shape(jpeg, name="shape")
        tf1.image.decode_and_crop_jpeg(jpeg, [3, 5, 17, 9], name="crop")
        tf1.image.decode_image(jpeg, dtype=tf.float32, name="any_image")
    (HERE / "serving_graph.pb").write_bytes(g.as_graph_def().SerializeToString())
    names = ["batch", "shape", "crop", "any_image/DecodeImage"]
    with tf1.Session(graph=g) as sess:
        out = sess.run([f"{n}:0" for n in names], {"image_bytes:0": data})
    np.savez(HERE / "serving_graph.npz", **dict(zip(["batch", "shape", "crop", "any_image"], out)))


def main() -> None:
    import tensorflow as tf

    variants = {"": {}, ".c1": {"channels": 1}, ".accurate": {"dct_method": "INTEGER_ACCURATE"},
                ".plain": {"fancy_upscaling": False}, ".r2": {"ratio": 2}, ".r8": {"ratio": 8}}
    for name, data in fixtures().items():
        (HERE / f"{name}.jpg").write_bytes(data)
        for suffix, attrs in variants.items():
            if suffix == ".c1" and name.startswith(("cmyk", "ycck")):
                continue  # TF refuses to make grey of CMYK
            np.save(HERE / f"{name}{suffix}.npy", tf.io.decode_jpeg(data, **attrs).numpy())
    serving_graph(tf, (HERE / "rgb420_q75.jpg").read_bytes())


if __name__ == "__main__":
    main()
