"""tf.data's optional ops: they pass opaque variant values (and read a stateful iterator), so
they are covered by tests/core/test_data_optional.py rather than input->output cases."""

CASES = []

_FILE = "test_data_optional.py::"

COVERED_BY = {
    "OptionalFromValue": _FILE + "test_from_value_nested_structure_and_element_spec",
    "OptionalNone": _FILE + "test_empty_optional_get_value_raises_and_empty_structure",
    "OptionalHasValue": _FILE + "test_cond_on_has_value_reads_to_the_end_without_out_of_range",
    "OptionalGetValue": _FILE + "test_bad_input",
    "IteratorGetNextAsOptional": _FILE + "test_while_loop_drains_an_iterator_through_has_value",
}
