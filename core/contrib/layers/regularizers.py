"""``tf.contrib.layers`` regularizers (TF 1.x): functions weights -> scalar penalty.

As TF 1.x's: an integer or negative scale is refused when the regularizer is made (ValueError),
a zero scale gives a regularizer returning None, and ``apply_regularization`` adds its summed
penalty to REGULARIZATION_LOSSES.
"""

from __future__ import annotations

import logging
import numbers

from ...graph import GraphKeys, add_to_collection, convert_to_tensor, get_collection, name_scope
from ...ops import constant_ops, math_ops, nn_ops, reduction_ops, unary_ops

__all__ = ["apply_regularization", "l1_l2_regularizer", "l1_regularizer", "l2_regularizer",
           "sum_regularizer"]

_log = logging.getLogger("minitf")


def _check_scale(scale, end=""):
    """True when ``scale`` disables the regularizer (0.0); raises on int or negative scales."""
    if isinstance(scale, numbers.Integral):
        raise ValueError(f"scale cannot be an integer: {scale}")
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale:g}{end}")
        if scale == 0.0:
            _log.info("Scale of 0 disables regularizer.")
            return True
    return False


def l1_regularizer(scale, scope=None):
    """TF's ``tf.contrib.layers.l1_regularizer``: ``scale * sum(|w|)``."""
    if _check_scale(scale):
        return lambda _: None

    def l1(weights, name=None):
        """Applies L1 regularization to weights."""
        with name_scope(scope, "l1_regularizer", [weights]) as name:
            my_scale = convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            return math_ops.multiply(
                my_scale, reduction_ops.reduce_sum(unary_ops.abs(weights)), name=name)

    return l1


def l2_regularizer(scale, scope=None):
    """TF's ``tf.contrib.layers.l2_regularizer``: ``scale * sum(w ** 2) / 2`` (``l2_loss``)."""
    if _check_scale(scale, end="."):  # TF's l2 message ends with a period, l1's does not
        return lambda _: None

    def l2(weights):
        """Applies L2 regularization to weights."""
        with name_scope(scope, "l2_regularizer", [weights]) as name:
            my_scale = convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            return math_ops.multiply(my_scale, nn_ops.l2_loss(weights), name=name)

    return l2


def l1_l2_regularizer(scale_l1=1.0, scale_l2=1.0, scope=None):
    """TF's ``tf.contrib.layers.l1_l2_regularizer``: the sum of an L1 and an L2 regularizer."""
    if isinstance(scale_l1, numbers.Integral):
        raise ValueError(f"scale_l1 cannot be an integer: {scale_l1}")
    if isinstance(scale_l2, numbers.Integral):
        raise ValueError(f"scale_l2 cannot be an integer: {scale_l2}")
    scope = scope or "l1_l2_regularizer"
    if scale_l1 == 0.0:
        return l2_regularizer(scale_l2, scope)
    if scale_l2 == 0.0:
        return l1_regularizer(scale_l1, scope)
    return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)], scope=scope)


def sum_regularizer(regularizer_list, scope=None):
    """TF's ``tf.contrib.layers.sum_regularizer``: adds the penalties of several regularizers
    (None when the list has none)."""
    regularizer_list = [reg for reg in regularizer_list if reg is not None]
    if not regularizer_list:
        return None

    def sum_reg(weights):
        """Applies the sum of all the input regularizers."""
        with name_scope(scope, "sum_regularizer", [weights]) as name:
            tensors = [t for t in (reg(weights) for reg in regularizer_list) if t is not None]
            return math_ops.add_n(tensors, name=name) if tensors else None

    return sum_reg


def apply_regularization(regularizer, weights_list=None):
    """TF's ``tf.contrib.layers.apply_regularization``: the summed penalty of ``regularizer``
    over ``weights_list`` (default: the WEIGHTS collection), also added to
    REGULARIZATION_LOSSES."""
    if not weights_list:
        weights_list = get_collection(GraphKeys.WEIGHTS)
    if not weights_list:
        raise ValueError("No weights to regularize.")
    with name_scope("get_regularization_penalty", values=weights_list) as scope:
        penalties = [regularizer(w) for w in weights_list]
        penalties = [p if p is not None else constant_ops.constant(0.0) for p in penalties]
        for p in penalties:
            if p.get_shape().ndims != 0:
                raise ValueError("regularizer must return a scalar Tensor instead of a Tensor "
                                 f"with rank {p.get_shape().ndims}.")
        summed = math_ops.add_n(penalties, name=scope)
        add_to_collection(GraphKeys.REGULARIZATION_LOSSES, summed)
        return summed
