"""tf.contrib.image's transforms without TensorFlow: transform / rotate / translate against
numpy (shifts, 90-degree rotations, a pixel-by-pixel reference), TF 1.15's rank handling and
errors, the transform helpers against matrix algebra, and the registered gradient (the inverse
transform) against the adjoint of an integer shift."""

import numpy as np
import pytest

import minitf as tf
import minitf.contrib.image as ci

from ..op_cases.image_transform import transform_ref


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


@pytest.fixture(autouse=True)
def _graph():
    with tf.Graph().as_default():
        yield


IMG = np.random.default_rng(1).standard_normal((2, 5, 6, 3)).astype(np.float32)


def _shift_ref(img, dx, dy):
    """img moved right by dx and down by dy, zeros where nothing lands."""
    out = np.zeros_like(img)
    h, w = img.shape[-3:-1] if img.ndim >= 3 else img.shape
    for y in range(h):
        for x in range(w):
            if 0 <= y - dy < h and 0 <= x - dx < w:
                out[..., y, x, :] = img[..., y - dy, x - dx, :]
    return out


def test_translate_matches_a_numpy_shift_per_image():
    out = _run(ci.translate(IMG, [[2, -1], [-3, 1]]))
    np.testing.assert_array_equal(out[0], _shift_ref(IMG[0], 2, -1))
    np.testing.assert_array_equal(out[1], _shift_ref(IMG[1], -3, 1))


@pytest.mark.parametrize("rank", [2, 3, 4])
def test_transform_keeps_the_callers_rank(rank):
    img = {2: IMG[0, :, :, 0], 3: IMG[0], 4: IMG}[rank]
    y = ci.transform(img, [1, 0, -1, 0, 1, 2, 0, 0], interpolation="nearest")
    assert y.shape.as_list() == list(img.shape)
    want = _shift_ref(IMG, 1, -2)
    want = {2: want[0, :, :, 0], 3: want[0], 4: want}[rank]
    np.testing.assert_array_equal(_run(y), want)


def test_transform_output_shape_and_projective_rows_match_reference():
    t = np.array([[0.9, -0.3, 1.5, 0.2, 1.1, -1.2, 0.02, -0.03],
                  [1.1, 0.2, -1.0, -0.1, 0.9, 0.5, 0.0, 0.01]], np.float32)
    y = ci.transform(IMG, t, interpolation="BILINEAR", output_shape=[7, 4])
    assert y.shape.as_list() == [2, 7, 4, 3]
    want = transform_ref(IMG, t, [7, 4], "BILINEAR", "CONSTANT")
    np.testing.assert_array_equal(_run(y), want)


def test_transform_with_a_fed_output_shape():
    size = tf.placeholder(tf.int32, [2])
    y = ci.transform(IMG[0], [1, 0, 0, 0, 1, 0, 0, 0], output_shape=size)
    assert y.shape.as_list() == [None, None, 3]
    out = _run(y, {size: [3, 8]})
    want = np.zeros((3, 8, 3), np.float32)
    want[:, :6] = IMG[0, :3]
    np.testing.assert_array_equal(out, want)


def test_rotate_by_quarter_turns_is_rot90():
    img = np.arange(2 * 5 * 5, dtype=np.int32).reshape(2, 5, 5)
    out = _run(ci.rotate(img[..., None], [np.pi / 2, np.pi]))
    np.testing.assert_array_equal(out[0, ..., 0], np.rot90(img[0]))  # counterclockwise
    np.testing.assert_array_equal(out[1, ..., 0], np.rot90(img[1], 2))
    one = _run(ci.rotate(img[0], -np.pi / 2))
    np.testing.assert_array_equal(one, np.rot90(img[0], -1))


def test_angles_and_translations_to_transforms_follow_the_formulas():
    a = np.array([0.4, -2.0], np.float32)
    h, w = 5.0, 8.0
    got = _run(ci.angles_to_projective_transforms(a, h, w))
    c, s = np.cos(a), np.sin(a)
    want = np.stack([c, -s, ((w - 1) - (c * (w - 1) - s * (h - 1))) / 2, s, c,
                     ((h - 1) - (s * (w - 1) + c * (h - 1))) / 2, 0 * a, 0 * a], 1)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert _run(ci.angles_to_projective_transforms(0.5, h, w)).shape == (1, 8)
    got = _run(ci.translations_to_projective_transforms([[1.5, -2.0], [0.0, 3.0]]))
    np.testing.assert_array_equal(got, [[1, 0, -1.5, 0, 1, 2, 0, 0], [1, 0, 0, 0, 1, -3, 0, 0]])


def test_matrices_and_compose_are_matrix_algebra():
    rng = np.random.default_rng(2)
    t1 = rng.standard_normal((3, 8)).astype(np.float32)
    t2 = rng.standard_normal(8).astype(np.float32)
    mats = _run(ci.flat_transforms_to_matrices(t1))
    np.testing.assert_array_equal(mats.reshape(3, 9), np.concatenate([t1, np.ones((3, 1))], 1))
    m = rng.standard_normal((2, 3, 3)).astype(np.float32)
    flat = _run(ci.matrices_to_flat_transforms(m))
    np.testing.assert_allclose(flat, (m.reshape(2, 9) / m.reshape(2, 9)[:, 8:])[:, :8],
                               rtol=1e-6)
    composed = _run(ci.compose_transforms(t1, t2))
    m1 = np.concatenate([t1, np.ones((3, 1))], 1).reshape(3, 3, 3)
    m2 = np.append(t2, 1).reshape(3, 3)
    prod = (m1 @ m2).reshape(3, 9)
    np.testing.assert_allclose(composed, prod[:, :8] / prod[:, 8:], rtol=1e-4, atol=1e-5)


def test_composed_shifts_apply_as_one():
    both = ci.compose_transforms(ci.translations_to_projective_transforms([1, 0]),
                                 ci.translations_to_projective_transforms([0, 2]))
    np.testing.assert_array_equal(_run(ci.transform(IMG, both)), _shift_ref(IMG, 1, 2))


@pytest.mark.parametrize("build,error,message", [
    (lambda: ci.transform(np.zeros((2, 2), np.int16), [1, 0, 0, 0, 1, 0, 0, 0]), TypeError,
     "Invalid dtype"),
    (lambda: ci.transform(np.zeros((1, 2, 2, 1, 1), np.float32), [1, 0, 0, 0, 1, 0, 0, 0]),
     TypeError, "Images should have rank between 2 and 4."),
    (lambda: ci.transform(tf.placeholder(tf.float32), [1, 0, 0, 0, 1, 0, 0, 0]), TypeError,
     "image_or_images rank must be statically known"),
    (lambda: ci.transform(IMG, np.zeros((1, 1, 8))), TypeError,
     "Transforms should have rank 1 or 2."),
    (lambda: ci.transform(IMG, np.zeros(8), output_shape=[1, 2, 3]), ValueError,
     "output_shape must be a 1-D Tensor of 2 elements"),
    (lambda: ci.rotate(IMG, np.zeros((2, 1))), TypeError, "Angles should have rank 0 or 1."),
    (lambda: ci.translate(IMG, np.zeros((1, 1, 2))), TypeError,
     "Translations should have rank 1 or 2."),
    (lambda: ci.flat_transforms_to_matrices(np.zeros((1, 1, 8))), ValueError,
     "Transforms should be 1D or 2D"),
    (lambda: ci.matrices_to_flat_transforms(np.zeros(9)), ValueError,
     "Matrices should be 2D or 3D"),
])
def test_errors_at_graph_construction(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_run_time_errors_name_what_is_wrong():
    t = tf.placeholder(tf.float32, [None, 8])
    y = ci.transform(IMG, t)
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_images x 8 or 1 x 8"):
        _run(y, {t: np.zeros((3, 8))})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid interpolation"):
        _run(ci.transform(IMG, np.zeros(8), interpolation="cubic"))


def test_gradient_is_the_adjoint_of_an_integer_shift():
    x = tf.constant(IMG)
    w = np.random.default_rng(5).standard_normal(IMG.shape).astype(np.float32)
    shift = tf.constant([2.0, 1.0])
    y = ci.translate(x, shift)
    grad, d_shift = tf.gradients(tf.reduce_sum(y * w), [x, shift])
    np.testing.assert_array_equal(_run(grad), _shift_ref(w, -2, -1))
    assert d_shift is None  # TF registers no gradient for the transforms


def test_bipartite_match_is_greedy_by_distance():
    d = np.array([[0.5, 0.2], [0.1, 0.9], [0.3, 0.4]], np.float32)
    r2c, c2r = ci.bipartite_match(d, -1)
    assert r2c.shape.as_list() == [3] and c2r.shape.as_list() == [2] and r2c.dtype == tf.int32
    got = _run([r2c, c2r, *ci.bipartite_match(d, 1), *ci.bipartite_match(d, -1, top_k=1)])
    want = [[1, 0, -1], [1, 0], [1, -1, -1], [-1, 0], [-1, 0, -1], [1, -1]]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    with pytest.raises(tf.errors.InvalidArgumentError, match="distance_mat should be 2-dim"):
        ph = tf.placeholder(tf.float32)
        _run(ci.bipartite_match(ph, -1)[0], {ph: np.zeros(3)})
