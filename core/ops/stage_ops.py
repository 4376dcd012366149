"""TF's staging area ops: Stage, Unstage, StagePeek, StageSize, StageClear (the ops of
``tf.contrib.staging.StagingArea``, core/contrib/staging.py).

The ops take no handle: as TF's ResourceMgr, every op naming one (container, shared_name) finds
the same buffer in a session (an empty shared_name: the node's own name), made by the first
op that runs with that op's capacity and memory_limit (core/plan_resources.py's
``SHARED_FAMILIES``). Elements are tuples of tensors, kept in arrival order.

Blocking is TF's: Stage waits while the buffer is at capacity or the element would pass the
memory limit; Unstage waits for an element and StagePeek for element ``index``. The waits
are the queues' (``Blocking``): they end at ``RunOptions.timeout_in_ms`` (or the session's
``operation_timeout_in_ms``) with DeadlineExceededError and with CancelledError when the
session closes, where TF's kernels keep waiting in the background.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, ResourceExhaustedError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req
from ..plan_resources import SHARED_FAMILIES
from ..tensor_shape import TensorShape
from .queue_ops import Blocking, resource_in

__all__: list[str] = []

_STRING_BYTES = 24  # sizeof(tstring): TF counts it per string element, plus the bytes held


def _nbytes(array: np.ndarray) -> int:
    """TF's Tensor::TotalBytes, near enough: the buffer, or per string its size and bytes."""
    if array.dtype == object:
        return sum(_STRING_BYTES + len(v) for v in array.reshape(-1))
    return int(array.nbytes)


class Buffer(Blocking):
    """One staging area in one session: a deque of elements, bounded by ``capacity``
    elements and ``memory_limit`` bytes (0: unbounded)."""

    def __init__(self, capacity: int, memory_limit: int):
        super().__init__()
        self.capacity, self.memory_limit = capacity, memory_limit
        self.items: deque = deque()
        self.bytes = 0

    def _fits(self, nbytes: int) -> bool:
        if self.capacity > 0 and len(self.items) >= self.capacity:
            return False
        return self.memory_limit <= 0 or self.bytes + nbytes <= self.memory_limit

    def put(self, values):
        # A copy, as the tensors were when Stage ran (a variable's buffer changes in place).
        element = tuple(np.array(v) for v in values)
        nbytes = sum(_nbytes(a) for a in element)
        if self.memory_limit > 0 and nbytes > self.memory_limit:  # it would never fit
            raise ResourceExhaustedError(
                None, None, f"Attempted to insert tensors with combined size of '{nbytes}' "
                f"bytes into Staging Area with a memory limit of '{self.memory_limit}'.")
        with self.cv:
            while not self._fits(nbytes):
                self._wait("Stage")
            self.items.append(element)
            self.bytes += nbytes
            self.cv.notify_all()

    def get(self):
        with self.cv:
            while not self.items:
                self._wait("Unstage")
            element = self.items.popleft()
            self.bytes -= sum(_nbytes(a) for a in element)
            self.cv.notify_all()
        return element

    def peek(self, index: int):
        with self.cv:
            # TF reads the index as an unsigned size: a negative one is never there.
            while not 0 <= index < len(self.items):
                self._wait("StagePeek")
            return tuple(np.array(a) for a in self.items[index])  # a copy: it stays staged

    def size(self) -> int:
        with self.cv:
            return len(self.items)

    def clear(self):
        with self.cv:
            self.items.clear()
            self.bytes = 0
            self.cv.notify_all()


def _buffer(state, capacity, memory_limit) -> Buffer:
    return resource_in(state, lambda: Buffer(capacity, memory_limit))


def _outputs(element, dtypes):
    if len(element) != len(dtypes):
        raise InvalidArgumentError(None, None, f"Mismatch stage/unstage: {len(element)} vs. "
                                   f"{len(dtypes)}")
    return element[0] if len(element) == 1 else list(element)


# -- kernels ---------------------------------------------------------------------------------------
def _stage_kernel(state, values, *, capacity, memory_limit, container, shared_name):
    _buffer(state, capacity, memory_limit).put(values)
    return ()


def _unstage_kernel(state, *, capacity, memory_limit, dtypes, container, shared_name):
    return _outputs(_buffer(state, capacity, memory_limit).get(), dtypes)


def _peek_kernel(state, index, *, capacity, memory_limit, dtypes, container, shared_name):
    index = np.asarray(index)
    if index.ndim != 0:
        raise InvalidArgumentError(None, None, "index must be scalar")
    return _outputs(_buffer(state, capacity, memory_limit).peek(int(index)), dtypes)


def _size_kernel(state, *, capacity, memory_limit, dtypes, container, shared_name):
    return np.int32(_buffer(state, capacity, memory_limit).size())


def _clear_kernel(state, *, capacity, memory_limit, dtypes, container, shared_name):
    _buffer(state, capacity, memory_limit).clear()
    return ()


# -- inference: TF's attr minimums, then the outputs ----------------------------------------------
def _check(op_type, capacity, memory_limit, dtypes=None):
    for attr, value in (("capacity", capacity), ("memory_limit", memory_limit)):
        if value < 0:
            raise ValueError(f"Attr '{attr}' of '{op_type}' Op passed {value} less than "
                             "minimum 0.")
    if dtypes is not None and not dtypes:
        raise ValueError(f"Attr 'dtypes' of '{op_type}' Op passed list of length 0 less than "
                         "minimum 1.")


def _stage_infer(values, *, capacity, memory_limit, container, shared_name):
    _check("Stage", capacity, memory_limit, [v.dtype for v in values])
    return []


def _values_infer(op_type):
    def infer(*index, capacity, memory_limit, dtypes, container, shared_name):
        _check(op_type, capacity, memory_limit, dtypes)
        return [TensorSpec(TensorShape(None), t) for t in dtypes]
    return infer


def _size_infer(*, capacity, memory_limit, dtypes, container, shared_name):
    _check("StageSize", capacity, memory_limit)
    return [TensorSpec(TensorShape([]), _dt.int32)]


def _clear_infer(*, capacity, memory_limit, dtypes, container, shared_name):
    _check("StageClear", capacity, memory_limit)
    return []


def _attrs(**more):
    return {"capacity": 0, "memory_limit": 0, **more, "container": "", "shared_name": ""}


STAGE = register(OpDef(
    "Stage", inputs=["values:list(dtypes)"], attrs=_attrs(), kernel=_stage_kernel,
    infer=_stage_infer, grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
    doc="Puts one element (the values) in the staging area; blocks while it is full."))
UNSTAGE = register(OpDef(
    "Unstage", attrs=_attrs(dtypes=req("list(type)")), kernel=_unstage_kernel,
    infer=_values_infer("Unstage"), grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
    doc="Takes the oldest element out of the staging area; blocks while it is empty."))
STAGE_PEEK = register(OpDef(
    "StagePeek", inputs=["index:int32"], attrs=_attrs(dtypes=req("list(type)")),
    kernel=_peek_kernel, infer=_values_infer("StagePeek"), grad=NOT_DIFFERENTIABLE,
    stateful=True, resource="state",
    doc="Element ``index`` (0: the oldest) of the staging area, left in it; blocks until "
        "there is one."))
STAGE_SIZE = register(OpDef(
    "StageSize", attrs=_attrs(dtypes=req("list(type)")), kernel=_size_kernel,
    infer=_size_infer, grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
    doc="The number of elements in the staging area."))
STAGE_CLEAR = register(OpDef(
    "StageClear", attrs=_attrs(dtypes=req("list(type)")), kernel=_clear_kernel,
    infer=_clear_infer, grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
    doc="Removes every element from the staging area."))

# One buffer per (container, shared_name) for all five, as TF's ResourceMgr keeps one Buffer.
SHARED_FAMILIES.update({t: "Stage" for t in ("Stage", "Unstage", "StagePeek", "StageSize",
                                               "StageClear")})
