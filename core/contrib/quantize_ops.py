"""The pieces ``tf.contrib.quantize`` (TF 1.15) builds its rewrites from: a small graph matcher
(op-type patterns, as TF's graph_matcher), the producer -> consumers snapshot of a graph (TF's
input_to_ops), the ``fake_quantization_step`` counter that gates quant_delay and
freeze_bn_delay (TF's common), and the two quantizers that insert FakeQuantWithMinMaxVars with
``min``/``max`` variables: last-value (weights) and EMA-tracked (activations) (TF's quant_ops).
"""

from __future__ import annotations

import itertools

import minitf as tf

from ..graph import GraphKeys, get_default_graph
from ..train.moving_averages import _assign_moving_average
from .graph_editor import reroute as _reroute

# Ops of the backward pass and of summaries are never layers to rewrite.
SKIPPED_PREFIXES = ("gradients/", "RMSProp/", "Adagrad/", "Const_", "HistogramSummary",
                    "ScalarSummary")


# -- graph matcher --------------------------------------------------------------------------------
class OpTypePattern:
    """An op whose type is one of ``op_type`` ("A|B", "*" for any) and whose inputs match
    ``inputs`` (patterns or "*"; None: any inputs), in order unless ``ordered_inputs`` is
    False (then any permutation)."""

    def __init__(self, op_type, inputs=None, ordered_inputs=True):
        self.types = None if op_type == "*" else set(op_type.split("|"))
        self.inputs = None if inputs is None else [
            OpTypePattern("*") if isinstance(p, str) and p == "*" else p for p in inputs]
        self.ordered_inputs = ordered_inputs

    def match(self, op, tensor):
        if self.types is not None and op.type not in self.types:
            return None
        result = {self: (op, tensor)}
        if self.inputs is None:
            return result
        if len(op.inputs) != len(self.inputs):
            return None
        orders = [self.inputs] if self.ordered_inputs else itertools.permutations(self.inputs)
        for patterns in orders:
            found = dict(result)
            for t, p in zip(op.inputs, patterns):
                sub = p.match(t.op, t)
                if sub is None:
                    break
                found.update(sub)
            else:
                return found
        return None


class OneofPattern:
    """The first of ``sub_patterns`` that matches."""

    def __init__(self, sub_patterns):
        self.sub_patterns = list(sub_patterns)

    def match(self, op, tensor):
        for p in self.sub_patterns:
            found = p.match(op, tensor)
            if found is not None:
                return found
        return None


class MatchResult:
    """The op and tensor each pattern of a match took (None for patterns not taken)."""

    def __init__(self, found):
        self._found = found

    def get_op(self, pattern):
        return self._found.get(pattern, (None, None))[0]

    def get_tensor(self, pattern):
        return self._found.get(pattern, (None, None))[1]


def match_graph(pattern, graph):
    """Each op of ``graph`` (in creation order) that roots a match of ``pattern``."""
    for op in graph.get_operations():
        found = pattern.match(op, None)
        if found is not None:
            yield MatchResult(found)


# -- consumers, rerouting, the quantization step ---------------------------------------------------
class InputToOps:
    """The consumers of each op's outputs as the graph is when this is made (the rewrite
    inserts ops that read the same tensors; those must not be rerouted)."""

    def __init__(self, graph):
        self._consumers: dict = {}
        for op in graph.get_operations():
            for t in op.inputs:
                self._consumers.setdefault(t.op, {})[op] = None

    def ConsumerOperations(self, producer_op):  # noqa: N802 - TF's name
        return list(self._consumers.get(producer_op, ()))


def reroute(new, old, can_modify=None):
    """The consumers of ``old`` (those in ``can_modify``) read ``new``; how many inputs moved."""
    return _reroute.reroute_ts([new], [old], can_modify=can_modify)


def quantization_step():
    """``fake_quantization_step/Identity:0``: an int64 variable incremented on every run that
    evaluates it; quant_delay and freeze_bn_delay compare against it (TF 1.15's
    CreateOrGetQuantizationStep)."""
    graph = get_default_graph()
    try:
        return graph.get_tensor_by_name("fake_quantization_step/Identity:0")
    except KeyError:
        pass
    with graph.name_scope(None):
        step = tf.get_variable("fake_quantization_step", shape=[], dtype=tf.int64,
                               initializer=tf.zeros_initializer(), trainable=False,
                               collections=[GraphKeys.GLOBAL_VARIABLES])
        with graph.name_scope(step.op.name + "/"):
            return tf.identity(tf.assign_add(step, 1))


# -- quantizers (TF's quant_ops) -------------------------------------------------------------------
def _min_max_variables(init_min, init_max, vars_collection):
    collections = [GraphKeys.GLOBAL_VARIABLES]
    if vars_collection and vars_collection not in collections:
        collections.insert(0, vars_collection)
    return [tf.get_variable(name, shape=[], initializer=tf.constant_initializer(init),
                            collections=collections, trainable=False)
            for name, init in (("min", init_min), ("max", init_max))]


def _batch_range(inputs, num_bits, narrow_range, symmetric):
    """The batch's [min, max], widened to hold 0 (TFLite needs it); symmetric: widened so that
    min = -max (or -max * (2^b - 2) / 2^b, the two's-complement range, unless narrow)."""
    batch_min = tf.reduce_min(inputs, name="BatchMin")
    batch_max = tf.reduce_max(inputs, name="BatchMax")
    if symmetric:
        ratio = -1.0 if narrow_range else -((1 << num_bits) - 2) / (1 << num_bits)
        return (tf.minimum(batch_min, batch_max / ratio),
                tf.maximum(batch_max, batch_min * ratio))
    return tf.minimum(batch_min, 0.0), tf.maximum(batch_max, 0.0)


def _quantize(inputs, moving_avg, init_min, init_max, ema_decay, vars_collection, name_prefix,
              is_training, num_bits, narrow_range, symmetric):
    with tf.variable_scope(None, default_name=name_prefix, values=[inputs]) as scope:
        scope.set_partitioner(None)
        min_var, max_var = _min_max_variables(init_min, init_max, vars_collection)
        if not is_training:
            return tf.quantization.fake_quant_with_min_max_vars(
                inputs, min_var, max_var, num_bits=num_bits, narrow_range=narrow_range)
        range_min, range_max = _batch_range(inputs, num_bits, narrow_range, symmetric)
        if moving_avg:
            # TF 1.15's assign_moving_average, zero-debiased by default: <var>/biased and
            # <var>/local_step keep the debiasing state, so the first update takes the value.
            new_min = _assign_moving_average(min_var, range_min, ema_decay, name="AssignMinEma")
            new_max = _assign_moving_average(max_var, range_max, ema_decay, name="AssignMaxEma")
        else:
            new_min = tf.assign(min_var, range_min, name="AssignMinLast")
            new_max = tf.assign(max_var, range_max, name="AssignMaxLast")
        return tf.quantization.fake_quant_with_min_max_vars(
            inputs, new_min, new_max, num_bits=num_bits, narrow_range=narrow_range)


def LastValueQuantize(inputs, init_min=-6.0, init_max=6.0, vars_collection=None,  # noqa: N802
                      name_prefix="LastValueQuant", is_training=True, num_bits=8,
                      narrow_range=False, symmetric=False):
    """FakeQuant of ``inputs`` over ``<name_prefix>/min`` and ``max``, assigned the batch's
    range (AssignMinLast/AssignMaxLast) when training."""
    return _quantize(inputs, False, init_min, init_max, None, vars_collection, name_prefix,
                     is_training, num_bits, narrow_range, symmetric)


def MovingAvgQuantize(inputs, init_min=-6.0, init_max=6.0, ema_decay=0.999,  # noqa: N802
                      vars_collection=GraphKeys.MOVING_AVERAGE_VARIABLES,
                      name_prefix="MovingAvgQuantize", is_training=True, num_bits=8,
                      narrow_range=False, symmetric=False):
    """FakeQuant of ``inputs`` over ``<name_prefix>/min`` and ``max``, moving averages
    (AssignMinEma/AssignMaxEma, ``ema_decay``) of the batch's range when training."""
    return _quantize(inputs, True, init_min, init_max, ema_decay, vars_collection, name_prefix,
                     is_training, num_bits, narrow_range, symmetric)
