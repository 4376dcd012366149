"""Parsing ops: ParseExampleV2 (``tf.parse_example`` / ``tf.parse_single_example``) and DecodeRaw
(``tf.decode_raw``), then the public TF1 wrappers and feature configurations.

``tf.train.Example`` records are decoded by hand from the protobuf wire format (core imports no
generated protos): Example.features (1) -> Features.feature (1, map entries of key 1 / value 2)
-> Feature oneof bytes_list (1) / float_list (2) / int64_list (3) -> each list's ``value`` (1),
packed or not. Repeated fields merge as protobuf merges them: a later map entry for a key
replaces an earlier one, a list field seen twice is concatenated.

Dense features and VarLenFeature (a SparseTensor) are parsed; SparseFeature and RaggedFeature
are refused up front.
"""

from __future__ import annotations

import collections

import numpy as np

from .. import dtypes as _dt
from .._wire import FIXED32, LEN, VARINT, WireError, field_spans, read_varint
from ..errors import InvalidArgumentError, UnimplementedError
from ..graph import convert_to_tensor, name_scope
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape, as_shape
from .array_ops import constant

__all__ = ["FixedLenFeature", "FixedLenSequenceFeature", "VarLenFeature", "SparseFeature",
           "parse_example", "parse_single_example", "decode_raw"]

_FEATURE_DTYPES = (_dt.float32, _dt.int64, _dt.string)
# Feature's oneof field number -> the TF type name used in error messages.
_KIND_NAMES = {1: "string", 2: "float", 3: "int64"}
_KIND_OF_DTYPE = {_dt.string: 1, _dt.float32: 2, _dt.int64: 3}


# -- Example wire decoding ---------------------------------------------------------------------
class _CorruptError(Exception):
    """The record is not a well-formed Example."""


def _message_fields(buf, start, end):
    try:
        yield from field_spans(buf, start, end)
    except WireError as e:
        raise _CorruptError(str(e)) from None


def _example_features(buf, wanted: set) -> dict:
    """{key bytes: (start, end) of the Feature message} for the ``wanted`` keys of a serialized
    Example; later map entries for a key replace earlier ones, as protobuf's map merge does."""
    found = {}
    for number, wt, _, s, e in _message_fields(buf, 0, len(buf)):
        if number != 1:
            continue  # unknown fields are skipped, as a proto3 parser keeps and ignores them
        if wt != LEN:
            raise _CorruptError("Example.features is not length-delimited")
        for key, value in map_entries(buf, s, e):
            if key in wanted:
                found[key] = value  # None: an entry without a value, i.e. an empty Feature
    return found


def map_entries(buf, start, end):
    """(key bytes, value span or None) of each entry of the map field 1 in [start, end) (a
    Features' feature map, a FeatureLists' feature_list map)."""
    for number, wt, _, s, e in _message_fields(buf, start, end):
        if number != 1:
            continue
        if wt != LEN:
            raise _CorruptError("a map field is not length-delimited")
        key, value = b"", None
        for n2, wt2, _, s2, e2 in _message_fields(buf, s, e):
            if n2 in (1, 2) and wt2 != LEN:
                raise _CorruptError("a map entry field has the wrong wire type")
            if n2 == 1:
                key = bytes(buf[s2:e2])
            elif n2 == 2:
                value = (s2, e2)
        yield key, value


def _decode_feature(buf, span):
    """(kind, values) of a Feature message: kind 1/2/3 (bytes/float/int64) or 0 when no kind
    is set (TF treats that as a missing feature)."""
    kind, parts = 0, []
    if span is None:
        return 0, []
    for number, wt, _, s, e in _message_fields(buf, *span):
        if number not in _KIND_NAMES:
            continue
        if wt != LEN:
            raise _CorruptError("a Feature list is not length-delimited")
        if number != kind:  # a different oneof member replaces the previous one
            kind, parts = number, []
        parts.append(_decode_list(buf, number, s, e))
    if kind == 1:
        return kind, [v for p in parts for v in p]
    if not parts:
        return kind, []
    return kind, np.concatenate(parts) if len(parts) > 1 else parts[0]


def _decode_list(buf, kind, start, end):
    if kind == 1:  # BytesList: repeated bytes
        out = []
        for number, wt, _, s, e in _message_fields(buf, start, end):
            if number == 1:
                if wt != LEN:
                    raise _CorruptError("BytesList.value is not length-delimited")
                out.append(bytes(buf[s:e]))
        return out
    chunks = []
    for number, wt, _, s, e in _message_fields(buf, start, end):
        if number != 1:
            continue
        if kind == 2:  # FloatList: packed (LEN) or one fixed32 per field
            if wt == LEN:
                if (e - s) % 4:
                    raise _CorruptError("packed floats of a length not a multiple of 4")
                chunks.append(np.frombuffer(buf, "<f4", (e - s) // 4, s))
            elif wt == FIXED32:
                chunks.append(np.frombuffer(buf, "<f4", 1, s))
            else:
                raise _CorruptError("FloatList.value has the wrong wire type")
        else:  # Int64List: packed varints (LEN) or one varint per field
            if wt == LEN:
                chunks.append(np.array(_varints(buf, s, e), dtype=np.uint64).view(np.int64))
            elif wt == VARINT:
                chunks.append(np.array([read_varint(buf, s)[0]], np.uint64).view(np.int64))
            else:
                raise _CorruptError("Int64List.value has the wrong wire type")
    dtype = np.float32 if kind == 2 else np.int64
    if not chunks:
        return np.zeros(0, dtype)
    return (np.concatenate(chunks) if len(chunks) > 1 else chunks[0]).astype(dtype)


def _varints(buf, pos, end):
    out = []
    try:
        while pos < end:
            v, pos = read_varint(buf, pos, end)
            out.append(v & 0xFFFFFFFFFFFFFFFF)
    except WireError as e:
        raise _CorruptError(str(e)) from None
    return out


# -- ParseExampleV2 ----------------------------------------------------------------------------
def _shape_text(dims) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _escaped(data: bytes, limit: int = 64) -> str:
    text = repr(bytes(data[:limit]))[2:-1]
    return text + ("..." if len(data) > limit else "")


def _parse_example_kernel(serialized, names, sparse_keys, dense_keys, ragged_keys,
                          dense_defaults, *, num_sparse, sparse_types, ragged_value_types,
                          ragged_split_types, dense_shapes):
    _refuse_ragged(ragged_value_types)
    serialized = np.asarray(serialized, dtype=object)
    single = serialized.ndim == 0
    records = serialized.reshape(-1)
    names = np.asarray(names, dtype=object).reshape(-1)
    keys = [k.encode() if isinstance(k, str) else bytes(k)
            for k in np.asarray(dense_keys, dtype=object).reshape(-1)]
    if len(keys) != len(dense_defaults) or len(keys) != len(dense_shapes):
        raise InvalidArgumentError(None, None, f"Expected len(dense_defaults) == "
                                   f"len(dense_keys) but got: {len(dense_defaults)} vs. "
                                   f"{len(keys)}")
    if len(names) and len(names) != len(records):
        raise InvalidArgumentError(None, None, f"Expected len(names) == len(serialized), but "
                                   f"got: {len(names)} vs. {len(records)}")

    def where(i, key=None, index=True):
        """TF's prefix naming the record (and key) an error is about: "Name: r, Key: k,
        Index: 3.  " in a batch, "Key: k.  " for a single record (whose other messages have
        none); "Name: r, " alone with ``index=False``."""
        if single:
            return f"Key: {key}.  " if key is not None else ""
        name = names[i] if len(names) else "<unknown>"
        name = name.decode(errors="replace") if isinstance(name, bytes) else str(name)
        if not index:
            return f"Name: {name}, "
        return f"Name: {name}, Key: {key}, Index: {i}.  " if key is not None else \
            f"Name: {name}, Index: {i}.  "

    skeys = [k.encode() if isinstance(k, str) else bytes(k)
             for k in np.asarray(sparse_keys if num_sparse else [], dtype=object).reshape(-1)]
    if len(skeys) != num_sparse or len(sparse_types) != num_sparse:
        raise InvalidArgumentError(None, None, f"Expected len(sparse_keys) == num_sparse == "
                                   f"len(sparse_types) but got: {len(skeys)}, {num_sparse}, "
                                   f"{len(sparse_types)}")
    wanted = set(keys) | set(skeys)
    parsed = []
    for i, record in enumerate(records):
        data = record.encode() if isinstance(record, str) else record
        try:
            spans = _example_features(memoryview(data), wanted)
            parsed.append({k: _decode_feature(data, s) for k, s in spans.items()})
        except _CorruptError:
            raise InvalidArgumentError(None, None, f"{where(i)}Could not parse example input, "
                                       f"value: '{_escaped(data)}'") from None
    outs = []
    for key, default, shape in zip(keys, dense_defaults, dense_shapes):
        default = np.asarray(default)
        dtype = _dt.string if default.dtype == object else _dt.as_dtype(default.dtype)
        dims = as_shape(shape).as_tuple()
        out = _dense_output(parsed, key, dtype, dims, default, where)
        outs.append(out[0, ...] if single else out)  # an array even for a scalar feature
    sparse = [_sparse_output(parsed, key, _dt.as_dtype(t), single, where)
              for key, t in zip(skeys, sparse_types)]
    outs = [part[i] for i in range(3) for part in sparse] + outs  # TF's output order
    return outs[0] if len(outs) == 1 else tuple(outs)


def _sparse_output(parsed, key, dtype, single, where):
    """A VarLenFeature's (indices, values, dense_shape): each record's values in a row of
    their own (a single record: one row without the batch column), as TF parses them."""
    name = key.decode(errors="replace")
    want = _KIND_OF_DTYPE[dtype]
    rows = []
    for i, features in enumerate(parsed):
        kind, got = features.get(key, (0, []))
        if kind not in (0, want):
            raise InvalidArgumentError(None, None, f"{where(i, name)}Data types don't match. "
                                       f"Expected type: {_KIND_NAMES[want]}, Actual type: "
                                       f"{_KIND_NAMES[kind]}")
        rows.append(got)
    counts = np.array([len(r) for r in rows], np.int64)
    np_dtype = object if dtype == _dt.string else dtype.as_numpy_dtype
    values = np.empty(int(counts.sum()), np_dtype)
    if values.size:
        values[:] = [v for r in rows for v in r]
    positions = np.arange(values.size, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts,
                                                                   counts)
    longest = int(counts.max()) if counts.size else 0
    if single:
        return positions.reshape(-1, 1), values, np.array([longest], np.int64)
    batch = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    return (np.stack([batch, positions], axis=1), values,
            np.array([len(rows), longest], np.int64))


def _dense_output(parsed, key, dtype, dims, default, where):
    name = key.decode(errors="replace")
    want = _KIND_OF_DTYPE[dtype]
    np_dtype = object if dtype == _dt.string else dtype.as_numpy_dtype
    variable = bool(dims) and dims[0] is None
    inner = dims[1:] if variable else dims
    stride = int(np.prod(inner, dtype=np.int64))
    values = []
    for i, features in enumerate(parsed):
        kind, got = features.get(key, (0, []))
        if kind == 0:
            values.append(None)
            continue
        if kind != want:
            raise InvalidArgumentError(None, None, f"{where(i, name)}Data types don't match. "
                                       f"Data type: {_KIND_NAMES[kind]} but expected type: "
                                       f"{_KIND_NAMES[want]}")
        n = len(got)
        if variable and (n % stride if stride else n):
            raise InvalidArgumentError(
                None, None, f"{where(i, name)}Number of {_KIND_NAMES[want]} values is not a "
                f"multiple of stride length. Saw {n} values but output shape is: "
                f"{_shape_text(dims)}")
        if not variable and n != stride:
            raise InvalidArgumentError(
                None, None, f"{where(i, name)}Number of {_KIND_NAMES[want]} values != "
                f"expected.  Values size: {n} but output shape: {_shape_text(dims)}")
        values.append(got)
    if variable:
        # Rows of ``inner`` values, padded to the longest record with the (scalar) default.
        pad = default.reshape(-1)[0] if default.size else (b"" if np_dtype is object else 0)
        rows = [len(v) // stride if v is not None and stride else 0 for v in values]
        longest = max(rows, default=0)
        out = np.full((len(values), longest * stride), pad, dtype=np_dtype)
        for i, v in enumerate(values):
            if v is not None:
                out[i, :len(v)] = v
        return out.reshape((len(values), longest) + tuple(inner))
    out = np.empty((len(values), stride), dtype=np_dtype)
    for i, v in enumerate(values):
        if v is None:
            if default.size != stride:  # an empty default marks a required feature
                raise InvalidArgumentError(
                    None, None, f"{where(i, index=False)}Feature: {name} (data type: "
                    f"{_KIND_NAMES[want]}) is required but could not be found.")
            v = default.reshape(-1)
        out[i] = v
    return out.reshape((len(values),) + tuple(inner))


def _refuse_ragged(ragged_value_types):
    if ragged_value_types:
        raise UnimplementedError(None, None, "ParseExampleV2: ragged features need "
                                 "RaggedTensor, which minitf does not implement")


def _parse_example_infer(serialized, names, sparse_keys, dense_keys, ragged_keys,
                         dense_defaults, *, num_sparse, sparse_types, ragged_value_types,
                         ragged_split_types, dense_shapes):
    _refuse_ragged(ragged_value_types)
    rank = serialized.shape.rank
    if rank is not None and rank > 1:
        raise shape_error(f"Shape must be at most rank 1 but is rank {rank}")
    if len(dense_defaults) != len(dense_shapes):
        raise shape_error(f"len(dense_defaults) != len(dense_shapes): "
                          f"{len(dense_defaults)} vs. {len(dense_shapes)}")
    k = dense_keys.shape.as_tuple()
    if k is not None and len(k) == 1 and k[0] is not None and k[0] != len(dense_shapes):
        raise shape_error(f"Expected len(dense_keys) == len(dense_shapes) but got: {k[0]} vs. "
                          f"{len(dense_shapes)}")
    outs = []
    for i, (d, shape) in enumerate(zip(dense_defaults, dense_shapes)):
        if d.dtype not in _FEATURE_DTYPES:
            raise shape_error(f"dense_defaults[{i}] has type {d.dtype.name}, not one of "
                              "float32, int64, string")
        dims = as_shape(shape).as_tuple()
        if dims is None or any(x is None for x in dims[1:]):
            raise shape_error(f"dense_shapes[{i}] {shape} may leave only its first dimension "
                              "unknown")
        batch = serialized.shape.as_tuple()
        outs.append(TensorSpec(None if batch is None else TensorShape(list(batch) + list(dims)),
                               d.dtype))
    if len(sparse_types) != num_sparse:
        raise shape_error(f"len(sparse_types) != num_sparse: {len(sparse_types)} vs. "
                          f"{num_sparse}")
    rank = None if rank is None else rank + 1  # of each sparse output: batch dims + position
    sparse = [[TensorSpec([None, rank], _dt.int64) for _ in sparse_types],
              [TensorSpec([None], t) for t in sparse_types],
              [TensorSpec([rank], _dt.int64) for _ in sparse_types]]
    return [spec for part in sparse for spec in part] + outs


PARSE_EXAMPLE_V2 = register(OpDef(
    "ParseExampleV2",
    inputs=["serialized:string", "names:string", "sparse_keys:string", "dense_keys:string",
            "ragged_keys:string", "dense_defaults:list(Tdense)"],
    attrs={"num_sparse": req("int"), "sparse_types": req("list(type)"),
           "ragged_value_types": req("list(type)"), "ragged_split_types": req("list(type)"),
           "dense_shapes": req("list(shape)")},
    kernel=_parse_example_kernel, infer=_parse_example_infer, grad=NOT_DIFFERENTIABLE,
    doc="dense features of serialized tf.train.Example records",
))


# TF 1.x wrote ParseExample (keys as N*string inputs) and ParseSingleExample (keys as attrs):
# both run as ParseExampleV2, so TF1-era serving graphs (tf.Example inputs) import and run.
def _v1_keys(keys) -> np.ndarray:
    out = np.empty(len(keys), dtype=object)
    out[:] = [np.asarray(k, dtype=object)[()] if not isinstance(k, (str, bytes)) else k
              for k in keys]
    return out


def _string_vector(n):
    return TensorSpec(TensorShape([n]), _dt.string)


def _parse_example_v1_kernel(serialized, names, sparse_keys, dense_keys, dense_defaults, *,
                             sparse_types, dense_shapes):
    return _parse_example_kernel(
        serialized, names, _v1_keys(sparse_keys), _v1_keys(dense_keys), None, dense_defaults,
        num_sparse=len(sparse_keys), sparse_types=sparse_types, ragged_value_types=[],
        ragged_split_types=[], dense_shapes=dense_shapes)


def _parse_example_v1_infer(serialized, names, sparse_keys, dense_keys, dense_defaults, *,
                            sparse_types, dense_shapes):
    if serialized.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {serialized.shape.rank}")
    return _parse_example_infer(
        serialized, names, None, _string_vector(len(dense_keys)), None, dense_defaults,
        num_sparse=len(sparse_keys), sparse_types=sparse_types, ragged_value_types=[],
        ragged_split_types=[], dense_shapes=dense_shapes)


PARSE_EXAMPLE = register(OpDef(
    "ParseExample",
    inputs=["serialized:string", "names:string", "sparse_keys:Nsparse*string",
            "dense_keys:Ndense*string", "dense_defaults:list(Tdense)"],
    attrs={"sparse_types": req("list(type)"), "dense_shapes": req("list(shape)")},
    kernel=_parse_example_v1_kernel, infer=_parse_example_v1_infer, grad=NOT_DIFFERENTIABLE,
    doc="TF 1.x's ParseExample: ParseExampleV2 with the keys as separate scalar inputs",
))


def _parse_single_kernel(serialized, dense_defaults, *, num_sparse, sparse_keys, dense_keys,
                         sparse_types, dense_shapes):
    return _parse_example_kernel(
        serialized, np.zeros([0], object), _v1_keys([k.encode() for k in sparse_keys]),
        _v1_keys([k.encode() for k in dense_keys]),
        None, dense_defaults, num_sparse=num_sparse, sparse_types=sparse_types,
        ragged_value_types=[], ragged_split_types=[], dense_shapes=dense_shapes)


def _parse_single_infer(serialized, dense_defaults, *, num_sparse, sparse_keys, dense_keys,
                        sparse_types, dense_shapes):
    if serialized.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {serialized.shape.rank}")
    if len(dense_keys) != len(dense_shapes):
        raise shape_error(f"len(dense_keys) != len(dense_shapes): {len(dense_keys)} vs. "
                          f"{len(dense_shapes)}")
    return _parse_example_infer(
        serialized, None, None, _string_vector(len(dense_keys)), None, dense_defaults,
        num_sparse=num_sparse, sparse_types=sparse_types, ragged_value_types=[],
        ragged_split_types=[], dense_shapes=dense_shapes)


PARSE_SINGLE_EXAMPLE = register(OpDef(
    "ParseSingleExample", inputs=["serialized:string", "dense_defaults:list(Tdense)"],
    attrs={"num_sparse": req("int"), "sparse_keys": req("list(string)"),
           "dense_keys": req("list(string)"), "sparse_types": req("list(type)"),
           "dense_shapes": req("list(shape)")},
    kernel=_parse_single_kernel, infer=_parse_single_infer, grad=NOT_DIFFERENTIABLE,
    doc="TF 1.x's ParseSingleExample: ParseExampleV2 of one record, keys as attrs",
))


# -- DecodeRaw ---------------------------------------------------------------------------------
_RAW_DTYPES = (_dt.float16, _dt.float32, _dt.float64, _dt.int32, _dt.uint16, _dt.uint8,
               _dt.int16, _dt.int8, _dt.int64, _dt.bool)
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
        if default is None:
            default = b"" if dtype == _dt.string else 0
        value = _as_array(default, np_dtype)
        if value.size != 1:
            raise ValueError(f"Feature '{key}': the default_value of a FixedLenSequenceFeature "
                             f"is a scalar padding value, got shape {value.shape}")
        return dtype, TensorShape([None] + dims), value.reshape(())
    if default is None:  # required: an empty default tells the kernel so
        return dtype, TensorShape(dims), np.zeros([0], dtype=np_dtype)
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
        defaults = [constant(d, dtype, name="Const") for dtype, _, d in configs]
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
    from ..sparse_tensor import SparseTensor

    n = len(skeys)
    result = {k: SparseTensor(outs[i], outs[n + i], outs[2 * n + i])
              for i, k in enumerate(skeys)}
    result.update(zip(keys, outs[3 * n:]))
    return result


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

