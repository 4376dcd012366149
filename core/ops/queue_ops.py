"""TF1's queues: FIFOQueueV2, RandomShuffleQueueV2, PaddingFIFOQueueV2, PriorityQueueV2 and the
ops on their handle (QueueEnqueueV2, QueueEnqueueManyV2, QueueDequeueV2, QueueDequeueManyV2,
QueueDequeueUpToV2, QueueCloseV2, QueueSizeV2, QueueIsClosedV2), behind core/queues.py.

A queue op outputs a handle (a resource: the ``Queue`` object itself), one per op and session,
kept in the session's per-op state as the lookup tables' are. The ops on it block: a dequeue
waits for elements (or a close), an enqueue for room. They wait on the queue's own condition
variable only, never on a lock another run needs, so runs in other threads of the same session
(the queue runners) proceed. A wait ends early when the queue is closed, when the session is
closed (``cancel``: CancelledError, as TF) or at the deadline of ``RunOptions.timeout_in_ms``
(``run_deadline``: DeadlineExceededError). ``Blocking`` holds that waiting for every resource
whose ops block (the gradient accumulators of core/ops/accumulator_ops.py too).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections import deque

import numpy as np

from .. import dtypes as _dt
from ..errors import (CancelledError, DeadlineExceededError, InvalidArgumentError,
                      OutOfRangeError)
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, kinded, register, req
from ..tensor_shape import TensorShape

__all__: list[str] = []  # the public API lives in core/queues.py

# TF names a resource without a shared_name "_<n>_<node name>", n from a process-wide counter.
_private_ids = itertools.count()
_make_lock = threading.Lock()  # two runs of a new session may race to make a resource
_local = threading.local()


@contextlib.contextmanager
def run_deadline(timeout_in_ms):
    """Blocking queue ops in this thread give up at ``timeout_in_ms`` from now (Session.run's
    ``RunOptions.timeout_in_ms``); None or <= 0: no deadline."""
    old = getattr(_local, "deadline", None)
    _local.deadline = time.monotonic() + timeout_in_ms / 1000.0 if timeout_in_ms and \
        timeout_in_ms > 0 else None
    try:
        yield
    finally:
        _local.deadline = old


def _deadline():
    return getattr(_local, "deadline", None)


def resource_name(shared_name: str, node_name: str | None, default: str) -> str:
    if shared_name:
        return shared_name
    return f"_{next(_private_ids)}_{node_name or default}"


def resource_in(state: dict, make):
    """The resource an op made in this session: ``make()`` at its first run (two runs of a new
    session may race to make it)."""
    value = state.get("resource")
    if value is None:
        with _make_lock:
            value = state.get("resource")
            if value is None:
                value = state["resource"] = make()
    return value


def _shape_text(shape) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


class Blocking:
    """A resource whose ops wait on its condition ``cv``; closing the session cancels them."""

    def __init__(self):
        self.cv = threading.Condition()
        self.session_closed = False

    def _wait(self, what: str, until: float | None = None) -> bool:
        """One wait on the condition (the caller holds it), if ``until`` (monotonic) is given
        at most until then: returns whether ``until`` has come. Raises at the run's deadline
        or when the session closes (TF cancels the pending ops: "Dequeue operation was
        cancelled")."""
        if self.session_closed:
            raise CancelledError(None, None, f"{what} operation was cancelled")
        deadline = _deadline()
        end = min((t for t in (deadline, until) if t is not None), default=None)
        if end is None:
            notified = self.cv.wait()
        else:
            left = end - time.monotonic()
            notified = left > 0 and self.cv.wait(left)
        if self.session_closed:
            raise CancelledError(None, None, f"{what} operation was cancelled")
        if notified:
            return False
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            raise DeadlineExceededError(None, None, "Timed out waiting for notification")
        return until is not None and now >= until

    def cancel(self):
        """The session closed: every waiting op fails with CancelledError."""
        with self.cv:
            self.session_closed = True
            self.cv.notify_all()


def _component(value, dtype) -> np.ndarray:
    """One component of an element, kept: a string one as an object array of Python bytes
    (what TF's Session.run gives for it; a slice of a bytes array would be np.bytes_)."""
    if dtype != _dt.string:
        return np.array(value)
    arr = np.array(value, dtype=object)
    flat = arr.reshape(-1)
    flat[:] = [bytes(v) if isinstance(v, np.bytes_) else v for v in flat]
    return arr


class Queue(Blocking):
    """One queue's elements in one session. ``kind`` is TF's class name in messages."""

    def __init__(self, kind, name, dtypes, shapes, capacity, min_after_dequeue=0, rng=None):
        super().__init__()
        self.kind, self.name = kind, name
        self.dtypes = list(dtypes)
        self.shapes = [None if s.rank is None else tuple(d.value for d in s.dims)
                       for s in shapes] if shapes else None
        self.capacity = capacity if capacity >= 0 else None
        self.min_after_dequeue = min_after_dequeue
        self.rng = rng
        self.items: deque = deque()
        self.closed = self.cancelled_enqueues = False
        self._enqueuers: deque = deque()
        self._dequeuers: deque = deque()

    @contextlib.contextmanager
    def _turn(self, waiting: deque, what: str):
        """Holds the condition and this caller's turn: waiting enqueues (and dequeues) are
        served in arrival order, as TF's attempts are."""
        token = object()
        with self.cv:
            waiting.append(token)
            try:
                while waiting[0] is not token:
                    self._wait(what)
                yield
            finally:
                waiting.remove(token)
                self.cv.notify_all()

    # -- checks ----------------------------------------------------------------------------------
    def _closed_error(self, requested, size):
        return OutOfRangeError(None, None, f"{self.kind} '{self.name}' is closed and has "
                               f"insufficient elements (requested {requested}, current size "
                               f"{size})")

    def _check_tuple(self, values, many):
        if len(values) != len(self.dtypes):
            raise InvalidArgumentError(None, None, f"Expected {len(self.dtypes)} components, "
                                       f"got {len(values)}")
        arrays = [np.asarray(v) for v in values]
        if many:
            for i, a in enumerate(arrays):
                if a.ndim == 0:
                    raise InvalidArgumentError(
                        None, None, f"Shape mismatch in tuple component {i}. Expected "
                        "rank at least 1, got scalar")
            n = arrays[0].shape[0]
            for a in arrays[1:]:
                if a.shape[0] != n:
                    raise InvalidArgumentError(
                        None, None, f"Shape mismatch in tuple component {arrays.index(a)}. "
                        f"Expected [{n},...], got {_shape_text(a.shape)}")
        for i, a in enumerate(arrays):
            want = self.shapes[i] if self.shapes else None
            got = a.shape[1:] if many else a.shape
            if want is not None and not (len(got) == len(want) and all(
                    w is None or w == g for w, g in zip(want, got))):
                expected = ((arrays[0].shape[0],) + want) if many else want
                raise InvalidArgumentError(
                    None, None, f"Shape mismatch in tuple component {i}. Expected "
                    f"{_shape_text(expected)}, got {_shape_text(a.shape)}")
        return arrays

    def _room(self) -> bool:
        return self.capacity is None or len(self.items) < self.capacity

    def _check_open(self):
        if self.closed:
            raise CancelledError(None, None, f"{self.kind} '{self.name}' is closed.")

    # -- operations ------------------------------------------------------------------------------
    def enqueue(self, values, many: bool):
        # The values as the op read them, before waiting for room (TF's enqueue holds the
        # tensors it was given): a variable's buffer, which a later assign changes in place, is
        # copied now. The one copy an element gets: rows of an EnqueueMany are views of it.
        arrays = [_component(a, t) for a, t in zip(self._check_tuple(values, many), self.dtypes)]
        elements = [tuple(a[i, ...] for a in arrays) for i in range(len(arrays[0]))] if many \
            else [tuple(arrays)]
        with self._turn(self._enqueuers, "Enqueue"):
            self._check_open()
            for element in elements:  # one by one as room appears, as TF's EnqueueMany
                while not self._room():
                    if self.cancelled_enqueues:
                        raise CancelledError(None, None, "Enqueue operation was cancelled")
                    self._wait("Enqueue")
                    if self.cancelled_enqueues:
                        raise CancelledError(None, None, "Enqueue operation was cancelled")
                self._push(element)
                self.cv.notify_all()

    def _push(self, element):
        self.items.append(element)

    def _can_take(self) -> bool:
        if self.closed:
            return bool(self.items)
        return len(self.items) > self.min_after_dequeue

    def _take(self):
        if self.rng is None:
            return self.items.popleft()
        i = int(self.rng.integers(len(self.items)))  # TF: a random element, the last moved
        self.items[i], self.items[-1] = self.items[-1], self.items[i]
        return self.items.pop()

    def dequeue(self, n: int | None, up_to: bool = False):
        """One element (``n`` None) or ``n`` of them stacked; ``up_to``: fewer after a close."""
        if n is not None:
            if n < 0:
                raise InvalidArgumentError(None, None, f"Request ({n}) must be non-negative")
            if self.kind != "PaddingFIFOQueue" and (self.shapes is None or any(
                    s is None or None in s for s in self.shapes)):
                raise InvalidArgumentError(
                    None, None, f"{self.kind}'s DequeueMany and DequeueUpTo require the "
                    "components to have specified shapes.")
        want = 1 if n is None else n
        taken: list = []
        with self._turn(self._dequeuers, "Dequeue"):
            try:
                while len(taken) < want:
                    if self._can_take():
                        taken.append(self._take())
                        self.cv.notify_all()
                        continue
                    if self.closed:
                        if up_to and taken:
                            break
                        size = len(self.items) + len(taken)
                        self._restore(taken)
                        taken = []
                        raise self._closed_error(want, size)
                    self._wait("Dequeue")
            except (CancelledError, DeadlineExceededError):
                self._restore(taken)
                raise
        if n is None:
            element = taken[0]
            return element[0] if len(element) == 1 else list(element)
        return self._stack(taken, want)

    def _restore(self, taken):
        """Elements of an unfinished DequeueMany go back to the front (TF does the same)."""
        for element in reversed(taken):
            self.items.appendleft(element)
        if taken:
            self.cv.notify_all()

    def _stack(self, taken, n):
        out = []
        for i, dtype in enumerate(self.dtypes):
            np_type = object if dtype == _dt.string else dtype.as_numpy_dtype
            parts = [e[i] for e in taken]
            if not parts:
                shape = self.shapes[i] if self.shapes else ()
                out.append(np.zeros((0,) + tuple(d or 0 for d in shape), np_type))
                continue
            if self.kind == "PaddingFIFOQueue":
                full = tuple(max(p.shape[k] for p in parts) for k in range(parts[0].ndim))
                batch = np.full((len(parts),) + full, b"" if np_type is object else 0,
                                dtype=np_type)
                for j, p in enumerate(parts):
                    batch[(j,) + tuple(slice(0, d) for d in p.shape)] = p if p.ndim else p[()]
                out.append(batch)
            else:
                out.append(np.stack(parts).astype(np_type, copy=False))
        return out[0] if len(out) == 1 else out

    def close(self, cancel_pending_enqueues: bool):
        if cancel_pending_enqueues:
            with self.cv:
                self.closed = self.cancelled_enqueues = True
                self.cv.notify_all()
            return
        # TF queues this close behind the enqueues already waiting (one more attempt in their
        # line): it returns once they are done, and the enqueues after it find the queue closed.
        with self._turn(self._enqueuers, "Close"):
            if self.closed:
                raise CancelledError(None, None, f"Queue '{self.name}' is already closed.")
            self.closed = True

    def size(self) -> int:
        return len(self.items)


class PriorityQueue(Queue):
    """Elements leave lowest priority (their int64 first component) first. The elements live in
    a binary heap kept exactly as TF's ``std::priority_queue`` keeps it (libstdc++'s push_heap
    and pop_heap), so elements of equal priority leave in TF's order too. A DequeueMany waits
    until it can take all ``n`` at once (one sorted batch), as TF's. A DequeueUpTo of a closed
    queue holding fewer than ``n`` (but some) gives them all, as TF documents and its other
    queues do; TF 2.21's PriorityQueue instead fails with OutOfRangeError ("requested <n -
    taken>, current size 0") and loses the elements it took."""

    def __init__(self, name, dtypes, shapes, capacity):
        super().__init__("PriorityQueue", name, dtypes, shapes, capacity)
        self.items: list = []

    def _push(self, element):
        if element[0].shape != ():
            raise InvalidArgumentError(None, None, "Expected the priority element to be a scalar"
                                       f", but received shape: {_shape_text(element[0].shape)}")
        self.items.append((int(element[0]), element))
        self._sift_up(len(self.items) - 1, self.items[-1])

    def _sift_up(self, hole, item):  # libstdc++ __push_heap, comp: a.priority > b.priority
        heap = self.items
        while hole > 0 and heap[(hole - 1) // 2][0] > item[0]:
            heap[hole] = heap[(hole - 1) // 2]
            hole = (hole - 1) // 2
        heap[hole] = item

    def _take(self):  # libstdc++ pop_heap (__adjust_heap from the root) then pop_back
        heap = self.items
        top, last = heap[0], heap.pop()
        n, hole, child = len(heap), 0, 0
        if n:
            while child < (n - 1) // 2:
                child = 2 * (child + 1)
                if heap[child][0] > heap[child - 1][0]:
                    child -= 1
                heap[hole], hole = heap[child], child
            if n % 2 == 0 and child == (n - 2) // 2:
                child = 2 * (child + 1)
                heap[hole], hole = heap[child - 1], child - 1
            self._sift_up(hole, last)
        return top[1]

    def _restore(self, taken):
        for element in taken:
            self._push(element)

    def dequeue(self, n: int | None, up_to: bool = False):
        if n is None:
            return super().dequeue(None)
        if n < 0:
            raise InvalidArgumentError(None, None, f"Request ({n}) must be non-negative")
        if self.shapes is None:
            raise InvalidArgumentError(None, None, "PriorityQueue's DequeueMany requires the "
                                       "components to have specified shapes.")
        with self._turn(self._dequeuers, "Dequeue"):
            while 0 < n and len(self.items) < n:
                if self.closed and (not self.items or not up_to):
                    raise self._closed_error(n, len(self.items))
                if self.closed:
                    break
                self._wait("Dequeue")
            taken = [self._take() for _ in range(min(n, len(self.items)))]
            self.cv.notify_all()
        return self._stack(taken, n)


# -- the queue ops -------------------------------------------------------------------------------
_DEFAULT_NAMES = {"FIFOQueue": "fifo_queue", "PaddingFIFOQueue": "padding_fifo_queue",
                  "RandomShuffleQueue": "random_shuffle_queue", "PriorityQueue": "priority_queue"}


def _make_queue(kind, component_types, shapes, capacity, shared_name, min_after_dequeue, seed,
                seed2, node_name):
    name = resource_name(shared_name, node_name, _DEFAULT_NAMES[kind])
    if kind == "PriorityQueue":  # the priority: an int64 scalar before the components
        return PriorityQueue(name, [_dt.int64, *component_types],
                             [TensorShape([]), *shapes] if shapes else [], capacity)
    rng = None
    if kind == "RandomShuffleQueue":  # TF: both seeds zero means nondeterministic.
        rng = np.random.default_rng(None if seed == 0 and seed2 == 0 else
                                    [seed & 0xFFFFFFFF, seed2 & 0xFFFFFFFF])
    return Queue(kind, name, component_types, shapes, capacity, min_after_dequeue, rng)


def _queue_kernel(kind, state, *, component_types, shapes, capacity, container, shared_name,
                  min_after_dequeue=0, seed=0, seed2=0, _node_name=None):
    return resource_in(state, lambda: _make_queue(
        kind, component_types, shapes, capacity, shared_name, min_after_dequeue, seed, seed2,
        _node_name))


def _check_queue_attrs(kind, component_types, shapes, capacity, min_after_dequeue=0):
    if not component_types and kind != "PriorityQueue":  # its priority is a component
        raise InvalidArgumentError(None, None, "component_types must have at least 1 entry")
    if shapes and len(shapes) != len(component_types):
        raise InvalidArgumentError(None, None, f"All of the component shapes must be "
                                   f"specified if any are: {len(shapes)} shapes for "
                                   f"{len(component_types)} components")
    if kind == "PaddingFIFOQueue" and len(shapes) != len(component_types):
        raise InvalidArgumentError(None, None, "Shapes must be provided for all components, "
                                   f"but received {len(component_types)} dtypes and "
                                   f"{len(shapes)} shapes.")  # TF's (dimensions may be -1)
    if kind == "RandomShuffleQueue" and 0 <= capacity <= min_after_dequeue:
        raise InvalidArgumentError(None, None, f"capacity ({capacity}) must be larger than "
                                   f"min_after_dequeue ({min_after_dequeue})")


def _queue_infer(kind):
    def infer(**attrs):
        attrs.pop("_node_name", None)
        _check_queue_attrs(kind, attrs["component_types"], attrs["shapes"], attrs["capacity"],
                           attrs.get("min_after_dequeue", 0))
        return [TensorSpec(TensorShape([]), _dt.resource)]
    return infer


def _queue_def(op_type, kind, extra=None, doc=""):
    # shapes: TF's default is [] (the components' shapes unknown: DequeueMany then refuses).
    attrs = {"component_types": req("list(type)"), "shapes": kinded([], "list(shape)"),
             "capacity": -1, "container": "", "shared_name": "", **(extra or {})}
    return register(OpDef(
        op_type, attrs=attrs,
        kernel=lambda state, **kw: _queue_kernel(kind, state, **kw),
        infer=_queue_infer(kind), grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
        doc=doc))


FIFO_QUEUE = _queue_def("FIFOQueueV2", "FIFOQueue", doc="A first-in first-out queue's handle.")
PADDING_FIFO_QUEUE = _queue_def(
    "PaddingFIFOQueueV2", "PaddingFIFOQueue",
    doc="A FIFO queue whose DequeueMany pads components of unknown dimensions with zeros.")
RANDOM_SHUFFLE_QUEUE = _queue_def(
    "RandomShuffleQueueV2", "RandomShuffleQueue",
    {"min_after_dequeue": 0, "seed": 0, "seed2": 0},
    doc="A queue dequeuing in random order, keeping min_after_dequeue elements until closed.")
PRIORITY_QUEUE = _queue_def(
    "PriorityQueueV2", "PriorityQueue",
    {"component_types": kinded([], "list(type)"), "shapes": req("list(shape)")},  # as TF's
    doc="A queue dequeuing lowest priority first; an element is (int64 priority, components).")


def _no_outputs(*_, **__):
    return []


def _enqueue_kernel(queue, components, *, timeout_ms):
    queue.enqueue(components, many=False)
    return ()


def _enqueue_many_kernel(queue, components, *, timeout_ms):
    queue.enqueue(components, many=True)
    return ()


QUEUE_ENQUEUE = register(OpDef(
    "QueueEnqueueV2", inputs=["handle:resource", "components:list(Tcomponents)"],
    attrs={"timeout_ms": -1}, kernel=_enqueue_kernel, infer=_no_outputs,
    grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Enqueues one element; blocks while the queue is full.",
))
QUEUE_ENQUEUE_MANY = register(OpDef(
    "QueueEnqueueManyV2", inputs=["handle:resource", "components:list(Tcomponents)"],
    attrs={"timeout_ms": -1}, kernel=_enqueue_many_kernel, infer=_no_outputs,
    grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Enqueues the slices of the components along their first dimension.",
))


def _dequeue_infer(handle, *n, component_types, timeout_ms):
    # The handle does not carry the queue's shapes: core/queues.py sets them, as TF's Python.
    return [TensorSpec(TensorShape(None), t) for t in component_types]


def _n(n) -> int:
    return int(np.asarray(n))


QUEUE_DEQUEUE = register(OpDef(
    "QueueDequeueV2", inputs=["handle:resource"],
    attrs={"component_types": req("list(type)"), "timeout_ms": -1},
    kernel=lambda queue, *, component_types, timeout_ms: queue.dequeue(None),
    infer=_dequeue_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Dequeues one element; blocks while the queue is empty and open.",
))
QUEUE_DEQUEUE_MANY = register(OpDef(
    "QueueDequeueManyV2", inputs=["handle:resource", "n:int32"],
    attrs={"component_types": req("list(type)"), "timeout_ms": -1},
    kernel=lambda queue, n, *, component_types, timeout_ms: queue.dequeue(_n(n)),
    infer=_dequeue_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Dequeues n elements stacked; OutOfRange if the queue closes with fewer.",
))
QUEUE_DEQUEUE_UP_TO = register(OpDef(
    "QueueDequeueUpToV2", inputs=["handle:resource", "n:int32"],
    attrs={"component_types": req("list(type)"), "timeout_ms": -1},
    kernel=lambda queue, n, *, component_types, timeout_ms: queue.dequeue(_n(n), up_to=True),
    infer=_dequeue_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Like QueueDequeueManyV2, but gives what is left (at least one) after a close.",
))


def _close_kernel(queue, *, cancel_pending_enqueues):
    queue.close(cancel_pending_enqueues)
    return ()


QUEUE_CLOSE = register(OpDef(
    "QueueCloseV2", inputs=["handle:resource"], attrs={"cancel_pending_enqueues": False},
    kernel=_close_kernel, infer=_no_outputs, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Closes the queue: no more enqueues; dequeues fail once it is empty.",
))
QUEUE_SIZE = register(OpDef(
    "QueueSizeV2", inputs=["handle:resource"],
    kernel=lambda queue: np.int32(queue.size()),
    infer=lambda h: [TensorSpec(TensorShape([]), _dt.int32)], grad=NOT_DIFFERENTIABLE,
    stateful=True, doc="The number of elements in the queue.",
))
QUEUE_IS_CLOSED = register(OpDef(
    "QueueIsClosedV2", inputs=["handle:resource"],
    kernel=lambda queue: np.bool_(queue.closed),
    infer=lambda h: [TensorSpec(TensorShape([]), _dt.bool)], grad=NOT_DIFFERENTIABLE,
    stateful=True, doc="Whether the queue is closed.",
))
