"""The HTTP port's transport: answers leave at once (TCP_NODELAY, headers and body in one
write), a burst of connections waits in the listen queue, compressed request bodies
(Content-Encoding gzip / deflate, as Triton and TF Serving read them) within the size limit,
and request framing that cannot smuggle a second request (RFC 9112 6.1, 6.3). Against a real
server on 127.0.0.1, ephemeral ports."""

from __future__ import annotations

import errno
import gzip
import http.client
import json
import select
import socket
import socketserver
import statistics
import threading
import time
import zlib

import numpy as np
import pytest

from minitf.serving.repository import ModelConfig

from .conftest import reference, running_server, write_model
from .rest_helpers import ATOL, RTOL, X3

WAIT = 10.0
PREDICT = "/v1/models/dense/versions/1:predict"
INFER = "/v2/models/dense/versions/1/infer"
# How each coding is made, independently of the server: gzip's own module, and the zlib
# format tritonclient sends as "deflate" (zlib.compress).
CODECS = {"gzip": gzip.compress, "deflate": zlib.compress}


def _request(port, method, path, body=None, headers=None, conn=None):
    """(status, headers, body bytes) of one request, on ``conn`` when given."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    finally:
        if own:
            conn.close()


def _server_side(server, client_sock):
    """The server's accepted socket of ``client_sock``'s connection."""
    me = client_sock.getsockname()
    for sock in list(server._connections):
        try:
            if sock.getpeername() == me:
                return sock
        except OSError:
            continue
    raise AssertionError(f"no accepted connection from {me}")


def _dense_infer_json():
    return {"inputs": [{"name": "x", "datatype": "FP32", "shape": [3, 4],
                        "data": X3.reshape(-1).tolist()}],
            "outputs": [{"name": "probs"}]}


def _probs_of_infer(body: bytes) -> np.ndarray:
    doc = json.loads(body)
    (out,) = doc["outputs"]
    return np.array(out["data"], np.float32).reshape(out["shape"])


# -- 1. answers leave at once ------------------------------------------------------------------
def test_keep_alive_answers_are_not_held_back_by_nagle(rest_served):
    """Each answer on a kept-alive connection used to wait ~40 ms for the client's delayed
    ACK of the headers sent alone (Nagle). The accepted socket has TCP_NODELAY, and 30
    predicts in a row take well under that each (loose bound: a busy 2-core machine)."""
    server, _ = rest_served
    body = json.dumps({"instances": X3.tolist()}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=WAIT)
    try:
        status, _, answer = _request(server.http_port, "POST", PREDICT, body, conn=conn)
        assert status == 200
        np.testing.assert_allclose([p["probs"] for p in json.loads(answer)["predictions"]],
                                   reference(X3)["probs"], rtol=RTOL, atol=ATOL)
        accepted = _server_side(server, conn.sock)
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        times = []
        for _ in range(30):
            start = time.perf_counter()
            status, _, _ = _request(server.http_port, "POST", PREDICT, body, conn=conn)
            times.append(time.perf_counter() - start)
            assert status == 200
        assert statistics.median(times) < 0.030, sorted(times)
    finally:
        conn.close()


def test_headers_and_body_go_out_in_one_write(rest_served, monkeypatch):
    """A small answer is one write to the socket (two sends would put the headers in a
    segment of their own)."""
    server, _ = rest_served
    writes, lock = [], threading.Lock()
    original = socketserver._SocketWriter.write

    def counted(self, data):
        with lock:
            writes.append((self._sock, bytes(data)))
        return original(self, data)

    monkeypatch.setattr(socketserver._SocketWriter, "write", counted)
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=WAIT)
    try:
        for method, path, body in (("GET", "/v2/health/live", None),
                                   ("POST", PREDICT, json.dumps({"instances": X3.tolist()})),
                                   ("GET", "/v1/models/dense", None)):
            status, _, answer = _request(server.http_port, method, path, body, conn=conn)
            assert status == 200
            accepted = _server_side(server, conn.sock)
            mine = [d for s, d in writes if s is accepted]
            writes.clear()
            assert len(mine) == 1 and mine[0].startswith(b"HTTP/1.1 200"), (path, mine)
            assert mine[0].endswith(answer)
    finally:
        conn.close()


# -- 2. the listen backlog ---------------------------------------------------------------------
def test_a_burst_of_connections_waits_in_the_listen_queue(tmp_path):
    """64 connections opened while the server accepts none all complete their handshake in
    the kernel's listen queue (a backlog of 5 held 6; the rest were dropped, then reset), and
    all are served once it accepts again."""
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))],
                        reflection=False) as (server, _):
        http_server = server._http
        assert http_server.request_queue_size >= 1024
        http_server.shutdown()  # stops accepting; the listening socket stays open
        socks = []
        try:
            for _ in range(64):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                socks.append(s)
                assert s.connect_ex(("127.0.0.1", server.http_port)) in (
                    0, errno.EINPROGRESS, errno.EWOULDBLOCK)
            pending, deadline = set(socks), time.monotonic() + 3.0
            while pending and time.monotonic() < deadline:
                _, ready, _ = select.select([], list(pending), [], 0.1)
                for s in ready:
                    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
                    pending.discard(s)
            assert not pending, f"{len(pending)} of 64 connections not accepted by the kernel"
            # Accept again (server.stop() shuts this loop down as the first).
            server._http_thread = threading.Thread(target=http_server.serve_forever,
                                                   args=(0.1,), daemon=True)
            server._http_thread.start()
            for s in socks:
                s.setblocking(True)
                s.settimeout(WAIT)
                s.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            for s in socks:
                assert _read_all(s).startswith(b"HTTP/1.1 200 ")
        finally:
            for s in socks:
                s.close()


# -- 3. compressed request bodies --------------------------------------------------------------
@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_compressed_predict_and_infer_bodies_are_read(rest_served, coding):
    server, _ = rest_served
    port, want = server.http_port, reference(X3)["probs"]
    compress = CODECS[coding]
    # TF Serving's predict, JSON
    status, _, answer = _request(port, "POST", PREDICT, compress(json.dumps(
        {"instances": X3.tolist()}).encode()), {"Content-Encoding": coding})
    assert status == 200, answer
    np.testing.assert_allclose([p["probs"] for p in json.loads(answer)["predictions"]], want,
                               rtol=RTOL, atol=ATOL)
    # KServe infer, JSON
    status, _, answer = _request(port, "POST", INFER, compress(json.dumps(
        _dense_infer_json()).encode()), {"Content-Encoding": coding})
    assert status == 200, answer
    np.testing.assert_allclose(_probs_of_infer(answer), want, rtol=RTOL, atol=ATOL)
    # KServe infer, binary tensor extension: Inference-Header-Content-Length counts the
    # uncompressed JSON.
    doc = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [3, 4],
                       "parameters": {"binary_data_size": X3.nbytes}}],
           "outputs": [{"name": "probs"}]}
    header = json.dumps(doc).encode()
    status, _, answer = _request(port, "POST", INFER, compress(header + X3.astype("<f4")
                                                                .tobytes()),
                                 {"Content-Encoding": coding,
                                  "Inference-Header-Content-Length": str(len(header))})
    assert status == 200, answer
    np.testing.assert_allclose(_probs_of_infer(answer), want, rtol=RTOL, atol=ATOL)


def test_unsupported_or_broken_encodings_are_refused(rest_served):
    server, _ = rest_served
    body = json.dumps(_dense_infer_json()).encode()
    for coding in ("br", "gzip, br", "gzip, gzip"):
        for path in (INFER, PREDICT):
            status, headers, answer = _request(server.http_port, "POST", path, body,
                                               {"Content-Encoding": coding})
            assert status == 415, (coding, path, answer)
            assert headers["Accept-Encoding"] == "gzip, deflate"
            assert "is not supported" in json.loads(answer)["error"]
    status, _, answer = _request(server.http_port, "POST", INFER, body,
                                 {"Content-Encoding": "identity"})
    assert status == 200, answer
    for coding, data, fragment in (
            ("gzip", body, "not valid gzip data"),
            ("deflate", gzip.compress(body), "not valid deflate data"),  # gzip is not zlib
            ("gzip", gzip.compress(body)[:-12], "ends before its compressed data does"),
            ("deflate", zlib.compress(body) + b"junk", "4 bytes follow the deflate")):
        status, _, answer = _request(server.http_port, "POST", INFER, data,
                                     {"Content-Encoding": coding})
        assert status == 400 and fragment in json.loads(answer)["error"], answer


def test_decompressed_bodies_are_bounded_by_max_message_bytes(tmp_path):
    """2 KiB inflating to 2 MiB (a zip bomb) is refused with 413, as the same body sent
    uncompressed; one that inflates to under the limit is served."""
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))],
                        max_message_bytes=4096, reflection=False) as (server, _):
        bomb = b"{" + b" " * (2 << 20) + b"}"
        for coding, compress in CODECS.items():
            data = compress(bomb)
            assert len(data) < 4096
            for path in ("/v1/models/dense:predict", "/v2/models/dense/infer"):
                status, _, answer = _request(server.http_port, "POST", path, data,
                                             {"Content-Encoding": coding})
                assert status == 413, (coding, path, answer)
                assert "exceeds the server's message size limit 4096" in \
                    json.loads(answer)["error"]
            small = compress(json.dumps({"instances": X3.tolist()}).encode())
            status, _, answer = _request(server.http_port, "POST", "/v1/models/dense:predict",
                                         small, {"Content-Encoding": coding})
            assert status == 200, answer


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_infer_answers_are_compressed_as_accept_encoding_asks(rest_served, coding):
    """As Triton: a successful infer answer in the coding Accept-Encoding prefers."""
    server, _ = rest_served
    body = json.dumps(_dense_infer_json()).encode()
    status, headers, answer = _request(server.http_port, "POST", INFER, body,
                                       {"Accept-Encoding": f"identity;q=0.5, {coding}"})
    assert status == 200 and headers["Content-Encoding"] == coding
    plain = gzip.decompress(answer) if coding == "gzip" else zlib.decompress(answer)
    np.testing.assert_allclose(_probs_of_infer(plain), reference(X3)["probs"],
                               rtol=RTOL, atol=ATOL)
    status, headers, _ = _request(server.http_port, "POST", INFER, body,
                                  {"Accept-Encoding": f"{coding};q=0"})
    assert status == 200 and headers["Content-Encoding"] is None


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_tritonclient_http_with_compression(rest_served, coding):
    triton_http = pytest.importorskip("tritonclient.http")
    server, _ = rest_served
    client = triton_http.InferenceServerClient(f"127.0.0.1:{server.http_port}")
    try:
        x = triton_http.InferInput("x", [3, 4], "FP32")
        x.set_data_from_numpy(X3, binary_data=True)
        result = client.infer("dense", [x], model_version="1",
                              outputs=[triton_http.InferRequestedOutput("probs",
                                                                        binary_data=True)],
                              request_compression_algorithm=coding,
                              response_compression_algorithm=coding)
        np.testing.assert_allclose(result.as_numpy("probs"), reference(X3)["probs"],
                                   rtol=RTOL, atol=ATOL)
    finally:
        client.close()


# -- 4. request framing ------------------------------------------------------------------------
def _read_all(sock) -> bytes:
    """Everything the server sends until it closes the connection (at most WAIT seconds)."""
    out, deadline = b"", time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            raise AssertionError(f"the connection stayed open; got {out[:300]!r}") from None
        if not data:
            return out
        out += data
    raise AssertionError(f"the connection stayed open; got {out[:300]!r}")


SMUGGLED = b"GET /v2/models/dense/ready HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize("head", [
    # conflicting Content-Length fields: the first (0) would leave the rest as a request
    b"POST " + PREDICT.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
    b"Content-Length: %d\r\n\r\n" % len(SMUGGLED),
    b"POST " + INFER.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 0, %d\r\n\r\n"
    % len(SMUGGLED),
    # both framings: chunked says the body ends at "0", Content-Length that it goes on
    b"POST " + PREDICT.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % (5 + len(SMUGGLED)),
    # bodies no handler reads: a GET's, and a POST's to a GET-only path
    b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED),
    b"GET /v1/models/dense/metadata HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
    % len(SMUGGLED),
    b"POST /v2/health/live HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED),
], ids=["two-fields", "list", "te-and-cl", "get-body", "rest-get-body", "post-405-body"])
def test_a_request_hidden_in_an_ambiguous_body_is_not_served(rest_served, head):
    server, _ = rest_served
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=WAIT) as s:
        s.sendall(head + SMUGGLED)
        out = _read_all(s)
    assert out.count(b"HTTP/1.1 ") == 1, out  # one answer, then the connection closed
    assert b"Connection: close" in out.split(b"\r\n\r\n", 1)[0]


def test_repeated_identical_content_lengths_are_one_length(rest_served):
    server, _ = rest_served
    body = json.dumps({"instances": X3.tolist()}).encode()
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=WAIT) as s:
        s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nContent-Length: %d"
                  b"\r\nConnection: close\r\n\r\n" % (PREDICT.encode(), len(body), len(body))
                  + body)
        out = _read_all(s)
    assert out.startswith(b"HTTP/1.1 200 "), out[:300]
    doc = json.loads(out.split(b"\r\n\r\n", 1)[1])
    np.testing.assert_allclose([p["probs"] for p in doc["predictions"]],
                               reference(X3)["probs"], rtol=RTOL, atol=ATOL)
