"""Cases for SparseFeatureCross and SparseFeatureCrossV2 (tf.contrib.layers' crosses; TF 2 has
neither op). V2 hashes as core SparseCross, so its ids are the ones TensorFlow 2.21's
SparseCross gave for the same inputs (feature.py); the first version's reference chains TF 1.x's
HashCombine, written here from its C++ source over Python integers. Joined crosses use
feature.py's nested-loop reference. Wrapper and columns: tests/core/contrib/
test_layers_feature_column*.py."""

import itertools

import numpy as np

import minitf.ops.sparse_feature_cross_ops  # noqa: F401 - registers the contrib ops
from minitf.ops.farmhash import fingerprint64

from .feature import CROSSED_AT, DENSE, SPARSE, _joined_ref
from .harness import Case

_U64 = 2 ** 64


def _hash_combine_ref(seed: int, value: int) -> int:
    """``seed ^ (value + 0x9e3779b97f4a7800 + (seed << 10) + (seed >> 4))`` on int64s: the
    shifts see ``seed`` as signed, the sum wraps modulo 2^64."""
    as_signed = seed if seed < 2 ** 63 else seed - _U64
    total = (value + 0x9E3779B97F4A7800 + as_signed * 1024 + as_signed // 16) % _U64
    return seed ^ total


def _v1_ref(indices, values, shapes, dense, num_buckets, **_):
    batch = int(shapes[0][0])
    columns = [[[v for k, v in zip(i[:, 0], vals) if k == row] for row in range(batch)]
               for i, vals in zip(indices, values)]
    columns += [[list(d[row]) for row in range(batch)] for d in dense]
    idx, out = [], []
    for row in range(batch):
        for n, combo in enumerate(itertools.product(*[c[row] for c in columns])):
            h = 0xDECAFCAFFE
            for v in combo:
                h = _hash_combine_ref(h, fingerprint64(v) if isinstance(v, bytes) else
                                      int(v) % _U64)
            idx.append((row, n))
            out.append(h % num_buckets if num_buckets else h % (2 ** 63 - 1))
    width = max([n + 1 for _, n in idx], default=0)
    return (np.array(idx, np.int64).reshape(-1, 2), np.array(out, np.int64),
            np.array([batch, width], np.int64))


_HASHED = {"hashed_output": True, "out_type": np.int64, "internal_type": np.int64}
CASES = [
    Case("SparseFeatureCross", SPARSE + [[DENSE]], attrs={**_HASHED, "num_buckets": 100},
         ref=_v1_ref, exact_shape=False, id="SparseFeatureCross-hashed"),
    Case("SparseFeatureCross", SPARSE + [[]], attrs={**_HASHED, "num_buckets": 0},
         ref=_v1_ref, exact_shape=False, id="SparseFeatureCross-hashed-unbucketed"),
    Case("SparseFeatureCross", SPARSE + [[DENSE]],
         attrs={"hashed_output": False, "num_buckets": 0, "out_type": "string",
                "internal_type": np.int64},
         ref=_joined_ref, exact_shape=False, id="SparseFeatureCross-joined"),
    # The ids TensorFlow 2.21's SparseCross gave (feature.py): V2 is the same hash.
    Case("SparseFeatureCrossV2", SPARSE + [[DENSE]],
         attrs={**_HASHED, "num_buckets": 100, "hash_key": 0xDECAFCAFFE},
         ref=lambda *a, **k: (CROSSED_AT, np.array([27, 15, 64, 19], np.int64),
                              np.array([3, 2], np.int64)),
         exact_shape=False, id="SparseFeatureCrossV2-hashed"),
    Case("SparseFeatureCrossV2", SPARSE + [[]],
         attrs={**_HASHED, "num_buckets": 0, "hash_key": 5},
         ref=lambda *a, **k: (CROSSED_AT, np.array(
             [2568827490928227331, 2769613478784950195, 8886290752855179965,
              9075322141204009570], np.int64), np.array([3, 2], np.int64)),
         exact_shape=False, id="SparseFeatureCrossV2-hashed-unbucketed"),
]
