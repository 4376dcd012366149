"""Staging areas and batching keep state in the session and block, and DecodeLibsvm's rules
are best read through its wrapper: all are checked through their Python API in
tests/core/contrib/ (TF 2 has no DecodeLibsvm to compare with)."""

CASES = []

_S = "contrib/test_staging.py::"
_B = "contrib/test_batching.py::"
COVERED_BY = {
    "Stage": _S + "test_put_get_peek_size_clear_values",
    "Unstage": _S + "test_put_get_peek_size_clear_values",
    "StagePeek": _S + "test_put_get_peek_size_clear_values",
    "StageSize": _S + "test_put_get_peek_size_clear_values",
    "StageClear": _S + "test_put_get_peek_size_clear_values",
    "Batch": _B + "test_raw_batch_outputs_and_unbatch",
    "Unbatch": _B + "test_raw_batch_outputs_and_unbatch",
    "DecodeLibsvm": "contrib/test_libsvm.py::test_vector_of_records",
}
