"""Cases for core/ops/box_proposal_ops.py: GenerateBoundingBoxProposals. The reference works
one box at a time in float64 from the Faster R-CNN decoding (TF's GPU kernel's formulas: centre
plus width * delta, width * exp(min(delta, log(1000/16))), no +1) and greedy NMS by IoU
division; the data keep every IoU and size test well away from its threshold. TF declares the
op not differentiable."""

import math

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(73)
B, H, W, A = 2, 3, 4, 2
SCORES = R.permutation(B * H * W * A).reshape(B, H, W, A).astype(np.float32) / 50
DELTAS = (R.standard_normal((B, H, W, 4 * A)) * 0.2).astype(np.float32)
DELTAS[0, 0, 0, 3] = 9.0  # a width log-delta past the cap
INFO = np.array([[60, 80, 1, 0, 0], [50, 70, 0.5, 0, 0]], np.float32)
_BASE = np.array([[0, 0, 20, 20], [0, 0, 30, 15]], np.float32)
ANCHORS = np.array([_BASE[a] + [9 * h, 11 * w, 9 * h, 11 * w] for h in range(H)
                    for w in range(W) for a in range(A)], np.float32).reshape(1, H * W, 4 * A)


def _iou(a, b):
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) -
                                                              max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def _ref(scores, deltas, info, anchors, nms_threshold, pre_nms_topn, min_size, post_nms_topn):
    rois = np.zeros((scores.shape[0], post_nms_topn, 4), np.float32)
    probs = np.zeros((scores.shape[0], post_nms_topn), np.float32)
    anchors = anchors.reshape(-1, 4).astype(np.float64)
    for i in range(scores.shape[0]):
        flat = scores[i].reshape(-1)
        order = sorted(range(flat.size), key=lambda k: -flat[k])[:int(pre_nms_topn)]
        boxes = []
        for k in order:
            ay1, ax1, ay2, ax2 = anchors[k]
            dy, dx, dh, dw = deltas[i].reshape(-1, 4)[k].astype(np.float64)
            w, h = ax2 - ax1, ay2 - ay1
            cx, cy = ax1 + w / 2 + w * dx, ay1 + h / 2 + h * dy
            pw, ph = w * math.exp(min(dw, math.log(62.5))), h * math.exp(min(dh, math.log(62.5)))
            y1, y2 = (min(max(v, 0.0), info[i, 0]) for v in (cy - ph / 2, cy + ph / 2))
            x1, x2 = (min(max(v, 0.0), info[i, 1]) for v in (cx - pw / 2, cx + pw / 2))
            if min(x2 - x1, y2 - y1) >= min_size * info[i, 2]:
                boxes.append(((y1, x1, y2, x2), flat[k]))
        kept = []
        for box, score in boxes:
            if len(kept) < post_nms_topn and all(_iou(box, b) <= nms_threshold
                                                 for b, _ in kept):
                kept.append((box, score))
        for j, (box, score) in enumerate(kept):
            rois[i, j], probs[i, j] = box, score
    return rois, probs


def _case(nms, pre, min_size, top, id):  # noqa: A002
    return Case("GenerateBoundingBoxProposals",
                [SCORES, DELTAS, INFO, ANCHORS, Const(np.float32(nms)), Const(np.int32(pre)),
                 Const(np.float32(min_size))], _ref, attrs={"post_nms_topn": top},
                rtol=1e-5, atol=1e-4, id=id)


CASES = [
    _case(0.5, 6000, 1.0, 6, "GenerateBoundingBoxProposals"),
    _case(0.3, 10, 14.0, 20, "GenerateBoundingBoxProposals-padded-min-size"),
    _case(1.0, 30, 0.0, 48, "GenerateBoundingBoxProposals-no-suppression"),
]
