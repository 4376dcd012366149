"""ModelStatistics and the Triton / TF Serving series counted as those servers count them,
against hand-counted requests to a real server (127.0.0.1, ephemeral ports) through the
official ``tritonclient.grpc`` client, /metrics parsed with prometheus_client's parser:

- Triton (core's infer_stats.cc): per request answered, its rows in inference_count, its queue
  time and the compute_input / compute_infer / compute_output spans of its execution; per
  execution, execution_count and one batch_stats entry per executed size. A request that gave
  up while its rows ran is a failure and adds no rows. Unbatched requests are queued too (for
  a thread), and every model exports its pending requests.
- TF Serving: one load_attempt_count series per export directory, and its texts for a model it
  does not serve; Triton's texts on the KServe API.

A "gate" holds a signature's plan runs until the test releases it, so requests are in flight
when the test looks; every wait is bounded. No TensorFlow needed.
"""

from __future__ import annotations

import os
import threading
import time

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton
import tritonclient.http as triton_http
from tritonclient.utils import InferenceServerException

from minitf.serving.batching import BatchingConfig
from minitf.serving.repository import ModelConfig

from .conftest import reference, running_server, wait_for, write_model
from .rest_helpers import call
from .test_kserve import infer_input
from .test_metrics_compat import Scrape

WAIT = 20.0  # seconds: the bound of every wait here
RNG = np.random.default_rng(5)


def rows(n):
    return RNG.standard_normal((n, 4)).astype(np.float32)


@pytest.fixture
def served(tmp_path):
    """"dense": batching on (8 rows, allowed 2/4/8, 2 ms timeout); "plain": batching off. One
    thread runs unbatched plans, so a second unbatched request waits for the first."""
    for name in ("dense", "plain"):
        write_model(str(tmp_path / name), 1)
    models = [ModelConfig(name="dense", base_path=str(tmp_path / "dense"),
                          batching=BatchingConfig(max_batch_size=8, batch_timeout_micros=2000,
                                                  allowed_batch_sizes=(2, 4, 8))),
              ModelConfig(name="plain", base_path=str(tmp_path / "plain"),
                          batching=BatchingConfig(enabled=False))]
    with running_server(models, grpc_threads=1, reflection=False) as (server, client):
        tc = triton.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")
        try:
            yield server, tc, client
        finally:
            tc.close()


class Gate:
    """Holds ``model``'s plan runs until ``release()`` (at most WAIT), counting them."""

    def __init__(self, monkeypatch, server, model):
        runner = server.repository.get(model).servable.signature(None)
        real, gate = runner.plan_for, self
        self.open, self.started, self._lock = threading.Event(), 0, threading.Lock()

        class Held:
            def __init__(self, plan):
                self.plan = plan

            def run(self, feeds):
                with gate._lock:
                    gate.started += 1
                assert gate.open.wait(WAIT), "the gate was never released"
                return self.plan.run(feeds)
        monkeypatch.setattr(runner, "plan_for", lambda outputs: Held(real(outputs)))

    def release(self):
        self.open.set()


def in_thread(fn, *args, **kwargs):
    """Runs ``fn`` on a thread; returns (thread, outcome list: [result or exception])."""
    outcome = []

    def run():
        try:
            outcome.append(fn(*args, **kwargs))
        except Exception as e:  # noqa: BLE001 - handed to the test
            outcome.append(e)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, outcome


def stats(tc, model):
    (s,) = tc.get_inference_statistics(model, "1").model_stats
    return s


def batches(s) -> list[tuple[int, int]]:
    return [(b.batch_size, b.compute_infer.count) for b in s.batch_stats]


def assert_consistent(s, per_request: int):
    """Every request answered has queue and the three compute spans counted once; with one
    request per execution, the requests' spans add up to the executions' ones."""
    st = s.inference_stats
    for d in (st.success, st.queue, st.compute_input, st.compute_infer, st.compute_output):
        assert d.count == per_request
    for b in s.batch_stats:
        assert b.compute_input.count == b.compute_infer.count == b.compute_output.count
    for field in ("compute_input", "compute_infer", "compute_output"):
        total = sum(getattr(b, field).ns for b in s.batch_stats)
        assert getattr(st, field).ns == pytest.approx(total, abs=10), field  # ns rounding
        assert getattr(st, field).ns > 0, field  # a real span was measured


# -- 1. ModelStatistics is counted under the model it names -------------------------------------
def test_model_statistics_counts_under_the_model_it_names(served):
    server, tc, _ = served
    before = Scrape(server)
    tc.get_inference_statistics("dense")
    tc.get_inference_statistics("dense", "1")
    tc.get_inference_statistics()  # names no model: "_unknown", as ServerReady
    with pytest.raises(InferenceServerException):
        tc.get_inference_statistics("nope")
    after = Scrape(server)

    def d(model, code="OK"):
        labels = dict(model=model, version="", api="kserve.ModelStatistics", code=code)
        return after.value("minitf_requests_total", **labels) - \
            before.value("minitf_requests_total", **labels)
    assert (d("dense"), d("_unknown"), d("_unknown", "NOT_FOUND")) == (2, 1, 1)


# -- 2. one load_attempt_count series per export directory ------------------------------------
def test_load_attempts_keep_a_series_per_export_directory(tmp_path):
    a, b = str(tmp_path / "A"), str(tmp_path / "B")
    write_model(a, 1)
    write_model(b, 1, scale=2.0)
    with running_server([ModelConfig(name="m", base_path=a)]) as (server, client):
        server.repository.reconfigure([ModelConfig(name="m", base_path=b)])  # a config reload
        x = rows(2)
        np.testing.assert_allclose(client.predict("m", {"x": x})["logits"],
                                   reference(x, 2.0)["logits"], rtol=1e-5, atol=1e-6)
        scrape = Scrape(server)
    name = ":tensorflow:cc:saved_model:load_attempt_count_total"
    got = {(s.labels["model_path"], s.labels["status"]): s.value for s in scrape.samples
           if s.name == name}
    assert got == {(os.path.join(a, "1"), "success"): 1, (os.path.join(a, "1"), "fail"): 0,
                   (os.path.join(b, "1"), "success"): 1, (os.path.join(b, "1"), "fail"): 0}


# -- 3. batch_stats and the compute spans -------------------------------------------------------
def test_batched_executions_fill_batch_stats_by_executed_size(served):
    server, tc, _ = served
    # One at a time: 1 row runs padded to 2, 3 rows padded to 4, 4 rows as they are, and 20
    # rows split into pieces of 8, 8 and 4.
    for n in (1, 3, 4, 20):
        x = rows(n)
        out = tc.infer("dense", [infer_input(x)], model_version="1")
        np.testing.assert_allclose(out.as_numpy("logits"), reference(x)["logits"],
                                   rtol=1e-5, atol=1e-6)
    s = stats(tc, "dense")
    assert (s.inference_count, s.execution_count) == (28, 6)  # real rows; executions
    assert batches(s) == [(2, 1), (4, 3), (8, 2)]
    assert_consistent(s, 4)
    # The HTTP endpoint prints the same, and /metrics carries the spans Triton exports.
    doc = call(server, "/v2/models/dense/versions/1/stats")[1]
    assert [(int(b["batch_size"]), int(b["compute_infer"]["count"]))
            for b in doc["model_stats"][0]["batch_stats"]] == batches(s)
    scrape = Scrape(server)
    st = s.inference_stats
    for metric, ns in (("compute_input", st.compute_input.ns),
                       ("compute_infer", st.compute_infer.ns),
                       ("compute_output", st.compute_output.ns), ("queue", st.queue.ns)):
        assert scrape.value(f"nv_inference_{metric}_duration_us_total", model="dense",
                            version="1") == pytest.approx(ns / 1000), metric
    assert scrape.value("nv_inference_count_total", model="dense", version="1") == 28
    assert scrape.value("nv_inference_exec_count_total", model="dense", version="1") == 6


def test_unbatched_executions_fill_batch_stats_by_rows(served):
    server, tc, _ = served
    for n in (1, 3, 3):
        tc.infer("plain", [infer_input(rows(n))], model_version="1")
    s = stats(tc, "plain")
    assert (s.inference_count, s.execution_count) == (7, 3)
    assert batches(s) == [(1, 1), (3, 2)]
    assert_consistent(s, 3)


# -- 4. unbatched requests are queued too --------------------------------------------------------
def send_two_behind_a_gate(server, tc, monkeypatch, while_held):
    """Two unbatched requests, the first held in its run while the second waits for the one
    thread; ``while_held()`` runs meanwhile. Both must succeed."""
    gate = Gate(monkeypatch, server, "plain")
    first, first_out = in_thread(tc.infer, "plain", [infer_input(rows(1))], model_version="1")
    wait_for(lambda: gate.started == 1, "the first request to run", WAIT)
    second, second_out = in_thread(tc.infer, "plain", [infer_input(rows(2))],
                                   model_version="1")
    try:
        while_held()
    finally:
        gate.release()
        for t in (first, second):
            t.join(WAIT)
    assert not first.is_alive() and not second.is_alive()
    assert [type(o).__name__ for o in first_out + second_out] == ["InferResult"] * 2


def test_unbatched_requests_record_their_wait_for_a_thread(served, monkeypatch):
    server, tc, _ = served
    held = 0.3
    send_two_behind_a_gate(server, tc, monkeypatch, lambda: time.sleep(held))
    s = stats(tc, "plain")
    assert s.inference_stats.queue.count == 2
    # The second waited the first out: most of the hold (it arrived early in it).
    assert s.inference_stats.queue.ns >= (held - 0.2) * 1e9
    assert Scrape(server).value("nv_inference_queue_duration_us_total", model="plain",
                                version="1") == pytest.approx(s.inference_stats.queue.ns / 1000)


# -- 6. every model exports its pending requests -----------------------------------------------
def test_every_model_exports_its_pending_requests(served, monkeypatch):
    server, tc, _ = served
    pending = "nv_inference_pending_request_count"
    scrape = Scrape(server)
    for model in ("dense", "plain"):  # batched or not
        assert scrape.find(pending, model=model, version="1") == [0]
    send_two_behind_a_gate(server, tc, monkeypatch, lambda: wait_for(
        lambda: Scrape(server).find(pending, model="plain", version="1") == [1],
        "the second request to be pending", WAIT))
    assert Scrape(server).find(pending, model="plain", version="1") == [0]


# -- 5. a request that gave up while its rows ran adds no rows ----------------------------------
@pytest.mark.parametrize("model", ["plain", "dense"])
def test_a_request_that_timed_out_mid_run_counts_no_inferences(served, monkeypatch, model):
    server, tc, _ = served
    gate = Gate(monkeypatch, server, model)
    with pytest.raises(InferenceServerException) as err:  # KServe's timeout: 50 ms
        tc.infer(model, [infer_input(rows(3))], model_version="1", timeout=50_000)
    assert err.value.status() == "StatusCode.DEADLINE_EXCEEDED", err.value.message()
    assert gate.started == 1  # it was running when it gave up
    gate.release()
    wait_for(lambda: stats(tc, model).execution_count == 1, "the run to end", WAIT)
    s = stats(tc, model)
    st = s.inference_stats
    scrape = Scrape(server)
    assert scrape.value("nv_inference_count_total", model=model, version="1") == 0
    assert scrape.value("nv_inference_exec_count_total", model=model, version="1") == 1
    assert scrape.total("nv_inference_request_failure_total", model=model) == 1
    assert (s.inference_count, st.success.count, st.fail.count) == (0, 0, 1)
    assert (st.queue.count, st.compute_infer.count) == (0, 0)
    # The execution happened: one, of 3 rows (padded to 4 when batched).
    assert batches(s) == [(3 if model == "plain" else 4, 1)]
    tc.infer(model, [infer_input(rows(2))], model_version="1")  # answered: counted
    assert stats(tc, model).inference_count == 2


# -- 7. ServerMetadata's extensions -------------------------------------------------------------
def test_server_metadata_lists_the_extensions_served_in_tritons_words(served):
    server, tc, _ = served
    assert list(tc.get_server_metadata().extensions) == [
        "classification", "model_repository", "model_repository(unload_dependents)",
        "model_configuration", "system_shared_memory", "binary_tensor_data", "parameters",
        "statistics"]
    # binary_tensor_data is the HTTP API's: tritonclient.http sends and asks for binary data.
    http = triton_http.InferenceServerClient(f"127.0.0.1:{server.http_port}")
    try:
        x = rows(2)
        inp = triton_http.InferInput("x", [2, 4], "FP32")
        inp.set_data_from_numpy(x, binary_data=True)
        out = http.infer("dense", [inp], outputs=[
            triton_http.InferRequestedOutput("logits", binary_data=True)])
        np.testing.assert_allclose(out.as_numpy("logits"), reference(x)["logits"],
                                   rtol=1e-5, atol=1e-6)
    finally:
        http.close()


# -- 8. unknown models in each API's words ------------------------------------------------------
def test_unknown_models_are_not_found_in_each_apis_words(served):
    server, tc, client = served
    x = rows(1)
    # TF Serving (its manager's ServableRequest; GetModelStatus's monitor lookup).
    for call_, text in (
            (lambda: client.predict("nope", {"x": x}), "Servable not found for request: "
             "Latest(nope)"),
            (lambda: client.predict("nope", {"x": x}, version=3),
             "Servable not found for request: Specific(nope, 3)"),
            (lambda: client.status("nope"), "Could not find any versions of model nope"),
            (lambda: client.status("nope", version=3), "Could not find version 3 of model nope"),
    ):
        with pytest.raises(grpc.RpcError) as err:
            call_()
        assert (err.value.code(), err.value.details()) == (grpc.StatusCode.NOT_FOUND, text)
    for path, body, text in (
            ("/v1/models/nope:predict", {"instances": x.tolist()},
             "Servable not found for request: Latest(nope)"),
            ("/v1/models/nope/versions/3:predict", {"instances": x.tolist()},
             "Servable not found for request: Specific(nope, 3)"),
            ("/v1/models/nope", None, "Could not find any versions of model nope")):
        assert call(server, path, body)[:2] == (404, {"error": text}), path
    # Triton (ModelRepositoryManager::GetModel).
    for call_, text in (
            (lambda: tc.infer("nope", [infer_input(x)]), "'nope' is not found"),
            (lambda: tc.get_model_metadata("nope"), "'nope' is not found"),
            (lambda: tc.get_model_config("nope"), "'nope' is not found"),
            (lambda: tc.get_inference_statistics("nope"), "'nope' is not found"),
            (lambda: tc.infer("dense", [infer_input(x)], model_version="7"),
             "'dense' version 7 is not found"),
            (lambda: tc.get_inference_statistics("dense", "7"),
             "'dense' version 7 is not found"),
    ):
        with pytest.raises(InferenceServerException) as err:
            call_()
        assert (err.value.status(), err.value.message()) == (
            "StatusCode.NOT_FOUND", "Request for unknown model: " + text)
    assert call(server, "/v2/models/nope")[:2] == (
        404, {"error": "Request for unknown model: 'nope' is not found"})
