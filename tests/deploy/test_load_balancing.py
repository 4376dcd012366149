"""Scaling out on one machine: two ``minitf serve`` processes behind a client-side round_robin
gRPC channel (what the headless Service gives clients in Kubernetes) both receive traffic, and
their request counters add up to the requests sent."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import grpc
import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from minitf.export.tensors import make_ndarray, make_tensor_proto
from minitf.protos import method_path, predict_pb2, prediction_service_pb2
from tests.serving.conftest import reference, write_model

REQUESTS = 24
START_TIMEOUT = 60.0
_READY = re.compile(r"minitf serving on grpc :(\d+) http :(\d+)")


def _start(base: str, log_path) -> tuple[subprocess.Popen, int, int]:
    """``minitf serve`` on ephemeral loopback ports; returns (process, grpc port, http port)."""
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "minitf.serving.cli", "serve", "--model_name", "dense",
         "--model_base_path", base, "--host", "127.0.0.1", "--port", "0", "--http_port", "0",
         "--file_system_poll_wait_seconds", "0", "--grace_seconds", "2",
         "--max_batch_size", "8", "--log_level", "WARNING"],
        stdout=subprocess.PIPE, stderr=log, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    log.close()
    # readline blocks; a timer kills a server that never says it is up, which ends the read.
    timer = threading.Timer(START_TIMEOUT, proc.kill)
    timer.start()
    try:
        line = proc.stdout.readline()
    finally:
        timer.cancel()
    match = _READY.search(line)
    assert match, f"server did not start: {line!r}; log: {open(log_path).read()[-2000:]}"
    return proc, int(match.group(1)), int(match.group(2))


def _stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        raise
    finally:
        proc.stdout.close()


def _predict_counts(http_port: int) -> dict[tuple[str, str], float]:
    """{(api, code): requests} from the server's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=10) as r:
        text = r.read().decode()
    counts: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(text):
        if family.name == "minitf_requests":
            for s in family.samples:
                if s.name == "minitf_requests_total":
                    key = (s.labels["api"], s.labels["code"])
                    counts[key] = counts.get(key, 0) + s.value
    return counts


def test_round_robin_spreads_requests_over_two_server_processes(tmp_path):
    base = str(tmp_path / "models" / "dense")
    write_model(base, 1)
    servers = []
    try:
        for i in range(2):
            servers.append(_start(base, tmp_path / f"server{i}.log"))
        ports = [grpc_port for _, grpc_port, _ in servers]
        target = "ipv4:" + ",".join(f"127.0.0.1:{p}" for p in ports)
        channel = grpc.insecure_channel(target, options=[("grpc.lb_policy_name", "round_robin")])
        predict = channel.unary_unary(
            method_path(prediction_service_pb2.DESCRIPTOR.services_by_name["PredictionService"]
                        .methods_by_name["Predict"]),
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=predict_pb2.PredictResponse.FromString)
        rng = np.random.default_rng(11)
        deadline = time.monotonic() + 60
        with channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            for i in range(REQUESTS):
                assert time.monotonic() < deadline
                x = rng.standard_normal((1 + i % 2, 4)).astype(np.float32)
                request = predict_pb2.PredictRequest()
                request.model_spec.name = "dense"
                request.inputs["x"].CopyFrom(make_tensor_proto(x))
                response = predict(request, timeout=10, wait_for_ready=True)
                np.testing.assert_allclose(make_ndarray(response.outputs["probs"]),
                                           reference(x)["probs"], rtol=1e-5, atol=1e-6)
        counts = [_predict_counts(http_port) for _, _, http_port in servers]
    finally:
        codes = [_stop(proc) for proc, _, _ in servers]
    assert codes == [0, 0]  # both stopped gracefully on SIGTERM
    per_server = [c.get(("tfserving.Predict", "OK"), 0) for c in counts]
    assert all(n > 0 for n in per_server), per_server
    assert sum(per_server) == REQUESTS
    # Nothing else was counted: every request is accounted for exactly once.
    assert [sum(c.values()) for c in counts] == per_server
