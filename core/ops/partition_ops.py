"""Partitioning and stitching: DynamicPartition (the rows of data split by a partition number
each) and DynamicStitch / ParallelDynamicStitch (rows placed back at given indices). Each is
the other's gradient, as in TensorFlow."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape
from .slicing_ops import _shape_str

__all__ = ["dynamic_partition", "dynamic_stitch"]


def _pos_str(pos) -> str:
    return "[" + ",".join(map(str, pos)) + "]" if pos else ""


# -- DynamicPartition -----------------------------------------------------------------------------
def _partition_kernel(data, partitions, *, num_partitions):
    data, parts = np.asarray(data), np.asarray(partitions)
    if data.shape[:parts.ndim] != parts.shape:
        raise InvalidArgumentError(None, None, "data.shape must start with partitions.shape, got "
                                   f"data.shape = {_shape_str(data.shape)}, partitions.shape = "
                                   f"{_shape_str(parts.shape)}")
    bad = (parts < 0) | (parts >= num_partitions)
    if bad.any():
        pos = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InvalidArgumentError(None, None, f"partitions{_pos_str(pos)} = {parts[pos]} is not "
                                   f"in [0, {num_partitions})")
    rows = data.reshape((parts.size,) + data.shape[parts.ndim:])
    flat = parts.reshape(-1)
    # A stable sort groups the rows by partition and keeps their order within each.
    order = np.argsort(flat, kind="stable")
    bounds = np.searchsorted(flat[order], np.arange(num_partitions + 1))
    outs = [rows[order[bounds[i]:bounds[i + 1]]] for i in range(num_partitions)]
    return outs[0] if num_partitions == 1 else outs  # one output: the plan's single slot


def _partition_infer(data, partitions, *, num_partitions):
    if num_partitions < 1:
        raise shape_error(f"Attr 'num_partitions' of 'DynamicPartition' Op passed "
                          f"{num_partitions} less than minimum 1.")
    ddims, pdims = data.shape.as_tuple(), partitions.shape.as_tuple()
    if ddims is None or pdims is None:
        return [TensorSpec(TensorShape(None), data.dtype)] * num_partitions
    if len(ddims) < len(pdims):
        raise shape_error(f"Shape must be at least rank {len(pdims)} but is rank {len(ddims)}")
    for d, p in zip(ddims, pdims):
        if d is not None and p is not None and d != p:
            raise shape_error(f"Dimensions must be equal, but are {d} and {p}")
    return [TensorSpec([None, *ddims[len(pdims):]], data.dtype)] * num_partitions


def _partition_grad(op, *grads):
    """TF's rule: partition the positions of the rows the same way, then stitch the output
    gradients back to those positions."""
    from . import array_ops
    from .reduction_ops import reduce_prod

    data, partitions = op.inputs
    prefix = array_ops.shape(partitions)
    positions = array_ops.reshape(array_ops.range_(reduce_prod(prefix)), prefix)
    parted = DYNAMIC_PARTITION(positions, partitions,
                               num_partitions=op._get_attr("num_partitions"))
    parted = parted if isinstance(parted, list) else [parted]
    stitched = PARALLEL_DYNAMIC_STITCH(parted, list(grads))
    return [array_ops.reshape(stitched, array_ops.shape(data)), None]


DYNAMIC_PARTITION = register(OpDef(
    "DynamicPartition", inputs=["data:T", "partitions:int32"],
    attrs={"num_partitions": req("int")},
    kernel=_partition_kernel,
    infer=_partition_infer,
    grad=_partition_grad,
    doc="outputs[i]: the rows data[j...] with partitions[j...] == i, in order.",
))


def dynamic_partition(data, partitions, num_partitions, name=None):
    """``tf.dynamic_partition``: a list of ``num_partitions`` tensors, the i-th holding the
    slices of ``data`` whose ``partitions`` entry is i."""
    out = DYNAMIC_PARTITION(data, partitions, num_partitions=num_partitions,
                            name=name or "DynamicPartition")
    return out if isinstance(out, list) else [out]


# -- DynamicStitch / ParallelDynamicStitch --------------------------------------------------------
def _stitch_kernel(indices, data):
    indices = [np.asarray(i) for i in indices]
    data = [np.asarray(d) for d in data]
    for i, (ind, d) in enumerate(zip(indices, data)):
        if d.shape[:ind.ndim] != ind.shape:
            raise InvalidArgumentError(None, None, f"data[{i}].shape = {_shape_str(d.shape)} does "
                                       f"not start with indices[{i}].shape = "
                                       f"{_shape_str(ind.shape)}")
        if i and d.shape[ind.ndim:] != data[0].shape[indices[0].ndim:]:
            raise InvalidArgumentError(
                None, None, f"Need data[0].shape[{indices[0].ndim}:] = data[{i}].shape"
                f"[{ind.ndim}:], got data[0].shape = {_shape_str(data[0].shape)}, data[{i}].shape"
                f" = {_shape_str(d.shape)}, indices[0].shape = {_shape_str(indices[0].shape)}, "
                f"indices[{i}].shape = {_shape_str(ind.shape)}")
    n = 1 + max((int(ind.max()) for ind in indices if ind.size), default=-1)
    tail = data[0].shape[indices[0].ndim:]
    out = np.zeros((n,) + tail, dtype=data[0].dtype)
    for ind, d in zip(indices, data):
        flat = ind.reshape(-1)
        bad = flat < 0  # (every index is below n: n is the largest one plus one)
        if bad.any():
            raise InvalidArgumentError(None, None,
                                       f"indices[{int(np.argmax(bad))}] is out of range")
        # Later entries win: keep only the last occurrence of a repeated index.
        last = flat.size - 1 - np.unique(flat[::-1], return_index=True)[1]
        out[flat[last]] = d.reshape((flat.size,) + tail)[last]
    return out


def _stitch_infer(indices, data):
    extra = TensorShape(None)
    n, known = -1, True
    for i, (ind, d) in enumerate(zip(indices, data)):
        idims, ddims = ind.shape.as_tuple(), d.shape.as_tuple()
        if idims is not None and ddims is not None:
            if len(ddims) < len(idims):
                raise shape_error(f"Shape must be at least rank {len(idims)} but is rank "
                                  f"{len(ddims)}")
            for a, b in zip(idims, ddims):
                if a is not None and b is not None and a != b:
                    raise shape_error(f"Dimensions must be equal, but are {b} and {a}")
            rest = TensorShape(ddims[len(idims):])
            if not extra.is_compatible_with(rest):
                raise shape_error(f"Shapes {extra} and {rest} of data[0] and data[{i}] beyond "
                                  "their indices' dimensions must be equal")
            extra = extra.merge_with(rest) if extra.rank is not None else rest
        value = ind.value
        if value is None:
            known = False
        elif np.size(value):
            n = max(n, int(np.max(value)))
    if extra.rank is None or any(s.shape.rank is None for s in indices):
        return [TensorSpec(TensorShape(None), data[0].dtype)]
    return [TensorSpec(TensorShape([n + 1 if known else None]).concatenate(extra),
                       data[0].dtype)]


def _stitch_grad(op, dy):
    """TF's rule: each data input's gradient is the rows of dy at its indices (so a repeated
    index sends its gradient to every entry that wrote it, as TF does)."""
    from .gather_ops import gather

    n = len(op.inputs) // 2
    return [None] * n + [gather(dy, op.inputs[i]) for i in range(n)]


def _stitch_op(op_type):
    return register(OpDef(
        op_type, inputs=["indices:N*int32", "data:N*T"],
        kernel=_stitch_kernel,
        infer=_stitch_infer,
        grad=_stitch_grad,
        doc="merged[indices[m][i...]] = data[m][i...]; later entries win a repeated index.",
    ))


DYNAMIC_STITCH = _stitch_op("DynamicStitch")
# TF runs its copies in parallel (which of repeated indices wins is unspecified there); here it
# is the same kernel as DynamicStitch.
PARALLEL_DYNAMIC_STITCH = _stitch_op("ParallelDynamicStitch")


def _stitch(opdef, indices, data, name):
    indices, data = list(indices), list(data)
    if len(indices) != len(data):
        raise ValueError(f"List argument 'data' to '{opdef.type}' Op with length {len(data)} "
                         f"must match length {len(indices)} of argument 'indices'.")
    if not indices:
        raise ValueError(f"List argument 'indices' to '{opdef.type}' Op with length 0 shorter "
                         "than minimum length 1.")
    return opdef(indices, data, name=name or opdef.type)


def dynamic_stitch(indices, data, name=None):
    """``tf.dynamic_stitch``: ``merged[indices[m][i...], ...] = data[m][i..., ...]``, the
    first dimension one more than the largest index (a later entry wins a repeated index)."""
    return _stitch(DYNAMIC_STITCH, indices, data, name)


def parallel_dynamic_stitch(indices, data, name=None):
    """TF's ``data_flow_ops.parallel_dynamic_stitch`` (used by DynamicPartition's gradient)."""
    return _stitch(PARALLEL_DYNAMIC_STITCH, indices, data, name)
