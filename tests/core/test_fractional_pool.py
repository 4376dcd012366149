"""tf.nn.fractional_max_pool / fractional_avg_pool and their gradient ops
(core/ops/fractional_pool_ops.py): TF's pooling sequences for fixed seeds (values TF 2.21 gave,
and live with TF installed), the pooling and its gradients against a plain numpy reference over
the sequences each run returns, seeding from run to run, TF's errors, and side by side with
tf.compat.v1: sequences, outputs and gradients, and the gradient ops given the same sequences."""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError, UnimplementedError
from minitf.ops.fractional_pool_ops import FRACTIONAL_AVG_POOL_GRAD, FRACTIONAL_MAX_POOL_GRAD
from .op_cases.fractional_pool import (avg_pool_grad_ref, check_sequence, max_pool_grad_ref,
                                       pool_ref)
from .side_by_side import run, run_graph_def_in_tf, tf1_or_skip

F = np.float32
R = np.random.default_rng(3)
X = R.standard_normal((2, 10, 7, 3)).astype(F)
POOLS = {"max": "fractional_max_pool", "avg": "fractional_avg_pool"}

# (seed, seed2, pseudo_random) -> the (rows, cols) TensorFlow 2.21 returned for a [2, 10, 7, 3]
# input and pooling_ratio [1, 1.44, 1.73, 1] (deterministic=True, tf.compat.v1 graph).
TF_SEQUENCES = {
    (1, 0, False): ([0, 1, 3, 5, 7, 8, 10], [0, 2, 4, 6, 7]),
    (1, 0, True): ([0, 2, 4, 5, 7, 9, 10], [0, 2, 4, 5, 7]),
    (0, 1, False): ([0, 2, 4, 5, 6, 8, 10], [0, 1, 3, 5, 7]),
    (0, 1, True): ([0, 2, 3, 5, 7, 8, 10], [0, 2, 4, 6, 7]),
    (123456789, 987654321, False): ([0, 2, 4, 6, 7, 9, 10], [0, 1, 3, 5, 7]),
    (123456789, 987654321, True): ([0, 1, 3, 5, 6, 8, 10], [0, 1, 3, 5, 7]),
    (-5, 2**40, False): ([0, 2, 3, 5, 6, 8, 10], [0, 1, 3, 5, 7]),
    (-5, 2**40, True): ([0, 2, 4, 5, 7, 9, 10], [0, 2, 4, 6, 7]),
}
# A [1, 50, 37, 1] input, seed=11, seed2=22: (pseudo_random, ratio) -> (rows, cols).
TF_LONG_SEQUENCES = {
    (False, 2.3): ([0, 2, 5, 8, 10, 12, 14, 17, 19, 21, 24, 27, 29, 32, 35, 37, 39, 41, 43, 45,
                    48, 50], [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 33, 35, 37]),
    (True, 2.3): ([0, 3, 6, 8, 10, 13, 15, 18, 20, 22, 25, 27, 29, 32, 34, 37, 39, 41, 44, 46,
                   48, 50], [0, 3, 5, 7, 10, 12, 14, 16, 19, 21, 23, 26, 28, 30, 33, 35, 37]),
    (False, 3.7): ([0, 4, 8, 11, 15, 19, 23, 27, 31, 34, 38, 42, 46, 50],
                   [0, 4, 8, 11, 15, 19, 22, 26, 30, 33, 37]),
    (True, 2.0): (list(range(0, 51, 2)),
                  [0, 2, 4, 6, 8, 10, 12, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35, 37]),
}


@pytest.mark.parametrize("key", sorted(TF_SEQUENCES, key=str), ids=str)
def test_seeded_sequences_are_tensorflows(key):
    seed, seed2, pseudo = key
    out = tf.nn.fractional_avg_pool(X, [1, 1.44, 1.73, 1], pseudo_random=pseudo,
                                    deterministic=True, seed=seed, seed2=seed2)
    first, second = (run(out) for _ in range(2))
    rows, cols = TF_SEQUENCES[key]
    np.testing.assert_array_equal(first.row_pooling_sequence, rows)
    np.testing.assert_array_equal(first.col_pooling_sequence, cols)
    np.testing.assert_array_equal(second.row_pooling_sequence, rows)  # every run the same
    np.testing.assert_allclose(first.output, pool_ref(X, rows, cols, mode="avg"),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("key", sorted(TF_LONG_SEQUENCES), ids=str)
def test_long_seeded_sequences_are_tensorflows(key):
    pseudo, ratio = key
    out = tf.nn.fractional_max_pool(np.zeros((1, 50, 37, 1), F), [1, ratio, ratio, 1],
                                    pseudo_random=pseudo, deterministic=True, seed=11, seed2=22)
    rows, cols = run(out[1:])
    np.testing.assert_array_equal(rows, TF_LONG_SEQUENCES[key][0])
    np.testing.assert_array_equal(cols, TF_LONG_SEQUENCES[key][1])


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("overlapping", [False, True])
@pytest.mark.parametrize("pseudo", [False, True])
def test_output_and_gradient_follow_the_returned_sequences(mode, overlapping, pseudo):
    x = tf.placeholder(tf.float32, [None, 10, 7, 3])
    out, rows, cols = getattr(tf.nn, POOLS[mode])(x, [1, 1.44, 1.73, 1], pseudo, overlapping)
    assert out.shape.as_list() == [None, 6, 4, 3] and rows.shape.as_list() == [7]
    assert cols.shape.as_list() == [5] and rows.dtype == tf.int64
    dy = R.standard_normal((2, 6, 4, 3)).astype(F)
    (dx,) = tf.gradients(out, [x], grad_ys=tf.constant(dy))
    got_out, r, c, got_dx = run([out, rows, cols, dx], {x: X})
    check_sequence(r, 10, 6)
    check_sequence(c, 7, 4)
    np.testing.assert_allclose(got_out, pool_ref(X, r, c, overlapping, mode), rtol=1e-6,
                               atol=1e-6)
    want = max_pool_grad_ref(X, dy, r, c, overlapping) if mode == "max" else \
        avg_pool_grad_ref(X.shape, dy, r, c, overlapping)
    np.testing.assert_allclose(got_dx, want, rtol=1e-6, atol=1e-7)


def test_unseeded_sequences_vary_from_run_to_run_and_deterministic_ones_do_not():
    x = np.zeros((1, 40, 40, 1), F)
    random = tf.nn.fractional_max_pool(x, [1, 1.5, 1.5, 1])
    fixed = tf.nn.fractional_max_pool(x, [1, 1.5, 1.5, 1], deterministic=True)  # no seed
    with tf.Session() as sess:
        runs = [sess.run([random.row_pooling_sequence, fixed.row_pooling_sequence])
                for _ in range(6)]
    assert len({tuple(r) for r, _ in runs}) > 1  # 26 cells of 1 or 2 rows: equal by chance
    assert len({tuple(f) for _, f in runs}) == 1  # random seeds picked once per session
    for r, f in runs:
        check_sequence(r, 40, 26)
        check_sequence(f, 40, 26)


def test_integer_pooling_truncates_like_cpp():
    x = -np.arange(2 * 5 * 6, dtype=np.int32).reshape(2, 5, 6, 1) * 3 - 1
    out = tf.nn.fractional_avg_pool(x, [1, 1.5, 1.5, 1], deterministic=True, seed=1)
    got, rows, cols = run(out)
    # TF 2.21 gave these for the same input and seed (its int32 mean rounds toward zero).
    np.testing.assert_array_equal(got[0, :, :, 0], [[-10, -13, -17, -23], [-46, -49, -53, -59],
                                                    [-73, -76, -80, -86]])
    np.testing.assert_array_equal(got, pool_ref(x, rows, cols, mode="avg"))
    biggest = tf.nn.fractional_max_pool(x.astype(np.int64), [1, 1.5, 1.5, 1])
    got, rows, cols = run(biggest)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, pool_ref(x.astype(np.int64), rows, cols))


def test_gradient_ops_over_given_sequences():
    x = np.array([[3, 1, 3, 0, 2], [2, 3, 1, 3, 5], [0, 1, 2, 2, 4], [7, 0, 0, 1, 1]],
                 F).reshape(1, 4, 5, 1)
    rows, cols = np.array([0, 2, 4]), np.array([0, 2, 3, 5])
    for overlapping in (False, True):
        y = pool_ref(x, rows, cols, overlapping)
        dy = np.arange(1, 7, dtype=F).reshape(1, 2, 3, 1)
        dx = run(FRACTIONAL_MAX_POOL_GRAD(x, y, dy, rows, cols, overlapping=overlapping))
        np.testing.assert_array_equal(dx, max_pool_grad_ref(x, dy, rows, cols, overlapping))
        in_shape = np.array(x.shape, np.int64)
        da = run(FRACTIONAL_AVG_POOL_GRAD(in_shape, dy, rows, cols, overlapping=overlapping))
        np.testing.assert_allclose(da, avg_pool_grad_ref(x.shape, dy, rows, cols, overlapping))
    # By hand: the first cell's 3s tie and the first one (row 0) takes the gradient.
    dx = run(FRACTIONAL_MAX_POOL_GRAD(x, pool_ref(x, rows, cols), dy, rows, cols))
    assert dx[0, 0, 0, 0] == 1 and dx[0, 1, 1, 0] == 0
    # A cell of 4 elements hands each a quarter; the avg gradient of a [2, 3] cell a sixth.
    da = run(FRACTIONAL_AVG_POOL_GRAD(np.array(x.shape), dy, rows, cols))
    np.testing.assert_allclose(da[0, :2, :2, 0], np.full((2, 2), 0.25))
    assert da[0, 1, 2, 0] == F(2 / 2)


def test_avg_pool_gradient_with_a_run_time_shape():
    x = tf.placeholder(tf.float32, [None, None, 7, 3])
    out, rows, cols = tf.nn.fractional_avg_pool(x, [1, 1.44, 1.73, 1])
    (dx,) = tf.gradients(tf.reduce_sum(out), [x])  # TF needs a fully defined shape here
    assert dx.shape.as_list() == [None, None, 7, 3]
    got, r, c = run([dx, rows, cols], {x: X})
    np.testing.assert_allclose(got, avg_pool_grad_ref(X.shape, np.ones((2, 6, 4, 3)), r, c),
                               rtol=1e-6)


def test_the_gradient_ops_have_no_gradient():
    x = tf.constant(X)
    y = tf.nn.fractional_max_pool(x, [1, 2, 2, 1]).output
    (dx,) = tf.gradients(y, [x])
    with pytest.raises(LookupError, match="FractionalMaxPoolGrad"):
        tf.gradients(dx, [x])


def test_graph_construction_errors():
    with pytest.raises(ValueError, match="passed list of length 3 less than minimum 4"):
        tf.nn.fractional_max_pool(X, [1, 1.5, 1.5])
    with pytest.raises(ValueError, match="pooling_ratio field must specify 4 dimensions"):
        tf.nn.fractional_max_pool(X, [1, 1.5, 1.5, 1, 1])
    with pytest.raises(ValueError, match="pooling_ratio cannot be smaller than 1, got: 0.5"):
        tf.nn.fractional_avg_pool(X, [1, 0.5, 1.5, 1])
    with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3"):
        tf.nn.fractional_max_pool(X[0], [1, 1.5, 1.5, 1])
    with pytest.raises(TypeError, match="DataType float16 not in list of allowed values: "
                                        "float32, float64, int32, int64"):
        tf.nn.fractional_max_pool(X.astype(np.float16), [1, 1.5, 1.5, 1])


@pytest.mark.parametrize("build, error, message", [
    (lambda: tf.nn.fractional_max_pool(X, [1, 1.5, 1.5, 1], seed=3), InvalidArgumentError,
     "Both seed and seed2 should be 0 if deterministic is false."),
    (lambda: tf.nn.fractional_max_pool(X, [2, 1.5, 1.5, 1], deterministic=True, seed=1),
     UnimplementedError, "Fractional max pooling is not yet supported on the batch nor "
                         "channel dimension."),
    (lambda: tf.nn.fractional_avg_pool(X, [1, 1.5, 1.5, 2]), UnimplementedError,
     "Fractional average pooling is not yet supported"),
    (lambda: tf.nn.fractional_max_pool(X, [1, 11, 1.5, 1]), InvalidArgumentError,
     "Pooling ratio is higher than input dimension size for dimension 1. Input dim size: 10 "
     "pooling ratio: 11"),
    (lambda: FRACTIONAL_AVG_POOL_GRAD([1, 5, 6, 1], np.ones((1, 3, 3, 1), F), [0, 2, 4],
                                      [0, 2, 4, 6]), InvalidArgumentError,
     r"Given out_backprop shape \[1,3,3,1\], row_seq_tensor must have at least 4 elements, "
     "but got 3"),
    (lambda: FRACTIONAL_AVG_POOL_GRAD([1, 5, 6, 1], np.ones((1, 3, 3, 1), F), [-1, 2, 4, 5],
                                      [0, 2, 4, 6]), InvalidArgumentError,
     "Row sequence tensor values must not be negative, got -1  2  4  5"),
    (lambda: FRACTIONAL_AVG_POOL_GRAD([1, 5, 6, 0], np.ones((1, 3, 3, 1), F), [0, 2, 4, 5],
                                      [0, 2, 4, 6]), InvalidArgumentError,
     "Depth dimension of input must not be 0"),
    (lambda: FRACTIONAL_AVG_POOL_GRAD([1, 5, 6], np.ones((1, 3, 3, 1), F), [0, 2, 4, 5],
                                      [0, 2, 4, 6]), InvalidArgumentError,
     "original input tensor shape must be1-dimensional and 4 elements"),
    (lambda: FRACTIONAL_AVG_POOL_GRAD([1, 5, 6, 1], np.ones((2, 3, 3, 1), F), [0, 2, 4, 5],
                                      [0, 2, 4, 6]), InvalidArgumentError,
     "must have the batch and depth of orig_input_tensor_shape"),  # TF crashes here
    (lambda: FRACTIONAL_MAX_POOL_GRAD(X[:1, :5, :6, :1], np.zeros((1, 3, 3, 1), F),
                                      np.ones((1, 3, 3, 1), F), [0, 2, 4, 5], [0, 2, 4, 6]),
     InvalidArgumentError, "tensor_out_dup is not the same as tensor_out"),
    (lambda: FRACTIONAL_MAX_POOL_GRAD(X[:1, :5, :6, :1], np.zeros((1, 3, 3, 1), F),
                                      np.ones((1, 3, 3, 1), F), [[0, 2, 4, 5]], [0, 2, 4, 6]),
     InvalidArgumentError, r"row_pooling_sequence must be a vector, received shape \[1,4\]"),
])
def test_run_time_errors(build, error, message):
    with pytest.raises(error, match=message):
        run(build())


# -- side by side with TensorFlow ------------------------------------------------------------------


def _pool_and_grads(T, x_value, dy, pool, pooling_ratio, seeds, **attrs):
    g = T.Graph()
    with g.as_default():
        x = T.placeholder(T.as_dtype(x_value.dtype), x_value.shape)
        out = getattr(T.nn, pool)(x, pooling_ratio, deterministic=True, seed=seeds[0],
                                  seed2=seeds[1], **attrs)
        fetches = list(out)
        if dy is not None and x_value.dtype.kind == "f":
            fetches += T.gradients(out[0], [x], grad_ys=T.constant(dy))
        with T.Session(graph=g) as sess:
            return sess.run(fetches, {x: x_value})


@pytest.mark.parametrize("pool", sorted(POOLS.values()))
@pytest.mark.parametrize("pseudo", [False, True])
@pytest.mark.parametrize("overlapping", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_against_tensorflow(pool, pseudo, overlapping, dtype):
    tf1 = tf1_or_skip()
    rng = np.random.default_rng(int(pseudo) * 2 + int(overlapping))
    x = (rng.standard_normal((2, 23, 17, 2)) * 100).astype(dtype)
    for ratio, seeds in (([1, 1.7, 2.4, 1], (5, 9)), ([1, 3.1, 1.2, 1], (77, 0)),
                         ([1, 1.0, 1.9, 1], (0, 13))):
        ours = _pool_and_grads(tf, x, None, pool, ratio, seeds, pseudo_random=pseudo,
                               overlapping=overlapping)
        dy = rng.standard_normal(ours[0].shape).astype(dtype)
        ours = _pool_and_grads(tf, x, dy, pool, ratio, seeds, pseudo_random=pseudo,
                               overlapping=overlapping)
        theirs = _pool_and_grads(tf1, x, dy, pool, ratio, seeds, pseudo_random=pseudo,
                                 overlapping=overlapping)
        assert len(ours) == len(theirs)
        for name, a, b in zip(["output", "rows", "cols", "gradient"], ours, theirs):
            assert a.dtype == b.dtype and a.shape == b.shape, (name, a.shape, b.shape)
            np.testing.assert_array_equal(a, b, err_msg=f"{name} {ratio} {seeds}")


def test_tensorflows_random_sequences_through_the_reference_and_our_gradient_ops():
    """TF's own unseeded draws: its output is the reference pooling over the sequences it
    returned, and our gradient ops given those sequences give TF's gradients."""
    tf1 = tf1_or_skip()
    x = np.random.default_rng(4).standard_normal((2, 19, 13, 3))
    dy = np.random.default_rng(5).standard_normal((2, 11, 8, 3))
    for pool, mode in (("fractional_max_pool", "max"), ("fractional_avg_pool", "avg")):
        for overlapping in (False, True):
            g = tf1.Graph()
            with g.as_default():
                # (fed: a constant input lets TF's graph optimizer run the unseeded op twice)
                xt = tf1.placeholder(tf1.float64, x.shape)
                out = getattr(tf1.nn, pool)(xt, [1, 1.6, 1.5, 1], overlapping=overlapping)
                (dx,) = tf1.gradients(out[0], [xt], grad_ys=tf1.constant(dy))
                with tf1.Session(graph=g) as sess:
                    y, rows, cols, want = sess.run([*out, dx], {xt: x})
            np.testing.assert_allclose(y, pool_ref(x, rows, cols, overlapping, mode),
                                       rtol=1e-12)
            if mode == "max":
                got = run(FRACTIONAL_MAX_POOL_GRAD(x, y, dy, rows, cols,
                                                   overlapping=overlapping))
            else:
                got = run(FRACTIONAL_AVG_POOL_GRAD(np.array(x.shape), dy, rows, cols,
                                                   overlapping=overlapping))
            np.testing.assert_array_equal(got, want)


def _tf_grad_ops(tf1, x, y, dy, rows, cols, overlapping):
    g = tf1.Graph()
    with g.as_default():
        fetches = [
            tf1.raw_ops.FractionalMaxPoolGrad(
                orig_input=x, orig_output=y, out_backprop=dy, row_pooling_sequence=rows,
                col_pooling_sequence=cols, overlapping=overlapping),
            tf1.raw_ops.FractionalAvgPoolGrad(
                orig_input_tensor_shape=np.array(x.shape, np.int64), out_backprop=dy,
                row_pooling_sequence=rows, col_pooling_sequence=cols, overlapping=overlapping)]
        with tf1.Session(graph=g) as sess:
            return sess.run(fetches)


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
def test_gradient_ops_against_tensorflow_with_given_sequences(dtype):
    tf1 = tf1_or_skip()
    rng = np.random.default_rng(6)
    x = (rng.integers(-3, 4, (2, 9, 11, 2))).astype(dtype)  # many ties
    for rows, cols, overlapping in (([0, 2, 3, 5, 7, 9], [0, 3, 5, 8, 10, 11], False),
                                    ([0, 2, 3, 5, 7, 9], [0, 3, 5, 8, 10, 11], True),
                                    ([0, 4, 9], [0, 1, 2, 4, 6, 8, 9, 11], True)):
        rows, cols = np.array(rows, np.int64), np.array(cols, np.int64)
        y = pool_ref(x, rows, cols, overlapping)
        dy = (rng.standard_normal(y.shape) * 7).astype(dtype)
        theirs = _tf_grad_ops(tf1, x, y, dy, rows, cols, overlapping)
        ours = run([FRACTIONAL_MAX_POOL_GRAD(x, y, dy, rows, cols, overlapping=overlapping),
                    FRACTIONAL_AVG_POOL_GRAD(np.array(x.shape, np.int64), dy, rows, cols,
                                             overlapping=overlapping)])
        for a, b in zip(ours, theirs):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ours[0], max_pool_grad_ref(x, dy, rows, cols,
                                                                 overlapping))


def test_graph_def_runs_in_tensorflow():
    tf1_or_skip()
    out = tf.nn.fractional_max_pool(tf.constant(X), [1, 1.44, 1.73, 1], pseudo_random=True,
                                    deterministic=True, seed=123456789, seed2=987654321,
                                    name="pool")
    ours = run(list(out))
    graph_def = tf.get_default_graph().as_graph_def().SerializeToString()
    theirs = run_graph_def_in_tf(graph_def, ["pool:0", "pool:1", "pool:2"])
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ours[1], TF_SEQUENCES[(123456789, 987654321, True)][0])
