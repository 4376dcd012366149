"""TF1 SavedModel API fixes found by comparing with TensorFlow's tf.compat.v1:

- loader.load runs the table initializers of a main op that also initialises variables (TF's
  standard ``main_op()``, or a ``legacy_init_op`` group), and gives a local variable the value
  the main op assigns it;
- a SavedModel whose only variables are local (TF writes no checkpoint then) loads;
- loader.load imports the MetaGraphDef's collections, and the builder writes the graph's;
- the builder saves ``assets_collection`` files into ``assets/`` (asset_file_def), so the
  model loads after its directory moved.

The TF-free tests build TF1-style (unfrozen) SavedModels with minitf's own graph and meta graph
export, as TF's builder writes them; the side-by-side ones build with TensorFlow too.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

import minitf as tf
from minitf.errors import NotFoundError
from minitf.protos import saved_model_pb2

WORDS = np.array([b"banana", b"x", b"apple"])
IDS = np.array([1, -1, 0])  # line numbers in the vocabulary "apple\nbanana\n", else -1


def _vocab(directory, name="vocab.txt", lines=("apple", "banana")):
    path = directory / name
    path.write_text("".join(f"{w}\n" for w in lines))
    return path


def _tf1_style_model(export_dir, vocab, init="main_op", global_var=True, collections=True):
    """A SavedModel as TF's builder writes it, made with minitf: the graph unfrozen (a lookup
    table over a vocabulary asset, a local variable ``lv`` = 1.0, a global ``gv`` saved as 5.0
    in variables/), and an init op grouping the local variables' and tables' initializers."""
    from minitf.export.meta_graph import meta_graph_of

    graph = tf.Graph()
    with graph.as_default():
        words = tf.placeholder(tf.string, [None], name="words")
        path = tf.constant(str(vocab), name="vocab_path")
        tf.add_to_collection(tf.GraphKeys.ASSET_FILEPATHS, path)
        table = tf.lookup.StaticHashTable(
            tf.lookup.TextFileInitializer(path, tf.string, -2, tf.int64, -1), -1)
        ids = tf.identity(table.lookup(words), name="ids")
        lv = tf.get_local_variable("lv", initializer=tf.constant(1.0))
        lv_plus = tf.add(lv, 1.0, name="lv_plus")
        outputs = {"ids": ids, "lv_plus": lv_plus}
        if global_var:
            gv = tf.Variable(2.0, name="gv")
            outputs["gv_times"] = tf.multiply(gv, 3.0, name="gv_times")
        if collections:
            tf.add_to_collection("outputs", ids)
            tf.add_to_collection("names", "hello")
            tf.add_to_collection("counts", 7)
        op = tf.group(tf.local_variables_initializer(), tf.tables_initializer(), name="init_op")
        meta = meta_graph_of(graph)
        sess = tf.Session()
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        os.makedirs(export_dir / "variables")
        if global_var:  # saved after a change: the loader must take the checkpoint's value
            sess.run(gv.assign(5.0))
            tf.train.Saver([gv], write_version=tf.train.SaverDef.V2).save(
                sess, str(export_dir / "variables" / "variables"),
                                      write_meta_graph=False)
        meta.meta_info_def.tags.append("serve")
        key = "saved_model_main_op" if init == "main_op" else "legacy_init_op"
        meta.collection_def[key].node_list.value.append(op.name)
        asset = meta.asset_file_def.add(filename="vocab.txt")
        asset.tensor_info.name = path.name
        meta.signature_def["serving_default"].CopyFrom(tf.saved_model.predict_signature_def(
            {"words": words}, outputs))
    os.makedirs(export_dir / "assets")
    shutil.copy(vocab, export_dir / "assets" / "vocab.txt")
    sm = saved_model_pb2.SavedModel(saved_model_schema_version=1, meta_graphs=[meta])
    (export_dir / "saved_model.pb").write_bytes(sm.SerializeToString())


def _load(lib, export_dir, fetches, feeds=None):
    """``lib``'s loader.load into a new graph; then ``fetches`` (names) run."""
    with lib.Graph().as_default() as graph:
        sess = lib.Session(graph=graph)
        meta = lib.saved_model.loader.load(sess, ["serve"], str(export_dir))
        return meta, graph, sess.run(fetches, feeds or {})


# -- TF-free ----------------------------------------------------------------------------------
@pytest.mark.parametrize("init", ["main_op", "legacy_init_op"])
def test_main_op_with_local_variable_fills_tables_and_initialises_it(tmp_path, init):
    vocab = _vocab(tmp_path)
    _tf1_style_model(tmp_path / "m", vocab, init=init)
    vocab.unlink()  # read from the model's assets/, as TF's loader feeds it
    _, _, got = _load(tf, tmp_path / "m", ["ids:0", "lv:0", "lv_plus:0", "gv:0", "gv_times:0"],
                      {"words:0": WORDS})
    np.testing.assert_array_equal(got[0], IDS)
    assert got[1:] == [1.0, 2.0, 5.0, 15.0]  # lv as the main op sets it; gv from variables/


def test_local_variables_only_needs_no_checkpoint(tmp_path):
    _tf1_style_model(tmp_path / "m", _vocab(tmp_path), global_var=False)
    assert os.listdir(tmp_path / "m" / "variables") == []
    _, _, (ids, lv) = _load(tf, tmp_path / "m", ["ids:0", "lv_plus:0"], {"words:0": WORDS})
    np.testing.assert_array_equal(ids, IDS)
    assert lv == 2.0


def test_missing_checkpoint_of_global_variable_still_an_error(tmp_path):
    _tf1_style_model(tmp_path / "m", _vocab(tmp_path))
    shutil.rmtree(tmp_path / "m" / "variables")
    with pytest.raises(NotFoundError, match=r"graph has variables \(gv\) but there is no "):
        _load(tf, tmp_path / "m", [])


def test_loader_imports_collections(tmp_path):
    _tf1_style_model(tmp_path / "m", _vocab(tmp_path))
    with tf.Graph().as_default() as graph:
        sess = tf.Session(graph=graph)
        tf.saved_model.loader.load(sess, ["serve"], str(tmp_path / "m"), import_scope="s")
        outs = tf.get_collection("outputs")
        assert [t.name for t in outs] == ["s/ids:0"]
        np.testing.assert_array_equal(sess.run(outs[0], {"s/words:0": WORDS}), IDS)
        assert tf.get_collection("names") == ["s/hello"]  # TF: a string under import_scope
        assert tf.get_collection("counts") == [7]
        assert [t.name for t in tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS)] == [
            "s/vocab_path:0"]
        # The variables are constants now; the init op (it assigns them) is left out.
        assert tf.global_variables() == [] and tf.local_variables() == []
        assert tf.get_collection("saved_model_main_op") == []


def _minitf_model_with_collections(export_dir):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.Variable([[1.0], [2.0]], name="w")
        y = tf.matmul(x, w, name="y")
        unused = tf.constant(3.0, name="unused")  # not needed by the signature: pruned
        for key, value in (("inputs", x), ("outputs", y), ("outputs", unused),
                           ("names", "hello"), ("ints", 3), ("floats", 0.5),
                           ("ops", y.op), ("weights", w)):
            tf.add_to_collection(key, value)
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        tf.saved_model.simple_save(sess, str(export_dir), {"x": x}, {"y": y})


def test_builder_writes_collections_of_what_it_saves(tmp_path):
    _minitf_model_with_collections(tmp_path / "m")
    sm = saved_model_pb2.SavedModel.FromString((tmp_path / "m" / "saved_model.pb").read_bytes())
    cols = sm.meta_graphs[0].collection_def
    assert list(cols["outputs"].node_list.value) == ["y:0"]
    assert list(cols["names"].bytes_list.value) == [b"hello"]
    assert list(cols["ints"].int64_list.value) == [3]
    assert list(cols["floats"].float_list.value) == [0.5]
    assert list(cols["ops"].node_list.value) == ["y"]
    assert list(cols["weights"].node_list.value) == ["w:0"]  # a Const now
    assert "variables" not in cols and "trainable_variables" not in cols
    with tf.Graph().as_default() as graph:
        sess = tf.Session(graph=graph)
        tf.saved_model.loader.load(sess, ["serve"], str(tmp_path / "m"))
        (y,) = tf.get_collection("outputs")
        np.testing.assert_allclose(sess.run(y, {"x:0": [[1.0, 1.0], [2.0, -1.0]]}),
                                   [[3.0], [0.0]])
        assert tf.get_collection("names") == [b"hello"]
        assert tf.get_collection("ints") == [3] and tf.get_collection("floats") == [0.5]
        assert tf.get_collection("ops") == [graph.get_operation_by_name("y")]
        np.testing.assert_allclose(sess.run(tf.get_collection("weights")[0]), [[1.0], [2.0]])


def _minitf_model_with_asset(export_dir, vocab, as_text=False):
    with tf.Graph().as_default():
        words = tf.placeholder(tf.string, [None], name="words")
        path = tf.constant(str(vocab), name="vocab_path")
        tf.add_to_collection(tf.GraphKeys.ASSET_FILEPATHS, path)
        table = tf.lookup.StaticHashTable(
            tf.lookup.TextFileInitializer(path, tf.string, -2, tf.int64, -1), -1)
        ids = table.lookup(words)
        sess = tf.Session()
        sess.run(tf.tables_initializer())
        builder = tf.saved_model.builder.SavedModelBuilder(str(export_dir))
        builder.add_meta_graph_and_variables(
            sess, ["serve"], {"serving_default": tf.saved_model.predict_signature_def(
                {"words": words}, {"ids": ids})},
            assets_collection=tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS),
            main_op=tf.tables_initializer())
        return builder.save(as_text=as_text)


@pytest.mark.parametrize("as_text", [False, True])
def test_builder_saves_assets_and_the_model_moves(tmp_path, as_text):
    vocab = _vocab(tmp_path)
    file = _minitf_model_with_asset(tmp_path / "m", vocab, as_text)
    assert file == str(tmp_path / "m" / ("saved_model.pbtxt" if as_text else
                                         "saved_model.pb")).encode()
    assert sorted(os.listdir(tmp_path / "m")) == ["assets", os.path.basename(file.decode()),
                                                  "variables"]
    assert (tmp_path / "m" / "assets" / "vocab.txt").read_text() == "apple\nbanana\n"
    vocab.unlink()
    shutil.move(tmp_path / "m", tmp_path / "moved")
    meta, graph, (ids,) = _load(tf, tmp_path / "moved", [_ids_name(tmp_path / "moved")],
                                {"words:0": WORDS})
    np.testing.assert_array_equal(ids, IDS)
    assert [(a.filename, a.tensor_info.name) for a in meta.asset_file_def] == [
        ("vocab.txt", "vocab_path:0")]
    assert [t.name for t in graph.get_collection(tf.GraphKeys.ASSET_FILEPATHS)] == [
        "vocab_path:0"]


def _ids_name(export_dir) -> str:
    from minitf.export.tf1_saved_model import load

    with tf.Graph().as_default():
        return load(tf.Session(), ["serve"], str(export_dir)).signature_def[
            "serving_default"].outputs["ids"].name


def test_builder_asset_names_and_errors(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    first, second = _vocab(a, lines=("p",)), _vocab(b, lines=("q",))
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        y = tf.identity(x, name="y")
        paths = [tf.constant(str(first)), tf.constant(str(second)), tf.constant(str(first))]
        sess = tf.Session()
        sig = {"s": tf.saved_model.predict_signature_def({"x": x}, {"y": y})}
        builder = tf.saved_model.Builder(str(tmp_path / "m"))
        builder.add_meta_graph_and_variables(sess, ["serve"], sig, assets_collection=paths)
        builder.save()
        sm = saved_model_pb2.SavedModel.FromString(
            (tmp_path / "m" / "saved_model.pb").read_bytes())
        # TF's names: a different file of a taken name gets "_1"; the same file is kept once.
        assert [(a.filename, a.tensor_info.name) for a in sm.meta_graphs[0].asset_file_def] \
            == [("vocab.txt", "Const:0"), ("vocab.txt_1", "Const_1:0"), ("vocab.txt", "Const_2:0")]
        assert sorted(os.listdir(tmp_path / "m" / "assets")) == ["vocab.txt", "vocab.txt_1"]
        assert (tmp_path / "m" / "assets" / "vocab.txt_1").read_text() == "q\n"
        for bad, error, match in (
                (tf.identity(paths[0]), TypeError, "must be of type constant"),
                (tf.constant(1.0), TypeError, "must be of dtype string"),
                (tf.constant(str(tmp_path / "nope.txt")), NotFoundError, "does not exist")):
            builder = tf.saved_model.Builder(str(tmp_path / "bad"))
            with pytest.raises(error, match=match):
                builder.add_meta_graph_and_variables(sess, ["serve"], sig,
                                                     assets_collection=[bad])
            assert not (tmp_path / "bad").exists()


# -- side by side with TensorFlow ---------------------------------------------------------------
def _tf_model(tf1, export_dir, vocab, variant, resource=False):
    """The probe's model written by TF's builder: ``variant`` is main_op (TF's standard one),
    legacy (a legacy_init_op group) or local_only (main_op, no global variable); the
    variables are ref variables (as the probe's), or resource ones."""
    with tf1.Graph().as_default():
        words = tf1.placeholder(tf1.string, [None], name="words")
        path = tf1.constant(str(vocab))
        tf1.add_to_collection(tf1.GraphKeys.ASSET_FILEPATHS, path)
        table = tf1.lookup.StaticHashTable(
            tf1.lookup.TextFileInitializer(path, tf1.string, -2, tf1.int64, -1), -1)
        ids = tf1.identity(table.lookup(words), name="ids")
        lv = tf1.get_local_variable("lv", initializer=tf1.constant(1.0), use_resource=resource)
        outs = {"ids": ids, "lv_plus": tf1.add(lv, 1.0, name="lv_plus")}
        if variant != "local_only":
            gv = tf1.Variable(2.0, name="gv", use_resource=resource)
            outs["gv_times"] = tf1.multiply(gv, 3.0, name="gv_times")
        tf1.add_to_collection("outputs", ids)
        tf1.add_to_collection("names", "hello")
        sess = tf1.Session()
        sess.run([tf1.global_variables_initializer(), tf1.local_variables_initializer(),
                  tf1.tables_initializer()])
        builder = tf1.saved_model.builder.SavedModelBuilder(str(export_dir))
        init = {"legacy_init_op": tf1.group(tf1.tables_initializer(),
                                            tf1.local_variables_initializer())} \
            if variant == "legacy" else {"main_op": tf1.saved_model.main_op.main_op()}
        builder.add_meta_graph_and_variables(
            sess, ["serve"], {"serving_default": tf1.saved_model.predict_signature_def(
                {"words": words}, outs)},
            assets_collection=tf1.get_collection(tf1.GraphKeys.ASSET_FILEPATHS), **init)
        builder.save()


@pytest.mark.parametrize("variant,resource", [("main_op", False), ("legacy", False),
                                              ("local_only", False), ("main_op", True),
                                              ("local_only", True)])
def test_tf_written_model_with_init_op_group_side_by_side(tmp_path, variant, resource):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    vocab = _vocab(tmp_path)
    _tf_model(tf1, tmp_path / "m", vocab, variant, resource)
    vocab.unlink()
    if variant == "local_only":  # TF writes no checkpoint
        assert not (tmp_path / "m" / "variables" / "variables.index").exists()
    lv = "lv/Read/ReadVariableOp:0" if resource else "lv:0"
    fetches = ["ids:0", lv, "lv_plus:0"] + (["gv_times:0"] if variant != "local_only" else [])
    got = {}
    for lib in (tf1, tf):
        _, graph, values = _load(lib, tmp_path / "m", fetches, {"words:0": WORDS})
        with graph.as_default():
            got[lib] = (values, [t.name for t in lib.get_collection("outputs")],
                        lib.get_collection("names"))
    np.testing.assert_array_equal(got[tf1][0][0], IDS)
    np.testing.assert_array_equal(got[tf][0][0], got[tf1][0][0])
    want = [1.0, 2.0] + ([6.0] if variant != "local_only" else [])
    assert [float(v) for v in got[tf][0][1:]] == [float(v) for v in got[tf1][0][1:]] == want
    assert got[tf][1:] == got[tf1][1:] == (["ids:0"], [b"hello"])


def test_minitf_written_collections_and_assets_side_by_side(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    _minitf_model_with_collections(tmp_path / "c")
    vocab = _vocab(tmp_path)
    _minitf_model_with_asset(tmp_path / "a", vocab)
    vocab.unlink()
    shutil.move(tmp_path / "a", tmp_path / "moved")
    ids_name = _ids_name(tmp_path / "moved")
    for lib in (tf1, tf):
        with lib.Graph().as_default() as graph:
            sess = lib.Session(graph=graph)
            lib.saved_model.loader.load(sess, ["serve"], str(tmp_path / "c"))
            (y,) = lib.get_collection("outputs")
            np.testing.assert_allclose(sess.run(y, {"x:0": [[1.0, 1.0]]}), [[3.0]])
            assert lib.get_collection("names") == [b"hello"]
            assert lib.get_collection("ints") == [3]
        _, graph, (ids,) = _load(lib, tmp_path / "moved", [ids_name], {"words:0": WORDS})
        np.testing.assert_array_equal(ids, IDS)
        with graph.as_default():
            assert [t.name for t in lib.get_collection(lib.GraphKeys.ASSET_FILEPATHS)] == [
                "vocab_path:0"]


def test_tf_written_assets_model_moves_side_by_side(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    vocab = _vocab(tmp_path)
    _tf_model(tf1, tmp_path / "m", vocab, "main_op")
    vocab.unlink()
    shutil.move(tmp_path / "m", tmp_path / "moved")
    results = [_load(lib, tmp_path / "moved", ["ids:0"], {"words:0": WORDS})[2][0]
               for lib in (tf1, tf)]
    np.testing.assert_array_equal(results[0], IDS)
    np.testing.assert_array_equal(results[1], IDS)


def test_the_server_loader_serves_a_signature_reading_a_local_variable(tmp_path):
    """load_saved_model (what minitf serve loads): a local variable no checkpoint holds gets
    the value TF Serving's main op gives it, with or without a checkpoint for the rest."""
    from minitf.export import load_saved_model
    from minitf.serving.servable import Servable

    for global_var in (True, False):
        export_dir = tmp_path / f"m{global_var}"
        _tf1_style_model(export_dir, _vocab(tmp_path), global_var=global_var)
        runner = Servable("m", 1, load_saved_model(str(export_dir))).signature(None)
        got = runner.run(runner.validate({"words": np.array(WORDS, object)}),
                         tuple(runner.output_names))
        np.testing.assert_array_equal(got["ids"], IDS)
        assert got["lv_plus"] == 2.0  # lv = 1.0, as the main op sets it
        if global_var:
            assert got["gv_times"] == 15.0  # gv = 5.0 from variables/
