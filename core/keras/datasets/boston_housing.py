"""Boston housing prices from ``<keras cache>/datasets/boston_housing.npz`` (``x``, ``y``),
shuffled with ``np.random.seed(seed)`` and split as Keras does."""

import numpy as np

from ._cache import cached_path, load_npz

__all__ = ["load_data"]

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """((x_train, y_train), (x_test, y_test)); the last ``test_split`` of the shuffled rows
    are the test set."""
    if not 0 <= test_split < 1:
        raise ValueError("test_split must be in [0, 1)")
    x, y = load_npz(cached_path(path, _ORIGIN), ["x", "y"])
    np.random.seed(seed)
    indices = np.random.permutation(len(x))
    x, y = x[indices], y[indices]
    n = int(len(x) * (1 - test_split))
    return (np.array(x[:n]), np.array(y[:n])), (np.array(x[n:]), np.array(y[n:]))
