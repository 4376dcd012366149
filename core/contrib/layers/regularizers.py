"""Filled in by a later change."""

__all__ = []
