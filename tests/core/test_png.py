"""tf.image.decode_png / decode_image / encode_png against what real TensorFlow decodes from the
fixtures in tests/core/data/png (every colour type, bit depth, tRNS, Adam7, each filter type;
regenerate with make_fixtures.py, which needs TF), encode/decode round trips, static shapes,
node attrs and TensorFlow's errors. No TensorFlow needed here."""

import pathlib
import zlib

import numpy as np
import pytest

import minitf as tf
from minitf.opdef import registered

DATA = pathlib.Path(__file__).parent / "data" / "png"
FIXTURES = sorted(p.stem for p in DATA.glob("*.npz"))
R = np.random.default_rng(7)


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def png_bytes(name) -> bytes:
    return (DATA / f"{name}.png").read_bytes()


def test_fixtures_are_present():
    assert len(FIXTURES) >= 40 and all((DATA / f"{n}.png").exists() for n in FIXTURES)


@pytest.mark.parametrize("name", FIXTURES)
def test_decode_matches_tensorflow(name):
    tf.reset_default_graph()
    contents = tf.placeholder(tf.string, [])
    with np.load(DATA / f"{name}.npz", allow_pickle=False) as z:
        want = {k: z[k] for k in z.files}
    fetches = {}
    for key in want:
        if key == "image_float32":
            fetches[key] = tf.image.decode_image(contents, dtype=tf.float32)
        else:
            channels, dtype = key[1:].split("_")
            fetches[key] = tf.image.decode_png(contents, channels=int(channels), dtype=dtype)
    got = run(fetches, {contents: png_bytes(name)})
    for key, w in want.items():
        assert got[key].dtype == w.dtype, key
        np.testing.assert_array_equal(got[key], w, err_msg=f"{name} {key}")


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_round_trip(dtype, channels):
    top = np.iinfo(dtype).max
    images = [R.integers(0, top + 1, (h, w, channels), dtype=dtype)
              for h, w in ((1, 1), (7, 5), (2, 33))]
    images[1][0, 0] = top  # the extremes survive
    images[1][0, 1] = 0
    ph = tf.placeholder(tf.as_dtype(dtype), [None, None, channels])
    decoded = tf.image.decode_png(tf.image.encode_png(ph), dtype=tf.as_dtype(dtype))
    assert decoded.shape.as_list() == [None, None, None]
    for img in images:
        np.testing.assert_array_equal(run(decoded, {ph: img}), img)


def test_encode_compression_batches_and_io_aliases():
    img = np.tile(np.arange(64, dtype=np.uint8), (16, 1))[..., None]
    sizes = [len(run(tf.io.encode_png(img, compression=c))) for c in (0, 9)]
    assert sizes[0] > sizes[1]
    batch = R.integers(0, 256, (2, 3, 4, 5, 3), dtype=np.uint8)
    encoded = tf.io.encode_png(batch)
    assert encoded.shape.as_list() == [2, 3] and encoded.dtype == tf.string
    out = run(encoded)
    assert out.shape == (2, 3)
    np.testing.assert_array_equal(run(tf.io.decode_png(out[1, 2])), batch[1, 2])
    np.testing.assert_array_equal(run(tf.io.decode_image(out[0, 1])), batch[0, 1])


def test_decode_image_dtypes():
    img = R.integers(0, 65536, (3, 4, 3), dtype=np.uint16)
    data = run(tf.image.encode_png(img))
    as_f64 = tf.image.decode_image(data, dtype=tf.float64)
    assert as_f64.dtype == tf.float64 and as_f64.op.type != "DecodeImage"  # convert_image_dtype
    np.testing.assert_allclose(run(as_f64), img / 65535.0, rtol=1e-12)
    f32 = run(tf.image.decode_image(data, dtype=tf.float32))
    np.testing.assert_array_equal(f32, img.astype(np.float32) * np.float32(1 / 65535))
    np.testing.assert_array_equal(run(tf.image.decode_image(data, dtype=tf.uint16)), img)
    np.testing.assert_array_equal(run(tf.image.decode_image(data)), (img >> 8).astype(np.uint8))


def test_static_shapes_and_node_defs():
    tf.reset_default_graph()
    ph = tf.placeholder(tf.string)
    assert tf.image.decode_png(ph).shape.as_list() == [None, None, None]
    assert tf.image.decode_png(ph, channels=3).shape.as_list() == [None, None, 3]
    assert tf.image.decode_png(ph, channels=2).shape.as_list() == [None, None, 2]  # fails at run
    assert tf.image.decode_image(ph).shape.rank is None  # a GIF would be 4-D
    assert tf.image.decode_image(ph, channels=1, expand_animations=False).shape.as_list() == \
        [None, None, 1]
    assert tf.image.decode_image(ph, dtype=tf.float64,
                                 expand_animations=False).shape.as_list() == [None, None, None]
    assert tf.image.encode_png(tf.placeholder(tf.uint8, [2, 2, 3])).shape.as_list() == []
    assert tf.image.encode_png(tf.placeholder(tf.uint8, [None, 2, 2, 3])).shape.as_list() == \
        [None]
    assert tf.image.encode_png(tf.placeholder(tf.uint16)).shape.rank is None
    d = tf.image.decode_png(ph, channels=4, dtype=tf.uint16, name="pic")
    assert (d.op.name, d.op.type) == ("pic", "DecodePng")
    assert d.op.get_attr("channels") == 4 and d.op.get_attr("dtype") == tf.uint16
    di = tf.image.decode_image(ph, name="img")
    assert (di.op.name, di.op.type) == ("img/DecodeImage", "DecodeImage")
    assert di.op.get_attr("expand_animations") is True
    e = tf.image.encode_png(tf.placeholder(tf.uint16, [1, 1, 1]))
    assert e.op.type == "EncodePng" and e.op.get_attr("compression") == -1
    assert e.op.get_attr("T") == tf.uint16
    for op in ("DecodePng", "DecodeImage", "EncodePng"):
        assert not registered()[op].differentiable  # TF registers no gradient


def test_graph_construction_errors():
    ph = tf.placeholder(tf.string)
    with pytest.raises(ValueError, match="channels must be non-negative, got -1"):
        tf.image.decode_png(ph, channels=-1)
    with pytest.raises(ValueError, match="must be rank 0"):
        tf.image.decode_png(tf.placeholder(tf.string, [2]))
    with pytest.raises(TypeError, match="allowed values: uint8, uint16"):
        tf.image.decode_png(ph, dtype=tf.float32)
    with pytest.raises(TypeError, match="allowed values: uint8, uint16, float32"):
        registered()["DecodeImage"](ph, dtype=tf.float64)
    with pytest.raises(TypeError, match="parameter 'image'"):
        tf.image.encode_png(tf.placeholder(tf.float32, [2, 2, 3]))
    with pytest.raises(ValueError, match="at least rank 3"):
        tf.image.encode_png(tf.placeholder(tf.uint8, [2, 2]))


def _chunk(kind, body):
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def _tiny(extra=b"", raw=b"\x00\x01\x02\x00\x03\x04", ihdr=None, iend=True, idat=None):
    """A 2x2 8-bit grey PNG: IHDR, extra chunks, IDAT of ``raw`` (or of ``idat`` as is), IEND."""
    ihdr = ihdr or (2).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    idat = zlib.compress(raw) if idat is None else idat
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + extra
            + _chunk(b"IDAT", idat) + (_chunk(b"IEND", b"") if iend else b""))


def _decode(data, **kw):
    return run(tf.image.decode_png(tf.constant(data, dtype=tf.string), **kw))


def _flip(data, offset):
    b = bytearray(data)
    b[offset] ^= 1
    return bytes(b)


def test_tolerated_like_libpng():
    np.testing.assert_array_equal(_decode(_tiny())[..., 0], [[1, 2], [3, 4]])
    text = _chunk(b"tEXt", b"k\x00v")
    damaged = _flip(_tiny(text), 33 + 12 + len(b"k\x00v") - 1)  # tEXt's CRC: dropped
    np.testing.assert_array_equal(_decode(damaged)[..., 0], [[1, 2], [3, 4]])
    assert _decode(_tiny(_chunk(b"abCD", b"?")) + b"trailing garbage").shape == (2, 2, 1)
    extra = _tiny(raw=b"\x00\x01\x02\x00\x03\x04" + bytes(9))  # more data than the image needs
    assert _decode(extra).shape == (2, 2, 1)


DECODE_ERRORS = [
    (b"", "Input is empty"),
    (b"not an image at all", "Unknown image file format. One of JPEG, JPEG XL, PNG, GIF, BMP"),
    # Other formats go to their decoders, as TF's kernel does: TF 2.21's messages.
    (b"\xff\xd8\xff\xe0" + bytes(30), "jpeg::Uncompress failed. Invalid JPEG data or crop window"),
    (b"GIF89a" + bytes(30), r"Invalid GIF data \(size 36\), failed to slurp gif file: Wrong "
     "record type detected"),
    (b"BM" + bytes(60), "Trying to decode BMP format using a wrong op. Use `decode_bmp` or "
     "`decode_image` instead. Op used: DecodePng"),
    (b"\x89PNG\r\n\x1a\n", "Failed to initialize decoder"),
    (_flip(_tiny(), 20), "Failed to initialize decoder: CRC error in IHDR"),
    (_tiny(ihdr=(2).to_bytes(4, "big") * 2 + bytes([4, 2, 0, 0, 0])),
     "Failed to initialize decoder: invalid bit depth 4 for colour type 2"),
    (_tiny(ihdr=bytes(4) + (2).to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])),
     "Failed to initialize decoder"),
    (_tiny(ihdr=(2).to_bytes(4, "big") * 2 + bytes([8, 3, 0, 0, 0])),
     "Failed to initialize decoder: palette image without a PLTE"),
    (_tiny(_chunk(b"ABCD", b"?")), "Failed to initialize decoder: unknown critical chunk"),
    (_tiny(idat=b"\x78\x9c\xff\xff\xff"), r"Invalid PNG data, size \d+: bad compressed data"),
    (_flip(_tiny(), 33 + 8 + len(zlib.compress(b"\x00\x01\x02\x00\x03\x04"))),
     r"Invalid PNG data, size \d+: CRC error in IDAT"),
    (_tiny()[:-20], "Invalid PNG data"),
    (_tiny(iend=False), r"Invalid PNG data, size \d+: file ends before its IEND chunk"),
    (_tiny(raw=b"\x00\x01\x02\x00\x03"), "Invalid PNG data, size .*not enough image data"),
    (_tiny(raw=b"\x00\x01\x02\x05\x03\x04"), "Invalid PNG data, size .*unknown filter type 5"),
]


@pytest.mark.parametrize("data, message", DECODE_ERRORS,
                         ids=[f"error{i}" for i in range(len(DECODE_ERRORS))])
def test_decode_errors(data, message):
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        _decode(data)


def test_runtime_attr_errors():
    good = _tiny()
    for channels in (2, 5):
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=f"`channels` must be 0, 1, 3 or 4 but got {channels}"):
            _decode(good, channels=channels)
    with pytest.raises(tf.errors.InvalidArgumentError, match="`channels` must be 0, 1, 3 or 4"):
        run(tf.image.decode_image(good, channels=2))
    img = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"compression should be in \[-1,9\]"):
        run(tf.image.encode_png(img, compression=10))
    with pytest.raises(tf.errors.InvalidArgumentError, match="1, 2, 3, or 4 channels, got 5"):
        run(tf.image.encode_png(np.zeros((2, 2, 5), np.uint8)))
    with pytest.raises(tf.errors.InternalError, match="PNG encoding failed"):
        run(tf.image.encode_png(np.zeros((0, 2, 3), np.uint8)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least rank 3"):
        ph = tf.placeholder(tf.uint8)
        run(tf.image.encode_png(ph), {ph: np.zeros((2, 2), np.uint8)})
