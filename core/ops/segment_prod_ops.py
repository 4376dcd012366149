"""Segment products: SegmentProd and UnsortedSegmentProd (the sums, maxima and means are in
gather_ops); then the public TF1 wrappers. An empty segment's product is 1."""

from __future__ import annotations

import numpy as np

from ..opdef import OpDef, register
from . import array_ops, math_ops
from .gather_ops import (SEGMENT_SUM, _check_sorted_ids, _check_unsorted_segments,
                         _gather_drop_negatives, _reduce_at, _sorted_segment_infer, _uss_infer,
                         gather, unsorted_segment_sum)

__all__ = ["segment_prod", "unsorted_segment_prod"]


def _segment_prod_kernel(data, segment_ids):
    data, ids = np.asarray(data), np.asarray(segment_ids)
    _check_sorted_ids(data, ids, "SegmentProd")
    n = int(ids[-1]) + 1 if ids.size else 0
    return _reduce_at(np.multiply, data, ids, n, 1)[0]


def _unsorted_segment_prod_kernel(data, segment_ids, num_segments):
    data, ids = np.asarray(data), np.asarray(segment_ids)
    n = _check_unsorted_segments(data.shape, ids, num_segments)
    return _reduce_at(np.multiply, data, ids, n, 1)[0]


def _prod_grad(op, dy):
    """TF's rule: the product of the segment's other entries, i.e. prod / x where x != 0; the
    product of the non-zero entries where x is the segment's only 0; 0 with two or more 0s."""
    from .logic_ops import equal, greater, where_v2

    data, ids = op.inputs[0], op.inputs[1]
    unsorted = len(op.inputs) == 3

    def segment_sum(x):
        return unsorted_segment_sum(x, ids, op.inputs[2]) if unsorted else SEGMENT_SUM(x, ids)

    def spread(x):
        return _gather_drop_negatives(x, ids) if unsorted else gather(x, ids)

    is_zero = equal(data, array_ops.zeros([], data.dtype))
    num_zeros = segment_sum(math_ops.cast(is_zero, "int32"))
    dy = where_v2(greater(num_zeros, 1), array_ops.zeros_like(dy), dy)
    non_zero_data = where_v2(is_zero, array_ops.ones_like(data), data)
    prod_op = UNSORTED_SEGMENT_PROD if unsorted else SEGMENT_PROD
    non_zero_prod = prod_op(non_zero_data, ids, *op.inputs[2:])
    # prod / x where x != 0 (dividing by the non-zero stand-in avoids 0/0 where it is unused)
    by_element = math_ops.truediv(spread(op.outputs[0]), non_zero_data)
    partial = where_v2(is_zero, spread(non_zero_prod), by_element)
    return [spread(dy) * partial, None] + ([None] if unsorted else [])


SEGMENT_PROD = register(OpDef(
    "SegmentProd", inputs=["data:T", "segment_ids:Tindices=int32"],
    kernel=_segment_prod_kernel, infer=_sorted_segment_infer, grad=_prod_grad,
    doc="Products of data's rows per (sorted) segment id; an empty segment is 1.",
))
UNSORTED_SEGMENT_PROD = register(OpDef(
    "UnsortedSegmentProd", inputs=["data:T", "segment_ids:Tindices=int32",
                                   "num_segments:Tnumsegments=int32"],
    kernel=_unsorted_segment_prod_kernel, infer=_uss_infer, grad=_prod_grad,
    doc="Products per segment id; an empty segment is 1.",
))


def segment_prod(data, segment_ids, name=None):
    return SEGMENT_PROD(data, segment_ids, name=name or "SegmentProd")


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    return UNSORTED_SEGMENT_PROD(data, segment_ids, num_segments,
                                 name=name or "UnsortedSegmentProd")
