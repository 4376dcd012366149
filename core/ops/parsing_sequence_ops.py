"""SequenceExample parsing: ParseSequenceExampleV2 (what TF 2.x's ``tf.io.parse_sequence_example``
and ``tf.compat.v1.parse_single_sequence_example`` write), and TF 1.x's ParseSequenceExample (keys
as attrs) and ParseSingleSequenceExample (keys as inputs), so TF1-era GraphDefs import and run.

A SequenceExample is ``context`` (1, a Features message, read as parsing_ops reads an Example's
features) and ``feature_lists`` (2, FeatureLists: a map of key -> FeatureList, whose field 1 is
a repeated Feature, one per step). The kernel follows TF's FastParseSequenceExample: the same
checks in the same order, with its messages (quirks included, e.g. a required context feature
missing from every record reports "Inconsistent max number of elements").

Ragged features (tf.io.RaggedFeature) are refused: the parsing ops do not build ragged
outputs.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from .._wire import LEN
from ..errors import InvalidArgumentError, UnimplementedError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, kinded, register, req, shape_error
from ..tensor_shape import TensorShape, as_shape
from .parsing_ops import (_FEATURE_DTYPES, _KIND_NAMES, _KIND_OF_DTYPE, _CorruptError,
                          _decode_feature, _example_features, _message_fields, _shape_text,
                          _v1_keys, map_entries)

_EMPTY = np.zeros([0], object)


# -- SequenceExample wire decoding -------------------------------------------------------------
def _feature_lists(buf, wanted: set) -> dict:
    """{key: [(kind, values) per step]} for the ``wanted`` feature lists of a serialized
    SequenceExample; a later entry for a key replaces an earlier one (protobuf's map merge)."""
    found = {}
    for number, wt, _, s, e in _message_fields(buf, 0, len(buf)):
        if number != 2:
            continue
        if wt != LEN:
            raise _CorruptError("SequenceExample.feature_lists is not length-delimited")
        for key, span in map_entries(buf, s, e):
            if key in wanted:
                found[key] = [] if span is None else _steps(buf, span)
    return found


def _steps(buf, span):
    steps = []
    for number, wt, _, s, e in _message_fields(buf, *span):
        if number == 1:
            if wt != LEN:
                raise _CorruptError("FeatureList.feature is not length-delimited")
            steps.append(_decode_feature(buf, (s, e)))
    return steps


def _decode_records(records, context_keys, list_keys, name_of):
    """[(context {key: (kind, values)}, feature lists {key: [(kind, values)]})] per record."""
    out = []
    for i, record in enumerate(records):
        data = record.encode() if isinstance(record, str) else bytes(record)
        try:
            spans = _example_features(memoryview(data), context_keys)
            context = {k: _decode_feature(data, s) for k, s in spans.items()}
            out.append((context, _feature_lists(memoryview(data), list_keys)))
        except _CorruptError:
            raise InvalidArgumentError(None, None, "Invalid protocol message input, example "
                                       f"id: {name_of(i)}") from None
    return out


# -- the kernel ------------------------------------------------------------------------------
def _type_name(dtype) -> str:
    return _KIND_NAMES[_KIND_OF_DTYPE[dtype]]


def _np_dtype(dtype):
    return object if dtype == _dt.string else dtype.as_numpy_dtype


def _check_types(parsed, ctx_types, list_types, name_of):
    """TF's first pass: every present feature's kind against its configured dtype."""
    for i, (context, lists) in enumerate(parsed):
        for key, dtype in ctx_types.items():
            kind = context.get(key, (0,))[0]
            if kind not in (0, _KIND_OF_DTYPE[dtype]):
                raise InvalidArgumentError(
                    None, None, f"Name: {name_of(i)}, Context feature: {key.decode()}.  Data "
                    f"types don't match. Expected type: {_type_name(dtype)}")
        for key, dtype in list_types.items():
            for row, (kind, _) in enumerate(lists.get(key, ())):
                if kind not in (0, _KIND_OF_DTYPE[dtype]):
                    raise InvalidArgumentError(
                        None, None, f"Name: {name_of(i)}, Feature list: {key.decode()}, Index: "
                        f"{row}.  Data types don't match. Expected type: {_type_name(dtype)}")


def _context_dense(parsed, key, dtype, shape, default, name_of, batch):
    dims = as_shape(shape).as_tuple()
    size = int(np.prod(dims, dtype=np.int64))
    default = np.asarray(default)
    longest = max([default.size] + [len(c[key][1]) for c, _ in parsed if key in c])
    if longest != size:
        raise InvalidArgumentError(None, None, f"Inconsistent max number of elements for "
                                   f"feature {key.decode()}: expected {size}, but found {longest}")
    out = np.empty((len(parsed), size), _np_dtype(dtype))
    for i, (context, _) in enumerate(parsed):
        if key not in context:
            if default.size == 0:
                raise InvalidArgumentError(
                    None, None, f"Feature: {key.decode()} (data type: {_type_name(dtype)}) is "
                    "required but could not be found.")
            values = default.reshape(-1)
        else:
            values = context[key][1]
        if len(values) != size:
            raise InvalidArgumentError(None, None, f"Unexpected number of elements in example "
                                       f"{name_of(i)}")
        out[i] = values
    return out.reshape((len(parsed),) + dims if batch else dims)


def _context_sparse(parsed, key, dtype, batch):
    rows = [c[key][1] if key in c else [] for c, _ in parsed]
    counts = np.array([len(r) for r in rows], np.int64)
    values = _values(rows, dtype)
    position = np.arange(values.size, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts,
                                                                  counts)
    longest = int(counts.max(initial=0))
    if not batch:
        return position.reshape(-1, 1), values, np.array([longest], np.int64)
    record = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    return (np.stack([record, position], axis=1), values,
            np.array([len(rows), longest], np.int64))


def _values(chunks, dtype) -> np.ndarray:
    flat = [v for chunk in chunks for v in chunk]
    out = np.empty(len(flat), _np_dtype(dtype))
    if flat:
        out[:] = flat
    return out


def _list_dense(parsed, key, dtype, shape, missing_ok, name_of, batch):
    """(values [batch, longest] + shape padded with 0 / b"", lengths [batch])."""
    dims = as_shape(shape).as_tuple()
    size = int(np.prod(dims, dtype=np.int64))
    longest = max([0] + [sum(len(v) for _, v in lists[key]) for _, lists in parsed
                         if key in lists])
    if size and longest % size:
        raise InvalidArgumentError(
            None, None, f"Feature list '{key.decode()}' has an unexpected number of values.  "
            f"Total values size: {longest} is not consistent with output shape: "
            f"{_shape_text((None,) + dims)}")
    out = np.full((len(parsed), longest), b"" if dtype == _dt.string else 0, _np_dtype(dtype))
    lengths = np.zeros(len(parsed), np.int64)
    for i, (_, lists) in enumerate(parsed):
        if key not in lists and not missing_ok:
            raise InvalidArgumentError(
                None, None, f"Name: {name_of(i)}, Feature list '{key.decode()}' is required but "
                "could not be found.  Did you mean to include it in "
                "feature_list_dense_missing_assumed_empty or feature_list_dense_defaults?")
        steps = lists.get(key, [])
        for row, (_, values) in enumerate(steps):
            if len(values) != size:
                raise InvalidArgumentError(
                    None, None, f"Name: {name_of(i)}, Key: {key.decode()}, Index: {row}.  Number "
                    f"of values != expected.  values size: {len(values)} but output shape: "
                    f"{_shape_text(dims)}")
            out[i, row * size:(row + 1) * size] = values
        lengths[i] = len(steps)
    rows = longest // size if size else 0
    out = out.reshape((len(parsed), rows) + dims)
    return (out, lengths) if batch else (out[0], lengths[0])


def _list_sparse(parsed, key, dtype, batch):
    index, chunks, most_rows, most_cols = [], [], 0, 0
    for i, (_, lists) in enumerate(parsed):
        steps = lists.get(key, [])
        most_rows = max(most_rows, len(steps))
        for row, (_, values) in enumerate(steps):
            most_cols = max(most_cols, len(values))
            chunks.append(values)
            index += [(i, row, j) for j in range(len(values))]
    indices = np.array(index, np.int64).reshape(-1, 3)
    shape = [len(parsed), most_rows, most_cols]
    if not batch:
        indices, shape = indices[:, 1:], shape[1:]
    return indices, _values(chunks, dtype), np.array(shape, np.int64)


def _keys(keys) -> list[bytes]:
    return [k.encode() if isinstance(k, str) else bytes(k)
            for k in np.asarray(keys if keys is not None else [], dtype=object).reshape(-1)]


def _parse(serialized, names, ctx_sparse, ctx_dense, defaults, list_sparse, list_dense,
           missing_ok, *, ctx_sparse_types, ctx_dense_shapes, list_sparse_types,
           list_dense_types, list_dense_shapes, lengths=True):
    """Every output of a SequenceExample parse, in TF's order (without the ragged ones)."""
    serialized = np.asarray(serialized, dtype=object)
    batch = serialized.ndim > 0
    names = _keys(names)
    if names and len(names) != serialized.size:
        raise InvalidArgumentError(None, None, "example_names must be empty or have the correct "
                                   "number of elements")

    def name_of(i):
        return names[i].decode(errors="replace") if names else "<unknown>"

    ctx_dtypes = [np.asarray(d).dtype for d in defaults]
    ctx_dense_types = [_dt.string if t.kind == "O" else _dt.as_dtype(t) for t in ctx_dtypes]
    ctx_types = dict(zip(ctx_sparse, ctx_sparse_types)) | dict(zip(ctx_dense, ctx_dense_types))
    list_types = dict(zip(list_sparse, list_sparse_types)) | dict(zip(list_dense,
                                                                      list_dense_types))
    parsed = _decode_records(serialized.reshape(-1), set(ctx_types), set(list_types), name_of)
    _check_types(parsed, ctx_types, list_types, name_of)
    dense = [_context_dense(parsed, k, t, s, d, name_of, batch)
             for k, t, s, d in zip(ctx_dense, ctx_dense_types, ctx_dense_shapes, defaults)]
    sparse = [_context_sparse(parsed, k, t, batch) for k, t in zip(ctx_sparse, ctx_sparse_types)]
    fl_dense = [_list_dense(parsed, k, t, s, k in missing_ok, name_of, batch)
                for k, t, s in zip(list_dense, list_dense_types, list_dense_shapes)]
    fl_sparse = [_list_sparse(parsed, k, t, batch) for k, t in zip(list_sparse, list_sparse_types)]
    outs = [p[j] for j in range(3) for p in sparse] + dense
    outs += [p[j] for j in range(3) for p in fl_sparse] + [v for v, _ in fl_dense]
    if lengths:
        outs += [n for _, n in fl_dense]
    return outs[0] if len(outs) == 1 else tuple(outs)


def _infer(serialized, default_specs, *, ctx_sparse_types, ctx_dense_shapes, list_sparse_types,
           list_dense_types, list_dense_shapes, lengths=True):
    batch = serialized.shape.as_tuple()
    if batch is not None and len(batch) > 1:
        raise shape_error(f"Shape must be at most rank 1 but is rank {len(batch)}")
    if len(default_specs) != len(ctx_dense_shapes):
        raise shape_error(f"len(context_dense_defaults) != len(context_dense_shapes): "
                          f"{len(default_specs)} vs. {len(ctx_dense_shapes)}")
    if len(list_dense_types) != len(list_dense_shapes):
        raise shape_error(f"len(feature_list_dense_types) != len(feature_list_dense_shapes): "
                          f"{len(list_dense_types)} vs. {len(list_dense_shapes)}")
    for what, types in (("context_dense_defaults", [d.dtype for d in default_specs]),
                        ("context_sparse_types", ctx_sparse_types),
                        ("feature_list_sparse_types", list_sparse_types),
                        ("feature_list_dense_types", list_dense_types)):
        for t in types:
            if t not in _FEATURE_DTYPES:
                raise TypeError(f"Value passed to parameter '{what}' has DataType {t.name} not "
                                "in list of allowed values: float32, int64, string")
    for shape in list(ctx_dense_shapes) + list(list_dense_shapes):
        if not as_shape(shape).is_fully_defined():
            raise shape_error(f"Shape {as_shape(shape)} is not fully defined")

    def with_batch(dims):
        return None if batch is None else TensorShape(list(batch) + list(dims))

    rank = None if batch is None else len(batch)
    ctx_rank = None if rank is None else rank + 1
    list_rank = None if rank is None else rank + 2
    outs = [TensorSpec([None, ctx_rank], _dt.int64) for _ in ctx_sparse_types]
    outs += [TensorSpec([None], t) for t in ctx_sparse_types]
    outs += [TensorSpec([ctx_rank], _dt.int64) for _ in ctx_sparse_types]
    outs += [TensorSpec(with_batch(as_shape(s).as_tuple()), d.dtype)
             for d, s in zip(default_specs, ctx_dense_shapes)]
    outs += [TensorSpec([None, list_rank], _dt.int64) for _ in list_sparse_types]
    outs += [TensorSpec([None], t) for t in list_sparse_types]
    outs += [TensorSpec([list_rank], _dt.int64) for _ in list_sparse_types]
    outs += [TensorSpec(with_batch((None,) + as_shape(s).as_tuple()), t)
             for t, s in zip(list_dense_types, list_dense_shapes)]
    if lengths:
        outs += [TensorSpec(with_batch(()), _dt.int64) for _ in list_dense_types]
    return outs


def _refuse_ragged(op_type, *types):
    if any(types):
        raise UnimplementedError(None, None, f"{op_type}: ragged features are not parsed by "
                                 "minitf (its parsing ops build no ragged outputs)")


# -- ParseSequenceExampleV2 --------------------------------------------------------------------
# TF's defaults of the list(type)/list(shape) attrs are empty lists, declared with their kinds
# (an empty list alone reads as list(int)): GraphDefs whose default-valued attrs were stripped
# (SavedModels) then import.
_LIST_KINDS = {k: "list(shape)" if k.endswith("shapes") else "list(type)" for k in (
    "context_sparse_types", "context_ragged_value_types", "context_ragged_split_types",
    "context_dense_shapes", "feature_list_dense_types", "feature_list_sparse_types",
    "feature_list_ragged_value_types", "feature_list_ragged_split_types",
    "feature_list_dense_shapes")}
_V2_ATTRS = dict(Ncontext_sparse=0, Nfeature_list_sparse=0, Nfeature_list_dense=0,
                 **{k: kinded([], kind) for k, kind in _LIST_KINDS.items()})


def _v2_kernel(serialized, debug_name, ctx_sparse_keys, ctx_dense_keys, ctx_ragged_keys,
               fl_sparse_keys, fl_dense_keys, fl_ragged_keys, missing_assumed_empty, defaults,
               *, context_ragged_value_types, feature_list_ragged_value_types, **attrs):
    _refuse_ragged("ParseSequenceExampleV2", context_ragged_value_types,
                   feature_list_ragged_value_types)
    dense_keys = _keys(fl_dense_keys)
    flags = np.asarray(missing_assumed_empty, bool).reshape(-1)
    if len(flags) != len(dense_keys):
        raise InvalidArgumentError(None, None, "Expected len(feature_list_dense_keys) == "
                                   "len(feature_list_dense_missing_assumed_empty) but got: "
                                   f"{len(dense_keys)} vs. {len(flags)}")
    return _parse(serialized, debug_name, _keys(ctx_sparse_keys), _keys(ctx_dense_keys),
                  defaults, _keys(fl_sparse_keys), dense_keys,
                  {k for k, f in zip(dense_keys, flags) if f}, **_config(attrs))


def _config(attrs):
    return dict(ctx_sparse_types=attrs["context_sparse_types"],
                ctx_dense_shapes=attrs["context_dense_shapes"],
                list_sparse_types=attrs["feature_list_sparse_types"],
                list_dense_types=attrs["feature_list_dense_types"],
                list_dense_shapes=attrs["feature_list_dense_shapes"])


def _v2_infer(serialized, debug_name, ctx_sparse_keys, ctx_dense_keys, ctx_ragged_keys,
              fl_sparse_keys, fl_dense_keys, fl_ragged_keys, missing_assumed_empty, defaults,
              *, context_ragged_value_types, feature_list_ragged_value_types, **attrs):
    _refuse_ragged("ParseSequenceExampleV2", context_ragged_value_types,
                   feature_list_ragged_value_types)
    for n, key in (("Ncontext_sparse", "context_sparse_types"),
                   ("Nfeature_list_sparse", "feature_list_sparse_types"),
                   ("Nfeature_list_dense", "feature_list_dense_types")):
        if attrs[n] != len(attrs[key]):
            raise shape_error(f"len({key}) != {n}: {len(attrs[key])} vs. {attrs[n]}")
    return _infer(serialized, defaults, **_config(attrs))


PARSE_SEQUENCE_EXAMPLE_V2 = register(OpDef(
    "ParseSequenceExampleV2",
    inputs=["serialized:string", "debug_name:string", "context_sparse_keys:string",
            "context_dense_keys:string", "context_ragged_keys:string",
            "feature_list_sparse_keys:string", "feature_list_dense_keys:string",
            "feature_list_ragged_keys:string", "feature_list_dense_missing_assumed_empty:bool",
            "context_dense_defaults:list(Tcontext_dense)"],
    attrs=_V2_ATTRS, kernel=_v2_kernel, infer=_v2_infer, grad=NOT_DIFFERENTIABLE,
    doc="context and feature lists of serialized tf.train.SequenceExample records",
))


# -- TF 1.x: ParseSequenceExample (keys as attrs), ParseSingleSequenceExample (keys as inputs) --
_V1_ATTRS = dict(feature_list_dense_missing_assumed_empty=req("list(string)"),
                 context_sparse_keys=req("list(string)"), context_dense_keys=req("list(string)"),
                 feature_list_sparse_keys=req("list(string)"),
                 feature_list_dense_keys=req("list(string)"), Ncontext_sparse=0,
                 Ncontext_dense=0, Nfeature_list_sparse=0, Nfeature_list_dense=0,
                 **{k: kinded([], kind) for k, kind in _LIST_KINDS.items() if "ragged" not in k})


def _v1_kernel(serialized, debug_name, defaults, *, feature_list_dense_missing_assumed_empty,
               context_sparse_keys, context_dense_keys, feature_list_sparse_keys,
               feature_list_dense_keys, **attrs):
    return _parse(serialized, debug_name, _keys(context_sparse_keys), _keys(context_dense_keys),
                  defaults, _keys(feature_list_sparse_keys), _keys(feature_list_dense_keys),
                  set(_keys(feature_list_dense_missing_assumed_empty)), **_config(attrs))


def _v1_infer(serialized, debug_name, defaults, **attrs):
    if serialized.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {serialized.shape.rank}")
    for n, keys in (("Ncontext_sparse", "context_sparse_keys"),
                    ("Ncontext_dense", "context_dense_keys"),
                    ("Nfeature_list_sparse", "feature_list_sparse_keys"),
                    ("Nfeature_list_dense", "feature_list_dense_keys")):
        if attrs[n] != len(attrs[keys]):
            raise shape_error(f"len({keys}) != {n}: {len(attrs[keys])} vs. {attrs[n]}")
    return _infer(serialized, defaults, **_config(attrs))


PARSE_SEQUENCE_EXAMPLE = register(OpDef(
    "ParseSequenceExample",
    inputs=["serialized:string", "debug_name:string",
            "context_dense_defaults:list(Tcontext_dense)"],
    attrs=_V1_ATTRS, kernel=_v1_kernel, infer=_v1_infer, grad=NOT_DIFFERENTIABLE,
    doc="TF 1.x's ParseSequenceExample: a batch, keys as attrs",
))

# N* and Tcontext_dense are derived from the inputs here; the keys are inputs, not attrs.
_SINGLE_ATTRS = {k: _V1_ATTRS[k] for k in (
    "context_sparse_types", "feature_list_dense_types", "context_dense_shapes",
    "feature_list_sparse_types", "feature_list_dense_shapes")}


def _debug_names(debug_name) -> np.ndarray:
    """The one record's name as a names vector; an empty name is no name ("<unknown>")."""
    flat = np.asarray(debug_name, dtype=object).reshape(-1)
    return flat[:1] if flat.size and flat[0] else _EMPTY


def _single_kernel(serialized, missing_assumed_empty, ctx_sparse_keys, ctx_dense_keys,
                   fl_sparse_keys, fl_dense_keys, defaults, debug_name, **attrs):
    return _parse(serialized, _debug_names(debug_name),
                  _keys(_v1_keys(ctx_sparse_keys)), _keys(_v1_keys(ctx_dense_keys)), defaults,
                  _keys(_v1_keys(fl_sparse_keys)), _keys(_v1_keys(fl_dense_keys)),
                  set(_keys(missing_assumed_empty)), lengths=False, **_config(attrs))


def _single_infer(serialized, missing_assumed_empty, ctx_sparse_keys, ctx_dense_keys,
                  fl_sparse_keys, fl_dense_keys, defaults, debug_name, **attrs):
    if serialized.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {serialized.shape.rank}")
    for keys, what in ((ctx_sparse_keys, "context_sparse_types"),
                       (fl_sparse_keys, "feature_list_sparse_types"),
                       (fl_dense_keys, "feature_list_dense_types")):
        if len(keys) != len(attrs[what]):
            raise shape_error(f"len({what}) != the number of keys: {len(attrs[what])} vs. "
                              f"{len(keys)}")
    return _infer(serialized, defaults, lengths=False, **_config(attrs))


PARSE_SINGLE_SEQUENCE_EXAMPLE = register(OpDef(
    "ParseSingleSequenceExample",
    inputs=["serialized:string", "feature_list_dense_missing_assumed_empty:string",
            "context_sparse_keys:Ncontext_sparse*string",
            "context_dense_keys:Ncontext_dense*string",
            "feature_list_sparse_keys:Nfeature_list_sparse*string",
            "feature_list_dense_keys:Nfeature_list_dense*string",
            "context_dense_defaults:list(Tcontext_dense)", "debug_name:string"],
    attrs=_SINGLE_ATTRS, kernel=_single_kernel, infer=_single_infer, grad=NOT_DIFFERENTIABLE,
    doc="TF 1.x's ParseSingleSequenceExample: one record, keys as scalar inputs, no lengths",
))
