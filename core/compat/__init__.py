"""``minitf.compat.v1`` is minitf itself: the whole API is TensorFlow 1.x's."""

import sys as _sys

import minitf as v1

_sys.modules[__name__ + ".v1"] = v1


def as_bytes(bytes_or_text, encoding="utf-8"):
    """``bytes_or_text`` as bytes (text encoded); TypeError for anything else."""
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text, encoding="utf-8"):
    """``bytes_or_text`` as str (bytes decoded); TypeError for anything else."""
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text.decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


as_str = as_text


def as_str_any(value):
    """str of anything; bytes decoded."""
    return as_str(value) if isinstance(value, bytes) else str(value)


def path_to_str(path):
    """A path-like object's str (os.fspath); anything else unchanged."""
    import os

    return os.fspath(path) if hasattr(path, "__fspath__") else path


def __getattr__(name):
    # tf.compat.dimension_value / dimension_at_index: the root's, imported late (minitf
    # imports this package while it is being built).
    if name in ("dimension_value", "dimension_at_index"):
        return getattr(v1, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
