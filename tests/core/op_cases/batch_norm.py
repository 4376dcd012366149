"""Cases for the fused batch-norm ops (FusedBatchNorm, V2, V3) and their gradient ops.
References are written from the definitions in float64.

The forward ops' gradient is TF's: only y's gradient flows back, and mean/variance get none.
In training mode batch_mean/batch_variance depend on x too, so the numerical check (which
differentiates every output) runs on inference-mode cases, where they echo the inputs; the
training-mode gradient is checked against y alone in test_batch_norm_fused.py. Likewise the
gradient ops' own gradient (TF's: the batch statistics recomputed from x) is numerically exact
as a function of the op's inputs in inference mode only; training mode is checked end to end
there (forward op -> gradient -> gradient again)."""

from functools import partial

import numpy as np

from .harness import Case

R = np.random.default_rng(11)
EMPTY = np.zeros(0, np.float32)


def f32(*shape, loc=0.0, sd=1.0):
    return (loc + sd * R.standard_normal(shape)).astype(np.float32)


def positive(*shape):
    return R.uniform(0.5, 2.0, shape).astype(np.float32)


def _last(a, axis):
    return np.moveaxis(np.asarray(a, np.float64), axis, -1)


def _axis(data_format):
    return 1 if data_format.startswith("NC") else len(data_format) - 1


def batch_norm(x, scale, offset, mean, variance, *, epsilon, exponential_avg_factor,
               data_format, is_training, v3):
    axis = _axis(data_format)
    xl = _last(x, axis)
    flat = xl.reshape(-1, xl.shape[-1])
    n = flat.shape[0]
    if is_training:
        m = flat.mean(0)
        var = ((flat - m) ** 2).mean(0)
        unbiased = var * n / (n - 1) if n > 1 else var
        f = exponential_avg_factor
        bm = m if f == 1 else (1 - f) * mean + f * m
        bv = unbiased if f == 1 else (1 - f) * variance + f * unbiased
        reserve = [m, var]
    else:
        m, var = mean.astype(np.float64), variance.astype(np.float64)
        bm, bv = m, var
        reserve = [m, var]  # TF leaves them uninitialised; minitf echoes mean and variance
    y = (xl - m) / np.sqrt(var + np.float32(epsilon)) * scale + offset
    u = scale.dtype
    out = [np.moveaxis(y, -1, axis).astype(x.dtype)] + [np.asarray(a).astype(u)
                                                        for a in [bm, bv] + reserve]
    return out + [np.zeros((), u)] if v3 else out


def batch_norm_grad(dy, x, scale, mean, variance, *rest, epsilon, data_format, is_training):
    axis = _axis(data_format)
    g, xl = _last(dy, axis), _last(x, axis)
    shape = xl.shape
    g, xl = g.reshape(-1, shape[-1]), xl.reshape(-1, shape[-1])
    inv = 1 / np.sqrt(variance + np.float32(epsilon))
    xhat = (xl - mean) * inv
    doffset = g.sum(0)
    dscale = (g * xhat).sum(0)
    if is_training:  # d/dx of scale * (x - mean_b(x)) / sqrt(var_b(x) + eps)
        dx = scale * inv * (g - g.mean(0) - xhat * (g * xhat).mean(0))
    else:
        dx = g * scale * inv
    dx = np.moveaxis(dx.reshape(shape), -1, axis).astype(x.dtype)
    u = mean.dtype
    return [dx, dscale.astype(u), doffset.astype(u), np.zeros(0, u), np.zeros(0, u)]


def _stats(x, data_format):
    """The reserve spaces a training forward pass gives: batch mean and biased variance."""
    flat = _last(x, _axis(data_format)).reshape(-1, x.shape[_axis(data_format)])
    return flat.mean(0).astype(np.float32), flat.var(0).astype(np.float32)


def _fwd(op, x, c, *, training, fmt="NHWC", factor=1.0, eps=0.001, given=None, **kw):
    v3 = op.endswith("V3")
    u = np.float32
    s, o = f32(c, loc=1.0), f32(c)
    m, v = (f32(c), positive(c)) if given is None else given
    if training and factor == 1.0 and given is None:
        m = v = np.zeros(0, u)  # TF1 passes empty mean/variance when training
    attrs = {"epsilon": eps, "exponential_avg_factor": factor, "data_format": fmt,
             "is_training": training}
    return Case(op, [x, s, o, m, v], partial(batch_norm, v3=v3), attrs=attrs,
                id=f"{op}-{fmt}-{'train' if training else 'infer'}-{factor}-{x.dtype}", **kw)


def _grad(op, shape, fmt, *, training, **kw):
    axis = _axis(fmt)
    c = shape[axis]
    x = f32(*shape, loc=0.5, sd=2.0)
    dy = f32(*shape)
    if training:
        m, v = _stats(x, fmt)
    else:
        m, v = f32(c), positive(c)
    extra = [np.zeros((), np.float32)] if op.endswith("V3") else []
    attrs = {"epsilon": 0.001, "data_format": fmt, "is_training": training}
    return Case(op, [dy, x, f32(c, loc=1.0), m, v] + extra, batch_norm_grad, attrs=attrs,
                id=f"{op}-{fmt}-{'train' if training else 'infer'}", rtol=1e-4, atol=1e-5, **kw)


TOL = {"rtol": 1e-4, "atol": 1e-5}
# Inference cases check x, scale and offset numerically; training ones the values only.
GRAD = {"grad": [0, 1, 2]}
NO_GRAD = {"grad": []}

CASES = [
    _fwd("FusedBatchNormV3", f32(3, 4, 5, 6, loc=2.0, sd=3.0), 6, training=True, **NO_GRAD, **TOL),
    _fwd("FusedBatchNormV3", f32(2, 4, 3, 3), 4, training=True, fmt="NCHW", factor=0.3,
         **NO_GRAD, **TOL),
    _fwd("FusedBatchNormV3", f32(2, 2, 3, 2, 3), 3, training=True, fmt="NDHWC", **NO_GRAD,
         **TOL),
    _fwd("FusedBatchNormV3", f32(2, 3, 2, 2, 3), 3, training=True, fmt="NCDHW", factor=0.5,
         **NO_GRAD, **TOL),
    _fwd("FusedBatchNormV3", f32(1, 1, 1, 5), 5, training=True, **NO_GRAD, **TOL),  # n = 1
    _fwd("FusedBatchNormV3", f32(2, 3, 3, 4), 4, training=False, **GRAD, **TOL),
    _fwd("FusedBatchNormV3", f32(2, 3, 2, 3), 3, training=False, fmt="NCHW", **GRAD, **TOL),
    _fwd("FusedBatchNormV3", f32(2, 2, 2, 2, 3), 3, training=False, fmt="NDHWC", **GRAD, **TOL),
    _fwd("FusedBatchNormV3", f32(2, 3, 2, 2, 2), 3, training=False, fmt="NCDHW", **GRAD, **TOL),
    _fwd("FusedBatchNormV3", f32(2, 3, 3, 4).astype(np.float16), 4, training=True,
         **NO_GRAD, rtol=2e-3, atol=2e-3),
    _fwd("FusedBatchNormV2", f32(2, 3, 3, 4), 4, training=True, **NO_GRAD, **TOL),
    _fwd("FusedBatchNormV2", f32(2, 3, 3, 4), 4, training=False, **GRAD, **TOL),
    _fwd("FusedBatchNormV2", f32(2, 4, 3, 2).astype(np.float16), 4, training=False,
         fmt="NCHW", **NO_GRAD, rtol=2e-3, atol=2e-3),
    _fwd("FusedBatchNorm", f32(2, 3, 3, 4), 4, training=True, factor=0.9, **NO_GRAD, **TOL),
    _fwd("FusedBatchNorm", f32(2, 4, 3, 3), 4, training=False, fmt="NCHW", **GRAD, **TOL),
]
for _op in ("FusedBatchNormGrad", "FusedBatchNormGradV2", "FusedBatchNormGradV3"):
    CASES += [
        _grad(_op, (3, 3, 2, 4), "NHWC", training=True, **NO_GRAD),
        _grad(_op, (2, 4, 3, 3), "NCHW", training=True, **NO_GRAD),
        _grad(_op, (2, 3, 2, 3), "NHWC", training=False, **GRAD),
        _grad(_op, (2, 3, 2, 2), "NCHW", training=False, **GRAD),
    ]
CASES += [
    _grad("FusedBatchNormGradV3", (2, 2, 3, 2, 3), "NDHWC", training=True, **NO_GRAD),
    _grad("FusedBatchNormGradV3", (2, 3, 2, 2, 2), "NCDHW", training=False, **GRAD),
]
