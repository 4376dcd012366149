"""Default-valued attrs, as TensorFlow writes them: ``Graph.as_graph_def()``,
``Operation.node_def``, ``tf.train.write_graph`` of a graph, ``export_meta_graph`` and TF1's
SavedModelBuilder (``strip_default_attrs=False``, their default) write every declared attr,
the defaults filled in when the op was made; ``strip_default_attrs=True`` and minitf's own
frozen export (save_model, ``minitf export``) leave attrs at their default out.

Writing them is safe only if TensorFlow's importer knows every attr minitf writes, with the
same default: the last tests check minitf's whole op registry against TF's where TensorFlow is
installed. The expected attr names of the first tests are what tf.compat.v1 2.21 wrote for the
same graph (checked again, in a process of its own, by the side-by-side test)."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf import export
from minitf.protos import graph_pb2, saved_model_pb2
from tests.core.legacy_tf import tf_side_json


def _model():
    x = tf.placeholder(tf.float32, [1, 4, 4, 3], name="x")
    tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID", name="mp")
    tf.nn.lrn(x, name="lrn")
    tf.math.top_k(tf.reshape(x, [-1]), 2, name="tk")
    tf.reduce_sum(x, name="rs")
    tf.matmul(tf.reshape(x, [4, 12]), tf.ones([12, 2]), name="mm")


# tf.compat.v1 2.21's attr names for _model's nodes (TF's TopKV2 also has ``Tk``, the dtype of
# k, which minitf's TopKV2 does not declare: TF's importer fills it in).
TF_ATTRS = {
    "mp": ["T", "data_format", "explicit_paddings", "ksize", "padding", "strides"],
    "lrn": ["T", "alpha", "beta", "bias", "depth_radius"],
    "rs": ["T", "Tidx", "keep_dims"],
    "mm": ["T", "grad_a", "grad_b", "transpose_a", "transpose_b"],
    "x": ["dtype", "shape"],
}


def _nodes(graph_def) -> dict:
    return {n.name: n for n in graph_def.node}


def test_as_graph_def_and_node_def_write_default_valued_attrs():
    _model()
    graph = tf.get_default_graph()
    nodes = _nodes(graph.as_graph_def())
    assert nodes["mp"].attr["data_format"].s == b"NHWC"
    assert nodes["lrn"].attr["depth_radius"].i == 5 and nodes["lrn"].attr["alpha"].f == 1.0
    assert nodes["tk"].attr["sorted"].b is True
    assert nodes["rs"].attr["keep_dims"].HasField("b")  # False, but written
    assert nodes["mp"].attr["explicit_paddings"].HasField("list")  # `list {}`
    for name, attrs in TF_ATTRS.items():
        assert sorted(nodes[name].attr) == attrs, name
        assert sorted(graph.get_operation_by_name(name).node_def.attr) == attrs, name
    assert sorted(nodes["tk"].attr) == ["T", "index_type", "sorted"]


def test_write_graph_of_a_graph_writes_them(tmp_path):
    _model()
    path = tf.train.write_graph(tf.get_default_graph(), str(tmp_path), "g.pb", as_text=False)
    with open(path, "rb") as f:
        nodes = _nodes(graph_pb2.GraphDef.FromString(f.read()))
    assert nodes["mp"].attr["data_format"].s == b"NHWC"
    text = tf.train.write_graph(tf.get_default_graph(), str(tmp_path), "g.pbtxt")
    assert 'data_format' in open(text).read()


def test_export_meta_graph_strips_only_when_asked():
    _model()
    whole = tf.train.export_meta_graph()
    assert not whole.meta_info_def.stripped_default_attrs
    assert sorted(_nodes(whole.graph_def)["mp"].attr) == TF_ATTRS["mp"]
    stripped = tf.train.export_meta_graph(strip_default_attrs=True)
    assert stripped.meta_info_def.stripped_default_attrs  # as TF records it
    nodes = _nodes(stripped.graph_def)
    # TF 2.21 leaves these out too (and T, Tidx, whose defaults minitf does not declare)
    assert sorted(nodes["mp"].attr) == ["T", "ksize", "padding", "strides"]
    assert sorted(nodes["lrn"].attr) == ["T"] and sorted(nodes["tk"].attr) == ["T"]
    assert sorted(nodes["x"].attr) == ["dtype", "shape"]  # a shape that is not the default
    # a GraphDef handed in is stripped as well, as TF's
    given = tf.get_default_graph().as_graph_def()
    meta = tf.train.export_meta_graph(graph_def=given, strip_default_attrs=True)
    assert "data_format" not in _nodes(meta.graph_def)["mp"].attr
    assert "data_format" in _nodes(given)["mp"].attr  # (the caller's proto is left alone)


def test_stripped_and_whole_graph_defs_import_to_the_same_ops():
    from minitf.export.graph_def import strip_default_valued_attrs

    _model()
    whole = tf.get_default_graph().as_graph_def()
    stripped = strip_default_valued_attrs(graph_pb2.GraphDef.FromString(
        whole.SerializeToString()))
    assert "data_format" not in _nodes(stripped)["mp"].attr
    for gd in (whole, stripped):
        g = tf.Graph()
        with g.as_default():
            tf.import_graph_def(gd, name="")
        assert _nodes(g.as_graph_def()) == _nodes(whole)


def _linear_session():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    w = tf.Variable([[1.0], [2.0]], name="w")
    y = tf.identity(tf.matmul(x, w), name="y")
    sess = tf.Session()
    sess.run(w.initializer)
    return sess, x, y


def _saved_nodes(path) -> dict:
    with open(path / "saved_model.pb", "rb") as f:
        meta = saved_model_pb2.SavedModel.FromString(f.read()).meta_graphs[0]
    return meta.meta_info_def.stripped_default_attrs, _nodes(meta.graph_def)


@pytest.mark.parametrize("strip", [False, True])
def test_tf1_builder_follows_strip_default_attrs(tmp_path, strip):
    sess, x, y = _linear_session()
    builder = tf.saved_model.builder.SavedModelBuilder(str(tmp_path / "m"))
    sd = tf.saved_model.signature_def_utils.predict_signature_def({"x": x}, {"y": y})
    kwargs = {"strip_default_attrs": True} if strip else {}  # TF's default: False
    builder.add_meta_graph_and_variables(sess, ["serve"], {"serving_default": sd}, **kwargs)
    builder.save()
    stripped, nodes = _saved_nodes(tmp_path / "m")
    assert stripped == strip
    assert ("transpose_a" in nodes["MatMul"].attr) == (not strip)
    model = export.load_saved_model(tmp_path / "m")
    with tf.Session(graph=model.graph) as s:
        np.testing.assert_allclose(s.run("y:0", {"x:0": [[1.0, 1.0]]}), [[3.0]])
    sess.close()


def test_minitfs_own_export_stays_stripped(tmp_path):
    """save_model (``minitf export``) writes for serving: attrs at their default are left out
    (TF's importer fills them in, and an older reader never meets an attr it does not know),
    and the file says so, as TF2's SavedModels do."""
    sess, x, y = _linear_session()
    export.save_model(tmp_path / "m", sess, inputs={"x": x}, outputs={"y": y})
    stripped, nodes = _saved_nodes(tmp_path / "m")
    assert stripped and sorted(nodes["MatMul"].attr) == ["T"]
    sess.close()


_TF_PROGRAM = r"""
import json
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
x = tf.placeholder(tf.float32, [1, 4, 4, 3], name="x")
tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID", name="mp")
tf.nn.lrn(x, name="lrn")
tf.math.top_k(tf.reshape(x, [-1]), 2, name="tk")
tf.reduce_sum(x, name="rs")
tf.matmul(tf.reshape(x, [4, 12]), tf.ones([12, 2]), name="mm")
g = tf.get_default_graph()
whole = {n.name: sorted(n.attr) for n in g.as_graph_def().node}
meta = tf.train.export_meta_graph(strip_default_attrs=True)
stripped = {n.name: sorted(k for k in n.attr if k != "_output_shapes")
            for n in meta.graph_def.node}
print(json.dumps({"whole": whole, "stripped": stripped,
                  "node_def": {n: sorted(g.get_operation_by_name(n).node_def.attr)
                               for n in ("mp", "lrn")}}))
"""


def test_attrs_are_tensorflows_side_by_side():
    theirs = tf_side_json(_TF_PROGRAM, legacy_keras=False)
    _model()
    graph = tf.get_default_graph()
    ours = {n.name: sorted(n.attr) for n in graph.as_graph_def().node}
    theirs["whole"]["tk"].remove("Tk")  # (see TF_ATTRS)
    for name in TF_ATTRS:
        assert ours[name] == theirs["whole"][name], name
    assert ours["tk"] == theirs["whole"]["tk"]
    for name in ("mp", "lrn"):
        assert sorted(graph.get_operation_by_name(name).node_def.attr) == \
            theirs["node_def"][name]
    stripped = {n.name: sorted(n.attr) for n in
                tf.train.export_meta_graph(strip_default_attrs=True).graph_def.node}
    for name in TF_ATTRS:
        # TF also strips derived type attrs at their default (T, Tidx), which minitf keeps
        assert set(stripped[name]) - {"T", "Tidx"} == set(theirs["stripped"][name]) - \
            {"T", "Tidx"}, name


# -- minitf's registry against TensorFlow's ------------------------------------------------------
# Attrs minitf writes that TF's OpDef does not declare: minitf's own tf.data ops carry their
# dataset (a JSON description) and its captured tensors; TF cannot run those nodes anyway.
NOT_IN_TF = {(op, attr) for op in ("DatasetToSingleElement", "DatasetToTFRecord", "MakeIterator")
             for attr in ("dataset", "Tcaptured")} | {("OneShotIterator", "dataset")}
# Attrs minitf declares with a default where TF requires a value (writing it is what TF needs):
# minitf's tf.data makes IteratorV2 without a container (tests/core/test_raw_ops.py).
DEFAULT_WHERE_TF_REQUIRES = {("IteratorV2", "container")}


def _tf_registry():
    pytest.importorskip("tensorflow")
    from tensorflow.python.framework import op_def_registry

    return op_def_registry


def test_every_attr_minitf_writes_is_in_tfs_op_def_with_its_default():
    """For every op both register, each attr minitf writes (declared or derived from the
    inputs) is declared by TF's OpDef with the same kind, and each default minitf fills in is
    TF's default (tensors compared by value): TF's importer refuses a NodeDef with an attr
    its OpDef does not know, and a different default would change what an op computes."""
    op_def_registry = _tf_registry()
    import tensorflow as tf_
    from tensorflow.core.framework import attr_value_pb2

    from minitf.export.graph_def_attrs import _attr_kind, attr_to_proto
    from minitf.opdef import registered

    unknown, kinds, defaults, required = set(), [], [], set()
    compared = 0
    for op_type, opdef in sorted(registered().items()):
        theirs = op_def_registry.get(op_type)
        if theirs is None:  # minitf's own (contrib) ops: TF cannot import them anyway
            continue
        compared += 1
        tf_attrs = {a.name: a for a in theirs.attr}
        for key in [*opdef.attrs, *opdef.derived_attrs]:
            kind = _attr_kind(opdef, key)
            if key not in tf_attrs:
                unknown.add((op_type, key))
                continue
            if tf_attrs[key].type != kind:
                kinds.append((op_type, key, kind, tf_attrs[key].type))
            if key not in opdef.attr_defaults:
                continue
            if not tf_attrs[key].HasField("default_value"):
                required.add((op_type, key))
                continue
            mine = attr_value_pb2.AttrValue.FromString(
                attr_to_proto(opdef.attr_defaults[key], kind).SerializeToString())
            want = tf_attrs[key].default_value
            if kind == "tensor":
                same = np.array_equal(tf_.make_ndarray(mine.tensor), tf_.make_ndarray(want.tensor))
            else:
                same = mine.SerializeToString(deterministic=True) == \
                    want.SerializeToString(deterministic=True)
            if not same:
                defaults.append((op_type, key, str(mine), str(want)))
    assert compared > 700
    assert unknown == NOT_IN_TF
    assert kinds == []
    assert defaults == []
    assert required == DEFAULT_WHERE_TF_REQUIRES
