"""Serving benchmark: minitf's KServe v2 ModelInfer against a bare gRPC echo server.

Run: ``.venv/bin/python benchmarks/serving.py [--quick]``. Everything runs on 127.0.0.1, each
server and the load generator in its own process:

- (a) ``echo``: a bare Python gRPC server whose ModelInfer handler returns the request bytes:
  the ceiling for a Python gRPC server on this machine. It is grpc's thread-pool server, which
  measured as fast as or faster than an asyncio echo here, so it is the harder reference for
  minitf (which serves gRPC on an asyncio event loop, see serving/server.py);
- (b) ``mlp batch on``: ``minitf serve`` with the MLP 784-512-512-10, dynamic batching on;
- (c) ``mlp batch off``: the same with batching off;
- ``wide batch on/off``: a compute-heavy MLP 784-2048-2048-10 (4x wider), both ways.

The load generator is closed-loop: N concurrent callers (grpc.aio, a few channels) each send a
batch-1 ModelInferRequest (784 float32 in ``raw_input_contents``; the same bytes for the echo)
and send the next one as soon as the answer arrives. Runs are short and interleaved (at each
concurrency every target back to back, then again): the table shows medians over the repeats,
and each ratio is the median of the ratios of back-to-back runs, so that a noisy neighbour hits
both sides of most pairs. The servers use the CLI's defaults (64 threads, one BLAS thread)
and, with batching on, ``--batching`` (default: 32 rows, 5 ms timeout, one batch thread: a
Python server spends most of its time switching threads, and each batch costs a batch thread
wake-up plus a GIL hand-off per numpy call, so fewer, fuller batches serve more; the CLI's own
default, no timeout and 2 threads, gave 0.55-0.75x this default's throughput at
concurrency 32). Targets (on a 2-core machine):

- (b) >= 0.8x the echo server's throughput at concurrency 32, with p99 <= 2x the echo's;
- batching on >= 2x batching off at concurrency 32 for the compute-heavy model.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent import futures

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import machine  # noqa: E402

INFER_METHOD = "/inference.GRPCInferenceService/ModelInfer"
GRPC_THREADS = 64  # minitf serve's default --grpc_threads; the echo server uses the same
MESSAGE_BYTES = 2**31 - 1  # minitf serve's default --max_message_bytes
CHANNELS = 4  # client channels (TCP connections) per target; callers share them round-robin


# -- models ---------------------------------------------------------------------------------------
def export_mlp(base: str, widths: tuple[int, ...], seed: int = 0) -> dict:
    """Exports an MLP (784 -> widths..., ReLU between, softmax "probs") as version 1 under
    ``base``; returns its weights for the numpy reference."""
    import minitf as tf
    from minitf.export import save_model

    rng = np.random.default_rng(seed)
    dims = (784,) + widths
    weights = [((rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32),
                (rng.standard_normal(b) * 0.1).astype(np.float32))
               for a, b in zip(dims, dims[1:])]
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 784], name="x")
        h = x
        for i, (w, b) in enumerate(weights):
            h = tf.matmul(h, tf.Variable(w, name=f"w{i}")) + tf.Variable(b, name=f"b{i}")
            if i < len(weights) - 1:
                h = tf.nn.relu(h)
        probs = tf.nn.softmax(h, name="probs")
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            save_model(os.path.join(base, "1"), sess, inputs={"x": x}, outputs={"probs": probs})
    return weights


def reference(weights, x: np.ndarray) -> np.ndarray:
    h = x
    for i, (w, b) in enumerate(weights):
        h = h @ w + b
        if i < len(weights) - 1:
            h = np.maximum(h, 0)
    e = np.exp(h - h.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def infer_request(model: str, x: np.ndarray) -> bytes:
    from minitf.protos import grpc_service_pb2 as pb

    request = pb.ModelInferRequest(model_name=model)
    request.inputs.add(name="x", datatype="FP32", shape=x.shape)
    request.raw_input_contents.append(x.astype("<f4").tobytes())
    return request.SerializeToString()


# -- servers --------------------------------------------------------------------------------------
def echo_server_main(args) -> int:
    """The echo server: ModelInfer answers with the request's own bytes (no parsing)."""
    import grpc

    def echo(request: bytes, context) -> bytes:
        return request

    handler = grpc.method_handlers_generic_handler("inference.GRPCInferenceService", {
        "ModelInfer": grpc.unary_unary_rpc_method_handler(echo)})
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=args.grpc_threads, thread_name_prefix="grpc"),
        options=[("grpc.max_receive_message_length", MESSAGE_BYTES),
                 ("grpc.max_send_message_length", MESSAGE_BYTES), ("grpc.so_reuseport", 0)])
    server.add_generic_rpc_handlers([handler])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"echo serving on grpc :{port}", flush=True)
    sys.stdin.read()  # runs until the benchmark closes our stdin
    server.stop(0)
    return 0


class ServerProcess:
    """A server subprocess that prints ``... grpc :PORT`` once it is serving."""

    def __init__(self, name: str, argv: list[str]):
        self.name = name
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if "grpc :" not in line:
            self.proc.kill()
            raise RuntimeError(f"{name} did not start (printed {line!r})")
        self.port = int(line.split("grpc :")[1].split()[0])
        self.address = f"127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float | None:
        return _cpu_seconds(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # minitf serve: graceful SIGTERM; echo: dies
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), or None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def start_minitf(name: str, config_path: str, grpc_threads: int) -> ServerProcess:
    return ServerProcess(name, [
        sys.executable, "-m", "minitf.serving.cli", "serve", "--port", "0", "--http_port", "-1",
        "--host", "127.0.0.1", "--model_config_file", config_path,
        "--file_system_poll_wait_seconds", "0", "--grpc_threads", str(grpc_threads),
        "--log_level", "WARNING"])


# -- load generator (a separate process) ----------------------------------------------------------
def client_main(args) -> int:
    """Reads one JSON command per stdin line, runs it, answers one JSON line per command."""
    import grpc

    channels: dict[str, list] = {}
    loop = asyncio.new_event_loop()
    for line in sys.stdin:
        cmd = json.loads(line)
        target = cmd["target"]
        if target not in channels:
            # Distinct channel arguments give each channel its own TCP connection.
            channels[target] = [
                loop.run_until_complete(_open_channel(grpc, target, i)) for i in range(CHANNELS)]
        calls = [ch.unary_unary(INFER_METHOD) for ch in channels[target]]
        result = loop.run_until_complete(_closed_loop(
            grpc, calls, base64.b64decode(cmd["payload"]), cmd["concurrency"], cmd["warmup"],
            cmd["duration"]))
        print(json.dumps(result), flush=True)
    return 0


async def _open_channel(grpc, target: str, index: int):
    channel = grpc.aio.insecure_channel(target, options=[
        ("grpc.max_receive_message_length", MESSAGE_BYTES), ("benchmark.channel", index)])
    await asyncio.wait_for(channel.channel_ready(), 30)
    return channel


async def _closed_loop(grpc, calls, payload: bytes, concurrency: int, warmup: float,
                       duration: float) -> dict:
    """``concurrency`` callers send back to back for ``warmup + duration`` seconds; calls that
    start inside the measured window count."""
    start = time.perf_counter()
    measure_from = start + warmup
    end = measure_from + duration
    latencies: list[float] = []
    errors: dict[str, int] = {}
    sample: list[str] = []

    async def caller(i: int):
        call = calls[i % len(calls)]
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                return
            try:
                await call(payload, timeout=30)
            except grpc.RpcError as e:
                errors[e.code().name] = errors.get(e.code().name, 0) + 1
                if not sample:
                    sample.append(f"{e.code().name}: {e.details()}")
                continue
            if t0 >= measure_from:
                latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(caller(i) for i in range(concurrency)))
    lat = np.sort(np.array(latencies)) if latencies else np.array([np.nan])
    return {"requests": len(latencies), "rps": len(latencies) / duration,
            "p50": float(np.percentile(lat, 50)), "p99": float(np.percentile(lat, 99)),
            "errors": errors, "error_sample": sample[:1]}


class LoadGenerator:
    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--client"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)

    def run(self, target: str, payload: bytes, concurrency: int, warmup: float,
            duration: float) -> dict:
        cmd = {"target": target, "payload": base64.b64encode(payload).decode(),
               "concurrency": concurrency, "warmup": warmup, "duration": duration}
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the load generator died")
        return json.loads(line)

    def cpu_seconds(self) -> float | None:
        return _cpu_seconds(self.proc.pid)

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(30)


# -- the benchmark --------------------------------------------------------------------------------
def check_answers(servers: dict, models: dict, x: np.ndarray):
    """Each minitf server answers the reference's values; the echo returns the bytes sent."""
    import grpc

    from minitf.serving.client import Client

    for name, (server, model) in servers.items():
        if model is None:
            payload = infer_request("mlp", x)
            with grpc.insecure_channel(server.address) as channel:
                got = channel.unary_unary(INFER_METHOD)(payload, timeout=10)
            assert got == payload, "the echo server changed the bytes"
            continue
        with Client(server.address, timeout=10) as client:
            probs = client.infer(model, {"x": x})["probs"]
        np.testing.assert_allclose(probs, reference(models[model], x), rtol=1e-4, atol=1e-6,
                                   err_msg=f"{name} answered wrong values")


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--repeats", type=int, help="interleaved repeats (default 5; quick 1)")
    parser.add_argument("--duration", type=float, help="measured seconds per run (default 1)")
    parser.add_argument("--warmup", type=float, help="unmeasured seconds before each run")
    parser.add_argument("--concurrency", default="1,8,32,64", help="comma-separated levels")
    parser.add_argument("--grpc_threads", type=int, default=GRPC_THREADS,
                        help="gRPC worker threads of every server")
    parser.add_argument("--batching", default='{"max_batch_size": 32, "batch_timeout_micros": '
                        '5000, "num_batch_threads": 1}',
                        help="JSON batching parameters of the batching-on servers")
    parser.add_argument("--no-wide", action="store_true", help="skip the 4x wider MLP")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--echo-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        return client_main(args)
    if args.echo_server:
        return echo_server_main(args)
    repeats = args.repeats or (1 if args.quick else 5)
    duration = args.duration or (0.5 if args.quick else 1.0)
    warmup = args.warmup if args.warmup is not None else (0.2 if args.quick else 0.3)
    levels = [int(c) for c in args.concurrency.split(",")]
    batching = json.loads(args.batching)

    print(f"machine: {machine()}")
    print(f"load: closed loop, {CHANNELS} channels, batch-1 KServe v2 ModelInfer (784 float32 "
          f"raw), {warmup:g}s warm-up + {duration:g}s per run, median of {repeats} "
          f"interleaved repeats; servers: {args.grpc_threads} gRPC threads, batching {batching}")
    tmp = tempfile.mkdtemp(prefix="minitf-serving-bench-")
    models = {"mlp": export_mlp(os.path.join(tmp, "mlp"), (512, 512, 10))}
    if not args.no_wide:
        models["mlp_wide"] = export_mlp(os.path.join(tmp, "mlp_wide"), (2048, 2048, 10), seed=1)
    configs = {}
    for mode, batch in (("on", batching), ("off", False)):
        configs[mode] = os.path.join(tmp, f"batching_{mode}.json")
        with open(configs[mode], "w") as f:
            json.dump({"batching": batch, "models": [
                {"name": m, "base_path": os.path.join(tmp, m)} for m in models]}, f)

    started: list[ServerProcess] = []
    client = None
    try:
        echo = ServerProcess("echo", [sys.executable, os.path.abspath(__file__),
                                      "--echo-server", "--grpc_threads", str(args.grpc_threads)])
        started.append(echo)
        on = start_minitf("minitf+batch", configs["on"], args.grpc_threads)
        started.append(on)
        off = start_minitf("minitf-batch", configs["off"], args.grpc_threads)
        started.append(off)
        # target name -> (server, model served; None for the echo)
        targets = {"echo": (echo, None), "mlp batch on": (on, "mlp"),
                   "mlp batch off": (off, "mlp")}
        if "mlp_wide" in models:
            targets["wide batch on"] = (on, "mlp_wide")
            targets["wide batch off"] = (off, "mlp_wide")
        x = np.random.default_rng(3).standard_normal((1, 784)).astype(np.float32)
        check_answers(targets, models, x)
        payloads = {name: infer_request(model or "mlp", x) for name, (_, model) in
                    targets.items()}
        client = LoadGenerator()
        results: dict[tuple[str, int], list[dict]] = {}
        total = repeats * len(levels) * len(targets)
        done = 0
        for _ in range(repeats):
            for c in levels:
                for name, (server, _) in targets.items():
                    cpu0, ccpu0 = server.cpu_seconds(), client.cpu_seconds()
                    r = client.run(server.address, payloads[name], c, warmup, duration)
                    cpu1, ccpu1 = server.cpu_seconds(), client.cpu_seconds()
                    if cpu0 is not None and r["requests"]:
                        # The warm-up's calls burn CPU too: scale to the measured share.
                        share = duration / (duration + warmup)
                        r["server_cpu"] = (cpu1 - cpu0) * share / r["requests"]
                        r["client_cpu"] = (ccpu1 - ccpu0) * share / r["requests"]
                    if r["errors"]:
                        print(f"  {name} c={c}: errors {r['errors']} e.g. "
                              f"{r['error_sample']}", file=sys.stderr)
                    results.setdefault((name, c), []).append(r)
                    done += 1
                    print(f"\r  run {done}/{total}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    finally:
        if client is not None:
            client.stop()
        for s in started:
            s.stop()

    report(results, list(targets), levels)
    return 0


# (name, numerator, denominator, statistic, target): ratios of runs measured back to back
RATIOS = [
    ("mlp batch on / echo, rps", "mlp batch on", "echo", "rps", (">=", 0.8)),
    ("mlp batch on / echo, p99", "mlp batch on", "echo", "p99", ("<=", 2.0)),
    ("mlp batch on / off, rps", "mlp batch on", "mlp batch off", "rps", None),
    ("wide batch on / off, rps", "wide batch on", "wide batch off", "rps", (">=", 2.0)),
]


def report(results: dict, names: list[str], levels: list[int]):
    print()
    print(f"{'target':<16}{'conc':>5}{'rps':>9}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'srv us/req':>12}{'cli us/req':>12}{'errors':>8}")
    for name in names:
        for c in levels:
            runs = results[(name, c)]
            row = {k: median([r.get(k) for r in runs]) for k in
                   ("rps", "p50", "p99", "server_cpu", "client_cpu")}
            errors = sum(sum(r["errors"].values()) for r in runs)
            print(f"{name:<16}{c:>5}{row['rps']:>9.0f}{row['p50'] * 1e3:>9.2f}"
                  f"{row['p99'] * 1e3:>9.2f}{row['server_cpu'] * 1e6:>12.0f}"
                  f"{row['client_cpu'] * 1e6:>12.0f}{errors:>8}")
        print()
    # Each ratio pairs runs measured back to back (same repeat, same concurrency), then takes
    # the median over repeats: a noisy neighbour then hits both sides of most pairs.
    print("ratios (median over repeats of back-to-back pairs):")
    print(f"{'':<28}" + "".join(f"{'c=' + str(c):>9}" for c in levels) + "   target at c=32")
    for label, num, den, stat, target in RATIOS:
        if (num, levels[0]) not in results or (den, levels[0]) not in results:
            continue
        values = {c: median([a[stat] / b[stat] if b[stat] else None for a, b in
                             zip(results[(num, c)], results[(den, c)])]) for c in levels}
        line = f"  {label:<26}" + "".join(f"{values[c]:>8.2f}x" for c in levels)
        if target is not None and 32 in values:
            op, bound = target
            met = values[32] >= bound if op == ">=" else values[32] <= bound
            line += f"   {op} {bound:.2f}x: {'met' if met else 'NOT met'}"
        print(line)


if __name__ == "__main__":
    sys.exit(main())
