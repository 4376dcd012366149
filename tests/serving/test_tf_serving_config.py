"""TF Serving's own configuration files: a text-format ModelServerConfig for
``--model_config_file`` and a text-format BatchingParameters for ``--batching_parameters_file``
(with ``--enable_batching``), read into the same options as minitf's JSON."""

from __future__ import annotations

import argparse
import json
import urllib.request

import numpy as np
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from minitf.serving import cli
from minitf.serving.batching import BatchingConfig
from minitf.serving.config import (PROMETHEUS_PATH, load_batching_parameters_file,
                                   load_model_config_file, load_monitoring_config_file)
from minitf.serving.metrics import Metrics
from minitf.serving.loading import make_loader
from minitf.serving.repository import ModelConfig, ModelRepository, State
from tests.serving.conftest import reference, running_server, write_model

# As TF Serving's documentation writes them (g3doc/serving_config.md), quotes of both kinds.
MODELS_CONFIG = """
model_config_list {
  config {
    name: 'plain'
    base_path: 'models/plain'
    model_platform: 'tensorflow'
  }
  config {
    name: "two"
    base_path: "{abs}"
    model_version_policy { latest { num_versions: 2 } }
  }
  config {
    name: 'zero'
    base_path: 'm'
    model_version_policy { latest { num_versions: 0 } }
  }
  config {
    name: 'every'
    base_path: 'm'
    model_version_policy { all {} }
  }
  config {
    name: 'some'
    base_path: '../elsewhere/m'
    model_version_policy { specific { versions: 1 versions: 3 } }
    version_labels { key: 'stable' value: 1 }
    version_labels { key: 'canary' value: 3 }
  }
}
"""

# The same models in minitf's JSON (num_versions 0 is TF Serving's 1).
MODELS_JSON = {"models": [
    {"name": "plain", "base_path": "models/plain"},
    {"name": "two", "base_path": "{abs}", "version_policy": {"latest": {"num_versions": 2}}},
    {"name": "zero", "base_path": "m", "version_policy": "latest"},
    {"name": "every", "base_path": "m", "version_policy": "all"},
    {"name": "some", "base_path": "../elsewhere/m",
     "version_policy": {"specific": {"versions": [1, 3]}},
     "version_labels": {"stable": 1, "canary": 3}},
]}

BATCHING = """
max_batch_size { value: 16 }
batch_timeout_micros { value: 2500 }
max_enqueued_batches { value: 7 }
num_batch_threads { value: 3 }
thread_pool_name { value: "model_server_batch_threads" }
allowed_batch_sizes: 4
allowed_batch_sizes: 16
enable_large_batch_splitting { value: false }
"""


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _serve_options(argv):
    parser = argparse.ArgumentParser(prog="minitf")
    cli._serve_parser(parser.add_subparsers(dest="command", required=True))
    return cli.build_options(parser.parse_args(["serve", *argv]))


def test_text_model_config_reads_as_the_same_json(tmp_path):
    absolute = str(tmp_path / "abs")
    text = _write(tmp_path, "models.config", MODELS_CONFIG.replace("{abs}", absolute))
    doc = json.dumps(MODELS_JSON).replace("{abs}", absolute)
    ours, default = load_model_config_file(text, BatchingConfig(max_batch_size=4))
    expected, _ = load_model_config_file(_write(tmp_path, "models.json", doc),
                                         BatchingConfig(max_batch_size=4))
    assert ours == expected
    # The facts, by hand: paths relative to the file, the policies, labels, batching.
    by_name = {m.name: m for m in ours}
    assert by_name["plain"].base_path == str(tmp_path / "models" / "plain")
    assert by_name["two"].base_path == absolute
    assert [(m.version_policy, m.num_versions) for m in ours[:3]] == [
        ("latest", 1), ("latest", 2), ("latest", 1)]
    assert by_name["every"].version_policy == "all"
    assert (by_name["some"].version_policy, by_name["some"].versions) == ("specific", (1, 3))
    assert by_name["some"].version_labels == {"stable": 1, "canary": 3}
    assert default == BatchingConfig(max_batch_size=4)
    assert all(m.batching == default for m in ours)


@pytest.mark.tensorflow
def test_the_example_config_is_valid_for_tf_serving():
    """Our test input is TF Serving's syntax: its own classes parse it to the same message."""
    from google.protobuf import text_format

    official = pytest.importorskip("tensorflow_serving.config.model_server_config_pb2")

    from minitf.protos import model_server_config_pb2 as ours

    theirs = text_format.Parse(MODELS_CONFIG, official.ModelServerConfig())
    mine = text_format.Parse(MODELS_CONFIG, ours.ModelServerConfig())
    assert theirs.SerializeToString(deterministic=True) == \
        mine.SerializeToString(deterministic=True)


@pytest.mark.parametrize("text, message", [
    ("model_config_list { config { name: 'm' base_path: 'm' versions: 2 } }",
     'neither JSON nor a text-format ModelServerConfig: .*"versions"'),
    ("model_config_list { config { name: 'm' base_path: 'm' model_platform: 'pytorch' } }",
     "model_platform 'pytorch' is not supported"),
    ("model_config_list { config { name: 'm' base_path: 'm' logging_config { "
     "sampling_config { sampling_rate: 0.5 } } } }", "logging_config .* is not supported"),
    ("model_config_list { config { name: 'm' } }", "each model needs name and base_path"),
    ("model_config_list { config { base_path: 'm' } }", "each model needs name and base_path"),
    ("model_config_list { config { name: 'm' base_path: 'm' model_version_policy { "
     "specific { } } } }", r"config 1 \(m\): .*versions must be a non-empty list"),
    ("model_config_list { config { name: 'a/b' base_path: 'm' } }", "invalid model name"),
    ("model_config_list { config { name: 'm' base_path: 'm' version_labels { key: 'bad label' "
     "value: 1 } } }", "invalid version label 'bad label'"),
    ("custom_model_config { }", "custom_model_config is not supported"),
    ("model_config_list { }", "lists no models"),
    ("", "lists no models"),
])
def test_text_model_config_errors_name_the_problem(tmp_path, text, message):
    path = _write(tmp_path, "models.config", text)
    with pytest.raises(ValueError, match=message) as info:
        load_model_config_file(path)
    assert path in str(info.value) or "invalid" in str(info.value)


def test_batching_parameters_file(tmp_path):
    path = _write(tmp_path, "batching.config", BATCHING)
    base = BatchingConfig(max_batch_size=8, batch_timeout_micros=1)
    assert load_batching_parameters_file(path, base) == BatchingConfig(
        max_batch_size=16, batch_timeout_micros=2500, max_enqueued_batches=7,
        num_batch_threads=3, allowed_batch_sizes=(4, 16), enable_large_batch_splitting=False)
    # Only what the file sets changes; batching stays off when the flags say so.
    small = _write(tmp_path, "small.config", "batch_timeout_micros { value: 9 }")
    off = BatchingConfig(enabled=False, max_batch_size=8)
    assert load_batching_parameters_file(small, off) == BatchingConfig(
        enabled=False, max_batch_size=8, batch_timeout_micros=9)
    # max_execution_batch_size equal to max_batch_size is what minitf does anyway.
    same = _write(tmp_path, "same.config", "max_batch_size { value: 8 } "
                  "max_execution_batch_size { value: 8 }")
    assert load_batching_parameters_file(same, base).max_batch_size == 8


@pytest.mark.parametrize("text, message", [
    ("max_batch_size: 16", "is not a text-format BatchingParameters"),
    ("max_batch { value: 16 }", "is not a text-format BatchingParameters"),
    ("pad_variable_length_inputs: true", "pad_variable_length_inputs is not supported"),
    ("max_batch_size { value: 32 } max_execution_batch_size { value: 8 }",
     "max_execution_batch_size .* is not supported"),
    ("max_batch_size { value: 0 }", "max_batch_size must be >= 1"),
    ("max_batch_size { value: 8 } allowed_batch_sizes: 2 allowed_batch_sizes: 4",
     "last entry in allowed_batch_sizes must match max_batch_size"),
])
def test_batching_parameters_errors_name_the_problem(tmp_path, text, message):
    path = _write(tmp_path, "batching.config", text)
    with pytest.raises(ValueError, match=message) as info:
        load_batching_parameters_file(path, BatchingConfig())
    assert path in str(info.value)


def test_serve_flags_in_tf_servings_spelling(tmp_path):
    models = _write(tmp_path, "models.config",
                    "model_config_list { config { name: 'm' base_path: 'm' } }")
    batching = _write(tmp_path, "batching.config", BATCHING)
    expected = BatchingConfig(
        max_batch_size=16, batch_timeout_micros=2500, max_enqueued_batches=7,
        num_batch_threads=3, allowed_batch_sizes=(4, 16), enable_large_batch_splitting=False)
    opts = _serve_options(["--model_config_file", models, "--enable_batching",
                           "--batching_parameters_file", batching])
    assert opts.batching == expected and opts.models[0].batching == expected
    # The file's parameters beat the flags'; --enable_batching=false switches batching off.
    opts = _serve_options(["--model_base_path", "m", "--max_batch_size", "4",
                           "--batching_parameters_file", batching, "--enable_batching", "false"])
    assert opts.batching == BatchingConfig(enabled=False, **{
        k: getattr(expected, k) for k in ("max_batch_size", "batch_timeout_micros",
                                          "max_enqueued_batches", "num_batch_threads",
                                          "allowed_batch_sizes",
                                          "enable_large_batch_splitting")})
    # A JSON model config's batching still overrides the parameters file, parameter by parameter.
    doc = _write(tmp_path, "models.json", json.dumps(
        {"batching": {"num_batch_threads": 1}, "models": [{"name": "m", "base_path": "m"}]}))
    opts = _serve_options(["--model_config_file", doc, "--batching_parameters_file", batching])
    assert opts.batching.num_batch_threads == 1 and opts.batching.max_batch_size == 16


def test_disagreeing_batching_flags_exit_2(tmp_path, capsys):
    argv = ["serve", "--port", "0", "--http_port", "0", "--model_base_path", "m",
            "--batching", "off", "--enable_batching"]
    assert cli.main(argv) == 2
    assert "--batching off and --enable_batching=true disagree" in capsys.readouterr().err
    missing = str(tmp_path / "nope.config")
    assert cli.main(["serve", "--port", "0", "--http_port", "0", "--model_base_path", "m",
                     "--batching_parameters_file", missing]) == 2
    assert f"cannot read batching parameters file {missing}" in capsys.readouterr().err


def test_a_server_configured_with_tf_servings_files_answers(tmp_path):
    """End to end: the options the two files give start a server whose answers are right."""
    write_model(str(tmp_path / "models" / "dense"), 1)
    write_model(str(tmp_path / "models" / "dense"), 2, scale=2.0)
    models = _write(tmp_path, "models.config", """
        model_config_list { config {
          name: 'dense' base_path: 'models/dense' model_platform: 'tensorflow'
          model_version_policy { specific { versions: 1 versions: 2 } }
          version_labels { key: 'stable' value: 1 }
        } }""")
    batching = _write(tmp_path, "batching.config",
                      "max_batch_size { value: 8 } batch_timeout_micros { value: 1000 }")
    monitoring = _write(tmp_path, "monitoring.config", "prometheus_config { enable: true }")
    opts = _serve_options(["--model_config_file", models, "--enable_batching",
                           "--batching_parameters_file", batching,
                           "--monitoring_config_file", monitoring])
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    with running_server(opts.models, opts.batching, metrics_path=opts.metrics_path) as (
            server, client):
        stable = client.predict("dense", {"x": x}, label="stable")
        newest = client.predict("dense", {"x": x})
        assert server.repository.get("dense").batchers  # batching is on for it
        # Prometheus scrapes TF Serving's path on the HTTP port, as configured.
        url = f"http://127.0.0.1:{server.http_port}/monitoring/prometheus/metrics"
        with urllib.request.urlopen(url, timeout=10) as r:
            families = {f.name for f in text_string_to_metric_families(r.read().decode())}
        assert "minitf_requests" in families
    np.testing.assert_allclose(stable["probs"], reference(x)["probs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(newest["logits"], reference(x, 2.0)["logits"], rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("text,expected", [
    ("prometheus_config { enable: true }", PROMETHEUS_PATH),
    ("prometheus_config { enable: true, path: '/scrape/here' }", "/scrape/here"),
    ("prometheus_config { path: '/scrape/here' }", None),  # not enabled: TF Serving serves none
    ("", None),
])
def test_monitoring_config_file(tmp_path, text, expected):
    assert load_monitoring_config_file(_write(tmp_path, "monitoring.config", text)) == expected


@pytest.mark.parametrize("text,message", [
    ("prometheus_config { enable: true path: 'metrics' }", "must be an absolute URL path"),
    ("prometheus { enable: true }", "is not a text-format MonitoringConfig"),
])
def test_monitoring_config_errors_name_the_problem(tmp_path, text, message):
    path = _write(tmp_path, "monitoring.config", text)
    with pytest.raises(ValueError, match=message) as info:
        load_monitoring_config_file(path)
    assert path in str(info.value)


# -- --enable_per_model_batching_parameters: a version's own batching_params.pbtxt ---------------
def test_per_model_batching_parameters_come_from_the_version_directory(tmp_path, caplog):
    base = tmp_path / "dense"
    write_model(str(base), 1)
    write_model(str(base), 2, scale=2.0)
    _write(base / "1", "batching_params.pbtxt",
           "max_batch_size { value: 4 } batch_timeout_micros { value: 1000 } "
           "num_batch_threads { value: 16 }")
    models = [ModelConfig(name="dense", base_path=str(base), version_policy="all")]
    server_wide = BatchingConfig(max_batch_size=32, max_enqueued_batches=5, num_batch_threads=3)
    x = np.random.default_rng(1).standard_normal((10, 4)).astype(np.float32)
    with running_server(models, server_wide, per_model_batching=True) as (server, client):
        one, two = (server.repository.get("dense", v) for v in (1, 2))
        # Version 1: the file's parameters over the defaults (the server's other settings are
        # ignored, as in TF Serving), with the server's thread count even though the file
        # names one (TF Serving's threads are one shared pool). Version 2 has no file:
        # not batched.
        assert {s: b.config for s, b in one.batchers.items()} == {"serving_default": (
            BatchingConfig(max_batch_size=4, batch_timeout_micros=1000, num_batch_threads=3))}
        assert two.batchers == {}
        got1 = client.predict("dense", {"x": x}, version=1)  # 10 rows: split into batches of 4
        got2 = client.predict("dense", {"x": x}, version=2)
    np.testing.assert_allclose(got1["probs"], reference(x)["probs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got2["logits"], reference(x, 2.0)["logits"], rtol=1e-5,
                               atol=1e-5)
    # Without the flag the file is ignored: both versions take the server's settings.
    with running_server(models, server_wide) as (server, _):
        for v in (1, 2):
            assert [b.config for b in server.repository.get("dense", v).batchers.values()] == \
                [server_wide]
    # With batching off the flag changes nothing, and says so.
    with caplog.at_level("WARNING", "minitf.serving"):
        with running_server(models, BatchingConfig(enabled=False), per_model_batching=True) as (
                server, _):
            assert server.repository.get("dense", 1).batchers == {}
    assert "--enable_per_model_batching_parameters has no effect" in caplog.text


def test_a_bad_per_model_batching_file_fails_the_load_until_fixed(tmp_path):
    base = tmp_path / "dense"
    write_model(str(base), 1)
    write_model(str(base), 2, scale=2.0)
    params = _write(base / "2", "batching_params.pbtxt", "pad_variable_length_inputs: true")
    metrics = Metrics(CollectorRegistry(), ["dense"], process_metrics=False)
    repo = ModelRepository([ModelConfig(name="dense", base_path=str(base))],
                           default_batching=BatchingConfig(), per_model_batching=True,
                           observer=metrics, loader=make_loader(enable_model_warmup=False))
    try:
        repo.poll()  # version 2 fails; with latest(1), nothing else was loaded
        status = repo.status("dense", 2)[0]
        assert status.state == State.END
        assert params in status.error.message
        assert "pad_variable_length_inputs is not supported" in status.error.message
        repo.poll()  # unchanged: not retried
        assert repo.status("dense", 2)[0].state == State.END
        with open(params, "w") as f:  # fixed: the next poll loads it, batched as it says
            f.write("max_batch_size { value: 2 }")
        repo.poll()
        assert repo.status("dense", 2)[0].state == State.AVAILABLE
        assert repo.get("dense", 2).batchers["serving_default"].config.max_batch_size == 2
    finally:
        repo.stop()


def test_per_model_batching_flag(tmp_path):
    assert not _serve_options(["--model_base_path", "m"]).per_model_batching
    for flag in (["--enable_per_model_batching_parameters"],
                 ["--enable_per_model_batching_parameters=true"]):
        assert _serve_options(["--model_base_path", "m", "--enable_batching", *flag]
                              ).per_model_batching
