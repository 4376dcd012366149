"""Freezing, saving and loading minitf models: freeze semantics, bit-exact round trips, atomic
writes, the TensorProto encodings (typed value lists, zero-copy tensor_content, streamed large
tensors), attr handling, versions, and TF1's graph_util / write_graph API."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
from google.protobuf import text_format

import minitf as tf
from minitf import export
from minitf.errors import (AlreadyExistsError, InvalidArgumentError, NotFoundError, OpError,
                           UnimplementedError)
from minitf.export import saved_model as saved_model_module
from minitf.export import tensors, wire
from minitf.protos import graph_pb2, saved_model_pb2, tensor_pb2

from . import _models

INFERENCE_OPS = {"Placeholder", "Const", "Identity", "MatMul", "BiasAdd", "Relu", "Add", "AddV2",
                 "Softmax", "ArgMax", "Conv2D", "MaxPool", "AvgPool", "ConcatV2", "Reshape"}


def _run_loaded(model, feeds):
    sig = model.signatures["serving_default"]
    with tf.Session(graph=model.graph) as sess:
        return sess.run({a: i.name for a, i in sig.outputs.items()},
                        {sig.inputs[a].name: v for a, v in feeds.items()})


# -- freeze ---------------------------------------------------------------------------------------
def test_freeze_turns_variables_into_consts_with_session_values():
    m = _models.mlp(hidden=8)
    variables = {v.op.name: v for v in tf.global_variables()}
    trained = m.sess.run({n: v for n, v in variables.items()})
    frozen = export.freeze(m.sess, m.inputs, m.outputs)
    ops = {op.name: op for op in frozen.graph.get_operations()}
    assert not [op for op in ops.values() if op.type == "VariableV2"]
    for name, value in trained.items():
        assert ops[name].type == "Const"
        np.testing.assert_array_equal(tf.make_ndarray(ops[name].get_attr("value")), value)
        assert ops[name].get_attr("dtype") == tf.float32
        # The TF1 `w/read` Identity stays, now reading the Const (as convert_variables_to_constants
        # writes it).
        read = ops[name + "/read"]
        assert read.type == "Identity" and read.inputs[0].op is ops[name]
    # Values are the trained ones, not the initial ones.
    m.sess.run(tf.global_variables_initializer())
    assert any(not np.array_equal(m.sess.run(variables[n]), v) for n, v in trained.items())
    assert frozen.graph is not m.sess.graph


def test_freeze_prunes_training_initializer_saver_and_assign_ops():
    m = _models.cnn()
    before = {op.type for op in m.sess.graph.get_operations()}
    assert {"Assign", "ApplyGradientDescent", "VariableV2", "NoOp"} <= before
    frozen = export.freeze(m.sess, m.inputs, m.outputs)
    ops = frozen.graph.get_operations()
    assert {op.type for op in ops} <= INFERENCE_OPS
    assert not [op.name for op in ops if "gradients" in op.name or "init" in op.name
                or op.name.startswith(("save", "GradientDescent"))]
    # The unused `labels` placeholder is pruned too; the signature is kept.
    assert [op.name for op in ops if op.type == "Placeholder"] == ["images"]
    assert {a: t.name for a, t in frozen.inputs.items()} == {"images": "images:0"}
    assert {a: t.name for a, t in frozen.outputs.items()} == {"probs": "probs:0",
                                                               "classes": "classes:0"}


def test_freeze_needed_placeholder_missing_from_signature_is_an_error():
    m = _models.ops()
    with pytest.raises(InvalidArgumentError) as e:
        export.freeze(m.sess, {"x": m.inputs["x"]}, m.outputs)
    assert "Placeholder 'idx'" in str(e.value) and "x:0" in str(e.value)


def test_freeze_intermediate_input_is_cut():
    m = _models.mlp(hidden=8)
    hidden = m.sess.graph.get_tensor_by_name("hidden/Relu:0")
    frozen = export.freeze(m.sess, {"hidden": hidden}, {"probs": m.outputs["probs"]})
    names = {op.name: op for op in frozen.graph.get_operations()}
    assert names["hidden/Relu"].type == "Placeholder"
    assert not {"x", "hidden/weights", "hidden/MatMul", "hidden/BiasAdd"} & set(names)
    h = m.sess.run(hidden, m.feed_dict())
    want = m.sess.run(m.outputs["probs"], {hidden: h})
    with tf.Session(graph=frozen.graph) as sess:
        got = sess.run(frozen.outputs["probs"], {frozen.inputs["hidden"]: h})
    np.testing.assert_array_equal(got, want)


def test_freeze_cut_input_named_like_a_needed_op_gets_a_unique_name():
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    a, b = tf.split(x, 2, axis=1, name="split")
    c, d = tf.split(a, 2, axis=1, name="split_1")  # "split_1" is also a's natural placeholder
    y = tf.add(c, d, name="y")
    xv = np.arange(8, dtype=np.float32).reshape(2, 4)
    av = np.array([[10, 20], [30, 40]], np.float32)
    with tf.Session() as sess:
        frozen = export.freeze(sess, {"a": a, "b": b}, {"y": y, "b_out": b})
        # both outputs of the first split are fed, so it is cut; b's placeholder cannot take
        # "split_1", which the second split keeps
        ops = {op.name: op.type for op in frozen.graph.get_operations()}
        assert ops["split_1"] == "Split" and ops["split_1_1"] == "Placeholder"
        with tf.Session(graph=frozen.graph) as fs:
            got = fs.run(frozen.outputs["y"], {frozen.inputs["a"]: av})
        np.testing.assert_array_equal(got, av[:, :1] + av[:, 1:])
        # an input whose op another output needs stays that op, and is fed
        frozen = export.freeze(sess, {"x": x, "a": a}, {"y": tf.add(a, b)})
        assert frozen.inputs["a"].op.type == "Split"
        with tf.Session(graph=frozen.graph) as fs:
            got = fs.run(frozen.outputs["y"], {frozen.inputs["x"]: xv, frozen.inputs["a"]: av})
        np.testing.assert_array_equal(got, av + xv[:, 2:])


def test_a_signature_fed_from_another_signatures_intermediate(tmp_path):
    m = _models.mlp(hidden=8)
    hidden = m.sess.graph.get_tensor_by_name("hidden/Relu:0")
    probs = m.outputs["probs"]
    export.save_model(tmp_path / "1", m.sess, signatures={
        "serving_default": {"inputs": m.inputs, "outputs": {"probs": probs}},
        "from_hidden": {"inputs": {"hidden": hidden}, "outputs": {"probs": probs}}})
    model = export.load(tmp_path / "1")
    h = m.sess.run(hidden, m.feed_dict())
    for name, feeds in (("serving_default", m.feeds), ("from_hidden", {"hidden": h})):
        sig = model.signatures[name]
        plan = tf.plan.Plan.compile(model.graph, [model.tensor(sig.inputs[a].name) for a in feeds],
                                    [model.tensor(sig.outputs["probs"].name)])
        np.testing.assert_allclose(plan.run(list(feeds.values()))[0],
                                   m.sess.run(probs, m.feed_dict()), rtol=1e-6, err_msg=name)


def test_freeze_refuses_variable_updates_and_bad_signatures():
    m = _models.linear()
    a = [v for v in tf.global_variables() if v.op.name == "A"][0]
    update = a.assign_add(tf.ones_like(a))
    with pytest.raises(InvalidArgumentError, match="updates a variable"):
        export.freeze(m.sess, m.inputs, {"update": update})
    with pytest.raises(InvalidArgumentError, match="non-empty dict"):
        export.freeze(m.sess, m.inputs, {})
    with pytest.raises(InvalidArgumentError, match="aliases"):
        export.freeze(m.sess, m.inputs, {1: m.outputs["y"]})
    other = tf.Graph()
    with other.as_default():
        stray = tf.constant(1.0)
    with pytest.raises(InvalidArgumentError, match="not a tensor of the session's graph"):
        export.freeze(m.sess, m.inputs, {"y": stray})


def test_freeze_accepts_tensor_names_and_variables():
    m = _models.linear()
    frozen = export.freeze(m.sess, {"x": "x:0"}, {"y": "y", "A": tf.global_variables()[0]})
    assert frozen.inputs["x"].name == "x:0" and frozen.outputs["y"].name == "y:0"
    # A Variable stands for its value: the `A/read` Identity, which now reads a Const.
    assert frozen.outputs["A"].op.type == "Identity"
    assert frozen.outputs["A"].op.inputs[0].op.type == "Const"


# -- round trips ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(_models.MODELS))
def test_saved_model_round_trip_is_bit_exact(tmp_path, name):
    m = _models.MODELS[name]()
    want = m.run()
    path = export.save_model(tmp_path / name / "1", export.freeze(m.sess, m.inputs, m.outputs))
    assert sorted(os.listdir(path)) == ["saved_model.pb", "variables"]
    assert os.listdir(os.path.join(path, "variables")) == []
    model = export.load_saved_model(path)
    got = _run_loaded(model, m.feeds)
    assert set(got) == set(want)
    for alias, value in want.items():
        assert got[alias].dtype == value.dtype
        np.testing.assert_array_equal(got[alias], value, err_msg=f"{name} {alias}")
    sig = model.signatures["serving_default"]
    for alias, t in m.outputs.items():
        assert sig.outputs[alias].dtype == t.dtype
        assert sig.outputs[alias].shape.as_list() == t.shape.as_list()


@pytest.mark.parametrize("name", sorted(_models.MODELS))
def test_frozen_graph_file_round_trip_is_bit_exact(tmp_path, name):
    m = _models.MODELS[name]()
    want = m.run()
    frozen = export.freeze(m.sess, m.inputs, m.outputs)
    path = export.write_graph_def(tmp_path / f"{name}.pb", frozen)
    model = export.load_frozen_graph(path, {a: t.name for a, t in frozen.inputs.items()},
                                     {a: t.name for a, t in frozen.outputs.items()})
    got = _run_loaded(model, m.feeds)
    for alias, value in want.items():
        np.testing.assert_array_equal(got[alias], value, err_msg=f"{name} {alias}")
    # The compiled-plan path the server uses agrees with the session.
    sig = model.signatures["serving_default"]
    plan = tf.plan.Plan.compile(model.graph, [model.tensor(sig.inputs[a].name) for a in m.feeds],
                                [model.tensor(sig.outputs[a].name) for a in want])
    for value, expected in zip(plan.run(list(m.feeds.values())), want.values()):
        np.testing.assert_array_equal(value, expected)


def test_save_model_from_a_session_with_several_signatures(tmp_path):
    m = _models.mlp(hidden=8)
    hidden = m.sess.graph.get_tensor_by_name("hidden/Relu:0")
    export.save_model(tmp_path / "1", m.sess, signatures={
        "serving_default": {"inputs": m.inputs, "outputs": {"probs": m.outputs["probs"]}},
        "embed": {"inputs": m.inputs, "outputs": {"hidden": hidden},
                  "method_name": "tensorflow/serving/regress"}})
    model = export.load(tmp_path / "1")
    assert set(model.signatures) == {"serving_default", "embed"}
    assert model.signatures["embed"].method_name == "tensorflow/serving/regress"
    assert model.signatures["embed"].outputs["hidden"].name == "hidden/Relu:0"
    with tf.Session(graph=model.graph) as sess:
        got = sess.run("hidden/Relu:0", {"x:0": m.feeds["x"]})
    np.testing.assert_array_equal(got, m.sess.run(hidden, m.feed_dict()))
    export.save_model(tmp_path / "2", m.sess, inputs=m.inputs, outputs=m.outputs)
    assert set(export.load(tmp_path / "2").signatures["serving_default"].outputs) == \
        {"probs", "classes"}
    with pytest.raises(InvalidArgumentError, match="inputs="):
        export.save_model(tmp_path / "3", m.sess)
    with pytest.raises(TypeError, match="FrozenGraph or a Session"):
        export.save_model(tmp_path / "4", m.sess.graph)


def test_saved_model_file_layout_matches_tensorflow(tmp_path):
    m = _models.linear()
    path = export.save_model(tmp_path / "1", export.freeze(m.sess, m.inputs, m.outputs))
    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString(open(os.path.join(path, "saved_model.pb"), "rb").read())
    assert sm.saved_model_schema_version == 1
    [meta] = sm.meta_graphs
    assert list(meta.meta_info_def.tags) == ["serve"]
    sig = meta.signature_def["serving_default"]
    assert sig.method_name == "tensorflow/serving/predict"
    assert sig.inputs["x"].name == "x:0" and sig.inputs["x"].dtype == 1  # DT_FLOAT
    assert [d.size for d in sig.inputs["x"].tensor_shape.dim] == [-1, 3]
    assert meta.graph_def.versions.producer >= 22


# -- atomic writes --------------------------------------------------------------------------------
def test_save_model_into_an_existing_directory_is_refused(tmp_path):
    m = _models.linear()
    frozen = export.freeze(m.sess, m.inputs, m.outputs)
    target = tmp_path / "model" / "1"
    target.mkdir(parents=True)
    (target / "keep.txt").write_text("mine")
    with pytest.raises(AlreadyExistsError, match="already exists"):
        export.save_model(target, frozen)
    assert os.listdir(target) == ["keep.txt"]
    export.save_model(tmp_path / "model" / "2", frozen)
    with pytest.raises(AlreadyExistsError):
        export.save_model(tmp_path / "model" / "2", frozen)
    assert sorted(os.listdir(tmp_path / "model")) == ["1", "2"]


def test_version_directory_never_appears_half_written(tmp_path, monkeypatch):
    """While the file is being written the version directory does not exist; it appears in one
    rename, complete."""
    m = _models.mlp()
    frozen = export.freeze(m.sess, m.inputs, m.outputs)
    target = tmp_path / "mlp" / "7"
    seen = []

    def spying_write_to(self, f):
        for part in self.parts:
            seen.append(os.path.exists(target))
            f.write(part)
    monkeypatch.setattr(wire.Chunks, "write_to", spying_write_to)
    renames = []
    real_rename = os.rename

    def spying_rename(src, dst):
        renames.append((src, dst, sorted(os.listdir(src)),
                        os.path.getsize(os.path.join(src, "saved_model.pb"))))
        return real_rename(src, dst)
    monkeypatch.setattr(saved_model_module.os, "rename", spying_rename)
    export.save_model(target, frozen)
    assert len(seen) > 3 and not any(seen)
    [(src, dst, listing, size)] = renames
    assert dst == str(target) and listing == ["saved_model.pb", "variables"]
    assert os.path.dirname(src) == str(target.parent)  # same filesystem: rename is atomic
    assert size == os.path.getsize(target / "saved_model.pb")


def test_failed_save_leaves_nothing_behind(tmp_path, monkeypatch):
    m = _models.mlp()
    frozen = export.freeze(m.sess, m.inputs, m.outputs)

    def failing_write_to(self, f):
        f.write(self.parts[0])
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(wire.Chunks, "write_to", failing_write_to)
    with pytest.raises(OSError, match="No space"):
        export.save_model(tmp_path / "models" / "1", frozen)
    with pytest.raises(OSError, match="No space"):
        export.write_graph_def(tmp_path / "models" / "frozen.pb", frozen)
    assert os.listdir(tmp_path / "models") == []


def test_concurrent_reader_sees_whole_versions_only(tmp_path):
    """A poller racing the writer either sees no version or a complete, loadable one."""
    m = _models.mlp()
    frozen = export.freeze(m.sess, m.inputs, m.outputs)
    base = tmp_path / "m"
    base.mkdir()
    stop, problems, loads = threading.Event(), [], []

    def poll():
        while not stop.is_set():
            for v in os.listdir(base):
                if v.startswith("."):
                    continue
                try:
                    export.load_saved_model(base / v)
                    loads.append(v)
                except (OpError, OSError) as e:
                    problems.append(f"{v}: {e}")
    t = threading.Thread(target=poll)
    t.start()
    try:
        for version in range(1, 6):
            export.save_model(base / str(version), frozen)
    finally:
        stop.set()
        t.join()
    assert not problems
    assert sorted(os.listdir(base)) == ["1", "2", "3", "4", "5"]


# -- TensorProto encodings ------------------------------------------------------------------------
def _proto(dtype, shape, **values):
    p = tensor_pb2.TensorProto(dtype=tf.as_dtype(dtype).as_datatype_enum)
    for d in shape:
        p.tensor_shape.dim.add().size = d
    for field, v in values.items():
        if field == "tensor_content":
            p.tensor_content = v
        else:
            getattr(p, field).extend(v)
    return p


@pytest.mark.parametrize("dtype, field, values, shape, want", [
    (tf.float32, "float_val", [1.5, 2.5], [4], [1.5, 2.5, 2.5, 2.5]),
    (tf.float32, "float_val", [0.0], [2, 3], np.zeros((2, 3))),
    (tf.float32, "float_val", [], [3], [0, 0, 0]),
    (tf.float64, "double_val", [1.0, -2.0], [3], [1.0, -2.0, -2.0]),
    (tf.int32, "int_val", [7], [2, 2], [[7, 7], [7, 7]]),
    (tf.int8, "int_val", [-3, 4], [3], [-3, 4, 4]),
    (tf.uint8, "int_val", [255], [2], [255, 255]),
    (tf.int16, "int_val", [], [2], [0, 0]),
    (tf.int64, "int64_val", [1 << 40, 5], [3], [1 << 40, 5, 5]),
    (tf.uint32, "uint32_val", [4000000000], [2], [4000000000] * 2),
    (tf.uint64, "uint64_val", [1 << 63], [2], [1 << 63] * 2),
    (tf.bool, "bool_val", [True, False], [3], [True, False, False]),
    (tf.float16, "half_val", [np.float16(1.5).view(np.uint16)], [2], [1.5, 1.5]),
    (tf.string, "string_val", [b"a", b"bc"], [3], [b"a", b"bc", b"bc"]),
    (tf.float32, "float_val", [3.0], [], 3.0),
])
def test_typed_value_lists_follow_the_fill_rule(dtype, field, values, shape, want):
    got = tensors.make_ndarray(_proto(dtype, shape, **{field: values}))
    assert got.dtype == (np.dtype(object) if dtype == tf.string else dtype.as_numpy_dtype)
    assert got.shape == tuple(shape)
    np.testing.assert_array_equal(got, np.asarray(want, dtype=got.dtype))


def test_value_list_errors():
    with pytest.raises(InvalidArgumentError, match="3 values for a tensor of shape \\[2\\]"):
        tensors.make_ndarray(_proto(tf.float32, [2], float_val=[1, 2, 3]))
    with pytest.raises(InvalidArgumentError, match="too large to fill"):  # several values
        tensors.make_ndarray(_proto(tf.float32, [1 << 20, 1 << 20], float_val=[1, 2]))
    with pytest.raises(InvalidArgumentError, match="too large to fill"):  # a server's cap
        tensors.make_ndarray(_proto(tf.float32, [1 << 20, 1 << 20], float_val=[1]),
                             max_filled=1 << 22)
    with pytest.raises(InvalidArgumentError, match="fully defined"):
        tensors.make_ndarray(_proto(tf.float32, [-1, 2], float_val=[1]))
    with pytest.raises(InvalidArgumentError, match="DT_INVALID"):
        tensors.make_ndarray(tensor_pb2.TensorProto())
    with pytest.raises(UnimplementedError, match="DT_RESOURCE"):
        tensors.make_ndarray(tensor_pb2.TensorProto(dtype=20))
    # No value list holds a DT_VARIANT (it was "attribute name must be string").
    with pytest.raises(UnimplementedError, match="input 'v': DT_VARIANT tensors are not "
                       "supported"):
        tensors.make_ndarray(tensor_pb2.TensorProto(dtype=21), "input 'v'")
    with pytest.raises(InvalidArgumentError, match="needs 24"):
        tensors.make_ndarray(_proto(tf.float32, [2, 3], tensor_content=b"\0" * 20))


def test_writer_uses_tensorflows_encodings():
    assert tensors.make_tensor_proto(np.float32(2.0)).float_val == [2.0]
    one = tensors.make_tensor_proto(np.array([7], np.int64))
    assert one.int64_val == [7] and one.tensor_content == b""
    many = tensors.make_tensor_proto(np.arange(6, dtype=np.int32).reshape(2, 3))
    assert many.tensor_content == np.arange(6, dtype="<i4").tobytes() and not many.int_val
    assert tensors.make_tensor_proto(np.array([True, False])).bool_val == [True, False]
    assert tensors.make_tensor_proto(np.array([b"x", b"yz"], dtype=object)).string_val == \
        [b"x", b"yz"]
    half = tensors.make_tensor_proto(np.array(1.5, np.float16))
    assert half.half_val == [int(np.float16(1.5).view(np.uint16))]
    big_endian = np.arange(4, dtype=">f4")
    assert tensors.make_tensor_proto(big_endian, tf.float32).tensor_content == \
        np.arange(4, dtype="<f4").tobytes()
    for value in (np.arange(5, dtype=np.float64), np.array([[1, 2], [3, 4]], np.uint8),
                  np.array(3, np.int32), np.array([b"s"], dtype=object), np.array([1.5, 2.0],
                                                                                 np.float16)):
        back = tensors.make_ndarray(tensors.make_tensor_proto(value))
        assert back.dtype == value.dtype
        np.testing.assert_array_equal(back, value)


@pytest.mark.parametrize("dtype, field, values, shape, want", [
    (tf.float64, "double_val", [2.5], [3, 4], np.full((3, 4), 2.5)),
    (tf.float32, "float_val", [], [5], np.zeros(5, np.float32)),
    (tf.complex128, "dcomplex_val", [1.0, -2.0], [2, 3], np.full((2, 3), 1 - 2j)),
    (tf.string, "string_val", [b"ab"], [3], np.array([b"ab"] * 3, dtype=object)),
    (tf.string, "string_val", [], [2], np.array([b""] * 2, dtype=object)),
    (tf.qint8, "int_val", [-3], [4], np.full(4, -3, np.int8)),
])
def test_a_one_value_fill_is_a_read_only_view_written_back_compact(dtype, field, values,
                                                                    shape, want):
    """A fill from one value (or none) is a broadcast view: no memory for its shape. Its
    values are numpy's np.full; it is read-only (kernels never write into a Const's value);
    and it is written back in the compact form it was read in, as TF keeps the proto."""
    proto = _proto(dtype, shape, **{field: values})
    got = tensors.make_ndarray(proto)
    assert got.shape == tuple(shape) and not got.flags.writeable
    assert all(s == 0 for s in got.strides)  # a view of one element
    np.testing.assert_array_equal(got.view(want.dtype) if dtype.is_quantized else got, want)
    back = tensors.make_tensor_proto(got)
    assert back.tensor_content == b"" and back.tensor_shape == proto.tensor_shape
    np.testing.assert_array_equal(tensors.make_ndarray(back), got)
    # A server's explicit cap materializes a (small) fill, writable as a request's value.
    filled = tensors.make_ndarray(proto, max_filled=100)
    assert filled.flags.writeable
    assert filled.dtype == got.dtype
    np.testing.assert_array_equal(filled.view(want.dtype) if dtype.is_quantized else filled, want)


_BIG_FILLS = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
import numpy as np
import minitf as tf
from minitf.protos import meta_graph_pb2, tensor_pb2

gd = tf.GraphDef()
for i, (dt, field, vals) in enumerate([(2, "double_val", [1.0])] * 3 +
                                      [(18, "dcomplex_val", [0.5, 2.0]), (1, "float_val", [])]):
    p = tensor_pb2.TensorProto(dtype=dt)
    p.tensor_shape.dim.add().size = 1 << 14
    p.tensor_shape.dim.add().size = 1 << 14
    getattr(p, field).extend(vals)
    n = gd.node.add(name=f"c{i}", op="Const")
    n.attr["dtype"].type = dt
    n.attr["value"].tensor.CopyFrom(p)
assert gd.ByteSize() < 400  # 2^28 elements each: 2, 2, 2, 4 and 1 GB if filled out
with tf.Graph().as_default() as g:
    tf.import_graph_def(gd, name="")
    c0, c3, c4 = (g.get_tensor_by_name(f"c{i}:0") for i in (0, 3, 4))
    with tf.Session() as sess:
        got = sess.run([c0[5:7, -3:], tf.reduce_sum(c0[::4096]), c3[1, :4],
                        tf.reduce_max(tf.abs(c3[::1 << 13, ::1 << 13])), c4[3, 2:4]])
    want = [np.ones((2, 3)), np.float64(16384 * 4), np.full(4, 0.5 + 2j), np.abs(0.5 + 2j),
            np.zeros(2, np.float32)]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b)
        assert np.asarray(a).dtype == np.asarray(b).dtype
    assert g.as_graph_def().ByteSize() < 50000  # written back compact, not 9 GB of content
meta = meta_graph_pb2.MetaGraphDef()
meta.graph_def.CopyFrom(gd)  # nothing uses these nodes: still imported, still free
with tf.Graph().as_default():
    tf.train.import_meta_graph(meta)
print("OK", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def test_big_one_value_fills_import_without_memory(tmp_path):
    """A 183-byte GraphDef of Consts filled out to 2^28 elements each (TF's one-value fill)
    took 6 GB and 14 s to import; under a 2 GB address-space limit it imports (and through
    import_meta_graph), a session fetches slices and reductions of it (numpy's values), and it
    is written back compact."""
    import subprocess
    import sys

    script = tmp_path / "big_fills.py"
    script.write_text(_BIG_FILLS)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, OPENBLAS_NUM_THREADS="1",
                                                OMP_NUM_THREADS="1"))
    assert done.returncode == 0 and done.stdout.startswith("OK"), done.stderr[-3000:]


def test_const_with_a_short_value_list_imports_filled():
    gd = graph_pb2.GraphDef()
    node = gd.node.add(name="zeros", op="Const")
    node.attr["dtype"].type = 1
    node.attr["value"].tensor.CopyFrom(_proto(tf.float32, [1000], float_val=[0.0]))
    node = gd.node.add(name="twos", op="Const")
    node.attr["dtype"].type = 3
    node.attr["value"].tensor.CopyFrom(_proto(tf.int32, [2, 2], int_val=[1, 2]))
    zeros, twos = tf.import_graph_def(gd, return_elements=["zeros:0", "twos:0"], name="")
    with tf.Session() as sess:
        z, t = sess.run([zeros, twos])
    np.testing.assert_array_equal(z, np.zeros(1000, np.float32))
    np.testing.assert_array_equal(t, [[1, 2], [2, 2]])


def _base_buffer(arr):
    """The object at the end of an array's .base chain (through memoryviews)."""
    obj = arr
    while True:
        nxt = obj.obj if isinstance(obj, memoryview) else getattr(obj, "base", None)
        if nxt is None:
            return obj
        obj = nxt


def _const_values(graph):  # the arrays minitf holds (get_attr gives TF's TensorProtos)
    return {op.name: op._get_attr("value") for op in graph.get_operations() if op.type == "Const"}


@pytest.mark.parametrize("kind", ["saved_model", "graph_def"])
def test_loaded_large_tensors_are_zero_copy_views_of_the_file(tmp_path, kind):
    m = _models.mlp(hidden=512)  # hidden/weights: 64 x 512 float32 = 128 KiB
    frozen = export.freeze(m.sess, m.inputs, m.outputs)
    if kind == "saved_model":
        path = export.save_model(tmp_path / "1", frozen)
        file = os.path.join(path, "saved_model.pb")
        graph = export.load_saved_model(path).graph
    else:
        file = export.write_graph_def(tmp_path / "m.pb", frozen)
        graph = export.load_graph_def_file(file)
    values = _const_values(graph)
    big = values["hidden/weights"]
    assert big.nbytes >= wire.LARGE
    assert not big.flags.writeable and not big.flags.owndata
    buf = _base_buffer(big)
    assert isinstance(buf, bytes) and len(buf) == os.path.getsize(file)
    assert np.shares_memory(big, np.frombuffer(buf, np.uint8))
    # Every other loaded tensor_content decodes with np.frombuffer too: read-only, no copy.
    small = values["logits/weights"]
    assert not small.flags.writeable and isinstance(_base_buffer(small), bytes)
    np.testing.assert_array_equal(big, _const_values(frozen.graph)["hidden/weights"])
    with pytest.raises(ValueError, match="read-only"):
        big[0, 0] = 1.0
    # Fetching a Const gives the caller its own writable copy.
    with tf.Session(graph=graph) as sess:
        fetched = sess.run("hidden/weights:0")
    assert fetched.flags.writeable and not np.shares_memory(fetched, big)


def test_large_tensors_go_through_the_streaming_writer(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    arrays = {"f32": rng.normal(size=(300, 300)).astype(np.float32),  # 352 KiB
              "f64": rng.normal(size=(9000,)),  # 70 KiB
              "i64": np.arange(8200, dtype=np.int64).reshape(2, 4100),
              "u8": rng.integers(0, 256, size=(1 << 16,), dtype=np.uint8),  # exactly LARGE
              "below": np.ones(wire.LARGE // 4 - 1, np.float32),
              "bool": rng.random((300, 300)) > 0.5}  # big, but TF's encoding is bool_val
    for name, value in arrays.items():
        tf.constant(value, name=name)
    x = tf.placeholder(tf.float32, [None, 300], name="x")
    tf.matmul(x, tf.get_default_graph().get_tensor_by_name("f32:0"), name="y")
    graph = tf.get_default_graph()
    streamed = []
    real = wire.const_node_chunks

    def spy(node_small, tensor_small, content):
        streamed.append(len(content))
        return real(node_small, tensor_small, content)
    monkeypatch.setattr(wire, "const_node_chunks", spy)
    path = export.write_graph_def(tmp_path / "big.pb", graph)
    assert sorted(streamed) == sorted(a.nbytes for n, a in arrays.items()
                                      if n not in ("below", "bool"))
    # The streamed file is an ordinary GraphDef: stock protobuf parses it to the same message,
    # and writes it back byte for byte (each field once, in field order).
    data = open(path, "rb").read()
    parsed = graph_pb2.GraphDef()
    parsed.ParseFromString(data)
    # (minitf's export leaves attrs at their default out; as_graph_def writes them, as TF's)
    assert parsed == export.graph_to_graph_def(graph, strip_default_attrs=True)
    assert parsed.SerializeToString(deterministic=True) == data
    loaded = _const_values(export.load_graph_def_file(path))
    for name, value in arrays.items():
        assert loaded[name].dtype == value.dtype
        np.testing.assert_array_equal(loaded[name], value)
    # And inside a SavedModel.
    export.save_model(tmp_path / "sm" / "1", export.FrozenGraph(graph, {"x": x}, {
        "y": graph.get_tensor_by_name("y:0")}))
    model = export.load_saved_model(tmp_path / "sm" / "1")
    np.testing.assert_array_equal(_const_values(model.graph)["f32"], arrays["f32"])


# -- attrs and versions ---------------------------------------------------------------------------
def _node(gd, name):
    return next(n for n in gd.node if n.name == name)


def test_export_omits_default_attrs_and_writes_required_ones():
    """minitf's export (stripped) leaves attrs at their default out; as_graph_def writes them
    all, as TF's (tests/export/test_default_attrs.py)."""
    x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="x")
    k = tf.constant(np.ones((3, 3, 1, 2), np.float32), name="k")
    conv = tf.nn.conv2d(x, k, [1, 1, 1, 1], "SAME", name="conv")
    pool = tf.nn.max_pool(conv, [1, 2, 2, 1], [1, 2, 2, 1], "VALID", name="pool")
    flat = tf.reshape(pool, [-1, 32])
    tf.matmul(flat, tf.ones([2, 32]), transpose_b=True, name="mm")
    tf.matmul(flat, tf.ones([32, 2]), name="mm_plain")
    # TF 2.21's as_graph_def writes these for the same ops
    whole = tf.get_default_graph().as_graph_def()
    assert set(_node(whole, "conv").attr) == {"T", "strides", "padding", "use_cudnn_on_gpu",
                                               "explicit_paddings", "data_format", "dilations"}
    assert set(_node(whole, "mm_plain").attr) == {"T", "transpose_a", "transpose_b", "grad_a",
                                                   "grad_b"}
    gd = export.graph_to_graph_def(tf.get_default_graph(), strip_default_attrs=True)
    assert set(_node(gd, "conv").attr) == {"T", "strides", "padding"}
    assert _node(gd, "conv").attr["padding"].s == b"SAME"
    assert list(_node(gd, "conv").attr["strides"].list.i) == [1, 1, 1, 1]
    assert set(_node(gd, "pool").attr) == {"T", "ksize", "strides", "padding"}
    assert set(_node(gd, "mm").attr) == {"T", "transpose_b"}
    assert set(_node(gd, "mm_plain").attr) == {"T"}
    assert set(_node(gd, "x").attr) == {"dtype", "shape"}
    assert not [k for n in gd.node for k in n.attr if k.startswith("_")]
    assert set(_node(export.graph_to_graph_def(tf.get_default_graph(), add_shapes=True,
                                               strip_default_attrs=True), "pool").attr) == \
        {"T", "ksize", "strides", "padding", "_output_shapes"}


def test_import_ignores_underscore_and_unknown_attrs_and_fills_defaults():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
    tf.matmul(x, w, name="y")
    gd = tf.get_default_graph().as_graph_def(add_shapes=True)
    y = _node(gd, "y")
    y.attr["_class"].list.s.append(b"loc:@w")
    y.attr["_user_specified_name"].s = b"y"
    y.attr["grad_a"].b = False  # newer TensorFlow's attr minitf does not model
    y.attr["from_the_future"].i = 3
    del y.attr["transpose_a"]  # as a stripped file leaves it out: filled from the default
    g = tf.Graph()
    with g.as_default():
        [out] = tf.import_graph_def(gd, return_elements=["y:0"], name="")
        with tf.Session() as sess:
            got = sess.run(out, {"x:0": np.ones((1, 3), np.float32)})
    np.testing.assert_array_equal(got, [[6.0, 9.0]])
    assert out.op.get_attr("transpose_a") is False
    with pytest.raises(ValueError):
        out.op.get_attr("from_the_future")


@pytest.mark.parametrize("op_type", ["Add", "AddV2"])
def test_add_and_add_v2_both_load(tmp_path, op_type):
    gd = graph_pb2.GraphDef()
    text_format.Parse(f"""
        node {{ name: "a" op: "Placeholder" attr {{ key: "dtype" value {{ type: DT_FLOAT }} }} }}
        node {{ name: "b" op: "Const" attr {{ key: "dtype" value {{ type: DT_FLOAT }} }}
               attr {{ key: "value" value {{ tensor {{ dtype: DT_FLOAT tensor_shape {{ }}
                                                      float_val: 0.5 }} }} }} }}
        node {{ name: "sum" op: "{op_type}" input: "a" input: "b"
               attr {{ key: "T" value {{ type: DT_FLOAT }} }} }}
    """, gd)
    path = tmp_path / "add.pb"
    path.write_bytes(gd.SerializeToString())
    model = export.load_frozen_graph(path, {"a": "a:0"}, {"sum": "sum:0"})
    assert model.graph.get_operation_by_name("sum").type == op_type
    assert _run_loaded(model, {"a": np.array([1.0, 2.0], np.float32)})["sum"].tolist() == \
        [1.5, 2.5]


def test_producer_version_is_written_and_old_files_without_versions_load(tmp_path):
    m = _models.linear()
    frozen = export.freeze(m.sess, m.inputs, m.outputs)
    assert frozen.as_graph_def().versions.producer >= 22
    assert tf.get_default_graph().as_graph_def().versions.producer >= 22
    path = export.write_graph_def(tmp_path / "m.pb", frozen)
    gd = graph_pb2.GraphDef()
    gd.ParseFromString(open(path, "rb").read())
    assert gd.versions.producer == export.GRAPH_DEF_PRODUCER >= 22
    # TF1's convert_variables_to_constants did not copy versions: producer 0 must still load.
    gd.ClearField("versions")
    (tmp_path / "old.pb").write_bytes(gd.SerializeToString())
    model = export.load_frozen_graph(tmp_path / "old.pb", {"x": "x:0"}, {"y": "y:0"})
    np.testing.assert_array_equal(_run_loaded(model, m.feeds)["y"], m.run()["y"])


def test_scalar_placeholder_shape_survives():
    tf.placeholder(tf.float32, [], name="scalar")
    tf.placeholder(tf.float32, None, name="anything")
    gd = tf.get_default_graph().as_graph_def()
    assert not _node(gd, "scalar").attr["shape"].shape.unknown_rank
    assert len(_node(gd, "scalar").attr["shape"].shape.dim) == 0
    assert _node(gd, "anything").attr["shape"].shape.unknown_rank
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(gd, name="")
    assert g.get_tensor_by_name("scalar:0").shape.as_list() == []
    assert g.get_tensor_by_name("anything:0").shape.rank is None


# -- tf.graph_util and tf.train.write_graph --------------------------------------------------------
def test_convert_variables_to_constants_like_tensorflow():
    m = _models.mlp(hidden=8)
    gd = tf.graph_util.convert_variables_to_constants(
        m.sess, m.sess.graph.as_graph_def(), ["probs", "classes"])
    nodes = {n.name: n for n in gd.node}
    assert not [n for n in gd.node if n.op in ("VariableV2", "Assign", "ApplyGradientDescent")]
    w = nodes["hidden/weights"]
    assert w.op == "Const" and set(w.attr) == {"dtype", "value"} and not w.input
    np.testing.assert_array_equal(tensors.make_ndarray(w.attr["value"].tensor),
                                  m.sess.run("hidden/weights:0"))
    assert nodes["hidden/weights/read"].op == "Identity"
    assert list(nodes["hidden/weights/read"].input) == ["hidden/weights"]
    order = [n.name for n in m.sess.graph.as_graph_def().node if n.name in nodes]
    assert [n.name for n in gd.node] == order  # original GraphDef order
    g = tf.Graph()
    with g.as_default():
        probs, classes = tf.import_graph_def(gd, return_elements=["probs:0", "classes:0"],
                                             name="")
        with tf.Session() as sess:
            got = sess.run({"probs": probs, "classes": classes}, {"x:0": m.feeds["x"]})
    want = m.run()
    for alias in want:
        np.testing.assert_array_equal(got[alias], want[alias])


def test_convert_variables_to_constants_allow_and_deny_lists():
    m = _models.linear()
    gd = tf.get_default_graph().as_graph_def()
    only_a = tf.graph_util.convert_variables_to_constants(m.sess, gd, ["y"],
                                                          variable_names_whitelist=["A"])
    ops = {n.name: n.op for n in only_a.node}
    assert ops["A"] == "Const" and ops["b"] == "VariableV2"
    not_a = tf.graph_util.convert_variables_to_constants(m.sess, gd, ["y"],
                                                         variable_names_blacklist=["A"])
    ops = {n.name: n.op for n in not_a.node}
    assert ops["A"] == "VariableV2" and ops["b"] == "Const"


def test_extract_sub_graph():
    a = tf.constant(1.0, name="a")
    b = tf.constant(2.0, name="b")
    with tf.control_dependencies([b]):
        c = tf.identity(a, name="c")
    tf.add(c, 1.0, name="d")
    tf.constant(3.0, name="unrelated")
    gd = tf.get_default_graph().as_graph_def()
    # A colocation constraint pulls its target in, as in TensorFlow.
    _node(gd, "unrelated").attr["_class"].list.s.append(b"loc:@e")
    gd.node.add(name="e", op="NoOp")
    sub = tf.graph_util.extract_sub_graph(gd, ["d"])
    assert [n.name for n in sub.node] == ["a", "b", "c", "d/y", "d"]
    assert sub.versions == gd.versions
    assert [n.name for n in tf.graph_util.extract_sub_graph(gd, ["unrelated"]).node] == \
        ["unrelated", "e"]
    with pytest.raises(TypeError, match="iterable of strings"):
        tf.graph_util.extract_sub_graph(gd, "d")
    with pytest.raises(AssertionError, match="nope is not in graph"):  # TF's assertion
        tf.graph_util.extract_sub_graph(gd, ["nope"])
    with pytest.raises(TypeError, match="graph_def must be a graph_pb2.GraphDef proto"):
        tf.graph_util.extract_sub_graph(tf.get_default_graph(), ["d"])


def test_convert_variables_to_constants_freezes_the_graph_def_it_is_given():
    """Edits to the GraphDef (devices cleared, as freeze_graph's clear_devices does; training
    nodes removed) stay in the frozen graph: it was rebuilt from the session's graph, so a
    node kept its GPU device and TF refused to run it on a CPU-only machine."""
    with tf.device("/device:GPU:0"):
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.Variable([[1.0], [2.0]], name="w")
        h = tf.identity(tf.matmul(x, w), name="h")
        tf.add(h, 1.0, name="y")
    with tf.Session() as sess:
        sess.run(w.initializer)
        gd = sess.graph.as_graph_def()
        for node in gd.node:
            node.device = ""
        frozen = tf.graph_util.convert_variables_to_constants(sess, gd, ["y"])
        trimmed = tf.graph_util.convert_variables_to_constants(
            sess, tf.graph_util.remove_training_nodes(gd), ["y"])
    assert {n.device for n in frozen.node} == {""}
    assert "h" in {n.name for n in frozen.node} and "h" not in {n.name for n in trimmed.node}
    g = tf.Graph()
    with g.as_default(), tf.Session() as sess:
        tf.import_graph_def(trimmed, name="")
        np.testing.assert_allclose(sess.run("y:0", {"x:0": [[1.0, 1.0]]}), [[4.0]])


def test_convert_variables_to_constants_keeps_named_ops_without_outputs():
    """An output name may be an op with no outputs (a tf.group, tables_initializer): it and
    what it runs stay, so the frozen graph can still fill its tables (it was dropped, and the
    table read failed in TF as uninitialized)."""
    keys = tf.constant(["a", "b"])
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(keys, tf.constant([1, 2], tf.int64)), -1)
    tf.identity(table.lookup(tf.constant(["b", "z"])), name="ids")
    init = tf.tables_initializer(name="init_all_tables")
    with tf.Session() as sess:
        sess.run(init)
        frozen = tf.graph_util.convert_variables_to_constants(
            sess, sess.graph.as_graph_def(), ["ids", "init_all_tables"])
        with pytest.raises(AssertionError, match="nope is not in graph"):
            tf.graph_util.convert_variables_to_constants(sess, sess.graph.as_graph_def(),
                                                         ["nope"])
    assert "init_all_tables" in {n.name for n in frozen.node}
    g = tf.Graph()
    with g.as_default(), tf.Session() as sess:
        tf.import_graph_def(frozen, name="")
        sess.run("init_all_tables")
        np.testing.assert_array_equal(sess.run("ids:0"), [2, -1])


@pytest.mark.parametrize("as_text", [True, False])
def test_train_write_graph(tmp_path, as_text):
    m = _models.linear()
    logdir = tmp_path / "logs" / "run1"
    name = "graph.pbtxt" if as_text else "graph.pb"
    path = tf.train.write_graph(m.sess.graph, str(logdir), name, as_text=as_text)
    assert path == os.path.join(str(logdir), name)
    gd = graph_pb2.GraphDef()
    if as_text:
        text_format.Parse(open(path).read(), gd)
    else:
        gd.ParseFromString(open(path, "rb").read())
    assert gd == m.sess.graph.as_graph_def()
    # A GraphDef is accepted too.
    path2 = tf.train.write_graph(gd, str(logdir), "again.pb", as_text=False)
    assert open(path2, "rb").read() == gd.SerializeToString()


def test_load_saved_model_accepts_the_file_or_its_directory(tmp_path):
    m = _models.linear()
    path = export.save_model(tmp_path / "1", export.freeze(m.sess, m.inputs, m.outputs))
    a = export.load_saved_model(path)
    b = export.load_saved_model(os.path.join(path, "saved_model.pb"))
    assert a.signatures == b.signatures
    assert a.tensor("y:0").name == "y:0"
    with pytest.raises(NotFoundError, match="nope:0"):
        a.tensor("nope:0")


def test_freezing_keeps_the_static_shapes_set_shape_gave(tmp_path):
    """An output whose shape inference alone cannot know (a crop to a size, set by
    set_shape) keeps its static shape in the signature, as TF's export records it."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, None])
        y = tf.reshape(x, [-1])
        y.set_shape([12])
        with tf.Session() as sess:
            export.save_model(str(tmp_path / "1"), sess, inputs={"x": x}, outputs={"y": y})
    model = export.load_saved_model(str(tmp_path / "1"))
    assert model.signatures["serving_default"].outputs["y"].shape.as_list() == [12]


def test_a_tensorflow_gradient_of_a_while_loop_trains():
    # TF's gradient loop gates the gradient of a loop variable's initial value (an Identity
    # between the gradient loop's Switch and its Exit): minitf runs it to TF's weights.
    from minitf.export.graph_def import parse_text_proto

    data = os.path.join(os.path.dirname(__file__), "data")
    path = os.path.join(data, "tf_while_training.pbtxt")
    gd = parse_text_proto(open(path, "rb").read(), graph_pb2.GraphDef(), path, "GraphDef")
    assert any(n.op == "Exit" and n.input[0].endswith("Merge_1_grad/tuple/control_dependency")
               for n in gd.node), "the graph no longer shows what it is here to test"
    expected = np.load(os.path.join(data, "tf_while_training.npz"))
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.import_graph_def(gd, name="")
        sess.run("w/Assign")
        for w in expected["w"]:
            sess.run("train", {"x:0": expected["x"]})
            np.testing.assert_allclose(sess.run("w:0"), w, rtol=1e-5)


def test_a_tensorflow_training_graph_imports_cut_to_its_outputs():
    # TF 2.x's training graph: its stateless random initializers import now (their values are
    # checked in tests/core/test_stateless_random.py) and so does its saver (SaveV2/RestoreV2,
    # tests/core/test_checkpoint_ops.py): the whole graph imports and its restore op reads the
    # checkpoint beside it; the graph cut to the outputs (and the initializers of the tables
    # they use) imports and runs too.
    from minitf.export.freeze import graph_def_for_outputs
    from minitf.export.graph_def import parse_text_proto

    path = os.path.join(os.path.dirname(__file__), "data", "tf_training", "graph.pbtxt")
    gd = parse_text_proto(open(path, "rb").read(), graph_pb2.GraphDef(), path, "GraphDef")
    ckpt = os.path.join(os.path.dirname(path), "model")
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.import_graph_def(gd, name="")
        sess.run("save/restore_all", {"save/Const:0": ckpt})
        reader = tf.train.load_checkpoint(ckpt)
        for name, _ in tf.train.list_variables(ckpt):
            np.testing.assert_array_equal(sess.run(f"{name}:0"), reader.get_tensor(name))
    cut = graph_def_for_outputs(gd, ["y", "ids"])
    kept = {n.op for n in cut.node}
    assert "LookupTableImportV2" in kept and "VariableV2" in kept
    assert not kept & {"StatelessRandomGetKeyCounter", "ApplyAdam", "SaveV2", "Assign"}
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.import_graph_def(cut, name="")
        sess.run("key_value_init/LookupTableImportV2")
        ids = sess.run("ids:0", {"words:0": np.array([b"b", b"?"], dtype=object)})
    np.testing.assert_array_equal(ids, [2, -1])
