"""``tf.contrib.training``'s queue-based bucketing (``bucket``, ``bucket_by_sequence_length``),
``FeedingQueueRunner`` and the parameter-server placement strategy of its device_setter
(``GreedyLoadBalancingStrategy``, ``byte_size_load_fn``).

``bucket`` builds TF 1.15's graph: one queue per bucket (``bucket_queue_<i>``, a
PaddingFIFOQueue with ``dynamic_pad``) filled through a ``tf.cond`` per bucket, and a
PaddingFIFOQueue ``top_queue`` of (bucket id, batch) that ``read_bucket_<i>`` batches are moved
to, under the same names. One thing differs, on purpose: the end of the input. TF closes the
top queue as soon as the input ends, so batches still in the buckets are lost (and the partial
ones of ``allow_smaller_final_batch`` are never read, the threads moving them block until the
coordinator stops). Here the end of the input closes the bucket queues; each bucket is then
drained (its last, smaller batch too with ``allow_smaller_final_batch``) and the top queue
closes after the last one, so every kept element comes out exactly once. (Also: the
``bucket/<queue>/size`` summaries give each bucket queue's size; TF's give the top queue's.
SparseTensors are refused, as by minitf's ``tf.train.batch``.)
"""

from __future__ import annotations


import numpy as np

import minitf as tf

from ..errors import CancelledError, OutOfRangeError
from ..tensor_shape import TensorShape
from ..train import input as _input
from ..train.queue_runner import QueueRunner, add_queue_runner

__all__ = ["FeedingQueueRunner", "GreedyLoadBalancingStrategy", "bucket",
           "bucket_by_sequence_length", "byte_size_load_fn"]

_CLOSED_ERRORS = (OutOfRangeError, CancelledError)


def _original_structure(tensors, dequeued):
    """``dequeued`` (a list) in the structure of ``tensors``: a list, or a dict by sorted key
    (TF's helper wraps a one-key dict's value in a list; here it is the tensor)."""
    if isinstance(tensors, dict):
        return {k: dequeued[i] for i, k in enumerate(sorted(tensors, key=str))}
    return list(dequeued)


def _per_bucket(batch_size, num_buckets):
    if isinstance(batch_size, (list, tuple)):
        if len(batch_size) != num_buckets:
            raise ValueError("If batch_size is a list it must have num_buckets elements")
        return list(batch_size), True
    return [batch_size] * num_buckets, False


def bucket(tensors, which_bucket, batch_size, num_buckets, num_threads=1, capacity=32,
           bucket_capacities=None, shapes=None, dynamic_pad=False,
           allow_smaller_final_batch=False, keep_input=True, shared_name=None, name=None):
    """Batches of the elements ``tensors`` (a list or dict) grouped by ``which_bucket`` (an
    int32 scalar in ``[0, num_buckets)``): returns ``(bucket_id, outputs)``, the id of the
    batch's bucket and the batched tensors, one bucket's batch per run. ``batch_size`` may be a
    list (one per bucket), ``bucket_capacities`` sizes each bucket's queue (``capacity`` by
    default, which also bounds the top queue's batches). Elements with ``keep_input`` false are
    dropped."""
    batch_sizes, per_bucket = _per_bucket(batch_size, num_buckets)
    if bucket_capacities is None:
        bucket_capacities = [capacity] * num_buckets
    if len(bucket_capacities) != num_buckets:
        raise ValueError(f"The list bucket_capacities ({bucket_capacities}) must have exactly "
                         f"num_buckets ({num_buckets}) elements.")
    tensor_list = _input._as_tensor_list(tensors)
    with tf.name_scope(name, "bucket", list(tensor_list)):
        tensor_list = _input._validate(tensor_list, "bucket()")
        keep_input = _input._validate_keep_input(keep_input, enqueue_many=False)
        static_batch_size = None
        for i, bs in enumerate(batch_sizes):
            bs = tf.convert_to_tensor(bs, dtype=tf.int32, name="batch_size")
            static_batch_size = tf.get_static_value(bs)
            batch_sizes[i] = bs if static_batch_size is None else int(static_batch_size)
        types = _input._dtypes([tensor_list])
        shapes = _input._shapes([tensor_list], shapes, enqueue_many=False)
        which_bucket = tf.convert_to_tensor(which_bucket, dtype=tf.int32, name="which_bucket")

        queue_class = tf.PaddingFIFOQueue if dynamic_pad else tf.FIFOQueue
        bucket_queues = [
            queue_class(capacity=bucket_capacities[i], dtypes=types, shapes=shapes,
                        shared_name=None if shared_name is None else f"{shared_name}_{i}",
                        name=f"bucket_queue_{i}")
            for i in range(num_buckets)]
        # As TF: the batch dimension is static only for one fixed size and full batches.
        static_batch = None if (allow_smaller_final_batch or per_bucket) else static_batch_size
        batch_shapes = [TensorShape([static_batch]).concatenate(s)
                        for s in bucket_queues[0].shapes]
        # A PaddingFIFOQueue even without dynamic_pad: its shapes may start with None.
        top_queue = tf.PaddingFIFOQueue(capacity=capacity, dtypes=[tf.int32] + types,
                                        shapes=[TensorShape([])] + batch_shapes,
                                        shared_name=shared_name, name="top_queue")

        def enqueue_which():
            enqueues = [tf.cond(tf.equal(which_bucket, i),
                                lambda i=i: bucket_queues[i].enqueue(tensor_list), tf.no_op)
                        for i in range(num_buckets)]
            return tf.group(*enqueues, name="group_enqueues")

        maybe_enqueue = _input._smart_cond(keep_input, enqueue_which, tf.no_op)

        def read(q, bs, i):
            if allow_smaller_final_batch:
                return q.dequeue_up_to(bs, name=f"read_bucket_{i}")
            return q.dequeue_many(bs, name=f"read_bucket_{i}")

        enqueues_to_top = []
        for i, (q, bs) in enumerate(zip(bucket_queues, batch_sizes)):
            batch = read(q, bs, i)
            batch = batch if isinstance(batch, list) else [batch]
            enqueues_to_top.append(top_queue.enqueue([tf.constant(i)] + batch,
                                                     name=f"enqueue_from_bucket_{i}"))

        cancel = tf.group(top_queue.close(cancel_pending_enqueues=True),
                          *[q.close(cancel_pending_enqueues=True) for q in bucket_queues],
                          name="cancel_bucket_queues")
        # The input's end closes the buckets (not the top queue: see the module's docstring).
        close_buckets = tf.group(*[q.close() for q in bucket_queues], name="close_buckets")
        add_queue_runner(QueueRunner(top_queue, [maybe_enqueue] * num_threads,
                                     close_op=close_buckets, cancel_op=cancel,
                                     queue_closed_exception_types=_CLOSED_ERRORS))
        # One thread per bucket moves its batches up; the last to find its bucket closed and
        # drained closes the top queue.
        add_queue_runner(QueueRunner(top_queue, enqueues_to_top, close_op=top_queue.close(),
                                     cancel_op=cancel,
                                     queue_closed_exception_types=_CLOSED_ERRORS))

        for q in bucket_queues:
            tf.summary.scalar(f"bucket/{q.name}/size", tf.cast(q.size(), tf.float32))
        tf.summary.scalar(f"bucket/{top_queue.name}/fraction_of_{capacity}_full",
                          tf.cast(top_queue.size(), tf.float32) * (1.0 / capacity))

        dequeued = top_queue.dequeue(name="dequeue_top")
        return dequeued[0], _original_structure(tensors, dequeued[1:])


def bucket_by_sequence_length(input_length, tensors, batch_size, bucket_boundaries,
                              num_threads=1, capacity=32, bucket_capacities=None, shapes=None,
                              dynamic_pad=False, allow_smaller_final_batch=False,
                              keep_input=True, shared_name=None, name=None):
    """``bucket`` by ``input_length`` (an int32 scalar): bucket 0 holds lengths below
    ``bucket_boundaries[0]``, bucket i lengths in ``[b[i-1], b[i])``, the last those from
    ``b[-1]`` on. Returns ``(lengths, outputs)``: the batch's lengths (a vector) and its
    tensors."""
    tensor_list = _input._as_tensor_list(tensors)
    if not isinstance(bucket_boundaries, (list, tuple)):
        raise TypeError(f"bucket_boundaries must be a list or tuple, but received: "
                        f"{bucket_boundaries}")
    if not bucket_boundaries:
        raise ValueError("bucket_boundaries must not be empty")
    for s, e in zip(bucket_boundaries[:-1], bucket_boundaries[1:]):
        if not isinstance(s, int) or not isinstance(e, int):
            raise TypeError(f"bucket boundaries must be integers, but saw: {s} and {e}")
        if s >= e:
            raise ValueError(f"Buckets must contain sequential increasing lengths, but saw: "
                             f"{s} before {e}")
    with tf.name_scope(name, "bucket_by_sequence_length", [input_length] + list(tensor_list)):
        input_length = tf.convert_to_tensor(input_length, dtype=tf.int32, name="input_length")
        # bucket i holds lower[i] <= length < upper[i]; the first true condition is the bucket
        lower = [int(np.iinfo(np.int32).min)] + list(bucket_boundaries)
        upper = list(bucket_boundaries) + [int(np.iinfo(np.int32).max)]
        conditions = tf.logical_and(tf.less_equal(lower, input_length),
                                    tf.less(input_length, upper))
        which_bucket = tf.to_int32(tf.reduce_min(tf.where(conditions)))
        if shapes is not None:
            shapes = [TensorShape([])] + list(shapes)
        _, dequeued = bucket(
            tensors=[input_length] + list(tensor_list), which_bucket=which_bucket,
            batch_size=batch_size, num_buckets=len(bucket_boundaries) + 1,
            num_threads=num_threads, capacity=capacity, bucket_capacities=bucket_capacities,
            shapes=shapes, dynamic_pad=dynamic_pad,
            allow_smaller_final_batch=allow_smaller_final_batch, keep_input=keep_input,
            shared_name=shared_name)
        return dequeued[0], _original_structure(tensors, dequeued[1:])


# -- FeedingQueueRunner --------------------------------------------------------------------------
class FeedingQueueRunner(QueueRunner):
    """A QueueRunner whose enqueue ops are run with a feed: ``feed_fns[i]()`` gives the
    feed_dict of each run of ``enqueue_ops[i]`` (None: no feed). An OutOfRangeError or a
    CancelledError (by default) ends a thread; the last one closes the queue. It is not
    serialised to or built from a QueueRunnerDef."""

    def __init__(self, queue=None, enqueue_ops=None, close_op=None, cancel_op=None,
                 feed_fns=None, queue_closed_exception_types=None):
        if queue_closed_exception_types is None:
            queue_closed_exception_types = _CLOSED_ERRORS
        super().__init__(queue, enqueue_ops, close_op, cancel_op,
                         queue_closed_exception_types=queue_closed_exception_types)
        if feed_fns is None:
            self._feed_fns = [None] * len(enqueue_ops)
        else:
            if len(feed_fns) != len(enqueue_ops):
                raise ValueError("If feed_fns is not None, it must have the same length as "
                                 "enqueue_ops.")
            self._feed_fns = list(feed_fns)

    def _enqueue_callables(self, sess) -> list:
        def enqueue(op, feed_fn):
            return lambda: sess.run(op, feed_dict=None if feed_fn is None else feed_fn())
        return [(op.name, enqueue(op, feed_fn))
                for op, feed_fn in zip(self._enqueue_ops, self._feed_fns)]

    def to_proto(self, export_scope=None):
        raise NotImplementedError(f"{type(self).__name__} does not support serialization to "
                                  "proto.")

    @staticmethod
    def from_proto(queue_runner_def, import_scope=None):
        raise NotImplementedError("FeedingQueueRunner does not support initialization from "
                                  "proto.")


# -- device_setter -------------------------------------------------------------------------------
class GreedyLoadBalancingStrategy:
    """A ``ps_strategy`` for ``tf.train.replica_device_setter``: each op goes to the ps task
    with the least load so far (the first such task on ties), which then carries
    ``load_fn(op)`` more."""

    def __init__(self, num_tasks, load_fn):
        self._num_tasks = num_tasks
        self._load_fn = load_fn
        self._ps_loads = np.zeros(num_tasks)

    def __call__(self, op):
        task = int(np.argmin(self._ps_loads))
        self._ps_loads[task] += self._load_fn(op)
        return task


def byte_size_load_fn(op):
    """The bytes of ``op``'s single output (a variable's value): elements times the dtype's
    size. ValueError if ``op`` has several outputs or an output of unknown shape (a variable
    op's ``shape`` attr is used when its output's shape is not set yet)."""
    if len(op.outputs) != 1:
        raise ValueError(f"Op {op} must have a single output")
    output = op.outputs[0]
    shape = output.shape
    if not shape.is_fully_defined():
        try:
            shape = TensorShape(op._get_attr("shape"))
        except (ValueError, KeyError):
            pass
    shape.assert_is_fully_defined()
    return shape.num_elements() * output.dtype.size
