"""The ``tf.nn`` functions TensorFlow composes from ops in Python (its nn_impl.py and friends):
sigmoid and weighted cross-entropy, dropout, l2_normalize, moments, batch_normalization,
xw_plus_b, relu_layer, embedding_lookup, gelu, swish and crelu; conv1d and the atrous family
(with_space_to_batch, depthwise_conv2d, separable_conv2d, atrous_conv2d) and the generic
dispatchers tf.nn.convolution and tf.nn.pool. ``__all__`` lists the
``tf.nn`` names (core/nn.py star-imports it).
"""

from __future__ import annotations

import numbers

import numpy as np

from . import dtypes as _dt
from .graph import Tensor, constant_value, convert_to_tensor, name_scope
from . import nn_conv3d
from .ops import (array_ops, concat_split_ops, conv3d_ops, conv_ops, depthwise_conv_ops,
                  gather_ops, linalg_ops, logic_ops, math_ops, pool_ops, random_ops,
                  reduction_ops, transform_ops, unary_ops)
from .ops._conv_util import _alias, _convert_padding
from .ops.array_ops import constant as constant_op
from .ops.nn_ops import bias_add, relu, softplus
from .ops.softmax_ops import _axis_or_dim, _ensure_xent_args
from .partitioned_variables import PartitionedVariable
from .tensor_shape import TensorShape, as_shape

__all__ = [
    "sigmoid_cross_entropy_with_logits", "weighted_cross_entropy_with_logits", "dropout",
    "l2_normalize", "moments", "batch_normalization", "xw_plus_b", "relu_layer",
    "embedding_lookup", "conv1d", "with_space_to_batch", "depthwise_conv2d", "separable_conv2d",
    "atrous_conv2d", "convolution", "pool", "log_uniform_candidate_sampler", "nce_loss",
    "sampled_softmax_loss", "gelu", "swish", "silu", "crelu",
]


# -- cross-entropy with logistic outputs -----------------------------------------------------------


def _same_shape_or_raise(logits, labels):
    if not labels.shape.is_compatible_with(logits.shape):
        raise ValueError(f"logits and labels must have the same shape ({logits.shape} vs "
                         f"{labels.shape})")


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """Elementwise logistic loss ``max(x, 0) - x * z + log(1 + exp(-|x|))`` (TF's stable form,
    whose gradient is also right at x = 0)."""
    _ensure_xent_args("sigmoid_cross_entropy_with_logits", _sentinel, labels, logits)
    with name_scope(name, "logistic_loss", [logits, labels]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        _same_shape_or_raise(logits, labels)
        zeros = array_ops.zeros_like(logits)
        cond = logic_ops.greater_equal(logits, zeros)
        relu_logits = logic_ops.where(cond, logits, zeros)
        neg_abs_logits = logic_ops.where(cond, -logits, logits)
        # softplus(-|x|) = log1p(exp(-|x|)), computed by one stable kernel.
        return math_ops.add(relu_logits - logits * labels, softplus(neg_abs_logits), name=scope)


def weighted_cross_entropy_with_logits(labels=None, logits=None, pos_weight=None, name=None,
                                       targets=None):
    """Logistic loss with positives weighted by ``pos_weight``:
    ``(1 - z) * x + (1 + (q - 1) * z) * log(1 + exp(-x))``."""
    if labels is None:
        labels = targets
    elif targets is not None:
        raise ValueError("Cannot specify both 'labels' and 'targets'")
    with name_scope(name, "logistic_loss", [logits, labels]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        _same_shape_or_raise(logits, labels)
        log_weight = 1 + (pos_weight - 1) * labels
        # TF's log1p(exp(-|x|)) + relu(-x) (softplus(-x), spelt so that the gradient at
        # x = 0 is TF's: abs and relu contribute 0 there, so zero-initialised models train
        # as in TF).
        stable = softplus(-math_ops.abs(logits)) + relu(-logits)
        return math_ops.add((1 - labels) * logits, log_weight * stable, name=scope)


# -- tf.nn: composites ----------------------------------------------------------------------------


def _noise_shape(x: Tensor, noise_shape):
    if noise_shape is None:
        return x.shape.as_list() if x.shape.is_fully_defined() else array_ops.shape(x)
    if isinstance(noise_shape, Tensor):
        return noise_shape
    ns = as_shape(noise_shape)
    if x.shape.rank is not None and ns.rank == x.shape.rank:
        ns = TensorShape([n if n is not None else d
                          for n, d in zip(ns.as_tuple(), x.shape.as_tuple())])
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
    """``x / sqrt(max(sum(x ** 2, axis), epsilon))``."""
    axis = _axis_or_dim(axis, dim)
    with name_scope(name, "l2_normalize", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        square_sum = reduction_ops.reduce_sum(unary_ops.square(x), axis, keepdims=True)
        x_inv_norm = unary_ops.rsqrt(math_ops.maximum(square_sum, epsilon))
        return math_ops.multiply(x, x_inv_norm, name=scope)


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """Mean and variance of ``x`` over ``axes``."""
    keep = keepdims if keepdims is not None else bool(keep_dims)
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
        shift = offset - mean * inv if offset is not None else -mean * inv
        return x * math_ops.cast(inv, x.dtype) + math_ops.cast(shift, x.dtype)


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


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True,
                     max_norm=None):
    """Rows of ``params`` (one tensor, or a list of shards split by ``partition_strategy``; a
    PartitionedVariable is the list of its parts, as in TF)."""
    if isinstance(params, (list, tuple, PartitionedVariable)):
        params = list(params)
    else:
        params = [params]
    if not params:
        raise ValueError("Need at least one param")
    if partition_strategy not in ("mod", "div"):
        raise ValueError(f"Unrecognized partition strategy: {partition_strategy}")
    with name_scope(name, "embedding_lookup", params + [ids]) as scope:
        params = [convert_to_tensor(p, name="params") for p in params]
        ids = convert_to_tensor(ids, name="ids")
        if len(params) == 1:
            table, index = params[0], ids
        else:
            table, index = _sharded_table(params, ids, partition_strategy)
        result = gather_ops.gather(table, index, name=scope)
        if max_norm is not None:
            result = _clip_rows(result, ids, max_norm)
        return array_ops.identity(result)


def _sharded_table(shards, ids, strategy):
    """One table (the shards concatenated) and the row of each id in it, placed as TF places
    them: 'mod' puts id i in shard i % n at row i // n; 'div' gives each shard a contiguous
    range, the first (total % n) shards one id more. A row past its shard's end is refused as
    TF's per-shard gather refuses it (the concatenation would read the next shard)."""
    n = len(shards)
    sizes = [p.shape[0].value if p.shape.rank else None for p in shards]
    dtype = ids.dtype
    if None in sizes:  # known at run time only
        sizes_t = math_ops.cast(concat_split_ops.stack(
            [array_ops.shape(p)[0] for p in shards]), dtype)
    else:
        sizes_t = array_ops.constant(np.array(sizes, dtype.as_numpy_dtype))
    table = concat_split_ops.concat(shards, 0)
    if strategy == "mod":
        shard, row = math_ops.floormod(ids, n), math_ops.floordiv(ids, n)
    else:
        total = reduction_ops.reduce_sum(sizes_t)
        per, extras = math_ops.floordiv(total, n), math_ops.floormod(total, n)
        shard = math_ops.maximum(math_ops.floordiv(ids, per + 1),
                                 math_ops.floordiv(ids - extras, per))
        row = logic_ops.where_v2(shard < extras, math_ops.floormod(ids, per + 1),
                                 math_ops.floormod(ids - extras, per))
    offsets = reduction_ops.cumsum(sizes_t, exclusive=True)
    inside = logic_ops.logical_and(row < gather_ops.gather(sizes_t, shard), ids >= 0)
    # -1 is out of the table's range: the gather fails, naming the position.
    index = logic_ops.where_v2(inside, gather_ops.gather(offsets, shard) + row,
                               array_ops.fill(array_ops.shape(ids),
                                              np.array(-1, dtype.as_numpy_dtype)))
    return table, index


def _clip_rows(result, ids, max_norm):
    """Each embedding rescaled to L2 norm at most ``max_norm`` (TF's clip_by_norm per row)."""
    ids_rank, rank = ids.shape.rank, result.shape.rank
    if ids_rank is None or rank is None:  # the embedding's own axes, at run time
        axes = array_ops.range_(array_ops.rank(ids), array_ops.rank(result))
    else:
        axes = list(range(ids_rank, rank))
    norm = unary_ops.sqrt(reduction_ops.reduce_sum(unary_ops.square(result), axes, keepdims=True))
    max_norm = convert_to_tensor(max_norm, dtype=result.dtype)
    return result * max_norm / math_ops.maximum(norm, max_norm)


def conv1d(value=None, filters=None, stride=None, padding=None, use_cudnn_on_gpu=None,
           data_format=None, name=None, input=None, dilations=None):  # noqa: A002
    """A 1-D convolution as TF1 computes it: the input gets a height of 1 (``[N, 1, W, C]``),
    the filters a kernel height of 1, then Conv2D (the node named after the scope, as TF's),
    then the height is squeezed out ("<scope>/Squeeze")."""
    value = input if value is None else value
    if data_format not in (None, "NWC", "NCW", "NHWC", "NCHW"):
        raise ValueError(f"data_format must be 'NWC' or 'NCW', got {data_format!r}")
    channels_last = data_format in (None, "NWC", "NHWC")
    with name_scope(name, "conv1d", [value, filters]) as scope:
        value = convert_to_tensor(value, name="input")
        filters = convert_to_tensor(filters, name="filters")
        spatial = 1 if channels_last else 2  # where the height of 1 goes
        stride = stride[0] if isinstance(stride, (list, tuple)) and len(stride) == 1 else \
            stride if not isinstance(stride, (list, tuple)) else stride[spatial]
        rate = 1 if dilations is None else (
            dilations if isinstance(dilations, int) else dilations[-1 if len(dilations) == 1
                                                                   else spatial])
        x = transform_ops.expand_dims(value, spatial)
        kernel = transform_ops.expand_dims(filters, 0)
        strides = [1, 1, stride, 1] if channels_last else [1, 1, 1, stride]
        rates = [1, 1, rate, 1] if channels_last else [1, 1, 1, rate]
        out = conv_ops.conv2d(x, kernel, strides=strides, padding=padding,
                              data_format="NHWC" if channels_last else "NCHW", dilations=rates,
                              name=scope)
        return transform_ops.squeeze(out, [spatial])


# -- atrous, depthwise and separable convolution ------------------------------------------------


def _required_space_to_batch_paddings(input_shape, block, base_paddings):
    """TensorFlow's required_space_to_batch_paddings, per block dimension on Python ints or
    scalar tensors alike: pad the end so each padded size divides by its block; the crops undo
    that extra padding."""
    paddings, crops = [], []
    for size, b, (start, end) in zip(input_shape, block, base_paddings):
        extra = (b - (size + start + end) % b) % b
        paddings.append([start, end + extra])
        crops.append([0, extra])
    return paddings, crops


def _block_tensor(rows, name):
    """A constant when every entry is a Python int, else a packed tensor."""
    flat = [v for row in rows for v in (row if isinstance(row, list) else [row])]
    if not any(isinstance(v, Tensor) for v in flat):
        return constant_op(np.array(rows, np.int32), name=name)
    return convert_to_tensor(rows, name=name)


def with_space_to_batch(input, dilation_rate, padding, op, filter_shape=None,  # noqa: A002
                        spatial_dims=None, data_format=None):
    """``tf.nn.with_space_to_batch``: ``op`` on the space-to-batch form of ``input``, which turns
    a window op into its atrous (dilated) form, as TensorFlow builds it: SpaceToBatchND, then
    ``op(converted, num_spatial_dims, "VALID")``, then BatchToSpaceND; just
    ``op(input, num_spatial_dims, padding)`` when every rate is 1. ``dilation_rate`` must be
    known at graph construction."""
    input = convert_to_tensor(input, name="input")  # noqa: A001
    rate = constant_value(dilation_rate) if isinstance(dilation_rate, Tensor) else dilation_rate
    if rate is None:
        raise ValueError("with_space_to_batch: minitf needs `dilation_rate` known at graph "
                         "construction")
    rate = np.asarray(rate, np.int64)
    if rate.ndim != 1:
        raise ValueError(f"`dilation_rate.shape.rank` must be 1. Received: "
                         f"dilation_rate={rate.tolist()} of rank {rate.ndim}")
    num = len(rate)
    start = 2 if data_format is not None and data_format.startswith("NC") else 1
    dims = list(range(start, start + num)) if spatial_dims is None else \
        [int(d) for d in spatial_dims]
    if dims != sorted(set(dims)) or any(d < 1 for d in dims):
        raise ValueError("`spatial_dims` must be a monotonically increasing sequence of "
                         f"positive integers. Received: spatial_dims={dims}")
    rank = input.shape.rank
    need = dims[-1] + (0 if start == 2 else 1) if dims else 0
    if rank is not None and rank < need:
        raise ValueError(f"`input.shape.rank` must be at least {need}. Received: "
                         f"input.shape={input.shape} with rank {rank}")
    if (rate < 1).any():
        raise ValueError(f"`dilation_rate` must be positive. Received: dilation_rate={rate}")
    if (rate == 1).all():
        return op(input, num, padding)
    padding, explicit = _convert_padding(padding)
    if padding == "SAME":
        if filter_shape is None:
            raise ValueError("`filter_shape` must be specified for `padding='SAME'`. "
                             f"Received: filter_shape={filter_shape} and padding={padding}")
        sizes = filter_shape
        if isinstance(filter_shape, Tensor):
            value = constant_value(filter_shape)
            sizes = value if value is not None else [filter_shape[i] for i in range(num)]
        base = []
        for i in range(num):
            total = (sizes[i] - 1) * int(rate[i])
            base.append([total // 2, total - total // 2])
    elif padding == "VALID":
        base = [[0, 0]] * num
    elif padding == "EXPLICIT":
        pairs = np.array(explicit).reshape(-1, 2).tolist()
        base = pairs[2:] if start == 2 else pairs[1:-1]
    else:
        raise ValueError(f"`padding` must be one of 'SAME' or 'VALID'. Received: "
                         f"padding={padding}")
    static = input.shape.as_list() if rank is not None else None
    shape = None
    spatial = []
    for d in dims:
        if static is not None and static[d] is not None:
            spatial.append(static[d])
        else:
            shape = array_ops.shape(input) if shape is None else shape
            spatial.append(shape[d])
    paddings, crops = _required_space_to_batch_paddings(spatial, rate.tolist(), base)
    # Block dims 1..max(spatial_dims): the ones that are not spatial get block 1, no padding.
    block = [1] * dims[-1]
    full_pads = [[0, 0] for _ in block]
    full_crops = [[0, 0] for _ in block]
    for i, d in enumerate(dims):
        block[d - 1], full_pads[d - 1], full_crops[d - 1] = int(rate[i]), paddings[i], crops[i]
    converted = depthwise_conv_ops.space_to_batch_nd(input, _block_tensor(block, "block_shape"),
                                                     _block_tensor(full_pads, "paddings"))
    result = op(converted, num, "VALID")
    return depthwise_conv_ops.batch_to_space_nd(result, _block_tensor(block, "block_shape"),
                                                _block_tensor(full_crops, "crops"))


def _rate_pair(rate):
    return [1, 1] if rate is None else [int(r) for r in np.broadcast_to(rate, (2,))]


def _check_rate_strides(rate, strides):
    strides = [strides] * 4 if isinstance(strides, int) else list(strides)
    if any(r > 1 for r in rate) and any(s > 1 for s in strides):
        raise ValueError(f"When dilation rate is greater than 1, then all values of strides "
                         f"must be 1. Received: `dilation rate` {rate} and `strides` {strides}")


def _filter_shape(f):
    """A filter's shape as ints when static (no Shape node to fold), else a Shape tensor."""
    return f.shape.as_list() if f.shape.is_fully_defined() else array_ops.shape(f)


def depthwise_conv2d(input, filter, strides, padding, rate=None, name=None,  # noqa: A002
                     data_format=None, dilations=None):
    """``tf.nn.depthwise_conv2d`` (TF1): a DepthwiseConv2dNative node named "depthwise" (with
    ``rate`` > 1 between SpaceToBatchND and BatchToSpaceND, as TensorFlow builds it)."""
    rate = _rate_pair(_alias("dilations", dilations, "rate", rate))
    _check_rate_strides(rate, strides)
    with name_scope(name, "depthwise", [input, filter]) as scope:
        input = convert_to_tensor(input, name="tensor_in")  # noqa: A001
        filter = convert_to_tensor(filter, name="filter_in")  # noqa: A001

        def op(converted, _, padding):
            return depthwise_conv_ops.depthwise_conv2d_native(
                converted, filter, strides, padding, data_format=data_format, name=scope)

        return with_space_to_batch(input, rate, padding, op, data_format=data_format,
                                   filter_shape=_filter_shape(filter))


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding,  # noqa: A002
                     rate=None, name=None, data_format=None, dilations=None):
    """``tf.nn.separable_conv2d`` (TF1): a depthwise convolution ("<scope>/depthwise") then a
    1x1 Conv2D mixing its channels (named after the scope), as TensorFlow composes it."""
    rate = _rate_pair(_alias("dilations", dilations, "rate", rate))
    _check_rate_strides(rate, strides)
    with name_scope(name, "separable_conv2d",
                    [input, depthwise_filter, pointwise_filter]) as scope:
        input = convert_to_tensor(input, name="tensor_in")  # noqa: A001
        depthwise_filter = convert_to_tensor(depthwise_filter, name="depthwise_filter")
        pointwise_filter = convert_to_tensor(pointwise_filter, name="pointwise_filter")
        pshape = pointwise_filter.shape
        if pshape.rank is not None and pshape.rank != 4:
            raise ValueError(f"Shape {pshape} must have rank 4")
        for d in (pshape.as_tuple() or (None, None))[:2]:
            if d is not None and d != 1:
                raise ValueError(f"Dimensions {d} and 1 are not compatible")

        def op(converted, _, padding):
            return depthwise_conv_ops.depthwise_conv2d_native(
                converted, depthwise_filter, strides, padding, data_format=data_format,
                name="depthwise")

        depthwise = with_space_to_batch(input, rate, padding, op, data_format=data_format,
                                        filter_shape=_filter_shape(depthwise_filter))
        return conv_ops.conv2d(depthwise, pointwise_filter, [1, 1, 1, 1], padding="VALID",
                      data_format=data_format, name=scope)


def atrous_conv2d(value, filters, rate, padding, name=None):
    """``tf.nn.atrous_conv2d``: a Conv2D named "convolution", dilated by ``rate`` the way
    TensorFlow's tf.nn.convolution does it (between SpaceToBatchND and BatchToSpaceND)."""
    rate = np.broadcast_to(rate, (2,))
    if (rate < 1).any():
        raise ValueError(f"all values of `dilation_rate` must be positive. Received: "
                         f"dilation_rate={rate}")
    with name_scope(name, "convolution", [value, filters]) as scope:
        value = convert_to_tensor(value, name="input")
        filters = convert_to_tensor(filters, name="filters")

        def op(converted, _, padding):
            return conv_ops.conv2d(converted, filters, [1, 1, 1, 1], padding, name=scope)

        return with_space_to_batch(value, rate, padding, op,
                                   filter_shape=_filter_shape(filters))



# -- the generic dispatchers: tf.nn.convolution and tf.nn.pool ------------------------------------


def _spatial_sequence(value, num, channel_index, name):
    """TensorFlow's _get_sequence for ``num`` spatial dims: None, an int, ``num`` or ``num + 2``
    values -> ``num + 2`` values (1 on the batch and channel axes)."""
    value = [1] if value is None else (
        list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value])
    if len(value) == num + 2:
        return [int(v) for v in value]
    if len(value) == 1:
        value = value * num
    elif len(value) != num:
        raise ValueError(f"{name} should be of length 1, {num} or {num + 2}. Received: "
                         f"{name}={value} of length {len(value)}")
    value = [int(v) for v in value]
    return [1, 1] + value if channel_index == 1 else [1] + value + [1]


def _no_strided_dilation(strides, rates):
    if any(s > 1 for s in strides) and any(r > 1 for r in rates):
        raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                         f"Received: strides={list(strides)} and dilation_rate={list(rates)}")


def convolution(input, filter=None, padding=None, strides=None,  # noqa: A002
                dilation_rate=None, name=None, data_format=None, filters=None, dilations=None):
    """``tf.nn.convolution`` (TF1): conv1d, a Conv2D or a Conv3D (by the filter's rank) named
    "convolution", run between SpaceToBatchND and BatchToSpaceND when dilated, as TensorFlow
    builds it. One batch dimension."""
    filter = _alias("filters", filters, "filter", filter)  # noqa: A001
    rate = _alias("dilations", dilations, "dilation_rate", dilation_rate)
    with name_scope(name, "convolution", [input, filter]) as scope:
        input = convert_to_tensor(input, name="input")  # noqa: A001
        filter = convert_to_tensor(filter, name="filters")  # noqa: A001
        ranks = (filter.shape.rank, input.shape.rank)
        if not any(ranks):
            raise ValueError("When `num_spatial_dims` is not set, one of `input.shape.rank` or "
                             f"`filters.shape.rank` must be known. Received: input.shape="
                             f"{input.shape} and filters.shape={filter.shape}")
        if all(ranks) and ranks[0] != ranks[1]:
            raise ValueError(f"convolution: an input of rank {ranks[1]} for a filter of rank "
                             f"{ranks[0]} (minitf takes one batch dimension)")
        num = (ranks[0] or ranks[1]) - 2
        if num not in (1, 2, 3):
            raise ValueError(f"`num_spatial_dims` must be 1, 2, or 3. Received: "
                             f"num_spatial_dims={num}.")
        channel_index = 1 if (data_format or "N").startswith("NC") else num + 1
        rates = _spatial_sequence(rate, num, channel_index, "dilations")
        strides = _spatial_sequence(strides, num, channel_index, "strides")
        if all(r == 1 for r in rates):
            if num == 1:
                return conv1d(input, filter, strides, padding, data_format=data_format,
                              dilations=rates, name=scope)
            if num == 3:
                return conv3d_ops.CONV3D(input, filter, strides=strides, padding=padding,
                                         data_format=data_format or "NDHWC", dilations=rates,
                                         name=scope)
            return conv_ops.conv2d(input, filter, strides, padding, data_format=data_format,
                                   dilations=rates, name=scope)
        inner = slice(2, None) if channel_index == 1 else slice(1, -1)
        _no_strided_dilation(strides[inner], rates[inner])

        def op(converted, _, pad):
            if num == 1:
                return conv1d(converted, filter, strides, pad, data_format=data_format,
                              name=scope)
            if num == 3:
                return conv3d_ops.CONV3D(converted, filter, strides=strides, padding=pad,
                                         data_format=data_format or "NDHWC", name=scope)
            return conv_ops.conv2d(converted, filter, strides, pad, data_format=data_format,
                                   name=scope)

        return with_space_to_batch(input, rates[inner], padding, op,
                                   filter_shape=_filter_shape(filter), data_format=data_format)


def pool(input, window_shape, pooling_type, padding, dilation_rate=None,  # noqa: A002
         strides=None, name=None, data_format=None, dilations=None):
    """``tf.nn.pool`` (TF1): 1-D, 2-D or 3-D "MAX" or "AVG" pooling, a MaxPool/AvgPool (or
    MaxPool3D/AvgPool3D) named "max_pool"/"avg_pool" (1-D over a dummy height), dilated between
    SpaceToBatchND and BatchToSpaceND, as TensorFlow builds it."""
    rate = _alias("dilations", dilations, "dilation_rate", dilation_rate)
    with name_scope(name, f"{pooling_type.lower()}_pool", [input]) as scope:
        input = convert_to_tensor(input, name="input")  # noqa: A001
        num = len(window_shape)
        if not 1 <= num <= 3:
            raise ValueError(f"`len(window_shape)` must be 1, 2, or 3. Received: "
                             f"window_shape={window_shape} of length {num}")
        if input.shape.rank is not None and input.shape.rank != num + 2:
            raise ValueError(f"Shape {input.shape} must have rank {num + 2}")
        rate = [1] * num if rate is None else [int(r) for r in rate]
        strides = [1] * num if strides is None else [int(s) for s in strides]
        for what, values in (("dilation_rate", rate), ("strides", strides)):
            if len(values) != num:
                raise ValueError(f"`len({what})` should be {num}. Received: {what}={values} of "
                                 f"length {len(values)}")
            if min(values) < 1:
                raise ValueError(f"all values of `{what}` must be positive. Received: "
                                 f"{what}={values}")
        _no_strided_dilation(strides, rate)
        if padding == "SAME" and max(rate) > 1:
            raise ValueError("pooling with 'SAME' padding is not implemented for "
                             f"`dilation_rate` > 1. Received: padding={padding} and "
                             f"dilation_rate={rate}")
        if any(s > w for s, w in zip(strides, window_shape)):
            raise ValueError("`strides` > `window_shape` not supported due to inconsistency "
                             f"between CPU and GPU implementations. Received: strides={strides} "
                             f"and window_shape={list(window_shape)}")
        if pooling_type not in ("MAX", "AVG"):
            raise ValueError(f"{num}-D {pooling_type} pooling is not supported.")
        first = (data_format or "N").startswith("NC")
        if num == 1 and data_format not in (None, "NWC", "NCW"):
            raise ValueError(f"data_format must be either 'NWC' or 'NCW'. Received: "
                             f"data_format={data_format}")
        fmt = "NCHW" if first else "NHWC"
        if num == 3:
            fmt = data_format or "NDHWC"
        dims = list(range(2, num + 2) if first else range(1, num + 1))

        def around(values):  # the window and strides on a 4-D input (a height of 1 for 1-D)
            values = [1] * (2 - num) + list(values)
            return [1, 1] + values if first else [1] + values + [1]

        fn = pool_ops.max_pool if pooling_type == "MAX" else pool_ops.avg_pool
        if num == 3:
            fn = nn_conv3d.max_pool3d if pooling_type == "MAX" else nn_conv3d.avg_pool3d

        def op(converted, _, pad):
            if num == 1:
                converted = transform_ops.expand_dims(converted, dims[0])
            result = fn(converted, around(window_shape), around(strides), pad, data_format=fmt,
                        name=scope)
            return transform_ops.squeeze(result, [dims[0]]) if num == 1 else result

        return with_space_to_batch(input, rate, padding, op, filter_shape=list(window_shape),
                                   spatial_dims=dims)

# -- sampled losses -------------------------------------------------------------------------------
def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max,
                                  seed=None, name=None):
    """(sampled_candidates, true_expected_count, sampled_expected_count): ``num_sampled``
    classes from a log-uniform (Zipfian) distribution over [0, range_max), as TF1's."""
    from .ops.candidate_ops import LOG_UNIFORM_CANDIDATE_SAMPLER
    from .ops.random_ops import _seed_attrs

    true_classes = math_ops.cast(convert_to_tensor(true_classes), _dt.int64)
    return tuple(LOG_UNIFORM_CANDIDATE_SAMPLER(
        true_classes, num_true=int(num_true), num_sampled=int(num_sampled),
        unique=bool(unique), range_max=int(range_max), **_seed_attrs(seed),
        name=name or "LogUniformCandidateSampler"))


def _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                    sampled_values, subtract_log_q, remove_accidental_hits, partition_strategy,
                    seed=None):
    """TF1's _compute_sampled_logits: logits of the true classes and of the sampled ones (their
    expected counts' logs subtracted), and the labels to score them against."""
    weights = list(weights) if isinstance(weights, (list, tuple)) else [weights]
    labels = math_ops.cast(convert_to_tensor(labels), _dt.int64)
    if labels.shape.rank == 1:
        labels = array_ops.reshape(labels, [-1, num_true])
    flat_labels = array_ops.reshape(labels, [-1])
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(labels, num_true, num_sampled, True,
                                                       num_classes, seed=seed)
    sampled, true_expected, sampled_expected = (array_ops.stop_gradient(t)
                                                for t in sampled_values)
    sampled = math_ops.cast(sampled, _dt.int64)
    all_ids = concat_split_ops.concat([flat_labels, sampled], 0)
    inputs = convert_to_tensor(inputs)
    all_w = embedding_lookup(weights, all_ids, partition_strategy=partition_strategy)
    n_true = array_ops.size(flat_labels)
    true_w = all_w[:n_true]
    sampled_w = all_w[n_true:]
    all_b = embedding_lookup(biases, all_ids, partition_strategy=partition_strategy)
    true_b, sampled_b = all_b[:n_true], all_b[n_true:]
    dim = inputs.shape[-1].value
    # true logits: each row of inputs against its num_true true classes' weights
    true_w = array_ops.reshape(true_w, [-1, num_true, dim])
    true_logits = reduction_ops.reduce_sum(
        array_ops.reshape(inputs, [-1, 1, dim]) * true_w, 2) + array_ops.reshape(
            true_b, [-1, num_true])
    sampled_logits = linalg_ops.matmul(inputs, sampled_w, transpose_b=True) + sampled_b
    if remove_accidental_hits:  # a sampled class that is a row's true class: pushed to -inf
        hits = logic_ops.equal(array_ops.reshape(labels, [-1, num_true, 1]),
                               array_ops.reshape(sampled, [1, 1, -1]))
        hit = reduction_ops.reduce_any(hits, 1)
        sampled_logits = logic_ops.where_v2(
            hit, array_ops.fill(array_ops.shape(sampled_logits),
                                np.array(np.finfo(np.float32).min, np.float32)),
            sampled_logits)
    if subtract_log_q:
        true_logits -= unary_ops.log(true_expected)
        sampled_logits -= unary_ops.log(sampled_expected)
    logits = concat_split_ops.concat([true_logits, sampled_logits], 1)
    targets = concat_split_ops.concat([array_ops.ones_like(true_logits) / num_true,
                                       array_ops.zeros_like(sampled_logits)], 1)
    return logits, targets


def nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
             sampled_values=None, remove_accidental_hits=False, partition_strategy="mod",
             name="nce_loss"):
    """TF1's noise-contrastive estimation loss, one value per example: the true classes
    against ``num_sampled`` sampled ones, as independent logistic regressions."""
    with name_scope(name, "nce_loss", [weights, biases, labels, inputs]):
        logits, targets = _sampled_logits(
            weights, biases, labels, inputs, num_sampled, num_classes, num_true,
            sampled_values, True, remove_accidental_hits, partition_strategy)
        per_class = sigmoid_cross_entropy_with_logits(labels=targets, logits=logits,
                                                      name="sampled_losses")
        return reduction_ops.reduce_sum(per_class, 1)


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                         sampled_values=None, remove_accidental_hits=True,
                         partition_strategy="mod", name="sampled_softmax_loss", seed=None):
    """TF1's sampled softmax loss, one value per example: a softmax over the true classes and
    ``num_sampled`` sampled ones."""
    from .ops.softmax_ops import softmax_cross_entropy_with_logits_v2

    with name_scope(name, "sampled_softmax_loss", [weights, biases, labels, inputs]):
        logits, targets = _sampled_logits(
            weights, biases, labels, inputs, num_sampled, num_classes, num_true,
            sampled_values, True, remove_accidental_hits, partition_strategy, seed)
        return softmax_cross_entropy_with_logits_v2(labels=targets, logits=logits)


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
