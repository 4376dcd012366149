"""Cases for the stateless samplers of core/ops/stateless_random_{extra,gamma,ptn}_ops.py.

The exact references are what real TensorFlow 2.21 printed for the same inputs (tf.raw_ops.<Op>,
CPU): these ops are a seed's Philox stream run through TF's rejection samplers, which no
independent formula reproduces value for value. Statistical checks (moments, supports), errors
and side-by-side runs are in tests/core/test_stateless_random_extra.py.

The gamma samples' gradient is TF's implicit one (RandomGammaGrad), not the derivative of the
rejection sampler's path, so central differences cannot check it; its test checks E[d x / d
alpha] = d E[x] / d alpha = 1 over many samples instead. The truncated normal's gradient in its
means and stddevs is pathwise (1 and the standardised sample) where the normal-rejection sampler
runs, which the gradient case below arranges.
"""

import numpy as np

from .harness import Case, Const

KEY = np.array([0x0123456789ABCDEF], np.uint64)
COUNTER = np.array([2**64 - 1, 5], np.uint64)  # the low word carries after the first block


def _tf(value, dtype):
    """A reference giving what TF 2.21 printed, whatever the inputs."""
    value = np.asarray(value, dtype)
    return lambda *_, **__: value


def _exact(op, inputs, ref, **attrs):
    return Case(op, inputs, ref, attrs=attrs, rtol=0, atol=0, grad=[])


def _randn_region_sample_check(outputs, inputs):
    """Every sample inside its bounds."""
    (out,) = outputs
    _, _, mean, std, lo, hi = inputs
    assert out.shape == (6, 2)
    assert ((out >= lo) & (out <= hi)).all()
    assert np.isfinite(out).all() and np.abs(out - mean).max() < 6 * std.max()


CASES = [
    # Row 0: classes 0..2 with weights 1 : e : e^2; row 1: a -inf logit is never drawn.
    _exact("StatelessMultinomial", [np.array([[0., 1., 2.], [5., -np.inf, 1.]], np.float32),
                                    Const(np.int32(11)), np.array([3, 4], np.int64)],
           _tf([[2, 2, 1, 2, 2, 2, 1, 0, 2, 1, 1], [0] * 11], np.int64)),
    # Knuth's sampler below rate 10, Hormann's from 10 up.
    _exact("StatelessRandomPoisson", [Const([3, 4]), np.array([1, 2], np.int32),
                                      np.array([0.5, 3., 12., 250.], np.float32)],
           _tf([[3, 6, 12, 258], [2, 3, 12, 248], [1, 6, 8, 242]], np.int32), dtype=np.int32),
    # Inversion (5 * 0.3 < 10), BTRS on 1 - p (50 * 0.1 < 10: inversion), BTRS (1000 * 0.02).
    _exact("StatelessRandomBinomial", [Const([4, 3]), np.array([5, 6], np.int64),
                                       np.array([5., 50., 1000.]), np.array([0.3, 0.9, 0.02])],
           _tf([[1, 45, 20], [3, 47, 27], [1, 50, 17], [2, 45, 24]], np.int64), dtype=np.int64),
    # alpha < 1 (boosted), == 1 (exponential), > 1.
    _exact("StatelessRandomGammaV2", [Const([4, 3]), np.array([4, 5], np.int32),
                                      np.array([0.3, 1., 7.5], np.float32)],
           _tf([[4.1535121e-01, 1.0658228e+00, 6.5817366e+00],
                [3.6877317e-03, 3.2570615e-02, 7.1294127e+00],
                [1.6388835e-02, 7.5023001e-01, 7.9239340e+00],
                [1.7467566e+00, 4.4645920e-01, 9.7209463e+00]], np.float32)),
    _exact("StatelessRandomGammaV3", [Const([3, 2]), KEY, COUNTER, Const(np.int32(1)),
                                      np.array([2.5, 0.7])],
           _tf([[0.8628251216040763, 0.68555080891953], [1.0382703498103394, 1.7902382415225917],
                [3.640816698929364, 0.05238887570376411]], np.float64)),
    # Column 0: normal rejection (3 stddevs below the mean); 1: exponential (bounds 2.25 to 49.75
    # stddevs above it); 2: uniform proposals (a 0.6-stddev interval around it).
    _exact("StatelessParameterizedTruncatedNormal",
           [Const([4, 3]), np.array([1, 2], np.int64), np.array([0., 1., -2.], np.float32),
            np.array([1., 2., 0.5], np.float32), np.array([-3., 5.5, -2.2], np.float32),
            np.array([1., 100., -1.9], np.float32)],
           _tf([[0.5441101, 6.490031, -2.0564835], [0.20738031, 7.19983, -2.1474886],
                [0.07356432, 6.125394, -1.9669789], [0.04643455, 6.720143, -2.1952841]],
               np.float32)),
    # Wide bounds: the normal-rejection sampler, whose samples are mean + stddev * z.
    Case("StatelessParameterizedTruncatedNormal",
         [Const([6, 2]), Const(np.array([7, 8], np.int64)), np.array([0.5, -1.0]),
          np.array([1.5, 0.7]), np.array([-3.0, -4.0]), np.array([4.0, 0.5])],
         ref=None, check=_randn_region_sample_check, grad=[0, 1],
         id="StatelessParameterizedTruncatedNormal-randn-grad"),
]

COVERED_BY = {
    "StatelessRandomGammaV2": "test_stateless_random_extra.py::test_gamma_gradient_is_unbiased",
    "StatelessRandomGammaV3": "test_stateless_random_extra.py::test_gamma_gradient_is_unbiased",
}
