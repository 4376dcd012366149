"""Op declarations, one family per module. Importing this package registers every OpDef."""

from . import array_ops, math_ops, random_ops, state_ops  # noqa: F401
