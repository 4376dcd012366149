"""TF1's session tensor handles: GetSessionHandle(V2) keeps its input in the session's tensor
store and outputs a handle naming it, GetSessionTensor reads a stored tensor by handle and
DeleteSessionTensor drops one. The public API and ``TensorHandle`` are core/session_handle.py.

The store is the session's (``TensorStore``, reached through the op's per-session state, which
core/session_handle.py's ``HandleResources`` fills), so a handle made in one session names
nothing in another, and closing the session frees what it holds. A handle is TF's string
``"<op name>;<id>;<device>"``, the id counting per session from 0.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import dtypes as _dt
from ..errors import InternalError, InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape

__all__: list[str] = []  # the public API lives in core/session_handle.py

# minitf runs everything on the one CPU; handles name it as TF's DirectSession does.
DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"
HANDLE_OPS = frozenset({"GetSessionHandle", "GetSessionHandleV2", "GetSessionTensor",
                        "DeleteSessionTensor"})


class TensorStore:
    """One session's stored tensors by handle string. Every access is one dict operation (atomic
    under the GIL), so no lock: a TensorHandle's ``__del__`` may drop tensors from inside any
    other code of the same thread without deadlocking on it."""

    def __init__(self):
        self.tensors: dict[str, np.ndarray] = {}
        self.ids = itertools.count()
        self.dead: list[str] = []  # handles whose TensorHandle was garbage collected

    def put(self, op_name: str, value) -> str:
        handle = f"{op_name};{next(self.ids)};{DEVICE}"
        # A copy of its own, read-only: later in-place updates of a variable (or of a fed
        # array) must not reach it, nor a caller writing into a value fetched from it.
        arr = np.array(value, copy=True)
        arr.flags.writeable = False
        self.tensors[handle] = arr
        return handle

    def get(self, handle: str) -> np.ndarray:
        arr = self.tensors.get(handle)
        if arr is None:
            raise InvalidArgumentError(
                None, None, f"The tensor with handle '{handle}' is not in the session store.")
        return arr

    def delete(self, handle: str):
        if self.tensors.pop(handle, None) is None:
            raise InvalidArgumentError(
                None, None, f"Failed to delete a tensor with handle '{handle}' in the session "
                "store.")

    def clear(self):
        self.tensors.clear()
        self.dead.clear()


def _store(state: dict, op_type: str) -> TensorStore:
    store = state.get("store")
    if store is None:  # a plan compiled without a session (a server's)
        raise InvalidArgumentError(None, None, f"{op_type} needs a Session's tensor store; "
                                   "this executor has none.")
    return store


def _handle_text(handle) -> str:
    """The handle string a string tensor holds (bytes, or str as fed)."""
    h = np.asarray(handle)
    if h.ndim != 0:
        raise InvalidArgumentError(None, None, f"handle must be a scalar string, got shape "
                                   f"{h.shape}")
    v = h[()]
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def _check_scalar(handle):
    if handle.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {handle.shape.rank}")


def _get_handle_kernel(state, value):
    handle = _store(state, "GetSessionHandle").put(state["name"], value)
    return np.array(handle.encode(), dtype=object)


GET_SESSION_HANDLE = register(OpDef(
    "GetSessionHandle", inputs=["value:T"],
    kernel=_get_handle_kernel, resource="state",
    infer=lambda value: [TensorSpec(TensorShape([]), _dt.string)],
    grad=NOT_DIFFERENTIABLE, stateful=True,  # it writes the store: never folded or skipped
    doc="A scalar string handle of value, kept in the session's tensor store.",
))


def _get_handle_v2_kernel(state, value):
    # TF's output is a ResourceHandle whose name is the handle string; minitf's resource
    # values are Python objects, here that string.
    handle = _store(state, "GetSessionHandleV2").put(state["name"], value)
    return np.array(handle, dtype=object)


GET_SESSION_HANDLE_V2 = register(OpDef(
    "GetSessionHandleV2", inputs=["value:T"],
    kernel=_get_handle_v2_kernel, resource="state",
    infer=lambda value: [TensorSpec(TensorShape([]), _dt.resource)],
    grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="GetSessionHandle with a resource handle as output.",
))


def _get_tensor_infer(handle, *, dtype):
    _check_scalar(handle)
    return [TensorSpec(TensorShape(None), dtype)]


def _get_tensor_kernel(state, handle, *, dtype):
    arr = _store(state, "GetSessionTensor").get(_handle_text(handle))
    stored = _dt.as_dtype(arr.dtype)
    if stored != dtype:  # TF's executor checks every output against the op's declaration
        raise InternalError(
            None, None, f"Output 0 of type {_dt.dtype_string(stored)} does not match declared "
            f"output type {_dt.dtype_string(dtype)} for node {{{{node {state['name']}}}}}")
    return arr


GET_SESSION_TENSOR = register(OpDef(
    "GetSessionTensor", inputs=["handle:string"], attrs={"dtype": req("type")},
    kernel=_get_tensor_kernel, resource="state",
    infer=_get_tensor_infer,
    grad=NOT_DIFFERENTIABLE, stateful=True,  # reads the store as it is at run time
    doc="The stored tensor the handle names.",
))


def _delete_tensor_kernel(state, handle):
    _store(state, "DeleteSessionTensor").delete(_handle_text(handle))
    return ()


DELETE_SESSION_TENSOR = register(OpDef(
    "DeleteSessionTensor", inputs=["handle:string"],
    kernel=_delete_tensor_kernel, resource="state",
    infer=lambda handle: _check_scalar(handle) or [],
    grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Drops the stored tensor the handle names.",
))
