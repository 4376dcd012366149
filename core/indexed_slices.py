"""IndexedSlices: TF1's sparse gradient. A gather's gradient touches only the rows it read, so
it is kept as (values, indices) until something needs it dense; optimizers with sparse kernels
(Momentum, RMSProp, Adadelta) then update only those rows, as TensorFlow's do."""

from __future__ import annotations

import collections

from .tensor_shape import TensorShape

# What Session.run returns for a fetched IndexedSlices.
IndexedSlicesValue = collections.namedtuple("IndexedSlicesValue",
                                            ["values", "indices", "dense_shape"])


class IndexedSlices:
    """Rows ``indices`` of a tensor of shape ``dense_shape`` hold ``values`` (row i of values
    goes to row ``indices[i]``; repeated indices add up)."""

    def __init__(self, values, indices, dense_shape=None):
        self._values = values
        self._indices = indices
        self._dense_shape = dense_shape
        self._static_shape = _shape_held_by(dense_shape)
        self._dense = None  # the dense tensor, made once on first need

    @property
    def values(self):
        return self._values

    @property
    def indices(self):
        return self._indices

    @property
    def dense_shape(self):
        return self._dense_shape

    @property
    def dtype(self):
        return self._values.dtype

    @property
    def name(self) -> str:
        return self._values.name

    @property
    def op(self):
        return self._values.op

    @property
    def graph(self):
        return self._values.graph

    @property
    def device(self) -> str:
        return ""

    @property
    def shape(self) -> TensorShape:
        """The dense tensor's static shape, as far as it is known."""
        return self._static_shape

    def _with_static_shape(self, shape) -> IndexedSlices:
        self._static_shape = TensorShape(shape)
        return self

    def _with_values(self, values) -> IndexedSlices:
        """The same rows and dense shape with other values (clipped, cast, negated...)."""
        return IndexedSlices(values, self._indices, self._dense_shape)._with_static_shape(
            self._static_shape)

    def __neg__(self):
        from .ops import math_ops

        return self._with_values(math_ops.negative(self._values))

    def _as_tensor(self):
        """The dense tensor (used wherever a Tensor is needed): the values added into their
        rows, as TF1 converts an IndexedSlices. Made once: conversions share it."""
        if self._dense is not None:
            return self._dense
        if self._dense_shape is None:
            raise ValueError(f"Tensor conversion requested for IndexedSlices without "
                             f"dense_shape: {self!r}")
        from .ops import gather_ops

        dims = self._static_shape.as_tuple()
        rows = dims[0] if dims and dims[0] is not None else self._dense_shape[0]
        with self.graph.as_default():
            dense = gather_ops.unsorted_segment_sum(self._values, self._indices, rows)
        dense.set_shape(self._static_shape)  # the values may know less than the dense tensor
        self._dense = dense
        return dense

    def __repr__(self):
        shape = "None" if self._dense_shape is None else self._dense_shape.name
        return (f"IndexedSlices(indices={self._indices.name}, values={self._values.name}, "
                f"dense_shape={shape})")


def _shape_held_by(dense_shape) -> TensorShape:
    """The static shape a dense_shape tensor is known to hold (TF's IndexedSlices.shape reads
    it with constant_value_as_shape: a constant gives all of it, tf.shape(x) what x knows)."""
    from .graph import Tensor

    if not isinstance(dense_shape, Tensor):
        return TensorShape(None)
    from .tensor_conversion import constant_value_as_shape

    return constant_value_as_shape(dense_shape)


__all__ = ["IndexedSlices", "IndexedSlicesValue"]
