"""Cases for convolution and pooling: Conv2D, Conv2DBackpropInput/Filter, MaxPool, MaxPoolGrad,
MaxPoolGradGrad, AvgPool, AvgPoolGrad.

The references are deliberately naive: explicit loops over output positions and kernel taps,
with padding handled by bounds checks (never a padded array or a window view), accumulated in
float64. Gradient cases use small shapes so central differences stay fast.
"""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(7)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def f64(*shape):
    return R.standard_normal(shape)


def distinct(*shape):
    """Values with gaps far above the gradient check's epsilon (no ties in max pooling)."""
    n = int(np.prod(shape))
    return (R.permutation(n).reshape(shape) * 0.37 - n * 0.15).astype(np.float32)


# -- geometry as TensorFlow documents it -------------------------------------------------------


def _dim(size, k, stride, dilation, padding, explicit):
    """(output size, padding before) of one spatial dimension."""
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        out = -(-size // stride)
        return out, max((out - 1) * stride + eff - size, 0) // 2
    if padding == "VALID":
        return -(-(size - eff + 1) // stride), 0
    before, after = explicit
    return (size + before + after - eff) // stride + 1, before


def _hw(values, data_format):
    return (values[1], values[2]) if data_format == "NHWC" else (values[2], values[3])


def _explicit_hw(explicit, data_format):
    if not explicit:
        return (0, 0), (0, 0)
    pairs = [tuple(explicit[i:i + 2]) for i in range(0, 8, 2)]
    return _hw(pairs, data_format)


def _to_nhwc(x, data_format):
    return x if data_format == "NHWC" else np.transpose(x, (0, 2, 3, 1))


def _from_nhwc(x, data_format):
    return x if data_format == "NHWC" else np.transpose(x, (0, 3, 1, 2))


def _sizes_nhwc(sizes, data_format):
    s = [int(v) for v in sizes]
    return s if data_format == "NHWC" else [s[0], s[2], s[3], s[1]]


class _Conv:
    """Geometry of one convolution, with a loop over (output position, tap) pairs."""

    def __init__(self, h, w, kh, kw, strides, padding, explicit_paddings, data_format,
                 dilations):
        self.sh, self.sw = _hw(strides, data_format)
        self.dh, self.dw = _hw(dilations, data_format)
        eh, ew = _explicit_hw(explicit_paddings, data_format)
        self.oh, self.pt = _dim(h, kh, self.sh, self.dh, padding, eh)
        self.ow, self.pl = _dim(w, kw, self.sw, self.dw, padding, ew)
        self.h, self.w, self.kh, self.kw = h, w, kh, kw

    def pairs(self):
        """(oh, ow, i, j, r, c): input element (r, c) under tap (i, j) of output (oh, ow)."""
        for oh in range(self.oh):
            for ow in range(self.ow):
                for i in range(self.kh):
                    for j in range(self.kw):
                        r = oh * self.sh - self.pt + i * self.dh
                        c = ow * self.sw - self.pl + j * self.dw
                        if 0 <= r < self.h and 0 <= c < self.w:
                            yield oh, ow, i, j, r, c


# -- convolution references ----------------------------------------------------------------------


def ref_conv2d(x, f, strides, padding, explicit_paddings=(), data_format="NHWC",
               dilations=(1, 1, 1, 1), use_cudnn_on_gpu=True):
    x = _to_nhwc(x, data_format).astype(np.float64)
    n, h, w, c = x.shape
    kh, kw, fc, o = f.shape
    groups, og = c // fc, o // (c // fc)
    g = _Conv(h, w, kh, kw, strides, padding, explicit_paddings, data_format, dilations)
    out = np.zeros((n, g.oh, g.ow, o))
    for oh, ow, i, j, r, cc in g.pairs():
        for k in range(groups):
            out[:, oh, ow, k * og:(k + 1) * og] += \
                x[:, r, cc, k * fc:(k + 1) * fc] @ f[i, j, :, k * og:(k + 1) * og]
    return _from_nhwc(out, data_format).astype(f.dtype)


def ref_conv2d_backprop_input(sizes, f, dy, strides, padding, explicit_paddings=(),
                              data_format="NHWC", dilations=(1, 1, 1, 1), use_cudnn_on_gpu=True):
    dy = _to_nhwc(dy, data_format).astype(np.float64)
    kh, kw, fc, o = f.shape
    if len(sizes) == 2:
        n, h, w, c = dy.shape[0], int(sizes[0]), int(sizes[1]), fc
    else:
        n, h, w, c = _sizes_nhwc(sizes, data_format)
    groups, og = c // fc, o // (c // fc)
    g = _Conv(h, w, kh, kw, strides, padding, explicit_paddings, data_format, dilations)
    dx = np.zeros((n, h, w, c))
    for oh, ow, i, j, r, cc in g.pairs():
        for k in range(groups):
            dx[:, r, cc, k * fc:(k + 1) * fc] += \
                dy[:, oh, ow, k * og:(k + 1) * og] @ f[i, j, :, k * og:(k + 1) * og].T
    return _from_nhwc(dx, data_format).astype(f.dtype)


def ref_conv2d_backprop_filter(x, sizes, dy, strides, padding, explicit_paddings=(),
                               data_format="NHWC", dilations=(1, 1, 1, 1), use_cudnn_on_gpu=True):
    dtype = x.dtype
    x = _to_nhwc(x, data_format).astype(np.float64)
    dy = _to_nhwc(dy, data_format).astype(np.float64)
    n, h, w, c = x.shape
    kh, kw, fc, o = (int(v) for v in sizes)
    groups, og = c // fc, o // (c // fc)
    g = _Conv(h, w, kh, kw, strides, padding, explicit_paddings, data_format, dilations)
    df = np.zeros((kh, kw, fc, o))
    for oh, ow, i, j, r, cc in g.pairs():
        for k in range(groups):
            df[i, j, :, k * og:(k + 1) * og] += \
                x[:, r, cc, k * fc:(k + 1) * fc].T @ dy[:, oh, ow, k * og:(k + 1) * og]
    return df.astype(dtype)


# -- pooling references ----------------------------------------------------------------------------


def _pool_windows(h, w, ksize, strides, padding, explicit_paddings, data_format):
    """(oh, ow, rows, cols) for every output: the window clipped to the real input."""
    kh, kw = _hw(ksize, data_format)
    sh, sw = _hw(strides, data_format)
    eh, ew = _explicit_hw(explicit_paddings, data_format)
    out_h, pt = _dim(h, kh, sh, 1, padding, eh)
    out_w, pl = _dim(w, kw, sw, 1, padding, ew)
    wins = []
    for oh in range(out_h):
        r0 = oh * sh - pt
        rows = range(max(r0, 0), min(r0 + kh, h))
        for ow in range(out_w):
            c0 = ow * sw - pl
            wins.append((oh, ow, rows, range(max(c0, 0), min(c0 + kw, w))))
    return out_h, out_w, wins


def ref_max_pool(x, ksize, strides, padding, explicit_paddings=(), data_format="NHWC"):
    x = _to_nhwc(x, data_format)
    n, h, w, c = x.shape
    oh_, ow_, wins = _pool_windows(h, w, ksize, strides, padding, explicit_paddings, data_format)
    out = np.zeros((n, oh_, ow_, c), x.dtype)
    for oh, ow, rows, cols in wins:
        out[:, oh, ow] = x[:, rows.start:rows.stop, cols.start:cols.stop].max(axis=(1, 2))
    return _from_nhwc(out, data_format)


def ref_depthwise_max_pool(x, ksize, strides, padding, data_format="NHWC"):
    """TF's DepthwiseMaxPool: each group of ksize[3] channels folded in order with
    ``acc < v ? v : acc`` (a leading NaN stays, a later one is skipped)."""
    k = ksize[3]
    n, h, w, c = x.shape
    out = np.zeros((n, h, w, c // k), x.dtype)
    for b, i, j, g in np.ndindex(*out.shape):
        acc = x[b, i, j, g * k]
        for v in x[b, i, j, g * k + 1:(g + 1) * k]:
            acc = v if acc < v else acc
        out[b, i, j, g] = acc
    return out


def _first_argmax(x, rows, cols):
    """(n, c) input coordinates (r, c) of the first maximum of each window, row-major."""
    n, _, _, c = x.shape
    win = x[:, rows.start:rows.stop, cols.start:cols.stop].reshape(n, len(rows) * len(cols), c)
    a = np.argmax(win, axis=1)  # first occurrence
    return rows.start + a // len(cols), cols.start + a % len(cols)


def ref_max_pool_grad(x, y, dy, ksize, strides, padding, explicit_paddings=(),
                      data_format="NHWC"):
    x, dy = _to_nhwc(x, data_format), _to_nhwc(dy, data_format)
    n, h, w, c = x.shape
    _, _, wins = _pool_windows(h, w, ksize, strides, padding, explicit_paddings, data_format)
    dx = np.zeros(x.shape, np.float64)
    bn, bc = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    for oh, ow, rows, cols in wins:
        r, cc = _first_argmax(x, rows, cols)
        np.add.at(dx, (bn, r, cc, bc), dy[:, oh, ow])
    return _from_nhwc(dx.astype(dy.dtype), data_format)


def ref_max_pool_grad_grad(x, y, g, ksize, strides, padding, data_format="NHWC"):
    x, g = _to_nhwc(x, data_format), _to_nhwc(g, data_format)
    n, h, w, c = x.shape
    oh_, ow_, wins = _pool_windows(h, w, ksize, strides, padding, (), data_format)
    out = np.zeros((n, oh_, ow_, c), g.dtype)
    bn, bc = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    for oh, ow, rows, cols in wins:
        r, cc = _first_argmax(x, rows, cols)
        out[:, oh, ow] = g[bn, r, cc, bc]
    return _from_nhwc(out, data_format)


def ref_avg_pool(x, ksize, strides, padding, data_format="NHWC"):
    x = _to_nhwc(x, data_format)
    n, h, w, c = x.shape
    oh_, ow_, wins = _pool_windows(h, w, ksize, strides, padding, (), data_format)
    out = np.zeros((n, oh_, ow_, c))
    for oh, ow, rows, cols in wins:
        out[:, oh, ow] = x[:, rows.start:rows.stop, cols.start:cols.stop].astype(
            np.float64).mean(axis=(1, 2))
    return _from_nhwc(out.astype(x.dtype), data_format)


def ref_avg_pool_grad(sizes, dy, ksize, strides, padding, data_format="NHWC"):
    n, h, w, c = _sizes_nhwc(sizes, data_format)
    dy = _to_nhwc(dy, data_format)
    _, _, wins = _pool_windows(h, w, ksize, strides, padding, (), data_format)
    dx = np.zeros((n, h, w, c))
    for oh, ow, rows, cols in wins:
        share = dy[:, oh, ow].astype(np.float64) / (len(rows) * len(cols))
        dx[:, rows.start:rows.stop, cols.start:cols.stop] += share[:, None, None, :]
    return _from_nhwc(dx.astype(dy.dtype), data_format)


# -- case builders ---------------------------------------------------------------------------------

S1, S2 = [1, 1, 1, 1], [1, 2, 2, 1]
LOOSE = {"rtol": 1e-4, "atol": 1e-5}  # float32 matmul vs a float64 reference


def _conv_attrs(strides, padding, data_format, dilations, explicit):
    attrs = {"strides": strides, "padding": padding}
    if data_format != "NHWC":
        attrs["data_format"] = data_format
    if dilations is not None:
        attrs["dilations"] = dilations
    if explicit is not None:
        attrs["explicit_paddings"] = explicit
    return attrs


def conv(x, f, strides, padding, tag, data_format="NHWC", dilations=None, explicit=None,
         **kw):
    """Conv2D, plus its two backprop ops on the same geometry (out_backprop shaped like the
    forward output)."""
    attrs = _conv_attrs(strides, padding, data_format, dilations, explicit)
    tol = LOOSE if x.dtype == np.float32 else {}
    if x.dtype == np.float16:
        tol = {"rtol": 2e-2, "atol": 2e-2}
    out = ref_conv2d(x.astype(np.float64), f.astype(np.float64), **attrs)
    dy = R.standard_normal(out.shape).astype(x.dtype)
    return [
        Case("Conv2D", [x, f], ref=ref_conv2d, attrs=attrs, id=f"Conv2D-{tag}",
             **{**tol, **kw}),
        Case("Conv2DBackpropInput", [Const(np.array(x.shape, np.int32)), f, dy],
             ref=ref_conv2d_backprop_input, attrs=attrs, id=f"Conv2DBackpropInput-{tag}",
             **{**tol, **kw}),
        Case("Conv2DBackpropFilter", [x, Const(np.array(f.shape, np.int32)), dy],
             ref=ref_conv2d_backprop_filter, attrs=attrs, id=f"Conv2DBackpropFilter-{tag}",
             **{**tol, **kw}),
    ]


def pool(x, ksize, strides, padding, tag, data_format="NHWC", explicit=None, avg=True,
         grad_grad=True, ties=False, **kw):
    """MaxPool, MaxPoolGrad, MaxPoolGradGrad, AvgPool and AvgPoolGrad on one geometry.

    With ``ties`` only the linear `grad` inputs are differentiated numerically (the max is not
    differentiable at a tie). With EXPLICIT padding MaxPoolGrad has no gradient: like
    TensorFlow's, its rule needs MaxPoolGradGrad, which has no explicit_paddings attr."""
    attrs = {"ksize": ksize, "strides": strides, "padding": padding}
    if data_format != "NHWC":
        attrs["data_format"] = data_format
    max_attrs = dict(attrs, **({"explicit_paddings": explicit} if explicit else {}))
    y = ref_max_pool(x, **max_attrs)
    dy = R.standard_normal(y.shape).astype(x.dtype)
    g = R.standard_normal(x.shape).astype(x.dtype)
    cases = [
        Case("MaxPool", [x], ref=ref_max_pool, attrs=max_attrs, id=f"MaxPool-{tag}",
             **({**kw, "grad": []} if ties else kw)),
        Case("MaxPoolGrad", [x, y, dy], ref=ref_max_pool_grad, attrs=max_attrs,
             id=f"MaxPoolGrad-{tag}",
             **({**kw, "grad": [2] if ties else []} if ties or explicit else kw)),
    ]
    if grad_grad:
        # MaxPoolGradGrad picks by equality with orig_output: only its `grad` input has a
        # derivative (perturbing orig_output breaks the match).
        cases.append(Case("MaxPoolGradGrad", [x, y, g], ref=ref_max_pool_grad_grad,
                          attrs=attrs, id=f"MaxPoolGradGrad-{tag}",
                          **{**kw, "grad": kw.get("grad", [2]) or []}))
    if avg:
        ya = ref_avg_pool(x, **attrs)
        dya = R.standard_normal(ya.shape).astype(x.dtype)
        cases += [
            Case("AvgPool", [x], ref=ref_avg_pool, attrs=attrs, id=f"AvgPool-{tag}", **kw),
            Case("AvgPoolGrad", [Const(np.array(x.shape, np.int32)), dya],
                 ref=ref_avg_pool_grad, attrs=attrs, id=f"AvgPoolGrad-{tag}", **kw),
        ]
    return cases


NO_GRAD = {"grad": []}  # forward/inference only (larger shapes, or integer data)

CASES = [
    # Conv2D family: forward-sized cases (no gradient check) ...
    *conv(f32(2, 5, 5, 3), f32(3, 3, 3, 4), S1, "SAME", "same-s1", **NO_GRAD),
    *conv(f32(2, 6, 6, 3), f32(3, 3, 3, 2), S2, "SAME", "same-s2-even", **NO_GRAD),
    *conv(f32(2, 7, 7, 2), f32(3, 3, 2, 3), S2, "SAME", "same-s2-odd", **NO_GRAD),
    *conv(f32(2, 5, 6, 3), f32(2, 2, 3, 2), S1, "SAME", "same-even-kernel", **NO_GRAD),
    *conv(f64(1, 7, 6, 2), f64(2, 3, 2, 3), S2, "VALID", "valid-s2-f64", **NO_GRAD),
    *conv(f32(1, 8, 8, 2), f32(3, 3, 2, 2), S1, "SAME", "same-dil2",
          dilations=[1, 2, 2, 1], **NO_GRAD),
    *conv(f32(1, 9, 8, 2), f32(3, 2, 2, 2), [1, 2, 1, 1], "VALID", "valid-dil2-s21",
          dilations=[1, 2, 2, 1], **NO_GRAD),
    *conv(f32(2, 5, 6, 2), f32(3, 3, 2, 3), [1, 2, 1, 1], "EXPLICIT", "explicit",
          explicit=[0, 0, 1, 2, 0, 1, 0, 0], **NO_GRAD),
    *conv(f32(2, 6, 5, 3), f32(1, 1, 3, 4), S2, "SAME", "1x1-s2", **NO_GRAD),
    *conv(f32(2, 3, 6, 5), f32(3, 3, 3, 2), [1, 1, 2, 1], "SAME", "nchw",
          data_format="NCHW", **NO_GRAD),
    *conv(f32(2, 5, 5, 4), f32(3, 3, 2, 6), S1, "SAME", "grouped", **NO_GRAD),
    *conv(f32(0, 5, 5, 3), f32(3, 3, 3, 2), S1, "SAME", "empty-batch", **NO_GRAD),
    # Over 2**20 patch elements: Conv2D takes the per-tap matmul path instead of im2col.
    *conv(f32(8, 32, 32, 16), f32(3, 3, 16, 4), S1, "SAME", "large-tap-path", atol=1e-3,
          **NO_GRAD),
    *conv(f32(1, 5, 5, 2).astype(np.float16), f32(3, 3, 2, 2).astype(np.float16), S1, "SAME",
          "f16", **NO_GRAD),
    Case("Conv2D", [R.integers(-5, 5, (2, 5, 5, 2)).astype(np.int32),
                    R.integers(-3, 3, (3, 3, 2, 3)).astype(np.int32)],
         ref=ref_conv2d, attrs={"strides": S2, "padding": "SAME"}, id="Conv2D-int32"),
    Case("Conv2DBackpropInput", [Const(np.array([5, 5], np.int32)), f32(3, 3, 2, 3),
                                 f32(2, 3, 3, 3)],
         ref=ref_conv2d_backprop_input, attrs={"strides": S2, "padding": "SAME"},
         id="Conv2DBackpropInput-2-sizes", **LOOSE),
    # ... and small ones for the central-difference gradient checks (second derivatives of
    # the backprop ops go through Conv2D and the other backprop op).
    *conv(f32(1, 4, 4, 2), f32(3, 3, 2, 2), S1, "SAME", "grad-same"),
    *conv(f32(2, 5, 4, 1), f32(2, 2, 1, 2), S2, "VALID", "grad-valid-s2"),
    *conv(f32(1, 5, 5, 1), f32(2, 2, 1, 2), S1, "SAME", "grad-dil2", dilations=[1, 2, 2, 1]),
    *conv(f32(1, 4, 3, 2), f32(2, 2, 2, 1), S2, "EXPLICIT", "grad-explicit",
          explicit=[0, 0, 1, 0, 2, 1, 0, 0]),
    *conv(f32(1, 2, 4, 4), f32(2, 2, 2, 2), S1, "SAME", "grad-nchw",
          data_format="NCHW"),
    *conv(f32(1, 3, 3, 4), f32(2, 2, 2, 2), S1, "VALID", "grad-grouped"),

    # Pooling: forward-sized ...
    *pool(f32(2, 5, 5, 3), [1, 2, 2, 1], S2, "SAME", "2x2-s2-same-odd", **NO_GRAD),
    *pool(f32(2, 6, 8, 3), [1, 2, 2, 1], S2, "VALID", "2x2-s2-valid-tiles", **NO_GRAD),
    *pool(f32(2, 7, 9, 2), [1, 2, 2, 1], S2, "VALID", "2x2-s2-valid-crop", **NO_GRAD),
    *pool(f32(1, 7, 6, 2), [1, 3, 3, 1], S2, "VALID", "3x3-s2-valid", **NO_GRAD),
    *pool(f32(1, 6, 5, 2), [1, 3, 2, 1], [1, 1, 2, 1], "SAME", "3x2-s12-same", **NO_GRAD),
    *pool(f32(1, 5, 5, 2), [1, 2, 2, 1], [1, 3, 3, 1], "VALID", "stride-gt-ksize", **NO_GRAD),
    *pool(f32(2, 5, 6, 3), [1, 3, 3, 1], S2, "EXPLICIT", "explicit",
          explicit=[0, 0, 1, 2, 2, 0, 0, 0], avg=False, grad_grad=False, **NO_GRAD),
    *pool(f32(2, 3, 5, 6), [1, 1, 3, 3], [1, 1, 2, 2], "SAME", "nchw", data_format="NCHW",
          **NO_GRAD),
    *pool(f64(1, 6, 6, 2), [1, 3, 3, 1], S1, "SAME", "3x3-s1-f64", **NO_GRAD),
    *pool(f32(0, 4, 4, 2), [1, 2, 2, 1], S2, "SAME", "empty-batch", **NO_GRAD),
    # Ties: integer-valued data, the gradient goes to the first maximum of each window.
    *pool(R.integers(0, 3, (2, 5, 5, 2)).astype(np.float32), [1, 3, 3, 1], S1, "SAME",
          "ties", avg=False, ties=True),
    *pool(R.integers(0, 2, (1, 4, 4, 2)).astype(np.float32), [1, 2, 2, 1], S2, "VALID",
          "ties-tiles", avg=False, ties=True),
    Case("MaxPool", [R.integers(-9, 9, (2, 5, 5, 2)).astype(np.int32)], ref=ref_max_pool,
         attrs={"ksize": [1, 3, 3, 1], "strides": S2, "padding": "SAME"}, id="MaxPool-int32"),
    Case("MaxPool", [np.full((1, 3, 3, 1), np.iinfo(np.int8).min, np.int8)], ref=ref_max_pool,
         attrs={"ksize": [1, 2, 2, 1], "strides": S1, "padding": "SAME"},
         id="MaxPool-int8-min"),
    # ... and small ones for gradient checks (distinct values: no ties near the max).
    *pool(distinct(1, 4, 4, 2), [1, 2, 2, 1], S2, "VALID", "grad-tiles"),
    *pool(distinct(1, 5, 5, 1), [1, 3, 3, 1], S2, "SAME", "grad-3x3-s2-same"),
    *pool(distinct(2, 4, 3, 1), [1, 2, 2, 1], S1, "SAME", "grad-2x2-s1-same"),
    *pool(distinct(1, 5, 4, 2), [1, 3, 2, 1], [1, 2, 1, 1], "EXPLICIT", "grad-explicit",
          explicit=[0, 0, 2, 1, 1, 1, 0, 0], avg=False, grad_grad=False),
    *pool(distinct(1, 2, 4, 4), [1, 1, 2, 2], [1, 1, 2, 2], "SAME", "grad-nchw",
          data_format="NCHW"),
    # Depthwise max pooling (a window over channels only, TF's CPU kernel). TF refuses its
    # gradient at run time (MaxPoolGrad with a depth window), hence no gradient check.
    Case("MaxPool", [f32(2, 3, 4, 6)], ref=ref_depthwise_max_pool,
         attrs={"ksize": [1, 1, 1, 3], "strides": [1, 1, 1, 3], "padding": "VALID"},
         id="MaxPool-depthwise-k3", grad=[]),
    Case("MaxPool", [R.integers(-9, 9, (1, 2, 3, 8)).astype(np.int32)],
         ref=ref_depthwise_max_pool,
         attrs={"ksize": [1, 1, 1, 2], "strides": [1, 1, 1, 2], "padding": "SAME"},
         id="MaxPool-depthwise-int32-same"),
    # AvgPool ignores a depth stride without a depth window (kernel and shape function).
    Case("AvgPool", [f32(1, 3, 3, 6)], ref=ref_avg_pool,
         attrs={"ksize": [1, 2, 2, 1], "strides": [1, 1, 1, 3], "padding": "VALID"},
         id="AvgPool-depth-stride-ignored"),
]
