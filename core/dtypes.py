"""TensorFlow's dtypes: names, enum values (types.proto) and numpy equivalents."""

from __future__ import annotations

import builtins

import numpy as np


class DType:
    """A tensor element type. Compare with ``==``; ``as_numpy_dtype`` gives the numpy type."""

    __slots__ = ("_name", "_enum", "_np", "_numpy")

    def __init__(self, name: str, enum: int, np_type, numpy_dtype=None):
        self._name = name
        self._enum = enum
        # ``_np`` is the numpy type of the arrays minitf computes with; ``as_numpy_dtype`` is
        # TensorFlow's answer. They differ only for the quantized types: TF names a structured
        # dtype (``np.dtype([("qint8", "i1")])``), but its Session.run returns, and takes as
        # feeds, plain arrays of the storage integer type, so minitf's values are those.
        self._np = np_type
        self._numpy = np_type if numpy_dtype is None else numpy_dtype

    name = property(lambda self: self._name)
    as_datatype_enum = property(lambda self: self._enum)
    as_numpy_dtype = property(lambda self: self._numpy)
    base_dtype = property(lambda self: self)
    # complex64 -> float32, complex128 -> float64; every other type is its own real type.
    real_dtype = property(lambda self: _REAL_OF.get(self._name, self))
    is_floating = property(lambda self: self._name in ("float16", "float32", "float64"))
    is_integer = property(lambda self: self._name.startswith(("int", "uint")))
    is_unsigned = property(lambda self: self._name.startswith("uint"))  # (bool is not, in TF)
    is_bool = property(lambda self: self._name == "bool")
    is_complex = property(lambda self: self._name in ("complex64", "complex128"))
    is_quantized = property(lambda self: self._name in _QUANTIZED_NAMES)
    # resource and variant hold Python objects here; TF has no numpy type for them.
    is_numpy_compatible = property(lambda self: self._name not in _OPAQUE_NAMES)

    @property
    def size(self) -> int:
        if self._name == "string" or self._name in _OPAQUE_NAMES:  # no fixed width (TF: 0)
            return 0
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
        """TF's TypeErrors (and words) for a type with no numeric range: quantized types
        (their range is a pair of floats beside them), bool, string, complex (unordered)."""
        if self.is_quantized or self._name in ("bool", "string", "complex64", "complex128"):
            kind = "quantized type" if self.is_quantized else "type"
            raise TypeError(f"Cannot find {what} value of {self} with {kind} {self}.")
        if self._name in _OPAQUE_NAMES:
            raise TypeError(f"Cannot find {what} value of {self}.")

    @property
    def limits(self, clip_negative=True):
        """TF's intensity limits ``(min, max)`` (images): a property, so ``clip_negative``
        keeps its default and the min is always 0, as in TF; floats are (0, 1)."""
        if self._name not in _LIMITS:
            raise ValueError(f"{self} does not have defined limits.")
        low, high = _LIMITS[self._name]
        if clip_negative:
            low = 0
        return low, high

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

    def __str__(self):  # print(tf.float32), as TensorFlow prints it
        return f"<dtype: '{self._name}'>"

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
# The quantized types (types.proto): integers whose real value is given by a float range that
# travels beside them (QuantizeV2's output_min/output_max).
_QUANTIZED_NAMES = frozenset({"qint8", "quint8", "qint16", "quint16", "qint32"})
qint8 = DType("qint8", 11, np.int8, np.dtype([("qint8", np.int8)]))
quint8 = DType("quint8", 12, np.uint8, np.dtype([("quint8", np.uint8)]))
qint16 = DType("qint16", 15, np.int16, np.dtype([("qint16", np.int16)]))
quint16 = DType("quint16", 16, np.uint16, np.dtype([("quint16", np.uint16)]))
qint32 = DType("qint32", 13, np.int32, np.dtype([("qint32", np.int32)]))
QUANTIZED_DTYPES = frozenset({qint8, quint8, qint16, quint16, qint32})
_OPAQUE_NAMES = frozenset({"resource", "variant"})
# TF's dtype_range (dtypes.py), which ``DType.limits`` reads.
_LIMITS = {"bool": (False, True), "uint8": (0, 255), "uint16": (0, 65535), "int8": (-128, 127),
           "int16": (-32768, 32767), "int64": (-(2**63), 2**63 - 1), "uint64": (0, 2**64 - 1),
           "int32": (-(2**31), 2**31 - 1), "uint32": (0, 2**32 - 1), "float32": (-1, 1),
           "float64": (-1, 1)}
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
_BY_NAME.update({d.name: d for d in QUANTIZED_DTYPES})
_BY_ENUM.update({d.as_datatype_enum: d for d in QUANTIZED_DTYPES})
_BY_NP.update({d.as_numpy_dtype: d for d in QUANTIZED_DTYPES})  # the structured dtypes
_REAL_OF = {"complex64": float32, "complex128": float64}
_BY_NP[np.dtype(np.bytes_)] = string

# TensorFlow's lower-case spelling in runtime messages ("with dtype float").
_TF_STRING = {"float32": "float", "float64": "double", "float16": "half"}


# TF's _PYTHON_TO_TF: Python's float is float32 (tf.placeholder(float)), bool and object are
# bool and string; TF refuses the other builtin types numpy would read (int as int64, ...).
_PYTHON_TYPES = {builtins.float: float32, builtins.bool: bool, builtins.object: string,
                 builtins.int: None, builtins.complex: None, builtins.str: None,
                 builtins.bytes: None}


def dtype_string(d: DType) -> str:
    return _TF_STRING.get(d.name, d.name)


def as_dtype(type_value) -> DType:
    """Converts a DType, name, numpy dtype/type or TensorFlow enum value to a DType."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, type) and type_value in _PYTHON_TYPES:  # (numpy: float64)
        d = _PYTHON_TYPES[type_value]
        if d is not None:
            return d
    elif isinstance(type_value, str):
        d = _BY_NAME.get(type_value)
        if d is not None:
            return d
    elif type_value is None:  # (numpy reads None as float64)
        pass
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
    raise TypeError(f"Cannot convert the argument `type_value`: {type_value!r} to a "
                    "TensorFlow DType.")


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


def quantized_to_numpy(value, dtype: DType) -> np.ndarray:
    """A Python or numpy value as an array of the quantized ``dtype``'s structured numpy dtype,
    with TensorFlow's rules (tensor_util.make_tensor_proto): a numpy value is cast with
    ``astype``; a Python value must be nested lists of tuples of ints, one tuple an element
    (``[(1,), (2,)]``), as TF's quantized types are numpy records."""
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
        if arr.dtype == dtype.as_numpy_dtype:
            return arr
        return arr.astype(dtype._np).view(dtype.as_numpy_dtype)
    _check_quantized_value(value, dtype)
    return np.array(value, dtype=dtype.as_numpy_dtype)


def _check_quantized_value(values, dtype: DType):
    def fail(v):
        raise TypeError(f"Expected {dtype.name}, but got {v!r} of type '{type(v).__name__}'.")

    if isinstance(values, tuple):
        for v in values:
            # (`bool` is a DType in this module, so True and False are tested by identity)
            if not isinstance(v, (int, np.integer)) or v is True or v is False:
                fail(v)
    elif isinstance(values, list):
        for v in values:
            _check_quantized_value(v, dtype)
    else:
        fail(values)


def as_records(value, dtype: DType) -> np.ndarray:
    """A run-time value as checkpoints store it: a quantized ``dtype``'s storage integers as
    its records (so the file names qint8, not int8); any other value as an array."""
    arr = np.asarray(value)
    return quantized_to_numpy(arr, dtype) if dtype.is_quantized else arr


def storage_view(arr: np.ndarray) -> np.ndarray:
    """A quantized (structured) array viewed as its storage integers; others unchanged."""
    d = _BY_NP.get(arr.dtype) if arr.dtype.names else None
    return arr.view(d._np) if d is not None and d.is_quantized else arr
