"""tensorflow.serving.SessionService/SessionRun: TF1's Session.run over the network.

Feeds and fetches by tensor name or by signature alias, targets, intermediate tensors, a fed
intermediate that cuts the graph, unknown names; checked against numpy references and, TF1
style, against minitf's own ``Session.run`` on the very graph the server loaded.
"""

from __future__ import annotations

import grpc
import numpy as np
import pytest

import minitf as tf
from minitf.export import load_saved_model
from minitf.export.tensors import make_ndarray, make_tensor_proto
from minitf.protos import method_path, named_tensor_pb2, session_service_pb2
from minitf.serving.repository import ModelConfig

from .conftest import B1, W1, W2, reference, running_server, write_model

SESSION_RUN = method_path(session_service_pb2.DESCRIPTOR.services_by_name["SessionService"]
                          .methods_by_name["SessionRun"])
X = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.5, -0.5, -2.0], [0.0, 0.1, 0.2, 0.3]],
             np.float32)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("session")
    write_model(str(root / "dense"), 1)
    write_model(str(root / "dense"), 2, 2.0)
    models = [ModelConfig(name="dense", base_path=str(root / "dense"), version_policy="all")]
    with running_server(models) as (server, client):
        call = client.channel.unary_unary(
            SESSION_RUN, request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=session_service_pb2.SessionRunResponse.FromString)
        yield server, client, call, str(root / "dense")


def run(call, feeds, fetches, targets=(), version=None, alias=False, signature=None):
    """One SessionRun with our protos; returns the response."""
    req = session_service_pb2.SessionRunRequest(fetch=list(fetches), target=list(targets),
                                                tensor_name_is_alias=alias)
    req.model_spec.name = "dense"
    if version is not None:
        req.model_spec.version.value = version
    if signature:
        req.model_spec.signature_name = signature
    for name, value in feeds.items():
        req.feed.append(named_tensor_pb2.NamedTensorProto(name=name,
                                                          tensor=make_tensor_proto(value)))
    return call(req, timeout=10)


def values(response) -> list:
    return [make_ndarray(t.tensor) for t in response.tensor]


def refused(call, *args, **kwargs) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        run(call, *args, **kwargs)
    return err.value


def test_feeds_and_fetches_by_tensor_name(served):
    _, _, call, _ = served
    response = run(call, {"x:0": X}, ["probs:0", "classes:0", "logits:0"], version=1)
    assert [t.name for t in response.tensor] == ["probs:0", "classes:0", "logits:0"]
    assert response.model_spec.name == "dense" and response.model_spec.version.value == 1
    probs, classes, logits = values(response)
    ref = reference(X)
    np.testing.assert_allclose(probs, ref["probs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(classes, ref["classes"])
    assert classes.dtype == np.int64
    np.testing.assert_allclose(logits, ref["logits"], rtol=1e-5, atol=1e-6)


def test_latest_version_when_none_given(served):
    _, _, call, _ = served
    response = run(call, {"x:0": X}, ["logits:0"])
    assert response.model_spec.version.value == 2
    np.testing.assert_allclose(values(response)[0], reference(X, 2.0)["logits"], rtol=1e-5,
                               atol=1e-5)


def test_by_alias(served):
    _, client, call, _ = served
    response = run(call, {"x": X}, ["classes", "probs"], version=1, alias=True)
    assert [t.name for t in response.tensor] == ["classes", "probs"]  # named as asked
    classes, probs = values(response)
    np.testing.assert_array_equal(classes, reference(X)["classes"])
    np.testing.assert_allclose(probs, reference(X)["probs"], rtol=1e-5, atol=1e-6)
    # The signature named in the model spec resolves the aliases (and is echoed back).
    response = run(call, {"x": X}, ["logits"], version=1, alias=True,
                   signature="serving_default")
    assert response.model_spec.signature_name == "serving_default"
    # Our Client does the same.
    [logits] = client.session_run("dense", {"x": X}, ["logits"], version=1, by_alias=True)
    np.testing.assert_allclose(logits, reference(X)["logits"], rtol=1e-5, atol=1e-6)


def test_unknown_alias_names_it(served):
    err = refused(served[2], {"x": X}, ["scores"], alias=True)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "scores" in err.details() and "probs" in err.details()  # lists the known ones
    err = refused(served[2], {"images": X}, ["probs"], alias=True)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "images" in err.details()
    err = refused(served[2], {"x": X}, ["probs"], alias=True, signature="classify")
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "classify" in err.details()


def test_fetch_intermediate_tensors(served):
    _, _, call, _ = served
    pre, hidden, logits = values(run(call, {"x:0": X}, ["add:0", "Relu:0", "MatMul_1:0"],
                                     version=1))
    np.testing.assert_allclose(pre, X @ W1 + B1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hidden, np.maximum(X @ W1 + B1, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(logits, np.maximum(X @ W1 + B1, 0) @ W2, rtol=1e-5, atol=1e-5)


def test_fed_intermediate_cuts_the_graph(served):
    """Feeding Relu:0 replaces everything upstream: x is not needed, and values a ReLU could
    never produce (negatives) go straight into the second layer."""
    _, _, call, _ = served
    h = np.linspace(-2, 2, 16, dtype=np.float32).reshape(2, 8)
    logits, probs = values(run(call, {"Relu:0": h}, ["logits:0", "probs:0"], version=1))
    np.testing.assert_allclose(logits, h @ W2, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(probs, softmax(h @ W2), rtol=1e-5, atol=1e-6)
    # Fetching a fed tensor returns the fed value.
    [back] = values(run(call, {"Relu:0": h}, ["Relu:0"], version=1))
    np.testing.assert_array_equal(back, h)


def test_targets(served):
    _, _, call, _ = served
    response = run(call, {"x:0": X}, [], targets=["probs"], version=1)
    assert len(response.tensor) == 0  # a target runs, nothing is returned
    response = run(call, {"x:0": X}, ["classes:0"], targets=["probs"], version=1)
    np.testing.assert_array_equal(values(response)[0], reference(X)["classes"])
    err = refused(call, {"x:0": X}, ["probs:0"], targets=["train_op"])
    assert err.code() == grpc.StatusCode.NOT_FOUND and "train_op" in err.details()
    err = refused(call, {"x:0": X}, [])
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "at least one fetch or target" in err.details()


@pytest.mark.parametrize("feeds,fetches,missing", [
    ({"x:0": X}, ["nope:0"], "nope:0"),
    ({"nope:0": X}, ["probs:0"], "nope:0"),
    ({"x:0": X}, ["probs:3"], "probs:3"),  # the op exists, that output does not
])
def test_unknown_tensor_names_are_not_found(served, feeds, fetches, missing):
    err = refused(served[2], feeds, fetches)
    assert err.code() == grpc.StatusCode.NOT_FOUND
    assert missing in err.details()


def test_bad_feeds(served):
    call = served[2]
    err = refused(call, {"x:0": np.zeros((2, 5), np.float32)}, ["probs:0"])
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "x:0" in err.details() and "(2, 5)" in err.details()
    err = refused(call, {"x:0": np.array([[b"a"] * 4], dtype=object)}, ["probs:0"])
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "x:0" in err.details()
    err = refused(call, {}, ["probs:0"])  # x is needed and not fed
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "'x'" in err.details()
    err = refused(call, {"x:0": X}, ["probs:0"], version=5)
    assert err.code() == grpc.StatusCode.NOT_FOUND and "5" in err.details()


def test_duplicate_feed_is_refused(served):
    req = session_service_pb2.SessionRunRequest(fetch=["probs:0"])
    req.model_spec.name = "dense"
    for _ in range(2):
        req.feed.append(named_tensor_pb2.NamedTensorProto(name="x:0",
                                                          tensor=make_tensor_proto(X)))
    with pytest.raises(grpc.RpcError) as err:
        served[2](req, timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "x:0" in err.value.details()


def test_same_answers_as_session_run_on_the_same_graph(served):
    """TF1 style: load the served version's graph, run it in a minitf Session with the same
    feeds and fetches, and get exactly the server's answers."""
    _, _, call, base = served
    model = load_saved_model(f"{base}/1")
    h = np.linspace(-1, 1, 24, dtype=np.float32).reshape(3, 8)
    cases = [({"x:0": X}, ["probs:0", "Relu:0", "classes:0"]),
             ({"Relu:0": h}, ["logits:0", "probs:0"]),
             ({"x:0": X, "add:0": h}, ["Relu:0", "classes:0"])]
    with tf.Session(graph=model.graph) as sess:
        for feeds, fetches in cases:
            local = sess.run(fetches, feed_dict=feeds)
            remote = values(run(call, feeds, fetches, version=1))
            for name, a, b in zip(fetches, local, remote):
                assert a.dtype == b.dtype and a.shape == b.shape, name
                np.testing.assert_array_equal(b, a, err_msg=name)
