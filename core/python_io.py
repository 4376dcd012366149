"""``tf.python_io``: write and read TFRecord files from Python (TFRecordWriter,
tf_record_iterator, TFRecordOptions, TFRecordCompressionType).

Records are framed by core/tfrecord.py, the same codec tf.data.TFRecordDataset reads. A
compressed file is one gzip or zlib stream over the whole framed file, as TensorFlow writes it;
``flush`` does a sync flush so the records written so far can be read while writing goes on.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator

from .errors import FailedPreconditionError, NotFoundError
from .tfrecord import encode_record, open_compressed, records_of

__all__ = ["TFRecordCompressionType", "TFRecordOptions", "TFRecordWriter", "tf_record_iterator"]


class TFRecordCompressionType:
    """The compression of a TFRecord file (TF's enum values)."""

    NONE = 0
    ZLIB = 1
    GZIP = 2


class TFRecordOptions:
    """``TFRecordOptions(compression_type=None, ..., compression_level=None)``: how a record
    file is compressed. The zlib tuning knobs TF accepts are taken and, except the level,
    ignored (they change speed and size, never what is read back)."""

    compression_type_map = {TFRecordCompressionType.ZLIB: "ZLIB",
                            TFRecordCompressionType.GZIP: "GZIP",
                            TFRecordCompressionType.NONE: ""}

    def __init__(self, compression_type=None, flush_mode=None, input_buffer_size=None,
                 output_buffer_size=None, window_bits=None, compression_level=None,
                 compression_method=None, mem_level=None, compression_strategy=None):
        _compression_string(compression_type)  # rejects a bad value now, as TF does
        self.compression_type = compression_type
        self.flush_mode = flush_mode
        self.input_buffer_size = input_buffer_size
        self.output_buffer_size = output_buffer_size
        self.window_bits = window_bits
        self.compression_level = compression_level
        self.compression_method = compression_method
        self.mem_level = mem_level
        self.compression_strategy = compression_strategy

    @classmethod
    def get_compression_type_string(cls, options) -> str:
        """``""``, ``"ZLIB"`` or ``"GZIP"`` for options, a compression type or None."""
        if isinstance(options, TFRecordOptions):
            options = options.compression_type
        return _compression_string(options)


def _compression_string(value) -> str:
    if value is None:
        return ""
    if isinstance(value, TFRecordOptions):
        return _compression_string(value.compression_type)
    if isinstance(value, int) and value in TFRecordOptions.compression_type_map:
        return TFRecordOptions.compression_type_map[value]
    if isinstance(value, str) and value.upper() in ("", "ZLIB", "GZIP"):
        return value.upper()
    raise ValueError(f'Not a valid compression_type: "{value}"')


def _level(options) -> int:
    level = getattr(options, "compression_level", None)
    return zlib.Z_DEFAULT_COMPRESSION if level is None else int(level)


def _open(path, mode: str):
    try:
        return open(os.fspath(path), mode)  # noqa: SIM115 - owned by the writer / iterator
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{path}; No such file or directory") from None


class _ZlibWriter:
    """A raw file behind one zlib stream (TF's ZLIB: zlib header, deflate, adler32)."""

    def __init__(self, f, level: int):
        self._f = f
        self._z = zlib.compressobj(level)

    def write(self, data: bytes):
        self._f.write(self._z.compress(data))

    def flush(self):
        self._f.write(self._z.flush(zlib.Z_SYNC_FLUSH))
        self._f.flush()

    def close(self):
        try:
            self._f.write(self._z.flush())
        finally:
            self._f.close()


class _GzipWriter(_ZlibWriter):
    def __init__(self, f, level: int):
        # No file name and mtime 0: the same records always give the same bytes.
        self._f = f
        self._gz = gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0,
                                 compresslevel=level)

    def write(self, data: bytes):
        self._gz.write(data)

    def flush(self):
        self._gz.flush()  # a sync flush
        self._f.flush()

    def close(self):
        try:
            self._gz.close()  # writes the trailer; leaves fileobj open
        finally:
            self._f.close()


class TFRecordWriter:
    """``tf.python_io.TFRecordWriter(path, options=None)``: appends records (bytes or bytearray;
    a str is written as UTF-8) to a new file. A context manager; ``close`` is idempotent and a write
    after it is FailedPreconditionError, as in TF."""

    def __init__(self, path, options=None):
        kind = _compression_string(options)
        f = _open(path, "wb")
        if kind == "GZIP":
            self._out = _GzipWriter(f, _level(options))
        elif kind == "ZLIB":
            self._out = _ZlibWriter(f, _level(options))
        else:
            self._out = f
        self._closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check_open(self):
        if self._closed:
            raise FailedPreconditionError(None, None, "Writer is closed.")

    def write(self, record):
        """Appends one record: bytes, a bytearray or a str (as UTF-8)."""
        # TF's binding converts to std::string: anything else (an int, an array, a list, a
        # memoryview, a str UTF-8 cannot encode) is its TypeError, before the closed check.
        data = record
        if isinstance(record, str):
            try:
                data = record.encode()
            except UnicodeEncodeError:
                data = None
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("write(): incompatible function arguments. The following argument "
                            "types are supported:\n    1. (self: RecordWriter, record: str) -> "
                            f"None\n\nInvoked with: {self!r}, {record!r}")
        self._check_open()
        self._out.write(encode_record(bytes(data)))

    def flush(self):
        """Pushes what was written to the file (readable before ``close``)."""
        self._check_open()
        self._out.flush()

    def close(self):
        if not self._closed:
            self._closed = True
            self._out.close()


def tf_record_iterator(path, options=None) -> Iterator[bytes]:
    """``tf.python_io.tf_record_iterator(path, options=None)``: the records of a file, as
    bytes. A missing file is NotFoundError; a corrupt or truncated record DataLossError."""
    # Opened at the call, as TF opens the file then (a missing file fails at once).
    stream = open_compressed(path, _compression_string(options))
    return _records(stream, path)


def _records(stream, path) -> Iterator[bytes]:
    with stream:
        yield from records_of(stream, path)
