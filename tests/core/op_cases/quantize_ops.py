"""Cases for QuantizeV2, Dequantize, QuantizedConcat and QuantizeAndDequantizeV2/V3/V4 (+ V4Grad).

References follow TF's definitions (the formulas of its op docs and kernels) one element at a
time with Python floats rounded to float32 (np.float32 scalars), independent of the vectorised
kernels; inputs avoid exact rounding ties, which test_quantize_ops.py checks against hand
values and TF bit for bit. Quantized inputs are one-field record arrays (TF's numpy dtype for
qint8...), so the harness feeds placeholders of the quantized type.

The QuantizeAndDequantize ops are step functions whose gradient is TF's straight-through (or
range-masked) rule, which central differences cannot check: test_quantize_ops.py compares it
with hand values and with TF's."""

import math

import numpy as np

from minitf import dtypes

from .harness import Case, Const

R = np.random.default_rng(7)
f = np.float32
LIMITS = {"qint8": (-128, 127), "quint8": (0, 255), "qint16": (-32768, 32767),
          "quint16": (0, 65535), "qint32": (-(2 ** 31), 2 ** 31 - 1)}
STORAGE = {"qint8": np.int8, "quint8": np.uint8, "qint16": np.int16, "quint16": np.uint16,
           "qint32": np.int32}


def _away(v):
    """Round half away from zero (std::round)."""
    return math.copysign(math.floor(abs(v) + 0.5), v)


def _adjusted(lo, hi, ensure=0.01):
    lo, hi = f(lo), f(hi)
    mn = min(f(0), lo)
    eps = f(max(f(1), abs(lo), abs(hi)) * f(ensure))
    return mn, max(f(0), hi, f(mn + eps))


def _quantize_ref(x, lo, hi, *, T, mode="MIN_COMBINED", round_mode="HALF_AWAY_FROM_ZERO",
                  narrow_range=False, axis=-1, ensure_minimum_range=0.01):
    qmin, qmax = LIMITS[T.name]
    mn, mx = _adjusted(float(lo), float(hi), ensure_minimum_range)
    out = []
    if mode == "MIN_COMBINED":  # out = (x - min) * range(T) / (max - min), minus half if signed
        scale = f((qmax - qmin) / float(f(mx - mn)))
        for v in x.ravel():
            s = f(f(min(max(v, mn), mx) - mn) * scale)
            out.append(_away(f(s - f((qmax - qmin + 1) / 2))) if qmin < 0 else math.floor(s + .5))
    elif mode == "SCALED":
        lo_q = qmin + (1 if narrow_range else 0)
        scale = min(f(lo_q / mn) if lo_q * mn > 0 else np.finfo(f).max,
                    f(qmax / mx) if qmax * mx > 0 else np.finfo(f).max)
        mn, mx = f(lo_q / scale), f(qmax / scale)
        for v in x.ravel():
            s = float(f(min(max(v, mn), mx) * scale))
            out.append(round(s) if round_mode == "HALF_TO_EVEN" else _away(s))
    else:  # MIN_FIRST: round(x * s) - round(min * s) + lowest, s = (2^bits - 1) / range
        s = f((2.0 ** (8 * np.dtype(STORAGE[T.name]).itemsize) - 1) / float(f(mx - mn)))
        for v in x.ravel():
            q = _away(f(v * s)) - f(_away(f(mn * s)) - qmin)
            out.append(min(max(q, qmin), qmax))
    return np.array(out, np.int64).astype(STORAGE[T.name]).reshape(x.shape), f(mn), f(mx)


def _dequantize_ref(q, lo, hi, *, mode="MIN_COMBINED", narrow_range=False, axis=-1,
                    dtype=None):
    name = q.dtype.names[0]
    ints = q.view(STORAGE[name])
    qmin, qmax = LIMITS[name]
    lo, hi = f(lo), f(hi)
    out = []
    for v in ints.ravel():
        v = f(int(v))
        if mode == "MIN_COMBINED":
            half = f(0) if qmin == 0 else f((qmax - qmin + 1) / 2)
            out.append(f(f(f(v + half) * f(f(hi - lo) / f(qmax - qmin))) + lo))
        elif mode == "SCALED":
            scale = f(hi / qmax) if qmin == 0 else \
                max(f(lo / (qmin + (1 if narrow_range else 0))), f(hi / qmax))
            out.append(f(v * scale))
        else:
            scale = f(float(f(hi - lo)) / (2.0 ** (8 * ints.dtype.itemsize) - 1))
            rounded = f(_away(f(lo / scale)) * scale)
            out.append(f(f(rounded - f(f(qmin) * scale)) + f(v * scale)))
    return np.array(out, f).reshape(q.shape)


def _record(values, name):
    """A quantized tensor's numpy value as TF gives it: a one-field record array."""
    return np.asarray(values, STORAGE[name]).view(np.dtype([(name, STORAGE[name])]))


def _qdq_ref(x, lo, hi, *, signed_input=True, num_bits=8, range_given=False,
             round_mode="HALF_TO_EVEN", narrow_range=False, axis=-1):
    t = x.dtype.type
    if not range_given:
        lo, hi = x.min(), x.max()
    lo, hi = t(lo), t(hi)
    qmin = -(2 ** (num_bits - 1)) + (1 if narrow_range else 0) if signed_input else 0
    qmax = 2 ** (num_bits - 1) - 1 if signed_input else 2 ** num_bits - 1
    big = np.finfo(t).max
    s_min = t(qmin / lo) if qmin * lo > 0 else big
    s_max = t(qmax / hi) if qmax * hi > 0 else big
    if s_min < s_max:
        scale, inv = s_min, t(lo / qmin)
        hi = t(qmax * inv)
    else:
        scale, inv = s_max, t(hi / qmax)
        lo = t(qmin * inv)
    out = []
    for v in x.ravel():
        if range_given:
            v = min(max(v, lo), hi)
        s = float(t(v * scale))
        r = round(s) if round_mode == "HALF_TO_EVEN" else math.floor(s + 0.5)
        out.append(t(r * inv))
    return np.array(out, x.dtype).reshape(x.shape)


def _v3_ref(x, lo, hi, bits, range_given=True, **kw):  # V3 takes the range by default
    return _qdq_ref(x, lo, hi, num_bits=int(bits), range_given=range_given, **kw)


def _v4_grad_ref(g, x, lo, hi, axis=-1):
    inside = (x >= lo) & (x <= hi)
    return np.where(inside, g, 0).astype(x.dtype), np.zeros_like(lo), np.zeros_like(hi)


def _requantize_ref(ints, name, lo, hi, out_lo, out_hi):
    as_float = _dequantize_ref(_record(ints, name), lo, hi, mode="MIN_FIRST")
    qmin, qmax = LIMITS[name]
    s = f((2.0 ** (8 * np.dtype(STORAGE[name]).itemsize) - 1) / float(f(out_hi - out_lo)))
    out = [min(max(_away(f(v * s)) - f(_away(f(out_lo * s)) - qmin), max(qmin, -2.147483648e9)),
               min(qmax, 2.147483520e9)) for v in as_float.ravel()]
    return np.array(out, np.int64).astype(STORAGE[name]).reshape(ints.shape)


def _concat_ref(dim, values, mins, maxes):
    name = values[0].dtype.names[0]
    ints = [v.view(STORAGE[name]) for v in values]
    lo, hi = min(0.0, *map(float, mins)), max(map(float, maxes))
    if LIMITS[name][0] < 0:
        lo, hi = -max(abs(lo), abs(hi)), max(abs(lo), abs(hi))
    parts = [i if (m == lo and x == hi) else _requantize_ref(i, name, m, x, f(lo), f(hi))
             for i, m, x in zip(ints, mins, maxes)]
    return np.concatenate(parts, int(dim)), f(lo), f(hi)


X = (R.standard_normal((3, 4)) * 2).astype(f)
X64 = (R.standard_normal((2, 5)) * 3).astype(np.float64)
G = R.standard_normal((3, 4)).astype(f)
LO, HI = f(-2.5), f(3.0)
Q8 = _record(R.integers(-128, 128, (3, 4)), "qint8")
QU8 = _record(R.integers(0, 256, (2, 3)), "quint8")
Q32 = _record(R.integers(-(2 ** 31), 2 ** 31, (2, 3), dtype=np.int64), "qint32")

CASES = [
    Case("QuantizeV2", [X, LO, HI], _quantize_ref, attrs={"T": dtypes.qint8}),
    Case("QuantizeV2", [X, LO, HI], _quantize_ref, attrs={"T": dtypes.quint8},
         id="QuantizeV2-quint8"),
    Case("QuantizeV2", [X, f(-1), f(1)], _quantize_ref,
         attrs={"T": dtypes.qint16, "mode": "SCALED"}, id="QuantizeV2-qint16-scaled"),
    Case("QuantizeV2", [X, LO, HI], _quantize_ref,
         attrs={"T": dtypes.qint8, "mode": "SCALED", "round_mode": "HALF_TO_EVEN",
                "narrow_range": True}, id="QuantizeV2-scaled-even-narrow"),
    Case("QuantizeV2", [X, LO, HI], _quantize_ref, attrs={"T": dtypes.quint8, "mode": "MIN_FIRST"},
         id="QuantizeV2-quint8-min-first"),
    Case("QuantizeV2", [X, f(0.5), f(0.5)], _quantize_ref,
         attrs={"T": dtypes.quint16, "ensure_minimum_range": 0.25}, id="QuantizeV2-min-eq-max"),
    Case("Dequantize", [Q8, LO, HI], _dequantize_ref),
    Case("Dequantize", [QU8, f(-1), f(4)], _dequantize_ref, attrs={"mode": "MIN_FIRST"},
         id="Dequantize-quint8-min-first"),
    Case("Dequantize", [Q8, LO, HI], _dequantize_ref, attrs={"mode": "SCALED",
                                                             "narrow_range": True},
         id="Dequantize-scaled-narrow"),
    Case("Dequantize", [Q32, f(-1), f(1)], _dequantize_ref, id="Dequantize-qint32"),
    Case("QuantizedConcat", [Const(np.int32(1)), [QU8, QU8[:, :2]], [f(-1), f(0)], [f(2), f(3)]],
         _concat_ref),
    Case("QuantizedConcat", [Const(np.int32(0)), [Q32, Q32], [f(-1), f(-1)], [f(1), f(1)]],
         _concat_ref, id="QuantizedConcat-qint32-same-range"),
    Case("QuantizeAndDequantizeV2", [X, LO, HI], _qdq_ref, grad=[]),
    Case("QuantizeAndDequantizeV2", [X, LO, HI], _qdq_ref, grad=[],
         attrs={"range_given": True, "num_bits": 4, "round_mode": "HALF_UP",
                "narrow_range": True}, id="QuantizeAndDequantizeV2-4bit-given"),
    Case("QuantizeAndDequantizeV2", [X64, np.float64(-2.5), np.float64(3)], _qdq_ref, grad=[],
         attrs={"signed_input": False, "range_given": True}, id="QuantizeAndDequantizeV2-f64"),
    Case("QuantizeAndDequantizeV3", [X, LO, HI, np.int32(5)], _v3_ref, grad=[]),
    Case("QuantizeAndDequantizeV3", [X, LO, HI, np.int32(3)], _v3_ref, grad=[],
         attrs={"range_given": False, "signed_input": False},
         id="QuantizeAndDequantizeV3-unsigned-3bit"),
    Case("QuantizeAndDequantizeV4", [X, LO, HI], _qdq_ref, grad=[],
         attrs={"range_given": True, "num_bits": 6}),
    Case("QuantizeAndDequantizeV4Grad", [G, X, f(-1), f(1.5)], _v4_grad_ref, grad=[]),
]

COVERED_BY = {
    # step functions: their straight-through / masked gradients, against hand values and TF
    "QuantizeAndDequantizeV2": "test_quantize_ops.py::test_qdq_gradients",
    "QuantizeAndDequantizeV3": "test_quantize_ops.py::test_qdq_gradients",
    "QuantizeAndDequantizeV4": "test_quantize_ops.py::test_qdq_gradients",
    "QuantizeAndDequantizeV4Grad": "test_quantize_ops.py::test_v4_grad_has_tfs_broken_gradient",
}
