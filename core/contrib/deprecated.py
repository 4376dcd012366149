"""``tf.contrib.deprecated`` (TF 1.15): the pre-1.0 summary functions, kept for old code.

Unlike ``tf.summary.*``, the first argument is the summary's *tag* (any string tensor, not
cleaned, not prefixed by the name scope), ``scalar_summary`` takes tensors of tags and values of
one shape, and ``image_summary`` counts ``max_images``. The ops are the same (ScalarSummary,
HistogramSummary, ImageSummary, AudioSummaryV2, MergeSummary), named by ``name`` or the op type
as TF 1.15's logging_ops named them. Each call logs TF's deprecation warning once."""

from __future__ import annotations

from .. import dtypes as _dt
from ..graph import GraphKeys, add_to_collection, convert_to_tensor, get_collection, name_scope
from ..ops import summary_ops as _ops
from .framework_deprecation import deprecated

__all__ = ["audio_summary", "histogram_summary", "image_summary", "merge_all_summaries",
           "merge_summary", "scalar_summary"]

_SCOPE_NOTE = ("Note that tf.summary.{0} uses the node name instead of the tag. This means that "
               "TensorFlow will automatically de-duplicate summary names based on the scope "
               "they are created in.")


def _collect(val, collections, default):
    for key in (default if collections is None else collections):
        add_to_collection(key, val)


@deprecated("2016-11-30", "Please switch to tf.summary.scalar. " + _SCOPE_NOTE.format("scalar")
            + " Also, passing a tensor or list of tags to a scalar summary op is no longer "
            "supported.")
def scalar_summary(tags, values, collections=None, name=None):
    """A ``Summary`` with one simple value per (tag, value) pair; ``tags`` (string) and
    ``values`` (real) must have the same shape."""
    with name_scope(name, "ScalarSummary", [tags, values]) as scope:
        val = _ops.SCALAR_SUMMARY(tags, values, name=scope)
        _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


@deprecated("2016-11-30", "Please switch to tf.summary.histogram. "
            + _SCOPE_NOTE.format("histogram"))
def histogram_summary(tag, values, collections=None, name=None):
    """A ``Summary`` with a histogram of ``values`` under the scalar string ``tag``."""
    with name_scope(name, "HistogramSummary", [tag, values]) as scope:
        val = _ops.HISTOGRAM_SUMMARY(tag, values, name=scope)
        _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


@deprecated("2016-11-30", "Please switch to tf.summary.image. " + _SCOPE_NOTE.format("image")
            + " Also, the max_images argument was renamed to max_outputs.")
def image_summary(tag, tensor, max_images=3, collections=None, name=None):
    """A ``Summary`` with up to ``max_images`` PNGs from a ``[batch, h, w, 1|3|4]`` tensor,
    tagged ``<tag>/image`` (one) or ``<tag>/image/<i>``."""
    with name_scope(name, "ImageSummary", [tag, tensor]) as scope:
        val = _ops.IMAGE_SUMMARY(tag, tensor, max_images=max_images, name=scope)
        _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


@deprecated("2016-11-30", "Please switch to tf.summary.audio. " + _SCOPE_NOTE.format("audio"))
def audio_summary(tag, tensor, sample_rate, max_outputs=3, collections=None, name=None):
    """A ``Summary`` with up to ``max_outputs`` WAV clips from a ``[batch, frames(,
    channels)]`` float32 tensor, tagged ``<tag>/audio`` (one) or ``<tag>/audio/<i>``."""
    with name_scope(name, "AudioSummary", [tag, tensor]) as scope:
        sample_rate = convert_to_tensor(sample_rate, dtype=_dt.float32, name="sample_rate")
        val = _ops.AUDIO_SUMMARY_V2(tag, tensor, sample_rate, max_outputs=max_outputs,
                                    name=scope)
        _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


@deprecated("2016-11-30", "Please switch to tf.summary.merge.")
def merge_summary(inputs, collections=None, name=None):
    """One ``Summary`` with the values of all ``inputs`` (a repeated tag fails at run time)."""
    inputs = list(inputs)
    if not inputs:  # the OpDef's minimum length, as TF reports it
        raise ValueError("List argument 'inputs' to 'MergeSummary' Op with length 0 shorter "
                         "than minimum length 1.")
    # TF 1.15 names the op ``name`` *inside* the scope ``name`` (MergeSummary/MergeSummary).
    with name_scope(name, "MergeSummary", inputs):
        val = _ops.MERGE_SUMMARY(inputs, name=name or "MergeSummary")
        _collect(val, collections, [])
    return val


@deprecated("2016-11-30", "Please switch to tf.summary.merge_all.")
def merge_all_summaries(key=GraphKeys.SUMMARIES):
    """``merge_summary`` of the default graph's collection ``key``; None when it is empty."""
    summary_ops = get_collection(key)
    if not summary_ops:
        return None
    return merge_summary(summary_ops)
