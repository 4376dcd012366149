"""Prometheus metrics of the model server, every collector created in an injected registry,
and the Triton-style statistics behind KServe's ModelStatistics (the same events, counted per
model version: inference_stats.py). The request path's counter and histograms are the cheaper
ones of metrics_fast.py.

Latencies are histograms in seconds (they aggregate across replicas, unlike summaries); label
values are bounded: model names come from the repository configuration (anything else is
reported as "_unknown"; a model removed at run time loses its series), versions from the
versions on disk, API and code from fixed sets.
"""

from __future__ import annotations

import threading
import time

from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, Info,
                               PlatformCollector, ProcessCollector)

import minitf

from .inference_stats import InferenceStats
from .metrics_fast import _FastCounter, _FastHistogram

UNKNOWN_MODEL = "_unknown"
LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                   0.5, 1.0, 2.5, 5.0, 10.0)
ROWS_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
LOAD_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Every server metric. Pass ``registry`` (tests use a fresh CollectorRegistry)."""

    def __init__(self, registry: CollectorRegistry | None = None, models=(),
                 process_metrics: bool = True):
        self.registry = registry if registry is not None else CollectorRegistry()
        self._models = set(models)
        r = self.registry
        self.requests = _FastCounter(
            "minitf_requests", "Requests by model, version, API and gRPC status code.",
            ["model", "version", "api", "code"], registry=r)
        self.request_duration = _FastHistogram(
            "minitf_request_duration_seconds", "Time from receiving a request to answering it "
            "(failures included).", ["model", "api"], buckets=LATENCY_BUCKETS, registry=r)
        self.queue_wait = _FastHistogram(
            "minitf_queue_wait_seconds", "Time a request waited in the batch queue.",
            ["model"], buckets=LATENCY_BUCKETS, registry=r)
        self.compute = _FastHistogram(
            "minitf_compute_seconds", "Time to execute the model's plan for one batch (or one "
            "unbatched request).", ["model"], buckets=LATENCY_BUCKETS, registry=r)
        self.batch_size = _FastHistogram(
            "minitf_batch_size_rows", "Rows in each executed batch, padding included.",
            ["model"], buckets=ROWS_BUCKETS, registry=r)
        self.padding = _FastHistogram(
            "minitf_batch_padding_rows", "Padding rows added to reach an allowed batch size.",
            ["model"], buckets=(0,) + ROWS_BUCKETS, registry=r)
        self.queue_depth = Gauge(
            "minitf_queue_depth", "Requests waiting in the batch queues.", ["model"], registry=r)
        self.inflight = Gauge(
            "minitf_inflight_requests", "Requests being handled right now.", ["api"],
            registry=r)
        self.load_duration = Histogram(
            "minitf_model_load_duration_seconds", "Time to load, compile and warm up a model "
            "version (successful and failed).", ["model"], buckets=LOAD_BUCKETS, registry=r)
        self.load_failures = Counter(
            "minitf_model_load_failures", "Model versions that failed to load.", ["model"],
            registry=r)
        self.version_states = Gauge(
            "minitf_model_version_state", "State of each model version (TF Serving numbers: "
            "20 LOADING, 30 AVAILABLE, 40 UNLOADING, 50 END).", ["model", "version"],
            registry=r)
        self.versions_available = Gauge(
            "minitf_model_versions_available", "Versions of each model that can serve.",
            ["model"], registry=r)
        Info("minitf_build", "minitf build information.", registry=r).info(
            {"version": minitf.__version__})
        if process_metrics:
            ProcessCollector(registry=r)
            PlatformCollector(registry=r)
        self._available: dict[str, set[int]] = {}
        # labels() validates and locks on every call: the request path keeps the labelled
        # children, keyed by label values (so as bounded as the labels).
        self._compute_children: dict[str, object] = {}
        self._inflight: dict[str, _LoopCount] = {}
        self.stats = InferenceStats()
        # (model label, version) -> queue_depth of its batchers: the model's queue-depth gauge
        # sums its versions', and metrics_compat reads them per version.
        self._queues: dict[tuple[str, int], set] = {}
        self._queues_lock = threading.Lock()
        self._recorder_caches: list[dict] = []
        # Unloaded versions (a tuple each, until a version of that number loads again).
        self._forgotten: set[tuple[str, int]] = set()
        self._state_versions: dict[str, set[str]] = {}  # model label -> its version_states
        # Per version, for metrics_compat's collector: loads [succeeded, failed, seconds of the
        # last success], and the same counts per directory loaded from (a changed base path
        # loads a version from a new one: TF Serving keeps a series per export directory).
        self.version_loads: dict[tuple[str, int], list] = {}
        self.load_attempts: dict[tuple[str, int], dict[str | None, list]] = {}
        # (model label, version) -> requests of unbatched signatures waiting for a thread
        self._waiting: dict[tuple[str, int], list] = {}
        self._zero(self._models)

    def model_label(self, name: str) -> str:
        return name if name in self._models else UNKNOWN_MODEL

    def add_models(self, names):
        self._models.update(names)
        self._zero(names)

    def remove_models(self, names):
        """Forgets models a reconfiguration removed: every series labelled with them goes (so
        label values stay bounded by the models configured), and requests still finishing
        count as "_unknown". A model added again starts from zero."""
        for label in names:
            if label not in self._models:
                continue
            self._models.discard(label)  # the recorders' set: new requests count as _unknown
            for metric in (self.load_duration, self.load_failures, self.versions_available,
                           self.queue_depth):
                _remove(metric, label)
            for version in self._state_versions.pop(label, ()):
                _remove(self.version_states, label, version)
            for family in (self.requests, self.request_duration, self.queue_wait, self.compute,
                           self.batch_size, self.padding):
                family.remove_where(lambda values, label=label: values[0] == label)
            self._available.pop(label, None)
            self._compute_children.pop(label, None)
            with self._queues_lock:
                for key in [k for k in self._queues if k[0] == label]:
                    del self._queues[key]
            for cache in self._recorder_caches:
                for key in [k for k in list(cache) if k[0] == label]:
                    cache.pop(key, None)
            for key in [k for k in self._forgotten if k[0] == label]:
                self._forgotten.discard(key)
            for loads in (self.version_loads, self.load_attempts, self._waiting):
                for key in [k for k in list(loads) if k[0] == label]:
                    loads.pop(key, None)
            self.stats.forget_model(label)

    def samples(self, name: str) -> dict:
        """{labels: value} of the samples named ``name`` (or ``name`` + ``_total``, a
        counter's): what HandleReloadConfigRequest's ``metric_names`` compare."""
        out = {}
        for family in self.registry.collect():
            for sample in family.samples:
                if sample.name in (name, name + "_total"):
                    out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return out

    def _zero(self, names):
        """Every configured model's series from the start: a counter first seen at 1 shows no
        increase() in Prometheus, and a model with no version yet still shows 0 available."""
        for name in names:
            self.load_failures.labels(name)
            self.versions_available.labels(name).set(
                len(self._available.get(name, ())))

    # -- request path ----------------------------------------------------------------------------
    def recorder(self, api: str, inference: bool = False):
        """``record(model, version, code, seconds)`` for each finished request of ``api``: the
        request counter and latency histogram, and for an inference API (Predict, ModelInfer,
        Classify, Regress, MultiInference) a success or failure in the version's statistics
        once the request resolved one. One closure per API, called from its handler on the
        event loop, keeps the per-request work to a dictionary lookup and the observations."""
        children: dict[tuple, tuple] = {}  # (model label, version, code) -> metric children
        self._recorder_caches.append(children)  # unloaded() empties an unloaded version's
        models, stats, forgotten = self._models, self.stats if inference else None, \
            self._forgotten

        def record(model: str, version, code: str, seconds: float):
            label = model if model in models else UNKNOWN_MODEL
            key = (label, version, code)
            child = children.get(key)
            if child is None:
                # A request that finishes after its version was unloaded counts without a
                # version, so the unloaded version's series stay gone (and totals stay right).
                # So does one for an unknown (or since removed) model: "_unknown" has no
                # versions, or its series would outlive every removal.
                shown = "" if version is None or label == UNKNOWN_MODEL or \
                    (label, version) in forgotten else str(version)
                child = children[key] = (self.requests.labels(label, shown, api, code),
                                         self.request_duration.labels(label, api))
            child[0].inc()
            child[1].observe(seconds)
            if stats is not None and version is not None and label != UNKNOWN_MODEL and \
                    (label, version) not in forgotten:  # a removed model's stay gone
                if code == "OK":
                    stats.succeeded(model, version, int(seconds * 1e9), int(time.time() * 1000))
                else:
                    stats.failed(model, version, int(seconds * 1e9))
        return record

    def inflight_count(self, api: str) -> _LoopCount:
        """The in-flight count of ``api``'s handlers, which all run on the event loop's thread:
        they change it without the lock (and the call) a gauge's inc() takes on each request,
        and /metrics reads it when scraped."""
        count = self._inflight.get(api)
        if count is None:
            count = self._inflight[api] = _LoopCount()
            self.inflight.labels(api).set_function(lambda: count.value)
        return count

    def watch_queue(self, label: str, depth, version: int):
        """Adds a batcher's ``depth()`` to its model version's queues; the model's queue-depth
        gauge sums them when scraped."""
        with self._queues_lock:
            self._queues.setdefault((label, version), set()).add(depth)
        self.queue_depth.labels(label).set_function(lambda: self._depth(label))

    def unwatch_queue(self, label: str, depth, version: int):
        with self._queues_lock:
            depths = self._queues.get((label, version), set())
            depths.discard(depth)
            if not depths:  # a version's batchers all stopped: bounded by versions serving
                self._queues.pop((label, version), None)

    def _depth(self, label: str) -> int:
        with self._queues_lock:
            return sum(d() for (model, _), ds in self._queues.items() if model == label
                       for d in ds)

    def version_depths(self) -> dict[tuple[str, int], int]:
        """Requests waiting in each (model label, version)'s batch queues."""
        with self._queues_lock:
            return {k: sum(d() for d in ds) for k, ds in self._queues.items()}

    def compute_time(self, model: str, seconds: float):
        label = self.model_label(model)
        child = self._compute_children.get(label)
        if child is None:
            child = self._compute_children[label] = self.compute.labels(label)
        child.observe(seconds)

    def executed(self, model: str, version: int, seconds: float, rows: int,
                 input_seconds: float = 0.0, output_seconds: float = 0.0,
                 queued: float = 0.0, answered: bool = True):
        """One unbatched request's plan run (``seconds``) of ``rows`` rows, with the spans
        before and after it and the request's wait for a thread (``queued``); ``answered``:
        the request still waited for its result (see InferenceStats.executed)."""
        # (compute_time and counts_stats inline: this is every unbatched request's path)
        label = model if model in self._models else UNKNOWN_MODEL
        child = self._compute_children.get(label)
        if child is None:
            child = self._compute_children[label] = self.compute.labels(label)
        child.observe(seconds)
        if label is not UNKNOWN_MODEL and (model, version) not in self._forgotten:
            n = 1 if answered else 0
            self.stats.executed(model, version, rows, int(input_seconds * 1e9),
                                int(seconds * 1e9), int(output_seconds * 1e9), n, n * rows,
                                n * int(queued * 1e9), n)

    def waiting(self, model: str, version: int) -> list:
        """``model`` ``version``'s unbatched requests that arrived and wait for a thread to
        run on (Triton's pending requests, next to the batch queues'), as a list the data
        plane appends an item to for each, and pops one from when it leaves: its length is
        the count (append and pop are atomic: no lock on the request path)."""
        key = (model, version)
        waiting = self._waiting.get(key)
        if waiting is None:
            waiting = []
            if self.counts_stats(model, version):  # (not a removed model's or version's)
                waiting = self._waiting.setdefault(key, waiting)
        return waiting

    def pending_requests(self) -> dict[tuple[str, int], int]:
        """Requests received but not yet executing, per (model label, version): in batch
        queues, or waiting for a thread (unbatched)."""
        out = self.version_depths()
        for key, waiting in list(self._waiting.items()):
            out[key] = out.get(key, 0) + len(waiting)
        return out

    def counts_stats(self, model: str, version: int) -> bool:
        """Whether an execution still counts in ModelStatistics: not once its model was
        removed or its version unloaded (a request finishing late would bring them back)."""
        return model in self._models and (model, version) not in self._forgotten

    # -- repository observer ------------------------------------------------------------------
    def load(self, model: str, version: int, seconds: float, ok: bool, path: str | None = None):
        """A load attempt of ``model`` ``version`` from directory ``path`` (None: the model's
        base path's version directory, as metrics_compat then reports it)."""
        label = self.model_label(model)
        self.load_duration.labels(label).observe(seconds)
        loads = self.version_loads.setdefault((label, version), [0, 0, 0.0])
        loads[0 if ok else 1] += 1
        loads[2] = seconds if ok else loads[2]
        attempts = self.load_attempts.setdefault((label, version), {})
        attempts.setdefault(path, [0, 0])[0 if ok else 1] += 1
        if not ok:
            self.load_failures.labels(self.model_label(model)).inc()

    def version_state(self, model: str, version: int, state):
        label = self.model_label(model)
        self.version_states.labels(label, str(version)).set(int(state))
        self._state_versions.setdefault(label, set()).add(str(version))
        available = self._available.setdefault(label, set())
        if int(state) == 30:
            available.add(version)
        else:
            available.discard(version)
        self.versions_available.labels(label).set(len(available))
        if int(state) == 30 and (label, version) in self._forgotten:  # the same number again
            self._forgotten.discard((label, version))
            self._drop_cached(label, version)

    def unloaded(self, model: str, version: int):
        """Drops an unloaded version's series and statistics, so they stay bounded by the
        versions on disk however many are deployed over a server's life (a version that
        failed to load is never unloaded: its END state stays, for an operator to see)."""
        label = self.model_label(model)
        v = str(version)
        self._forgotten.add((label, version))
        self._drop_cached(label, version)
        _remove(self.version_states, label, v)
        self._state_versions.get(label, set()).discard(v)
        self.requests.remove_where(lambda values: values[0] == label and values[1] == v)
        self.stats.forget(label, version)
        self.version_loads.pop((label, version), None)
        self.load_attempts.pop((label, version), None)
        self._waiting.pop((label, version), None)

    def _drop_cached(self, label: str, version: int):
        for cache in self._recorder_caches:
            for key in list(cache):
                if key[0] == label and key[1] == version:
                    cache.pop(key, None)

    def batcher(self, model: str, version: int, signature: str):
        return _BatcherObserver(self, model, version)


class _LoopCount:
    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class _BatcherObserver:
    """What a DynamicBatcher reports, bound to its model version."""

    __slots__ = ("_metrics", "_model", "_version", "_label", "_batch", "_padding", "_wait",
                 "_compute", "_stats")

    def __init__(self, metrics: Metrics, model: str, version: int):
        self._metrics, self._model, self._version = metrics, model, version
        self._label = label = metrics.model_label(model)
        self._batch = metrics.batch_size.labels(label)
        self._padding = metrics.padding.labels(label)
        self._wait = metrics.queue_wait.labels(label)
        self._compute = metrics.compute.labels(label)
        self._stats = metrics.stats

    def batch(self, rows: int, padding: int):
        self._batch.observe(rows)
        self._padding.observe(padding)

    def queue_waits(self, seconds: list[float]):
        self._wait.observe_all(seconds)

    def executed(self, size: int, input_seconds: float, infer_seconds: float,
                 output_seconds: float, requests: int, rows: int, queued_seconds: float,
                 pieces: int):
        """One batch's execution (DynamicBatcher's observer protocol)."""
        self._compute.observe(infer_seconds)
        if self._metrics.counts_stats(self._model, self._version):  # (per batch: a call is fine)
            self._stats.executed(self._model, self._version, size, int(input_seconds * 1e9),
                                 int(infer_seconds * 1e9), int(output_seconds * 1e9),
                                 requests, rows, int(queued_seconds * 1e9), pieces)

    def watch_queue(self, depth):
        self._metrics.watch_queue(self._label, depth, self._version)

    def unwatch_queue(self, depth):
        self._metrics.unwatch_queue(self._label, depth, self._version)


def _remove(metric, *labels):
    """``metric.remove(*labels)``, a series never made included (a model without a batcher has
    no queue_depth): prometheus-client before 0.22 raises KeyError for it."""
    try:
        metric.remove(*labels)
    except KeyError:
        pass
