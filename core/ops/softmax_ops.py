"""Softmax, LogSoftmax and the softmax cross-entropy ops (SoftmaxCrossEntropyWithLogits,
SparseSoftmaxCrossEntropyWithLogits): one node each, as in TensorFlow, with gradient rules that
support second derivatives; then their TF1 ``tf.nn`` wrappers. ``__all__`` lists the ``tf.nn``
names (core/nn.py star-imports it).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import Tensor, constant_value, control_dependencies, convert_to_tensor, name_scope
from ..opdef import OpDef, TensorSpec, register, shape_error
from ..tensor_shape import broadcast_shapes
from . import array_ops, concat_split_ops, math_ops, reduction_ops, transform_ops, unary_ops
from .axis_perm import axis_to_last
from ._util import same_as
from .logging_ops import assert_equal
from .nn_ops import _require_float

__all__ = [
    "softmax", "log_softmax", "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2", "sparse_softmax_cross_entropy_with_logits",
]


def _is_zeros(t) -> bool:
    """An output gradient autodiff filled in for an unused output (TF's ``_is_zeros_tensor``)."""
    return t is None or t.op.type == "ZerosLike"


# -- Softmax, LogSoftmax --------------------------------------------------------------------------


def _softmax_infer(logits):
    _require_float(logits, "logits")
    if logits.shape.rank == 0:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    return same_as(logits)


def _shifted(x):
    """``x - max(x, -1)``, a fresh array (safe to modify in place)."""
    return np.subtract(x, np.max(x, axis=-1, keepdims=True))


def _logits_rank(x):
    if x.ndim == 0:  # the shapes may only be known now (an imported graph, unknown rank)
        raise InvalidArgumentError(None, None, "logits must have >= 1 dimension, got []")


def _softmax(x):
    _logits_rank(x)
    if x.size == 0:
        return np.array(x)
    e = _shifted(x)
    np.exp(e, out=e)
    e /= np.sum(e, axis=-1, keepdims=True)
    return e


def _log_softmax(x):
    _logits_rank(x)
    if x.size == 0:
        return np.array(x)
    s = _shifted(x)
    s -= np.log(np.sum(np.exp(s), axis=-1, keepdims=True))
    return s


def _softmax_grad(op, dy):
    y = op.outputs[0]
    return [(dy - reduction_ops.reduce_sum(dy * y, -1, keepdims=True)) * y]


def _log_softmax_grad(op, dy):
    return [dy - reduction_ops.reduce_sum(dy, -1, keepdims=True) * unary_ops.exp(op.outputs[0])]


SOFTMAX = register(OpDef("Softmax", inputs=["logits:T"], kernel=_softmax, infer=_softmax_infer,
                         grad=_softmax_grad))
LOG_SOFTMAX = register(OpDef("LogSoftmax", inputs=["logits:T"], kernel=_log_softmax,
                             infer=_softmax_infer, grad=_log_softmax_grad))

# -- cross-entropy --------------------------------------------------------------------------------


def _xent_infer(features, labels):
    _require_float(features, "features")
    f, lab = features.shape, labels.shape
    if f.rank in (None, 2) and f.with_rank(2).is_compatible_with(lab):
        merged = f.with_rank(2).merge_with(lab)
        return [TensorSpec([merged[0].value], features.dtype),
                TensorSpec(merged, features.dtype)]
    try:
        out = broadcast_shapes(f, lab)
    except ValueError as e:
        raise shape_error(str(e)) from None
    if out.rank is None:
        raise shape_error("Shape must be broadcasted with rank 2, but is rank is unknown.")
    if out.rank != 2:
        raise shape_error(f"Shape must be broadcasted with rank 2, but is rank {out.rank}")
    return [TensorSpec([out[0].value], features.dtype), TensorSpec(out, features.dtype)]


def _softmax_and_loss(shifted, loss_of):
    """Softmax of max-shifted logits (in place) and the loss from log(sum(exp))."""
    e = np.exp(shifted)
    total = np.sum(e, axis=-1, keepdims=True)
    loss = loss_of(np.log(total))
    e /= total
    return loss, e


def _xent_kernel(features, labels):
    if features.shape != labels.shape:
        try:
            shape = np.broadcast_shapes(features.shape, labels.shape)
        except ValueError:
            shape = None
        if shape is None or len(shape) != 2:
            raise InvalidArgumentError(
                None, None, "logits and labels must be broadcastable: logits_size="
                f"{list(features.shape)} labels_size={list(labels.shape)}")
        features = np.broadcast_to(features, shape)
        labels = np.broadcast_to(labels, shape)
    elif features.ndim != 2:
        raise InvalidArgumentError(None, None, "logits and labels must be either 2-dimensional, "
                                   "or broadcasted to be 2-dimensional")
    if features.shape[1] == 0:
        return np.zeros(features.shape[:1], features.dtype), np.zeros(features.shape,
                                                                     features.dtype)
    shifted = _shifted(features)
    loss, sm = _softmax_and_loss(
        shifted, lambda log_total: np.sum(labels * (log_total - shifted), axis=-1))
    sm -= labels
    return loss.astype(features.dtype, copy=False), sm


def _xent_grad(op, grad_loss, grad_grad):
    """TensorFlow's rule, with d(backprop)/d(labels) = -1 also applied to ``grad_grad``."""
    features, labels = op.inputs
    gl = transform_ops.expand_dims(grad_loss, -1)
    g_features = gl * op.outputs[1]
    g_labels = gl * -LOG_SOFTMAX(features)
    if not _is_zeros(grad_grad):
        sm = SOFTMAX(features)
        g_features += (grad_grad - reduction_ops.reduce_sum(grad_grad * sm, -1, keepdims=True)) * sm
        g_labels -= grad_grad
    return [math_ops.sum_to_operand(g_features, features, labels),
            math_ops.sum_to_operand(g_labels, labels, features)]


SOFTMAX_CROSS_ENTROPY_WITH_LOGITS = register(OpDef(
    "SoftmaxCrossEntropyWithLogits", inputs=["features:T", "labels:T"],
    kernel=_xent_kernel, infer=_xent_infer, grad=_xent_grad,
))


def _sparse_xent_infer(features, labels):
    _require_float(features, "features")
    if labels.dtype not in (_dt.int32, _dt.int64):
        raise TypeError(f"Value passed to parameter 'labels' has DataType {labels.dtype.name} "
                        "not in list of allowed values: int32, int64")
    f, lab = features.shape, labels.shape
    if f.rank not in (None, 2):
        raise shape_error(f"Shape must be rank 2 but is rank {f.rank}")
    if lab.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {lab.rank}")
    f, lab = f.with_rank(2), lab.with_rank(1)
    b0, b1 = f[0].value, lab[0].value
    if b0 is not None and b1 is not None and b0 != b1:
        raise shape_error(f"Dimensions must be equal, but are {b0} and {b1}")
    batch = b0 if b0 is not None else b1
    return [TensorSpec([batch], features.dtype), TensorSpec([batch, f[1].value], features.dtype)]


def _sparse_xent_kernel(features, labels):
    n, classes = features.shape
    if labels.shape != (n,):
        raise InvalidArgumentError(None, None, "logits and labels must have the same first "
                                   f"dimension, got logits shape {list(features.shape)} and "
                                   f"labels shape {list(labels.shape)}")
    if classes == 0 and n:
        raise InvalidArgumentError(None, None, "Must have at least one class, but got logits "
                                   f"shape {list(features.shape)}")
    bad = (labels < 0) | (labels >= classes)
    if bad.any():
        first = labels[np.argmax(bad)]
        raise InvalidArgumentError(
            None, None, f"Received a label value of {first} which is outside the valid range "
            f"of [0, {classes}).  Label values: {' '.join(str(v) for v in labels)}")
    rows = np.arange(n)
    shifted = _shifted(features) if n else np.array(features)
    loss, sm = _softmax_and_loss(shifted, lambda log_total: log_total[:, 0] - shifted[rows, labels])
    sm[rows, labels] -= 1
    return loss.astype(features.dtype, copy=False), sm


def _sparse_xent_grad(op, grad_loss, grad_grad):
    features = op.inputs[0]
    g = transform_ops.expand_dims(grad_loss, -1) * op.outputs[1]
    if not _is_zeros(grad_grad):
        sm = SOFTMAX(features)
        g += (grad_grad - reduction_ops.reduce_sum(grad_grad * sm, -1, keepdims=True)) * sm
    return [g, None]


SPARSE_SOFTMAX_CROSS_ENTROPY_WITH_LOGITS = register(OpDef(
    "SparseSoftmaxCrossEntropyWithLogits", inputs=["features:T", "labels:Tlabels=int64"],
    kernel=_sparse_xent_kernel, infer=_sparse_xent_infer, grad=_sparse_xent_grad,
))


# -- tf.nn: softmax family ------------------------------------------------------------------------


def _axis_or_dim(axis, dim):
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'")
    return axis if axis is not None else dim


def _static_int(v):
    if isinstance(v, Tensor):
        value = constant_value(v)
        if value is None:
            raise ValueError(f"axis must be statically known, got {v}")
        return int(value)
    return int(v)


def _move_axis_perm(rank, axis, swap):
    """A permutation taking ``axis`` to the end: swapped with the last (TF's softmax) or moved
    behind the others (TF's cross-entropy)."""
    if swap:
        perm = list(range(rank))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        return perm
    return [d for d in range(rank) if d != axis] + [axis]


def _on_last_axis(opdef, logits, axis, name):
    """Applies a last-axis op along ``axis``: TF transposes ``axis`` to the end and back."""
    x = convert_to_tensor(logits)
    axis = -1 if axis is None else _static_int(axis)
    rank = x.shape.rank
    if axis == -1 or (rank is not None and axis == rank - 1):
        return opdef(x, name=name)
    if rank is None:  # as TF: the permutation is computed at run time
        perm = axis_to_last(x, axis, "softmax")[0]
        return transform_ops.transpose(opdef(transform_ops.transpose(x, perm)), perm,
                                       name=name)
    if not -rank <= axis < rank:
        raise InvalidArgumentError(None, None, f"`dim` must be in the range [{-rank}, {rank}) "
                                   f"where {rank} is the number of dimensions in the input. "
                                   f"Received: dim={axis}")
    perm = _move_axis_perm(rank, axis % rank, swap=True)
    out = transform_ops.transpose(opdef(transform_ops.transpose(x, perm)), perm, name=name)
    out.set_shape(x.shape)
    return out


def softmax(logits, axis=None, name=None, dim=None):
    """Softmax along ``axis`` (default the last): exp(x) / sum(exp(x)), computed max-shifted."""
    return _on_last_axis(SOFTMAX, logits, _axis_or_dim(axis, dim), name)


def log_softmax(logits, axis=None, name=None, dim=None):
    return _on_last_axis(LOG_SOFTMAX, logits, _axis_or_dim(axis, dim), name)


# -- tf.nn: cross-entropy -------------------------------------------------------------------------


def _ensure_xent_args(name, labels, logits):
    # TF 2.x dropped TF 1.x's `_sentinel` first parameter: labels, logits may be positional.
    # The message is TF's, word for word (no space before "Received" there either).
    if labels is None or logits is None:
        raise ValueError(f"Both `labels` and `logits` must be provided for {name}"
                         f"Received: labels={labels} and logits={logits}")


def _flatten_outer_dims(x: Tensor) -> Tensor:
    """``x`` as a matrix [-1, last dim] (TensorFlow's ``_flatten_outer_dims``)."""
    last = x.shape[-1].value if x.shape.rank else None
    if last is None:
        last = array_ops.shape(x)[-1:]
        return array_ops.reshape(x, concat_split_ops.concat([[-1], last], 0))
    return array_ops.reshape(x, [-1, last])


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=None, name=None, dim=None):
    """Cross-entropy of softmax(logits) against the distributions ``labels`` along ``axis``;
    gradients flow into both logits and labels."""
    axis = _axis_or_dim(axis, dim)
    axis = -1 if axis is None else _static_int(axis)
    with name_scope(name, "softmax_cross_entropy_with_logits", [logits, labels]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        half = logits.dtype == _dt.float16
        precise = math_ops.cast(logits, _dt.float32) if half else logits
        labels = math_ops.cast(labels, precise.dtype)
        shape = logits.shape
        rank = shape.rank
        if axis != -1 and not (rank is not None and axis == rank - 1):
            if rank is None:  # as TF: the permutation is computed at run time
                perm = axis_to_last(precise, axis, "softmax_cross_entropy_with_logits",
                                    swap=False)[0]
            else:
                perm = _move_axis_perm(rank, axis % rank, swap=False)
            precise = transform_ops.transpose(precise, perm)
            labels = transform_ops.transpose(labels, perm)
        # As TF, even for matrices: flattened to matrices and the cost reshaped back, so the
        # output is <scope>/Reshape_2 (a frozen graph's output name); the reshapes are views.
        in_shape = array_ops.shape(precise)
        cost = SOFTMAX_CROSS_ENTROPY_WITH_LOGITS(
            _flatten_outer_dims(precise), _flatten_outer_dims(labels), name=scope)[0]
        outer = shape.as_list()[:-1] if rank is not None and axis == -1 else None
        if outer is not None and outer.count(None) <= 1 and 0 not in outer:
            # at most one unknown dim, which -1 says (it could not beside an empty one)
            cost = array_ops.reshape(cost, [-1 if d is None else d for d in outer])
        else:
            cost = array_ops.reshape(cost, in_shape[:-1])
        if rank is not None:
            dims = shape.as_list()
            del dims[axis]
            cost.set_shape(dims)
        return math_ops.cast(cost, logits.dtype) if half else cost


def softmax_cross_entropy_with_logits(labels=None, logits=None, dim=-1, name=None, axis=None):
    """TF1's version: like ``_v2`` but no gradient flows into ``labels``."""
    _ensure_xent_args("softmax_cross_entropy_with_logits", labels, logits)
    axis = axis if axis is not None else dim
    with name_scope(name, "softmax_cross_entropy_with_logits_sg", [logits, labels]) as scope:
        labels = array_ops.stop_gradient(labels, name="labels_stop_gradient")
    return softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits, axis=axis,
                                                name=scope)


def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Cross-entropy of softmax(logits) against integer class ``labels`` (shape logits[:-1])."""
    _ensure_xent_args("sparse_softmax_cross_entropy_with_logits", labels, logits)
    with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits", [labels, logits]):
        labels = convert_to_tensor(labels)
        logits = convert_to_tensor(logits)
        half = logits.dtype == _dt.float16
        precise = math_ops.cast(logits, _dt.float32) if half else logits
        lab, lg = labels.shape, logits.shape
        if lg.rank == 0:
            raise ValueError(f"`logits` cannot be a scalar. Received logits={logits}`")
        if lg.rank is not None and lab.rank is not None and lab.rank != lg.rank - 1:
            raise ValueError(
                "`labels.shape.rank` must equal `logits.shape.rank - 1`. Received: "
                f"labels.shape={lab} of rank {lab.rank} and logits.shape={lg} of rank {lg.rank}")
        if lab.is_fully_defined() and lg[:-1].is_fully_defined() and lab != lg[:-1]:
            raise ValueError("`labels.shape` must equal `logits.shape` except for the last "
                             f"dimension. Received: labels.shape={lab} and logits.shape={lg}")
        op_name = name or "SparseSoftmaxCrossEntropyWithLogits"
        if lg.rank == 2:
            cost = SPARSE_SOFTMAX_CROSS_ENTROPY_WITH_LOGITS(precise, labels, name=op_name)[0]
        else:
            cost = _flattened_sparse_xent(precise, labels, op_name)
        return math_ops.cast(cost, _dt.float16) if half else cost


def _flattened_sparse_xent(logits, labels, op_name):
    """The sparse cross-entropy of logits of any rank, through their [-1, classes] matrix.
    When the shapes are not all known, TF first asserts at run time that labels' shape is
    logits' shape without its last dim (flattening would otherwise pair the wrong rows)."""
    lab = labels.shape
    labels_shape = array_ops.shape(labels)
    checks = []
    if not (lab.is_fully_defined() and logits.shape[:-1].is_fully_defined()):
        checks.append(assert_equal(labels_shape, array_ops.shape(logits)[:-1]))
    with control_dependencies(checks):
        cost = SPARSE_SOFTMAX_CROSS_ENTROPY_WITH_LOGITS(
            _flatten_outer_dims(logits), array_ops.reshape(labels, [-1]), name=op_name)[0]
        cost = array_ops.reshape(cost, lab.as_list() if lab.is_fully_defined()
                                 else labels_shape)
    cost.set_shape(lab)
    return cost
