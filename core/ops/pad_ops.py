"""Padding: Pad, PadV2 and MirrorPad (with MirrorPadGrad), behind ``tf.pad``."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..graph import Tensor, constant_value
from ..opdef import OpDef, TensorSpec, register, req
from ._util import rank_with, shape_error
from .array_ops import _is_tensor, constant, shape
from .concat_split_ops import SPLIT_V, _dims_str, stack, unstack

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = ["pad"]


# -- Pad / PadV2 / MirrorPad --------------------------------------------------------------------


def _check_paddings(x, paddings):
    p = np.asarray(paddings)
    if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] != x.ndim:
        raise InvalidArgumentError(None, None, "The first dimension of paddings must be the "
                                   f"rank of inputs{_dims_str(p.shape)} {_dims_str(x.shape)}")
    if (p < 0).any():
        row = p[(p < 0).any(axis=1)][0]
        raise InvalidArgumentError(None, None, f"Paddings must be non-negative: {row[0]} "
                                   f"{row[1]}")
    return p


def _pad_kernel(x, paddings, constant_values=None):
    x = np.asarray(x)
    p = _check_paddings(x, paddings)
    if constant_values is not None and np.ndim(constant_values) != 0:
        raise InvalidArgumentError(None, None, "constant_values must be a scalar. Got: "
                                   f"{np.ndim(constant_values)}")
    out_shape = tuple(int(d + b + a) for d, (b, a) in zip(x.shape, p))
    fill_value = 0 if constant_values is None else constant_values
    # Allocate once and copy the input into its window: faster than np.pad for this case.
    out = np.full(out_shape, fill_value, dtype=x.dtype)
    out[tuple(slice(int(b), int(b) + d) for d, (b, _) in zip(x.shape, p))] = x
    return out


def _pad_infer(x, paddings, constant_values=None, *, mirror=None):
    ps = paddings.shape.as_tuple()
    if ps is not None:
        if len(ps) != 2:
            raise shape_error(f"Shape must be rank 2 but is rank {len(ps)}")
        if ps[1] is not None and ps[1] != 2:
            raise shape_error(f"Dimension 1 in both shapes must be equal, but are {ps[1]} and 2")
    if constant_values is not None and constant_values.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {constant_values.shape.rank}")
    n = ps[0] if ps is not None else None
    dims, r = rank_with(x, n, lambda r, n: f"Shape must be rank {n} but is rank {r}")
    if r is None:
        return [TensorSpec(None, x.dtype)]
    dims = dims if dims is not None else (None,) * r
    pv = paddings.value
    if pv is None:
        return [TensorSpec([None] * r, x.dtype)]
    pv = np.asarray(pv).reshape(r, 2)
    if (pv < 0).any():
        raise shape_error("Paddings must be non-negative")
    out = []
    for i, (d, (b, a)) in enumerate(zip(dims, pv.tolist())):
        if mirror is not None and d is not None:
            _check_mirror(i, d, b, a, mirror)
        out.append(None if d is None else d + b + a)
    return [TensorSpec(out, x.dtype)]


def _pad_grad(op, dy):
    """The gradient is the window of ``dy`` where the input sits."""
    x, paddings = op.inputs[0], op.inputs[1]
    begin = unstack(paddings, num=2, axis=1)[0]
    nones = [None] * (len(op.inputs) - 1)
    from . import slicing_ops

    slice_ = getattr(slicing_ops, "slice_", None)
    if slice_ is not None:
        return [slice_(dy, begin, shape(x, out_type=paddings.dtype)), *nones]
    return [_window(dy, x, begin, paddings.dtype), *nones]


def _window(dy, x, begin, index_dtype):
    """``dy[begin : begin + shape(x)]`` with SplitV along each axis (needs x's rank)."""
    r = x.shape.rank
    if r is None:
        raise NotImplementedError("the gradient of Pad needs the input's rank or a Slice op")
    starts = unstack(begin, num=r)
    sizes = unstack(shape(x, out_type=index_dtype), num=r)
    for i in range(r):
        dy = SPLIT_V(dy, stack([starts[i], sizes[i], constant(-1, dtype=index_dtype)]), i,
                     num_split=3)[1]
    return dy


PAD = register(OpDef(
    "Pad", inputs=["input:T", "paddings:Tpaddings=int32"],
    kernel=_pad_kernel,
    infer=_pad_infer,
    grad=_pad_grad,
))

PAD_V2 = register(OpDef(
    "PadV2", inputs=["input:T", "paddings:Tpaddings=int32", "constant_values:T"],
    kernel=_pad_kernel,
    infer=_pad_infer,
    grad=_pad_grad,
))


def _check_mirror(i, d, before, after, mode):
    if mode == "REFLECT" and (before >= d or after >= d):
        raise InvalidArgumentError(None, None, "paddings must be less than the dimension size: "
                                   f"{before}, {after} not less than {d}")
    if mode == "SYMMETRIC" and (before > d or after > d):
        raise InvalidArgumentError(None, None, "paddings must be no greater than the dimension "
                                   f"size: {before}, {after} greater than {d}")


def _mirror_pad_kernel(x, paddings, *, mode):
    x = np.asarray(x)
    p = _check_paddings(x, paddings)
    for i, (d, (b, a)) in enumerate(zip(x.shape, p.tolist())):
        _check_mirror(i, d, b, a, mode)
    return np.pad(x, p, mode=mode.lower())


def _mirror_pad_grad_kernel(dy, paddings, *, mode):
    dy = np.asarray(dy)
    p = _check_paddings(dy, paddings)
    for i, (b, a) in enumerate(p.tolist()):
        d = dy.shape[i] - b - a
        if d < 0 or (mode == "REFLECT" and (b >= d or a >= d)) or \
                (mode == "SYMMETRIC" and (b > d or a > d)):
            raise InvalidArgumentError(None, None, f"paddings {b}, {a} do not fit a gradient of "
                                       f"size {dy.shape[i]} in dimension {i} ({mode})")
        # Where each padded position was copied from; fold the gradient back onto it.
        src = np.pad(np.arange(d), (b, a), mode=mode.lower())
        moved = np.moveaxis(dy, i, 0)
        acc = np.zeros((d,) + moved.shape[1:], dtype=dy.dtype)
        np.add.at(acc, src, moved)
        dy = np.moveaxis(acc, 0, i)
    return np.ascontiguousarray(dy)


def _check_mode(mode):
    if mode not in ("REFLECT", "SYMMETRIC"):  # the op's attr (tf.pad's own mode is any case)
        raise ValueError(f'Value for attr \'mode\' of "{mode}" is not in the list of allowed '
                         'values: "REFLECT", "SYMMETRIC"')


def _mirror_pad_infer(x, paddings, *, mode):
    _check_mode(mode)
    return _pad_infer(x, paddings, mirror=mode)


def _mirror_pad_grad_infer(dy, paddings, *, mode):
    _check_mode(mode)
    dims = dy.shape.as_tuple()
    pv = paddings.value
    if dims is None or pv is None:
        return [TensorSpec(None if dims is None else [None] * len(dims), dy.dtype)]
    pv = np.asarray(pv).reshape(-1, 2)
    if len(pv) != len(dims):
        raise shape_error(f"Shape must be rank {len(pv)} but is rank {len(dims)}")
    return [TensorSpec([None if d is None else d - int(b) - int(a)
                        for d, (b, a) in zip(dims, pv)], dy.dtype)]


MIRROR_PAD = register(OpDef(
    "MirrorPad", inputs=["input:T", "paddings:Tpaddings=int32"], attrs={"mode": req("string")},
    kernel=_mirror_pad_kernel,
    infer=_mirror_pad_infer,
    grad=lambda op, dy: [MIRROR_PAD_GRAD(dy, op.inputs[1], mode=op._get_attr("mode")), None],
))

MIRROR_PAD_GRAD = register(OpDef(
    "MirrorPadGrad", inputs=["input:T", "paddings:Tpaddings=int32"],
    attrs={"mode": req("string")},
    kernel=_mirror_pad_grad_kernel,
    infer=_mirror_pad_grad_infer,
    grad=lambda op, dy: [MIRROR_PAD(dy, op.inputs[1], mode=op._get_attr("mode")), None],
))


def _partial_paddings(paddings):
    """The paddings as far as known when the graph is built (TF's ``_get_paddings_constant``:
    ``constant_value(t, partial=True)``): nested lists with None for an entry not known; a Pack
    (what ``[[0, n], [1, 1]]`` converts to) or an Identity is looked through entry by entry."""
    if isinstance(paddings, Tensor):
        value = constant_value(paddings)
        if value is not None:
            return np.asarray(value).tolist()
        op = paddings.op
        if op.type == "Pack" and op._get_attr("axis") == 0 and op.inputs:
            return [_partial_paddings(t) for t in op.inputs]
        if op.type in ("Identity", "StopGradient"):
            return _partial_paddings(op.inputs[0])
        return None
    if isinstance(paddings, np.ndarray):
        return paddings.tolist()
    if isinstance(paddings, (list, tuple)):
        return [_partial_paddings(p) for p in paddings]
    return int(paddings) if isinstance(paddings, (int, np.integer)) else None  # a Variable: None


def _restore_shape(result, paddings):
    """What tf.pad adds to the op's own shape function (that one needs all of the paddings):
    each dimension whose input size and two paddings are known, so ``[[0, n], [1, 1]]`` pads
    (?, 3) to (?, 5)."""
    known = _partial_paddings(paddings)
    dims = result.op.inputs[0].shape.as_tuple()
    if dims is None or result.shape.is_fully_defined() or not isinstance(known, list):
        return result
    out = []
    for row, d in zip(known, dims):
        if row is None or d is None or not isinstance(row, list) or any(p is None for p in row):
            out.append(None)
        else:
            out.append(int(sum(row)) + d)
    result.set_shape(out)
    return result


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """``tf.pad``: Pad (zero fill), PadV2 (other fill values) or MirrorPad."""
    mode = mode.upper()
    if mode == "CONSTANT":
        if not _is_tensor(constant_values) and np.ndim(constant_values) == 0 and \
                constant_values == 0:
            return _restore_shape(PAD(tensor, paddings, name=name or "Pad"), paddings)
        return _restore_shape(PAD_V2(tensor, paddings, constant_values, name=name or "PadV2"),
                              paddings)
    if mode in ("REFLECT", "SYMMETRIC"):
        return _restore_shape(MIRROR_PAD(tensor, paddings, mode=mode,
                                         name=name or "MirrorPad"), paddings)
    raise ValueError('Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", or '
                     f'"SYMMETRIC". Received `mode` = {mode}')
