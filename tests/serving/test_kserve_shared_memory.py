"""Triton's system shared-memory extension, through tritonclient's own shared-memory utilities
and gRPC client (unchanged) and over REST: regions registered, listed and unregistered; inputs
read from and outputs written to regions (values checked against numpy); every error with
Triton's code and wording; the CUDA RPCs answered as a server without GPUs."""

from __future__ import annotations

import os
import threading
import time

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton
import tritonclient.utils.shared_memory as shm
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from minitf.serving.batching import BatchingConfig
from minitf.serving.repository import ModelConfig

from .conftest import reference, running_server, write_model
from .rest_helpers import call, ok

X = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
PAGE = 4096


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("shm")
    write_model(str(root / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(root / "dense"))],
                        reflection=False) as (server, _):
        yield server


@pytest.fixture
def client(served):
    c = triton.InferenceServerClient(f"127.0.0.1:{served.grpc_port}")
    yield c
    c.unregister_system_shared_memory()  # every region, whatever the test left
    c.close()


@pytest.fixture
def region():
    """A fresh 2-page shm object (the client's side): ``(key, handle)``; destroyed after."""
    key = f"/minitf_test_{os.getpid()}_{np.random.default_rng().integers(1 << 30)}"
    handle = shm.create_shared_memory_region("local", key, 2 * PAGE)
    yield key, handle
    shm.destroy_shared_memory_region(handle)


def status(client) -> dict:
    return {name: (r.key, r.offset, r.byte_size) for name, r in
            client.get_system_shared_memory_status().regions.items()}


def test_advertised(client):
    assert "system_shared_memory" in client.get_server_metadata().extensions


def test_inputs_and_outputs_in_shared_memory(client, region):
    """The input at an offset in one region, "probs" written at an offset in another region
    of the same object, "logits" in the response as usual."""
    key, handle = region
    shm.set_shared_memory_region(handle, [X], offset=100)
    client.register_system_shared_memory("in", key, X.nbytes + 100)
    client.register_system_shared_memory("out", key, PAGE, offset=PAGE)  # the second page
    assert status(client) == {"in": (key, 0, X.nbytes + 100), "out": (key, PAGE, PAGE)}
    x = triton.InferInput("x", [3, 4], "FP32")
    x.set_shared_memory("in", X.nbytes, offset=100)
    probs = triton.InferRequestedOutput("probs")
    probs.set_shared_memory("out", 36, offset=8)
    result = client.infer("dense", [x], outputs=[probs, triton.InferRequestedOutput("logits")])
    want = reference(X)
    out = result.get_output("probs")
    assert (out.datatype, list(out.shape)) == ("FP32", [3, 3])
    assert result.get_response().raw_output_contents[0] == b""  # the data is in the region
    np.testing.assert_allclose(shm.get_contents_as_numpy(handle, np.float32, [3, 3],
                                                         offset=PAGE + 8),
                               want["probs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result.as_numpy("logits"), want["logits"], rtol=1e-5, atol=1e-6)
    # Unregistered: the regions are gone, and a request naming one is refused.
    client.unregister_system_shared_memory("in")
    assert list(status(client)) == ["out"]
    with pytest.raises(InferenceServerException) as err:
        client.infer("dense", [x])
    assert err.value.status() == "StatusCode.NOT_FOUND"
    assert "Unable to find shared memory region: 'in'" in err.value.message()


def test_registration_errors(client, region):
    key, _ = region
    client.register_system_shared_memory("r", key, PAGE)
    cases = [
        (lambda: client.register_system_shared_memory("r", key, PAGE), "ALREADY_EXISTS",
         "shared memory region 'r' already in manager"),
        (lambda: client.register_system_shared_memory("r2", key + "_nope", 16), "INTERNAL",
         f"Unable to open shared memory region: '{key}_nope'"),
        (lambda: client.register_system_shared_memory("r2", key, PAGE + 1, offset=PAGE),
         "INVALID_ARGUMENT", "failed to register shared memory region 'r2': invalid args"),
        (lambda: client.get_system_shared_memory_status("nope"), "NOT_FOUND",
         "Unable to find system shared memory region: 'nope'"),
        (lambda: client.register_cuda_shared_memory("c", b"\0" * 64, 0, 16),
         "INVALID_ARGUMENT", "failed to register CUDA shared memory region: 'c', GPUs not "
         "supported"),
        (lambda: client.get_cuda_shared_memory_status("r"), "NOT_FOUND",
         "The region named 'r' is registered as system shared memory, not CUDA shared memory"),
    ]
    for fn, code, message in cases:
        with pytest.raises(InferenceServerException) as err:
            fn()
        assert (err.value.status(), message) == (f"StatusCode.{code}", err.value.message())
    assert status(client) == {"r": (key, 0, PAGE)}  # the failures registered nothing
    assert not client.get_cuda_shared_memory_status().regions
    client.unregister_cuda_shared_memory()  # nothing to do, not an error
    client.unregister_system_shared_memory("never-registered")
    assert list(status(client)) == ["r"]


def infer_error(served, inputs_params, outputs_params=None, raw=True):
    request = service_pb2.ModelInferRequest(model_name="dense")
    t = request.inputs.add(name="x", datatype="FP32", shape=[3, 4])
    for k, v in inputs_params.items():
        setattr(t.parameters[k], "string_param" if isinstance(v, str) else "int64_param", v)
    if raw:
        request.raw_input_contents.append(X.tobytes())
    if outputs_params is not None:
        o = request.outputs.add(name="probs")
        for k, v in outputs_params.items():
            setattr(o.parameters[k], "string_param" if isinstance(v, str) else "int64_param", v)
    with grpc.insecure_channel(f"127.0.0.1:{served.grpc_port}") as channel:
        with pytest.raises(grpc.RpcError) as err:
            service_pb2_grpc.GRPCInferenceServiceStub(channel).ModelInfer(request, timeout=10)
    return err.value.code().name, err.value.details()


def test_inference_errors(served, client, region):
    key, handle = region
    shm.set_shared_memory_region(handle, [X])
    client.register_system_shared_memory("r", key, PAGE)
    ok_in = {"shared_memory_region": "r", "shared_memory_byte_size": X.nbytes}
    cases = [
        ({"shared_memory_region": "r"}, None, True, "INVALID_ARGUMENT",
         "'shared_memory_byte_size' must be specified along with 'shared_memory_region' "
         "parameter for input 'x'"),
        ({"shared_memory_byte_size": 48}, None, True, "INVALID_ARGUMENT",
         "'shared_memory_byte_size' can not be specified without 'shared_memory_region'"),
        ({"shared_memory_region": 3, "shared_memory_byte_size": 48}, None, True,
         "INVALID_ARGUMENT", "invalid value type for 'shared_memory_region' parameter for "
         "input 'x', expected string_param"),
        (dict(ok_in, shared_memory_offset=PAGE), None, False, "INVALID_ARGUMENT",
         "Invalid offset for shared memory region: 'r'"),
        (dict(ok_in, shared_memory_offset=PAGE - 8), None, False, "INVALID_ARGUMENT",
         "Invalid offset + byte size for shared memory region: 'r'"),
        (dict(ok_in, shared_memory_byte_size=44), None, False, "INVALID_ARGUMENT",
         "raw data has 44 bytes, but shape [3, 4] of FP32 needs 48"),
        (ok_in, None, True, "INVALID_ARGUMENT",
         "expected 0 raw_input_contents (one per input not in shared memory), got 1"),
        (ok_in, {"shared_memory_region": "r", "shared_memory_byte_size": 8}, False,
         "INTERNAL", "shared memory size specified with the request for output "
         "'probs' (8 bytes) should be at least 36 bytes to hold the results"),  # Triton's code
        (ok_in, {"shared_memory_region": "r", "shared_memory_byte_size": 36,
                 "classification": 2}, False, "INVALID_ARGUMENT",
         "output can't set both 'shared_memory_region' and 'classification'"),
    ]
    for params, out_params, raw, code, fragment in cases:
        got_code, details = infer_error(served, params, out_params, raw)
        assert got_code == code and fragment in details, (params, details)


def test_a_shape_numpy_cannot_represent_is_invalid_argument(served, client, region):
    """An input in shared memory whose shape has no elements but other dimensions that
    overflow what numpy can address: INVALID_ARGUMENT saying so, as from raw_input_contents
    (it said "raw data has 0 bytes, but shape [0, 4611686018427387904] of FP32 needs 0")."""
    key, _ = region
    client.register_system_shared_memory("r", key, PAGE)
    request = service_pb2.ModelInferRequest(model_name="dense")
    t = request.inputs.add(name="x", datatype="FP32", shape=[0, 2**62])
    t.parameters["shared_memory_region"].string_param = "r"
    t.parameters["shared_memory_byte_size"].int64_param = 0
    with grpc.insecure_channel(f"127.0.0.1:{served.grpc_port}") as channel:
        with pytest.raises(grpc.RpcError) as err:
            service_pb2_grpc.GRPCInferenceServiceStub(channel).ModelInfer(request, timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "input 'x': cannot make a tensor of shape [0, 4611686018427387904]: its element " \
        "count overflows" in err.value.details(), err.value.details()


def test_rest(served, region):
    """/v2/systemsharedmemory: register, status, infer with JSON parameters, unregister."""
    key, handle = region
    shm.set_shared_memory_region(handle, [X])
    base = "/v2/systemsharedmemory"
    assert call(served, f"{base}/region/in/register",
                {"key": key, "byte_size": X.nbytes})[:2] == (200, None)
    assert call(served, f"{base}/region/out/register",
                {"key": key, "offset": PAGE, "byte_size": 64})[:2] == (200, None)
    assert ok(served, f"{base}/status") == [
        {"name": "in", "key": key, "offset": 0, "byte_size": X.nbytes},
        {"name": "out", "key": key, "offset": PAGE, "byte_size": 64}]
    assert ok(served, f"{base}/region/out/status")[0]["name"] == "out"
    body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [3, 4], "parameters": {
        "shared_memory_region": "in", "shared_memory_byte_size": X.nbytes}}],
            "outputs": [{"name": "probs", "parameters": {
                "shared_memory_region": "out", "shared_memory_byte_size": 64}},
                {"name": "classes"}]}
    doc = ok(served, "/v2/models/dense/infer", body)
    probs, classes = doc["outputs"]
    assert probs == {"name": "probs", "datatype": "FP32", "shape": [3, 3]}  # no data
    want = reference(X)
    np.testing.assert_allclose(shm.get_contents_as_numpy(handle, np.float32, [3, 3],
                                                         offset=PAGE),
                               want["probs"], rtol=1e-5, atol=1e-6)
    assert classes["data"] == want["classes"].tolist()
    errors = [
        ("GET", f"{base}/region/x/register", None, 405, "Method Not Allowed"),
        ("POST", f"{base}/status", {}, 405, "Method Not Allowed"),
        ("POST", f"{base}/register", {"key": key, "byte_size": 8}, 400,
         "'region name' is necessary to register system shared memory region"),
        ("POST", f"{base}/region/x/register", {"key": key}, 400,
         "Shared memory register request has no 'byte_size' field"),
        ("POST", f"{base}/region/x/register", {"key": 7, "byte_size": 8}, 400,
         "Unable to parse 'key': expected a string, got 7"),
        ("POST", f"{base}/region/in/register", {"key": key, "byte_size": 8}, 400,
         "shared memory region 'in' already in manager"),
        ("GET", f"{base}/region/nope/status", None, 404,
         "Unable to find system shared memory region: 'nope'"),
        ("POST", "/v2/cudasharedmemory/region/c/register", {}, 400,
         "failed to register CUDA shared memory region: 'c', GPUs not supported"),
        ("POST", "/v2/models/dense/infer", dict(body, outputs=[]) | {"inputs": [
            dict(body["inputs"][0], parameters={"shared_memory_region": "gone",
                                                "shared_memory_byte_size": 48})]}, 404,
         "Unable to find shared memory region: 'gone'"),
        ("POST", "/v2/models/dense/infer", dict(body, inputs=[
            dict(body["inputs"][0], data=X.reshape(-1).tolist())]), 400,
         "Input must set only one of the following fields: 'data', 'binary_data_size' in "
         "'parameters', 'shared_memory_region' in 'parameters'"),
        ("POST", "/v2/models/dense/infer", dict(body, outputs=[{"name": "probs", "parameters": {
            "shared_memory_region": "out", "shared_memory_byte_size": 64,
            "binary_data": True}}]), 400,
         "Output can't set both 'shared_memory_region' and 'binary_data'"),
    ]
    for method, path, payload, code, fragment in errors:
        if method == "GET":
            got, doc, text = call(served, path)
        else:
            got, doc, text = call(served, path, payload if payload is not None else {})
        assert got == code and fragment in doc["error"], (path, text)
    assert ok(served, "/v2/cudasharedmemory/status") == []
    assert call(served, f"{base}/region/in/unregister", {})[:2] == (200, None)
    assert [r["name"] for r in ok(served, f"{base}/status")] == ["out"]
    assert call(served, f"{base}/unregister", {})[:2] == (200, None)
    assert ok(served, f"{base}/status") == []


def test_stop_closes_every_region(tmp_path, region):
    key, _ = region
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))],
                        reflection=False) as (server, _):
        server.plane.shared_memory.register("r", key, 0, PAGE)
        fd = server.plane.shared_memory.status()[0].fd
    assert server.plane.shared_memory.status() == []
    with pytest.raises(OSError):
        os.fstat(fd)  # closed (nothing else opened a descriptor since, in this thread)


def test_a_truncated_object_is_an_error_not_a_crash(client, region):
    """A client that shrinks its object after registering it: reads and writes past the new
    end are refused (a mapping would kill the server with SIGBUS), and the server serves on."""
    key, handle = region
    shm.set_shared_memory_region(handle, [X], offset=PAGE)
    client.register_system_shared_memory("r", key, 2 * PAGE)
    x = triton.InferInput("x", [3, 4], "FP32")
    x.set_shared_memory("r", X.nbytes, offset=PAGE)
    probs = triton.InferRequestedOutput("probs")
    probs.set_shared_memory("r", 36, offset=PAGE + 64)
    assert client.infer("dense", [x], outputs=[probs]).get_output("probs").shape == [3, 3]
    fd = os.open(f"/dev/shm/{key.lstrip('/')}", os.O_RDWR)
    try:
        os.ftruncate(fd, PAGE)
    finally:
        os.close(fd)
    for outputs in (None, [probs]):
        with pytest.raises(InferenceServerException) as err:
            client.infer("dense", [x], outputs=outputs)
        assert err.value.status() == "StatusCode.INVALID_ARGUMENT"
        assert "shared memory region 'r' is smaller than registered" in err.value.message()
    plain = triton.InferInput("x", [3, 4], "FP32").set_data_from_numpy(X)
    np.testing.assert_allclose(client.infer("dense", [plain]).as_numpy("probs"),
                               reference(X)["probs"], rtol=1e-5, atol=1e-6)


def test_an_output_goes_to_the_region_named_when_the_request_arrived(tmp_path, region):
    """Unregistering the output's region, and registering its name on another object, while
    the request waits for its batch: the answer still goes to the first object, as Triton
    (which unmaps only after the requests using a region)."""
    key, handle = region
    other = shm.create_shared_memory_region("other", key + "_b", PAGE)
    write_model(str(tmp_path / "slow"), 1)
    slow = BatchingConfig(max_batch_size=64, batch_timeout_micros=1_500_000)
    try:
        with running_server([ModelConfig(name="slow", base_path=str(tmp_path / "slow"),
                                         batching=slow)], reflection=False) as (server, _):
            c = triton.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")
            c.register_system_shared_memory("out", key, PAGE)
            probs = triton.InferRequestedOutput("probs")
            probs.set_shared_memory("out", 36)
            plain = triton.InferInput("x", [3, 4], "FP32").set_data_from_numpy(X)
            results = []
            caller = threading.Thread(target=lambda: results.append(
                c.infer("slow", [plain], outputs=[probs], client_timeout=30)))
            caller.start()
            batcher = server.plane.repository.get("slow").batchers["serving_default"]
            deadline = time.monotonic() + 10
            while batcher.queue_depth() == 0:  # the request is in, waiting for its batch
                assert time.monotonic() < deadline
                time.sleep(0.01)
            c.unregister_system_shared_memory("out")
            c.register_system_shared_memory("out", key + "_b", PAGE)
            caller.join(30)
            assert results and results[0].get_output("probs").shape == [3, 3]
            np.testing.assert_allclose(shm.get_contents_as_numpy(handle, np.float32, [3, 3]),
                                       reference(X)["probs"], rtol=1e-5, atol=1e-6)
            assert not shm.get_contents_as_numpy(other, np.float32, [9]).any()
            c.close()
    finally:
        shm.destroy_shared_memory_region(other)


def test_disabled(tmp_path, region):
    key, handle = region
    shm.set_shared_memory_region(handle, [X])
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))],
                        reflection=False, shared_memory=False) as (server, _):
        c = triton.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")
        assert "system_shared_memory" not in c.get_server_metadata().extensions
        x = triton.InferInput("x", [3, 4], "FP32")
        x.set_shared_memory("r", X.nbytes)
        for call_ in (lambda: c.register_system_shared_memory("r", key, PAGE),
                      lambda: c.infer("dense", [x])):
            with pytest.raises(InferenceServerException) as err:
                call_()
            assert err.value.status() == "StatusCode.UNIMPLEMENTED"
            assert "--no_shared_memory" in err.value.message()
        c.close()
