"""The data plane: what every API does once its request is decoded into numpy.

Servicers (services/) translate protocol messages to and from these calls; the repository
resolves versions; batchers and plans execute. Nothing here knows about gRPC or protobuf.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from minitf.errors import DeadlineExceededError, InvalidArgumentError, NotFoundError, OpError
from minitf.graph import Operation, Tensor
from minitf.plan import Plan
from minitf.session import _check_feed

from .batching import BatcherStoppedError
from .inference_stats import InferenceStats
from .repository import LoadedVersion, ModelRepository
from .servable import DEFAULT_SIGNATURE
from .shared_memory import SharedMemoryManager

SESSION_PLAN_CACHE = 64  # SessionRun plans kept per version (fetch sets are client-chosen)


@dataclass
class Prediction:
    model: str
    version: int
    signature: str
    outputs: dict[str, np.ndarray]


class DataPlane:
    def __init__(self, repository: ModelRepository, metrics=None, clock=time.monotonic,
                 executor=None):
        self.repository = repository
        self.metrics = metrics
        # ModelStatistics' counters: the metrics' own (they see every execution), or a
        # private set when there are no metrics.
        self.stats = metrics.stats if metrics is not None else InferenceStats()
        self._clock = clock
        self._session_lock = threading.Lock()  # guards each servable's session_plans
        # Where the asyncio API runs plans that are not batched (None: inline).
        self.executor = executor
        # Triton's system shared-memory regions, which KServe's inputs and outputs may name.
        self.shared_memory = SharedMemoryManager()
        self._management = None  # the model-management thread (manage), made on first use

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
        runner, outputs, feeds = self._prepare(entry, signature_name, inputs, output_filter)
        batcher = entry.batchers.get(runner.name)
        if batcher is not None:
            try:
                return Prediction(entry.name, entry.version, runner.name,
                                  batcher.run(feeds, outputs, deadline))
            except BatcherStoppedError:
                pass  # unloaded after this request resolved it: answer unbatched (below)
        return self._unbatched(entry, runner, feeds, outputs, deadline, self._clock())

    async def predict_async(self, entry: LoadedVersion, signature_name: str | None,
                            inputs: Mapping[str, np.ndarray], output_filter: Sequence[str] = (),
                            deadline: float | None = None,
                            enforce_deadline: bool = True) -> Prediction:
        """``predict`` for the asyncio server: awaits the batch; runs an unbatched plan in
        ``executor`` so the event loop keeps serving. ``enforce_deadline=False``: the caller
        is cancelled at ``deadline`` anyway (gRPC's own deadline), so no timer is needed."""
        runner, outputs, feeds = self._prepare(entry, signature_name, inputs, output_filter)
        batcher = entry.batchers.get(runner.name)
        if batcher is not None:
            try:
                return Prediction(entry.name, entry.version, runner.name,
                                  await batcher.run_async(feeds, outputs, deadline,
                                                          enforce_deadline))
            except BatcherStoppedError:
                pass  # unloaded after this request resolved it: answer unbatched (below)
        # Triton's pending count (Metrics.waiting: a list as long as the count) from here
        # until a thread takes the request (_unbatched) or the caller gives up first.
        # ``ticket`` and ``answer`` are one-item lists: whoever pops the item first (pop is
        # atomic) leaves the count / answers the request; the other finds it gone.
        waiting = entry.waiting
        if waiting is None and self.metrics is not None:
            waiting = entry.waiting = self.metrics.waiting(entry.name, entry.version)
        if waiting is not None:
            waiting.append(True)
        ticket = [waiting]
        answer = [True]
        run = self._in_executor(self._unbatched, entry, runner, feeds, outputs, deadline,
                                self._clock(), ticket, answer)
        try:
            if deadline is None or not enforce_deadline:
                return await run
            try:  # a deadline of the request's own (KServe's timeout); gRPC's cancels the call
                return await asyncio.wait_for(run, max(deadline - self._clock(), 0.0))
            except asyncio.TimeoutError:
                raise DeadlineExceededError(None, None, "Deadline exceeded while the request "
                                            "ran") from None
        except BaseException:  # gave up (or failed): no longer pending, and not answered
            if answer:
                answer.clear()
            _leave(ticket)
            raise

    @staticmethod
    def _prepare(entry, signature_name, inputs, output_filter):
        runner = entry.servable.signature(signature_name)
        outputs = runner.output_aliases(output_filter)
        return runner, outputs, runner.validate(inputs)

    def _unbatched(self, entry, runner, feeds, outputs, deadline=None, arrived=None,
                   ticket=None, answer=None) -> Prediction:
        """Runs the plan on this thread. ``arrived``: when the request reached the data plane
        (its queue time ends now); ``ticket``: its pending count, left now; ``answer``: popped
        here if its caller still waits (else the caller gave up: not counted as answered)."""
        # The version may have been unloaded after the request resolved it: the request
        # still holds the servable, so this is safe.
        clock = self._clock
        start = clock()
        if ticket:  # (inline, not _leave: this is every unbatched request's path)
            try:
                waiting = ticket.pop()
            except IndexError:  # its caller gave up meanwhile and left already
                waiting = None
            if waiting is not None:
                waiting.pop()
        if deadline is not None and start >= deadline:  # it waited for a thread too long
            raise DeadlineExceededError(None, None, "Deadline exceeded before the request "
                                        "ran")
        # Timed apart as Triton's compute_input, compute_infer and compute_output: nothing to
        # assemble here (the plan's lookup), the plan's run, the outputs named.
        plan = runner.plan_for(outputs)
        begin = clock()
        values = plan.run(feeds)
        end = clock()
        result = dict(zip(outputs, values))
        if self.metrics is not None:
            rows = feeds[0].shape[0] if runner.batchable and feeds else 1
            answered = True
            if answer is not None:
                try:
                    answer.pop()
                except IndexError:  # its caller gave up while it ran
                    answered = False
            self.metrics.executed(entry.name, entry.version, end - begin, rows, begin - start,
                                  clock() - end, 0.0 if arrived is None else start - arrived,
                                  answered)
        return Prediction(entry.name, entry.version, runner.name, result)

    async def _in_executor(self, fn, *args):
        if self.executor is None:
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    # -- model management -----------------------------------------------------------------------
    async def manage(self, fn, *args):
        """``fn(*args)``, a load, unload or reconfiguration (each waits for the repository's
        lock, then may load for seconds), on the plane's one model-management thread: queued
        there, such calls never hold the threads of the pool that decodes large payloads."""
        with self._session_lock:
            if self._management is None:
                self._management = ThreadPoolExecutor(1, thread_name_prefix="model-management")
        return await asyncio.get_running_loop().run_in_executor(self._management, fn, *args)

    def close(self):
        """Lets the model-management thread end (a call running on it finishes first) and
        unmaps the shared-memory regions."""
        self.shared_memory.unregister()
        with self._session_lock:
            management, self._management = self._management, None
        if management is not None:
            management.shutdown(wait=False)

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
        # The plans live on the version's servable, so they go when it is unloaded (a cache
        # of the data plane's kept unloaded versions' graphs alive until 64 newer keys came).
        plans = servable.session_plans
        key = (tuple(feed_tensors), tuple(fetch_tensors), tuple(target_ops))
        with self._session_lock:
            plan = plans.get(key)
        if plan is None:
            plan = Plan.compile(graph, feed_tensors, fetch_tensors, target_ops,
                                servable.resources)
            with self._session_lock:
                if len(plans) >= SESSION_PLAN_CACHE:
                    plans.pop(next(iter(plans)))
                plans[key] = plan
        return self._timed(entry, plan, values)

    async def session_run_async(self, entry, feeds, fetches, targets, alias_signature=None):
        """``session_run`` for the asyncio server: the plan runs in ``executor``."""
        return await self._in_executor(self.session_run, entry, feeds, fetches, targets,
                                       alias_signature)

    def _timed(self, entry, plan, values):
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


def _leave(ticket: list):
    """Counts a request out of its pending count (``ticket``: [the count]), once."""
    try:
        waiting = ticket.pop()
    except IndexError:
        return
    if waiting is not None:
        waiting.pop()


__all__ = ["DataPlane", "Prediction", "InferenceStats", "DEFAULT_SIGNATURE"]
