"""TF2's TensorList ops used as a stack (TensorListPushBack, TensorListPopBack) or moving many
elements at once (TensorListGather, TensorListScatterIntoExistingList, TensorListConcatV2,
TensorListSplit), with their gradients by TF's rules (tensorflow/python/ops/list_ops.py). The
list value (``TensorList``) and the one-element ops are in list_ops.py."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape
from .list_ops import (EMPTY_TENSOR_LIST, TENSOR_LIST_ELEMENT_SHAPE, TensorList, as_element,
                       check_dtype, check_element, check_handle, dims, handle_infer, list_of,
                       matching_shape, merge, scalar, shape_of, static_shape, unset_like,
                       value_dtype, zeros)

__all__: list = []  # op declarations only; tf.raw_ops builds them


def _indices(value) -> list:
    value = np.asarray(value)
    if value.ndim != 1:
        raise InvalidArgumentError(None, None, "indices must be a vector, got shape "
                                   f"{list(value.shape)}")
    return [int(i) for i in value]


# -- as a stack -----------------------------------------------------------------------------------
def _push_back_kernel(handle, tensor):
    lst = list_of(handle)
    item = as_element(tensor, lst.element_dtype)
    check_element(lst, item, "Op", "Tried to append a tensor with incompatible shape to a list")
    if lst.max_num_elements != -1 and len(lst) >= lst.max_num_elements:
        raise InvalidArgumentError(None, None, f"Tried to push item into a full list list "
                                   f"size: {len(lst)} max_num_elements: "
                                   f"{lst.max_num_elements}")
    return scalar(lst.replace(lst.elements + (item,)))


def _push_back_grad(op, dlist):
    from . import array_ops

    return TENSOR_LIST_POP_BACK(dlist, array_ops.shape(op.inputs[1]),
                                element_dtype=op.inputs[1].dtype)


TENSOR_LIST_PUSH_BACK = register(OpDef(
    "TensorListPushBack", inputs=["input_handle:variant", "tensor:element_dtype"],
    kernel=_push_back_kernel, infer=handle_infer, grad=_push_back_grad,
    doc="a new list with tensor appended",
))


def _pop_back_kernel(handle, element_shape, *, element_dtype):
    lst = list_of(handle)
    check_dtype(lst, element_dtype)
    if not len(lst):
        raise InvalidArgumentError(None, None, "Trying to pop from an empty list.")
    last = lst.elements[-1]
    if last is None:  # (TF does not look at the other elements here, as GetItem does)
        shape = merge(shape_of(element_shape), lst.element_shape)
        if not shape.is_fully_defined():
            raise InvalidArgumentError(None, None, "Trying to read an uninitialized tensor but "
                                       f"element_shape is not fully defined.{shape.debug_string()}")
        last = zeros(lst.element_dtype, shape)
    return scalar(lst.replace(lst.elements[:-1])), last


def _pop_back_infer(handle, element_shape, *, element_dtype):
    check_handle(handle)
    return [TensorSpec(TensorShape([]), _dt.variant),
            TensorSpec(static_shape(element_shape), element_dtype)]


def _pop_back_grad(op, dlist, delement):
    from . import fill_ops

    if dlist is None:
        dlist = EMPTY_TENSOR_LIST(TENSOR_LIST_ELEMENT_SHAPE(op.outputs[0], shape_type=_dt.int32),
                                  -1, element_dtype=op._get_attr("element_dtype"))
    if delement is None:
        delement = fill_ops.zeros_like(op.outputs[1])
    return [TENSOR_LIST_PUSH_BACK(dlist, delement), None]


TENSOR_LIST_POP_BACK = register(OpDef(
    "TensorListPopBack", inputs=["input_handle:variant", "element_shape:int32"],
    attrs={"element_dtype": req("type")},
    kernel=_pop_back_kernel, infer=_pop_back_infer, grad=_pop_back_grad,
    doc="the list without its last element, and that element",
))


# -- gather / scatter -----------------------------------------------------------------------------
def _gather_kernel(handle, indices, element_shape, *, element_dtype):
    lst = list_of(handle)
    check_dtype(lst, element_dtype)
    idx = _indices(indices)
    for i in idx:
        if not 0 <= i < len(lst):
            raise InvalidArgumentError(None, None, f"Trying to gather element {i} in a list "
                                       f"with {len(lst)} elements.")
    shape = matching_shape(lst, element_shape, idx)
    if not shape.is_fully_defined():
        if not idx:
            raise InvalidArgumentError(None, None, "Tried to gather 0-elements from a list "
                                       f"with non-fully-defined shape: {shape.debug_string()}")
        if any(lst.elements[i] is None for i in idx):
            raise InvalidArgumentError(None, None, "Tried to gather uninitialized tensors "
                                       "from a list with non-fully-defined element_shape: "
                                       f"{shape.debug_string()}")
    if not idx:
        return zeros(lst.element_dtype, TensorShape([0]).concatenate(shape))
    return np.stack([zeros(lst.element_dtype, shape) if lst.elements[i] is None
                     else lst.elements[i] for i in idx])


def _gather_infer(handle, indices, element_shape, *, element_dtype):
    check_handle(handle)
    if indices.shape.rank not in (None, 1):
        raise shape_error(f"indices must be a vector, got shape {indices.shape}")
    n = indices.shape[0].value if indices.shape.rank == 1 else None
    return [TensorSpec(TensorShape([n]).concatenate(static_shape(element_shape)),
                       element_dtype)]


def _gather_grad(op, dtensor):
    handle, indices, _ = op.inputs
    return [TENSOR_LIST_SCATTER_INTO_EXISTING_LIST(unset_like(handle, dtensor.dtype), dtensor,
                                                   indices), None, None]


TENSOR_LIST_GATHER = register(OpDef(
    "TensorListGather",
    inputs=["input_handle:variant", "indices:int32", "element_shape:int32"],
    attrs={"element_dtype": req("type")},
    kernel=_gather_kernel, infer=_gather_infer, grad=_gather_grad,
    doc="the elements at indices, stacked",
))


def _scatter_kernel(handle, tensor, indices):
    lst = list_of(handle)
    tensor = as_element(tensor, lst.element_dtype)
    dtype = value_dtype(tensor, lst.element_dtype)
    if dtype != lst.element_dtype:
        raise InvalidArgumentError(None, None, "Invalid data types; input tensor type: "
                                   f"{_dt.dtype_string(dtype)} list element_type: "
                                   f"{_dt.dtype_string(lst.element_dtype)}")
    idx = _indices(indices)
    if tensor.ndim == 0 or tensor.shape[0] != len(idx):
        raise InvalidArgumentError(None, None, "Expected len(indices) == tensor.shape[0], but "
                                   f"saw: {len(idx)} vs. "
                                   f"{tensor.shape[0] if tensor.ndim else 'a scalar'}")
    if not lst.element_shape.is_compatible_with(TensorShape(tensor.shape[1:])):
        raise InvalidArgumentError(None, None, "Tried to scatter a tensor with incompatible "
                                   f"shape into a list. Item element shape: "
                                   f"{dims(tensor.shape[1:])} list shape: "
                                   f"{lst.element_shape.debug_string()}")
    elements = list(lst.elements)
    for k, i in enumerate(idx):
        if i < 0:
            raise InvalidArgumentError(None, None, f"Trying to scatter into index {i} of a "
                                       f"list: indices must be non-negative")
        if i >= len(elements):  # TF grows the list to the largest index
            elements.extend([None] * (i + 1 - len(elements)))
        elements[i] = tensor[k]
    return scalar(lst.replace(elements))


def _scatter_infer(handle, tensor, indices):
    check_handle(handle)
    if tensor.shape.rank == 0:
        raise shape_error("tensor must be at least a vector, but saw shape: []")
    return [TensorSpec(TensorShape([]), _dt.variant)]


def _scatter_grad(op, dlist):
    from . import array_ops, fill_ops, slicing_ops

    _, tensor, indices = op.inputs
    element_shape = slicing_ops.slice_(array_ops.shape(tensor), [1], [-1])
    dtensor = TENSOR_LIST_GATHER(dlist, indices, element_shape, element_dtype=tensor.dtype)
    dlist = TENSOR_LIST_SCATTER_INTO_EXISTING_LIST(dlist, fill_ops.zeros_like(tensor), indices)
    return [dlist, dtensor, None]


TENSOR_LIST_SCATTER_INTO_EXISTING_LIST = register(OpDef(
    "TensorListScatterIntoExistingList",
    inputs=["input_handle:variant", "tensor:element_dtype", "indices:int32"],
    kernel=_scatter_kernel, infer=_scatter_infer, grad=_scatter_grad,
    doc="a new list with tensor's rows at indices (grown to the largest index)",
))


# -- concat / split -------------------------------------------------------------------------------
def _concat_kernel(handle, element_shape, leading_dims, *, element_dtype):
    lst = list_of(handle)
    check_dtype(lst, element_dtype)
    shape = merge(shape_of(element_shape), lst.element_shape)
    if shape.rank == 0:
        raise InvalidArgumentError(None, None, "Concat requires elements to be at least "
                                   "vectors, found scalars instead.")
    rest = shape[1:] if shape.rank is not None else TensorShape(None)
    for k, e in enumerate(lst.elements):
        if e is None:
            continue
        if e.ndim == 0:
            raise InvalidArgumentError(None, None, f"Concat saw a scalar shape at index {k} "
                                       "but requires at least vectors.")
        rest = merge(rest, TensorShape(e.shape[1:]))
    if not rest.is_fully_defined():
        what = "an empty tensor list" if not len(lst) else \
            "a tensor list with uninitialized elements"
        raise InvalidArgumentError(None, None, "All except the first dimension must be fully "
                                   f"defined when concating {what}. element_shape: "
                                   f"{shape.debug_string()}")
    leading = [int(d) for d in np.asarray(leading_dims).reshape(-1)]
    first = shape[0].value if shape.rank else None
    parts = []
    for k, e in enumerate(lst.elements):
        if e is None:
            if first is None and k >= len(leading):
                raise InvalidArgumentError(None, None, "List contains uninitialized tensor at "
                                           f"index {k} but leading_dims has only "
                                           f"{len(leading)} elements.")
            n = first if first is not None else leading[k]
            e = zeros(lst.element_dtype, TensorShape([n]).concatenate(rest))
        parts.append(e)
    lengths = np.array([p.shape[0] for p in parts], np.int64)
    if not parts:
        return zeros(lst.element_dtype, TensorShape([0]).concatenate(rest)), lengths
    return np.concatenate(parts), lengths


def _concat_infer(handle, element_shape, leading_dims, *, element_dtype):
    check_handle(handle)
    shape = static_shape(element_shape)
    if shape.rank == 0:
        raise shape_error("Concat requires elements to be at least vectors, found scalars "
                          "instead.")
    rest = shape[1:] if shape.rank is not None else TensorShape(None)
    return [TensorSpec(TensorShape([None]).concatenate(rest), element_dtype),
            TensorSpec(TensorShape([None]), _dt.int64)]


def _concat_grad(op, dtensor, _dlengths):
    shape = TENSOR_LIST_ELEMENT_SHAPE(op.inputs[0], shape_type=_dt.int32)
    return [TENSOR_LIST_SPLIT(dtensor, shape, op.outputs[1]), None, None]


TENSOR_LIST_CONCAT_V2 = register(OpDef(
    "TensorListConcatV2",
    inputs=["input_handle:variant", "element_shape:shape_type", "leading_dims:int64"],
    attrs={"element_dtype": req("type")},
    kernel=_concat_kernel, infer=_concat_infer, grad=_concat_grad,
    doc="the elements concatenated along dimension 0, and their lengths",
))


def _split_kernel(tensor, element_shape, lengths):
    tensor = np.asarray(tensor)
    if tensor.ndim == 0:
        raise InvalidArgumentError(None, None, "Tensor must be at least a vector, but saw "
                                   "shape: []")
    lengths = np.asarray(lengths)
    if lengths.ndim != 1:
        raise InvalidArgumentError(None, None, "Expected lengths to be a vector, received "
                                   f"shape: {dims(lengths.shape)}")
    shape = shape_of(element_shape)
    if not shape.is_compatible_with(TensorShape([None]).concatenate(tensor.shape[1:])):
        raise InvalidArgumentError(None, None, f"Tried to split a tensor with element shape "
                                   f"{dims(tensor.shape[1:])} into a list with element shape "
                                   f"{shape.debug_string()} (dimension 0 may differ)")
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    for a, b in zip(bounds[:-1], bounds[1:]):
        if not 0 <= a <= b <= tensor.shape[0]:
            raise InvalidArgumentError(None, None, f"Attempting to slice [{a}, {b}] from "
                                       f"tensor with length {tensor.shape[0]}.")
    if bounds[-1] != tensor.shape[0]:
        raise InvalidArgumentError(None, None, "Unused values in tensor. Length of tensor: "
                                   f"{tensor.shape[0]} Values used: {bounds[-1]}")
    return scalar(TensorList([tensor[a:b] for a, b in zip(bounds[:-1], bounds[1:])],
                             value_dtype(tensor), shape))


def _split_infer(tensor, element_shape, lengths):
    if tensor.shape.rank == 0:
        raise shape_error("Tensor must be at least a vector, but saw shape: []")
    static_shape(element_shape)
    return [TensorSpec(TensorShape([]), _dt.variant)]


def _split_grad(op, dlist):
    from . import array_ops, concat_split_ops, slicing_ops

    tensor, _, lengths = op.inputs
    element_shape = concat_split_ops.concat(
        [[-1], slicing_ops.slice_(array_ops.shape(tensor), [1], [-1])], 0)
    concat = TENSOR_LIST_CONCAT_V2(dlist, element_shape, lengths, element_dtype=tensor.dtype)
    return [concat[0], None, None]


TENSOR_LIST_SPLIT = register(OpDef(
    "TensorListSplit",
    inputs=["tensor:element_dtype", "element_shape:shape_type", "lengths:int64"],
    kernel=_split_kernel, infer=_split_infer, grad=_split_grad,
    doc="a list of consecutive slices of tensor along dimension 0, of the given lengths",
))
