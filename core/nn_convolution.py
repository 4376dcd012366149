"""The ``tf.nn`` convolutions TensorFlow composes in Python (its nn_ops.py / nn_impl.py): conv1d,
the atrous family (with_space_to_batch, depthwise_conv2d, separable_conv2d, atrous_conv2d) and
the generic dispatchers tf.nn.convolution and tf.nn.pool, with TensorFlow's node names and
graphs (SpaceToBatchND / BatchToSpaceND around the op when dilated).

Split from nn_impl.py, which re-exports them for tf.nn, so that each module reads in one
sitting; the native ops they build are in core/ops (conv_ops, depthwise_conv_ops, pool_ops,
conv3d_ops) and the 3-D wrappers in nn_conv3d.py.
"""

from __future__ import annotations

import warnings

import numpy as np

from .graph import Tensor, constant_value, convert_to_tensor, name_scope
from . import nn_conv3d
from .ops import array_ops, conv3d_ops, conv_ops, depthwise_conv_ops, pool_ops, transform_ops
from .ops._conv_util import _alias, _convert_padding, _get_sequence
from .ops.array_ops import constant as constant_op


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


def _warn_rate_strides(given, rate, strides):
    """TensorFlow only warns here (and builds): the op then runs strided on the space-to-batch
    form, which is not a strided dilated convolution."""
    listed = [strides] * 4 if isinstance(strides, int) else list(strides)
    if any(r > 1 for r in rate) and any(s != 1 for s in listed):
        warnings.warn(f"When dilation rate is greater than 1, then all values of strides must "
                      f"be 1. Received: `dilation rate` {given} and `strides` {strides}",
                      stacklevel=3)


def _filter_shape(f):
    """A filter's shape as ints when static (no Shape node to fold), else a Shape tensor."""
    return f.shape.as_list() if f.shape.is_fully_defined() else array_ops.shape(f)


def depthwise_conv2d(input, filter, strides, padding, rate=None, name=None,  # noqa: A002
                     data_format=None, dilations=None):
    """``tf.nn.depthwise_conv2d`` (TF1): a DepthwiseConv2dNative node named "depthwise" (with
    ``rate`` > 1 between SpaceToBatchND and BatchToSpaceND, as TensorFlow builds it)."""
    given = _alias("dilations", dilations, "rate", rate)
    rate = _rate_pair(given)
    _warn_rate_strides(given, rate, strides)
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
    rate = _rate_pair(_alias("dilations", dilations, "rate", rate))  # TF does not warn here
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
        rates = _get_sequence(rate, channel_index, "dilations", num)
        strides = _get_sequence(strides, channel_index, "strides", num)
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
