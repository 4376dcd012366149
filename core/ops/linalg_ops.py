"""Matrix products: MatMul and BatchMatMulV2, and ``tf.matmul``, which picks one of them; and
the batched square-matrix ops MatrixInverse, MatrixDeterminant, Cholesky and MatrixSolve."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor
from ..opdef import OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape, broadcast_shapes
from ._math_util import _FLOAT, _check_dtype, _dims, _scope, _silence_float_warnings

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = ["cholesky", "matmul", "matrix_determinant", "matrix_inverse", "matrix_solve"]

_silence_float_warnings(__name__)


# -- MatMul / BatchMatMulV2 ---------------------------------------------------------------------


def _matmul_infer(a, b, *, transpose_a, transpose_b, grad_a=False, grad_b=False):
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


def _matmul_kernel(a, b, *, transpose_a, transpose_b, grad_a=False, grad_b=False):
    # grad_a / grad_b: TF's hint that the product is a gradient (no effect on the values)
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


def matmul_grad_terms(a, b, dy, ta: bool, tb: bool, product) -> list:
    """TF's _MatMulGrad: the gradients of ``a`` and ``b`` in op(a)·op(b) (op a transpose when
    ``ta`` / ``tb``), each ``product(x, y, transpose_a, transpose_b)``. SparseMatMul's rule
    shares it."""
    if not ta and not tb:
        return [product(dy, b, False, True), product(a, dy, True, False)]
    if not ta and tb:
        return [product(dy, b, False, False), product(dy, a, True, False)]
    if ta and not tb:
        return [product(b, dy, False, True), product(a, dy, False, False)]
    return [product(b, dy, True, True), product(dy, a, True, True)]


def _matmul_grad(op, dy):
    from .complex_ops import conj  # TF's rule conjugates complex operands (no op for real)

    a, b = (conj(t) for t in op.inputs)
    return matmul_grad_terms(a, b, dy, op._get_attr("transpose_a"), op._get_attr("transpose_b"),
                             lambda x, y, ta, tb: matmul(x, y, transpose_a=ta, transpose_b=tb))


MATMUL = register(OpDef(
    "MatMul", inputs=["a:T", "b:T"],
    attrs={"transpose_a": False, "transpose_b": False, "grad_a": False, "grad_b": False},
    kernel=_matmul_kernel, infer=_matmul_infer, grad=_matmul_grad,
))


def _batch_matmul_infer(x, y, *, adj_x, adj_y, grad_x=False, grad_y=False):
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


def _batch_matmul_kernel(x, y, *, adj_x, adj_y, grad_x=False, grad_y=False):
    # grad_x / grad_y: TF's hint that the product is a gradient (no effect on the values)
    for i, a in enumerate((x, y)):
        if np.ndim(a) < 2:
            raise InvalidArgumentError(None, None, f"In[{i}] ndims must be >= 2: {np.ndim(a)}")
    a = _np_adjoint(x) if adj_x else x
    b = _np_adjoint(y) if adj_y else y
    if a.shape[-1] != b.shape[-2]:
        raise InvalidArgumentError(None, None, f"Matrix size-incompatible: In[0]: {_dims(x)}, "
                                   f"In[1]: {_dims(y)} {int(adj_x)} {int(adj_y)}")
    try:
        return np.matmul(a, b)
    except ValueError:
        raise InvalidArgumentError(None, None, "In[0] and In[1] must have compatible batch "
                                   f"dimensions: {_dims(x)} vs. {_dims(y)}") from None


def _np_adjoint(m):
    """The conjugate transpose of the inner matrices (for a real m just the transpose)."""
    t = np.swapaxes(m, -1, -2)
    return np.conj(t) if t.dtype.kind == "c" else t


def _batch_matmul_grad(op, dy):
    from .math_ops import sum_to_operand

    x, y = op.inputs
    ax, ay = op._get_attr("adj_x"), op._get_attr("adj_y")
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


# grad_x/grad_y (as MatMul's grad_a/grad_b) are TF 2.x's hints with no effect on the values;
# at their default (false) the GraphDef leaves them out, so TF 1.x still loads our exports.
BATCH_MATMUL_V2 = register(OpDef(
    "BatchMatMulV2", inputs=["x:T", "y:T"],
    attrs={"adj_x": False, "adj_y": False, "grad_x": False, "grad_y": False},
    kernel=_batch_matmul_kernel, infer=_batch_matmul_infer, grad=_batch_matmul_grad,
))


def _batch_matmul_v3_infer(x, y, *, Tout, adj_x, adj_y, grad_x=False, grad_y=False):
    return _batch_matmul_infer(TensorSpec(x.shape, Tout), TensorSpec(y.shape, Tout),
                               adj_x=adj_x, adj_y=adj_y)


# TF's CPU kernels with an integer Tout (mixed float dtypes are computed here, though TF's CPU
# build lacks them); other integer results would come from silently truncated or wrapped operands.
_V3_INT_KERNELS = {("int8", "int8", "int32"), ("int8", "uint8", "int32"),
                   ("uint8", "int8", "int32"), ("uint8", "uint8", "int32"),
                   ("int16", "int16", "int16"), ("int32", "int32", "int32"),
                   ("int64", "int64", "int64")}
_TF_TYPE_NAMES = {"float16": "HALF", "float32": "FLOAT", "float64": "DOUBLE"}


def _batch_matmul_v3_kernel(x, y, *, Tout, adj_x, adj_y, grad_x=False, grad_y=False):
    # The operands in Tout first: int8 x int8 -> int32 accumulates in int32, as TF's kernel.
    out = Tout.as_numpy_dtype
    types = (np.dtype(x.dtype).name, np.dtype(y.dtype).name, Tout.name)
    if Tout.is_integer and types not in _V3_INT_KERNELS:
        ta, tb, to = ("DT_" + _TF_TYPE_NAMES.get(t, t.upper()) for t in types)
        raise InvalidArgumentError(None, None, "No OpKernel was registered to support Op "
                                   f"'BatchMatMulV3' with these attrs: [Ta={ta}, Tb={tb}, "
                                   f"Tout={to}]")
    return _batch_matmul_kernel(np.asarray(x).astype(out, copy=False),
                                np.asarray(y).astype(out, copy=False), adj_x=adj_x,
                                adj_y=adj_y)


def _batch_matmul_v3_grad(op, dy):
    """V2's rule in Tout, each gradient cast back to its operand's dtype (integer operands
    get none)."""
    from .math_ops import cast

    x, y = op.inputs
    out = op._get_attr("Tout")
    if x.dtype == y.dtype == out:
        return _batch_matmul_grad(op, dy)
    inner = BATCH_MATMUL_V2(cast(x, out), cast(y, out), adj_x=op._get_attr("adj_x"),
                            adj_y=op._get_attr("adj_y"))
    gx, gy = _batch_matmul_grad(inner.op, dy)
    return [None if t.dtype.is_integer else cast(g, t.dtype) for g, t in ((gx, x), (gy, y))]


# TF 2.x's matmul of mixed or integer operands (Keras 3's int8 quantized Dense and
# EinsumDense); tf.matmul emits it for an output_type other than its operands' dtype.
BATCH_MATMUL_V3 = register(OpDef(
    "BatchMatMulV3", inputs=["x:Ta", "y:Tb"],
    attrs={"Tout": req("type"), "adj_x": False, "adj_y": False, "grad_x": False,
           "grad_y": False},
    kernel=_batch_matmul_v3_kernel, infer=_batch_matmul_v3_infer, grad=_batch_matmul_v3_grad,
))


# == Public wrapper (TF1 name, signature and default node name) ================================


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, name=None, output_type=None):
    """MatMul for matrices; BatchMatMulV2 (adj_x/adj_y) when either rank is > 2 or unknown;
    BatchMatMulV3 when ``output_type`` differs from an operand's dtype (as TF 2.x: its CPU
    kernels take (u)int8 operands to int32; other pairs fail at run). ``output_type`` comes
    after ``name``, which TF1 code may pass positionally."""
    for t, adj, s in ((transpose_a, adjoint_a, "a"), (transpose_b, adjoint_b, "b")):
        if t and adj:
            raise ValueError(f"Only one of `transpose_{s}` and `adjoint_{s}` can be True. "
                             f"Received `transpose_{s}`={t}, `adjoint_{s}`={adj}.")
    with _scope(name, "MatMul", (a, b)) as scope:
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, preferred_dtype=a.dtype, name="b")
        ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)
        if output_type is not None:
            output_type = _dt.as_dtype(output_type)
        v3 = output_type is not None and not a.dtype == b.dtype == output_type
        batched = v3 or any(r is None or r > 2 for r in (a.shape.rank, b.shape.rank))
        if a.dtype.is_complex:  # as TF's matmul: conjugate where the op's flag would not
            from .complex_ops import conj

            a = conj(a) if (transpose_a if batched else adjoint_a) else a
            b = conj(b) if (transpose_b if batched else adjoint_b) else b
        if v3:
            return BATCH_MATMUL_V3(a, b, Tout=output_type, adj_x=ta, adj_y=tb, name=scope)
        if batched:
            return BATCH_MATMUL_V2(a, b, adj_x=ta, adj_y=tb, name=scope)
        return MATMUL(a, b, transpose_a=ta, transpose_b=tb, name=scope)


# -- MatrixInverse / MatrixDeterminant / Cholesky / MatrixSolve ----------------------------------
# Batched over leading dimensions; float32/float64 (TF also has half and complex kernels).

_SQUARE_TYPES = ("float64", "float32", "float16", "complex64", "complex128")


def _square_infer(what, out):
    """Infer for an op on square matrices; ``out(dims)`` gives the output dims."""
    def infer(x, **_):
        _check_dtype(x, _SQUARE_TYPES, "input")
        dims = x.shape.as_tuple()
        if dims is None:
            return [TensorSpec(None, x.dtype)]
        if len(dims) < 2:
            raise shape_error(f"Shape must be at least rank 2 but is rank {len(dims)}")
        if dims[-1] is not None and dims[-2] is not None and dims[-1] != dims[-2]:
            raise shape_error(f"{what}: Dimensions must be equal, but are {dims[-2]} and "
                              f"{dims[-1]}")
        n = dims[-1] if dims[-1] is not None else dims[-2]  # square: one known dim gives both
        return [TensorSpec(out(dims[:-2] + (n, n)), x.dtype)]
    return infer


def _check_square(x, what):
    if x.ndim < 2:
        raise InvalidArgumentError(None, None, f"Input tensor 0 must have rank >= 2, got "
                                   f"{x.ndim}")
    if x.shape[-1] != x.shape[-2]:
        raise InvalidArgumentError(None, None, f"Input matrix must be square. {what} got "
                                   f"shape {_dims(x)}")


def _inverse_kernel(x, *, adjoint):
    x = np.asarray(x)
    _check_square(x, "MatrixInverse")
    if adjoint:
        x = np.conj(np.swapaxes(x, -1, -2))
    if x.shape[-1] == 0:
        return x.copy()
    try:
        out = np.linalg.inv(x)
    except np.linalg.LinAlgError:
        raise InvalidArgumentError(None, None, "Input is not invertible.") from None
    if not np.all(np.isfinite(out)):  # numpy inverts some singular float32 matrices to inf
        raise InvalidArgumentError(None, None, "Input is not invertible.")
    return out.astype(x.dtype, copy=False)


def _inverse_grad(op, dy):
    ainv = op.outputs[0]
    adj = op._get_attr("adjoint")
    return [-matmul(ainv, matmul(dy, ainv, adjoint_a=adj, adjoint_b=not adj),
                    adjoint_a=not adj)]


MATRIX_INVERSE = register(OpDef(
    "MatrixInverse", inputs=["input:T"], attrs={"adjoint": False},
    kernel=_inverse_kernel, infer=_square_infer("MatrixInverse", lambda d: d),
    grad=_inverse_grad,
    doc="The inverses (or inverses of the adjoints) of batched square matrices.",
))


def _determinant_kernel(x):
    x = np.asarray(x)
    _check_square(x, "MatrixDeterminant")
    return np.asarray(np.linalg.det(x)).astype(x.dtype, copy=False)


def _determinant_grad(op, dy):
    from .array_ops import reshape, shape
    from .concat_split_ops import concat

    a, c = op.inputs[0], op.outputs[0]
    a_adj_inv = matrix_inverse(a, adjoint=True)
    multipliers = reshape(dy * c, concat([shape(c), [1, 1]], 0))
    return [multipliers * a_adj_inv]


MATRIX_DETERMINANT = register(OpDef(
    "MatrixDeterminant", inputs=["input:T"],
    kernel=_determinant_kernel, infer=_square_infer("MatrixDeterminant", lambda d: d[:-2]),
    grad=_determinant_grad,
    doc="The determinants of batched square matrices.",
))


def _cholesky_kernel(x):
    x = np.asarray(x)
    _check_square(x, "Cholesky")
    try:  # numpy, like TF, reads only the lower triangle
        out = np.linalg.cholesky(x)
    except np.linalg.LinAlgError:
        raise InvalidArgumentError(None, None, "Cholesky decomposition was not successful. "
                                   "The input might not be valid.") from None
    return out.astype(x.dtype, copy=False)


def _cholesky_grad(op, dy):
    """TF's rule (Murray 2016, symmetrised): with L the factor,
    ``phi(L^H dy)`` (lower half, halved diagonal) sandwiched by L^-1. TF solves with
    MatrixTriangularSolve; L^-1 here is a MatrixInverse of the same value."""
    from .diag_ops import matrix_band_part, matrix_diag_part, matrix_set_diag

    low = op.outputs[0]
    low_inv = matrix_inverse(low)
    middle = matmul(low, dy, adjoint_a=True)
    middle = matrix_set_diag(middle, 0.5 * matrix_diag_part(middle))
    middle = matrix_band_part(middle, -1, 0)
    grad_a = matmul(matmul(low_inv, middle, adjoint_a=True), low_inv)
    grad_a = grad_a + _adjoint(grad_a)
    return [grad_a * 0.5]


def _adjoint(x):
    """TF's linalg.adjoint: the conjugate transpose of the last two dimensions (a plain
    transpose for real x: no Conj node)."""
    from .complex_ops import conj

    return conj(_matrix_transpose(x))


def _matrix_transpose(x):
    from .transform_ops import transpose

    rank = x.shape.rank
    if rank is None:
        from .array_ops import rank as rank_of, range_
        from .concat_split_ops import concat

        r = rank_of(x)
        perm = concat([range_(r - 2), [r - 1, r - 2]], 0)
        return transpose(x, perm)
    return transpose(x, list(range(rank - 2)) + [rank - 1, rank - 2])


CHOLESKY = register(OpDef(
    "Cholesky", inputs=["input:T"],
    kernel=_cholesky_kernel, infer=_square_infer("Cholesky", lambda d: d),
    grad=_cholesky_grad,
    doc="The lower Cholesky factors of batched symmetric positive definite matrices.",
))


def _solve_kernel(matrix, rhs, *, adjoint):
    a, b = np.asarray(matrix), np.asarray(rhs)
    _check_square(a, "MatrixSolve")
    if b.ndim != a.ndim or b.shape[:-2] != a.shape[:-2] or b.shape[-2] != a.shape[-1]:
        raise InvalidArgumentError(None, None, f"Input matrix and right-hand side must have "
                                   f"the same number of rows and batch dimensions: "
                                   f"{_dims(a)} vs. {_dims(b)}")
    if adjoint:
        a = np.conj(np.swapaxes(a, -1, -2))
    if a.shape[-1] == 0 or b.shape[-1] == 0:
        return np.zeros(b.shape, b.dtype)
    try:
        out = np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        raise InvalidArgumentError(None, None, "Input matrix is not invertible.") from None
    return out.astype(b.dtype, copy=False)


def _solve_infer(matrix, rhs, *, adjoint):
    _check_dtype(matrix, _SQUARE_TYPES, "matrix")
    _square_infer("MatrixSolve", lambda d: d)(matrix)
    md, rd = matrix.shape.as_tuple(), rhs.shape.as_tuple()
    if rd is not None and len(rd) < 2:
        raise shape_error(f"Shape must be at least rank 2 but is rank {len(rd)}")
    if md is None or rd is None:
        return [TensorSpec(rhs.shape, rhs.dtype)]
    if len(md) != len(rd):
        raise shape_error(f"Shape must be rank {len(md)} but is rank {len(rd)}")
    batch = TensorShape(md[:-2])
    if not batch.is_compatible_with(TensorShape(rd[:-2])):
        raise shape_error(f"Batch dimensions of matrix {matrix.shape} and rhs {rhs.shape} "
                          "must be equal")
    n, rows = md[-1] if md[-1] is not None else md[-2], rd[-2]
    if n is not None and rows is not None and n != rows:
        raise shape_error(f"Dimensions must be equal, but are {n} and {rows}")
    return [TensorSpec(batch.merge_with(TensorShape(rd[:-2])).as_tuple() +
                       (rows if rows is not None else n, rd[-1]), rhs.dtype)]


def _solve_grad(op, dy):
    a, c = op.inputs[0], op.outputs[0]
    adj = op._get_attr("adjoint")
    grad_b = matrix_solve(a, dy, adjoint=not adj)
    grad_a = -matmul(c, grad_b, adjoint_b=True) if adj else -matmul(grad_b, c, adjoint_b=True)
    return [grad_a, grad_b]


MATRIX_SOLVE = register(OpDef(
    "MatrixSolve", inputs=["matrix:T", "rhs:T"], attrs={"adjoint": False},
    kernel=_solve_kernel, infer=_solve_infer, grad=_solve_grad,
    doc="X with matrix @ X = rhs (or adjoint(matrix) @ X = rhs), batched.",
))


def matrix_inverse(input, adjoint=False, name=None):  # noqa: A002 - TF's argument name
    return MATRIX_INVERSE(input, adjoint=adjoint, name=name or "MatrixInverse")


def matrix_determinant(input, name=None):  # noqa: A002
    return MATRIX_DETERMINANT(input, name=name or "MatrixDeterminant")


def cholesky(input, name=None):  # noqa: A002
    return CHOLESKY(input, name=name or "Cholesky")


def matrix_solve(matrix, rhs, adjoint=False, name=None):
    return MATRIX_SOLVE(matrix, rhs, adjoint=adjoint, name=name or "MatrixSolve")
