"""Cases for core/ops/stateful_random_ops.py and core/ops/stateful_random_shuffle_ops.py.

RandomIndexShuffle is checked against a scalar pure-Python rewrite of TF's cipher (below) and
against the values TF's own docstrings print; StatelessShuffle against Fisher-Yates swaps on the
Philox words of the plain stateless stream (already TF's to the bit). The ops that take the
generator's state variable cannot be fed placeholders; tests/core/test_random_generator.py covers
them (values rebuilt from the stateless streams, state arithmetic, and side by side with TF).
"""

import math

import numpy as np

from minitf.ops.stateless_random_ops import philox_stream

from .harness import Case, Const

_T = "tests/core/test_random_generator.py::"
COVERED_BY = {
    "RngReadAndSkip": _T + "test_skip_returns_the_old_state_and_advances_256_per_output",
    "StatefulUniform": _T + "test_raw_stateful_samplers_are_the_stateless_streams",
    "StatefulUniformInt": _T + "test_raw_stateful_samplers_are_the_stateless_streams",
    "StatefulUniformFullInt": _T + "test_raw_stateful_samplers_are_the_stateless_streams",
    "StatefulStandardNormalV2": _T + "test_raw_stateful_samplers_are_the_stateless_streams",
    "StatefulTruncatedNormal": _T + "test_raw_stateful_samplers_are_the_stateless_streams",
    "StatefulRandomBinomial": _T + "test_binomial_advances_by_tfs_reservation_and_samples",
}

_SEED_PAD = 498247692  # index_shuffle's padding of a [2] seed


def simon_index_shuffle(index: int, key, max_index: int, rounds: int = 4) -> int:
    """TF's random::index_shuffle, one index at a time on Python ints."""
    if max_index == 0:
        return 0
    bits = math.ceil(math.log2(max_index))
    bits = max(bits + bits % 2, 16)
    w = 32 if bits > 62 else bits // 2
    m = (1 << w) - 1

    def rotl(x, r):
        return ((x << r) | (x >> (w - r))) & m

    def rotr(x, r):
        return ((x >> r) | (x << (w - r))) & m

    def f(x):
        return (rotl(x, 1) & rotl(x, 8)) ^ rotl(x, 2)

    rk = [int(k) & 0xFFFFFFFF & m for k in key]
    z, c = 0x7369F885192C0EF5 & m, 0xFFFFFFFC & m
    for i in range(3, rounds):
        rk.append(c ^ (z & 1) ^ rk[i - 3] ^ rotr(rk[i - 1], 3) ^ rotr(rk[i - 1], 4))
        z >>= 1
    x = index
    while True:
        left, right = (x >> w) & m, x & m
        for i in range(0, rounds, 2):
            left ^= f(right) ^ rk[i]
            right ^= f(left) ^ rk[i + 1]
        x = (left << w) | right
        if x <= max_index:
            return x


def _index_ref(rounds=4):
    def ref(index, seed, max_index, **_):
        index, seed, max_index = np.asarray(index), np.asarray(seed), np.asarray(max_index)
        n = max(index.size, max_index.size, seed.size // 3)
        idx = np.broadcast_to(index.reshape(-1), (n,)) if index.ndim == 0 else index
        top = np.broadcast_to(max_index.reshape(-1), (n,)) if max_index.ndim == 0 else max_index
        keys = np.broadcast_to(seed.reshape(-1, 3), (n, 3))
        out = [simon_index_shuffle(int(i), [int(k) for k in key], int(m), rounds)
               for i, key, m in zip(idx, keys, top)]
        out = np.array(out, np.uint64).astype(index.dtype)
        return out.reshape(()) if index.ndim == 0 and seed.ndim == 1 and max_index.ndim == 0 \
            else out
    return ref


def _fisher_yates(value, key, counter, alg):
    value = np.asarray(value)
    n = value.shape[0] if value.ndim else 0
    if value.size <= 1 or n <= 1:
        return value
    k, c = int(key[0]), int(counter[0]) | int(counter[1]) << 64
    words = philox_stream(k, c, n)  # more than the n - 1 words used
    perm = list(range(n))
    for i in range(n - 1):
        j = i + int(words[i]) % (n - i)
        perm[i], perm[j] = perm[j], perm[i]
    return value[perm]


def _tf(value, dtype):
    value = np.asarray(value, dtype)
    return lambda *_, **__: value


def _entropy_check(outputs, inputs):
    (out,) = outputs
    assert out.shape == (4, 5) and out.dtype == np.int64
    assert len(set(out.ravel().tolist())) > 15  # 20 draws of 64 bits: collisions are ~2**-58


_KEY = np.array([0x0123456789ABCDEF], np.uint64)
_COUNTER = np.array([2**64 - 3, 7], np.uint64)

CASES = [
    # TF's docstring: Dataset.range(10).map(lambda i: index_shuffle(i, [5, 8], 9)).
    Case("RandomIndexShuffle", [np.arange(10, dtype=np.int64),
                                np.array([_SEED_PAD, 5, 8], np.int32), np.int64(9)],
         _tf([3, 8, 0, 1, 2, 7, 6, 9, 4, 5], np.int64), rtol=0, atol=0, grad=[]),
    Case("RandomIndexShuffle", [np.int32(2), np.array([_SEED_PAD, 5, 9], np.int32),
                                np.int32(3)], _tf(1, np.int32), rtol=0, atol=0, grad=[],
         id="RandomIndexShuffle-scalar-doc"),
    Case("RandomIndexShuffle", [np.arange(300, dtype=np.int32),
                                np.array([3, 1, 4], np.int64), np.int32(299)], _index_ref(),
         rtol=0, atol=0, grad=[], id="RandomIndexShuffle-cycle-walk"),
    # Batched seeds and bounds, 64-bit blocks (a bound above 2**62), uint64.
    Case("RandomIndexShuffle", [np.array([0, 7, 2**40, 5], np.uint64),
                                np.array([[1, 2, 3], [4, 5, 6], [2**33 + 9, 8, 7], [0, 0, 0]],
                                         np.uint64),
                                np.array([9, 2**20, 2**63 + 5, 70000], np.uint64)],
         _index_ref(), rtol=0, atol=0, grad=[], id="RandomIndexShuffle-batched"),
    Case("RandomIndexShuffle", [np.arange(20, dtype=np.uint32), np.array([9, 9, 9], np.uint32),
                                np.uint32(19)], _index_ref(8), attrs={"rounds": 8},
         rtol=0, atol=0, grad=[], id="RandomIndexShuffle-rounds8"),
    Case("StatelessShuffle", [np.arange(17, dtype=np.float32), _KEY, _COUNTER,
                              Const(np.int32(1))], _fisher_yates, rtol=0, atol=0, grad=[]),
    Case("StatelessShuffle", [np.arange(24, dtype=np.int64).reshape(6, 2, 2), _KEY, _COUNTER,
                              Const(np.int32(3))], _fisher_yates, rtol=0, atol=0, grad=[]),
    Case("StatelessShuffle", [np.array([[4.5, 1.0]]), _KEY, _COUNTER, Const(np.int32(1))],
         _fisher_yates, rtol=0, atol=0, grad=[], id="StatelessShuffle-one-row"),
    Case("NonDeterministicInts", [Const(np.array([4, 5], np.int64))], ref=None,
         check=_entropy_check, grad=[]),
]
