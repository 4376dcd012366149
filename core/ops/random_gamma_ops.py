"""RandomGamma (with TF's implicit gradient in alpha, RandomGammaGrad) and RandomPoissonV2, for
``tf.random.gamma`` / ``tf.random.poisson`` (and TF1's ``tf.random_gamma`` / ``random_poisson``).
The draws are reproducible from the seeds but are not TensorFlow's random numbers; the gradient
op is deterministic and matches TF's."""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import control_dependencies, convert_to_tensor, name_scope
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, shape_error
from . import (array_extra_ops, array_ops, concat_split_ops, math_ops, reduction_ops,
               transform_ops)
from ._util import broadcast_infer, shape_from_value
from .random_ops import _seed_attrs
from .special_ops import _digamma_kernel

__all__ = ["random_gamma", "random_poisson"]


_GAMMA_TYPES = (_dt.float16, _dt.float32, _dt.float64)
_POISSON_TYPES = (_dt.float16, _dt.float32, _dt.float64, _dt.int32, _dt.int64)


def _draw_shape(shape, params):
    dims = tuple(int(d) for d in np.asarray(shape).reshape(-1))
    if any(d < 0 for d in dims):
        raise InvalidArgumentError(None, None, f"Shape dimensions must be >= 0, got {list(dims)}")
    return dims + np.shape(params)


def _random_gamma_kernel(rng, shape, alpha, *, seed, seed2):
    """Gamma(alpha, 1) draws of shape ``shape + alpha.shape``; alpha 0 gives 0, a negative or
    NaN alpha NaN (as TF's kernel)."""
    a = np.broadcast_to(np.asarray(alpha, np.float64), _draw_shape(shape, alpha))
    ok = a > 0
    out = rng.standard_gamma(np.where(ok, a, 1.0))
    out = np.where(ok, out, np.where(a == 0, 0.0, np.nan))
    return out.astype(np.asarray(alpha).dtype)


def _gamma_sample_der_alpha(a, x):
    """d sample / d alpha of a Gamma(a, 1) sample x, by implicit differentiation of its CDF
    P(a, x) (TF's RandomGammaGrad): ``-(dP/da) / (dP/dx)``. Below the mean P's series is
    differentiated term by term; above it, where that series cancels, the upper tail's
    ``integral_x^inf (log t - digamma(a)) t^(a-1) e^-t dt`` by Gauss-Laguerre quadrature."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    ok = (a > 0) & (x > 0)
    out = np.zeros(a.shape)
    low, high = ok & (x <= a), ok & (x > a)
    out[low] = _der_alpha_series(a[low], x[low])
    out[high] = _der_alpha_tail(a[high], x[high])
    return out


def _der_alpha_series(a, x):
    lgamma = np.vectorize(math.lgamma, otypes=[np.float64])
    log_x = np.log(x)
    d_p_da = np.zeros_like(x)
    for n in range(100000):  # x <= a: the terms only fall, geometrically
        term = np.exp((a + n) * log_x - x - lgamma(a + n + 1.0))
        d_p_da += term * (log_x - _digamma_kernel(a + n + 1.0))
        if (term <= 1e-17 * np.abs(d_p_da)).all() or not term.any():
            break
    return -d_p_da / np.exp((a - 1.0) * log_x - x - lgamma(a))


_LAGUERRE = np.polynomial.laguerre.laggauss(80)


def _der_alpha_tail(a, x):
    u, w = _LAGUERRE  # t = x + u: the ratio to dP/dx leaves ((x + u) / x) ** (a - 1)
    a, x = a[:, None], x[:, None]
    shifted = np.exp((a - 1.0) * np.log1p(u / x))
    return (w * (np.log(x + u) - _digamma_kernel(a)) * shifted).sum(axis=1)


def _random_gamma_grad_kernel(alpha, sample):
    dtype = np.result_type(alpha, sample)
    return _gamma_sample_der_alpha(alpha, sample).astype(dtype)


def _random_poisson_kernel(rng, shape, rate, *, seed, seed2, dtype):
    """Poisson(rate) draws of shape ``shape + rate.shape``; a rate <= 0 gives 0 (TF's)."""
    lam = np.broadcast_to(np.asarray(rate, np.float64), _draw_shape(shape, rate))
    if not np.isfinite(lam).all():  # TF's kernel never returns for these
        raise InvalidArgumentError(None, None, "RandomPoissonV2: rate must be finite")
    return rng.poisson(np.maximum(lam, 0.0)).astype(dtype.as_numpy_dtype)


def _draws_spec(shape, params, dtype):
    if shape.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {shape.shape.rank}")
    return [TensorSpec(shape_from_value(shape).concatenate(params.shape), dtype)]


def _check_type(spec, arg, allowed):
    if spec not in allowed:
        raise TypeError(f"Value passed to parameter '{arg}' has DataType {spec.name} not in list "
                        f"of allowed values: {', '.join(d.name for d in allowed)}")


def _random_gamma_infer(shape, alpha, *, seed, seed2):
    _check_type(alpha.dtype, "alpha", _GAMMA_TYPES)
    return _draws_spec(shape, alpha, alpha.dtype)


def _random_gamma_grad_infer(alpha, sample):
    _check_type(alpha.dtype, "alpha", (_dt.float32, _dt.float64))
    return broadcast_infer(alpha, sample)


def _random_poisson_infer(shape, rate, *, seed, seed2, dtype):
    _check_type(rate.dtype, "rate", _POISSON_TYPES)
    _check_type(dtype, "dtype", _POISSON_TYPES)
    return _draws_spec(shape, rate, dtype)


def _random_gamma_grad(op, grad):
    """TF's _RandomGammaGrad: the sample's derivative in alpha (alpha given leading unit
    dims to broadcast against the sample), summed over the sample dims."""
    shape, alpha = op.inputs
    with control_dependencies([grad]):
        num = array_ops.shape(shape)[0]
        ones = array_ops.ones(array_ops.reshape(num, [1]), _dt.int32)
        alpha_b = array_ops.reshape(alpha, concat_split_ops.concat(
            [ones, array_ops.shape(alpha)], 0))
        partial = RANDOM_GAMMA_GRAD(alpha_b, op.outputs[0])
        return [None, reduction_ops.reduce_sum(grad * partial, array_ops.range_(num))]


RANDOM_GAMMA = register(OpDef(
    "RandomGamma", inputs=["shape:S", "alpha:T"], attrs={"seed": 0, "seed2": 0},
    kernel=_random_gamma_kernel, infer=_random_gamma_infer, grad=_random_gamma_grad,
    stateful=True, resource="rng", doc="Gamma(alpha, 1) samples of shape shape + alpha.shape",
))
# TF registers no gradient for these two: asking for one raises LookupError.
RANDOM_GAMMA_GRAD = register(OpDef(
    "RandomGammaGrad", inputs=["alpha:T", "sample:T"], kernel=_random_gamma_grad_kernel,
    infer=_random_gamma_grad_infer, grad=NO_GRADIENT,
    doc="d sample / d alpha of Gamma(alpha, 1) samples (implicit reparameterization)",
))
RANDOM_POISSON_V2 = register(OpDef(
    "RandomPoissonV2", inputs=["shape:S", "rate:R=float64"],
    attrs={"seed": 0, "seed2": 0, "dtype": _dt.int64},
    kernel=_random_poisson_kernel, infer=_random_poisson_infer, grad=NO_GRADIENT,
    stateful=True, resource="rng", doc="Poisson(rate) samples of shape shape + rate.shape",
))


def random_gamma(shape, alpha, beta=None, dtype=_dt.float32, seed=None, name=None):
    """``tf.random.gamma``: Gamma(alpha, beta) samples of shape ``shape + broadcast(alpha,
    beta).shape``, at least the dtype's tiny, as TF composes it."""
    dtype = _dt.as_dtype(dtype)
    with name_scope(name, "random_gamma", [shape, alpha, beta]):
        shape = convert_to_tensor(shape, name="shape", dtype=_dt.int32)
        alpha = convert_to_tensor(alpha, name="alpha", dtype=dtype)
        beta = convert_to_tensor(beta if beta is not None else 1, name="beta", dtype=dtype)
        broadcast = array_extra_ops.broadcast_dynamic_shape(array_ops.shape(alpha),
                                                            array_ops.shape(beta))
        draws = RANDOM_GAMMA(shape, transform_ops.broadcast_to(alpha, broadcast),
                             **_seed_attrs(seed))
        return math_ops.maximum(np.finfo(dtype.as_numpy_dtype).tiny, draws / beta)


def random_poisson(lam, shape, dtype=_dt.float32, seed=None, name=None):
    """``tf.random.poisson`` (TF1 argument order): Poisson(lam) samples of shape
    ``shape + lam.shape``, a RandomPoissonV2 node."""
    with name_scope(name, "random_poisson", [lam, shape]):
        shape = convert_to_tensor(shape, name="shape", dtype=_dt.int32)
        return RANDOM_POISSON_V2(shape, lam, dtype=_dt.as_dtype(dtype), **_seed_attrs(seed))
