"""reuters from Keras' cache: ``get_word_index`` reads reuters_word_index.json; ``load_data``
refuses reuters.npz, whose sequences are pickled object arrays (see _cache.word_index_dataset)."""

from ._cache import word_index_dataset

__all__ = ["load_data", "get_word_index"]

load_data, get_word_index = word_index_dataset("reuters", ["x", "y"])
