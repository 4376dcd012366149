"""More string ops, as TensorFlow's: StringToHashBucket (legacy Hash64), StringToHashBucketStrong
(SipHash-2-4), Fingerprint (farmhash64), EncodeBase64/DecodeBase64 (web-safe), DecodeCompressed,
StringFormat, PrintV2, StringNGrams and UnsortedSegmentJoin, with TF1's root functions
(``tf.string_to_hash_bucket`` ... ``tf.print``; the serialization functions come from
serialization_ops.py). The algorithms live in core/string_extra.py; core/strings.py and
core/io.py re-export these functions. None is differentiable."""

from __future__ import annotations

import base64
import re
import zlib

import numpy as np

from .. import dtypes as _dt
from .. import string_extra as _impl
from ..errors import DataLossError, InvalidArgumentError
from ..graph import convert_to_tensor, name_scope
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..string_extra import string_tensor as _str
from .farmhash import fingerprint64
from .serialization_ops import (deserialize_many_sparse, parse_tensor,  # noqa: F401
                                serialize_many_sparse, serialize_sparse, serialize_tensor)

print = _impl.print_v2  # noqa: A001 - TF1's tf.print (built on StringFormat and PrintV2 below)

__all__ = ["decode_base64", "decode_compressed", "deserialize_many_sparse", "encode_base64",
           "fingerprint", "parse_tensor", "print", "serialize_many_sparse", "serialize_sparse",
           "serialize_tensor", "string_to_hash_bucket", "string_to_hash_bucket_strong"]


def _each(fn, x, out_dtype=object):
    x = np.asarray(x, dtype=object)
    out = np.empty(x.shape, dtype=out_dtype)
    out.reshape(-1)[:] = [fn(v) for v in x.reshape(-1)] if x.size else []
    return out


def _unary(op_type, fn, out=_dt.string, attrs=None, infer=None, doc="", arg="input"):
    """A string -> ``out`` element-wise op; ``infer(x, **attrs)`` adds attr checks; ``arg`` is
    TF's name of the input (tf.raw_ops' keyword)."""
    def infer_(x, **a):
        if infer is not None:
            infer(x, **a)
        return [TensorSpec(x.shape, out)]
    np_out = object if out is _dt.string else out.as_numpy_dtype
    return register(OpDef(
        op_type, inputs=[f"{arg}:string"], attrs=attrs or {},
        kernel=lambda input, **a: _each(lambda v: fn(v, **a), input, np_out),  # noqa: A006
        infer=infer_, grad=NOT_DIFFERENTIABLE, doc=doc))


# -- hash buckets and fingerprints ---------------------------------------------------------------
def _check_buckets(x, *, num_buckets, **_):
    if num_buckets < 1:
        raise shape_error(f"Value for attr 'num_buckets' of {num_buckets} must be at least "
                          "minimum 1")


def _check_key(x, *, num_buckets, key):
    _check_buckets(x, num_buckets=num_buckets)
    if len(key) != 2:
        raise shape_error(f"Key must have 2 elements, got {len(key)}")


STRING_TO_HASH_BUCKET = _unary(
    "StringToHashBucket", lambda v, num_buckets: _impl.hash64(v) % num_buckets, _dt.int64,
    {"num_buckets": req("int")}, _check_buckets,
    "Each string's bucket: TF's legacy Hash64 modulo num_buckets.", arg="string_tensor")
STRING_TO_HASH_BUCKET_STRONG = _unary(
    "StringToHashBucketStrong",
    lambda v, num_buckets, key: _impl.siphash24(key[0] % 2**64, key[1] % 2**64, v) % num_buckets,
    _dt.int64, {"num_buckets": req("int"), "key": req("list(int)")}, _check_key,
    "Each string's bucket: SipHash-2-4 keyed by key, modulo num_buckets.")


def _le_bytes(fp: int) -> np.ndarray:
    return np.frombuffer(fp.to_bytes(8, "little"), np.uint8)


def _fingerprint_kernel(data, method):
    method = np.asarray(method, object)
    if method.ndim or method[()] != b"farmhash64":
        raise InvalidArgumentError(None, None, "Unsupported fingerprint method: "
                                   f"{method.reshape(-1)[0].decode(errors='replace')}")
    data = np.asarray(data)
    if data.ndim < 1:
        raise InvalidArgumentError(None, None, "`data` should have at least one dimension. "
                                   f"Got {data.ndim}")
    rows = data.reshape(data.shape[0], int(np.prod(data.shape[1:], dtype=np.int64)))
    if data.dtype == object:  # a row of several strings: the fingerprint of their fingerprints
        rows = [r[0] if r.size == 1 else b"".join(fingerprint64(v).to_bytes(8, "little")
                                                   for v in r) for r in rows]
    else:
        rows = [np.ascontiguousarray(r, r.dtype.newbyteorder("<")).tobytes() for r in rows]
    out = np.zeros((len(rows), 8), np.uint8)
    for i, r in enumerate(rows):
        out[i] = _le_bytes(fingerprint64(r))
    return out


def _fingerprint_infer(data, method):
    if data.shape.rank == 0:
        raise shape_error("`data` should have at least one dimension. Got 0")
    if method.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {method.shape.rank} for method")
    value = method.value
    if value is not None and np.asarray(value, object)[()] != b"farmhash64":
        raise shape_error(f"Unsupported fingerprint method: {np.asarray(value, object)[()]!r}")
    first = data.shape[0] if data.shape.rank is not None else None
    return [TensorSpec([first, 8], _dt.uint8)]


FINGERPRINT = register(OpDef(
    "Fingerprint", inputs=["data:T", "method:string"], kernel=_fingerprint_kernel,
    infer=_fingerprint_infer, grad=NOT_DIFFERENTIABLE,
    doc="FarmHash Fingerprint64 of each row of data, as 8 little-endian bytes.",
))


# -- base64 and compression ----------------------------------------------------------------------
def _encode_base64(v: bytes, pad: bool) -> bytes:
    text = base64.urlsafe_b64encode(v)
    return text if pad else text.rstrip(b"=")


_B64 = re.compile(rb"[A-Za-z0-9_-]*")


def _decode_base64(v: bytes) -> bytes:
    """TF's DecodeBase64: web-safe alphabet only, padding optional but only whole (``YQ==`` or
    ``YQ``, never ``YQ=``), no whitespace."""
    if not v:
        return b""
    split = len(v) - ((len(v) - 1) % 4 + 1)  # the last group of 1 to 4 characters
    body, last = v[:split], v[split:]
    if len(last) == 4 and last.endswith(b"="):
        last = last[:2] if last[2:3] == b"=" else last[:3]
    if not _B64.fullmatch(body):
        raise InvalidArgumentError(None, None, "Invalid character found in base64.")
    if len(last) == 1:
        raise InvalidArgumentError(None, None, "Base64 string length cannot be 1 modulo 4.")
    if not _B64.fullmatch(last):
        raise InvalidArgumentError(None, None, "Invalid character found in base64.")
    text = body + last
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


ENCODE_BASE64 = _unary("EncodeBase64", _encode_base64, attrs={"pad": False},
                       doc="Each string in web-safe base64 (- and _), '=' padded if pad.")
DECODE_BASE64 = _unary("DecodeBase64", lambda v: _decode_base64(v),
                       doc="Each web-safe base64 string decoded (padding optional).")

_WBITS = {"ZLIB": zlib.MAX_WBITS, "GZIP": 16 + zlib.MAX_WBITS}


def _decompress(v: bytes, compression_type: str) -> bytes:
    """TF's DecodeCompressed: a truncated stream gives what it decoded so far; bytes after a
    ZLIB stream are ignored; GZIP members follow one another; corrupt data is DataLossError."""
    if compression_type == "":
        return v
    out, rest = [], v
    try:
        while rest:
            d = zlib.decompressobj(_WBITS[compression_type])
            out.append(d.decompress(rest) + d.flush())
            if compression_type == "ZLIB" or not d.eof:
                break
            rest = d.unused_data
    except zlib.error as e:
        raise DataLossError(None, None, f"inflate() failed: {e}") from None
    return b"".join(out)


def _decode_compressed(bytes, *, compression_type):  # noqa: A002 - TF's input name
    # TF checks the attr when the kernel is built, at the first run (the graph builds), and
    # before looking at the input, so an empty one fails too.
    if compression_type not in ("", "ZLIB", "GZIP"):
        raise InvalidArgumentError(None, None, "Only ZLIB, GZIP or NONE are supported "
                                   f"compressions, got {compression_type!r}")
    return _each(lambda v: _decompress(v, compression_type), bytes)


DECODE_COMPRESSED = register(OpDef(
    "DecodeCompressed", inputs=["bytes:string"], attrs={"compression_type": ""},
    kernel=_decode_compressed, infer=lambda x, **_: [TensorSpec(x.shape, _dt.string)],
    grad=NOT_DIFFERENTIABLE, doc="Each string decompressed (ZLIB, GZIP, or as is for '')."))


# -- StringFormat and PrintV2 (tf.strings.format and tf.print: core/string_extra.py) --------------
def _format_kernel(inputs, *, template, placeholder, summarize):
    pieces = template.split(placeholder)
    values = [_impl.summarize_v2(x, summarize) for x in inputs]
    text = pieces[0] + "".join(v + p for v, p in zip(values, pieces[1:]))
    out = np.empty((), object)
    out[()] = text.encode("utf-8", "surrogateescape")
    return out


def _format_infer(inputs, *, template, placeholder, summarize):
    if template.count(placeholder) != len(inputs):
        raise shape_error(f"num placeholders in template and num inputs must match: "
                          f"{template.count(placeholder)} vs. {len(inputs)}")
    return [TensorSpec([], _dt.string)]


STRING_FORMAT = register(OpDef(
    "StringFormat", inputs=["inputs:list(T)"],
    attrs={"template": "%s", "placeholder": "%s", "summarize": 3},
    kernel=_format_kernel, infer=_format_infer, grad=NOT_DIFFERENTIABLE,
    doc="template with each placeholder replaced by the next input's summarized value.",
))


def _print_v2_kernel(input, *, output_stream, end):  # noqa: A002 - TF's argument name
    text = np.asarray(input, object)
    if text.ndim:
        raise InvalidArgumentError(None, None, "Input is expected to be scalar, but got "
                                   f"shape: {list(text.shape)}")
    _impl.write_output(output_stream, text[()].decode("utf-8", "replace") + end)
    return ()


def _print_v2_infer(x, *, output_stream, end):
    if x.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {x.shape.rank}")
    _impl.check_output_stream(output_stream)
    return []


PRINT_V2 = register(OpDef(
    "PrintV2", inputs=["input:string"], attrs={"output_stream": "stderr", "end": "\n"},
    kernel=_print_v2_kernel, infer=_print_v2_infer, grad=NOT_DIFFERENTIABLE,
    stateful=True,  # it writes: never folded or skipped
    doc="Writes the string to output_stream (stdout, stderr, log(level) or file://path).",
))


# -- StringNGrams and UnsortedSegmentJoin ---------------------------------------------------------
def _ngrams_of(tokens, width, pad, left, right, sep):
    """The windows of ``width`` over ``tokens`` padded with ``pad`` (clipped to width - 1;
    negative: width - 1) pads each side: TF's CreateNgrams."""
    pad = min(width - 1 if pad < 0 else pad, width - 1)
    padded = [left] * pad + list(tokens) + [right] * pad
    return [sep.join(padded[k:k + width]) for k in range(len(padded) - width + 1)]


def _string_ngrams(data, data_splits, *, separator, ngram_widths, left_pad, right_pad,
                   pad_width, preserve_short_sequences):
    data, splits = np.asarray(data, object).reshape(-1), np.asarray(data_splits).reshape(-1)
    if any(w < 1 for w in ngram_widths):
        raise InvalidArgumentError(None, None, "ngram_widths must contain positive values")
    if splits.size and splits[0] != 0:
        raise InvalidArgumentError(None, None, f"First split value must be 0, got {splits[0]}")
    if np.any(np.diff(splits) < 0):
        raise InvalidArgumentError(None, None, f"Invalid split values {splits.tolist()}: they "
                                   "must not decrease")
    if splits.size and splits[-1] != data.size:
        raise InvalidArgumentError(None, None, "Last split value must be data size. Expected "
                                   f"{data.size}, got {splits[-1]}")
    if not data.size or not splits.size:  # TF: no data, no n-grams (not even of the padding)
        return [np.empty(0, object), np.zeros_like(splits)]
    sep, left, right = (v.encode() for v in (separator, left_pad, right_pad))
    out, out_splits = [], [0]
    for start, stop in zip(splits[:-1], splits[1:]):
        row = [g for w in ngram_widths
               for g in _ngrams_of(data[start:stop], w, pad_width, left, right, sep)]
        if not row and preserve_short_sequences and stop > start:  # the whole padded row
            row = _ngrams_of(data[start:stop], stop - start + 2 * pad_width, pad_width, left,
                             right, sep)
        out += row
        out_splits.append(len(out))
    values = np.empty(len(out), object)
    values[:] = out
    return [values, np.array(out_splits, splits.dtype)]


def _string_ngrams_infer(data, splits, **_):
    if data.shape.rank not in (None, 1) or splits.shape.rank not in (None, 1):
        raise shape_error(f"data and data_splits must be vectors, got shapes {data.shape} and "
                          f"{splits.shape}")
    return [TensorSpec([None], _dt.string), TensorSpec(splits.shape, splits.dtype)]


STRING_NGRAMS = register(OpDef(
    "StringNGrams", inputs=["data:string", "data_splits:Tsplits=int64"],
    attrs={"separator": req("string"), "ngram_widths": req("list(int)"),
           "left_pad": req("string"), "right_pad": req("string"), "pad_width": req("int"),
           "preserve_short_sequences": req("bool")},
    kernel=_string_ngrams, infer=_string_ngrams_infer, grad=NOT_DIFFERENTIABLE,
    doc="The n-grams of each row (data split by data_splits), padded, joined by separator.",
))


def _segment_join(inputs, segment_ids, num_segments, *, separator):
    x, ids = np.asarray(inputs, object), np.asarray(segment_ids)
    if x.shape[:ids.ndim] != ids.shape:
        raise InvalidArgumentError(None, None, f"segment_ids.shape = {list(ids.shape)} does not "
                                   f"prefix inputs.shape = {list(x.shape)}")
    n = int(num_segments)
    if ids.size and (ids.min() < 0 or ids.max() >= n):
        raise InvalidArgumentError(None, None, "segment_ids are not allowed to exceed "
                                   "num_segments or to have negative values.")
    tail = x.shape[ids.ndim:]
    rows = x.reshape(ids.size, int(np.prod(tail, dtype=np.int64)))
    parts: list[list] = [[] for _ in range(n)]
    for i, s in enumerate(ids.reshape(-1)):
        parts[s].append(rows[i])
    out = np.empty((n, rows.shape[1]), object)
    sep = separator.encode()
    for s in range(n):
        for j in range(rows.shape[1]):
            out[s, j] = sep.join(r[j] for r in parts[s])
    return out.reshape((n,) + tail)


def _segment_join_infer(inputs, segment_ids, num_segments, *, separator):
    x, ids = inputs.shape, segment_ids.shape
    if x.rank is not None and ids.rank is not None:
        if ids.rank > x.rank or not x[:ids.rank].is_compatible_with(ids):
            raise shape_error(f"segment_ids.shape {ids} does not prefix inputs.shape {x}")
    n = num_segments.value
    tail = x[ids.rank:] if x.rank is not None and ids.rank is not None else None
    first = [None if n is None else int(n)]
    return [TensorSpec(None if tail is None else first + list(tail), _dt.string)]


UNSORTED_SEGMENT_JOIN = register(OpDef(
    "UnsortedSegmentJoin",
    inputs=["inputs:string", "segment_ids:Tindices", "num_segments:Tnumsegments=int32"],
    attrs={"separator": ""}, kernel=_segment_join, infer=_segment_join_infer,
    grad=NOT_DIFFERENTIABLE,
    doc="The strings of each segment joined with separator, in order of appearance.",
))


# -- public functions ----------------------------------------------------------------------------
def string_to_hash_bucket(string_tensor=None, num_buckets=None, name=None, input=None):  # noqa: A002
    """Each string's bucket in [0, num_buckets) by TF's legacy Hash64 (prefer
    tf.strings.to_hash_bucket_fast, as TF's docs do)."""
    string_tensor = input if string_tensor is None else string_tensor
    return STRING_TO_HASH_BUCKET(_str(string_tensor, "string_tensor"), num_buckets=num_buckets,
                                 name=name or "StringToHashBucket")


def string_to_hash_bucket_strong(input, num_buckets, key, name=None):  # noqa: A002
    """Each string's bucket in [0, num_buckets) by SipHash-2-4 under ``key`` (two ints)."""
    return STRING_TO_HASH_BUCKET_STRONG(_str(input), num_buckets=num_buckets, key=list(key),
                                        name=name or "StringToHashBucketStrong")


def fingerprint(data, method="farmhash64", name=None):
    """A [data.shape[0], 8] uint8 tensor: the FarmHash fingerprint of each row of ``data``."""
    with name_scope(name, "Fingerprint", [data]) as scope:
        return FINGERPRINT(convert_to_tensor(data, name="data"), _str(method, "method"),
                           name=scope)


def encode_base64(input, pad=False, name=None):  # noqa: A002
    """Each string in web-safe base64 ('-' and '_'), '='-padded when ``pad``."""
    return ENCODE_BASE64(_str(input), pad=pad, name=name or "EncodeBase64")


def decode_base64(input, name=None):  # noqa: A002
    """Each web-safe base64 string decoded."""
    return DECODE_BASE64(_str(input), name=name or "DecodeBase64")


def decode_compressed(bytes, compression_type="", name=None):  # noqa: A002 - TF's name
    """Each string decompressed: compression_type "" (as is), "ZLIB" or "GZIP"."""
    return DECODE_COMPRESSED(_str(bytes, "bytes"), compression_type=compression_type,
                             name=name or "DecodeCompressed")
