"""File sources: ``tf.data.TFRecordDataset`` and ``tf.data.TextLineDataset``.

Files are opened when the iterator reaches them and read lazily, one record or line per
element; the file names may be a tensor (a placeholder fed at initialisation). A read error (a
corrupt or truncated record) fails one element (see dataset_ops.py) and the reader goes on with
the next file, as TF's; a file that cannot be opened still ends the run (TF fails every later
GetNext on it, forever)."""

from __future__ import annotations

import os
import zlib

import numpy as np

from .. import dtypes as _dt
from ..errors import DataLossError, InvalidArgumentError
from ..graph import Tensor
from ..type_spec_base import TensorSpec
from ..tensor_shape import TensorShape
from ..tfrecord import open_compressed, records_of
from . import structure as st
from .dataset_ops import AUTOTUNE, Dataset, _length_arg, failed, interleave


def _filenames_arg(filenames, what: str):
    """A string, a nest of lists of strings or a string tensor of any rank (flattened, as TF's
    reshape to [-1]), or a dataset of string scalars (read in turn, as TF's flat_map)."""
    if isinstance(filenames, Dataset):
        spec = filenames._structure
        if st.is_nest(spec) or not isinstance(spec, TensorSpec) or spec.dtype != _dt.string:
            raise TypeError(f"{what}: the `filenames` argument must contain `tf.string` "
                            f"elements. Got a dataset of `{st.describe(spec)}` elements.")
        if not spec.shape.is_compatible_with(TensorShape([])):
            raise TypeError(f"{what}: the `filenames` argument must contain `tf.string` "
                            f"elements of shape [] (i.e. scalars). Got a dataset of "
                            f"`{st.describe(spec)}` elements.")
        return filenames
    if isinstance(filenames, Tensor):
        if filenames.dtype != _dt.string:
            raise TypeError(f"{what}: the `filenames` argument must contain `tf.string` "
                            f"elements. Got `{filenames.dtype.name}` elements.")
        return filenames
    if isinstance(filenames, (str, bytes)):
        filenames = [filenames]
    try:
        arr = st.to_numpy(filenames if isinstance(filenames, np.ndarray) else list(filenames),
                          _dt.string)
    except (TypeError, ValueError):
        raise TypeError(f"{what}: `filenames` must be a string or a list of strings, got "
                        f"{filenames!r}") from None
    return arr.reshape(-1)


def _compression_arg(compression_type, what: str) -> str:
    kind = (compression_type or "").upper()
    if kind not in ("", "ZLIB", "GZIP"):
        raise ValueError(f"{what}: compression_type must be '', 'ZLIB' or 'GZIP', got "
                         f"{compression_type!r}")
    return kind


class _FileDataset(Dataset):
    _what = ""

    def __init__(self, filenames, compression_type, num_parallel_reads=None):
        self._files = _filenames_arg(filenames, self._what)
        self._compression = _compression_arg(compression_type, self._what)
        # TF reads N files at once (a deterministic interleave, block 1) when num_parallel_reads
        # is given, one after another otherwise; AUTOTUNE cycles over the machine's cores.
        if num_parallel_reads is None:
            self._parallel = None
        elif not isinstance(num_parallel_reads, Tensor) and num_parallel_reads == AUTOTUNE:
            self._parallel = os.cpu_count() or 1
        else:
            self._parallel = _length_arg(num_parallel_reads, "num_parallel_reads")
        super().__init__(TensorSpec(TensorShape([]), _dt.string),
                         (self._files,) if isinstance(self._files, Dataset) else (),
                         [x for x in (self._files, self._parallel) if isinstance(x, Tensor)])

    def _reader(self, ctx):
        """(stream, path) -> the file's items, for this iterator instance."""
        return self._read

    def _elements(self, ctx):
        if isinstance(self._files, Dataset):  # a lazy stream of names, one element each
            names = (e if failed(e) else np.asarray(e[0], dtype=object).item()
                     for e in self._files._elements(ctx))
        else:
            names = np.asarray(ctx.value(self._files), dtype=object).reshape(-1)
        read = self._reader(ctx)

        def file_elements(name):
            path = name.decode() if isinstance(name, bytes) else str(name)
            with open_compressed(path, self._compression) as stream:
                try:
                    for item in read(stream, path):
                        yield (np.array(item, dtype=object),)
                except (DataLossError, InvalidArgumentError) as e:
                    yield e  # the element fails; TF's reader then steps to the next file

        if self._parallel is None:
            for name in names:
                if failed(name):
                    yield name
                else:
                    yield from file_elements(name)
            return
        cycle = ctx.int_value(self._parallel)
        if cycle <= 0:
            raise InvalidArgumentError(None, None, f"{self._what}: num_parallel_reads must be "
                                       f"greater than zero, got {cycle}")
        yield from interleave(iter(names), file_elements, cycle, 1)


class TFRecordDataset(_FileDataset):
    """``tf.data.TFRecordDataset(filenames, compression_type=None)``: each record's bytes, as
    a string scalar. A record whose CRC does not match fails the run with DataLossError."""

    _what = "TFRecordDataset"

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None):
        super().__init__(filenames, compression_type, num_parallel_reads)

    def _read(self, stream, path):
        return records_of(stream, path)


class TextLineDataset(_FileDataset):
    """``tf.data.TextLineDataset(filenames, compression_type=None)``: each line, without its
    line ending."""

    _what = "TextLineDataset"

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None):
        super().__init__(filenames, compression_type, num_parallel_reads)

    def _read(self, stream, path):
        try:
            for line in stream:
                if line.endswith(b"\n"):
                    line = line[:-1]
                yield line.replace(b"\r", b"")  # TF's ReadLine drops every '\r' in a line
        except (OSError, EOFError, zlib.error) as e:
            raise InvalidArgumentError(None, None, f"cannot read {path}: {e}") from None


def _int_or_tensor(value, name: str, what: str):
    """An int, or a scalar integer tensor (read when the iterator starts)."""
    if isinstance(value, Tensor):
        if not value.dtype.is_integer or value.shape.rank not in (None, 0):
            raise TypeError(f"{what}: `{name}` must be a scalar integer, got {value!r}")
        return value
    if isinstance(value, (bool, np.bool_)) or np.ndim(value) != 0 or \
            np.asarray(value).dtype.kind not in "iu":
        raise TypeError(f"{what}: `{name}` must be an integer, got {value!r}")
    return int(value)


class FixedLengthRecordDataset(_FileDataset):
    """``tf.data.FixedLengthRecordDataset(filenames, record_bytes, header_bytes=None,
    footer_bytes=None, buffer_size=None, compression_type=None, num_parallel_reads=None)``:
    each file's body (after ``header_bytes``, before ``footer_bytes``) cut into records of
    ``record_bytes``, as string scalars."""

    _what = "FixedLengthRecordDataset"

    def __init__(self, filenames, record_bytes, header_bytes=None, footer_bytes=None,
                 buffer_size=None, compression_type=None, num_parallel_reads=None, name=None):
        self._sizes = [_int_or_tensor(v, n, self._what) for v, n in (
            (record_bytes, "record_bytes"), (header_bytes or 0, "header_bytes"),
            (footer_bytes or 0, "footer_bytes"))]
        super().__init__(filenames, compression_type, num_parallel_reads)
        self._own_captures += tuple(x for x in self._sizes if isinstance(x, Tensor))

    def _reader(self, ctx):
        record, header, footer = (ctx.int_value(x) for x in self._sizes)
        if record <= 0:
            raise InvalidArgumentError(None, None, "`record_bytes` must be > 0")
        if header < 0:
            raise InvalidArgumentError(None, None, "`header_bytes` must be >= 0")
        if footer < 0:
            raise InvalidArgumentError(None, None, "`footer_bytes` must be >= 0")
        return lambda stream, path: self._read(stream, path, record, header, footer)

    def _read(self, stream, path, record, header, footer):

        def misfit(body):
            return (f"Excluding the header ({header} bytes) and footer ({footer} bytes), input "
                    f"file \"{path}\" has body length {body} bytes, which is not an exact "
                    f"multiple of the record length ({record} bytes).")

        if not self._compression:
            # TF checks an uncompressed file's length before reading any record.
            body = os.fstat(stream.fileno()).st_size - header - footer
            if body < 0 or body % record:
                raise InvalidArgumentError(None, None, misfit(body))
        # A compressed body's length shows only at its end: the records before are given, then
        # DataLossError, as TF's. The last ``footer`` bytes are held back until the end.
        try:
            stream.read(header)
            pending, body = b"", 0
            while True:
                chunk = stream.read(max(record * 64, 1 << 16))
                pending += chunk
                while len(pending) >= record + footer:
                    yield pending[:record]
                    pending = pending[record:]
                    body += record
                if not chunk:
                    break
        except (OSError, EOFError, zlib.error) as e:
            raise DataLossError(None, None, f"cannot read {path}: {e}") from None
        if len(pending) != footer:
            raise DataLossError(None, None, misfit(body + len(pending) - footer))
