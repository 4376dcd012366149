"""StatelessMultinomial, StatelessRandomPoisson and StatelessRandomBinomial: TF's CPU kernels on
minitf's Philox (``tf.random.stateless_categorical`` / ``stateless_multinomial`` /
``stateless_poisson`` / ``stateless_binomial``). None is differentiable, as in TF.

- Multinomial: per row, the unnormalised CDF of ``exp(logit - max finite logit)`` (non-finite
  logits add nothing), then one uniform double per sample (two words each) located with
  ``upper_bound``. TF splits the rows into shards as Eigen's ``parallelFor`` does for its
  thread pool; each shard reads on from block ``first_row * (samples + 3) / 4`` of the stream,
  so TF's values for big inputs depend on the size of its intra-op pool. minitf computes the
  same partition for this machine's schedulable CPUs (TF's default pool size), so it agrees
  with a default TF session here; with another intra-op thread count TF's big outputs differ,
  and so do they when Grappler constant-folds an all-constant op (it runs it in one piece).
- Poisson: output ``i`` reads from block ``counter + 256 * i``; Knuth's product of uniforms below
  rate 10, Hormann's transformed rejection from 10 up, in double (TF's PoissonComputeType).
- Binomial: output ``i`` reads from ``counter + 256 * i`` (BTRS, when count * p >= 10 with p the
  smaller of prob and 1 - prob) or ``counter + 42 * i`` (inversion by geometric sums); the
  branch tests run in the parameters' dtype, the sampling in double. A NaN prob gives NaN;
  cast to an integer output TF's value is undefined (it varies from run to run), minitf's is
  the integer's minimum, as x86's conversion gives.
"""

from __future__ import annotations

import math
import os

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor, name_scope
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ._util import shape_from_value
from .stateless_random_gamma_ops import ends_with, to_output
from .stateless_random_ops import (_allowed, _dims, _output_size, _seed_key_counter, _v1_inputs,
                                   _vector, philox_stream, uint64_to_double)
from .stateless_random_streams import (BufferedSet, StreamSet, c_log_many, uniform_pairs,
                                       vmap)

__all__ = ["stateless_categorical", "stateless_multinomial", "stateless_random_binomial",
           "stateless_random_poisson"]

_FLOATS = (_dt.float16, _dt.float32, _dt.float64)
_INTS = (_dt.int32, _dt.int64)
_REAL = (_dt.float16, _dt.float32, _dt.float64, _dt.int32, _dt.int64)
# TF's T list for StatelessMultinomial (its bfloat16 aside); the CPU kernels take the floats.
_LOGIT_TYPES = (_dt.float32, _dt.float64, _dt.int32, _dt.uint8, _dt.int16, _dt.int8, _dt.int64,
                _dt.uint16, _dt.float16, _dt.uint32, _dt.uint64)


def _int_cast(values: np.ndarray, np_type) -> np.ndarray:
    """static_cast<int>(double) on x86: truncation; NaN and out of range give INT_MIN."""
    bad = ~np.isfinite(values) | (np.abs(values) >= 2.0 ** (8 * np.dtype(np_type).itemsize - 1))
    out = np.where(bad, 0.0, np.trunc(values)).astype(np_type)
    out[bad] = np.iinfo(np_type).min
    return out


def _cast(values: np.ndarray, np_type) -> np.ndarray:
    if np.issubdtype(np_type, np.integer):
        return _int_cast(values, np_type)
    return to_output(values, np_type)


# -- StatelessMultinomial ----------------------------------------------------------------------


def _multinomial_kernel(logits, num_samples, seed, *, output_dtype):
    key, counter = _seed_key_counter(seed)
    logits = np.asarray(logits)
    if logits.ndim != 2:
        raise InvalidArgumentError(None, None, "logits should be a matrix, got shape "
                                   f"{_dims(logits)}")
    if np.ndim(num_samples) != 0:
        raise InvalidArgumentError(None, None, "num_samples should be a scalar, got shape "
                                   f"{_dims(num_samples)}")
    n = int(num_samples)
    if n < 0:
        raise InvalidArgumentError(None, None, f"num_samples should be non-negative, got {n}")
    batch, classes = logits.shape
    if classes <= 0:
        raise InvalidArgumentError(None, None, f"num_classes should be positive, got {classes}")
    out = np.zeros((batch, n), output_dtype.as_numpy_dtype)
    if out.size == 0:
        return out
    if logits.dtype.kind != "f":
        raise InvalidArgumentError(None, None, "No OpKernel was registered to support Op "
                                   f"'StatelessMultinomial' with T={logits.dtype.name} (its CPU "
                                   "kernels take float16, float32 and float64)")
    uniforms = np.empty((batch, n))
    cost = int(50 * (n * math.log(classes) / math.log(2) + classes))
    for start, stop in _shards(batch, cost, _intra_op_threads()):
        rows = stop - start
        shard_counter = (counter + start * (n + 3) // 4) % (1 << 128)
        words = philox_stream(key, shard_counter, -(-2 * rows * n // 4))[:2 * rows * n]
        uniforms[start:stop] = uint64_to_double(words[0::2], words[1::2]).reshape(rows, n)
    finite = np.isfinite(logits)
    row_max = np.where(finite, logits, np.finfo(logits.dtype).min).max(axis=1).astype(np.float64)
    cdf = np.exp(logits.astype(np.float64) - row_max[:, None])
    cdf = np.cumsum(np.where(finite, cdf, 0.0), axis=1)
    for b in range(batch):
        out[b] = np.searchsorted(cdf[b], uniforms[b] * cdf[b, -1], side="right")
    return out


def _intra_op_threads() -> int:
    """TF's default intra-op pool size: the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _shards(total: int, cost_per_unit: int, threads: int) -> list:
    """The [start, stop) ranges TF's Shard -> Eigen ThreadPoolDevice::parallelFor cut ``total``
    units into: one range below about 2e5 cost cycles or with one thread; else blocks of a size
    chosen for ~4 blocks per thread, coarsened while that keeps the threads as busy."""
    cost = total * float(cost_per_unit)  # Eigen's cost model: compute cycles only
    wanted = min(threads, max(1, int(min((cost - 100000) / 100000 + 0.9, 2**31 - 1))))
    if total <= 1 or threads <= 1 or wanted == 1:
        return [(0, total)]
    block_f = 1.0 / (float(cost_per_unit) / 40000)  # 1 / taskSize(1, cost)
    block = min(total, max(-(-total // (4 * threads)), int(block_f)))
    max_block = min(total, 2 * block)
    count = -(-total // block)
    best = count / (-(-count // threads) * threads)
    prev = count
    while best < 1.0 and prev > 1:
        coarser = -(-total // (prev - 1))
        if coarser > max_block:
            break
        coarser_count = -(-total // coarser)
        prev = coarser_count
        efficiency = coarser_count / (-(-coarser_count // threads) * threads)
        if efficiency + 0.01 >= best:
            block, count = coarser, coarser_count
            best = max(best, efficiency)
    return [(s, min(total, s + block)) for s in range(0, total, block)]


def _multinomial_infer(logits, num_samples, seed, *, output_dtype):
    _allowed("T", logits.dtype, _LOGIT_TYPES)
    _allowed("Tseed", seed.dtype, _INTS)
    _allowed("output_dtype", output_dtype, _INTS)
    if logits.shape.rank not in (None, 2):
        raise shape_error(f"Shape must be rank 2 but is rank {logits.shape.rank} for logits")
    if num_samples.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {num_samples.shape.rank} for "
                          "num_samples")
    _vector(seed, "seed", 2)
    n = num_samples.value
    batch = logits.shape[0].value if logits.shape.rank == 2 else None
    return [TensorSpec([batch, None if n is None else int(n)], output_dtype)]


STATELESS_MULTINOMIAL = register(OpDef(
    "StatelessMultinomial", inputs=["logits:T", "num_samples:int32", "seed:Tseed"],
    attrs={"output_dtype": _dt.int64}, kernel=_multinomial_kernel, infer=_multinomial_infer,
    grad=NOT_DIFFERENTIABLE,
    doc="num_samples class indices per row of logits, deterministic given the [2] seed.",
))


# -- StatelessRandomPoisson --------------------------------------------------------------------


def _poisson_knuth(rate: np.ndarray, highest: float, streams: StreamSet) -> np.ndarray:
    """Knuth's product of uniforms for every output at once (rate: each output's)."""
    uniform, exp_neg_rate = BufferedSet(uniform_pairs, streams), vmap(math.exp, -rate)
    prod, x, out = np.ones(rate.size), np.zeros(rate.size), np.empty(rate.size)
    active = np.arange(rate.size)
    while active.size:
        prod[active] = prod[active] * uniform(active)
        done = (prod[active] <= exp_neg_rate[active]) & (x[active] <= highest)
        out[active[done]] = x[active[done]]
        active = active[~done]
        x[active] += 1
    return out


def _poisson_hormann(rate: np.ndarray, highest: float, streams: StreamSet) -> np.ndarray:
    """Hormann's transformed rejection (PTRS) for every output at once."""
    uniform = BufferedSet(uniform_pairs, streams)
    log_rate = vmap(math.log, rate)
    b = 0.931 + 2.53 * np.sqrt(rate)
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)
    out, active = np.empty(rate.size), np.arange(rate.size)
    while active.size:
        u = uniform(active) - 0.5
        v = uniform(active)
        u_shifted = 0.5 - np.abs(u)
        ok = u_shifted != 0  # else k is -inf: rejected
        sel, u, v, us = active[ok], u[ok], v[ok], u_shifted[ok]
        aa, bb, rr = a[sel], b[sel], rate[sel]
        k = np.floor((2 * aa / us + bb) * u + rr + 0.43)
        ok = k <= highest
        done = ok & (us >= 0.07) & (v <= v_r[sel])
        test = ok & ~done & (k >= 0) & ~((us < 0.013) & (v > us))
        s = c_log_many(v[test] * inv_alpha[sel[test]] / (aa[test] / (us[test] * us[test])
                                                         + bb[test]))
        kt = k[test]
        t = -rr[test] + kt * log_rate[sel[test]] - vmap(math.lgamma, kt + 1)
        done[test] = s <= t
        out[sel[done]] = k[done]
        finished = np.zeros(rate.size, bool)
        finished[sel[done]] = True
        active = active[~finished[active]]
    return out


def _highest(np_type) -> float:
    return float(np.iinfo(np_type).max if np.issubdtype(np_type, np.integer)
                 else np.finfo(np_type).max)


def poisson_samples(key, counter, dims, rate: np.ndarray, np_type) -> np.ndarray:
    if not ends_with(dims, rate.shape):
        raise InvalidArgumentError(None, None, "Shape passed in must end with broadcasted shape.")
    rates = rate.reshape(-1).astype(np.float64)
    if not np.isfinite(rates).all():  # TF's sampler never returns for these
        raise InvalidArgumentError(None, None, "StatelessRandomPoisson: lam must be finite, got "
                                   f"{rates[~np.isfinite(rates)][0]}")
    n, highest = math.prod(dims), _highest(np_type)
    i = np.arange(n)
    r_idx, s_idx = np.divmod(i, n // rates.size)
    rate_i = rates[r_idx]
    out = np.empty(n, np.float64)
    for sampler, which in ((_poisson_knuth, rate_i < 10), (_poisson_hormann, rate_i >= 10)):
        if which.any():
            streams = StreamSet(key, counter, i[which], 256)
            out[(r_idx + s_idx * rates.size)[which]] = sampler(rate_i[which], highest, streams)
    return _cast(out, np_type).reshape(dims)


def _poisson_kernel(shape, seed, lam, *, dtype):
    dims, n = _output_size(shape)
    key, counter = _seed_key_counter(seed)
    if n == 0:
        return np.zeros(dims, dtype.as_numpy_dtype)
    return poisson_samples(key, counter, dims, np.asarray(lam), dtype.as_numpy_dtype)


def _poisson_infer(shape, seed, lam, *, dtype):
    _allowed("Rtype", lam.dtype, _REAL)
    _allowed("dtype", dtype, _REAL)
    return [TensorSpec(_v1_inputs(shape, seed), dtype)]


STATELESS_RANDOM_POISSON = register(OpDef(
    "StatelessRandomPoisson", inputs=["shape:T", "seed:Tseed", "lam:Rtype"],
    attrs={"dtype": req("type")}, kernel=_poisson_kernel, infer=_poisson_infer,
    grad=NOT_DIFFERENTIABLE,
    doc="Poisson(lam) samples of shape `shape` (ending with lam's shape) from a [2] seed.",
))


# -- StatelessRandomBinomial -------------------------------------------------------------------

_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
         0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
         0.00925546218271273, 0.00833056343336287)


def _stirling_tail(k: np.ndarray) -> np.ndarray:
    small = k <= 9
    kp1sq = (k + 1) * (k + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        big = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)
    return np.where(small, np.array(_TAIL)[np.where(small, np.trunc(k), 0).astype(np.int64)],
                    big)


def _binomial_inversion(count: np.ndarray, prob: np.ndarray, streams: StreamSet) -> np.ndarray:
    """Inversion by sums of geometric draws, for every output at once."""
    uniform, log_q = BufferedSet(uniform_pairs, streams), vmap(math.log1p, -prob)
    geom_sum, num_geom, out = np.zeros(count.size), np.zeros(count.size), np.empty(count.size)
    active = np.arange(count.size)
    while active.size:
        ratio = c_log_many(uniform(active)) / log_q[active]
        geom_sum[active] += np.where(np.isfinite(ratio), np.ceil(ratio), ratio)
        done = geom_sum[active] > count[active]
        out[active[done]] = num_geom[active[done]]
        active = active[~done]
        num_geom[active] += 1
    return out


def _btrs(count: np.ndarray, prob: np.ndarray, streams: StreamSet) -> np.ndarray:
    """Hormann's BTRS for every output at once."""
    uniform = BufferedSet(uniform_pairs, streams)
    stddev = np.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = np.floor((count + 1) * prob)
    out, active = np.empty(count.size), np.arange(count.size)
    while active.size:
        u = uniform(active)
        v = uniform(active)
        u = u - 0.5
        us = 0.5 - np.abs(u)
        ok = us != 0  # else k is -inf: rejected
        sel, u, v, us = active[ok], u[ok], v[ok], us[ok]
        aa, bb = a[sel], b[sel]
        k = np.floor((2 * aa / us + bb) * u + c[sel])
        done = (us >= 0.07) & (v <= v_r[sel])
        test = ~done & (k >= 0) & (k <= count[sel])
        t, k_t, us_t = sel[test], k[test], us[test]
        n_t, m_t, r_t = count[t], m[t], r[t]
        v_t = c_log_many(v[test] * alpha[t] / (aa[test] / (us_t * us_t) + bb[test]))
        upperbound = ((m_t + 0.5) * vmap(math.log, (m_t + 1) / (r_t * (n_t - m_t + 1)))
                      + (n_t + 1) * vmap(math.log, (n_t - m_t + 1) / (n_t - k_t + 1))
                      + (k_t + 0.5) * vmap(math.log, r_t * (n_t - k_t + 1) / (k_t + 1))
                      + _stirling_tail(m_t) + _stirling_tail(n_t - m_t)
                      - _stirling_tail(k_t) - _stirling_tail(n_t - k_t))
        done[test] = v_t <= upperbound
        out[sel[done]] = k[done]
        finished = np.zeros(count.size, bool)
        finished[sel[done]] = True
        active = active[~finished[active]]
    return out


def binomial_samples(key, counter, dims, counts, probs, np_type) -> np.ndarray:
    batch_shape = np.broadcast_shapes(counts.shape, probs.shape)
    num_batches = math.prod(batch_shape)
    per_batch = math.prod(dims[:len(dims) - len(batch_shape)])
    counts = np.broadcast_to(counts, batch_shape).reshape(-1)
    probs = np.broadcast_to(probs, batch_shape).reshape(-1)
    n = num_batches * per_batch
    i = np.arange(n)
    b_idx, s_idx = np.divmod(i, max(per_batch, 1))
    count, prob = counts[b_idx], probs[b_idx]
    dcount = count.astype(np.float64)
    one, ten = probs.dtype.type(1), probs.dtype.type(10)
    res = np.where(prob >= 1, dcount, np.nan)  # NaN probs stay NaN
    zero = (dcount <= 0.0) | (prob <= 0)
    res[zero] = 0.0
    sample = ~zero & (prob < 1)
    small = np.where(prob <= 0.5, prob, one - prob)  # in the parameters' dtype, as TF
    with np.errstate(invalid="ignore", over="ignore"):
        btrs = sample & (count * small >= ten)
    for sampler, which, skip in ((_btrs, btrs, 256), (_binomial_inversion, sample & ~btrs, 42)):
        if which.any():
            streams = StreamSet(key, counter, i[which], skip)
            res[which] = sampler(dcount[which], small[which].astype(np.float64), streams)
    flip = sample & (prob > 0.5)
    res[flip] = dcount[flip] - res[flip]
    out = np.empty(n, np.float64)
    out[b_idx + s_idx * num_batches] = res
    return _cast(out, np_type).reshape(dims)


def binomial_arguments(op_type: str, shape, counts, probs):
    """TF's run-time checks of a binomial sampler's arguments (stateless and stateful):
    (counts, probs as arrays, their broadcast batch shape, the output dims, its size)."""
    counts, probs = np.asarray(counts), np.asarray(probs)
    if counts.dtype.kind != "f":
        raise InvalidArgumentError(None, None, "No OpKernel was registered to support Op "
                                   f"'{op_type}' with T={counts.dtype.name} (its CPU kernels "
                                   "take float16, float32 and float64)")
    try:
        batch_shape = np.broadcast_shapes(counts.shape, probs.shape)
    except ValueError:
        raise InvalidArgumentError(None, None, "counts and probs must have compatible batch "
                                   f"dimensions: {_dims(counts)} vs. {_dims(probs)}") from None
    if np.ndim(shape) != 1:
        raise InvalidArgumentError(None, None, "Input shape should be a vector, got shape: "
                                   f"{_dims(shape)}")
    dims, n = _output_size(shape)
    if not ends_with(dims, tuple(batch_shape)):
        raise InvalidArgumentError(None, None, "Shape passed in must end with broadcasted shape.")
    return counts, probs, batch_shape, dims, n


def _binomial_kernel(shape, seed, counts, probs, *, dtype):
    key, counter = _seed_key_counter(seed)
    counts, probs, _, dims, n = binomial_arguments("StatelessRandomBinomial", shape, counts,
                                                   probs)
    if n == 0:
        return np.zeros(dims, dtype.as_numpy_dtype)
    return binomial_samples(key, counter, dims, counts, probs, dtype.as_numpy_dtype)


def _binomial_infer(shape, seed, counts, probs, *, dtype):
    _allowed("S", shape.dtype, _INTS)
    _allowed("Tseed", seed.dtype, _INTS)
    _allowed("T", counts.dtype, _REAL)
    _allowed("dtype", dtype, _REAL)
    if probs.dtype != counts.dtype:
        raise TypeError(f"Input 'probs' of 'StatelessRandomBinomial' Op has type "
                        f"{probs.dtype.name} that does not match type {counts.dtype.name} of "
                        "argument 'counts'.")
    _vector(seed, "seed", 2)
    return [TensorSpec(shape_from_value(shape), dtype)]


STATELESS_RANDOM_BINOMIAL = register(OpDef(
    "StatelessRandomBinomial", inputs=["shape:S", "seed:Tseed", "counts:T", "probs:T"],
    attrs={"dtype": _dt.int64}, kernel=_binomial_kernel, infer=_binomial_infer,
    grad=NOT_DIFFERENTIABLE,
    doc="Binomial(counts, probs) samples of shape `shape` (ending with their broadcast shape).",
))


# -- tf.random wrappers ------------------------------------------------------------------------


def _categorical(logits, num_samples, dtype, seed):
    logits = convert_to_tensor(logits, name="logits")
    dtype = _dt.as_dtype(dtype) if dtype else _dt.int64
    if dtype not in _INTS:
        raise ValueError(f"Argument `dtype` got invalid value {dtype!r}. Accepted dtypes are "
                         "(tf.int32, tf.int64).")
    return STATELESS_MULTINOMIAL(logits, num_samples, seed, output_dtype=dtype)


def stateless_multinomial(logits, num_samples, seed, output_dtype=_dt.int64, name=None):
    """``tf.random.stateless_multinomial`` (TF1; deprecated for stateless_categorical):
    ``[batch, num_samples]`` class indices drawn from each row of ``logits``."""
    with name_scope(name, "stateless_multinomial", [logits, seed]):
        return _categorical(logits, num_samples, output_dtype, seed)


def stateless_categorical(logits, num_samples, seed, dtype=_dt.int64, name=None):
    """``tf.random.stateless_categorical``: ``[batch, num_samples]`` class indices drawn from
    each row of ``logits``, deterministic given ``seed`` (shape [2])."""
    with name_scope(name, "stateless_categorical", [logits, seed]):
        return _categorical(logits, num_samples, dtype, seed)


def stateless_random_poisson(shape, seed, lam, dtype=_dt.int32, name=None):
    """``tf.random.stateless_poisson``: Poisson(lam) samples of shape ``shape``, which must end
    with lam's shape."""
    from .random_ops import _shape_tensor

    with name_scope(name, "stateless_random_poisson", [shape, seed, lam]):
        return STATELESS_RANDOM_POISSON(_shape_tensor(shape), seed, lam,
                                        dtype=_dt.as_dtype(dtype))


def stateless_random_binomial(shape, seed, counts, probs, output_dtype=_dt.int32, name=None):
    """``tf.random.stateless_binomial``: Binomial(counts, probs) samples of shape ``shape``,
    which must end with the broadcast shape of counts and probs."""
    from .random_ops import _shape_tensor

    with name_scope(name, "stateless_random_binomial", [shape, seed, counts, probs]):
        shape = _shape_tensor(shape)
        probs = convert_to_tensor(probs, dtype_hint=_dt.float32, name="probs")
        counts = convert_to_tensor(counts, dtype_hint=probs.dtype, name="counts")
        return STATELESS_RANDOM_BINOMIAL(shape, seed, counts, probs,
                                         dtype=_dt.as_dtype(output_dtype))
