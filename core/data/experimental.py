"""``tf.data.experimental``: the constants and helpers TF1 code reaches for there."""

from .dataset_ops import AUTOTUNE
from .iterators import get_output_classes, get_output_shapes, get_output_types


def unbatch():
    """``dataset.apply(tf.data.experimental.unbatch())``."""
    return lambda dataset: dataset.unbatch()


__all__ = ["AUTOTUNE", "get_output_classes", "get_output_shapes", "get_output_types",
           "unbatch"]
