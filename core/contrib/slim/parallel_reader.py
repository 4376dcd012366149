"""``slim.parallel_reader`` (TF 1.x contrib.slim): several readers of one kind reading
different files at once into a common queue (a RandomShuffleQueue shuffles the records), as
slim's DatasetDataProvider reads its Dataset; and a single in-order pass over files."""

import minitf as tf

from ...queues import ReaderBase
from ...train.queue_runner import QueueRunner, add_queue_runner

__all__ = ["ParallelReader", "get_data_files", "parallel_read", "single_pass_read"]


class ParallelReader(ReaderBase):
    """``num_readers`` readers ``reader_class(**reader_kwargs)`` whose records a QueueRunner
    (in the QUEUE_RUNNERS collection) enqueues into ``common_queue``, a queue of (key, value)
    strings; ``read`` dequeues from it, so records of different files interleave."""

    def __init__(self, reader_class, common_queue, num_readers=4, reader_kwargs=None):
        dtypes = list(common_queue.dtypes)
        if len(dtypes) != 2 or any(not d.is_compatible_with(tf.string) for d in dtypes):
            raise TypeError(f"common_queue.dtypes must be [tf.string, tf.string], got "
                            f"{[d.name for d in dtypes]}")
        # No reader of its own (as TF's): the ReaderBase ops are those of its readers.
        self._readers = [reader_class(**(reader_kwargs or {})) for _ in range(num_readers)]
        self._common_queue = common_queue

    num_readers = property(lambda self: len(self._readers))
    common_queue = property(lambda self: self._common_queue)

    def read(self, queue, name=None):
        """The next (key, value) record of the common queue; the readers take their files
        from ``queue`` (a queue of file names, or its handle)."""
        self._configure_readers_by(queue)
        return self._common_queue.dequeue(name=name)

    def read_up_to(self, queue, num_records, name=None):
        """Up to ``num_records`` (keys, values) of the common queue (fewer only once it is
        closed)."""
        self._configure_readers_by(queue)
        return self._common_queue.dequeue_up_to(num_records, name)

    def _configure_readers_by(self, queue):
        enqueue_ops = [self._common_queue.enqueue(reader.read(queue))
                       for reader in self._readers]
        add_queue_runner(QueueRunner(self._common_queue, enqueue_ops))

    def num_records_produced(self, name=None):
        """int64: the records all the readers have read."""
        return tf.add_n([r.num_records_produced() for r in self._readers], name=name)

    def num_work_units_completed(self, name=None):
        """int64: the files all the readers have finished."""
        return tf.add_n([r.num_work_units_completed() for r in self._readers], name=name)


def parallel_read(data_sources, reader_class, num_epochs=None, num_readers=4,
                  reader_kwargs=None, shuffle=True, dtypes=None, capacity=256,
                  min_after_dequeue=128, seed=None, scope=None):
    """(key, value): the next record of ``data_sources`` (files or glob patterns), read by a
    ParallelReader of ``num_readers`` ``reader_class`` readers through a common queue of
    ``capacity``: a RandomShuffleQueue keeping ``min_after_dequeue`` records if ``shuffle``
    (the file order is shuffled too), else a FIFOQueue. ``num_epochs`` passes over the files
    (forever if None), then OutOfRangeError."""
    data_files = get_data_files(data_sources)
    with tf.name_scope(scope, "parallel_read"):
        filename_queue = tf.train.string_input_producer(
            data_files, num_epochs=num_epochs, shuffle=shuffle, seed=seed, name="filenames")
        dtypes = dtypes or [tf.string, tf.string]
        if shuffle:
            common_queue = tf.RandomShuffleQueue(
                capacity=capacity, min_after_dequeue=min_after_dequeue, dtypes=dtypes,
                seed=seed, name="common_queue")
        else:
            common_queue = tf.FIFOQueue(capacity=capacity, dtypes=dtypes, name="common_queue")
        tf.summary.scalar(f"fraction_of_{capacity}_full",
                          tf.cast(common_queue.size(), tf.float32) * (1.0 / capacity))
        return ParallelReader(reader_class, common_queue, num_readers=num_readers,
                              reader_kwargs=reader_kwargs).read(filename_queue)


def single_pass_read(data_sources, reader_class, reader_kwargs=None, scope=None):
    """(key, value): the records of ``data_sources`` in order, read once by one reader, then
    OutOfRangeError (the epoch counter is a local variable)."""
    data_files = get_data_files(data_sources)
    with tf.name_scope(scope, "single_pass_read"):
        filename_queue = tf.train.string_input_producer(
            data_files, num_epochs=1, shuffle=False, capacity=1, name="filenames")
        return reader_class(**(reader_kwargs or {})).read(filename_queue)


def get_data_files(data_sources):
    """The files of ``data_sources``: a file name, a glob pattern (``*``, ``?``, ``[``), or a
    list or tuple of them; ValueError if none is found."""
    if isinstance(data_sources, (list, tuple)):
        data_files = [f for source in data_sources for f in get_data_files(source)]
    elif not isinstance(data_sources, (str, bytes)):
        raise TypeError(f"data_sources must be a file name, a pattern or a list of them, got "
                        f"{type(data_sources).__name__}")
    else:
        source = data_sources.decode() if isinstance(data_sources, bytes) else data_sources
        data_files = tf.gfile.Glob(source) if any(c in source for c in "*?[") else [source]
    if not data_files:
        raise ValueError(f"No data files found in {data_sources}")
    return data_files
