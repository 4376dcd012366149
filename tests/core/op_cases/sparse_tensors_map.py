"""The SparseTensorsMap ops keep session state (handles into a per-session map): covered
through their raw ops and tf.train.batch in tests/core/test_sparse_tensors_map_ops.py."""

CASES = []
_T = "test_sparse_tensors_map_ops.py::test_raw_ops_add_take_and_handles"
COVERED_BY = {"AddSparseToTensorsMap": _T, "AddManySparseToTensorsMap": _T,
              "TakeManySparseFromTensorsMap": _T}
