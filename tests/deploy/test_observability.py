"""deploy/compose.yaml, the Prometheus config and the Grafana provisioning and dashboard: they
parse, agree with each other, and every metric the dashboard queries is one a real server
exports (a live scrape)."""

from __future__ import annotations

import os
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from minitf.serving.batching import BatchingConfig
from minitf.serving.repository import ModelConfig
from tests.serving.conftest import reference, running_server, write_model

from .helpers import COMPOSE, DASHBOARD, DEPLOY, GRAFANA, PROMETHEUS, dashboard, \
    dashboard_queries, grouping_labels, load_yaml, metric_names, parse_serve_args, \
    selector_labels

# Labels Prometheus attaches to every scraped series (target labels), not exported by minitf.
TARGET_LABELS = {"instance", "job"}


@pytest.fixture(scope="module")
def compose():
    return load_yaml(COMPOSE)


def _mounts(service: dict) -> dict[str, tuple[str, bool]]:
    """{container path: (host path resolved from deploy/, read-only)} of short-syntax volumes."""
    out = {}
    for v in service.get("volumes", []):
        source, target, *mode = v.split(":")
        if source.startswith((".", "/")):
            source = os.path.normpath(DEPLOY / source)
        out[target] = (source, "ro" in mode)
    return out


# -- compose ----------------------------------------------------------------------------------
def test_compose_has_the_three_services_with_pinned_images(compose):
    services = compose["services"]
    assert {"minitf", "prometheus", "grafana"} <= set(services)
    for name, service in services.items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), (name, image)


def test_compose_builds_the_image_from_the_repository(compose):
    build = compose["services"]["minitf"]["build"]
    context = os.path.normpath(DEPLOY / build["context"])
    assert os.path.samefile(context, DEPLOY.parent)
    assert os.path.isfile(os.path.join(context, build["dockerfile"]))


def test_compose_minitf_service(compose):
    service = compose["services"]["minitf"]
    args = parse_serve_args(service["command"])  # accepted by the real CLI parser
    mounts = _mounts(service)
    assert mounts["/models"] == (os.path.normpath(DEPLOY.parent / "models"), True)
    config_source, read_only = mounts[args.model_config_file]
    assert read_only and os.path.isfile(config_source)
    published = {p.rsplit(":", 1)[1] for p in service["ports"]}
    assert {str(args.port), str(args.http_port)} <= published
    # The same hardening as the Kubernetes Deployment.
    assert service["read_only"] is True
    assert service["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in service["security_opt"]


def test_prometheus_scrapes_the_compose_service_on_its_metrics_port(compose):
    prometheus = compose["services"]["prometheus"]
    config_flag = next(a for a in prometheus["command"] if a.startswith("--config.file="))
    config_path = config_flag.split("=", 1)[1]
    source, read_only = _mounts(prometheus)[config_path]
    assert read_only and os.path.samefile(source, PROMETHEUS)
    config = load_yaml(PROMETHEUS)
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "minitf"]
    assert job.get("metrics_path", "/metrics") == "/metrics"
    targets = [t for sc in job["static_configs"] for t in sc["targets"]]
    args = parse_serve_args(compose["services"]["minitf"]["command"])
    assert targets == [f"minitf:{args.http_port}"]


def test_grafana_provisioning_is_mounted_and_points_at_prometheus(compose):
    grafana = compose["services"]["grafana"]
    mounts = _mounts(grafana)
    source, read_only = mounts["/etc/grafana/provisioning"]
    assert read_only and os.path.samefile(source, GRAFANA / "provisioning")
    datasources = [d for f in (GRAFANA / "provisioning" / "datasources").glob("*.yaml")
                   for d in load_yaml(f)["datasources"]]
    [prometheus] = [d for d in datasources if d["type"] == "prometheus"]
    assert prometheus["url"] == "http://prometheus:9090"
    assert "9090" in {p.rsplit(":", 1)[1] for p in compose["services"]["prometheus"]["ports"]}
    # $__rate_interval is only right when Grafana knows the scrape interval.
    scrape = load_yaml(PROMETHEUS)["global"]["scrape_interval"]
    assert prometheus["jsonData"]["timeInterval"] == scrape
    # The dashboard provider reads the folder where compose mounts deploy/grafana/dashboards.
    [provider] = [p for f in (GRAFANA / "provisioning" / "dashboards").glob("*.yaml")
                  for p in load_yaml(f)["providers"]]
    source, read_only = mounts[provider["options"]["path"]]
    assert read_only and os.path.samefile(source, DASHBOARD.parent)
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{provider['options']['path']}/{DASHBOARD.name}"


# -- the dashboard ------------------------------------------------------------------------------
def _panels(dash):
    for p in dash["panels"]:
        yield p
        yield from p.get("panels", [])


def test_dashboard_uses_only_the_provisioned_datasource():
    uids = {d["uid"] for f in (GRAFANA / "provisioning" / "datasources").glob("*.yaml")
            for d in load_yaml(f)["datasources"]}
    dash = dashboard()
    used = []
    for p in _panels(dash):
        for item in [p, *p.get("targets", [])]:
            if "datasource" in item:
                used.append(item["datasource"]["uid"])
    used += [v["datasource"]["uid"] for v in dash["templating"]["list"] if "datasource" in v]
    assert used and set(used) <= uids


def test_dashboard_layout():
    dash = dashboard()
    assert dash["uid"] and dash["title"]
    panels = list(_panels(dash))
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    cells = set()
    for p in panels:
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24
        mine = {(x, y) for x in range(g["x"], g["x"] + g["w"])
                for y in range(g["y"], g["y"] + g["h"])}
        assert not cells & mine, f"panel {p['title']!r} overlaps another"
        cells |= mine
        if p["type"] != "row":
            assert p["targets"] and all(t["expr"] for t in p["targets"]), p["title"]


def test_dashboard_covers_what_the_issue_asks_for():
    exprs = dashboard_queries(dashboard())
    text = "\n".join(exprs)
    names = set().union(*map(metric_names, exprs))
    assert re.search(r"sum by \(code\) \(rate\(minitf_requests_total", text)
    for q in ("0.5", "0.99"):
        assert f"histogram_quantile({q}, sum by (le, api) (rate(" \
            "minitf_request_duration_seconds_bucket" in text
    assert {"minitf_queue_wait_seconds_bucket", "minitf_batch_size_rows_sum",
            "minitf_batch_size_rows_count", "minitf_queue_depth", "minitf_inflight_requests",
            "minitf_model_versions_available", "minitf_model_version_state",
            "minitf_model_load_failures_total"} <= names


@pytest.mark.parametrize("expr, names", [
    ('histogram_quantile(0.99, sum by (le, api) (rate(m_bucket{model=~"$model"}'
     '[$__rate_interval])))', {"m_bucket"}),
    ("sum without (instance) (a_total) / on (model) group_left b", {"a_total", "b"}),
    ('max by (model) (x{code!="OK", api="predict"} offset 5m) > bool 0', {"x"}),
    ("label_values(minitf_build_info, instance)", {"minitf_build_info"}),
    ('label_values(g{instance=~"$instance"}, model)', {"g"}),
    ("increase(c_total[$__range]) and on() vector(1)", {"c_total"}),
])
def test_metric_name_extraction(expr, names):
    assert metric_names(expr) == names


# -- a live scrape ------------------------------------------------------------------------------
def _scrape(port: int) -> list:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return list(text_string_to_metric_families(r.read().decode()))


@pytest.fixture(scope="module")
def live_metrics(tmp_path_factory):
    """A real server's /metrics after batched requests over both APIs and a failed load."""
    base = tmp_path_factory.mktemp("models")
    write_model(str(base / "dense"), 1)
    broken = base / "broken" / "1"
    broken.mkdir(parents=True)
    (broken / "saved_model.pb").write_bytes(b"not a SavedModel")
    models = [ModelConfig(name="dense", base_path=str(base / "dense")),
              ModelConfig(name="broken", base_path=str(base / "broken"))]
    batching = BatchingConfig(max_batch_size=8, batch_timeout_micros=5000,
                              allowed_batch_sizes=(4, 8))
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((1 + i % 3, 4)).astype(np.float32) for i in range(12)]
    with running_server(models, batching) as (server, client):
        # Concurrent requests, so the batcher merges some of them.
        with ThreadPoolExecutor(6) as pool:
            outs = list(pool.map(lambda x: client.predict("dense", {"x": x})["probs"], xs))
        infer = client.infer("dense", {"x": xs[0]})["probs"]
        families = _scrape(server.http_port)
    for x, out in zip(xs, outs):
        np.testing.assert_allclose(out, reference(x)["probs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(infer, reference(xs[0])["probs"], rtol=1e-5, atol=1e-6)
    return families, len(xs) + 1


def _series(families) -> dict[str, set[str]]:
    """{sample name: label names} of every exported series."""
    out: dict[str, set[str]] = {}
    for family in families:
        for sample in family.samples:
            out.setdefault(sample.name, set()).update(sample.labels)
    return out


def test_the_live_scrape_moved(live_metrics):
    families, sent = live_metrics
    series = _series(families)
    requests = next(f for f in families if f.name == "minitf_requests")
    ok = sum(s.value for s in requests.samples if s.name == "minitf_requests_total"
             and s.labels["code"] == "OK" and s.labels["model"] == "dense")
    assert ok == sent
    batches = next(f for f in families if f.name == "minitf_batch_size_rows")
    count = next(s.value for s in batches.samples if s.name == "minitf_batch_size_rows_count")
    assert 1 <= count <= sent
    failures = next(f for f in families if f.name == "minitf_model_load_failures")
    assert sorted((s.labels["model"], s.value) for s in failures.samples
                  if s.name.endswith("_total")) == [("broken", 1.0), ("dense", 0.0)]
    assert "minitf_queue_depth" in series and "minitf_inflight_requests" in series


def test_every_dashboard_metric_is_exported_by_the_server(live_metrics):
    families, _ = live_metrics
    series = _series(families)
    exprs = dashboard_queries(dashboard())
    queried = set().union(*map(metric_names, exprs))
    assert queried
    missing = sorted(queried - set(series))
    assert not missing, f"the dashboard queries metrics the server does not export: {missing}"


def test_dashboard_label_names_exist_on_the_metrics(live_metrics):
    families, _ = live_metrics
    series = _series(families)
    for expr in dashboard_queries(dashboard()):
        for metric, labels in selector_labels(expr).items():
            unknown = labels - series[metric] - TARGET_LABELS
            assert not unknown, f"{metric} has no label {sorted(unknown)} ({expr})"
        available = set().union(*(series[m] for m in metric_names(expr))) | TARGET_LABELS
        unknown = grouping_labels(expr) - available
        assert not unknown, f"grouping by missing labels {sorted(unknown)} in {expr}"


def test_dashboard_json_is_what_the_provider_loads():
    # Grafana's file provider loads *.json from its folder: only the dashboard lives there.
    assert sorted(p.name for p in DASHBOARD.parent.iterdir()) == [DASHBOARD.name]
