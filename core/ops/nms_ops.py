"""Non-max suppression ops behind ``tf.image.non_max_suppression*`` (core/image_extra.py):
NonMaxSuppression (V1 to V5) and NonMaxSuppressionWithOverlaps, with TensorFlow's attrs,
checks and greedy loop (non_max_suppression_op.cc): candidates come off a priority queue by
score, ties to the lower box index; each is compared with the boxes selected since it was last
looked at, newest first; soft-NMS (V5, ``soft_nms_sigma > 0``) decays its score and puts it
back. TF registers NonMaxSuppression, V2 and WithOverlaps as not differentiable and gives V3,
V4 and V5 no gradient at all."""

from __future__ import annotations

import heapq

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ._conv_util import _require
from ._util import const_ints
from .concat_split_ops import _dims_str

__all__: list[str] = []  # the public functions are in core/image_extra.py

_BOX_TYPES = (_dt.float16, _dt.float32)
_F32 = np.float32


def _error(message):
    return InvalidArgumentError(None, None, message)


# -- run-time checks (TF's ParseAndCheckBoxSizes, CheckScoreSizes and scalar checks) -------------


def _scalar(value, what):
    v = np.asarray(value)
    if v.ndim != 0:
        raise _error(f"{what} must be 0-D, got shape {_dims_str(v.shape).strip()}")
    return v[()]


def _boxes_and_scores(boxes, scores, what="boxes"):
    b, s = np.asarray(boxes), np.asarray(scores)
    if b.ndim != 2:
        raise _error(f"{what} must be 2-D{_dims_str(b.shape)}")
    columns = b.shape[0] if what == "overlaps" else 4
    if b.shape[1] != columns:
        raise _error(f"{what} must be square{_dims_str(b.shape)}" if what == "overlaps"
                     else f"boxes must have 4 columns{_dims_str(b.shape)}")
    if s.ndim != 1:
        raise _error(f"scores must be 1-D{_dims_str(s.shape)}")
    if s.shape[0] != b.shape[0]:
        raise _error(f"scores has incompatible shape{_dims_str(s.shape)}")
    return b, s


def _max_output(max_output_size):
    size = int(_scalar(max_output_size, "max_output_size"))
    if size < 0:
        raise _error("max_output_size must be non-negative")
    return size


def _threshold(value, what="iou_threshold"):
    t = _scalar(value, what)
    if not 0 <= float(t) <= 1:
        raise _error(f"{what} must be in [0, 1]")
    return t


# -- similarity ----------------------------------------------------------------------------------


class _IoU:
    """TF's IOU in float32 (corners in any order; 0 when a box has no area) of one box with
    some others, computed when the greedy loop asks: a whole [n, n] matrix would take gigabytes
    for the tens of thousands of boxes a detector proposes."""

    def __init__(self, boxes):
        b = boxes.astype(_F32)
        self.lo = np.minimum(b[:, :2], b[:, 2:])
        self.hi = np.maximum(b[:, :2], b[:, 2:])
        self.area = (self.hi[:, 0] - self.lo[:, 0]) * (self.hi[:, 1] - self.lo[:, 1])

    def __call__(self, i, others):
        lo, hi, area = self.lo, self.hi, self.area
        extent = np.maximum(np.minimum(hi[i], hi[others]) - np.maximum(lo[i], lo[others]),
                            _F32(0))
        inter = extent[:, 0] * extent[:, 1]
        with np.errstate(all="ignore"):
            iou = inter / (area[i] + area[others] - inter)
        return np.where((area[i] <= 0) | (area[others] <= 0), _F32(0), iou).astype(_F32)


# -- the greedy loop -----------------------------------------------------------------------------


def _suppress(similarity, scores, max_output, threshold, score_threshold, sigma=0.0):
    """(selected indices, their scores): TF's DoNonMaxSuppressionOp. ``similarity(i, js)``
    compares candidate i with the selected boxes js. Scores stay in the scores' dtype."""
    t = scores.dtype.type
    threshold, score_threshold = t(threshold), t(score_threshold)
    soft = t(sigma) > 0
    scale = t(-0.5) / t(sigma) if soft else t(0)
    # A max-heap on (score, -index): the higher score first, then the lower index.
    heap = [(-scores[i], i, 0) for i in range(len(scores)) if scores[i] > score_threshold]
    heapq.heapify(heap)
    selected, selected_scores = [], []
    while len(selected) < max_output and heap:
        neg, index, begin = heapq.heappop(heap)
        original = score = -neg
        sims = similarity(index, selected[begin:])
        if not soft and not np.isnan(sims).any():  # every weight is 1 or one suppresses
            if not (sims > threshold).any():
                selected.append(index)
                selected_scores.append(score)
            continue
        hard = False
        for j in range(len(selected) - 1, begin - 1, -1):
            sim = t(sims[j - begin])
            weight = t(np.exp(scale * sim * sim)) if soft or sim <= threshold else t(0)
            score = t(score * weight)
            if not soft and sim > threshold:
                hard = True
                break
            if score <= score_threshold:
                break
        if hard:
            continue
        if score == original:
            selected.append(index)
            selected_scores.append(score)
        elif score > score_threshold:
            heapq.heappush(heap, (-score, index, len(selected)))
    return selected, selected_scores


def _run(boxes, scores, max_output_size, iou_threshold, score_threshold, sigma=0.0,
         overlaps=False):
    what = "overlaps" if overlaps else "boxes"
    b, s = _boxes_and_scores(boxes, scores, what)
    size = _max_output(max_output_size)
    threshold = (_scalar(iou_threshold, "overlap_threshold") if overlaps
                 else _threshold(iou_threshold))
    if overlaps:
        matrix = b.astype(_F32)
        similarity = lambda i, js: matrix[i, js]  # noqa: E731
    else:
        similarity = _IoU(b)
    with np.errstate(all="ignore"):
        return _suppress(similarity, s, size, threshold, score_threshold, sigma) + (size,)


def _indices(selected, size, pad):
    valid = len(selected)
    out = np.zeros(size if pad else valid, np.int32)
    out[:valid] = selected
    return out, np.int32(valid)


def _v1_kernel(boxes, scores, max_output_size, *, iou_threshold):
    _threshold(iou_threshold)
    selected, _, _ = _run(boxes, scores, max_output_size, iou_threshold,
                          np.finfo(_F32).min)
    return np.asarray(selected, np.int32)


def _v2_kernel(boxes, scores, max_output_size, iou_threshold):
    selected, _, _ = _run(boxes, scores, max_output_size, iou_threshold,
                          np.finfo(_F32).min)
    return np.asarray(selected, np.int32)


def _v3_kernel(boxes, scores, max_output_size, iou_threshold, score_threshold):
    threshold = _scalar(score_threshold, "score_threshold")
    selected, _, _ = _run(boxes, scores, max_output_size, iou_threshold, threshold)
    return np.asarray(selected, np.int32)


def _v4_kernel(boxes, scores, max_output_size, iou_threshold, score_threshold, *,
               pad_to_max_output_size):
    threshold = _scalar(score_threshold, "score_threshold")
    selected, _, size = _run(boxes, scores, max_output_size, iou_threshold, threshold)
    return list(_indices(selected, size, pad_to_max_output_size))


def _v5_kernel(boxes, scores, max_output_size, iou_threshold, score_threshold,
               soft_nms_sigma, *, pad_to_max_output_size):
    threshold = _scalar(score_threshold, "score_threshold")
    sigma = _scalar(soft_nms_sigma, "soft_nms_sigma")
    if sigma < 0:
        raise _error(f"soft_nms_sigma must be non-negative, got {float(sigma)}")
    selected, kept, size = _run(boxes, scores, max_output_size, iou_threshold, threshold,
                                sigma)
    indices, valid = _indices(selected, size, pad_to_max_output_size)
    out_scores = np.zeros(len(indices), np.asarray(scores).dtype)
    out_scores[:valid] = kept
    return [indices, out_scores, valid]


def _overlaps_kernel(overlaps, scores, max_output_size, overlap_threshold, score_threshold):
    threshold = _scalar(score_threshold, "score_threshold")
    selected, _, _ = _run(overlaps, scores, max_output_size, overlap_threshold, threshold,
                          overlaps=True)
    return np.asarray(selected, np.int32)


# -- shape functions (TF's NMSShapeFn) -----------------------------------------------------------


def _rank(spec, rank, what):
    r = spec.shape.rank
    if r is not None and r != rank:
        raise shape_error(f"Shape must be rank {rank} but is rank {r} for '{what}'")


def _check_specs(boxes, scores, max_output_size, *thresholds, square=False):
    _rank(boxes, 2, "overlaps" if square else "boxes")
    _rank(scores, 1, "scores")
    _rank(max_output_size, 0, "max_output_size")
    for t in thresholds:
        _rank(t, 0, "threshold")
    dims = boxes.shape.as_tuple()
    if dims is not None:
        want = dims[0] if square else 4
        if dims[1] is not None and want is not None and dims[1] != want:
            raise shape_error(f"Dimension must be {want} but is {dims[1]}")
        n, m = dims[0], scores.shape.as_tuple()
        if n is not None and m is not None and m[0] is not None and m[0] != n:
            raise shape_error(f"Dimensions must be equal, but are {n} and {m[0]}")


def _selected_shape(max_output_size, pad):
    if not pad:
        return [None]
    value = const_ints(max_output_size)
    return [value[0] if value else None]


def _nms_infer(boxes, scores, max_output_size, *rest, iou_threshold=None,
               pad_to_max_output_size=False):
    _require(boxes, "boxes", _BOX_TYPES)
    if iou_threshold is not None and not 0 <= iou_threshold <= 1:  # V1's attr
        raise shape_error("iou_threshold must be in [0, 1]")
    _check_specs(boxes, scores, max_output_size, *rest)
    return [TensorSpec(_selected_shape(max_output_size, pad_to_max_output_size), _dt.int32)]


def _v4_infer(*specs, pad_to_max_output_size):
    shape = _nms_infer(*specs, pad_to_max_output_size=pad_to_max_output_size)[0].shape
    return [TensorSpec(shape, _dt.int32), TensorSpec([], _dt.int32)]


def _v5_infer(boxes, *rest, pad_to_max_output_size):
    shape = _nms_infer(boxes, *rest, pad_to_max_output_size=pad_to_max_output_size)[0].shape
    return [TensorSpec(shape, _dt.int32), TensorSpec(shape, boxes.dtype),
            TensorSpec([], _dt.int32)]


def _overlaps_infer(overlaps, scores, max_output_size, *thresholds):
    _check_specs(overlaps, scores, max_output_size, *thresholds, square=True)
    return [TensorSpec([None], _dt.int32)]


_BOXES = ["boxes:T=float32", "scores:T", "max_output_size:int32"]

NON_MAX_SUPPRESSION = register(OpDef(
    "NonMaxSuppression", inputs=["boxes:float32", "scores:float32", "max_output_size:int32"],
    attrs={"iou_threshold": 0.5}, kernel=_v1_kernel, infer=_nms_infer,
    grad=NOT_DIFFERENTIABLE,
))
NON_MAX_SUPPRESSION_V2 = register(OpDef(
    "NonMaxSuppressionV2", inputs=_BOXES + ["iou_threshold:T_threshold=float32"],
    kernel=_v2_kernel, infer=_nms_infer, grad=NOT_DIFFERENTIABLE,
))
NON_MAX_SUPPRESSION_V3 = register(OpDef(
    "NonMaxSuppressionV3", inputs=_BOXES + ["iou_threshold:T_threshold=float32",
                                            "score_threshold:T_threshold"],
    kernel=_v3_kernel, infer=_nms_infer, grad=NO_GRADIENT,
))
NON_MAX_SUPPRESSION_V4 = register(OpDef(
    "NonMaxSuppressionV4", inputs=_BOXES + ["iou_threshold:T_threshold=float32",
                                            "score_threshold:T_threshold"],
    attrs={"pad_to_max_output_size": False}, kernel=_v4_kernel, infer=_v4_infer,
    grad=NO_GRADIENT,
))
NON_MAX_SUPPRESSION_V5 = register(OpDef(
    "NonMaxSuppressionV5", inputs=_BOXES + ["iou_threshold:T", "score_threshold:T",
                                            "soft_nms_sigma:T"],
    attrs={"pad_to_max_output_size": False}, kernel=_v5_kernel, infer=_v5_infer,
    grad=NO_GRADIENT,
))
NON_MAX_SUPPRESSION_WITH_OVERLAPS = register(OpDef(
    "NonMaxSuppressionWithOverlaps",
    inputs=["overlaps:float32", "scores:float32", "max_output_size:int32",
            "overlap_threshold:float32", "score_threshold:float32"],
    kernel=_overlaps_kernel, infer=_overlaps_infer, grad=NOT_DIFFERENTIABLE,
))


# -- CombinedNonMaxSuppression -------------------------------------------------------------------


def _combined_checks(boxes, scores, per_class, total):
    b, s = np.asarray(boxes, _F32), np.asarray(scores, _F32)
    if b.ndim != 4:
        raise _error(f"boxes must be 4-D{_dims_str(b.shape)}")
    if s.ndim != 3:
        raise _error(f"scores must be 3-D{_dims_str(s.shape)}")
    if b.shape[3] != 4:
        raise _error(f"boxes must have 4 coordinates{_dims_str(b.shape)}")
    if s.shape[:2] != b.shape[:2]:
        raise _error(f"scores and boxes disagree on batch or num_boxes: {_dims_str(s.shape)} "
                     f"vs {_dims_str(b.shape)}")
    if b.shape[2] not in (1, s.shape[2]):
        raise _error(f"third dimension of boxes must be either 1 or num classes {s.shape[2]}, "
                     f"got {b.shape[2]}")
    per_class = int(_scalar(per_class, "max_size_per_class"))
    total = int(_scalar(total, "max_total_size"))
    if per_class <= 0 or total <= 0:
        raise _error("max_size_per_class and max_total_size must be > 0")
    return b, s, per_class, total


def _combined_size(per_class, total, num_classes, pad_per_class):
    return min(total, per_class * num_classes) if pad_per_class else total


# CombinedNonMaxSuppression orders equal scores as libstdc++'s std::priority_queue and
# std::sort happen to (neither is stable); these are those algorithms, step for step.


def _sift_up(heap, hole, top, value, less):
    parent = (hole - 1) // 2
    while hole > top and less(heap[parent], value):
        heap[hole] = heap[parent]
        hole, parent = parent, (parent - 1) // 2
    heap[hole] = value


def _adjust_heap(heap, hole, length, value, less):
    top = child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if less(heap[child], heap[child - 1]):
            child -= 1
        heap[hole] = heap[child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        heap[hole] = heap[child - 1]
        hole = child - 1
    _sift_up(heap, hole, top, value, less)


def _pop_heap(heap, length, less):
    """Moves the top of heap[:length] to heap[length - 1] (std::pop_heap)."""
    value = heap[length - 1]
    heap[length - 1] = heap[0]
    _adjust_heap(heap, 0, length - 1, value, less)


def _insert(items, i, less):
    value = items[i]
    while less(value, items[i - 1]):
        items[i] = items[i - 1]
        i -= 1
    items[i] = value


def _introsort(items, lo, hi, depth, less):
    while hi - lo > 16:
        if depth == 0:  # heap sort of items[lo:hi]
            part = items[lo:hi]
            for parent in range((len(part) - 2) // 2, -1, -1):
                _adjust_heap(part, parent, len(part), part[parent], less)
            for end in range(len(part), 1, -1):
                _pop_heap(part, end, less)
            items[lo:hi] = part
            return
        depth -= 1
        a, b, c = lo + 1, lo + (hi - lo) // 2, hi - 1  # median of three to the front
        if less(items[a], items[b]):
            m = b if less(items[b], items[c]) else (c if less(items[a], items[c]) else a)
        else:
            m = a if less(items[a], items[c]) else (c if less(items[b], items[c]) else b)
        items[lo], items[m] = items[m], items[lo]
        first, last = lo + 1, hi
        while True:
            while less(items[first], items[lo]):
                first += 1
            last -= 1
            while less(items[lo], items[last]):
                last -= 1
            if first >= last:
                break
            items[first], items[last] = items[last], items[first]
            first += 1
        _introsort(items, first, hi, depth, less)
        hi = first


def _std_sort(items, less):
    """libstdc++'s std::sort: introsort, then insertion sort (stable up to 16 items)."""
    if len(items) > 1:
        _introsort(items, 0, len(items), 2 * (len(items).bit_length() - 1), less)
    for i in range(1, len(items)):
        if less(items[i], items[0]):
            items.insert(0, items.pop(i))
        else:
            _insert(items, i, less)


def _per_class(coords, scores, size, iou, threshold):
    """TF's DoNMSPerClass: [(score, index)] kept, from a priority queue on score alone."""
    less = lambda a, b: a[0] < b[0]  # noqa: E731
    heap = []
    for i in np.flatnonzero(scores > threshold):
        heap.append((scores[i], int(i)))
        _sift_up(heap, len(heap) - 1, 0, heap[-1], less)
    similarity = _IoU(coords)
    kept, kept_indices = [], []
    while len(kept) < size and heap:
        _pop_heap(heap, len(heap), less)
        candidate = heap.pop()
        if (similarity(candidate[1], kept_indices) <= iou).all():  # (a NaN suppresses)
            kept.append(candidate)
            kept_indices.append(candidate[1])
    return kept


def _combined_kernel(boxes, scores, max_output_size_per_class, max_total_size, iou_threshold,
                     score_threshold, *, pad_per_class, clip_boxes):
    b, s, per_class, total = _combined_checks(boxes, scores, max_output_size_per_class,
                                              max_total_size)
    batch, num_boxes, num_classes = s.shape
    iou = _F32(_threshold(iou_threshold))
    thr = _F32(_scalar(score_threshold, "score_threshold"))
    size = _combined_size(per_class, total, num_classes, pad_per_class)
    slots = min(per_class, num_boxes)
    outs = [np.zeros((batch, size, 4), _F32), np.zeros((batch, size), _F32),
            np.zeros((batch, size), _F32), np.zeros(batch, np.int32)]
    for n in range(batch):
        # TF's result vector: slots per class, unused ones (-1 score, class -1) sort along.
        found = [(_F32(-1), -1, -1, np.zeros(4, _F32))] * (slots * num_classes)
        for c in range(num_classes):
            coords = b[n, :, c if b.shape[2] > 1 else 0]
            with np.errstate(all="ignore"):
                kept = _per_class(coords, s[n, :, c], slots, iou, thr)
            for k, (score, i) in enumerate(kept):
                found[c * slots + k] = (score, i, c, coords[i])
        _std_sort(found, lambda x, y: x[0] > y[0])
        valid = min(sum(f[1] > -1 for f in found), size)
        outs[3][n] = valid
        for k, (score, _, c, coords) in enumerate(found[:valid]):
            outs[0][n, k] = np.clip(coords, 0, 1) if clip_boxes else coords
            outs[1][n, k], outs[2][n, k] = score, c
    return outs


def _combined_infer(boxes, scores, per_class, total, iou, score, *, pad_per_class,
                    clip_boxes):
    _rank(boxes, 4, "boxes")
    _rank(scores, 3, "scores")
    for spec, what in ((per_class, "max_output_size_per_class"), (total, "max_total_size"),
                       (iou, "iou_threshold"), (score, "score_threshold")):
        _rank(spec, 0, what)
    b = boxes.shape.as_tuple() or (None,) * 4
    s = scores.shape.as_tuple() or (None,) * 3
    if b[3] is not None and b[3] != 4:
        raise shape_error(f"Dimension must be 4 but is {b[3]}")
    for i in (0, 1):  # batch and boxes, as TF's shape function merges them
        if b[i] is not None and s[i] is not None and b[i] != s[i]:
            raise shape_error(f"Dimensions must be equal, but are {b[i]} and {s[i]}")
    if b[2] not in (None, 1) and s[2] is not None and b[2] != s[2]:
        raise shape_error("third dimension of boxes must be either 1 or equal to the third "
                          "dimension of scores")
    batch = b[0] if b[0] is not None else s[0]
    p, t = const_ints(per_class), const_ints(total)
    if t is not None and t[0] <= 0:
        raise shape_error("max_total_size should be > 0")
    if p is not None and p[0] < 0:
        raise shape_error(f"max_output_size_per_class must be non-negative but is {p[0]}")
    size = None
    if t is not None:
        size = t[0]
        if pad_per_class:
            size = None if p is None or s[2] is None else min(t[0], p[0] * s[2])
    return [TensorSpec([batch, size, 4], _dt.float32), TensorSpec([batch, size], _dt.float32),
            TensorSpec([batch, size], _dt.float32), TensorSpec([batch], _dt.int32)]


COMBINED_NON_MAX_SUPPRESSION = register(OpDef(
    "CombinedNonMaxSuppression",
    inputs=["boxes:float32", "scores:float32", "max_output_size_per_class:int32",
            "max_total_size:int32", "iou_threshold:float32", "score_threshold:float32"],
    attrs={"pad_per_class": False, "clip_boxes": True},
    kernel=_combined_kernel, infer=_combined_infer, grad=NO_GRADIENT,
))
