"""TF 1.x's QuantizedMatMul, QuantizedBiasAdd, QuantizedAdd and QuantizedMul, raw ops only (TF
gives them no public Python name; they are here so TF GraphDefs that hold them import and run).
Like the ops of quantized_nn_ops.py they take quantized integers with their float ranges and
return an (output, min, max) triple; the kernels follow TF 2.21's (quantized_matmul_op.cc,
quantized_bias_add_op.cc with quantization_utils.h's QuantizedAddUsingEigen, quantized_add_op.cc,
quantized_mul_op.cc, including their broadcasting, which handles only some patterns) operation
by operation, for the types TF registers kernels for. TF registers no gradient for any."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, UnimplementedError
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, req
from ._quantize_util import (F32, LIMITS, cmax, cmin, f32, ftz, merge_dims, quantized_to_float,
                             round_half_away, smax, smin, to_int, with_rank,
                             with_rank_at_least)
from ._util import broadcast_infer
from .quantize_ops import _check_quantized, _min_first_to_float
from .quantized_util import (_shape_str, check_out_type, float_to_quantized, no_kernel,
                             range_for_multiplication, run_scalar, storage_type, to_int32,
                             unclamped_offset)

__all__: list = []  # raw ops: no public names


# -- QuantizedMatMul ----------------------------------------------------------------------------
def _matmul_kernel(a, b, min_a, max_a, min_b, max_b, *, Toutput, transpose_a, transpose_b,
                   Tactivation):
    a, b = np.asarray(a), np.asarray(b)
    T1, T2 = storage_type(a), storage_type(b)
    if (T1, T2, Toutput) != (_dt.quint8, _dt.quint8, _dt.qint32):
        raise no_kernel("QuantizedMatMul", {"T1": T1, "T2": T2, "Toutput": Toutput},
                        "(T1, T2, Toutput) = (quint8, quint8, qint32)")
    ranges = []
    for i, (v, what) in enumerate(((min_a, "min_a"), (max_a, "max_a"), (min_b, "min_b"),
                                   (max_b, "max_b"))):
        v = np.asarray(v, F32)
        if (v.ndim != 0) if i == 0 else (v.size != 1):  # TF reads the others' first element
            raise InvalidArgumentError(None, None, f"{what} must be a scalar, but got shape"
                                       f"{_shape_str(v.shape)}")
        ranges.append(f32(v.reshape(-1)[0]))
    lo_a, hi_a, lo_b, hi_b = ranges
    if not hi_a > lo_a:
        raise InvalidArgumentError(None, None, "max_a must be larger than min_a.")
    if not hi_b > lo_b:
        raise InvalidArgumentError(None, None, "max_b must be larger than min_b.")
    for i, m in enumerate((a, b)):
        if m.ndim != 2:
            raise InvalidArgumentError(None, None, f"In[{i}] is not a matrix")
    a2, b2 = (a.T if transpose_a else a), (b.T if transpose_b else b)
    if a2.shape[1] != b2.shape[0]:
        raise InvalidArgumentError(None, None, f"Matrix size-incompatible: In[0]: "
                                   f"{_shape_str(a.shape)}, In[1]: {_shape_str(b.shape)}")
    off_a = to_int32(unclamped_offset(lo_a, hi_a, T1))
    off_b = to_int32(unclamped_offset(lo_b, hi_b, T2))
    # gemmlowp: sum((a - off_a) * (b - off_b)) in int32 (kept mod 2**32 by int64 wrap-around)
    out = ((a2.astype(np.int64) - off_a) @ (b2.astype(np.int64) - off_b)).astype(np.int32)
    return (out, *range_for_multiplication(lo_a, hi_a, lo_b, hi_b, T1, T2, Toutput))


def _matmul_infer(a, b, *ranges, Toutput, transpose_a, transpose_b, Tactivation):
    for spec, what in ((a, "a"), (b, "b")):
        _check_quantized(spec.dtype, what)
    check_out_type(Toutput, "Toutput")
    check_out_type(Tactivation, "Tactivation")
    with_rank(a, 2)
    with_rank(b, 2)
    da = a.shape.as_tuple() if a.shape.rank is not None else (None, None)
    db = b.shape.as_tuple() if b.shape.rank is not None else (None, None)
    if transpose_a:
        da = da[::-1]
    if transpose_b:
        db = db[::-1]
    merge_dims(da[1], db[0])
    for r in ranges:
        with_rank(r, 0)
    return [TensorSpec([da[0], db[1]], Toutput), TensorSpec([], _dt.float32),
            TensorSpec([], _dt.float32)]


QUANTIZED_MATMUL = register(OpDef(
    "QuantizedMatMul",
    inputs=["a:T1", "b:T2", "min_a:float32", "max_a:float32", "min_b:float32",
            "max_b:float32"],
    attrs={"Toutput": _dt.qint32, "transpose_a": False, "transpose_b": False,
           "Tactivation": _dt.quint8},
    kernel=_matmul_kernel, infer=_matmul_infer, grad=NO_GRADIENT,
    doc="matrix product of quantized matrices, in int32 with their zero points",
))


# -- QuantizedBiasAdd ---------------------------------------------------------------------------
def _quantize_with_eigen(x, T, lo, hi):
    """QUANTIZE_WITH_EIGEN (FloatToQuantizedStruct): float32 values onto T's levels of
    [lo, hi], the range's minimum rounded to a level first."""
    lowest, highest = LIMITS[T]
    steps = float(1 << (8 * np.dtype(T._np).itemsize))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = f32(0.0 if hi == lo else (steps - 1.0) / np.float64(f32(hi - lo)))
        min_scaled = round_half_away(np.asarray(f32(lo * scale)))
        v = round_half_away(ftz(x * scale)) - f32(min_scaled - F32(lowest))
    lower = smax(F32(lowest), F32(-2.147483648e9))
    upper = smin(F32(highest), F32(2.147483520e9))
    return to_int(cmin(cmax(v, lower), upper), T)


def _bias_add_kernel(input, bias, min_input, max_input, min_bias, max_bias,  # noqa: A002
                     *, out_type):
    x, b = np.asarray(input), np.asarray(bias)
    T1, T2 = storage_type(x), storage_type(b)
    if (T1, T2, out_type) not in ((_dt.quint8, _dt.quint8, _dt.qint32),
                                  (_dt.qint8, _dt.qint8, _dt.qint32)):
        raise no_kernel("QuantizedBiasAdd", {"T1": T1, "T2": T2, "out_type": out_type},
                        "(T1, T2, out_type) = (quint8, quint8, qint32) or (qint8, qint8, qint32)")
    lo_x, hi_x, lo_b, hi_b = (run_scalar(v, f"{what} must be rank 0 but is rank {{rank}}")
                              for v, what in ((min_input, "min_input"),
                                              (max_input, "max_input"),
                                              (min_bias, "min_bias"), (max_bias, "max_bias")))
    if x.ndim < 2:
        raise InvalidArgumentError(None, None, "Input tensor must be at least 2D: "
                                   f"{_shape_str(x.shape)}")
    if b.ndim != 1:
        raise InvalidArgumentError(None, None, f"Biases must be 1D: {_shape_str(b.shape)}")
    if b.shape[0] != x.shape[-1]:
        raise InvalidArgumentError(None, None, "Must provide as many biases as the last "
                                   f"dimension of the input tensor: {_shape_str(b.shape)} vs. "
                                   f"{_shape_str(x.shape)}")
    # GetOutputMinAndMaxForQuantizedAdd: symmetric around 0, 2^17 times the widest input.
    with np.errstate(over="ignore"):
        hi = f32(smax(hi_x, smax(-lo_x, smax(hi_b, -lo_b))) * F32(1 << 17))
    lo = F32(-hi)
    if x.size == 0 or b.size == 0:
        return np.zeros(x.shape, np.int32), np.asarray(lo), np.asarray(hi)
    zero = np.int64(float_to_quantized(0.0, lo, hi, out_type))
    x_total = _quantize_with_eigen(_min_first_to_float(x, lo_x, hi_x, LIMITS[T1][0]),
                                   out_type, lo, hi)
    b_total = _quantize_with_eigen(_min_first_to_float(b, lo_b, hi_b, LIMITS[T2][0]),
                                   out_type, lo, hi)
    out = x_total.astype(np.int64) + (b_total.astype(np.int64) + zero)
    return out.astype(np.int32), np.asarray(lo), np.asarray(hi)  # int32 sums wrap


def _bias_add_infer(x, b, *ranges, out_type):
    _check_quantized(x.dtype, "input")
    _check_quantized(b.dtype, "bias")
    check_out_type(out_type, "out_type")
    with_rank_at_least(x, 2)
    with_rank(b, 1)
    if x.shape.rank is not None:
        merge_dims(x.shape.as_tuple()[-1], b.shape.as_tuple()[0] if b.shape.rank else None)
    for r in ranges:
        with_rank(r, 0)
    return [TensorSpec(x.shape, out_type), TensorSpec([], _dt.float32),
            TensorSpec([], _dt.float32)]


QUANTIZED_BIAS_ADD = register(OpDef(
    "QuantizedBiasAdd",
    inputs=["input:T1", "bias:T2", "min_input:float32", "max_input:float32",
            "min_bias:float32", "max_bias:float32"],
    attrs={"out_type": req("type")},
    kernel=_bias_add_kernel, infer=_bias_add_infer, grad=NO_GRADIENT,
    doc="quantized input plus a quantized bias on its last dimension, in a wide int32 range",
))



# -- QuantizedAdd, QuantizedMul -----------------------------------------------------------------
def _bcast(xs, ys):
    """TF's BCast of two shapes (util/bcast.h): (the number of dimensions it collapses them to,
    the output shape), or None when they do not broadcast. Runs of dimensions broadcasting
    alike merge into one; dimensions where both are 1 drop out."""
    if xs == ys:
        return 1, xs
    rank = max(len(xs), len(ys))
    rx = list(xs[::-1]) + [1] * (rank - len(xs))
    ry = list(ys[::-1]) + [1] * (rank - len(ys))
    out, ndims, prev = [], 0, None
    for a, b in zip(rx, ry):
        if a != 1 and b != 1 and a != b:
            return None
        out.append(b if a == 1 else a)
        if a == 1 and b == 1:
            continue
        state = (a == 1, b == 1)
        ndims += state != prev
        prev = state
    return max(ndims, 1), tuple(out[::-1])


def _binary_inputs(op_type, x, y, ranges, messages, Toutput):
    """The checks QuantizedAdd's and QuantizedMul's kernels make first, in their order: the
    one kernel TF registers, scalar ranges, broadcastable shapes."""
    x, y = np.asarray(x), np.asarray(y)
    T1, T2 = storage_type(x), storage_type(y)
    if (T1, T2, Toutput) != (_dt.quint8, _dt.quint8, _dt.qint32):
        raise no_kernel(op_type, {"T1": T1, "T2": T2, "Toutput": Toutput},
                        "(T1, T2, Toutput) = (quint8, quint8, qint32)")
    lo_x, hi_x, lo_y, hi_y = (run_scalar(v, m) for v, m in zip(ranges, messages))
    bcast = _bcast(x.shape, y.shape)
    if bcast is None:
        raise InvalidArgumentError(None, None, f"Incompatible shapes: {_shape_str(x.shape)} vs. "
                                   f"{_shape_str(y.shape)}")
    return x, y, (lo_x, hi_x, lo_y, hi_y), bcast


def _pair(x, y, bcast, full_x, full_y, scalar_x, scalar_y, combine, empty_message):
    """The three element pairings of TF's quantized Add and Mul kernels: a one-element input
    against the other (ndims <= 1), same-size inputs elementwise, and (ndims == 2) the smaller
    input repeated over the larger one, ``vector[i % n]``, whatever dimension it stood for.
    Where both inputs broadcast, TF writes only the larger input's count of elements and leaves
    the rest of the output as allocated (here 0); other patterns are TF's Unimplemented."""
    ndims, shape = bcast
    xf, yf = x.reshape(-1), y.reshape(-1)
    if ndims <= 1:
        if x.size == 1:
            vals = combine(scalar_x(xf[0]), full_y(yf))
        elif y.size == 1:
            vals = combine(full_x(xf), scalar_y(yf[0]))
        else:
            vals = combine(full_x(xf), full_y(yf))
    elif ndims == 2:
        small_is_x = x.size < y.size
        vec, ten = (xf, yf) if small_is_x else (yf, xf)
        if vec.size == 0:
            raise InvalidArgumentError(None, None, empty_message)
        v = (full_x if small_is_x else full_y)(vec)
        t = (full_y if small_is_x else full_x)(ten)
        vals = combine(v[np.arange(ten.size) % vec.size], t)
    else:
        raise UnimplementedError(None, None, f"Broadcast between {_shape_str(x.shape)} and "
                                 f"{_shape_str(y.shape)} is not supported yet.")
    out = np.zeros(int(np.prod(shape, dtype=np.int64)), np.int64)
    out[:np.size(vals)] = vals
    return out.astype(np.int32).reshape(shape)  # int32 sums and products wrap, as TF's


def _in_total_space(q, lo, hi, out_lo, out_hi):
    """quantized_add_op.cc's specialised RequantizeInNewRange<quint8, qint32> of an array: the
    levels of codes 0 and 1 in the output range, then ``code_0 + q * (code_1 - code_0)`` in
    int64, clamped into int32."""
    c0 = unclamped_offset(out_lo, out_hi, _dt.qint32,
                          float(quantized_to_float(0, lo, hi, _dt.quint8)))
    c1 = unclamped_offset(out_lo, out_hi, _dt.qint32,
                          float(quantized_to_float(1, lo, hi, _dt.quint8)))
    mult, c0 = to_int32(c1 - c0), ((c0 + (1 << 63)) % (1 << 64)) - (1 << 63)
    with np.errstate(over="ignore"):
        v = np.int64(c0) + q.astype(np.int64) * np.int64(mult)
    return np.clip(v, *LIMITS[_dt.qint32])


def _add_kernel(x, y, min_x, max_x, min_y, max_y, *, Toutput):
    names = ("min_x", "max_x", "min_y", "max_y")
    x, y, (lo_x, hi_x, lo_y, hi_y), bcast = _binary_inputs(
        "QuantizedAdd", x, y, (min_x, max_x, min_y, max_y),
        [f"`{n}` must be rank 0 but is rank {{rank}}" for n in names], Toutput)
    if not hi_x > lo_x:
        raise InvalidArgumentError(None, None, "max_x must be larger than min_x.")
    if not hi_y > lo_y:
        raise InvalidArgumentError(None, None, "max_y must be larger than min_y.")
    # Symmetric around zero (adding zero changes nothing), 2^14 times the widest input.
    with np.errstate(over="ignore"):
        hi_z = f32(smax(abs(smin(lo_x, lo_y)), abs(smax(hi_x, hi_y))) * F32(1 << 14))
    lo_z = F32(-hi_z)

    def full(lo, hi):
        return lambda q: _in_total_space(q, lo, hi, lo_z, hi_z)

    def scalar(lo, hi):  # the one-element input goes through floats, clamped
        return lambda q: float_to_quantized(float(quantized_to_float(q, lo, hi, _dt.quint8)),
                                            lo_z, hi_z, _dt.qint32)

    z = _pair(x, y, bcast, full(lo_x, hi_x), full(lo_y, hi_y), scalar(lo_x, hi_x),
              scalar(lo_y, hi_y), lambda a, b: np.add(a, b, dtype=np.int64),
              "Must have some elements to add")
    return z, np.asarray(lo_z), np.asarray(hi_z)


def _mul_kernel(x, y, min_x, max_x, min_y, max_y, *, Toutput):
    names = ("min_x", "max_x", "min_y", "max_y")
    x, y, (lo_x, hi_x, lo_y, hi_y), bcast = _binary_inputs(
        "QuantizedMul", x, y, (min_x, max_x, min_y, max_y),
        [f"{n} must be a scalar" for n in names], Toutput)
    if not hi_x > lo_x:
        raise InvalidArgumentError(None, None, "max_x must be larger than min_a.")
    if not hi_y > lo_y:
        raise InvalidArgumentError(None, None, "max_x must be larger than min_b.")

    def minus_offset(lo, hi):  # int32(q) - int32(level of 0.0), in int32
        off = to_int32(unclamped_offset(lo, hi, _dt.quint8))
        return lambda q: (np.asarray(q).astype(np.int64) - off).astype(np.int32)

    fx, fy = minus_offset(lo_x, hi_x), minus_offset(lo_y, hi_y)
    z = _pair(x, y, bcast, fx, fy, fx, fy, lambda a, b: np.multiply(a, b, dtype=np.int64),
              "vector must have at least 1 element")
    return (z, *range_for_multiplication(lo_x, hi_x, lo_y, hi_y, _dt.quint8, _dt.quint8,
                                         _dt.qint32))


def _binary_infer(x, y, *ranges, Toutput):
    """BroadcastBinaryOpShapeFn, then scalar ranges in and out."""
    _check_quantized(x.dtype, "x")
    _check_quantized(y.dtype, "y")
    check_out_type(Toutput, "Toutput")
    (z,) = broadcast_infer(x, y)
    for r in ranges:
        with_rank(r, 0)
    return [TensorSpec(z.shape, Toutput), TensorSpec([], _dt.float32),
            TensorSpec([], _dt.float32)]


def _binary_op(op_type, kernel, doc):
    return register(OpDef(
        op_type, inputs=["x:T1", "y:T2", "min_x:float32", "max_x:float32", "min_y:float32",
                         "max_y:float32"],
        attrs={"Toutput": _dt.qint32}, kernel=kernel, infer=_binary_infer, grad=NO_GRADIENT,
        doc=doc))


QUANTIZED_ADD = _binary_op("QuantizedAdd", _add_kernel,
                           "x + y of quantized values, in a symmetric range 2^14 times theirs")
QUANTIZED_MUL = _binary_op("QuantizedMul", _mul_kernel,
                           "x * y of quantized values, in int32 with their zero points")
