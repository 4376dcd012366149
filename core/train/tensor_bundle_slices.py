"""Tensors saved in slices (partitioned variables): the index key of one slice (TF's
OrderedCode, EncodeTensorNameSlice), the ``shape_and_slice`` strings SaveV2 / RestoreV2 name
a block with, and the checks when a tensor is put together from its slices.

It is apart from the reader and the writer because both use it, and so do the checkpoint ops
(core/ops/checkpoint_ops.py). The format is described in tensor_bundle.py. (Split from
tensor_bundle.py, which re-exports these names.)"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import InternalError, InvalidArgumentError, NotFoundError


class SlicesNotCoveredError(NotFoundError, ValueError):
    """A block asked of a tensor saved in slices that its slices do not cover (RestoreV2 reports
    it as TF's InvalidArgumentError). Also a ValueError: what TF's NewCheckpointReader raises
    for it, so code written against TF catches it."""


# -- slice keys (TF's OrderedCode) ---------------------------------------------------------------
def _num_increasing(n: int) -> bytes:
    data = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([len(data)]) + data


def _signed_increasing(v: int) -> bytes:
    x = ~v if v < 0 else v
    if x < 64:
        return bytes([(0x80 ^ v) & 0xFF])
    n = x.bit_length() // 7 + 1  # bytes: n - 1 header bits of ones, then the sign-extended value
    out = bytearray((v % (1 << 80)).to_bytes(10, "big")[-n:])
    header = (0xFFFF << (16 - n)) & 0xFFFF
    out[0] ^= header >> 8
    out[1] ^= header & 0xFF
    return bytes(out)


_ESCAPED = {0: b"\x00\xff", 0xFF: b"\xff\x00"}  # OrderedCode's String: then 00 01 ends it


def slice_key(name: str, extents) -> bytes:
    """The index key of one slice of tensor ``name`` (EncodeTensorNameSlice)."""
    escaped = b"".join(_ESCAPED.get(c, bytes([c])) for c in name.encode())
    out = _num_increasing(0) + escaped + b"\x00\x01" + _num_increasing(len(extents))
    return out + b"".join(_signed_increasing(s) + _signed_increasing(n) for s, n in extents)


class SliceSpec(NamedTuple):
    """One block of a tensor, as a SaveV2/RestoreV2 ``shape_and_slices`` entry names it (the
    attributes of a SaveSliceInfo, whose ``spec`` writes that string)."""

    full_shape: tuple
    var_offset: tuple
    var_shape: tuple
    lengths: tuple  # var_shape with -1 for a whole dimension given as '-'


def parse_shape_and_slice(spec) -> SliceSpec | None:
    """TF's shape-and-slice string, ``"<dims...> <extents>"`` with extents ``start,length`` or
    ``-`` (the whole dimension) joined by ``:`` (e.g. ``"5 2 0,3:-"``), as a SliceSpec; None for
    ``""``, the whole tensor (checkpoint::ParseShapeAndSlice). Its ``lengths`` keep ``-`` as -1,
    as TF stores the slice."""
    text = spec.decode() if isinstance(spec, bytes) else str(spec)
    if not text:
        return None
    *dims, extents = text.split(" ")

    def bad(why):
        return InvalidArgumentError(None, None, f"Invalid shape_and_slice {text!r}: {why}")
    if not dims or not all(d.isdigit() for d in dims):
        raise bad("expected non-negative dimension sizes, then the slice")
    full = tuple(int(d) for d in dims)
    pairs = []  # (start, length), length -1 for '-'
    for part in extents.split(":"):
        start, _, length = part.partition(",")
        if part != "-" and not (start.isdigit() and length.isdigit()):
            raise bad(f"expected a pair of numbers or '-' but got {part!r}")
        pairs.append((0, -1) if part == "-" else (int(start), int(length)))
    if len(pairs) != len(full):
        raise bad(f"the slice has {len(pairs)} extents for a shape of rank {len(full)}")
    for (start, length), dim in zip(pairs, full):
        if start + max(length, 0) > dim:
            raise bad(f"extent {start},{length} goes past dimension size {dim}")
    return SliceSpec(full, tuple(s for s, _ in pairs),
                     tuple(n if n >= 0 else d for (_, n), d in zip(pairs, full)),
                     tuple(n for _, n in pairs))


# -- putting a tensor together from its slices ---------------------------------------------------
def _check_no_overlap(name: str, full, slices) -> tuple:
    """TF's checks when a tensor's slices are registered (TensorSliceSet::Register): each has
    the tensor's rank and lies inside it, and no two overlap (reading would otherwise count a
    hole as covered). Returns the slices as boxes, (starts, ends): int64 arrays [slices, rank].

    Run once per tensor, and near-linear: a sweep along the axis the fewest slices cross at
    once (one, for TF's partitioners) compares each slice only with those still open on that
    axis; all pairs were O(slices^2), and run on every part's read, O(slices^3) a restore."""
    rank = len(full)
    starts, ends = [], []
    for extents in slices:
        if len(extents) != rank:
            raise InternalError(None, None, f"Tensor {name!r}: Mismatching ranks: shape = "
                                f"{_shape_text(full)}, slice = {_slice_text(extents)}")
        for d, ((s, n), f) in enumerate(zip(extents, full)):
            if n < -1 or (n >= 0 and (s < 0 or s + n > f)):
                raise InternalError(None, None, f"Tensor {name!r}: Extent in dimension {d} out "
                                    f"of bounds: shape = {_shape_text(full)}, slice = "
                                    f"{_slice_text(extents)}")
        starts.append([s if n >= 0 else 0 for s, n in extents])
        ends.append([s + n if n >= 0 else f for (s, n), f in zip(extents, full)])
    # (inside the tensor, so each fits an int64; a scalar's slices are boxes of one element)
    lo = np.array(starts, np.int64).reshape(len(slices), rank)
    hi = np.array(ends, np.int64).reshape(len(slices), rank)
    pair = _first_overlap(lo, hi) if rank else ((0, 1) if len(slices) > 1 else None)
    if pair is not None:
        k, j = pair
        raise InternalError(None, None, f"Tensor {name!r}: Overlapping slices: existing "
                            f"slice = {_slice_text(slices[k])}, new slice = "
                            f"{_slice_text(slices[j])}")
    return lo, hi


def _first_overlap(lo, hi):
    """(earlier, later) indices of two boxes that share an element, or None. An empty box
    shares none (TF's TensorSlice::Intersect)."""
    live = np.flatnonzero(np.all(lo < hi, axis=1))
    if live.size < 2:
        return None
    lo, hi = lo[live], hi[live]
    depth, axis = min((_depth(lo[:, d], hi[:, d]), d) for d in range(lo.shape[1]))
    if depth < 2:  # apart along that axis (TF's partitioners: along the partitioned one)
        return None
    order = np.argsort(lo[:, axis], kind="stable")
    opened = np.empty(0, np.int64)  # boxes met so far that reach past the current start
    for j in order.tolist():
        opened = opened[hi[opened, axis] > lo[j, axis]]
        hit = opened[np.all(np.maximum(lo[opened], lo[j]) < np.minimum(hi[opened], hi[j]),
                            axis=1)]
        if hit.size:
            k = int(hit.min())
            return int(live[min(j, k)]), int(live[max(j, k)])
        opened = np.append(opened, j)
    return None


def _depth(lo, hi) -> int:
    """The most of the intervals [lo, hi) that one point lies in."""
    coords = np.concatenate([hi, lo])
    steps = np.concatenate([np.full(hi.size, -1), np.ones(lo.size, np.int64)])
    order = np.lexsort((steps, coords))  # at one coordinate, an interval ends before one starts
    return int(np.cumsum(steps[order]).max())


def _shape_text(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _slice_text(extents) -> str:
    return ":".join(f"{s},{n}" if n >= 0 else "-" for s, n in extents)
