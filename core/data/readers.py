"""File sources: ``tf.data.TFRecordDataset`` and ``tf.data.TextLineDataset``.

Files are opened when the iterator reaches them and read lazily, one record or line per
element; the file names may be a tensor (a placeholder fed at initialisation)."""

from __future__ import annotations

import zlib

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import Tensor
from ..opdef import TensorSpec
from ..tensor_shape import TensorShape
from ..tfrecord import open_compressed, records_of
from . import structure as st
from .dataset_ops import Dataset


def _filenames_arg(filenames, what: str):
    """A string, list of strings or string tensor (scalar or vector)."""
    if isinstance(filenames, Tensor):
        if filenames.dtype != _dt.string or filenames.shape.rank not in (None, 0, 1):
            raise TypeError(f"{what}: `filenames` must be a tf.string scalar or vector tensor, "
                            f"got {filenames!r}")
        return filenames
    if isinstance(filenames, (str, bytes)):
        filenames = [filenames]
    try:
        arr = st.to_numpy(list(filenames), _dt.string)
    except (TypeError, ValueError):
        raise TypeError(f"{what}: `filenames` must be a string or a list of strings, got "
                        f"{filenames!r}") from None
    if arr.ndim != 1:
        raise TypeError(f"{what}: `filenames` must be a string or a list of strings, got "
                        f"{filenames!r}")
    return arr


def _compression_arg(compression_type, what: str) -> str:
    kind = (compression_type or "").upper()
    if kind not in ("", "ZLIB", "GZIP"):
        raise ValueError(f"{what}: compression_type must be '', 'ZLIB' or 'GZIP', got "
                         f"{compression_type!r}")
    return kind


class _FileDataset(Dataset):
    _what = ""

    def __init__(self, filenames, compression_type):
        self._files = _filenames_arg(filenames, self._what)
        self._compression = _compression_arg(compression_type, self._what)
        super().__init__(TensorSpec(TensorShape([]), _dt.string), (),
                         [self._files] if isinstance(self._files, Tensor) else [])

    def _elements(self, ctx):
        for name in np.asarray(ctx.value(self._files), dtype=object).reshape(-1):
            path = name.decode() if isinstance(name, bytes) else str(name)
            with open_compressed(path, self._compression) as stream:
                for item in self._read(stream, path):
                    yield (np.array(item, dtype=object),)


class TFRecordDataset(_FileDataset):
    """``tf.data.TFRecordDataset(filenames, compression_type=None)``: each record's bytes, as
    a string scalar. A record whose CRC does not match fails the run with DataLossError."""

    _what = "TFRecordDataset"

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None):
        super().__init__(filenames, compression_type)

    def _read(self, stream, path):
        return records_of(stream, path)


class TextLineDataset(_FileDataset):
    """``tf.data.TextLineDataset(filenames, compression_type=None)``: each line, without its
    line ending."""

    _what = "TextLineDataset"

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None):
        super().__init__(filenames, compression_type)

    def _read(self, stream, path):
        try:
            for line in stream:
                if line.endswith(b"\n"):
                    line = line[:-2] if line.endswith(b"\r\n") else line[:-1]
                yield line
        except (OSError, EOFError, zlib.error) as e:
            raise InvalidArgumentError(None, None, f"cannot read {path}: {e}") from None
