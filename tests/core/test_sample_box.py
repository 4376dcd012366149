"""tf.image.sample_distorted_bounding_box (TF1) and stateless_sample_distorted_bounding_box
(core/ops/sample_box_ops.py): TensorFlow's crops for fixed seeds (hard-coded values TF 2.21 gave,
and live with TF installed), the constraints every crop satisfies, the fallback to the whole
image, the stateful ops' stream from run to run, TF's errors, and a GraphDef round trip."""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError
from minitf.image_decode_extra import (sample_distorted_bounding_box,
                                       stateless_sample_distorted_bounding_box)
from minitf.opdef import registered
from .side_by_side import run_graph_def_in_tf

F = np.float32
R = np.random.default_rng(8)
BOX = np.array([[[0.1, 0.2, 0.5, 0.7]]], F)


def run(fetches, feed=None, times=1):
    with tf.Session() as sess:
        return [sess.run(fetches, feed) for _ in range(times)]


def test_seeded_crops_are_tensorflows():
    tf.reset_default_graph()
    crop = sample_distorted_bounding_box(np.array([40, 60, 3], np.int32), BOX, seed=7, seed2=3,
                                         min_object_covered=0.3)
    first, second = run(crop, times=2)
    # TF 2.21 gave these for its first two runs in a session (tf.compat.v1 graph, same args).
    np.testing.assert_array_equal(first[0], [3, 16, 0])
    np.testing.assert_array_equal(first[1], [29, 28, -1])
    np.testing.assert_array_equal(first[2], F([[[3 / 40, 16 / 60, 32 / 40, 44 / 60]]]))
    np.testing.assert_array_equal(second[0], [0, 2, 0])
    np.testing.assert_array_equal(second[1], [40, 52, -1])
    # A new session starts the stream again.
    np.testing.assert_array_equal(run(crop)[0][0], first[0])


def test_stateless_crop_is_tensorflows_and_a_function_of_the_seed():
    tf.reset_default_graph()
    args = (np.array([480, 640, 3], np.int16), np.array([[[0.2, 0.3, 0.6, 0.9]]], F))
    crop = stateless_sample_distorted_bounding_box(
        *args, seed=np.array([123, -4], np.int64), min_object_covered=0.7,
        aspect_ratio_range=[0.9, 1.1], area_range=[0.3, 0.8])
    a, b = run(crop, times=2)
    # TF 2.21 gave begin [19, 239, 0] and size [316, 299, -1] (int16).
    assert a[0].dtype == np.int16
    np.testing.assert_array_equal(a[0], [19, 239, 0])
    np.testing.assert_array_equal(a[1], [316, 299, -1])
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def _check_crop(begin, size, bboxes, h, w, boxes, covered, ratios, areas):
    """The kernel's constraints, or the whole image."""
    y, x, th, tw = int(begin[0]), int(begin[1]), int(size[0]), int(size[1])
    assert begin[2] == 0 and size[2] == -1
    assert 0 <= y and 0 <= x and 0 < th and 0 < tw and y + th <= h and x + tw <= w
    np.testing.assert_array_equal(
        bboxes, F([[[F(y) / F(h), F(x) / F(w), F(y + th) / F(h), F(x + tw) / F(w)]]]))
    if (y, x, th, tw) == (0, 0, h, w):
        return "whole"
    # The width is round(height * ratio) for a ratio in range; the area fraction in range.
    assert ratios[0] * th - 0.5 <= tw <= ratios[1] * th + 0.5
    assert areas[0] * h * w * (1 - 1e-6) <= tw * th <= areas[1] * h * w * (1 + 1e-6)
    best = 0.0
    for y0, x0, y1, x1 in (boxes.reshape(-1, 4) if boxes.size else [[0, 0, 1, 1]]):
        bx0, by0, bx1, by1 = int(F(x0) * F(w)), int(F(y0) * F(h)), int(F(x1) * F(w)), \
            int(F(y1) * F(h))
        area = (bx1 - bx0) * (by1 - by0)
        inter_w = min(x + tw, bx1) - max(x, bx0)
        inter_h = min(y + th, by1) - max(y, by0)
        if area >= 1 and inter_w >= 0 and inter_h >= 0:
            best = max(best, inter_w * inter_h / area)
    assert best >= covered - 1e-6
    return "crop"


def test_every_crop_satisfies_the_constraints():
    tf.reset_default_graph()
    size = tf.placeholder(tf.int32, [3])
    boxes = tf.placeholder(tf.float32, [1, None, 4])
    seed = tf.placeholder(tf.int64, [2])
    covered = tf.placeholder(tf.float32, [])
    ratios, areas = [0.5, 2.0], [0.1, 0.7]
    crop = stateless_sample_distorted_bounding_box(
        size, boxes, seed, covered, aspect_ratio_range=ratios, area_range=areas,
        max_attempts=20, use_image_if_no_bounding_boxes=True)
    kinds = set()
    with tf.Session() as sess:
        for i in range(150):
            h, w = (int(v) for v in R.integers(1, 300, 2))
            b = np.sort(R.random((1, i % 3, 2, 2), dtype=F), axis=2).reshape(1, -1, 4)
            c = F(R.choice([0.0, 0.3, 0.9]))
            out = sess.run(crop, {size: [h, w, 3], boxes: b, seed: R.integers(-99, 99, 2),
                                  covered: c})
            kinds.add(_check_crop(*out, h, w, b, c, ratios, areas))
    assert kinds == {"whole", "crop"}


@pytest.mark.parametrize("kwargs", [
    {"min_object_covered": 1.0, "area_range": [0.05, 0.5]},  # no small crop covers the box
    {"min_object_covered": 0.0, "aspect_ratio_range": [20.0, 30.0]},  # no such ratio fits
])
def test_falls_back_to_the_whole_image(kwargs):
    tf.reset_default_graph()
    crop = sample_distorted_bounding_box(np.array([50, 40, 3], np.int64),
                                         np.array([[[0, 0, 1, 1]]], F), seed=1, **kwargs)
    begin, size, bboxes = run(crop)[0]
    np.testing.assert_array_equal(begin, [0, 0, 0])
    np.testing.assert_array_equal(size, [50, 40, -1])
    np.testing.assert_array_equal(bboxes, [[[0, 0, 1, 1]]])


def test_seed_zero_draws_a_random_stream():
    tf.reset_default_graph()
    crop = sample_distorted_bounding_box([300, 300, 3], BOX, min_object_covered=0.0,
                                         area_range=[0.05, 0.5])
    begins = {tuple(run(crop)[0][0]) for _ in range(4)}
    assert len(begins) > 1


def test_static_shapes_and_node():
    tf.reset_default_graph()
    begin, size, bboxes = sample_distorted_bounding_box(
        tf.placeholder(tf.int64, [3]), tf.placeholder(tf.float32, [None, None, 4]), seed=5,
        seed2=6, aspect_ratio_range=(1, 2), name="crop")
    assert begin.shape.as_list() == [3] and size.dtype == tf.int64
    assert bboxes.shape.as_list() == [1, 1, 4] and bboxes.dtype == tf.float32
    op = begin.op
    assert op.type == "SampleDistortedBoundingBoxV2" and op.name == "crop/crop"
    assert op.get_attr("seed") == 5 and op.get_attr("seed2") == 6
    assert op.get_attr("aspect_ratio_range") == [1.0, 2.0]
    assert op.get_attr("area_range") == pytest.approx([0.05, 1.0])
    assert op.get_attr("max_attempts") == 100
    assert not registered()["SampleDistortedBoundingBoxV2"].differentiable


def test_image_size_must_be_an_integer_type():
    tf.reset_default_graph()
    with pytest.raises(TypeError, match="image_size"):
        sample_distorted_bounding_box(tf.placeholder(tf.float32, [3]), BOX)


@pytest.mark.parametrize("image_size, boxes, message", [
    ([2, 3], BOX, "Dimension must be 3 but is 2"),
    ([[2, 3, 3]], BOX, "Shape must be rank 1 but is rank 2"),
    ([2, 3, 3], np.zeros((1, 4), F), "Shape must be rank 3 but is rank 2"),
    ([2, 3, 3], np.zeros((1, 1, 3), F), "Dimension must be 4 but is 3"),
])
def test_shape_errors_at_graph_construction(image_size, boxes, message):
    tf.reset_default_graph()
    with pytest.raises(InvalidArgumentError, match=message):
        sample_distorted_bounding_box(np.array(image_size, np.int32), boxes)


@pytest.mark.parametrize("kwargs, message", [
    ({"aspect_ratio_range": [0.0, 1.0]}, r"Aspect ratio range must be non-negative: \[0, 1\]"),
    ({"aspect_ratio_range": [1.0]}, "Aspect ratio range field must specify 2 dimensions"),
    ({"area_range": [0.5, 1.5]}, r"Area range must be less then or equal to 1.0: \[0.5, 1.5\]"),
    ({"area_range": [-0.5, 1.0]}, r"Area range must be non-negative: \[-0.5, 1\]"),
    ({"max_attempts": 0}, "Max attempts must be non-negative: 0"),
    ({"min_object_covered": -0.25}, "Min object covered must be non-negative: -0.25"),
    ({"bounding_boxes": np.array([[[0.1, 0.2, 1.5, 0.7]]], F)},
     r"All bounding box coordinates must be in \[0.0, 1.0\]: 1.5"),
    ({"bounding_boxes": np.zeros((1, 0, 4), F)}, "No bounding boxes provided as input. One must "
     "enable use_image_if_no_bounding_boxes"),
    ({"image_size": np.array([-3, 5, 3], np.int32)}, "image height cannot be >= int32 max"),
])
def test_run_time_errors(kwargs, message):
    tf.reset_default_graph()
    args = {"image_size": np.array([20, 30, 3], np.int32), "bounding_boxes": BOX, **kwargs}
    crop = sample_distorted_bounding_box(**args, seed=3)
    with pytest.raises(InvalidArgumentError, match=message):
        run(crop)


def test_run_time_shape_errors_with_unknown_shapes():
    tf.reset_default_graph()
    size, boxes = tf.placeholder(tf.int32), tf.placeholder(tf.float32)
    seed = tf.placeholder(tf.int32)
    crop = stateless_sample_distorted_bounding_box(size, boxes, seed)
    good = {size: [4, 4, 3], boxes: BOX, seed: [1, 2]}
    for bad, message in [({size: [4, 4]}, r"image_size must contain 3 elements\[2\]"),
                         ({boxes: BOX[0]}, "input boxes must be 3-dimensional"),
                         ({seed: [1, 2, 3]}, r"seed must have shape \[2\], not \[3\]")]:
        with pytest.raises(InvalidArgumentError, match=message):
            run(crop, {**good, **bad})


# -- live TensorFlow -----------------------------------------------------------------------------


def _configs(n):
    out = []
    for i in range(n):
        nb = i % 3
        lo, ar = float(R.uniform(0.05, 0.9)), float(R.uniform(0.2, 1.5))
        out.append(dict(
            image_size=np.array(R.integers(1, 400, 2).tolist() + [3], [np.int32, np.int64][i % 2]),
            bounding_boxes=np.sort(R.random((1, nb, 2, 2), dtype=F), axis=2).reshape(1, nb, 4),
            min_object_covered=float(R.choice([0.0, 0.1, 0.5, 1.0])),
            aspect_ratio_range=[ar, ar * float(R.uniform(1, 3))],
            area_range=[lo, float(R.uniform(lo, 1))], max_attempts=int(R.integers(1, 150)),
            use_image_if_no_bounding_boxes=True))
    return out


def test_live_against_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    import tensorflow as tf2

    for cfg in _configs(25):
        seed, seed2 = (int(v) for v in R.integers(1, 2**31, 2))
        g = tf1.Graph()
        with g.as_default():
            theirs = [tf1.image.sample_distorted_bounding_box(seed=seed, seed2=seed2, **cfg),
                      tf2.image.stateless_sample_distorted_bounding_box(seed=[seed, seed2],
                                                                        **cfg)]
        with tf1.Session(graph=g) as sess:
            want = [sess.run(theirs) for _ in range(2)]
        tf.reset_default_graph()
        ours = [sample_distorted_bounding_box(seed=seed, seed2=seed2, **cfg),
                stateless_sample_distorted_bounding_box(seed=np.int32([seed, seed2]), **cfg)]
        for got_run, want_run in zip(run(ours, times=2), want):
            for got, w in zip(got_run, want_run):
                for x, y in zip(got, w):
                    assert x.dtype == y.dtype
                    np.testing.assert_array_equal(x, y, err_msg=str(cfg))


def test_graph_def_round_trip_through_tensorflow():
    pytest.importorskip("tensorflow.compat.v1")
    with tf.Graph().as_default() as ours:
        size = tf.placeholder(tf.int32, [3], name="size")
        boxes = tf.placeholder(tf.float32, [1, None, 4], name="boxes")
        sample_distorted_bounding_box(size, boxes, seed=11, seed2=12, min_object_covered=0.4,
                                      name="crop")
        stateless_sample_distorted_bounding_box(size, boxes, np.int32([3, 4]), area_range=[0.2, 1],
                                                name="stateless")
        graph_def = ours.as_graph_def().SerializeToString()
    fetches = [f"{n}:{i}" for n in ("crop/crop", "stateless/stateless") for i in range(3)]
    feed = {"size:0": [120, 90, 3], "boxes:0": np.array([[[0.1, 0.2, 0.6, 0.5]]], F)}
    with tf.Session(graph=ours) as sess:
        mine = sess.run(fetches, feed)
    for got, want in zip(mine, run_graph_def_in_tf(graph_def, fetches, feed)):
        np.testing.assert_array_equal(got, want)
