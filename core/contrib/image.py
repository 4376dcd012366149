"""``tf.contrib.image`` (TF 1.15): projective transforms of images (transform, rotate,
translate and the helpers that build and compose the 8-number transforms), dense and sparse
image warps, connected components and greedy bipartite matching.

``transform`` binds ImageProjectiveTransformV2 (core/ops/image_transform_ops.py, whose gradient
w.r.t. the images is TF's inverse transform) with TF 1.15's rank handling: an [H, W] or
[H, W, C] image gains batch and channel axes for the op and loses them again, so the result has
the input's rank. A transform [a0..a7] maps output pixel (x, y) to the input point
((a0 x + a1 y + a2) / k, (a3 x + a4 y + a5) / k), k = a6 x + a7 y + 1.
"""

from __future__ import annotations

import minitf as tf

from ..ops.image_transform_ops import BIPARTITE_MATCH, IMAGE_PROJECTIVE_TRANSFORM_V2
from ..tensor_conversion import constant_value
from .image_warp import (connected_components, dense_image_warp, interpolate_bilinear,
                         interpolate_spline, sparse_image_warp)

__all__ = ["angles_to_projective_transforms", "bipartite_match", "compose_transforms",
           "connected_components", "dense_image_warp", "flat_transforms_to_matrices",
           "interpolate_bilinear", "interpolate_spline", "matrices_to_flat_transforms",
           "rotate", "sparse_image_warp", "transform", "translate",
           "translations_to_projective_transforms"]

_IMAGE_DTYPES = (tf.uint8, tf.int32, tf.int64, tf.float16, tf.float32, tf.float64)


def _to_nhwc(image_or_images):
    """TF 1.15's checks and [H, W] / [H, W, C] -> [N, H, W, C] expansion."""
    if image_or_images.dtype.base_dtype not in _IMAGE_DTYPES:
        raise TypeError(f"Invalid dtype {image_or_images.dtype}.")
    rank = image_or_images.shape.rank
    if rank is None:
        raise TypeError("image_or_images rank must be statically known")
    if rank == 2:
        return image_or_images[None, :, :, None]
    if rank == 3:
        return image_or_images[None, :, :, :]
    if rank == 4:
        return image_or_images
    raise TypeError("Images should have rank between 2 and 4.")


def _from_nhwc(output, rank):
    """Back to the caller's rank."""
    if rank == 2:
        return output[0, :, :, 0]
    if rank == 3:
        return output[0, :, :, :]
    return output


def transform(images, transforms, interpolation="NEAREST", output_shape=None, name=None):
    """TF's tf.contrib.image.transform: applies projective transforms ([8] or [N, 8])."""
    with tf.name_scope(name, "transform"):
        image_or_images = tf.convert_to_tensor(images, name="images")
        transform_or_transforms = tf.convert_to_tensor(transforms, name="transforms",
                                                       dtype=tf.float32)
        images = _to_nhwc(image_or_images)
        if output_shape is None:
            output_shape = tf.shape(images)[1:3]
            value = constant_value(output_shape)
            if value is not None:
                output_shape = value
        output_shape = tf.convert_to_tensor(output_shape, tf.int32, name="output_shape")
        if not output_shape.shape.is_compatible_with([2]):
            raise ValueError("output_shape must be a 1-D Tensor of 2 elements: "
                             "new_height, new_width")
        rank = transform_or_transforms.shape.rank
        if rank == 1:
            transforms = transform_or_transforms[None]
        elif rank is None:
            raise TypeError("transform_or_transforms rank must be statically known")
        elif rank == 2:
            transforms = transform_or_transforms
        else:
            raise TypeError("Transforms should have rank 1 or 2.")
        output = IMAGE_PROJECTIVE_TRANSFORM_V2(images, transforms, output_shape,
                                               interpolation=interpolation.upper())
        return _from_nhwc(output, image_or_images.shape.rank)


def rotate(images, angles, interpolation="NEAREST", name=None):
    """TF's tf.contrib.image.rotate: rotates images counterclockwise by angles (radians)."""
    with tf.name_scope(name, "rotate"):
        image_or_images = tf.convert_to_tensor(images)
        images = _to_nhwc(image_or_images)
        image_height = tf.cast(tf.shape(images)[1], tf.float32)[None]
        image_width = tf.cast(tf.shape(images)[2], tf.float32)[None]
        output = transform(
            images, angles_to_projective_transforms(angles, image_height, image_width),
            interpolation=interpolation)
        return _from_nhwc(output, image_or_images.shape.rank)


def translate(images, translations, interpolation="NEAREST", name=None):
    """TF's tf.contrib.image.translate: shifts images by [dx, dy] (per image or shared)."""
    with tf.name_scope(name, "translate"):
        return transform(images, translations_to_projective_transforms(translations),
                         interpolation=interpolation)


def angles_to_projective_transforms(angles, image_height, image_width, name=None):
    """TF's angles_to_projective_transforms: [N, 8] rotations about the image centre."""
    with tf.name_scope(name, "angles_to_projective_transforms"):
        angle_or_angles = tf.convert_to_tensor(angles, name="angles", dtype=tf.float32)
        rank = angle_or_angles.shape.rank
        if rank == 0:
            angles = angle_or_angles[None]
        elif rank == 1:
            angles = angle_or_angles
        else:
            raise TypeError("Angles should have rank 0 or 1.")
        cos, sin = tf.cos(angles), tf.sin(angles)
        x_offset = ((image_width - 1) - (cos * (image_width - 1) -
                                         sin * (image_height - 1))) / 2.0
        y_offset = ((image_height - 1) - (sin * (image_width - 1) +
                                          cos * (image_height - 1))) / 2.0
        num_angles = tf.shape(angles)[0]
        return tf.concat(values=[cos[:, None], -sin[:, None], x_offset[:, None],
                                 sin[:, None], cos[:, None], y_offset[:, None],
                                 tf.zeros((num_angles, 2), tf.float32)], axis=1)


def translations_to_projective_transforms(translations, name=None):
    """TF's translations_to_projective_transforms: [N, 8] shifts from [dx, dy] rows."""
    with tf.name_scope(name, "translations_to_projective_transforms"):
        translation_or_translations = tf.convert_to_tensor(translations, name="translations",
                                                           dtype=tf.float32)
        rank = translation_or_translations.shape.rank
        if rank is None:
            raise TypeError("translation_or_translations rank must be statically known")
        if rank == 1:
            translations = translation_or_translations[None]
        elif rank == 2:
            translations = translation_or_translations
        else:
            raise TypeError("Translations should have rank 1 or 2.")
        num = tf.shape(translations)[0]
        # [[1, 0, -dx], [0, 1, -dy], [0, 0, 1]], the last entry implicit
        return tf.concat(values=[tf.ones((num, 1), tf.float32), tf.zeros((num, 1), tf.float32),
                                 -translations[:, 0, None], tf.zeros((num, 1), tf.float32),
                                 tf.ones((num, 1), tf.float32), -translations[:, 1, None],
                                 tf.zeros((num, 2), tf.float32)], axis=1)


def compose_transforms(*transforms):
    """TF's compose_transforms: one transform equal to applying the last one first."""
    assert transforms, "transforms cannot be empty"
    with tf.name_scope("compose_transforms"):
        composed = flat_transforms_to_matrices(transforms[0])
        for tr in transforms[1:]:
            composed = tf.matmul(composed, flat_transforms_to_matrices(tr))
        return matrices_to_flat_transforms(composed)


def flat_transforms_to_matrices(transforms):
    """TF's flat_transforms_to_matrices: [8] or [N, 8] -> [N, 3, 3] (output -> input)."""
    with tf.name_scope("flat_transforms_to_matrices"):
        transforms = tf.convert_to_tensor(transforms, name="transforms")
        if transforms.shape.rank not in (1, 2):
            raise ValueError(f"Transforms should be 1D or 2D, got: {transforms}")
        transforms = tf.reshape(transforms, tf.constant([-1, 8]))
        num_transforms = tf.shape(transforms)[0]
        return tf.reshape(tf.concat([transforms, tf.ones([num_transforms, 1])], axis=1),
                          tf.constant([-1, 3, 3]))


def matrices_to_flat_transforms(transform_matrices):
    """TF's matrices_to_flat_transforms: [3, 3] or [N, 3, 3] -> [N, 8], scaled so a22 = 1."""
    with tf.name_scope("matrices_to_flat_transforms"):
        transform_matrices = tf.convert_to_tensor(transform_matrices,
                                                  name="transform_matrices")
        if transform_matrices.shape.rank not in (2, 3):
            raise ValueError(f"Matrices should be 2D or 3D, got: {transform_matrices}")
        transforms = tf.reshape(transform_matrices, tf.constant([-1, 9]))
        transforms /= transforms[:, 8:9]
        return transforms[:, :8]


def bipartite_match(distance_mat, num_valid_rows, top_k=-1, name="bipartite_match"):
    """TF's tf.contrib.image.bipartite_match: greedy minimum-distance matching; returns
    (row_to_col_match_indices, col_to_row_match_indices), -1 where unmatched."""
    row_to_col, col_to_row = BIPARTITE_MATCH(distance_mat, num_valid_rows, top_k=top_k,
                                             name=name)
    return row_to_col, col_to_row
