"""``tf.initializers``: TensorFlow 1.x's short names for the initializers, with ``identity``
(TF1's ``init_ops.Identity``) and ``tables_initializer``."""

from . import dtypes as _dt

from .init_ops import (constant_initializer as constant,
                       glorot_normal_initializer as glorot_normal,
                       glorot_uniform_initializer as glorot_uniform, he_normal, he_uniform,
                       lecun_normal, lecun_uniform, ones_initializer as ones,
                       orthogonal_initializer as orthogonal,
                       uniform_unit_scaling_initializer as uniform_unit_scaling,
                       random_normal_initializer as random_normal,
                       random_uniform_initializer as random_uniform,
                       truncated_normal_initializer as truncated_normal,
                       variance_scaling_initializer as variance_scaling,
                       zeros_initializer as zeros)
from .init_ops import Initializer as _Initializer
from .tensor_shape import TensorShape as _TensorShape
from .variables import tables_initializer
from .variables import (global_variables_initializer as global_variables,
                        local_variables_initializer as local_variables,
                        variables_initializer as variables)

__all__ = ["constant", "global_variables", "glorot_normal", "glorot_uniform", "he_normal",
           "he_uniform", "identity", "lecun_normal", "lecun_uniform", "local_variables", "ones",
           "orthogonal", "random_normal", "random_uniform", "tables_initializer",
           "truncated_normal", "uniform_unit_scaling", "variables", "variance_scaling", "zeros"]


class identity(_Initializer):  # noqa: N801 - TF's name for its init_ops.Identity
    """``gain`` times the identity matrix, for 2-D variables only. With ``partition_info``, the
    slice of the full matrix that the partition holds (as TF)."""

    def __init__(self, gain=1.0, dtype=_dt.float32):
        dtype = _dt.as_dtype(dtype)
        if not dtype.is_floating:
            raise ValueError(f"Argument `dtype` is expected to be floating point. Received: "
                             f"{dtype}.")
        self.gain, self.dtype = gain, dtype

    def __call__(self, shape, dtype=None, partition_info=None):
        from .composites import eye
        from .ops.slicing_ops import slice as slice_

        full_shape = shape if partition_info is None else partition_info.full_shape
        if len(full_shape) != 2:
            raise ValueError("The tensor to initialize, specified by argument `shape` must be "
                             f"at least two-dimensional. Received shape={shape}")
        if isinstance(full_shape, _TensorShape):
            full_shape = full_shape.as_list()
        matrix = eye(*full_shape, dtype=self._dtype(dtype))
        if partition_info is not None:
            matrix = slice_(matrix, partition_info.var_offset, shape)
        return self.gain * matrix

    def get_config(self) -> dict:
        return {"gain": self.gain, "dtype": self.dtype.name}
