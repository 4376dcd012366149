"""TF1 math functions TensorFlow writes in Python, built here from minitf's ops as TF builds them
(no op of their own): ``tf.math.reciprocal_no_nan``, ``lbeta``, ``polyval``, ``erfcinv``,
``accumulate_n``, ``is_non_decreasing`` / ``is_strictly_increasing``,
``unsorted_segment_sqrt_n``, ``tf.floor_div``; and ``tf.nn``'s ``zero_fraction``,
``sufficient_statistics``, ``normalize_moments``, ``weighted_moments`` and ``log_poisson_loss``.
Values, dtypes, static shapes and gradients are TF's; some inner node names differ."""

from __future__ import annotations

import math

import numpy as np

from . import dtypes as _dt
from .graph import Tensor, convert_to_tensor, name_scope
from .ops import (array_ops, concat_split_ops, gather_ops, logic_ops, math_ops, reduction_ops,
                  transform_ops, unary_ops)
from .ops.math_extra_ops import ndtri
from .ops.special_ops import lgamma
from .tensor_shape import TensorShape, as_shape

__all__ = ["accumulate_n", "floor_div", "is_non_decreasing", "is_strictly_increasing", "lbeta",
           "unsorted_segment_sqrt_n"]

_NUMERIC = ("float16", "float32", "float64", "bfloat16", "int8", "int16", "int32", "int64",
            "uint8", "uint16", "uint32", "uint64", "complex64", "complex128")


def floor_div(x, y, name=None):
    """``tf.floor_div``: the FloorDiv op itself (``tf.floordiv`` names its node "floordiv")."""
    return math_ops.FLOOR_DIV(x, y, name=name or "FloorDiv")


def reciprocal_no_nan(x, name=None):
    """``1 / x``, or 0 where ``x`` is 0 (DivNoNan of a constant one)."""
    with name_scope(name, "reciprocal_no_nan", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        one = array_ops.constant(1, dtype=x.dtype, name="one")
        return math_ops.DIV_NO_NAN(one, x, name=scope)


def erfcinv(x, name=None):
    """The inverse of erfc on [0, 2]: ``-ndtri(x / 2) / sqrt(2)``."""
    with name_scope(name, "erfcinv", [x]):
        x = convert_to_tensor(x, name="start")
        return -ndtri(0.5 * x) * np.sqrt(0.5)


def lbeta(x, name=None):
    """log|Beta(x)| over the last axis: ``sum(lgamma(x)) - lgamma(sum(x))``."""
    with name_scope(name, "lbeta", [x]):
        x = convert_to_tensor(x, name="x")
        log_prod_gamma_x = reduction_ops.reduce_sum(lgamma(x), axis=[-1])
        log_gamma_sum_x = lgamma(reduction_ops.reduce_sum(x, axis=[-1]))
        return log_prod_gamma_x - log_gamma_sum_x


def polyval(coeffs, x, name=None):
    """``coeffs[0] * x**(n-1) + ... + coeffs[n-1]`` by Horner's rule; 0 for no coefficients."""
    if not isinstance(coeffs, list):
        raise ValueError(f"Argument coeffs must be list type. Received type {type(coeffs)}.")
    with name_scope(name, "polyval", list(coeffs) + [x]) as scope:
        x = convert_to_tensor(x, name="x")
        if not coeffs:
            return array_ops.zeros_like(x, name=scope)
        coeffs = [convert_to_tensor(c, name=f"coeff_{i}") for i, c in enumerate(coeffs)]
        p = coeffs[0]
        for c in coeffs[1:]:
            p = c + p * x
        return p


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """The sum of a list of tensors of one dtype and shape (an AddN, as TF 2's compat.v1 builds
    it; TF 1.x's temporary-variable form computes the same values)."""
    def input_error():
        return ValueError("inputs must be a list of at least one Tensor with the same dtype and "
                          "shape")

    if not inputs or not isinstance(inputs, (list, tuple)):
        raise input_error()
    if any(not isinstance(x, Tensor) and hasattr(x, "indices") for x in inputs):
        raise input_error()  # IndexedSlices are refused, as TF
    inputs = [convert_to_tensor(x) for x in inputs]
    if not all(x.dtype == inputs[0].dtype for x in inputs):
        raise input_error()
    merged = as_shape(shape) if shape is not None else TensorShape(None)
    for x in inputs:
        merged = merged.merge_with(x.shape)
    if tensor_dtype is not None and _dt.as_dtype(tensor_dtype) != inputs[0].dtype:
        raise TypeError(f"The `tensor_dtype` argument is {_dt.as_dtype(tensor_dtype).name}, but "
                        f"`input` is of type {inputs[0].dtype.name}. These must be equal. Try "
                        "casting the input to the desired type.")
    if len(inputs) == 1:
        return inputs[0] if name is None else array_ops.identity(inputs[0], name=name)
    return math_ops.add_n(inputs, name=name)


def _monotonic(x, compare, name, default):
    with name_scope(name, default, [x]):
        x = array_ops.reshape(convert_to_tensor(x, name="x"), [-1])
        if x.dtype.name not in _NUMERIC:
            raise TypeError(f"Expected x to be numeric, instead found: {x}")
        # Fewer than two elements compare nothing: both slices are empty and All is True.
        # (TF chooses that case with a tf.cond; the values are the same.)
        return reduction_ops.reduce_all(compare(x[1:], x[:-1]))


def is_non_decreasing(x, name=None):
    """True when each element of flattened ``x`` is >= the one before it."""
    return _monotonic(x, logic_ops.greater_equal, name, "is_non_decreasing")


def is_strictly_increasing(x, name=None):
    """True when each element of flattened ``x`` is > the one before it."""
    return _monotonic(x, logic_ops.greater, name, "is_strictly_increasing")


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """Segment sums divided by sqrt(the segment sizes); 0 for an empty segment."""
    with name_scope(name, "UnsortedSegmentSqrtN"):
        data = convert_to_tensor(data)
        ids = convert_to_tensor(segment_ids)
        num = convert_to_tensor(num_segments)
        ones = array_ops.ones(array_ops.shape(ids), dtype=data.dtype)
        n = gather_ops.unsorted_segment_sum(ones, ids, num)
        extra = None if data.shape.rank is None or ids.shape.rank is None else \
            data.shape.rank - ids.shape.rank
        if extra is None:  # one count per segment, broadcast over the rest of each row
            tail = array_ops.ones(array_ops.reshape(array_ops.rank(data) - array_ops.rank(ids),
                                                    [1]), dtype=num.dtype)
            n = array_ops.reshape(n, concat_split_ops.concat(
                [array_ops.reshape(num, [1]), tail], 0))
        elif extra:
            n = array_ops.reshape(n, [-1] + [1] * extra)
        n = math_ops.maximum(n, 1)
        summed = gather_ops.unsorted_segment_sum(data, ids, num)
        return summed / unary_ops.sqrt(n)


# -- tf.nn -----------------------------------------------------------------------------------------


def zero_fraction(value, name=None):
    """The fraction of zeros in ``value``, as a float32 scalar."""
    with name_scope(name, "zero_fraction", [value]):
        value = convert_to_tensor(value, name="value")
        size = array_ops.size(value, out_type=_dt.int64)
        # TF counts in int32 under a tf.cond when the size allows; the count is the same.
        with name_scope("count_nonzero"):
            zero = array_ops.zeros([], dtype=value.dtype)
            num_nonzero = reduction_ops.reduce_sum(
                math_ops.cast(logic_ops.not_equal(value, zero), _dt.int64),
                name="nonzero_count")
        with name_scope("counts_to_fraction"):
            num_zero = math_ops.cast(size - num_nonzero, _dt.float32)
            fraction = num_zero / math_ops.cast(size, _dt.float32)
        return array_ops.identity(fraction, "fraction")


def sufficient_statistics(x, axes, shift=None, keep_dims=None, name=None, keepdims=None):
    """(count, sum of x - shift, sum of (x - shift)**2, shift) over ``axes``: the sufficient
    statistics of the mean and variance (``normalize_moments`` turns them into those)."""
    axes = sorted(set(axes))
    keep = reduction_ops._deprecated_lookup("keepdims", keepdims, "keep_dims", keep_dims)
    keep = bool(keep)
    with name_scope(name, "sufficient_statistics", [x, shift]):
        x = convert_to_tensor(x, name="x")
        dims = x.shape.as_tuple()
        if dims is not None and all(dims[d] is not None for d in axes):
            counts = array_ops.constant(math.prod(dims[d] for d in axes), dtype=x.dtype)
        else:  # known only at run time
            rank = array_ops.rank(x)
            positive = math_ops.floormod(array_ops.constant(axes, dtype=_dt.int32), rank)
            x_dims = gather_ops.gather(math_ops.cast(array_ops.shape(x), x.dtype), positive)
            counts = reduction_ops.reduce_prod(x_dims, name="count")
        if shift is not None:
            shift = convert_to_tensor(shift, name="shift")
            m_ss = math_ops.subtract(x, shift)
            v_ss = math_ops.squared_difference(x, shift)
        else:
            m_ss, v_ss = x, unary_ops.square(x)
        m_ss = reduction_ops.reduce_sum(m_ss, axes, keepdims=keep, name="mean_ss")
        v_ss = reduction_ops.reduce_sum(v_ss, axes, keepdims=keep, name="var_ss")
    return counts, m_ss, v_ss, shift


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """(mean, variance) from ``sufficient_statistics``' sums."""
    with name_scope(name, "normalize", [counts, mean_ss, variance_ss, shift]):
        divisor = unary_ops.reciprocal(counts, name="divisor")
        if shift is not None:
            shifted_mean = math_ops.multiply(mean_ss, divisor, name="shifted_mean")
            mean = math_ops.add(shifted_mean, shift, name="mean")
        else:
            shifted_mean = math_ops.multiply(mean_ss, divisor, name="mean")
            mean = shifted_mean
        variance = math_ops.subtract(math_ops.multiply(variance_ss, divisor),
                                     unary_ops.square(shifted_mean), name="variance")
    return mean, variance


def weighted_moments(x, axes, frequency_weights, name=None, keep_dims=None, keepdims=None):
    """Mean and variance of ``x`` over ``axes`` with each element counted ``frequency_weights``
    (broadcast against x) times; 0 where the weights sum to 0."""
    keep = bool(reduction_ops._deprecated_lookup("keepdims", keepdims, "keep_dims", keep_dims))
    with name_scope(name, "weighted_moments", [x, frequency_weights, axes]):
        x = convert_to_tensor(x, name="x")
        w = convert_to_tensor(frequency_weights, name="frequency_weights")
        half = x.dtype == _dt.float16  # summed in float32 for precision, as TF
        if half:
            x = math_ops.cast(x, _dt.float32)
        if w.dtype != x.dtype:
            w = math_ops.cast(w, x.dtype)
        # keepdims throughout, so the mean broadcasts against x.
        weighted_input_sum = reduction_ops.reduce_sum(w * x, axes, name="weighted_input_sum",
                                                      keepdims=True)
        broadcast_w = w + array_ops.zeros_like(x)  # one weight per element of x
        sum_of_weights = reduction_ops.reduce_sum(broadcast_w, axes, name="sum_of_weights",
                                                  keepdims=True)
        mean = math_ops.div_no_nan(weighted_input_sum, sum_of_weights)
        distsq = reduction_ops.reduce_sum(w * math_ops.squared_difference(x, mean), axes,
                                          name="weighted_distsq", keepdims=True)
        variance = math_ops.div_no_nan(distsq, sum_of_weights)
        if not keep:
            mean = transform_ops.squeeze(mean, axis=axes)
            variance = transform_ops.squeeze(variance, axis=axes)
        if half:
            mean = math_ops.cast(mean, _dt.float16)
            variance = math_ops.cast(variance, _dt.float16)
        return mean, variance


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """Poisson negative log-likelihood ``exp(c) - c * z`` for log-rates ``c``; with
    ``compute_full_loss`` Stirling's approximation of ``log(z!)`` is added where z > 1."""
    with name_scope(name, "log_poisson_loss", [log_input, targets]):
        log_input = convert_to_tensor(log_input, name="log_input")
        targets = convert_to_tensor(targets, name="targets")
        if not targets.shape.is_compatible_with(log_input.shape):
            raise ValueError("`log_input` and `targets` must have the same shape, received "
                             f"({log_input.shape} vs {targets.shape}).")
        result = unary_ops.exp(log_input) - log_input * targets
        if compute_full_loss:
            point_five = array_ops.constant(0.5, dtype=targets.dtype)
            two_pi = array_ops.constant(2 * math.pi, dtype=targets.dtype)
            stirling = targets * unary_ops.log(targets) - targets + \
                point_five * unary_ops.log(two_pi * targets)
            zeros = array_ops.zeros_like(targets, dtype=targets.dtype)
            ones = array_ops.ones_like(targets, dtype=targets.dtype)
            in_01 = logic_ops.logical_and(targets >= zeros, targets <= ones)
            result += logic_ops.where(in_01, zeros, stirling)
        return result
