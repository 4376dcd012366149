"""StatelessRandomGammaV2 / V3 (``tf.random.stateless_gamma``), TF's CPU kernel to the bit.

Output ``i`` (samples laid out ``[..., alpha]``: sample ``i`` uses alpha ``i // samples_per_alpha``
and lands at ``alpha_index + (i % samples_per_alpha) * num_alphas``) reads the Philox stream from
block ``counter + 256 * i``:

- alpha == 1: an exponential, ``-log1p(-u)`` with u the second double of the first block;
- otherwise Marsaglia and Tsang's transformation-rejection from buffered double normals and
  uniforms (alpha < 1 boosted by one and scaled by ``uniform ** (1 / alpha)``).

Everything is computed in double and rounded to the output dtype (float16 through float, as
Eigen's half conversion does). The gradient in alpha is TF's implicit one (RandomGammaGrad).
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import control_dependencies, convert_to_tensor, name_scope
from ..opdef import OpDef, TensorSpec, register
from . import array_extra_ops, array_ops, concat_split_ops, math_ops, reduction_ops, transform_ops
from .random_gamma_ops import RANDOM_GAMMA_GRAD
from .stateless_random_ops import (STATELESS_RANDOM_GET_KEY_COUNTER, _allowed, _output_size,
                                   _philox_inputs, _seed_key_counter, _v1_inputs, _v2_inputs)
from .stateless_random_streams import (BufferedSet, StreamSet, c_log_many, normal_pairs,
                                       uniform_pairs, vmap)

__all__ = ["stateless_random_gamma"]

_GAMMA_TYPES = (_dt.float16, _dt.float32, _dt.float64)  # TF's bfloat16 too; minitf has none
_SKIP = 256  # kReservedSamplesPerOutput


def ends_with(dims: tuple, param_shape: tuple) -> bool:
    """TensorShapeUtils::EndsWith."""
    return len(param_shape) <= len(dims) and dims[len(dims) - len(param_shape):] == param_shape


def to_output(values: np.ndarray, np_type) -> np.ndarray:
    """static_cast<T>(double): half goes through float (Eigen::half's constructor)."""
    if np_type == np.float16:
        return values.astype(np.float32).astype(np.float16)
    return values.astype(np_type)


def c_pow(x: float, y: float) -> float:
    """C's pow for x in [0, 1): inf for 0 to a negative power, where ``math.pow`` raises."""
    try:
        return math.pow(x, y)
    except (ValueError, ZeroDivisionError):
        return math.inf if x == 0 else math.nan


def _gamma_sample(alpha: np.ndarray, d: np.ndarray, c: np.ndarray,
                  streams: StreamSet) -> np.ndarray:
    """Marsaglia and Tsang's rejection for every output at once (alpha, d, c: each output's)."""
    normal, uniform = BufferedSet(normal_pairs, streams), BufferedSet(uniform_pairs, streams)
    out, active = np.empty(alpha.size), np.arange(alpha.size)
    while active.size:
        x = normal(active)
        v = 1 + c[active] * x
        ok = ~(v <= 0)  # TF's do { } while (v <= 0): a NaN v (alpha NaN) goes on, to a NaN
        sel, x, v = active[ok], x[ok], v[ok]
        v = v * v * v
        u = uniform(sel)
        accept = u < 1 - 0.0331 * (x * x) * (x * x)
        test = ~accept
        xt = x[test]
        accept[test] = c_log_many(u[test]) < 0.5 * xt * xt + d[sel[test]] * (
            1 - v[test] + c_log_many(v[test]))
        done, res = sel[accept], d[sel[accept]] * v[accept]
        boost = alpha[done] < 1.0
        if boost.any():
            a = alpha[done[boost]]
            power = np.where(a != 0, 1 / np.where(a != 0, a, 1), np.copysign(np.inf, a))
            res[boost] *= c_pow_many(uniform(done[boost]), power)
        out[done] = res
        finished = np.zeros(alpha.size, bool)
        finished[done] = True
        active = active[~finished[active]]
    return out


def c_pow_many(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.fromiter(map(c_pow, x.tolist(), y.tolist()), np.float64, count=x.size)


def gamma_samples(key: int, counter: int, dims: tuple, alpha: np.ndarray) -> np.ndarray:
    """Gamma(alpha, 1) draws of shape ``dims`` (ending with alpha's shape), as TF's kernel."""
    if not ends_with(dims, alpha.shape):
        raise InvalidArgumentError(None, None, "Shape passed in must end with broadcasted shape.")
    num_alphas = alpha.size
    if num_alphas <= 0:
        raise InvalidArgumentError(None, None, "Input alpha should have non-zero element count, "
                                   f"got: {num_alphas}")
    n = math.prod(dims)
    i = np.arange(n)
    a_idx, s_idx = np.divmod(i, n // num_alphas)
    a = alpha.reshape(-1).astype(np.float64)[a_idx]
    out = np.empty(n, np.float64)
    one = a == 1.0
    if one.any():
        u = uniform_pairs(StreamSet(key, counter, i[one], _SKIP).blocks(np.arange(one.sum())))
        out[one] = -vmap(math.log1p, -u[:, 1])
    rest = ~one
    if rest.any():
        ar = a[rest]
        d = ar + np.where(ar < 1.0, 2.0 / 3, -1.0 / 3)
        with np.errstate(invalid="ignore"):
            c = np.where(d >= 0, 1.0 / 3 / np.sqrt(np.where(d >= 0, d, 1.0)), np.nan)
        out[rest] = _gamma_sample(ar, d, c, StreamSet(key, counter, i[rest], _SKIP))
    placed = np.empty(n, np.float64)
    placed[a_idx + s_idx * num_alphas] = out
    return to_output(placed, alpha.dtype.type).reshape(dims)


def _gamma_v2_kernel(shape, seed, alpha):
    dims, n = _output_size(shape)
    key, counter = _seed_key_counter(seed)
    if n == 0:
        return np.zeros(dims, np.asarray(alpha).dtype)
    return gamma_samples(key, counter, dims, np.asarray(alpha))


def _gamma_v3_kernel(shape, key, counter, alg, alpha):
    dims, n = _output_size(shape)
    if n == 0:
        return np.zeros(dims, np.asarray(alpha).dtype)
    return gamma_samples(*_philox_inputs(key, counter, alg), dims, np.asarray(alpha))


def _gamma_v2_infer(shape, seed, alpha):
    _allowed("dtype", alpha.dtype, _GAMMA_TYPES)
    return [TensorSpec(_v1_inputs(shape, seed), alpha.dtype)]


def _gamma_v3_infer(shape, key, counter, alg, alpha):
    _allowed("dtype", alpha.dtype, _GAMMA_TYPES)
    if shape.dtype not in (_dt.int32, _dt.int64):
        _allowed("shape_dtype", shape.dtype, (_dt.int32, _dt.int64))
    return [TensorSpec(_v2_inputs(shape, key, counter, alg), alpha.dtype)]


def _gamma_grad_alpha(shape, alpha, sample, grad):
    """TF's _StatelessGammaGradAlpha: RandomGammaGrad with alpha given leading unit dims, summed
    over the sample dims (shape's leading ``len(shape) - rank(alpha)``)."""
    num = array_ops.shape(shape)[0] - array_ops.rank(alpha)
    ones = array_ops.ones(array_ops.reshape(num, [1]), _dt.int32)
    alpha_b = array_ops.reshape(alpha, concat_split_ops.concat([ones, array_ops.shape(alpha)], 0))
    partial = RANDOM_GAMMA_GRAD(alpha_b, sample)
    return reduction_ops.reduce_sum(grad * partial, array_ops.range_(num))


def _gamma_v2_grad(op, grad):
    with control_dependencies([grad]):
        return [None, None, _gamma_grad_alpha(op.inputs[0], op.inputs[2], op.outputs[0], grad)]


def _gamma_v3_grad(op, grad):
    with control_dependencies([grad]):
        return [None, None, None, None,
                _gamma_grad_alpha(op.inputs[0], op.inputs[4], op.outputs[0], grad)]


STATELESS_RANDOM_GAMMA_V2 = register(OpDef(
    "StatelessRandomGammaV2", inputs=["shape:T", "seed:Tseed", "alpha:dtype"],
    kernel=_gamma_v2_kernel, infer=_gamma_v2_infer, grad=_gamma_v2_grad,
    doc="Gamma(alpha, 1) samples of shape `shape` (ending with alpha's shape), from a [2] seed.",
))
STATELESS_RANDOM_GAMMA_V3 = register(OpDef(
    "StatelessRandomGammaV3",
    inputs=["shape:shape_dtype", "key:uint64", "counter:uint64", "alg:int32", "alpha:dtype"],
    kernel=_gamma_v3_kernel, infer=_gamma_v3_infer, grad=_gamma_v3_grad,
    doc="Gamma(alpha, 1) samples of shape `shape` from a Philox key and counter.",
))


def stateless_random_gamma(shape, seed, alpha, beta=None, dtype=_dt.float32, name=None):
    """``tf.random.stateless_gamma``: Gamma(alpha, beta) samples of shape ``shape``, which must
    end with the broadcast shape of alpha and beta; at least the dtype's tiny (the kernel
    rounds in double, and TF maps the zeros that gives to tiny)."""
    dtype = _dt.as_dtype(dtype)
    with name_scope(name, "stateless_random_gamma", [shape, seed, alpha, beta]):
        from .random_ops import _shape_tensor

        shape = _shape_tensor(shape)
        alpha = convert_to_tensor(alpha, dtype=dtype, name="alpha")
        beta = convert_to_tensor(beta if beta is not None else 1, name="beta", dtype=dtype)
        broadcast = array_extra_ops.broadcast_dynamic_shape(array_ops.shape(alpha),
                                                            array_ops.shape(beta))
        alpha_b = transform_ops.broadcast_to(alpha, broadcast)
        key, counter = STATELESS_RANDOM_GET_KEY_COUNTER(seed)  # alg "auto_select": Philox
        rnd = STATELESS_RANDOM_GAMMA_V3(shape, key, counter, 3, alpha_b)
        return math_ops.maximum(np.finfo(dtype.as_numpy_dtype).tiny, rnd / beta)

