"""tf.lookup: tables from tensors and from text files, looked up against hand-written values;
one table per session; the errors that name what is wrong. (data/lookup_vs_tf.py compares the
same graphs, node names included, with tf.compat.v1.)"""

import importlib.util

import numpy as np
import pytest

import minitf as tf
from minitf.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError

from .legacy_tf import run_against_tf


def _kv_table(default=-1):
    return tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        ["apple", "pear"], np.array([10, 20], np.int64)), default)


def test_key_value_table_lookup_size_export():
    with tf.Graph().as_default():
        table = _kv_table()
        keys = tf.placeholder(tf.string, [None, 2])
        found = table.lookup(keys)
        assert found.dtype == tf.int64 and found.shape.as_list() == [None, 2]
        keys_out, values_out = table.export()
        with tf.Session() as sess:
            with pytest.raises(FailedPreconditionError, match="Table not initialized"):
                sess.run(found, {keys: [["apple", "x"]]})
            sess.run(tf.tables_initializer())
            got, size, k, v = sess.run([found, table.size(), keys_out, values_out],
                                       {keys: [["apple", "x"], ["pear", "apple"]]})
            sess.run(tf.tables_initializer())  # again: the contents stay
            assert sess.run(table.size()) == 2
        with tf.Session() as other:  # a table per session: this one is not initialized
            assert other.run(table.size()) == 0  # TF 2.21: an uninitialised table's size
            with pytest.raises(FailedPreconditionError):
                other.run(found, {keys: [["apple", "x"]]})
    np.testing.assert_array_equal(got, [[10, -1], [20, 10]])
    assert size == 2 and dict(zip(k.tolist(), v.tolist())) == {b"apple": 10, b"pear": 20}


def test_lookup_of_sparse_keys_and_wrong_key_types():
    with tf.Graph().as_default():
        table = _kv_table(default=0)
        sp = tf.SparseTensor([[0, 1], [2, 0]], ["pear", "plum"], [3, 2])
        ids = table.lookup(sp)
        assert isinstance(ids, tf.SparseTensor)
        with pytest.raises((TypeError, ValueError)):
            table.lookup(tf.constant([1, 2], tf.int64))
        with tf.Session() as sess:
            sess.run(tf.tables_initializer())
            got = sess.run(ids)
    np.testing.assert_array_equal(got.values, [20, 0])
    np.testing.assert_array_equal(got.indices, [[0, 1], [2, 0]])


def test_text_file_tables(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_bytes(b"the\t5\ncat\t7\r\nsat\t9\n")
    with tf.Graph().as_default() as g:
        by_line = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            str(vocab), tf.string, 0, tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER,
            delimiter="\t"), -1)
        by_col = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            str(vocab), tf.string, 0, tf.int64, 1, delimiter="\t"), 0)
        lines = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            str(vocab), tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER, tf.string,
            tf.lookup.TextFileIndex.WHOLE_LINE, vocab_size=2), "UNK")
        assert len(g.get_collection(tf.GraphKeys.ASSET_FILEPATHS)) == 3
        with tf.Session() as sess:
            sess.run(tf.tables_initializer())
            got = sess.run([by_line.lookup(tf.constant(["cat", "dog", "sat"])),
                            by_col.lookup(tf.constant(["sat", "the"])),
                            lines.lookup(tf.constant([0, 1, 2], tf.int64))])
    np.testing.assert_array_equal(got[0], [1, -1, 2])
    np.testing.assert_array_equal(got[1], [9, 5])
    assert got[2].tolist() == [b"the\t5", b"cat\t7", b"UNK"]  # vocab_size=2: two lines


def test_text_file_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"a\t1\nb\n")
    with tf.Graph().as_default():
        missing = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            str(tmp_path / "nope.txt"), tf.string, 0, tf.int64, 1), 0)
        short = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            str(bad), tf.string, 0, tf.int64, 1), 0)
        with tf.Session() as sess:
            with pytest.raises(NotFoundError, match="nope.txt"):
                sess.run(missing.initializer)
            with pytest.raises(InvalidArgumentError, match="expected at least 2 got 1"):
                sess.run(short.initializer)
        with pytest.raises(ValueError, match="`value_dtype` must be int64 if `value_index` is -1"):
            tf.lookup.TextFileInitializer(str(bad), tf.string, 0, tf.string,
                                          tf.lookup.TextFileIndex.LINE_NUMBER)


def test_initialize_table_v2_from_an_imported_graph():
    """A GraphDef holding InitializeTableV2 (what TF 1.x's HashTable initializer wrote)."""
    from minitf.ops import lookup_ops

    with tf.Graph().as_default():
        handle = lookup_ops.HASH_TABLE(key_dtype=tf.int64, value_dtype=tf.float32,
                                       name="table")
        init = lookup_ops.INITIALIZE_TABLE(handle, tf.constant([1, 2], tf.int64),
                                           tf.constant([0.5, 1.5]))
        found = lookup_ops.LOOKUP_TABLE_FIND(handle, tf.constant([2, 3], tf.int64),
                                             tf.constant(-1.0))
        graph_def = tf.get_default_graph().as_graph_def()
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            sess.run(init.name)
            got = sess.run(found.name)
    np.testing.assert_allclose(got, [1.5, -1.0])


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs tensorflow")
def test_against_tensorflow():
    """Node names and types, values and messages against tf.compat.v1."""
    run_against_tf("lookup_vs_tf.py", 1)


def test_empty_lines_and_conflicting_duplicate_keys_are_refused(tmp_path):
    """TF's messages (read from TF 2.21): an empty line, whatever the columns, names its
    byte position; a key given twice must bring the same value."""
    vocab = tmp_path / "vocab.txt"
    vocab.write_bytes(b"a\nb\n\nc\n")
    index = tf.lookup.TextFileIndex
    with tf.Graph().as_default():
        whole = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            str(vocab), tf.string, index.WHOLE_LINE, tf.int64, index.LINE_NUMBER), -1)
        column = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            str(vocab), tf.int64, index.LINE_NUMBER, tf.string, 0), "")
        first_two = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            str(vocab), tf.string, index.WHOLE_LINE, tf.int64, index.LINE_NUMBER,
            vocab_size=2), -1)
        clash = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            ["a", "b", "a"], tf.constant([1, 2, 3], tf.int64)), -1)
        floats = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            tf.constant([3, 3], tf.int64), [1.5, 2.5]), -1.0)
        same = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            ["a", "b", "a"], tf.constant([1, 2, 1], tf.int64)), -1)
        with tf.Session() as sess:
            for table in (whole, column):
                with pytest.raises(InvalidArgumentError, match=f"Invalid content in {vocab}: "
                                   "empty line found at position 5."):
                    sess.run(table.initializer)
            with pytest.raises(FailedPreconditionError, match="HashTable has different value "
                               "for same key. Key a has 1 and trying to add value 3"):
                sess.run(clash.initializer)
            with pytest.raises(FailedPreconditionError, match="Key 3 has 1.5 and trying to "
                               "add value 2.5"):
                sess.run(floats.initializer)
            sess.run([first_two.initializer, same.initializer])  # blank line not read; same value
            got = sess.run([first_two.size(), same.lookup(tf.constant(["a", "b"]))])
    assert got[0] == 2 and got[1].tolist() == [1, 2]


def test_whole_line_integer_keys(tmp_path):
    """A vocabulary file of integer ids: TF allows integer keys read from whole lines (the
    line parsed); a float key type is refused with TF's message."""
    path = tmp_path / "ids.txt"
    path.write_text("3\n7\n12\n")
    init = tf.lookup.TextFileInitializer(str(path), tf.int64, tf.lookup.TextFileIndex.WHOLE_LINE,
                                         tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER)
    table = tf.lookup.StaticHashTable(init, -1)
    with tf.Session() as sess:
        sess.run(tf.tables_initializer())
        assert sess.run(table.lookup(tf.constant([7, 12, 5], tf.int64))).tolist() == [1, 2, -1]
    with pytest.raises(ValueError, match="`key_dtype` should be either integer or string for "
                                         "`key_index` -2"):
        tf.lookup.TextFileInitializer(str(path), tf.float32, tf.lookup.TextFileIndex.WHOLE_LINE,
                                      tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER)
    with pytest.raises(ValueError, match="`key_dtype` must be int64 if `key_index` is -1"):
        tf.lookup.TextFileInitializer(str(path), tf.string, tf.lookup.TextFileIndex.LINE_NUMBER,
                                      tf.int64, tf.lookup.TextFileIndex.WHOLE_LINE)


def test_table_name_is_the_op_name_without_its_scope():
    # TF's name is the HashTable op's last component, so lookups open "<name>_Lookup" in the
    # caller's scope (not "outer/outer/tbl_Lookup"); a second default table is hash_table_1.
    with tf.Graph().as_default(), tf.name_scope("outer"):
        named = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            ["x", "y"], np.array([0, 1], np.int64)), -1, name="tbl")
        first, second = _kv_table(), _kv_table()
        assert (named.name, first.name, second.name) == ("tbl", "hash_table", "hash_table_1")
        assert named.resource_handle.op.name == "outer/tbl"
        found = [t.lookup(tf.constant(["x"])) for t in (named, first, second)]
        assert [f.op.name for f in found] == [
            "outer/tbl_Lookup/LookupTableFindV2", "outer/hash_table_Lookup/LookupTableFindV2",
            "outer/hash_table_1_Lookup/LookupTableFindV2"]
        with tf.Session() as sess:
            sess.run(tf.tables_initializer())
            assert [v.tolist() for v in sess.run(found)] == [[0], [-1], [-1]]
