"""CSV records and files: DecodeCSV (``tf.decode_csv``), ReadFile, WriteFile and MatchingFiles
(``tf.read_file``, ``tf.write_file``, ``tf.matching_files``), with TF's parsing rules and
messages."""

from __future__ import annotations

import errno
import glob
import os
import re

import numpy as np

from .. import dtypes as _dt
from .. import errors as _errors
from ..errors import FailedPreconditionError, InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape

__all__ = ["decode_csv", "matching_files", "read_file", "write_file"]

_CSV_TYPES = (_dt.float32, _dt.float64, _dt.int32, _dt.int64, _dt.string)
_INT_RE = re.compile(rb"^\s*[+-]?\d+\s*$")
_INT_RANGES = {_dt.int32: (-(1 << 31), (1 << 31) - 1), _dt.int64: (-(1 << 63), (1 << 63) - 1)}
_FLOAT_NAMES = {_dt.float32: "float", _dt.float64: "double"}
# What TF's safe_strtof / safe_strtod take once ASCII blanks are stripped: decimal, hexadecimal
# (0x digits, optional p exponent), inf / infinity and nan / nan(chars), any case, one sign.
# Python's float() alone would take "1_0" and non-ASCII digits and refuse hex and nan(...).
_FLOAT_RE = re.compile(rb"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?"
                       rb"|(?P<hex>0x(?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(?:p[+-]?\d+)?)"
                       rb"|inf(?:inity)?|(?P<nan>nan(?:\(\w*\))?))", re.IGNORECASE)


def _split_csv(record: bytes, delim: bytes, quotes: bool) -> list:
    """The fields of one record, TF's DecodeCSV rules (decode_csv_op.cc ExtractFields): an
    empty record has no field; a CR or LF where a field would start is skipped, anywhere else
    in an unquoted field it is an error, as a quote is; a field starting with a quote runs to
    the closing quote ("" inside is one quote), which must be followed by the delimiter or the
    end; a trailing delimiter adds one more, empty field."""
    fields, i, n = [], 0, len(record)
    while i < n:
        c = record[i:i + 1]
        if c in (b"\n", b"\r"):
            i += 1
            continue
        if quotes and c == b'"':
            out, i = bytearray(), i + 1
            while i < n - 1 and not (record[i:i + 1] == b'"' and record[i + 1:i + 2] == delim):
                if record[i:i + 1] != b'"':
                    out += record[i:i + 1]
                    i += 1
                    continue
                if record[i + 1:i + 2] != b'"':
                    raise InvalidArgumentError(None, None, "Quote inside a string has to be "
                                               "escaped by another quote")
                out += b'"'
                i += 2
            if not (i < n and record[i:i + 1] == b'"'):
                raise InvalidArgumentError(None, None, "Quoted field has to end with quote "
                                           "followed by delim or end")
            fields.append(bytes(out))
            i += 2  # the closing quote and the delimiter
        else:
            j = record.find(delim, i)
            j = n if j < 0 else j
            field = record[i:j]
            if (quotes and b'"' in field) or b"\n" in field or b"\r" in field:
                raise InvalidArgumentError(None, None, "Unquoted fields cannot have "
                                           "quotes/CRLFs inside")
            fields.append(field)
            i = j + 1
    if n and record[n - 1:] == delim:
        fields.append(b"")
    return fields


def _convert(field: bytes, dtype, f: int, r: int):
    if dtype == _dt.string:
        return field
    text = field.decode(errors="replace")
    if dtype.is_integer:
        lo, hi = _INT_RANGES[dtype]
        if _INT_RE.match(field) and lo <= int(field) <= hi:
            return int(field)
        raise InvalidArgumentError(None, None, f"Field {f} in record {r} is not a valid "
                                   f"{dtype.name}: {text}")
    body = field.strip()
    m = _FLOAT_RE.fullmatch(body)
    if m is None:
        raise InvalidArgumentError(None, None, f"Field {f} in record {r} is not a valid "
                                   f"{_FLOAT_NAMES[dtype]}: {text}")
    if m["nan"]:
        return -np.nan if body.startswith(b"-") else np.nan
    if m["hex"]:
        try:
            return float.fromhex(body.decode())
        except OverflowError:  # strtod's overflow is a signed infinity
            return -np.inf if body.startswith(b"-") else np.inf
    return float(body)


def _decode_csv_kernel(records, record_defaults, *, field_delim, use_quote_delim, na_value,
                       select_cols):
    delim = field_delim.encode() if isinstance(field_delim, str) else field_delim
    if len(delim) != 1:  # TF's kernel checks this when it is built, at the first run
        raise InvalidArgumentError(None, None, "field_delim should be only 1 char")
    records = np.asarray(records, dtype=object)
    n_out = len(record_defaults)
    defaults, out_types = [], []
    for k, d in enumerate(record_defaults):
        d = np.asarray(d)
        out_types.append(_dt.string if d.dtype.kind in "OSU" else _dt.as_dtype(d.dtype))
        if d.size > 1:
            raise InvalidArgumentError(None, None, f"record_defaults[{k}] must have at most "
                                       "one element")
        defaults.append(d.reshape(-1)[0] if d.size else None)
    na = na_value.encode() if isinstance(na_value, str) else na_value
    columns = [[] for _ in range(n_out)]
    flat = records.reshape(-1)
    for r, record in enumerate(flat):
        record = record if isinstance(record, bytes) else str(record).encode()
        fields = _split_csv(record, delim, use_quote_delim)
        if select_cols:
            if len(fields) <= select_cols[-1]:
                raise InvalidArgumentError(None, None, f"Expect {n_out} fields but have "
                                           f"{len(fields)} in record {r}")
            fields = [fields[c] for c in select_cols]
        elif len(fields) != n_out:
            raise InvalidArgumentError(None, None, f"Expect {n_out} fields but have "
                                       f"{len(fields)} in record {r}")
        for f, (field, dtype, default) in enumerate(zip(fields, out_types, defaults)):
            if not field or (na and field == na):
                if default is None:
                    raise InvalidArgumentError(None, None, f"Field {f} is required but missing "
                                               f"in record {r}!")
                columns[f].append(default)
            else:
                columns[f].append(_convert(field, dtype, f, r))
    out = []
    for col, dtype in zip(columns, out_types):
        np_type = object if dtype == _dt.string else dtype.as_numpy_dtype
        arr = np.empty(len(col), np_type)
        arr[:] = col
        out.append(arr.reshape(records.shape))
    return out[0] if len(out) == 1 else out


def _decode_csv_infer(records, record_defaults, *, field_delim, use_quote_delim, na_value,
                      select_cols):
    if records.dtype != _dt.string:
        raise shape_error(f"records must be string, got {records.dtype.name}")
    for k, d in enumerate(record_defaults):
        if d.dtype not in _CSV_TYPES:
            raise shape_error(f"record_defaults[{k}] has dtype {d.dtype.name}, not one of "
                              "float32, float64, int32, int64, string")
        if d.shape.rank is not None and d.shape.rank > 1:
            raise shape_error(f"Shape must be at most rank 1 but is rank {d.shape.rank}")
        n = d.shape.num_elements()
        if n is not None and n > 1:
            raise shape_error("Shape of a default must be a length-0 or length-1 vector, or "
                              "a scalar.")
    return [TensorSpec(records.shape, d.dtype) for d in record_defaults]


DECODE_CSV = register(OpDef(
    "DecodeCSV", inputs=["records:string", "record_defaults:list(OUT_TYPE)"],
    attrs={"field_delim": ",", "use_quote_delim": True, "na_value": "", "select_cols": []},
    kernel=_decode_csv_kernel, infer=_decode_csv_infer, grad=NOT_DIFFERENTIABLE,
    doc="Splits CSV records into columns of the defaults' dtypes.",
))


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, name=None,
               na_value="", select_cols=None):
    """``tf.decode_csv``: one tensor per column (the shape of ``records``), each of the dtype
    of its ``record_defaults`` entry, which also fills empty fields (an empty default makes the
    column required)."""
    if select_cols is not None:
        select_cols = list(select_cols)
        if any(select_cols[i] >= select_cols[i + 1] for i in range(len(select_cols) - 1)):
            raise ValueError("select_cols is not strictly increasing.")
        if select_cols and select_cols[0] < 0:
            raise ValueError("select_cols contains negative values.")
        if len(select_cols) != len(record_defaults):
            raise ValueError("Length of select_cols and record_defaults do not match.")
    outs = DECODE_CSV(records, list(record_defaults), field_delim=field_delim,
                      use_quote_delim=use_quote_delim, na_value=na_value,
                      select_cols=select_cols or [], name=name or "DecodeCSV")
    return outs if isinstance(outs, list) else [outs]


# -- files ---------------------------------------------------------------------------------------
def _path(value) -> str:
    v = np.asarray(value, dtype=object)[()]
    return v.decode() if isinstance(v, bytes) else str(v)


# TF's status for a failed file call (tsl/platform/errors.cc ErrnoToCode); the rest Unknown.
_ERRNO_ERRORS = {
    **dict.fromkeys(("EINVAL", "ENAMETOOLONG"), _errors.InvalidArgumentError),
    **dict.fromkeys(("ENOENT", "ENODEV", "ENXIO"), _errors.NotFoundError),
    "EEXIST": _errors.AlreadyExistsError,
    **dict.fromkeys(("EPERM", "EACCES", "EROFS"), _errors.PermissionDeniedError),
    **dict.fromkeys(("EISDIR", "ENOTDIR", "ENOTEMPTY", "EBUSY", "EBADF", "ETXTBSY"),
                    _errors.FailedPreconditionError),
    **dict.fromkeys(("ENOSPC", "EDQUOT", "EMFILE", "ENFILE", "ENOMEM"),
                    _errors.ResourceExhaustedError),
    **dict.fromkeys(("EFBIG", "EOVERFLOW"), _errors.OutOfRangeError),
}
_ERRNO_ERRORS = {getattr(errno, k): v for k, v in _ERRNO_ERRORS.items() if hasattr(errno, k)}


def _os_error(path, e: OSError) -> _errors.OpError:
    cls = _ERRNO_ERRORS.get(e.errno, _errors.UnknownError)
    return cls(None, None, f"{path}; {e.strerror or e}")


def _read_file_kernel(filename):
    path = _path(filename)
    try:
        with open(path, "rb") as f:
            return np.array(f.read(), dtype=object)
    except OSError as e:
        raise _os_error(path, e) from None


def _scalar_string(spec):
    if spec.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {spec.shape.rank}")


def _read_file_infer(filename):
    _scalar_string(filename)
    return [TensorSpec(TensorShape([]), _dt.string)]


READ_FILE = register(OpDef(
    "ReadFile", inputs=["filename:string"], kernel=_read_file_kernel, infer=_read_file_infer,
    grad=NOT_DIFFERENTIABLE, stateful=True,  # read when the run happens, never folded
    doc="A file's contents.",
))


def _write_file_kernel(filename, contents):
    path = _path(filename)
    directory = os.path.dirname(path)
    # TF creates a missing directory (RecursivelyCreateDir); an existing path is left to the
    # write to fail on ("<path>; Not a directory").
    if directory and not os.path.exists(directory):
        try:
            os.makedirs(directory, exist_ok=True)
        except NotADirectoryError as e:  # an ancestor is a file: TF's words for it
            raise FailedPreconditionError(None, None, f"{os.path.dirname(e.filename)} is not "
                                          "a directory") from None
        except OSError as e:
            raise _os_error(e.filename or directory, e) from None
    data = np.asarray(contents, dtype=object)[()]
    try:
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else str(data).encode())
    except OSError as e:
        raise _os_error(path, e) from None
    return ()


def _write_file_infer(filename, contents):
    _scalar_string(filename)
    _scalar_string(contents)
    return []


WRITE_FILE = register(OpDef(
    "WriteFile", inputs=["filename:string", "contents:string"], kernel=_write_file_kernel,
    infer=_write_file_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Writes contents to a file, making its directory if needed.",
))


def _matching_files_kernel(pattern):
    found = set()
    for p in np.asarray(pattern, dtype=object).reshape(-1):
        found.update(glob.glob(p.decode() if isinstance(p, bytes) else str(p)))
    names = sorted(f.encode() for f in found)
    out = np.empty(len(names), object)
    out[:] = names
    return out


def _matching_files_infer(pattern):
    if pattern.shape.rank is not None and pattern.shape.rank > 1:
        raise shape_error(f"Shape must be at most rank 1 but is rank {pattern.shape.rank}")
    return [TensorSpec(TensorShape([None]), _dt.string)]


MATCHING_FILES = register(OpDef(
    "MatchingFiles", inputs=["pattern:string"], kernel=_matching_files_kernel,
    infer=_matching_files_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="The sorted file names matching glob patterns (a scalar or a vector of them).",
))


def read_file(filename, name=None):
    """``tf.read_file``: a file's contents as a string scalar."""
    return READ_FILE(filename, name=name or "ReadFile")


def write_file(filename, contents, name=None):
    """``tf.write_file``: an op writing ``contents`` to ``filename``."""
    return WRITE_FILE(filename, contents, name=name or "WriteFile")


def matching_files(pattern, name=None):
    """``tf.matching_files``: the sorted names of the files matching ``pattern``."""
    return MATCHING_FILES(pattern, name=name or "MatchingFiles")

