"""Hot reload through a real server polling every 0.1 s: new versions switch traffic with no
failed request, a corrupt version leaves the previous one serving and is reported in
GetModelStatus and the metrics, and removed versions are unloaded. Version n's logits are
scaled by n, so every response shows which version computed it."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton
from prometheus_client.parser import text_string_to_metric_families

from minitf import errors
from minitf.serving.batching import BatchingConfig
from minitf.serving.client import Client
from minitf.serving.repository import ModelConfig, State
from tests.serving.conftest import reference, running_server, wait_for, write_model

POLL = 0.1
WAIT = 20.0  # upper bound for anything the poller should do within a few polls
X = (np.arange(12, dtype=np.float32).reshape(3, 4) - 6) / 4


def http_get(server, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}{path}",
                                    timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metrics(server) -> dict:
    """{(name, sorted labels): value} from the server's Prometheus text."""
    status, text = http_get(server, "/metrics")
    assert status == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def sample(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def check_version(outputs: dict, x: np.ndarray, version: int):
    want = reference(x, float(version))
    np.testing.assert_allclose(outputs["logits"], want["logits"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(outputs["probs"], want["probs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(outputs["classes"], want["classes"])


def write_truncated(base: str, version: int, source_pb: str) -> str:
    """A truncated copy of a saved_model.pb, renamed into place atomically."""
    with open(source_pb, "rb") as f:
        data = f.read()
    tmp = tempfile.mkdtemp(dir=base, prefix=f".tmp-{version}-")
    with open(os.path.join(tmp, "saved_model.pb"), "wb") as f:
        f.write(data[: len(data) // 2])
    final = os.path.join(base, str(version))
    os.rename(tmp, final)
    return final


def statuses(client) -> dict:
    return {s.version: s for s in client.status("dense")}


class Caller(threading.Thread):
    """Sends requests in a loop (bounded in count and time) and records the version that
    answered each one, checking the values against that version's reference."""

    def __init__(self, target: str, index: int, stop: threading.Event, max_requests=3000):
        super().__init__(daemon=True)
        self.target, self.index, self.stop_event = target, index, stop
        self.max_requests = max_requests
        self.versions: list[int] = []
        self.errors: list[BaseException] = []

    def run(self):
        x = X + self.index
        end = time.monotonic() + WAIT * 2
        official = self.index % 2 == 1  # half the callers use Triton's client
        with Client(self.target, timeout=10) as client, \
                triton.InferenceServerClient(self.target) as tc:
            for _ in range(self.max_requests):
                if self.stop_event.is_set() or time.monotonic() > end:
                    return
                try:
                    if official:
                        inp = triton.InferInput("x", list(x.shape), "FP32")
                        inp.set_data_from_numpy(x)
                        result = tc.infer("dense", [inp], client_timeout=10)
                        version = int(result.get_response().model_version)
                        out = {a: result.as_numpy(a) for a in ("probs", "classes", "logits")}
                    else:
                        out = client.predict("dense", {"x": x})
                        version = client.last_model_spec.version.value
                    check_version(out, x, version)
                except BaseException as e:  # noqa: BLE001 - every failure is counted
                    self.errors.append(e)
                    return
                self.versions.append(version)


def test_new_version_takes_over_with_zero_failed_requests_then_corrupt_version_is_reported(
        tmp_path):
    base = str(tmp_path / "dense")
    write_model(base, 1)
    config = ModelConfig("dense", base)
    batching = BatchingConfig(max_batch_size=8, batch_timeout_micros=500)
    with running_server([config], batching, poll_seconds=POLL) as (server, client):
        target = f"127.0.0.1:{server.grpc_port}"
        stop = threading.Event()
        callers = [Caller(target, i, stop) for i in range(4)]
        for c in callers:
            c.start()
        try:
            wait_for(lambda: all(len(c.versions) >= 3 or c.errors for c in callers),
                     "every caller to get answers from version 1")
            write_model(base, 2, scale=2.0)
            # Each caller keeps going until it has seen a few answers from version 2.
            wait_for(lambda: all(c.versions[-5:] == [2] * 5 or c.errors or not c.is_alive()
                                 for c in callers), "every caller to reach version 2")
        finally:
            stop.set()
            for c in callers:
                c.join(WAIT)
        assert [c.errors for c in callers] == [[]] * len(callers)
        for c in callers:
            assert c.versions[0] == 1 and c.versions[-1] == 2
            first_two = c.versions.index(2)
            # One switch per caller: once version 2 answered, version 1 never did again.
            assert set(c.versions[:first_two]) == {1} and set(c.versions[first_two:]) == {2}
        wait_for(lambda: statuses(client)[1].state == State.END, "version 1 to be unloaded")

        # A corrupt version 3: reported, version 2 keeps serving, the server stays ready.
        write_truncated(base, 3, os.path.join(base, "2", "saved_model.pb"))

        def failed_three():
            status = statuses(client).get(3)
            return status if status is not None and status.state == State.END else None

        three = wait_for(failed_three, "version 3 to fail to load")
        assert three.status.error_code == errors.DATA_LOSS
        assert "saved_model.pb" in three.status.error_message
        assert "truncated or corrupt" in three.status.error_message
        two = statuses(client)[2]
        assert two.state == State.AVAILABLE and two.status.error_code == 0
        for i in range(10):
            x = X * (i + 1)
            check_version(client.predict("dense", {"x": x}), x, 2)
            assert client.last_model_spec.version.value == 2
        with triton.InferenceServerClient(target) as tc:
            assert tc.is_server_ready()
            assert tc.is_model_ready("dense", "2")
            assert not tc.is_model_ready("dense", "3")
        assert client.server_ready()
        assert client.health() == "SERVING"
        assert http_get(server, "/readyz")[0] == 200
        status, body = http_get(server, "/v1/models/dense")
        assert status == 200
        by_version = {s["version"]: s for s in json.loads(body)["model_version_status"]}
        assert by_version["3"]["state"] == "END"
        assert "truncated or corrupt" in by_version["3"]["status"]["error_message"]
        assert by_version["2"]["state"] == "AVAILABLE"

        time.sleep(POLL * 3)  # a few more polls: the broken version is not retried
        samples = metrics(server)
    assert sample(samples, "minitf_model_load_failures_total", model="dense") == 1
    # Version 1 was unloaded: its series are gone (they would grow with every deploy); the
    # version that failed to load keeps its END state, which is what an operator looks for.
    assert sample(samples, "minitf_model_version_state", model="dense", version="1") is None
    assert not [labels for (name, labels), _ in samples.items()
                if name == "minitf_requests_total" and ("version", "1") in labels]
    assert sample(samples, "minitf_model_version_state", model="dense", version="2") == 30
    assert sample(samples, "minitf_model_version_state", model="dense", version="3") == 50
    assert sample(samples, "minitf_model_versions_available", model="dense") == 1
    assert sample(samples, "minitf_model_load_duration_seconds_count", model="dense") == 3
    failed = sum(v for (name, labels), v in samples.items() if name == "minitf_requests_total"
                 and dict(labels).get("code") != "OK")
    assert failed == 0


def test_removing_the_newest_version_falls_back_to_the_previous_one(tmp_path):
    base = str(tmp_path / "dense")
    write_model(base, 1)
    write_model(base, 2, scale=2.0)
    with running_server([ModelConfig("dense", base)], poll_seconds=POLL) as (server, client):
        check_version(client.predict("dense", {"x": X}), X, 2)
        os.rename(os.path.join(base, "2"), str(tmp_path / "retired-2"))  # atomic removal
        wait_for(lambda: statuses(client)[2].state == State.END, "version 2 to be unloaded")
        check_version(client.predict("dense", {"x": X}), X, 1)
        assert client.last_model_spec.version.value == 1
        with pytest.raises(grpc.RpcError) as info:
            client.predict("dense", {"x": X}, version=2)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        samples = metrics(server)
    assert sample(samples, "minitf_model_version_state", model="dense", version="2") is None
    assert sample(samples, "minitf_model_version_state", model="dense", version="1") == 30


def test_removed_version_is_unloaded_under_the_all_policy(tmp_path):
    base = str(tmp_path / "dense")
    for v in (1, 2, 3):
        write_model(base, v, scale=float(v))
    config = ModelConfig("dense", base, version_policy="all")
    with running_server([config], poll_seconds=POLL) as (server, client):
        for v in (1, 2, 3):
            check_version(client.predict("dense", {"x": X}, version=v), X, v)
        shutil.move(os.path.join(base, "1"), str(tmp_path / "retired-1"))
        wait_for(lambda: statuses(client)[1].state == State.END, "version 1 to be unloaded")
        assert not client.model_ready("dense", 1)
        with pytest.raises(grpc.RpcError) as info:
            client.infer("dense", {"x": X}, version=1)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        for v in (2, 3):
            check_version(client.predict("dense", {"x": X}, version=v), X, v)
        samples = metrics(server)
    assert sample(samples, "minitf_model_versions_available", model="dense") == 2
