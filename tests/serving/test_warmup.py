"""Model warm-up from recorded requests (TF Serving's assets.extra/tf_serving_warmup_requests),
--enable_model_warmup, --num_request_iterations_for_warmup and --saved_model_tags.

The model keeps state in lookup tables that its signatures write, so a replayed request is seen
afterwards: "put" (and its classify/regress twins over tf.Examples) stores values by key,
"bump" counts calls per key, "serving_default" reads both. A replay that was skipped, or ran
zeros instead, leaves other table contents -- these tests cannot pass without it."""

from __future__ import annotations

import argparse
import logging
import os

import numpy as np
import pytest
from google.protobuf import json_format
from prometheus_client import CollectorRegistry

import minitf as tf
from minitf.errors import (DataLossError, FailedPreconditionError, InvalidArgumentError,
                           NotFoundError, UnimplementedError)
from minitf.export import save_model
from minitf.export.tensors import make_tensor_proto
from minitf.protos import example_pb2, logging_pb2, prediction_log_pb2
from minitf.python_io import TFRecordWriter
from minitf.serving import cli
from minitf.serving.metrics import Metrics
from minitf.serving.loading import make_loader
from minitf.serving.repository import ModelConfig, ModelRepository, State
from minitf.serving.server import ModelServer
from minitf.serving.services.inference import CLASSIFY_METHOD, REGRESS_METHOD
from minitf.serving.warmup import MAX_RECORDS, warmup_file

MISSING = -1.0  # the value table's default: a key nothing stored


def write_kv_model(base: str, version: int, tags=("serve",)) -> str:
    graph = tf.Graph()
    with graph.as_default():
        values = tf.lookup.experimental.MutableHashTable(tf.int64, tf.float32, MISSING)
        counts = tf.lookup.experimental.MutableHashTable(tf.int64, tf.int64, 0)
        k = tf.placeholder(tf.int64, [None], name="k")
        v = tf.placeholder(tf.float32, [None], name="v")
        with tf.control_dependencies([values.insert(k, v)]):
            stored = tf.identity(v, name="stored")
        serialized = tf.placeholder(tf.string, [None], name="examples")
        feats = tf.parse_example(serialized, {"k": tf.FixedLenFeature([1], tf.int64),
                                              "v": tf.FixedLenFeature([1], tf.float32)})
        with tf.control_dependencies([values.insert(tf.reshape(feats["k"], [-1]),
                                                    tf.reshape(feats["v"], [-1]))]):
            scores = tf.identity(feats["v"], name="scores")  # [N, 1] float: one class
            outputs = tf.identity(feats["v"], name="outputs")
        b = tf.placeholder(tf.int64, [None], name="b")
        bumped = counts.lookup(b) + 1
        with tf.control_dependencies([counts.insert(b, bumped)]):
            count_after = tf.identity(bumped, name="count_after")
        q = tf.placeholder(tf.int64, [None], name="q")
        got = tf.identity(values.lookup(q), name="got")
        count = tf.identity(counts.lookup(q), name="count")
        with tf.Session() as sess:
            return save_model(os.path.join(base, str(version)), sess, tags=tags, signatures={
                "serving_default": {"inputs": {"q": q}, "outputs": {"got": got,
                                                                    "count": count}},
                "put": {"inputs": {"k": k, "v": v}, "outputs": {"stored": stored, "v": v}},
                "put_classify": {"inputs": {"inputs": serialized},
                                 "outputs": {"scores": scores}},
                "put_regress": {"inputs": {"inputs": serialized},
                                "outputs": {"outputs": outputs}},
                "bump": {"inputs": {"b": b}, "outputs": {"count": count_after}}})


def read(entry, keys) -> tuple[list, list]:
    """The value and the count stored for each key in a loaded version."""
    runner = entry.servable.signature(None)
    out = runner.run(runner.validate({"q": np.array(keys, np.int64)}), ("count", "got"))
    return out["got"].tolist(), out["count"].tolist()


# -- warm-up records, built with minitf's own protos -------------------------------------------
def predict_log(signature, model="kv", output_filter=(), **inputs) -> bytes:
    log = prediction_log_pb2.PredictionLog()
    request = log.predict_log.request
    if model is not None:
        request.model_spec.name = model
    request.model_spec.signature_name = signature
    for alias, value in inputs.items():
        request.inputs[alias].CopyFrom(make_tensor_proto(np.asarray(value)))
    request.output_filter.extend(output_filter)
    return log.SerializeToString()


def _examples(input_proto, pairs):
    for key, value in pairs:
        ex = example_pb2.Example()
        ex.features.feature["k"].int64_list.value.append(key)
        ex.features.feature["v"].float_list.value.append(value)
        input_proto.example_list.examples.append(ex)


def classify_log(pairs, signature="put_classify", version=None) -> bytes:
    log = prediction_log_pb2.PredictionLog()
    request = log.classify_log.request
    request.model_spec.name, request.model_spec.signature_name = "kv", signature
    if version is not None:
        request.model_spec.version.value = version
    _examples(request.input, pairs)
    return log.SerializeToString()


def regress_log(pairs) -> bytes:
    log = prediction_log_pb2.PredictionLog()
    request = log.regress_log.request
    request.model_spec.name, request.model_spec.signature_name = "kv", "put_regress"
    _examples(request.input, pairs)
    return log.SerializeToString()


def multi_inference_log(pairs) -> bytes:
    log = prediction_log_pb2.PredictionLog()
    request = log.multi_inference_log.request
    for signature, method in (("put_classify", CLASSIFY_METHOD),
                              ("put_regress", REGRESS_METHOD)):
        task = request.tasks.add(method_name=method)
        task.model_spec.name, task.model_spec.signature_name = "kv", signature
    _examples(request.input, pairs)
    return log.SerializeToString()


def session_run_log(k, v) -> bytes:
    """By tensor name, without a ModelSpec (TF Serving's warm-up never reads it)."""
    log = prediction_log_pb2.PredictionLog()
    request = log.session_run_log.request
    for name, value in (("k:0", np.array(k, np.int64)), ("v:0", np.array(v, np.float32))):
        request.feed.add(name=name).tensor.CopyFrom(make_tensor_proto(value))
    request.fetch.append("stored:0")
    return log.SerializeToString()


def _open_files() -> set[str]:
    """The paths this process has open (Linux's /proc; empty elsewhere)."""
    out = set()
    fds = "/proc/self/fd"
    for fd in os.listdir(fds) if os.path.isdir(fds) else ():
        try:
            out.add(os.readlink(os.path.join(fds, fd)))
        except OSError:
            pass
    return out


def write_warmup(version_dir: str, records) -> str:
    path = warmup_file(version_dir)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with TFRecordWriter(path) as w:
        for record in records:
            w.write(record)
    return path


@pytest.fixture
def make_repo():
    made = []

    def make(base, loader=None, **config):
        metrics = Metrics(CollectorRegistry(), ["kv"], process_metrics=False)
        repo = ModelRepository([ModelConfig("kv", str(base), **config)], observer=metrics,
                               loader=loader or make_loader())
        made.append(repo)
        repo.poll()
        return repo, metrics

    yield make
    for repo in made:
        repo.stop()


# -- replay ------------------------------------------------------------------------------------
def test_every_api_s_records_replay_before_the_version_serves(make_repo, tmp_path, caplog):
    base = tmp_path / "kv"
    path = write_warmup(write_kv_model(str(base), 1), [
        predict_log("put", k=np.array([1], np.int64), v=np.array([1.5], np.float32),
                    output_filter=["stored"]),
        classify_log([(2, 2.5)], version=7),  # names a version that is not there: still runs
        regress_log([(3, 3.5)]),
        multi_inference_log([(4, 4.5), (6, 6.5)]),
        predict_log("put", k=np.array([5], np.int64), v=np.array([5.5], np.float32)),
        predict_log("bump", b=np.array([9, 9], np.int64))])
    with caplog.at_level(logging.INFO, "minitf.serving"):
        repo, _ = make_repo(base)
    assert repo.status("kv")[0].state == State.AVAILABLE
    got, counts = read(repo.get("kv"), [1, 2, 3, 4, 5, 6, 0, 9])
    assert got == [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, MISSING, MISSING]
    # bump ran once, with two rows for key 9 (one increment visible); no zeros warm-up (key 0)
    assert counts[-2:] == [0, 1]
    lines = [r.getMessage() for r in caplog.records if "warmup records read" in r.getMessage()]
    assert len(lines) == 1
    assert "model kv version 1" in lines[0] and path in lines[0]
    assert "Number of warmup records read: 6 " in lines[0]


def test_each_record_runs_num_request_iterations_times(make_repo, tmp_path):
    base = tmp_path / "kv"
    write_warmup(write_kv_model(str(base), 1), [
        predict_log("bump", b=np.array([4], np.int64)),
        predict_log("bump", b=np.array([4, 5], np.int64), model=None)])  # no model name
    repo, _ = make_repo(base, make_loader(num_request_iterations=3))
    assert read(repo.get("kv"), [4, 5, 6])[1] == [6, 3, 0]


def test_without_the_file_each_signature_warms_up_on_zeros(make_repo, tmp_path, caplog):
    base = tmp_path / "kv"
    write_kv_model(str(base), 1)
    with caplog.at_level(logging.INFO, "minitf.serving"):
        repo, _ = make_repo(base)
    assert read(repo.get("kv"), [0]) == ([0.0], [1])  # put and bump ran on zeros, once
    assert any("No warmup data file found at" in r.getMessage() for r in caplog.records)


def test_disabled_warm_up_skips_replay_and_zeros(make_repo, tmp_path):
    base = tmp_path / "kv"
    write_kv_model(str(base), 1)
    write_warmup(write_kv_model(str(base), 2), [predict_log("put", k=[3], v=[np.float32(1)])])
    repo, _ = make_repo(base, make_loader(enable_model_warmup=False), version_policy="all")
    for version in (1, 2):
        assert read(repo.get("kv", version), [0, 3]) == ([MISSING, MISSING], [0, 0])


def _server_options(argv):
    parser = argparse.ArgumentParser(prog="minitf")
    cli._serve_parser(parser.add_subparsers(dest="command", required=True))
    return cli.build_options(parser.parse_args(["serve", *argv]))


def _served_by_server(argv):
    """The flags' path end to end, without ports: flags -> ServerOptions -> the server's
    repository and its loader."""
    server = ModelServer(_server_options(argv), registry=CollectorRegistry(),
                         process_metrics=False)
    server.repository.poll()
    return server


@pytest.mark.parametrize("flags, want", [
    ([], ([1.0, MISSING], [2, 0])),  # the file replaced the zeros warm-up (key 0)
    (["--enable_model_warmup=false"], ([MISSING, MISSING], [0, 0])),
    (["--enable_model_warmup", "false"], ([MISSING, MISSING], [0, 0])),
    (["--enable_model_warmup"], ([1.0, MISSING], [2, 0])),
    (["--num_request_iterations_for_warmup", "3"], ([1.0, MISSING], [6, 0])),
    (["--num_request_iterations_for_warmup", "0"], ([1.0, MISSING], [2, 0])),  # TF's: once
])
def test_warm_up_flags_reach_the_server_s_loader(tmp_path, flags, want):
    base = tmp_path / "kv"
    write_warmup(write_kv_model(str(base), 1), [
        predict_log("put", k=np.array([7], np.int64), v=np.array([1.0], np.float32)),
        predict_log("bump", b=np.array([7], np.int64)),
        predict_log("bump", b=np.array([7], np.int64))])
    server = _served_by_server(["--model_name", "kv", "--model_base_path", str(base)] + flags)
    try:
        assert read(server.repository.get("kv"), [7, 0]) == want
    finally:
        server.repository.stop()


# -- failures: the version does not load, the previous one keeps serving -------------------------
def _corrupt(path):
    data = bytearray(open(path, "rb").read())
    data[20] ^= 0xFF  # inside the first record's payload: its CRC no longer matches
    open(path, "wb").write(bytes(data))


def test_at_most_1000_records_replay(make_repo, tmp_path):
    base = tmp_path / "kv"
    write_warmup(write_kv_model(str(base), 1),
                 [predict_log("bump", b=np.array([1], np.int64))] * MAX_RECORDS)
    repo, _ = make_repo(base)
    assert read(repo.get("kv"), [1])[1] == [MAX_RECORDS]


def _too_many(version_dir):
    record = predict_log("bump", b=np.array([1], np.int64))
    write_warmup(version_dir, [record] * (MAX_RECORDS + 1))


GOOD = predict_log("put", k=np.array([8], np.int64), v=np.array([8.0], np.float32))


@pytest.mark.parametrize("write, error, fragments", [
    (_too_many, InvalidArgumentError,
     [f"Number of warmup records exceeds the maximum ({MAX_RECORDS}) at"]),
    (lambda d: _corrupt(write_warmup(d, [GOOD, GOOD])), DataLossError,
     ["warm-up record 0:", "corrupted record", "verify your warmup data is in TFRecord format"]),
    (lambda d: write_warmup(d, [GOOD, b"\xff\xff\xff"]), InvalidArgumentError,
     ["Failed to parse warmup record 1 from"]),
    (lambda d: write_warmup(d, [GOOD, GOOD, prediction_log_pb2.PredictionLog(
        log_metadata=logging_pb2.LogMetadata(saved_model_tags=["serve"])).SerializeToString()]),
     UnimplementedError, ["warm-up record 2:", "Unsupported log_type for warmup: 0"]),
    (lambda d: write_warmup(d, [prediction_log_pb2.PredictionLog(
        predict_streamed_log=prediction_log_pb2.PredictStreamedLog()).SerializeToString()]),
     UnimplementedError, ["warm-up record 0:", "log_type for warmup: 7 (predict_streamed_log)"]),
    (lambda d: write_warmup(d, [GOOD, session_run_log([5], [5.5])]),
     UnimplementedError, ["warm-up record 1:", "log_type for warmup: 5 (session_run_log)"]),
    (lambda d: write_warmup(d, [GOOD, predict_log("put", k=np.array([1], np.int64))]),
     InvalidArgumentError, ["warm-up record 1 (predict_log) failed:", "Missing but required: {v}"]),
    (lambda d: write_warmup(d, [predict_log("nope", q=np.array([1], np.int64))]),
     FailedPreconditionError, ["warm-up record 0 (predict_log) failed:",
                               'signature key "nope" not found']),
    (lambda d: write_warmup(d, [classify_log([(1, 1.0)], signature="bump")]),
     InvalidArgumentError, ["warm-up record 0 (classify_log) failed:",
                            "No classification inputs found in SignatureDef"]),
])
def test_a_failing_warm_up_fails_the_load_and_the_old_version_serves(
        make_repo, tmp_path, write, error, fragments):
    base = tmp_path / "kv"
    write_warmup(write_kv_model(str(base), 1), [predict_log("put", k=np.array([1], np.int64),
                                                             v=np.array([1.0], np.float32))])
    repo, metrics = make_repo(base)
    assert repo.available_versions("kv") == [1]
    v2 = write_kv_model(str(base), 2)
    write(v2)
    repo.poll()
    assert repo.available_versions("kv") == [1]
    assert read(repo.get("kv"), [1]) == ([1.0], [0])  # version 1 answers
    status = repo.status("kv", 2)[0]
    assert status.state == State.END
    assert isinstance(status.error, error)
    message = status.error.message
    assert warmup_file(v2) in message
    for fragment in fragments:
        assert fragment in message, message
    # The failed replay closed its file, and its error keeps no frames (nor the servable).
    assert warmup_file(v2) not in _open_files()
    assert status.error.__traceback__ is None
    assert metrics.registry.get_sample_value("minitf_model_load_failures_total",
                                             {"model": "kv"}) == 1
    repo.poll()  # unchanged files: not retried
    assert metrics.registry.get_sample_value("minitf_model_load_failures_total",
                                             {"model": "kv"}) == 1
    # A fixed warm-up file is a change: the version loads on the next poll.
    os.remove(warmup_file(v2))
    write_warmup(v2, [GOOD])
    repo.poll()
    assert repo.available_versions("kv") == [2]
    assert read(repo.get("kv"), [8])[0] == [8.0]


def test_warm_up_failure_shows_in_get_model_status(make_repo, tmp_path):
    from minitf.protos import get_model_status_pb2
    from minitf.serving.dataplane import DataPlane
    from minitf.serving.services.tfserving import ModelService

    base = tmp_path / "kv"
    path = warmup_file(write_kv_model(str(base), 1))
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as f:
        f.write(b"not a TFRecord file")
    repo, _ = make_repo(base)
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = "kv"
    response = ModelService(DataPlane(repo)).get_model_status(request, None, _Info())
    (status,) = response.model_version_status
    assert status.state == State.END
    assert status.status.error_code == DataLossError.error_code
    assert "tf_serving_warmup_requests" in status.status.error_message


class _Info:
    model = version = None
    size = 0


# -- --saved_model_tags --------------------------------------------------------------------------
def test_saved_model_tags_choose_the_meta_graph(make_repo, tmp_path):
    base = tmp_path / "kv"
    write_kv_model(str(base), 1, tags=("serve", "gpu"))
    repo, metrics = make_repo(base)  # the default tag set, "serve", is not there
    error = repo.status("kv", 1)[0].error
    assert isinstance(error, NotFoundError)
    assert "no MetaGraphDef with tags ['serve'] (found [['gpu', 'serve']])" in error.message
    repo, _ = make_repo(base, make_loader(("gpu", "serve")))
    assert repo.available_versions("kv") == [1]
    opts = _server_options(["--model_base_path", str(base), "--saved_model_tags",
                            "gpu, serve,gpu"])
    assert opts.saved_model_tags == ("gpu", "serve")
    server = _served_by_server(["--model_name", "kv", "--model_base_path", str(base),
                                "--saved_model_tags", "gpu,serve"])
    try:
        assert server.repository.available_versions("kv") == [1]
        assert read(server.repository.get("kv"), [0]) == ([0.0], [1])  # warmed up on zeros
    finally:
        server.repository.stop()


def test_enable_model_warmup_takes_true_or_false(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["serve", "--model_base_path", "m", "--enable_model_warmup=maybe"])
    assert info.value.code == 2
    assert "--enable_model_warmup: invalid choice: 'maybe'" in capsys.readouterr().err


# -- TF Serving's own protos and files ---------------------------------------------------------
def _official_prediction_log():
    pytest.importorskip("tensorflow")
    return pytest.importorskip("tensorflow_serving.apis.prediction_log_pb2")


def test_prediction_log_is_wire_compatible_both_ways():
    official = _official_prediction_log()
    theirs = official.PredictionLog()
    theirs.log_metadata.model_spec.name = "kv"
    theirs.log_metadata.model_spec.version.value = 3
    theirs.log_metadata.sampling_config.sampling_rate = 0.25
    theirs.log_metadata.saved_model_tags.extend(["serve", "gpu"])
    theirs.log_metadata.timestamp_secs = 1700000000
    request = theirs.predict_log.request
    request.model_spec.signature_name = "put"
    request.inputs["k"].dtype = 9  # DT_INT64
    request.inputs["k"].tensor_shape.dim.add(size=2)
    request.inputs["k"].int64_val.extend([4, 5])
    request.output_filter.append("stored")
    theirs.predict_log.response.outputs["stored"].float_val.append(1.5)
    data = theirs.SerializeToString(deterministic=True)
    ours = prediction_log_pb2.PredictionLog.FromString(data)
    as_dict = lambda m: json_format.MessageToDict(m, preserving_proto_field_name=True)  # noqa: E731
    assert as_dict(ours) == as_dict(theirs)
    assert ours.WhichOneof("log_type") == "predict_log"
    assert list(ours.log_metadata.saved_model_tags) == ["serve", "gpu"]
    assert ours.SerializeToString(deterministic=True) == data
    # And ours, every log type, parses with theirs to the same fields.
    for record in (GOOD, classify_log([(1, 1.0)]), regress_log([(2, 2.0)]),
                   multi_inference_log([(3, 3.0)]), session_run_log([1], [1.0])):
        mine = prediction_log_pb2.PredictionLog.FromString(record)
        other = official.PredictionLog.FromString(record)
        assert other.WhichOneof("log_type") == mine.WhichOneof("log_type")
        assert as_dict(other) == as_dict(mine)
        assert other.SerializeToString(deterministic=True) == \
            mine.SerializeToString(deterministic=True)


def test_a_warm_up_file_written_by_tensorflow_replays(make_repo, tmp_path):
    official = _official_prediction_log()
    real = pytest.importorskip("tensorflow")
    from tensorflow_serving.apis import predict_pb2

    base = tmp_path / "kv"
    version_dir = write_kv_model(str(base), 1)
    path = warmup_file(version_dir)
    os.makedirs(os.path.dirname(path))
    with real.io.TFRecordWriter(path) as writer:  # as TF Serving's documentation does it
        for key, value in ((11, 0.5), (12, -2.0)):
            request = predict_pb2.PredictRequest()
            request.model_spec.name = "kv"
            request.model_spec.signature_name = "put"
            request.inputs["k"].CopyFrom(real.make_tensor_proto([key], dtype=real.int64))
            request.inputs["v"].CopyFrom(real.make_tensor_proto([value], dtype=real.float32))
            log = official.PredictionLog(predict_log=official.PredictLog(request=request))
            writer.write(log.SerializeToString())
        request = predict_pb2.PredictRequest()
        request.model_spec.name = "kv"
        request.model_spec.signature_name = "bump"
        request.inputs["b"].CopyFrom(real.make_tensor_proto([11, 12, 13], dtype=real.int64))
        writer.write(official.PredictionLog(
            predict_log=official.PredictLog(request=request)).SerializeToString())
    repo, _ = make_repo(base)
    assert read(repo.get("kv"), [11, 12, 13, 0]) == ([0.5, -2.0, MISSING, MISSING],
                                                     [1, 1, 1, 0])
