"""Cases for Dilation2D and its gradient ops (against a naive reference: loops over output
positions and taps, bounds checks instead of padding), the candidate samplers (properties of
the random draws; expected counts computed by hand from TF's formulas) and
ComputeAccidentalHits. Side by side with TensorFlow: tests/core/test_nn_extra.py."""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(11)
S1 = [1, 1, 1, 1]


def image(*shape):
    """Distinct whole numbers, the same on every call of one shape."""
    n = int(np.prod(shape))
    return (np.random.default_rng(n).permutation(n).reshape(shape) - n // 2).astype(np.float32)


def taps(*shape):
    """Distinct fractions in [0, 1): added to ``image`` values, no two sums tie, so each
    window's maximum (and the gradient's route) is unique, with gaps far above the gradient
    check's epsilon."""
    n = int(np.prod(shape))
    return (np.random.default_rng(n + 1).permutation(n).reshape(shape) / n).astype(np.float32)


def _dim(size, k, stride, rate, padding):
    """(output size, pad before) as TF's GetWindowedOutputSize."""
    eff = (k - 1) * rate + 1
    if padding == "SAME":
        out = -(-size // stride)
        return out, max((out - 1) * stride + eff - size, 0) // 2
    return max((size - eff + stride) // stride, 0), 0


def ref_dilation(x, f, dy=None, *, strides, rates, padding):
    """(output, input gradient, filter gradient) by explicit loops; ``dy`` defaults to ones."""
    n, h, w, c = x.shape
    kh, kw, _ = f.shape
    oh, pt = _dim(h, kh, strides[1], rates[1], padding)
    ow, pl = _dim(w, kw, strides[2], rates[2], padding)
    lowest = np.finfo(x.dtype).min if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    out = np.full((n, oh, ow, c), lowest, x.dtype)
    dx, df = np.zeros_like(x), np.zeros_like(f)
    dy = np.ones(out.shape, x.dtype) if dy is None else dy
    for b, y, xo, d in np.ndindex(n, oh, ow, c):
        y0, x0 = y * strides[1] - pt, xo * strides[2] - pl
        best, at, tap = lowest, (max(y0, 0), max(x0, 0)), (0, 0)
        for i, j in np.ndindex(kh, kw):
            yy, xx = y0 + i * rates[1], x0 + j * rates[2]
            if 0 <= yy < h and 0 <= xx < w and x[b, yy, xx, d] + f[i, j, d] > best:
                best, at, tap = x[b, yy, xx, d] + f[i, j, d], (yy, xx), (i, j)
        out[b, y, xo, d] = best
        dx[b, at[0], at[1], d] += dy[b, y, xo, d]
        df[tap[0], tap[1], d] += dy[b, y, xo, d]
    return out, dx, df


def _dilation_case(x, f, strides, rates, padding):
    attrs = {"strides": strides, "rates": rates, "padding": padding}
    return Case("Dilation2D", [x, f], lambda x, f, **a: ref_dilation(x, f, **a)[0], attrs=attrs)


def _backprop_cases(x, f, strides, rates, padding):
    attrs = {"strides": strides, "rates": rates, "padding": padding}
    dy = image(*ref_dilation(x, f, **attrs)[0].shape)
    return [Case("Dilation2DBackpropInput", [x, f, dy],
                 lambda x, f, dy, **a: ref_dilation(x, f, dy, **a)[1], attrs=attrs),
            Case("Dilation2DBackpropFilter", [x, f, dy],
                 lambda x, f, dy, **a: ref_dilation(x, f, dy, **a)[2], attrs=attrs)]


def _sampler_check(range_max, unique, p):
    """Sampled ids in range (and distinct when unique); with the number of draws unknown, the
    expected counts are those of TF's formula for some number of tries > num_sampled."""
    def check(outs, inputs):
        sampled, true_expected, sampled_expected = outs
        true_classes = inputs[0]
        assert sampled.dtype == np.int64 and ((sampled >= 0) & (sampled < range_max)).all()
        n = len(sampled)
        assert not unique or len(set(sampled.tolist())) == n
        # TF's shortcut: when the draws took exactly num_sampled tries, p * num_sampled.
        if not unique or np.allclose(sampled_expected, p(sampled) * n, rtol=1e-6):
            np.testing.assert_allclose(true_expected, p(true_classes) * n, rtol=1e-5)
            np.testing.assert_allclose(sampled_expected, p(sampled) * n, rtol=1e-5)
            return
        tries = np.log1p(-sampled_expected[0]) / np.log1p(-p(sampled[0]))
        assert tries > n - 1e-3
        np.testing.assert_allclose(true_expected, -np.expm1(tries * np.log1p(-p(true_classes))),
                                   rtol=1e-4)
    return check


def _uniform(k):
    return np.full(np.shape(k), 0.1)


# unigrams [1, 2, 3, 4] with distortion 0.5: weights sqrt(k + 1) over [0, 4).
_SQRT = np.sqrt([1.0, 2.0, 3.0, 4.0])
TRUE = np.array([[0, 3], [2, 1]], np.int64)


def _sampler(op, attrs, check, true=TRUE):
    return Case(op, [true], ref=None, check=check, attrs=dict(attrs, seed=3, seed2=4),
                id=f"{op}-{attrs.get('unique')}")


def _hits_ref(true_classes, sampled, **_):
    """TF 2.21 gave these for true [[1, 2], [3, 3], [5, 6]], sampled [3, 1, 7, 3]: class 3
    matches its last sampled position."""
    return (np.array([0, 1, 1], np.int32), np.array([1, 3, 3], np.int64),
            np.full(3, np.finfo(np.float32).min, np.float32))


# TF 2.21's RandomGammaGrad (float64) at these (alpha, sample) pairs.
GAMMA_ALPHA = np.array([0.1, 0.5, 1.0, 1.0, 2.5, 2.5, 2.5, 10.0, 10.0, 100.0, 0.3, 5.0, 50.0, 0.7])
GAMMA_SAMPLE = np.array([0.01, 0.3, 1.0, 0.05, 2.0, 0.2, 9.0, 10.0, 25.0, 95.0, 1e-6, 40.0, 50.0,
                         3.0])
GAMMA_GRAD = np.array([4.22793438e-01, 1.00980195e+00, 1.17356303e+00, 1.75913741e-01,
                       9.53462703e-01, 2.31394418e-01, 1.89171180e+00, 1.01682349e+00,
                       1.55224399e+00, 9.76198311e-01, 4.54877692e-05, 2.44804869e+00,
                       1.00333992e+00, 2.37793936e+00])


def _gamma_check(outs, inputs):
    """Gamma(alpha, 1): mean alpha and variance alpha per column (generous bounds)."""
    x = outs[0]
    alpha = inputs[1]
    assert x.shape == (4000, *alpha.shape) and (x >= 0).all()
    np.testing.assert_allclose(x.mean(0), alpha, rtol=0.1)
    np.testing.assert_allclose(x.var(0), alpha, rtol=0.2)


def _poisson_check(outs, inputs):
    x = outs[0]
    rate = inputs[1]
    assert x.shape == (4000, *rate.shape) and x.dtype == np.int64
    np.testing.assert_array_equal(x, np.round(x))
    np.testing.assert_allclose(x.mean(0), rate, rtol=0.1)
    np.testing.assert_allclose(x.var(0), rate, rtol=0.2)


def ref_bn_global(t, m, v, beta, gamma, *, variance_epsilon, scale_after_normalization):
    scale = gamma if scale_after_normalization else 1.0
    return (t - m) / np.sqrt(v + variance_epsilon) * scale + beta


def ref_bn_global_grad(t, m, v, gamma, dy, *, variance_epsilon, scale_after_normalization):
    """The derivatives of ref_bn_global written out (dg 0 when gamma is not applied)."""
    scale = gamma if scale_after_normalization else np.ones_like(gamma)
    inv = 1 / np.sqrt(v + variance_epsilon)
    dx = dy * inv * scale
    dm = -(dy * inv * scale).sum((0, 1, 2))
    dv = (dy * (t - m) * scale).sum((0, 1, 2)) * -0.5 * inv**3
    dg = (dy * (t - m) * inv).sum((0, 1, 2)) * scale_after_normalization
    return dx, dm, dv, dy.sum((0, 1, 2)), dg.astype(t.dtype)


def _bn_inputs(grad=False):
    t = R.standard_normal((2, 3, 2, 4))
    m, beta, gamma = R.standard_normal(4), R.standard_normal(4), R.standard_normal(4)
    v = R.uniform(0.5, 2.0, 4)
    return [t, m, v, gamma, R.standard_normal(t.shape)] if grad else [t, m, v, beta, gamma]


CASES = [
    *[Case("BatchNormWithGlobalNormalization", _bn_inputs(), ref_bn_global,
           attrs={"variance_epsilon": 0.01, "scale_after_normalization": s},
           id=f"BatchNormWithGlobalNormalization-{s}") for s in (True, False)],
    *[Case("BatchNormWithGlobalNormalizationGrad", _bn_inputs(True), ref_bn_global_grad,
           attrs={"variance_epsilon": 0.01, "scale_after_normalization": s},
           id=f"BatchNormWithGlobalNormalizationGrad-{s}") for s in (True, False)],
    Case("RandomGamma", [Const(np.array([4000], np.int32)), np.array([0.5, 3.0, 20.0])],
         ref=None, check=_gamma_check, attrs={"seed": 1, "seed2": 2}, grad=[]),
    Case("RandomGammaGrad", [GAMMA_ALPHA, GAMMA_SAMPLE], lambda a, x: GAMMA_GRAD, rtol=1e-7),
    Case("RandomPoissonV2", [Const(np.array([4000], np.int32)), np.array([[0.7, 4.0, 50.0]])],
         ref=None, check=_poisson_check, attrs={"seed": 3, "seed2": 4}),
    _dilation_case(image(2, 5, 6, 3), taps(2, 3, 3), S1, S1, "SAME"),
    _dilation_case(image(1, 7, 6, 2), taps(3, 2, 2), [1, 2, 1, 1], [1, 1, 2, 1], "VALID"),
    _dilation_case(image(1, 4, 5, 2), taps(2, 2, 2), [1, 2, 3, 1], [1, 3, 2, 1], "SAME"),
    Case("Dilation2D", [np.arange(24, dtype=np.int32).reshape(1, 4, 3, 2),
                        np.array([[[1, -1]], [[-2, 5]]], np.int32)],
         lambda x, f, **a: ref_dilation(x, f, **a)[0],
         attrs={"strides": S1, "rates": [1, 2, 1, 1], "padding": "SAME"}, id="Dilation2D-int"),
    *_backprop_cases(image(2, 5, 6, 3), taps(2, 3, 3), S1, S1, "SAME"),
    *_backprop_cases(image(1, 7, 6, 2), taps(3, 2, 2), [1, 2, 1, 1], [1, 1, 2, 1],
                     "VALID"),
    # Taps that all fall outside the input: TF sends the gradient to the clamped window start.
    *_backprop_cases(image(1, 2, 2, 1), taps(2, 2, 1), [1, 2, 2, 1], [1, 3, 3, 1],
                     "SAME"),
    _sampler("UniformCandidateSampler",
             {"num_true": 2, "num_sampled": 5, "unique": False, "range_max": 10},
             _sampler_check(10, False, _uniform)),
    _sampler("UniformCandidateSampler",
             {"num_true": 2, "num_sampled": 6, "unique": True, "range_max": 10},
             _sampler_check(10, True, _uniform)),
    # A first run: every count is still 1, so the distribution is uniform.
    _sampler("LearnedUnigramCandidateSampler",
             {"num_true": 2, "num_sampled": 4, "unique": False, "range_max": 10},
             _sampler_check(10, False, _uniform)),
    _sampler("FixedUnigramCandidateSampler",
             {"num_true": 2, "num_sampled": 3, "unique": True, "range_max": 4,
              "unigrams": [1.0, 2.0, 3.0, 4.0], "distortion": 0.5},
             _sampler_check(4, True, lambda k: _SQRT[k] / _SQRT.sum())),
    _sampler("FixedUnigramCandidateSampler",
             {"num_true": 2, "num_sampled": 7, "unique": False, "range_max": 4,
              "unigrams": [1.0, 2.0, 3.0, 4.0], "distortion": 0.5},
             _sampler_check(4, False, lambda k: _SQRT[k] / _SQRT.sum())),
    Case("AllCandidateSampler", [TRUE],
         lambda t, **a: (np.arange(5), np.ones((2, 2), np.float32), np.ones(5, np.float32)),
         attrs={"num_true": 2, "num_sampled": 5, "unique": True}),
    Case("ComputeAccidentalHits",
         [np.array([[1, 2], [3, 3], [5, 6]], np.int64), np.array([3, 1, 7, 3], np.int64)],
         _hits_ref, attrs={"num_true": 2}, exact_shape=False),
]

COVERED_BY = {  # a random op: its gradient is checked against TF's rule, not by differences
    "RandomGamma": "test_nn_extra_samplers.py::test_random_gamma_gradient",
}
