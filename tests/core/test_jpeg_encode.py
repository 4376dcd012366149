"""tf.image.encode_jpeg / tf.io.encode_jpeg, EncodeJpegVariableQuality, adjust_jpeg_quality and
random_jpeg_quality.

Without TensorFlow: hand-assembled files and hand-computed pieces (quality scaling, the DCT
against a float DCT, the quantiser against a rounded division), the markers of every mode,
round trips through minitf's own decoder (a PSNR bound; optimised and progressive files, being
lossless reorderings of the same coefficients, must decode to exactly the baseline file's
pixels), byte equality with Pillow's libjpeg-turbo for the settings it shares with TF, errors.
With TensorFlow: the bytes of many random images and attrs, and adjust_jpeg_quality's values."""

import io

import numpy as np
import pytest

import minitf as tf
from minitf.ops import _jpeg, _jpeg_encode
from minitf.ops._jpeg_encode_huffman import optimal_table
from minitf.ops.jpeg_encode_ops import ENCODE_JPEG_VARIABLE_QUALITY

R = np.random.default_rng(5)
XMP_NS = b"http://ns.adobe.com/xap/1.0/\0"


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def encode(image, **attrs):
    tf.reset_default_graph()
    return run(tf.image.encode_jpeg(tf.constant(image), **attrs))


def smooth(h, w, c, noise=4.0, rng=R):
    y, x = np.mgrid[:h, :w]
    planes = [np.sin(x / rng.uniform(3, 15) + rng.uniform(0, 6)) * np.cos(y / rng.uniform(3, 15))
              * 100 + 128 for _ in range(c)]
    return np.clip(np.stack(planes, -1) + rng.normal(0, noise, (h, w, c)), 0, 255).astype(np.uint8)


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    return np.inf if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def markers(data):
    """(marker, body) of every segment up to EOI; a scan's entropy-coded data is skipped."""
    out, pos = [], 2
    while True:
        assert data[pos] == 0xFF
        m = data[pos + 1]
        if m == 0xD9:
            assert pos + 2 == len(data)
            return out
        n = int.from_bytes(data[pos + 2:pos + 4], "big")
        out.append((m, data[pos + 4:pos + 2 + n]))
        pos += 2 + n
        if m == 0xDA:  # skip entropy-coded data: any 0xFF is followed by a stuffed 0x00
            while not (data[pos] == 0xFF and data[pos + 1] != 0):
                pos += 2 if data[pos] == 0xFF else 1


def bits_to_bytes(bits: str) -> bytes:
    bits += "1" * (-len(bits) % 8)  # libjpeg fills the last byte with ones
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)).replace(b"\xff",
                                                                                 b"\xff\x00")


# -- hand-checked pieces --------------------------------------------------------------------------

# The luminance table of the JPEG standard (K.1) in zigzag order, as a DQT at quality 50 holds it.
LUMA_ZIGZAG = [16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40, 26, 24, 22, 22,
               24, 49, 35, 37, 29, 40, 58, 51, 61, 60, 57, 51, 56, 55, 64, 72, 92, 78, 64, 68,
               87, 69, 55, 56, 80, 109, 81, 87, 95, 98, 103, 104, 103, 62, 77, 113, 121, 112,
               100, 120, 92, 101, 103, 99]


def test_hand_assembled_grey_files():
    # 8x8 grey at 128, quality 50: one block of zeros = DC size 0 ('00') + EOB ('1010').
    head = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x01\x01\x2c\x01\x2c\x00\x00"
            b"\xff\xdb\x00\x43\x00" + bytes(LUMA_ZIGZAG))
    dht = (b"\xff\xc4\x00\x1f\x00\x00\x01\x05\x01\x01\x01\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00"
           + bytes(range(12)))
    sos = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    got = encode(np.full((8, 8, 1), 128, np.uint8), quality=50)
    assert got.startswith(head + b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00" + dht)
    assert got.endswith(sos + bits_to_bytes("00" + "1010") + b"\xff\xd9")
    # 16x16 at 255: DC 8 * 8 * 127 / (8 * 16) = 63.5, rounded to 64: size 7 ('11110') and
    # 1000000, then three blocks of DC difference 0; each block ends with EOB.
    got = encode(np.full((16, 16, 1), 255, np.uint8), quality=50)
    assert got.endswith(sos + bits_to_bytes("11110" "1000000" "1010" + "00" "1010" * 3)
                        + b"\xff\xd9")


def test_quality_scaling_is_libjpegs():
    assert [_jpeg_encode.quality_scaling(q) for q in (0, 1, 10, 25, 49, 50, 75, 99, 100)] == \
        [5000, 5000, 500, 200, 102, 100, 50, 2, 0]
    assert (_jpeg_encode.quant_table(_jpeg_encode.STD_LUMINANCE_QUANT, 100) == 1).all()
    assert _jpeg_encode.quant_table(_jpeg_encode.STD_LUMINANCE_QUANT, 0).max() == 255
    q75 = _jpeg_encode.quant_table(_jpeg_encode.STD_CHROMINANCE_QUANT, 75)
    assert q75[0] == 9 and q75[-1] == 50  # (17 * 50 + 50) // 100, (99 * 50 + 50) // 100


def test_forward_dct_is_the_scaled_dct():
    blocks = R.integers(0, 256, (50, 8, 8))
    k = np.arange(8)
    basis = np.cos((2 * k[None, :] + 1) * k[:, None] * np.pi / 16) * np.where(k == 0, 0.5 ** 0.5,
                                                                               1)[:, None] / 2
    want = np.einsum("ux,nxy,vy->nuv", basis, blocks - 128.0, basis) * 8  # scaled up by 8
    got = _jpeg_encode.fdct_islow(blocks)
    assert np.abs(got - want).max() <= 2.5


def test_quantiser_is_a_rounded_division():
    x = np.concatenate([np.arange(-9000, 9001), R.integers(-8200, 8200, 20000)])
    x = x[: len(x) // 64 * 64].reshape(-1, 8, 8)
    for q in (1, 2, 3, 7, 16, 99, 128, 255):
        table = np.full(64, q)
        d = 8 * q
        want = np.sign(x) * ((np.abs(x) + d // 2) // d)
        np.testing.assert_array_equal(_jpeg_encode.quantize(x, table).reshape(x.shape), want)


def test_optimal_table_is_a_length_limited_prefix_code():
    fib = [1, 1]
    while len(fib) < 30:
        fib.append(fib[-1] + fib[-2])
    freq = np.zeros(256, np.int64)
    freq[10:40] = fib[::-1]  # Huffman gives these codes of up to 29 bits
    counts, symbols = optimal_table(freq)
    assert sorted(symbols) == list(range(10, 40)) and sum(counts) == 30
    assert len(counts) == 16 and counts[-1] > 0  # limited to 16 bits
    # Kraft: a complete prefix code once the reserved all-ones code is counted.
    assert sum(n * 2.0 ** -(i + 1) for i, n in enumerate(counts)) + 2.0 ** -16 == 1
    assert symbols[0] == 10  # the most frequent symbol first
    # Ties go to the larger symbol: 7 is merged with the pseudo-symbol first, so is longer.
    freq = np.zeros(256, np.int64)
    freq[[3, 7]] = 5
    assert optimal_table(freq) == ((1, 1) + (0,) * 14, bytes([3, 7]))
    freq = np.zeros(256, np.int64)
    freq[:40] = [2 ** 40 >> k for k in range(40)]
    with pytest.raises(_jpeg_encode.JpegEncodeError):  # longer than libjpeg's 32 bits
        optimal_table(freq)


# -- structure and round trips --------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1, 3), (7, 5, 1), (17, 33, 3), (16, 16, 3), (40, 9, 1)])
@pytest.mark.parametrize("attrs", [{}, {"optimize_size": True}, {"progressive": True},
                                   {"chroma_downsampling": False, "quality": 70}])
def test_round_trip_and_lossless_modes(shape, attrs):
    image = smooth(*shape)
    base = encode(image, quality=attrs.get("quality", 95),
                  chroma_downsampling=attrs.get("chroma_downsampling", True))
    data = encode(image, **attrs)
    decoded = _jpeg.decode(data, 0, fast=False)
    assert decoded.shape == shape
    if attrs.get("optimize_size") or attrs.get("progressive"):
        # Same coefficients, other entropy coding: the same pixels.
        np.testing.assert_array_equal(decoded, _jpeg.decode(base, 0, fast=False))
    if shape[0] * shape[1] > 1:
        assert psnr(decoded, image) > (28 if attrs.get("quality") else 33)


def test_markers_of_each_mode():
    image = smooth(20, 30, 3)
    seq = [m for m, _ in markers(encode(image))]
    assert seq == [0xE0, 0xDB, 0xDB, 0xC0, 0xC4, 0xC4, 0xC4, 0xC4, 0xDA]
    grey = markers(encode(image[..., :1]))
    assert [m for m, _ in grey] == [0xE0, 0xDB, 0xC0, 0xC4, 0xC4, 0xDA]
    assert grey[2][1][5:] == b"\x01\x01\x11\x00"  # one component, 1x1, table 0
    sof = dict(markers(encode(image)))[0xC0]
    assert sof == b"\x08\x00\x14\x00\x1e\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    sof = dict(markers(encode(image, chroma_downsampling=False)))[0xC0]
    assert sof[6:] == b"\x01\x11\x00\x02\x11\x01\x03\x11\x01"
    # jpeg_simple_progression's script for YCbCr: (components, Ss, Se, Ah/Al).
    prog = markers(encode(image, progressive=True))
    scans = [(tuple(b[1:1 + 2 * b[0]:2]), b[-3], b[-2], b[-1]) for m, b in prog if m == 0xDA]
    assert scans == [((1, 2, 3), 0, 0, 0x01), ((1,), 1, 5, 0x02), ((3,), 1, 63, 0x01),
                     ((2,), 1, 63, 0x01), ((1,), 6, 63, 0x02), ((1,), 1, 63, 0x21),
                     ((1, 2, 3), 0, 0, 0x10), ((3,), 1, 63, 0x10), ((2,), 1, 63, 0x10),
                     ((1,), 1, 63, 0x10)]
    assert [m for m, _ in prog][:4] == [0xE0, 0xDB, 0xDB, 0xC2]
    prog_grey = markers(encode(image[..., :1], progressive=True))
    assert sum(m == 0xDA for m, _ in prog_grey) == 6


def test_density_and_xmp_segments():
    data = encode(smooth(4, 4, 1), density_unit="cm", x_density=72, y_density=65535,
                  xmp_metadata="<x:xmpmeta>é</x:xmpmeta>")
    segs = markers(data)
    assert segs[0] == (0xE0, b"JFIF\0\x01\x01\x02\x00\x48\xff\xff\x00\x00")
    assert segs[1] == (0xE1, XMP_NS + "<x:xmpmeta>é</x:xmpmeta>".encode())
    assert markers(encode(smooth(4, 4, 1)))[1][0] == 0xDB  # no XMP, no APP1


def test_optimized_tables_are_smaller():
    image = smooth(64, 64, 3, noise=20)
    assert len(encode(image, optimize_size=True)) < len(encode(image))


def test_256x256_rgb_encodes_fast():
    import time

    image = smooth(256, 256, 3, noise=10)
    start = time.perf_counter()
    _jpeg_encode.encode(image, 95, False, False, True, 1, 300, 300, b"")
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("seed", range(4))
def test_bytes_equal_pillows_libjpeg_turbo(seed):
    """Pillow's encoder is libjpeg-turbo too: with force-baseline-safe qualities (>= 25), dpi
    (JFIF unit 1) and, for grey, its default sampling, its files are the ones TF writes."""
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(seed)
    for _ in range(12):
        h, w = rng.integers(1, 50, 2)
        c = int(rng.choice([1, 3]))
        image = smooth(h, w, c, noise=rng.uniform(0, 30), rng=rng)
        q, prog, opt, sub = int(rng.integers(25, 101)), bool(rng.random() < .4), \
            bool(rng.random() < .4), bool(rng.random() < .7)
        xd, yd = (int(v) for v in rng.integers(1, 3000, 2))
        kw = dict(quality=q, progressive=prog, optimize=opt, dpi=(xd, yd))
        if c == 3:
            kw["subsampling"] = 2 if sub else 0
        buf = io.BytesIO()
        Image.fromarray(image[..., 0] if c == 1 else image).save(buf, "JPEG", **kw)
        got = _jpeg_encode.encode(image, q, prog, opt, sub, 1, xd, yd, b"")
        assert got == buf.getvalue(), (image.shape, kw)


# -- the ops --------------------------------------------------------------------------------------


def test_graph_nodes_shapes_and_names():
    tf.reset_default_graph()
    img = tf.placeholder(tf.uint8, [None, None, 3])
    e = tf.image.encode_jpeg(img, quality=80)
    assert e.op.type == "EncodeJpeg" and e.shape.as_list() == [] and e.dtype == tf.string
    assert e.op.get_attr("density_unit") == b"in" and e.op.get_attr("x_density") == 300
    assert tf.io.encode_jpeg is tf.image.encode_jpeg
    v = tf.image.adjust_jpeg_quality(tf.placeholder(tf.float32, [4, 4, 3]), 50)
    types = [op.type for op in tf.get_default_graph().get_operations()]
    assert "EncodeJpegVariableQuality" in types and types[-1] == "Mul"
    assert v.shape.as_list() == [None, None, 3] and v.dtype == tf.float32
    from minitf.opdef import registered

    assert not registered()["EncodeJpeg"].differentiable
    assert not registered()["EncodeJpegVariableQuality"].differentiable


@pytest.mark.parametrize("image, attrs, message", [
    (np.zeros((4, 4, 3), np.uint8), {"quality": 101}, "quality must be in [0,100], got 101"),
    (np.zeros((4, 4, 2), np.uint8), {}, "image must have 1 or 3 channels, got [4,4,2]"),
    (np.zeros((4, 4, 3), np.uint8), {"format": "grayscale"},
     "format grayscale expects 1 channels, got [4,4,3]"),
    (np.zeros((4, 4, 1), np.uint8), {"format": "rgb"},
     "format rgb expects 3 channels, got [4,4,1]"),
    (np.zeros((4, 4), np.uint8), {}, "image must be 3-dimensional[4,4]"),
])
def test_run_time_errors_are_tensorflows(image, attrs, message):
    tf.reset_default_graph()
    ph = tf.placeholder(tf.uint8)
    with pytest.raises(tf.errors.InvalidArgumentError, match=message.replace("[", r"\[")):
        run(tf.image.encode_jpeg(ph, **attrs), {ph: image})


def test_build_time_and_libjpeg_errors():
    tf.reset_default_graph()
    ph = tf.placeholder(tf.uint8)
    with pytest.raises(ValueError, match="Attr 'format' of 'EncodeJpeg' Op passed string 'x'"):
        tf.image.encode_jpeg(ph, format="x")
    with pytest.raises(ValueError, match="'density_unit' .* not in: \"in\", \"cm\""):
        tf.image.encode_jpeg(ph, density_unit="mm")
    with pytest.raises(ValueError, match="Shape must be rank 3 but is rank 2"):
        tf.image.encode_jpeg(tf.placeholder(tf.uint8, [2, 2]))
    for image, attrs in [(np.zeros((0, 5, 3), np.uint8), {}),
                         (np.zeros((2, 2, 1), np.uint8), {"xmp_metadata": "a" * 65505})]:
        with pytest.raises(tf.errors.InternalError, match="JPEG encoding failed"):
            run(tf.image.encode_jpeg(ph, **attrs), {ph: image})
    # The longest XMP packet that fits one marker segment.
    assert len(run(tf.image.encode_jpeg(ph, xmp_metadata="a" * 65504),
                   {ph: np.zeros((2, 2, 1), np.uint8)})) > 65504


def test_variable_quality_op_and_its_errors():
    image = smooth(9, 10, 3)
    want = encode(image, quality=75)
    tf.reset_default_graph()
    img, q = tf.placeholder(tf.uint8), tf.placeholder(tf.int32)
    out = ENCODE_JPEG_VARIABLE_QUALITY(img, q)
    assert run(out, {img: image, q: 75}) == want
    for image_v, q_v, message in [(image, 101, r"quality must be in \[0,100\], got 101"),
                                  (image, [5], r"quality must be scalar: \[1\]"),
                                  (image[..., :2], 5, "image must have 1 or 3 channels"),
                                  (image[..., 0], 5, r"image must be 3-dimensional\[9,10\]")]:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            run(out, {img: image_v, q: q_v})
    with pytest.raises(ValueError, match="rank 0"):
        ENCODE_JPEG_VARIABLE_QUALITY(img, tf.placeholder(tf.int32, [1]))


def test_adjust_jpeg_quality_round_trips_through_the_decoder():
    tf.reset_default_graph()
    image = smooth(12, 14, 3)
    want = _jpeg.decode(encode(image, quality=40), 3)  # TF's default IFAST decode
    tf.reset_default_graph()
    got = run(tf.image.adjust_jpeg_quality(image, 40))
    np.testing.assert_array_equal(got, want)
    floats = run(tf.image.adjust_jpeg_quality(image.astype(np.float32) / 255, 40))
    assert floats.dtype == np.float32
    np.testing.assert_allclose(floats, want / np.float32(255), rtol=1e-6)


def test_random_jpeg_quality_checks_and_seeds():
    tf.reset_default_graph()
    image = smooth(16, 16, 3)
    for lo, hi, message in [(-1, 50, "between 0 and 100"), (10, 101, "between 0 and 100"),
                            (50, 50, "must be less than")]:
        with pytest.raises(ValueError, match=message):
            tf.image.random_jpeg_quality(image, lo, hi)
    candidates = {q: _jpeg.decode(encode(image, quality=q), 3).tobytes() for q in (60, 61, 62)}
    tf.reset_default_graph()
    tf.set_random_seed(3)
    out = tf.image.random_jpeg_quality(image, 60, 63, seed=7)
    with tf.Session() as sess:
        first = [sess.run(out).tobytes() for _ in range(6)]
    with tf.Session() as sess:
        again = [sess.run(out).tobytes() for _ in range(6)]
    assert first == again and set(first) <= set(candidates.values())


# -- side by side with TensorFlow -----------------------------------------------------------------


def _tf_run(tf1, build, feeds):
    g = tf1.Graph()
    with g.as_default():
        phs = [tf1.placeholder(tf1.as_dtype(v.dtype)) for v in feeds]
        out = build(tf1, *phs)
    with tf1.Session(graph=g) as sess:
        return sess.run(out, dict(zip(phs, feeds)))


def _mt_run(build, feeds):
    tf.reset_default_graph()
    phs = [tf.placeholder(tf.as_dtype(v.dtype)) for v in feeds]
    return run(build(tf, *phs), dict(zip(phs, feeds)))


def _encode_both(tf1, image, attrs, space="image"):
    """(TF's, minitf's) encode_jpeg of the image, each through a placeholder in a graph."""
    def build(t, x):
        return getattr(t, space).encode_jpeg(x, **attrs)
    return _tf_run(tf1, build, [image]), _mt_run(build, [image])


def _random_attrs(rng):
    return dict(quality=int(rng.integers(0, 101)), progressive=bool(rng.random() < .3),
                optimize_size=bool(rng.random() < .4), chroma_downsampling=bool(rng.random() < .7),
                density_unit=str(rng.choice(["in", "cm"])),
                x_density=int(rng.integers(-5, 70000)),  # TF keeps the low 16 bits
                y_density=int(rng.integers(0, 65536)),
                xmp_metadata="" if rng.random() < .6 else "<x>m</x>" * int(rng.integers(1, 9)))


@pytest.mark.parametrize("seed", range(6))
def test_bytes_equal_tensorflows(seed):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    rng = np.random.default_rng(100 + seed)
    for _ in range(15):
        h, w = (int(v) for v in rng.integers(1, 75, 2))
        c = int(rng.choice([1, 3]))
        image = rng.integers(0, 256, (h, w, c), dtype=np.uint8) if rng.random() < .3 else \
            smooth(h, w, c, noise=rng.uniform(0, 40), rng=rng)
        attrs = _random_attrs(rng)
        if rng.random() < .3:
            attrs["format"] = "grayscale" if c == 1 else "rgb"
        want, got = _encode_both(tf1, image, attrs)
        assert got == want, (image.shape, attrs)


def test_large_and_extreme_images_equal_tensorflows():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    noisy = smooth(200, 300, 3, noise=60)
    flat = np.full((1500, 1400, 1), 77, np.uint8)  # > 0x7FFF empty blocks: a forced EOB run
    flat[700:710, 600:620] = 200
    for image, attrs in [(noisy, {"quality": 100, "progressive": True,
                                  "chroma_downsampling": False}),
                         (noisy, {"quality": 100, "optimize_size": True}),
                         (np.zeros((17, 3, 3), np.uint8), {"quality": 0}),
                         (np.full((9, 31, 3), 255, np.uint8), {"progressive": True}),
                         (flat, {"progressive": True})]:
        want, got = _encode_both(tf1, image, attrs, "io")
        assert got == want, (image.shape, attrs)


def test_variable_quality_and_adjust_jpeg_quality_equal_tensorflows():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    rng = np.random.default_rng(9)
    for _ in range(8):
        h, w = (int(v) for v in rng.integers(1, 40, 2))
        c = int(rng.choice([1, 3]))
        image = smooth(h, w, c, noise=rng.uniform(0, 30), rng=rng)
        q = np.int32(rng.integers(0, 101))
        want = _tf_run(tf1, lambda t, x, k: t.raw_ops.EncodeJpegVariableQuality(images=x,
                                                                                 quality=k),
                       [image, q])
        got = _mt_run(lambda t, x, k: ENCODE_JPEG_VARIABLE_QUALITY(x, k), [image, q])
        assert got == want
        for dtype, method in [(np.uint8, ""), (np.float32, "INTEGER_ACCURATE"),
                              (np.float64, "INTEGER_FAST"), (np.uint16, "")]:
            x = image.astype(dtype)
            if dtype in (np.float32, np.float64):
                x = x / 255 * 1.2 - 0.1  # values outside [0, 1] are saturated
            elif dtype == np.uint16:
                x = x * 257

            def build(t, ph, k, method=method, c=c):
                ph.set_shape([None, None, c])
                return t.image.adjust_jpeg_quality(ph, k, dct_method=method)
            want = _tf_run(tf1, build, [x.astype(dtype), q])
            got = _mt_run(build, [x.astype(dtype), q])
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)


def test_errors_equal_tensorflows():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    cases = [(np.zeros((4, 4, 3), np.uint8), {"quality": 101}),
             (np.zeros((4, 4, 2), np.uint8), {}),
             (np.zeros((4, 4, 3), np.uint8), {"format": "grayscale"}),
             (np.zeros((4, 4), np.uint8), {}),
             (np.zeros((0, 4, 3), np.uint8), {}),
             (np.zeros((2, 2, 1), np.uint8), {"xmp_metadata": "a" * 65505})]
    for image, attrs in cases:
        def build(t, x, attrs=attrs):
            return t.image.encode_jpeg(x, **attrs)
        with pytest.raises(tf1.errors.OpError) as want:
            _tf_run(tf1, build, [image])
        with pytest.raises(tf.errors.OpError) as got:
            _mt_run(build, [image])
        assert type(got.value).__name__ == type(want.value).__name__
        assert got.value.message in want.value.message
    want, got = _encode_both(tf1, np.zeros((2, 2, 1), np.uint8), {"xmp_metadata": "a" * 65504})
    assert got == want


def test_graph_defs_cross_between_minitf_and_tensorflow():
    """A minitf graph exported as a GraphDef runs in TF, and TF's runs in minitf: same bytes and
    the same adjust_jpeg_quality pixels."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from minitf import export
    from minitf.export.graph_def import parse_graph_def

    image = smooth(19, 23, 3, noise=10)
    names = ["enc:0", "adjusted/convert_image_1:0"]

    def build(t):
        ph = t.placeholder(t.float32, [None, None, 3], name="image")
        u8 = t.image.convert_image_dtype(ph, t.uint8, saturate=True)
        t.image.encode_jpeg(u8, quality=33, progressive=True, density_unit="cm", x_density=5,
                            xmp_metadata="<x/>", name="enc")
        t.image.adjust_jpeg_quality(ph, 47, name="adjusted")

    feed = image.astype(np.float32) / 255
    with tf.Graph().as_default() as g:
        build(tf)
        ours = run(names, {"image:0": feed})
    tg = tf1.Graph()
    with tg.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(g.as_graph_def().SerializeToString()),
                             name="")
    with tf1.Session(graph=tg) as sess:
        theirs = sess.run(names, {"image:0": feed})
    tg = tf1.Graph()
    with tg.as_default():
        build(tf1)
    data = tg.as_graph_def().SerializeToString()
    with tf.Session(graph=export.graph_from_graph_def(parse_graph_def(data, "tf"))) as sess:
        imported = sess.run(names, {"image:0": feed})
    for a, b, c in zip(ours, theirs, imported):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(c, b)
