"""Models and meta graphs with mutable lookup tables, whose contents live in the checkpoint:
a TF SavedModel serves them as TF does, freezing from a checkpoint freezes them,
import_meta_graph + restore fills them, and a table whose entries cannot be found is refused
(never served empty). The committed fixtures are TF's (see
data/generate_mutable_tables_with_tensorflow.py); with TF installed the same tests also run on
freshly generated ones and compare with TF's own loader."""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minitf as tf
from minitf import export
from minitf.errors import NotFoundError
from minitf.export.freeze import MAIN_OP_KEY, freeze_from_checkpoint, graph_def_for_outputs
from minitf.export.meta_graph import read_meta_graph
from minitf.protos import saved_model_pb2
from minitf.serving.servable import Servable

DATA = Path(__file__).parent / "data"
HAVE_TF = importlib.util.find_spec("tensorflow") is not None
WORDS = np.array([b"cat", b"dog", b"eel"], object)
KEYS = np.array([1, 7, 3], np.int64)
# TF 2.21 gave these for the fixtures (data/generate_mutable_tables_with_tensorflow.py).
WANT = {"ids": [13, 15, 9], "score": [0.5, 2.5, -1.0]}
WANT_META = [10, -1]


@pytest.fixture(scope="module", params=["committed", "fresh"])
def data(request, tmp_path_factory):
    """The fixtures' directory: the committed one, or (with TF) newly written by TF."""
    if request.param == "committed":
        return DATA
    if not HAVE_TF:
        pytest.skip("tensorflow is not installed")
    out = tmp_path_factory.mktemp("tf_tables")
    subprocess.run([sys.executable, str(DATA / "generate_mutable_tables_with_tensorflow.py"),
                    str(out)], check=True, capture_output=True)
    return out


def _serve(path):
    runner = Servable("m", 1, export.load_saved_model(str(path))).signature(None)
    return runner.run(runner.validate({"words": WORDS, "keys": KEYS}),
                      tuple(runner.output_names))


def test_tf_saved_model_serves_its_tables_checkpoint_contents(data):
    got = _serve(data / "mutable_table_savedmodel")
    for alias, want in WANT.items():
        np.testing.assert_array_equal(got[alias], want, err_msg=alias)


def test_tf_saved_model_tables_in_a_session(data):
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.saved_model.loader.load(sess, ["serve"], str(data / "mutable_table_savedmodel"),
                                   import_scope="m")
        ids, score = sess.run(["m/ids:0", "m/score:0"], {"m/words:0": WORDS, "m/keys:0": KEYS})
    np.testing.assert_array_equal(ids, WANT["ids"])
    np.testing.assert_array_equal(score, WANT["score"])


def test_as_tensorflow_loads_it(data):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1.Session(graph=tf1.Graph()) as sess:
        tf1.saved_model.loader.load(sess, ["serve"], str(data / "mutable_table_savedmodel"))
        ids, score = sess.run(["ids:0", "score:0"], {"words:0": WORDS, "keys:0": KEYS})
    np.testing.assert_array_equal(ids, WANT["ids"])
    np.testing.assert_array_equal(score, WANT["score"])


def _without_restore_of(model, table):
    """The model with its saver's restore of ``table`` removed (as if the saver skipped it)."""
    sm = saved_model_pb2.SavedModel.FromString((model / "saved_model.pb").read_bytes())
    gd = sm.meta_graphs[0].graph_def
    gone = {n.name for n in gd.node if n.op == "LookupTableImportV2" and n.input[0] == table}
    assert gone
    kept = [n for n in gd.node if n.name not in gone]
    for n in kept:
        n.input[:] = [i for i in n.input if i.lstrip("^") not in gone]
    del gd.node[:]
    gd.node.extend(kept)
    (model / "saved_model.pb").write_bytes(sm.SerializeToString())


def test_a_table_whose_contents_are_not_found_is_refused(tmp_path):
    model = tmp_path / "m"
    shutil.copytree(DATA / "mutable_table_savedmodel", model)
    _without_restore_of(model, "counts")
    with pytest.raises(NotFoundError, match=r"mutable lookup table 'counts' .*no restore op"):
        export.load_saved_model(str(model))
    with tf.Graph().as_default(), tf.Session() as sess:
        with pytest.raises(NotFoundError, match="'counts'"):
            tf.saved_model.loader.load(sess, ["serve"], str(model))
    shutil.rmtree(model / "variables")  # no checkpoint at all
    shutil.copy(DATA / "mutable_table_savedmodel" / "saved_model.pb", model)
    with pytest.raises(NotFoundError, match="no checkpoint"):
        export.load_saved_model(str(model))


def test_tensorflow_saver_without_the_table_is_refused(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    path = str(tmp_path / "m")
    g = tf1.Graph()
    with g.as_default():
        words = tf1.placeholder(tf1.string, [None], name="words")
        table = tf1.lookup.experimental.MutableHashTable(tf1.string, tf1.int64, -1,
                                                         name="counts")
        w = tf1.Variable(np.int64(10), name="w", use_resource=False)
        ids = tf1.identity(table.lookup(words) + w, name="ids")
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            sess.run(table.insert(tf1.constant(["cat"]), tf1.constant([3], tf1.int64)))
            builder = tf1.saved_model.builder.SavedModelBuilder(path)
            sig = tf1.saved_model.signature_def_utils.predict_signature_def(
                {"words": words}, {"ids": ids})
            builder.add_meta_graph_and_variables(sess, ["serve"], {"serving_default": sig},
                                                 saver=tf1.train.Saver([w]))
            builder.save()
    with pytest.raises(NotFoundError, match="'counts'"):
        export.load_saved_model(path)


# -- freezing from a checkpoint ---------------------------------------------------------------
def _freeze_minitf_checkpoint(tmp_path, checkpoint=True):
    g = tf.Graph()
    with g.as_default():
        words = tf.placeholder(tf.int64, [None], name="words")
        table = tf.lookup.experimental.MutableHashTable(tf.int64, tf.int64, -1, name="counts",
                                                        checkpoint=checkpoint)
        w = tf.Variable(np.int64(10), name="w")
        tf.identity(table.lookup(words) + w, name="ids")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(table.insert(tf.constant([1, 2], tf.int64),
                                  tf.constant([3, 5], tf.int64)))
            prefix = tf.train.Saver().save(sess, str(tmp_path / "ck"))
    return freeze_from_checkpoint(g, prefix, {"words": "words:0"}, {"ids": "ids:0"})


def _run_frozen(frozen, feeds):
    with tf.Session(graph=frozen.graph) as sess:
        sess.run(frozen.graph.get_collection(MAIN_OP_KEY))
        return sess.run(frozen.outputs[next(iter(frozen.outputs))],
                        {frozen.inputs[k]: v for k, v in feeds.items()})


def test_freeze_from_checkpoint_freezes_the_tables_contents(tmp_path):
    frozen = _freeze_minitf_checkpoint(tmp_path)
    np.testing.assert_array_equal(_run_frozen(frozen, {"words": [1, 2, 9]}), [13, 15, 9])
    # And the SavedModel made of it serves them.
    export.save_model(str(tmp_path / "model"), frozen)
    runner = Servable("m", 1, export.load_saved_model(str(tmp_path / "model"))).signature(None)
    got = runner.run(runner.validate({"words": np.array([2, 1], np.int64)}), ("ids",))
    np.testing.assert_array_equal(got["ids"], [15, 13])


def test_freeze_from_checkpoint_refuses_a_table_the_checkpoint_lacks(tmp_path):
    with pytest.raises(NotFoundError, match="mutable lookup table 'counts'"):
        _freeze_minitf_checkpoint(tmp_path, checkpoint=False)


def test_freeze_from_a_tensorflow_graph_and_checkpoint(data):
    # As `minitf export --graph` does: the training graph cut to the outputs.
    meta = read_meta_graph(str(data / "mutable_table_meta" / "ck.meta"))
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(graph_def_for_outputs(meta.graph_def, ["out"]), name="")
    frozen = freeze_from_checkpoint(g, str(data / "mutable_table_meta" / "ck"), {"q": "q:0"},
                                    {"out": "out:0"})
    np.testing.assert_array_equal(_run_frozen(frozen, {"q": [1, 2, 3]}), [10, -1, -1])


# -- import_meta_graph + restore ----------------------------------------------------------------
def _restore_meta(directory):
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(os.path.join(directory, "ck.meta"))
        with tf.Session() as sess:
            saver.restore(sess, os.path.join(directory, "ck"))
            return sess.run("out:0")


def test_import_meta_graph_restores_tensorflows_table(data):
    np.testing.assert_array_equal(_restore_meta(data / "mutable_table_meta"), WANT_META)


def _write_minitf_meta(directory, write_version=None):
    with tf.Graph().as_default():
        m = tf.lookup.experimental.MutableHashTable(tf.int64, tf.int64, -1, name="m")
        q = tf.placeholder_with_default(tf.constant([1, 2], tf.int64), [None], name="q")
        tf.identity(m.lookup(q), name="out")
        tf.Variable(1.0, name="v")
        saver = tf.train.Saver(write_version=write_version)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(m.insert(tf.constant([1], tf.int64), tf.constant([10], tf.int64)))
            saver.save(sess, os.path.join(directory, "ck"))


def test_import_meta_graph_restores_minitfs_table(tmp_path):
    _write_minitf_meta(tmp_path)
    np.testing.assert_array_equal(_restore_meta(tmp_path), WANT_META)
    # The imported table saves again, under the same names (so Saver() sees it too).
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(str(tmp_path / "ck.meta"))
        assert len(tf.get_collection(tf.GraphKeys.SAVEABLE_OBJECTS)) == 1
        with tf.Session() as sess:
            saver.restore(sess, str(tmp_path / "ck"))
            prefix = tf.train.Saver().save(sess, str(tmp_path / "again"))
    assert sorted(n for n, _ in tf.train.list_variables(prefix)) == ["m-keys", "m-values", "v"]
    np.testing.assert_array_equal(tf.train.load_variable(prefix, "m-values"), [10])


def test_tensorflow_imports_minitfs_meta_graph(tmp_path):
    # minitf's record of the tables' names is harmless to TF: it imports the graph and
    # restores its variables (its Saver, made from the collections, has no tables: minitf
    # writes no SaverDef).
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    _write_minitf_meta(tmp_path, write_version=tf.train.SaverDef.V2)
    with tf1.Graph().as_default():
        saver = tf1.train.import_meta_graph(str(tmp_path / "ck.meta"))
        with tf1.Session() as sess:
            saver.restore(sess, str(tmp_path / "ck"))
            assert sess.run("v:0") == 1.0
            assert sess.run("out:0").tolist() == [-1, -1]


def test_saver_restores_tensorflows_dense_table(data, tmp_path):
    # TF saves a DenseHashTable's bucket arrays (keys [8, 1]); they pass the restore's checks.
    with tf.Graph().as_default():
        dense = tf.lookup.experimental.DenseHashTable(
            tf.int64, tf.float32, -1.0, empty_key=-5, deleted_key=-6, initial_num_buckets=8,
            name="dense")
        saver = tf.train.Saver([dense])
        found = dense.lookup(tf.constant(KEYS))
        with tf.Session() as sess:
            saver.restore(sess, str(data / "mutable_table_savedmodel" / "variables" /
                                    "variables"))
            np.testing.assert_array_equal(sess.run(found), WANT["score"])
            prefix = saver.save(sess, str(tmp_path / "ck"))
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            np.testing.assert_array_equal(sess.run(found), WANT["score"])
