"""Attaches the Dataset methods defined outside dataset_ops.py (kept small): ``reduce`` and
``window``. Imported by core/data/__init__.py."""

from .dataset_ops import Dataset
from .reducing import reduce
from .windowing import window

Dataset.reduce = reduce
Dataset.window = window
