"""JPEG decoding (DecodeJpeg, DecodeAndCropJpeg, ExtractJpegShape, JPEG in DecodeImage / DecodePng,
is_jpeg) against what real TensorFlow decodes: the fixtures in tests/core/data/jpeg (regenerate
with make_fixtures.py, which needs TF) hold TF's pixels, so CI without TF compares bit for bit;
the tests at the end run TF side by side on random images and GraphDefs both ways."""

import io
import pathlib

import numpy as np
import pytest

import minitf as tf
from minitf import export
from minitf.errors import InvalidArgumentError, UnimplementedError
from minitf.export.graph_def import parse_graph_def
from minitf.image_jpeg import decode_and_crop_jpeg, decode_jpeg, extract_jpeg_shape, is_jpeg

DATA = pathlib.Path(__file__).parent / "data" / "jpeg"
FIXTURES = sorted(p.stem for p in DATA.glob("*.jpg"))
# make_fixtures.py's variants: file suffix -> decode_jpeg attrs
VARIANTS = {"": {}, ".c1": {"channels": 1}, ".accurate": {"dct_method": "INTEGER_ACCURATE"},
            ".plain": {"fancy_upscaling": False}, ".r2": {"ratio": 2}, ".r8": {"ratio": 8}}
R = np.random.default_rng(11)


def jpeg_bytes(name) -> bytes:
    return (DATA / f"{name}.jpg").read_bytes()


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def decode(data, **attrs):
    with tf.Graph().as_default():
        contents = tf.placeholder(tf.string, [])
        return run(decode_jpeg(contents, **attrs), {contents: data})


def pillow_jpeg(img, mode="RGB", **options) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(img).convert(mode).save(out, format="JPEG", **options)
    return out.getvalue()


def _variants(name):
    """The variants TF decoded (it makes no grey of CMYK)."""
    return [v for v in VARIANTS if not (v == ".c1" and name.startswith(("cmyk", "ycck")))]


def test_fixtures_are_present():
    assert len(FIXTURES) >= 22
    assert all((DATA / f"{n}{v}.npy").exists() for n in FIXTURES for v in _variants(n))


@pytest.mark.parametrize("name", FIXTURES)
def test_decode_matches_tensorflow(name):
    """Every fixture (subsamplings 4:4:4 to 4:1:1, grey, restarts, progressive, optimised
    tables, Adobe / RGB-id colour spaces, CMYK and YCCK, 1x1 and 2-wide images) in every variant
    TF decoded."""
    data = jpeg_bytes(name)
    with tf.Graph().as_default():
        contents = tf.placeholder(tf.string, [])
        fetches = {v: decode_jpeg(contents, **VARIANTS[v]) for v in _variants(name)}
        got = run(fetches, {contents: data})
    for variant in fetches:
        want = np.load(DATA / f"{name}{variant}.npy")
        assert got[variant].dtype == np.uint8
        np.testing.assert_array_equal(got[variant], want, err_msg=f"{name}{variant}")


def test_channels_three_of_a_grey_file_repeats_it():
    gray = np.load(DATA / "gray_q85.npy")
    np.testing.assert_array_equal(decode(jpeg_bytes("gray_q85"), channels=3),
                                  np.repeat(gray, 3, axis=-1))


def test_decode_image_and_decode_png_read_jpeg():
    """TF's decoders go by the bytes: DecodeImage and DecodePng decode a JPEG (and DecodeJpeg a
    PNG). TF 2.21 widens JPEG's 8 bits to uint16 by << 8 and scales float32 by 1/255."""
    data = jpeg_bytes("rgb420_q75")
    want = np.load(DATA / "rgb420_q75.npy")
    with tf.Graph().as_default():
        contents = tf.placeholder(tf.string, [])
        fetches = [tf.image.decode_image(contents), tf.image.decode_image(contents, channels=1),
                   tf.image.decode_image(contents, dtype=tf.float32),
                   tf.image.decode_png(contents, dtype=tf.uint16)]
        u8, c1, f32, u16 = run(fetches, {contents: data})
        png_back = run(decode_jpeg(tf.image.encode_png(want)))
    np.testing.assert_array_equal(u8, want)
    np.testing.assert_array_equal(c1, np.load(DATA / "rgb420_q75.c1.npy"))
    np.testing.assert_array_equal(f32, want.astype(np.float32) * np.float32(1 / 255))
    np.testing.assert_array_equal(u16, want.astype(np.uint16) << 8)
    np.testing.assert_array_equal(png_back, want)


def test_extract_jpeg_shape_and_is_jpeg():
    with tf.Graph().as_default():
        contents = tf.placeholder(tf.string, [])
        shape32, shape64 = extract_jpeg_shape(contents), extract_jpeg_shape(contents, tf.int64)
        check = is_jpeg(contents)
        assert shape32.shape.as_list() == [3] and shape64.dtype == tf.int64
        assert check.dtype == tf.bool and check.shape.as_list() == []
        with tf.Session() as sess:
            for name, c in (("rgb422_q90", 3), ("gray_q85", 1), ("rgb411_patched", 3),
                            ("cmyk_adobe", 4)):
                h, w, _ = np.load(DATA / f"{name}.npy").shape
                got = sess.run([shape32, shape64, check], {contents: jpeg_bytes(name)})
                np.testing.assert_array_equal(got[0], [h, w, c])
                assert got[1].dtype == np.int64 and got[2]
            for data, want in [(b"\xff\xd8\xff", True), (b"\xff\xd8", False), (b"", False),
                               (b"\x89PNG\r\n\x1a\n", False)]:
                assert sess.run(check, {contents: data}) == want


def test_static_shapes_and_node_attrs():
    with tf.Graph().as_default() as g:
        contents = tf.placeholder(tf.string, [])
        assert decode_jpeg(contents).shape.as_list() == [None, None, None]
        assert decode_jpeg(contents, channels=1).shape.as_list() == [None, None, 1]
        crop = decode_and_crop_jpeg(contents, [1, 2, 3, 4], channels=3, name="crop")
        assert crop.shape.as_list() == [3, 4, 3]
        window = tf.placeholder(tf.int32, [4])
        assert decode_and_crop_jpeg(contents, window).shape.as_list() == [None, None, None]
        node = g.get_operation_by_name("crop")
        assert node.type == "DecodeAndCropJpeg"
        assert {k: node.get_attr(k) for k in ("channels", "ratio", "fancy_upscaling",
                                              "try_recover_truncated", "acceptable_fraction",
                                              "dct_method")} == {
            "channels": 3, "ratio": 1, "fancy_upscaling": True, "try_recover_truncated": False,
            "acceptable_fraction": 1.0, "dct_method": b""}
        with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
            decode_jpeg(tf.placeholder(tf.string, [2]))
        with pytest.raises(ValueError, match="Dimension must be 4 but is 3"):
            decode_and_crop_jpeg(contents, [1, 2, 3])
        with pytest.raises(TypeError, match="output_type"):
            extract_jpeg_shape(contents, output_type=tf.float32)


def test_crop_is_the_window_of_the_whole_image_away_from_its_sides():
    """A window from column 0 to the right edge is rows of the whole decode; the fixtures'
    crops elsewhere are checked against TF itself below."""
    want = np.load(DATA / "rgb422_q90.npy")
    with tf.Graph().as_default():
        contents = tf.placeholder(tf.string, [])
        got = run(decode_and_crop_jpeg(contents, [4, 0, 9, want.shape[1]]),
                  {contents: jpeg_bytes("rgb422_q90")})
    np.testing.assert_array_equal(got, want[4:13])


BAD_INPUTS = [
    (b"", {}, InvalidArgumentError, "Input is empty"),
    (b"abcdef", {}, InvalidArgumentError, "Unknown image file format"),
    ("cut", {}, InvalidArgumentError, "Invalid JPEG data or crop window"),
    ("no_eoi", {}, InvalidArgumentError, "Invalid JPEG data or crop window"),
    ("header_only", {"try_recover_truncated": True}, InvalidArgumentError, "Invalid JPEG data"),
    ("rgb", {"channels": 4}, InvalidArgumentError, "JPEG does not support 4 channels"),
    ("rgb", {"channels": 2}, InvalidArgumentError, "must be 0, 1, 3 or 4 but got 2"),
    ("rgb", {"ratio": 3}, InvalidArgumentError, "ratio must be 1, 2, 4, or 8, got 3"),
    ("rgb", {"dct_method": "FLOAT"}, InvalidArgumentError, "dct_method must be one of"),
    ("sof3", {}, UnimplementedError, "lossless JPEG"),
    ("sof9", {}, UnimplementedError, "arithmetic-coded sequential"),
    ("twelve_bit", {}, UnimplementedError, "12-bit"),
    ("cmyk", {"channels": 1}, InvalidArgumentError, "Unsupported color conversion request"),
    ("short_segment", {}, UnimplementedError, "damaged JPEG image data"),
    ("no_huffman", {}, InvalidArgumentError, "Huffman table 0x00 was not defined"),
]


def _bad_bytes(kind) -> bytes:
    data = jpeg_bytes("rgb420_q75")
    sof = data.index(b"\xff\xc0")
    sos = data.index(b"\xff\xda")
    if kind == "cut":
        return data[:len(data) // 2]
    if kind == "no_eoi":
        return data[:-2]
    if kind == "header_only":
        return data[:sos]
    if kind in ("sof3", "sof9"):
        return data[:sof + 1] + bytes([0xC3 if kind == "sof3" else 0xC9]) + data[sof + 2:]
    if kind == "twelve_bit":
        return data[:sof + 4] + b"\x0c" + data[sof + 5:]
    if kind == "cmyk":
        return jpeg_bytes("cmyk_adobe")
    if kind == "short_segment":  # image data cut in the middle, the EOI kept
        return data[:sos + 40] + data[-2:]
    if kind == "no_huffman":
        dht = data.index(b"\xff\xc4")
        return data[:dht] + data[dht + 2 + int.from_bytes(data[dht + 2:dht + 4], "big"):]
    return data


@pytest.mark.parametrize("data,attrs,error,message", BAD_INPUTS,
                         ids=[str(b[0])[:12] + "-" + "-".join(map(str, b[1].values()))
                              for b in BAD_INPUTS])
def test_errors_are_tensorflows(data, attrs, error, message):
    data = _bad_bytes(data) if isinstance(data, str) else data
    with pytest.raises(error, match=message):
        decode(data, **attrs)


def test_crop_and_shape_errors():
    data = jpeg_bytes("rgb420_q75")  # 33 x 27
    with tf.Graph().as_default():
        contents = tf.placeholder(tf.string, [])
        window = tf.placeholder(tf.int32, [None])
        crop, shape = decode_and_crop_jpeg(contents, window), extract_jpeg_shape(contents)
        halved = decode_and_crop_jpeg(contents, window, ratio=2)  # windows in the 17 x 14 output
        with tf.Session() as sess:
            for bad in ([0, 0, 34, 1], [-1, 0, 2, 2], [0, 0, 0, 2], [0, 20, 2, 8]):
                with pytest.raises(InvalidArgumentError, match="Invalid JPEG data or crop"):
                    sess.run(crop, {contents: data, window: bad})
            with pytest.raises(InvalidArgumentError, match="not inside the 17x14 image"):
                sess.run(halved, {contents: data, window: [0, 0, 18, 14]})
            assert sess.run(halved, {contents: data, window: [0, 0, 17, 14]}).shape == (17, 14, 3)
            with pytest.raises(InvalidArgumentError, match="crop_size must have four elements"):
                sess.run(crop, {contents: data, window: [0, 0, 3]})
            png = run(tf.image.encode_png(np.zeros((2, 2, 3), np.uint8)))
            with pytest.raises(InvalidArgumentError, match="can run on JPEG only, but detected "
                                                           "PNG"):
                sess.run(crop, {contents: png, window: [0, 0, 1, 1]})
            with pytest.raises(InvalidArgumentError, match="Invalid JPEG data, size 3"):
                sess.run(shape, {contents: b"abc"})


def test_truncated_file_with_every_mcu_decodes_when_recovering():
    """Only the EOI is missing: TF (try_recover_truncated) decodes the whole image."""
    got = decode(jpeg_bytes("rgb420_progressive")[:-2], try_recover_truncated=True)
    np.testing.assert_array_equal(got, np.load(DATA / "rgb420_progressive.npy"))


def test_graph_exported_by_tensorflow_runs():
    """serving_graph.pb: TF's own export of a TF Serving style preprocessing graph (JPEG bytes
    in); serving_graph.npz: what TF computed with it."""
    gd = parse_graph_def((DATA / "serving_graph.pb").read_bytes(), "serving_graph.pb")
    assert {"DecodeJpeg", "DecodeAndCropJpeg", "ExtractJpegShape"} <= {n.op for n in gd.node}
    want = np.load(DATA / "serving_graph.npz")
    with tf.Session(graph=export.graph_from_graph_def(gd)) as sess:
        got = sess.run(["batch:0", "shape:0", "crop:0", "any_image/DecodeImage:0"],
                       {"image_bytes:0": jpeg_bytes("rgb420_q75")})
    for key, value in zip(["batch", "shape", "crop", "any_image"], got):
        np.testing.assert_array_equal(value, want[key], err_msg=key)


# -- side by side with TensorFlow ----------------------------------------------------------------


def _random_jpegs(count):
    """Random photos-with-noise and pure-noise images through Pillow in varied settings."""
    for i in range(count):
        h, w = (int(v) for v in R.integers(1, 80, 2))
        img = R.integers(0, 256, (h, w, 3), dtype=np.uint8)
        if i % 2:
            y, x = np.mgrid[0:h, 0:w]
            img = np.clip(img // 4 + np.stack([x * 3, y * 3, x + y], -1), 0, 255).astype(np.uint8)
        options = {"quality": int(R.integers(1, 101)), "subsampling": int(R.integers(0, 3)),
                   "progressive": bool(i % 3 == 0), "optimize": bool(i % 4 == 1)}
        if i % 5 == 2:
            options["restart_marker_blocks"] = int(R.integers(1, 5))
        yield pillow_jpeg(img, "L" if i % 6 == 5 else "RGB", **options)


def _tf_graph_run(tf1, build, data):
    g = tf1.Graph()
    with g.as_default():
        contents = tf1.placeholder(tf1.string, [])
        fetches = build(tf1, contents)
    with tf1.Session(graph=g) as sess:
        return sess.run(fetches, {contents: data})


def _both(tf1, build, data):
    with tf.Graph().as_default():
        contents = tf.placeholder(tf.string, [])
        ours = run(build(tf, contents), {contents: data})
    return ours, _tf_graph_run(tf1, build, data)


def test_random_images_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    pytest.importorskip("PIL")

    def build(T, contents):
        ours = T is tf
        dec = decode_jpeg if ours else T.image.decode_jpeg
        return [dec(contents), dec(contents, channels=1),
                dec(contents, channels=3, dct_method="INTEGER_ACCURATE"),
                dec(contents, fancy_upscaling=False, dct_method="INTEGER_FAST"),
                dec(contents, ratio=2), dec(contents, ratio=4, dct_method="INTEGER_ACCURATE"),
                dec(contents, ratio=8, channels=1),
                (extract_jpeg_shape if ours else T.image.extract_jpeg_shape)(contents),
                (is_jpeg if ours else T.image.is_jpeg)(contents)]

    for k, data in enumerate(_random_jpegs(24)):
        ours, theirs = _both(tf1, build, data)
        for i, (a, b) in enumerate(zip(ours, theirs)):
            np.testing.assert_array_equal(a, b, err_msg=f"image {k}, output {i}")


def test_random_crops_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    pytest.importorskip("PIL")
    for k, data in enumerate(_random_jpegs(12)):
        h, w, _ = decode(data).shape
        y, x = int(R.integers(0, h)), int(R.integers(0, w))
        window = [y, x, int(R.integers(1, h - y + 1)), int(R.integers(1, w - x + 1))]

        y, x = window[0] // 2, window[1] // 2  # a window in the ratio-2 output
        half = [y, x, max(1, min(window[2] // 2, (h + 1) // 2 - y)),
                max(1, min(window[3] // 2, (w + 1) // 2 - x))]

        def build(T, contents, window=window, half=half):
            crop = decode_and_crop_jpeg if T is tf else T.image.decode_and_crop_jpeg
            return [crop(contents, window), crop(contents, window, fancy_upscaling=False),
                    crop(contents, half, ratio=2)]

        ours, theirs = _both(tf1, build, data)
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b, err_msg=f"image {k}, window {window}")


def test_graph_round_trips_through_tensorflow():
    """Built in minitf, exported as a GraphDef, imported and run by TF: same pixels."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    data = jpeg_bytes("rgb422_3wide")
    with tf.Graph().as_default() as g:
        contents = tf.placeholder(tf.string, [], name="contents")
        decode_jpeg(contents, channels=3, name="rgb")
        decode_and_crop_jpeg(contents, [1, 1, 5, 2], dct_method="INTEGER_ACCURATE", name="crop")
        extract_jpeg_shape(contents, tf.int64, name="shape")
        check = is_jpeg(contents, name="check")
        assert check.name == "check/check:0"  # TF's name too: the Equal inside the scope
        names = ["rgb:0", "crop:0", "shape:0", check.name]
        ours = run(names, {contents: data})
    graph_def = tf1.GraphDef.FromString(g.as_graph_def().SerializeToString())
    tg = tf1.Graph()
    with tg.as_default():
        tf1.import_graph_def(graph_def, name="")
    with tf1.Session(graph=tg) as sess:
        theirs = sess.run(names, {"contents:0": data})
    for name, a, b in zip(names, ours, theirs):
        np.testing.assert_array_equal(a, b, err_msg=name)
