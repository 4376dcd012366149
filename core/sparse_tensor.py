"""SparseTensor: TF1's (indices, values, dense_shape) triple of tensors.

It is not a Tensor and has no op of its own: ops that read one take its three tensors as inputs
(SparseToDense, SparseTensorDenseMatMul...), Session.run fetches it as a SparseTensorValue and
feeds it from one (or any 3-tuple), as TensorFlow 1.x does.
"""

from __future__ import annotations

import collections

import numpy as np

from . import dtypes as _dt
from .graph import Tensor, convert_to_tensor, name_scope
from .tensor_shape import TensorShape

# What Session.run returns for a fetched SparseTensor (and accepts as its feed).
SparseTensorValue = collections.namedtuple("SparseTensorValue",
                                           ["indices", "values", "dense_shape"])


class SparseTensor:
    """``values[i]`` sits at ``indices[i]`` (int64 ``[N, rank]``) of a tensor of shape
    ``dense_shape`` (int64 ``[rank]``); every other element is zero."""

    def __init__(self, indices, values, dense_shape):
        with name_scope(None, "SparseTensor", [indices, values, dense_shape]):
            indices = convert_to_tensor(indices, name="indices", dtype=_dt.int64)
            values = convert_to_tensor(values, name="values")
            dense_shape = convert_to_tensor(dense_shape, name="dense_shape", dtype=_dt.int64)
        if indices.shape.rank not in (None, 2):
            raise ValueError(f"SparseTensor indices must be a matrix, got shape "
                             f"{indices.shape}")
        if values.shape.rank not in (None, 1):
            raise ValueError(f"SparseTensor values must be a vector, got shape {values.shape}")
        if dense_shape.shape.rank not in (None, 1):
            raise ValueError(f"SparseTensor dense_shape must be a vector, got shape "
                             f"{dense_shape.shape}")
        # Static entry counts and ranks must agree (merge_with raises ValueError if not).
        rank = None
        if indices.shape.rank == 2 and values.shape.rank == 1:
            indices.shape[0].merge_with(values.shape[0])
        if indices.shape.rank == 2 and dense_shape.shape.rank == 1:
            rank = indices.shape[1].merge_with(dense_shape.shape[0]).value
        self._indices, self._values, self._dense_shape = indices, values, dense_shape
        from .graph import constant_value_as_shape  # the known part of a computed shape

        shape = constant_value_as_shape(dense_shape)
        if shape.rank is None and rank is not None:
            shape = TensorShape([None] * rank)
        self._shape = shape

    @classmethod
    def from_value(cls, value) -> SparseTensor:
        """A SparseTensor of constants from a SparseTensorValue (or a SparseTensor as is)."""
        if isinstance(value, SparseTensor):
            return value
        return cls(np.asarray(value.indices, np.int64), value.values,
                   np.asarray(value.dense_shape, np.int64))

    indices = property(lambda self: self._indices)
    values = property(lambda self: self._values)
    dense_shape = property(lambda self: self._dense_shape)
    dtype = property(lambda self: self._values.dtype)
    op = property(lambda self: self._values.op)
    graph = property(lambda self: self._values.graph)
    shape = property(lambda self: self._shape)

    def get_shape(self) -> TensorShape:
        return self._shape

    def set_shape(self, shape):
        """Refines the static dense shape (TF's SparseTensor.set_shape)."""
        shape = TensorShape(shape)
        if not self._shape.is_compatible_with(shape):
            raise ValueError(f"Shapes {self._shape} and {shape} are incompatible")
        self._shape = self._shape.merge_with(shape)

    def eval(self, feed_dict=None, session=None) -> SparseTensorValue:
        from .session import _eval_with

        return _eval_with(session, self, feed_dict, "tensor")

    def consumers(self):
        return self._values.consumers()

    def __repr__(self):
        return (f"SparseTensor(indices={self._indices!r}, values={self._values!r}, "
                f"dense_shape={self._dense_shape!r})")

    # Element-wise with a dense tensor (broadcast to the dense shape): the result is sparse,
    # with the same indices, as in TF.
    def __mul__(self, other):
        from .ops import sparse_ops

        return sparse_ops._cwise(self, other, "mul")

    def __truediv__(self, other):
        from .ops import sparse_ops

        return sparse_ops._cwise(self, other, "truediv")

    def __add__(self, other):
        from .ops import sparse_ops

        return sparse_ops.sparse_add(self, other)

    def __radd__(self, other):
        from .ops import sparse_ops

        return sparse_ops.sparse_add(other, self)

    def __neg__(self):
        from .ops import math_ops

        return SparseTensor(self._indices, math_ops.negative(self._values), self._dense_shape)


def convert_to_sparse(value, what: str = "sp_input") -> SparseTensor:
    """A SparseTensor, or one made of the constants of a SparseTensorValue; anything else is
    named in a TypeError (a dense tensor is not silently made sparse)."""
    if isinstance(value, SparseTensor):
        return value
    if isinstance(value, SparseTensorValue):
        return SparseTensor.from_value(value)
    raise TypeError(f"Input {what} must be a SparseTensor, got {type(value).__name__}: "
                    f"{value!r}")


def is_sparse(x) -> bool:
    return isinstance(x, (SparseTensor, SparseTensorValue))


def sparse_placeholder(dtype, shape=None, name=None) -> SparseTensor:
    """Placeholders for a SparseTensor fed from a SparseTensorValue: ``name/indices``,
    ``name/values`` and ``name/shape`` (a PlaceholderWithDefault of ``shape`` when it is
    given; ``None`` and -1 dims stay -1 in the default, as in TF)."""
    from .ops.array_ops import placeholder, placeholder_with_default

    sub = (lambda s: f"{name}/{s}") if name is not None else (lambda s: None)
    if shape is None:
        rank = None
        dense_shape = placeholder(_dt.int64, [None], name=sub("shape"))
        static = TensorShape(None)
    elif isinstance(shape, Tensor):
        from .graph import constant_value_as_shape

        rank = shape.shape[0].value if shape.shape.rank else None
        static = constant_value_as_shape(shape)
        dense_shape = placeholder_with_default(shape, shape.shape, name=sub("shape"))
    else:
        dims = [None if d is None or d == -1 else int(d) for d in TensorShape(shape).as_tuple()] \
            if not isinstance(shape, (list, tuple)) else \
            [None if d is None or d == -1 else int(d) for d in shape]
        rank, static = len(dims), TensorShape(dims)
        default = convert_to_tensor(np.array([-1 if d is None else d for d in dims], np.int64),
                                    name=sub("shape_default"))
        dense_shape = placeholder_with_default(default, [rank], name=sub("shape"))
    values = placeholder(dtype, [None], name=sub("values"))
    indices = placeholder(_dt.int64, [None, rank], name=sub("indices"))
    result = SparseTensor(indices, values, dense_shape)
    result._shape = static
    return result


__all__ = ["SparseTensor", "SparseTensorValue", "sparse_placeholder"]
