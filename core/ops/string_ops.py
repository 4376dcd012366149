"""String ops behind ``tf.strings`` (core/strings.py) and TF1's root names: StringJoin,
ReduceJoin, StringLength, Substr, StringToNumber, AsString, (Static)RegexReplace,
(Static)RegexFullMatch, StringStrip, StringLower/Upper, and StringSplit/StringSplitV2 (their
(indices, values, shape) outputs make a SparseTensor). Strings are bytes in object arrays, as
every string tensor; none of these ops is differentiable. Regular expressions are RE2's (TF's):
_re2.py translates them to Python's ``re`` and replaces as RE2 does."""

from __future__ import annotations

import math
import re

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape, broadcast_shapes
from ._re2 import RE2Error, compile_re2
from ._util import const_ints
from .farmhash import fingerprint64

__all__: list[str] = []  # the public functions live in core/strings.py


def _strings(x) -> np.ndarray:
    return np.asarray(x, dtype=object)


def _each(fn, x, out_dtype=object):
    """``fn`` over every element of the string array ``x``."""
    x = _strings(x)
    out = np.empty(x.shape, dtype=out_dtype)
    flat = out.reshape(-1)
    for i, v in enumerate(x.reshape(-1)):
        flat[i] = fn(v)
    return out


def _unary(op_type, fn, out=_dt.string, attrs=None, doc=""):
    return register(OpDef(
        op_type, inputs=["input:string"], attrs=attrs or {},
        kernel=lambda input, **a: _each(lambda v: fn(v, **a), input,  # noqa: A006
                                        object if out is _dt.string else out.as_numpy_dtype),
        infer=lambda x, **a: [TensorSpec(x.shape, out)], grad=NOT_DIFFERENTIABLE, doc=doc))


# -- join ----------------------------------------------------------------------------------------
def _string_join_kernel(inputs, *, separator):
    arrays = [_strings(x) for x in inputs]
    shapes = {a.shape for a in arrays if a.ndim}
    if len(shapes) > 1:
        raise InvalidArgumentError(None, None, "Input shapes do not match: " + " vs. ".join(
            str(list(s)) for s in sorted(shapes)))
    sep = separator.encode() if isinstance(separator, str) else separator
    shape = shapes.pop() if shapes else ()
    b = [np.broadcast_to(a, shape).reshape(-1) for a in arrays]
    out = np.empty(int(np.prod(shape, dtype=np.int64)), object)
    for i in range(out.size):
        out[i] = sep.join(a[i] for a in b)
    return out.reshape(shape)


def _string_join_infer(inputs, *, separator):
    """TF's shape function: scalars broadcast; every other input of known rank must have the
    same shape (no broadcasting between them); all scalars give a scalar."""
    if all(x.shape.rank == 0 for x in inputs):
        return [TensorSpec([], _dt.string)]
    shape = TensorShape(None)
    for x in inputs:
        if x.shape.rank not in (None, 0):
            try:
                shape = shape.merge_with(x.shape)
            except ValueError as e:
                raise shape_error(f"StringJoin: input shapes {shape} and {x.shape} do not "
                                  f"match: {e}") from None
    return [TensorSpec(shape, _dt.string)]


STRING_JOIN = register(OpDef(
    "StringJoin", inputs=["inputs:N*string"], attrs={"separator": ""},
    kernel=_string_join_kernel, infer=_string_join_infer, grad=NOT_DIFFERENTIABLE,
    doc="The element-wise join of the inputs (scalars broadcast) with separator.",
))


def _reduce_join_kernel(inputs, reduction_indices, *, keep_dims, separator):
    x = _strings(inputs)
    axes = np.asarray(reduction_indices).reshape(-1)
    rank = x.ndim
    bad = [int(a) for a in axes if not -rank <= a < rank]
    if bad:
        raise InvalidArgumentError(None, None, f"Invalid reduction dimension {bad[0]} for "
                                   f"input with {rank} dimensions.")
    seen = set()
    for a in axes.tolist():
        if a % rank in seen:
            raise InvalidArgumentError(None, None, f"Duplicate reduction dimension {a}")
        seen.add(a % rank)
    axes = [int(a) % rank for a in axes] if rank else []
    sep = separator.encode() if isinstance(separator, str) else separator
    kept = [d for d in range(rank) if d not in axes]
    # TF joins with the first given axis varying fastest: it is the last (row-major) one.
    order = kept + axes[::-1]
    reduced = int(np.prod([x.shape[d] for d in axes], dtype=np.int64))
    moved = np.transpose(x, order).reshape([x.shape[d] for d in kept] + [reduced])
    out = np.empty(moved.shape[:-1], object)
    for idx in np.ndindex(out.shape):
        out[idx] = sep.join(moved[idx])
    if keep_dims:
        out = out.reshape([1 if d in axes else x.shape[d] for d in range(rank)])
    return out


def _reduce_join_infer(inputs, reduction_indices, *, keep_dims, separator):
    dims, axes = inputs.shape.as_tuple(), const_ints(reduction_indices)
    if dims is None or axes is None:
        return [TensorSpec(None, _dt.string)]
    bad = [a for a in axes if not -len(dims) <= a < len(dims)]
    if bad:  # as TF's shape function, when the axes are constant
        raise shape_error(f"Invalid reduction dimension {bad[0]} for input with {len(dims)} "
                          f"dimensions.")
    hit = {a % len(dims) for a in axes} if dims else set()
    return [TensorSpec([1 if i in hit else d for i, d in enumerate(dims)
                        if keep_dims or i not in hit], _dt.string)]


REDUCE_JOIN = register(OpDef(
    "ReduceJoin", inputs=["inputs:string", "reduction_indices:int32"],
    attrs={"keep_dims": False, "separator": ""},
    kernel=_reduce_join_kernel, infer=_reduce_join_infer, grad=NOT_DIFFERENTIABLE,
    doc="The strings joined along reduction_indices (in order) with separator.",
))


# -- length, substrings, case, strip -------------------------------------------------------------
def _check_unit(unit):
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise InvalidArgumentError(None, None, f"unit must be BYTE or UTF8_CHAR, got {unit!r}")


def _length(v, unit):
    _check_unit(unit)
    return len(v) if unit == "BYTE" else len(v.decode("utf-8", errors="replace"))


STRING_LENGTH = _unary("StringLength", _length, _dt.int32, {"unit": "BYTE"},
                       "The length of each string in bytes or UTF-8 characters.")
STRING_STRIP = _unary("StringStrip", lambda v: v.strip(),
                      doc="Each string without leading and trailing whitespace.")


def _case(op_type, method, doc):
    """StringLower/StringUpper: ASCII only without an encoding, Unicode case mapping with
    "utf-8", TF's only other encoding (checked when the op runs, even on no strings, as TF's
    kernel does); invalid UTF-8 reads as U+FFFD, as ICU's conversion in TF."""
    def kernel(input, *, encoding):  # noqa: A002 - TF's argument name
        if encoding not in ("", "utf-8"):
            raise InvalidArgumentError(None, None, f"only utf-8 or '' (no encoding) is "
                                       f"supported, received {encoding}")
        if not encoding:
            return _each(lambda v: getattr(v, method)(), input)
        return _each(lambda v: getattr(v.decode("utf-8", "replace"), method)().encode("utf-8"),
                     input)

    return register(OpDef(
        op_type, inputs=["input:string"], attrs={"encoding": ""}, kernel=kernel,
        infer=lambda x, **_: [TensorSpec(x.shape, _dt.string)], grad=NOT_DIFFERENTIABLE,
        doc=doc))


STRING_LOWER = _case("StringLower", "lower",
                     "Each string in lower case (ASCII; or UTF-8 with encoding='utf-8').")
STRING_UPPER = _case("StringUpper", "upper",
                     "Each string in upper case (ASCII; or UTF-8 with encoding='utf-8').")


def _substr_kernel(strings, pos, length, *, unit):
    _check_unit(unit)
    x = _strings(strings)
    pos, length = np.asarray(pos), np.asarray(length)
    if pos.shape != length.shape:
        raise InvalidArgumentError(None, None, f"pos and len should have the same shape, "
                                   f"got: {list(pos.shape)} vs. {list(length.shape)}")
    try:
        shape = np.broadcast_shapes(x.shape, pos.shape)
    except ValueError:
        raise InvalidArgumentError(None, None, f"Incompatible shapes: {list(x.shape)} vs. "
                                   f"{list(pos.shape)}") from None
    xs, ps, ls = (np.broadcast_to(a, shape).reshape(-1) for a in (x, pos, length))
    out = np.empty(xs.shape, object)
    for i, (v, p, n) in enumerate(zip(xs, ps, ls)):
        p, n = int(p), int(n)
        if unit == "BYTE":  # TF: a negative len is the rest of the string (it is a size_t)
            if not -len(v) <= p <= len(v):
                raise InvalidArgumentError(None, None, f"pos {p} out of range for string "
                                           f"b'{v.decode(errors='replace')}' at index {i}")
            p = p + len(v) if p < 0 else p
            out[i] = v[p:] if n < 0 else v[p:p + n]
            continue
        s = v.decode("utf-8", "surrogateescape")
        # TF: a negative len gives "" from a position counted from the start and is out of
        # range from one counted from the end.
        if not -len(s) <= p <= len(s) or (p < 0 and n < 0):
            raise InvalidArgumentError(None, None, f"pos {p} out of range for string at index "
                                       f"{i}")
        p = p + len(s) if p < 0 else p
        out[i] = s[p:p + max(n, 0)].encode("utf-8", "surrogateescape")
    return out.reshape(shape)


def _substr_infer(x, pos, length, *, unit):
    # TF's shape function: pos and len of one rank (when len's is known) and equal dims
    if length.shape.rank is not None and pos.shape.rank is not None and \
            pos.shape.rank != length.shape.rank:
        raise shape_error(f"Shape must be rank {length.shape.rank} but is rank "
                          f"{pos.shape.rank}")
    try:
        shape = broadcast_shapes(broadcast_shapes(x.shape, pos.shape), length.shape)
    except ValueError as e:
        raise shape_error(str(e)) from None
    return [TensorSpec(shape, _dt.string)]


SUBSTR = register(OpDef(
    "Substr", inputs=["input:string", "pos:T", "len:T"], attrs={"unit": "BYTE"},
    kernel=_substr_kernel, infer=_substr_infer, grad=NOT_DIFFERENTIABLE,
    doc="len characters of each string from pos (negative: from the end).",
))


# -- numbers and strings ---------------------------------------------------------------------------
# What TF's parsers accept once ASCII whitespace is stripped from both ends: strtod's syntax
# for floats (decimal, hex with optional p exponent, inf/infinity, nan(chars)), an optional
# sign and decimal digits for integers; ASCII digits only (no "1_000", no other scripts' digits).
_FLOAT_SYNTAX = re.compile(
    rb"[+-]?(?:(?P<dec>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    rb"|(?P<hex>0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)"
    rb"|(?P<inf>(?i:inf(?:inity)?))|(?P<nan>(?i:nan)(?:\([0-9A-Za-z_]*\))?))")
_INT_SYNTAX = re.compile(rb"[+-]?[0-9]+")
_C_SPACE = b" \t\n\v\f\r"


def _parse_float(text: bytes, np_type):
    m = _FLOAT_SYNTAX.fullmatch(text)
    if m is None:
        return None
    negative = text.startswith(b"-")
    if m["nan"]:
        return np_type(np.nan)
    if m["inf"]:
        return np_type(-np.inf if negative else np.inf)
    if m["hex"]:
        try:
            value = float.fromhex(text.decode())
        except OverflowError:
            value = -np.inf if negative else np.inf
    else:
        value = float(text)
    with np.errstate(over="ignore"):  # out of float32's range: inf, as TF
        return np_type(value)


def _to_number_kernel(string_tensor, *, out_type):
    np_type = out_type.as_numpy_dtype

    def convert(v):
        text = v.strip(_C_SPACE)
        if out_type.is_integer:
            value = int(text) if _INT_SYNTAX.fullmatch(text) else None
            info = np.iinfo(np_type)
            value = value if value is not None and info.min <= value <= info.max else None
        else:
            value = _parse_float(text, np_type)
        if value is None:
            raise InvalidArgumentError(None, None, f"StringToNumberOp could not correctly "
                                       f"convert string: {v.decode(errors='replace')}")
        return value

    return _each(convert, string_tensor, np_type)


STRING_TO_NUMBER = register(OpDef(
    "StringToNumber", inputs=["string_tensor:string"], attrs={"out_type": _dt.float32},
    kernel=_to_number_kernel,
    infer=lambda x, *, out_type: [TensorSpec(x.shape, out_type)], grad=NOT_DIFFERENTIABLE,
    doc="Each string parsed as a number of out_type.",
))


_PRINTF_FLAGS = " +-0#"  # the fills TF accepts: each is a printf flag


def _as_string_kernel(input, *, precision, scientific, shortest, width, fill):  # noqa: A002
    x = np.asarray(input)
    _check_as_string_attrs(x.dtype, precision, scientific, shortest, fill)
    if x.dtype.kind == "b":  # TF ignores width and fill for bools
        return _each(lambda v: b"true" if v else b"false", x)
    # printf's %u (TF's unsigned format) ignores the sign flags
    flag = "" if x.dtype.kind == "u" and fill in " +" else fill
    spec = "%" + flag + (str(width) if width >= 0 else "")
    if x.dtype.kind in "iu":
        return _each(lambda v: ((spec + "d") % v).encode(), x)
    spec += (f".{precision}" if precision >= 0 else "") + \
        ("e" if scientific else "g" if shortest else "f")
    if x.dtype.kind == "c":  # TF's format "(%f,%f)": each part printed as a float, width too
        return _each(lambda v: f"({_printf_float(spec, v.real)},"
                               f"{_printf_float(spec, v.imag)})".encode(), x)
    return _each(lambda v: _printf_float(spec, v).encode(), x)


def _check_as_string_attrs(dtype, precision, scientific, shortest, fill):
    """TF's checks, in TF's order (the first failing one is the error)."""
    if dtype.kind in "iub":
        name = _dt.as_dtype(dtype).name
        if scientific or shortest:
            raise InvalidArgumentError(None, None, "scientific and shortest format not "
                                       f"supported for datatype {name}")
        if precision >= 0:
            raise InvalidArgumentError(None, None, f"precision not supported for datatype {name}")
    elif dtype.kind not in "fc":
        raise InvalidArgumentError(None, None, f"AsString does not take {dtype} values")
    if len(fill) > 1:
        raise InvalidArgumentError(None, None, "Fill string must be one or fewer characters")
    if scientific and shortest:
        raise InvalidArgumentError(None, None, "Cannot select both scientific and shortest "
                                   "notation")
    if fill and fill not in _PRINTF_FLAGS:
        raise InvalidArgumentError(None, None, f'Fill argument not supported: "{fill}"')


def _printf_float(spec: str, v) -> str:
    """``spec % v`` as C's printf: a non-finite value is never zero-padded, and a NaN keeps its
    sign ("-nan"), which Python's % drops; formatting a signed inf and renaming it does both."""
    if np.isfinite(v):
        return spec % v
    no_zero = spec.replace("0", "", 1) if spec[1:2] == "0" else spec
    text = no_zero % math.copysign(math.inf, v)
    return text.replace("inf", "nan") if np.isnan(v) else text


AS_STRING = register(OpDef(
    "AsString", inputs=["input:T"],
    attrs={"precision": -1, "scientific": False, "shortest": False, "width": -1, "fill": ""},
    kernel=_as_string_kernel, infer=lambda x, **a: [TensorSpec(x.shape, _dt.string)],
    grad=NOT_DIFFERENTIABLE,
    doc="Each number or bool as a string (printf formatting, as TF's).",
))


# -- regular expressions -------------------------------------------------------------------------
def _scalar_bytes(x) -> bytes:
    x = x if isinstance(x, (str, bytes)) else np.asarray(x, object)[()]
    return x.encode() if isinstance(x, str) else x


def _regex(pattern):
    text = _scalar_bytes(pattern)
    try:
        return compile_re2(text)
    except RE2Error as e:
        raise InvalidArgumentError(None, None, f"Invalid pattern: {text.decode(errors='replace')}"
                                   f", error: {e}") from None


def _replace(input, pattern, rewrite, replace_global):  # noqa: A002
    rx, rw = _regex(pattern), _scalar_bytes(rewrite)
    return _each(lambda v: rx.replace(v, rw, replace_global), input)


def _full_match(input, pattern):  # noqa: A002
    rx = _regex(pattern)
    return _each(rx.full_match, input, bool)


REGEX_REPLACE = register(OpDef(
    "RegexReplace", inputs=["input:string", "pattern:string", "rewrite:string"],
    attrs={"replace_global": True},
    kernel=lambda input, pattern, rewrite, *, replace_global: _replace(  # noqa: A006
        input, pattern, rewrite, replace_global),
    infer=lambda x, p, r, **a: [TensorSpec(x.shape, _dt.string)], grad=NOT_DIFFERENTIABLE,
    doc="Each string with the matches of pattern replaced by rewrite (\\1 for groups).",
))
STATIC_REGEX_REPLACE = register(OpDef(
    "StaticRegexReplace", inputs=["input:string"],
    attrs={"pattern": req("string"), "rewrite": req("string"), "replace_global": True},
    kernel=lambda input, *, pattern, rewrite, replace_global: _replace(  # noqa: A006
        input, pattern, rewrite, replace_global),
    infer=lambda x, **a: [TensorSpec(x.shape, _dt.string)], grad=NOT_DIFFERENTIABLE,
    doc="RegexReplace with the pattern and rewrite as attrs.",
))
REGEX_FULL_MATCH = register(OpDef(
    "RegexFullMatch", inputs=["input:string", "pattern:string"],
    kernel=lambda input, pattern: _full_match(input, pattern),  # noqa: A006
    infer=lambda x, p: [TensorSpec(x.shape, _dt.bool)], grad=NOT_DIFFERENTIABLE,
    doc="Whether each whole string matches pattern.",
))
STATIC_REGEX_FULL_MATCH = register(OpDef(
    "StaticRegexFullMatch", inputs=["input:string"], attrs={"pattern": req("string")},
    kernel=lambda input, *, pattern: _full_match(input, pattern),  # noqa: A006
    infer=lambda x, **a: [TensorSpec(x.shape, _dt.bool)], grad=NOT_DIFFERENTIABLE,
    doc="RegexFullMatch with the pattern as an attr.",
))


# -- split into a SparseTensor -------------------------------------------------------------------
def _sparse_of(rows):
    """(indices, values, shape) of a [len(rows), longest] SparseTensor of tokens."""
    counts = np.array([len(r) for r in rows], np.int64)
    values = np.empty(int(counts.sum()), object)
    values[:] = [t for r in rows for t in r]
    batch = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    position = np.arange(values.size, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts,
                                                                  counts)
    indices = np.stack([batch, position], axis=1) if values.size else np.zeros((0, 2), np.int64)
    return [indices, values, np.array([len(rows), counts.max() if counts.size else 0],
                                      np.int64)]


def _check_vector(x, what="input"):
    x = _strings(x)
    if x.ndim != 1:
        raise InvalidArgumentError(None, None, f"{what} must be a vector, got shape: "
                                   f"{list(x.shape)}")
    return x


def _string_split_kernel(input, delimiter, *, skip_empty):  # noqa: A002
    x = _check_vector(input)
    delim = np.asarray(delimiter, object)[()]
    if np.ndim(delimiter):
        raise InvalidArgumentError(None, None, "delimiter must be a scalar, got shape: "
                                   f"{list(np.shape(delimiter))}")
    if not delim:  # no delimiter: every byte is a token
        rows = [[v[i:i + 1] for i in range(len(v))] for v in x]
    else:  # any one of the delimiter's bytes ends a token; an empty string has none (TF)
        rx = re.compile(b"[" + re.escape(delim) + b"]")
        rows = [rx.split(v) if v else [] for v in x]
    if skip_empty:
        rows = [[t for t in r if t] for r in rows]
    return _sparse_of(rows)


def _string_split_v2_kernel(input, sep, *, maxsplit):  # noqa: A002
    x = _check_vector(input)
    sep = np.asarray(sep, object)[()]
    if np.ndim(sep):
        raise InvalidArgumentError(None, None, f"sep must be a scalar, got shape: "
                                   f"{list(np.shape(sep))}")
    rows = [v.split(sep, maxsplit) if sep else _split_whitespace(v, maxsplit) for v in x]
    return _sparse_of(rows)


def _split_whitespace(v: bytes, maxsplit: int) -> list[bytes]:
    """TF's SplitV2 with an empty sep: Python's split() on runs of ASCII whitespace, except that
    maxsplit=0 keeps the string whole and reaching maxsplit always appends the rest of the
    string, even when it is empty ("a b" with maxsplit=2 gives ['a', 'b', ''])."""
    if maxsplit == 0:
        return [v]
    tokens = v.split(None, maxsplit)
    if len(tokens) == maxsplit:
        tokens.append(b"")
    return tokens


def _split_infer(x, sep, **_):
    if x.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {x.shape.rank}")
    if sep.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {sep.shape.rank}")
    return [TensorSpec([None, 2], _dt.int64), TensorSpec([None], _dt.string),
            TensorSpec([2], _dt.int64)]


STRING_SPLIT = register(OpDef(
    "StringSplit", inputs=["input:string", "delimiter:string"], attrs={"skip_empty": True},
    kernel=_string_split_kernel, infer=_split_infer, grad=NOT_DIFFERENTIABLE,
    doc="Tokens of each string, split at any byte of delimiter (every byte if it is empty).",
))
STRING_SPLIT_V2 = register(OpDef(
    "StringSplitV2", inputs=["input:string", "sep:string"], attrs={"maxsplit": -1},
    kernel=_string_split_v2_kernel, infer=_split_infer, grad=NOT_DIFFERENTIABLE,
    doc="Tokens of each string, split at sep (at whitespace runs if it is empty).",
))


# -- hashing ---------------------------------------------------------------------------------------
def _hash_bucket_kernel(input, *, num_buckets):  # noqa: A002 - TF's argument name
    return _each(lambda v: fingerprint64(v) % num_buckets, input, np.int64)


def _hash_bucket_infer(x, *, num_buckets):
    if num_buckets < 1:
        raise shape_error(f"num_buckets must be >= 1, got {num_buckets}")
    return [TensorSpec(x.shape, _dt.int64)]


STRING_TO_HASH_BUCKET_FAST = register(OpDef(
    "StringToHashBucketFast", inputs=["input:string"], attrs={"num_buckets": req("int")},
    kernel=_hash_bucket_kernel, infer=_hash_bucket_infer, grad=NOT_DIFFERENTIABLE,
    doc="Each string's bucket: its FarmHash Fingerprint64 modulo num_buckets (TF's values).",
))
