"""CIFAR-10 from ``<keras cache>/datasets/cifar-10-batches-bin`` (see _cifar.py)."""

from ._cifar import read_binary

__all__ = ["load_data"]

_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"


def load_data():
    """((x_train, y_train), (x_test, y_test)): uint8 images (channels_last unless the
    image data format says otherwise) and uint8 labels of shape (n, 1)."""
    train = read_binary("cifar-10-batches-bin", [f"data_batch_{i}.bin" for i in range(1, 6)],
                        1, 0, _ORIGIN, "cifar-10-batches-py")
    test = read_binary("cifar-10-batches-bin", ["test_batch.bin"], 1, 0, _ORIGIN,
                       "cifar-10-batches-py")
    return train, test
