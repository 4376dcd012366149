"""SparseFeatureCross and SparseFeatureCrossV2 (TF 1.x's contrib/layers kernels): per row, every
combination of one feature of each input, sparse inputs first and the last input varying
fastest, either joined with '_X_' or hashed. Their wrapper is
``tf.contrib.layers.sparse_feature_cross`` (core/contrib/layers/feature_column.py), used by the
contrib ``crossed_column``.

TensorFlow 2 dropped both ops, so the kernels follow TF 1.15's C++ ones. Hashed, a feature is
the Fingerprint64 of a string or an int64 as it is. V2 chains them with FingerprintCat64 from
``hash_key`` (core SparseCross's hash); the first version, which contrib's crossed_column uses
when no hash_key is given, chains them with a Boost-style HashCombine from 0xDECAFCAFFE, in
int64 arithmetic, so its ids differ from core's. Either way the result is taken modulo
``num_buckets`` as an unsigned number (modulo 2^63 - 1 without buckets). Not differentiable.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from .feature_ops import cross_product_ids, fingerprint_cat64

__all__: list[str] = []  # reached through tf.contrib.layers.sparse_feature_cross

_M64 = (1 << 64) - 1
_V1_SEED = 0xDECAFCAFFE
_GOLDEN = 0x9E3779B97F4A7800  # HashCombine's additive constant


def hash_combine(a: int, b: int) -> int:
    """TF 1.x's HashCombine on 64-bit values: ``a ^ (b + K + (a << 10) + (a >> 4))`` with
    ``a`` read as a signed int64 for the shifts (the right shift is arithmetic), mod 2^64."""
    signed = a - (1 << 64) if a >> 63 else a
    mixed = (b + _GOLDEN + (signed << 10) + (signed >> 4)) & _M64
    return (a ^ mixed) & _M64


def _invalid(op: str, message: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, None, f"{op}: {message}")


def _columns(op, indices, values, shapes, dense):
    """Each input's features per row, and the batch size (the first input's)."""
    batch = int(np.asarray(shapes[0]).reshape(-1)[0]) if len(shapes) else \
        (np.shape(dense[0])[0] if len(dense) else 0)
    columns = []
    for k, (i, v, s) in enumerate(zip(indices, values, shapes)):
        i, v, s = np.asarray(i, np.int64), np.asarray(v).reshape(-1), np.asarray(s).reshape(-1)
        if i.ndim != 2 or i.shape[1] != 2:
            raise _invalid(op, f"sparse input {k}'s indices must be a [N, 2] matrix, got shape "
                               f"{list(i.shape)}")
        if i.shape[0] != v.shape[0]:
            raise _invalid(op, f"sparse input {k} has {i.shape[0]} indices but {v.shape[0]} "
                               f"values")
        if s.shape != (2,):
            raise _invalid(op, f"sparse input {k}'s shape must imply a 2-D tensor, got "
                               f"{s.tolist()}")
        if s[0] != batch:
            raise _invalid(op, f"expected batch size {batch}, got {s[0]} at sparse input {k}")
        counts = np.bincount(i[:, 0], minlength=batch)[:batch] if len(i) else \
            np.zeros(batch, np.int64)
        starts = np.concatenate([[0], np.cumsum(counts)])
        columns.append([v[starts[b]:starts[b + 1]] for b in range(batch)])
    for k, d in enumerate(dense):
        d = np.asarray(d)
        if d.ndim != 2:
            raise _invalid(op, f"dense input {k} must be a matrix, got shape {list(d.shape)}")
        if d.shape[0] != batch:
            raise _invalid(op, f"expected batch size {batch}, got {d.shape[0]} at dense "
                               f"input {k}")
        columns.append(list(d))
    return columns, batch


def _kernel(op, chain):
    def kernel(indices, values, shapes, dense, *, hashed_output, num_buckets, out_type,
               internal_type, hash_key=None):
        columns, batch = _columns(op, indices, values, shapes, dense)
        seed = _V1_SEED if hash_key is None else hash_key & _M64
        return cross_product_ids(columns, batch, hashed_output, num_buckets, seed, chain)
    return kernel


def _infer(op):
    def infer(indices, values, shapes, dense, *, hashed_output, num_buckets, out_type,
              internal_type, hash_key=None):
        for v in list(values) + list(dense):
            if v.dtype not in (_dt.int64, _dt.string):
                raise shape_error(f"{op}: inputs must be int64 or string, got {v.dtype.name}")
        for d in dense:
            if d.shape.rank not in (None, 2):
                raise shape_error(f"{op}: dense inputs must be matrices, got {d.shape}")
        if num_buckets < 0:
            raise shape_error(f"{op}: num_buckets must be >= 0, got {num_buckets}")
        want = _dt.int64 if hashed_output else _dt.string
        if out_type != want:
            raise shape_error(f"{op}: out_type must be {want.name} when hashed_output is "
                              f"{hashed_output}, got {out_type.name}")
        return [TensorSpec([None, 2], _dt.int64), TensorSpec([None], out_type),
                TensorSpec([2], _dt.int64)]
    return infer


_INPUTS = ["indices:N*int64", "values:list(sparse_types)", "shapes:N*int64",
           "dense:list(dense_types)"]
_ATTRS = {"hashed_output": req("bool"), "num_buckets": req("int"), "out_type": req("type"),
          "internal_type": req("type")}

SPARSE_FEATURE_CROSS = register(OpDef(
    "SparseFeatureCross", inputs=_INPUTS, attrs=_ATTRS,
    kernel=_kernel("SparseFeatureCross", hash_combine), infer=_infer("SparseFeatureCross"),
    grad=NOT_DIFFERENTIABLE,
    doc="Per row, every combination of one feature of each input (sparse inputs first): "
        "fingerprints chained with HashCombine from 0xDECAFCAFFE, modulo num_buckets, or the "
        "features joined with '_X_'.",
))

SPARSE_FEATURE_CROSS_V2 = register(OpDef(
    "SparseFeatureCrossV2", inputs=_INPUTS, attrs={**_ATTRS, "hash_key": req("int")},
    kernel=_kernel("SparseFeatureCrossV2", fingerprint_cat64),
    infer=_infer("SparseFeatureCrossV2"), grad=NOT_DIFFERENTIABLE,
    doc="SparseFeatureCross with the fingerprints chained by FingerprintCat64 from hash_key.",
))
