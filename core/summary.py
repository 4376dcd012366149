"""``tf.summary`` (TF 1.x): summary ops, ``merge``/``merge_all`` and ``FileWriter``.

Summary ops return scalar tf.string tensors holding serialized ``tensorflow.Summary`` protos
(core/ops/summary_ops.py). ``FileWriter`` wraps them in ``Event`` records and appends them to
``<logdir>/events.out.tfevents.<time>.<host>`` in TFRecord framing from a background thread, so
the training loop only pays for building a few bytes and appending them to a list.

Events are encoded with core's own wire encoder (core may not import the generated protos);
``tf.summary.Summary``, ``Event``, ``SessionLog``... resolve lazily to ``minitf.protos`` message
classes for code that builds summaries by hand, as TF1 code often does.
"""

from __future__ import annotations

import os
import queue
import re
import socket
import threading
import time
import warnings
import weakref

from . import _wire as w
from ._protos import lazy_classes
from . import dtypes as _dt
from .errors import FailedPreconditionError
from .graph import Graph, GraphKeys, add_to_collection, convert_to_tensor, get_collection
from .graph import get_default_graph, name_scope
from .ops import summary_ops as _ops
from .tfrecord import encode_record

# (Summary, Event, SessionLog... are resolved by the module __getattr__ below.)
__all__ = ["scalar", "histogram", "image", "audio", "text", "tensor_summary", "merge", "merge_all",
           "FileWriter", "FileWriterCache", "get_summary_description"]

# -- summary ops --------------------------------------------------------------------------------
_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w.]")


def _clean_tag(name):
    """TensorFlow's clean_tag: characters illegal in node names become "_", no leading "/"."""
    if name is None:
        return None
    return _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")


class _SummaryScope:
    """TensorFlow's summary_scope: a name scope for the op; the tag is the scope's full name
    (prefixed by ``family`` when given, so the family names the TensorBoard tab)."""

    def __init__(self, name, family=None, values=None):
        if name is None:  # TF's summary_scope: name_scope(None, default_name=None) refuses
            raise ValueError("At least one of name (None) and default_name (None) must be "
                             "provided.")
        name, family = _clean_tag(name), _clean_tag(family)
        self._base = name if family is None else f"{family}/{name}"
        self._family = family
        self._values = values

    def __enter__(self):
        self._cm = name_scope(self._base, values=self._values)
        scope = self._cm.__enter__()
        tag = scope.rstrip("/")
        if self._family is not None:
            tag = f"{self._family}/{tag}"
        return tag, scope

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def _collect(value, collections, default):
    for key in (default if collections is None else collections):
        add_to_collection(key, value)


def scalar(name, tensor, collections=None, family=None):
    """A ``Summary`` with one scalar value (``tensor`` must hold exactly one real number)."""
    with _SummaryScope(name, family, values=[tensor]) as (tag, scope):
        val = _ops.SCALAR_SUMMARY(tag, tensor, name=scope)
        _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


def histogram(name, values, collections=None, family=None):
    """A ``Summary`` with a histogram of ``values`` (any shape; NaN/Inf fail at run time)."""
    with _SummaryScope(name, family, values=[values]) as (tag, scope):
        val = _ops.HISTOGRAM_SUMMARY(tag, values, name=scope)
        _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


def image(name, tensor, max_outputs=3, collections=None, family=None):
    """A ``Summary`` with up to ``max_outputs`` PNG images from a 4-D ``[batch, height, width,
    channels]`` tensor (1, 3 or 4 channels; uint8 as is, floats rescaled to [0, 255])."""
    with _SummaryScope(name, family, values=[tensor]) as (tag, scope):
        val = _ops.IMAGE_SUMMARY(tag, tensor, max_images=max_outputs, name=scope)
        _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


def audio(name, tensor, sample_rate, max_outputs=3, collections=None, family=None):
    """A ``Summary`` with up to ``max_outputs`` 16-bit WAV clips from a ``[batch, frames,
    channels]`` or ``[batch, frames]`` float32 tensor of samples in [-1, 1]."""
    with _SummaryScope(name, family, values=[tensor]) as (tag, scope):
        sample_rate = convert_to_tensor(sample_rate, dtype=_dt.float32, name="sample_rate")
        val = _ops.AUDIO_SUMMARY_V2(tag, tensor, sample_rate, max_outputs=max_outputs,
                                    name=scope)
        _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


def _summary_metadata(plugin_name=None, display_name=None, description=None) -> bytes:
    """A serialized SummaryMetadata (plugin_data=1 {plugin_name=1}, display_name=2,
    summary_description=3)."""
    out = b""
    if plugin_name:
        out += w.length_delimited(1, w.string(1, plugin_name))
    if display_name:
        out += w.string(2, display_name)
    if description:
        out += w.string(3, description)
    return out


def _with_fields_set(meta: bytes, display_name, description) -> bytes:
    """``meta`` (a serialized SummaryMetadata) with display_name (2) and summary_description
    (3) set to the ones given (not None), as TF assigns them: '' clears the field."""
    given = {k: v for k, v in ((2, display_name), (3, description)) if v is not None}
    kept = b"".join(meta[start:end] for field, _, _, start, end in w.fields(meta)
                    if field not in given)
    return kept + b"".join(w.string(k, v) for k, v in given.items() if v)


def tensor_summary(name, tensor, summary_description=None, collections=None,
                   summary_metadata=None, family=None, display_name=None):
    """A ``Summary`` holding ``tensor`` itself (TensorSummaryV2). ``summary_metadata`` may be a
    SummaryMetadata proto or its serialized bytes."""
    if summary_metadata is None:
        meta = _summary_metadata(display_name=display_name, description=summary_description)
    else:
        meta = summary_metadata if isinstance(summary_metadata, bytes) else \
            summary_metadata.SerializeToString()
        if summary_description is not None or display_name is not None:
            meta = _with_fields_set(meta, display_name, summary_description)
    with _SummaryScope(name, family, values=[tensor]) as (tag, scope):
        val = _ops.TENSOR_SUMMARY_V2(tag, tensor, meta, name=scope)
        _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


def text(name, tensor, collections=None):
    """A ``Summary`` for TensorBoard's Text tab: a string tensor of any shape (Markdown)."""
    tensor = convert_to_tensor(tensor)
    if tensor.dtype != _dt.string:
        raise ValueError(f"Expected tensor {tensor.name} to have dtype string, got "
                         f"{tensor.dtype.name}")
    return tensor_summary(name, tensor, collections=collections,
                          summary_metadata=_summary_metadata(plugin_name="text"))


def merge(inputs, collections=None, name=None):
    """One ``Summary`` with the values of all ``inputs`` (a duplicate tag fails at run time)."""
    name = _clean_tag(name)
    inputs = list(inputs)
    if not inputs:  # TF's OpDef wants at least one
        raise ValueError("List argument 'inputs' to 'MergeSummary' Op with length 0 shorter "
                         "than minimum length 1.")
    with name_scope(name, "Merge", inputs):
        val = _ops.MERGE_SUMMARY(inputs, name=name)
        _collect(val, collections, [])
    return val


def merge_all(key=GraphKeys.SUMMARIES, scope=None, name=None):
    """Merges the summaries in collection ``key`` of the default graph; None if there are none."""
    summary_ops = get_collection(key, scope=scope)
    if not summary_ops:
        return None
    return merge(summary_ops, name=name)


def get_summary_description(node_def):
    """TF's ``tf.summary.get_summary_description``: the SummaryDescription a TensorSummary
    NodeDef carries in its ``description`` attr (JSON)."""
    if node_def.op != "TensorSummary":
        raise ValueError(f"Can't get_summary_description on {node_def.op}")
    from google.protobuf import json_format

    description = __getattr__("SummaryDescription")()
    json_format.Parse(node_def.attr["description"].s.decode(), description)
    return description


# -- protos, resolved on first use (core does not import minitf.protos) ---------------------------
__getattr__ = lazy_classes(__name__, {
    "Summary": "summary_pb2", "SummaryDescription": "summary_pb2",
    "SummaryMetadata": "summary_pb2", "Event": "event_pb2", "SessionLog": "event_pb2",
    "TaggedRunMetadata": "event_pb2"})


# -- events ---------------------------------------------------------------------------------------
# Field numbers of tensorflow.Event (protos/event.proto).
EVENT_WALL_TIME, EVENT_STEP, EVENT_FILE_VERSION, EVENT_GRAPH_DEF, EVENT_SUMMARY = 1, 2, 3, 4, 5
EVENT_SESSION_LOG, EVENT_RUN_METADATA, EVENT_META_GRAPH_DEF, EVENT_SOURCE_METADATA = 7, 8, 9, 10
FILE_VERSION = "brain.Event:2"
SOURCE_WRITER = "minitf.summary.FileWriter"


def encode_event(wall_time: float, step=None, **what) -> bytes:
    """A serialized Event: ``what`` is one of ``file_version``, ``graph_def``, ``summary``,
    ``session_log``, ``tagged_run_metadata``, ``meta_graph_def`` (bytes; summary and the other
    messages already serialized), plus optionally ``source_metadata`` (a writer name)."""
    out = w.optional_double(EVENT_WALL_TIME, wall_time)
    if step:
        out += w.uint(EVENT_STEP, int(step))
    for field, number in (("file_version", EVENT_FILE_VERSION), ("graph_def", EVENT_GRAPH_DEF),
                          ("summary", EVENT_SUMMARY), ("session_log", EVENT_SESSION_LOG),
                          ("tagged_run_metadata", EVENT_RUN_METADATA),
                          ("meta_graph_def", EVENT_META_GRAPH_DEF)):
        if field in what:
            out += w.string(number, what.pop(field))
    writer = what.pop("source_metadata", None)
    if writer:
        out += w.length_delimited(EVENT_SOURCE_METADATA, w.string(1, writer))
    if what:
        raise TypeError(f"unknown Event fields {sorted(what)}")
    return out


def strip_seen_metadata(summary: bytes, seen: set) -> bytes:
    """TF1's FileWriter keeps a tag's SummaryMetadata only on its first value: metadata of a
    value whose tag is in ``seen`` is dropped; new tags are added to ``seen``. Returns the
    summary unchanged (the same object) when nothing is dropped."""
    out, changed = [], False
    try:
        for number, wt, value, start, end in w.fields(summary):
            if number == _ops.SUMMARY_VALUE and wt == w.LEN:
                tag, meta = b"", None
                for n, t, v, s, e in w.fields(value):
                    if n == _ops.VALUE_TAG and t == w.LEN:
                        tag = v
                    elif n == _ops.VALUE_METADATA:
                        meta = (s, e)
                if tag not in seen:
                    seen.add(tag)
                elif meta is not None:
                    value = value[:meta[0]] + value[meta[1]:]
                    out.append(w.length_delimited(_ops.SUMMARY_VALUE, value))
                    changed = True
                    continue
            out.append(summary[start:end])
    except w.WireError as e:
        raise ValueError(f"add_summary: not a serialized Summary ({e})") from None
    return b"".join(out) if changed else summary


def _serialized(message, what: str) -> bytes:
    if isinstance(message, (bytes, bytearray)):
        return bytes(message)
    to_string = getattr(message, "SerializeToString", None)
    if to_string is None:
        raise TypeError(f"{what} must be a protocol buffer or its serialized bytes, got "
                        f"{type(message).__name__}")
    return to_string()


_CLOSE = object()


class _Pending:
    """Events added since the last hand-off to the writer thread (either thread takes them)."""

    def __init__(self):
        self.events: list[bytes] = []
        self._lock = threading.Lock()

    def add(self, event: bytes) -> int:
        with self._lock:
            self.events.append(event)
            return len(self.events)

    def take(self) -> list[bytes]:
        with self._lock:
            events, self.events = self.events, []
        return events


class _WriterThread(threading.Thread):
    """Frames Event bytes as TFRecords and appends them to the file.

    The training thread hands events over in batches (every ``max_queue`` events, and on
    flush/close) and the thread also collects them itself every ``flush_secs``: it wakes up
    once per batch, not once per training step, and takes a core from the step's matmuls
    less often. The file is flushed after each batch. A write error is kept (the writer
    re-raises it); the thread keeps draining so producers never block on it."""

    def __init__(self, file, pending: _Pending, batches: queue.Queue, flush_secs: float):
        super().__init__(name="EventLoggerThread", daemon=True)
        self.file = file
        self.pending = pending
        self.batches = batches
        self.flush_secs = max(float(flush_secs), 0.01)
        self.error: BaseException | None = None

    def run(self):
        while True:
            try:
                item = self.batches.get(timeout=self.flush_secs)
            except queue.Empty:  # nobody handed events over lately: collect them
                item = self.pending.take()
            if item is _CLOSE:
                break
            if type(item) is threading.Event:  # a flush request (after a hand-off)
                self._guard(self.file.flush)
                item.set()
            elif item and self.error is None:
                self._guard(self._write, self.file, item)
        self._guard(self.file.close)

    @staticmethod
    def _write(file, events: list[bytes]):
        file.write(b"".join([encode_record(e) for e in events]))
        file.flush()

    def _guard(self, fn, *args):
        try:
            fn(*args)
        except Exception as e:  # noqa: BLE001 - reported to the writer's caller
            self.error = self.error or e


def _shutdown(pending: _Pending, batches: queue.Queue, thread: _WriterThread):
    """Finalizer of an unclosed FileWriter: write what is pending, close the file."""
    if thread.is_alive():
        batches.put(pending.take())
        batches.put(_CLOSE)
        thread.join(timeout=10)


def _raise_error(thread: _WriterThread):
    """Re-raises a write error of the writer thread (the file is then unusable)."""
    error = thread.error
    if error is not None:
        raise error


def _no_wait():
    pass


class FileWriter:
    """``tf.summary.FileWriter(logdir, graph=None, max_queue=10, flush_secs=120, graph_def=None,
    filename_suffix=None, session=None)``: writes Event records for TensorBoard.

    A new ``events.out.tfevents.<seconds>.<host>[suffix]`` file is created at once with the
    ``file_version`` event. ``add_*`` calls encode an Event and queue it; as in TensorFlow,
    ``max_queue`` pending events (or ``flush_secs`` seconds) make a writer thread append them to
    the file, so the training loop never waits for the disk. ``flush()`` returns once everything
    added so far is on disk. After ``close()``, ``add_*`` and ``flush()`` calls are ignored with
    TensorFlow's warning until ``reopen()`` starts a new file. ``session`` is accepted and ignored.

    Thread-safe: ``_lock`` is held from the ``_closed`` check to the hand-over to the writer
    thread (add, flush, close, reopen), so nothing is handed to a thread that a concurrent
    ``close()`` has ended (a lost event or flush request, or a put blocking on its full queue).
    """

    def __init__(self, logdir, graph=None, max_queue=10, flush_secs=120, graph_def=None,
                 filename_suffix=None, session=None):
        self._logdir = os.fspath(logdir)
        self._max_queue = max_queue
        self._flush_secs = flush_secs
        self._suffix = filename_suffix or ""
        self._lock = threading.Lock()
        self._closed = True
        self._run_metadata_tags: set = set()
        self._seen_tags: set = set()  # tags whose metadata was written (strip_seen_metadata)
        self._open()
        if graph is not None or graph_def is not None:
            data = self.add_graph(graph=graph, graph_def=graph_def)
            # As TF1, the graph again as a MetaGraphDef (of just its graph_def, field 2).
            self.add_meta_graph(w.length_delimited(2, data))

    def _open(self):
        try:
            os.makedirs(self._logdir, exist_ok=True)
        except (FileExistsError, NotADirectoryError):  # a file in the way: TF's error
            raise FailedPreconditionError(None, None,
                                          f"{self._logdir} is not a directory") from None
        seconds = int(time.time())
        base = os.path.join(self._logdir, f"events.out.tfevents.{seconds:010d}."
                                          f"{socket.gethostname()}")
        path, n = base + self._suffix, 0
        while True:
            try:
                file = open(path, "xb")  # closed by the writer thread
                break
            except FileExistsError:  # same second, same host: never overwrite another run
                n += 1
                path = f"{base}.{os.getpid()}.{n}{self._suffix}"
        file.write(encode_record(encode_event(float(seconds), file_version=FILE_VERSION,
                                              source_metadata=SOURCE_WRITER)))
        file.flush()  # the file is recognisable as soon as it exists
        self._path = path
        self._pending = _Pending()
        self._batches: queue.Queue = queue.Queue(4)  # backpressure if the disk cannot keep up
        self._thread = _WriterThread(file, self._pending, self._batches, self._flush_secs)
        self._thread.start()
        self._finalizer = weakref.finalize(self, _shutdown, self._pending, self._batches,
                                           self._thread)
        self._closed = False

    # -- TF1 API -------------------------------------------------------------------------------
    def get_logdir(self) -> str:
        return self._logdir

    def add_event(self, event):
        """Writes an Event proto (or its serialized bytes) as is."""
        self._put(_serialized(event, "event"))

    def add_summary(self, summary, global_step=None):
        """Adds a Summary: the bytes a summary op returned, or a Summary proto."""
        if isinstance(summary, str):
            raise TypeError("add_summary expects the serialized Summary bytes a summary op "
                            "returns (or a Summary proto), not str")
        if self._warn_if_closed():
            return  # TF drops it before looking at it
        data = strip_seen_metadata(_serialized(summary, "summary"), self._seen_tags)
        self._put(encode_event(time.time(), global_step, summary=data))

    def add_graph(self, graph, global_step=None, graph_def=None):
        """Adds a Graph (serialized with output shapes, as TensorFlow does) or a GraphDef."""
        if graph is not None and graph_def is not None:
            raise ValueError("Please pass only graph, or graph_def (deprecated), but not both.")
        graph = graph if graph is not None else graph_def
        if isinstance(graph, Graph):
            data = graph.as_graph_def(add_shapes=True).SerializeToString()
        elif hasattr(graph, "SerializeToString"):
            data = graph.SerializeToString()
        else:
            raise TypeError("The passed graph must be an instance of `Graph` or the deprecated "
                            "`GraphDef`")
        self._put(encode_event(time.time(), global_step, graph_def=data))
        return data

    def add_session_log(self, session_log, global_step=None):
        self._put(encode_event(time.time(), global_step,
                               session_log=_serialized(session_log, "session_log")))

    def add_meta_graph(self, meta_graph_def, global_step=None):
        self._put(encode_event(time.time(), global_step,
                               meta_graph_def=_serialized(meta_graph_def, "meta_graph_def")))

    def add_run_metadata(self, run_metadata, tag, global_step=None):
        if tag in self._run_metadata_tags:
            raise ValueError("The provided tag was already used for this event type")
        self._run_metadata_tags.add(tag)
        tagged = w.string(1, tag) + w.string(2, _serialized(run_metadata, "run_metadata"))
        self._put(encode_event(time.time(), global_step, tagged_run_metadata=tagged))

    def flush(self):
        """Blocks until every event added so far is written to the file."""
        self._warn_if_closed()
        self._request_flush()()

    def close(self):
        """Flushes and closes the file; the writer thread exits."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._finalizer.detach()
            self._hand_off()
            self._batches.put(_CLOSE)
            thread = self._thread
        thread.join()  # outside the lock: others see _closed and return at once
        _raise_error(thread)  # a failed write must not go unnoticed

    def reopen(self):
        """After ``close()``: start a new event file in the same directory."""
        with self._lock:
            if self._closed:
                self._open()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()

    # -- internals -----------------------------------------------------------------------------
    def _warn_if_closed(self, stacklevel=3) -> bool:
        if self._closed:
            warnings.warn("Attempting to use a closed FileWriter. The operation will be a noop "
                          "unless the FileWriter is explicitly reopened.", stacklevel=stacklevel)
        return self._closed

    def _put(self, event: bytes):
        if self._warn_if_closed(stacklevel=4):  # the caller of add_*
            return
        with self._lock:
            if self._closed:  # closed since the check above
                return
            _raise_error(self._thread)
            if self._pending.add(event) >= self._max_queue:
                self._hand_off()  # may wait for room in the queue: the writer thread drains it

    def _request_flush(self):
        """Hands the pending events over with a flush request; returns the function waiting for
        it (outside the lock). Closed: nothing to wait for."""
        with self._lock:
            if self._closed:
                return _no_wait
            self._hand_off()
            done = threading.Event()
            self._batches.put(done)
            thread = self._thread

        def wait():
            # The thread answers every request before it exits on _CLOSE; stop waiting should it
            # have died without answering.
            while not done.wait(0.1):
                if not thread.is_alive():
                    break
            _raise_error(thread)

        return wait

    def _hand_off(self):
        events = self._pending.take()
        if events:
            self._batches.put(events)

    def __repr__(self):
        return f"<FileWriter {self._path!r}{' (closed)' if self._closed else ''}>"


class FileWriterCache:
    """One shared FileWriter per log directory (on the default graph)."""

    _cache: dict = {}
    _lock = threading.RLock()

    @staticmethod
    def clear():
        with FileWriterCache._lock:
            for writer in FileWriterCache._cache.values():
                writer.close()
            FileWriterCache._cache = {}

    @staticmethod
    def get(logdir) -> FileWriter:
        with FileWriterCache._lock:
            writer = FileWriterCache._cache.get(logdir)
            if writer is None:
                writer = FileWriterCache._cache[logdir] = FileWriter(
                    logdir, graph=get_default_graph())
            return writer
