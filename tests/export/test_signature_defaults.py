"""SignatureDef.defaults in minitf's SavedModels: TF1's build_signature_def takes them as TF's
does, the builder and save_model write them as TensorFlow does, the loaders read them back as
arrays, and a default the signature cannot use (no such input, another dtype) is refused at
load naming the signature and the alias. Where TensorFlow is installed (in a subprocess), its
own build_signature_def gives the same TensorProtos and its loader reads minitf's file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minitf as tf
from minitf import export
from minitf.errors import InvalidArgumentError
from minitf.export.tensors import make_tensor_proto
from minitf.protos import saved_model_pb2, types_pb2


def _scaled():
    """(sess, x, s, y): y = x * s."""
    x = tf.placeholder(tf.float32, [None], name="x")
    s = tf.placeholder(tf.float32, [], name="s")
    y = tf.multiply(x, s, name="y")
    return tf.Session(), x, s, y


def _signature(x, s, y, defaults):
    info = tf.saved_model.utils.build_tensor_info
    return tf.saved_model.signature_def_utils.build_signature_def(
        {"x": info(x), "s": info(s)}, {"y": info(y)}, tf.saved_model.PREDICT_METHOD_NAME,
        defaults)


def test_build_signature_def_takes_tensorflow_s_kinds_of_default():
    tf.reset_default_graph()
    _, x, s, y = _scaled()
    want = make_tensor_proto(np.float32(2.0))
    for default in (tf.constant(2.0), np.float32(2.0), want):  # a Const, a value, a proto
        sd = _signature(x, s, y, {"s": default})
        assert sd.defaults["s"] == want, default
    assert sd.defaults["s"].dtype == types_pb2.DT_FLOAT and list(sd.defaults["s"].float_val) \
        == [2.0]
    with pytest.raises(ValueError, match="Unable to convert object .* to TensorProto"):
        _signature(x, s, y, {"s": s * 2})  # not a Const: TF refuses it too
    assert not _signature(x, s, y, None).defaults


def test_builder_writes_defaults_and_loaders_read_them(tmp_path):
    tf.reset_default_graph()
    sess, x, s, y = _scaled()
    builder = tf.saved_model.Builder(str(tmp_path / "m"))
    builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={
        "serving_default": _signature(x, s, y, {"s": tf.constant(2.0)})})
    builder.save()
    model = export.load(str(tmp_path / "m"))
    default = model.signatures["serving_default"].defaults["s"]
    assert default.dtype == np.float32 and default.shape == () and default == 2.0
    assert not default.flags.writeable  # fed to every request that leaves the input out
    with tf.Session(graph=tf.Graph()) as sess2:  # TF1's loader returns the MetaGraphDef whole
        meta = tf.saved_model.loader.load(sess2, ["serve"], str(tmp_path / "m"))
    assert list(meta.signature_def["serving_default"].defaults["s"].float_val) == [2.0]


def test_save_model_defaults_take_the_input_s_dtype(tmp_path):
    tf.reset_default_graph()
    sess, x, s, y = _scaled()
    path = export.save_model(str(tmp_path / "m"), sess, signatures={"serving_default": {
        "inputs": {"x": x, "s": s}, "outputs": {"y": y}, "defaults": {"s": 2}}})
    assert export.load(path).signatures["serving_default"].defaults["s"].dtype == np.float32
    with pytest.raises(InvalidArgumentError, match="signature 'serving_default' default for "
                       "input 'q': the signature has no such input"):
        export.save_model(str(tmp_path / "bad"), sess, signatures={"serving_default": {
            "inputs": {"x": x, "s": s}, "outputs": {"y": y}, "defaults": {"q": 2}}})


def _edited(tmp_path, name, edit) -> str:
    """A minitf SavedModel of y = x * s whose serving_default SignatureDef ``edit`` changed."""
    tf.reset_default_graph()
    sess, x, s, y = _scaled()
    path = export.save_model(str(tmp_path / name), sess, inputs={"x": x, "s": s},
                             outputs={"y": y})
    file = os.path.join(path, "saved_model.pb")
    sm = saved_model_pb2.SavedModel.FromString(open(file, "rb").read())
    edit(sm.meta_graphs[0].signature_def["serving_default"])
    with open(file, "wb") as f:
        f.write(sm.SerializeToString())
    return path


def test_a_default_for_no_input_is_refused_at_load(tmp_path):
    path = _edited(tmp_path, "m", lambda sd: sd.defaults["scale"].CopyFrom(
        make_tensor_proto(np.float32(2.0))))
    with pytest.raises(InvalidArgumentError, match="signature 'serving_default' default for "
                       "input 'scale': the signature has no such input"):
        export.load(path)


def test_a_default_of_another_dtype_is_refused_at_load(tmp_path):
    path = _edited(tmp_path, "m", lambda sd: sd.defaults["s"].CopyFrom(
        make_tensor_proto(np.int32(2))))
    with pytest.raises(InvalidArgumentError, match="signature 'serving_default' default for "
                       "input 's' is int32, but the input is float32"):
        export.load(path)


def test_a_default_of_an_incompatible_shape_is_refused_at_load(tmp_path):
    path = _edited(tmp_path, "m", lambda sd: sd.defaults["s"].CopyFrom(
        make_tensor_proto(np.ones(3, np.float32))))
    with pytest.raises(InvalidArgumentError, match="default for input 's' has shape"):
        export.load(path)


TF_SCRIPT = textwrap.dedent("""
    import json, sys
    import tensorflow as tf

    out = {}
    sd = tf.compat.v1.saved_model.build_signature_def(
        defaults={"s": tf.constant(2.0), "n": tf.constant([1, 2], tf.int64),
                  "w": tf.constant([b"a", b"b"])})
    out["built"] = {k: v.SerializeToString().hex() for k, v in sd.defaults.items()}
    meta = tf.compat.v1.saved_model.loader.load(
        tf.compat.v1.Session(graph=tf.Graph()), ["serve"], sys.argv[1])
    out["read"] = {k: v.SerializeToString().hex()
                   for k, v in meta.signature_def["serving_default"].defaults.items()}
    print(json.dumps(out))
""")


@pytest.mark.tensorflow
def test_tensorflow_builds_the_same_defaults_and_reads_minitf_s(tmp_path):
    pytest.importorskip("tensorflow")
    tf.reset_default_graph()
    sess, x, s, y = _scaled()
    builder = tf.saved_model.Builder(str(tmp_path / "m"))
    builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={
        "serving_default": _signature(x, s, y, {"s": tf.constant(2.0)})})
    builder.save()
    done = subprocess.run([sys.executable, "-c", TF_SCRIPT, str(tmp_path / "m")],
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES=""))
    assert done.returncode == 0, done.stderr[-4000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    ours = tf.saved_model.signature_def_utils.build_signature_def(defaults={
        "s": tf.constant(2.0), "n": tf.constant([1, 2], tf.int64),
        "w": tf.constant([b"a", b"b"])})
    assert {k: v.SerializeToString().hex() for k, v in ours.defaults.items()} == got["built"]
    assert got["read"] == {"s": make_tensor_proto(np.float32(2.0)).SerializeToString().hex()}
