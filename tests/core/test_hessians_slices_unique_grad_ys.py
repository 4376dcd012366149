"""Four autodiff gaps against TF 1.x (tf.compat.v1), each checked by hand and side by side:

- tf.hessians of an x whose shape is partly or wholly unknown (TF1 builds the Hessian with a
  while loop over size(x): gradients of the flattened gradient's elements);
- the static shape of an IndexedSlices built by hand (read from its dense_shape tensor);
- Unique and its variants have no gradient registered: LookupError, not a silent None;
- a grad_ys tensor of another dtype than its y is a TypeError.
"""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf import raw_ops

from .legacy_tf import run_against_tf


# -- tf.hessians --------------------------------------------------------------------------------
def test_hessians_of_a_vector_of_unknown_length():
    """sum(p**3) has Hessian diag(6p), whatever p's length: shape (?, ?) statically."""
    p = tf.placeholder(tf.float32, [None])
    (h,) = tf.hessians(tf.reduce_sum(p ** 3), p)
    assert h.shape.as_list() == [None, None]
    with tf.Session() as sess:
        for pv in ([1.0, 2.0], [0.5, -1.0, 3.0, 2.0]):
            np.testing.assert_allclose(sess.run(h, {p: pv}), np.diag(6 * np.array(pv)))


def test_hessians_of_unknown_rank_and_partly_known_shapes():
    """Unknown rank: the result is shaped shape(x) + shape(x) at run time; (?, 2) gives
    (?, 2, ?, 2) statically, as TF. d2 prod(m) / dmi dmj = the product of the other elements."""
    q = tf.placeholder(tf.float32)
    (hq,) = tf.hessians(tf.reduce_sum(q ** 3), q)
    assert hq.shape.rank is None
    m = tf.placeholder(tf.float32, [None, 2])
    (hm,) = tf.hessians(tf.reduce_prod(m), m)
    assert hm.shape.as_list() == [None, 2, None, 2]
    mv = np.array([[2.0, 3.0], [5.0, 7.0], [1.5, -1.0]], np.float32)
    with tf.Session() as sess:
        assert sess.run(hq, {q: 3.0}) == pytest.approx(18.0)
        got_q = sess.run(hq, {q: [[1.0, 2.0]]})
        got_m = sess.run(hm, {m: mv})
    np.testing.assert_allclose(got_q, np.diag([6.0, 12.0]).reshape(1, 2, 1, 2))
    flat = mv.reshape(-1)
    want = np.zeros((6, 6), np.float32)
    for i in range(6):
        for j in range(6):
            if i != j:
                want[i, j] = np.prod(np.delete(flat, [i, j]))
    np.testing.assert_allclose(got_m, want.reshape(3, 2, 3, 2), rtol=1e-6)


def test_hessians_is_one_loop_whatever_the_size_and_differentiates_again():
    """The graph does not grow with x's size (one while loop, as TF); the Hessian is
    differentiable: d/dp_i sum_j H_ij of sum(p**4) is 24 p_i. A known shape stays static."""
    sizes = []
    for n in (3, 40):
        with tf.Graph().as_default() as graph:
            x = tf.placeholder(tf.float32, [n])
            before = len(graph.get_operations())
            (h,) = tf.hessians(tf.reduce_sum(tf.sin(x) * x), x)
            assert h.shape.as_list() == [n, n]
            sizes.append(len(graph.get_operations()) - before)
    assert sizes[0] == sizes[1]
    p = tf.placeholder(tf.float32, [None])
    (h,) = tf.hessians(tf.reduce_sum(p ** 4), p)
    (g3,) = tf.gradients(tf.reduce_sum(h), p)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(g3, {p: [1.0, 2.0, -0.5]}),
                                   24 * np.array([1.0, 2.0, -0.5]), rtol=1e-6)


def test_hessians_of_linear_and_unrelated_x():
    """Linear in x: zero rows (TF1 fails on the missing row); not depending on x: ValueError."""
    x = tf.placeholder(tf.float32, [None])
    unused = tf.placeholder(tf.float32, [None])
    (h,) = tf.hessians(tf.reduce_sum(2.0 * x), x)
    with pytest.raises(ValueError, match="None values not supported"):
        tf.hessians(tf.reduce_sum(2.0 * x), unused)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(h, {x: [1.0, 2.0, 3.0]}), np.zeros((3, 3)))


# -- IndexedSlices.shape ------------------------------------------------------------------------
def test_indexed_slices_shape_comes_from_dense_shape():
    """As TF's constant_value_as_shape of dense_shape: a constant gives all of it, tf.shape(x)
    what x knows, an int vector of length 2 (?, ?), no dense_shape nothing."""
    e = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3))
    g = tf.gradients(tf.reduce_sum(tf.gather(e, [0, 2, 2]) ** 2), e)[0]
    values, indices = g.values, g.indices
    rebuilt = tf.IndexedSlices(values * 2.0, indices, g.dense_shape)
    constant = tf.IndexedSlices(values, indices, tf.constant([4, 3]))
    partial = tf.IndexedSlices(values, indices, tf.shape(tf.placeholder(tf.float32, [None, 3])))
    assert rebuilt.shape.as_list() == [4, 3]
    assert constant.shape.as_list() == [4, 3]
    assert partial.shape.as_list() == [None, 3]
    assert tf.IndexedSlices(values, indices, tf.constant([-1, 3], tf.int64)).shape.as_list() \
        == [None, 3]
    assert tf.IndexedSlices(values, indices, tf.placeholder(tf.int32, [2])).shape.as_list() \
        == [None, None]
    assert tf.IndexedSlices(values, indices).shape.rank is None
    dense = tf.convert_to_tensor(rebuilt)
    assert dense.shape.as_list() == [4, 3]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(dense)
    want = np.zeros((4, 3), np.float32)
    ev = np.arange(12, dtype=np.float32).reshape(4, 3)
    for row in (0, 2, 2):
        want[row] += 4 * ev[row]  # 2 * (2 e[row])
    np.testing.assert_allclose(got, want)


# -- Unique has no gradient ---------------------------------------------------------------------
@pytest.mark.parametrize("op_type, build", [
    ("Unique", lambda x: tf.unique(x)[0]),
    ("UniqueWithCounts", lambda x: tf.unique_with_counts(x)[0]),
    ("UniqueV2", lambda x: raw_ops.UniqueV2(x=x, axis=[0])[0]),
    ("UniqueWithCountsV2", lambda x: raw_ops.UniqueWithCountsV2(x=x, axis=[0])[0]),
])
def test_unique_ops_have_no_gradient(op_type, build):
    """TF registers no gradient for any of them (nor NotDifferentiable): a LookupError."""
    x = tf.constant([1.0, 1.0, 2.0])
    with pytest.raises(LookupError, match=rf"No gradient defined for operation .*"
                                          rf"\(op type: {op_type}\)"):
        tf.gradients(build(x), x)


def test_unique_without_a_gradient_through_it_is_fine():
    """An integer x, or a path through only the (integer) idx output, asks Unique for
    nothing: no error, as TF."""
    xi = tf.constant([1, 1, 2])
    assert tf.gradients(tf.unique(xi)[0], xi) == [None]
    x = tf.constant([3.0, 1.0, 3.0])
    y = tf.reduce_sum(tf.gather(x, tf.unique(x)[1]) * x)  # x[idx] * x: idx = [0, 1, 0]
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(tf.gradients(y, x)[0]), [9.0, 2.0, 3.0])


# -- grad_ys dtype ------------------------------------------------------------------------------
def test_grad_ys_of_another_dtype_is_a_type_error():
    y = tf.Variable([1.0, 2.0])
    with pytest.raises(TypeError, match="Gradient type int32 generated for .*float32"):
        tf.gradients(y * 2, y, grad_ys=tf.constant([1, 2]))
    with pytest.raises(TypeError, match="Gradient type float64 generated for .*float32"):
        tf.gradients(y * 2, y, grad_ys=tf.constant([1.0, 2.0], tf.float64))
    with pytest.raises(TypeError, match=r"Gradient type bool generated for real or integer-"
                                        r"valued tensor .* with type float32 must be real or "
                                        r"integer"):
        tf.gradients(y * 2, y, grad_ys=tf.constant([True, False]))
    c = tf.constant([1 + 2j, 3j])
    with pytest.raises(TypeError, match="Gradient type float32 generated for complex-valued"):
        tf.gradients(c * 2, c, grad_ys=tf.constant([1.0, 2.0]))
    z = tf.constant([1, 2])  # an integer y passes nothing on: any real grad_ys, as TF
    assert tf.gradients(z * 2, z, grad_ys=tf.constant([1.0, 2.0])) == [None]
    (g,) = tf.gradients(y * 2, y, grad_ys=np.array([1.0, 3.0]))  # numpy values take y's dtype
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(g), [2.0, 6.0])


# -- side by side -------------------------------------------------------------------------------
_VS_TF = r'''
import os
import numpy as np
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1
import minitf as mtf
tf1.disable_v2_behavior()


def hess_vector(tf):
    p = tf.placeholder(tf.float32, [None])
    h = tf.hessians(tf.reduce_sum(p ** 3) + tf.reduce_prod(tf.sin(p)), p)[0]
    return str(h.shape), h, {p: [1.0, 2.0, -0.5]}


def hess_unknown_rank(tf):
    q = tf.placeholder(tf.float32)
    h = tf.hessians(tf.reduce_sum(tf.exp(q) * q), q)[0]
    return str(h.shape), h, {q: [[1.0, 2.0], [0.5, -1.0]]}


def hess_partial_and_third_order(tf):
    m = tf.placeholder(tf.float32, [None, 2])
    h = tf.hessians(tf.reduce_prod(m) + tf.reduce_sum(m ** 4), m)[0]
    g3 = tf.gradients(tf.reduce_sum(h * h), m)[0]
    return str(h.shape), [h, g3], {m: [[2.0, 3.0], [0.5, -1.0]]}


def slices_shape(tf):
    e = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3))
    g = tf.gradients(tf.reduce_sum(tf.gather(e, [0, 2, 2]) ** 2), e)[0]
    shapes = [tf.IndexedSlices(g.values * 2.0, g.indices, g.dense_shape).shape,
              tf.IndexedSlices(g.values, g.indices, tf.constant([4, 3])).shape,
              tf.IndexedSlices(g.values, g.indices, tf.shape(tf.placeholder(tf.float32,
                                                                            [None, 3]))).shape,
              tf.IndexedSlices(g.values, g.indices, tf.placeholder(tf.int32, [2])).shape,
              tf.IndexedSlices(g.values, g.indices).shape]
    return str([s.as_list() if s.rank is not None else None for s in shapes]), None, None


def unique_grads(tf):
    x = tf.constant([1.0, 1.0, 2.0])
    out = []
    for build in (lambda: tf.unique(x)[0], lambda: tf.unique_with_counts(x)[0]):
        try:
            out.append(str(tf.gradients(build(), x)))
        except LookupError as e:
            out.append("LookupError" if "No gradient defined" in str(e) else repr(e))
    xi = tf.constant([1, 1, 2])
    out.append(str(tf.gradients(tf.unique(xi)[0], xi)))
    return str(out), None, None


def grad_ys_dtype(tf):
    y = tf.Variable([1.0, 2.0])
    out = []
    for gy in (tf.constant([1, 2]), tf.constant([1.0, 2.0], tf.float64),
               tf.constant([True, False])):
        try:
            out.append(str(tf.gradients(y * 2, y, grad_ys=gy)))
        except TypeError:
            out.append("TypeError")
    z = tf.constant([1, 2])
    out.append(str(tf.gradients(z * 2, z, grad_ys=tf.constant([1.0, 2.0]))))
    return str(out), None, None


def run(tf, build):
    with tf.Graph().as_default():
        text, fetch, feed = build(tf)
        if fetch is None:
            return text, None
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return text, sess.run(fetch, feed)


for build in [hess_vector, hess_unknown_rank, hess_partial_and_third_order, slices_shape,
              unique_grads, grad_ys_dtype]:
    (t_text, t_val), (m_text, m_val) = run(tf1, build), run(mtf, build)
    same = t_text == m_text
    if t_val is not None:
        t_val, m_val = (t_val, m_val) if isinstance(t_val, list) else ([t_val], [m_val])
        same = same and all(np.allclose(a, b, rtol=1e-5, atol=1e-6) and a.shape == b.shape
                            for a, b in zip(t_val, m_val))
    print(build.__name__, "OK" if same else f"DIFF tf={t_text} {t_val} mini={m_text} {m_val}")
'''


def test_against_tensorflow(tmp_path):
    """Hessians of [None], unknown-rank and (?, 2) placeholders (and a third derivative),
    hand-built IndexedSlices shapes, Unique's missing gradient and grad_ys dtypes agree with
    tf.compat.v1."""
    run_against_tf("hessians_slices_unique_vs_tf.py", cases=6, source=_VS_TF,
                   tmp_path=tmp_path)
