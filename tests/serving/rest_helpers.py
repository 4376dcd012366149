"""Plain helpers shared by the REST API tests (test_rest_tfserving.py, test_rest_kserve.py,
test_rest_http.py): the models only they serve, the inputs they send, and the urllib /
http.client calls that talk to the server's HTTP port. The fixtures serving these models
("rest_served", "odd_served") are in conftest.py.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import numpy as np

import minitf as tf
from minitf.export import save_model

X3 = np.array([[0.5, -1.25, 2.0, 0.75], [-0.5, 0.25, -1.5, 1.0], [1.5, 0.5, -0.25, -2.0]],
              np.float32)
RTOL, ATOL = 1e-5, 1e-6
ROWS = X3.tolist()


def write_mixed_model(base: str) -> str:
    """"mixed": inputs words (string [None]) and ids (int64 [None, 2]); outputs total (int64
    sum of ids), positive (bool), words (the strings back) and echo_bytes (the same, which TF
    Serving writes as {"b64": ...} for its name's "_bytes" suffix)."""
    graph = tf.Graph()
    with graph.as_default():
        words = tf.placeholder(tf.string, [None], name="words")
        ids = tf.placeholder(tf.int64, [None, 2], name="ids")
        total = tf.reduce_sum(ids, axis=1, name="total")
        positive = tf.greater(total, tf.constant(0, tf.int64), name="positive")
        with tf.Session(graph=graph) as sess:
            return save_model(os.path.join(base, "1"), sess,
                              inputs={"words": words, "ids": ids},
                              outputs={"total": total, "positive": positive,
                                       "words": tf.identity(words, name="words_out"),
                                       "echo_bytes": tf.identity(words, name="echo")})


def write_identity_model(base: str) -> str:
    """"ident": x float32 [None] -> y (x) and d (x as float64): float formatting as is."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        with tf.Session(graph=graph) as sess:
            return save_model(os.path.join(base, "1"), sess, inputs={"x": x},
                              outputs={"y": tf.identity(x, name="y"),
                                       "d": tf.cast(x, tf.float64, name="d")})


def write_odd_model(base: str) -> str:
    """"odd": x float32 [None]; serving_default -> total (0-d sum) and any (0-d bool); pos
    -> x's positive values (0 rows when none); split -> pos and the others; half -> x as
    float16."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        total = tf.reduce_sum(x, name="total")
        anyp = tf.greater(total, tf.constant(0.0), name="any")
        pos = tf.boolean_mask(x, tf.greater(x, tf.constant(0.0)), name="pos")
        rest = tf.boolean_mask(x, tf.logical_not(tf.greater(x, tf.constant(0.0))), name="rest")
        with tf.Session(graph=graph) as sess:
            return save_model(os.path.join(base, "1"), sess, signatures={
                "serving_default": {"inputs": {"x": x},
                                    "outputs": {"total": total, "any": anyp}},
                "pos": {"inputs": {"x": x}, "outputs": {"pos": pos}},
                "split": {"inputs": {"x": x}, "outputs": {"pos": pos, "rest": rest}},
                "half": {"inputs": {"x": x},
                         "outputs": {"h": tf.cast(x, tf.float16, name="h")}}})


def call(server, path, body=None, raw: bytes | None = None):
    """(status, parsed JSON or None, text) of a GET (no body) or POST."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{server.http_port}{path}", data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, text = resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    return status, (json.loads(text) if text else None), text


def ok(server, path, body=None):
    status, doc, text = call(server, path, body)
    assert status == 200, text
    return doc


def _x(**overrides):
    t = {"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [1.0, 2.0, 3.0, 4.0]}
    t.update(overrides)
    return {"inputs": [t]}


def _post_binary(server, path, doc, binary=b"", header_length=None):
    """An infer request of the binary tensor extension: JSON, then the inputs' bytes."""
    header = json.dumps(doc).encode()
    length = str(len(header)) if header_length is None else header_length
    req = urllib.request.Request(f"http://127.0.0.1:{server.http_port}{path}",
                                 data=header + binary,
                                 headers={"Inference-Header-Content-Length": length})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def _split(headers, body):
    n = int(headers["Inference-Header-Content-Length"])
    return json.loads(body[:n]), body[n:]
