"""In-place optimizer updates (ApplyGradientDescent, ApplyMomentum, ApplyAdam, ...)."""

from __future__ import annotations

__all__: list[str] = []
