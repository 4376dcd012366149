"""The byte-level Unicode codecs behind core/ops/unicode_ops.py, as TensorFlow's kernels see
them through ICU: decoding yields, per character, its code point, how many bytes it took and
whether those bytes were malformed; encoding writes rows of code points back out. Both work on
a whole batch of strings at once, with O(1) Python work per string (the per-byte work is in
Python's codecs and numpy), so 100k short strings take tens of milliseconds, not seconds.

A malformed stretch becomes one U+FFFD for its *maximal subpart* (Unicode's recommended
practice, which ICU and Python's own codecs follow): the longest prefix of a well-formed
sequence, or one byte when none starts there. So ``E4 B8 61`` is U+FFFD (2 bytes) then 'a',
and ``ED A0 80`` (an encoded surrogate) is three U+FFFD. UTF-16 takes an unpaired surrogate
(2 bytes) or a truncated unit as malformed; UTF-32 a value past U+10FFFF, a surrogate or a
truncated unit. Python's decoders report exactly these stretches to an error handler, which
here writes one lone surrogate U+DC00 + n per stretch of n bytes: no well-formed text holds a
lone surrogate, so the marks are unambiguous and carry their byte length.

"UTF-16" and "UTF-32" (no byte order) are ICU's BOM-detecting converters: a leading BOM
(FE FF / FF FE, 00 00 FE FF / FF FE 00 00) picks the byte order and is dropped, its bytes
counted in the first character's; without one, big-endian; a BOM alone decodes to U+FFFF
(ucnv_getNextUChar's "no output"). TF's kernels use one converter for all the strings of a
run without resetting it between them, so a detected byte order carries over to the next
strings until ICU resets the converter; ``_bom_texts`` replays that (checked against TF on
thousands of random batches).

The encoding names are ICU's, compared as ICU compares them (case and punctuation ignored).
ICU knows many more legacy converters; these are the Unicode ones plus Latin-1 and ASCII."""

from __future__ import annotations

import codecs
import re

import numpy as np

# ICU's names (and common aliases) for the converters minitf implements, normalised.
_ALIASES = {
    "utf8": ("utf8", "unicode11utf8", "cp1208", "ibm1208", "xutf8"),
    "utf16": ("utf16", "iso10646ucs2", "ibm1204", "ibm1205", "unicode", "csunicode", "ucs2"),
    "utf16be": ("utf16be", "xutf16be", "unicodebigunmarked", "utf16bigendian"),
    "utf16le": ("utf16le", "xutf16le", "unicodelittleunmarked", "utf16littleendian"),
    "utf32": ("utf32", "iso10646ucs4", "ibm1236", "ibm1237", "csucs4", "ucs4"),
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

# Python's decoders, called directly: bytes.decode() would go through a Python-level codec
# function for all but UTF-8. They return (text, bytes consumed); final=True makes a truncated
# end malformed.
_PYTHON = {"utf8": codecs.utf_8_decode, "utf16be": codecs.utf_16_be_decode,
           "utf16le": codecs.utf_16_le_decode, "utf32be": codecs.utf_32_be_decode,
           "utf32le": codecs.utf_32_le_decode}
# The BOM-detecting codecs: (BOM, codec it selects) for big- then little-endian.
_BOMS = {"utf16": ((b"\xfe\xff", "utf16be"), (b"\xff\xfe", "utf16le")),
         "utf32": ((b"\x00\x00\xfe\xff", "utf32be"), (b"\xff\xfe\x00\x00", "utf32le"))}
_MARK = 0xDC00  # a malformed stretch of n bytes decodes to chr(_MARK + n)
_HANDLER = "minitf_unicode_mark"


def _mark(err: UnicodeDecodeError):
    return chr(_MARK + err.end - err.start), err.end


codecs.register_error(_HANDLER, _mark)


def codec_for(name: str) -> str | None:
    """The codec an ICU encoding name selects, or None if minitf does not implement it."""
    return _CODECS.get(re.sub(r"[^0-9a-z]", "", name.lower()))


def decode_rows(strings, codec: str):
    """(code points, byte lengths, malformed flags, characters per string) of a batch of
    byte strings, the first three flat over all characters (int64, int64, bool), the last one
    per string; a malformed stretch is one U+FFFD with its flag set."""
    strings = list(strings)
    if codec in ("latin1", "ascii"):  # one byte, one character
        cps = np.frombuffer(b"".join(strings), np.uint8).astype(np.int64)
        bad = cps > 0x7F if codec == "ascii" else np.zeros(len(cps), bool)
        cps[bad] = 0xFFFD
        counts = np.fromiter(map(len, strings), np.int64, len(strings))
        return cps, np.ones(len(cps), np.int64), bad, counts
    if codec in _BOMS:
        texts, boms = _bom_texts(strings, codec)
    else:
        python = _PYTHON[codec]
        texts, boms = [python(s, _HANDLER, True)[0] for s in strings], None
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"),
                        "<u4").astype(np.int64)
    counts = np.fromiter(map(len, texts), np.int64, len(texts))
    bad = (cps >= _MARK) & (cps <= 0xDFFF)
    if codec == "utf8":
        lengths = 1 + (cps >= 0x80) + (cps >= 0x800) + (cps >= 0x10000)
    elif codec.startswith("utf16"):
        lengths = np.where(cps > 0xFFFF, 4, 2)
    else:
        lengths = np.full(len(cps), 4)
    lengths = lengths.astype(np.int64)
    lengths[bad] = cps[bad] - _MARK
    cps[bad] = 0xFFFD
    if boms is not None:  # a BOM's bytes count in the first character of its string
        rows = np.flatnonzero(boms)
        lengths[(np.cumsum(counts) - counts)[rows]] += boms[rows]
    return cps, lengths, bad, counts


def _bom_texts(strings: list, codec: str):
    """The decoded texts (malformed stretches marked) of ``strings`` for a BOM-detecting
    codec, and the BOM length of each. As TF's one ICU converter per run: the byte order found
    (a BOM, else big-endian) stays for the next strings until the converter resets, which it
    does when its generic path (the first character after a reset) or a malformed character
    reaches the end of a string; a lone first character that is a surrogate pair does not
    reset it (ICU's one-unit buffer overflows). An empty string changes nothing."""
    (bom_be, be), (bom_le, le) = _BOMS[codec]
    python = {be: _PYTHON[be], le: _PYTHON[le]}
    texts, boms = [], np.zeros(len(strings), np.int64)
    mode = None  # the byte order in use, or None when the converter detects it again
    for i, s in enumerate(strings):
        if not s:
            texts.append("")
            continue
        if mode is None:
            order, skip = (be, len(bom_be)) if s.startswith(bom_be) else \
                (le, len(bom_le)) if s.startswith(bom_le) else (be, 0)
            text = python[order](s[skip:] if skip else s, _HANDLER, True)[0]
            if not text:  # a BOM alone: ICU's "no output" U+FFFF, the BOM's bytes long
                text, skip = "\uffff", 0
            boms[i] = skip
            first = ord(text[0])
            reset = (len(text) == 1 and first <= 0xFFFF) or _MARK <= ord(text[-1]) <= 0xDFFF
            mode = None if reset else order
        else:
            text = python[mode](s, _HANDLER, True)[0]
            if _MARK <= ord(text[-1]) <= 0xDFFF:
                mode = None
        texts.append(text)
    return texts, boms


def encode_rows(code_points, splits, encoding: str) -> list:
    """Each row ``code_points[splits[i]:splits[i + 1]]`` (Unicode scalar values, and lone
    surrogates, which only a surrogate replacement_char brings) written in one of
    OUTPUT_ENCODINGS as ICU's UnicodeString writes it: UTF-8 turns a lone surrogate into
    U+FFFD, UTF-16 and UTF-32 write it as it is. All rows are encoded as one text; each row
    is then a slice of its bytes."""
    cps = np.asarray(code_points, np.int64)
    if encoding == "UTF-32-BE":
        blob, widths = cps.astype(">u4").tobytes(), np.full(len(cps), 4)
    else:
        surrogate = (cps >= 0xD800) & (cps <= 0xDFFF)
        if encoding == "UTF-8":
            cps = np.where(surrogate, 0xFFFD, cps)
            blob = cps.astype("<u4").tobytes().decode("utf-32-le").encode("utf-8")
            widths = 1 + (cps >= 0x80) + (cps >= 0x800) + (cps >= 0x10000)
        else:
            text = cps.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
            blob, widths = text.encode("utf-16-be", "surrogatepass"), np.where(cps > 0xFFFF, 4, 2)
    ends = np.concatenate([[0], np.cumsum(widths)])[np.asarray(splits, np.int64)].tolist()
    return [blob[a:b] for a, b in zip(ends[:-1], ends[1:])]
