"""``tf.data``: input pipelines as TF1 graph-mode code uses them.

A Dataset describes the pipeline in Python (dataset_ops.py, batching.py, readers.py, ...);
iterators put it in the graph as stateful ops (core/ops/iterator_ops.py), whose per-session
state is the position::

    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1000).batch(32)
    iterator = dataset.make_initializable_iterator()
    features, labels = iterator.get_next()
    ...
    sess.run(iterator.initializer)
    while True:
        try:
            sess.run(train_op)
        except tf.errors.OutOfRangeError:
            break
"""

from . import dataset_methods  # noqa: F401 - Dataset.reduce, Dataset.window
from . import experimental
from .dataset_ops import AUTOTUNE, Dataset
from .iterators import (Iterator, get_output_classes, get_output_shapes, get_output_types,
                        make_initializable_iterator, make_one_shot_iterator)
from .options import INFINITE as INFINITE_CARDINALITY
from .options import UNKNOWN as UNKNOWN_CARDINALITY
from .options import Options
from .readers import FixedLengthRecordDataset, TextLineDataset, TFRecordDataset
from .structure import DatasetSpec

DatasetV1 = Dataset

__all__ = ["AUTOTUNE", "Dataset", "DatasetSpec", "DatasetV1", "FixedLengthRecordDataset",
           "INFINITE_CARDINALITY", "Iterator", "Options", "TFRecordDataset", "TextLineDataset",
           "UNKNOWN_CARDINALITY", "experimental", "get_output_classes", "get_output_shapes",
           "get_output_types", "make_initializable_iterator", "make_one_shot_iterator"]
