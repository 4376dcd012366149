"""ApproxTopK: the k largest (``is_max_k``) or smallest entries along ``reduction_dimension``
and their indices; tf.approx_top_k, tf.math / tf.nn.approx_max_k and approx_min_k.

TF 2.21 runs this op through XLA, whose CPU lowering (ApproxTopKFallback) is exact: a stable
sort along the reduction dimension. So this kernel is exact too: largest first for max-k,
smallest first for min-k, ties in index order. The output has ``k`` entries, with or without
``aggregate_to_topk``: so does TF's in graph mode, what TF1 code runs (its static shape states
XLA's candidate-set size, and only under ``jit_compile`` does it return that many). NaN sorts as
the largest value here (XLA leaves its place unspecified: its comparator is a plain > or <).
The gradient is TF's: the incoming values' gradient scattered back to the positions the
indices name."""

from __future__ import annotations

import collections

import numpy as np

from .. import dtypes as _dt
from ..opdef import OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape
from . import array_ops
from ._math_util import _check_dtype

__all__ = ["approx_top_k", "approx_max_k", "approx_min_k"]

_TYPES = ("float16", "bfloat16", "float32")


def _kernel(x, *, k, reduction_dimension, recall_target, is_max_k,
            reduction_input_size_override, aggregate_to_topk):
    d = reduction_dimension % x.ndim
    moved = np.moveaxis(x, d, -1)
    nan = np.isnan(moved)
    key = np.where(nan, 0, -moved if is_max_k else moved)
    # lexsort is stable: the last key first (NaN to the front of a max-k, the back of a
    # min-k: NaN is the largest), then the value, then the index
    order = np.lexsort((key, ~nan if is_max_k else nan), axis=-1)[..., :k]
    values = np.take_along_axis(moved, order, axis=-1)
    return [np.moveaxis(values, -1, d), np.moveaxis(order.astype(np.int32), -1, d)]


def _infer(x, *, k, reduction_dimension, recall_target, is_max_k,
           reduction_input_size_override, aggregate_to_topk):
    _check_dtype(x, _TYPES, "input")
    if k < 0:
        raise ValueError(f"Attr 'k' of 'ApproxTopK' Op passed {k} less than minimum 0.")
    dims = x.shape.as_tuple()
    rank = -1 if dims is None else len(dims)
    if dims is not None and rank < 1:
        raise shape_error(f"Shape must be at least rank 1 but is rank {rank}")
    if not -rank <= reduction_dimension < rank:
        raise shape_error(f"Invalid reduction dimension: {reduction_dimension}. Must be within "
                          f"the range of [{-rank}, {rank - 1}]")
    if not 0 < recall_target <= 1:
        raise shape_error(f"Invalid recall target: {recall_target:g}. Valid value range in : "
                          "[0, 1.0].")
    d = reduction_dimension % rank
    n = dims[d]
    if n is None or n < k:
        raise shape_error(f"input must have last dimension >= k = {k} but was "
                          f"{-1 if n is None else n}")
    out = list(dims)
    out[d] = k
    shape = TensorShape(out)
    return [TensorSpec(shape, x.dtype), TensorSpec(shape, _dt.int32)]


def _grad(op, dvalues, _):
    """TF's: dvalues scattered (ScatterNd) to the input positions the indices name; the
    other coordinates of each position are their own iotas."""
    from .concat_split_ops import stack
    from .gather_ops import scatter_nd
    from .transform_ops import broadcast_to

    x, indices = op.inputs[0], op.outputs[1]
    rank = indices.shape.rank
    d = op._get_attr("reduction_dimension") % rank
    shape = array_ops.shape(indices)
    parts = []
    for j in range(rank):
        if j == d:
            parts.append(indices)
            continue
        iota = array_ops.reshape(array_ops.range_(0, shape[j]),
                                 [-1 if i == j else 1 for i in range(rank)])
        parts.append(broadcast_to(iota, shape))
    dx = scatter_nd(stack(parts, axis=rank), dvalues, array_ops.shape(x))
    dx.set_shape(x.shape)
    return [dx]


APPROX_TOP_K = register(OpDef(
    "ApproxTopK", inputs=["input:T"],
    attrs={"k": req("int"), "reduction_dimension": -1, "recall_target": 0.95, "is_max_k": True,
           "reduction_input_size_override": -1, "aggregate_to_topk": True},
    kernel=_kernel, infer=_infer, grad=_grad,
    doc="The k largest (or smallest) entries along a dimension, with their indices.",
))

ApproxTopK = collections.namedtuple("ApproxTopK", ["values", "indices"])


def approx_top_k(input, k, reduction_dimension=-1, recall_target=0.95, is_max_k=True,  # noqa: A002
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """tf.approx_top_k (the raw op's wrapper): (values, indices) as TF's namedtuple."""
    return ApproxTopK(*APPROX_TOP_K(
        input, k=k, reduction_dimension=reduction_dimension, recall_target=recall_target,
        is_max_k=is_max_k, reduction_input_size_override=reduction_input_size_override,
        aggregate_to_topk=aggregate_to_topk, name=name or "ApproxTopK"))


def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """tf.math.approx_max_k: the k largest entries along ``reduction_dimension``, largest
    first (exact here, as TF's CPU lowering)."""
    return approx_top_k(operand, k, reduction_dimension, recall_target, True,
                        reduction_input_size_override, aggregate_to_topk, name)


def approx_min_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """tf.math.approx_min_k: the k smallest entries along ``reduction_dimension``, smallest
    first."""
    return approx_top_k(operand, k, reduction_dimension, recall_target, False,
                        reduction_input_size_override, aggregate_to_topk, name)
