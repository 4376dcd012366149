"""tf.lookup.experimental's tables side by side with TensorFlow (skipped without it): the same
graphs' values and messages, a minitf GraphDef run in TF (its table nodes attr by attr as TF
builds them) and TF's in minitf, and Saver checkpoints from TF to minitf and back."""

import numpy as np
import pytest

import minitf as tf

from .test_lookup_mutable import _filled, _words_table

experimental = tf.lookup.experimental


def _tf1():
    return pytest.importorskip("tensorflow.compat.v1")


def test_side_by_side_with_tensorflow():
    tf1 = _tf1()

    def run(tf_mod, session):
        g = tf_mod.Graph()
        with g.as_default():
            table, ins, rem = _words_table(tf_mod)
            found = table.lookup(tf_mod.constant([["a", "c"], ["b", "q"]]))
            vec = tf_mod.lookup.experimental.MutableHashTable(tf_mod.string, tf_mod.float32,
                                                              [0.0, 1.0])
            vins = vec.insert(tf_mod.constant(["x"]), tf_mod.constant([[2.0, 3.0]]))
            dense = tf_mod.lookup.experimental.DenseHashTable(
                tf_mod.int64, tf_mod.float64, -1.0, 0, -1, initial_num_buckets=4)
            dins = dense.insert(tf_mod.constant([4, 8, 12, 1], tf_mod.int64),
                                tf_mod.constant([1.0, 2.0, 3.0, 4.0], tf_mod.float64))
            drem = dense.remove(tf_mod.constant([8], tf_mod.int64))
            bad = dense.insert(tf_mod.constant([0], tf_mod.int64),
                               tf_mod.constant([1.0], tf_mod.float64))
            # String keys land where TF's Hash64 puts them; vector keys hash element-wise.
            named = tf_mod.lookup.experimental.DenseHashTable(
                tf_mod.string, tf_mod.int32, 0, "", "$", initial_num_buckets=16)
            nins = named.insert(tf_mod.constant(["apple", "pear", "a much longer key", "z"]),
                                tf_mod.constant([1, 2, 3, 4]))
            pairs = tf_mod.lookup.experimental.DenseHashTable(
                tf_mod.int64, tf_mod.int64, -1, [0, 0], [-1, -1], initial_num_buckets=8)
            pins = pairs.insert(tf_mod.constant([[1, 2], [3, 4], [5, 6]], tf_mod.int64),
                                tf_mod.constant([12, 34, 56], tf_mod.int64))
            with session(graph=g) as sess:
                sess.run(ins)
                sess.run(rem)
                sess.run([vins, dins, nins, pins])
                sess.run(drem)
                out = sess.run([found, table.size(), vec.lookup(tf_mod.constant(["x", "y"])),
                                dense.export(), dense.size(),
                                dense.lookup(tf_mod.constant([4, 8, 1], tf_mod.int64)),
                                named.export(), pairs.export(),
                                pairs.lookup(tf_mod.constant([[3, 4], [4, 3]], tf_mod.int64))])
                out.append(sorted(sess.run(table.export()[0]).tolist()))
                try:
                    sess.run(bad)
                except Exception as e:  # noqa: BLE001 - compared by class name and message
                    out.append((type(e).__name__, e.message.splitlines()[-2].strip()
                                if "Graph execution" in e.message else e.message))
        return out

    ours, theirs = run(tf, tf.Session), run(tf1, tf1.Session)
    for a, b in zip(ours, theirs):
        if isinstance(a, tuple) and isinstance(a[0], str):
            assert a[0] == b[0] and b[1] in a[1], (a, b)
        elif isinstance(a, tuple):
            for x, y in zip(a, b):
                np.testing.assert_array_equal(x, y)
        else:
            np.testing.assert_array_equal(a, b)


def test_graph_def_runs_in_tensorflow():
    """A minitf graph with the three tables, inserts, removes and lookups, imported into TF."""
    tf1 = _tf1()
    with tf.Graph().as_default() as g:
        words, ins, rem = _words_table(tf)
        vec = experimental.MutableHashTable(tf.int64, tf.float32, [0.0, 1.0])
        vins = vec.insert(tf.constant([7], tf.int64), tf.constant([[2.0, 3.0]]))
        dense = experimental.DenseHashTable(tf.int64, tf.int64, -1, 0, -1,
                                            initial_num_buckets=8)
        dins = dense.insert(tf.constant([5, 13], tf.int64), tf.constant([50, 130], tf.int64))
        fetch = [words.lookup(tf.constant(["a", "b", "c"])), words.size(),
                 vec.lookup(tf.constant([7, 8], tf.int64)),
                 dense.lookup(tf.constant([13, 6], tf.int64)), dense.export()[0]]
        steps = [ins.name, rem.name, vins.name, dins.name]
        names = [t.name for t in fetch]
        with tf.Session() as sess:
            for s in steps:
                sess.run(s)
            ours = sess.run(names)
        data = g.as_graph_def().SerializeToString()
    graph_def = tf1.GraphDef.FromString(data)
    tg = tf1.Graph()
    with tg.as_default():
        tf1.import_graph_def(graph_def, name="")
        types = {op.name: op.type for op in tg.get_operations()}
        with tf1.Session(graph=tg) as sess:
            for s in steps:
                sess.run(s)
            theirs = sess.run(names)
    assert types["MutableHashTable_1"] == "MutableHashTableOfTensorsV2"
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    # The tables' nodes as TF builds them itself, attr by attr (defaults filled in).
    built = tf1.Graph()
    with built.as_default():
        _words_table(tf1)
        tf1.lookup.experimental.MutableHashTable(tf1.int64, tf1.float32, [0.0, 1.0])
        tf1.lookup.experimental.DenseHashTable(tf1.int64, tf1.int64, -1, 0, -1,
                                               initial_num_buckets=8)
    for name in ("MutableHashTable", "MutableHashTable_1", "MutableDenseHashTable"):
        mine, real = tg.get_operation_by_name(name), built.get_operation_by_name(name)
        assert mine.type == real.type and \
            [t.op.name for t in mine.inputs] == [t.op.name for t in real.inputs]
        assert sorted(mine.node_def.attr) == sorted(real.node_def.attr), name
        for key in real.node_def.attr:
            assert mine.get_attr(key) == real.get_attr(key), (name, key)


def test_tensorflow_graph_def_runs_in_minitf():
    """TF's own graph (its saveables' export nodes, colocation attrs and all) imported."""
    tf1 = _tf1()
    g = tf1.Graph()
    with g.as_default():
        table, ins, rem = _words_table(tf1)
        dense = tf1.lookup.experimental.DenseHashTable(tf1.int64, tf1.float32, [0.0, 0.0],
                                                       0, -1, initial_num_buckets=8)
        dins = dense.insert(tf1.constant([2, 10], tf1.int64), tf1.constant([[1, 2], [3, 4.0]]))
        fetch = [table.lookup(tf1.constant(["a", "b", "c"])).name, table.size().name,
                 dense.lookup(tf1.constant([10, 3], tf1.int64)).name, dense.export()[0].name]
        steps = [ins.name, rem.name, dins.name]
        with tf1.Session(graph=g) as sess:
            for step in steps:
                sess.run(step)
            theirs = sess.run(fetch)
        data = g.as_graph_def().SerializeToString()
    from minitf.export import import_graph_def
    from minitf.protos import graph_pb2

    with tf.Graph().as_default():
        import_graph_def(graph_pb2.GraphDef.FromString(data), name="")
        with tf.Session() as sess:
            for step in steps:
                sess.run(step)
            ours = sess.run(fetch)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)


def _tf_table(tf1, name="MutableHashTable"):
    table = tf1.lookup.experimental.MutableHashTable(tf1.int64, tf1.float32, -1.0, name=name)
    return table, table.insert(tf1.constant([3, 4], tf1.int64), tf1.constant([0.5, 1.5]))


def test_checkpoints_go_from_tensorflow_to_minitf_and_back(tmp_path):
    tf1 = _tf1()
    g = tf1.Graph()
    with g.as_default():
        table, ins = _tf_table(tf1)
        dense = tf1.lookup.experimental.DenseHashTable(tf1.string, tf1.int64, -1, "", "$",
                                                       initial_num_buckets=8)
        dins = dense.insert(tf1.constant(["p", "q"]), tf1.constant([1, 2], tf1.int64))
        vec = tf1.lookup.experimental.MutableHashTable(tf1.string, tf1.float32, [0.0, 0.0],
                                                       name="vectors")
        vins = vec.insert(tf1.constant(["u"]), tf1.constant([[1.0, 2.0]]))
        with tf1.Session(graph=g) as sess:
            sess.run([ins, dins, vins])
            tf_path = tf1.train.Saver().save(sess, str(tmp_path / "tf"), write_meta_graph=False)
    with tf.Graph().as_default():
        mine, _ = _filled()
        dense = experimental.DenseHashTable(tf.string, tf.int64, -1, "", "$",
                                            initial_num_buckets=8)
        vec = experimental.MutableHashTable(tf.string, tf.float32, [0.0, 0.0], name="vectors")
        saver = tf.train.Saver(write_version=tf.train.SaverDef.V2)
        with tf.Session() as sess:
            saver.restore(sess, tf_path)
            restored = sess.run([mine.lookup(tf.constant([3, 4, 5], tf.int64)), mine.size(),
                                 dense.lookup(tf.constant(["p", "q", "r"])), dense.size(),
                                 vec.lookup(tf.constant(["u", "v"]))])
            sess.run(mine.insert(tf.constant([5], tf.int64), tf.constant([2.5])))
            sess.run(dense.remove(tf.constant(["p"])))
            ours = saver.save(sess, str(tmp_path / "ours"), write_meta_graph=False)
    assert restored[0].tolist() == [0.5, 1.5, -1.0] and restored[1] == 2
    assert restored[2].tolist() == [1, 2, -1] and restored[3] == 2
    assert restored[4].tolist() == [[1.0, 2.0], [0.0, 0.0]]
    g = tf1.Graph()
    with g.as_default():
        table, _ = _tf_table(tf1)
        dense = tf1.lookup.experimental.DenseHashTable(tf1.string, tf1.int64, -1, "", "$",
                                                       initial_num_buckets=8)
        vec = tf1.lookup.experimental.MutableHashTable(tf1.string, tf1.float32, [0.0, 0.0],
                                                       name="vectors")
        with tf1.Session(graph=g) as sess:
            tf1.train.Saver().restore(sess, ours)
            back = sess.run([table.lookup(tf1.constant([3, 4, 5], tf1.int64)), table.size(),
                             dense.lookup(tf1.constant(["p", "q"])), dense.size(),
                             vec.lookup(tf1.constant(["u"]))])
    assert back[0].tolist() == [0.5, 1.5, 2.5] and back[1] == 3
    assert back[2].tolist() == [-1, 2] and back[3] == 1 and back[4].tolist() == [[1.0, 2.0]]


def test_saver_dict_with_a_table_names_entries_as_tensorflow(tmp_path):
    # TF saves a table given in a dict under its key (in a list, TF 2.21 names its entries
    # "-keys"/"-values"; minitf uses the table's name there).
    tf1 = _tf1()

    def names(tf_mod, session, where):
        g = tf_mod.Graph()
        with g.as_default():
            m = tf_mod.lookup.experimental.MutableHashTable(tf_mod.int64, tf_mod.int64, -1,
                                                            name="tbl")
            v = tf_mod.Variable(1.0, name="v")
            saver = tf_mod.train.Saver({"v": v, "mytable": m})
            with session(graph=g) as sess:
                sess.run([v.initializer, m.insert(tf_mod.constant([1], tf_mod.int64),
                                                  tf_mod.constant([5], tf_mod.int64))])
                path = saver.save(sess, str(tmp_path / where), write_meta_graph=False)
        return sorted(n for n, _ in tf_mod.train.list_variables(path)), \
            tf_mod.train.load_variable(path, "mytable-values").tolist()

    assert names(tf, tf.Session, "ours") == names(tf1, tf1.Session, "tf") == (
        ["mytable-keys", "mytable-values", "v"], [5])


def test_tensorflows_string_table_checkpoint_through_minitfs_npz(tmp_path):
    tf1 = _tf1()
    g = tf1.Graph()
    with g.as_default():
        t = tf1.lookup.experimental.MutableHashTable(tf1.string, tf1.int64, -1, name="vocab")
        ins = t.insert(tf1.constant(["a", "b"]), tf1.constant([1, 2], tf1.int64))
        with tf1.Session(graph=g) as sess:
            sess.run(ins)
            tf_path = tf1.train.Saver().save(sess, str(tmp_path / "tf"), write_meta_graph=False)
            want = sess.run(t.lookup(tf1.constant(["b", "a", "z"])))
    with tf.Graph().as_default():
        t = experimental.MutableHashTable(tf.string, tf.int64, -1, name="vocab")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            saver.restore(sess, tf_path)
            ours = saver.save(sess, str(tmp_path / "ours"))  # the .npz format
        with tf.Session() as sess:
            saver.restore(sess, ours)
            got = sess.run(t.lookup(tf.constant(["b", "a", "z"])))
    assert got.tolist() == want.tolist() == [2, 1, -1]
