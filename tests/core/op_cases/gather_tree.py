"""Cases for GatherTree (tf.contrib.seq2seq.gather_tree). TensorFlow 2 has no GatherTree, so
the reference is numpy: every beam's ancestors are followed for all beams of a batch entry at
once (fancy indexing, level by level), and the steps after a path's first end token are masked
with a cumulative count, not a per-element loop as the kernel's."""

import numpy as np

import minitf.ops.gather_tree_ops  # noqa: F401 - registers GatherTree (a contrib op)

from .harness import Case

R = np.random.default_rng(17)


def ref_gather_tree(step_ids, parent_ids, lengths, end_token):
    max_time, batch_size, beam_width = step_ids.shape
    out = np.full_like(step_ids, end_token)
    for b in range(batch_size):
        n = min(max_time, int(lengths[b]))
        if n <= 0:
            continue
        ancestor = np.arange(beam_width)
        alive = np.ones(beam_width, bool)
        out[n - 1, b] = step_ids[n - 1, b, ancestor]
        for t in range(n - 2, -1, -1):
            parent = parent_ids[t + 1, b, ancestor]
            bad = alive & ((parent < 0) | (parent >= beam_width))
            alive &= ~bad
            # an out-of-range parent writes -1 and ends that path's trace
            out[t, b] = np.where(alive, step_ids[t, b, np.clip(parent, 0, beam_width - 1)],
                                 np.where(bad, -1, end_token))
            ancestor = np.where(alive, parent, 0)
        path = out[:n, b]
        after_end = np.cumsum(path == end_token, axis=0) - (path == end_token) > 0
        path[after_end] = end_token
    return out


# 4 steps, 2 batch entries, 3 beams: parents chosen at random; entry 1 is shorter.
STEP = R.integers(0, 6, size=(4, 2, 3)).astype(np.int32)
PARENT = R.integers(0, 3, size=(4, 2, 3)).astype(np.int32)

CASES = [
    Case("GatherTree", [STEP, PARENT, np.array([4, 2], np.int32), np.int32(5)],
         ref=ref_gather_tree),
    Case("GatherTree", [STEP, PARENT, np.array([9, 0], np.int32), np.int32(2)],
         ref=ref_gather_tree, id="GatherTree-longer-and-empty"),
    Case("GatherTree", [np.array([[[1, 2, 3]], [[4, 5, 6]], [[7, 8, 9]], [[10, 11, 12]]],
                                 np.int32),
                        np.array([[[0, 0, 0]], [[0, 1, 1]], [[2, 1, 2]], [[-1, -1, -1]]],
                                 np.int32),
                        np.array([3], np.int32), np.int32(11)],
         ref=ref_gather_tree, id="GatherTree-contrib-doc-example"),
    # Out-of-range parents (-1, 3): -1 at the level above, then the trace stops.
    Case("GatherTree", [STEP, np.where(PARENT == 2, np.int32(-1), PARENT).astype(np.int32) +
                        np.int32([[[0, 0, 0], [0, 0, 0]]] * 2 + [[[3, 0, 0], [0, 0, 0]]] * 2),
                        np.array([4, 4], np.int32), np.int32(7)],
         ref=ref_gather_tree, id="GatherTree-invalid-parents"),
]
