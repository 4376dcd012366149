"""Fused batch normalization: FusedBatchNorm, FusedBatchNormV2, FusedBatchNormV3 and their
gradient ops FusedBatchNormGrad, FusedBatchNormGradV2, FusedBatchNormGradV3 (TensorFlow's names,
inputs, outputs, attrs and CPU kernel semantics), and TF1's ``tf.nn.fused_batch_norm``.

Forward, per channel c over the other axes (n values):
- training: ``y = (x - mean_b) * rsqrt(var_b + eps) * scale + offset`` with the batch's mean and
  biased variance; ``batch_mean``/``batch_variance`` are what the moving averages take: the
  batch mean and the Bessel-corrected variance ``var_b * n / (n - 1)``, blended as
  ``(1 - f) * input + f * batch`` when ``exponential_avg_factor`` f is not 1 (with f = 1 the
  mean/variance inputs are not read and may be empty, as TF1 passes them);
  ``reserve_space_1``/``_2`` are the batch mean and biased variance (what the gradient needs);
- inference: the same with the given mean/variance; ``batch_mean``/``batch_variance`` echo them.
  TF's CPU kernel leaves the reserve spaces uninitialised here; we fill them with the given
  mean/variance (nothing reads them: the inference gradient takes the op's inputs).
V3's ``reserve_space_3`` is a scalar 0 on CPU. An empty x gives NaN statistics, as TF.

The gradient ops take the mean and variance to use as ``reserve_space_1``/``_2``. TF restricts T
to half/bfloat16/float and U (and the grad ops' ``scale``) to float; we also take float64 (the
op tests check gradients numerically in float64). The grad ops' ``scale`` is declared ``U``
rather than a fixed float: it adds no attr to the NodeDef (U is already there), so GraphDefs are
unchanged, and float64 graphs differentiate.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor
from ..opdef import OpDef, TensorSpec, register, shape_error
from . import array_ops, math_ops, reduction_ops, transform_ops, unary_ops

__all__ = ["fused_batch_norm"]

_FORMATS_2D = ("NHWC", "NCHW")
_FORMATS_3D = ("NDHWC", "NCDHW")
_X_TYPES = (_dt.float16, _dt.float32, _dt.float64)
_U_TYPES = (_dt.float32, _dt.float64)


def _layout(data_format: str):
    """(rank, channel axis) of a data format."""
    rank = 5 if data_format in _FORMATS_3D else 4
    return rank, (1 if data_format.startswith("NC") else rank - 1)


def _check_format(op_type: str, data_format: str, formats):
    if data_format not in formats:
        allowed = ", ".join(f'"{f}"' for f in formats)
        raise shape_error(f"Attr 'data_format' of '{op_type}' Op passed string '{data_format}' "
                          f"not in: {allowed}.")


def _check_dtype(spec: TensorSpec, arg: str, allowed):
    if spec.dtype not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise TypeError(f"Value passed to parameter '{arg}' has DataType {spec.dtype.name} not "
                        f"in list of allowed values: {names}")


def _merge(a, b):
    if a is not None and b is not None and a != b:
        raise shape_error(f"Dimensions must be equal, but are {a} and {b}")
    return a if a is not None else b


def _vector_dim(spec: TensorSpec):
    """The length of a 1-D input (None if unknown); other ranks fail as TF's shape function."""
    if spec.shape.rank is None:
        return None
    if spec.shape.rank != 1:
        raise shape_error(f"Shape must be rank 1 but is rank {spec.shape.rank}")
    return spec.shape[0].value


def _x_dims(spec: TensorSpec, rank: int):
    if spec.shape.rank is None:
        return [None] * rank
    if spec.shape.rank != rank:
        raise shape_error(f"Shape must be rank {rank} but is rank {spec.shape.rank}")
    return list(spec.shape.as_tuple())


# -- forward ---------------------------------------------------------------------------------------


def _fused_bn_infer(op_type, v3, x, scale, offset, mean, variance, *, epsilon,
                    exponential_avg_factor, data_format, is_training):
    _check_format(op_type, data_format, _FORMATS_2D + (_FORMATS_3D if v3 else ()))
    _check_dtype(x, "x", _X_TYPES if op_type != "FusedBatchNorm" else _U_TYPES)
    _check_dtype(scale, "scale", _U_TYPES)
    rank, axis = _layout(data_format)
    dims = _x_dims(x, rank)
    c = dims[axis]
    checked = [scale, offset]
    if not is_training or exponential_avg_factor != 1.0:  # only then are they read
        checked += [mean, variance]
    for spec in checked:
        c = _merge(c, _vector_dim(spec))
    dims[axis] = c
    u = scale.dtype
    out = [TensorSpec(dims, x.dtype)] + [TensorSpec([c], u) for _ in range(4)]
    return out + [TensorSpec([], u)] if v3 else out


def _channels_last(a: np.ndarray, axis: int) -> np.ndarray:
    return a if axis == a.ndim - 1 else np.moveaxis(a, axis, -1)


def _check_channels(op_type, x, axis, named):
    c = x.shape[axis]
    for name, v in named:
        if v.size != c:
            raise InvalidArgumentError(None, None, f"{op_type}: {name} must have the same number "
                                       f"of elements as the channels of x, got {v.size} and {c}")


def _fused_bn_kernel(op_type, v3, x, scale, offset, mean, variance, *, epsilon,
                     exponential_avg_factor, data_format, is_training):
    rank, axis = _layout(data_format)
    if x.ndim != rank:
        raise InvalidArgumentError(None, None, f"{op_type}: input must be {rank}-dimensional "
                                   f"for data_format {data_format}, got shape {list(x.shape)}")
    _check_channels(op_type, x, axis, [("scale", scale), ("offset", offset)])
    blend = exponential_avg_factor != 1.0
    if not is_training or blend:
        when = "is_training=false" if not is_training else "exponential_avg_factor != 1"
        _check_channels(op_type, x, axis, [(f"When {when}, mean", mean),
                                           (f"When {when}, variance", variance)])
    u = scale.dtype.type
    eps = u(epsilon)
    xl = _channels_last(x, axis).astype(u, copy=False)  # half math runs in U, as TF's kernel
    xl2 = xl.reshape(-1, xl.shape[-1])
    c = xl2.shape[1]
    n = xl2.shape[0]
    if is_training:
        if n == 0:
            m = var = np.full(c, np.nan, u)
        else:
            m = xl2.mean(axis=0)
            var = np.square(xl2 - m).mean(axis=0)
        # The moving averages take the unbiased variance; y uses the biased one.
        unbiased = var * u(n / (n - 1)) if n > 1 else var
        if blend:
            f = u(exponential_avg_factor)
            batch_mean = (u(1) - f) * mean + f * m
            batch_var = (u(1) - f) * variance + f * unbiased
        else:
            batch_mean, batch_var = m, unbiased
        reserve = [m, var]
    else:
        m, var = mean.astype(u, copy=False), variance.astype(u, copy=False)
        if n == 0:  # as TF: no values, no statistics
            batch_mean = batch_var = np.full(c, np.nan, u)
        else:
            batch_mean, batch_var = m.copy(), var.copy()
        reserve = [m.copy(), var.copy()]
    # (x - mean) * factor + offset, in TF's order: no cancellation for x far from 0.
    factor = (u(1) / np.sqrt(var + eps)) * scale
    y = xl - m
    y *= factor
    y += offset
    y = y.astype(x.dtype, copy=False)
    if axis != rank - 1:
        y = np.moveaxis(y, -1, axis)
    out = [np.ascontiguousarray(y), np.asarray(batch_mean, u), np.asarray(batch_var, u),
           *reserve]
    return out + [np.zeros((), u)] if v3 else out


def _fused_bn_grad_rule(grad_opdef, v3):
    """TF's gradient (nn_grad._BaseFusedBatchNormGrad): the grad op on the reserve spaces when
    training; on the population mean/variance in NHWC/NDHWC when not. Only y's gradient is
    used; mean and variance get none."""
    def rule(op, dy, *_):
        x, scale = op.inputs[0], op.inputs[1]
        epsilon = op._get_attr("epsilon")
        data_format = op._get_attr("data_format")
        is_training = op._get_attr("is_training")
        extra = [op.outputs[5]] if v3 else []
        if is_training:
            dx, dscale, doffset = grad_opdef(
                dy, x, scale, op.outputs[3], op.outputs[4], *extra, epsilon=epsilon,
                data_format=data_format, is_training=True)[:3]
            return [dx, dscale, doffset, None, None]
        rank, axis = _layout(data_format)
        if axis == 1:  # TF's rule runs the inference gradient channels-last
            perm = [0] + list(range(2, rank)) + [1]
            x = transform_ops.transpose(x, perm)
            dy = transform_ops.transpose(dy, perm)
        dx, dscale, doffset = grad_opdef(
            dy, x, scale, op.inputs[3], op.inputs[4], *extra, epsilon=epsilon,
            data_format="NHWC" if rank == 4 else "NDHWC", is_training=False)[:3]
        if axis == 1:
            dx = transform_ops.transpose(dx, [0, rank - 1] + list(range(1, rank - 1)))
        return [dx, dscale, doffset, None, None]
    return rule


# -- gradient ops ----------------------------------------------------------------------------------


def _fused_bn_grad_infer(op_type, v3, y_backprop, x, scale, reserve_space_1, reserve_space_2,
                         *rest, epsilon, data_format, is_training):
    _check_format(op_type, data_format, _FORMATS_2D + (_FORMATS_3D if v3 else ()))
    _check_dtype(x, "x", _X_TYPES if op_type != "FusedBatchNormGrad" else _U_TYPES)
    _check_dtype(reserve_space_1, "reserve_space_1", _U_TYPES)
    rank, axis = _layout(data_format)
    dims = [_merge(a, b) for a, b in zip(_x_dims(y_backprop, rank), _x_dims(x, rank))]
    c = dims[axis]
    for spec in (scale, reserve_space_1, reserve_space_2):
        c = _merge(c, _vector_dim(spec))
    dims[axis] = c
    u = reserve_space_1.dtype
    return [TensorSpec(dims, x.dtype), TensorSpec([c], u), TensorSpec([c], u),
            TensorSpec([0], u), TensorSpec([0], u)]


def _fused_bn_grad_kernel(op_type, v3, y_backprop, x, scale, reserve_space_1, reserve_space_2,
                          *rest, epsilon, data_format, is_training):
    rank, axis = _layout(data_format)
    if x.ndim != rank or y_backprop.shape != x.shape:
        raise InvalidArgumentError(
            None, None, f"{op_type}: x and y_backprop must be {rank}-dimensional tensors of "
            f"one shape for data_format {data_format}, got {list(x.shape)} and "
            f"{list(y_backprop.shape)}")
    _check_channels(op_type, x, axis, [("scale", scale), ("reserve_space_1", reserve_space_1),
                                       ("reserve_space_2", reserve_space_2)])
    u = reserve_space_1.dtype.type
    c = x.shape[axis]
    xl = _channels_last(x, axis).astype(u, copy=False).reshape(-1, c)
    g = _channels_last(y_backprop, axis).astype(u, copy=False).reshape(-1, c)
    n = xl.shape[0]
    inv = u(1) / np.sqrt(reserve_space_2.astype(u, copy=False) + u(epsilon))
    xc = xl - reserve_space_1.astype(u, copy=False)
    offset_backprop = g.sum(axis=0)
    sum_g_xc = (g * xc).sum(axis=0)
    scale_backprop = sum_g_xc * inv
    k = scale.astype(u, copy=False) * inv
    if is_training:
        # d/dx of the batch-normalised y: the mean's and variance's dependence on x included.
        count = u(max(n, 1))
        dx = k * (g - offset_backprop / count - xc * (sum_g_xc / count) * inv * inv)
    else:
        dx = g * k
    dx = dx.astype(x.dtype, copy=False).reshape(_channels_last(x, axis).shape)
    if axis != rank - 1:
        dx = np.ascontiguousarray(np.moveaxis(dx, -1, axis))
    empty = np.zeros(0, u)
    return [dx, scale_backprop.astype(u, copy=False), offset_backprop.astype(u, copy=False),
            empty, empty.copy()]


def _batch_norm_grad_graph(dy, x, scale, mean, variance, epsilon, data_format, is_training):
    """The grad op's three outputs composed from differentiable ops (TF's _BatchNormGrad), for
    differentiating them. Training recomputes the batch statistics from x, so the result is
    the second derivative of the forward op (whose reserve spaces are x's statistics)."""
    x_dtype = x.dtype
    if x_dtype == _dt.float16:  # half is too coarse for this arithmetic, as in TF
        x = math_ops.cast(x, _dt.float32)
        dy = math_ops.cast(dy, _dt.float32)
    rank, axis = _layout(data_format)
    axes = [a for a in range(rank) if a != axis]
    if axis == 1:  # parameters broadcast along dimension 1
        bshape = [1, -1] + [1] * (rank - 2)
        scale = array_ops.reshape(scale, bshape)
        mean = array_ops.reshape(mean, bshape)
        variance = array_ops.reshape(variance, bshape)
    keep = axis == 1
    if is_training:
        mean_dy = reduction_ops.reduce_mean(dy, axes, keepdims=keep)
        mean = reduction_ops.reduce_mean(x, axes, keepdims=keep)
        variance = reduction_ops.reduce_mean(
            math_ops.squared_difference(x, array_ops.stop_gradient(mean)), axes, keepdims=keep)
        xc = x - mean
        inv = unary_ops.rsqrt(variance + epsilon)
        mean_dy_xc = reduction_ops.reduce_mean(dy * xc, axes, keepdims=keep)
        dx = scale * inv * (dy - mean_dy - unary_ops.reciprocal(variance + epsilon) *
                            mean_dy_xc * xc)
        dscale = inv * reduction_ops.reduce_sum(dy * xc, axes, keepdims=keep)
        if keep:
            dscale = array_ops.reshape(dscale, [-1])
    else:
        inv = unary_ops.rsqrt(variance + epsilon)
        dscale = reduction_ops.reduce_sum(dy * (x - mean) * inv, axes)
        dx = dy * scale * inv
    doffset = reduction_ops.reduce_sum(dy, axes)
    return math_ops.cast(dx, x_dtype), dscale, doffset


def _fused_bn_grad_grad(op, ggx, ggscale, ggoffset, *_):
    """TF's _FusedBatchNormGradGrad: differentiate the composed gradient with respect to
    y_backprop, x and scale (the reserve spaces get none)."""
    from ..gradients import gradients

    dy, x, scale, mean, variance = op.inputs[:5]
    outs = _batch_norm_grad_graph(dy, x, scale, mean, variance, op._get_attr("epsilon"),
                                  op._get_attr("data_format"), op._get_attr("is_training"))
    # Stop at the op's inputs: only the composed ops are differentiated (TF's tape), not the
    # graph that made dy from x.
    grads = gradients(list(outs), [dy, x, scale], grad_ys=[ggx, ggscale, ggoffset],
                      stop_gradients=list(op.inputs))
    return grads + [None] * (len(op.inputs) - 3)


def _declare(op_type, inputs, v3, kernel, infer, grad, attrs):
    def k(*args, **kw):
        return kernel(op_type, v3, *args, **kw)

    def i(*args, **kw):
        return infer(op_type, v3, *args, **kw)
    return register(OpDef(op_type, inputs=inputs, attrs=attrs, kernel=k, infer=i, grad=grad))


_FWD_ATTRS = {"epsilon": 0.0001, "exponential_avg_factor": 1.0, "data_format": "NHWC",
              "is_training": True}
_GRAD_ATTRS = {"epsilon": 0.0001, "data_format": "NHWC", "is_training": True}


def _grad_op(op_type, v1):
    t = "T" if v1 else "U"
    inputs = ["y_backprop:T", "x:T", f"scale:{t}", f"reserve_space_1:{t}",
              f"reserve_space_2:{t}"] + (["reserve_space_3:U"] if op_type.endswith("V3") else [])
    return _declare(op_type, inputs, op_type.endswith("V3"), _fused_bn_grad_kernel,
                    _fused_bn_grad_infer, _fused_bn_grad_grad, dict(_GRAD_ATTRS))


FUSED_BATCH_NORM_GRAD = _grad_op("FusedBatchNormGrad", True)
FUSED_BATCH_NORM_GRAD_V2 = _grad_op("FusedBatchNormGradV2", False)
FUSED_BATCH_NORM_GRAD_V3 = _grad_op("FusedBatchNormGradV3", False)

FUSED_BATCH_NORM = _declare(
    "FusedBatchNorm", ["x:T", "scale:T", "offset:T", "mean:T", "variance:T"], False,
    _fused_bn_kernel, _fused_bn_infer, _fused_bn_grad_rule(FUSED_BATCH_NORM_GRAD, False),
    dict(_FWD_ATTRS))
FUSED_BATCH_NORM_V2 = _declare(
    "FusedBatchNormV2", ["x:T", "scale:U", "offset:U", "mean:U", "variance:U"], False,
    _fused_bn_kernel, _fused_bn_infer, _fused_bn_grad_rule(FUSED_BATCH_NORM_GRAD_V2, False),
    dict(_FWD_ATTRS))
FUSED_BATCH_NORM_V3 = _declare(
    "FusedBatchNormV3", ["x:T", "scale:U", "offset:U", "mean:U", "variance:U"], True,
    _fused_bn_kernel, _fused_bn_infer, _fused_bn_grad_rule(FUSED_BATCH_NORM_GRAD_V3, True),
    dict(_FWD_ATTRS))


# -- tf.nn -----------------------------------------------------------------------------------------


def fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001,
                     data_format="NHWC", is_training=True, name=None,
                     exponential_avg_factor=1.0):
    """``tf.nn.fused_batch_norm`` (TF1): one FusedBatchNormV3 node; returns (y, running_mean,
    running_var). Training without mean/variance passes empty constants (the kernel does not
    read them then)."""
    if (not is_training or exponential_avg_factor != 1.0) and (mean is None or variance is None):
        raise ValueError("Both `mean` and `variance` must be a 1D tensor when `is_training` is "
                         "False or `exponential_avg_factor` != 1.0. Received: `mean` "
                         f"{mean!r} and `variance` {variance!r}")
    x = convert_to_tensor(x, name="input")
    scale = convert_to_tensor(scale, name="scale")
    offset = convert_to_tensor(offset, name="offset")
    if mean is None:
        mean = array_ops.constant([], dtype=scale.dtype)  # float32 in TF, whose U is float
    if variance is None:
        variance = array_ops.constant([], dtype=scale.dtype)
    y, running_mean, running_var = FUSED_BATCH_NORM_V3(
        x, scale, offset, mean, variance, epsilon=epsilon,
        exponential_avg_factor=exponential_avg_factor, data_format=data_format,
        is_training=is_training, name=name)[:3]
    return y, running_mean, running_var
