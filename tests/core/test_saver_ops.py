"""A Saver writing TensorFlow's checkpoint format puts TF1's save and restore ops in the graph
and names them in its SaverDef, so the ``.meta`` it writes restores in TensorFlow under an
``import_scope`` (TF otherwise builds a Saver keyed by the scoped names). The ops themselves
write and read the same checkpoints as the Saver, checked here by running them."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

V2 = tf.train.SaverDef.V2


def graph_with_variables():
    graph = tf.Graph()
    with graph.as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        parts = tf.get_variable("p", [5, 2], initializer=tf.zeros_initializer(),
                                partitioner=tf.fixed_size_partitioner(2))
        full = np.arange(10, dtype=np.float32).reshape(5, 2)
        # Parts of 3 and 2 rows; initialised from the whole array by assignment.
        graph.fill = [parts._variable_list[0].assign(full[:3]),
                      parts._variable_list[1].assign(full[3:])]
    return graph, v, parts


def test_ops_and_saver_def_names_are_tfs(tmp_path):
    graph, _, _ = graph_with_variables()
    with graph.as_default():
        saver = tf.train.Saver(write_version=V2)
        second = tf.train.Saver(write_version=V2)
        npz = tf.train.Saver()  # minitf's own format: no ops, no names
    sd = saver.as_saver_def()
    assert (sd.filename_tensor_name, sd.save_tensor_name, sd.restore_op_name) == (
        "save/Const:0", "save/control_dependency:0", "save/restore_all")
    assert second.as_saver_def().restore_op_name == "save_1/restore_all"
    assert npz.as_saver_def().restore_op_name == ""
    save_v2 = graph.get_operation_by_name("save/SaveV2")
    names = [n.decode() for n in tf.get_static_value(save_v2.inputs[1])]
    specs = [n.decode() for n in tf.get_static_value(save_v2.inputs[2])]
    assert names == ["p", "p", "v"]  # one entry per part, in name order
    assert specs == ["5 2 0,3:0,2", "5 2 3,2:0,2", ""]


def test_running_the_ops_saves_and_restores_what_the_saver_does(tmp_path):
    graph, v, parts = graph_with_variables()
    with graph.as_default():
        saver = tf.train.Saver(write_version=V2)
        sd = saver.as_saver_def()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(graph.fill)
            written = str(tmp_path / "by_ops")
            sess.run(sd.save_tensor_name, {sd.filename_tensor_name: written})
            reader = tf.train.load_checkpoint(written)
            np.testing.assert_array_equal(reader.get_tensor("v"), [1.0, 2.0])
            np.testing.assert_array_equal(reader.get_tensor("p"),
                                          np.arange(10).reshape(5, 2))
            saved = saver.save(sess, str(tmp_path / "by_saver"))
            sess.run([v.assign([7.0, 8.0])] + [p.assign(tf.zeros_like(p)) for p in
                                               parts._variable_list])
            sess.run(sd.restore_op_name, {sd.filename_tensor_name: saved})
            np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])
            np.testing.assert_array_equal(np.concatenate(sess.run(parts._variable_list)),
                                          np.arange(10).reshape(5, 2))


def test_meta_graph_restores_under_an_import_scope(tmp_path):
    graph, v, _ = graph_with_variables()
    with graph.as_default():
        saver = tf.train.Saver(write_version=V2)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            prefix = saver.save(sess, str(tmp_path / "m"))
    with tf.Graph().as_default() as imported:
        restorer = tf.train.import_meta_graph(prefix + ".meta", import_scope="pre")
        # The imported Saver reuses the file's ops: no second set is built.
        assert restorer.as_saver_def().restore_op_name == "pre/save/restore_all"
        assert not [op for op in imported.get_operations() if op.name.startswith("save")]
        with tf.Session() as sess:
            restorer.restore(sess, prefix)
            np.testing.assert_array_equal(sess.run("pre/v:0"), [1.0, 2.0])


def test_tensorflow_restores_minitfs_meta_under_an_import_scope(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    graph, _, _ = graph_with_variables()
    with graph.as_default():
        saver = tf.train.Saver(write_version=V2)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(graph.fill)
            prefix = saver.save(sess, str(tmp_path / "m"))
    with tf1.Graph().as_default():
        restorer = tf1.train.import_meta_graph(prefix + ".meta", import_scope="pre")
        with tf1.Session() as sess:
            restorer.restore(sess, prefix)
            np.testing.assert_array_equal(sess.run("pre/v:0"), [1.0, 2.0])
            np.testing.assert_array_equal(
                np.concatenate(sess.run(["pre/p/part_0:0", "pre/p/part_1:0"])),
                np.arange(10).reshape(5, 2))
