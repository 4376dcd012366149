"""TF's Batch and Unbatch ops: concurrent ``Session.run`` calls of one session merge their inputs
into one batch, one of them computes on it, and Unbatch hands each caller its rows
(``tf.contrib.batching.batch_function``, core/contrib/batching.py, builds on them).

Batch: each call is a task of its rows. Tasks join the open batch of their (container,
shared_name) until it holds ``max_batch_size`` rows or ``batch_timeout_micros`` passed since
its first task; the last task of the batch outputs the rows of all, concatenated in arrival
order (padded with copies of the first row up to the next of ``allowed_batch_sizes``), and
``batch_index`` rows ``(id, start, end)``; the others output no rows. Every task outputs its
``id``. Unbatch: the call holding the batch splits it by ``batch_index`` and hands the pieces
to the callers waiting with those ids (or keeps them for ``timeout_micros``); a call without
rows waits up to ``timeout_micros`` for its piece. As TF's kernels (batch_kernels.cc), with
two differences: there are no scheduler threads, so the tasks' own runs close and emit their
batch (``num_batch_threads`` and ``max_enqueued_batches`` are checked, not used), and waits
also end at the run's deadline or when the session closes (core/ops/queue_ops.py's Blocking).
Neither op has a gradient here (TF's Batch and Unbatch do: Unbatch, UnbatchGrad).
"""

from __future__ import annotations

import random
import time

import numpy as np

from .. import dtypes as _dt
from ..errors import (AlreadyExistsError, CancelledError, DeadlineExceededError,
                      InvalidArgumentError)
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, kinded, register, req
from ..plan_resources import SHARED_FAMILIES
from ..tensor_shape import TensorShape
from .queue_ops import Blocking, resource_in

__all__: list[str] = []


def _new_id() -> int:
    """A random int64, as TF's random::New64() read as a signed id."""
    return random.getrandbits(64) - (1 << 63)


# -- Batch -----------------------------------------------------------------------------------------
class _OpenBatch:
    __slots__ = ("tasks", "rows", "deadline", "closed")

    def __init__(self, deadline):
        self.tasks: list = []  # (id, arrays)
        self.rows = 0
        self.deadline = deadline
        self.closed = False


class BatchResource(Blocking):
    """The batches of one (container, shared_name) in one session."""

    def __init__(self, max_batch_size, batch_timeout_micros, allowed_batch_sizes):
        super().__init__()
        self.max_batch_size = max_batch_size
        self.timeout = batch_timeout_micros / 1e6
        self.allowed = list(allowed_batch_sizes)
        self.open: _OpenBatch | None = None

    def _close(self, batch: _OpenBatch):
        batch.closed = True
        if self.open is batch:
            self.open = None
        self.cv.notify_all()

    def run(self, arrays) -> list:
        rows = arrays[0].shape[0]
        if rows > self.max_batch_size:
            raise InvalidArgumentError(None, None, f"Task size {rows} is larger than maximum "
                                       f"input batch size {self.max_batch_size}")
        task_id = _new_id()
        with self.cv:
            batch = self.open
            if batch is not None and batch.rows + rows > self.max_batch_size:
                self._close(batch)  # full for this task: it starts the next one
                batch = None
            if batch is None:
                batch = self.open = _OpenBatch(time.monotonic() + self.timeout)
            batch.tasks.append((task_id, arrays))
            batch.rows += rows
            if batch.rows >= self.max_batch_size:
                self._close(batch)
            while not batch.closed:
                try:
                    if self._wait("Batch", batch.deadline):
                        self._close(batch)  # the batch's time is up: it goes as it is
                except (CancelledError, DeadlineExceededError):
                    self._withdraw(batch, task_id, rows)
                    raise
        return self._outputs(batch, task_id, arrays)

    def _withdraw(self, batch, task_id, rows):
        """A task whose run gave up leaves its (still open) batch."""
        batch.tasks = [t for t in batch.tasks if t[0] != task_id]
        batch.rows -= rows
        if not batch.tasks:
            self._close(batch)

    def _outputs(self, batch, task_id, arrays) -> list:
        tid = np.int64(task_id)
        if batch.tasks[-1][0] != task_id:  # not the last task: no rows
            empty = [np.zeros((0,) + a.shape[1:], a.dtype) for a in arrays]
            return empty + [np.zeros((0, 3), np.int64), tid]
        index, start = [], 0
        for other, parts in batch.tasks:
            n = parts[0].shape[0]
            index.append((other, start, start + n))
            start += n
        merged = [np.concatenate([parts[i] for _, parts in batch.tasks])
                  for i in range(len(arrays))]
        target = next((s for s in self.allowed if s >= start), start)
        if target > start:  # TF pads with copies of the first row
            merged = [np.concatenate([m, np.repeat(m[:1], target - start, axis=0)])
                      for m in merged]
        return merged + [np.asarray(index, np.int64).reshape(-1, 3), tid]


def _check_batch_attrs(op_type, num_batch_threads, max_batch_size, allowed_batch_sizes,
                       max_enqueued_batches=1):
    # TF checks these when its kernel is made (the first run): InvalidArgument there.
    if num_batch_threads < 1:
        raise InvalidArgumentError(None, None, f"{op_type}: num_batch_threads must be "
                                   f"positive; was {num_batch_threads}")
    if max_batch_size < 1 or max_enqueued_batches < 1:
        raise InvalidArgumentError(None, None, f"{op_type}: max_batch_size and "
                                   "max_enqueued_batches must be positive")
    for i, size in enumerate(allowed_batch_sizes):
        if i > 0 and size <= allowed_batch_sizes[i - 1]:
            raise InvalidArgumentError(None, None, "allowed_batch_sizes entries must be "
                                       "monotonically increasing")
        if i == len(allowed_batch_sizes) - 1 and size != max_batch_size:
            raise InvalidArgumentError(None, None, "final entry in allowed_batch_sizes must "
                                       "equal max_batch_size")


def _batch_kernel(state, in_tensors, *, num_batch_threads, max_batch_size,
                  max_enqueued_batches, batch_timeout_micros, allowed_batch_sizes,
                  grad_timeout_micros, container, shared_name, batching_queue):
    _check_batch_attrs("Batch", num_batch_threads, max_batch_size, allowed_batch_sizes,
                       max_enqueued_batches)
    arrays = [np.asarray(t) for t in in_tensors]
    if any(a.ndim == 0 for a in arrays):
        raise InvalidArgumentError(None, None, "Batching input tensors must have at least "
                                   "one dimension.")
    if any(a.shape[0] != arrays[0].shape[0] for a in arrays):
        raise InvalidArgumentError(None, None, "Batching input tensors supplied in a given op "
                                   "invocation must have equal 0th-dimension size.")
    resource = resource_in(state, lambda: BatchResource(max_batch_size, batch_timeout_micros,
                                                        allowed_batch_sizes))
    return resource.run(arrays)


def _batch_infer(in_tensors, **_):
    if not in_tensors:
        raise ValueError("Attr 'T' of 'Batch' Op passed list of length 0 less than minimum 1.")
    out = []
    for t in in_tensors:
        if t.shape.rank == 0:
            raise ValueError("Shape must be at least rank 1 but is rank 0")
        out.append(TensorSpec(TensorShape(None) if t.shape.rank is None else
                              TensorShape([None] + t.shape.as_list()[1:]), t.dtype))
    return out + [TensorSpec(TensorShape([None, 3]), _dt.int64),
                  TensorSpec(TensorShape([]), _dt.int64)]


BATCH = register(OpDef(
    "Batch", inputs=["in_tensors:list(T)"],
    attrs={"num_batch_threads": req("int"), "max_batch_size": req("int"),
           "max_enqueued_batches": 10, "batch_timeout_micros": req("int"),
           "allowed_batch_sizes": kinded([], "list(int)"), "grad_timeout_micros": req("int"),
           "container": "", "shared_name": "", "batching_queue": ""},
    kernel=_batch_kernel, infer=_batch_infer, grad=NO_GRADIENT, stateful=True,
    resource="state",
    doc="Merges the rows of concurrent calls; the last call of a batch outputs them all."))


# -- Unbatch ---------------------------------------------------------------------------------------
class UnbatchResource(Blocking):
    """Pieces waiting for their callers and callers waiting for their pieces, by id."""

    def __init__(self, timeout_micros):
        super().__init__()
        self.timeout = timeout_micros / 1e6
        self.tensors: dict = {}  # id -> (deadline, array)
        self.waiting: dict = {}  # id -> [deadline, array or None]

    def _evict(self, now):
        for key in [k for k, (d, _) in self.tensors.items() if d < now]:
            del self.tensors[key]

    def run(self, data, batch_index, key):
        pieces = []
        if batch_index.shape[0] > 0:
            sizes = batch_index[:, 2] - batch_index[:, 1]
            if sizes.sum() > data.shape[0] or (sizes < 0).any():
                raise InvalidArgumentError(None, None, "Sum of split sizes must not exceed "
                                           "dim0-size of input tensor")
            bounds = np.concatenate([[0], np.cumsum(sizes)])
            pieces = [(int(k), data[bounds[i]:bounds[i + 1]])
                      for i, k in enumerate(batch_index[:, 0])]
        with self.cv:
            now = time.monotonic()
            self._evict(now)
            if key in self.tensors:
                return self.tensors.pop(key)[1]
            deadline = now + self.timeout
            if key in self.waiting:
                raise AlreadyExistsError(None, None, "Multiple session runs with the same "
                                         "batch key.")
            slot = self.waiting[key] = [deadline, None]
            for k, piece in pieces:
                if k in self.waiting:
                    self.waiting.pop(k)[1] = piece
                elif k in self.tensors:
                    raise AlreadyExistsError(None, None, "Multiple tensors returned for same "
                                             "batch key.")
                else:
                    self.tensors[k] = (deadline, piece)
            self.cv.notify_all()
            try:
                while slot[1] is None:
                    if self._wait("Unbatch", deadline):
                        raise DeadlineExceededError(None, None, "Batched data did not arrive "
                                                    "within timeout window.")
            finally:
                if self.waiting.get(key) is slot:
                    del self.waiting[key]
            return slot[1]


def _unbatch_kernel(state, batched_tensor, batch_index, id, *,  # noqa: A002 - TF's name
                    timeout_micros, container, shared_name):
    data, index, key = np.asarray(batched_tensor), np.asarray(batch_index), np.asarray(id)
    if data.ndim == 0:
        raise InvalidArgumentError(None, None, "batched_tensor must have at least one "
                                   "dimension")
    if index.ndim != 2 or index.shape[0] > data.shape[0]:
        got = index.shape[0] if index.ndim else index.size
        raise InvalidArgumentError(None, None, "Wrong shape for index tensor. Expected 0th "
                                   "dimension size to be no greater than "
                                   f"{data.shape[0]}; Got: {got}.")
    if index.shape[1] != 3:
        raise InvalidArgumentError(None, None, "Wrong shape for index tensor. Expected 1st "
                                   f"dimension size to be 3 ; Got: {index.shape[1]}.")
    if key.ndim != 0:
        raise InvalidArgumentError(None, None, f"Input id should be scalar; Got: Tensor<type: "
                                   f"int64 shape: {list(key.shape)} values: "
                                   f"{' '.join(str(v) for v in key.reshape(-1)[:3])}>.")
    resource = resource_in(state, lambda: UnbatchResource(timeout_micros))
    return resource.run(data, index, int(key))


def _unbatch_infer(batched_tensor, batch_index, id, **_):  # noqa: A002
    if batch_index.shape.rank not in (None, 2):
        raise ValueError(f"Shape must be rank 2 but is rank {batch_index.shape.rank}")
    if id.shape.rank not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {id.shape.rank}")
    shape = batched_tensor.shape
    return [TensorSpec(TensorShape(None) if shape.rank is None else
                       TensorShape([None] + shape.as_list()[1:]), batched_tensor.dtype)]


UNBATCH = register(OpDef(
    "Unbatch", inputs=["batched_tensor:T", "batch_index:int64", "id:int64"],
    attrs={"timeout_micros": req("int"), "container": "", "shared_name": ""},
    kernel=_unbatch_kernel, infer=_unbatch_infer, grad=NO_GRADIENT, stateful=True,
    resource="state",
    doc="The rows of a batch belonging to this call (id), from whichever call holds them."))

# One resource per (container, shared_name or node name), as TF's ResourceMgr keeps them.
SHARED_FAMILIES.update({"Batch": "Batch", "Unbatch": "Unbatch"})
