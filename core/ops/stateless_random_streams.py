"""Philox streams for TF's rejection samplers (gamma, Poisson, binomial): each output reads its
own stretch of the stream, starting ``skip`` blocks after the previous output's, and draws as
many blocks as its rejection loop needs, in order.

The first ``prefetch`` blocks of every output are computed in one vectorised Philox call; the
rare output that needs more gets them one at a time. The per-output loops themselves are plain
Python on Python floats: ``math``'s log, log1p, sin, cos, pow and lgamma are the C library's,
which TF's kernels call, so the double arithmetic is the same operation by operation.
"""

from __future__ import annotations

import math
import struct

import numpy as np

from .stateless_random_ops import philox_blocks

_DOUBLE = struct.Struct("<d")
_ONE_EXPONENT = 1023 << 52
_TWO_PI = 2 * math.pi  # C's 2 * M_PI, folded first as in `2 * M_PI * x`


def uint64_to_double(x0: int, x1: int) -> float:
    """Uint64ToDouble: 20 bits of x0 above the 32 of x1 as the mantissa of [1, 2); minus one."""
    bits = ((x0 & 0xFFFFF) << 32) | x1 | _ONE_EXPONENT
    return _DOUBLE.unpack(bits.to_bytes(8, "little"))[0] - 1.0


def uniform_pair(block) -> tuple[float, float]:
    """UniformDistribution<double>: two doubles in [0, 1) from one block."""
    return uint64_to_double(block[0], block[1]), uint64_to_double(block[2], block[3])


def normal_pair(block) -> tuple[float, float]:
    """NormalDistribution<double>: BoxMullerDouble's two normals (sin, cos) from one block."""
    u1 = max(uint64_to_double(block[0], block[1]), 1.0e-7)
    v1 = _TWO_PI * uint64_to_double(block[2], block[3])
    u2 = math.sqrt(-2.0 * math.log(u1))
    return math.sin(v1) * u2, math.cos(v1) * u2


class OutputStreams:
    """The generators of ``n`` outputs: output ``i`` starts at block ``counter + i * skip``."""

    def __init__(self, key: int, counter: int, n: int, skip: int, prefetch: int = 2):
        self.key, self.counter, self.skip, self.prefetch = key, counter, skip, prefetch
        offsets = (np.arange(n, dtype=np.uint64)[:, None] * np.uint64(skip)
                   + np.arange(prefetch, dtype=np.uint64)).reshape(-1)
        blocks = philox_blocks(key, counter, offsets) if n else np.zeros((0, 4), np.uint32)
        self._blocks = blocks.reshape(n, prefetch, 4).tolist()

    def generator(self, i: int) -> Generator:
        return Generator(self, i)


class Generator:
    """One output's PhiloxRandom after its Skip: ``block()`` returns the next four words."""

    __slots__ = ("_streams", "_index", "_next")

    def __init__(self, streams: OutputStreams, index: int):
        self._streams, self._index, self._next = streams, index, 0

    def block(self) -> list:
        s, pos = self._streams, self._next
        self._next += 1
        if pos < s.prefetch:
            return s._blocks[self._index][pos]
        return philox_blocks(s.key, s.counter, [self._index * s.skip + pos])[0].tolist()


class Buffered:
    """TF's sample buffers (RandomSampleBuffer, the UNIFORM macro): one distribution call gives
    two doubles, handed out last first."""

    __slots__ = ("_dist", "_gen", "_values", "_left")

    def __init__(self, dist, gen: Generator):
        self._dist, self._gen, self._values, self._left = dist, gen, (0.0, 0.0), 0

    def __call__(self) -> float:
        if self._left == 0:
            self._values, self._left = self._dist(self._gen.block()), 2
        self._left -= 1
        return self._values[self._left]
