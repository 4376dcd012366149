"""The HTTP port's connection handling, which the REST APIs rely on: keep-alive, a timeout for
idle or half-sent connections, and a graceful stop that lets REST requests in flight finish
(as gRPC's) while refusing new ones. A real server on 127.0.0.1, ephemeral ports."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import numpy as np

import minitf as tf
from minitf.export import save_model
from minitf.serving.repository import ModelConfig

from .conftest import reference, running_server, wait_for, write_model

WAIT = 20.0
X3 = np.array([[0.5, -1.0, 2.0, 0.1], [1.0, 1.0, -0.5, 0.0], [0.0, 0.2, 0.3, -2.0]], np.float32)


def _post(port, path, body, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    data = json.dumps(body).encode()
    conn.request("POST", path, data, {"Content-Type": "application/json"})
    r = conn.getresponse()
    out = r.status, json.loads(r.read()), r.version
    if own:
        conn.close()
    return out


def _slow_model(base: str):
    """y = x + 0 * (a while loop of x's first value iterations): slow on demand, in minitf's
    own loop (about 4 us per iteration)."""
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None, 1], name="x")
        k = tf.cast(tf.reduce_max(x), tf.int32)
        _, acc = tf.while_loop(lambda i, a: i < k, lambda i, a: (i + 1, a + 1.0),
                               [tf.constant(0), tf.constant(0.0)])
        y = tf.identity(x + acc * 0.0, name="y")
        save_model(base + "/1", sess, inputs={"x": x}, outputs={"y": y})


def test_keep_alive_serves_several_requests_on_one_connection(tmp_path):
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))]) as (
            server, _):
        conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=WAIT)
        try:
            status, body, version = _post(server.http_port, "/v1/models/dense:predict",
                                          {"instances": X3.tolist()}, conn)
            sock = conn.sock
            assert status == 200 and version == 11 and sock is not None
            np.testing.assert_allclose([row["probs"] for row in body["predictions"]],
                                       reference(X3)["probs"], rtol=1e-5, atol=1e-6)
            # An error answer keeps the connection too (its body was read).
            status, body, _ = _post(server.http_port, "/v1/models/nope:predict",
                                    {"instances": [[1.0]]}, conn)
            assert status == 404 and "nope" in body["error"]
            status, _, _ = _post(server.http_port, "/v1/models/dense:predict",
                                 {"instances": X3.tolist()}, conn)
            assert status == 200 and conn.sock is sock  # the same TCP connection throughout
        finally:
            conn.close()


def test_an_idle_or_half_sent_connection_is_closed_after_the_rest_timeout(tmp_path):
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))],
                        rest_api_timeout_seconds=0.3) as (server, _):
        half = socket.create_connection(("127.0.0.1", server.http_port), timeout=WAIT)
        idle = socket.create_connection(("127.0.0.1", server.http_port), timeout=WAIT)
        try:
            half.sendall(b"POST /v1/models/dense:predict HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Length: 1000\r\n\r\n{")
            start = time.monotonic()
            # The server gives up on both and closes them: recv sees the end of the stream
            # (after whatever error answer it sent).
            for s in (half, idle):
                while s.recv(4096):
                    pass
            assert time.monotonic() - start < 10
        finally:
            half.close()
            idle.close()
        # The server still answers.
        assert _post(server.http_port, "/v1/models/dense:predict",
                     {"instances": X3.tolist()})[0] == 200


def test_stop_lets_rest_requests_in_flight_finish_and_refuses_new_ones(tmp_path):
    _slow_model(str(tmp_path / "slow"))
    with running_server([ModelConfig(name="slow", base_path=str(tmp_path / "slow"))]) as (
            server, _):
        # Warm up (the first run compiles the plan), then time a slow request: the fastest
        # of three is the one least disturbed by whatever else the machine is doing.
        assert _post(server.http_port, "/v1/models/slow:predict", {"instances": [[1.0]]})[0] \
            == 200
        best = float("inf")
        for _ in range(3):
            start = time.monotonic()
            assert _post(server.http_port, "/v1/models/slow:predict",
                         {"instances": [[50000.0]]})[0] == 200
            best = min(best, time.monotonic() - start)
        n = int(50000 * min(max(3.0 / max(best, 1e-3), 1.0), 60.0))
        results = {}
        long = 90.0  # the bound on the slow request: its 3 s may take 30 s on a loaded machine

        def slow():  # about three seconds of work on an idle machine
            conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=long)
            try:
                results["slow"] = _post(server.http_port, "/v1/models/slow:predict",
                                        {"instances": [[float(n)]]}, conn)
            finally:
                conn.close()

        # The timed requests are answered before the server counts them out of flight.
        wait_for(lambda: server._rest_inflight == 0, "the timed requests to finish")
        caller = threading.Thread(target=slow)
        caller.start()
        # It is in flight (being read or computed) before stop() begins.
        wait_for(lambda: server._rest_inflight == 1, "the slow request to be in flight")
        end = time.monotonic() + WAIT
        stopper = threading.Thread(target=server.stop, kwargs={"grace": long})
        stopper.start()
        while not server.health.stopping.is_set() and time.monotonic() < end:
            time.sleep(0.005)
        if caller.is_alive():  # still running: a new POST meanwhile is refused
            status, body, _ = _post(server.http_port, "/v1/models/slow:predict",
                                    {"instances": [[1.0]]})
            assert status == 503 and "shutting down" in body["error"]
        caller.join(long)
        stopper.join(WAIT)
        assert not stopper.is_alive() and not caller.is_alive()
        status, body, _ = results["slow"]
        assert status == 200 and body == {"predictions": [[float(n)]]}


def test_a_slow_upload_holds_no_turn_and_times_out_with_408(tmp_path):
    """--rest_api_num_threads counts requests being processed, not uploads: with one turn, a
    client trickling its body does not hold up another's predict; when it stops sending for
    the REST timeout, it gets 408 and its connection closes."""
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))],
                        rest_api_num_threads=1, rest_api_timeout_seconds=5.0) as (server, _):
        slow = socket.create_connection(("127.0.0.1", server.http_port), timeout=WAIT)
        answer = []
        predicted = threading.Event()

        def trickle():
            slow.sendall(b"POST /v1/models/dense:predict HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Length: 100\r\n\r\n")
            # A byte every 0.3 s until the other predict is answered (at most 99 bytes, ~30 s:
            # longer than that predict may take), then nothing.
            for _ in range(99):
                slow.sendall(b"{")
                if predicted.wait(0.3):
                    break
            data = b""
            while chunk := slow.recv(4096):
                data += chunk
            answer.append(data)

        thread = threading.Thread(target=trickle)
        thread.start()
        try:
            # The upload is in flight: the server is reading its body.
            wait_for(lambda: server._rest_inflight == 1, "the upload to be in flight")
            try:
                status, body, _ = _post(server.http_port, "/v1/models/dense:predict",
                                        {"instances": X3.tolist()})
            finally:
                predicted.set()
            assert status == 200
            np.testing.assert_allclose([row["probs"] for row in body["predictions"]],
                                       reference(X3)["probs"], rtol=1e-5, atol=1e-6)
            assert thread.is_alive() and not answer  # answered while the upload went on
            thread.join(WAIT)
            assert not thread.is_alive()
            assert answer and answer[0].startswith(b"HTTP/1.1 408 ")
            assert b"did not arrive in time" in answer[0]
        finally:
            slow.close()


def test_stop_closes_kept_alive_connections(tmp_path):
    """An idle kept-alive connection does not serve on after stop(), nor hold it up."""
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))]) as (
            server, _):
        conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=WAIT)
        conn.request("GET", "/v1/models/dense")
        response = conn.getresponse()
        assert response.status == 200 and response.version == 11
        response.read()
        start = time.monotonic()
        server.stop(grace=WAIT)
        assert time.monotonic() - start < 5
        assert conn.sock.recv(1) == b""  # closed by the server
        conn.close()


def test_a_request_refused_before_its_body_is_read_closes_the_connection(tmp_path):
    """A version that is not an int64 is refused before the body is read: the body is still
    in the stream, so the connection closes instead of reading it as the next request."""
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))]) as (
            server, _):
        body = json.dumps({"instances": X3.tolist()}).encode()
        s = socket.create_connection(("127.0.0.1", server.http_port), timeout=WAIT)
        try:
            s.sendall(b"POST /v1/models/dense/versions/99999999999999999999:predict HTTP/1.1\r\n"
                      b"Host: x\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
                      + body)
            data = b""
            while chunk := s.recv(4096):  # the server closes after its answer
                data += chunk
        finally:
            s.close()
        head, _, answer = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 ") and b"Connection: close" in head
        assert b"Failed to convert version" in answer and data.count(b"HTTP/1.1") == 1


def test_a_client_gone_before_its_answer_leaves_no_traceback(tmp_path, capfd):
    """Clients that send half a request and leave: the server's answer (400, the body ended
    early) meets a closed socket. That is no error of the server's: nothing is printed (a
    traceback per dropped client before), and the server goes on answering."""
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))]) as \
            (server, _):
        for _ in range(10):
            s = socket.create_connection(("127.0.0.1", server.http_port), timeout=WAIT)
            s.sendall(b"POST /v1/models/dense:predict HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 100\r\n\r\n{\"inst")
            s.shutdown(socket.SHUT_WR)  # the body ends early: the server answers at once
            s.close()                   # ... to nobody
        status, body, _ = _post(server.http_port, "/v1/models/dense:predict",
                                {"instances": X3.tolist()})
        assert status == 200
        np.testing.assert_allclose([row["probs"] for row in body["predictions"]],
                                   reference(X3)["probs"], rtol=1e-5, atol=1e-6)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipeError" not in err


def _exchange(port, request: bytes) -> tuple[bytes, float]:
    """Sends ``request`` on a fresh connection and reads until the server closes it: (all
    it answered, the seconds that took)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    start, data = time.monotonic(), b""
    try:
        s.sendall(request)
        while chunk := s.recv(4096):
            data += chunk
    finally:
        s.close()
    return data, time.monotonic() - start


def test_an_http09_request_is_refused_with_a_status_line(tmp_path, capfd):
    """"GET /path" with no version is HTTP/0.9: 400 "HTTP/0.9 is not supported" with a status
    line, at once, and the connection closes. (It raised AttributeError in _end, a traceback
    and no answer; with one CRLF http.server first waited the REST timeout for headers that
    HTTP/0.9 never sends.) A malformed request line's 400 has a status line too, where
    http.server wrote a bare body."""
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))]) as (
            server, _):
        for request in (b"GET /healthz\r\n\r\n", b"GET /healthz\r\n", b"HEAD /readyz\r\n"):
            data, took = _exchange(server.http_port, request)
            head, _, body = data.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400 ") and b"Connection: close" in head, data
            assert b"HTTP/0.9 is not supported" in body and took < WAIT / 4, (request, took)
        data, _ = _exchange(server.http_port, b"GET / HTTP/1.1 x\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 400 Bad request version"), data
        # The server goes on answering.
        data, _ = _exchange(server.http_port, b"GET /healthz HTTP/1.0\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b"\r\n\r\nok\n"), data
    err = capfd.readouterr().err
    assert "Traceback" not in err and "AttributeError" not in err, err
