"""Fractional pooling: FractionalMaxPool, FractionalAvgPool and their gradient ops, as TensorFlow's
CPU kernels (``fractional_max_pool_op.cc``, ``fractional_avg_pool_op.cc``) compute them, and the
TF1 ``tf.nn.fractional_max_pool`` / ``fractional_avg_pool`` wrappers.

Rows (and columns) are cut into ``floor(size / ratio)`` cells by a cumulative pooling sequence
``0 = a[0] < ... < a[n] = size`` whose steps are ``K`` or ``K + 1`` (``K = floor(size / n)``);
cell ``i`` spans ``a[i] .. a[i+1] - 1`` (``a[i+1]`` with ``overlapping``, clipped to the input).
The forward ops return the sequences with the output, and the gradient ops take them back, so a
gradient always pools over the cells its forward run drew.

The sequences are TF's, bit for bit: each run makes a GuardedPhiloxRandom from (seed, seed2) --
Philox4x32-10 keyed by ``seed`` from counter ``seed2 << 64`` (core/ops/stateless_random_ops.py)
-- and draws the rows' sequence, then the columns', as ``GeneratePoolingSequence``
(``fractional_pool_common.cc``): pseudo-random ``a[i] = ceil(alpha * (i + u))`` with one uniform
double ``u``; random a shuffle of the ``K``/``K + 1`` steps. ``deterministic`` with a seed gives
the same sequences every run, as TF's; without one (seed = seed2 = 0) the kernel picks random
seeds once per session; not ``deterministic``, every run draws new ones.

The kernels visit each cell's taps in TF's order (rows, then columns) as whole-array operations
over the batch, cells and channels, so sums, maxima and first-maximum ties come out as TF's.
``__all__`` lists the ``tf.nn`` names (core/nn.py star-imports it).
"""

from __future__ import annotations

import collections
import math
import secrets

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, UnimplementedError
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, req, shape_error
from ._conv_util import _dims, _require
from ._util import shape_from_value
from .stateless_random_ops import philox_stream

__all__ = ["fractional_max_pool", "fractional_avg_pool"]

_TYPES = (_dt.float32, _dt.float64, _dt.int32, _dt.int64)  # TF's order
_M64, _M128 = (1 << 64) - 1, (1 << 128) - 1
_POOL_ATTRS = {"pooling_ratio": req("list(float)"), "pseudo_random": False,
               "overlapping": False, "deterministic": False, "seed": 0, "seed2": 0}


def _error(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, None, message)


def _g(x) -> str:
    return f"{float(x):.6g}"  # absl::StrCat's float format


def _shape_str(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _flat_str(values) -> str:
    """A 1-D tensor as TF's error messages print it (Eigen: right-aligned columns)."""
    text = [str(int(v)) for v in np.ravel(values)]
    width = max((len(t) for t in text), default=0)
    return " ".join(t.rjust(width) for t in text)


# -- the pooling sequences (GeneratePoolingSequence) ----------------------------------------------


class _Philox:
    """TF's GuardedPhiloxRandom: ReserveSamples32(n) hands out a stream from the current counter
    and moves the counter on by ceil(n / 4) blocks."""

    def __init__(self, seed: int, seed2: int):
        self.key, self.counter = seed & _M64, (seed2 & _M64) << 64

    def reserve32(self, n: int) -> list:
        blocks = max(-(-n // 4), 1)
        words = philox_stream(self.key, self.counter, blocks).tolist()
        self.counter = (self.counter + -(-n // 4)) & _M128
        return words


def _uint64_to_double(x0: int, x1: int) -> float:
    """Uint64ToDouble: 20 bits of x0 and 32 of x1 as a double mantissa in [1, 2); minus one."""
    bits = np.array([(1023 << 52) | (x0 & 0xFFFFF) << 32 | x1], np.uint64)
    return float(bits.view(np.float64)[0]) - 1.0


def _pooling_sequence(n_in: int, n_out: int, rng: _Philox, pseudo_random: bool) -> np.ndarray:
    """The cumulative sequence [0, ..., n_in] of n_out cells, drawn as TF's kernel draws it."""
    if pseudo_random:
        alpha, k = n_in / n_out, n_in // n_out
        # u stays below what keeps the first and last steps within [k, k + 1] (TF's u_max).
        max_u = min((k + 2) / alpha - 1, (n_in + 1 - k) / alpha - (n_out - 1))
        x0, x1 = rng.reserve32(2)[:2]
        u = _uint64_to_double(x0, x1) * max_u
        cum = [1] + [int(math.ceil(alpha * (i + u))) for i in range(1, n_out)] + [n_in + 1]
        diff = [cum[i + 1] - cum[i] for i in range(n_out)]
    else:
        k, extra = divmod(n_in, n_out)
        diff = [k + 1 if i < extra else k for i in range(n_out)]
        words = rng.reserve32(n_out)
        for i in range(n_out - 1):  # TF's RandomShuffle with single() % n
            j = i + words[i] % (n_out - i)
            diff[i], diff[j] = diff[j], diff[i]
    return np.concatenate([[0], np.cumsum(diff)]).astype(np.int64)


def _output_size(size: int, ratio: float) -> int:
    """floor(size / ratio) in float32, as TF's shape function and kernel compute it."""
    return int(math.floor(np.float32(size) / np.float32(ratio)))


# -- cells and their taps -------------------------------------------------------------------------


def _cells(seq: np.ndarray, size: int, overlapping: bool):
    """(starts, ends) of the cells of a cumulative sequence; ends clipped to the input."""
    starts = seq[:-1]
    ends = np.minimum(seq[1:] - (0 if overlapping else 1), size - 1)
    return starts, ends


def _offsets(starts, ends):
    """Per tap offset a: (index of tap a in every cell, whether the cell has a tap a)."""
    span = int(np.max(ends - starts + 1, initial=0))
    for a in range(span):
        idx = starts + a
        valid = idx <= ends
        yield np.where(valid, idx, 0), valid


def _taps(rows, cols):
    """Each tap of every cell, in TF's order (rows, then columns): (the mask of the cells that
    have that tap [1, oh, ow, 1], its row index in each cell row, its column index in each
    cell column)."""
    for ri, rv in _offsets(*rows):
        for ci, cv in _offsets(*cols):
            yield (rv[:, None] & cv[None, :])[None, :, :, None], ri, ci


def _gather(x, ri, ci):
    """x at one tap of every cell: [B, oh, ow, C]."""
    return x[:, ri[:, None], ci[None, :], :]


def _lowest(dtype):
    return np.finfo(dtype).min if dtype.kind == "f" else np.iinfo(dtype).min


def _truncating_divide(total, count):
    """C++ division of T by T: truncation toward zero for integers."""
    if total.dtype.kind == "f":
        with np.errstate(divide="ignore", invalid="ignore"):
            return (total / count.astype(total.dtype)).astype(total.dtype)
    count = np.maximum(count, 1).astype(total.dtype)
    return (np.sign(total) * (np.abs(total) // count)).astype(total.dtype)


# -- the forward ops ------------------------------------------------------------------------------


def _check_ratio_attrs(pooling_ratio, op_type):
    if len(pooling_ratio) < 4:
        raise shape_error(f"Attr 'pooling_ratio' of '{op_type}' Op passed list of length "
                          f"{len(pooling_ratio)} less than minimum 4.")
    if len(pooling_ratio) != 4:
        raise shape_error("pooling_ratio field must specify 4 dimensions")
    for r in pooling_ratio:
        if r < 1:
            raise shape_error(f"pooling_ratio cannot be smaller than 1, got: {_g(r)}")


def _pool_infer(op_type):
    def infer(value, *, pooling_ratio, **_):
        _require(value, "value", _TYPES)
        _check_ratio_attrs(pooling_ratio, op_type)
        dims = _dims(value.shape, 4)
        out = [None if d is None else _output_size(d, r) for d, r in zip(dims, pooling_ratio)]
        # TF's shape function says [rows] for the sequences; they hold rows + 1 values.
        return [TensorSpec(out, value.dtype),
                TensorSpec([None if out[1] is None else out[1] + 1], _dt.int64),
                TensorSpec([None if out[2] is None else out[2] + 1], _dt.int64)]
    return infer


def _seeds(state, deterministic, seed, seed2):
    """This run's (seed, seed2): the attrs', or random ones (TF's random::New64) -- kept for
    the session when ``deterministic``, new every run otherwise."""
    if not deterministic:
        if seed != 0 or seed2 != 0:
            raise _error("Both seed and seed2 should be 0 if deterministic is false.")
        return secrets.randbits(64), secrets.randbits(64)
    if seed == 0 and seed2 == 0:
        seeds = state.get("seeds")
        if seeds is None:  # setdefault is atomic: the first runs of the session, racing, all
            # get the one pair that was stored first.
            seeds = state.setdefault("seeds", (secrets.randbits(64), secrets.randbits(64)))
        return seeds
    return seed, seed2


def _pool_setup(what, state, value, pooling_ratio, pseudo_random, deterministic, seed, seed2):
    """Run-time checks (TF's kernel construction and Compute), the output size, the rows' and
    columns' sequences."""
    _check_ratio_attrs(pooling_ratio, f"Fractional{what}Pool")
    if pooling_ratio[0] != 1 or pooling_ratio[3] != 1:
        name = "max" if what == "Max" else "average"
        raise UnimplementedError(None, None, f"Fractional {name} pooling is not yet supported "
                                 "on the batch nor channel dimension.")
    seed, seed2 = _seeds(state, deterministic, seed, seed2)
    if value.ndim != 4:
        raise _error("tensor_in must be 4-dimensional")
    for i, (d, r) in enumerate(zip(value.shape, pooling_ratio)):
        if d < r:
            raise _error(f"Pooling ratio is higher than input dimension size for dimension {i}. "
                         f"Input dim size: {d} pooling ratio: {_g(r)}")
    out = [_output_size(d, r) for d, r in zip(value.shape, pooling_ratio)]
    rng = _Philox(seed, seed2)
    rows = _pooling_sequence(value.shape[1], out[1], rng, pseudo_random)
    cols = _pooling_sequence(value.shape[2], out[2], rng, pseudo_random)
    return out, rows, cols


def _max_pool_kernel(state, value, *, pooling_ratio, pseudo_random, overlapping, deterministic,
                     seed, seed2):
    out, rows, cols = _pool_setup("Max", state, value, pooling_ratio, pseudo_random,
                                  deterministic, seed, seed2)
    h, w = value.shape[1:3]
    result = np.full(out, _lowest(value.dtype), value.dtype)
    for valid, ri, ci in _taps(_cells(rows, h, overlapping), _cells(cols, w, overlapping)):
        np.copyto(result, np.maximum(result, _gather(value, ri, ci)), where=valid)
    return result, rows, cols


def _avg_pool_kernel(state, value, *, pooling_ratio, pseudo_random, overlapping, deterministic,
                     seed, seed2):
    out, rows, cols = _pool_setup("Avg", state, value, pooling_ratio, pseudo_random,
                                  deterministic, seed, seed2)
    h, w = value.shape[1:3]
    total = np.zeros(out, value.dtype)
    count = np.zeros((1, out[1], out[2], 1), np.int64)
    with np.errstate(over="ignore"):  # integer sums wrap, as TF's
        for valid, ri, ci in _taps(_cells(rows, h, overlapping), _cells(cols, w, overlapping)):
            np.add(total, _gather(value, ri, ci), out=total, where=valid)
            count += valid
    return _truncating_divide(total, count), rows, cols


def _max_pool_grad(op, grad, *_):
    """TF's _FractionalMaxPoolGrad: the input's gradient over the sequences this run drew."""
    return [FRACTIONAL_MAX_POOL_GRAD(op.inputs[0], op.outputs[0], grad, op.outputs[1],
                                     op.outputs[2], overlapping=op._get_attr("overlapping"))]


def _avg_pool_grad(op, grad, *_):
    """TF's _FractionalAvgPoolGrad: the input's static shape as a constant (TF requires it
    fully defined; minitf takes the run-time shape when it is not)."""
    from .array_ops import constant, shape

    x = op.inputs[0]
    if x.shape.is_fully_defined():
        in_shape = constant(x.shape.as_list(), dtype=_dt.int64)
    else:
        in_shape = shape(x, out_type=_dt.int64)
    return [FRACTIONAL_AVG_POOL_GRAD(in_shape, grad, op.outputs[1], op.outputs[2],
                                     overlapping=op._get_attr("overlapping"))]


FRACTIONAL_MAX_POOL = register(OpDef(
    "FractionalMaxPool", inputs=["value:T"], attrs=dict(_POOL_ATTRS), kernel=_max_pool_kernel,
    infer=_pool_infer("FractionalMaxPool"), grad=_max_pool_grad, resource="state",
    doc="max over fractional cells; outputs (output, row_pooling_sequence, "
        "col_pooling_sequence)"))
FRACTIONAL_AVG_POOL = register(OpDef(
    "FractionalAvgPool", inputs=["value:T"], attrs=dict(_POOL_ATTRS), kernel=_avg_pool_kernel,
    infer=_pool_infer("FractionalAvgPool"), grad=_avg_pool_grad, resource="state",
    doc="mean over fractional cells; outputs (output, row_pooling_sequence, "
        "col_pooling_sequence)"))


# -- the gradient ops -----------------------------------------------------------------------------


def _check_regions(seq, size, overlapping, n_out, what):
    """The first ``n_out`` cells of ``seq``; cells past them must hold no input element (TF
    would write past its output)."""
    starts, ends = _cells(seq, size, overlapping)
    if starts.size < n_out:
        return None
    if np.any(starts[n_out:] <= ends[n_out:]):
        raise _error(f"{what}_pooling_sequence has {starts.size} pooling cells with elements, "
                     f"but the output has only {n_out}")
    starts, ends = starts[:n_out], ends[:n_out]
    if np.any(starts < 0) or np.any(ends < 0):
        name = "Row" if what == "row" else "Column"
        raise _error(f"{name} sequence tensor values must not be negative, got "
                     f"{_flat_str(seq)}")
    return starts, ends


def _max_pool_grad_kernel(orig_input, orig_output, out_backprop, row_pooling_sequence,
                          col_pooling_sequence, *, overlapping):
    x, y = orig_input, orig_output
    for name, t in (("orig_input", x), ("orig_output", y)):
        if t.ndim != 4:
            raise _error(f"{name} should be a tensor of rank 4, got {_shape_str(t.shape)}")
        if t.size == 0:
            raise _error(f"{name} must not be empty, got {_shape_str(t.shape)}")
    for name, s in (("row", row_pooling_sequence), ("col", col_pooling_sequence)):
        if s.ndim != 1:
            raise _error(f"{name}_pooling_sequence must be a vector, received shape "
                         f"{_shape_str(s.shape)}")
    if row_pooling_sequence.size * col_pooling_sequence.size > x.size:
        raise _error("Pooling region has more elements than the input tensor. "
                     f"row_pooling_sequence: {_shape_str(row_pooling_sequence.shape)} "
                     f"col_pooling_sequence: {_shape_str(col_pooling_sequence.shape)} "
                     f"orig_input: {_shape_str(x.shape)}")
    if y.shape[0] != x.shape[0] or y.shape[3] != x.shape[3]:
        raise _error(f"orig_output {_shape_str(y.shape)} must have the batch and depth of "
                     f"orig_input {_shape_str(x.shape)}")
    if out_backprop.size != y.size:
        raise _error(f"out_backprop {_shape_str(out_backprop.shape)} must have as many elements "
                     f"as orig_output {_shape_str(y.shape)}")
    b, h, w, c = x.shape
    rows = _check_regions(row_pooling_sequence, h, overlapping, y.shape[1], "row")
    cols = _check_regions(col_pooling_sequence, w, overlapping, y.shape[2], "col")
    best = np.full(y.shape, _lowest(x.dtype), x.dtype)
    arg = np.full(y.shape, -1, np.int64)
    if rows is not None and cols is not None:
        # TF walks the taps in order and keeps the first maximum (a strict <), so ties go to
        # the first tap.
        base = np.arange(b)[:, None, None, None] * h
        depth = np.arange(c)[None, None, None, :]
        for valid, ri, ci in _taps(rows, cols):
            tap = _gather(x, ri, ci)
            take = valid & ((best < tap) | (arg < 0))
            index = ((base + ri[None, :, None, None]) * w + ci[None, None, :, None]) * c + depth
            np.copyto(best, tap, where=take)
            np.copyto(arg, np.broadcast_to(index, arg.shape), where=take)
    if not np.array_equal(best, y, equal_nan=x.dtype.kind == "f"):
        raise _error("tensor_out_dup is not the same as tensor_out")
    if np.any(arg < 0):
        raise _error(f"Invalid input backprop index: -1, {x.size}")
    dx = np.zeros(x.size, x.dtype)
    with np.errstate(over="ignore"):
        np.add.at(dx, arg.reshape(-1), out_backprop.reshape(-1))
    return dx.reshape(x.shape)


def _avg_pool_grad_kernel(orig_input_tensor_shape, out_backprop, row_pooling_sequence,
                          col_pooling_sequence, *, overlapping):
    in_shape = orig_input_tensor_shape
    if in_shape.ndim != 1 or in_shape.size != 4:
        raise _error("original input tensor shape must be1-dimensional and 4 elements")
    dy = out_backprop
    if dy.ndim != 4:
        raise _error("out_backprop must be 4-dimensional")
    rows_seq, cols_seq = row_pooling_sequence.reshape(-1), col_pooling_sequence.reshape(-1)
    _, out_rows, out_cols, _ = dy.shape
    for name, seq, n in (("row", rows_seq, out_rows), ("col", cols_seq, out_cols)):
        if seq.size <= n:
            raise _error(f"Given out_backprop shape {_shape_str(dy.shape)}, {name}_seq_tensor "
                         f"must have at least {n + 1} elements, but got {seq.size}")
    for name, d in zip(("Batch", "Rows", "Columns", "Depth"), in_shape):
        if d == 0:
            raise _error(f"{name} dimension of input must not be 0")
    if np.any(in_shape < 0):
        raise _error(f"orig_input_tensor_shape must be positive, got: {_flat_str(in_shape)}")
    b, h, w, c = (int(d) for d in in_shape)
    if dy.shape[0] != b or dy.shape[3] != c:
        raise _error(f"out_backprop {_shape_str(dy.shape)} must have the batch and depth of "
                     f"orig_input_tensor_shape {_shape_str(in_shape)}")
    rows = _cells(rows_seq[:out_rows + 1], h, overlapping)
    cols = _cells(cols_seq[:out_cols + 1], w, overlapping)
    for name, (starts, ends) in (("Row", rows), ("Column", cols)):
        if np.any(starts < 0) or np.any(ends < 0):
            seq = rows_seq if name == "Row" else cols_seq
            raise _error(f"{name} sequence tensor values must not be negative, got "
                         f"{_flat_str(seq)}")
    # Each cell hands out its gradient evenly (in double) to the elements it pooled, and each
    # element sums what it gets in TF's order (cell rows, then cell columns): per cell row, one
    # pass per column cell a column is in.
    count = (rows[1] - rows[0] + 1)[:, None] * (cols[1] - cols[0] + 1)[None, :]
    share = dy.astype(np.float64) / np.where(count > 0, count, 1)[None, :, :, None]
    dx = np.zeros((b, h, w, c), np.float64)
    column_cells = list(_column_cells(*cols, w))
    for i, (r0, r1) in enumerate(zip(rows[0].tolist(), rows[1].tolist())):
        for cells, valid in column_cells if r0 <= r1 else ():
            dx[:, r0:r1 + 1] += np.where(valid, share[:, i, cells], 0.0)[:, None]
    return dx.astype(dy.dtype)


def _column_cells(starts, ends, width):
    """For k = 0, 1, ...: the k-th column cell holding each column (in cell order) [width],
    and a mask [1, width, 1] of the columns that are in more than k cells."""
    holders = [[] for _ in range(width)]
    for j, (c0, c1) in enumerate(zip(starts.tolist(), ends.tolist())):
        for col in range(c0, c1 + 1):
            holders[col].append(j)
    for k in range(max((len(js) for js in holders), default=0)):
        cells = np.array([js[k] if len(js) > k else 0 for js in holders], np.int64)
        valid = np.array([len(js) > k for js in holders])[None, :, None]
        yield cells, valid


def _max_pool_grad_infer(orig_input, orig_output, out_backprop, row_pooling_sequence,
                         col_pooling_sequence, *, overlapping):
    _require(orig_input, "orig_input", _TYPES)
    return [TensorSpec(_dims(orig_input.shape, 4), orig_input.dtype)]


def _avg_pool_grad_infer(orig_input_tensor_shape, out_backprop, row_pooling_sequence,
                         col_pooling_sequence, *, overlapping):
    """TF's shape function: the shape tensor's value when it is known (any rank), else an
    unknown shape of rank 4."""
    _require(out_backprop, "out_backprop", _TYPES)
    shape = shape_from_value(orig_input_tensor_shape)
    if shape.rank is None:
        return [TensorSpec([None] * 4, out_backprop.dtype)]
    return [TensorSpec(shape, out_backprop.dtype)]


# TF registers no gradient for the two gradient ops: asking for one raises LookupError.
FRACTIONAL_MAX_POOL_GRAD = register(OpDef(
    "FractionalMaxPoolGrad",
    inputs=["orig_input:T", "orig_output:T", "out_backprop:T", "row_pooling_sequence:int64",
            "col_pooling_sequence:int64"],
    attrs={"overlapping": False}, kernel=_max_pool_grad_kernel, infer=_max_pool_grad_infer,
    grad=NO_GRADIENT, doc="each cell's gradient to the first maximum of the cell"))
FRACTIONAL_AVG_POOL_GRAD = register(OpDef(
    "FractionalAvgPoolGrad",
    inputs=["orig_input_tensor_shape:int64", "out_backprop:T", "row_pooling_sequence:int64",
            "col_pooling_sequence:int64"],
    attrs={"overlapping": False}, kernel=_avg_pool_grad_kernel, infer=_avg_pool_grad_infer,
    grad=NO_GRADIENT, doc="each cell's gradient shared evenly by the elements of the cell"))


# -- tf.nn wrappers (TF1 signatures) --------------------------------------------------------------

FractionalMaxPool = collections.namedtuple(
    "FractionalMaxPool", ["output", "row_pooling_sequence", "col_pooling_sequence"])
FractionalAvgPool = collections.namedtuple(
    "FractionalAvgPool", ["output", "row_pooling_sequence", "col_pooling_sequence"])


def fractional_max_pool(value, pooling_ratio, pseudo_random=False, overlapping=False,
                        deterministic=False, seed=0, seed2=0, name=None):
    """TF1's ``tf.nn.fractional_max_pool``: one FractionalMaxPool node; returns (output,
    row_pooling_sequence, col_pooling_sequence)."""
    return FractionalMaxPool(*FRACTIONAL_MAX_POOL(
        value, pooling_ratio=pooling_ratio, pseudo_random=pseudo_random,
        overlapping=overlapping, deterministic=deterministic, seed=seed, seed2=seed2,
        name=name))


def fractional_avg_pool(value, pooling_ratio, pseudo_random=False, overlapping=False,
                        deterministic=False, seed=0, seed2=0, name=None):
    """TF1's ``tf.nn.fractional_avg_pool``: one FractionalAvgPool node; returns (output,
    row_pooling_sequence, col_pooling_sequence)."""
    return FractionalAvgPool(*FRACTIONAL_AVG_POOL(
        value, pooling_ratio=pooling_ratio, pseudo_random=pseudo_random,
        overlapping=overlapping, deterministic=deterministic, seed=seed, seed2=seed2,
        name=name))
