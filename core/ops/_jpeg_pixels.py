"""Pixels from JPEG coefficients, bit-exact with libjpeg-turbo as TensorFlow runs it: the
integer IDCTs (jidctfst.c JDCT_IFAST, TF's default; jidctint.c JDCT_ISLOW; jidctred.c's reduced
ones for ratio 2/4/8), fancy (triangle-filter) or plain chroma upsampling (jdsample.c) and the
integer YCbCr->RGB / RGB->grey tables (jdcolor.c), all vectorised over whole planes.

Samples out of range are clamped, as libjpeg-turbo's SIMD IDCTs do for sane data; coefficients so
large that its 16-bit SIMD arithmetic wraps (only in damaged files) can give other values there.
"""

from __future__ import annotations

import numpy as np

# jidctint.c's constants: FIX(x) = round(x * 2**13).
_CONST_BITS, _PASS1_BITS = 13, 2
(F0_298, F0_390, F0_541, F0_765, F0_899, F1_175, F1_501, F1_847, F1_961, F2_053, F2_562,
 F3_072) = 2446, 3196, 4433, 6270, 7373, 9633, 12299, 15137, 16069, 16819, 20995, 25172


def _idct_1d(x):
    """jpeg_idct_islow's butterfly on axis 1 of x [n, 8, ...]: the 8 outputs, not descaled
    (scaled by 2**13 over the pass's input)."""
    z2, z3 = x[:, 2], x[:, 6]
    z1 = (z2 + z3) * F0_541
    tmp2 = z1 - z3 * F1_847
    tmp3 = z1 + z2 * F0_765
    tmp0 = (x[:, 0] + x[:, 4]) << _CONST_BITS
    tmp1 = (x[:, 0] - x[:, 4]) << _CONST_BITS
    t10, t13, t11, t12 = tmp0 + tmp3, tmp0 - tmp3, tmp1 + tmp2, tmp1 - tmp2
    o0, o1, o2, o3 = x[:, 7], x[:, 5], x[:, 3], x[:, 1]
    z1, z2, z3, z4 = o0 + o3, o1 + o2, o0 + o2, o1 + o3
    z5 = (z3 + z4) * F1_175
    z1, z2 = z1 * -F0_899, z2 * -F2_562
    z3, z4 = z3 * -F1_961 + z5, z4 * -F0_390 + z5
    o0 = o0 * F0_298 + z1 + z3
    o1 = o1 * F2_053 + z2 + z4
    o2 = o2 * F3_072 + z2 + z3
    o3 = o3 * F1_501 + z1 + z4
    return np.stack([t10 + o3, t11 + o2, t12 + o1, t13 + o0,
                     t13 - o0, t12 - o1, t11 - o2, t10 - o3], axis=1)


def _descale(x, n):
    return (x + (1 << (n - 1))) >> n


def idct_islow(coefs: np.ndarray, quant: np.ndarray) -> np.ndarray:
    """uint8 [n, 8, 8] samples of n blocks of natural-order coefficients [n, 64]. Columns first,
    then rows, as jpeg_idct_islow; its range limit is a clamp, as in libjpeg-turbo's SIMD code."""
    x = (coefs.astype(np.int64) * quant).reshape(-1, 8, 8)  # [block, row (v), col (u)]
    ws = _descale(_idct_1d(x), _CONST_BITS - _PASS1_BITS)
    out = _descale(_idct_1d(ws.transpose(0, 2, 1)), _CONST_BITS + _PASS1_BITS + 3)
    return np.clip(out.transpose(0, 2, 1) + 128, 0, 255).astype(np.uint8)


# jddctmgr.c's AAN scale factors (x 2**14) that JDCT_IFAST folds into the quantisation table.
_AANSCALES = np.array([
    16384, 22725, 21407, 19266, 16384, 12873, 8867, 4520, 22725, 31521, 29692, 26722, 22725,
    17855, 12299, 6270, 21407, 29692, 27969, 25172, 21407, 16819, 11585, 5906, 19266, 26722,
    25172, 22654, 19266, 15137, 10426, 5315, 16384, 22725, 21407, 19266, 16384, 12873, 8867,
    4520, 12873, 17855, 16819, 15137, 12873, 10114, 6967, 3552, 8867, 12299, 11585, 10426, 8867,
    6967, 4799, 2446, 4520, 6270, 5906, 5315, 4520, 3552, 2446, 1247], np.int64)
# jidctfst.c's constants: FIX(x) = round(x * 2**8).
FF1_082, FF1_414, FF1_847, FF2_613 = 277, 362, 473, 669


def _ifast_1d(x):
    """jpeg_idct_ifast's AAN butterfly on axis 1 of x [n, 8, ...]; its multiplies truncate."""
    tmp10, tmp11 = x[:, 0] + x[:, 4], x[:, 0] - x[:, 4]
    tmp13 = x[:, 2] + x[:, 6]
    tmp12 = (((x[:, 2] - x[:, 6]) * FF1_414) >> 8) - tmp13
    tmp0, tmp3, tmp1, tmp2 = tmp10 + tmp13, tmp10 - tmp13, tmp11 + tmp12, tmp11 - tmp12
    z13, z10 = x[:, 5] + x[:, 3], x[:, 5] - x[:, 3]
    z11, z12 = x[:, 1] + x[:, 7], x[:, 1] - x[:, 7]
    tmp7 = z11 + z13
    tmp11 = ((z11 - z13) * FF1_414) >> 8
    z5 = ((z10 + z12) * FF1_847) >> 8
    tmp10 = ((z12 * FF1_082) >> 8) - z5
    tmp12 = ((z10 * -FF2_613) >> 8) + z5
    tmp6 = tmp12 - tmp7
    tmp5 = tmp11 - tmp6
    tmp4 = tmp10 + tmp5
    return np.stack([tmp0 + tmp7, tmp1 + tmp6, tmp2 + tmp5, tmp3 - tmp4,
                     tmp3 + tmp4, tmp2 - tmp5, tmp1 - tmp6, tmp0 - tmp7], axis=1)


def idct_ifast(coefs: np.ndarray, quant: np.ndarray) -> np.ndarray:
    """uint8 [n, 8, 8] samples by the "fast integer" IDCT (jidctfst.c, JDCT_IFAST), TF's
    default for dct_method "": less accurate, and not rounded before its final shift."""
    table = (quant * _AANSCALES + (1 << 11)) >> 12
    x = (coefs.astype(np.int64) * table).reshape(-1, 8, 8)
    out = _ifast_1d(_ifast_1d(x).transpose(0, 2, 1)) >> (_PASS1_BITS + 3)
    return np.clip(out.transpose(0, 2, 1) + 128, 0, 255).astype(np.uint8)


# jidctred.c's constants (FIX(x) = round(x * 2**13)) for the 4- and 2-point reduced IDCTs.
_RED4_ODD = ((-1730, 11893, -17799, 8697), (-4176, -4926, 7373, 20995))  # z1=c7 z2=c5 z3=c3 z4=c1
_RED2_ODD = (-5906, 6967, -10426, 29692)


def _red4_1d(x, shift):
    """jpeg_idct_4x4's butterfly on axis 1 of x [n, 8, ...] (inputs 0..7, 4 unused): 4 outputs
    descaled by ``shift``."""
    tmp0 = x[:, 0] << (_CONST_BITS + 1)
    tmp2 = x[:, 2] * F1_847 - x[:, 6] * F0_765
    t10, t12 = tmp0 + tmp2, tmp0 - tmp2
    o0, o2 = ((sum(x[:, k] * c for k, c in zip((7, 5, 3, 1), cs))) for cs in _RED4_ODD)
    return _descale(np.stack([t10 + o2, t12 + o0, t12 - o0, t10 - o2], axis=1), shift)


def _red2_1d(x, shift):
    """jpeg_idct_2x2's butterfly on axis 1 (inputs 0, 1, 3, 5, 7): 2 outputs."""
    t10 = x[:, 0] << (_CONST_BITS + 2)
    o = sum(x[:, k] * c for k, c in zip((7, 5, 3, 1), _RED2_ODD))
    return _descale(np.stack([t10 + o, t10 - o], axis=1), shift)


def idct_reduced(coefs: np.ndarray, quant: np.ndarray, size: int) -> np.ndarray:
    """uint8 [n, size, size] samples by libjpeg's reduced IDCTs (jidctred.c: 4x4, 2x2, 1x1),
    which DecodeJpeg's ratio 2, 4 and 8 use."""
    x = (coefs.astype(np.int64) * quant).reshape(-1, 8, 8)
    if size == 1:
        out = _descale(x[:, :1, :1], 3)
    else:
        one_d, extra = (_red4_1d, 1) if size == 4 else (_red2_1d, 2)
        ws = one_d(x, _CONST_BITS - _PASS1_BITS + extra)  # [n, size, 8]
        out = one_d(ws.transpose(0, 2, 1), _CONST_BITS + _PASS1_BITS + 3 + extra)
        out = out.transpose(0, 2, 1)
    return np.clip(out + 128, 0, 255).astype(np.uint8)


def plane(comp, fast: bool = False, size: int = 8, width: int = 0, height: int = 0):
    """A component's samples [height, width] (its own downsampled size) from its coefficients,
    by the fast or the accurate integer IDCT, or at ``size`` < 8 a reduced one."""
    coefs = np.array(comp.coefs, np.int64).astype(np.int16)  # libjpeg keeps JCOEF (short)
    if size < 8:
        blocks = idct_reduced(coefs.reshape(-1, 64), comp.quant, size)
    else:
        blocks = (idct_ifast if fast else idct_islow)(coefs.reshape(-1, 64), comp.quant)
    blocks = blocks.reshape(comp.bh, comp.bw, size, size)
    full = blocks.transpose(0, 2, 1, 3).reshape(comp.bh * size, comp.bw * size)
    return full[:height or comp.height, :width or comp.width]


# -- upsampling (jdsample.c) ----------------------------------------------------------------------


def _fancy_h2(x):
    """h2v1_fancy_upsample: each output is 3/4 the nearer input + 1/4 the further, the two
    phases rounded differently; the edge columns repeat."""
    x = x.astype(np.int32)
    left = np.concatenate([x[:, :1], x[:, :-1]], axis=1)
    right = np.concatenate([x[:, 1:], x[:, -1:]], axis=1)
    out = np.empty((x.shape[0], x.shape[1] * 2), np.int32)
    out[:, 0::2] = (3 * x + left + 1) >> 2
    out[:, 1::2] = (3 * x + right + 2) >> 2
    out[:, 0], out[:, -1] = x[:, 0], x[:, -1]
    return out


def _near_far(x):
    """Per output row of a vertical 2x upsampling: (nearer row, further row) inputs, the
    image's first and last rows standing in for the rows beyond (libjpeg's context rows)."""
    above = np.concatenate([x[:1], x[:-1]])
    below = np.concatenate([x[1:], x[-1:]])
    return np.repeat(x, 2, axis=0), np.stack([above, below], axis=1).reshape(-1, x.shape[1])


def _fancy_h2v2(x):
    """h2v2_fancy_upsample: vertical 3:1 column sums, then 3:1 horizontally, /16."""
    near, far = _near_far(x.astype(np.int32))
    col = 3 * near + far
    left = np.concatenate([col[:, :1], col[:, :-1]], axis=1)
    right = np.concatenate([col[:, 1:], col[:, -1:]], axis=1)
    out = np.empty((col.shape[0], col.shape[1] * 2), np.int32)
    out[:, 0::2] = (3 * col + left + 8) >> 4
    out[:, 1::2] = (3 * col + right + 7) >> 4
    return out


def _fancy_v2(x):
    """h1v2_fancy_upsample: 3/4 nearer row + 1/4 further, +1 above and +2 below to round."""
    near, far = _near_far(x.astype(np.int32))
    bias = np.tile(np.array([[1], [2]], np.int32), (x.shape[0], 1))
    return (3 * near + far + bias) >> 2


def upsample(x: np.ndarray, fh: int, fv: int, fancy: bool, wide: bool) -> np.ndarray:
    """A component plane scaled up by (fh, fv) as jdsample.c picks its method; ``wide`` is
    libjpeg's downsampled_width > 2 test (made on the whole image, also when cropping)."""
    if fancy and (fh, fv) == (2, 1) and wide:
        x = _fancy_h2(x)
    elif fancy and (fh, fv) == (1, 2):
        x = _fancy_v2(x)
    elif fancy and (fh, fv) == (2, 2) and wide:
        x = _fancy_h2v2(x)
    elif (fh, fv) != (1, 1):
        x = np.repeat(np.repeat(x, fv, axis=0), fh, axis=1)
    return x.astype(np.uint8)


# -- colour conversion (jdcolor.c) ----------------------------------------------------------------


def _fix(x):
    return int(x * 65536 + 0.5)


_CENTERED = np.arange(256, dtype=np.int64) - 128
_CR_R = (_fix(1.40200) * _CENTERED + 32768) >> 16
_CB_B = (_fix(1.77200) * _CENTERED + 32768) >> 16
_CR_G = -_fix(0.71414) * _CENTERED
_CB_G = -_fix(0.34414) * _CENTERED + 32768


def ycc_to_rgb(y, cb, cr) -> np.ndarray:
    """ycc_rgb_convert's tables: R = Y + 1.402 Cr, G = Y - 0.34414 Cb - 0.71414 Cr,
    B = Y + 1.772 Cb, each rounded as libjpeg does and clamped."""
    y = y.astype(np.int64)
    r = y + _CR_R[cr]
    g = y + ((_CB_G[cb] + _CR_G[cr]) >> 16)
    b = y + _CB_B[cb]
    return np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)


def rgb_to_gray(r, g, b) -> np.ndarray:
    """rgb_gray_convert: Y = 0.299 R + 0.587 G + 0.114 B in 16-bit fixed point, rounded."""
    y = _fix(0.299) * r.astype(np.int64) + _fix(0.587) * g.astype(np.int64) + \
        _fix(0.114) * b.astype(np.int64) + 32768
    return (y >> 16).astype(np.uint8)


def cmyk_to_rgb(cmy: np.ndarray, k: np.ndarray, inverted: bool) -> np.ndarray:
    """TF's own CMYK -> RGB (jpeg_mem.cc): R = K * C / 255 for Adobe's inverted CMYK (any
    file with an Adobe marker), else (255 - K)(255 - C) / 255; integer division."""
    cmy, k = cmy.astype(np.int32), k.astype(np.int32)[..., None]
    rgb = k * cmy // 255 if inverted else (255 - k) * (255 - cmy) // 255
    return rgb.astype(np.uint8)
