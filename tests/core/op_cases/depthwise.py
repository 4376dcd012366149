"""Cases for depthwise convolution (DepthwiseConv2dNative and its backprop ops), LRN, LRNGrad,
SpaceToBatchND and BatchToSpaceND.

The references are deliberately naive: loops over output positions and filter taps (conv.py's
geometry), over depth windows, and over every output element's source index, accumulated in
float64. Gradient cases use small shapes so central differences stay fast.
"""

import numpy as np

from .conv import _Conv, _from_nhwc, _sizes_nhwc, _to_nhwc
from .harness import Case, Const

R = np.random.default_rng(11)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def f64(*shape):
    return R.standard_normal(shape)


# -- depthwise references ---------------------------------------------------------------------


def _geometry(h, w, f, attrs):
    return _Conv(h, w, f[0], f[1], attrs["strides"], attrs["padding"],
                 attrs.get("explicit_paddings", ()), attrs.get("data_format", "NHWC"),
                 attrs.get("dilations", (1, 1, 1, 1)))


def ref_depthwise(x, f, **attrs):
    fmt = attrs.get("data_format", "NHWC")
    x = _to_nhwc(x, fmt).astype(np.float64)
    n, h, w, c = x.shape
    kh, kw, _, m = f.shape
    g = _geometry(h, w, f.shape, attrs)
    out = np.zeros((n, g.oh, g.ow, c, m))
    for oh, ow, i, j, r, cc in g.pairs():
        for k in range(c):
            for q in range(m):
                out[:, oh, ow, k, q] += x[:, r, cc, k] * float(f[i, j, k, q])
    return _from_nhwc(out.reshape(n, g.oh, g.ow, c * m), fmt).astype(f.dtype)


def ref_depthwise_backprop_input(sizes, f, dy, **attrs):
    fmt = attrs.get("data_format", "NHWC")
    n, h, w, c = _sizes_nhwc(sizes, fmt)
    m = f.shape[3]
    dy = _to_nhwc(dy, fmt).astype(np.float64)
    g = _geometry(h, w, f.shape, attrs)
    dx = np.zeros((n, h, w, c))
    for oh, ow, i, j, r, cc in g.pairs():
        for k in range(c):
            for q in range(m):
                dx[:, r, cc, k] += dy[:, oh, ow, k * m + q] * float(f[i, j, k, q])
    return _from_nhwc(dx, fmt).astype(f.dtype)


def ref_depthwise_backprop_filter(x, sizes, dy, **attrs):
    fmt = attrs.get("data_format", "NHWC")
    dtype = x.dtype
    x = _to_nhwc(x, fmt).astype(np.float64)
    dy = _to_nhwc(dy, fmt).astype(np.float64)
    n, h, w, c = x.shape
    kh, kw, _, m = (int(v) for v in sizes)
    g = _geometry(h, w, (kh, kw), attrs)
    df = np.zeros((kh, kw, c, m))
    for oh, ow, i, j, r, cc in g.pairs():
        for k in range(c):
            for q in range(m):
                df[i, j, k, q] += x[:, r, cc, k] @ dy[:, oh, ow, k * m + q]
    return df.astype(dtype)


# -- LRN references ----------------------------------------------------------------------------


def _norms(x, depth_radius, bias, alpha):
    depth = x.shape[-1]
    norm = np.empty_like(x)
    for d in range(depth):
        lo, hi = max(0, d - depth_radius), min(depth, d + depth_radius + 1)
        norm[..., d] = bias + alpha * (x[..., lo:hi] ** 2).sum(axis=-1)
    return norm


def ref_lrn(x, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    x64 = x.astype(np.float64)
    return (x64 / _norms(x64, depth_radius, bias, alpha) ** beta).astype(x.dtype)


def ref_lrn_grad(g, x, y, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    """TensorFlow's CPU loop: each output j sends its gradient to every k of its window."""
    g64, x64, y64 = (a.astype(np.float64) for a in (g, x, y))
    norm = _norms(x64, depth_radius, bias, alpha)
    depth = x.shape[-1]
    dx = np.zeros_like(x64)
    for j in range(depth):
        for k in range(max(0, j - depth_radius), min(depth, j + depth_radius + 1)):
            d = -2 * alpha * beta * x64[..., k] * y64[..., j] / norm[..., j]
            if k == j:
                d = d + norm[..., j] ** -beta
            dx[..., k] += d * g64[..., j]
    return dx.astype(x.dtype)


# -- SpaceToBatchND / BatchToSpaceND references ------------------------------------------------


def ref_space_to_batch(x, block_shape, paddings):
    block = [int(b) for b in block_shape]
    m = len(block)
    pads = np.asarray(paddings).reshape(m, 2)
    n = x.shape[0]
    padded = [x.shape[1 + i] + pads[i].sum() for i in range(m)]
    out_spatial = [p // b for p, b in zip(padded, block)]
    out = np.zeros((n * int(np.prod(block)), *out_spatial, *x.shape[1 + m:]), x.dtype)
    for ob in range(out.shape[0]):
        offset, b = divmod(ob, n)
        offsets = np.unravel_index(offset, block)
        for pos in np.ndindex(*out_spatial):
            src = [pos[i] * block[i] + offsets[i] - pads[i][0] for i in range(m)]
            if all(0 <= s < x.shape[1 + i] for i, s in enumerate(src)):
                out[(ob, *pos)] = x[(b, *src)]
    return out


def ref_batch_to_space(x, block_shape, crops):
    block = [int(b) for b in block_shape]
    m = len(block)
    crops = np.asarray(crops).reshape(m, 2)
    n = x.shape[0] // int(np.prod(block))
    out_spatial = [x.shape[1 + i] * block[i] - crops[i].sum() for i in range(m)]
    out = np.zeros((n, *out_spatial, *x.shape[1 + m:]), x.dtype)
    for b in range(n):
        for pos in np.ndindex(*out_spatial):
            full = [pos[i] + crops[i][0] for i in range(m)]
            offsets = [full[i] % block[i] for i in range(m)]
            src = [full[i] // block[i] for i in range(m)]
            ib = int(np.ravel_multi_index(offsets, block)) * n + b
            out[(b, *pos)] = x[(ib, *src)]
    return out


# -- case builders -----------------------------------------------------------------------------

S1, S2 = [1, 1, 1, 1], [1, 2, 2, 1]
LOOSE = {"rtol": 1e-4, "atol": 1e-5}  # float32 kernels vs a float64 reference
NO_GRAD = {"grad": []}


def depthwise(x, f, strides, padding, tag, data_format="NHWC", dilations=None, explicit=None,
              **kw):
    """DepthwiseConv2dNative and its two backprop ops on one geometry."""
    attrs = {"strides": strides, "padding": padding}
    if data_format != "NHWC":
        attrs["data_format"] = data_format
    if dilations is not None:
        attrs["dilations"] = dilations
    if explicit is not None:
        attrs["explicit_paddings"] = explicit
    tol = {"rtol": 2e-2, "atol": 2e-2} if x.dtype == np.float16 else \
        LOOSE if x.dtype == np.float32 else {}
    out = ref_depthwise(x.astype(np.float64), f.astype(np.float64), **attrs)
    dy = R.standard_normal(out.shape).astype(x.dtype)
    return [
        Case("DepthwiseConv2dNative", [x, f], ref=ref_depthwise, attrs=attrs,
             id=f"DepthwiseConv2dNative-{tag}", **{**tol, **kw}),
        Case("DepthwiseConv2dNativeBackpropInput", [Const(np.array(x.shape, np.int32)), f, dy],
             ref=ref_depthwise_backprop_input, attrs=attrs,
             id=f"DepthwiseConv2dNativeBackpropInput-{tag}", **{**tol, **kw}),
        Case("DepthwiseConv2dNativeBackpropFilter", [x, Const(np.array(f.shape, np.int32)), dy],
             ref=ref_depthwise_backprop_filter, attrs=attrs,
             id=f"DepthwiseConv2dNativeBackpropFilter-{tag}", **{**tol, **kw}),
    ]


def lrn(x, tag, grad_case=False, **attrs):
    """LRN, and LRNGrad on the same input (its gradient is refused, as in TensorFlow: see
    COVERED_BY)."""
    tol = {"rtol": 5e-3, "atol": 5e-3} if x.dtype == np.float16 else LOOSE
    y = ref_lrn(x, **attrs)
    g = R.standard_normal(x.shape).astype(x.dtype)
    cases = [Case("LRN", [x], ref=ref_lrn, attrs=attrs, id=f"LRN-{tag}",
                  **({} if grad_case else {**tol, **NO_GRAD}))]
    if not grad_case:
        cases.append(Case("LRNGrad", [g, x, y], ref=ref_lrn_grad, attrs=attrs,
                          id=f"LRNGrad-{tag}", **tol, **NO_GRAD))
    return cases


def blocks(x, block, pads, tag, **kw):
    """SpaceToBatchND on ``x``, and BatchToSpaceND on its result cropping the padding back."""
    y = ref_space_to_batch(x, block, pads)
    b, p = Const(np.array(block, np.int32)), Const(np.array(pads, np.int32).reshape(-1, 2))
    return [
        Case("SpaceToBatchND", [x, b, p], ref=ref_space_to_batch, id=f"SpaceToBatchND-{tag}",
             **kw),
        Case("BatchToSpaceND", [y, b, p], ref=ref_batch_to_space, id=f"BatchToSpaceND-{tag}",
             **kw),
    ]


CASES = [
    # Depthwise: forward-sized (no gradient check) ...
    *depthwise(f32(2, 5, 5, 3), f32(3, 3, 3, 2), S1, "SAME", "same-s1", **NO_GRAD),
    *depthwise(f32(2, 6, 6, 3), f32(3, 3, 3, 1), S2, "SAME", "same-s2-even-m1", **NO_GRAD),
    *depthwise(f32(2, 7, 7, 2), f32(3, 3, 2, 3), S2, "SAME", "same-s2-odd", **NO_GRAD),
    *depthwise(f32(2, 5, 6, 3), f32(2, 2, 3, 2), S1, "SAME", "same-even-kernel", **NO_GRAD),
    *depthwise(f64(1, 7, 6, 2), f64(2, 3, 2, 3), S2, "VALID", "valid-s2-f64", **NO_GRAD),
    *depthwise(f32(1, 8, 8, 2), f32(3, 3, 2, 2), S1, "SAME", "same-dil2",
               dilations=[1, 2, 2, 1], **NO_GRAD),
    *depthwise(f32(1, 9, 8, 2), f32(3, 2, 2, 2), [1, 2, 1, 1], "VALID", "valid-dil2-s21",
               dilations=[1, 2, 2, 1], **NO_GRAD),
    *depthwise(f32(2, 5, 6, 2), f32(3, 3, 2, 3), [1, 2, 1, 1], "EXPLICIT", "explicit",
               explicit=[0, 0, 1, 2, 0, 1, 0, 0], **NO_GRAD),
    *depthwise(f32(2, 3, 6, 5), f32(3, 3, 3, 2), [1, 1, 2, 1], "SAME", "nchw",
               data_format="NCHW", **NO_GRAD),
    *depthwise(f32(2, 6, 5, 4), f32(1, 1, 4, 2), S2, "SAME", "1x1-s2", **NO_GRAD),
    *depthwise(f32(0, 5, 5, 3), f32(3, 3, 3, 2), S1, "SAME", "empty-batch", **NO_GRAD),
    *depthwise(f32(1, 5, 5, 2).astype(np.float16), f32(3, 3, 2, 2).astype(np.float16), S1,
               "SAME", "f16", **NO_GRAD),
    # ... and small ones for the central-difference gradient checks (the backprop ops'
    # gradients go through the forward op and the other backprop op).
    *depthwise(f32(1, 4, 4, 2), f32(3, 3, 2, 2), S1, "SAME", "grad-same"),
    *depthwise(f32(2, 5, 4, 1), f32(2, 2, 1, 2), S2, "VALID", "grad-valid-s2"),
    *depthwise(f32(1, 5, 5, 2), f32(2, 2, 2, 1), S1, "SAME", "grad-dil2-m1",
               dilations=[1, 2, 2, 1]),
    *depthwise(f32(1, 4, 3, 2), f32(2, 2, 2, 2), S2, "EXPLICIT", "grad-explicit",
               explicit=[0, 0, 1, 0, 2, 1, 0, 0]),
    *depthwise(f32(1, 2, 4, 4), f32(2, 2, 2, 2), S1, "SAME", "grad-nchw", data_format="NCHW"),

    # LRN: forward-sized (LRNGrad alongside) ...
    *lrn(f32(2, 3, 3, 7), "r2", depth_radius=2),
    *lrn(f32(2, 2, 3, 12), "defaults"),
    *lrn(f32(1, 2, 2, 6), "attrs", depth_radius=1, bias=2.0, alpha=0.3, beta=0.75),
    *lrn(f32(1, 2, 2, 4), "r0", depth_radius=0, alpha=0.5),
    *lrn(f32(1, 2, 2, 3), "radius-over-depth", depth_radius=8, alpha=0.1),
    *lrn(f32(0, 2, 2, 3), "empty-batch", depth_radius=1),
    *lrn(f32(1, 3, 3, 5).astype(np.float16), "f16", depth_radius=2, alpha=0.1),
    # ... and small ones for gradient checks (through LRNGrad).
    *lrn(f32(1, 2, 2, 5), "grad", grad_case=True, depth_radius=2, bias=1.5, alpha=0.5,
         beta=0.75),
    *lrn(f32(2, 1, 2, 4), "grad-defaults", grad_case=True),

    # SpaceToBatchND / BatchToSpaceND: forward-sized ...
    *blocks(f32(2, 4, 6, 3), [2, 3], [[0, 0], [0, 0]], "2d", **NO_GRAD),
    *blocks(f32(2, 5, 5, 3), [2, 2], [[1, 0], [0, 1]], "2d-padded", **NO_GRAD),
    *blocks(f32(3, 7, 2), [2], [[1, 0]], "1d", **NO_GRAD),
    *blocks(f32(2, 3, 4, 4, 2), [1, 2, 2], [[0, 0], [1, 1], [2, 2]], "nchw-style", **NO_GRAD),
    *blocks(f32(2, 4, 3), [], np.zeros((0, 2), np.int32), "no-blocks", **NO_GRAD),
    *blocks(R.integers(-9, 9, (2, 4, 4, 1)).astype(np.int32), [2, 2], [[0, 0], [2, 0]],
            "int32"),
    # ... and small ones for gradient checks.
    *blocks(f32(1, 3, 2, 2), [2, 2], [[1, 0], [0, 0]], "grad-2d"),
    *blocks(f32(2, 3, 1), [3], [[1, 2]], "grad-1d"),
]

COVERED_BY = {
    # TensorFlow registers no gradient for LRNGrad; its refusal is tested there.
    "LRNGrad": "test_conv_family.py::test_lrn_grad_has_no_gradient_as_in_tensorflow",
}
