"""``tf.image``: TF1's image functions. Images are 3-D ``[height, width, channels]`` or 4-D
``[batch, height, width, channels]``. Resizing and the colour adjustments are ops
(core/ops/image_ops.py); what TensorFlow composes in Python (crops, pads, flips, rotations,
standardisation, dtype conversion...) is composed from minitf's ops, as TF does; flips and
rotations reverse axes with ReverseV2 nodes, as TF's.

This module is the namespace only. The functions live in one module per family, each readable
on its own: core/image_resize.py (resizes, crops and pads), core/image_flip.py (flips,
transposes, rotations), core/image_color.py (dtype conversion, standardisation, colour
adjustments and their random variants), core/image_measures.py (total variation, gradients,
Sobel edges), with the checks they share in core/image_checks.py; core/image_extra.py,
image_decode_extra.py and image_jpeg.py hold the rest of tf.image."""

# ruff: noqa: F401 - a namespace: every import below is a re-export.
from __future__ import annotations

from .ops.png_ops import decode_png, encode_png

# The families. image_color comes before image_extra, which imports convert_image_dtype from
# this module.
from .image_resize import (ResizeMethod, central_crop, crop_to_bounding_box,
                           pad_to_bounding_box, random_crop, resize, resize_bicubic,
                           resize_bilinear, resize_image_with_crop_or_pad, resize_image_with_pad,
                           resize_images, resize_nearest_neighbor, resize_with_crop_or_pad)
from .image_flip import (flip_left_right, flip_up_down, random_flip_left_right,
                         random_flip_up_down, rot90, transpose, transpose_image)
from .image_color import (adjust_brightness, adjust_contrast, adjust_gamma, adjust_hue,
                          adjust_saturation, convert_image_dtype, decode_image, grayscale_to_rgb,
                          hsv_to_rgb, per_image_standardization, random_brightness,
                          random_contrast, random_hue, random_saturation, rgb_to_grayscale,
                          rgb_to_hsv)
from .image_measures import image_gradients, sobel_edges, total_variation

from .image_extra import *  # noqa: F403 - more of tf.image (core/image_extra.py)
from .image_decode_extra import *  # noqa: F403 - decode_bmp/gif, distorted boxes
from .image_jpeg import *  # noqa: F403 - decode_jpeg, extract_jpeg_shape, is_jpeg
from .ops.glimpse_ops import extract_glimpse  # TF1's (the ExtractGlimpse op)
from .ops.box_proposal_ops import generate_bounding_box_proposals
from .ops.jpeg_encode_ops import adjust_jpeg_quality, encode_jpeg, random_jpeg_quality

__all__ = [
    "ResizeMethod", "adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue",
    "adjust_saturation", "central_crop", "convert_image_dtype", "crop_to_bounding_box",
    "decode_image", "decode_png", "encode_png",
    "flip_left_right", "flip_up_down", "grayscale_to_rgb", "hsv_to_rgb", "image_gradients",
    "pad_to_bounding_box", "per_image_standardization", "random_brightness", "random_contrast",
    "random_crop", "random_flip_left_right", "random_flip_up_down", "random_hue",
    "random_saturation", "resize", "resize_bicubic", "resize_bilinear",
    "resize_image_with_crop_or_pad", "resize_image_with_pad", "resize_images",
    "resize_nearest_neighbor", "resize_with_crop_or_pad", "rgb_to_grayscale", "rgb_to_hsv",
    "rot90", "sobel_edges", "total_variation", "transpose", "transpose_image",
    "extract_glimpse", "generate_bounding_box_proposals",
    "adjust_jpeg_quality", "encode_jpeg", "random_jpeg_quality",
]
