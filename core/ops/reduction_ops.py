"""Reductions (Sum, Mean, Max, Min, Prod, All, Any), ArgMax / ArgMin and the scans Cumsum /
Cumprod, with the helpers their gradients share (``reduced_shape``, ``broadcast_to_shape_of``);
then the public TF1 wrappers (reduce_*, reduce_logsumexp, count_nonzero, argmax, cumsum...)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import Tensor, constant_value, convert_to_tensor
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from . import array_ops, concat_split_ops, transform_ops
from ._math_util import (_NUMBER, _REAL, _check_dtype, _dims, _scope, _silence_float_warnings,
                         _typed)
from ._util import const_ints, normalize_axis
from .complex_ops import conj
from .logic_ops import SELECT_V2, equal, is_finite, logical_not, not_equal, where
from .math_ops import add, cast, div_no_nan, floordiv, floormod, maximum, subtract
from .unary_ops import exp, log

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = [
    "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_all",
    "reduce_any", "reduce_logsumexp", "count_nonzero", "argmax", "argmin", "cumsum", "cumprod",
]

_silence_float_warnings(__name__)


# -- Reductions ---------------------------------------------------------------------------------


def _reduction_axes(x_rank, axes_spec):
    vals = const_ints(axes_spec)
    if vals is None or x_rank is None:
        return None
    return sorted({normalize_axis(a, x_rank, "reduction axis") for a in vals})


def _reduce_infer(x, axes, *, keep_dims):
    rank = x.shape.rank
    vals = const_ints(axes)
    if vals is not None and rank is not None:
        for a in vals:
            if not -rank <= a < rank:
                raise shape_error(f"Invalid reduction dimension {a} for input with {rank} "
                                  "dimensions.")
    axes_v = _reduction_axes(rank, axes)
    if axes_v is None:
        if keep_dims and rank is not None:
            return [TensorSpec([None] * rank, x.dtype)]
        return [TensorSpec(TensorShape(None), x.dtype)]
    dims = x.shape.as_tuple()
    if keep_dims:
        out = [1 if i in axes_v else d for i, d in enumerate(dims)]
    else:
        out = [d for i, d in enumerate(dims) if i not in axes_v]
    return [TensorSpec(out, x.dtype)]


def _axes_tuple(x, axes):
    nd = x.ndim
    a = np.asarray(axes).reshape(-1).tolist()  # a scalar, a list, or (as TF takes) any shape
    out = []
    for v in a:
        if not -nd <= v < nd:
            raise InvalidArgumentError(None, None, f"Invalid reduction dimension {int(v)} for "
                                       f"input with {nd} dimensions.")
        out.append(v % nd)
    return tuple(out)


# Reductions call the ufuncs' reduce directly: np.sum & co. add microseconds of Python dispatch.
def _sum_kernel(x, axes, *, keep_dims):
    return np.add.reduce(x, axis=_axes_tuple(x, axes), keepdims=keep_dims, dtype=x.dtype)


def _mean_kernel(x, axes, *, keep_dims):
    ax = _axes_tuple(x, axes)
    if x.dtype.kind in "iu":
        n = int(np.prod([x.shape[a] for a in ax])) if ax else 1
        s = np.sum(x, axis=ax, keepdims=keep_dims,
                   dtype=np.int64 if x.dtype.kind == "i" else np.uint64)
        if n > 1:  # TF divides as C++ does, truncating toward zero: mean([-1, -2, -2]) == -1
            s = _truncating_div(s, n) if x.dtype.kind == "i" else s // n
        return np.asarray(s).astype(x.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.mean(x, axis=ax, keepdims=keep_dims, dtype=x.dtype)


def _truncating_div(s, n):
    """``s / n`` rounded toward zero. An int64 sum wraps around as TF's does; floor division
    plus a step up keeps it in range where negating the wrapped INT64_MIN would overflow."""
    q = s // n
    return q + ((s < 0) & (s % n != 0)).astype(q.dtype)


def _extreme_kernel(ufunc, identity):
    def kernel(x, axes, *, keep_dims):
        ax = _axes_tuple(x, axes)
        if np.size(x) == 0:  # an empty reduction gives the identity: -inf/lowest, inf/highest
            return ufunc.reduce(x, axis=ax, keepdims=keep_dims, initial=identity(x.dtype))
        return ufunc.reduce(x, axis=ax, keepdims=keep_dims)
    return kernel


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype):
    return np.inf if dtype.kind == "f" else np.iinfo(dtype).max


def _prod_kernel(x, axes, *, keep_dims):
    return np.multiply.reduce(x, axis=_axes_tuple(x, axes), keepdims=keep_dims, dtype=x.dtype)


def _all_kernel(x, axes, *, keep_dims):
    return np.logical_and.reduce(x, axis=_axes_tuple(x, axes), keepdims=keep_dims)


def _any_kernel(x, axes, *, keep_dims):
    return np.logical_or.reduce(x, axis=_axes_tuple(x, axes), keepdims=keep_dims)


def _spec(t: Tensor) -> TensorSpec:
    return TensorSpec(t.shape, t.dtype, value_fn=lambda: constant_value(t))


def _reduced_shape_keepdims(op):
    """x's shape with the reduced axes set to 1, as a static list when no unknown dim survives
    the reduction (else None); also the static axes (None if not constant)."""
    x, axes = op.inputs
    rank = x.shape.rank
    axes_v = _reduction_axes(rank, _spec(axes))
    if axes_v is None:
        return None, None
    kept = [1 if i in axes_v else d for i, d in enumerate(x.shape.as_tuple())]
    return (None if None in kept else kept), axes_v


def _kept_dims_shape(op):
    """The reduction's output shape with the reduced dims kept as 1: a list or a Tensor."""
    kept, _ = _reduced_shape_keepdims(op)
    if kept is not None:
        return kept
    x, axes = op.inputs
    return reduced_shape(array_ops.shape(x), axes)


def _with_kept_dims(op, t, kept=None):
    """``t`` (shaped like a reduction's output) reshaped to keep the reduced dims as 1."""
    if op._get_attr("keep_dims"):
        return t
    return array_ops.reshape(t, _kept_dims_shape(op) if kept is None else kept)


def _sum_grad(op, dy):
    if op.outputs[0].shape.rank == 0 and dy.shape.rank == 0:
        g = dy  # a full reduction: the scalar gradient broadcasts as it is
    else:
        g = _with_kept_dims(op, dy)
    return [broadcast_to_shape_of(g, op.inputs[0]), None]


def reduced_shape(input_shape: Tensor, axes: Tensor) -> Tensor:
    """Dynamic ``input_shape`` with ``axes`` set to 1 (TensorFlow's ``reduced_shape``)."""
    rank = array_ops.size(input_shape)
    hit = _axes_mask(rank, axes)
    return where(hit, array_ops.ones_like(input_shape), input_shape)


def _axes_mask(rank: Tensor, axes) -> Tensor:
    """A bool vector of length ``rank``: True at the (possibly negative) ``axes``."""
    axes = floormod(cast(array_ops.reshape(axes, [-1]), _dt.int32), rank)
    return reduce_any(equal(transform_ops.expand_dims(array_ops.range_(rank), 1),
                            transform_ops.expand_dims(axes, 0)), axis=1)


def broadcast_to_shape_of(g: Tensor, x: Tensor) -> Tensor:
    """``g`` (x's shape with reduced dims of size 1) broadcast to x's full shape: one
    BroadcastTo, which the kernel does as a view (no copy, no multiply by ones)."""
    if g.shape.is_fully_defined() and x.shape.is_fully_defined() and g.shape == x.shape:
        return g
    return transform_ops.broadcast_to(g, array_ops.shape(x))


def _mean_grad(op, dy):
    x, axes = op.inputs
    in_n = x.shape.num_elements()
    out_n = op.outputs[0].shape.num_elements()
    if in_n is not None and out_n is not None:
        factor = array_ops.constant(max(in_n // max(out_n, 1), 1), dtype=x.dtype)
    elif out_n == 1:  # a full reduction: the count is just the input's size
        factor = cast(array_ops.size(x), x.dtype)
    else:
        factor = cast(floordiv(array_ops.size(x), maximum(array_ops.size(op.outputs[0]), 1)),
                      x.dtype)
    # Scale the (small) incoming gradient before broadcasting it back to the input's shape.
    return [_sum_grad(op, dy / factor)[0], None]


def _min_or_max_grad(op, dy):
    """TF's Max/Min gradient: dy split evenly between the positions equal to the result."""
    x, axes = op.inputs
    kept = None if op._get_attr("keep_dims") else _kept_dims_shape(op)
    y = _with_kept_dims(op, op.outputs[0], kept)
    g = _with_kept_dims(op, dy, kept)
    indicators = cast(equal(y, x), dy.dtype)
    num_selected = reduce_sum(indicators, axes, keepdims=True)
    return [indicators / num_selected * g, None]


def _prod_grad(op, dy):
    """d prod / d x_i = product of all the other reduced elements, computed with exclusive
    cumulative products (as TensorFlow does) so zeros in the input are handled exactly."""
    x, axes = op.inputs
    g = _with_kept_dims(op, dy)
    static = _static_prod_axes(x, axes)
    if static is not None:
        if not static:
            return [broadcast_to_shape_of(g, x), None]
        return [g * conj(_products_of_others(x, static)), None]  # conj: TF's, for complex
    return [g * conj(_products_of_others_dynamic(x, axes)), None]


def _static_prod_axes(x, axes):
    """The reduced axes as distinct ints when known at graph construction, else None."""
    vals = const_ints(_spec(axes))
    if vals is None:
        return None
    rank = x.shape.rank
    if rank is not None:
        return sorted({normalize_axis(a, rank, "reduction axis") for a in vals})
    if all(a >= 0 for a in vals) or all(a < 0 for a in vals):
        return sorted(set(vals))  # same-sign axes are distinct axes even without the rank
    return None


def _products_of_others(x, axes):
    """For each element, the product of the other elements of its reduction group.

    Over axes a1..ak: others(x) = excl(x, a1) * excl(prod_{a1} x, a2) * ..., where excl(t, a)
    is the product along ``a`` excluding the element itself (two exclusive cumprods).
    """
    acc, t = None, x
    for a in axes:
        e = cumprod(t, a, exclusive=True) * cumprod(t, a, exclusive=True, reverse=True)
        acc = e if acc is None else acc * e
        t = reduce_prod(t, a, keepdims=True)
    return acc


def _products_of_others_dynamic(x, axes):
    """``_products_of_others`` for axes only known at run time (TF's transpose pattern)."""
    rank = array_ops.rank(x)
    hit = _axes_mask(rank, axes)
    reduced = cast(array_ops.reshape(where(hit), [-1]), _dt.int32)
    other = cast(array_ops.reshape(where(logical_not(hit)), [-1]), _dt.int32)
    perm = concat_split_ops.concat([reduced, other], 0)
    shape = array_ops.shape(x)
    ones = array_ops.ones_like(shape)
    reduced_num = reduce_prod(where(hit, shape, ones))
    other_num = reduce_prod(where(hit, ones, shape))
    permuted = transform_ops.transpose(x, perm)
    flat = array_ops.reshape(permuted, concat_split_ops.stack([reduced_num, other_num]))
    y = cumprod(flat, 0, exclusive=True) * cumprod(flat, 0, exclusive=True, reverse=True)
    y = array_ops.reshape(y, array_ops.shape(permuted))
    return transform_ops.transpose(y, transform_ops.invert_permutation(perm))


def _reduction(type_, kernel, grad, allowed=None, input_spec="input:T"):
    infer = _reduce_infer if allowed is None else _typed(_reduce_infer, allowed, "input")
    return register(OpDef(
        type_, inputs=[input_spec, "reduction_indices:Tidx=int32"], attrs={"keep_dims": False},
        kernel=kernel, infer=infer, grad=grad,
    ))


SUM = _reduction("Sum", _sum_kernel, _sum_grad)
MEAN = _reduction("Mean", _mean_kernel, _mean_grad)
MAX = _reduction("Max", _extreme_kernel(np.maximum, _lowest), _min_or_max_grad, _REAL)
MIN = _reduction("Min", _extreme_kernel(np.minimum, _highest), _min_or_max_grad, _REAL)
PROD = _reduction("Prod", _prod_kernel, _prod_grad, _NUMBER)
ALL = _reduction("All", _all_kernel, NOT_DIFFERENTIABLE, input_spec="input:bool")
ANY = _reduction("Any", _any_kernel, NOT_DIFFERENTIABLE, input_spec="input:bool")

# -- ArgMax / ArgMin ----------------------------------------------------------------------------


def _arg_infer(x, dim, *, output_type):
    _check_dtype(x, _REAL + ("bool",), "input")
    if output_type.name not in ("int16", "uint16", "int32", "int64"):
        raise TypeError(f"Value passed to parameter 'output_type' has DataType "
                        f"{output_type.name} not in list of allowed values: int16, uint16, "
                        "int32, int64")
    if dim.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {dim.shape.rank}")
    rank = x.shape.rank
    if rank is None:
        return [TensorSpec(None, output_type)]
    vals = const_ints(dim)
    if vals is None:
        return [TensorSpec([None] * max(rank - 1, 0), output_type)]
    d = vals[0]
    if not -rank <= d < rank:
        raise shape_error(f"Dimension ({d}) must be in the range [{-rank}, {rank}), where "
                          f"{rank} is the number of dimensions in the input.")
    dims = x.shape.as_tuple()
    return [TensorSpec(dims[:d % rank] + dims[d % rank + 1:], output_type)]


def _arg_kernel(fn, sign):
    """ArgMax (sign 1) / ArgMin (sign -1). TF scans with a strict comparison starting from
    (index 0, the dtype's lowest/highest finite value): NaN never wins and a slice with nothing
    better than that start gives 0. numpy's NaN-first answer is corrected only when NaN occur."""
    def kernel(x, dim, *, output_type):
        if np.ndim(dim) != 0:
            raise InvalidArgumentError(None, None, "dimension must be a scalar, got shape "
                                       f"{_dims(dim)}")
        d, nd = int(dim), np.ndim(x)
        if not -nd <= d < nd:
            raise InvalidArgumentError(None, None, f"Expected dimension in the range [{-nd}, "
                                       f"{nd}), but got {d}")
        if np.shape(x)[d] == 0:
            raise InvalidArgumentError(None, None, f"Reduction axis {d} is empty in shape "
                                       f"{_dims(x)}")
        x = np.asarray(x)
        if x.dtype.kind == "f" and np.isnan(x).any():
            x = np.where(np.isnan(x), -sign * np.inf, x)
            idx = fn(x, axis=d)
            best = np.take_along_axis(x, np.expand_dims(idx, d), d).squeeze(d)
            start = np.finfo(x.dtype).min if sign > 0 else np.finfo(x.dtype).max
            idx = np.where(sign * best > sign * start, idx, 0)
        else:
            idx = fn(x, axis=d)
        return np.asarray(idx).astype(output_type.as_numpy_dtype, copy=False)
    return kernel


ARG_MAX = register(OpDef(
    "ArgMax", inputs=["input:T", "dimension:Tidx=int32"], attrs={"output_type": _dt.int64},
    kernel=_arg_kernel(np.argmax, 1), infer=_arg_infer, grad=NOT_DIFFERENTIABLE,
))
ARG_MIN = register(OpDef(
    "ArgMin", inputs=["input:T", "dimension:Tidx=int32"], attrs={"output_type": _dt.int64},
    kernel=_arg_kernel(np.argmin, -1), infer=_arg_infer, grad=NOT_DIFFERENTIABLE,
))

# -- Cumsum / Cumprod ---------------------------------------------------------------------------


def _scan_kernel(fn, identity):
    def kernel(x, axis, *, exclusive, reverse):
        if np.ndim(axis) != 0:
            raise InvalidArgumentError(None, None, "ScanOp: axis must be a scalar, not a tensor "
                                       f"of shape {_dims(axis)}")
        nd, a = np.ndim(x), int(axis)
        if not -nd <= a < nd:
            raise InvalidArgumentError(None, None, f"ScanOp: Expected scan axis in the range "
                                       f"[{-nd}, {nd}), but got {a}")
        a %= nd
        x = np.asarray(x)
        if reverse:
            x = np.flip(x, a)
        if exclusive:
            out = np.empty(x.shape, x.dtype)
            head, tail, rest = ([slice(None)] * nd for _ in range(3))
            head[a], tail[a], rest[a] = slice(0, 1), slice(1, None), slice(None, -1)
            out[tuple(head)] = identity
            fn(x[tuple(rest)], axis=a, dtype=x.dtype, out=out[tuple(tail)])
        else:
            out = fn(x, axis=a, dtype=x.dtype)
        return np.flip(out, a) if reverse else out
    return kernel


def _cumsum_grad(op, dy):
    return [cumsum(dy, op.inputs[1], exclusive=op._get_attr("exclusive"),
                   reverse=not op._get_attr("reverse")), None]


def _cumprod_grad(op, dy):
    # TF's rule (exact away from zeros; div_no_nan gives 0 where x is 0).
    x, axis = op.inputs
    ex, rev = op._get_attr("exclusive"), op._get_attr("reverse")
    prod = cumprod(x, axis, exclusive=ex, reverse=rev)
    out = cumsum(prod * dy, axis, exclusive=ex, reverse=not rev)
    return [div_no_nan(out, x), None]


def _scan(type_, kernel, grad):
    return register(OpDef(
        type_, inputs=["x:T", "axis:Tidx=int32"], attrs={"exclusive": False, "reverse": False},
        kernel=kernel, grad=grad,
        infer=_typed(lambda x, axis, **_: [TensorSpec(x.shape, x.dtype)], _NUMBER),
    ))


CUMSUM = _scan("Cumsum", _scan_kernel(np.cumsum, 0), _cumsum_grad)
CUMPROD = _scan("Cumprod", _scan_kernel(np.cumprod, 1), _cumprod_grad)


# == Public wrappers (TF1 names, signatures and default node names) ============================


def _deprecated_lookup(new_name, new_value, old_name, old_value):
    if old_value is None:
        return new_value
    if new_value is not None:
        raise ValueError(f"Cannot specify both '{old_name}' and '{new_name}'.")
    return old_value


def _axis_arg(input_tensor, axis):
    """Reduction axes: ``axis``, or all axes (a Const when the rank is known, as TF does)."""
    x = convert_to_tensor(input_tensor)
    if axis is not None:
        return x, axis
    rank = x.shape.rank
    if rank is not None:
        return x, array_ops.constant(np.arange(rank, dtype=np.int32))
    return x, array_ops.range_(0, array_ops.rank(x))


def _reducer(opdef, default_name):
    def reduce(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
        axis = _deprecated_lookup("axis", axis, "reduction_indices", reduction_indices)
        keep = _deprecated_lookup("keepdims", keepdims, "keep_dims", keep_dims)
        keep = bool(keep) if keep is not None else False
        x, axes = _axis_arg(input_tensor, axis)
        return _may_reduce_to_scalar(keep, axis, opdef(x, axes, keep_dims=keep,
                                                       name=name or default_name))
    reduce.__name__ = reduce.__qualname__ = f"reduce_{default_name.lower()}"
    return reduce


def _may_reduce_to_scalar(keepdims, axis, output):
    """A full reduction without keepdims is a scalar even when the input's rank is unknown."""
    if not output.shape.is_fully_defined() and not keepdims and axis is None:
        output.set_shape([])
    return output


reduce_sum = _reducer(SUM, "Sum")
reduce_mean = _reducer(MEAN, "Mean")
reduce_max = _reducer(MAX, "Max")
reduce_min = _reducer(MIN, "Min")
reduce_prod = _reducer(PROD, "Prod")
reduce_all = _reducer(ALL, "All")
reduce_any = _reducer(ANY, "Any")


def reduce_logsumexp(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
                     keep_dims=None):
    """log(sum(exp(x))) computed stably around the (gradient-stopped) maximum, as TF does."""
    axis = _deprecated_lookup("axis", axis, "reduction_indices", reduction_indices)
    keep = _deprecated_lookup("keepdims", keepdims, "keep_dims", keep_dims)
    keep = bool(keep) if keep is not None else False
    with _scope(name, "ReduceLogSumExp", (input_tensor,)) as scope:
        raw_max = reduce_max(input_tensor, axis=axis, keepdims=True)
        my_max = array_ops.stop_gradient(SELECT_V2(is_finite(raw_max), raw_max, 0))
        result = log(reduce_sum(exp(subtract(input_tensor, my_max)), axis=axis, keepdims=keep))
        if not keep:
            # gen_array_ops.shape in TF: a Shape node even for a fully known shape
            my_max = array_ops.reshape(my_max, array_ops.SHAPE(result, out_type=_dt.int32))
        return _may_reduce_to_scalar(keep, axis, add(result, my_max, name=scope))


def count_nonzero(input_tensor=None, axis=None, keepdims=None, dtype=_dt.int64, name=None,
                  reduction_indices=None, keep_dims=None, input=None):  # noqa: A002
    """The number of non-zero elements along ``axis`` (NotEqual, Cast to int64, Sum)."""
    input_tensor = _deprecated_lookup("input", input, "input_tensor", input_tensor)
    axis = _deprecated_lookup("axis", axis, "reduction_indices", reduction_indices)
    keep = _deprecated_lookup("keepdims", keepdims, "keep_dims", keep_dims)
    with _scope(name, "count_nonzero", (input_tensor,)):
        x = convert_to_tensor(input_tensor, name="input")
        zero = array_ops.zeros([], dtype=x.dtype)
        nonzero = cast(not_equal(x, zero), _dt.int64)
        return cast(reduce_sum(nonzero, axis=axis, keepdims=keep), dtype)


def argmax(input, axis=None, name=None, dimension=None,  # noqa: A002 - TF's argument name
           output_type=_dt.int64):
    axis = _deprecated_lookup("axis", axis, "dimension", dimension)
    return ARG_MAX(input, 0 if axis is None else axis, output_type=_dt.as_dtype(output_type),
                   name=name or "ArgMax")


def argmin(input, axis=None, name=None, dimension=None,  # noqa: A002 - TF's argument name
           output_type=_dt.int64):
    axis = _deprecated_lookup("axis", axis, "dimension", dimension)
    return ARG_MIN(input, 0 if axis is None else axis, output_type=_dt.as_dtype(output_type),
                   name=name or "ArgMin")


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    with _scope(name, "Cumsum", (x,)) as scope:
        x = convert_to_tensor(x, name="x")
        return CUMSUM(x, axis, exclusive=exclusive, reverse=reverse, name=scope)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    with _scope(name, "Cumprod", (x,)) as scope:
        x = convert_to_tensor(x, name="x")
        return CUMPROD(x, axis, exclusive=exclusive, reverse=reverse, name=scope)
