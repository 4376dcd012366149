"""Matrix products: MatMul and BatchMatMulV2, and ``tf.matmul``, which picks one of them."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor
from ..opdef import OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape, broadcast_shapes
from ._math_util import _FLOAT, _check_dtype, _dims, _scope, _silence_float_warnings

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = ["matmul"]

_silence_float_warnings(__name__)


# -- MatMul / BatchMatMulV2 ---------------------------------------------------------------------


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
    try:
        out = np.matmul(a, b)
    except ValueError:  # checked only on failure: the common path stays one numpy call
        raise InvalidArgumentError(None, None, f"Matrix size-incompatible: In[0]: "
                                   f"{list(a.shape)}, In[1]: {list(b.shape)}") from None
    if out.ndim != 2:  # numpy also takes vectors (and batches); MatMul is matrices only
        bad = 0 if a.ndim != 2 else 1
        raise InvalidArgumentError(None, None, f"In[{bad}] is not a matrix. Instead it has "
                                   f"shape {list((a, b)[bad].shape)}")
    return out


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


def _batch_matmul_infer(x, y, *, adj_x, adj_y):
    _check_dtype(x, _FLOAT + ("int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                              "complex64", "complex128"), "x")
    for s in (x, y):
        if s.shape.rank is not None and s.shape.rank < 2:
            raise shape_error(f"Shape must be at least rank 2 but is rank {s.shape.rank}")
    xd, yd = x.shape.as_tuple(), y.shape.as_tuple()
    if xd is None or yd is None:
        return [TensorSpec(None, x.dtype)]
    m, k1 = (xd[-1], xd[-2]) if adj_x else (xd[-2], xd[-1])
    k2, n = (yd[-1], yd[-2]) if adj_y else (yd[-2], yd[-1])
    if k1 is not None and k2 is not None and k1 != k2:
        raise shape_error(f"Dimensions must be equal, but are {k1} and {k2}")
    try:
        batch = broadcast_shapes(TensorShape(xd[:-2]), TensorShape(yd[:-2]))
    except ValueError as e:
        raise shape_error(str(e)) from None
    return [TensorSpec(batch.as_tuple() + (m, n), x.dtype)]


def _batch_matmul_kernel(x, y, *, adj_x, adj_y):
    for i, a in enumerate((x, y)):
        if np.ndim(a) < 2:
            raise InvalidArgumentError(None, None, f"In[{i}] ndims must be >= 2: {np.ndim(a)}")
    a = np.swapaxes(x, -1, -2) if adj_x else x
    b = np.swapaxes(y, -1, -2) if adj_y else y
    if a.shape[-1] != b.shape[-2]:
        raise InvalidArgumentError(None, None, f"Matrix size-incompatible: In[0]: {_dims(x)}, "
                                   f"In[1]: {_dims(y)} {int(adj_x)} {int(adj_y)}")
    try:
        return np.matmul(a, b)
    except ValueError:
        raise InvalidArgumentError(None, None, "In[0] and In[1] must have compatible batch "
                                   f"dimensions: {_dims(x)} vs. {_dims(y)}") from None


def _batch_matmul_grad(op, dy):
    from .math_ops import sum_to_operand

    x, y = op.inputs
    ax, ay = op.get_attr("adj_x"), op.get_attr("adj_y")
    if not ax and not ay:
        gx, gy = matmul(dy, y, adjoint_b=True), matmul(x, dy, adjoint_a=True)
    elif not ax:
        gx, gy = matmul(dy, y), matmul(dy, x, adjoint_a=True)
    elif not ay:
        gx, gy = matmul(y, dy, adjoint_b=True), matmul(x, dy)
    else:
        gx = matmul(y, dy, adjoint_a=True, adjoint_b=True)
        gy = matmul(dy, x, adjoint_a=True, adjoint_b=True)
    # Broadcast batch dims are summed away; the matrix dims already match the operand's.
    return [sum_to_operand(gx, x, gx), sum_to_operand(gy, y, gy)]


# TF 2.x also has grad_x/grad_y (false by default); like MatMul's grad_a/grad_b they are left out
# so our GraphDefs stay loadable by TF 1.x, which rejects unknown attrs.
BATCH_MATMUL_V2 = register(OpDef(
    "BatchMatMulV2", inputs=["x:T", "y:T"], attrs={"adj_x": False, "adj_y": False},
    kernel=_batch_matmul_kernel, infer=_batch_matmul_infer, grad=_batch_matmul_grad,
))


# == Public wrapper (TF1 name, signature and default node name) ================================


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, name=None):
    """MatMul for matrices; BatchMatMulV2 (adj_x/adj_y) when either rank is > 2 or unknown."""
    for t, adj, s in ((transpose_a, adjoint_a, "a"), (transpose_b, adjoint_b, "b")):
        if t and adj:
            raise ValueError(f"Only one of `transpose_{s}` and `adjoint_{s}` can be True. "
                             f"Received `transpose_{s}`={t}, `adjoint_{s}`={adj}.")
    with _scope(name, "MatMul", (a, b)) as scope:
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, preferred_dtype=a.dtype, name="b")
        ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)
        if any(r is None or r > 2 for r in (a.shape.rank, b.shape.rank)):
            return BATCH_MATMUL_V2(a, b, adj_x=ta, adj_y=tb, name=scope)
        return MATMUL(a, b, transpose_a=ta, transpose_b=tb, name=scope)
