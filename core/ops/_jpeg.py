"""A JPEG decoder in numpy, behind DecodeJpeg, DecodeAndCropJpeg, ExtractJpegShape and JPEG in
DecodeImage: the file's structure (markers, tables, frame and scan headers). The scans' entropy
decoding is core/ops/_jpeg_scan.py; core/ops/_jpeg_pixels.py turns coefficients into pixels.

It reads baseline and extended sequential (SOF0/SOF1) and progressive (SOF2) Huffman JPEGs with 1,
3 or 4 (CMYK / YCCK) components, any integral sampling factors, restart intervals and several
scans, as libjpeg (jdmarker.c, jdapimin.c) does. Arithmetic-coded, lossless, hierarchical and
12-bit files are refused by name.
"""

from __future__ import annotations

import re

import numpy as np

from . import _jpeg_pixels as _pixels
from ._jpeg_scan import (ZIGZAG, JpegError, JpegUnsupportedError, damaged, decode_scan,
                         huffman_lookup)

_UNSUPPORTED_SOF = {0xC3: "lossless", 0xC5: "differential sequential", 0xC6:
                    "differential progressive", 0xC7: "differential lossless", 0xC9:
                    "arithmetic-coded sequential", 0xCA: "arithmetic-coded progressive", 0xCB:
                    "arithmetic-coded lossless", 0xCD: "differential arithmetic-coded", 0xCE:
                    "differential arithmetic-coded", 0xCF: "differential arithmetic-coded"}
_MARKER = re.compile(rb"\xff+[^\x00\xff]")  # a marker inside entropy-coded data (not a stuffed 0)
_MAX_DIMENSION = 65500  # libjpeg's JPEG_MAX_DIMENSION
# libjpeg-turbo (2.1 on, as in TF) smooths a progressive image across blocks while any of its
# first 10 coefficients (DC and 9 AC, natural order) is not yet exact (jdcoefct.c SAVED_COEFS)
_SMOOTHED = 10


class _SegmentCutError(EOFError):
    """The file ends inside a marker segment."""


class Component:
    def __init__(self, cid, h, v, tq):
        self.id, self.h, self.v, self.tq = cid, h, v, tq
        self.quant = None  # natural-order table, latched at the component's first scan
        self.coefs = None  # flat list of blocks * 64 coefficients, natural order
        self.bw = self.bh = 0  # blocks across and down, padded to whole MCUs
        self.width = self.height = 0  # the component's own (downsampled) size in samples
        # libjpeg's coef_bits for coefficients 0.._SMOOTHED - 1: the Al of the latest scan to
        # carry each (-1: none yet; 0: exact)
        self.coef_bits = [-1] * _SMOOTHED


class Frame:
    """The decoded header and coefficients of one image."""

    def __init__(self):
        self.progressive = False
        self.width = self.height = 0
        self.components: list[Component] = []
        self.jfif = False
        self.adobe_transform = None
        self.hmax = self.vmax = 1

    @property
    def color_space(self) -> str:
        """libjpeg's guess (jdapimin.c default_decompress_parms) from the component count and
        the JFIF / Adobe markers."""
        if len(self.components) == 1:
            return "gray"
        if len(self.components) == 4:
            return "cmyk" if self.adobe_transform in (None, 0) else "ycck"
        if self.jfif:
            return "ycc"
        if self.adobe_transform is not None:
            return "rgb" if self.adobe_transform == 0 else "ycc"
        ids = [c.id for c in self.components]
        return "rgb" if ids == [82, 71, 66] else "ycc"


# -- markers --------------------------------------------------------------------------------------


def _u16(data, pos):
    if pos + 2 > len(data):
        raise EOFError
    return (data[pos] << 8) | data[pos + 1]


def _segment(data, pos):
    """The body of the marker segment whose length field is at ``pos``, and where it ends."""
    if pos + 2 > len(data):
        raise _SegmentCutError
    n = _u16(data, pos)
    if n < 2:
        raise JpegError("Bogus marker length")
    if pos + n > len(data):
        raise _SegmentCutError
    return data[pos + 2:pos + n], pos + n


def _next_marker(data, pos):
    """libjpeg's next_marker: skip to an 0xFF, past fill bytes; (marker, position after it)."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0:
            raise EOFError
        while pos < len(data) and data[pos] == 0xFF:
            pos += 1
        if pos >= len(data):
            raise EOFError
        if data[pos]:
            return data[pos], pos + 1


def _read_dqt(body, tables):
    pos = 0
    while pos < len(body):
        pq, tq = body[pos] >> 4, body[pos] & 15
        size = 128 if pq else 64
        if tq > 3 or pq > 1 or pos + 1 + size > len(body):
            raise JpegError("Bogus DQT")
        raw = np.frombuffer(body[pos + 1:pos + 1 + size], ">u2" if pq else np.uint8)
        table = np.zeros(64, np.int64)
        table[ZIGZAG[:64]] = raw
        tables[tq] = table
        pos += 1 + size


def _read_dht(body, dc_tables, ac_tables):
    pos = 0
    while pos < len(body):
        if pos + 17 > len(body):
            raise JpegError("Bogus DHT")
        tc, th = body[pos] >> 4, body[pos] & 15
        counts = tuple(body[pos + 1:pos + 17])
        n = sum(counts)
        if tc > 1 or th > 3 or pos + 17 + n > len(body):
            raise JpegError("Bogus DHT")
        (ac_tables if tc else dc_tables)[th] = (counts, bytes(body[pos + 17:pos + 17 + n]))
        pos += 17 + n


def _read_sof(body, marker, frame):
    if len(body) < 6:
        raise JpegError("Bogus SOF")
    precision, frame.height, frame.width, n = body[0], _u16(body, 1), _u16(body, 3), body[5]
    frame.progressive = marker == 0xC2
    if precision != 8:
        raise JpegUnsupportedError(f"{precision}-bit JPEG samples (only 8-bit)")
    if frame.height == 0:
        raise JpegUnsupportedError("JPEG with DNL-defined height")
    if frame.width == 0 or frame.width > _MAX_DIMENSION or frame.height > _MAX_DIMENSION:
        raise JpegError(f"Bogus image size {frame.width}x{frame.height}")
    if n not in (1, 3, 4) or len(body) != 6 + 3 * n:
        raise JpegError(f"Bogus SOF with {n} components")
    for i in range(n):
        cid, hv, tq = body[6 + 3 * i:9 + 3 * i]
        h, v = hv >> 4, hv & 15
        if not (1 <= h <= 4 and 1 <= v <= 4) or tq > 3:
            raise JpegError("Bogus sampling factors")
        frame.components.append(Component(cid, h, v, tq))
    frame.hmax = max(c.h for c in frame.components)
    frame.vmax = max(c.v for c in frame.components)
    mcux = -(-frame.width // (8 * frame.hmax))
    mcuy = -(-frame.height // (8 * frame.vmax))
    for c in frame.components:
        if frame.hmax % c.h or frame.vmax % c.v:
            raise JpegUnsupportedError("fractional sampling factors")
        c.bw, c.bh = mcux * c.h, mcuy * c.v
        c.width = -(-frame.width * c.h // frame.hmax)
        c.height = -(-frame.height * c.v // frame.vmax)
        c.coefs = [0] * (c.bw * c.bh * 64)


def _app(marker, body, frame):
    if marker == 0xE0 and len(body) >= 14 and body.startswith(b"JFIF\0"):
        frame.jfif = True
    if marker == 0xEE and len(body) >= 12 and body.startswith(b"Adobe"):
        frame.adobe_transform = body[11]


def read_header(data: bytes) -> Frame:
    """The frame header (size, components), as ExtractJpegShape reads it."""
    return _parse(data, header_only=True, recover=False)


def read(data: bytes, recover: bool) -> Frame:
    """The whole file: header and every scan's coefficients. ``recover`` is
    try_recover_truncated: a file may end (without EOI) inside a scan whose data is all there."""
    return _parse(data, header_only=False, recover=recover)


def _parse(data, header_only, recover):
    if len(data) < 2 or data[0] != 0xFF or data[1] != 0xD8:
        raise JpegError("Not a JPEG file")
    frame = Frame()
    quant, dc_tables, ac_tables = {}, {}, {}
    restart, pos, scans = 0, 2, 0
    try:
        while True:
            marker, pos = _next_marker(data, pos)
            if marker in (0xC0, 0xC1, 0xC2):
                if frame.components:
                    raise JpegError("Invalid JPEG file structure: two SOF markers")
                body, pos = _segment(data, pos)
                _read_sof(body, marker, frame)
            elif marker in _UNSUPPORTED_SOF:
                raise JpegUnsupportedError(f"{_UNSUPPORTED_SOF[marker]} JPEG (SOF{marker - 0xC0})")
            elif marker == 0xDA:
                if not frame.components:
                    raise JpegError("Invalid JPEG file structure: SOS before SOF")
                body, pos = _segment(data, pos)
                if header_only:
                    return frame
                scan = _scan_header(body, frame, quant, dc_tables, ac_tables)
                tables, ss, se, _, al = scan
                for comp, _, _ in tables:  # libjpeg notes these at the scan's start
                    comp.coef_bits[ss:se + 1] = [al] * len(comp.coef_bits[ss:se + 1])
                pos, segments, complete = _entropy_segments(data, pos)
                whole = decode_scan(frame, scan, restart, segments)
                scans += 1
                if not complete and not recover:  # the file ends inside the scan
                    raise EOFError
                if not whole:
                    raise damaged("an entropy-coded segment ends early" if complete else
                                  "the file ends inside it, read on with try_recover_truncated")
                if not complete:
                    raise EOFError
            elif marker == 0xD9:
                break
            elif 0xD0 <= marker <= 0xD7 or marker == 0x01:
                continue  # stray RSTn / TEM: parameterless, libjpeg skips them
            else:
                body, pos = _segment(data, pos)
                if marker == 0xDB:
                    _read_dqt(body, quant)
                elif marker == 0xC4:
                    _read_dht(body, dc_tables, ac_tables)
                elif marker == 0xDD:
                    restart = _u16(body, 0) if len(body) == 2 else 0
                elif 0xE0 <= marker <= 0xEF:
                    _app(marker, body, frame)
    except EOFError as cut:
        if not (recover and scans):
            raise JpegError("Premature end of JPEG file") from None
        if data[-1] == 0xFF:  # TF's fake EOI then follows half a marker: libjpeg errs (or hangs)
            raise JpegError("Premature end of JPEG file, inside a marker") from None
        if frame.progressive and (isinstance(cut, _SegmentCutError) or any(
                bits != 0 for c in frame.components for bits in c.coef_bits)):
            # TF's fake EOI ends the input; libjpeg then smooths the coefficients still
            # inexact across blocks (or parses the cut segment on into its fake EOI bytes)
            raise JpegUnsupportedError(
                "a progressive JPEG cut before its last scans, which libjpeg (with "
                "try_recover_truncated) completes by smoothing the missing coefficients") \
                from None
    if not scans:
        raise JpegError("Invalid JPEG file structure: missing SOS marker")
    return frame


def _scan_header(body, frame, quant, dc_tables, ac_tables):
    n = body[0] if body else 0
    if not 1 <= n <= 4 or len(body) != 4 + 2 * n:
        raise JpegError("Bogus SOS")
    comps = []
    for i in range(n):
        cid, t = body[1 + 2 * i], body[2 + 2 * i]
        match = [c for c in frame.components if c.id == cid]
        if not match or match[0] in [c for c, _, _ in comps]:
            raise JpegError(f"Invalid component ID {cid} in SOS")
        comps.append((match[0], t >> 4, t & 15))
    ss, se, ah, al = body[1 + 2 * n], body[2 + 2 * n], body[3 + 2 * n] >> 4, body[3 + 2 * n] & 15
    if frame.progressive:
        bad = ss > se or se > 63 or (ss == 0 and se != 0) or (ss and n != 1) or al > 13 or \
            (ah and ah != al + 1)
        if bad:
            raise JpegError(f"Invalid progressive parameters Ss={ss} Se={se} Ah={ah} Al={al}")
    elif ss != 0 or se != 63 or ah or al:
        pass  # libjpeg only warns for a sequential scan and reads it as Ss=0, Se=63
    tables = []
    for comp, td, ta in comps:
        if comp.quant is None:
            if comp.tq not in quant:
                raise JpegError(f"Quantization table 0x{comp.tq:02x} was not defined")
            comp.quant = quant[comp.tq]
        dc = ac = None
        if not frame.progressive or (ss == 0 and ah == 0):
            dc = _table(dc_tables, td, True)
        if not frame.progressive or ss:
            ac = _table(ac_tables, ta, False)
        tables.append((comp, dc, ac))
    if not frame.progressive:
        ss, se, ah, al = 0, 63, 0, 0
    return tables, ss, se, ah, al


def _table(tables, index, is_dc):
    if index not in tables:
        raise JpegError(f"Huffman table 0x{index + (0 if is_dc else 16):02x} was not defined")
    counts, symbols = tables[index]
    return huffman_lookup(counts, symbols, is_dc)


def _entropy_segments(data, pos):
    """The scan's entropy-coded segments (bytes between RST markers), where its closing marker
    starts, and whether there is one (else the file ends inside the scan)."""
    segments, start = [], pos
    for m in _MARKER.finditer(data, pos):
        segments.append(data[start:m.start()])
        if 0xD0 <= data[m.end() - 1] <= 0xD7:
            start = m.end()
            continue
        return m.start(), segments, True
    segments.append(data[start:].rstrip(b"\xff"))
    return len(data), segments, False


# -- pixels ---------------------------------------------------------------------------------------


def decode(data: bytes, channels: int = 0, fancy: bool = True, recover: bool = False,
           crop: tuple[int, int, int, int] | None = None, fast: bool = True,
           ratio: int = 1) -> np.ndarray:
    """uint8 [height, width, channels] pixels as TF's DecodeJpeg gives them (channels 0, 1 or
    3; ``crop`` is DecodeAndCropJpeg's (y, x, height, width) in the output, already checked to
    fit; ``fast`` the IFAST IDCT, TF's default, else ISLOW, its INTEGER_ACCURATE; ``ratio`` 1, 2,
    4 or 8 shrinks the image by libjpeg's reduced IDCTs)."""
    frame = read(data, recover)
    color = frame.color_space
    gray_out = channels == 1 or (channels == 0 and color == "gray")
    if gray_out and color in ("cmyk", "ycck"):
        raise JpegError("Unsupported color conversion request")
    # libjpeg takes grey from Y alone: a YCbCr file's chroma is never upsampled for it.
    comps = frame.components[:1] if gray_out and color != "rgb" else frame.components
    scale = 8 // ratio  # libjpeg's min_DCT_scaled_size
    out_h, out_w = -(-frame.height * scale // 8), -(-frame.width * scale // 8)
    y0, x0, height, width = crop or (0, 0, out_h, out_w)
    # jpeg_crop_scanline widens the window left to an iMCU column boundary and decodes that
    # window as if it were the image: its edges are upsampled as image edges.
    group = scale * frame.hmax
    left = x0 // group * group
    span = width + x0 - left
    planes = []
    for c in comps:
        size = _scaled_size(frame, c, scale)
        per = c.h * size  # samples of this component per `group` output columns
        cw = -(-span * per // group)
        full_w, full_h = -(-frame.width * per // (frame.hmax * 8)), \
            -(-frame.height * c.v * size // (frame.vmax * 8))
        samples = _pixels.plane(c, fast, size, full_w, full_h)
        samples = samples[:, left // group * per:left // group * per + cw]
        wide = full_w > 2 and cw >= 2  # libjpeg's method choice, redone only below 2 columns
        fh, fv = group // per, frame.vmax * scale // (c.v * size)
        up = _pixels.upsample(samples, fh, fv, fancy and scale > 1, wide)
        planes.append(up[y0:y0 + height, x0 - left:x0 - left + width])
    if gray_out:
        return (_pixels.rgb_to_gray(*planes) if color == "rgb" else planes[0])[..., None]
    if color == "gray":
        return np.repeat(planes[0][..., None], 3, axis=-1)
    if color == "rgb":
        return np.stack(planes, axis=-1)
    if color == "ycc":
        return _pixels.ycc_to_rgb(*planes)
    cmy = 255 - _pixels.ycc_to_rgb(*planes[:3]) if color == "ycck" else np.stack(planes[:3], -1)
    return _pixels.cmyk_to_rgb(cmy, planes[3], inverted=frame.adobe_transform is not None)


def _scaled_size(frame, comp, scale):
    """The IDCT size libjpeg gives a component when decoding at 1/ratio: chroma is decoded
    larger instead of upsampled where the sampling factors allow (jdmaster.c)."""
    size = scale
    while size < 8 and (frame.hmax * scale) % (comp.h * size * 2) == 0 and \
            (frame.vmax * scale) % (comp.v * size * 2) == 0:
        size *= 2
    return size
