"""Cases for the Unicode ops (core/ops/unicode_ops.py). References decode with Python's own codecs
through an error handler that marks (and measures) each malformed stretch, so the code points,
the offsets and every ``errors`` mode follow from Python's codecs, not from minitf's; encodings
are Python's ``str.encode`` or bytes written out by hand."""

import codecs

import numpy as np

from functools import partial

from .harness import Case as _Case

# Decoded lengths are not known statically.
Case = partial(_Case, exact_shape=False)

_SPANS: list = []


def _mark(err):
    """Python's codec error hook: one marker (U+FDD0, which no input here holds) for each
    malformed stretch, its length remembered."""
    _SPANS.append(err.end - err.start)
    return "\ufdd0", err.end


codecs.register_error("minitf_test_mark", _mark)
_PY = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be",
       "UTF-16LE": "utf-16-le"}


def python_decode(data: bytes, encoding: str):
    """[(code point, byte length, malformed)] of ``data`` by Python's codec."""
    _SPANS.clear()
    text = data.decode(_PY[encoding], "minitf_test_mark")
    spans, out = iter(list(_SPANS)), []
    for ch in text:
        if ch == "\ufdd0":
            out.append((0xFFFD, next(spans), True))
        else:
            out.append((ord(ch), len(ch.encode(_PY[encoding], "surrogatepass")), False))
    return out


def handled(data, encoding, errors="replace", replacement_char=0xFFFD, control=False):
    """(code points, start offsets) after TF's errors / replace_control_characters rules."""
    cps, starts, pos = [], [], 0
    for cp, n, bad in python_decode(data, encoding):
        if bad or (control and cp <= 0x1F):
            if errors != "ignore":
                cps.append(replacement_char)
                starts.append(pos)
        else:
            cps.append(cp)
            starts.append(pos)
        pos += n
    return cps, starts


def s(*items, shape=None):
    out = np.empty(len(items), dtype=object)
    out[:] = [i.encode() if isinstance(i, str) else i for i in items]
    return out.reshape(shape) if shape else out


UTF8 = s("G\xf6\xf6dnight", "\U0001f60a", "", b"a\xffb", b"\xe4\xb8a", b"\xed\xa0\x80",
         b"\xf0\x9f\x98", b"\x01x\x1f", b"\xf0\x90(\xbc", b"\xc0\x80")
UTF16 = s(b"\x00a\xd8\x3d\xde\x0a", b"\xd8\x3d\x00a", b"\x00a\x00", b"\xde\x0a", b"")


def _decode_ref(encoding, offsets=False, splits_dtype=np.int64):
    def ref(x, *, errors="replace", replacement_char=0xFFFD, replace_control_characters=False,
            **_):
        rows = [handled(v, encoding, errors, replacement_char, replace_control_characters)
                for v in x.reshape(-1)]
        splits = np.cumsum([0] + [len(c) for c, _ in rows]).astype(splits_dtype)
        chars = np.array([c for r, _ in rows for c in r], np.int32)
        starts = np.array([o for _, r in rows for o in r], np.int64)
        return (splits, chars, starts) if offsets else (splits, chars)
    return ref


def _decode_cases(op, offsets):
    out = []
    for errors in ("replace", "ignore"):
        for control in (False, True):
            attrs = {"input_encoding": "UTF-8", "errors": errors,
                     "replace_control_characters": control}
            if errors == "replace" and control:
                attrs["replacement_char"] = ord("?")
            out.append(Case(op, [UTF8], attrs=attrs, ref=_decode_ref("UTF-8", offsets),
                            id=f"{op}-utf8-{errors}-{control}"))
    out.append(Case(op, [UTF16.reshape(5, 1)], attrs={"input_encoding": "UTF-16-BE"},
                    ref=_decode_ref("UTF-16-BE", offsets), id=f"{op}-utf16-2d"))
    return out


CASES = [
    *_decode_cases("UnicodeDecode", False),
    *_decode_cases("UnicodeDecodeWithOffsets", True),
    Case("UnicodeDecode", [s("h\xe9", "")], attrs={"input_encoding": "utf8", "Tsplits": np.int32},
         ref=lambda x, **_: (np.array([0, 2, 2], np.int32), np.array([104, 233], np.int32)),
         id="UnicodeDecode-int32-splits"),
    Case("UnicodeDecodeWithOffsets", [s(b"\x00\x00\x00a\x00\x11\x00\x00\x00\x01\xf6\x0a\x00")],
         attrs={"input_encoding": "UTF-32-BE"},
         ref=lambda x, **_: (np.array([0, 4], np.int64),
                             np.array([97, 0xFFFD, 0x1F60A, 0xFFFD], np.int32),
                             np.array([0, 4, 8, 12], np.int64)), id="UnicodeDecode-utf32"),
    # Encode: code points past U+10FFFF, negative or surrogates are malformed.
    Case("UnicodeEncode", [np.array([72, 105, 0x1F60A, 0xE9, -1, 0xD800, 0x110000, 65], np.int32),
                           np.array([0, 2, 4, 4, 8], np.int64)],
         attrs={"output_encoding": "UTF-8"},
         ref=lambda v, sp, **_: s("Hi", "\U0001f60a\xe9", "", "\ufffd\ufffd\ufffdA")),
    Case("UnicodeEncode", [np.array([72, 0x1F60A, -5, 0xDC00, 65], np.int32),
                           np.array([0, 2, 5], np.int32)],
         attrs={"output_encoding": "UTF-16-BE", "errors": "ignore"},
         ref=lambda v, sp, **_: s("H\U0001f60a".encode("utf-16-be"), b"\x00A"),
         id="UnicodeEncode-utf16-ignore"),
    Case("UnicodeEncode", [np.array([72, -5, 65], np.int32), np.array([0, 3], np.int64)],
         attrs={"output_encoding": "UTF-32-BE", "replacement_char": 0xD800},
         ref=lambda v, sp, **_: s(b"\x00\x00\x00H\x00\x00\xd8\x00\x00\x00\x00A"),
         id="UnicodeEncode-utf32-surrogate-replacement"),
    Case("UnicodeEncode", [np.array([72, -5], np.int32), np.array([0, 2], np.int64)],
         attrs={"output_encoding": "UTF-8", "replacement_char": 0xD800},
         ref=lambda v, sp, **_: s(b"H\xef\xbf\xbd"), id="UnicodeEncode-utf8-lone-surrogate"),
    Case("UnicodeTranscode", [s(b"a\x01\xffb", "h\xe9", b"\xed\xa0\x80", "", shape=(2, 2))],
         attrs={"input_encoding": "UTF-8", "output_encoding": "UTF-16-BE"},
         ref=lambda x, **_: s("a\x01\ufffdb".encode("utf-16-be"), "h\xe9".encode("utf-16-be"),
                              "\ufffd\ufffd\ufffd".encode("utf-16-be"), b"", shape=(2, 2))),
    Case("UnicodeTranscode", [s(b"a\x01\xffb", "h\xe9")],
         attrs={"input_encoding": "UTF-8", "output_encoding": "UTF-32-BE", "errors": "ignore",
                "replace_control_characters": True},
         ref=lambda x, **_: s("ab".encode("utf-32-be"), "h\xe9".encode("utf-32-be")),
         id="UnicodeTranscode-ignore-controls"),
    Case("UnicodeTranscode", [s(b"\xd8\x3d\x00a", b"\x00a\x00")],
         attrs={"input_encoding": "UTF-16-BE", "output_encoding": "UTF-8",
                "replacement_char": ord("*")},
         ref=lambda x, **_: s(b"*a", b"a*"), id="UnicodeTranscode-from-utf16"),
]
