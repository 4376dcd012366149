"""``slim.summaries`` (TF 1.x): one-call histogram, image, scalar and zero-fraction summaries
of tensors, named after the tensor's op (under ``prefix``), optionally also printed when
computed (``print_summary``: a Print op, which then stands in the SUMMARIES collection)."""

from __future__ import annotations

import minitf as tf

__all__ = ["add_histogram_summary", "add_image_summary", "add_scalar_summary",
           "add_zero_fraction_summary", "add_histogram_summaries", "add_image_summaries",
           "add_scalar_summaries", "add_zero_fraction_summaries"]


def _summary_name(tensor, name=None, prefix=None, postfix=None) -> str:
    name = name or tensor.op.name
    if prefix:
        name = prefix + "/" + name
    if postfix:
        name = name + "/" + postfix
    return name


def _printed(summary_op, tensor, summary_name, print_summary):
    if not print_summary:
        return summary_op
    op = tf.Print(summary_op, [tensor], summary_name)
    tf.add_to_collection(tf.GraphKeys.SUMMARIES, op)
    return op


def add_histogram_summary(tensor, name=None, prefix=None):
    """A histogram summary of ``tensor``."""
    return tf.summary.histogram(_summary_name(tensor, name, prefix), tensor)


def add_image_summary(tensor, name=None, prefix=None, print_summary=False):
    """An image summary of ``tensor`` ([batch, height, width, channels])."""
    summary_name = _summary_name(tensor, name, prefix)
    op = tf.summary.image(name=summary_name, tensor=tensor,
                          collections=[] if print_summary else None)
    return _printed(op, tensor, summary_name, print_summary)


def add_scalar_summary(tensor, name=None, prefix=None, print_summary=False):
    """A scalar summary of ``tensor``."""
    summary_name = _summary_name(tensor, name, prefix)
    op = tf.summary.scalar(name=summary_name, tensor=tensor,
                           collections=[] if print_summary else None)
    return _printed(op, tensor, summary_name, print_summary)


def add_zero_fraction_summary(tensor, name=None, prefix=None, print_summary=False):
    """A scalar summary ``<name>/Fraction_of_Zero_Values`` of the fraction of zeros in
    ``tensor``."""
    name = _summary_name(tensor, name, prefix, "Fraction_of_Zero_Values")
    return add_scalar_summary(tf.nn.zero_fraction(tensor), name, print_summary=print_summary)


def add_histogram_summaries(tensors, prefix=None):
    """``add_histogram_summary`` of each tensor."""
    return [add_histogram_summary(t, prefix=prefix) for t in tensors]


def add_image_summaries(tensors, prefix=None):
    """``add_image_summary`` of each tensor."""
    return [add_image_summary(t, prefix=prefix) for t in tensors]


def add_scalar_summaries(tensors, prefix=None, print_summary=False):
    """``add_scalar_summary`` of each tensor."""
    return [add_scalar_summary(t, prefix=prefix, print_summary=print_summary)
            for t in tensors]


def add_zero_fraction_summaries(tensors, prefix=None):
    """``add_zero_fraction_summary`` of each tensor."""
    return [add_zero_fraction_summary(t, prefix=prefix) for t in tensors]
