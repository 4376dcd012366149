"""Changing the served models at run time, as TF Serving: ModelService/HandleReloadConfigRequest
and --model_config_file_poll_wait_seconds, through a real server on 127.0.0.1. The new list
replaces the old one (new models load before they serve, removed ones unload after their
in-flight requests, changed ones follow their new policy or base path); an invalid list changes
nothing and its error is the RPC's status. Version n of "dense" scales its logits by n and
"wide" by 3, so every answer shows which model and version computed it."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.request

import grpc
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from minitf.protos import model_management_pb2, model_server_config_pb2
from minitf.serving import cli
from minitf.serving.batching import BatchingConfig
from minitf.serving.config import load_model_config_file
from minitf.serving.repository import ModelConfig, State

from .conftest import reference, running_server, wait_for, write_model

RELOAD = "/tensorflow.serving.ModelService/HandleReloadConfigRequest"
WAIT = 20.0
X = (np.arange(12, dtype=np.float32).reshape(3, 4) - 6) / 4


def check(outputs: dict, scale: float, x=X):
    want = reference(x, scale)
    np.testing.assert_allclose(outputs["logits"], want["logits"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(outputs["probs"], want["probs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(outputs["classes"], want["classes"])


def metric_samples(server) -> list:
    url = f"http://127.0.0.1:{server.http_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as resp:
        text = resp.read().decode()
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def metric(server, name, **labels):
    for s in metric_samples(server):
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


def model_labels(server) -> set:
    return {s.labels["model"] for s in metric_samples(server) if "model" in s.labels}


def entry(name, base_path, platform="tensorflow", **fields):
    return model_server_config_pb2.ModelConfig(name=name, base_path=str(base_path),
                                               model_platform=platform, **fields)


def request(*entries, metric_names=()):
    req = model_management_pb2.ReloadConfigRequest(metric_names=list(metric_names))
    req.config.model_config_list.config.extend(entries)
    return req


def reload(server, req, timeout=WAIT):
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        call = channel.unary_unary(
            RELOAD, request_serializer=model_management_pb2.ReloadConfigRequest.SerializeToString,
            response_deserializer=model_management_pb2.ReloadConfigResponse.FromString)
        return call(req, timeout=timeout)


def not_found(client, model):
    with pytest.raises(grpc.RpcError) as info:
        client.predict(model, {"x": X})
    return info.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.fixture
def bases(tmp_path):
    """"dense" v1 (scale 1) and v2 (scale 2); "wide" v1 (scale 3)."""
    dense, wide = tmp_path / "dense", tmp_path / "wide"
    write_model(str(dense), 1, 1.0)
    write_model(str(dense), 2, 2.0)
    write_model(str(wide), 1, 3.0)
    return dense, wide


# -- HandleReloadConfigRequest ---------------------------------------------------------------
def test_reload_adds_a_model_which_then_serves(bases):
    dense, wide = bases
    with running_server([ModelConfig("dense", str(dense))]) as (server, client):
        assert "wide" not in model_labels(server)
        response = reload(server, request(entry("dense", dense), entry("wide", wide),
                                          metric_names=["minitf_model_load_duration_seconds_count",
                                                        "no_such_metric"]))
        assert response.HasField("status") and response.status.error_code == 0
        assert response.status.error_message == ""
        # Only "wide" v1 loaded during the reload; a metric the server lacks grew by 0.
        assert [(m.name, m.int64_value_increase) for m in response.metric] == [
            ("minitf_model_load_duration_seconds_count", 1), ("no_such_metric", 0)]
        check(client.predict("wide", {"x": X}), 3.0)
        check(client.predict("dense", {"x": X}), 2.0)  # untouched
        assert [(s.version, s.state) for s in client.status("wide")] == [(1, State.AVAILABLE)]
        # The new model has its own labels, not "_unknown".
        assert metric(server, "minitf_model_versions_available", model="wide") == 1
        assert metric(server, "minitf_model_version_state", model="wide", version="1") == 30
        assert metric(server, "minitf_requests_total", model="wide", version="1",
                      api="tfserving.Predict", code="OK") == 1
        assert metric(server, "minitf_model_load_failures_total", model="wide") == 0
        assert server.plane.ready()


def test_the_client_reloads_from_dicts_or_a_config(bases):
    """minitf's Client.reload_config: a list of {"name", "base_path", ...} or the message."""
    dense, wide = bases
    with running_server([ModelConfig("dense", str(dense))]) as (server, client):
        policy = model_server_config_pb2.ModelConfig(
            model_version_policy={"specific": {"versions": [1]}}).model_version_policy
        response = client.reload_config([{"name": "wide", "base_path": str(wide)},
                                         {"name": "dense", "base_path": str(dense),
                                          "model_version_policy": policy}])
        assert response.status.error_code == 0
        check(client.predict("wide", {"x": X}), 3.0)
        check(client.predict("dense", {"x": X}), 1.0)  # only version 1 now
        config = model_server_config_pb2.ModelServerConfig()
        config.model_config_list.config.append(entry("dense", dense))
        assert client.reload_config(config).status.error_code == 0
        assert not_found(client, "wide")
        check(client.predict("dense", {"x": X}), 2.0)


def test_reload_removes_a_model_after_its_in_flight_requests(bases):
    dense, wide = bases
    # Batches of X's 3 rows run at once; a one-row request waits for company (up to a 30 s
    # batch timeout) in the queue until the unload drains it.
    slow = BatchingConfig(max_batch_size=len(X), batch_timeout_micros=30_000_000)
    models = [ModelConfig("dense", str(dense)), ModelConfig("wide", str(wide))]
    with running_server(models, slow) as (server, client):
        result = {}

        def predict():
            try:
                result["out"] = client.predict("wide", {"x": X[:1]})
            except grpc.RpcError as e:  # reported below
                result["error"] = e

        thread = threading.Thread(target=predict)
        start = time.monotonic()
        thread.start()
        batcher = server.repository.get("wide").batchers["serving_default"]
        wait_for(lambda: batcher.queue_depth() >= 1, "the request to be queued")
        assert metric(server, "minitf_queue_depth", model="wide") == 1
        response = reload(server, request(entry("dense", dense)))
        assert response.status.error_code == 0
        thread.join(WAIT)
        assert not thread.is_alive() and "error" not in result, result.get("error")
        check(result["out"], 3.0, X[:1])
        assert time.monotonic() - start < 10  # drained by the unload, not by its timeout
        assert not_found(client, "wide")
        with pytest.raises(grpc.RpcError) as info:
            client.status("wide")
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        check(client.predict("dense", {"x": X}), 2.0)
        # Every series of the removed model is gone, its version states included; the
        # requests that name it now count as _unknown.
        assert "wide" not in model_labels(server)
        assert metric(server, "minitf_requests_total", model="_unknown",
                      api="tfserving.Predict", code="NOT_FOUND") == 1
        assert server.repository.model_names() == ["dense"]
        assert server.plane.ready()


def test_reload_changes_the_version_policy_and_labels(bases):
    dense, _ = bases
    with running_server([ModelConfig("dense", str(dense))]) as (server, client):
        assert [s.version for s in client.status("dense")] == [2]
        specific = entry("dense", dense)
        specific.model_version_policy.specific.versions.append(1)
        specific.version_labels["stable"] = 1
        assert reload(server, request(specific)).status.error_code == 0
        check(client.predict("dense", {"x": X}), 1.0)
        check(client.predict("dense", {"x": X}, label="stable"), 1.0)
        assert [(s.version, s.state) for s in client.status("dense")] == [
            (1, State.AVAILABLE), (2, State.END)]
        assert metric(server, "minitf_model_version_state", model="dense", version="2") is None
        every = entry("dense", dense)
        every.model_version_policy.all.SetInParent()
        assert reload(server, request(every)).status.error_code == 0
        check(client.predict("dense", {"x": X}, version=1), 1.0)
        check(client.predict("dense", {"x": X}, version=2), 2.0)
        assert metric(server, "minitf_model_versions_available", model="dense") == 2
        with pytest.raises(grpc.RpcError) as info:  # the label went with the old config
            client.predict("dense", {"x": X}, label="stable")
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_reload_with_a_new_base_path_reloads_the_same_version_numbers(bases, tmp_path):
    dense, _ = bases
    moved = tmp_path / "moved"
    write_model(str(moved), 2, 5.0)  # same version number, other values
    with running_server([ModelConfig("dense", str(dense))]) as (server, client):
        check(client.predict("dense", {"x": X}), 2.0)
        assert reload(server, request(entry("dense", moved))).status.error_code == 0
        check(client.predict("dense", {"x": X}), 5.0)
        assert [(s.version, s.state) for s in client.status("dense")] == [(2, State.AVAILABLE)]


def _custom(req):
    req.config.custom_model_config.type_url = "type.googleapis.com/some.Config"


def _duplicate(req, wide):
    req.config.model_config_list.config.extend([entry("wide", wide)])


INVALID = {
    "unknown platform": (lambda req, wide: req.config.model_config_list.config.extend(
        [entry("other", wide, platform="pytorch")]), "model_platform 'pytorch' is not supported"),
    "duplicate names": (_duplicate, "Illegal to list model wide multiple times in config list"),
    "no base path": (lambda req, wide: req.config.model_config_list.config.extend(
        [entry("other", "")]), "each model needs name and base_path"),
    "bad label": (lambda req, wide: req.config.model_config_list.config[0].version_labels
                  .__setitem__("bad-label", 1), "invalid version label 'bad-label'"),
    "custom_model_config": (lambda req, wide: _custom(req),
                            "Only ModelConfigList is currently supported"),
    "no config": (lambda req, wide: req.ClearField("config"),
                  "Only ModelConfigList is currently supported"),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_an_invalid_config_changes_nothing(bases, case, caplog):
    dense, wide = bases
    change, message = INVALID[case]
    req = request(entry("wide", wide))  # valid on its own: would add wide and drop dense
    change(req, wide)
    with running_server([ModelConfig("dense", str(dense))]) as (server, client):
        with caplog.at_level(logging.ERROR, logger="minitf.serving"):
            with pytest.raises(grpc.RpcError) as info:
                reload(server, req)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert message in info.value.details()
        assert any("ReloadConfig failed" in r.getMessage() for r in caplog.records)
        assert server.repository.model_names() == ["dense"]
        check(client.predict("dense", {"x": X}), 2.0)
        assert not_found(client, "wide")
        assert "wide" not in model_labels(server)


def test_a_new_model_without_versions_is_unknown_but_configured(bases, tmp_path):
    """As TF Serving: the config is applied, and the RPC reports UNKNOWN "Some models did not
    become available"; the model's versions load once they appear."""
    dense, _ = bases
    late = tmp_path / "late"
    with running_server([ModelConfig("dense", str(dense))], poll_seconds=0.1) as (server,
                                                                                  client):
        with pytest.raises(grpc.RpcError) as info:
            reload(server, request(entry("dense", dense), entry("late", late)))
        assert info.value.code() == grpc.StatusCode.UNKNOWN
        assert "Some models did not become available: {late (no versions found" in \
            info.value.details()
        assert server.repository.model_names() == ["dense", "late"]
        assert not server.plane.ready()
        write_model(str(late), 4, 4.0)
        wait_for(lambda: server.repository.available_versions("late") == [4], "late v4")
        check(client.predict("late", {"x": X}), 4.0)
        assert server.plane.ready()


def test_wire_bytes_written_by_hand(bases):
    """A ReloadConfigRequest encoded field by field from model_management.proto's and
    model_server_config.proto's numbers reaches the canonical path, and the answer is the
    bytes of ReloadConfigResponse{status {}} (field 1, empty)."""
    dense, wide = bases

    def varint(n: int) -> bytes:
        out = b""
        while n >= 0x80:
            out += bytes([n & 0x7F | 0x80])
            n >>= 7
        return out + bytes([n])

    def ld(number, payload: bytes) -> bytes:  # a length-delimited field (wire type 2)
        return varint(number << 3 | 2) + varint(len(payload)) + payload

    def model(name, path):  # ModelConfig: name = 1, base_path = 2, model_platform = 4
        return ld(1, name.encode()) + ld(2, str(path).encode()) + ld(4, b"tensorflow")

    # ReloadConfigRequest.config = 1 -> ModelServerConfig.model_config_list = 1 ->
    # ModelConfigList.config = 1 (repeated).
    raw = ld(1, ld(1, ld(1, model("dense", dense)) + ld(1, model("wide", wide))))
    with running_server([ModelConfig("dense", str(dense))]) as (server, client):
        with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            answer = channel.unary_unary(RELOAD)(raw, timeout=WAIT)
        assert answer == b"\x0a\x00"
        check(client.predict("wide", {"x": X}), 3.0)


# -- the official client (where TensorFlow Serving's API is installed) ------------------------
@pytest.mark.tensorflow
def test_official_model_service_stub(bases):
    pytest.importorskip("tensorflow")
    pytest.importorskip("tensorflow_serving.apis.model_service_pb2_grpc")
    from tensorflow_serving.apis import model_management_pb2 as official
    from tensorflow_serving.apis import model_service_pb2_grpc
    from tensorflow_serving.config import model_server_config_pb2 as official_config

    dense, wide = bases
    req = official.ReloadConfigRequest()
    for name, path in (("wide", wide),):
        req.config.model_config_list.config.add(name=name, base_path=str(path),
                                                model_platform="tensorflow")
    req.metric_names.append("minitf_model_load_duration_seconds_count")
    assert req.SerializeToString() == request(entry("wide", wide), metric_names=[
        "minitf_model_load_duration_seconds_count"]).SerializeToString()
    with running_server([ModelConfig("dense", str(dense))]) as (server, client):
        with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            stub = model_service_pb2_grpc.ModelServiceStub(channel)
            response = stub.HandleReloadConfigRequest(req, timeout=WAIT)
            assert response.status.error_code == 0
            assert [(m.name, m.int64_value_increase) for m in response.metric] == [
                ("minitf_model_load_duration_seconds_count", 1)]
            check(client.predict("wide", {"x": X}), 3.0)
            assert not_found(client, "dense")
            bad = official.ReloadConfigRequest(config=official_config.ModelServerConfig())
            bad.config.model_config_list.config.add(name="wide", base_path=str(wide),
                                                    model_platform="tensorflow")
            bad.config.model_config_list.config.add(name="wide", base_path=str(dense),
                                                    model_platform="tensorflow")
            with pytest.raises(grpc.RpcError) as info:
                stub.HandleReloadConfigRequest(bad, timeout=WAIT)
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "Illegal to list model wide multiple times" in info.value.details()
            check(client.predict("wide", {"x": X}), 3.0)


# -- --model_config_file_poll_wait_seconds ----------------------------------------------------
def write_atomically(path, text):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def test_polled_config_file_adds_changes_and_removes_models(bases, tmp_path, caplog):
    dense, wide = bases
    path = tmp_path / "models.json"
    write_atomically(path, json.dumps({"models": [{"name": "dense", "base_path": "dense"}]}))
    models, default = load_model_config_file(str(path))
    with running_server(models, default, model_config_file=str(path),
                        model_config_file_poll_seconds=0.05) as (server, client):
        check(client.predict("dense", {"x": X}), 2.0)
        # JSON: add "wide" (relative to the file) and pin dense to version 1.
        write_atomically(path, json.dumps({"models": [
            {"name": "dense", "base_path": "dense", "version_policy": {"specific": {
                "versions": [1]}}},
            {"name": "wide", "base_path": "wide"}]}))
        wait_for(lambda: "wide" in server.repository.model_names(), "wide to be added")
        check(client.predict("wide", {"x": X}), 3.0)
        wait_for(lambda: server.repository.available_versions("dense") == [1], "dense v1 only")
        check(client.predict("dense", {"x": X}), 1.0)
        assert metric(server, "minitf_model_versions_available", model="wide") == 1
        # A file that does not parse is logged (once) and changes nothing.
        with caplog.at_level(logging.ERROR, logger="minitf.serving"):
            write_atomically(path, "{not json")
            wait_for(lambda: any("is not valid JSON" in r.getMessage() for r in caplog.records),
                     "the parse error to be logged")
            time.sleep(0.3)  # several polls
        errors = [r for r in caplog.records if "is not valid JSON" in r.getMessage()]
        assert len(errors) == 1 and "the models served are unchanged" in errors[0].getMessage()
        assert server.repository.model_names() == ["dense", "wide"]
        check(client.predict("wide", {"x": X}), 3.0)
        # TF Serving's text format: only wide remains.
        write_atomically(path, "model_config_list { config { name: 'wide' base_path: 'wide' "
                         "model_platform: 'tensorflow' } }")
        wait_for(lambda: server.repository.model_names() == ["wide"], "dense to be removed")
        assert not_found(client, "dense")
        check(client.predict("wide", {"x": X}), 3.0)
        assert "dense" not in model_labels(server)


def _serve_options(argv):
    import argparse

    parser = argparse.ArgumentParser(prog="minitf")
    cli._serve_parser(parser.add_subparsers(dest="command", required=True))
    return cli.build_options(parser.parse_args(["serve", *argv]))


def test_cli_flag(bases, tmp_path):
    dense, _ = bases
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"batching": {"max_batch_size": 4},
                                "models": [{"name": "dense", "base_path": "dense"}]}))
    opts = _serve_options(["--model_config_file", str(path), "--max_batch_size", "16",
                           "--model_config_file_poll_wait_seconds", "2.5"])
    assert opts.model_config_file == str(path) and opts.model_config_file_poll_seconds == 2.5
    assert opts.batching.max_batch_size == 4  # the file's, for the models it lists
    assert opts.config_file_batching.max_batch_size == 16  # what a re-read file layers over
    assert _serve_options(["--model_config_file", str(path)]
                          ).model_config_file_poll_seconds == 0
    with pytest.raises(ValueError, match="needs --model_config_file"):
        _serve_options(["--model_base_path", str(dense),
                        "--model_config_file_poll_wait_seconds", "1"])
    with pytest.raises(ValueError, match="--model_config_file_poll_wait_seconds must be >= 0"):
        _serve_options(["--model_config_file", str(path),
                        "--model_config_file_poll_wait_seconds", "-1"])


# -- version labels: TF Serving's UpdateModelVersionLabelMap -----------------------------------
def unavailable(version, model="dense"):
    """TF Serving's FAILED_PRECONDITION for a label naming a version that is not available."""
    return (f"Request to assign label to version {version} of model {model}, which is not "
            "currently available for inference")


def labelled(base, labels, policy="all"):
    out = entry("dense", base, version_labels=labels)
    if policy == "all":
        out.model_version_policy.all.SetInParent()
    else:
        out.model_version_policy.specific.versions.extend(policy)
    return out


def code_of(client, label):
    with pytest.raises(grpc.RpcError) as info:
        client.predict("dense", {"x": X}, label=label)
    return info.value.code()


def test_reload_refuses_a_label_on_a_version_not_available(bases):
    """FAILED_PRECONDITION in TF Serving's words; the models were updated first (wide is
    added) and every label stays as it was. A label that does not change is not checked
    again, and a label may move to an available version or go."""
    dense, wide = bases
    with running_server([ModelConfig("dense", str(dense), version_policy="all",
                                     version_labels={"stable": 1})]) as (server, client):
        for labels in ({"stable": 1, "canary": 3}, {"stable": 7}):  # a new one, a moved one
            with pytest.raises(grpc.RpcError) as info:
                reload(server, request(labelled(dense, labels), entry("wide", wide)))
            assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert info.value.details() == unavailable(max(labels.values()))
            check(client.predict("wide", {"x": X}), 3.0)  # the models changed before
            check(client.predict("dense", {"x": X}, label="stable"), 1.0)  # the labels did not
            assert code_of(client, "canary") == grpc.StatusCode.INVALID_ARGUMENT
            assert server.repository.config("dense").version_labels == {"stable": 1}
        # Moved to an available version: applied.
        assert reload(server, request(labelled(dense, {"stable": 2}))).status.error_code == 0
        check(client.predict("dense", {"x": X}, label="stable"), 2.0)
        # Unchanged, though version 2 unloads in the same reload: not checked again; requests
        # by it then find no version 2 (NOT_FOUND, as TF Serving's ServableRequest).
        response = reload(server, request(labelled(dense, {"stable": 2}, policy=[1])))
        assert response.status.error_code == 0
        assert server.repository.available_versions("dense") == [1]
        assert code_of(client, "stable") == grpc.StatusCode.NOT_FOUND
        assert reload(server, request(labelled(dense, {}, policy=[1]))).status.error_code == 0
        assert code_of(client, "stable") == grpc.StatusCode.INVALID_ARGUMENT


def test_the_flag_lets_a_new_label_wait_for_its_version(bases):
    """--allow_version_labels_for_unavailable_models: a new label may name a version not
    available yet (NOT_FOUND until it loads, then it serves), at start-up and by reload; an
    existing label still moves only to an available version."""
    dense, _ = bases
    models = [ModelConfig("dense", str(dense), version_policy="all",
                          version_labels={"stable": 1, "next": 3})]
    with running_server(models, poll_seconds=0.05,
                        allow_version_labels_for_unavailable_models=True) as (server, client):
        assert code_of(client, "next") == grpc.StatusCode.NOT_FOUND
        write_model(str(dense), 3, 3.0)
        wait_for(lambda: server.repository.available_versions("dense") == [1, 2, 3], "v3")
        check(client.predict("dense", {"x": X}, label="next"), 3.0)
        response = reload(server, request(labelled(dense, {"stable": 1, "next": 3,
                                                           "later": 4})))
        assert response.status.error_code == 0
        assert code_of(client, "later") == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as info:  # moving an existing label: still refused
            reload(server, request(labelled(dense, {"stable": 5, "next": 3, "later": 4})))
        assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert info.value.details() == unavailable(5)
        check(client.predict("dense", {"x": X}, label="stable"), 1.0)
        assert server.repository.config("dense").version_labels == {
            "stable": 1, "next": 3, "later": 4}


def test_polled_config_file_applies_a_label_once_its_version_is_available(bases, tmp_path,
                                                                          caplog):
    dense, _ = bases
    path = tmp_path / "models.json"
    write_atomically(path, json.dumps({"models": [
        {"name": "dense", "base_path": "dense", "version_policy": "all"}]}))
    models, default = load_model_config_file(str(path))
    with running_server(models, default, poll_seconds=0.05, model_config_file=str(path),
                        model_config_file_poll_seconds=0.05) as (server, client):
        with caplog.at_level(logging.ERROR, logger="minitf.serving"):
            write_atomically(path, json.dumps({"models": [
                {"name": "dense", "base_path": "dense", "version_policy": "all",
                 "version_labels": {"next": 3}}]}))
            wait_for(lambda: any(unavailable(3) in r.getMessage() for r in caplog.records),
                     "the label error to be logged")
            time.sleep(0.3)  # several polls: logged once
        assert len([r for r in caplog.records if unavailable(3) in r.getMessage()]) == 1
        assert code_of(client, "next") == grpc.StatusCode.INVALID_ARGUMENT
        write_model(str(dense), 3, 3.0)
        wait_for(lambda: server.repository.config("dense").version_labels == {"next": 3},
                 "the label once v3 loaded")
        check(client.predict("dense", {"x": X}, label="next"), 3.0)


def _config_file(tmp_path, labels):
    path = tmp_path / "labels.json"
    path.write_text(json.dumps({"models": [{"name": "dense", "base_path": "dense",
                                            "version_labels": labels}]}))
    return str(path)


def test_startup_refuses_a_label_on_a_version_not_available(bases, tmp_path):
    """``minitf serve`` exits 1 with TF Serving's message on one line (dense serves only
    version 2, its latest); with the flag, the same configuration starts."""
    cli_command = [sys.executable, "-m", "minitf.serving.cli", "serve", "--port", "0",
                   "--http_port", "-1", "--model_config_file",
                   _config_file(tmp_path, {"stable": 1})]
    proc = subprocess.run(cli_command, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert f"minitf serve: {unavailable(1)}\n" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""  # never served
    with subprocess.Popen([*cli_command, "--allow_version_labels_for_unavailable_models"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as p:
        first = []
        reader = threading.Thread(target=lambda: first.append(p.stdout.readline()),
                                  daemon=True)
        reader.start()
        try:
            reader.join(120)  # a cold interpreter imports numpy, grpc and protobuf first
            assert first and first[0].startswith("minitf serving on grpc :"), first
        finally:
            p.terminate()
            p.wait(30)
            p.stdout.close()
    options = _serve_options(["--model_config_file", _config_file(tmp_path, {}),
                              "--allow_version_labels_for_unavailable_models=true"])
    assert options.allow_version_labels_for_unavailable_models
    assert not _serve_options(["--model_config_file", _config_file(tmp_path, {})]
                              ).allow_version_labels_for_unavailable_models
