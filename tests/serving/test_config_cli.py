"""The JSON model configuration and the ``minitf`` command: serve's options and errors,
export from a training checkpoint, inspect, and predict against a running server."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import minitf as tf
from examples import linear_regression
from minitf.export import load_saved_model
from minitf.serving import cli
from minitf.serving.batching import BatchingConfig
from minitf.serving.config import load_model_config_file
from minitf.serving.servable import Servable
from tests.serving.conftest import reference

CLI = [sys.executable, "-m", "minitf.serving.cli"]


def write_config(tmp_path, doc, name="models.json") -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


# -- model configuration file ----------------------------------------------------------------------
def test_config_file_every_policy_form_labels_and_batching(tmp_path):
    path = write_config(tmp_path, {
        "batching": {"max_batch_size": 16, "batch_timeout_micros": 500},
        "models": [
            {"name": "plain", "base_path": "models/plain"},
            {"name": "latest", "base_path": str(tmp_path / "abs"), "version_policy": "latest",
             "batching": {"max_batch_size": 8, "allowed_batch_sizes": [2, 8]}},
            {"name": "latest2", "base_path": "m", "version_policy": {"latest": {
                "num_versions": 2}}},
            {"name": "latest_default", "base_path": "m", "version_policy": {"latest": {}}},
            {"name": "all", "base_path": "m", "version_policy": "all", "batching": False},
            {"name": "all_obj", "base_path": "m", "version_policy": {"all": {}},
             "batching": True},
            {"name": "some", "base_path": "../elsewhere/m",
             "version_policy": {"specific": {"versions": [1, 3]}},
             "version_labels": {"stable": 1, "canary": 3}},
        ]})
    models, default = load_model_config_file(path)
    assert default == BatchingConfig(max_batch_size=16, batch_timeout_micros=500)
    by_name = {m.name: m for m in models}
    assert list(by_name) == ["plain", "latest", "latest2", "latest_default", "all", "all_obj",
                             "some"]
    # Relative base paths are relative to the configuration file, absolute ones are kept.
    assert by_name["plain"].base_path == str(tmp_path / "models" / "plain")
    assert by_name["latest"].base_path == str(tmp_path / "abs")
    assert by_name["some"].base_path == str(tmp_path.parent / "elsewhere" / "m")
    policies = {n: (m.version_policy, m.num_versions, m.versions) for n, m in by_name.items()}
    assert policies["plain"] == ("latest", 1, ())
    assert policies["latest"] == ("latest", 1, ())
    assert policies["latest2"] == ("latest", 2, ())
    assert policies["latest_default"] == ("latest", 1, ())
    assert policies["all"][0] == policies["all_obj"][0] == "all"
    assert policies["some"] == ("specific", 1, (1, 3))
    assert by_name["some"].version_labels == {"stable": 1, "canary": 3}
    assert by_name["plain"].version_labels == {}
    # batching layers over the file's default: absent -> the default; an object overrides the
    # parameters it names; false -> off; true -> on, both keeping the default's parameters.
    assert by_name["plain"].batching == default
    assert by_name["latest"].batching == BatchingConfig(
        max_batch_size=8, allowed_batch_sizes=(2, 8), batch_timeout_micros=500)
    assert by_name["all"].batching == BatchingConfig(max_batch_size=16, batch_timeout_micros=500,
                                                     enabled=False)
    assert by_name["all_obj"].batching == default


def test_config_file_without_default_batching(tmp_path):
    models, default = load_model_config_file(
        write_config(tmp_path, {"models": [{"name": "m", "base_path": "m"}]}))
    assert default is None and [m.name for m in models] == ["m"]


def _model(**fields):
    return {"models": [{"name": "m", "base_path": "m", **fields}]}


@pytest.mark.parametrize("doc, message", [
    ('{"models": [', "is not valid JSON"),
    ("[]", 'expected an object with a "models" list'),
    ({"models": {"name": "m"}}, 'expected an object with a "models" list'),
    ({"models": [], "model_config_list": []}, r"unknown keys \['model_config_list'\]"),
    ({"models": [{"base_path": "m"}]}, r'models\[0\]: each model needs "name" and "base_path"'),
    ({"models": [{"name": "m"}]}, r'models\[0\]: each model needs "name" and "base_path"'),
    ({"models": ["m"]}, r'models\[0\]: each model needs "name" and "base_path"'),
    (_model(version=1), r"models\[0\]: unknown keys \['version'\]"),
    (_model(version_policy="newest"), "model m: version_policy must be"),
    (_model(version_policy={"latest": {}, "all": {}}), "model m: version_policy must be"),
    (_model(version_policy={"newest": {}}), "model m: version_policy must be"),
    (_model(version_policy={"latest": {"num_versions": 0}}), "num_versions must be >= 1"),
    (_model(version_policy={"latest": {"num_versions": "two"}}), r"models\[0\]: .*'two'"),
    (_model(version_policy={"specific": {"versions": []}}), "versions must be a non-empty"),
    # wrong JSON types are named, never coerced or ignored
    (_model(version_policy={"specific": {"versions": "12"}}), "non-empty list"),
    (_model(version_policy={"specific": {"versions": [1.5]}}), "must be an integer, got 1.5"),
    (_model(version_policy={"latest": {"num_versions": 2.7}}), "must be an integer, got 2.7"),
    (_model(version_policy={"latest": {"num_version": 2}}), r"unknown keys \['num_version'\]"),
    (_model(version_policy={"all": {"x": 1}}), r"unknown keys \['x'\]"),
    (_model(version_policy={"latest": 2}), "model m: version_policy must be"),
    (_model(version_policy={"specific": [1]}), "model m: version_policy must be"),
    (_model(version_labels={"stable": 1.9}), "must be an integer, got 1.9"),
    (_model(batching={"max_batch_size": "8"}), r"models\[0\]: batching: max_batch_size must be "
     "an integer, got '8'"),
    (_model(batching={"enabled": "no"}), "enabled must be true or false"),
    (_model(version_labels=["stable"]), r"models\[0\]: version_labels must be an object"),
    (_model(version_labels={"bad label": 1}), "invalid version label 'bad label'"),
    (_model(version_labels={"stable": "one"}), r"models\[0\]: .*'one'"),
    (_model(batching={"max_batch": 8}), r"models\[0\]: batching: unknown parameters "
     r"\['max_batch'\]"),
    (_model(batching={"max_batch_size": 0}), r"models\[0\]: batching: max_batch_size must "
     "be >= 1"),
    (_model(batching={"max_batch_size": 8, "allowed_batch_sizes": [2, 4]}),
     "last entry in allowed_batch_sizes must match max_batch_size"),
    (_model(batching="yes"), r"models\[0\]: batching must be an object, true or false"),
    ({"batching": {"timeout": 1}, "models": []}, r"json: batching: unknown parameters"),
    ({"models": [{"name": "../x", "base_path": "m"}]}, "invalid model name '../x'"),
    ({"models": [{"name": "a/b", "base_path": "m"}]}, "invalid model name 'a/b'"),
    ({"models": [{"name": "m", "base_path": 5}]}, r"models\[0\]: "),
])
def test_config_file_errors_name_the_problem(tmp_path, doc, message):
    path = write_config(tmp_path, doc)
    with pytest.raises(ValueError, match=message) as info:
        load_model_config_file(path)
    assert path in str(info.value) or "model m" in str(info.value) or \
        "model name" in str(info.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ValueError, match="cannot read model config .*missing.json"):
        load_model_config_file(str(tmp_path / "missing.json"))


# -- minitf serve: options and errors --------------------------------------------------------------
SERVE_OPTIONS = ["--port", "--http_port", "--host", "--model_name", "--model_base_path",
                 "--model_config_file", "--file_system_poll_wait_seconds",
                 "--max_message_bytes", "--grpc_threads", "--ssl_cert", "--ssl_key",
                 "--ssl_client_ca", "--batching", "--enable_batching",
                 "--batching_parameters_file", "--enable_per_model_batching_parameters",
                 "--max_batch_size", "--batch_timeout_micros",
                 "--max_enqueued_batches", "--num_batch_threads", "--allowed_batch_sizes",
                 "--grace_seconds", "--log_level", "--rest_api_port", "--rest_api_num_threads",
                 "--rest_api_timeout_in_ms", "--model_config_file_poll_wait_seconds",
                 "--monitoring_config_file", "--enable_model_warmup",
                 "--num_request_iterations_for_warmup", "--saved_model_tags",
                 "--model_control_mode", "--load_model", "--compat_metrics",
                 # the rest of tensorflow_model_server's flags (serving/tfs_flags.py)
                 "--version", "--grpc_max_threads", "--grpc_socket_path",
                 "--grpc_channel_arguments", "--ssl_config_file", "--use_alts_credentials",
                 "--rest_api_enable_cors_support", "--max_num_load_retries",
                 "--load_retry_interval_micros", "--tensorflow_intra_op_parallelism",
                 "--tensorflow_inter_op_parallelism", "--tensorflow_session_parallelism",
                 "--tensorflow_session_config_file", "--per_process_gpu_memory_fraction",
                 "--platform_config_file", "--prefer_tflite_model", "--mixed_precision",
                 "--flush_filesystem_caches", "--remove_unused_fields_from_bundle_metagraph",
                 "--num_load_threads", "--num_unload_threads", "--xla_cpu_compilation_enabled",
                 "--xla_gpu_compilation_enabled", "--enable_profiler", "--skip_initialize_tpu",
                 "--enable_serialization_as_tensor_content", "--thread_pool_factory_config_file",
                 "--num_tflite_pools", "--num_tflite_interpreters_per_pool",
                 "--enable_grpc_healthcheck_service",
                 "--allow_version_labels_for_unavailable_models", "--blas_threads"]


def test_serve_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["serve", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    options = text[text.index("options:"):]
    for flag in SERVE_OPTIONS:
        lines = [line for line in options.splitlines() if line.strip().startswith(flag + " ")
                 or line.strip().startswith(flag + ",") or line.strip() == flag]
        assert lines, f"{flag} is not documented"
    for words in ("default 8500", "default 8501", "TLS", "mutual TLS", "UNAVAILABLE",
                  "SIGTERM"):
        assert words in " ".join(options.split()), words


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    for command in ("serve", "export", "inspect", "predict"):
        assert command in text


def _serve_options(argv):
    parser = argparse.ArgumentParser(prog="minitf")
    cli._serve_parser(parser.add_subparsers(dest="command", required=True))
    return cli.build_options(parser.parse_args(["serve", *argv]))


def test_tf_serving_rest_api_port_names_the_http_port():
    """tensorflow_model_server's --rest_api_port: N serves the HTTP port on N; 0 (its default)
    means no REST port, so none (minitf's -1). Without either flag: 8501."""
    assert _serve_options(["--model_base_path", "m"]).http_port == 8501
    assert _serve_options(["--model_base_path", "m", "--rest_api_port", "9000"]).http_port \
        == 9000
    assert _serve_options(["--model_base_path", "m", "--rest_api_port", "0"]).http_port == -1
    assert _serve_options(["--model_base_path", "m", "--rest_api_port", "9000",
                           "--http_port", "9000"]).http_port == 9000
    opts = _serve_options(["--model_base_path", "m", "--rest_api_num_threads", "3",
                           "--rest_api_timeout_in_ms", "1500"])
    assert (opts.rest_api_num_threads, opts.rest_api_timeout_seconds) == (3, 1.5)


def test_warm_up_and_tag_flags_as_tf_serving():
    """--enable_model_warmup (default true), --num_request_iterations_for_warmup (0: once)
    and --saved_model_tags (a comma-separated set, default serve). What they do when a
    version loads: tests/serving/test_warmup.py."""
    opts = _serve_options(["--model_base_path", "m"])
    assert (opts.enable_model_warmup, opts.num_request_iterations_for_warmup,
            opts.saved_model_tags) == (True, 1, ("serve",))
    opts = _serve_options(["--model_base_path", "m", "--enable_model_warmup=false",
                           "--num_request_iterations_for_warmup", "4",
                           "--saved_model_tags", "serve, gpu,serve"])
    assert (opts.enable_model_warmup, opts.num_request_iterations_for_warmup,
            opts.saved_model_tags) == (False, 4, ("serve", "gpu"))
    assert _serve_options(["--model_base_path", "m", "--enable_model_warmup"]
                          ).enable_model_warmup


def test_batching_layers_flags_then_file_then_model(tmp_path):
    """Each layer overrides only the parameters it names: flags < file default < model."""
    path = write_config(tmp_path, {
        "batching": {"batch_timeout_micros": 700},
        "models": [{"name": "a", "base_path": "a"},
                   {"name": "b", "base_path": "b", "batching": {"num_batch_threads": 1}},
                   {"name": "c", "base_path": "c", "batching": False}]})
    opts = _serve_options(["--model_config_file", path, "--max_batch_size", "8",
                           "--max_enqueued_batches", "3"])
    flags_and_file = BatchingConfig(max_batch_size=8, max_enqueued_batches=3,
                                    batch_timeout_micros=700)
    assert opts.batching == flags_and_file
    by_name = {m.name: m.batching for m in opts.models}
    assert by_name["a"] == flags_and_file
    assert by_name["b"] == BatchingConfig(max_batch_size=8, max_enqueued_batches=3,
                                          batch_timeout_micros=700, num_batch_threads=1)
    assert by_name["c"] == BatchingConfig(max_batch_size=8, max_enqueued_batches=3,
                                          batch_timeout_micros=700, enabled=False)
    # --batching off with a file that configures batching for one model: only that one batches.
    path = write_config(tmp_path, {"models": [
        {"name": "a", "base_path": "a"},
        {"name": "b", "base_path": "b", "batching": {"max_batch_size": 4}}]}, "off.json")
    opts = _serve_options(["--model_config_file", path, "--batching", "off"])
    by_name = {m.name: m.batching for m in opts.models}
    assert not opts.batching.enabled and not by_name["a"].enabled
    assert by_name["b"] == BatchingConfig(max_batch_size=4)
    # Without a file the flags are the configuration; batching is off unless asked for, as
    # in tensorflow_model_server.
    opts = _serve_options(["--model_base_path", "m", "--batch_timeout_micros", "50"])
    assert opts.batching == BatchingConfig(batch_timeout_micros=50, enabled=False)
    assert opts.models[0].batching is None
    for on in (["--batching", "on"], ["--enable_batching"], ["--enable_batching=true"]):
        opts = _serve_options(["--model_base_path", "m", "--batch_timeout_micros", "50", *on])
        assert opts.batching == BatchingConfig(batch_timeout_micros=50), on


@pytest.mark.parametrize("args, message", [
    (["--port", "8501"], "--port and --http_port (default) are both 8501"),
    (["--port=9000", "--rest_api_port=9000", "--http_port=9000"],
     "--port and --rest_api_port are both 9000: gRPC and HTTP need ports of their own"),
    (["--port=9001", "--http_port=9001"], "--port and --http_port are both 9001"),
])
def test_grpc_port_equal_to_the_http_port_names_both_flags(tmp_path, args, message):
    """Rather than "[Errno 98] Address already in use" once the gRPC port is bound: exit 2
    before binding anything (a process of its own: a server that did start would serve on)."""
    proc = subprocess.run([*CLI, "serve", "--model_base_path", str(tmp_path), *args],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("minitf serve: ") and message in proc.stderr, proc.stderr
    # Both 0: two free ports, not the same one.
    assert _serve_options(["--model_base_path", "m", "--port", "0", "--http_port", "0"]
                          ).http_port == 0


def test_serve_with_nothing_to_serve_exits_2():
    proc = subprocess.run([*CLI, "serve", "--port", "0", "--http_port", "0"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "nothing to serve: give --model_base_path or --model_config_file" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args, message", [
    (["--model_config_file", "{dup}"], "duplicate model names"),
    (["--model_config_file", "{bad}"], "is not valid JSON"),
    (["--model_base_path", "m", "--allowed_batch_sizes", "2,4"],
     "last entry in allowed_batch_sizes must match max_batch_size"),
    (["--model_base_path", "m", "--max_batch_size", "0"], "max_batch_size must be >= 1"),
    (["--model_name", "../x", "--model_base_path", "m"], "invalid model name"),
    (["--model_base_path", "m", "--port", "-5"], "--port must be between 0 and 65535, got -5"),
    (["--model_base_path", "m", "--port", "70000"], "--port must be between 0 and 65535"),
    (["--model_base_path", "m", "--http_port", "70000"], "--http_port must be between -1 and"),
    (["--model_base_path", "m", "--max_message_bytes", "0"], "--max_message_bytes must be"),
    (["--model_base_path", "m", "--max_message_bytes", "3000000000"],
     "--max_message_bytes must be between 1 and 2147483647"),
    (["--model_base_path", "m", "--grace_seconds", "-1"], "--grace_seconds must be >= 0"),
    (["--model_base_path", "m", "--rest_api_port", "-2"], "--rest_api_port must be >= 0"),
    (["--model_base_path", "m", "--http_port", "9000", "--rest_api_port", "9001"],
     "--http_port 9000 and --rest_api_port 9001 disagree"),
    (["--model_base_path", "m", "--rest_api_timeout_in_ms", "0"],
     "--rest_api_timeout_in_ms must be >= 1"),
    (["--model_base_path", "m", "--allowed_batch_sizes", "4,x"],
     "--allowed_batch_sizes: expected comma-separated integers, got '4,x'"),
    (["--model_base_path", "m", "--saved_model_tags", ""],
     "--saved_model_tags: expected comma-separated non-empty tags, got ''"),
    (["--model_base_path", "m", "--saved_model_tags", "serve,,gpu"],
     "--saved_model_tags: expected comma-separated non-empty tags, got 'serve,,gpu'"),
    (["--model_base_path", "m", "--num_request_iterations_for_warmup", "-1"],
     "--num_request_iterations_for_warmup must be >= 0, got -1"),
])
def test_serve_configuration_errors_exit_2(tmp_path, capsys, args, message):
    files = {"cfg": write_config(tmp_path, _model(), "cfg.json"),
             "dup": write_config(tmp_path, {"models": [{"name": "m", "base_path": "a"},
                                                       {"name": "m", "base_path": "b"}]},
                                 "dup.json"),
             "bad": write_config(tmp_path, "{", "bad.json")}
    argv = ["serve", "--port", "0", "--http_port", "0",
            *[a.format(**files) for a in args]]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("minitf serve: ") and message in err


# -- minitf export ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """linear_regression trained for a few steps: its checkpoint, graph.pbtxt and the training
    session's own predictions on some inputs."""
    out = tmp_path_factory.mktemp("train")
    xs = np.linspace(-2, 2, 7, dtype=np.float32)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(1)
        g = linear_regression.build_graph()
        saver = tf.train.Saver()
    x_data, y_data = linear_regression.make_data(n=64)
    with tf.Session(graph=graph) as sess:
        sess.run(tf.variables_initializer(graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)))
        for _ in range(5):
            sess.run(g["train_op"], {g["x"]: x_data, g["y"]: y_data})
        predictions = sess.run(g["z"], {g["x"]: xs})
        checkpoint = saver.save(sess, str(out / "model"), global_step=5)
        tf.train.write_graph(graph, str(out), "graph.pbtxt")
    return {"dir": str(out), "checkpoint": checkpoint, "xs": xs, "predictions": predictions}


def served_predictions(path, xs):
    servable = Servable("linear", 1, load_saved_model(path))
    runner = servable.signature(None)
    return runner.run(runner.validate({"x": xs}), ("z",))["z"]


def minitf_command() -> list[str]:
    """The installed console script (what users run), else the module."""
    script = os.path.join(os.path.dirname(sys.executable), "minitf")
    return [script] if os.path.exists(script) else CLI


def test_export_from_graph_file_and_checkpoint(trained, tmp_path):
    model_dir = tmp_path / "models" / "linear"
    proc = subprocess.run([*minitf_command(), "export",
                           "--graph", os.path.join(trained["dir"], "graph.pbtxt"),
                           "--checkpoint", trained["dir"], "--inputs", "x=x:0",
                           "--outputs", "z=z:0", "--model_dir", str(model_dir),
                           "--version", "3"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"exported {model_dir / '3'}" in proc.stdout
    assert sorted(os.listdir(model_dir)) == ["3"]  # no temporary directory left behind
    np.testing.assert_allclose(served_predictions(str(model_dir / "3"), trained["xs"]),
                               trained["predictions"], rtol=1e-6, atol=1e-6)


def test_export_from_script_picks_the_next_version(trained, tmp_path, capsys):
    script = tmp_path / "build.py"
    script.write_text("from examples.linear_regression import build_graph  # noqa: F401\n")
    model_dir = tmp_path / "models" / "linear"
    os.makedirs(model_dir / "1")  # an existing version: the export becomes version 2
    assert cli.main(["export", "--script", str(script), "--checkpoint",
                     trained["checkpoint"], "--inputs", "x", "--outputs", "z",
                     "--model_dir", str(model_dir)]) == 0
    assert "exported" in capsys.readouterr().out
    np.testing.assert_allclose(served_predictions(str(model_dir / "2"), trained["xs"]),
                               trained["predictions"], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("change, message", [
    ({"--outputs": "z=nope:0"}, "nope"),
    ({"--inputs": ""}, "--inputs: no tensors given"),
    ({"--checkpoint": "/nonexistent/ckpt"}, "ckpt"),
    ({"--version": "-1"}, "--version must be >= 0"),  # the server would never see it
])
def test_export_errors_exit_1(trained, tmp_path, capsys, change, message):
    args = {"--graph": os.path.join(trained["dir"], "graph.pbtxt"),
            "--checkpoint": trained["dir"], "--inputs": "x=x:0", "--outputs": "z=z:0",
            "--model_dir": str(tmp_path / "m"), "--version": "1", **change}
    assert cli.main(["export", *[p for kv in args.items() for p in kv]]) == 1
    err = capsys.readouterr().err
    assert err.startswith("minitf export: ") and message in err
    assert not os.path.exists(tmp_path / "m" / "1")


_TABLE_SCRIPT = """
import numpy as np
import minitf as tf

def build_graph():
    words = tf.placeholder(tf.string, [None], name="words")
    vocab = tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(
        ["cat", "dog"], tf.constant([0, 1], tf.int64)), 1)
    by_line = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
        VOCAB, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64,
        tf.lookup.TextFileIndex.LINE_NUMBER), -1)
    emb = tf.get_variable("emb", [3, 2])
    y = tf.reduce_sum(tf.nn.embedding_lookup(emb, vocab.lookup(words)), 1, name="y")
    line = tf.identity(by_line.lookup(words), name="line")
    return words, y, line
"""


@pytest.fixture
def table_training(tmp_path):
    """A training run whose graph has lookup tables (a vocabulary table and one read from a
    text file): its script, graph.pbtxt, checkpoint, and the outputs for WORDS."""
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("dog\ncat\n")
    script = tmp_path / "build.py"
    script.write_text(_TABLE_SCRIPT.replace("VOCAB", repr(str(vocab))))
    spec = importlib.util.spec_from_file_location("_table_script", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "run"
    with tf.Graph().as_default() as graph, tf.Session() as sess:
        words, y, line = module.build_graph()
        step = tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(tf.square(y - 1)))
        sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
        sess.run(step, {words: [b"cat", b"x"]})
        tf.train.Saver().save(sess, str(out / "model"))
        tf.train.write_graph(graph, str(out), "graph.pbtxt")
        want = sess.run({"y": y, "line": line}, {words: WORDS})
    return {"vocab": vocab, "script": script, "dir": str(out), "want": want}


WORDS = np.array([b"dog", b"x", b"cat"], dtype=object)


def _serve_words(path):
    servable = Servable("m", 1, load_saved_model(path))
    runner = servable.signature(None)
    return runner.run(runner.validate({"words": WORDS}), ("y", "line"))


@pytest.mark.parametrize("source", ["--graph", "--script"])
def test_export_fills_the_lookup_tables(table_training, tmp_path, source):
    # A checkpoint holds no table contents and a CLI user cannot run tables_initializer():
    # the export fills the tables the outputs use and freezes their contents into the model.
    given = os.path.join(table_training["dir"], "graph.pbtxt") if source == "--graph" else \
        str(table_training["script"])
    model_dir = tmp_path / "models" / "tab"
    assert cli.main(["export", source, given, "--checkpoint", table_training["dir"],
                     "--inputs", "words=words:0", "--outputs", "y=y:0,line=line:0",
                     "--model_dir", str(model_dir), "--version", "1"]) == 0
    os.remove(table_training["vocab"])  # the vocabulary travels inside the model
    got = _serve_words(str(model_dir / "1"))
    np.testing.assert_allclose(got["y"], table_training["want"]["y"], rtol=1e-6)
    np.testing.assert_array_equal(got["line"], table_training["want"]["line"])


def test_export_names_a_missing_vocabulary_file(table_training, tmp_path, capsys):
    os.remove(table_training["vocab"])
    assert cli.main(["export", "--graph", os.path.join(table_training["dir"], "graph.pbtxt"),
                     "--checkpoint", table_training["dir"], "--inputs", "words=words:0",
                     "--outputs", "line=line:0", "--model_dir", str(tmp_path / "m")]) == 1
    err = capsys.readouterr().err
    assert "lookup table 'hash_table_1'" in err and "vocab.txt" in err
    assert "must exist when exporting" in err
    # An output that needs no table reads no file.
    assert cli.main(["export", "--graph", os.path.join(table_training["dir"], "graph.pbtxt"),
                     "--checkpoint", table_training["dir"], "--inputs", "words=words:0",
                     "--outputs", "y=y:0", "--model_dir", str(tmp_path / "m")]) == 0


TF_DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "export", "data")


def test_export_a_tensorflow_training_graph(tmp_path, capsys):
    # TF 2.x's text graph.pbtxt: NodeDef.experimental_type on some nodes, a stateless random
    # initializer (StatelessRandomGetKeyCounter: minitf lacks it, and the export never runs
    # it), Adam, a StaticHashTable; written by tests/export/data/generate_with_tensorflow.py.
    graph = os.path.join(TF_DATA, "tf_training", "graph.pbtxt")
    assert "experimental_type" in open(graph).read()
    model_dir = tmp_path / "m"
    assert cli.main(["export", "--graph", graph, "--checkpoint",
                     os.path.join(TF_DATA, "tf_training"), "--inputs", "x=x:0,words=words:0",
                     "--outputs", "y=y:0,ids=ids:0", "--model_dir", str(model_dir)]) == 0
    with np.load(os.path.join(TF_DATA, "tf_training.npz")) as z:
        feeds = {"x": z["in:x"], "words": z["in:words"].astype(object)}
        want = {"y": z["out:y"], "ids": z["out:ids"]}
    runner = Servable("m", 1, load_saved_model(str(model_dir / "1"))).signature(None)
    got = runner.run(runner.validate(feeds), ("y", "ids"))
    np.testing.assert_allclose(got["y"], want["y"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got["ids"], want["ids"])
    capsys.readouterr()
    assert cli.main(["inspect", graph, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["op_histogram"]["StatelessRandomGetKeyCounter"] == 1
    # A node the graph lacks is named as such, not as a missing tensor of the pruned graph.
    assert cli.main(["export", "--graph", graph, "--checkpoint",
                     os.path.join(TF_DATA, "tf_training"), "--inputs", "x=x:0",
                     "--outputs", "nope:0", "--model_dir", str(tmp_path / "n")]) == 1
    assert "has no node 'nope'" in capsys.readouterr().err


# -- minitf inspect --------------------------------------------------------------------------------
@pytest.mark.skipif(importlib.util.find_spec("minitf.export.inspect") is None,
                    reason="minitf.export.inspect is not there yet")
def test_inspect_an_exported_model(trained, tmp_path, capsys):
    model_dir = tmp_path / "linear"
    assert cli.main(["export", "--graph", os.path.join(trained["dir"], "graph.pbtxt"),
                     "--checkpoint", trained["dir"], "--inputs", "x=x:0", "--outputs", "z=z:0",
                     "--model_dir", str(model_dir), "--version", "1"]) == 0
    capsys.readouterr()
    assert cli.main(["inspect", str(model_dir / "1"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    sig = info["signatures"]["serving_default"]
    assert list(sig["inputs"]) == ["x"] and sig["inputs"]["x"]["name"] == "x:0"
    assert list(sig["outputs"]) == ["z"] and sig["outputs"]["z"]["name"] == "z:0"
    assert info["frozen"] is True
    assert cli.main(["inspect", str(model_dir / "1")]) == 0
    text = capsys.readouterr().out
    assert "serving_default" in text and "x:0" in text and "z:0" in text
    assert cli.main(["inspect", str(tmp_path / "missing")]) == 1
    assert capsys.readouterr().err.startswith("minitf inspect: ")
    # The training graph in the text format export reads (graph.pbtxt) describes too.
    assert cli.main(["inspect", os.path.join(trained["dir"], "graph.pbtxt"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "graph_def"
    assert "x:0" in [p["name"] for p in info["placeholders"]]
    bad = tmp_path / "bad.pbtxt"
    bad.write_text("node { name: ")
    assert cli.main(["inspect", str(bad)]) == 1
    assert "not a valid text GraphDef" in capsys.readouterr().err


def test_package_runs_as_a_module(trained, tmp_path):
    """``python -m minitf.serving`` is the minitf command, where the console script is not on
    PATH: it inspects an exported model and exits non-zero, naming the problem, on bad input."""
    model_dir = tmp_path / "linear"
    assert cli.main(["export", "--graph", os.path.join(trained["dir"], "graph.pbtxt"),
                     "--checkpoint", trained["dir"], "--inputs", "x=x:0", "--outputs", "z=z:0",
                     "--model_dir", str(model_dir), "--version", "1"]) == 0
    module = [sys.executable, "-m", "minitf.serving"]
    proc = subprocess.run([*module, "inspect", str(model_dir / "1"), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["signatures"]["serving_default"]["inputs"]["x"]["name"] == "x:0"
    proc = subprocess.run([*module, "inspect", str(tmp_path / "missing")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stderr.startswith("minitf inspect: ")
    proc = subprocess.run([*module, "nosuchcommand"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "nosuchcommand" in proc.stderr


# -- minitf predict --------------------------------------------------------------------------------
X = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.0, -0.5, -2.0]], dtype=np.float32)


def run_predict(capsys, server, *args) -> tuple[int, dict | str]:
    code = cli.main(["predict", "--server", f"127.0.0.1:{server.grpc_port}", "--model",
                     "dense", "--timeout", "10", *args])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else captured.err)


@pytest.mark.parametrize("api", ["tfserving", "kserve"])
def test_predict_by_alias(server, capsys, api):
    srv, _ = server
    code, out = run_predict(capsys, srv, "--api", api, "--input", f"x={json.dumps(X.tolist())}")
    assert code == 0
    want = reference(X)
    assert sorted(out) == ["classes", "logits", "probs"]
    np.testing.assert_allclose(out["probs"], want["probs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["logits"], want["logits"], rtol=1e-5, atol=1e-5)
    assert out["classes"] == want["classes"].tolist()


def test_predict_with_npy_input_output_filter_and_version(server, capsys, tmp_path):
    srv, _ = server
    np.save(tmp_path / "x.npy", X)
    code, out = run_predict(capsys, srv, "--input", f"x={tmp_path / 'x.npy'}", "--output",
                            "probs", "--version", "1")
    assert code == 0 and list(out) == ["probs"]
    np.testing.assert_allclose(out["probs"], reference(X)["probs"], rtol=1e-5, atol=1e-6)


def test_predict_session_api_by_tensor_name(server, capsys):
    srv, _ = server
    code, out = run_predict(capsys, srv, "--api", "session", "--input",
                            f"x:0={json.dumps(X.tolist())}", "--output", "logits:0",
                            "--output", "classes:0")
    assert code == 0
    want = reference(X)
    np.testing.assert_allclose(out["logits:0"], want["logits"], rtol=1e-5, atol=1e-5)
    assert out["classes:0"] == want["classes"].tolist()


def test_predict_errors(server, capsys):
    srv, _ = server
    code, err = run_predict(capsys, srv, "--api", "session", "--input", "x:0=[[1,2,3,4]]")
    assert code == 2 and "--api session needs --output" in err
    code, err = run_predict(capsys, srv, "--input", "x")
    assert code == 2 and "--input needs alias=value" in err
    code, err = run_predict(capsys, srv, "--version", "7", "--input", "x=[[1,2,3,4]]")
    assert code == 1 and err.startswith("minitf predict: NOT_FOUND")
    code, err = run_predict(capsys, srv, "--input", "x=[[1,2,3]]")
    assert code == 1 and "INVALID_ARGUMENT" in err and "[-1,4]" in err
    # Inputs that cannot be read are named, without a traceback.
    for value, extra, fragment in (("[[1,2]", [], "--input x: "),
                                   ("missing.npy", [], "missing.npy"),
                                   ('[["a","b"]]', [], "--input x: "),
                                   ("[[1,2,3,4]]", ["--dtype", "floot"], "--input x: ")):
        code, err = run_predict(capsys, srv, *extra, "--input", f"x={value}")
        assert code == 2 and err.startswith("minitf predict: ") and fragment in err, err


def test_serve_startup_failures_are_one_line(tmp_path):
    """A taken port or bad TLS files end ``minitf serve`` with its message, not a traceback."""
    import socket

    from tests.serving.conftest import write_model
    write_model(str(tmp_path / "m"), 1)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for extra in (["--port", str(port)],
                      ["--port", "0", "--ssl_cert", __file__, "--ssl_key", __file__]):
            proc = subprocess.run([*CLI, "serve", "--model_base_path", str(tmp_path / "m"),
                                   "--host", "127.0.0.1", "--http_port", "-1", *extra],
                                  capture_output=True, text=True, timeout=60)
            assert proc.returncode == 1, proc.stderr
            assert "minitf serve: " in proc.stderr and "Traceback" not in proc.stderr


# A ``minitf serve`` whose server is a stand-in, so a stop that overruns is deterministic.
_STUCK_SERVER = """
import sys, threading, time
from minitf.serving import cli, server

class Stuck:
    grpc_port, http_port = 1, None
    repository = type("Repository", (), {"interrupt": lambda self: None})()
    def __init__(self, options): pass
    def start(self): pass
    def stop(self):
        if sys.argv[1] == "stop-hangs":
            time.sleep(60)
        # a request still running after the grace period holds a worker thread
        threading.Thread(target=time.sleep, args=(60,)).start()

server.ModelServer = Stuck
sys.exit(cli.main(["serve", "--model_base_path", "m", "--grace_seconds", "0"]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("case, signals, code", [("worker-stuck", 1, 0), ("stop-hangs", 2, 1)])
def test_serve_exit_is_bounded(case, signals, code):
    """The grace period bounds the exit even when a request is still running (Python would
    join its worker thread), and a second signal exits at once."""
    import signal
    import threading

    proc = subprocess.Popen([sys.executable, "-c", _STUCK_SERVER, case],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines, arrived = [], threading.Condition()

    def read_stderr():  # stderr as it comes, so each signal can wait for the one before
        for line in proc.stderr:
            with arrived:
                lines.append(line)
                arrived.notify_all()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert "minitf serving on grpc :1 http off" in proc.stdout.readline()
        for i in range(signals):
            if i:  # the previous signal was handled: two pending signals would be one
                with arrived:
                    assert arrived.wait_for(
                        lambda: any("Received SIGTERM" in line for line in lines),
                        timeout=20), "".join(lines)
            proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == code
    finally:
        proc.kill()
        reader.join(20)
    err = "".join(lines)
    assert "Traceback" not in err
    assert ("still running after the grace period" if code == 0 else
            "Received SIGTERM again") in err


def test_model_name_and_base_path_give_way_to_a_config_file(tmp_path, caplog):
    """As tensorflow_model_server (whose Docker image always passes --model_name and
    --model_base_path): with --model_config_file the file says what is served."""
    cfg = write_config(tmp_path, _model(), "cfg.json")
    with caplog.at_level("WARNING", "minitf.serving"):
        opts = _serve_options(["--model_config_file", cfg, "--model_name", "other",
                               "--model_base_path", "elsewhere"])
    assert [m.name for m in opts.models] == [m.name for m in load_model_config_file(cfg)[0]]
    assert "other" not in [m.name for m in opts.models]
    assert "--model_name and --model_base_path are ignored" in caplog.text
