"""TF1's queues and readers as Python classes: ``tf.FIFOQueue``, ``tf.RandomShuffleQueue``,
``tf.PaddingFIFOQueue``, ``tf.PriorityQueue`` (``tf.QueueBase``), and ``tf.TFRecordReader``,
``tf.TextLineReader``, ``tf.FixedLengthRecordReader``, ``tf.WholeFileReader``,
``tf.IdentityReader`` (``tf.ReaderBase``), over core/ops/queue_ops.py and core/ops/reader_ops.py,
with TF's node names (``fifo_queue_enqueue``, ``fifo_queue_Dequeue``, ``ReaderReadV2``...)."""

from __future__ import annotations

import hashlib

from . import dtypes as _dt
from .graph import Tensor, control_dependencies, convert_to_tensor, name_scope
from .ops import queue_ops as _q
from .ops import reader_ops as _r
from .ops.random_ops import get_seed
from .tensor_shape import Dimension, TensorShape, as_shape, unknown_shape

__all__ = ["FIFOQueue", "FixedLengthRecordReader", "IdentityReader", "PaddingFIFOQueue",
           "PriorityQueue", "QueueBase", "RandomShuffleQueue", "ReaderBase", "TFRecordReader",
           "TextLineReader", "WholeFileReader"]


def _as_type_list(dtypes):
    if not isinstance(dtypes, (list, tuple)):
        dtypes = [dtypes]
    return [_dt.as_dtype(d) for d in dtypes]


def _as_shape_list(shapes, unknown_dim_allowed=False):
    """TF's _as_shape_list: None, one shape, or a list of shapes (fully defined unless
    ``unknown_dim_allowed``)."""
    if unknown_dim_allowed and (not isinstance(shapes, (list, tuple)) or not shapes or any(
            s is None or isinstance(s, int) for s in shapes)):
        raise ValueError("When providing partial shapes, a list of shapes must be provided.")
    if shapes is None:
        return None
    if isinstance(shapes, TensorShape):
        shapes = [shapes]
    if not isinstance(shapes, (tuple, list)):
        raise TypeError(f"Shapes must be a TensorShape or a list or tuple of TensorShapes, got "
                        f"{type(shapes)} instead.")
    if all(s is None or isinstance(s, int) for s in shapes):
        shapes = [shapes]
    shapes = [as_shape(s) for s in shapes]
    if not unknown_dim_allowed and any(not s.is_fully_defined() for s in shapes):
        raise ValueError(f"All shapes must be fully defined: {shapes}")
    return shapes


def _as_name_list(names, dtypes):
    if names is None:
        return None
    if not isinstance(names, (list, tuple)):
        names = [names]
    if len(names) != len(dtypes):
        raise ValueError("List of names must have the same length as the list of dtypes, "
                         f"received len(names)={len(names)},len(dtypes)={len(dtypes)}")
    return list(names)


def _batch_dim(t: Tensor) -> Dimension:
    if t.shape.rank == 0:
        raise ValueError(f"Shape {t.shape} must have rank at least 1")
    return Dimension(None if t.shape.rank is None else t.shape[0])


def _name_the_resource(handle: Tensor) -> Tensor:
    """The kernel names its resource "_<n>_<node name>" as TF (the name shows in messages);
    attrs cannot carry the node name (they are TF's contract), so it is bound with them."""
    op = handle.op
    op._kernel_attrs = {**op._kernel_attrs, "_node_name": op.name}
    return handle


class QueueBase:
    """A queue of tuples of tensors (``dtypes``, optional ``shapes`` and ``names``) whose
    methods build the ops on it. Ops block: dequeues until there are elements, enqueues until
    there is room; closing makes pending and later dequeues fail with OutOfRangeError once
    the queue is empty."""

    def __init__(self, dtypes, shapes, names, queue_ref):
        self._dtypes = dtypes
        if shapes is not None:
            if len(shapes) != len(dtypes):
                raise ValueError("Queue shapes must have the same length as dtypes, received "
                                 f"len(shapes)={len(shapes)}, len(dtypes)={len(dtypes)}")
            self._shapes = [as_shape(s) for s in shapes]
        else:
            self._shapes = [unknown_shape() for _ in dtypes]
        if names is not None and len(names) != len(dtypes):
            raise ValueError(f"Queue names must have the same length as dtypes,received "
                             f"len(names)={len(names)},len {len(dtypes)}")
        self._names = names
        self._queue_ref = queue_ref
        self._name = queue_ref.op.name.split("/")[-1]

    @staticmethod
    def from_list(index, queues):
        raise NotImplementedError("QueueBase.from_list (a queue chosen at run time) is not "
                                  "supported")

    queue_ref = property(lambda self: self._queue_ref)
    name = property(lambda self: self._queue_ref.op.name)
    dtypes = property(lambda self: self._dtypes)
    shapes = property(lambda self: self._shapes)
    names = property(lambda self: self._names)

    def _check_enqueue_dtypes(self, vals):
        if isinstance(vals, dict):
            if not self._names:
                raise ValueError("Queue must have names to enqueue a dictionary")
            if sorted(self._names, key=str) != sorted(vals.keys(), key=str):
                raise ValueError("Keys in dictionary to enqueue do not match names of Queue.  "
                                 f"Dictionary: {sorted(vals.keys())},Queue: "
                                 f"{sorted(self._names)}")
            vals = [vals[k] for k in self._names]
        else:
            if self._names:
                raise ValueError("You must enqueue a dictionary in a Queue with names")
            if not isinstance(vals, (list, tuple)):
                vals = [vals]
        return [convert_to_tensor(v, dtype=d, name=f"component_{i}")
                for i, (v, d) in enumerate(zip(vals, self._dtypes))]

    @staticmethod
    def _scope_vals(vals):
        if isinstance(vals, (list, tuple)):
            return vals
        if isinstance(vals, dict):
            return list(vals.values())
        return [vals]

    def enqueue(self, vals, name=None):
        """An op enqueueing one element (a tensor, a tuple, or a dict when the queue has
        names); it blocks while the queue is full."""
        with name_scope(name, f"{self._name}_enqueue", self._scope_vals(vals)) as scope:
            vals = self._check_enqueue_dtypes(vals)
            for val, shape in zip(vals, self._shapes):
                val.shape.assert_is_compatible_with(shape)
            return _q.QUEUE_ENQUEUE(self._queue_ref, vals, name=scope)

    def enqueue_many(self, vals, name=None):
        """An op enqueueing the slices of ``vals`` along their first dimension."""
        with name_scope(name, f"{self._name}_EnqueueMany", self._scope_vals(vals)) as scope:
            vals = self._check_enqueue_dtypes(vals)
            batch = _batch_dim(vals[0])
            for val, shape in zip(vals, self._shapes):
                batch = batch.merge_with(_batch_dim(val))
                if val.shape.rank is not None:
                    val.shape[1:].assert_is_compatible_with(shape)
            return _q.QUEUE_ENQUEUE_MANY(self._queue_ref, vals, name=scope)

    def _dequeue_return_value(self, tensors):
        if self._names:
            return {n: tensors[i] for i, n in enumerate(self._names)}
        return tensors[0] if len(tensors) == 1 else tensors

    @staticmethod
    def _outputs(ret):
        return ret if isinstance(ret, list) else [ret]

    def dequeue(self, name=None):
        """One element; blocks while the queue is empty and open."""
        ret = self._outputs(_q.QUEUE_DEQUEUE(self._queue_ref, component_types=self._dtypes,
                                             name=name or f"{self._name}_Dequeue"))
        for t, shape in zip(ret, self._shapes):
            t.set_shape(shape)
        return self._dequeue_return_value(ret)

    def dequeue_many(self, n, name=None):
        """``n`` elements, each component stacked along a new first dimension."""
        ret = self._outputs(_q.QUEUE_DEQUEUE_MANY(
            self._queue_ref, n, component_types=self._dtypes,
            name=name or f"{self._name}_DequeueMany"))
        from .graph import constant_value

        value = constant_value(ret[0].op.inputs[1])
        batch = TensorShape([None if value is None else int(value)])
        for t, shape in zip(ret, self._shapes):
            t.set_shape(batch.concatenate(shape))
        return self._dequeue_return_value(ret)

    def dequeue_up_to(self, n, name=None):
        """Like ``dequeue_many``, but after a close gives what is left (at least one)."""
        ret = self._outputs(_q.QUEUE_DEQUEUE_UP_TO(
            self._queue_ref, n, component_types=self._dtypes,
            name=name or f"{self._name}_DequeueUpTo"))
        for t, shape in zip(ret, self._shapes):
            t.set_shape(TensorShape([None]).concatenate(shape))
        return self._dequeue_return_value(ret)

    def close(self, cancel_pending_enqueues=False, name=None):
        """An op closing the queue; ``cancel_pending_enqueues`` also fails blocked enqueues."""
        return _q.QUEUE_CLOSE(self._queue_ref, cancel_pending_enqueues=cancel_pending_enqueues,
                              name=name or f"{self._name}_Close")

    def is_closed(self, name=None):
        return _q.QUEUE_IS_CLOSED(self._queue_ref, name=name or f"{self._name}_Is_Closed")

    def size(self, name=None):
        return _q.QUEUE_SIZE(self._queue_ref, name=name or f"{self._name}_Size")


def _attr_shapes(shapes):
    return [] if shapes is None else shapes


class FIFOQueue(QueueBase):
    """Elements in first-in first-out order. ``dequeue_many`` needs fully defined shapes."""

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None,
                 name="fifo_queue"):
        dtypes = _as_type_list(dtypes)
        shapes = _as_shape_list(shapes)
        names = _as_name_list(names, dtypes)
        with control_dependencies(None):  # TF's init_scope
            ref = _q.FIFO_QUEUE(component_types=dtypes, shapes=_attr_shapes(shapes),
                                capacity=capacity, shared_name=shared_name or "", name=name)
        super().__init__(dtypes, shapes, names, _name_the_resource(ref))


class PaddingFIFOQueue(QueueBase):
    """A FIFO queue whose shapes may have unknown dimensions: ``dequeue_many`` pads them with
    zeros (empty strings) to the largest in the batch."""

    def __init__(self, capacity, dtypes, shapes, names=None, shared_name=None,
                 name="padding_fifo_queue"):
        dtypes = _as_type_list(dtypes)
        shapes = _as_shape_list(shapes, unknown_dim_allowed=True)
        names = _as_name_list(names, dtypes)
        if len(dtypes) != len(shapes):
            raise ValueError(f"Shapes must be provided for all components, but received "
                             f"{len(dtypes)} dtypes and {len(shapes)} shapes.")
        ref = _q.PADDING_FIFO_QUEUE(component_types=dtypes, shapes=shapes, capacity=capacity,
                                    shared_name=shared_name or "", name=name)
        super().__init__(dtypes, shapes, names, _name_the_resource(ref))


class RandomShuffleQueue(QueueBase):
    """Dequeues in random order, keeping at least ``min_after_dequeue`` elements until it is
    closed. The order is reproducible given the seeds (not TF's random numbers)."""

    def __init__(self, capacity, min_after_dequeue, dtypes, shapes=None, names=None,
                 seed=None, shared_name=None, name="random_shuffle_queue"):
        dtypes = _as_type_list(dtypes)
        shapes = _as_shape_list(shapes)
        names = _as_name_list(names, dtypes)
        seed1, seed2 = get_seed(seed)
        if seed1 is None and seed2 is None:
            seed1, seed2 = 0, 0
        elif seed is None and shared_name is not None:  # TF's rule, kept for the attrs
            digest = hashlib.md5((str(seed1) + shared_name).encode()).hexdigest()
            seed2 = int(digest[:8], 16) & 0x7FFFFFFF
        ref = _q.RANDOM_SHUFFLE_QUEUE(
            component_types=dtypes, shapes=_attr_shapes(shapes), capacity=capacity,
            min_after_dequeue=min_after_dequeue, seed=seed1, seed2=seed2,
            shared_name=shared_name or "", name=name)
        super().__init__(dtypes, shapes, names, _name_the_resource(ref))


class PriorityQueue(QueueBase):
    """Dequeues lowest priority first. Every element starts with its priority, an int64 scalar
    (a vector for ``enqueue_many``), before the components of ``types``; dequeues give it back
    first. ``shapes`` (the components', without the priority) are needed for
    ``dequeue_many``, which waits until it can take ``n`` elements in one sorted batch. TF
    2.21 refuses ``shapes=None`` (its op has no default for them); minitf takes it as TF's
    documentation says, as components of any shape. ``dequeue_up_to(n)`` of a closed queue
    holding fewer than ``n`` gives what is left, as documented (TF 2.21's fails with
    OutOfRangeError and drops them; see core/ops/queue_ops.py)."""

    def __init__(self, capacity, types, shapes=None, names=None, shared_name=None,
                 name="priority_queue"):
        types = _as_type_list(types)
        shapes = _as_shape_list(shapes)
        ref = _q.PRIORITY_QUEUE(component_types=types, shapes=_attr_shapes(shapes),
                                capacity=capacity, shared_name=shared_name or "", name=name)
        super().__init__([_dt.int64, *types], [TensorShape([]), *shapes] if shapes else shapes,
                         names, _name_the_resource(ref))


# -- readers -------------------------------------------------------------------------------------
class ReaderBase:
    """A reader: ``read(queue)`` gives the next (key, value) record, taking file names (work
    units) from ``queue`` as it needs them."""

    def __init__(self, reader_ref, supports_serialize=False):
        self._reader_ref = reader_ref
        self._supports_serialize = supports_serialize

    reader_ref = property(lambda self: self._reader_ref)
    supports_serialize = property(lambda self: self._supports_serialize)

    @staticmethod
    def _queue_ref(queue):
        return queue if isinstance(queue, Tensor) else queue.queue_ref

    def read(self, queue, name=None):
        """(key, value) string scalars: the next record."""
        key, value = _r.READER_READ(self._reader_ref, self._queue_ref(queue),
                                    name=name or "ReaderReadV2")
        return key, value

    def read_up_to(self, queue, num_records, name=None):
        """(keys, values) string vectors: up to ``num_records`` records of one file."""
        keys, values = _r.READER_READ_UP_TO(self._reader_ref, self._queue_ref(queue),
                                            num_records, name=name or "ReaderReadUpToV2")
        return keys, values

    def num_records_produced(self, name=None):
        return _r.READER_NUM_RECORDS_PRODUCED(self._reader_ref,
                                              name=name or "ReaderNumRecordsProducedV2")

    def num_work_units_completed(self, name=None):
        return _r.READER_NUM_WORK_UNITS_COMPLETED(
            self._reader_ref, name=name or "ReaderNumWorkUnitsCompletedV2")

    def reset(self, name=None):
        return _r.READER_RESET(self._reader_ref, name=name or "ReaderResetV2")

    def serialize_state(self, name=None):
        raise NotImplementedError("Reader state serialization is not supported")

    def restore_state(self, state, name=None):
        raise NotImplementedError("Reader state serialization is not supported")


class TFRecordReader(ReaderBase):
    """The records of TFRecord files (``options``: a TFRecordOptions or compression name);
    keys are "file:byte offset"."""

    def __init__(self, name=None, options=None):
        from .python_io import TFRecordOptions

        kind = TFRecordOptions.get_compression_type_string(options) if options is not None \
            else ""
        super().__init__(_r.TF_RECORD_READER(compression_type=kind,
                                             name=name or "TFRecordReaderV2"))


class TextLineReader(ReaderBase):
    """The lines of text files, after ``skip_header_lines``; keys are "file:line number"."""

    def __init__(self, skip_header_lines=None, name=None):
        super().__init__(_r.TEXT_LINE_READER(skip_header_lines=skip_header_lines or 0,
                                             name=name or "TextLineReaderV2"))


class FixedLengthRecordReader(ReaderBase):
    """Records of ``record_bytes`` between ``header_bytes`` and ``footer_bytes`` (every
    ``hop_bytes`` if given); keys are "file:record index"."""

    def __init__(self, record_bytes, header_bytes=None, footer_bytes=None, hop_bytes=None,
                 name=None, encoding=None):
        super().__init__(_r.FIXED_LENGTH_RECORD_READER(
            record_bytes=record_bytes, header_bytes=header_bytes or 0,
            footer_bytes=footer_bytes or 0, hop_bytes=hop_bytes or 0, encoding=encoding or "",
            name=name or "FixedLengthRecordReaderV2"))


class WholeFileReader(ReaderBase):
    """Each file whole: the key is its name, the value its contents."""

    def __init__(self, name=None):
        super().__init__(_r.WHOLE_FILE_READER(name=name or "WholeFileReaderV2"),
                         supports_serialize=True)


class IdentityReader(ReaderBase):
    """Each work unit as both key and value."""

    def __init__(self, name=None):
        super().__init__(_r.IDENTITY_READER(name=name or "IdentityReaderV2"),
                         supports_serialize=True)
