"""Triton-style statistics per model version, behind KServe's ModelStatistics: the same events
the Prometheus metrics count (requests answered or refused, executions), counted per model
version as Triton's InferenceStatsAggregator does. Metrics keeps one (``Metrics.stats``); a
DataPlane without metrics keeps its own.
"""

from __future__ import annotations

import threading

_STAT_FIELDS = ("ok", "ok_ns", "fail", "fail_ns", "rows", "executions", "compute", "compute_ns",
                "queue", "queue_ns", "last_ms", "input_ns", "output_ns")
(_OK, _OK_NS, _FAIL, _FAIL_NS, _ROWS, _EXECUTIONS, _COMPUTE, _COMPUTE_NS, _QUEUE, _QUEUE_NS,
 _LAST_MS, _INPUT_NS, _OUTPUT_NS) = range(len(_STAT_FIELDS))
_BATCHES = len(_STAT_FIELDS)  # after the counters: the batch statistics by size


class InferenceStats:
    """Triton's per-version statistics for ModelStatistics, counted as Triton's
    InferenceStatsAggregator does (infer_stats.cc):

    - per request answered or refused (``succeeded``, ``failed``, from the request's
      outcome): success and fail, with the whole request's time;
    - per execution (``executed``: a batch, or an unbatched request): ``execution_count`` and
      the execution's batch statistics, by its size (rows run, padding included): count and
      compute_input (the inputs assembled: concatenated, padded), compute_infer (the plan's
      run) and compute_output (its outputs checked and split per request);
    - per request the execution answered (one that gave up while it ran, timed out or
      cancelled, is not: Triton counts successful requests only): its rows in
      ``inference_count``, its queue time (arrival at the batcher, or at the data plane when
      unbatched, to the execution's start) and the execution's compute spans. A request split
      across batches counts once, in the batch of its first piece, and is charged the spans
      of every batch it ran in.
    """

    FIELDS = _STAT_FIELDS

    def __init__(self):
        self._lock = threading.Lock()
        # (model, version) -> the FIELDS' counters, then its batch statistics:
        # {batch size: [count, input ns, infer ns, output ns]}
        self._by: dict[tuple, list] = {}

    def _counters(self, model: str, version: int) -> list:
        counters = self._by.get((model, version))
        if counters is None:
            counters = self._by[(model, version)] = [0] * len(self.FIELDS) + [{}]
        return counters

    def succeeded(self, model: str, version: int, ns: int, last_ms: int):
        with self._lock:
            c = self._counters(model, version)
            c[_OK] += 1
            c[_OK_NS] += ns
            c[_LAST_MS] = last_ms  # a timestamp, not a count

    def failed(self, model: str, version: int, ns: int):
        with self._lock:
            c = self._counters(model, version)
            c[_FAIL] += 1
            c[_FAIL_NS] += ns

    def executed(self, model: str, version: int, size: int, input_ns: int, infer_ns: int,
                 output_ns: int, requests: int = 0, rows: int = 0, queue_ns: int = 0,
                 pieces: int = 0):
        """One execution of ``size`` rows (padding included) and its three spans, which
        answered ``requests`` requests (``pieces`` pieces: split ones included) of ``rows``
        real rows that waited ``queue_ns`` in all."""
        with self._lock:
            c = self._counters(model, version)
            c[_EXECUTIONS] += 1
            c[_ROWS] += rows
            c[_QUEUE] += requests
            c[_QUEUE_NS] += queue_ns
            c[_COMPUTE] += requests
            c[_INPUT_NS] += pieces * input_ns
            c[_COMPUTE_NS] += pieces * infer_ns
            c[_OUTPUT_NS] += pieces * output_ns
            b = c[_BATCHES].get(size)
            if b is None:
                b = c[_BATCHES][size] = [0, 0, 0, 0]
            b[0] += 1
            b[1] += input_ns
            b[2] += infer_ns
            b[3] += output_ns

    def get(self, model: str, version: int) -> dict:
        """The counters by name ({} for a version that never answered)."""
        with self._lock:
            counters = self._by.get((model, version))
            return {} if counters is None else dict(zip(self.FIELDS, counters))

    def batch_stats(self, model: str, version: int) -> list[tuple[int, int, int, int, int]]:
        """(size, count, input ns, infer ns, output ns) per execution size, smallest first."""
        with self._lock:
            counters = self._by.get((model, version))
            sizes = {} if counters is None else counters[_BATCHES]
            return [(size, *sizes[size]) for size in sorted(sizes)]

    def forget(self, model: str, version: int):
        with self._lock:
            self._by.pop((model, version), None)

    def forget_model(self, model: str):
        with self._lock:
            for key in [k for k in self._by if k[0] == model]:
                del self._by[key]

    def versions(self, model: str) -> list[int]:
        with self._lock:
            return sorted(v for (m, v) in self._by if m == model)
