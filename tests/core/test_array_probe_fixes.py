"""Fixes from a comparison with TensorFlow 2.21 (tf.compat.v1, graph mode): list-output ops with
one output, bincount of int64 values, negative transpose perms, and the result names of
sequence_mask and linspace. Expected values are numpy's or hand-computed; the names are TF's."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

X = np.arange(6, dtype=np.float32).reshape(2, 3)
Y = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


# -- one output of a list-output op is the array itself ------------------------------------------


def test_dynamic_partition_with_one_partition():
    x = tf.placeholder(tf.float32, [None, 3])
    parts = tf.dynamic_partition(x, [0, 0], num_partitions=1)
    assert isinstance(parts, list) and len(parts) == 1
    got, plus = _run([parts[0], parts[0] + tf.ones([3])], {x: X})
    np.testing.assert_array_equal(got, X)
    np.testing.assert_array_equal(plus, X + 1)
    # its gradient (which partitions the row positions with one partition too)
    (g,) = tf.gradients(tf.reduce_sum(parts[0] * X), [x])
    np.testing.assert_array_equal(_run(g, {x: X}), X)


def test_shape_n_with_one_input_is_a_list():
    x = tf.placeholder(tf.float32, [None, 3])
    sn = tf.shape_n([x])
    assert isinstance(sn, list) and len(sn) == 1
    assert sn[0].name == "ShapeN:0" and sn[0].shape.as_list() == [2]
    np.testing.assert_array_equal(_run(sn[0], {x: np.zeros((5, 3))}), [5, 3])
    (got,) = _run(tf.shape_n([x], out_type=tf.int64), {x: np.zeros((2, 3))})
    assert got.dtype == np.int64 and got.tolist() == [2, 3]
    a, b = _run(tf.shape_n([x, tf.zeros([4])]), {x: np.zeros((1, 3))})
    assert a.tolist() == [1, 3] and b.tolist() == [4]


# -- bincount ------------------------------------------------------------------------------------


def test_bincount_of_int64_values():
    arr = tf.constant([1, 2, 2], tf.int64)
    counts = tf.math.bincount(arr, minlength=4)
    got = _run(counts)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, np.bincount([1, 2, 2], minlength=4))
    weighted = _run(tf.math.bincount(arr, weights=[1.0, 2.0, 3.0], maxlength=2))
    np.testing.assert_array_equal(weighted, [0.0, 1.0])  # 2s are at or past maxlength
    # A value past int32 is not wrapped into another bin (2**32 + 1 would count as 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be non-negative"):
        _run(tf.math.bincount(tf.constant([1, 2**32 + 1], tf.int64)))


# -- transpose with negative perm entries --------------------------------------------------------


def test_transpose_negative_perm():
    x = tf.constant(Y)
    t = tf.transpose(x, [-1, 0, 1])
    assert t.shape.as_list() == [4, 2, 3]
    np.testing.assert_array_equal(_run(t), np.transpose(Y, [2, 0, 1]))
    p = tf.placeholder(tf.int32, [3])
    np.testing.assert_array_equal(_run(tf.transpose(x, p), {p: [-3, -1, -2]}),
                                  np.transpose(Y, [0, 2, 1]))
    with pytest.raises(ValueError, match="perm dim -4 is out of range of input rank 3"):
        tf.transpose(x, [-4, 0, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="-1 is not between 0 and 3"):
        _run(tf.transpose(x, p), {p: [-4, 0, 1]})


def test_transpose_negative_perm_gradient():
    x = tf.constant(Y)
    w = np.arange(24, dtype=np.float32).reshape(4, 2, 3) + 1
    (g,) = tf.gradients(tf.reduce_sum(tf.transpose(x, [-1, 0, 1]) * w), [x])
    # d/dx[i, j, k] of sum(x[i, j, k] * w[k, i, j]) is w[k, i, j]
    np.testing.assert_array_equal(_run(g), np.transpose(w, [1, 2, 0]))


# -- result names --------------------------------------------------------------------------------


def test_sequence_mask_result_names():
    assert tf.sequence_mask([1, 2]).name == "SequenceMask/Less:0"
    m = tf.sequence_mask([1, 3, 0], 4, name="sm")
    assert m.name == "sm/Less:0"
    np.testing.assert_array_equal(_run(m), np.arange(4) < np.array([[1], [3], [0]]))
    f = tf.sequence_mask([2, 1], 3, dtype=tf.float32)
    assert f.name == "SequenceMask_1/Cast_1:0"
    np.testing.assert_array_equal(_run(f), [[1, 1, 0], [1, 0, 0]])


def test_linspace_result_names():
    # TF 1.x's name for a named linspace (one LinSpace op), which programs look up by name;
    # TF 2.x's composite would be "grid/Slice:0"
    a = tf.linspace(0.0, 1.0, 5, name="grid")
    assert a.name == "grid:0" and tf.get_default_graph().get_tensor_by_name("grid:0") is a
    b = tf.linspace([0.0, 1.0], [2.0, 3.0], 3, axis=-1, name="ls")
    assert b.name == "ls:0"
    got_a, got_b = _run([a, b])
    np.testing.assert_allclose(got_a, np.linspace(0, 1, 5), rtol=1e-6)
    np.testing.assert_allclose(got_b, [[0, 1, 2], [1, 2, 3]], rtol=1e-6)


def test_switch_n_with_one_output_runs_to_the_value():
    # _SwitchN (a lowered Case op in frozen graphs) of one branch: the value, not a 1-tuple
    from minitf.ops.control_flow_ops import SWITCH_N

    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2])
        out = SWITCH_N(x, tf.constant(0), num_outs=1, name="switch_n")
        with tf.Session() as sess:
            got = sess.run(out * 2.0, {x: [1.0, 3.0]})
    np.testing.assert_array_equal(got, [2.0, 6.0])


def test_tf1_positional_name_of_top_k_and_matmul():
    # TF 1.x's signatures end in name: a positional name stays the name
    x = tf.constant([[1.0, 3.0, 2.0]])
    values, _ = tf.nn.top_k(x, 2, True, "topk")
    m = tf.matmul(x, x, False, True, False, False, False, False, "mm")
    assert values.op.name == "topk" and m.name == "mm:0"
    got_v, got_m = _run([values, m])
    np.testing.assert_array_equal(got_v, [[3.0, 2.0]])
    np.testing.assert_array_equal(got_m, [[14.0]])


def test_conjugate_transpose_gradient_with_a_negative_perm():
    xv = (np.arange(6) + 1j * np.arange(6)[::-1]).reshape(2, 3).astype(np.complex64)
    x = tf.constant(xv)
    y = tf.transpose(x, [-1, 0], conjugate=True)
    w = np.arange(6).reshape(3, 2).astype(np.complex64) + 1j
    dx, = tf.gradients(y, x, grad_ys=w)
    got_y, got_dx = _run([y, dx])
    np.testing.assert_array_equal(got_y, np.conj(xv).T)
    # ConjugateTranspose's gradient: grad_ys conjugate-transposed back by the inverse perm
    np.testing.assert_array_equal(got_dx, np.conj(w).T)
