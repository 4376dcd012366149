"""Graceful shutdown of the real ``minitf serve`` process: on SIGTERM or SIGINT the requests in
flight complete, new requests are refused, and the process exits 0.

Requests are kept in flight deterministically by a long batch timeout with a large batch: they
wait in the batch queue (visible as minitf_queue_depth) until the timeout fires.
"""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import grpc
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from minitf.serving.client import Client
from minitf.serving.server import _cancel_pending
from tests.serving.conftest import reference, wait_for

# Long enough that a loaded machine cannot let the batch fire before the test has checked
# the requests are queued (2 s failed once in a full-suite run); stopping drains the queue
# at once, so the test does not wait for it.
BATCH_TIMEOUT_S = 10.0
IN_FLIGHT = 4
WAIT = 20.0
READY_LINE = re.compile(r"minitf serving on grpc :(\d+) http :(\d+)")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


class ServerProcess:
    """``python -m minitf.serving.cli serve`` on ephemeral ports, its output read by threads."""

    def __init__(self, base: str, *extra: str):
        cmd = [sys.executable, "-m", "minitf.serving.cli", "serve",
               "--model_base_path", base, "--model_name", "dense", "--host", "127.0.0.1",
               "--port", "0", "--http_port", "0", "--file_system_poll_wait_seconds", "0",
               "--max_batch_size", "64",
               "--batch_timeout_micros", str(int(BATCH_TIMEOUT_S * 1e6)),
               "--grace_seconds", str(WAIT), *extra]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        self.stdout: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout.put),
                         daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr.append),
                         daemon=True).start()
        self.grpc_port, self.http_port = self._ports()

    @staticmethod
    def _pump(stream, sink):
        for line in stream:
            sink(line)

    def _ports(self):
        end = time.monotonic() + WAIT
        while time.monotonic() < end:
            try:
                line = self.stdout.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            match = READY_LINE.search(line)
            if match:
                return int(match.group(1)), int(match.group(2))
        self.kill()
        raise AssertionError(f"server did not start; stderr:\n{''.join(self.stderr)}")

    def log_has(self, text: str) -> bool:
        return any(text in line for line in list(self.stderr))

    def queue_depth(self) -> float:
        url = f"http://127.0.0.1:{self.http_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as resp:
            text = resp.read().decode()
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                if s.name == "minitf_queue_depth" and s.labels.get("model") == "dense":
                    return s.value
        return 0.0

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def served(model_base):
    servers = []

    def start(*extra):
        s = ServerProcess(model_base, *extra)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.kill()  # only if a test failed half-way


def port_closed(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) != 0


def inputs(i: int) -> np.ndarray:
    return np.random.default_rng(i).standard_normal((2, 4)).astype(np.float32)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_lets_in_flight_requests_finish_and_exits_zero(served, sig):
    server = served("--batching", "on")  # requests wait in the batch queue while it stops
    target = f"127.0.0.1:{server.grpc_port}"
    with Client(target, timeout=WAIT) as client, ThreadPoolExecutor(IN_FLIGHT) as pool:
        assert client.wait_ready(WAIT)
        xs = [inputs(i) for i in range(IN_FLIGHT)]
        calls = [pool.submit(client.predict if i % 2 else client.infer, "dense", {"x": x})
                 for i, x in enumerate(xs)]
        wait_for(lambda: server.queue_depth() == IN_FLIGHT, "requests to be queued")
        assert not any(c.done() for c in calls)  # in flight: they wait for the batch timeout

        server.proc.send_signal(sig)
        wait_for(lambda: server.log_has(f"Received {sig.name}"), "the signal to be handled")
        # The listening socket closes as soon as the gRPC server stops accepting.
        wait_for(lambda: port_closed(server.grpc_port), "the gRPC port to close")
        # Stopping drains the batch queues at once: the queued requests run now instead of
        # waiting out their batch timeout, and new ones are refused.
        with Client(target, timeout=2) as late:
            with pytest.raises(grpc.RpcError) as info:
                late.predict("dense", {"x": xs[0]})
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        with pytest.raises(grpc.RpcError) as info:  # nor on the open connection
            client.predict("dense", {"x": xs[0]}, timeout=2)
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE

        for x, call in zip(xs, calls):
            out = call.result(WAIT)
            want = reference(x)
            np.testing.assert_allclose(out["probs"], want["probs"], rtol=1e-5, atol=1e-6)
            np.testing.assert_array_equal(out["classes"], want["classes"])
    assert server.proc.wait(WAIT) == 0
    log = "".join(server.stderr)
    assert "Shutting down" in log and "Server stopped" in log
    assert "Traceback" not in log


def test_signal_with_nothing_in_flight_exits_promptly(served):
    server = served("--batching", "off")
    with Client(f"127.0.0.1:{server.grpc_port}", timeout=WAIT) as client:
        assert client.wait_ready(WAIT)
        x = inputs(0)
        np.testing.assert_allclose(client.predict("dense", {"x": x})["probs"],
                                   reference(x)["probs"], rtol=1e-5, atol=1e-6)
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(WAIT) == 0


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_in_process_start_stop_releases_descriptors_and_wait_reports_the_end(model_base):
    """Starting and stopping a ModelServer repeatedly leaks no file descriptors (its event loop
    is closed), and ``wait`` returns only once ``stop`` has finished."""
    from minitf.serving.repository import ModelConfig
    from tests.serving.conftest import running_server

    config = [ModelConfig(name="dense", base_path=model_base)]

    def cycle():
        with running_server(config) as (server, client):
            assert client.predict("dense", {"x": inputs(1)})["classes"].shape == (2,)
            assert not server.wait(0)
        assert server.wait(0)
        return server

    cycle()  # first use: lazily created process-wide state (grpc's, numpy's) settles
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        server = cycle()
    assert server._loop.is_closed()
    assert len(os.listdir("/proc/self/fd")) <= before + 2


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_during_start_up_load_retries_exits_zero_at_once(model_base, sig):
    """A version that fails to load, retried a minute apart (TF Serving's interval): a signal
    while ``minitf serve`` is still starting ends the retry wait, and the process exits 0
    without ever printing that it serves."""
    with open(os.path.join(model_base, "1", "saved_model.pb"), "wb") as f:
        f.write(b"not a SavedModel")
    cmd = [sys.executable, "-m", "minitf.serving.cli", "serve", "--model_base_path", model_base,
           "--model_name", "dense", "--host", "127.0.0.1", "--port", "0", "--http_port", "0",
           "--max_num_load_retries=3", "--load_retry_interval_micros=60000000",
           "--grace_seconds", str(WAIT)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    stderr: list[str] = []
    stdout: list[str] = []
    for stream, sink in ((proc.stderr, stderr), (proc.stdout, stdout)):
        threading.Thread(target=ServerProcess._pump, args=(stream, sink.append),
                         daemon=True).start()
    try:
        wait_for(lambda: any("failed (attempt 1 of 4)" in line for line in list(stderr)),
                 "the first load attempt to fail", timeout=60)
        start = time.monotonic()
        proc.send_signal(sig)
        assert proc.wait(10) == 0, "".join(stderr)  # not after three one-minute waits
        assert time.monotonic() - start < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    log = "".join(stderr)
    assert not [line for line in stdout if "minitf serving on" in line], stdout
    assert f"Received {sig.name}" in log and "Traceback" not in log
    assert "failed (attempt 2 of 4)" not in log
    assert "Failed to load servable dense version 1" in log


def test_stopping_the_loop_lets_ending_tasks_end_and_cancels_the_rest():
    """What stop does to the tasks still on the event loop once gRPC has stopped: an RPC's task
    a few steps from its end finishes on its own (cancelled there, gRPC would log a traceback
    for it), and a task that would wait forever is cancelled."""
    log = []

    async def ending():  # an RPC's task after core has finished the call
        try:
            for _ in range(3):
                await asyncio.sleep(0)
            log.append("ending finished")
        except asyncio.CancelledError:
            log.append("ending cancelled")
            raise

    async def waiting():
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            log.append("waiting cancelled")
            raise

    async def scenario():
        tasks = [asyncio.create_task(ending()), asyncio.create_task(waiting())]
        await asyncio.sleep(0)  # both have started
        started = time.monotonic()
        await _cancel_pending(finish_seconds=0.2)
        return tasks, time.monotonic() - started

    tasks, took = asyncio.run(scenario())
    assert log == ["ending finished", "waiting cancelled"]
    assert not tasks[0].cancelled() and tasks[1].cancelled()
    assert 0.2 <= took < 5  # the waiting task was given its time, then cancelled
