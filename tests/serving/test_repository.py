"""ModelRepository with the real loader on exported models: discovery, version policies,
labels, name checks, unloading (memory released) and failed versions (reported, not retried
until their files change)."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import time
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

import minitf as tf
from minitf import errors
from minitf.errors import InvalidArgumentError, NotFoundError
from minitf.export import save_model
from minitf.serving.batching import BatchingConfig
from minitf.serving.dataplane import DataPlane
from minitf.serving.metrics import Metrics
from minitf.serving.loading import load_version, version_fingerprint
from minitf.serving.repository import ModelConfig, ModelRepository, State
from tests.serving.conftest import reference, write_model

X = np.arange(8, dtype=np.float32).reshape(2, 4) / 8


class CountingLoader:
    """The real loader, counting calls per version."""

    def __init__(self):
        self.calls: list[int] = []

    def __call__(self, path, name, version):
        self.calls.append(version)
        return load_version(path, name, version)


@pytest.fixture
def make_repo():
    """ModelRepository factory with a fresh Metrics observer; stops every repository."""
    made = []

    def make(*configs, batching=None, loader=load_version):
        metrics = Metrics(CollectorRegistry(), [c.name for c in configs], process_metrics=False)
        repo = ModelRepository(list(configs), default_batching=batching, loader=loader,
                               observer=metrics)
        made.append(repo)
        return repo, metrics

    yield make
    for repo in made:
        repo.stop()


def write_corrupt(base: str, version: int, data: bytes) -> str:
    """A version directory whose saved_model.pb is ``data``, renamed into place atomically."""
    os.makedirs(base, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=base, prefix=f".tmp-{version}-")
    with open(os.path.join(tmp, "saved_model.pb"), "wb") as f:
        f.write(data)
    final = os.path.join(base, str(version))
    os.rename(tmp, final)
    return final


def retire(path: str, trash: str):
    """Removes a version directory atomically (a rename out of the base path)."""
    os.makedirs(trash, exist_ok=True)
    os.rename(path, tempfile.mkdtemp(dir=trash))  # rename onto an empty dir replaces it


def predict(repo, name, version=None, label=None):
    entry = repo.get(name, version, label)
    runner = entry.servable.signature(None)
    return entry.version, runner.run(runner.validate({"x": X}), runner.output_names)


def metric(metrics, name, **labels):
    return metrics.registry.get_sample_value(name, labels)


@pytest.fixture(scope="module")
def three_versions(tmp_path_factory):
    """versions 1, 2 and 3 (logits scaled by the version number)."""
    base = str(tmp_path_factory.mktemp("repo") / "m")
    for v in (1, 2, 3):
        write_model(base, v, scale=float(v))
    return base


# -- discovery -------------------------------------------------------------------------------------
def test_discovery_ignores_what_is_not_a_version(make_repo, tmp_path):
    base = str(tmp_path / "m")
    write_model(base, 1)
    write_model(base, 3, scale=3.0)
    model_pb = os.path.join(base, "1", "saved_model.pb")
    for junk in ("latest", ".tmp-7-abc", "v2", "-4", "1.5"):
        os.makedirs(os.path.join(base, junk))
        shutil.copy(model_pb, os.path.join(base, junk))
    os.makedirs(os.path.join(base, "9", "variables"))  # no saved_model.pb (yet)
    with open(os.path.join(base, "8"), "wb") as f:  # a file, not a directory
        f.write(b"8")
    repo, metrics = make_repo(ModelConfig("m", base, version_policy="all"))
    repo.poll()
    assert repo.available_versions("m") == [1, 3]
    assert [s.version for s in repo.status("m")] == [1, 3]
    assert metric(metrics, "minitf_model_load_failures_total", model="m") == 0  # none tried
    version, out = predict(repo, "m")
    assert version == 3
    np.testing.assert_allclose(out["logits"], reference(X, 3.0)["logits"], rtol=1e-5)


def test_text_saved_models_are_versions_too(make_repo, tmp_path):
    # saved_model.pbtxt (what the builder's save(as_text=True) writes; TF Serving reads it).
    base = tmp_path / "m"
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        logits = tf.identity(x * 2.0, name="logits")
        builder = tf.saved_model.builder.SavedModelBuilder(str(base / "1"))
        builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={
            "serving_default": tf.saved_model.signature_def_utils.predict_signature_def(
                {"x": x}, {"logits": logits})})
        builder.save(as_text=True)
    assert sorted(os.listdir(base / "1")) == ["saved_model.pbtxt", "variables"]
    repo, _ = make_repo(ModelConfig("m", str(base)))
    repo.poll()
    assert repo.available_versions("m") == [1]
    version, out = predict(repo, "m")
    assert version == 1
    np.testing.assert_allclose(out["logits"], X * 2.0)
    assert version_fingerprint(str(base / "1"))[0] is not None  # a failed load is retried on change


def test_missing_base_path_serves_nothing(make_repo, tmp_path, caplog):
    repo, metrics = make_repo(ModelConfig("m", str(tmp_path / "nowhere")))
    # Its series exist at 0 before anything happens (Prometheus's increase() needs a 0 to
    # see the first failure; a dashboard needs the model listed).
    assert metric(metrics, "minitf_model_load_failures_total", model="m") == 0
    assert metric(metrics, "minitf_model_versions_available", model="m") == 0
    with caplog.at_level("WARNING", logger="minitf.serving"):
        repo.poll()
        repo.poll()
    # Said once, not on every poll.
    assert caplog.text.count("No versions of servable m found under base path") == 1
    assert not repo.is_ready()
    assert repo.available_versions("m") == []
    with pytest.raises(NotFoundError, match="Could not find any versions of model m"):
        repo.status("m")
    with pytest.raises(NotFoundError, match=r"Latest\(m\)"):
        repo.get("m")


# -- policies and labels ---------------------------------------------------------------------------
@pytest.mark.parametrize("policy, want", [
    ({}, [3]),
    ({"version_policy": "latest", "num_versions": 2}, [2, 3]),
    ({"version_policy": "latest", "num_versions": 5}, [1, 2, 3]),
    ({"version_policy": "all"}, [1, 2, 3]),
    ({"version_policy": "specific", "versions": (1, 3)}, [1, 3]),
    ({"version_policy": "specific", "versions": (2, 7)}, [2]),
])
def test_version_policies(make_repo, three_versions, policy, want):
    repo, metrics = make_repo(ModelConfig("m", three_versions, **policy))
    repo.poll()
    assert repo.available_versions("m") == want
    assert repo.is_ready()
    for v in want:
        version, out = predict(repo, "m", v)
        assert version == v
        np.testing.assert_allclose(out["logits"], reference(X, float(v))["logits"], rtol=1e-5)
        assert repo.status("m", v)[0].state is State.AVAILABLE
        assert metric(metrics, "minitf_model_version_state", model="m", version=str(v)) == 30
    assert predict(repo, "m")[0] == max(want)  # no version asked: the newest available
    for v in {1, 2, 3} - set(want):
        with pytest.raises(NotFoundError, match=rf"Specific\(m, {v}\)"):
            repo.get("m", v)
    assert metric(metrics, "minitf_model_versions_available", model="m") == len(want)


def test_version_labels(make_repo, three_versions):
    config = ModelConfig("m", three_versions, version_policy="all",
                         version_labels={"stable": 1, "canary": "3"})
    repo, _ = make_repo(config)
    repo.poll()
    assert predict(repo, "m", label="stable")[0] == 1
    assert predict(repo, "m", label="canary")[0] == 3
    # INVALID_ARGUMENT, as TF Serving answers; an empty label is looked up too, not "latest".
    for label in ("beta", ""):
        with pytest.raises(InvalidArgumentError,
                           match=f"Unrecognized servable version label: {label} "):
            repo.get("m", label=label)


def test_label_of_a_version_not_loaded_is_not_found(make_repo, three_versions):
    config = ModelConfig("m", three_versions, version_labels={"stable": 1})  # latest: 3 only
    repo, _ = make_repo(config)
    repo.poll()
    with pytest.raises(NotFoundError, match=r"Specific\(m, 1\)"):
        repo.get("m", label="stable")


@pytest.mark.parametrize("bad, message", [
    ({"version_policy": "newest"}, "unknown version policy 'newest'"),
    ({"num_versions": 0}, "latest policy needs num_versions >= 1"),
    ({"version_policy": "specific"}, "specific policy needs versions"),
    ({"version_labels": {"not-ok": 1}}, "invalid version label 'not-ok'"),
])
def test_bad_model_configs(tmp_path, bad, message):
    with pytest.raises(ValueError, match=message):
        ModelConfig("m", str(tmp_path), **bad)


@pytest.mark.parametrize("name", ["../x", "a/b", "..", ".", "", "/etc", "a\\b", "-x", "x" * 200,
                                  "a b", "..\\x"])
def test_invalid_model_names_are_rejected(tmp_path, name):
    with pytest.raises(ValueError, match="invalid model name"):
        ModelConfig(name, str(tmp_path))


def test_duplicate_model_names_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="duplicate model names"):
        ModelRepository([ModelConfig("m", str(tmp_path)), ModelConfig("m", str(tmp_path))])


def test_unknown_model_is_not_found(make_repo, three_versions):
    repo, _ = make_repo(ModelConfig("m", three_versions))
    repo.poll()
    for call in (lambda: repo.get("other"), lambda: repo.status("other"),
                 lambda: repo.available_versions("other"), lambda: repo.get("../m")):
        with pytest.raises(NotFoundError) as info:
            call()
        assert info.value.error_code == errors.NOT_FOUND
        # TF Serving's words: a request's lookup, or GetModelStatus' (status).
        assert "Servable not found for request" in info.value.message or \
            "Could not find any versions of model other" in info.value.message
    with pytest.raises(NotFoundError, match="Could not find version 9 of model m"):
        repo.status("m", 9)


# -- unloading -------------------------------------------------------------------------------------
def test_unloaded_version_releases_its_memory(make_repo, tmp_path):
    base = str(tmp_path / "m")
    write_model(base, 1)
    repo, metrics = make_repo(ModelConfig("m", base), batching=BatchingConfig(max_batch_size=4))
    repo.poll()
    entry = repo.get("m")
    batcher = entry.batchers["serving_default"]
    np.testing.assert_allclose(batcher.run([X], ("probs",))["probs"], reference(X)["probs"],
                               rtol=1e-5)
    refs = [weakref.ref(o) for o in (entry, entry.servable, entry.servable.model.graph,
                                     batcher)]
    write_model(base, 2, scale=2.0)
    repo.poll()  # loads 2, then unloads 1
    assert repo.available_versions("m") == [2]
    assert repo.status("m", 1)[0].state is State.END
    assert metric(metrics, "minitf_model_version_state", model="m", version="1") is None
    # A request that resolved version 1 before the unload still holds it and is answered
    # (unbatched: the version's batcher has stopped).
    answer = DataPlane(repo).predict(entry, None, {"x": X}, ["logits"])
    assert answer.version == 1
    np.testing.assert_allclose(answer.outputs["logits"], reference(X)["logits"], rtol=1e-5)
    del entry, batcher, answer
    gc.collect()
    assert [r() is None for r in refs] == [True] * len(refs)
    assert predict(repo, "m")[0] == 2


def test_unload_frees_the_version_without_waiting_for_the_cyclic_gc(make_repo, tmp_path):
    """A graph's ops and tensors refer to each other, so an unloaded version's weights stayed
    until Python's cyclic GC happened to run (a hot-reloading server held up to ~8 stale
    copies); and DataPlane's SessionRun plans held every unloaded version's graph until 64
    newer fetch sets came. With automatic collection off, the unload alone frees it."""
    base = str(tmp_path / "m")
    write_model(base, 1)
    repo, _ = make_repo(ModelConfig("m", base))
    repo.poll()
    plane = DataPlane(repo)
    entry = repo.get("m")
    got = plane.session_run(entry, {"x:0": X}, ["logits:0"], [])
    refs = [weakref.ref(o) for o in (entry.servable, entry.servable.model.graph)]
    del entry, got
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        write_model(base, 2, scale=2.0)
        repo.poll()  # loads 2, then unloads 1
        assert repo.available_versions("m") == [2]
        assert [r() is None for r in refs] == [True, True]
    finally:
        if was_enabled:
            gc.enable()


def test_requests_queued_in_an_unloaded_version_still_run(make_repo, tmp_path):
    base = str(tmp_path / "m")
    write_model(base, 1)
    # A batch waits "forever" for company, so the request stays queued until the unload.
    batching = BatchingConfig(max_batch_size=64, batch_timeout_micros=60_000_000)
    repo, _ = make_repo(ModelConfig("m", base), batching=batching)
    repo.poll()
    plane = DataPlane(repo)
    entry = plane.resolve("m")
    with ThreadPoolExecutor(1) as pool:
        queued = pool.submit(plane.predict, entry, None, {"x": X})
        end = time.monotonic() + 10
        while entry.batchers["serving_default"].queue_depth() == 0:
            assert time.monotonic() < end and not queued.done()
            time.sleep(0.005)
        write_model(base, 2, scale=2.0)
        repo.poll()  # unloading version 1 drains its queue
        answer = queued.result(10)
    assert answer.version == 1
    np.testing.assert_allclose(answer.outputs["logits"], reference(X)["logits"], rtol=1e-5)
    assert repo.available_versions("m") == [2]


def test_removed_version_directory_is_unloaded(make_repo, three_versions, tmp_path):
    base = str(tmp_path / "m")
    shutil.copytree(three_versions, base)
    repo, _ = make_repo(ModelConfig("m", base, version_policy="all"))
    repo.poll()
    assert repo.available_versions("m") == [1, 2, 3]
    retire(os.path.join(base, "3"), str(tmp_path / "trash"))
    repo.poll()
    assert repo.available_versions("m") == [1, 2]
    assert repo.status("m", 3)[0].state is State.END
    assert predict(repo, "m")[0] == 2


# -- failed versions -------------------------------------------------------------------------------
def test_failed_version_is_reported_and_retried_only_when_its_files_change(make_repo, tmp_path):
    base = str(tmp_path / "m")
    good_pb = os.path.join(write_model(base, 1), "saved_model.pb")
    with open(good_pb, "rb") as f:
        good = f.read()
    loader = CountingLoader()
    repo, metrics = make_repo(ModelConfig("m", base), loader=loader)
    repo.poll()
    assert loader.calls == [1]

    v2 = write_corrupt(base, 2, good[: len(good) // 2])  # truncated
    repo.poll()
    [status] = repo.status("m", 2)
    assert status.state is State.END
    assert status.error is not None and status.error.error_code == errors.DATA_LOSS
    assert "saved_model.pb" in status.error.message and "truncated" in status.error.message
    # Version 1 keeps serving while the newer version is broken.
    assert repo.available_versions("m") == [1]
    assert repo.status("m", 1)[0].state is State.AVAILABLE
    assert predict(repo, "m")[0] == 1
    assert repo.is_ready()
    assert metric(metrics, "minitf_model_load_failures_total", model="m") == 1
    assert metric(metrics, "minitf_model_version_state", model="m", version="2") == 50
    assert metric(metrics, "minitf_model_load_duration_seconds_count", model="m") == 2

    for _ in range(3):  # unchanged files: no retry loop
        repo.poll()
    assert loader.calls == [1, 2]
    assert metric(metrics, "minitf_model_load_failures_total", model="m") == 1

    retire(v2, str(tmp_path / "trash"))
    write_corrupt(base, 2, b"\xff" * 40)  # changed, still broken: retried once, fails again
    repo.poll()
    repo.poll()
    assert loader.calls == [1, 2, 2]
    assert metric(metrics, "minitf_model_load_failures_total", model="m") == 2
    assert "saved_model.pb" in repo.status("m", 2)[0].error.message

    retire(v2, str(tmp_path / "trash"))
    write_model(base, 2, scale=2.0)  # fixed: loads, and replaces version 1
    repo.poll()
    assert loader.calls == [1, 2, 2, 2]
    [status] = repo.status("m", 2)
    assert status.state is State.AVAILABLE and status.error is None
    assert repo.available_versions("m") == [2]
    assert repo.status("m", 1)[0].state is State.END
    version, out = predict(repo, "m")
    assert version == 2
    np.testing.assert_allclose(out["logits"], reference(X, 2.0)["logits"], rtol=1e-5)
    assert metric(metrics, "minitf_model_load_failures_total", model="m") == 2


def test_a_model_whose_only_version_fails_is_not_ready(make_repo, tmp_path):
    base = str(tmp_path / "m")
    write_corrupt(base, 1, b"not a protobuf")
    repo, metrics = make_repo(ModelConfig("m", base))
    repo.poll()
    assert not repo.is_ready()
    assert repo.status("m", 1)[0].state is State.END
    with pytest.raises(NotFoundError):
        repo.get("m")
    assert metric(metrics, "minitf_model_load_failures_total", model="m") == 1


def test_one_broken_model_does_not_stop_the_others(make_repo, tmp_path, three_versions):
    broken = str(tmp_path / "broken")
    write_corrupt(broken, 1, b"junk")
    repo, _ = make_repo(ModelConfig("broken", broken), ModelConfig("m", three_versions))
    repo.poll()
    assert repo.available_versions("m") == [3]
    assert repo.available_versions("broken") == []
    assert not repo.is_ready()  # readiness needs every model


def _export(base: str, build) -> str:
    """Version 1 of a model whose graph ``build()`` makes: (inputs, outputs) alias dicts."""
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        inputs, outputs = build()
        return save_model(os.path.join(base, "1"), sess, inputs=inputs, outputs=outputs)


@pytest.mark.parametrize("build, feed, want", [
    # zeros of the warm-up's batch of 1 do not reshape to 3 columns
    (lambda: ({"x": (x := tf.placeholder(tf.float32, [None], name="x"))},
              {"y": tf.reshape(x, [-1, 3])}),
     np.arange(6, dtype=np.float32), np.arange(6, dtype=np.float32).reshape(2, 3)),
    # zeros divide by zero
    (lambda: ({"x": (x := tf.placeholder(tf.int32, [None], name="x"))},
              {"y": tf.floordiv(7, x)}),
     np.array([2, 3, -4], np.int32), np.array([3, 2, -2], np.int32)),
    # no rank: nothing to make zeros of
    (lambda: ({"x": (x := tf.placeholder(tf.float32, None, name="x"))}, {"y": x * 2.0}),
     np.ones((2, 2, 2), np.float32), np.full((2, 2, 2), 2, np.float32)),
], ids=["reshape", "intdiv", "unknown_rank"])
def test_a_model_that_cannot_warm_up_on_zeros_still_loads(make_repo, tmp_path, caplog, build,
                                                          feed, want):
    base = str(tmp_path / "m")
    _export(base, build)
    repo, metrics = make_repo(ModelConfig("m", base))
    with caplog.at_level("INFO", logger="minitf.serving"):
        repo.poll()
    assert repo.status("m", 1)[0].state is State.AVAILABLE
    assert "not warmed up" in caplog.text
    assert metric(metrics, "minitf_model_load_failures_total", model="m") in (None, 0)
    runner = repo.get("m").servable.signature(None)
    out = runner.run(runner.validate({"x": feed}), runner.output_names)
    np.testing.assert_array_equal(out["y"], want)


def test_a_tf_example_signature_failing_warm_up_is_not_a_warning(make_repo, tmp_path, caplog):
    """An empty serialized tf.Example lacks the required features, so a parsing signature
    always fails the warm-up: said at INFO, not as a WARNING per signature and version."""
    base = str(tmp_path / "m")

    def build():
        serialized = tf.placeholder(tf.string, [None], name="examples")
        parsed = tf.parse_example(serialized, {"x": tf.FixedLenFeature([1], tf.float32)})
        return {"examples": serialized}, {"y": parsed["x"] * 2.0}

    _export(base, build)
    repo, _ = make_repo(ModelConfig("m", base))
    with caplog.at_level("INFO", logger="minitf.serving"):
        repo.poll()
    assert repo.status("m", 1)[0].state is State.AVAILABLE
    warmups = [r for r in caplog.records if "not warmed up" in r.getMessage()]
    assert warmups and all(r.levelname == "INFO" for r in warmups)


# -- reconfiguration against stop, and a removed model's statistics ------------------------------
def test_stop_waits_for_a_reconfiguration_and_refuses_later_ones(make_repo, tmp_path):
    """A reconfiguration loading a model when stop() starts finishes first, and what it loaded
    is stopped with the rest (no batcher thread outlives stop); later ones are refused."""
    import threading

    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    write_model(a, 1)
    write_model(b, 1)
    loading = threading.Event()

    def slow_loader(path, name, version):
        if name == "b":
            loading.set()
            time.sleep(0.5)
        return load_version(path, name, version)

    repo, _ = make_repo(ModelConfig("a", a), batching=BatchingConfig(max_batch_size=4),
                        loader=slow_loader)
    repo.poll()
    before = {t.name for t in threading.enumerate()}
    reload = threading.Thread(target=repo.reconfigure,
                              args=([ModelConfig("a", a), ModelConfig("b", b)],))
    reload.start()
    assert loading.wait(10)
    repo.stop()
    reload.join(10)
    assert not reload.is_alive()
    left = {t.name for t in threading.enumerate() if t.is_alive()} - before
    assert not [n for n in left if n.startswith("batch-b")], left
    with pytest.raises(errors.UnavailableError, match="stopping"):
        repo.reconfigure([ModelConfig("a", a)])


def test_a_removed_model_keeps_no_statistics_and_restarts_from_zero():
    """Requests finishing after their model was removed count as "_unknown" without a version,
    and write nothing into ModelStatistics, so the model added again starts from zero."""
    metrics = Metrics(CollectorRegistry(), ["dense"], process_metrics=False)
    record = metrics.recorder("kserve.ModelInfer", inference=True)
    record("dense", 1, "OK", 0.01)
    metrics.executed("dense", 1, 0.01, 1)
    assert metrics.stats.get("dense", 1)["ok"] == 1
    metrics.remove_models(["dense"])
    record("dense", 1, "OK", 0.01)  # a request that was still running
    metrics.executed("dense", 1, 0.01, 1)
    metrics.batcher("dense", 1, "serving_default").executed(2, 0.0, 0.01, 0.0, 2, 2, 0.0, 2)
    assert metrics.stats.get("dense", 1) == {}
    labels = [dict(k[1]) for k in metrics.samples("minitf_requests")]
    assert [x for x in labels if x["model"] == "_unknown"] == [
        {"model": "_unknown", "version": "", "api": "kserve.ModelInfer", "code": "OK"}]
    assert not [x for x in labels if x["model"] == "dense"]
    metrics.add_models(["dense"])
    assert metrics.stats.get("dense", 1) == {}


def test_a_held_model_gets_its_labels_when_a_load_loads_it(three_versions):
    """Explicit model control: a model held unloaded has no version to check labels against,
    so the labels it is configured with wait for the Load, which checks them as a config
    load does (TF Serving's FAILED_PRECONDITION) and keeps the old ones when they fail."""
    from minitf.serving.model_control import ModelControl

    config = ModelConfig("m", three_versions, version_labels={"stable": 3})  # latest: 3 only
    repo = ModelRepository([config], control_mode="explicit", unloaded={"m"})
    control = ModelControl(repo)
    try:
        repo.start(0)  # no error: its labels are not checked while it is held
        with pytest.raises(InvalidArgumentError, match="Unrecognized servable version label"):
            repo.get("m", label="stable")
        control.load("m")
        assert predict(repo, "m", label="stable")[0] == 3
        control.unload("m")
        with pytest.raises(NotFoundError, match=r"Specific\(m, 3\)"):  # kept while unloaded
            repo.get("m", label="stable")
        repo.reconfigure([ModelConfig("m", three_versions, version_labels={"stable": 1})])
        assert repo.config("m").version_labels == {"stable": 3}  # pending until the Load
        with pytest.raises(errors.FailedPreconditionError,
                           match="Request to assign label to version 1 of model m, which is "
                           "not currently available for inference"):
            control.load("m")
        assert predict(repo, "m", label="stable")[0] == 3  # loaded, with its old label
        # A config that moves it to an available version applies at once: m is loaded now.
        repo.reconfigure([ModelConfig("m", three_versions, version_policy="all",
                                      version_labels={"stable": 1})])
        assert predict(repo, "m", label="stable")[0] == 1
    finally:
        repo.stop()


def test_start_refuses_a_label_on_a_version_not_available(three_versions):
    repo = ModelRepository([ModelConfig("m", three_versions, version_labels={"old": 1})])
    try:
        with pytest.raises(errors.FailedPreconditionError,
                           match="to version 1 of model m, which is not currently available"):
            repo.start(0)
    finally:
        repo.stop()
    repo = ModelRepository([ModelConfig("m", three_versions, version_labels={"old": 1})],
                           allow_unavailable_labels=True)
    try:
        repo.start(0)
        with pytest.raises(NotFoundError, match=r"Specific\(m, 1\)"):
            repo.get("m", label="old")
    finally:
        repo.stop()
