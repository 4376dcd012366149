"""Unicode string ops, as TensorFlow's: UnicodeDecode, UnicodeDecodeWithOffsets, UnicodeEncode and
UnicodeTranscode, with ``tf.strings.unicode_decode``, ``unicode_decode_with_offsets``,
``unicode_encode``, ``unicode_split``, ``unicode_split_with_offsets``, ``unicode_transcode`` and
``bytes_split``, which give a RaggedTensor for an input of rank >= 1 as TF's do. The codecs (and
their handling of malformed bytes and of BOMs) are in unicode_extra_ops.py; they decode and
encode a whole batch at once, so the kernels here are numpy over all characters. As TF's,
``unicode_split`` re-encodes in the input encoding, so "UTF-16" / "UTF-32" (which UnicodeEncode
does not write) fail there at construction. ``unicode_script`` is not provided: it needs ICU's
script table. None of these ops is differentiable.

``errors`` is TF's: "replace" puts ``replacement_char`` for each malformed stretch, "ignore"
drops it (its bytes still count in later offsets), "strict" fails the run. With
``replace_control_characters`` the C0 controls (U+0000..U+001F) are treated as malformed, except
that decoding in "strict" mode replaces them instead of failing (as TF's kernels do)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor, name_scope
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from .unicode_extra_ops import OUTPUT_ENCODINGS, codec_for, decode_rows, encode_rows

__all__ = ["bytes_split", "unicode_decode", "unicode_decode_with_offsets", "unicode_encode",
           "unicode_split", "unicode_split_with_offsets", "unicode_transcode"]

_SUPPORTED = ("UTF-8, UTF-16 (BOM), UTF-16BE/LE, UTF-32 (BOM), UTF-32BE/LE, ISO-8859-1 and "
              "US-ASCII")


# -- attrs and kernels ----------------------------------------------------------------------------
def _check_attr(op_type, name, value, allowed):
    """TF's check of a string attr with allowed values (a ValueError at construction)."""
    if value not in allowed:
        listed = ", ".join(f'"{a}"' for a in allowed)
        raise shape_error(f"Attr '{name}' of '{op_type}' Op passed string '{value}' not in: "
                          f"{listed}.")


def _check_replacement(replacement_char):
    if not 0 <= replacement_char <= 0x10FFFF:
        raise InvalidArgumentError(None, None, "replacement_char out of unicode codepoint range")


def _codec(input_encoding):
    codec = codec_for(input_encoding)
    if codec is None:
        raise InvalidArgumentError(None, None, f"Could not create converter for input encoding: "
                                   f"{input_encoding} (minitf implements {_SUPPORTED})")
    return codec


def _decoded(strings, codec, errors, replacement_char, control, strict_controls):
    """(code points, start offsets, characters per string) of a batch of strings after TF's
    error handling, flat over all characters; malformed stretches fail the run in "strict"
    mode, and so do controls if ``strict_controls``."""
    cps, lengths, bad, counts = decode_rows(strings, codec)
    handle = bad | (cps <= 0x1F) if control else bad
    if errors == "strict" and (handle if strict_controls else bad).any():
        raise InvalidArgumentError(None, None, "Invalid formatting on input string")
    positions = np.concatenate([[0], np.cumsum(lengths)])  # byte offsets in all the strings
    starts = positions[:-1] - np.repeat(positions[np.cumsum(counts) - counts], counts)
    if errors == "ignore" and handle.any():
        rows = np.repeat(np.arange(len(counts)), counts)
        counts = counts - np.bincount(rows[handle], minlength=len(counts))
        return cps[~handle], starts[~handle], counts
    return np.where(handle, replacement_char, cps), starts, counts


def _decode_kernel(input, *, input_encoding, errors, replacement_char,  # noqa: A002
                   replace_control_characters, Tsplits, offsets=False):  # noqa: N803
    _check_replacement(replacement_char)
    codec = _codec(input_encoding)
    cps, starts, counts = _decoded(np.asarray(input, object).reshape(-1), codec, errors,
                                   replacement_char, replace_control_characters, False)
    splits = np.zeros(len(counts) + 1, Tsplits.as_numpy_dtype)
    splits[1:] = np.cumsum(counts)
    if not offsets:
        return splits, cps.astype(np.int32)
    return splits, cps.astype(np.int32), starts.astype(np.int64)


def _decode_infer(op_type, offsets):
    def infer(input, *, input_encoding, errors, replacement_char,  # noqa: A002
              replace_control_characters, Tsplits):  # noqa: N803
        _check_attr(op_type, "errors", errors, ("strict", "replace", "ignore"))
        n = input.shape.num_elements()
        out = [TensorSpec([None if n is None else n + 1], Tsplits), TensorSpec([None], _dt.int32)]
        return out + [TensorSpec([None], _dt.int64)] if offsets else out
    return infer


_DECODE_ATTRS = {"input_encoding": req("string"), "errors": "replace",
                 "replacement_char": 0xFFFD, "replace_control_characters": False,
                 "Tsplits": _dt.int64}

UNICODE_DECODE = register(OpDef(
    "UnicodeDecode", inputs=["input:string"], attrs=dict(_DECODE_ATTRS),
    kernel=_decode_kernel, infer=_decode_infer("UnicodeDecode", False), grad=NOT_DIFFERENTIABLE,
    doc="The code points of every string of input, flattened, with the row_splits of each.",
))
UNICODE_DECODE_WITH_OFFSETS = register(OpDef(
    "UnicodeDecodeWithOffsets", inputs=["input:string"], attrs=dict(_DECODE_ATTRS),
    kernel=lambda input, **a: _decode_kernel(input, offsets=True, **a),  # noqa: A006
    infer=_decode_infer("UnicodeDecodeWithOffsets", True), grad=NOT_DIFFERENTIABLE,
    doc="UnicodeDecode, with the byte offset where each character starts.",
))


def _encode_kernel(input_values, input_splits, *, errors, output_encoding, replacement_char):
    _check_replacement(replacement_char)
    values, splits = np.asarray(input_values, np.int64), np.asarray(input_splits, np.int64)
    if splits.size == 0:
        raise InvalidArgumentError(None, None, "Input_splits should contain elements, but "
                                   "given input_values has 0 elements")
    if splits[0] != 0:
        raise InvalidArgumentError(None, None, "First value in input_splits must be zero.")
    if splits[-1] != len(values):
        raise InvalidArgumentError(None, None, "Last value in input_splits must be equal to "
                                   "length of input_tensor.")
    bad = (values < 0) | (values > 0x10FFFF) | ((values >= 0xD800) & (values <= 0xDFFF))
    # TF goes row by row, checking the row's split and then its code points: the first bad
    # split fails the run unless a strict error comes in a row before it.
    wrong = np.flatnonzero((splits[1:] < splits[:-1]) | (splits[1:] > len(values)))
    seen = bad[:splits[wrong[0]]] if len(wrong) else bad
    if errors == "strict" and seen.any():
        raise InvalidArgumentError(None, None, "Code point is out of range for Unicode, or is "
                                   "a surrogate.")
    if len(wrong):
        raise InvalidArgumentError(None, None, "Values in input_splits must be equal or in "
                                   "ascending order." if splits[wrong[0] + 1] < splits[wrong[0]]
                                   else "Values in input_splits must be less than or equal to "
                                   "input_tensor length.")
    if bad.any():
        if errors == "ignore":
            splits = splits - np.concatenate([[0], np.cumsum(bad)])[splits]
            values = values[~bad]
        else:
            values = np.where(bad, replacement_char, values)
    out = np.empty(len(splits) - 1, object)
    out[:] = encode_rows(values, splits, output_encoding)
    return out


def _encode_infer(input_values, input_splits, *, errors, output_encoding, replacement_char):
    _check_attr("UnicodeEncode", "errors", errors, ("ignore", "replace", "strict"))
    _check_attr("UnicodeEncode", "output_encoding", output_encoding, OUTPUT_ENCODINGS)
    for spec in (input_values, input_splits):
        if spec.shape.rank not in (None, 1):
            raise shape_error(f"Shape must be rank 1 but is rank {spec.shape.rank}")
    n = input_splits.shape[0].value if input_splits.shape.rank == 1 else None
    if n == 0:
        raise shape_error("Negative dimension size caused by subtracting 1 from 0")
    return [TensorSpec([None if n is None else n - 1], _dt.string)]


UNICODE_ENCODE = register(OpDef(
    "UnicodeEncode", inputs=["input_values:int32", "input_splits:Tsplits=int64"],
    attrs={"errors": "replace", "output_encoding": req("string"), "replacement_char": 0xFFFD},
    kernel=_encode_kernel, infer=_encode_infer, grad=NOT_DIFFERENTIABLE,
    doc="Each row of code points (input_values cut by input_splits) as one encoded string.",
))


def _transcode_kernel(input, *, input_encoding, output_encoding, errors,  # noqa: A002
                      replacement_char, replace_control_characters):
    _check_replacement(replacement_char)
    codec = _codec(input_encoding)
    x = np.asarray(input, object)
    cps, _, counts = _decoded(x.reshape(-1), codec, errors, replacement_char,
                              replace_control_characters, True)
    out = np.empty(x.shape, object)
    out.reshape(-1)[:] = encode_rows(cps, np.concatenate([[0], np.cumsum(counts)]),
                                     output_encoding)
    return out


def _transcode_infer(input, *, input_encoding, output_encoding, errors,  # noqa: A002
                     replacement_char, replace_control_characters):
    _check_attr("UnicodeTranscode", "errors", errors, ("strict", "replace", "ignore"))
    _check_attr("UnicodeTranscode", "output_encoding", output_encoding, OUTPUT_ENCODINGS)
    return [TensorSpec(input.shape, _dt.string)]


UNICODE_TRANSCODE = register(OpDef(
    "UnicodeTranscode", inputs=["input:string"],
    attrs={"input_encoding": req("string"), "output_encoding": req("string"),
           "errors": "replace", "replacement_char": 0xFFFD, "replace_control_characters": False},
    kernel=_transcode_kernel, infer=_transcode_infer, grad=NOT_DIFFERENTIABLE,
    doc="Each string decoded from input_encoding and written in output_encoding.",
))


# -- tf.strings wrappers --------------------------------------------------------------------------
def _ragged():
    from .. import ragged  # core.ragged imports core.ops: not at this module's load

    return ragged


def _string_or_ragged(value, name="input"):
    rt = _ragged().RaggedTensor
    return value if isinstance(value, rt) else convert_to_tensor(value, _dt.string, name=name)


def unicode_transcode(input, input_encoding, output_encoding, errors="replace",  # noqa: A002
                      replacement_char=65533, replace_control_characters=False, name=None):
    """``tf.strings.unicode_transcode``: each string decoded from ``input_encoding`` and
    written in ``output_encoding`` (UTF-8, UTF-16-BE or UTF-32-BE)."""
    return UNICODE_TRANSCODE(convert_to_tensor(input, _dt.string, name="input"),
                             input_encoding=input_encoding, output_encoding=output_encoding,
                             errors=errors, replacement_char=replacement_char,
                             replace_control_characters=replace_control_characters,
                             name=name or "UnicodeTranscode")


def unicode_decode(input, input_encoding, errors="replace", replacement_char=0xFFFD,  # noqa: A002
                   replace_control_characters=False, name=None):
    """``tf.strings.unicode_decode``: the int32 code points of each string; a RaggedTensor
    ``[D1...DN, (chars)]`` for an input of rank N >= 1, a vector for a scalar."""
    with name_scope(name, "UnicodeDecode", [input]):
        return _unicode_decode(input, input_encoding, errors, replacement_char,
                               replace_control_characters, with_offsets=False)


def unicode_decode_with_offsets(input, input_encoding, errors="replace",  # noqa: A002
                                replacement_char=0xFFFD, replace_control_characters=False,
                                name=None):
    """``tf.strings.unicode_decode_with_offsets``: (code points, int64 byte offset where each
    character starts), shaped as unicode_decode's."""
    with name_scope(name, "UnicodeDecodeWithOffsets", [input]):
        return _unicode_decode(input, input_encoding, errors, replacement_char,
                               replace_control_characters, with_offsets=True)


def unicode_split(input, input_encoding, errors="replace", replacement_char=0xFFFD,  # noqa: A002
                  name=None):
    """``tf.strings.unicode_split``: each string cut into its characters (each re-encoded in
    ``input_encoding``, so a malformed stretch becomes the replacement character's bytes)."""
    with name_scope(name, "UnicodeSplit", [input]):
        codepoints = _unicode_decode(input, input_encoding, errors, replacement_char, False,
                                     with_offsets=False)
        return unicode_encode(_expand_last(codepoints), output_encoding=input_encoding,
                              errors=errors, replacement_char=replacement_char)


def unicode_split_with_offsets(input, input_encoding, errors="replace",  # noqa: A002
                               replacement_char=0xFFFD, name=None):
    """``tf.strings.unicode_split_with_offsets``: (characters, their start byte offsets)."""
    with name_scope(name, "UnicodeSplitWithOffsets", [input]):
        codepoints, offsets = _unicode_decode(input, input_encoding, errors, replacement_char,
                                              False, with_offsets=True)
        chars = unicode_encode(_expand_last(codepoints), output_encoding=input_encoding,
                               errors=errors, replacement_char=replacement_char)
        return chars, offsets


def _expand_last(x):
    """``x`` with a new innermost axis of size 1 (on the flat values of a RaggedTensor)."""
    from .transform_ops import expand_dims

    if isinstance(x, _ragged().RaggedTensor):
        return x.with_flat_values(expand_dims(x.flat_values, -1))
    return expand_dims(x, -1)


def _unicode_decode(input, input_encoding, errors, replacement_char,  # noqa: A002
                    replace_control_characters, with_offsets):
    """TF's _unicode_decode: every string decoded in one op, then given the input's rows."""
    from .array_ops import reshape

    ragged = _ragged()
    rt = ragged.RaggedTensor
    input = _string_or_ragged(input)  # noqa: A001
    ndims = input.shape.rank
    if ndims is None:
        raise ValueError("Rank of `input` must be statically known.")
    if ndims > 1:
        if not isinstance(input, rt):
            input = rt.from_tensor(input, ragged_rank=ndims - 1)  # noqa: A001
        elif input.ragged_rank < ndims - 1:
            input = input.with_flat_values(rt.from_tensor(  # noqa: A001
                input.flat_values, ragged_rank=ndims - input.ragged_rank - 1))
    flat = reshape(input.flat_values if isinstance(input, rt) else input, [-1])
    op = UNICODE_DECODE_WITH_OFFSETS if with_offsets else UNICODE_DECODE
    outs = op(flat, input_encoding=input_encoding, errors=errors,
              replacement_char=replacement_char,
              replace_control_characters=replace_control_characters)
    splits, parts = outs[0], outs[1:]
    if ndims > 0:
        parts = [rt.from_row_splits(p, splits, validate=False) for p in parts]
        if ndims > 1:
            parts = [input.with_flat_values(p) for p in parts]
    return tuple(parts) if with_offsets else parts[0]


def unicode_encode(input, output_encoding, errors="replace", replacement_char=65533,  # noqa: A002
                   name=None):
    """``tf.strings.unicode_encode``: each innermost row of code points (a dense tensor of
    rank >= 1 or a RaggedTensor) as one string in ``output_encoding``."""
    from .array_ops import reshape, shape
    from .concat_split_ops import stack

    rt = _ragged().RaggedTensor
    with name_scope(name, "UnicodeEncode", [input]):
        x = input if isinstance(input, rt) else convert_to_tensor(input, name="input")
        if x.shape.rank is None:
            raise ValueError("Rank of input_tensor must be statically known.")
        again = (lambda v: unicode_encode(v, output_encoding, errors, replacement_char))
        if isinstance(x, rt):
            if x.flat_values.shape.rank > 1:
                return x.with_flat_values(again(x.flat_values))
            if x.ragged_rank > 1:
                return x.with_values(again(x.values))
            return UNICODE_ENCODE(x.values, x.row_splits, output_encoding=output_encoding,
                                  errors=errors, replacement_char=replacement_char)
        if x.shape.rank == 0:
            raise ValueError("input_tensor's rank must be at least 1.")
        if x.shape.rank == 2:
            return again(rt.from_tensor(x))
        if x.shape.rank > 2:
            dims = shape(x)
            flat = again(reshape(x, stack([-1, dims[-1]])))
            return reshape(flat, dims[:-1])
        one_row = rt.from_row_splits(x, stack([0, shape(x)[0]]), validate=False)
        return reshape(again(one_row), [])


def bytes_split(input, name=None):  # noqa: A002
    """``tf.strings.bytes_split``: each string cut into single bytes; a RaggedTensor of
    rank N + 1 for an input of rank N >= 1, a vector for a scalar."""
    from . import string_ops
    from .array_ops import reshape

    rt = _ragged().RaggedTensor
    with name_scope(name, "StringsByteSplit", [input]):
        x = _string_or_ragged(input)
        if isinstance(x, rt):
            return x.with_flat_values(bytes_split(x.flat_values))
        rank = x.shape.rank
        if rank is None:
            raise ValueError("input must have a statically-known rank.")
        if rank == 0:  # one row: its values are the bytes
            return bytes_split(reshape(x, [1])).values
        if rank > 1:
            return bytes_split(rt.from_tensor(x))
        indices, values, dense_shape = string_ops.STRING_SPLIT(x, "", skip_empty=False)
        return rt.from_value_rowids(values, indices[:, 0], nrows=dense_shape[0],
                                    validate=False)
