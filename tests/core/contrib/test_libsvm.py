"""tf.contrib.libsvm.decode_libsvm (the DecodeLibsvm op) by hand values: labels and the
SparseTensor of features for vector, matrix and scalar inputs, the dtypes, TF's parsing
rules (spaces only, whitespace around numbers, indices kept as written) and its errors.
TensorFlow 2 dropped the op, so there is no side-by-side test."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import libsvm


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_vector_of_records():
    assert tf.contrib.libsvm.decode_libsvm is libsvm.decode_libsvm
    features, labels = libsvm.decode_libsvm(
        tf.constant(["1 0:1.5 3:2", "0  2:-1 ", "-3 1:1e2"]), num_features=4)
    assert labels.dtype == tf.int64 and labels.shape.as_list() == [3]
    assert features.dtype == tf.float32 and features.values.op.type == "DecodeLibsvm"
    f, lab, dense = _run([features, labels, tf.sparse.to_dense(features)])
    np.testing.assert_array_equal(lab, [1, 0, -3])
    np.testing.assert_array_equal(f.indices, [[0, 0], [0, 3], [1, 2], [2, 1]])
    np.testing.assert_array_equal(f.values, np.float32([1.5, 2, -1, 100]))
    np.testing.assert_array_equal(f.dense_shape, [3, 4])
    np.testing.assert_array_equal(dense, [[1.5, 0, 0, 2], [0, 0, -1, 0], [0, 100, 0, 0]])


def test_matrix_and_scalar_inputs_and_dtypes():
    features, labels = libsvm.decode_libsvm(
        tf.constant([["7 1:3", "8"], ["9 0:4 2:5", "10 1:6"]]), 3, dtype=tf.int64,
        label_dtype=tf.float64)
    f, lab = _run([features, labels])
    assert lab.dtype == np.float64 and lab.shape == (2, 2)
    np.testing.assert_array_equal(lab, [[7, 8], [9, 10]])
    np.testing.assert_array_equal(f.indices, [[0, 0, 1], [1, 0, 0], [1, 0, 2], [1, 1, 1]])
    assert f.values.dtype == np.int64
    np.testing.assert_array_equal(f.values, [3, 4, 5, 6])
    np.testing.assert_array_equal(f.dense_shape, [2, 2, 3])
    features, labels = libsvm.decode_libsvm(tf.constant("2 5:0.25"), 2, dtype=tf.float64,
                                            label_dtype=tf.int32)
    f, lab = _run([features, labels])
    assert lab == 2 and lab.dtype == np.int32
    np.testing.assert_array_equal(f.indices, [[5]])  # beyond num_features: kept, as TF
    np.testing.assert_array_equal(f.dense_shape, [2])


def test_records_without_features_give_no_entries():
    records = tf.placeholder(tf.string, [None])
    features, labels = libsvm.decode_libsvm(records, 2, label_dtype=tf.float32)
    f, lab = _run([features, labels], {records: ["0.5", "1"]})
    np.testing.assert_array_equal(lab, np.float32([0.5, 1]))
    assert f.indices.shape == (0, 2) and f.values.shape == (0,)


@pytest.mark.parametrize("record, message", [
    ("", 'No entries found for input\\[0\\]: ""'),
    ("x 1:2", "Label format incorrect: x"),
    ("1.5 1:2", "Label format incorrect: 1.5"),  # an int64 label
    ("1\t1:2", "Label format incorrect: 1\t1:2"),  # TF splits on spaces only
    ("1 3", 'Invalid feature "3"'),
    ("1 1:2:3", 'Invalid feature "1:2:3"'),
    ("1 a:2", "Feature format incorrect: a:2"),
    ("1 1:b", "Feature format incorrect: 1:b"),
    ("1 1:", "Feature format incorrect: 1:"),
    ("1 -1:2", "Feature index should be >= 0, got -1"),
])
def test_bad_records(record, message):
    features, labels = libsvm.decode_libsvm(tf.constant([record]), 4)
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        _run([features, labels])


def test_bad_values_and_attrs():
    features, _ = libsvm.decode_libsvm(tf.constant(["1 0:3000000000"]), 4, dtype=tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Feature format incorrect"):
        _run(features)
    with pytest.raises(ValueError, match="Attr 'num_features' of 'DecodeLibsvm' Op passed 0 "
                                         "less than minimum 1"):
        libsvm.decode_libsvm(tf.constant(["1"]), 0)
    with pytest.raises(TypeError, match="parameter 'dtype' has DataType string not in list"):
        libsvm.decode_libsvm(tf.constant(["1"]), 2, dtype=tf.string)
    with pytest.raises(TypeError, match="parameter 'label_dtype' has DataType bool"):
        libsvm.decode_libsvm(tf.constant(["1"]), 2, label_dtype=tf.bool)
    with pytest.raises((TypeError, ValueError)):
        libsvm.decode_libsvm(tf.constant([1.0]), 2)
