"""tf.image behaviours a probe found differing from TF 2.21's tf.compat.v1, each checked against
hand-computed / numpy values (no TensorFlow needed) and, where TensorFlow is installed, against
TF run in a process of its own: when resize_images skips the resize (TF's constant_value rules,
so resize_image_with_pad of a uint8 image is float32), the colour transforms and sobel_edges
refusing integer images with TF's TypeErrors, and progressive JPEGs cut short with
try_recover_truncated."""

import hashlib
import json
import pathlib
import re

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError, UnimplementedError
from tests.core.legacy_tf import tf_side_json
from tests.core.side_by_side import run as _run

JPEG = pathlib.Path(__file__).parent / "data" / "jpeg"


# -- 1. resize_images skips the resize only for sizes TF's constant_value folds -----------------
# size expression -> (dtype, static shape) TF 2.21 gives for a uint8 [4, 6, 3] image, bilinear
_SIZES = {
    "tf.constant([4, 6])": ("uint8", [4, 6, 3]),
    "[4, 6]": ("uint8", [4, 6, 3]),
    "tf.stack([4, 6])": ("uint8", [4, 6, 3]),
    "tf.shape(other)[1:3]": ("uint8", [4, 6, 3]),
    "tf.cast(tf.constant([4, 6], tf.int64), tf.int32)": ("uint8", [4, 6, 3]),
    "tf.concat([tf.constant([4]), tf.constant([6])], 0)": ("uint8", [4, 6, 3]),
    "tf.identity(tf.constant([4, 6]))": ("uint8", [4, 6, 3]),
    "tf.range(4, 7, 2)": ("uint8", [4, 6, 3]),
    "tf.stack(tf.unstack(tf.constant([4, 6])))": ("uint8", [4, 6, 3]),
    "tf.shape(other[0, :, :, 0])": ("uint8", [4, 6, 3]),
    "tf.constant([4, 6]) * 1": ("float32", [4, 6, 3]),
    "tf.stack([tf.constant(4) * 1, 6])": ("float32", [4, 6, 3]),
    "tf.concat([tf.constant([4]), tf.constant([6]) * 1], 0)": ("float32", [4, 6, 3]),
    "tf.fill([2], 5) - 1": ("float32", [4, 4, 3]),
    "tf.add(tf.constant([2, 3]), tf.constant([2, 3]))": ("float32", [4, 6, 3]),
    "tf.reverse(tf.constant([6, 4]), [0])": ("float32", [4, 6, 3]),
    "tf.gather(tf.constant([4, 6]), [0, 1])": ("float32", [4, 6, 3]),
}
_RESIZE_PROGRAM = """
import json, sys
import numpy as np
def outcomes(tf):
    out = {}
    for expr in json.loads(sys.stdin.read()):
        with tf.Graph().as_default():
            img = tf.constant(np.full((4, 6, 3), 200, np.uint8))
            other = tf.placeholder(tf.float32, [2, 4, 6, 1])
            r = tf.image.resize_images(img, eval(expr))
            out[expr] = [r.dtype.name, r.shape.as_list()]
    return out
"""


@pytest.mark.parametrize("expr", sorted(_SIZES))
def test_resize_skips_only_for_sizes_tf_folds(expr):
    img = tf.constant(np.full((4, 6, 3), 200, np.uint8))
    other = tf.placeholder(tf.float32, [2, 4, 6, 1])  # noqa: F841 - used by eval(expr)
    resized = tf.image.resize_images(img, eval(expr))
    assert [resized.dtype.name, resized.shape.as_list()] == list(_SIZES[expr])
    if resized.dtype == tf.float32:  # a real (bilinear) resize: 200 stays 200, as float
        want = np.full(_SIZES[expr][1], 200, np.float32)
        np.testing.assert_array_equal(_run(resized), want)


def test_resize_image_with_pad_of_a_uint8_letterbox_is_float32():
    """YOLO-style: a uint8 image already 416x416 still goes through ResizeBilinear in TF."""
    image = tf.placeholder(tf.uint8, [416, 416, 3])
    boxed = tf.image.resize_image_with_pad(image, 416, 416)
    assert boxed.dtype == tf.float32 and boxed.shape.as_list() == [416, 416, 3]
    assert (boxed / 255.0 - tf.constant(0.5)).dtype == tf.float32
    pixels = np.random.RandomState(0).randint(0, 256, (416, 416, 3)).astype(np.uint8)
    np.testing.assert_array_equal(_run(boxed, {image: pixels}), pixels.astype(np.float32))
    small = tf.image.resize_image_with_pad(tf.constant(np.full((4, 6, 3), 200, np.uint8)), 4, 6)
    assert small.dtype == tf.float32
    # nearest neighbour keeps the dtype whether or not the resize is skipped
    nn = tf.image.resize_image_with_pad(tf.constant(np.zeros((4, 6, 3), np.uint8)), 4, 6,
                                        method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
    assert nn.dtype == tf.uint8


def test_resize_sizes_match_tensorflow():
    theirs = tf_side_json(_RESIZE_PROGRAM + "import tensorflow.compat.v1 as tf\n"
                          "tf.disable_v2_behavior()\nprint(json.dumps(outcomes(tf)))",
                          legacy_keras=False, stdin=json.dumps(sorted(_SIZES)))
    assert {k: tuple(v) for k, v in theirs.items()} == {k: (v[0], v[1])
                                                         for k, v in _SIZES.items()}


# -- 2. colour transforms refuse integer images (TF converts the kernel to the image dtype) -----
_FIRST_FLOAT = {"rgb_to_yuv": "0.299", "rgb_to_yiq": "0.299", "yuv_to_rgb": "-0.394642334",
                "yiq_to_rgb": "0.95598634"}


@pytest.mark.parametrize("fn", sorted(_FIRST_FLOAT))
@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "uint16", "int8", "int16"])
def test_colour_transform_of_integer_image_is_tfs_type_error(fn, dtype):
    image = tf.constant(np.array([[[100, 50, 20]]], dtype))
    with pytest.raises(TypeError, match=re.escape(
            f"Expected {dtype}, but got {_FIRST_FLOAT[fn]} of type 'float'.")):
        getattr(tf.image, fn)(image)


def test_colour_transform_of_bool_image_names_the_first_non_bool():
    with pytest.raises(TypeError, match=re.escape("Expected bool, but got 1 of type 'int'.")):
        tf.image.yuv_to_rgb(tf.constant(np.ones((1, 1, 3), bool)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_colour_transform_of_float_image_is_the_matrix_product(dtype):
    rgb = np.array([[[200.0, 100.0, 50.0]]], dtype)
    yuv = np.array([[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
                    [0.114, 0.43601035, -0.10001026]])
    got = _run(tf.image.rgb_to_yuv(rgb))
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, rgb @ yuv, rtol=1e-6)


# -- 3. sobel_edges takes only TF's DepthwiseConv2dNative dtypes ----------------------------------
@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "uint16", "bool", "complex64"])
def test_sobel_edges_of_integer_image_is_tfs_type_error(dtype):
    image = tf.constant((np.arange(9).reshape(1, 3, 3, 1) * 20).astype(dtype))
    with pytest.raises(TypeError, match=re.escape(
            f"Value passed to parameter 'input' has DataType {dtype} not in list of allowed "
            "values: float16, bfloat16, float32, float64")):
        tf.image.sobel_edges(image)


def test_sobel_edges_of_float_image_is_numpys():
    image = np.random.RandomState(1).rand(2, 5, 4, 3).astype(np.float32)
    padded = np.pad(image, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    kernels = [np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
               np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])]
    want = np.stack([sum(k[i, j] * padded[:, i:i + 5, j:j + 4, :]
                         for i in range(3) for j in range(3)) for k in kernels], -1)
    np.testing.assert_allclose(_run(tf.image.sobel_edges(image)), want, rtol=1e-5, atol=1e-5)


_ERRORS_PROGRAM = """
import json, re
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
out = {}
for fn in ["rgb_to_yuv", "rgb_to_yiq", "yuv_to_rgb", "yiq_to_rgb", "sobel_edges"]:
    for dtype in ["uint8", "int32", "bool"]:
        image = np.ones((1, 3, 3, 3), dtype)
        try:
            getattr(tf.image, fn)(tf.constant(image))
            out[fn + " " + dtype] = "ok"
        except TypeError as e:
            out[fn + " " + dtype] = str(e)
print(json.dumps(out))
"""


def test_integer_image_errors_match_tensorflow():
    theirs = tf_side_json(_ERRORS_PROGRAM, legacy_keras=False)
    for case, message in theirs.items():
        fn, dtype = case.split()
        with tf.Graph().as_default():
            with pytest.raises(TypeError) as e:
                getattr(tf.image, fn)(tf.constant(np.ones((1, 3, 3, 3), dtype)))
        assert str(e.value) == message, case


# -- 4. a progressive JPEG cut short, with try_recover_truncated --------------------------------
def _decode(data, **attrs):
    with tf.Graph().as_default():
        contents = tf.placeholder(tf.string, [])
        return _run(tf.image.decode_jpeg(contents, try_recover_truncated=True, **attrs),
                    {contents: data})


def _markers(data):
    return [m.start() for m in re.finditer(rb"\xff[^\x00\xff]", data)]


def test_progressive_cut_before_its_last_scans_is_refused():
    """TF's fake EOI ends the input there and libjpeg smooths the coefficients still missing
    (no probe cut matched TF's pixels): refused by name, never different pixels."""
    data = (JPEG / "rgb420_progressive.jpg").read_bytes()
    marks = _markers(data)
    first_scan_end = marks[marks.index(data.index(b"\xff\xda")) + 1]
    cuts = [m for m in marks if m >= first_scan_end][:-1]  # between scans, before the EOI
    cuts += [m + 4 for m in cuts]  # inside a table / scan header
    cuts += [(a + b) // 2 for a, b in zip(marks, marks[1:]) if a >= first_scan_end]  # mid-scan
    for cut in cuts:
        with pytest.raises(UnimplementedError, match="minitf cannot decode this JPEG"):
            _decode(data[:cut])


def test_progressive_missing_only_its_end_decodes_as_tf():
    data = (JPEG / "rgb420_progressive.jpg").read_bytes()
    want = np.load(JPEG / "rgb420_progressive.npy")  # TF's pixels of the whole file
    np.testing.assert_array_equal(_decode(data[:-2]), want)
    np.testing.assert_array_equal(_decode(data), want)


@pytest.mark.parametrize("name", ["rgb420_progressive", "rgb420_q75"])
def test_file_ending_in_half_a_marker_is_an_error(name):
    """Cut after the 0xFF of its EOI: TF's libjpeg reads past its fake EOI and fails."""
    data = (JPEG / f"{name}.jpg").read_bytes()
    with pytest.raises(InvalidArgumentError, match="Invalid JPEG data"):
        _decode(data[:-1])


_JPEG_PROGRAM = """
import hashlib, json, sys
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
data = open(sys.argv[1], "rb").read()
p = tf.placeholder(tf.string, [])
t = tf.image.decode_jpeg(p, try_recover_truncated=True, acceptable_fraction=0.0)
out = {}
with tf.Session() as s:
    for cut in json.loads(sys.argv[2]):
        try:
            out[cut] = hashlib.md5(s.run(t, {p: data[:cut]}).tobytes()).hexdigest()
        except tf.errors.InvalidArgumentError:
            out[cut] = "error"
print(json.dumps(out))
"""


def test_progressive_cuts_match_tensorflow_or_are_refused():
    """A sweep of cuts (never right after an 0xFF: TF's decoder can hang there): where minitf
    decodes, TF decodes the same pixels; where TF fails, minitf fails too."""
    path = JPEG / "rgb420_progressive.jpg"
    data = path.read_bytes()
    marks = _markers(data)
    # from the first scan's data on (a cut inside the first scan header is another matter)
    sos = data.index(b"\xff\xda")
    start = sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")
    cuts = sorted({c for m in marks for c in (m, m + 2, m + 4)} |
                  set(range(start, len(data), 23)) | {len(data) - 2, len(data)})
    cuts = [c for c in cuts if start <= c <= len(data) and c - 1 not in marks]
    theirs = tf_side_json(_JPEG_PROGRAM, str(path), json.dumps(cuts), legacy_keras=False)
    decoded = 0
    for cut in cuts:
        try:
            mine = hashlib.md5(_decode(data[:cut]).tobytes()).hexdigest()
        except UnimplementedError:
            continue
        except InvalidArgumentError:
            mine = "error"
        assert mine == theirs[str(cut)], cut
        decoded += mine != "error"
    assert decoded == 2  # the whole file, and the file without its EOI
