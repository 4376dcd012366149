"""Variable initializers (TF 1.x ``tf.*_initializer`` classes): callables building init ops."""

from __future__ import annotations

import math

import numpy as np

from . import dtypes as _dt
from .ops import array_ops, random_ops
from .tensor_shape import as_shape


class Initializer:
    """``init(shape, dtype=None, partition_info=None)`` returns a Tensor of that shape."""

    dtype = _dt.float32

    def __call__(self, shape, dtype=None, partition_info=None):
        raise NotImplementedError

    def get_config(self) -> dict:
        """The constructor's arguments (TF's: the dtype by name); ``{}`` when it takes none."""
        return {name: getattr(self, name) if name != "dtype" else self.dtype.name
                for name in self._config}

    _config = ()

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _dtype(self, dtype):
        return _dt.as_dtype(dtype if dtype is not None else self.dtype)


class Zeros(Initializer):
    _config = ("dtype",)

    def __init__(self, dtype=_dt.float32):
        self.dtype = _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return array_ops.zeros(shape, self._dtype(dtype))


class Ones(Initializer):
    _config = ("dtype",)

    def __init__(self, dtype=_dt.float32):
        self.dtype = _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return array_ops.ones(shape, self._dtype(dtype))


class Constant(Initializer):
    """Fills with ``value``: a scalar broadcasts; a shorter list repeats its last value (TF1)."""

    def __init__(self, value=0, dtype=_dt.float32, verify_shape=False):
        self.value = value
        self.dtype = _dt.as_dtype(dtype)
        self.verify_shape = verify_shape

    def __call__(self, shape, dtype=None, partition_info=None, verify_shape=None):
        return array_ops.constant(self.value, dtype=self._dtype(dtype), shape=shape,
                                  verify_shape=self.verify_shape if verify_shape is None
                                  else verify_shape)

    def get_config(self):
        return {"value": self.value, "dtype": self.dtype.name}


class RandomNormal(Initializer):
    _config = ("mean", "stddev", "seed", "dtype")

    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=_dt.float32):
        self.mean, self.stddev, self.seed, self.dtype = mean, stddev, seed, _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return random_ops.random_normal(shape, self.mean, self.stddev, self._dtype(dtype),
                                        seed=self.seed)


class RandomUniform(Initializer):
    _config = ("minval", "maxval", "seed", "dtype")

    def __init__(self, minval=0.0, maxval=None, seed=None, dtype=_dt.float32):
        self.minval, self.maxval, self.seed, self.dtype = minval, maxval, seed, _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return random_ops.random_uniform(shape, self.minval, self.maxval, self._dtype(dtype),
                                         seed=self.seed)


class TruncatedNormal(Initializer):
    _config = ("mean", "stddev", "seed", "dtype")

    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=_dt.float32):
        self.mean, self.stddev, self.seed, self.dtype = mean, stddev, seed, _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return random_ops.truncated_normal(shape, self.mean, self.stddev, self._dtype(dtype),
                                           seed=self.seed)


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix, the shape's leading dims flattened into rows: Q of the QR
    of a random normal matrix, its columns' signs fixed by R's diagonal, times ``gain``."""

    def __init__(self, gain=1.0, seed=None, dtype=_dt.float32):
        self.gain, self.seed, self.dtype = gain, seed, _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        from .ops import diag_ops, transform_ops, unary_ops
        from .ops.decomposition_ops import qr

        shape = as_shape(shape).as_list()
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        flat = (cols, rows) if rows < cols else (rows, cols)
        dtype = self._dtype(dtype)
        q, r = qr(random_ops.random_normal(flat, dtype=dtype, seed=self.seed))
        q = q * unary_ops.sign(diag_ops.matrix_diag_part(r))
        if rows < cols:
            q = transform_ops.transpose(q)
        return self.gain * array_ops.reshape(q, shape)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed, "dtype": self.dtype.name}


class UniformUnitScaling(Initializer):
    """Uniform in +-sqrt(3 / input size) * ``factor``, the input size being the product of all
    dims but the last (TF1's, which keeps a layer's activations' scale)."""

    def __init__(self, factor=1.0, seed=None, dtype=_dt.float32):
        self.factor, self.seed, self.dtype = factor, seed, _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        dims = as_shape(_scale_shape(shape, partition_info)).as_list()
        input_size = max(float(np.prod(dims[:-1])) if len(dims) > 1 else 1.0, 1.0)
        limit = math.sqrt(3 / input_size) * self.factor
        return random_ops.random_uniform(shape, -limit, limit, self._dtype(dtype),
                                         seed=self.seed)

    def get_config(self):
        return {"factor": self.factor, "seed": self.seed, "dtype": self.dtype.name}


def _scale_shape(shape, partition_info):
    """The shape a scaling initializer's scale comes from: a partitioned variable's whole
    shape, so that each part is drawn as a block of the whole would be (TF1)."""
    return shape if partition_info is None else partition_info.full_shape


def _compute_fans(shape):
    shape = as_shape(shape).as_list()
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(Initializer):
    """Samples with variance ``scale / n`` (n = fan_in, fan_out or their average)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 dtype=_dt.float32):
        if scale <= 0.0:
            raise ValueError("`scale` must be positive float.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: {mode}")
        distribution = distribution.lower()
        if distribution not in ("normal", "uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"Invalid `distribution` argument: {distribution}")
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.seed, self.dtype = seed, _dt.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = self._dtype(dtype)
        fan_in, fan_out = _compute_fans(_scale_shape(shape, partition_info))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        if self.distribution in ("normal", "truncated_normal"):
            # 0.879... is the stddev of a unit normal truncated to [-2, 2].
            stddev = math.sqrt(scale) / 0.87962566103423978
            return random_ops.truncated_normal(shape, 0.0, stddev, dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return random_ops.random_normal(shape, 0.0, math.sqrt(scale), dtype, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return random_ops.random_uniform(shape, -limit, limit, dtype, seed=self.seed)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed, "dtype": self.dtype.name}


class _Glorot(VarianceScaling):
    """TF1's GlorotUniform/GlorotNormal are classes: ``initializer=tf.glorot_uniform_initializer``
    (not called) is made by get_variable."""

    _distribution = "uniform"

    def __init__(self, seed=None, dtype=_dt.float32):
        super().__init__(1.0, "fan_avg", self._distribution, seed, dtype)

    def get_config(self):
        return {"seed": self.seed, "dtype": self.dtype.name}


class glorot_uniform_initializer(_Glorot):  # noqa: N801 - TF's name
    _distribution = "uniform"


class glorot_normal_initializer(_Glorot):  # noqa: N801 - TF's name
    _distribution = "truncated_normal"


def he_normal(seed=None):
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed=None):
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


def lecun_normal(seed=None):
    return VarianceScaling(1.0, "fan_in", "truncated_normal", seed)


def lecun_uniform(seed=None):
    return VarianceScaling(1.0, "fan_in", "uniform", seed)


zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_normal_initializer = RandomNormal
random_uniform_initializer = RandomUniform
truncated_normal_initializer = TruncatedNormal
variance_scaling_initializer = VarianceScaling
orthogonal_initializer = Orthogonal
uniform_unit_scaling_initializer = UniformUnitScaling
