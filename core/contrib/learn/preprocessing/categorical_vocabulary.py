"""``CategoricalVocabulary``: category <-> id, id 0 reserved for the unknown token.

Ids are handed out in first-seen order until ``trim`` renumbers the survivors by frequency."""

from __future__ import annotations

import collections

__all__ = ["CategoricalVocabulary"]


class CategoricalVocabulary:
    """Maps categories (words, ints, ...) to ids 1..n; unknown or trimmed ones map to 0."""

    def __init__(self, unknown_token="<UNK>", support_reverse=True):
        self._unknown_token = unknown_token
        self._mapping = {unknown_token: 0}
        self._support_reverse = support_reverse
        if support_reverse:
            self._reverse_mapping = [unknown_token]
        self._freq = collections.defaultdict(int)
        self._freeze = False

    def __len__(self):
        """The number of ids, the unknown token's included."""
        return len(self._mapping)

    def freeze(self, freeze=True):
        """Frozen, ``get`` answers 0 for a new category instead of adding it."""
        self._freeze = freeze

    def get(self, category):
        """The id of ``category``, adding it first unless the vocabulary is frozen."""
        if category not in self._mapping:
            if self._freeze:
                return 0
            self._mapping[category] = len(self._mapping)
            if self._support_reverse:
                self._reverse_mapping.append(category)
        return self._mapping[category]

    def add(self, category, count=1):
        """Counts ``count`` more occurrences of ``category`` (unknown ones are not counted)."""
        if self.get(category) <= 0:
            return
        self._freq[category] += count

    def trim(self, min_frequency, max_frequency=-1):
        """Keeps the categories seen more than ``min_frequency`` times (and, when
        ``max_frequency`` > 0, fewer than that), renumbered 1..n by descending frequency, ties
        in ascending order (non-strings before strings)."""
        # Two stable sorts: by value first, then by count, so equal counts stay in value order.
        by_value = sorted(self._freq.items(), key=lambda kv: (isinstance(kv[0], str), kv[0]))
        ranked = sorted(by_value, key=lambda kv: kv[1], reverse=True)
        self._mapping = {self._unknown_token: 0}
        if self._support_reverse:
            self._reverse_mapping = [self._unknown_token]
        next_id = 1
        for category, count in ranked:
            if max_frequency > 0 and count >= max_frequency:
                continue
            if count <= min_frequency:
                break
            self._mapping[category] = next_id
            next_id += 1
            if self._support_reverse:
                self._reverse_mapping.append(category)
        # TF keeps the first (kept count) entries of the ranking as the frequency table.
        self._freq = collections.defaultdict(int, ranked[:next_id - 1])

    def reverse(self, class_id):
        """The category of id ``class_id``."""
        if not self._support_reverse:
            raise ValueError("This vocabulary wasn't initialized with support_reverse to "
                             "support reverse() function.")
        return self._reverse_mapping[class_id]
