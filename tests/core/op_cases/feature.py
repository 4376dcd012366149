"""Cases for the feature-column ops: Bucketize (a reference that counts the boundaries at or
below each value) and SparseCross (joined crosses built by nested loops; hashed ids as
TensorFlow 2.21 computed them). Neither op is differentiable."""

import itertools

import numpy as np

from .harness import Case, Const


def s(*items):
    out = np.empty(len(items), dtype=object)
    out[:] = [i.encode() if isinstance(i, str) else i for i in items]
    return out


def _bucketize_ref(x, boundaries):
    edges = np.asarray(boundaries, np.float32)
    out = np.zeros(np.shape(x), np.int32)
    for i in np.ndindex(*np.shape(x)):
        out[i] = sum(1 for b in edges if b <= np.float32(x[i]))
    return out


# Two sparse inputs (strings, int64) and one dense column of strings; rows 0 and 2 cross.
A_IDX, A_VALS, A_SHAPE = (np.array([[0, 0], [0, 1], [2, 0]], np.int64), s("x", "yy", "z"),
                          np.array([3, 2], np.int64))
B_IDX, B_VALS, B_SHAPE = (np.array([[0, 0], [1, 0], [2, 0], [2, 1]], np.int64),
                          np.array([3, -7, 11, 0], np.int64), np.array([3, 2], np.int64))
DENSE = s("p", "q", "r").reshape(3, 1)
CROSSED_AT = np.array([[0, 0], [0, 1], [2, 0], [2, 1]], np.int64)


def _joined_ref(indices, values, shapes, dense, **_):
    """Per row, '_X_'-joined combinations, the last input varying fastest."""
    batch = int(shapes[0][0])
    columns = [[[v if isinstance(v, bytes) else str(int(v)).encode()
                 for k, v in zip(i[:, 0], vals) if k == row] for row in range(batch)]
               for i, vals in zip(indices, values)]
    columns += [[list(d[row]) for row in range(batch)] for d in dense]
    idx, out = [], []
    for row in range(batch):
        for n, combo in enumerate(itertools.product(*[c[row] for c in columns])):
            idx.append((row, n))
            out.append(b"_X_".join(combo))
    width = max([n + 1 for _, n in idx], default=0)
    vals = np.empty(len(out), object)
    vals[:] = out
    return np.array(idx, np.int64).reshape(-1, 2), vals, np.array([batch, width], np.int64)


SPARSE = [[A_IDX, B_IDX], [A_VALS, B_VALS], [Const(A_SHAPE), Const(B_SHAPE)]]
CASES = [
    Case("Bucketize", [np.array([[-5.0, 0.0, 0.5], [1.0, 9.99, 10.0]], np.float32)],
         attrs={"boundaries": [0.0, 1.0, 10.0]}, ref=_bucketize_ref),
    Case("Bucketize", [np.array([-3, 0, 2, 7, 100], np.int32)],
         attrs={"boundaries": [-1.0, 2.0, 2.5]}, ref=_bucketize_ref, id="Bucketize-int32"),
    # Ids read from TensorFlow 2.21 (sparse_cross_hashed, 100 buckets, default hash key).
    Case("SparseCross", SPARSE + [[DENSE]],
         attrs={"hashed_output": True, "num_buckets": 100, "hash_key": 0xDECAFCAFFE,
                "out_type": np.int64, "internal_type": np.int64},
         ref=lambda *a, **k: (CROSSED_AT, np.array([27, 15, 64, 19], np.int64),
                              np.array([3, 2], np.int64)),
         exact_shape=False, id="SparseCross-hashed"),
    # No bucketing (modulo 2^63 - 1) and another key, as TF 2.21 gave them.
    Case("SparseCross", SPARSE + [[]],
         attrs={"hashed_output": True, "num_buckets": 0, "hash_key": 5,
                "out_type": np.int64, "internal_type": np.int64},
         ref=lambda *a, **k: (CROSSED_AT, np.array(
             [2568827490928227331, 2769613478784950195, 8886290752855179965,
              9075322141204009570], np.int64), np.array([3, 2], np.int64)),
         exact_shape=False, id="SparseCross-hashed-unbucketed"),
    Case("SparseCross", SPARSE + [[DENSE]],
         attrs={"hashed_output": False, "num_buckets": 0, "hash_key": 0,
                "out_type": "string", "internal_type": np.int64},
         ref=_joined_ref, exact_shape=False, id="SparseCross-joined"),
]
