"""Slicing and gathering: Slice, StridedSlice (and Tensor.__getitem__), GatherV2."""

from __future__ import annotations

__all__: list[str] = []
