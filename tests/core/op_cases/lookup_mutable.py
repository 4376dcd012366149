"""The mutable table ops keep their contents in the session (a resource per table op and
session), so they are checked through tf.lookup.experimental in test_lookup_mutable.py."""

CASES = []

_T = "test_lookup_mutable.py::"
COVERED_BY = {
    "MutableHashTableV2": _T + "test_insert_remove_lookup_size_export",
    "MutableHashTableOfTensorsV2": _T + "test_vector_values_and_dynamic_defaults",
    "MutableDenseHashTableV2": _T + "test_dense_table_buckets_grow_as_tf",
    "LookupTableInsertV2": _T + "test_insert_remove_lookup_size_export",
    "LookupTableRemoveV2": _T + "test_insert_remove_lookup_size_export",
}
