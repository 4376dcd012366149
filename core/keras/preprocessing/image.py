"""``tf.keras.preprocessing.image``: ImageDataGenerator (rescale, sample- and feature-wise
centering / std normalization, ZCA whitening, flips, channel shifts, and with the optional
dependencies rotations, shifts, shear, zoom and brightness) and its ``flow`` iterator, which is
a ``keras.utils.Sequence`` (``fit``/``fit_generator`` take it) and a Python iterator. Random
draws follow keras_preprocessing's order on ``np.random`` so a seeded flow yields the same
batches as Keras'.

Rotations, shifts, shear and zoom go through ``scipy.ndimage.affine_transform`` as in Keras
(image_affine.py) and brightness through Pillow; minitf depends on neither, so without them
those arguments are refused with a ValueError naming the package to install.
``load_img``/``array_to_img`` need Pillow and say so when it is missing."""

from __future__ import annotations

import threading
import warnings

import numpy as np

from ..utils import Sequence
from .image_affine import (_image_enhance, _ndimage, apply_affine_transform,
                           apply_brightness_shift, random_brightness, random_rotation,
                           random_shear, random_shift, random_zoom,
                           transform_matrix_offset_center)

__all__ = ["ImageDataGenerator", "NumpyArrayIterator", "Iterator", "img_to_array",
           "array_to_img", "load_img", "flip_axis", "apply_channel_shift",
           "random_channel_shift", "apply_affine_transform", "transform_matrix_offset_center",
           "random_rotation", "random_shift", "random_shear", "random_zoom",
           "apply_brightness_shift", "random_brightness"]

_SCIPY_ARGS = ("rotation_range", "width_shift_range", "height_shift_range", "shear_range",
               "zoom_range")


def _floatx():
    from ..backend import floatx
    return floatx()


def _data_format(data_format):
    if data_format is None:
        from ..backend import image_data_format
        data_format = image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError('`data_format` should be `"channels_last"` (channel after row and '
                         'column) or `"channels_first"` (channel before row and column). '
                         f"Received: {data_format}")
    return data_format


def flip_axis(x, axis):
    return np.asarray(x).swapaxes(axis, 0)[::-1, ...].swapaxes(0, axis)


def apply_channel_shift(x, intensity, channel_axis=0):
    """Adds ``intensity`` to every channel, clipped to the image's original range."""
    x = np.rollaxis(x, channel_axis, 0)
    min_x, max_x = np.min(x), np.max(x)
    x = np.stack([np.clip(c + intensity, min_x, max_x) for c in x], axis=0)
    return np.rollaxis(x, 0, channel_axis + 1)


def random_channel_shift(x, intensity_range, channel_axis=0):
    intensity = np.random.uniform(-intensity_range, intensity_range)
    return apply_channel_shift(x, intensity, channel_axis=channel_axis)


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image (or anything np.asarray takes) as a 3D array in ``data_format``."""
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or _floatx())
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x.reshape((1,) + x.shape if data_format == "channels_first" else x.shape + (1,))
    raise ValueError(f"Unsupported image shape: {x.shape}")


def _pil():
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("Could not import PIL.Image. The use of `load_img`/`array_to_img` "
                          "requires Pillow (pip install Pillow), which minitf does not "
                          "depend on.") from e
    return Image


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3D array as a PIL image (Pillow required), rescaled to 0..255 when ``scale``."""
    image = _pil()
    data_format = _data_format(data_format)
    x = np.asarray(x, dtype=dtype or _floatx())
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array "
                         f"with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def load_img(path, grayscale=False, color_mode="rgb", target_size=None,
             interpolation="nearest"):
    """The image at ``path`` as a PIL image (Pillow required)."""
    image = _pil()
    if grayscale:
        color_mode = "grayscale"
    with open(path, "rb") as f:
        img = image.open(f)
        img.load()
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif color_mode == "rgb":
        if img.mode != "RGB":
            img = img.convert("RGB")
    else:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    if target_size is not None:
        size = (target_size[1], target_size[0])
        if img.size != size:
            methods = {"nearest": image.NEAREST, "bilinear": image.BILINEAR,
                       "bicubic": image.BICUBIC}
            if interpolation not in methods:
                raise ValueError(f"Invalid interpolation method {interpolation} specified. "
                                 f"Supported methods are {', '.join(methods)}")
            img = img.resize(size, methods[interpolation])
    return img


class Iterator(Sequence):
    """Keras' batch iterator: indexable (a Sequence; ``on_epoch_end`` reshuffles) and
    iterable forever (``next``), reseeding ``np.random`` with ``seed + batches seen``."""

    def __init__(self, n, batch_size, shuffle, seed):
        self.n, self.batch_size, self.shuffle, self.seed = n, batch_size, shuffle, seed
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self.index_generator = self._flow_index()

    def _set_index_array(self):
        self.index_array = np.arange(self.n)
        if self.shuffle:
            self.index_array = np.random.permutation(self.n)

    def __getitem__(self, idx):
        if idx >= len(self):
            raise ValueError(f"Asked to retrieve element {idx}, but the Sequence has length "
                             f"{len(self)}")
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        index_array = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(index_array)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self):
        self._set_index_array()

    def reset(self):
        self.batch_index = 0

    def _flow_index(self):
        self.reset()
        while True:
            if self.seed is not None:
                np.random.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            current = (self.batch_index * self.batch_size) % self.n if self.n else 0
            if self.n > current + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            yield self.index_array[current:current + self.batch_size]

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            index_array = next(self.index_generator)
        return self._get_batches_of_transformed_samples(index_array)

    next = __next__

    def _get_batches_of_transformed_samples(self, index_array):
        raise NotImplementedError("Iterator subclasses define how a batch is made")


class NumpyArrayIterator(Iterator):
    """``ImageDataGenerator.flow``'s iterator over a rank-4 array (and labels, weights)."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False,
                 sample_weight=None, seed=None, data_format=None, save_to_dir=None,
                 dtype=None, **kwargs):
        if save_to_dir is not None:
            raise ValueError("save_to_dir writes images with Pillow; minitf's flow does not "
                             "save augmented images")
        if kwargs.get("subset") is not None:
            raise ValueError("`subset` needs `validation_split`, which minitf's "
                             "ImageDataGenerator does not support")
        if y is not None and len(x) != len(y):
            raise ValueError("`x` (images tensor) and `y` (labels) should have the same "
                             f"length. Found: x.shape = {np.asarray(x).shape}, y.shape = "
                             f"{np.asarray(y).shape}")
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError("`x` (images tensor) and `sample_weight` should have the same "
                             f"length. Found: x.shape = {np.asarray(x).shape}, "
                             f"sample_weight.shape = {np.asarray(sample_weight).shape}")
        self.dtype = dtype or _floatx()
        self.x = np.asarray(x, dtype=self.dtype)
        if self.x.ndim != 4:
            raise ValueError("Input data in `NumpyArrayIterator` should have rank 4. You "
                             f"passed an array with shape {self.x.shape}")
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.data_format = _data_format(data_format)
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        gen = self.image_data_generator
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            x = self.x[j]
            params = gen.get_random_transform(x.shape)
            x = gen.apply_transform(x.astype(self.dtype), params)
            batch_x[i] = gen.standardize(x)
        if self.y is None:
            return batch_x
        out = (batch_x, self.y[index_array])
        if self.sample_weight is not None:
            out += (self.sample_weight[index_array],)
        return out


def _unfit(what):
    """Keras only warns (and skips the step) when a fit-dependent option was never fit."""
    warnings.warn(f"This ImageDataGenerator specifies `{what}`, but it hasn't been fit on any "
                  "training data. Fit it first by calling `.fit(numpy_data)`.", stacklevel=3)


class ImageDataGenerator:
    """Real-time image augmentation / normalization for rank-4 image batches."""

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None,
                 shear_range=0.0, zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest",
                 cval=0.0, horizontal_flip=False, vertical_flip=False, rescale=None,
                 preprocessing_function=None, data_format=None, validation_split=0.0,
                 dtype=None, interpolation_order=1):
        # interpolation_order comes after dtype (tf_keras puts it before) so TF 1.15's
        # positional order is kept.
        if isinstance(zoom_range, (float, int)):
            zoom = [1 - zoom_range, 1 + zoom_range]
        elif len(zoom_range) == 2 and all(isinstance(v, (float, int)) for v in zoom_range):
            zoom = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError("`zoom_range` should be a float or a tuple or list of two "
                             f"floats. Received: {zoom_range}")
        given = dict(rotation_range=rotation_range, width_shift_range=width_shift_range,
                     height_shift_range=height_shift_range, shear_range=shear_range,
                     zoom_range=zoom_range)
        for name in _SCIPY_ARGS:
            value = given[name]
            if np.any(np.asarray(value) != 0) and not (name == "zoom_range" and zoom == [1, 1]):
                # Refused here rather than at the first batch, as before scipy was used.
                try:
                    _ndimage(f"ImageDataGenerator({name}={value!r})")
                except ImportError as e:
                    raise ValueError(str(e)) from e
        if brightness_range is not None:
            if not isinstance(brightness_range, (tuple, list)) or len(brightness_range) != 2:
                raise ValueError("`brightness_range should be tuple or list of two floats. "
                                 f"Received: {brightness_range}")
            try:
                _image_enhance(f"ImageDataGenerator(brightness_range={brightness_range!r})")
            except ImportError as e:
                raise ValueError(str(e)) from e
        if validation_split:
            raise ValueError("validation_split is not supported by minitf's "
                             "ImageDataGenerator; split the arrays before calling flow")
        if zca_whitening:
            if not featurewise_center:
                featurewise_center = True
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, which "
                              "overrides setting of `featurewise_center`.", stacklevel=2)
            if featurewise_std_normalization:
                featurewise_std_normalization = False
                warnings.warn("This ImageDataGenerator specifies `zca_whitening` which "
                              "overrides setting of`featurewise_std_normalization`.",
                              stacklevel=2)
        if featurewise_std_normalization and not featurewise_center:
            featurewise_center = True
            warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, "
                          "which overrides setting of `featurewise_center`.", stacklevel=2)
        if samplewise_std_normalization and not samplewise_center:
            samplewise_center = True
            warnings.warn("This ImageDataGenerator specifies `samplewise_std_normalization`, "
                          "which overrides setting of `samplewise_center`.", stacklevel=2)
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening, self.zca_epsilon = zca_whitening, zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range, self.height_shift_range = width_shift_range, height_shift_range
        self.shear_range = shear_range
        self.brightness_range = brightness_range
        self.interpolation_order = interpolation_order
        self.channel_shift_range = channel_shift_range
        self.fill_mode, self.cval = fill_mode, cval
        self.horizontal_flip, self.vertical_flip = horizontal_flip, vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.dtype = dtype or _floatx()
        self.data_format = _data_format(data_format)
        if self.data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        self.zoom_range = zoom
        self.mean = self.std = self.principal_components = None

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             save_to_dir=None, save_prefix="", save_format="png", subset=None):
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle,
                                  sample_weight=sample_weight, seed=seed,
                                  data_format=self.data_format, save_to_dir=save_to_dir,
                                  dtype=self.dtype, subset=subset)

    def standardize(self, x):
        """Normalizes one image (or a batch) in place: preprocessing_function, rescale,
        sample-wise then feature-wise statistics, ZCA."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        if self.featurewise_center:
            if self.mean is not None:
                x -= self.mean
            else:
                _unfit("featurewise_center")
        if self.featurewise_std_normalization:
            if self.std is not None:
                x /= self.std + 1e-6
            else:
                _unfit("featurewise_std_normalization")
        if self.zca_whitening:
            if self.principal_components is not None:
                flat = np.reshape(x, (-1, np.prod(x.shape[-3:])))
                x = np.reshape(flat @ self.principal_components, x.shape)
            else:
                _unfit("zca_whitening")
        return x

    @staticmethod
    def _shift(shift_range, size):
        """Keras' shift draw: an int or list range picks a value and a sign (two draws), a
        float range one uniform draw; ranges below 1 are fractions of ``size``."""
        try:
            t = np.random.choice(shift_range)
            t *= np.random.choice([-1, 1])
        except ValueError:  # a float range: np.random.choice wants an int or a 1-D array
            t = np.random.uniform(-shift_range, shift_range)
        if np.max(shift_range) < 1:
            t *= size
        return t

    def get_random_transform(self, img_shape, seed=None):
        """Keras' draws, in its order on ``np.random``: rotation, height shift, width shift,
        shear, both zooms, the two flip coins (drawn even when the flip is off), channel
        shift, brightness. A range that is off draws nothing."""
        if seed is not None:
            np.random.seed(seed)
        theta = 0
        if self.rotation_range:
            theta = np.random.uniform(-self.rotation_range, self.rotation_range)
        tx = ty = 0
        if self.height_shift_range:
            tx = self._shift(self.height_shift_range, img_shape[self.row_axis - 1])
        if self.width_shift_range:
            ty = self._shift(self.width_shift_range, img_shape[self.col_axis - 1])
        shear = 0
        if self.shear_range:
            shear = np.random.uniform(-self.shear_range, self.shear_range)
        zx = zy = 1
        if not (self.zoom_range[0] == 1 and self.zoom_range[1] == 1):
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = (np.random.random() < 0.5) * self.horizontal_flip
        flip_vertical = (np.random.random() < 0.5) * self.vertical_flip
        intensity = None
        if self.channel_shift_range != 0:
            intensity = np.random.uniform(-self.channel_shift_range, self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = np.random.uniform(self.brightness_range[0], self.brightness_range[1])
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": intensity, "brightness": brightness}

    def apply_transform(self, x, transform_parameters):
        """Keras' order: the affine transform (scipy), channel shift, flips, brightness
        (Pillow)."""
        p = transform_parameters
        x = apply_affine_transform(
            x, p.get("theta", 0), p.get("tx", 0), p.get("ty", 0), p.get("shear", 0),
            p.get("zx", 1), p.get("zy", 1), row_axis=self.row_axis - 1,
            col_axis=self.col_axis - 1, channel_axis=self.channel_axis - 1,
            fill_mode=self.fill_mode, cval=self.cval, order=self.interpolation_order)
        if p.get("channel_shift_intensity") is not None:
            x = apply_channel_shift(x, p["channel_shift_intensity"], self.channel_axis - 1)
        if p.get("flip_horizontal", False):
            x = flip_axis(x, self.col_axis - 1)
        if p.get("flip_vertical", False):
            x = flip_axis(x, self.row_axis - 1)
        if p.get("brightness") is not None:
            x = apply_brightness_shift(x, p["brightness"], False)
        return x

    def random_transform(self, x, seed=None):
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Feature-wise mean/std (per channel) and ZCA components from sample data, after
        ``rescale`` (tf_keras applies it here too)."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"Input to `.fit()` should have rank 4. Got array with shape: "
                             f"{x.shape}")
        if seed is not None:
            np.random.seed(seed)
        x = np.copy(x)
        if self.rescale:
            x *= self.rescale
        if augment:
            ax = np.zeros((rounds * x.shape[0],) + x.shape[1:], dtype=self.dtype)
            for r in range(rounds):
                for i in range(x.shape[0]):
                    ax[i + r * x.shape[0]] = self.random_transform(x[i])
            x = ax
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.reshape(np.mean(x, axis=(0, self.row_axis, self.col_axis)), shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.reshape(np.std(x, axis=(0, self.row_axis, self.col_axis)), shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            flat = np.reshape(x, (x.shape[0], -1))
            sigma = flat.T @ flat / flat.shape[0]
            u, s, _ = np.linalg.svd(sigma)
            s_inv = 1.0 / np.sqrt(s[np.newaxis] + self.zca_epsilon)
            self.principal_components = (u * s_inv) @ u.T
