"""A JPEG encoder in numpy, behind EncodeJpeg and EncodeJpegVariableQuality: bytes equal to what
TensorFlow's jpeg::Compress writes with libjpeg-turbo on a CPU.

This module turns pixels into quantised DCT coefficients and writes the file's markers, as
libjpeg does them: jpeg_set_defaults + jpeg_set_quality(force_baseline) (jcparam.c), RGB->YCbCr
with jccolor.c's 16-bit fixed-point tables, h2v2 downsampling with its alternating 1,2 rounding
bias and edge replication (jcsample.c, jcprepct.c), the accurate integer forward DCT
(jfdctint.c, JDCT_ISLOW) and libjpeg-turbo's reciprocal quantisation (jcdctmgr.c), dummy blocks
that pad the last MCU row/column (jccoefct.c), and the marker order of jcmarker.c. The entropy
coding (standard or optimised Huffman tables, sequential or progressive scans) is
core/ops/_jpeg_encode_huffman.py. Everything is vectorised over whole planes.
"""

from __future__ import annotations

import numpy as np

from . import _jpeg_encode_huffman as _huff
from ._jpeg_encode_huffman import JpegEncodeError
from ._jpeg_scan import ZIGZAG

__all__ = ["JpegEncodeError", "encode"]

ZIGZAG64 = ZIGZAG[:64]  # zigzag position -> natural position

# The JPEG standard's example tables (Annex K.1), natural order; jcparam.c scales them.
STD_LUMINANCE_QUANT = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], np.int64)
STD_CHROMINANCE_QUANT = np.array(
    [17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
     24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99] + [99] * 32, np.int64)

XMP_NAMESPACE = b"http://ns.adobe.com/xap/1.0/\0"
MAX_MARKER_DATA = 65533  # jcmarker.c write_marker_header: longer is JERR_BAD_LENGTH


def quality_scaling(quality: int) -> int:
    """jcparam.c jpeg_quality_scaling: a quality 1..100 as a percentage of the example tables."""
    quality = min(max(quality, 1), 100)
    return 5000 // quality if quality < 50 else 200 - quality * 2


def quant_table(base: np.ndarray, quality: int) -> np.ndarray:
    """jpeg_add_quant_table with force_baseline: each entry scaled, rounded, kept in 1..255."""
    return np.clip((base * quality_scaling(quality) + 50) // 100, 1, 255)


# -- colour conversion and downsampling -----------------------------------------------------------


def _fix(x):
    return int(x * 65536 + 0.5)  # jccolor.c FIX with SCALEBITS 16


_HALF, _CBCR = 1 << 15, 128 << 16


def rgb_to_ycc(rgb: np.ndarray) -> list[np.ndarray]:
    """jccolor.c rgb_ycc_convert: the Y, Cb, Cr planes (int64) of uint8 RGB pixels."""
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    y = (_fix(0.299) * r + _fix(0.587) * g + _fix(0.114) * b + _HALF) >> 16
    cb = (-_fix(0.16874) * r - _fix(0.33126) * g + _fix(0.5) * b + _CBCR + _HALF - 1) >> 16
    cr = (_fix(0.5) * r - _fix(0.41869) * g - _fix(0.08131) * b + _CBCR + _HALF - 1) >> 16
    return [y, cb, cr]


def _edge_pad(plane, rows, cols):
    """Replicates the last row / column out to ``rows`` x ``cols`` (expand_right_edge,
    expand_bottom_edge)."""
    return np.pad(plane, ((0, max(rows - plane.shape[0], 0)), (0, max(cols - plane.shape[1], 0))),
                  mode="edge")[:rows, :cols]


def component_samples(plane, comp, vmax):
    """The samples a component's real blocks are cut from: [height_in_blocks * 8,
    width_in_blocks * 8]. The full-size plane is padded to whole row groups (vmax rows) and to
    the downsampler's input width, h2v2-downsampled (bias 1, 2, 1, 2, ... across a row) when
    the component is subsampled, then padded down to whole blocks by replicating its last row."""
    rows, cols = comp.height_in_blocks * 8, comp.width_in_blocks * 8
    if not comp.sub:
        return _edge_pad(_edge_pad(plane, -(-plane.shape[0] // vmax) * vmax, cols), rows, cols)
    full = _edge_pad(plane, -(-plane.shape[0] // 2) * 2, cols * 2)
    total = full[0::2, 0::2] + full[0::2, 1::2] + full[1::2, 0::2] + full[1::2, 1::2]
    bias = np.tile(np.array([1, 2], np.int64), cols // 2)
    return _edge_pad((total + bias) >> 2, rows, cols)


# -- forward DCT and quantisation -----------------------------------------------------------------

# jfdctint.c's constants: FIX(x) = round(x * 2**13).
_CONST_BITS, _PASS1_BITS = 13, 2
(F0_298, F0_390, F0_541, F0_765, F0_899, F1_175, F1_501, F1_847, F1_961, F2_053, F2_562,
 F3_072) = 2446, 3196, 4433, 6270, 7373, 9633, 12299, 15137, 16069, 16819, 20995, 25172


def _descale(x, n):
    return (x + (1 << (n - 1))) >> n


def _fdct_1d(d, even_shift, odd_shift):
    """jpeg_fdct_islow's butterfly over axis -1 of d [..., 8]: the 8 outputs, the even part
    (0 and 4) shifted by ``even_shift`` (left if negative), the rest descaled by ``odd_shift``."""
    tmp0, tmp7 = d[..., 0] + d[..., 7], d[..., 0] - d[..., 7]
    tmp1, tmp6 = d[..., 1] + d[..., 6], d[..., 1] - d[..., 6]
    tmp2, tmp5 = d[..., 2] + d[..., 5], d[..., 2] - d[..., 5]
    tmp3, tmp4 = d[..., 3] + d[..., 4], d[..., 3] - d[..., 4]
    tmp10, tmp13, tmp11, tmp12 = tmp0 + tmp3, tmp0 - tmp3, tmp1 + tmp2, tmp1 - tmp2
    if even_shift < 0:
        out0, out4 = (tmp10 + tmp11) << -even_shift, (tmp10 - tmp11) << -even_shift
    else:
        out0, out4 = _descale(tmp10 + tmp11, even_shift), _descale(tmp10 - tmp11, even_shift)
    z1 = (tmp12 + tmp13) * F0_541
    out2 = _descale(z1 + tmp13 * F0_765, odd_shift)
    out6 = _descale(z1 - tmp12 * F1_847, odd_shift)
    z1, z2, z3, z4 = tmp4 + tmp7, tmp5 + tmp6, tmp4 + tmp6, tmp5 + tmp7
    z5 = (z3 + z4) * F1_175
    tmp4, tmp5, tmp6, tmp7 = tmp4 * F0_298, tmp5 * F2_053, tmp6 * F3_072, tmp7 * F1_501
    z1, z2 = z1 * -F0_899, z2 * -F2_562
    z3, z4 = z3 * -F1_961 + z5, z4 * -F0_390 + z5
    out7 = _descale(tmp4 + z1 + z3, odd_shift)
    out5 = _descale(tmp5 + z2 + z4, odd_shift)
    out3 = _descale(tmp6 + z2 + z3, odd_shift)
    out1 = _descale(tmp7 + z1 + z4, odd_shift)
    return np.stack([out0, out1, out2, out3, out4, out5, out6, out7], axis=-1)


def fdct_islow(blocks: np.ndarray) -> np.ndarray:
    """jpeg_fdct_islow of samples [n, 8, 8] (rows, then columns): coefficients scaled by 8."""
    x = blocks.astype(np.int64) - 128
    x = _fdct_1d(x, -_PASS1_BITS, _CONST_BITS - _PASS1_BITS)  # rows
    x = _fdct_1d(x.transpose(0, 2, 1), _PASS1_BITS, _CONST_BITS + _PASS1_BITS)
    return x.transpose(0, 2, 1)


def _reciprocal(divisor):
    """jcdctmgr.c compute_reciprocal for 16-bit DCTELEMs: (multiplier, correction, shift) that
    make (|x| + correction) * multiplier >> shift equal libjpeg-turbo's rounded division."""
    b = divisor.bit_length() - 1
    r = 16 + b
    fq, fr = divmod(1 << r, divisor)
    c = divisor // 2
    if fr == 0:
        fq >>= 1
        r -= 1
    elif fr <= divisor // 2:
        c += 1
    else:
        fq += 1
    return fq, c, r


def quantize(coefs: np.ndarray, qtable: np.ndarray) -> np.ndarray:
    """libjpeg-turbo's quantize() of fdct_islow output [n, 8, 8] by a natural-order table:
    [n, 64] quantised coefficients, natural order."""
    recips = [_reciprocal(int(q) << 3) for q in qtable]
    fq, c, r = (np.array(v, np.int64) for v in zip(*recips))
    x = coefs.reshape(-1, 64)
    mag = ((np.abs(x) + c) * fq) >> r
    return np.where(x < 0, -mag, mag)


# -- components and blocks ------------------------------------------------------------------------


def _ceil(a, b):
    return -(-a // b)


class Component:
    def __init__(self, cid, h, v, table, hmax, vmax, width, height):
        self.id, self.h, self.v, self.table = cid, h, v, table
        self.sub = (h, v) != (hmax, vmax)
        self.width_in_blocks = _ceil(_ceil(width * h, hmax), 8)
        self.height_in_blocks = _ceil(_ceil(height * v, vmax), 8)
        self.coefs = None  # [rows, cols, 64] quantised blocks, natural order, MCU-padded


def _block_grid(samples, comp, mcu_cols, mcu_rows, qtable):
    """The component's quantised blocks [rows, cols, 64] over the whole MCU grid: real blocks
    from the DCT, dummy ones (jccoefct.c) all zero but for a DC copied from the last real block
    of their row (right edge) or from the MCU's last block of the row above (bottom edge)."""
    hb, wb = comp.height_in_blocks, comp.width_in_blocks
    blocks = samples.reshape(hb, 8, wb, 8).transpose(0, 2, 1, 3).reshape(-1, 8, 8)
    real = quantize(fdct_islow(blocks), qtable).reshape(hb, wb, 64)
    rows, cols = mcu_rows * comp.v, mcu_cols * comp.h
    grid = np.zeros((rows, cols, 64), np.int64)
    grid[:hb, :wb] = real
    grid[:hb, wb:, 0] = real[:, -1:, 0]
    for r in range(hb, rows):
        last = grid[r - 1, comp.h - 1::comp.h, 0]  # each MCU's last block in the row above
        grid[r, :, 0] = np.repeat(last, comp.h)
    return grid


def encode(image: np.ndarray, quality: int, progressive: bool, optimize: bool,
           chroma_downsampling: bool, density_unit: int, x_density: int, y_density: int,
           xmp: bytes) -> bytes:
    """The JPEG file of a uint8 [height, width, 1 or 3] image, as TF's jpeg::Compress writes
    it."""
    height, width, channels = image.shape
    if width <= 0 or height <= 0 or width * height >= 1 << 29:
        raise JpegEncodeError(f"Invalid image size: {width} x {height}")
    if xmp and len(XMP_NAMESPACE) + len(xmp) > MAX_MARKER_DATA:
        raise JpegEncodeError("Bogus marker length")
    if channels == 1:
        planes, specs = [image[..., 0].astype(np.int64)], [(1, 1, 1, 0)]
    else:
        planes = rgb_to_ycc(image)
        f = 2 if chroma_downsampling else 1
        specs = [(1, f, f, 0), (2, 1, 1, 1), (3, 1, 1, 1)]
    hmax, vmax = max(s[1] for s in specs), max(s[2] for s in specs)
    tables = [quant_table(STD_LUMINANCE_QUANT, quality),
              quant_table(STD_CHROMINANCE_QUANT, quality)]
    mcu_cols, mcu_rows = -(-width // (8 * hmax)), -(-height // (8 * vmax))
    comps = []
    for plane, (cid, h, v, t) in zip(planes, specs):
        comp = Component(cid, h, v, t, hmax, vmax, width, height)
        comp.coefs = _block_grid(component_samples(plane, comp, vmax), comp, mcu_cols, mcu_rows,
                                 tables[t])
        comps.append(comp)
    out = bytearray(b"\xff\xd8")
    out += _segment(0xE0, b"JFIF\0\x01\x01" + bytes([density_unit]) + x_density.to_bytes(2, "big")
                    + y_density.to_bytes(2, "big") + b"\0\0")
    if xmp:
        out += _segment(0xE1, XMP_NAMESPACE + xmp)
    for t in range(len(tables) if channels == 3 else 1):
        out += _segment(0xDB, bytes([t]) + bytes(tables[t][ZIGZAG64].astype(np.uint8)))
    sof = bytes([8]) + height.to_bytes(2, "big") + width.to_bytes(2, "big") + bytes([len(comps)])
    for c in comps:
        sof += bytes([c.id, (c.h << 4) | c.v, c.table])
    out += _segment(0xC2 if progressive else 0xC0, sof)
    if progressive:
        out += _huff.progressive_scans(comps, mcu_cols, mcu_rows)
    else:
        out += _huff.sequential_scan(comps, mcu_cols, mcu_rows, optimize)
    out += b"\xff\xd9"
    return bytes(out)


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(body) + 2).to_bytes(2, "big") + body
