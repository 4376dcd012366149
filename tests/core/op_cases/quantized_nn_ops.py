"""Cases for QuantizedRelu, QuantizedRelu6, QuantizedReluX, QuantizedMaxPool, QuantizedAvgPool,
QuantizedConv2D, QuantizedMatMul and QuantizedBiasAdd.

References follow TF's definitions (quantization_utils.h's FloatToQuantized and
QuantizationRangeForMultiplication, the reference conv/gemm loops of quantized_conv_ops.cc and
reference_gemm.h, SpatialAvgPool's integer mean) one element at a time with Python ints and
floats, independent of the vectorised kernels. Quantized inputs are one-field record arrays
(TF's numpy dtype for quint8...), so the harness feeds placeholders of the quantized type.
None of these ops has a gradient in TF (test_quantized_nn_ops.py checks the LookupError)."""

import math

import numpy as np

from minitf import dtypes

from .harness import Case

R = np.random.default_rng(11)
f = np.float32
LIMITS = {"qint8": (-128, 127), "quint8": (0, 255), "qint32": (-(2 ** 31), 2 ** 31 - 1)}
STORAGE = {"qint8": np.int8, "quint8": np.uint8, "qint32": np.int32}


def _record(values, name):
    return np.asarray(values, STORAGE[name]).view(np.dtype([(name, STORAGE[name])]))


def _ints(q):
    return q.view(STORAGE[q.dtype.names[0]]), q.dtype.names[0]


def _away(v):
    return math.copysign(math.floor(abs(v) + 0.5), v)


def level(value, lo, hi, name, clamp=True):
    """FloatToQuantized(Unclamped)<T>: round(v * s) - round(lo * s) + lowest, with
    s = 2^bits / ((hi - lo) * 2^bits / (2^bits - 1)), in doubles."""
    lowest, highest = LIMITS[name]
    if f(lo) == f(hi):
        return lowest
    steps = 2 ** (8 * np.dtype(STORAGE[name]).itemsize)
    scale = steps / (float(f(f(hi) - f(lo))) * (steps / (steps - 1.0)))
    q = int(_away(float(f(value)) * scale) - _away(float(f(lo)) * scale)) + lowest
    return min(max(q, lowest), highest) if clamp else q


def _relu_ref(x, lo, hi, top=None, **_):
    ints, name = _ints(x)
    low = level(0.0, lo, hi, name)
    out = [max(int(v), low) for v in ints.ravel()]
    if top is not None:
        out = [min(v, level(top, lo, hi, name)) for v in out]
    return np.array(out, np.int64).astype(ints.dtype).reshape(x.shape), f(lo), f(hi)


def _relu6_ref(x, lo, hi, **_):
    return _relu_ref(x, lo, hi, top=6.0)


def _relu_x_ref(x, top, lo, hi, **_):
    return _relu_ref(x, lo, hi, top=float(top))


def _windows(size, k, s, padding):
    """(start, stop) of each window's real input positions, TF's SAME/VALID geometry."""
    out = -(-size // s) if padding == "SAME" else (size - k) // s + 1
    before = max((out - 1) * s + k - size, 0) // 2 if padding == "SAME" else 0
    return [(max(o * s - before, 0), min(o * s - before + k, size)) for o in range(out)]


def _pool_ref(x, lo, hi, *, ksize, strides, padding, mean):
    ints, name = _ints(x)
    n, h, w, c = ints.shape
    rows = _windows(h, ksize[1], strides[1], padding)
    cols = _windows(w, ksize[2], strides[2], padding)
    out = np.zeros((n, len(rows), len(cols), c), np.int64)
    for b in range(n):
        for i, (r0, r1) in enumerate(rows):
            for j, (c0, c1) in enumerate(cols):
                for d in range(c):
                    vals = [int(v) for v in ints[b, r0:r1, c0:c1, d].ravel()]
                    if mean:  # int32 sum / count, truncated toward zero, clamped
                        q = int(sum(vals) / len(vals))
                        out[b, i, j, d] = min(max(q, LIMITS[name][0]), LIMITS[name][1])
                    else:
                        out[b, i, j, d] = max(vals)
    return out.astype(ints.dtype), f(lo), f(hi)


def _max_pool_ref(x, lo, hi, **attrs):
    return _pool_ref(x, lo, hi, mean=False, **attrs)


def _avg_pool_ref(x, lo, hi, **attrs):
    return _pool_ref(x, lo, hi, mean=True, **attrs)


def _product_range(a_lo, a_hi, b_lo, b_hi):
    """QuantizationRangeForMultiplication<quint8, quint8, qint32> in float32 steps."""
    level_c = f(f(f(a_hi) - f(a_lo)) / f(255)) * f(f(f(b_hi) - f(b_lo)) / f(255))
    return f(level_c * f(-(2 ** 31))), f(level_c * f(2 ** 31 - 1))


def _conv_ref(x, flt, lo, hi, flo, fhi, *, strides, padding, out_type=None, dilations=None):
    """ReferenceConvFunctor's loops; outside the image TF's im2col buffer holds the input's
    zero point as a byte (its low 8 bits), or counts as zero when the zero point is
    negative."""
    xi, fi = _ints(x)[0].astype(np.int64), _ints(flt)[0].astype(np.int64)
    n, h, w, c = xi.shape
    kh, kw, _, o = fi.shape
    s = strides[1]
    oh = -(-h // s) if padding == "SAME" else (h - kh + s) // s
    ow = -(-w // s) if padding == "SAME" else (w - kw + s) // s
    extra = 1 if padding == "VALID" else 0  # the +1 of Im2ColConvFunctor's VALID offset
    top = int(((oh - 1) * s + kh - h + extra) / 2)  # C++ division truncates toward zero
    left = int(((ow - 1) * s + kw - w + extra) / 2)
    off_in, off_f = level(0.0, lo, hi, "quint8", False), level(0.0, flo, fhi, "quint8", False)
    outside = off_in if off_in < 0 else off_in % 256
    out = np.zeros((n, oh, ow, o), np.int64)
    for b in range(n):
        for y in range(oh):
            for xo in range(ow):
                for oc in range(o):
                    total = 0
                    for fy in range(kh):
                        for fx in range(kw):
                            iy, ix = y * s - top + fy, xo * s - left + fx
                            inside = 0 <= iy < h and 0 <= ix < w
                            for ic in range(c):
                                v = int(xi[b, iy, ix, ic]) if inside else outside
                                total += (v - off_in) * (int(fi[fy, fx, ic, oc]) - off_f)
                    out[b, y, xo, oc] = total
    return (out.astype(np.int32), *_product_range(lo, hi, flo, fhi))


def _matmul_ref(a, b, a_lo, a_hi, b_lo, b_hi, *, transpose_a=False, transpose_b=False, **_):
    ai, bi = _ints(a)[0].astype(np.int64), _ints(b)[0].astype(np.int64)
    ai, bi = (ai.T if transpose_a else ai), (bi.T if transpose_b else bi)
    oa, ob = level(0.0, a_lo, a_hi, "quint8", False), level(0.0, b_lo, b_hi, "quint8", False)
    out = [[sum((int(ai[i, k]) - oa) * (int(bi[k, j]) - ob) for k in range(ai.shape[1]))
            for j in range(bi.shape[1])] for i in range(ai.shape[0])]
    return (np.array(out, np.int64).astype(np.int32), *_product_range(a_lo, a_hi, b_lo, b_hi))


def _to_total(v, lo, hi, name, out_lo, out_hi):
    """DEQUANTIZE_WITH_EIGEN then QUANTIZE_WITH_EIGEN into qint32, one value, in float32."""
    lowest = LIMITS[name][0]
    scale = f(float(f(f(hi) - f(lo))) / 255.0)
    rounded = f(_away(float(f(f(lo) / scale))) * scale)
    x = f(f(rounded - f(f(lowest) * scale)) + f(f(v) * scale))
    out_scale = f((2.0 ** 32 - 1.0) / float(f(out_hi - out_lo)))
    q = _away(float(f(x * out_scale))) - f(_away(float(f(out_lo * out_scale))) + f(2 ** 31))
    return int(min(max(q, -2147483648.0), 2147483520.0))


def _bias_add_ref(x, bias, lo, hi, blo, bhi, **_):
    xi, name = _ints(x)
    bi = _ints(bias)[0]
    out_hi = f(max(f(hi), -f(lo), f(bhi), -f(blo)) * f(2 ** 17))
    out_lo = -out_hi
    zero = level(0.0, out_lo, out_hi, "qint32")
    flat = xi.reshape(-1, bi.size)
    out = [[_to_total(int(v), lo, hi, name, out_lo, out_hi)
            + _to_total(int(bi[j]), blo, bhi, name, out_lo, out_hi) + zero
            for j, v in enumerate(row)] for row in flat]
    return np.array(out, np.int64).astype(np.int32).reshape(xi.shape), out_lo, out_hi


QU8 = _record(R.integers(0, 256, (2, 5, 6, 3)), "quint8")
Q8 = _record(R.integers(-128, 128, (2, 5, 6, 3)), "qint8")
Q32 = _record(R.integers(-(2 ** 20), 2 ** 20, (3, 4), dtype=np.int64), "qint32")
FILTER = _record(R.integers(0, 256, (3, 2, 3, 4)), "quint8")
A = _record(R.integers(0, 256, (3, 5)), "quint8")
B = _record(R.integers(0, 256, (5, 4)), "quint8")
POOL = {"ksize": [1, 3, 2, 1], "strides": [1, 2, 2, 1]}

CASES = [
    Case("QuantizedRelu", [QU8, f(-1.3), f(4.2)], _relu_ref, attrs={"out_type": dtypes.quint8}),
    Case("QuantizedRelu", [Q32, f(-3e4), f(2e4)], _relu_ref, attrs={"out_type": dtypes.qint32},
         id="QuantizedRelu-qint32"),
    Case("QuantizedRelu6", [QU8, f(-2.0), f(9.5)], _relu6_ref,
         attrs={"out_type": dtypes.quint8}),
    Case("QuantizedRelu6", [Q32, f(-1e-3), f(2e-3)], _relu6_ref,
         attrs={"out_type": dtypes.qint32}, id="QuantizedRelu6-qint32"),
    Case("QuantizedReluX", [QU8, f(2.5), f(-1.0), f(5.0)], _relu_x_ref,
         attrs={"out_type": dtypes.quint8}),
    Case("QuantizedMaxPool", [QU8, f(-1), f(2)], _max_pool_ref,
         attrs=dict(POOL, padding="SAME")),
    Case("QuantizedMaxPool", [Q8, f(-1), f(2)], _max_pool_ref,
         attrs={"ksize": [1, 2, 3, 1], "strides": [1, 1, 2, 1], "padding": "VALID"},
         id="QuantizedMaxPool-qint8-valid"),
    Case("QuantizedAvgPool", [QU8, f(0), f(6)], _avg_pool_ref, attrs=dict(POOL, padding="SAME")),
    Case("QuantizedAvgPool", [Q8, f(-3), f(3)], _avg_pool_ref,
         attrs={"ksize": [1, 2, 2, 1], "strides": [1, 1, 3, 1], "padding": "SAME"},
         id="QuantizedAvgPool-qint8"),
    Case("QuantizedConv2D", [QU8, FILTER, f(-1.5), f(2.5), f(-0.7), f(0.9)], _conv_ref,
         attrs={"strides": [1, 1, 1, 1], "padding": "SAME"}),
    Case("QuantizedConv2D", [QU8, FILTER, f(-4), f(-1), f(0.5), f(3)], _conv_ref,
         attrs={"strides": [1, 2, 2, 1], "padding": "SAME"}, id="QuantizedConv2D-offsets-out"),
    Case("QuantizedConv2D", [QU8, FILTER, f(0), f(1), f(-1), f(1)], _conv_ref,
         attrs={"strides": [1, 3, 3, 1], "padding": "VALID"}, id="QuantizedConv2D-valid-s3"),
    Case("QuantizedMatMul", [A, B, f(-1), f(1), f(-0.5), f(3)], _matmul_ref),
    Case("QuantizedMatMul", [A, A, f(0.5), f(2), f(-8), f(-2)], _matmul_ref,
         attrs={"transpose_a": True}, id="QuantizedMatMul-transpose-a"),
    Case("QuantizedBiasAdd", [QU8, QU8[0, 0, 0], f(-1), f(1), f(-0.5), f(3)], _bias_add_ref,
         attrs={"out_type": dtypes.qint32}),
    Case("QuantizedBiasAdd", [Q8, Q8[1, 2, 3], f(-2), f(2), f(-6), f(1)], _bias_add_ref,
         attrs={"out_type": dtypes.qint32}, id="QuantizedBiasAdd-qint8"),
]

COVERED_BY = {
    # against element-at-a-time references of TF's kernels and values TF 2.21 gave
    "QuantizeDownAndShrinkRange":
        "test_quant_probe_fixes.py::test_requantization_range_and_shrink_range",
    "Requantize": "test_quant_probe_fixes.py::test_requantize_is_tfs_fixed_point",
    "RequantizationRange": "test_quant_probe_fixes.py::test_requantization_range_and_shrink_range",
    "QuantizedAdd": "test_quant_probe_fixes.py::test_quantized_add_and_mul_broadcast_as_tf",
    "QuantizedMul": "test_quant_probe_fixes.py::test_quantized_add_and_mul_broadcast_as_tf",
    "QuantizedReshape": "test_quant_probe_fixes.py::test_quantized_reshape",
    "QuantizedResizeBilinear": "test_quant_probe_fixes.py::test_quantized_resize_bilinear_as_tf",
}
