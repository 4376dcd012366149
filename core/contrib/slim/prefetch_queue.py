"""``slim.prefetch_queue`` (TF 1.x contrib.slim): a queue a QueueRunner keeps filled with the
values of some tensors (batches from ``tf.train.batch``, typically), so their consumer need not
wait for them to be assembled."""

import minitf as tf

from ...train.queue_runner import QueueRunner, add_queue_runner

__all__ = ["prefetch_queue"]


def prefetch_queue(tensors, capacity=8, num_threads=1, dynamic_pad=False, shared_name=None,
                   name=None):
    """A FIFOQueue (PaddingFIFOQueue with ``dynamic_pad``) of ``capacity`` elements that
    ``num_threads`` QueueRunner threads fill by evaluating ``tensors`` (a list, or a dict whose
    keys become the queue's names); ``dequeue()`` gives them back in the same structure."""
    if isinstance(tensors, dict):
        names = sorted(tensors)  # a stable order of the components
        tensor_list = [tensors[n] for n in names]
    else:
        names = None
        tensor_list = list(tensors)
    if not tensor_list:
        raise ValueError("prefetch_queue needs at least one tensor")
    with tf.name_scope(name, "prefetch_queue", tensor_list) as name:
        tensor_list = [tf.convert_to_tensor(t) for t in tensor_list]
        dtypes = [t.dtype for t in tensor_list]
        shapes = [t.shape for t in tensor_list]
        queue_class = tf.PaddingFIFOQueue if dynamic_pad else tf.FIFOQueue
        queue = queue_class(capacity=capacity, dtypes=dtypes, shapes=shapes, names=names,
                            shared_name=shared_name)
        enqueue_op = queue.enqueue(dict(zip(names, tensor_list)) if names else tensor_list)
        add_queue_runner(QueueRunner(queue, [enqueue_op] * num_threads))
        tf.summary.scalar(f"fraction_of_{capacity}_full",
                          tf.cast(queue.size(), tf.float32) * (1.0 / capacity))
        return queue
