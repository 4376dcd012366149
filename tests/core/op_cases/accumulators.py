"""The gradient accumulators keep state in the session and block, so they are checked through
their Python API in test_accumulators.py (against numpy and tf.compat.v1)."""

CASES = []

_T = "test_accumulators.py::"
COVERED_BY = {
    "ResourceConditionalAccumulator": _T + "test_mean_sum_staleness_and_global_step",
    "ResourceAccumulatorApplyGradient": _T + "test_mean_sum_staleness_and_global_step",
    "ResourceAccumulatorTakeGradient": _T + "test_mean_sum_staleness_and_global_step",
    "ResourceAccumulatorNumAccumulated": _T + "test_mean_sum_staleness_and_global_step",
    "ResourceAccumulatorSetGlobalStep": _T + "test_mean_sum_staleness_and_global_step",
    "SparseConditionalAccumulator": _T + "test_sparse_mean_is_per_row_and_sum_is_the_sum",
    "SparseAccumulatorApplyGradient": _T + "test_sparse_mean_is_per_row_and_sum_is_the_sum",
    "SparseAccumulatorTakeGradient": _T + "test_sparse_mean_is_per_row_and_sum_is_the_sum",
    "AccumulatorNumAccumulated": _T + "test_sparse_errors_and_staleness",
    "AccumulatorSetGlobalStep": _T + "test_sparse_errors_and_staleness",
    "ConditionalAccumulator": _T + "test_reference_handle_ops",
    "AccumulatorApplyGradient": _T + "test_reference_handle_ops",
    "AccumulatorTakeGradient": _T + "test_reference_handle_ops",
}
