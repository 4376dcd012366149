"""Protobuf classes as module attributes, resolved on first use: core does not import the
protos package (the layering), yet ``tf.GraphDef`` or ``tf.summary.Event`` are TF1's names."""

from __future__ import annotations

import importlib


def lazy_classes(module: str, classes: dict):
    """A module ``__getattr__`` giving ``classes[name]`` (a ``minitf.protos`` module name)'s
    class ``name``."""
    def getattr_(name):
        source = classes.get(name)
        if source is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"minitf.protos.{source}"), name)
    return getattr_
