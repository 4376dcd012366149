"""``tf.keras.backend``'s math: each function a thin composition of minitf ops with TF1 Keras'
semantics (``K.sqrt`` clips at zero, ``K.zeros`` is a variable, ``K.clip`` fixes an inverted
range, the crossentropies clip at ``epsilon()``...). ``function`` runs in ``get_session()`` with
the learning phase fed when the caller passes it.

The session/learning-phase half of the backend is core/keras/backend.py, which re-exports this
module, so ``K.mean`` and ``K.get_session`` live in one namespace as in Keras."""

from __future__ import annotations

import builtins
import weakref

import numpy as np

from .. import dtypes as _dt
from .. import nn_impl
from ..graph import Tensor, convert_to_tensor
from ..ops import (concat_split_ops, constant_ops, fill_ops, gather_ops, linalg_ops, logic_ops,
                   math_ops, nn_ops, reduction_ops, shape_ops, softmax_ops,
                   transform_ops, unary_ops)
from ..ref_variable import Variable
from ..sparse import concat as _sparse_concat
from ..sparse import sparse_dense_matmul as _sparse_dense_matmul
from ..sparse import to_dense as _sparse_to_dense
from ..sparse_tensor import SparseTensor, sparse_placeholder
from ..tensor_shape import TensorShape

__all__ = [
    "placeholder", "is_placeholder", "is_sparse", "to_dense", "variable", "constant",
    "is_tensor", "is_keras_tensor",
    "zeros", "ones", "eye", "zeros_like", "ones_like", "identity", "count_params", "shape",
    "int_shape", "ndim", "dtype", "cast", "dot", "batch_dot", "transpose", "sum", "mean", "max",
    "min", "prod", "var", "std", "any", "all", "argmax", "argmin", "square", "abs", "sqrt", "exp",
    "log", "logsumexp", "round", "sign", "pow", "clip", "cumsum", "cumprod", "relu", "elu",
    "softmax", "softplus", "softsign", "sigmoid", "hard_sigmoid", "tanh", "dropout",
    "l2_normalize", "in_top_k", "bias_add", "concatenate", "reshape", "permute_dimensions",
    "expand_dims", "squeeze", "stack", "flatten", "batch_flatten", "tile", "repeat", "arange",
    "gather", "one_hot", "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
    "maximum", "minimum", "sin", "cos", "repeat_elements", "reverse", "temporal_padding",
    "spatial_2d_padding", "spatial_3d_padding",
]


_PLACEHOLDERS: weakref.WeakSet = weakref.WeakSet()  # tensors are slotted: no attribute flag


def _floatx():
    from .backend import floatx
    return floatx()


def _eps():
    from .backend import epsilon
    return epsilon()


def _t(x):
    return x if isinstance(x, (Tensor, Variable)) else convert_to_tensor(x)


# -- tensors and variables ---------------------------------------------------------------------
def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None):
    """A placeholder; ``sparse=True`` gives a SparseTensor of placeholders (fed from a
    SparseTensorValue), as TF1 Keras' ``tf.sparse_placeholder``."""
    if not shape and ndim:
        shape = (None,) * ndim
    dtype = _dt.as_dtype(dtype or _floatx())
    if sparse:
        x = sparse_placeholder(dtype, shape=shape, name=name)
    else:
        x = constant_ops.placeholder(dtype, shape=shape, name=name)
    _PLACEHOLDERS.add(x)
    return x


def is_placeholder(x) -> bool:
    return x in _PLACEHOLDERS


def is_sparse(tensor) -> bool:
    """Whether ``tensor`` is a SparseTensor (Keras': a SparseTensorValue is not one)."""
    return isinstance(tensor, SparseTensor)


def to_dense(tensor):
    """A SparseTensor made dense (zeros elsewhere); anything else as is."""
    return _sparse_to_dense(tensor) if is_sparse(tensor) else tensor


def variable(value, dtype=None, name=None, constraint=None):
    """A resource variable holding ``value``, initialized by ``get_session()``."""
    from .backend import track_variable
    dt = _dt.as_dtype(dtype or _floatx())
    if not isinstance(value, (Tensor, Variable)):
        value = np.asarray(value, dtype=dt.as_numpy_dtype)
    v = Variable(value, dtype=dt, name=name, constraint=constraint, use_resource=None)
    track_variable(v)
    return v


def constant(value, dtype=None, shape=None, name=None):
    return constant_ops.constant(value, dtype=_dt.as_dtype(dtype or _floatx()), shape=shape,
                                 name=name)


def is_tensor(x) -> bool:
    return isinstance(x, (Tensor, Variable))


def is_keras_tensor(x) -> bool:
    if not is_tensor(x):
        raise ValueError(f"Unexpectedly found an instance of type `{type(x)}`. Expected a "
                         "symbolic tensor instance.")
    return hasattr(x, "_keras_history")


def zeros(shape, dtype=None, name=None):
    dt = _dt.as_dtype(dtype or _floatx())
    return variable(np.zeros(shape, dt.as_numpy_dtype), dt, name)


def ones(shape, dtype=None, name=None):
    dt = _dt.as_dtype(dtype or _floatx())
    return variable(np.ones(shape, dt.as_numpy_dtype), dt, name)


def eye(size, dtype=None, name=None):
    dt = _dt.as_dtype(dtype or _floatx())
    return variable(np.eye(size, dtype=dt.as_numpy_dtype), dt, name)


def zeros_like(x, dtype=None, name=None):
    return fill_ops.zeros_like(x, dtype=dtype, name=name)


def ones_like(x, dtype=None, name=None):
    return fill_ops.ones_like(x, dtype=dtype, name=name)


def identity(x, name=None):
    return constant_ops.identity(x, name=name)


def count_params(x) -> int:
    return int(np.prod(int_shape(x)))


def shape(x):
    return shape_ops.shape(x)


def int_shape(x):
    s = TensorShape(x.shape)
    return None if s.rank is None else tuple(s.as_list())


def ndim(x):
    return TensorShape(x.shape).rank


def dtype(x) -> str:
    return _dt.as_dtype(x.dtype).base_dtype.name


def cast(x, dtype):  # noqa: A002 - Keras' name
    return math_ops.cast(x, dtype)


# -- linear algebra ----------------------------------------------------------------------------
def dot(x, y):
    """Keras' ``dot``: contracts x's last axis with y's second-to-last (y's only axis if 1-D).
    A rank-2 SparseTensor ``x`` is multiplied by SparseTensorDenseMatMul, as in TF1 Keras."""
    if is_sparse(x) and (ndim(x) is None or ndim(x) <= 2) and not is_sparse(y):
        y = _t(y)
        if ndim(y) is None or ndim(y) <= 2:
            return _sparse_dense_matmul(x, y)
    x, y = _t(x), _t(y)
    if ndim(x) is not None and (ndim(x) > 2 or ndim(y) > 2):
        xs, ys = int_shape(x), int_shape(y)
        if None in ys:
            raise ValueError(f"dot: the second operand needs a static shape, got {ys}")
        perm = [len(ys) - 2] + [i for i in range(len(ys)) if i != len(ys) - 2]
        y2 = shape_ops.reshape(transform_ops.transpose(y, perm), [ys[-2], -1])
        out = linalg_ops.matmul(shape_ops.reshape(x, [-1, xs[-1]]), y2)
        tail = list(ys[:-2]) + [ys[-1]]
        if None not in xs[:-1]:
            return shape_ops.reshape(out, list(xs[:-1]) + tail)
        front = shape_ops.shape(x)[:-1]
        return shape_ops.reshape(out, concat_split_ops.concat(
            [front, constant_ops.constant(tail, dtype=_dt.int32)], 0))
    return linalg_ops.matmul(x, y)


def batch_dot(x, y, axes=None):
    """Per-sample dot of two batches; 2-D inputs give shape (batch, 1) as in Keras."""
    x, y = _t(x), _t(y)
    xn, yn = ndim(x), ndim(y)
    if isinstance(axes, int):
        axes = (axes, axes)
    if axes is None:
        axes = (xn - 1, yn - 2 if yn > 2 else yn - 1)
    ax, ay = [a % n for a, n in zip(axes, (xn, yn))]
    if xn == 2 and yn == 2:
        return reduction_ops.reduce_sum(x * y, axis=ax, keepdims=True)
    if xn == 2:
        x, xn, ax = transform_ops.expand_dims(x, 1 if ax == 1 else 2), 3, 2 if ax == 1 else 1
        squeeze_at = 1
    elif yn == 2:
        y, yn = transform_ops.expand_dims(y, 2 if ay == 1 else 1), 3
        ay, squeeze_at = (1 if ay == 1 else 2), -1
    else:
        squeeze_at = None
    if xn != 3 or yn != 3:
        raise ValueError(f"batch_dot supports inputs of rank 2 or 3, got {xn} and {yn}")
    out = linalg_ops.matmul(x, y, transpose_a=ax == 1, transpose_b=ay == 2)
    return out if squeeze_at is None else transform_ops.squeeze(out, [squeeze_at])


def transpose(x):
    return transform_ops.transpose(x)


# -- reductions and elementwise math -----------------------------------------------------------
def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras' names
    return reduction_ops.reduce_sum(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    x = _t(x)
    if x.dtype.base_dtype == _dt.bool:
        x = math_ops.cast(x, _floatx())
    return reduction_ops.reduce_mean(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return reduction_ops.reduce_max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return reduction_ops.reduce_min(x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return reduction_ops.reduce_prod(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    x = _t(x)
    if x.dtype.base_dtype == _dt.bool:
        x = math_ops.cast(x, _floatx())
    m = reduction_ops.reduce_mean(x, axis=axis, keepdims=True)
    return reduction_ops.reduce_mean(unary_ops.square(x - m), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return unary_ops.sqrt(var(x, axis, keepdims))


def any(x, axis=None, keepdims=False):  # noqa: A001
    return reduction_ops.reduce_any(math_ops.cast(x, _dt.bool), axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return reduction_ops.reduce_all(math_ops.cast(x, _dt.bool), axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    return reduction_ops.argmax(x, axis)


def argmin(x, axis=-1):
    return reduction_ops.argmin(x, axis)


def square(x):
    return unary_ops.square(x)


def abs(x):  # noqa: A001
    return unary_ops.abs(x)


def sqrt(x):
    """Keras clips negatives to zero first (no NaN from round-off)."""
    x = _t(x)
    return unary_ops.sqrt(math_ops.clip_by_value(x, _const(0.0, x), _const(np.inf, x)))


def exp(x):
    return unary_ops.exp(x)


def log(x):
    return unary_ops.log(x)


def logsumexp(x, axis=None, keepdims=False):
    return reduction_ops.reduce_logsumexp(x, axis=axis, keepdims=keepdims)


def round(x):  # noqa: A001
    return unary_ops.round(x)


def sign(x):
    return unary_ops.sign(x)


def pow(x, a):  # noqa: A001
    return math_ops.pow(x, a)


def clip(x, min_value, max_value):
    """As Keras: ``max_value < min_value`` clips everything to ``min_value``; None is +-inf."""
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)) \
            and max_value < min_value:
        max_value = min_value
    min_value = -np.inf if min_value is None else min_value
    max_value = np.inf if max_value is None else max_value
    x = _t(x)
    return math_ops.clip_by_value(x, _const(min_value, x), _const(max_value, x))


def _const(value, like):
    return constant_ops.constant(value, dtype=like.dtype.base_dtype)


equal, not_equal = logic_ops.equal, logic_ops.not_equal
greater, greater_equal = logic_ops.greater, logic_ops.greater_equal
less, less_equal = logic_ops.less, logic_ops.less_equal
maximum, minimum = math_ops.maximum, math_ops.minimum
sin, cos = unary_ops.sin, unary_ops.cos


def cumsum(x, axis=0):
    return reduction_ops.cumsum(x, axis=axis)


def cumprod(x, axis=0):
    return reduction_ops.cumprod(x, axis=axis)


# -- activations -------------------------------------------------------------------------------
def relu(x, alpha=0.0, max_value=None, threshold=0):
    """Keras' generalized relu: ``alpha`` slope below ``threshold``, capped at ``max_value``."""
    x = _t(x)
    if alpha == 0 and threshold == 0 and max_value is None:
        return nn_ops.relu(x)
    if alpha != 0.0:
        negative_part = nn_ops.relu(-x + threshold) if threshold != 0 else nn_ops.relu(-x)
    if threshold != 0:
        x = x * math_ops.cast(logic_ops.greater(x, _const(threshold, x)), x.dtype)
    elif max_value == 6:
        x = nn_ops.relu6(x)
        max_value = None
    else:
        x = nn_ops.relu(x)
    if max_value is not None:
        x = math_ops.clip_by_value(x, _const(0.0, x), _const(max_value, x))
    if alpha != 0.0:
        x = x - _const(alpha, x) * negative_part
    return x


def elu(x, alpha=1.0):
    res = nn_ops.elu(x)
    if alpha == 1:
        return res
    return logic_ops.where(logic_ops.greater(x, 0.0), res, alpha * res)


def softmax(x, axis=-1):
    return softmax_ops.softmax(x, axis=axis)


def softplus(x):
    return nn_ops.softplus(x)


def softsign(x):
    return nn_ops.softsign(x)


def sigmoid(x):
    return unary_ops.sigmoid(x)


def hard_sigmoid(x):
    x = _t(x)
    return math_ops.clip_by_value(_const(0.2, x) * x + _const(0.5, x), _const(0.0, x),
                                  _const(1.0, x))


def tanh(x):
    return unary_ops.tanh(x)


def dropout(x, level, noise_shape=None, seed=None):
    return nn_impl.dropout(x, rate=level, noise_shape=noise_shape, seed=seed)


def l2_normalize(x, axis=None):
    return nn_impl.l2_normalize(x, axis=axis)


def in_top_k(predictions, targets, k):
    return nn_ops.in_top_k(predictions, targets, k)


def bias_add(x, bias, data_format=None):
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f"Unknown data_format: {data_format}")
    if data_format == "channels_first" and ndim(x) > 2:
        return nn_ops.bias_add(x, bias, data_format="NCHW" if ndim(x) == 4 else "NCW")
    return nn_ops.bias_add(x, bias)


# -- shapes ------------------------------------------------------------------------------------
def concatenate(tensors, axis=-1):
    """Joined along ``axis``: SparseTensors into one (sparse concat) when all are sparse, else
    dense, the sparse ones made dense first (as TF1 Keras)."""
    if axis < 0:
        rank = ndim(tensors[0])
        axis = axis % rank if rank else 0
    if tensors and builtins.all(is_sparse(x) for x in tensors):
        return _sparse_concat(axis, list(tensors))
    return concat_split_ops.concat([to_dense(x) for x in tensors], axis)


def reshape(x, shape):  # noqa: A002
    return shape_ops.reshape(x, shape)


def permute_dimensions(x, pattern):
    return transform_ops.transpose(x, perm=list(pattern))


def expand_dims(x, axis=-1):
    return transform_ops.expand_dims(x, axis)


def squeeze(x, axis):
    return transform_ops.squeeze(x, [axis])


def stack(x, axis=0):
    return concat_split_ops.stack(list(x), axis=axis)


def flatten(x):
    return shape_ops.reshape(x, [-1])


def batch_flatten(x):
    x = _t(x)
    rest = int_shape(x)[1:]
    if None not in rest:
        return shape_ops.reshape(x, [-1, int(np.prod(rest))])
    n = reduction_ops.reduce_prod(shape_ops.shape(x)[1:])
    return shape_ops.reshape(x, concat_split_ops.stack([-1, n]))


def tile(x, n):
    return transform_ops.tile(x, [n] if isinstance(n, int) else n)


def repeat(x, n):
    """(batch, dim) -> (batch, n, dim)."""
    if ndim(x) != 2:
        raise ValueError(f"repeat expects a 2-D tensor, got rank {ndim(x)}")
    return transform_ops.tile(transform_ops.expand_dims(x, 1), [1, n, 1])


def arange(start, stop=None, step=1, dtype="int32"):
    if stop is None:
        start, stop = 0, start
    return fill_ops.range(start, stop, step, dtype=dtype)


def gather(reference, indices):
    return gather_ops.gather(reference, indices)


def one_hot(indices, num_classes):
    return transform_ops.one_hot(indices, depth=num_classes, axis=-1)


def repeat_elements(x, rep, axis):
    """Each slice of ``x`` along ``axis`` repeated ``rep`` times in place (np.repeat): an
    inner axis tiled ``rep`` times, then merged into ``axis``."""
    x = _t(x)
    rank = ndim(x)
    axis = axis % rank
    static = x.shape.as_list()
    reps = [1] * (rank + 1)
    reps[axis + 1] = rep
    tiled = transform_ops.tile(transform_ops.expand_dims(x, axis + 1), reps)
    dims = shape_ops.shape(x) * constant_ops.constant(
        [rep if i == axis else 1 for i in range(rank)], dtype=_dt.int32)
    out = shape_ops.reshape(tiled, dims)
    if static[axis] is not None:
        static[axis] *= rep
    out.set_shape(static)
    return out


def reverse(x, axes):
    from ..composites import reverse as _reverse
    return _reverse(x, [axes] if isinstance(axes, int) else list(axes))


def _pad(x, pattern):
    from ..ops.pad_ops import pad
    return pad(x, [list(p) for p in pattern])


def temporal_padding(x, padding=(1, 1)):
    """Zeros before and after the middle (time) axis of a 3D tensor."""
    if len(padding) != 2:
        raise ValueError("`padding` must be a tuple of 2 integers.")
    return _pad(x, [[0, 0], padding, [0, 0]])


def _channels_first(data_format):
    from .backend import image_data_format
    data_format = data_format or image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError("Unknown data_format: " + str(data_format))
    return data_format == "channels_first"


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    """Zeros around the rows and columns of a 4D tensor."""
    if len(padding) != 2 or [p for p in padding if len(p) != 2]:
        raise ValueError("`padding` must be a tuple of 2 tuples of 2 integers.")
    pattern = [[0, 0]] + [list(p) for p in padding]
    return _pad(x, [[0, 0]] + pattern if _channels_first(data_format) else pattern + [[0, 0]])


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    """Zeros around the three spatial axes of a 5D tensor."""
    if len(padding) != 3 or [p for p in padding if len(p) != 2]:
        raise ValueError("`padding` must be a tuple of 3 tuples of 2 integers.")
    pattern = [[0, 0]] + [list(p) for p in padding]
    return _pad(x, [[0, 0]] + pattern if _channels_first(data_format) else pattern + [[0, 0]])
