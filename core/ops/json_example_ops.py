"""DecodeJSONExample (``tf.decode_json_example``): each string, a ``tf.train.Example`` in
protobuf's JSON mapping, becomes the Example's binary wire bytes (for ``tf.parse_example``).

TensorFlow's kernel streams the JSON straight into wire bytes (protobuf's JsonToBinaryString,
legacy syntax allowed), and the bytes show it: fields in the order of the JSON keys (a field
given twice is written twice), repeated values one tagged field each (not packed), a null map
value still writes its key, empty messages written empty. So does this kernel: a small lexer of
the same rules (single quotes, bare keys, trailing commas; base64 of either alphabet, padding
optional; int64 from numbers or decimal strings, integer-valued floats up to 2**53 too; floats
from numbers, "NaN", "Infinity", "-Infinity") writes as it reads, driven by the names, numbers
and types of minitf's own Example descriptor (protos/example.proto, imported lazily: core does
not import the protos package). ``json_format.Parse`` reads the same Example from the same
text, but ``SerializeToString`` packs values and orders map entries its own way.

A malformed record is InvalidArgumentError "Error while parsing JSON: invalid JSON in
type.googleapis.com/tensorflow.Example @ <path>: <type>, near <line>:<col> (offset <n>):
<reason>", TF's message and location (TF pads it with random extra spaces; this has none).
Not differentiable.
"""

from __future__ import annotations

import importlib
import math
import re
import string
import struct

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register
from ..string_extra import string_tensor as _str

__all__ = ["decode_json_example"]

_ROOT = "type.googleapis.com/tensorflow.Example"
_TYPE_NAMES = {1: "double", 2: "float", 3: "int64", 9: "string", 11: "message", 12: "bytes"}
_INT = re.compile(rb"[+-]?[0-9]+")
_DECIMAL = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX = re.compile(rb"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?")
_BARE = re.compile(rb"[A-Za-z0-9_$]+")
_BASE64 = {c: i for i, c in enumerate((string.ascii_uppercase + string.ascii_lowercase
                                        + string.digits).encode())}
_BASE64.update({ord("+"): 62, ord("-"): 62, ord("/"): 63, ord("_"): 63})
_ESCAPES = {ord('"'): b'"', ord("\\"): b"\\", ord("/"): b"/", ord("b"): b"\b", ord("f"): b"\f",
            ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("'"): b"'"}


class _Error(Exception):
    """A status message, as TF's parser words it."""


# -- the lexer (protobuf's json_internal::JsonLexer, legacy syntax allowed) ---------------------
class _Lexer:
    def __init__(self, text: bytes):
        self.text, self.pos, self.line, self.line_start = text, 0, 0, 0
        self.path = [[_ROOT, None, -1]]  # [name, field or None, repeated index]
        self.numbers = []  # (start, end) of each number read: TF's location skips them

    def invalid(self, reason: str, at: int | None = None) -> _Error:
        """The error at ``at`` (default: here), located as TF's lexer locates it: its line and
        column count every character read except those of numbers."""
        at = self.pos if at is None else at
        line = self.text.count(b"\n", 0, at)  # newlines are only skipped between tokens
        line_start = self.text.rfind(b"\n", 0, at) + 1
        skipped = [(end - start, start >= line_start) for start, end in self.numbers if end <= at]
        col = at - line_start - sum(n for n, same_line in skipped if same_line)
        at -= sum(n for n, _ in skipped)
        where = _ROOT
        if len(self.path) > 1:
            names = ".".join(name + (f"[{index}]" if index >= 0 else "")
                             for name, _, index in self.path[1:])
            field = self.path[-1][1]
            kind = _TYPE_NAMES.get(field.type, str(field.type))
            typed = f" {field.message_type.full_name.removeprefix('minitf.')}" \
                if field.message_type else ""
            where += f" @ {names}: {kind}{typed}"
        return _Error(f"invalid JSON in {where}, near {line + 1}:{col + 1} (offset {at}): "
                      f"{reason}")

    def skip(self):
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in b" \t\r\n":
            pos += 1
        self.pos = pos
        if pos >= len(text):
            raise _Error("unexpected EOF")

    def kind(self) -> str:
        self.skip()
        c = self.text[self.pos]
        if c in b"{[":
            return chr(c)
        if c in b"\"'":
            return "str"
        if c in b"-0123456789":
            return "num"
        if c in b"tfn":
            return {ord("t"): "true", ord("f"): "false", ord("n"): "null"}[c]
        raise self.invalid(f"unexpected character: '{chr(c)}'")

    def peek(self, token: bytes) -> bool:
        """Consume ``token`` if it comes next."""
        self.skip()
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def expect(self, token: bytes):
        self.skip()
        if not self.text.startswith(token, self.pos):
            if len(self.text) - self.pos < len(token):
                raise _Error("unexpected EOF")
            raise self.invalid(f"unexpected character: '{chr(self.text[self.pos])}'; "
                               f"expected '{token.decode()}'")
        self.pos += len(token)

    def string(self) -> tuple[bytes, int]:
        """A quoted string (either quote) as UTF-8 bytes, and where it starts."""
        self.skip()
        start, text = self.pos, self.text
        quote = text[start]
        if quote not in b"\"'":
            raise self.invalid(f"unexpected character: '{chr(quote)}'; expected '\"'")
        out, pos = bytearray(), start + 1
        while True:
            if pos >= len(text):
                raise _Error("unexpected EOF")
            c = text[pos]
            pos += 1
            if c == quote:
                self.pos = pos
                return bytes(out), start
            if c == ord("\\"):
                if pos >= len(text):
                    raise _Error("unexpected EOF")
                e = text[pos]
                pos += 1
                if e in b"uU":
                    self.pos = pos
                    out += self._unicode_escape()
                    pos = self.pos
                elif e in _ESCAPES:
                    out += _ESCAPES[e]
                else:
                    self.pos = pos
                    raise self.invalid(f"invalid escape char: '{chr(e)}'")
                continue
            n = 0 if c < 0x80 else 1 if c >> 5 == 6 else 2 if c >> 4 == 14 else 3 \
                if c >> 3 == 30 else -1
            if n < 0 or any(pos + i >= len(text) or text[pos + i] >> 6 != 2 for i in range(n)):
                self.pos = pos
                raise self.invalid("invalid UTF-8 in string")
            out += text[pos - 1:pos + n]
            pos += n

    def _hex4(self) -> int:
        digits = self.text[self.pos:self.pos + 4]
        if len(digits) < 4:
            raise _Error("unexpected EOF")
        if not re.fullmatch(rb"[0-9a-fA-F]{4}", digits):
            raise self.invalid("invalid Unicode escape")
        self.pos += 4
        return int(digits, 16)

    def _unicode_escape(self) -> bytes:
        rune = self._hex4()
        if 0xD800 <= rune <= 0xDBFF:
            if not self.text.startswith(b"\\u", self.pos):
                raise self.invalid("unexpected character: "
                                   f"'{chr(self.text[self.pos])}'; expected '\\u'")
            self.pos += 2
            low = self._hex4()
            if not 0xDC00 <= low <= 0xDFFF:
                raise self.invalid("invalid low surrogate")
            rune = ((rune & 0x3FF) << 10 | (low & 0x3FF)) + 0x10000
        elif 0xDC00 <= rune <= 0xDFFF:
            raise self.invalid("unpaired low surrogate")
        return chr(rune).encode("utf-8")

    def raw_number(self) -> tuple[bytes, int]:
        """A number's text (JSON's grammar, as the lexer cuts it), and where it starts."""
        self.skip()
        start, text, pos, state = self.pos, self.text, self.pos, "int"
        prev = 0
        while pos < len(text):
            c = text[pos]
            digit_before = 48 <= prev <= 57
            if 48 <= c <= 57:
                pass
            elif state == "int" and c == ord("-") and not digit_before:
                pass
            elif state == "int" and digit_before and c == ord("."):
                state = "fraction"
            elif state != "exponent" and digit_before and c in b"eE":
                state = "exponent"
            elif prev in b"eE" and c in b"+-":
                pass
            else:
                break
            prev = c
            pos += 1
        number = text[start:pos]
        self.pos = pos
        self.numbers.append((start, pos))
        if number in (b"", b"-"):
            raise self.invalid("expected a number", start)
        digits = number.lstrip(b"-")
        if len(digits) > 1 and digits[:1] == b"0" and digits[1:2].isdigit():
            raise self.invalid("number cannot have extraneous leading zero", start)
        if number.endswith(b"."):
            raise self.invalid("number cannot have trailing period", start)
        value = _atod(number)
        if value is None or not math.isfinite(value):
            raise self.invalid(f"invalid number: '{number.decode()}'", start)
        if self.pos < len(text):
            self.skip()
            if text[self.pos] not in b",]}":
                raise self.invalid(f"unexpected character: '{chr(text[self.pos])}'")
        return number, start

    def key(self) -> tuple[bytes, int]:
        self.skip()
        if self.text[self.pos] in b"\"'":
            return self.string()
        match = _BARE.match(self.text, self.pos)
        if not match:
            raise self.invalid("expected '\"'")
        self.pos = match.end()
        return match.group(), match.start()

    def visit_object(self, each):
        self.expect(b"{")
        if self.peek(b"}"):
            return
        comma = True
        while True:
            if not comma:
                raise self.invalid("expected ','")
            key, at = self.key()
            self.expect(b":")
            each(key, at)
            comma = self.peek(b",")
            if self.peek(b"}"):
                return

    def visit_array(self, each):
        self.expect(b"[")
        if self.peek(b"]"):
            return
        comma = True
        while True:
            if not comma:
                raise self.invalid("expected ','")
            each()
            comma = self.peek(b",")
            if self.peek(b"]"):
                return


def _atod(text: bytes) -> float | None:
    """absl::SimpleAtod: decimal or hex floating point, "inf" / "nan" words, sign optional."""
    text = text.strip(b" \t\n\r\f\v")
    if text.startswith(b"+") and not text.startswith(b"+-"):
        text = text[1:]
    if _DECIMAL.fullmatch(text):
        return float(text)
    if _HEX.fullmatch(text):
        sign = -1.0 if text.startswith(b"-") else 1.0
        return sign * float.fromhex(text.lstrip(b"+-").decode())
    if text.lower().lstrip(b"-") in (b"inf", b"infinity", b"nan"):
        return float(text.decode())
    return None


def _atoi64(text: bytes) -> int | None:
    if not _INT.fullmatch(text):
        return None
    value = int(text)
    return value if -(1 << 63) <= value < 1 << 63 else None


# -- values ----------------------------------------------------------------------------------
def _decode_base64(data: bytes) -> bytes | None:
    """protobuf's DecodeBase64InPlace: whole groups of four, then the rest of two or three
    characters; '=' padding only in the last group of four; either alphabet, mixed."""
    out, end = bytearray(), len(data)
    for i in range(0, end - end % 4, 4):
        group = [_BASE64.get(c, -1) for c in data[i:i + 4]]
        if min(group) < 0:
            if end - i == 4 and data[i + 3] == ord("="):
                end -= 2 if data[i + 2] == ord("=") else 1
            break
        value = group[0] << 18 | group[1] << 12 | group[2] << 6 | group[3]
        out += value.to_bytes(3, "big")
    else:
        i = end - end % 4
    rest = data[i:end] if i < end else b""
    if rest:
        group = [_BASE64.get(c, -1) for c in rest]
        if len(rest) not in (2, 3) or min(group) < 0:
            return None
        value = group[0] << 18 | group[1] << 12 | (group[2] << 6 if len(rest) == 3 else 0)
        out += value.to_bytes(3, "big")[:len(rest) - 1]
    return bytes(out)


def _int64(lex: _Lexer) -> int:
    kind = lex.kind()
    if kind == "num":
        text, at = lex.raw_number()
    elif kind == "str":
        text, at = lex.string()
        if any(c in b" \t\n\r\f\v" for c in text):
            raise lex.invalid("non-number characters in quoted number")
    else:
        raise lex.invalid("expected number or string")
    value = _atoi64(text)
    if value is not None:
        return value
    d = _atod(text)
    if d is None or not math.isfinite(d):
        raise lex.invalid(f"invalid number: '{text.decode('utf-8', 'replace')}'", at)
    if not -9007199254740992.0 <= d <= 9007199254740992.0:
        raise lex.invalid("JSON number out of range for int", at)
    if d != int(d):
        raise lex.invalid("expected integer, but JSON number had fractional part", at)
    return int(d)


def _float(lex: _Lexer) -> float:
    kind = lex.kind()
    if kind == "num":
        value = float(lex.raw_number()[0])
    elif kind == "str":
        text, at = lex.string()
        special = {b"NaN": math.nan, b"Infinity": math.inf, b"-Infinity": -math.inf}
        value = special[text] if text in special else _atod(text)
        if value is None:
            raise lex.invalid("non-number characters in quoted number", at)
    else:
        raise lex.invalid("expected number or string")
    try:
        struct.pack("<f", value)
    except OverflowError:
        raise lex.invalid("float out of range") from None
    return value


# -- the writer: JSON -> wire bytes, driven by the Example descriptor ---------------------------
def _varint(n: int) -> bytes:
    n &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _ld(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _scalar(lex: _Lexer, field) -> bytes:
    """One value of a scalar field as a tagged wire field."""
    if field.type == 2:
        value = _float(lex)
    elif field.type == 3:
        value = _int64(lex)
    else:
        value, at = lex.string()
        if field.type == 12:
            value = _decode_base64(value)
            if value is None:
                raise lex.invalid("corrupt base64", at)
    if field.type == 2:
        return _varint(field.number << 3 | 5) + struct.pack("<f", value)
    if field.type == 3:
        return _varint(field.number << 3) + _varint(value)
    return _ld(field.number, value)


def _zero(field) -> bytes:
    """What a null element of an array writes (legacy syntax): the type's zero, or an empty
    message."""
    if field.type == 2:
        return _varint(field.number << 3 | 5) + b"\0\0\0\0"
    if field.type == 3:
        return _varint(field.number << 3) + b"\0"
    return _ld(field.number, b"")


def _singular(lex: _Lexer, field, in_array: bool = False) -> bytes:
    if lex.kind() == "null":  # a null field is not written; a null element is its zero
        lex.expect(b"null")
        return _zero(field) if in_array else b""
    if field.message_type is None:
        return _scalar(lex, field)
    return _ld(field.number, _message(lex, field.message_type))


def _array(lex: _Lexer, field) -> bytes:
    if lex.kind() == "null":
        lex.expect(b"null")
        return b""
    out = []

    def element():
        lex.path[-1][2] += 1
        if lex.kind() == "[":  # legacy syntax: a nested array is flattened
            out.append(_array(lex, field))
        else:
            out.append(_singular(lex, field, in_array=True))
    lex.visit_array(element)
    return b"".join(out)


def _map(lex: _Lexer, field) -> bytes:
    if lex.kind() == "null":
        lex.expect(b"null")
        return b""
    entry = field.message_type
    key_field, value_field = entry.fields_by_name["key"], entry.fields_by_name["value"]
    seen, out = set(), []

    def item(key, at):
        lex.path[-1][2] += 1
        if key in seen:
            raise lex.invalid("got unexpectedly-repeated repeated map key: "
                              f"'{key.decode('utf-8', 'replace')}'", at)
        seen.add(key)
        out.append(_ld(field.number, _ld(key_field.number, key) + _singular(lex, value_field)))
    lex.visit_object(item)
    return b"".join(out)


def _message(lex: _Lexer, descriptor) -> bytes:
    by_name = {}
    for f in descriptor.fields:
        by_name[f.name.encode()] = by_name[f.json_name.encode()] = f
    parsed, out = set(), []

    def member(name, at):
        field = by_name.get(name)
        if field is None:
            raise lex.invalid(f"no such field: '{name.decode('utf-8', 'replace')}'")
        lex.path.append([name.decode("utf-8", "replace"), field, -1])
        oneof = field.containing_oneof
        if oneof is not None and oneof.name in parsed and lex.kind() != "null":
            raise lex.invalid(f"'{lex.path[-1][0]}' has already been set (either directly "
                              "or as part of a oneof)")
        if oneof is not None:
            parsed.add(oneof.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            out.append(_map(lex, field))
        elif field.is_repeated and lex.kind() == "[":
            out.append(_array(lex, field))
        else:  # legacy syntax: one value in place of an array of them
            out.append(_singular(lex, field))
        lex.path.pop()
    lex.visit_object(member)
    return b"".join(out)


def _decode_one(text) -> bytes:
    if isinstance(text, str):
        text = text.encode("utf-8")
    example = importlib.import_module("minitf.protos.example_pb2")  # core: lazily (DESIGN)
    lex = _Lexer(bytes(text))
    try:
        out = _message(lex, example.Example.DESCRIPTOR)
        if lex.text[lex.pos:].strip(b" \t\r\n"):
            raise _Error("extraneous characters after end of JSON object")
    except _Error as e:
        raise InvalidArgumentError(None, None, f"Error while parsing JSON: {e}") from None
    return out


def _kernel(json_examples):
    values = np.asarray(json_examples, dtype=object)
    out = np.empty(values.shape, dtype=object)
    out.reshape(-1)[:] = [_decode_one(v) for v in values.reshape(-1)] if values.size else []
    return out


DECODE_JSON_EXAMPLE = register(OpDef(
    "DecodeJSONExample", inputs=["json_examples:string"],
    kernel=_kernel,
    infer=lambda json_examples: [TensorSpec(json_examples.shape, _dt.string)],
    grad=NOT_DIFFERENTIABLE,
    doc="Each JSON-encoded Example (protobuf JSON mapping) as binary serialized Example bytes.",
))


def decode_json_example(json_examples, name=None):
    """``tf.decode_json_example``: a string tensor of JSON Examples -> the same shape of binary
    serialized Examples (for ``tf.parse_example``)."""
    return DECODE_JSON_EXAMPLE(_str(json_examples, "json_examples"),
                               name=name or "DecodeJSONExample")
