"""TensorFlow's stateless random ops, bit for bit: Philox4x32-10 and TF's conversions of its bits.

A stateless op's output is a function of its shape and seed (V1: a seed of shape [2]) or of a
Philox key and counter (V2: ``StatelessRandomGetKeyCounter`` turns the seed into them). Following
TF's CPU kernels (``stateless_random_ops.cc``, ``random_distributions.h``):

- the seed is scrambled into a key and a 128-bit counter by one Philox block;
- output group ``g`` of a fixed-consumption distribution is made from the Philox block at
  ``counter + g``: four floats (one 32-bit word each), two doubles (two words each), two
  normals per word pair (Box-Muller), four int32 or two int64;
- truncated normal groups (4 outputs, 2 in float64) each read their own stretch of the stream
  from block ``counter + g * 256`` (``* 128`` in float64) word by word, keeping the Box-Muller
  values inside two standard deviations until the group is full.

Box-Muller's log/sin/cos are the C library's, as in TF's kernels: logf/sinf/cosf through ctypes
for float32 (and float16), log/sin/cos through ``math`` for float64. glibc's are not correctly
rounded, so numpy's would differ in the last bit of one or two values in a hundred; the price is
a Python call per value (about a microsecond). Without a loadable C library the float32 path
rounds float64 results instead. ThreeFry (alg 2) is refused, as TF's CPU kernels refuse it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import math

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, UnimplementedError
from ..graph import convert_to_tensor, name_scope
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ._util import shape_from_value
from .random_ops import _mul_add, _shape_tensor

__all__ = ["stateless_random_normal", "stateless_random_uniform", "stateless_truncated_normal"]

# -- Philox4x32-10 ---------------------------------------------------------------------------------

_M32 = np.uint64(0xFFFFFFFF)
_M64 = (1 << 64) - 1
_SHIFT32 = np.uint64(32)
_ROUND_MULTIPLIERS = (np.uint64(0xD2511F53), np.uint64(0xCD9E8D57))
_KEY_INCREMENTS = (0x9E3779B9, 0xBB67AE85)  # the Weyl sequence added to the key per round
_SEED_SCRAMBLE_KEY = 0x02461E29_3EC8F720  # the key GenerateKey scrambles a seed with
RNG_ALG_PHILOX, RNG_ALG_THREEFRY, RNG_ALG_AUTO_SELECT = 1, 2, 3


def philox4x32_10(words, key: int):
    """Philox4x32-10 of counters given as four uint64 arrays of 32-bit words (low word first)
    under a 64-bit key; returns the four output words the same way."""
    c0, c1, c2, c3 = words
    k0, k1 = key & 0xFFFFFFFF, key >> 32
    for _ in range(10):
        p0 = c0 * _ROUND_MULTIPLIERS[0]  # 32 x 32 bits: exact in uint64
        p1 = c2 * _ROUND_MULTIPLIERS[1]
        c0, c1, c2, c3 = ((p1 >> _SHIFT32) ^ c1 ^ np.uint64(k0), p1 & _M32,
                          (p0 >> _SHIFT32) ^ c3 ^ np.uint64(k1), p0 & _M32)
        k0 = (k0 + _KEY_INCREMENTS[0]) & 0xFFFFFFFF
        k1 = (k1 + _KEY_INCREMENTS[1]) & 0xFFFFFFFF
    return c0, c1, c2, c3


def philox_blocks(key: int, counter: int, offsets) -> np.ndarray:
    """The Philox blocks at the 128-bit ``counter + offsets``: uint32 [len(offsets), 4]."""
    offsets = np.asarray(offsets, dtype=np.uint64)
    lo = np.uint64(counter & _M64) + offsets  # wraps modulo 2**64; the carry goes to hi
    hi = np.uint64((counter >> 64) & _M64) + (lo < offsets).astype(np.uint64)
    words = (lo & _M32, lo >> _SHIFT32, hi & _M32, hi >> _SHIFT32)
    return np.stack(philox4x32_10(words, key), axis=-1).astype(np.uint32)


def philox_stream(key: int, counter: int, n_blocks: int) -> np.ndarray:
    """The words of ``n_blocks`` successive blocks from ``counter``, in order (uint32)."""
    return philox_blocks(key, counter, np.arange(n_blocks, dtype=np.uint64)).reshape(-1)


def key_counter_from_seed(seed) -> tuple[int, int]:
    """TF's GenerateKey: a [2] seed (int32 values sign-extended to 64 bits) -> (key, counter)."""
    s0, s1 = (int(v) & _M64 for v in np.asarray(seed).reshape(-1))
    mix = [int(w) for w in philox_blocks(_SEED_SCRAMBLE_KEY, s0 | s1 << 64, [0])[0]]
    return mix[0] | mix[1] << 32, (mix[2] | mix[3] << 32) << 64  # counter's low 64 bits are 0


# -- random bits -> values (random_distributions.h) ------------------------------------------------


def uint32_to_float(bits):
    """Uint32ToFloat: 23 mantissa bits under exponent 0 give [1, 2); minus one."""
    man = (np.asarray(bits, np.uint32) & np.uint32(0x7FFFFF)) | np.uint32(127 << 23)
    return man.view(np.float32) - np.float32(1)


def uint16_to_half(bits):
    """Uint16ToHalf: the low 10 bits as a float16 mantissa in [1, 2); minus one."""
    man = (np.asarray(bits, np.uint32) & np.uint32(0x3FF)) | np.uint32(15 << 10)
    return man.astype(np.uint16).view(np.float16) - np.float16(1)


def uint64_to_double(hi_bits, lo_bits):
    """Uint64ToDouble(x0, x1): 20 bits of x0 above the 32 of x1 as the mantissa; minus one."""
    hi = np.asarray(hi_bits, np.uint64) & np.uint64(0xFFFFF)
    man = (hi << _SHIFT32) | np.asarray(lo_bits, np.uint64) | np.uint64(1023 << 52)
    return man.view(np.float64) - 1.0


@functools.lru_cache(maxsize=1)
def _c_float_functions():
    """The C library's logf, sinf, cosf (TF's Box-Muller calls them), or None without one."""
    path = ctypes.util.find_library("m")
    try:
        lib = ctypes.CDLL(path) if path else None
    except OSError:
        lib = None
    if lib is None:
        return None
    fns = []
    for name in ("logf", "sinf", "cosf"):
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
        fns.append(fn)
    return fns


def _each(fn, x, dtype):
    return np.fromiter(map(fn, x.tolist()), dtype=dtype, count=x.size)


def _float_log_sin_cos(u, v):
    fns = _c_float_functions()
    if fns is None:  # correctly rounded instead: may differ from TF's in the last bit
        u, v = u.astype(np.float64), v.astype(np.float64)
        return tuple(f(x).astype(np.float32) for f, x in ((np.log, u), (np.sin, v), (np.cos, v)))
    logf, sinf, cosf = fns
    return _each(logf, u, np.float32), _each(sinf, v, np.float32), _each(cosf, v, np.float32)


def box_muller_float(x0, x1):
    """BoxMullerFloat: two float32 normals from two words, in TF's float arithmetic."""
    u1 = np.maximum(uint32_to_float(x0), np.float32(1.0e-7))  # keeps log() finite
    v1 = (2 * np.pi * uint32_to_float(x1).astype(np.float64)).astype(np.float32)  # 2 * M_PI: double
    log_u1, sin_v1, cos_v1 = _float_log_sin_cos(u1, v1)
    u2 = np.sqrt(np.float32(-2.0) * log_u1)
    return sin_v1 * u2, cos_v1 * u2


def box_muller_double(x0, x1, x2, x3):
    """BoxMullerDouble: two float64 normals from four words (log, sin, cos of the C library)."""
    u1 = np.maximum(uint64_to_double(x0, x1), 1.0e-7)
    v1 = 2 * np.pi * uint64_to_double(x2, x3)
    u2 = np.sqrt(-2.0 * _each(math.log, u1, np.float64))
    return _each(math.sin, v1, np.float64) * u2, _each(math.cos, v1, np.float64) * u2


def _box_muller(blocks, double):
    """The normals of Philox blocks (uint32 [k, 4]) in stream order: [k, 2] doubles (one
    Box-Muller of four words each) or [k, 4] floats (one per word pair)."""
    if double:
        return np.stack(box_muller_double(*blocks.T), axis=-1)
    pairs = blocks.reshape(-1, 2)
    return np.stack(box_muller_float(pairs[:, 0], pairs[:, 1]), axis=-1).reshape(-1, 4)


def uniform(key: int, counter: int, n: int, dtype: _dt.DType) -> np.ndarray:
    if dtype == _dt.float64:
        w = philox_stream(key, counter, -(-n // 2)).reshape(-1, 2)
        return uint64_to_double(w[:, 0], w[:, 1])[:n]
    bits = philox_stream(key, counter, -(-n // 4))[:n]
    return uint16_to_half(bits) if dtype == _dt.float16 else uint32_to_float(bits)


def normal(key: int, counter: int, n: int, dtype: _dt.DType) -> np.ndarray:
    double = dtype == _dt.float64
    blocks = philox_stream(key, counter, -(-n // (2 if double else 4))).reshape(-1, 4)
    return _box_muller(blocks, double).reshape(-1)[:n].astype(dtype.as_numpy_dtype)


def truncated_normal(key: int, counter: int, n: int, dtype: _dt.DType) -> np.ndarray:
    """TruncatedNormalDistribution: each group draws until it has kept ``size`` values of
    magnitude under 2; all unfinished groups read their next block together."""
    double = dtype == _dt.float64
    size = 2 if double else 4  # outputs per group
    groups = -(-n // size)
    skip = np.uint64(size * 256 // 4)  # kGeneratorSkipPerOutputGroup: 256 samples reserved
    out = np.zeros((groups, size), np.float64 if double else np.float32)
    kept = np.zeros(groups, np.int64)
    pending, used = np.arange(groups), 0
    while pending.size:
        offsets = pending.astype(np.uint64) * skip + np.uint64(used)
        cand = _box_muller(philox_blocks(key, counter, offsets), double)
        rank = kept[pending, None] + np.cumsum(np.abs(cand) < 2.0, axis=1)
        take = (np.abs(cand) < 2.0) & (rank <= size)
        rows, cols = np.nonzero(take)
        out[pending[rows], rank[rows, cols] - 1] = cand[rows, cols]
        kept[pending] = np.minimum(rank[:, -1], size)
        pending, used = pending[kept[pending] < size], used + 1
    return out.reshape(-1)[:n].astype(dtype.as_numpy_dtype)


def _int_words(key: int, counter: int, n: int, wide: bool) -> np.ndarray:
    """Raw bits: one word per 32-bit value, two (low word first) per 64-bit value."""
    if not wide:
        return philox_stream(key, counter, -(-n // 4))[:n]
    w = philox_stream(key, counter, -(-n // 2)).reshape(-1, 2).astype(np.uint64)
    return (w[:, 0] | (w[:, 1] << _SHIFT32))[:n]


def uniform_int(key: int, counter: int, n: int, lo, hi, dtype: _dt.DType) -> np.ndarray:
    """UniformDistribution<int>: ``lo + bits % (hi - lo)``, in unsigned arithmetic."""
    wide = dtype.size == 8
    unsigned = np.uint64 if wide else np.uint32
    span = (int(hi) - int(lo)) % (1 << (64 if wide else 32))
    bits = _int_words(key, counter, n, wide)
    out = bits % unsigned(span) + unsigned(int(lo) % (1 << (64 if wide else 32)))
    return out.view(dtype.as_numpy_dtype)


def uniform_full_int(key: int, counter: int, n: int, dtype: _dt.DType) -> np.ndarray:
    return _int_words(key, counter, n, dtype.size == 8).view(dtype.as_numpy_dtype)


# -- kernel inputs ---------------------------------------------------------------------------------


def _dims(shape) -> str:
    return "[" + ",".join(map(str, np.shape(shape))) + "]"


def _output_size(shape) -> tuple[tuple, int]:
    shape = np.asarray(shape)
    if shape.ndim != 1:
        raise InvalidArgumentError(None, None, "shape must be a vector of {int32,int64}, got "
                                   f"shape {_dims(shape)}")
    dims = tuple(int(d) for d in shape)
    for d in dims:
        if d < 0:
            raise InvalidArgumentError(None, None, f"Dimension {d} must be >= 0")
    return dims, math.prod(dims)


def _seed_key_counter(seed) -> tuple[int, int]:
    if np.shape(seed) != (2,):
        raise InvalidArgumentError(None, None, f"seed must have shape [2], not {_dims(seed)}")
    return key_counter_from_seed(seed)


def _philox_inputs(key, counter, alg) -> tuple[int, int]:
    """A V2 op's (key, counter) inputs as Philox's 64-bit key and 128-bit counter."""
    if np.shape(alg) != ():
        raise InvalidArgumentError(None, None, f"input 3 (0-based) must have shape [], not "
                                   f"{_dims(alg)}")
    if int(alg) not in (RNG_ALG_PHILOX, RNG_ALG_AUTO_SELECT):  # AUTO_SELECT is Philox on CPU
        why = " (ThreeFry is not implemented: TF's CPU kernels refuse it too)" \
            if int(alg) == RNG_ALG_THREEFRY else ""
        raise InvalidArgumentError(None, None, f"Unsupported algorithm id: {int(alg)}{why}")
    if np.shape(key) != (1,):
        raise InvalidArgumentError(None, None, f"key must have shape [1], not {_dims(key)}. "
                                   "(Note that batched keys are not supported yet.)")
    if np.ndim(counter) != 1 or np.size(counter) < 2:  # TF checks for 1 and reads 2
        raise InvalidArgumentError(None, None, "counter must be a vector with length at least "
                                   f"2; got shape: {_dims(counter)}. (Note that batched "
                                   "counters are not supported yet.)")
    return int(key[0]), int(counter[0]) | int(counter[1]) << 64


def _int_bounds(minval, maxval):
    for what, v in (("minval", minval), ("maxval", maxval)):
        if np.ndim(v) != 0:
            raise InvalidArgumentError(None, None, f"{what} must be 0-D, got shape {_dims(v)}")
    if not minval < maxval:
        raise InvalidArgumentError(None, None, f"Need minval < maxval, got {minval} >= {maxval}")
    return minval, maxval


# -- kernels: an empty output returns before any other input is read, as in TF --------------------


def _dtype_kernels(draw):
    def v1(shape, seed, *, dtype):
        dims, n = _output_size(shape)
        key, counter = _seed_key_counter(seed)
        return draw(key, counter, n, dtype).reshape(dims)

    def v2(shape, key, counter, alg, *, dtype):
        dims, n = _output_size(shape)
        if n == 0:
            return np.zeros(dims, dtype.as_numpy_dtype)
        return draw(*_philox_inputs(key, counter, alg), n, dtype).reshape(dims)

    return v1, v2


def _uniform_int_v1(shape, seed, minval, maxval):
    dims, n = _output_size(shape)
    key, counter = _seed_key_counter(seed)
    dtype = _dt.as_dtype(np.asarray(minval).dtype)
    if n == 0:
        return np.zeros(dims, dtype.as_numpy_dtype)
    return uniform_int(key, counter, n, *_int_bounds(minval, maxval), dtype).reshape(dims)


def _uniform_int_v2(shape, key, counter, alg, minval, maxval):
    dims, n = _output_size(shape)
    dtype = _dt.as_dtype(np.asarray(minval).dtype)
    if n == 0:
        return np.zeros(dims, dtype.as_numpy_dtype)
    key, counter = _philox_inputs(key, counter, alg)
    return uniform_int(key, counter, n, *_int_bounds(minval, maxval), dtype).reshape(dims)


def _get_key_counter_kernel(seed):
    key, counter = _seed_key_counter(seed)
    return np.array([key], np.uint64), np.array([counter & _M64, counter >> 64], np.uint64)


# -- static inference ------------------------------------------------------------------------------

_FLOATS = (_dt.float16, _dt.float32, _dt.float64)  # TF's bfloat16 too; minitf has none
_INTS = (_dt.int32, _dt.int64)
_ALL_INTS = (_dt.int32, _dt.int64, _dt.uint32, _dt.uint64)


def _allowed(attr, dtype, allowed):
    if dtype not in allowed:
        raise TypeError(f"Value for attr '{attr}' of {dtype.name} is not in the list of allowed "
                        f"values: {', '.join(d.name for d in allowed)}")


def _vector(spec, what, size=None, at_least=False):
    """TF's shape function checks: ``spec`` is a vector (of ``size`` entries when known)."""
    if spec.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {spec.shape.rank} for {what}")
    n = spec.shape[0].value if spec.shape.rank == 1 else None
    if size is not None and n is not None and (n < size if at_least else n != size):
        raise shape_error(f"{what} must have {'at least ' if at_least else ''}{size} entries, "
                          f"got shape {spec.shape}")


def _v1_inputs(shape, seed, seed_types=_INTS):
    _allowed("T", shape.dtype, _INTS)
    _allowed("Tseed", seed.dtype, seed_types)
    _vector(seed, "seed", 2)
    return shape_from_value(shape)


def _v2_inputs(shape, key, counter, alg):
    _allowed("Tshape", shape.dtype, _INTS)
    _vector(key, "key", 1)
    _vector(counter, "counter", 2, at_least=True)
    if alg.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {alg.shape.rank} for alg")
    return shape_from_value(shape)


def _scalar_bounds(minval, maxval):
    if minval.shape.rank not in (None, 0) or maxval.shape.rank not in (None, 0):
        raise shape_error("minval and maxval must be scalars")


def _float_v1_infer(shape, seed, *, dtype):
    _allowed("dtype", dtype, _FLOATS)
    return [TensorSpec(_v1_inputs(shape, seed), dtype)]


def _float_v2_infer(shape, key, counter, alg, *, dtype):
    _allowed("dtype", dtype, _FLOATS)
    return [TensorSpec(_v2_inputs(shape, key, counter, alg), dtype)]


def _int_v1_infer(shape, seed, minval, maxval):
    _allowed("dtype", minval.dtype, _INTS)
    _scalar_bounds(minval, maxval)
    return [TensorSpec(_v1_inputs(shape, seed), minval.dtype)]


def _int_v2_infer(shape, key, counter, alg, minval, maxval):
    _allowed("dtype", minval.dtype, _ALL_INTS)
    _scalar_bounds(minval, maxval)
    return [TensorSpec(_v2_inputs(shape, key, counter, alg), minval.dtype)]


def _full_int_v1_infer(shape, seed, *, dtype):
    _allowed("dtype", dtype, _ALL_INTS)
    return [TensorSpec(_v1_inputs(shape, seed, _ALL_INTS), dtype)]


def _full_int_v2_infer(shape, key, counter, alg, *, dtype):
    _allowed("dtype", dtype, _ALL_INTS)
    return [TensorSpec(_v2_inputs(shape, key, counter, alg), dtype)]


def _key_counter_infer(seed):
    _allowed("Tseed", seed.dtype, _INTS)
    _vector(seed, "seed", 2)
    return [TensorSpec([1], _dt.uint64), TensorSpec([2], _dt.uint64)]


# -- declarations: TF marks every one of them not differentiable ----------------------------------

_V1_INPUTS = ["shape:T", "seed:Tseed"]
_V2_INPUTS = ["shape:Tshape", "key:uint64", "counter:uint64", "alg:int32"]


def _float_ops(name, draw):
    v1, v2 = _dtype_kernels(draw)
    return (register(OpDef(name, inputs=_V1_INPUTS, attrs={"dtype": _dt.float32}, kernel=v1,
                           infer=_float_v1_infer, grad=NOT_DIFFERENTIABLE)),
            register(OpDef(name + "V2", inputs=_V2_INPUTS, attrs={"dtype": _dt.float32},
                           kernel=v2, infer=_float_v2_infer, grad=NOT_DIFFERENTIABLE)))


STATELESS_RANDOM_UNIFORM, STATELESS_RANDOM_UNIFORM_V2 = _float_ops(
    "StatelessRandomUniform", uniform)
STATELESS_RANDOM_NORMAL, STATELESS_RANDOM_NORMAL_V2 = _float_ops("StatelessRandomNormal", normal)
STATELESS_TRUNCATED_NORMAL, STATELESS_TRUNCATED_NORMAL_V2 = _float_ops(
    "StatelessTruncatedNormal", truncated_normal)
_FULL_INT_V1, _FULL_INT_V2 = _dtype_kernels(uniform_full_int)

STATELESS_RANDOM_UNIFORM_INT = register(OpDef(
    "StatelessRandomUniformInt", inputs=_V1_INPUTS + ["minval:dtype", "maxval:dtype"],
    kernel=_uniform_int_v1, infer=_int_v1_infer, grad=NOT_DIFFERENTIABLE))
STATELESS_RANDOM_UNIFORM_INT_V2 = register(OpDef(
    "StatelessRandomUniformIntV2", inputs=_V2_INPUTS + ["minval:dtype", "maxval:dtype"],
    kernel=_uniform_int_v2, infer=_int_v2_infer, grad=NOT_DIFFERENTIABLE))
STATELESS_RANDOM_UNIFORM_FULL_INT = register(OpDef(
    "StatelessRandomUniformFullInt", inputs=_V1_INPUTS, attrs={"dtype": _dt.uint64},
    kernel=_FULL_INT_V1, infer=_full_int_v1_infer, grad=NOT_DIFFERENTIABLE))
STATELESS_RANDOM_UNIFORM_FULL_INT_V2 = register(OpDef(
    "StatelessRandomUniformFullIntV2", inputs=_V2_INPUTS, attrs={"dtype": _dt.uint64},
    kernel=_FULL_INT_V2, infer=_full_int_v2_infer, grad=NOT_DIFFERENTIABLE))

STATELESS_RANDOM_GET_KEY_COUNTER = register(OpDef(
    "StatelessRandomGetKeyCounter", inputs=["seed:Tseed"], kernel=_get_key_counter_kernel,
    infer=_key_counter_infer, grad=NOT_DIFFERENTIABLE,
    doc="Philox's key [1] and counter [2] (uint64) for a seed of shape [2]."))
STATELESS_RANDOM_GET_KEY_COUNTER_ALG = register(OpDef(
    "StatelessRandomGetKeyCounterAlg", inputs=["seed:Tseed"],
    kernel=lambda seed: (*_get_key_counter_kernel(seed), np.int32(RNG_ALG_PHILOX)),
    infer=lambda seed: [*_key_counter_infer(seed), TensorSpec([], _dt.int32)],
    grad=NOT_DIFFERENTIABLE))
# Stateful in TF: the algorithm depends on the device, so it must not be constant-folded.
STATELESS_RANDOM_GET_ALG = register(OpDef(
    "StatelessRandomGetAlg", kernel=lambda: np.int32(RNG_ALG_PHILOX),
    infer=lambda: [TensorSpec([], _dt.int32)], grad=NOT_DIFFERENTIABLE, stateful=True))


# -- TF1's tf.random.stateless_* (compat.v1 builds the V2 ops) ------------------------------------


def _alg_id(alg) -> int:
    """convert_alg_to_int: "philox" 1, "threefry" 2, "auto_select" 3 (or the int itself)."""
    if isinstance(alg, str):
        canon = alg.strip().lower().replace("-", "").replace("_", "")
        alg = {"philox": 1, "threefry": 2, "autoselect": 3}.get(canon, alg)
    if alg == RNG_ALG_THREEFRY:
        raise UnimplementedError(None, None, "the ThreeFry algorithm (alg 2) is not implemented "
                                 "in minitf; use 'philox' or 'auto_select'")
    if alg not in (RNG_ALG_PHILOX, RNG_ALG_AUTO_SELECT):
        raise ValueError(f"Argument `alg` got unsupported value {alg}. Supported values are "
                         "philox for the Philox algorithm, threefry for the ThreeFry algorithm, "
                         "and auto_select for auto-selection.")
    return alg


def _get_key_counter_alg(seed, alg):
    # TF scrambles a "philox" seed with ops of its own; the key and counter are the same as
    # StatelessRandomGetKeyCounter's, which minitf builds for both.
    key, counter = STATELESS_RANDOM_GET_KEY_COUNTER(seed)
    return key, counter, alg


def stateless_random_uniform(shape, seed, minval=0, maxval=None, dtype=_dt.float32, name=None,
                             alg="auto_select"):
    """``tf.random.stateless_uniform``: deterministic given ``seed`` (shape [2])."""
    dtype, alg = _dt.as_dtype(dtype), _alg_id(alg)
    _allowed("dtype", dtype, _FLOATS + _ALL_INTS)
    if dtype.is_integer and (minval is None) != (maxval is None):
        raise ValueError(f"For integer `dtype` argument {dtype}, argument `minval` and `maxval` "
                         f"must be both None or not None. Got `minval`={minval} and "
                         f"`maxval`={maxval}.")
    if dtype.is_integer and minval is not None and dtype in (_dt.uint32, _dt.uint64):
        raise ValueError(f"Argument `dtype` got invalid value {dtype} when argument `minval` is "
                         "not None. Please don't use unsigned integers in this case.")
    if not dtype.is_integer and maxval is None:
        maxval = 1
    with name_scope(name, "stateless_random_uniform") as scope:
        shape = _shape_tensor(shape)
        if dtype.is_integer and minval is None:
            key, counter, alg = _get_key_counter_alg(seed, alg)
            return STATELESS_RANDOM_UNIFORM_FULL_INT_V2(shape, key, counter, alg, dtype=dtype,
                                                        name=scope)
        lo = convert_to_tensor(minval, dtype=dtype, name="min")
        hi = convert_to_tensor(maxval, dtype=dtype, name="max")
        key, counter, alg = _get_key_counter_alg(seed, alg)
        if dtype.is_integer:
            return STATELESS_RANDOM_UNIFORM_INT_V2(shape, key, counter, alg, lo, hi, name=scope)
        from .math_ops import ADD_V2, MUL, SUB

        rnd = STATELESS_RANDOM_UNIFORM_V2(shape, key, counter, alg, dtype=dtype)
        return ADD_V2(MUL(rnd, SUB(hi, lo, name="sub"), name="mul"), lo, name=scope)


def _stateless_normal(op, default_name, shape, seed, mean, stddev, dtype, name, alg):
    dtype, alg = _dt.as_dtype(dtype), _alg_id(alg)
    with name_scope(name, default_name) as scope:
        shape = _shape_tensor(shape)
        mean = convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        key, counter, alg = _get_key_counter_alg(seed, alg)
        return _mul_add(op(shape, key, counter, alg, dtype=dtype), stddev, mean, scope)


def stateless_random_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None,
                            alg="auto_select"):
    """``tf.random.stateless_normal``: deterministic given ``seed`` (shape [2])."""
    return _stateless_normal(STATELESS_RANDOM_NORMAL_V2, "stateless_random_normal", shape, seed,
                             mean, stddev, dtype, name, alg)


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None,
                               alg="auto_select"):
    """``tf.random.stateless_truncated_normal``: normals within two stddevs of the mean."""
    return _stateless_normal(STATELESS_TRUNCATED_NORMAL_V2, "stateless_truncated_normal", shape,
                             seed, mean, stddev, dtype, name, alg)
