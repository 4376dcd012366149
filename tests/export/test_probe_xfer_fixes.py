"""Fixes found by comparing minitf with TensorFlow 2.21's tf.compat.v1 on graph transfer:

- import_meta_graph puts a string (bytes_list) collection's values under ``import_scope``, as
  TF's ``ops.prepend_name_scope`` does (``x:0`` -> ``"net/x:0"``, a str); without a scope the
  values stay bytes, as TF leaves them;
- NodeDef declares ``experimental_type`` (field 7, a FullTypeDef), which TF 2.x writes on nodes
  such as Shape: TF's text graphs parse with text_format, binary ones keep the field;
- init_from_checkpoint resolves names and scopes among get_variable's variables only (TF's
  variable store): a scope that holds none maps nothing, a tf.Variable is left alone;
- import_graph_def raises TF's ValueError for an invalid ``name`` and for input_map tensors the
  graph's nodes cannot take (shape) or that are of another graph.

The TF-free tests hold hand-made expectations (TF's outputs, written down); the side-by-side
test runs the same cases in TensorFlow (a process of its own) and compares.
"""

from __future__ import annotations

import base64
import importlib.util

import numpy as np
import pytest
from google.protobuf import text_format

import minitf as tf
from minitf.errors import InvalidArgumentError
from minitf.protos import control_flow_pb2, full_type_pb2, graph_pb2, op_def_pb2

from ..core.legacy_tf import tf_side_json


# -- 1. string collections under import_scope ----------------------------------------------------
def _collections_meta():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, name="x")
        tf.add_to_collection("input_name", x.name)
        for s in ("^x", "loc:@x", b""):
            tf.add_to_collection("names", s)
        tf.add_to_collection("f", 1.5)
        tf.add_to_collection("i", 3)
        return tf.train.export_meta_graph()


def _imported(meta, scope):
    with tf.Graph().as_default():
        tf.constant(1.0, name="net")  # "net" is taken: the import goes under net_1/
        tf.train.import_meta_graph(meta, import_scope=scope)
        return {k: tf.get_collection(k) for k in ("input_name", "names", "f", "i")}


# What TF 2.21 returns (tf.compat.v1, the same script).
_EXPECTED = {
    None: {"input_name": [b"x:0"], "names": [b"^x", b"loc:@x", b""], "f": [1.5], "i": [3]},
    "net": {"input_name": ["net_1/x:0"], "names": ["^net_1/x", "loc:@net_1/x", "net_1/"],
            "f": [1.5], "i": [3]},
    "net/": {"input_name": ["net/x:0"], "names": ["^net/x", "loc:@net/x", "net/"],
             "f": [1.5], "i": [3]},
}


@pytest.mark.parametrize("scope", [None, "net", "net/"])
def test_string_collections_take_the_import_scope(scope):
    got = _imported(_collections_meta(), scope)
    assert got == _EXPECTED[scope]
    assert all(type(a) is type(b) for k in got for a, b in zip(got[k], _EXPECTED[scope][k]))


def test_own_bytes_collections_still_restore_under_a_scope(tmp_path):
    """minitf's saver record and the loops' while_context are bytes collections too: they are
    not names and keep working under an import_scope."""
    with tf.Graph().as_default():
        v = tf.get_variable("v", initializer=np.array([1.0, 2.0], np.float32))
        i = tf.while_loop(lambda i: i < 3, lambda i: i + 1, [tf.constant(0)])
        tf.add_to_collection("out", i.name)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(v.assign([5.0, 6.0]))
            path = tf.train.Saver([v]).save(sess, str(tmp_path / "ck"))
    with tf.Graph().as_default() as g:
        saver = tf.train.import_meta_graph(path + ".meta", import_scope="net")
        assert tf.get_collection("out") == ["net/" + i.name]
        for raw in tf.get_collection("while_context"):  # still the serialized proto
            assert control_flow_pb2.WhileContextDef.FromString(raw).loop_exit_names
        with tf.Session() as sess:
            saver.restore(sess, path)
            np.testing.assert_array_equal(sess.run("net/v:0"), [5.0, 6.0])
            assert sess.run(g.get_tensor_by_name(tf.get_collection("out")[0])) == 3


# -- 2. NodeDef.experimental_type ------------------------------------------------------------------
# Two nodes of a graph.pbtxt TF 2.21's tf.io.write_graph wrote (a tf.losses graph).
_TF_PBTXT = """
node {
  name: "labels"
  op: "Placeholder"
  attr { key: "dtype" value { type: DT_INT64 } }
  attr { key: "shape" value { shape { dim { size: -1 } } } }
}
node {
  name: "xentropy/Shape"
  op: "Shape"
  input: "labels"
  attr { key: "T" value { type: DT_INT64 } }
  attr { key: "out_type" value { type: DT_INT32 } }
  experimental_type {
    type_id: TFT_PRODUCT
    args {
      type_id: TFT_SHAPE_TENSOR
      args {
        type_id: TFT_INT32
      }
    }
  }
}
versions {
  producer: 2474
}
"""
# FullTypeDef{3, [{1005, [{207}]}]} by hand: tag 1 varint (0x08), tag 2 length-delimited (0x12).
_FULL_TYPE_BYTES = b"\x08\x03" + b"\x12\x08" + b"\x08\xed\x07" + b"\x12\x03" + b"\x08\xcf\x01"


def test_a_tensorflow_text_graph_with_experimental_type_parses():
    gd = text_format.Merge(_TF_PBTXT, tf.GraphDef())
    full = gd.node[1].experimental_type
    assert (full.type_id, full.args[0].type_id, full.args[0].args[0].type_id) == (3, 1005, 207)
    assert full_type_pb2.FullTypeId.Name(full.type_id) == "TFT_PRODUCT"
    assert full.SerializeToString() == _FULL_TYPE_BYTES
    # NodeDef field 7, length-delimited: tag 0x3a, after the fields before it.
    assert gd.node[1].SerializeToString().endswith(b"\x3a\x0c" + _FULL_TYPE_BYTES)
    data = gd.SerializeToString(deterministic=True)  # map entries (attrs) in key order
    assert graph_pb2.GraphDef.FromString(data).SerializeToString(deterministic=True) == data
    assert "experimental_type" in text_format.MessageToString(gd)
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        assert g.get_operation_by_name("xentropy/Shape").type == "Shape"


# -- 3. init_from_checkpoint: the variable store only ------------------------------------------
def _checkpoint(path):
    with tf.Graph().as_default():
        for n in ("old/w", "old/v", "enc/w", "enc/v"):
            tf.get_variable(n, initializer=np.full([2], 7.0, np.float32))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return tf.train.Saver().save(sess, path)


def _init_cases(ckpt) -> dict:
    """{case: the variables' first values after the map, or the error's class and message}."""
    maps = {
        "no_match": lambda vs: {"old/": "nope/"},
        "scope": lambda vs: {"enc/": "enc2/"},
        "tf_variable_by_name": lambda vs: {"old/w": "new/w"},
        "get_variable_by_name": lambda vs: {"old/v": "new/v"},
        "tf_variable_object": lambda vs: {"old/w": vs["new/w"]},
        "non_variable_name_is_a_scope": lambda vs: {"old/": "new/w"},
        "unknown_name": lambda vs: {"old/w": "nope"},
    }
    out = {}
    for case, make in maps.items():
        with tf.Graph().as_default():
            vs = {"enc2/w": tf.Variable(np.zeros(2, np.float32), name="enc2/w"),
                  "enc2/v": tf.get_variable("enc2/v", initializer=np.zeros(2, np.float32)),
                  "new/w": tf.Variable(np.zeros(2, np.float32), name="new/w"),
                  "new/v": tf.get_variable("new/v", initializer=np.zeros(2, np.float32))}
            try:
                tf.train.init_from_checkpoint(ckpt, make(vs))
            except ValueError as e:
                out[case] = ["ValueError", str(e)]
                continue
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                out[case] = {k: float(sess.run(v)[0]) for k, v in sorted(vs.items())}
    return out


_NONE = {"enc2/v": 0.0, "enc2/w": 0.0, "new/v": 0.0, "new/w": 0.0}
_INIT_EXPECTED = {  # TF 2.21's results
    "no_match": _NONE,
    "scope": {**_NONE, "enc2/v": 7.0},
    "tf_variable_by_name": ["ValueError", "Assignment map with scope only name new should map "
                            "to scope only old/w. Should be 'scope/': 'other_scope/'."],
    "get_variable_by_name": {**_NONE, "new/v": 7.0},
    "tf_variable_object": {**_NONE, "new/w": 7.0},
    "non_variable_name_is_a_scope": {**_NONE, "new/v": 7.0},
    "unknown_name": ["ValueError", "Assignment map with scope only name  should map to scope "
                     "only old/w. Should be 'scope/': 'other_scope/'."],
}


def test_an_op_def_arg_with_experimental_full_type_parses():
    # TF 2.x's stripped op lists (in text meta graphs) carry ArgDef field 17.
    text = """name: "TensorListReserve"
output_arg { name: "handle" type: DT_VARIANT
  experimental_full_type { type_id: TFT_ARRAY args { type_id: TFT_VAR s: "element_dtype" } } }
"""
    op = text_format.Parse(text, op_def_pb2.OpDef())
    full = op.output_arg[0].experimental_full_type
    assert full.type_id == full_type_pb2.TFT_ARRAY and full.args[0].s == "element_dtype"
    # field 17, length-delimited (tag 0x8a 0x01), in the ArgDef's bytes
    assert b"\x8a\x01" in op.output_arg[0].SerializeToString()


def test_init_from_checkpoint_maps_the_variable_store_only(tmp_path):
    assert _init_cases(_checkpoint(str(tmp_path / "ck"))) == _INIT_EXPECTED


# -- 4. import_graph_def's ValueErrors ----------------------------------------------------------
def _sum_graph_def():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        tf.reduce_sum(x, 1, name="out")
    return g.as_graph_def()


def _import_error(make_input_map=None, name=None, scope=None, gd=None) -> list:
    with tf.Graph().as_default() as g:
        input_map = make_input_map() if make_input_map else None
        before = len(g.get_operations())
        try:
            if scope:
                with tf.name_scope(scope):
                    tf.import_graph_def(gd or _sum_graph_def(), input_map=input_map, name=name)
            else:
                tf.import_graph_def(gd or _sum_graph_def(), input_map=input_map, name=name)
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            assert len(g.get_operations()) == before  # all or nothing
            return [type(e).__name__, str(e)]
    return ["OK", ""]


def _other_graph_tensor():
    with tf.Graph().as_default():
        return tf.constant([1.0, 2.0, 3.0])


def _import_cases() -> dict:
    cases = {
        "shape": dict(make_input_map=lambda: {"x:0": tf.constant([1.0, 2.0, 3.0])}),
        "other_graph": dict(make_input_map=lambda: {"x:0": _other_graph_tensor()}),
        "bad_root_name": dict(name="bad name!"),
        "bad_root_name_slash": dict(name="a b/"),
        "underscore_root_name": dict(name="_x"),
        "bad_nested_name": dict(name="a b", scope="outer"),
        "underscore_nested_name": dict(name="_x", scope="outer"),
    }
    return {case: _import_error(**kw) for case, kw in cases.items()}


def test_import_graph_def_raises_value_errors_as_tf():
    got = _import_cases()
    assert {k: v[0] for k, v in got.items()} == {
        "shape": "ValueError", "other_graph": "ValueError", "bad_root_name": "ValueError",
        "bad_root_name_slash": "ValueError", "underscore_root_name": "ValueError",
        "bad_nested_name": "ValueError", "underscore_nested_name": "OK"}
    assert "Invalid reduction dimension 1 for input with 1 dimensions" in got["shape"][1]
    assert "with input shapes: [3], []" in got["shape"][1]
    assert got["other_graph"][1] == ("node 'Const' in input_map does not exist in graph "
                                     "(input_map entry: x:0->Const:0)")
    assert got["bad_root_name"][1] == (
        "'bad name!' is not a valid root scope name. A root scope name has to match the "
        "following pattern: ^[A-Za-z0-9.][A-Za-z0-9_.\\\\/>-]*$")
    assert got["bad_nested_name"][1] == (
        "'a b' is not a valid scope name. A scope name has to match the following pattern: "
        "^[A-Za-z0-9_.\\\\/>-]*$")


def test_a_graph_def_bad_by_itself_stays_invalid_argument_with_an_input_map():
    """A GraphDef that does not import on its own is a bad model (InvalidArgumentError, the
    documented class of minitf's loaders), input_map or not."""
    gd = _sum_graph_def()
    gd.node.add().CopyFrom(gd.node[0])  # "x" twice
    with tf.Graph().as_default():
        with pytest.raises(InvalidArgumentError, match="duplicate node name 'x'"):
            tf.import_graph_def(gd, input_map={"x:0": tf.zeros([2, 3])})
    with tf.Graph().as_default():  # the shape fits: it imports
        out, = tf.import_graph_def(_sum_graph_def(), input_map={"x:0": tf.ones([2, 3])},
                                   return_elements=["out:0"])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(out), [3.0, 3.0])


# -- side by side with TensorFlow ---------------------------------------------------------------
TF_SIDE = r'''
import base64, json, os, sys
import numpy as np
import tensorflow as real_tf
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
from google.protobuf import text_format
src, work = sys.argv[1], sys.argv[2]
ns = {"tf": tf, "np": np}
exec(src, ns)
out = {"collections": {}}
for scope in (None, "net", "net/"):
    got = ns["_imported"](ns["_collections_meta"](), scope)
    out["collections"][str(scope)] = {k: [[type(v).__name__, v.decode() if isinstance(v, bytes)
                                          else v] for v in vs] for k, vs in got.items()}
out["init"] = ns["_init_cases"](ns["_checkpoint"](os.path.join(work, "ck")))
out["import"] = ns["_import_cases"]()
with tf.Graph().as_default() as g:
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    tf.shape(x, name="shape")
    real_tf.io.write_graph(g.as_graph_def(), work, "graph.pbtxt", as_text=True)
    out["graph_pb"] = base64.b64encode(g.as_graph_def().SerializeToString()).decode()
print(json.dumps(out))
'''

# The parts of this module the TF side runs (with tf bound to tf.compat.v1).
_SHARED = ("_collections_meta", "_imported", "_checkpoint", "_init_cases", "_sum_graph_def",
           "_import_error", "_other_graph_tensor", "_import_cases")


def _shared_source() -> str:
    import inspect
    import sys

    module = sys.modules[__name__]
    return "\n\n".join(inspect.getsource(getattr(module, name)) for name in _SHARED)


@pytest.mark.tensorflow
def test_side_by_side_with_tensorflow(tmp_path):
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("needs tensorflow")
    want = tf_side_json(TF_SIDE, _shared_source(), tmp_path, legacy_keras=False)
    for scope in (None, "net", "net/"):
        got = _imported(_collections_meta(), scope)
        assert {k: [[type(v).__name__, v.decode() if isinstance(v, bytes) else v] for v in vs]
                for k, vs in got.items()} == want["collections"][str(scope)]
    assert want["init"] == _INIT_EXPECTED
    assert _init_cases(_checkpoint(str(tmp_path / "mini_ck"))) == want["init"]
    got = _import_cases()
    assert {k: v[0] for k, v in got.items()} == {k: v[0] for k, v in want["import"].items()}
    for case in ("other_graph", "bad_root_name", "bad_root_name_slash", "underscore_root_name",
                 "bad_nested_name"):
        assert got[case][1] == want["import"][case][1]
    assert "Invalid reduction dimension 1 for input with 1 dimensions" in want["import"]["shape"][1]
    # TF's own text graph (experimental_type on Shape) parses; its binary form round-trips.
    text = (tmp_path / "graph.pbtxt").read_text()
    assert "experimental_type" in text
    gd = text_format.Merge(text, tf.GraphDef())
    data = base64.b64decode(want["graph_pb"])
    ours = graph_pb2.GraphDef.FromString(data)
    assert ours == gd
    assert ours.SerializeToString(deterministic=True) == gd.SerializeToString(deterministic=True)
    shape = next(n for n in ours.node if n.name == "shape")
    assert shape.experimental_type.type_id == full_type_pb2.TFT_PRODUCT  # a declared field
    assert shape.experimental_type.args[0].type_id == full_type_pb2.TFT_SHAPE_TENSOR
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        assert g.get_operation_by_name("shape").type == "Shape"
