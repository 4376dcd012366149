"""Philox streams for TF's rejection samplers (gamma, Poisson, binomial): each output reads its
own stretch of the stream, starting ``skip`` blocks after the previous output's, and draws as
many blocks as its rejection loop needs, in order.

Since every output has its own stream, the loops run side by side: a round takes every
unfinished output's next draw with numpy, keeps the accepted ones and goes on with the rest, so
each output still sees its draws in TF's order (``BufferedSet`` keeps TF's two-value sample
buffers per output). Arithmetic (+ - * /, sqrt, floor, ceil) is IEEE's in numpy as in C; log,
exp, sin, cos, pow and lgamma go through ``math`` element by element (``vmap``): those are the C
library's, which TF's kernels call, while numpy's own may be SIMD approximations a last bit
apart.
"""

from __future__ import annotations

import math

import numpy as np

from .stateless_random_ops import philox_blocks, uint64_to_double

_TWO_PI = 2 * math.pi  # C's 2 * M_PI, folded first as in `2 * M_PI * x`


def vmap(fn, x: np.ndarray) -> np.ndarray:
    """``fn`` (a ``math`` function) on every element of the double array ``x``."""
    return np.fromiter(map(fn, x.tolist()), np.float64, count=x.size)


def c_log_many(x: np.ndarray) -> np.ndarray:
    """C's log elementwise: -inf at 0, NaN below (and for NaN)."""
    out = np.full(x.shape, np.nan)
    pos = x > 0
    out[pos] = vmap(math.log, x[pos])
    out[x == 0] = -np.inf
    return out


def uniform_pairs(blocks: np.ndarray) -> np.ndarray:
    """UniformDistribution<double>: two doubles in [0, 1) per block, [k, 2] (Uint64ToDouble of
    words 0-1 and 2-3)."""
    return np.stack([uint64_to_double(blocks[:, 0], blocks[:, 1]),
                     uint64_to_double(blocks[:, 2], blocks[:, 3])], axis=1)


def normal_pairs(blocks: np.ndarray) -> np.ndarray:
    """NormalDistribution<double>: BoxMullerDouble's two normals (sin, cos) per block, [k, 2]."""
    u1 = np.maximum(uint64_to_double(blocks[:, 0], blocks[:, 1]), 1.0e-7)
    v1 = _TWO_PI * uint64_to_double(blocks[:, 2], blocks[:, 3])
    u2 = np.sqrt(-2.0 * vmap(math.log, u1))
    return np.stack([vmap(math.sin, v1) * u2, vmap(math.cos, v1) * u2], axis=1)


class StreamSet:
    """The generators of outputs ``index`` (output ``i`` starts at block ``counter + i * skip``),
    addressed by position in ``index``; ``blocks(sel)`` gives each selected one's next block."""

    def __init__(self, key: int, counter: int, index: np.ndarray, skip: int):
        self.key, self.counter = key, counter
        self.next = np.asarray(index, np.uint64) * np.uint64(skip)

    def __len__(self) -> int:
        return len(self.next)

    def blocks(self, sel: np.ndarray) -> np.ndarray:
        at = self.next[sel]
        self.next[sel] = at + np.uint64(1)
        return philox_blocks(self.key, self.counter, at)


class BufferedSet:
    """TF's sample buffers (RandomSampleBuffer, the UNIFORM macro) of every output of a
    StreamSet: one distribution call gives two values, handed out last first. ``self(sel)``
    (distinct positions) gives each selected output its next value, refilling the empty buffers
    from their next block."""

    def __init__(self, dist, streams: StreamSet):
        self._dist, self._streams = dist, streams
        self._values = np.zeros((len(streams), 2))
        self._left = np.zeros(len(streams), np.int8)

    def __call__(self, sel: np.ndarray) -> np.ndarray:
        empty = sel[self._left[sel] == 0]
        if empty.size:
            self._values[empty] = self._dist(self._streams.blocks(empty))
            self._left[empty] = 2
        self._left[sel] -= 1
        return self._values[sel, self._left[sel]]
