"""Constants, placeholders, identity and shape plumbing: Const, Placeholder,
PlaceholderWithDefault, Identity, StopGradient, PreventGradient, NoOp, Shape, ShapeN, Size, Rank,
Reshape, Fill, ZerosLike, OnesLike, BroadcastGradientArgs and Range.

The other array ops are split by family: transform_ops (ExpandDims, Squeeze, Transpose, Tile,
BroadcastTo, OneHot), concat_split_ops (ConcatV2, Pack, Unpack, Split, SplitV) and pad_ops (Pad,
PadV2, MirrorPad).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import Tensor, convert_to_tensor, get_default_graph, name_scope, to_numpy
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, identity_kernel, register, req
from ..tensor_shape import TensorShape, as_shape
from ._math_util import _dims
from ._util import const_ints, same_as, shape_error, shape_from_value

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = [
    "constant", "placeholder", "placeholder_with_default", "identity", "stop_gradient",
    "no_op", "group", "shape", "reshape", "fill", "zeros", "ones", "zeros_like", "ones_like",
    "size", "rank",
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
                raise ValueError(f"Too many elements provided. Needed at most {n}, but received "
                                 f"{flat.size}")  # TF1's type and words (constant_op_test)
    if isinstance(value, np.ndarray) and np.may_share_memory(arr, value):
        arr = arr.copy()  # the graph keeps its own copy, as TF does; the caller's stays writable
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
    if dtype is None:
        raise TypeError("Expected DataType for argument 'dtype' not None.")
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
    sparse_grad=True,  # a variable's read passes a gather's IndexedSlices on unchanged
))

STOP_GRADIENT = register(OpDef(
    "StopGradient", inputs=["input:T"],
    kernel=identity_kernel,
    infer=lambda x: same_as(x),
    grad=NOT_DIFFERENTIABLE,
))



def _prevent_gradient_grad(op, dy):
    raise LookupError(f"Gradient explicitly disabled. Reason: {op.get_attr('message')}")


# Forwards its input; asking for its gradient raises (TF's guard on a fused op's gradient
# output, e.g. CTCLoss's: second derivatives are refused).
PREVENT_GRADIENT = register(OpDef(
    "PreventGradient", inputs=["input:T"], attrs={"message": ""},
    kernel=identity_kernel, infer=lambda x, *, message: same_as(x),
    grad=_prevent_gradient_grad,
))

NO_OP = register(OpDef(
    "NoOp",
    kernel=lambda: (),
    infer=lambda: [],
    grad=NOT_DIFFERENTIABLE,
))


def identity(input, name=None):  # noqa: A002
    """``input`` again; an IndexedSlices stays one (its values passed through Identity)."""
    from ..indexed_slices import IndexedSlices

    if isinstance(input, IndexedSlices):
        return input._with_values(IDENTITY(input.values, name=name))
    return IDENTITY(input, name=name)


def stop_gradient(input, name=None):  # noqa: A002
    return STOP_GRADIENT(input, name=name)


def no_op(name=None):
    return NO_OP(name=name)


def tuple_(tensors, name=None, control_inputs=None):
    """``tf.tuple``: the tensors again (None kept), each available only once all of them and
    ``control_inputs`` have been computed. As TF1 builds it: a ``group_deps`` NoOp on the
    producing ops, and behind it one ``control_dependency`` Identity per tensor (an
    IndexedSlices gates its values; an Operation becomes a group behind the gate)."""
    from ..graph import Operation

    tensors = [t if t is None or isinstance(t, Operation) or hasattr(t, "op") else
               convert_to_tensor(t) for t in tensors]
    gating = [t if isinstance(t, Operation) else t.op for t in tensors if t is not None]
    for c in control_inputs or ():
        gating.append(getattr(c, "op", c))
    if not gating:
        raise ValueError("Must have at least one Tensor: []")
    gating = sorted(set(gating), key=lambda op: op._id)
    graph = gating[0].graph
    with graph.as_default(), graph.name_scope(name or "tuple"):
        gate = group(*gating)
        out = []
        for t in tensors:
            if t is None:
                out.append(None)
                continue
            with graph.control_dependencies([gate]):
                out.append(group(t) if isinstance(t, Operation) else
                           identity(t, name="control_dependency"))
        return out


def group(*inputs, name=None):
    """A NoOp that runs after all ``inputs``: ops, tensors or variables in any nesting of
    lists, tuples and dicts (TF flattens them, so ``group([train_op, update_ops])`` works)."""
    from ..graph import Operation
    from ..nest import flatten

    ops = []
    for x in flatten(list(inputs)):
        conv = getattr(x, "_as_graph_element", None)
        y = conv() if conv is not None else x
        y = getattr(y, "op", y)
        if not isinstance(y, Operation):
            raise TypeError(f"'inputs' should be zero or more (nested) Tensors. Received "
                            f"'{x}' with type '{type(x)}'.")
        ops.append(y)
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
    raise InvalidArgumentError(
        None, None, f"Input to reshape is a tensor with {x.size} values, but the "
        f"requested shape has {int(np.prod([d for d in dims if d >= 0]))}")


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
            if n_in == 0 and 0 in vals and x.shape.is_fully_defined():
                target = TensorShape(_empty_reshape(x.shape.as_list(), vals))
            elif n_in == 0 and 0 in vals:
                target = TensorShape([None if v == -1 else v for v in vals])
            elif n_in is not None:
                if known == 0 or n_in % known:
                    raise shape_error(f"Cannot reshape a tensor with {n_in} elements to "
                                      f"shape {vals}")
                target = TensorShape([n_in // known if v == -1 else v for v in vals])
        elif n_in is not None and n_in != known:
            raise shape_error(f"Cannot reshape a tensor with {n_in} elements to shape {vals} "
                              f"({known} elements)")
        elif n_in is None and x.shape.rank is not None:  # the known dims must divide it
            have = int(np.prod([d for d in x.shape.as_list() if d is not None]))
            if have and known % have:
                raise shape_error(f"Dimension size must be evenly divisible by {have} but is "
                                  f"{known}: cannot reshape a tensor of shape {x.shape} to "
                                  f"shape {vals}")
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
    if dims.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {dims.shape.rank}")
    if value.shape.rank not in (None, 0):
        raise shape_error(f"value must be a scalar, got shape {value.shape}")
    return [TensorSpec(shape_from_value(dims), value.dtype)]


def _fill_kernel(dims, value):
    dims = np.asarray(dims)
    # TF's kernel still takes a scalar dims as one dim (only its shape function wants a vector).
    if dims.ndim > 1:
        raise InvalidArgumentError(None, None, "dims must represent a vector, got shape "
                                   f"{_dims(dims)}")
    if np.ndim(value) != 0:
        raise InvalidArgumentError(None, None, "value must represent a scalar, got shape "
                                   f"{list(np.shape(value))}")
    shape = dims.reshape(-1).tolist()
    for d in shape:
        if d < 0:
            raise InvalidArgumentError(None, None, f"Dimension {d} must be >= 0")
    return np.full(shape, value, dtype=np.asarray(value).dtype)


FILL = register(OpDef(
    "Fill", inputs=["dims:index_type=int32", "value:T"],
    kernel=_fill_kernel,
    infer=_fill_infer,
    grad=lambda op, dy: [None, _reduce_all(dy)],
))


def _reduce_all(t):
    from .reduction_ops import reduce_sum

    return reduce_sum(t)


def fill(dims, value, name=None):
    return FILL(dims, value, name=name)


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


def zeros(shape, dtype=_dt.float32, name=None):
    dtype = _dt.as_dtype(dtype)
    static = _static_shape_list(shape)
    if static is not None:
        return constant(np.zeros(static, dtype=dtype.as_numpy_dtype), dtype=dtype,
                        name=name or "zeros")
    return _filled(shape, b"" if dtype == _dt.string else False if dtype == _dt.bool else 0,
                   dtype, name, "zeros")


def ones(shape, dtype=_dt.float32, name=None):
    dtype = _dt.as_dtype(dtype)
    static = _static_shape_list(shape)
    if static is not None:
        return constant(np.ones(static, dtype=dtype.as_numpy_dtype), dtype=dtype,
                        name=name or "ones")
    return _filled(shape, True if dtype == _dt.bool else 1, dtype, name, "ones")


def shape_list_tensor(shape, name=None):
    """A shape given as a list (of ints and scalar tensors) as one tensor: int32, or int64
    when a tensor in it is (as TF packs it: an id from Dataset.range sizes a tensor)."""
    wide = any(isinstance(d, Tensor) and d.dtype == _dt.int64 for d in shape)
    return convert_to_tensor(list(shape), dtype=_dt.int64 if wide else _dt.int32, name=name)


def _filled(shape, value, dtype, name, default):
    """A Fill of a shape known only at run time, its helper nodes named as TF1 names them
    ("zeros/packed", "zeros/Const")."""
    with name_scope(name, default, [shape]) as scope:
        shape = shape_list_tensor(shape) if isinstance(shape, (list, tuple)) else \
            convert_to_tensor(shape)
        if shape.shape.rank in (None, 0):  # TF's ones/zeros: a scalar shape is one dim
            shape = reshape(shape, [-1])
        return fill(shape, constant(value, dtype=dtype), name=scope)


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
        dtype = np.asarray(x).dtype
        if dtype.kind == "O" and fill_value == 0:  # a string tensor's zero is b"", as in TF
            return np.full(np.shape(x), b"", dtype=object)
        return np.full(np.shape(x), fill_value, dtype=dtype)
    return kernel


ZEROS_LIKE = register(OpDef(
    "ZerosLike", inputs=["x:T"], kernel=_like_kernel(0), infer=lambda x: same_as(x),
    grad=NOT_DIFFERENTIABLE,
))
ONES_LIKE = register(OpDef(
    "OnesLike", inputs=["x:T"], kernel=_like_kernel(1), infer=lambda x: same_as(x),
    grad=NOT_DIFFERENTIABLE,
))


def _filled_like(opdef, tensor, dtype, name):
    x = convert_to_tensor(tensor)
    out = opdef(x, name=name)
    if dtype is not None and _dt.as_dtype(dtype) != x.dtype:
        from .math_ops import cast

        out = cast(out, dtype)
    return out


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    return _filled_like(ZEROS_LIKE, tensor, dtype, name or "zeros_like")


def ones_like(tensor, dtype=None, name=None, optimize=True):
    return _filled_like(ONES_LIKE, tensor, dtype, name or "ones_like")


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
        if v.shape not in ((), (1,)):  # TF's kernel also takes a 1-element vector
            raise InvalidArgumentError(None, None, f"{what} must be a scalar, not shape "
                                       f"{_dims(v)}")
    start, limit, delta = (v.reshape(()) for v in (start, limit, delta))
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
