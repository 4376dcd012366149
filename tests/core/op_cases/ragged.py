"""Cases for the ragged ops (core/ragged_ops.py): RaggedTensorToTensor, RaggedTensorToSparse and
RaggedRange. References are the dense, sparse and range layouts written out by hand (or with
Python's range), and numerical gradients for the two conversions."""

import numpy as np

from functools import partial

from .harness import Case as _Case
from .harness import Const

# Ragged dimensions are not known statically: inference gives None for them.
Case = partial(_Case, exact_shape=False)

V = np.arange(1, 7, dtype=np.float32)
SPLITS = np.array([0, 2, 2, 6], np.int64)


def _dense(rows, fill, width):
    return np.array([list(r) + [fill] * (width - len(r)) for r in rows], np.float32)


CASES = [
    Case("RaggedTensorToTensor", [Const(np.array(-1, np.int64)), V, np.float32(0), [SPLITS]],
         attrs={"row_partition_types": ["ROW_SPLITS"]},
         ref=lambda sh, v, d, p, **_: _dense([[1, 2], [], [3, 4, 5, 6]], 0, 4)),
    Case("RaggedTensorToTensor", [Const(np.array([2, 3], np.int64)), V, np.float32(9), [SPLITS]],
         attrs={"row_partition_types": ["ROW_SPLITS"]},
         ref=lambda sh, v, d, p, **_: _dense([[1, 2], []], 9, 3), id="RaggedTensorToTensor-cut",
         exact_shape=True),
    Case("RaggedTensorToTensor", [Const(np.array([4, -1], np.int64)), V, np.float32(9),
                                  [SPLITS]],
         attrs={"row_partition_types": ["ROW_SPLITS"]},
         ref=lambda sh, v, d, p, **_: _dense([[1, 2], [], [3, 4, 5, 6], []], 9, 4),
         id="RaggedTensorToTensor-pad-rows"),
    Case("RaggedTensorToTensor", [Const(np.array(-1, np.int64)), V.reshape(3, 2),
                                  np.float32([7, 8]), [np.array([0, 1, 3], np.int64)]],
         attrs={"row_partition_types": ["ROW_SPLITS"]},
         ref=lambda sh, v, d, p, **_: np.array([[[1, 2], [7, 8]], [[3, 4], [5, 6]]], np.float32),
         id="RaggedTensorToTensor-inner-dims"),
    Case("RaggedTensorToTensor", [Const(np.array(-1, np.int32)), V, np.float32(0),
                                  [np.array([0, 1, 3], np.int32),
                                   np.array([0, 2, 2, 6], np.int32)]],
         attrs={"row_partition_types": ["ROW_SPLITS", "ROW_SPLITS"]},
         ref=lambda sh, v, d, p, **_: np.array([[[1, 2, 0, 0], [0, 0, 0, 0]],
                                                [[0, 0, 0, 0], [3, 4, 5, 6]]], np.float32),
         id="RaggedTensorToTensor-rank3"),
    Case("RaggedTensorToTensor", [Const(np.array(-1, np.int64)), V, np.float32(-1),
                                  [np.array(3, np.int64), np.array([0, 0, 2, 2, 2, 2], np.int64)]],
         attrs={"row_partition_types": ["FIRST_DIM_SIZE", "VALUE_ROWIDS"]},
         ref=lambda sh, v, d, p, **_: _dense([[1, 2], [], [3, 4, 5, 6]], -1, 4),
         id="RaggedTensorToTensor-rowids"),
    Case("RaggedTensorToSparse", [[SPLITS], V],
         ref=lambda p, v: (np.array([[0, 0], [0, 1], [2, 0], [2, 1], [2, 2], [2, 3]], np.int64),
                           V, np.array([3, 4], np.int64))),
    Case("RaggedTensorToSparse", [[np.array([0, 1, 3], np.int64)], V.reshape(3, 2)],
         ref=lambda p, v: (np.array([[0, 0, 0], [0, 0, 1], [1, 0, 0], [1, 0, 1], [1, 1, 0],
                                     [1, 1, 1]], np.int64), V, np.array([2, 2, 2], np.int64)),
         id="RaggedTensorToSparse-inner"),
    Case("RaggedRange", [np.array([0, 5, 3], np.int32), np.array([4, 0, 3], np.int32),
                         np.array([1, -2, 1], np.int32)],
         ref=lambda a, b, c, **_: (np.array([0, 4, 7, 7], np.int64),
                                   np.array([*range(0, 4), *range(5, 0, -2)], np.int32))),
    Case("RaggedRange", [np.array(0, np.int64), np.array([4, 2], np.int64), np.array(1, np.int64)],
         attrs={"Tsplits": np.int32},
         ref=lambda a, b, c, **_: (np.array([0, 4, 6], np.int32),
                                   np.array([0, 1, 2, 3, 0, 1], np.int64)),
         id="RaggedRange-broadcast"),
    # TF adds delta once per element: float32 rounding as TF 2.21 gave it.
    Case("RaggedRange", [np.array([0.5, 1], np.float32), np.array([2, 0], np.float32),
                         np.array([0.5, -0.3], np.float32)],
         ref=lambda a, b, c, **_: (np.array([0, 3, 7], np.int64),
                                   np.array([0.5, 1, 1.5, 1, 0.7, 0.39999998, 0.09999996],
                                            np.float32)), id="RaggedRange-float"),
]
