"""The Example parsing ops: ParseExampleV2 (what ``tf.parse_example`` / ``tf.parse_single_example``
build) and TF 1.x's ParseExample and ParseSingleExample, which run as ParseExampleV2 so TF1-era
serving graphs (tf.Example inputs) import and run.

Dense features (FixedLenFeature, FixedLenSequenceFeature) and VarLenFeature (a SparseTensor's
three outputs) are parsed, with TF's output order and error messages; ragged features are
refused. The records' wire decoding is _example_wire's; the feature configurations and public
wrappers are parsing_ops' (which re-exports the OpDefs here).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, UnimplementedError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape, as_shape
from ._example_wire import (_FEATURE_DTYPES, _KIND_NAMES, _KIND_OF_DTYPE, _CorruptError,
                            _decode_feature, _example_features)


# -- ParseExampleV2 ----------------------------------------------------------------------------
def _shape_text(dims) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _escaped(data: bytes, limit: int = 64) -> str:
    text = repr(bytes(data[:limit]))[2:-1]
    return text + ("..." if len(data) > limit else "")


def _parse_example_kernel(serialized, names, sparse_keys, dense_keys, ragged_keys,
                          dense_defaults, *, num_sparse, sparse_types, ragged_value_types,
                          ragged_split_types, dense_shapes):
    _refuse_ragged(ragged_value_types)
    serialized = np.asarray(serialized, dtype=object)
    single = serialized.ndim == 0
    records = serialized.reshape(-1)
    names = np.asarray(names, dtype=object).reshape(-1)
    keys = [k.encode() if isinstance(k, str) else bytes(k)
            for k in np.asarray(dense_keys, dtype=object).reshape(-1)]
    if len(keys) != len(dense_defaults) or len(keys) != len(dense_shapes):
        raise InvalidArgumentError(None, None, f"Expected len(dense_defaults) == "
                                   f"len(dense_keys) but got: {len(dense_defaults)} vs. "
                                   f"{len(keys)}")
    if len(names) and len(names) != len(records):
        raise InvalidArgumentError(None, None, f"Expected len(names) == len(serialized), but "
                                   f"got: {len(names)} vs. {len(records)}")

    def where(i, key=None, index=True):
        """TF's prefix naming the record (and key) an error is about: "Name: r, Key: k,
        Index: 3.  " in a batch, "Key: k.  " for a single record (whose other messages have
        none); "Name: r, " alone with ``index=False``."""
        if single:
            return f"Key: {key}.  " if key is not None else ""
        name = names[i] if len(names) else "<unknown>"
        name = name.decode(errors="replace") if isinstance(name, bytes) else str(name)
        if not index:
            return f"Name: {name}, "
        return f"Name: {name}, Key: {key}, Index: {i}.  " if key is not None else \
            f"Name: {name}, Index: {i}.  "

    skeys = [k.encode() if isinstance(k, str) else bytes(k)
             for k in np.asarray(sparse_keys if num_sparse else [], dtype=object).reshape(-1)]
    if len(skeys) != num_sparse or len(sparse_types) != num_sparse:
        raise InvalidArgumentError(None, None, f"Expected len(sparse_keys) == num_sparse == "
                                   f"len(sparse_types) but got: {len(skeys)}, {num_sparse}, "
                                   f"{len(sparse_types)}")
    wanted = set(keys) | set(skeys)
    parsed = []
    for i, record in enumerate(records):
        data = record.encode() if isinstance(record, str) else record
        try:
            spans = _example_features(memoryview(data), wanted)
            parsed.append({k: _decode_feature(data, s) for k, s in spans.items()})
        except _CorruptError:
            raise InvalidArgumentError(None, None, f"{where(i)}Could not parse example input, "
                                       f"value: '{_escaped(data)}'") from None
    outs = []
    for key, default, shape in zip(keys, dense_defaults, dense_shapes):
        default = np.asarray(default)
        dtype = _dt.string if default.dtype == object else _dt.as_dtype(default.dtype)
        dims = as_shape(shape).as_tuple()
        out = _dense_output(parsed, key, dtype, dims, default, where)
        outs.append(out[0, ...] if single else out)  # an array even for a scalar feature
    sparse = [_sparse_output(parsed, key, _dt.as_dtype(t), single, where)
              for key, t in zip(skeys, sparse_types)]
    outs = [part[i] for i in range(3) for part in sparse] + outs  # TF's output order
    return outs[0] if len(outs) == 1 else tuple(outs)


def _sparse_output(parsed, key, dtype, single, where):
    """A VarLenFeature's (indices, values, dense_shape): each record's values in a row of
    their own (a single record: one row without the batch column), as TF parses them."""
    name = key.decode(errors="replace")
    want = _KIND_OF_DTYPE[dtype]
    rows = []
    for i, features in enumerate(parsed):
        kind, got = features.get(key, (0, []))
        if kind not in (0, want):
            raise InvalidArgumentError(None, None, f"{where(i, name)}Data types don't match. "
                                       f"Expected type: {_KIND_NAMES[want]}, Actual type: "
                                       f"{_KIND_NAMES[kind]}")
        rows.append(got)
    counts = np.array([len(r) for r in rows], np.int64)
    np_dtype = object if dtype == _dt.string else dtype.as_numpy_dtype
    values = np.empty(int(counts.sum()), np_dtype)
    if values.size:
        values[:] = [v for r in rows for v in r]
    positions = np.arange(values.size, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts,
                                                                   counts)
    longest = int(counts.max()) if counts.size else 0
    if single:
        return positions.reshape(-1, 1), values, np.array([longest], np.int64)
    batch = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    return (np.stack([batch, positions], axis=1), values,
            np.array([len(rows), longest], np.int64))


def _dense_output(parsed, key, dtype, dims, default, where):
    name = key.decode(errors="replace")
    want = _KIND_OF_DTYPE[dtype]
    np_dtype = object if dtype == _dt.string else dtype.as_numpy_dtype
    variable = bool(dims) and dims[0] is None
    inner = dims[1:] if variable else dims
    stride = int(np.prod(inner, dtype=np.int64))
    allowed = (0, 1) if variable else (0, stride)  # a tensor default is checked only here
    if default.size not in allowed:  # (TF also refuses some shapes of this size)
        raise InvalidArgumentError(
            None, None, f"Feature: {name}: the default value's shape "
            f"{_shape_text(default.shape)} is not compatible with the dense shape "
            f"{_shape_text(dims)}" + (" (a padding value)" if variable else ""))
    values = []
    for i, features in enumerate(parsed):
        kind, got = features.get(key, (0, []))
        if kind == 0:
            values.append(None)
            continue
        if kind != want:
            raise InvalidArgumentError(None, None, f"{where(i, name)}Data types don't match. "
                                       f"Data type: {_KIND_NAMES[kind]} but expected type: "
                                       f"{_KIND_NAMES[want]}")
        n = len(got)
        if variable and (n % stride if stride else n):
            raise InvalidArgumentError(
                None, None, f"{where(i, name)}Number of {_KIND_NAMES[want]} values is not a "
                f"multiple of stride length. Saw {n} values but output shape is: "
                f"{_shape_text(dims)}")
        if not variable and n != stride:
            raise InvalidArgumentError(
                None, None, f"{where(i, name)}Number of {_KIND_NAMES[want]} values != "
                f"expected.  Values size: {n} but output shape: {_shape_text(dims)}")
        values.append(got)
    if variable:
        # Rows of ``inner`` values, padded to the longest record with the (scalar) default.
        pad = default.reshape(-1)[0] if default.size else (b"" if np_dtype is object else 0)
        rows = [len(v) // stride if v is not None and stride else 0 for v in values]
        longest = max(rows, default=0)
        out = np.full((len(values), longest * stride), pad, dtype=np_dtype)
        for i, v in enumerate(values):
            if v is not None:
                out[i, :len(v)] = v
        return out.reshape((len(values), longest) + tuple(inner))
    out = np.empty((len(values), stride), dtype=np_dtype)
    for i, v in enumerate(values):
        if v is None:
            # An empty default marks a required feature, as in TF's kernel: a shape of size 0
            # ([0], [2, 0]) is required too, whatever default_value says (it is empty).
            if default.size == 0:
                raise InvalidArgumentError(
                    None, None, f"{where(i, index=False)}Feature: {name} (data type: "
                    f"{_KIND_NAMES[want]}) is required but could not be found.")
            v = default.reshape(-1)
        out[i] = v
    return out.reshape((len(values),) + tuple(inner))


def _refuse_ragged(ragged_value_types):
    if ragged_value_types:
        raise UnimplementedError(None, None, "ParseExampleV2: ragged features need "
                                 "RaggedTensor, which minitf does not implement")


def _parse_example_infer(serialized, names, sparse_keys, dense_keys, ragged_keys,
                         dense_defaults, *, num_sparse, sparse_types, ragged_value_types,
                         ragged_split_types, dense_shapes):
    _refuse_ragged(ragged_value_types)
    rank = serialized.shape.rank
    if rank is not None and rank > 1:
        raise shape_error(f"Shape must be at most rank 1 but is rank {rank}")
    if len(dense_defaults) != len(dense_shapes):
        raise shape_error(f"len(dense_defaults) != len(dense_shapes): "
                          f"{len(dense_defaults)} vs. {len(dense_shapes)}")
    k = dense_keys.shape.as_tuple()
    if k is not None and len(k) == 1 and k[0] is not None and k[0] != len(dense_shapes):
        raise shape_error(f"Expected len(dense_keys) == len(dense_shapes) but got: {k[0]} vs. "
                          f"{len(dense_shapes)}")
    outs = []
    for i, (d, shape) in enumerate(zip(dense_defaults, dense_shapes)):
        if d.dtype not in _FEATURE_DTYPES:
            raise shape_error(f"dense_defaults[{i}] has type {d.dtype.name}, not one of "
                              "float32, int64, string")
        dims = as_shape(shape).as_tuple()
        if dims is None or any(x is None for x in dims[1:]):
            raise shape_error(f"dense_shapes[{i}] {shape} may leave only its first dimension "
                              "unknown")
        batch = serialized.shape.as_tuple()
        outs.append(TensorSpec(None if batch is None else TensorShape(list(batch) + list(dims)),
                               d.dtype))
    if len(sparse_types) != num_sparse:
        raise shape_error(f"len(sparse_types) != num_sparse: {len(sparse_types)} vs. "
                          f"{num_sparse}")
    rank = None if rank is None else rank + 1  # of each sparse output: batch dims + position
    sparse = [[TensorSpec([None, rank], _dt.int64) for _ in sparse_types],
              [TensorSpec([None], t) for t in sparse_types],
              [TensorSpec([rank], _dt.int64) for _ in sparse_types]]
    return [spec for part in sparse for spec in part] + outs


PARSE_EXAMPLE_V2 = register(OpDef(
    "ParseExampleV2",
    inputs=["serialized:string", "names:string", "sparse_keys:string", "dense_keys:string",
            "ragged_keys:string", "dense_defaults:list(Tdense)"],
    attrs={"num_sparse": req("int"), "sparse_types": req("list(type)"),
           "ragged_value_types": req("list(type)"), "ragged_split_types": req("list(type)"),
           "dense_shapes": req("list(shape)")},
    kernel=_parse_example_kernel, infer=_parse_example_infer, grad=NOT_DIFFERENTIABLE,
    doc="dense features of serialized tf.train.Example records",
))


# TF 1.x wrote ParseExample (keys as N*string inputs) and ParseSingleExample (keys as attrs):
# both run as ParseExampleV2, so TF1-era serving graphs (tf.Example inputs) import and run.
def _v1_keys(keys) -> np.ndarray:
    out = np.empty(len(keys), dtype=object)
    out[:] = [np.asarray(k, dtype=object)[()] if not isinstance(k, (str, bytes)) else k
              for k in keys]
    return out


def _string_vector(n):
    return TensorSpec(TensorShape([n]), _dt.string)


def _parse_example_v1_kernel(serialized, names, sparse_keys, dense_keys, dense_defaults, *,
                             sparse_types, dense_shapes):
    return _parse_example_kernel(
        serialized, names, _v1_keys(sparse_keys), _v1_keys(dense_keys), None, dense_defaults,
        num_sparse=len(sparse_keys), sparse_types=sparse_types, ragged_value_types=[],
        ragged_split_types=[], dense_shapes=dense_shapes)


def _parse_example_v1_infer(serialized, names, sparse_keys, dense_keys, dense_defaults, *,
                            sparse_types, dense_shapes):
    if serialized.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {serialized.shape.rank}")
    return _parse_example_infer(
        serialized, names, None, _string_vector(len(dense_keys)), None, dense_defaults,
        num_sparse=len(sparse_keys), sparse_types=sparse_types, ragged_value_types=[],
        ragged_split_types=[], dense_shapes=dense_shapes)


PARSE_EXAMPLE = register(OpDef(
    "ParseExample",
    inputs=["serialized:string", "names:string", "sparse_keys:Nsparse*string",
            "dense_keys:Ndense*string", "dense_defaults:list(Tdense)"],
    attrs={"sparse_types": req("list(type)"), "dense_shapes": req("list(shape)")},
    kernel=_parse_example_v1_kernel, infer=_parse_example_v1_infer, grad=NOT_DIFFERENTIABLE,
    doc="TF 1.x's ParseExample: ParseExampleV2 with the keys as separate scalar inputs",
))


def _parse_single_kernel(serialized, dense_defaults, *, num_sparse, sparse_keys, dense_keys,
                         sparse_types, dense_shapes):
    return _parse_example_kernel(
        serialized, np.zeros([0], object), _v1_keys([k.encode() for k in sparse_keys]),
        _v1_keys([k.encode() for k in dense_keys]),
        None, dense_defaults, num_sparse=num_sparse, sparse_types=sparse_types,
        ragged_value_types=[], ragged_split_types=[], dense_shapes=dense_shapes)


def _parse_single_infer(serialized, dense_defaults, *, num_sparse, sparse_keys, dense_keys,
                        sparse_types, dense_shapes):
    if serialized.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {serialized.shape.rank}")
    if len(dense_keys) != len(dense_shapes):
        raise shape_error(f"len(dense_keys) != len(dense_shapes): {len(dense_keys)} vs. "
                          f"{len(dense_shapes)}")
    return _parse_example_infer(
        serialized, None, None, _string_vector(len(dense_keys)), None, dense_defaults,
        num_sparse=num_sparse, sparse_types=sparse_types, ragged_value_types=[],
        ragged_split_types=[], dense_shapes=dense_shapes)


PARSE_SINGLE_EXAMPLE = register(OpDef(
    "ParseSingleExample", inputs=["serialized:string", "dense_defaults:list(Tdense)"],
    attrs={"num_sparse": req("int"), "sparse_keys": req("list(string)"),
           "dense_keys": req("list(string)"), "sparse_types": req("list(type)"),
           "dense_shapes": req("list(shape)")},
    kernel=_parse_single_kernel, infer=_parse_single_infer, grad=NOT_DIFFERENTIABLE,
    doc="TF 1.x's ParseSingleExample: ParseExampleV2 of one record, keys as attrs",
))
