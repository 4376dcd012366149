"""Cases for core/ops/image_transform_ops.py: ImageProjectiveTransformV2/V3,
ImageConnectedComponents and BipartiteMatch (against greedy matching over sorted pairs).
The transform reference walks the output one pixel at a time with scalar float32 arithmetic
written from TF's documented rules (image_ops.h): output (x, y) maps to
((a0 x + a1 y + a2) / k, (a3 x + a4 y + a5) / k), k = a6 x + a7 y + 1; fill modes reflect
(dcba|abcd|dcba), wrap, clamp or leave the point outside; NEAREST rounds half away from zero,
BILINEAR mixes four neighbours. The components reference is a breadth-first flood fill.
Gradient cases use integer shifts with NEAREST, where TF's inverse-transform gradient is the
exact adjoint (a permutation with zero fill)."""

from collections import deque
import math

import numpy as np

import minitf.ops.image_transform_ops  # noqa: F401 - registers the ops

from .harness import Case, Const

F = np.float32
R = np.random.default_rng(23)


def _reflect(c, n):
    if n <= 1:
        return F(0) if (c < 0 or c > n - 1) else c
    period = 2 * n
    if c < 0:
        c = F(period * int(-c / F(period))) + c
        c = c + F(period) if c < -n else -c - F(1)
    elif c > n - 1:
        c = c - F(period * int(c / F(period)))
        if c >= n:
            c = F(period) - c - F(1)
    return F(min(max(c, 0), n - 1))


def _wrap(c, n):
    if n <= 1:
        return F(0) if (c < 0 or c > n - 1) else c
    if c < 0:
        c = c + F(n * (int(-c / F(n - 1)) + 1))
    elif c > n - 1:
        c = c - F(n * int(c / F(n - 1)))
    return F(min(max(c, 0), n - 1))


def _mapped(c, n, mode):
    if mode == "REFLECT":
        return _reflect(c, n)
    if mode == "WRAP":
        return _wrap(c, n)
    if mode == "NEAREST":
        return F(min(max(c, 0), n - 1))
    return c


def transform_ref(img, t, size, interpolation, fill_mode, fill=0.0):
    """Pixel-by-pixel reference of ImageProjectiveTransformV2/V3."""
    n, h, w, ch = img.shape
    oh, ow = (int(v) for v in size)
    out = np.zeros((n, oh, ow, ch), img.dtype)
    fill_t = img.dtype.type(F(fill)) if img.dtype.kind == "f" else img.dtype.type(int(F(fill)))

    def px(b, y, x, c):
        return img[b, y, x, c] if 0 <= y < h and 0 <= x < w else fill_t

    for b in range(n):
        a = [F(v) for v in t[0 if len(t) == 1 else b]]
        for oy in range(oh):
            for ox in range(ow):
                k = a[6] * F(ox) + a[7] * F(oy) + F(1)
                if k == 0:
                    out[b, oy, ox] = fill_t
                    continue
                x = _mapped((a[0] * F(ox) + a[1] * F(oy) + a[2]) / k, w, fill_mode)
                y = _mapped((a[3] * F(ox) + a[4] * F(oy) + a[5]) / k, h, fill_mode)
                for c in range(ch):
                    if interpolation == "NEAREST":
                        yi = int(math.floor(abs(y) + 0.5)) * (1 if y >= 0 else -1)
                        xi = int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)
                        out[b, oy, ox, c] = px(b, yi, xi, c)
                        continue
                    y0, x0 = F(math.floor(y)), F(math.floor(x))
                    y1, x1 = y0 + F(1), x0 + F(1)
                    v = [[F(px(b, int(yy), int(xx), c)) for xx in (x0, x1)] for yy in (y0, y1)]
                    top = (x1 - x) * v[0][0] + (x - x0) * v[0][1]
                    bottom = (x1 - x) * v[1][0] + (x - x0) * v[1][1]
                    val = (y1 - y) * top + (y - y0) * bottom
                    out[b, oy, ox, c] = val if img.dtype.kind == "f" else int(val)
    return out


def components_ref(image):
    """Flood fill: 1 + the smallest flat index of each 4-connected equal non-zero region."""
    x = np.asarray(image)
    n, h, w = x.shape
    out = np.zeros(x.shape, np.int64)
    for b in range(n):
        for r in range(h):
            for c in range(w):
                if x[b, r, c] == 0 or out[b, r, c]:
                    continue
                label = b * h * w + r * w + c + 1  # first pixel met in flat order
                out[b, r, c] = label
                todo = deque([(r, c)])
                while todo:
                    i, j = todo.popleft()
                    for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                        p, q = i + di, j + dj
                        if 0 <= p < h and 0 <= q < w and not out[b, p, q] and \
                                x[b, p, q] == x[b, i, j]:
                            out[b, p, q] = label
                            todo.append((p, q))
    return out


def match_ref(d, valid, top_k=-1, **_):
    """Greedy matching from the sorted list of (distance, row, col): each pair is taken when
    both its row and column are still free, until top_k pairs."""
    rows, cols = d.shape
    valid = rows if valid < 0 or valid > rows else int(valid)
    want = min(valid, cols) if top_k <= 0 else min(valid, cols, top_k)
    r2c, c2r = np.full(rows, -1, np.int32), np.full(cols, -1, np.int32)
    pairs = sorted((float(d[r, c]), r, c) for r in range(valid) for c in range(cols)
                   if np.isfinite(d[r, c]))
    taken = 0
    for _, r, c in pairs:
        if taken == want:
            break
        if r2c[r] < 0 and c2r[c] < 0:
            r2c[r], c2r[c] = c, r
            taken += 1
    return [r2c, c2r]


def _v2(interp, mode):
    def ref(img, t, size, **_):
        return transform_ref(img, t, size, interp, mode)
    return ref


def _v3(interp, mode):
    def ref(img, t, size, fill, **_):
        return transform_ref(img, t, size, interp, mode, float(fill))
    return ref


IMG = (R.standard_normal((2, 5, 6, 2)) * 20).astype(np.float32)
IMG_U8 = R.integers(0, 256, (2, 4, 5, 1)).astype(np.uint8)
SHARED = np.array([[0.9, -0.3, 1.5, 0.2, 1.1, -1.2, 0.02, -0.03]], np.float32)
PER_IMAGE = np.array([[1.2, 0.1, -2.0, -0.1, 0.8, 3.0, 0.0, 0.0],
                      [0.7, 0.4, 0.5, -0.4, 0.7, 1.0, -0.05, 0.04]], np.float32)
SHIFT = np.array([[1, 0, 2, 0, 1, -1, 0, 0]], np.float32)
DIST = R.permutation(30).astype(np.float32).reshape(5, 6) / 7
DIST[1, 2] = np.nan
LABELS = np.array([[[1, 1, 0, 2], [0, 1, 0, 2], [3, 0, 2, 2]],
                   [[0, 5, 5, 0], [5, 0, 5, 5], [5, 5, 0, 7]]], np.int32)


def _attrs(interp, mode="CONSTANT"):
    return {"interpolation": interp, "fill_mode": mode}


CASES = [
    Case("ImageProjectiveTransformV2", [IMG, Const(SHARED), Const(np.array([5, 6], np.int32))],
         _v2(interp, mode), attrs=_attrs(interp, mode), grad=[],
         id=f"ImageProjectiveTransformV2-{interp}-{mode}")
    for interp in ("NEAREST", "BILINEAR") for mode in ("CONSTANT", "REFLECT", "WRAP", "NEAREST")
] + [
    Case("ImageProjectiveTransformV2", [IMG, Const(PER_IMAGE), Const(np.array([7, 4], np.int32))],
         _v2("BILINEAR", "REFLECT"), attrs=_attrs("BILINEAR", "REFLECT"), grad=[],
         id="ImageProjectiveTransformV2-per-image-resized"),
    Case("ImageProjectiveTransformV2",
         [IMG_U8, Const(PER_IMAGE), Const(np.array([4, 5], np.int32))],
         _v2("BILINEAR", "WRAP"), attrs=_attrs("BILINEAR", "WRAP"), grad=[],
         id="ImageProjectiveTransformV2-uint8-truncates"),
    Case("ImageProjectiveTransformV2", [IMG, Const(SHIFT), Const(np.array([5, 6], np.int32))],
         _v2("NEAREST", "CONSTANT"), attrs=_attrs("NEAREST"), grad=[0],
         id="ImageProjectiveTransformV2-shift-gradient"),
    Case("ImageProjectiveTransformV3", [IMG, Const(SHIFT), Const(np.array([5, 6], np.int32)),
                                        Const(np.float32(0.0))],
         _v3("NEAREST", "CONSTANT"), attrs=_attrs("NEAREST"), grad=[0],
         id="ImageProjectiveTransformV3-shift-gradient"),
    Case("ImageProjectiveTransformV3", [IMG, Const(SHARED), Const(np.array([6, 3], np.int32)),
                                        Const(np.float32(-4.5))],
         _v3("BILINEAR", "CONSTANT"), attrs=_attrs("BILINEAR"), grad=[],
         id="ImageProjectiveTransformV3-fill-value"),
    Case("ImageProjectiveTransformV3", [IMG_U8, Const(SHARED), Const(np.array([4, 5], np.int32)),
                                        Const(np.float32(7.9))],
         _v3("NEAREST", "CONSTANT"), attrs=_attrs("NEAREST"), grad=[],
         id="ImageProjectiveTransformV3-uint8-fill"),
    Case("ImageConnectedComponents", [LABELS], lambda x: components_ref(x)),
    Case("BipartiteMatch", [DIST, np.float32(-1)], match_ref),
    Case("BipartiteMatch", [DIST, np.float32(3.7)], match_ref, id="BipartiteMatch-valid-rows"),
    Case("BipartiteMatch", [DIST.T.copy(), np.float32(9)], lambda d, v, **k: match_ref(d, v, 2),
         attrs={"top_k": 2}, id="BipartiteMatch-top-k"),
    Case("ImageConnectedComponents", [LABELS.astype(bool)], lambda x: components_ref(x),
         id="ImageConnectedComponents-bool"),
]
