"""TF1's gradient accumulators as Python classes: ``tf.ConditionalAccumulator``,
``tf.SparseConditionalAccumulator`` (``tf.ConditionalAccumulatorBase``), over
core/ops/accumulator_ops.py, building the ops tf.compat.v1 builds in graph mode: the resource
ops (ResourceConditionalAccumulator, ResourceAccumulator*) for the dense one, the
string-reference ops (SparseConditionalAccumulator, SparseAccumulator*, Accumulator*) for the
sparse one, with TF's node names (``conditional_accumulator_NumAccumulated``...).

Gradients applied with a ``local_step`` below the accumulator's global step are dropped; a take
waits until ``num_required`` gradients are in, gives their mean (``reduction_type="SUM"``:
their sum) and increments the global step. tf.train.SyncReplicasOptimizer is built on them.
"""

from __future__ import annotations

import collections

from . import dtypes as _dt
from .graph import Operation, Tensor, convert_to_tensor, name_scope
from .indexed_slices import IndexedSlices
from .ops import accumulator_ops as _a
from .ops.math_ops import cast
from .queues import _name_the_resource  # the kernel names its resource as TF does
from .tensor_shape import TensorShape, unknown_shape

__all__ = ["ConditionalAccumulator", "ConditionalAccumulatorBase", "SparseConditionalAccumulator"]


# What SparseConditionalAccumulator.take_grad returns, TF's generated op's output tuple.
SparseAccumulatorTakeGradient = collections.namedtuple(
    "SparseAccumulatorTakeGradient", ["indices", "values", "shape"])


def _int64(x) -> Tensor:
    """``math_ops.cast(x, int64)`` named as TF names it: a Python value becomes "Cast/x"."""
    if isinstance(x, Tensor) and x.dtype == _dt.int64:
        return x
    with name_scope(None, "Cast", [x] if isinstance(x, Tensor) else None) as scope:
        x = convert_to_tensor(x, name="x")
        return x if x.dtype == _dt.int64 else cast(x, _dt.int64, name=scope)


def _colocated(result, handle: Tensor):
    """TF places an op with a reference input next to that input's op (its ``_class`` attr
    names it): the sparse accumulator's ops, whose handle is a reference."""
    op = result if isinstance(result, Operation) else \
        (result[0] if isinstance(result, list) else result).op
    op._colocation = tuple(handle.op.colocation_groups())
    op._device = handle.op.device or op.device
    return result


class ConditionalAccumulatorBase:
    """An accumulator of gradients of ``dtype`` and ``shape`` behind ``accumulator_ref``;
    its methods build the ops on it."""

    def __init__(self, dtype, shape, accumulator_ref):
        self._dtype = dtype
        self._shape = TensorShape(shape) if shape is not None else unknown_shape()
        self._accumulator_ref = accumulator_ref
        self._name = accumulator_ref.op.name.split("/")[-1]

    accumulator_ref = property(lambda self: self._accumulator_ref,
                               doc="The underlying accumulator reference.")
    name = property(lambda self: self._name, doc="The name of the underlying accumulator.")
    dtype = property(lambda self: self._dtype,
                     doc="The datatype of the gradients accumulated by this accumulator.")

    _num_accumulated_op = _a.RESOURCE_ACCUMULATOR_NUM_ACCUMULATED
    _set_global_step_op = _a.RESOURCE_ACCUMULATOR_SET_GLOBAL_STEP

    def _on_handle(self, result):
        return result

    def num_accumulated(self, name=None):
        """An int32 scalar: the number of gradients in the accumulator now."""
        return self._on_handle(self._num_accumulated_op(
            self._accumulator_ref, name=name or f"{self._name}_NumAccumulated"))

    def set_global_step(self, new_global_step, name=None):
        """An op setting the accumulator's global step (gradients with a smaller local step
        are dropped from then on); setting a smaller one logs a warning, as TF."""
        step = _int64(convert_to_tensor(new_global_step))
        return self._on_handle(self._set_global_step_op(self._accumulator_ref, step, name=name))


class ConditionalAccumulator(ConditionalAccumulatorBase):
    """Accumulates dense gradients of one shape; ``take_grad`` gives their mean."""

    def __init__(self, dtype, shape=None, shared_name=None, name="conditional_accumulator",
                 reduction_type="MEAN"):
        dtype = _dt.as_dtype(dtype)
        ref = _a.RESOURCE_CONDITIONAL_ACCUMULATOR(
            dtype=dtype, shape=TensorShape(shape) if shape is not None else unknown_shape(),
            shared_name=shared_name or "", reduction_type=reduction_type, name=name)
        super().__init__(dtype, shape, _name_the_resource(ref))

    def apply_grad(self, grad, local_step=0, name=None):
        """An op adding ``grad`` (computed at ``local_step``) to the accumulator, or dropping
        it if it is stale. ValueError if its static shape is not the accumulator's."""
        grad = convert_to_tensor(grad, self._dtype)
        grad.shape.assert_is_compatible_with(self._shape)
        local_step = _int64(convert_to_tensor(local_step))
        return _a.RESOURCE_ACCUMULATOR_APPLY_GRADIENT(self._accumulator_ref, local_step, grad,
                                                      name=name)

    def take_grad(self, num_required, name=None):
        """The mean of the gradients once ``num_required`` are in (the run blocks until then);
        the count is reset and the global step incremented."""
        out = _a.RESOURCE_ACCUMULATOR_TAKE_GRADIENT(self._accumulator_ref, num_required,
                                                    dtype=self._dtype, name=name)
        out.set_shape(self._shape)
        return out


class SparseConditionalAccumulator(ConditionalAccumulatorBase):
    """Accumulates sparse gradients (IndexedSlices): rows of equal index are summed, and each
    row of the mean is divided by the number of gradients that had it."""

    _num_accumulated_op = _a.ACCUMULATOR_NUM_ACCUMULATED  # TF1 kept the reference ops here
    _set_global_step_op = _a.ACCUMULATOR_SET_GLOBAL_STEP

    def __init__(self, dtype, shape=None, shared_name=None,
                 name="sparse_conditional_accumulator", reduction_type="MEAN"):
        dtype = _dt.as_dtype(dtype)
        ref = _a.SPARSE_CONDITIONAL_ACCUMULATOR(
            dtype=dtype, shape=TensorShape(shape) if shape is not None else unknown_shape(),
            shared_name=shared_name or "", reduction_type=reduction_type, name=name)
        super().__init__(dtype, shape, _name_the_resource(ref))

    def _on_handle(self, result):
        return _colocated(result, self._accumulator_ref)

    def apply_indexed_slices_grad(self, grad: IndexedSlices, local_step=0, name=None):
        """``apply_grad`` of an IndexedSlices (its dense_shape, when known, is checked)."""
        return self.apply_grad(grad_indices=grad.indices, grad_values=grad.values,
                               grad_shape=grad.dense_shape, local_step=local_step, name=name)

    def apply_grad(self, grad_indices, grad_values, grad_shape=None, local_step=0, name=None):
        """An op adding the sparse gradient (row indices, their values, and optionally the
        dense shape) computed at ``local_step``, or dropping it if it is stale."""
        local_step = _int64(convert_to_tensor(local_step))
        return self._on_handle(_a.SPARSE_ACCUMULATOR_APPLY_GRADIENT(
            self._accumulator_ref, local_step, _int64(grad_indices), grad_values,
            _int64([] if grad_shape is None else grad_shape),
            has_known_shape=grad_shape is not None, name=name))

    def take_grad(self, num_required, name=None):
        """(indices, values, dense shape) of the mean once ``num_required`` gradients are in
        (the run blocks until then). The shape's first dimension is the accumulator's (-1 if
        unknown), the others the values'."""
        return SparseAccumulatorTakeGradient(*self._on_handle(
            _a.SPARSE_ACCUMULATOR_TAKE_GRADIENT(self._accumulator_ref, num_required,
                                                dtype=self._dtype, name=name)))

    def take_indexed_slices_grad(self, num_required, name=None) -> IndexedSlices:
        """``take_grad`` as an IndexedSlices."""
        indices, values, shape = self.take_grad(num_required, name=name)
        return IndexedSlices(indices=indices, values=values, dense_shape=shape)
