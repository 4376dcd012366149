"""GenerateBoundingBoxProposals: region proposals from anchor-relative box encodings (Faster
R-CNN's eq. 2); tf.image.generate_bounding_box_proposals.

TF 2.21 has this kernel on GPU only; this one follows it step by step, in float32: per image,
the boxes sorted by score (stable, highest first), the first ``pre_nms_topn`` decoded from
their anchors (width and height log-deltas capped at log(1000 / 16); no +1 in widths), clipped
to the image (image_info holds height, width, scale), those narrower than ``min_size * scale``
dropped, then greedy non-maximum suppression (a box goes when its IoU with a kept one is above
``nms_threshold``; boxes of zero area never suppress nor are suppressed), keeping at most
``post_nms_topn``, zero-padded. The anchors are read as TF reads them: the first
height * width * num_anchors boxes of the tensor, shared by every image. TF declares the op
not differentiable."""

from __future__ import annotations

import collections
import math

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, OutOfRangeError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape

__all__ = ["generate_bounding_box_proposals"]

_XFORM_CLIP = np.float32(math.log(1000.0 / 16.0))


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, None, message)


def _scalar(value, index: int):
    value = np.asarray(value)
    if value.ndim != 0:
        raise _invalid(f"Expected a scalar in input {index}but got shape {list(value.shape)}")
    return value[()]


def _decode(anchors, deltas, info, min_size):
    """Boxes (x1, y1, x2, y2) from (y1, x1, y2, x2) anchors and (dy, dx, dh, dw) deltas,
    clipped to the image, and whether each is wide and tall enough."""
    f = np.float32
    y1, x1, y2, x2 = (anchors[:, k] for k in range(4))
    dy, dx = deltas[:, 0], deltas[:, 1]
    dh, dw = np.minimum(deltas[:, 2], _XFORM_CLIP), np.minimum(deltas[:, 3], _XFORM_CLIP)
    width = x2 - x1
    ctr_x = x1 + f(0.5) * width
    pred_ctr_x = ctr_x + width * dx
    pred_w = width * np.exp(dw)
    x1, x2 = pred_ctr_x - f(0.5) * pred_w, pred_ctr_x + f(0.5) * pred_w
    height = y2 - y1
    ctr_y = y1 + f(0.5) * height
    pred_ctr_y = ctr_y + height * dy
    pred_h = height * np.exp(dh)
    y1, y2 = pred_ctr_y - f(0.5) * pred_h, pred_ctr_y + f(0.5) * pred_h
    img_h, img_w, scale = f(info[0]), f(info[1]), f(info[2])
    x1, x2 = (np.maximum(np.minimum(v, img_w), f(0)) for v in (x1, x2))
    y1, y2 = (np.maximum(np.minimum(v, img_h), f(0)) for v in (y1, y2))
    keep = np.minimum(x2 - x1, y2 - y1) >= f(min_size) * scale
    return np.stack([x1, y1, x2, y2], axis=1).astype(np.float32), keep


def _nms(boxes, threshold, max_boxes):
    """TF's GPU NMS on boxes already sorted by score: the kept indices, at most max_boxes."""
    f = np.float32
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept = []
    for i in range(len(boxes)):
        if len(kept) == max_boxes:
            break
        suppressed = False
        for j in kept:
            if area[i] == 0 or area[j] == 0:
                continue
            w = max(f(min(boxes[i, 2], boxes[j, 2]) - max(boxes[i, 0], boxes[j, 0])), f(0))
            h = max(f(min(boxes[i, 3], boxes[j, 3]) - max(boxes[i, 1], boxes[j, 1])), f(0))
            inter = f(w * h)
            if inter > f((area[j] + area[i] - inter) * f(threshold)):
                suppressed = True
                break
        if not suppressed:
            kept.append(i)
    return kept


def _kernel(scores, bbox_deltas, image_info, anchors, nms_threshold, pre_nms_topn, min_size,
            *, post_nms_topn):
    if post_nms_topn <= 0:
        raise _invalid("post_nms_topn can't be 0 or less")
    num_images, height, width, num_anchors = scores.shape
    if num_anchors == 0 or anchors.shape[2] // num_anchors != 4:
        raise OutOfRangeError(None, None, "Box dimensions need to be 4")
    threshold = _scalar(nms_threshold, 4)
    if threshold < 0 or threshold > 1.0:
        raise _invalid(f"nms_threshold should be between 0 and 1. Got {threshold:g}")
    pre = int(_scalar(pre_nms_topn, 5))
    if pre <= 0:
        raise _invalid(f"pre_nms_topn should be greater than 0{pre}")
    min_size = _scalar(min_size, 6)
    per_image = height * width * num_anchors
    if bbox_deltas.shape != (num_images, height, width, 4 * num_anchors):
        raise _invalid(f"bbox_deltas must have shape {[num_images, height, width, 4 * num_anchors]}"
                       f", got {list(bbox_deltas.shape)}")
    if image_info.shape[0] < num_images or image_info.shape[1] < 3 or \
            anchors.size < 4 * per_image:
        raise _invalid(f"image_info must hold [height, width, scale] for each of the "
                       f"{num_images} images and anchors {per_image} boxes, got shapes "
                       f"{list(image_info.shape)} and {list(anchors.shape)}")
    flat_anchors = anchors.reshape(-1)[:4 * per_image].reshape(per_image, 4)
    rois = np.zeros((num_images, post_nms_topn, 4), np.float32)
    probs = np.zeros((num_images, post_nms_topn), np.float32)
    n = min(per_image, pre)
    for i in range(num_images):
        s = scores[i].reshape(-1)
        order = np.argsort(-s, kind="stable")[:n]
        boxes, keep = _decode(flat_anchors[order], bbox_deltas[i].reshape(-1, 4)[order],
                              image_info[i], min_size)
        boxes, top = boxes[keep], s[order][keep]
        kept = _nms(boxes, threshold, post_nms_topn)
        rois[i, :len(kept)] = boxes[kept][:, [1, 0, 3, 2]]  # back to (y1, x1, y2, x2)
        probs[i, :len(kept)] = top[kept]
    return [rois, probs]


def _infer(scores, bbox_deltas, image_info, anchors, nms_threshold, pre_nms_topn, min_size, *,
           post_nms_topn):
    for spec, rank in ((scores, 4), (bbox_deltas, 4), (image_info, 2), (anchors, 3),
                       (nms_threshold, 0), (pre_nms_topn, 0), (min_size, 0)):
        if spec.shape.rank not in (None, rank):
            raise shape_error(f"Shape must be rank {rank} but is rank {spec.shape.rank}")
    batch = scores.shape[0].value if scores.shape.rank == 4 else None
    top = max(post_nms_topn, 0)
    return [TensorSpec(TensorShape([batch, top, 4]), _dt.float32),
            TensorSpec(TensorShape([batch, top]), _dt.float32)]


GENERATE_BOUNDING_BOX_PROPOSALS = register(OpDef(
    "GenerateBoundingBoxProposals",
    inputs=["scores:float32", "bbox_deltas:float32", "image_info:float32", "anchors:float32",
            "nms_threshold:float32", "pre_nms_topn:int32", "min_size:float32"],
    attrs={"post_nms_topn": 300},
    kernel=_kernel, infer=_infer, grad=NOT_DIFFERENTIABLE,
    doc="Region proposals: anchor boxes decoded, clipped, filtered and non-max suppressed.",
))

GenerateBoundingBoxProposals = collections.namedtuple(
    "GenerateBoundingBoxProposals", ["rois", "roi_probabilities"])


def generate_bounding_box_proposals(scores, bbox_deltas, image_info, anchors,
                                    nms_threshold=0.7, pre_nms_topn=6000, min_size=16,
                                    post_nms_topn=300, name=None):
    """tf.image.generate_bounding_box_proposals: (rois [batch, post_nms_topn, 4] as
    (y1, x1, y2, x2), roi_probabilities [batch, post_nms_topn]), best first, zero-padded."""
    return GenerateBoundingBoxProposals(*GENERATE_BOUNDING_BOX_PROPOSALS(
        scores, bbox_deltas, image_info, anchors, nms_threshold, pre_nms_topn, min_size,
        post_nms_topn=post_nms_topn, name=name or "GenerateBoundingBoxProposals"))
