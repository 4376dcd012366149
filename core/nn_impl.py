"""The ``tf.nn`` functions TensorFlow composes from ops in Python (its nn_impl.py and friends).
Here: dropout, l2_normalize, moments, batch_normalization, xw_plus_b, relu_layer, gelu, swish
(silu) and crelu. Their kin are split into modules next to this one, each readable in one
sitting, and re-exported here: nn_losses.py (sigmoid and weighted cross-entropy, the candidate
sampler and the sampled losses nce_loss and sampled_softmax_loss), nn_embedding.py
(embedding_lookup) and nn_convolution.py (conv1d, the atrous family with_space_to_batch,
depthwise_conv2d, separable_conv2d, atrous_conv2d, and the generic dispatchers tf.nn.convolution
and tf.nn.pool). ``__all__`` lists the ``tf.nn`` names of all of them (core/nn.py star-imports
it).
"""

from __future__ import annotations

import numbers

from . import dtypes as _dt
from .graph import Tensor, constant_value, convert_to_tensor, name_scope
from .nn_convolution import (atrous_conv2d, conv1d, convolution, depthwise_conv2d, pool,
                             separable_conv2d, with_space_to_batch)
from .nn_embedding import embedding_lookup
from .nn_losses import (log_uniform_candidate_sampler, nce_loss, sampled_softmax_loss,
                        sigmoid_cross_entropy_with_logits, weighted_cross_entropy_with_logits)
from .ops import (array_ops, complex_ops, concat_split_ops, linalg_ops, math_ops, random_ops,
                  reduction_ops, transform_ops, unary_ops)
from .ops.nn_ops import bias_add, relu
from .ops.softmax_ops import _axis_or_dim
from .tensor_shape import TensorShape, as_shape

__all__ = [
    "sigmoid_cross_entropy_with_logits", "weighted_cross_entropy_with_logits", "dropout",
    "l2_normalize", "moments", "batch_normalization", "xw_plus_b", "relu_layer",
    "embedding_lookup", "conv1d", "with_space_to_batch", "depthwise_conv2d", "separable_conv2d",
    "atrous_conv2d", "convolution", "pool", "log_uniform_candidate_sampler", "nce_loss",
    "sampled_softmax_loss", "gelu", "swish", "silu", "crelu",
]


# -- tf.nn: composites ----------------------------------------------------------------------------


def _noise_shape(x: Tensor, noise_shape):
    if noise_shape is None:
        return x.shape.as_list() if x.shape.is_fully_defined() else array_ops.shape(x)
    if isinstance(noise_shape, Tensor):
        return noise_shape
    try:
        ns = as_shape(noise_shape)
    except (TypeError, ValueError):
        return noise_shape  # e.g. [tf.shape(x)[0], 1, d]: packed into a shape tensor, as TF
    if x.shape.rank is not None and ns.rank == x.shape.rank:
        ns = TensorShape([n if n is not None else d
                          for n, d in zip(ns.as_tuple(), x.shape.as_tuple())])
        if not ns.is_fully_defined():  # TF's error, raised where the shape becomes a tensor
            raise ValueError(f"Cannot convert a partially known TensorShape {ns} to a Tensor.")
    return ns.as_list()


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """TF1 dropout: keeps each element with probability ``keep_prob`` (or ``1 - rate``), scaling
    kept ones by ``1 / keep_prob``; ``keep_prob`` may be a tensor (e.g. a placeholder)."""
    if keep_prob is not None and rate is not None:
        raise ValueError("Cannot specify both 'rate' and 'keep_prob'")
    if keep_prob is None and rate is None:
        raise ValueError(f"`rate` must be provided. Received: rate={rate}")
    with name_scope(name, "dropout", [x]):
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_floating:
            raise ValueError("x has to be a floating point tensor since it's going to be scaled. "
                             f"Got a {x.dtype.name} tensor instead.")
        if rate is not None:
            if isinstance(rate, numbers.Real) and not 0 <= rate < 1:
                raise ValueError(f"rate must be a scalar tensor or a float in the range [0, 1), "
                                 f"got {rate:g}")
            keep_prob = 1 - rate if isinstance(rate, numbers.Real) else \
                math_ops.subtract(1.0, convert_to_tensor(rate, dtype=x.dtype, name="rate"))
        if isinstance(keep_prob, numbers.Real) and not 0 < keep_prob <= 1:
            raise ValueError("keep_prob must be a scalar tensor or a float in the range (0, 1], "
                             f"got {keep_prob:g}")
        keep_prob = convert_to_tensor(keep_prob, dtype=x.dtype, name="keep_prob")
        if not keep_prob.shape.is_compatible_with([]):
            raise ValueError(f"keep_prob must be a scalar, got shape {keep_prob.shape}")
        value = constant_value(keep_prob)
        if value is not None and value == 1:
            return x
        # keep_prob + U[0, 1) is in [keep_prob, 1 + keep_prob): its floor is 1 with
        # probability keep_prob, else 0.
        random_tensor = keep_prob + random_ops.random_uniform(
            _noise_shape(x, noise_shape), seed=seed, dtype=x.dtype)
        binary_tensor = unary_ops.floor(random_tensor)
        ret = math_ops.divide(x, keep_prob, name="div") * binary_tensor  # "dropout/mul", as TF1
        ret.set_shape(x.shape)
        return ret


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """``x / sqrt(max(sum(|x| ** 2, axis), epsilon))``. A complex ``x`` is composed as TF's:
    the squared modulus from its real and imaginary parts (``x ** 2`` would be complex), both
    parts scaled by the real inverse norm, then joined by Complex."""
    axis = _axis_or_dim(axis, dim)
    with name_scope(name, "l2_normalize", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        if x.dtype.is_complex:
            re, im = complex_ops.real(x), complex_ops.imag(x)
            square_sum = complex_ops.real(reduction_ops.reduce_sum(
                unary_ops.square(re) + unary_ops.square(im), axis, keepdims=True))
            x_inv_norm = unary_ops.rsqrt(math_ops.maximum(square_sum, epsilon))
            return complex_ops.complex(math_ops.multiply(re, x_inv_norm),
                                       math_ops.multiply(im, x_inv_norm), name=scope)
        square_sum = reduction_ops.reduce_sum(unary_ops.square(x), axis, keepdims=True)
        x_inv_norm = unary_ops.rsqrt(math_ops.maximum(square_sum, epsilon))
        return math_ops.multiply(x, x_inv_norm, name=scope)


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """Mean and variance of ``x`` over ``axes``."""
    keep = bool(reduction_ops._deprecated_lookup("keepdims", keepdims, "keep_dims", keep_dims))
    with name_scope(name, "moments", [x, axes]):
        x = convert_to_tensor(x, name="x")
        y = math_ops.cast(x, _dt.float32) if x.dtype == _dt.float16 else x
        mean = reduction_ops.reduce_mean(y, axes, keepdims=True, name="mean")
        variance = reduction_ops.reduce_mean(
            math_ops.squared_difference(y, array_ops.stop_gradient(mean)), axes,
            keepdims=True, name="variance")
        if not keep:
            mean = transform_ops.squeeze(mean, axes)
            variance = transform_ops.squeeze(variance, axes)
        if x.dtype == _dt.float16:
            return math_ops.cast(mean, _dt.float16), math_ops.cast(variance, _dt.float16)
        return mean, variance


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """``scale * (x - mean) / sqrt(variance + epsilon) + offset`` (offset/scale may be None)."""
    with name_scope(name, "batchnorm", [x, mean, variance, scale, offset]):
        x = convert_to_tensor(x, name="x")
        inv = unary_ops.rsqrt(variance + variance_epsilon)
        if scale is not None:
            inv *= scale
        # x * inv before the shift: TF's op order and names (mul_1 is x * inv, mul_2 mean *
        # inv), which TF's contrib.quantize folding looks up
        scaled = x * math_ops.cast(inv, x.dtype)
        shift = offset - mean * inv if offset is not None else -mean * inv
        return scaled + math_ops.cast(shift, x.dtype)


def xw_plus_b(x, weights, biases, name=None):
    """``matmul(x, weights) + biases``."""
    with name_scope(name, "xw_plus_b", [x, weights, biases]) as scope:
        x = convert_to_tensor(x, name="x")
        weights = convert_to_tensor(weights, name="weights")
        biases = convert_to_tensor(biases, name="biases")
        return bias_add(linalg_ops.matmul(x, weights), biases, name=scope)


def relu_layer(x, weights, biases, name=None):
    """``relu(matmul(x, weights) + biases)``."""
    with name_scope(name, "relu_layer", [x, weights, biases]) as scope:
        x = convert_to_tensor(x, name="x")
        weights = convert_to_tensor(weights, name="weights")
        biases = convert_to_tensor(biases, name="biases")
        return relu(bias_add(linalg_ops.matmul(x, weights), biases), name=scope)


# -- activations TF composes: gelu, swish (silu), crelu ------------------------------------------


def gelu(features, approximate=False, name=None):
    """``tf.nn.gelu`` (TF 2.x's; tf.compat.v1.nn lacks it): ``x * P(X <= x)`` for a standard
    normal X, i.e. ``0.5 x erfc(-x / sqrt(2))``; ``approximate`` uses TF's tanh formula."""
    from .ops.special_ops import erfc

    with name_scope(name, "Gelu", [features]):
        x = convert_to_tensor(features, name="features")
        if not x.dtype.is_floating:
            raise ValueError(f"`features.dtype` must be a floating point tensor.Received:"
                             f"features.dtype={x.dtype!r}")
        if approximate:
            coeff = math_ops.cast(0.044715, x.dtype)
            return 0.5 * x * (1.0 + unary_ops.tanh(
                0.7978845608028654 * (x + coeff * math_ops.pow(x, 3))))
        return 0.5 * x * erfc(-x * math_ops.cast(0.7071067811865476, x.dtype))


def swish(features, beta=1.0):
    """``tf.nn.swish`` / ``tf.nn.silu``: ``x * sigmoid(beta * x)``. TF wraps it in a custom
    gradient (an IdentityN node) only to save memory; the gradient of the plain product has
    the same values."""
    x = convert_to_tensor(features, name="features")
    return x * unary_ops.sigmoid(beta * x)


silu = swish


def crelu(features, name=None, axis=-1):
    """``tf.nn.crelu``: relu of ``[x, -x]`` concatenated along ``axis``."""
    with name_scope(name, "CRelu", [features]) as scope:
        x = convert_to_tensor(features, name="features")
        c = concat_split_ops.concat([x, unary_ops.negative(x)], axis, name=scope)
        return relu(c)
