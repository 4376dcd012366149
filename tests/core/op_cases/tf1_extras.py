"""Cases for SparseMatMul (tf.sparse_matmul): a float32 matrix product whose sparsity attrs
are hints, so every combination is checked against numpy's product. The op takes float32 only
(TF: float and bfloat16), so the harness's float64 gradient check cannot build it; its gradient
is checked in float32 by the test COVERED_BY names."""

import numpy as np

from .harness import Case

R = np.random.default_rng(515)


def _m(*shape):
    x = R.standard_normal(shape).astype(np.float32)
    x[x < 0.3] = 0  # mostly zeros, what the hints are for
    return x


def _ref(a, b, transpose_a=False, transpose_b=False, **_):
    return (a.T if transpose_a else a) @ (b.T if transpose_b else b)


CASES = [
    Case("SparseMatMul", [_m(3, 4), _m(4, 2)], _ref, rtol=1e-5, grad=[]),
    Case("SparseMatMul", [_m(4, 3), _m(4, 2)], _ref, attrs={"transpose_a": True,
                                                           "a_is_sparse": True},
         grad=[], id="SparseMatMul-ta-sparse_a"),
    Case("SparseMatMul", [_m(3, 4), _m(2, 4)], _ref, attrs={"transpose_b": True,
                                                           "b_is_sparse": True},
         grad=[], id="SparseMatMul-tb-sparse_b"),
    Case("SparseMatMul", [_m(4, 3), _m(2, 4)], _ref,
         attrs={"transpose_a": True, "transpose_b": True, "a_is_sparse": True,
                "b_is_sparse": True}, grad=[], id="SparseMatMul-ta-tb-both_sparse"),
    Case("SparseMatMul", [np.zeros((0, 3), np.float32), _m(3, 2)], _ref, grad=[],
         id="SparseMatMul-empty"),
]

COVERED_BY = {
    "SparseMatMul": "tests/core/test_tf1_extras.py::test_sparse_matmul_gradient_is_tf_rule",
}
