"""More of ``tf.image`` / ``tf.io`` (TF1): decode_bmp and decode_gif (ops in
core/ops/gif_bmp_ops.py) and sample_distorted_bounding_box (core/ops/sample_box_ops.py), with
TF1's signatures. stateless_sample_distorted_bounding_box is TF2's (TF1 has the op, not the
function)."""

from __future__ import annotations

import collections

from .graph import name_scope
from .ops.gif_bmp_ops import decode_bmp, decode_gif
from .ops.sample_box_ops import (SAMPLE_DISTORTED_BOUNDING_BOX_V2,
                                 STATELESS_SAMPLE_DISTORTED_BOUNDING_BOX)

__all__ = ["decode_bmp", "decode_gif", "sample_distorted_bounding_box",
           "stateless_sample_distorted_bounding_box"]

# The op wrappers' namedtuples TF's functions return (TF1's sample_distorted_bounding_box
# builds SampleDistortedBoundingBoxV2, as TF 1.15's does).
SampleDistortedBoundingBoxV2 = collections.namedtuple("SampleDistortedBoundingBoxV2",
                                                      ["begin", "size", "bboxes"])
StatelessSampleDistortedBoundingBox = collections.namedtuple(
    "StatelessSampleDistortedBoundingBox", ["begin", "size", "bboxes"])

_DEFAULTS = {"aspect_ratio_range": [0.75, 1.33], "area_range": [0.05, 1.0], "max_attempts": 100,
             "use_image_if_no_bounding_boxes": False}


def _attrs(aspect_ratio_range, area_range, max_attempts, use_image_if_no_bounding_boxes):
    given = {"aspect_ratio_range": aspect_ratio_range, "area_range": area_range,
             "max_attempts": max_attempts,
             "use_image_if_no_bounding_boxes": use_image_if_no_bounding_boxes}
    out = {k: (_DEFAULTS[k] if v is None else v) for k, v in given.items()}
    out["aspect_ratio_range"] = [float(v) for v in out["aspect_ratio_range"]]
    out["area_range"] = [float(v) for v in out["area_range"]]
    return out


def sample_distorted_bounding_box(image_size, bounding_boxes, seed=None, seed2=None,
                                  min_object_covered=0.1, aspect_ratio_range=None,
                                  area_range=None, max_attempts=None,
                                  use_image_if_no_bounding_boxes=None, name=None):
    """``tf.image.sample_distorted_bounding_box`` (TF1): SampleDistortedBoundingBoxV2(begin,
    size, bboxes), TF's namedtuple, of a random crop of an image of ``image_size`` [height,
    width, channels] that covers at least
    ``min_object_covered`` of one of ``bounding_boxes`` ([batch, N, 4] of [y0, x0, y1, x1] in
    [0, 1]), with an aspect ratio (width / height) and a fraction of the image's area in the
    given ranges; the whole image after ``max_attempts`` failures. ``begin`` and ``size`` feed
    ``tf.slice``, ``bboxes`` ([1, 1, 4]) ``tf.image.draw_bounding_boxes``. As in TF1, seed and
    seed2 go to the op as they are (the graph seed is not used); both None draws at random."""
    with name_scope(name, "sample_distorted_bounding_box"):
        return SampleDistortedBoundingBoxV2(*SAMPLE_DISTORTED_BOUNDING_BOX_V2(
            image_size, bounding_boxes,
            min_object_covered,
            seed=seed or 0, seed2=seed2 or 0, name=name,
            **_attrs(aspect_ratio_range, area_range, max_attempts,
                     use_image_if_no_bounding_boxes)))


def stateless_sample_distorted_bounding_box(image_size, bounding_boxes, seed,
                                            min_object_covered=0.1, aspect_ratio_range=None,
                                            area_range=None, max_attempts=None,
                                            use_image_if_no_bounding_boxes=None, name=None):
    """TF2's ``tf.image.stateless_sample_distorted_bounding_box``: as
    sample_distorted_bounding_box, but a function of ``seed`` (a [2] int32/int64 tensor): TF's
    crop for the same seed, bit for bit, as TF's StatelessSampleDistortedBoundingBox
    namedtuple."""
    with name_scope(name, "stateless_sample_distorted_bounding_box"):
        return StatelessSampleDistortedBoundingBox(*STATELESS_SAMPLE_DISTORTED_BOUNDING_BOX(
            image_size, bounding_boxes,
            min_object_covered,
            seed, name=name,
            **_attrs(aspect_ratio_range, area_range, max_attempts,
                     use_image_if_no_bounding_boxes)))
