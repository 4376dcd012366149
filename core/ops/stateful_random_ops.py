"""TF's stateful random ops: samplers that read a Philox state from a variable and advance it.

The state is an int64 variable in TF's layout for Philox: ``[counter_lo, counter_hi, key]``
(the 128-bit counter, low word first, then the 64-bit key). Each op, holding the variable's
lock (TF holds its mutex), reads the state and advances the counter by ``256 * n`` for ``n``
outputs, then draws from the state it read, outside the lock, as TF's kernels do. The draws are
the stateless V2 ops' for the same key and counter (core/ops/stateless_random_ops.py), so a
Generator's values are TF's bit for bit.

- ``RngReadAndSkip``: returns the state (counter padded to two words) and skips ``delta``
  outputs; TF's ``tf.random.Generator`` builds its draws from it and the stateless V2 ops.
- ``StatefulUniform``, ``StatefulUniformInt``, ``StatefulUniformFullInt``,
  ``StatefulStandardNormalV2``, ``StatefulTruncatedNormal``: TF's raw stateful samplers.
- ``StatefulRandomBinomial`` (what ``Generator.binomial`` builds): advances by
  ``256 * num_batches * 2 * 100 * (samples_per_batch + 3) / 4`` and samples as the stateless
  binomial does.
- ``NonDeterministicInts``: the OS's entropy (``from_non_deterministic_state``).

minitf's variables are reference variables, so the state argument is ``Ref(int64)`` (TF's is a
``resource``): the kernel gets the variable's Cell and updates its buffer in place. A variable
of another dtype is refused at graph construction (TF refuses it when the op runs). None of
these ops is differentiable, as in TF. The index shuffles live in
core/ops/stateful_random_shuffle_ops.py, imported at the end.
"""

from __future__ import annotations

import os

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, NotFoundError, UnimplementedError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ._util import shape_from_value
from .stateless_random_extra_ops import binomial_arguments, binomial_samples
from .stateless_random_ops import (_allowed, _dims, _int_bounds, _output_size, normal,
                                   truncated_normal, uniform, uniform_full_int, uniform_int)

__all__ = ["non_deterministic_ints", "rng_read_and_skip"]

RNG_ALG_PHILOX, RNG_ALG_THREEFRY, RNG_ALG_AUTO_SELECT = 1, 2, 3
PHILOX_STATE_SIZE = 3  # counter (2 words) + key
_M64 = (1 << 64) - 1
_FLOATS = (_dt.float16, _dt.float32, _dt.float64)  # TF's bfloat16 too; minitf has none
_ALL_INTS = (_dt.int32, _dt.int64, _dt.uint32, _dt.uint64)
_BINOMIAL_TYPES = (_dt.float16, _dt.float32, _dt.float64, _dt.int32, _dt.int64)


# -- the state variable ----------------------------------------------------------------------------


def _checked_state(cell) -> np.ndarray:
    """The state buffer, checked as TF's CheckState / CheckPhiloxState (call under the lock)."""
    state = cell.value
    if state is None:
        raise NotFoundError(None, None, f"Error while reading resource variable {cell.name}. "
                            "This could mean that the variable was uninitialized. Not found: "
                            f"Resource {cell.name} does not exist.")
    if state.dtype != np.int64:
        raise InvalidArgumentError(None, None, "dtype of RNG state variable must be int64, not "
                                   f"{_dt.as_dtype(state.dtype).name}")
    if state.ndim != 1:
        raise InvalidArgumentError(None, None, "RNG state must have one and only one dimension, "
                                   f"not {state.ndim}")
    if state.size < PHILOX_STATE_SIZE:
        raise InvalidArgumentError(None, None, "For the Philox algorithm, the size of state "
                                   f"must be at least {PHILOX_STATE_SIZE}; got {state.size}")
    return state


def _read_and_advance(cell, outputs: int) -> tuple[int, int, np.ndarray]:
    """Atomically reads (key, counter) and skips ``outputs`` outputs (256 counter steps each,
    modulo 2**64, added to the 128-bit counter); returns them and a copy of the old state."""
    with cell.lock:
        state = _checked_state(cell)
        old = state[:PHILOX_STATE_SIZE].copy()
        words = old.view(np.uint64)
        counter = int(words[0]) | int(words[1]) << 64
        new = (counter + ((outputs * 256) & _M64)) & ((1 << 128) - 1)
        state[0:2] = np.array([new & _M64, new >> 64], np.uint64).view(np.int64)
    return int(words[2]), counter, old


def _scalar(value, index: int) -> int:
    if np.ndim(value) != 0:
        raise InvalidArgumentError(None, None, f"input {index} (0-based) must have shape [], "
                                   f"not {_dims(value)}")
    return int(value)


def _philox_only(alg: int, accept_auto: bool = False):
    """TF's algorithm check: the samplers and RngReadAndSkip take Philox and AUTO_SELECT (as
    Philox) and refuse ThreeFry as unimplemented on CPU; the binomial takes Philox only."""
    if alg == RNG_ALG_PHILOX or (accept_auto and alg == RNG_ALG_AUTO_SELECT):
        return
    if alg == RNG_ALG_THREEFRY and accept_auto:
        raise UnimplementedError(None, None, "Non-XLA devices don't support the ThreeFry "
                                 "algorithm.")
    raise InvalidArgumentError(None, None, f"Unsupported algorithm id: {alg}")


# -- RngReadAndSkip -------------------------------------------------------------------------------


def _read_and_skip_kernel(cell, alg, delta):
    alg = _scalar(alg, 1)
    delta = _scalar(delta, 2)
    _philox_only(alg, accept_auto=True)  # AUTO_SELECT keeps Philox's layout
    return _read_and_advance(cell, delta)[2]


def _scalar_input(spec, index):
    if spec.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {spec.shape.rank} for input "
                          f"{index}")


def _read_and_skip_infer(resource, alg, delta):
    _scalar_input(alg, 1)
    _scalar_input(delta, 2)
    return [TensorSpec([PHILOX_STATE_SIZE], _dt.int64)]


RNG_READ_AND_SKIP = register(OpDef(
    "RngReadAndSkip", inputs=["resource:Ref(int64)", "alg:int32", "delta:uint64"],
    kernel=_read_and_skip_kernel, infer=_read_and_skip_infer, grad=NOT_DIFFERENTIABLE,
    stateful=True,
    doc="The RNG state before skipping `delta` outputs (256 counter steps each).",
))


def rng_read_and_skip(resource, alg, delta, name=None):
    """``tf.raw_ops.RngReadAndSkip``: the [3] int64 state before advancing it by ``delta``."""
    return RNG_READ_AND_SKIP(resource, alg, delta, name=name or "RngReadAndSkip")


# -- StatefulUniform / StatefulStandardNormalV2 / StatefulTruncatedNormal ------------------------


def _sample_kernel(draw):
    def kernel(cell, algorithm, shape, *, dtype):
        alg = _scalar(algorithm, 1)
        dims, n = _output_size(shape)
        _philox_only(alg, accept_auto=True)
        key, counter, _ = _read_and_advance(cell, n)
        if n == 0:
            return np.zeros(dims, dtype.as_numpy_dtype)
        return draw(key, counter, n, dtype).reshape(dims)
    return kernel


def _shape_arg(shape):
    if shape.dtype not in (_dt.int32, _dt.int64):
        raise TypeError(f"Value for attr 'shape_dtype' of {shape.dtype.name} is not in the list "
                        "of allowed values: int32, int64")
    if shape.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {shape.shape.rank} for shape")
    return shape_from_value(shape)


def _sample_infer(allowed):
    def infer(resource, algorithm, shape, *, dtype):
        _allowed("dtype", dtype, allowed)
        _scalar_input(algorithm, 1)
        return [TensorSpec(_shape_arg(shape), dtype)]
    return infer


# shape_dtype is derived from the shape's dtype, as TF's (int64 for Python values, its default).
_STATE_INPUTS = ["resource:Ref(int64)", "algorithm:int64", "shape:shape_dtype=int64"]


def _sampler(name, draw, allowed, default):
    return register(OpDef(
        name, inputs=_STATE_INPUTS, attrs={"dtype": default},
        kernel=_sample_kernel(draw), infer=_sample_infer(allowed), grad=NOT_DIFFERENTIABLE,
        stateful=True))


STATEFUL_UNIFORM = _sampler("StatefulUniform", uniform, _FLOATS, _dt.float32)
STATEFUL_STANDARD_NORMAL_V2 = _sampler("StatefulStandardNormalV2", normal, _FLOATS, _dt.float32)
STATEFUL_TRUNCATED_NORMAL = _sampler("StatefulTruncatedNormal", truncated_normal, _FLOATS,
                                     _dt.float32)
STATEFUL_UNIFORM_FULL_INT = _sampler("StatefulUniformFullInt", uniform_full_int, _ALL_INTS,
                                     _dt.uint64)


def _uniform_int_kernel(cell, algorithm, shape, minval, maxval):
    alg = _scalar(algorithm, 1)
    lo, hi = _int_bounds(minval, maxval)
    dtype = _dt.as_dtype(np.asarray(minval).dtype)
    dims, n = _output_size(shape)
    _philox_only(alg, accept_auto=True)
    key, counter, _ = _read_and_advance(cell, n)
    if n == 0:
        return np.zeros(dims, dtype.as_numpy_dtype)
    return uniform_int(key, counter, n, lo, hi, dtype).reshape(dims)


def _uniform_int_infer(resource, algorithm, shape, minval, maxval):
    _allowed("dtype", minval.dtype, _ALL_INTS)
    _scalar_input(algorithm, 1)
    _scalar_input(minval, 3)
    _scalar_input(maxval, 4)
    return [TensorSpec(_shape_arg(shape), minval.dtype)]


STATEFUL_UNIFORM_INT = register(OpDef(
    "StatefulUniformInt", inputs=_STATE_INPUTS + ["minval:dtype", "maxval:dtype"],
    kernel=_uniform_int_kernel, infer=_uniform_int_infer,
    grad=NOT_DIFFERENTIABLE, stateful=True))


# -- StatefulRandomBinomial -----------------------------------------------------------------------


def _binomial_kernel(cell, algorithm, shape, counts, probs, *, dtype):
    counts, probs, batch_shape, dims, n = binomial_arguments("StatefulRandomBinomial", shape,
                                                             counts, probs)
    if np.ndim(algorithm) != 0:
        raise InvalidArgumentError(None, None, "algorithm must be of shape [], not "
                                   f"{_dims(algorithm)}")
    _philox_only(int(algorithm))
    num_batches = int(np.prod(batch_shape, dtype=np.int64))
    per_batch = n // num_batches if num_batches else int(np.prod(
        dims[:len(dims) - len(batch_shape)], dtype=np.int64))
    # TF's reservation, in its int64 arithmetic (the product first, then the division).
    key, counter, _ = _read_and_advance(cell, num_batches * 2 * 100 * (per_batch + 3) // 4)
    if n == 0:
        return np.zeros(dims, dtype.as_numpy_dtype)
    return binomial_samples(key, counter, dims, counts, probs, dtype.as_numpy_dtype)


def _binomial_infer(resource, algorithm, shape, counts, probs, *, dtype):
    _allowed("S", shape.dtype, (_dt.int32, _dt.int64))
    _allowed("T", counts.dtype, _BINOMIAL_TYPES)
    _allowed("dtype", dtype, _BINOMIAL_TYPES)
    _scalar_input(algorithm, 1)
    if shape.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {shape.shape.rank} for shape")
    return [TensorSpec(shape_from_value(shape), dtype)]


STATEFUL_RANDOM_BINOMIAL = register(OpDef(
    "StatefulRandomBinomial",
    inputs=["resource:Ref(int64)", "algorithm:int64", "shape:S", "counts:T", "probs:T"],
    attrs={"dtype": _dt.int64}, kernel=_binomial_kernel, infer=_binomial_infer,
    grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Binomial(counts, probs) samples drawn from the state, which advances.",
))


# -- NonDeterministicInts -------------------------------------------------------------------------


def _non_deterministic_kernel(shape, *, dtype):
    dims, n = _output_size(shape)
    if dtype not in _ALL_INTS:
        raise InvalidArgumentError(None, None, f"Unsupported dtype: {dtype.name}")
    bits = np.frombuffer(os.urandom(8 * n), np.uint64)  # TF: random::New64() per value
    return bits.astype(dtype.as_numpy_dtype).reshape(dims)  # truncated, as static_cast


def _non_deterministic_infer(shape, *, dtype):
    return [TensorSpec(_shape_arg(shape), dtype)]


NON_DETERMINISTIC_INTS = register(OpDef(
    "NonDeterministicInts", inputs=["shape:shape_dtype=int64"],
    attrs={"dtype": _dt.int64}, kernel=_non_deterministic_kernel,
    infer=_non_deterministic_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Integers from the operating system's entropy, different on every run."))


def non_deterministic_ints(shape, dtype=_dt.int64, name=None):
    """TF's ``non_deterministic_ints``: integers of ``shape`` from the OS's entropy."""
    from .random_ops import _shape_tensor

    return NON_DETERMINISTIC_INTS(_shape_tensor(shape), dtype=_dt.as_dtype(dtype),
                                  name=name or "NonDeterministicInts")


from . import stateful_random_shuffle_ops  # noqa: E402, F401 - RandomIndexShuffle, StatelessShuffle
