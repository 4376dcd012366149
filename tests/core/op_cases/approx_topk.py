"""Cases for core/ops/approx_topk_ops.py: ApproxTopK, exact as TF's CPU (XLA) lowering: a
stable sort along the reduction dimension sliced to k (or, without aggregate_to_topk, to XLA's
candidate-set size). The references sort with Python's stable ``sorted`` per line.

The op takes float16/bfloat16/float32 only, so the harness's float64 gradient check cannot
build it: its gradient is checked numerically in float32 in tests/core/test_tf1_more.py."""

import numpy as np

from .harness import Case

R = np.random.default_rng(61)


def _ref(x, k, reduction_dimension, is_max_k, **_):
    moved = np.moveaxis(x, reduction_dimension, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    idx = np.array([sorted(range(len(row)), key=lambda j: -row[j] if is_max_k else row[j])[:k]
                    for row in flat], np.int64).reshape(moved.shape[:-1] + (k,))
    values = np.take_along_axis(moved, idx, -1)
    return (np.moveaxis(values, -1, reduction_dimension),
            np.moveaxis(idx.astype(np.int32), -1, reduction_dimension))


TIES = np.array([[3, 1, 3, 2, 5, 5, -1, 5], [0, 0, 0, 1, 1, 9, 2, -0.0]], np.float32)
WIDE = R.standard_normal((2, 300)).astype(np.float32)


def _case(x, k, id="", dim=-1, is_max_k=True, **attrs):  # noqa: A002
    # TF's shape function refuses an input of unknown rank or reduction size: every case is
    # built with known shapes only (unknown_shapes=False)
    attrs = {"k": k, "reduction_dimension": dim, "is_max_k": is_max_k, **attrs}
    return Case("ApproxTopK", [x], lambda x, **a: _ref(x, **a), attrs=attrs,
                grad=[], unknown_shapes=False, id=id)


CASES = [
    _case(R.standard_normal((3, 7)).astype(np.float32), 3),
    _case(TIES, 4, "ApproxTopK-ties-max"),
    _case(TIES, 5, "ApproxTopK-ties-min", is_max_k=False),
    _case(R.standard_normal((4, 2, 3)).astype(np.float32), 2, "ApproxTopK-dim0-min", dim=0,
          is_max_k=False),
    _case(R.standard_normal((2, 5, 3)).astype(np.float16), 3, "ApproxTopK-float16-middle",
          dim=-2),
    # without aggregation still k entries, as TF's graph-mode kernel gives (not XLA's set)
    _case(TIES, 3, "ApproxTopK-no-aggregate", aggregate_to_topk=False),
    _case(WIDE, 10, "ApproxTopK-no-aggregate-wide", aggregate_to_topk=False, recall_target=0.5),
    _case(TIES, 0, "ApproxTopK-k0"),
]

COVERED_BY = {"ApproxTopK": "tests/core/test_tf1_more.py::test_approx_top_k_gradient_numerically"}
