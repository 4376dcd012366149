"""Grayscale morphology: Dilation2D and its two gradient ops, as TensorFlow's kernels compute
them (``tf.nn.dilation2d`` TF1 signature, ``tf.nn.erosion2d`` composed by duality as TF does).

Each output is ``max over taps (input[b, y*sh + i*rh - pad_top, x*sw + j*rw - pad_left, c] +
filter[i, j, c])`` over the taps that fall inside the input (padding never takes part). The
gradient ops route each output's gradient to the input element and the filter tap of its first
maximum, as TF's CPU kernels do. Also BatchNormWithGlobalNormalization and its gradient op, for
TF1 GraphDefs that still hold them. ``__all__`` also re-exports the tf.nn names of core/nn_extra.py
and of the candidate samplers (core/ops/candidate_ops.py)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, UnimplementedError
from ..graph import name_scope
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, req, shape_error
from ._conv_util import _alias, _check_format_and_padding, _dims, _merge, _out_dim, _require
from .reverse_ops import REVERSE_V2
from .unary_ops import negative

# TensorFlow's type constraint for the Dilation2D and BatchNormWithGlobalNormalization families
# (its order; no bfloat16 or quantized types in minitf).
_DILATION_TYPES = (_dt.float32, _dt.float64, _dt.int32, _dt.uint8, _dt.int16, _dt.int8,
                   _dt.int64, _dt.uint16, _dt.float16, _dt.uint32, _dt.uint64)


# -- geometry ------------------------------------------------------------------------------------


def _check_attrs(op_type, strides, rates, padding):
    """Graph-construction checks of the attrs (TF's op registration)."""
    for name, values in (("strides", strides), ("rates", rates)):
        if len(values) < 4:
            raise shape_error(f"Attr '{name}' of '{op_type}' Op passed list of length "
                              f"{len(values)} less than minimum 4.")
    _check_format_and_padding(op_type, "NHWC", padding, ("NHWC",), ("SAME", "VALID"))


def _check_kernel_attrs(op_type, strides, rates):
    """TF's kernels reject these at run time (Unimplemented), not at graph construction."""
    if len(strides) != 4 or strides[0] != 1 or strides[3] != 1:
        raise UnimplementedError(None, None, f"{op_type} is only implemented for stride 1 on "
                                 f"the batch and depth dimensions, got strides {strides}")
    if len(rates) != 4 or rates[0] != 1 or rates[3] != 1:
        raise UnimplementedError(None, None, f"{op_type} is only implemented for rate 1 on the "
                                 f"batch and depth dimensions, got rates {rates}")


def _out_size(size, k, stride, rate, padding):
    """(output size, pad before) of one spatial dim: TF's GetWindowedOutputSize, whose VALID
    output is 0 (not an error) for a window up to a stride too large."""
    out, before, _ = _out_dim(size, k, stride, rate, padding, (0, 0), at_run_time=True)
    return out, before


def _tap_positions(size, k, stride, rate, padding):
    """pos[i, o]: the input row (or column) of tap i for output o, and the output size."""
    out, before = _out_size(size, k, stride, rate, padding)
    pos = np.arange(k)[:, None] * rate + np.arange(out)[None, :] * stride - before
    return pos, out


def _check_inputs(op_type, x, f):
    if x.ndim != 4:
        raise InvalidArgumentError(None, None, f"input must be 4-dimensional{list(x.shape)}")
    if f.ndim != 3:
        raise InvalidArgumentError(None, None, f"filter must be 3-dimensional: "
                                   f"{list(f.shape)}")
    if x.shape[3] != f.shape[2]:
        raise InvalidArgumentError(None, None, f"input and filter must have the same depth: "
                                   f"{x.shape[3]} vs {f.shape[2]}")


def _taps(x, f, strides, rates, padding):
    """(values [n, taps, oh, ow, c] with out-of-input taps at the dtype's lowest value,
    rows [kh, oh], cols [kw, ow], whether each output position has any tap in the input)."""
    _, h, w, _ = x.shape
    kh, kw, _ = f.shape
    rows, oh = _tap_positions(h, kh, strides[1], rates[1], padding)
    cols, ow = _tap_positions(w, kw, strides[2], rates[2], padding)
    row_ok, col_ok = (rows >= 0) & (rows < h), (cols >= 0) & (cols < w)
    r = np.clip(rows, 0, max(h - 1, 0))[:, None, :, None]
    c = np.clip(cols, 0, max(w - 1, 0))[None, :, None, :]
    values = x[:, r, c, :] + f[:, :, None, None, :]  # [n, kh, kw, oh, ow, c]
    ok = row_ok[:, None, :, None] & col_ok[None, :, None, :]  # [kh, kw, oh, ow]
    lowest = np.finfo(x.dtype).min if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    values = np.where(ok[..., None], values, np.asarray(lowest, x.dtype))
    return values.reshape(x.shape[0], kh * kw, oh, ow, x.shape[3]), rows, cols, ok.any((0, 1))


def _dilation2d_kernel(input, filter, *, strides, rates, padding):  # noqa: A002
    _check_kernel_attrs("Dilation2D", strides, rates)
    _check_inputs("Dilation2D", input, filter)
    values, *_ = _taps(input, filter, strides, rates, padding)
    return values.max(axis=1)


def _argmax_taps(op_type, x, f, dy, strides, rates, padding):
    """Index arrays (n, oh, ow, c, tap row, tap col, input row, input col) of every output's
    first maximum, as TF's backprop kernels find it."""
    _check_kernel_attrs(op_type, strides, rates)
    _check_inputs(op_type, x, f)
    values, rows, cols, any_ok = _taps(x, f, strides, rates, padding)
    if dy.shape != values.shape[:1] + values.shape[2:]:
        raise InvalidArgumentError(None, None, f"out_backprop has incompatible size: "
                                   f"{list(dy.shape)}, expected "
                                   f"{[values.shape[0], *values.shape[2:]]}")
    best = values.argmax(axis=1)  # first maximum, as TF's strict ">" keeps the first
    ti, tj = np.divmod(best, f.shape[1])
    n, oy, ox, c = np.indices(best.shape, sparse=True)
    # With no tap inside the input TF sends the gradient to the clamped window start.
    iy = np.where(any_ok[oy, ox], rows[ti, oy], np.maximum(rows[0, oy], 0))
    ix = np.where(any_ok[oy, ox], cols[tj, ox], np.maximum(cols[0, ox], 0))
    return n, c, ti, tj, iy, ix


def _dilation2d_backprop_input_kernel(input, filter, out_backprop, *, strides, rates,  # noqa: A002
                                      padding):
    n, c, _, _, iy, ix = _argmax_taps("Dilation2DBackpropInput", input, filter, out_backprop,
                                      strides, rates, padding)
    dx = np.zeros_like(input)
    np.add.at(dx, (n, iy, ix, c), out_backprop)
    return dx


def _dilation2d_backprop_filter_kernel(input, filter, out_backprop, *, strides,  # noqa: A002
                                       rates, padding):
    _, c, ti, tj, _, _ = _argmax_taps("Dilation2DBackpropFilter", input, filter, out_backprop,
                                      strides, rates, padding)
    df = np.zeros_like(filter)
    np.add.at(df, (ti, tj, c), out_backprop)
    return df


# -- inference and gradient ----------------------------------------------------------------------


def _dilation2d_out(op_type, x, f, strides, rates, padding):
    _check_attrs(op_type, strides, rates, padding)
    _require(x, "input", _DILATION_TYPES)
    n, h, w, depth = _dims(x.shape, 4)
    kh, kw, fdepth = _dims(f.shape, 3)
    depth = _merge(depth, fdepth)
    oh = None if h is None or kh is None else _out_size(h, kh, strides[1], rates[1], padding)[0]
    ow = None if w is None or kw is None else _out_size(w, kw, strides[2], rates[2], padding)[0]
    return [n, oh, ow, depth]


def _dilation2d_infer(x, f, *, strides, rates, padding):
    return [TensorSpec(_dilation2d_out("Dilation2D", x, f, strides, rates, padding), x.dtype)]


def _backprop_infer(op_type, like):
    def infer(x, f, dy, *, strides, rates, padding):
        _dilation2d_out(op_type, x, f, strides, rates, padding)
        _dims(dy.shape, 4)
        spec = x if like == "input" else f
        return [TensorSpec(spec.shape, x.dtype)]
    return infer


def _dilation2d_grad(op, grad):
    """TF's _Dilation2DGrad: both backprop ops with the forward op's attrs."""
    x, f = op.inputs
    attrs = {k: op._get_attr(k) for k in ("strides", "rates", "padding")}
    return [DILATION2D_BACKPROP_INPUT(x, f, grad, **attrs),
            DILATION2D_BACKPROP_FILTER(x, f, grad, **attrs)]


_DILATION_ATTRS = {"strides": req("list(int)"), "rates": req("list(int)"),
                   "padding": req("string")}

DILATION2D = register(OpDef(
    "Dilation2D", inputs=["input:T", "filter:T"], attrs=dict(_DILATION_ATTRS),
    kernel=_dilation2d_kernel, infer=_dilation2d_infer, grad=_dilation2d_grad,
    doc="grayscale dilation of a 4-D NHWC input by a 3-D [height, width, depth] filter",
))
# TF registers no gradient for the two backprop ops: asking for one raises LookupError.
DILATION2D_BACKPROP_INPUT = register(OpDef(
    "Dilation2DBackpropInput", inputs=["input:T", "filter:T", "out_backprop:T"],
    attrs=dict(_DILATION_ATTRS), kernel=_dilation2d_backprop_input_kernel,
    infer=_backprop_infer("Dilation2DBackpropInput", "input"), grad=NO_GRADIENT,
))
DILATION2D_BACKPROP_FILTER = register(OpDef(
    "Dilation2DBackpropFilter", inputs=["input:T", "filter:T", "out_backprop:T"],
    attrs=dict(_DILATION_ATTRS), kernel=_dilation2d_backprop_filter_kernel,
    infer=_backprop_infer("Dilation2DBackpropFilter", "filter"), grad=NO_GRADIENT,
))


# -- BatchNormWithGlobalNormalization (TF1 GraphDefs of producer version < 9) ------------------
# TF removed the op at GraphDef version 9 (tf.nn.batch_norm_with_global_normalization composes
# batch_normalization instead, core/nn_extra.py), but frozen graphs of that age still hold it.


def _bn_dims(t, vectors):
    """t's dims, its depth merged with the length of each 1-D vector."""
    dims = _dims(t.shape, 4)
    for spec in vectors:
        dims[3] = _merge(dims[3], _dims(spec.shape, 1)[0])
    return dims


def _check_bn_inputs(t, named):
    if t.ndim != 4:
        raise InvalidArgumentError(None, None, f"input must be 4-dimensional{list(t.shape)}")
    for name, value in named.items():
        if value.ndim != 1 or value.shape[0] != t.shape[3]:
            raise InvalidArgumentError(None, None, f"{name} must be 1-dimensional with the "
                                       f"input's depth {t.shape[3]}, got {list(value.shape)}")


def _bn_global_kernel(t, m, v, beta, gamma, *, variance_epsilon, scale_after_normalization):
    _check_bn_inputs(t, {"mean": m, "variance": v, "beta": beta, "gamma": gamma})
    inv = 1 / np.sqrt(v + np.asarray(variance_epsilon, v.dtype))
    if scale_after_normalization:
        inv = inv * gamma
    return ((t - m) * inv + beta).astype(t.dtype, copy=False)


def _bn_global_grad_kernel(t, m, v, gamma, backprop, *, variance_epsilon,
                           scale_after_normalization):
    """TF's BatchNormGrad functor: (dx, dm, dv, db, dg), gamma taken as 1 (and dg 0) without
    scale_after_normalization."""
    _check_bn_inputs(t, {"mean": m, "variance": v, "gamma": gamma})
    axes = (0, 1, 2)
    scale = gamma if scale_after_normalization else np.ones_like(gamma)
    rsqrt = 1 / np.sqrt(v + np.asarray(variance_epsilon, v.dtype))
    db = backprop.sum(axes)
    centered = (backprop * (t - m)).sum(axes)
    dv = centered * (-0.5 * rsqrt / (v + np.asarray(variance_epsilon, v.dtype))) * scale
    dg = centered * rsqrt if scale_after_normalization else np.zeros_like(db)
    outs = [backprop * (rsqrt * scale), -db * rsqrt * scale, dv, db, dg]
    return [o.astype(t.dtype, copy=False) for o in outs]


def _bn_global_infer(t, m, v, beta, gamma, *, variance_epsilon, scale_after_normalization):
    _require(t, "t", _DILATION_TYPES)
    return [TensorSpec(_bn_dims(t, (m, v, beta, gamma)), t.dtype)]


def _bn_global_grad_infer(t, m, v, gamma, backprop, *, variance_epsilon,
                          scale_after_normalization):
    _require(t, "t", _DILATION_TYPES)
    dims = _bn_dims(t, (m, v, gamma))
    _dims(backprop.shape, 4)
    return [TensorSpec(dims, t.dtype)] + [TensorSpec([dims[3]], t.dtype)] * 4


def _bn_global_grad(op, grad):
    """TF's _BatchNormWithGlobalNormalizationGrad: the grad op gives all five at once."""
    t, m, v, _, gamma = op.inputs
    return BATCH_NORM_WITH_GLOBAL_NORMALIZATION_GRAD(
        t, m, v, gamma, grad, variance_epsilon=op._get_attr("variance_epsilon"),
        scale_after_normalization=op._get_attr("scale_after_normalization"))


_BN_ATTRS = {"variance_epsilon": req("float"), "scale_after_normalization": req("bool")}

BATCH_NORM_WITH_GLOBAL_NORMALIZATION = register(OpDef(
    "BatchNormWithGlobalNormalization", inputs=["t:T", "m:T", "v:T", "beta:T", "gamma:T"],
    attrs=dict(_BN_ATTRS), kernel=_bn_global_kernel, infer=_bn_global_infer,
    grad=_bn_global_grad,
    doc="(t - m) / sqrt(v + variance_epsilon) (* gamma) + beta over a 4-D input's last dim",
))
BATCH_NORM_WITH_GLOBAL_NORMALIZATION_GRAD = register(OpDef(
    "BatchNormWithGlobalNormalizationGrad",
    inputs=["t:T", "m:T", "v:T", "gamma:T", "backprop:T"], attrs=dict(_BN_ATTRS),
    kernel=_bn_global_grad_kernel, infer=_bn_global_grad_infer, grad=NO_GRADIENT,
    doc="(dx, dm, dv, db, dg) of BatchNormWithGlobalNormalization",
))


# -- tf.nn wrappers (TF1 signatures and node names) ----------------------------------------------


def dilation2d(input, filter=None, strides=None, rates=None, padding=None,  # noqa: A002
               name=None, filters=None, dilations=None):
    """``tf.nn.dilation2d`` (TF1): a Dilation2D node; ``filters``/``dilations`` are TF's
    newer names for ``filter``/``rates``."""
    filter = _alias("filters", filters, "filter", filter)  # noqa: A001
    rates = _alias("dilations", dilations, "rates", rates)
    return DILATION2D(input, filter, strides=strides, rates=rates, padding=padding, name=name)


def erosion2d(value, kernel, strides, rates, padding, name=None):
    """``tf.nn.erosion2d``: by duality, ``-dilation2d(-value, reverse(kernel, [0, 1]))`` with
    the Dilation2D node named after the scope, as TF builds it."""
    with name_scope(name, "erosion2d", [value, kernel]) as scope:
        negated = negative(value)
        dilated = DILATION2D(negated, REVERSE_V2(kernel, [0, 1]), strides=strides, rates=rates,
                             padding=padding, name=scope)
        return negative(dilated)


from ..nn_extra import (batch_norm_with_global_normalization,  # noqa: E402 - needs the ops above
                        compute_average_loss, conv_transpose, scale_regularization_loss)
from .candidate_ops import (all_candidate_sampler, compute_accidental_hits,  # noqa: E402
                            fixed_unigram_candidate_sampler, learned_unigram_candidate_sampler,
                            uniform_candidate_sampler)

__all__ = ["dilation2d", "erosion2d", "batch_norm_with_global_normalization",
           "compute_average_loss", "conv_transpose", "scale_regularization_loss",
           "all_candidate_sampler", "compute_accidental_hits", "fixed_unigram_candidate_sampler",
           "learned_unigram_candidate_sampler", "uniform_candidate_sampler"]
