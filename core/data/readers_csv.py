"""``tf.data.experimental.CsvDataset`` and ``make_csv_dataset``, composed from
TextLineDataset and DecodeCSV (a quoted field may not span lines here)."""

from __future__ import annotations

import collections
import csv
import gzip

import numpy as np

from .. import dtypes as _dt
from ..graph import Tensor
from .dataset_ops import _END, Dataset, failed
from .readers import TextLineDataset, _filenames_arg


def _default_tensor(value, k: int):
    """A record default: a dtype makes the column required (an empty default); a value or
    tensor fills empty fields."""
    from ..ops.array_ops import constant

    if isinstance(value, Tensor):
        return value
    if isinstance(value, _dt.DType) or isinstance(value, type) and issubclass(value, np.generic):
        dtype = _dt.as_dtype(value)
        return constant(np.zeros([0], object if dtype is _dt.string else dtype.as_numpy_dtype),
                        dtype, name=f"record_default_{k}")
    return constant(value, name=f"record_default_{k}")


def _lines(filenames, compression_type, header: bool) -> Dataset:
    files = _filenames_arg(filenames, "CsvDataset")
    if not header:
        return TextLineDataset(files, compression_type)
    return Dataset.from_tensor_slices(files).flat_map(
        lambda f: _SkipHeader(TextLineDataset(f, compression_type)))


class _SkipHeader(Dataset):
    """A file's lines after its header line; a file without one is TF's
    InvalidArgumentError, not an empty dataset."""

    def __init__(self, lines):
        super().__init__(lines._structure, (lines,), [])

    def _elements(self, ctx):
        from ..errors import InvalidArgumentError

        it = self._inputs[0]._elements(ctx)
        header = next(it, _END)
        if header is _END:
            raise InvalidArgumentError(None, None, "Can't read header of file")
        if failed(header):  # the file's read failed (its reader has moved on)
            yield header
            return
        yield from it


def CsvDataset(filenames, record_defaults, compression_type=None, buffer_size=None,  # noqa: N802
               header=False, field_delim=",", use_quote_delim=True, na_value="",
               select_cols=None, exclude_cols=None):
    """Each CSV record of ``filenames`` as a tuple of scalars, one per column (of
    ``record_defaults``' dtypes; a dtype alone makes the column required).

    Unlike TF's kernel, this decodes line by line (TextLineDataset then DecodeCSV): a quoted
    field cannot span lines (DecodeCSV refuses the unterminated quote), a quoted ``\\r`` is
    dropped with the line's others, and DecodeCSV's errors name "record 0", the line on its
    own, not the record's place in the file."""
    from ..ops.io_ops import decode_csv

    defaults = [_default_tensor(d, k) for k, d in enumerate(record_defaults)]
    if exclude_cols is not None:
        if select_cols is not None:
            raise ValueError("Either select_cols or exclude_cols should be set, not both")
        excluded = set(exclude_cols)
        select_cols = [c for c in range(len(defaults) + len(excluded)) if c not in excluded]
    return _lines(filenames, compression_type, header).map(lambda line: tuple(decode_csv(
        line, defaults, field_delim=field_delim, use_quote_delim=use_quote_delim,
        na_value=na_value, select_cols=select_cols)))


def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None,
                     label_name=None, select_columns=None, field_delim=",",
                     use_quote_delim=True, na_value="", header=True, num_epochs=None,
                     shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                     prefetch_buffer_size=None, num_parallel_reads=None, sloppy=False,
                     num_rows_for_inference=100, compression_type=None, ignore_errors=False,
                     encoding="utf-8"):
    """Batches of ``({column: values}, labels)`` (or the dict alone without ``label_name``)
    from CSV files with a header row naming the columns. Column types come from
    ``column_defaults`` or are inferred from the first rows (int32, float32, else string)."""
    import glob

    patterns = [file_pattern] if isinstance(file_pattern, (str, bytes)) else list(file_pattern)
    files = sorted({f for p in patterns for f in glob.glob(str(p, encoding) if isinstance(
        p, bytes) else p)})
    if not files:
        raise ValueError(f"No files match `file_pattern` {file_pattern}.")
    open_fn = _opener(compression_type, encoding) if column_names is None or \
        column_defaults is None else None
    if column_names is None:
        if not header:
            raise ValueError("Expected `column_names` or `header` arguments to not both be "
                             "empty.")
        column_names = _infer_column_names(files, field_delim, use_quote_delim, open_fn)
    column_names = list(column_names)
    if len(column_names) != len(set(column_names)):
        dups = {a for a, b in zip(sorted(column_names), sorted(column_names)[1:]) if a == b}
        raise ValueError("Either `column_names` argument or CSV header row contains "
                         f"duplicate column names: {dups}.")
    if select_columns is not None:
        keep = [column_names.index(c) if isinstance(c, str) else int(c) for c in select_columns]
        keep = sorted(set(keep))
    else:
        keep = list(range(len(column_names)))
    names = [column_names[c] for c in keep]
    if label_name is not None and label_name not in names:
        raise ValueError(f"`label_name` provided must be one of the columns: {names}. "
                         f"Received: {label_name}.")
    if column_defaults is None:
        column_defaults = _infer_column_defaults(
            files, len(column_names), keep, field_delim, use_quote_delim, na_value, header,
            num_rows_for_inference, open_fn)
    ds = CsvDataset(files, column_defaults, compression_type, header=header,
                    field_delim=field_delim, use_quote_delim=use_quote_delim,
                    na_value=na_value, select_cols=keep if len(keep) < len(column_names)
                    else None)
    if ignore_errors:
        from .experimental_ops import IgnoreErrors

        ds = IgnoreErrors(ds)
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, seed=shuffle_seed)
    if num_epochs != 1:
        ds = ds.repeat(num_epochs)

    def to_features(*columns):
        features = collections.OrderedDict(zip(names, columns))  # TF's structure type
        if label_name is None:
            return features
        label = features.pop(label_name)
        return features, label

    return ds.batch(batch_size).map(to_features)


def _opener(compression_type, encoding):
    """How TF's make_csv_dataset opens a file for inference: text, or gunzipped text."""
    if isinstance(compression_type, Tensor):
        from ..tensor_conversion import constant_value

        value = constant_value(compression_type)
        if value is None:
            raise ValueError(f"Received unknown `compression_type` {compression_type}. "
                             "Expected: GZIP, ZLIB or  (empty string).")
        compression_type = value.item()
    if isinstance(compression_type, bytes):
        compression_type = compression_type.decode()
    if compression_type in (None, ""):
        return lambda path: open(path, encoding=encoding, newline="")
    if compression_type == "GZIP":
        return lambda path: gzip.open(path, "rt", encoding=encoding)
    if compression_type == "ZLIB":
        raise ValueError(f"`compression_type` {compression_type} is not supported for "
                         "probing columns.")
    raise ValueError(f"Received unknown `compression_type` {compression_type}. "
                     "Expected: GZIP, ZLIB or  (empty string).")


def _reader(f, delim, use_quote_delim):
    return csv.reader(f, delimiter=delim,
                      quoting=csv.QUOTE_MINIMAL if use_quote_delim else csv.QUOTE_NONE)


def _infer_column_names(files, delim, use_quote_delim, open_fn) -> list:
    """The header row of the first file (TF's csv.reader parse, so quoted names keep their
    delimiters); every other file must have the same one."""
    names = None
    for path in files:
        with open_fn(path) as f:
            try:
                row = next(_reader(f, delim, use_quote_delim))
            except StopIteration:
                raise ValueError(f"Failed when reading the header line of {path}. Is it an "
                                 "empty file?") from None
        if names is None:
            names = row
        elif row != names:
            raise ValueError("All input CSV files should have the same column names in the "
                             f"header row. File {path} has different column names.")
    return names


def _is_int(text: str, dtype) -> bool:
    try:
        return int(dtype(text)) == int(np.int64(text))  # int32 must not wrap
    except (ValueError, OverflowError):
        return False


def _is_float(text: str, dtype) -> bool:
    try:
        with np.errstate(over="ignore"):
            return bool(dtype(text) < np.inf)  # so nan and an overflow to inf are not floats
    except ValueError:
        return False


# From least to most permissive, as TF's _infer_type tries them.
_INFERRED = ((np.int32, lambda v: _is_int(v, np.int32)), (np.int64, lambda v: _is_int(v, np.int64)),
             (np.float32, lambda v: _is_float(v, np.float32)),
             (np.float64, lambda v: _is_float(v, np.float64)), (object, lambda v: True))


def _infer_type(text: str, na_value: str, prev: int | None) -> int | None:
    """The index in _INFERRED of the least permissive type holding ``text`` and every value
    before it (``prev``); an empty or NA field says nothing."""
    if text in ("", na_value):
        return prev
    for i, (_, valid) in enumerate(_INFERRED):
        if (prev is None or prev <= i) and valid(text):
            return i
    return len(_INFERRED) - 1


def _infer_column_defaults(files, num_cols, keep, delim, use_quote_delim, na_value, header,
                           rows, open_fn) -> list:
    """TF's _infer_column_defaults: the first ``rows`` records of the files (read as TF does,
    with Python's csv module) give each kept column a type, int32, int64, float32, float64 or
    string; a column with no value is string. A record of another width is a ValueError."""
    kinds = [None] * len(keep)
    seen = 0
    for path in files:
        with open_fn(path) as f:
            records = _reader(f, delim, use_quote_delim)
            row_num = 1
            if header:
                next(records, None)
                row_num += 1
            for row in records:
                if rows is not None and seen >= rows:
                    break
                if len(row) != num_cols:
                    raise ValueError(f"Problem inferring types: CSV row {row_num} has "
                                     f"{len(row)} number of fields. Expected: {num_cols}.")
                row_num += 1
                seen += 1
                kinds = [_infer_type(row[c], na_value, k) for c, k in zip(keep, kinds)]
        if rows is not None and seen >= rows:
            break
    return [np.array([""], object) if k is None or _INFERRED[k][0] is object
            else np.zeros([1], _INFERRED[k][0]) for k in kinds]
