"""``minitf serve``: its flags (TF Serving's names where it has them), the options they make,
and the process around the server: signals, graceful drain, exit codes."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

from .tfs_flags import bool_flag, add_tfs_flags, tfs_options, version_text

log = logging.getLogger("minitf.serving")


# -- serve ----------------------------------------------------------------------------------------
def _serve_parser(sub):
    p = sub.add_parser("serve", help="run the gRPC model server",
                       description="Serve SavedModels from <base_path>/<version>/ over TF "
                       "Serving's and KServe v2's gRPC APIs, with Prometheus metrics.",
                       allow_abbrev=False)  # as TF Serving: --rest_api_enable is no flag
    p.add_argument("--port", type=int, default=8500, help="gRPC port (default %(default)s; 0 "
                   "picks a free port, except with --grpc_socket_path, where 0 serves gRPC on "
                   "the socket only, as TF Serving)")
    p.add_argument("--http_port", type=int,
                   help="HTTP port: TF Serving's and KServe v2's REST APIs, /metrics, /healthz, "
                   "/readyz and /v1/models/<name> (default 8501; -1 disables)")
    p.add_argument("--rest_api_port", type=int,
                   help="TF Serving's name for the HTTP port: N serves it on N, 0 turns it off "
                   "(as tensorflow_model_server's default, which then has no REST API or "
                   "metrics endpoint)")
    p.add_argument("--host", default="0.0.0.0", help="address to listen on")
    p.add_argument("--model_name", help="name of the single model to serve (default: "
                   "\"default\", as TF Serving)")
    p.add_argument("--model_base_path", help="directory holding <version>/saved_model.pb "
                   "(or saved_model.pbtxt)")
    p.add_argument("--model_config_file", help="file listing several models: JSON "
                   '{"batching": {...}, "models": [{"name": ..., "base_path": ..., '
                   '"version_policy": "latest"|"all"|{"latest": {"num_versions": N}}|'
                   '{"specific": {"versions": [...]}}, "version_labels": {"label": N}, '
                   '"batching": {...}|true|false}]}, or TF Serving\'s text-format '
                   "ModelServerConfig (README: Serving, Configuration)")
    p.add_argument("--model_config_file_poll_wait_seconds", type=float, default=0.0,
                   help="re-read --model_config_file this often and apply it as "
                   "HandleReloadConfigRequest would: models added, removed or changed (0: "
                   "read it only at start; a file that fails to parse changes nothing)")
    p.add_argument("--file_system_poll_wait_seconds", type=float, default=1.0,
                   help="how often to look for new or removed versions (0: only at start)")
    p.add_argument("--max_message_bytes", type=int, default=2**31 - 1,
                   help="largest gRPC request/response accepted")
    p.add_argument("--grpc_threads", type=int,
                   help="threads that run unbatched requests and SessionRun (default 64; gRPC "
                   "itself runs on one asyncio event loop; batched requests wait there, "
                   "holding no thread)")
    p.add_argument("--blas_threads", type=int,
                   help="threads per BLAS call (default 1: requests and batches already run "
                   "in parallel; 0 keeps the BLAS library's default)")
    p.add_argument("--ssl_cert", help="PEM certificate chain: enables TLS")
    p.add_argument("--ssl_key", help="PEM private key for --ssl_cert")
    p.add_argument("--ssl_client_ca", help="PEM CA bundle: require client certificates "
                   "(mutual TLS)")
    p.add_argument("--batching", choices=["on", "off"],
                   help="dynamic batching for every model (default off, as TF Serving: "
                   "batching merges different clients' rows, so a model must treat its rows "
                   "independently); a config file's batching settings override these flags "
                   "parameter by parameter")
    bool_flag(p, "--enable_batching", "TF Serving's spelling of --batching on|off")
    p.add_argument("--batching_parameters_file",
                   help="TF Serving's text-format BatchingParameters (max_batch_size { value: "
                   "32 } ...): overrides the batching flags below, and is overridden by a "
                   "JSON model config's batching settings")
    bool_flag(p, "--enable_per_model_batching_parameters", default=False,
               text="with batching on, a model version batches only if its directory has "
               "a batching_params.pbtxt (a text BatchingParameters), with its parameters; "
               "as TF Serving, the other batching settings are then ignored except "
               "--num_batch_threads")
    p.add_argument("--max_batch_size", type=int, default=32, help="rows per batch")
    p.add_argument("--batch_timeout_micros", type=int, default=0,
                   help="how long the oldest request may wait for a fuller batch")
    p.add_argument("--max_enqueued_batches", type=int, default=100,
                   help="queue bound in batches; beyond it requests get UNAVAILABLE")
    p.add_argument("--num_batch_threads", type=int, default=2,
                   help="batches executed concurrently per model version and signature")
    p.add_argument("--allowed_batch_sizes", default="",
                   help="comma-separated batch sizes to pad up to (last = max_batch_size)")
    p.add_argument("--grace_seconds", type=float, default=30.0,
                   help="on SIGTERM/SIGINT, how long in-flight requests may take to finish")
    p.add_argument("--monitoring_config_file",
                   help="TF Serving's text-format MonitoringConfig: prometheus_config { enable: "
                   "true path: \"/monitoring/prometheus/metrics\" } serves the metrics at that "
                   "path of the HTTP port as well as at /metrics")
    bool_flag(p, "--compat_metrics", default=True,
               text="also export TF Serving's (:tensorflow:serving:request_count, ...) and "
               "Triton's (nv_inference_request_success, ...) main metrics, derived from "
               "minitf's own when scraped (default true; false: minitf's names only)")
    p.add_argument("--rest_api_num_threads", type=int, default=0,
                   help="REST requests processed at once on the HTTP port (default 0: 4 per "
                   "CPU, as TF Serving); more wait for a turn")
    p.add_argument("--rest_api_timeout_in_ms", type=int, default=30000,
                   help="an HTTP connection idle or half-sent for this long is closed")
    p.add_argument("--max_connection_age_seconds", type=float, default=0.0,
                   help="close client connections after this long (they reconnect), so new "
                   "replicas get traffic behind client-side load balancing (0: never)")
    p.add_argument("--no_reflection", action="store_true", help="disable server reflection")
    p.add_argument("--no_shared_memory", action="store_true",
                   help="disable Triton's system shared-memory extension (on by default, as "
                   "Triton: a client that reaches the server can read and write any /dev/shm "
                   "object the server process may open)")
    bool_flag(p, "--enable_signature_method_name_check", default=False,
               text="Classify/Regress/MultiInference accept only signatures whose "
               "method_name is tensorflow/serving/classify or /regress (as TF Serving's "
               "flag; off: any signature of the right shape)")
    bool_flag(p, "--enable_model_warmup", default=True,
               text="before a version serves, replay its assets.extra/"
               "tf_serving_warmup_requests (TFRecords of PredictionLog, at most 1000; a "
               "failure fails the load), or without them run each signature once on zeros "
               "(default true; false skips both)")
    p.add_argument("--num_request_iterations_for_warmup", type=int, default=0,
                   help="times each recorded warm-up request runs (default 0: once, as TF "
                   "Serving)")
    p.add_argument("--saved_model_tags", default="serve",
                   help="comma-separated set of tags of the MetaGraphDef to load from each "
                   "SavedModel (default %(default)s); a model without that exact tag set "
                   "fails to load, naming the tag sets it has")
    p.add_argument("--model_control_mode", default="poll", type=str.lower,
                   choices=["none", "poll", "explicit"],
                   help="Triton's model control: poll (default) loads every model at start and "
                   "polls its versions, none reads them once at start; both refuse KServe's "
                   "RepositoryModelLoad/Unload (UNAVAILABLE, as Triton). explicit loads only "
                   "the --load_model models at start, then what RepositoryModelLoad asks for "
                   "(/v2/repository/models/<name>/load over REST); an unloaded model stays "
                   "unloaded through version polls and config reloads")
    p.add_argument("--load_model", action="append", default=[], metavar="NAME",
                   help="with --model_control_mode explicit, a configured model to load at "
                   "start (repeatable; '*' alone: every model); the others wait for a "
                   "RepositoryModelLoad")
    p.add_argument("--log_level", default="INFO",
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="log verbosity")
    add_tfs_flags(p)  # the rest of tensorflow_model_server's flags
    p.set_defaults(func=serve)


def _check_ranges(args):
    """Flags whose wrong values would otherwise surface later, or not at all (a port of -5
    binds 65531); resolves the HTTP port from --http_port or TF Serving's --rest_api_port."""
    http_given = args.http_port is not None
    if args.rest_api_port is not None:
        if args.rest_api_port < 0:
            raise ValueError(f"--rest_api_port must be >= 0, got {args.rest_api_port}")
        port = args.rest_api_port or -1  # TF Serving's 0: no HTTP port
        if args.http_port is not None and args.http_port != port:
            raise ValueError(f"--http_port {args.http_port} and --rest_api_port "
                             f"{args.rest_api_port} disagree")
        args.http_port = port
    elif args.http_port is None:
        args.http_port = 8501
    checks = [("--port", args.port, 0, 65535), ("--http_port", args.http_port, -1, 65535),
              ("--max_message_bytes", args.max_message_bytes, 1, 2**31 - 1),
              ("--grpc_threads", args.grpc_threads, 1, None),
              ("--blas_threads", args.blas_threads, 0, None),
              ("--file_system_poll_wait_seconds", args.file_system_poll_wait_seconds, 0, None),
              ("--model_config_file_poll_wait_seconds",
               args.model_config_file_poll_wait_seconds, 0, None),
              ("--grace_seconds", args.grace_seconds, 0, None),
              ("--rest_api_num_threads", args.rest_api_num_threads, 0, None),
              ("--rest_api_timeout_in_ms", args.rest_api_timeout_in_ms, 1, None),
              ("--max_connection_age_seconds", args.max_connection_age_seconds, 0, None),
              ("--num_request_iterations_for_warmup", args.num_request_iterations_for_warmup,
               0, None)]
    for flag, value, low, high in checks:
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f">= {low}"
            raise ValueError(f"{flag} must be {bound}, got {value:g}")
    if args.port > 0 and args.port == args.http_port:  # else: "Address already in use"
        http_flag = "--rest_api_port" if args.rest_api_port is not None else \
            "--http_port" if http_given else "--http_port (default)"
        raise ValueError(f"--port and {http_flag} are both {args.port}: gRPC and HTTP need "
                         "ports of their own")


def build_options(args):
    from .batching import BatchingConfig
    from .config import (ServerOptions, load_batching_parameters_file, load_model_config_file,
                         load_monitoring_config_file, saved_model_tags)
    from .repository import ModelConfig

    tfs = tfs_options(args)  # first: it resolves --grpc_threads and --blas_threads
    _check_ranges(args)
    try:
        sizes = tuple(int(s) for s in args.allowed_batch_sizes.split(",") if s.strip())
    except ValueError:
        raise ValueError("--allowed_batch_sizes: expected comma-separated integers, got "
                         f"{args.allowed_batch_sizes!r}") from None
    enabled = args.batching == "on"  # off unless asked for, as tensorflow_model_server
    if args.enable_batching is not None:
        enabled = args.enable_batching
        if args.batching is not None and enabled != (args.batching == "on"):
            raise ValueError(f"--batching {args.batching} and --enable_batching="
                             f"{str(enabled).lower()} disagree")
    default = BatchingConfig(
        enabled=enabled, max_batch_size=args.max_batch_size,
        batch_timeout_micros=args.batch_timeout_micros,
        max_enqueued_batches=args.max_enqueued_batches,
        num_batch_threads=args.num_batch_threads, allowed_batch_sizes=sizes)
    if args.batching_parameters_file:
        default = load_batching_parameters_file(args.batching_parameters_file, default)
    flag_batching = default  # what a re-read config file's batching layers over
    if args.model_config_file_poll_wait_seconds > 0 and not args.model_config_file:
        raise ValueError("--model_config_file_poll_wait_seconds needs --model_config_file")
    if args.model_config_file:
        if args.model_base_path or args.model_name:  # as tensorflow_model_server, whose
            # Docker entrypoint always passes them: the config file wins
            log.warning("--model_config_file is given: --model_name and --model_base_path are "
                        "ignored")
        # The file's batching settings override the flags', parameter by parameter.
        models, default = load_model_config_file(args.model_config_file, default)
    elif args.model_base_path:
        # TF Serving's Server::Options: --model_name defaults to "default".
        name = args.model_name or "default"
        models = [ModelConfig(name=name, base_path=args.model_base_path)]
    else:
        raise ValueError("nothing to serve: give --model_base_path or --model_config_file")
    # TF Serving: --port 0 with --grpc_socket_path serves gRPC on the socket only (None);
    # without a socket, minitf's 0 picks a free port.
    grpc_port = None if args.port == 0 and tfs["grpc_socket_path"] else args.port
    return ServerOptions(
        grpc_port=grpc_port, http_port=args.http_port, host=args.host, models=models,
        batching=default, poll_seconds=args.file_system_poll_wait_seconds,
        max_message_bytes=args.max_message_bytes, grpc_threads=args.grpc_threads,
        blas_threads=args.blas_threads,
        ssl_cert=args.ssl_cert, ssl_key=args.ssl_key, ssl_client_ca=args.ssl_client_ca,
        grace_seconds=args.grace_seconds, reflection=not args.no_reflection,
        shared_memory=not args.no_shared_memory,
        rest_api_num_threads=args.rest_api_num_threads,
        metrics_path=load_monitoring_config_file(args.monitoring_config_file)
        if args.monitoring_config_file else None,
        rest_api_timeout_seconds=args.rest_api_timeout_in_ms / 1000,
        max_connection_age_seconds=args.max_connection_age_seconds,
        enable_signature_method_name_check=args.enable_signature_method_name_check,
        model_config_file=args.model_config_file,
        model_config_file_poll_seconds=args.model_config_file_poll_wait_seconds,
        config_file_batching=flag_batching,
        per_model_batching=args.enable_per_model_batching_parameters,
        enable_model_warmup=args.enable_model_warmup,
        num_request_iterations_for_warmup=args.num_request_iterations_for_warmup or 1,
        saved_model_tags=saved_model_tags(args.saved_model_tags),
        model_control_mode=args.model_control_mode, load_models=tuple(args.load_model),
        compat_metrics=args.compat_metrics, **tfs)


def serve(args) -> int:
    from .server import ModelServer

    if args.version:  # as tensorflow_model_server --version: print and exit
        print(version_text())
        return 0
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        options = build_options(args)
        server = ModelServer(options)  # checks the configuration too (duplicate names)
    except (ValueError, OSError) as e:
        print(f"minitf serve: {e}", file=sys.stderr)
        return 2
    stop = threading.Event()
    received = []

    def on_signal(signum, frame):
        name = signal.Signals(signum).name
        if received:  # a second signal: the operator does not want to wait
            log.warning("Received %s again: exiting without waiting for in-flight requests",
                        name)
            _exit_now(1)
        received.append(name)
        log.info("Received %s", name)
        # From another thread: this handler runs on the main thread, which may hold either
        # event's lock. The repository's ends a start-up's version polls and load-retry waits.
        threading.Thread(target=lambda: (stop.set(), server.repository.interrupt()),
                         name="signal", daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        server.start()
    except (OSError, ValueError, RuntimeError) as e:  # grpc raises RuntimeError on bind/TLS
        print(f"minitf serve: {e}", file=sys.stderr)
        server.stop(0)
        return 1
    if received:  # a signal during start-up: stop rather than start serving
        log.info("Stopping: %s arrived while the server was starting", received[0])
    else:
        http = f":{server.http_port}" if server.http_port is not None else "off"
        grpc_at = f":{server.grpc_port}" if server.grpc_port is not None else \
            f"unix:{options.grpc_socket_path}"
        print(f"minitf serving on grpc {grpc_at} http {http}", flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()
    # Requests still running past the grace period hold worker threads, which Python would
    # join at exit however long they take; the grace period is the bound, so leave without
    # them. Idle workers end within moments of the shutdown.
    deadline = time.monotonic() + 2.0
    for t in threading.enumerate():
        if t is not threading.main_thread() and not t.daemon:
            t.join(max(deadline - time.monotonic(), 0.0))
    if any(t.is_alive() and not t.daemon for t in threading.enumerate()
           if t is not threading.main_thread()):
        log.warning("Exiting with requests still running after the grace period")
        _exit_now(0)
    return 0


def _exit_now(code: int):
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
