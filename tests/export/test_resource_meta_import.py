"""TensorFlow's resource variables (VarHandleOp, ReadVariableOp, AssignVariableOp, the
ResourceApply* training ops) in ``.meta`` files and GraphDefs: imported in minitf's
resource-variable form (export/resource_import.py), restored by the file's Saver ops, run,
trained and saved again. ``data/resource_meta/`` was written by TensorFlow
(data/generate_with_tensorflow.py, ``generate_resource_meta``); ``resource_meta.npz`` holds
TF's outputs and each optimizer's step."""

import os
import sys

import numpy as np
import pytest

import minitf as tf
from minitf.errors import NotFoundError, UnimplementedError
from minitf.export.freeze import freeze_from_checkpoint
from minitf.protos import graph_pb2, types_pb2

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "core"))
from legacy_tf import tf_side_json  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "data")
META = os.path.join(DATA, "resource_meta", "model.ckpt.meta")
CKPT = os.path.join(DATA, "resource_meta", "model.ckpt")
VARS = ("net/w", "net/b", "net/emb", "net/scale")


@pytest.fixture(scope="module")
def ref():
    return dict(np.load(os.path.join(DATA, "resource_meta.npz")))


def _feeds(ref, training=False):
    return {"x:0": ref["in:x"], "ids:0": ref["in:ids"], "training:0": training}


def _restored():
    graph = tf.Graph()
    with graph.as_default():
        saver = tf.train.import_meta_graph(META)
    sess = tf.Session(graph=graph)
    saver.restore(sess, CKPT)
    return graph, sess, saver


def test_restore_and_run_match_tensorflow(ref):
    graph, sess, _ = _restored()
    with sess:
        np.testing.assert_array_equal(sess.run("y:0", _feeds(ref)), ref["out:y"])
        # the true branch reads net/scale through a Switch of its handle (tf.cond)
        np.testing.assert_array_equal(sess.run("y:0", _feeds(ref, True)), ref["out:y_training"])
        gvars = graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)
        tvars = graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)
        assert [v.op.name for v in tvars] == list(VARS)
        assert all(v._resource for v in gvars) and len(gvars) > len(tvars)  # slots too
        w = tvars[0]
        assert w._snapshot.name == "net/w/Read/ReadVariableOp:0"
        # a resource read: a new Copy each time, as TF's ReadVariableOp
        with graph.as_default():
            np.testing.assert_array_equal(sess.run(w.read_value()),
                                          sess.run("net/w/Read/ReadVariableOp:0"))
        assert sess.run(graph.get_operation_by_name(
            "net/w/IsInitialized/VarIsInitializedOp").outputs[0])


@pytest.mark.parametrize("optimizer", ["gd", "adam", "momentum", "adagrad", "rmsprop"])
def test_resource_training_ops_match_tensorflow(ref, optimizer):
    """ResourceApply*/ResourceScatterAdd (a gather's gradient) as their minitf kernels."""
    graph, sess, _ = _restored()
    with sess:
        before = sess.run([f"{n}/Read/ReadVariableOp:0" for n in VARS])
        sess.run(f"train_{optimizer}", _feeds(ref, True))
        for name, old in zip(VARS, before):
            got = sess.run(f"{name}/Read/ReadVariableOp:0")
            want = ref[f"{optimizer}:{name}"]
            assert not np.array_equal(old, want)  # the step changed it
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=name)


def test_minitf_optimizer_on_imported_resource_variables(ref):
    """minitf's own gradients and optimizer over the imported reads (Copy, Identity's
    gradient) give TF's gradient-descent step."""
    graph, sess, _ = _restored()
    with graph.as_default():
        step = tf.train.GradientDescentOptimizer(0.1).minimize(graph.get_tensor_by_name(
            "loss:0"), var_list=graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES))
    with sess:
        sess.run(step, _feeds(ref, True))
        for name in VARS:
            np.testing.assert_allclose(sess.run(f"{name}/Read/ReadVariableOp:0"),
                                       ref[f"gd:{name}"], rtol=1e-6, atol=1e-7)


def test_resave_with_the_files_saver_and_restore(ref, tmp_path):
    graph, sess, saver = _restored()
    with sess:
        sess.run("train_adam", _feeds(ref, True))
        prefix = saver.save(sess, str(tmp_path / "again"))
    assert os.path.exists(prefix + ".index")  # TF's bundle, by the file's SaveV2 ops
    reader = tf.train.NewCheckpointReader(prefix)
    np.testing.assert_allclose(reader.get_tensor("net/w"), ref["adam:net/w"], rtol=1e-6)
    graph2 = tf.Graph()
    with graph2.as_default():
        saver2 = tf.train.import_meta_graph(META)
    with tf.Session(graph=graph2) as sess2:
        saver2.restore(sess2, prefix)
        for name in VARS:
            np.testing.assert_allclose(sess2.run(f"{name}/Read/ReadVariableOp:0"),
                                       ref[f"adam:{name}"], rtol=1e-6, atol=1e-7)


def test_import_graph_def_then_restore_ops(ref):
    """A bare GraphDef (no collections): the Saver's restore ops run as they are."""
    from minitf.export.meta_graph import read_meta_graph

    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(read_meta_graph(META).graph_def, name="")
    with tf.Session(graph=graph) as sess:
        sess.run("save/restore_all", {"save/Const:0": CKPT})
        np.testing.assert_array_equal(sess.run("y:0", _feeds(ref)), ref["out:y"])


def test_export_from_graph_and_checkpoint(ref):
    """``minitf export --graph G --checkpoint C``'s freeze over TF's resource variables."""
    from minitf.export.meta_graph import read_meta_graph

    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(read_meta_graph(META).graph_def, name="")
    frozen = freeze_from_checkpoint(graph, CKPT, {"x": "x:0", "ids": "ids:0"}, {"y": "y:0"})
    with tf.Session(graph=frozen.graph) as sess:
        out = sess.run(frozen.outputs["y"], {frozen.inputs["x"]: ref["in:x"],
                                             frozen.inputs["ids"]: ref["in:ids"]})
    np.testing.assert_array_equal(out, ref["out:y"])


# -- a GraphDef of TF's resource-variable form built by hand -----------------------------------
def _node(gd, name, op, inputs=(), **attrs):
    n = gd.node.add(name=name, op=op)
    n.input.extend(inputs)
    for k, v in attrs.items():
        if k == "shape":
            for d in v:
                n.attr[k].shape.dim.add(size=d)
        elif k == "value":
            from minitf.export.tensors import make_tensor_proto

            n.attr[k].tensor.CopyFrom(make_tensor_proto(v))
        elif isinstance(v, bool):
            n.attr[k].b = v
        elif isinstance(v, bytes):
            n.attr[k].s = v
        else:
            n.attr[k].type = v
    return n


def _repro_graph_def(extra=None):
    F = types_pb2.DT_FLOAT
    gd = graph_pb2.GraphDef()
    _node(gd, "x", "Placeholder", dtype=F, shape=[-1, 2])
    _node(gd, "w/Initializer/initial_value", "Const", dtype=F,
          value=np.array([[1.], [2.]], np.float32))
    _node(gd, "w", "VarHandleOp", dtype=F, shape=[2, 1], shared_name=b"w",
          debug_name=b"w/")
    _node(gd, "w/IsInitialized/VarIsInitializedOp", "VarIsInitializedOp", ["w"])
    _node(gd, "w/Assign", "AssignVariableOp", ["w", "w/Initializer/initial_value"], dtype=F,
          validate_shape=False)
    _node(gd, "w/Read/ReadVariableOp", "ReadVariableOp", ["w"], dtype=F)
    _node(gd, "MatMul/ReadVariableOp", "ReadVariableOp", ["w"], dtype=F)
    _node(gd, "MatMul", "MatMul", ["x", "MatMul/ReadVariableOp"], T=F)
    _node(gd, "y", "Identity", ["MatMul"], T=F)
    _node(gd, "delta", "Const", dtype=F, value=np.array([[0.5], [0.25]], np.float32))
    _node(gd, "add", "AssignAddVariableOp", ["w", "delta"], dtype=F)
    _node(gd, "lr", "Const", dtype=F, value=np.float32(0.1))
    _node(gd, "sgd", "ResourceApplyGradientDescent", ["w", "lr", "delta"], T=F)
    if extra:
        extra(gd)
    return gd


def test_hand_built_resource_graph_def_without_tensorflow():
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(_repro_graph_def(), name="")
    ops = {op.name: op.type for op in graph.get_operations()}
    assert ops["w"] == "VariableV2" and ops["w/Read/ReadVariableOp"] == "Copy"
    x = np.array([[1., 1.], [2., -1.]], np.float32)
    w = np.array([[1.], [2.]], np.float32)
    with tf.Session(graph=graph) as sess:
        assert not sess.run("w/IsInitialized/VarIsInitializedOp:0")
        sess.run("w/Assign")
        assert sess.run("w/IsInitialized/VarIsInitializedOp:0")
        np.testing.assert_array_equal(sess.run("y:0", {"x:0": [[1., 1.]]}), [[3.]])
        sess.run("add")
        w = w + [[0.5], [0.25]]
        np.testing.assert_allclose(sess.run("y:0", {"x:0": x}), x @ w)
        sess.run("sgd")
        w = w - 0.1 * np.array([[0.5], [0.25]], np.float32)
        np.testing.assert_allclose(sess.run("w/Read/ReadVariableOp:0"), w, rtol=1e-6)
    # minitf's form exports (VariableV2, Copy reads) and imports again
    again = tf.Graph()
    with again.as_default():
        tf.import_graph_def(graph.as_graph_def(), name="")
    assert again.get_operation_by_name("w").type == "VariableV2"


def test_resource_op_without_equivalent_is_refused_by_name():
    def keras_momentum(gd):
        _node(gd, "km", "ResourceApplyKerasMomentum", ["w", "w", "lr", "delta", "lr"],
              T=types_pb2.DT_FLOAT)

    graph = tf.Graph()
    with graph.as_default(), pytest.raises(NotFoundError,  # TF's class for an unknown op
                                           match="ResourceApplyKerasMomentum"):
        tf.import_graph_def(_repro_graph_def(keras_momentum), name="")
    assert not graph.get_operations()  # all or nothing


def test_update_through_an_identity_of_a_handle_is_refused():
    def via_identity(gd):
        _node(gd, "h", "Identity", ["w"], T=types_pb2.DT_RESOURCE)
        _node(gd, "h_read", "ReadVariableOp", ["h"], dtype=types_pb2.DT_FLOAT)
        _node(gd, "h_assign", "AssignVariableOp", ["h", "delta"], dtype=types_pb2.DT_FLOAT)

    graph = tf.Graph()
    with graph.as_default(), pytest.raises(UnimplementedError, match="h_assign"):
        tf.import_graph_def(_repro_graph_def(via_identity), name="")


# -- side by side with TensorFlow (skips without it) -------------------------------------------
_TF_REPRO = r"""
import json, sys
import numpy as np, tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
out = sys.argv[1]
x = tf.placeholder(tf.float32, [None, 2], name="x")
w = tf.get_variable("w", initializer=np.array([[1.], [2.]], np.float32), use_resource=True)
y = tf.identity(tf.matmul(x, w), name="y")
with tf.Session() as s:
    s.run(tf.global_variables_initializer())
    tf.train.Saver().save(s, out + "/rv/model.ckpt")
    ry = s.run(y, {x: [[1., 1.]]})
g = tf.Graph()
with g.as_default():
    keras = tf.keras  # tf_keras' v1 API (TF_USE_LEGACY_KERAS)
    inp = keras.Input([4], name="inp")
    h = keras.layers.Dense(8, activation="relu", name="d1")(inp)
    o = keras.layers.Dense(3, name="d2")(h)
    model = keras.Model(inp, o)
    sess = keras.backend.get_session()
    xs = np.random.RandomState(0).randn(5, 4).astype(np.float32)
    ky = sess.run(o, {inp: xs})
    tf.train.Saver().save(sess, out + "/keras/model.ckpt")
print(json.dumps({"y": ry.tolist(), "x": xs.tolist(), "ky": ky.tolist(),
                  "kin": inp.name, "kout": o.name}))
"""


def test_tensorflow_resource_variables_side_by_side(tmp_path):
    got = tf_side_json(_TF_REPRO, tmp_path)
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        saver = tf.train.import_meta_graph(str(tmp_path / "rv/model.ckpt.meta"))
        saver.restore(sess, str(tmp_path / "rv/model.ckpt"))
        np.testing.assert_array_equal(sess.run("y:0", {"x:0": [[1., 1.]]}), got["y"])
        saver.save(sess, str(tmp_path / "rv/again"))
        np.testing.assert_array_equal(
            tf.train.NewCheckpointReader(str(tmp_path / "rv/again")).get_tensor("w"),
            [[1.], [2.]])
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        saver = tf.train.import_meta_graph(str(tmp_path / "keras/model.ckpt.meta"))
        saver.restore(sess, str(tmp_path / "keras/model.ckpt"))
        assert {v.op.name for v in tf.trainable_variables()} >= {"d1/kernel", "d2/bias"}
        np.testing.assert_allclose(sess.run(got["kout"], {got["kin"]: got["x"]}), got["ky"],
                                   rtol=1e-5, atol=1e-6)
