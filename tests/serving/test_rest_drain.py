"""The HTTP port's stop past the grace period, and "Expect: 100-continue". A REST request still
running when the grace period ends does not hold the stop (in process) or the exit (``minitf
serve``): it is answered 503 when that can still be sent cleanly, else its connection closes,
and its thread, once its plan ends, writes nothing. A "100 Continue" goes out once, and only when
the body will be read. Real servers on 127.0.0.1, ephemeral ports."""

from __future__ import annotations

import http.client
import json
import logging
import signal
import socket
import sys
import threading
import time

import pytest

from minitf.serving.repository import ModelConfig

from .conftest import running_server, wait_for, write_model
from .test_http_server import _slow_model
from .test_shutdown import ServerProcess

WAIT = 20.0
GRACE = 1.0
BOUND = GRACE + 2.0  # loose: what "promptly after the grace period" must stay within
PREDICT = "/v1/models/{}:predict"


def _post(port, model, value, timeout=WAIT):
    """(status, body) of a predict of one row [value]; the exception if the connection ended
    without an answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", PREDICT.format(model), json.dumps({"instances": [[value]]}),
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, r.read()
    except (OSError, http.client.HTTPException) as e:
        return e
    finally:
        conn.close()


def _calibrated(port, model, seconds: float) -> float:
    """The slow model's input value that takes about ``seconds`` on this machine (the fastest
    of three timed runs, after a warm-up that compiles the plan)."""
    assert _post(port, model, 1.0)[0] == 200
    best = float("inf")
    for _ in range(3):
        start = time.monotonic()
        assert _post(port, model, 20000.0)[0] == 200
        best = min(best, time.monotonic() - start)
    return float(int(20000 * min(max(seconds / max(best, 1e-3), 1.0), 1000.0)))


def _running(server, n: int) -> bool:
    with server._rest_idle:
        return sum(h._phase == "running" for h in server._connections.values()) == n


def _raw(port, head: bytes, body: bytes | None = None, timeout=WAIT) -> bytes:
    """Sends ``head``; if the server answers 100 (or nothing within 1 s, as curl waits),
    sends ``body``; returns everything the server sent until it closed the connection."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(head)
        data = b""
        s.settimeout(1.0)
        try:
            while b"\r\n\r\n" not in data and (chunk := s.recv(4096)):
                data += chunk
        except TimeoutError:
            pass
        s.settimeout(timeout)
        if body is not None and (not data or data.startswith(b"HTTP/1.1 100 ")):
            try:
                s.sendall(body)
            except OSError:  # refused and closed meanwhile
                pass
        end = time.monotonic() + timeout
        while time.monotonic() < end and (chunk := s.recv(65536)):
            data += chunk
        return data
    finally:
        s.close()


# -- stopping past the grace period ----------------------------------------------------------
def test_stop_past_the_grace_period_answers_503_and_returns_promptly(tmp_path, capfd, caplog):
    """One turn (--rest_api_num_threads 1): a slow request runs, another waits for the turn.
    Stopping with a 2 s grace period returns within a second or two of it, both get 503
    (their bodies were read), the waiting one never runs, and the running one's thread writes
    nothing and logs no traceback when its plan ends. While draining, /readyz is 503 and a new
    POST is refused with 503 (and no "100 Continue")."""
    grace = 2.0  # time enough to check /readyz and a new POST while draining
    _slow_model(str(tmp_path / "slow"))
    caplog.set_level(logging.INFO, logger="minitf.serving")
    with running_server([ModelConfig(name="slow", base_path=str(tmp_path / "slow"))],
                        rest_api_num_threads=1) as (server, _):
        port = server.http_port
        value = _calibrated(port, "slow", grace + 3.0)  # runs well past the grace period
        results = {}
        callers = [threading.Thread(target=lambda k=k: results.setdefault(
            k, _post(port, "slow", value if k == "slow" else 1.0, timeout=60)))
            for k in ("slow", "waiting")]
        callers[0].start()
        wait_for(lambda: _running(server, 1), "the slow request to run")
        callers[1].start()
        wait_for(lambda: _running(server, 2), "the second request to wait for the turn")

        start = time.monotonic()
        stopper = threading.Thread(target=server.stop, kwargs={"grace": grace})
        stopper.start()
        wait_for(lambda: server.health.stopping.is_set(), "stop() to begin")
        ready = _raw(port, b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        late = b'{"instances": [[1.0]]}'
        refused = _raw(port, b"POST /v1/models/slow:predict HTTP/1.1\r\nHost: x\r\n"
                       b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(late), late)
        stopper.join(grace + 10)
        took = time.monotonic() - start
        assert not stopper.is_alive()
        assert took < grace + 2, f"stop() took {took:.1f}s with a {grace}s grace period"
        for t in callers:
            t.join(10)
        assert ready.startswith(b"HTTP/1.1 503 ")
        assert refused.startswith(b"HTTP/1.1 503 ") and b"shutting down" in refused
        assert b" 100 " not in refused
        for k in ("slow", "waiting"):
            status, body = results[k]
            assert status == 503 and json.loads(body) == {
                "error": "The server is shutting down"}, (k, results[k])

        # The plan still runs on its (daemon) thread; it ends quietly, writing nothing.
        wait_for(lambda: server._rest_inflight == 0, "the abandoned requests' threads to end",
                 timeout=120)
    assert "Traceback" not in capfd.readouterr().err
    messages = [r.getMessage() for r in caplog.records]
    assert any("still running after the grace period" in m for m in messages)
    assert any("finished after the grace period" in m for m in messages)
    assert not [r for r in caplog.records if r.exc_info]
    # The request waiting for the turn was refused, not run (it had not resolved its version
    # yet); the slow one ran to its end: the warm-up, three timed runs and it are the OKs.
    def count(version, code):
        return server.metrics.registry.get_sample_value("minitf_requests_total", {
            "model": "slow", "version": version, "api": "rest.predict", "code": code})
    assert count("", "UNAVAILABLE") == 1 and count("1", "OK") == 5


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("batching", ["off", "on"])
def test_sigterm_with_a_rest_request_past_the_grace_period_exits_zero_promptly(
        tmp_path, batching):
    """``minitf serve --grace_seconds 1``: a REST request that runs seconds past the grace
    period (batched: drained from the queue at SIGTERM, run by a batch thread) does not hold
    the exit; the process exits 0 within a second or two of the grace period."""
    base = str(tmp_path / "slow")
    _slow_model(base)
    server = ServerProcess(base, "--grace_seconds", str(GRACE), "--batching", batching)
    try:
        # Named "dense" by ServerProcess; batching on: a request waits for the 10 s timeout.
        value = _calibrated(server.http_port, "dense", 8.0) if batching == "off" else None
        if batching == "on":
            value = 2e6  # about 8 s (4 us per iteration); loaded machines take longer
        result = []
        caller = threading.Thread(target=lambda: result.append(
            _post(server.http_port, "dense", value, timeout=60)), daemon=True)
        caller.start()
        time.sleep(1.0)  # sent, read, and running (or queued for the batch)
        start = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(60)
        took = time.monotonic() - start
        caller.join(10)
    finally:
        server.kill()
    log = "".join(server.stderr)
    assert code == 0, log
    assert took < BOUND, f"exit took {took:.1f}s with a {GRACE}s grace period\n{log}"
    assert "Traceback" not in log
    # Answered 503 (its body was read), or at worst its connection closed: never held.
    assert result and (isinstance(result[0], Exception) or result[0][0] == 503), result


# -- Expect: 100-continue ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The dense model, with a 1000-byte message size limit."""
    root = tmp_path_factory.mktemp("expect")
    write_model(str(root / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(root / "dense"))],
                        max_message_bytes=1000) as (server, _):
        yield server


BODY = json.dumps({"instances": [[1.0, 2.0, 3.0, 4.0]]}).encode()


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_expect_100_continue_gets_exactly_one_100(small, framing):
    if framing == "length":
        head, body = b"Content-Length: %d\r\n" % len(BODY), BODY
    else:
        head, body = b"Transfer-Encoding: chunked\r\n", b"%x\r\n%s\r\n0\r\n\r\n" % (
            len(BODY), BODY)
    data = _raw(small.http_port, b"POST /v1/models/dense:predict HTTP/1.1\r\nHost: x\r\n"
                b"Expect: 100-continue\r\nConnection: close\r\n" + head + b"\r\n", body)
    lines = data.split(b"\r\n")
    assert sum(line.startswith(b"HTTP/1.1 100") for line in lines) == 1, data
    assert data.startswith(b"HTTP/1.1 100 ") and b"HTTP/1.1 200 " in data
    assert b'"predictions"' in data


def test_expect_100_continue_with_an_oversized_body_gets_413_and_no_100(small):
    data = _raw(small.http_port, b"POST /v1/models/dense:predict HTTP/1.1\r\nHost: x\r\n"
                b"Expect: 100-continue\r\nContent-Length: 100000\r\n\r\n", b"{" * 100000)
    assert data.startswith(b"HTTP/1.1 413 "), data
    assert b" 100 " not in data.split(b"\r\n\r\n", 1)[0] and b"HTTP/1.1 100" not in data


def test_expect_100_continue_from_an_http_1_0_client_gets_no_100(small):
    """RFC 9110 10.1.1: a server must not send 100 to an HTTP/1.0 client."""
    data = _raw(small.http_port, b"POST /v1/models/dense:predict HTTP/1.0\r\nHost: x\r\n"
                b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(BODY), BODY)
    assert b"HTTP/1.1 100" not in data and data.startswith(b"HTTP/1.1 200 "), data
