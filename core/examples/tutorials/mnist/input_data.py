"""TF 1.x's ``tensorflow.examples.tutorials.mnist.input_data``, the first import of most
TF1 tutorials: ``read_data_sets`` from ``tf.contrib.learn.datasets.mnist`` (local IDX files
only; minitf never downloads)."""

from ....contrib.learn.datasets.mnist import (DataSet, dense_to_one_hot, extract_images,
                                               extract_labels, read_data_sets)

__all__ = ["DataSet", "dense_to_one_hot", "extract_images", "extract_labels", "read_data_sets"]
