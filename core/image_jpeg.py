"""The ``tf.image`` / ``tf.io`` JPEG functions: decode_jpeg, decode_and_crop_jpeg and
extract_jpeg_shape bind the ops of core/ops/jpeg_ops.py; is_jpeg is composed as TF composes it
(a 3-byte Substr compared with the JPEG magic), so its graph is TF's."""

from __future__ import annotations

from .graph import name_scope
from .ops.jpeg_ops import decode_and_crop_jpeg, decode_jpeg, extract_jpeg_shape
from .ops.logic_ops import equal
from .strings import substr

__all__ = ["decode_and_crop_jpeg", "decode_jpeg", "extract_jpeg_shape", "is_jpeg"]


def is_jpeg(contents, name=None):
    """``tf.image.is_jpeg``: whether a scalar string starts with a JPEG's first bytes
    (\\xff\\xd8\\xff, so false positives are possible, as in TF)."""
    with name_scope(name, "is_jpeg"):
        return equal(substr(contents, 0, 3), b"\xff\xd8\xff", name=name)
