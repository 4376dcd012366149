"""Cases for RaggedGather (core/ops/ragged_gather_ops.py). References are the gathered rows
written out by hand: params [[1, 2], [], [3, 4, 5]] (splits [0, 2, 2, 5]) and, for ragged
rank 2, [[[1, 2], []], [[3, 4, 5]]] (splits [0, 2, 3] and [0, 2, 2, 5]). The gradient cases
check TF's sparse rule (output values back to the positions they were read from)
numerically."""

from functools import partial

import numpy as np

from .harness import Case as _Case

# The gathered sizes are not known statically: inference gives None for them.
Case = partial(_Case, exact_shape=False)

V = np.array([1, 2, 3, 4, 5], np.float32)
S = np.array([0, 2, 2, 5], np.int64)


def _splits(*rows):
    return np.array(rows, np.int64)


CASES = [
    # Rows 2, 0, 2: [[3, 4, 5], [1, 2], [3, 4, 5]] (a row gathered twice: gradients add).
    Case("RaggedGather", [[S], V, np.array([2, 0, 2], np.int32)], attrs={"OUTPUT_RAGGED_RANK": 1},
         ref=lambda s, v, i, **_: (_splits(0, 3, 5, 8), np.float32([3, 4, 5, 1, 2, 3, 4, 5]))),
    # 2-D indices add a uniform level: [[[], [1, 2]], [[3, 4, 5], []]].
    Case("RaggedGather", [[S], V, np.array([[1, 0], [2, 1]], np.int64)],
         attrs={"OUTPUT_RAGGED_RANK": 2},
         ref=lambda s, v, i, **_: (_splits(0, 2, 4), _splits(0, 0, 2, 5, 5),
                                   np.float32([1, 2, 3, 4, 5])), id="RaggedGather-2d-indices"),
    # A scalar index drops the outer level: params[2] is the dense row [3, 4, 5].
    Case("RaggedGather", [[S], V, np.array(2, np.int32)], attrs={"OUTPUT_RAGGED_RANK": 0},
         ref=lambda s, v, i, **_: np.float32([3, 4, 5]), id="RaggedGather-scalar-index"),
    # Ragged rank 2, int32 splits: rows 1, 0 are [[[3, 4, 5]], [[1, 2], []]].
    Case("RaggedGather", [[np.array([0, 2, 3], np.int32), np.array([0, 2, 2, 5], np.int32)], V,
                          np.array([1, 0], np.int32)], attrs={"OUTPUT_RAGGED_RANK": 2},
         ref=lambda s, v, i, **_: (np.int32([0, 1, 3]), np.int32([0, 3, 5, 5]),
                                   np.float32([3, 4, 5, 1, 2])), id="RaggedGather-rank2"),
    # Values with an inner dimension move as blocks.
    Case("RaggedGather", [[np.array([0, 1, 3], np.int64)],
                          np.float32([[1, 10], [2, 20], [3, 30]]), np.array([1], np.int32)],
         attrs={"OUTPUT_RAGGED_RANK": 1},
         ref=lambda s, v, i, **_: (_splits(0, 2), np.float32([[2, 20], [3, 30]])),
         id="RaggedGather-inner-dims"),
    Case("RaggedGather", [[S], np.array([b"a", b"bb", b"c", b"d", b"e"], object),
                          np.array([2, 2, 1], np.int32)], attrs={"OUTPUT_RAGGED_RANK": 1},
         ref=lambda s, v, i, **_: (_splits(0, 3, 6, 6),
                                   np.array([b"c", b"d", b"e"] * 2, object)),
         id="RaggedGather-strings"),
    # No indices: one empty split vector, no values (of params' inner shape).
    Case("RaggedGather", [[S], V, np.zeros([0], np.int32)], attrs={"OUTPUT_RAGGED_RANK": 1},
         ref=lambda s, v, i, **_: (_splits(0), np.zeros([0], np.float32)),
         id="RaggedGather-no-indices"),
]

# RaggedCross: ragged [[1, 2], [], [3]], sparse [[a], [], [b, c]], dense [[5], [6], [7]], read
# in input_order. Joined crosses are written out by hand; hashed ones are TF 2.21's values.
_R = ([np.array([1, 2, 3], np.int64)], [np.array([0, 2, 2, 3], np.int64)])
_SP = ([np.array([[0, 0], [2, 0], [2, 1]], np.int64)], [np.array([b"a", b"b", b"c"], object)],
       [np.array([3, 2], np.int64)])
_D = [np.array([[5], [6], [7]], np.int64)]
_CROSS = {"hashed_output": False, "num_buckets": 0, "hash_key": 0,
          "out_values_type": np.dtype(object), "out_row_splits_type": np.int64}
_HASHED = {"hashed_output": True, "hash_key": 956888297470, "out_values_type": np.int64,
           "out_row_splits_type": np.int64}

CASES += [
    Case("RaggedCross", [*_R, *_SP, _D], attrs={**_CROSS, "input_order": "RSD"},
         ref=lambda *a, **_: (np.array([b"1_X_a_X_5", b"2_X_a_X_5", b"3_X_b_X_7", b"3_X_c_X_7"],
                                       object), _splits(0, 2, 2, 4))),
    # dense first, ragged int32 splits; then a ragged tensor crossed with itself
    Case("RaggedCross", [[np.array([b"x", b"y"], object)], [np.array([0, 0, 2], np.int32)],
                         [], [], [], [np.array([[b"p", b"q"], [b"r", b"s"]], object)]],
         attrs={**_CROSS, "input_order": "DR", "out_row_splits_type": np.int32},
         ref=lambda *a, **_: (np.array([b"r_X_x", b"r_X_y", b"s_X_x", b"s_X_y"], object),
                              np.int32([0, 0, 4])), id="RaggedCross-dense-first"),
    Case("RaggedCross", [*_R, *_SP, _D], attrs={**_HASHED, "num_buckets": 0,
                                                "input_order": "RDS"},
         ref=lambda *a, **_: (np.array([8564089381017573408, 6035710177592661364,
                                        1993514050305830189, 4891791202898560252], np.int64),
                              _splits(0, 2, 2, 4)), id="RaggedCross-hashed"),
    Case("RaggedCross", [*_R, *_SP, _D], attrs={**_HASHED, "num_buckets": 100,
                                                "input_order": "RDS"},
         ref=lambda *a, **_: (np.int64([15, 71, 89, 52]), _splits(0, 2, 2, 4)),
         id="RaggedCross-buckets"),
]
