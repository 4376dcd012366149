"""The byte-level Unicode codecs behind core/ops/unicode_ops.py, as TensorFlow's kernels see
them through ICU: decoding yields, per character, its code point, how many bytes it took and
whether those bytes were malformed; encoding writes code points back out.

A malformed stretch becomes one U+FFFD for its *maximal subpart* (Unicode's recommended
practice, which ICU and Python's own codecs follow): the longest prefix of a well-formed
sequence, or one byte when none starts there. So ``E4 B8 61`` is U+FFFD (2 bytes) then 'a',
and ``ED A0 80`` (an encoded surrogate) is three U+FFFD. UTF-16 takes an unpaired surrogate
(2 bytes) or a truncated unit as malformed; UTF-32 a value past U+10FFFF, a surrogate or a
truncated unit. Well-formed strings take a fast path through Python's codecs.

The encoding names are ICU's, compared as ICU compares them (case and punctuation ignored).
ICU knows many more legacy converters; these are the Unicode ones plus Latin-1 and ASCII."""

from __future__ import annotations

import re

import numpy as np

# ICU's names (and common aliases) for the converters minitf implements, normalised.
_ALIASES = {
    "utf8": ("utf8", "unicode11utf8", "cp1208", "ibm1208", "xutf8"),
    "utf16be": ("utf16be", "xutf16be", "unicodebigunmarked", "utf16bigendian"),
    "utf16le": ("utf16le", "xutf16le", "unicodelittleunmarked", "utf16littleendian"),
    "utf32be": ("utf32be", "utf32bigendian"),
    "utf32le": ("utf32le", "utf32littleendian"),
    "latin1": ("iso88591", "latin1", "l1", "cp819", "ibm819", "88591", "isoir100",
               "csisolatin1"),
    "ascii": ("usascii", "ascii", "ansix341968", "ansix341986", "iso646us", "us", "cp367",
              "ibm367", "csascii", "isoir6"),
}
_CODECS = {alias: codec for codec, aliases in _ALIASES.items() for alias in aliases}
# The output encodings UnicodeEncode and UnicodeTranscode allow (exact names, as TF's OpDefs).
OUTPUT_ENCODINGS = ("UTF-8", "UTF-16-BE", "UTF-32-BE")


def codec_for(name: str) -> str | None:
    """The codec an ICU encoding name selects, or None if minitf does not implement it."""
    return _CODECS.get(re.sub(r"[^0-9a-z]", "", name.lower()))


def decode(data: bytes, codec: str):
    """(code points, byte lengths, malformed flags) of the characters of ``data``, each an
    int64 array; a malformed stretch is one U+FFFD with its flag set."""
    fast = _fast_decode(data, codec)
    if fast is not None:
        return fast
    chars, lengths = _SLOW[codec](data)
    cps = np.array(chars, np.int64)
    bad = cps < 0
    cps[bad] = 0xFFFD
    return cps, np.array(lengths, np.int64), bad


def _fast_decode(data: bytes, codec: str):
    """The well-formed case (or a single-byte codec) without a Python loop; None if
    ``data`` is malformed."""
    raw = np.frombuffer(data, np.uint8)
    if codec in ("latin1", "ascii"):
        cps = raw.astype(np.int64)
        bad = cps > 0x7F if codec == "ascii" else np.zeros(len(cps), bool)
        cps[bad] = 0xFFFD
        return cps, np.ones(len(cps), np.int64), bad
    try:
        text = data.decode(_PYTHON[codec])
    except UnicodeDecodeError:
        return None
    cps = np.frombuffer(text.encode("utf-32-le"), "<u4").astype(np.int64)
    if codec == "utf8":
        starts = np.flatnonzero((raw & 0xC0) != 0x80)
        lengths = np.diff(np.append(starts, len(raw)))
    elif codec.startswith("utf16"):
        lengths = np.where(cps > 0xFFFF, 4, 2)
    else:
        lengths = np.full(len(cps), 4)
    return cps, lengths.astype(np.int64), np.zeros(len(cps), bool)


_PYTHON = {"utf8": "utf-8", "utf16be": "utf-16-be", "utf16le": "utf-16-le",
           "utf32be": "utf-32-be", "utf32le": "utf-32-le"}


def _utf8(data: bytes):
    """(code points, lengths); -1 marks a maximal subpart of a malformed sequence."""
    chars, lengths = [], []
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b < 0x80:
            chars.append(b)
            lengths.append(1)
            i += 1
            continue
        if 0xC2 <= b <= 0xDF:
            need, lo, hi, cp = 1, 0x80, 0xBF, b & 0x1F
        elif 0xE0 <= b <= 0xEF:  # E0: no overlongs; ED: no surrogates
            need, cp = 2, b & 0x0F
            lo, hi = (0xA0, 0xBF) if b == 0xE0 else (0x80, 0x9F) if b == 0xED else (0x80, 0xBF)
        elif 0xF0 <= b <= 0xF4:  # F0: no overlongs; F4: nothing past U+10FFFF
            need, cp = 3, b & 0x07
            lo, hi = (0x90, 0xBF) if b == 0xF0 else (0x80, 0x8F) if b == 0xF4 else (0x80, 0xBF)
        else:  # a continuation byte, C0, C1 or F5..FF: never starts a character
            chars.append(-1)
            lengths.append(1)
            i += 1
            continue
        j = i + 1
        while need and j < n and lo <= data[j] <= hi:
            cp = (cp << 6) | (data[j] & 0x3F)
            lo, hi, need, j = 0x80, 0xBF, need - 1, j + 1
        chars.append(cp if need == 0 else -1)
        lengths.append(j - i)
        i = j
    return chars, lengths


def _utf16(big: bool):
    def decode16(data: bytes):
        chars, lengths = [], []
        i, n = 0, len(data)
        unit = (lambda k: (data[k] << 8) | data[k + 1]) if big else \
            (lambda k: data[k] | (data[k + 1] << 8))
        while i < n:
            if n - i < 2:  # a truncated unit
                chars.append(-1)
                lengths.append(n - i)
                break
            u = unit(i)
            if 0xD800 <= u <= 0xDBFF:
                if n - i >= 4 and 0xDC00 <= unit(i + 2) <= 0xDFFF:
                    chars.append(0x10000 + ((u - 0xD800) << 10) + unit(i + 2) - 0xDC00)
                    lengths.append(4)
                    i += 4
                elif n - i == 3:  # a lead surrogate and half a unit: one truncated stretch
                    chars.append(-1)
                    lengths.append(3)
                    i += 3
                else:
                    chars.append(-1)
                    lengths.append(2)
                    i += 2
                continue
            chars.append(-1 if 0xDC00 <= u <= 0xDFFF else u)
            lengths.append(2)
            i += 2
        return chars, lengths
    return decode16


def _utf32(big: bool):
    def decode32(data: bytes):
        chars, lengths = [], []
        i, n = 0, len(data)
        order = "big" if big else "little"
        while i < n:
            if n - i < 4:
                chars.append(-1)
                lengths.append(n - i)
                break
            u = int.from_bytes(data[i:i + 4], order)
            chars.append(-1 if u > 0x10FFFF or 0xD800 <= u <= 0xDFFF else u)
            lengths.append(4)
            i += 4
        return chars, lengths
    return decode32


_SLOW = {"utf8": _utf8, "utf16be": _utf16(True), "utf16le": _utf16(False),
         "utf32be": _utf32(True), "utf32le": _utf32(False)}


def encode(code_points, encoding: str) -> bytes:
    """Unicode scalar values (and lone surrogates, which only a surrogate replacement_char
    brings) written in one of OUTPUT_ENCODINGS as ICU's UnicodeString writes them: UTF-8 turns
    a lone surrogate into U+FFFD, UTF-16 and UTF-32 write it as it is."""
    cps = np.asarray(code_points, np.int64)
    if encoding == "UTF-32-BE":
        return cps.astype(">u4").tobytes()
    surrogate = (cps >= 0xD800) & (cps <= 0xDFFF)
    if encoding == "UTF-8":
        cps = np.where(surrogate, 0xFFFD, cps)
        return cps.astype("<u4").tobytes().decode("utf-32-le").encode("utf-8")
    text = cps.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
    return text.encode("utf-16-be", "surrogatepass")
