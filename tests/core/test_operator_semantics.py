"""Python-level semantics found by a probe against tf.compat.v1: ``/`` refuses mixed dtypes
(TF's TypeError, no silent float64), a None op argument is TF's ValueError, Tensor.ndim."""

from __future__ import annotations

import pytest

import minitf as tf


def _cases(lib):
    """(case, result) with the result an outcome: the dtype name, or the error class and
    the first words of its message."""
    def outcome(build):
        with lib.Graph().as_default():
            try:
                return build().dtype.base_dtype.name
            except (TypeError, ValueError) as e:  # (TF's messages vary by op after this)
                text = str(e)
                return type(e).__name__, ("None values not supported." if "None values not "
                                          "supported." in text else text.split(",")[0])

    return {
        "int / 2.5": outcome(lambda: lib.constant([3]) / 2.5),
        "int / float": outcome(lambda: lib.constant([3]) / lib.constant([2.0])),
        "divide int32 int64": outcome(lambda: lib.divide(lib.constant([3]),
                                                         lib.constant([2], lib.int64))),
        "int / int": outcome(lambda: lib.constant([3]) / lib.constant([2])),
        "int8 / int8": outcome(lambda: lib.constant([3], lib.int8) / lib.constant([2], lib.int8)),
        "add None": outcome(lambda: lib.add(lib.constant([1]), None)),
        "equal None": outcome(lambda: lib.equal(lib.constant([1]), None)),
    }


_WANT = {
    "int / 2.5": ("TypeError", "`x` and `y` must have the same dtype"),
    "int / float": ("TypeError", "`x` and `y` must have the same dtype"),
    "divide int32 int64": ("TypeError", "`x` and `y` must have the same dtype"),
    "int / int": "float64", "int8 / int8": "float32",
    "add None": ("ValueError", "None values not supported."),
    "equal None": ("ValueError", "None values not supported."),
}


def test_division_dtypes_and_none_arguments():
    assert _cases(tf) == _WANT


def test_ndim():
    with tf.Graph().as_default():
        assert tf.ones([2, 3]).ndim == 2 and tf.placeholder(tf.float32).ndim == -1


def test_side_by_side_with_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    assert _cases(tf1) == _WANT
    with tf1.Graph().as_default():
        assert tf1.ones([2, 3]).ndim == 2 and tf1.placeholder(tf1.float32).ndim == -1
