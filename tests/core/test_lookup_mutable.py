"""tf.lookup.experimental.MutableHashTable and DenseHashTable: inserts, removes, lookups, sizes
and exports against hand-written values and values TF 2.21 gave; TF's errors; a table read
in a tf.data map; Saver checkpoints. (test_lookup_mutable_vs_tf.py runs them beside TF.)"""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError, UnimplementedError
from minitf.ops import lookup_mutable_ops

experimental = tf.lookup.experimental


def _words_table(tf_mod):
    """A string -> int64 table: a, b, c inserted, c and a missing key removed."""
    table = tf_mod.lookup.experimental.MutableHashTable(tf_mod.string, tf_mod.int64, -1)
    ins = table.insert(tf_mod.constant(["a", "b", "c"]),
                       tf_mod.constant([7, 8, 9], tf_mod.int64))
    rem = table.remove(tf_mod.constant(["c", "zz"]))
    return table, ins, rem


def test_insert_remove_lookup_size_export():
    with tf.Graph().as_default():
        table, ins, rem = _words_table(tf)
        found = table.lookup(tf.constant([["a", "c"], ["b", "q"]]))
        assert found.dtype == tf.int64 and found.shape.as_list() == [2, 2]
        keys, values = table.export()
        with tf.Session() as sess:
            assert sess.run(table.size()) == 0  # empty before any insert: no initializer
            sess.run(ins)
            assert sess.run(table.size()) == 3
            sess.run(rem)
            got, size, k, v = sess.run([found, table.size(), keys, values])
            sess.run(table.insert(tf.constant(["a"]), tf.constant([70], tf.int64)))
            again = sess.run(table.lookup(tf.constant(["a", "b"])))
        with tf.Session() as other:  # a table per session
            assert other.run(table.size()) == 0
    np.testing.assert_array_equal(got, [[7, -1], [8, -1]])  # TF 2.21 gave these
    assert size == 2 and dict(zip(k.tolist(), v.tolist())) == {b"a": 7, b"b": 8}
    assert again.tolist() == [70, 8]  # an insert replaces a key's value


@pytest.mark.parametrize("key_dtype,value_dtype,keys,values,default", [
    ("int64", "float32", [3, 4], [0.5, 1.5], -1.0),
    ("int64", "string", [3, 4], [b"three", b"four"], b""),
    ("string", "bool", [b"x", b"y"], [True, False], False),
    ("string", "float64", [b"x", b"y"], [2.5, -1.0], 0.0),
    ("int32", "int32", [1, 2], [10, 20], 0),
])
def test_value_dtypes(key_dtype, value_dtype, keys, values, default):
    with tf.Graph().as_default():
        table = experimental.MutableHashTable(key_dtype, value_dtype, default)
        ins = table.insert(tf.constant(keys, key_dtype), tf.constant(values, value_dtype))
        probe = keys[:1] + ([5] if isinstance(keys[0], int) else [b"none"])
        found = table.lookup(tf.constant(probe, key_dtype))
        with tf.Session() as sess:
            sess.run(ins)
            got = sess.run(found)
    assert got.tolist() == [values[0], default]


def test_vector_values_and_dynamic_defaults():
    with tf.Graph().as_default():
        table = experimental.MutableHashTable(tf.int64, tf.float32, [0.0, -1.0])
        ins = table.insert(tf.constant([1, 2], tf.int64), tf.constant([[1, 2], [3, 4.0]]))
        found = table.lookup(tf.constant([[2, 5]], tf.int64))
        assert found.shape.as_list() == [1, 2, 2]
        per_key = table.lookup(tf.constant([2, 9], tf.int64),
                               dynamic_default_values=[[5, 6], [7, 8.0]])
        bad = table.lookup(tf.constant([1], tf.int64), dynamic_default_values=[5, 6, 7.0])
        bad_value = table.insert(tf.constant([1], tf.int64), tf.constant([[1, 2, 3.0]]))
        keys, values = table.export()
        with tf.Session() as sess:
            sess.run(ins)
            got, dyn, k, v = sess.run([found, per_key, keys, values])
            with pytest.raises(InvalidArgumentError,
                               match=r"Expected shape \[2\] or \[1,2\] for default value, got "
                                     r"\[3\]"):
                sess.run(bad)
            with pytest.raises(InvalidArgumentError,
                               match=r"Expected shape \[1,2\] for value, got \[1,3\]"):
                sess.run(bad_value)
    assert table.resource_handle.op.type == "MutableHashTableOfTensorsV2"
    np.testing.assert_array_equal(got, [[[3, 4], [0, -1]]])  # TF 2.21 gave these
    np.testing.assert_array_equal(dyn, [[3, 4], [7, 8]])
    order = np.argsort(k)
    np.testing.assert_array_equal(k[order], [1, 2])
    np.testing.assert_array_equal(v[order], [[1, 2], [3, 4]])


def test_scalar_table_dynamic_defaults_and_their_shape_error():
    with tf.Graph().as_default():
        table, ins, _ = _words_table(tf)
        per_key = table.lookup(tf.constant(["a", "q"]), dynamic_default_values=[5, 6])
        bad = table.lookup(tf.constant(["a", "b"]), dynamic_default_values=[5, 6, 7])
        with tf.Session() as sess:
            sess.run(ins)
            assert sess.run(per_key).tolist() == [7, 6]
            with pytest.raises(InvalidArgumentError, match=r"Expected shape \[\] or \[2\] for "
                                                           r"default value, got \[3\]"):
                sess.run(bad)


def test_wrong_key_and_value_dtypes():
    with tf.Graph().as_default():
        table = experimental.MutableHashTable(tf.string, tf.int64, -1)
        # TF's classes and messages (TF 2.21's).
        with pytest.raises(ValueError, match="requested dtype string for Tensor with dtype "
                                             "int32"):
            table.lookup(tf.constant([1, 2]))
        with pytest.raises(TypeError, match="Dtype of argument `keys` must be <dtype: 'string'>,"
                                            " received: <dtype: 'int32'>"):
            table.remove(tf.constant([1, 2]))
        with pytest.raises(ValueError, match="requested dtype int64 for Tensor with dtype "
                                             "float32"):
            table.insert(tf.constant(["a"]), tf.constant([1.5]))
        # The op itself (an imported graph) refuses at run time.
        raw = lookup_mutable_ops.LOOKUP_TABLE_INSERT(
            table.resource_handle, tf.constant([1], tf.int64), tf.constant([1], tf.int64))
        odd = experimental.MutableHashTable(tf.string, tf.string, "")  # no TF kernel for it
        matrix = experimental.MutableHashTable(tf.string, tf.int64, [[1]])  # values: vectors
        with tf.Session() as sess:
            with pytest.raises(InvalidArgumentError, match="keys must be string, got int64"):
                sess.run(raw)
            with pytest.raises(InvalidArgumentError, match="No OpKernel was registered to "
                               r"support Op 'MutableHashTableV2' .*value_dtype=DT_STRING"):
                sess.run(odd.size())
            with pytest.raises(InvalidArgumentError, match=r"Default value must be a vector, got "
                                                           r"shape \[1,1\]"):
                sess.run(matrix.size())


def test_dense_table_buckets_grow_as_tf():
    """Integer keys hash to themselves, so the buckets are TF's (TF 2.21 gave these): 4
    buckets grow to 8 for 5 keys; a removed key's bucket holds the deleted key until an
    insert takes it."""
    with tf.Graph().as_default():
        table = experimental.DenseHashTable(tf.int64, tf.int64, -1, empty_key=0,
                                            deleted_key=-1, initial_num_buckets=4)
        ins = table.insert(tf.constant([5, 9, 13, 17, 21], tf.int64),
                           tf.constant([1, 2, 3, 4, 5], tf.int64))
        rem = table.remove(tf.constant([9, 100], tf.int64))
        ins2 = table.insert(tf.constant([25], tf.int64), tf.constant([6], tf.int64))
        found = table.lookup(tf.constant([5, 9, 25, 100], tf.int64))
        keys, values = table.export()
        with tf.Session() as sess:
            sess.run(ins)
            first = sess.run([keys, values])
            sess.run(rem)
            removed = sess.run([keys, table.size()])
            sess.run(ins2)
            last = sess.run([keys, values, table.size(), found])
    assert first[0].ravel().tolist() == [21, 9, 17, 0, 0, 5, 13, 0]
    assert first[1].ravel().tolist() == [5, 2, 4, 0, 0, 1, 3, 0]
    assert first[0].shape == (8, 1)  # buckets x key size
    assert removed[0].ravel().tolist() == [21, -1, 17, 0, 0, 5, 13, 0] and removed[1] == 4
    assert last[0].ravel().tolist() == [21, 25, 17, 0, 0, 5, 13, 0]
    assert last[1].ravel().tolist() == [5, 6, 4, 0, 0, 1, 3, 0]
    assert last[2] == 5 and last[3].tolist() == [1, -1, 6, -1]


def test_dense_table_string_keys_land_in_tf_buckets():
    """TF hashes string keys with its Hash64: the same buckets (TF 2.21 gave these), so a
    bucket array restored from TF's checkpoint is found, and ours restores into TF."""
    with tf.Graph().as_default():
        table = experimental.DenseHashTable(tf.string, tf.int32, 0, "", "$",
                                            initial_num_buckets=16)
        ins = table.insert(tf.constant(["apple", "pear", "a much longer key", "z"]),
                           tf.constant([1, 2, 3, 4]))
        with tf.Session() as sess:
            sess.run(ins)
            keys, values = sess.run(table.export())
    full = {1: (b"z", 4), 10: (b"apple", 1), 12: (b"a much longer key", 3), 13: (b"pear", 2)}
    assert keys.ravel().tolist() == [full.get(i, (b"", 0))[0] for i in range(16)]
    assert values.ravel().tolist() == [full.get(i, (b"", 0))[1] for i in range(16)]


def test_dense_table_refuses_its_marker_keys():
    with tf.Graph().as_default():
        table = experimental.DenseHashTable(tf.int64, tf.float32, -1.0, empty_key=0,
                                            deleted_key=-1, initial_num_buckets=8)
        runs = [(table.insert(tf.constant([0], tf.int64), tf.constant([1.0])), "empty_key"),
                (table.lookup(tf.constant([-1], tf.int64)), "deleted_key"),
                (table.remove(tf.constant([0], tf.int64)), "empty_key")]
        # TF's dense table takes a batch of keys: one dimension for scalar keys.
        square = table.lookup(tf.constant([[1, 2], [3, 4]], tf.int64))
        same = experimental.DenseHashTable(tf.int64, tf.float32, 0.0, 7, 7)
        odd = experimental.DenseHashTable(tf.int64, tf.float32, 0.0, 0, 1,
                                          initial_num_buckets=6)
        with tf.Session() as sess:
            for op, what in runs:
                with pytest.raises(InvalidArgumentError,
                                   match=f"Using the {what} as a table key is not allowed"):
                    sess.run(op)
            with pytest.raises(InvalidArgumentError, match=r"Expected key shape \[2\] got "
                                                           r"\[2,2\]"):
                sess.run(square)
            with pytest.raises(InvalidArgumentError, match="Empty and deleted keys cannot be "
                                                           "equal"):
                sess.run(same.size())
            with pytest.raises(InvalidArgumentError, match="Number of buckets must be at least "
                                                           "4 and a power of 2, got: 6"):
                sess.run(odd.size())
        with pytest.raises(TypeError, match="Signature mismatch. Keys must be dtype <dtype: "
                                            "'int64'>, got <dtype: 'int32'>."):
            table.erase(tf.constant([1, 2]))


def test_dense_table_string_keys_vector_values_and_default_size():
    with tf.Graph().as_default():
        table = experimental.DenseHashTable(tf.string, tf.float32, [0.0, 0.0], empty_key="",
                                            deleted_key="$")
        words = [f"w{i}" for i in range(20)]
        vecs = np.arange(40, dtype=np.float32).reshape(20, 2)
        ins = table.insert(tf.constant(words), tf.constant(vecs))
        rem = table.remove(tf.constant(words[:5]))
        found = table.lookup(tf.constant(["w3", "w7", "nope"]))
        assert found.shape.as_list() == [3, 2]
        keys, values = table.export()
        with tf.Session() as sess:
            sess.run([ins])
            sess.run(rem)
            got, size, k, v = sess.run([found, table.size(), keys, values])
    np.testing.assert_array_equal(got, [[0, 0], [14, 15], [0, 0]])
    assert size == 15 and k.shape == (131072, 1) and v.shape == (131072, 2)  # TF's default
    live = {key: tuple(row) for key, row in zip(k.ravel().tolist(), v.tolist())
            if key not in (b"", b"$")}
    assert live == {w.encode(): tuple(vecs[i]) for i, w in enumerate(words) if i >= 5}


def test_a_static_table_refuses_insert_and_remove():
    with tf.Graph().as_default():
        static = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            ["a"], np.array([1], np.int64)), -1)
        ins = lookup_mutable_ops.LOOKUP_TABLE_INSERT(static.resource_handle, tf.constant(["b"]),
                                                     tf.constant([2], tf.int64))
        rem = lookup_mutable_ops.LOOKUP_TABLE_REMOVE(static.resource_handle, tf.constant(["a"]))
        with tf.Session() as sess:
            sess.run(tf.tables_initializer())
            for op, what in ((ins, "Insert"), (rem, "Remove")):
                with pytest.raises(UnimplementedError, match=f"{what} not supported"):
                    sess.run(op)


def test_a_mutable_table_read_in_a_dataset_map():
    """The map function captures the table's handle: it sees the session's table, with what
    was inserted before the iterator ran."""
    with tf.Graph().as_default():
        table = experimental.MutableHashTable(tf.string, tf.int64, -1)
        ins = table.insert(tf.constant(["b", "c"]), tf.constant([2, 3], tf.int64))
        ds = tf.data.Dataset.from_tensor_slices(["a", "b", "c"]).map(table.lookup)
        it = tf.data.make_initializable_iterator(ds)
        nxt = it.get_next()
        with tf.Session() as sess:
            sess.run(ins)
            sess.run(it.initializer)
            got = [sess.run(nxt) for _ in range(3)]
    assert got == [-1, 2, 3]


def test_graph_def_nodes_and_attrs():
    with tf.Graph().as_default() as g:
        experimental.MutableHashTable(tf.string, tf.int64, -1, name="words")
        experimental.MutableHashTable(tf.int64, tf.float32, [0.0, 1.0], checkpoint=False)
        experimental.DenseHashTable(tf.int64, tf.int32, 0, 0, -1, initial_num_buckets=16)
        nodes = {n.name: n for n in g.as_graph_def().node}
    words = nodes["words"]
    assert words.op == "MutableHashTableV2" and words.attr["use_node_name_sharing"].b
    assert words.attr["shared_name"].s == b"" and words.attr["container"].s == b""
    assert "words_lookup_table_export_values/LookupTableExportV2" in nodes  # its saveable's
    vec = nodes["MutableHashTable"]
    assert vec.op == "MutableHashTableOfTensorsV2" and not vec.attr["use_node_name_sharing"].b
    assert [d.size for d in vec.attr["value_shape"].shape.dim] == [2]
    dense = nodes["MutableDenseHashTable"]
    assert dense.op == "MutableDenseHashTableV2" and list(dense.input) == ["empty_key",
                                                                            "deleted_key"]
    assert dense.attr["initial_num_buckets"].i == 16
    # A defaulted attr is written at its default, as TF's as_graph_def does (minitf's
    # stripped export leaves it out: TF's importer fills in TF's default).
    assert dense.attr["max_load_factor"].f == np.float32(0.8)
    # (held as float32, as TF's AttrValue holds float attrs)
    assert lookup_mutable_ops.MUTABLE_DENSE_HASH_TABLE.attrs["max_load_factor"] == \
        float(np.float32(0.8))


def _filled(name="MutableHashTable"):
    table = experimental.MutableHashTable(tf.int64, tf.float32, -1.0, name=name)
    ins = table.insert(tf.constant([3, 4], tf.int64), tf.constant([0.5, 1.5]))
    return table, ins


@pytest.mark.parametrize("version", [None, 2])
def test_saver_saves_and_restores_a_table(tmp_path, version):
    with tf.Graph().as_default():
        table, ins = _filled()
        v = tf.Variable(2.0, name="v")
        saver = tf.train.Saver(write_version=version)
        with tf.Session() as sess:
            sess.run([ins, v.initializer])
            path = saver.save(sess, str(tmp_path / "ckpt"))
        with tf.Session() as sess:
            sess.run(table.insert(tf.constant([9], tf.int64), tf.constant([9.0])))
            saver.restore(sess, path)  # replaces the contents
            got = sess.run([table.lookup(tf.constant([3, 4, 9], tf.int64)), table.size(), v])
    assert got[0].tolist() == [0.5, 1.5, -1.0] and got[1] == 2 and got[2] == 2.0
    names = sorted(n for n, _ in tf.train.list_variables(path))
    assert names == ["MutableHashTable-keys", "MutableHashTable-values", "v"]


def test_two_tables_with_one_checkpoint_name_are_refused():
    with tf.Graph().as_default():
        _filled(), _filled()
        with pytest.raises(ValueError, match="same name: MutableHashTable-keys"):
            tf.train.Saver()


@pytest.mark.parametrize("version", [None, 2])
def test_saver_saves_a_string_keyed_table_and_string_variable(tmp_path, version):
    with tf.Graph().as_default():
        table = experimental.MutableHashTable(tf.string, tf.int64, -1, name="vocab")
        ins = table.insert(tf.constant(["a", "bé", ""]), tf.constant([1, 2, 3], tf.int64))
        s = tf.Variable(np.array([[b"x", b""], [b"\x00y", b"z"]], object), name="s")
        saver = tf.train.Saver(write_version=version)
        with tf.Session() as sess:
            sess.run([ins, s.initializer])
            path = saver.save(sess, str(tmp_path / "ck"))
        with tf.Session() as sess:
            saver.restore(sess, path)
            found, sv = sess.run([table.lookup(tf.constant(["bé", "a", "", "q"])), s])
    assert found.tolist() == [2, 1, 3, -1]
    assert sv.tolist() == [[b"x", b""], [b"\x00y", b"z"]]
    if version is None:  # the .npz holds no pickles: numpy reads it with allow_pickle=False
        with np.load(path + ".npz", allow_pickle=False) as z:
            assert z["s"].dtype == np.uint8 and z["__minitf_offsets__/s"].tolist() == [
                0, 1, 1, 3, 4]
        assert tf.train.load_variable(path, "vocab-keys").dtype == object


def test_a_corrupt_string_entry_is_refused(tmp_path):
    with tf.Graph().as_default():
        s = tf.Variable(np.array([b"ab", b"c"], object), name="s")
        with tf.Session() as sess:
            sess.run(s.initializer)
            path = tf.train.Saver().save(sess, str(tmp_path / "ck"))
    with np.load(path + ".npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["__minitf_offsets__/s"] = np.array([0, 2, 9], np.int64)  # past the blob's end
    with open(path + ".npz", "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(tf.errors.DataLossError, match="string entry s"):
        tf.train.load_variable(path, "s")


@pytest.mark.parametrize("kind", ["list", "dict"])
def test_saver_takes_a_table_in_var_list(tmp_path, kind):
    with tf.Graph().as_default():
        table, ins = _filled("tbl")
        v = tf.Variable(1.0, name="v")
        var_list = [v, table] if kind == "list" else {"v": v, "mytable": table}
        saver = tf.train.Saver(var_list)
        with tf.Session() as sess:
            sess.run([ins, v.initializer])
            path = saver.save(sess, str(tmp_path / kind))
        with tf.Session() as sess:
            saver.restore(sess, path)
            got = sess.run(table.lookup(tf.constant([3, 5], tf.int64)))
    prefix = "tbl" if kind == "list" else "mytable"
    assert sorted(n for n, _ in tf.train.list_variables(path)) == [
        f"{prefix}-keys", f"{prefix}-values", "v"]
    assert got.tolist() == [0.5, -1.0]


def test_a_refused_restore_changes_no_table(tmp_path):
    with tf.Graph().as_default():
        a, ins_a = _filled("a")
        b, ins_b = _filled("b")
        with tf.Session() as sess:
            sess.run([ins_a, ins_b])
            path = tf.train.Saver().save(sess, str(tmp_path / "ck"))
    with tf.Graph().as_default():
        a = experimental.MutableHashTable(tf.int64, tf.float32, -1.0, name="a")
        experimental.MutableHashTable(tf.int64, tf.int64, -1, name="b")  # another dtype
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(a.insert(tf.constant([5], tf.int64), tf.constant([5.0])))
            with pytest.raises(InvalidArgumentError, match=r"table 'b' \(b\): its values "
                               r"b-values are float32 in the checkpoint but int64"):
                saver.restore(sess, path)
            assert sess.run(a.lookup(tf.constant([3, 5], tf.int64))).tolist() == [-1.0, 5.0]
    with tf.Graph().as_default():  # a vector-valued table cannot take scalar values
        a = experimental.MutableHashTable(tf.int64, tf.float32, [0.0, 0.0], name="a")
        with tf.Session() as sess, pytest.raises(InvalidArgumentError, match="table 'a'"):
            tf.train.Saver([a]).restore(sess, path)
