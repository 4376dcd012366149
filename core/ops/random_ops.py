"""Random ops with TensorFlow's seed rules (graph seed + op seed -> attrs seed/seed2).

Each op gets its own numpy Generator per session, seeded from (seed, seed2): results are
reproducible given the seeds, and successive runs in one session draw new numbers, as in TF.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor, get_default_graph, name_scope
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ._util import shape_from_value
from .stateless_random_seed import get_seed  # TF 2.21's rule: a per-graph counter

__all__ = ["set_random_seed", "get_seed", "multinomial", "random_normal", "random_shuffle",
           "random_uniform", "truncated_normal"]


def set_random_seed(seed):
    """Sets the graph-level seed of the default graph."""
    get_default_graph().seed = seed


def _shape(shape):
    dims = tuple(int(d) for d in np.asarray(shape).reshape(-1))
    if any(d < 0 for d in dims):
        raise InvalidArgumentError(None, None, f"Shape dimensions must be >= 0, got {list(dims)}")
    return dims


def _float_sample(draw, half=None):
    """A kernel drawing in float32 (float64 for float64) and casting; ``half``, if given, draws
    float16 itself."""
    def kernel(rng, shape, *, dtype, seed, seed2):
        np_type = dtype.as_numpy_dtype
        if np_type == np.float16 and half is not None:
            return half(rng, _shape(shape))
        work = np.float64 if np_type == np.float64 else np.float32
        return draw(rng, _shape(shape), work).astype(np_type, copy=False)
    return kernel


def _truncated(rng, shape, work):
    out = rng.standard_normal(shape, dtype=work)
    bad = np.abs(out) > 2.0
    while bad.any():  # resample outside two standard deviations, as TruncatedNormal does
        out[bad] = rng.standard_normal(int(bad.sum()), dtype=work)
        bad = np.abs(out) > 2.0
    return out


def _uniform_half(rng, shape):
    # TF fills a half's 10 mantissa bits (1.m - 1): multiples of 2**-10 in [0, 1). A float32
    # draw cast to half would round up to 1.0 about once in 4000.
    return (rng.integers(0, 1024, size=shape) / 1024).astype(np.float16)


def _check_shape_arg(shape):
    if shape.shape.rank not in (None, 1):  # TF's MakeShapeFromShapeTensor
        raise shape_error(f"Shape must be rank 1 but is rank {shape.shape.rank}")


def _random_infer(shape, *, dtype, seed, seed2):
    if not dtype.is_floating:
        raise shape_error(f"dtype must be a floating point type, got {dtype.name}")
    _check_shape_arg(shape)
    return [TensorSpec(shape_from_value(shape), dtype)]


def _random_op(type_, draw, half=None):
    return register(OpDef(
        type_, inputs=["shape:T"], attrs={"dtype": req("type"), "seed": 0, "seed2": 0},
        kernel=_float_sample(draw, half), infer=_random_infer, grad=NOT_DIFFERENTIABLE,
        stateful=True, resource="rng"))


RANDOM_STANDARD_NORMAL = _random_op(
    "RandomStandardNormal", lambda rng, shape, work: rng.standard_normal(shape, dtype=work))
RANDOM_UNIFORM = _random_op(
    "RandomUniform", lambda rng, shape, work: rng.random(shape, dtype=work), _uniform_half)
TRUNCATED_NORMAL = _random_op("TruncatedNormal", _truncated)


def _uniform_int_kernel(rng, shape, minval, maxval, *, seed, seed2):
    if not minval < maxval:
        raise InvalidArgumentError(None, None, f"Need minval < maxval: {minval} >= {maxval}")
    return rng.integers(minval, maxval, size=_shape(shape), dtype=np.asarray(minval).dtype)


def _uniform_int_infer(shape, minval, maxval, *, seed, seed2):
    if minval.shape.rank not in (None, 0) or maxval.shape.rank not in (None, 0):
        raise shape_error("minval and maxval must be scalars")
    _check_shape_arg(shape)
    return [TensorSpec(shape_from_value(shape), minval.dtype)]


RANDOM_UNIFORM_INT = register(OpDef(
    "RandomUniformInt", inputs=["shape:T", "minval:Tout", "maxval:Tout"],
    attrs={"seed": 0, "seed2": 0},
    kernel=_uniform_int_kernel, infer=_uniform_int_infer, grad=NOT_DIFFERENTIABLE,
    stateful=True, resource="rng",
))


def _seed_attrs(seed):
    s1, s2 = get_seed(seed)
    return {"seed": s1 or 0, "seed2": s2 or 0}


def _shape_tensor(shape):
    if hasattr(shape, "op") or hasattr(shape, "_as_tensor"):
        return shape
    from .array_ops import shape_list_tensor

    return shape_list_tensor(list(shape) if not np.isscalar(shape) else [shape], name="shape")


def _shape_arg(shape):
    """TF's shape_tensor: a scalar shape stays a scalar, for the op to refuse."""
    if np.isscalar(shape):
        return convert_to_tensor(shape, name="shape")
    return _shape_tensor(shape)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    dtype = _dt.as_dtype(dtype)
    with name_scope(name, "random_normal") as scope:
        shape_t = _shape_arg(shape)
        mean_t = convert_to_tensor(mean, dtype=dtype, name="mean")
        std_t = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        rnd = RANDOM_STANDARD_NORMAL(shape_t, dtype=dtype, **_seed_attrs(seed))
        return _mul_add(rnd, std_t, mean_t, scope)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    dtype = _dt.as_dtype(dtype)
    with name_scope(name, "truncated_normal") as scope:
        shape_t = _shape_arg(shape)
        mean_t = convert_to_tensor(mean, dtype=dtype, name="mean")
        std_t = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        rnd = TRUNCATED_NORMAL(shape_t, dtype=dtype, **_seed_attrs(seed))
        return _mul_add(rnd, std_t, mean_t, scope)


def _check_wrapper_dtype(dtype, accepted):
    """TF's wrappers name the dtype argument before the op's own check can (``accepted``:
    TF's names, in its order)."""
    if dtype.name not in accepted:
        raise ValueError(f"Argument `dtype` got invalid value {dtype}. Accepted dtypes are "
                         f"({', '.join('tf.' + n for n in accepted)}).")


def random_uniform(shape, minval=0, maxval=None, dtype=_dt.float32, seed=None, name=None):
    dtype = _dt.as_dtype(dtype)
    _check_wrapper_dtype(dtype, ("float16", "bfloat16", "float32", "float64", "int32", "int64"))
    with name_scope(name, "random_uniform") as scope:
        shape_t = _shape_arg(shape)
        if dtype.is_integer:
            if maxval is None:
                raise ValueError(f"Must specify maxval for integer dtype {dtype!r}")
            lo = convert_to_tensor(minval, dtype=dtype, name="min")
            hi = convert_to_tensor(maxval, dtype=dtype, name="max")
            return RANDOM_UNIFORM_INT(shape_t, lo, hi, name=scope, **_seed_attrs(seed))
        lo = convert_to_tensor(minval, dtype=dtype, name="min")
        hi = convert_to_tensor(1 if maxval is None else maxval, dtype=dtype, name="max")
        rnd = RANDOM_UNIFORM(shape_t, dtype=dtype, **_seed_attrs(seed))
        from .math_ops import ADD_V2, MUL, SUB

        return ADD_V2(MUL(rnd, SUB(hi, lo, name="sub"), name="mul"), lo, name=scope)


def _mul_add(rnd, std, mean, scope):
    from .math_ops import ADD_V2, MUL

    return ADD_V2(MUL(rnd, std, name="mul"), mean, name=scope)


# -- RandomShuffle / Multinomial ------------------------------------------------------------------


def _shuffle_kernel(rng, value, *, seed, seed2):
    value = np.asarray(value)
    if value.ndim == 0:
        return value.copy()
    return value[rng.permutation(value.shape[0])]


RANDOM_SHUFFLE = register(OpDef(
    "RandomShuffle", inputs=["value:T"], attrs={"seed": 0, "seed2": 0},
    kernel=_shuffle_kernel, infer=lambda value, **_: [TensorSpec(value.shape, value.dtype)],
    grad=NOT_DIFFERENTIABLE, stateful=True, resource="rng",
    doc="value with its first dimension randomly permuted.",
))


def _multinomial_kernel(rng, logits, num_samples, *, seed, seed2, output_dtype):
    logits = np.asarray(logits)
    if logits.ndim != 2:
        raise InvalidArgumentError(None, None, f"logits should be a matrix, got shape "
                                   f"{list(logits.shape)}")
    n = int(num_samples)
    if n < 0:
        raise InvalidArgumentError(None, None, f"num_samples should be nonnegative, got {n}")
    batch, classes = logits.shape
    if classes == 0 and batch and n:
        raise InvalidArgumentError(None, None, "num_classes should be positive, got 0")
    x = logits.astype(np.float64)
    # TF's CPU kernel: softmax weights with the largest finite logit shifted out, non-finite
    # logits weighing nothing; a row with no weight at all draws num_classes (out of range).
    finite = np.isfinite(x)
    shift = np.max(x, axis=1, keepdims=True, where=finite, initial=np.finfo(np.float64).min)
    p = np.where(finite, np.exp(np.where(finite, x - shift, 0.0)), 0.0)
    cdf = np.cumsum(p, axis=1)
    u = rng.random((batch, n)) * cdf[:, -1:] if classes else np.zeros((batch, n))
    out = np.empty((batch, n), dtype=output_dtype.as_numpy_dtype)
    for b in range(batch):
        out[b] = np.searchsorted(cdf[b], u[b], side="right")
    return out


def _multinomial_infer(logits, num_samples, *, seed, seed2, output_dtype):
    if output_dtype.name not in ("int32", "int64"):
        raise TypeError(f"Value for attr 'output_dtype' of {output_dtype.name} is not in the "
                        "list of allowed values: int32, int64")
    if logits.shape.rank not in (None, 2):
        raise shape_error(f"Shape must be rank 2 but is rank {logits.shape.rank}")
    if num_samples.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {num_samples.shape.rank}")
    n = num_samples.value
    n = None if n is None else int(n)
    batch = logits.shape[0].value if logits.shape.rank == 2 else None
    return [TensorSpec([batch, n], output_dtype)]


MULTINOMIAL = register(OpDef(
    "Multinomial", inputs=["logits:T", "num_samples:int32"],
    attrs={"seed": 0, "seed2": 0, "output_dtype": _dt.int64},
    kernel=_multinomial_kernel, infer=_multinomial_infer,
    grad=NOT_DIFFERENTIABLE, stateful=True, resource="rng",
    doc="num_samples class indices per row, drawn from the softmax of the row's logits.",
))


def random_shuffle(value, seed=None, name=None):
    """``tf.random_shuffle`` / ``tf.random.shuffle``: value's rows in a random order."""
    return RANDOM_SHUFFLE(value, name=name or "RandomShuffle", **_seed_attrs(seed))


def multinomial(logits, num_samples, seed=None, name=None, output_dtype=None):
    """TF1's ``tf.multinomial``: ``num_samples`` draws per row of ``logits`` (int64 by
    default)."""
    if output_dtype is not None:
        _check_wrapper_dtype(_dt.as_dtype(output_dtype), ("int32", "int64"))
    with name_scope(name, "multinomial", [logits]):
        return _multinomial(logits, num_samples, seed, output_dtype)


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """``tf.random.categorical``: ``num_samples`` draws per row of ``logits``."""
    if dtype is not None:
        _check_wrapper_dtype(_dt.as_dtype(dtype), ("int32", "int64"))
    with name_scope(name, "categorical", [logits]):
        return _multinomial(logits, num_samples, seed, dtype)


def _multinomial(logits, num_samples, seed, output_dtype):
    logits = convert_to_tensor(logits, name="logits")
    return MULTINOMIAL(logits, num_samples, output_dtype=_dt.as_dtype(output_dtype or _dt.int64),
                       **_seed_attrs(seed))
