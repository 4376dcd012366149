"""Einsum, the op TF 2.x's ``tf.einsum`` writes into GraphDefs: one or two operands, an
``equation`` attr with exactly one ``->``, ``...`` for broadcast dimensions, repeated labels for
diagonals (in the inputs) and diagonal embeddings (in the output, as TF's gradient writes them).
The gradient is TF's _EinsumGrad (linalg_grad.py), built of Einsum ops again.

minitf's own ``tf.einsum`` composes other ops (composites.py); this op is what makes imported
graphs run. Real dtypes only (TF also has complex kernels; minitf has no complex dtype)."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape, broadcast_shapes
from . import array_ops, concat_split_ops, transform_ops
from ._math_util import _check_dtype
from .reduction_ops import reduce_sum, reduced_shape

__all__: list[str] = []

_ELLIPSIS = "..."
_TYPES = ("bfloat16", "float16", "float32", "float64", "int32", "int64")  # TF's, less complex


def _parse(equation: str, n_inputs: int):
    """(input subscripts, output subscripts) with TF's checks on the equation's form."""
    if equation.count("->") != 1:
        raise InvalidArgumentError(None, None, f"Expecting exactly one '->' in einsum "
                                   f"equation: {equation}")
    lhs, out = equation.replace(" ", "").split("->")
    ins = lhs.split(",")
    if len(ins) not in (1, 2) or len(ins) != n_inputs:
        raise InvalidArgumentError(None, None, f"Expecting 1 or 2 input subscripts in equation "
                                   f"'{equation}' but got: {len(ins)}"
                                   if len(ins) not in (1, 2) else
                                   f"Expecting {len(ins)} inputs for equation '{equation}' but "
                                   f"got: {n_inputs}")
    for subs in ins + [out]:
        body = subs.replace(_ELLIPSIS, "", 1)
        if not all(c.isalpha() for c in body) or subs.count(_ELLIPSIS) > 1:
            raise InvalidArgumentError(None, None, f"Invalid einsum subscripts '{subs}' in "
                                       f"equation '{equation}'")
    missing = set(out.replace(_ELLIPSIS, "")) - set("".join(ins))
    if missing:
        raise InvalidArgumentError(None, None, f"Output label(s) {''.join(sorted(missing))} of "
                                   f"einsum equation '{equation}' appear in no input")
    return ins, out


def _split_dims(subs: str, dims: list, which: int):
    """Label -> dims of one operand, and its broadcast (ellipsis) dims; None dims are unknown."""
    labels = subs.replace(_ELLIPSIS, "")
    has_ell = _ELLIPSIS in subs
    if len(dims) < len(labels) or (not has_ell and len(dims) != len(labels)):
        raise shape_error(f"Input {which} of einsum has rank {len(dims)} but its subscripts "
                          f"'{subs}' need rank {len(labels)}{' or more' if has_ell else ''}")
    start = subs.find(_ELLIPSIS) if has_ell else len(labels)
    n_bcast = len(dims) - len(labels)
    named = dims[:start] + dims[start + n_bcast:]
    return list(zip(labels, named)), dims[start:start + n_bcast]


def _label_dims(ins, shapes):
    """Each label's size (checked equal across its occurrences) and the broadcast shape."""
    sizes: dict = {}
    bcast = TensorShape([])
    for i, (subs, dims) in enumerate(zip(ins, shapes)):
        if dims is None:
            bcast = TensorShape(None) if _ELLIPSIS in subs else bcast
            continue
        pairs, extra = _split_dims(subs, dims, i)
        for axis, (label, d) in enumerate(pairs):
            have = sizes.get(label)
            if d is not None and have is not None and d != have:
                raise shape_error(f"Expected dimension {have} for label '{label}' of input {i}"
                                  f" but got dimension {d} (axis {axis}, input shape "
                                  f"{list(dims)})")
            if have is None:
                sizes[label] = d
        try:
            bcast = broadcast_shapes(bcast, TensorShape(extra))
        except ValueError as e:
            raise shape_error(f"Einsum operands do not broadcast: {e}") from None
    return sizes, bcast


def _out_shape(out, sizes, bcast, equation):
    if _ELLIPSIS not in out:
        if bcast.rank is None or bcast.rank > 0:
            if bcast.rank is not None:
                raise shape_error(f"Output contains {bcast.rank} broadcasting dimension(s) but "
                                  f"no ellipsis (...) was found in the output subscripts of "
                                  f"'{equation}'")
        return TensorShape([sizes.get(c) for c in out])
    if bcast.rank is None:
        return TensorShape(None)
    head, tail = out.split(_ELLIPSIS)
    return TensorShape([sizes.get(c) for c in head] + bcast.as_list()
                       + [sizes.get(c) for c in tail])


def _infer(inputs, *, equation):
    ins, out = _parse(equation, len(inputs))
    _check_dtype(inputs[0], _TYPES, "inputs")
    shapes = [None if s.shape.rank is None else s.shape.as_list() for s in inputs]
    sizes, bcast = _label_dims(ins, shapes)
    return [TensorSpec(_out_shape(out, sizes, bcast, equation), inputs[0].dtype)]


def _kernel(inputs, *, equation):
    ins, out = _parse(equation, len(inputs))
    arrays = [np.asarray(x) for x in inputs]
    sizes, bcast = _label_dims(ins, [list(a.shape) for a in arrays])
    shape = _out_shape(out, sizes, bcast, equation).as_list()
    unique = "".join(dict.fromkeys(out.replace(_ELLIPSIS, ".")).keys()).replace(".", _ELLIPSIS)
    result = np.einsum(f"{','.join(ins)}->{unique}", *arrays, optimize=len(arrays) > 1)
    if unique == out:
        return np.asarray(result, arrays[0].dtype)
    # A repeated output label ("i->ii", from gradients of traces): a diagonal embedding. The
    # single-operand einsum "ii->i" is a writable view of the diagonal.
    full = np.zeros(shape, arrays[0].dtype)
    np.einsum(f"{out}->{unique}", full)[...] = result
    return full


def _grad(op, dy):
    """TF's _EinsumGrad: reversed equations (transposes, traces), a broadcast for labels the
    output reduced, and sums over broadcast (ellipsis) dimensions that were expanded."""
    ins, out = _parse(op._get_attr("equation"), len(op.inputs))
    if len(op.inputs) == 1:
        reduced = set(ins[0]) - set(out + _ELLIPSIS)
        if not reduced:
            return [EINSUM([dy], equation=f"{out}->{ins[0]}")]
        return [_grad_reduced(dy, out, ins[0], array_ops.shape(op.inputs[0]), reduced)]
    x_subs, y_subs = ins
    if _ELLIPSIS in out:  # "...ij,jk->...ik": the VJP "...ik,jk->jk..." needs the ellipsis
        x_subs += "" if _ELLIPSIS in x_subs else _ELLIPSIS
        y_subs += "" if _ELLIPSIS in y_subs else _ELLIPSIS
    x, y = op.inputs
    x_shape, y_shape = array_ops.shape(x), array_ops.shape(y)
    gx = _grad_wrt(dy, y, x_shape, x_subs, y_subs, out)
    gy = _grad_wrt(dy, x, y_shape, y_subs, x_subs, out)
    if _ELLIPSIS not in out:
        return [gx, gy]
    bx0, bx1 = _bcast_range(x_subs)
    by0, by1 = _bcast_range(y_subs)
    xs, ys = x.shape, y.shape
    if xs.is_fully_defined() and ys.is_fully_defined() and \
            xs.as_list()[bx0:bx1] == ys.as_list()[by0:by1]:
        return [gx, gy]
    rx, ry = array_ops.broadcast_gradient_args(x_shape[bx0:bx1], y_shape[by0:by1])
    gx = array_ops.reshape(reduce_sum(gx, bx0 + rx), x_shape)
    gy = array_ops.reshape(reduce_sum(gy, by0 + ry), y_shape)
    return [gx, gy]


def _axis_of(subs: str, label: str):
    """The label's axis, negative when it follows the ellipsis (TF's _GetAxisFromLabel)."""
    parts = subs.split(_ELLIPSIS)
    if label in parts[0]:
        return parts[0].index(label)
    return parts[1].index(label) - len(parts[1])


def _bcast_range(subs: str):
    start = subs.find(_ELLIPSIS)
    if start == -1:
        return 0, 0
    rest = len(subs) - (start + len(_ELLIPSIS))
    return start, (-rest if rest > 0 else None)


def _grad_reduced(dy, out_subs, in_subs, in_shape, reduced):
    """The gradient of a one-operand einsum that sums the labels ``reduced`` away."""
    reduced_subs = "".join(sorted(reduced))
    axes = [_axis_of(in_subs, c) for c in reduced_subs]
    repeated = len(set(in_subs)) + len(set(out_subs)) < len(in_subs) + len(out_subs)
    if not repeated and "".join(c for c in in_subs if c not in reduced) == out_subs:
        keep = reduced_shape(in_shape, array_ops.constant(axes))
        return transform_ops.broadcast_to(array_ops.reshape(dy, keep), in_shape)
    dims = concat_split_ops.stack([in_shape[a] for a in axes])
    grad_shape = concat_split_ops.concat([dims, array_ops.shape(dy)], 0)
    keep = concat_split_ops.concat([array_ops.ones([len(reduced)], "int32"),
                                    array_ops.shape(dy)], 0)
    wide = transform_ops.broadcast_to(array_ops.reshape(dy, keep), grad_shape)
    return EINSUM([wide], equation=f"{reduced_subs + out_subs}->{in_subs}")


def _grad_wrt(dy, other, in_shape, in_subs, other_subs, out_subs):
    reduced = set(in_subs) - set(out_subs + other_subs + ".")
    left = "".join(c for c in in_subs if c not in reduced)
    g = EINSUM([dy, other], equation=f"{out_subs},{other_subs}->{left}")
    return _grad_reduced(g, left, in_subs, in_shape, reduced) if reduced else g


EINSUM = register(OpDef(
    "Einsum", inputs=["inputs:N*T"], attrs={"equation": req("string")},
    kernel=_kernel, infer=_infer, grad=_grad,
    doc="Einstein summation over one or two operands as the equation says",
))
