"""Models with lookup tables: TensorFlow's SavedModel (a vocabulary asset file and a
key/value table filled by its main op, beside a variable) loads, serves and runs in a session
as TF ran it; minitf's own export freezes a table's contents into the model (its main op
imports them), so the vocabulary file is no longer needed, and TensorFlow loads that too."""

import importlib.util
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import minitf as tf
from minitf import export
from minitf.errors import FailedPreconditionError
from minitf.serving.servable import Servable

DATA = Path(__file__).parent / "data"


def _tf_outputs():
    with np.load(DATA / "lookup.npz", allow_pickle=False) as z:
        words = z["in:words"].astype(object)
        want = {k[4:]: z[k].astype(object) if z[k].dtype.kind == "S" else z[k]
                for k in z.files if k.startswith("out:")}
    return words, want


def _serve(path, words):
    servable = Servable("m", 1, export.load_saved_model(path))
    runner = servable.signature(None)
    return runner.run(runner.validate({"words": words}), tuple(runner.output_names))


def test_tensorflow_lookup_model_serves_as_tensorflow_ran_it(tmp_path):
    # A copy elsewhere: the vocabulary comes from the model's own assets directory (the path
    # TF wrote in the graph is a temporary file long gone).
    model = tmp_path / "copy"
    shutil.copytree(DATA / "lookup_savedmodel", model)
    loaded = export.load_saved_model(str(model))
    assert sorted(op.split("/")[-1] for op in loaded.init_ops) == [
        "InitializeTableFromTextFileV2", "LookupTableImportV2"]
    assert list(loaded.assets.values()) == [str(model / "assets" / "vocab.txt")]
    words, want = _tf_outputs()
    got = _serve(str(model), words)
    for alias, value in want.items():
        np.testing.assert_array_equal(got[alias], value, err_msg=alias)


def test_tensorflow_lookup_model_in_a_session():
    words, want = _tf_outputs()
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.saved_model.loader.load(sess, ["serve"], str(DATA / "lookup_savedmodel"),
                                   import_scope="m")
        ids, label = sess.run(["m/ids:0", "m/label:0"], {"m/words:0": words})
    np.testing.assert_array_equal(ids, want["ids"])
    np.testing.assert_array_equal(label, want["label"])


def _export_table_model(path, vocab):
    with tf.Graph().as_default():
        words = tf.placeholder(tf.string, [None], name="words")
        by_line = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
            str(vocab), tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64,
            tf.lookup.TextFileIndex.LINE_NUMBER), -1)
        bonus = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            ["cat"], np.array([100], np.int64)), 0)
        ids = tf.identity(by_line.lookup(words) + bonus.lookup(words), name="ids")
        with tf.Session() as sess:
            sess.run(tf.tables_initializer())
            export.save_model(path, sess, inputs={"words": words}, outputs={"ids": ids})


def test_minitf_export_freezes_table_contents(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("the\ncat\nsat\n")
    _export_table_model(str(tmp_path / "1"), vocab)
    os.remove(vocab)  # the contents travel inside the model
    words = np.array([b"sat", b"cat", b"dog"], dtype=object)
    got = _serve(str(tmp_path / "1"), words)
    np.testing.assert_array_equal(got["ids"], [2, 101, -1])


def test_exporting_an_uninitialized_table_is_refused(tmp_path):
    with tf.Graph().as_default():
        words = tf.placeholder(tf.string, [None])
        table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            ["a"], np.array([1], np.int64)), 0, name="vocab")
        ids = table.lookup(words)
        with tf.Session() as sess, pytest.raises(FailedPreconditionError,
                                                 match="'vocab' is not initialized"):
            export.save_model(str(tmp_path / "1"), sess, inputs={"w": words},
                              outputs={"ids": ids})
    assert not (tmp_path / "1").exists()


def test_minitf_export_keeps_what_a_session_put_in_mutable_tables(tmp_path):
    with tf.Graph().as_default():
        words = tf.placeholder(tf.string, [None], name="words")
        counts = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, -1, name="counts")
        dense = tf.lookup.experimental.DenseHashTable(tf.int64, tf.int64, default_value=0,
                                                      empty_key=-10, deleted_key=-20,
                                                      name="dense")
        unused = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, 7, name="unused")
        found = counts.lookup(words)
        ids = tf.identity(found + dense.lookup(found) + unused.lookup(words), name="ids")
        with tf.Session() as sess:
            sess.run([counts.insert(["cat", "dog"], np.array([3, 5], np.int64)),
                      dense.insert(np.array([3], np.int64), np.array([30], np.int64))])
            export.save_model(str(tmp_path / "1"), sess, inputs={"words": words},
                              outputs={"ids": ids})
    got = _serve(str(tmp_path / "1"), np.array([b"cat", b"dog", b"eel"], dtype=object))
    np.testing.assert_array_equal(got["ids"], [3 + 30 + 7, 5 + 7, -1 + 7])


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs tensorflow")
def test_tensorflow_loads_minitf_table_model(tmp_path):
    import subprocess
    import sys

    vocab = tmp_path / "vocab.txt"
    vocab.write_text("the\ncat\nsat\n")
    _export_table_model(str(tmp_path / "1"), vocab)
    os.remove(vocab)
    script = (
        "import sys, tensorflow.compat.v1 as tf\n"
        "tf.disable_eager_execution()\n"
        "with tf.Session(graph=tf.Graph()) as s:\n"
        "    tf.saved_model.loader.load(s, ['serve'], sys.argv[1])\n"
        "    print(s.run('ids:0', {'words:0': [b'sat', b'cat', b'dog']}).tolist())\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "1")],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[2, 101, -1]"


def test_served_over_grpc(tmp_path):
    """A real server on loopback, strings in over KServe's ModelInfer (BYTES)."""
    from minitf.serving.repository import ModelConfig
    from tests.serving.conftest import running_server

    base = tmp_path / "models" / "words"
    shutil.copytree(DATA / "lookup_savedmodel", base / "1")
    words, want = _tf_outputs()
    with running_server([ModelConfig(name="words", base_path=str(base))]) as (_, client):
        got = client.infer("words", {"words": words})
    np.testing.assert_array_equal(got["ids"], want["ids"])
    np.testing.assert_array_equal(got["label"], want["label"])
    np.testing.assert_allclose(got["vectors"], want["vectors"])




def test_string_inputs_warm_up_on_empty_strings(tmp_path, caplog):
    """Warm-up feeds b"" to a string input: it fed the integer 0, on which string ops fail,
    so such a model loaded cold, with a warning."""
    with tf.Graph().as_default():
        words = tf.placeholder(tf.string, [None], name="words")
        sizes = tf.strings.length(tf.strings.lower(words))
        with tf.Session() as sess:
            export.save_model(str(tmp_path / "1"), sess, inputs={"words": words},
                              outputs={"sizes": sizes})
    with caplog.at_level("WARNING", logger="minitf.serving"):
        Servable("m", 1, export.load_saved_model(str(tmp_path / "1")))
    assert "not warmed up" not in caplog.text
