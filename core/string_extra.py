"""The algorithms behind core/ops/string_extra_ops.py, kept apart from the op declarations:
TensorFlow's legacy Hash64 and SipHash-2-4 (the string hash buckets), Tensor::SummarizeValue's
print_v2 layout (StringFormat, tf.print) and TensorProto decoding (ParseTensor,
DeserializeManySparse). Encoding a TensorProto is summary_ops.tensor_proto."""

from __future__ import annotations

import importlib
import struct

import numpy as np

from . import dtypes as _dt
from .errors import InvalidArgumentError, UnimplementedError

_M64 = (1 << 64) - 1


# -- hashes ---------------------------------------------------------------------------------------
def hash64(data: bytes, seed: int = 0xDECAFCAFFE) -> int:
    """TensorFlow's Hash64 (tsl/platform/hash.cc): MurmurHash64A over little-endian 8-byte
    words, with TF's default seed. StringToHashBucket buckets by it."""
    m, r = 0xC6A4A7935BD1E995, 47
    n = len(data)
    h = (seed ^ (n * m)) & _M64
    whole = n - n % 8
    for (k,) in struct.iter_unpack("<Q", data[:whole]):
        k = (k * m) & _M64
        k ^= k >> r
        k = (k * m) & _M64
        h = ((h ^ k) * m) & _M64
    tail = data[whole:]
    if tail:  # the 1..7 remaining bytes, little-endian, then one more multiply
        h = ((h ^ int.from_bytes(tail, "little")) * m) & _M64
    h ^= h >> r
    h = (h * m) & _M64
    return h ^ (h >> r)


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _M64


def _sip_round(v0, v1, v2, v3):
    v0 = (v0 + v1) & _M64
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & _M64
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & _M64
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & _M64
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def siphash24(k0: int, k1: int, data: bytes) -> int:
    """SipHash-2-4 of ``data`` under the 128-bit key (k0, k1) (Aumasson and Bernstein), the
    keyed hash of StringToHashBucketStrong (TF calls highwayhash's SipHash)."""
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D,
         k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]
    n = len(data)
    whole = n - n % 8
    last = ((n & 0xFF) << 56) | int.from_bytes(data[whole:], "little")
    words = [w for (w,) in struct.iter_unpack("<Q", data[:whole])] + [last]
    for w in words:
        v[3] ^= w
        v = list(_sip_round(*_sip_round(*v)))
        v[0] ^= w
    v[2] ^= 0xFF
    for _ in range(4):
        v = list(_sip_round(*v))
    return v[0] ^ v[1] ^ v[2] ^ v[3]


# -- Tensor::SummarizeValue(summarize, print_v2=true) ----------------------------------------
def _escape(b: bytes) -> str:
    """absl::Utf8SafeCEscape: C escapes for control bytes, quotes and backslash; bytes >= 0x80
    pass through (decoded leniently for the text)."""
    out = bytearray()
    special = {0x0A: b"\\n", 0x0D: b"\\r", 0x09: b"\\t", 0x22: b'\\"', 0x27: b"\\'",
               0x5C: b"\\\\"}
    for c in b:
        if c in special:
            out += special[c]
        elif c < 0x20 or c == 0x7F:
            out += b"\\%03o" % c
        else:
            out.append(c)
    return out.decode("utf-8", "surrogateescape")


def _float_text(v, short: int, full: int, np_type) -> str:
    """TF's FloatToBuffer / DoubleToBuffer: %.{short}g when it reads back exactly, else
    %.{full}g; a NaN keeps its sign."""
    if np.isnan(v):
        return "-nan" if np.signbit(v) else "nan"
    text = f"{v:.{short}g}"
    return text if np_type(text) == v else f"{v:.{full}g}"


def element_text(v, dtype: np.dtype, print_v2: bool = True) -> str:
    """One element as TF's PrintOneElement(..., print_v2) writes it: PrintV2 (tf.print,
    string_format) quotes strings, the legacy summary (tf.Print, Assert's message) does not;
    both write a complex number as "?" and a half through float."""
    if dtype.kind == "O":
        text = _escape(v if isinstance(v, bytes) else str(v).encode())
        return '"' + text + '"' if print_v2 else text
    if dtype.kind == "c":  # TF has no text for complex elements
        return "?"
    if dtype.kind == "V" and dtype.names:  # a quantized type's value: its integer
        v = v[0]
    if dtype.kind == "b":
        return "1" if v else "0"
    if dtype == np.float64:
        return _float_text(float(v), 15, 17, np.float64)
    if dtype.kind == "f":  # float32, and half via float (TF casts it)
        return _float_text(np.float32(v), 6, 9, np.float32)
    return str(int(v))


def summarize_v2(value, summarize: int) -> str:
    """TF's SummarizeValue with print_v2: numpy-like nested brackets; in each dimension at most
    ``limit`` leading and trailing entries, "..." between them (``limit`` is ``summarize``
    capped at the element count; negative means all)."""
    arr = np.asarray(value)
    flat = arr.reshape(-1)
    limit = flat.size if summarize < 0 else min(summarize, flat.size)
    if limit == 0 and arr.dtype.kind == "b":  # TF 2.21 prints no bool tensor, not even "[]"
        return ""
    if arr.ndim == 0:
        text = " ".join(element_text(v, arr.dtype) for v in flat[:limit])
        return text + ("..." if flat.size > limit else "")
    out: list[str] = []
    _one_dim(arr, 0, 0, limit, out)
    return "".join(out)


def _spacing(dim: int, rank: int, out: list):
    out.append(" " if dim == rank - 1 else "\n" * (rank - dim - 1) + " " * (dim + 1))


def _one_dim(arr, dim: int, start: int, ends: int, out: list):
    """PrintOneDimV2, step for step (its spacing quirks included: an empty dimension shows
    "[\\n ...]")."""
    rank = arr.ndim
    if dim == rank:
        out.append(element_text(arr.reshape(-1)[start], arr.dtype))
        return
    out.append("[")
    count = arr.shape[dim]
    per = int(np.prod(arr.shape[dim + 1:], dtype=np.int64))
    for i in range(min(ends, count)):
        if i:
            _spacing(dim, rank, out)
        _one_dim(arr, dim + 1, start + per * i, ends, out)
    if count > 2 * ends:
        _spacing(dim, rank, out)
        out.append("...")
    for i in range(max(ends, count - ends), count):
        _spacing(dim, rank, out)
        _one_dim(arr, dim + 1, start + per * i, ends, out)
    out.append("]")


# -- TensorProto decoding (Tensor::FromProto) -----------------------------------------------------
# dtype -> the typed value list that holds it when tensor_content is empty
_VAL_FIELD = {
    _dt.float32: "float_val", _dt.float64: "double_val", _dt.int32: "int_val",
    _dt.int16: "int_val", _dt.int8: "int_val", _dt.uint8: "int_val", _dt.uint16: "int_val",
    _dt.int64: "int64_val", _dt.uint32: "uint32_val", _dt.uint64: "uint64_val",
    _dt.bool: "bool_val", _dt.float16: "half_val", _dt.string: "string_val",
}


def parse_tensor_proto(serialized: bytes) -> np.ndarray:
    """The array a serialized TensorProto holds; InvalidArgumentError when the bytes are not
    one, or its values do not fit its shape (TF's ParseTensor messages)."""
    tensor_pb2 = importlib.import_module("minitf.protos.tensor_pb2")  # core: lazily (DESIGN)
    proto = tensor_pb2.TensorProto()
    try:
        proto.ParseFromString(serialized)
    except Exception:  # noqa: BLE001 - protobuf's DecodeError and its C++ variant
        raise InvalidArgumentError(None, None, "Could not parse `serialized` as TensorProto: "
                                   f"'{serialized!r}'") from None
    try:
        dtype = _dt.as_dtype(proto.dtype)
    except TypeError:
        raise UnimplementedError(None, None, f"ParseTensor: DataType {proto.dtype} is not "
                                 "supported by minitf") from None
    shape = [d.size for d in proto.tensor_shape.dim]
    if any(d < 0 for d in shape) or dtype not in _VAL_FIELD:
        raise _unparsable(serialized)
    size = int(np.prod(shape, dtype=np.int64))
    if proto.tensor_content and dtype is not _dt.string:
        np_type = np.dtype(dtype.as_numpy_dtype).newbyteorder("<")
        if len(proto.tensor_content) != size * np_type.itemsize:
            raise _unparsable(serialized)
        flat = np.frombuffer(proto.tensor_content, np_type).astype(np_type.newbyteorder("="))
        return flat.reshape(shape)
    return _from_values(list(getattr(proto, _VAL_FIELD[dtype])), dtype, size,
                        serialized).reshape(shape)


def _from_values(values: list, dtype, size: int, serialized: bytes) -> np.ndarray:
    """TF's value-list rule: more values than elements is an error, fewer repeat the last one,
    none are zeros (empty strings)."""
    np_type = object if dtype is _dt.string else dtype.as_numpy_dtype
    if len(values) > size:
        raise _unparsable(serialized)
    out = np.empty(size, np_type) if dtype is _dt.string else np.zeros(size, np_type)
    if dtype is _dt.string:
        out[:] = b""
    if values:
        if dtype is _dt.float16:  # half_val holds the bit patterns
            values = np.array(values, np.uint16).view(np.float16).tolist()
        out[:len(values)] = values
        out[len(values):] = values[-1]
    return out


def _unparsable(serialized: bytes) -> InvalidArgumentError:
    import base64

    return InvalidArgumentError(None, None, "Could not parse `serialized` as TensorProto, "
                                "base64: " + base64.urlsafe_b64encode(serialized).decode())


def string_tensor(x, name="input"):
    """``x`` as a string tensor for a wrapper; a tensor of another dtype is left to the op,
    whose TypeError names it (as TF's)."""
    from .array_extra import is_tensor
    from .graph import convert_to_tensor

    if is_tensor(x):
        return convert_to_tensor(x, name=name)
    return convert_to_tensor(x, dtype=_dt.string, name=name)


# -- tf.strings.format and tf.print (over StringFormat and PrintV2) ------------------------------
_STREAMS = ("stdout", "stderr", "log(info)", "log(warning)", "log(error)")


def check_output_stream(stream: str):
    if stream not in _STREAMS and not stream.startswith("file://"):
        raise InvalidArgumentError(None, None, f"output stream must be one of "
                                   f"{', '.join(_STREAMS)}, or start with file://; got {stream}")


def write_output(stream: str, text: str):
    """PrintV2's write: Python's current sys.stdout/sys.stderr (so captured output sees it),
    minitf's logger for log(level), or appended to the file of file://path."""
    import sys

    from . import tf_logging

    if stream in ("stdout", "stderr"):
        out = getattr(sys, stream)
        out.write(text)
        out.flush()
    elif stream.startswith("log("):
        {"info": tf_logging.info, "warning": tf_logging.warning,
         "error": tf_logging.error}[stream[4:-1]](text.rstrip("\n"))
    else:
        with open(stream[len("file://"):], "a", encoding="utf-8") as f:
            f.write(text)


def string_format(template, inputs, placeholder="{}", summarize=3, name=None):
    """``tf.strings.format``: ``template`` with each ``placeholder`` replaced by the next
    tensor's value, at most ``summarize`` entries at each end of every dimension (all if
    negative), as TF prints tensors (strings quoted)."""
    from .graph import Tensor, convert_to_tensor
    from .ops.string_extra_ops import STRING_FORMAT

    if isinstance(inputs, Tensor):
        inputs = [inputs]
    if template.count(placeholder) != len(inputs):
        raise ValueError(f"The template expects {template.count(placeholder)} tensors, but the "
                         f"inputs only has {len(inputs)}. Please ensure the number of "
                         "placeholders in template matches inputs length.")
    return STRING_FORMAT([convert_to_tensor(x) for x in inputs], template=template,
                         placeholder=placeholder, summarize=summarize,
                         name=name or "StringFormat")


def _stream_name(stream) -> str:
    import sys

    from . import tf_logging

    streams = {id(sys.stdout): "stdout", id(sys.stderr): "stderr",
               id(sys.__stdout__): "stdout", id(sys.__stderr__): "stderr",
               id(tf_logging.info): "log(info)", id(tf_logging.INFO): "log(info)",
               id(tf_logging.warning): "log(warning)", id(tf_logging.WARN): "log(warning)",
               id(tf_logging.error): "log(error)", id(tf_logging.ERROR): "log(error)"}
    if isinstance(stream, str) and stream.startswith("file://"):
        return stream
    if not isinstance(stream, (str, int)) and id(stream) in streams:
        return streams[id(stream)]
    if isinstance(stream, int) and stream in (tf_logging.INFO, tf_logging.WARN,
                                              tf_logging.ERROR):
        return {tf_logging.INFO: "log(info)", tf_logging.WARN: "log(warning)",
                tf_logging.ERROR: "log(error)"}[stream]
    raise ValueError(f"Unsupported output stream, logging level, or file.{stream}. Supported "
                     "streams are sys.stdout, sys.stderr, tf.logging.info, tf.logging.warning, "
                     "tf.logging.error. File needs to be in the form of 'file://<filepath>'.")


def _placeholder_for(text: str) -> str:
    """TF's _generate_placeholder_string: "{}" plus digits until it is not in ``text``."""
    import random

    placeholder, rng = "{}", random.Random(5)
    while placeholder in text:
        placeholder += str(rng.randint(0, 9))
    return placeholder


def _replace_leaves(x, leaf):
    """``x`` with every leaf (anything but a list, tuple or dict) replaced by ``leaf(x)``."""
    if isinstance(x, dict):
        return {k: _replace_leaves(v, leaf) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        items = [_replace_leaves(v, leaf) for v in x]
        return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
    return leaf(x)


def print_v2(*inputs, **kwargs):
    """``tf.print``: writes the inputs (tensors, Python values and nestings of them) joined by
    ``sep`` and followed by ``end`` to ``output_stream`` (sys.stderr by default) each time the
    returned op runs; tensors show at most ``summarize`` entries at each end of a dimension."""
    import os
    import pprint
    import sys

    from .array_extra import is_tensor
    from .ops.string_extra_ops import PRINT_V2
    from .sparse_tensor import SparseTensor

    unknown = set(kwargs) - {"output_stream", "summarize", "sep", "end", "name"}
    if unknown:
        raise ValueError(f"Unrecognized keyword arguments for tf.print: {sorted(unknown)}")
    stream = _stream_name(kwargs.get("output_stream", sys.stderr))
    summarize, sep = kwargs.get("summarize", 3), kwargs.get("sep", " ")
    end, name = kwargs.get("end", os.linesep), kwargs.get("name")
    if len(inputs) == 1 and is_tensor(inputs[0]) and not isinstance(inputs[0], SparseTensor) \
            and inputs[0].shape.rank == 0 and inputs[0].dtype == _dt.string:
        return PRINT_V2(inputs[0], output_stream=stream, end=end, name=name or "PrintV2")
    free = _replace_leaves(list(inputs), lambda x: "" if is_tensor(x) else x)
    placeholder = _placeholder_for(" ".join(pprint.pformat(x) for x in free))
    tensors, templates = [], []

    def leaf(x):
        if isinstance(x, SparseTensor):
            tensors.extend([x.indices, x.values, x.dense_shape])
            return f"SparseTensor(indices={placeholder}, values={placeholder}, shape={placeholder})"
        if is_tensor(x):
            tensors.append(x)
            return placeholder
        return x

    for item in inputs:  # a bare string is its own template; anything else is pformat'ed
        packed = _replace_leaves(item, leaf)
        templates.append(item if isinstance(item, str) else pprint.pformat(packed))
    template = sep.join(templates).replace(f"'{placeholder}'", placeholder)
    text = string_format(template, tensors, placeholder=placeholder, summarize=summarize)
    return PRINT_V2(text, output_stream=stream, end=end, name=name or "PrintV2")
