"""Queues, readers and file ops keep state in the session, block, or touch files, so they are
checked through their Python API in test_queues.py (and against tf.compat.v1 in
data/queues_vs_tf.py)."""

CASES = []

_T = "test_queues.py::"
COVERED_BY = {
    "FIFOQueueV2": _T + "test_fifo_order_enqueue_many_and_dequeue_many",
    "QueueEnqueueV2": _T + "test_fifo_order_enqueue_many_and_dequeue_many",
    "QueueEnqueueManyV2": _T + "test_fifo_order_enqueue_many_and_dequeue_many",
    "QueueDequeueV2": _T + "test_fifo_order_enqueue_many_and_dequeue_many",
    "QueueDequeueManyV2": _T + "test_fifo_order_enqueue_many_and_dequeue_many",
    "QueueSizeV2": _T + "test_fifo_order_enqueue_many_and_dequeue_many",
    "QueueDequeueUpToV2": _T + "test_close_semantics",
    "QueueCloseV2": _T + "test_close_semantics",
    "QueueIsClosedV2": _T + "test_close_semantics",
    "RandomShuffleQueueV2": _T + "test_random_shuffle_queue_is_seeded_and_keeps_min_after_dequeue",
    "PaddingFIFOQueueV2": _T + "test_padding_fifo_queue_pads_to_the_longest",
    "PriorityQueueV2": "test_priority_queue.py::test_dequeues_lowest_priority_first",
    "TFRecordReaderV2": _T + "test_tfrecord_reader_keys_counters_reset_and_gzip",
    "ReaderReadV2": _T + "test_tfrecord_reader_keys_counters_reset_and_gzip",
    "ReaderNumRecordsProducedV2": _T + "test_tfrecord_reader_keys_counters_reset_and_gzip",
    "ReaderNumWorkUnitsCompletedV2": _T + "test_tfrecord_reader_keys_counters_reset_and_gzip",
    "ReaderResetV2": _T + "test_tfrecord_reader_keys_counters_reset_and_gzip",
    "TextLineReaderV2": _T + "test_text_line_reader_skips_header_lines",
    "ReaderReadUpToV2": _T + "test_text_line_reader_skips_header_lines",
    "FixedLengthRecordReaderV2": _T + "test_fixed_length_whole_file_and_identity_readers",
    "WholeFileReaderV2": _T + "test_fixed_length_whole_file_and_identity_readers",
    "IdentityReaderV2": _T + "test_fixed_length_whole_file_and_identity_readers",
    "DecodeCSV": _T + "test_decode_csv_values_and_errors",
    "ReadFile": _T + "test_file_ops_and_match_filenames_once",
    "WriteFile": _T + "test_file_ops_and_match_filenames_once",
    "MatchingFiles": _T + "test_file_ops_and_match_filenames_once",
}
