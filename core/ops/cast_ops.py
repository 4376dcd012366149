"""Cast (TF's op, with its float -> uint32/uint64 wrap and complex -> real rules) and the TF1
wrappers tf.cast and tf.to_float/to_double/to_int32/to_int64 (an IndexedSlices' or a
SparseTensor's values are cast)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import UnimplementedError
from ..graph import convert_to_tensor
from ..opdef import OpDef, TensorSpec, register
from ..ragged_dispatch import ragged_unary


# -- Cast ----------------------------------------------------------------------------------------


def _cast_kernel(x, *, DstT, Truncate):  # noqa: N803 - TensorFlow's attr names
    x = np.asarray(x)
    if (x.dtype.kind in "OSU") != (DstT == _dt.string):  # TF has no string <-> number Cast
        src = "string" if x.dtype.kind in "OSU" else _dt.dtype_string(_dt.from_numpy(x))
        raise UnimplementedError(None, None, f"Cast {src} to {_dt.dtype_string(DstT)} is not "
                                 "supported")
    if x.dtype.kind == "c" and not DstT.is_complex:
        x = x.real  # TF's complex -> real cast keeps the real part (numpy would warn)
    if DstT == _dt.float16 and x.dtype == np.float64:
        x = x.astype(np.float32)  # TF (Eigen) rounds a double to half through float: twice
    if (DstT is _dt.uint32 or DstT is _dt.uint64) and x.dtype.kind == "f":
        return _float_to_wide_unsigned(x, DstT._np)
    return x.astype(DstT._np)  # a quantized type as its storage integers, as TF's values


def _float_to_wide_unsigned(x, np_dst):
    """TF's float -> uint32/uint64 cast (x86): through int64, so out-of-range values wrap
    (1e10 -> 1410065408 as uint32, -3e9 -> 1294967296) where numpy's result depends on the
    array's length; uint64 takes [2**63, 2**64) exactly. NaN and inf follow int64's INT64_MIN,
    as in TF. (TF's 8-wide vector loop gives 2**31 for uint32 outside (-2**31, 2**32) instead:
    its scalar loop, used for short tensors and tails, is the one copied.)"""
    with np.errstate(invalid="ignore"):
        out = x.astype(np.int64).astype(np_dst)
        if np_dst is np.uint64:
            high = (x >= 2.0 ** 63) & (x < 2.0 ** 64)
            out[high] = x[high].astype(np.uint64)
    return out


def _cast_grad(op, dy):
    src, dst = op.inputs[0].dtype, op._get_attr("DstT")
    if (src.is_floating or src.is_complex) and (dst.is_floating or dst.is_complex):
        return [cast(dy, src)]  # a sparse dy stays sparse (cast handles IndexedSlices)
    return [None]


CAST = register(OpDef(
    "Cast", inputs=["x:SrcT"], attrs={"DstT": _dt.float32, "Truncate": False},
    kernel=_cast_kernel,
    infer=lambda x, *, DstT, Truncate: [TensorSpec(x.shape, DstT)],
    grad=_cast_grad,
    sparse_grad=True,
))
CAST.attr_defaults.pop("DstT")  # required in TensorFlow: no default


@ragged_unary
def cast(x, dtype, name=None):
    dtype = _dt.as_dtype(dtype)
    if _is_sparse(x):  # an IndexedSlices: its values cast, as in TF1
        return x._with_values(cast(x.values, dtype, name=name))
    from ..sparse_tensor import SparseTensor

    if isinstance(x, SparseTensor):  # likewise a SparseTensor's
        out = SparseTensor(x.indices, cast(x.values, dtype, name=name), x.dense_shape)
        out._shape = x.shape
        return out
    x = convert_to_tensor(x)
    if x.dtype == dtype:
        return x
    return CAST(x, DstT=dtype, name=name or "Cast")


def _is_sparse(x) -> bool:
    from ..indexed_slices import IndexedSlices

    return isinstance(x, IndexedSlices)


def to_float(x, name="ToFloat"):
    return cast(x, _dt.float32, name=name)


def to_double(x, name="ToDouble"):
    return cast(x, _dt.float64, name=name)


def to_int32(x, name="ToInt32"):
    return cast(x, _dt.int32, name=name)


def to_int64(x, name="ToInt64"):
    return cast(x, _dt.int64, name=name)
