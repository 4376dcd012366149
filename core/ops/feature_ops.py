"""The ops feature columns need beyond the rest: Bucketize (a value's bucket among sorted
boundaries) and SparseCross (the hashed or joined cross product of features, row by row), with
TensorFlow's semantics and hashes, so bucketized and crossed columns give TF's ids. Neither is
differentiable, as in TF. Used by core/feature_column/."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from .farmhash import fingerprint64

__all__: list[str] = []  # reached through tf.feature_column

_M64 = (1 << 64) - 1
_K_MUL = 0xC6A4A7935BD1E995  # FingerprintCat64's multiplier (MurmurHash2's)
_INT64_MAX = (1 << 63) - 1


# -- Bucketize ------------------------------------------------------------------------------------
def _bucketize_kernel(input, *, boundaries):  # noqa: A002 - TF's argument name
    x = np.asarray(input)
    # TF keeps the boundaries as float32 and compares each value with them in C++: a double
    # against the widened floats, anything else converted to float32.
    edges = np.asarray(boundaries, np.float32)
    if x.dtype == np.float64:
        edges = edges.astype(np.float64)
    else:
        x = x.astype(np.float32)
    return np.searchsorted(edges, x, side="right").astype(np.int32)


def _bucketize_infer(x, *, boundaries):
    if list(boundaries) != sorted(boundaries):
        raise shape_error(f"Bucketize: expected sorted boundaries, got {list(boundaries)}")
    return [TensorSpec(x.shape, _dt.int32)]


BUCKETIZE = register(OpDef(
    "Bucketize", inputs=["input:T"], attrs={"boundaries": req("list(float)")},
    kernel=_bucketize_kernel, infer=_bucketize_infer, grad=NOT_DIFFERENTIABLE,
    doc="Each value's bucket: how many boundaries are <= it.",
))


# -- SparseCross ----------------------------------------------------------------------------------
def fingerprint_cat64(fp1: int, fp2: int) -> int:
    """FarmHash-style combination of two 64-bit fingerprints (TF's FingerprintCat64)."""
    def shift_mix(v):
        return v ^ (v >> 47)

    result = fp1 ^ _K_MUL
    result ^= (shift_mix((fp2 * _K_MUL) & _M64) * _K_MUL) & _M64
    result = (result * _K_MUL) & _M64
    result = (shift_mix(result) * _K_MUL) & _M64
    return shift_mix(result)


def _rows_of_sparse(indices, values, shape, where):
    """Each row's values, in entry order (rows contiguous, as TF reads them)."""
    indices = np.asarray(indices, np.int64).reshape(-1, 2) if np.size(indices) else \
        np.zeros((0, 2), np.int64)
    values = np.asarray(values).reshape(-1)
    shape = np.asarray(shape, np.int64).reshape(-1)
    if shape.size != 2 or indices.shape[0] != values.shape[0]:
        raise InvalidArgumentError(None, None, f"SparseCross: {where} must be a rank-2 "
                                   f"SparseTensor (indices {list(indices.shape)}, values "
                                   f"{list(values.shape)}, dense_shape {shape.tolist()})")
    batch = int(shape[0])
    counts = np.bincount(indices[:, 0], minlength=batch) if len(indices) else \
        np.zeros(batch, np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)])
    return batch, [values[starts[b]:starts[b + 1]] for b in range(batch)]


def _feature(v, hashed: bool):
    if isinstance(v, (bytes, str)):
        raw = v if isinstance(v, bytes) else v.encode()
        return fingerprint64(raw) if hashed else raw
    return int(v) & _M64 if hashed else str(int(v)).encode()


def _cross_kernel(indices, values, shapes, dense_inputs, *, hashed_output, num_buckets,
                  hash_key, out_type, internal_type):
    columns, batch = [], None
    for k, (i, v, s) in enumerate(zip(indices, values, shapes)):
        n, rows = _rows_of_sparse(i, v, s, f"sparse input {k}")
        columns.append(rows)
        batch = n if batch is None else batch
        if n != batch:
            raise InvalidArgumentError(None, None, f"SparseCross: expected batch size "
                                       f"{batch}, got {n} for sparse input {k}")
    for k, d in enumerate(dense_inputs):
        d = np.asarray(d)
        if d.ndim != 2:
            raise InvalidArgumentError(None, None, f"SparseCross: dense input {k} must be a "
                                       f"matrix, got shape {list(d.shape)}")
        batch = d.shape[0] if batch is None else batch
        if d.shape[0] != batch:
            raise InvalidArgumentError(None, None, f"SparseCross: expected batch size "
                                       f"{batch}, got {d.shape[0]} for dense input {k}")
        columns.append(list(d))
    return cross_product_ids(columns, batch or 0, hashed_output, num_buckets, hash_key & _M64,
                             fingerprint_cat64)


def cross_product_ids(columns, batch, hashed_output, num_buckets, seed, chain):
    """SparseCross's (and contrib SparseFeatureCross's) output triple: per row of
    ``columns`` (each a list of per-row features), every combination of one feature of each
    column, the last varying fastest as TF's product iterator; hashed by ``chain`` from
    ``seed`` and taken modulo num_buckets (2^63 - 1 without), or joined with '_X_'."""
    out_idx, out_vals, widest = [], [], 0
    for b in range(batch):
        feats = [[_feature(v, hashed_output) for v in col[b]] for col in columns]
        crosses = [[]] if feats and all(feats) else []
        for col in feats:
            crosses = [c + [f] for c in crosses for f in col]
        for n, cross in enumerate(crosses):
            if hashed_output:
                h = seed
                for f in cross:
                    h = chain(h, f)
                value = h % num_buckets if num_buckets > 0 else h % _INT64_MAX
            else:
                value = b"_X_".join(cross)
            out_idx.append((b, n))
            out_vals.append(value)
        widest = max(widest, len(crosses))
    idx = np.array(out_idx, np.int64).reshape(-1, 2)
    vals = np.array(out_vals, np.int64) if hashed_output else \
        np.array(out_vals + [b""], object)[:-1]  # keeps bytes objects, not a numpy "S" array
    return [idx, vals, np.array([batch, widest], np.int64)]


def _cross_infer(indices, values, shapes, dense_inputs, *, hashed_output, num_buckets,
                 hash_key, out_type, internal_type):
    for v in list(values) + list(dense_inputs):
        if v.dtype not in (_dt.int64, _dt.string):
            raise shape_error(f"SparseCross: inputs must be int64 or string, got "
                              f"{v.dtype.name}")
    for d in dense_inputs:
        if d.shape.rank not in (None, 2):
            raise shape_error(f"SparseCross: dense inputs must be matrices, got {d.shape}")
    want = _dt.int64 if hashed_output else _dt.string
    if out_type != want:
        raise shape_error(f"SparseCross: out_type must be {want.name} when hashed_output is "
                          f"{hashed_output}, got {out_type.name}")
    return [TensorSpec([None, 2], _dt.int64), TensorSpec([None], out_type),
            TensorSpec([2], _dt.int64)]


SPARSE_CROSS = register(OpDef(
    "SparseCross", inputs=["indices:N*int64", "values:list(sparse_types)", "shapes:N*int64",
                           "dense_inputs:list(dense_types)"],
    attrs={"hashed_output": req("bool"), "num_buckets": req("int"), "hash_key": req("int"),
           "out_type": req("type"), "internal_type": req("type")},
    kernel=_cross_kernel, infer=_cross_infer, grad=NOT_DIFFERENTIABLE,
    doc="Per row, every combination of one feature of each input (sparse inputs first): "
        "fingerprints chained with FingerprintCat64 from hash_key, modulo num_buckets, or the "
        "features joined with '_X_'.",
))
