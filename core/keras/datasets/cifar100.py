"""CIFAR-100 from ``<keras cache>/datasets/cifar-100-binary`` (see _cifar.py)."""

from ._cifar import read_binary

__all__ = ["load_data"]

_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"


def load_data(label_mode="fine"):
    """((x_train, y_train), (x_test, y_test)) with the ``fine`` (100) or ``coarse`` (20)
    labels, int64 of shape (n, 1) as Keras returns them."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError('`label_mode` must be one of `"fine"`, `"coarse"`.')
    index = 1 if label_mode == "fine" else 0
    out = []
    for f in ("train.bin", "test.bin"):
        x, y = read_binary("cifar-100-binary", [f], 2, index, _ORIGIN, "cifar-100-python")
        out.append((x, y.astype("int64")))
    return tuple(out)
