"""TF1's session tensor handles (tensorflow/python/ops/session_ops.py): ``tf.get_session_handle``
keeps a tensor in the session between runs and ``Session.run`` returns a ``TensorHandle`` for it;
``tf.get_session_tensor`` reads it back in a later run through a string placeholder fed the
handle; ``tf.delete_session_tensor`` drops it. The ops are core/ops/session_handle_ops.py.

How a Session takes part (core/session.py):

- its ``Resources`` are ``HandleResources``, which hold the session's ``TensorStore`` and hand
  it to the handle ops' kernels through their per-op state: the store is the session's own, so
  a handle of one session is not in another's store, and closing the session frees it;
- a plan fetching a GetSessionHandle output is a ``HandleFetchPlan`` (``compile_plan``), whose
  ``run`` wraps that value in a TensorHandle, as TF's fetch handler does. Plans without one are
  plain Plans: the one-tensor fast path of ``Session.run`` pays nothing;
- a TensorHandle fed for any tensor feeds the tensor it names, looked up in the running
  session's store (TF's DirectSession reads a fed handle so): ``_check_feed`` raises
  ``HandleFeedError`` for it and the session answers with ``feed_value``. To feed the
  placeholder of ``get_session_tensor``, feed ``handle.handle`` (the string): a TensorHandle
  there feeds the stored tensor, which is not a string, and fails as in TF.

As in TF, a TensorHandle garbage collected with automatic collection on (no ``delete()`` nor
``get_raw_handle()``) is recorded as dead, and every 10 dead handles are deleted at once.
"""

from __future__ import annotations

import weakref

import numpy as np

from . import dtypes as _dt
from .default_graph import colocate_with, device
from .device import device_string, parse_device
from .errors import InvalidArgumentError
from .graph import Tensor
from .ops.constant_ops import placeholder
from .ops.session_handle_ops import (DELETE_SESSION_TENSOR, GET_SESSION_HANDLE,
                                     GET_SESSION_TENSOR, HANDLE_OPS, TensorStore)
from .plan import Plan
from .plan_resources import Resources

__all__ = ["get_session_handle", "get_session_tensor", "delete_session_tensor"]

_FETCHED_AS_HANDLE = ("GetSessionHandle", "GetSessionHandleV2")
_DEAD_HANDLES_THRESHOLD = 10  # TF's BaseSession._DEAD_HANDLES_THRESHOLD


class TensorHandle:
    """A tensor kept in a session, as ``Session.run`` returns a fetched GetSessionHandle:
    ``handle`` is its string ``"<op name>;<id>;<device>"``."""

    def __init__(self, handle, dtype, session):
        self._handle = handle.decode() if isinstance(handle, bytes) else str(handle)
        self._dtype = dtype
        self._session = session
        self._auto_gc_enabled = True

    def __del__(self):
        if getattr(self, "_auto_gc_enabled", False):
            try:
                _register_dead_handle(self._session, self._handle)
            except Exception:  # noqa: BLE001 - interpreter shutdown
                pass

    def __str__(self):
        return self._handle

    @property
    def handle(self) -> str:
        """The string representation of this handle."""
        return self._handle

    def eval(self):
        """The value of the tensor this handle names (a run of the session)."""
        if not self._auto_gc_enabled:
            raise TypeError(f"Persistent tensor {self._handle} may have already been deleted.")
        holder, reader = _get_handle_reader(self._session.graph, self._handle, self._dtype)
        return self._session.run(reader, feed_dict={holder: self._handle})

    def delete(self):
        """Deletes the tensor this handle names now (a run of the session)."""
        if not self._auto_gc_enabled:
            raise TypeError(f"Persistent tensor {self._handle} may have already been deleted.")
        self._auto_gc_enabled = False
        holder, deleter = _get_handle_deleter(self._session.graph, 0, self._handle)
        self._session.run(deleter, feed_dict={holder: self._handle})

    def get_raw_handle(self) -> str:
        """The handle string. The caller then owns the tensor's lifetime: garbage collecting
        this object no longer deletes it, and ``eval``/``delete`` refuse, as in TF."""
        self._auto_gc_enabled = False
        return self._handle


def _device_name(handle) -> str:
    """The canonical device a handle names (its last ';' part), as TF's
    ``TensorHandle._get_device_name``; ValueError for text that is no device."""
    text = handle.decode() if isinstance(handle, bytes) else str(handle)
    return device_string(parse_device(text.split(";")[-1]))


def get_session_handle(data, name=None) -> Tensor:
    """``tf.get_session_handle``: a scalar string tensor; fetching it keeps ``data`` in the
    session and gives a TensorHandle to read it back in a later run."""
    if not isinstance(data, Tensor):
        raise TypeError("`data` must be of type Tensor.")
    with colocate_with(data):  # TF colocates it with data
        return GET_SESSION_HANDLE(data, name=name or "GetSessionHandle")


def get_session_tensor(handle, dtype, name=None) -> tuple[Tensor, Tensor]:
    """``tf.get_session_tensor``: (a string placeholder to feed a handle string, the stored
    tensor of type ``dtype`` it names), placed on the handle's device as TF does."""
    with device(_device_name(handle)):
        holder = placeholder(_dt.string)
        _caches(holder.graph)["feeders"].add(holder.op.name)
        tensor = GET_SESSION_TENSOR(holder, dtype=_dt.as_dtype(dtype),
                                    name=name or "GetSessionTensor")
    return holder, tensor


def delete_session_tensor(handle, name=None):
    """``tf.delete_session_tensor``: (a string placeholder to feed a handle string, the op
    that deletes the stored tensor it names)."""
    with device(_device_name(handle)):
        holder = placeholder(_dt.string)
        deleter = DELETE_SESSION_TENSOR(holder, name=name or "DeleteSessionTensor")
    return holder, deleter


# -- the subgraphs TensorHandle.eval/delete run, made once per graph as TF's are -----------------
_graph_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _caches(graph) -> dict:
    cache = _graph_caches.get(graph)
    if cache is None:
        cache = _graph_caches[graph] = {"readers": {}, "deleters": {}, "feeders": set()}
    return cache


def check_handle_feed(t: Tensor, value):
    """A string fed to a get_session_tensor placeholder: TF's Session.run parses the device
    its handle names before running (ValueError for text that names none)."""
    if _graph_caches and isinstance(value, (str, bytes)):
        cache = _graph_caches.get(t._op._graph)
        if cache is not None and t._op.name in cache["feeders"]:
            _device_name(value)


def _get_handle_reader(graph, handle: str, dtype):
    parts = handle.split(";")
    key = parts[0] + ";" + parts[-1]  # TF's reader key: one reader per producing op
    readers = _caches(graph)["readers"]
    result = readers.get(key)
    if result is None:
        with graph.as_default(), graph.device(_device_name(handle)):
            holder = placeholder(_dt.string)
            _caches(graph)["feeders"].add(holder.op.name)
            reader = GET_SESSION_TENSOR(holder, dtype=dtype, name="GetSessionTensor")
        result = readers[key] = (holder, reader)
    return result


def _get_handle_deleter(graph, deleter_key, handle: str):
    deleters = _caches(graph)["deleters"]
    result = deleters.get(deleter_key)
    if result is None:
        with graph.as_default(), graph.device(_device_name(handle)):
            holder = placeholder(_dt.string)
            deleter = DELETE_SESSION_TENSOR(holder, name="DeleteSessionTensor")
        result = deleters[deleter_key] = (holder, deleter)
    return result


def _register_dead_handle(session, handle: str):
    """A TensorHandle of ``session`` was collected: every 10th such handle, drop the 10 from
    the store. TF runs DeleteSessionTensor ops for them; minitf drops them from the store
    directly (one dict operation each, no lock, no graph change), since this runs from
    ``__del__`` anywhere, even inside a run or graph construction in the same thread."""
    store = getattr(getattr(session, "_resources", None), "tensor_store", None)
    if store is None:
        return
    store.dead.append(handle)
    if len(store.dead) >= _DEAD_HANDLES_THRESHOLD:
        batch, store.dead = store.dead, []
        for h in batch:
            store.tensors.pop(h, None)


# -- the Session's side --------------------------------------------------------------------------
class HandleResources(Resources):
    """A Session's Resources with its tensor store, handed to the handle ops' kernels in their
    per-op state (with the node name, which GetSessionHandle's handle and errors carry)."""

    def __init__(self):
        super().__init__()
        self.tensor_store = TensorStore()

    def state(self, op) -> dict:
        st = super().state(op)
        if op.type in HANDLE_OPS and "store" not in st:
            st["store"], st["name"] = self.tensor_store, op.name
        return st

    def clear(self):
        super().clear()
        self.tensor_store.clear()


class HandleFetchPlan(Plan):
    """A plan fetching GetSessionHandle outputs: ``run`` gives a TensorHandle for each, of the
    session that ran it and the dtype of the tensor it keeps (TF's fetch handler)."""

    _handle_fetches: tuple = ()
    _session = None

    def run(self, feed_values=()) -> list:
        out = Plan.run(self, feed_values)
        session = self._session()
        for k, dtype in self._handle_fetches:
            v = out[k]
            if type(v) is np.ndarray and v.ndim == 0:
                v = v[()]
            out[k] = TensorHandle(v, dtype, session)
        return out


def compile_plan(session, graph, feeds, fetches, targets, resources) -> Plan:
    """``Plan.compile``, but a HandleFetchPlan when a fetch is a GetSessionHandle output."""
    handles = tuple((k, t.op.inputs[0].dtype) for k, t in enumerate(fetches)
                    if t.op.type in _FETCHED_AS_HANDLE)
    if not handles:
        return Plan.compile(graph, feeds, fetches, targets, resources)
    plan = HandleFetchPlan.compile(graph, feeds, fetches, targets, resources)
    plan._handle_fetches = handles
    plan._session = weakref.ref(session)
    return plan


def wrap_handles(session, tensors, values) -> list:
    """``values`` fetched for ``tensors`` outside a plan's run (a partial run's), with a
    TensorHandle for each GetSessionHandle output."""
    for k, t in enumerate(tensors):
        if t.op.type in _FETCHED_AS_HANDLE:
            v = values[k]
            values[k] = TensorHandle(v[()] if type(v) is np.ndarray and v.ndim == 0 else v,
                                     t.op.inputs[0].dtype, session)
    return values


class HandleFeedError(TypeError):
    """Raised by ``_check_feed`` for a TensorHandle fed: only a Session can read its store."""

    def __init__(self, handle: TensorHandle):
        super().__init__("A TensorHandle can only be fed to Session.run, which feeds the "
                         f"tensor it names ({handle.handle}).")
        self.handle = handle


def feed_value(resources, t: Tensor, handle: TensorHandle, index: int) -> np.ndarray:
    """What feeding ``handle`` for ``t`` feeds: the tensor it names in the running session's
    store (not the handle's session's), checked against ``t``'s dtype as TF's executor checks
    its argument ``index``; the static shape is not checked, as in TF."""
    arr = resources.tensor_store.get(handle.handle)
    stored, want = _dt.as_dtype(arr.dtype), t.dtype.base_dtype
    if stored != want:
        raise InvalidArgumentError(None, None, f"Expects arg[{index}] to be "
                                   f"{_dt.dtype_string(want)} but {_dt.dtype_string(stored)} "
                                   "is provided")
    return arr.copy()
