"""SparseSegmentSum/Mean/SqrtN (and their WithNumSegments forms) with their gradient ops
(SparseSegment*Grad, and TF 2's SparseSegment*GradV2, which TF-written training graphs hold):
segment reductions over the rows ``data[indices]``, behind ``tf.nn.embedding_lookup_sparse``.
``segment_ids`` are sorted, as in TF; the output has ``segment_ids[-1] + 1`` rows, or
``num_segments``."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from .. import dtypes as _dt
from . import array_ops, math_ops
from ._math_util import _FLOAT, _REAL, _typed
from .gather_ops import gather, unsorted_segment_sum

__all__ = ["sparse_segment_mean", "sparse_segment_sqrt_n", "sparse_segment_sum"]

_IDS = ["data:T", "indices:Tidx=int32", "segment_ids:Tsegmentids=int32"]


def _checked(data, indices, segment_ids):
    data, idx, ids = np.asarray(data), np.asarray(indices), np.asarray(segment_ids)
    if idx.ndim != 1 or ids.ndim != 1:
        raise InvalidArgumentError(None, None, f"indices and segment_ids should be vectors, "
                                   f"got shapes {list(idx.shape)} and {list(ids.shape)}")
    if idx.shape != ids.shape:
        raise InvalidArgumentError(None, None, f"segment_ids and indices should have same "
                                   f"size: {ids.size} vs {idx.size}")
    if data.ndim == 0:
        raise InvalidArgumentError(None, None, "data must be at least rank 1")
    bad = (idx < 0) | (idx >= data.shape[0])
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidArgumentError(None, None, f"Bad: indices[{i}] == {int(idx[i])} out of "
                                   f"range [0, {data.shape[0]})")
    if ids.size and (ids[0] < 0 or (np.diff(ids) < 0).any()):
        raise InvalidArgumentError(None, None, "segment ids are not increasing")
    return data, idx, ids


def _segment_kernel(scale):
    def kernel(data, indices, segment_ids, num_segments=None, *, sparse_gradient):
        data, idx, ids = _checked(data, indices, segment_ids)
        n = int(ids[-1]) + 1 if ids.size else 0
        if num_segments is not None:
            if n > int(num_segments):
                raise InvalidArgumentError(None, None, f"segment ids must be < num_segments "
                                           f"({int(num_segments)}), got {n - 1}")
            n = int(num_segments)
        out = np.zeros((n,) + data.shape[1:], data.dtype)
        np.add.at(out, ids, data[idx])
        if scale is not None and n:
            counts = np.bincount(ids, minlength=n).astype(data.dtype)
            out /= scale(np.maximum(counts, 1)).reshape((n,) + (1,) * (data.ndim - 1))
        return out
    return kernel


def _segment_infer(data, indices, segment_ids, num_segments=None, *, sparse_gradient=False):
    for spec, what in ((indices, "indices"), (segment_ids, "segment_ids")):
        if spec.shape.rank not in (None, 1):
            raise shape_error(f"{what}: shape must be rank 1 but is rank {spec.shape.rank}")
    n_idx, n_ids = indices.shape.num_elements(), segment_ids.shape.num_elements()
    if indices.shape.rank == segment_ids.shape.rank == 1 and None not in (n_idx, n_ids) \
            and n_idx != n_ids:  # one segment id per index
        raise shape_error(f"Dimension 0 in both shapes must be equal, but are {n_idx} and "
                          f"{n_ids}. Shapes are [{n_idx}] and [{n_ids}].")
    dims = data.shape.as_tuple()
    if dims is not None and not dims:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    n = num_segments.value if num_segments is not None else None
    first = int(n) if n is not None else None
    return [TensorSpec(TensorShape(None) if dims is None else [first] + list(dims[1:]),
                       data.dtype)]


def _sum_grad(op, dy):
    """TF1's rule: each indexed row gets its segment's gradient, summed per data row."""
    data, indices, ids = op.inputs[:3]
    rows = array_ops.shape(data, out_type=indices.dtype)[0]
    return [unsorted_segment_sum(gather(dy, ids), indices, rows)] + [None] * (
        len(op.inputs) - 1)


def _scaled_grad(grad_op):
    def grad(op, dy):
        data, indices, ids = op.inputs[:3]
        rows = math_ops.cast(array_ops.shape(data)[0], _dt.int32)
        return [grad_op(dy, indices, ids, rows)] + [None] * (len(op.inputs) - 1)
    return grad


def _dense_grad(scale, grad, indices, segment_ids, output_dim0):
    """The dense gradient of a sparse segment reduction w.r.t. its data (output_dim0 rows):
    each indexed row gets its segment's gradient over ``scale(count)`` (None: 1)."""
    grad, idx, ids = np.asarray(grad), np.asarray(indices), np.asarray(segment_ids)
    n = grad.shape[0]
    if ids.size and ids.max() >= n:
        raise InvalidArgumentError(None, None, f"Segment id {int(ids.max())} out of range "
                                   f"[0, {n}), possibly because 'segment_ids' input is not "
                                   "sorted.")
    out = np.zeros((int(output_dim0),) + grad.shape[1:], grad.dtype)
    if idx.size and (idx.min() < 0 or idx.max() >= out.shape[0]):
        raise InvalidArgumentError(None, None, f"Index out of range [0, {out.shape[0]})")
    rows = grad[ids]
    if scale is not None:
        counts = np.bincount(ids, minlength=n).astype(grad.dtype)
        weights = 1 / scale(np.maximum(counts, 1))
        rows = rows * weights[ids].reshape((-1,) + (1,) * (grad.ndim - 1))
    np.add.at(out, idx, rows)
    return out


def _grad_kernel(scale):
    def kernel(grad, indices, segment_ids, output_dim0):
        return _dense_grad(scale, grad, indices, segment_ids, output_dim0)
    return kernel


def _grad_v2_kernel(scale):
    """TF 2's form: only the rows the indices name (sorted, once each), and which they are."""
    def kernel(grad, indices, segment_ids, dense_output_dim0):
        dense = _dense_grad(scale, grad, indices, segment_ids, dense_output_dim0)
        unique = np.unique(np.asarray(indices))
        return [dense[unique], unique.astype(np.asarray(indices).dtype)]
    return kernel


def _grad_v2_infer(grad, indices, segment_ids, dim0):
    dims = grad.shape.as_tuple()
    return [TensorSpec(TensorShape(None) if dims is None else [None] + list(dims[1:]),
                       grad.dtype), TensorSpec([None], indices.dtype)]


def _grad_infer(grad, indices, segment_ids, output_dim0):
    dims = grad.shape.as_tuple()
    d0 = output_dim0.value
    first = int(d0) if d0 is not None else None
    return [TensorSpec(TensorShape(None) if dims is None else [first] + list(dims[1:]),
                       grad.dtype)]


# TF's OpDef type lists (refused at graph construction with its TypeError): SparseSegmentSum
# takes the real types, Mean, SqrtN and all the gradient ops the floating ones; none complex.
_DATA_TYPES = {"Sum": _REAL, "Mean": _FLOAT, "SqrtN": _FLOAT}


def _data_infer(kind):
    return _typed(_segment_infer, _DATA_TYPES[kind], "data")


_checked_grad_infer = _typed(_grad_infer, _FLOAT, "grad")
_checked_grad_v2_infer = _typed(_grad_v2_infer, _FLOAT, "grad")

_GRAD_IDS = ["grad:T", "indices:Tidx=int32", "segment_ids:Tsegmentids=int32",
             "output_dim0:int32"]

SPARSE_SEGMENT_SUM_GRAD = register(OpDef(
    "SparseSegmentSumGrad", inputs=_GRAD_IDS, kernel=_grad_kernel(None),
    infer=_checked_grad_infer, grad=NOT_DIFFERENTIABLE,
    doc="SparseSegmentSum's gradient: each indexed row gets its segment's gradient.",
))
_GRAD_V2_IDS = _GRAD_IDS[:3] + ["dense_output_dim0:int32"]
for _type, _scale in (("Sum", None), ("Mean", lambda c: c), ("SqrtN", np.sqrt)):
    register(OpDef(
        f"SparseSegment{_type}GradV2", inputs=_GRAD_V2_IDS, kernel=_grad_v2_kernel(_scale),
        infer=_checked_grad_v2_infer, grad=NOT_DIFFERENTIABLE,
        doc=f"SparseSegment{_type}'s gradient as rows of the unique sorted indices (TF 2)."))
SPARSE_SEGMENT_MEAN_GRAD = register(OpDef(
    "SparseSegmentMeanGrad", inputs=_GRAD_IDS, kernel=_grad_kernel(lambda c: c),
    infer=_checked_grad_infer, grad=NOT_DIFFERENTIABLE,
    doc="SparseSegmentMean's gradient: each row's segment gradient over the segment's size.",
))
SPARSE_SEGMENT_SQRT_N_GRAD = register(OpDef(
    "SparseSegmentSqrtNGrad", inputs=_GRAD_IDS, kernel=_grad_kernel(np.sqrt),
    infer=_checked_grad_infer, grad=NOT_DIFFERENTIABLE,
    doc="SparseSegmentSqrtN's gradient: each row's segment gradient over sqrt(its size).",
))
SPARSE_SEGMENT_SUM = register(OpDef(
    "SparseSegmentSum", inputs=_IDS, attrs={"sparse_gradient": False},
    kernel=_segment_kernel(None), infer=_data_infer("Sum"), grad=_sum_grad,
    doc="output[i] = sum of data[indices[j]] over j with segment_ids[j] == i.",
))
SPARSE_SEGMENT_MEAN = register(OpDef(
    "SparseSegmentMean", inputs=_IDS, attrs={"sparse_gradient": False},
    kernel=_segment_kernel(lambda c: c), infer=_data_infer("Mean"),
    grad=_scaled_grad(SPARSE_SEGMENT_MEAN_GRAD),
    doc="output[i] = mean of data[indices[j]] over j with segment_ids[j] == i.",
))
SPARSE_SEGMENT_SQRT_N = register(OpDef(
    "SparseSegmentSqrtN", inputs=_IDS, attrs={"sparse_gradient": False},
    kernel=_segment_kernel(np.sqrt), infer=_data_infer("SqrtN"),
    grad=_scaled_grad(SPARSE_SEGMENT_SQRT_N_GRAD),
    doc="output[i] = sum of data[indices[j]] over j with segment_ids[j] == i, over sqrt(N).",
))


def _segment(kind, data, indices, segment_ids, name, num_segments):
    if num_segments is None:
        return _BY_KIND[kind](data, indices, segment_ids, name=name or f"SparseSegment{kind}")
    return _WITH_NUM[kind](data, indices, segment_ids, num_segments,
                           name=name or f"SparseSegment{kind}WithNumSegments")


def sparse_segment_sum(data, indices, segment_ids, name=None, num_segments=None):
    """``tf.sparse.segment_sum``: sums of the rows ``data[indices]`` per sorted segment id
    (``num_segments`` rows when given)."""
    return _segment("Sum", data, indices, segment_ids, name, num_segments)


def sparse_segment_mean(data, indices, segment_ids, name=None, num_segments=None):
    """``tf.sparse.segment_mean``: means of the rows ``data[indices]`` per sorted segment."""
    return _segment("Mean", data, indices, segment_ids, name, num_segments)


def sparse_segment_sqrt_n(data, indices, segment_ids, name=None, num_segments=None):
    """``tf.sparse.segment_sqrt_n``: sums over sqrt(count) per sorted segment."""
    return _segment("SqrtN", data, indices, segment_ids, name, num_segments)


_NUM_IDS = _IDS + ["num_segments:Tnumsegments=int32"]
_BY_KIND = {"Sum": SPARSE_SEGMENT_SUM, "Mean": SPARSE_SEGMENT_MEAN,
            "SqrtN": SPARSE_SEGMENT_SQRT_N}
_WITH_NUM = {kind: register(OpDef(
    f"SparseSegment{kind}WithNumSegments", inputs=_NUM_IDS, attrs={"sparse_gradient": False},
    kernel=_segment_kernel(scale), infer=_data_infer(kind), grad=grad,
    doc=f"SparseSegment{kind} with num_segments output rows (empty ones 0)."))
    for kind, scale, grad in (("Sum", None, _sum_grad),
                              ("Mean", lambda c: c, _scaled_grad(SPARSE_SEGMENT_MEAN_GRAD)),
                              ("SqrtN", np.sqrt, _scaled_grad(SPARSE_SEGMENT_SQRT_N_GRAD)))}
