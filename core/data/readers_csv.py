"""``tf.data.experimental.CsvDataset`` and ``make_csv_dataset``, composed from
TextLineDataset and DecodeCSV (a quoted field may not span lines here)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..graph import Tensor
from .dataset_ops import Dataset
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
        lambda f: TextLineDataset(f, compression_type).skip(1))


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
    if column_names is None:
        if not header:
            raise ValueError("Expected `column_names` or `header` arguments to not both be "
                             "empty.")
        with open(files[0], encoding=encoding) as f:
            column_names = [c.strip() for c in f.readline().rstrip("\r\n").split(field_delim)]
    column_names = list(column_names)
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
        column_defaults = _infer_types(files[0], keep, header, field_delim, encoding,
                                       num_rows_for_inference)
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
        features = dict(zip(names, columns))
        if label_name is None:
            return features
        label = features.pop(label_name)
        return features, label

    return ds.batch(batch_size).map(to_features)


def _infer_types(path, keep, header, delim, encoding, rows):
    """int32 if every sampled value is an int, float32 if a number, else string (TF's
    inference order); empty fields say nothing."""
    kinds = [0] * len(keep)  # 0 int, 1 float, 2 string
    with open(path, encoding=encoding) as f:
        lines = f.read().splitlines()[1 if header else 0:][:rows]
    for line in lines:
        if not line:
            continue
        fields = line.split(delim)
        for i, c in enumerate(keep):
            v = fields[c].strip() if c < len(fields) else ""
            if not v:
                continue
            for kind, cast in ((0, int), (1, float)):
                try:
                    cast(v)
                    kinds[i] = max(kinds[i], kind)
                    break
                except ValueError:
                    continue
            else:
                kinds[i] = 2
    return [[0] if k == 0 else [0.0] if k == 1 else [""] for k in kinds]
