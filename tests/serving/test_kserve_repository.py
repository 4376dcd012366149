"""Triton's model repository extension (RepositoryIndex, RepositoryModelLoad,
RepositoryModelUnload) and model control modes, through a real server on 127.0.0.1 with the
official ``tritonclient.grpc`` and, over REST, urllib. Answers are checked against numpy
references; errors against Triton's codes and messages (model_repository_manager.cc,
grpc_server.cc, http_server.cc). Version n of "dense" scales its logits by n, "wide" by 3."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import threading
import time
import urllib.error
import urllib.request

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton
from prometheus_client import CollectorRegistry
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from minitf.serving import cli
from minitf.serving.batching import BatchingConfig
from minitf.serving.model_control import NOT_ALLOWED, ModelControl, startup_unloaded
from minitf.serving.repository import ModelConfig, ModelRepository, State

from .conftest import reference, running_server, wait_for, write_model
from .test_hot_reload import write_truncated
from .test_reload_config import entry, metric, reload, request

WAIT = 20.0
X = (np.arange(12, dtype=np.float32).reshape(3, 4) - 6) / 4
UNKNOWN = "failed to load 'nope', failed to poll from model repository"
NO_REPOSITORIES = "'repository_name' specification is not supported"


@pytest.fixture
def bases(tmp_path):
    """"dense" v1 (scale 1); "wide" v1 (scale 3)."""
    dense, wide = tmp_path / "dense", tmp_path / "wide"
    write_model(str(dense), 1, 1.0)
    write_model(str(wide), 1, 3.0)
    return str(dense), str(wide)


def configs(bases):
    return [ModelConfig("dense", bases[0]), ModelConfig("wide", bases[1])]


def tclient(server):
    return triton.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")


def infer(client, model, x=X):
    out = client.infer(model, [triton.InferInput("x", list(x.shape), "FP32")
                               .set_data_from_numpy(x)], client_timeout=WAIT)
    return {name: out.as_numpy(name) for name in ("logits", "probs", "classes")}


def check(outputs, scale, x=X):
    want = reference(x, scale)
    np.testing.assert_allclose(outputs["logits"], want["logits"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(outputs["probs"], want["probs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(outputs["classes"], want["classes"])


def fails(fn, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(InferenceServerException) as info:
        fn(*args, **kwargs)
    return info.value.status(), info.value.message()


def index(server, ready=False, repository_name="") -> list[tuple]:
    """RepositoryIndex through the raw stub (tritonclient's call cannot ask for ready)."""
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        response = stub.RepositoryIndex(service_pb2.RepositoryIndexRequest(
            ready=ready, repository_name=repository_name), timeout=WAIT)
    return [(m.name, m.version, m.state, m.reason) for m in response.models]


def raw_call(server, method, req):
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        with pytest.raises(grpc.RpcError) as info:
            getattr(stub, method)(req, timeout=WAIT)
    return info.value.code(), info.value.details()


def post(server, path, body=None, method="POST"):
    """(status, parsed JSON or raw bytes) of a REST call."""
    data = None if body is None else (body if isinstance(body, bytes) else
                                      json.dumps(body).encode())
    req = urllib.request.Request(f"http://127.0.0.1:{server.http_port}{path}", data=data,
                                 method=method)
    try:
        with urllib.request.urlopen(req, timeout=WAIT) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    return status, json.loads(raw) if raw else raw


# -- poll (default) and none: Load and Unload refused, as Triton's ---------------------------
@pytest.mark.parametrize("mode", [None, "poll", "none"])
def test_load_and_unload_are_refused_outside_explicit_mode(bases, mode):
    options = {} if mode is None else {"model_control_mode": mode}
    with running_server(configs(bases), poll_seconds=0.05, **options) as (server, _):
        client = tclient(server)
        try:
            assert fails(client.load_model, "dense") == ("StatusCode.UNAVAILABLE", NOT_ALLOWED)
            assert fails(client.unload_model, "dense") == ("StatusCode.UNAVAILABLE",
                                                            NOT_ALLOWED)
            assert fails(client.load_model, "nope")[1] == NOT_ALLOWED  # refused first
            assert post(server, "/v2/repository/models/dense/unload") == (
                503, {"error": NOT_ALLOWED})
            check(infer(client, "dense"), 1.0)  # nothing changed
            assert client.is_model_ready("dense") and client.is_model_ready("wide")
            assert index(server) == [("dense", "1", "READY", ""), ("wide", "1", "READY", "")]
            # A new version: poll mode (minitf's behaviour) serves it; none reads it never.
            write_model(bases[0], 2, 2.0)
            if mode == "none":
                time.sleep(0.5)  # ten poll intervals
                assert index(server) == [("dense", "1", "READY", ""),
                                         ("wide", "1", "READY", "")]
                check(infer(client, "dense"), 1.0)
            else:
                wait_for(lambda: ("dense", "2", "READY", "") in index(server), "version 2")
                check(infer(client, "dense"), 2.0)
        finally:
            client.close()


# -- explicit ------------------------------------------------------------------------------------
def test_explicit_mode_loads_only_the_named_models_at_start(bases):
    with running_server(configs(bases), model_control_mode="explicit",
                        load_models=("dense",)) as (server, _):
        client = tclient(server)
        try:
            assert client.is_model_ready("dense") and not client.is_model_ready("wide")
            assert client.is_server_ready()  # a model not loaded does not make it unready
            # Triton's index: a model never loaded is its name alone.
            assert index(server) == [("dense", "1", "READY", ""), ("wide", "", "", "")]
            assert index(server, ready=True) == [("dense", "1", "READY", "")]
            status, message = fails(infer, client, "wide")
            assert status == "StatusCode.NOT_FOUND" and "wide" in message
            client.load_model("wide")  # returns once loaded
            assert client.is_model_ready("wide")
            check(infer(client, "wide"), 3.0)
            client.load_model("wide")  # already loaded, nothing changed: OK, still serving
            check(infer(client, "wide"), 3.0)
        finally:
            client.close()
    with running_server(configs(bases), model_control_mode="explicit",
                        load_models=("*",)) as (server, _):
        with tclient(server) as client:
            assert client.is_model_ready("dense") and client.is_model_ready("wide")
    with running_server(configs(bases), model_control_mode="explicit") as (server, _):
        with tclient(server) as client:  # no --load_model: nothing loads at start
            assert not client.is_model_ready("dense") and not client.is_model_ready("wide")
            assert index(server, ready=True) == []


def test_unload_lets_in_flight_requests_finish_then_load_serves_again(bases):
    # Batches of X's 3 rows run at once; the one-row request below waits for company (up to
    # a 30 s batch timeout) in the queue when the unload comes.
    batching = BatchingConfig(max_batch_size=len(X), batch_timeout_micros=30_000_000)
    with running_server(configs(bases), batching, poll_seconds=0.05,
                        model_control_mode="explicit", load_models=("*",)) as (server, _):
        client = tclient(server)
        try:
            check(infer(client, "dense"), 1.0)
            assert metric(server, "minitf_model_versions_available", model="dense") == 1
            result = {}

            def queued():
                try:
                    result["out"] = infer(client, "dense", X[:1])
                except Exception as e:  # noqa: BLE001 - reported below
                    result["error"] = e
            caller = threading.Thread(target=queued)
            caller.start()
            wait_for(lambda: metric(server, "minitf_queue_depth", model="dense"),
                     "the request to be queued", WAIT)
            start = time.monotonic()
            client.unload_model("dense")
            caller.join(WAIT)
            assert not caller.is_alive() and "error" not in result, result
            check(result["out"], 1.0, X[:1])  # drained at unload, not after the 30 s timeout
            assert time.monotonic() - start < 10

            assert not client.is_model_ready("dense") and not client.is_model_ready("dense", "1")
            assert client.is_model_ready("wide") and client.is_server_ready()
            status, message = fails(infer, client, "dense")
            assert status == "StatusCode.NOT_FOUND" and "dense" in message
            assert index(server) == [("dense", "1", "UNAVAILABLE", "unloaded"),
                                     ("wide", "1", "READY", "")]
            # The version's series go, as when a reconfiguration unloads it.
            assert metric(server, "minitf_model_versions_available", model="dense") == 0
            assert metric(server, "minitf_model_version_state", model="dense",
                          version="1") is None
            # Version polls (every 50 ms) do not bring it back, even with a new version.
            write_model(bases[0], 2, 2.0)
            time.sleep(0.5)
            assert not client.is_model_ready("dense")
            assert index(server, ready=True) == [("wide", "1", "READY", "")]

            client.load_model("dense")  # the policy's version now: 2
            assert client.is_model_ready("dense", "2")
            check(infer(client, "dense"), 2.0)
            assert index(server) == [("dense", "1", "UNAVAILABLE", "unloaded"),
                                     ("dense", "2", "READY", ""),
                                     ("wide", "1", "READY", "")]
            assert metric(server, "minitf_model_version_state", model="dense",
                          version="2") == State.AVAILABLE
            # Unloading what is not loaded, or not configured: OK, as Triton.
            client.unload_model("nope")
            client.unload_model("dense")
            client.unload_model("dense")
            assert not client.is_model_ready("dense")
        finally:
            client.close()


def test_load_of_a_model_that_is_not_configured(bases):
    with running_server(configs(bases), model_control_mode="explicit") as (server, _):
        with tclient(server) as client:
            assert fails(client.load_model, "nope") == ("StatusCode.INTERNAL", UNKNOWN)
            assert index(server) == [("dense", "", "", ""), ("wide", "", "", "")]


def test_a_version_that_fails_to_load(tmp_path):
    """The error names each failed version and why (INVALID_ARGUMENT, as Triton); the index
    shows it UNAVAILABLE with that reason; the next Load retries it (polls do not)."""
    good = tmp_path / "good"
    write_model(str(good), 1, 1.0)
    broken, mixed = str(tmp_path / "broken"), str(tmp_path / "mixed")
    os.makedirs(broken)
    write_truncated(broken, 1, str(good / "1" / "saved_model.pb"))
    write_model(mixed, 1, 1.0)
    write_truncated(mixed, 2, str(good / "1" / "saved_model.pb"))
    models = [ModelConfig("broken", broken),
              ModelConfig("mixed", mixed, version_policy="all")]
    with running_server(models, model_control_mode="explicit") as (server, _):
        client = tclient(server)
        try:
            status, message = fails(client.load_model, "broken")
            assert status == "StatusCode.INVALID_ARGUMENT"
            assert message.startswith("load failed for model 'broken': version 1 is at "
                                      "UNAVAILABLE state: ")
            assert "truncated or corrupt" in message
            [(name, version, state, reason)] = index(server)[:1]
            assert (name, version, state) == ("broken", "1", "UNAVAILABLE")
            assert "truncated or corrupt" in reason and reason in message
            assert not client.is_model_ready("broken") and not client.is_server_ready()
            # minitf keeps what works: mixed's version 1 serves, its version 2 is the error.
            status, message = fails(client.load_model, "mixed")
            assert status == "StatusCode.INVALID_ARGUMENT" and "version 2 is at" in message
            assert "version 1" not in message
            check(infer(client, "mixed"), 1.0)
            # Fixed in place: the next Load retries and serves it.
            shutil.rmtree(os.path.join(broken, "1"))
            write_model(broken, 1, 1.0)
            client.load_model("broken")
            check(infer(client, "broken"), 1.0)
            assert ("broken", "1", "READY", "") in index(server)
            # No version under the policy: an error, nothing changes.
            empty = tmp_path / "empty"
            os.makedirs(empty)
            reload(server, request(entry("broken", broken), entry("mixed", mixed),
                                   entry("empty", empty)))
            status, message = fails(client.load_model, "empty")
            assert status == "StatusCode.INVALID_ARGUMENT"
            assert "at least one version must be available" in message
        finally:
            client.close()


def test_index_shows_a_version_loading(tmp_path):
    """The states in between, straight from a repository whose loader waits."""
    base = tmp_path / "dense"
    write_model(str(base), 1, 1.0)
    release, started = threading.Event(), threading.Event()

    def slow(path, name, version):
        started.set()
        release.wait(WAIT)
        from minitf.serving.loading import load_version
        return load_version(path, name, version)
    repo = ModelRepository([ModelConfig("dense", str(base))], loader=slow,
                           control_mode="explicit", unloaded={"dense"})
    control = ModelControl(repo)
    assert control.index() == [("dense", None, None, "")]
    loader = threading.Thread(target=control.load, args=("dense",))
    loader.start()
    try:
        assert started.wait(WAIT)
        assert control.index() == [("dense", 1, "LOADING", "")]
        assert control.index(ready_only=True) == []
    finally:
        release.set()
        loader.join(WAIT)
    assert control.index(ready_only=True) == [("dense", 1, "READY", "")]
    control.unload("dense")
    assert control.index() == [("dense", 1, "UNAVAILABLE", "unloaded")]
    repo.stop()


def test_parameters_and_repository_names(bases):
    with running_server(configs(bases), model_control_mode="explicit") as (server, _):
        client = tclient(server)
        try:
            status, message = fails(client.load_model, "dense", config="{}")
            assert status == "StatusCode.UNIMPLEMENTED"
            assert message.startswith("load parameter 'config' is not supported")
            status, message = fails(client.load_model, "dense",
                                    files={"file:1/model.savedmodel": b"x"})
            assert status == "StatusCode.UNIMPLEMENTED"
            assert message.startswith("load parameter 'file:1/model.savedmodel' is not "
                                      "supported")
            load = service_pb2.RepositoryModelLoadRequest(model_name="dense")
            load.parameters["config"].int64_param = 1
            assert raw_call(server, "RepositoryModelLoad", load) == (
                grpc.StatusCode.INVALID_ARGUMENT,
                "invalid value type for load parameter 'config', expected string_param.")
            load = service_pb2.RepositoryModelLoadRequest(model_name="dense")
            load.parameters["file:1/x"].string_param = "x"
            assert raw_call(server, "RepositoryModelLoad", load)[1] == \
                "invalid value type for load parameter 'file:1/x', expected bytes_param."
            load = service_pb2.RepositoryModelLoadRequest(model_name="dense")
            load.parameters["file:1/x"].bytes_param = b"x"
            code, details = raw_call(server, "RepositoryModelLoad", load)
            assert code == grpc.StatusCode.UNIMPLEMENTED and "'file:1/x'" in details
            load = service_pb2.RepositoryModelLoadRequest(model_name="dense")
            load.parameters["speed"].bool_param = True
            assert raw_call(server, "RepositoryModelLoad", load) == (
                grpc.StatusCode.INVALID_ARGUMENT, "unrecognized load parameter 'speed'.")
            unload = service_pb2.RepositoryModelUnloadRequest(model_name="dense")
            unload.parameters["unload_dependents"].string_param = "yes"
            assert raw_call(server, "RepositoryModelUnload", unload) == (
                grpc.StatusCode.INVALID_ARGUMENT,
                "invalid value type for 'unload_dependents' parameter, expected bool_param.")
            for method, req in (
                    ("RepositoryIndex", service_pb2.RepositoryIndexRequest(repository_name="r")),
                    ("RepositoryModelLoad", service_pb2.RepositoryModelLoadRequest(
                        repository_name="r", model_name="dense")),
                    ("RepositoryModelUnload", service_pb2.RepositoryModelUnloadRequest(
                        repository_name="r", model_name="dense"))):
                assert raw_call(server, method, req) == (grpc.StatusCode.UNIMPLEMENTED,
                                                         NO_REPOSITORIES)
            assert not client.is_model_ready("dense")  # none of these loaded it
            client.load_model("dense")
            client.unload_model("dense", unload_dependents=True)  # no dependents here
            assert not client.is_model_ready("dense")
        finally:
            client.close()


def test_rest_endpoints_as_triton_http(bases):
    with running_server(configs(bases), model_control_mode="explicit",
                        load_models=("wide",)) as (server, _):
        assert post(server, "/v2/repository/index") == (200, [
            {"name": "dense"}, {"name": "wide", "version": "1", "state": "READY"}])
        assert post(server, "/v2/repository/index", {"ready": True}) == (200, [
            {"name": "wide", "version": "1", "state": "READY"}])
        assert post(server, "/v2/repository/models/dense/load") == (200, b"")
        with tclient(server) as client:
            check(infer(client, "dense"), 1.0)
            assert post(server, "/v2/repository/models/dense/unload",
                        {"parameters": {"unload_dependents": False}}) == (200, b"")
            assert not client.is_model_ready("dense")
        assert post(server, "/v2/repository/index")[1][0] == {
            "name": "dense", "version": "1", "state": "UNAVAILABLE", "reason": "unloaded"}
        # Errors: {"error": message} with Triton's HTTP status for the code.
        assert post(server, "/v2/repository/models/nope/load") == (500, {"error": UNKNOWN})
        status, doc = post(server, "/v2/repository/models/dense/load",
                           {"parameters": {"config": "{}"}})
        assert status == 501 and doc["error"].startswith("load parameter 'config'")
        status, doc = post(server, "/v2/repository/models/dense/load",
                           {"parameters": {"config": 1}})
        assert status == 400 and "'config'" in doc["error"]
        assert post(server, "/v2/repository/index", {"ready": "yes"})[0] == 400
        assert post(server, "/v2/repository/index", b"[1")[0] == 400
        assert post(server, "/v2/repository/r/index") == (501, {"error": NO_REPOSITORIES})
        assert post(server, "/v2/repository/r/models/dense/load") == (
            501, {"error": NO_REPOSITORIES})
        assert post(server, "/v2/repository/index", method="GET")[0] == 405
        assert post(server, "/v2/repository/nothing") == (400, {"error": "Not Found"})
        assert post(server, "/v2/repository/index")[1][0] == {
            "name": "dense", "version": "1", "state": "UNAVAILABLE", "reason": "unloaded"}
        assert metric(server, "minitf_requests_total", api="rest.v2.repository_load",
                      code="OK") == 1


def test_reloading_the_configuration_keeps_explicit_control(bases, tmp_path):
    """HandleReloadConfigRequest (and --model_config_file polling) change the repository,
    not what is loaded: a new model joins unloaded, an unloaded one stays so, a removed one
    unloads and leaves the repository."""
    dense, wide = bases
    extra = tmp_path / "extra"
    write_model(str(extra), 1, 5.0)
    with running_server([ModelConfig("dense", dense), ModelConfig("wide", wide)],
                        model_control_mode="explicit",
                        load_models=("dense", "wide")) as (server, _):
        client = tclient(server)
        try:
            client.unload_model("wide")
            reload(server, request(entry("dense", dense), entry("wide", wide),
                                   entry("extra", extra)))
            assert index(server) == [("dense", "1", "READY", ""), ("extra", "", "", ""),
                                     ("wide", "1", "UNAVAILABLE", "unloaded")]
            assert client.is_server_ready()
            client.load_model("extra")
            check(infer(client, "extra"), 5.0)
            reload(server, request(entry("wide", wide), entry("extra", extra)))
            assert index(server) == [("extra", "1", "READY", ""),
                                     ("wide", "1", "UNAVAILABLE", "unloaded")]
            assert fails(client.load_model, "dense") == ("StatusCode.INTERNAL",
                                                         UNKNOWN.replace("nope", "dense"))
        finally:
            client.close()


# -- flags ---------------------------------------------------------------------------------------
def _serve_options(argv):
    parser = argparse.ArgumentParser(prog="minitf")
    cli._serve_parser(parser.add_subparsers(dest="command", required=True))
    return cli.build_options(parser.parse_args(["serve", *argv]))


def test_flags(tmp_path, capsys):
    opts = _serve_options(["--model_base_path", "m"])
    assert (opts.model_control_mode, opts.load_models) == ("poll", ())
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"models": [{"name": "a", "base_path": "a"},
                                           {"name": "b", "base_path": "b"}]}))
    opts = _serve_options(["--model_config_file", str(path), "--model_control_mode",
                           "EXPLICIT", "--load_model", "a", "--load_model", "b"])
    assert (opts.model_control_mode, opts.load_models) == ("explicit", ("a", "b"))
    assert startup_unloaded("explicit", ["a"], ["a", "b"]) == {"b"}
    assert startup_unloaded("explicit", ["*"], ["a", "b"]) == set()
    assert startup_unloaded("explicit", [], ["a", "b"]) == {"a", "b"}
    for args, message in [
            (["--load_model", "a"], "Use of '--load_model' requires setting "
             "'--model_control_mode=explicit' as well."),
            (["--model_control_mode", "explicit", "--load_model", "*", "--load_model", "a"],
             "the wildcard '*' (every model) must be the only --load_model"),
            (["--model_control_mode", "explicit", "--load_model", "c"],
             "--load_model: c not among the configured models (a, b)")]:
        argv = ["serve", "--port", "0", "--http_port", "0", "--model_config_file", str(path),
                *args]
        assert cli.main(argv) == 2
        assert message in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        _serve_options(["--model_base_path", "m", "--model_control_mode", "sometimes"])
    assert info.value.code == 2
    assert "invalid choice: 'sometimes'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown mode 'sometimes'"):
        startup_unloaded("sometimes", [], ["a"])


def test_a_server_built_with_bad_options_is_refused(bases):
    from minitf.serving.config import ServerOptions
    from minitf.serving.server import ModelServer
    opts = ServerOptions(grpc_port=0, http_port=-1, models=configs(bases),
                         model_control_mode="explicit", load_models=("nope",))
    with pytest.raises(ValueError, match="nope not among the configured models"):
        ModelServer(opts, registry=CollectorRegistry(), process_metrics=False)


# -- explicit control: only Load changes what serves; Load reloads changed files -------------
def test_explicit_mode_does_not_poll_and_load_reloads_changed_versions(bases, tmp_path):
    """As Triton's EXPLICIT mode: a version written to disk does not load by itself (even
    with a short poll interval); Load loads it, and a Load of a loaded model also reloads a
    version whose files were replaced, the old one serving until the new one is ready."""
    with running_server(configs(bases), poll_seconds=0.05, model_control_mode="explicit",
                        load_models=("dense",)) as (server, _):
        with tclient(server) as client:
            check(infer(client, "dense"), 1.0)
            write_model(bases[0], 2, 2.0)
            time.sleep(0.5)  # ten poll intervals
            assert index(server) == [("dense", "1", "READY", ""), ("wide", "", "", "")]
            check(infer(client, "dense"), 1.0)
            client.load_model("dense")  # latest: version 2 replaces 1
            check(infer(client, "dense"), 2.0)
            # Version 2 replaced in place (atomically, by a rename) with other weights.
            staged = tmp_path / "staged"
            write_model(str(staged), 2, 5.0)
            old = tmp_path / "old2"
            os.rename(os.path.join(bases[0], "2"), old)
            os.rename(staged / "2", os.path.join(bases[0], "2"))
            check(infer(client, "dense"), 2.0)  # still the loaded one
            client.load_model("dense")
            check(infer(client, "dense"), 5.0)
            loads = metric(server, "minitf_model_load_duration_seconds_count", model="dense")
            client.load_model("dense")  # nothing changed: nothing reloads
            assert metric(server, "minitf_model_load_duration_seconds_count",
                          model="dense") == loads == 3


def test_queued_model_management_does_not_hold_the_decode_threads(bases):
    """Loads waiting for the repository (here: for its lock, held by the test) queue on the
    model-management thread; a large request, decoded on the event loop's worker threads, is
    still answered meanwhile. (With the loads on those threads, it waited for the lock too.)"""
    with running_server(configs(bases), model_control_mode="explicit",
                        load_models=("*",)) as (server, _):
        with tclient(server) as client:
            big = np.random.default_rng(0).standard_normal((70_000, 4)).astype(np.float32)
            want = reference(big)["logits"]  # 1.1 MB: decoded off the event loop
            errors = []

            def load():
                try:
                    client.load_model("wide", client_timeout=WAIT)
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(e)
            callers = [threading.Thread(target=load) for _ in range(8)]
            lock = server.repository._poll_lock
            lock.acquire()
            try:
                for c in callers:
                    c.start()
                time.sleep(0.5)  # the loads are waiting for the lock
                out = client.infer("dense", [triton.InferInput("x", list(big.shape), "FP32")
                                             .set_data_from_numpy(big)], client_timeout=10)
                np.testing.assert_allclose(out.as_numpy("logits"), want, rtol=1e-4, atol=1e-4)
            finally:
                lock.release()
            for c in callers:
                c.join(WAIT)
            assert all(not c.is_alive() for c in callers) and errors == []
