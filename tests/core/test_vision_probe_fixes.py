"""Four divergences from TensorFlow (tf.compat.v1) found by probing, fixed:

- CropAndResizeGradBoxes places its samples as TF's kernel does, (y2 - y1) * ((h - 1) /
  (crop - 1)) in float32, which can land on a whole pixel where the forward's
  (y2 - y1) * (h - 1) / (crop - 1) does not; both gradient kernels add in TF's order;
- tf.qr / tf.linalg.qr, tf.image.combined_non_max_suppression, sample_distorted_bounding_box
  (and the stateless one) and non_max_suppression_padded return TF's namedtuples;
- tf.norm's matrix norms ord=1, np.inf and 2 (TF 1.15's), with TF's argument errors.

Values against hand-computed and numpy references first (no TensorFlow needed), then side by
side with TensorFlow: bit for bit for the crop gradients."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from .side_by_side import tf1_or_skip, tf_run

F = np.float32


def ours(build, feed=None):
    """``build(tf)``'s fetches run in a fresh minitf graph."""
    with tf.Graph().as_default():
        fetches = build(tf)
        with tf.Session() as sess:
            return sess.run(fetches, feed)


theirs = tf_run  # build(tf1)'s fetches in a fresh TensorFlow graph and session


# -- crop_and_resize's gradients ----------------------------------------------------------------

_COLUMN = np.array([1, 2, 4, 8, 16, 32], F)


def _box_grad(lib, image, box, crop, method):
    img = lib.constant(image)
    b = lib.constant(np.array([box], F))
    crops = lib.image.crop_and_resize(img, b, [0], crop, method=method)
    return lib.gradients(lib.reduce_sum(crops), b)[0]


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
def test_box_gradient_where_samples_land_on_whole_pixels(method):
    """Rows 0.2..0.6 of 6, 4 samples: TF's gradient kernel puts them at 1, 5/3, 7/3 and
    exactly 3 (the forward's float32 order gives 3.0000002). On a whole pixel TF's slope is
    bottom - top of that pixel, 0; between, the image's step: 4 - 2 at 5/3, 8 - 4 at 7/3. So
    d/dy1 = 2 * (5 - 5/3) + 4 * (5 - 10/3) = 40/3, d/dy2 = 2 * 5/3 + 4 * 10/3 = 50/3 (the old
    kernel's slope 16 - 8 at the last sample gave 56.67). The same across columns."""
    down = ours(lambda lib: _box_grad(lib, _COLUMN.reshape(1, 6, 1, 1), [0.2, 0.0, 0.6, 1.0],
                                      [4, 1], method))
    across = ours(lambda lib: _box_grad(lib, _COLUMN.reshape(1, 1, 6, 1), [0.0, 0.2, 1.0, 0.6],
                                        [1, 4], method))
    np.testing.assert_allclose(down, [[40 / 3, 0, 50 / 3, 0]], rtol=1e-6)
    np.testing.assert_allclose(across, [[0, 40 / 3, 0, 50 / 3]], rtol=1e-6)


def test_box_gradient_of_one_row_crops_uses_the_centre():
    """A one-row crop samples the box centre 0.5 * (y1 + y2) * (h - 1) = 2.5, between rows 2
    and 3 (step 8 - 4); each edge moves it by half as much: 4 * 0.5 * 5 = 10."""
    got = ours(lambda lib: _box_grad(lib, _COLUMN.reshape(1, 6, 1, 1), [0.25, 0.0, 0.75, 1.0],
                                     [1, 1], "bilinear"))
    np.testing.assert_allclose(got, [[10, 0, 10, 0]], rtol=1e-6)


def _random_crop_case(rng, trial):
    """Random image, boxes (every other trial on whole-pixel or tenth coordinates), crop
    size, box indices and incoming gradient."""
    n, h, w, c = (int(v) for v in (rng.integers(1, 3), rng.integers(1, 9), rng.integers(1, 9),
                                   rng.integers(1, 4)))
    nb = int(rng.integers(1, 5))
    if trial % 4 == 1:  # multiples of 1 / (size - 1): samples on whole pixels
        boxes = np.stack([rng.integers(-1, h + 1, nb) / max(h - 1, 1),
                          rng.integers(-1, w + 1, nb) / max(w - 1, 1),
                          rng.integers(-1, h + 1, nb) / max(h - 1, 1),
                          rng.integers(-1, w + 1, nb) / max(w - 1, 1)], 1)
    elif trial % 4 == 3:  # tenths, as in the probe
        boxes = np.round(rng.uniform(-0.2, 1.2, (nb, 4)) * 10) / 10
    else:
        boxes = rng.uniform(-0.3, 1.3, (nb, 4))
    crop = [int(rng.integers(1, 7)), int(rng.integers(1, 7))]
    dtype = [np.float32, np.float64, np.float16][trial % 3]
    return (rng.normal(size=(n, h, w, c)).astype(dtype), boxes.astype(F),
            rng.integers(0, n, nb).astype(np.int32), crop,
            rng.normal(size=(nb, crop[0], crop[1], c)).astype(F))


def test_crop_and_resize_gradients_match_tf_bit_for_bit():
    """Both methods, through tf.gradients: the image's (CropAndResizeGradImage, float16/32/64)
    and the boxes' (CropAndResizeGradBoxes) gradients equal TF's exactly."""
    tf1_or_skip()
    rng = np.random.default_rng(7)
    for trial in range(60):
        image, boxes, ind, crop, dy = _random_crop_case(rng, trial)
        method = "nearest" if trial % 5 == 0 else "bilinear"

        def build(lib, image=image, boxes=boxes, ind=ind, crop=crop, dy=dy, method=method):
            img, b = lib.constant(image), lib.constant(boxes)
            crops = lib.image.crop_and_resize(img, b, ind, crop, method=method)
            return lib.gradients(lib.reduce_sum(crops * dy), [img, b])

        got, want = ours(build), theirs(build)
        for name, g, t in zip(("image", "boxes"), got, want):
            assert g.dtype == t.dtype
            np.testing.assert_array_equal(g, t, err_msg=f"trial {trial}: {name} ({method}, "
                                                        f"crop {crop}, boxes {boxes.tolist()})")


# -- namedtuples --------------------------------------------------------------------------------


def _multi_output_results(lib):
    """{name: result} of the multi-output functions, built in the current graph."""
    x = lib.constant(np.array([[2.0, 1.0], [1.0, 3.0]], F))
    boxes = lib.constant(np.array([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 2, 1, 3]], F))
    scores = lib.constant(np.array([0.9, 0.8, 0.7], F))
    image_size, whole = lib.constant([10, 10, 3]), lib.constant([[[0.0, 0.0, 1.0, 1.0]]])
    return {
        "qr": lib.qr(x), "linalg.qr": lib.linalg.qr(x), "svd": lib.svd(x),
        "linalg.eigh": lib.linalg.eigh(x), "self_adjoint_eig": lib.self_adjoint_eig(x),
        "combined_non_max_suppression": lib.image.combined_non_max_suppression(
            lib.reshape(boxes, [1, 3, 1, 4]), lib.reshape(scores, [1, 3, 1]), 2, 2),
        "sample_distorted_bounding_box": lib.image.sample_distorted_bounding_box(
            image_size, whole, seed=1, seed2=2),
        "stateless_sample_distorted_bounding_box":
            (lib.image if hasattr(lib.image, "stateless_sample_distorted_bounding_box")
             else lib.compat.v2.image).stateless_sample_distorted_bounding_box(
                image_size, whole, seed=[1, 2]),
        "non_max_suppression_with_scores": lib.image.non_max_suppression_with_scores(
            boxes, scores, 2),
    }


def _kind(result):
    """(type name, fields) of a namedtuple; ("tuple", None) of a plain tuple."""
    return type(result).__name__, getattr(result, "_fields", None)


_EXPECTED = {
    "qr": ("Qr", ("q", "r")), "linalg.qr": ("Qr", ("q", "r")),
    "svd": ("tuple", None), "linalg.eigh": ("tuple", None), "self_adjoint_eig": ("tuple", None),
    "combined_non_max_suppression": ("CombinedNonMaxSuppression", (
        "nmsed_boxes", "nmsed_scores", "nmsed_classes", "valid_detections")),
    "sample_distorted_bounding_box": ("SampleDistortedBoundingBoxV2",
                                      ("begin", "size", "bboxes")),
    "stateless_sample_distorted_bounding_box": ("StatelessSampleDistortedBoundingBox",
                                                ("begin", "size", "bboxes")),
    "non_max_suppression_with_scores": ("tuple", None),
}


def test_multi_output_functions_return_tf_namedtuples():
    with tf.Graph().as_default():
        results = _multi_output_results(tf)
        assert {k: _kind(v) for k, v in results.items()} == _EXPECTED
        # TF 1.15's non_max_suppression_padded returns the NonMaxSuppressionV4 op's outputs
        padded = tf.image.non_max_suppression_padded(
            tf.constant(np.array([[0, 0, 1, 1], [0, 2, 1, 3]], F)),
            tf.constant(np.array([0.9, 0.8], F)), 3, pad_to_max_output_size=True)
        assert _kind(padded) == ("NonMaxSuppressionV4", ("selected_indices", "valid_outputs"))
        with tf.Session() as sess:
            q, r = sess.run([results["qr"].q, results["qr"].r])
            nms = sess.run(results["combined_non_max_suppression"])
            indices, valid = sess.run([padded.selected_indices, padded.valid_outputs])
    np.testing.assert_allclose(q @ r, [[2, 1], [1, 3]], atol=1e-6)
    assert type(nms).__name__ == "CombinedNonMaxSuppression"  # fetched as the same type
    np.testing.assert_array_equal(nms.valid_detections, [2])
    np.testing.assert_array_equal(indices, [0, 1, 0])
    assert valid == 2


def test_namedtuple_types_match_tf():
    """TF's own types (TF 2's compat.v1 non_max_suppression_padded is a rewrite returning a
    plain tuple; TF 1.15's, which minitf follows, returned NonMaxSuppressionV4: not compared)."""
    tf1 = tf1_or_skip()
    with tf1.Graph().as_default():
        want = {k: _kind(v) for k, v in _multi_output_results(tf1).items()}
    with tf.Graph().as_default():
        got = {k: _kind(v) for k, v in _multi_output_results(tf).items()}
    assert got == want


# -- tf.norm's matrix norms ---------------------------------------------------------------------

M = np.array([[1, -2], [3, 4]], F)
BATCH = np.random.default_rng(3).normal(size=(2, 3, 4)).astype(np.float64)


def test_matrix_norms_of_a_small_matrix():
    """[[1, -2], [3, 4]]: column sums 4, 6; row sums 3, 7; sigma_max^2 = 15 + sqrt(125)."""
    got = ours(lambda lib: [lib.norm(M, ord=o, axis=[-2, -1]) for o in (1, np.inf, 2, "fro")])
    np.testing.assert_allclose(got, [6, 7, np.sqrt(15 + np.sqrt(125)), np.sqrt(30)], rtol=1e-6)
    # the same norms with the axes swapped: of the transpose
    got = ours(lambda lib: [lib.norm(M, ord=o, axis=(1, 0)) for o in (1, np.inf, 2.0)])
    np.testing.assert_allclose(got, [7, 6, np.sqrt(15 + np.sqrt(125))], rtol=1e-6)


_MATRIX_CASES = [(o, axis, keep) for o in (1, np.inf, 2, "fro", "euclidean")
                 for axis in ([-2, -1], [0, 2], (2, 0), [1, -3]) for keep in (False, True)]


@pytest.mark.parametrize("ord_,axis,keep", _MATRIX_CASES)
def test_matrix_norms_match_numpy(ord_, axis, keep):
    """Batches of matrices on any two axes, against np.linalg.norm; also with the rank
    unknown when the graph is built (the 2-norm's permutations then computed at run time)."""
    np_ord = "fro" if ord_ == "euclidean" else ord_
    want = np.linalg.norm(BATCH, np_ord, axis=tuple(axis), keepdims=keep)
    got = ours(lambda lib: lib.norm(BATCH, ord=ord_, axis=axis, keepdims=keep))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10)
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float64)
        n = tf.norm(p, ord=ord_, axis=axis, keepdims=keep)
        with tf.Session() as sess:
            got = sess.run(n, {p: BATCH})
    np.testing.assert_allclose(got, want, rtol=1e-10)


def _matrix_norm_grad(ord_, x):
    """d norm / d x of one float64 matrix, analytically (a unique maximum assumed)."""
    if ord_ == 1:
        col = np.abs(x).sum(0).argmax()
        g = np.zeros_like(x)
        g[:, col] = np.sign(x[:, col])
        return g
    if ord_ == np.inf:
        row = np.abs(x).sum(1).argmax()
        g = np.zeros_like(x)
        g[row] = np.sign(x[row])
        return g
    if ord_ == 2:
        u, _, vh = np.linalg.svd(x)
        return np.outer(u[:, 0], vh[0])
    return x / np.linalg.norm(x)


@pytest.mark.parametrize("ord_", [1, np.inf, 2, "fro"])
def test_matrix_norm_gradients(ord_):
    """Gradients of the batch's norms over axes [0, 2] (a permuted batch of 3x... matrices)
    against the analytic ones, per matrix."""
    def build(lib):
        x = lib.constant(BATCH)
        return lib.gradients(lib.reduce_sum(lib.norm(x, ord=ord_, axis=[0, 2])), x)[0]

    got = ours(build)
    want = np.stack([_matrix_norm_grad(ord_, BATCH[:, j, :]) for j in range(3)], 1)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


_AXIS = "'axis' must be None, an integer, or a tuple of 2 unique integers"
_ERRORS = [
    (dict(ord=-1, axis=[0, 1]), "'ord' must be a supported matrix norm in "
                                "['euclidean', 'fro', 1, 2, inf], got -1"),
    (dict(ord="nuc", axis=(0, 1)), "'ord' must be a supported matrix norm in "
                                   "['euclidean', 'fro', 1, 2, inf], got nuc"),
    (dict(ord=3, axis=[0, 1]), "'ord' must be a supported matrix norm in "
                               "['euclidean', 'fro', 1, 2, inf], got 3"),
    (dict(ord="fro"), "'ord' must be a supported vector norm, got fro"),
    (dict(ord="fro", axis=0), "'ord' must be a supported vector norm, got fro"),
    (dict(ord=0), "'ord' must be a supported vector norm, got 0"),
    (dict(ord=-2, axis=1), "'ord' must be a supported vector norm, got -2"),
    (dict(axis=[0]), _AXIS + ", got [0]"),
    (dict(axis=[0, 1, 1]), _AXIS + ", got [0, 1, 1]"),
    (dict(axis=[1, 1]), _AXIS + ", got (1, 1)"),
    (dict(axis=(0, 1.0)), _AXIS + ", got (0, 1.0)"),
]


@pytest.mark.parametrize("kwargs,message", _ERRORS)
def test_norm_argument_errors(kwargs, message):
    """TF's ValueErrors and messages (TF 2's, which add ", got ..." to TF 1.15's axis one)."""
    with tf.Graph().as_default():
        with pytest.raises(ValueError) as info:
            tf.norm(tf.constant(M), **kwargs)
    assert str(info.value) == message


def test_norm_argument_errors_match_tf():
    tf1 = tf1_or_skip()
    for kwargs, message in _ERRORS:
        with tf1.Graph().as_default():
            with pytest.raises(ValueError) as info:
                tf1.norm(tf1.constant(M), **kwargs)
        assert str(info.value) == message, kwargs


_TF_CASES = [(o, a, k) for o in (1, np.inf, 2, 2.0, "fro", "euclidean", 1.0)
             for a in ([-2, -1], [-1, -2], [0, 2], (2, 1)) for k in (False, True)] + [
    (o, a, False) for o in (1, 2, np.inf, 3, 0.5, "euclidean") for a in (None, 0, -1)]


def test_norms_and_gradients_match_tf():
    """Values and gradients of vector and matrix norms of float32 and float64 batches, side
    by side with TensorFlow (the 2-norm through each library's SVD: to rounding)."""
    tf1_or_skip()
    x64 = BATCH
    x32 = BATCH.astype(F)
    for x, rtol in ((x64, 1e-10), (x32, 2e-5)):
        def build(lib, x=x):
            t = lib.constant(x)
            norms = [lib.norm(t, ord=o, axis=a, keepdims=k) for o, a, k in _TF_CASES]
            grads = [lib.gradients(lib.reduce_sum(n * n), t)[0] for n in norms]
            return norms, grads

        (got_n, got_g), (want_n, want_g) = ours(build), theirs(build)
        for what, got, want in (("norm", got_n, want_n), ("gradient", got_g, want_g)):
            for case, g, w in zip(_TF_CASES, got, want):
                assert np.shape(g) == np.shape(w), (what, case)
                np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol,
                                           err_msg=f"{what} {case} {x.dtype}")
