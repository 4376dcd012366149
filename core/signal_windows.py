"""``tf.signal``'s windows (Hann, Hamming, Vorbis, Kaiser, Kaiser-Bessel-derived) as TF
composes them, and the small scalar helpers core/signal.py shares."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .graph import constant_value, convert_to_tensor
from .ops import array_ops, concat_split_ops
from .ops._math_util import _scope
from .ops.logic_ops import equal, where_v2
from .ops.math_ops import cast
from .ops.unary_ops import cos, exp, sin, sqrt, square

__all__ = ["hann_window", "hamming_window", "vorbis_window", "kaiser_window",
           "kaiser_bessel_derived_window"]


def _static_int(t):
    """The value of a scalar integer tensor (or Python int) when known, else None."""
    if isinstance(t, (int, np.integer)):
        return int(t)
    v = constant_value(t)
    return None if v is None else int(v)


def _scalar(value, name, dtype=None):
    t = convert_to_tensor(value, dtype=dtype, name=name)
    if t.shape.rank not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {t.shape.rank} for {name}")
    return t


def _floating(dtype):
    dtype = _dt.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Found {dtype}")
    return dtype


# -- windows --------------------------------------------------------------------------------
def _raised_cosine_window(name, default, window_length, periodic, dtype, a, b):
    dtype = _floating(dtype)
    with _scope(name, default, ()):
        window_length = _scalar(window_length, "window_length", _dt.int32)
        n_static = _static_int(window_length)
        if n_static == 1:
            return array_ops.ones([1], dtype=dtype)
        periodic = cast(convert_to_tensor(periodic, dtype=_dt.bool, name="periodic"), _dt.int32)
        even = 1 - window_length % 2
        n = cast(window_length + periodic * even - 1, dtype)
        count = cast(array_ops.range_(window_length), dtype)
        cos_arg = array_ops.constant(2 * np.pi, dtype=dtype) * count / n
        window = cast(a - b * cos(cos_arg), dtype)
        if n_static is not None:
            return window
        # A run-time length of 1 divides by n = 0: select the ones (TF uses a cond)
        return where_v2(equal(window_length, 1), array_ops.ones_like(window), window)


def hann_window(window_length, periodic=True, dtype=_dt.float32, name=None):
    """0.5 - 0.5 cos(2 pi n / N); N = length (periodic) or length - 1 (symmetric)."""
    return _raised_cosine_window(name, "hann_window", window_length, periodic, dtype, 0.5, 0.5)


def hamming_window(window_length, periodic=True, dtype=_dt.float32, name=None):
    """0.54 - 0.46 cos(2 pi n / N)."""
    return _raised_cosine_window(name, "hamming_window", window_length, periodic, dtype,
                                 0.54, 0.46)


def vorbis_window(window_length, dtype=_dt.float32, name=None):
    """sin(pi / 2 * sin(pi (n + 0.5) / N)^2), the window of mdct."""
    dtype = _floating(dtype)
    with _scope(name, "vorbis_window", ()):
        window_length = _scalar(window_length, "window_length", _dt.int32)
        arg = cast(array_ops.range_(window_length), dtype)
        inner = sin(np.pi / cast(window_length, dtype) * (arg + 0.5))
        return sin(np.pi / 2.0 * square(inner))


def kaiser_window(window_length, beta=12.0, dtype=_dt.float32, name=None):
    """TF's composition: exp(num - beta) * I0e(num) / I0e(beta) with
    num = beta sqrt(1 - (n / halflen)^2) (I0e keeps the large-beta terms finite)."""
    from .ops.nn_ops import relu
    from .ops.special_extra_ops import bessel_i0e

    dtype = _floating(dtype)
    with _scope(name, "kaiser_window", ()):
        window_length = _scalar(window_length, "window_length", _dt.int32)
        if _static_int(window_length) == 1:
            return array_ops.ones([1], dtype=dtype)
        # tf.range lacks float16: TF works in float32 first, as here.
        halflen = (cast(window_length, _dt.float32) - 1.0) / 2.0
        arg = cast(array_ops.range_(-halflen, halflen + 0.1, dtype=_dt.float32), dtype)
        beta = cast(beta, dtype)
        halflen = cast(halflen, dtype)
        num = beta * sqrt(relu(cast(1.0, dtype) - square(arg / halflen)))
        return exp(num - beta) * (bessel_i0e(num) / bessel_i0e(beta))


def kaiser_bessel_derived_window(window_length, beta=12.0, dtype=_dt.float32, name=None):
    """The KBD window: sqrt of the normalised running sum of a Kaiser window of half the
    length, mirrored."""
    from .ops.reduction_ops import cumsum

    dtype = _floating(dtype)
    with _scope(name, "kaiser_bessel_derived_window", ()):
        window_length = _scalar(window_length, "window_length", _dt.int32)
        kaiser = kaiser_window(window_length // 2 + 1, beta, dtype=dtype)
        csum = cumsum(kaiser)
        half = sqrt(csum[:-1] / csum[-1])
        return concat_split_ops.concat([half, half[::-1]], 0)
