"""Prometheus metrics at http://127.0.0.1:<http_port>/metrics, parsed with prometheus_client's
own text parser, and the HTTP health and status endpoints.

Counts are compared as differences between two scrapes around the requests a test makes, so
the tests share one server and stay independent of each other's traffic.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import grpc
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from minitf.serving.batching import BatchingConfig
from minitf.serving.metrics import UNKNOWN_MODEL
from minitf.serving.repository import ModelConfig

from .conftest import reference, running_server, write_model

ALLOWED = (2, 4, 8)  # dense's allowed batch sizes: 3 rows run as a batch of 4
MODELS = {"dense", "plain", "flaky"}
X3 = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.5, -0.5, -2.0], [0.0, 0.1, 0.2, 0.3]],
              np.float32)

FAMILIES = {  # name (as the parser reports it) -> type
    "minitf_requests": "counter",
    "minitf_request_duration_seconds": "histogram",
    "minitf_queue_wait_seconds": "histogram",
    "minitf_compute_seconds": "histogram",
    "minitf_batch_size_rows": "histogram",
    "minitf_batch_padding_rows": "histogram",
    "minitf_queue_depth": "gauge",
    "minitf_inflight_requests": "gauge",
    "minitf_model_load_duration_seconds": "histogram",
    "minitf_model_load_failures": "counter",
    "minitf_model_version_state": "gauge",
    "minitf_model_versions_available": "gauge",
    "minitf_build_info": "gauge",  # an Info is exposed as a gauge of 1
}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """"dense" (batching with allowed sizes), "plain" (batching off) and "flaky" (v1 good,
    v2 corrupt; policy all)."""
    root = tmp_path_factory.mktemp("metrics")
    write_model(str(root / "dense"), 1)
    write_model(str(root / "plain"), 1)
    write_model(str(root / "flaky"), 1)
    (root / "flaky" / "2").mkdir()
    (root / "flaky" / "2" / "saved_model.pb").write_bytes(b"this is not a SavedModel")
    models = [ModelConfig(name="dense", base_path=str(root / "dense"),
                          batching=BatchingConfig(max_batch_size=8, batch_timeout_micros=500,
                                                  allowed_batch_sizes=ALLOWED)),
              ModelConfig(name="plain", base_path=str(root / "plain"),
                          batching=BatchingConfig(enabled=False)),
              ModelConfig(name="flaky", base_path=str(root / "flaky"), version_policy="all")]
    with running_server(models) as (server, client):
        yield server, client


def get(server, path) -> tuple[int, str, str]:
    url = f"http://127.0.0.1:{server.http_port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def families(server) -> dict:
    status, ctype, text = get(server, "/metrics")
    assert status == 200 and ctype.startswith("text/plain")
    return {f.name: f for f in text_string_to_metric_families(text)}


class Scrape:
    """One scrape: ``value(sample_name, **labels)`` (0 when the series does not exist yet)."""

    def __init__(self, server):
        self.families = families(server)
        self.samples = [s for f in self.families.values() for s in f.samples]

    def value(self, name, **labels) -> float:
        for s in self.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
        return 0.0

    def total(self, name, **labels) -> float:
        return sum(s.value for s in self.samples if s.name == name and
                   all(s.labels.get(k) == v for k, v in labels.items()))


def delta(before: Scrape, after: Scrape, name, **labels) -> float:
    return after.value(name, **labels) - before.value(name, **labels)


def test_every_family_has_help_and_its_type(served):
    found = families(served[0])
    for name, kind in FAMILIES.items():
        assert name in found, name
        assert found[name].type == kind, name
    for name, family in found.items():
        assert family.documentation.strip(), f"{name} has no HELP"
    assert found["minitf_build_info"].samples[0].labels["version"]


def test_requests_counted_by_model_version_api_and_code(served):
    server, client = served
    before = Scrape(server)
    for _ in range(3):
        client.predict("dense", {"x": X3})
    for _ in range(2):
        client.infer("plain", {"x": X3})
    client.session_run("dense", {"x:0": X3}, ["probs:0"])
    client.metadata("dense")
    after = Scrape(server)
    counts = [("dense", "tfserving.Predict", 3), ("plain", "kserve.ModelInfer", 2),
              ("dense", "tfserving.SessionRun", 1), ("dense", "tfserving.GetModelMetadata", 1)]
    for model, api, n in counts:
        assert delta(before, after, "minitf_requests_total", model=model, version="1", api=api,
                     code="OK") == n, (model, api)
        assert delta(before, after, "minitf_request_duration_seconds_count", model=model,
                     api=api) == n
        assert delta(before, after, "minitf_request_duration_seconds_sum", model=model,
                     api=api) > 0
    # Nothing is left in flight once the answers are in.
    assert after.total("minitf_inflight_requests") == 0


def test_failures_counted_with_their_code(served):
    server, client = served
    before = Scrape(server)
    failures = [(lambda: client.predict("dense", {"x": X3.astype(np.float64)}),
                 "tfserving.Predict", "1", "INVALID_ARGUMENT"),
                (lambda: client.predict("dense", {"x": X3}, signature="nope"),
                 "tfserving.Predict", "1", "FAILED_PRECONDITION"),
                (lambda: client.predict("dense", {"x": X3}, version=9),
                 "tfserving.Predict", "", "NOT_FOUND"),  # no version resolved
                (lambda: client.infer("dense", {"x": X3[:, :3]}),
                 "kserve.ModelInfer", "1", "INVALID_ARGUMENT")]
    for call, *_ in failures:
        with pytest.raises(grpc.RpcError):
            call()
    after = Scrape(server)
    for _, api, version, code in failures:
        assert delta(before, after, "minitf_requests_total", model="dense", version=version,
                     api=api, code=code) == 1, code
    # Failures are timed too.
    assert delta(before, after, "minitf_request_duration_seconds_count", model="dense",
                 api="tfserving.Predict") == 3


def test_unknown_model_names_are_one_bounded_label(served):
    server, client = served
    before = Scrape(server)
    for name in ("attacker-1", "attacker-2", "../etc/passwd"):
        with pytest.raises(grpc.RpcError):
            client.predict(name, {"x": X3})
    with pytest.raises(grpc.RpcError):
        client.infer("attacker-3", {"x": X3})
    after = Scrape(server)
    assert delta(before, after, "minitf_requests_total", model=UNKNOWN_MODEL, version="",
                 api="tfserving.Predict", code="NOT_FOUND") == 3
    assert delta(before, after, "minitf_requests_total", model=UNKNOWN_MODEL, version="",
                 api="kserve.ModelInfer", code="NOT_FOUND") == 1
    labels = {s.labels["model"] for s in after.samples if "model" in s.labels}
    assert labels <= MODELS | {UNKNOWN_MODEL}, labels


def test_batching_histograms(served):
    """Batched "dense": executed batch size (padding included), padding, queue wait and
    compute move; unbatched "plain" has compute time but no batches."""
    server, client = served
    before = Scrape(server)
    # One request at a time, so each runs alone: 3 rows -> a batch of 4 (1 padding row),
    # 2 rows -> a batch of 2, and the answers are still exactly the callers' rows.
    for rows in (3, 2):
        out = client.infer("dense", {"x": X3[:rows]})
        np.testing.assert_allclose(out["probs"], reference(X3[:rows])["probs"], rtol=1e-5,
                                   atol=1e-6)
    client.predict("plain", {"x": X3})
    after = Scrape(server)
    d = lambda name, model="dense": delta(before, after, name, model=model)  # noqa: E731
    assert d("minitf_batch_size_rows_count") == 2
    assert d("minitf_batch_size_rows_sum") == 4 + 2
    assert delta(before, after, "minitf_batch_size_rows_bucket", model="dense", le="4.0") == 2
    assert delta(before, after, "minitf_batch_size_rows_bucket", model="dense", le="2.0") == 1
    assert d("minitf_batch_padding_rows_count") == 2
    assert d("minitf_batch_padding_rows_sum") == 1
    assert d("minitf_queue_wait_seconds_count") == 2
    assert d("minitf_queue_wait_seconds_sum") > 0
    assert d("minitf_compute_seconds_count") == 2  # one per executed batch
    assert d("minitf_compute_seconds_count", "plain") == 1
    assert d("minitf_batch_size_rows_count", "plain") == 0
    assert after.value("minitf_queue_depth", model="dense") == 0


def test_model_versions_state_and_load_metrics(served):
    scrape = Scrape(served[0])
    assert scrape.value("minitf_model_version_state", model="dense", version="1") == 30
    assert scrape.value("minitf_model_version_state", model="flaky", version="1") == 30
    assert scrape.value("minitf_model_version_state", model="flaky", version="2") == 50  # END
    for model in ("dense", "plain", "flaky"):
        assert scrape.value("minitf_model_versions_available", model=model) == 1, model
    assert scrape.value("minitf_model_load_failures_total", model="flaky") == 1
    assert scrape.value("minitf_model_load_failures_total", model="dense") == 0
    # Both of flaky's attempts are timed, the failed one included.
    assert scrape.value("minitf_model_load_duration_seconds_count", model="flaky") == 2
    assert scrape.value("minitf_model_load_duration_seconds_count", model="dense") == 1


def test_health_endpoints(served):
    server, _ = served
    assert get(server, "/healthz")[0] == 200
    status, _, body = get(server, "/readyz")
    assert status == 200 and body.strip() == "ready"
    assert get(server, "/nope")[0] == 404
    # HEAD answers as GET without a body; methods other than GET and HEAD are 405.
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
    try:
        for method, path, want in (("HEAD", "/healthz", 200), ("HEAD", "/metrics", 200),
                                   ("POST", "/metrics", 405), ("DELETE", "/healthz", 405)):
            conn.request(method, path)
            resp = conn.getresponse()
            body = resp.read()
            assert (resp.status, body) == (want, b""), (method, path)
            if want == 405:
                assert resp.getheader("Allow") == "GET, HEAD"
            elif path == "/metrics":
                assert int(resp.getheader("Content-Length")) > 0
    finally:
        conn.close()


def _ipv6_loopback() -> bool:
    import socket
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here")
def test_serving_on_ipv6(tmp_path):
    """--host ::1: gRPC needs the address bracketed, and the HTTP server an IPv6 socket."""
    import http.client

    from minitf.serving.client import Client
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))],
                        host="::1") as (server, _):
        with Client(f"[::1]:{server.grpc_port}", timeout=10) as client:
            out = client.predict("dense", {"x": X3})
        np.testing.assert_allclose(out["probs"], reference(X3)["probs"], rtol=1e-5, atol=1e-6)
        conn = http.client.HTTPConnection("::1", server.http_port, timeout=10)
        conn.request("GET", "/readyz")
        assert conn.getresponse().status == 200
        conn.close()


def test_model_status_endpoint(served):
    server, _ = served
    status, ctype, body = get(server, "/v1/models/flaky")
    assert status == 200 and ctype == "application/json"
    versions = json.loads(body)["model_version_status"]
    assert [(v["version"], v["state"]) for v in versions] == [("1", "AVAILABLE"), ("2", "END")]
    assert versions[0]["status"] == {"error_code": "OK", "error_message": ""}
    # The canonical code's name, as TF Serving's JSON (error.proto's enum), not a class name.
    assert versions[1]["status"]["error_code"] == "DATA_LOSS"
    # The name is URL-decoded, as TF Serving's DecodeArg does.
    assert json.loads(get(server, "/v1/models/fl%61ky")[2]) == json.loads(body)
    assert versions[1]["status"]["error_message"]  # why version 2 did not load
    status, _, body = get(server, "/v1/models/nope")
    assert status == 404 and "nope" in json.loads(body)["error"]
    # One version, as TF Serving's REST API answers /versions/<N>.
    status, _, body = get(server, "/v1/models/flaky/versions/2")
    assert status == 200
    assert [(v["version"], v["state"]) for v in json.loads(body)["model_version_status"]] == \
        [("2", "END")]
    for path, code, fragment in (("/v1/models/flaky/versions/9", 404, "version 9"),
                                 ("/v1/models/flaky/labels/stable", 400, "label: stable"),
                                 ("/v1/models/flaky/bogus", 400,
                                  "Malformed request: GET /v1/models/flaky/bogus"),
                                 ("/v1/models/flaky/versions/x", 400, "Malformed request"),
                                 ("/V1/Models/flaky/Versions/9", 404, "version 9")):
        status, _, body = get(server, path)  # an unknown label is a bad request, as TF Serving
        assert status == code and fragment in json.loads(body)["error"], path


def test_not_ready_server(tmp_path):
    """A model with no version yet: alive, not ready, its status endpoint says so."""
    with running_server([ModelConfig(name="late", base_path=str(tmp_path / "late"))]) as (
            server, client):
        assert get(server, "/healthz")[0] == 200
        status, _, body = get(server, "/readyz")
        assert status == 503 and body.strip() == "not ready"
        status, _, body = get(server, "/v1/models/late")
        assert status == 404 and "late" in json.loads(body)["error"]
        scrape = Scrape(server)
        assert scrape.value("minitf_model_versions_available", model="late") == 0
        assert not client.server_ready()


def test_request_path_metrics_expose_what_prometheus_client_would():
    """The request path's own counter and histogram (one lock per observation) against
    prometheus_client's Counter and Histogram fed the same values: the same samples, bucket
    edges (a value equal to a bound counts in that bucket) and text exposition."""
    from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

    from minitf.serving.metrics import LATENCY_BUCKETS
    from minitf.serving.metrics_fast import _FastCounter, _FastHistogram

    ours, theirs = CollectorRegistry(), CollectorRegistry()
    h_ours = _FastHistogram("t_seconds", "Help.", ["m"], LATENCY_BUCKETS, ours)
    h_theirs = Histogram("t_seconds", "Help.", ["m"], buckets=LATENCY_BUCKETS, registry=theirs)
    c_ours = _FastCounter("t_requests", "Help.", ["m", "code"], ours)
    c_theirs = Counter("t_requests", "Help.", ["m", "code"], registry=theirs)
    values = [0.0, 0.0001, 0.00010001, 0.003, 0.005, 0.7, 10.0, 11.0, 1e9] + \
        list(np.random.default_rng(0).exponential(0.01, 200))
    for i, v in enumerate(values):
        model = "a" if i % 3 else "b"
        h_ours.labels(model).observe(v)
        h_theirs.labels(model).observe(v)
        c_ours.labels(model, "OK" if i % 5 else "INTERNAL").inc()
        c_theirs.labels(model, "OK" if i % 5 else "INTERNAL").inc()
    for h in (h_ours, h_theirs):
        h.labels("edge").observe(0.0001)
    h_ours.labels("bulk").observe_all(values)  # a batch's queue waits, under one lock
    for v in values:
        h_theirs.labels("bulk").observe(v)

    def samples(registry):
        text = generate_latest(registry).decode()
        return sorted((s.name, tuple(sorted(s.labels.items())), round(s.value, 9))
                      for f in text_string_to_metric_families(text) for s in f.samples
                      if not s.name.endswith("_created")), text

    (got, text), (want, _) = samples(ours), samples(theirs)
    assert got == want
    assert 't_seconds_bucket{le="0.0001",m="edge"} 1.0' in text  # a bound is inclusive
    with pytest.raises(ValueError, match="expected labels"):
        h_ours.labels("a", "extra")


def test_queue_depth_and_inflight_gauges_read_their_sources_when_scraped():
    from prometheus_client import CollectorRegistry

    from minitf.serving.metrics import Metrics

    metrics = Metrics(CollectorRegistry(), ["m"], process_metrics=False)
    depths = {"v1": 3, "v2": 4}
    v1, v2 = (lambda: depths["v1"]), (lambda: depths["v2"])
    metrics.batcher("m", 1, "serving_default").watch_queue(v1)
    metrics.batcher("m", 2, "serving_default").watch_queue(v2)
    inflight = metrics.inflight_count("kserve.ModelInfer")
    inflight.value += 2

    def value(name, **labels):
        return metrics.registry.get_sample_value(name, labels)

    assert value("minitf_queue_depth", model="m") == 7  # both versions' queues
    assert value("minitf_inflight_requests", api="kserve.ModelInfer") == 2
    depths["v2"] = 1
    inflight.value -= 2
    assert value("minitf_queue_depth", model="m") == 4
    assert value("minitf_inflight_requests", api="kserve.ModelInfer") == 0
    metrics.batcher("m", 2, "serving_default").unwatch_queue(v2)  # version 2 unloaded
    assert value("minitf_queue_depth", model="m") == 3


def test_an_unloaded_versions_series_are_dropped_a_failed_ones_kept():
    """Series stay bounded by the versions on disk over many deploys: an unloaded version's
    state, request counts and statistics go; a version that failed to load keeps its END."""
    from prometheus_client import CollectorRegistry

    from minitf.serving.metrics import Metrics
    m = Metrics(CollectorRegistry(), ["m"], process_metrics=False)
    record = m.recorder("kserve.ModelInfer", inference=True)
    for version in range(1, 40):  # each deploy replaces the one before
        for state in (20, 30):
            m.version_state("m", version, state)
        record("m", version, "OK", 0.001)
        if version > 1:
            m.version_state("m", version - 1, 40)
            m.version_state("m", version - 1, 50)
            m.unloaded("m", version - 1)  # what the repository reports after the END
    m.version_state("m", 99, 20)
    m.version_state("m", 99, 50)  # failed to load: never available, never unloaded
    text = m.registry
    states = {s.labels["version"]: s.value for f in text.collect()
              if f.name == "minitf_model_version_state" for s in f.samples}
    assert states == {"39": 30.0, "99": 50.0}
    counted = [s.labels["version"] for f in text.collect() if f.name == "minitf_requests"
               for s in f.samples if s.name == "minitf_requests_total"]
    assert counted == ["39"]
    assert m.stats.versions("m") == [39]
    record("m", 39, "OK", 0.001)  # the live version still counts
    assert text.get_sample_value("minitf_requests_total", {
        "model": "m", "version": "39", "api": "kserve.ModelInfer", "code": "OK"}) == 2


def test_a_request_finishing_after_its_version_unloaded_counts_without_a_version():
    """In-flight requests record after the unload: they count (totals stay right) but do not
    bring the unloaded version's series back; a version loaded again counts as itself."""
    from prometheus_client import CollectorRegistry

    from minitf.serving.metrics import Metrics
    m = Metrics(CollectorRegistry(), ["m"], process_metrics=False)
    record = m.recorder("tfserving.Predict", inference=True)

    def count(version):
        return m.registry.get_sample_value("minitf_requests_total", {
            "model": "m", "version": version, "api": "tfserving.Predict", "code": "OK"})
    for state in (20, 30):
        m.version_state("m", 1, state)
    record("m", 1, "OK", 0.001)
    for state in (40, 50):
        m.version_state("m", 1, state)
    m.unloaded("m", 1)
    record("m", 1, "OK", 0.001)  # was in flight during the unload
    assert count("1") is None and count("") == 1
    assert m.stats.versions("m") == []
    for state in (20, 30):  # version 1 deployed again
        m.version_state("m", 1, state)
    record("m", 1, "OK", 0.001)
    assert count("1") == 1 and count("") == 1
    assert m.stats.get("m", 1)["ok"] == 1
