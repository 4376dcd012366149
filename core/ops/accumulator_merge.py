"""``merge_rows``: TF's merge of a SparseConditionalAccumulator's index list with a gradient's
(sparse_conditional_accumulator.h), vectorised in numpy. SparseAccumulator (accumulator_ops.py)
sums and counts its rows with it."""

from __future__ import annotations

import numpy as np

__all__: list[str] = []  # used by accumulator_ops (which re-exports merge_rows)


# -- TF's merge of the index lists, vectorised ----------------------------------------------------
# TF's kernel walks the accumulated index list a and a gradient's b as a merge, whatever their
# order: the smaller head goes first, equal heads make one summed row. Non-decreasing lists merge
# into their sorted union (``_union``). Otherwise the walk follows the running maxima: a[i] goes
# before b[j] exactly when max(a[:i+1]) < max(b[:j+1]). So each list splits into blocks of equal
# running maximum, merged in the order of it; rows of a and b meet only in two blocks of the same
# maximum v: their leading runs of v pair up, and the rest of the two (all <= v) merge again on
# their own, as a nest. ``_level`` does one level of nests at a time, all of them at once.
def _walk(a: list, b: list) -> tuple[list, list]:
    """TF's walk itself: each merged row's row of a and of b, -1 for none."""
    rows_a, rows_b, i, j = [], [], 0, 0
    while i < len(a) and j < len(b):
        rows_a.append(i if a[i] <= b[j] else -1)
        rows_b.append(j if a[i] >= b[j] else -1)
        i, j = i + (rows_a[-1] >= 0), j + (rows_b[-1] >= 0)
    rest_a, rest_b = range(i, len(a)), range(j, len(b))
    return rows_a + [*rest_a] + [-1] * len(rest_b), rows_b + [-1] * len(rest_a) + [*rest_b]


def _union(a, b):
    """The merge of non-decreasing lists, without a sort: the k-th row of index v in one meets
    the k-th of v in the other, if it has one; rows go in order of (v, k)."""
    def places(x, y):  # x's rows before, y's rows of smaller (v, k), less the pairs before
        lo, rows = np.searchsorted(y, x, "left"), np.arange(x.size)
        hi = np.searchsorted(y, x, "right") if (y[1:] == y[:-1]).any() else \
            lo + (y[np.minimum(lo, y.size - 1)] == x)
        k = rows - np.maximum.accumulate(np.where(np.append(True, x[1:] != x[:-1]), rows, 0))
        paired = k < hi - lo
        return rows + lo + np.minimum(k, hi - lo) - (np.cumsum(paired) - paired)

    at_a, at_b = places(a, b), places(b, a)
    return at_a, at_b, max(at_a[-1], at_b[-1]) + 1


def _blocks(v, base):
    """One side's blocks (``base``, the nest times the value range, keeps nests apart): each
    block's key (base + running maximum), start, length and leading run of its maximum; each
    row's block and offset in it."""
    top = np.maximum.accumulate(base + v)
    new = np.append(True, top[1:] != top[:-1])
    start = np.flatnonzero(new)
    length = np.diff(np.append(start, v.size))
    block, rows = np.cumsum(new) - 1, np.arange(v.size)
    below = np.minimum.reduceat(np.where(base + v != top, rows, v.size), start)
    return (top[start], start, length, np.minimum(below, start + length) - start, block,
            rows - start[block])


def _level(ra, rb, u, pa, na, pb, nb):
    """One level of nests (rows pa of a, pb of b, in nests na, nb; each nest has rows of both):
    the level's rows in merged order (4 x rows: nest, row of a, row of b, its new nest or -1)
    and the new nests."""
    ka, sa, la, runa, xa, oa = _blocks(ra[pa], na * u)
    kb, sb, lb, runb, xb, ob = _blocks(rb[pb], nb * u)
    at = np.minimum(np.searchsorted(kb, ka), kb.size - 1)
    ya = np.where(kb[at] == ka, at, -1)  # each block of a's block of b of the same key
    at = np.minimum(np.searchsorted(ka, kb), ka.size - 1)
    yb = np.where(ka[at] == kb, at, -1)
    pairs = np.where(ya >= 0, np.minimum(runa, runb[ya]), 0)  # per block of a
    nest = (ya >= 0) & (la > pairs) & (lb[ya] > pairs)  # both blocks have rows left
    child = np.cumsum(nest) - 1
    pairs_b = np.where(yb >= 0, pairs[yb], 0)[xb]
    nested_a = nest[xa] & (oa >= pairs[xa])
    nested_b = ((yb >= 0) & nest[yb])[xb] & (ob >= pairs_b)
    out_a, out_b = ~nested_a, ~nested_b & (ob >= pairs_b)  # b's paired rows are a's
    partner = np.full(pa.size, -1)
    paired = out_a & (oa < pairs[xa])
    partner[paired] = pb[sb[ya[xa[paired]]] + oa[paired]]
    holes = np.flatnonzero(nest)
    place_a = np.arange(ka.size) + np.searchsorted(kb, ka)  # blocks in merged order
    place_b = np.arange(kb.size) + np.searchsorted(ka, kb)
    width = max(la.max(), lb.max()) + 1
    keys = (place_a[xa[out_a]] * width + oa[out_a], place_b[xb[out_b]] * width + ob[out_b],
            place_a[holes] * width + pairs[holes])  # each increasing: merged by searchsorted
    rows = np.empty((4, sum(k.size for k in keys)), np.int64)
    for key, parts in zip(keys, ((na[out_a], pa[out_a], partner[out_a], -1),
                                 (nb[out_b], -1, pb[out_b], -1),
                                 (ka[holes] // u, -1, -1, child[holes]))):
        at = np.arange(key.size) + sum(np.searchsorted(k, key) for k in keys if k is not key)
        for i, part in enumerate(parts):
            rows[i, at] = part
    return rows, (pa[nested_a], child[xa[nested_a]], pb[nested_b], child[yb[xb[nested_b]]])


def _splice(seq, rows, count):
    """``seq`` (merged rows' numbers, -1 - s for nest s, nests in order) with each nest's place
    taken by its rows of this level, the finished ones numbered from ``count``."""
    nest, new = rows[0], rows[3]
    numbers = np.where(new < 0, count + np.cumsum(new < 0) - 1, -1 - new)
    holes = np.flatnonzero(seq < 0)
    size = np.bincount(nest, minlength=holes.size)
    width = np.ones(seq.size, np.int64)
    width[holes] = size
    at = np.cumsum(width) - width
    out = np.empty(int(width.sum()), np.int64)
    out[at[seq >= 0]] = seq[seq >= 0]
    out[at[holes][nest] + np.arange(nest.size) - (np.cumsum(size) - size)[nest]] = numbers
    return out


def merge_rows(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """TF's merge of index lists ``a`` (accumulated) and ``b`` (a gradient's): where each row of
    a and each row of b goes in the merged list (a row of each at one place: they are summed),
    and its length."""
    if not (a.size and b.size):
        return np.arange(a.size), a.size + np.arange(b.size), a.size + b.size
    if (a[1:] >= a[:-1]).all() and (b[1:] >= b[:-1]).all():
        return _union(a, b)
    low, high = int(min(a.min(), b.min())), int(max(a.max(), b.max()))
    if (high - low + 1) * (a.size + b.size) < 2 ** 62:  # nests * range fits in int64
        ra, rb, u = a - low, b - low, high - low + 1
    else:  # the ranks instead
        ranks = np.unique(np.concatenate([a, b]), return_inverse=True)[1].reshape(-1)
        ra, rb, u = ranks[:a.size], ranks[a.size:], int(ranks.max()) + 1
    live = np.arange(a.size), np.zeros(a.size, np.int64), np.arange(b.size), \
        np.zeros(b.size, np.int64)
    seq, done, count, walk = np.array([-1]), [], 0, False
    while live[0].size:
        if walk:  # TF's walk, nest by nest
            rows = []
            pa, na, pb, nb = live
            for s, (xa, xb) in enumerate(zip(np.split(pa, np.flatnonzero(np.diff(na)) + 1),
                                             np.split(pb, np.flatnonzero(np.diff(nb)) + 1))):
                i, j = (np.array(r, np.int64) for r in _walk(ra[xa].tolist(), rb[xb].tolist()))
                rows.append([np.full(i.size, s), np.append(xa, -1)[i], np.append(xb, -1)[j],
                             np.full(i.size, -1)])
            rows, live = np.concatenate(rows, axis=1), (pa[:0],)
        else:
            before = live[0].size + live[2].size
            rows, live = _level(ra, rb, u, *live)
            # a level that leaves over half its rows in nests: the walk is the quicker now
            walk = 2 * (live[0].size + live[2].size) > before
        finished = rows[3] < 0
        done.append(rows[1:3, finished])
        seq = _splice(seq, rows, count)
        count += int(finished.sum())
    rows = np.concatenate(done, axis=1)[:, seq]  # each merged row's row of a and of b
    at_a, at_b = np.empty(a.size, np.int64), np.empty(b.size, np.int64)
    at_a[rows[0, rows[0] >= 0]] = np.flatnonzero(rows[0] >= 0)
    at_b[rows[1, rows[1] >= 0]] = np.flatnonzero(rows[1] >= 0)
    return at_a, at_b, seq.size
