"""Shape plumbing: Shape, ShapeN, Size, Rank (queries of a tensor's static or run-time shape),
Reshape, and BroadcastGradientArgs (the reduction axes of a broadcast, for gradients).

The wrappers fold what is statically known into a Const, as TF1 does; a SparseTensor's shape,
size and rank come from its dense_shape. Split from array_ops (which re-exports everything here)
to keep each family readable in one sitting; the value generators built on Reshape are fill_ops'.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register
from ._util import const_ints, shape_error, shape_from_value
from .constant_ops import constant

__all__ = ["shape", "reshape", "size", "rank", "shape_n"]


# -- Shape queries ------------------------------------------------------------------------------


def _shape_infer(x, *, out_type):
    dims = x.shape.as_tuple()
    value = None
    if x.shape.is_fully_defined():
        value = np.array(dims, dtype=out_type.as_numpy_dtype)
    return [TensorSpec([None if dims is None else len(dims)], out_type, value=value)]


SHAPE = register(OpDef(
    "Shape", inputs=["input:T"], attrs={"out_type": _dt.int32},
    kernel=lambda x, *, out_type: np.array(np.shape(x), dtype=out_type.as_numpy_dtype),
    infer=_shape_infer,
    grad=NOT_DIFFERENTIABLE,
))


def shape(input, name=None, out_type=_dt.int32):  # noqa: A002
    """TF1 folds a fully known shape into a Const named "Shape"; otherwise a Shape op. A
    SparseTensor's shape is its dense_shape (cast), as in TF1."""
    out_type = _dt.as_dtype(out_type)
    if _is_sparse_tensor(input):
        from .math_ops import cast

        return cast(input.dense_shape, out_type, name=name)
    x = convert_to_tensor(input)
    if x.shape.is_fully_defined():
        return constant(np.array(x.shape.as_list(), dtype=out_type.as_numpy_dtype),
                        name=name or "Shape")
    return SHAPE(x, out_type=out_type, name=name)


def _is_sparse_tensor(x) -> bool:
    from ..sparse_tensor import SparseTensor  # (it imports the graph, as this module does)

    return isinstance(x, SparseTensor)


# -- Reshape ----------------------------------------------------------------------------------


def _empty_reshape(have, dims):
    """The -1 of a reshape of no elements to a shape with a 0 in it (numpy cannot infer it):
    TF divides the input's nonzero dims by the output's, rounding down: (0, 3) to [-1, 0] is
    (3, 0), to [-1, 3, 0] is (1, 3, 0), to [-1, 0, 2] is (1, 0, 2)."""
    known = int(np.prod([d for d in dims if d > 0]))
    return [int(np.prod([d for d in have if d > 0])) // known if d == -1 else d for d in dims]


def _reshape_kernel(x, shape):
    dims = shape.tolist()
    if not dims or min(dims) >= -1:  # numpy would take any negative size for -1
        try:
            return np.asarray(x).reshape(dims)  # the method: np.reshape adds dispatch
        except ValueError:
            pass  # the checks below only on failure: the common path stays one numpy call
    x = np.asarray(x)
    for i, d in enumerate(dims):
        if d < -1:
            raise InvalidArgumentError(None, None, f"Size {i} must be non-negative, not {d}")
    if dims.count(-1) > 1:
        raise InvalidArgumentError(None, None, "only one input size may be -1, not both")
    if -1 in dims and x.size == 0 and 0 in dims:
        return x.reshape(_empty_reshape(x.shape, dims))
    known = int(np.prod([d for d in dims if d >= 0]))
    raise InvalidArgumentError(  # TF's words: with a -1 the size must be a multiple
        None, None, f"Input to reshape is a tensor with {x.size} values, but the requested "
        f"shape {'requires a multiple of' if -1 in dims else 'has'} {known}")


def _elements(dims) -> tuple:
    """(known element count, index of the one unknown dim or -1), as TF's reshape shape function
    counts them: any 0 makes the count a known 0; None for the index when two are unknown."""
    if 0 in dims:
        return 0, -1
    known, unknown = 1, -1
    for i, d in enumerate(dims):
        if d is None:
            if unknown >= 0:
                return known, None
            unknown = i
        else:
            known *= d
    return known, unknown


def _divide(total, by):
    if total % by:
        raise shape_error(f"Dimension size must be evenly divisible by {by} but is {total}")
    return total // by


def _reshape_infer(x, shape):
    """TF's SetOutputShapeForReshape: the target read as a partial shape (``[n, 3]`` is (?, 3),
    -1 unknown); with one unknown dim on a side and the other side's element count known, it
    is worked out (a known input of 6 elements to (?, 3) is (2, 3)) or found not to divide."""
    bad = [v for v in const_ints(shape) or () if v < -1]
    if bad:
        raise shape_error(f"Invalid value in tensor used for shape: {bad[0]}")
    target = shape_from_value(shape)
    if target.rank is None or x.shape.rank is None:
        return [TensorSpec(target, x.dtype)]
    out, ins = list(target.as_tuple()), x.shape.as_tuple()
    n_out, out_unknown = _elements(out)
    n_in, in_unknown = _elements(ins)
    if out_unknown is None or in_unknown is None:  # too many unknown dims to say anything
        pass
    elif in_unknown < 0 and out_unknown < 0:
        if n_in != n_out:
            raise shape_error(f"Cannot reshape a tensor with {n_in} elements to shape "
                              f"{target.debug_string()} ({n_out} elements)")
    elif in_unknown < 0 and n_out > 0:
        out[out_unknown] = _divide(n_in, n_out)
    elif out_unknown < 0 and n_in != 0:
        _divide(n_out, n_in)  # the input's unknown dim must be a whole number
    elif in_unknown >= 0 and out_unknown >= 0 and n_in == n_out:
        out[out_unknown] = ins[in_unknown]
    return [TensorSpec(out, x.dtype)]


RESHAPE = register(OpDef(
    "Reshape", inputs=["tensor:T", "shape:Tshape=int32"],
    kernel=_reshape_kernel,
    infer=_reshape_infer,
    grad=lambda op, dy: [reshape(dy, shape(op.inputs[0])), None],
))


def reshape(tensor, shape, name=None):
    return RESHAPE(tensor, shape, name=name)


# -- BroadcastGradientArgs --------------------------------------------------------------------


def _bga_kernel(s0, s1):
    s0, s1 = np.asarray(s0), np.asarray(s1)
    dt = s0.dtype
    s0, s1 = s0.tolist(), s1.tolist()
    if s0 == s1:  # nothing was broadcast: nothing to reduce (TF's fast path, 1s included)
        return np.empty(0, dt), np.empty(0, dt)
    n = max(len(s0), len(s1))
    a = [1] * (n - len(s0)) + s0
    b = [1] * (n - len(s1)) + s1
    r0, r1 = [], []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise InvalidArgumentError(None, None, f"Incompatible shapes: {s0} vs. {s1}")
        if x == 1 and y != 1:
            r0.append(i)
        elif y == 1 and x != 1:
            r1.append(i)
        elif x == 1 and y == 1:
            r0.append(i)
            r1.append(i)
    return np.array(r0, dtype=dt), np.array(r1, dtype=dt)


BROADCAST_GRADIENT_ARGS = register(OpDef(
    "BroadcastGradientArgs", inputs=["s0:T=int32", "s1:T=int32"],
    kernel=_bga_kernel,
    infer=lambda s0, s1: [TensorSpec([None], s0.dtype), TensorSpec([None], s0.dtype)],
    grad=NOT_DIFFERENTIABLE,
))


def broadcast_gradient_args(s0, s1, name=None):
    return BROADCAST_GRADIENT_ARGS(s0, s1, name=name)


# -- Size / Rank --------------------------------------------------------------------------------


def _size_infer(x, *, out_type):
    n = x.shape.num_elements()
    if n is None and x.shape.rank and 0 in x.shape.as_tuple():
        n = 0  # a zero dim makes the size known even with other dims unknown
    value = None if n is None else np.array(n, dtype=out_type.as_numpy_dtype)
    return [TensorSpec([], out_type, value=value)]


SIZE = register(OpDef(
    "Size", inputs=["input:T"], attrs={"out_type": _dt.int32},
    kernel=lambda x, *, out_type: np.array(np.size(x), dtype=out_type.as_numpy_dtype),
    infer=_size_infer,
    grad=NOT_DIFFERENTIABLE,
))


def _rank_infer(x):
    r = x.shape.rank
    return [TensorSpec([], _dt.int32, value=None if r is None else np.array(r, np.int32))]


RANK = register(OpDef(
    "Rank", inputs=["input:T"],
    kernel=lambda x: np.array(np.ndim(x), dtype=np.int32),
    infer=_rank_infer,
    grad=NOT_DIFFERENTIABLE,
))


def size(input, name=None, out_type=_dt.int32):  # noqa: A002
    """Like TF1, a Const when the size is statically known, else a Size op (a SparseTensor's:
    the product of its dense_shape)."""
    out_type = _dt.as_dtype(out_type)
    if _is_sparse_tensor(input):
        from .math_ops import cast
        from .reduction_ops import reduce_prod

        return reduce_prod(cast(input.dense_shape, out_type), 0, name=name or "Size")
    x = convert_to_tensor(input)
    n = x.shape.num_elements()
    if n is not None:
        return constant(np.array(n, dtype=out_type.as_numpy_dtype), name=name or "Size")
    return SIZE(x, out_type=out_type, name=name or "Size")


def rank(input, name=None):  # noqa: A002
    """Like TF1, a Const when the rank is statically known, else a Rank op (a SparseTensor's:
    the length of its dense_shape)."""
    if _is_sparse_tensor(input):
        return size(input.dense_shape, name=name or "Rank")
    x = convert_to_tensor(input)
    if x.shape.rank is not None:
        return constant(np.array(x.shape.rank, dtype=np.int32), name=name or "Rank")
    return RANK(x, name=name or "Rank")


# -- ShapeN (TensorFlow's Conv2D gradient uses it) ------------------------------------------------

def _shape_n_kernel(xs, *, out_type):
    outs = [np.array(np.shape(x), dtype=out_type.as_numpy_dtype) for x in xs]
    return outs[0] if len(outs) == 1 else outs  # one output: the plan's single slot


SHAPE_N = register(OpDef(
    "ShapeN", inputs=["input:N*T"], attrs={"out_type": _dt.int32},
    kernel=_shape_n_kernel,
    infer=lambda xs, *, out_type: [_shape_infer(x, out_type=out_type)[0] for x in xs],
    grad=NOT_DIFFERENTIABLE,
))


def shape_n(input, out_type=_dt.int32, name=None):  # noqa: A002
    """A list of the inputs' shapes, a list even for one input (as TF's)."""
    out = SHAPE_N(list(input), out_type=_dt.as_dtype(out_type), name=name or "ShapeN")
    return out if isinstance(out, list) else [out]
