"""Elementwise arithmetic with broadcasting, reductions' sum/mean, MatMul, Cast; the Tensor
operator overloads (installed on Tensor here, as TensorFlow's math_ops does)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import Tensor, constant_value, convert_to_tensor, get_default_graph
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from . import array_ops
from ._util import broadcast_infer, const_ints, normalize_axis, unary_infer

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = [
    "add", "subtract", "multiply", "negative", "square", "realdiv", "truediv", "divide",
    "cast", "reduce_sum", "reduce_mean", "matmul", "add_n",
]

# -- gradient helper: undo broadcasting ----------------------------------------------------------


def sum_to_operand(grad: Tensor, x: Tensor, other: Tensor) -> Tensor:
    """Reduces ``grad`` (shaped like ``broadcast(x, other)``) back to ``x``'s shape.

    Uses static shapes when they decide the reduction, else TensorFlow's dynamic pattern
    (Shape + BroadcastGradientArgs + Sum + Reshape).
    """
    xs, os_, gs = x.shape.as_tuple(), other.shape.as_tuple(), grad.shape.as_tuple()
    if xs is not None and os_ is not None and gs is not None:
        n = len(gs)
        lead = n - len(xs)
        other_al = (None,) * 0 + ((1,) * (n - len(os_)) + os_ if len(os_) < n else os_[-n:])
        axes_ones, static = [], lead >= 0
        for i, d in enumerate(xs):
            if d == 1:
                if gs[lead + i] != 1:
                    axes_ones.append(lead + i)
            elif d is None and other_al[lead + i] not in (1,):
                static = False
        if static:
            g = grad
            if axes_ones:
                g = reduce_sum(g, axes_ones, keepdims=True)
            if lead:
                g = reduce_sum(g, list(range(lead)))
            return g
    sx = array_ops.shape(x)
    rx, _ = array_ops.broadcast_gradient_args(sx, array_ops.shape(grad))
    return array_ops.reshape(reduce_sum(grad, rx), sx)


def _binary_grad(fx, fy):
    """A gradient rule for a broadcasting binary op from the two local derivatives."""
    def grad(op, dy):
        x, y = op.inputs
        gx = fx(op, dy)
        gy = fy(op, dy)
        return [None if gx is None else sum_to_operand(gx, x, y),
                None if gy is None else sum_to_operand(gy, y, x)]
    return grad


def _binary(type_, kernel, grad, doc=""):
    return register(OpDef(type_, inputs=["x:T", "y:T"], kernel=kernel, infer=broadcast_infer,
                          grad=grad, doc=doc))


ADD = _binary("Add", np.add, _binary_grad(lambda op, dy: dy, lambda op, dy: dy))
ADD_V2 = _binary("AddV2", np.add, _binary_grad(lambda op, dy: dy, lambda op, dy: dy))
SUB = _binary("Sub", np.subtract, _binary_grad(lambda op, dy: dy, lambda op, dy: -dy))
MUL = _binary("Mul", np.multiply, _binary_grad(lambda op, dy: dy * op.inputs[1],
                                               lambda op, dy: op.inputs[0] * dy))


def _real_div_kernel(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.true_divide(x, y).astype(x.dtype, copy=False)


REAL_DIV = _binary("RealDiv", _real_div_kernel, _binary_grad(
    lambda op, dy: dy / op.inputs[1],
    lambda op, dy: dy * (-op.inputs[0] / square(op.inputs[1]))))


def _unary(type_, kernel, grad, infer=unary_infer):
    return register(OpDef(type_, inputs=["x:T"], kernel=kernel, infer=infer, grad=grad))


NEG = _unary("Neg", np.negative, lambda op, dy: [-dy])
SQUARE = _unary("Square", np.square, lambda op, dy: [dy * (2 * op.inputs[0])])


def add(x, y, name=None):
    return ADD_V2(x, y, name=name or "Add")


def subtract(x, y, name=None):
    return SUB(x, y, name=name or "Sub")


def multiply(x, y, name=None):
    return MUL(x, y, name=name or "Mul")


def negative(x, name=None):
    return NEG(x, name=name)


def square(x, name=None):
    return SQUARE(x, name=name)


def realdiv(x, y, name=None):
    return REAL_DIV(x, y, name=name)


def truediv(x, y, name=None):
    """``x / y``: RealDiv; integer operands are first cast to float (float64 for 32/64-bit)."""
    with get_default_graph().name_scope(name or "truediv") as scope:
        x_t = x if isinstance(x, Tensor) else None
        y_t = y if isinstance(y, Tensor) else None
        if x_t is None:
            x_t = convert_to_tensor(x, dtype=_tensor_dtype(y), name="x")
        if y_t is None:
            y_t = convert_to_tensor(y, dtype=x_t.dtype, name="y")
        if x_t.dtype.is_integer:
            target = _dt.float32 if x_t.dtype in (_dt.int8, _dt.int16, _dt.uint8) else \
                _dt.float64
            x_t, y_t = cast(x_t, target), cast(y_t, target)
        return REAL_DIV(x_t, y_t, name=scope)


def _tensor_dtype(v):
    return v.dtype if isinstance(v, Tensor) else None


divide = truediv

# -- Cast ----------------------------------------------------------------------------------------


def _cast_kernel(x, *, DstT, Truncate):  # noqa: N803 - TensorFlow's attr names
    return np.asarray(x).astype(DstT.as_numpy_dtype)


def _cast_grad(op, dy):
    src = op.inputs[0].dtype
    if src.is_floating and op.get_attr("DstT").is_floating:
        return [cast(dy, src)]
    return [None]


CAST = register(OpDef(
    "Cast", inputs=["x:SrcT"], attrs={"DstT": _dt.float32, "Truncate": False},
    kernel=_cast_kernel,
    infer=lambda x, *, DstT, Truncate: [TensorSpec(x.shape, DstT)],
    grad=_cast_grad,
))
CAST.attr_defaults.pop("DstT")  # required in TensorFlow: no default


def cast(x, dtype, name=None):
    dtype = _dt.as_dtype(dtype)
    x = convert_to_tensor(x)
    if x.dtype == dtype:
        return x
    return CAST(x, DstT=dtype, name=name or "Cast")


# -- Reductions: Sum / Mean ---------------------------------------------------------------------


def _reduction_axes(x_rank, axes_spec):
    vals = const_ints(axes_spec)
    if vals is None or x_rank is None:
        return None
    return sorted({normalize_axis(a, x_rank, "reduction axis") for a in vals})


def _reduce_infer(x, axes, *, keep_dims):
    rank = x.shape.rank
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
    a = np.asarray(axes).reshape(-1)
    nd = np.ndim(x)
    for v in a:
        if not -nd <= v < max(nd, 1):
            raise InvalidArgumentError(None, None, f"Invalid reduction dimension {int(v)} for "
                                       f"input with {nd} dimensions.")
    return tuple(int(v) % nd if nd else 0 for v in a) if nd else ()


def _sum_kernel(x, axes, *, keep_dims):
    return np.sum(x, axis=_axes_tuple(x, axes), keepdims=keep_dims, dtype=x.dtype)


def _mean_kernel(x, axes, *, keep_dims):
    ax = _axes_tuple(x, axes)
    if x.dtype.kind in "iu":
        n = int(np.prod([x.shape[a] for a in ax])) if ax else 1
        s = np.sum(x, axis=ax, keepdims=keep_dims, dtype=np.int64)
        return (s // max(n, 1) if n else s).astype(x.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.mean(x, axis=ax, keepdims=keep_dims, dtype=x.dtype)


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


def _spec(t: Tensor) -> TensorSpec:
    return TensorSpec(t.shape, t.dtype, value_fn=lambda: constant_value(t))


def _sum_grad(op, dy):
    x, axes = op.inputs
    kept, _ = _reduced_shape_keepdims(op)
    if op.get_attr("keep_dims"):
        g = dy
    elif kept is not None:
        g = array_ops.reshape(dy, kept)
    else:
        g = array_ops.reshape(dy, reduced_shape(array_ops.shape(x), axes))
    return [broadcast_to_shape_of(g, x), None]


def reduced_shape(input_shape: Tensor, axes: Tensor) -> Tensor:
    """Dynamic ``input_shape`` with ``axes`` set to 1 (TensorFlow's ``reduced_shape``)."""
    rank = array_ops.size(input_shape)
    axes = floormod(cast(array_ops.reshape(axes, [-1]), _dt.int32), rank)
    hit = reduce_any(equal(array_ops.expand_dims(array_ops.range_(rank), 1),
                           array_ops.expand_dims(axes, 0)), axis=1)
    return where(hit, array_ops.ones_like(input_shape), input_shape)


def broadcast_to_shape_of(g: Tensor, x: Tensor) -> Tensor:
    """``g`` (x's shape with reduced dims of size 1) broadcast to x's full shape."""
    if g.shape.is_fully_defined() and x.shape.is_fully_defined() and g.shape == x.shape:
        return g
    if x.shape.is_fully_defined():
        ones = array_ops.constant(np.ones(x.shape.as_list(), dtype=x.dtype.as_numpy_dtype))
        return g * ones
    return g * array_ops.fill(array_ops.shape(x), array_ops.constant(1, dtype=x.dtype))


def _mean_grad(op, dy):
    x, axes = op.inputs
    g = _sum_grad(op, dy)[0]
    in_n = x.shape.num_elements()
    out_n = op.outputs[0].shape.num_elements()
    if in_n is not None and out_n is not None:
        factor = array_ops.constant(max(in_n // max(out_n, 1), 1), dtype=x.dtype)
    else:
        factor = cast(floordiv(array_ops.size(x), maximum(array_ops.size(op.outputs[0]), 1)),
                      x.dtype)
    return [g / factor, None]


SUM = register(OpDef(
    "Sum", inputs=["input:T", "reduction_indices:Tidx=int32"], attrs={"keep_dims": False},
    kernel=_sum_kernel, infer=_reduce_infer, grad=_sum_grad,
))
MEAN = register(OpDef(
    "Mean", inputs=["input:T", "reduction_indices:Tidx=int32"], attrs={"keep_dims": False},
    kernel=_mean_kernel, infer=_reduce_infer, grad=_mean_grad,
))


def _axis_arg(input_tensor, axis):
    """Reduction axes: ``axis``, or all axes (static when the rank is known)."""
    x = convert_to_tensor(input_tensor)
    if axis is not None:
        return x, axis
    rank = x.shape.rank
    if rank is not None:
        return x, np.arange(rank, dtype=np.int32)
    return x, array_ops.range_(array_ops.rank(x))


def _reducer(opdef, default_name):
    def reduce(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
               keep_dims=None):
        if axis is None:
            axis = reduction_indices
        keep = bool(keepdims if keepdims is not None else (keep_dims or False))
        x, axis = _axis_arg(input_tensor, axis)
        return opdef(x, axis, keep_dims=keep, name=name or default_name)
    reduce.__name__ = f"reduce_{default_name.lower()}"
    return reduce


reduce_sum = _reducer(SUM, "Sum")
reduce_mean = _reducer(MEAN, "Mean")

# -- MatMul --------------------------------------------------------------------------------------


def _matmul_infer(a, b, *, transpose_a, transpose_b):
    for s, n in ((a, "a"), (b, "b")):
        if s.shape.rank not in (None, 2):
            raise shape_error(f"Shape must be rank 2 but is rank {s.shape.rank} for input {n}")
    ad = a.shape.as_tuple() or (None, None)
    bd = b.shape.as_tuple() or (None, None)
    m, k1 = (ad[1], ad[0]) if transpose_a else ad
    k2, n = (bd[1], bd[0]) if transpose_b else bd
    if k1 is not None and k2 is not None and k1 != k2:
        raise shape_error(f"Dimensions must be equal, but are {k1} and {k2}")
    return [TensorSpec([m, n], a.dtype)]


def _matmul_kernel(a, b, *, transpose_a, transpose_b):
    if transpose_a:
        a = a.T
    if transpose_b:
        b = b.T
    if a.shape[1] != b.shape[0]:
        raise InvalidArgumentError(None, None, f"Matrix size-incompatible: In[0]: "
                                   f"{list(a.shape)}, In[1]: {list(b.shape)}")
    return np.matmul(a, b)


def _matmul_grad(op, dy):
    a, b = op.inputs
    ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    if not ta and not tb:
        return [matmul(dy, b, transpose_b=True), matmul(a, dy, transpose_a=True)]
    if not ta and tb:
        return [matmul(dy, b), matmul(dy, a, transpose_a=True)]
    if ta and not tb:
        return [matmul(b, dy, transpose_b=True), matmul(a, dy)]
    return [matmul(b, dy, transpose_a=True, transpose_b=True),
            matmul(dy, a, transpose_a=True, transpose_b=True)]


MATMUL = register(OpDef(
    "MatMul", inputs=["a:T", "b:T"], attrs={"transpose_a": False, "transpose_b": False},
    kernel=_matmul_kernel, infer=_matmul_infer, grad=_matmul_grad,
))


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, name=None):
    return MATMUL(a, b, transpose_a=bool(transpose_a or adjoint_a),
                  transpose_b=bool(transpose_b or adjoint_b), name=name)


# -- Tensor operators ---------------------------------------------------------------------------


def _install_operators():
    """Python operators with TensorFlow's op names ("mul", "add", ...; constants "mul/y")."""
    def binary(fn, op_name):
        return (lambda self, other: fn(self, other, name=op_name),
                lambda self, other: fn(other, self, name=op_name))

    table = {
        "add": (add, "add"), "sub": (subtract, "sub"), "mul": (multiply, "mul"),
        "truediv": (truediv, "truediv"), "matmul": (matmul, None),
    }
    for name, (fn, op_name) in table.items():
        fwd, rev = binary(fn, op_name)
        setattr(Tensor, f"__{name}__", fwd)
        setattr(Tensor, f"__r{name}__", rev)
    Tensor.__neg__ = lambda self: negative(self)


_install_operators()



# -- AddN ---------------------------------------------------------------------------------------


def _add_n_infer(inputs):
    shape = inputs[0].shape
    for s in inputs[1:]:
        if not shape.is_compatible_with(s.shape):
            raise shape_error(f"Shapes must be equal: {shape} and {s.shape}")
        shape = shape.merge_with(s.shape)
    return [TensorSpec(shape, inputs[0].dtype)]


def _add_n_kernel(inputs):
    out = np.add(inputs[0], inputs[1]) if len(inputs) > 1 else np.array(inputs[0])
    for x in inputs[2:]:
        np.add(out, x, out=out)
    return out


ADD_N = register(OpDef(
    "AddN", inputs=["inputs:N*T"],
    kernel=_add_n_kernel, infer=_add_n_infer,
    grad=lambda op, dy: [dy] * len(op.inputs),
))


def add_n(inputs, name=None):
    """Sum of a list of tensors of one shape and dtype."""
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError("inputs must be a non-empty list of tensors")
    if len(inputs) == 1 and name is None:
        return array_ops.identity(inputs[0])
    return ADD_N(list(inputs), name=name or "AddN")
