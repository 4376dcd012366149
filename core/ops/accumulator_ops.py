"""TF1's gradient accumulators, behind core/accumulators.py: ResourceConditionalAccumulator and
the ops on its resource handle (ResourceAccumulatorApplyGradient, ResourceAccumulatorTakeGradient,
ResourceAccumulatorNumAccumulated, ResourceAccumulatorSetGlobalStep), which tf.compat.v1's
ConditionalAccumulator builds; SparseConditionalAccumulator and the ops on its string-reference
handle (SparseAccumulatorApplyGradient, SparseAccumulatorTakeGradient, AccumulatorNumAccumulated,
AccumulatorSetGlobalStep), which its SparseConditionalAccumulator still builds; and the older
reference-handle dense ops (ConditionalAccumulator, AccumulatorApplyGradient,
AccumulatorTakeGradient) that GraphDefs written by TF1 may hold.

An accumulator op outputs a handle (the ``Accumulator`` object itself), one per op and session,
kept in the session's per-op state as the queues' are. Semantics are TF's kernels'
(conditional_accumulator_base.cc): a gradient whose local_step is below the accumulator's global
step is dropped (before any check of it); a TakeGradient waits, behind the takes that came
before it, until ``num_required`` gradients are in, then gives their mean (or sum), resets the
count and increments the global step. As in TF the take completes in the run that applies the
last gradient it needs, so the next gradient already sees the new global step. A waiting take
is cancelled by Session.close() (CancelledError) or ends at the run's deadline
(DeadlineExceededError), as a blocked dequeue (core/ops/queue_ops.py ``Blocking``). The merge of
a sparse gradient's rows into the accumulated ones is in accumulator_merge.py.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .. import dtypes as _dt
from .. import tf_logging as logging
from ..errors import CancelledError, DeadlineExceededError, InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req
from ..tensor_shape import TensorShape, as_shape
from .accumulator_merge import merge_rows
from .queue_ops import Blocking, _shape_text, resource_in, resource_name

__all__: list[str] = []  # the public API lives in core/accumulators.py

# TF's "numbertype" (the list its message names); minitf has the ones it can hold in numpy.
_NUMBER_TYPES = ("float32, float64, int32, uint8, int16, int8, complex64, int64, qint8, quint8, "
                 "qint32, bfloat16, qint16, quint16, uint16, complex128, float16, uint32, uint64")
_NUMBER = {_dt.float32, _dt.float64, _dt.int32, _dt.uint8, _dt.int16, _dt.int8, _dt.complex64,
           _dt.int64, _dt.uint16, _dt.complex128, _dt.float16, _dt.uint32, _dt.uint64}

_KERNEL_TYPES = {_dt.float16, _dt.float32, _dt.float64}
_TF_ENUM_NAMES = {"float16": "HALF", "float32": "FLOAT", "float64": "DOUBLE"}


def _partial_text(shape: TensorShape) -> str:
    """PartialTensorShape::DebugString."""
    return "<unknown>" if shape.rank is None else _shape_text(shape.as_list())


def _divide(total: np.ndarray, count) -> np.ndarray:
    """``total / count`` in the gradient's (floating) dtype."""
    return (total / np.asarray(count, dtype=total.dtype)).astype(total.dtype, copy=False)


class Accumulator(Blocking):
    """One accumulator in one session: the count of gradients in it, its global step and the
    waiting takes, in arrival order (only the first is served, as TF's attempt queue)."""

    def __init__(self, name, dtype, shape, reduction_type):
        super().__init__()
        self.name, self.dtype, self.reduction_type = name, dtype, reduction_type
        self.shape = as_shape(shape)
        self.counter = 0
        self.global_step = 0
        self._takes: deque = deque()  # [num_required, result or None]

    def _dims(self):
        """TF's PartialTensorShape: (dims, dim sizes) with -1 for unknown rank or size."""
        if self.shape.rank is None:
            return -1, []
        return self.shape.rank, [-1 if d is None else d for d in self.shape.as_list()]

    def num_accumulated(self) -> np.int32:
        with self.cv:
            return np.int32(self.counter)

    def set_global_step(self, step: int):
        with self.cv:
            if step < self.global_step:
                logging.warning("Attempt to set current_global_step_ to smaller value: "
                                "current_global_step_ = %d >= %d = new_global_step.",
                                self.global_step, step)
            self.global_step = step

    def apply(self, local_step: int, grad):
        """Adds ``grad`` unless it is stale; a take it completes is served here."""
        with self.cv:
            try:
                if local_step >= self.global_step:
                    self._check(grad)
                    if self.counter == 0:
                        self._assign(grad)
                    else:
                        self._add(grad)
                    self.counter += 1
            finally:
                self._serve()

    def take(self, num_required: int):
        if num_required <= 0:
            raise InvalidArgumentError(None, None, "Argument num_required must be positive, "
                                       f"but was {num_required}")
        attempt = [num_required, None]
        with self.cv:
            if self.session_closed:
                raise CancelledError(None, None, "TakeGrad operation was cancelled")
            self._takes.append(attempt)
            self._serve()
            try:
                while attempt[1] is None:
                    self._wait("TakeGrad")
            except (CancelledError, DeadlineExceededError):
                if attempt[1] is None:
                    self._takes.remove(attempt)
                    self._serve()  # the takes behind it may be served now
                    raise
        return attempt[1]

    def _serve(self):
        served = False
        while self._takes and self.counter >= self._takes[0][0]:
            attempt = self._takes.popleft()
            self.global_step += 1
            attempt[1] = self._result(self.reduction_type == "MEAN")
            self.counter = 0
            served = True
        if served:
            self.cv.notify_all()


class DenseAccumulator(Accumulator):
    """TF's ConditionalAccumulator: the sum of dense gradients of one shape."""

    total: np.ndarray

    def _check(self, grad):
        if self.counter > 0 and self.total.shape != grad.shape:
            raise InvalidArgumentError(None, None, f"Shape mismatch: expected "
                                       f"{_shape_text(self.total.shape)}, got "
                                       f"{_shape_text(grad.shape)}")
        if not self.shape.is_compatible_with(TensorShape(grad.shape)):
            raise InvalidArgumentError(None, None, f"Shape mismatch: expected "
                                       f"{_partial_text(self.shape)}, got "
                                       f"{_shape_text(grad.shape)}")

    def _assign(self, grad):
        self.total = np.array(grad, dtype=self.dtype.as_numpy_dtype, copy=True)

    def _add(self, grad):
        np.add(self.total, grad, out=self.total)

    def _result(self, mean: bool):
        if mean:
            self.total = _divide(self.total, self.counter)
        return self.total


class SparseAccumulator(Accumulator):
    """TF's SparseConditionalAccumulator: indexed slices summed row by row (a merge of the
    index lists, which TF expects in increasing order, done as TF's kernel does it for any
    order), each row's mean taken over the gradients that had it."""

    def _check(self, grad):
        indices, values, shape = grad
        if indices.ndim != 1:
            raise InvalidArgumentError(None, None, "Input indices should be vector but received "
                                       f"shape: {_shape_text(indices.shape)}")
        if values.ndim == 0:
            raise InvalidArgumentError(None, None, "Values cannot be 0-dimensional.")
        if values.shape[0] != indices.shape[0]:
            raise InvalidArgumentError(None, None, f"Expected {indices.shape[0]} non-empty "
                                       f"input values, got {values.shape[0]}")
        dims, sizes = self._dims()
        if shape is not None:
            shape = shape.reshape(-1)
            if dims > shape.size:
                raise InvalidArgumentError(None, None, "Shape mismatch: expected shape rank at "
                                           f"least {dims}, got {shape.size}")
            for i in range(dims):
                if sizes[i] != -1 and sizes[i] != shape[i]:
                    raise InvalidArgumentError(None, None, f"Shape mismatch: expected shape dim "
                                               f"{i} to be {sizes[i]}, got {shape[i]}")
        if dims > 0 and sizes[0] != -1 and (indices >= sizes[0]).any():
            i = int(np.argmax(indices >= sizes[0]))  # the first, as TF's loop reports
            raise InvalidArgumentError(None, None, f"Shape mismatch: index of slice {i} exceeded "
                                       f"limits of shape; index is {indices[i]} exceeded "
                                       f"{sizes[0]}")
        if self.counter > 0:
            if self.values.ndim != values.ndim:
                raise InvalidArgumentError(None, None, "Shape mismatch: expected values rank "
                                           f"{self.values.ndim}, got {values.ndim}")
            for i in range(1, values.ndim):
                if self.values.shape[i] != values.shape[i]:
                    raise InvalidArgumentError(
                        None, None, f"Shape mismatch: expected values dim {i} to be "
                        f"{self.values.shape[i]}, got {values.shape[i]}")
        else:
            if dims > values.ndim:
                raise InvalidArgumentError(None, None, "Shape mismatch: expected values rank at "
                                           f"least {dims}, got {values.ndim}")
            for i in range(1, max(dims, 0)):
                if sizes[i] != -1 and sizes[i] != values.shape[i]:
                    raise InvalidArgumentError(None, None, f"Shape mismatch: expected values dim "
                                               f"{i} to be {sizes[i]}, got {values.shape[i]}")

    def _assign(self, grad):
        indices, values, _ = grad
        self.indices = np.array(indices, dtype=np.int64).reshape(-1)
        self.values = np.array(values, dtype=self.dtype.as_numpy_dtype, copy=True)
        self.counts = np.ones(self.indices.size, np.int64)

    def _add(self, grad):
        """TF's merge (``merge_rows``): rows of equal index meeting in it are summed."""
        indices, values = np.asarray(grad[0], np.int64).reshape(-1), grad[1]
        at_old, at_new, size = merge_rows(self.indices, indices)
        if size == self.indices.size:  # every new row meets an old one: add in place
            self.values[at_new] += values
            self.counts[at_new] += 1
            return
        paired = np.zeros(size, bool)
        paired[at_old] = True
        paired = paired[at_new]  # per new row: it meets an old one
        merged = np.empty((size,) + self.values.shape[1:], self.values.dtype)
        merged[at_old] = self.values
        merged[at_new[~paired]] = values[~paired]
        merged[at_new[paired]] += values[paired]  # each merged row once: no np.add.at needed
        merged_indices, counts = np.empty(size, np.int64), np.zeros(size, np.int64)
        merged_indices[at_old], merged_indices[at_new] = self.indices, indices
        counts[at_old] = self.counts
        counts[at_new] += 1
        self.indices, self.values, self.counts = merged_indices, merged, counts

    def _result(self, mean: bool):
        if mean and self.counts.size:
            counts = self.counts.reshape((-1,) + (1,) * (self.values.ndim - 1))
            self.values = _divide(self.values, counts)
        dims, sizes = self._dims()
        shape = [sizes[0] if dims > 0 else -1] + list(self.values.shape[1:])
        return [self.indices, self.values, np.array(shape, dtype=np.int64)]


# -- the accumulator ops -------------------------------------------------------------------------
def _accumulator_def(op_type, kind, handle_dtype, doc):
    def kernel(state, *, dtype, shape, container, shared_name, reduction_type,
               _node_name=None):
        if dtype not in _KERNEL_TYPES:  # the OpDef allows any number type; TF's kernels do not
            raise InvalidArgumentError(None, None, f"No OpKernel was registered to support Op "
                                       f"'{op_type}' with these attrs: [dtype="
                                       f"DT_{_TF_ENUM_NAMES.get(dtype.name, dtype.name.upper())}"
                                       "]; its kernels take dtype in [DT_DOUBLE, DT_FLOAT, "
                                       "DT_HALF]")
        return resource_in(state, lambda: kind(
            resource_name(shared_name, _node_name, op_type), dtype, shape, reduction_type))

    def infer(*, dtype, shape, container, shared_name, reduction_type, _node_name=None):
        if dtype not in _NUMBER:
            raise TypeError(f"Value passed to parameter 'dtype' has DataType {dtype.name} not "
                            f"in list of allowed values: {_NUMBER_TYPES}")
        if reduction_type not in ("MEAN", "SUM"):
            raise ValueError(f"Attr 'reduction_type' of '{op_type}' Op passed string "
                             f"'{reduction_type}' not in: \"MEAN\", \"SUM\".")
        return [TensorSpec(TensorShape([2]), handle_dtype)]  # TF's: a vector of 2

    return register(OpDef(
        op_type, attrs={"dtype": req("type"), "shape": req("shape"), "container": "",
                        "shared_name": "", "reduction_type": "MEAN"},
        kernel=kernel, infer=infer, grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
        doc=doc))


RESOURCE_CONDITIONAL_ACCUMULATOR = _accumulator_def(
    "ResourceConditionalAccumulator", DenseAccumulator, _dt.resource,
    "A dense gradient accumulator's resource handle.")
CONDITIONAL_ACCUMULATOR = _accumulator_def(
    "ConditionalAccumulator", DenseAccumulator, _dt.string,
    "A dense gradient accumulator's reference handle (TF1's older op).")
SPARSE_CONDITIONAL_ACCUMULATOR = _accumulator_def(
    "SparseConditionalAccumulator", SparseAccumulator, _dt.string,
    "A sparse (IndexedSlices) gradient accumulator's reference handle.")


def _scalar(spec):
    if spec.shape.rank not in (None, 0):
        raise InvalidArgumentError(None, None, f"Shape must be rank 0 but is rank "
                                   f"{spec.shape.rank}")


def _scalar_value(value, what) -> int:
    value = np.asarray(value)
    if value.ndim != 0:
        raise InvalidArgumentError(None, None, f"Argument {what} must be scalar, but had bad "
                                   f"shape {_shape_text(value.shape)}")
    return int(value)


def _check_signature(acc, dtype, inputs, output=False):
    """TF's MatchSignature: the op's dtype (at "T" in ``inputs``, or its output) must be the
    accumulator's."""
    if dtype != acc.dtype:
        def text(d):
            names = ", ".join(_dt.dtype_string(d) if n == "T" else n for n in inputs)
            return names + (f"->{_dt.dtype_string(d)}" if output else "")
        raise InvalidArgumentError(None, None, f"Signature mismatch, have: {text(dtype)} "
                                   f"expected: {text(acc.dtype)}")


def _handle(ref: bool) -> tuple:
    return ("handle:string", "string_ref") if ref else ("handle:resource", "resource")


def _apply_def(op_type, ref):
    arg, name = _handle(ref)

    def kernel(acc, local_step, gradient):
        gradient = np.asarray(gradient)
        _check_signature(acc, _dt.as_dtype(gradient.dtype), (name, "int64", "T"))
        acc.apply(_scalar_value(local_step, "local_step"), gradient)
        return ()

    def infer(handle, local_step, gradient):
        _scalar(local_step)
        return []

    return register(OpDef(
        op_type, inputs=[arg, "local_step:int64", "gradient:dtype"], kernel=kernel,
        infer=infer, grad=NOT_DIFFERENTIABLE, stateful=True,
        doc="Adds a dense gradient to the accumulator unless it is stale."))


def _take_def(op_type, ref, sparse=False):
    arg, name = _handle(ref)

    def kernel(acc, num_required, *, dtype):
        _check_signature(acc, dtype, (name, "int32"), output=True)
        return acc.take(_scalar_value(num_required, "num_required"))

    def infer(handle, num_required, *, dtype):
        _scalar(num_required)
        if sparse:  # TF's shape function gives all three unknown (not even vectors)
            return [TensorSpec(TensorShape(None), _dt.int64), TensorSpec(TensorShape(None), dtype),
                    TensorSpec(TensorShape(None), _dt.int64)]
        return [TensorSpec(TensorShape(None), dtype)]  # the shape is the Python class's

    return register(OpDef(
        op_type, inputs=[arg, "num_required:int32"], attrs={"dtype": req("type")},
        kernel=kernel, infer=infer, grad=NOT_DIFFERENTIABLE, stateful=True,
        doc="Waits for num_required gradients; gives their mean (or sum)" +
            (" as (indices, values, dense shape)." if sparse else ".")))


def _num_accumulated_def(op_type, ref):
    return register(OpDef(
        op_type, inputs=[_handle(ref)[0]], kernel=lambda acc: acc.num_accumulated(),
        infer=lambda handle: [TensorSpec(TensorShape([]), _dt.int32)],
        grad=NOT_DIFFERENTIABLE, stateful=True,
        doc="The number of gradients in the accumulator."))


def _set_global_step_kernel(acc, new_global_step):
    acc.set_global_step(_scalar_value(new_global_step, "new_global_step"))
    return ()


def _set_global_step_infer(handle, new_global_step):
    _scalar(new_global_step)
    return []


def _set_global_step_def(op_type, ref):
    return register(OpDef(
        op_type, inputs=[_handle(ref)[0], "new_global_step:int64"],
        kernel=_set_global_step_kernel, infer=_set_global_step_infer, grad=NOT_DIFFERENTIABLE,
        stateful=True,
        doc="Sets the accumulator's global step (gradients computed before it are stale)."))


RESOURCE_ACCUMULATOR_APPLY_GRADIENT = _apply_def("ResourceAccumulatorApplyGradient", False)
RESOURCE_ACCUMULATOR_TAKE_GRADIENT = _take_def("ResourceAccumulatorTakeGradient", False)
RESOURCE_ACCUMULATOR_NUM_ACCUMULATED = _num_accumulated_def(
    "ResourceAccumulatorNumAccumulated", False)
RESOURCE_ACCUMULATOR_SET_GLOBAL_STEP = _set_global_step_def(
    "ResourceAccumulatorSetGlobalStep", False)
ACCUMULATOR_APPLY_GRADIENT = _apply_def("AccumulatorApplyGradient", True)
ACCUMULATOR_TAKE_GRADIENT = _take_def("AccumulatorTakeGradient", True)
ACCUMULATOR_NUM_ACCUMULATED = _num_accumulated_def("AccumulatorNumAccumulated", True)
ACCUMULATOR_SET_GLOBAL_STEP = _set_global_step_def("AccumulatorSetGlobalStep", True)


def _sparse_apply_kernel(acc, local_step, indices, values, shape, *, has_known_shape):
    values = np.asarray(values)
    _check_signature(acc, _dt.as_dtype(values.dtype),
                     ("string_ref", "int64", "int64", "T", "int64"))
    acc.apply(_scalar_value(local_step, "local_step"),
              (np.asarray(indices), values, np.asarray(shape) if has_known_shape else None))
    return ()


def _sparse_apply_infer(handle, local_step, indices, values, shape, *, has_known_shape):
    _scalar(local_step)
    return []


SPARSE_ACCUMULATOR_APPLY_GRADIENT = register(OpDef(
    "SparseAccumulatorApplyGradient",
    inputs=["handle:string", "local_step:int64", "gradient_indices:int64",
            "gradient_values:dtype", "gradient_shape:int64"],
    attrs={"has_known_shape": req("bool")}, kernel=_sparse_apply_kernel,
    infer=_sparse_apply_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Adds indexed slices to the sparse accumulator unless they are stale."))
SPARSE_ACCUMULATOR_TAKE_GRADIENT = _take_def("SparseAccumulatorTakeGradient", True, sparse=True)
