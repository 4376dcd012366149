"""The quantization probe's fixes (minitf against TF 2.21's tf.compat.v1, CPU kernels with
TF_ENABLE_ONEDNN_OPTS=0):

- the seven raw ops TF1 eight-bit GraphDefs hold (graph_transforms' quantize_nodes writes
  QuantizeV2 -> QuantizedConv2D -> RequantizationRange -> Requantize -> QuantizedRelu ->
  Dequantize): QuantizeDownAndShrinkRange, Requantize, RequantizationRange, QuantizedAdd,
  QuantizedMul, QuantizedReshape and QuantizedResizeBilinear, against references written here
  one element at a time from TF's kernels (quantization_utils.h, quantized_add_op.cc,
  quantized_mul_op.cc, quantized_resize_bilinear_op.cc), and against values TF 2.21 gave
  (hard-coded, each marked "TF 2.21 gave");
- FakeQuant's num_bits and range checks at run time, its per-channel forward op at any rank;
- TF's static shapes for QuantizeV2's ranges and the FakeQuant gradients;
- QuantizeV2 of a float64 or int32 tensor is TF's TypeError.

TensorFlow is not needed."""

import math

import numpy as np
import pytest
from google.protobuf import text_format

import minitf as tf
from minitf import dtypes
from minitf.errors import InternalError, InvalidArgumentError, UnimplementedError
from minitf.protos import graph_pb2

f = np.float32
RAW = tf.raw_ops
I32_MIN, I32_MAX = -(2 ** 31), 2 ** 31 - 1


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _q(values, dtype):
    storage = {dtypes.quint8: np.uint8, dtypes.qint32: np.int32}[dtype]
    return tf.constant(np.asarray(values, storage), dtype=dtype)


# -- references from TF's kernel code, one element at a time -------------------------------------
def _away(v: float) -> float:
    """std::round: half away from zero."""
    return math.copysign(math.floor(abs(v) + 0.5), v)


def _wrap(v: int, bits: int) -> int:
    return ((v + (1 << (bits - 1))) % (1 << bits)) - (1 << (bits - 1))


def _cdiv(a: int, b: int) -> int:
    """C++ integer division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def q2f(q, lo, hi, bits, lowest):
    """QuantizedToFloat<T>: the range's minimum rounded to a level in float, the rest in double;
    a qint32 level reaches the double through Eigen's ``operator float``."""
    lo, hi = f(lo), f(hi)
    if lo == hi:
        return lo
    steps = 2.0 ** bits
    scale = float(f(hi - lo)) * (steps / (steps - 1.0)) / steps
    s32 = f(scale)
    rounded = f(f(_away(float(f(lo / s32)))) * s32)
    return f(float(rounded) + (float(f(q)) - lowest) * scale)


def f2q_unclamped(v, lo, hi, bits, lowest):
    """FloatToQuantizedUnclamped<T>, in doubles."""
    lo, hi = f(lo), f(hi)
    if lo == hi:
        return lowest
    steps = 2.0 ** bits
    scale = steps / (float(f(hi - lo)) * (steps / (steps - 1.0)))
    return int(_away(float(f(v)) * scale) - _away(float(lo) * scale)) + lowest


def requantize_ref(values, in_lo, in_hi, out_lo, out_hi):
    """RequantizeManyInNewRangeUsingEigen<qint32, quint8>: 16.16 fixed point, int64 wrapping."""
    in_lo, in_hi, out_lo, out_hi = f(in_lo), f(in_hi), f(out_lo), f(out_hi)
    in_range, out_range = f(in_hi - in_lo), f(out_hi - out_lo)
    recip = f(0) if out_range == 0 else f(255.0 / float(out_range))
    rezero = f(float(f(in_lo + in_hi)) / 2.0)
    scale_fp = 0 if out_range == 0 else \
        int(float(int(255.0 * 65536 * float(in_range) / float(out_range))))
    in_offset = int(f(f(rezero * recip) * f(65536)))
    out_offset = 0 if out_range == 0 else int(65536 * (float(out_lo) * 255.0) / float(out_range))
    out = []
    for v in np.asarray(values).ravel():
        wide = int(f(v))  # Eigen's qint32 -> int64 goes through float
        fp = _wrap((_wrap(wide * scale_fp, 64) >> 32) + in_offset - out_offset + 32768, 64)
        out.append(min(max(fp >> 16, 0), 255))
    return np.array(out, np.uint8).reshape(np.shape(values))


def used_range_ref(values, lo, hi):
    v = np.asarray(values).ravel()
    q_min, q_max = (int(v.min()), int(v.max())) if v.size else (I32_MAX, I32_MIN)
    used_min = q2f(q_min, lo, hi, 32, I32_MIN)
    return (used_min if used_min < 0 else f(0)), q2f(q_max, lo, hi, 32, I32_MIN)


def add_range(lo_x, hi_x, lo_y, hi_y):
    hi = f(max(abs(min(f(lo_x), f(lo_y))), abs(max(f(hi_x), f(hi_y)))) * f(16384))
    return -hi, hi


def add_total(q, lo, hi, out_lo, out_hi):
    """quantized_add_op.cc's quint8 -> qint32 of a full input: codes 0 and 1, then linear."""
    c0 = f2q_unclamped(q2f(0, lo, hi, 8, 0), out_lo, out_hi, 32, I32_MIN)
    c1 = f2q_unclamped(q2f(1, lo, hi, 8, 0), out_lo, out_hi, 32, I32_MIN)
    return min(max(c0 + int(q) * _wrap(c1 - c0, 32), I32_MIN), I32_MAX)


def add_scalar(q, lo, hi, out_lo, out_hi):
    """RequantizeInNewRange<quint8, qint32> of the one-element input: through a float."""
    v = f2q_unclamped(q2f(int(q), lo, hi, 8, 0), out_lo, out_hi, 32, I32_MIN)
    return min(max(v, I32_MIN), I32_MAX)


def binary_ref(op, x, y, ranges, pairs, out_shape):
    """QuantizedAdd/QuantizedMul over TF's element pairs (output index -> x index, y index)."""
    lo_x, hi_x, lo_y, hi_y = ranges
    xs, ys = np.asarray(x).ravel(), np.asarray(y).ravel()
    out = np.zeros(int(np.prod(out_shape)), np.int64)
    if op == "add":
        out_lo, out_hi = add_range(*ranges)
        conv_x = add_scalar if xs.size == 1 and ys.size > 1 else add_total
        conv_y = add_scalar if ys.size == 1 and xs.size > 1 else add_total
        if xs.size == 1 and ys.size == 1:
            conv_x = add_scalar  # TF tests x's size first
        for i, (a, b) in enumerate(pairs):
            out[i] = _wrap(conv_x(xs[a], lo_x, hi_x, out_lo, out_hi)
                           + conv_y(ys[b], lo_y, hi_y, out_lo, out_hi), 32)
        return out.reshape(out_shape), out_lo, out_hi
    off_x = _wrap(f2q_unclamped(0.0, lo_x, hi_x, 8, 0), 32)
    off_y = _wrap(f2q_unclamped(0.0, lo_y, hi_y, 8, 0), 32)
    for i, (a, b) in enumerate(pairs):
        out[i] = _wrap((int(xs[a]) - off_x) * (int(ys[b]) - off_y), 32)
    level = f(f(f(hi_x) - f(lo_x)) / f(255)) * f(f(f(hi_y) - f(lo_y)) / f(255))
    return out.reshape(out_shape), f(level * f(I32_MIN)), f(level * f(I32_MAX))


def resize_ref(img, size, align_corners, half_pixel_centers):
    """quantized_resize_bilinear_op.cc: fixed point with 7 (quint8) or 30 (qint32) fraction
    bits, or float32 (ComputeLerpReference) for float images; a pixel at a time."""
    n, h, w, c = img.shape
    oh, ow = size
    res = {np.uint8: 7, np.int32: 30}.get(img.dtype.type, 0)

    def cache(out_size, in_size):
        scale = f(in_size - 1) / f(out_size - 1) if align_corners and out_size > 1 else \
            f(in_size) / f(out_size)
        taps = []
        for i in range(out_size):
            src = (f(i) + f(0.5)) * scale - f(0.5) if half_pixel_centers else f(i) * scale
            low = math.floor(src)
            upper = min(math.ceil(src), in_size - 1)
            lower = min(max(low, 0), upper)
            lerp = f(src - f(low))
            taps.append((lower, upper, lerp, int(lerp * f(2 ** res))))
        return taps

    ys, xs = cache(oh, h), cache(ow, w)
    out = np.zeros((n, oh, ow, c), img.dtype)
    for b in range(n):
        for i, (y0, y1, yl, yi) in enumerate(ys):
            for j, (x0, x1, xl, xi) in enumerate(xs):
                for k in range(c):
                    tl, tr = img[b, y0, x0, k], img[b, y0, x1, k]
                    bl, br = img[b, y1, x0, k], img[b, y1, x1, k]
                    if res == 0:
                        top = f(tl + f((tr - tl) * xl))
                        bottom = f(bl + f((br - bl) * xl))
                        out[b, i, j, k] = f(top + f((bottom - top) * yl))
                        continue
                    tl, tr, bl, br = (int(f(v)) for v in (tl, tr, bl, br))
                    one = 1 << res
                    top = tl * one + (tr - tl) * xi
                    bottom = bl * one + (br - bl) * xi
                    value = top + _cdiv(bottom - top, one) * yi
                    out[b, i, j, k] = _wrap(_cdiv(value + one // 2, one), 32)
    return out


# -- Requantize, RequantizationRange, QuantizeDownAndShrinkRange ---------------------------------
R = np.random.RandomState(7)
WIDE = np.concatenate([R.randint(I32_MIN, I32_MAX, size=300, dtype=np.int64),
                       [I32_MIN, I32_MAX, 0, 1, -1, 2 ** 30, 12345678]]).astype(np.int32)
PROBE = np.random.RandomState(3).randint(0, 256, size=(2, 5, 6, 3))[0].astype(np.int32) \
    * 100000 - 12000000  # the probe's qint32 input
RANGES = [(-10.0, 10.0), (-1.0, 1.0), (0.0, 7.0), (-1e6, 1e6), (-3e-3, 5e-2), (-2.5, 2.5)]
OUT_RANGES = [(-0.5, 0.3), (0.0, 1.0), (-1e-3, 1e-3), (-100.0, 3.0), (0.0, 0.0), (-1e-7, 5.0)]


@pytest.mark.parametrize("lo,hi", RANGES)
def test_requantize_is_tfs_fixed_point(lo, hi):
    x = tf.placeholder(dtypes.qint32)
    outs = [RAW.Requantize(input=x, input_min=lo, input_max=hi, requested_output_min=olo,
                           requested_output_max=ohi, out_type=dtypes.quint8)
            for olo, ohi in OUT_RANGES]
    got = _run(outs, {x: WIDE})
    for (olo, ohi), (q, mn, mx) in zip(OUT_RANGES, got):
        np.testing.assert_array_equal(q, requantize_ref(WIDE, lo, hi, olo, ohi),
                                      err_msg=f"{(lo, hi)} -> {(olo, ohi)}")
        assert (mn, mx) == (f(olo), f(ohi))


def test_requantize_values_tensorflow_gave():
    v = np.array([I32_MIN, I32_MAX, 0, 1, -1, 2 ** 30, 12345678], np.int32)
    q, mn, mx = _run(RAW.Requantize(input=_q(v, dtypes.qint32), input_min=-1.0, input_max=1.0,
                                    requested_output_min=-2.5, requested_output_max=2.5,
                                    out_type=dtypes.quint8))
    # TF 2.21 gave these: 2^31 - 1 widens through float to 2^31 (179, where ints give 178)
    np.testing.assert_array_equal(q, [77, 179, 128, 128, 127, 153, 128])
    q = _run(RAW.Requantize(input=_q(v, dtypes.qint32), input_min=-2.5, input_max=2.5,
                            requested_output_min=-1e-7, requested_output_max=5.0,
                            out_type=dtypes.quint8))[0]
    np.testing.assert_array_equal(q, [0, 128, 0, 0, 0, 64, 1])  # TF 2.21 gave these
    q = _run(RAW.Requantize(input=_q(PROBE, dtypes.qint32), input_min=-10.0, input_max=10.0,
                            requested_output_min=-0.5, requested_output_max=0.3,
                            out_type=dtypes.quint8))[0]
    np.testing.assert_array_equal(q.ravel()[:8], [157, 164, 179, 161, 169, 171, 142, 145])


@pytest.mark.parametrize("lo,hi", RANGES)
def test_requantization_range_and_shrink_range(lo, hi):
    x = tf.placeholder(dtypes.qint32)
    rr = RAW.RequantizationRange(input=x, input_min=lo, input_max=hi)
    qd = RAW.QuantizeDownAndShrinkRange(input=x, input_min=lo, input_max=hi,
                                        out_type=dtypes.quint8)
    for values in (WIDE, PROBE, np.int32([5, 7, 1000]), np.int32([-5, -7, -1000])):
        (rmin, rmax), (q, qmin, qmax) = _run([rr, qd], {x: values})
        want = used_range_ref(values, lo, hi)
        assert (rmin, rmax) == want and (qmin, qmax) == want
        np.testing.assert_array_equal(q, requantize_ref(values, lo, hi, *want))


def test_range_values_tensorflow_gave():
    rr = _run(RAW.RequantizationRange(input=_q(PROBE, dtypes.qint32), input_min=-10.0,
                                      input_max=10.0))
    assert list(rr) == [f(-0.05587935), f(0.062864274)]  # TF 2.21 gave these (the probe's case)
    q, mn, mx = _run(RAW.QuantizeDownAndShrinkRange(
        input=_q(PROBE, dtypes.qint32), input_min=-10.0, input_max=10.0, out_type=dtypes.quint8))
    assert (mn, mx) == (f(-0.05587935), f(0.062864274))
    np.testing.assert_array_equal(q.ravel()[:8], [106, 152, 249, 131, 184, 200, 0, 21])
    v = np.array([I32_MIN, I32_MAX, 0, 1, -1, 2 ** 30, 12345678], np.int32)
    q, mn, mx = _run(RAW.QuantizeDownAndShrinkRange(
        input=_q(v, dtypes.qint32), input_min=-1.0, input_max=1.0, out_type=dtypes.quint8))
    np.testing.assert_array_equal(q, [0, 255, 128, 128, 127, 191, 128])  # TF 2.21 gave these
    assert (mn, mx) == (f(-1), f(1))
    # no values: the range of the starting points, min(0, level of highest), level of lowest
    empty = _q(np.zeros([0, 2]), dtypes.qint32)
    rr = _run(RAW.RequantizationRange(input=empty, input_min=-1.0, input_max=1.0))
    assert list(rr) == [0, -1]
    q, mn, mx = _run(RAW.QuantizeDownAndShrinkRange(input=empty, input_min=-1.0, input_max=1.0,
                                                    out_type=dtypes.quint8))
    assert q.shape == (0, 2) and (mn, mx) == (0, -1)  # TF 2.21 gave these


def test_requantize_ops_errors_are_tfs():
    x = _q([1, 2], dtypes.qint32)
    m = tf.placeholder(dtypes.float32)
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        RAW.Requantize(input=x, input_min=[-1.0], input_max=1.0, requested_output_min=-0.5,
                       requested_output_max=1.0, out_type=dtypes.quint8)
    cases = [
        (RAW.Requantize(input=x, input_min=-1.0, input_max=1.0, requested_output_min=0.5,
                        requested_output_max=1.0, out_type=dtypes.quint8)[0], {},
         "requested_output_min must be <= 0, but got 0.5"),
        (RAW.Requantize(input=x, input_min=-1.0, input_max=1.0, requested_output_min=-0.5,
                        requested_output_max=-1.0, out_type=dtypes.quint8)[0], {},
         "requested_output_max must be >= requested_output_min, but got -1 and -0.5"),
        (RAW.Requantize(input=x, input_min=m, input_max=1.0, requested_output_min=0.5,
                        requested_output_max=1.0, out_type=dtypes.quint8)[0], {m: [1.0]},
         "`input_min` must be rank 0 but is rank 1"),
        (RAW.QuantizeDownAndShrinkRange(input=x, input_min=-1.0, input_max=m,
                                        out_type=dtypes.quint8)[0], {m: [[1.0]]},
         "`input_max` must be rank 0 but is rank 2"),
        (RAW.RequantizationRange(input=x, input_min=m, input_max=1.0)[0], {m: []},
         "Input min must not be empty"),
        (RAW.Requantize(input=x, input_min=-1.0, input_max=1.0, requested_output_min=-0.5,
                        requested_output_max=1.0, out_type=dtypes.qint8)[0], {},
         "No OpKernel was registered to support Op 'Requantize'"),
        (RAW.RequantizationRange(input=_q([1], dtypes.quint8), input_min=0.0,
                                 input_max=1.0)[0], {},
         "No OpKernel was registered to support Op 'RequantizationRange'"),
    ]
    for fetch, feed, message in cases:
        with pytest.raises(InvalidArgumentError, match=message):
            _run(fetch, feed)
    # RequantizationRange reads the first element of a vector range, as TF's kernel
    assert list(_run(RAW.RequantizationRange(input=x, input_min=m, input_max=1.0),
                     {m: [-1.0, 7.0]})) == list(used_range_ref([1, 2], -1.0, 1.0))


# -- QuantizedAdd, QuantizedMul ------------------------------------------------------------------
def _pairs(kind, nx, ny):
    """TF's element pairs: same size, one element against all, or the smaller repeated."""
    if kind == "same":
        return [(i, i) for i in range(nx)]
    if kind == "x1":
        return [(0, i) for i in range(ny)]
    if kind == "y1":
        return [(i, 0) for i in range(nx)]
    if nx < ny:
        return [(i % nx, i) for i in range(ny)]
    return [(i, i % ny) for i in range(nx)]


BINARY = [  # x shape, y shape, output shape, pairing
    ((5, 6, 3), (5, 6, 3), (5, 6, 3), "same"),
    ((5, 6, 3), (3,), (5, 6, 3), "repeat"),
    ((3,), (5, 6, 3), (5, 6, 3), "repeat"),
    ((2, 6, 1), (6, 1), (2, 6, 1), "repeat"),
    ((5, 6, 3), (), (5, 6, 3), "y1"),
    ((), (7,), (7,), "x1"),
    ((1,), (3, 1), (3, 1), "x1"),
    ((1, 1), (1,), (1, 1), "x1"),
    ((6,), (1, 6), (1, 6), "same"),
    ((5, 1), (5, 3), (5, 3), "repeat"),  # TF pairs x[i % 5], not x's row
]
BIN_RANGES = [(-1.0, 2.0, -0.5, 0.5), (0.0, 1.0, 0.0, 6.0), (-3.3, -0.1, 1e-3, 7.25),
              (-1e-4, 1e-4, -50.0, 50.0)]


@pytest.mark.parametrize("op", ["add", "mul"])
@pytest.mark.parametrize("sx,sy,sz,kind", BINARY)
def test_quantized_add_and_mul_broadcast_as_tf(op, sx, sy, sz, kind):
    r = np.random.RandomState(len(sx) * 10 + len(sy))
    xv, yv = r.randint(0, 256, size=sx), r.randint(0, 256, size=sy)
    fn = RAW.QuantizedAdd if op == "add" else RAW.QuantizedMul
    outs = [fn(x=_q(xv, dtypes.quint8), y=_q(yv, dtypes.quint8), min_x=rg[0], max_x=rg[1],
               min_y=rg[2], max_y=rg[3]) for rg in BIN_RANGES]
    assert all(o[0].shape.as_list() == list(sz) and o[0].dtype == dtypes.qint32 for o in outs)
    pairs = _pairs(kind, int(np.prod(sx)), int(np.prod(sy)))
    for rg, (z, zmin, zmax) in zip(BIN_RANGES, _run(outs)):
        want, wmin, wmax = binary_ref(op, xv, yv, rg, pairs, sz)
        np.testing.assert_array_equal(z, want, err_msg=f"{op} {sx} {sy} {rg}")
        assert (zmin, zmax) == (wmin, wmax)


def test_quantized_add_and_mul_values_tensorflow_gave():
    x, y = _q([[10, 200, 3], [0, 255, 128]], dtypes.quint8), _q([7, 100, 250], dtypes.quint8)
    col, full = _q([[1], [2]], dtypes.quint8), _q([[10, 20, 30], [40, 50, 60]], dtypes.quint8)
    got = _run([
        RAW.QuantizedAdd(x=x, y=y, min_x=-1.0, max_x=2.0, min_y=-0.5, max_y=0.5),
        RAW.QuantizedAdd(x=_q(77, dtypes.quint8), y=_q([0, 1, 254, 255], dtypes.quint8),
                         min_x=-1.0, max_x=2.0, min_y=0.0, max_y=6.0),
        RAW.QuantizedAdd(x=col, y=full, min_x=0.0, max_x=1.0, min_y=0.0, max_y=1.0),
        RAW.QuantizedMul(x=x, y=y, min_x=-1.0, max_x=2.0, min_y=-0.5, max_y=0.5),
        RAW.QuantizedMul(x=_q([0, 1, 254, 255], dtypes.quint8), y=_q(77, dtypes.quint8),
                         min_x=-1.0, max_x=2.0, min_y=0.0, max_y=6.0),
        RAW.QuantizedMul(x=col, y=full, min_x=0.0, max_x=1.0, min_y=0.0, max_y=1.0)])
    # TF 2.21 gave these
    want = [([[-88666, 81725, -31612], [-96376, 124130, 64763]], -32768.0, 32768.0),
            ([-2056, -1542, 128500, 129014], -98304.0, 98304.0),
            ([[5654, 11308, 15934], [21588, 26214, 31868]], -16384.0, 16384.0),
            ([[9075, -3220, -10004], [10285, -4760, 5246]], -99076.53, 99076.53),
            ([-6545, -6468, 13013, 13090], -594459.2, 594459.2),
            ([[10, 40, 30], [80, 50, 120]], -33025.51, 33025.51)]  # x[i % 2], as TF
    for (z, lo, hi), (wz, wlo, whi) in zip(got, want):
        np.testing.assert_array_equal(z, wz)
        assert (lo, hi) == (f(wlo), f(whi))


def test_quantized_add_and_mul_errors_are_tfs():
    a = _q(np.zeros([2, 1, 4]), dtypes.quint8)
    b = _q(np.zeros([2, 3, 4]), dtypes.quint8)
    m = tf.placeholder(dtypes.float32)
    p = tf.placeholder(dtypes.quint8)
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 4"):
        RAW.QuantizedAdd(x=_q(np.zeros([2, 3]), dtypes.quint8), y=_q([1, 2, 3, 4], dtypes.quint8),
                         min_x=0.0, max_x=1.0, min_y=0.0, max_y=1.0)
    with pytest.raises(TypeError, match="parameter 'x' has DataType float32 not in list"):
        RAW.QuantizedAdd(x=tf.constant([1.0]), y=_q([1], dtypes.quint8), min_x=0.0, max_x=1.0,
                         min_y=0.0, max_y=1.0)
    with pytest.raises(UnimplementedError,
                       match=r"Broadcast between \[2,1,4\] and \[2,3,4\] is not supported yet"):
        _run(RAW.QuantizedMul(x=a, y=b, min_x=0.0, max_x=1.0, min_y=0.0, max_y=1.0))
    cases = [
        (RAW.QuantizedAdd(x=a, y=a, min_x=m, max_x=1.0, min_y=0.0, max_y=1.0), {m: [0.0]},
         "`min_x` must be rank 0 but is rank 1"),
        (RAW.QuantizedMul(x=a, y=a, min_x=0.0, max_x=1.0, min_y=0.0, max_y=m), {m: [1.0]},
         "max_y must be a scalar"),
        (RAW.QuantizedAdd(x=a, y=a, min_x=1.0, max_x=1.0, min_y=0.0, max_y=1.0), {},
         "max_x must be larger than min_x"),
        (RAW.QuantizedMul(x=a, y=a, min_x=0.0, max_x=1.0, min_y=1.0, max_y=1.0), {},
         "max_x must be larger than min_b"),
        (RAW.QuantizedAdd(x=p, y=_q([1, 2, 3], dtypes.quint8), min_x=0.0, max_x=1.0,
                          min_y=0.0, max_y=1.0), {p: np.zeros([2], np.uint8)},
         r"Incompatible shapes: \[2\] vs. \[3\]"),
        (RAW.QuantizedAdd(x=_q(np.zeros([0, 3]), dtypes.quint8), y=_q([1, 2, 3], dtypes.quint8),
                          min_x=0.0, max_x=1.0, min_y=0.0, max_y=1.0), {},
         "Must have some elements to add"),
        (RAW.QuantizedMul(x=_q(np.zeros([0, 3]), dtypes.quint8), y=_q([1, 2, 3], dtypes.quint8),
                          min_x=0.0, max_x=1.0, min_y=0.0, max_y=1.0), {},
         "vector must have at least 1 element"),
    ]
    for fetch, feed, message in cases:
        with pytest.raises(InvalidArgumentError, match=message):
            _run(fetch, feed)


# -- QuantizedReshape ----------------------------------------------------------------------------
def test_quantized_reshape():
    v = np.arange(12).reshape(3, 4)
    out, lo, hi = _run(RAW.QuantizedReshape(tensor=_q(v, dtypes.quint8), shape=[-1, 6],
                                            input_min=-1.0, input_max=2.0))
    np.testing.assert_array_equal(out, v.reshape(2, 6))
    assert (lo, hi) == (-1, 2)
    t = RAW.QuantizedReshape(tensor=_q(v, dtypes.qint32), shape=tf.constant([4, -1], tf.int64),
                             input_min=-1.0, input_max=2.0)
    assert t[0].shape.as_list() == [4, 3] and t[1].shape.as_list() == []
    x, s, m = (tf.placeholder(d) for d in (dtypes.quint8, tf.int32, tf.float32))
    r = RAW.QuantizedReshape(tensor=x, shape=s, input_min=m, input_max=0.0)
    assert r[0].shape.rank is None and r[1].shape.as_list() == []
    out, lo, hi = _run(r, {x: np.zeros([2, 3], np.uint8), s: [3, 2], m: [0.5]})
    assert out.shape == (3, 2) and (lo, hi) == (f(0.5), 0)  # a one-element vector is taken
    with pytest.raises(InvalidArgumentError, match="input_min must be a scalar or a vector of 1"):
        _run(r, {x: np.zeros([2, 3], np.uint8), s: [3, 2], m: [0.5, 1]})
    with pytest.raises(InvalidArgumentError, match="Input to reshape is a tensor with 6 values"):
        _run(r, {x: np.zeros([2, 3], np.uint8), s: [4, 2], m: [0.5, 1]})  # Reshape's first
    with pytest.raises(TypeError, match="parameter 'shape' has DataType float32"):
        RAW.QuantizedReshape(tensor=_q(v, dtypes.quint8), shape=tf.constant([2.0, 6.0]),
                             input_min=0.0, input_max=1.0)
    with pytest.raises(ValueError, match="Cannot reshape a tensor with 12 elements"):
        RAW.QuantizedReshape(tensor=_q(v, dtypes.quint8), shape=[5, 2], input_min=0.0,
                             input_max=1.0)


# -- QuantizedResizeBilinear ---------------------------------------------------------------------
def _image(kind, shape, seed):
    r = np.random.RandomState(seed)
    if kind == "quint8":
        return r.randint(0, 256, size=shape).astype(np.uint8), dtypes.quint8
    if kind == "qint32":
        return r.randint(I32_MIN, I32_MAX, size=shape, dtype=np.int64).astype(np.int32), \
            dtypes.qint32
    return (r.randn(*shape) * 10).astype(np.float32), dtypes.float32


@pytest.mark.parametrize("kind", ["quint8", "qint32", "float32"])
@pytest.mark.parametrize("shape", [(2, 5, 6, 3), (1, 4, 4, 1), (1, 3, 7, 2)])
def test_quantized_resize_bilinear_as_tf(kind, shape):
    img, dtype = _image(kind, shape, sum(shape))
    x = tf.constant(img, dtype=dtype)
    combos, sizes = [(a, h) for a in (False, True) for h in (False, True)], \
        [(7, 9), (3, 4), (1, 1), (2, 13)]
    outs = [RAW.QuantizedResizeBilinear(images=x, size=s, min=-1.0, max=2.0, align_corners=a,
                                        half_pixel_centers=h) for s in sizes for a, h in combos]
    got = _run(outs)
    for (s, (a, h)), (out, lo, hi) in zip([(s, c) for s in sizes for c in combos], got):
        want = resize_ref(img, s, a, h)
        np.testing.assert_array_equal(out, want, err_msg=f"{kind} {shape} {s} {a} {h}")
        assert (lo, hi) == (-1, 2)


def test_quantized_resize_bilinear_values_tensorflow_gave():
    img = _q(np.arange(0, 240, 15).reshape(1, 4, 4, 1), dtypes.quint8)
    got = _run([RAW.QuantizedResizeBilinear(images=img, size=[3, 5], min=-1.0, max=1.0,
                                            align_corners=a, half_pixel_centers=h)[0]
                for a, h in ((False, False), (True, False), (False, True), (True, True))])
    # TF 2.21 gave these; with both attrs TF's kernel runs (the corners' scale, half pixels)
    want = [[[0, 12, 24, 36, 45], [80, 92, 104, 116, 125], [160, 172, 184, 196, 205]],
            [[0, 11, 23, 34, 45], [90, 101, 113, 124, 135], [180, 191, 203, 214, 225]],
            [[10, 20, 32, 44, 55], [90, 100, 113, 124, 135], [170, 180, 192, 204, 215]],
            [[15, 24, 36, 47, 58], [105, 114, 126, 137, 148], [180, 189, 201, 212, 223]]]
    for out, w in zip(got, want):
        np.testing.assert_array_equal(out[0, :, :, 0], w)
    wide = _q(np.array([[I32_MIN, I32_MAX], [1000, -7]]).reshape(1, 2, 2, 1), dtypes.qint32)
    out = _run(RAW.QuantizedResizeBilinear(images=wide, size=[3, 3], min=-1.0, max=1.0,
                                           half_pixel_centers=True)[0])
    np.testing.assert_array_equal(out[0, :, :, 0], [  # TF 2.21 gave these (2^31 - 1 wraps)
        [-2147483647, 0, -2147483648], [-1073741323, 248, 1073741821], [1000, 497, -6]])


def test_quantized_resize_bilinear_shapes_and_errors():
    x = tf.placeholder(dtypes.qint32, [None, 4, None, 3])
    r = RAW.QuantizedResizeBilinear(images=x, size=[2, 8], min=0.0, max=1.0)
    assert [t.shape.as_list() for t in r] == [[None, 2, 8, 3], [], []]
    u = RAW.QuantizedResizeBilinear(images=tf.placeholder(dtypes.quint8),
                                    size=tf.placeholder(tf.int32), min=0.0, max=1.0)
    assert u[0].shape.as_list() == [None] * 4
    with pytest.raises(TypeError, match="parameter 'images' has DataType qint8"):
        RAW.QuantizedResizeBilinear(images=tf.constant(np.zeros([1, 2, 2, 1], np.int8),
                                                       dtype=dtypes.qint8),
                                    size=[3, 3], min=0.0, max=1.0)
    with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3"):
        RAW.QuantizedResizeBilinear(images=_q(np.zeros([2, 2, 1]), dtypes.quint8), size=[3, 3],
                                    min=0.0, max=1.0)
    img = _q(np.arange(24).reshape(1, 2, 4, 3), dtypes.quint8)
    same = _run(RAW.QuantizedResizeBilinear(images=img, size=[2, 4], min=0.0, max=1.0)[0])
    np.testing.assert_array_equal(same, np.arange(24).reshape(1, 2, 4, 3))
    m, s = tf.placeholder(tf.float32), tf.placeholder(tf.int32)
    r = RAW.QuantizedResizeBilinear(images=img, size=s, min=m, max=1.0)
    with pytest.raises(InvalidArgumentError, match="min must be a scalar"):
        _run(r, {m: [0.0], s: [3, 3]})
    with pytest.raises(InvalidArgumentError, match="output dimensions must be positive"):
        _run(r, {m: 0.0, s: [0, 3]})
    empty = _q(np.zeros([0, 2, 2, 1]), dtypes.quint8)
    with pytest.raises(InternalError, match="Missing 1-th output"):  # as TF's kernel
        _run(RAW.QuantizedResizeBilinear(images=empty, size=[3, 3], min=0.0, max=1.0))


# -- reachable as TF1's eight-bit GraphDefs hold them --------------------------------------------
EIGHT_BIT = """
node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "shape" value { shape { dim { size: 1 } dim { size: 3 } dim { size: 3 }
                                           dim { size: 1 } } } } }
node { name: "x_reshape_dims" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
       attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } }
                                            int_val: -1 } } } }
node { name: "x_reduction_dims" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
       attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { dim { size: 1 } }
                                            int_val: 0 } } } }
node { name: "x_reshape" op: "Reshape" input: "x" input: "x_reshape_dims"
       attr { key: "T" value { type: DT_FLOAT } } attr { key: "Tshape" value { type: DT_INT32 } } }
node { name: "x_min" op: "Min" input: "x_reshape" input: "x_reduction_dims"
       attr { key: "T" value { type: DT_FLOAT } } attr { key: "Tidx" value { type: DT_INT32 } }
       attr { key: "keep_dims" value { b: false } } }
node { name: "x_max" op: "Max" input: "x_reshape" input: "x_reduction_dims"
       attr { key: "T" value { type: DT_FLOAT } } attr { key: "Tidx" value { type: DT_INT32 } }
       attr { key: "keep_dims" value { b: false } } }
node { name: "x_quantize" op: "QuantizeV2" input: "x" input: "x_min" input: "x_max"
       attr { key: "T" value { type: DT_QUINT8 } } attr { key: "mode" value { s: "MIN_FIRST" } } }
node { name: "w_quint8_const" op: "Const" attr { key: "dtype" value { type: DT_QUINT8 } }
       attr { key: "value" value { tensor { dtype: DT_QUINT8 tensor_shape {
         dim { size: 2 } dim { size: 2 } dim { size: 1 } dim { size: 2 } }
         int_val: 0 int_val: 255 int_val: 128 int_val: 64 int_val: 200 int_val: 10 int_val: 90
         int_val: 170 } } } }
node { name: "w_min" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { } float_val: -1.5 } } } }
node { name: "w_max" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
       attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { } float_val: 2.0 } } } }
node { name: "conv_eightbit_quantized_conv" op: "QuantizedConv2D"
       input: "x_quantize" input: "w_quint8_const" input: "x_quantize:1" input: "x_quantize:2"
       input: "w_min" input: "w_max"
       attr { key: "Tinput" value { type: DT_QUINT8 } }
       attr { key: "Tfilter" value { type: DT_QUINT8 } }
       attr { key: "out_type" value { type: DT_QINT32 } }
       attr { key: "padding" value { s: "SAME" } }
       attr { key: "strides" value { list { i: 1 i: 1 i: 1 i: 1 } } }
       attr { key: "dilations" value { list { i: 1 i: 1 i: 1 i: 1 } } } }
node { name: "conv_eightbit_requant_range" op: "RequantizationRange"
       input: "conv_eightbit_quantized_conv" input: "conv_eightbit_quantized_conv:1"
       input: "conv_eightbit_quantized_conv:2" attr { key: "Tinput" value { type: DT_QINT32 } } }
node { name: "conv_eightbit_requantize" op: "Requantize"
       input: "conv_eightbit_quantized_conv" input: "conv_eightbit_quantized_conv:1"
       input: "conv_eightbit_quantized_conv:2" input: "conv_eightbit_requant_range"
       input: "conv_eightbit_requant_range:1"
       attr { key: "Tinput" value { type: DT_QINT32 } }
       attr { key: "out_type" value { type: DT_QUINT8 } } }
node { name: "relu_eightbit_quantized" op: "QuantizedRelu" input: "conv_eightbit_requantize"
       input: "conv_eightbit_requantize:1" input: "conv_eightbit_requantize:2"
       attr { key: "Tinput" value { type: DT_QUINT8 } }
       attr { key: "out_type" value { type: DT_QUINT8 } } }
node { name: "relu" op: "Dequantize" input: "relu_eightbit_quantized"
       input: "relu_eightbit_quantized:1" input: "relu_eightbit_quantized:2"
       attr { key: "T" value { type: DT_QUINT8 } } attr { key: "mode" value { s: "MIN_FIRST" } } }
versions { producer: 24 }
"""


def test_eight_bit_graph_def_imports_and_runs_as_tf():
    gd = text_format.Parse(EIGHT_BIT, graph_pb2.GraphDef())
    x = np.float32([[0.1, -0.4, 0.9], [0.25, 0.0, -1.0], [0.5, 0.75, 0.3]]).reshape(1, 3, 3, 1)
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        out, lo, hi, q = _run(["relu:0", "conv_eightbit_requant_range:0",
                               "conv_eightbit_requant_range:1", "conv_eightbit_requantize:0"],
                              {"x:0": x})
    # TF 2.21 gave these, importing this GraphDef
    assert (lo, hi) == (f(-2.5958266), f(3.163416))
    np.testing.assert_array_equal(q[0].transpose(2, 0, 1), [
        [[118, 164, 0], [117, 142, 198], [91, 69, 95]],
        [[119, 18, 255], [135, 108, 8], [139, 174, 141]]])
    np.testing.assert_array_equal(out[0].transpose(2, 0, 1), f([
        [[0.0677557, 1.106678, 0], [0.045170546, 0.60980225, 1.8745768], [0, 0, 0]],
        [[0.09034109, 0, 3.161937], [0.45170522, 0, 0], [0.5420463, 1.3325307, 0.58721685]]]))


def test_raw_ops_have_tfs_signatures_and_no_gradient():
    import inspect

    want = {
        "QuantizeDownAndShrinkRange": "(input, input_min, input_max, out_type, name=None)",
        "Requantize": "(input, input_min, input_max, requested_output_min, "
                      "requested_output_max, out_type, name=None)",
        "RequantizationRange": "(input, input_min, input_max, name=None)",
        "QuantizedAdd": "(x, y, min_x, max_x, min_y, max_y, Toutput=tf.qint32, name=None)",
        "QuantizedMul": "(x, y, min_x, max_x, min_y, max_y, Toutput=tf.qint32, name=None)",
        "QuantizedReshape": "(tensor, shape, input_min, input_max, name=None)",
        "QuantizedResizeBilinear": "(images, size, min, max, align_corners=False, "
                                   "half_pixel_centers=False, name=None)",
    }
    for name, sig in want.items():
        assert str(inspect.signature(getattr(RAW, name))) == sig
    lo = tf.constant(0.0)
    z = RAW.QuantizedAdd(x=_q([1], dtypes.quint8), y=_q([2], dtypes.quint8), min_x=lo,
                         max_x=1.0, min_y=0.0, max_y=1.0)
    with pytest.raises(LookupError, match="No gradient defined for operation"):
        tf.gradients(z[1], lo)  # TF registers none


# -- FakeQuant: attrs checked by the kernel, any rank per channel, TF's shapes ------------------
def test_fake_quant_attr_checks_run_in_the_kernel():
    x = tf.zeros([3])
    bad = [tf.quantization.fake_quant_with_min_max_args(x, min=2.0, max=1.0),
           tf.quantization.fake_quant_with_min_max_args(x, num_bits=1),
           tf.quantization.fake_quant_with_min_max_args_gradient(x, x, num_bits=17),
           tf.quantization.fake_quant_with_min_max_vars(x, -1.0, 1.0, num_bits=1),
           tf.quantization.fake_quant_with_min_max_vars_per_channel(x, [-1.0] * 3, [1.0] * 3,
                                                                    num_bits=20)]
    assert all(t.shape.as_list() == [3] for t in bad)  # the graph builds, as TF's
    assert _run(tf.constant(1.0) + 1) == 2  # and runs what does not need them
    for t, message in zip(bad, ["min has to be smaller than max, was: 2 >= 1"]
                          + ["num_bits must be between 2 and 16, inclusive"] * 4):
        with pytest.raises(InvalidArgumentError, match=message):
            _run(t)


def _fake_quant_ref(x, lo, hi, num_bits=8):
    """TF's Nudge and quantize-dequantize, per channel (last axis), in float32."""
    qmin, qmax = f(0), f(2 ** num_bits - 1)
    out = np.empty_like(x)
    for c in range(x.shape[-1]):
        scale = f(f(hi[c] - lo[c]) / f(qmax - qmin))
        zero_from_min = f(qmin - f(lo[c] / scale))
        zero = f(math.floor(min(max(zero_from_min, qmin), qmax) + 0.5))
        nmin, nmax = f(f(qmin - zero) * scale), f(f(qmax - zero) * scale)
        inv = f(f(qmax - qmin) / f(hi[c] - lo[c]))
        for i in np.ndindex(x.shape[:-1]):
            v = min(max(x[i + (c,)], nmin), nmax)
            levels = f(f(v - nmin) * inv)
            out[i + (c,)] = f(math.floor(levels + 0.5)) * scale + nmin
    return out


def test_fake_quant_per_channel_takes_any_rank_its_gradient_rank_4_at_most():
    x = np.linspace(-3, 3, 30, dtype=np.float32).reshape(1, 5, 1, 2, 3)
    lo, hi = f([-1, -2, 0]), f([1, 0.5, 3])
    y = tf.quantization.fake_quant_with_min_max_vars_per_channel(x, lo, hi)
    assert y.shape.as_list() == [1, 5, 1, 2, 3]
    np.testing.assert_allclose(_run(y), _fake_quant_ref(x, lo, hi), rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="Shape must be at most rank 4 but is rank 5"):
        tf.quantization.fake_quant_with_min_max_vars_per_channel_gradient(x, x, lo, hi)
    with pytest.raises(ValueError, match="Shape must be at least rank 1 but is rank 0"):
        tf.quantization.fake_quant_with_min_max_vars_per_channel(1.0, [0.0], [1.0])


def test_fake_quant_shapes_are_tfs():
    x3, a = tf.placeholder(tf.float32, [None, 3]), tf.placeholder(tf.float32)
    y = tf.quantization.fake_quant_with_min_max_vars_per_channel(x3, a, a)
    assert [g.shape.as_list() for g in tf.gradients(y, [x3, a])] == [[None, 3], [3]]
    x = tf.placeholder(tf.float32)
    y = tf.quantization.fake_quant_with_min_max_vars(x, a, a)
    assert tf.gradients(y, a)[0].shape.as_list() == []
    _, gmin, gmax = tf.quantization.fake_quant_with_min_max_vars_gradient(x, x, a, a)
    assert gmin.shape.as_list() == [] and gmax.shape.as_list() == []
    c = tf.constant([[1.0], [2.0], [4.0]])
    for lo, hi, message in (
            ([[0.0]], [1.0], "Shape must be rank 1 but is rank 2"),
            ([0.0, 0.1], [1.0], "Dimensions must be equal, but are 1 and 2")):
        with pytest.raises(ValueError, match=message):
            tf.quantization.fake_quant_with_min_max_vars_per_channel(c, lo, hi)
    for lo, hi, message in (
            ([0.0, 0.1], [1.0], r"Dimension 0 in both shapes must be equal, but are 2 and 1"),
            ([1.0], [[1.0]], "Shapes must be equal rank, but are 2 and 1")):
        with pytest.raises(ValueError, match=message):
            tf.quantization.fake_quant_with_min_max_vars_per_channel_gradient(c, c, lo, hi)


# -- QuantizeV2: TF's range shapes, and its input's dtype ----------------------------------------
def test_quantize_range_shapes_are_tfs():
    a, b = tf.placeholder(tf.float32), tf.placeholder(tf.float32)
    q = tf.quantization.quantize(tf.placeholder(tf.float32), a, b, dtypes.quint8)
    assert q.output_min.shape.as_list() == [] and q.output_max.shape.as_list() == []
    x = tf.placeholder(tf.float32, [None, 3])
    q = tf.quantization.quantize(x, a, b, dtypes.qint8, axis=1, mode="SCALED")
    assert q.output_min.shape.as_list() == [None] and q.output_max.shape.as_list() == [None]
    q = tf.quantization.quantize(tf.placeholder(tf.float32, [2, None]), [-1.0, 0, 1], b,
                                 dtypes.qint8, axis=1, mode="SCALED")
    assert q.output_max.shape.as_list() == [None]  # the max's shape, as TF's shape function
    y = tf.quantization.quantize_and_dequantize_v2(x, a, a, axis=1, range_given=True)
    assert tf.gradients(y, a)[0].shape.as_list() == [None]
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
        tf.quantization.quantize(x, [-1.0, 0], [1.0, 2], dtypes.qint8, axis=1)  # still checked


def test_quantize_of_another_dtype_is_tfs_type_error():
    for value, name in ((tf.constant([1.0, 2.0], tf.float64), "float64"),
                        (tf.constant([1, 2]), "int32")):
        with pytest.raises(TypeError, match=f"Input 'input' of 'QuantizeV2' Op has type {name} "
                                            "that does not match expected type of float32"):
            tf.quantization.quantize(value, -1.0, 1.0, dtypes.qint8)
    with tf.Graph().as_default():
        q = tf.quantization.quantize([0.5, 1.5], -1.0, 1.0, dtypes.qint8)  # Python values convert
        assert q.output.op.inputs[0].name == "QuantizeV2/input:0"
        np.testing.assert_array_equal(_run(q.output), [63, 127])
