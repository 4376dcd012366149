"""The summary-writer resource ops write event files; tests/core/contrib/test_contrib_summary.py
checks what they write against TensorFlow's files."""

CASES = []

_T = "contrib/test_contrib_summary.py::"
COVERED_BY = {
    "SummaryWriter": _T + "test_raw_proto_and_graph_summaries",
    "CreateSummaryFileWriter": _T + "test_raw_proto_and_graph_summaries",
    "WriteRawProtoSummary": _T + "test_raw_proto_and_graph_summaries",
    "WriteGraphSummary": _T + "test_raw_proto_and_graph_summaries",
    "CloseSummaryWriter": _T + "test_raw_proto_and_graph_summaries",
    "WriteScalarSummary": _T + "test_every_n_global_steps_records_those_steps_only",
    "WriteHistogramSummary": _T + "test_every_n_global_steps_records_those_steps_only",
    "WriteSummary": _T + "test_every_n_global_steps_records_those_steps_only",
    "WriteImageSummary": _T + "test_image_audio_generic_and_family_match_tf",
    "WriteAudioSummary": _T + "test_image_audio_generic_and_family_match_tf",
    "FlushSummaryWriter": _T + "test_flush_makes_events_visible_and_close_ends_the_writer",
    "ImportEvent": _T + "test_initialize_writes_the_graph_and_import_event_writes_as_is",
}
