"""tf.contrib.image's warps, splines and connected components without TensorFlow, against numpy
references written here: a bilinear sampler with TF 1.15's clamping, the polyharmonic spline
system solved by np.linalg.solve, and a flood fill renumbered in order of first appearance."""

from collections import deque

import numpy as np
import pytest

import minitf as tf
import minitf.contrib.image as ci


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


@pytest.fixture(autouse=True)
def _graph():
    with tf.Graph().as_default():
        yield


def bilinear_ref(grid, points):
    """[b, h, w, c] sampled at [b, n, 2] (row, col): the floor corner clamped to [0, size - 2]
    and the weight to [0, 1], as TF 1.15's _interpolate_bilinear."""
    b, h, w, c = grid.shape
    out = np.zeros((b, points.shape[1], c), grid.dtype)
    for i in range(b):
        for k, (qy, qx) in enumerate(points[i]):
            y0 = int(min(max(0, np.floor(qy)), h - 2))
            x0 = int(min(max(0, np.floor(qx)), w - 2))
            ay = min(max(qy - y0, 0.0), 1.0)
            ax = min(max(qx - x0, 0.0), 1.0)
            top = grid[i, y0, x0] * (1 - ax) + grid[i, y0, x0 + 1] * ax
            bottom = grid[i, y0 + 1, x0] * (1 - ax) + grid[i, y0 + 1, x0 + 1] * ax
            out[i, k] = top * (1 - ay) + bottom * ay
    return out


def warp_ref(image, flow):
    b, h, w, c = image.shape
    ys, xs = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    points = np.stack([ys, xs], -1)[None] - flow
    return bilinear_ref(image, points.reshape(b, h * w, 2)).reshape(image.shape)


R = np.random.default_rng(11)
IMAGE = R.standard_normal((2, 5, 6, 3))
FLOW = R.standard_normal((2, 5, 6, 2)) * 2.5  # reaches past every border


def test_dense_image_warp_matches_numpy_sampler():
    out = _run(ci.dense_image_warp(IMAGE.astype(np.float32), FLOW.astype(np.float32)))
    np.testing.assert_allclose(out, warp_ref(IMAGE, FLOW), rtol=1e-5, atol=1e-5)


def test_dense_image_warp_integer_flow_is_a_shift():
    flow = np.zeros((1, 4, 4, 2), np.float32)
    flow[..., 0] = 1.0  # each pixel reads the row above
    img = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    out = _run(ci.dense_image_warp(img, flow))[0, :, :, 0]
    np.testing.assert_array_equal(out[1:], img[0, :3, :, 0])
    np.testing.assert_array_equal(out[0], img[0, 0, :, 0])  # clamped at the top border


def test_interpolate_bilinear_indexing():
    """'xy' swaps the coordinates. (TF 1.15 clamps each coordinate by the other axis's size in
    'xy' mode, kept here as TF has it, so the grid is square.)"""
    grid = IMAGE[:, :5, :5]
    points = R.uniform(-1, 6, (2, 7, 2))
    ij = _run(ci.interpolate_bilinear(grid, points))
    xy = _run(ci.interpolate_bilinear(grid, points[..., ::-1], indexing="xy"))
    want = bilinear_ref(grid, points)
    np.testing.assert_allclose(ij, want, rtol=1e-12)
    np.testing.assert_allclose(xy, want, rtol=1e-12)


def test_dense_image_warp_gradients_match_finite_differences():
    image, flow = tf.constant(IMAGE[:1, :4, :4]), tf.constant(FLOW[:1, :4, :4] * 0.3 + 0.1)
    weights = R.standard_normal((1, 4, 4, 3))
    loss = tf.reduce_sum(ci.dense_image_warp(image, flow) * weights)
    d_image, d_flow = _run(tf.gradients(loss, [image, flow]))

    def f(img, fl):
        return float(np.sum(warp_ref(img, fl) * weights))

    eps = 1e-6
    for arr, got, which in ((IMAGE[:1, :4, :4], d_image, 0), (FLOW[:1, :4, :4] * 0.3 + 0.1,
                                                              d_flow, 1)):
        num = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            up, down = arr.copy(), arr.copy()
            up[idx] += eps
            down[idx] -= eps
            args_up = (up, FLOW[:1, :4, :4] * 0.3 + 0.1) if which == 0 else (IMAGE[:1, :4, :4], up)
            args_dn = (down, FLOW[:1, :4, :4] * 0.3 + 0.1) if which == 0 else \
                (IMAGE[:1, :4, :4], down)
            num[idx] = (f(*args_up) - f(*args_dn)) / (2 * eps)
        np.testing.assert_allclose(got, num, rtol=1e-5, atol=1e-6)


def test_interpolate_bilinear_errors():
    with pytest.raises(ValueError, match="Indexing mode must be 'ij' or 'xy'"):
        ci.interpolate_bilinear(IMAGE, np.zeros((2, 1, 2)), indexing="yx")
    with pytest.raises(ValueError, match="Grid must be 4 dimensional"):
        ci.interpolate_bilinear(IMAGE[0], np.zeros((2, 1, 2)))
    thin = tf.placeholder(tf.float64, [1, None, 4, 1])
    out = ci.interpolate_bilinear(thin, np.zeros((1, 1, 2)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Grid height must be at least 2"):
        _run(out, {thin: np.zeros((1, 1, 4, 1))})


# -- splines --------------------------------------------------------------------------------------


def _phi_ref(r2, order):
    r = np.sqrt(np.maximum(r2, 1e-10))
    if order % 2 == 0:
        return np.where(r2 > 1e-10, r ** order * np.log(np.maximum(r, 1e-300)), 0.5 * r ** order
                        * np.log(1e-10))
    return r ** order


def spline_ref(c, f, q, order, reg):
    """Polyharmonic spline through (c, f) at q: [A + reg I, B; B^T, 0] [w; v] = [f; 0]."""
    out = []
    for cb, fb, qb in zip(c, f, q):
        n, d = cb.shape
        a = _phi_ref(((cb[:, None] - cb[None]) ** 2).sum(-1), order) + reg * np.eye(n)
        bmat = np.concatenate([cb, np.ones((n, 1))], 1)
        lhs = np.block([[a, bmat], [bmat.T, np.zeros((d + 1, d + 1))]])
        wv = np.linalg.solve(lhs, np.concatenate([fb, np.zeros((d + 1, fb.shape[1]))]))
        w, v = wv[:n], wv[n:]
        phi = _phi_ref(((qb[:, None] - cb[None]) ** 2).sum(-1), order)
        out.append(phi @ w + np.concatenate([qb, np.ones((len(qb), 1))], 1) @ v)
    return np.stack(out)


@pytest.mark.parametrize("order,reg", [(1, 0.0), (2, 0.0), (3, 0.1), (4, 0.0)])
def test_interpolate_spline_matches_the_linear_system(order, reg):
    c = R.uniform(0, 4, (2, 6, 2))
    f = R.standard_normal((2, 6, 3))
    q = R.uniform(0, 4, (2, 5, 2))
    got = _run(ci.interpolate_spline(c, f, q, order, regularization_weight=reg))
    np.testing.assert_allclose(got, spline_ref(c, f, q, order, reg), rtol=1e-6, atol=1e-8)
    if reg == 0:  # an interpolating spline passes through its points
        np.testing.assert_allclose(_run(ci.interpolate_spline(c, f, c, order)), f, atol=1e-6)


@pytest.mark.parametrize("boundary", [0, 3])
def test_sparse_image_warp_is_spline_flows_then_dense_warp(boundary):
    img = R.standard_normal((1, 6, 7, 2))
    src = np.array([[[2.0, 2.0], [3.0, 5.0], [4.5, 1.0]]])
    dst = src + np.array([[[0.5, -0.7], [-1.0, 0.3], [0.2, 0.2]]])
    warped, flows = _run(ci.sparse_image_warp(img, src, dst, num_boundary_points=boundary))
    locs, vals = dst, dst - src
    if boundary:
        ys, xs = np.meshgrid(np.linspace(0, 5, boundary + 1), np.linspace(0, 6, boundary + 1),
                             indexing="ij")
        edge = (xs == 0) | (xs == 6) | (ys == 0) | (ys == 5)
        extra = np.stack([ys[edge], xs[edge]], -1)[None]
        locs = np.concatenate([locs, extra], 1)
        vals = np.concatenate([vals, np.zeros_like(extra)], 1)
    grid = np.stack(np.meshgrid(np.arange(6.0), np.arange(7.0), indexing="ij"), -1)
    want_flows = spline_ref(locs, vals, grid.reshape(1, -1, 2), 2, 0.0).reshape(1, 6, 7, 2)
    np.testing.assert_allclose(flows, want_flows, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(warped, warp_ref(img, want_flows), rtol=1e-6, atol=1e-8)
    if boundary:  # the boundary controls hold the corners still
        np.testing.assert_allclose(flows[0, [0, 0, 5, 5], [0, 6, 0, 6]], 0, atol=1e-8)


# -- connected components ------------------------------------------------------------------------


def components_ref(images):
    """Flood fill over the batch; ids 1, 2, ... in order of first appearance; 0 background."""
    x = np.asarray(images)
    out = np.zeros(x.shape, np.int64)
    next_id = 1
    for b in range(x.shape[0]):
        for r in range(x.shape[1]):
            for c in range(x.shape[2]):
                if x[b, r, c] == 0 or out[b, r, c]:
                    continue
                out[b, r, c] = next_id
                todo = deque([(r, c)])
                while todo:
                    i, j = todo.popleft()
                    for p, q in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
                        if 0 <= p < x.shape[1] and 0 <= q < x.shape[2] and not out[b, p, q] \
                                and x[b, p, q] == x[b, i, j]:
                            out[b, p, q] = next_id
                            todo.append((p, q))
                next_id += 1
    return out


def test_connected_components_match_flood_fill():
    images = (R.random((3, 9, 11)) < 0.55) * R.integers(1, 3, (3, 9, 11))
    got = _run(ci.connected_components(images))
    np.testing.assert_array_equal(got, components_ref(images))
    snake = np.array([[1, 1, 1, 0], [0, 0, 1, 0], [1, 1, 1, 0], [1, 0, 0, 1]], bool)
    got = _run(ci.connected_components(snake))  # 2-D in, 2-D out
    np.testing.assert_array_equal(got, [[1, 1, 1, 0], [0, 0, 1, 0], [1, 1, 1, 0],
                                        [1, 0, 0, 2]])


def test_connected_components_without_background_and_all_background():
    full = np.array([[[3, 3], [4, 3]]])  # no zero: the no_zero branch
    np.testing.assert_array_equal(_run(ci.connected_components(full)), [[[1, 1], [2, 1]]])
    np.testing.assert_array_equal(_run(ci.connected_components(np.zeros((2, 2, 2), int))), 0)


def test_connected_components_rank_error():
    with pytest.raises(TypeError, match="images should have rank 2 \\(HW\\) or 3 \\(NHW\\)"):
        ci.connected_components(np.zeros((1, 2, 2, 1)))
