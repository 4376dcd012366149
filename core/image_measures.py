"""``tf.image``'s measures of an image: total_variation, image_gradients and sobel_edges,
composed from slices, sums and (for Sobel) shifted windows of a reflect-padded image. A
family of its own because they compute numbers about an image rather than a new image;
core/image.py re-exports every name here."""

from __future__ import annotations

import numpy as np

from .graph import convert_to_tensor, name_scope
from .ops import array_ops, concat_split_ops, math_ops, pad_ops, reduction_ops, unary_ops

__all__ = ["image_gradients", "sobel_edges", "total_variation"]


# -- measures ------------------------------------------------------------------------------------


def total_variation(images, name=None):
    """Sum of absolute differences of neighbouring pixels: a scalar for a 3-D image, one value
    per image for a 4-D batch."""
    with name_scope(name, "total_variation"):
        images = convert_to_tensor(images, name="images")
        if images.shape.rank not in (3, 4):
            raise ValueError("'images' must be either 3 or 4-dimensional.")
        axis = None if images.shape.rank == 3 else [1, 2, 3]
        dif1 = images[..., 1:, :, :] - images[..., :-1, :, :]
        dif2 = images[..., 1:, :] - images[..., :-1, :]
        return reduction_ops.reduce_sum(unary_ops.abs(dif1), axis=axis) + \
            reduction_ops.reduce_sum(unary_ops.abs(dif2), axis=axis)


def image_gradients(image):
    """(dy, dx): forward differences along height and width, zero in the last row/column."""
    image = convert_to_tensor(image, name="image")
    if image.shape.rank != 4:
        raise ValueError("image_gradients expects a 4D tensor [batch_size, h, w, d], not "
                         f"{image.shape}.")
    image_shape = array_ops.shape(image)
    batch, height, width, depth = concat_split_ops.unstack(image_shape, num=4)
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    zeros_y = array_ops.zeros(concat_split_ops.stack([batch, 1, width, depth]), image.dtype)
    zeros_x = array_ops.zeros(concat_split_ops.stack([batch, height, 1, depth]), image.dtype)
    dy = array_ops.reshape(concat_split_ops.concat([dy, zeros_y], 1), image_shape)
    dx = array_ops.reshape(concat_split_ops.concat([dx, zeros_x], 2), image_shape)
    return dy, dx


_SOBEL = np.array([[[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
                   [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]])
_SOBEL_DTYPES = ("float16", "bfloat16", "float32", "float64")  # TF's order, as in its message


def sobel_edges(image):
    """``[batch, h, w, d, 2]``: the vertical and horizontal Sobel responses of each channel
    (reflect-padded). TF runs a depthwise convolution; here each kernel is a sum of shifted
    windows of the padded image: the same values, no convolution op needed."""
    image = convert_to_tensor(image, name="image")
    # TF's DepthwiseConv2dNative takes only these; the shifted sums here would otherwise wrap
    # an integer image's responses.
    if image.dtype.base_dtype.name not in _SOBEL_DTYPES:
        raise TypeError(f"Value passed to parameter 'input' has DataType "
                        f"{image.dtype.base_dtype.name} not in list of allowed values: "
                        f"{', '.join(_SOBEL_DTYPES)}")
    static = image.shape
    padded = pad_ops.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    outputs = []
    for kernel in _SOBEL:
        total = None
        for (i, j), weight in np.ndenumerate(kernel):
            if weight:
                window = padded[:, i:(i - 2) or None, j:(j - 2) or None, :]
                term = window * math_ops.cast(float(weight), image.dtype)
                total = term if total is None else total + term
        outputs.append(total)
    output = concat_split_ops.stack(outputs, axis=-1)
    if static.rank is not None:
        output.set_shape(static.concatenate([2]))
    return output
