"""TensorFlow's dtypes: names, enum values (types.proto) and numpy equivalents."""

from __future__ import annotations

import numpy as np


class DType:
    """A tensor element type. Compare with ``==``; ``as_numpy_dtype`` gives the numpy type."""

    __slots__ = ("_name", "_enum", "_np")

    def __init__(self, name: str, enum: int, np_type):
        self._name = name
        self._enum = enum
        self._np = np_type

    name = property(lambda self: self._name)
    as_datatype_enum = property(lambda self: self._enum)
    as_numpy_dtype = property(lambda self: self._np)
    base_dtype = property(lambda self: self)
    # complex64 -> float32, complex128 -> float64; every other type is its own real type.
    real_dtype = property(lambda self: _REAL_OF.get(self._name, self))
    is_floating = property(lambda self: self._name in ("float16", "float32", "float64"))
    is_integer = property(lambda self: self._name.startswith(("int", "uint")))
    is_unsigned = property(lambda self: self._name.startswith("uint") or self._name == "bool")
    is_bool = property(lambda self: self._name == "bool")
    is_complex = property(lambda self: self._name in ("complex64", "complex128"))
    is_quantized = property(lambda self: False)
    is_numpy_compatible = property(lambda self: True)

    @property
    def size(self) -> int:
        return np.dtype(self._np).itemsize

    @property
    def min(self):
        self._check_ordered("minimum")
        return np.finfo(self._np).min if self.is_floating else np.iinfo(self._np).min

    @property
    def max(self):
        self._check_ordered("maximum")
        return np.finfo(self._np).max if self.is_floating else np.iinfo(self._np).max

    def _check_ordered(self, what: str):
        if self.is_complex:  # complex numbers have no order (TF's message)
            raise TypeError(f"Cannot find {what} value of {self!r} with type {self!r}.")

    def is_compatible_with(self, other) -> bool:
        return self == as_dtype(other)

    def __eq__(self, other):
        if isinstance(other, DType):
            return self is other
        try:
            return self is as_dtype(other)
        except TypeError:
            return False

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return self._enum

    def __repr__(self):
        return f"tf.{self._name}"

    def __reduce__(self):
        return as_dtype, (self._name,)


float16 = half = DType("float16", 19, np.float16)
float32 = DType("float32", 1, np.float32)
float64 = double = DType("float64", 2, np.float64)
int8 = DType("int8", 6, np.int8)
int16 = DType("int16", 5, np.int16)
int32 = DType("int32", 3, np.int32)
int64 = DType("int64", 9, np.int64)
uint8 = DType("uint8", 4, np.uint8)
uint16 = DType("uint16", 17, np.uint16)
uint32 = DType("uint32", 22, np.uint32)
uint64 = DType("uint64", 23, np.uint64)
bool = DType("bool", 10, np.bool_)  # noqa: A001 - TensorFlow's public name
complex64 = DType("complex64", 8, np.complex64)
complex128 = DType("complex128", 18, np.complex128)
string = DType("string", 7, np.object_)
# A handle to per-run state (a TensorArray's elements); its values are Python objects.
resource = DType("resource", 20, np.object_)
# A run-time value TF keeps opaque (an Optional's contents); its values are Python objects.
variant = DType("variant", 21, np.object_)

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
        bool, string, complex64, complex128)
_BY_NAME = {d.name: d for d in _ALL + (resource, variant)}
_BY_NAME.update({"half": float16, "float": float32, "double": float64})
_BY_ENUM = {d.as_datatype_enum: d for d in _ALL + (resource, variant)}
_BY_NP = {np.dtype(d.as_numpy_dtype): d for d in _ALL}
_BY_NP[np.dtype(np.str_)] = string
_REAL_OF = {"complex64": float32, "complex128": float64}
_BY_NP[np.dtype(np.bytes_)] = string

# TensorFlow's lower-case spelling in runtime messages ("with dtype float").
_TF_STRING = {"float32": "float", "float64": "double", "float16": "half"}


def dtype_string(d: DType) -> str:
    return _TF_STRING.get(d.name, d.name)


def as_dtype(type_value) -> DType:
    """Converts a DType, name, numpy dtype/type or TensorFlow enum value to a DType."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        d = _BY_NAME.get(type_value)
        if d is not None:
            return d
    elif isinstance(type_value, (int, np.integer)) and not isinstance(type_value, np.bool_):
        d = _BY_ENUM.get(int(type_value) % 100)  # *_REF values are enum + 100
        if d is not None:
            return d
    else:
        try:
            npd = np.dtype(type_value)
        except TypeError:
            npd = None
        if npd is not None:
            if npd.kind in "US":
                return string
            d = _BY_NP.get(npd)
            if d is not None:
                return d
    raise TypeError(f"Cannot convert {type_value!r} to a dtype.")


def from_numpy(arr: np.ndarray) -> DType:
    try:
        return _BY_NP[arr.dtype]
    except KeyError:
        if arr.dtype.kind in "USO":
            return string
        raise TypeError(f"numpy dtype {arr.dtype} has no TensorFlow equivalent") from None


# ``tf.dtypes.cast`` / ``saturate_cast`` / ``as_string``: the root's functions, looked up on
# first use (the op modules import this module, so it cannot import them).
_FUNCTIONS = {"cast": "minitf.ops.math_ops", "saturate_cast": "minitf.composites",
              "as_string": "minitf.strings"}


def __getattr__(name):
    module = _FUNCTIONS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
