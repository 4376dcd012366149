"""Loading a SavedModel with many signatures over a big graph costs signatures + nodes, not
their product: the loader builds a GraphDef's name index (``node_index``) a fixed number of
times, and each signature's closure and op/dtype checks walk only what that signature reaches.
(It used to rebuild the index in every closure, several per signature: 64 signatures over a
28k-node graph took 18 s to load.) Counted, not timed: the number of index builds must not
grow with the number of signatures. TF-free: minitf writes the model as TF's builder does."""

from __future__ import annotations

import os
import shutil
import sys

import numpy as np
import pytest

import minitf as tf
from minitf import export
from minitf.export import freeze_graph_def

W = np.array([0.5, -1.5, 2.0, 0.25], np.float32)
X = np.array([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 0.0, 8.0]], np.float32)
CHAIN = 2500  # unused Mul nodes, each with its Const and gradient: ~15k nodes


def _write(export_dir, n_sigs):
    """An unfrozen SavedModel as TF's builder writes it (variables in variables/, the saver's
    ops and a training step in the graph) of a ~15k-node graph whose part the signatures use
    is tiny: ``y = x * w + i`` for signature i, and a signature "train" that runs the training
    step (left out: it changes variables). Returns the session's outputs (the unfrozen
    reference) by signature."""
    from minitf.export.meta_graph import meta_graph_of
    from minitf.protos import saved_model_pb2

    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        w = tf.Variable(np.zeros(4, np.float32), name="w")
        z = tf.Variable(np.ones(4, np.float32), name="z")
        y = z
        for _ in range(CHAIN):  # a training part the served signatures never run
            y = y * 1.0001
        loss = tf.reduce_sum(y)
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        with tf.control_dependencies([train]):
            step = tf.identity(loss)
        heads = {("serving_default" if i == 0 else f"s{i}"): x * w + float(i)
                 for i in range(n_sigs)}
        saver = tf.train.Saver([w, z], write_version=tf.train.SaverDef.V2)
        meta = meta_graph_of(graph)
        meta.saver_def.CopyFrom(saver.as_saver_def())
        meta.meta_info_def.tags.append("serve")
        for k, t in heads.items():
            meta.signature_def[k].CopyFrom(
                tf.saved_model.predict_signature_def({"x": x}, {"y": t}))
        meta.signature_def["train"].CopyFrom(
            tf.saved_model.predict_signature_def({"x": x}, {"loss": step}))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(w.assign(W))  # only the checkpoint holds it
            expected = sess.run(heads, {x: X})
            os.makedirs(os.path.join(export_dir, "variables"))
            saver.save(sess, os.path.join(export_dir, "variables", "variables"),
                       write_meta_graph=False)
    sm = saved_model_pb2.SavedModel(saved_model_schema_version=1, meta_graphs=[meta])
    with open(os.path.join(export_dir, "saved_model.pb"), "wb") as f:
        f.write(sm.SerializeToString())
    return expected


def _fewer_signatures(src, dst, keep):
    """A copy of the SavedModel ``src`` with only the signatures ``keep`` (same graph)."""
    from minitf.protos import saved_model_pb2

    shutil.copytree(src, dst)
    path = os.path.join(dst, "saved_model.pb")
    with open(path, "rb") as f:
        sm = saved_model_pb2.SavedModel.FromString(f.read())
    sigs = sm.meta_graphs[0].signature_def
    for k in [k for k in sigs if k not in keep]:
        del sigs[k]
    with open(path, "wb") as f:
        f.write(sm.SerializeToString())


@pytest.fixture
def count_index_builds(monkeypatch):
    """Counts ``node_index`` calls, however a module bound the name."""
    original = freeze_graph_def.node_index
    calls = []

    def counting(graph_def):
        calls.append(len(graph_def.node))
        return original(graph_def)

    for name, module in list(sys.modules.items()):
        if name.startswith("minitf.export") and getattr(module, "node_index", None) is original:
            monkeypatch.setattr(module, "node_index", counting)
    return calls


def _run(model, name):
    sig = model.signatures[name]
    with tf.Session(graph=model.graph) as sess:
        return sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: X})


def test_index_builds_do_not_grow_with_signatures(tmp_path, count_index_builds):
    expected = _write(str(tmp_path / "m64"), 64)
    keep2 = ["serving_default", "s1", "train"]
    _fewer_signatures(str(tmp_path / "m64"), str(tmp_path / "m2"), keep2)
    builds = {}
    for n_sigs, sigs in ((2, keep2[:2]), (64, list(expected))):
        count_index_builds.clear()
        model = export.load_saved_model(str(tmp_path / f"m{n_sigs}"))
        builds[n_sigs] = list(count_index_builds)
        assert sorted(model.signatures) == sorted(sigs)
        assert list(model.left_out) == ["train"]  # it changes variables: left out, as before
        for name in sigs:  # numpy reference and the unfrozen session agree with the load
            i = 0 if name == "serving_default" else int(name[1:])
            np.testing.assert_allclose(expected[name], X * W + i, rtol=1e-6)
            np.testing.assert_allclose(_run(model, name), expected[name], rtol=1e-6)
    assert max(builds[64]) > 2 * CHAIN  # the big graph itself was indexed
    # Each GraphDef's index is built a fixed number of times, the same for 2 signatures as
    # for 64 (it was several per signature: hundreds of builds of the big graph for 64).
    assert len(builds[64]) == len(builds[2]), builds
    assert len(builds[64]) <= 10, builds[64]


def test_shared_index_gives_the_same_answers(tmp_path):
    """The checks given a shared index answer as they do building their own."""
    from minitf.export.model_support import missing_ops, unsupported_dtypes
    from minitf.export.saved_model import read_saved_model
    from minitf.protos import types_pb2

    _write(str(tmp_path / "m"), 4)
    _, sm, _ = read_saved_model(str(tmp_path / "m"))
    gd = sm.meta_graphs[0].graph_def
    odd = gd.node.add(name="odd", op="NoSuchOpHere", input=["x"])  # a signature needing it
    odd.attr["T"].type = types_pb2.DT_BFLOAT16
    sigs = sm.meta_graphs[0].signature_def
    sigs["s3"].outputs["y"].name = "odd:0"
    index = freeze_graph_def.node_index(gd)
    roots = {k: [v.name.split(":")[0] for v in (*sd.inputs.values(), *sd.outputs.values())]
             for k, sd in sigs.items()}
    for r in roots.values():
        assert missing_ops(gd, r, index) == missing_ops(gd, r)
        assert unsupported_dtypes(gd, r, index) == unsupported_dtypes(gd, r)
        assert freeze_graph_def.graph_def_closure(gd, r, (), index) == \
            freeze_graph_def.graph_def_closure(gd, r)
    assert missing_ops(gd, roots["s3"], index) == ["NoSuchOpHere"]
    assert unsupported_dtypes(gd, roots["s3"], index) == ["DT_BFLOAT16"]
    assert missing_ops(gd, roots["s1"], index) == []
    assert freeze_graph_def.cuttable_inputs(gd, sigs, index) == \
        freeze_graph_def.cuttable_inputs(gd, sigs) == {"x"}
    # ... and a load leaves out the signature that needs the missing op, as before.
    sm_path = os.path.join(str(tmp_path / "m"), "saved_model.pb")
    with open(sm_path, "wb") as f:
        f.write(sm.SerializeToString())
    model = export.load_saved_model(str(tmp_path / "m"))
    assert sorted(model.signatures) == ["s1", "s2", "serving_default"]
    assert "NoSuchOpHere" in model.left_out["s3"]
    np.testing.assert_allclose(_run(model, "s2"), X * W + 2, rtol=1e-6)
