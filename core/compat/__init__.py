"""``minitf.compat.v1`` is minitf itself: the whole API is TensorFlow 1.x's."""

import contextlib as _contextlib
import datetime as _datetime
import numbers as _numbers
import os as _os
import sys as _sys

import numpy as _np

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


# The Python types TF accepts for each kind of value (TF's own tuples: these describe Python
# and numpy values, not minitf dtypes, so complex numbers belong here as in TF).
integral_types = (_numbers.Integral, _np.integer)
real_types = (_numbers.Real, _np.integer, _np.floating)
complex_types = (_numbers.Complex, _np.number)
bytes_or_text_types = (bytes, str)


# forward_compatible(y, m, d) tells graph-building code whether the graphs' consumers know
# features added up to that date. minitf's GraphDefs are meant to load in TF 1.x, so the
# horizon is set before TF 1.15's branch cut: anything gated on a later date stays out.
_HORIZON = _datetime.date(2019, 9, 1)


def _date_number(year, month, day) -> int:
    return (year << 9) | (month << 5) | day


def _horizon_number(date) -> int:
    delta = _os.environ.get("TF_FORWARD_COMPATIBILITY_DELTA_DAYS")
    if delta:  # as TF: the environment shifts the horizon by whole days
        date += _datetime.timedelta(days=int(delta))
    return _date_number(date.year, date.month, date.day)


_horizon = [_horizon_number(_HORIZON)]


def forward_compatible(year, month, day) -> bool:
    """Whether the forward-compatibility horizon is past year-month-day."""
    return _horizon[0] > _date_number(year, month, day)


@_contextlib.contextmanager
def forward_compatibility_horizon(year, month, day):
    """Within the block, the horizon is year-month-day (for tests of new graph features)."""
    saved = _horizon[0]
    try:
        _horizon[0] = _horizon_number(_datetime.date(year, month, day))
        yield
    finally:
        _horizon[0] = saved


def __getattr__(name):
    # tf.compat.dimension_value / dimension_at_index: the root's, imported late (minitf
    # imports this package while it is being built).
    if name in ("dimension_value", "dimension_at_index"):
        return getattr(v1, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
