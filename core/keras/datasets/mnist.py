"""MNIST digits from ``<keras cache>/datasets/mnist.npz`` (uint8 28x28 images, uint8 labels)."""

from ._cache import cached_path, load_npz

__all__ = ["load_data"]

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"


def load_data(path="mnist.npz"):
    """((x_train, y_train), (x_test, y_test))."""
    x_train, y_train, x_test, y_test = load_npz(
        cached_path(path, _ORIGIN), ["x_train", "y_train", "x_test", "y_test"])
    return (x_train, y_train), (x_test, y_test)
