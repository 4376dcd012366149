"""Dynamic batching through a real server: official and minitf clients on 127.0.0.1, results
checked per caller against the numpy reference, batching observed in the Prometheus text."""

from __future__ import annotations

import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton
from prometheus_client.parser import text_string_to_metric_families

from minitf.serving.batching import BatchingConfig
from minitf.serving.repository import ModelConfig
from tests.serving.conftest import reference, running_server

WAIT = 10.0
LONG_TIMEOUT_US = 30_000_000  # a batch waits "forever" for company unless it fills up


def scrape(server) -> list:
    """Every sample of the server's /metrics, parsed by prometheus_client's own parser."""
    with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/metrics",
                                timeout=WAIT) as resp:
        text = resp.read().decode()
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def value(samples, name, default=None, **labels):
    for s in samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return default


def poll_metric(server, name, want, timeout=WAIT, **labels):
    end = time.monotonic() + timeout
    got = None
    while time.monotonic() < end:
        got = value(scrape(server), name, **labels)
        if got == want:
            return
        time.sleep(0.01)
    raise AssertionError(f"{name}{labels} is {got}, expected {want}")


def rows(tag: int, n: int) -> np.ndarray:
    """n rows of input that identify the caller (tag)."""
    rng = np.random.default_rng(tag)
    return rng.standard_normal((n, 4)).astype(np.float32)


def check(outputs: dict, x: np.ndarray, scale: float = 1.0):
    want = reference(x, scale)
    assert outputs["probs"].shape == (len(x), 3)
    np.testing.assert_allclose(outputs["probs"], want["probs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outputs["logits"], want["logits"], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(outputs["classes"], want["classes"])


def dense(base, **batching):
    return ModelConfig(name="dense", base_path=base,
                       batching=BatchingConfig(**batching) if batching else None)


def triton_infer(url, x):
    with triton.InferenceServerClient(url) as tc:
        inp = triton.InferInput("x", list(x.shape), "FP32")
        inp.set_data_from_numpy(x)
        result = tc.infer("dense", [inp], client_timeout=WAIT)
        return {a: result.as_numpy(a) for a in ("probs", "classes", "logits")}


def test_concurrent_clients_are_batched_and_get_their_own_rows(model_base):
    callers, rounds, n = 8, 3, 2
    # The batch fills at exactly one round of requests, so it runs as soon as all arrived.
    config = dense(model_base, max_batch_size=callers * n, batch_timeout_micros=1_000_000,
                   num_batch_threads=1)
    with running_server([config]) as (server, client):
        url = f"127.0.0.1:{server.grpc_port}"
        barrier = threading.Barrier(callers, timeout=WAIT)

        def caller(i):
            out = []
            for r in range(rounds):
                x = rows(100 * i + r, n)
                barrier.wait()
                if i % 3 == 0:
                    got = client.predict("dense", {"x": x}, timeout=WAIT)
                elif i % 3 == 1:
                    got = client.infer("dense", {"x": x}, timeout=WAIT)
                else:
                    got = triton_infer(url, x)
                out.append((x, got))
            return out

        with ThreadPoolExecutor(callers) as pool:
            results = [r for f in [pool.submit(caller, i) for i in range(callers)]
                       for r in f.result(WAIT * 3)]
        assert len(results) == callers * rounds
        for x, got in results:
            check(got, x)
        samples = scrape(server)
        with triton.InferenceServerClient(url) as tc:
            (stats,) = tc.get_inference_statistics("dense", "1").model_stats
    count = value(samples, "minitf_batch_size_rows_count", model="dense")
    single = value(samples, "minitf_batch_size_rows_bucket", model="dense", le="1.0")
    assert value(samples, "minitf_batch_size_rows_sum", model="dense") == callers * rounds * n
    assert single == 0  # every request had 2 rows, so a 1-row batch would be an error
    assert value(samples, "minitf_batch_size_rows_bucket", model="dense", le="2.0") < count, \
        "no executed batch held more than one request"
    assert count < callers * rounds  # fewer batches than requests: they were merged
    assert value(samples, "minitf_queue_depth", model="dense") == 0
    assert value(samples, "minitf_queue_wait_seconds_count", model="dense") == callers * rounds
    assert value(samples, "minitf_compute_seconds_count", model="dense") == count
    ok = sum(value(samples, "minitf_requests_total", 0, model="dense", code="OK", api=api)
             for api in ("tfserving.Predict", "kserve.ModelInfer"))
    assert ok == callers * rounds
    # KServe's statistics count the same executions, as Triton does: one per batch, its rows
    # as inferences; every request (whatever its API) a success, charged its batch's compute.
    assert (stats.execution_count, stats.inference_count) == (count, callers * rounds * n)
    for stat in ("success", "queue", "compute_infer"):
        assert getattr(stats.inference_stats, stat).count == callers * rounds, stat


def test_padding_and_splitting_end_to_end(model_base):
    config = dense(model_base, max_batch_size=4, allowed_batch_sizes=[2, 4])
    with running_server([config]) as (server, client):
        x3 = rows(1, 3)
        check(client.predict("dense", {"x": x3}), x3)  # padded 3 -> 4
        samples = scrape(server)
        assert value(samples, "minitf_batch_size_rows_sum", model="dense") == 4
        assert value(samples, "minitf_batch_padding_rows_sum", model="dense") == 1
        x11 = rows(2, 11)
        check(client.infer("dense", {"x": x11}), x11)  # split 4 + 4 + 3 (padded to 4)
        samples = scrape(server)
        assert value(samples, "minitf_batch_size_rows_count", model="dense") == 4
        assert value(samples, "minitf_batch_size_rows_sum", model="dense") == 16
        assert value(samples, "minitf_batch_padding_rows_sum", model="dense") == 2
        x1 = rows(3, 1)
        check(triton_infer(f"127.0.0.1:{server.grpc_port}", x1), x1)  # padded 1 -> 2


def test_oversized_request_is_invalid_when_splitting_is_off(model_base):
    config = dense(model_base, max_batch_size=4, enable_large_batch_splitting=False)
    with running_server([config]) as (server, client):
        with pytest.raises(grpc.RpcError) as info:
            client.predict("dense", {"x": rows(1, 5)})
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "Task size 5 is larger than maximum input batch size 4" in info.value.details()
        x4 = rows(2, 4)
        check(client.predict("dense", {"x": x4}), x4)


def test_queue_overflow_answers_unavailable(model_base):
    # The queue holds one batch of 4 rows; the first request (3 rows) waits for company.
    config = dense(model_base, max_batch_size=4, max_enqueued_batches=1,
                   batch_timeout_micros=LONG_TIMEOUT_US, num_batch_threads=1)
    with running_server([config]) as (server, client):
        with ThreadPoolExecutor(1) as pool:
            xa = rows(1, 3)
            first = pool.submit(client.predict, "dense", {"x": xa}, timeout=WAIT * 2)
            poll_metric(server, "minitf_queue_depth", 1, model="dense")
            with pytest.raises(grpc.RpcError) as info:
                client.infer("dense", {"x": rows(2, 3)})  # 3 + 3 rows > 4: no room
            assert info.value.code() == grpc.StatusCode.UNAVAILABLE
            assert "The batch scheduling queue to which this task was submitted is full" in \
                info.value.details()
            assert not first.done()
            xc = rows(3, 1)  # 3 + 1 rows fit and fill the batch: both run now
            check(client.predict("dense", {"x": xc}), xc)
            check(first.result(WAIT), xa)
        samples = scrape(server)
    assert value(samples, "minitf_requests_total", model="dense", api="kserve.ModelInfer",
                 code="UNAVAILABLE") == 1
    assert value(samples, "minitf_batch_size_rows_count", model="dense") == 1
    assert value(samples, "minitf_queue_depth", model="dense") == 0


@pytest.mark.parametrize("api", ["predict", "infer"])
def test_expired_client_deadline_answers_deadline_exceeded(model_base, api):
    config = dense(model_base, max_batch_size=8, batch_timeout_micros=LONG_TIMEOUT_US,
                   num_batch_threads=1)
    with running_server([config]) as (server, client):
        call = getattr(client, api)
        with pytest.raises(grpc.RpcError) as info:
            call("dense", {"x": rows(1, 1)}, timeout=0.3)
        assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        # The server saw the deadline too (its own status for the request) ...
        api_label = "tfserving.Predict" if api == "predict" else "kserve.ModelInfer"
        poll_metric(server, "minitf_requests_total", 1.0, model="dense", api=api_label,
                    code="DEADLINE_EXCEEDED")
        # ... and dropped the request instead of running it: a full batch of 8 other rows
        # runs alone.
        x8 = rows(2, 8)
        check(call("dense", {"x": x8}, timeout=WAIT), x8)
        samples = scrape(server)
    assert value(samples, "minitf_batch_size_rows_count", model="dense") == 1
    assert value(samples, "minitf_batch_size_rows_sum", model="dense") == 8


def test_every_expired_deadline_counts_as_deadline_exceeded(model_base):
    """Queued requests whose client deadlines pass all count as DEADLINE_EXCEEDED, none as
    CANCELLED: the client cancels at its own deadline, a few milliseconds before the server's,
    so gRPC cancels the handler with a little time left (a probe of 60 such requests had 2 to 5
    counted CANCELLED)."""
    config = dense(model_base, max_batch_size=64, batch_timeout_micros=LONG_TIMEOUT_US,
                   num_batch_threads=1)
    timeouts = np.linspace(0.05, 0.5, 24)
    with running_server([config]) as (server, client), ThreadPoolExecutor(8) as pool:
        calls = [pool.submit(client.infer, "dense", {"x": rows(i, 1)}, timeout=float(t))
                 for i, t in enumerate(timeouts)]
        for call in calls:
            with pytest.raises(grpc.RpcError) as info:
                call.result(WAIT)
            assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        poll_metric(server, "minitf_requests_total", float(len(timeouts)), model="dense",
                    api="kserve.ModelInfer", code="DEADLINE_EXCEEDED")
        samples = scrape(server)
    assert value(samples, "minitf_requests_total", 0.0, model="dense", api="kserve.ModelInfer",
                 code="CANCELLED") == 0


def test_a_cancelled_call_counts_as_deadline_exceeded_only_near_its_deadline():
    from minitf.serving.services.common import DEADLINE_SLACK_S, cancel_code

    class Context:
        def __init__(self, remaining):
            self.remaining = remaining

        def time_remaining(self):
            return self.remaining

    assert cancel_code(Context(None)) == "CANCELLED"  # no deadline: the client gave up
    assert cancel_code(Context(30.0)) == "CANCELLED"
    assert cancel_code(Context(DEADLINE_SLACK_S * 2)) == "CANCELLED"
    assert cancel_code(Context(DEADLINE_SLACK_S / 2)) == "DEADLINE_EXCEEDED"
    assert cancel_code(Context(0.0)) == "DEADLINE_EXCEEDED"
    assert cancel_code(Context(-0.5)) == "DEADLINE_EXCEEDED"


def test_batching_switched_off_per_model(model_base):
    plain = ModelConfig(name="plain", base_path=model_base,
                        batching=BatchingConfig(enabled=False))
    batched = ModelConfig(name="dense", base_path=model_base)
    with running_server([plain, batched], BatchingConfig(max_batch_size=8)) as (server, client):
        inputs = [rows(i, 1 + i % 3) for i in range(12)]

        def send(i):
            x = inputs[i]
            return client.predict("plain", {"x": x}) if i % 2 else client.infer("plain", {"x": x})

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(send, range(len(inputs)), timeout=WAIT * 2))
        for x, got in zip(inputs, results):
            check(got, x)
        x = rows(99, 2)
        check(client.predict("dense", {"x": x}), x)
        samples = scrape(server)
    assert value(samples, "minitf_batch_size_rows_count", model="plain") in (None, 0.0)
    assert value(samples, "minitf_compute_seconds_count", model="plain") == len(inputs)
    assert value(samples, "minitf_batch_size_rows_count", model="dense") == 1
