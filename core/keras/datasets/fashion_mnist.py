"""Fashion-MNIST from the four gzipped IDX files in ``<keras cache>/datasets/fashion-mnist``
(labels after an 8-byte header, 28x28 uint8 images after a 16-byte one)."""

import gzip
import os

import numpy as np

from ._cache import cached_path

__all__ = ["load_data"]

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_FILES = ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
          "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"]


def load_data():
    """((x_train, y_train), (x_test, y_test))."""
    paths = [cached_path(os.path.join("fashion-mnist", f), _ORIGIN + f) for f in _FILES]
    out = []
    for labels, images in (paths[:2], paths[2:]):
        with gzip.open(labels, "rb") as f:
            y = np.frombuffer(f.read(), np.uint8, offset=8)
        with gzip.open(images, "rb") as f:
            x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(len(y), 28, 28)
        out.append((x, y))
    return tuple(out)
