"""Cases for the ops of core/ops/misc_extra_ops.py: Timestamp (checked against the clock),
GuaranteeConst (its input unchanged) and ExtractVolumePatches, whose reference visits every
output position and window tap with explicit loops, padding worked out from TF's documented
SAME rule (out = ceil(in / stride), total padding split with the smaller half before).
EagerPyFunc runs a Python function named by a token, so test_tf1_misc.py covers it."""

import itertools
import time

import numpy as np

from .harness import Case

R = np.random.default_rng(2024)


def _check_timestamp(outputs, inputs):
    (t,) = outputs
    assert t.dtype == np.float64 and t.shape == ()
    assert abs(float(t) - time.time()) < 60.0, "Timestamp is not the time since the epoch"


def _volume_ref(x, *, ksizes, strides, padding):
    n, *spatial, c = x.shape
    ks, ss = ksizes[1:4], strides[1:4]
    outs, befores = [], []
    for size, k, s in zip(spatial, ks, ss):
        if padding == "VALID":
            out, before = max((size - k) // s + 1, 0), 0
        else:
            out = -(-size // s)
            before = max((out - 1) * s + k - size, 0) // 2
        outs.append(out)
        befores.append(before)
    ref = np.zeros((n, *outs, int(np.prod(ks)) * c), x.dtype)
    for b, p, r, q in itertools.product(range(n), *(range(o) for o in outs)):
        values = []
        for i, j, k in itertools.product(*(range(k) for k in ks)):
            at = (p * ss[0] - befores[0] + i, r * ss[1] - befores[1] + j,
                  q * ss[2] - befores[2] + k)
            inside = all(0 <= a < size for a, size in zip(at, spatial))
            values.extend(x[(b, *at)] if inside else np.zeros(c, x.dtype))
        ref[b, p, r, q] = values
    return ref


def _vol(*shape, dtype=np.float32):
    if np.dtype(dtype).kind == "f":
        return R.standard_normal(shape).astype(dtype)
    return R.integers(-50, 50, shape).astype(dtype)


def _attrs(k, s, padding):
    return {"ksizes": [1, *k, 1], "strides": [1, *s, 1], "padding": padding}


CASES = [
    Case("Timestamp", [], ref=None, check=_check_timestamp, id="Timestamp"),
    Case("GuaranteeConst", [_vol(2, 3)], lambda x: x, id="GuaranteeConst-float32"),
    Case("GuaranteeConst", [np.array([3, -1, 7], np.int64)], lambda x: x,
         id="GuaranteeConst-int64"),
    Case("ExtractVolumePatches", [_vol(1, 3, 4, 3, 2)], _volume_ref,
         attrs=_attrs((2, 2, 2), (1, 1, 1), "VALID"), id="ExtractVolumePatches-valid"),
    Case("ExtractVolumePatches", [_vol(2, 3, 4, 3, 1)], _volume_ref,
         attrs=_attrs((2, 3, 2), (2, 1, 2), "SAME"), id="ExtractVolumePatches-same-strided"),
    Case("ExtractVolumePatches", [_vol(1, 4, 3, 5, 2)], _volume_ref,
         attrs=_attrs((3, 1, 2), (2, 3, 2), "VALID"), id="ExtractVolumePatches-valid-strided"),
    Case("ExtractVolumePatches", [_vol(1, 2, 2, 2, 2)], _volume_ref,
         attrs=_attrs((3, 3, 3), (1, 1, 1), "SAME"), id="ExtractVolumePatches-window-over-input"),
    Case("ExtractVolumePatches", [_vol(2, 3, 3, 4, 3, dtype=np.int32)], _volume_ref,
         attrs=_attrs((2, 2, 3), (1, 2, 1), "SAME"), id="ExtractVolumePatches-int32"),
    Case("ExtractVolumePatches", [_vol(1, 2, 3, 3, 1, dtype=np.uint8)], _volume_ref,
         attrs=_attrs((2, 2, 2), (1, 1, 1), "VALID"), id="ExtractVolumePatches-uint8"),
    Case("ExtractVolumePatches", [_vol(1, 2, 3, 3, 2)], _volume_ref,
         attrs=_attrs((3, 2, 2), (1, 1, 1), "VALID"), id="ExtractVolumePatches-no-output"),
]

COVERED_BY = {
    "EagerPyFunc": "tests/core/test_tf1_misc.py::test_py_function_passes_eager_tensors",
}
