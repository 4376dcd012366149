"""Fixes from a comparison of tf.nn with TensorFlow 2.21 (tf.compat.v1, graph mode): positional
labels and logits for the cross-entropies, ctc_loss_v2's op names for SparseTensor labels,
top_k's index_type, and dropout's error for a noise_shape left partly unknown. Expected values
are numpy's, brute force or hand-computed; names and messages are TF 2.21's."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from .op_cases.ctc import brute_loss
from .side_by_side import run, run_both_ways, run_graph_def_in_minitf

LOGITS = np.array([[1., 2., 0.5], [3., -1., 0.]], np.float32)
PROBS = np.array([[0.2, 0.5, 0.3], [1., 0., 0.]], np.float32)


def _log_softmax(x, axis=-1):
    x = x.astype(np.float64)
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


# -- cross-entropies: TF 2.x has no `_sentinel`, so labels, logits may be positional --------------


def test_cross_entropies_take_positional_labels_and_logits():
    lg = tf.constant(LOGITS)
    sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant([1, 0]), lg)
    sigmoid = tf.nn.sigmoid_cross_entropy_with_logits(tf.constant(PROBS[:, :2]),
                                                      tf.constant(LOGITS[:, :2]))
    dense = tf.nn.softmax_cross_entropy_with_logits(tf.constant(PROBS), lg)
    dense_dim0 = tf.nn.softmax_cross_entropy_with_logits(tf.constant(PROBS), lg, 0, "xent")
    assert sparse.name == ("SparseSoftmaxCrossEntropyWithLogits/"
                           "SparseSoftmaxCrossEntropyWithLogits:0")
    assert sigmoid.name == "logistic_loss:0"
    assert dense.name == "softmax_cross_entropy_with_logits_sg/Reshape_2:0"
    assert dense_dim0.name.startswith("xent/")
    got = run([sparse, sigmoid, dense, dense_dim0])
    logp = _log_softmax(LOGITS)
    np.testing.assert_allclose(got[0], -logp[[0, 1], [1, 0]], rtol=1e-6)
    z, x = PROBS[:, :2].astype(np.float64), LOGITS[:, :2].astype(np.float64)
    np.testing.assert_allclose(got[1], -z * np.log(1 / (1 + np.exp(-x)))
                               - (1 - z) * np.log(1 - 1 / (1 + np.exp(-x))), rtol=1e-5)
    np.testing.assert_allclose(got[2], -(PROBS * logp).sum(-1), rtol=1e-6)
    np.testing.assert_allclose(got[3], -(PROBS * _log_softmax(LOGITS, 0)).sum(0), rtol=1e-6)


def test_cross_entropies_by_keyword_and_missing_arguments():
    got = run(tf.nn.sparse_softmax_cross_entropy_with_logits(logits=LOGITS, labels=[2, 1]))
    np.testing.assert_allclose(got, -_log_softmax(LOGITS)[[0, 1], [2, 1]], rtol=1e-6)
    for f in (tf.nn.sparse_softmax_cross_entropy_with_logits,
              tf.nn.sigmoid_cross_entropy_with_logits, tf.nn.softmax_cross_entropy_with_logits):
        with pytest.raises(ValueError, match=f"Both `labels` and `logits` must be provided for "
                                             f"{f.__name__}Received: labels=None"):
            f(logits=LOGITS)


# -- ctc_loss_v2 with SparseTensor labels opens no name scope, as TF's ---------------------------


def test_ctc_loss_v2_sparse_labels_are_named_as_tf():
    x = np.random.RandomState(3).randn(4, 1, 4).astype(np.float32)
    lab = tf.SparseTensor(np.array([[0, 0], [0, 1]], np.int64), np.array([1, 2], np.int32),
                          np.array([1, 2], np.int64))
    last = tf.nn.ctc_loss_v2(lab, tf.constant(x), None, tf.constant([4]), blank_index=-1)
    first = tf.nn.ctc_loss_v2(lab, tf.constant(x), None, tf.constant([4]), blank_index=0,
                              name="ignored")
    assert last.name == "CTCLoss:0" and first.name == "CTCLoss_1:0"
    assert first.op.inputs[0].op.name == "concat"  # the blank class moved last, at top level
    got = run([last, first])
    np.testing.assert_allclose(got[0], [brute_loss(x[:, 0], [1, 2])[0]], rtol=1e-5)
    # blank 0: labels 1, 2 become 0, 1 and the blank class goes last
    moved = np.concatenate([x[:, 0, 1:], x[:, 0, :1]], axis=1)
    np.testing.assert_allclose(got[1], [brute_loss(moved, [0, 1])[0]], rtol=1e-5)


# -- top_k's index_type ---------------------------------------------------------------------------


@pytest.mark.parametrize("index_type", [tf.int16, tf.int32, tf.int64])
def test_top_k_index_type(index_type):
    x = tf.constant([[1., -2., 3.], [5., 5., 0.]])
    values, indices = tf.nn.top_k(x, 2, index_type=index_type)
    assert indices.dtype == index_type and indices.op.get_attr("index_type") == index_type
    (dx,) = tf.gradients(values, [x])
    got_v, got_i, got_dx = run([values, indices, dx])
    assert got_i.dtype == index_type.as_numpy_dtype
    np.testing.assert_array_equal(got_i, [[2, 0], [0, 1]])  # ties: the lower index first
    np.testing.assert_array_equal(got_v, [[3., 1.], [5., 5.]])
    np.testing.assert_array_equal(got_dx, [[1., 0., 1.], [1., 1., 0.]])


def test_top_k_index_type_errors_and_imported_graph():
    with pytest.raises(TypeError, match="DataType float32 not in list of allowed values: "
                                        "int16, int32, int64"):
        tf.math.top_k([1., 2.], index_type=tf.float32)
    g = tf.Graph()
    with g.as_default():
        tf.math.top_k(tf.constant([4., 7., 1.]), k=2, index_type=tf.int64, name="tk")
    got = run_graph_def_in_minitf(g.as_graph_def().SerializeToString(), "tk:1")
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, [1, 0])


def test_top_k_index_type_graph_defs_cross_with_tensorflow():
    def build(lib):
        lib.math.top_k(lib.constant([[4., 7., 1.]]), k=2, index_type=lib.int64, name="tk")

    for got in run_both_ways(build, ["tk:0", "tk:1"]):
        assert got[1].dtype == np.int64
        np.testing.assert_array_equal(got[1], [[1, 0]])
        np.testing.assert_array_equal(got[0], [[7., 4.]])


# -- dropout: None in noise_shape is taken from x's static shape, else TF's ValueError ------------


def test_dropout_noise_shape_with_unknown_dimension():
    x = tf.placeholder(tf.float32, [None, 50])
    with pytest.raises(ValueError, match=r"Cannot convert a partially known TensorShape "
                                         r"\(\?, 1\) to a Tensor\."):
        tf.nn.dropout(x, rate=0.5, noise_shape=[None, 1])
    with pytest.raises(ValueError, match=r"partially known TensorShape \(\?, 50\)"):
        tf.nn.dropout(x, rate=0.5, noise_shape=[None, None])
    # A None that x's static shape knows is filled in: one draw per row here.
    xv = np.arange(1, 201, dtype=np.float32).reshape(4, 50)
    y = tf.nn.dropout(tf.constant(xv), rate=0.5, noise_shape=[None, 1], seed=3)
    assert y.shape.as_list() == [4, 50]
    got = run(y)
    for row, orig in zip(got, xv):
        assert np.array_equal(row, 0 * orig) or np.allclose(row, 2 * orig)
