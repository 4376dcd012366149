"""Cases for TensorFlow's stateless random ops. The references are the values real TensorFlow
2.21 printed for the same shapes, seeds, keys and counters (tf.raw_ops.<Op>, CPU); compared
exactly. More values, errors and side-by-side runs: tests/core/test_stateless_random.py."""

import numpy as np

from .harness import Case, Const

# A key and a counter whose low 64 bits carry into the high ones after the first block.
KEY = np.array([0x0123456789ABCDEF], np.uint64)
COUNTER = np.array([2**64 - 1, 5], np.uint64)


def _tf(*outputs, dtype=None):
    """A reference giving what TF 2.21 printed, whatever the inputs."""
    values = [np.asarray(v, dtype) if dtype else np.asarray(v) for v in outputs]
    return lambda *_, **__: values[0] if len(values) == 1 else tuple(values)


def _exact(op, inputs, ref, **attrs):
    return Case(op, inputs, ref, attrs=attrs, rtol=0, atol=0)


CASES = [
    _exact("StatelessRandomUniform", [Const([7]), np.array([1, 2], np.int64)],
           _tf([0.8440604, 0.19204533, 0.9962232, 0.1603874, 0.27199018, 0.649346,
                0.10694444], dtype=np.float32)),
    _exact("StatelessRandomNormal", [Const([3]), np.array([7, 11], np.int32)],
           _tf([0.5721170971858979, -0.3409141641154505, -0.32059098871919944]),
           dtype=np.float64),
    # Seed [9, 3]: the first group's second normal (3.368...) is rejected.
    _exact("StatelessTruncatedNormal", [Const([9]), np.array([9, 3], np.int32)],
           _tf([-0.3411348, 0.24889377, 0.6966312, -0.34111646, 0.9843474, 0.517113, 1.1480047,
                -1.2564796, -0.20355901], dtype=np.float32)),
    _exact("StatelessRandomUniformInt", [Const([5]), np.array([1, 2], np.int32),
                                         np.int32(-7), np.int32(1000003)],
           _tf([977083, 35462, 351697, 440472, 670120], dtype=np.int32)),
    _exact("StatelessRandomUniformFullInt", [Const([3]), np.array([1, 2], np.int32)],
           _tf([7464880146280614444, 1591045637757961278, 17389275318164050067],
               dtype=np.uint64)),
    _exact("StatelessRandomGetKeyCounter", [np.array([-1, 2], np.int32)],
           _tf([17920545180917238815], [0, 139143306436182141], dtype=np.uint64)),
    _exact("StatelessRandomGetKeyCounterAlg", [np.array([1, 2], np.int64)],
           _tf(np.array([10413732777507651514], np.uint64),
               np.array([0, 17830669156045600267], np.uint64), np.int32(1))),
    _exact("StatelessRandomGetAlg", [], _tf(np.int32(1))),
    _exact("StatelessRandomUniformV2", [Const([6]), KEY, COUNTER, Const(np.int32(3))],
           _tf([0.30913615, 0.25118804, 0.8064332, 0.9137417, 0.8783246, 0.82801473],
               dtype=np.float32)),
    _exact("StatelessRandomNormalV2", [Const([5]), KEY, COUNTER, Const(np.int32(1))],
           _tf([1.5322585, -0.011438048, -0.3383582, 0.56194496, -0.44940805],
               dtype=np.float32)),
    _exact("StatelessTruncatedNormalV2", [Const([5]), KEY, COUNTER, Const(np.int32(1))],
           _tf([0.3673441084090096, -1.1670463536901763, -1.7171663893181455,
                1.4477460675678306, 1.311218614935347]), dtype=np.float64),
    _exact("StatelessRandomUniformIntV2", [Const([5]), KEY, COUNTER, Const(np.int32(1)),
                                           np.int32(-3), np.int32(17)],
           _tf([-1, -1, 1, 6, 14], dtype=np.int32)),
    _exact("StatelessRandomUniformFullIntV2", [Const([5]), KEY, COUNTER, Const(np.int32(3))],
           _tf([4029125062, 3927975662, 1340553524, 3245667709, 359689457], dtype=np.uint32),
           dtype=np.uint32),
]
