"""The checks and shape helpers every ``tf.image`` family shares (TF's _assert,
_CheckAtLeast3DImage, _ImageDimensions...): a condition known in Python raises ValueError at
graph construction, an unknown one becomes an Assert op, as in TF. They live apart from
core/image.py so that its families (core/image_resize.py, image_flip.py, image_color.py) can
import them without importing one another."""

from __future__ import annotations

from .control_flow import cond
from .graph import Tensor, control_dependencies, convert_to_tensor
from .ops import (array_ops, concat_split_ops, logging_ops, logic_ops, reduction_ops,
                  transform_ops)


def _is_tensor(x) -> bool:
    return isinstance(x, Tensor) or hasattr(x, "_as_tensor")  # a Variable reads as a tensor


def _check(condition, message) -> list:
    """A Python condition raises ValueError now; a tensor one becomes an Assert op."""
    if _is_tensor(condition):
        return [logging_ops.Assert(condition, [message])]
    if not condition:
        raise ValueError(message)
    return []


def _with_deps(deps, t):
    if not deps:
        return t
    with control_dependencies(deps):
        return array_ops.identity(t)


def _check_at_least_3d(image) -> list:
    shape = image.shape
    if shape.rank is not None and shape.rank < 3:
        raise ValueError(f"'image' (shape {shape}) must be at least three-dimensional.")
    inner = shape.as_list()[-3:] if shape.rank is not None else [None] * 3
    if any(d == 0 for d in inner):
        raise ValueError(f"inner 3 dims of 'image.shape' must be > 0: {shape}")
    if None not in inner:
        return []
    # Not known statically: checked when the graph runs, as TF does.
    dims = array_ops.shape(image)[-3:]
    return [logging_ops.Assert(reduction_ops.reduce_all(dims > 0),
                               ["inner 3 dims of 'image.shape' must be > 0."]),
            logging_ops.Assert(array_ops.rank(image) >= 3,
                               ["'image' must be at least three-dimensional."])]


def _image(image):
    image = convert_to_tensor(image, name="image")
    return _with_deps(_check_at_least_3d(image), image)


def _rank_3_or_4(image):
    rank = image.shape.rank
    if rank not in (None, 3, 4):
        raise ValueError(f"'image' (shape {image.shape}) must have either 3 or 4 dimensions.")
    return rank


def _by_rank(image, f3, f4):
    """f3() for a 3-D image, f4() for a 4-D batch; a cond on the rank when it is unknown."""
    rank = _rank_3_or_4(image)
    if rank is None:
        return cond(logic_ops.equal(array_ops.rank(image), 3), f3, f4)
    return f3() if rank == 3 else f4()


def _as_batch(image):
    """(4-D image, whether it was a batch): a 3-D or unknown-rank image gains a batch axis."""
    if _rank_3_or_4(image) == 4:
        return image, True
    batched = transform_ops.expand_dims(image, 0)
    batched.set_shape([None] * 4)
    return batched, False


def _unbatch(image, is_batch):
    return image if is_batch else transform_ops.squeeze(image, axis=[0])


def _dims4(image) -> list:
    """TF's _ImageDimensions: static dims as ints, the rest as scalar tensors."""
    static = image.shape.as_list()
    if None not in static:
        return static
    dynamic = concat_split_ops.unstack(array_ops.shape(image), num=4)
    return [s if s is not None else d for s, d in zip(static, dynamic)]


def _static(*values) -> list:
    return [None if _is_tensor(v) else v for v in values]
