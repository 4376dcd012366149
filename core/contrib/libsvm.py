"""``tf.contrib.libsvm`` (TF 1.15): ``decode_libsvm``, LibSVM text records to labels and a
SparseTensor of features, over the DecodeLibsvm op (core/ops/libsvm_ops.py)."""

from __future__ import annotations

from .. import dtypes as _dt
from ..ops.libsvm_ops import DECODE_LIBSVM
from ..sparse_tensor import SparseTensor
from .framework_deprecation import deprecated

__all__ = ["decode_libsvm"]


@deprecated(None, "tf.contrib.libsvm will be removed in 2.0, the support for libsvm format "
            "will continue to be provided in tensorflow-io: https://github.com/tensorflow/io")
def decode_libsvm(content, num_features, dtype=None, label_dtype=None):
    """``(features, labels)``: each string of ``content`` is a record "label idx:value ...";
    ``features`` is a SparseTensor of shape ``content.shape + [num_features]`` (values of
    ``dtype``, float32 by default), ``labels`` has ``content``'s shape (``label_dtype``,
    int64 by default). Feature indices are kept as written (not sorted nor bounded)."""
    labels, indices, values, shape = DECODE_LIBSVM(
        content, num_features=num_features,
        dtype=_dt.float32 if dtype is None else dtype,
        label_dtype=_dt.int64 if label_dtype is None else label_dtype)
    return SparseTensor(indices, values, shape), labels
