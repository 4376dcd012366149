"""tf.image's non-max suppression family, crop_and_resize, resize_area, extract_patches /
tf.extract_image_patches, the YUV/YIQ conversions, psnr, ssim and ssim_multiscale: values
against numpy or hand-computed ones, then side by side with TensorFlow (its own graphs and
sessions) for values and gradients, errors with TF's classes, and GraphDefs TF imports."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf import errors
from minitf.opdef import registered
from .side_by_side import run_graph_def_in_tf, tf1_or_skip

from .op_cases.image_extra import boxes as random_boxes
from .op_cases.image_extra import ref_crop, ref_patches

R = np.random.default_rng(21)
F = np.float32


def ours(build):
    """Runs ``build()``'s fetches in a fresh minitf graph."""
    with tf.Graph().as_default():
        fetches = build(tf)
        with tf.Session() as sess:
            return sess.run(fetches)


def theirs(build):
    tf1 = tf1_or_skip()
    g = tf1.Graph()
    with g.as_default():
        fetches = build(tf1)
        with tf1.Session(graph=g) as sess:
            return sess.run(fetches)


def both(build):
    return ours(build), theirs(build)


def assert_same(a, b, rtol=1e-5, atol=1e-6):
    for x, y in zip(a, b) if isinstance(a, (list, tuple)) else [(a, b)]:
        x, y = np.asarray(x), np.asarray(y)
        assert x.shape == y.shape and x.dtype == y.dtype, (x, y)
        if x.dtype.kind == "f":
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(x, y)


# -- non-max suppression -------------------------------------------------------------------------

CLUSTER = np.array([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, -0.1, 1, 0.9], [0, 10, 1, 11],
                    [0, 10.1, 1, 11.1], [0, 100, 1, 101]], F)
CLUSTER_SCORES = np.array([0.9, 0.75, 0.6, 0.95, 0.5, 0.3], F)


def test_non_max_suppression_hand_computed():
    """TF's documented example: the best of each overlapping cluster survives, best first."""
    got = ours(lambda t: t.image.non_max_suppression(CLUSTER, CLUSTER_SCORES, 3, 0.5))
    np.testing.assert_array_equal(got, [3, 0, 5])
    got = ours(lambda t: t.image.non_max_suppression(CLUSTER, CLUSTER_SCORES, 10, 0.5, 0.4))
    np.testing.assert_array_equal(got, [3, 0])  # 0.3 is under the score threshold
    idx, valid = ours(lambda t: t.image.non_max_suppression_padded(
        CLUSTER, CLUSTER_SCORES, 5, 0.5, pad_to_max_output_size=True))
    np.testing.assert_array_equal(idx, [3, 0, 5, 0, 0])
    assert valid == 3


def test_soft_nms_decays_scores_hand_computed():
    # Two boxes with IoU 1/3: the second's score is decayed by exp(-(1/3)^2 / (2 sigma)).
    b = np.array([[0, 0, 1, 1], [0, 0.5, 1, 1.5]], F)
    idx, scores = ours(lambda t: t.image.non_max_suppression_with_scores(
        b, np.array([0.9, 0.8], F), 5, soft_nms_sigma=0.5))
    np.testing.assert_array_equal(idx, [0, 1])
    np.testing.assert_allclose(scores, [0.9, 0.8 * np.exp(-(1 / 3) ** 2 / 1.0)], rtol=1e-6)


def test_ties_go_to_the_lower_index():
    b = np.array([[0, 0, 1, 1], [5, 5, 6, 6], [0, 0, 1, 1], [5, 5, 6, 6]], F)
    got = ours(lambda t: t.image.non_max_suppression(b, np.full(4, 0.5, F), 4, 0.5))
    np.testing.assert_array_equal(got, [0, 1])


def raw(t, op_type, **kw):
    """The op itself, TF's raw_ops style (keyword inputs), in minitf or TF."""
    if t is not tf:
        return getattr(t.raw_ops, op_type)(**kw)
    opdef = registered()[op_type]
    return opdef(*[kw.pop(a.name) for a in opdef.args], **kw)


def _nms_fetches(t, b, s, m, iou, thr, sigma, pad):
    nms = {"boxes": b, "scores": s, "max_output_size": m, "iou_threshold": iou}
    return [t.image.non_max_suppression(b, s, m, iou, thr),
            *t.image.non_max_suppression_with_scores(b, s, m, iou, thr, sigma),
            *raw(t, "NonMaxSuppressionV4", score_threshold=F(thr), **dict(
                nms, iou_threshold=F(iou)), pad_to_max_output_size=pad),
            raw(t, "NonMaxSuppression", **nms),
            raw(t, "NonMaxSuppressionV2", **dict(nms, iou_threshold=F(iou)))]


@pytest.mark.parametrize("seed", range(12))
def test_non_max_suppression_matches_tf(seed):
    """Boxes outside [0, 1], reversed corners, empty boxes, tied scores, max_output_size 0,
    score thresholds, soft-NMS: every version gives TF's indices and scores."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 14))
    b, s = random_boxes(n, tie_scores=seed % 2 == 1)
    b[: n // 4, 2:] = b[: n // 4, :2]  # empty boxes
    m = int(rng.integers(0, 9))
    iou, thr, sigma = (float(rng.choice(v)) for v in ([0.0, 0.3, 0.7, 1.0],
                                                      [-np.inf, 0.25, 0.5], [0.0, 0.2, 1.0]))
    assert_same(*both(lambda t: _nms_fetches(t, b, s, m, iou, thr, sigma, seed % 3 == 0)))


def _naive_nms(boxes, scores, max_output, iou_threshold):
    """Greedy NMS by its definition, in float64: best score first (ties: lower index), kept
    when its IoU with every kept box is at most the threshold."""
    def iou(a, b):
        (ay0, ax0), (ay1, ax1) = np.minimum(a[:2], a[2:]), np.maximum(a[:2], a[2:])
        (by0, bx0), (by1, bx1) = np.minimum(b[:2], b[2:]), np.maximum(b[:2], b[2:])
        area_a, area_b = (ay1 - ay0) * (ax1 - ax0), (by1 - by0) * (bx1 - bx0)
        if area_a <= 0 or area_b <= 0:
            return 0.0
        inter = max(min(ay1, by1) - max(ay0, by0), 0) * max(min(ax1, bx1) - max(ax0, bx0), 0)
        return inter / (area_a + area_b - inter)
    kept = []
    for i in sorted(range(len(scores)), key=lambda i: (-scores[i], i)):
        if len(kept) == max_output:
            break
        if all(iou(boxes[i].astype(float), boxes[j].astype(float)) <= iou_threshold
               for j in kept):
            kept.append(i)
    return kept


def test_non_max_suppression_many_boxes_matches_definition():
    """2000 overlapping boxes: the indices the definition keeps (ties between boxes whose IoU
    sits exactly at the threshold do not occur with these random boxes)."""
    rng = np.random.default_rng(3)
    lo = rng.uniform(0, 1, (2000, 2))
    boxes = np.concatenate([lo, lo + rng.uniform(0.02, 0.2, (2000, 2))], 1).astype(F)
    scores = rng.uniform(0, 1, 2000).astype(F)
    got = ours(lambda t: t.image.non_max_suppression(boxes, scores, 300, 0.4))
    assert got.tolist() == _naive_nms(boxes, scores, 300, 0.4)


_MANY_BOXES = """
import resource, sys
import numpy as np
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
import minitf as tf
rng = np.random.default_rng(0)
lo = rng.uniform(0, 1, (60000, 2))
boxes = np.concatenate([lo, lo + 0.01], 1).astype(np.float32)
scores = rng.uniform(0, 1, 60000).astype(np.float32)
with tf.Session() as sess:
    keep = sess.run(tf.image.non_max_suppression(boxes, scores, 50, 0.5))
    out = sess.run(tf.image.combined_non_max_suppression(
        boxes[None, :, None], scores[None, :, None], 5, 5))
print(len(keep), int(out.valid_detections[0]))
"""


def test_non_max_suppression_memory_does_not_grow_with_boxes_squared():
    """60000 boxes under a 3 GB address-space cap: NMS keeps what it compares, not an
    n x n IoU matrix (that alone would be 14 GB)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _MANY_BOXES], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["50", "5"]


def test_non_max_suppression_overlaps_matches_tf():
    overlaps = R.uniform(0, 1, (9, 9)).astype(F)
    scores = R.uniform(0, 1, 9).astype(F)
    mine = ours(lambda t: t.image.non_max_suppression_overlaps(overlaps, scores, 6, 0.7, 0.2))
    np.testing.assert_array_equal(mine, theirs(
        lambda t: t.image.non_max_suppression_overlaps(overlaps, scores, 6, 0.7, 0.2)))


def test_non_max_suppression_static_shapes():
    with tf.Graph().as_default():
        b = tf.placeholder(tf.float32, [None, 4])
        s = tf.placeholder(tf.float32, [None])
        assert tf.image.non_max_suppression(b, s, 7).shape.as_list() == [None]
        idx, valid = tf.image.non_max_suppression_padded(b, s, 7, pad_to_max_output_size=True)
        assert idx.shape.as_list() == [7] and valid.shape.as_list() == []
        idx, sc = tf.image.non_max_suppression_with_scores(b, s, 7)
        assert idx.op.type == "NonMaxSuppressionV5" and sc.dtype == tf.float32


def test_non_max_suppression_errors():
    with tf.Graph().as_default():
        with pytest.raises(errors.InvalidArgumentError, match="Dimension must be 4"):
            tf.image.non_max_suppression(tf.zeros([3, 5]), tf.zeros([3]), 2)
        with pytest.raises(errors.InvalidArgumentError, match="Dimensions must be equal"):
            tf.image.non_max_suppression(tf.zeros([3, 4]), tf.zeros([2]), 2)
        with pytest.raises(errors.InvalidArgumentError, match=r"iou_threshold must be in \[0, 1"):
            raw(tf, "NonMaxSuppression", boxes=tf.zeros([3, 4]), scores=tf.zeros([3]),
                max_output_size=2, iou_threshold=1.5)
        with pytest.raises(TypeError, match="float16, float32"):
            tf.image.non_max_suppression(tf.zeros([3, 4], tf.float64), tf.zeros([3], tf.float64),
                                         2)
        b = tf.placeholder(tf.float32)
        bad_iou = tf.image.non_max_suppression(b, tf.ones([1]), 2, iou_threshold=-0.1)
        negative = tf.image.non_max_suppression(b, tf.ones([1]), -1)
        soft = tf.image.non_max_suppression_with_scores(b, tf.ones([1]), 2, soft_nms_sigma=-1.)
        wrong_rank = tf.image.non_max_suppression(b, tf.ones([1]), 2)
        with tf.Session() as sess:
            one = np.array([[0, 0, 1, 1]], F)
            for t, what in ((bad_iou, r"iou_threshold must be in \[0, 1\]"),
                            (negative, "max_output_size must be non-negative"),
                            (soft[0], "soft_nms_sigma must be non-negative"),
                            (wrong_rank, "boxes must be 2-D")):
                with pytest.raises(errors.InvalidArgumentError, match=what):
                    sess.run(t, {b: one if t is not wrong_rank else one[0]})


def test_combined_non_max_suppression_hand_computed():
    # One image, two classes sharing CLUSTER's boxes; class 1 ranks them in reverse.
    b = CLUSTER[None, :, None]
    sc = np.stack([CLUSTER_SCORES, CLUSTER_SCORES[::-1] * 0.5], -1)[None]
    boxes, scores, classes, valid = ours(lambda t: t.image.combined_non_max_suppression(
        b, sc, 2, 3, 0.5, clip_boxes=False))
    # Class 1's scores are [0.15, 0.25, 0.475, 0.3, 0.375, 0.45]: its best is box 2.
    np.testing.assert_allclose(scores, [[0.95, 0.9, 0.475]])
    np.testing.assert_array_equal(classes, [[0, 0, 1]])
    np.testing.assert_array_equal(boxes[0], CLUSTER[[3, 0, 2]])
    assert valid.tolist() == [3]


@pytest.mark.parametrize("seed", range(6))
def test_combined_non_max_suppression_matches_tf(seed):
    """Many tied scores (TF's heap and introsort order them), negative scores, shared and
    per-class boxes, padding per class, clipping; exactly TF's outputs."""
    rng = np.random.default_rng(seed)
    n, c = int(rng.integers(5, 40)), int(rng.integers(1, 5))
    boxes = np.round(rng.uniform(-0.2, 1.2, (2, n, 1 if seed % 2 else c, 4)) * 3) / 3
    scores = rng.integers(-2, 4, (2, n, c)) / 2
    args = (boxes.astype(F), scores.astype(F), int(rng.integers(1, 12)),
            int(rng.integers(1, 30)), float(rng.choice([0.3, 0.5, 1.0])),
            float(rng.choice([-np.inf, 0.0])), seed % 3 == 0, seed % 4 != 1)
    mine, tfs = both(lambda t: list(t.image.combined_non_max_suppression(*args)))
    assert_same(mine, tfs, rtol=0, atol=0)


def test_combined_non_max_suppression_errors():
    b, sc = np.zeros((1, 3, 1, 4), F), np.ones((1, 3, 2), F)
    with tf.Graph().as_default():
        with pytest.raises(errors.InvalidArgumentError, match="max_total_size should be > 0"):
            tf.image.combined_non_max_suppression(b, sc, 2, 0)
        with pytest.raises(errors.InvalidArgumentError, match="rank 4"):
            tf.image.combined_non_max_suppression(b[0], sc, 2, 2)
        per_class = tf.placeholder(tf.int32, [])
        out = tf.image.combined_non_max_suppression(b, sc, per_class, 4)
        assert [t.shape.as_list() for t in out] == [[1, 4, 4], [1, 4], [1, 4], [1]]
        with tf.Session() as sess:
            with pytest.raises(errors.InvalidArgumentError, match="must be > 0"):
                sess.run(out, {per_class: 0})


# -- crop_and_resize -----------------------------------------------------------------------------

IMAGE = R.standard_normal((2, 6, 7, 3)).astype(F)
# Inside, flipped, partly and wholly outside the image, a point (1x1 crops of it), a box
# whose crop has one row. No sampling position falls exactly on a pixel (bilinear's kinks).
BOXES = np.array([[0.11, 0.23, 0.83, 0.71], [0.91, 0.83, 0.13, 0.31], [-0.3, 0.43, 0.52, 1.37],
                  [1.2, 1.3, 1.7, 1.9], [0.37, 0.41, 0.37, 0.41]], F)
BOX_IND = np.array([0, 1, 1, 0, 1], np.int32)


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
def test_crop_and_resize_values(method):
    want = ref_crop(IMAGE, BOXES, BOX_IND, (4, 5), method, extrapolation_value=-2.0)
    got = ours(lambda t: t.image.crop_and_resize(IMAGE, BOXES, BOX_IND, [4, 5], method=method,
                                                 extrapolation_value=-2.0))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert np.all(got[3] == -2.0)  # wholly outside the image
    assert_same(got, theirs(lambda t: t.image.crop_and_resize(
        IMAGE, BOXES, BOX_IND, [4, 5], method=method, extrapolation_value=-2.0)))


def _crop_grads(t, method, crop=(4, 5), image=IMAGE):
    x = t.constant(image)
    b = t.constant(BOXES)
    crops = t.image.crop_and_resize(x, b, BOX_IND, list(crop), method=method)
    w = t.constant(np.random.default_rng(3).standard_normal(
        (len(BOXES), *crop, image.shape[3])).astype(F))
    grads = t.gradients(t.reduce_sum(crops * w), [x, b])
    return [g if g is not None else t.constant(0) for g in grads]


@pytest.mark.parametrize("method,crop", [("bilinear", (4, 5)), ("nearest", (3, 2)),
                                         ("bilinear", (1, 1))])
def test_crop_and_resize_gradients_match_tf(method, crop):
    mine, tfs = both(lambda t: _crop_grads(t, method, crop))
    assert_same(mine, tfs, rtol=1e-4, atol=1e-4)
    # and the numerical gradient of the image (a linear map: exact up to rounding)
    eps, w = 1e-2, np.random.default_rng(3).standard_normal((len(BOXES), *crop, 3))
    pick = (1, 3, 4, 2)
    hi, lo = IMAGE.astype(float), IMAGE.astype(float)
    hi[pick] += eps
    lo[pick] -= eps
    num = (np.sum(w * ref_crop(hi, BOXES, BOX_IND, crop, method)) -
           np.sum(w * ref_crop(lo, BOXES, BOX_IND, crop, method))) / (2 * eps)
    np.testing.assert_allclose(mine[0][pick], num, rtol=1e-3, atol=1e-3)


def test_crop_and_resize_integer_image_has_only_box_gradient():
    image = R.integers(0, 255, (2, 6, 7, 3)).astype(np.uint8)
    mine, tfs = both(lambda t: _crop_grads(t, "bilinear", image=image))
    assert np.asarray(mine[0]).shape == () and np.asarray(tfs[0]).shape == ()
    assert_same(mine[1], tfs[1], rtol=1e-4, atol=1e-3)


def test_crop_and_resize_errors():
    with tf.Graph().as_default():
        with pytest.raises(errors.InvalidArgumentError, match="method must be"):
            tf.image.crop_and_resize(IMAGE, BOXES, BOX_IND, [2, 2], method="bicubic")
        with pytest.raises(errors.InvalidArgumentError, match="boxes must be 2-D"):
            tf.image.crop_and_resize(IMAGE, BOXES[:, :3], BOX_IND, [2, 2])
        ind = tf.placeholder(tf.int32, [5])
        size = tf.placeholder(tf.int32, [2])
        out = tf.image.crop_and_resize(IMAGE, BOXES, ind, size)
        assert out.shape.as_list() == [5, None, None, 3]
        with tf.Session() as sess:
            with pytest.raises(errors.OutOfRangeError, match=r"outside \[0, batch_size\)"):
                sess.run(out, {ind: [0, 1, 2, 0, 0], size: [2, 2]})
            with pytest.raises(errors.InvalidArgumentError, match="crop dimensions must be "
                                                                  "positive"):
                sess.run(out, {ind: BOX_IND, size: [0, 2]})


# -- resize_area ---------------------------------------------------------------------------------


def test_resize_area_hand_computed():
    # 4 -> 3 pixels: out[0] = (in0 + in1/3) * 3/4, out[1] = (in1 + in2) * 2/3 * 3/4 ...
    x = np.array([0, 4, 8, 12], F).reshape(1, 1, 4, 1)
    got = ours(lambda t: t.image.resize_area(x, [1, 3]))
    np.testing.assert_allclose(got.ravel(), [1.0, 6.0, 11.0], rtol=1e-6)


@pytest.mark.parametrize("size,align", [((3, 4), False), ((9, 11), False), ((4, 4), True),
                                        ((1, 2), True), ((6, 7), False)])
def test_resize_area_matches_tf(size, align):
    x = R.integers(0, 255, (2, 6, 7, 3)).astype(np.uint8)
    assert_same(*both(lambda t: t.image.resize_area(x, list(size), align_corners=align)),
                rtol=1e-6, atol=1e-4)


def test_resize_area_has_no_gradient():
    with tf.Graph().as_default():
        x = tf.constant(IMAGE)
        with pytest.raises(LookupError):
            tf.gradients(tf.image.resize_area(x, [3, 3]), x)


# -- extract patches -----------------------------------------------------------------------------

PATCHES = [([1, 3, 3, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID"),
           ([1, 2, 3, 1], [1, 3, 1, 1], [1, 2, 1, 1], "SAME"),
           ([1, 4, 2, 1], [1, 1, 2, 1], [1, 1, 3, 1], "SAME")]


@pytest.mark.parametrize("attrs", PATCHES)
def test_extract_image_patches_values_and_gradient_match_tf(attrs):
    x = R.standard_normal((2, 7, 8, 3)).astype(F)
    np.testing.assert_array_equal(
        ours(lambda t: t.extract_image_patches(x, *attrs)), ref_patches(x, *attrs))

    def build(t):
        xt = t.constant(x)
        p = t.image.extract_patches(xt, *attrs)
        w = t.constant(np.random.default_rng(1).standard_normal(p.shape.as_list()).astype(F))
        return [p, t.gradients(t.reduce_sum(p * w), xt)[0]]
    assert_same(*both(build), rtol=1e-5, atol=1e-5)


def test_extract_image_patches_errors():
    with tf.Graph().as_default():
        x = tf.zeros([1, 4, 4, 1])
        with pytest.raises(errors.UnimplementedError, match="ksizes across space"):
            tf.extract_image_patches(x, [2, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
        with pytest.raises(ValueError, match="4 values"):
            tf.extract_image_patches(x, [1, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
        with pytest.raises(errors.InvalidArgumentError, match="would be negative"):
            tf.extract_image_patches(x, [1, 6, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
        # As TF: a window one larger than the input gives no patches, not an error.
        empty = tf.extract_image_patches(x, [1, 5, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
        assert empty.shape.as_list() == [1, 0, 4, 5]
        with tf.Session() as sess:
            assert sess.run(empty).shape == (1, 0, 4, 5)


# -- draw_bounding_boxes -------------------------------------------------------------------------


def test_draw_bounding_boxes_hand_computed():
    image = np.zeros((1, 4, 5, 3), F)
    box = np.array([[[0.0, 0.25, 0.7, 1.0]]], F)  # rows 0..2 (0.7 * 3 truncates), cols 1..4
    got = ours(lambda t: t.image.draw_bounding_boxes(image, box))[0]
    outline = np.zeros((4, 5), bool)
    outline[[0, 2], 1:] = True
    outline[0:3, [1, 4]] = True
    np.testing.assert_array_equal(got[outline], np.tile([1, 1, 0], (outline.sum(), 1)))
    assert not got[~outline].any()  # TF's first default colour is yellow


@pytest.mark.parametrize("depth,colors", [(3, None), (1, None), (4, "given"), (1, "given")])
def test_draw_bounding_boxes_matches_tf(depth, colors):
    image = R.uniform(0, 1, (2, 7, 6, depth)).astype(F)
    boxes = R.uniform(-0.4, 1.4, (2, 12, 4)).astype(F)
    colors = None if colors is None else R.uniform(0, 1, (3, 4)).astype(F)
    assert_same(*both(lambda t: t.image.draw_bounding_boxes(image, boxes, colors=colors)))


def test_draw_bounding_boxes_errors():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="float32, float16"):  # (a numpy uint8 image
            # converts to float32, as in TF; a uint8 tensor is refused)
            tf.image.draw_bounding_boxes(tf.zeros((1, 2, 2, 3), tf.uint8), np.zeros((1, 1, 4)))
        with pytest.raises(errors.InvalidArgumentError, match="Channel depth"):
            tf.image.draw_bounding_boxes(tf.zeros([1, 3, 3, 2]), np.zeros((1, 1, 4), F))
        images = tf.placeholder(tf.float32)
        out = tf.image.draw_bounding_boxes(images, np.zeros((1, 1, 4), F))
        with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError,
                                                  match="Channel depth"):
            sess.run(out, {images: np.zeros((1, 3, 3, 2), F)})


# -- colour spaces and image quality -------------------------------------------------------------


def test_yuv_and_yiq_round_trip_and_match_tf():
    rgb = R.uniform(0, 1, (2, 3, 4, 3)).astype(F)
    fns = ["rgb_to_yuv", "yuv_to_rgb", "rgb_to_yiq", "yiq_to_rgb"]
    mine = ours(lambda t: [getattr(t.image, f)(rgb) for f in fns])
    # TF's documented luma (Rec. 601) and the inverse transforms undo the forward ones.
    np.testing.assert_allclose(mine[0][..., 0], rgb @ [0.299, 0.587, 0.114], rtol=1e-6)
    back = ours(lambda t: [t.image.yuv_to_rgb(t.image.rgb_to_yuv(rgb)),
                           t.image.yiq_to_rgb(t.image.rgb_to_yiq(rgb))])
    np.testing.assert_allclose(back, [rgb, rgb], atol=2e-4)  # TF's constants have 8 digits
    assert_same(mine, theirs(lambda t: [getattr(t.image, f)(rgb) for f in fns]))


def test_psnr_hand_computed_and_matches_tf():
    a = np.zeros((2, 4, 4, 1), F)
    b = np.full((2, 4, 4, 1), 0.1, F)
    b[1] = 0.5
    got = ours(lambda t: t.image.psnr(a, b, max_val=1.0))
    np.testing.assert_allclose(got, [20.0, 20 * np.log10(2)], rtol=1e-5)  # 10 log10(1/mse)
    u1 = R.integers(0, 255, (3, 5, 6, 3)).astype(np.uint8)
    u2 = R.integers(0, 255, (3, 5, 6, 3)).astype(np.uint8)
    assert_same(*both(lambda t: t.image.psnr(u1, u2, 255)), rtol=1e-5)


def test_ssim_identical_images_is_one_and_matches_tf():
    x = R.uniform(0, 1, (2, 16, 17, 3)).astype(F)
    y = np.clip(x + R.normal(0, 0.1, x.shape), 0, 1).astype(F)
    assert np.allclose(ours(lambda t: t.image.ssim(x, x, 1.0)), 1.0, atol=1e-6)
    assert_same(*both(lambda t: t.image.ssim(x, y, 1.0)), rtol=1e-5, atol=1e-6)
    assert_same(*both(lambda t: t.image.ssim(x, y, 1.0, filter_size=5, filter_sigma=0.8,
                                             return_index_map=True)), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape,factors", [((2, 45, 47, 3), (0.3, 0.3, 0.4)),
                                           ((1, 176, 180, 1), None)])
def test_ssim_multiscale_matches_tf(shape, factors):
    x = R.uniform(0, 1, shape).astype(F)
    y = np.clip(x + R.normal(0, 0.1, x.shape), 0, 1).astype(F)
    kw = {} if factors is None else {"power_factors": factors}
    mine, tfs = both(lambda t: t.image.ssim_multiscale(x, y, 1.0, **kw))
    assert_same(mine, tfs, rtol=1e-4, atol=1e-6)
    assert np.all((mine > 0) & (mine < 1))


def test_image_quality_shape_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError):
            tf.image.psnr(tf.zeros([4, 4, 3]), tf.zeros([4, 5, 3]), 1.0)
        with pytest.raises(ValueError):
            tf.image.ssim(tf.zeros([4, 3]), tf.zeros([4, 3]), 1.0)


# -- GraphDefs round-trip through TensorFlow -----------------------------------------------------


def test_detection_graph_round_trips_through_tensorflow():
    """The ops a detection/segmentation export holds, built in minitf, run by TensorFlow."""
    tf1_or_skip()
    b, s = random_boxes(10)
    with tf.Graph().as_default() as g:
        boxes = tf.placeholder(tf.float32, [None, 4], name="boxes")
        scores = tf.placeholder(tf.float32, [None], name="scores")
        image = tf.placeholder(tf.float32, [2, 6, 7, 3], name="image")
        fetches = [tf.image.non_max_suppression(boxes, scores, 5, 0.4, 0.1),
                   *tf.image.non_max_suppression_with_scores(boxes, scores, 5,
                                                             soft_nms_sigma=0.5),
                   *tf.image.non_max_suppression_padded(boxes, scores, 6,
                                                        pad_to_max_output_size=True),
                   tf.image.crop_and_resize(image, boxes[:5], BOX_IND, [3, 3],
                                            extrapolation_value=0.5),
                   tf.image.resize_area(image, [4, 5]),
                   tf.extract_image_patches(image, *PATCHES[1])]
        names = [t.name for t in fetches]
        feed = {"boxes:0": b, "scores:0": s, "image:0": IMAGE}
        with tf.Session() as sess:
            mine = sess.run(names, feed)
        graph_def = g.as_graph_def().SerializeToString()
    assert_same(mine, run_graph_def_in_tf(graph_def, names, feed), rtol=1e-5, atol=1e-5)


def test_tf1_names_of_extract_image_patches():
    # tf.compat.v1 has it under both tf and tf.image (ksizes/rates names).
    assert tf.image.extract_image_patches is tf.extract_image_patches
    img = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    out = tf.image.extract_image_patches(img, ksizes=[1, 2, 2, 1], strides=[1, 2, 2, 1],
                                         rates=[1, 1, 1, 1], padding="VALID")
    got = tf.Session().run(out)
    np.testing.assert_array_equal(got[0, 0, 0], [0, 1, 4, 5])
    np.testing.assert_array_equal(got[0, 1, 1], [10, 11, 14, 15])
