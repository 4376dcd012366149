"""Triton's ModelStreamInfer through the official client (``tritonclient.grpc`` start_stream,
async_stream_infer, stop_stream) and through a raw gRPC stream: results against numpy and
against unary ModelInfer, ids, errors that do not end the stream, request order and
concurrency, half-close, cancellation, metrics, oversize responses and server stop. Every wait
is bounded."""

from __future__ import annotations

import queue
import threading
import time
import urllib.request

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton
from prometheus_client.parser import text_string_to_metric_families
from tritonclient.grpc import service_pb2
from tritonclient.utils import InferenceServerException

from minitf.serving.batching import BatchingConfig
from minitf.serving.repository import ModelConfig

from .conftest import reference, running_server, wait_for, write_model

SCALES = {1: 1.0, 2: 2.0}
SLOW_TIMEOUT_US = 400_000  # "slow": a batch waits this long for company
STUCK_TIMEOUT_US = 60_000_000  # "stuck": a lone request waits until cancelled or drained
PAIR_ROWS = 5  # "pair": one batch holds exactly 2 + 3 rows, and runs as soon as it is full
PAIR_TIMEOUT_US = 30_000_000  # ... and a lone request would wait far longer than any test
STREAM_PATH = "/inference.GRPCInferenceService/ModelStreamInfer"
API = "kserve.ModelStreamInfer"
WAIT = 20.0  # seconds: the bound on every wait for a response
RNG = np.random.default_rng(5)


def _models(root):
    for version, scale in SCALES.items():
        write_model(str(root / "dense"), version, scale)
    for name in ("plain", "slow", "stuck", "pair"):
        write_model(str(root / name), 1)
    return [
        ModelConfig(name="dense", base_path=str(root / "dense"), version_policy="all"),
        ModelConfig(name="plain", base_path=str(root / "plain"),
                    batching=BatchingConfig(enabled=False)),
        ModelConfig(name="slow", base_path=str(root / "slow"),
                    batching=BatchingConfig(max_batch_size=64,
                                            batch_timeout_micros=SLOW_TIMEOUT_US)),
        ModelConfig(name="stuck", base_path=str(root / "stuck"),
                    batching=BatchingConfig(max_batch_size=64,
                                            batch_timeout_micros=STUCK_TIMEOUT_US)),
        ModelConfig(name="pair", base_path=str(root / "pair"),
                    batching=BatchingConfig(max_batch_size=PAIR_ROWS,
                                            batch_timeout_micros=PAIR_TIMEOUT_US)),
    ]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """dense v1 and v2 (batched, 1 ms), plain (unbatched), slow (400 ms batches), stuck and
    pair (5-row batches that wait 30 s for company)."""
    root = tmp_path_factory.mktemp("kserve_stream")
    with running_server(_models(root), BatchingConfig(max_batch_size=8,
                                                      batch_timeout_micros=1000)) as (s, _):
        yield s


@pytest.fixture
def client(served):
    c = triton.InferenceServerClient(f"127.0.0.1:{served.grpc_port}")
    yield c
    c.close()  # stops a stream still open (cancelling it)


class Responses:
    """The stream callback: (result, error) pairs in arrival order."""

    def __init__(self):
        self.queue = queue.Queue()

    def __call__(self, result, error):
        self.queue.put((result, error))

    def take(self, n, timeout=WAIT):
        end = time.monotonic() + timeout
        out = []
        for _ in range(n):
            try:
                out.append(self.queue.get(timeout=max(end - time.monotonic(), 0)))
            except queue.Empty:
                raise AssertionError(f"got {len(out)} of {n} responses within "
                                     f"{timeout}s") from None
        return out

    def nothing_more(self, seconds=0.3):
        try:
            extra = self.queue.get(timeout=seconds)
        except queue.Empty:
            return True
        raise AssertionError(f"unexpected extra response {extra}")


def x_rows(n):
    return RNG.standard_normal((n, 4)).astype(np.float32)


def infer_input(x, name="x", datatype="FP32"):
    return triton.InferInput(name, list(x.shape), datatype).set_data_from_numpy(x)


def assert_close(actual, expected, name=""):
    assert actual is not None, name
    assert actual.shape == expected.shape and actual.dtype == expected.dtype, name
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6, err_msg=name)


def stop_within(client, timeout=WAIT, cancel=False):
    """stop_stream blocks until the server ends the stream: bounded here."""
    t = threading.Thread(target=client.stop_stream, kwargs={"cancel_requests": cancel},
                         daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"stop_stream did not return within {timeout}s"


def _stats(client, model, version="1"):
    (stats,) = client.get_inference_statistics(model, version).model_stats
    return stats


def scrape(server) -> dict:
    url = f"http://127.0.0.1:{server.http_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as r:
        text = r.read().decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


def requests_count(families, model, code, api=API) -> float:
    return sum(s.value for s in families["minitf_requests"].samples
               if s.name == "minitf_requests_total" and s.labels["api"] == api and
               s.labels["model"] == model and s.labels["code"] == code)


def inflight(families, api=API) -> float:
    return sum(s.value for s in families["minitf_inflight_requests"].samples
               if s.labels["api"] == api)


def raw_stream(server, messages, timeout=WAIT):
    """Sends ``messages`` (serialised bytes) on one ModelStreamInfer, half-closes, and
    returns every response (the stream must end OK)."""
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        call = channel.stream_stream(
            STREAM_PATH, request_serializer=None,
            response_deserializer=service_pb2.ModelStreamInferResponse.FromString)
        return list(call(iter(messages), timeout=timeout))


def infer_request(model, x, request_id="", **parameters):
    request = service_pb2.ModelInferRequest(model_name=model, id=request_id,
                                            raw_input_contents=[x.tobytes()])
    request.inputs.add(name="x", datatype="FP32", shape=x.shape)
    for key, value in parameters.items():
        for field, v in value.items():
            setattr(request.parameters[key], field, v)
    return request


# -- results ---------------------------------------------------------------------------------
def test_results_match_numpy_and_unary_model_infer(client):
    """Several models and versions (batched and not), row counts and requested outputs on one
    stream: each answer matches the numpy reference and unary ModelInfer, carries its
    request's id, and they come back in request order."""
    calls = [("dense", "1", 3, None), ("plain", "", 1, None), ("dense", "2", 5, None),
             ("dense", "", 2, ["probs", "classes"]), ("plain", "1", 4, ["logits"]),
             ("dense", "1", 20, None)]  # 20 rows: split across 8-row batches
    xs = [x_rows(n) for _, _, n, _ in calls]
    responses = Responses()
    client.start_stream(responses)
    for i, ((model, version, _, outputs), x) in enumerate(zip(calls, xs)):
        requested = [triton.InferRequestedOutput(o) for o in outputs] if outputs else None
        client.async_stream_infer(model, [infer_input(x)], model_version=version,
                                  outputs=requested, request_id=f"req-{i}")
    got = responses.take(len(calls))
    stop_within(client)
    for i, ((model, version, _, outputs), x, (result, error)) in enumerate(
            zip(calls, xs, got)):
        assert error is None, error
        response = result.get_response()
        served_version = int(version or (2 if model == "dense" else 1))
        assert (response.id, response.model_name, response.model_version) == (
            f"req-{i}", model, str(served_version))
        assert response.parameters["triton_final_response"].bool_param is True
        names = outputs or ["classes", "logits", "probs"]
        assert [o.name for o in response.outputs] == names
        ref = reference(x, SCALES[served_version])
        unary = client.infer(model, [infer_input(x)], model_version=version, outputs=[
            triton.InferRequestedOutput(o) for o in names])
        for name in names:
            if name == "classes":
                np.testing.assert_array_equal(result.as_numpy(name), ref[name])
            else:
                assert_close(result.as_numpy(name), ref[name], name)
            np.testing.assert_array_equal(result.as_numpy(name), unary.as_numpy(name))


def test_classification_on_a_stream_matches_unary_model_infer(client):
    """Triton's classification extension on ModelStreamInfer: the same top-k strings as unary
    ModelInfer, each naming its row's largest probability first."""
    x = x_rows(4)
    outputs = [triton.InferRequestedOutput("probs", class_count=2)]
    responses = Responses()
    client.start_stream(responses)
    client.async_stream_infer("dense", [infer_input(x)], model_version="1", outputs=outputs)
    (result, error), = responses.take(1)
    stop_within(client)
    assert error is None, error
    unary = client.infer("dense", [infer_input(x)], model_version="1", outputs=outputs)
    got = result.as_numpy("probs")
    assert got.shape == (4, 2)
    np.testing.assert_array_equal(got, unary.as_numpy("probs"))
    best = reference(x, SCALES[1])["probs"].argmax(axis=1)
    assert [int(row[0].split(b":")[1]) for row in got] == best.tolist()


def test_a_failed_request_does_not_end_the_stream(served, client):
    """Wrong dtype, unknown model, wrong shape, unknown version and a bad timeout between
    good requests: each failure is an error in the callback (the message unary ModelInfer
    gives), and the requests after it still succeed."""
    x = x_rows(2)
    bad = [
        lambda f: f("dense", [infer_input(x.astype(np.float64), datatype="FP64")]),
        lambda f: f("nope", [infer_input(x)]),
        lambda f: f("dense", [infer_input(x_rows(2).reshape(2, 2, 2))]),
        lambda f: f("dense", [infer_input(x)], model_version="9"),
        lambda f: f("dense", [infer_input(x, name="images")]),
    ]
    expected = []
    for call in bad:
        with pytest.raises(InferenceServerException) as err:
            call(client.infer)
        expected.append(err.value.message())
    responses = Responses()
    client.start_stream(responses)
    for i, call in enumerate(bad):
        client.async_stream_infer("dense", [infer_input(x)], model_version="1",
                                  request_id=f"good-{i}")
        call(lambda *a, rid=f"bad-{i}", **k: client.async_stream_infer(*a, request_id=rid,
                                                                        **k))
    client.async_stream_infer("plain", [infer_input(x)], request_id="last")
    got = responses.take(2 * len(bad) + 1)
    stop_within(client)
    for i, message in enumerate(expected):
        (good, good_error), (bad_result, error) = got[2 * i], got[2 * i + 1]
        assert good_error is None and good.get_response().id == f"good-{i}"
        assert_close(good.as_numpy("probs"), reference(x)["probs"])
        assert bad_result is None and isinstance(error, InferenceServerException)
        assert error.message() == message  # Triton's error_message: the message alone
    for fragment in ("'x'", "float32", "float64"):
        assert fragment in expected[0]
    assert "nope" in expected[1]
    result, error = got[-1]
    assert error is None and result.get_response().id == "last"

    # On the wire: the failed request's infer_response holds only its id; a malformed
    # message is that request's error too.
    good = infer_request("plain", x, "w-1").SerializeToString()
    answers = raw_stream(served, [good, infer_request("nope", x, "w-2").SerializeToString(),
                                  b"\xff\xff\xff", good])
    assert [a.error_message == "" for a in answers] == [True, False, False, True]
    assert answers[1].infer_response == service_pb2.ModelInferResponse(id="w-2")
    assert "nope" in answers[1].error_message
    assert answers[2].error_message.startswith("malformed ModelInferRequest")
    assert answers[3].infer_response.id == "w-1"
    assert len(answers[3].infer_response.outputs) == 3


def test_enable_empty_final_response(served, client):
    """For a model that is not decoupled, Triton sends no extra empty response: each request
    gets exactly one, flagged ``triton_final_response``, with or without the option."""
    responses = Responses()
    client.start_stream(responses)
    x = x_rows(2)
    for i, enable in enumerate([True, False, True]):
        client.async_stream_infer("dense", [infer_input(x)], request_id=f"e-{i}",
                                  enable_empty_final_response=enable)
    got = responses.take(3)
    assert responses.nothing_more()
    stop_within(client)
    assert responses.nothing_more(0.05)
    for i, (result, error) in enumerate(got):
        assert error is None
        response = result.get_response()
        assert response.id == f"e-{i}" and len(response.outputs) == 3
        assert dict(response.parameters)["triton_final_response"].bool_param is True
    # The option must be a bool_param, as in Triton.
    answers = raw_stream(served, [infer_request(
        "dense", x, "p-1", triton_enable_empty_final_response={"int64_param": 1})
        .SerializeToString()])
    assert answers[0].error_message == ("invalid value type for "
                                        "'triton_enable_empty_final_response' parameter, "
                                        "expected bool_param.")
    assert answers[0].infer_response.id == "p-1"


# -- concurrency and order -------------------------------------------------------------------
def test_requests_on_one_stream_run_concurrently_and_answer_in_order(client):
    """Triton issues each request as it reads it: two requests to "pair" share one batch
    (one at a time they would run as two, the first only after pair's 30 s timeout, far
    beyond the bounded wait). Responses keep request order for a non-decoupled model: the
    unbatched request read last is answered last although it is done first."""
    before = _stats(client, "pair")
    responses = Responses()
    client.start_stream(responses)
    xs = [x_rows(2), x_rows(3), x_rows(1)]
    assert sum(len(x) for x in xs[:2]) == PAIR_ROWS  # together they fill pair's batch
    start = time.monotonic()
    client.async_stream_infer("pair", [infer_input(xs[0])], request_id="s-0")
    client.async_stream_infer("pair", [infer_input(xs[1])], request_id="s-1")
    client.async_stream_infer("plain", [infer_input(xs[2])], request_id="p-2")
    got = responses.take(3)
    elapsed = time.monotonic() - start
    stop_within(client)
    assert [r.get_response().id for r, _ in got] == ["s-0", "s-1", "p-2"]
    for (result, error), x in zip(got, xs):
        assert error is None
        assert_close(result.as_numpy("probs"), reference(x)["probs"])
    after = _stats(client, "pair")
    assert after.execution_count - before.execution_count == 1  # one batch for both
    assert after.inference_count - before.inference_count == 5
    assert elapsed < PAIR_TIMEOUT_US / 1e6 / 3  # the full batch ran, not the timeout


def test_many_concurrent_requests_on_two_streams(served):
    """Two streams (one per client, as tritonclient allows), 60 requests each, batched and
    unbatched, sent without waiting: every answer matches its own request."""
    clients = [triton.InferenceServerClient(f"127.0.0.1:{served.grpc_port}")
               for _ in range(2)]
    try:
        sent = {}
        collected = [Responses() for _ in clients]
        for c, responses in zip(clients, collected):
            c.start_stream(responses)

        def send(k, c):
            for i in range(60):
                x = x_rows(1 + i % 4)
                rid = f"c{k}-{i}"
                sent[rid] = x
                c.async_stream_infer("dense" if i % 3 else "plain", [infer_input(x)],
                                     model_version="1" if i % 3 else "", request_id=rid)

        senders = [threading.Thread(target=send, args=(k, c)) for k, c in enumerate(clients)]
        for t in senders:
            t.start()
        for t in senders:
            t.join(WAIT)
        for k, (c, responses) in enumerate(zip(clients, collected)):
            got = responses.take(60)
            ids = [r.get_response().id for r, e in got if e is None]
            assert ids == [f"c{k}-{i}" for i in range(60)]  # all answered, in request order
            for result, _ in got:
                x = sent[result.get_response().id]
                assert_close(result.as_numpy("logits"), reference(x)["logits"])
            stop_within(c)
    finally:
        for c in clients:
            c.close()


# -- ending a stream -------------------------------------------------------------------------
def test_stop_stream_finishes_outstanding_requests(client):
    """stop_stream() half-closes: the requests still waiting for their batch are answered,
    then the stream ends OK (no error in the callback)."""
    responses = Responses()
    client.start_stream(responses)
    xs = [x_rows(1), x_rows(2), x_rows(3)]
    for i, x in enumerate(xs):
        client.async_stream_infer("slow", [infer_input(x)], request_id=f"h-{i}")
    stop_within(client)  # returns once the server has ended the stream
    got = responses.take(3, timeout=0.5)  # already delivered
    assert responses.nothing_more(0.05)
    for i, ((result, error), x) in enumerate(zip(got, xs)):
        assert error is None and result.get_response().id == f"h-{i}"
        assert_close(result.as_numpy("probs"), reference(x)["probs"])


def test_cancelling_the_stream_cancels_outstanding_requests(served, client):
    """stop_stream(cancel_requests=True) while two requests wait in "stuck"'s batch queue:
    they leave the queue, count as CANCELLED in the metrics and as failures in
    ModelStatistics, and the in-flight gauge returns to 0."""
    batcher = served.plane.repository.get("stuck").batchers["serving_default"]
    before, stats_before = scrape(served), _stats(client, "stuck").inference_stats
    responses = Responses()
    client.start_stream(responses)
    for i in range(2):
        client.async_stream_infer("stuck", [infer_input(x_rows(1))], request_id=f"c-{i}")
    wait_for(lambda: batcher.queue_depth() == 2, "both requests queued")
    assert inflight(scrape(served)) == 2
    stop_within(client, cancel=True)
    wait_for(lambda: batcher.queue_depth() == 0, "the requests withdrawn")
    wait_for(lambda: _stats(client, "stuck").inference_stats.fail.count -
             stats_before.fail.count == 2, "two failures in ModelStatistics")
    after = scrape(served)
    assert requests_count(after, "stuck", "CANCELLED") - \
        requests_count(before, "stuck", "CANCELLED") == 2
    assert requests_count(after, "stuck", "OK") == requests_count(before, "stuck", "OK")
    assert inflight(after) == 0
    stats = _stats(client, "stuck").inference_stats
    assert stats.success.count == stats_before.success.count
    result, error = responses.take(1)[0]  # the client reports its own cancellation
    assert result is None and "CANCELLED" in str(error).upper()


def test_metrics_count_streamed_requests(served, client):
    """Each streamed request counts like a unary one, labelled with the stream API: by
    model, version and code; ModelStatistics counts them too; /metrics stays parseable."""
    before = scrape(served)
    stats_before = _stats(client, "dense").inference_stats
    responses = Responses()
    client.start_stream(responses)
    for _ in range(4):
        client.async_stream_infer("dense", [infer_input(x_rows(2))], model_version="1")
    client.async_stream_infer("dense", [infer_input(x_rows(2), name="images")],
                              model_version="1")
    client.async_stream_infer("nope", [infer_input(x_rows(1))])
    responses.take(6)
    stop_within(client)
    after = scrape(served)
    for model, code, n in (("dense", "OK", 4), ("dense", "INVALID_ARGUMENT", 1),
                           ("_unknown", "NOT_FOUND", 1)):
        assert requests_count(after, model, code) - requests_count(before, model, code) == n
    samples = [s for s in after["minitf_requests"].samples
               if s.name == "minitf_requests_total" and s.labels["api"] == API and
               s.labels["model"] == "dense" and s.labels["code"] == "OK"]
    assert {s.labels["version"] for s in samples} >= {"1"}
    durations = [s for s in after["minitf_request_duration_seconds"].samples
                 if s.name == "minitf_request_duration_seconds_count" and
                 s.labels["api"] == API and s.labels["model"] == "dense"]
    assert durations and durations[0].value >= 5
    assert inflight(after) == 0
    # A unary ModelInfer is not counted under the stream's label (nor the reverse).
    assert requests_count(after, "dense", "OK", "kserve.ModelInfer") == \
        requests_count(before, "dense", "OK", "kserve.ModelInfer")
    stats = _stats(client, "dense").inference_stats
    assert (stats.success.count - stats_before.success.count,
            stats.fail.count - stats_before.fail.count) == (4, 1)


# -- limits and shutdown ---------------------------------------------------------------------
def test_an_oversize_response_is_that_requests_error(tmp_path):
    """With --max_message_bytes 4096, a 200-row answer (6.4 kB) is its request's
    error_message (RESOURCE_EXHAUSTED's message), and the next request still succeeds."""
    write_model(str(tmp_path / "dense"), 1)
    models = [ModelConfig(name="dense", base_path=str(tmp_path / "dense"))]
    with running_server(models, BatchingConfig(max_batch_size=256),
                        max_message_bytes=4096) as (server, _):
        client = triton.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")
        try:
            responses = Responses()
            client.start_stream(responses)
            client.async_stream_infer("dense", [infer_input(x_rows(200))], request_id="big")
            small = x_rows(2)
            client.async_stream_infer("dense", [infer_input(small)], request_id="small")
            (big, big_error), (result, error) = responses.take(2)
            stop_within(client)
        finally:
            client.close()
    assert big is None and "exceeds the server's message size limit 4096" in \
        big_error.message()
    assert error is None and result.get_response().id == "small"
    assert_close(result.as_numpy("probs"), reference(small)["probs"])


def test_server_stop_with_an_open_stream_ends_promptly(tmp_path):
    """ModelServer.stop() while a stream is open with a request waiting for its batch: the
    request is answered (stopping drains the batch queues), then the stream ends UNAVAILABLE
    with Triton's shutdown message, so stop() returns long before its grace period instead of
    waiting for the client to close the stream."""
    models = _models(tmp_path)
    server_cm = running_server(models)
    server, _ = server_cm.__enter__()
    client = triton.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")
    try:
        responses = Responses()
        client.start_stream(responses)
        x = x_rows(2)
        client.async_stream_infer("stuck", [infer_input(x)], request_id="s")
        batcher = server.plane.repository.get("stuck").batchers["serving_default"]
        wait_for(lambda: batcher.queue_depth() == 1, "the request queued")
        grace = 20.0
        start = time.monotonic()
        stopper = threading.Thread(target=server.stop, args=(grace,), daemon=True)
        stopper.start()
        (result, error), = responses.take(1)
        assert error is None and result.get_response().id == "s"
        assert_close(result.as_numpy("probs"), reference(x)["probs"])
        stopper.join(grace + 10)
        assert not stopper.is_alive(), "stop() did not return"
        assert time.monotonic() - start < 5  # the open stream did not hold the stop
        # The stream ended with the server: the client's callback reports why.
        (result, error), = responses.take(1)
        assert result is None and "shutting down" in error.message()
    finally:
        client.close()
        server_cm.__exit__(None, None, None)  # stop() again: a no-op


def test_a_stream_cancelled_while_waiting_for_requests_leaves_no_task_pending():
    """The client drops a stream while the server waits for its next request: the wait is
    cancelled with the stream, not left pending (asyncio then logs "Task was destroyed but it
    is pending!" when it is collected, as it did once per dropped stream)."""
    import asyncio

    from minitf.serving.services.kserve_stream import StreamInferenceService

    [(_, handler)] = StreamInferenceService(plane=None).handlers()

    class Context:
        def time_remaining(self):
            return None

    async def scenario():
        never = asyncio.Event()

        async def requests():  # a client that sends nothing and keeps the stream open
            await never.wait()
            yield b""

        stream = asyncio.ensure_future(handler.stream_stream(requests(), Context()))
        for _ in range(5):  # the stream is now waiting for a request
            await asyncio.sleep(0)
        assert not stream.done()
        stream.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stream
        for _ in range(5):
            await asyncio.sleep(0)
        return [t for t in asyncio.all_tasks()
                if t is not asyncio.current_task() and not t.done()]

    assert asyncio.run(scenario()) == []
