"""DecodeLibsvm (TF 1.x's tf.contrib.libsvm kernel): LibSVM text records ("label idx:value
...") to a label tensor and the (indices, values, shape) of a SparseTensor of features, parsed
as TF's kernel parses them (core/contrib/libsvm.py wraps it)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req
from ..tensor_shape import TensorShape
from .string_ops import _C_SPACE, _INT_SYNTAX, _parse_float

__all__: list[str] = []

_TYPES = (_dt.float32, _dt.float64, _dt.int32, _dt.int64)


def _number(text: bytes, dtype):
    """TF's SafeStringToNumeric: surrounding whitespace allowed; None when it does not parse
    (or an integer is out of the type's range)."""
    text = text.strip(_C_SPACE)
    np_type = dtype.as_numpy_dtype
    if dtype.is_integer:
        if not _INT_SYNTAX.fullmatch(text):
            return None
        value = int(text)
        info = np.iinfo(np_type)
        return np_type(value) if info.min <= value <= info.max else None
    return _parse_float(text, np_type)


def _check_attrs(dtype, label_dtype, num_features):
    """TF's OpDef constraints, checked when the op is built (TypeError / ValueError as TF's
    op_def_library raises them)."""
    for name, t in (("dtype", dtype), ("label_dtype", label_dtype)):
        if t not in _TYPES:
            raise TypeError(f"Value passed to parameter '{name}' has DataType {t.name} not in "
                            "list of allowed values: float32, float64, int32, int64")
    if num_features < 1:
        raise ValueError(f"Attr 'num_features' of 'DecodeLibsvm' Op passed {num_features} "
                         "less than minimum 1.")


def _decode_kernel(input, *, dtype, label_dtype, num_features):  # noqa: A002 - TF's name
    if num_features < 1:  # (a GraphDef's node skips graph construction's checks)
        raise InvalidArgumentError(None, None, f'Invalid number of features "{num_features}"')
    records = np.asarray(input, dtype=object)
    labels = np.empty(records.shape, label_dtype.as_numpy_dtype)
    flat_labels = labels.reshape(-1)
    rows, features, values = [], [], []
    for i, record in enumerate(records.reshape(-1)):
        text = record.decode(errors="replace")
        entries = [e for e in record.split(b" ") if e]  # TF splits on spaces only
        if not entries:
            raise InvalidArgumentError(None, None, f'No entries found for input[{i}]: "{text}"')
        label = _number(entries[0], label_dtype)
        if label is None:
            raise InvalidArgumentError(
                None, None, f"Label format incorrect: {entries[0].decode(errors='replace')}")
        flat_labels[i] = label
        for entry in entries[1:]:
            shown = entry.decode(errors="replace")
            pair = entry.split(b":")
            if len(pair) != 2:
                raise InvalidArgumentError(None, None, f'Invalid feature "{shown}"')
            index = _number(pair[0], _dt.int64)
            if index is None:
                raise InvalidArgumentError(None, None, f"Feature format incorrect: {shown}")
            if index < 0:
                raise InvalidArgumentError(None, None,
                                           f"Feature index should be >= 0, got {index}")
            value = _number(pair[1], dtype)
            if value is None:
                raise InvalidArgumentError(None, None, f"Feature format incorrect: {shown}")
            rows.append(i)
            features.append(int(index))
            values.append(value)
    # A feature's index: its record's position in the input's shape, then the feature index.
    position = np.zeros((len(rows), 0), np.int64) if records.ndim == 0 else np.array(
        np.unravel_index(np.asarray(rows, np.int64), records.shape), np.int64).T
    indices = np.concatenate([position, np.asarray(features, np.int64).reshape(-1, 1)], axis=1)
    shape = np.asarray(list(records.shape) + [num_features], np.int64)
    return [labels, indices, np.asarray(values, dtype.as_numpy_dtype), shape]


def _decode_infer(input, *, dtype, label_dtype, num_features):  # noqa: A002
    _check_attrs(dtype, label_dtype, num_features)
    rank = input.shape.rank
    return [TensorSpec(input.shape, label_dtype),
            TensorSpec(TensorShape([None, None]), _dt.int64),
            TensorSpec(TensorShape([None]), dtype),
            TensorSpec(TensorShape([None if rank is None else rank + 1]), _dt.int64)]


DECODE_LIBSVM = register(OpDef(
    "DecodeLibsvm", inputs=["input:string"],
    attrs={"dtype": _dt.float32, "label_dtype": _dt.int64, "num_features": req("int")},
    kernel=_decode_kernel, infer=_decode_infer, grad=NOT_DIFFERENTIABLE,
    doc="LibSVM records to labels and a SparseTensor's (indices, values, shape) of features.",
))
