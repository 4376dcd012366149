"""tf.data ops that consume a whole dataset: they run a registered pipeline (not an
input->output function), covered by tests/core/test_data_probe.py."""

CASES = []

COVERED_BY = {
    "DatasetToSingleElement": "test_data_probe.py::test_scan_and_get_single_element",
}
