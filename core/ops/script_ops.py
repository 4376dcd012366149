"""``tf.py_func`` / ``tf.numpy_function``: a Python function as an op (PyFunc, and
PyFuncStateless for ``stateful=False``). The node holds a token; the function itself lives in
this process (as in TF), kept alive by the graph that uses it. The kernel calls it with numpy
arrays and checks what it returns against ``Tout``: TF does not convert, so a Python float
returned for a float32 output is an error there and here."""

from __future__ import annotations

import itertools
import threading
import weakref

import numpy as np

from .. import dtypes as _dt
from ..errors import (InvalidArgumentError, NotFoundError, OpError, OutOfRangeError,
                      ResourceExhaustedError, UnimplementedError, UnknownError)
from ..graph import get_default_graph
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req

__all__ = ["numpy_function", "py_func"]

# token -> the function's holder, weakly: the graph holds the holder, so a function goes when
# the graph using it does (a holder, as some callables, ufuncs say, take no weak reference).
_FUNCS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_TOKENS = itertools.count()
_LOCK = threading.Lock()
# Python exceptions -> TF's status codes for them (TF's py_func kernel does the same).
_ERRORS = ((StopIteration, OutOfRangeError), (ValueError, InvalidArgumentError),
           (TypeError, InvalidArgumentError), (MemoryError, ResourceExhaustedError),
           (NotImplementedError, UnimplementedError))


def python_error(e: Exception) -> OpError:
    """The OpError a Python exception from user code is reported as (py_func's and
    Dataset.from_generator's): TF's status code for its kind, Unknown otherwise."""
    error = next((err for kind, err in _ERRORS if isinstance(e, kind)), UnknownError)
    return error(None, None, f"{type(e).__name__}: {e}")


class _Holder:
    __slots__ = ("func", "__weakref__")

    def __init__(self, func):
        self.func = func


def _register(func, graph) -> str:
    holder = _Holder(func)
    with _LOCK:
        token = f"pyfunc_{next(_TOKENS)}"
        _FUNCS[token] = holder
    graph.__dict__.setdefault("_py_funcs_used_in_graph", []).append(holder)
    return token


def _as_output(value, dtype: _dt.DType, i: int, token: str) -> np.ndarray:
    if dtype == _dt.string:
        arr = np.asarray(value, dtype=object)
        flat = arr.reshape(-1)
        for k, v in enumerate(flat):
            if isinstance(v, str):
                flat[k] = v.encode()
            elif not isinstance(v, bytes):
                raise InvalidArgumentError(None, None, f"{i}-th value returned by {token} is "
                                           f"{type(v).__name__}, but expects string")
        return arr
    arr = np.asarray(value)
    if arr.dtype != np.dtype(dtype.as_numpy_dtype):
        got = _dt.from_numpy(arr).name if arr.dtype != object else "object"
        raise InvalidArgumentError(None, None, f"{i}-th value returned by {token} is {got}, "
                                   f"but expects {dtype.name}")
    return arr


def _py_func_kernel(inputs, *, token, Tout):  # noqa: N803 - TF's attr name
    holder = _FUNCS.get(token)
    func = holder.func if holder is not None else None
    if func is None:
        raise NotFoundError(None, None, f"callback {token} is not found: a py_func's Python "
                            "function exists only in the process that built its graph")
    # A scalar arrives as a numpy scalar, a string one as bytes (TF's py_func hands over 0-d
    # tensors so: ``f.decode()`` on a file name is the common use).
    args = [x[()] if np.ndim(x) == 0 else x for x in inputs]
    try:
        ret = func(*args)
    except OpError:
        raise
    except Exception as e:  # noqa: BLE001 - reported with TF's code for its kind
        raise python_error(e) from e
    if len(Tout) == 1 and not isinstance(ret, (list, tuple)):
        ret = [ret]
    if ret is None:
        ret = []
    if not isinstance(ret, (list, tuple)) or len(ret) != len(Tout):
        count = len(ret) if isinstance(ret, (list, tuple)) else 1
        raise InvalidArgumentError(None, None, f"{token} returns {count} values, but expects "
                                   f"to see {len(Tout)} values.")
    outs = tuple(_as_output(v, t, i, token) for i, (v, t) in enumerate(zip(ret, Tout)))
    return outs[0] if len(outs) == 1 else outs


def _py_func_infer(inputs, *, token, Tout):  # noqa: N803
    return [TensorSpec(None, t) for t in Tout]  # unknown until the function runs, as in TF


def _declare(op_type):
    return register(OpDef(
        op_type, inputs=["input:list(Tin)"], attrs={"token": req("string"),
                                                    "Tout": req("list(type)")},
        kernel=_py_func_kernel, infer=_py_func_infer, grad=NOT_DIFFERENTIABLE,
        # Even PyFuncStateless runs its function each time: the executor never folds a
        # Python call into a constant.
        stateful=True,
        doc="the outputs of a Python function called with the inputs' values",
    ))


PY_FUNC = _declare("PyFunc")
PY_FUNC_STATELESS = _declare("PyFuncStateless")


def py_func(func, inp, Tout, stateful=True, name=None):  # noqa: N803 - TF's argument name
    """``tf.py_func``: ``func(*values)`` as an op; ``Tout`` a dtype (one output) or a list of
    dtypes (a list of outputs). Not differentiable; the graph runs only in this process."""
    single = not isinstance(Tout, (list, tuple))
    touts = [_dt.as_dtype(t) for t in ([Tout] if single else Tout)]
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    token = _register(func, get_default_graph())
    opdef = PY_FUNC if stateful else PY_FUNC_STATELESS
    out = opdef(list(inp), token=token, Tout=touts, name=name or opdef.type)
    if single:
        return out
    if not touts:
        return out  # the Operation, run for its side effect (TF's py_func with Tout=[])
    return [out] if len(touts) == 1 else list(out)


def numpy_function(func, inp, Tout, stateful=True, name=None):  # noqa: N803
    """``tf.numpy_function``: as ``py_func``."""
    return py_func(func, inp, Tout, stateful=stateful, name=name)
