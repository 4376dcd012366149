"""``CategoricalProcessor``: each column of a table of categories mapped to ids, one
CategoricalVocabulary per column (or one shared); NaN reads as unknown (id 0)."""

from __future__ import annotations

import math

import numpy as np

from .categorical_vocabulary import CategoricalVocabulary

__all__ = ["CategoricalProcessor"]


def _rows(x):
    """TF's processor feeder: a pandas DataFrame is read as its values, anything else is
    iterated as is (rows of categories)."""
    if type(x).__name__ == "DataFrame" and hasattr(x, "values"):
        return x.values
    return x


def _is_nan(value) -> bool:
    return isinstance(value, (float, np.floating)) and math.isnan(value)


class CategoricalProcessor:
    """Rows of categories -> int64 rows of ids.

    ``min_frequency``: categories seen at most this often become unknown. ``share``: one
    vocabulary for all columns. ``vocabularies``: CategoricalVocabulary per column to start
    from (``vocabularies_`` after fitting)."""

    def __init__(self, min_frequency=0, share=False, vocabularies=None):
        self.min_frequency = min_frequency
        self.share = share
        self.vocabularies_ = vocabularies

    def freeze(self, freeze=True):
        """Freezes (or unfreezes) every column's vocabulary."""
        for vocab in self.vocabularies_:
            vocab.freeze(freeze)

    def fit(self, x, unused_y=None):
        """Counts the categories of every column, trims to ``min_frequency``, freezes."""
        for row in _rows(x):
            if self.vocabularies_ is None:
                if self.share:
                    shared = CategoricalVocabulary()
                    self.vocabularies_ = [shared for _ in row]
                else:
                    self.vocabularies_ = [CategoricalVocabulary() for _ in row]
            for idx, value in enumerate(row):
                if not _is_nan(value):
                    self.vocabularies_[idx].add(value)
        if self.min_frequency > 0:
            for vocab in self.vocabularies_:
                vocab.trim(self.min_frequency)
        self.freeze()
        return self

    def fit_transform(self, x, unused_y=None):
        """``fit`` then ``transform`` (``x`` is read twice)."""
        self.fit(x)
        return self.transform(x)

    def transform(self, x):
        """Yields an int64 vector of ids per row (freezing the vocabularies first)."""
        if self.vocabularies_ is None:
            raise ValueError("CategoricalProcessor.transform: no vocabularies; call fit first "
                             "or pass vocabularies=")
        self.freeze()
        for row in _rows(x):
            ids = [0 if _is_nan(v) else self.vocabularies_[i].get(v) for i, v in enumerate(row)]
            yield np.array(ids, dtype=np.int64)
