"""StatelessParameterizedTruncatedNormal (``tf.random.stateless_parameterized_truncated_normal``),
TF's CPU kernel (TruncatedNormalFunctorV2) on minitf's Philox, with TF's implicit gradient.

Samples are laid out ``[sample dims..., batch dims...]`` (the batch shape is the broadcast of the
four parameters); output ``i`` is sample ``i % per_batch`` of batch ``i // per_batch``. Per batch
one of three samplers runs, chosen and computed in the parameters' dtype:

- both bounds on either side of the mean, one at least 1.3 stddevs away: normals, rejected
  outside the bounds;
- a narrow interval (``normMax - normMin`` under Robert's cutoff): uniform proposals on it,
  accepted with probability ``exp((plus - z**2) / 2)``;
- otherwise Robert's exponential proposals offset by ``normMin``.

The outputs run in shards as TF's thread pool cuts them (see ``_shards`` in
stateless_random_extra_ops); a shard reads from block ``(start * 2000 + k - 1) / k`` (k values per
block: 4 in float32/float16, 2 in float64) and draws block after block. Within a batch the
proposals do not depend on one another, so a whole stretch of them is drawn and tested with numpy
at once; the batch takes the first accepted ones and the next batch starts after the iteration
of the last one taken, as TF's loop breaks there. exp and log are the C
library's float (or double) functions, as Eigen's scalar paths call them. TF's cost constants for
the shard partition come from Eigen's (AVX, no FMA) functor costs; where TF's pool cuts the
outputs differently, values past the first shard differ.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import math

import numpy as np

from .. import dtypes as _dt
from ..errors import InternalError, InvalidArgumentError
from ..graph import control_dependencies, convert_to_tensor, name_scope
from ..opdef import OpDef, TensorSpec, register
from . import array_ops, logic_ops, math_ops, reduction_ops, shape_ops, special_ops, unary_ops
from ._util import shape_from_value
from .array_extra_ops import broadcast_dynamic_shape
from .stateless_random_extra_ops import _intra_op_threads, _shards
from .stateless_random_gamma_ops import ends_with
from .stateless_random_ops import (_allowed, _box_muller, _dims, _output_size, _seed_key_counter,
                                   _vector, philox_blocks, uint16_to_half, uint32_to_float,
                                   uint64_to_double)

__all__ = ["stateless_parameterized_truncated_normal"]

_FLOATS = (_dt.float16, _dt.float32, _dt.float64)
_MAX_ITERATIONS = 1000


@functools.lru_cache(maxsize=1)
def _c_expf_logf():
    path = ctypes.util.find_library("m")
    try:
        lib = ctypes.CDLL(path) if path else None
    except OSError:
        return None
    if lib is None:
        return None
    fns = []
    for name in ("expf", "logf"):
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
        fns.append(fn)
    return fns


class _Arith:
    """exp and log of one dtype as TF's kernel computes them (half through float)."""

    def __init__(self, np_type):
        self.t = np_type
        fns = _c_expf_logf() if np_type != np.float64 else None
        if np_type == np.float64:
            self.exp = lambda x: np.float64(math.exp(x)) if x < 709.8 else np.float64(np.inf)
            self.log = lambda x: np.float64(math.log(x)) if x > 0 else np.float64(-np.inf)
        elif fns is not None:
            expf, logf = fns
            self.exp = lambda x: np_type(np.float32(expf(float(x))))
            self.log = lambda x: np_type(np.float32(logf(float(x))))
        else:  # no C library: numpy's float32 functions, maybe a last bit apart
            self.exp = lambda x: np_type(np.exp(np.float64(x)).astype(np.float32))
            self.log = lambda x: np_type(np.log(np.float64(x)).astype(np.float32)) if x > 0 \
                else np_type(-np.inf)


class _Stream:
    """One shard's PhiloxRandom: blocks in order from ``pos``, converted by T's distributions."""

    def __init__(self, key, counter, start_block, np_type):
        self.key, self.counter, self.pos, self.t = key, counter, start_block, np_type
        self._cache, self._cache_at = np.zeros((0, 4), np.uint32), start_block

    def blocks(self, count: int) -> np.ndarray:
        """The next ``count`` blocks (not consumed: ``pos`` moves as the sampler uses them).
        Small batches share one Philox call (at least 64 blocks are computed at a time)."""
        i = self.pos - self._cache_at
        if i + count > len(self._cache):
            self._cache_at, i = self.pos, 0
            self._cache = philox_blocks(self.key, self.counter, np.arange(
                self.pos, self.pos + max(count, 64), dtype=np.uint64))
        return self._cache[i:i + count]

    def uniform(self, blocks) -> np.ndarray:
        """[k, values per block] uniforms of T, in stream order."""
        if self.t == np.float64:
            return uint64_to_double(blocks[:, 0::2], blocks[:, 1::2])
        if self.t == np.float16:
            return uint16_to_half(blocks)
        return uint32_to_float(blocks)

    def normal(self, blocks) -> np.ndarray:
        return _box_muller(blocks, self.t == np.float64).astype(self.t)


def _exp_bounds(u, g, ar):
    """``u <= exp(g)`` with exp the C library's: numpy's exp decides all but the comparisons
    within a few ulps, which get the C function."""
    approx = np.exp(g.astype(np.float64))
    if ar.t != np.float64:
        approx = approx.astype(np.float32)
    approx = approx.astype(ar.t)
    result = u <= approx
    near = np.flatnonzero(np.abs(u.astype(np.float64) - approx.astype(np.float64))
                          <= 16 * np.spacing(np.abs(approx)).astype(np.float64))
    for j in near.tolist():
        result[j] = u[j] <= ar.exp(g[j])
    return result


def _log_many(x, ar):
    """T's log elementwise, the C library's (logf's result is a float: exact as a double)."""
    fns = _c_expf_logf() if ar.t != np.float64 else None
    if fns is None:
        return np.array([ar.log(v) for v in x.tolist()], ar.t).reshape(x.shape)
    return np.fromiter(map(fns[1], x.tolist()), np.float64, count=x.size).astype(ar.t)


def _take(stream, left, per_iteration, per, propose, limit, message):
    """The first ``left`` accepted proposals of ``stream``, in order. ``propose(blocks)`` turns
    whole iterations' blocks (``per_iteration`` each, giving ``per`` proposals) into (values,
    accepted) in draw order; ``limit`` consecutive rejections raise TF's error. The stream moves
    past the iteration of the last accepted value, as TF's loop breaks there."""
    got, run = [], 0
    while left > 0:
        iterations = -(-3 * left // (2 * per)) + 1  # most batches need one round
        values, accept = propose(stream.blocks(iterations * per_iteration))
        hits = np.flatnonzero(accept)
        used = hits[left - 1] + 1 if hits.size >= left else values.size
        hits = hits[:left]
        gaps = np.diff(np.concatenate(([-1 - run], hits, [used])))[:-1] - 1 if hits.size else []
        tail = used - (hits[-1] + 1 if hits.size else -run)
        if (len(gaps) and max(gaps) >= limit) or (hits.size < left and tail >= limit):
            raise InternalError(None, None, message)
        run = tail if hits.size < left else 0
        got.append(values[hits])
        left -= hits.size
        stream.pos += (-(-used // per) if hits.size and left == 0 else iterations) \
            * per_iteration
    return np.concatenate(got) if got else np.zeros(0, stream.t)


def _sample_batch(p, out, positions, stream, ar):
    """Fills ``out[positions]`` (one batch's samples in this shard) from ``stream``."""
    t = ar.t
    mean, stddev, minval, maxval = p
    if not (stddev > 0 and minval < maxval and (np.isfinite(minval) or np.isfinite(maxval))):
        raise InvalidArgumentError(None, None, "Invalid parameters")
    if (np.isinf(minval) and minval < 0) or maxval < mean:
        minval, maxval, stddev = maxval, minval, -stddev
    norm_min = (minval - mean) / stddev
    norm_max = (maxval - mean) / stddev
    sqrt_factor = np.sqrt(norm_min * norm_min + t(4))
    cutoff = t(2) * ar.exp(t(0.5) + (norm_min * (norm_min - sqrt_factor)) / t(4)) / \
        (norm_min + sqrt_factor)
    diff = norm_max - norm_min
    bound = t(1.3)
    per = 2 if t == np.float64 else 4  # values per block
    if (norm_min < -bound and norm_max >= 0) or (norm_max > bound and norm_min <= 0):
        def propose(blocks):
            z = stream.normal(blocks).reshape(-1)
            return z, (norm_min <= z) & (z <= norm_max)

        z = _take(stream, len(positions), 1, per, propose, _MAX_ITERATIONS + 1,
                  "TruncatedNormal randn rejection sampler failed to accept a sample.")
    elif diff < cutoff:
        plus = t(0) if norm_min < 0 else norm_min * norm_min

        def propose(blocks):
            z = (stream.uniform(blocks[0::2]) * diff + norm_min).reshape(-1)
            g = (plus - z * z) / t(2.0)
            return z, _exp_bounds(stream.uniform(blocks[1::2]).reshape(-1), g, ar)

        z = _take(stream, len(positions), 2, per, propose, _MAX_ITERATIONS,
                  "TruncatedNormal uniform rejection sampler failed to  accept a sample.")
    else:
        alpha = (norm_min + np.sqrt(norm_min * norm_min + t(4))) / t(2)

        def propose(blocks):
            rand = stream.uniform(blocks).reshape(-1, 2)
            z = -_log_many(rand[:, 0], ar) / alpha + norm_min
            x = alpha - z if norm_min < alpha else np.full_like(z, norm_min - alpha)
            g = -x * x / t(2.0)
            return z, _exp_bounds(rand[:, 1], g, ar) & (z < norm_max)

        z = _take(stream, len(positions), 1, per // 2, propose, _MAX_ITERATIONS,
                  "TruncatedNormal exponential distribution rejection sampler failed to accept "
                  "a sample.")
    out[positions] = z * stddev + mean


# Eigen's cost units (AVX build without FMA): add and mul 1; sqrt 3 adds + 5 muls, 28 in double;
# exp 21 adds + 13 muls in float, 23 adds + 12 muls + a division (8 in half, 16 in double)
# otherwise; Philox 10 and a uniform 3 per value. Checked against TF's partitions on 2 threads.
_EXP_COST = {np.float16: 43, np.float32: 34, np.float64: 51}
_SQRT_COST = {np.float16: 8, np.float32: 8, np.float64: 28}


def _batch_cost(np_type) -> int:
    exp, sqrt = _EXP_COST[np_type], _SQRT_COST[np_type]
    init = 2 * 2 + 2 + sqrt + 4 + exp + 1
    uniform = 10 + 3
    rejection = uniform + 1 + 1 + 2 + 1 + uniform + exp + 1 + 1
    return init + rejection * 2


def ptn_samples(key, counter, dims, params, np_type):
    batch_shape = np.broadcast_shapes(*(p.shape for p in params))
    per_batch = math.prod(dims[:len(dims) - len(batch_shape)])
    num_batches = math.prod(batch_shape)
    n = per_batch * num_batches
    flat = [np.broadcast_to(p, batch_shape).reshape(-1) for p in params]
    out = np.zeros(n, np_type)
    ar = _Arith(np_type)
    per_block = 2 if np_type == np.float64 else 4
    for start, stop in _shards(n, _batch_cost(np_type), _intra_op_threads()) if n else []:
        stream = _Stream(key, counter, (start * 2 * _MAX_ITERATIONS + per_block - 1) // per_block,
                         np_type)
        i = start
        while i < stop:
            b, s = divmod(i, per_batch)
            take = min(per_batch - s, stop - i)
            positions = b + (s + np.arange(take)) * num_batches
            _sample_batch([f[b] for f in flat], out, positions, stream, ar)
            i += take
    return out.reshape(dims)


def _ptn_kernel(shape, seed, means, stddevs, minvals, maxvals):
    key, counter = _seed_key_counter(seed)
    params = [np.asarray(v) for v in (means, stddevs, minvals, maxvals)]
    try:
        np.broadcast_shapes(*(p.shape for p in params))
    except ValueError:
        raise InvalidArgumentError(None, None, "means, stddevs, minvals, maxvals must have "
                                   "compatible batch dimensions: " +
                                   " vs. ".join(_dims(p) for p in params)) from None
    if np.ndim(shape) != 1:
        raise InvalidArgumentError(None, None, "Input shape should be a vector, got shape: "
                                   f"{_dims(shape)}")
    dims, _ = _output_size(shape)
    if not ends_with(dims, np.broadcast_shapes(*(p.shape for p in params))):
        raise InvalidArgumentError(None, None, "Shape passed in must end with broadcasted shape.")
    return ptn_samples(key, counter, dims, params, params[0].dtype.type)


def _ptn_infer(shape, seed, means, stddevs, minvals, maxvals):
    _allowed("S", shape.dtype, (_dt.int32, _dt.int64))
    _allowed("Tseed", seed.dtype, (_dt.int32, _dt.int64))
    _allowed("dtype", means.dtype, _FLOATS)
    for name, spec in (("stddevs", stddevs), ("minvals", minvals), ("maxvals", maxvals)):
        if spec.dtype != means.dtype:
            raise TypeError(f"Input '{name}' of 'StatelessParameterizedTruncatedNormal' Op has "
                            f"type {spec.dtype.name} that does not match type "
                            f"{means.dtype.name} of argument 'means'.")
    _vector(seed, "seed", 2)
    return [TensorSpec(shape_from_value(shape), means.dtype)]


def _ndtr(x):
    """TF's _Ndtr: the normal CDF through erf near 0 and erfc in the tails."""
    half_sqrt_2 = convert_to_tensor(0.5 * np.sqrt(2.0), dtype=x.dtype, name="half_sqrt_2")
    w = x * half_sqrt_2
    z = unary_ops.abs(w)
    y = logic_ops.where(z < half_sqrt_2, 1.0 + special_ops.erf(w),
                        logic_ops.where(w > 0.0, 2.0 - special_ops.erfc(z), special_ops.erfc(z)))
    return 0.5 * y


def _ptn_grad(op, grad):
    """TF's implicit reparameterization gradient in means, stddevs, minvals and maxvals."""
    shape, _, mean, stddev, minval, maxval = op.inputs
    sample = op.outputs[0]
    np_type = mean.dtype.as_numpy_dtype
    with control_dependencies([grad]):
        minval_std = (minval - mean) / stddev
        maxval_std = (maxval - mean) / stddev
        sample_std = (sample - mean) / stddev
        cdf = (_ndtr(sample_std) - _ndtr(minval_std)) / (_ndtr(maxval_std) - _ndtr(minval_std))
        cdf = math_ops.clip_by_value(cdf, np.finfo(np_type).tiny, 1 - np.finfo(np_type).eps)
        dmaxval = unary_ops.exp(0.5 * (sample_std ** 2 - maxval_std ** 2) + unary_ops.log(cdf))
        dminval = unary_ops.exp(0.5 * (sample_std ** 2 - minval_std ** 2)
                                + unary_ops.log1p(-cdf))
        shapes = [array_ops.shape(v) for v in (mean, stddev, minval, maxval)]
        bshape = broadcast_dynamic_shape(shapes[0], shapes[1])
        bshape = broadcast_dynamic_shape(shapes[2], bshape)
        bshape = broadcast_dynamic_shape(shapes[3], bshape)
        extra = array_ops.range_(shape_ops.size(shape) - shape_ops.size(bshape))
        grads = []
        for d, vshape in zip((None, sample_std, dminval, dmaxval), shapes):
            g = reduction_ops.reduce_sum(grad if d is None else grad * d, extra)
            _, r = shape_ops.BROADCAST_GRADIENT_ARGS(bshape, vshape)
            grads.append(array_ops.reshape(reduction_ops.reduce_sum(g, r, keepdims=True),
                                           vshape))
        return [None, None] + grads


STATELESS_PARAMETERIZED_TRUNCATED_NORMAL = register(OpDef(
    "StatelessParameterizedTruncatedNormal",
    inputs=["shape:S", "seed:Tseed", "means:dtype", "stddevs:dtype", "minvals:dtype",
            "maxvals:dtype"],
    kernel=_ptn_kernel, infer=_ptn_infer, grad=_ptn_grad,
    doc="Truncated normal samples of shape `shape` with per-batch mean, stddev and bounds.",
))


def stateless_parameterized_truncated_normal(shape, seed, means=0.0, stddevs=1.0, minvals=-2.0,
                                             maxvals=2.0, name=None):
    """``tf.random.stateless_parameterized_truncated_normal``: normal samples with the given
    means and stddevs kept within [minvals, maxvals]; the four broadcast to the trailing
    dimensions of ``shape``. Differentiable in all four (implicit reparameterization)."""
    from .random_ops import _shape_tensor

    with name_scope(name, "stateless_parameterized_truncated_normal",
                    [shape, means, stddevs, minvals, maxvals]):
        shape = _shape_tensor(shape)
        means = convert_to_tensor(means, name="means")
        stddevs = convert_to_tensor(stddevs, name="stddevs")
        minvals = convert_to_tensor(minvals, name="minvals")
        maxvals = convert_to_tensor(maxvals, name="maxvals")
        return STATELESS_PARAMETERIZED_TRUNCATED_NORMAL(shape, seed, means, stddevs, minvals,
                                                        maxvals)
