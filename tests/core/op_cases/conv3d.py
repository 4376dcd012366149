"""Cases for 3-D convolution and pooling (Conv3D, Conv3DBackpropInputV2/FilterV2, MaxPool3D,
MaxPool3DGrad, MaxPool3DGradGrad, AvgPool3D, AvgPool3DGrad) and the pooling variants
(MaxPoolWithArgmax, MaxPoolGradWithArgmax, MaxPoolV2, MaxPoolGradV2, MaxPoolGradGradV2).

The references are deliberately naive: explicit loops over output positions and window taps,
padding handled by bounds checks (never a padded array or a window view), accumulated in
float64. Gradient cases use small shapes so central differences stay fast.
"""

import itertools

import numpy as np

from .conv import _dim, ref_max_pool, ref_max_pool_grad, ref_max_pool_grad_grad
from .harness import Case, Const

R = np.random.default_rng(17)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def distinct(*shape):
    """Values with gaps far above the gradient check's epsilon (no ties in max pooling)."""
    n = int(np.prod(shape))
    return (R.permutation(n).reshape(shape) * 0.37 - n * 0.15).astype(np.float32)


# -- geometry ------------------------------------------------------------------------------------


def _last(x, fmt):
    return x if fmt in ("NDHWC", "NHWC") else np.moveaxis(x, 1, -1)


def _back(x, fmt):
    return x if fmt in ("NDHWC", "NHWC") else np.moveaxis(x, -1, 1)


def _spatial(values, fmt):
    values = list(values)
    return values[1:-1] if fmt in ("NDHWC", "NHWC") else values[2:]


def _sizes_last(sizes, fmt):
    s = [int(v) for v in sizes]
    return s if fmt in ("NDHWC", "NHWC") else [s[0], *s[2:], s[1]]


class _Geom:
    """One window op's geometry over any number of spatial dims: ``pairs`` loops over every
    (output position, tap, input position) with the input inside the unpadded array."""

    def __init__(self, sizes, ksize, strides, dilations, padding):
        self.sizes, self.ksize, self.strides, self.dil = sizes, ksize, strides, dilations
        dims = [_dim(s, k, st, d, padding, (0, 0))
                for s, k, st, d in zip(sizes, ksize, strides, dilations)]
        self.outs = [o for o, _ in dims]
        self.before = [b for _, b in dims]

    def pairs(self):
        for out in itertools.product(*(range(o) for o in self.outs)):
            for tap in itertools.product(*(range(k) for k in self.ksize)):
                pos = tuple(o * s - b + t * d for o, s, b, t, d in
                            zip(out, self.strides, self.before, tap, self.dil))
                if all(0 <= p < n for p, n in zip(pos, self.sizes)):
                    yield out, tap, pos

    def windows(self):
        """(output position, [input positions in row-major tap order])."""
        for out in itertools.product(*(range(o) for o in self.outs)):
            yield out, [pos for o, _, pos in self._pairs_of(out)]

    def _pairs_of(self, out):
        for tap in itertools.product(*(range(k) for k in self.ksize)):
            pos = tuple(o * s - b + t * d for o, s, b, t, d in
                        zip(out, self.strides, self.before, tap, self.dil))
            if all(0 <= p < n for p, n in zip(pos, self.sizes)):
                yield out, tap, pos


def _conv_geom(sizes, ksize, strides, padding, data_format, dilations):
    return _Geom(sizes, ksize, _spatial(strides, data_format), _spatial(dilations, data_format),
                 padding)


# -- convolution references ----------------------------------------------------------------------

D1 = (1, 1, 1, 1, 1)


def ref_conv3d(x, f, strides, padding, data_format="NDHWC", dilations=D1):
    x = _last(x, data_format).astype(np.float64)
    n, *sizes, c = x.shape
    g = _conv_geom(sizes, f.shape[:3], strides, padding, data_format, dilations)
    out = np.zeros((n, *g.outs, f.shape[4]))
    for o, t, p in g.pairs():
        out[(slice(None), *o)] += x[(slice(None), *p)] @ f[t].astype(np.float64)
    return _back(out, data_format).astype(f.dtype)


def ref_conv3d_backprop_input(sizes, f, dy, strides, padding, data_format="NDHWC",
                              dilations=D1):
    n, *spatial, c = _sizes_last(sizes, data_format)
    dy = _last(dy, data_format).astype(np.float64)
    g = _conv_geom(spatial, f.shape[:3], strides, padding, data_format, dilations)
    dx = np.zeros((n, *spatial, c))
    for o, t, p in g.pairs():
        dx[(slice(None), *p)] += dy[(slice(None), *o)] @ f[t].astype(np.float64).T
    return _back(dx, data_format).astype(f.dtype)


def ref_conv3d_backprop_filter(x, sizes, dy, strides, padding, data_format="NDHWC",
                               dilations=D1):
    dtype = x.dtype
    x = _last(x, data_format).astype(np.float64)
    dy = _last(dy, data_format).astype(np.float64)
    ks = [int(v) for v in sizes]
    g = _conv_geom(x.shape[1:-1], ks[:3], strides, padding, data_format, dilations)
    df = np.zeros(ks)
    for o, t, p in g.pairs():
        df[t] += x[(slice(None), *p)].T @ dy[(slice(None), *o)]
    return df.astype(dtype)


# -- pooling references --------------------------------------------------------------------------


def _pool_geom(sizes, ksize, strides, padding, data_format):
    return _Geom(sizes, _spatial(ksize, data_format), _spatial(strides, data_format),
                 (1,) * len(sizes), padding)


def _first_max(x, positions):
    """(n, c) of the first maximum's position index among ``positions`` of each window."""
    vals = np.stack([x[(slice(None), *p)] for p in positions])
    return np.argmax(vals, axis=0)


def ref_max_pool3d(x, ksize, strides, padding, data_format="NDHWC"):
    xl = _last(x, data_format)
    g = _pool_geom(xl.shape[1:-1], ksize, strides, padding, data_format)
    out = np.zeros((xl.shape[0], *g.outs, xl.shape[-1]), x.dtype)
    for o, ps in g.windows():
        out[(slice(None), *o)] = np.max([xl[(slice(None), *p)] for p in ps], axis=0)
    return _back(out, data_format)


def ref_max_pool3d_grad(x, y, dy, ksize, strides, padding, data_format="NDHWC"):
    """TF's 3-D rule (unlike 2-D's first maximum): every window element within 1e-5 of the
    window's output gets its gradient."""
    xl, yl, dyl = _last(x, data_format), _last(y, data_format), _last(dy, data_format)
    n, *sizes, c = xl.shape
    g = _pool_geom(sizes, ksize, strides, padding, data_format)
    dx = np.zeros(xl.shape)
    for o, ps in g.windows():
        for b in range(n):
            for ch in range(c):
                for p in ps:
                    if abs(float(xl[(b, *p, ch)]) - float(yl[(b, *o, ch)])) < 1e-5:
                        dx[(b, *p, ch)] += dyl[(b, *o, ch)]
    return _back(dx, data_format).astype(dy.dtype)


def ref_max_pool3d_grad_grad(x, y, gr, ksize, strides, padding, data_format="NDHWC"):
    xl, gl = _last(x, data_format), _last(gr, data_format)
    n, *sizes, c = xl.shape
    g = _pool_geom(sizes, ksize, strides, padding, data_format)
    out = np.zeros((n, *g.outs, c), gr.dtype)
    for o, ps in g.windows():
        first = _first_max(xl, ps)
        for b in range(n):
            for ch in range(c):
                out[(b, *o, ch)] = gl[(b, *ps[first[b, ch]], ch)]
    return _back(out, data_format)


def ref_avg_pool3d(x, ksize, strides, padding, data_format="NDHWC"):
    xl = _last(x, data_format).astype(np.float64)
    g = _pool_geom(xl.shape[1:-1], ksize, strides, padding, data_format)
    out = np.zeros((xl.shape[0], *g.outs, xl.shape[-1]))
    for o, ps in g.windows():
        out[(slice(None), *o)] = np.mean([xl[(slice(None), *p)] for p in ps], axis=0)
    return _back(out, data_format).astype(x.dtype)


def ref_avg_pool3d_grad(sizes, dy, ksize, strides, padding, data_format="NDHWC"):
    n, *spatial, c = _sizes_last(sizes, data_format)
    dyl = _last(dy, data_format).astype(np.float64)
    g = _pool_geom(spatial, ksize, strides, padding, data_format)
    dx = np.zeros((n, *spatial, c))
    for o, ps in g.windows():
        for p in ps:
            dx[(slice(None), *p)] += dyl[(slice(None), *o)] / len(ps)
    return _back(dx, data_format).astype(dy.dtype)


def ref_max_pool_with_argmax(x, ksize, strides, padding, Targmax=np.int64,  # noqa: N803
                             include_batch_in_index=False):
    n, h, w, c = x.shape
    g = _pool_geom((h, w), ksize, strides, padding, "NHWC")
    out = np.zeros((n, *g.outs, c), x.dtype)
    arg = np.zeros(out.shape, np.int64)
    for o, ps in g.windows():
        first = _first_max(x, ps)
        for b in range(n):
            for ch in range(c):
                r, cc = ps[first[b, ch]]
                out[b, o[0], o[1], ch] = x[b, r, cc, ch]
                arg[b, o[0], o[1], ch] = ((b * h if include_batch_in_index else 0) + r) \
                    * w * c + cc * c + ch
    return out, arg.astype(np.dtype(getattr(Targmax, "as_numpy_dtype", Targmax)))


def ref_max_pool_grad_with_argmax(x, grad, argmax, ksize, strides, padding,
                                  include_batch_in_index=False):
    n = x.shape[0]
    per = x.size // n
    dx = np.zeros(x.size)
    for b in range(n):
        for idx, gv in zip(argmax[b].reshape(-1), grad[b].reshape(-1)):
            dx[int(idx) + (0 if include_batch_in_index else b * per)] += gv
    return dx.reshape(x.shape).astype(grad.dtype)


# -- the V2 ops: the 2-D references with ksize and strides as inputs ----------------------------


def ref_max_pool_v2(x, ksize, strides, padding, data_format="NHWC"):
    return ref_max_pool(x, list(ksize), list(strides), padding, data_format=data_format)


def ref_max_pool_grad_v2(x, y, dy, ksize, strides, padding, data_format="NHWC"):
    return ref_max_pool_grad(x, y, dy, list(ksize), list(strides), padding,
                             data_format=data_format)


def ref_max_pool_grad_grad_v2(x, y, gr, ksize, strides, padding, data_format="NHWC"):
    return ref_max_pool_grad_grad(x, y, gr, list(ksize), list(strides), padding,
                                  data_format=data_format)


# -- case builders ---------------------------------------------------------------------------------

S1 = [1, 1, 1, 1, 1]
S2 = [1, 2, 2, 2, 1]
LOOSE = {"rtol": 1e-4, "atol": 1e-4}
NO_GRAD = {"grad": []}


def conv(x, f, strides, padding, tag, data_format="NDHWC", dilations=None, **kw):
    """Conv3D and its two backprop ops on one geometry (out_backprop shaped like the output)."""
    attrs = {"strides": strides, "padding": padding}
    if data_format != "NDHWC":
        attrs["data_format"] = data_format
    if dilations is not None:
        attrs["dilations"] = dilations
    tol = LOOSE if x.dtype == np.float32 else {}
    if x.dtype == np.float16:
        tol = {"rtol": 2e-2, "atol": 3e-2}
    out = ref_conv3d(x.astype(np.float64), f.astype(np.float64), **attrs)
    dy = R.standard_normal(out.shape).astype(x.dtype)
    return [
        Case("Conv3D", [x, f], ref=ref_conv3d, attrs=attrs, id=f"Conv3D-{tag}",
             **{**tol, **kw}),
        Case("Conv3DBackpropInputV2", [Const(np.array(x.shape, np.int32)), f, dy],
             ref=ref_conv3d_backprop_input, attrs=attrs, id=f"Conv3DBackpropInputV2-{tag}",
             **{**tol, **kw}),
        Case("Conv3DBackpropFilterV2", [x, Const(np.array(f.shape, np.int32)), dy],
             ref=ref_conv3d_backprop_filter, attrs=attrs, id=f"Conv3DBackpropFilterV2-{tag}",
             **{**tol, **kw}),
    ]


def pool(x, ksize, strides, padding, tag, data_format="NDHWC", **kw):
    """MaxPool3D, MaxPool3DGrad, MaxPool3DGradGrad, AvgPool3D and AvgPool3DGrad on one
    geometry. The max ops' gradients are checked in float32 elsewhere (COVERED_BY): the
    harness differentiates in float64, which MaxPool3D and MaxPool3DGrad refuse (as TF's)."""
    attrs = {"ksize": ksize, "strides": strides, "padding": padding}
    if data_format != "NDHWC":
        attrs["data_format"] = data_format
    y = ref_max_pool3d(x, **attrs)
    dy = R.standard_normal(y.shape).astype(x.dtype)
    g = R.standard_normal(x.shape).astype(x.dtype)
    ya = ref_avg_pool3d(x, **attrs)
    dya = R.standard_normal(ya.shape).astype(x.dtype)
    return [
        Case("MaxPool3D", [x], ref=ref_max_pool3d, attrs=attrs, id=f"MaxPool3D-{tag}",
             **{**kw, "grad": []}),
        Case("MaxPool3DGrad", [x, y, dy], ref=ref_max_pool3d_grad, attrs=attrs,
             id=f"MaxPool3DGrad-{tag}", **{**kw, "grad": []}),
        Case("MaxPool3DGradGrad", [x, y, g], ref=ref_max_pool3d_grad_grad, attrs=attrs,
             id=f"MaxPool3DGradGrad-{tag}", **{**kw, "grad": []}),
        Case("AvgPool3D", [x], ref=ref_avg_pool3d, attrs=attrs, id=f"AvgPool3D-{tag}", **kw),
        Case("AvgPool3DGrad", [Const(np.array(x.shape, np.int32)), dya],
             ref=ref_avg_pool3d_grad, attrs=attrs, id=f"AvgPool3DGrad-{tag}", **kw),
    ]


def argmax(x, ksize, strides, padding, tag, batch=False, targmax=np.int64, **kw):
    attrs = {"ksize": ksize, "strides": strides, "padding": padding,
             "include_batch_in_index": batch, "Targmax": targmax}
    y, a = ref_max_pool_with_argmax(x, **attrs)
    dy = R.standard_normal(y.shape).astype(x.dtype)
    gattrs = {k: v for k, v in attrs.items() if k != "Targmax"}
    return [
        Case("MaxPoolWithArgmax", [x], ref=ref_max_pool_with_argmax, attrs=attrs,
             id=f"MaxPoolWithArgmax-{tag}", **kw),
        Case("MaxPoolGradWithArgmax", [x, dy, a], ref=ref_max_pool_grad_with_argmax,
             attrs=gattrs, id=f"MaxPoolGradWithArgmax-{tag}", **kw),
    ]


def pool_v2(x, ksize, strides, padding, tag, data_format="NHWC", **kw):
    attrs = {"padding": padding}
    if data_format != "NHWC":
        attrs["data_format"] = data_format
    k, s = Const(np.array(ksize, np.int32)), Const(np.array(strides, np.int32))
    y = ref_max_pool(x, ksize, strides, padding, data_format=data_format)
    dy = R.standard_normal(y.shape).astype(x.dtype)
    g = R.standard_normal(x.shape).astype(x.dtype)
    return [
        Case("MaxPoolV2", [x, k, s], ref=ref_max_pool_v2, attrs=attrs, id=f"MaxPoolV2-{tag}",
             **kw),
        Case("MaxPoolGradV2", [x, y, dy, k, s], ref=ref_max_pool_grad_v2, attrs=attrs,
             id=f"MaxPoolGradV2-{tag}", **kw),
        Case("MaxPoolGradGradV2", [x, y, g, k, s], ref=ref_max_pool_grad_grad_v2, attrs=attrs,
             id=f"MaxPoolGradGradV2-{tag}", **kw),
    ]


_F32_GRADS = "tests/core/test_conv3d.py::test_max_pool3d_gradients_in_float32"
COVERED_BY = {"MaxPool3D": _F32_GRADS, "MaxPool3DGrad": _F32_GRADS,
              "MaxPool3DGradGrad": _F32_GRADS}

CASES = [
    # Conv3D family: forward-sized ...
    *conv(f32(2, 4, 5, 6, 3), f32(3, 3, 3, 3, 4), S1, "SAME", "same-s1", **NO_GRAD),
    *conv(f32(2, 5, 7, 6, 2), f32(3, 2, 3, 2, 3), [1, 2, 3, 2, 1], "SAME", "same-odd-strides",
          **NO_GRAD),
    *conv(f32(1, 6, 7, 5, 2), f32(2, 3, 2, 2, 3), [1, 2, 2, 1, 1], "VALID", "valid-strided",
          **NO_GRAD),
    *conv(f32(1, 7, 6, 6, 2), f32(3, 2, 3, 2, 2), S1, "SAME", "same-dilated",
          dilations=[1, 2, 1, 2, 1], **NO_GRAD),
    *conv(f32(1, 8, 7, 6, 2), f32(2, 3, 2, 2, 2), [1, 2, 1, 2, 1], "VALID",
          "valid-dilated-strided", dilations=[1, 3, 2, 1, 1], **NO_GRAD),
    *conv(f32(2, 3, 4, 5, 6), f32(2, 2, 3, 3, 4), [1, 1, 2, 1, 2], "SAME", "ncdhw",
          data_format="NCDHW", **NO_GRAD),
    *conv(f32(2, 3, 5, 4, 3), f32(1, 1, 1, 3, 5), S2, "SAME", "1x1x1-s2", **NO_GRAD),
    *conv(f32(0, 3, 4, 4, 2), f32(2, 2, 2, 2, 3), S1, "SAME", "empty-batch", **NO_GRAD),
    *conv(f32(1, 3, 4, 4, 2).astype(np.float16), f32(2, 2, 2, 2, 2).astype(np.float16), S1,
          "SAME", "f16", **NO_GRAD),
    *conv(R.standard_normal((1, 4, 4, 3, 2)), R.standard_normal((2, 3, 2, 2, 3)), S2, "SAME",
          "f64", **NO_GRAD),
    # Above 2**20 patch elements: the per-tap matmul paths instead of im2col.
    *conv(f32(2, 8, 24, 24, 16), f32(3, 3, 3, 16, 4), S1, "SAME", "large-tap-path",
          atol=2e-3, rtol=1e-3, **NO_GRAD, unknown_shapes=False),
    Case("Conv3DBackpropInputV2", [Const(np.array([1, 3, 4, 4, 2], np.int64)),
                                   f32(2, 2, 2, 2, 3), f32(1, 3, 4, 4, 3)],
         ref=ref_conv3d_backprop_input, attrs={"strides": S1, "padding": "SAME"},
         id="Conv3DBackpropInputV2-int64-sizes", **LOOSE),
    # ... and small ones for the gradient checks (second derivatives through the other ops).
    *conv(f32(1, 3, 3, 4, 2), f32(2, 2, 2, 2, 2), S1, "SAME", "grad-same"),
    *conv(f32(2, 4, 3, 5, 1), f32(2, 1, 2, 1, 2), [1, 2, 1, 2, 1], "VALID", "grad-valid-s2"),
    *conv(f32(1, 4, 3, 4, 1), f32(2, 2, 2, 1, 1), S1, "SAME", "grad-dilated",
          dilations=[1, 2, 1, 2, 1]),
    *conv(f32(1, 2, 3, 3, 3), f32(2, 2, 1, 2, 2), S1, "SAME", "grad-ncdhw",
          data_format="NCDHW"),

    # 3-D pooling: forward-sized ...
    *pool(f32(2, 5, 5, 6, 3), [1, 2, 2, 2, 1], S2, "SAME", "2x2x2-s2-same-odd", **NO_GRAD),
    *pool(f32(2, 6, 4, 8, 2), [1, 2, 2, 2, 1], S2, "VALID", "2x2x2-s2-valid-tiles", **NO_GRAD),
    *pool(f32(1, 7, 6, 5, 2), [1, 3, 2, 3, 1], [1, 2, 1, 2, 1], "VALID", "3x2x3-valid",
          **NO_GRAD),
    *pool(f32(1, 5, 6, 4, 2), [1, 3, 3, 2, 1], [1, 1, 2, 3, 1], "SAME", "mixed-same",
          **NO_GRAD),
    *pool(f32(2, 3, 4, 5, 6), [1, 1, 2, 3, 2], [1, 1, 2, 2, 2], "SAME", "ncdhw",
          data_format="NCDHW", **NO_GRAD),
    *pool(f32(0, 4, 4, 4, 2), [1, 2, 2, 2, 1], S2, "SAME", "empty-batch", **NO_GRAD),
    *pool(R.integers(0, 3, (1, 4, 4, 4, 2)).astype(np.float32), [1, 3, 3, 3, 1], S1, "SAME",
          "ties"),
    # ... and gradient checks (distinct values: no ties near the max).
    *pool(distinct(1, 4, 4, 4, 1), [1, 2, 2, 2, 1], S2, "VALID", "grad-tiles"),
    *pool(distinct(1, 3, 5, 4, 2), [1, 3, 3, 2, 1], [1, 2, 2, 1, 1], "SAME", "grad-same"),
    *pool(distinct(1, 2, 3, 4, 3), [1, 1, 2, 2, 2], [1, 1, 1, 2, 2], "SAME", "grad-ncdhw",
          data_format="NCDHW"),

    # MaxPoolWithArgmax and its gradient op
    *argmax(f32(2, 5, 6, 3), [1, 3, 3, 1], [1, 2, 2, 1], "SAME", "same", **NO_GRAD),
    *argmax(f32(2, 6, 7, 2), [1, 2, 3, 1], [1, 2, 1, 1], "VALID", "valid-batch-index",
            batch=True, **NO_GRAD),
    *argmax(R.integers(-5, 5, (2, 5, 5, 2)).astype(np.int32), [1, 3, 3, 1], [1, 1, 1, 1],
            "SAME", "int32-ties-int32-index", targmax=np.int32),
    *argmax(distinct(2, 4, 5, 2), [1, 2, 2, 1], [1, 2, 2, 1], "SAME", "grad"),
    *argmax(distinct(1, 5, 4, 2), [1, 3, 2, 1], [1, 1, 1, 1], "SAME", "grad-overlap-batch",
            batch=True),

    # MaxPoolV2 family
    *pool_v2(f32(2, 5, 6, 3), [1, 3, 3, 1], [1, 2, 2, 1], "SAME", "same", **NO_GRAD),
    *pool_v2(f32(2, 3, 6, 7), [1, 1, 2, 3], [1, 1, 2, 1], "VALID", "nchw",
             data_format="NCHW", **NO_GRAD),
    *pool_v2(distinct(1, 4, 5, 2), [1, 2, 2, 1], [1, 2, 1, 1], "SAME", "grad"),
]
