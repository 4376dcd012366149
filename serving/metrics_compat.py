"""TF Serving's and Triton's metric names next to minitf's own, so dashboards and alerts built
for those servers keep working after a migration.

Everything here is derived when /metrics (or TF Serving's monitoring path) is scraped, from what
``Metrics`` already records: the request path does no extra work. Only series minitf measures
are exported; the README lists those left out and why. Sources of the names, labels and types:
Triton core's metrics.cc, metric_model_reporter.cc and infer_stats.cc; TF Serving's
servables/tensorflow/util.cc, prediction_service_impl.cc, batching/batching_util.h and
batching_session.cc, TensorFlow's cc/saved_model/loader.cc; and TF Serving's
util/prometheus_exporter.cc for how a TensorFlow metric name becomes a Prometheus one (every
character outside [a-zA-Z0-9_] becomes ':', so "/tensorflow/serving/request_count" is
":tensorflow:serving:request_count").

Both servers write counters without the ``_total`` suffix that prometheus_client adds to every
counter (OpenMetrics' rule), and dashboards query those exact names: their counters here are
named with ``_ExactName``, for which that suffix is a no-op.

Units as theirs: Triton's durations are counters of microseconds, TF Serving's histograms are
in microseconds. minitf's histograms are in seconds with its own buckets; rescaled, their bounds
(100 µs, 250 µs, ...) differ from TF Serving's exponential ones (10 µs x 1.8^i), which
histogram_quantile() does not mind.
"""

from __future__ import annotations

import os
from collections import defaultdict

from prometheus_client.metrics_core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from minitf.errors import OpError

from .metrics import Metrics
from .rest import INFERENCE_APIS as REST_INFERENCE_APIS
from .rest import API_CLASSIFY as REST_CLASSIFY, API_PREDICT as REST_PREDICT
from .rest import API_REGRESS as REST_REGRESS
from .services.kserve import API_INFER
from .services.kserve_stream import API_STREAM_INFER
from .services.tfserving import API_CLASSIFY, API_MULTI_INFERENCE, API_PREDICT, API_REGRESS

__all__ = ["CompatCollector", "FAILURE_REASONS", "TFS_APIS"]

# What Triton counts as inference requests: the APIs whose requests ModelStatistics counts.
INFERENCE_APIS = frozenset((API_PREDICT, API_CLASSIFY, API_REGRESS, API_MULTI_INFERENCE,
                            API_INFER, API_STREAM_INFER) + tuple(REST_INFERENCE_APIS))
# TF Serving times and counts Predict, Classify and Regress (prediction_service_impl.cc: not
# MultiInference or GetModelMetadata), with entrypoint "GRPC"; minitf's REST ones count too,
# as entrypoint "REST".
TFS_APIS = {API_PREDICT: ("Predict", "GRPC"), API_CLASSIFY: ("Classify", "GRPC"),
            API_REGRESS: ("Regress", "GRPC"), REST_PREDICT: ("Predict", "REST"),
            REST_CLASSIFY: ("Classify", "REST"), REST_REGRESS: ("Regress", "REST")}
# Triton's failure reasons (metric_model_reporter.cc), by the request's gRPC code: refused or
# timed out before running (queue full, shutting down, deadline passed in the queue), cancelled
# by the client, failed inside the model's execution (minitf reports an execution that is not
# the model's own error as INTERNAL), anything else (bad input, unknown signature, ...).
FAILURE_REASONS = ("REJECTED", "CANCELED", "BACKEND", "OTHER")
_REASON = {"UNAVAILABLE": "REJECTED", "RESOURCE_EXHAUSTED": "REJECTED",
           "DEADLINE_EXCEEDED": "REJECTED", "CANCELLED": "CANCELED", "INTERNAL": "BACKEND"}
# TF's SharedBatchScheduler's default pool name, which TF Serving's queuing_latency is
# labelled with; TF Serving's default is one scheduler shared by all models, as here.
BATCH_THREADS = "batch_threads"

_TRITON = ("model", "version")


class _ExactName(str):
    """A counter's name that prometheus_client's exposition does not suffix with ``_total``."""

    def __add__(self, other):
        return self if other == "_total" else str.__add__(self, other)


def _counter(name: str, documentation: str, labels) -> Metric:
    metric = Metric(_ExactName(name), documentation, "counter")
    metric.labelnames = tuple(labels)
    return metric


def _add(metric: Metric, values, value: float):
    metric.add_sample(str(metric.name), dict(zip(metric.labelnames, values)), value)


def _families() -> dict:
    us = "in microseconds, successful requests only"
    return {
        # -- Triton (model, version) --
        "success": _counter("nv_inference_request_success", "Number of successful inference "
                            "requests, all batch sizes", _TRITON),
        "failure": _counter("nv_inference_request_failure", "Number of failed inference "
                            "requests, all batch sizes", _TRITON + ("reason",)),
        "count": _counter("nv_inference_count", "Number of inferences performed (rows)",
                          _TRITON),
        "exec": _counter("nv_inference_exec_count", "Number of model executions performed "
                         "(batches and unbatched requests)", _TRITON),
        "request_us": _counter("nv_inference_request_duration_us", "Cumulative inference "
                               f"request duration {us}", _TRITON),
        "queue_us": _counter("nv_inference_queue_duration_us", "Cumulative time requests spent "
                             f"queued (in a batch queue, or for a thread) {us}", _TRITON),
        "input_us": _counter("nv_inference_compute_input_duration_us", "Cumulative time "
                             "requests spent assembling their execution's inputs (each request "
                             f"of a batch charged the batch's time) {us}", _TRITON),
        "infer_us": _counter("nv_inference_compute_infer_duration_us", "Cumulative time "
                             "requests spent executing the model (each request of a batch "
                             f"charged the batch's time) {us}", _TRITON),
        "output_us": _counter("nv_inference_compute_output_duration_us", "Cumulative time "
                              "requests spent splitting their execution's outputs (each request "
                              f"of a batch charged the batch's time) {us}", _TRITON),
        "pending": GaugeMetricFamily("nv_inference_pending_request_count", "Instantaneous "
                                     "number of pending requests awaiting execution per-model "
                                     "(in its batch queues, or waiting for a thread)",
                                     labels=_TRITON),
        "load_secs": GaugeMetricFamily("nv_model_load_duration_secs", "Model load time in "
                                       "seconds (load, compile and warm-up)", labels=_TRITON),
        # -- TF Serving --
        "request_count": _counter(":tensorflow:serving:request_count", "The total number of "
                                  "requests.", ("model_name", "status")),
        "request_latency": HistogramMetricFamily(
            ":tensorflow:serving:request_latency", "Distribution of wall time (in "
            "microseconds) for Tensorflow Serving request (failed requests included).",
            labels=("model_name", "API", "entrypoint")),
        "queuing_latency": HistogramMetricFamily(
            ":tensorflow:serving:batching_session:queuing_latency", "Distribution of wall time "
            "spent (in microseconds) in queuing", labels=("thread_pool_name",)),
        "processed_batch_size": HistogramMetricFamily(
            ":tensorflow:serving:batching_session:processed_batch_size", "Tracks the batch "
            "size distribution on processing."),
        "load_attempts": _counter(":tensorflow:cc:saved_model:load_attempt_count", "The number "
                                  "of times a SavedModel was successfully loaded.",
                                  ("model_path", "status")),
    }


class CompatCollector(Collector):
    """Triton's and TF Serving's series, computed from ``metrics`` (and ``repository``'s
    versions and base paths) at each scrape. Registers itself in ``metrics.registry``."""

    def __init__(self, metrics: Metrics, repository):
        self._metrics, self._repository = metrics, repository
        metrics.registry.register(self)

    def describe(self):
        return list(_families().values())

    def collect(self):
        families = _families()
        self._triton(families)
        self._tf_serving(families)
        return list(families.values())

    def _models(self) -> dict[str, list[int]]:
        """Configured model -> versions with series: available, or with statistics (a version
        answering its last requests while unloading), as ModelStatistics lists them."""
        stats, out = self._metrics.stats, {}
        for name in self._repository.model_names():
            if self._metrics.model_label(name) != name:
                continue  # not (or no longer) configured: its series are gone
            try:
                available = self._repository.available_versions(name)
            except (KeyError, OpError):  # removed since model_names()
                continue
            out[name] = sorted(set(available) | set(stats.versions(name)))
        return out

    def _triton(self, f: dict):
        m = self._metrics
        failures: dict[tuple, float] = defaultdict(float)
        for s in _samples(m.requests):
            labels = s.labels
            if labels["api"] in INFERENCE_APIS and labels["version"] and labels["code"] != "OK":
                reason = _REASON.get(labels["code"], "OTHER")
                failures[(labels["model"], labels["version"], reason)] += s.value
        pending = m.pending_requests()
        loads = dict(m.version_loads)
        for name, versions in self._models().items():
            for version in versions:
                s, values = m.stats.get(name, version), (name, str(version))
                _add(f["success"], values, s.get("ok", 0))
                for reason in FAILURE_REASONS:
                    _add(f["failure"], values + (reason,), failures[values + (reason,)])
                _add(f["count"], values, s.get("rows", 0))
                _add(f["exec"], values, s.get("executions", 0))
                _add(f["request_us"], values, s.get("ok_ns", 0) / 1000)
                _add(f["queue_us"], values, s.get("queue_ns", 0) / 1000)
                _add(f["input_us"], values, s.get("input_ns", 0) / 1000)
                _add(f["infer_us"], values, s.get("compute_ns", 0) / 1000)
                _add(f["output_us"], values, s.get("output_ns", 0) / 1000)
                # Every version, as Triton: batched or not, requests can wait to execute.
                f["pending"].add_metric(values, pending.get((name, version), 0))
                ok, _, seconds = loads.get((name, version), (0, 0, 0.0))
                if ok:
                    f["load_secs"].add_metric(values, seconds)

    def _tf_serving(self, f: dict):
        m = self._metrics
        counts: dict[tuple, float] = defaultdict(float)
        for s in _samples(m.requests):
            if s.labels["api"] in TFS_APIS:
                counts[(s.labels["model"], s.labels["code"])] += s.value
        for values, n in sorted(counts.items()):
            _add(f["request_count"], values, n)
        def tfs_api(labels):
            api = TFS_APIS.get(labels["api"])
            return None if api is None else (labels["model"],) + api
        latency = _histograms(m.request_duration, 1e6, tfs_api)
        for values, (buckets, total) in latency.items():
            f["request_latency"].add_metric(values, buckets, total)
        queued = _histograms(m.queue_wait, 1e6, lambda labels: (BATCH_THREADS,))
        for values, (buckets, total) in queued.items():
            f["queuing_latency"].add_metric(values, buckets, total)
        sizes = _histograms(m.batch_size, 1, lambda labels: ())
        for values, (buckets, total) in sizes.items():
            f["processed_batch_size"].add_metric(values, buckets, total)
        # One series per directory loaded from, as TF Serving's (keyed by export path): a
        # version loaded again from a new base path keeps the old path's counts.
        for (name, version), paths in sorted(dict(m.load_attempts).items()):
            try:
                base = self._repository.config(name).base_path
            except (KeyError, OpError):  # removed since
                continue
            counts: dict[str, list] = defaultdict(lambda: [0, 0])
            for path, (ok, failed) in list(paths.items()):
                total = counts[os.path.join(base, str(version)) if path is None else path]
                total[0] += ok
                total[1] += failed
            for path, (ok, failed) in sorted(counts.items()):
                _add(f["load_attempts"], (path, "success"), ok)
                _add(f["load_attempts"], (path, "fail"), failed)


def _samples(family_collector):
    for family in family_collector.collect():
        yield from family.samples


def _histograms(histogram, scale: float, key) -> dict:
    """``histogram``'s children summed by ``key(labels)`` (None: skipped), their bounds and sums
    multiplied by ``scale``: {key: ([(le, cumulative count), ...], sum)}. Children with the
    same bounds add bucket by bucket."""
    buckets: dict[tuple, dict] = defaultdict(lambda: defaultdict(float))
    sums: dict[tuple, float] = defaultdict(float)
    for s in _samples(histogram):
        k = key(s.labels)
        if k is None:
            continue
        if s.name.endswith("_bucket"):
            le = s.labels["le"]
            bound = "+Inf" if le == "+Inf" else floatToGoString(round(float(le) * scale, 9))
            buckets[k][bound] += s.value
        elif s.name.endswith("_sum"):
            sums[k] += s.value * scale
    return {k: (sorted(b.items(), key=lambda item: float(item[0])), sums[k])
            for k, b in sorted(buckets.items())}
