"""TF Serving's and Triton's metric names (serving/metrics_compat.py), scraped from a real server
at /metrics and TF Serving's monitoring path and parsed with prometheus_client's text parser:
counts against the requests sent, durations and buckets against minitf's own series.

Counts are differences between two scrapes around a test's requests, as in test_metrics.py.
prometheus_client's parser names a counter's samples ``<name>_total``; what the server writes
(no suffix, as Triton and TF Serving) is checked on the raw text.
"""

from __future__ import annotations

import json
import os
import re
import threading
import urllib.request

import grpc
import numpy as np
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from minitf.serving.batching import BatchingConfig
from minitf.serving.metrics import Metrics
from minitf.serving.metrics_compat import FAILURE_REASONS, CompatCollector
from minitf.serving.repository import ModelConfig

from .conftest import running_server, wait_for, write_model

MONITORING = "/monitoring/prometheus/metrics"
X3 = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.5, -0.5, -2.0], [0.0, 0.1, 0.2, 0.3]],
              np.float32)
COUNTERS = ["nv_inference_request_success", "nv_inference_request_failure", "nv_inference_count",
            "nv_inference_exec_count", "nv_inference_request_duration_us",
            "nv_inference_queue_duration_us", "nv_inference_compute_infer_duration_us",
            ":tensorflow:serving:request_count", ":tensorflow:cc:saved_model:load_attempt_count"]
GAUGES = ["nv_inference_pending_request_count", "nv_model_load_duration_secs"]
HISTOGRAMS = [":tensorflow:serving:request_latency",
              ":tensorflow:serving:batching_session:queuing_latency",
              ":tensorflow:serving:batching_session:processed_batch_size"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """"dense" (batching, allowed sizes 2/4/8), "plain" (batching off), "flaky" (v1 good, v2
    corrupt; policy all), the monitoring path configured."""
    root = tmp_path_factory.mktemp("compat")
    for name in ("dense", "plain", "flaky"):
        write_model(str(root / name), 1)
    (root / "flaky" / "2").mkdir()
    (root / "flaky" / "2" / "saved_model.pb").write_bytes(b"this is not a SavedModel")
    models = [ModelConfig(name="dense", base_path=str(root / "dense"),
                          batching=BatchingConfig(max_batch_size=8, batch_timeout_micros=500,
                                                  allowed_batch_sizes=(2, 4, 8))),
              ModelConfig(name="plain", base_path=str(root / "plain"),
                          batching=BatchingConfig(enabled=False)),
              ModelConfig(name="flaky", base_path=str(root / "flaky"), version_policy="all")]
    with running_server(models, metrics_path=MONITORING) as (server, client):
        yield server, client, root


def get(server, path, body=None) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{server.http_port}{path}", data=body)
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.status == 200
        return r.read().decode()


class Scrape:
    def __init__(self, server, path="/metrics"):
        self.text = get(server, path)
        self.families = {f.name: f for f in text_string_to_metric_families(self.text)}
        self.samples = [s for f in self.families.values() for s in f.samples]

    def value(self, name, **labels) -> float:
        """The sample's value; 0 when it does not exist (yet)."""
        found = self.find(name, **labels)
        return found[0] if found else 0.0

    def find(self, name, **labels) -> list:
        return [s.value for s in self.samples if s.name == name and
                all(s.labels.get(k) == v for k, v in labels.items())]

    def total(self, name, **labels) -> float:
        return sum(self.find(name, **labels))

    def buckets(self, name, scale=1.0, **labels) -> dict:
        """{le as a number, scaled: count} of a histogram's buckets matching ``labels``,
        summed over the other labels."""
        out = {}
        for s in self.samples:
            if s.name == name + "_bucket" and all(s.labels.get(k) == v
                                                  for k, v in labels.items()):
                le = float(s.labels["le"]) * scale
                le = round(le, 6) if le != float("inf") else le
                out[le] = out.get(le, 0.0) + s.value
        return out


def delta(before: Scrape, after: Scrape, name, **labels) -> float:
    return after.value(name, **labels) - before.value(name, **labels)


def test_names_types_and_exposition_as_triton_and_tf_serving_write_them(served):
    server, client, _ = served
    client.predict("dense", {"x": X3})  # TF Serving's request series start at a first request
    for path in ("/metrics", MONITORING):
        scrape = Scrape(server, path)
        for name in COUNTERS:
            # Triton's and TF Serving's counters carry no _total suffix.
            assert f"# TYPE {name} counter\n" in scrape.text, (path, name)
            assert re.search(rf"^{re.escape(name)}{{", scrape.text, re.M), (path, name)
            assert f"{name}_total" not in scrape.text, (path, name)
            assert scrape.families[name].type == "counter"
        for name in GAUGES:
            assert scrape.families[name].type == "gauge", (path, name)
        for name in HISTOGRAMS:
            assert scrape.families[name].type == "histogram", (path, name)
        # Input and output handling are timed apart (the batch's assembly, its split).
        for name in ("nv_inference_compute_input_duration_us",
                     "nv_inference_compute_output_duration_us"):
            assert scrape.families[name].type == "counter", (path, name)
        # Labels as theirs.
        failure = scrape.families["nv_inference_request_failure"].samples
        assert {s.labels["reason"] for s in failure if s.labels["model"] == "dense"} == \
            set(FAILURE_REASONS)
        assert set(failure[0].labels) == {"model", "version", "reason"}
        assert set(scrape.families[":tensorflow:serving:request_count"].samples[0].labels) \
            == {"model_name", "status"}


def test_triton_series_count_the_requests_sent(served):
    server, client, _ = served
    before = Scrape(server)
    for _ in range(3):  # one at a time: each runs alone, 3 rows padded to a batch of 4
        client.predict("dense", {"x": X3})
    for _ in range(2):
        client.infer("plain", {"x": X3})
    for call in (lambda: client.predict("dense", {"x": X3.astype(np.float64)}),
                 lambda: client.infer("dense", {"x": X3[:, :3]})):
        with pytest.raises(grpc.RpcError):
            call()
    after = Scrape(server)

    def d(name, model, **labels):
        return delta(before, after, name, model=model, version="1", **labels)
    assert d("nv_inference_request_success_total", "dense") == 3
    assert d("nv_inference_request_success_total", "plain") == 2
    assert d("nv_inference_request_failure_total", "dense", reason="OTHER") == 2
    for reason in ("REJECTED", "CANCELED", "BACKEND"):
        assert d("nv_inference_request_failure_total", "dense", reason=reason) == 0
    assert d("nv_inference_count_total", "dense") == 9  # rows, padding excluded
    assert d("nv_inference_count_total", "plain") == 6
    assert d("nv_inference_exec_count_total", "dense") == 3
    assert d("nv_inference_exec_count_total", "plain") == 2
    # Durations: the statistics behind ModelStatistics, in µs, and minitf's own histograms.
    for model in ("dense", "plain"):
        stats = server.metrics.stats.get(model, 1)
        assert after.value("nv_inference_request_duration_us_total", model=model,
                           version="1") == pytest.approx(stats["ok_ns"] / 1000)
        assert after.value("nv_inference_compute_infer_duration_us_total", model=model,
                           version="1") == pytest.approx(stats["compute_ns"] / 1000)
        # One request per execution: the compute time charged is each execution's own.
        assert d("nv_inference_compute_infer_duration_us_total", model) == pytest.approx(
            delta(before, after, "minitf_compute_seconds_sum", model=model) * 1e6, abs=0.01)
        # Successes only: less than minitf's request time, which includes the failures.
        assert 0 < d("nv_inference_request_duration_us_total", model) <= 1e6 * sum(
            delta(before, after, "minitf_request_duration_seconds_sum", model=model, api=api)
            for api in ("tfserving.Predict", "kserve.ModelInfer"))
    assert d("nv_inference_queue_duration_us_total", "dense") == pytest.approx(
        delta(before, after, "minitf_queue_wait_seconds_sum", model="dense") * 1e6, abs=0.01)
    assert d("nv_inference_queue_duration_us_total", "dense") > 0
    # Unbatched requests are queued too (arrival to run), as Triton records every request's.
    assert d("nv_inference_queue_duration_us_total", "plain") > 0
    # Pending: requests received and not yet running, for every model (none now).
    assert after.find("nv_inference_pending_request_count", model="dense", version="1") == [0]
    assert after.find("nv_inference_pending_request_count", model="plain", version="1") == [0]


def test_load_series(served):
    server, _, root = served
    scrape = Scrape(server)
    # One load each: Triton's load time is that load's, as minitf's histogram timed it.
    for model in ("dense", "plain"):
        assert scrape.value("nv_model_load_duration_secs", model=model, version="1") == \
            pytest.approx(scrape.value("minitf_model_load_duration_seconds_sum", model=model))
    assert scrape.find("nv_model_load_duration_secs", model="flaky", version="2") == []
    name = ":tensorflow:cc:saved_model:load_attempt_count_total"
    for path, status, n in ((root / "dense" / "1", "success", 1), (root / "dense" / "1", "fail", 0),
                            (root / "flaky" / "1", "success", 1),
                            (root / "flaky" / "2", "fail", 1),
                            (root / "flaky" / "2", "success", 0)):
        assert scrape.find(name, model_path=os.path.abspath(path), status=status) == [n]
    assert scrape.total(name, status="fail") == \
        scrape.total("minitf_model_load_failures_total")


def test_tf_serving_series_count_and_rescale_minitfs(served):
    server, client, _ = served
    before = Scrape(server, MONITORING)
    for _ in range(3):
        client.predict("dense", {"x": X3})
    with pytest.raises(grpc.RpcError):
        client.predict("dense", {"x": X3.astype(np.float64)})
    client.infer("dense", {"x": X3})  # KServe: not one of TF Serving's APIs
    body = json.dumps({"instances": X3.tolist()}).encode()
    json.loads(get(server, "/v1/models/plain:predict", body))
    after = Scrape(server, MONITORING)
    count = ":tensorflow:serving:request_count_total"
    assert delta(before, after, count, model_name="dense", status="OK") == 3
    assert delta(before, after, count, model_name="dense", status="INVALID_ARGUMENT") == 1
    assert delta(before, after, count, model_name="plain", status="OK") == 1
    latency = ":tensorflow:serving:request_latency"
    grpc_predict = dict(model_name="dense", API="Predict", entrypoint="GRPC")
    assert delta(before, after, latency + "_count", **grpc_predict) == 4  # failures included
    assert delta(before, after, latency + "_count", model_name="plain", API="Predict",
                 entrypoint="REST") == 1
    # The same histograms as minitf's, in µs: bounds x 1e6, same counts, sum x 1e6.
    for model, api, labels in (("dense", "tfserving.Predict", grpc_predict),
                               ("plain", "rest.predict", dict(model_name="plain", API="Predict",
                                                              entrypoint="REST"))):
        own = after.buckets("minitf_request_duration_seconds", 1e6, model=model, api=api)
        assert after.buckets(latency, **labels) == own and len(own) == 17
        assert after.value(latency + "_sum", **labels) == pytest.approx(
            1e6 * after.value("minitf_request_duration_seconds_sum", model=model, api=api))
    # Batching: all models' batches together, as TF Serving's one shared scheduler reports.
    queuing = ":tensorflow:serving:batching_session:queuing_latency"
    assert after.buckets(queuing, thread_pool_name="batch_threads") == \
        after.buckets("minitf_queue_wait_seconds", 1e6)
    assert after.value(queuing + "_sum") == pytest.approx(
        1e6 * after.total("minitf_queue_wait_seconds_sum"))
    assert delta(before, after, queuing + "_count", thread_pool_name="batch_threads") == 4
    size = ":tensorflow:serving:batching_session:processed_batch_size"
    assert after.buckets(size) == after.buckets("minitf_batch_size_rows")
    assert delta(before, after, size + "_count") == 4  # 3 Predicts + 1 ModelInfer, batched
    assert delta(before, after, size + "_sum") == 16  # each 3 rows padded to 4
    assert delta(before, after, size + "_bucket", le="4.0") == 4
    assert delta(before, after, size + "_bucket", le="2.0") == 0
    # /metrics has the same series as the monitoring path.
    again = Scrape(server)
    assert again.value(count, model_name="dense", status="OK") == \
        after.value(count, model_name="dense", status="OK")


def test_the_flag_off_leaves_minitfs_names_only(tmp_path):
    write_model(str(tmp_path / "dense"), 1)
    models = [ModelConfig(name="dense", base_path=str(tmp_path / "dense"))]
    with running_server(models, metrics_path=MONITORING, compat_metrics=False) as (server,
                                                                                   client):
        client.predict("dense", {"x": X3})
        for path in ("/metrics", MONITORING):
            scrape = Scrape(server, path)
            assert scrape.value("minitf_requests_total", model="dense", version="1",
                                api="tfserving.Predict", code="OK") == 1
            assert not [n for n in scrape.families if n.startswith(("nv_", ":"))], path


def test_an_unloaded_version_and_a_removed_model_lose_their_series(tmp_path):
    for name in ("dense", "plain"):
        write_model(str(tmp_path / name), 1)
    models = [ModelConfig(name="dense", base_path=str(tmp_path / "dense"),
                          batching=BatchingConfig(max_batch_size=8, batch_timeout_micros=200)),
              ModelConfig(name="plain", base_path=str(tmp_path / "plain"))]
    with running_server(models, poll_seconds=0.05) as (server, client):
        client.predict("dense", {"x": X3})
        client.predict("plain", {"x": X3})
        scrape = Scrape(server)
        assert scrape.find("nv_inference_request_success_total", model="dense",
                           version="1") == [1]
        assert scrape.find("nv_inference_pending_request_count", model="dense",
                           version="1") == [0]
        write_model(str(tmp_path / "dense"), 2)  # the latest policy: version 1 unloads

        def only_v2():
            s = Scrape(server)
            dense = {x.labels.get("version") for x in s.samples if x.name.startswith("nv_")
                     and x.labels.get("model") == "dense"}
            return s if dense == {"2"} else None
        scrape = wait_for(only_v2, "version 1's Triton series to go")
        v1 = os.path.abspath(tmp_path / "dense" / "1")
        assert scrape.find(":tensorflow:cc:saved_model:load_attempt_count_total",
                           model_path=v1) == []
        assert scrape.find("nv_inference_request_success_total", model="dense",
                           version="2") == [0]  # a loaded version's series start at 0
        wait_for(lambda: Scrape(server).find("nv_inference_pending_request_count",
                                             model="dense", version="1") == [],
                 "version 1's batch queue to go")
        server.repository.reconfigure([models[0]])  # "plain" removed
        scrape = Scrape(server)
        assert not [s for s in scrape.samples if "plain" in (s.labels.get("model"),
                                                              s.labels.get("model_name"))
                    or "plain" in s.labels.get("model_path", "")]


def test_scraping_while_requests_run(served):
    server, client, _ = served
    errors, stop = [], threading.Event()

    def load():
        try:
            while not stop.is_set():
                client.predict("dense", {"x": X3[:1]})
                client.infer("plain", {"x": X3[:2]})
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=load) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for _ in range(30):
            for path in ("/metrics", MONITORING):
                scrape = Scrape(server, path)  # parses: consistent text every time
                assert scrape.families[":tensorflow:serving:request_latency"].samples
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not errors, errors


class _Repository:
    """What CompatCollector reads of a ModelRepository."""

    def __init__(self, versions):
        self.versions = versions

    def model_names(self):
        return list(self.versions)

    def available_versions(self, name):
        return self.versions[name]

    def config(self, name):
        return ModelConfig(name=name, base_path=f"/models/{name}")


def test_failure_reasons_by_code_and_which_apis_count():
    metrics = Metrics(CollectorRegistry(), ["m"], process_metrics=False)
    CompatCollector(metrics, _Repository({"m": [1]}))
    infer = metrics.recorder("kserve.ModelInfer", inference=True)
    predict = metrics.recorder("tfserving.Predict", inference=True)
    metadata = metrics.recorder("tfserving.GetModelMetadata")
    for code in ("OK", "UNAVAILABLE", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED", "CANCELLED",
                 "INTERNAL", "INVALID_ARGUMENT", "FAILED_PRECONDITION"):
        infer("m", 1, code, 0.002)
    predict("m", 1, "NOT_FOUND", 0.001)
    metadata("m", 1, "INTERNAL", 0.001)  # not an inference
    predict("m", None, "NOT_FOUND", 0.001)  # no version resolved: not a version's failure
    predict("nope", None, "NOT_FOUND", 0.001)

    def value(name, **labels):
        return metrics.registry.get_sample_value(name, labels)
    expected = {"REJECTED": 3, "CANCELED": 1, "BACKEND": 1, "OTHER": 3}
    for reason, n in expected.items():
        assert value("nv_inference_request_failure", model="m", version="1",
                     reason=reason) == n, reason
    assert value("nv_inference_request_success", model="m", version="1") == 1
    assert metrics.stats.get("m", 1)["fail"] == sum(expected.values())  # the same events
    assert value("nv_inference_request_duration_us", model="m", version="1") == \
        pytest.approx(2000)
    # TF Serving's count: Predict only (not ModelInfer or GetModelMetadata), every model.
    assert value(":tensorflow:serving:request_count", model_name="m", status="NOT_FOUND") == 2
    assert value(":tensorflow:serving:request_count", model_name="_unknown",
                 status="NOT_FOUND") == 1
    assert value(":tensorflow:serving:request_count", model_name="m", status="OK") is None
    text = generate_latest(metrics.registry).decode()
    assert 'nv_inference_request_failure{model="m",reason="REJECTED",version="1"} 3.0' in text
    # Loads: per version directory; a version that never loaded has no load time.
    metrics.load("m", 1, 0.5, ok=True)
    metrics.load("m", 2, 0.25, ok=False)
    assert value(":tensorflow:cc:saved_model:load_attempt_count", model_path="/models/m/2",
                 status="fail") == 1
    assert value("nv_model_load_duration_secs", model="m", version="1") == 0.5
    metrics.unloaded("m", 1)
    assert value("nv_model_load_duration_secs", model="m", version="1") is None
    assert value(":tensorflow:cc:saved_model:load_attempt_count", model_path="/models/m/1",
                 status="success") is None

