"""Diagonals and bands of matrices: Diag, DiagPart (the tensor diagonal), MatrixDiagV3,
MatrixDiagPartV3, MatrixSetDiagV3 (the batched matrix diagonals, with TF's ``k`` bands and
``align`` packing) and MatrixBandPart; then the public TF1 wrappers.

A band ``k = (k0, k1)`` holds the diagonals d = k1, k1-1, ..., k0 (row i of the packed
diagonals is d = k1 - i); each is ``min(M + min(d, 0), N - max(d, 0))`` long and padded to the
longest. ``align`` says which side the short ones hug: its first part for d >= 0, its second for
d < 0 ("RIGHT_LEFT", TF's default: superdiagonals right-aligned, subdiagonals left-aligned)."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..graph import Tensor, convert_to_tensor
from ..opdef import OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from ._math_util import _check_dtype
from ._util import const_ints

__all__ = ["diag", "diag_part", "matrix_band_part", "matrix_diag", "matrix_diag_part",
           "matrix_set_diag", "tensor_diag_part"]

_ALIGNS = ("LEFT_RIGHT", "RIGHT_LEFT", "LEFT_LEFT", "RIGHT_RIGHT")


# -- Diag / DiagPart ------------------------------------------------------------------------------


def _diag_kernel(x):
    x = np.asarray(x)
    if x.ndim < 1:
        raise InvalidArgumentError(None, None, f"Input must be at least rank 1, got {x.ndim}")
    n = x.size
    out = np.zeros((n, n), x.dtype)
    out[np.arange(n), np.arange(n)] = x.reshape(-1)
    return out.reshape(x.shape + x.shape)


def _diag_infer(x):
    dims = x.shape.as_tuple()
    if dims is None:
        return [TensorSpec(None, x.dtype)]
    if not dims:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    return [TensorSpec(dims + dims, x.dtype)]


def _diag_part_kernel(x):
    x = np.asarray(x)
    half = x.ndim // 2
    if x.ndim == 0 or x.ndim % 2 or x.shape[:half] != x.shape[half:]:
        raise InvalidArgumentError(None, None, f"Invalid shape {list(x.shape)}: dimensions "
                                   "must be even in number and the second half must equal the "
                                   "first")
    n = int(np.prod(x.shape[:half], dtype=np.int64))
    return x.reshape(n, n)[np.arange(n), np.arange(n)].reshape(x.shape[:half])


def _diag_part_infer(x):
    dims = x.shape.as_tuple()
    if dims is None:
        return [TensorSpec(None, x.dtype)]
    if not dims or len(dims) % 2:
        raise shape_error(f"Input must have even and non-zero rank, input rank is {len(dims)}")
    half = len(dims) // 2
    out = []
    for a, b in zip(dims[:half], dims[half:]):
        if a is not None and b is not None and a != b:
            raise shape_error(f"Dimensions must be equal, but are {a} and {b}")
        out.append(a if a is not None else b)
    return [TensorSpec(out, x.dtype)]


DIAG = register(OpDef(
    "Diag", inputs=["diagonal:T"], kernel=_diag_kernel, infer=_diag_infer,
    grad=lambda op, dy: [DIAG_PART(dy)],
    doc="A tensor of shape D + D with `diagonal` (shape D) on its diagonal, zeros elsewhere.",
))
DIAG_PART = register(OpDef(
    "DiagPart", inputs=["input:T"], kernel=_diag_part_kernel, infer=_diag_part_infer,
    grad=lambda op, dy: [DIAG(dy)],
    doc="The diagonal (shape D) of a tensor of shape D + D.",
))


# -- MatrixDiagV3 / MatrixDiagPartV3 / MatrixSetDiagV3 --------------------------------------------


def _band(k, m=None, n=None):
    """(k0, k1) from a scalar or pair; checks them against an M x N matrix when given."""
    k = [int(v) for v in np.asarray(k).reshape(-1)]
    if not 1 <= len(k) <= 2:
        raise InvalidArgumentError(None, None, f"diag_index must have only one or two "
                                   f"elements, received {len(k)} elements.")
    k0, k1 = k[0], k[-1]
    if k0 > k1:
        raise InvalidArgumentError(None, None, f"lower_diag_index must not be larger than "
                                   f"upper_diag_index: {k0} > {k1}")
    if m is not None:
        for d, what in ((k0, "lower"), (k1, "upper")):
            if not (-m < d < n or d == 0):
                raise InvalidArgumentError(None, None, f"{what}_diag_index is out of bound: "
                                           f"{d}. It must be between {-m} and {n}")
    return k0, k1


def _diag_len(m, n, d):
    return min(m + min(d, 0), n - max(d, 0))


def _layout(m, n, k0, k1, align, max_len):
    """(row of the packed diagonals, matrix rows, matrix cols, packed offset) per diagonal."""
    for i, d in enumerate(range(k1, k0 - 1, -1)):
        length = max(_diag_len(m, n, d), 0)
        side = align.split("_")[0 if d >= 0 else 1]
        offset = max_len - length if side == "RIGHT" else 0
        j = np.arange(length)
        yield i, j + max(-d, 0), j + max(d, 0), offset


def _max_diag_len(m, n, k0, k1):
    return min(m + min(k1, 0), n - max(k0, 0))


def _output_dims(m, n, max_len, k0, k1):
    """MatrixDiagV3's output rows and columns: -1 (unset) becomes the smallest size that holds
    the diagonals (both unset: a square matrix)."""
    min_rows, min_cols = max_len - min(k1, 0), max_len + max(k0, 0)
    if m == -1 and n == -1:
        side = max(min_rows, min_cols)
        return side, side
    return (min_rows if m == -1 else m), (min_cols if n == -1 else n)


def _matrix_diag_kernel(diagonal, k, num_rows, num_cols, padding_value, *, align):
    diagonal = np.asarray(diagonal)
    k0, k1 = _band(k)
    num_diags = k1 - k0 + 1
    if diagonal.ndim < (1 if k0 == k1 else 2):
        raise InvalidArgumentError(None, None, f"diagonal must be at least "
                                   f"{1 if k0 == k1 else 2}-D, got {diagonal.ndim}-D")
    packed = diagonal[..., None, :] if k0 == k1 else diagonal
    if packed.shape[-2] != num_diags:
        raise InvalidArgumentError(None, None, f"The number of diagonals provided in the input "
                                   f"does not match the lower_diag_index and upper_diag_index "
                                   f"range: {packed.shape[-2]} != {num_diags}")
    max_len = packed.shape[-1]
    min_rows, min_cols = max_len - min(k1, 0), max_len + max(k0, 0)
    m, n = _output_dims(int(num_rows), int(num_cols), max_len, k0, k1)
    if m < min_rows or n < min_cols or not (m == min_rows or n == min_cols):
        raise InvalidArgumentError(None, None, f"The number of rows or columns is not "
                                   f"consistent with the specified d_lower, d_upper, and "
                                   f"diagonal. num_rows: {m}, num_cols: {n}")
    out = np.full(packed.shape[:-2] + (m, n), padding_value, dtype=diagonal.dtype)
    for i, rows, cols, off in _layout(m, n, k0, k1, align, max_len):
        out[..., rows, cols] = packed[..., i, off:off + len(rows)]
    return out


def _matrix_diag_part_kernel(x, k, padding_value, *, align):
    x = np.asarray(x)
    if x.ndim < 2:
        raise InvalidArgumentError(None, None, f"input must be at least 2-dim, received "
                                   f"shape: {list(x.shape)}")
    m, n = x.shape[-2:]
    k0, k1 = _band(k, m, n)
    max_len = _max_diag_len(m, n, k0, k1)
    out = np.full(x.shape[:-2] + (k1 - k0 + 1, max_len), padding_value, dtype=x.dtype)
    for i, rows, cols, off in _layout(m, n, k0, k1, align, max_len):
        out[..., i, off:off + len(rows)] = x[..., rows, cols]
    return out[..., 0, :] if k0 == k1 else out


def _matrix_set_diag_kernel(x, diagonal, k, *, align):
    x, diagonal = np.asarray(x), np.asarray(diagonal)
    if x.ndim < 2:
        raise InvalidArgumentError(None, None, f"input must be at least 2-dim, received "
                                   f"shape: {list(x.shape)}")
    m, n = x.shape[-2:]
    k0, k1 = _band(k, m, n)
    packed = diagonal[..., None, :] if k0 == k1 else diagonal
    want = x.shape[:-2] + (k1 - k0 + 1, _max_diag_len(m, n, k0, k1))
    if packed.shape != want:
        expected = want[:-2] + want[-1:] if k0 == k1 else want
        raise InvalidArgumentError(None, None, f"diagonal must have shape {list(expected)}, "
                                   f"got {list(diagonal.shape)}")
    out = x.copy()
    for i, rows, cols, off in _layout(m, n, k0, k1, align, want[-1]):
        out[..., rows, cols] = packed[..., i, off:off + len(rows)]
    return out


def _const_band(k: TensorSpec):
    if k.shape.rank not in (None, 0, 1):
        raise shape_error(f"Shape must be at most rank 1 but is rank {k.shape.rank} for k")
    v = const_ints(k)
    if v is None:
        return None
    try:
        return _band(v)
    except InvalidArgumentError as e:
        raise shape_error(e.message) from None


def _check_align(align):
    if align not in _ALIGNS:
        raise shape_error(f"align must be one of {', '.join(_ALIGNS)}, got {align!r}")


def _matrix_diag_infer(diagonal, k, num_rows, num_cols, padding_value, *, align):
    _check_align(align)
    if padding_value.shape.rank not in (None, 0):
        raise shape_error("padding_value must be a scalar")
    band = _const_band(k)
    dims = diagonal.shape.as_tuple()
    if band is None or dims is None:
        return [TensorSpec(None, diagonal.dtype)]
    k0, k1 = band
    need = 1 if k0 == k1 else 2
    if len(dims) < need:
        raise shape_error(f"Shape must be at least rank {need} but is rank {len(dims)}")
    batch = dims[:-need]
    if k0 != k1 and dims[-2] is not None and dims[-2] != k1 - k0 + 1:
        raise shape_error(f"The number of diagonals provided in the input does not match the "
                          f"lower_diag_index and upper_diag_index range: {dims[-2]} != "
                          f"{k1 - k0 + 1}")
    rows, cols = const_ints(num_rows), const_ints(num_cols)
    max_len = dims[-1]
    if max_len is None:  # only sizes given as constants are known
        m, n = (None if v is None or v[0] == -1 else v[0] for v in (rows, cols))
        return [TensorSpec(batch + (m, n), diagonal.dtype)]
    # As TF's shape function: a num_rows / num_cols unknown here counts as unset (-1), so
    # diag of a [None, 3] diagonal with a fed num_rows is statically [None, 3, 3].
    m, n = _output_dims(-1 if rows is None else rows[0], -1 if cols is None else cols[0],
                        max_len, k0, k1)
    min_rows, min_cols = max_len - min(k1, 0), max_len + max(k0, 0)
    if m < min_rows:
        raise shape_error("num_rows is too small")
    if n < min_cols:
        raise shape_error("num_cols is too small.")
    if m != min_rows and n != min_cols:
        raise shape_error("num_rows and num_cols are not consistent with lower_diag_index, "
                          "upper_diag_index, and the length of the given diagonals.\n"
                          f"num_rows = {m} != min_num_rows = {min_rows}, num_cols = {n} != "
                          f"min_num_cols = {min_cols}")
    return [TensorSpec(batch + (m, n), diagonal.dtype)]


def _matrix_diag_part_infer(x, k, padding_value, *, align):
    _check_align(align)
    if padding_value.shape.rank not in (None, 0):
        raise shape_error("padding_value must be a scalar")
    dims = x.shape.as_tuple()
    if dims is not None and len(dims) < 2:
        raise shape_error(f"Shape must be at least rank 2 but is rank {len(dims)}")
    band = _const_band(k)
    if band is None or dims is None:
        return [TensorSpec(None, x.dtype)]
    k0, k1 = band
    m, n = dims[-2:]
    length = None if m is None or n is None else _max_diag_len(m, n, k0, k1)
    out = dims[:-2] + ((length,) if k0 == k1 else (k1 - k0 + 1, length))
    return [TensorSpec(out, x.dtype)]


def _matrix_set_diag_infer(x, diagonal, k, *, align):
    _check_align(align)
    dims = x.shape.as_tuple()
    if dims is not None and len(dims) < 2:
        raise shape_error(f"Shape must be at least rank 2 but is rank {len(dims)}")
    band = _const_band(k)
    if band is not None and dims is not None and diagonal.shape.rank is not None:
        k0, k1 = band
        m, n = dims[-2:]
        length = None if m is None or n is None else _max_diag_len(m, n, k0, k1)
        want = TensorShape(dims[:-2] + ((length,) if k0 == k1 else (k1 - k0 + 1, length)))
        if not diagonal.shape.is_compatible_with(want):
            raise shape_error(f"diagonal must have shape {want}, got {diagonal.shape}")
    return [TensorSpec(x.shape, x.dtype)]


def _matrix_diag_grad(op, dy):
    return [matrix_diag_part(dy, k=op.inputs[1], align=op._get_attr("align")),
            None, None, None, None]


def _matrix_diag_part_grad(op, dy):
    x, k = op.inputs[0], op.inputs[1]
    align = op._get_attr("align")
    dims = x.shape.as_tuple()
    if dims is not None and all(d is not None for d in dims[-2:]):
        return [matrix_diag(dy, k=k, num_rows=dims[-2], num_cols=dims[-1], align=align),
                None, None]
    from .array_ops import zeros_like

    return [matrix_set_diag(zeros_like(x), dy, k=k, align=align), None, None]


def _matrix_set_diag_grad(op, dy):
    from .array_ops import zeros_like

    k, align = op.inputs[2], op._get_attr("align")
    return [matrix_set_diag(dy, zeros_like(op.inputs[1]), k=k, align=align),
            matrix_diag_part(dy, k=k, align=align), None]


MATRIX_DIAG_V3 = register(OpDef(
    "MatrixDiagV3", inputs=["diagonal:T", "k:int32", "num_rows:int32", "num_cols:int32",
                            "padding_value:T"],
    attrs={"align": "RIGHT_LEFT"},
    kernel=_matrix_diag_kernel, infer=_matrix_diag_infer, grad=_matrix_diag_grad,
    doc="Batched matrices with the given diagonals (band k), padding_value elsewhere.",
))
MATRIX_DIAG_PART_V3 = register(OpDef(
    "MatrixDiagPartV3", inputs=["input:T", "k:int32", "padding_value:T"],
    attrs={"align": "RIGHT_LEFT"},
    kernel=_matrix_diag_part_kernel, infer=_matrix_diag_part_infer,
    grad=_matrix_diag_part_grad,
    doc="The diagonals (band k) of batched matrices, short ones padded with padding_value.",
))
MATRIX_SET_DIAG_V3 = register(OpDef(
    "MatrixSetDiagV3", inputs=["input:T", "diagonal:T", "k:int32"],
    attrs={"align": "RIGHT_LEFT"},
    kernel=_matrix_set_diag_kernel, infer=_matrix_set_diag_infer, grad=_matrix_set_diag_grad,
    doc="Batched matrices with their diagonals (band k) replaced.",
))


# -- MatrixDiag, MatrixDiagPart, MatrixSetDiag: the v1 ops (the main diagonal only) --------------
# TF 1.x's tf.matrix_diag & co. write these (V3 came later), so TF1 GraphDefs hold them.
def _v1_diag_infer(diagonal):
    dims = diagonal.shape.as_tuple()
    if dims is not None and len(dims) < 1:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    return [TensorSpec(None if dims is None else dims + dims[-1:], diagonal.dtype)]


def _v1_diag_len(dims):
    m, n = dims[-2:]
    return None if m is None or n is None else min(m, n)


def _v1_diag_part_infer(x):
    dims = x.shape.as_tuple()
    if dims is not None and len(dims) < 2:
        raise shape_error(f"Shape must be at least rank 2 but is rank {len(dims)}")
    return [TensorSpec(None if dims is None else dims[:-2] + (_v1_diag_len(dims),), x.dtype)]


def _v1_set_diag_infer(x, diagonal):
    dims = x.shape.as_tuple()
    if dims is not None and len(dims) < 2:
        raise shape_error(f"Shape must be at least rank 2 but is rank {len(dims)}")
    if dims is not None and not diagonal.shape.is_compatible_with(
            dims[:-2] + (_v1_diag_len(dims),)):
        raise shape_error(f"diagonal must have shape {list(dims[:-2])} + [min(rows, cols)] of "
                          f"input {x.shape}, got {diagonal.shape}")
    return [TensorSpec(x.shape, x.dtype)]


def _v1_kernel_checks(x, rank, what):
    if np.ndim(x) < rank:
        raise InvalidArgumentError(None, None, f"{what} must be at least {rank}-dim, received "
                                   f"shape: {list(np.shape(x))}")


def _v1_diag_kernel(diagonal):
    _v1_kernel_checks(diagonal, 1, "diagonal")
    return _matrix_diag_kernel(diagonal, 0, -1, -1, 0, align="RIGHT_LEFT")


def _v1_diag_part_kernel(x):
    _v1_kernel_checks(x, 2, "input")
    return _matrix_diag_part_kernel(x, 0, 0, align="RIGHT_LEFT")


def _v1_set_diag_kernel(x, diagonal):
    _v1_kernel_checks(x, 2, "input")
    return _matrix_set_diag_kernel(x, diagonal, 0, align="RIGHT_LEFT")


def _v1_diag_part_grad(op, dy):
    dims = op.inputs[0].shape.as_tuple()
    if dims is not None and None not in dims[-2:] and dims[-2] == dims[-1]:
        return [matrix_diag(dy)]
    from .array_ops import zeros_like

    return [matrix_set_diag(zeros_like(op.inputs[0]), dy)]


def _v1_set_diag_grad(op, dy):
    from .array_ops import zeros_like

    return [matrix_set_diag(dy, zeros_like(op.inputs[1])), matrix_diag_part(dy)]


MATRIX_DIAG = register(OpDef(
    "MatrixDiag", inputs=["diagonal:T"], kernel=_v1_diag_kernel, infer=_v1_diag_infer,
    grad=lambda op, dy: [matrix_diag_part(dy)],
    doc="Batched square matrices with the given main diagonals (TF 1.x's op).",
))
MATRIX_DIAG_PART = register(OpDef(
    "MatrixDiagPart", inputs=["input:T"], kernel=_v1_diag_part_kernel,
    infer=_v1_diag_part_infer, grad=_v1_diag_part_grad,
    doc="The main diagonals of batched matrices, min(rows, cols) long (TF 1.x's op).",
))
MATRIX_SET_DIAG = register(OpDef(
    "MatrixSetDiag", inputs=["input:T", "diagonal:T"], kernel=_v1_set_diag_kernel,
    infer=_v1_set_diag_infer, grad=_v1_set_diag_grad,
    doc="Batched matrices with their main diagonals replaced (TF 1.x's op).",
))


# -- MatrixBandPart -------------------------------------------------------------------------------


def _band_mask(m, n, lower, upper):
    i = np.arange(m)[:, None]
    j = np.arange(n)[None, :]
    return ((lower < 0) | (i - j <= lower)) & ((upper < 0) | (j - i <= upper))


def _band_part_kernel(x, num_lower, num_upper):
    x = np.asarray(x)
    if x.ndim < 2:
        raise InvalidArgumentError(None, None, f"input must be at least 2-dim, received "
                                   f"shape: {list(x.shape)}")
    m, n = x.shape[-2:]
    lower, upper = int(num_lower), int(num_upper)
    if lower > m:
        raise InvalidArgumentError(None, None, f"num_lower must be negative or less or equal "
                                   f"to number of rows ({m}) got: {lower}")
    if upper > n:
        raise InvalidArgumentError(None, None, f"num_upper must be negative or less or equal "
                                   f"to number of columns ({n}) got: {upper}")
    return np.where(_band_mask(m, n, lower, upper), x, np.zeros((), x.dtype))


def _band_part_infer(x, num_lower, num_upper):
    for s, what in ((num_lower, "num_lower"), (num_upper, "num_upper")):
        if s.shape.rank not in (None, 0):
            raise shape_error(f"Shape must be rank 0 but is rank {s.shape.rank} for {what}")
        _check_dtype(s, ("int32", "int64"), what)
    if x.shape.rank is not None and x.shape.rank < 2:
        raise shape_error(f"Shape must be at least rank 2 but is rank {x.shape.rank}")
    return [TensorSpec(x.shape, x.dtype)]


MATRIX_BAND_PART = register(OpDef(
    "MatrixBandPart", inputs=["input:T", "num_lower:Tindex", "num_upper:Tindex"],
    kernel=_band_part_kernel, infer=_band_part_infer,
    grad=lambda op, dy: [MATRIX_BAND_PART(dy, op.inputs[1], op.inputs[2]), None, None],
    doc="Batched matrices zeroed outside num_lower subdiagonals and num_upper superdiagonals "
        "(negative: all of them).",
))


# == Public wrappers (TF1 names, signatures and default node names) ============================


def diag(diagonal, name=None):
    return DIAG(diagonal, name=name or "Diag")


def tensor_diag_part(input, name=None):  # noqa: A002 - TF's argument name
    return DIAG_PART(input, name=name or "DiagPart")


diag_part = tensor_diag_part


def _bool_padding(padding_value, dtype):
    """``bool(padding_value)`` for a bool tensor, as TF's wrappers do: the default 0 would not
    convert to bool."""
    if dtype.name == "bool" and not isinstance(padding_value, Tensor):
        return bool(padding_value)
    return padding_value


def matrix_diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0,
                align="RIGHT_LEFT"):
    """``tf.linalg.diag``: batched matrices with ``diagonal`` on the diagonals ``k`` (an int or
    a (lower, upper) band), ``padding_value`` elsewhere; square by default."""
    diagonal = convert_to_tensor(diagonal, name="diagonal")
    padding_value = convert_to_tensor(_bool_padding(padding_value, diagonal.dtype),
                                      dtype=diagonal.dtype, name="padding_value")
    return MATRIX_DIAG_V3(diagonal, k, num_rows, num_cols, padding_value, align=align,
                          name=name)


def matrix_diag_part(input, name="diag_part", k=0, padding_value=0,  # noqa: A002
                     align="RIGHT_LEFT"):
    """``tf.linalg.diag_part``: the diagonals ``k`` of batched matrices."""
    x = convert_to_tensor(input, name="input")
    padding_value = convert_to_tensor(_bool_padding(padding_value, x.dtype), dtype=x.dtype,
                                      name="padding_value")
    return MATRIX_DIAG_PART_V3(x, k, padding_value, align=align, name=name)


def matrix_set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):  # noqa: A002
    """``tf.linalg.set_diag``: batched matrices with their diagonals ``k`` replaced."""
    x = convert_to_tensor(input, name="input")
    diagonal = convert_to_tensor(diagonal, dtype=x.dtype, name="diagonal")
    return MATRIX_SET_DIAG_V3(x, diagonal, k, align=align, name=name)


def matrix_band_part(input, num_lower, num_upper, name=None):  # noqa: A002
    """``tf.linalg.band_part``: keeps ``num_lower`` subdiagonals and ``num_upper``
    superdiagonals (negative: all of them), zeros the rest."""
    return MATRIX_BAND_PART(input, num_lower, num_upper, name=name or "MatrixBandPart")
