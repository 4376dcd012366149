"""The HTTP plumbing under both REST APIs (/v1 and /v2): Content-Length, chunked request
bodies and the message size limit; and REST requests in the metrics, the model statistics and
the batcher. Against a real server on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.request

import numpy as np

from minitf.serving.batching import BatchingConfig
from minitf.serving.repository import ModelConfig

from .conftest import reference, running_server, write_model
from .rest_helpers import ATOL, ROWS, RTOL, X3, _x, call, ok


# -- Content-Length and the message size limit -------------------------------------------------
def _raw_post(server, path, headers, body=b""):
    """A POST with exactly these headers (urllib always adds Content-Length)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
    try:
        conn.putrequest("POST", path, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders(body or None)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_content_length_required_and_valid(rest_served):
    server, _ = rest_served
    status, doc = _raw_post(server, "/v1/models/dense:predict", {})
    assert status == 411 and doc["error"].startswith("Content-Length is required")
    status, doc = _raw_post(server, "/v2/models/dense/infer", {"Content-Length": "12x"})
    assert status == 400 and "invalid Content-Length: '12x'" in doc["error"]


def test_request_body_bounded_by_max_message_bytes(tmp_path):
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))],
                        max_message_bytes=4096, reflection=False) as (server, _):
        small = {"instances": X3.tolist()}
        assert call(server, "/v1/models/dense:predict", small)[0] == 200
        big = {"instances": np.zeros((300, 4)).tolist()}
        for path in ("/v1/models/dense:predict", "/v2/models/dense/infer"):
            status, doc, _ = call(server, path, big)
            assert status == 413, path
            assert "exceeds the server's message size limit 4096" in doc["error"]


# -- metrics and batching ----------------------------------------------------------------------
def _count(server, **labels) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/metrics",
                                  timeout=10).read().decode()
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("minitf_requests_total{") and line[line.index("{") + 1:
                                                              line.index("}")] == want:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_requests_count_in_metrics_and_model_statistics(rest_served):
    server, _ = rest_served
    labels = dict(api="rest.predict", code="OK", model="dense", version="1")
    failed = dict(api="rest.v2.infer", code="INVALID_ARGUMENT", model="dense", version="2")
    before, before_failed = _count(server, **labels), _count(server, **failed)
    stats_before = server.plane.stats.get("dense", 1)
    for _ in range(3):
        ok(server, "/v1/models/dense/versions/1:predict", {"instances": X3.tolist()})
    ok(server, "/v2/models/dense/versions/1/infer", _x())
    assert call(server, "/v2/models/dense/infer", _x(shape=[1, 3]))[0] == 400
    assert _count(server, **labels) == before + 3
    assert _count(server, **failed) == before_failed + 1
    stats = server.plane.stats.get("dense", 1)
    assert stats["ok"] - stats_before.get("ok", 0) == 4  # 3 predicts and an infer
    assert stats["rows"] - stats_before.get("rows", 0) == 10


def test_rest_predicts_share_the_batcher(tmp_path):
    """Four one-row REST requests sent together run as one batch of four: it is full, so it
    runs at once (apart, a lone request would wait out the 30 s batch timeout, beyond the
    requests' 10 s timeout)."""
    write_model(str(tmp_path / "dense"), 1)
    config = ModelConfig(name="dense", base_path=str(tmp_path / "dense"))
    with running_server([config], BatchingConfig(max_batch_size=4,
                                                 batch_timeout_micros=30_000_000),
                        reflection=False) as (server, _):
        results = [None] * 4

        def send(i):
            results[i] = call(server, "/v1/models/dense:predict", {"instances": [ROWS[i % 3]]})

        threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not any(t.is_alive() for t in threads)
        assert [r and r[0] for r in results] == [200] * 4
        stats = server.plane.stats.get("dense", 1)
        assert (stats["executions"], stats["rows"], stats["ok"]) == (1, 4, 4)
        for i, (_, doc, _) in enumerate(results):
            np.testing.assert_allclose(doc["predictions"][0]["probs"],
                                       reference(X3[i % 3:i % 3 + 1])["probs"][0],
                                       rtol=RTOL, atol=ATOL)


# -- request bodies ----------------------------------------------------------------------------
def _chunked_post(server, path, parts, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
    try:
        conn.request("POST", path, body=iter(parts), encode_chunked=True,
                     headers=headers or {"Transfer-Encoding": "chunked"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_chunked_request_bodies_are_read(rest_served):
    server, _ = rest_served
    body = json.dumps({"instances": X3.tolist()}).encode()
    parts = [body[:10], body[10:11], body[11:]]
    want = ok(server, "/v1/models/dense:predict", {"instances": X3.tolist()})
    assert _chunked_post(server, "/v1/models/dense:predict", parts) == (200, want)
    body = json.dumps(_x()).encode()
    status, doc = _chunked_post(server, "/v2/models/dense/infer", [body[:7], body[7:]])
    assert status == 200 and doc["model_name"] == "dense"
    # Transfer codings other than chunked are refused, not misread.
    status, doc = _raw_post(server, "/v1/models/dense:predict",
                            {"Transfer-Encoding": "gzip, chunked"}, b"0\r\n\r\n")
    assert status == 501 and "Transfer-Encoding 'gzip, chunked' is not supported" in doc["error"]
    status, doc = _raw_post(server, "/v1/models/dense:predict", {"Transfer-Encoding": "chunked"},
                            b"zz\r\n")
    assert status == 400 and "invalid chunk size line" in doc["error"]


def test_chunked_body_bounded_by_max_message_bytes(tmp_path):
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))],
                        max_message_bytes=4096, reflection=False) as (server, _):
        big = json.dumps({"instances": np.zeros((300, 4)).tolist()}).encode()
        parts = [big[i:i + 1000] for i in range(0, len(big), 1000)]
        status, doc = _chunked_post(server, "/v1/models/dense:predict", parts)
        assert status == 413
        assert "exceeds the server's message size limit 4096" in doc["error"]
        small = json.dumps({"instances": X3.tolist()}).encode()
        assert _chunked_post(server, "/v1/models/dense:predict", [small])[0] == 200


def test_refused_requests_count_under_the_paths_model(rest_served):
    """Malformed JSON is counted under the model the path names when it is configured (and
    under "_unknown" otherwise: labels stay bounded to configured models)."""
    server, _ = rest_served
    labels = dict(api="rest.predict", code="INVALID_ARGUMENT", model="dense", version="")
    unknown = dict(labels, model="_unknown")
    before, before_unknown = _count(server, **labels), _count(server, **unknown)
    assert call(server, "/v1/models/dense:predict", raw=b"{nope")[0] == 400
    assert call(server, "/v1/models/nope-42:predict", raw=b"{nope")[0] == 400
    assert _count(server, **labels) == before + 1
    assert _count(server, **unknown) == before_unknown + 1
