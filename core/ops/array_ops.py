"""Constants, placeholders, identity and shape plumbing."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import (Tensor, constant_value, convert_to_tensor, get_default_graph, name_scope,
                     to_numpy)
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, identity_kernel, register, req
from ..tensor_shape import TensorShape, as_shape
from ._util import const_ints, same_as, shape_error, shape_from_value

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = [
    "constant", "placeholder", "placeholder_with_default", "identity", "stop_gradient",
    "no_op", "group", "shape", "reshape", "fill", "zeros", "ones", "zeros_like", "ones_like",
    "size", "rank", "expand_dims", "squeeze", "transpose", "invert_permutation", "concat",
    "stack", "unstack", "split", "tile", "one_hot", "pad",
]

# -- Const ---------------------------------------------------------------------------------------


def _const_infer(*, value, dtype):
    if _dt.from_numpy(value) != dtype and dtype is not _dt.string:
        raise shape_error(f"Const value has dtype {value.dtype}, attr dtype is {dtype.name}")
    return [TensorSpec(value.shape, dtype, value=value)]


CONST = register(OpDef(
    "Const", attrs={"value": req("tensor"), "dtype": req("type")},
    kernel=lambda *, value, dtype: value,
    infer=_const_infer,
    grad=NOT_DIFFERENTIABLE,
))


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False):
    """``tf.constant``: a Const node; with ``shape``, a scalar or short list fills it (TF1)."""
    dtype = _dt.as_dtype(dtype) if dtype is not None else None
    arr = to_numpy(value, dtype)
    if shape is not None:
        shape = tuple(as_shape(shape).as_list())
        n = int(np.prod(shape, dtype=np.int64))
        if arr.shape != shape:
            if verify_shape:
                raise TypeError(f"Expected Tensor's shape: {shape}, got {arr.shape}.")
            flat = arr.reshape(-1)
            if flat.size == n:
                arr = flat.reshape(shape)
            elif flat.size and flat.size < n:  # TF1 repeats the last value
                arr = np.concatenate([flat, np.repeat(flat[-1:], n - flat.size)]).reshape(shape)
            else:
                raise TypeError(f"Too many elements provided. Needed at most {n}, but received "
                                f"{flat.size}")
    arr.flags.writeable = False
    return CONST(value=arr, dtype=_dt.from_numpy(arr) if dtype is None else dtype, name=name)


# -- Placeholders -------------------------------------------------------------------------------


def _placeholder_kernel(op_name, *, dtype, shape):
    # Runs only when the placeholder is needed and was not fed.
    msg = (f"You must feed a value for placeholder tensor '{op_name}' with dtype "
           f"{_dt.dtype_string(dtype)}")
    if shape.rank:  # TF omits the shape for scalars and unknown rank
        msg += f" and shape {shape.debug_string()}"
    raise InvalidArgumentError(None, None, msg)


PLACEHOLDER = register(OpDef(
    "Placeholder", attrs={"dtype": req("type"), "shape": TensorShape(None)},
    kernel=_placeholder_kernel, resource="name",
    infer=lambda *, dtype, shape: [TensorSpec(shape, dtype)],
    grad=NOT_DIFFERENTIABLE,
))


def placeholder(dtype, shape=None, name=None):
    """``tf.placeholder``: a value that must be fed (shape None = any shape)."""
    return PLACEHOLDER(dtype=_dt.as_dtype(dtype), shape=as_shape(shape), name=name)


def _pwd_infer(inp, *, dtype, shape):
    if not inp.shape.is_compatible_with(shape):
        raise shape_error(f"default value of shape {inp.shape} is not compatible with shape "
                          f"{shape}")
    return [TensorSpec(shape, dtype)]


PLACEHOLDER_WITH_DEFAULT = register(OpDef(
    "PlaceholderWithDefault", inputs=["input:dtype"],
    attrs={"dtype": req("type"), "shape": req("shape")},
    kernel=lambda x, *, dtype, shape: x,
    infer=_pwd_infer,
    grad=lambda op, dy: [dy],
))


def placeholder_with_default(input, shape, name=None):  # noqa: A002 - TF's argument name
    x = convert_to_tensor(input)
    return PLACEHOLDER_WITH_DEFAULT(x, dtype=x.dtype, shape=as_shape(shape), name=name)


# -- Identity and friends -----------------------------------------------------------------------

IDENTITY = register(OpDef(
    "Identity", inputs=["input:T"],
    kernel=identity_kernel,
    infer=lambda x: same_as(x),
    grad=lambda op, dy: [dy],
))

STOP_GRADIENT = register(OpDef(
    "StopGradient", inputs=["input:T"],
    kernel=identity_kernel,
    infer=lambda x: same_as(x),
    grad=NOT_DIFFERENTIABLE,
))

NO_OP = register(OpDef(
    "NoOp",
    kernel=lambda: (),
    infer=lambda: [],
    grad=NOT_DIFFERENTIABLE,
))


def identity(input, name=None):  # noqa: A002
    return IDENTITY(input, name=name)


def stop_gradient(input, name=None):  # noqa: A002
    return STOP_GRADIENT(input, name=name)


def no_op(name=None):
    return NO_OP(name=name)


def group(*inputs, name=None):
    """A NoOp that runs after all ``inputs`` (ops or tensors)."""
    ops = []
    for x in inputs:
        for y in (x if isinstance(x, (list, tuple)) else [x]):
            conv = getattr(y, "_as_graph_element", None)
            y = conv() if conv is not None else y
            ops.append(getattr(y, "op", y))
    g = ops[0].graph if ops else get_default_graph()
    with g.as_default(), g.control_dependencies(ops):
        return NO_OP(name=name or "group_deps")


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
    """TF1 folds a fully known shape into a Const named "Shape"; otherwise a Shape op."""
    x = convert_to_tensor(input)
    out_type = _dt.as_dtype(out_type)
    if x.shape.is_fully_defined():
        return constant(np.array(x.shape.as_list(), dtype=out_type.as_numpy_dtype),
                        name=name or "Shape")
    return SHAPE(x, out_type=out_type, name=name)


def _reshape_kernel(x, shape):
    try:
        return np.reshape(x, shape)
    except ValueError:
        raise InvalidArgumentError(
            None, None, f"Input to reshape is a tensor with {np.size(x)} values, but the "
            f"requested shape has {int(np.prod([d for d in shape if d >= 0]))}") from None


def _reshape_infer(x, shape):
    target = shape_from_value(shape)
    dims = target.as_tuple()
    n_in = x.shape.num_elements()
    if dims is not None and const_ints(shape) is not None:
        vals = const_ints(shape)
        if sum(1 for v in vals if v == -1) > 1:
            raise shape_error("Cannot infer multiple unknown dimensions in shape "
                              f"{vals}")
        known = int(np.prod([v for v in vals if v >= 0])) if vals else 1
        if -1 in vals:
            if n_in is not None:
                if known == 0 or n_in % known:
                    raise shape_error(f"Cannot reshape a tensor with {n_in} elements to "
                                      f"shape {vals}")
                target = TensorShape([n_in // known if v == -1 else v for v in vals])
        elif n_in is not None and n_in != known:
            raise shape_error(f"Cannot reshape a tensor with {n_in} elements to shape {vals} "
                              f"({known} elements)")
    return [TensorSpec(target, x.dtype)]


RESHAPE = register(OpDef(
    "Reshape", inputs=["tensor:T", "shape:Tshape=int32"],
    kernel=_reshape_kernel,
    infer=_reshape_infer,
    grad=lambda op, dy: [reshape(dy, shape(op.inputs[0])), None],
))


def reshape(tensor, shape, name=None):
    return RESHAPE(tensor, shape, name=name)


def _fill_infer(dims, value):
    if value.shape.rank not in (None, 0):
        raise shape_error(f"value must be a scalar, got shape {value.shape}")
    return [TensorSpec(shape_from_value(dims), value.dtype)]


def _fill_kernel(dims, value):
    if np.any(np.asarray(dims) < 0):
        raise InvalidArgumentError(None, None, f"dims must be non-negative, got {list(dims)}")
    return np.full(tuple(dims), value, dtype=np.asarray(value).dtype)


FILL = register(OpDef(
    "Fill", inputs=["dims:index_type=int32", "value:T"],
    kernel=_fill_kernel,
    infer=_fill_infer,
    grad=lambda op, dy: [None, _reduce_all(dy)],
))


def _reduce_all(t):
    from .math_ops import reduce_sum

    return reduce_sum(t)


def fill(dims, value, name=None):
    return FILL(dims, value, name=name)


def _bga_kernel(s0, s1):
    dt = np.asarray(s0).dtype
    s0, s1 = [int(v) for v in s0], [int(v) for v in s1]
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


def zeros(shape, dtype=_dt.float32, name=None):
    dtype = _dt.as_dtype(dtype)
    static = _static_shape_list(shape)
    if static is not None:
        return constant(np.zeros(static, dtype=dtype.as_numpy_dtype), dtype=dtype,
                        name=name or "zeros")
    return fill(shape, constant(0, dtype=dtype), name=name or "zeros")


def ones(shape, dtype=_dt.float32, name=None):
    dtype = _dt.as_dtype(dtype)
    static = _static_shape_list(shape)
    if static is not None:
        return constant(np.ones(static, dtype=dtype.as_numpy_dtype), dtype=dtype,
                        name=name or "ones")
    return fill(shape, constant(1, dtype=dtype), name=name or "ones")


def _static_shape_list(shape):
    if hasattr(shape, "op") or hasattr(shape, "_as_tensor"):
        return None
    if isinstance(shape, TensorShape):
        return shape.as_list() if shape.is_fully_defined() else None
    try:
        return [int(d) for d in (shape if isinstance(shape, (list, tuple)) else [shape])] \
            if not isinstance(shape, (int, np.integer)) else [int(shape)]
    except TypeError:
        return None


def _like_kernel(fill_value):
    def kernel(x):
        return np.full(np.shape(x), fill_value, dtype=np.asarray(x).dtype)
    return kernel


ZEROS_LIKE = register(OpDef(
    "ZerosLike", inputs=["x:T"], kernel=_like_kernel(0), infer=lambda x: same_as(x),
    grad=NOT_DIFFERENTIABLE,
))
ONES_LIKE = register(OpDef(
    "OnesLike", inputs=["x:T"], kernel=_like_kernel(1), infer=lambda x: same_as(x),
    grad=NOT_DIFFERENTIABLE,
))


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    x = convert_to_tensor(tensor)
    out = ZEROS_LIKE(x, name=name or "zeros_like")
    if dtype is not None and _dt.as_dtype(dtype) != x.dtype:
        from .math_ops import cast

        out = cast(out, dtype)
    return out


def ones_like(tensor, dtype=None, name=None, optimize=True):
    x = convert_to_tensor(tensor)
    out = ONES_LIKE(x, name=name or "ones_like")
    if dtype is not None and _dt.as_dtype(dtype) != x.dtype:
        from .math_ops import cast

        out = cast(out, dtype)
    return out


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
    """Like TF1, a Const when the size is statically known, else a Size op."""
    x = convert_to_tensor(input)
    out_type = _dt.as_dtype(out_type)
    n = x.shape.num_elements()
    if n is not None:
        return constant(np.array(n, dtype=out_type.as_numpy_dtype), name=name or "Size")
    return SIZE(x, out_type=out_type, name=name or "Size")


def rank(input, name=None):  # noqa: A002
    """Like TF1, a Const when the rank is statically known, else a Rank op."""
    x = convert_to_tensor(input)
    if x.shape.rank is not None:
        return constant(np.array(x.shape.rank, dtype=np.int32), name=name or "Rank")
    return RANK(x, name=name or "Rank")


# -- ExpandDims / Squeeze -----------------------------------------------------------------------


def _scalar_axis(value, what):
    """A scalar (or one-element) axis argument as an int."""
    arr = np.asarray(value)
    if arr.size != 1:
        raise InvalidArgumentError(None, None, f"'{what}' must be a tensor with a single value, "
                                   f"got {arr.tolist()}")
    return int(arr.reshape(-1)[0])


def _expand_dims_kernel(x, dim):
    x = np.asarray(x)
    axis = _scalar_axis(dim, "dim")
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise InvalidArgumentError(None, None, f"Tried to expand dim index {axis} for tensor "
                                   f"with {x.ndim} dimensions.")
    return np.expand_dims(x, axis)


def _expand_dims_infer(x, dim):
    if dim.shape.num_elements() not in (None, 1):
        raise shape_error(f"'dim' must be a tensor with a single value, got shape {dim.shape}")
    dims = x.shape.as_tuple()
    if dims is None:
        return [TensorSpec(None, x.dtype)]
    vals = const_ints(dim)
    if vals is None:
        return [TensorSpec([None] * (len(dims) + 1), x.dtype)]
    axis = vals[0]
    if not -len(dims) - 1 <= axis <= len(dims):
        raise shape_error(f"dim {axis} not in the interval [{-len(dims) - 1}, {len(dims)}].")
    axis = axis % (len(dims) + 1)
    return [TensorSpec(dims[:axis] + (1,) + dims[axis:], x.dtype)]


EXPAND_DIMS = register(OpDef(
    "ExpandDims", inputs=["input:T", "dim:Tdim=int32"],
    kernel=_expand_dims_kernel,
    infer=_expand_dims_infer,
    grad=lambda op, dy: [reshape(dy, shape(op.inputs[0])), None],
))


def expand_dims(input, axis=None, name=None, dim=None):  # noqa: A002
    if dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'dim'")
        axis = dim
    if axis is None:
        raise ValueError("Must specify an axis argument to tf.expand_dims()")
    return EXPAND_DIMS(input, axis, name=name or "ExpandDims")


# -- Range --------------------------------------------------------------------------------------


def _range_length(start, limit, delta):
    """TF's element count, computed in the op's dtype; raises TF's messages."""
    if delta == 0:
        raise InvalidArgumentError(None, None, f"Requires delta != 0: {delta}")
    if delta > 0 and start > limit:
        raise InvalidArgumentError(None, None, f"Requires start <= limit when delta > 0: "
                                   f"{start}/{limit}")
    if delta < 0 and start < limit:
        raise InvalidArgumentError(None, None, f"Requires start >= limit when delta < 0: "
                                   f"{start}/{limit}")
    if np.issubdtype(np.asarray(start).dtype, np.integer):
        s, lim, d = int(start), int(limit), int(delta)
        return (abs(lim - s) + abs(d) - 1) // abs(d)
    return int(np.ceil(np.abs((limit - start) / delta)))


def _range_kernel(start, limit, delta):
    start, limit, delta = (np.asarray(v) for v in (start, limit, delta))
    for v, what in ((start, "start"), (limit, "limit"), (delta, "delta")):
        if v.ndim:
            raise InvalidArgumentError(None, None, f"{what} must be a scalar, not shape "
                                       f"{list(v.shape)}")
    n = _range_length(start[()], limit[()], delta[()])
    dt = start.dtype
    # start + i * delta in the op's dtype (float16 via float32 so the steps stay exact enough)
    work = np.float32 if dt == np.float16 else dt
    return (work.type(start) + np.arange(n, dtype=work) * work.type(delta)).astype(dt, copy=False)


def _range_infer(start, limit, delta):
    for s, what in ((start, "start"), (limit, "limit"), (delta, "delta")):
        if s.shape.rank not in (None, 0):
            raise shape_error(f"{what} must be a scalar, not shape {s.shape}")
    vals = [s.value for s in (start, limit, delta)]
    if any(v is None for v in vals):
        return [TensorSpec([None], start.dtype)]
    n = _range_length(*(np.asarray(v)[()] for v in vals))
    return [TensorSpec([n], start.dtype)]


RANGE = register(OpDef(
    "Range", inputs=["start:Tidx=int32", "limit:Tidx=int32", "delta:Tidx=int32"],
    kernel=_range_kernel,
    infer=_range_infer,
    grad=NOT_DIFFERENTIABLE,
))

# tf.range infers the op dtype as the widest of its arguments in this order.
_RANGE_DTYPES = (_dt.int32, _dt.int64, _dt.float16, _dt.float32, _dt.float64)


def range_(start, limit=None, delta=1, dtype=None, name="range"):
    """``tf.range``: exported as ``tf.range`` by the package (not shadowing the builtin here)."""
    from .math_ops import cast

    if limit is None:
        start, limit = 0, start
    with name_scope(name, "Range", [start, limit, delta]) as scope:
        args = []
        for v, what in ((start, "start"), (limit, "limit"), (delta, "delta")):
            args.append(convert_to_tensor(v) if _is_tensor(v) else
                        convert_to_tensor(v, dtype=dtype, name=what))
        if dtype is None:
            for a in args:
                if a.dtype not in _RANGE_DTYPES:
                    raise TypeError(f"Range does not support dtype {a.dtype.name}")
            dtype = max((a.dtype for a in args), key=_RANGE_DTYPES.index)
        args = [cast(a, dtype) for a in args]
        return RANGE(*args, name=scope)


def _is_tensor(v) -> bool:
    """A graph tensor or something standing for one (a Variable)."""
    return isinstance(v, Tensor) or hasattr(v, "_as_tensor")


# -- Squeeze ------------------------------------------------------------------------------------


def _squeeze_kernel(x, *, squeeze_dims):
    x = np.asarray(x)
    if not squeeze_dims:
        return np.squeeze(x)
    axes = []
    for a in squeeze_dims:
        if not -x.ndim <= a < x.ndim:
            raise InvalidArgumentError(None, None, f"Tried to squeeze dim index {a} for tensor "
                                       f"with {x.ndim} dimensions.")
        a %= x.ndim
        if x.shape[a] != 1:
            raise InvalidArgumentError(None, None, f"Can not squeeze dim[{a}], expected a "
                                       f"dimension of 1, got {x.shape[a]}")
        axes.append(a)
    return np.squeeze(x, axis=tuple(set(axes)))


def _squeeze_infer(x, *, squeeze_dims):
    dims = x.shape.as_tuple()
    if dims is None:
        return [TensorSpec(None, x.dtype)]
    n = len(dims)
    if not squeeze_dims:
        if any(d is None for d in dims):  # an unknown dim may or may not be 1
            return [TensorSpec(None, x.dtype)]
        return [TensorSpec([d for d in dims if d != 1], x.dtype)]
    drop = set()
    for i, a in enumerate(squeeze_dims):
        if not -n <= a < n:
            raise shape_error(f"squeeze_dims[{i}] not in [{-n},{n}).")
        a %= n
        if dims[a] is not None and dims[a] != 1:
            raise shape_error(f"Can not squeeze dim[{a}], expected a dimension of 1, got "
                              f"{dims[a]}")
        drop.add(a)
    return [TensorSpec([d for i, d in enumerate(dims) if i not in drop], x.dtype)]


SQUEEZE = register(OpDef(
    "Squeeze", inputs=["input:T"], attrs={"squeeze_dims": []},
    kernel=_squeeze_kernel,
    infer=_squeeze_infer,
    grad=lambda op, dy: [reshape(dy, shape(op.inputs[0]))],
))


def squeeze(input, axis=None, name=None, squeeze_dims=None):  # noqa: A002
    if squeeze_dims is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'squeeze_dims'.")
        axis = squeeze_dims
    if axis is None:
        axis = []
    elif np.isscalar(axis):
        axis = [axis]
    return SQUEEZE(input, squeeze_dims=[int(a) for a in axis], name=name or "Squeeze")


# -- Transpose / InvertPermutation --------------------------------------------------------------


def _check_permutation(p, n, missing_msg):
    """Raises TF's messages unless ``p`` is a permutation of range(n)."""
    bad = (p < 0) | (p >= n)
    if bad.any():
        raise InvalidArgumentError(None, None, f"{int(p[bad][0])} is not between 0 and {n}")
    seen = np.zeros(n, dtype=bool)
    seen[p] = True
    if not seen.all():
        if missing_msg:
            listed = ",".join(str(int(v)) for v in p)
            raise InvalidArgumentError(None, None, f"{int(np.argmin(seen))} is missing from "
                                       f"{{{listed}}}.")
        u, c = np.unique(p, return_counts=True)
        raise InvalidArgumentError(None, None, f"{int(u[c > 1][0])} is duplicated in the input.")


def _transpose_kernel(x, perm):
    x = np.asarray(x)
    p = np.asarray(perm).reshape(-1)
    if np.ndim(perm) != 1 or p.size != x.ndim:
        raise InvalidArgumentError(None, None, f"transpose expects a vector of size {x.ndim}. "
                                   f"But input(1) is a vector of size {p.size}")
    _check_permutation(p, x.ndim, missing_msg=True)
    return np.transpose(x, p)


def _transpose_infer(x, perm):
    if perm.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {perm.shape.rank}")
    dims = x.shape.as_tuple()
    n = perm.shape.as_tuple()[0] if perm.shape.rank == 1 else None
    if dims is not None and n is not None and n != len(dims):
        raise shape_error(f"Dimension must be {len(dims)} but is {n}")
    rank = len(dims) if dims is not None else n
    if rank is None:
        return [TensorSpec(None, x.dtype)]
    p = const_ints(perm)
    if p is None:
        return [TensorSpec([None] * rank, x.dtype)]
    if any(not 0 <= i < rank for i in p):
        raise shape_error(f"perm {p} has values outside [0, {rank})")
    # Like TF, a repeated index is left for the kernel to report.
    return [TensorSpec([None] * rank if dims is None else [dims[i] for i in p], x.dtype)]


TRANSPOSE = register(OpDef(
    "Transpose", inputs=["x:T", "perm:Tperm=int32"],
    kernel=_transpose_kernel,
    infer=_transpose_infer,
    grad=lambda op, dy: [transpose(dy, invert_permutation(op.inputs[1])), None],
))


def _invert_permutation_kernel(x):
    p = np.asarray(x)
    if p.ndim != 1:
        raise InvalidArgumentError(None, None, f"invert_permutation expects a 1D vector, got "
                                   f"shape {list(p.shape)}")
    _check_permutation(p, p.size, missing_msg=False)
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=p.dtype)
    return out


def _invert_permutation_infer(x):
    if x.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {x.shape.rank}")
    return [TensorSpec([None] if x.shape.rank is None else x.shape, x.dtype)]


INVERT_PERMUTATION = register(OpDef(
    "InvertPermutation", inputs=["x:T=int32"],
    kernel=_invert_permutation_kernel,
    infer=_invert_permutation_infer,
    grad=NOT_DIFFERENTIABLE,
))


def invert_permutation(x, name=None):
    return INVERT_PERMUTATION(x, name=name or "InvertPermutation")


def transpose(a, perm=None, name="transpose", conjugate=False):
    """``tf.transpose``; ``perm=None`` reverses the dimensions. (No complex dtypes here, so
    ``conjugate`` has nothing to conjugate.)"""
    with name_scope(name, "transpose", [a]) as scope:
        if not _is_tensor(a):
            a = convert_to_tensor(a, name="a")
        if perm is None:
            r = convert_to_tensor(a).shape.rank
            if r is None:
                perm = RANGE(rank(a) - 1, -1, -1, name="Range")
            else:
                perm = np.arange(r - 1, -1, -1, dtype=np.int32)
        return TRANSPOSE(a, perm, name=scope)


# -- ConcatV2 -----------------------------------------------------------------------------------


def _concat_kernel(values, axis):
    arrays = [np.asarray(v) for v in values]
    a = _scalar_axis(axis, "axis")
    r = arrays[0].ndim
    if r == 0:
        raise InvalidArgumentError(None, None, "Can't concatenate scalars (use tf.stack "
                                   "instead)")
    if not -r <= a < r:
        raise InvalidArgumentError(None, None, f"ConcatOp : Expected concatenating dimensions "
                                   f"in the range [{-r}, {r}), but got {a}")
    try:
        return np.concatenate(arrays, axis=a)
    except ValueError:
        pass  # find the offending input for TF's message
    a %= r
    s0 = arrays[0].shape
    for i, v in enumerate(arrays[1:], 1):
        if v.ndim != r:
            raise InvalidArgumentError(None, None, "ConcatOp : Ranks of all input tensors "
                                       f"should match: shape[0] = {list(s0)} vs. shape[{i}] = "
                                       f"{list(v.shape)}")
        for d in range(r):
            if d != a and v.shape[d] != s0[d]:
                raise InvalidArgumentError(
                    None, None, f"ConcatOp : Dimension {d} in both shapes must be equal: "
                    f"shape[0] = {_dims_str(s0)} vs. shape[{i}] = {_dims_str(v.shape)}")
    raise InvalidArgumentError(None, None, "ConcatOp : cannot concatenate the inputs")


def _dims_str(dims) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _merge_dim(a, b, d, sa, sb):
    if a is None:
        return b
    if b is not None and a != b:
        raise shape_error(f"Dimension {d} in both shapes must be equal, but are {a} and {b}. "
                          f"Shapes are {_dims_str(sa)} and {_dims_str(sb)}.")
    return a


def _concat_infer(values, axis):
    if axis.shape.rank not in (None, 0) and axis.shape.num_elements() != 1:
        raise shape_error(f"Shape must be rank 0 but is rank {axis.shape.rank}")
    known = [v.shape.as_tuple() for v in values if v.shape.rank is not None]
    dtype = values[0].dtype
    if not known:
        return [TensorSpec(None, dtype)]
    r = len(known[0])
    for dims in known[1:]:
        if len(dims) != r:
            raise shape_error(f"Shape must be rank {r} but is rank {len(dims)}")
    if r == 0:
        raise shape_error("Can't concatenate scalars (use tf.stack instead)")
    av = const_ints(axis)
    if av is None:
        return [TensorSpec([None] * r, dtype)]
    a = av[0]
    if not -r <= a < r:
        raise shape_error(f"Shape must be at least rank {(a if a >= 0 else -a - 1) + 1} but is "
                          f"rank {r}")
    a %= r
    out = list(known[0])
    out[a] = None
    total = 0
    for v in values:
        dims = v.shape.as_tuple()
        if dims is None:
            total = None
            continue
        total = None if total is None or dims[a] is None else total + dims[a]
        rest, dims_rest = out[:a] + out[a + 1:], dims[:a] + dims[a + 1:]
        merged = [_merge_dim(x, y, d, rest, dims_rest)
                  for d, (x, y) in enumerate(zip(rest, dims_rest))]
        out = merged[:a] + [None] + merged[a:]
    out[a] = total
    return [TensorSpec(out, dtype)]


def _concat_grad(op, dy):
    values, axis = op.inputs[:-1], op.inputs[-1]
    return _split_like(dy, values, axis) + [None]


def _split_like(dy, values, axis):
    """Splits ``dy`` along ``axis`` into pieces shaped like ``values`` (ConcatV2's gradient).

    Static sizes when every piece's size on the axis is known; otherwise they are read from the
    pieces' shapes at run time."""
    from .math_ops import cast, reduce_sum

    a = constant_value(axis)
    r = next((v.shape.rank for v in values if v.shape.rank is not None), None)
    if a is not None and r is not None:
        a = int(np.asarray(a).reshape(-1)[0]) % r
        sizes = [v.shape.as_tuple()[a] for v in values]
        if all(s is not None for s in sizes):
            return SPLIT_V(dy, np.array(sizes, np.int32), a, num_split=len(values))
    # sizes[i] = shape(values[i])[axis], picked by a one-hot mask (valid for negative axes too)
    dim = cast(axis, _dt.int32) if axis.dtype != _dt.int32 else axis
    n = rank(values[0])
    mask = one_hot(dim, n, dtype=_dt.int32) + one_hot(dim + n, n, dtype=_dt.int32)
    sizes = reduce_sum(stack([shape(v) for v in values]) * mask, 1)
    return SPLIT_V(dy, sizes, dim, num_split=len(values))


CONCAT_V2 = register(OpDef(
    "ConcatV2", inputs=["values:N*T", "axis:Tidx=int32"],
    kernel=_concat_kernel,
    infer=_concat_infer,
    grad=_concat_grad,
))


def concat(values, axis, name="concat"):
    if not isinstance(values, (list, tuple)):
        values = [values]
    if len(values) == 1:  # TF: no ConcatV2 node for one value (axis still checked)
        with name_scope(name, values=values):
            dim = convert_to_tensor(axis, name="concat_dim", dtype=_dt.int32)
            if dim.shape.rank not in (None, 0):
                raise ValueError(f"Shape {dim.shape} must have rank 0")
            return identity(values[0], name=name)
    return CONCAT_V2(list(values), axis, name=name)


# -- Pack / Unpack ------------------------------------------------------------------------------


def _pack_kernel(values, *, axis):
    try:
        return np.stack(values, axis=axis)
    except ValueError:
        pass  # find the offending input for TF's message
    arrays = [np.asarray(v) for v in values]
    s0 = arrays[0].shape
    for i, v in enumerate(arrays[1:], 1):
        if v.shape != s0:
            raise InvalidArgumentError(None, None, "Shapes of all inputs must match: "
                                       f"values[0].shape = {list(s0)} != values[{i}].shape = "
                                       f"{list(v.shape)}")
    r = len(s0) + 1
    raise InvalidArgumentError(None, None, f"axis = {axis} not in [{-r}, {r})")


def _pack_infer(values, *, axis):
    out = TensorShape(None)
    for v in values:
        if out.is_compatible_with(v.shape):
            out = out.merge_with(v.shape)
        elif out.rank != v.shape.rank:
            raise shape_error(f"Shapes must be equal rank, but are {out.rank} and "
                              f"{v.shape.rank}")
        else:
            dims = out.as_tuple()
            for d, (x, y) in enumerate(zip(dims, v.shape.as_tuple())):
                _merge_dim(x, y, d, dims, v.shape.as_tuple())
    dims = out.as_tuple()
    if dims is None:
        return [TensorSpec(None, values[0].dtype)]
    r = len(dims) + 1
    if not -r <= axis < r:
        raise shape_error(f"Invalid axis: {axis}; must be in [{-r},{r})")
    a = axis % r
    return [TensorSpec(dims[:a] + (len(values),) + dims[a:], values[0].dtype)]


PACK = register(OpDef(
    "Pack", inputs=["values:N*T"], attrs={"axis": 0},
    kernel=_pack_kernel,
    infer=_pack_infer,
    grad=lambda op, dy: unstack(dy, num=op.get_attr("N"), axis=op.get_attr("axis")),
))


def _unpack_kernel(x, *, num, axis):
    x = np.asarray(x)
    r = x.ndim
    if not -r <= axis < r:
        raise InvalidArgumentError(None, None, f"axis = {axis} not in [{-r}, {r})")
    a = axis % r
    if x.shape[a] != num:
        raise InvalidArgumentError(None, None, f"Input shape axis {a} must equal {num}, got "
                                   f"shape {list(x.shape)}")
    parts = tuple(np.moveaxis(x, a, 0))
    return parts[0] if num == 1 else parts


def _unpack_infer(x, *, num, axis):
    dims = x.shape.as_tuple()
    if dims is None:
        return [TensorSpec(None, x.dtype) for _ in range(num)]
    r = len(dims)
    if not -r <= axis < r:
        raise shape_error(f"Invalid axis: {axis}; must be in [{-r},{r})")
    a = axis % r
    if dims[a] is not None and dims[a] != num:
        raise shape_error(f"Dimension must be {num} but is {dims[a]}")
    return [TensorSpec(dims[:a] + dims[a + 1:], x.dtype) for _ in range(num)]


UNPACK = register(OpDef(
    "Unpack", inputs=["value:T"], attrs={"num": req("int"), "axis": 0},
    kernel=_unpack_kernel,
    infer=_unpack_infer,
    grad=lambda op, *dys: [stack(list(dys), axis=op.get_attr("axis"))],
))


def _has_graph_value(values) -> bool:
    if isinstance(values, (list, tuple)):
        return any(_has_graph_value(v) for v in values)
    return _is_tensor(values)


def stack(values, axis=0, name="stack"):
    if axis == 0 and not _has_graph_value(values):
        try:  # TF1: a list of Python values becomes one constant
            return constant(values, name=name)
        except (TypeError, ValueError):
            pass
    first = convert_to_tensor(values[0]) if _is_tensor(values[0]) else None
    if first is not None and first.shape.rank is not None:
        r = first.shape.rank + 1
        if not -r <= axis < r:
            raise ValueError(f"Argument `axis` = {axis} not in range [{-r}, {r})")
    return PACK(list(values), axis=axis, name=name)


def unstack(value, num=None, axis=0, name="unstack"):
    value = convert_to_tensor(value)
    if num is None:
        dims = value.shape.as_tuple()
        if dims is not None:
            if not -len(dims) <= axis < len(dims):
                raise ValueError(f"Argument `axis` = {axis} not in range [{-len(dims)}, "
                                 f"{len(dims)})")
            num = dims[axis]
        if num is None:
            raise ValueError(f"Cannot infer argument `num` from shape {value.shape}")
    out = UNPACK(value, num=num, axis=axis, name=name)
    return [] if num == 0 else out if isinstance(out, list) else [out]


# -- Split / SplitV -----------------------------------------------------------------------------


def _split_kernel(split_dim, x, *, num_split):
    x = np.asarray(x)
    r = x.ndim
    a = _scalar_axis(split_dim, "split_dim")
    if not -r <= a < r:
        raise InvalidArgumentError(None, None, f"-input rank(-{r}) <= split_dim < input rank "
                                   f"({r}), but got {a}")
    a %= r
    if x.shape[a] % num_split:
        raise InvalidArgumentError(None, None, "Number of ways to split should evenly divide "
                                   f"the split dimension, but got split_dim {a} (size = "
                                   f"{x.shape[a]}) and num_split {num_split}")
    parts = np.split(x, num_split, axis=a)
    return parts[0] if num_split == 1 else tuple(parts)


def _split_infer(split_dim, x, *, num_split):
    if num_split < 1:
        raise shape_error(f"num_split must be >= 1, got {num_split}")
    dims = x.shape.as_tuple()
    if dims is None:
        return [TensorSpec(None, x.dtype) for _ in range(num_split)]
    r = len(dims)
    av = const_ints(split_dim)
    if av is None:
        return [TensorSpec([None] * r, x.dtype) for _ in range(num_split)]
    a = av[0]
    if not -r <= a < r:
        raise shape_error(f"Dimension size, given by scalar input {a} must be in range "
                          f"[{-r}, {r})")
    a %= r
    d = dims[a]
    if d is not None and d % num_split:
        raise shape_error(f"Dimension size must be evenly divisible by {num_split} but is {d}")
    piece = dims[:a] + (None if d is None else d // num_split,) + dims[a + 1:]
    return [TensorSpec(piece, x.dtype) for _ in range(num_split)]


SPLIT = register(OpDef(
    "Split", inputs=["split_dim:int32", "value:T"], attrs={"num_split": req("int")},
    kernel=_split_kernel,
    infer=_split_infer,
    grad=lambda op, *dys: [None, concat(list(dys), op.inputs[0])],
))


def _resolve_splits(sizes, d):
    """size_splits with the one -1 filled in; raises TF's messages."""
    neg = [i for i, s in enumerate(sizes) if s == -1]
    if len(neg) > 1:
        raise InvalidArgumentError(None, None, "There can only be one -1 in the input.")
    for i, s in enumerate(sizes):
        if s < -1:
            raise InvalidArgumentError(None, None, f"Split size at index {i} must be >= 0. "
                                       f"Got: {s}")
    known = sum(s for s in sizes if s >= 0)
    if (not neg and known != d) or (neg and known > d):
        raise InvalidArgumentError(
            None, None, "Determined shape must either match input shape along split_dim "
            "exactly if fully specified, or be less than the size of the input along split_dim "
            f"if not fully specified.  Got: {known}")
    if neg:
        sizes = list(sizes)
        sizes[neg[0]] = d - known
    return sizes


def _split_v_kernel(x, size_splits, split_dim, *, num_split):
    x = np.asarray(x)
    r = x.ndim
    a = _scalar_axis(split_dim, "split_dim")
    if not -r <= a < r:
        raise InvalidArgumentError(None, None, f"-input rank(-{r}) <= split_dim < input rank "
                                   f"({r}), but got {a}")
    a %= r
    sizes = [int(s) for s in np.asarray(size_splits).reshape(-1)]
    if len(sizes) != num_split:
        raise InvalidArgumentError(None, None, f"size_splits has {len(sizes)} values, but "
                                   f"num_split is {num_split}")
    sizes = _resolve_splits(sizes, x.shape[a])
    parts = np.split(x, np.cumsum(sizes[:-1]), axis=a)
    return parts[0] if num_split == 1 else tuple(parts)


def _split_v_infer(x, size_splits, split_dim, *, num_split):
    dims = x.shape.as_tuple()
    n = size_splits.shape.num_elements()
    if n is not None and n != num_split:
        raise shape_error(f"size_splits has {n} values, but num_split is {num_split}")
    if dims is None:
        return [TensorSpec(None, x.dtype) for _ in range(num_split)]
    r = len(dims)
    av = const_ints(split_dim)
    if av is None:
        return [TensorSpec([None] * r, x.dtype) for _ in range(num_split)]
    a = av[0]
    if not -r <= a < r:
        raise shape_error(f"Dimension size, given by scalar input {a} must be in range "
                          f"[{-r}, {r})")
    a %= r
    d = dims[a]
    sizes = const_ints(size_splits)
    if sizes is None:
        sizes = [None] * num_split
    else:
        if sum(1 for s in sizes if s == -1) > 1:
            raise shape_error("size_splits can only have one -1")
        if d is not None:
            try:
                sizes = _resolve_splits(sizes, d)
            except InvalidArgumentError:
                raise shape_error(f"can't split axis of size {d} into pieces of size "
                                  f"{_dims_str(sizes)}") from None
        sizes = [None if s == -1 else s for s in sizes]
    return [TensorSpec(dims[:a] + (s,) + dims[a + 1:], x.dtype) for s in sizes]


SPLIT_V = register(OpDef(
    "SplitV", inputs=["value:T", "size_splits:Tlen=int64", "split_dim:int32"],
    attrs={"num_split": req("int")},
    kernel=_split_v_kernel,
    infer=_split_v_infer,
    grad=lambda op, *dys: [concat(list(dys), op.inputs[2]), None, None],
))


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """``tf.split``: Split for a number of pieces, SplitV for a list of sizes."""
    if isinstance(num_or_size_splits, (int, np.integer)) and \
            not isinstance(num_or_size_splits, bool):
        out = SPLIT(axis, value, num_split=int(num_or_size_splits), name=name)
        return out if isinstance(out, list) else [out]
    size_splits = convert_to_tensor(num_or_size_splits)
    if size_splits.shape.rank == 0:
        raise ValueError("Rank-0 tensors are not supported as the num_or_size_splits argument "
                         f"to split. Argument provided: {num_or_size_splits}")
    if num is None:
        dims = size_splits.shape.as_tuple()
        if dims:
            num = dims[0]
        if num is None:
            raise ValueError(f"Cannot infer argument `num` from shape {num_or_size_splits}")
    out = SPLIT_V(value, size_splits, axis, num_split=num, name=name)
    return out if isinstance(out, list) else [out]


# -- Tile ---------------------------------------------------------------------------------------


def _tile_kernel(x, multiples):
    x = np.asarray(x)
    m = np.asarray(multiples)
    if m.ndim != 1 or m.size != x.ndim:
        raise InvalidArgumentError(None, None, "Expected multiples argument to be a vector of "
                                   f"length {x.ndim} but got length {m.size}")
    if (m < 0).any():
        i = int(np.argmax(m < 0))
        raise InvalidArgumentError(None, None, f"Expected multiples[{i}] >= 0, but got {m[i]}")
    return np.tile(x, m)


def _tile_infer(x, multiples):
    if multiples.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {multiples.shape.rank}")
    dims = x.shape.as_tuple()
    n = multiples.shape.as_tuple()[0] if multiples.shape.rank == 1 else None
    if dims is not None and n is not None and n != len(dims):
        raise shape_error(f"Shape must be rank {len(dims)} but is rank {n}")
    r = len(dims) if dims is not None else n
    if r is None:
        return [TensorSpec(None, x.dtype)]
    dims = dims if dims is not None else (None,) * r
    m = const_ints(multiples)
    if m is None:
        return [TensorSpec([None] * r, x.dtype)]
    return [TensorSpec([None if d is None or k < 0 else d * k for d, k in zip(dims, m)],
                       x.dtype)]


def _tile_grad(op, dy):
    """Sums the tiled copies: reshape dy to interleaved [m0, d0, m1, d1, ...] and reduce the
    multiples' axes (TF's formulation)."""
    from .math_ops import reduce_sum

    x, multiples = op.inputs
    input_shape = shape(x, out_type=multiples.dtype)
    split_shape = reshape(transpose(stack([multiples, input_shape])), [-1])
    axes = range_(0, size(split_shape), 2)
    dx = reduce_sum(reshape(dy, split_shape), axes)
    dx.set_shape(x.shape)
    return [dx, None]


TILE = register(OpDef(
    "Tile", inputs=["input:T", "multiples:Tmultiples=int32"],
    kernel=_tile_kernel,
    infer=_tile_infer,
    grad=_tile_grad,
))


def tile(input, multiples, name=None):  # noqa: A002
    return TILE(input, multiples, name=name or "Tile")


# -- OneHot -------------------------------------------------------------------------------------


def _one_hot_kernel(indices, depth, on_value, off_value, *, axis):
    idx = np.asarray(indices)
    depth = int(depth)
    if depth < 0:
        raise InvalidArgumentError(None, None, f"depth must be non-negative, got: {depth}")
    r = idx.ndim
    if not -1 <= axis <= r:
        raise InvalidArgumentError(None, None, f"Expected axis to be -1 or between [0, {r + 1})."
                                   f" But received: {axis}")
    a = r if axis == -1 else axis
    # Compare the indices (with a new axis at `a`) against 0..depth-1 laid along that axis.
    classes = np.arange(depth).reshape((depth,) + (1,) * (r - a))
    hot = np.expand_dims(idx, a) == classes
    on, off = np.asarray(on_value), np.asarray(off_value)
    return np.where(hot, on, off).astype(on.dtype, copy=False)


def _one_hot_infer(indices, depth, on_value, off_value, *, axis):
    if axis < -1:
        raise shape_error("axis must be >= -1")
    for s, what in ((depth, "depth"), (on_value, "on_value"), (off_value, "off_value")):
        if s.shape.rank not in (None, 0):
            raise shape_error(f"{what} must be a scalar, not shape {s.shape}")
    dims = indices.shape.as_tuple()
    if dims is None:
        return [TensorSpec(None, on_value.dtype)]
    r = len(dims)
    if axis > r:
        raise shape_error(f"Expected axis to be -1 or between [0, {r + 1}). But received: "
                          f"{axis}")
    dv = depth.value
    d = None if dv is None else int(np.asarray(dv))
    if d is not None and d < 0:
        raise shape_error(f"Dimension size, given by scalar input 1, must be non-negative but "
                          f"is {d}")
    a = r if axis == -1 else axis
    return [TensorSpec(dims[:a] + (d,) + dims[a:], on_value.dtype)]


ONE_HOT = register(OpDef(
    "OneHot", inputs=["indices:TI=int64", "depth:int32", "on_value:T", "off_value:T"],
    attrs={"axis": -1},
    kernel=_one_hot_kernel,
    infer=_one_hot_infer,
    grad=NOT_DIFFERENTIABLE,
))


def _dtype_str(dtype) -> str:
    return f"<dtype: '{dtype.name}'>"


def _convert_hinted(value, dtype):
    """convert_to_tensor with a dtype hint that, like TF's, never turns floats into ints."""
    if dtype is not None and not _is_tensor(value) and not dtype.is_floating and \
            np.asarray(value).dtype.kind == "f":
        dtype = None
    return convert_to_tensor(value, preferred_dtype=dtype)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    dtype = _dt.as_dtype(dtype) if dtype is not None else None
    with name_scope(name, "one_hot", [indices, depth, on_value, off_value]) as scope:
        on_dtype = off_dtype = None
        if on_value is not None:
            on_value = _convert_hinted(on_value, dtype)
            on_dtype = on_value.dtype
        if off_value is not None:
            off_value = _convert_hinted(off_value, dtype)
            off_dtype = off_value.dtype
        if on_dtype is not None or off_dtype is not None:
            if dtype is not None:
                for d, what in ((on_dtype, "on_value"), (off_dtype, "off_value")):
                    if d is not None and d != dtype:
                        raise TypeError(f"dtype {_dtype_str(d)} of {what} does not match "
                                        f"dtype parameter {_dtype_str(dtype)}")
            else:
                dtype = on_dtype if on_dtype is not None else off_dtype
        elif dtype is None:
            dtype = _dt.float32
        if on_value is None:
            on_value, on_dtype = convert_to_tensor(1, dtype, name="on_value"), dtype
        if off_value is None:
            off_value, off_dtype = convert_to_tensor(0, dtype, name="off_value"), dtype
        if on_dtype != off_dtype:
            raise TypeError(f"dtype {_dtype_str(on_dtype)} of on_value does not match dtype "
                            f"{_dtype_str(off_dtype)} of off_value")
        if not _is_tensor(indices):  # TF converts Python indices with the default int32
            indices = convert_to_tensor(indices, name="indices")
        return ONE_HOT(indices, depth, on_value, off_value, axis=-1 if axis is None else axis,
                       name=scope)


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
    dims = x.shape.as_tuple()
    n = ps[0] if ps is not None else None
    if dims is not None and n is not None and n != len(dims):
        raise shape_error(f"Shape must be rank {n} but is rank {len(dims)}")
    r = len(dims) if dims is not None else n
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


def _mirror_pad_grad_infer(dy, paddings, *, mode):
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
    infer=lambda x, paddings, *, mode: _pad_infer(x, paddings, mirror=mode),
    grad=lambda op, dy: [MIRROR_PAD_GRAD(dy, op.inputs[1], mode=op.get_attr("mode")), None],
))

MIRROR_PAD_GRAD = register(OpDef(
    "MirrorPadGrad", inputs=["input:T", "paddings:Tpaddings=int32"],
    attrs={"mode": req("string")},
    kernel=_mirror_pad_grad_kernel,
    infer=_mirror_pad_grad_infer,
    grad=lambda op, dy: [MIRROR_PAD(dy, op.inputs[1], mode=op.get_attr("mode")), None],
))


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """``tf.pad``: Pad (zero fill), PadV2 (other fill values) or MirrorPad."""
    mode = mode.upper()
    if mode == "CONSTANT":
        if not _is_tensor(constant_values) and np.ndim(constant_values) == 0 and \
                constant_values == 0:
            return PAD(tensor, paddings, name=name or "Pad")
        return PAD_V2(tensor, paddings, constant_values, name=name or "PadV2")
    if mode in ("REFLECT", "SYMMETRIC"):
        return MIRROR_PAD(tensor, paddings, mode=mode, name=name or "MirrorPad")
    raise ValueError('Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", or '
                     f'"SYMMETRIC". Received `mode` = {mode}')


# -- BroadcastTo ----------------------------------------------------------------------------------


def _broadcast_to_infer(x, shape):
    from ..tensor_shape import broadcast_shapes

    target = shape_from_value(shape)
    try:
        out = broadcast_shapes(x.shape, target)
    except ValueError as e:
        raise shape_error(f"Unable to broadcast tensor of shape {x.shape} to {target}: {e}") \
            from None
    if target.rank is not None and out.rank is not None and out.rank != target.rank:
        raise shape_error(f"Unable to broadcast tensor of rank {x.shape.rank} to rank "
                          f"{target.rank}")
    return [TensorSpec(target.merge_with(out) if target.rank is not None else out, x.dtype)]


def _broadcast_to_kernel(x, shape):
    try:
        return np.broadcast_to(x, tuple(int(d) for d in shape))  # a read-only view: no copy
    except ValueError:
        raise InvalidArgumentError(None, None, f"Unable to broadcast tensor of shape "
                                   f"{list(np.shape(x))} to tensor of shape "
                                   f"{[int(d) for d in shape]}") from None


def _broadcast_to_grad(op, dy):
    from .math_ops import sum_to_operand

    x = op.inputs[0]
    return [sum_to_operand(dy, x, op.outputs[0]), None]


BROADCAST_TO = register(OpDef(
    "BroadcastTo", inputs=["input:T", "shape:Tidx=int32"],
    kernel=_broadcast_to_kernel, infer=_broadcast_to_infer, grad=_broadcast_to_grad,
))


def broadcast_to(input, shape, name=None):  # noqa: A002
    return BROADCAST_TO(input, shape, name=name or "BroadcastTo")


__all__.append("broadcast_to")


# -- ShapeN (TensorFlow's Conv2D gradient uses it) ------------------------------------------------

SHAPE_N = register(OpDef(
    "ShapeN", inputs=["input:N*T"], attrs={"out_type": _dt.int32},
    kernel=lambda xs, *, out_type: [np.array(np.shape(x), dtype=out_type.as_numpy_dtype)
                                    for x in xs],
    infer=lambda xs, *, out_type: [_shape_infer(x, out_type=out_type)[0] for x in xs],
    grad=NOT_DIFFERENTIABLE,
))


def shape_n(input, out_type=_dt.int32, name=None):  # noqa: A002
    return SHAPE_N(list(input), out_type=_dt.as_dtype(out_type), name=name or "ShapeN")


__all__.append("shape_n")
