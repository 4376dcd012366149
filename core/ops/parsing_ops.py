"""Parsing ops and their TF1 API: DecodeRaw (``tf.decode_raw``), the feature configurations
(FixedLenFeature, FixedLenSequenceFeature, VarLenFeature, SparseFeature) and the wrappers
``tf.parse_example`` / ``tf.parse_single_example`` that turn them into a ParseExampleV2 node.

The ParseExample ops themselves are parsing_example_ops', the Example wire decoding is
_example_wire's; both are re-exported here so ``parsing_ops.X`` keeps working (the
SequenceExample ops, parsing_sequence_ops, import the decoding helpers from here).

Dense features, VarLenFeature and SparseFeature (SparseTensors) are parsed; RaggedFeature is
refused up front.
"""

from __future__ import annotations

import collections
import re

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, UnimplementedError
from ..default_graph import name_scope
from ..graph import Tensor, convert_to_tensor
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
    """Values at given indices: ``index_key`` (one key, or a list for a multi-dimensional
    ``size``) and ``value_key`` are parsed as VarLenFeatures and merged, as TF does, into one
    SparseTensor of dense shape [batch] + size."""

    def __new__(cls, index_key, value_key, dtype, size, already_sorted=False):
        return super().__new__(cls, index_key, value_key, dtype, size, already_sorted)


def _known_shape(key, feature) -> TensorShape:
    shape = as_shape(feature.shape)
    if not shape.is_fully_defined():
        raise ValueError(f"All dimensions of shape for feature {key} need to be known but "
                         f"received {shape}.")
    return shape


def dense_dtype_and_shape(key, feature) -> tuple:
    """A dense feature's dtype and fully known shape (the SequenceExample parsers',
    core/parsing_sequence.py; an unparsable dtype is the op's TypeError, as TF's)."""
    return _dt.as_dtype(feature.dtype), _known_shape(key, feature)


def _tensor_default(key, default, dtype):
    """A tensor default_value, an input of the parse op as in TF (constant or not); its
    size is checked when the op runs."""
    if default.dtype.base_dtype != dtype:  # TF's convert_to_tensor raises TypeError
        raise TypeError(f"Feature '{key}': default_value has dtype {default.dtype.name}, "
                        f"the feature's is {dtype.name}")
    return default


def _dense_spec(key, feature) -> tuple:
    """(dtype, dense shape attr) of a FixedLenFeature or FixedLenSequenceFeature ([None] +
    shape). An unparsable dtype is left for the op to refuse with TF's TypeError."""
    if isinstance(feature, FixedLenSequenceFeature):
        if not feature.allow_missing:
            raise ValueError("Unsupported: FixedLenSequenceFeature requires allow_missing to "
                             "be True.")
        return _dt.as_dtype(feature.dtype), TensorShape(
            [None] + list(_known_shape(key, feature).as_tuple()))
    return _dt.as_dtype(feature.dtype), _known_shape(key, feature)


def _dense_default(key, feature, dtype, shape) -> Tensor:
    """TF's _make_dense_default, built in the current scope: a padding scalar for a
    FixedLenSequenceFeature, an empty tensor marking a required FixedLenFeature, else the
    default converted as tf.convert_to_tensor does (a value of the wrong type is a TypeError,
    not cast) and reshaped to the feature's shape (a wrong size is Reshape's ValueError)."""
    from .shape_ops import reshape

    default = feature.default_value
    dims = shape.as_tuple()
    if dims and dims[0] is None:
        if default is None:
            return convert_to_tensor(b"" if dtype == _dt.string else 0, dtype=dtype)
        if isinstance(default, Tensor):
            return _tensor_default(key, default, dtype)
        # TF's name; like TF, a bytes key with a default fails here (a str pattern).
        value = convert_to_tensor(default, dtype=dtype,
                                  name="padding_" + re.sub(_NOT_NAME_CHARS, "_", key))
        return reshape(value, [])
    if default is None:
        return constant([], dtype)
    if isinstance(default, Tensor):
        return _tensor_default(key, default, dtype)
    value = convert_to_tensor(default, dtype=dtype,
                              name="key_" + re.sub(_NOT_NAME_CHARS, "_", key))
    return reshape(value, list(dims))


_NOT_NAME_CHARS = "[^A-Za-z0-9_.\\-/]"


class _ParseParams:
    """TF's _ParseOpParams: the keys (sorted; str or bytes, as given) and types of the parse
    op. A SparseFeature adds its index keys (int64) and value key as sparse keys."""

    def __init__(self, features: dict, kinds: tuple):
        self.sparse_keys, self.sparse_types = [], []
        self.dense_keys, self.dense_features = [], []
        for key in sorted(features or {}):  # mixed str and bytes keys fail here, as in TF
            feature = features[key]
            if type(feature).__name__ == "RaggedFeature":
                raise UnimplementedError(
                    None, None, f"Feature '{key}' is a RaggedFeature, which minitf does not "
                    "parse (there is no RaggedTensor); use VarLenFeature (a SparseTensor)")
            if not isinstance(feature, kinds):
                raise ValueError(f"Unsupported {type(feature).__name__} {feature!r} for key "
                                 f"'{key}'")
            if isinstance(feature, VarLenFeature):
                if not feature.dtype:
                    raise ValueError(f"Missing type for feature {key}. Received "
                                     f"feature={feature}")
                self._add_sparse(key, feature.dtype)
            elif isinstance(feature, SparseFeature):
                self._add_sparse_feature(key, feature)
            else:
                self.dense_keys.append(key)
                self.dense_features.append(feature)
        both = set(self.dense_keys) & set(self.sparse_keys)
        if both:
            raise ValueError(f"Dense and sparse keys must not intersect; dense_keys: "
                             f"{self.dense_keys}, sparse_keys: {self.sparse_keys}, "
                             f"intersection: {both}")

    def dense_specs(self) -> list:
        """(dtype, dense shape attr) of each dense key (Example features and SequenceExample
        context features: a feature list's shape is its row shape)."""
        return [_dense_spec(k, f) for k, f in zip(self.dense_keys, self.dense_features)]

    def _add_sparse(self, key, dtype):
        dtype = _dt.as_dtype(dtype)
        if key in self.sparse_keys:
            old = self.sparse_types[self.sparse_keys.index(key)]
            if old != dtype:
                raise ValueError(f"Conflicting type {old!r} vs {dtype!r} for feature {key}.")
            return
        self.sparse_keys.append(key)
        self.sparse_types.append(dtype)

    def _add_sparse_feature(self, key, feature):
        if not feature.index_key:
            raise ValueError(f"Missing index_key for SparseFeature {feature}.")
        if not feature.value_key:
            raise ValueError(f"Missing value_key for SparseFeature {feature}.")
        if not feature.dtype:
            raise ValueError(f"Missing type for feature {key}. Received feature={feature}.")
        index_keys = [feature.index_key] if isinstance(feature.index_key, str) else \
            feature.index_key
        for index_key in sorted(index_keys):
            self._add_sparse(index_key, _dt.int64)
        self._add_sparse(feature.value_key, feature.dtype)

    def dense_defaults(self, specs) -> list:
        return [_dense_default(k, f, dtype, shape) for k, f, (dtype, shape) in
                zip(self.dense_keys, self.dense_features, specs)]


def _composite(features: dict, parsed: dict) -> dict:
    """TF's _construct_tensors_for_composite_features: each SparseFeature's SparseTensor
    (tf.sparse_merge of its index and value SparseTensors, reordered unless already_sorted),
    built in the caller's scope; keys that are not features themselves are dropped."""
    from ..sparse import merge

    parsed = dict(parsed)
    updates = {}
    for key in sorted(features):
        feature = features[key]
        if isinstance(feature, SparseFeature):
            many = not isinstance(feature.index_key, str)
            ids = [parsed[k] for k in feature.index_key] if many else parsed[feature.index_key]
            merged = merge(ids, parsed[feature.value_key], vocab_size=feature.size,
                           already_sorted=feature.already_sorted)
            # TF's static shape: the batch dimensions unknown (its constant_value does not
            # evaluate the parse op, which folding a constant input here would), then size.
            rank = (ids[0] if many else ids).dense_shape.shape.as_tuple()
            sizes = list(feature.size) if isinstance(feature.size, (list, tuple)) else \
                [feature.size]
            merged._shape = TensorShape(None if rank is None or rank[0] is None else
                                        [None] * (rank[0] - 1) + [
                                            int(n) if isinstance(n, (int, np.integer)) else None
                                            for n in sizes])
            updates[key] = merged
    parsed.update(updates)
    return {k: v for k, v in parsed.items() if k in features}


def _parse_example_raw(serialized, names, params, name):
    """TF's _parse_example_raw: the ParseExampleV2 node (named ``name``, in a scope of that
    name or "ParseExample"), its keys and names as the op's own Const inputs."""
    if not params.sparse_keys and not params.dense_keys:
        raise ValueError("Must provide at least one feature key.")
    specs = params.dense_specs()
    with name_scope(name, "ParseExample", [serialized]):
        serialized = convert_to_tensor(serialized, dtype=_dt.string, name="serialized")
        defaults = params.dense_defaults(specs)
        out = PARSE_EXAMPLE_V2(
            serialized, np.zeros([0], object) if names is None else names,
            _key_array(params.sparse_keys), _key_array(params.dense_keys),
            np.zeros([0], object), defaults, num_sparse=len(params.sparse_keys),
            sparse_types=params.sparse_types, ragged_value_types=[], ragged_split_types=[],
            dense_shapes=[shape for _, shape in specs], name=name)
    outs = out if isinstance(out, list) else [out]
    n = len(params.sparse_keys)
    result = {k: _parsed_sparse(outs[i], outs[n + i], outs[2 * n + i])
              for i, k in enumerate(params.sparse_keys)}
    result.update(zip(params.dense_keys, outs[3 * n:]))
    return result


def _key_array(keys) -> np.ndarray:
    """Feature keys as a string vector (str or bytes, as TF takes them)."""
    out = np.empty(len(keys), dtype=object)
    out[:] = list(keys)
    return out


def _parsed_sparse(indices, values, dense_shape):
    """A parsed VarLenFeature's SparseTensor. Its static dense shape has a known rank but no
    known dimension, as in TF, whose constant_value does not evaluate parse ops: folding the
    parse of a constant input (which SparseTensor would) gives a shape TF never shows."""
    from ..sparse_tensor import SparseTensor

    out = SparseTensor(indices, values, dense_shape)
    rank = dense_shape.shape.as_tuple()
    out._shape = TensorShape(None if rank is None or rank[0] is None else [None] * rank[0])
    return out


def assert_scalar(value: Tensor, name: str) -> Tensor:
    """TF's parsing_ops._assert_scalar: a known rank other than 0 is a ValueError; an unknown
    rank gets a run-time Assert (``<Name>IsScalar``) and the value, through an Identity that
    depends on it (``<name>Dependencies``), takes the static shape []."""
    rank = value.shape.rank
    if rank == 0:
        return value
    if rank is not None:
        raise ValueError(f"Input {name} must be a scalar")
    from ..graph import control_dependencies
    from .constant_ops import identity
    from .logging_ops import Assert
    from .logic_ops import equal
    from .shape_ops import rank as rank_of

    is_scalar = equal(rank_of(value), 0)
    with name_scope(f"{name.capitalize()}IsScalar"):
        check = Assert(is_scalar, [f"Input {name} must be a scalar"])
    with control_dependencies([check]):
        result = identity(value, name=f"{name}Dependencies")
    result.set_shape([])
    return result


_EXAMPLE_FEATURES = (VarLenFeature, SparseFeature, FixedLenFeature, FixedLenSequenceFeature)


def parse_example(serialized, features, name=None, example_names=None):
    """``tf.parse_example``: a batch (vector) of serialized Examples -> {key: dense tensor of
    shape [batch] + feature shape}; a FixedLenSequenceFeature gives [batch, None] + shape, a
    VarLenFeature a SparseTensor [batch, None], a SparseFeature one of [batch] + size."""
    if not features:
        raise ValueError("Missing: features was {}.")
    params = _ParseParams(features, _EXAMPLE_FEATURES)
    return _composite(features, _parse_example_raw(serialized, example_names, params, name))


def parse_single_example(serialized, features, name=None, example_names=None):
    """``tf.parse_single_example``: one serialized Example (a scalar) -> {key: tensor of the
    feature's shape}; built as TF builds it, parse_example of the checked scalar in a
    "ParseSingleExample" scope."""
    if not features:
        raise ValueError("Missing: features was {}.")
    with name_scope(name, "ParseSingleExample", [serialized]):
        serialized = convert_to_tensor(serialized, dtype=_dt.string, name="serialized")
        serialized = assert_scalar(serialized, "serialized")
        return parse_example(serialized, features, name, example_names)
