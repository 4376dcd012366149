"""Parsing ops and their TF1 API: DecodeRaw (``tf.decode_raw``), the feature configurations
(FixedLenFeature, FixedLenSequenceFeature, VarLenFeature, SparseFeature) and the wrappers
``tf.parse_example`` / ``tf.parse_single_example`` that turn them into a ParseExampleV2 node.

The ParseExample ops themselves are parsing_example_ops', the Example wire decoding is
_example_wire's; both are re-exported here so ``parsing_ops.X`` keeps working (the
SequenceExample ops, parsing_sequence_ops, import the decoding helpers from here).

Dense features and VarLenFeature (a SparseTensor) are parsed; SparseFeature and RaggedFeature
are refused up front.
"""

from __future__ import annotations

import collections

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, UnimplementedError
from ..graph import Tensor, convert_to_tensor, name_scope
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req
from ..tensor_shape import TensorShape, as_shape
from ._example_wire import (_FEATURE_DTYPES, _KIND_NAMES, _KIND_OF_DTYPE,  # noqa: F401
                            _CorruptError, _decode_feature, _example_features, _message_fields,
                            map_entries)
from .array_ops import constant
from .parsing_example_ops import (PARSE_EXAMPLE, PARSE_EXAMPLE_V2,  # noqa: F401
                                  PARSE_SINGLE_EXAMPLE, _shape_text, _v1_keys)

__all__ = ["FixedLenFeature", "FixedLenSequenceFeature", "VarLenFeature", "SparseFeature",
           "parse_example", "parse_single_example", "decode_raw"]


# -- DecodeRaw ---------------------------------------------------------------------------------
# TF's allowed list, in its order, minus bfloat16 (minitf has no bfloat16 dtype). A big-endian
# complex is two big-endian parts (real, then imaginary), which is what numpy's ">c8" reads.
_RAW_DTYPES = (_dt.float16, _dt.float32, _dt.float64, _dt.int32, _dt.uint16, _dt.uint8,
               _dt.int16, _dt.int8, _dt.int64, _dt.complex64, _dt.complex128, _dt.bool)
_TF_TYPE_NAMES = {"float16": "half", "float32": "float", "float64": "double"}  # DataTypeString


def _decode_raw_kernel(data, *, out_type, little_endian):
    data = np.asarray(data, dtype=object)
    flat = [x.encode() if isinstance(x, str) else bytes(x) for x in data.reshape(-1)]
    itemsize = np.dtype(out_type.as_numpy_dtype).itemsize
    width = len(flat[0]) if flat else 0
    for i, x in enumerate(flat):
        if len(x) != width:
            raise InvalidArgumentError(None, None, "DecodeRaw requires input strings to all be "
                                       f"the same size, but element {i} has size {width} != "
                                       f"{len(x)}")
    if width % itemsize:
        raise InvalidArgumentError(None, None, f"Input to DecodeRaw has length {width} that is "
                                   f"not a multiple of {itemsize}, the size of "
                                   f"{_TF_TYPE_NAMES.get(out_type.name, out_type.name)}")
    if out_type == _dt.bool:  # any non-zero byte is true (numpy's bool view wants 0/1)
        raw = np.frombuffer(b"".join(flat), np.uint8) != 0
    else:
        order = "<" if little_endian else ">"
        raw = np.frombuffer(b"".join(flat), np.dtype(out_type.as_numpy_dtype).newbyteorder(
            order)).astype(out_type.as_numpy_dtype)
    return raw.reshape(data.shape + (width // itemsize,))


def _decode_raw_infer(data, *, out_type, little_endian):
    if out_type not in _RAW_DTYPES:
        raise TypeError(f"Value passed to parameter 'out_type' has DataType {out_type.name} not "
                        "in list of allowed values: " + ", ".join(t.name for t in _RAW_DTYPES))
    dims = data.shape.as_tuple()
    return [TensorSpec(None if dims is None else TensorShape(list(dims) + [None]), out_type)]


DECODE_RAW = register(OpDef(
    "DecodeRaw", inputs=["bytes:string"],
    attrs={"out_type": req("type"), "little_endian": True},
    kernel=_decode_raw_kernel, infer=_decode_raw_infer, grad=NOT_DIFFERENTIABLE,
    doc="the bytes of each string reinterpreted as a vector of out_type",
))


def decode_raw(input_bytes=None, out_type=None, little_endian=True, name=None, bytes=None):  # noqa: A002
    """``tf.decode_raw(input_bytes, out_type, little_endian=True)`` (TF1 also names the first
    argument ``bytes``)."""
    if input_bytes is None:
        input_bytes = bytes
    if input_bytes is None or out_type is None:
        raise TypeError("decode_raw() needs input_bytes and out_type")
    return DECODE_RAW(input_bytes, out_type=_dt.as_dtype(out_type),
                      little_endian=little_endian, name=name)


# -- feature configurations and the parse wrappers ---------------------------------------------
class FixedLenFeature(collections.namedtuple("FixedLenFeature",
                                             ["shape", "dtype", "default_value"])):
    """A fixed-shape input feature; without ``default_value`` it is required."""

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)


class FixedLenSequenceFeature(collections.namedtuple(
        "FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"])):
    """A variable number of ``shape`` items, padded per batch to the longest; ``default_value``
    (a scalar) is the padding."""

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """Any number of values per record: parses into a SparseTensor ([batch, longest]; one
    record: [longest]) holding each record's values in its own row."""


class SparseFeature(collections.namedtuple(
        "SparseFeature", ["index_key", "value_key", "dtype", "size", "already_sorted"])):
    """Declared so TF1 code imports; minitf does not parse it (VarLenFeature it does)."""

    def __new__(cls, index_key, value_key, dtype, size, already_sorted=False):
        return super().__new__(cls, index_key, value_key, dtype, size, already_sorted)


def dense_dtype_and_shape(key, feature) -> tuple:
    """A dense feature's dtype and fully known shape, with TF's errors (also used by the
    SequenceExample parsers, core/parsing_sequence.py)."""
    dtype = _dt.as_dtype(feature.dtype)
    if dtype not in _FEATURE_DTYPES:
        raise ValueError(f"Feature '{key}': dtype must be tf.float32, tf.int64 or tf.string, "
                         f"got {dtype.name}")
    shape = as_shape(feature.shape)
    if not shape.is_fully_defined():
        raise ValueError(f"All dimensions of shape for feature {key} need to be known but "
                         f"received {shape}.")
    return dtype, shape


def _tensor_default(key, default, dtype):
    """A tensor default_value, an input of the parse op as in TF (constant or not); its
    size is checked when the op runs."""
    if default.dtype.base_dtype != dtype:  # TF's convert_to_tensor raises TypeError
        raise TypeError(f"Feature '{key}': default_value has dtype {default.dtype.name}, "
                        f"the feature's is {dtype.name}")
    return default


def _dense_config(key, feature):
    """(dtype, dense shape attr, default value array) of one feature, as TF's parsing config."""
    if isinstance(feature, SparseFeature) or type(feature).__name__ == "RaggedFeature":
        raise UnimplementedError(
            None, None, f"Feature '{key}' is a {type(feature).__name__}, which minitf does not "
            "parse; use VarLenFeature (a SparseTensor), FixedLenFeature, or "
            "FixedLenSequenceFeature(allow_missing=True) for a variable number of values")
    if not isinstance(feature, (FixedLenFeature, FixedLenSequenceFeature)):
        raise ValueError(f"Unsupported feature type for '{key}': {feature!r}")
    dtype, shape = dense_dtype_and_shape(key, feature)
    dims = list(shape.as_tuple())
    np_dtype = object if dtype == _dt.string else dtype.as_numpy_dtype
    default = feature.default_value
    if isinstance(feature, FixedLenSequenceFeature):
        if not feature.allow_missing:
            raise ValueError("Unsupported: FixedLenSequenceFeature requires allow_missing to "
                             "be True.")
        if isinstance(default, Tensor):
            return dtype, TensorShape([None] + dims), _tensor_default(key, default, dtype)
        if default is None:
            default = b"" if dtype == _dt.string else 0
        value = _as_array(default, np_dtype)
        if value.size != 1:
            raise ValueError(f"Feature '{key}': the default_value of a FixedLenSequenceFeature "
                             f"is a scalar padding value, got shape {value.shape}")
        return dtype, TensorShape([None] + dims), value.reshape(())
    if default is None:  # required: an empty default tells the kernel so
        return dtype, TensorShape(dims), np.zeros([0], dtype=np_dtype)
    if isinstance(default, Tensor):
        return dtype, TensorShape(dims), _tensor_default(key, default, dtype)
    value = _as_array(default, np_dtype)
    if value.size != int(np.prod(dims, dtype=np.int64)):
        raise ValueError(f"Feature '{key}': default_value has {value.size} values, the shape "
                         f"{dims} needs {int(np.prod(dims, dtype=np.int64))}")
    return dtype, TensorShape(dims), value.reshape(dims)


def _as_array(value, np_dtype):
    if np_dtype is object:
        flat = [v.encode() if isinstance(v, str) else v
                for v in np.asarray(value, dtype=object).reshape(-1)]
        return np.array(flat + [None], dtype=object)[:-1].reshape(np.shape(value))
    return np.asarray(value, dtype=np_dtype)


def _parse(serialized, features, example_names, scope):
    if not features:
        raise ValueError("Missing: features was {}.")
    skeys = sorted(k for k, f in features.items() if isinstance(f, VarLenFeature))
    keys = sorted(k for k in features if k not in skeys)
    configs = [_dense_config(k, features[k]) for k in keys]  # refuses before building ops
    stypes = [_dt.as_dtype(features[k].dtype) for k in skeys]
    for k, t in zip(skeys, stypes):
        if t not in _FEATURE_DTYPES:
            raise ValueError(f"Feature '{k}': dtype must be tf.float32, tf.int64 or "
                             f"tf.string, got {t.name}")
    with name_scope(scope):
        serialized = convert_to_tensor(serialized, dtype=_dt.string, name="serialized")
        if example_names is None:
            names = constant(np.zeros([0], object), _dt.string, name="names")
        else:
            names = convert_to_tensor(example_names, dtype=_dt.string, name="names")
        empty = np.zeros([0], object)
        defaults = [d if isinstance(d, Tensor) else constant(d, dtype, name="Const")
                    for dtype, _, d in configs]
        out = PARSE_EXAMPLE_V2(
            serialized, names, constant(np.array([k.encode() for k in skeys] + [None],
                                                 dtype=object)[:-1], _dt.string,
                                        name="sparse_keys"),
            constant(np.array([k.encode() for k in keys] + [None], dtype=object)[:-1],
                     _dt.string, name="dense_keys"),
            constant(empty, _dt.string, name="ragged_keys"), defaults,
            num_sparse=len(skeys), sparse_types=stypes, ragged_value_types=[],
            ragged_split_types=[], dense_shapes=[shape for _, shape, _ in configs],
            name="ParseExampleV2")
    outs = out if isinstance(out, list) else [out]
    n = len(skeys)
    result = {k: _parsed_sparse(outs[i], outs[n + i], outs[2 * n + i])
              for i, k in enumerate(skeys)}
    result.update(zip(keys, outs[3 * n:]))
    return result


def _parsed_sparse(indices, values, dense_shape):
    """A parsed VarLenFeature's SparseTensor. Its static dense shape has a known rank but no
    known dimension, as in TF, whose constant_value does not evaluate parse ops: folding the
    parse of a constant input (which SparseTensor would) gives a shape TF never shows."""
    from ..sparse_tensor import SparseTensor

    out = SparseTensor(indices, values, dense_shape)
    rank = dense_shape.shape.as_tuple()
    out._shape = TensorShape(None if rank is None or rank[0] is None else [None] * rank[0])
    return out


def parse_example(serialized, features, name=None, example_names=None):
    """``tf.parse_example``: a batch (vector) of serialized Examples -> {key: dense tensor of
    shape [batch] + feature shape}; a FixedLenSequenceFeature gives [batch, None] + shape."""
    return _parse(serialized, features, example_names, name or "ParseExample")


def parse_single_example(serialized, features, name=None, example_names=None):
    """``tf.parse_single_example``: one serialized Example (a scalar) -> {key: tensor of the
    feature's shape}."""
    serialized = convert_to_tensor(serialized, dtype=_dt.string)
    if serialized.shape.rank not in (None, 0):
        raise ValueError(f"Input serialized must be a scalar, got shape {serialized.shape}")
    return _parse(serialized, features, example_names, name or "ParseSingleExample")

