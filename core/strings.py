"""``tf.strings`` and TF1's root string functions (``tf.string_join``, ``tf.reduce_join``,
``tf.substr``, ``tf.string_to_number``, ``tf.as_string``, ``tf.regex_replace``,
``tf.string_split``, ``tf.string_strip``), over core/ops/string_ops.py; ``format``, ``ngrams``
(dense or ragged input), ``unsorted_segment_join`` and the hash buckets over
core/ops/string_extra_ops.py. A split gives a SparseTensor by default, as TF1's does, or a
RaggedTensor with ``result_type="RaggedTensor"``."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .graph import convert_to_tensor, name_scope
from .ops import string_extra_ops as _extra
from .ops import string_ops as _ops
from .ragged_dispatch import ragged_unary
from .sparse_tensor import SparseTensor
from .string_extra import string_format as format  # noqa: A004 - TF's name

__all__ = ["as_string", "format", "join", "length", "lower", "ngrams", "reduce_join",
           "regex_full_match", "regex_replace", "split", "strip", "substr", "to_hash_bucket",
           "to_hash_bucket_fast", "to_hash_bucket_strong", "to_number", "unsorted_segment_join",
           "upper"]

from .ops.unicode_ops import *  # noqa: E402,F401,F403 - unicode_decode, unicode_encode, ...
from .ops import unicode_ops as _unicode  # noqa: E402

__all__ += _unicode.__all__


# TF's ragged dispatch: each of these takes a RaggedTensor of strings (its flat_values).
to_hash_bucket = ragged_unary(_extra.string_to_hash_bucket)
to_hash_bucket_strong = ragged_unary(_extra.string_to_hash_bucket_strong)


def _str(x, name="input"):
    return convert_to_tensor(x, dtype=_dt.string, name=name)


def join(inputs, separator="", name=None):
    """The element-wise join of the string tensors in ``inputs`` (scalars broadcast)."""
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise ValueError("inputs must be a non-empty list of string tensors")
    # (the op converts the list: Python values are StringJoin/inputs_<i>, and a non-string
    # tensor is TF's TypeError for the list)
    return _ops.STRING_JOIN(list(inputs), separator=separator, name=name or "StringJoin")


def reduce_join(inputs, axis=None, keep_dims=None, separator="", name=None,
                reduction_indices=None, keepdims=None):
    """The strings joined along ``axis`` (every axis if None); the first given axis varies
    fastest, as TF's."""
    axis = reduction_indices if axis is None else axis
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with name_scope(name, "ReduceJoin", [inputs]) as scope:
        x = _str(inputs, "inputs")
        if axis is None:  # every axis, last first (TF's order: row-major joining)
            from .ops.array_ops import range_, rank

            axis = range_(rank(x) - 1, -1, -1) if x.shape.rank is None else \
                list(range(x.shape.rank - 1, -1, -1))
        axis = convert_to_tensor(axis, dtype=_dt.int32, name="reduction_indices")
        return _ops.REDUCE_JOIN(x, axis, keep_dims=keep, separator=separator, name=scope)


@ragged_unary
def length(input, name=None, unit="BYTE"):  # noqa: A002 - TF's argument name
    """Each string's length in bytes (or UTF-8 characters with ``unit="UTF8_CHAR"``)."""
    _unit(unit)
    return _ops.STRING_LENGTH(_str(input), unit=unit, name=name or "StringLength")


@ragged_unary
def substr(input, pos, len, name=None, unit="BYTE"):  # noqa: A002 - TF's argument names
    """``len`` bytes (or characters) of each string from ``pos`` (negative: from the end)."""
    _unit(unit)
    with name_scope(name, "Substr", [input, pos, len]) as scope:
        pos = convert_to_tensor(pos, name="pos", preferred_dtype=_dt.int32)
        len = convert_to_tensor(len, dtype=pos.dtype, name="len")  # noqa: A001
        if pos.dtype not in (_dt.int32, _dt.int64):
            raise TypeError(f"pos must be int32 or int64, got {pos.dtype.name}")
        return _ops.SUBSTR(_str(input), pos, len, unit=unit, name=scope)


@ragged_unary
def to_number(string_tensor, out_type=_dt.float32, name=None):
    """Each string parsed as a number (float32 by default; float64, int32, int64)."""
    out_type = _dt.as_dtype(out_type)
    if out_type not in (_dt.float32, _dt.float64, _dt.int32, _dt.int64):
        raise TypeError(f"out_type must be float32, float64, int32 or int64, got "
                        f"{out_type.name}")
    return _ops.STRING_TO_NUMBER(_str(string_tensor, "string_tensor"), out_type=out_type,
                                 name=name or "StringToNumber")


@ragged_unary
def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="",  # noqa: A002
              name=None):
    """Each number or bool as a string, formatted as TF's AsString (printf rules)."""
    return _ops.AS_STRING(convert_to_tensor(input), precision=precision, scientific=scientific,
                          shortest=shortest, width=width, fill=fill, name=name or "AsString")


@ragged_unary
def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    """Each string with the matches of ``pattern`` replaced by ``rewrite``; a constant
    pattern and rewrite give TF's StaticRegexReplace."""
    if isinstance(pattern, (str, bytes)) and isinstance(rewrite, (str, bytes)):
        return _ops.STATIC_REGEX_REPLACE(_str(input), pattern=pattern, rewrite=rewrite,
                                         replace_global=replace_global,
                                         name=name or "StaticRegexReplace")
    with name_scope(name, "RegexReplace", [input, pattern, rewrite]) as scope:
        return _ops.REGEX_REPLACE(_str(input), _str(pattern, "pattern"),
                                  _str(rewrite, "rewrite"), replace_global=replace_global,
                                  name=scope)


@ragged_unary
def regex_full_match(input, pattern, name=None):  # noqa: A002
    """Whether each whole string matches ``pattern``."""
    if isinstance(pattern, (str, bytes)):
        return _ops.STATIC_REGEX_FULL_MATCH(_str(input), pattern=pattern,
                                            name=name or "StaticRegexFullMatch")
    return _ops.REGEX_FULL_MATCH(_str(input), _str(pattern, "pattern"),
                                 name=name or "RegexFullMatch")


@ragged_unary
def strip(input, name=None):  # noqa: A002
    """Each string without leading and trailing whitespace."""
    return _ops.STRING_STRIP(_str(input), name=name or "StringStrip")


@ragged_unary
def lower(input, encoding="", name=None):  # noqa: A002
    return _ops.STRING_LOWER(_str(input), encoding=encoding, name=name or "StringLower")


@ragged_unary
def upper(input, encoding="", name=None):  # noqa: A002
    return _ops.STRING_UPPER(_str(input), encoding=encoding, name=name or "StringUpper")


def _sparse(outs) -> SparseTensor:
    indices, values, shape = outs
    return SparseTensor(indices, values, shape)


def _rows(outs):
    """The RaggedTensor of a split's (indices, values, shape): one row per input string."""
    from .ragged import RaggedTensor

    indices, values, shape = outs
    return RaggedTensor.from_value_rowids(values, indices[:, 0], nrows=shape[0],
                                          validate=False)


def string_split(source, delimiter=" ", skip_empty=True, name=None, sep=None,
                 result_type="SparseTensor"):
    """``tf.string_split``: the tokens of each string of the vector ``source``, split at any
    one of ``delimiter``'s bytes (StringSplit), as a [batch, longest] SparseTensor or (with
    ``result_type="RaggedTensor"``) a RaggedTensor of one row per string."""
    _check_result_type(result_type)
    delimiter = sep if sep is not None else delimiter
    with name_scope(name, "StringSplit", [source]) as scope:
        outs = _ops.STRING_SPLIT(_str(source, "source"), _str(delimiter, "delimiter"),
                                 skip_empty=skip_empty, name=scope)
        return _sparse(outs) if result_type == "SparseTensor" else _rows(outs)


def split(source=None, sep=None, maxsplit=-1, result_type="SparseTensor", name=None,
          input=None):  # noqa: A002
    """``tf.strings.split`` (TF1's): the tokens of each string at ``sep`` (runs of whitespace
    when None), at most ``maxsplit`` splits (StringSplitV2). A RaggedTensor of rank N + 1 for
    a tensor (or RaggedTensor) of rank N, a scalar counting as a vector of one string; or, by
    default, that RaggedTensor as a SparseTensor."""
    from .ragged import RaggedTensor

    _check_result_type(result_type)
    source = input if source is None else source
    with name_scope(name, "StringSplit", [source]):
        x = source if isinstance(source, RaggedTensor) else _str(source, "input")
        if x.shape.rank == 0:  # TF1's: one row, a [1, n] result
            from .ops.transform_ops import expand_dims

            x = expand_dims(x, 0)
        if result_type == "SparseTensor" and not isinstance(x, RaggedTensor) and \
                x.shape.rank in (None, 1):
            # the op's own SparseTensor, as TF (an unknown rank must be a vector when run)
            return _sparse(_ops.STRING_SPLIT_V2(x, _str(sep or "", "sep"),
                                                maxsplit=int(maxsplit), name="StringSplit"))
        rows = _split_rows(x, sep, int(maxsplit))
        return rows if result_type == "RaggedTensor" else rows.to_sparse()


def _split_rows(x, sep, maxsplit):
    """TF's ragged string_split_v2: the tokens of each string of ``x`` (rank >= 1 or
    ragged) as the innermost rows of a RaggedTensor of rank N + 1."""
    from .ragged import RaggedTensor

    if isinstance(x, RaggedTensor):
        return x.with_flat_values(_split_rows(x.flat_values, sep, maxsplit))
    if x.shape.rank not in (None, 1):
        return _split_rows(RaggedTensor.from_tensor(x, ragged_rank=x.shape.rank - 1), sep,
                           maxsplit)
    return _rows(_ops.STRING_SPLIT_V2(x, _str(sep or "", "sep"), maxsplit=maxsplit,
                                      name="StringSplitV2"))


def _check_result_type(result_type):
    if result_type not in ("SparseTensor", "RaggedTensor"):
        raise ValueError("result_type must be 'RaggedTensor' or 'SparseTensor'.")


def _unit(unit):
    # bytes too, as TF's op attrs take them (an op's get_attr("unit") handed back)
    if unit not in ("BYTE", "UTF8_CHAR", b"BYTE", b"UTF8_CHAR"):
        raise ValueError(f"unit must be 'BYTE' or 'UTF8_CHAR', got {unit!r}")


@ragged_unary
def to_hash_bucket_fast(input, num_buckets, name=None):  # noqa: A002 - TF's argument name
    """Each string's bucket in ``[0, num_buckets)``: TF's FarmHash fingerprint, so the same
    strings land in the same buckets as in TensorFlow."""
    if isinstance(num_buckets, bool) or not isinstance(num_buckets, int) or num_buckets < 1:
        raise ValueError(f"num_buckets must be a positive integer, got {num_buckets!r}")
    return _ops.STRING_TO_HASH_BUCKET_FAST(_str(input), num_buckets=num_buckets,
                                           name=name or "StringToHashBucketFast")


def ngrams(data, ngram_width, separator=" ", pad_values=None, padding_width=None,
           preserve_short_sequences=False, name=None):
    """``tf.strings.ngrams``: the n-grams of width ``ngram_width`` (an int or a list) along
    the last axis, joined by ``separator``, padded with ``pad_values`` (a string or a (left,
    right) pair) ``padding_width`` times (width - 1 if None) at each end. A dense tensor gives
    a dense tensor; a RaggedTensor gives a RaggedTensor of the same rows."""
    left, right = _pad_values(pad_values)
    if padding_width is not None and padding_width < 1:
        raise ValueError("padding_width must be greater than 0.")
    if padding_width is not None and pad_values is None:
        raise ValueError("pad_values must be provided if padding_width is set.")
    widths = list(ngram_width) if isinstance(ngram_width, (list, tuple)) else [ngram_width]
    if any(w < 1 for w in widths):
        raise ValueError(f"All ngram_widths must be greater than 0. Got {ngram_width}")
    pad = 0 if pad_values is None else -1 if padding_width is None else padding_width
    from .ops import array_ops, math_ops, reduction_ops
    from .ops.concat_split_ops import concat
    from .ops.string_extra_ops import STRING_NGRAMS

    from .ragged import RaggedTensor

    with name_scope(name, "StringNGrams", [data]):
        if isinstance(data, RaggedTensor):
            return _ragged_ngrams(data, widths, separator, left, right, pad,
                                  preserve_short_sequences)
        data = _str(data, "data")
        if data.shape.rank is None:
            raise ValueError("Rank of data must be known.")
        if data.shape.rank == 0:
            raise ValueError("Data must have rank>0")
        dims = array_ops.shape(data, out_type=_dt.int64)
        rows = reduction_ops.reduce_prod(dims[:-1])
        splits = math_ops.cast(array_ops.range_(rows + 1), _dt.int64) * dims[-1]
        grams, _ = STRING_NGRAMS(array_ops.reshape(data, [-1]), splits, separator=separator,
                                 ngram_widths=widths, left_pad=left, right_pad=right,
                                 pad_width=pad, preserve_short_sequences=preserve_short_sequences)
        if data.shape.rank == 1:
            return grams
        return array_ops.reshape(grams, concat([dims[:-1], np.array([-1], np.int64)], 0))


def _ragged_ngrams(data, widths, separator, left, right, pad, preserve_short_sequences):
    """The n-grams of each innermost row of the RaggedTensor ``data``, as TF's: the outer
    partitions kept, StringNGrams over the flat values and the innermost row splits."""
    from .ops.string_extra_ops import STRING_NGRAMS
    from .ragged import RaggedTensor

    if data.ragged_rank > 1:
        return data.with_values(_ragged_ngrams(data.values, widths, separator, left, right, pad,
                                               preserve_short_sequences))
    if data.dtype != _dt.string:
        raise TypeError(f"data must be a string RaggedTensor, got {data.dtype.name}")
    grams, splits = STRING_NGRAMS(data.values, data.row_splits, separator=separator,
                                  ngram_widths=widths, left_pad=left, right_pad=right,
                                  pad_width=pad, preserve_short_sequences=preserve_short_sequences)
    return RaggedTensor.from_row_splits(grams, splits, validate=False)


def _pad_values(pad_values):
    if pad_values is None:
        return "", ""
    pair = pad_values if isinstance(pad_values, (list, tuple)) else (pad_values, pad_values)
    if len(pair) != 2 or not all(isinstance(p, (str, bytes)) for p in pair):
        raise ValueError("pad_values must be a string, tuple of strings, or None.")
    return tuple(p.decode() if isinstance(p, bytes) else p for p in pair)


def unsorted_segment_join(inputs, segment_ids, num_segments, separator="", name=None):
    """``tf.strings.unsorted_segment_join``: row k of the result joins (with ``separator``,
    in order of appearance) the slices of ``inputs`` whose ``segment_ids`` are k; segments
    without any are empty strings."""
    with name_scope(name, "UnsortedSegmentJoin", [inputs, segment_ids, num_segments]) as scope:
        ids = convert_to_tensor(segment_ids, name="segment_ids", preferred_dtype=_dt.int32)
        n = convert_to_tensor(num_segments, name="num_segments", preferred_dtype=_dt.int32)
        for t, what in ((ids, "segment_ids"), (n, "num_segments")):
            if t.dtype not in (_dt.int32, _dt.int64):
                raise TypeError(f"{what} must be int32 or int64, got {t.dtype.name}")
        return _extra.UNSORTED_SEGMENT_JOIN(_str(inputs, "inputs"), ids, n, separator=separator,
                                            name=scope)
