"""``tf.sets`` (TF 1.x): set operations along the last dimension of dense or sparse tensors,
over the ops of core/ops/set_ops.py. Results are SparseTensors; ``set_size`` takes one."""

from __future__ import annotations

from . import dtypes as _dt
from .array_extra import convert_to_tensor_or_sparse_tensor
from .ops import set_ops as _ops
from .sparse_tensor import SparseTensor

__all__ = ["difference", "intersection", "set_difference", "set_intersection", "set_size",
           "set_union", "size", "union"]

_VALID_DTYPES = frozenset(_dt.as_dtype(n) for n in _ops.SET_DTYPES)




def set_size(a, validate_indices=True):
    """The number of distinct values in each set (the last dimension) of the SparseTensor
    ``a``: an int32 tensor of ``a``'s shape without its last dimension."""
    a = convert_to_tensor_or_sparse_tensor(a, name="a")
    if not isinstance(a, SparseTensor):
        raise TypeError(f"Expected `SparseTensor`, got {a}.")
    if a.values.dtype not in _VALID_DTYPES:
        raise TypeError(f"Invalid dtype `{a.values.dtype!r}` not in supported dtypes: "
                        f"`{sorted(d.name for d in _VALID_DTYPES)}`.")
    return _ops.SET_SIZE(a.indices, a.values, a.dense_shape, validate_indices=validate_indices)


def _convert(a, b):
    """(a, b, flipped): TF runs a sparse ``a`` with a dense ``b`` as (b, a)."""
    a = convert_to_tensor_or_sparse_tensor(a, name="a")
    if a.dtype not in _VALID_DTYPES:
        raise TypeError(f"'a' has invalid dtype `{a.dtype!r}` not in supported dtypes: "
                        f"`{sorted(d.name for d in _VALID_DTYPES)}`.")
    b = convert_to_tensor_or_sparse_tensor(b, name="b")
    if b.dtype != a.dtype:
        raise TypeError(f"Types don't match, {a.dtype!r} vs {b.dtype!r}.")
    if isinstance(a, SparseTensor) and not isinstance(b, SparseTensor):
        return b, a, True
    return a, b, False


def _set_operation(a, b, operation, validate_indices):
    attrs = {"set_operation": operation, "validate_indices": validate_indices}
    if isinstance(a, SparseTensor):
        out = _ops.SPARSE_TO_SPARSE_SET_OPERATION(a.indices, a.values, a.dense_shape, b.indices,
                                                  b.values, b.dense_shape, **attrs)
    elif isinstance(b, SparseTensor):
        out = _ops.DENSE_TO_SPARSE_SET_OPERATION(a, b.indices, b.values, b.dense_shape, **attrs)
    else:
        out = _ops.DENSE_TO_DENSE_SET_OPERATION(a, b, **attrs)
    return SparseTensor(*out)


def set_intersection(a, b, validate_indices=True):
    """The values in both ``a`` and ``b``, per set (the last dimension)."""
    a, b, _ = _convert(a, b)
    return _set_operation(a, b, "intersection", validate_indices)


def set_difference(a, b, aminusb=True, validate_indices=True):
    """``a - b`` per set (``b - a`` when ``aminusb`` is False)."""
    a, b, flipped = _convert(a, b)
    if flipped:
        aminusb = not aminusb
    return _set_operation(a, b, "a-b" if aminusb else "b-a", validate_indices)


def set_union(a, b, validate_indices=True):
    """The values in ``a`` or ``b``, per set (the last dimension)."""
    a, b, _ = _convert(a, b)
    return _set_operation(a, b, "union", validate_indices)


# TF 1.x exports both names of each.
size, intersection, difference, union = set_size, set_intersection, set_difference, set_union
