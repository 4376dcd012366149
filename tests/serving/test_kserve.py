"""KServe v2 / Open Inference Protocol through Triton's official Python client, unchanged
(``tritonclient.grpc``, part of the dev extra, so this runs everywhere): health, server and
model metadata, model config, inference with raw and typed inputs, requested and all outputs,
several rows, versions, and ModelStatistics. Values are checked against numpy references."""

from __future__ import annotations

import threading
import time

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

import minitf
from minitf.export import save_model
from minitf.serving.batching import BatchingConfig
from minitf.serving.repository import ModelConfig

from .conftest import reference, running_server, write_model

SCALES = {1: 1.0, 2: 2.0}
MAX_BATCH = 8
TIMEOUT_US = 1000
RNG = np.random.default_rng(11)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """"dense" v1 and v2 (policy all, batching on); "plain": v1 with batching off."""
    root = tmp_path_factory.mktemp("kserve")
    for version, scale in SCALES.items():
        write_model(str(root / "dense"), version, scale)
    write_model(str(root / "plain"), 1)
    models = [ModelConfig(name="dense", base_path=str(root / "dense"), version_policy="all"),
              ModelConfig(name="plain", base_path=str(root / "plain"),
                          batching=BatchingConfig(enabled=False))]
    with running_server(models, BatchingConfig(max_batch_size=MAX_BATCH,
                                               batch_timeout_micros=TIMEOUT_US)) as (server, _):
        yield server


@pytest.fixture(scope="module")
def triton_client(served):
    client = triton.InferenceServerClient(f"127.0.0.1:{served.grpc_port}")
    yield client
    client.close()


def x_rows(n):
    return RNG.standard_normal((n, 4)).astype(np.float32)


def infer_input(x, name="x"):
    return triton.InferInput(name, list(x.shape), "FP32").set_data_from_numpy(x)


def assert_close(actual, expected, name=""):
    assert actual.shape == expected.shape, name
    assert actual.dtype == expected.dtype, name
    if np.issubdtype(expected.dtype, np.floating):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6, err_msg=name)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=name)


def test_health(triton_client):
    assert triton_client.is_server_live()
    assert triton_client.is_server_ready()
    assert triton_client.is_model_ready("dense")
    assert triton_client.is_model_ready("dense", "1")
    assert triton_client.is_model_ready("dense", "2")
    assert triton_client.is_model_ready("plain")
    assert not triton_client.is_model_ready("dense", "3")  # known model, no such version
    assert not triton_client.is_model_ready("nope")  # as Triton: OK, ready=false


def test_server_metadata(triton_client):
    meta = triton_client.get_server_metadata()
    assert meta.name == "minitf"
    assert meta.version == minitf.__version__
    # perf_analyzer reads the server-side breakdown only when "statistics" is advertised.
    assert {"statistics", "model_configuration", "model_repository",
            "classification"} <= set(meta.extensions)
    assert triton_client.get_server_metadata(as_json=True)["name"] == "minitf"


def test_model_metadata(triton_client):
    meta = triton_client.get_model_metadata("dense")
    assert meta.name == "dense"
    assert list(meta.versions) == ["1", "2"]
    assert meta.platform == "tensorflow_savedmodel"
    assert [(t.name, t.datatype, list(t.shape)) for t in meta.inputs] == [("x", "FP32", [-1, 4])]
    assert [(t.name, t.datatype, list(t.shape)) for t in meta.outputs] == [
        ("classes", "INT64", [-1]), ("logits", "FP32", [-1, 3]), ("probs", "FP32", [-1, 3])]
    assert triton_client.get_model_metadata("dense", "1").name == "dense"
    as_json = triton_client.get_model_metadata("plain", as_json=True)
    assert as_json["inputs"][0]["shape"] == ["-1", "4"]  # int64 as JSON strings (MessageToJson)


def test_model_config(triton_client):
    config = triton_client.get_model_config("dense").config
    assert config.name == "dense"
    assert config.max_batch_size == MAX_BATCH
    # With batching, Triton's dims leave out the batch dimension.
    assert [(t.name, t.data_type, list(t.dims)) for t in config.input] == [
        ("x", triton.model_config_pb2.TYPE_FP32, [4])]
    assert [(t.name, t.data_type, list(t.dims)) for t in config.output] == [
        ("classes", triton.model_config_pb2.TYPE_INT64, []),
        ("logits", triton.model_config_pb2.TYPE_FP32, [3]),
        ("probs", triton.model_config_pb2.TYPE_FP32, [3])]
    assert config.dynamic_batching.max_queue_delay_microseconds == TIMEOUT_US

    plain = triton_client.get_model_config("plain").config
    assert plain.max_batch_size == 0 and not plain.HasField("dynamic_batching")
    assert list(plain.input[0].dims) == [-1, 4]  # no batching: the full shape


@pytest.mark.parametrize("model,version", [("dense", ""), ("dense", "1"), ("dense", "2"),
                                           ("plain", "")])
def test_infer_raw_all_outputs_several_rows(triton_client, model, version):
    x = x_rows(5)
    result = triton_client.infer(model, [infer_input(x)], model_version=version,
                                 request_id=f"req-{model}-{version}")
    response = result.get_response()
    served_version = int(version or (2 if model == "dense" else 1))
    assert response.model_name == model
    assert response.model_version == str(served_version)
    assert response.id == f"req-{model}-{version}"
    assert sorted(o.name for o in response.outputs) == ["classes", "logits", "probs"]
    # Triton answers in raw_output_contents, one entry per output.
    assert len(response.raw_output_contents) == 3
    ref = reference(x, SCALES[served_version])
    for name in ("classes", "logits", "probs"):
        assert_close(result.as_numpy(name), ref[name], name)


def test_infer_requested_outputs(triton_client):
    x = x_rows(3)
    result = triton_client.infer("dense", [infer_input(x)], model_version="1", outputs=[
        triton.InferRequestedOutput("probs"), triton.InferRequestedOutput("classes")])
    # Only what was asked for, in the order asked.
    assert [o.name for o in result.get_response().outputs] == ["probs", "classes"]
    assert result.as_numpy("logits") is None
    ref = reference(x)
    assert_close(result.as_numpy("probs"), ref["probs"])
    assert_close(result.as_numpy("classes"), ref["classes"])


def test_infer_single_row(triton_client):
    x = x_rows(1)
    result = triton_client.infer("dense", [infer_input(x)], model_version="2")
    assert_close(result.as_numpy("logits"), reference(x, 2.0)["logits"])


def test_infer_typed_contents(served, triton_client):
    """Typed ``contents`` (fp32_contents) instead of raw bytes, through the official stub;
    the answer still comes in raw_output_contents and decodes with the official InferResult."""
    x = x_rows(4)
    channel = grpc.insecure_channel(f"127.0.0.1:{served.grpc_port}")
    try:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        request = service_pb2.ModelInferRequest(model_name="dense", model_version="1")
        tensor = request.inputs.add(name="x", datatype="FP32", shape=list(x.shape))
        tensor.contents.fp32_contents.extend(x.reshape(-1).tolist())
        request.outputs.add(name="logits")
        response = stub.ModelInfer(request, timeout=10)
    finally:
        channel.close()
    assert not response.outputs[0].HasField("contents")
    result = triton.InferResult(response)
    assert_close(result.as_numpy("logits"), reference(x)["logits"])


def test_infer_refusals_through_official_client(triton_client):
    x = x_rows(2)
    cases = [
        (lambda: triton_client.infer("nope", [infer_input(x)]), "NOT_FOUND", ["nope"]),
        (lambda: triton_client.infer("dense", [infer_input(x)], model_version="7"),
         "NOT_FOUND", ["7"]),
        (lambda: triton_client.infer("dense", [infer_input(x, "images")]), "INVALID_ARGUMENT",
         ["Sent extra: {images}", "Missing but required: {x}"]),
        (lambda: triton_client.infer("dense", [triton.InferInput("x", [2, 4], "FP64")
                                               .set_data_from_numpy(x.astype(np.float64))]),
         "INVALID_ARGUMENT", ["'x'", "float32", "float64"]),
        (lambda: triton_client.infer("dense", [infer_input(x)], outputs=[
            triton.InferRequestedOutput("scores")]), "INVALID_ARGUMENT", ["scores"]),
    ]
    for call, code, fragments in cases:
        with pytest.raises(InferenceServerException) as err:
            call()
        assert err.value.status() == f"StatusCode.{code}", err.value.message()
        for fragment in fragments:
            assert fragment in err.value.message()


def _stats(client, model, version):
    stats = client.get_inference_statistics(model, version).model_stats
    assert [(s.name, s.version) for s in stats] == [(model, version)]
    return stats[0]


def test_inference_statistics(triton_client):
    before = _stats(triton_client, "dense", "1")
    rows = [1, 3, 2]
    for n in rows:
        triton_client.infer("dense", [infer_input(x_rows(n))], model_version="1")
    with pytest.raises(InferenceServerException):
        triton_client.infer("dense", [infer_input(x_rows(2), "images")], model_version="1")
    after = _stats(triton_client, "dense", "1")
    assert after.inference_count - before.inference_count == sum(rows)  # rows, as Triton
    assert after.inference_stats.success.count - before.inference_stats.success.count == 3
    assert after.inference_stats.fail.count - before.inference_stats.fail.count == 1
    assert after.inference_stats.success.ns > before.inference_stats.success.ns
    assert after.last_inference >= before.last_inference and after.last_inference > 0
    # One after the other, each request was a batch of its own; the refused one never ran.
    assert after.execution_count - before.execution_count == 3
    for stat in ("queue", "compute_infer"):
        b, a = getattr(before.inference_stats, stat), getattr(after.inference_stats, stat)
        assert (a.count - b.count, a.ns > b.ns) == (3, True), stat
    # An unbatched model runs each request at once: an execution, compute and (as Triton
    # records one for every request) a queue entry of the time before its run.
    plain_before = _stats(triton_client, "plain", "1")
    triton_client.infer("plain", [infer_input(x_rows(4))], model_version="1")
    plain = _stats(triton_client, "plain", "1")
    assert (plain.inference_count - plain_before.inference_count,
            plain.execution_count - plain_before.execution_count,
            plain.inference_stats.compute_infer.count -
            plain_before.inference_stats.compute_infer.count,
            plain.inference_stats.queue.count - plain_before.inference_stats.queue.count) == \
        (4, 1, 1, 1)
    # Without a name: every model; without a version: every version.
    everything = triton_client.get_inference_statistics().model_stats
    assert {(s.name, s.version) for s in everything} >= {("dense", "1"), ("dense", "2"),
                                                         ("plain", "1")}
    with pytest.raises(InferenceServerException) as err:
        triton_client.get_inference_statistics("nope")
    assert err.value.status() == "StatusCode.NOT_FOUND"


def test_a_request_split_across_batches_counts_once(triton_client):
    """20 rows with 8-row batches run as 3 executions but are one request: success, queue
    and compute_infer all count it once, as Triton's per-request statistics do."""
    before = _stats(triton_client, "dense", "1")
    x = x_rows(20)
    out = triton_client.infer("dense", [infer_input(x)], model_version="1")
    assert_close(out.as_numpy("logits"), reference(x, SCALES[1])["logits"])
    after = _stats(triton_client, "dense", "1")
    assert after.inference_count - before.inference_count == 20
    assert after.execution_count - before.execution_count == 3
    for stat in ("success", "queue", "compute_infer"):
        b, a = getattr(before.inference_stats, stat), getattr(after.inference_stats, stat)
        assert a.count - b.count == 1, stat


def test_timeout_parameter_applies_to_unbatched_models_too(triton_client):
    """KServe's ``timeout`` parameter (µs) bounds a request whether or not it is batched."""
    with pytest.raises(InferenceServerException) as err:
        triton_client.infer("plain", [infer_input(x_rows(2))], timeout=1)
    assert err.value.status() == "StatusCode.DEADLINE_EXCEEDED"
    x = x_rows(2)  # a generous timeout changes nothing, and 0 means none (as in Triton)
    for timeout in (10_000_000, 0):
        for model in ("plain", "dense"):  # unbatched and batched
            out = triton_client.infer(model, [infer_input(x)], model_version="1",
                                      timeout=timeout)
            assert_close(out.as_numpy("probs"), reference(x, SCALES[1])["probs"])


def assert_invalid_argument(served, request, fragment):
    """ModelInfer of ``request`` (raw, past tritonclient's checks) is INVALID_ARGUMENT with
    ``fragment`` in its message."""
    with grpc.insecure_channel(f"127.0.0.1:{served.grpc_port}") as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        with pytest.raises(grpc.RpcError) as err:
            stub.ModelInfer(request, timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in err.value.details()


@pytest.mark.parametrize("value, fragment", [
    ({"int64_param": -5}, "'timeout' parameter must be >= 0"),
    ({"string_param": "1000"}, "expected int64_param"),
    ({"double_param": 1.5}, "expected int64_param")])
def test_bad_timeout_parameter(served, value, fragment):
    request = service_pb2.ModelInferRequest(model_name="dense")
    request.inputs.add(name="x", datatype="FP32", shape=[1, 4])
    request.raw_input_contents.append(x_rows(1).tobytes())
    for field, v in value.items():
        setattr(request.parameters["timeout"], field, v)
    assert_invalid_argument(served, request, fragment)


def parse_classes(strings) -> list:
    """Triton's classification strings "value:index" as (value, index) pairs."""
    return [(float(v), int(i)) for v, i in (s.decode().split(":") for s in strings)]


def assert_top_k(strings, values, k):
    """``strings`` (Triton's "value:index") are the ``k`` largest of ``values``, largest
    first, each value printed with 6 decimals (C++'s std::to_string)."""
    pairs = parse_classes(strings)
    want = np.argsort(-values, kind="stable")[:k]
    assert [i for _, i in pairs] == want.tolist()
    np.testing.assert_allclose([v for v, _ in pairs], values[want], atol=5e-7)
    assert all(len(s.split(b":")[0].split(b".")[1]) == 6 for s in strings)


def test_classification_extension(triton_client):
    """tritonclient's class_count: each batch row's top k of an output as BYTES, per row when
    the model batches (ModelConfig's max_batch_size > 0), over the whole tensor when not."""
    assert "classification" in triton_client.get_server_metadata().extensions
    x = x_rows(3)
    want = reference(x, SCALES[2])
    result = triton_client.infer("dense", [infer_input(x)], outputs=[
        triton.InferRequestedOutput("probs", class_count=2),
        triton.InferRequestedOutput("classes", class_count=5),
        triton.InferRequestedOutput("logits")])
    probs = result.as_numpy("probs")
    assert probs.shape == (3, 2) and result.get_output("probs").datatype == "BYTES"
    for row in range(3):
        assert_top_k(probs[row], want["probs"][row], 2)
    # An integer output: "%d" values; each row holds one element, so one class per row.
    classes = result.as_numpy("classes")
    assert classes.shape == (3, 1)
    assert [parse_classes(r) for r in classes] == [[(c, 0)] for c in want["classes"]]
    assert b"." not in classes[0, 0]
    assert_close(result.as_numpy("logits"), want["logits"])  # asked for without a count
    # Batching off: max_batch_size 0, so the whole [3, 3] tensor is one row (as Triton does).
    plain = triton_client.infer("plain", [infer_input(x)], outputs=[
        triton.InferRequestedOutput("logits", class_count=4)])
    assert plain.as_numpy("logits").shape == (4,)
    assert_top_k(plain.as_numpy("logits"), reference(x)["logits"].reshape(-1), 4)
    # A count larger than a row: the whole row.
    wide = triton_client.infer("dense", [infer_input(x[:1])], outputs=[
        triton.InferRequestedOutput("probs", class_count=10)])
    assert_top_k(wide.as_numpy("probs")[0], want["probs"][0], 3)


@pytest.mark.parametrize("param, fragment", [
    (service_pb2.InferParameter(int64_param=0),
     "invalid value for 'classification' parameter, expected >= 1"),
    (service_pb2.InferParameter(int64_param=-2),
     "invalid value for 'classification' parameter, expected >= 1"),
    (service_pb2.InferParameter(string_param="3"),
     "invalid value type for 'classification' parameter, expected int64_param"),
])
def test_classification_parameter_errors(served, param, fragment):
    x = x_rows(1)
    request = service_pb2.ModelInferRequest(model_name="dense")
    request.inputs.add(name="x", datatype="FP32", shape=[1, 4])
    request.raw_input_contents.append(x.tobytes())
    request.outputs.add(name="probs").parameters["classification"].CopyFrom(param)
    assert_invalid_argument(served, request, fragment)


@pytest.mark.parametrize("version", ["\u00b2", "\u0661", "1.0", "-1", str(1 << 63), " 1"])
def test_versions_that_are_not_int64_numbers(triton_client, version):
    for call in (lambda: triton_client.is_model_ready("dense", version),
                 lambda: triton_client.get_model_metadata("dense", version),
                 lambda: triton_client.infer("dense", [infer_input(x_rows(1))],
                                             model_version=version)):
        with pytest.raises(InferenceServerException) as err:
            call()
        assert err.value.status() == "StatusCode.INVALID_ARGUMENT", version
        assert "model_version must be an integer" in err.value.message()


def test_a_request_cancelled_by_its_client_counts_as_a_failure(tmp_path):
    """The client cancels while its request waits for a batch: gRPC cancels the handler,
    ModelStatistics counts the request as failed, and the request leaves the batch queue."""
    write_model(str(tmp_path / "slow"), 1)
    models = [ModelConfig(name="slow", base_path=str(tmp_path / "slow"))]
    batching = BatchingConfig(max_batch_size=64, batch_timeout_micros=5_000_000)
    with running_server(models, batching) as (server, _):
        client = triton.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")
        batcher = server.plane.repository.get("slow").batchers["serving_default"]
        x = x_rows(1)
        request = service_pb2.ModelInferRequest(model_name="slow", raw_input_contents=[
            x.tobytes()])
        request.inputs.add(name="x", datatype="FP32", shape=x.shape)
        with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            call = service_pb2_grpc.GRPCInferenceServiceStub(channel).ModelInfer.future(request)
            for _ in range(500):
                if batcher.queue_depth():
                    break
                time.sleep(0.01)
            assert batcher.queue_depth() == 1
            call.cancel()
            for _ in range(500):  # the server sees the cancellation a moment later
                stats = _stats(client, "slow", "1").inference_stats
                if stats.fail.count:
                    break
                time.sleep(0.01)
        client.close()
        assert stats.fail.count == 1 and stats.success.count == 0
        assert batcher.queue_depth() == 0  # withdrawn, not left to run


def test_large_payloads_are_decoded_and_encoded_off_the_event_loop(served, triton_client,
                                                                   monkeypatch):
    """From OFF_LOOP_BYTES on (here: every request), decoding runs on a worker thread and the
    answers are unchanged."""
    from minitf.serving.services import common, kserve

    threads = []
    decode = kserve.decode_inputs

    def recording_decode(*args):
        threads.append(threading.current_thread().name)
        return decode(*args)

    monkeypatch.setattr(common, "OFF_LOOP_BYTES", 0)
    monkeypatch.setattr(kserve, "decode_inputs", recording_decode)
    x = x_rows(3)
    out = triton_client.infer("dense", [infer_input(x)], model_version="1")
    assert_close(out.as_numpy("probs"), reference(x)["probs"])
    assert threads and "grpc-loop" not in threads


def test_infer_response_sends_any_output_dtype_as_tritonclient_reads_it():
    """Plain arrays take the table path; a big-endian array, a numpy scalar and strings the
    slower one. tritonclient decodes raw contents as little-endian."""
    from types import SimpleNamespace

    from minitf.serving.services import kserve

    outputs = {"f": np.arange(6, dtype=np.float32).reshape(2, 3),
               "be": np.arange(4, dtype=">i4"),  # e.g. a constant decoded as stored
               "scalar": np.float64(2.5),
               "s": np.array([b"a", b"bcd"], dtype=object),
               "b": np.array([True, False])}
    entry = SimpleNamespace(name="m", version=3)
    request = service_pb2.ModelInferRequest(id="r-9")
    response = kserve._infer_response(request, entry, (), SimpleNamespace(outputs=outputs))
    result = triton.InferResult(service_pb2.ModelInferResponse.FromString(
        response.SerializeToString()))
    assert [(o.name, o.datatype, list(o.shape)) for o in response.outputs] == [
        ("b", "BOOL", [2]), ("be", "INT32", [4]), ("f", "FP32", [2, 3]),
        ("s", "BYTES", [2]), ("scalar", "FP64", [])]
    for name, want in outputs.items():
        got = result.as_numpy(name)
        assert got.tolist() == np.asarray(want).tolist(), name
    assert (response.model_version, response.id) == ("3", "r-9")
    with pytest.raises(minitf.errors.UnimplementedError, match="'c'.*complex64"):
        kserve._infer_response(request, entry, ("c",), SimpleNamespace(
            outputs={"c": np.zeros(2, np.complex64)}))


def test_a_model_whose_only_signature_is_not_serving_default(tmp_path):
    # ModelMetadata and ModelConfig describe the signature ModelInfer runs (the only one),
    # instead of asking for "serving_default" by name.
    with minitf.Graph().as_default(), minitf.Session() as sess:
        x = minitf.placeholder(minitf.float32, [None, 2], name="x")
        y = minitf.identity(x * 3.0, name="y")
        save_model(str(tmp_path / "m" / "1"), sess, signatures={
            "my_sig": {"inputs": {"x": x}, "outputs": {"y": y}}})
    models = [ModelConfig(name="m", base_path=str(tmp_path / "m"))]
    with running_server(models, BatchingConfig(max_batch_size=4)) as (server, _):
        client = triton.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")
        try:
            meta = client.get_model_metadata("m")
            assert [(t.name, list(t.shape)) for t in meta.inputs] == [("x", [-1, 2])]
            assert [(t.name, list(t.shape)) for t in meta.outputs] == [("y", [-1, 2])]
            config = client.get_model_config("m").config
            assert [(t.name, list(t.dims)) for t in config.input] == [("x", [2])]
            assert config.max_batch_size == 4
            x_in = np.ones((1, 2), np.float32)
            out = client.infer("m", [infer_input(x_in)]).as_numpy("y")
            np.testing.assert_allclose(out, x_in * 3)
        finally:
            client.close()


def test_metadata_of_a_tensor_kserve_cannot_carry(tmp_path):
    """A complex64 signature output: ModelMetadata and ModelConfig answer UNIMPLEMENTED naming
    the tensor (as ModelInfer does for such an output), not INTERNAL; Predict still works."""
    with minitf.Graph().as_default(), minitf.Session() as sess:
        x = minitf.placeholder(minitf.float32, [None, 2], name="x")
        c = minitf.complex(x, x * 2.0, name="c")
        save_model(str(tmp_path / "cx" / "1"), sess, inputs={"x": x}, outputs={"c": c})
    with running_server([ModelConfig(name="cx", base_path=str(tmp_path / "cx"))]) as (
            server, minitf_client):
        client = triton.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")
        try:
            for call in (client.get_model_metadata, client.get_model_config):
                with pytest.raises(InferenceServerException) as err:
                    call("cx")
                assert err.value.status() == "StatusCode.UNIMPLEMENTED"
                assert "output 'c' has dtype complex64" in err.value.message()
        finally:
            client.close()
        got = minitf_client.predict("cx", {"x": np.array([[1, 2]], np.float32)})["c"]
        np.testing.assert_array_equal(got, np.array([[1 + 2j, 2 + 4j]], np.complex64))


@pytest.mark.parametrize("value, count, batched, want", [
    # Hand-computed: descending, ties in index order, "%f" for floats and "%d" for integers.
    (np.array([[0.25, 0.5, 0.5], [3.0, -1.0, 2.0]], np.float32), 2, True,
     [[b"0.500000:1", b"0.500000:2"], [b"3.000000:0", b"2.000000:2"]]),
    (np.array([[0.25, 0.5, 0.5], [3.0, -1.0, 2.0]], np.float64), 3, False,
     [b"3.000000:3", b"2.000000:5", b"0.500000:1"]),
    (np.array([[7, 200, 9]], np.uint8), 5, True, [[b"200:1", b"9:2", b"7:0"]]),
    (np.array([2**62, -5, 0], np.int64), 1, True, [[b"4611686018427387904:0"], [b"-5:0"],
                                                     [b"0:0"]]),
    (np.array([[1.5, 2.5]], ">f4"), 1, True, [[b"2.500000:1"]]),  # big-endian as sent
    (np.float32(0.125), 4, True, [b"0.125000:0"]),  # 0-d: one row of one
    (np.zeros((0, 4), np.float32), 2, True, np.empty(0, object)),  # 0 rows: Triton's [0]
])
def test_classify_formats_as_triton(value, count, batched, want):
    from minitf.serving.services.kserve import classify
    got = classify("out", value, count, batched)
    assert got.dtype == object and got.shape == np.shape(want)
    assert got.tolist() == np.asarray(want, dtype=object).tolist()


@pytest.mark.parametrize("dtype, name", [(np.bool_, "BOOL"), (np.float16, "FP16"),
                                         (object, "BYTES")])
def test_classify_refuses_what_triton_refuses(dtype, name):
    from minitf.errors import InvalidArgumentError
    from minitf.serving.services.kserve import classify
    value = np.zeros((1, 2), dtype=dtype)
    if dtype is object:
        value[:] = b"a"
    with pytest.raises(InvalidArgumentError, match=f"output 'out': class result not available "
                       f"for output due to unsupported type '{name}'"):
        classify("out", value, 1, True)
