"""``import_meta_graph``'s Saver restores what the Saver that wrote the ``.meta`` saved, under
its checkpoint names: a Saver made before the optimizer (no slot variables in the checkpoint),
a Saver of some variables (a GAN's generator), a dict var_list (names of its own), partitioned
variables; in minitf's .npz format (no SaverDef: the .meta records the var list) and in TF's
(V2). Expected values are the ones assigned before saving; TensorFlow cross-checks run where
it is installed (it reads only the V2 format)."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

V2 = tf.train.SaverDef.V2
FORMATS = pytest.mark.parametrize("version", [None, V2], ids=["npz", "v2"])
SCOPES = pytest.mark.parametrize("scope", [None, "imp"])


def _name(scope, name):
    return f"{scope}/{name}" if scope else name


def _restored(prefix, fetches, scope=None, init_first=()):
    """``fetches`` (names in the file) after importing ``prefix``.meta into a fresh graph and
    restoring ``prefix``; the variables ``init_first`` are initialised before the restore."""
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(prefix + ".meta", import_scope=scope)
        with tf.Session() as sess:
            for name in init_first:
                sess.run(graph.get_operation_by_name(_name(scope, name) + "/Assign"))
            saver.restore(sess, prefix)
            return sess.run([_name(scope, f) for f in fetches])


@FORMATS
@SCOPES
def test_saver_made_before_the_optimizer(tmp_path, version, scope):
    """The issue's repro: Adam's slots and beta powers are not in the checkpoint."""
    with tf.Graph().as_default():
        w = tf.get_variable("w", initializer=3.0)
        tf.identity(w * 2, name="out")
        saver = tf.train.Saver(write_version=version)
        tf.train.AdamOptimizer(0.1).minimize(w * w)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(w.assign(5.0))
            prefix = saver.save(sess, str(tmp_path / "m"))
    assert [n for n, _ in tf.train.list_variables(prefix)] == ["w"]
    assert _restored(prefix, ["out:0"], scope) == [10.0]


def _gan(version):
    with tf.variable_scope("generator"):
        g = tf.get_variable("w", initializer=[1.0, 2.0])
    with tf.variable_scope("discriminator"):
        d = tf.get_variable("w", initializer=[3.0])
    return g, d, tf.train.Saver(var_list=[g], write_version=version)


@FORMATS
@SCOPES
def test_saver_of_the_generator_only(tmp_path, version, scope):
    with tf.Graph().as_default():
        g, d, saver = _gan(version)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run([g.assign([7.0, 8.0]), d.assign([9.0])])
            prefix = saver.save(sess, str(tmp_path / "m"))
    got_g, got_d = _restored(prefix, ["generator/w:0", "discriminator/w:0"], scope,
                             init_first=["discriminator/w"])
    assert got_g.tolist() == [7.0, 8.0]
    assert got_d.tolist() == [3.0]  # not in the checkpoint: left as initialised


@FORMATS
@SCOPES
def test_dict_var_list_with_names_of_its_own(tmp_path, version, scope):
    with tf.Graph().as_default():
        w = tf.get_variable("w", initializer=[1.0, 2.0])
        b = tf.get_variable("b", initializer=0.5)
        tf.get_variable("unsaved", initializer=1.0)
        saver = tf.train.Saver({"model/kernel": w, "model/bias": b}, write_version=version)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run([w.assign([3.0, 4.0]), b.assign(-1.0)])
            prefix = saver.save(sess, str(tmp_path / "m"))
    assert sorted(n for n, _ in tf.train.list_variables(prefix)) == ["model/bias",
                                                                      "model/kernel"]
    got_w, got_b = _restored(prefix, ["w:0", "b:0"], scope)
    assert got_w.tolist() == [3.0, 4.0] and got_b == -1.0


@FORMATS
@SCOPES
def test_partitioned_variables(tmp_path, version, scope):
    full = np.arange(10, dtype=np.float32).reshape(5, 2)
    with tf.Graph().as_default():
        p = tf.get_variable("p", [5, 2], initializer=tf.zeros_initializer(),
                            partitioner=tf.fixed_size_partitioner(2))
        v = tf.get_variable("v", initializer=1.0)
        saver = tf.train.Saver([p, v], write_version=version)
        tf.get_variable("later", initializer=2.0)  # made after the Saver: not saved
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run([p._variable_list[0].assign(full[:3]),
                      p._variable_list[1].assign(full[3:]), v.assign(4.0)])
            prefix = saver.save(sess, str(tmp_path / "m"))
    part0, part1, got_v = _restored(prefix, ["p/part_0:0", "p/part_1:0", "v:0"], scope)
    np.testing.assert_array_equal(np.concatenate([part0, part1]), full)
    assert got_v == 4.0


@FORMATS
def test_imported_saver_saves_the_same_names_and_the_record_goes_with_it(tmp_path, version):
    """The imported Saver writes the same checkpoint names; the record is the file's Saver's,
    so tf.train.export_meta_graph of the imported graph (no Saver) does not carry it."""
    with tf.Graph().as_default():
        w = tf.get_variable("w", initializer=1.0)
        tf.get_variable("other", initializer=2.0)
        saver = tf.train.Saver({"renamed": w}, write_version=version)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            prefix = saver.save(sess, str(tmp_path / "m"))
    with tf.Graph().as_default():
        restorer = tf.train.import_meta_graph(prefix + ".meta")
        assert "minitf_saver_var_list" not in tf.get_default_graph().get_all_collection_keys()
        assert "minitf_saver_var_list" not in tf.train.export_meta_graph().collection_def
        with tf.Session() as sess:
            restorer.restore(sess, prefix)
            again = restorer.save(sess, str(tmp_path / "again"))
    assert [n for n, _ in tf.train.list_variables(again)] == ["renamed"]
    assert _restored(again, ["w:0"]) == [1.0]


def test_saver_export_meta_graph_records_its_var_list_under_export_scope(tmp_path):
    with tf.Graph().as_default():
        with tf.variable_scope("net"):
            w = tf.get_variable("w", initializer=1.0)
            tf.get_variable("slot", initializer=0.0)
        saver = tf.train.Saver([w])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(w.assign(6.0))
            prefix = saver.save(sess, str(tmp_path / "m"), write_meta_graph=False)
        saver.export_meta_graph(str(tmp_path / "scoped.meta"), export_scope="net")
    with tf.Graph().as_default():
        restorer = tf.train.import_meta_graph(str(tmp_path / "scoped.meta"),
                                              import_scope="net")
        with tf.Session() as sess:
            restorer.restore(sess, prefix)  # the checkpoint has only net/w
            assert sess.run("net/w:0") == 6.0


# -- TensorFlow reads minitf's .meta (only a V2 checkpoint: it cannot read .npz) ---------------

def test_tensorflow_restores_minitfs_v2_meta_of_some_variables(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf.Graph().as_default():
        g, d, _ = _gan(V2)
        w = tf.get_variable("w", initializer=0.0)
        saver = tf.train.Saver({"gen": g, "kernel": w}, write_version=V2)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run([g.assign([7.0, 8.0]), w.assign(5.0)])
            prefix = saver.save(sess, str(tmp_path / "m"))
    with tf1.Graph().as_default():
        restorer = tf1.train.import_meta_graph(prefix + ".meta", import_scope="s")
        with tf1.Session() as sess:
            restorer.restore(sess, prefix)
            got_g, got_w = sess.run(["s/generator/w:0", "s/w:0"])
    assert got_g.tolist() == [7.0, 8.0] and got_w == 5.0


def test_record_of_another_saver_is_ignored_after_tensorflow_resaves(tmp_path):
    """TensorFlow imports minitf's npz .meta (the record is plain bytes to it), saves with its
    own Saver: the .meta it writes keeps the record beside its SaverDef; minitf then follows
    TF's SaverDef (the record's names, e.g. "renamed", are not in TF's checkpoint)."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf.Graph().as_default():
        w = tf.get_variable("w", initializer=1.0)
        tf.identity(w * 2, name="out")
        saver = tf.train.Saver({"renamed": w})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            prefix = saver.save(sess, str(tmp_path / "m"))
    with tf1.Graph().as_default() as graph:
        theirs = tf1.train.import_meta_graph(prefix + ".meta")
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            sess.run(tf1.assign(graph.get_tensor_by_name("w:0"), 7.0))
            tf_prefix = theirs.save(sess, str(tmp_path / "tf"))
    assert _restored(tf_prefix, ["out:0"]) == [14.0]
