"""RaggedGather (rows of a ragged tensor gathered by dense indices) and RaggedCross
(``tf.ragged.cross`` / ``cross_hashed``): TF's raw ops.

TF's Python writes ``tf.gather`` on a RaggedTensor, ``tf.ragged.stack`` and ``tf.concat`` of
ragged tensors along axis 1 as a RaggedGather node, so exported text preprocessing (the BERT-style
``[CLS] + tf.strings.split(s) + [SEP]``) holds it. The kernel follows TF's
ragged_gather_op.cc: the same checks in the same order, with its messages, and TF's lenient
reading of params' splits (they need not start at 0, only be non-negative, sorted and within
what they split). Where TF's kernel reads past an inner splits vector (the last outer split
equal to its length), minitf refuses it with the same message instead.

The gradient is TF's Python rule (ragged_gather_ops.py registers one; C++ has none): an
IndexedSlices of the output values' gradient at the flat positions each gathered row covers.

RaggedCross is SparseCross's product for ragged, sparse and dense rank-2 inputs read in
``input_order``; it reuses SparseCross's feature hashing (core/ops/feature_ops.py: Fingerprint64
of strings, FingerprintCat64 chaining) and checks its inputs as TF's ragged_cross_op.cc, with
its messages. Not differentiable (integer and string outputs).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape
from .segment_ops import _index_str

__all__: list[str] = []  # no tf.<name>: tf.gather / tf.ragged reach the op


def _ranges(starts: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """The concatenation of ``range(starts[i], limits[i])`` (limits >= starts), as int64."""
    lengths = (limits - starts).astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts.astype(np.int64), lengths) + np.arange(total) - offsets


def _check_indices(indices: np.ndarray, num_params: int):
    """TF's ValidateIndices: the first index (row-major) outside [0, num_params)."""
    flat = indices.reshape(-1)
    bad = np.flatnonzero((flat < 0) | (flat >= num_params))
    if bad.size:
        i = int(bad[0])
        pos = np.unravel_index(i, indices.shape) if indices.ndim else ()
        raise InvalidArgumentError(None, None, f"{_index_str('indices', [int(p) for p in pos])}"
                                   f" = {flat[i]} is not in [0, {num_params})")


def _check_splits(splits: list, num_values: int):
    """TF's ValidateSplits, in its order. An outer level's last split must also be a row of
    the level it splits (TF checks it against that splits vector's length, one too many)."""
    for dim, s in enumerate(splits):
        limit = len(splits[dim + 1]) - 1 if dim + 1 < len(splits) else num_values
        if s.size == 0:
            raise InvalidArgumentError(None, None, "Ragged splits may not be empty")
        if s[0] < 0:
            raise InvalidArgumentError(None, None, "Ragged splits must be non-negative")
        if s[-1] > limit:
            raise InvalidArgumentError(None, None, "Ragged splits must not point past values")
        if np.any(np.diff(s) < 0):
            raise InvalidArgumentError(None, None, "Ragged splits must be sorted")


def _ragged_gather_kernel(params_nested_splits, params_dense_values, indices, *,
                          OUTPUT_RAGGED_RANK):  # noqa: N803 - TF's attr name
    splits = [np.asarray(s).reshape(-1) for s in params_nested_splits]
    splits_dtype = splits[0].dtype
    splits = [s.astype(np.int64) for s in splits]
    values, indices = np.asarray(params_dense_values), np.asarray(indices)
    if indices.ndim != OUTPUT_RAGGED_RANK - len(splits) + 1:
        # Inference checks it when the rank is known; TF's kernel assumes it (and crashes).
        raise InvalidArgumentError(None, None, f"Shape must be rank "
                                   f"{OUTPUT_RAGGED_RANK - len(splits) + 1} but is rank "
                                   f"{indices.ndim}")
    _check_indices(indices, len(splits[0]) - 1)
    if values.ndim == 0:
        raise InvalidArgumentError(None, None, "params.rank must be nonzero")
    _check_splits(splits, len(values))

    out = []
    # The outer dims of indices are uniform: splits [0, n, 2n, ...] for each but the last.
    rows = 1
    for dim in range(indices.ndim - 1):
        rows *= indices.shape[dim]
        out.append(np.arange(rows + 1, dtype=np.int64) * indices.shape[dim + 1])
    # Then each ragged level of params: the rows at [start, limit) for each index, in turn.
    start = indices.reshape(-1).astype(np.int64)
    limit = start + 1
    for dim, s in enumerate(splits):
        if dim + indices.ndim - 1 >= 0:  # a scalar index drops params' outermost level
            pos = _ranges(start, limit)
            out.append(np.concatenate([[0], np.cumsum(s[pos + 1] - s[pos])]).astype(np.int64))
        start, limit = s[start], s[limit]
    values_out = values[_ranges(start, limit)]
    if not out:  # one output: the executor takes a one-output kernel's result as it is
        return values_out
    return [o.astype(splits_dtype) for o in out] + [values_out]


def _ragged_gather_infer(params_nested_splits, params_dense_values, indices, *,
                         OUTPUT_RAGGED_RANK):  # noqa: N803
    if OUTPUT_RAGGED_RANK < 0:
        raise shape_error(f"Attr 'OUTPUT_RAGGED_RANK' of 'RaggedGather' Op passed "
                          f"{OUTPUT_RAGGED_RANK} less than minimum 0.")
    if not params_nested_splits:
        raise shape_error("Attr 'PARAMS_RAGGED_RANK' of 'RaggedGather' Op passed 0 less than "
                          "minimum 1.")
    # (The dtypes of indices and splits are TF's OpDef lists, checked when the op is built.)
    want = OUTPUT_RAGGED_RANK - len(params_nested_splits) + 1
    if want < 0 or indices.shape.rank not in (None, want):
        raise shape_error(f"Shape must be rank {want} but is rank {indices.shape.rank}")
    for s in params_nested_splits:
        if s.shape.rank not in (None, 1):
            raise shape_error(f"Shape must be rank 1 but is rank {s.shape.rank}")
    vals = params_dense_values.shape
    if vals.rank == 0:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    values = TensorShape(None) if vals.rank is None else TensorShape([None]).concatenate(vals[1:])
    return ([TensorSpec([None], params_nested_splits[0].dtype)] * OUTPUT_RAGGED_RANK +
            [TensorSpec(values, params_dense_values.dtype)])


def _ragged_gather_grad(op, *grads):
    """TF's rule: output value k came from the flat position ``grad_indices[k]`` of params'
    values, the positions of each gathered row in turn (a RaggedRange over the rows' value
    bounds, found by composing the nested splits)."""
    from ..indexed_slices import IndexedSlices
    from ..ragged_ops import RAGGED_RANGE
    from . import array_ops
    from .gather_ops import gather

    *nested_splits, values, indices = op.inputs
    combined = nested_splits[0]
    for s in nested_splits[1:]:
        combined = gather(s, combined)
    flat = array_ops.reshape(indices, [-1])
    _, positions = RAGGED_RANGE(gather(combined, flat), gather(combined[1:], flat),
                                array_ops.constant(1, dtype=combined.dtype),
                                Tsplits=combined.dtype)
    d_values = IndexedSlices(grads[-1], positions, array_ops.shape(values))
    return [None] * len(nested_splits) + [d_values._with_static_shape(values.shape), None]


RAGGED_GATHER = register(OpDef(
    "RaggedGather",
    inputs=["params_nested_splits:PARAMS_RAGGED_RANK*Tsplits=int64",
            "params_dense_values:Tvalues", "indices:Tindices=int32"],
    attrs={"OUTPUT_RAGGED_RANK": req("int")},
    kernel=_ragged_gather_kernel, infer=_ragged_gather_infer, grad=_ragged_gather_grad,
    doc="Rows of a ragged tensor (nested splits + values) at dense indices: "
        "output[i...j] = params[indices[i...j]], with ragged rank indices.rank - 1 + "
        "params' ragged rank.",
))


# -- RaggedCross ----------------------------------------------------------------------------------
_INT64_MAX = (1 << 63) - 1


def _verify_splits(splits: np.ndarray, num_values: int):
    """TF's RaggedTensorVerifySplits (ragged_utils.h), with its messages."""
    if splits.size == 0:
        raise InvalidArgumentError(None, None, "Invalid ragged splits: ragged splits must have "
                                   "at least one splits, but is empty")
    if splits[0] != 0:
        raise InvalidArgumentError(None, None, f"Invalid ragged splits: first element of ragged "
                                   f"splits  must be 0 but is {splits[0]}")
    drop = np.flatnonzero(np.diff(splits) < 0)
    if drop.size:
        i = int(drop[0]) + 1
        raise InvalidArgumentError(None, None, f"Invalid ragged splits: ragged splits must be "
                                   f"monotonically increasing, but ragged_splits[{i}]="
                                   f"{splits[i]} is smaller than row_splits[{i - 1}]="
                                   f"{splits[i - 1]}")
    if splits[-1] != num_values:
        raise InvalidArgumentError(None, None, f"Invalid ragged splits: last element of ragged "
                                   f"splits must be the number of ragged values({num_values}) "
                                   f"but is {splits[-1]}")


def _cross_inputs(ragged_values, ragged_splits, sparse_indices, sparse_values, sparse_shape,
                  dense_inputs, input_order):
    """TF's ValidateInput, then each input (in input_order) as (row splits, flat values)."""
    def invalid(message):
        return InvalidArgumentError(None, None, message)

    rank2 = "tf.ragged.cross only supports inputs with rank=2."
    if len(ragged_values) != len(ragged_splits):
        raise invalid("ragged values and splits must have the same length")
    if len(ragged_values) + len(sparse_values) + len(dense_inputs) != len(input_order):
        raise invalid("Invalid length for input_order")
    ragged_values = [np.asarray(v) for v in ragged_values]
    ragged_splits = [np.asarray(s).astype(np.int64) for s in ragged_splits]
    for v, s in zip(ragged_values, ragged_splits):
        if v.ndim != 1 or s.ndim != 1:
            raise invalid(rank2)
        _verify_splits(s, v.size)
    sparse = [(np.asarray(i), np.asarray(v), np.asarray(s))
              for i, v, s in zip(sparse_indices, sparse_values, sparse_shape)]
    for k, (i, v, s) in enumerate(sparse):
        if i.ndim != 2 or v.ndim != 1 or s.ndim != 1:
            raise invalid(f"Invalid SparseTensor {k}")
        if s.size != 2:
            raise invalid(rank2)
    dense = [np.asarray(d) for d in dense_inputs]
    if any(d.ndim != 2 for d in dense):
        raise invalid(rank2)
    batch = (len(ragged_splits[0]) - 1 if ragged_splits else dense[0].shape[0] if dense else
             int(sparse[0][2][0]) if sparse else 0)
    sizes = [len(s) - 1 for s in ragged_splits] + [int(s[0]) for _, _, s in sparse] + \
        [d.shape[0] for d in dense]
    if any(n != batch for n in sizes):
        raise invalid("inputs must all have the same batch dimension size.")
    lists = {"R": [(s, v) for s, v in zip(ragged_splits, ragged_values)],
             "S": [(_sparse_splits(i, batch), v) for i, v, _ in sparse],
             "D": [(np.arange(batch + 1) * d.shape[1], d.reshape(-1)) for d in dense]}
    names = {"R": "a ragged tensor value", "S": "a sparse tensor value", "D": "a dense tensor"}
    taken, features = {"R": 0, "S": 0, "D": 0}, []
    for c in input_order:
        if c not in lists:
            raise invalid("Unexpected input_order value.")
        if taken[c] >= len(lists[c]):
            what = "tensors" if c == "D" else "values"
            raise invalid(f'input_order "{input_order}" specifies reading {names[c]} at index '
                          f'{taken[c]} from a list of {len(lists[c])} {what}.')
        features.append(lists[c][taken[c]])
        taken[c] += 1
    return batch, features


def _sparse_splits(indices, batch):
    """TF's SparseFeatureReader: row r ends at the first entry (from where row r - 1 ended)
    whose row index is past r, so its values must come in row order."""
    rows = indices[:, 0] if len(indices) else np.zeros(0, np.int64)
    ends = np.searchsorted(np.maximum.accumulate(rows), np.arange(batch), side="right")
    return np.concatenate([[0], ends]).astype(np.int64)


def _ragged_cross_kernel(ragged_values, ragged_row_splits, sparse_indices, sparse_values,
                         sparse_shape, dense_inputs, *, input_order, hashed_output, num_buckets,
                         hash_key, out_values_type, out_row_splits_type):
    from .feature_ops import _M64, _feature, fingerprint_cat64

    batch, features = _cross_inputs(ragged_values, ragged_row_splits, sparse_indices,
                                    sparse_values, sparse_shape, dense_inputs, input_order)
    hashed = out_values_type == _dt.int64  # TF's writer goes by the output dtype
    values, splits = [], [0]
    for b in range(batch):
        crosses = [[]]
        for s, v in features:  # the last feature varies fastest
            row = [_feature(x, hashed) for x in v[s[b]:s[b + 1]]]
            crosses = [c + [f] for c in crosses for f in row]
        for cross in crosses:
            if hashed:
                h = hash_key & _M64
                for f in cross:
                    h = fingerprint_cat64(h, f)
                values.append(h % num_buckets if num_buckets > 0 else h % _INT64_MAX)
            else:
                values.append(b"_X_".join(cross))
        splits.append(len(values))
    out = np.array(values, np.int64) if hashed else np.array(values + [b""], object)[:-1]
    return out, np.array(splits, out_row_splits_type.as_numpy_dtype)


def _ragged_cross_infer(ragged_values, ragged_row_splits, sparse_indices, sparse_values,
                        sparse_shape, dense_inputs, *, input_order, hashed_output, num_buckets,
                        hash_key, out_values_type, out_row_splits_type):
    if len(ragged_values) != len(ragged_row_splits):
        raise shape_error("Parameters `values` and `row_splits` must be the same length")
    if num_buckets < 0:
        raise shape_error(f"Attr 'num_buckets' of 'RaggedCross' Op passed {num_buckets} less "
                          f"than minimum 0.")
    for attr, dtype, allowed in (("out_values_type", out_values_type, ("int64", "string")),
                                 ("out_row_splits_type", out_row_splits_type,
                                  ("int32", "int64"))):
        if dtype.name not in allowed:
            raise TypeError(f"Value for attr '{attr}' of {dtype.name} is not in the list of "
                            f"allowed values: {', '.join(allowed)}")
    rows = None  # the batch size + 1, merged from the ragged splits and dense inputs

    def merge(n):
        nonlocal rows
        if n is not None and rows is not None and n != rows:
            raise shape_error("inputs must all have the same batch dimension size.")
        rows = rows if n is None else n

    for s in ragged_row_splits:
        if s.shape.rank not in (None, 1):
            raise shape_error(f"Shape must be rank 1 but is rank {s.shape.rank}")
        merge(s.shape[0].value if s.shape.rank == 1 else None)
    for d in dense_inputs:
        if d.shape.rank is not None and d.shape.rank > 0 and d.shape[0].value is not None:
            merge(d.shape[0].value + 1)
    return [TensorSpec([None], out_values_type), TensorSpec([rows], out_row_splits_type)]


RAGGED_CROSS = register(OpDef(
    "RaggedCross",
    inputs=["ragged_values:list(ragged_values_types)",
            "ragged_row_splits:list(ragged_splits_types)", "sparse_indices:Nsparse*int64",
            "sparse_values:list(sparse_values_types)", "sparse_shape:Nsparse*int64",
            "dense_inputs:list(dense_types)"],
    attrs={"input_order": req("string"), "hashed_output": req("bool"),
           "num_buckets": req("int"), "hash_key": req("int"), "out_values_type": req("type"),
           "out_row_splits_type": req("type")},
    kernel=_ragged_cross_kernel, infer=_ragged_cross_infer, grad=NOT_DIFFERENTIABLE,
    doc="Per row, every combination of one feature of each input (in input_order: R ragged, "
        "S sparse, D dense): fingerprints chained with FingerprintCat64 from hash_key, modulo "
        "num_buckets, or the features joined with '_X_'.",
))
