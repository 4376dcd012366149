"""``tf.image``'s flips, transposes and rotations: flip_left_right / flip_up_down and their
random variants, transpose and rot90. They only reorder pixels (ReverseV2 and Transpose nodes,
as TF's), for a 3-D image or a 4-D batch, with a cond on the rank when it is unknown; a family
of its own because they share the rank dispatch and the static-shape fixes TF makes after a
cond. core/image.py re-exports every name here."""

from __future__ import annotations

from . import composites
from . import dtypes as _dt
from .control_flow import case, cond
from .graph import constant_value, convert_to_tensor, name_scope
from .image_checks import _by_rank, _image
from .ops import (array_ops, concat_split_ops, logic_ops, math_ops, random_ops, transform_ops,
                  unary_ops)

__all__ = [
    "flip_left_right", "flip_up_down", "random_flip_left_right", "random_flip_up_down", "rot90",
    "transpose", "transpose_image",
]


# -- flips, transposes, rotations ------------------------------------------------------------------


def _flip_shape(image, result):
    result.set_shape(image.shape)  # TF's fix_image_flip_shape (a cond loses the static dims)
    return result


def _flip(image, flip_index, scope_name):
    """TF's _flip: ReverseV2 of the height (0) or width (1) axis of an image or a batch."""
    with name_scope(None, scope_name, [image]):
        image = _image(image)
        return _by_rank(image,
                        lambda: _flip_shape(image, composites.reverse(image, [flip_index])),
                        lambda: composites.reverse(image, [flip_index + 1]))


def flip_left_right(image):
    """Reverses the width axis (axis -2 of a 3-D image or a 4-D batch)."""
    return _flip(image, 1, "flip_left_right")


def flip_up_down(image):
    """Reverses the height axis (axis -3 of a 3-D image or a 4-D batch)."""
    return _flip(image, 0, "flip_up_down")


def _random_flip(image, flip_index, seed, scope_name):
    with name_scope(None, scope_name, [image]) as scope:
        image = _image(image)

        def f3():
            mirror = logic_ops.less(random_ops.random_uniform([], 0, 1.0, seed=seed), 0.5)
            result = cond(mirror, lambda: composites.reverse(image, [flip_index]),
                          lambda: image, name=scope)
            return _flip_shape(image, result)

        def f4():
            batch = array_ops.shape(image)[0]
            flips = unary_ops.round(array_ops.reshape(
                random_ops.random_uniform(concat_split_ops.stack([batch]), 0, 1.0, seed=seed),
                concat_split_ops.stack([batch, 1, 1, 1])))
            flips = math_ops.cast(flips, image.dtype)
            return flips * composites.reverse(image, [flip_index + 1]) + (1 - flips) * image

        return _by_rank(image, f3, f4)


def random_flip_left_right(image, seed=None):
    """Flips a 3-D image left-right with probability 1/2; each image of a batch on its own."""
    return _random_flip(image, 1, seed, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    """Flips a 3-D image upside down with probability 1/2; each image of a batch on its own."""
    return _random_flip(image, 0, seed, "random_flip_up_down")


def transpose(image, name=None):
    """Swaps height and width."""
    with name_scope(name, "transpose", [image]):
        image = _image(image)
        return _by_rank(image, lambda: transform_ops.transpose(image, [1, 0, 2], name=name),
                        lambda: transform_ops.transpose(image, [0, 2, 1, 3], name=name))


transpose_image = transpose


def rot90(image, k=1, name=None):
    """Rotates by ``k`` quarter turns counter-clockwise (``k`` an int or an int32 scalar)."""
    with name_scope(name, "rot90", [image, k]) as scope:
        image = _image(image)
        k_t = convert_to_tensor(k, dtype=_dt.int32, name="k")
        if k_t.shape.rank not in (None, 0):
            raise ValueError(f"Shape {k_t.shape} must have rank 0")
        known = constant_value(k_t)

        def rotate(perm, k):
            h = len(perm) - 3  # the height axis: 0 in an image, 1 in a batch

            def turn(x, times):  # TF's _rot90_3D / _rot90_4D branches
                if times == 1:  # reverse the width, then swap height and width
                    return transform_ops.transpose(composites.reverse(x, [h + 1]), perm)
                if times == 2:
                    return composites.reverse(x, [h, h + 1])
                if times == 3:
                    return composites.reverse(transform_ops.transpose(x, perm), [h + 1])
                return array_ops.identity(x)  # a tensor of its own, for its static shape

            if known is not None:  # a constant k: just that rotation
                return turn(image, int(known) % 4)
            k = math_ops.floormod(k, 4)
            pairs = [(logic_ops.equal(k, t), lambda t=t: turn(image, t)) for t in (1, 2, 3)]
            return case(pairs, default=lambda: image, exclusive=True, name=scope)

        def shaped(result, dims):
            result.set_shape(dims)
            return result

        c = image.shape[-1].value if image.shape.rank else None
        n = image.shape[0].value if image.shape.rank == 4 else None
        return _by_rank(image, lambda: shaped(rotate([1, 0, 2], k_t), [None, None, c]),
                        lambda: shaped(rotate([0, 2, 1, 3], k_t), [n, None, None, c]))
