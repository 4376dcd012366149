"""Cases for the ops of core/ops/image_extra_ops.py and core/ops/nms_ops.py.

References, written independently of the kernels: non-max suppression as the textbook
algorithm (sort by score, keep a box unless it overlaps a kept one too much; Soft-NMS decays
every remaining score after each pick), IoU in float64; CropAndResize and its image gradient
as per-pixel loops over TF's documented sampling positions; the boxes' gradient as central
differences of that reference; ResizeArea as the exact integral of the piecewise-constant
image over each output cell; ExtractImagePatches as loops over windows. CropAndResize's
gradients go through float32 boxes and outputs, so they are checked in test_image_extra.py.
"""

import math

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(5)
F = np.float32


# -- non-max suppression -------------------------------------------------------------------------


def _iou(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    ya, xa = sorted(a[[0, 2]]), sorted(a[[1, 3]])
    yb, xb = sorted(b[[0, 2]]), sorted(b[[1, 3]])
    area_a = (ya[1] - ya[0]) * (xa[1] - xa[0])
    area_b = (yb[1] - yb[0]) * (xb[1] - xb[0])
    if area_a <= 0 or area_b <= 0:
        return 0.0
    h = max(min(ya[1], yb[1]) - max(ya[0], yb[0]), 0)
    w = max(min(xa[1], xb[1]) - max(xa[0], xb[0]), 0)
    return h * w / (area_a + area_b - h * w)


def _greedy(sim, scores, max_out, iou_threshold, score_threshold=-np.inf, sigma=0.0):
    """Textbook (Soft-)NMS: pick the best remaining box (lower index on ties), then drop or
    decay the others. Returns (indices, scores)."""
    live = {i: float(s) for i, s in enumerate(scores) if s > score_threshold}
    picked, picked_scores = [], []
    while live and len(picked) < max_out:
        best = min(live, key=lambda i: (-live[i], i))
        picked.append(best)
        picked_scores.append(live.pop(best))
        for i in list(live):
            o = sim(i, best)
            if sigma > 0:
                live[i] *= math.exp(-0.5 * o * o / sigma)
            elif o > iou_threshold:
                live[i] = -np.inf
            if live[i] <= score_threshold:
                del live[i]
    return picked, picked_scores


def _by_boxes(boxes):
    return lambda i, j: _iou(boxes[i], boxes[j])


def ref_v1(boxes, scores, max_out, iou_threshold=0.5):
    return np.array(_greedy(_by_boxes(boxes), scores, int(max_out), iou_threshold)[0], np.int32)


def ref_v2(boxes, scores, max_out, iou):
    return ref_v1(boxes, scores, max_out, float(iou))


def ref_v3(boxes, scores, max_out, iou, score):
    return np.array(_greedy(_by_boxes(boxes), scores, int(max_out), float(iou), float(score))[0],
                    np.int32)


def _padded(indices, max_out, pad):
    out = np.zeros(int(max_out) if pad else len(indices), np.int32)
    out[:len(indices)] = indices
    return out


def ref_v4(boxes, scores, max_out, iou, score, pad_to_max_output_size=False):
    picked = ref_v3(boxes, scores, max_out, iou, score)
    return _padded(picked, max_out, pad_to_max_output_size), np.int32(len(picked))


def ref_v5(boxes, scores, max_out, iou, score, sigma, pad_to_max_output_size=False):
    picked, kept = _greedy(_by_boxes(boxes), scores, int(max_out), float(iou), float(score),
                           float(sigma))
    out_scores = np.zeros(int(max_out) if pad_to_max_output_size else len(picked), F)
    out_scores[:len(kept)] = kept
    return (_padded(picked, max_out, pad_to_max_output_size), out_scores,
            np.int32(len(picked)))


def ref_overlaps(overlaps, scores, max_out, threshold, score):
    sim = lambda i, j: float(overlaps[i, j])  # noqa: E731
    return np.array(_greedy(sim, scores, int(max_out), float(threshold), float(score))[0],
                    np.int32)


def ref_combined(boxes_, scores, per_class, total, iou, score, pad_per_class=False,
                 clip_boxes=True):
    """Per-class textbook NMS, then the best detections of all classes (no tied scores)."""
    batch, _, num_classes = scores.shape
    size = min(int(total), int(per_class) * num_classes) if pad_per_class else int(total)
    out = [np.zeros((batch, size, 4), F), np.zeros((batch, size), F),
           np.zeros((batch, size), F), np.zeros(batch, np.int32)]
    for n in range(batch):
        found = []
        for c in range(num_classes):
            coords = boxes_[n, :, c if boxes_.shape[2] > 1 else 0]
            picked, kept = _greedy(_by_boxes(coords), scores[n, :, c], int(per_class),
                                   float(iou), float(score))
            found += [(s, c, coords[i]) for i, s in zip(picked, kept)]
        found = sorted(found, key=lambda f: -f[0])[:size]
        out[3][n] = len(found)
        for k, (s, c, coords) in enumerate(found):
            out[0][n, k] = np.clip(coords, 0, 1) if clip_boxes else coords
            out[1][n, k], out[2][n, k] = s, c
    return out


def boxes(n, tie_scores=False):
    b = R.uniform(-0.1, 1.1, (n, 4)).astype(F)
    b[: n // 3, 2:] = b[: n // 3, :2] + 0.05  # a few small boxes; a few reversed corners
    b[n // 3: n // 2] = b[n // 3: n // 2][:, [2, 3, 0, 1]]
    s = (R.integers(0, 4, n) / 4 if tie_scores else R.uniform(0, 1, n)).astype(F)
    return b, s


def scalar(v, dtype=F):
    return Const(np.asarray(v, dtype))


def _nms_cases():
    b, s = boxes(12)
    bt, st = boxes(10, tie_scores=True)
    b0, s0 = np.zeros((0, 4), F), np.zeros(0, F)
    cluster = np.array([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 0.2, 1, 1.2], [5, 5, 6, 6],
                        [0, 0, 0, 0]], F)
    cs = np.array([0.9, 0.8, 0.7, 0.6, 0.95], F)
    m = scalar(5, np.int32)
    overlaps = R.uniform(0, 1, (8, 8)).astype(F)
    cases = [
        Case("NonMaxSuppression", [b, s, m], ref_v1, {"iou_threshold": 0.3}),
        Case("NonMaxSuppression", [bt, st, scalar(10, np.int32)], ref_v1, id="nms-v1-ties"),
        Case("NonMaxSuppressionV2", [b, s, m, scalar(0.5)], ref_v2),
        Case("NonMaxSuppressionV2", [b0, s0, m, scalar(0.5)], ref_v2, id="nms-v2-empty"),
        Case("NonMaxSuppressionV3", [b, s, m, scalar(0.4), scalar(0.3)], ref_v3),
        Case("NonMaxSuppressionV3", [bt, st, scalar(0, np.int32), scalar(0.4), scalar(-1)],
             ref_v3, id="nms-v3-max0"),
        Case("NonMaxSuppressionV3", [b.astype(np.float16), s.astype(np.float16), m,
                                     scalar(0.4), scalar(0.3)], ref_v3, id="nms-v3-half"),
        Case("NonMaxSuppressionV4", [b, s, m, scalar(0.5), scalar(0.6)], ref_v4,
             {"pad_to_max_output_size": True}),
        Case("NonMaxSuppressionV4", [cluster, cs, scalar(3, np.int32), scalar(0.5),
                                     scalar(-np.inf)], ref_v4, id="nms-v4-cluster"),
        Case("NonMaxSuppressionV5", [b, s, scalar(8, np.int32), scalar(0.5), scalar(0.1),
                                     scalar(0.5)], ref_v5, {"pad_to_max_output_size": True},
             rtol=1e-5, id="nms-v5-soft"),
        Case("NonMaxSuppressionV5", [cluster, cs, m, scalar(0.5), scalar(0.0), scalar(0.0)],
             ref_v5, id="nms-v5-hard"),
        Case("NonMaxSuppressionWithOverlaps", [overlaps, R.uniform(0, 1, 8).astype(F), m,
                                               scalar(0.6), scalar(0.2)], ref_overlaps),
    ]
    multi = R.uniform(-0.2, 1.2, (2, 9, 3, 4)).astype(F)
    cases += [
        Case("CombinedNonMaxSuppression", [multi, R.uniform(0, 1, (2, 9, 3)).astype(F),
                                           scalar(3, np.int32), scalar(7, np.int32),
                                           scalar(0.4), scalar(0.2)], ref_combined),
        Case("CombinedNonMaxSuppression", [multi[:, :, :1], R.uniform(0, 1, (2, 9, 3)).astype(F),
                                           scalar(2, np.int32), scalar(9, np.int32),
                                           scalar(0.5), scalar(-np.inf)], ref_combined,
             {"pad_per_class": True, "clip_boxes": False}, id="combined-shared-boxes"),
    ]
    for c in cases:  # how many boxes are kept is only known at run time, unless padded
        c.exact_shape = c.attrs.get("pad_to_max_output_size", c.op.startswith("Combined"))
    return cases


# -- CropAndResize and its image gradient ------------------------------------------------------


def _positions(lo, hi, crop, size):
    if crop > 1:
        return [lo * (size - 1) + k * (hi - lo) * (size - 1) / (crop - 1) for k in range(crop)]
    return [0.5 * (lo + hi) * (size - 1)]


def _samples(box, crop_size, h, w, method):
    """For each crop pixel (y, x): None when outside the image, else [(row, col, weight)]."""
    ys = _positions(box[0], box[2], crop_size[0], h)
    xs = _positions(box[1], box[3], crop_size[1], w)
    for i, py in enumerate(ys):
        for j, px in enumerate(xs):
            if not (0 <= py <= h - 1 and 0 <= px <= w - 1):
                yield i, j, None
            elif method == "nearest":
                yield i, j, [(math.floor(py + 0.5), math.floor(px + 0.5), 1.0)]
            else:
                y0, x0 = math.floor(py), math.floor(px)
                ly, lx = py - y0, px - x0
                yield i, j, [(y0, x0, (1 - ly) * (1 - lx)), (y0, math.ceil(px), (1 - ly) * lx),
                             (math.ceil(py), x0, ly * (1 - lx)),
                             (math.ceil(py), math.ceil(px), ly * lx)]


def ref_crop(image, boxes_, ind, crop_size, method="bilinear", extrapolation_value=0.0):
    n, h, w, c = image.shape
    out = np.zeros((len(boxes_), *crop_size, c))
    for b, box in enumerate(boxes_.astype(float)):
        for i, j, taps in _samples(box, crop_size, h, w, method):
            out[b, i, j] = extrapolation_value if taps is None else \
                sum(wt * image[ind[b], y, x].astype(float) for y, x, wt in taps)
    return out.astype(F)


def ref_grad_image(grads, boxes_, ind, image_size, method="bilinear", T=None):
    out = np.zeros(image_size)
    for b, box in enumerate(boxes_.astype(float)):
        for i, j, taps in _samples(box, grads.shape[1:3], *image_size[1:3], method):
            for y, x, wt in taps or []:
                out[ind[b], y, x] += wt * grads[b, i, j]
    return out.astype(getattr(T, "as_numpy_dtype", T) or F)


def ref_grad_boxes(grads, image, boxes_, ind, method="bilinear"):
    """d sum(grads * crop) / d boxes by central differences of ref_crop in float64."""
    out = np.zeros((len(boxes_), 4))
    eps = 1e-5
    for b in range(len(boxes_)):
        for k in range(4):
            hi, lo = boxes_.astype(float), boxes_.astype(float)
            hi[b, k] += eps
            lo[b, k] -= eps
            diff = [np.sum(grads[b] * _crop64(image, box[b], ind[b], grads.shape[1:3]))
                    for box in (hi, lo)]
            out[b, k] = (diff[0] - diff[1]) / (2 * eps)
    return out.astype(F)


def _crop64(image, box, index, crop_size):
    h, w = image.shape[1:3]
    out = np.zeros((*crop_size, image.shape[3]))
    for i, j, taps in _samples(box, crop_size, h, w, "bilinear"):
        if taps is not None:
            out[i, j] = sum(wt * image[index, y, x] for y, x, wt in taps)
    return out


def _crop_cases():
    image = R.standard_normal((2, 5, 6, 3)).astype(F)
    # No sampling position falls on a pixel: there bilinear has a kink (TF takes one side).
    crop_boxes = np.array([[0.11, 0.23, 0.83, 0.71], [0.9, 0.83, 0.13, 0.31],
                           [-0.3, 0.43, 0.52, 1.37], [0.37, 0.41, 0.37, 0.41]], F)
    ind = Const(np.array([0, 1, 1, 0], np.int32))
    size = Const(np.array([3, 4], np.int32))
    grads = R.standard_normal((4, 3, 4, 3)).astype(F)
    u8 = R.integers(0, 255, (1, 4, 4, 2)).astype(np.uint8)
    image_size = Const(np.array([2, 5, 6, 3], np.int32))
    return [
        Case("CropAndResize", [image, Const(crop_boxes), ind, size], ref_crop,
             {"extrapolation_value": -1.5}, grad=[]),
        Case("CropAndResize", [image, Const(crop_boxes), ind, size], ref_crop,
             {"method": "nearest"}, grad=[], id="crop-nearest"),
        Case("CropAndResize", [u8, Const(crop_boxes[:2]), Const(np.zeros(2, np.int32)),
                               Const(np.array([1, 1], np.int32))], ref_crop, grad=[],
             atol=1e-4, id="crop-u8-1x1"),
        Case("CropAndResize", [image, Const(np.zeros((0, 4), F)), Const(np.zeros(0, np.int32)),
                               size], ref_crop, grad=[], id="crop-no-boxes"),
        Case("CropAndResizeGradImage", [grads, Const(crop_boxes), ind, image_size],
             ref_grad_image, {"T": np.float32}, atol=1e-5),
        Case("CropAndResizeGradImage", [grads, Const(crop_boxes), ind, image_size],
             ref_grad_image, {"T": np.float64, "method": "nearest"}, id="gradimage-nearest"),
        Case("CropAndResizeGradBoxes", [grads, image, Const(crop_boxes), ind], ref_grad_boxes,
             rtol=1e-3, atol=1e-3),
    ]


# -- ResizeArea ----------------------------------------------------------------------------------


def _area_matrix(out_size, in_size, align_corners):
    aligned = align_corners and out_size > 1 and in_size > 1
    scale = (in_size - 1) / (out_size - 1) if aligned else in_size / out_size
    m = np.zeros((out_size, in_size))
    for o in range(out_size):
        lo, hi = o * scale, (o + 1) * scale
        for i in range(math.floor(lo), math.ceil(hi)):
            m[o, min(max(i, 0), in_size - 1)] += min(hi, i + 1) - max(lo, i)
    return m / scale


def ref_area(images, size, align_corners=False):
    my = _area_matrix(int(size[0]), images.shape[1], align_corners)
    mx = _area_matrix(int(size[1]), images.shape[2], align_corners)
    return np.einsum("yh,nhwc,xw->nyxc", my, images.astype(float), mx).astype(F)


def _area_cases():
    x = R.standard_normal((2, 5, 7, 3)).astype(F)
    return [Case("ResizeArea", [x, Const(np.array([3, 4], np.int32))], ref_area, rtol=1e-5,
                 atol=1e-5),
            Case("ResizeArea", [x, Const(np.array([8, 9], np.int32))], ref_area,
                 {"align_corners": True}, atol=1e-5, id="area-up-aligned"),
            Case("ResizeArea", [R.integers(0, 9, (1, 1, 4, 1)).astype(np.int32),
                                Const(np.array([3, 2], np.int32))], ref_area,
                 {"align_corners": True}, atol=1e-5, id="area-int-one-row")]


# -- ExtractImagePatches -------------------------------------------------------------------------


def ref_patches(images, ksizes, strides, rates, padding):
    n, h, w, c = images.shape
    (kr, kc), (sr, sc), (rr, rc) = ksizes[1:3], strides[1:3], rates[1:3]
    er, ec = (kr - 1) * rr + 1, (kc - 1) * rc + 1
    if padding == "VALID":
        oh, ow, top, left = (h - er) // sr + 1, (w - ec) // sc + 1, 0, 0
    else:
        oh, ow = -(-h // sr), -(-w // sc)
        top = max((oh - 1) * sr + er - h, 0) // 2
        left = max((ow - 1) * sc + ec - w, 0) // 2
    out = np.zeros((n, oh, ow, kr, kc, c), images.dtype)
    for i in range(oh):
        for j in range(ow):
            for a in range(kr):
                for b in range(kc):
                    y, x = i * sr - top + a * rr, j * sc - left + b * rc
                    if 0 <= y < h and 0 <= x < w:
                        out[:, i, j, a, b] = images[:, y, x]
    return out.reshape(n, oh, ow, -1)


def _patch_cases():
    x = R.standard_normal((2, 6, 7, 2))
    small = R.standard_normal((1, 4, 5, 2))
    kw = [dict(ksizes=[1, 2, 3, 1], strides=[1, 2, 2, 1], rates=[1, 1, 1, 1], padding="VALID"),
          dict(ksizes=[1, 3, 2, 1], strides=[1, 1, 3, 1], rates=[1, 2, 1, 1], padding="SAME"),
          dict(ksizes=[1, 1, 1, 1], strides=[1, 1, 1, 1], rates=[1, 1, 1, 1], padding="SAME")]
    return [Case("ExtractImagePatches", [x], ref_patches, kw[0], id="patches-valid"),
            Case("ExtractImagePatches", [small], ref_patches, kw[1], id="patches-same-rate"),
            Case("ExtractImagePatches", [R.integers(0, 9, (1, 3, 3, 1)).astype(np.int32)],
                 ref_patches, kw[2], id="patches-int")]


# -- DrawBoundingBoxes ---------------------------------------------------------------------------

TF_COLORS = [[1, 1, 0, 1], [0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 0, 1], [0.5, 0, 0.5, 1],
             [0.5, 0.5, 0, 1], [0.5, 0, 0, 1], [0, 0, 0.5, 1], [0, 1, 1, 1], [1, 0, 1, 1]]


def ref_draw(images, boxes_, colors=None):
    out = images.copy()
    n, h, w, depth = images.shape
    table = [[1] + c[1:] if depth == 1 else c for c in TF_COLORS] if colors is None else \
        colors.tolist()
    for i in range(n):
        for k, box in enumerate(boxes_[i]):
            # int() truncates toward zero, as TF's cast of the float32 product
            r0, c0, r1, c1 = (int(F(v) * F(size - 1)) for v, size in zip(box, (h, w, h, w)))
            if r0 > r1 or c0 > c1 or r0 >= h or r1 < 0 or c0 >= w or c1 < 0:
                continue
            color = table[k % len(table)][:depth]
            for r in range(max(r0, 0), min(r1, h - 1) + 1):
                for c in range(max(c0, 0), min(c1, w - 1) + 1):
                    if r in (r0, r1) or c in (c0, c1):
                        out[i, r, c] = color
    return out


def _draw_cases():
    draw_boxes = np.array([[[0.1, 0.2, 0.8, 0.9], [-0.3, 0.5, 0.6, 1.4], [0.7, 0.1, 0.2, 0.5],
                            [1.2, 1.2, 1.5, 1.5]],
                           [[0.0, 0.0, 1.0, 1.0], [0.4, 0.4, 0.4, 0.4], [0.3, -0.2, 0.9, 0.3],
                            [0.2, 0.6, 0.5, 0.9]]], F)
    return [
        Case("DrawBoundingBoxes", [R.uniform(0, 1, (2, 6, 7, 3)).astype(F), draw_boxes],
             ref_draw),
        Case("DrawBoundingBoxes", [R.uniform(0, 1, (2, 5, 5, 1)).astype(np.float16),
                                   draw_boxes], ref_draw, id="draw-grey-half"),
        Case("DrawBoundingBoxesV2", [R.uniform(0, 1, (2, 6, 7, 4)).astype(F), draw_boxes,
                                     R.uniform(0, 1, (3, 4)).astype(F)], ref_draw),
    ]


CASES = _draw_cases() + _nms_cases() + _crop_cases() + _area_cases() + _patch_cases()

COVERED_BY = {
    "CropAndResize": "tests/core/test_image_extra.py::test_crop_and_resize_gradients_match_tf",
}
