"""Server options and the model configuration file.

The model configuration file is JSON::

    {
      "batching": {"max_batch_size": 32, "batch_timeout_micros": 1000},
      "models": [
        {"name": "mlp", "base_path": "models/mlp",
         "version_policy": {"latest": {"num_versions": 2}},
         "version_labels": {"stable": 1},
         "batching": {"max_batch_size": 64}},
        {"name": "cnn", "base_path": "models/cnn", "version_policy": "all",
         "batching": false}
      ]
    }

``version_policy`` is ``"latest"`` (one version), ``{"latest": {"num_versions": N}}``,
``"all"`` or ``{"specific": {"versions": [1, 3]}}`` (TF Serving's policies). Batching
parameters layer: the command line's, then the file's top-level ``batching``, then a model's
own, each overriding only the parameters it names (``false``/``true`` switch batching off/on
and keep the parameters). Relative ``base_path``s are relative to the configuration file.

TF Serving's own files work too: a text-format ``ModelServerConfig`` (``model_config_list {
config { name: 'mlp' base_path: '/models/mlp' model_platform: 'tensorflow' } }``) in place of
the JSON, and a text-format ``BatchingParameters`` (``max_batch_size { value: 32 }``) for
``--batching_parameters_file``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from .batching import BatchingConfig, check_int
from .repository import ModelConfig


@dataclass
class ServerOptions:
    grpc_port: int = 8500
    http_port: int = 8501
    host: str = "0.0.0.0"
    models: list[ModelConfig] = field(default_factory=list)
    batching: BatchingConfig | None = None  # the default for models that do not say
    poll_seconds: float = 1.0
    max_message_bytes: int = 2**31 - 1  # TF Serving and Triton: INT32_MAX
    grpc_threads: int = 64  # runs unbatched plans and SessionRun; gRPC itself is asyncio
    # BLAS threads per matmul. The server already runs requests and batches in parallel;
    # BLAS threads on top oversubscribe the cores (0 keeps the library's default).
    blas_threads: int = 1
    ssl_cert: str | None = None
    ssl_key: str | None = None
    ssl_client_ca: str | None = None
    grace_seconds: float = 30.0
    # Where /metrics is served too: TF Serving's monitoring config's Prometheus path.
    metrics_path: str | None = None
    # TF Serving's --rest_api_num_threads / --rest_api_timeout_in_ms: REST requests processed
    # at once (0: 4 per CPU, TF Serving's default), and how long a connection may sit idle or
    # half-sent before it is closed (each connection holds a thread while open).
    rest_api_num_threads: int = 0
    rest_api_timeout_seconds: float = 30.0
    max_connection_age_seconds: float = 0.0  # 0: connections live until the client closes
    reflection: bool = True
    shared_memory: bool = True  # Triton's system shared-memory extension
    # TF Serving's --enable_signature_method_name_check: Classify/Regress/MultiInference
    # refuse signatures whose method_name is not classify/regress (off: TF2 exports all say
    # predict, so a signature of the right shape serves whatever its method name).
    enable_signature_method_name_check: bool = False
    # TF Serving's --model_config_file_poll_wait_seconds: re-read model_config_file this often
    # (0: only at start) and apply it as HandleReloadConfigRequest does. Its batching settings
    # layer over config_file_batching (the command line's), as at start.
    model_config_file: str | None = None
    model_config_file_poll_seconds: float = 0.0
    config_file_batching: BatchingConfig | None = None
    # TF Serving's --enable_model_warmup: replay a version's assets.extra/
    # tf_serving_warmup_requests (or, without it, run each signature once on zeros) before it
    # serves; --num_request_iterations_for_warmup: runs of each recorded request.
    enable_model_warmup: bool = True
    num_request_iterations_for_warmup: int = 1
    # TF Serving's --enable_per_model_batching_parameters: with batching on, a version batches
    # only if it has a batching_params.pbtxt, with that file's parameters.
    per_model_batching: bool = False
    # TF Serving's --saved_model_tags: the tag set of the MetaGraphDef each version loads.
    saved_model_tags: tuple[str, ...] = ("serve",)
    # Triton's --model-control-mode and --load-model (model_control.py): "poll" is minitf's
    # behaviour (versions polled, Load/Unload refused), "none" reads versions once, "explicit"
    # loads load_models ("*": all) at start and the rest on RepositoryModelLoad.
    model_control_mode: str = "poll"
    load_models: tuple[str, ...] = ()
    # TF Serving's --grpc_socket_path: the gRPC APIs on a UNIX domain socket too;
    # --grpc_channel_arguments: ((key, int or str), ...) over minitf's own channel settings.
    grpc_socket_path: str | None = None
    grpc_channel_arguments: tuple = ()
    # TF Serving's --ssl_config_file (PEM text, in place of ssl_cert/ssl_key/ssl_client_ca).
    ssl_config: SSLConfig | None = None
    # TF Serving's --rest_api_enable_cors_support: CORS headers on the HTTP port's answers.
    cors: bool = False
    # TF Serving's --max_num_load_retries / --load_retry_interval_micros: a failed load is
    # retried this many times, this far apart (0: minitf's own rule, retry when files change).
    max_num_load_retries: int = 0
    load_retry_interval_seconds: float = 60.0
    # TF Serving's --allow_version_labels_for_unavailable_models: a new version label may name
    # a version not available yet (a moved one, never).
    allow_version_labels_for_unavailable_models: bool = False
    # TF Serving's and Triton's metric names next to minitf's (metrics_compat.py), on /metrics
    # and the monitoring config's path.
    compat_metrics: bool = True


@dataclass(frozen=True)
class SSLConfig:
    """TF Serving's SSLConfig: PEM text (not file names). ``client_verify`` requires client
    certificates signed by ``custom_ca``; without it ``custom_ca`` changes nothing, as TF
    Serving does not request client certificates then."""

    server_key: str
    server_cert: str
    custom_ca: str = ""
    client_verify: bool = False


def load_ssl_config_file(path: str) -> SSLConfig:
    """TF Serving's ``--ssl_config_file``: a text-format SSLConfig."""
    from minitf.protos import ssl_config_pb2

    where = f"ssl config file {path}"
    c = _parse_text(_read(path, "ssl config file"), ssl_config_pb2.SSLConfig(),
                    f"{where} is not a text-format SSLConfig")
    if not c.server_key or not c.server_cert:
        raise ValueError(f"{where}: TLS needs both server_key and server_cert (PEM text)")
    if c.client_verify and not c.custom_ca:
        raise ValueError(f"{where}: client_verify needs custom_ca, the CA that signs the "
                         "client certificates")
    return SSLConfig(c.server_key, c.server_cert, c.custom_ca, c.client_verify)


def saved_model_tags(text: str) -> tuple[str, ...]:
    """TF Serving's --saved_model_tags "serve,gpu" -> ("serve", "gpu"): a set, so order and
    repeats do not matter; an empty tag (",," or a trailing comma) is a mistake, not a tag."""
    tags = [t.strip() for t in text.split(",")]
    if not text.strip() or not all(tags):
        raise ValueError(f"--saved_model_tags: expected comma-separated non-empty tags, got "
                         f"{text!r}")
    return tuple(dict.fromkeys(tags))


def _policy(name: str, raw) -> dict:
    if raw is None or raw == "latest":
        return {"version_policy": "latest", "num_versions": 1}
    if raw == "all":
        return {"version_policy": "all"}
    if isinstance(raw, dict) and len(raw) == 1:
        kind, body = next(iter(raw.items()))
        body = {} if body is None else body
        allowed = {"latest": {"num_versions"}, "specific": {"versions"}, "all": set()}
        if kind in allowed and isinstance(body, dict):
            unknown = set(body) - allowed[kind]
            if unknown:  # a typo would otherwise quietly mean the default
                raise ValueError(f"version_policy {kind}: unknown keys {sorted(unknown)}")
            if kind == "latest":
                return {"version_policy": "latest", "num_versions": check_int(
                    body.get("num_versions", 1), "version_policy latest num_versions", 1)}
            if kind == "specific":
                versions = body.get("versions")
                if not isinstance(versions, list) or not versions:
                    raise ValueError("version_policy specific: versions must be a non-empty "
                                     f"list of version numbers, got {versions!r}")
                return {"version_policy": "specific", "versions": tuple(
                    check_int(v, "version_policy specific versions[]") for v in versions)}
            return {"version_policy": "all"}
    raise ValueError(f"model {name}: version_policy must be \"latest\", \"all\", "
                     f"{{\"latest\": {{\"num_versions\": N}}}} or {{\"specific\": {{\"versions\": "
                     f"[...]}}}}, got {raw!r}")


def _batching(raw, where: str, base: BatchingConfig | None):
    """A ``batching`` entry layered over ``base``: an object overrides the parameters it names,
    ``true``/``false`` only switch batching on or off, absent keeps ``base``."""
    if raw is None:
        return base
    if isinstance(raw, bool):
        raw = {"enabled": raw}
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: batching must be an object, true or false")
    try:
        return BatchingConfig.from_dict(raw, base)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: batching: {e}") from None


def load_model_config_file(path: str, batching: BatchingConfig | None = None,
                           ) -> tuple[list[ModelConfig], BatchingConfig | None]:
    """Parses the model configuration (JSON, or TF Serving's text ModelServerConfig); raises
    ValueError naming what is wrong.

    Batching is layered: ``batching`` (the command line's settings) < the file's top-level
    ``batching`` < a model's own. Returns the models (each with its batching resolved, None
    where nothing configures it) and the file's default."""
    text = _read(path, "model config")
    if text.lstrip()[:1] not in ("{", "["):  # not JSON: TF Serving's text ModelServerConfig
        return _tf_serving_models(path, text, batching), batching
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"model config {path} is not valid JSON: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("models"), list):
        raise ValueError(f"model config {path}: expected an object with a \"models\" list")
    unknown = set(doc) - {"models", "batching"}
    if unknown:
        raise ValueError(f"model config {path}: unknown keys {sorted(unknown)}")
    default = _batching(doc.get("batching"), path, batching)
    base = os.path.dirname(os.path.abspath(path))
    models = []
    for i, m in enumerate(doc["models"]):
        where = f"{path}: models[{i}]"
        if not isinstance(m, dict) or "name" not in m or "base_path" not in m:
            raise ValueError(f"{where}: each model needs \"name\" and \"base_path\"")
        unknown = set(m) - {"name", "base_path", "version_policy", "version_labels",
                            "batching"}
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        model_batching = _batching(m.get("batching"), where, default)
        try:
            base_path = m["base_path"]
            if not isinstance(m["name"], str) or not isinstance(base_path, str):
                raise ValueError("name and base_path must be strings")
            if not os.path.isabs(base_path):
                base_path = os.path.join(base, base_path)
            labels = m.get("version_labels", {})
            if not isinstance(labels, dict):
                raise ValueError("version_labels must be an object {\"label\": version}")
            labels = {k: check_int(v, f"version_labels[{k!r}]") for k, v in labels.items()}
            models.append(ModelConfig(name=m["name"], base_path=base_path,
                                      version_labels=labels, batching=model_batching,
                                      **_policy(m["name"], m.get("version_policy"))))
        except (TypeError, ValueError) as e:  # int("x"), a non-string path, ...: say where
            raise ValueError(f"{where}: {e}") from None
    return models, default


def _read(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise ValueError(f"cannot read {what} {path}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise ValueError(f"{what} {path} is not UTF-8 text: {e}") from None


def _parse_text(text: str, message, error: str):
    from google.protobuf import text_format

    try:
        text_format.Parse(text, message)
    except text_format.ParseError as e:
        raise ValueError(f"{error}: {e}") from None
    return message


def _tf_serving_models(path: str, text: str, batching: BatchingConfig | None
                       ) -> list[ModelConfig]:
    """The models of TF Serving's ``--model_config_file``, a text-format ModelServerConfig
    (relative base paths are relative to the file, as in minitf's JSON)."""
    from minitf.protos import model_server_config_pb2

    config = _parse_text(text, model_server_config_pb2.ModelServerConfig(), f"model config "
                         f"{path} is neither JSON nor a text-format ModelServerConfig")
    if config.HasField("custom_model_config"):
        raise ValueError(f"model config {path}: custom_model_config is not supported; list "
                         "the models in model_config_list")
    models = models_from_server_config(config, os.path.dirname(os.path.abspath(path)),
                                       batching, f"{path}: ")
    if not models:
        raise ValueError(f"model config {path}: model_config_list lists no models")
    return models


def models_from_server_config(config, base_dir: str, batching: BatchingConfig | None = None,
                              where: str = "") -> list[ModelConfig]:
    """The ModelConfigs of a ModelServerConfig's ``model_config_list`` (the file's and
    HandleReloadConfigRequest's), relative base paths joined to ``base_dir``. Raises ValueError
    naming the entry and what is wrong; an empty list is the caller's to judge."""
    models = []
    for i, m in enumerate(config.model_config_list.config):
        at = f"{where}model_config_list config {i + 1} ({m.name or 'no name'})"
        if not m.name or not m.base_path:
            raise ValueError(f"{at}: each model needs name and base_path")
        if m.model_platform not in ("", "tensorflow"):
            raise ValueError(f"{at}: model_platform {m.model_platform!r} is not supported "
                             "(minitf serves TensorFlow SavedModels: 'tensorflow')")
        if m.HasField("logging_config"):
            raise ValueError(f"{at}: logging_config (request logging) is not supported")
        policy = m.model_version_policy
        kind = policy.WhichOneof("policy_choice")
        if kind == "specific":
            raw = {"specific": {"versions": list(policy.specific.versions)}}
        elif kind == "all":
            raw = "all"
        else:  # latest, the default; TF Serving serves at least one (num_versions 0 means 1)
            raw = {"latest": {"num_versions": max(policy.latest.num_versions, 1)}}
        try:
            models.append(ModelConfig(
                name=m.name, base_path=os.path.join(base_dir, m.base_path),
                version_labels=dict(m.version_labels), batching=batching,
                **_policy(m.name, raw)))
        except (TypeError, ValueError) as e:
            raise ValueError(f"{at}: {e}") from None
    return models


PROMETHEUS_PATH = "/monitoring/prometheus/metrics"  # TF Serving's default


def load_monitoring_config_file(path: str) -> str | None:
    """TF Serving's ``--monitoring_config_file`` (a text-format MonitoringConfig): the HTTP
    path its ``prometheus_config`` enables (TF Serving's default path when it names none), or
    None when it does not enable Prometheus. minitf serves /metrics in any case."""
    from minitf.protos import monitoring_config_pb2

    where = f"monitoring config file {path}"
    config = _parse_text(_read(path, "monitoring config file"),
                         monitoring_config_pb2.MonitoringConfig(),
                         f"{where} is not a text-format MonitoringConfig")
    prometheus = config.prometheus_config
    if not prometheus.enable:
        return None
    metrics_path = prometheus.path or PROMETHEUS_PATH
    if not metrics_path.startswith("/") or "?" in metrics_path:
        raise ValueError(f"{where}: prometheus_config.path must be an absolute URL path, got "
                         f"{metrics_path!r}")
    return metrics_path


def load_batching_parameters_file(path: str, base: BatchingConfig) -> BatchingConfig:
    """TF Serving's ``--batching_parameters_file`` (a text-format BatchingParameters): the
    parameters it sets, over ``base`` (batching stays on or off as ``base`` says)."""
    from minitf.protos import session_bundle_config_pb2

    where = f"batching parameters file {path}"
    p = _parse_text(_read(path, "batching parameters file"),
                    session_bundle_config_pb2.BatchingParameters(),
                    f"{where} is not a text-format BatchingParameters")
    if p.pad_variable_length_inputs:
        raise ValueError(f"{where}: pad_variable_length_inputs is not supported (requests "
                         "batch together only when their non-batch dimensions agree)")
    params = {name: getattr(p, name).value for name in (
        "max_batch_size", "batch_timeout_micros", "max_enqueued_batches", "num_batch_threads",
        "enable_large_batch_splitting") if p.HasField(name)}
    if p.allowed_batch_sizes:
        params["allowed_batch_sizes"] = tuple(p.allowed_batch_sizes)
    if p.HasField("max_execution_batch_size"):
        size = p.max_execution_batch_size.value
        if size != params.get("max_batch_size", base.max_batch_size):
            raise ValueError(
                f"{where}: max_execution_batch_size ({size}) different from max_batch_size is "
                "not supported: minitf's max_batch_size is the largest batch executed, and "
                "larger requests are split when enable_large_batch_splitting is on")
    # thread_pool_name names TF Serving's shared thread pool; minitf's batch threads belong
    # to each batcher, so the name changes nothing.
    try:
        return BatchingConfig.from_dict({**params, "enabled": base.enabled}, base)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: {e}") from None
