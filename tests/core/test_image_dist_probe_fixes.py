"""tf.image and tf.distributions behaviours a probe found differing from TF 2.21's
tf.compat.v1 (graph mode), each checked against hand-computed / numpy values (no TensorFlow
needed): draw_bounding_boxes converting numpy and list images to its default float32 (TF's
op_def_library rule for a type attr with a default); the resize ops keeping a numpy image's own
dtype (their T has no default); crop_and_resize refusing boxes and box_ind of different lengths
at graph construction; ssim_multiscale of an image too small for its filter building (static
shape [1]) and failing at run time; Categorical with logits of unknown rank; Normal.quantile
giving -inf / inf outside (0, 1) as TF's special_math.ndtri does."""

import math

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


# -- 1. draw_bounding_boxes: a numpy / list image converts to the default float32 ---------------

# TF's default colour table starts with yellow (1, 1, 0, 1); a box [0, 0, 0.5, 0.5] on a 3x3
# image covers rows and columns trunc(0.5 * 2) = 0..1, whose border is the top-left 2x2 block.
_BOX = np.array([[[0.0, 0.0, 0.5, 0.5]]], np.float32)


def _expected_drawn(image):
    out = np.array(image, np.float32)
    out[0, :2, :2] = [1.0, 1.0, 0.0]
    return out


@pytest.mark.parametrize("image", [
    np.arange(27, dtype=np.uint8).reshape(1, 3, 3, 3),
    np.arange(27, dtype=np.int32).reshape(1, 3, 3, 3) - 5,
    np.full((1, 3, 3, 3), 300.7),  # float64, cast as TF casts it
    np.arange(27).reshape(1, 3, 3, 3).tolist(),  # Python ints
    np.ones((1, 3, 3, 3), bool),
], ids=["uint8", "int32", "float64", "int-list", "bool"])
@pytest.mark.parametrize("colors", [None, [[1.0, 1.0, 0.0, 1.0]]], ids=["v1", "v2"])
def test_draw_bounding_boxes_converts_numpy_images_to_float32(image, colors):
    with tf.Graph().as_default():
        out = tf.image.draw_bounding_boxes(image, _BOX, colors=colors)
        assert out.dtype == tf.float32
        assert out.op.type == ("DrawBoundingBoxes" if colors is None else "DrawBoundingBoxesV2")
        assert out.shape.as_list() == [1, 3, 3, 3]
        np.testing.assert_array_equal(_run(out), _expected_drawn(image))


def test_draw_bounding_boxes_keeps_allowed_dtypes_and_refuses_tensors_of_others():
    with tf.Graph().as_default():
        half = tf.image.draw_bounding_boxes(np.zeros((1, 3, 3, 3), np.float16), _BOX)
        assert half.dtype == tf.float16  # float16 is allowed: it stays
        np.testing.assert_array_equal(_run(half), _expected_drawn(np.zeros((1, 3, 3, 3))))
        # TF names the Consts in the op's scope: the image's own dtype first, then float32
        tf.image.draw_bounding_boxes(np.zeros((1, 3, 3, 1), np.uint8), _BOX, name="d")
        g = tf.get_default_graph()
        assert g.get_tensor_by_name("d/images:0").dtype == tf.uint8
        assert g.get_tensor_by_name("d/images_1:0").dtype == tf.float32
        assert g.get_operation_by_name("d").inputs[0].name == "d/images_1:0"
        with pytest.raises(TypeError, match="float32, float16"):
            tf.image.draw_bounding_boxes(tf.zeros((1, 3, 3, 3), tf.uint8), _BOX)
        with pytest.raises(TypeError, match="float32, float16"):
            tf.image.draw_bounding_boxes(np.array([[[["a"]]]]), _BOX)


# -- 2. resize ops: T has no default, so numpy / list images keep their dtype -------------------


def test_resize_nearest_neighbor_keeps_numpy_and_list_dtypes():
    image = np.arange(16, dtype=np.uint8).reshape(1, 4, 4, 1)
    expected = image[:, ::2, ::2]  # halving without align_corners: rows/cols floor(2 i)
    with tf.Graph().as_default():
        out = tf.image.resize_nearest_neighbor(image, [2, 2])
        assert out.dtype == tf.uint8
        from_list = tf.image.resize_nearest_neighbor(image.astype(int).tolist(), [2, 2])
        assert from_list.dtype == tf.int32
        f64 = tf.image.resize_nearest_neighbor(image.astype(np.float64), [2, 2])
        assert f64.dtype == tf.float64
        got = _run([out, from_list, f64])
    np.testing.assert_array_equal(got[0], expected)
    np.testing.assert_array_equal(got[1], expected.astype(np.int32))
    np.testing.assert_array_equal(got[2], expected.astype(np.float64))


@pytest.mark.parametrize("fn", ["resize_nearest_neighbor", "resize_bilinear", "resize_bicubic"])
@pytest.mark.parametrize("dtype", [np.uint32, bool])
def test_resize_ops_refuse_numpy_images_of_disallowed_dtypes(fn, dtype):
    with tf.Graph().as_default(), pytest.raises(TypeError, match="not in list of allowed"):
        getattr(tf.image, fn)(np.zeros((1, 4, 4, 1), dtype), [2, 2])


def test_resize_bilinear_of_numpy_uint8_is_float32():
    image = np.arange(16, dtype=np.uint8).reshape(1, 4, 4, 1)
    with tf.Graph().as_default():
        out = tf.image.resize_bilinear(image, [2, 2])
        assert out.dtype == tf.float32
        np.testing.assert_array_equal(_run(out), image[:, ::2, ::2].astype(np.float32))


# -- 3. build-time shape errors as TF's, and ssim_multiscale deferring to run time --------------


def test_crop_and_resize_refuses_box_count_mismatch_at_build():
    image = np.zeros((2, 5, 6, 3), np.float32)
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 1 and 2"):
            tf.image.crop_and_resize(image, np.zeros((1, 4), np.float32), [0, 1], [3, 4])
        # an unknown count takes the other's: [?, 4] boxes with 2 indices give 2 crops
        out = tf.image.crop_and_resize(image, tf.placeholder(tf.float32, [None, 4]), [0, 1],
                                       [3, 4])
        assert out.shape.as_list() == [2, 3, 4, 3]


def test_ssim_multiscale_too_small_builds_and_fails_at_run_time():
    rng = np.random.default_rng(0)
    a = rng.uniform(size=(1, 32, 32, 1)).astype(np.float32)
    with tf.Graph().as_default():
        out = tf.image.ssim_multiscale(a, a, 1.0)  # scale 2 is 8x8, smaller than 11x11
        assert out.shape.as_list() == [1]
        with pytest.raises(InvalidArgumentError, match="assertion failed"):
            _run(out)


def test_ssim_multiscale_of_identical_images_is_one():
    rng = np.random.default_rng(1)
    a = rng.uniform(size=(2, 176, 176, 3)).astype(np.float32)
    with tf.Graph().as_default():
        out = tf.image.ssim_multiscale(a, a, 1.0)
        assert out.shape.as_list() == [2]
        np.testing.assert_allclose(_run(out), [1.0, 1.0], rtol=1e-5)


# -- 4. Categorical with logits / probs of unknown rank -----------------------------------------

_PROBS = np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]], np.float32)


@pytest.mark.parametrize("kind", ["logits", "probs"])
def test_categorical_of_unknown_rank(kind):
    other_logits = np.log(_PROBS[::-1]).astype(np.float32)
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, None)
        dist = tf.distributions.Categorical(**{kind: p})
        assert dist.batch_shape.ndims is None
        assert dist.event_shape.as_list() == []
        sample = dist.sample(5, seed=3)
        fetches = [sample, dist.log_prob([0, 2]), dist.entropy(), dist.mode(),
                   dist.event_size, dist.batch_shape_tensor(),
                   tf.distributions.kl_divergence(
                       dist, tf.distributions.Categorical(logits=other_logits))]
        value = np.log(_PROBS) if kind == "logits" else _PROBS
        s, log_prob, entropy, mode, event_size, batch_shape, kl = _run(fetches, {p: value})
    assert s.shape == (5, 2) and s.dtype == np.int32 and set(s.ravel()) <= {0, 1, 2}
    np.testing.assert_allclose(log_prob, np.log([0.2, 0.3]), rtol=1e-5)
    np.testing.assert_allclose(entropy, -(_PROBS * np.log(_PROBS)).sum(-1), rtol=1e-5)
    np.testing.assert_array_equal(mode, [2, 1])
    assert event_size == 3
    np.testing.assert_array_equal(batch_shape, [2])
    np.testing.assert_allclose(kl, (_PROBS * np.log(_PROBS / _PROBS[::-1])).sum(-1), rtol=1e-4)


def test_categorical_of_unknown_rank_fed_rank_three():
    logits = np.log(np.stack([_PROBS, _PROBS[::-1]]))  # [2, 2, 3]
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, None)
        dist = tf.distributions.Categorical(logits=p)
        mode, lp = _run([dist.mode(), dist.log_prob(1)], {p: logits})
    np.testing.assert_array_equal(mode, [[2, 1], [1, 2]])
    np.testing.assert_allclose(lp, np.log([[0.3, 0.6], [0.6, 0.3]]), rtol=1e-5)


# -- 5. Normal.quantile outside (0, 1) -----------------------------------------------------------


def _ndtr(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_quantile_is_infinite_outside_the_unit_interval(dtype):
    p = np.array([-0.1, 1.5, 0.0, 1.0, np.nan, 0.5, 0.975], dtype)
    with tf.Graph().as_default():
        dist = tf.distributions.Normal(dtype(0.0), dtype(1.0))
        q = dist.quantile(p)
        assert q.dtype == tf.as_dtype(dtype)
        got = _run(q)
        shifted = _run(tf.distributions.Normal(dtype(1.0), dtype(2.0)).quantile(p))
    np.testing.assert_array_equal(got[:4], [-np.inf, np.inf, -np.inf, np.inf])
    assert np.isnan(got[4])
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got[5:], [0.0, 1.959963984540054], atol=tol * 4)
    np.testing.assert_array_equal(shifted[:4], [-np.inf, np.inf, -np.inf, np.inf])
    np.testing.assert_allclose(shifted[6], 1.0 + 2.0 * 1.959963984540054, rtol=tol * 4)


def test_normal_quantile_inverts_the_cdf_in_the_tails():
    p = np.array([1e-300, 1e-30, 1e-5, 0.01, 0.2, 0.9, 1 - 1e-10])
    with tf.Graph().as_default():
        got = _run(tf.distributions.Normal(np.float64(0), np.float64(1)).quantile(p))
    assert np.all(np.isfinite(got))
    back = np.array([_ndtr(x) for x in got])
    np.testing.assert_allclose(back, p, rtol=1e-9)


@pytest.mark.parametrize("boxes, scores, match", [
    ([2, 6, 2, 4], [2, 6, 3], "third dimension of boxes must be either 1 or equal"),
    ([2, 6, 1, 4], [2, 5, 3], "Dimensions must be equal, but are 6 and 5"),
    ([2, 6, 1, 4], [3, 6, 3], "Dimensions must be equal, but are 2 and 3"),
])
def test_combined_nms_shape_mismatch_fails_at_build(boxes, scores, match):
    # TF's shape function merges the batch and box dimensions and checks q (1 or num_classes)
    with pytest.raises(ValueError, match=match):
        tf.image.combined_non_max_suppression(tf.zeros(boxes), tf.zeros(scores), 3, 5)
    out = tf.image.combined_non_max_suppression(tf.zeros([2, 6, 3, 4]), tf.zeros([2, 6, 3]), 3, 5)
    assert out[0].shape.as_list() == [2, 5, 4]
