"""Fixes from a probe of minitf's random ops and feature columns against TF 2.21's
tf.compat.v1:

- ``random_uniform`` in float16 is in ``[minval, maxval)``: TF's float16 unit sample is
  ``k / 1024`` (10 random mantissa bits), where a float32 draw cast to half rounded up to 1.0;
- the shape argument of the random ops must be a vector (a scalar or a matrix is TF's
  "Shape must be rank 1" ValueError at build);
- ``multinomial`` of a row with no finite logit draws ``num_classes``, as TF's CPU kernel;
- ``linear_model`` creates a column's ``weights`` before its ``embedding_weights``.

Checked against hand-computed expectations and, where TensorFlow is installed, the same
program (``_FACTS``) run by tf.compat.v1 in a process of its own.
"""

import numpy as np
import pytest

import minitf as tf
from minitf.ops import random_ops
from tests.core.legacy_tf import tf_side_json


def _run(fetches):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches)


# -- float16 random_uniform ----------------------------------------------------------------------
def test_float16_uniform_is_multiples_of_2_pow_minus_10_below_one():
    got = _run(tf.random_uniform([200000], dtype=tf.float16, seed=3))
    assert got.dtype == np.float16
    k = got.astype(np.float64) * 1024
    np.testing.assert_array_equal(k, np.round(k))  # k / 1024 exactly
    assert k.min() >= 0 and k.max() <= 1023  # never 1.0
    # uniform over the 1024 values: each about 195 times
    counts = np.bincount(k.astype(np.int64), minlength=1024)
    assert counts.min() > 100 and counts.max() < 300


def test_float16_uniform_scaled_stays_below_maxval():
    levels = (np.arange(1024) / 1024).astype(np.float16)
    # TF's arithmetic in half: u * (maxval - minval) + minval, each step rounded
    expect10 = set((levels * np.float16(10)).tolist())
    expect_sym = set((levels * np.float16(2) + np.float16(-1)).tolist())
    a = tf.random_uniform([100000], 0, 10, dtype=tf.float16, seed=1)
    b = tf.random_uniform([100000], -1, 1, dtype=tf.float16, seed=2)
    v = tf.get_variable("v", [100000], tf.float16,
                        initializer=tf.random_uniform_initializer(0., 1., seed=4))
    ga, gb, gv = _run([a, b, v])
    assert ga.max() < 10 and set(ga.tolist()) <= expect10
    assert gb.min() >= -1 and gb.max() < 1 and set(gb.tolist()) <= expect_sym
    assert gv.max() < 1 and set(gv.tolist()) <= set(levels.tolist())


def test_float32_and_float64_uniform_draws_are_unchanged():
    # the float kernels still draw Generator.random in float32 (float64 for float64)
    for dt, np_dt in ((tf.float32, np.float32), (tf.float64, np.float64)):
        got = random_ops.RANDOM_UNIFORM.kernel(np.random.default_rng(7), [5], dtype=dt,
                                               seed=0, seed2=0)
        np.testing.assert_array_equal(got, np.random.default_rng(7).random(5, dtype=np_dt))


def test_float16_normal_and_truncated_normal():
    n, t = _run([tf.random_normal([100000], dtype=tf.float16, seed=5),
                 tf.truncated_normal([100000], dtype=tf.float16, seed=6)])
    assert n.dtype == t.dtype == np.float16
    assert np.isfinite(n).all() and abs(n.astype(np.float64).std() - 1) < 0.02
    assert np.abs(t).max() <= 2  # within two standard deviations after the cast


# -- the shape argument is a vector --------------------------------------------------------------
@pytest.mark.parametrize("make, rank", [
    (lambda: tf.random_normal(3), 0),
    (lambda: tf.truncated_normal(3), 0),
    (lambda: tf.random_uniform(3), 0),
    (lambda: tf.random_uniform(3, maxval=5, dtype=tf.int32), 0),
    (lambda: tf.random_normal(tf.constant([[2, 3]])), 2),
    (lambda: tf.random_uniform([[2, 3]], maxval=5, dtype=tf.int32), 2),
    (lambda: tf.random_normal(tf.placeholder(tf.int32, [])), 0),
])
def test_random_shape_must_be_rank_1(make, rank):
    with pytest.raises(ValueError, match=f"Shape must be rank 1 but is rank {rank}"):
        make()


def test_random_shapes_that_are_vectors_still_build():
    assert tf.random_normal([]).shape.as_list() == []
    assert tf.random_normal((2, 3)).shape.as_list() == [2, 3]
    assert tf.random_uniform(tf.constant([4])).shape.as_list() == [4]
    assert tf.random_normal(tf.placeholder(tf.int32)).shape.rank is None


# -- multinomial ---------------------------------------------------------------------------------
def test_multinomial_row_without_finite_logits_draws_num_classes():
    rows = [[-np.inf] * 3, [0., -np.inf, -np.inf], [np.inf, 0., -np.inf], [np.inf] * 3,
            [np.nan, np.nan, 5.], [np.nan, 1., 1.]]
    got = _run(tf.multinomial(rows, 200, seed=1))
    # TF's kernel weighs only finite logits; no weight at all is num_classes (3)
    assert got[0].tolist() == [3] * 200
    assert got[1].tolist() == [0] * 200
    assert got[2].tolist() == [1] * 200
    assert got[3].tolist() == [3] * 200
    assert got[4].tolist() == [2] * 200
    assert set(got[5].tolist()) == {1, 2}


def test_multinomial_of_finite_logits_draws_by_the_softmax_cdf():
    logits = np.array([[0., 1., 2.], [3., -1., -np.inf]])
    got = random_ops.MULTINOMIAL.kernel(np.random.default_rng(9), logits, 6, seed=0, seed2=0,
                                        output_dtype=tf.int64)
    u = np.random.default_rng(9).random((2, 6))
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    cdf = np.cumsum(p, axis=1)
    want = [np.searchsorted(cdf[b], u[b] * cdf[b, -1], side="right") for b in range(2)]
    np.testing.assert_array_equal(got, want)


# -- linear_model ---------------------------------------------------------------------------------
def test_linear_model_creates_weights_before_embedding_weights():
    fc = tf.feature_column
    e = fc.embedding_column(fc.categorical_column_with_identity("e", 3), 2)
    i = fc.categorical_column_with_identity("i", 4)
    out = fc.linear_model({"e": tf.constant([[1]]), "i": tf.constant([[2]])}, [i, e])
    assert [v.name for v in tf.global_variables()] == [
        "linear_model/e_embedding/weights:0", "linear_model/e_embedding/embedding_weights:0",
        "linear_model/i/weights:0", "linear_model/bias_weights:0"]
    assert _run(out).tolist() == [[0.0]]  # zero weights


# -- with TensorFlow: the same program -----------------------------------------------------------
_FACTS = r'''
import numpy as np


def facts(tf):
    out = {}
    x = tf.random_uniform([300000], dtype=tf.float16)
    y = tf.random_uniform([300000], 0, 10, dtype=tf.float16)
    m = tf.multinomial([[-np.inf] * 3, [0., -np.inf, -np.inf]], 4)
    with tf.Session() as s:
        a, b, c = s.run([x, y, m])
    out["uniform"] = [int((a >= 1).sum()), bool(np.all(a * 1024 == np.round(a * 1024))),
                      int((b >= 10).sum())]
    out["multinomial"] = c.tolist()
    errs = []
    for shape in (3, tf.constant([[2, 3]])):
        try:
            tf.random_normal(shape)
            errs.append("no error")
        except ValueError as e:
            errs.append(str(e)[:30])
    out["rank"] = errs
    fc = tf.feature_column
    e = fc.embedding_column(fc.categorical_column_with_identity("e", 3), 2)
    with tf.Graph().as_default():
        fc.linear_model({"e": tf.constant([[1]])}, [e])
        out["variables"] = [v.name for v in tf.global_variables()]
    return out
'''
_TF_PROGRAM = _FACTS + r'''
import json
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
print(json.dumps(facts(tf)))
'''


def test_facts_match_tensorflow():
    scope = {}
    exec(_FACTS, scope)  # noqa: S102 - the shared program
    mine = scope["facts"](tf)
    assert mine == {"uniform": [0, True, 0], "multinomial": [[3] * 4, [0] * 4],
                    "rank": ["Shape must be rank 1 but is ra"] * 2,
                    "variables": ["linear_model/e_embedding/weights:0",
                                  "linear_model/e_embedding/embedding_weights:0",
                                  "linear_model/bias_weights:0"]}
    assert mine == tf_side_json(_TF_PROGRAM, legacy_keras=False)
