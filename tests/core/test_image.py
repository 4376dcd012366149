"""tf.image: the functions against numpy or hand-computed values, their static shapes and
errors; the gradients of the resize ops (as adjoints) and of AdjustContrastv2; and the same
graphs against tf.compat.v1 (tests/core/data/image_vs_tf.py) where TensorFlow is installed."""

import numpy as np
import pytest

import minitf as tf
from minitf.graph import constant_value
from tests.core.legacy_tf import run_against_tf

R = np.random.default_rng(3)
IMG = R.uniform(0, 1, (2, 5, 6, 3)).astype(np.float32)


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


# -- resizing ------------------------------------------------------------------------------------


def test_resize_images_by_hand_and_shapes():
    x = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32).reshape(2, 2, 1)
    corners = tf.image.resize_images(x, [3, 3], align_corners=True)
    assert corners.shape.as_list() == [3, 3, 1]
    np.testing.assert_allclose(run(corners)[..., 0], [[0, .5, 1], [1, 1.5, 2], [2, 2.5, 3]])
    legacy = tf.image.resize_images(x, [4, 4])  # source = out * in/out, clamped at the edge
    np.testing.assert_allclose(run(legacy)[0, :, 0], [0, .5, 1, 1])
    nearest = tf.image.resize_images(x.astype(np.uint8), [4, 1],
                                     tf.image.ResizeMethod.NEAREST_NEIGHBOR)
    assert nearest.dtype == tf.uint8 and run(nearest)[:, 0, 0].tolist() == [0, 0, 2, 2]
    bicubic = tf.image.resize_images(IMG, [7, 4], "bicubic")
    assert bicubic.dtype == tf.float32 and run(bicubic).shape == (2, 7, 4, 3)
    # AREA: each output pixel the mean of the input area it covers (2x2 blocks here).
    blocks = np.arange(16, dtype=np.uint8).reshape(4, 4, 1)
    area = tf.image.resize_images(blocks, [2, 2], tf.image.ResizeMethod.AREA)
    assert area.dtype == tf.float32 and area.op.inputs[0].op.type == "ResizeArea"
    np.testing.assert_allclose(run(area)[..., 0], [[2.5, 4.5], [10.5, 12.5]])
    ph = tf.placeholder(tf.float32, [None, None, None, 3])
    assert tf.image.resize(ph, [8, 9]).shape.as_list() == [None, 8, 9, 3]
    size = tf.placeholder(tf.int32, [2])
    assert tf.image.resize_images(ph, size).shape.as_list() == [None, None, None, 3]
    assert tf.image.resize_bilinear(ph, [3, 4], half_pixel_centers=True).shape.as_list() == \
        [None, 3, 4, 3]


def test_resize_images_same_size_and_aspect_ratio():
    img = tf.constant(IMG)
    assert tf.image.resize_images(img, [5, 6]) is img  # nothing to do: no op
    fitted = tf.image.resize_images(img[0], [20, 9], preserve_aspect_ratio=True)
    assert fitted.shape.as_list() == [8, 9, 3]  # the width limits: scale 1.5 (folded statically)
    assert run(fitted).shape == (8, 9, 3)
    size = tf.placeholder(tf.int32, [2])
    fitted = tf.image.resize_images(img, size, preserve_aspect_ratio=True)
    assert fitted.shape.as_list() == [2, None, None, 3]
    assert run(fitted, {size: [3, 100]}).shape == (2, 3, 4, 3)  # round(6 * 0.6)


def test_resize_errors():
    with pytest.raises(ValueError, match="must have either 3 or 4 dimensions"):
        tf.image.resize_images(np.zeros((4, 4), np.float32), [2, 2])
    with pytest.raises(ValueError, match="contains no shape"):
        tf.image.resize_images(tf.placeholder(tf.float32), [2, 2])
    with pytest.raises(ValueError, match="1-D Tensor of 2 elements"):
        tf.image.resize_images(IMG, [2, 2, 2])
    with pytest.raises(ValueError, match="Resize method is not implemented: 7"):
        tf.image.resize_images(IMG, [2, 2], 7)
    with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3"):
        tf.image.resize_bilinear(IMG[0], [2, 2])
    with pytest.raises(ValueError, match="Dimension -2 must be >= 0"):
        tf.image.resize_bilinear(IMG, [-2, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="align_corners must be False"):
        tf.image.resize_nearest_neighbor(IMG, [2, 2], align_corners=True,
                                         half_pixel_centers=True)
    with pytest.raises(TypeError, match="not in list of allowed values"):
        tf.image.resize_bilinear(tf.placeholder(tf.bool, [1, 2, 2, 1]), [3, 3])
    size = tf.placeholder(tf.int32)
    out = tf.image.resize_bilinear(IMG, size)
    with pytest.raises(tf.errors.InvalidArgumentError, match="output dimensions must be"):
        run(out, {size: [0, 3]})
    with pytest.raises(tf.errors.InvalidArgumentError, match="shape_t must have two elements"):
        run(out, {size: [3, 3, 3]})


def _jacobian(build, x0, dtype=tf.float32):
    """(J, symbolic J^T w) of an op linear in x, J from feeding each basis vector."""
    x = tf.placeholder(dtype, x0.shape)
    y = build(x)
    w = R.standard_normal(y.shape.as_list()).astype(y.dtype.as_numpy_dtype)
    grad = tf.gradients(tf.reduce_sum(y * w), x)[0]
    with tf.Session() as sess:
        cols = [sess.run(y, {x: e.reshape(x0.shape)})
                for e in np.eye(x0.size, dtype=x0.dtype)]
        got = sess.run(grad, {x: x0})
    jac = np.stack([c.reshape(-1) for c in cols], axis=1)
    return (jac.T @ w.reshape(-1)).reshape(x0.shape), got


@pytest.mark.parametrize("attrs", [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("method", ["bilinear", "bicubic", "nearest"])
def test_resize_gradients_are_adjoints(method, attrs):
    """Resizes are linear: the gradient is J^T w, J read off column by column; so are their
    Grad ops (whose gradient is the resize again, where TF has none)."""
    fn = getattr(tf.image, {"nearest": "resize_nearest_neighbor"}.get(method,
                                                                      f"resize_{method}"))
    kw = dict(align_corners=attrs[0], half_pixel_centers=attrs[1])
    for dtype in (np.float32, np.float64):
        x0 = R.standard_normal((1, 3, 4, 2)).astype(dtype)
        for out_size in ([5, 3], [2, 7]):
            want, got = _jacobian(lambda x, s=out_size: fn(x, s, **kw), x0, tf.as_dtype(dtype))
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    image = tf.constant(R.standard_normal((1, 3, 4, 2)).astype(np.float32))
    dy0 = R.standard_normal((1, 5, 2, 2)).astype(np.float32)

    def grad_op(dy):  # the Grad op of the forward resize, as a function of its gradient input
        return tf.gradients(fn(image, [5, 2], **kw), image, grad_ys=dy)[0]

    want, got = _jacobian(grad_op, dy0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_adjust_contrast_gradient():
    """AdjustContrastv2 is linear in the images and in the factor."""
    x0 = R.uniform(0, 1, (2, 3, 2)).astype(np.float32)
    want, got = _jacobian(lambda x: tf.image.adjust_contrast(x, 1.7), x0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    f = tf.placeholder(tf.float32, [])
    y = tf.image.adjust_contrast(x0, f)
    w = R.standard_normal(x0.shape).astype(np.float32)
    grad = tf.gradients(tf.reduce_sum(y * w), f)[0]
    with tf.Session() as sess:
        slope = np.sum((sess.run(y, {f: 1.0}) - sess.run(y, {f: 0.0})) * w)
        np.testing.assert_allclose(sess.run(grad, {f: 0.5}), slope, rtol=1e-5)


# -- crops, pads, flips, rotations ---------------------------------------------------------------


def test_crop_and_pad_to_bounding_box():
    crop = tf.image.crop_to_bounding_box(IMG, 1, 2, 3, 4)
    assert crop.shape.as_list() == [2, 3, 4, 3]
    np.testing.assert_array_equal(run(crop), IMG[:, 1:4, 2:6])
    pad = tf.image.pad_to_bounding_box(IMG[0], 2, 1, 9, 8)
    assert pad.shape.as_list() == [9, 8, 3]
    np.testing.assert_array_equal(run(pad), np.pad(IMG[0], [(2, 2), (1, 1), (0, 0)]))
    ph = tf.placeholder(tf.float32, [None, None, 3])
    assert tf.image.crop_to_bounding_box(ph, 0, 0, 2, 2).shape.as_list() == [2, 2, 3]
    off = tf.placeholder(tf.int32, [])
    crop_t = tf.image.crop_to_bounding_box(IMG, off, 0, 3, 3)
    assert crop_t.shape.as_list() == [2, 3, 3, 3]
    with pytest.raises(tf.errors.InvalidArgumentError, match="offset_height must be >= 0"):
        run(crop_t, {off: -1})
    for args, message in [((-1, 0, 2, 2), "offset_height must be >= 0."),
                          ((0, 0, 0, 2), "target_height must be > 0."),
                          ((0, 3, 2, 4), "width must be >= target \\+ offset.")]:
        with pytest.raises(ValueError, match=message):
            tf.image.crop_to_bounding_box(IMG, *args)
    with pytest.raises(ValueError, match="height must be <= target - offset"):
        tf.image.pad_to_bounding_box(IMG, 1, 0, 5, 6)
    with pytest.raises(ValueError, match="must have either 3 or 4 dimensions"):
        tf.image.pad_to_bounding_box(IMG[0, 0], 0, 0, 5, 6)


def test_resize_with_crop_or_pad_and_central_crop():
    out = tf.image.resize_image_with_crop_or_pad(IMG, 3, 9)  # crop height 5->3, pad width 6->9
    assert out.shape.as_list() == [2, 3, 9, 3]
    np.testing.assert_array_equal(run(out), np.pad(IMG[:, 1:4], [(0, 0), (0, 0), (1, 2),
                                                                 (0, 0)]))
    same = tf.image.resize_with_crop_or_pad(IMG[0], 5, 6)
    np.testing.assert_array_equal(run(same), IMG[0])
    central = tf.image.central_crop(IMG, 0.5)  # start int((5 - 2.5) / 2) = 1, int(1.5) = 1
    assert central.shape.as_list() == [2, 3, 4, 3]
    np.testing.assert_array_equal(run(central), IMG[:, 1:4, 1:5])
    img = tf.constant(IMG[0])
    assert tf.image.central_crop(img, 1.0) is img
    ph = tf.placeholder(tf.float32, [None, None, 3])
    dyn = tf.image.central_crop(ph, 0.5)
    assert dyn.shape.as_list() == [None, None, 3]
    np.testing.assert_array_equal(run(dyn, {ph: IMG[0]}), IMG[0, 1:4, 1:5])
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError, match="central_fraction must be within"):
            tf.image.central_crop(IMG, bad)
    with pytest.raises(ValueError, match="target_width must be > 0."):
        tf.image.resize_image_with_crop_or_pad(IMG, 3, 0)


def test_flips_transpose_rot90():
    img3 = IMG[0]
    np.testing.assert_array_equal(run(tf.image.flip_left_right(IMG)), IMG[:, :, ::-1])
    np.testing.assert_array_equal(run(tf.image.flip_up_down(img3)), img3[::-1])
    t = tf.image.transpose_image(IMG)
    assert t.shape.as_list() == [2, 6, 5, 3]
    np.testing.assert_array_equal(run(t), IMG.transpose(0, 2, 1, 3))
    for k in range(-1, 6):
        r3, r4 = tf.image.rot90(img3, k), tf.image.rot90(IMG, k)
        assert r3.shape.as_list() == list(np.rot90(img3, k).shape)
        np.testing.assert_array_equal(run(r3), np.rot90(img3, k))
        np.testing.assert_array_equal(run(r4), np.rot90(IMG, k, axes=(1, 2)))
    k = tf.placeholder(tf.int32, [])
    rk = tf.image.rot90(IMG, k)
    assert rk.shape.as_list() == [2, None, None, 3]
    for kv in range(4):
        np.testing.assert_array_equal(run(rk, {k: kv}), np.rot90(IMG, kv, axes=(1, 2)))
    unknown = tf.placeholder(tf.float32)  # any rank: decided when run
    for fn, ref3, ref4 in [(tf.image.flip_left_right, img3[:, ::-1], IMG[:, :, ::-1]),
                           (tf.image.transpose, img3.transpose(1, 0, 2), IMG.transpose(0, 2, 1, 3)),
                           (lambda x: tf.image.rot90(x, 3), np.rot90(img3, 3),
                            np.rot90(IMG, 3, axes=(1, 2)))]:
        out = fn(unknown)
        np.testing.assert_array_equal(run(out, {unknown: img3}), ref3)
        np.testing.assert_array_equal(run(out, {unknown: IMG}), ref4)
    with pytest.raises(ValueError, match="must be at least three-dimensional"):
        tf.image.flip_left_right(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="must have either 3 or 4 dimensions"):
        tf.image.rot90(np.zeros((1, 2, 3, 3, 1)))
    with pytest.raises(ValueError, match="inner 3 dims"):
        tf.image.flip_up_down(np.zeros((0, 3, 3)))



def _types_of(build):
    graph = tf.Graph()
    with graph.as_default():
        out = build()
    return out, [op.type for op in graph.get_operations()]


def test_flips_rotations_and_reverse_write_reverse_v2():
    """As TensorFlow's graphs: ReverseV2 over the flipped axes (no StridedSlice); the
    gradient of a flip is the same flip (ReverseV2 of dy)."""
    img3 = IMG[0]
    for build, axes in [(lambda: tf.image.flip_left_right(IMG), [2]),
                        (lambda: tf.image.flip_left_right(img3), [1]),
                        (lambda: tf.image.flip_up_down(img3), [0]),
                        (lambda: tf.image.flip_up_down(IMG), [1]),
                        (lambda: tf.image.rot90(IMG, 2), [1, 2]),
                        (lambda: tf.image.rot90(img3, 1).op.inputs[0], [1]),
                        (lambda: tf.reverse(IMG, [0, -1]), [0, -1]),
                        (lambda: tf.reverse_v2(IMG, tf.constant([3], tf.int64)), [3])]:
        out, kinds = _types_of(build)
        assert out.op.type == "ReverseV2" and "StridedSlice" not in kinds
        assert constant_value(out.op.inputs[1]).tolist() == axes
    for build in (lambda: tf.image.random_flip_left_right(IMG),
                  lambda: tf.image.random_flip_up_down(img3),
                  lambda: tf.image.rot90(IMG, tf.constant(1) * 3)):
        kinds = _types_of(build)[1]
        assert "ReverseV2" in kinds and "StridedSlice" not in kinds[kinds.index("ReverseV2"):]
    x = tf.placeholder(tf.float32, [2, 5, 6, 3])
    (g,) = tf.gradients(tf.reduce_sum(tf.image.flip_left_right(x) * IMG), x)
    assert g.op.type == "ReverseV2"
    np.testing.assert_array_equal(run(g, {x: IMG}), IMG[:, :, ::-1])
    with pytest.raises(ValueError, match="axis 0 specified more than once"):
        tf.reverse(IMG, [0, -4])
    with pytest.raises(ValueError, match=r"'axis'\[0\] = 4 is out of valid range"):
        tf.reverse(IMG, [4])


def _nearest(img, rh, rw):
    """Legacy nearest-neighbour resizing: source index floor(i * in / out)."""
    h, w = img.shape[-3:-1]
    rows = [min(int(np.floor(i * h / rh)), h - 1) for i in range(rh)]
    cols = [min(int(np.floor(j * w / rw)), w - 1) for j in range(rw)]
    return img[..., rows, :, :][..., cols, :]


def test_resize_image_with_pad():
    """Resized to fit (aspect ratio kept, floor of the scaled sizes), then centred in zeros."""
    nearest = tf.image.ResizeMethod.NEAREST_NEIGHBOR
    for image, (th, tw), (rh, rw), (top, left) in [
            (IMG[:, :, :5], (8, 8), (8, 8), (0, 0)),  # 5x5 to 8x8: no padding
            (IMG, (8, 9), (7, 9), (0, 0)),  # the width limits: 5x6 to 7.5x9
            (IMG[0, :4], (8, 6), (4, 6), (2, 0)),  # 4x6 in 8x6: two rows above
            (IMG[:, :4, :2], (6, 9), (6, 3), (0, 3))]:
        out = tf.image.resize_image_with_pad(image, th, tw, method=nearest)
        assert out.shape.as_list() == list(image.shape[:-3]) + [th, tw, 3]
        want = np.zeros(image.shape[:-3] + (th, tw, 3), np.float32)
        want[..., top:top + rh, left:left + rw, :] = _nearest(image, rh, rw)
        np.testing.assert_array_equal(run(out), want)
    x = tf.placeholder(tf.float32, [None, None, 3])
    out = tf.image.resize_image_with_pad(x, 6, 9)
    assert out.shape.as_list() == [6, 9, 3]
    bilinear = tf.image.resize_images(IMG[0, :4, :2], [6, 3])
    np.testing.assert_allclose(run(out, {x: IMG[0, :4, :2]})[:, 3:6], run(bilinear), 1e-6)
    with pytest.raises(ValueError, match="target_height must be > 0."):
        tf.image.resize_image_with_pad(IMG, 0, 4)
    with pytest.raises(ValueError, match="must have either 3 or 4 dimensions"):
        tf.image.resize_image_with_pad(np.zeros((1, 2, 3, 3, 1)), 4, 4)

def test_random_flips_and_crop():
    batch = np.stack([IMG[0]] * 16)
    out = run(tf.image.random_flip_left_right(batch, seed=5))
    flipped = [np.array_equal(o, IMG[0, :, ::-1]) for o in out]
    assert all(f or np.array_equal(o, IMG[0]) for f, o in zip(flipped, out))
    assert 0 < sum(flipped) < 16  # each image on its own
    up_down = tf.image.random_flip_up_down(IMG[0], seed=2)
    assert up_down.shape.as_list() == [5, 6, 3]
    with tf.Session() as sess:
        seen = {sess.run(up_down).tobytes() for _ in range(20)}
    assert seen == {IMG[0].tobytes(), IMG[0, ::-1].tobytes()}
    crop = tf.image.random_crop(IMG, [2, 3, 4, 3], seed=1)
    assert crop.shape.as_list() == [2, 3, 4, 3]
    with tf.Session() as sess:
        for _ in range(5):
            got = sess.run(crop)
            assert any(np.array_equal(got, IMG[:, i:i + 3, j:j + 4])
                       for i in range(3) for j in range(3))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Need value.shape >= size"):
        run(tf.image.random_crop(IMG, [3, 3, 3, 3]))


# -- values ----------------------------------------------------------------------------------------


def test_convert_image_dtype():
    u8 = np.array([[[0], [128], [255]]], np.uint8)
    np.testing.assert_allclose(run(tf.image.convert_image_dtype(u8, tf.float32)), u8 / 255.0,
                               rtol=1e-6)
    flt = np.array([[[0.0], [0.5], [1.0], [1.2], [-0.1]]], np.float32)
    np.testing.assert_array_equal(
        run(tf.image.convert_image_dtype(flt, tf.uint8, saturate=True))[0, :, 0],
        [0, 127, 255, 255, 0])  # 0.5 * 255.5 truncated
    assert run(tf.image.convert_image_dtype(u8, tf.int32))[0, 2, 0] == 255 * 2 ** 23
    i32 = np.array([[[2 ** 31 - 1], [2 ** 23 * 3 + 5]]], np.int32)  # scaled by 2 ** -23
    np.testing.assert_array_equal(run(tf.image.convert_image_dtype(i32, tf.uint8))[0, :, 0],
                                  [255, 3])
    x = tf.constant(flt)
    assert tf.image.convert_image_dtype(x, tf.float32).op.type == "Identity"
    assert tf.image.convert_image_dtype(x, tf.float64).dtype == tf.float64
    with pytest.raises(AttributeError, match="floating point or integer"):
        tf.image.convert_image_dtype(x, tf.bool)


def test_standardization_grayscale_brightness_contrast():
    got = run(tf.image.per_image_standardization(IMG))
    x = IMG.astype(np.float64)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    std = np.maximum(x.std(axis=(1, 2, 3), keepdims=True), 1 / np.sqrt(90))
    np.testing.assert_allclose(got, (x - mean) / std, rtol=1e-4, atol=1e-5)
    const = run(tf.image.per_image_standardization(np.full((2, 2, 1), 7, np.uint8)))
    assert const.dtype == np.float32 and not const.any()  # stddev floored: no division by 0
    gray = tf.image.rgb_to_grayscale(IMG)
    assert gray.shape.as_list() == [2, 5, 6, 1]
    np.testing.assert_allclose(run(gray)[..., 0], IMG @ [0.2989, 0.5870, 0.1140], rtol=1e-5)
    rgb = tf.image.grayscale_to_rgb(gray)
    assert rgb.shape.as_list() == [2, 5, 6, 3]
    np.testing.assert_array_equal(run(rgb), np.repeat(run(gray), 3, axis=-1))
    with pytest.raises(ValueError, match="should be size 1"):
        tf.image.grayscale_to_rgb(IMG)
    np.testing.assert_allclose(run(tf.image.adjust_brightness(IMG, 0.25)), IMG + 0.25)
    u8 = np.array([[[10], [250]]], np.uint8)  # +0.1 is +25.5 levels, saturating at 255
    np.testing.assert_array_equal(run(tf.image.adjust_brightness(u8, 0.1))[0, :, 0], [35, 255])
    mean = IMG.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(run(tf.image.adjust_contrast(IMG, 2.0)),
                               (IMG - mean) * 2 + mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run(tf.image.adjust_gamma(IMG, 2.0, 0.5)), 0.5 * IMG ** 2,
                               rtol=1e-6)


def test_grayscale_to_rgb_of_an_unknown_shape_checks_the_channels_when_it_runs():
    # As TF's _AssertGrayscaleImage: two channels are refused at run time, one is tiled.
    p = tf.placeholder(tf.float32, None)
    rgb = tf.image.grayscale_to_rgb(p)
    gray = np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(rgb, {p: gray}), np.repeat(gray, 3, axis=-1))
        with pytest.raises(tf.errors.InvalidArgumentError, match="should be size 1"):
            sess.run(rgb, {p: np.zeros((1, 2, 2, 2), np.float32)})


def test_random_brightness_and_contrast():
    with tf.Session() as sess:
        delta = sess.run(tf.image.random_brightness(IMG, 0.2, seed=1)) - IMG
        assert np.allclose(delta, delta.flat[0], atol=1e-6) and abs(delta.flat[0]) <= 0.2
        out = sess.run(tf.image.random_contrast(IMG, 0.5, 0.8, seed=1))
    mean = IMG.mean(axis=(1, 2), keepdims=True)
    factor = np.sum((out - mean) * (IMG - mean)) / np.sum((IMG - mean) ** 2)
    assert 0.5 <= factor <= 0.8
    with pytest.raises(ValueError, match="max_delta must be non-negative"):
        tf.image.random_brightness(IMG, -1)
    with pytest.raises(ValueError, match="upper must be > lower"):
        tf.image.random_contrast(IMG, 0.8, 0.5)
    with pytest.raises(ValueError, match="lower must be non-negative"):
        tf.image.random_saturation(IMG, -0.5, 0.5)
    with pytest.raises(ValueError, match="max_delta must be <= 0.5"):
        tf.image.random_hue(IMG, 0.6)


def test_colour_conversions():
    hsv = tf.image.rgb_to_hsv(IMG)
    back = run(tf.image.hsv_to_rgb(hsv))
    np.testing.assert_allclose(back, IMG, atol=1e-6)
    pure = np.array([[[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.5, 0.5, 0.5]]], np.float32)
    np.testing.assert_allclose(run(tf.image.rgb_to_hsv(pure))[0],
                               [[0, 1, 1], [1 / 3, 1, 1], [2 / 3, 1, 1], [0, 0, 0.5]],
                               atol=1e-7)
    np.testing.assert_allclose(run(tf.image.adjust_hue(pure, 1 / 3))[0, :3],
                               [[0, 1, 0], [0, 0, 1], [1, 0, 0]], atol=1e-6)
    np.testing.assert_allclose(run(tf.image.adjust_saturation(pure, 0.5))[0, 0], [1, .5, .5])
    u8 = (IMG * 255).astype(np.uint8)
    assert run(tf.image.adjust_hue(u8, 0.0)).dtype == np.uint8
    with pytest.raises(tf.errors.InvalidArgumentError, match="3 channels"):
        run(tf.image.adjust_saturation(IMG[..., :2], 0.5))
    with pytest.raises(ValueError, match="Dimension must be 3 but is 2"):
        tf.image.rgb_to_hsv(IMG[..., :2])


def test_total_variation_gradients_sobel():
    tv = tf.image.total_variation(IMG)
    assert tv.shape.as_list() == [2]
    want = np.abs(np.diff(IMG, axis=1)).sum((1, 2, 3)) + np.abs(np.diff(IMG, axis=2)).sum(
        (1, 2, 3))
    np.testing.assert_allclose(run(tv), want, rtol=1e-5)
    assert tf.image.total_variation(IMG[0]).shape.as_list() == []
    dy, dx = run(tf.image.image_gradients(IMG))
    np.testing.assert_allclose(dy[:, :-1], np.diff(IMG, axis=1), rtol=1e-6)
    np.testing.assert_allclose(dx[:, :, :-1], np.diff(IMG, axis=2), rtol=1e-6)
    assert not dy[:, -1].any() and not dx[:, :, -1].any()
    with pytest.raises(ValueError, match="expects a 4D tensor"):
        tf.image.image_gradients(tf.constant(IMG[0]))
    sobel = tf.image.sobel_edges(IMG)
    assert sobel.shape.as_list() == [2, 5, 6, 3, 2]
    padded = np.pad(IMG, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    kernels = [np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
               np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])]
    want = np.zeros((2, 5, 6, 3, 2))
    for k, kernel in enumerate(kernels):
        for i in range(5):
            for j in range(6):
                want[:, i, j, :, k] = np.einsum("nabc,ab->nc", padded[:, i:i + 3, j:j + 3],
                                                kernel)
    np.testing.assert_allclose(run(sobel), want, rtol=1e-5, atol=1e-5)


def test_image_graphs_match_tensorflow():
    """Op types, values and gradients of the same graphs in tf.compat.v1."""
    run_against_tf("image_vs_tf.py", cases=112)


@pytest.mark.parametrize("adjust", [lambda x: tf.image.adjust_hue(x, 0.1),
                                    lambda x: tf.image.adjust_saturation(x, 1.5)])
def test_hue_and_saturation_have_no_gradient(adjust):
    """TF defines none: asking raises LookupError, as TF's does (None would silently cut the
    loss's path through the colour op)."""
    x = tf.placeholder(tf.float32, [1, 2, 2, 3])
    with pytest.raises(LookupError, match="No gradient defined for operation"):
        tf.gradients(tf.reduce_sum(adjust(x)), x)
