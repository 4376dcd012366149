"""``import_meta_graph`` into a graph that already has the file's names. Without import_scope
the import renames a clashing node ("w" -> "w_1", its inputs with it); TF1's returned Saver
runs the file's restore ops, imported and renamed the same way, so the checkpoint's "w" goes
into the imported ``w_1`` and the graph's own ``w`` is left alone. The collections, as TF1's,
hold what the file's names resolve to (TF1 looks a VariableDef's names up, not the import's
renaming): here the graph's ``w``, twice, so ``w_1`` is not initialised by
global_variables_initializer. Under an import_scope that is taken, the import opens "s_1/".

TF-free checks with hand-computed values, for minitf's checkpoint format and TF's V2 bundle;
then the same script run by TensorFlow (skipped where it is not installed), and a .meta and
checkpoint TensorFlow wrote, imported by minitf into a clashing graph.
"""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

FORMATS = ["minitf", "v2"]


def _saver(T, fmt):
    return T.train.Saver(write_version=T.train.SaverDef.V2) if fmt == "v2" else T.train.Saver()


def _write_model(T, path, fmt):
    """w = [1, 2] (trainable), b = 3 (not), y = sum(w * b) = 9: its .meta and checkpoint."""
    w = T.Variable([1.0, 2.0], name="w", use_resource=False)
    b = T.Variable(3.0, name="b", trainable=False, use_resource=False)
    T.reduce_sum(w * b, name="y")
    with T.Session() as sess:
        sess.run(T.global_variables_initializer())
        _saver(T, fmt).save(sess, path)


def _clash_outcome(T, path):
    """Imports ``path``.meta next to a variable already named "w" (= [5, 5]); what init and
    the returned Saver's restore leave."""
    x = T.Variable([5.0, 5.0], name="w", use_resource=False)
    saver = T.train.import_meta_graph(path + ".meta")
    graph = T.get_default_graph()
    out = {"global": [v.name for v in T.global_variables()],
           "trainable": [v.name for v in T.trainable_variables()]}
    with T.Session() as sess:
        sess.run(T.global_variables_initializer())
        with pytest.raises(T.errors.FailedPreconditionError, match="uninitialized value w_1"):
            sess.run("w_1:0")
        saver.restore(sess, path)
        out["x"], out["w_1"], out["b"], out["y"] = sess.run([x, "w_1:0", "b:0", "y:0"])
        # Saving through the imported Saver writes the imported variables, under the file's names.
        sess.run(T.assign(graph.get_tensor_by_name("w_1:0"), [8.0, 9.0]))
        saved = saver.save(sess, path + "-again")
    out["saved_w"] = T.train.load_variable(saved, "w")
    out["saved_names"] = sorted(n for n, _ in T.train.list_variables(saved))
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_returned_saver_restores_the_renamed_variables(tmp_path, fmt):
    path = str(tmp_path / "m")
    with tf.Graph().as_default():
        _write_model(tf, path, fmt)
    with tf.Graph().as_default():
        got = _clash_outcome(tf, path)
    assert got["global"] == ["w:0", "w:0", "b:0"]  # TF1's: the file's names, resolved
    assert got["trainable"] == ["w:0", "w:0"]
    np.testing.assert_array_equal(got["x"], [5.0, 5.0])  # the graph's own w: untouched
    np.testing.assert_array_equal(got["w_1"], [1.0, 2.0])
    assert got["b"] == 3.0 and got["y"] == 9.0  # y reads w_1: 1*3 + 2*3
    np.testing.assert_array_equal(got["saved_w"], [8.0, 9.0])
    assert got["saved_names"] == ["b", "w"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_importing_twice_restores_each_import_through_its_own_saver(tmp_path, fmt):
    """The second import's nodes are all renamed ("w_1", "save_1/..."): its Saver restores
    them, and the first import's variables keep their value. (TF1's second Saver runs
    "save/restore_all", the first import's op: it restores the first import's variables and
    leaves its own uninitialised. minitf restores the ones the import made.)"""
    path = str(tmp_path / "m")
    with tf.Graph().as_default():
        _write_model(tf, path, fmt)
    with tf.Graph().as_default() as graph:
        tf.train.import_meta_graph(path + ".meta")
        second = tf.train.import_meta_graph(path + ".meta")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())  # the first import's (the names')
            sess.run(tf.assign(graph.get_tensor_by_name("w:0"), [7.0, 7.0]))
            second.restore(sess, path)
            w, w_1, y_1 = sess.run(["w:0", "w_1:0", "y_1:0"])
    np.testing.assert_array_equal(w, [7.0, 7.0])
    np.testing.assert_array_equal(w_1, [1.0, 2.0])
    assert y_1 == 9.0


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_taken_import_scope_becomes_scope_1(tmp_path, fmt):
    """Importing twice under import_scope="s": the second lands under "s_1/", its collections
    and its Saver with it (TF1 derives the scope the same way)."""
    path = str(tmp_path / "m")
    with tf.Graph().as_default():
        _write_model(tf, path, fmt)
    with tf.Graph().as_default() as graph:
        first = tf.train.import_meta_graph(path + ".meta", import_scope="s")
        second = tf.train.import_meta_graph(path + ".meta", import_scope="s")
        assert [v.name for v in tf.global_variables()] == ["s/w:0", "s/b:0", "s_1/w:0",
                                                           "s_1/b:0"]
        assert [v.name for v in tf.trainable_variables()] == ["s/w:0", "s_1/w:0"]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(tf.assign(graph.get_tensor_by_name("s/w:0"), [7.0, 7.0]))
            second.restore(sess, path)
            w, w_1, y_1 = sess.run(["s/w:0", "s_1/w:0", "s_1/y:0"])
            np.testing.assert_array_equal(w, [7.0, 7.0])
            np.testing.assert_array_equal(w_1, [1.0, 2.0])
            assert y_1 == 9.0
            sess.run(tf.assign(graph.get_tensor_by_name("s_1/w:0"), [0.0, 0.0]))
            first.restore(sess, path)
            np.testing.assert_array_equal(sess.run("s/w:0"), [1.0, 2.0])
            np.testing.assert_array_equal(sess.run("s_1/w:0"), [0.0, 0.0])


def test_import_scope_inside_a_name_scope(tmp_path):
    path = str(tmp_path / "m")
    with tf.Graph().as_default():
        _write_model(tf, path, "minitf")
    with tf.Graph().as_default():
        with tf.name_scope("outer"):
            saver = tf.train.import_meta_graph(path + ".meta", import_scope="s")
        assert [v.name for v in tf.global_variables()] == ["outer/s/w:0", "outer/s/b:0"]
        with tf.Session() as sess:
            saver.restore(sess, path)
            assert sess.run("outer/s/y:0") == 9.0


def test_a_partitioned_variable_with_clashing_parts(tmp_path):
    """The parts of a partitioned variable are renamed one by one; the Saver assembles the
    checkpoint's full variable into the imported parts."""
    path = str(tmp_path / "m")
    with tf.Graph().as_default():
        p = tf.get_variable("p", initializer=tf.constant([[1.0], [2.0], [3.0], [4.0]]),
                            partitioner=tf.fixed_size_partitioner(2))
        tf.reduce_sum(p, name="total")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver().save(sess, path)
    with tf.Graph().as_default():
        mine = tf.Variable([[9.0], [9.0]], name="p/part_0")
        saver = tf.train.import_meta_graph(path + ".meta")
        with tf.Session() as sess:
            sess.run(mine.initializer)
            saver.restore(sess, path)
            np.testing.assert_array_equal(sess.run(mine), [[9.0], [9.0]])
            np.testing.assert_array_equal(sess.run("p/part_0_1:0"), [[1.0], [2.0]])
            np.testing.assert_array_equal(sess.run("p/part_1:0"), [[3.0], [4.0]])
            assert sess.run("total:0") == 10.0


# -- side by side with TensorFlow ----------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_same_outcome_as_tensorflow(tmp_path, fmt):
    """The same script (write, then import next to a variable named "w", init, restore,
    save) run by TensorFlow and by minitf."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1.Graph().as_default():
        _write_model(tf1, str(tmp_path / "tf"), "v2")
    with tf1.Graph().as_default():
        want = _clash_outcome(tf1, str(tmp_path / "tf"))
    with tf.Graph().as_default():
        _write_model(tf, str(tmp_path / "mt"), fmt)
    with tf.Graph().as_default():
        got = _clash_outcome(tf, str(tmp_path / "mt"))
    assert got.keys() == want.keys()
    for key in want:
        if isinstance(want[key], list) and want[key] and isinstance(want[key][0], str):
            assert got[key] == want[key], key
        else:
            np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def test_same_outcome_as_tensorflow_under_a_taken_import_scope(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def outcome(T, path):
        _write_model(T, path, "v2")
        with T.Graph().as_default() as graph:
            T.train.import_meta_graph(path + ".meta", import_scope="s")
            second = T.train.import_meta_graph(path + ".meta", import_scope="s")
            names = [v.name for v in T.global_variables()]
            with T.Session() as sess:
                sess.run(T.global_variables_initializer())
                sess.run(T.assign(graph.get_tensor_by_name("s/w:0"), [7.0, 7.0]))
                second.restore(sess, path)
                return names, sess.run(["s/w:0", "s_1/w:0", "s_1/y:0"])

    with tf1.Graph().as_default():
        want = outcome(tf1, str(tmp_path / "tf"))
    with tf.Graph().as_default():
        got = outcome(tf, str(tmp_path / "mt"))
    assert got[0] == want[0]
    for g, w in zip(got[1], want[1]):
        np.testing.assert_array_equal(g, w)


def test_a_tensorflow_meta_graph_imported_by_minitf_into_a_clashing_graph(tmp_path):
    """TensorFlow's .meta (its SaverDef names TF's save ops) and V2 checkpoint: minitf's
    import renames them with the variable, and the Saver restores into "w_1"."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    path = str(tmp_path / "m")
    with tf1.Graph().as_default():
        _write_model(tf1, path, "v2")
    with tf.Graph().as_default():
        got = _clash_outcome(tf, path)
    np.testing.assert_array_equal(got["x"], [5.0, 5.0])
    np.testing.assert_array_equal(got["w_1"], [1.0, 2.0])
    assert got["y"] == 9.0 and got["global"] == ["w:0", "w:0", "b:0"]
    np.testing.assert_array_equal(got["saved_w"], [8.0, 9.0])
