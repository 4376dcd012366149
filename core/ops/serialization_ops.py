"""Tensors and SparseTensors as serialized TensorProto strings, as TensorFlow's:
SerializeTensor / ParseTensor, SerializeSparse / SerializeManySparse and DeserializeSparse /
DeserializeManySparse (out_type string only: minitf has no variant), with TF1's functions
(``tf.serialize_tensor`` ...; core/ops/string_extra_ops.py exports them at the root). Encoding
is summary_ops.tensor_proto (TF's AsProtoTensorContent); decoding core/string_extra.py. None is
differentiable."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from .. import string_extra as _impl
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..sparse_tensor import SparseTensor, convert_to_sparse
from ..string_extra import string_tensor as _str
from .summary_ops import tensor_proto

__all__: list[str] = []  # the public functions are exported by string_extra_ops


def _serialize_tensor(tensor):
    out = np.empty((), object)
    out[()] = tensor_proto(np.asarray(tensor))
    return out


SERIALIZE_TENSOR = register(OpDef(
    "SerializeTensor", inputs=["tensor:T"], kernel=_serialize_tensor,
    infer=lambda t: [TensorSpec([], _dt.string)], grad=NOT_DIFFERENTIABLE,
    doc="The tensor as a serialized TensorProto (TF's AsProtoTensorContent).",
))


def _parse_tensor(serialized, *, out_type):
    s = np.asarray(serialized, object)
    if s.ndim:
        raise InvalidArgumentError(None, None, "Expected `serialized` to be a scalar, got "
                                   f"shape: [{','.join(map(str, s.shape))}]")
    value = _impl.parse_tensor_proto(s[()])
    got = _dt.from_numpy(value)
    if got is not out_type:
        raise InvalidArgumentError(None, None, f"Type mismatch between parsed tensor ({got.name})"
                                   f" and dtype ({out_type.name})")
    return value


def _parse_tensor_infer(serialized, *, out_type):
    # TF's shape function is UnknownShape: a non-scalar input fails in the kernel, at run time.
    return [TensorSpec(None, out_type)]


PARSE_TENSOR = register(OpDef(
    "ParseTensor", inputs=["serialized:string"], attrs={"out_type": req("type")},
    kernel=_parse_tensor, infer=_parse_tensor_infer, grad=NOT_DIFFERENTIABLE,
    doc="The tensor a serialized TensorProto holds; its dtype must be out_type.",
))


def _check_sparse(indices, values, shape):
    indices, shape = np.asarray(indices), np.asarray(shape)
    if indices.ndim != 2 or np.ndim(values) != 1 or shape.ndim != 1 or \
            indices.shape[0] != np.shape(values)[0] or indices.shape[1] != shape.size:
        raise InvalidArgumentError(None, None, "Input SparseTensor is malformed: indices "
                                   f"{list(indices.shape)}, values {list(np.shape(values))}, "
                                   f"shape {list(shape.shape)}")
    return indices, np.asarray(values), shape


def _triple(indices, values, shape) -> list:
    return [tensor_proto(np.asarray(indices, np.int64)), tensor_proto(np.asarray(values)),
            tensor_proto(np.asarray(shape, np.int64))]


def _serialize_sparse(indices, values, shape, *, out_type):
    out = np.empty(3, object)
    out[:] = _triple(*_check_sparse(indices, values, shape))
    return out


def _serialize_many_sparse(indices, values, shape, *, out_type):
    indices, values, shape = _check_sparse(indices, values, shape)
    if shape.size < 2:
        raise InvalidArgumentError(None, None, "Rank of input SparseTensor should be > 1, but "
                                   f"saw rank: {shape.size}")
    rows = indices[:, 0]
    if np.any((rows < 0) | (rows >= shape[0])):
        raise InvalidArgumentError(None, None, f"Input SparseTensor has indices out of range of "
                                   f"its first dimension {int(shape[0])}")
    out = np.empty((int(shape[0]), 3), object)
    for i in range(out.shape[0]):  # each minibatch entry: its entries, without the batch index
        hit = rows == i
        out[i] = _triple(indices[hit, 1:], values[hit], shape[1:])
    return out


def _serialize_infer(many):
    def infer(indices, values, shape, *, out_type):
        if out_type is not _dt.string:
            raise shape_error(f"out_type must be string (minitf has no variant), got "
                              f"{out_type.name}")
        return [TensorSpec([None, 3] if many else [3], _dt.string)]
    return infer


SERIALIZE_SPARSE = register(OpDef(
    "SerializeSparse", inputs=["sparse_indices:int64", "sparse_values:T", "sparse_shape:int64"],
    attrs={"out_type": _dt.string}, kernel=_serialize_sparse, infer=_serialize_infer(False),
    grad=NOT_DIFFERENTIABLE, doc="A SparseTensor as 3 serialized TensorProtos.",
))
SERIALIZE_MANY_SPARSE = register(OpDef(
    "SerializeManySparse",
    inputs=["sparse_indices:int64", "sparse_values:T", "sparse_shape:int64"],
    attrs={"out_type": _dt.string}, kernel=_serialize_many_sparse,
    infer=_serialize_infer(True), grad=NOT_DIFFERENTIABLE,
    doc="Each minibatch entry of a SparseTensor as a row of 3 serialized TensorProtos.",
))


def _deserialize(serialized, *, dtype):
    """The SparseTensors of ``serialized`` ([..., 3]) stacked along its leading dimensions;
    the dense shape is their element-wise largest."""
    s = np.asarray(serialized, object)
    if s.ndim < 1 or s.shape[-1] != 3:
        raise InvalidArgumentError(None, None, "Serialized sparse should have 3 as the last "
                                   f"dimension, got shape {list(s.shape)}")
    lead = s.shape[:-1]
    parts, rank = [], None
    for n, (si, sv, ss) in enumerate(s.reshape(-1, 3)):
        ind, val, shp = (_impl.parse_tensor_proto(x) for x in (si, sv, ss))
        if _dt.from_numpy(val) is not dtype:
            raise InvalidArgumentError(None, None, f"Requested SparseTensor of type "
                                       f"{dtype.name} but SparseTensor[{n}].values.dtype() == "
                                       f"{_dt.from_numpy(val).name}")
        _check_sparse(ind, val, shp)
        if rank is not None and shp.size != rank:
            raise InvalidArgumentError(None, None, "Inconsistent shape across SparseTensors: "
                                       f"rank prior to SparseTensor[{n}] was: {rank} but rank "
                                       f"of SparseTensor[{n}] is: {shp.size}")
        rank = shp.size
        position = np.array(np.unravel_index(n, lead), np.int64) if lead else np.zeros(0)
        parts.append((np.hstack([np.tile(position, (len(ind), 1)), ind]).astype(np.int64),
                      val, shp))
    if not parts:
        return [np.zeros((0, len(lead)), np.int64), np.zeros(0, dtype.as_numpy_dtype),
                np.array(lead, np.int64)]
    shape = np.max([p[2] for p in parts], axis=0) if rank else np.zeros(0, np.int64)
    return [np.concatenate([p[0] for p in parts]).reshape(-1, len(lead) + rank),
            np.concatenate([p[1] for p in parts]).astype(dtype.as_numpy_dtype),
            np.concatenate([np.array(lead, np.int64), shape]).astype(np.int64)]


def _deserialize_infer(serialized, *, dtype):
    if serialized.shape.rank == 0 or (serialized.shape.rank and
                                      serialized.shape[-1].value not in (None, 3)):
        raise shape_error(f"Serialized sparse should have 3 as the last dimension, got shape "
                          f"{serialized.shape}")
    return [TensorSpec([None, None], _dt.int64), TensorSpec([None], dtype),
            TensorSpec([None], _dt.int64)]


DESERIALIZE_SPARSE = register(OpDef(
    "DeserializeSparse", inputs=["serialized_sparse:Tserialized=string"],
    attrs={"dtype": req("type")}, kernel=_deserialize, infer=_deserialize_infer,
    grad=NOT_DIFFERENTIABLE, doc="SparseTensors serialized as [..., 3] stacked into one.",
))
DESERIALIZE_MANY_SPARSE = register(OpDef(
    "DeserializeManySparse", inputs=["serialized_sparse:string"],
    attrs={"dtype": req("type")}, kernel=_deserialize, infer=_deserialize_infer,
    grad=NOT_DIFFERENTIABLE, doc="SparseTensors serialized as [N, 3] stacked into one.",
))


# -- public functions ----------------------------------------------------------------------------
def serialize_tensor(tensor, name=None):
    """``tensor`` as a scalar string holding its serialized TensorProto."""
    return SERIALIZE_TENSOR(convert_to_tensor(tensor, name="tensor"),
                            name=name or "SerializeTensor")


def parse_tensor(serialized, out_type, name=None):
    """The tensor in a serialized TensorProto; its dtype must be ``out_type``."""
    serialized = _str(serialized, "serialized")
    return PARSE_TENSOR(serialized, out_type=out_type, name=name or "ParseTensor")


def serialize_sparse(sp_input, name=None, out_type=_dt.string):
    """A SparseTensor as a [3] string vector (indices, values, shape as TensorProtos)."""
    sp = convert_to_sparse(sp_input)
    return SERIALIZE_SPARSE(sp.indices, sp.values, sp.dense_shape, out_type=out_type,
                            name=name or "SerializeSparse")


def serialize_many_sparse(sp_input, name=None, out_type=_dt.string):
    """Each minibatch entry (first dimension) of a SparseTensor as a row of an [N, 3] string
    matrix."""
    sp = convert_to_sparse(sp_input)
    return SERIALIZE_MANY_SPARSE(sp.indices, sp.values, sp.dense_shape, out_type=out_type,
                                 name=name or "SerializeManySparse")


def deserialize_many_sparse(serialized_sparse, dtype, rank=None, name=None):
    """The SparseTensor whose minibatch entries the rows of ``serialized_sparse`` ([N, 3], from
    serialize_many_sparse or serialize_sparse) hold; ``rank`` sets the static rank."""
    outs = DESERIALIZE_MANY_SPARSE(_str(serialized_sparse, "serialized_sparse"), dtype=dtype,
                                   name=name or "DeserializeManySparse")
    indices, values, shape = outs
    if rank is not None:
        indices.set_shape([None, rank])
        shape.set_shape([rank])
    return SparseTensor(indices, values, shape)


