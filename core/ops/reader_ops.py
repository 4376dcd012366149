"""TF1's readers: TFRecordReaderV2, TextLineReaderV2, FixedLengthRecordReaderV2,
WholeFileReaderV2, IdentityReaderV2 and the ops on their handle (ReaderReadV2,
ReaderReadUpToV2, ReaderNumRecordsProducedV2, ReaderNumWorkUnitsCompletedV2, ReaderResetV2),
behind the reader classes of core/queues.py.

A reader op outputs a handle (a resource: the ``Reader`` object), one per op and session. A
read takes the next "work unit" (a file name) from a queue of strings when the current one is
used up, as TF's ReaderBase does: keys are TF's ("file:byte offset" for TFRecord, "file:line
number" for text, "file:record index" for fixed-length records, the file name for whole files).
A read holds the reader's lock while it waits on the queue, as TF's does; the queue's wait
releases everything else.
"""

from __future__ import annotations

import threading
import zlib

import numpy as np

from .. import dtypes as _dt
from ..errors import DataLossError, InvalidArgumentError, NotFoundError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req
from ..tensor_shape import TensorShape
from ..tfrecord import open_compressed, records_of

__all__: list[str] = []  # the public API lives in core/queues.py


class Reader:
    """One reader's position in one session. Subclasses produce ``(key, value)`` pairs from a
    work unit: ``start(work)`` opens it, ``next_record()`` gives a pair or None at its end."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.work = None
        self.produced = self.started = self.finished = 0
        self.close_work()

    def close_work(self):
        pass

    def _next_work(self, queue):
        element = queue.dequeue(None)  # blocks; the queue's OutOfRange when closed and empty
        arr = np.asarray(element, dtype=object) if not isinstance(element, list) else None
        if arr is None or arr.size != 1 or not isinstance(arr.reshape(-1)[0], bytes):
            raise InvalidArgumentError(None, None, "Expected to dequeue a one-element string "
                                       "tensor, but got something else")
        return arr.reshape(-1)[0].decode(errors="surrogateescape")

    def read(self, queue, limit: int | None = None):
        """One pair (``limit`` None), else up to ``limit`` pairs from one work unit: TF's
        ReaderBase::Read and ReadUpTo."""
        keys, values = [], []
        want = 1 if limit is None else limit
        with self.lock:
            while len(keys) < want:
                if self.work is None:
                    try:
                        work = self._next_work(queue)
                    except Exception:
                        if limit is not None and keys:
                            break
                        raise
                    self.work = work
                    self.start(work)
                    self.started += 1
                pair = self.next_record()
                if pair is not None:
                    keys.append(pair[0])
                    values.append(pair[1])
                    self.produced += 1
                if pair is None or self.at_end:
                    self.close_work()
                    self.work = None
                    self.finished = self.started
                    if keys:
                        break
        if limit is None:
            return [np.array(keys[0], dtype=object), np.array(values[0], dtype=object)]
        return [np.array(keys + [None], dtype=object)[:-1],
                np.array(values + [None], dtype=object)[:-1]]

    at_end = False  # the pair just produced was the work unit's last (whole-file readers)


class _FileReader(Reader):
    compression = ""

    def close_work(self):
        stream = getattr(self, "_stream", None)
        if stream is not None:
            stream.close()
        self._stream = None

    def _open(self, work):
        self._stream = open_compressed(work, self.compression)
        return self._stream


class TFRecordReader(_FileReader):
    def __init__(self, compression):
        self.compression = compression
        super().__init__()

    def start(self, work):
        self._records = records_of(self._open(work), work)
        self._offset = 0

    def next_record(self):
        data = next(self._records, None)
        if data is None:
            return None
        key = f"{self.work}:{self._offset}".encode()
        self._offset += len(data) + 16  # TF's key: the record's byte offset in the file
        return key, data


class TextLineReader(_FileReader):
    def __init__(self, skip_header_lines):
        self.skip = skip_header_lines
        super().__init__()

    def start(self, work):
        self._lines = self._read_lines(self._open(work), work)
        self._line = 0
        for _ in range(self.skip):
            if next(self._lines, None) is None:
                break
            self._line += 1

    @staticmethod
    def _read_lines(stream, path):
        try:
            for line in stream:
                if line.endswith(b"\n"):
                    line = line[:-1]
                yield line[:-1] if line.endswith(b"\r") else line
        except (OSError, EOFError, zlib.error) as e:
            raise DataLossError(None, None, f"cannot read {path}: {e}") from None

    def next_record(self):
        line = next(self._lines, None)
        if line is None:
            return None
        self._line += 1  # TF's key: the line's number, from 1, header lines counted
        return f"{self.work}:{self._line}".encode(), line


class FixedLengthRecordReader(_FileReader):
    def __init__(self, header_bytes, record_bytes, footer_bytes, hop_bytes, encoding):
        self.header, self.record, self.footer = header_bytes, record_bytes, footer_bytes
        self.hop, self.compression = hop_bytes, encoding
        super().__init__()

    def start(self, work):
        stream = self._open(work)
        try:
            data = stream.read()
        except (OSError, EOFError, zlib.error) as e:
            raise DataLossError(None, None, f"cannot read {work}: {e}") from None
        self._body = data[self.header:len(data) - self.footer] if self.footer else \
            data[self.header:]
        self._index = 0

    def next_record(self):
        step = self.hop if self.hop > 0 else self.record
        start = self._index * step
        if start + self.record > len(self._body):  # a short last record is dropped, as TF
            return None
        key = f"{self.work}:{self._index}".encode()
        self._index += 1
        return key, self._body[start:start + self.record]


class WholeFileReader(Reader):
    at_end = True

    def start(self, work):
        try:
            with open(work, "rb") as f:
                self._data = f.read()
        except FileNotFoundError:
            raise NotFoundError(None, None, f"{work}; No such file or directory") from None
        except OSError as e:
            raise NotFoundError(None, None, f"{work}; {e.strerror or e}") from None

    def next_record(self):
        return self.work.encode(), self._data


class IdentityReader(Reader):
    at_end = True

    def start(self, work):
        pass

    def next_record(self):
        return self.work.encode(), self.work.encode()


# -- the reader ops ------------------------------------------------------------------------------
_lock = threading.Lock()


def _reader_def(op_type, make, extra=None, doc=""):
    def kernel(state, *, container, shared_name, **attrs):
        reader = state.get("reader")
        if reader is None:
            with _lock:  # two runs of a new session may race to make it
                reader = state.get("reader")
                if reader is None:
                    reader = state["reader"] = make(**attrs)
        return reader

    def infer(**attrs):
        return [TensorSpec(TensorShape([]), _dt.resource)]

    return register(OpDef(
        op_type, attrs={"container": "", "shared_name": "", **(extra or {})}, kernel=kernel,
        infer=infer, grad=NOT_DIFFERENTIABLE, stateful=True, resource="state", doc=doc))


def _compression(kind: str) -> str:
    kind = (kind or "").upper()
    if kind not in ("", "ZLIB", "GZIP"):
        raise InvalidArgumentError(None, None, f"Unsupported compression_type: {kind}")
    return kind


TF_RECORD_READER = _reader_def(
    "TFRecordReaderV2", lambda compression_type: TFRecordReader(_compression(compression_type)),
    {"compression_type": ""}, doc="Reads the records of TFRecord files.")
TEXT_LINE_READER = _reader_def(
    "TextLineReaderV2", lambda skip_header_lines: TextLineReader(skip_header_lines),
    {"skip_header_lines": 0}, doc="Reads the lines of text files.")
FIXED_LENGTH_RECORD_READER = _reader_def(
    "FixedLengthRecordReaderV2",
    lambda header_bytes, record_bytes, footer_bytes, hop_bytes, encoding:
        FixedLengthRecordReader(header_bytes, record_bytes, footer_bytes, hop_bytes,
                                _compression(encoding)),
    {"header_bytes": 0, "record_bytes": req("int"), "footer_bytes": 0, "hop_bytes": 0,
     "encoding": ""}, doc="Reads fixed-length records between a header and a footer.")
WHOLE_FILE_READER = _reader_def(
    "WholeFileReaderV2", WholeFileReader, doc="Reads each file whole.")
IDENTITY_READER = _reader_def(
    "IdentityReaderV2", IdentityReader, doc="Gives each work unit as its key and value.")


def _scalar_strings(*_, **__):
    return [TensorSpec(TensorShape([]), _dt.string), TensorSpec(TensorShape([]), _dt.string)]


def _vector_strings(*_, **__):
    return [TensorSpec(TensorShape([None]), _dt.string),
            TensorSpec(TensorShape([None]), _dt.string)]


READER_READ = register(OpDef(
    "ReaderReadV2", inputs=["reader_handle:resource", "queue_handle:resource"],
    kernel=lambda reader, queue: reader.read(queue), infer=_scalar_strings,
    grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="The next (key, value) record; takes a work unit from the queue when needed.",
))


def _read_up_to_kernel(reader, queue, num_records):
    n = int(np.asarray(num_records))
    if n <= 0:
        raise InvalidArgumentError(None, None, f"num_records must be positive, got {n}")
    return reader.read(queue, n)


READER_READ_UP_TO = register(OpDef(
    "ReaderReadUpToV2",
    inputs=["reader_handle:resource", "queue_handle:resource", "num_records:int64"],
    kernel=_read_up_to_kernel, infer=_vector_strings, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Up to num_records (key, value) records, all from one work unit.",
))
READER_NUM_RECORDS_PRODUCED = register(OpDef(
    "ReaderNumRecordsProducedV2", inputs=["reader_handle:resource"],
    kernel=lambda reader: np.int64(reader.produced),
    infer=lambda h: [TensorSpec(TensorShape([]), _dt.int64)], grad=NOT_DIFFERENTIABLE,
    stateful=True, doc="How many records the reader produced.",
))
READER_NUM_WORK_UNITS_COMPLETED = register(OpDef(
    "ReaderNumWorkUnitsCompletedV2", inputs=["reader_handle:resource"],
    kernel=lambda reader: np.int64(reader.finished),
    infer=lambda h: [TensorSpec(TensorShape([]), _dt.int64)], grad=NOT_DIFFERENTIABLE,
    stateful=True, doc="How many work units the reader finished.",
))


def _reset_kernel(reader):
    with reader.lock:
        reader.reset()
    return ()


READER_RESET = register(OpDef(
    "ReaderResetV2", inputs=["reader_handle:resource"], kernel=_reset_kernel,
    infer=lambda h: [], grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Restores the reader to its initial state.",
))
