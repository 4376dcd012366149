"""ImageDataGenerator's geometric and brightness transforms, as Keras (tf_keras,
keras_preprocessing) computes them: the affine ones through ``scipy.ndimage.affine_transform``,
brightness through Pillow's ``ImageEnhance.Brightness``. Both are optional dependencies of
minitf, imported only when a transform needs them, so a missing one is an error naming it."""

from __future__ import annotations

import importlib

import numpy as np

__all__ = ["apply_affine_transform", "transform_matrix_offset_center", "random_rotation",
           "random_shift", "random_shear", "random_zoom", "apply_brightness_shift",
           "random_brightness"]


def _optional(module, what, use, package):
    """``module`` (scipy.ndimage, PIL.ImageEnhance) imported when a transform needs it; else an
    ImportError naming ``what`` needs it, for ``use``, and the package to install."""
    try:
        importlib.import_module(module.split(".")[0])  # as ``from PIL import ...`` checks PIL
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"{what} needs {package}: {use}, as in Keras, and {package} is not "
                          f"installed (pip install {package})") from e


def _ndimage(what="apply_affine_transform"):
    return _optional("scipy.ndimage", what, "rotations, shifts, shear and zoom use "
                     "scipy.ndimage.affine_transform", "scipy")


def _image_enhance(what="apply_brightness_shift"):
    return _optional("PIL.ImageEnhance", what, "brightness shifts use "
                     "PIL.ImageEnhance.Brightness", "Pillow")


def transform_matrix_offset_center(matrix, x, y):
    """``matrix`` about the image centre instead of the (0, 0) corner."""
    o_x = float(x) / 2 - 0.5
    o_y = float(y) / 2 - 0.5
    offset_matrix = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset_matrix = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return np.dot(np.dot(offset_matrix, matrix), reset_matrix)


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=1,
                           col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0,
                           order=1):
    """Rotation ``theta`` and ``shear`` (degrees), shift ``tx`` (rows) / ``ty`` (columns) in
    pixels and zoom ``zx``/``zy`` of one 3D image, each channel resampled by
    ``scipy.ndimage.affine_transform`` (the matrix maps output to input coordinates, so a
    zoom above 1 shrinks the picture, as in Keras). No transform returns ``x`` untouched."""
    if np.unique([row_axis, col_axis, channel_axis]).size != 3:
        raise ValueError("'row_axis', 'col_axis', and 'channel_axis' must be distinct")
    actual = {row_axis, col_axis, channel_axis}
    if actual != {0, 1, 2}:
        raise ValueError(f"Invalid axis' indices: {actual - {0, 1, 2}}")
    if x.ndim != 3:
        raise ValueError("Input arrays must be multi-channel 2D images.")
    if channel_axis not in (0, 2):
        raise ValueError("Channels are allowed and the first and last dimensions.")
    # Keras multiplies only the matrices whose parameter is set, in this order; an identity
    # factor would be harmless but the product's rounding would differ from Keras'.
    transform_matrix = None
    if theta != 0:
        theta = np.deg2rad(theta)
        transform_matrix = np.array([[np.cos(theta), -np.sin(theta), 0],
                                     [np.sin(theta), np.cos(theta), 0], [0, 0, 1]])
    for present, factor in (
            (tx != 0 or ty != 0, lambda: np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])),
            (shear != 0, lambda: np.array([[1, -np.sin(np.deg2rad(shear)), 0],
                                           [0, np.cos(np.deg2rad(shear)), 0], [0, 0, 1]])),
            (zx != 1 or zy != 1, lambda: np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]))):
        if present:
            m = factor()
            transform_matrix = m if transform_matrix is None else np.dot(transform_matrix, m)
    if transform_matrix is None:
        return x
    ndimage = _ndimage()
    h, w = x.shape[row_axis], x.shape[col_axis]
    transform_matrix = transform_matrix_offset_center(transform_matrix, h, w)
    x = np.rollaxis(x, channel_axis, 0)
    # The matrix is written for (x, y) coordinates; arrays index (row, col), so swap both
    # the matrix' rows and columns (P M P with P the swap) when columns follow rows.
    if col_axis > row_axis:
        transform_matrix[:, [0, 1]] = transform_matrix[:, [1, 0]]
        transform_matrix[[0, 1]] = transform_matrix[[1, 0]]
    final_affine_matrix = transform_matrix[:2, :2]
    final_offset = transform_matrix[:2, 2]
    channel_images = [ndimage.affine_transform(c, final_affine_matrix, final_offset,
                                               order=order, mode=fill_mode, cval=cval)
                      for c in x]
    x = np.stack(channel_images, axis=0)
    return np.rollaxis(x, 0, channel_axis + 1)


def random_rotation(x, rg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                    cval=0.0, interpolation_order=1):
    theta = np.random.uniform(-rg, rg)
    return apply_affine_transform(x, theta=theta, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_shift(x, wrg, hrg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                 cval=0.0, interpolation_order=1):
    h, w = x.shape[row_axis], x.shape[col_axis]
    tx = np.random.uniform(-hrg, hrg) * h
    ty = np.random.uniform(-wrg, wrg) * w
    return apply_affine_transform(x, tx=tx, ty=ty, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_shear(x, intensity, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                 cval=0.0, interpolation_order=1):
    shear = np.random.uniform(-intensity, intensity)
    return apply_affine_transform(x, shear=shear, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_zoom(x, zoom_range, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest",
                cval=0.0, interpolation_order=1):
    if len(zoom_range) != 2:
        raise ValueError("`zoom_range` should be a tuple or list of two floats. Received: "
                         f"{zoom_range}")
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(x, zx=zx, zy=zy, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def apply_brightness_shift(x, brightness, scale=True):
    """Pillow's brightness enhancement of a 3D image (through an 8-bit image, as Keras does;
    values outside 0..255 are mapped there and back)."""
    from .image import array_to_img, img_to_array  # image imports this module
    enhance = _image_enhance()
    x_min, x_max = np.min(x), np.max(x)
    local_scale = (x_min < 0) or (x_max > 255)
    img = array_to_img(x, scale=local_scale or scale)
    x = img_to_array(enhance.Brightness(img).enhance(brightness))
    if not scale and local_scale:
        x = x / 255 * (x_max - x_min) + x_min
    return x


def random_brightness(x, brightness_range, scale=True):
    if len(brightness_range) != 2:
        raise ValueError("`brightness_range should be tuple or list of two floats. Received: "
                         f"{brightness_range}")
    u = np.random.uniform(brightness_range[0], brightness_range[1])
    return apply_brightness_shift(x, u, scale)
