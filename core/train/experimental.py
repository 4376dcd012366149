"""``tf.train.experimental`` (TF 2.21's ``tf.compat.v1.train.experimental``): the mixed-precision
loss scaling of core/mixed_precision.py under its older names, and PythonState.

Not here: TF's checkpoint-sharding policies (ShardByTaskPolicy, MaxShardSizePolicy,
ShardableTensor, ShardingCallback), which only parameterise ``tf.train.Checkpoint``'s sharded
writes.
"""

import abc as _abc

from ..mixed_precision import (DynamicLossScale, FixedLossScale, LossScale,
                               MixedPrecisionLossScaleOptimizer,
                               disable_mixed_precision_graph_rewrite,
                               enable_mixed_precision_graph_rewrite)
from ..ops.constant_ops import constant as _constant

__all__ = ["DynamicLossScale", "FixedLossScale", "LossScale",
           "MixedPrecisionLossScaleOptimizer", "PythonState",
           "disable_mixed_precision_graph_rewrite", "enable_mixed_precision_graph_rewrite"]

_PYTHON_STATE = "py_state"  # TF's checkpoint key for the serialized value


class PythonState(metaclass=_abc.ABCMeta):
    """Python state saved in an object-based checkpoint as one string: a subclass says how to
    ``serialize()`` it to bytes and ``deserialize(string_value)`` it back."""

    @_abc.abstractmethod
    def serialize(self):
        """The state as a string (bytes)."""

    @_abc.abstractmethod
    def deserialize(self, string_value):
        """Restores the state from what ``serialize`` gave."""

    def _serialize_to_tensors(self):
        """{"py_state": a string tensor of ``serialize()``}: what a checkpoint saves (TF's
        Trackable hook)."""
        return {_PYTHON_STATE: _constant(self.serialize(), dtype="string")}

    def _restore_from_tensors(self, restored_tensors):
        """Deserializes the saved value (given as bytes or a 0-d array of them)."""
        value = restored_tensors[_PYTHON_STATE]
        return self.deserialize(getattr(value, "item", lambda: value)())
