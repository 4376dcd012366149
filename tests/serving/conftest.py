"""Shared fixtures for serving tests: small exported models and a real server on 127.0.0.1
with ephemeral ports and its own metrics registry."""

from __future__ import annotations

import contextlib
import os
import time

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

import minitf as tf
from minitf.export import save_model
from minitf.serving.batching import BatchingConfig
from minitf.serving.client import Client
from minitf.serving.config import ServerOptions
from minitf.serving.repository import ModelConfig
from minitf.serving.server import ModelServer

from .rest_helpers import write_identity_model, write_mixed_model, write_odd_model

RNG = np.random.default_rng(7)
W1 = RNG.standard_normal((4, 8)).astype(np.float32)
B1 = RNG.standard_normal(8).astype(np.float32)
W2 = RNG.standard_normal((8, 3)).astype(np.float32)


def wait_for(predicate, what: str, timeout: float = 20.0):
    """Polls ``predicate`` until it returns something true (returned), for at most ``timeout``
    seconds; then fails naming ``what``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        result = predicate()
        if result:
            return result
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def reference(x: np.ndarray, scale: float = 1.0) -> dict:
    """The numpy reference of :func:`write_model`'s graph."""
    h = np.maximum(x @ W1 + B1, 0)
    logits = (h @ W2) * np.float32(scale)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return {"probs": e / e.sum(axis=1, keepdims=True), "classes": logits.argmax(axis=1),
            "logits": logits}


def write_model(base: str, version: int, scale: float = 1.0) -> str:
    """A small dense model: input "x" [None, 4] float32; outputs "probs", "classes", "logits".

    ``scale`` multiplies the logits, so versions are distinguishable by their outputs.
    """
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        w1 = tf.Variable(W1, name="w1")
        b1 = tf.Variable(B1, name="b1")
        w2 = tf.Variable(W2, name="w2")
        h = tf.nn.relu(tf.matmul(x, w1) + b1)
        logits = tf.multiply(tf.matmul(h, w2), scale, name="logits")
        probs = tf.nn.softmax(logits, name="probs")
        classes = tf.argmax(logits, axis=1, name="classes")
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            return save_model(os.path.join(base, str(version)), sess,
                              inputs={"x": x},
                              outputs={"probs": probs, "classes": classes, "logits": logits})


@pytest.fixture
def model_base(tmp_path):
    """``<tmp>/models/dense`` with version 1 exported."""
    base = tmp_path / "models" / "dense"
    write_model(str(base), 1)
    return str(base)


@contextlib.contextmanager
def running_server(models, batching=None, poll_seconds=0.0, host="127.0.0.1", **options):
    """A started ModelServer on ephemeral ports (stopped on exit) and a Client for it."""
    opts = ServerOptions(grpc_port=0, http_port=0, host=host, models=models,
                         batching=batching, poll_seconds=poll_seconds, grace_seconds=5,
                         **options)
    server = ModelServer(opts, registry=CollectorRegistry(), process_metrics=False)
    server.start()
    client = Client(f"[{host}]:{server.grpc_port}" if ":" in host else
                    f"{host}:{server.grpc_port}", timeout=10)
    try:
        yield server, client
    finally:
        client.close()
        server.stop(grace=5)


@pytest.fixture
def server(model_base):
    """A server for the "dense" model with batching on (max 8 rows, 2 ms timeout)."""
    config = ModelConfig(name="dense", base_path=model_base)
    with running_server([config], BatchingConfig(max_batch_size=8,
                                                 batch_timeout_micros=2000)) as s:
        yield s


# -- the REST API tests' servers (test_rest_*.py) --
@pytest.fixture(scope="module")
def rest_served(tmp_path_factory):
    """dense (versions 1 and 2, labels stable/canary), multi, mixed, ident and census, batching
    on (max 8 rows, 1 ms timeout); ``server.census`` computes census' expected answers."""
    # Imported here, not at the top: both modules import this conftest at theirs.
    from .test_classify_regress import Census
    from .test_tfserving import write_multi_signature_model
    root = tmp_path_factory.mktemp("rest")
    write_model(str(root / "dense"), 1, 1.0)
    write_model(str(root / "dense"), 2, 2.0)
    write_multi_signature_model(str(root / "multi"))
    write_mixed_model(str(root / "mixed"))
    write_identity_model(str(root / "ident"))
    census = Census(str(root / "census"))
    models = [ModelConfig(name="dense", base_path=str(root / "dense"), version_policy="all",
                          version_labels={"stable": 1, "canary": 2}),
              ModelConfig(name="multi", base_path=str(root / "multi")),
              ModelConfig(name="mixed", base_path=str(root / "mixed")),
              ModelConfig(name="ident", base_path=str(root / "ident")),
              ModelConfig(name="census", base_path=str(root / "census"), version_policy="all")]
    with running_server(models, BatchingConfig(max_batch_size=8, batch_timeout_micros=1000),
                        reflection=False) as (server, client):
        server.census = census
        yield server, client
    census.sess.close()


@pytest.fixture(scope="module")
def odd_served(tmp_path_factory):
    """The "odd" model (rest_helpers.write_odd_model), without batching."""
    root = tmp_path_factory.mktemp("odd")
    write_odd_model(str(root / "odd"))
    with running_server([ModelConfig(name="odd", base_path=str(root / "odd"))],
                        reflection=False) as (server, client):
        yield server, client
