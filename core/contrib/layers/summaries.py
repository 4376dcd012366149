"""``tf.contrib.layers`` summary helpers (TF 1.x): a scalar summary for a scalar tensor, a
histogram for anything else, tagged ``<op name>_summary`` unless a tag is given; activations get
``<op>/activation`` and, after a Relu, Relu6 or Softplus, the fraction ``<op>/zeros`` of
negative pre-activations (``<op>/sixes`` of those above 6 for Relu6).
"""

from __future__ import annotations

import functools
import re

from ... import dtypes as _dt
from ... import summary
from ...graph import GraphKeys, get_collection
from ...ops import logic_ops, math_ops, reduction_ops

__all__ = ["summarize_activation", "summarize_activations", "summarize_biases",
           "summarize_collection", "summarize_tensor", "summarize_tensors",
           "summarize_variables", "summarize_weights"]


def _add_scalar_summary(tensor, tag=None):
    """A scalar summary of ``tensor`` (ValueError unless it is a scalar)."""
    tensor.get_shape().assert_has_rank(0)
    return summary.scalar(tag or f"{tensor.op.name}_summary", tensor)


def _add_histogram_summary(tensor, tag=None):
    """A histogram summary of ``tensor``."""
    return summary.histogram(tag or f"{tensor.op.name}_summary", tensor)


def _fraction(compare, inputs, bound):
    """The fraction of ``inputs`` for which ``compare(inputs, bound)`` holds."""
    hits = compare(inputs, math_ops.cast(bound, inputs.dtype))
    return reduction_ops.reduce_mean(math_ops.cast(hits, _dt.float32, name="ToFloat"))


def summarize_activation(op):
    """TF's ``tf.contrib.layers.summarize_activation``: the histogram summary of an
    activation, plus the zero (and six) fractions of Relu, Relu6 and Softplus layers."""
    if op.op.type in ("Relu", "Softplus", "Relu6"):
        _add_scalar_summary(_fraction(logic_ops.less, op.op.inputs[0], 0.0),
                            f"{op.op.name}/zeros")
    if op.op.type == "Relu6":
        _add_scalar_summary(_fraction(logic_ops.greater, op.op.inputs[0], 6.0),
                            f"{op.op.name}/sixes")
    return _add_histogram_summary(op, f"{op.op.name}/activation")


def summarize_tensor(tensor, tag=None):
    """TF's ``tf.contrib.layers.summarize_tensor``: a scalar summary for a scalar, a histogram
    otherwise; None for string and bool tensors."""
    if tensor.dtype.base_dtype in (_dt.string, _dt.bool):
        return None
    if tensor.get_shape().ndims == 0:
        return _add_scalar_summary(tensor, tag)
    return _add_histogram_summary(tensor, tag)


def summarize_tensors(tensors, summarizer=summarize_tensor):
    """TF's ``tf.contrib.layers.summarize_tensors``: ``summarizer`` over each tensor."""
    return [summarizer(tensor) for tensor in tensors]


def summarize_collection(collection, name_filter=None, summarizer=summarize_tensor):
    """TF's ``tf.contrib.layers.summarize_collection``: summaries of a collection's tensors whose
    op name matches the ``name_filter`` regex (from its start)."""
    tensors = [t for t in get_collection(collection)
               if name_filter is None or re.match(name_filter, t.op.name)]
    return summarize_tensors(tensors, summarizer)


summarize_variables = functools.partial(summarize_collection, GraphKeys.GLOBAL_VARIABLES)
summarize_weights = functools.partial(summarize_collection, GraphKeys.WEIGHTS)
summarize_biases = functools.partial(summarize_collection, GraphKeys.BIASES)


def summarize_activations(name_filter=None, summarizer=summarize_activation):
    """TF's ``tf.contrib.layers.summarize_activations``: ``summarize_activation`` over the
    ACTIVATIONS collection."""
    return summarize_collection(GraphKeys.ACTIVATIONS, name_filter, summarizer)
