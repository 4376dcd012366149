"""``FoldBatchNorms`` of ``tf.contrib.quantize`` (TF 1.15's fold_batch_norms): a batch norm
after a Conv2D, MatMul or DepthwiseConv2dNative becomes part of the layer, so the weights are
quantized as inference will use them: ``mul_fold = weights * gamma / sqrt(var + eps)``, the
layer cloned as ``<layer>_Fold`` on them, and ``add_fold = ... + (beta - mean * gamma / sqrt(var
+ eps))``; the batch norm's consumers read ``add_fold``.

In a training rewrite of a batch norm that normalises by batch statistics, TF's corrections
make the weights scale by the *moving* standard deviation (steadier to quantize) and undo it
after the layer (``batch_norm_correction/*``, ``correction_mult``, ``post_conv_mul``,
``correction_add``); after ``freeze_batch_norm_delay`` quantization steps the moving statistics
are used and no longer updated. The float result is the batch norm's either way.

Fused batch norms are found by op types, as TF does; unfused ones (nn.batch_normalization's
ops) by their structure, where TF 1.15 looked up contrib.layers' op names: so tf.layers'
unfused batch norms fold too, and a batch norm whose scale is not one value per channel (a
layer norm) is left alone.
"""

from __future__ import annotations

import minitf as tf

from ..gradients import RegisterGradient
from .quantize_ops import (SKIPPED_PREFIXES, MatchResult, OneofPattern, OpTypePattern,
                           match_graph, quantization_step, reroute)

_LAYER_TYPES = ("Conv2D", "MatMul", "DepthwiseConv2dNative")
_ADDS = ("Add", "AddV2")
_GRAD_NAME = "FoldFusedBatchNormGrad"


def FoldBatchNorms(graph, is_training, freeze_batch_norm_delay=None):  # noqa: N802 - TF's name
    """Folds the batch norms of ``graph`` that follow a Conv2D, MatMul or
    DepthwiseConv2dNative into it (in place). ValueError when one cannot be folded."""
    with graph.as_default():
        _fold_fused(graph, is_training, freeze_batch_norm_delay)
        _fold_unfused(graph, is_training, freeze_batch_norm_delay)


class _BatchNorm:
    """What folding one batch norm needs (tensors; the moving_* and decays only when the
    batch norm normalises by batch statistics and updates moving averages)."""

    def __init__(self, **kw):
        self.moving_mean = self.moving_variance = self.decay_mean = self.decay_var = None
        self.__dict__.update(kw)

    @property
    def has_updates(self):
        return None not in (self.moving_mean, self.moving_variance, self.decay_mean,
                            self.decay_var)


def _scope_of(name):
    return name.rpartition("/")[0]


def _abs_scope(graph, scope):
    """The name scope ``scope`` itself (not a uniquified one); the root for ''."""
    return graph.name_scope(scope + "/" if scope else None)


# -- fused batch norms -----------------------------------------------------------------------------
def _fused_patterns():
    p = {k: OpTypePattern("*") for k in ("input", "weight", "gamma", "beta", "mean", "var")}
    p["layer"] = OpTypePattern("|".join(_LAYER_TYPES), inputs=[p["input"], p["weight"]])
    layer_output = OneofPattern([OpTypePattern("Identity", inputs=[p["layer"]]), p["layer"]])
    p["matmul_reshape"] = OpTypePattern("Reshape", inputs=[layer_output, "*"])
    p["bn"] = OpTypePattern("FusedBatchNorm|FusedBatchNormV3", inputs=[
        OneofPattern([p["matmul_reshape"], layer_output]), p["gamma"], p["beta"], p["mean"],
        p["var"]])
    p["bn_reshape"] = OpTypePattern("Reshape", inputs=[p["bn"], "*"])
    return p


def _moving_average_of(batch_stats):
    """(moving value, (decay, the Mul reading it)) of the update ``moving -= (moving - stat)
    * decay`` reading one of ``batch_stats``, or (None, None)."""
    for stat in batch_stats:
        for sub in stat.consumers():
            if sub.type != "Sub" or sub.inputs[1] is not stat:
                continue
            for mul in sub.outputs[0].consumers():
                if mul.type == "Mul":
                    others = [t for t in mul.inputs if t is not sub.outputs[0]]
                    if others:
                        return sub.inputs[0], (others[0], mul)
    return None, None


def _find_fused(graph):
    p = _fused_patterns()
    found, seen = [], set()
    for m in match_graph(OneofPattern([p["bn_reshape"], p["bn"]]), graph):
        layer_op, bn_op = m.get_op(p["layer"]), m.get_op(p["bn"])
        if layer_op in seen or layer_op.name.startswith(SKIPPED_PREFIXES):
            continue
        output = bn_op.outputs[0]
        if layer_op.type == "MatMul":
            reshape = m.get_op(p["bn_reshape"])
            if reshape is None:  # the match rooted at the Reshape after it comes later
                continue
            output = reshape.outputs[0]
        if not output.consumers():
            continue
        seen.add(layer_op)
        found.append(_fused_match(graph, m, p, layer_op, bn_op, output))
    return found


def _fused_match(graph, m: MatchResult, p, layer_op, bn_op, output):
    bn = _BatchNorm(layer_op=layer_op, bn_op=bn_op, output=output,
                    input=m.get_tensor(p["input"]), weights=m.get_tensor(p["weight"]),
                    gamma=m.get_tensor(p["gamma"]), beta=m.get_tensor(p["beta"]),
                    epsilon=bn_op._get_attr("epsilon"), batch_stats=bn_op._get_attr("is_training"))
    if not bn.batch_stats:
        bn.mean, bn.variance = m.get_tensor(p["mean"]), m.get_tensor(p["var"])
        return bn
    # The op's third output is the Bessel-corrected batch variance; the normalisation used
    # the biased one. FusedBatchNormGrad gives no gradient to the statistics outputs, which
    # the folded graph reads: a gradient of its own stands in (below).
    bn_op._set_attr("_gradient_op_type", tf.AttrValue(s=_GRAD_NAME.encode()))
    bn.mean = bn_op.outputs[1]
    with _abs_scope(graph, _scope_of(bn_op.name)):
        n = tf.cast(tf.size(layer_op.outputs[0]) / tf.size(bn.mean), tf.float32)
        bn.variance = tf.multiply(bn_op.outputs[2], (n - 1) / n, name="Undo_Bessel_Correction")
    bn.moving_mean, bn.decay_mean = _moving_average_of([bn_op.outputs[1]])
    bn.moving_variance, bn.decay_var = _moving_average_of([bn_op.outputs[2]])
    return bn


@RegisterGradient(_GRAD_NAME)
def _fold_fused_batch_norm_grad(op, unused_grad_y, grad_mean, grad_var, *unused):
    """d(batch mean)/dx and d(Bessel-corrected batch variance)/dx for a folded fused batch
    norm (channels last)."""
    x = op.inputs[0]
    n = tf.cast(tf.size(x) / tf.size(op.outputs[1]), tf.float32)
    dx = tf.zeros_like(x)
    if grad_mean is not None:
        dx = dx + grad_mean / n
    if grad_var is not None:
        dx = dx + 2 * grad_var * (x - op.outputs[1]) / (n - 1)
    return [dx, None, None, None, None]


def _fold_fused(graph, is_training, freeze_batch_norm_delay):
    for bn in _find_fused(graph):
        scope = _scope_of(bn.layer_op.name)
        with _abs_scope(graph, scope):
            with _abs_scope(graph, (scope + "/" if scope else "") + "BatchNorm_Fold"):
                multiplier = bn.gamma * tf.math.rsqrt(bn.variance + bn.epsilon)
                bias = tf.subtract(bn.beta, bn.mean * multiplier, name="bias")
                corrections = (None, None, None)
                if is_training and bn.batch_stats and bn.has_updates:
                    corrections = _corrections(graph, "", bn, freeze_batch_norm_delay)
                scale = corrections[0]
                if bn.layer_op.type == "DepthwiseConv2dNative":
                    shape = bn.weights.shape.as_list()[2:]
                    multiplier = tf.reshape(multiplier, shape, name="scale_reshape")
                    if scale is not None:
                        scale = tf.reshape(scale, shape, name="correction_reshape")
            _fold_into_layer(bn, "", bn.layer_op.name.split("/")[-1] + "_Fold", multiplier,
                             scale, corrections[1:], bias)


def _fold_into_layer(bn, prefix, layer_name, multiplier, correction_scale, corrections, bias):
    """mul_fold, ``layer_name`` (the layer on them), the post-layer corrections and add_fold;
    the batch norm's consumers then read add_fold. ``prefix`` starts the other names (in the
    current name scope)."""
    weights, output = bn.weights, bn.output
    if correction_scale is not None:
        weights = tf.multiply(correction_scale, weights, name=prefix + "correction_mult")
    mul_fold = tf.multiply(weights, multiplier, name=prefix + "mul_fold")
    _assert_shapes_match("mul_fold", weights, mul_fold)
    layer = _clone_layer(bn.layer_op, bn.input, mul_fold, layer_name)
    recip, offset = corrections
    if recip is not None:
        layer = tf.multiply(recip, layer, name=prefix + "post_conv_mul")
        layer = tf.add(layer, offset, name=prefix + "correction_add")
    add_fold = tf.add(layer, bias, name=prefix + "add_fold")
    _assert_shapes_match("add_fold", layer, add_fold)
    if reroute(add_fold, output) == 0:
        raise ValueError(f"Folding batch norms failed, {output.name} had no outputs.")


def _smart_cond(pred, if_true, if_false, name):
    if isinstance(pred, bool):
        return if_true() if pred else if_false()
    return tf.cond(pred, if_true, if_false, name=name)


def _corrections(graph, context, bn, freeze_batch_norm_delay):
    """TF's batch norm corrections: (scale, recip, offset). Before the freeze, scale =
    sigma_batch / sigma_moving, recip = 1 / scale, offset = 0; after it, recip = 1 and offset =
    gamma * (mean_batch / sigma_batch - mean_moving / sigma_moving), and the moving averages'
    decay is 0 (they stop moving)."""
    with graph.name_scope(context + "batch_norm_correction"):
        recip_sigma_mv = tf.math.rsqrt(bn.moving_variance + bn.epsilon)
        recip_sigma = tf.math.rsqrt(bn.variance + bn.epsilon)
        scale = tf.identity(tf.divide(recip_sigma_mv, recip_sigma, name="scale_compute"),
                            name="correction_scale")
        recip = tf.math.reciprocal(scale, name="reciprocal_compute")
        offset = tf.multiply(bn.gamma, bn.mean * recip_sigma - bn.moving_mean * recip_sigma_mv,
                             name="offset_compute")
        use_mv_avg = False
        if freeze_batch_norm_delay is not None:
            use_mv_avg = tf.greater_equal(quantization_step(), freeze_batch_norm_delay,
                                          name="use_moving_average")
        for (decay, update), name in ((bn.decay_mean, "freeze_moving_mean"),
                                      (bn.decay_var, "freeze_moving_var")):
            frozen = _smart_cond(use_mv_avg, lambda d=decay: tf.constant(0.0, d.dtype),
                                 lambda d=decay: d, name)
            if frozen is not decay:
                reroute(frozen, decay, can_modify=[update])
        recip = _smart_cond(use_mv_avg, lambda: tf.ones(scale.shape), lambda: recip,
                            "correction_recip")
        offset = _smart_cond(use_mv_avg, lambda: offset, lambda: tf.zeros(offset.shape),
                             "correction_offset")
    return scale, recip, offset


def _clone_layer(op, inputs, weights, name):
    """``op`` (Conv2D, MatMul, DepthwiseConv2dNative) again on ``inputs`` and ``weights``."""
    a = {k: op._get_attr(k) for k in op.attrs if not k.startswith("_")}
    fmt = a.get("data_format", "NHWC")
    fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
    if op.type == "Conv2D":
        return tf.nn.conv2d(inputs, weights, strides=a["strides"], padding=a["padding"],
                            data_format=fmt, dilations=a["dilations"], name=name)
    if op.type == "DepthwiseConv2dNative":
        return tf.nn.depthwise_conv2d_native(inputs, weights, strides=a["strides"],
                                             padding=a["padding"], data_format=fmt,
                                             dilations=a["dilations"], name=name)
    if op.type == "MatMul":
        return tf.matmul(inputs, weights, transpose_a=a["transpose_a"],
                         transpose_b=a["transpose_b"], name=name)
    raise ValueError(f"Cannot handle operation of type: {op.type} ({op.name})")


def _assert_shapes_match(op_name, in_tensor, out_tensor):
    if not in_tensor.shape.is_compatible_with(out_tensor.shape):
        raise ValueError(f"{op_name} should not change tensor shape: input {in_tensor.shape}, "
                         f"output {out_tensor.shape}")


# -- unfused batch norms (nn.batch_normalization's ops) --------------------------------------------
def _input_of(op, pred):
    """(tensor, the other input) for the first input of binary ``op`` satisfying ``pred``."""
    if len(op.inputs) != 2:
        return None, None
    for i in (0, 1):
        if pred(op.inputs[i]):
            return op.inputs[i], op.inputs[1 - i]
    return None, None


def _per_channel(t, channels):
    """``t`` holds one value per channel: shape [C] or [1, ..., 1, C]."""
    dims = t.shape.as_list() if t.shape.rank is not None else None
    return bool(dims) and dims[-1] == channels and all(d == 1 for d in dims[:-1])


def _unfused_match(add):
    """The batch norm ``x * scale + shift`` whose last op is ``add``, or None. scale is
    ``rsqrt(variance + eps) [* gamma]``; shift is ``beta - mean * scale`` or ``-mean * scale``."""
    for i in (0, 1):
        mul, shift = add.inputs[i].op, add.inputs[1 - i]
        if mul.type != "Mul":
            continue
        for j in (0, 1):
            x, scale = mul.inputs[j], mul.inputs[1 - j]
            bn = _scale_parts(scale)
            if bn is None or not _shift_parts(bn, shift, scale):
                continue
            channels = x.shape[-1].value if x.shape.rank else None
            if channels is None or not all(_per_channel(t, channels)
                                           for t in (scale, bn.mean, bn.variance)):
                continue
            bn.x, bn.scale, bn.shift, bn.output = x, scale, shift, add.outputs[0]
            return bn
    return None


def _scale_parts(scale):
    gamma = None
    rsqrt = scale.op
    if rsqrt.type == "Mul":
        r, gamma = _input_of(rsqrt, lambda t: t.op.type == "Rsqrt")
        if r is None:
            return None
        rsqrt = r.op
    if rsqrt.type != "Rsqrt" or rsqrt.inputs[0].op.type not in _ADDS:
        return None
    variance, epsilon = rsqrt.inputs[0].op.inputs
    return _BatchNorm(gamma=gamma, variance=variance, epsilon=epsilon)


def _shift_parts(bn, shift, scale):
    """Sets bn.beta and bn.mean when ``shift`` is ``beta - mean * scale`` (or ``-mean *
    scale``, no offset)."""
    op = shift.op
    if op.type == "Sub" and op.inputs[1].op.type == "Mul":
        mean, other = _input_of(op.inputs[1].op, lambda t: t is not scale)
        if other is scale:
            bn.beta, bn.mean = op.inputs[0], mean
            return True
    if op.type == "Mul":
        neg, other = _input_of(op, lambda t: t.op.type == "Neg")
        if neg is not None and other is scale:
            bn.beta, bn.mean = None, neg.op.inputs[0]
            return True
    return False


def _upstream(t):
    """``t`` and the tensors it reshapes or copies (batch statistics are reshaped to
    broadcast; their moving averages update from the unreshaped ones)."""
    out = [t]
    while t.op.type in ("Reshape", "Identity", "Squeeze") and t.op.inputs:
        t = t.op.inputs[0]
        out.append(t)
    return out


def _fold_unfused(graph, is_training, freeze_batch_norm_delay):
    for add in list(graph.get_operations()):
        if add.type not in _ADDS or add.name.startswith(SKIPPED_PREFIXES):
            continue
        bn = _unfused_match(add)
        if bn is None or not bn.output.consumers():
            continue
        layer = bn.x.op
        if layer.type not in _LAYER_TYPES:
            if layer.type in ("BiasAdd",) + _ADDS and layer.inputs and \
                    layer.inputs[0].op.type in _LAYER_TYPES:
                raise ValueError(
                    f"Cannot fold batch norm {_scope_of(add.name)} into "
                    f"{layer.inputs[0].op.name}: a {layer.type} ({layer.name}) lies between "
                    "them; build the layer without biases when a batch norm follows it")
            continue
        bn.layer_op, bn.input, bn.weights = layer, layer.inputs[0], layer.inputs[1]
        bn_scope = _scope_of(add.name)
        if bn_scope.endswith("batchnorm"):
            bn_scope = _scope_of(bn_scope)
        context = bn_scope[:-len("BatchNorm")] if bn_scope.endswith("BatchNorm") else \
            (bn_scope + "/" if bn_scope else "")
        bn.moving_mean, bn.decay_mean = _moving_average_of(_upstream(bn.mean))
        bn.moving_variance, bn.decay_var = _moving_average_of(_upstream(bn.variance))
        with graph.name_scope(None):
            corrections = (None, None, None)
            if is_training and bn.has_updates:
                bn.gamma = bn.gamma if bn.gamma is not None else tf.ones_like(bn.moving_mean)
                corrections = _corrections(graph, context, bn, freeze_batch_norm_delay)
            scale, multiplier = corrections[0], bn.scale
            if layer.type == "DepthwiseConv2dNative":
                shape = bn.weights.shape.as_list()[2:]
                multiplier = tf.reshape(multiplier, shape, name=context + "scale_reshape")
                if scale is not None:
                    scale = tf.reshape(scale, shape, name=context + "correction_reshape")
            _fold_into_layer(bn, context, layer.name + "_Fold", multiplier, scale,
                             corrections[1:], bn.shift)
