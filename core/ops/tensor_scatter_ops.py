"""Out-of-place scatters into a tensor: TensorScatterUpdate and TensorScatterAdd (index tuples
on the last axis of ``indices``, as ScatterNd); then the public TF1 wrappers. The in-place
variable forms (ScatterNdUpdate, ScatterNdAdd) are in state_ops."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from ._math_util import _check_dtype
from .gather_ops import GATHER_ND, _nd_positions, check_bad_indices_policy
from .slicing_ops import _shape_str

__all__ = ["tensor_scatter_add", "tensor_scatter_nd_add", "tensor_scatter_nd_update",
           "tensor_scatter_update"]


def nd_update_rows(name, tensor_shape, indices, updates, bad_indices_policy=""):
    """(rows, row count, row size, updates as rows) of a scatter of ``updates`` at index
    tuples into a tensor of ``tensor_shape``; raises TF's messages for bad shapes/indices,
    or, with bad_indices_policy IGNORE, leaves the index tuples out of range out."""
    ignore = check_bad_indices_policy(bad_indices_policy)
    idx, upd = np.asarray(indices), np.asarray(updates)
    if idx.ndim == 0:
        raise InvalidArgumentError(None, None, f"{name}: indices must be at least 1-D, got a "
                                   "scalar")
    k = idx.shape[-1]
    want = idx.shape[:-1] + tuple(tensor_shape[k:])
    if k <= len(tensor_shape) and upd.shape != want:
        raise InvalidArgumentError(None, None, f"{name}: updates has shape "
                                   f"{_shape_str(upd.shape)}, but indices.shape[:-1] + "
                                   f"shape[indices.shape[-1]:] is {_shape_str(want)}")
    if 0 in tensor_shape:  # nothing to update: index tuples would have no row (TF's check)
        if idx.size or upd.size:
            raise InvalidArgumentError(None, None, f"{name}: Indices and updates specified "
                                       "for empty input")
        return np.zeros(0, np.intp), 0, 0, upd.reshape(0, 0)
    rows, n, size = _nd_positions(idx, tuple(tensor_shape), "shape", ignore)
    rows, upd = rows.reshape(-1), upd.reshape(-1, size)
    if ignore:
        keep = rows >= 0
        rows, upd = rows[keep], upd[keep]
    return rows, n, size, upd


def _kernel(name, apply):
    def kernel(tensor, indices, updates, *, bad_indices_policy):
        tensor = np.asarray(tensor)
        rows, n, size, upd = nd_update_rows(name, tensor.shape, indices, updates,
                                            bad_indices_policy)
        out = tensor.copy()
        apply(out.reshape(n, size), rows, upd.astype(out.dtype, copy=False))
        return out
    return kernel


def _set_rows(out, rows, upd):
    out[rows] = upd


def scatter_nd_infer(tensor, indices, updates, **_):
    """Shared with the variable forms: updates must be indices.shape[:-1] + shape[K:]."""
    _check_dtype(indices, ("int16", "int32", "int64", "uint16"), "Tindices")
    if indices.shape.rank == 0:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    if tensor.shape.is_fully_defined() and tensor.shape.num_elements() == 0 and any(
            t.shape.is_fully_defined() and t.shape.num_elements() for t in (indices, updates)):
        raise shape_error("Indices and updates specified for empty input")  # TF's, at build
    idims, tdims = indices.shape.as_tuple(), tensor.shape.as_tuple()
    if idims is not None and idims[-1] is not None and tdims is not None:
        k = idims[-1]
        if k > len(tdims):
            raise shape_error(f"Dimensions [{k},{len(tdims)}) of input[shape={tensor.shape}] = "
                              f"[] must match dimensions of indices: indices.shape[-1] must be "
                              f"<= the rank of the tensor")
        want = TensorShape(list(idims[:-1]) + list(tdims[k:]))
        if not updates.shape.is_compatible_with(want):
            raise shape_error(f"Dimensions of updates {updates.shape} must be "
                              f"indices.shape[:-1] + shape[indices.shape[-1]:] = {want}")
    if updates.dtype != tensor.dtype:
        raise shape_error(f"updates has dtype {updates.dtype.name}, the tensor "
                          f"{tensor.dtype.name}")
    return [TensorSpec(tensor.shape, tensor.dtype)]


def _update_grad(op, dy):
    from .array_ops import zeros_like

    indices, updates = op.inputs[1], op.inputs[2]
    return [TENSOR_SCATTER_UPDATE(dy, indices, zeros_like(updates)), None,
            GATHER_ND(dy, indices)]


TENSOR_SCATTER_UPDATE = register(OpDef(
    "TensorScatterUpdate", inputs=["tensor:T", "indices:Tindices", "updates:T"],
    attrs={"bad_indices_policy": ""},
    kernel=_kernel("TensorScatterUpdate", _set_rows), infer=scatter_nd_infer,
    grad=_update_grad,
    doc="A copy of tensor with slices at index tuples replaced by updates.",
))
TENSOR_SCATTER_ADD = register(OpDef(
    "TensorScatterAdd", inputs=["tensor:T", "indices:Tindices", "updates:T"],
    attrs={"bad_indices_policy": ""},
    kernel=_kernel("TensorScatterAdd", np.add.at), infer=scatter_nd_infer,
    grad=lambda op, dy: [dy, None, GATHER_ND(dy, op.inputs[1])],
    doc="A copy of tensor with updates added at index tuples (repeats add up).",
))


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    return TENSOR_SCATTER_UPDATE(tensor, indices, updates, name=name or "TensorScatterUpdate")


def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    return TENSOR_SCATTER_ADD(tensor, indices, updates, name=name or "TensorScatterAdd")


tensor_scatter_update = tensor_scatter_nd_update
tensor_scatter_add = tensor_scatter_nd_add
