"""The labelled counter and histogram of the request path (Metrics' request counter and its
latency, queue-wait, compute and batch histograms), exposed through the registry like
prometheus_client's own and with the same samples and text exposition.

Why not prometheus_client's Counter and Histogram: each of their observations takes two locks,
validates and (histograms) searches the buckets linearly, on the path the GIL serialises (the
event loop, the batch threads); a child here takes one lock and bisects.
"""

from __future__ import annotations

import bisect
import threading

from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString


class _Family(Collector):
    """A labelled metric for the request path, exposed through the registry like
    prometheus_client's own. Those take two locks, checks and (histograms) a linear bucket
    search per observation, on the path the GIL serialises (event loop, batch threads); a
    child here takes one lock."""

    def __init__(self, name: str, documentation: str, labelnames, registry):
        self._name, self._doc, self._labelnames = name, documentation, tuple(labelnames)
        self._children: dict[tuple, object] = {}
        self._lock = threading.Lock()
        registry.register(self)

    def labels(self, *values):
        values = tuple(str(v) for v in values)
        if len(values) != len(self._labelnames):
            raise ValueError(f"{self._name}: expected labels {self._labelnames}, got {values}")
        with self._lock:
            child = self._children.get(values)
            if child is None:
                child = self._children[values] = self._new_child()
            return child

    def remove_where(self, predicate):
        """Removes the children whose label values satisfy ``predicate``."""
        with self._lock:
            for values in [v for v in self._children if predicate(v)]:
                del self._children[values]

    def describe(self):
        return [self._family()]

    def collect(self):
        family = self._family()
        with self._lock:
            children = list(self._children.items())
        for values, child in children:
            self._add(family, list(values), child)
        yield family


class _FastHistogram(_Family):
    def __init__(self, name, documentation, labelnames, buckets, registry):
        self._bounds = tuple(float(b) for b in buckets)
        self._les = [floatToGoString(b) for b in self._bounds] + ["+Inf"]
        super().__init__(name, documentation, labelnames, registry)

    def _family(self):
        return HistogramMetricFamily(self._name, self._doc, labels=self._labelnames)

    def _new_child(self):
        return _HistogramChild(self._bounds)

    def _add(self, family, values, child):
        counts, total = child.snapshot()
        cumulative, buckets = 0, []
        for le, n in zip(self._les, counts):
            cumulative += n
            buckets.append((le, cumulative))
        family.add_metric(values, buckets, total)


class _HistogramChild:
    __slots__ = ("_bounds", "_counts", "_sum", "_lock")

    def __init__(self, bounds):
        self._bounds = bounds
        self._counts = [0] * (len(bounds) + 1)  # the last one: above every bound (+Inf)
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe(self, value: float):
        i = bisect.bisect_left(self._bounds, value)  # the first bucket with value <= le
        with self._lock:
            self._counts[i] += 1
            self._sum += value

    def observe_all(self, values):
        """``observe`` each value, under one lock."""
        bounds, counts = self._bounds, self._counts
        indices = [bisect.bisect_left(bounds, v) for v in values]
        with self._lock:
            for i in indices:
                counts[i] += 1
            self._sum += sum(values)

    def snapshot(self) -> tuple[list[int], float]:
        with self._lock:
            return list(self._counts), self._sum


class _FastCounter(_Family):
    """Exposed as ``<name>_total``."""

    def _family(self):
        return CounterMetricFamily(self._name, self._doc, labels=self._labelnames)

    def _new_child(self):
        return _CounterChild()

    def _add(self, family, values, child):
        family.add_metric(values, child.get())


class _CounterChild:
    __slots__ = ("_value", "_lock")

    def __init__(self):
        self._value = 0
        self._lock = threading.Lock()

    def inc(self, amount: int = 1):
        with self._lock:
            self._value += amount

    def get(self) -> int:
        with self._lock:
            return self._value
