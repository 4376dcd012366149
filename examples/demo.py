"""The main job end to end: train -> export -> serve -> predict (both gRPC APIs + SessionRun)
-> scrape metrics -> report -> stop.

    python -m examples.demo [--quick] [--workdir .]

Writes runs/ (checkpoints, graphs, learning curves, TensorBoard logs) and models/ (served
SavedModels) under --workdir, starts ``minitf serve`` on 127.0.0.1, and stops it with SIGTERM at
the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import numpy as np

from . import cnn_digits, linear_regression, mlp_digits
from .common import load_digits

SIGNATURE = "--inputs images=images:0 --outputs probs=probs:0,classes=classes:0"


def say(msg: str):
    print(f"==> {msg}", flush=True)


def train_and_export(workdir: str, quick: bool) -> dict:
    from minitf.serving import cli

    runs = os.path.join(workdir, "runs")
    models = os.path.join(workdir, "models")
    for name in ("linear", "mlp", "cnn"):  # a clean slate for what this demo owns
        shutil.rmtree(os.path.join(models, name), ignore_errors=True)
        shutil.rmtree(os.path.join(runs, name, "logs"), ignore_errors=True)
    results = {}
    say("Training the seed's linear regression (y = A*x + b)")
    results["linear"] = linear_regression.train(
        steps=100 if quick else 300, out=os.path.join(runs, "linear"),
        plot=os.path.join(runs, "linear", "curve.png"),
        logdir=os.path.join(runs, "linear", "logs"))
    say("Training an MLP on scikit-learn's 8x8 digits")
    results["mlp"] = mlp_digits.train(
        epochs=5 if quick else 30, out=os.path.join(runs, "mlp"),
        plot=os.path.join(runs, "mlp", "curve.png"),
        logdir=os.path.join(runs, "mlp", "logs"))
    say("Training a CNN (Conv2D + MaxPool + dense) on the same digits")
    results["cnn"] = cnn_digits.train(
        epochs=2 if quick else 20, out=os.path.join(runs, "cnn"),
        plot=os.path.join(runs, "cnn", "curve.png"),
        logdir=os.path.join(runs, "cnn", "logs"))
    exports = {
        "linear": "--inputs x=x:0 --outputs z=z:0",
        "mlp": SIGNATURE,
        "cnn": SIGNATURE,
    }
    for name, signature in exports.items():
        run_dir = os.path.join(runs, name)
        argv = ["export", "--graph", os.path.join(run_dir, "graph.pbtxt"), "--checkpoint",
                run_dir, *signature.split(), "--model_dir", os.path.join(models, name),
                "--version", "1"]
        say(f"Exporting {name}: minitf {' '.join(argv)}")
        if cli.main(argv) != 0:
            raise SystemExit(f"export of {name} failed")
    config = {"batching": {"max_batch_size": 32, "batch_timeout_micros": 1000},
              "models": [{"name": n, "base_path": n} for n in exports]}
    with open(os.path.join(models, "models.json"), "w") as f:
        json.dump(config, f, indent=2)
    return results


def start_server(models: str) -> tuple[subprocess.Popen, int, int]:
    cmd = [sys.executable, "-m", "minitf.serving.cli", "serve", "--model_config_file",
           os.path.join(models, "models.json"), "--host", "127.0.0.1", "--port", "0",
           "--http_port", "0", "--file_system_poll_wait_seconds", "1"]
    say("Starting the server: minitf " + " ".join(cmd[3:]))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        print("    server | " + line.rstrip(), flush=True)
        if line.startswith("minitf serving on"):
            parts = line.split()
            grpc_port = int(parts[4].lstrip(":"))
            http_port = int(parts[6].lstrip(":"))
            threading.Thread(target=_drain, args=(proc,), daemon=True).start()
            return proc, grpc_port, http_port
    proc.kill()
    raise SystemExit("the server did not start")


def _drain(proc):
    for line in proc.stdout:
        print("    server | " + line.rstrip(), flush=True)


def query(grpc_port: int, quick: bool) -> dict:
    from minitf.serving.client import Client

    _, _, x_test, y_test = load_digits()
    report = {}
    with Client(f"127.0.0.1:{grpc_port}", timeout=30) as client:
        if not client.wait_ready(60):
            raise SystemExit("the server never became ready")
        say("TF Serving API: Predict on the MLP for the whole test set")
        out = client.predict("mlp", {"images": x_test})
        report["mlp_tfserving_accuracy"] = float(np.mean(out["classes"] == y_test))
        say("KServe v2 API: ModelInfer on the CNN for the whole test set")
        out = client.infer("cnn", {"images": x_test})
        report["cnn_kserve_accuracy"] = float(np.mean(out["classes"] == y_test))
        say("SessionRun: TF1's Session.run over gRPC, fetching 'probs:0' by tensor name")
        (probs,) = client.session_run("mlp", {"images:0": x_test[:8]}, ["probs:0"])
        report["session_run_rows"] = int(probs.shape[0])
        report["session_run_matches_predict"] = bool(np.array_equal(
            probs.argmax(axis=1), client.predict("mlp", {"images": x_test[:8]})["classes"]))
        say("Linear model: z = A*x + b for x = 0, 1, 2")
        z = client.predict("linear", {"x": np.array([0.0, 1.0, 2.0], np.float32)})["z"]
        report["linear_z"] = [round(float(v), 3) for v in z]
        n_callers, per_caller = (4, 10) if quick else (16, 40)
        say(f"Load: {n_callers} concurrent callers x {per_caller} single-image requests "
            "(watch the batching)")
        latencies, errors = [], []

        def caller(k):
            rng = np.random.default_rng(k)
            for _ in range(per_caller):
                i = int(rng.integers(len(x_test)))
                start = time.perf_counter()
                try:
                    out = client.infer("mlp", {"images": x_test[i:i + 1]})
                    if int(out["classes"][0]) not in range(10):
                        errors.append("bad class")
                except Exception as e:  # noqa: BLE001 - counted and reported
                    errors.append(repr(e))
                latencies.append(time.perf_counter() - start)
        threads = [threading.Thread(target=caller, args=(k,)) for k in range(n_callers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        lat = np.array(latencies) * 1e3
        report["load_requests"] = len(latencies)
        report["load_errors"] = len(errors)
        report["latency_ms"] = {p: round(float(np.percentile(lat, p)), 2) for p in (50, 90, 99)}
    return report


def scrape(http_port: int) -> dict:
    from prometheus_client.parser import text_string_to_metric_families

    say(f"Scraping http://127.0.0.1:{http_port}/metrics")
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=10) as r:
        text = r.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples.setdefault(s.name, []).append(s)
    ok = sum(s.value for s in samples.get("minitf_requests_total", [])
             if s.labels.get("code") == "OK")
    batches = sum(s.value for s in samples.get("minitf_batch_size_rows_count", []))
    rows = sum(s.value for s in samples.get("minitf_batch_size_rows_sum", []))
    lines = [line for line in text.splitlines() if line.startswith(
        ("minitf_requests_total{", "minitf_batch_size_rows_count", "minitf_batch_size_rows_sum",
         "minitf_model_versions_available"))]
    return {"requests_ok": ok, "batches": batches, "mean_batch_rows":
            round(rows / batches, 2) if batches else 0.0, "sample_lines": lines[:12]}


def stop_server(proc: subprocess.Popen) -> int:
    say("Stopping the server with SIGTERM (in-flight requests finish first)")
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs and requests (CI)")
    parser.add_argument("--workdir", default=".", help="where runs/ and models/ go")
    args = parser.parse_args(argv)
    started = time.monotonic()
    workdir = os.path.abspath(args.workdir)
    training = train_and_export(workdir, args.quick)
    proc, grpc_port, http_port = start_server(os.path.join(workdir, "models"))
    try:
        report = query(grpc_port, args.quick)
        report["metrics"] = scrape(http_port)
    finally:
        report_exit = stop_server(proc)
    report["server_exit_code"] = report_exit
    report["training"] = {k: {kk: vv for kk, vv in v.items() if kk != "checkpoint"}
                          for k, v in training.items()}
    report["seconds"] = round(time.monotonic() - started, 1)
    say("Report")
    print(f"    MLP via TF Serving Predict: {report['mlp_tfserving_accuracy']:.1%} of "
          f"{359} test digits correct")
    print(f"    CNN via KServe ModelInfer:  {report['cnn_kserve_accuracy']:.1%} correct")
    print(f"    SessionRun rows {report['session_run_rows']}, agrees with Predict: "
          f"{report['session_run_matches_predict']}")
    print(f"    linear z(0, 1, 2) = {report['linear_z']} (true A=2.5, b=-1)")
    print(f"    load: {report['load_requests']} requests, {report['load_errors']} errors, "
          f"latency p50/p90/p99 = {report['latency_ms'][50]}/{report['latency_ms'][90]}/"
          f"{report['latency_ms'][99]} ms")
    m = report["metrics"]
    print(f"    metrics: {m['requests_ok']:.0f} OK requests, {m['batches']:.0f} executed "
          f"batches, {m['mean_batch_rows']} rows per batch on average")
    for line in m["sample_lines"]:
        print("      " + line)
    print(f"    server exit code {report['server_exit_code']}; total {report['seconds']} s")
    print(f"    learning curves: {os.path.join(workdir, 'runs', '*', 'curve.png')}")
    runs = os.path.join(workdir, "runs")
    hint = "" if importlib.util.find_spec("tensorboard") else "pip install tensorboard, then "
    print(f"    TensorBoard (loss, accuracy, weight histograms, graphs): {hint}"
          f"tensorboard --logdir {runs}  and open http://localhost:6006")
    return report


if __name__ == "__main__":
    main()
