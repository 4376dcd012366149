"""TF's index shuffles: ``RandomIndexShuffle`` (``tf.random.experimental.index_shuffle``,
``tf.random_index_shuffle``) and ``StatelessShuffle``
(``tf.random.experimental.stateless_shuffle``).

``RandomIndexShuffle`` maps ``index`` to its position in a pseudorandom permutation of
``[0, max_index]`` without building it, as TF's kernel (random_index_shuffle.cc): a Simon-like
Feistel cipher on a block of ``max(16, ceil(log2(max_index)) rounded up to even)`` bits (64
above 62) keyed by the seed's three low 32-bit words, applied again while the result exceeds
``max_index`` (cycle walking). The cipher runs vectorised over all outputs in numpy uint64.

``StatelessShuffle`` shuffles along dimension 0 as TF's RandomShuffle does (shuffle_common.h):
the Fisher-Yates swaps of ``i`` with ``i + word_i % (n - i)``, ``word_i`` the ``i``-th 32-bit
word of the Philox stream at (key, counter).
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor, name_scope
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from .stateless_random_ops import (_allowed, _alg_id, _dims, _get_key_counter_alg,
                                   _philox_inputs, _vector, philox_stream)

__all__ = ["index_shuffle", "random_index_shuffle", "stateless_shuffle"]

_SHUFFLE_TYPES = (_dt.int32, _dt.uint32, _dt.int64, _dt.uint64)
_C = 0xFFFFFFFC  # the Simon key schedule's constant
_Z = 0x7369F885192C0EF5  # and its bit sequence
_MIN_BLOCK_BITS = 16
_SEED_PAD = 498247692  # what index_shuffle puts before a [2] seed to make the op's [3] seed


# -- the cipher (numpy uint64, one lane per output, each lane with its own word size) ------------


def _rotl(x, r, w, mask):
    return ((x << np.uint64(r)) | (x >> (w - np.uint64(r)))) & mask


def _rotr(x, r, w, mask):
    return ((x >> np.uint64(r)) | (x << (w - np.uint64(r)))) & mask


def _simon_f(x, w, mask):
    return (_rotl(x, 1, w, mask) & _rotl(x, 8, w, mask)) ^ _rotl(x, 2, w, mask)


def _block_bits(max_index: int) -> int:
    bits = math.ceil(math.log2(float(max_index)))  # TF's double log2 of the uint64
    bits = max(bits + bits % 2, _MIN_BLOCK_BITS)
    return bits if bits <= 62 else 64


def shuffle_indices(index, key, max_index, rounds: int) -> np.ndarray:
    """TF's random::index_shuffle for uint64 arrays ``index``, ``max_index`` ([n]) and
    ``key`` ([n, 3] of 32-bit words); returns the new indices (uint64)."""
    index, max_index = np.asarray(index, np.uint64), np.asarray(max_index, np.uint64)
    w = np.array([_block_bits(int(m)) // 2 if m else 8 for m in max_index.tolist()], np.uint64)
    mask = (np.uint64(1) << w) - np.uint64(1)  # w <= 32: no overflow
    key = np.asarray(key, np.uint64)
    rk = [key[:, 0] & mask, key[:, 1] & mask, key[:, 2] & mask]
    z = np.uint64(_Z) & mask
    for i in range(3, rounds):
        rk.append((np.uint64(_C) & mask) ^ (z & np.uint64(1)) ^ rk[i - 3]
                  ^ _rotr(rk[i - 1], 3, w, mask) ^ _rotr(rk[i - 1], 4, w, mask))
        z = z >> np.uint64(1)
    out = index.copy()
    pending = np.nonzero(max_index != 0)[0]
    out[max_index == 0] = 0
    while pending.size:
        ww, mm = w[pending], mask[pending]
        left, right = (out[pending] >> ww) & mm, out[pending] & mm
        for i in range(0, rounds, 2):
            left = left ^ _simon_f(right, ww, mm) ^ rk[i][pending]
            right = right ^ _simon_f(left, ww, mm) ^ rk[i + 1][pending]
        out[pending] = (left << ww) | right
        pending = pending[out[pending] > max_index[pending]]
    return out


# -- RandomIndexShuffle ---------------------------------------------------------------------------


def _index_shuffle_kernel(index, seed, max_index, *, rounds):
    index, seed, max_index = np.asarray(index), np.asarray(seed), np.asarray(max_index)
    all_scalar = index.ndim == 0 and seed.ndim == 1 and max_index.ndim == 0
    n = max(index.size, max_index.size, seed.size // 3)
    if not (index.ndim == 0 or (index.ndim == 1 and index.shape[0] == n)):
        raise InvalidArgumentError(None, None, "Index bust be a scalar or vector.")
    if not (seed.shape == (3,) or seed.shape == (n, 3)):
        raise InvalidArgumentError(None, None, "Seed must be a vector of size [3] or a matrix "
                                   f"of size [{n}, 3] but got {_dims(seed)}.")
    if not (max_index.ndim == 0 or (max_index.ndim == 1 and max_index.shape[0] == n)):
        raise InvalidArgumentError(None, None, "Maxval must be a scalar or a vector of the same "
                                   f"size as index but got {_dims(max_index)}")
    idx = np.broadcast_to(index.reshape(-1), (n,)) if index.ndim == 0 else index
    top = np.broadcast_to(max_index.reshape(-1), (n,)) if max_index.ndim == 0 else max_index
    for i, m in zip(idx.tolist(), top.tolist()):  # TF checks output by output
        if i < 0:
            raise InvalidArgumentError(None, None, f"index must be >= 0 but was {i}")
        if m < 0:
            raise InvalidArgumentError(None, None, f"max_index must be >= 0 but was {m}")
        if m < i:
            raise InvalidArgumentError(None, None, f"max_index must be >= index, but {m} < {i}")
    key = np.broadcast_to(seed.reshape(-1, 3), (n, 3)).astype(np.uint64) & np.uint64(0xFFFFFFFF)
    out = shuffle_indices(idx.astype(np.uint64), key, top.astype(np.uint64), rounds)
    out = out.astype(index.dtype)
    return out.reshape(()) if all_scalar else out


def _index_shuffle_infer(index, seed, max_index, *, rounds):
    _allowed("dtype", index.dtype, _SHUFFLE_TYPES)
    _allowed("Tseed", seed.dtype, _SHUFFLE_TYPES)
    if rounds < 4 or rounds % 2:
        raise ValueError(f"Attr 'rounds' of 'RandomIndexShuffle' Op must be an even number >= 4, "
                         f"got {rounds} (TF's kernel reads past its round keys otherwise)")
    ri, rs, rm = index.shape.rank, seed.shape.rank, max_index.shape.rank
    for what, r, lo, hi in (("index", ri, 0, 1), ("seed", rs, 1, 2), ("max_index", rm, 0, 1)):
        if r is not None and not lo <= r <= hi:
            bound = f"at most rank {hi}" if r > hi else f"at least rank {lo}"
            raise shape_error(f"Shape must be {bound} but is rank {r} for {what}")
    dims = seed.shape.as_list() if rs is not None else None
    if rs == 1 and dims[0] is not None and dims[0] != 3:
        raise shape_error(f"Seed must have shape [3] or [n, 3] but got [{dims[0]}].")
    if rs == 2 and dims[1] is not None and dims[1] != 3:
        raise shape_error(f"Seed must have shape [3] or [n, 3] but got [{dims[0] or -1}, "
                          f"{dims[1]}].")
    if ri == 0 and rs == 1 and rm == 0:
        return [TensorSpec([], index.dtype)]
    if not (ri == 1 or rs == 2 or rm == 1):
        return [TensorSpec(None, index.dtype)]
    n = index.shape[0].value if ri == 1 else None
    for what, r, d in (("Seed", rs == 2, dims[0] if rs == 2 else None),
                       ("Max index", rm == 1, max_index.shape[0].value if rm == 1 else None)):
        if not r:
            continue
        if n is None:
            n = d
        elif n > 1 and d is not None and d > 1 and d != n:
            tail = ", 3] but must have shape [" + f"{n}, 3]. since index had shape [{n}]." \
                if what == "Seed" else f"] but must have shape [{n}]."
            raise shape_error(f"{what} has shape [{d}{tail}")
    return [TensorSpec([n], index.dtype)]


RANDOM_INDEX_SHUFFLE = register(OpDef(
    "RandomIndexShuffle", inputs=["index:dtype", "seed:Tseed", "max_index:dtype"],
    attrs={"rounds": 4}, kernel=_index_shuffle_kernel, infer=_index_shuffle_infer,
    grad=NOT_DIFFERENTIABLE,
    doc="The position of `index` in a seeded pseudorandom permutation of [0, max_index].",
))


def random_index_shuffle(index, seed, max_index, rounds=4, name=None):
    """``tf.random_index_shuffle`` (the raw op): ``seed`` has shape [3] or [n, 3]."""
    return RANDOM_INDEX_SHUFFLE(index, seed, max_index, rounds=rounds,
                                name=name or "RandomIndexShuffle")


def index_shuffle(index, seed, max_index):
    """``tf.random.experimental.index_shuffle``: the position of ``index`` in the permutation of
    ``[0, max_index]`` that ``seed`` (shape [2] or [n, 2]) picks; batched inputs broadcast."""
    from .pad_ops import pad

    seed = convert_to_tensor(seed)
    rank = seed.shape.rank
    paddings = [[1, 0]] + ([] if rank is None else (rank - 1) * [[0, 0]])
    seed = pad(seed, paddings, constant_values=_SEED_PAD)
    return RANDOM_INDEX_SHUFFLE(index, seed, max_index, rounds=4, name="RandomIndexShuffle")


# -- StatelessShuffle ----------------------------------------------------------------------------


def shuffle_permutation(key: int, counter: int, size: int) -> np.ndarray:
    """The permutation TF's RandomShuffle applies to ``size`` rows (row ``i`` of the output is
    row ``perm[i]`` of the input)."""
    words = philox_stream(key, counter, -(-(size - 1) // 4))[:size - 1].tolist()
    perm = list(range(size))
    for i, word in enumerate(words):
        j = i + word % ((size - i) & 0xFFFFFFFF)
        perm[i], perm[j] = perm[j], perm[i]
    return np.array(perm, np.int64)


def _stateless_shuffle_kernel(value, key, counter, alg):
    value = np.asarray(value)
    key, counter = _philox_inputs(key, counter, alg)
    if value.size <= 1 or value.shape[0] <= 1:
        return value
    return value[shuffle_permutation(key, counter, value.shape[0])]


def _stateless_shuffle_infer(value, key, counter, alg):
    _vector(key, "key", 1)
    _vector(counter, "counter", 2, at_least=True)
    if alg.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {alg.shape.rank} for alg")
    return [TensorSpec(value.shape, value.dtype)]


STATELESS_SHUFFLE = register(OpDef(
    "StatelessShuffle", inputs=["value:T", "key:uint64", "counter:uint64", "alg:int32"],
    kernel=_stateless_shuffle_kernel, infer=_stateless_shuffle_infer, grad=NOT_DIFFERENTIABLE,
    doc="`value` shuffled along dimension 0, deterministically given key, counter and alg.",
))


def stateless_shuffle(value, seed, alg="auto_select", name=None):
    """``tf.random.experimental.stateless_shuffle``: ``value`` shuffled along its first
    dimension, deterministically given ``seed`` (shape [2])."""
    alg = _alg_id(alg)
    with name_scope(name, "stateless_shuffle") as scope:
        key, counter, alg = _get_key_counter_alg(seed, alg)
        return STATELESS_SHUFFLE(value, key, counter, alg, name=scope)
