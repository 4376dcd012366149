"""tf.contrib.image's ops side by side with TensorFlow 2.21: ImageProjectiveTransformV2/V3
against tf.raw_ops across dtypes, interpolations, fill modes, output shapes and transform
batching (bit-exact), their registered gradients against tf.gradients, the kernels' errors, and
GraphDefs run in the other framework. rotate's transforms are checked against TF 1.15's formula
built from TF ops. Skipped without TensorFlow."""

import numpy as np
import pytest

import minitf as tf
import minitf.contrib.image as ci
from minitf import raw_ops

from ..side_by_side import run, run_both_ways, tf_run

tf1 = pytest.importorskip("tensorflow.compat.v1")

MODES = ("CONSTANT", "REFLECT", "WRAP", "NEAREST")
DTYPES = (np.uint8, np.int32, np.int64, np.float16, np.float32, np.float64)


def _calls(seed, v3):
    """Random calls: dtype, image and output sizes (including 1-pixel axes), shared or
    per-image transforms with perspective terms."""
    rng = np.random.default_rng(seed)
    calls = []
    for dtype in DTYPES:
        for interp in ("NEAREST", "BILINEAR"):
            for mode in MODES:
                for trial in range(3):
                    n, h, w = 2, int(rng.integers(1, 8)), int(rng.integers(1, 8))
                    img = (rng.standard_normal((n, h, w, 2)) * 40 + 90).astype(dtype)
                    scale = np.array([2, 2, 6, 2, 2, 6, 0.2, 0.2], np.float32)
                    t = (rng.standard_normal((n if trial else 1, 8)) * scale).astype(np.float32)
                    kw = {"images": img, "transforms": t, "interpolation": interp,
                          "fill_mode": mode,
                          "output_shape": rng.integers(1, 9, 2).astype(np.int32)}
                    if v3:
                        kw["fill_value"] = np.float32(rng.standard_normal() * 30)
                    calls.append(kw)
    return calls


@pytest.mark.parametrize("op_name", ["ImageProjectiveTransformV2", "ImageProjectiveTransformV3"])
def test_raw_op_matches_tf_bit_for_bit(op_name):
    calls = _calls(5 if op_name.endswith("2") else 6, op_name.endswith("3"))
    want = tf_run(lambda t: [getattr(t.raw_ops, op_name)(**kw) for kw in calls])
    got = run([getattr(raw_ops, op_name)(**kw) for kw in calls])
    for kw, g, w in zip(calls, got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w, err_msg=f"{kw['interpolation']} {kw['fill_mode']} "
                                      f"{kw['images'].dtype}")


def test_half_pixel_points_and_far_shifts_match_tf():
    img = np.arange(2 * 5 * 6, dtype=np.float32).reshape(2, 5, 6, 1)
    calls = [{"images": img, "transforms": np.array([t], np.float32), "output_shape": [5, 6],
              "interpolation": interp, "fill_mode": mode}
             for t in ([1, 0, 0.5, 0, 1, -0.5, 0, 0], [1, 0, -2.5, 0, 1, 1.5, 0, 0],
                       [1, 0, -17, 0, 1, 23, 0, 0], [0.5, 0, 0, 0, 0.5, 0, 0, 0],
                       [1, 0, 0, 0, 1, 0, -0.2, 0])  # the last: k == 0 at x = 5
             for interp in ("NEAREST", "BILINEAR") for mode in MODES]
    want = tf_run(lambda t: [t.raw_ops.ImageProjectiveTransformV2(**kw) for kw in calls])
    got = run([raw_ops.ImageProjectiveTransformV2(**kw) for kw in calls])
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("v3", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_gradient_matches_tf_gradients(v3, mode):
    rng = np.random.default_rng(3)
    img = rng.standard_normal((2, 6, 5, 3)).astype(np.float32)
    weights = rng.standard_normal((2, 4, 7, 3)).astype(np.float32)
    t = np.array([[0.9, -0.2, 1.0, 0.3, 1.1, -0.5, 0.01, 0.02],
                  [1.0, 0.0, -1.0, 0.0, 1.0, 2.0, 0.0, 0.0]], np.float32)

    def build(lib):
        x = lib.constant(img)
        kw = {"transforms": t, "output_shape": [4, 7], "interpolation": "BILINEAR",
              "fill_mode": mode}
        if v3:
            y = lib.raw_ops.ImageProjectiveTransformV3(images=x, fill_value=2.5, **kw)
        else:
            y = lib.raw_ops.ImageProjectiveTransformV2(images=x, **kw)
        return lib.gradients(lib.reduce_sum(y * weights), x)[0]

    want = tf_run(build)
    g = tf.Graph()
    with g.as_default():
        got = run(build(tf))
    assert got.shape == want.shape == img.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_transform_gradient_through_contrib_api_matches_tf():
    rng = np.random.default_rng(4)
    img = rng.standard_normal((5, 6)).astype(np.float32)
    t = [1.0, 0.0, 1.0, 0.0, 1.0, -2.0, 0.0, 0.0]

    def build_tf(lib):
        x = lib.constant(img)
        y = lib.raw_ops.ImageProjectiveTransformV2(
            images=x[None, :, :, None], transforms=[t], output_shape=[5, 6],
            interpolation="NEAREST")[0, :, :, 0]
        return lib.gradients(lib.reduce_sum(y * y), x)[0]

    want = tf_run(build_tf)
    with tf.Graph().as_default():
        x = tf.constant(img)
        y = ci.transform(x, t)
        got = run(tf.gradients(tf.reduce_sum(y * y), x)[0])
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("kw,message", [
    ({"transforms": np.zeros((3, 8), np.float32)}, "Input transform should be num_images x 8"),
    ({"output_shape": np.array([4, 5, 6], np.int32)}, "output shape must have two elements[3]"),
    ({"output_shape": np.array([0, 5], np.int32)}, "output dimensions must be positive"),
    ({"fill_value": np.array([1.0, 2.0], np.float32)}, "fill_value must be a scalar[2]"),
])
def test_kernel_errors_match_tf(kw, message):
    img = np.zeros((2, 4, 5, 1), np.float32)
    args = {"images": img, "transforms": np.zeros((1, 8), np.float32),
            "output_shape": np.array([4, 5], np.int32), "fill_value": np.float32(0),
            "interpolation": "NEAREST"}
    args.update(kw)
    with pytest.raises(tf1.errors.InvalidArgumentError, match=message.replace("[", r"\[")):
        tf_run(lambda t: t.raw_ops.ImageProjectiveTransformV3(**{
            k: t.placeholder_with_default(v, [None] * np.ndim(v)) if k != "interpolation"
            else v for k, v in args.items()}))
    with tf.Graph().as_default():
        phs = {k: tf.placeholder(tf.as_dtype(np.asarray(v).dtype)) for k, v in args.items()
               if k != "interpolation"}
        y = raw_ops.ImageProjectiveTransformV3(interpolation="NEAREST", **phs)
        with pytest.raises(tf.errors.InvalidArgumentError, match=message.replace("[", r"\[")):
            run(y, {phs[k]: v for k, v in args.items() if k in phs})


def test_graph_defs_run_in_the_other_framework():
    img = np.random.default_rng(8).standard_normal((1, 4, 6, 2)).astype(np.float32)
    t = np.array([[0.8, 0.3, 0.5, -0.3, 0.8, 1.5, 0.0, 0.01]], np.float32)

    def build(lib):
        lib.identity(lib.raw_ops.ImageProjectiveTransformV3(
            images=lib.constant(img), transforms=lib.constant(t),
            output_shape=lib.constant([5, 5]), fill_value=lib.constant(1.5),
            interpolation="BILINEAR", fill_mode="REFLECT"), name="out")

    from_tf, from_minitf = run_both_ways(build, "out:0")
    np.testing.assert_array_equal(from_tf, from_minitf)


def test_rotate_transforms_match_tf_formula_and_op():
    """rotate's angles_to_projective_transforms (TF 1.15's formula, written with TF ops) and the
    rotated images (TF's op on those transforms)."""
    img = np.random.default_rng(9).standard_normal((3, 5, 7, 2)).astype(np.float32)
    angles = np.array([0.3, -1.2, 2.5], np.float32)

    def build_tf(lib):
        h, w = lib.constant([5.0]), lib.constant([7.0])
        a = lib.constant(angles)
        cos, sin = lib.cos(a), lib.sin(a)
        x_off = ((w - 1) - (cos * (w - 1) - sin * (h - 1))) / 2.0
        y_off = ((h - 1) - (sin * (w - 1) + cos * (h - 1))) / 2.0
        tr = lib.stack([cos, -sin, x_off, sin, cos, y_off, lib.zeros(3), lib.zeros(3)], axis=1)
        return tr, lib.raw_ops.ImageProjectiveTransformV2(
            images=img, transforms=tr, output_shape=[5, 7], interpolation="BILINEAR")

    want_t, want = tf_run(build_tf)
    with tf.Graph().as_default():
        got_t, got = run([ci.angles_to_projective_transforms(angles, 5.0, 7.0),
                          ci.rotate(img, angles, interpolation="BILINEAR")])
    # sin and cos differ from Eigen's by an ulp at most, which the offsets carry
    np.testing.assert_array_max_ulp(got_t, want_t, maxulp=4)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # on the same transforms the images are TF's bit for bit
    same = tf_run(lambda lib: lib.raw_ops.ImageProjectiveTransformV2(
        images=img, transforms=got_t, output_shape=[5, 7], interpolation="BILINEAR"))
    np.testing.assert_array_equal(got, same)
