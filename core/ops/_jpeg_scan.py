"""The entropy decoder of core/ops/_jpeg.py: Huffman tables and the scans of sequential and
progressive JPEGs, into each component's quantised coefficients (a flat list, natural order), as
libjpeg's jdhuff.c / jdphuff.c decode them.

Damaged entropy-coded data (a segment that runs short, a code that matches no symbol) is refused:
libjpeg reads on through it with warnings, in ways (zero bits, skipped MCUs) that this decoder
does not reproduce bit for bit, so it says so rather than give different pixels. Data after the
last MCU of a segment is ignored, as libjpeg does.

The loop is Python (Huffman decoding is serial), kept fast by one table lookup per symbol on a
16-bit peek that, for most codes, also holds the coefficient's value bits, read from precomputed
40-bit windows at every byte of the segment.
"""

from __future__ import annotations

import functools
import re

import numpy as np

# Zigzag position -> natural (row-major) position, padded with 63s as libjpeg's
# jpeg_natural_order is, so a corrupt run past the end of a block lands on the last coefficient.
ZIGZAG = np.array([
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27,
    20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58,
    59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63] + [63] * 16)
_ZZ = ZIGZAG.tolist()
_STUFFED = re.compile(rb"\xff+\x00")  # libjpeg skips fill bytes before a stuffed zero too
# Zero bytes after a segment: more than one MCU can read (10 blocks of 64 codes of <= 32 bits),
# so that a segment that runs short is found after its MCU rather than by an IndexError.
_PAD = 2700
_BAD = -1000  # the run of an AC entry for a code that matches no symbol
_MAX_BLOCKS_IN_MCU = 10  # libjpeg's D_MAX_BLOCKS_IN_MCU


class JpegError(Exception):
    """The file cannot be decoded (TF reports every such failure with one message)."""


class JpegUnsupportedError(JpegError):
    """A valid JPEG feature, or a reading of damaged data, that minitf does not reproduce."""


def damaged(what):
    return JpegUnsupportedError(f"damaged JPEG image data ({what}), which libjpeg reads on "
                                "through with warnings")


@functools.lru_cache(maxsize=64)
def huffman_lookup(counts: tuple, symbols: bytes, is_dc: bool):
    """Per 16-bit peek: for DC (bits, size); for AC (bits, run, value, extra). An AC entry
    consumes ``bits``; when ``extra`` is 0 it is complete (run < 0 is an end-of-band of run
    ``-1 - run``, i.e. EOBr), else ``extra`` value bits follow. A code matching nothing has
    17 bits (DC) or run _BAD (AC)."""
    if sum(counts) > 256 or sum(counts) != len(symbols) or (is_dc and max(symbols, default=0) > 15):
        raise JpegError("Bogus Huffman table definition")
    length = np.full(65536, 17, np.int64)
    sym = np.zeros(65536, np.int64)
    code, k = 0, 0
    for bits, n in enumerate(counts, 1):
        for _ in range(n):
            if code >= 1 << bits:
                raise JpegError("Bogus Huffman table definition")
            lo = code << (16 - bits)
            length[lo:lo + (1 << (16 - bits))] = bits
            sym[lo:lo + (1 << (16 - bits))] = symbols[k]
            code, k = code + 1, k + 1
        code <<= 1
    if is_dc:
        return list(zip(length.tolist(), sym.tolist()))
    run, size = sym >> 4, sym & 15
    inside = (size > 0) & (length + size <= 16)
    raw = (np.arange(65536) >> np.maximum(16 - length - size, 0)) & ((1 << size) - 1)
    value = np.where(inside, np.where(raw < (1 << np.maximum(size - 1, 0)),
                                      raw - (1 << size) + 1, raw), 0)
    bits = np.where(inside, length + size, length)
    extra = np.where(inside | (size == 0), 0, size)
    run = np.where((size == 0) & (run != 15), -1 - run, run)
    run[length == 17] = _BAD
    return list(zip(bits.tolist(), run.tolist(), value.tolist(), extra.tolist()))


class _Bits:
    """One entropy-coded segment as 40-bit big-endian windows at every byte, zero beyond."""

    def __init__(self, segment: bytes):
        data = _STUFFED.sub(b"\xff", segment) if b"\xff" in segment else segment
        self.nbits = len(data) * 8
        b = np.frombuffer(data + bytes(_PAD + 4), np.uint8).astype(np.int64)
        self.win = ((b[:-4] << 32) | (b[1:-3] << 24) | (b[2:-2] << 16) | (b[3:-1] << 8)
                    | b[4:]).tolist()


def _mcus(frame, comps):
    """Per MCU, per scan component, the flat offsets of its blocks: the whole padded MCU grid
    for an interleaved scan, the component's own blocks for a single-component one."""
    if len(comps) == 1:
        c = comps[0]
        bw, bh = -(-c.width // 8), -(-c.height // 8)
        for by in range(bh):
            for bx in range(bw):
                yield ([(by * c.bw + bx) * 64],)
        return
    if sum(c.h * c.v for c in comps) > _MAX_BLOCKS_IN_MCU:
        raise JpegError("Sampling factors too large for interleaved scan")
    inner = [[(yy * c.bw + xx) * 64 for yy in range(c.v) for xx in range(c.h)] for c in comps]
    mcux, mcuy = comps[0].bw // comps[0].h, comps[0].bh // comps[0].v
    for my in range(mcuy):
        for mx in range(mcux):
            yield tuple([(my * c.v * c.bw + mx * c.h) * 64 + o for o in offs]
                        for c, offs in zip(comps, inner))


def decode_scan(frame, scan, restart: int, segments: list[bytes]) -> bool:
    """Decodes one scan into the coefficients of its components; False if a segment ran
    short (the scan then stops there)."""
    tables, ss, se, ah, al = scan
    comps = [c for c, _, _ in tables]
    if not frame.progressive:
        step = _sequential_mcu
    elif ss == 0:
        step = _dc_first_mcu if ah == 0 else _dc_refine_mcu
    else:
        step = _ac_first_mcu if ah == 0 else _ac_refine_mcu
    state = {"tables": tables, "coefs": [c.coefs for c in comps], "preds": [0] * len(comps),
             "eobrun": 0, "ss": ss, "se": se, "al": al}
    seg = 0
    bits, p = _Bits(segments[0] if segments else b""), 0
    for m, blocks in enumerate(_mcus(frame, comps)):
        if restart and m and m % restart == 0:
            seg += 1
            bits = _Bits(segments[seg] if seg < len(segments) else b"")
            p = 0
            state["preds"], state["eobrun"] = [0] * len(comps), 0
        p = step(bits.win, p, blocks, state)
        if p > bits.nbits:
            return False
    return True


def _receive(win, p, s):
    """The value of the ``s`` bits at ``p``, sign-extended as JPEG's EXTEND does."""
    v = (win[p >> 3] >> (40 - (p & 7) - s)) & ((1 << s) - 1)
    return v - (1 << s) + 1 if v < 1 << (s - 1) else v


def _sequential_mcu(win, p, blocks, state):
    zz, preds = _ZZ, state["preds"]
    for i, (offsets, (_, dct, act), coefs) in enumerate(zip(blocks, state["tables"],
                                                           state["coefs"])):
        for base in offsets:
            n, s = dct[(win[p >> 3] >> (24 - (p & 7))) & 0xFFFF]
            if n > 16:
                raise damaged("a bad Huffman code")
            p += n
            if s:
                preds[i] += _receive(win, p, s)
                p += s
            coefs[base] = preds[i]
            k = 1
            while k < 64:
                n, r, v, s = act[(win[p >> 3] >> (24 - (p & 7))) & 0xFFFF]
                p += n
                if s:
                    v = _receive(win, p, s)
                    p += s
                elif r < 0:
                    if r == _BAD:
                        raise damaged("a bad Huffman code")
                    break
                k += r
                if v:
                    coefs[base + zz[k]] = v
                k += 1
    return p


def _dc_first_mcu(win, p, blocks, state):
    preds, al = state["preds"], state["al"]
    for i, (offsets, (_, dct, _), coefs) in enumerate(zip(blocks, state["tables"],
                                                         state["coefs"])):
        for base in offsets:
            n, s = dct[(win[p >> 3] >> (24 - (p & 7))) & 0xFFFF]
            if n > 16:
                raise damaged("a bad Huffman code")
            p += n
            if s:
                preds[i] += _receive(win, p, s)
                p += s
            coefs[base] = preds[i] << al
    return p


def _dc_refine_mcu(win, p, blocks, state):
    bit = 1 << state["al"]
    for offsets, coefs in zip(blocks, state["coefs"]):
        for base in offsets:
            if (win[p >> 3] >> (39 - (p & 7))) & 1:
                coefs[base] |= bit
            p += 1
    return p


def _eob_run(win, p, r):
    """EOBr's run of blocks (counting this one) and the position after its extra bits."""
    if r > 14:
        raise damaged("a bad Huffman code")
    if not r:
        return 1, p
    return (1 << r) + ((win[p >> 3] >> (40 - (p & 7) - r)) & ((1 << r) - 1)), p + r


def _ac_first_mcu(win, p, blocks, state):
    if state["eobrun"]:
        state["eobrun"] -= 1
        return p
    zz, al, se = _ZZ, state["al"], state["se"]
    act, coefs, base = state["tables"][0][2], state["coefs"][0], blocks[0][0]
    k = state["ss"]
    while k <= se:
        n, r, v, s = act[(win[p >> 3] >> (24 - (p & 7))) & 0xFFFF]
        p += n
        if s:
            v = _receive(win, p, s)
            p += s
        elif r < 0:
            run, p = _eob_run(win, p, -1 - r)
            state["eobrun"] = run - 1
            break
        k += r
        if v:
            coefs[base + zz[k]] = v << al
        k += 1
    return p


def _refine_nonzero(win, p, coefs, pos, p1):
    """A correction bit for an already-nonzero coefficient (jdphuff.c decode_mcu_AC_refine)."""
    if (win[p >> 3] >> (39 - (p & 7))) & 1 and not coefs[pos] & p1:
        coefs[pos] += p1 if coefs[pos] >= 0 else -p1
    return p + 1


def _ac_refine_mcu(win, p, blocks, state):
    zz, se = _ZZ, state["se"]
    act, coefs, base = state["tables"][0][2], state["coefs"][0], blocks[0][0]
    p1 = 1 << state["al"]
    k = state["ss"]
    if not state["eobrun"]:
        while k <= se:
            n, r, v, s = act[(win[p >> 3] >> (24 - (p & 7))) & 0xFFFF]
            p += n
            if s:  # a new coefficient of +-1 at this bit: only its sign bit is read
                v = 1 if (win[p >> 3] >> (39 - (p & 7))) & 1 else -1
                p += 1
            if v:
                v = p1 if v > 0 else -p1
            elif r < 0:
                run, p = _eob_run(win, p, -1 - r)
                state["eobrun"] = run
                break
            while k <= se:  # skip r zero coefficients, refining the nonzero ones passed
                pos = base + zz[k]
                if coefs[pos]:
                    p = _refine_nonzero(win, p, coefs, pos, p1)
                else:
                    r -= 1
                    if r < 0:
                        break
                k += 1
            if v:
                coefs[base + zz[k]] = v
            k += 1
    if state["eobrun"]:
        while k <= se:
            pos = base + zz[k]
            if coefs[pos]:
                p = _refine_nonzero(win, p, coefs, pos, p1)
            k += 1
        state["eobrun"] -= 1
    return p
