"""``tf.contrib.summary`` (TF 1.15: summary_ops_v2 re-exported), in graph mode.

Summaries are written by ops on a writer resource (core/ops/summary_writer_ops.py) rather than
returned as Summary protos for a ``tf.summary.FileWriter``::

    writer = tf.contrib.summary.create_file_writer(logdir)
    with writer.as_default(), tf.contrib.summary.record_summaries_every_n_global_steps(100):
        tf.contrib.summary.scalar("loss", loss)       # an op in all_summary_ops()
    with tf.Session() as sess:
        tf.contrib.summary.initialize(graph=tf.get_default_graph())  # creates the event file
        sess.run([train_op, tf.contrib.summary.all_summary_ops()])

As in TF, the default writer and the recording condition are per thread (set while building
the graph); each summary is a ``tf.cond`` on the condition whose taken branch runs the write op
with the global step (or ``step``) as the event's step, so the condition is decided at run
time. Without a default writer a summary is a ``no_op``; without a recording condition nothing
is recorded (contrib's default, unlike TF 2's ``tf.summary``).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading

import numpy as np

import minitf as tf

from ..errors import UnimplementedError
from ..graph import Graph, Tensor
from ..ops import summary_writer_ops as _ops
from ..summary import _SummaryScope  # TF's summary_op_util.summary_scope

__all__ = ["SummaryWriter", "all_summary_ops", "always_record_summaries", "audio",
           "create_db_writer", "create_file_writer", "create_summary_file_writer", "eval_dir",
           "flush", "generic", "graph", "histogram", "image", "import_event", "initialize",
           "never_record_summaries", "record_summaries_every_n_global_steps", "scalar",
           "should_record_summaries", "summary_writer_initializer_op"]

# TF's collection names: the writers' init ops, and the summaries (GraphKeys._SUMMARY_COLLECTION).
_SUMMARY_WRITER_INIT_COLLECTION_NAME = "_SUMMARY_WRITER_V2"
_SUMMARY_COLLECTION = "_SUMMARY_V2"


class _SummaryState(threading.local):
    def __init__(self):
        super().__init__()
        self.writer = None  # the default SummaryWriter of this thread
        self.is_recording = None  # None, a bool, a bool Tensor or a callable giving one


_summary_state = _SummaryState()


# -- writers --------------------------------------------------------------------------------------
class SummaryWriter:
    """The interface of a summary writer: ``set_as_default``, ``as_default``, ``init``,
    ``flush``, ``close``."""

    def set_as_default(self):
        """Makes this writer the default of the current thread."""
        raise NotImplementedError()

    def as_default(self):
        """A context manager making this writer the default of the current thread."""
        raise NotImplementedError()

    def init(self):
        """The op creating the writer (its event file)."""
        raise NotImplementedError()

    def flush(self):
        """The op writing the buffered events to the file."""
        raise NotImplementedError()

    def close(self):
        """The op flushing and closing the writer."""
        raise NotImplementedError()


class ResourceSummaryWriter(SummaryWriter):
    """A writer resource (a SummaryWriter op) and the op creating it (in the collection that
    ``summary_writer_initializer_op()`` returns)."""

    def __init__(self, shared_name, init_op_fn, name=None):
        self._resource = _ops.SUMMARY_WRITER(shared_name=shared_name, name=name)
        self._init_op_fn = init_op_fn
        self._init_op = init_op_fn(self._resource)
        tf.add_to_collection(_SUMMARY_WRITER_INIT_COLLECTION_NAME, self._init_op)

    def set_as_default(self):
        _summary_state.writer = self

    @contextlib.contextmanager
    def as_default(self):
        old = _summary_state.writer
        try:
            _summary_state.writer = self
            yield self
            # TF makes a flush op here too (it only runs when eager; in a graph, run flush()).
            self.flush()
        finally:
            _summary_state.writer = old

    def init(self):
        return self._init_op_fn(self._resource)  # TF1: a new op each call, re-initialising

    def flush(self):
        return flush(writer=self)

    def close(self):
        with tf.control_dependencies([self.flush()]), tf.device("cpu:0"):
            return _ops.CLOSE_SUMMARY_WRITER(self._resource)


class NoopSummaryWriter(SummaryWriter):
    """``create_file_writer(None)``: a writer that does nothing."""

    def set_as_default(self):
        pass

    @contextlib.contextmanager
    def as_default(self):
        yield

    def init(self):
        pass

    def flush(self):
        pass

    def close(self):
        pass


def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None,
                       name=None):
    """A writer of event files in ``logdir`` (None: a writer that does nothing).

    ``max_queue`` (10) events are buffered, ``flush_millis`` (120000) is the longest time
    between flushes, ``filename_suffix`` (".v2") ends the file name. ``name`` is the resource's
    shared name ("logdir:" + logdir by default)."""
    if logdir is None:
        return NoopSummaryWriter()
    logdir = str(logdir)
    with tf.device("cpu:0"):
        if max_queue is None:
            max_queue = tf.constant(10)
        if flush_millis is None:
            flush_millis = tf.constant(2 * 60 * 1000)
        if filename_suffix is None:
            filename_suffix = tf.constant(".v2")
        if name is None:
            name = "logdir:" + logdir
        return ResourceSummaryWriter(
            shared_name=name,
            init_op_fn=functools.partial(_create_file_writer_op, logdir=logdir,
                                         max_queue=max_queue, flush_millis=flush_millis,
                                         filename_suffix=filename_suffix))


def _create_file_writer_op(resource, *, logdir, max_queue, flush_millis, filename_suffix):
    return _ops.CREATE_SUMMARY_FILE_WRITER(resource, logdir, max_queue, flush_millis,
                                           filename_suffix)


def create_summary_file_writer(*args, **kwargs):
    """Deprecated alias of ``create_file_writer``."""
    logging.getLogger("minitf").warning(
        "Deprecation Warning: create_summary_file_writer was renamed to create_file_writer")
    return create_file_writer(*args, **kwargs)


def create_db_writer(db_uri, experiment_name=None, run_name=None, user_name=None, name=None):
    """TF's SQLite summary writer: not implemented in minitf."""
    raise UnimplementedError(
        None, None, f"tf.contrib.summary.create_db_writer({db_uri!r}): minitf does not "
        "implement the SQLite summary database writer (CreateSummaryDbWriter); use "
        "tf.contrib.summary.create_file_writer(logdir) to write TensorBoard event files.")


def summary_writer_initializer_op():
    """The init ops of every writer created in the default graph."""
    return tf.get_collection(_SUMMARY_WRITER_INIT_COLLECTION_NAME)


def all_summary_ops():
    """Every summary op (the cond of scalar(), histogram()...) made in the default graph;
    graph() and import_event() ops are not among them."""
    return tf.get_collection(_SUMMARY_COLLECTION)


def initialize(graph=None, session=None):
    """Runs the writers' init ops in ``session`` (the default session if None) and, if
    ``graph`` (a Graph or GraphDef) is given, writes it to the default writer at step 0."""
    if _summary_state.writer is None:
        raise RuntimeError("No default tf.contrib.summary.SummaryWriter found")
    if session is None:
        session = tf.get_default_session()
        if session is None:
            raise ValueError("session must be passed if no default session exists")
    session.run(summary_writer_initializer_op())
    if graph is not None:
        data = _serialize_graph(graph)
        x = tf.placeholder(tf.string)
        session.run(_graph(x, 0), feed_dict={x: data})


# -- the recording condition ----------------------------------------------------------------------
def should_record_summaries():
    """A bool tensor: True when a default writer is set and the recording condition holds
    (False when no condition was set)."""
    if _summary_state.writer is None:
        return tf.constant(False)
    cond = _summary_state.is_recording
    if callable(cond):
        cond = cond()
    if cond is None:
        cond = False
    return tf.logical_and(True, cond)


@contextlib.contextmanager
def record_if(condition):
    """Summaries made inside record when ``condition`` (a bool, a bool tensor or a callable
    giving one) holds."""
    old = _summary_state.is_recording
    try:
        _summary_state.is_recording = condition
        yield
    finally:
        _summary_state.is_recording = old


def record_summaries_every_n_global_steps(n, global_step=None):
    """Summaries made inside record when ``global_step % n == 0`` (the global step's value
    when the summary op runs)."""
    if global_step is None:
        global_step = tf.train.get_or_create_global_step()
    with tf.device("cpu:0"):
        should = tf.equal(global_step % n, 0)
    return record_if(should)


def always_record_summaries():
    """Summaries made inside always record."""
    return record_if(True)


def never_record_summaries():
    """Summaries made inside never record."""
    return record_if(False)


# -- summaries ------------------------------------------------------------------------------------
def _nothing():
    return tf.constant(False)


def _choose_step(step):
    if step is None:
        return tf.train.get_or_create_global_step()
    if not isinstance(step, Tensor):
        return tf.convert_to_tensor(step, tf.int64)
    return step


def summary_writer_function(name, tensor, function, family=None):
    """``function(tag, scope)``'s write op under ``tf.cond(should_record_summaries())``, the
    cond in all_summary_ops(); a no_op without a default writer."""
    name_scope = tf.get_default_graph().get_name_scope()
    if name_scope:
        name_scope += "/"  # re-entered exactly inside the cond, whose scope is the root

    def record():
        with tf.name_scope(name_scope), _SummaryScope(name, family, values=[tensor]) as (tag,
                                                                                        scope):
            with tf.control_dependencies([function(tag, scope)]):
                return tf.constant(True)

    if _summary_state.writer is None:
        return tf.no_op()
    with tf.device("cpu:0"):
        op = tf.cond(should_record_summaries(), record, _nothing, name="")
        tf.add_to_collection(_SUMMARY_COLLECTION, op)
    return op


def _resource():
    return _summary_state.writer._resource


def generic(name, tensor, metadata=None, family=None, step=None):
    """Writes ``tensor`` itself (a TensorProto) with ``metadata`` (a SummaryMetadata proto,
    its serialized bytes or a string tensor)."""

    def function(tag, scope):
        if metadata is None:
            meta = tf.constant("")
        elif hasattr(metadata, "SerializeToString"):
            meta = tf.constant(metadata.SerializeToString())
        else:
            meta = metadata
        return _ops.WRITE_SUMMARY(_resource(), _choose_step(step), tf.identity(tensor), tag,
                                  meta, name=scope)

    return summary_writer_function(name, tensor, function, family=family)


def _static_shape(value):
    """The shape known now (None: unknown rank), without adding ops to the graph."""
    shape = getattr(value, "shape", None)
    if shape is None:
        try:
            return np.shape(value)
        except ValueError:  # a ragged list: the op's conversion reports it
            return None
    if hasattr(shape, "as_list"):
        return None if shape.rank is None else tuple(shape.as_list())
    return tuple(shape)


def scalar(name, tensor, family=None, step=None):
    """Writes a scalar (any real dtype) as a float32 ``simple_value``."""
    if _summary_state.writer is not None:
        shape = _static_shape(tensor)
        if shape:  # () for a scalar
            raise ValueError(f"tf.contrib.summary.scalar('{name}'): the value must be a "
                             f"scalar, got shape {list(shape)}")

    def function(tag, scope):
        return _ops.WRITE_SCALAR_SUMMARY(_resource(), _choose_step(step), tag,
                                         tf.identity(tensor), name=scope)

    return summary_writer_function(name, tensor, function, family=family)


def histogram(name, tensor, family=None, step=None):
    """Writes a histogram of ``tensor``'s values (NaN or Inf fail when it runs)."""

    def function(tag, scope):
        return _ops.WRITE_HISTOGRAM_SUMMARY(_resource(), _choose_step(step), tag,
                                            tf.identity(tensor), name=scope)

    return summary_writer_function(name, tensor, function, family=family)


def image(name, tensor, bad_color=None, max_images=3, family=None, step=None):
    """Writes up to ``max_images`` PNG images of a [batch, height, width, 1|3|4] tensor;
    non-finite pixels get ``bad_color`` (red by default)."""

    def function(tag, scope):
        color = tf.constant([255, 0, 0, 255], dtype=tf.uint8) if bad_color is None \
            else bad_color
        return _ops.WRITE_IMAGE_SUMMARY(_resource(), _choose_step(step), tag,
                                        tf.identity(tensor), color, max_images=max_images,
                                        name=scope)

    return summary_writer_function(name, tensor, function, family=family)


def audio(name, tensor, sample_rate, max_outputs, family=None, step=None):
    """Writes up to ``max_outputs`` WAV clips of a [batch, frames(, channels)] float tensor."""

    def function(tag, scope):
        return _ops.WRITE_AUDIO_SUMMARY(_resource(), _choose_step(step), tag,
                                        tf.identity(tensor), sample_rate,
                                        max_outputs=max_outputs, name=scope)

    return summary_writer_function(name, tensor, function, family=family)


def graph(param, step=None, name=None):
    """Writes a serialized GraphDef (a string tensor, e.g. a placeholder) to the default
    writer, whatever the recording condition; not in all_summary_ops()."""
    if not isinstance(param, Tensor):
        raise TypeError("graph() needs a tf.Tensor (e.g. tf.placeholder) in graph mode, but "
                        f"was: {type(param)}")
    if _summary_state.writer is None:
        return tf.no_op()
    with tf.device("cpu:0"):
        return _ops.WRITE_GRAPH_SUMMARY(_resource(), _choose_step(step), tf.identity(param),
                                        name=name)


_graph = graph  # for functions with a graph parameter


def import_event(tensor, name=None):
    """Writes a serialized ``tf.Event`` (a string tensor) as it is, whatever the recording
    condition; a no_op without a default writer."""
    if _summary_state.writer is None:  # (TF fails with an AttributeError here)
        return tf.no_op()
    return _ops.IMPORT_EVENT(_resource(), tensor, name=name)


def flush(writer=None, name=None):
    """The op flushing ``writer`` (a SummaryWriter or a writer resource tensor; the default
    writer if None: a no_op when there is none)."""
    if writer is None:
        writer = _summary_state.writer
        if writer is None:
            return tf.no_op()
    if isinstance(writer, NoopSummaryWriter):
        return tf.no_op()
    resource = writer._resource if isinstance(writer, ResourceSummaryWriter) else writer
    with tf.device("cpu:0"):
        return _ops.FLUSH_SUMMARY_WRITER(resource, name=name)


def eval_dir(model_dir, name=None):
    """The log directory of an evaluation: ``model_dir/eval`` or ``model_dir/eval_<name>``."""
    return os.path.join(model_dir, "eval" if not name else "eval_" + name)


def _serialize_graph(arbitrary_graph):
    if isinstance(arbitrary_graph, Graph):
        return arbitrary_graph.as_graph_def(add_shapes=True).SerializeToString()
    return arbitrary_graph.SerializeToString()
