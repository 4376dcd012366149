"""The TF1 ``tf.nn`` wrappers of 3-D convolution and pooling and of the other pooling variants:
conv3d, conv3d_transpose, conv3d_backprop_filter(_v2), max_pool3d, avg_pool3d,
max_pool_with_argmax, max_pool1d, avg_pool1d, max_pool_v2, avg_pool_v2, conv1d_transpose and
atrous_conv2d_transpose, with TensorFlow's signatures, node names and graphs (what it composes
in Python is composed here too). ``__all__`` lists the ``tf.nn`` names (core/nn.py star-imports
it); tf.nn.convolution and tf.nn.pool (nn_convolution) dispatch their 3-D cases to the same ops.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from . import dtypes as _dt
from .graph import Tensor, convert_to_tensor, name_scope
from .ops import array_ops, concat_split_ops, conv_ops, depthwise_conv_ops, pool_ops
from .ops import transform_ops
from .ops._conv_util import _alias, _channel_index, _convert_padding, _get_sequence
from .ops.conv3d_ops import CONV3D, CONV3D_BACKPROP_FILTER_V2, CONV3D_BACKPROP_INPUT_V2
from .ops.pool3d_ops import AVG_POOL3D, MAX_POOL3D, MAX_POOL_WITH_ARGMAX

__all__ = ["conv3d", "conv3d_transpose", "conv3d_backprop_filter", "conv3d_backprop_filter_v2",
           "max_pool3d", "avg_pool3d", "max_pool_with_argmax", "max_pool1d", "avg_pool1d",
           "max_pool_v2", "avg_pool_v2", "conv1d_transpose", "atrous_conv2d_transpose"]


# -- 3-D convolution ------------------------------------------------------------------------------


def conv3d(input, filter=None, strides=None, padding=None, data_format="NDHWC",  # noqa: A002
           dilations=[1, 1, 1, 1, 1], name=None, filters=None):  # noqa: B006
    """``tf.nn.conv3d`` (TF1): a Conv3D node named "Conv3D"."""
    filter = _alias("filters", filters, "filter", filter)  # noqa: A001
    return CONV3D(input, filter, strides=strides, padding=padding, data_format=data_format,
                  dilations=dilations, name=name)


def conv3d_transpose(value=None, filter=None, output_shape=None, strides=None,  # noqa: A002
                     padding="SAME", data_format="NDHWC", name=None, input=None,  # noqa: A002
                     filters=None, dilations=None):
    """``tf.nn.conv3d_transpose`` (TF1): a Conv3DBackpropInputV2 node named
    "conv3d_transpose" with ``output_shape`` as its input_sizes."""
    filter = _alias("filters", filters, "filter", filter)  # noqa: A001
    value = _alias("input", input, "value", value)
    with name_scope(name, "conv3d_transpose", [value, filter, output_shape]) as scope:
        data_format = data_format or "NDHWC"
        ci = _channel_index(data_format)
        return CONV3D_BACKPROP_INPUT_V2(
            output_shape, filter, value, strides=_get_sequence(strides, ci, "strides", n=3),
            padding=padding, data_format=data_format,
            dilations=_get_sequence(dilations, ci, "dilations", n=3), name=scope)


def conv3d_backprop_filter(input, filter_sizes, out_backprop, strides, padding,  # noqa: A002
                           data_format="NDHWC", dilations=[1, 1, 1, 1, 1],  # noqa: B006
                           name=None):
    """``tf.nn.conv3d_backprop_filter`` (= ``conv3d_backprop_filter_v2``): a
    Conv3DBackpropFilterV2 node, the gradient of conv3d with respect to its filter."""
    return CONV3D_BACKPROP_FILTER_V2(input, filter_sizes, out_backprop, strides=strides,
                                     padding=padding, data_format=data_format,
                                     dilations=dilations, name=name)


conv3d_backprop_filter_v2 = conv3d_backprop_filter


# -- 3-D pooling ----------------------------------------------------------------------------------


def _pool3d(op, default, input, ksize, strides, padding, data_format, name):  # noqa: A002
    with name_scope(name, default, [input]) as scope:
        data_format = data_format or "NDHWC"
        ci = _channel_index(data_format)
        return op(input, ksize=_get_sequence(ksize, ci, "ksize", n=3),
                  strides=_get_sequence(strides, ci, "strides", n=3), padding=padding,
                  data_format=data_format, name=scope)


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):  # noqa: A002
    """``tf.nn.max_pool3d``: a MaxPool3D node named "MaxPool3D"."""
    return _pool3d(MAX_POOL3D, "MaxPool3D", input, ksize, strides, padding, data_format, name)


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):  # noqa: A002
    """``tf.nn.avg_pool3d``: an AvgPool3D node named "AvgPool3D"."""
    return _pool3d(AVG_POOL3D, "AvgPool3D", input, ksize, strides, padding, data_format, name)


# -- max pooling with argmax ---------------------------------------------------------------------

_MaxPoolWithArgmax = namedtuple("MaxPoolWithArgmax", ["output", "argmax"])


def max_pool_with_argmax(input, ksize, strides, padding, data_format="NHWC",  # noqa: A002
                         Targmax=None, name=None, output_dtype=None,  # noqa: N803
                         include_batch_in_index=False):
    """``tf.nn.max_pool_with_argmax`` (TF1): a MaxPoolWithArgmax node; (output, argmax), the
    argmax flattened as ``(y * width + x) * channels + c`` (with the batch when
    ``include_batch_in_index``: ``((b * height + y) * width + x) * channels + c``)."""
    if data_format != "NHWC":
        raise ValueError("`data_format` values other  than 'NHWC' are not supported. "
                         f"Received: data_format={data_format}")
    Targmax = _alias("output_dtype", output_dtype, "Targmax", Targmax)  # noqa: N806
    for arg, value in (("ksize", ksize), ("strides", strides)):
        if not isinstance(value, (list, tuple)):  # TF1's passes them to the op as they are
            raise TypeError(f"Expected list for '{arg}' argument to 'max_pool_with_argmax' Op, "
                            f"not {value}.")
    output, argmax = MAX_POOL_WITH_ARGMAX(
        input, ksize=list(ksize), strides=list(strides), padding=padding,
        Targmax=_dt.as_dtype(Targmax or _dt.int64),
        include_batch_in_index=include_batch_in_index, name=name)
    return _MaxPoolWithArgmax(output, argmax)


# -- 1-D pooling and the rank-dispatching v2 names ------------------------------------------------


def _pool1d(pool, default, input, ksize, strides, padding, data_format, name,  # noqa: A002
            explicit_ok):
    """TensorFlow's max_pool1d / avg_pool1d: the 2-D op on a dummy height (ExpandDims, pool
    named after the scope, Squeeze)."""
    with name_scope(name, default, [input]) as scope:
        data_format = data_format or "NWC"
        ci = 1 if data_format.startswith("NC") else 2
        ksize = [1] + _get_sequence(ksize, ci, "ksize", n=1)
        strides = [1] + _get_sequence(strides, ci, "strides", n=1)
        kwargs = {}
        if explicit_ok:
            padding, explicit = _convert_padding(padding, 3)
            kwargs["explicit_paddings"] = [0, 0] + explicit if explicit else []
        axis = 1 if data_format == "NWC" else 2
        fmt = "NHWC" if data_format == "NWC" else "NCHW"
        x = transform_ops.expand_dims(input, axis)
        out = pool(x, ksize=ksize, strides=strides, padding=padding, data_format=fmt,
                   name=scope, **kwargs)
        return transform_ops.squeeze(out, [axis])


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    """``tf.nn.max_pool1d``: a MaxPool named "MaxPool1d" over a dummy height."""
    if isinstance(padding, (list, tuple)) and data_format == "NCHW_VECT_C":
        raise ValueError("`data_format='NCHW_VECT_C'` is not supported with explicit padding. "
                         f"Received: padding={padding}")
    return _pool1d(pool_ops.MAX_POOL, "MaxPool1d", input, ksize, strides, padding,
                   data_format, name, True)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    """``tf.nn.avg_pool1d``: an AvgPool named "AvgPool1D" over a dummy height."""
    return _pool1d(pool_ops.AVG_POOL, "AvgPool1D", input, ksize, strides, padding,
                   data_format, name, False)


def _spatial_rank(input, data_format):  # noqa: A002
    rank = input.shape.rank
    if rank is not None:
        n = rank - 2
    elif data_format is not None:
        n = len(data_format) - 2
    else:
        raise ValueError("`input` must have a static shape or a data format must be given. "
                         f"Received: input.shape={input.shape} and data_format={data_format}")
    if not 1 <= n <= 3:
        raise ValueError(f"`input.shape.rank` must be 3, 4 or 5. Received: "
                         f"input.shape={input.shape} of rank {n + 2}.")
    ci = n + 1 if data_format is None else (1 if data_format.startswith("NC") else n + 1)
    return n, ci


def max_pool_v2(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """``tf.nn.max_pool_v2`` (TF2's tf.nn.max_pool): max_pool1d, max_pool2d or a MaxPool3D
    node by the input's rank."""
    input = convert_to_tensor(input)  # noqa: A001
    n, ci = _spatial_rank(input, data_format)
    if isinstance(padding, (list, tuple)) and data_format == "NCHW_VECT_C":
        raise ValueError("`data_format='NCHW_VECT_C'` is not supported with explicit padding. "
                         f"Received: padding={padding}")
    ksize = _get_sequence(ksize, ci, "ksize", n=n)
    strides = _get_sequence(strides, ci, "strides", n=n)
    if isinstance(padding, (list, tuple)) and n == 3:
        raise ValueError("Explicit padding is not supported with an input tensor of rank 5. "
                         f"Received: padding={padding}")
    if n == 1:
        return max_pool1d(input, ksize, strides, padding, data_format=data_format, name=name)
    if n == 2:
        return pool_ops.max_pool2d(input, ksize, strides, padding,
                                   data_format=data_format or "NHWC", name=name)
    return MAX_POOL3D(input, ksize=ksize, strides=strides, padding=padding,
                      data_format=data_format or "NDHWC", name=name)


def avg_pool_v2(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """``tf.nn.avg_pool_v2`` (TF2's tf.nn.avg_pool): avg_pool1d, an AvgPool or an AvgPool3D
    node by the input's rank."""
    input = convert_to_tensor(input)  # noqa: A001
    n, ci = _spatial_rank(input, data_format)
    ksize = _get_sequence(ksize, ci, "ksize", n=n)
    strides = _get_sequence(strides, ci, "strides", n=n)
    if n == 1:
        return avg_pool1d(input, ksize, strides, padding, data_format=data_format, name=name)
    op, default = (pool_ops.AVG_POOL, "NHWC") if n == 2 else (AVG_POOL3D, "NDHWC")
    return op(input, ksize=ksize, strides=strides, padding=padding,
              data_format=data_format or default, name=name)


# -- transposed 1-D and atrous convolution ---------------------------------------------------------


def conv1d_transpose(input, filters, output_shape, strides, padding="SAME",  # noqa: A002
                     data_format="NWC", dilations=None, name=None):
    """``tf.nn.conv1d_transpose``: Conv2DBackpropInput (named after the scope) on a dummy
    height of 1, as TensorFlow builds it: ExpandDims of input and filters, the output shape
    with a 1 spliced in (ConcatV2), then Squeeze."""
    with name_scope(name, "conv1d_transpose", [input, filters, output_shape]) as scope:
        if data_format is None or data_format == "NWC":
            fmt, spatial, ci = "NHWC", 1, 2
        elif data_format == "NCW":
            fmt, spatial, ci = "NCHW", 2, 1
        else:
            raise ValueError(f"`data_format` must be 'NWC' or 'NCW'. Received: "
                             f"data_format={data_format}")
        strides = [1] + _get_sequence(strides, ci, "stride", n=1)
        dilations = [1] + _get_sequence(dilations, ci, "dilations", n=1)
        x = transform_ops.expand_dims(input, spatial)
        f = transform_ops.expand_dims(filters, 0)
        if not isinstance(output_shape, Tensor):
            output_shape = list(output_shape)
        sizes = concat_split_ops.concat([output_shape[:spatial], [1], output_shape[spatial:]],
                                        0)
        out = conv_ops.conv2d_backprop_input(sizes, f, x, strides=strides, padding=padding,
                                             data_format=fmt, dilations=dilations, name=scope)
        return transform_ops.squeeze(out, [spatial])


def atrous_conv2d_transpose(value, filters, output_shape, rate, padding, name=None):
    """``tf.nn.atrous_conv2d_transpose``: as TensorFlow composes it, SpaceToBatchND (square
    block ``rate``), a VALID Conv2DBackpropInput, then BatchToSpaceND cropping the padding;
    conv2d_transpose when ``rate`` is 1."""
    with name_scope(name, "atrous_conv2d_transpose", [value, filters, output_shape]):
        value = convert_to_tensor(value, name="value")
        filters = convert_to_tensor(filters, name="filters")
        vc = value.shape[3] if value.shape.rank else None
        fc = filters.shape[3] if filters.shape.rank else None
        if vc is not None and fc is not None and not vc.is_compatible_with(fc):
            raise ValueError(
                "`value` channel count must be compatible with `filters` input channel count. "
                f"Received: value.shape={value.shape} with channel count {vc} and "
                f"filters.shape={filters.shape} with input channel count {fc}.")
        if rate < 1:
            raise ValueError(f"`rate` cannot be less than one. Received: rate={rate}")
        if rate == 1:
            return conv_ops.conv2d_transpose(value, filters, output_shape, strides=[1, 1, 1, 1],
                                             padding=padding, data_format="NHWC")
        shape_t = convert_to_tensor(output_shape, name="output_shape")
        if not shape_t.shape.is_compatible_with([4]):
            raise ValueError(f"`output_shape` must have shape (4,). Received: "
                             f"output_shape={shape_t.shape}")
        if isinstance(output_shape, tuple):
            output_shape = list(output_shape)
        if isinstance(output_shape, (list, np.ndarray)) and filters.shape.rank and \
                not filters.shape[2].is_compatible_with(output_shape[3]):
            raise ValueError(
                "`output_shape` channel count must be compatible with `filters` output channel "
                f"count. Received: output_shape={output_shape} with channel count "
                f"{output_shape[3]} and filters.shape={filters.shape} with output channel "
                f"count {filters.shape[2]}.")
        if isinstance(output_shape, Tensor):
            output_shape = shape_t
        if padding == "SAME":
            fs = filters.shape.as_list() if filters.shape.is_fully_defined() else \
                array_ops.shape(filters)
            pad_h = fs[0] + (fs[0] - 1) * (rate - 1) - 1
            pad_w = fs[1] + (fs[1] - 1) * (rate - 1) - 1
            top, left = pad_h // 2, pad_w // 2
            bottom, right = pad_h - top, pad_w - left
        elif padding == "VALID":
            top = bottom = left = right = 0
        else:
            raise ValueError(f"`padding` must be either 'VALID' or 'SAME'. Received: "
                             f"padding={padding}")
        in_h = output_shape[1] + top + bottom
        in_w = output_shape[2] + left + right
        extra_h = (rate - in_h % rate) % rate
        extra_w = (rate - in_w % rate) % rate
        value = depthwise_conv_ops.space_to_batch(value, [[0, extra_h], [0, extra_w]],
                                                  block_size=rate)
        sizes = [rate * rate * output_shape[0], (in_h + extra_h) // rate,
                 (in_w + extra_w) // rate, output_shape[3]]
        value = conv_ops.conv2d_backprop_input(sizes, filters, value, strides=[1, 1, 1, 1],
                                               padding="VALID", data_format="NHWC")
        return depthwise_conv_ops.batch_to_space(
            value, [[top, bottom + extra_h], [left, right + extra_w]], block_size=rate)
