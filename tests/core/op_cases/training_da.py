"""AdagradDA's in-place updates (ApplyAdagradDA, SparseApplyAdagradDA): stateful, so checked on
variables against values real TensorFlow printed, in test_probe_optimizers.py."""

CASES: list = []

COVERED_BY = {
    "ApplyAdagradDA": "test_probe_optimizers.py::test_adagrad_da_dense_matches_tensorflow",
    "SparseApplyAdagradDA": "test_probe_optimizers.py::test_adagrad_da_sparse_matches_tensorflow",
}
