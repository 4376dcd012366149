"""The data plane: what every API does once its request is decoded into numpy.

Servicers (services/) translate protocol messages to and from these calls; the repository
resolves versions; batchers and plans execute. Nothing here knows about gRPC or protobuf.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from minitf.errors import InvalidArgumentError, NotFoundError, OpError
from minitf.graph import Operation, Tensor
from minitf.plan import Plan
from minitf.session import _check_feed

from .batching import BatcherStoppedError
from .repository import LoadedVersion, ModelRepository
from .servable import DEFAULT_SIGNATURE

SESSION_PLAN_CACHE = 64  # SessionRun plans kept per version (fetch sets are client-chosen)


@dataclass
class Prediction:
    model: str
    version: int
    signature: str
    outputs: dict[str, np.ndarray]


class InferenceStats:
    """Triton-style counters for ModelStatistics, per (model, version)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by = collections.defaultdict(lambda: collections.defaultdict(int))

    def add(self, model: str, version: int, **values):
        with self._lock:
            entry = self._by[(model, version)]
            for k, v in values.items():
                if k == "last_ms":
                    entry[k] = v  # a timestamp, not a count
                else:
                    entry[k] += v

    def get(self, model: str, version: int) -> dict:
        with self._lock:
            return dict(self._by.get((model, version), {}))

    def versions(self, model: str) -> list[int]:
        with self._lock:
            return sorted(v for (m, v) in self._by if m == model)


class DataPlane:
    def __init__(self, repository: ModelRepository, metrics=None, clock=time.monotonic):
        self.repository = repository
        self.metrics = metrics
        self.stats = InferenceStats()
        self._clock = clock
        self._session_plans: dict = {}
        self._session_lock = threading.Lock()

    # -- health ---------------------------------------------------------------------------------
    def live(self) -> bool:
        return True

    def ready(self) -> bool:
        return self.repository.is_ready()

    def model_ready(self, name: str, version: int | None = None) -> bool:
        try:
            self.repository.get(name, version)
        except NotFoundError:
            return False
        return True

    def resolve(self, name: str, version: int | None = None, label: str | None = None
                ) -> LoadedVersion:
        if not name:
            raise InvalidArgumentError(None, None, "Missing model name")
        return self.repository.get(name, version, label)

    # -- predict --------------------------------------------------------------------------------
    def predict(self, entry: LoadedVersion, signature_name: str | None,
                inputs: Mapping[str, np.ndarray], output_filter: Sequence[str] = (),
                deadline: float | None = None) -> Prediction:
        runner = entry.servable.signature(signature_name)
        outputs = runner.output_aliases(output_filter)
        feeds = runner.validate(inputs)
        batcher = entry.batchers.get(runner.name)
        start = self._clock()
        if batcher is not None:
            try:
                result = batcher.run(feeds, outputs, deadline)
            except BatcherStoppedError:
                # The version was unloaded after this request resolved it: the servable is
                # still alive (the request holds it), so answer unbatched instead of failing.
                batcher = None
                start = self._clock()
        if batcher is None:
            result = runner.run(feeds, outputs)
            if self.metrics is not None:
                self.metrics.compute_time(entry.name, self._clock() - start)
        return Prediction(entry.name, entry.version, runner.name, result)

    # -- SessionRun -----------------------------------------------------------------------------
    def session_run(self, entry: LoadedVersion, feeds: Mapping[str, np.ndarray],
                    fetches: Sequence[str], targets: Sequence[str],
                    alias_signature: str | None = None) -> list[np.ndarray]:
        """TF1's Session.run over the network: feeds and fetches by tensor name (or by
        signature alias when ``alias_signature`` is given), targets by node name."""
        servable = entry.servable
        graph = servable.model.graph
        if alias_signature is not None:
            sig = servable.signature(alias_signature).signature
            feeds = {self._alias(sig.inputs, a, "input"): v for a, v in feeds.items()}
            fetches = [self._alias(sig.outputs, a, "output") for a in fetches]
        feed_tensors = [self._element(graph, n, tensor=True) for n in feeds]
        fetch_tensors = [self._element(graph, n, tensor=True) for n in fetches]
        target_ops = [self._element(graph, n, tensor=False) for n in targets]
        if not fetch_tensors and not target_ops:
            raise InvalidArgumentError(None, None, "SessionRun needs at least one fetch or "
                                       "target")
        try:
            values = [_check_feed(t, v) for t, v in zip(feed_tensors, feeds.values())]
        except (TypeError, ValueError) as e:
            # Session.run's feed checks raise TF1's builtin errors; the client's fault here.
            if isinstance(e, OpError):
                raise
            raise InvalidArgumentError(None, None, str(e)) from None
        key = (entry.name, entry.version, tuple(feed_tensors), tuple(fetch_tensors),
               tuple(target_ops))
        with self._session_lock:
            plan = self._session_plans.get(key)
        if plan is None:
            plan = Plan.compile(graph, feed_tensors, fetch_tensors, target_ops)
            with self._session_lock:
                if len(self._session_plans) >= SESSION_PLAN_CACHE:
                    self._session_plans.pop(next(iter(self._session_plans)))
                self._session_plans[key] = plan
        start = self._clock()
        out = plan.run(values)
        if self.metrics is not None:
            self.metrics.compute_time(entry.name, self._clock() - start)
        return out

    @staticmethod
    def _alias(infos, alias, kind):
        info = infos.get(alias)
        if info is None:
            raise InvalidArgumentError(None, None, f"{kind} alias '{alias}' is not in the "
                                       f"signature (expected one of {sorted(infos)})")
        return info.name

    @staticmethod
    def _element(graph, name, tensor: bool):
        try:
            element = graph.as_graph_element(name, allow_tensor=tensor,
                                              allow_operation=not tensor)
        except (KeyError, ValueError, TypeError) as e:
            msg = e.args[0] if e.args else str(e)
            raise NotFoundError(None, None, f"{'Tensor' if tensor else 'Node'} {name!r}: "
                                f"{msg}") from None
        assert isinstance(element, Tensor if tensor else Operation)
        return element


__all__ = ["DataPlane", "Prediction", "InferenceStats", "DEFAULT_SIGNATURE"]
