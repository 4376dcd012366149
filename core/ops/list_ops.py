"""TF2's TensorList ops (TensorArray v2): TensorListReserve, EmptyTensorList,
TensorListFromTensor, TensorListGetItem, TensorListSetItem, TensorListStack, TensorListLength,
TensorListElementShape, TensorListResize, with their gradients by TF's rules
(tensorflow/python/ops/list_ops.py). PushBack/PopBack, gather, scatter, concat and split are in
list_gather_ops.py.

TF2 writes ``tf.TensorArray`` (and so keras' RNN loops) with these ops: a list is a scalar
``variant`` tensor, threaded through a while loop as a loop variable. Here that tensor's value
is a 0-d object array holding a ``TensorList``: an immutable Python object (TF's semantics are
value semantics: SetItem returns a new list, and a tuple of references is cheap to copy), so a
kernel never changes its input and a list fed to two ops cannot be seen half-written. Like a
resource handle it has no TensorProto encoding and never leaves the process.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape

__all__ = ["TensorList"]


class TensorList:
    """The value of a list tensor: ``elements`` is a tuple of arrays, None for an element not
    yet set (it reads as zeros when the element shape is known, as TF's); ``element_shape``
    the (possibly partial) shape every element must be compatible with; ``max_num_elements``
    the capacity PushBack enforces (-1: none)."""

    __slots__ = ("elements", "element_dtype", "element_shape", "max_num_elements")

    def __init__(self, elements, element_dtype, element_shape, max_num_elements=-1):
        self.elements = tuple(elements)
        self.element_dtype = _dt.as_dtype(element_dtype)
        self.element_shape = element_shape
        self.max_num_elements = max_num_elements

    def replace(self, elements) -> TensorList:
        """A new list with these elements and this list's dtype, shape and capacity."""
        return TensorList(elements, self.element_dtype, self.element_shape,
                          self.max_num_elements)

    def __len__(self):
        return len(self.elements)

    def zeros_like(self) -> TensorList:
        """The list of the elements' zeros (an element not set stays unset: it reads as
        zeros)."""
        return self.replace(None if e is None else np.zeros_like(e) for e in self.elements)

    def __add__(self, other: TensorList) -> TensorList:
        """Element-wise sum (TF's TensorListBinaryAdd), so AddN sums a list's gradients."""
        if not isinstance(other, TensorList):
            return NotImplemented
        if other.element_dtype != self.element_dtype:
            raise InvalidArgumentError(None, None, "Trying to add two lists of tensors of "
                                       "different dtypes. One is "
                                       f"{_dt.dtype_string(self.element_dtype)} and the other "
                                       f"is {_dt.dtype_string(other.element_dtype)}")
        if len(other) != len(self):
            raise InvalidArgumentError(None, None, "Trying to add two lists of tensors with "
                                       f"different lengths. One is {len(self)} and the other "
                                       f"is {len(other)}")
        return self.replace(b if a is None else a if b is None else a + b
                            for a, b in zip(self.elements, other.elements))

    def __repr__(self):
        unset = sum(e is None for e in self.elements)
        return (f"TensorList({len(self.elements)} x {self.element_dtype.name}"
                f"{self.element_shape.debug_string()}, {unset} unset)")


def scalar(value: TensorList) -> np.ndarray:
    """The scalar variant tensor holding ``value``."""
    out = np.empty((), dtype=object)
    out[()] = value
    return out


def list_of(value) -> TensorList:
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype == object:
        value = value[()]
    if not isinstance(value, TensorList):
        raise InvalidArgumentError(None, None, "Input handle is not a list. Saw: '"
                                   f"{type(value).__name__}'")
    return value


def shape_of(value) -> TensorShape:
    """A shape tensor's value as a partial shape: -1 (scalar) is the unknown rank, -1 in a
    vector an unknown dimension (TF's TensorShapeFromTensor)."""
    value = np.asarray(value)
    if value.ndim == 0:
        if int(value) != -1:
            raise InvalidArgumentError(None, None, "The only valid scalar shape tensor is the "
                                       "fully unknown shape specified as -1.")
        return TensorShape(None)
    if value.ndim != 1:
        raise InvalidArgumentError(None, None, "Shape must be at most rank 1 but is rank "
                                   f"{value.ndim}")
    return TensorShape([None if int(d) == -1 else int(d) for d in value])


def static_shape(spec: TensorSpec) -> TensorShape:
    """What a shape input is known to hold at graph construction."""
    value = spec.value
    if value is not None:
        try:
            return shape_of(value)
        except InvalidArgumentError as e:
            raise shape_error(e.message) from None
    if spec.shape.rank == 1:
        partial = spec.shape_value
        if partial is not None and partial.rank is not None:
            return partial
        if spec.shape[0].value is not None:
            return TensorShape([None] * spec.shape[0].value)
    return TensorShape(None)


def merge(a: TensorShape, b: TensorShape) -> TensorShape:
    if not a.is_compatible_with(b):
        raise InvalidArgumentError(None, None, "PartialTensorShape: Incompatible shapes during "
                                   f"merge: {a.debug_string()} vs. {b.debug_string()}")
    return a.merge_with(b)


def zeros(dtype, shape: TensorShape) -> np.ndarray:
    if dtype == _dt.string:
        return np.full(shape.as_list(), b"", dtype=object)
    return np.zeros(shape.as_list(), dtype.as_numpy_dtype)


def check_dtype(lst: TensorList, dtype):
    if _dt.as_dtype(dtype) != lst.element_dtype:
        raise InvalidArgumentError(None, None, f"Invalid data types; op elements "
                                   f"{_dt.dtype_string(_dt.as_dtype(dtype))} but list elements "
                                   f"{_dt.dtype_string(lst.element_dtype)}")


def as_element(value, dtype) -> np.ndarray:
    return np.asarray(value, dtype=object if dtype in (_dt.string, _dt.variant) else None)


def value_dtype(value: np.ndarray, expected=None):
    """The dtype of a kernel's input array. ``string`` and ``variant`` values are both numpy
    object arrays: the elements tell them apart (bytes or str for a string; a TensorList, an
    optional, ... for a variant), so a list of lists (what keras' RNN loops push under TF2's
    control flow v2) is checked as variant, not string. An empty object array shows neither:
    it is taken to be ``expected`` when that is one of the two."""
    if value.dtype != object:
        return _dt.from_numpy(value)
    if value.size == 0:
        return expected if expected in (_dt.string, _dt.variant) else _dt.string
    strings = [isinstance(v, (bytes, str)) for v in value.flat]
    if all(strings):
        return _dt.string
    if not any(strings):
        return _dt.variant
    raise InvalidArgumentError(None, None, "A tensor mixes strings and variant values; its "
                               "dtype is neither string nor variant")


def scalar_int(value, what: str) -> int:
    value = np.asarray(value)
    if value.shape != ():
        raise InvalidArgumentError(None, None, f"{what} must be a scalar, got shape "
                                   f"{list(value.shape)}")
    return int(value)


def matching_shape(lst: TensorList, element_shape, indices) -> TensorShape:
    """The shape of an unset element among ``indices``: the op's element_shape merged with the
    list's, then with every set element's (TF's GetMatchingElementShape)."""
    shape = merge(shape_of(element_shape), lst.element_shape)
    if not shape.is_fully_defined():
        for i in indices:
            if lst.elements[i] is not None:
                shape = merge(shape, TensorShape(lst.elements[i].shape))
    return shape


def dims(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def check_element(lst: TensorList, item: np.ndarray, what: str, shape_message: str):
    check_dtype(lst, value_dtype(item, lst.element_dtype))
    if not lst.element_shape.is_compatible_with(TensorShape(item.shape)):
        raise InvalidArgumentError(None, None, f"{shape_message}. {what} element shape: "
                                   f"{dims(item.shape)} list shape: "
                                   f"{lst.element_shape.debug_string()}")


# -- shape inference ------------------------------------------------------------------------------
_HANDLE = TensorSpec(TensorShape([]), _dt.variant)


def check_handle(handle: TensorSpec, what: str = "input_handle"):
    if handle.dtype != _dt.variant:
        raise shape_error(f"{what} must be a variant tensor (a TensorList), got "
                          f"{handle.dtype.name}")
    if not handle.shape.is_compatible_with(TensorShape([])):
        raise shape_error(f"{what} must be a scalar TensorList handle, got shape {handle.shape}")


def check_scalar(spec: TensorSpec, what: str):
    if spec.shape.rank not in (None, 0):
        raise shape_error(f"{what} must be a scalar, but it has shape {spec.shape}")


def handle_infer(handle, *rest, **_):
    check_handle(handle)
    return [_HANDLE]


# -- creation -------------------------------------------------------------------------------------
def _reserve_kernel(element_shape, num_elements, *, element_dtype):
    n = scalar_int(num_elements, "num_elements")
    if n < 0:
        raise InvalidArgumentError(None, None, "The num_elements to reserve must be a non "
                                   f"negative number, but got {n}")
    return scalar(TensorList((None,) * n, element_dtype, shape_of(element_shape)))


def _create_infer(element_shape, count, *, element_dtype):
    static_shape(element_shape)  # a bad constant shape fails at construction
    check_scalar(count, "num_elements")
    return [_HANDLE]


TENSOR_LIST_RESERVE = register(OpDef(
    "TensorListReserve", inputs=["element_shape:shape_type", "num_elements:int32"],
    attrs={"element_dtype": req("type")},
    kernel=_reserve_kernel, infer=_create_infer, grad=NOT_DIFFERENTIABLE,
    doc="a list of num_elements unset elements",
))


def _empty_kernel(element_shape, max_num_elements, *, element_dtype):
    cap = scalar_int(max_num_elements, "max_num_elements")  # (as TF, -2 makes a full list)
    return scalar(TensorList((), element_dtype, shape_of(element_shape), cap))


EMPTY_TENSOR_LIST = register(OpDef(
    "EmptyTensorList", inputs=["element_shape:shape_type", "max_num_elements:int32"],
    attrs={"element_dtype": req("type")},
    kernel=_empty_kernel, infer=_create_infer, grad=NOT_DIFFERENTIABLE,
    doc="an empty list that PushBack grows up to max_num_elements (-1: no limit)",
))


def _from_tensor_kernel(tensor, element_shape):
    tensor = np.asarray(tensor)
    if tensor.ndim == 0:
        raise InvalidArgumentError(None, None, "Tensor must be at least a vector, but saw "
                                   "shape: []")
    shape = shape_of(element_shape)
    if not shape.is_compatible_with(TensorShape(tensor.shape[1:])):
        raise InvalidArgumentError(None, None, f"Specified a list with shape "
                                   f"{shape.debug_string()} from a tensor with shape "
                                   f"{dims(tensor.shape[1:])}")
    # Rows are views of the input; nothing writes into an element, so sharing is safe.
    return scalar(TensorList(tuple(tensor), value_dtype(tensor), shape))


def _from_tensor_infer(tensor, element_shape):
    if tensor.shape.rank == 0:
        raise shape_error(f"Tensor must be at least a vector, but saw shape: {tensor.shape}")
    shape = static_shape(element_shape)
    if tensor.shape.rank is not None and not shape.is_compatible_with(tensor.shape[1:]):
        raise shape_error(f"Specified a list with shape {shape} from a tensor with shape "
                          f"{tensor.shape[1:]}")
    return [_HANDLE]


def _from_tensor_grad(op, dlist):
    tensor = op.inputs[0]
    from . import array_ops, slicing_ops

    n = tensor.shape[0].value if tensor.shape.rank else None
    if dlist is None:
        shape = TENSOR_LIST_ELEMENT_SHAPE(op.outputs[0], shape_type=_dt.int32)
        dlist = EMPTY_TENSOR_LIST(shape, -1, element_dtype=tensor.dtype)
    element_shape = slicing_ops.slice_(array_ops.shape(tensor), [1], [-1])
    return [TENSOR_LIST_STACK(dlist, element_shape, element_dtype=tensor.dtype,
                              num_elements=-1 if n is None else n), None]


TENSOR_LIST_FROM_TENSOR = register(OpDef(
    "TensorListFromTensor", inputs=["tensor:element_dtype", "element_shape:shape_type"],
    kernel=_from_tensor_kernel, infer=_from_tensor_infer, grad=_from_tensor_grad,
    doc="a list of the tensor's rows (unstack along dimension 0)",
))


# -- reading and writing one element --------------------------------------------------------------
def _get_item_kernel(handle, index, element_shape, *, element_dtype):
    lst = list_of(handle)
    i = scalar_int(index, "index")
    if not 0 <= i < len(lst):
        raise InvalidArgumentError(None, None, f"Trying to access element {i} in a list with "
                                   f"{len(lst)} elements.")
    check_dtype(lst, element_dtype)
    if lst.elements[i] is not None:
        return lst.elements[i]
    return _unset_element(lst, element_shape)


def _unset_element(lst: TensorList, element_shape) -> np.ndarray:
    shape = matching_shape(lst, element_shape, range(len(lst)))
    if not shape.is_fully_defined():
        raise InvalidArgumentError(None, None, "Trying to read an uninitialized tensor but "
                                   f"element_shape is not fully defined: "
                                   f"{shape.debug_string()} and no list element is set.")
    return zeros(lst.element_dtype, shape)


def _get_item_infer(handle, index, element_shape, *, element_dtype):
    check_handle(handle)
    check_scalar(index, "index")
    return [TensorSpec(static_shape(element_shape), element_dtype)]


def unset_like(handle, dtype):
    """A list as long as ``handle``'s, with its element shape and no element set: where a
    read's gradient is written (TF's rules start from one)."""
    return TENSOR_LIST_RESERVE(TENSOR_LIST_ELEMENT_SHAPE(handle, shape_type=_dt.int32),
                               TENSOR_LIST_LENGTH(handle), element_dtype=dtype)


def _get_item_grad(op, ditem):
    handle, index, _ = op.inputs
    return [TENSOR_LIST_SET_ITEM(unset_like(handle, ditem.dtype), index, ditem), None, None]


TENSOR_LIST_GET_ITEM = register(OpDef(
    "TensorListGetItem",
    inputs=["input_handle:variant", "index:int32", "element_shape:Tshape=int32"],
    attrs={"element_dtype": req("type")},
    kernel=_get_item_kernel, infer=_get_item_infer, grad=_get_item_grad,
    doc="the list's element at index (zeros for an unset one of known shape)",
))


def _set_item_kernel(handle, index, item, *, resize_if_index_out_of_bounds):
    lst = list_of(handle)
    i = scalar_int(index, "index")
    item = as_element(item, lst.element_dtype)
    check_element(lst, item, "Item", "Tried to set a tensor with incompatible shape at a "
                  "list index")
    elements = lst.elements
    if resize_if_index_out_of_bounds and i >= len(elements):
        elements += (None,) * (i + 1 - len(elements))
    if not 0 <= i < len(elements):
        raise InvalidArgumentError(None, None, f"Trying to modify element {i} in a list with "
                                   f"{len(elements)} elements.")
    return scalar(lst.replace(elements[:i] + (item,) + elements[i + 1:]))


def _set_item_grad(op, dlist):
    handle, index, item = op.inputs
    from . import array_ops, fill_ops

    list_grad = TENSOR_LIST_SET_ITEM(dlist, index, fill_ops.zeros_like(item))
    item_grad = TENSOR_LIST_GET_ITEM(dlist, index, array_ops.shape(item),
                                     element_dtype=item.dtype)
    if op._get_attr("resize_if_index_out_of_bounds"):
        list_grad = TENSOR_LIST_RESIZE(list_grad, TENSOR_LIST_LENGTH(handle))
    return [list_grad, None, item_grad]


TENSOR_LIST_SET_ITEM = register(OpDef(
    "TensorListSetItem",
    inputs=["input_handle:variant", "index:int32", "item:element_dtype"],
    attrs={"resize_if_index_out_of_bounds": False},
    kernel=_set_item_kernel, infer=handle_infer, grad=_set_item_grad,
    doc="a new list with item at index (the input list is unchanged)",
))


# -- the whole list -------------------------------------------------------------------------------
def _stack_kernel(handle, element_shape, *, element_dtype, num_elements):
    lst = list_of(handle)
    check_dtype(lst, element_dtype)
    if num_elements != -1 and num_elements != len(lst):
        raise InvalidArgumentError(None, None, f"Operation expected a list with "
                                   f"{num_elements} elements but got a list with {len(lst)} "
                                   "elements.")
    shape = matching_shape(lst, element_shape, range(len(lst)))
    if not shape.is_fully_defined():
        if not len(lst):
            raise InvalidArgumentError(None, None, "Tried to stack elements of an empty list "
                                       "with non-fully-defined element_shape: "
                                       f"{shape.debug_string()}")
        raise InvalidArgumentError(None, None, "Tried to stack list which only contains "
                                   "uninitialized tensors and has a non-fully-defined "
                                   f"element_shape: {shape.debug_string()}")
    rows = [zeros(lst.element_dtype, shape) if e is None else e for e in lst.elements]
    if not rows:
        return zeros(lst.element_dtype, TensorShape([0]).concatenate(shape))
    return np.stack(rows)


def _stack_infer(handle, element_shape, *, element_dtype, num_elements):
    check_handle(handle)
    n = None if num_elements == -1 else num_elements
    return [TensorSpec(TensorShape([n]).concatenate(static_shape(element_shape)),
                       element_dtype)]


def _stack_grad(op, dtensor):
    from .constant_ops import constant

    rest = dtensor.shape[1:] if dtensor.shape.rank else TensorShape(None)
    element_shape = constant(-1 if rest.rank is None else
                             [-1 if d.value is None else d.value for d in rest], _dt.int32)
    return [TENSOR_LIST_FROM_TENSOR(dtensor, element_shape), None]


TENSOR_LIST_STACK = register(OpDef(
    "TensorListStack", inputs=["input_handle:variant", "element_shape:int32"],
    attrs={"element_dtype": req("type"), "num_elements": -1},
    kernel=_stack_kernel, infer=_stack_infer, grad=_stack_grad,
    doc="the elements stacked along a new dimension 0",
))

TENSOR_LIST_LENGTH = register(OpDef(
    "TensorListLength", inputs=["input_handle:variant"],
    kernel=lambda handle: np.int32(len(list_of(handle))),
    infer=lambda handle: check_handle(handle) or [TensorSpec(TensorShape([]), _dt.int32)],
    grad=NOT_DIFFERENTIABLE, doc="the number of elements",
))


def _element_shape_kernel(handle, *, shape_type):
    shape = list_of(handle).element_shape
    if shape.rank is None:
        return np.array(-1, shape_type.as_numpy_dtype)
    return np.array([-1 if d.value is None else d.value for d in shape],
                    shape_type.as_numpy_dtype)


def _element_shape_infer(handle, *, shape_type):
    check_handle(handle)
    if shape_type not in (_dt.int32, _dt.int64):
        raise shape_error(f"shape_type must be int32 or int64, got {shape_type.name}")
    return [TensorSpec(TensorShape(None), shape_type)]  # -1 (a scalar) for an unknown rank


TENSOR_LIST_ELEMENT_SHAPE = register(OpDef(
    "TensorListElementShape", inputs=["input_handle:variant"],
    attrs={"shape_type": req("type")},
    kernel=_element_shape_kernel, infer=_element_shape_infer, grad=NOT_DIFFERENTIABLE,
    doc="the list's element shape as a shape tensor (-1 for an unknown rank or dimension)",
))


def _resize_kernel(handle, size):
    lst = list_of(handle)
    n = scalar_int(size, "size")
    if n < 0:
        raise InvalidArgumentError(None, None, "TensorListSlice expects size to be "
                                   f"non-negative. Got: {n}")
    return scalar(lst.replace(lst.elements[:n] + (None,) * (n - len(lst))))


def _resize_grad(op, dlist):
    return [TENSOR_LIST_RESIZE(dlist, TENSOR_LIST_LENGTH(op.inputs[0])), None]


TENSOR_LIST_RESIZE = register(OpDef(
    "TensorListResize", inputs=["input_handle:variant", "size:int32"],
    kernel=_resize_kernel, infer=handle_infer, grad=_resize_grad,
    doc="the list cut or grown (with unset elements) to size",
))
