"""``slim.data_provider`` (TF 1.x contrib.slim): a DataProvider maps item names ('image',
'label', ...) to the tensors that give them."""

__all__ = ["DataProvider"]


class DataProvider:
    """Provides the tensors of named items (``items_to_tensors``) from a data set of
    ``num_samples`` samples."""

    def __init__(self, items_to_tensors, num_samples):
        self._items_to_tensors = items_to_tensors
        self._num_samples = num_samples

    def get(self, items):
        """The tensors of ``items`` (a list or tuple of names), in that order; ValueError for
        a name the provider does not know."""
        self._validate_items(items)
        return [self._items_to_tensors[item] for item in items]

    def list_items(self):
        """The item names ``get`` accepts."""
        return self._items_to_tensors.keys()

    def num_samples(self):
        return self._num_samples

    def _validate_items(self, items):
        if not isinstance(items, (list, tuple)):
            raise ValueError(f"items must be a list or tuple, got {type(items).__name__} "
                             f"{items!r}")
        valid = self.list_items()
        for item in items:
            if item not in valid:
                raise ValueError(f"Item [{item}] is invalid. Valid entries include: "
                                 f"{sorted(valid, key=str)}")
