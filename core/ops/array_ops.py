"""TF1's ``array_ops`` namespace for the basic array ops, one import for the rest of minitf.

The ops live by family in modules readable in one sitting, re-exported here so ``array_ops.X``
and ``from .array_ops import X`` keep working (importing this module registers their OpDefs):

- constant_ops: Const, Placeholder, PlaceholderWithDefault, Identity, StopGradient,
  PreventGradient, NoOp (and ``group``, ``tuple_``);
- shape_ops: Shape, ShapeN, Size, Rank, Reshape, BroadcastGradientArgs;
- fill_ops: Fill, ZerosLike, OnesLike, Range (and ``zeros``, ``ones``, ``range_``).

The other array ops are split by family: transform_ops (ExpandDims, Squeeze, Transpose, Tile,
BroadcastTo, OneHot), concat_split_ops (ConcatV2, Pack, Unpack, Split, SplitV) and pad_ops (Pad,
PadV2, MirrorPad).
"""

from __future__ import annotations

from . import constant_ops, fill_ops, shape_ops
from .constant_ops import (CONST, IDENTITY, NO_OP, PLACEHOLDER,  # noqa: F401
                           PLACEHOLDER_WITH_DEFAULT, PREVENT_GRADIENT, STOP_GRADIENT, constant,
                           group, identity, no_op, placeholder, placeholder_with_default,
                           stop_gradient, tuple_)
from .fill_ops import (FILL, ONES_LIKE, RANGE, ZEROS_LIKE, _is_tensor, fill,  # noqa: F401
                       ones, ones_like, range_, shape_list_tensor, zeros, zeros_like)
from .shape_ops import (BROADCAST_GRADIENT_ARGS, RANK, RESHAPE, SHAPE, SHAPE_N,  # noqa: F401
                        SIZE, broadcast_gradient_args, rank, reshape, shape, shape_n, size)

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = [*constant_ops.__all__, *shape_ops.__all__, *fill_ops.__all__]
