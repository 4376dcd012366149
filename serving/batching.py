"""Dynamic batching: concurrent requests for one (model, version, signature) are merged along
the batch dimension (rows), executed as one plan run, and split back per caller.

Semantics follow TensorFlow Serving's BatchingSession: ``max_batch_size`` counts rows;
``batch_timeout_micros`` is how long the oldest request may wait for company; a full queue
(``max_enqueued_batches`` batches of rows) rejects with UNAVAILABLE; ``allowed_batch_sizes``
pads a batch up (with copies of its first row) and slices the outputs back; a request larger
than ``max_batch_size`` is split across batches; requests whose deadline passed are dropped
with DEADLINE_EXCEEDED, and a request whose caller gave up is withdrawn from the queue; an
error in a batch fails every request in it.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from minitf.errors import (DeadlineExceededError, FailedPreconditionError, InternalError,
                           InvalidArgumentError, OpError, UnavailableError)

log = logging.getLogger("minitf.serving")


def check_int(value, what: str, minimum: int = 0) -> int:
    """An integer (not a bool, float or string, as JSON may give) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{what} must be >= {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class BatchingConfig:
    enabled: bool = True
    max_batch_size: int = 32
    batch_timeout_micros: int = 0
    max_enqueued_batches: int = 100
    num_batch_threads: int = 2
    allowed_batch_sizes: tuple = ()
    enable_large_batch_splitting: bool = True

    def __post_init__(self):
        # Types are checked, not coerced: a JSON "8" or 2.5 is a mistake to name, and "no"
        # is not false.
        for name in ("enabled", "enable_large_batch_splitting"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, got {getattr(self, name)!r}")
        for name, least in (("max_batch_size", 1), ("max_enqueued_batches", 1),
                            ("num_batch_threads", 1), ("batch_timeout_micros", 0)):
            check_int(getattr(self, name), name, least)
        if isinstance(self.allowed_batch_sizes, (str, bytes)) or \
                not hasattr(self.allowed_batch_sizes, "__iter__") or \
                any(isinstance(v, bool) or not isinstance(v, int)
                    for v in self.allowed_batch_sizes):
            raise ValueError("allowed_batch_sizes must be a list of integers, got "
                             f"{self.allowed_batch_sizes!r}")
        object.__setattr__(self, "allowed_batch_sizes", tuple(self.allowed_batch_sizes))
        sizes = self.allowed_batch_sizes
        if sizes:
            if any(b <= a for a, b in zip(sizes, sizes[1:])) or sizes[0] < 1:
                raise ValueError(f"allowed_batch_sizes must be increasing positive "
                                 f"integers, got {list(sizes)}")
            if sizes[-1] != self.max_batch_size:
                raise ValueError("the last entry in allowed_batch_sizes must match "
                                 f"max_batch_size ({sizes[-1]} != {self.max_batch_size})")

    @classmethod
    def from_dict(cls, d: dict, base: BatchingConfig | None = None) -> BatchingConfig:
        """``d``'s parameters over ``base``'s (the built-in defaults without one); a batching
        object turns batching on unless it says ``"enabled": false``."""
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown parameters {sorted(unknown)}")
        return replace(base or cls(), **{"enabled": True, **d})


class BatcherStoppedError(UnavailableError):
    """``submit`` after ``stop``: the version is being unloaded (or the server is stopping).

    A request that resolved the version just before its unload still holds the servable, so
    the data plane catches this and runs it unbatched instead of failing it."""


class _Done:
    """A one-shot completion flag with threading.Event's set/is_set/wait: one lock handoff
    where Event takes a condition variable, so waking each caller costs about half."""

    __slots__ = ("_flag", "_lock")

    def __init__(self):
        self._flag = False
        self._lock = threading.Lock()
        self._lock.acquire()  # held until set()

    def set(self):
        if not self._flag:
            self._flag = True
            self._lock.release()

    def is_set(self) -> bool:
        return self._flag

    def wait(self, timeout: float | None = None) -> bool:
        if self._flag:
            return True
        if self._lock.acquire(timeout=-1 if timeout is None else timeout):
            self._lock.release()  # stays open for any other waiter
            return True
        return self._flag


class _LoopWaker:
    """Resolves asyncio futures from batch threads with one event-loop wake-up per burst:
    everything a batch finishes is handed over by a single call_soon_threadsafe."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.pending: list = []
        self.lock = threading.Lock()
        self.scheduled = False

    def resolve(self, future):
        with self.lock:
            self.pending.append(future)
            if self.scheduled:
                return
            self.scheduled = True
        try:
            self.loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # the loop is closed: nobody is left to wake
            with self.lock:
                self.pending, self.scheduled = [], False

    def _drain(self):
        with self.lock:
            items, self.pending, self.scheduled = self.pending, [], False
        for future in items:
            if not future.done():
                future.set_result(None)


_wakers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _AsyncDone:
    """The completion flag of a request awaited on an event loop."""

    __slots__ = ("future", "_waker", "_flag")

    def __init__(self, loop, waker: _LoopWaker):
        self._waker = waker
        self.future = loop.create_future()
        self._flag = False

    def set(self):
        self._flag = True
        self._waker.resolve(self.future)

    def is_set(self) -> bool:
        return self._flag


class _Task:
    __slots__ = ("inputs", "rows", "outputs", "deadline", "enqueued", "waited", "done", "result",
                 "error", "parent", "index", "signature", "finished", "pieces")

    def __init__(self, inputs, rows, outputs, deadline, now, parent=None, index=0, done=None):
        self.inputs = inputs
        self.rows = rows
        self.outputs = outputs
        self.deadline = deadline
        self.enqueued = now
        self.waited = 0.0  # in the queue, set when a batch takes it
        self.done = (done or _Done()) if parent is None else None
        self.result = None
        self.error = None
        self.parent = parent
        self.index = index
        # Requests batch together only when their non-batch dims and dtypes agree.
        self.signature = tuple([(a.dtype, a.shape[1:]) for a in inputs])
        self.finished = False
        self.pieces = [self]  # what is queued for it: itself, or the pieces it was split into

    def finish(self, result=None, error=None):
        if self.finished:  # the first outcome stands
            return
        self.finished = True
        self.complete(result, error)

    def complete(self, result=None, error=None):
        """Hands over the outcome of a task already marked finished (claimed)."""
        if self.parent is not None:
            self.parent.piece_done(self.index, result, error)
            return
        self.result, self.error = result, error
        self.done.set()


class _SplitParent:
    """Collects the pieces of a request split across batches and concatenates them."""

    def __init__(self, task: _Task, n: int):
        self.task = task
        self.results = [None] * n
        self.remaining = n
        self.lock = threading.Lock()

    def piece_done(self, index, result, error):
        with self.lock:
            if error is None:
                self.results[index] = result
                self.remaining -= 1
                if self.remaining:
                    return
        if error is None:
            try:
                result = {k: np.concatenate([p[k] for p in self.results])
                          for k in self.results[0]}
            except ValueError as e:  # e.g. an output whose second dim depends on the batch
                result, error = None, FailedPreconditionError(
                    None, None, f"the pieces of a request split across batches do not "
                    f"concatenate ({e}); disable batching for this model or send at most "
                    "max_batch_size rows")
        self.task.finish(result=result, error=error)  # only the first outcome counts


class DynamicBatcher:
    """Merges requests into batches run by ``execute(feeds, output_aliases) -> {alias: array}``.

    ``observer`` (optional) receives ``queue_waits(seconds)``, the waits of the requests a
    batch takes from the queue,
    ``batch(rows, padding)`` before each execute call and ``executed(size, input_s, infer_s,
    output_s, requests, rows, queued_seconds, pieces)`` after each successful one: ``size``
    rows run (padding included), the seconds spent assembling the inputs, in ``execute`` and
    checking and splitting the outputs, and what it answered: the requests and pieces still
    waiting for it (a caller that gave up while it ran, and was withdrawn, is not answered;
    ``rows`` without padding; a request split across batches is one of ``requests``, with its
    wait in ``queued_seconds``, only in the batch of its first piece; ``pieces``: the pieces
    answered, split ones included).
    ``watch_queue(depth)`` hands it the batcher's
    ``queue_depth`` to read when it likes (a count kept per request would cost a call and a lock
    on every submit), and ``unwatch_queue(depth)`` takes it back at ``stop``. ``clock`` is
    injectable for tests.
    """

    def __init__(self, execute: Callable[[list, tuple], dict], config: BatchingConfig,
                 name: str = "batcher", observer=None, clock=time.monotonic):
        self._execute = execute
        self.config = config
        self._observer = observer
        self._clock = clock
        self._queue: collections.deque[_Task] = collections.deque()
        self._rows = 0
        self._waker: _LoopWaker | None = None  # of the loop that awaited last
        # The queue's lock; taken bare (no Condition.__enter__ frame) to claim a batch's results.
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._stopping = False
        self._threads = [threading.Thread(target=self._loop, name=f"{name}-{i}", daemon=True)
                         for i in range(config.num_batch_threads)]
        if observer is not None:
            observer.watch_queue(self.queue_depth)
        for t in self._threads:
            t.start()

    # -- callers -----------------------------------------------------------------------------
    def submit(self, inputs: Sequence[np.ndarray], outputs: tuple,
               deadline: float | None = None, done=None) -> _Task:
        """Enqueues one request (inputs share their leading dimension); returns a handle to
        ``wait`` on. Raises UNAVAILABLE when the queue is full."""
        rows = _rows_of(inputs)
        cfg = self.config
        now = self._clock()
        task = _Task(list(inputs), rows, outputs, deadline, now, done=done)
        if rows > cfg.max_enqueued_batches * cfg.max_batch_size:
            raise InvalidArgumentError(
                None, None, f"Task size {rows} is larger than the whole batch queue "
                f"({cfg.max_enqueued_batches} batches of {cfg.max_batch_size} rows); it can "
                "never be accepted")
        if rows > cfg.max_batch_size and not cfg.enable_large_batch_splitting:
            raise InvalidArgumentError(None, None, f"Task size {rows} is larger than maximum "
                                       f"input batch size {cfg.max_batch_size}")
        if rows > cfg.max_batch_size:
            n = -(-rows // cfg.max_batch_size)
            parent = _SplitParent(task, n)
            step = cfg.max_batch_size
            task.pieces = [_Task([a[i * step:(i + 1) * step] for a in inputs],
                                 min(step, rows - i * step), outputs, deadline, now, parent, i)
                           for i in range(n)]
        pieces = task.pieces
        with self._cond:
            if self._stopping:
                raise BatcherStoppedError(None, None, "the server is shutting down")
            limit = cfg.max_enqueued_batches * cfg.max_batch_size
            if self._rows + rows > limit:
                raise UnavailableError(
                    None, None, "The batch scheduling queue to which this task was submitted "
                    f"is full ({cfg.max_enqueued_batches} batches of {cfg.max_batch_size} rows "
                    "are waiting)")
            was_empty = not self._queue
            self._queue.extend(pieces)
            self._rows += rows
            # Wake a batch thread only when that changes what it does: work arrived at an empty
            # queue, or a full batch is ready. A thread waiting out the timeout sleeps on (each
            # wake-up costs more than the Python work of a request).
            if was_empty or self._rows >= cfg.max_batch_size:
                self._cond.notify()
        return task

    def run(self, inputs, outputs, deadline=None) -> dict:
        """Submits and waits: the request's outputs, or its error raised."""
        return self.wait(self.submit(inputs, outputs, deadline))

    def wait(self, task: _Task) -> dict:
        timeout = None if task.deadline is None else max(task.deadline - self._clock(), 0.0)
        if not task.done.wait(timeout):
            self.withdraw(task)
            raise DeadlineExceededError(None, None, "Deadline exceeded while waiting for the "
                                        "batch to run")
        if task.error is not None:
            raise task.error
        return task.result

    async def run_async(self, inputs, outputs, deadline=None, enforce_deadline=True) -> dict:
        """``run`` for an asyncio caller: the event loop is not blocked while the batch runs,
        and a whole batch is handed back with one loop wake-up. With ``enforce_deadline``
        false the caller is cancelled at its deadline by someone else (gRPC does that for the
        call's own deadline), which spares a timer per request."""
        loop = asyncio.get_running_loop()
        waker = self._waker
        if waker is None or waker.loop is not loop:  # one loop serves: look it up once
            waker = _wakers.get(loop)
            if waker is None:
                waker = _wakers[loop] = _LoopWaker(loop)
            self._waker = waker
        done = _AsyncDone(loop, waker)
        task = self.submit(inputs, outputs, deadline, done=done)
        try:
            if deadline is None or not enforce_deadline:
                await done.future
            else:
                await asyncio.wait_for(done.future, max(deadline - self._clock(), 0.0))
        except asyncio.TimeoutError:
            self.withdraw(task)
            raise DeadlineExceededError(None, None, "Deadline exceeded while waiting for the "
                                        "batch to run") from None
        except asyncio.CancelledError:  # the client went away
            self.withdraw(task)
            raise
        if task.error is not None:
            raise task.error
        return task.result

    def withdraw(self, task: _Task):
        """Takes a request nobody waits for any more out of the queue, so it neither runs nor
        holds queue space; a piece already in a running batch just has its result ignored."""
        with self._cond:
            for piece in task.pieces:
                piece.finished = True
                try:
                    self._queue.remove(piece)
                except ValueError:
                    continue
                self._rows -= piece.rows

    def queue_depth(self) -> int:
        return len(self._queue)

    def stop(self, drain: bool = True, timeout: float = 30.0):
        """Stops accepting work; with ``drain`` the queued requests still run."""
        with self._cond:
            self._stopping = True
            if not drain:
                for t in self._queue:
                    t.finish(error=UnavailableError(None, None, "the server is shutting down"))
                self._queue.clear()
                self._rows = 0
            self._cond.notify_all()
        for t in self._threads:
            t.join(timeout)
        if self._observer is not None:
            self._observer.unwatch_queue(self.queue_depth)

    # -- batch threads -----------------------------------------------------------------------
    def _loop(self):
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                self._run_batch(batch)
            except Exception as e:  # noqa: BLE001 - a bug of ours: fail this batch, keep the
                # thread (a dead one would strand every request queued after it)
                log.exception("batch failed")
                for t in batch:
                    t.finish(error=InternalError(None, None, f"batch failed: "
                                                 f"{type(e).__name__}: {e}"))

    def _next_batch(self) -> list[_Task] | None:
        cfg = self.config
        timeout = cfg.batch_timeout_micros / 1e6
        with self._cond:
            while True:
                if not self._queue:
                    if self._stopping:
                        return None
                    self._cond.wait()
                    continue
                waited = self._clock() - self._queue[0].enqueued
                if self._rows >= cfg.max_batch_size or waited >= timeout or self._stopping:
                    break
                self._cond.wait(timeout - waited)
            batch, rows, now = [], 0, self._clock()
            first = None
            while self._queue:
                t = self._queue[0]
                if t.deadline is not None and t.deadline <= now:
                    self._queue.popleft()
                    self._rows -= t.rows
                    t.finish(error=DeadlineExceededError(
                        None, None, "Deadline exceeded while the request waited in the batch "
                        "queue"))
                    continue
                if rows + t.rows > cfg.max_batch_size or (first is not None and
                                                           t.signature != first):
                    break
                first = t.signature
                self._queue.popleft()
                self._rows -= t.rows
                rows += t.rows
                batch.append(t)
            if self._queue:
                self._cond.notify()  # more work: wake another batch thread
        waits = []
        for t in batch:
            t.waited = w = now - t.enqueued
            waits.append(w)
        if self._observer is not None and waits:
            self._observer.queue_waits(waits)
        return batch

    def _run_batch(self, batch: list[_Task]):
        if not batch:
            return
        rows = sum(t.rows for t in batch)
        # Padding repeats a real row: a batch of only 0-row requests runs as it is.
        target = _padded_size(rows, self.config.allowed_batch_sizes) if rows else 0
        clock = self._clock
        try:
            if self._observer is not None:
                self._observer.batch(target, target - rows)
            # Timed apart as Triton's compute_input, compute_infer and compute_output: the
            # inputs assembled, the plan run, the outputs checked and split per request.
            begin = clock()
            if len(batch) == 1 and target == rows:
                feeds = batch[0].inputs
            else:
                feeds = [np.concatenate([t.inputs[i] for t in batch]) for i in
                         range(len(batch[0].inputs))]
                if target > rows:
                    feeds = [np.concatenate([f, np.repeat(f[:1], target - rows, axis=0)])
                             for f in feeds]
            outputs = tuple(sorted({a for t in batch for a in t.outputs}))
            start = clock()
            result = self._execute(feeds, outputs)
            end = clock()
            for alias, value in result.items():
                if np.ndim(value) == 0 or value.shape[0] != target:
                    raise FailedPreconditionError(
                        None, None, f"output '{alias}' does not have the batch as its first "
                        f"dimension ({np.shape(value)} for {target} rows); disable batching "
                        "for this model")
        except Exception as e:  # noqa: BLE001 - the error fails every request of the batch
            if not isinstance(e, OpError):  # not the model's error: a bug of ours
                log.exception("batch execution failed")
                e = InternalError(None, None, f"{type(e).__name__}: {e}")
            for t in batch:
                t.finish(error=e)
            return
        offset, results = 0, []
        for t in batch:  # (a bug here fails the batch in _loop)
            results.append({a: result[a][offset:offset + t.rows] for a in t.outputs})
            offset += t.rows
        finished = clock()
        # Claims the results of the requests still waiting, under the lock withdraw() takes:
        # only those are answered (and counted), as Triton counts successful requests only.
        answered = []
        with self._lock:
            for t, r in zip(batch, results):
                if not t.finished:
                    t.finished = True
                    answered.append((t, r))
        try:  # counted before they are answered, so an answered caller sees its counts
            if self._observer is not None:
                # A request split across batches counts once, in the batch of its first piece
                # (with that piece's wait: the time until it began to run).
                requests, real, queued = 0, 0, 0.0
                for t, _ in answered:
                    real += t.rows
                    if t.index == 0:
                        requests += 1
                        queued += t.waited
                self._observer.executed(target, start - begin, end - start, finished - end,
                                        requests, real, queued, len(answered))
        finally:
            for t, r in answered:
                t.complete(result=r)


def _rows_of(inputs) -> int:
    if not inputs:
        raise InvalidArgumentError(None, None, "batching needs at least one input")
    try:  # arrays with a leading dimension: the usual case
        rows = {a.shape[0] for a in inputs}
    except (AttributeError, IndexError):
        rows = {np.shape(a)[0] if np.ndim(a) else None for a in inputs}
    if None in rows:
        raise InvalidArgumentError(None, None, "batched inputs must have a batch dimension")
    if len(rows) != 1:
        raise InvalidArgumentError(None, None, "batched inputs must have the same size in "
                                   f"dimension 0, got {sorted(rows)}")
    return rows.pop()


def _padded_size(rows: int, allowed: Sequence[int]) -> int:
    for size in allowed:
        if size >= rows:
            return size
    return rows


__all__ = ["BatcherStoppedError", "BatchingConfig", "DynamicBatcher"]
