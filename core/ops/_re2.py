"""RE2 regular expressions (TensorFlow's regex ops) on Python's ``re``.

RE2 patterns are translated to ``re`` syntax on ``str`` and run on the UTF-8 text decoded with
``surrogateescape``: a pattern matches characters, not bytes, and no class, ``.`` or literal
matches an invalid byte (RE2 in UTF-8 mode does not either). The translation keeps RE2's
meaning where the two differ: ``\\d \\s \\w \\b`` and the POSIX classes are ASCII, ``$`` is the
end of the text unless ``(?m)``, ``(?i)`` may appear mid-pattern, ``(?U)`` swaps greediness,
``\\pL``/``\\p{Greek}`` are Unicode classes, ``\\Q..\\E`` quotes, ``\\z`` ends the text; what RE2
refuses (lookarounds, backreferences, ``\\Z``, possessive and stacked repetitions, ...) is
refused with RE2's message. Replacement follows RE2::Replace/GlobalReplace, rewrite strings
included (``\\0``-``\\9``, ``\\\\``)."""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["RE2Error", "Regex", "compile_re2"]

_MAX = 0x10FFFF
_SURROGATES = (0xD800, 0xDFFF)  # never valid text; invalid input bytes decode into them
_WORD = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]
_POSIX = {
    "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)], "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "ascii": [(0, 0x7F)], "blank": [(9, 9), (32, 32)], "cntrl": [(0, 0x1F), (0x7F, 0x7F)],
    "digit": [(0x30, 0x39)], "graph": [(0x21, 0x7E)], "lower": [(0x61, 0x7A)],
    "print": [(0x20, 0x7E)], "space": [(9, 13), (32, 32)], "upper": [(0x41, 0x5A)],
    "punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)], "word": _WORD,
    "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
}
_PERL = {"d": [(0x30, 0x39)], "s": [(9, 10), (12, 13), (32, 32)], "w": _WORD}  # \s has no \v
_ESCAPES = {"a": 7, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
_FLAGS = "imsU"
# Unicode scripts (Script property, Unicode 14) for \p{Name}; Python has no script data.
_SCRIPTS = {
    "Arabic": (
        "600-604 606-60b 60d-61a 61c-61e 620-63f 641-64a 656-66f 671-6dc 6de-6ff 750-77f "
        "870-88e 890-891 898-8e1 8e3-8ff fb50-fbc2 fbd3-fd3d fd40-fd8f fd92-fdc7 fdcf "
        "fdf0-fdff fe70-fe74 fe76-fefc 10e60-10e7e 1ee00-1ee03 1ee05-1ee1f 1ee21-1ee22 1ee24 "
        "1ee27 1ee29-1ee32 1ee34-1ee37 1ee39 1ee3b 1ee42 1ee47 1ee49 1ee4b 1ee4d-1ee4f "
        "1ee51-1ee52 1ee54 1ee57 1ee59 1ee5b 1ee5d 1ee5f 1ee61-1ee62 1ee64 1ee67-1ee6a "
        "1ee6c-1ee72 1ee74-1ee77 1ee79-1ee7c 1ee7e 1ee80-1ee89 1ee8b-1ee9b 1eea1-1eea3 "
        "1eea5-1eea9 1eeab-1eebb 1eef0-1eef1"),
    "Cyrillic": (
        "400-484 487-52f 1c80-1c88 1d2b 1d78 2de0-2dff a640-a69f fe2e-fe2f"),
    "Devanagari": (
        "900-950 955-963 966-97f a8e0-a8ff"),
    "Greek": (
        "370-373 375-377 37a-37d 37f 384 386 388-38a 38c 38e-3a1 3a3-3e1 3f0-3ff 1d26-1d2a "
        "1d5d-1d61 1d66-1d6a 1dbf 1f00-1f15 1f18-1f1d 1f20-1f45 1f48-1f4d 1f50-1f57 1f59 1f5b "
        "1f5d 1f5f-1f7d 1f80-1fb4 1fb6-1fc4 1fc6-1fd3 1fd6-1fdb 1fdd-1fef 1ff2-1ff4 1ff6-1ffe "
        "2126 ab65 10140-1018e 101a0 1d200-1d245"),
    "Han": (
        "2e80-2e99 2e9b-2ef3 2f00-2fd5 3005 3007 3021-3029 3038-303b 3400-4dbf 4e00-9fff "
        "f900-fa6d fa70-fad9 16fe2-16fe3 16ff0-16ff1 20000-2a6df 2a700-2b738 2b740-2b81d "
        "2b820-2cea1 2ceb0-2ebe0 2f800-2fa1d 30000-3134a"),
    "Hangul": (
        "1100-11ff 302e-302f 3131-318e 3200-321e 3260-327e a960-a97c ac00-d7a3 d7b0-d7c6 "
        "d7cb-d7fb ffa0-ffbe ffc2-ffc7 ffca-ffcf ffd2-ffd7 ffda-ffdc"),
    "Hebrew": (
        "591-5c7 5d0-5ea 5ef-5f4 fb1d-fb36 fb38-fb3c fb3e fb40-fb41 fb43-fb44 fb46-fb4f"),
    "Hiragana": (
        "3041-3096 309d-309f 1b001-1b11f 1b150-1b152 1f200"),
    "Katakana": (
        "30a1-30fa 30fd-30ff 31f0-31ff 32d0-32fe 3300-3357 ff66-ff6f ff71-ff9d 1aff0-1aff3 "
        "1aff5-1affb 1affd-1affe 1b000 1b120-1b122 1b164-1b167"),
    "Latin": (
        "41-5a 61-7a aa ba c0-d6 d8-f6 f8-2b8 2e0-2e4 1d00-1d25 1d2c-1d5c 1d62-1d65 1d6b-1d77 "
        "1d79-1dbe 1e00-1eff 2071 207f 2090-209c 212a-212b 2132 214e 2160-2188 2c60-2c7f "
        "a722-a787 a78b-a7ca a7d0-a7d1 a7d3 a7d5-a7d9 a7f2-a7ff ab30-ab5a ab5c-ab64 ab66-ab69 "
        "fb00-fb06 ff21-ff3a ff41-ff5a 10780-10785 10787-107b0 107b2-107ba 1df00-1df1e"),
    "Thai": (
        "e01-e3a e40-e5b"),
}


class RE2Error(ValueError):
    """A pattern RE2 refuses; the message is RE2's."""


def _merge(ranges):
    out = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _negate(ranges):
    out, nxt = [], 0
    for lo, hi in _merge(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= _MAX:
        out.append((nxt, _MAX))
    return out


@functools.cache
def _categories() -> dict:
    """General category -> ranges, one pass over the code points (only when \\p is used)."""
    cats: dict = {}
    start, cur = 0, unicodedata.category("\0")
    for c in range(1, _MAX + 2):
        cat = unicodedata.category(chr(c)) if c <= _MAX else None
        if cat != cur:
            cats.setdefault(cur, []).append((start, c - 1))
            start, cur = c, cat
    for major in "CLMNPSZ":
        cats[major] = _merge(r for k, v in cats.items() if len(k) == 2 and k[0] == major
                             and k != "Cn" for r in v)
    cats.pop("Cn", None)  # unassigned: not a class RE2 has
    cats["Any"] = [(0, _MAX)]
    return cats


def _unicode_class(name: str):
    if name in _SCRIPTS:
        pairs = (r.partition("-") for r in _SCRIPTS[name].split())
        return [(int(lo, 16), int(hi or lo, 16)) for lo, _, hi in pairs]
    return _categories().get(name)


def _case_variants(ranges, limit=20000):
    """Single-character case variants of the (not too many) characters in ranges."""
    if sum(hi - lo + 1 for lo, hi in ranges) > limit:
        return []
    out = []
    for lo, hi in ranges:
        for c in range(lo, hi + 1):
            ch = chr(c)
            out += [(ord(v), ord(v)) for v in (ch.lower(), ch.upper(), ch.casefold())
                    if len(v) == 1]
    return out


def _char(c: int) -> str:
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" if c < 0x10000 else f"\\U{c:08x}"


def _emit_class(ranges) -> str:
    """A Python class of the ranges, without the surrogates (so invalid bytes never match)."""
    lo_s, hi_s = _SURROGATES
    parts = []
    for lo, hi in _merge(ranges):
        for a, b in ((lo, min(hi, lo_s - 1)), (max(lo, hi_s + 1), hi)):
            if a <= b:
                parts.append(_char(a) if a == b else f"{_char(a)}-{_char(b)}")
    return "[" + "".join(parts) + "]" if parts else "(?!)"


class _Parser:
    def __init__(self, pattern: str):
        self.p, self.i, self.out = pattern, 0, []

    def error(self, what, arg=None):
        raise RE2Error(what if arg is None else f"{what}: {arg}")

    def peek(self, k=0):
        j = self.i + k
        return self.p[j] if j < len(self.p) else ""

    # -- escapes ---------------------------------------------------------------------------
    def single_escape(self, start):
        """The code point of a one-character escape at self.i (after the backslash)."""
        p = self.p
        if self.i >= len(p):
            self.error("trailing \\")
        c = p[self.i]
        self.i += 1
        if c in "01234567":
            if c != "0" and not ("0" <= self.peek() <= "7"):
                self.error("invalid escape sequence", p[start:self.i])
            code = int(c)
            for _ in range(2):
                if "0" <= self.peek() <= "7":
                    code = code * 8 + int(self.peek())
                    self.i += 1
            return code
        if c == "x":
            if self.peek() == "{":  # any number of hex digits, as RE2 reads them
                j, code = self.i + 1, 0
                while j < len(p) and p[j] in "0123456789abcdefABCDEF":
                    code, j = code * 16 + int(p[j], 16), j + 1
                    if code > _MAX:
                        self.error("invalid escape sequence", p[start:j])
                if j >= len(p) or p[j] != "}" or j == self.i + 1:
                    self.error("invalid escape sequence", p[start:j + 1])
                self.i = j + 1
                return code
            two = p[self.i:self.i + 2]
            self.i += 2
            if not re.fullmatch("[0-9A-Fa-f]{2}", two):
                self.error("invalid escape sequence", p[start:self.i])
            return int(two, 16)
        if c in _ESCAPES:
            return _ESCAPES[c]
        if ord(c) < 0x80 and not (c.isalnum() or c == "_"):
            return ord(c)
        self.error("invalid escape sequence", p[start:self.i])

    def class_escape(self, start):
        """Ranges of \\d \\s \\w (and negations) or \\p/\\P at self.i, else None."""
        c = self.peek()
        if c.lower() in _PERL:
            self.i += 1
            ranges = _PERL[c.lower()]
            return _negate(ranges) if c.isupper() else ranges
        if c not in ("p", "P"):
            return None
        self.i += 1
        negated = c == "P"
        if self.peek() == "{":
            j = self.p.find("}", self.i)
            if j < 0:
                self.error("invalid character class range", self.p[start:])
            name, self.i = self.p[self.i + 1:j], j + 1
        elif self.peek():
            name, self.i = self.peek(), self.i + 1
        else:
            self.error("invalid character class range", self.p[start:])
        if name.startswith("^"):
            negated, name = not negated, name[1:]
        ranges = _unicode_class(name)
        if ranges is None:
            self.error("invalid character class range", self.p[start:self.i] + " (minitf "
                       "knows the general categories, Any and the scripts " +
                       ", ".join(sorted(_SCRIPTS)) + ")")
        return _negate(ranges) if negated else ranges

    # -- character classes -----------------------------------------------------------------
    def char_class(self, fold=False):
        p, start = self.p, self.i
        self.i += 1
        negated = self.peek() == "^"
        self.i += negated
        ranges, first = [], True
        while True:
            if self.i >= len(p):
                self.error("missing ]", p[start:])
            c = p[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "[" and self.peek(1) == ":":
                j = p.find(":]", self.i + 2)
                if j >= 0:
                    name = p[self.i + 2:j]
                    neg = name.startswith("^")
                    if name.lstrip("^") not in _POSIX:
                        self.error("invalid character class range", p[self.i:j + 2])
                    got = _POSIX[name.lstrip("^")]
                    ranges += _negate(got) if neg else got
                    self.i = j + 2
                    continue
            if c == "\\":
                self.i += 1
                got = self.class_escape(self.i - 1)
                if got is not None:
                    ranges += got
                    continue
                lo = self.single_escape(self.i - 1)
            else:
                lo = ord(c)
                self.i += 1
            hi = lo
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                range_start = self.i - 1
                self.i += 1
                if self.peek() == "\\":
                    self.i += 1
                    hi = self.single_escape(self.i - 1)
                else:
                    hi = ord(self.peek())
                    self.i += 1
                if hi < lo:
                    self.error("invalid character class range", p[range_start:self.i])
            ranges.append((lo, hi))
        if negated and fold:  # RE2 folds case before negating: (?i)[^a] excludes "A" too
            ranges = ranges + _case_variants(ranges)
        return _negate(ranges) if negated else ranges

    # -- the pattern -----------------------------------------------------------------------
    def translate(self) -> str:
        p, out = self.p, self.out
        flags = dict.fromkeys(_FLAGS, False)
        stack = []  # per open group: (flags, pending, base_i)
        # Python's case flag where the output ends, at the start of the current group, and
        # whether a "(?i:"/"(?-i:" opened for a mid-group (?i) is still open in it. A change
        # is emitted lazily, before the next atom: a repetition right after (?i) applies to
        # the atom before it, as in RE2.
        py_i = base_i = pending = False
        can_repeat, last_repeat, quantified, atom = False, None, False, 0

        def sync():
            nonlocal py_i, pending
            if flags["i"] != py_i:
                if pending:
                    out.append(")")
                    pending, py_i = False, base_i
                if flags["i"] != py_i:
                    out.append("(?i:" if flags["i"] else "(?-i:")
                    pending, py_i = True, flags["i"]

        while self.i < len(p):
            c, start = p[self.i], self.i
            repeat = None
            if c in "*+?" or (c == "{" and re.match(r"\{(\d+)(,(\d*))?\}", p[self.i:])):
                if c == "{":
                    m = re.match(r"\{(\d+)(,(\d*))?\}", p[self.i:])
                    lo = int(m.group(1))
                    hi = lo if m.group(2) is None else int(m.group(3)) if m.group(3) else None
                    if lo > 1000 or (hi is not None and (hi > 1000 or hi < lo)):
                        self.error("invalid repetition size", m.group(0))
                    op = m.group(0)
                    self.i += len(op)
                else:
                    op = c
                    self.i += 1
                lazy = self.peek() == "?"
                self.i += lazy
                if last_repeat is not None:
                    self.error("bad repetition operator", p[last_repeat:self.i])
                if not can_repeat:
                    self.error("no argument for repetition operator", p[start:self.i])
                if quantified:  # a repetition of a repetition (RE2 allows it after (?flags))
                    out[atom:] = ["(?:", *out[atom:], ")"]
                out.append(op + ("?" if lazy != flags["U"] else ""))
                repeat = start
            elif c == "(":
                kind, new = self.group_kind(flags)
                if kind == "flags":  # (?flags): for the rest of the current group
                    flags.update(new)
                    last_repeat = None
                    continue
                sync()
                stack.append((dict(flags), pending, base_i, len(out)))
                if kind == "capture":  # names are dropped: rewrites use numbers only
                    out.append("(")
                else:
                    out.append("(?i:" if new["i"] and not py_i else
                               "(?-i:" if py_i and not new["i"] else "(?:")
                    flags.update(new)
                pending, base_i, py_i = False, flags["i"], flags["i"]
                can_repeat = False
            elif c == ")":
                if not stack:
                    self.error("unexpected )", p)
                self.i += 1
                out.append(")" * pending + ")")
                saved, pending, base_i, atom = stack.pop()
                flags.update(saved)
                py_i = flags["i"]  # as synced when the group opened
                can_repeat = True
            elif c == "|":
                self.i += 1
                out.append(")|" if pending else "|")
                pending, py_i = False, base_i
                can_repeat = False
            elif c == "[":
                sync()
                out.append(_emit_class(self.char_class(flags["i"])))
                can_repeat = True
            elif c == ".":
                sync()
                self.i += 1
                out.append(_emit_class([(0, _MAX)] if flags["s"] else _negate([(10, 10)])))
                can_repeat = True
            elif c == "^":
                sync()
                self.i += 1
                out.append("(?m:^)" if flags["m"] else "(?:\\A)")
                can_repeat = True
            elif c == "$":
                sync()
                self.i += 1
                out.append("(?m:$)" if flags["m"] else "(?:\\Z)")
                can_repeat = True
            elif c == "\\":
                sync()
                self.i += 1
                can_repeat = self.escape(start, can_repeat)
            else:
                sync()
                self.i += 1
                out.append(re.escape(c))
                can_repeat = True
            last_repeat, quantified = repeat, repeat is not None
            if c not in "*+?{()|" or (c == "{" and repeat is None):
                atom = len(out) - 1  # where the last atom starts (each is one piece)
        if stack:
            self.error("missing )", p)
        out.append(")" * pending)
        return "".join(out)

    def escape(self, start, can_repeat) -> bool:
        """Translates the escape after the backslash at start; whether it can be repeated."""
        p, out = self.p, self.out
        c = self.peek()
        if c == "Q":  # quoted up to \E (or the end)
            j = p.find("\\E", self.i + 1)
            text = p[self.i + 1:] if j < 0 else p[self.i + 1:j]
            self.i = len(p) if j < 0 else j + 2
            out.extend(re.escape(ch) for ch in text)
            return True if text else can_repeat
        assertions = {"A": "(?:\\A)", "z": "(?:\\Z)", "b": "(?:(?a:\\b))", "B": "(?:(?a:\\B))"}
        if c in assertions:
            self.i += 1
            out.append(assertions[c])
            return True
        if c == "C":
            self.error("invalid escape sequence", "\\C (any byte: minitf matches characters, "
                       "not bytes)")
        ranges = self.class_escape(start)
        if ranges is not None:
            out.append(_emit_class(ranges))
            return True
        out.append(re.escape(chr(self.single_escape(start))))
        return True

    def group_kind(self, flags):
        """Parses the group opening at self.i: ("capture", None) for ( and (?P<name>,
        ("group", flags) for (?flags:, ("flags", flags) for (?flags)."""
        p, start = self.p, self.i
        if not p.startswith("(?", start):
            self.i += 1
            return "capture", None
        self.i += 2
        if p.startswith("P<", self.i):
            j = p.find(">", self.i)
            name = p[self.i + 2:j] if j >= 0 else ""
            if j < 0 or not re.fullmatch(r"\w+", name, re.ASCII):
                self.error("invalid named capture group", p[start:j + 1 if j >= 0 else None])
            self.i = j + 1
            return "capture", None
        if self.peek() and self.peek() in "=!<P":  # lookarounds, (?<name>, (?P=name)
            self.error("invalid perl operator", p[start:self.i + 1])
        new, negated, saw = dict(flags), False, False
        while self.i < len(p):
            c = p[self.i]
            self.i += 1
            if c in _FLAGS:
                new[c], saw = not negated, True
            elif c == "-" and not negated:
                negated, saw = True, False
            elif c in ":)" and (saw or not negated):
                return ("group" if c == ":" else "flags"), new
            else:
                break
        self.error("invalid perl operator", p[start:self.i])


def _rewrite_parts(rewrite: bytes):
    """RE2's rewrite: bytes, group numbers, and None where RE2::Rewrite stops (a backslash
    not followed by a digit or a backslash); the largest group mentioned anywhere."""
    parts, lit, i, stopped = [], bytearray(), 0, False
    max_group = max([int(m) for m in re.findall(rb"\\(?:\\|([0-9]))", rewrite) if m] or [0])
    while i < len(rewrite):
        c = rewrite[i]
        if c != 0x5C:
            lit.append(c)
            i += 1
            continue
        nxt = rewrite[i + 1] if i + 1 < len(rewrite) else -1
        if 0x30 <= nxt <= 0x39 or nxt == 0x5C:
            if nxt == 0x5C:
                lit.append(0x5C)
            else:
                parts.append(bytes(lit).decode("utf-8", "surrogateescape"))
                lit = bytearray()
                parts.append(nxt - 0x30)
            i += 2
            continue
        stopped = True
        break
    parts.append(bytes(lit).decode("utf-8", "surrogateescape"))
    if stopped:
        parts.append(None)
    return parts, max_group


class Regex:
    """One compiled RE2 pattern."""

    def __init__(self, pattern: bytes):
        try:
            text = pattern.decode("utf-8")
        except UnicodeDecodeError:
            raise RE2Error("invalid UTF-8") from None
        self.python = _Parser(text).translate()
        try:
            self.rx = re.compile(self.python)
        except re.error as e:  # a construct the translation let through
            raise RE2Error(str(e)) from None
        self.groups = self.rx.groups

    def full_match(self, s: bytes) -> bool:
        return self.rx.fullmatch(s.decode("utf-8", "surrogateescape")) is not None

    def replace(self, s: bytes, rewrite: bytes, replace_global: bool) -> bytes:
        """RE2::GlobalReplace / RE2::Replace of s (a rewrite naming a missing group, or, for
        the first match only, an invalid one, leaves s unchanged, as RE2 does)."""
        parts, max_group = _rewrite_parts(rewrite)
        if max_group > self.groups:
            return s
        text = s.decode("utf-8", "surrogateescape")

        def render(m):
            return "".join(part if isinstance(part, str) else (m.group(part) or "")
                           for part in parts if part is not None)

        if not replace_global:
            m = self.rx.search(text)
            if m is None or parts[-1] is None:
                return s
            out = text[:m.start()] + render(m) + text[m.end():]
            return out.encode("utf-8", "surrogateescape")
        out, pos, last_end, count = [], 0, -1, 0
        while pos <= len(text):
            m = self.rx.search(text, pos)
            if m is None:
                break
            out.append(text[pos:m.start()])
            if m.start() == m.end() == last_end:  # no empty match right after a match
                out.append(text[pos:pos + 1])
                pos += 1
                continue
            out.append(render(m))
            pos = last_end = m.end()
            count += 1
        if not count:
            return s
        out.append(text[pos:])
        return "".join(out).encode("utf-8", "surrogateescape")


@functools.lru_cache(maxsize=256)
def compile_re2(pattern: bytes) -> Regex:
    """The compiled pattern (cached: the same pattern runs for every element and run)."""
    return Regex(pattern)
