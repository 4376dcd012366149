"""Cases for FakeQuantWithMinMax{Args,Vars,VarsPerChannel} and their *Gradient ops. References
follow TF's definition step by step in float32 scalars, one element at a time (the bit-exact
comparison with TF over many ranges is in test_fake_quant.py). The forward ops' gradient is a
straight-through step function, which central differences cannot check: it is compared with
TF's in test_fake_quant.py."""

import math

import numpy as np

from .harness import Case

R = np.random.default_rng(21)


def _nudged(lo, hi, num_bits=8, narrow_range=False):
    """TF's Nudge, in float32 scalars as TF computes it."""
    f = np.float32
    qmin, qmax = f(1 if narrow_range else 0), f(2 ** num_bits - 1)
    scale = (f(hi) - f(lo)) / (qmax - qmin)
    zero = min(max(qmin - f(lo) / scale, qmin), qmax)
    zero = f(math.floor(zero + 0.5))
    return (qmin - zero) * scale, (qmax - zero) * scale, scale


def _quantize(x, lo, hi, num_bits=8, narrow_range=False):
    nmin, nmax, scale = _nudged(lo, hi, num_bits, narrow_range)
    out = [nmin + math.floor((min(max(v, nmin), nmax) - nmin) / scale + np.float32(0.5)) * scale
           for v in np.asarray(x, np.float32).ravel()]
    return np.array(out, np.float32).reshape(np.shape(x))


def _per_channel(x, lo, hi, **kw):
    out = np.empty_like(x)
    for c in range(x.shape[-1]):
        out[..., c] = _quantize(x[..., c], float(lo[c]), float(hi[c]), **kw)
    return out


def _grads(g, x, lo, hi, **kw):
    nmin, nmax, _ = _nudged(lo, hi, **kw)
    inside = (x >= nmin) & (x <= nmax)
    return (np.where(inside, g, 0).astype(np.float32), np.float32(g[x < nmin].sum()),
            np.float32(g[x > nmax].sum()))


def _grads_per_channel(g, x, lo, hi, **kw):
    parts = [_grads(g[..., c], x[..., c], float(lo[c]), float(hi[c]), **kw)
             for c in range(x.shape[-1])]
    return (np.stack([p[0] for p in parts], -1), np.float32([p[1] for p in parts]),
            np.float32([p[2] for p in parts]))


X = (R.standard_normal((3, 4)) * 4).astype(np.float32)
G = R.standard_normal((3, 4)).astype(np.float32)
LO, HI = np.float32(-2.5), np.float32(3.0)
LOS, HIS = np.float32([-1, -6, 0.5, -3]), np.float32([1, 6, 2, 0.2])

CASES = [
    Case("FakeQuantWithMinMaxArgs", [X], lambda x: _quantize(x, -6.0, 6.0), grad=[], atol=1e-5),
    Case("FakeQuantWithMinMaxArgs", [X],
         lambda x, min, max, **kw: _quantize(x, min, max, **kw),  # noqa: A006 - TF's attrs
         attrs={"min": -1.0, "max": 2.5, "num_bits": 4, "narrow_range": True}, grad=[],
         atol=1e-5, id="FakeQuantWithMinMaxArgs-4bit-narrow"),
    Case("FakeQuantWithMinMaxArgsGradient", [G, X],
         lambda g, x, min, max: _grads(g, x, min, max)[0],  # noqa: A006
         attrs={"min": -1.0, "max": 2.5}),
    Case("FakeQuantWithMinMaxVars", [X, LO, HI],
         lambda x, lo, hi: _quantize(x, float(lo), float(hi)), grad=[], atol=1e-5),
    Case("FakeQuantWithMinMaxVars", [X, LO, HI],
         lambda x, lo, hi, **kw: _quantize(x, float(lo), float(hi), **kw), grad=[], atol=1e-5,
         attrs={"num_bits": 3}, id="FakeQuantWithMinMaxVars-3bit"),
    Case("FakeQuantWithMinMaxVarsGradient", [G, X, LO, HI],
         lambda g, x, lo, hi: _grads(g, x, float(lo), float(hi)), atol=1e-5),
    Case("FakeQuantWithMinMaxVarsPerChannel", [X, LOS, HIS],
         lambda x, lo, hi: _per_channel(x, lo, hi), grad=[], atol=1e-5),
    Case("FakeQuantWithMinMaxVarsPerChannelGradient", [G, X, LOS, HIS],
         lambda g, x, lo, hi, **kw: _grads_per_channel(g, x, lo, hi, **kw),
         attrs={"narrow_range": True}, atol=1e-5),
]

COVERED_BY = {
    # the gradient: TF's straight-through rule, compared with TF's own
    "FakeQuantWithMinMaxArgs": "test_fake_quant.py::test_gradients_match_tensorflow",
    "FakeQuantWithMinMaxVars": "test_fake_quant.py::test_gradients_match_tensorflow",
    "FakeQuantWithMinMaxVarsPerChannel": "test_fake_quant.py::test_gradients_match_tensorflow",
}
