"""tf.einsum with a letter repeated in one operand (diagonals, traces) and with inputs of
unknown rank, as TF's Einsum op takes them. References: np.einsum (which has the same rule for
repeated letters) and central differences of it for the gradients, without TensorFlow; and
tf.compat.v1's values and tf.gradients in a process of its own where TensorFlow is installed."""

from __future__ import annotations

import json

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import tf_side_json

CASES = [("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ii->", [(4, 4)]), ("iij->j", [(3, 3, 4)]),
         ("iji->j", [(3, 4, 3)]), ("iji->ji", [(3, 4, 3)]), ("bii->bi", [(2, 3, 3)]),
         ("bii->ib", [(2, 3, 3)]), ("iii", [(2, 2, 2)]), ("iijj->ij", [(2, 2, 3, 3)]),
         ("ij,jj->i", [(2, 3), (3, 3)]), ("ii,i->i", [(3, 3), (3,)]),
         ("bii,bij->bj", [(2, 3, 3), (2, 3, 4)]), ("ij,jj,jk->ik", [(2, 3), (3, 3), (3, 4)]),
         ("...ii->...i", [(2, 3, 3)]), ("...ii", [(2, 4, 3, 3)]), ("ii...->i...", [(3, 3, 2)]),
         ("b...ii,b...i->b...", [(2, 4, 3, 3), (2, 4, 3)])]
IDS = [c[0] for c in CASES]


def _arrays(equation, shapes, dtype=np.float64):
    rng = np.random.default_rng(sum(map(ord, equation)))
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _numerical_grads(equation, arrays, weights, eps=1e-6):
    """d sum(weights * einsum(arrays)) / d each array, by central differences of np.einsum."""
    grads = []
    for i, a in enumerate(arrays):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            moved = [x.copy() for x in arrays]
            moved[i][idx] += eps
            up = np.sum(weights * np.einsum(equation, *moved))
            moved[i][idx] -= 2 * eps
            down = np.sum(weights * np.einsum(equation, *moved))
            g[idx] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


@pytest.mark.parametrize("equation,shapes", CASES, ids=IDS)
def test_repeated_letters_match_numpy_values_and_numerical_gradients(equation, shapes):
    arrays = _arrays(equation, shapes)
    want = np.einsum(equation, *arrays)
    weights = np.random.default_rng(1).standard_normal(want.shape)
    # Static shapes, dimensions unknown, and (without '...') ranks unknown too.
    kinds = [[tf.constant(a) for a in arrays],
             [tf.placeholder(tf.float64, [None] * a.ndim) for a in arrays]]
    if "..." not in equation:
        kinds.append([tf.placeholder(tf.float64) for _ in arrays])
    outs, grads = [], []
    for inputs in kinds:
        out = tf.einsum(equation, *inputs)
        assert out.shape.rank == want.ndim
        outs.append(out)
        grads.append(tf.gradients(tf.reduce_sum(out * weights), inputs))
    assert outs[0].shape.as_list() == list(want.shape)
    feed = {h: a for inputs in kinds[1:] for h, a in zip(inputs, arrays)}
    with tf.Session() as sess:
        got, got_grads = sess.run([outs, grads], feed)
    expected_grads = _numerical_grads(equation, arrays, weights)
    for value, grad in zip(got, got_grads):
        np.testing.assert_allclose(value, want, rtol=1e-12, atol=1e-12)
        for g, e in zip(grad, expected_grads):
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)


def test_the_probe_cases_give_tensorflows_values():
    # The fuzz probe's own lines; the numbers are what tf.compat.v1 gave.
    m = tf.constant([[1., 2.], [3., 4.]])
    p = tf.placeholder(tf.float32)
    product = tf.einsum("ij,jk->ik", p, tf.ones([2, 2]))
    assert product.shape.as_list() == [None, 2]  # TF's static shape too
    with tf.Session() as sess:
        diag, trace, got = sess.run([tf.einsum("ii->i", m), tf.einsum("ii", m), product],
                                    {p: [[1., 2.], [3., 4.]]})
    np.testing.assert_array_equal(diag, [1., 4.])
    assert trace == 5.0
    np.testing.assert_array_equal(got, [[3., 3.], [7., 7.]])


def test_unknown_rank_fed_the_wrong_rank_names_the_operand_and_the_equation():
    p = tf.placeholder(tf.float32, name="lhs")
    out = tf.einsum("ij,jk->ik", p, tf.ones([2, 2]))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"input 0 \(lhs:0\) of the equation ij,jk->ik must have rank 2"):
            sess.run(out, {p: np.ones([2, 2, 2])})
        np.testing.assert_array_equal(sess.run(out, {p: np.ones([3, 2])}), np.full([3, 2], 2.))


@pytest.mark.parametrize("shape", [None, [None, None]], ids=["unknown_rank", "unknown_dims"])
def test_a_diagonal_of_unequal_dimensions_fails_at_run_time(shape):
    # MatrixDiagPart alone would take min(m, n) elements; TF's Einsum refuses, as we do.
    p = tf.placeholder(tf.float32, shape, name="m")
    out = tf.einsum("ii->i", p)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"input 0 \(m:0\) of the equation ii->i repeats i"):
            sess.run(out, {p: np.ones([2, 3])})
        np.testing.assert_array_equal(sess.run(out, {p: np.diag([1., 2., 3.])}), [1., 2., 3.])


def test_what_tensorflow_refuses_is_refused_clearly():
    with pytest.raises(ValueError, match="output subscript 'i' appears more than once"):
        tf.einsum("i->ii", tf.ones([2]))
    with pytest.raises(ValueError, match="dimension 'i' is 2 and 3 in input 0"):
        tf.einsum("ii->i", tf.ones([2, 3]))
    with pytest.raises(ValueError, match="'j' is 3 in one input and 4"):
        tf.einsum("ij,jj->i", tf.ones([2, 3]), tf.ones([4, 4]))
    with pytest.raises(ValueError, match="rank 3, but subscripts 'ij'"):
        tf.einsum("ij,jk->ik", tf.ones([2, 2, 2]), tf.placeholder(tf.float32))


_TF_PROGRAM = r"""
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
out = []
for equation, arrays, weights, unknown in json.loads(sys.stdin.read()):
    g = tf.Graph()
    with g.as_default():
        arrays = [np.asarray(a, np.float64) for a in arrays]
        holders = [tf.placeholder(tf.float64, None if unknown else a.shape) for a in arrays]
        y = tf.einsum(equation, *holders)
        grads = tf.gradients(tf.reduce_sum(y * np.asarray(weights)), holders)
        with tf.Session() as sess:
            value, grads = sess.run([y, grads], dict(zip(holders, arrays)))
    out.append([np.asarray(value).tolist(), [x.tolist() for x in grads]])
errors = []
for equation, shape in [("i->ii", [2]), ("ii->i", [2, 3])]:
    try:
        tf.einsum(equation, tf.ones(shape))
        errors.append(None)
    except Exception as e:
        errors.append(type(e).__name__)
print(json.dumps([out, errors]))
"""


def test_values_and_gradients_match_tensorflow():
    requests, ours = [], []
    for equation, shapes in CASES:
        for unknown in [False] + ([True] if "..." not in equation else []):
            arrays = _arrays(equation, shapes)
            weights = np.random.default_rng(2).standard_normal(np.einsum(equation,
                                                                          *arrays).shape)
            requests.append([equation, [a.tolist() for a in arrays], weights.tolist(), unknown])
            g = tf.Graph()
            with g.as_default():
                holders = [tf.placeholder(tf.float64, None if unknown else a.shape)
                           for a in arrays]
                y = tf.einsum(equation, *holders)
                grads = tf.gradients(tf.reduce_sum(y * weights), holders)
                with tf.Session() as sess:
                    ours.append(sess.run([y, grads], dict(zip(holders, arrays))))
    theirs, errors = tf_side_json(_TF_PROGRAM, legacy_keras=False, stdin=json.dumps(requests))
    assert errors == ["ValueError", "ValueError"]  # as minitf's (the test above)
    for request, (value, grads), (their_value, their_grads) in zip(requests, ours, theirs):
        np.testing.assert_allclose(value, their_value, rtol=1e-10, atol=1e-12,
                                   err_msg=request[0])
        for g, t in zip(grads, their_grads):
            np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-12, err_msg=request[0])


@pytest.mark.parametrize("equation, shapes", [
    ("...ij->...ji", [(2, 5, 2, 3)]),
    ("...ij", [(2, 5, 2, 3)]),  # implicit output: the ellipsis, then i and j
    ("...ij,jk->...ik", [(2, 5, 2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (1, 3, 4)]),  # the ellipses broadcast
])
def test_ellipsis_over_an_input_of_unknown_rank(equation, shapes):
    rng = np.random.default_rng(5)
    values = [rng.standard_normal(s).astype(np.float64) for s in shapes]
    with tf.Graph().as_default(), tf.Session() as sess:
        ps = [tf.placeholder(tf.float64) for _ in values]  # unknown rank
        y = tf.einsum(equation, *ps)
        loss = tf.reduce_sum(tf.sin(y))
        got, grads = sess.run([y, tf.gradients(loss, ps)], dict(zip(ps, values)))
    np.testing.assert_allclose(got, np.einsum(equation, *values), rtol=1e-12)
    for k, v in enumerate(values):  # central differences of sum(sin(einsum))
        num = np.zeros_like(v)
        for i in np.ndindex(v.shape):
            step = [w.copy() for w in values]
            step[k][i] += 1e-6
            up = np.sin(np.einsum(equation, *step)).sum()
            step[k][i] -= 2e-6
            num[i] = (up - np.sin(np.einsum(equation, *step)).sum()) / 2e-6
        np.testing.assert_allclose(grads[k], num, rtol=1e-5, atol=1e-8)
