"""Op declarations, one family per module. Importing this package registers every OpDef."""

from . import (array_ops, conv_ops, math_ops, nn_ops, random_ops, slicing_ops,  # noqa: F401
               state_ops, training_ops)
