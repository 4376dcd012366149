"""``tf.contrib.learn.datasets.mnist`` (also TF1's ``examples.tutorials.mnist.input_data``):
MNIST from the four gzipped IDX files in a local directory, as DataSets with ``next_batch``.

minitf never downloads: missing files are an error naming them and where to fetch them.
Shuffling follows TF exactly, including its use of numpy's global generator, which each DataSet
reseeds from ``seed`` (or the graph seed) so a seeded program sees TF's batches."""

from __future__ import annotations

import gzip
import os

import numpy as np

from ....dtypes import as_dtype, float32, uint8
from ....ops.stateless_random_seed import get_seed
from . import base

__all__ = ["DEFAULT_SOURCE_URL", "DataSet", "dense_to_one_hot", "extract_images",
           "extract_labels", "load_mnist", "read_data_sets"]

# CVDF mirror of http://yann.lecun.com/exdb/mnist/ (TF's default)
DEFAULT_SOURCE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049  # IDX: 0x0803 (ubyte, 3 dims), 0x0801 (1 dim)


def _read32(bytestream, name):
    raw = bytestream.read(4)
    if len(raw) != 4:
        raise ValueError(f"Truncated IDX header in MNIST file: {name}")
    return int(np.frombuffer(raw, dtype=">u4")[0])


def _read_exactly(bytestream, size, name, what):
    buf = bytestream.read(size)
    if len(buf) != size:
        raise ValueError(f"MNIST file {name} is truncated: its header announces {size} bytes "
                         f"of {what}, the file holds {len(buf)}")
    return buf


def extract_images(f):
    """Images of a gzipped IDX file object as uint8 [index, y, x, 1]; ValueError unless it
    starts with the magic number 2051."""
    name = getattr(f, "name", repr(f))
    print("Extracting", name)
    with gzip.GzipFile(fileobj=f) as bytestream:
        magic = _read32(bytestream, name)
        if magic != _IMAGES_MAGIC:
            raise ValueError(f"Invalid magic number {magic} in MNIST image file: {name}")
        num_images = _read32(bytestream, name)
        rows = _read32(bytestream, name)
        cols = _read32(bytestream, name)
        buf = _read_exactly(bytestream, rows * cols * num_images, name, "pixels")
        return np.frombuffer(buf, dtype=np.uint8).reshape(num_images, rows, cols, 1)


def dense_to_one_hot(labels_dense, num_classes):
    """Class ids [n] -> float64 one-hot rows [n, num_classes]."""
    labels_dense = np.asarray(labels_dense)
    num_labels = labels_dense.shape[0]
    if num_labels and (labels_dense.min() < 0 or labels_dense.max() >= num_classes):
        raise ValueError(f"dense_to_one_hot: labels must lie in [0, {num_classes}); got "
                         f"{labels_dense.min()}..{labels_dense.max()}")
    labels_one_hot = np.zeros((num_labels, num_classes))
    labels_one_hot.flat[np.arange(num_labels) * num_classes + labels_dense.ravel()] = 1
    return labels_one_hot


def extract_labels(f, one_hot=False, num_classes=10):
    """Labels of a gzipped IDX file object as uint8 [index] (float64 one-hot rows with
    ``one_hot``); ValueError unless it starts with the magic number 2049."""
    name = getattr(f, "name", repr(f))
    print("Extracting", name)
    with gzip.GzipFile(fileobj=f) as bytestream:
        magic = _read32(bytestream, name)
        if magic != _LABELS_MAGIC:
            raise ValueError(f"Invalid magic number {magic} in MNIST label file: {name}")
        num_items = _read32(bytestream, name)
        labels = np.frombuffer(_read_exactly(bytestream, num_items, name, "labels"),
                               dtype=np.uint8)
        return dense_to_one_hot(labels, num_classes) if one_hot else labels


class DataSet:
    """Images and labels with epoch-wise shuffled batches.

    ``dtype`` uint8 keeps pixels in [0, 255], float32 scales them to [0, 1]; ``reshape``
    flattens [n, rows, cols, 1] images to [n, rows * cols]; ``one_hot`` only shapes the fake
    labels of ``fake_data``; ``seed`` (else the graph seed) reseeds numpy's global generator,
    which TF's shuffles draw from."""

    def __init__(self, images, labels, fake_data=False, one_hot=False, dtype=float32,
                 reshape=True, seed=None):
        graph_seed, op_seed = get_seed(seed)
        np.random.seed(graph_seed if seed is None else op_seed)
        dtype = as_dtype(dtype).base_dtype
        if dtype not in (uint8, float32):
            raise TypeError(f"Invalid image dtype {dtype!r}, expected uint8 or float32")
        if fake_data:
            self._num_examples = 10000
            self.one_hot = one_hot
        else:
            if images.shape[0] != labels.shape[0]:
                raise AssertionError(f"images.shape: {images.shape} labels.shape: "
                                     f"{labels.shape}")
            self._num_examples = images.shape[0]
            if reshape:
                if images.ndim != 4 or images.shape[3] != 1:
                    raise AssertionError(f"reshape=True needs images of shape [n, rows, cols, "
                                         f"1]; got {images.shape}")
                images = images.reshape(images.shape[0], images.shape[1] * images.shape[2])
            if dtype == float32:
                images = images.astype(np.float32) * np.float32(1.0 / 255.0)
        self._images = images
        self._labels = labels
        self._epochs_completed = 0
        self._index_in_epoch = 0

    images = property(lambda self: self._images)
    labels = property(lambda self: self._labels)
    num_examples = property(lambda self: self._num_examples)
    epochs_completed = property(lambda self: self._epochs_completed)

    def _shuffle(self):
        perm = np.arange(self._num_examples)
        np.random.shuffle(perm)
        self._images = self._images[perm]
        self._labels = self._labels[perm]

    def next_batch(self, batch_size, fake_data=False, shuffle=True):
        """The next ``batch_size`` examples. Each epoch visits every example once (in a new
        random order with ``shuffle``); a batch straddling the end of an epoch is its last
        examples followed by the first of the next, and bumps ``epochs_completed``."""
        if fake_data:
            fake_image = [1] * 784
            fake_label = [1] + [0] * 9 if self.one_hot else 0
            return ([fake_image for _ in range(batch_size)],
                    [fake_label for _ in range(batch_size)])
        start = self._index_in_epoch
        if self._epochs_completed == 0 and start == 0 and shuffle:
            self._shuffle()  # the first epoch's order
        if start + batch_size <= self._num_examples:
            self._index_in_epoch += batch_size
            return self._images[start:self._index_in_epoch], self._labels[
                start:self._index_in_epoch]
        self._epochs_completed += 1
        images_rest = self._images[start:self._num_examples]
        labels_rest = self._labels[start:self._num_examples]
        if shuffle:
            self._shuffle()
        self._index_in_epoch = end = batch_size - (self._num_examples - start)
        return (np.concatenate((images_rest, self._images[:end]), axis=0),
                np.concatenate((labels_rest, self._labels[:end]), axis=0))


def read_data_sets(train_dir, fake_data=False, one_hot=False, dtype=float32, reshape=True,
                   validation_size=5000, seed=None, source_url=DEFAULT_SOURCE_URL):
    """Datasets(train, validation, test) from ``train_dir``'s four MNIST files: validation is
    the first ``validation_size`` training examples, train the rest."""
    if fake_data:
        def fake():
            return DataSet([], [], fake_data=True, one_hot=one_hot, dtype=dtype, seed=seed)

        return base.Datasets(train=fake(), validation=fake(), test=fake())
    source_url = source_url or DEFAULT_SOURCE_URL
    names = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
    missing = [n for n in names if not os.path.exists(os.path.join(os.fspath(train_dir), n))]
    if missing:
        raise FileNotFoundError(
            f"MNIST files missing from {train_dir}: {', '.join(missing)}. minitf does not "
            f"download datasets: fetch them from {source_url} (e.g. {source_url}{missing[0]}) "
            f"and put them in {train_dir}.")

    def extract(name, fn, **kwargs):
        with open(base.maybe_download(name, train_dir, source_url + name), "rb") as f:
            return fn(f, **kwargs)

    train_images = extract(TRAIN_IMAGES, extract_images)
    train_labels = extract(TRAIN_LABELS, extract_labels, one_hot=one_hot)
    test_images = extract(TEST_IMAGES, extract_images)
    test_labels = extract(TEST_LABELS, extract_labels, one_hot=one_hot)

    if not 0 <= validation_size <= len(train_images):
        raise ValueError(f"Validation size should be between 0 and {len(train_images)}. "
                         f"Received: {validation_size}.")
    options = dict(dtype=dtype, reshape=reshape, seed=seed)
    train = DataSet(train_images[validation_size:], train_labels[validation_size:], **options)
    validation = DataSet(train_images[:validation_size], train_labels[:validation_size],
                         **options)
    test = DataSet(test_images, test_labels, **options)
    return base.Datasets(train=train, validation=validation, test=test)


def load_mnist(train_dir="MNIST-data"):
    """``read_data_sets(train_dir)`` with TF's defaults."""
    return read_data_sets(train_dir)
