"""More of ``tf.sparse`` (TF1's compat.v1 names): ``maximum``, ``minimum``, ``split``,
``reduce_max_sparse``, ``reduce_sum_sparse``, ``reset_shape`` and ``mask`` over the ops and
functions of core/ops/sparse_extra_ops.py; ``expand_dims`` and ``eye``, composed as TF composes
them; ``cross`` (SparseCrossV2) and ``cross_hashed`` (SparseCross, the op feature columns use,
so the ids are TF's)."""

from __future__ import annotations

from . import dtypes as _dt
from .graph import Tensor, control_dependencies, convert_to_tensor, name_scope
from .ops import array_ops, logic_ops, math_ops
from .ops.concat_split_ops import concat, stack
from .ops.feature_ops import SPARSE_CROSS
from .ops.slicing_ops import slice_
from .ops.sparse_count_ops import DENSE_COUNT_SPARSE_OUTPUT, SPARSE_COUNT_SPARSE_OUTPUT
from .ops.sparse_extra_ops import SPARSE_CROSS_V2
from .ops.sparse_extra_ops import sparse_mask as mask
from .ops.sparse_extra_ops import sparse_maximum as maximum
from .ops.sparse_extra_ops import sparse_minimum as minimum
from .ops.sparse_extra_ops import sparse_reduce_max_sparse as reduce_max_sparse
from .ops.sparse_extra_ops import sparse_reduce_sum_sparse as reduce_sum_sparse
from .ops.sparse_extra_ops import sparse_reset_shape as reset_shape
from .ops.sparse_extra_ops import sparse_split as split
from .sparse_tensor import SparseTensor, convert_to_sparse

__all__ = ["bincount", "cross", "cross_hashed", "expand_dims", "eye", "mask", "maximum", "minimum",
           "reduce_max_sparse", "reduce_sum_sparse", "reset_shape", "split"]

_DEFAULT_HASH_KEY = 0xDECAFCAFFE  # TF's key when cross_hashed is given none


def expand_dims(sp_input, axis=None, name=None):
    """The SparseTensor with a dim of size 1 inserted at ``axis`` (-1, the innermost, by
    default; ``-rank - 1 <= axis <= rank``)."""
    sp = convert_to_sparse(sp_input)
    rank = sp.dense_shape.shape[0].value if sp.dense_shape.shape.rank == 1 else None
    if rank is None:
        rank = array_ops.shape(sp.dense_shape)[0]
    axis = -1 if axis is None else axis
    with name_scope(name, "expand_dims", [sp.values]):
        if isinstance(axis, int) and not isinstance(axis, bool):
            axis = convert_to_tensor(axis, name="axis", dtype=_dt.int32)
        elif not isinstance(axis, Tensor):
            raise TypeError("axis must be an integer value in range [-rank(sp_input) - 1, "
                            "rank(sp_input)]")
        axis = logic_ops.where_v2(axis >= 0, axis, axis + rank + 1)
        # The indices get a column of zeros at axis; the dense shape a 1 there.
        count = array_ops.shape(sp.indices)[0]
        new_index = array_ops.zeros(stack([count, 1]), _dt.int64)
        indices = concat([slice_(sp.indices, [0, 0], stack([-1, axis])), new_index,
                          slice_(sp.indices, stack([0, axis]), [-1, -1])], axis=1)
        new_shape = convert_to_tensor([1], name="new_shape", dtype=_dt.int64)
        shape = concat([slice_(sp.dense_shape, [0], stack([axis])), new_shape,
                        slice_(sp.dense_shape, stack([axis]), [-1])], axis=0)
        return SparseTensor(indices, sp.values, shape)


def _int64_tensor(value, name):
    """TF's _make_int64_tensor: a Python int, or an integer tensor cast to int64."""
    if isinstance(value, int) and not isinstance(value, bool):
        return convert_to_tensor(value, name=name, dtype=_dt.int64)
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be an integer value")
    return value if value.dtype == _dt.int64 else math_ops.cast(value, _dt.int64)


def eye(num_rows, num_columns=None, dtype=_dt.float32, name=None):
    """The [num_rows, num_columns] SparseTensor of ones on the diagonal."""
    with name_scope(name, "eye", [num_rows, num_columns]):
        num_rows = _int64_tensor(num_rows, "num_rows")
        num_columns = num_rows if num_columns is None else \
            _int64_tensor(num_columns, "num_columns")
        diag_size = math_ops.minimum(num_rows, num_columns)
        diag_range = array_ops.range_(diag_size, dtype=_dt.int64)
        return SparseTensor(stack([diag_range, diag_range], axis=1),
                            array_ops.ones(diag_size, dtype=_dt.as_dtype(dtype)),
                            stack([num_rows, num_columns]))


def _cross_inputs(inputs, what):
    """(indices, values, shapes, dense inputs) of the crossed features; non-string values
    cast to int64, as TF casts them."""
    if not isinstance(inputs, (tuple, list)):
        raise TypeError("Inputs must be a list")
    if not all(isinstance(i, (SparseTensor, Tensor)) for i in inputs):
        raise TypeError(f"All inputs must be {what}")
    sparse = [i for i in inputs if isinstance(i, SparseTensor)]
    dense = [i for i in inputs if not isinstance(i, SparseTensor)]

    def as_feature(t):
        return t if t.dtype in (_dt.string, _dt.int64) else math_ops.cast(t, _dt.int64)
    return ([sp.indices for sp in sparse], [as_feature(sp.values) for sp in sparse],
            [sp.dense_shape for sp in sparse], [as_feature(t) for t in dense])


def cross(inputs, name=None, separator=None):
    """The sparse cross of a list of SparseTensors and dense [batch, n] tensors: per row, every
    combination of one feature of each (sparse inputs first), joined with ``separator``
    ("_X_")."""
    sep = convert_to_tensor("_X_" if separator is None else separator, _dt.string)
    indices, values, shapes, dense = _cross_inputs(inputs, "Tensor or SparseTensor.")
    out = SPARSE_CROSS_V2(indices, values, shapes, dense, sep, name=name or "SparseCrossV2")
    return SparseTensor(*out)


def cross_hashed(inputs, num_buckets=0, hash_key=None, name=None):
    """The hashed sparse cross: each combination's FingerprintCat64 chain from ``hash_key``,
    modulo ``num_buckets`` when it is > 0 (SparseCross, as TF builds it)."""
    indices, values, shapes, dense = _cross_inputs(inputs, "SparseTensors")
    internal = _dt.string if all(v.dtype == _dt.string for v in values + dense) else _dt.int64
    out = SPARSE_CROSS(indices, values, shapes, dense, hashed_output=True,
                       num_buckets=num_buckets, hash_key=hash_key or _DEFAULT_HASH_KEY,
                       out_type=_dt.int64, internal_type=internal,
                       name=name or "SparseCross")
    return SparseTensor(*out)


def bincount(values, weights=None, axis=0, minlength=None, maxlength=None, binary_output=False,
             name=None):
    """The counts of each non-negative int of ``values`` (a tensor or SparseTensor) as a
    SparseTensor: over everything (``axis`` 0) or per row of a 2-D input (``axis`` -1); the
    sums of ``weights`` (of ``values``' kind and shape) instead, or 1s with ``binary_output``.
    Values at or past ``maxlength`` are dropped."""
    from .ops.logging_ops import assert_equal

    with name_scope(name, "count", [values, weights]):
        if not isinstance(values, SparseTensor):
            values = convert_to_tensor(values, name="values")
        if weights is not None and not isinstance(weights, SparseTensor):
            weights = convert_to_tensor(weights, name="weights")
        if weights is not None and binary_output:
            raise ValueError("Arguments `binary_output` and `weights` are mutually exclusive. "
                             "Please specify only one.")
        axis = 0 if axis is None else axis
        if axis not in (0, -1):
            raise ValueError(f"Unsupported value for argument axis={axis}. Only 0 and -1 are "
                             "currently supported.")
        if weights is not None and isinstance(values, SparseTensor) != \
                isinstance(weights, SparseTensor):
            kind = "a SparseTensor" if isinstance(values, SparseTensor) else "a tf.Tensor"
            raise ValueError(f"Argument `weights` must be {kind} if `values` is {kind}. "
                             f"Received weights={weights} of type: {type(weights).__name__}")
        if isinstance(weights, SparseTensor):  # the same entries as values', checked
            checks = [assert_equal(weights.dense_shape, values.dense_shape, message="'weights' "
                                   "and 'values' must have the same dense shape."),
                      assert_equal(weights.indices, values.indices, message="'weights' and "
                                   "'values' must have the same indices.")]
            with control_dependencies(checks):
                weights = array_ops.identity(weights.values)
        if axis == 0 and isinstance(values, SparseTensor):  # everything as one 1-D input
            values = values.values
        elif axis == 0:
            values = array_ops.reshape(values, [-1])
            weights = None if weights is None else array_ops.reshape(weights, [-1])
        if weights is None:
            weights = array_ops.constant([], dtype=values.dtype)
        attrs = {"minlength": -1 if minlength is None else minlength,
                 "maxlength": -1 if maxlength is None else maxlength,
                 "binary_output": binary_output}
        if isinstance(values, SparseTensor):
            out = SPARSE_COUNT_SPARSE_OUTPUT(values.indices, values.values, values.dense_shape,
                                             weights, **attrs)
        else:
            out = DENSE_COUNT_SPARSE_OUTPUT(values, weights, **attrs)
        return SparseTensor(*out)
