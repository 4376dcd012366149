"""``tf.distribute.ReduceOp``: how values from several replicas combine (TF 1.15's enum)."""

from __future__ import annotations

import enum

from ..variables_extra import VariableAggregation

__all__ = ["ReduceOp"]


class ReduceOp(enum.Enum):
    """``SUM`` adds the replicas' values, ``MEAN`` averages them."""

    SUM = "SUM"
    MEAN = "MEAN"

    @staticmethod
    def from_variable_aggregation(aggregation):
        mapping = {VariableAggregation.SUM: ReduceOp.SUM,
                   VariableAggregation.MEAN: ReduceOp.MEAN}
        reduce_op = mapping.get(aggregation)
        if not reduce_op:
            raise ValueError(f"Could not convert from `tf.VariableAggregation` {aggregation} "
                             "to`tf.distribute.ReduceOp` type")
        return reduce_op


def as_reduce_op(reduce_op) -> ReduceOp:
    """A ReduceOp from a ReduceOp or its name in any case ("sum"), as TF's reduce methods take
    it; ValueError for another name, TypeError for anything else."""
    if isinstance(reduce_op, str):
        return ReduceOp(reduce_op.upper())
    if not isinstance(reduce_op, ReduceOp):
        raise TypeError(f"Expected `reduce_op` to be a `tf.distribute.ReduceOp`, not: "
                        f"{reduce_op!r}")
    return reduce_op
