"""Cases for core/ops/xla_ops.py: XlaClusterOutput, which only tf.xla.experimental.compile
builds."""

CASES = []
COVERED_BY = {
    "XlaClusterOutput": "tests/core/test_xla.py::test_xla_cluster_output_op_forwards_its_input"}
