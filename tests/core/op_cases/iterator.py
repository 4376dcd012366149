"""tf.data's iterator ops: stateful, per-session resources, covered by tests/core/test_data.py."""

CASES = []

COVERED_BY = {
    "IteratorV2": "test_data.py::test_module_level_iterator_functions_and_graph_ops",
    "MakeIterator": "test_data.py::test_reinitialise_with_new_feeds",
    "OneShotIterator": "test_data.py::test_two_sessions_iterate_independently",
    "IteratorGetNext": "test_data.py::test_get_next_shared_by_consumers_in_one_run",
    "IteratorToStringHandle": "test_data.py::test_feedable_iterator_from_string_handle",
    "IteratorFromStringHandleV2": "test_data.py::test_feedable_iterator_from_string_handle",
}
