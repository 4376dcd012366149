"""tensorflow_model_server's flags on ``minitf serve`` (serving/tfs_flags.py): TF Serving's own
documented command lines start a real server that answers; each implemented flag changes what
the server does; the TF-internal ones are accepted with a log line; values minitf cannot honour
exit 2 naming the flag."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import grpc
import numpy as np
import pytest

from minitf.serving import cli, tfs_flags
from minitf.serving import server as server_module
from minitf.serving.client import Client
from minitf.serving.repository import ModelConfig, State

from .conftest import reference, running_server, write_model
from .test_tls import credentials, pki  # noqa: F401 - pki is a fixture

CLI = [sys.executable, "-m", "minitf.serving.cli", "serve"]
X = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.5, -0.5, -2.0]], np.float32)
START_TIMEOUT = 60  # a cold interpreter imports numpy, grpc and protobuf first
CALL_TIMEOUT = 10


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_options(argv):
    parser = argparse.ArgumentParser(prog="minitf")
    cli._serve_parser(parser.add_subparsers(dest="command", required=True))
    return cli.build_options(parser.parse_args(["serve", *argv]))


@contextlib.contextmanager
def serving(argv, tmp_path):
    """``minitf serve argv`` in a process of its own until it prints its ports; yields (grpc
    port, http port or None, the stderr file). Stopped with SIGTERM, killed if that hangs."""
    err_path = tmp_path / f"stderr-{time.monotonic_ns()}.txt"
    with open(err_path, "w") as err:
        proc = subprocess.Popen([*CLI, *argv], stdout=subprocess.PIPE, stderr=err, text=True,
                                cwd=str(tmp_path), env={**os.environ,
                                                        "TF_CPP_MIN_LOG_LEVEL": "3"})
    first = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT)
    try:
        line = first[0] if first else ""
        assert line.startswith("minitf serving on grpc :"), (line, err_path.read_text())
        words = line.split()
        grpc_port = int(words[4].lstrip(":"))
        http_port = None if words[6] == "off" else int(words[6].lstrip(":"))
        yield grpc_port, http_port, err_path
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()


def rest(port, path, body=None, method=None, headers=None):
    """(status, headers, parsed JSON or raw text) of one HTTP request to the REST port."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                     method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=CALL_TIMEOUT) as answer:
            status, head, raw = answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as e:
        status, head, raw = e.code, e.headers, e.read()
    try:
        return status, head, json.loads(raw) if raw else None
    except ValueError:
        return status, head, raw.decode()


def rest_predict(port, model):
    status, _, body = rest(port, f"/v1/models/{model}:predict", {"inputs": {"x": X.tolist()}})
    assert status == 200, body
    np.testing.assert_allclose(body["outputs"]["probs"], reference(X)["probs"], rtol=1e-5,
                               atol=1e-6)


def grpc_predict(target, model, creds=None):
    with Client(target, credentials=creds, timeout=CALL_TIMEOUT) as client:
        out = client.predict(model, {"x": X})
    np.testing.assert_allclose(out["probs"], reference(X)["probs"], rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("tfs")
    for name in ("half_plus_two", "mnist", "resnet"):
        write_model(str(root / "models" / name), 1)
    return root


# -- TF Serving's documented command lines (only the port numbers replaced) ------------------
def _docs_command_lines(root, tmp_path):
    """(name, argv, api) for TF Serving's documentation: the Docker image's entrypoint
    (tools/docker/Dockerfile), serving_basic.md, serving_advanced.md, serving_config.md's
    config-file, monitoring and batching examples, and performance.md's thread flags."""
    grpc_port, http_port = _free_port(), _free_port()
    models = root / "models"
    (tmp_path / "models.config").write_text(
        "model_config_list {\n"
        f"  config {{ name: 'mnist' base_path: '{models / 'mnist'}' model_platform: "
        "'tensorflow' }\n"
        f"  config {{ name: 'resnet' base_path: '{models / 'resnet'}' model_platform: "
        "'tensorflow' }\n}\n")
    (tmp_path / "monitoring_config.txt").write_text(
        "prometheus_config {\n  enable: true,\n  path: \"/monitoring/prometheus/metrics\"\n}\n")
    (tmp_path / "batching_parameters.txt").write_text(
        "max_batch_size { value: 128 }\nbatch_timeout_micros { value: 0 }\n"
        "max_enqueued_batches { value: 1000000 }\nnum_batch_threads { value: 8 }\n")
    return [
        ("docker entrypoint", [f"--port={grpc_port}", f"--rest_api_port={http_port}",
                               "--model_name=half_plus_two",
                               f"--model_base_path={models / 'half_plus_two'}"], "rest"),
        ("serving_basic", [f"--port={grpc_port}", "--model_name=mnist",
                           f"--model_base_path={models / 'mnist'}/"], "grpc"),
        ("serving_advanced", ["--enable_batching", f"--port={grpc_port}", "--model_name=mnist",
                              f"--model_base_path={models / 'mnist'}"], "grpc"),
        ("serving_config model config", [
            f"--port={grpc_port}", f"--rest_api_port={http_port}",
            "--model_config_file=models.config",
            "--model_config_file_poll_wait_seconds=60"], "rest"),
        ("serving_config monitoring", [
            f"--port={grpc_port}", f"--rest_api_port={http_port}", "--model_name=mnist",
            f"--model_base_path={models / 'mnist'}",
            "--monitoring_config_file=monitoring_config.txt"], "metrics"),
        ("serving_config batching", [
            f"--port={grpc_port}", "--model_name=mnist", f"--model_base_path={models / 'mnist'}",
            "--enable_batching=true", "--batching_parameters_file=batching_parameters.txt"],
         "grpc"),
        ("performance thread flags", [
            f"--port={grpc_port}", f"--rest_api_port={http_port}", "--model_name=resnet",
            f"--model_base_path={models / 'resnet'}", "--tensorflow_intra_op_parallelism=2",
            "--tensorflow_inter_op_parallelism=2", "--grpc_max_threads=8",
            "--rest_api_num_threads=4", "--enable_grpc_healthcheck_service=true",
            "--allow_version_labels_for_unavailable_models=true",
            "--flush_filesystem_caches=false", "--xla_cpu_compilation_enabled=false",
            "--enable_profiler", "--max_num_load_retries=5",
            "--load_retry_interval_micros=60000000", "--rest_api_enable_cors_support=true"],
         "rest"),
    ]


@pytest.mark.parametrize("case", range(7))
def test_tf_serving_documented_command_lines_serve(models, tmp_path, case):
    name, argv, api = _docs_command_lines(models, tmp_path)[case]
    with serving(argv, tmp_path) as (grpc_port, http_port, err):
        model = "half_plus_two" if "half_plus_two" in " ".join(argv) else \
            "resnet" if "resnet" in " ".join(argv) else "mnist"
        assert grpc_port == int(argv[[a.startswith("--port=") for a in argv].index(True)][7:])
        if api == "rest":
            rest_predict(http_port, model)
        elif api == "metrics":
            status, _, text = rest(http_port, "/monitoring/prometheus/metrics")
            assert status == 200 and "minitf_" in text, name
        grpc_predict(f"127.0.0.1:{grpc_port}", model)
        if name == "performance thread flags":
            log = err.read_text()
            for flag in ("--flush_filesystem_caches", "--xla_cpu_compilation_enabled",
                         "--enable_profiler", "--enable_grpc_healthcheck_service"):
                assert f"{flag}: accepted and ignored" in log, flag
            # Implemented now (test_reload_config.py): not among the ignored ones.
            assert "--allow_version_labels_for_unavailable_models: accepted" not in log
            assert "--tensorflow_inter_op_parallelism 2: accepted" in log


def test_version_prints_and_exits_0():
    proc = subprocess.run([*CLI, "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("TensorFlow ModelServer: minitf ")
    assert "TensorFlow Library: " in proc.stdout


# -- implemented flags ---------------------------------------------------------------------
def _flaky_loader(monkeypatch, failures: int, gate: threading.Event | None = None):
    """Makes the server's loader fail ``failures`` times (OSError, as flaky storage), then
    load; returns the list of attempt times. With ``gate``, the first attempt fails only once
    the gate is set (for at most 20 s)."""
    calls = []
    real = server_module.make_loader

    def make_loader(*args, **kwargs):
        inner = real(*args, **kwargs)

        def load(path, name, version):
            calls.append(time.monotonic())
            if gate is not None and len(calls) == 1:
                gate.wait(20)
            if len(calls) <= failures:
                raise OSError(f"storage hiccup {len(calls)}")
            return inner(path, name, version)
        return load

    monkeypatch.setattr(server_module, "make_loader", make_loader)
    return calls


def test_load_retries_flags_reach_the_options():
    opts = _serve_options(["--model_base_path", "m"])
    assert (opts.max_num_load_retries, opts.load_retry_interval_seconds) == (0, 60.0)
    opts = _serve_options(["--model_base_path", "m", "--max_num_load_retries=2",
                           "--load_retry_interval_micros=50000"])
    assert (opts.max_num_load_retries, opts.load_retry_interval_seconds) == (2, 0.05)
    opts = _serve_options(["--model_base_path", "m", "--load_retry_interval_micros=-1"])
    assert opts.load_retry_interval_seconds == 0  # TF Serving: negative, no wait


def test_a_version_failing_twice_loads_on_the_third_attempt(model_base, monkeypatch):
    calls = _flaky_loader(monkeypatch, failures=2)
    opts = _serve_options(["--model_base_path", model_base, "--max_num_load_retries=2",
                           "--load_retry_interval_micros=50000"])
    with running_server([ModelConfig("dense", model_base)],
                        max_num_load_retries=opts.max_num_load_retries,
                        load_retry_interval_seconds=opts.load_retry_interval_seconds
                        ) as (server, client):
        assert len(calls) == 3
        assert all(b - a >= 0.045 for a, b in zip(calls, calls[1:])), calls
        assert [s.state for s in server.repository.status("dense")] == [State.AVAILABLE]
        out = client.predict("dense", {"x": X})
        np.testing.assert_allclose(out["probs"], reference(X)["probs"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("retries", [0, 1])
def test_too_few_retries_report_the_failure_as_today(model_base, monkeypatch, retries):
    calls = _flaky_loader(monkeypatch, failures=2)
    with running_server([ModelConfig("dense", model_base)], max_num_load_retries=retries,
                        load_retry_interval_seconds=0.01) as (server, _):
        assert len(calls) == retries + 1
        [status] = server.repository.status("dense")
        assert status.state == State.END
        assert f"storage hiccup {retries + 1}" in status.error.message


def test_stopping_cuts_a_retry_wait_short(model_base, monkeypatch):
    from minitf.serving.repository import ModelRepository

    calls = _flaky_loader(monkeypatch, failures=100)
    repo = ModelRepository([ModelConfig("dense", model_base)],
                           loader=server_module.make_loader(), load_retries=5,
                           load_retry_seconds=60.0)
    poller = threading.Thread(target=repo.poll, daemon=True)
    poller.start()
    deadline = time.monotonic() + 10
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    start = time.monotonic()
    repo.stop()
    poller.join(10)
    assert not poller.is_alive() and time.monotonic() - start < 10
    assert len(calls) == 1 and repo.status("dense")[0].state == State.END


def test_a_version_removed_during_a_retry_wait_is_not_retried(tmp_path, monkeypatch):
    """As TF Serving's harness retries only a version still wanted: its directory gone during
    the wait between attempts ends the retries, and the failure is reported."""
    from minitf.serving.repository import ModelRepository

    base = tmp_path / "models" / "dense"
    version_dir = write_model(str(base), 1)
    # The first attempt fails only after the removal below, so the removal is always before
    # the end of the wait that follows it, however late this thread runs.
    removed = threading.Event()
    calls = _flaky_loader(monkeypatch, failures=100, gate=removed)
    repo = ModelRepository([ModelConfig("dense", str(base))], loader=server_module.make_loader(),
                           load_retries=3, load_retry_seconds=1.0)
    poller = threading.Thread(target=repo.poll, daemon=True)
    poller.start()
    try:
        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.01)
        assert calls, "the first load attempt did not happen"
        shutil.rmtree(version_dir)  # the operator removes the bad version
    finally:
        removed.set()
    poller.join(10)
    assert not poller.is_alive()
    assert len(calls) == 1, f"{len(calls)} attempts: retried a version whose directory is gone"
    [status] = repo.status("dense")
    assert status.state == State.END and "storage hiccup 1" in status.error.message
    repo.stop()


@pytest.fixture
def short_dir():
    """A directory with a short path: a UNIX socket path is limited to ~107 bytes."""
    path = tempfile.mkdtemp(prefix="tfs", dir="/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(sys.platform == "win32", reason="UNIX domain sockets")
def test_grpc_socket_path_answers_on_the_unix_socket(model_base, short_dir):
    socket_path = os.path.join(short_dir, "grpc.sock")
    opts = _serve_options(["--model_base_path", model_base, f"--grpc_socket_path={socket_path}"])
    assert opts.grpc_socket_path == socket_path
    with running_server([ModelConfig("dense", model_base)],
                        grpc_socket_path=opts.grpc_socket_path) as (server, client):
        assert os.path.exists(socket_path)
        grpc_predict(f"unix:{socket_path}", "dense")
        grpc_predict(f"127.0.0.1:{server.grpc_port}", "dense")  # the TCP port as well


def _listening_tcp_sockets() -> set[str]:
    """The inodes of this process's listening TCP sockets (Linux /proc)."""
    mine = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            mine.add(target[8:-1])
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if os.path.exists(table):
            with open(table) as f:
                for row in f.read().splitlines()[1:]:
                    cols = row.split()
                    if cols[3] == "0A":  # LISTEN
                        listening.add(cols[9])
    return mine & listening


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux /proc")
def test_port_0_with_a_socket_path_serves_grpc_on_the_socket_only(model_base, short_dir):
    """TF Serving: --port 0 disables the TCP port when --grpc_socket_path is given; alone,
    minitf's --port 0 still picks a free port."""
    from prometheus_client import CollectorRegistry

    assert _serve_options(["--model_base_path", "m", "--port=0"]).grpc_port == 0
    socket_path = os.path.join(short_dir, "only.sock")
    opts = _serve_options(["--model_base_path", model_base, "--model_name=dense", "--port=0",
                           "--rest_api_port=0", "--host=127.0.0.1",
                           f"--grpc_socket_path={socket_path}"])
    assert opts.grpc_port is None and opts.http_port == -1
    before = _listening_tcp_sockets()
    server = server_module.ModelServer(opts, registry=CollectorRegistry(),
                                       process_metrics=False).start()
    try:
        assert server.grpc_port is None
        assert _listening_tcp_sockets() - before == set()  # no TCP port at all
        grpc_predict(f"unix:{socket_path}", "dense")
    finally:
        server.stop(0)


def test_cors_headers_on_rest_answers_and_preflight(model_base):
    opts = _serve_options(["--model_base_path", model_base, "--rest_api_enable_cors_support"])
    assert opts.cors
    expected = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, GET",
                "Access-Control-Allow-Headers": "Content-Type"}
    with running_server([ModelConfig("dense", model_base)], cors=True) as (server, _):
        port = server.http_port
        rest_predict(port, "dense")
        for method, path, body in (("POST", "/v1/models/dense:predict",
                                    {"inputs": {"x": X.tolist()}}),
                                   ("GET", "/v1/models/dense", None),
                                   ("GET", "/v1/models/nope", None)):  # errors carry them too
            status, head, _ = rest(port, path, body, method)
            assert {k: head.get(k) for k in expected} == expected, (method, path, status)
        status, head, _ = rest(port, "/v1/models/dense:predict", method="OPTIONS", headers={
            "Origin": "http://example.com", "Access-Control-Request-Method": "POST"})
        assert status == 204 and {k: head.get(k) for k in expected} == expected
    with running_server([ModelConfig("dense", model_base)]) as (server, _):  # default: off
        status, head, _ = rest(server.http_port, "/v1/models/dense")
        assert status == 200 and head.get("Access-Control-Allow-Origin") is None
        status, _, _ = rest(server.http_port, "/v1/models/dense:predict", method="OPTIONS")
        assert status == 405
    assert not _serve_options(["--model_base_path", "m",
                               "--rest_api_enable_cors_support=false"]).cors


def _ssl_config_file(tmp_path, pki, client_verify=False, custom_ca=True):  # noqa: F811
    from google.protobuf import text_format

    from minitf.protos import ssl_config_pb2

    config = ssl_config_pb2.SSLConfig(
        server_key=pki.server.key.read_text(), server_cert=pki.server.cert.read_text(),
        custom_ca=pki.ca.read_text() if custom_ca else "", client_verify=client_verify)
    path = tmp_path / f"ssl-{client_verify}-{custom_ca}.cfg"
    path.write_text(text_format.MessageToString(config))
    return str(path)


def test_ssl_config_file_serves_tls(model_base, tmp_path, pki):  # noqa: F811
    opts = _serve_options(["--model_base_path", model_base,
                           f"--ssl_config_file={_ssl_config_file(tmp_path, pki)}"])
    assert opts.ssl_config.server_cert.startswith("-----BEGIN CERTIFICATE")
    with running_server([ModelConfig("dense", model_base)],
                        ssl_config=opts.ssl_config) as (server, _):
        target = f"127.0.0.1:{server.grpc_port}"
        grpc_predict(target, "dense", credentials(pki))
        with pytest.raises(grpc.RpcError) as err:  # plaintext is refused
            grpc_predict(target, "dense")
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE


def test_ssl_config_file_client_verify_requires_a_client_certificate(model_base, tmp_path,
                                                                     pki):  # noqa: F811
    opts = _serve_options(["--model_base_path", model_base, "--ssl_config_file",
                           _ssl_config_file(tmp_path, pki, client_verify=True)])
    with running_server([ModelConfig("dense", model_base)],
                        ssl_config=opts.ssl_config) as (server, _):
        target = f"127.0.0.1:{server.grpc_port}"
        grpc_predict(target, "dense", credentials(pki, client=pki.client))
        for creds in (credentials(pki), credentials(pki, client=pki.stranger)):
            with pytest.raises(grpc.RpcError) as err:
                grpc_predict(target, "dense", creds)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE


@pytest.mark.parametrize("text, expected", [
    ("grpc.max_connection_age_ms=2000", (("grpc.max_connection_age_ms", 2000),)),
    ("grpc.max_receive_message_length=1000,grpc.primary_user_agent=tfs ",
     (("grpc.max_receive_message_length", 1000), ("grpc.primary_user_agent", "tfs "))),
    ("a=-3,b=99999999999,c=", (("a", -3), ("b", "99999999999"), ("c", ""))),
    ("", ()),
])
def test_grpc_channel_arguments_parse_as_tf_serving(text, expected):
    opts = _serve_options(["--model_base_path", "m", f"--grpc_channel_arguments={text}"])
    assert opts.grpc_channel_arguments == expected


def test_grpc_channel_arguments_reach_the_server(model_base):
    opts = _serve_options(["--model_base_path", model_base,
                           "--grpc_channel_arguments=grpc.max_receive_message_length=2000"])
    with running_server([ModelConfig("dense", model_base)],
                        grpc_channel_arguments=opts.grpc_channel_arguments) as (_, client):
        client.predict("dense", {"x": X})  # a small request passes
        with pytest.raises(grpc.RpcError) as err:
            client.predict("dense", {"x": np.ones((200, 4), np.float32)})  # 3.2 kB
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_thread_flags_set_grpc_and_blas_threads(tmp_path):
    base = ["--model_base_path", "m"]
    opts = _serve_options(base)
    assert (opts.grpc_threads, opts.blas_threads) == (64, 1)
    opts = _serve_options([*base, "--grpc_max_threads=8", "--tensorflow_intra_op_parallelism=3",
                           "--tensorflow_inter_op_parallelism=2"])
    assert (opts.grpc_threads, opts.blas_threads) == (8, 3)
    assert _serve_options([*base, "--tensorflow_session_parallelism=4"]).blas_threads == 4
    # TF Serving: intra/inter set -> session_parallelism unused
    assert _serve_options([*base, "--tensorflow_inter_op_parallelism=2",
                           "--tensorflow_session_parallelism=4"]).blas_threads == 1
    config = tmp_path / "session.cfg"
    config.write_text("intra_op_parallelism_threads: 5\ninter_op_parallelism_threads: 2\n"
                      "allow_soft_placement: true\ndevice_count { key: 'GPU' value: 0 }\n")
    assert _serve_options([*base, f"--tensorflow_session_config_file={config}"]
                          ).blas_threads == 5
    assert _serve_options([*base, f"--tensorflow_session_config_file={config}",
                           "--tensorflow_intra_op_parallelism=2"]).blas_threads == 2


def _parse(argv):
    parser = argparse.ArgumentParser(prog="minitf")
    cli._serve_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["serve", "--model_base_path", "m", *argv])


# TF Serving's boolean flags on minitf serve (main.cc), and minitf's own --compat_metrics.
BOOL_FLAGS = ["enable_batching", "enable_model_warmup", "enable_per_model_batching_parameters",
              "enable_signature_method_name_check", "version", "compat_metrics",
              "rest_api_enable_cors_support", "use_alts_credentials", "prefer_tflite_model",
              "allow_version_labels_for_unavailable_models",
              *[name for name, (kind, _) in tfs_flags.IGNORED.items() if kind is tfs_flags.tf_bool]]


@pytest.mark.parametrize("flag", BOOL_FLAGS)
def test_bool_flags_take_tf_s_forms(flag):
    """As TensorFlow's command-line parser: a bare --flag is true; =true|false|1|0 in any
    letter case; the value is a Python bool."""
    for form, want in (("", True), ("=true", True), ("=false", False), ("=1", True),
                       ("=0", False), ("=True", True), ("=FALSE", False), ("=tRuE", True)):
        value = getattr(_parse([f"--{flag}{form}"]), flag)
        assert value is want, (form, value)
    with pytest.raises(SystemExit):
        with contextlib.redirect_stderr(io.StringIO()):
            _parse([f"--{flag}=yes"])


def test_bool_flags_reach_the_options_as_bools():
    base = ["--model_base_path", "m"]
    opts = _serve_options(base)
    assert (opts.batching.enabled, opts.enable_model_warmup, opts.per_model_batching,
            opts.enable_signature_method_name_check, opts.compat_metrics) == (
        False, True, False, False, True)
    opts = _serve_options([*base, "--enable_batching=TRUE", "--enable_model_warmup=0",
                           "--enable_per_model_batching_parameters=1",
                           "--enable_signature_method_name_check=True",
                           "--compat_metrics=False"])
    assert (opts.batching.enabled, opts.enable_model_warmup, opts.per_model_batching,
            opts.enable_signature_method_name_check, opts.compat_metrics) == (
        True, False, True, True, False)
    assert not _serve_options([*base, "--enable_batching=False"]).batching.enabled
    with pytest.raises(ValueError, match="--batching on and --enable_batching=false disagree"):
        _serve_options([*base, "--batching", "on", "--enable_batching=0"])


def test_version_flag_forms(capsys):
    assert cli.main(["serve", "--version=TRUE"]) == 0
    assert capsys.readouterr().out.startswith("TensorFlow ModelServer: minitf ")
    assert _parse(["--version=false"]).version is False


def test_ignored_flags_log_one_line_each(caplog):
    with caplog.at_level(logging.INFO, logger="minitf.serving"):
        _serve_options(["--model_base_path", "m", "--flush_filesystem_caches=false",
                        "--num_load_threads=4", "--enable_serialization_as_tensor_content",
                        "--skip_initialize_tpu=true", "--remove_unused_fields_from_bundle_"
                        "metagraph=1", "--thread_pool_factory_config_file=x.cfg"])
    lines = [r.getMessage() for r in caplog.records if "accepted and ignored" in r.getMessage()]
    assert sorted(line.split(":")[0] for line in lines) == sorted([
        "--flush_filesystem_caches", "--num_load_threads",
        "--enable_serialization_as_tensor_content", "--skip_initialize_tpu",
        "--remove_unused_fields_from_bundle_metagraph", "--thread_pool_factory_config_file"])
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="minitf.serving"):
        _serve_options(["--model_base_path", "m"])
    assert not [r for r in caplog.records if "accepted and ignored" in r.getMessage()]


# -- refused values --------------------------------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (["--use_alts_credentials=true"], "--use_alts_credentials=true is not supported"),
    (["--platform_config_file=platform.cfg"], "--platform_config_file is not supported"),
    (["--mixed_precision=bfloat16"], "--mixed_precision=bfloat16 is not supported"),
    (["--per_process_gpu_memory_fraction=1.5"],
     "--per_process_gpu_memory_fraction must be between 0 and 1"),
    (["--per_process_gpu_memory_fraction=-0.1"],
     "--per_process_gpu_memory_fraction must be between 0 and 1"),
    (["--tensorflow_session_config_file={session}"],
     "operation_timeout_in_ms is not supported"),
    (["--tensorflow_session_config_file={amp}"],
     "graph_options.rewrite_options.auto_mixed_precision is not supported"),
    (["--tensorflow_intra_op_parallelism=1", "--tensorflow_inter_op_parallelism=1",
      "--tensorflow_session_parallelism=1"], "You cannot configure all."),
    (["--blas_threads=2", "--tensorflow_intra_op_parallelism=3"],
     "--blas_threads 2 and intra-op parallelism 3"),
    (["--grpc_threads=2", "--grpc_max_threads=3"], "--grpc_threads 2 and --grpc_max_threads 3"),
    (["--grpc_channel_arguments=grpc.max_connection_age_ms"],
     "--grpc_channel_arguments: expected comma-separated key=value pairs"),
    (["--ssl_config_file={bad_ssl}"], "is not a text-format SSLConfig"),
    (["--ssl_config_file={half_ssl}"], "TLS needs both server_key and server_cert"),
    (["--ssl_config_file={no_ca}"], "client_verify needs custom_ca"),
    (["--ssl_config_file={no_ca}", "--ssl_cert=c.pem"], "use either --ssl_config_file or"),
    (["--max_num_load_retries=-1"], "--max_num_load_retries must be >= 0"),
    (["--num_load_threads=-2"], "--num_load_threads must be >= 0"),
])
def test_values_minitf_cannot_honour_exit_2(tmp_path, capsys, args, message):
    files = {"session": tmp_path / "session.cfg", "amp": tmp_path / "amp.cfg",
             "bad_ssl": tmp_path / "bad.cfg", "half_ssl": tmp_path / "half.cfg",
             "no_ca": tmp_path / "no_ca.cfg"}
    files["session"].write_text("allow_soft_placement: true operation_timeout_in_ms: 60000")
    files["amp"].write_text("graph_options { rewrite_options { auto_mixed_precision: ON } }")
    files["bad_ssl"].write_text("server_key: 'k' server_certificate: 'c'")
    files["half_ssl"].write_text("server_key: 'k'")
    files["no_ca"].write_text("server_key: 'k' server_cert: 'c' client_verify: true")
    argv = ["serve", "--port", "0", "--http_port", "0", "--model_base_path", "m",
            *[a.format(**files) for a in args]]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("minitf serve: ") and message in err, err


def test_a_bad_bool_value_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["serve", "--model_base_path", "m", "--enable_profiler=maybe"])
    assert info.value.code == 2
    assert "--enable_profiler: invalid choice: 'maybe' (choose from true, false, 1, 0" in \
        capsys.readouterr().err


def test_values_that_change_no_answer_are_accepted_and_logged(tmp_path, caplog):
    """Settings that only tune TensorFlow's runtime, a GPU memory fraction (no GPU here) and
    --prefer_tflite_model (TF Serving serves saved_model.pb too when a version has no
    model.tflite) start the server, with an INFO line naming them."""
    config = tmp_path / "session.cfg"
    config.write_text(
        "intra_op_parallelism_threads: 3\n"
        "experimental { disable_thread_spinning: true }\n"
        "graph_options { rewrite_options { disable_meta_optimizer: true "
        "auto_mixed_precision: OFF }\n"
        "  optimizer_options { opt_level: L0 global_jit_level: OFF } }\n"
        "isolate_session_state: true\nallow_soft_placement: true\n"
        "log_device_placement: false\n"
        "gpu_options { allow_growth: true per_process_gpu_memory_fraction: 0.4 }\n"
        "session_inter_op_thread_pool { num_threads: 2 }\n"
        "device_count { key: 'GPU' value: 0 }\n")
    with caplog.at_level(logging.INFO, logger="minitf.serving"):
        opts = _serve_options(["--model_base_path", "m",
                               f"--tensorflow_session_config_file={config}",
                               "--per_process_gpu_memory_fraction=0.5",
                               "--prefer_tflite_model=TRUE"])
    assert opts.blas_threads == 3
    [line] = [r.getMessage() for r in caplog.records if str(config) in r.getMessage()]
    for name in ("experimental.disable_thread_spinning",
                 "graph_options.rewrite_options.disable_meta_optimizer",
                 "graph_options.rewrite_options.auto_mixed_precision",
                 "graph_options.optimizer_options.opt_level", "isolate_session_state",
                 "allow_soft_placement", "gpu_options.allow_growth",
                 "gpu_options.per_process_gpu_memory_fraction",
                 "session_inter_op_thread_pool", "device_count"):
        assert name in line, name
    assert "intra_op_parallelism_threads" not in line  # that one is honoured
    assert "accepted" in line
    assert "--per_process_gpu_memory_fraction=0.5: accepted" in caplog.text
    assert "--prefer_tflite_model=true: accepted; minitf serves each version's " \
        "saved_model.pb" in caplog.text


@pytest.mark.parametrize("argv", [["--rest_api_enable=true"], ["--model_base=m"],
                                  ["--enable_batch"], ["--grpc_socket=/tmp/s"]])
def test_flag_abbreviations_are_errors(capsys, argv):
    """TF Serving's parser knows whole flag names only: a prefix is an unknown flag, not
    the flag it begins (parsed only: a command line that did parse would start serving)."""
    with pytest.raises(SystemExit) as info:
        _parse(argv)
    assert info.value.code == 2
    assert f"unrecognized arguments: {argv[0]}" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:  # minitf's top-level parser too
        cli.main(["--hel"])
    assert info.value.code == 2


def test_model_name_defaults_to_default_as_tf_serving():
    """TF Serving's Server::Options: --model_name defaults to "default", not the folder."""
    [model] = _serve_options(["--model_base_path", "/models/mnist"]).models
    assert model.name == "default"
    [model] = _serve_options(["--model_base_path", "/models/mnist", "--model_name=mnist"]).models
    assert model.name == "mnist"
