"""Variables of 1 KB or more in an unfrozen SavedModel (TF's simple_save / builder / TF2 save)
keep their checkpoint values when loaded: freezing hands their bytes back beside the GraphDef
(for the zero-copy importer), and ``loader.load`` used to drop them, so such a variable became
zeros. The TF-free tests build the unfrozen SavedModel with minitf's own meta graph export
and Saver, as TF's builder writes it; the side-by-side one has TensorFlow write it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import minitf as tf
from minitf import export
from minitf.errors import FailedPreconditionError
from minitf.protos import saved_model_pb2

DATA = Path(__file__).resolve().parent / "data"

RNG = np.random.default_rng(7)
W = RNG.standard_normal((16, 16)).astype(np.float32)  # 1024 bytes: just big
V = RNG.standard_normal((300, 300)).astype(np.float32)  # 360 KB
K = RNG.standard_normal((1100, 16)).astype(np.float32)  # 70 KB: the zero-copy reader
# holds it outside the proto (over 64 KB); a local variable takes it
X = RNG.standard_normal((3, 16)).astype(np.float32)
X2 = RNG.standard_normal((2, 300)).astype(np.float32)


def _unfrozen_model(export_dir):
    """A SavedModel as TF's builder writes it: variables ``w`` (16x16) and ``v`` (300x300)
    saved in variables/ after a change (so only the checkpoint has the right values); local
    variables ``lk`` = K (a big Const in the graph) and ``lw``, which the main op initialises
    and sets to 2 * w (the checkpoint's w, as TF's loader restores it first)."""
    from minitf.export.meta_graph import meta_graph_of

    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 16], name="x")
        x2 = tf.placeholder(tf.float32, [None, 300], name="x2")
        w = tf.Variable(np.zeros((16, 16), np.float32), name="w")
        v = tf.Variable(np.zeros((300, 300), np.float32), name="v")
        lk = tf.get_local_variable("lk", initializer=tf.constant(K))
        lw = tf.Variable(np.zeros((16, 16), np.float32), name="lw",
                         collections=[tf.GraphKeys.LOCAL_VARIABLES])
        outputs = {"y": tf.matmul(x, w, name="y"), "z": tf.matmul(x2, v, name="z"),
                   "k": tf.matmul(lk, tf.transpose(x), name="k"),
                   "u": tf.matmul(x, lw, name="u")}
        init = tf.group(lk.initializer, tf.assign(lw, tf.multiply(w, 2.0)), name="init_op")
        meta = meta_graph_of(graph)
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        sess.run([w.assign(W), v.assign(V)])
        os.makedirs(export_dir / "variables")
        tf.train.Saver([w, v], write_version=tf.train.SaverDef.V2).save(
            sess, str(export_dir / "variables" / "variables"), write_meta_graph=False)
        meta.meta_info_def.tags.append("serve")
        meta.collection_def["saved_model_main_op"].node_list.value.append(init.name)
        meta.signature_def["serving_default"].CopyFrom(tf.saved_model.predict_signature_def(
            {"x": x, "x2": x2}, outputs))
    sm = saved_model_pb2.SavedModel(saved_model_schema_version=1, meta_graphs=[meta])
    (export_dir / "saved_model.pb").write_bytes(sm.SerializeToString())


WANT = {"y:0": X @ W, "z:0": X2 @ V, "k:0": K @ X.T, "u:0": X @ (2 * W)}
FEEDS = {"x:0": X, "x2:0": X2}


def test_loader_load_keeps_big_variable_values(tmp_path):
    _unfrozen_model(tmp_path / "m")
    with tf.Session(graph=tf.Graph()) as sess:
        tf.saved_model.loader.load(sess, ["serve"], str(tmp_path / "m"))
        got = sess.run(list(WANT), FEEDS)
    for (name, want), value in zip(WANT.items(), got):
        np.testing.assert_allclose(value, want, rtol=1e-5, atol=1e-4, err_msg=name)


def test_loader_load_with_import_scope_keeps_big_variable_values(tmp_path):
    _unfrozen_model(tmp_path / "m")
    with tf.Session(graph=tf.Graph()) as sess:
        tf.saved_model.loader.load(sess, ["serve"], str(tmp_path / "m"), import_scope="s")
        y, z = sess.run(["s/y:0", "s/z:0"], {"s/x:0": X, "s/x2:0": X2})
    np.testing.assert_allclose(y, X @ W, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(z, X2 @ V, rtol=1e-5, atol=1e-4)


def test_model_loader_keeps_big_values_and_local_initial_values(tmp_path):
    _unfrozen_model(tmp_path / "m")
    model = export.load_saved_model(tmp_path / "m")
    with tf.Session(graph=model.graph) as sess:
        got = sess.run(list(WANT), FEEDS)
    for (name, want), value in zip(WANT.items(), got):
        np.testing.assert_allclose(value, want, rtol=1e-5, atol=1e-4, err_msg=name)


# -- side by side with TensorFlow ---------------------------------------------------------------
_TF_WRITER = r"""
import json, sys
import numpy as np
import tensorflow as tf2
import tensorflow.compat.v1 as tf
out = sys.argv[1]
w = np.arange(256, dtype=np.float32).reshape(16, 16) / 100.0
v = (np.arange(90000, dtype=np.float32).reshape(300, 300) % 17) / 7.0
x, x2 = np.ones((2, 16), np.float32), np.ones((1, 300), np.float32)

class M(tf2.Module):  # TF2's save: resource variables, object-graph checkpoint keys
    def __init__(self):
        self.w = tf2.Variable(w)
        self.v = tf2.Variable(v)
    @tf2.function(input_signature=[tf2.TensorSpec([None, 16], tf2.float32),
                                   tf2.TensorSpec([None, 300], tf2.float32)])
    def __call__(self, a, b):
        return {"y": tf2.matmul(a, self.w), "z": tf2.matmul(b, self.v)}
m = M()
tf2.saved_model.save(m, out + "/tf2", signatures=m.__call__)
tf2_want = {k: t.numpy().tolist() for k, t in m(x, x2).items()}

tf.disable_v2_behavior()
g = tf.Graph()
with g.as_default():
    px = tf.placeholder(tf.float32, [None, 16], name="x")
    px2 = tf.placeholder(tf.float32, [None, 300], name="x2")
    vw = tf.Variable(w, name="w")
    vv = tf.Variable(v, name="v")
    y, z = tf.matmul(px, vw, name="y"), tf.matmul(px2, vv, name="z")
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        tf.saved_model.simple_save(s, out + "/tf1", {"x": px, "x2": px2}, {"y": y, "z": z})
with tf.Session(graph=tf.Graph()) as s:  # TF's own loader, as the reference
    meta = tf.saved_model.loader.load(s, ["serve"], out + "/tf1")
    tf1_want = dict(zip("yz", (a.tolist() for a in s.run(["y:0", "z:0"],
                                                             {"x:0": x, "x2:0": x2}))))
with tf.Session(graph=tf.Graph()) as s:
    meta = tf.saved_model.loader.load(s, ["serve"], out + "/tf2")
    sig = meta.signature_def["serving_default"]
    names = {k: sig.inputs[k].name for k in sig.inputs}
print(json.dumps({"tf1": tf1_want, "tf2": tf2_want, "tf2_inputs": names,
                  "tf2_outputs": {k: t.name for k, t in sig.outputs.items()}}))
"""


def test_tensorflow_written_big_variables_side_by_side(tmp_path):
    from tests.core.legacy_tf import tf_side_json

    got = tf_side_json(_TF_WRITER, str(tmp_path), legacy_keras=False)
    x, x2 = np.ones((2, 16), np.float32), np.ones((1, 300), np.float32)
    with tf.Session(graph=tf.Graph()) as sess:  # TF1 simple_save
        tf.saved_model.loader.load(sess, ["serve"], str(tmp_path / "tf1"))
        y, z = sess.run(["y:0", "z:0"], {"x:0": x, "x2:0": x2})
    np.testing.assert_allclose(y, got["tf1"]["y"], rtol=1e-5)
    np.testing.assert_allclose(z, got["tf1"]["z"], rtol=1e-5)
    assert np.abs(y).sum() > 0 and np.abs(z).sum() > 0
    with tf.Session(graph=tf.Graph()) as sess:  # TF2 save, through TF1's loader
        meta = tf.saved_model.loader.load(sess, ["serve"], str(tmp_path / "tf2"))
        sig = meta.signature_def["serving_default"]
        ins = {k: sig.inputs[k].name for k in sig.inputs}
        feed = dict(zip(sorted(ins.values()), (x, x2)))
        assert sorted(ins.values()) == sorted(got["tf2_inputs"].values())
        outs = sess.run({k: t.name for k, t in sig.outputs.items()}, feed)
    for key in ("y", "z"):
        np.testing.assert_allclose(outs[key], got["tf2"][key], rtol=1e-5)


# -- load_saved_model's lookup tables: tf.tables_initializer() fills them ---------------------
def _tf2_case(name):
    from .test_tf2_saved_model import tf_cases

    ((inputs, outputs),) = tf_cases(name).values()
    return inputs, outputs


@pytest.mark.parametrize("name", ["lookup_module", "vocab_module"])
def test_tables_initializer_fills_a_tf2_models_tables(tmp_path, name):
    # TF2 writes no TABLE_INITIALIZERS collection; the loaded graph has one, so the error's
    # hint works. (A copy elsewhere: the vocabulary is the model's own assets/ copy.)
    shutil.copytree(DATA / "tf2" / name, tmp_path / name)
    model = export.load_saved_model(tmp_path / name / "1")
    inputs, want = _tf2_case(name)
    sig = model.signatures["serving_default"]
    feeds = {sig.inputs[a].name: v.astype(object) for a, v in inputs.items()}
    fetches = {a: sig.outputs[a].name for a in want}
    with tf.Session(graph=model.graph) as sess:
        with pytest.raises(FailedPreconditionError, match="tables_initializer"):
            sess.run(fetches, feeds)
        with model.graph.as_default():
            init = tf.tables_initializer()
        assert sorted(op.name for op in init.control_inputs) == sorted(model.init_ops)
        sess.run(init)
        got = sess.run(fetches, feeds)
    for alias, value in want.items():
        np.testing.assert_array_equal(got[alias], value, err_msg=alias)


def test_tables_initializer_reads_a_moved_tf1_models_vocabulary_without_a_feed(tmp_path):
    # TF1's builder writes the vocabulary's path as a Const; the file it names is gone, so
    # only the model's assets/ copy can fill the table (TF's loader feeds that path).
    from .test_tf1_saved_model_probe_fixes import IDS, WORDS, _tf1_style_model, _vocab

    vocab = _vocab(tmp_path)
    _tf1_style_model(tmp_path / "m", vocab)
    vocab.unlink()
    model = export.load_saved_model(tmp_path / "m")
    with tf.Session(graph=model.graph) as sess:
        with model.graph.as_default():
            sess.run(tf.tables_initializer())
        np.testing.assert_array_equal(sess.run("ids:0", {"words:0": WORDS}), IDS)
    with tf.Session(graph=model.graph) as sess:  # fed the asset path, as the server does
        sess.run(list(model.init_ops), {n: np.array(p.encode(), dtype=object)
                                       for n, p in model.assets.items()})
        np.testing.assert_array_equal(sess.run("ids:0", {"words:0": WORDS}), IDS)


# -- minitf inspect counts an unfrozen SavedModel's checkpoint variables ----------------------
@pytest.mark.parametrize("name,want", [
    ("module_mlp", 4 * 6 + 6 + 6 * 3 + 3 * 2),  # w, b, v, emb (the generator's shapes)
    # Dense(8->16), BatchNormalization(16): gamma, beta, moving mean and variance, Dense(16->3)
    ("keras_mlp", 8 * 16 + 16 + 4 * 16 + 16 * 3 + 3)])
def test_inspect_counts_a_tf2_models_checkpoint_parameters(name, want):
    from minitf.export import inspect as mi

    info = mi.inspect_model(DATA / "tf2" / name / "1")
    assert not info["frozen"]
    assert info["checkpoint_parameters"] == want
    assert info["parameters"] == want  # (no float constants in TF2's outer graph)
    assert info["parameter_bytes"] == 4 * want
    assert f"parameters: {want:,} (" in mi.format_report(info)
    assert "variables/ checkpoint" in mi.format_report(info)


def test_inspect_counts_a_tf1_style_models_checkpoint_parameters(tmp_path):
    from minitf.export import inspect as mi

    _unfrozen_model(tmp_path / "m")
    info = mi.inspect_model(tmp_path / "m")
    assert info["checkpoint_parameters"] == 16 * 16 + 300 * 300  # w and v
    # The graph's float constants (the variables' zero initial values, K, 2.0) count too.
    in_graph = info["parameters"] - info["checkpoint_parameters"]
    assert in_graph == 16 * 16 + 300 * 300 + 1100 * 16 + 16 * 16 + 1
