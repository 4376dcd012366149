"""Summary-writer resource ops: SummaryWriter, CreateSummaryFileWriter, FlushSummaryWriter,
CloseSummaryWriter and the ops writing through the handle (WriteSummary, WriteScalarSummary,
WriteHistogramSummary, WriteImageSummary, WriteAudioSummary, WriteRawProtoSummary,
WriteGraphSummary, ImportEvent), behind ``tf.contrib.summary`` (core/contrib/summary.py).

SummaryWriter outputs a handle (the ``SummaryWriterResource`` itself), one per (container,
shared_name) and session: as TF's ResourceMgr, SummaryWriter ops naming the same resource share
it (``tf.contrib.summary.create_file_writer`` names it "logdir:<logdir>"), even with an empty
shared_name (TF's ResourceHandleOp then names it ""). As in TF, the handle exists
at once but the writer behind it only once CreateSummaryFileWriter ran (a second run of it is a
no-op: TF's LookupOrCreate); writing before that, or after CloseSummaryWriter deleted it, is
TF's NotFoundError. Closing the session closes the writer, flushing it, as TF's resource
manager does. The file side is ``tf.summary.FileWriter`` (core/summary.py): one event file per
writer, events appended by its background thread; each write op adds one Event (the
values are encoded as TF's summary_converter.cc does, mostly by the kernels of
core/ops/summary_ops.py).
"""

from __future__ import annotations

import sys
import threading
import time

import numpy as np

from .. import _wire as w
from .. import dtypes as _dt
from ..errors import (DataLossError, FailedPreconditionError, InvalidArgumentError,
                      NotFoundError)
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ..plan_resources import SHARED_BY_NAME
from ..tensor_shape import TensorShape
from . import summary_ops as _s
from .queue_ops import resource_in

__all__: list[str] = []  # the public API lives in core/contrib/summary.py


class SummaryWriterResource:
    """One writer resource in one session: a FileWriter once created.

    ``lock`` orders the writes against Close: a write holds it while it adds its event, and
    Close detaches the writer under it before closing it, so a write either lands in the file
    (Close flushes it) or finds the writer gone (NotFoundError), never a closed writer."""

    def __init__(self, name: str):
        self.name = name
        self.writer = None  # a core.summary.FileWriter between Create... and Close...
        self.lock = threading.Lock()

    def _missing(self):
        return NotFoundError(None, None, f"Resource localhost/{self.name}/SummaryWriterInterface "
                             "does not exist. (Run the writer's init op first: "
                             "tf.contrib.summary.summary_writer_initializer_op() or "
                             "tf.contrib.summary.initialize().)")

    def require(self):
        writer = self.writer
        if writer is None:
            raise self._missing()
        return writer

    def create(self, make):
        with self.lock:
            if self.writer is None:
                self.writer = make()

    def flush(self):
        with self.lock:
            wait = self.require()._request_flush()
        wait()  # outside the lock: writes and Close go on while the disk catches up

    def delete(self):
        with self.lock:
            writer, self.writer = self.writer, None
        if writer is None:
            raise self._missing()
        writer.close()

    def cancel(self):
        """The session closed: TF's resource manager destroys the writer, which flushes."""
        with self.lock:
            writer, self.writer = self.writer, None
        if writer is not None:
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - TF's destructor ignores flush errors too
                pass

    def add_event(self, event: bytes):
        with self.lock:
            self.require().add_event(event)

    def write(self, step, **what):
        """Appends one Event (``what``: encode_event's fields) at ``step``."""
        from ..summary import encode_event  # at run time: core/summary.py builds on the op modules

        self.add_event(encode_event(time.time(), _scalar(step, "step", int), **what))


def _scalar(value, what: str, kind=None):
    """The single value of a scalar input (TF reads them with scalar<T>())."""
    arr = np.asarray(value)
    if arr.ndim != 0:
        raise InvalidArgumentError(None, None, f"{what} must be a scalar, got shape "
                                   f"{_s._shape_string(arr.shape)}")
    v = arr[()]
    if kind is int:
        return int(v)
    if kind is str:
        return (v if isinstance(v, bytes) else str(v).encode()).decode(errors="replace")
    return v


def _tag(tag) -> bytes:
    return _s._as_bytes(_scalar(tag, "tag"))


def _value(tag: bytes, field: int, payload: bytes) -> bytes:
    """One serialized Summary (one Value: ``tag`` and a message field)."""
    head = w.string(_s.VALUE_TAG, tag) if tag else b""  # proto3 omits ""
    return w.length_delimited(_s.SUMMARY_VALUE, head + w.length_delimited(field, payload))


def _parses(data: bytes) -> bool:
    try:
        for _ in w.fields(data):
            pass
    except w.WireError:
        return False
    return True


def _no_outputs(*_, **__):
    return []


def _stateful(op_type, inputs, kernel, infer=_no_outputs, attrs=None, doc=""):
    return register(OpDef(op_type, inputs=inputs, attrs=attrs or {}, kernel=kernel, infer=infer,
                          grad=NOT_DIFFERENTIABLE, stateful=True, doc=doc))


# -- the handle and its life cycle ----------------------------------------------------------------
def _writer_kernel(state, *, shared_name, container):
    return resource_in(state, lambda: SummaryWriterResource(shared_name or "SummaryWriter"))


SHARED_BY_NAME.add("SummaryWriter")  # its state (the resource) is per (container, shared_name)


SUMMARY_WRITER = register(OpDef(
    "SummaryWriter", attrs={"shared_name": "", "container": ""},
    kernel=_writer_kernel, infer=lambda **_: [TensorSpec(TensorShape([]), _dt.resource)],
    grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
    doc="A summary writer's handle (the writer itself lives in the session).",
))


def _create_file_writer_kernel(writer, logdir, max_queue, flush_millis, filename_suffix):
    logdir = _scalar(logdir, "logdir", str)
    max_queue = _scalar(max_queue, "max_queue", int)
    flush_millis = _scalar(flush_millis, "flush_millis", int)
    suffix = _scalar(filename_suffix, "filename_suffix", str)

    def make():
        from ..summary import FileWriter  # at run time: core/summary.py builds on the op modules

        try:
            # TF flushes when more than max_queue events wait (FileWriter: at max_queue); a
            # negative max_queue never triggers it in TF's size_t comparison.
            return FileWriter(logdir, max_queue=max_queue + 1 if max_queue >= 0 else sys.maxsize,
                              flush_secs=max(flush_millis, 0) / 1000.0, filename_suffix=suffix)
        except OSError as e:
            raise FailedPreconditionError(None, None, f"Could not initialize events writer in "
                                          f"'{logdir}': {e}") from None

    writer.create(make)
    return ()


CREATE_SUMMARY_FILE_WRITER = _stateful(
    "CreateSummaryFileWriter", ["writer:resource", "logdir:string", "max_queue:int32",
                                "flush_millis:int32", "filename_suffix:string"],
    _create_file_writer_kernel,
    doc="Creates the writer's event file in logdir (a no-op if the writer exists).")


def _flush_kernel(writer):
    writer.flush()
    return ()


def _close_kernel(writer):
    writer.delete()
    return ()


FLUSH_SUMMARY_WRITER = _stateful("FlushSummaryWriter", ["writer:resource"], _flush_kernel,
                                 doc="Writes the pending events to the file.")
CLOSE_SUMMARY_WRITER = _stateful(
    "CloseSummaryWriter", ["writer:resource"], _close_kernel,
    doc="Flushes and closes the writer; it must be created again to write.")


# -- writing --------------------------------------------------------------------------------------
def _write_summary_kernel(writer, step, tensor, tag, summary_metadata):
    writer.require()  # TF looks the writer up first
    tag = _tag(tag)
    meta = _s._as_bytes(_scalar(summary_metadata, "summary_metadata"))
    value = (w.string(_s.VALUE_TAG, tag) if tag else b"") \
        + w.length_delimited(_s.VALUE_TENSOR, _s.tensor_proto(np.asarray(tensor)))
    if meta:  # TF sets the metadata only when given
        value += w.length_delimited(_s.VALUE_METADATA, meta)
    writer.write(step, summary=w.length_delimited(_s.SUMMARY_VALUE, value))
    return ()


WRITE_SUMMARY = _stateful(
    "WriteSummary", ["writer:resource", "step:int64", "tensor:T", "tag:string",
                     "summary_metadata:string"], _write_summary_kernel,
    doc="Writes a tensor summary (the tensor as a TensorProto, with its metadata).")


def _write_scalar_kernel(writer, step, tag, value):
    writer.require()  # TF looks the writer up first
    tag = _tag(tag)
    value = np.asarray(value)
    if value.ndim != 0:  # TF would write the first element (and crash on an empty tensor)
        raise InvalidArgumentError(None, None, f"WriteScalarSummary: the value of "
                                   f"'{tag.decode(errors='replace')}' must be a scalar, got "
                                   f"shape {_s._shape_string(value.shape)}")
    summary = _s.SCALAR_SUMMARY.kernel(np.array(tag, dtype=object), value)[()]
    writer.write(step, summary=summary)
    return ()


def _write_scalar_infer(writer, step, tag, value):
    _s._check_dtype(value, _s._REAL, "value", "WriteScalarSummary")
    if value.shape.rank not in (None, 0):
        raise shape_error(f"WriteScalarSummary: value must be a scalar, got shape "
                          f"{value.shape}")
    return []


WRITE_SCALAR_SUMMARY = _stateful(
    "WriteScalarSummary", ["writer:resource", "step:int64", "tag:string", "value:T"],
    _write_scalar_kernel, _write_scalar_infer,
    doc="Writes a scalar as a Summary simple_value (float32).")


def _write_histogram_kernel(writer, step, tag, values):
    writer.require()  # TF looks the writer up first
    tag = _tag(tag)
    x = np.asarray(values, dtype=np.float64)
    bad = x.reshape(-1)[~np.isfinite(x.reshape(-1))]
    if bad.size:
        what = "Nan" if np.isnan(bad[0]) else "Infinity"
        raise InvalidArgumentError(None, None, f"{what} in summary histogram for: "
                                   f"{tag.decode(errors='replace')}")
    writer.write(step, summary=_value(tag, _s.VALUE_HISTO, _s.histogram_proto(x)))
    return ()


def _write_histogram_infer(writer, step, tag, values):
    _s._check_dtype(values, _s._REAL, "values", "WriteHistogramSummary")
    return []


WRITE_HISTOGRAM_SUMMARY = _stateful(
    "WriteHistogramSummary", ["writer:resource", "step:int64", "tag:string",
                              "values:T=float32"], _write_histogram_kernel,
    _write_histogram_infer, doc="Writes a histogram of values (NaN/Inf fail).")


def _write_image_kernel(writer, step, tag, tensor, bad_color, *, max_images):
    writer.require()  # TF looks the writer up first
    tag = _tag(tag)
    bad = np.asarray(bad_color)
    if bad.ndim != 1:
        raise InvalidArgumentError(None, None, "bad_color must be a vector, got shape "
                                   f"{_s._shape_string(bad.shape)}")
    summary = _s.IMAGE_SUMMARY.kernel(np.array(tag, dtype=object), tensor,
                                      max_images=max_images, bad_color=bad)[()]
    writer.write(step, summary=summary)
    return ()


_IMAGE_TYPES = (_dt.uint8, _dt.float32, _dt.float16)


def _write_image_infer(writer, step, tag, tensor, bad_color, *, max_images):
    _s._check_dtype(tensor, _IMAGE_TYPES, "tensor", "WriteImageSummary")
    if max_images < 1:
        raise shape_error(f"Attr max_images has value {max_images} < the minimum 1")
    return []


WRITE_IMAGE_SUMMARY = _stateful(
    "WriteImageSummary", ["writer:resource", "step:int64", "tag:string", "tensor:T=float32",
                          "bad_color:uint8"], _write_image_kernel, _write_image_infer,
    attrs={"max_images": 3},
    doc="Writes up to max_images PNG images of a [batch, height, width, 1|3|4] tensor.")


def _write_audio_kernel(writer, step, tag, tensor, sample_rate, *, max_outputs):
    writer.require()  # TF looks the writer up first
    tag = _tag(tag)
    rate = _scalar(sample_rate, "sample_rate")
    summary = _s.AUDIO_SUMMARY_V2.kernel(np.array(tag, dtype=object), tensor, rate,
                                         max_outputs=max_outputs)[()]
    writer.write(step, summary=summary)
    return ()


def _write_audio_infer(writer, step, tag, tensor, sample_rate, *, max_outputs):
    if max_outputs < 1:
        raise shape_error(f"Attr max_outputs has value {max_outputs} < the minimum 1")
    return []


WRITE_AUDIO_SUMMARY = _stateful(
    "WriteAudioSummary", ["writer:resource", "step:int64", "tag:string", "tensor:float32",
                          "sample_rate:float32"], _write_audio_kernel, _write_audio_infer,
    attrs={"max_outputs": 3},
    doc="Writes up to max_outputs 16-bit WAV clips of a [batch, frames(, channels)] tensor.")


def _write_raw_proto_kernel(writer, step, tensor):
    writer.require()  # TF looks the writer up first
    parts = [_s._as_bytes(v) for v in np.asarray(tensor, dtype=object).reshape(-1)]
    for i, part in enumerate(parts):
        if not _parses(part):
            raise DataLossError(None, None, "Bad tf.compat.v1.Summary binary proto tensor "
                                f"string at index {i}")
    writer.write(step, summary=b"".join(parts))  # TF merges them: their values concatenate
    return ()


WRITE_RAW_PROTO_SUMMARY = _stateful(
    "WriteRawProtoSummary", ["writer:resource", "step:int64", "tensor:string"],
    _write_raw_proto_kernel, doc="Writes serialized Summary protos as one Event.")


def _write_graph_kernel(writer, step, tensor):
    writer.require()  # TF looks the writer up first
    data = _s._as_bytes(_scalar(tensor, "tensor"))
    if not _parses(data):
        raise DataLossError(None, None, "Bad tf.GraphDef binary proto tensor string")
    writer.write(step, graph_def=data)
    return ()


WRITE_GRAPH_SUMMARY = _stateful(
    "WriteGraphSummary", ["writer:resource", "step:int64", "tensor:string"],
    _write_graph_kernel, doc="Writes a serialized GraphDef as an Event's graph_def.")


def _import_event_kernel(writer, event):
    writer.require()  # TF looks the writer up first
    data = _s._as_bytes(_scalar(event, "event"))
    if not _parses(data):
        raise DataLossError(None, None, "Bad tf.Event binary proto tensor string")
    writer.add_event(data)
    return ()


IMPORT_EVENT = _stateful("ImportEvent", ["writer:resource", "event:string"],
                         _import_event_kernel, doc="Writes a serialized Event as it is.")
