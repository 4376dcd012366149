"""TensorProto <-> numpy, TensorShapeProto <-> TensorShape, DataType <-> DType.

Writers follow TensorFlow's ``make_tensor_proto``: numeric tensors with more than one element
as raw little-endian ``tensor_content``, scalars, bools and strings in the typed value lists.
Readers accept both, decode ``tensor_content`` zero-copy (``np.frombuffer``) and apply
TensorFlow's fill rule to short value lists (the last value repeats; none means zeros).
"""

from __future__ import annotations

import numpy as np

from minitf import _wire
from minitf import dtypes as _dt
from minitf.errors import InvalidArgumentError, UnimplementedError
from minitf.protos import tensor_pb2, tensor_shape_pb2
from minitf.tensor_shape import TensorShape

# Expanding a list of several values beyond this many elements is refused: a corrupt shape must
# not make a loader allocate gigabytes. (A fill from one value, or none, costs nothing: a view.)
MAX_FILLED_ELEMENTS = 1 << 28

_CONTENT_DTYPES = frozenset({_dt.float16, _dt.float32, _dt.float64, _dt.int8, _dt.int16,
                             _dt.int32, _dt.int64, _dt.uint8, _dt.uint16, _dt.uint32,
                             _dt.uint64}) | _dt.QUANTIZED_DTYPES

# dtype -> (value-list field, numpy type the list holds)
_VAL_FIELD = {
    _dt.float32: "float_val", _dt.float64: "double_val", _dt.int32: "int_val",
    _dt.int16: "int_val", _dt.int8: "int_val", _dt.uint8: "int_val", _dt.uint16: "int_val",
    _dt.int64: "int64_val", _dt.uint32: "uint32_val", _dt.uint64: "uint64_val",
    _dt.bool: "bool_val", _dt.float16: "half_val", _dt.string: "string_val",
    _dt.complex64: "scomplex_val", _dt.complex128: "dcomplex_val",
    # TF keeps the quantized types' values in int_val too (tensor_util.MakeNdarray)
    **{d: "int_val" for d in _dt.QUANTIZED_DTYPES},
}


# The dtypes whose tensor values minitf does not read (resource_handle_val, variant_val).
_NO_VALUE = {_dt.resource: "DataType DT_RESOURCE has no tensor value minitf can read",
             _dt.variant: "DT_VARIANT tensors are not supported"}


def dtype_from_enum(enum: int, what: str = "tensor") -> _dt.DType:
    if enum == 0:
        raise InvalidArgumentError(None, None, f"{what}: dtype is DT_INVALID (unset)")
    try:
        return _dt.as_dtype(int(enum))
    except TypeError:
        raise UnimplementedError(None, None, f"{what}: DataType {_enum_name(enum)} is not "
                                 "supported by minitf") from None


def _enum_name(enum: int) -> str:
    from minitf.protos import types_pb2

    try:
        return types_pb2.DataType.Name(enum)
    except ValueError:
        return str(enum)


# -- shapes ---------------------------------------------------------------------------------------
def shape_to_proto(shape, proto=None) -> tensor_shape_pb2.TensorShapeProto:
    proto = proto if proto is not None else tensor_shape_pb2.TensorShapeProto()
    # A scalar has no dims: mark the (sub)message present anyway, so a scalar shape attr is
    # written as `shape {}` (as TensorFlow does), not as an AttrValue with no value.
    proto.SetInParent()
    dims = TensorShape(shape).as_tuple()
    if dims is None:
        proto.unknown_rank = True
    else:
        for d in dims:
            proto.dim.add().size = -1 if d is None else d
    return proto


def shape_from_proto(proto, what: str = "shape") -> TensorShape:
    if proto.unknown_rank:
        if len(proto.dim):
            raise InvalidArgumentError(None, None, f"{what}: unknown_rank is set but dims are "
                                       "given")
        return TensorShape(None)
    dims = []
    for d in proto.dim:
        if d.size < -1:
            raise InvalidArgumentError(None, None, f"{what}: dimension {d.size} is invalid")
        dims.append(None if d.size == -1 else d.size)
    return TensorShape(dims)


# -- tensors ----------------------------------------------------------------------------------
def make_tensor_proto(values, dtype=None, shape=None, with_content: bool = True,
                      fields_only: bool = False):
    """A TensorProto for ``values`` (TF's encoding). ``with_content=False`` leaves out
    ``tensor_content`` so a writer can stream the raw bytes itself; ``fields_only`` puts every
    value in its typed list, as TF's C++ ``Tensor::AsProtoField`` does (TF Serving's Predict
    answers so, and clients read ``float_val``)."""
    if dtype is not None:
        dtype = _dt.as_dtype(dtype)
        if dtype.is_quantized:  # TF's structured array, or its storage integers
            arr = np.asarray(values)
            arr = arr.view(dtype._np) if arr.dtype.names else arr.astype(dtype._np, copy=False)
        else:
            arr = np.asarray(values, dtype=dtype.as_numpy_dtype if dtype is not _dt.string
                             else object)
    else:
        arr = np.asarray(values)
        dtype = _dt.from_numpy(arr)
        arr = _dt.storage_view(arr)  # a quantized (structured) array: its integers
    if shape is not None:
        arr = np.broadcast_to(arr, tuple(shape)) if arr.size == 1 else arr.reshape(shape)
    proto = tensor_pb2.TensorProto()
    proto.dtype = dtype.as_datatype_enum
    shape_to_proto(arr.shape, proto.tensor_shape)
    if with_content and not fields_only and arr.size > 1 and not any(arr.strides):
        # one value repeated (make_ndarray's view of a fill): written back compact, as TF
        # keeps the proto it read (TF's fill rule repeats the last value)
        arr = arr[(slice(0, 1),) * arr.ndim].reshape(1)
    elif not fields_only and uses_content(dtype, arr.size):
        if with_content:
            proto.tensor_content = little_endian(arr).tobytes()
        return proto
    field = _VAL_FIELD[dtype]
    flat = arr.reshape(-1)
    if dtype is _dt.string:
        proto.string_val.extend(v if isinstance(v, bytes) else str(v).encode() for v in flat)
    elif dtype is _dt.float16:
        proto.half_val.extend(flat.astype(np.float16).view(np.uint16).tolist())
    elif dtype in _PACKED_FIXED:
        if flat.size:  # the packed field's wire bytes are the little-endian array itself
            number, little = _PACKED_FIXED[dtype]
            proto.MergeFromString(_wire.length_delimited(number, flat.astype(little).tobytes()))
    else:
        getattr(proto, field).extend(flat.tolist())
    return proto


# float_val and double_val are packed fixed-width fields: parsing their bytes is ~8x faster
# than extending them with Python floats. scomplex_val/dcomplex_val are packed floats too, a
# (real, imaginary) pair per value: the bytes of the little-endian complex array. TF writes
# complex tensors only there, never in tensor_content.
_PACKED_FIXED = {
    dt: (tensor_pb2.TensorProto.DESCRIPTOR.fields_by_name[_VAL_FIELD[dt]].number, little)
    for dt, little in ((_dt.float32, "<f4"), (_dt.float64, "<f8"), (_dt.complex64, "<c8"),
                       (_dt.complex128, "<c16"))}


def uses_content(dtype: _dt.DType, size: int) -> bool:
    return dtype in _CONTENT_DTYPES and size > 1


def little_endian(arr: np.ndarray) -> np.ndarray:
    arr = np.ascontiguousarray(arr)
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return arr


def make_ndarray(proto, what: str = "tensor", content=None,
                 max_filled: int | None = None) -> np.ndarray:
    """The numpy value of a TensorProto (read-only when it views ``tensor_content``).

    ``content`` overrides ``proto.tensor_content`` with a buffer the caller already holds
    (the zero-copy loader passes a memoryview of the file). A short value list fills the
    shape (the last value repeats): by default a fill from one value (or none: zeros) is a
    read-only ``np.broadcast_to`` view, so a few bytes of a GraphDef cannot make an import
    allocate gigabytes (TF decodes a Const only when it runs; minitf's kernels never write
    into their inputs), and a fill from several values is materialized, up to
    MAX_FILLED_ELEMENTS. An explicit ``max_filled`` caps every fill and materializes it
    (servers pass a small cap: a request must not make the model compute on gigabytes).
    """
    dtype = dtype_from_enum(proto.dtype, what)
    if dtype in _NO_VALUE:  # a handle to run-time state, or a variant: no value list holds it
        raise UnimplementedError(None, None, f"{what}: {_NO_VALUE[dtype]}")
    shape = shape_from_proto(proto.tensor_shape, f"{what} shape")
    if not shape.is_fully_defined():
        raise InvalidArgumentError(None, None, f"{what}: a tensor value must have a fully "
                                   f"defined shape, got {shape}")
    dims = tuple(shape.as_list())
    n = 1
    for d in dims:
        n *= d
    raw = content if content is not None else proto.tensor_content
    if len(raw):
        if dtype is _dt.string:
            raise InvalidArgumentError(None, None, f"{what}: string tensors cannot use "
                                       "tensor_content")
        np_type = np.dtype(dtype._np).newbyteorder("<")
        if len(raw) != n * np_type.itemsize:
            raise InvalidArgumentError(
                None, None, f"{what}: tensor_content has {len(raw)} bytes, but a {dtype.name} "
                f"tensor of shape {list(dims)} needs {n * np_type.itemsize}")
        arr = np.frombuffer(raw, dtype=np_type).reshape(dims)
        if dtype is _dt.bool and n and arr.view(np.uint8).max() > 1:
            # TensorFlow refuses such bytes too; numpy would keep them as odd "True"s.
            raise InvalidArgumentError(None, None, f"{what}: bool tensor_content holds bytes "
                                       "other than 0 and 1")
        if np_type.byteorder not in ("=", "|") and not np_type.isnative:
            arr = arr.astype(np_type.newbyteorder("="))
        return _quantized(arr, dtype)
    field = _VAL_FIELD.get(dtype)
    values = getattr(proto, field)
    count = len(values) // 2 if dtype.is_complex else len(values)
    if count > n:
        raise InvalidArgumentError(None, None, f"{what}: {count} values for a tensor of shape "
                                   f"{list(dims)} ({n} elements)")
    as_view = max_filled is None and count <= 1 < n
    cap = MAX_FILLED_ELEMENTS if max_filled is None else max_filled
    if count < n and n > cap and not as_view:
        raise InvalidArgumentError(None, None, f"{what}: shape {list(dims)} is too large to fill "
                                   f"from {count} values")
    if dtype is _dt.string:
        flat = np.empty(count, dtype=object)
        flat[:] = list(values)
    elif dtype is _dt.float16:
        flat = np.array(values, dtype=np.uint16 if count else np.uint16).view(np.float16)
    elif dtype.is_complex:
        flat = _complex_pairs(values, dtype, what)
    else:
        np_type = dtype._np
        try:
            flat = np.array(values, dtype=np_type)
        except OverflowError:
            raise InvalidArgumentError(None, None, f"{what}: a value is out of range for "
                                       f"{dtype.name}") from None
    if count == n:
        return _quantized(flat.reshape(dims), dtype)
    if as_view:
        one = flat[-1:] if count else (np.zeros(1, dtype=flat.dtype) if dtype is not _dt.string
                                       else np.array([b""], dtype=object))
        return _quantized(np.broadcast_to(one.reshape(()), dims), dtype)  # read-only
    out = np.zeros(n, dtype=flat.dtype) if dtype is not _dt.string else \
        np.full(n, b"", dtype=object)
    if count:
        out[:count] = flat
        out[count:] = flat[-1]  # TensorFlow repeats the last value to fill the shape
    return _quantized(out.reshape(dims), dtype)


def _quantized(arr: np.ndarray, dtype: _dt.DType) -> np.ndarray:
    """A quantized tensor's value as TF's MakeNdarray gives it: a structured array (a Const
    holds it so, and its kernel views the integers)."""
    return arr.view(dtype.as_numpy_dtype) if dtype.is_quantized else arr


def _complex_pairs(values, dtype: _dt.DType, what: str) -> np.ndarray:
    """scomplex_val/dcomplex_val, (real, imaginary) pairs, as complex numbers."""
    if len(values) % 2:
        raise InvalidArgumentError(None, None, f"{what}: {dtype.name} values come in (real, "
                                   f"imaginary) pairs, got {len(values)} numbers")
    return np.array(values, dtype=dtype.real_dtype.as_numpy_dtype).view(dtype.as_numpy_dtype)
