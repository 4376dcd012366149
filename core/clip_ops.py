"""Gradient clipping by norm, composed from ops as TensorFlow 1.x composes it
(tf.clip_by_value lives with the math ops)."""

from __future__ import annotations

from .graph import convert_to_tensor, get_default_graph
from .indexed_slices import IndexedSlices
from .ops import array_ops, logic_ops, math_ops, nn_ops, reduction_ops, unary_ops


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """``t * clip_norm / max(l2norm(t), clip_norm)``; the norm over ``axes`` (all if None)."""
    graph = get_default_graph()
    sparse = t if isinstance(t, IndexedSlices) else None
    with graph.name_scope(name or "clip_by_norm") as scope:
        # An IndexedSlices (a sparse gradient) is clipped by its values' norm and stays sparse.
        t = convert_to_tensor(t.values if sparse is not None else t, name="t")
        l2sum = reduction_ops.reduce_sum(t * t, axes, keepdims=True)
        positive = logic_ops.greater(l2sum, 0)
        # Take the square root only where it is positive, so the gradient at 0 is not NaN.
        safe = logic_ops.where(positive, l2sum, array_ops.ones_like(l2sum))
        l2norm = logic_ops.where(positive, unary_ops.sqrt(safe), l2sum)
        clip_norm = math_ops.cast(convert_to_tensor(clip_norm), t.dtype)
        scaled = t * clip_norm
        clipped = array_ops.identity(scaled / math_ops.maximum(l2norm, clip_norm), name=scope)
        return clipped if sparse is None else _like(sparse, clipped)


def global_norm(t_list, name=None):
    """``sqrt(sum(l2norm(t) ** 2 for t in t_list))``; None entries are ignored (only Nones:
    0.0), and an IndexedSlices counts its values (as TF1: a repeated index counts each time)."""
    tensors = [convert_to_tensor(t.values if isinstance(t, IndexedSlices) else t)
               for t in t_list if t is not None]
    graph = tensors[0].graph if tensors else get_default_graph()
    # TF's names: the norm is "<scope>/global_norm", the scope "global_norm" or ``name``.
    with graph.as_default(), graph.name_scope(name or "global_norm"):
        half_squares = [nn_ops.l2_loss(t) for t in tensors]  # sum(t**2) / 2 each
        if not half_squares:  # only Nones: TF's sum of an empty stack, a float32 zero
            total = array_ops.zeros([])
        else:
            total = math_ops.add_n(half_squares) if len(half_squares) > 1 else half_squares[0]
        return unary_ops.sqrt(total * 2.0, name="global_norm")


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scales every tensor by ``clip_norm / max(global_norm, clip_norm)``; returns
    (clipped list with None kept in place, the global norm). An infinite or NaN global norm
    makes every clipped tensor NaN."""
    if not isinstance(t_list, (list, tuple)):
        raise TypeError("t_list should be a sequence")
    t_list = list(t_list)
    # As TF's: the norm is made first, in a scope of its own named ``name`` too, and each
    # output is named "<scope>_<i>" inside the scope ("clip_by_global_norm/clip_by_global_norm/
    # _0").
    norm = global_norm(t_list, name) if use_norm is None else convert_to_tensor(use_norm)
    graph = norm.graph
    with graph.as_default(), graph.name_scope(name or "clip_by_global_norm") as scope:
        clip = math_ops.cast(convert_to_tensor(clip_norm, name="clip_norm"), norm.dtype)
        # TF's form. clip * min(1 / norm, 1 / clip) alone would be 0 for an infinite norm and
        # silently zero the gradients; adding norm - norm (0 when finite, NaN for inf or NaN)
        # makes every output NaN instead, as TF documents.
        scale = clip * math_ops.minimum(1.0 / norm, 1.0 / clip) + (norm - norm)
        clipped = []
        for i, t in enumerate(t_list):
            if t is None:
                clipped.append(None)
                continue
            if isinstance(t, IndexedSlices):  # stays sparse: its values scaled
                values = t.values
                clipped.append(_like(t, array_ops.identity(
                    values * math_ops.cast(scale, values.dtype), name=f"{scope}_{i}")))
                continue
            t = convert_to_tensor(t)
            clipped.append(array_ops.identity(t * math_ops.cast(scale, t.dtype),
                                              name=f"{scope}_{i}"))
        return clipped, norm


def _like(sparse: IndexedSlices, values) -> IndexedSlices:
    return sparse._with_values(values)
