"""TF1's dataset iterators (IteratorV2, MakeIterator, OneShotIterator, IteratorGetNext,
IteratorToStringHandle, IteratorFromStringHandleV2): how a graph pulls elements of a tf.data
pipeline.

A Dataset (core/data) is a Python object describing the pipeline; the graph only holds the
iterator. IteratorV2 outputs a handle (a resource: the ``IteratorResource`` object itself),
one per op and session, kept in the session's per-op state, so every Session has its own
position. MakeIterator (the ``initializer``) starts the pipeline over again in that resource
from the values of the tensors the dataset captures, which are its inputs: a placeholder given
to ``from_tensor_slices`` is fed when the initializer runs. IteratorGetNext advances it by one
element per run, however many consumers its outputs have.

The attr ``dataset`` names the Dataset object in a process-wide table (``register_dataset``):
it is not a graph value, and a kernel only gets attrs. The table holds a dataset as long as
the graph that uses it lives, so a GraphDef holding these ops only runs in the process that
built it (TF1 serialises the pipeline as ops; serving graphs never hold one).
"""

from __future__ import annotations

import itertools
import threading
import weakref

import numpy as np

from .. import dtypes as _dt
from ..errors import (CancelledError, FailedPreconditionError, InvalidArgumentError, OpError,
                      OutOfRangeError)
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, kinded, register, req
from ..tensor_shape import TensorShape

# token -> dataset, weakly: the graph holds its datasets, so a dataset lives as long as a graph
# holding an iterator op over it.
_DATASETS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_HANDLES: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # string handle -> it
_serial = itertools.count(1)
_table_lock = threading.Lock()
_state_lock = threading.Lock()

_END = object()


def register_dataset(graph, dataset) -> str:
    """The token a MakeIterator/OneShotIterator attr names ``dataset`` by in this process."""
    with _table_lock:
        token = f"dataset_{next(_serial)}"
        _DATASETS[token] = dataset
    # The graph holds its datasets (a global table keyed by graph would keep every graph
    # alive: a dataset's captured tensors refer back to it).
    graph.__dict__.setdefault("_datasets_used_in_graph", []).append(dataset)
    return token


def _dataset(token: str):
    found = _DATASETS.get(token)
    if found is None:
        raise FailedPreconditionError(
            None, None, f"Dataset {token!r} is not defined in this process: a graph holding "
            "dataset iterators only runs where its input pipeline was built")
    return found


class IteratorResource:
    """One iterator's state in one session: the running pipeline (a Python iterator of flat
    element tuples, a failed element as its OpError), or None before its initializer ran."""

    def __init__(self, name: str, output_types, output_shapes):
        self.name = name
        self.output_types = list(output_types)
        self.output_shapes = list(output_shapes)
        self.elements = None
        self.exhausted = self.cancelled = False
        # Two runs of one session may pull at once; a Python generator is not re-entrant.
        self.lock = threading.Lock()
        self.string_handle = f"{name}#{next(_serial)}"
        with _table_lock:
            _HANDLES[self.string_handle] = self

    def start(self, dataset, captured):
        # Values as they are now (TF passes them by value): a variable's buffer (or a
        # read-only view of it), which a later assign changes in place, or a fed array its
        # owner may change, is copied.
        captured = [np.array(v) if isinstance(v, np.ndarray) else v for v in captured]
        elements = dataset._start(captured)  # may fail (a bad feed): state unchanged
        with self.lock:
            self.elements, self.exhausted = elements, False

    def get_next(self):
        with self.lock:
            if self.elements is None:
                raise FailedPreconditionError(
                    None, None, f"GetNext() failed because the iterator '{self.name}' has not "
                    "been initialized. Ensure that you have run the initializer operation for "
                    "this iterator before getting the next element.")
            element = _END if self.exhausted else next(self.elements, _END)
            if self.cancelled:  # the session closed while this run waited for the element
                raise CancelledError(None, None, "Run call was cancelled")
            if element is _END:
                self.exhausted = True  # and stays so until the initializer runs again
                raise OutOfRangeError(None, None, "End of sequence")
            if isinstance(element, OpError):
                # This element failed (a map function raised, a record did not parse...): this
                # run fails, the pipeline goes on with the next element, as TF's.
                raise element.with_traceback(None)
            return element

    def cancel(self):
        """The session closed (core/plan_resources.py ``Resources.clear``): a run waiting for
        an element (a slow ``from_generator``) fails with CancelledError once it comes, as in
        TF; close does not wait for it."""
        self.cancelled = True


def _iterator_kernel(state, *, shared_name, container, output_types, output_shapes):
    handle = state.get("handle")
    if handle is None:
        with _state_lock:  # two runs of a new session may race to make it
            handle = state.setdefault("handle", IteratorResource(shared_name, output_types,
                                                                 output_shapes))
    return handle


def _handle_infer(*_, **__):
    return [TensorSpec(TensorShape([]), _dt.resource)]


_ITERATOR_ATTRS = {"shared_name": "", "container": "", "output_types": req("list(type)"),
                   "output_shapes": req("list(shape)")}

ITERATOR = register(OpDef(
    # TF requires shared_name and container; minitf's tf.data always gives shared_name, but
    # not container (core/data/iterators.py), so container keeps its "" default.
    "IteratorV2", attrs={**_ITERATOR_ATTRS, "shared_name": req("string")},
    kernel=_iterator_kernel, infer=_handle_infer,
    grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
    doc="the iterator's handle in this session (made on first use, then kept)",
))


def _make_iterator_kernel(handle, captured, *, dataset):
    handle.start(_dataset(dataset), captured)
    return ()


MAKE_ITERATOR = register(OpDef(
    "MakeIterator", inputs=["iterator:resource", "captured:list(Tcaptured)"],
    attrs={"dataset": req("string")}, kernel=_make_iterator_kernel,
    infer=lambda handle, captured, **_: [],
    grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="(re)starts the iterator on the dataset, from the captured tensors' current values",
))


def _one_shot_kernel(state, *, dataset, shared_name, container, output_types, output_shapes):
    handle = state.get("handle")
    if handle is not None:
        return handle
    with _state_lock:
        start_lock = state.setdefault("start_lock", threading.Lock())
    # A one-shot iterator starts itself, once per session (its captures are Consts). The handle
    # is published only once started: another first run waits here for it, not on the global
    # lock (a pipeline's start may take a while).
    with start_lock:
        handle = state.get("handle")
        if handle is None:
            handle = IteratorResource(shared_name, output_types, output_shapes)
            handle.start(_dataset(dataset), ())
            state["handle"] = handle
    return handle


ONE_SHOT_ITERATOR = register(OpDef(
    "OneShotIterator", attrs={"dataset": req("string"), **_ITERATOR_ATTRS},
    kernel=_one_shot_kernel, infer=_handle_infer,
    grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
    doc="a handle to an iterator started on first use in each session",
))


def _get_next_kernel(handle, *, output_types, output_shapes):
    element = handle.get_next()
    return element[0] if len(element) == 1 else element


def _get_next_infer(handle, *, output_types, output_shapes):
    if len(output_types) != len(output_shapes):
        raise InvalidArgumentError(None, None, f"{len(output_types)} output types but "
                                   f"{len(output_shapes)} output shapes")
    return [TensorSpec(s, t) for t, s in zip(output_types, output_shapes)]


GET_NEXT = register(OpDef(
    "IteratorGetNext", inputs=["iterator:resource"],
    attrs={"output_types": req("list(type)"), "output_shapes": req("list(shape)")},
    kernel=_get_next_kernel, infer=_get_next_infer,
    grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="the next element's components; OutOfRangeError at the end of the data",
))


TO_STRING_HANDLE = register(OpDef(
    "IteratorToStringHandle", inputs=["resource_handle:resource"],
    kernel=lambda handle: np.array(handle.string_handle.encode(), dtype=object),
    infer=lambda handle: [TensorSpec(TensorShape([]), _dt.string)],
    grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="a string naming the iterator, to feed to IteratorFromStringHandleV2",
))


def _from_string_handle_kernel(string_handle, *, output_types, output_shapes):
    key = string_handle[()] if isinstance(string_handle, np.ndarray) else string_handle
    key = key.decode() if isinstance(key, bytes) else str(key)
    handle = _HANDLES.get(key)
    if handle is None:
        raise InvalidArgumentError(
            None, None, f"Iterator string handle {key!r} does not name a live iterator: feed "
            "the value of an iterator's string_handle() run in this session")
    if output_types and [t.base_dtype for t in output_types] != \
            [t.base_dtype for t in handle.output_types]:
        raise InvalidArgumentError(
            None, None, f"The iterator {key!r} gives elements of types "
            f"{[t.name for t in handle.output_types]}, not the expected "
            f"{[t.name for t in output_types]}")
    if output_shapes and (len(output_shapes) != len(handle.output_shapes) or not all(
            a.is_compatible_with(b) for a, b in zip(output_shapes, handle.output_shapes))):
        raise InvalidArgumentError(
            None, None, f"The iterator {key!r} gives elements of shapes "
            f"{[str(s) for s in handle.output_shapes]}, not compatible with the expected "
            f"{[str(s) for s in output_shapes]}")
    return handle


FROM_STRING_HANDLE = register(OpDef(
    "IteratorFromStringHandleV2", inputs=["string_handle:string"],
    # TF's defaults: [] (no check of the iterator's element types / shapes).
    attrs={"output_types": kinded([], "list(type)"), "output_shapes": kinded([], "list(shape)")},
    kernel=_from_string_handle_kernel, infer=_handle_infer,
    grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="the iterator a string handle names (a feedable iterator)",
))
