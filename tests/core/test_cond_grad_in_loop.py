"""A tf.cond's gradient taken inside a while loop (tf.hessians builds one; so does
tf.gradients called in a loop body): the gradient reads values of the cond's branches, which
enter the loop's frame; the untaken branch's enter dead. TF's executor passes a dead value
into every iteration, dead, so only what reads it is skipped and the gradient's Merge takes
the live branch; minitf skipped the whole loop ("Retval[0] does not have value").
References are hand-computed; one test compares with TF in a process of its own."""

import json

import numpy as np
import pytest

import minitf as tf
from minitf.opdef import lookup
from tests.core.legacy_tf import tf_side_json

POINTS = [[1.0, 2.0], [-1.0, -2.0], [2.0, 1.0], [-2.0, 0.5], [0.2, 0.3]]


def _run(fetch, x, value):
    with tf.Session() as sess:
        return sess.run(fetch, {x: value})


@pytest.mark.parametrize("value", [[1.0, 2.0], [-1.0, -2.0]])
def test_hessian_and_loop_gradient_through_cond(value):
    """The probe's graph: both branches, both forms."""
    x = tf.placeholder(tf.float64, [2])
    z = tf.cond(tf.reduce_sum(x) > 0, lambda: x * x, lambda: x * 3.0)
    h = tf.hessians(tf.reduce_sum(z), x)[0]
    g = tf.gradients(z, x)[0]
    first = tf.while_loop(lambda j, a: j < 2, lambda j, a: (j + 1, a + tf.gradients(z, x)[0]),
                          [0, tf.zeros_like(x)])[1]
    second = tf.while_loop(lambda j, a: j < 2, lambda j, a: (j + 1, a + tf.gradients(g, x)[0]),
                           [0, tf.zeros_like(x)])[1]
    v = np.array(value)
    taken = v.sum() > 0
    np.testing.assert_allclose(_run(h, x, value), 2 * np.eye(2) if taken else np.zeros((2, 2)))
    np.testing.assert_allclose(_run(first, x, value), 2 * (2 * v if taken else np.full(2, 3.0)))
    np.testing.assert_allclose(_run(second, x, value), [4.0, 4.0] if taken else [0.0, 0.0])


def _hessian_reference(v):
    s = v.sum()
    if s > 0:  # sum(x^3)
        return np.diag(6 * v)
    # sum(sin x) * sum(x): d2/dxi dxj = cos xi + cos xj - [i == j] sin(xi) s
    c = np.cos(v)
    return c[:, None] + c[None, :] - np.diag(np.sin(v) * s)


@pytest.mark.parametrize("value", POINTS)
def test_hessian_of_cond_on_x(value):
    x = tf.placeholder(tf.float64, [2])
    s = tf.reduce_sum(x)
    z = tf.cond(s > 0, lambda: tf.reduce_sum(x * x * x), lambda: tf.reduce_sum(tf.sin(x)) * s)
    np.testing.assert_allclose(_run(tf.hessians(z, x)[0], x, value),
                               _hessian_reference(np.array(value)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("value", POINTS)
def test_hessians_of_nested_conds_and_case(value):
    x = tf.placeholder(tf.float64, [2])
    s = tf.reduce_sum(x)
    nested = tf.cond(s > 0, lambda: tf.cond(x[0] > 1.5, lambda: x * x * x, lambda: x * x),
                     lambda: tf.cond(x[0] < -1.5, lambda: tf.exp(x), lambda: x * 3.0))
    case = tf.case([(s > 2.5, lambda: x * x), (s > 0, lambda: tf.exp(x))],
                   default=lambda: x * x * x)
    hn, hc = (tf.hessians(tf.reduce_sum(z), x)[0] for z in (nested, case))
    v = np.array(value)
    sv = v.sum()
    if sv > 0:
        want_n = np.diag(6 * v) if v[0] > 1.5 else 2 * np.eye(2)
    else:
        want_n = np.diag(np.exp(v)) if v[0] < -1.5 else np.zeros((2, 2))
    want_c = 2 * np.eye(2) if sv > 2.5 else np.diag(np.exp(v)) if sv > 0 else np.diag(6 * v)
    np.testing.assert_allclose(_run(hn, x, value), want_n, rtol=1e-12)
    np.testing.assert_allclose(_run(hc, x, value), want_c, rtol=1e-12)


def test_loop_in_a_cond_branch_still_skipped_or_run():
    """A loop inside a branch: dead loop variables still skip it (not the new path)."""
    x = tf.placeholder(tf.float64, [2])
    z = tf.cond(tf.reduce_sum(x) > 0,
                lambda: tf.while_loop(lambda j, a: j < 2, lambda j, a: (j + 1, a * x),
                                      [0, x])[1],
                lambda: x * 2.0)
    g = tf.gradients(z, x)[0]
    np.testing.assert_allclose(_run([z, g], x, [1.0, 2.0]), [[1.0, 8.0], [3.0, 12.0]])
    np.testing.assert_allclose(_run([z, g], x, [-1.0, -2.0]), [[-2.0, -4.0], [2.0, 2.0]])


def test_dead_value_entering_a_loop():
    """Raw Switch/Merge: a value entering dead skips only its readers; a Merge takes the live
    one. A loop condition reading a dead value leaves the loop's results dead (TF's dead
    LoopCond), a run error when fetched."""
    switch, merge = lookup("Switch"), lookup("Merge")
    x = tf.placeholder(tf.float64, [2])
    p = tf.placeholder(tf.bool, [])
    no, yes = switch(x, p)
    picked = tf.while_loop(lambda j, a: j < 3,
                           lambda j, a: (j + 1, a + merge([no * 2.0, yes * 3.0])[0]),
                           [0, tf.zeros_like(x)])[1]
    bounded = tf.while_loop(lambda j: j < tf.reduce_sum(tf.cast(yes, tf.int32)),
                            lambda j: j + 1, [0])
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(picked, {x: [1.0, 2.0], p: True}), [9.0, 18.0])
        np.testing.assert_allclose(sess.run(picked, {x: [1.0, 2.0], p: False}), [6.0, 12.0])
        assert sess.run(bounded, {x: [1.0, 2.0], p: True}) == 3
        with pytest.raises(tf.errors.InvalidArgumentError, match="does not have value"):
            sess.run(bounded, {x: [1.0, 2.0], p: False})


_TF_PROGRAM = """
import json, sys
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
from build import build
x, fetches = build(tf)
with tf.Session() as sess:
    print(json.dumps([[sess.run(f, {x: v}).tolist() for f in fetches]
                      for v in json.loads(sys.argv[1])]))
"""


def build(tf):
    """The probe's forms and their neighbours (shared by both sides)."""
    x = tf.placeholder(tf.float64, [2])
    s = tf.reduce_sum(x)
    z = tf.cond(s > 0, lambda: x * x, lambda: x * 3.0)
    g = tf.gradients(z, x)[0]
    nested = tf.cond(s > 0, lambda: tf.cond(x[0] > 1.5, lambda: x * x * x, lambda: x * x),
                     lambda: tf.cond(x[0] < -1.5, lambda: tf.exp(x), lambda: x * 3.0))
    gn = tf.gradients(nested, x)[0]
    case = tf.case([(s > 2.5, lambda: x * x), (s > 0, lambda: tf.exp(x))],
                   default=lambda: x * x * x)
    return x, [
        tf.hessians(tf.reduce_sum(z), x)[0],
        tf.while_loop(lambda j, a: j < 2, lambda j, a: (j + 1, a + tf.gradients(g, x)[0]),
                      [0, tf.zeros_like(x)])[1],
        tf.hessians(tf.reduce_sum(nested), x)[0],
        tf.hessians(tf.reduce_sum(case), x)[0],
        tf.while_loop(lambda j, a: j < 3, lambda j, a: (j + 1, a * 0.5 +
                                                        tf.gradients(gn, x)[0]),
                      [0, tf.zeros_like(x)])[1],
    ]


def test_matches_tf(tmp_path):
    import inspect

    (tmp_path / "build.py").write_text(inspect.getsource(build))
    theirs = tf_side_json(f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n" + _TF_PROGRAM,
                          json.dumps(POINTS), legacy_keras=False)
    x, fetches = build(tf)
    with tf.Session() as sess:
        for v, their in zip(POINTS, theirs):
            for mine, t in zip(sess.run(fetches, {x: v}), their):
                np.testing.assert_allclose(mine, t, rtol=1e-12, atol=1e-12)
