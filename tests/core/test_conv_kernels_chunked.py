"""Conv2D / Conv2DBackpropInput / Conv2DBackpropFilter kernels against a naive loop reference
(no TensorFlow), on every kernel path: whole-batch im2col, chunks of images and bands of output
rows (forced with a small _CHUNK_ELEMENTS, batch sizes that do and don't divide the chunk), the
per-tap paths, 1x1, with strides, dilations, SAME/VALID/EXPLICIT padding, NCHW and groups."""

from __future__ import annotations

import numpy as np
import pytest

from minitf.ops import conv_ops


def _pads(size, k, s, d, padding, explicit):
    eff = (k - 1) * d + 1
    if padding == "SAME":
        out = -(-size // s)
        total = max((out - 1) * s + eff - size, 0)
        return out, total // 2
    before, after = explicit if padding == "EXPLICIT" else (0, 0)
    return (size + before + after - eff) // s + 1, before


def _ref_conv(x, f, s, d, padding, explicit):
    """Direct loops over output positions and taps, NHWC, grouped by input depth."""
    n, h, w, c = x.shape
    kh, kw, fc, o = f.shape
    g, og = c // fc, o // (c // fc)
    oh, pt = _pads(h, kh, s[0], d[0], padding, explicit[:2])
    ow, pl = _pads(w, kw, s[1], d[1], padding, explicit[2:])
    y = np.zeros((n, oh, ow, o))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    r, q = i * s[0] + a * d[0] - pt, j * s[1] + b * d[1] - pl
                    if 0 <= r < h and 0 <= q < w:
                        for k in range(g):
                            y[:, i, j, k * og:(k + 1) * og] += (
                                x[:, r, q, k * fc:(k + 1) * fc] @ f[a, b, :, k * og:(k + 1) * og])
    return y


def _ref_grads(x, f, dy, s, d, padding, explicit):
    """d(sum(conv * dy))/dx and /df by the same loops, transposed."""
    n, h, w, c = x.shape
    kh, kw, fc, o = f.shape
    g, og = c // fc, o // (c // fc)
    _, pt = _pads(h, kh, s[0], d[0], padding, explicit[:2])
    _, pl = _pads(w, kw, s[1], d[1], padding, explicit[2:])
    dx, df = np.zeros(x.shape), np.zeros(f.shape)
    for i in range(dy.shape[1]):
        for j in range(dy.shape[2]):
            for a in range(kh):
                for b in range(kw):
                    r, q = i * s[0] + a * d[0] - pt, j * s[1] + b * d[1] - pl
                    if 0 <= r < h and 0 <= q < w:
                        for k in range(g):
                            cs, os_ = slice(k * fc, (k + 1) * fc), slice(k * og, (k + 1) * og)
                            dx[:, r, q, cs] += dy[:, i, j, os_] @ f[a, b, :, os_].T
                            df[a, b, :, os_] += x[:, r, q, cs].T @ dy[:, i, j, os_]
    return dx, df


CASES = [  # x shape (NHWC), filter shape, strides, dilations, padding, explicit (t, b, l, r)
    ((5, 9, 8, 1), (3, 3, 1, 4), (1, 1), (1, 1), "SAME", ()),
    ((3, 9, 8, 1), (5, 5, 1, 3), (1, 1), (1, 1), "SAME", ()),
    ((4, 10, 9, 2), (3, 2, 2, 3), (2, 3), (1, 1), "VALID", ()),
    ((3, 9, 9, 1), (3, 3, 1, 2), (1, 1), (2, 2), "SAME", ()),
    ((2, 7, 6, 2), (2, 3, 2, 3), (2, 1), (1, 2), "EXPLICIT", (1, 2, 3, 0)),
    ((3, 8, 8, 1), (4, 4, 1, 2), (2, 2), (1, 1), "SAME", ()),  # disjoint taps
    ((3, 7, 7, 3), (3, 3, 3, 4), (1, 1), (1, 1), "SAME", ()),
    ((2, 9, 8, 4), (3, 3, 2, 4), (1, 2), (2, 1), "SAME", ()),  # 2 groups of 2 channels
    ((2, 6, 6, 4), (3, 3, 1, 4), (1, 1), (1, 1), "VALID", ()),  # 4 groups of 1 channel
    ((3, 7, 5, 3), (1, 1, 3, 2), (2, 2), (1, 1), "SAME", ()),
]


def _attrs(s, d, padding, explicit, nchw):
    if nchw:
        ex = [0, 0, 0, 0] + list(explicit) if explicit else []
        return dict(strides=[1, 1, *s], use_cudnn_on_gpu=True, padding=padding,
                    explicit_paddings=ex, data_format="NCHW", dilations=[1, 1, *d])
    ex = [0, 0, *explicit, 0, 0] if explicit else []
    return dict(strides=[1, *s, 1], use_cudnn_on_gpu=True, padding=padding,
                explicit_paddings=ex, data_format="NHWC", dilations=[1, *d, 1])


def _run_all(x, f, dy, s, d, padding, explicit, nchw, dtype=np.float64):
    a = _attrs(s, d, padding, explicit, nchw)
    t = (lambda v: np.ascontiguousarray(v.transpose(0, 3, 1, 2))) if nchw else (lambda v: v)
    back = (lambda v: v.transpose(0, 2, 3, 1)) if nchw else (lambda v: v)
    xs, fs = np.array(t(x).shape, np.int32), np.array(f.shape, np.int32)
    y = conv_ops._conv2d_kernel(t(x).astype(dtype), f.astype(dtype), **a)
    dx = conv_ops._conv2d_backprop_input_kernel(xs, f.astype(dtype), t(dy).astype(dtype), **a)
    df = conv_ops._conv2d_backprop_filter_kernel(t(x).astype(dtype), fs, t(dy).astype(dtype),
                                                 **a)
    return back(y), back(dx), df


@pytest.mark.parametrize("chunk", [None, 1, 40, 150])
@pytest.mark.parametrize("nchw", [False, True])
@pytest.mark.parametrize("case", CASES)
def test_kernels_match_naive_loops(monkeypatch, case, nchw, chunk):
    """chunk: None keeps the default budget; 1 forces one output row per chunk; 40 and 150
    force bands of rows or a few whole images (not dividing the batch)."""
    shape, fshape, s, d, padding, explicit = case
    if chunk is not None:
        monkeypatch.setattr(conv_ops, "_CHUNK_ELEMENTS", chunk)
    rng = np.random.default_rng(sum(shape) + sum(fshape))
    x = rng.standard_normal(shape)
    f = rng.standard_normal(fshape)
    want_y = _ref_conv(x, f, s, d, padding, explicit)
    dy = rng.standard_normal(want_y.shape)
    want_dx, want_df = _ref_grads(x, f, dy, s, d, padding, explicit)
    y, dx, df = _run_all(x, f, dy, s, d, padding, explicit, nchw)
    np.testing.assert_allclose(y, want_y, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(df, want_df, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-4), (np.float16, 2e-2)])
def test_chunked_paths_keep_dtype_and_precision(monkeypatch, dtype, tol):
    monkeypatch.setattr(conv_ops, "_CHUNK_ELEMENTS", 64)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 8, 7, 1))
    f = rng.standard_normal((3, 3, 1, 4))
    want_y = _ref_conv(x, f, (1, 1), (1, 1), "SAME", ())
    dy = rng.standard_normal(want_y.shape)
    want_dx, want_df = _ref_grads(x, f, dy, (1, 1), (1, 1), "SAME", ())
    got = _run_all(x, f, dy, (1, 1), (1, 1), "SAME", (), False, dtype)
    for g, w in zip(got, (want_y, want_dx, want_df)):
        assert g.dtype == dtype
        np.testing.assert_allclose(g.astype(np.float64), w, rtol=tol, atol=tol * 10)


def test_large_single_channel_forward_uses_im2col_not_tiny_gemms(monkeypatch):
    """Above _IM2COL_MAX_ELEMENTS a 1-channel forward still builds (chunked) patch matrices:
    the old per-tap path ran K=1 matmuls as thousands of tiny gemms. Same values either way."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((64, 28, 28, 1)).astype(np.float32)
    f = rng.standard_normal((5, 5, 1, 32)).astype(np.float32)
    assert 64 * 28 * 28 * 25 > conv_ops._IM2COL_MAX_ELEMENTS
    a = _attrs((1, 1), (1, 1), "SAME", (), False)
    y = conv_ops._conv2d_kernel(x, f, **a)
    want = _ref_conv(x[:2].astype(np.float64), f.astype(np.float64), (1, 1), (1, 1), "SAME", ())
    np.testing.assert_allclose(y[:2], want, rtol=1e-4, atol=1e-4)
    calls = []
    real = conv_ops._im2col
    monkeypatch.setattr(conv_ops, "_im2col", lambda *args: calls.append(1) or real(*args))
    conv_ops._conv2d_kernel(x, f, **a)
    assert 1 <= len(calls) <= 4
