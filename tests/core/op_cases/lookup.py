"""The table ops keep their contents in the session (a resource per HashTableV2 op and
session), so they are checked through the tf.lookup API in test_lookup.py."""

CASES = []

COVERED_BY = {
    "HashTableV2": "test_lookup.py::test_key_value_table_lookup_size_export",
    "LookupTableImportV2": "test_lookup.py::test_key_value_table_lookup_size_export",
    "InitializeTableV2": "test_lookup.py::test_initialize_table_v2_from_an_imported_graph",
    "InitializeTableFromTextFileV2": "test_lookup.py::test_text_file_tables",
    "LookupTableFindV2": "test_lookup.py::test_key_value_table_lookup_size_export",
    "LookupTableSizeV2": "test_lookup.py::test_key_value_table_lookup_size_export",
    "LookupTableExportV2": "test_lookup.py::test_key_value_table_lookup_size_export",
}
