"""``tf.nn.embedding_lookup`` as TensorFlow composes it in Python (its embedding_ops.py): rows of
one table or of a list of shards (partition strategies 'mod' and 'div'), optionally clipped to
``max_norm``.

Split from nn_impl.py, which re-exports it for tf.nn, so that each module reads in one sitting;
its own module because both nn_impl's neighbours use it: the sampled losses (nn_losses.py) and
the sparse lookups (sparse.py).
"""

from __future__ import annotations

import numpy as np

from .graph import convert_to_tensor, name_scope
from .ops import (array_ops, concat_split_ops, gather_ops, logic_ops, math_ops, reduction_ops,
                  unary_ops)
from .partitioned_variables import PartitionedVariable


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True,
                     max_norm=None):
    """Rows of ``params`` (one tensor, or a list of shards split by ``partition_strategy``; a
    PartitionedVariable is the list of its parts, as in TF)."""
    if isinstance(params, (list, tuple, PartitionedVariable)):
        params = list(params)
    else:
        params = [params]
    if not params:
        raise ValueError("Need at least one param")
    if partition_strategy not in ("mod", "div"):
        raise ValueError(f"Unrecognized partition strategy: {partition_strategy}")
    with name_scope(name, "embedding_lookup", params + [ids]) as scope:
        params = [convert_to_tensor(p, name="params") for p in params]
        ids = convert_to_tensor(ids, name="ids")
        if len(params) == 1:
            table, index = params[0], ids
        else:
            table, index = _sharded_table(params, ids, partition_strategy)
        result = gather_ops.gather(table, index, name=scope)
        if max_norm is not None:
            result = _clip_rows(result, ids, max_norm)
        return array_ops.identity(result)


def _sharded_table(shards, ids, strategy):
    """One table (the shards concatenated) and the row of each id in it, placed as TF places
    them: 'mod' puts id i in shard i % n at row i // n; 'div' gives each shard a contiguous
    range, the first (total % n) shards one id more. A row past its shard's end is refused as
    TF's per-shard gather refuses it (the concatenation would read the next shard)."""
    n = len(shards)
    sizes = [p.shape[0].value if p.shape.rank else None for p in shards]
    dtype = ids.dtype
    if None in sizes:  # known at run time only
        sizes_t = math_ops.cast(concat_split_ops.stack(
            [array_ops.shape(p)[0] for p in shards]), dtype)
    else:
        sizes_t = array_ops.constant(np.array(sizes, dtype.as_numpy_dtype))
    table = concat_split_ops.concat(shards, 0)
    if strategy == "mod":
        shard, row = math_ops.floormod(ids, n), math_ops.floordiv(ids, n)
    else:
        total = reduction_ops.reduce_sum(sizes_t)
        per, extras = math_ops.floordiv(total, n), math_ops.floormod(total, n)
        shard = math_ops.maximum(math_ops.floordiv(ids, per + 1),
                                 math_ops.floordiv(ids - extras, per))
        row = logic_ops.where_v2(shard < extras, math_ops.floormod(ids, per + 1),
                                 math_ops.floormod(ids - extras, per))
    offsets = reduction_ops.cumsum(sizes_t, exclusive=True)
    inside = logic_ops.logical_and(row < gather_ops.gather(sizes_t, shard), ids >= 0)
    # -1 is out of the table's range: the gather fails, naming the position.
    index = logic_ops.where_v2(inside, gather_ops.gather(offsets, shard) + row,
                               array_ops.fill(array_ops.shape(ids),
                                              np.array(-1, dtype.as_numpy_dtype)))
    return table, index


def _clip_rows(result, ids, max_norm):
    """Each embedding rescaled to L2 norm at most ``max_norm`` (TF's clip_by_norm per row)."""
    ids_rank, rank = ids.shape.rank, result.shape.rank
    if ids_rank is None or rank is None:  # the embedding's own axes, at run time
        axes = array_ops.range_(array_ops.rank(ids), array_ops.rank(result))
    else:
        axes = list(range(ids_rank, rank))
    norm = unary_ops.sqrt(reduction_ops.reduce_sum(unary_ops.square(result), axes, keepdims=True))
    max_norm = convert_to_tensor(max_norm, dtype=result.dtype)
    return result * max_norm / math_ops.maximum(norm, max_norm)
