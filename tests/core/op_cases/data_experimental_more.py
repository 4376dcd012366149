"""tf.data.experimental's TFRecordWriter op: it consumes a whole registered dataset and writes
a file (not an input->output function), covered by tests/core/test_data_experimental_more.py."""

CASES = []

COVERED_BY = {
    "DatasetToTFRecord": "test_data_experimental_more.py::test_tfrecord_writer_round_trip",
}
