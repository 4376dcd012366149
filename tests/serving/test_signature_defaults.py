"""SignatureDef.defaults served as TF Serving serves them (predict_util.cc
VerifyRequestInputsSize, then saved_model::GetInputValues): an input a request leaves out takes
its default; more inputs than the signature's, or an input left out without a default, are
INVALID_ARGUMENT; a signature without defaults still needs every input. Over real gRPC on
127.0.0.1, against numpy references; then a SavedModel TensorFlow 2 wrote (a tf.function
argument with a default) loads and serves the same way, and model metadata shows the
defaults as the file has them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import grpc
import numpy as np
import pytest

import minitf as tf
from minitf.export import load, save_model
from minitf.protos import saved_model_pb2, types_pb2
from minitf.serving.repository import ModelConfig
from minitf.serving.servable import Servable

from .conftest import running_server

X = np.array([1.0, -2.0, 0.5], np.float32)


def write_scaled(path: str) -> str:
    """y = x * s: "serving_default" with s defaulting to 2.0; "strict", the same graph with no
    defaults."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        s = tf.placeholder(tf.float32, [], name="s")
        y = tf.multiply(x, s, name="y")
        with tf.Session(graph=graph) as sess:
            return save_model(path, sess, signatures={
                "serving_default": {"inputs": {"x": x, "s": s}, "outputs": {"y": y},
                                    "defaults": {"s": np.float32(2.0)}},
                "strict": {"inputs": {"x": x, "s": s}, "outputs": {"y": y}}})


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("defaults") / "scaled"
    write_scaled(str(base / "1"))
    with running_server([ModelConfig(name="scaled", base_path=str(base))],
                        reflection=False) as (server, client):
        yield server, client


def _refused(client, inputs, signature=None) -> str:
    with pytest.raises(grpc.RpcError) as err:
        client.predict("scaled", inputs, signature=signature)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
    return err.value.details()


def test_save_load_round_trip_keeps_the_default(tmp_path):
    path = write_scaled(str(tmp_path / "m"))
    sm = saved_model_pb2.SavedModel.FromString(open(os.path.join(path, "saved_model.pb"),
                                                    "rb").read())
    sd = sm.meta_graphs[0].signature_def
    # As TensorFlow writes a scalar default: DT_FLOAT, shape {}, float_val 2.
    default = sd["serving_default"].defaults["s"]
    assert default.dtype == types_pb2.DT_FLOAT and not default.tensor_shape.dim
    assert list(default.float_val) == [2.0] and not default.tensor_content
    assert not sd["strict"].defaults
    model = load(path)
    got = model.signatures["serving_default"].defaults
    assert list(got) == ["s"] and got["s"].dtype == np.float32 and got["s"].shape == ()
    assert got["s"] == np.float32(2.0)
    assert model.signatures["strict"].defaults == {}


def test_an_omitted_input_takes_its_default(served):
    _, client = served
    np.testing.assert_array_equal(client.predict("scaled", {"x": X})["y"], X * np.float32(2.0))


def test_a_sent_input_overrides_its_default(served):
    _, client = served
    got = client.predict("scaled", {"x": X, "s": np.float32(-3.0)})["y"]
    np.testing.assert_array_equal(got, X * np.float32(-3.0))


def test_an_omitted_input_without_default_is_named(served):
    _, client = served
    details = _refused(client, {"s": np.float32(3.0)})
    assert details.startswith("Signature input alias: x(feed name: x:0) not found in request "
                              "and no default value provided."), details
    assert "default input alias set: s" in details


def test_extra_inputs_are_refused(served):
    _, client = served
    details = _refused(client, {"x": X, "s": np.float32(1.0), "z": X})  # more than the signature
    assert "input size does not match signature: 3!=2" in details and "Sent extra: {z}" in \
        details
    details = _refused(client, {"x": X, "z": X})  # as many, one not an input: GetInputValues'
    assert details == "Inputs contains invalid name. Used request inputs: x, request input: x,z"


def test_a_signature_without_defaults_needs_every_input(served):
    _, client = served
    details = _refused(client, {"x": X}, signature="strict")
    assert details == ("input size does not match signature: 1!=2 len({x}) != len({s,x}). "
                       "Missing but required: {s}.")
    got = client.predict("scaled", {"x": X, "s": np.float32(0.5)}, signature="strict")["y"]
    np.testing.assert_array_equal(got, X * np.float32(0.5))


def test_metadata_shows_the_defaults(served):
    _, client = served
    sigs = client.metadata("scaled")
    default = sigs["serving_default"].defaults["s"]
    assert default.dtype == types_pb2.DT_FLOAT and list(default.float_val) == [2.0]
    assert not default.tensor_shape.dim
    assert not sigs["strict"].defaults


def test_warm_up_feeds_the_default(tmp_path):
    servable = Servable("scaled", 1, load(write_scaled(str(tmp_path / "m"))), warm_up=False)
    runner = servable.signatures["serving_default"]
    fed = []
    run = runner.run
    runner.run = lambda feeds, outputs: fed.append(list(feeds)) or run(feeds, outputs)
    runner.warm_up()
    assert fed, "warm_up ran nothing"
    by_alias = dict(zip(runner.input_names, fed[0]))
    assert by_alias["s"] == np.float32(2.0)  # not zero: what a request leaving it out gets
    np.testing.assert_array_equal(by_alias["x"], np.zeros(1, np.float32))


# -- a SavedModel TensorFlow wrote -------------------------------------------------------------
TF_WRITER = textwrap.dedent("""
    import sys
    import tensorflow as tf

    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32),
                                      tf.TensorSpec([], tf.float32)])
        def f(self, x, s=tf.constant(2.0)):
            return {"y": x * s}

    m = M()
    tf.saved_model.save(m, sys.argv[1], signatures={"serving_default": m.f})
""")


@pytest.mark.tensorflow
def test_serves_tensorflow_s_default_argument(tmp_path):
    pytest.importorskip("tensorflow")
    version = tmp_path / "tf_scaled" / "1"
    done = subprocess.run([sys.executable, "-c", TF_WRITER, str(version)], capture_output=True,
                          text=True, timeout=600,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES=""))
    assert done.returncode == 0, done.stderr[-4000:]
    sm = saved_model_pb2.SavedModel.FromString((version / "saved_model.pb").read_bytes())
    file_default = sm.meta_graphs[0].signature_def["serving_default"].defaults["s"]
    assert list(file_default.float_val) == [2.0]  # what TF wrote, which the server must use
    model = load(str(version))
    assert model.signatures["serving_default"].defaults["s"] == np.float32(2.0)
    with running_server([ModelConfig(name="tf_scaled", base_path=str(tmp_path / "tf_scaled"))],
                        reflection=False) as (_, client):
        np.testing.assert_array_equal(client.predict("tf_scaled", {"x": X})["y"],
                                      X * np.float32(2.0))
        np.testing.assert_array_equal(
            client.predict("tf_scaled", {"x": X, "s": np.float32(5.0)})["y"],
            X * np.float32(5.0))
        with pytest.raises(grpc.RpcError) as err:
            client.predict("tf_scaled", {"s": np.float32(5.0)})
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "Signature input alias: x(feed name: serving_default_x:0)" in err.value.details()
        served_default = client.metadata("tf_scaled")["serving_default"].defaults["s"]
    assert served_default.SerializeToString() == file_default.SerializeToString()
