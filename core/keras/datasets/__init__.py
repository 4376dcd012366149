"""``tf.keras.datasets``: the classic Keras datasets read from Keras' cache (never
downloaded; see _cache.py for which formats load without unpickling)."""

from . import boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters

__all__ = ["boston_housing", "cifar10", "cifar100", "fashion_mnist", "imdb", "mnist",
           "reuters"]
