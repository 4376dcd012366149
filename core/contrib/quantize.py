"""``tf.contrib.quantize`` (TF 1.15): rewrites a graph in place for quantization-aware training
and for evaluation as TFLite will run it.

``create_training_graph`` / ``create_eval_graph`` (and their ``experimental_*`` forms, with the
bit widths, symmetric ranges, ``freeze_bn_delay`` and a ``scope``) first fold batch norms into
the layers before them (quantize_fold.py), then insert FakeQuantWithMinMaxVars ops:

- after a layer's weights (``<layer scope>/weights_quant``: min/max variables assigned the
  last batch's range, narrow range);
- after its activation (Relu, Relu6, Identity, or the BiasAdd / folded add of a last layer:
  ``<layer scope>/act_quant``, EMA-tracked min/max, min starting at 0);
- around residual adds (``conv_quant`` before, ``add_quant`` or ``act_quant`` after; an add
  after the activation gets ``post_activation_bypass_quant``), and after other Add/Mul ops fed
  by quantized tensors (``<op>/activation_<type>_quant``).

In a training graph the ranges are updated on every run; with ``quant_delay`` each FakeQuant
is switched in by a cond (``.../delayed_quant``) once ``fake_quantization_step`` (counting the
runs) reaches it. In an eval graph the FakeQuants read the variables. Call the training
rewrite before building the optimizer (a graph holding training ops is refused).
"""

from __future__ import annotations

import logging

import minitf as tf

from ..graph import Graph, GraphKeys, get_default_graph
from . import quantize_ops as _q
from .quantize_fold import FoldBatchNorms
from .quantize_ops import OneofPattern, OpTypePattern, match_graph

__all__ = ["create_eval_graph", "create_training_graph", "experimental_create_eval_graph",
           "experimental_create_training_graph"]

_log = logging.getLogger(__name__)

_QUANTIZABLE_TYPES = ("Conv2D", "MatMul", "DepthwiseConv2dNative")
_ACTIVATION_TYPES = {"Relu", "Relu6", "Identity"}
_RELU_TYPES = {"Relu", "Relu6"}
_QUANTIZATION_OP = {"FakeQuantWithMinMaxVars"}
_VALID_SRC_OP = {"Add", "AddV2", "Mul"}
_INTERMEDIATE_OP = {"Add", "AddV2", "Mul"}
_PASS_THROUGH_OP = {"Reshape", "Identity", "BatchToSpaceND", "SpaceToBatchND", "MaxPool", "Max"}
_FAKE_QUANT_TYPES = {"FakeQuantWithMinMaxVars", "FakeQuantWithMinMaxArgs",
                     "FakeQuantWithMinMaxVarsPerChannel"}
_TRAINING_OPS = frozenset(
    [f"{p}Apply{k}" for p in ("", "Resource") for k in (
        "Adadelta", "Adagrad", "AdagradDA", "Adam", "AddSign", "CenteredRMSProp", "Ftrl",
        "FtrlV2", "GradientDescent", "Momentum", "PowerSign", "ProximalAdagrad",
        "ProximalGradientDescent", "RMSProp")]
    + [f"{p}SparseApply{k}" for p in ("", "Resource") for k in (
        "Adadelta", "Adagrad", "AdagradDA", "CenteredRMSProp", "Ftrl", "FtrlV2", "Momentum",
        "ProximalAdagrad", "ProximalGradientDescent", "RMSProp")])


# -- public API ------------------------------------------------------------------------------------
def create_training_graph(input_graph=None, quant_delay=0):
    """Rewrites ``input_graph`` (default: the default graph) in place for quantization-aware
    training, quantizing from quantization step ``quant_delay`` on (0: at once)."""
    _create_graph(input_graph, is_training=True, quant_delay=quant_delay)


def create_eval_graph(input_graph=None):
    """Rewrites ``input_graph`` in place for evaluation with the trained ranges."""
    _create_graph(input_graph, is_training=False)


def experimental_create_training_graph(input_graph=None, weight_bits=8, activation_bits=8,
                                       symmetric=False, quant_delay=0, freeze_bn_delay=None,
                                       scope=None):
    """``create_training_graph`` with bit widths, symmetric ranges, a step after which batch
    norms use (and stop updating) their moving statistics, and a scope to limit it to."""
    _create_graph(input_graph, True, weight_bits, activation_bits, symmetric, quant_delay,
                  freeze_bn_delay, scope)


def experimental_create_eval_graph(input_graph=None, weight_bits=8, activation_bits=8,
                                   symmetric=False, quant_delay=None, scope=None):
    """``create_eval_graph`` with the options of ``experimental_create_training_graph``."""
    _create_graph(input_graph, False, weight_bits, activation_bits, symmetric, quant_delay,
                  None, scope)


def _create_graph(input_graph=None, is_training=True, weight_bits=8, activation_bits=8,
                  symmetric=False, quant_delay=None, freeze_bn_delay=None, scope=None):
    if input_graph is None:
        input_graph = get_default_graph()
    if not isinstance(input_graph, Graph):
        raise TypeError(f"input_graph must be a tf.Graph, got {type(input_graph).__name__}")
    for name, bits in (("weight_bits", weight_bits), ("activation_bits", activation_bits)):
        if isinstance(bits, bool) or not isinstance(bits, int) or not 2 <= bits <= 16:
            raise ValueError(f"{name} must be an integer between 2 and 16, got {bits!r}")
    if scope is not None and not isinstance(scope, str):
        raise TypeError(f"scope must be a string, got {type(scope).__name__}")
    _check_for_training_ops(input_graph)
    with input_graph.as_default():
        FoldBatchNorms(input_graph, freeze_batch_norm_delay=freeze_bn_delay,
                       is_training=is_training)
        Quantize(input_graph, is_training, weight_bits=weight_bits,
                 activation_bits=activation_bits, symmetric=symmetric, quant_delay=quant_delay,
                 scope=scope)


def _check_for_training_ops(graph):
    found = sorted({op.type for op in graph.get_operations()} & _TRAINING_OPS)
    if found:
        raise ValueError(f"Training op found in graph, exiting {found}: rewrite the graph "
                         "before adding the optimizer's update ops")


# -- the rewrite -----------------------------------------------------------------------------------
def Quantize(graph, is_training, weight_bits=8, activation_bits=8, symmetric=False,  # noqa: N802
             ema_decay=0.999, quant_delay=None, vars_collection=GraphKeys.GLOBAL_VARIABLES,
             scope=None):
    """Inserts the FakeQuant ops of each matched layer, then after the Add/Mul ops fed by
    quantized tensors. ``scope``: only layers inside it (weights whose consumer is in it,
    activations whose producer is)."""
    if scope and not scope.endswith("/"):
        scope += "/"
    consumers = _q.InputToOps(graph).ConsumerOperations
    common = dict(is_training=is_training, ema_decay=ema_decay, quant_delay=quant_delay,
                  vars_collection=vars_collection, symmetric=symmetric)
    act = dict(common, moving_avg=True, bits=activation_bits)
    quantized = set()
    for m in _find_layers_to_quantize(graph):
        context = _context(m.layer_op.name)
        if m.weight_tensor is not None:
            _insert_quant_op(context, "weights_quant", m.weight_tensor.op,
                             consumers(m.weight_tensor.op), **dict(common, moving_avg=False),
                             bits=weight_bits, narrow_range=True, consumer_scope=scope)
        add_context = _context(context) if m.bypass_op is not None else context
        if m.activation_op is not None:
            _insert_quant_op(add_context, "act_quant", m.activation_op,
                             consumers(m.activation_op), **act, init_min=0.0,
                             producer_scope=scope)
            quantized.add(m.activation_op)
        if m.bypass_op is not None:
            _insert_quant_op(context, "conv_quant", m.bias_add_op, consumers(m.bias_add_op),
                             **act, producer_scope=scope, consumer_scope=scope)
            quantized.add(m.bias_add_op)
            after = consumers(m.bypass_op)
            if any(c.type in _ACTIVATION_TYPES for c in after):
                _log.info("Skipping %s, because its followed by an activation.",
                          m.bypass_op.name)
            else:
                _insert_quant_op(add_context, "add_quant", m.bypass_op, after, **act,
                                 producer_scope=scope, consumer_scope=scope)
                quantized.add(m.bypass_op)
        post = m.post_activation_bypass_op
        if post is not None:
            after = consumers(post)
            if any(c.type in _RELU_TYPES for c in after):
                _log.info("Skipping %s, because its followed by an activation.", post.name)
            else:
                _insert_quant_op(_context(post.name), "post_activation_bypass_quant", post,
                                 after, **act, producer_scope=scope)
                quantized.add(post)
    consumers = _q.InputToOps(graph).ConsumerOperations
    for op in graph.get_operations():
        if _is_quantizable_op(op, quantized):
            _log.info("Inserting fake quant op activation_%s_quant after %s", op.type, op.name)
            _insert_quant_op(op.name, f"activation_{op.type}_quant", op, consumers(op),
                             **dict(act, symmetric=False), producer_scope=scope)


def _context(name):
    return name.rpartition("/")[0]


def _is_quantizable_op(src_op, quantized_ops):
    """An Add or Mul not yet quantized, not followed only by a Relu, with an input fed (through
    reshapes and the like, or other such Adds and Muls) by a FakeQuant."""
    if src_op in quantized_ops or src_op.type not in _VALID_SRC_OP:
        return False
    if len(src_op.outputs) == 1 and len(src_op.outputs[0].consumers()) == 1 and \
            src_op.outputs[0].consumers()[0].type in _RELU_TYPES:
        return False
    for t in src_op.inputs:
        op = t.op
        while op.type in _PASS_THROUGH_OP:
            op = op.inputs[0].op
        if op.type in _QUANTIZATION_OP or op.name.find("delayed_quant/Merge") > 0:
            return True
        if op.type in _INTERMEDIATE_OP and any(_is_quantizable_op(i.op, quantized_ops)
                                               for i in op.inputs):
            return True
    return False


class _LayerMatch:
    def __init__(self, layer_op, weight_tensor, activation_op, bypass_op=None,
                 post_activation_bypass_op=None, bias_add_op=None):
        self.layer_op, self.weight_tensor, self.activation_op = layer_op, weight_tensor, \
            activation_op
        self.bypass_op, self.post_activation_bypass_op, self.bias_add_op = \
            bypass_op, post_activation_bypass_op, bias_add_op


def _layer_patterns():
    P, Oneof = OpTypePattern, OneofPattern  # noqa: N806
    p = {}
    var = P("Variable|VariableV2|VarHandleOp")
    partition_identity = P("Identity", inputs=[var])
    partition_concat = P("ConcatV2", inputs=[partition_identity, "*", "*"])
    p["weight_identity"] = P("Identity", inputs=[Oneof([partition_identity, partition_concat,
                                                         var])])
    p["weight_resource"] = P("ReadVariableOp")
    p["folded_weight"] = P("Mul")
    p["layer"] = P("|".join(_QUANTIZABLE_TYPES), inputs=[
        P("*"), Oneof([p["weight_identity"], p["weight_resource"], p["folded_weight"]])],
        ordered_inputs=False)
    layer_output = Oneof([P("BatchToSpaceND", inputs=[p["layer"], "*", "*"]), p["layer"]])
    p["sep_conv"] = P("|".join(_QUANTIZABLE_TYPES), inputs=[layer_output, "*"],
                      ordered_inputs=False)
    folded_bias_mul = P("Mul", inputs=["*", layer_output], ordered_inputs=False)
    correction = P("Add|AddV2", inputs=[folded_bias_mul, "*"], ordered_inputs=False)
    p["folded_bias_add"] = P("Add|AddV2", inputs=[correction, "*"], ordered_inputs=False)
    bn_identity = P("Identity", inputs=[p["folded_bias_add"]])
    p["bias_add"] = P("Add|AddV2|BiasAdd", inputs=[layer_output, "*"], ordered_inputs=False)
    p["bypass"] = P("Add|AddV2", inputs=[
        Oneof([p["bias_add"], p["folded_bias_add"], bn_identity]), "*"], ordered_inputs=False)
    p["activation"] = P("|".join(sorted(_ACTIVATION_TYPES)), inputs=[Oneof([
        p["bias_add"], p["folded_bias_add"], bn_identity, p["bypass"], p["layer"]])])
    p["post_bypass"] = P("Add|AddV2", inputs=["*", p["activation"]], ordered_inputs=False)
    return p


def _weight_of(m, p):
    for key in ("weight_identity", "weight_resource", "folded_weight"):
        t = m.get_tensor(p[key])
        if t is not None:
            return t
    return None


def _find_layers_to_quantize(graph):
    """TF's patterns, largest first so the largest match wins: a layer (Conv2D, MatMul,
    DepthwiseConv2dNative on weights or folded weights) with its bias (or folded bias),
    bypass add, activation and post-activation add; a last layer without activation; the
    first conv of a separable pair."""
    p = _layer_patterns()
    found, seen = [], set()

    def bias_of(m):
        return m.get_op(p["bias_add"]) or m.get_op(p["folded_bias_add"])

    def add(layer_op, match):
        if layer_op not in seen:
            seen.add(layer_op)
            found.append(match)

    for m in match_graph(p["post_bypass"], graph):
        layer = m.get_op(p["layer"])
        add(layer, _LayerMatch(layer, _weight_of(m, p), m.get_op(p["activation"]),
                               m.get_op(p["bypass"]), m.get_op(p["post_bypass"]), bias_of(m)))
    for m in match_graph(p["activation"], graph):
        layer, act = m.get_op(p["layer"]), m.get_op(p["activation"])
        if layer not in seen and not _is_skip_layer(act):
            add(layer, _LayerMatch(layer, _weight_of(m, p), act, m.get_op(p["bypass"]), None,
                                   bias_of(m)))
    for m in match_graph(OneofPattern([p["bias_add"], p["folded_bias_add"]]), graph):
        layer = m.get_op(p["layer"])
        add(layer, _LayerMatch(layer, _weight_of(m, p), bias_of(m)))
    for m in match_graph(p["sep_conv"], graph):
        layer = m.get_op(p["layer"])
        weight = m.get_tensor(p["weight_identity"]) or m.get_tensor(p["weight_resource"])
        add(layer, _LayerMatch(layer, weight, layer))
    return found


def _is_skip_layer(activation_op):
    """conv -> Identity -> FusedBatchNorm: the statistics' input is not an activation."""
    if activation_op.type == "Identity" and len(activation_op.outputs) == 1:
        after = activation_op.outputs[0].consumers()
        return len(after) == 1 and after[0].type in ("FusedBatchNorm", "FusedBatchNormV3")
    return False


def _followed_by_fake_quant(tensor):
    pending = list(tensor.consumers())
    while pending:
        c = pending.pop()
        if c.type in _FAKE_QUANT_TYPES:
            return True
        if c.type in ("Reshape", "Identity"):
            for out in c.outputs:
                pending.extend(out.consumers())
    return False


def _insert_quant_op(context, name, producer, consumers, is_training, moving_avg=True,
                     init_min=-6.0, init_max=6.0, bits=8, symmetric=False, ema_decay=0.999,
                     quant_delay=None, vars_collection=GraphKeys.GLOBAL_VARIABLES,
                     narrow_range=False, producer_scope=None, consumer_scope=None):
    """A quantizer named ``<context>/<name>`` between ``producer``'s first output and
    ``consumers`` (all of them inside ``consumer_scope``, if given; the producer inside
    ``producer_scope``), delayed by ``quant_delay`` steps."""
    if producer_scope and not producer.name.startswith(producer_scope):
        _log.info("_InsertQuantOp ignores context=%s name=%s: producer %s not in scope %s",
                  context, name, producer.name, producer_scope)
        return
    if consumer_scope and any(not c.name.startswith(consumer_scope) for c in consumers):
        _log.info("_InsertQuantOp ignores context=%s name=%s: a consumer is not in scope %s",
                  context, name, consumer_scope)
        return
    name_prefix = f"{context}/{name}" if context else name
    graph = producer.graph
    name_scope = graph.get_name_scope()
    if name_scope and name_prefix.startswith(name_scope + "/"):
        name_prefix = name_prefix[len(name_scope) + 1:]
    inputs = producer.outputs[0]
    if _followed_by_fake_quant(inputs):  # matches overlap: quantize each tensor once
        return
    quantizer = _q.MovingAvgQuantize if moving_avg else _q.LastValueQuantize
    kw = dict(ema_decay=ema_decay) if moving_avg else {}
    quant = quantizer(inputs, init_min=init_min, init_max=init_max, is_training=is_training,
                      num_bits=bits, symmetric=symmetric, narrow_range=narrow_range,
                      vars_collection=vars_collection, name_prefix=name_prefix, **kw)
    if quant_delay and quant_delay > 0:
        activate = tf.greater_equal(_q.quantization_step(), quant_delay,
                                    name=name_prefix + "/activate_quant")
        quant = tf.cond(activate, lambda: quant, lambda: inputs,
                        name=name_prefix + "/delayed_quant")
    if consumers:
        modified = _q.reroute(quant, inputs, can_modify=consumers)
        if modified < len(consumers):
            names = ", ".join(c.name for c in consumers)
            raise ValueError(f"No inputs quantized for ops: [{names}] (they no longer read "
                             f"{inputs.name})")
