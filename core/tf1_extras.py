"""TF1 root names that are aliases or small helpers: the deprecated ``arg_max`` / ``arg_min``,
``initialize_all_tables``, ``op_scope`` / ``variable_op_scope``, ``make_tensor_proto`` /
``make_ndarray``, ``get_logger``, ``sparse_matmul`` and the build constants (``tf.VERSION``,
``tf.GRAPH_DEF_VERSION``...)."""

from __future__ import annotations

import contextlib
import importlib
import platform

import numpy as np

from . import dtypes as _dt
from .graph import name_scope, to_numpy
from .ops.reduction_ops import ARG_MAX, ARG_MIN
from .ops.sparse_matmul_ops import sparse_matmul
from .tf_logging import get_logger
from .variables import tables_initializer, variable_scope

__all__ = ["arg_max", "arg_min", "initialize_all_tables", "get_logger", "sparse_matmul",
           "op_scope", "variable_op_scope", "make_tensor_proto", "make_ndarray", "VERSION",
           "GIT_VERSION", "COMPILER_VERSION", "CXX11_ABI_FLAG", "MONOLITHIC_BUILD",
           "GRAPH_DEF_VERSION", "GRAPH_DEF_VERSION_MIN_CONSUMER",
           "GRAPH_DEF_VERSION_MIN_PRODUCER"]

# -- build constants: what is true of minitf, not copies of a TF build's --------------------------
VERSION = "0.1.0"  # minitf's own version (tf.__version__); a test keeps the two equal
GIT_VERSION = "unknown"  # what TF reports when built outside a git checkout
COMPILER_VERSION = platform.python_compiler()  # minitf compiles nothing; its kernels run here
CXX11_ABI_FLAG = 0  # no C++ library is built
MONOLITHIC_BUILD = 0
# The producer version minitf.export writes into GraphDef.versions (a test keeps them equal);
# minitf reads GraphDefs of any producer and writes no min_consumer.
GRAPH_DEF_VERSION = 27
GRAPH_DEF_VERSION_MIN_CONSUMER = 0
GRAPH_DEF_VERSION_MIN_PRODUCER = 0


def arg_max(input, dimension, output_type=_dt.int64, name=None):  # noqa: A002 - TF's names
    """``tf.arg_max``: the ArgMax op itself (deprecated for ``tf.argmax``)."""
    return ARG_MAX(input, dimension, output_type=_dt.as_dtype(output_type),
                   name=name or "ArgMax")


def arg_min(input, dimension, output_type=_dt.int64, name=None):  # noqa: A002
    """``tf.arg_min``: the ArgMin op itself (deprecated for ``tf.argmin``)."""
    return ARG_MIN(input, dimension, output_type=_dt.as_dtype(output_type),
                   name=name or "ArgMin")


def initialize_all_tables(name="init_all_tables"):
    """Deprecated name of ``tf.tables_initializer``."""
    return tables_initializer(name)


@contextlib.contextmanager
def op_scope(values, name, default_name=None):
    """Deprecated ``name_scope`` with the values first: ``op_scope(values, name, default)``."""
    with name_scope(name, default_name=default_name, values=values) as scope:
        yield scope


@contextlib.contextmanager
def variable_op_scope(values, name_or_scope, default_name=None, initializer=None,
                      regularizer=None, caching_device=None, partitioner=None,
                      custom_getter=None, reuse=None, dtype=None, use_resource=None,
                      constraint=None):
    """Deprecated ``variable_scope`` with the values first."""
    with variable_scope(name_or_scope, default_name=default_name, values=values,
                        initializer=initializer, regularizer=regularizer,
                        caching_device=caching_device, partitioner=partitioner,
                        custom_getter=custom_getter, reuse=reuse, dtype=dtype,
                        use_resource=use_resource, constraint=constraint) as scope:
        yield scope


# -- TensorProto <-> numpy ----------------------------------------------------------------------
# The codec lives in minitf.export.tensors, which owns the protos; core reaches it at call time
# by module name (as core/_protos.py does), so importing minitf never imports export.
def _tensors():
    return importlib.import_module("minitf.export.tensors")


def _dense_dims(values) -> list:
    """The nested Python list's dimensions, as TF's _GetDenseDimensions reads them."""
    dims = []
    while isinstance(values, (list, tuple)):
        dims.append(len(values))
        if not values:
            break
        values = values[0]
    return dims


def _as_array(values, dtype):
    """``values`` as ``tf.constant`` converts them (TF's checks and default dtypes: Python
    floats float32, ints int32 when they fit); numpy values keep their dtype."""
    if isinstance(values, (list, tuple)) and _dense_dims(values) != list(np.shape(
            np.asarray(values, dtype=object))):
        raise ValueError(f"Argument must be a dense tensor: {values} - got shape "
                         f"{list(np.shape(np.asarray(values, dtype=object)))}, but wanted "
                         f"{_dense_dims(values)}.")
    return to_numpy(values, None if dtype is None else _dt.as_dtype(dtype))


def make_tensor_proto(values, dtype=None, shape=None, verify_shape=False,
                      allow_broadcast=False):
    """``tf.make_tensor_proto``: a TensorProto of ``values`` (TF's encoding). With ``shape``,
    one value fills the shape and fewer values are padded with the last, as in TF."""
    arr = _as_array(values, dtype)
    if shape is not None:
        shape = [int(d) for d in shape]
        size = int(np.prod(shape))
        if verify_shape and list(arr.shape) != shape:
            raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, but got {arr.shape}.")
        if allow_broadcast and arr.shape not in ((), (1,)) and list(arr.shape) != shape:
            raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, but got {arr.shape}.")
        if arr.size > size:
            raise ValueError(f"Too many elements provided. Takes at most {size:d}, but got "
                             f"{arr.size:d}.")
        if 0 < arr.size < size:
            flat = arr.reshape(-1)
            arr = np.concatenate([flat, np.repeat(flat[-1:], size - flat.size)])
        elif arr.size == 0 and size:
            arr = np.zeros(size, arr.dtype)
        arr = arr.reshape(shape)
    return _tensors().make_tensor_proto(arr, dtype=dtype)


def make_ndarray(tensor) -> np.ndarray:
    """``tf.make_ndarray``: the numpy value of a TensorProto (a copy, writable as in TF)."""
    return np.array(_tensors().make_ndarray(tensor))
