"""The clustering ops of k-means (``tf.contrib.factorization``'s KMeans, TF 1.15's
tensorflow/core/kernels/clustering_ops.cc): NearestNeighbors, KmeansPlusPlusInitialization and
KMC2ChainInitialization.

NearestNeighbors computes squared distances as TF does, from half squared norms and one
matrix product in float32 (``2 * (|p|^2/2 + |c|^2/2 - p.c)``, so a point's distance to itself
may be a rounding error off zero), and orders ties by center index. The two samplers draw
from TF's stream: SimplePhilox over Philox4x32-10 keyed by the seed input with a zero counter,
``RandFloat`` from one 32-bit word, ``Uniform64`` by rejection from two words (low first), so
a seed gives TF's samples. Which candidate kmeans++ keeps can hinge on the last bit of a sum,
so its norms, dot products and potentials are summed in Eigen's vectorized order (AVX packets
of 8 floats, as TF's x86 builds): then a point is exactly 0 from itself, as in TF, and the
samples are TF's. TF registers no gradient for any of them.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from .stateless_random_ops import philox_stream, uint32_to_float

__all__ = ["kmc2_chain_initialization", "kmeans_plus_plus_initialization", "nearest_neighbors"]

_F = np.float32
_M64 = (1 << 64) - 1
_M128 = (1 << 128) - 1


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, None, message)


class _SimplePhilox:
    """TF's SimplePhilox over PhiloxRandom(seed): key = seed, counter = 0, words in order."""

    def __init__(self, seed: int):
        self.key, self.counter = int(seed) & _M64, 0
        self.words, self.i = [], 0

    def rand32(self) -> int:
        if self.i == len(self.words):
            self.words = philox_stream(self.key, self.counter, 16).tolist()
            self.counter = (self.counter + 16) & _M128
            self.i = 0
        self.i += 1
        return self.words[self.i - 1]

    def rand_float(self) -> np.float32:
        return uint32_to_float(self.rand32())[()]

    def uniform64(self, n: int) -> int:
        """ExactUniformInt<uint64> over Rand64 (low word first)."""
        def rand64():
            lo = self.rand32()
            return lo | self.rand32() << 32
        if n & (n - 1) == 0:
            return rand64() & (n - 1) if n else 0
        rem = (_M64 % n) + 1
        while True:
            r = rand64()
            if r >= rem:
                return r % n


def _require_rank(spec: TensorSpec, rank: int, what: str, kind: str):
    if spec.shape.rank not in (None, rank):
        raise shape_error(f"Input {what} should be a {kind}.")


def _scalar(value, what: str) -> int:
    if np.ndim(value) != 0:
        raise _invalid(f"Input {what} should be a scalar.")
    return int(value)


# -- NearestNeighbors ------------------------------------------------------------------------------


def _nearest_neighbors_kernel(points, centers, k):
    points, centers = np.asarray(points, _F), np.asarray(centers, _F)
    if points.ndim != 2:
        raise _invalid("Input points should be a matrix.")
    if centers.ndim != 2:
        raise _invalid("Input centers should be a matrix.")
    k = _scalar(k, "k")
    if points.shape[0] == 0:
        raise _invalid("Expected points.rows() > 0.")
    if points.shape[1] != centers.shape[1]:
        raise _invalid(f"Expected point_dimensions == center_dimensions: {points.shape[1]} vs "
                       f"{centers.shape[1]}.")
    if k < 0:  # TF's kernel would allocate a negative dimension
        raise _invalid(f"Expected k >= 0, got {k}.")
    k = min(k, centers.shape[0])
    n = points.shape[0]
    if k == 0:
        return np.zeros((n, 0), np.int64), np.zeros((n, 0), _F)
    points_half = _F(0.5) * np.einsum("ij,ij->i", points, points, dtype=_F)
    centers_half = _F(0.5) * np.einsum("ij,ij->i", centers, centers, dtype=_F)
    partial = centers_half[None, :] - points @ centers.T  # the part that depends on the center
    # A stable sort keeps equal distances in center order, as TF's top-k of (distance, index).
    order = np.argsort(partial, axis=1, kind="stable")[:, :k]
    nearest = np.take_along_axis(partial, order, axis=1)
    distances = _F(2) * (points_half[:, None] + nearest)
    return order.astype(np.int64), distances.astype(_F)


def _nearest_neighbors_infer(points, centers, k):
    _require_rank(points, 2, "points", "matrix")
    _require_rank(centers, 2, "centers", "matrix")
    _require_rank(k, 0, "k", "scalar")
    d_points = points.shape[1].value if points.shape.rank is not None else None
    d_centers = centers.shape[1].value if centers.shape.rank is not None else None
    if d_points is not None and d_centers is not None and d_points != d_centers:
        raise shape_error(f"Expected point_dimensions == center_dimensions: {d_points} vs "
                          f"{d_centers}.")
    n = points.shape[0].value if points.shape.rank is not None else None
    m = centers.shape[0].value if centers.shape.rank is not None else None
    k_value = None if k.value is None else int(np.asarray(k.value))
    cols = None  # min(m, k)
    if m == 0 or k_value == 0:
        cols = 0
    elif m is not None and k_value is not None and k_value >= 0:
        cols = min(m, k_value)
    return [TensorSpec([n, cols], _dt.int64), TensorSpec([n, cols], _dt.float32)]


NEAREST_NEIGHBORS = register(OpDef(
    "NearestNeighbors",
    inputs=["points:float32", "centers:float32", "k:int64"],
    kernel=_nearest_neighbors_kernel, infer=_nearest_neighbors_infer,
    grad=NO_GRADIENT,  # TF registers none
    doc="(indices, squared distances) of the k nearest centers of each point, nearest first",
))


def nearest_neighbors(points, centers, k, name=None):
    """The NearestNeighbors op: ``[nearest_center_indices, nearest_center_distances]``."""
    return NEAREST_NEIGHBORS(points, centers, k, name=name)


# -- KmeansPlusPlusInitialization ------------------------------------------------------------------


_PACKET = 8  # floats per Eigen packet under AVX


def _eigen_sum(v) -> np.ndarray:
    """Eigen's vectorized sum of float32 rows (the last axis): two packet accumulators over
    whole packets, a horizontal add (halves folded, then (a0 + a2) + (a1 + a3)), then the
    remaining entries one by one; rows shorter than a packet are summed in order."""
    v = np.asarray(v, _F)
    n, p = v.shape[-1], _PACKET
    packets = n // p
    if n == 0:
        return np.zeros(v.shape[:-1], _F)
    if packets == 0:
        total = v[..., 0]
        for j in range(1, n):
            total = total + v[..., j]
        return total
    acc = v[..., :p].copy()
    if packets > 1:
        acc1 = v[..., p:2 * p].copy()
        for i in range(1, packets // 2):
            acc += v[..., 2 * i * p:(2 * i + 1) * p]
            acc1 += v[..., (2 * i + 1) * p:(2 * i + 2) * p]
        acc += acc1
        if packets % 2:
            acc += v[..., (packets - 1) * p:packets * p]
    while acc.shape[-1] > 4:
        half = acc.shape[-1] // 2
        acc = acc[..., :half] + acc[..., half:]
    total = (acc[..., 0] + acc[..., 2]) + (acc[..., 1] + acc[..., 3])
    for j in range(packets * p, n):
        total = total + v[..., j]
    return total


def _half_squared_distances(points, half_norms, index):
    """Half the squared distance of every point to point ``index``, TF's way (float32). The
    products are summed in the order of the norms', so a point is at distance 0 from itself."""
    return (half_norms - _eigen_sum(points * points[index])) + half_norms[index]


def _kmeans_plus_plus_kernel(points, num_to_sample, seed, num_retries_per_sample):
    points = np.asarray(points, _F)
    if points.ndim != 2:
        raise _invalid("Input points should be a matrix.")
    num_to_sample = _scalar(num_to_sample, "num_to_sample")
    seed = _scalar(seed, "seed")
    retries = _scalar(num_retries_per_sample, "num_retries_per_sample")
    if retries < 0:  # TF's heuristic: O(log(num_to_sample)) extra draws
        retries = 2 + int(math.log(num_to_sample)) if num_to_sample > 0 else 2
    n, dims = points.shape
    if n <= 0:
        raise _invalid("Expected points.rows() > 0.")
    if num_to_sample <= 0:
        raise _invalid("Expected num_to_sample > 0.")
    if num_to_sample > n:
        raise _invalid(f"Expected num_to_sample <= points.rows(). {num_to_sample} vs {n}.")
    half_norms = _F(0.5) * _eigen_sum(points * points)
    rng = _SimplePhilox(seed)
    sampled: set[int] = set()
    min_distances = np.full(n, np.inf, _F)
    cumsum = np.zeros(n, _F)

    def draw() -> int:
        if not sampled:
            return rng.uniform64(n)
        while True:  # in proportion to the distance to the nearest point sampled so far
            index = int(np.searchsorted(cumsum, rng.rand_float() * cumsum[-1], side="right"))
            if index not in sampled:
                return index

    def candidate(index):
        # TF reads one row past the end when the draw lands on the total; the last row here
        return np.minimum(min_distances,
                          _half_squared_distances(points, half_norms, min(index, n - 1)))

    out = np.empty((num_to_sample, dims), _F)
    for i in range(num_to_sample):
        if i > 0:
            cumsum = np.cumsum(min_distances, dtype=_F)  # sequential float32 sums, as TF's
        if retries == 0:
            best = draw()
            min_distances = candidate(best)
        else:  # keep the draw that lowers the total distance most
            best, best_distances, best_potential = 0, None, np.inf
            for _ in range(retries + 1):
                index = draw()
                distances = candidate(index)
                potential = _eigen_sum(distances)
                if potential < best_potential:
                    best, best_distances, best_potential = index, distances, potential
            # Every total inf or NaN: TF keeps uninitialized distances; these are defined.
            min_distances = candidate(best) if best_distances is None else best_distances
        best = min(best, n - 1)
        out[i] = points[best]
        sampled.add(best)
    return out


def _kmeans_plus_plus_infer(points, num_to_sample, seed, num_retries_per_sample):
    _require_rank(points, 2, "points", "matrix")
    for spec, what in ((num_to_sample, "num_to_sample"), (seed, "seed"),
                       (num_retries_per_sample, "num_retries_per_sample")):
        _require_rank(spec, 0, what, "scalar")
    rows = None if num_to_sample.value is None else int(np.asarray(num_to_sample.value))
    dims = points.shape[1].value if points.shape.rank is not None else None
    return [TensorSpec([rows, dims], _dt.float32)]


KMEANS_PLUS_PLUS_INITIALIZATION = register(OpDef(
    "KmeansPlusPlusInitialization",
    inputs=["points:float32", "num_to_sample:int64", "seed:int64",
            "num_retries_per_sample:int64"],
    kernel=_kmeans_plus_plus_kernel, infer=_kmeans_plus_plus_infer,
    grad=NO_GRADIENT,  # TF registers none
    doc="num_to_sample rows of points chosen by the k-means++ criterion",
))


def kmeans_plus_plus_initialization(points, num_to_sample, seed, num_retries_per_sample,
                                    name=None):
    """The KmeansPlusPlusInitialization op: ``[num_to_sample, d]`` rows of ``points``."""
    return KMEANS_PLUS_PLUS_INITIALIZATION(points, num_to_sample, seed, num_retries_per_sample,
                                           name=name)


# -- KMC2ChainInitialization -----------------------------------------------------------------------


def _kmc2_kernel(distances, seed):
    distances = np.asarray(distances, _F)
    if distances.ndim != 1:
        raise _invalid("Input distances should be a vector.")
    seed = _scalar(seed, "seed")
    if distances.shape[0] <= 0:
        raise _invalid("Expected distances_tensor.size() > 0.")
    rng = _SimplePhilox(seed)
    selected, selected_distance = 0, distances[0]
    for i in range(1, distances.shape[0]):
        # Move the Markov chain to candidate i with probability min(1, d_i / d_selected).
        if distances[i] > rng.rand_float() * selected_distance:
            selected, selected_distance = i, distances[i]
    return np.int64(selected)


def _kmc2_infer(distances, seed):
    _require_rank(distances, 1, "distances", "vector")
    _require_rank(seed, 0, "seed", "scalar")
    return [TensorSpec([], _dt.int64)]


KMC2_CHAIN_INITIALIZATION = register(OpDef(
    "KMC2ChainInitialization",
    inputs=["distances:float32", "seed:int64"],
    kernel=_kmc2_kernel, infer=_kmc2_infer,
    grad=NOT_DIFFERENTIABLE,  # an index
    doc="the index chosen by one k-MC2 Markov chain over squared distances",
))


def kmc2_chain_initialization(distances, seed, name=None):
    """The KMC2ChainInitialization op: a scalar int64 index into ``distances``."""
    return KMC2_CHAIN_INITIALIZATION(distances, seed, name=name)
