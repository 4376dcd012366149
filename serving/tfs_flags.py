"""The rest of ``tensorflow_model_server``'s flags (tensorflow_serving/model_servers/main.cc), so
a TF Serving command line runs ``minitf serve`` unchanged.

Each flag is one of three kinds:

- *implemented*: it does here what it does in TF Serving (``--grpc_socket_path``,
  ``--grpc_channel_arguments``, ``--ssl_config_file``, ``--max_num_load_retries``, CORS,
  ``--allow_version_labels_for_unavailable_models``, ...);
- *ignored with a log line*: it only tunes TensorFlow internals minitf does not have, and no
  value changes an answer (``--flush_filesystem_caches``, ``--enable_profiler``, ...);
- *refused* (exit 2, naming the flag): a value that would change an answer or that minitf
  cannot honour (``--platform_config_file``, ``--use_alts_credentials=true``,
  ``--mixed_precision``, a session config's ``operation_timeout_in_ms``, ...).

TF Serving's flags are ``--flag=value``; its booleans (``bool_flag``, also used by cli_serve.py)
take a bare ``--flag`` (true) and ``--flag=true|false|1|0`` in any letter case, as TensorFlow's
command-line parser.
"""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger("minitf.serving")

INT32_MAX = 2**31 - 1
# TF Serving's --load_retry_interval_micros default: a minute.
DEFAULT_LOAD_RETRY_MICROS = 60 * 1000 * 1000


def tf_bool(text: str) -> bool:
    """A TensorFlow command-line bool: true/false or 1/0."""
    value = text.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    # argparse's own wording for a value outside a flag's choices
    raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from true, false, 1, 0, "
                                     "in any letter case)")


def bool_flag(p, name: str, text: str, default: bool | None = None):
    """A TF Serving boolean flag: ``--name`` (true) or ``--name=true|false|1|0``; read as a
    Python bool (``default`` when absent; None lets the caller tell "not given")."""
    p.add_argument(name, nargs="?", const=True, default=default, type=tf_bool,
                   metavar="true|false", help=text)


# Flags that only tune TensorFlow internals: accepted, and logged as ignored. flag -> (type,
# why no value changes an answer here).
IGNORED = {
    "flush_filesystem_caches": (tf_bool, "minitf keeps no filesystem caches to flush"),
    "remove_unused_fields_from_bundle_metagraph": (
        tf_bool, "minitf keeps only the signatures and compiled plans of a loaded MetaGraphDef"),
    "num_load_threads": (int, "minitf loads versions one at a time (TF Serving's 0)"),
    "num_unload_threads": (int, "minitf unloads versions one at a time (TF Serving's 0)"),
    "xla_cpu_compilation_enabled": (
        tf_bool, "minitf has no XLA: every graph runs op by op on numpy"),
    "xla_gpu_compilation_enabled": (tf_bool, "minitf has no XLA and no GPU"),
    "enable_profiler": (tf_bool, "minitf serves no tensorflow.ProfilerService"),
    "skip_initialize_tpu": (tf_bool, "minitf has no TPU to initialise"),
    "enable_serialization_as_tensor_content": (
        tf_bool, "Predict answers keep their typed value fields; clients decode the same "
        "values either way"),
    "thread_pool_factory_config_file": (
        str, "minitf runs each request's plan on one thread; there are no TensorFlow thread "
        "pools to configure"),
    "num_tflite_pools": (int, "minitf serves no TensorFlow Lite models"),
    "num_tflite_interpreters_per_pool": (int, "minitf serves no TensorFlow Lite models"),
    "enable_grpc_healthcheck_service": (
        tf_bool, "minitf always serves grpc.health.v1.Health"),
}


def add_tfs_flags(p):
    """TF Serving's flags that cli_serve.py does not define itself."""
    bool_flag(p, "--version", "print the versions (as tensorflow_model_server --version) and "
               "exit", default=False)
    p.add_argument("--grpc_max_threads", type=int,
                   help="TF Serving's name for --grpc_threads")
    p.add_argument("--grpc_socket_path",
                   help="also serve the gRPC APIs on this UNIX domain socket (relative or "
                   "absolute path; with TLS too when TLS is configured); with --port 0, only "
                   "on it (as TF Serving)")
    p.add_argument("--grpc_channel_arguments", default="",
                   help="comma-separated key=value gRPC server channel arguments, as TF "
                   "Serving: a value that parses as a 32-bit integer is passed as one, else "
                   "as a string (e.g. grpc.max_receive_message_length=67108864); they "
                   "override minitf's own settings of the same keys")
    p.add_argument("--ssl_config_file",
                   help="TF Serving's text-format SSLConfig (server_key, server_cert: PEM text; "
                   "custom_ca; client_verify: require client certificates signed by "
                   "custom_ca): TLS on the gRPC port, in place of --ssl_cert/--ssl_key")
    bool_flag(p, "--use_alts_credentials",
               "Google ALTS credentials: only false is supported")
    bool_flag(p, "--rest_api_enable_cors_support",
               "add CORS headers to the HTTP port's answers (Access-Control-Allow-Origin: *, "
               "-Methods: POST, GET, -Headers: Content-Type, as TF Serving) and answer "
               "preflight OPTIONS requests with them (default false)")
    p.add_argument("--max_num_load_retries", type=int, default=0,
                   help="retry a version that fails to load this many times, "
                   "--load_retry_interval_micros apart, before reporting the failure "
                   "(default %(default)s: minitf retries a failed version when its files "
                   "change; TF Serving's default is 5)")
    p.add_argument("--load_retry_interval_micros", type=int, default=DEFAULT_LOAD_RETRY_MICROS,
                   help="wait between load retries (default %(default)s: a minute, as TF "
                   "Serving; negative: no wait)")
    bool_flag(p, "--allow_version_labels_for_unavailable_models", default=False,
               text="let a new version label name a version that is not available yet "
               "(requests by it answer NOT_FOUND until the version loads); a label that "
               "exists may still only move to an available version (default false: as TF "
               "Serving, every new or moved label must name an available version, else the "
               "config load fails with FAILED_PRECONDITION)")
    p.add_argument("--tensorflow_intra_op_parallelism", type=int, default=0,
                   help="threads per op: sets --blas_threads (default 0: minitf's 1)")
    p.add_argument("--tensorflow_inter_op_parallelism", type=int, default=0,
                   help="accepted: minitf runs a request's ops one after another, and "
                   "requests in parallel on --grpc_threads and --num_batch_threads")
    p.add_argument("--tensorflow_session_parallelism", type=int, default=0,
                   help="both of the above when neither is set (as TF Serving)")
    p.add_argument("--tensorflow_session_config_file",
                   help="TF Serving's text-format ConfigProto: its intra_op_parallelism_threads "
                   "sets --blas_threads unless a flag does; settings that only tune "
                   "TensorFlow's runtime (graph_options' optimizers, gpu_options, "
                   "experimental, ...) are accepted and logged; ones that would change an "
                   "answer (operation_timeout_in_ms, auto_mixed_precision) are refused")
    p.add_argument("--per_process_gpu_memory_fraction", type=float, default=0.0,
                   help="between 0 and 1: accepted and logged (minitf runs on the CPU)")
    p.add_argument("--platform_config_file",
                   help="refused: minitf serves TensorFlow SavedModels only")
    bool_flag(p, "--prefer_tflite_model", "accepted and logged: minitf serves each version's "
               "saved_model.pb (as TF Serving does for a version without a model.tflite)")
    p.add_argument("--mixed_precision", default="",
                   help="refused when set: minitf computes in the model's own dtypes")
    for name, (kind, why) in IGNORED.items():
        if kind is tf_bool:
            bool_flag(p, f"--{name}", f"accepted and ignored: {why}")
        else:
            p.add_argument(f"--{name}", type=kind, help=f"accepted and ignored: {why}")


def version_text() -> str:
    import numpy

    import minitf

    return (f"TensorFlow ModelServer: minitf {minitf.__version__}\n"
            f"TensorFlow Library: minitf {minitf.__version__} (numpy {numpy.__version__})")


def parse_channel_arguments(text: str) -> tuple:
    """TF Serving's --grpc_channel_arguments "k=v,k2=v2": ((k, v), ...), each value an int when
    it parses as a 32-bit integer, else the string (gRPC's two argument types)."""
    out = []
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--grpc_channel_arguments: expected comma-separated key=value "
                             f"pairs, got {item!r}")
        try:
            number = int(value.strip())
            out.append((key, number if -INT32_MAX - 1 <= number <= INT32_MAX else value))
        except ValueError:
            out.append((key, value))
    return tuple(out)


def _session_config_threads(path: str) -> tuple[int, int]:
    """The (intra, inter) op threads of TF Serving's --tensorflow_session_config_file. Settings
    that only tune TensorFlow's runtime (thread pools and spinning, placement, devices and GPU
    memory, Grappler and XLA graph optimizations, session state sharing) are accepted with a
    log line naming them; the ones that would change an answer are refused."""
    from minitf.protos import config_pb2

    from .config import _parse_text, _read

    where = f"--tensorflow_session_config_file {path}"
    config = _parse_text(_read(path, "session config file"), config_pb2.ConfigProto(),
                         f"{where} is not a text-format ConfigProto")
    if config.operation_timeout_in_ms > 0:
        # TF's session fails a run that outlasts it (DEADLINE_EXCEEDED; TF Serving's REST
        # requests and gRPC ones without a deadline get it). minitf runs have no deadline, and
        # its runs take other times than TF's: it would answer requests TF Serving fails.
        raise ValueError(f"{where}: operation_timeout_in_ms is not supported (TensorFlow fails "
                         "runs longer than it with DEADLINE_EXCEEDED; minitf runs have no "
                         "deadline)")
    rewrite = config.graph_options.rewrite_options
    toggle = rewrite.DESCRIPTOR.fields_by_name["auto_mixed_precision"].enum_type
    harmless = {toggle.values_by_name["DEFAULT"].number, toggle.values_by_name["OFF"].number}
    for name in ("auto_mixed_precision", "auto_mixed_precision_mkl",
                 "auto_mixed_precision_onednn_bfloat16", "auto_mixed_precision_cpu"):
        if getattr(rewrite, name) not in harmless:  # float16/bfloat16 math: other answers
            raise ValueError(f"{where}: graph_options.rewrite_options.{name} is not supported "
                             "(minitf computes in the model's own dtypes)")
    tuned = [f for f in _set_fields(config) if f not in ("intra_op_parallelism_threads",
                                                         "inter_op_parallelism_threads")]
    if tuned:
        log.info("%s: %s: accepted; they only tune TensorFlow's runtime, which minitf does not "
                 "have (it runs the graph as exported, op by op, on the CPU)", where,
                 ", ".join(tuned))
    return config.intra_op_parallelism_threads, config.inter_op_parallelism_threads


def _set_fields(message, prefix: str = "") -> list[str]:
    """The dotted names of the fields set in ``message`` (the innermost ones of nested
    messages; a map or repeated field by its own name)."""
    out = []
    for field, value in message.ListFields():
        name = prefix + field.name
        if hasattr(value, "ListFields") and value.ListFields():  # a message, not a list
            out.extend(_set_fields(value, name + "."))
        else:
            out.append(name)
    return out


def _refuse(args):
    """Values that would change an answer, or that minitf cannot honour: exit 2 naming the flag,
    rather than serve differently. Logs the accepted values that make no difference here."""
    if args.prefer_tflite_model:
        log.info("--prefer_tflite_model=true: accepted; minitf serves each version's "
                 "saved_model.pb (as TF Serving does for a version without a model.tflite), "
                 "and never reads a model.tflite")
    if args.use_alts_credentials:
        raise ValueError("--use_alts_credentials=true is not supported: use --ssl_config_file "
                         "or --ssl_cert/--ssl_key for TLS")
    if args.platform_config_file:
        raise ValueError("--platform_config_file is not supported: minitf serves TensorFlow "
                         "SavedModels only, configured by the other flags")
    if args.mixed_precision:
        raise ValueError(f"--mixed_precision={args.mixed_precision} is not supported: minitf "
                         "computes in the model's own dtypes")
    fraction = args.per_process_gpu_memory_fraction
    if not 0 <= fraction <= 1:
        raise ValueError(f"--per_process_gpu_memory_fraction must be between 0 and 1, got "
                         f"{fraction:g}")
    if fraction > 0:
        log.info("--per_process_gpu_memory_fraction=%g: accepted; minitf runs on the CPU and "
                 "reserves no GPU memory", fraction)
    for flag in ("num_load_threads", "num_unload_threads", "num_tflite_pools",
                 "num_tflite_interpreters_per_pool", "max_num_load_retries",
                 "tensorflow_intra_op_parallelism", "tensorflow_inter_op_parallelism",
                 "tensorflow_session_parallelism"):
        value = getattr(args, flag)
        if value is not None and value < 0:
            raise ValueError(f"--{flag} must be >= 0, got {value}")


def _threads(args) -> int | None:
    """--grpc_max_threads into --grpc_threads, and TF Serving's parallelism flags (as its
    server.cc combines them) into --blas_threads. Returns the inter-op threads asked for."""
    if args.grpc_max_threads is not None:
        if args.grpc_threads is not None and args.grpc_threads != args.grpc_max_threads:
            raise ValueError(f"--grpc_threads {args.grpc_threads} and --grpc_max_threads "
                             f"{args.grpc_max_threads} disagree")
        args.grpc_threads = args.grpc_max_threads
    if args.grpc_threads is None:
        args.grpc_threads = 64
    intra = args.tensorflow_intra_op_parallelism
    inter = args.tensorflow_inter_op_parallelism
    session = args.tensorflow_session_parallelism
    if intra > 0 and inter > 0 and session > 0:  # TF Serving's own refusal
        raise ValueError("Either configure --tensorflow_session_parallelism or "
                         "(--tensorflow_intra_op_parallelism, --tensorflow_inter_op_parallelism)"
                         " separately. You cannot configure all.")
    if intra == 0 and inter == 0:
        intra = inter = session
    if args.tensorflow_session_config_file:
        file_intra, file_inter = _session_config_threads(args.tensorflow_session_config_file)
        intra, inter = intra or file_intra, inter or file_inter  # the flags override the file
    if intra > 0:
        if args.blas_threads is not None and args.blas_threads != intra:
            raise ValueError(f"--blas_threads {args.blas_threads} and intra-op parallelism "
                             f"{intra} (--tensorflow_*_parallelism or the session config "
                             "file) disagree")
        args.blas_threads = intra
    if args.blas_threads is None:
        args.blas_threads = 1
    return inter or None


def tfs_options(args) -> dict:
    """Checks TF Serving's flags, resolves the ones that set minitf's own (--grpc_threads,
    --blas_threads) and returns the ServerOptions fields the others make. Raises ValueError
    naming the flag for a value minitf cannot honour."""
    from .config import load_ssl_config_file

    _refuse(args)
    inter = _threads(args)
    if inter is not None:
        log.info("--tensorflow_inter_op_parallelism %d: accepted; minitf runs a request's ops "
                 "one after another, and requests in parallel on %d gRPC threads and "
                 "--num_batch_threads per batcher", inter, args.grpc_threads)
    for name, (_, why) in IGNORED.items():
        if getattr(args, name) is not None:
            log.info("--%s: accepted and ignored: %s", name, why)
    ssl_config = None
    if args.ssl_config_file:
        if args.ssl_cert or args.ssl_key or args.ssl_client_ca:
            raise ValueError("use either --ssl_config_file or --ssl_cert/--ssl_key/"
                             "--ssl_client_ca")
        ssl_config = load_ssl_config_file(args.ssl_config_file)
    return {
        "grpc_socket_path": args.grpc_socket_path or None,
        "grpc_channel_arguments": parse_channel_arguments(args.grpc_channel_arguments),
        "ssl_config": ssl_config,
        "cors": bool(args.rest_api_enable_cors_support),
        "max_num_load_retries": args.max_num_load_retries,
        "load_retry_interval_seconds": max(args.load_retry_interval_micros, 0) / 1e6,
        "allow_version_labels_for_unavailable_models":
            args.allow_version_labels_for_unavailable_models,
    }
