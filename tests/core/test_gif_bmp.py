"""tf.io.decode_gif / decode_bmp (core/ops/gif_bmp_ops.py, core/ops/_gif.py) against what real
TensorFlow 2.21 returned for the fixtures in tests/core/data/gif_bmp (regenerate with
make_fixtures.py there, which needs TF): Pillow's files and hand-built ones (offsets, local
tables, transparency, KwKwK and future codes, a full code table, truncations), each error
message; against Pillow's decoder and hand-made pixels; cross-format behaviour; static shapes;
and, with TensorFlow installed, live comparisons and a GraphDef round trip."""

import io
import json
import pathlib
import struct

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError
from minitf.image_decode_extra import decode_bmp, decode_gif
from minitf.ops.gif_bmp_ops import decode_bmp_pixels, decode_gif_pixels
from .side_by_side import run_graph_def_in_tf

DATA = pathlib.Path(__file__).parent / "data" / "gif_bmp"
ERRORS = json.loads((DATA / "errors.json").read_text())
GIFS = sorted(p.stem for p in DATA.glob("*.gif"))
BMPS = sorted(p.stem for p in DATA.glob("*.bmp"))
R = np.random.default_rng(3)


def run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def decode(fn, data: bytes, **attrs):
    tf.reset_default_graph()
    contents = tf.placeholder(tf.string, [])
    return run(fn(contents, **attrs), {contents: data})


def expect_tf(key, got_fn):
    """Compares with TF's array, or TF's error message and class."""
    if key in ERRORS:
        with pytest.raises(InvalidArgumentError) as e:
            got_fn()
        assert ERRORS[key] in str(e.value)
    else:
        want = np.load(DATA / f"{key}.npy")
        got = got_fn()
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, want, err_msg=key)


def test_fixtures_are_present_and_small():
    assert len(GIFS) >= 35 and len(BMPS) >= 15
    assert sum(p.stat().st_size for p in DATA.iterdir()) < 200_000


@pytest.mark.parametrize("name", GIFS)
def test_gif_matches_tensorflow(name):
    data = (DATA / f"{name}.gif").read_bytes()
    expect_tf(name, lambda: decode(decode_gif, data))


@pytest.mark.parametrize("channels", [0, 1, 3, 4])
@pytest.mark.parametrize("name", BMPS)
def test_bmp_matches_tensorflow(name, channels):
    data = (DATA / f"{name}.bmp").read_bytes()
    expect_tf(f"{name}_c{channels}", lambda: decode(decode_bmp, data, channels=channels))


# -- references that need no TensorFlow ----------------------------------------------------------


@pytest.mark.parametrize("name", ["pil_rgb", "pil_interlaced", "pil_gray", "pil_runs"])
def test_single_frame_gifs_match_pillow(name):
    Image = pytest.importorskip("PIL.Image")
    data = (DATA / f"{name}.gif").read_bytes()
    want = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    np.testing.assert_array_equal(decode(decode_gif, data), want[None])


def _palette(data: bytes, n: int) -> np.ndarray:
    return np.frombuffer(data[13:13 + 3 * n], np.uint8).reshape(n, 3)


def test_lzw_special_codes_by_hand():
    # kwkwk_chain's codes: clear, 1, 0, 6 ("10"), then 8 and 9, each the code being defined
    # (KwKwK: "10" + "1" and "101" + "1"), 3, end.
    data = (DATA / "kwkwk_chain.gif").read_bytes()
    index = [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1, 3]
    np.testing.assert_array_equal(decode(decode_gif, data), _palette(data, 4)[index][None, None])
    # future_code: clear, 1, 7 (not yet defined: giflib outputs "1" + pixel 2), 3, 0, end.
    data = (DATA / "future_code.gif").read_bytes()
    np.testing.assert_array_equal(decode(decode_gif, data),
                                  _palette(data, 4)[[1, 1, 2, 3]][None, None])


def test_frames_compose_as_tensorflow_does():
    # offsets.gif: a 9x9 screen, frames 3x2 at (0,0), 5x4 at (2,1) with a local table, 4x4 at
    # (3,3) with transparent index 1: the canvas is the largest frame (5x4), frame 0 starts
    # black, later frames start from the previous one and are clipped.
    out = decode(decode_gif, (DATA / "offsets.gif").read_bytes())
    assert out.shape == (3, 4, 5, 3)
    assert not out[0, 2:].any() and not out[0, :, 3:].any()
    np.testing.assert_array_equal(out[1, 0], out[0, 0])  # row 0 is not in frame 1
    np.testing.assert_array_equal(out[1, 1:, :2], out[0, 1:, :2])
    np.testing.assert_array_equal(out[2, :3], out[1, :3])  # frame 2 starts at row 3


def _bmp(rows_bgr, bpp, top_down=False):
    h, w = rows_bgr.shape[:2]
    stored = rows_bgr if top_down else rows_bgr[::-1]
    pad = (-w * bpp // 8) % 4
    data = b"".join(r.tobytes() + b"\0" * pad for r in stored)
    head = struct.pack("<2sIHHI", b"BM", 54 + len(data), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, w, -h if top_down else h, 1, bpp, 0, len(data), 0, 0,
                       0, 0)
    return head + info + data


@pytest.mark.parametrize("top_down", [False, True])
def test_bmp_pixels_by_hand(top_down):
    bgra = R.integers(0, 256, (3, 5, 4), dtype=np.uint8)
    rgb = bgra[..., [2, 1, 0]]
    data24 = _bmp(np.ascontiguousarray(bgra[..., :3]), 24, top_down)  # 15-byte rows + 1 pad
    np.testing.assert_array_equal(decode(decode_bmp, data24), rgb)
    alpha255 = np.concatenate([rgb, np.full((3, 5, 1), 255, np.uint8)], axis=2)
    np.testing.assert_array_equal(decode(decode_bmp, data24, channels=4), alpha255)
    data32 = _bmp(bgra, 32, top_down)
    np.testing.assert_array_equal(decode(decode_bmp, data32), bgra[..., [2, 1, 0, 3]])
    np.testing.assert_array_equal(decode(decode_bmp, data32, channels=3), rgb)
    gray = bgra[..., :1]
    np.testing.assert_array_equal(decode(decode_bmp, _bmp(gray, 8, top_down)), gray)


def test_format_decoders_for_decode_image():
    gif = (DATA / "pil_anim.gif").read_bytes()
    frames = decode_gif_pixels(gif)
    assert frames.shape == (4, 20, 24, 3)
    np.testing.assert_array_equal(decode_gif_pixels(gif, expand_animations=False), frames[:1])
    # One frame, but on the canvas of all frames: TF 2.21's decode_image(expand_animations=False)
    # gave (4, 5, 3) for offsets.gif, whose first frame is 3x2.
    offsets = (DATA / "offsets.gif").read_bytes()
    np.testing.assert_array_equal(decode_gif_pixels(offsets, expand_animations=False),
                                  np.load(DATA / "offsets.npy")[:1])
    bmp = (DATA / "rgb_top_down.bmp").read_bytes()
    np.testing.assert_array_equal(decode_bmp_pixels(bmp, 0),
                                  np.load(DATA / "rgb_top_down_c0.npy"))


# -- other formats, shapes, errors ---------------------------------------------------------------


def test_decode_gif_reads_png_as_one_frame():
    Image = pytest.importorskip("PIL.Image")
    rgba = R.integers(0, 256, (4, 6, 4), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, "PNG")
    np.testing.assert_array_equal(decode(decode_gif, buf.getvalue()), rgba[None, ..., :3])


@pytest.mark.parametrize("fn, data, attrs, message", [
    (decode_gif, (DATA / "rgb_padded.bmp").read_bytes(), {},
     "Trying to decode BMP format using a wrong op. Use `decode_bmp` or `decode_image` "
     "instead. Op used: DecodeGif"),
    (decode_bmp, (DATA / "pil_rgb.gif").read_bytes(), {},
     "Trying to decode GIF format using DecodeBmp op. Use `decode_gif` or `decode_image` "
     "instead."),
    (decode_bmp, (DATA / "pil_rgb.gif").read_bytes(), {"channels": 4},
     "channels must be 0 or 3 for GIF, got 4"),
    (decode_bmp, b"\x89PNG\r\n\x1a\n" + b"\0" * 30, {}, "Invalid PNG. Failed to initialize"),
    (decode_bmp, (DATA / "rgb_padded.bmp").read_bytes(), {"channels": 2},
     "`channels` must be 0, 1, 3 or 4 but got 2"),
    (decode_gif, b"", {}, "Input is empty."),
    (decode_bmp, b"", {}, "Input is empty."),
    (decode_gif, b"not an image", {}, "Unknown image file format. One of JPEG, JPEG XL, PNG"),
])
def test_run_time_errors(fn, data, attrs, message):
    with pytest.raises(InvalidArgumentError, match=message.replace("(", r"\(")[:60]):
        decode(fn, data, **attrs)


def test_decode_bmp_refuses_png_with_tensorflows_message():
    Image = pytest.importorskip("PIL.Image")
    buf = io.BytesIO()
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(buf, "PNG")
    with pytest.raises(InvalidArgumentError, match="Trying to decode PNG format using DecodeBmp"):
        decode(decode_bmp, buf.getvalue())


def test_static_shapes_and_nodes():
    tf.reset_default_graph()
    contents = tf.placeholder(tf.string, [])
    gif = decode_gif(contents, name="frames")
    assert gif.dtype == tf.uint8 and gif.shape.as_list() == [None, None, None, 3]
    assert gif.op.type == "DecodeGif" and gif.op.name == "frames"
    bmp = decode_bmp(contents, channels=4)
    assert bmp.op.type == "DecodeBmp" and bmp.op.get_attr("channels") == 4
    assert bmp.shape.as_list() == [None, None, 4]
    assert decode_bmp(contents).shape.as_list() == [None, None, None]


@pytest.mark.parametrize("fn", [decode_gif, decode_bmp])
def test_non_scalar_contents_fail_at_graph_construction(fn):
    tf.reset_default_graph()
    with pytest.raises(InvalidArgumentError, match="Shape must be rank 0 but is rank 1"):
        fn(tf.placeholder(tf.string, [2]))


def test_negative_channels_fail_at_graph_construction():
    tf.reset_default_graph()
    with pytest.raises(InvalidArgumentError, match="channels must be non-negative, got -1"):
        decode_bmp(tf.placeholder(tf.string, []), channels=-1)


# -- live TensorFlow -----------------------------------------------------------------------------


def _random_files():
    Image = pytest.importorskip("PIL.Image")
    files = []
    for k in range(6):
        h, w = (int(v) for v in R.integers(1, 40, 2))
        frames = [Image.fromarray(R.integers(0, 256, (h, w, 3), dtype=np.uint8))
                  for _ in range(1 + k % 3)]
        buf = io.BytesIO()
        frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], optimize=k % 2 == 0)
        files.append(("gif", buf.getvalue()))
        buf = io.BytesIO()
        frames[0].convert("RGBA" if k % 2 else "RGB").save(buf, "BMP")
        files.append(("bmp", buf.getvalue()))
    return files


def test_live_against_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        contents = tf1.placeholder(tf1.string, [])
        theirs = {"gif": tf1.io.decode_gif(contents), "bmp": tf1.io.decode_bmp(contents)}
    with tf1.Session(graph=g) as sess:
        for kind, data in _random_files():
            want = sess.run(theirs[kind], {contents: data})
            got = decode(decode_gif if kind == "gif" else decode_bmp, data)
            np.testing.assert_array_equal(got, want, err_msg=kind)


def test_graph_def_round_trip_through_tensorflow():
    pytest.importorskip("tensorflow.compat.v1")
    with tf.Graph().as_default() as ours:
        contents = tf.placeholder(tf.string, [], name="contents")
        decode_gif(contents, name="gif")
        decode_bmp(tf.placeholder(tf.string, [], name="bmp_contents"), channels=4, name="bmp")
        graph_def = ours.as_graph_def().SerializeToString()
    feed = {"contents:0": (DATA / "offsets.gif").read_bytes(),
            "bmp_contents:0": (DATA / "rgb_padded.bmp").read_bytes()}
    fetches = ["gif:0", "bmp:0"]
    with tf.Session(graph=ours) as sess:
        mine = sess.run(fetches, feed)
    for got, want in zip(mine, run_graph_def_in_tf(graph_def, fetches, feed)):
        np.testing.assert_array_equal(got, want)


# -- GIF and BMP through DecodeImage, DecodePng and DecodeJpeg (TF's kernel decodes by the bytes) --
def _pillow(kind, frames=1):
    from PIL import Image

    rng = np.random.default_rng(frames)
    imgs = [Image.fromarray(rng.integers(0, 255, (5, 6, 3), dtype=np.uint8)) for _ in
            range(frames)]
    buf = io.BytesIO()
    if kind == "GIF":
        imgs = [im.convert("P") for im in imgs]
        imgs[0].save(buf, "GIF", save_all=True, append_images=imgs[1:])
    else:
        imgs[0].save(buf, "BMP")
    return buf.getvalue()


def test_decode_image_png_and_jpeg_ops_take_gif_and_bmp_as_tf():
    c = tf.placeholder(tf.string)
    ops = {"img": tf.image.decode_image(c),
           "one": tf.image.decode_image(c, expand_animations=False),
           "f32": tf.image.decode_image(c, dtype=tf.float32),
           "u16": tf.image.decode_image(c, dtype=tf.uint16),
           "png": tf.image.decode_png(c), "jpeg": tf.image.decode_jpeg(c)}
    with tf.Session() as sess:
        for frames in (1, 3):
            data = _pillow("GIF", frames)
            want = sess.run(tf.image.decode_gif(data))
            got = {k: sess.run(t, {c: data}) for k, t in ops.items() if frames == 1 or
                   k not in ("png", "jpeg")}
            np.testing.assert_array_equal(got["img"], want)
            np.testing.assert_array_equal(got["one"], want[0])
            np.testing.assert_array_equal(got["u16"], want.astype(np.uint16) << 8)
            np.testing.assert_array_equal(got["f32"], want * np.float32(1 / 255))
            if frames == 1:
                np.testing.assert_array_equal(got["png"], want[0])
                np.testing.assert_array_equal(got["jpeg"], want[0])
            else:
                for op in ("png", "jpeg"):
                    with pytest.raises(InvalidArgumentError, match="Got 3 frames, but animated "
                                       "gifs can only be decoded by tf.io.decode_gif"):
                        sess.run(ops[op], {c: data})
        bmp = _pillow("BMP")
        want = sess.run(tf.image.decode_bmp(bmp))
        np.testing.assert_array_equal(sess.run(ops["img"], {c: bmp}), want)
        np.testing.assert_array_equal(sess.run(ops["f32"], {c: bmp}), want * np.float32(1 / 255))
        for op, name in (("png", "DecodePng"), ("jpeg", "DecodeJpeg")):
            with pytest.raises(InvalidArgumentError, match="Trying to decode BMP format using a "
                               f"wrong op. Use `decode_bmp` or `decode_image` instead. Op used: "
                               f"{name}"):
                sess.run(ops[op], {c: bmp})
        with pytest.raises(InvalidArgumentError, match="channels must be 0 or 3 for GIF, got 1"):
            sess.run(tf.image.decode_image(c, channels=1), {c: _pillow("GIF")})
