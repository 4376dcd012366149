"""TF1's TensorArray ops (TensorArrayV3, ...WriteV3, ScatterV3, SplitV3, ReadV3, GatherV3,
ConcatV3, GradV3, SizeV3, CloseV3): the per-run storage their handle is (``_Elements``), their
kernels and shape functions, and their gradients by TF1's rules. The ``TensorArray`` wrapper
that builds them is in tensor_array_ops.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, UnimplementedError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req
from ..tensor_shape import TensorShape

if TYPE_CHECKING:
    from .tensor_array_ops import TensorArray


class _Elements:
    """One TensorArray's elements during one run (TF's per-step resource)."""

    __slots__ = ("name", "dtype", "values", "dynamic", "clear_after_read", "element_shape",
                 "identical", "cleared", "aggregate", "grads", "shapes", "checked")

    def __init__(self, name, size, dtype, element_shape, dynamic, clear_after_read, identical,
                 aggregate=False):
        self.name = name
        self.dtype = dtype
        self.values = [None] * size
        self.dynamic = dynamic
        self.clear_after_read = clear_after_read
        self.element_shape = element_shape
        self.identical = identical  # infer_shape: every element has the first one's shape
        self.cleared: set = set()
        self.aggregate = aggregate  # a gradient array: a second write to an element adds
        self.grads: dict = {}  # gradient source -> this array's gradient array
        self.shapes: dict = {}  # index -> the shape written there (kept after a clearing read)
        self.checked = None  # the last element shape found compatible (a loop writes one shape)

    def grad(self, source: str) -> _Elements:
        """The gradient array for ``source`` (one per tf.gradients call), made on first use:
        the same size and element shape; writes to one element add up."""
        g = self.grads.get(source)
        if g is None:
            g = self.grads[source] = _Elements(f"{self.name}@{source}", len(self.values),
                                               self.dtype, self.element_shape, self.dynamic,
                                               True, False, aggregate=True)
            g.shapes = dict(self.shapes)  # an element no gradient reached reads as zeros
        return g

    def error(self, message: str) -> InvalidArgumentError:
        return InvalidArgumentError(None, None, f"TensorArray {self.name}: {message}")

    def unimplemented(self, message: str) -> UnimplementedError:
        return UnimplementedError(None, None, f"TensorArray {self.name}: {message}")

    def write(self, index: int, value):
        # A string element arrives as bytes (an unstacked row, an Add's result): an object
        # array like every string tensor, not numpy's fixed-width bytes.
        value = np.asarray(value, dtype=object if self.dtype == _dt.string else None)
        if value.dtype != np.dtype(self.dtype.as_numpy_dtype):
            raise self.error(f"TensorArray dtype is {self.dtype.name} but Op is trying to write "
                             f"dtype {_dt.from_numpy(value).name}.")
        size = len(self.values)
        if index < 0 or (not self.dynamic and index >= size):
            raise self.error(f"Tried to write to index {index} but array is not resizeable "
                             f"and size is: {size}")
        if index >= size:
            self.values.extend([None] * (index + 1 - size))
        if self.aggregate and self.values[index] is not None:
            if self.values[index].shape != value.shape:
                raise self.error(f"Could not aggregate to TensorArray index {index} because "
                                 f"the existing shape is {_dims(self.values[index].shape)} but "
                                 f"the new input shape is {_dims(value.shape)}.")
            self.values[index] = self.values[index] + value
            return
        if self.values[index] is not None or index in self.cleared:
            raise self.error(f"Could not write to TensorArray index {index} because it has "
                             "already been written to.")
        if value.shape != self.checked:
            if not self.element_shape.is_compatible_with(value.shape):
                raise self.error(f"Could not write to TensorArray index {index} because the "
                                 f"value shape is {_dims(value.shape)} which is incompatible "
                                 "with the TensorArray's inferred element shape: "
                                 f"{self.element_shape.debug_string()} (consider setting "
                                 "infer_shape=False).")
            if self.identical:
                self.element_shape = self.element_shape.merge_with(TensorShape(value.shape))
            self.checked = value.shape
        self.values[index] = value
        self.shapes[index] = value.shape

    def read(self, index: int, element_shape: TensorShape):
        size = len(self.values)
        if index < 0 or index >= size:
            raise self.error(f"Tried to read from index {index} but array size is: {size}")
        if index in self.cleared:
            raise self.error(f"Could not read index {index} twice because it was cleared after "
                             "a previous read (perhaps try setting clear_after_read = false?).")
        value = self.values[index]
        if value is None and index in self.shapes and self.aggregate:
            return np.zeros(self.shapes[index], self.dtype.as_numpy_dtype)
        if value is None:
            shape = self.element_shape.merge_with(element_shape) \
                if self.element_shape.is_compatible_with(element_shape) else element_shape
            if not shape.is_fully_defined():
                raise self.error(f"Could not read from TensorArray index {index} because it "
                                 "has not yet been written to, and its element shape "
                                 f"{shape.debug_string()} is not fully defined (with one, the "
                                 "read gives zeros).")
            return np.zeros(shape.as_list(), self.dtype.as_numpy_dtype)
        if self.clear_after_read:
            self.values[index] = None
            self.cleared.add(index)
        return value


def _dims(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _index(i) -> int:
    i = np.asarray(i)
    if i.shape != ():
        raise InvalidArgumentError(None, None, f"TensorArray index must be a scalar, got shape "
                                   f"{list(i.shape)}")
    return int(i)


def _indices(i) -> list:
    i = np.asarray(i)
    if i.ndim != 1:
        raise InvalidArgumentError(None, None, "TensorArray indices must be a vector, got "
                                   f"shape {list(i.shape)}")
    return [int(k) for k in i]


def _flow():
    return np.float32(0.0)


# -- gradients: TF1's rules. A read's gradient is a write to the array's gradient array, a
# write's a read from it (and so for gather/scatter, concat/split); the flow's gradient orders
# them as the forward flow ordered the forward ops.
def _grad_array(op, flow, grad) -> TensorArray:
    """The gradient array of op's array for ``grad``'s tf.gradients call, as a TensorArray
    whose flow is ``flow``."""
    from .tensor_array_ops import TensorArray  # the wrapper builds these ops: imported late

    dtype = op._attrs.get("dtype") or op._attrs["T"]
    forward = TensorArray(dtype, handle=op.inputs[0], flow=op.inputs[-1])
    return forward.grad(_grad_source(grad), flow)


def _grad_source(grad) -> str:
    """Which tf.gradients call a gradient belongs to: its name up to the last scope named
    "gradients..." (TF1's rule), e.g. "opt1/gradients"."""
    tokens = grad.op.name.split("/")
    marks = [i for i, t in enumerate(tokens) if t.startswith("gradients")]
    if not marks:
        raise ValueError(f"Failed to compute gradient source from op name {grad.op.name}: a "
                         "TensorArray's gradient is built by tf.gradients with a name "
                         "starting with 'gradients'")
    return "/".join(tokens[:marks[-1] + 1])


def _read_grad(op, grad):
    g = _grad_array(op, op.inputs[2], grad).write(op.inputs[1], grad)
    return [None, None, g.flow]


def _write_grad(op, flow_grad):
    return [None, None, _grad_array(op, flow_grad, flow_grad).read(op.inputs[1]), flow_grad]


def _gather_grad(op, grad):
    g = _grad_array(op, op.inputs[2], grad).scatter(op.inputs[1], grad)
    return [None, None, g.flow]


def _scatter_grad(op, flow_grad):
    return [None, None, _grad_array(op, flow_grad, flow_grad).gather(op.inputs[1]),
            flow_grad]


def _concat_grad(op, grad, _lengths):
    g = _grad_array(op, op.inputs[1], grad).split(grad, op.outputs[1])
    return [None, g.flow]


def _split_grad(op, flow_grad):
    return [None, _grad_array(op, flow_grad, flow_grad).concat(), None, flow_grad]


def _scalar_int(what: str, spec):
    if spec.shape.rank not in (None, 0):
        raise InvalidArgumentError(None, None, f"{what} must be a scalar, but it has shape "
                                   f"{spec.shape}")


_FLOW = TensorSpec(TensorShape([]), _dt.float32)


# -- creation -------------------------------------------------------------------------------------
def _create_kernel(name, size, *, dtype, element_shape, dynamic_size, clear_after_read,
                   identical_element_shapes, tensor_array_name):
    n = _index(size)
    if n < 0:
        raise InvalidArgumentError(None, None, f"TensorArray {name}: size must be >= 0, got {n}")
    return _Elements(tensor_array_name or name, n, dtype, element_shape, dynamic_size,
                     clear_after_read, identical_element_shapes), _flow()


def _create_infer(size, *, dtype, element_shape, **_):
    _scalar_int("TensorArray size", size)
    return [TensorSpec(TensorShape([2]), _dt.resource), _FLOW]


TENSOR_ARRAY = register(OpDef(
    "TensorArrayV3", inputs=["size:int32"],
    attrs={"dtype": req("type"), "element_shape": TensorShape(None), "dynamic_size": False,
           "clear_after_read": True, "identical_element_shapes": False,
           "tensor_array_name": ""},
    kernel=_create_kernel, infer=_create_infer, grad=NOT_DIFFERENTIABLE,
    stateful=True, resource="name",
))


# -- writing --------------------------------------------------------------------------------------
def _write_kernel(ta, index, value, flow):
    ta.write(_index(index), value)
    return _flow()


def _write_infer(handle, index, value, flow):
    _scalar_int("TensorArray index", index)
    return [_FLOW]


TENSOR_ARRAY_WRITE = register(OpDef(
    "TensorArrayWriteV3", inputs=["handle:resource", "index:int32", "value:T", "flow_in:float"],
    kernel=_write_kernel, infer=_write_infer, grad=_write_grad, stateful=True,
))


def _scatter_kernel(ta, indices, value, flow):
    idx = _indices(indices)
    value = np.asarray(value)
    if value.ndim < 1 or value.shape[0] != len(idx):
        raise ta.error(f"Expected len(indices) == values.shape[0], but saw: {len(idx)} vs. "
                       f"{value.shape[0] if value.ndim else 'a scalar'}")
    for k, i in enumerate(idx):
        ta.write(i, value[k])
    return _flow()


TENSOR_ARRAY_SCATTER = register(OpDef(
    "TensorArrayScatterV3",
    inputs=["handle:resource", "indices:int32", "value:T", "flow_in:float"],
    kernel=_scatter_kernel, infer=lambda *_: [_FLOW], grad=_scatter_grad, stateful=True,
))


def _split_kernel(ta, value, lengths, flow):
    value = np.asarray(value)
    lengths = [int(n) for n in np.asarray(lengths).reshape(-1)]
    if value.ndim < 1:
        raise ta.error("Expected value to be at least a vector, but received shape: []")
    if sum(lengths) != value.shape[0]:
        raise ta.error("Expected sum of lengths to be equal to values.shape[0], but sum of "
                       f"lengths is {sum(lengths)} and value's shape is: {_dims(value.shape)}")
    if not ta.dynamic and len(lengths) != len(ta.values):
        raise ta.error(f"TensorArray's size is not equal to the size of lengths "
                       f"({len(ta.values)} vs. {len(lengths)}), and the TensorArray is not "
                       "marked as dynamically resizeable")
    start = 0
    for i, n in enumerate(lengths):
        ta.write(i, value[start:start + n])
        start += n
    return _flow()


TENSOR_ARRAY_SPLIT = register(OpDef(
    "TensorArraySplitV3",
    inputs=["handle:resource", "value:T", "lengths:int64", "flow_in:float"],
    kernel=_split_kernel, infer=lambda *_: [_FLOW], grad=_split_grad, stateful=True,
))


# -- reading --------------------------------------------------------------------------------------
def _read_kernel(ta, index, flow, *, dtype):
    return ta.read(_index(index), TensorShape(None))


def _read_infer(handle, index, flow, *, dtype):
    _scalar_int("TensorArray index", index)
    return [TensorSpec(TensorShape(None), dtype)]


TENSOR_ARRAY_READ = register(OpDef(
    "TensorArrayReadV3", inputs=["handle:resource", "index:int32", "flow_in:float"],
    attrs={"dtype": req("type")},
    kernel=_read_kernel, infer=_read_infer, grad=_read_grad, stateful=True,
))


def _stacked(ta, values, element_shape: TensorShape, what: str):
    if not values:
        if not element_shape.is_fully_defined():
            raise ta.unimplemented(f"TensorArray has size zero, but element shape "
                           f"{element_shape.debug_string()} is not fully defined. Currently "
                           f"only static shapes are supported when {what} zero-size "
                           "TensorArrays.")
        return np.zeros([0] + element_shape.as_list(), ta.dtype.as_numpy_dtype)
    for k, v in enumerate(values[1:], 1):
        if v.shape != values[0].shape:
            raise ta.error(f"TensorArray has inconsistent shapes.  Index 0 has shape: "
                           f"{_dims(values[0].shape)} but index {k} has shape: "
                           f"{_dims(v.shape)}")
    return np.stack(values)


def _gather_kernel(ta, indices, flow, *, dtype, element_shape):
    values = [ta.read(i, element_shape) for i in _indices(indices)]
    return _stacked(ta, values, element_shape, "packing")


def _gather_infer(handle, indices, flow, *, dtype, element_shape):
    n = indices.shape[0] if indices.shape.rank == 1 else None
    return [TensorSpec(TensorShape([n]).concatenate(element_shape), dtype)]


TENSOR_ARRAY_GATHER = register(OpDef(
    "TensorArrayGatherV3", inputs=["handle:resource", "indices:int32", "flow_in:float"],
    attrs={"dtype": req("type"), "element_shape": TensorShape(None)},
    kernel=_gather_kernel, infer=_gather_infer, grad=_gather_grad, stateful=True,
))


def _concat_kernel(ta, flow, *, dtype, element_shape_except0):
    values = [ta.read(i, TensorShape(None)) for i in range(len(ta.values))]
    for k, v in enumerate(values):
        if v.ndim == 0:
            raise ta.error(f"Concat saw a scalar shape at index {k} but requires at least "
                           "vectors.")
        if v.shape[1:] != values[0].shape[1:]:
            raise ta.error(f"TensorArray has inconsistent shapes.  Index 0 has shape: "
                           f"{_dims(values[0].shape)} but index {k} has shape: "
                           f"{_dims(v.shape)}")
    lengths = np.array([v.shape[0] for v in values], np.int64)
    if not values:
        if not element_shape_except0.is_fully_defined():
            raise ta.unimplemented("TensorArray has size zero, but element_shape_except0 "
                           f"{element_shape_except0.debug_string()} is not fully defined. "
                           "Currently only static shapes are supported when concatenating "
                           "zero-size TensorArrays.")
        return np.zeros([0] + element_shape_except0.as_list(), dtype.as_numpy_dtype), lengths
    return np.concatenate(values), lengths


def _concat_infer(handle, flow, *, dtype, element_shape_except0):
    return [TensorSpec(TensorShape([None]).concatenate(element_shape_except0), dtype),
            TensorSpec(TensorShape([None]), _dt.int64)]


TENSOR_ARRAY_CONCAT = register(OpDef(
    "TensorArrayConcatV3", inputs=["handle:resource", "flow_in:float"],
    attrs={"dtype": req("type"), "element_shape_except0": TensorShape(None)},
    kernel=_concat_kernel, infer=_concat_infer, grad=_concat_grad, stateful=True,
))


def _grad_kernel(ta, flow, *, source):
    return ta.grad(source), _flow()


TENSOR_ARRAY_GRAD = register(OpDef(
    "TensorArrayGradV3", inputs=["handle:resource", "flow_in:float"], attrs={"source": req(
        "string")},
    kernel=_grad_kernel,
    infer=lambda handle, flow, **_: [TensorSpec(TensorShape([2]), _dt.resource), _FLOW],
    grad=NOT_DIFFERENTIABLE, stateful=True,
))

TENSOR_ARRAY_SIZE = register(OpDef(
    "TensorArraySizeV3", inputs=["handle:resource", "flow_in:float"],
    kernel=lambda ta, flow: np.int32(len(ta.values)),
    infer=lambda handle, flow: [TensorSpec(TensorShape([]), _dt.int32)],
    grad=NOT_DIFFERENTIABLE, stateful=True,
))

TENSOR_ARRAY_CLOSE = register(OpDef(
    "TensorArrayCloseV3", inputs=["handle:resource"],
    kernel=lambda ta: (),
    infer=lambda handle: [],
    grad=NOT_DIFFERENTIABLE, stateful=True,
))
