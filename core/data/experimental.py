"""``tf.data.experimental``: the constants and helpers TF1 code reaches for there."""

from .dataset_ops import AUTOTUNE
from .iterators import get_output_classes, get_output_shapes, get_output_types


def unbatch():
    """``dataset.apply(tf.data.experimental.unbatch())``."""
    return lambda dataset: dataset.unbatch()


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """``dataset.apply(shuffle_and_repeat(...))``: shuffle, then repeat (each epoch anew)."""
    return lambda dataset: dataset.shuffle(buffer_size, seed=seed).repeat(count)


def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False,
                  num_parallel_calls=None):
    """``dataset.apply(map_and_batch(...))``: map, then batch (run serially)."""
    return lambda dataset: dataset.map(map_func).batch(batch_size, drop_remainder)


__all__ = ["AUTOTUNE", "get_output_classes", "get_output_shapes", "get_output_types",
           "map_and_batch", "shuffle_and_repeat", "unbatch"]
