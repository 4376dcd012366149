"""tf.norm, tf.eye, tf.sequence_mask, tf.reverse, tf.tensordot and tf.nn.conv1d against numpy
(and tf.compat.v1 where TensorFlow is installed)."""

import numpy as np
import pytest

import minitf as tf

rng = np.random.default_rng(11)
A = rng.standard_normal((2, 3, 4)).astype(np.float32)
B = rng.standard_normal((4, 3, 5)).astype(np.float32)
V = rng.standard_normal((2, 9, 3)).astype(np.float32)   # conv1d input, NWC
F = rng.standard_normal((3, 3, 4)).astype(np.float32)   # width 3, 3 -> 4 channels


def _conv1d_reference(v, f, stride):
    width = (v.shape[1] - f.shape[0]) // stride + 1
    out = np.zeros((v.shape[0], width, f.shape[2]))
    for i in range(width):
        window = v[:, i * stride:i * stride + f.shape[0], :]  # [N, K, Cin]
        out[:, i] = np.einsum("nkc,kco->no", window, f)
    return out


def _cases(T):
    """name -> (graph builder, numpy reference)."""
    return {
        "norm": (lambda: T.norm(A), np.linalg.norm(A)),
        "norm-axis-keep": (lambda: T.norm(A, axis=2, keepdims=True),
                           np.linalg.norm(A, axis=2, keepdims=True)),
        "norm-1": (lambda: T.norm(A, ord=1, axis=1), np.abs(A).sum(axis=1)),
        "norm-inf": (lambda: T.norm(A, ord=np.inf, axis=-1), np.abs(A).max(axis=-1)),
        "norm-fro": (lambda: T.norm(A, ord="fro", axis=[1, 2]), np.sqrt((A * A).sum((1, 2)))),
        "eye": (lambda: T.eye(3, 4, dtype=T.int32), np.eye(3, 4, dtype=np.int32)),
        "eye-batch": (lambda: T.eye(2, batch_shape=[3]), np.broadcast_to(np.eye(2), (3, 2, 2))),
        "sequence_mask": (lambda: T.sequence_mask([1, 3, 0], 4),
                          np.arange(4)[None, :] < np.array([1, 3, 0])[:, None]),
        "sequence_mask-float": (lambda: T.sequence_mask([2, 1], dtype=T.float32),
                                np.array([[1.0, 1.0], [1.0, 0.0]])),
        "reverse": (lambda: T.reverse(A, [0, -1]), A[::-1, :, ::-1]),
        "tensordot-int": (lambda: T.tensordot(A, B, 1), np.tensordot(A, B, 1)),
        "tensordot-lists": (lambda: T.tensordot(A, B, [[1, 2], [1, 0]]),
                            np.tensordot(A, B, [[1, 2], [1, 0]])),
        "tensordot-0": (lambda: T.tensordot(A[0, 0], B[0, 0], 0),
                        np.tensordot(A[0, 0], B[0, 0], 0)),
        "conv1d": (lambda: T.nn.conv1d(V, F, 2, "VALID"), _conv1d_reference(V, F, 2)),
    }


@pytest.mark.parametrize("name", sorted(_cases(tf)))
def test_against_numpy(name):
    build, want = _cases(tf)[name]
    with tf.Session() as sess:
        got = sess.run(build())
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_against_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for name, (build, _) in _cases(tf1).items():
        graph = tf1.Graph()
        with graph.as_default(), tf1.Session() as sess:
            theirs = sess.run(build())
        with tf.Session(graph=tf.Graph()) as sess, sess.graph.as_default():
            ours = sess.run(_cases(tf)[name][0]())
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5, err_msg=name)


def test_gradients_through_norm_reverse_and_tensordot():
    """Finite differences of a scalar built from the three (float64)."""
    a = tf.placeholder(tf.float64, [2, 3, 4])
    b = tf.constant(B.astype(np.float64))
    y = tf.reduce_sum(tf.tensordot(tf.reverse(a, [1]), b, [[1, 2], [1, 0]])) + tf.norm(a)
    (g,) = tf.gradients(y, a)
    a0 = A.astype(np.float64)
    with tf.Session() as sess:
        got = sess.run(g, {a: a0})
        num = np.zeros_like(a0)
        for idx in np.ndindex(*a0.shape):
            for sign in (1, -1):
                x = a0.copy()
                x[idx] += sign * 1e-6
                num[idx] += sign * sess.run(y, {a: x}) / 2e-6
    np.testing.assert_allclose(got, num, rtol=1e-5, atol=1e-6)


def test_argument_errors():
    with pytest.raises(ValueError, match="specified more than once"):
        tf.reverse(A, [0, -3])
    with pytest.raises(ValueError, match="Different number of contraction axes"):
        tf.tensordot(A, B, [[1], [0, 1]])
    with pytest.raises(ValueError, match="'ord' must be a supported matrix norm"):
        tf.norm(A, ord="nuc", axis=[1, 2])


def test_tf_dtype_rules_and_tensor_arguments():
    with tf.Session() as sess:
        # float lengths cast to the integer maxlen's dtype: 1.5 is 1, as in TF
        np.testing.assert_array_equal(sess.run(tf.sequence_mask([1.5, 2.0], 3)),
                                      [[True, False, False], [True, True, False]])
        np.testing.assert_array_equal(sess.run(tf.reverse(A, tf.constant([1]))), A[:, ::-1])
        np.testing.assert_allclose(sess.run(tf.norm(A, ord=3)),
                                   (np.abs(A.astype(np.float64)) ** 3).sum() ** (1 / 3),
                                   rtol=1e-5)


def test_moving_average_of_a_tensor_of_unknown_shape():
    x = tf.placeholder(tf.float32, [None, 2])
    ema = tf.train.ExponentialMovingAverage(0.5)
    update = ema.apply([x])
    xv = np.array([[2.0, 4.0]], np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer(), {x: xv})  # its zeros take x's run shape
        sess.run(update, {x: xv})
        np.testing.assert_allclose(sess.run(ema.average(x)), 0.5 * xv)


def test_boolean_mask_matches_numpy_and_tensorflow():
    """tensor[mask] over the mask's dims (from axis on), its gradient scattered back; the
    same values and gradient as tf.compat.v1 where TensorFlow is installed."""
    rng = np.random.default_rng(2)
    xv = rng.standard_normal((2, 3, 4)).astype(np.float32)
    mv = np.array([[True, False, True], [False, True, True]])
    cols = np.array([False, True, True, False])

    def run(T):
        graph = T.Graph()
        with graph.as_default():
            x = T.placeholder(T.float32, [None, 3, 4])
            m = T.placeholder(T.bool, [None, 3])
            rows = T.boolean_mask(x, m)
            picked = T.boolean_mask(x, cols, axis=2)
            grad = T.gradients(T.reduce_sum(rows ** 2) + T.reduce_sum(picked * 3.0), x)[0]
            shapes = (rows.shape.as_list(), picked.shape.as_list())
            with T.Session() as sess:
                return sess.run([rows, picked, T.convert_to_tensor(grad)], {x: xv, m: mv}), \
                    shapes

    (rows, picked, grad), shapes = run(tf)
    assert shapes == ([None, 4], [None, 3, None])
    np.testing.assert_array_equal(rows, xv[mv])
    np.testing.assert_array_equal(picked, xv[:, :, cols])
    want = np.zeros_like(xv)
    want[mv] += 2 * xv[mv]
    want[:, :, cols] += 3.0
    np.testing.assert_allclose(grad, want, rtol=1e-6)
    with pytest.raises(ValueError, match="mask cannot be scalar"):
        tf.boolean_mask(tf.zeros([2]), True)
    with pytest.raises(ValueError, match="Number of mask dimensions must be specified"):
        tf.boolean_mask(tf.zeros([2]), tf.placeholder(tf.bool))
    with pytest.raises(ValueError, match=r"Shapes \(2,\) and \(3,\) are incompatible"):
        tf.boolean_mask(tf.zeros([2, 3]), [True, False, True])  # mask length 3 vs dim 2
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    theirs, their_shapes = run(tf1)
    assert list(their_shapes) == list(shapes)
    for a, b in zip((rows, picked, grad), theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6)


EINSUM_CASES = [("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
                ("i,i->", [(4,), (4,)]), ("ij->ji", [(3, 4)]), ("ij->", [(3, 4)]),
                ("ij->j", [(3, 4)]), ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
                ("abc,cd->abd", [(2, 3, 4), (4, 5)]), ("i,j->ij", [(3,), (4,)]),
                ("ij,jk", [(3, 4), (4, 5)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
                ("ijk,ikl->jl", [(2, 3, 4), (2, 4, 5)]), ("ab,cd->", [(2, 3), (4, 5)]),
                ("b a, c a -> b c", [(3, 4), (5, 4)])]


@pytest.mark.parametrize("equation,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_matches_numpy(equation, shapes):
    """Values against np.einsum with known and unknown input shapes; the static shape is
    exact when the inputs' are; the gradient of sum(out * w) equals np.einsum's own rule for
    the first input (the output's subscripts against the others)."""
    rng = np.random.default_rng(len(equation))
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    holders = [tf.placeholder(tf.float32, [None] * len(s)) for s in shapes]
    out = tf.einsum(equation, *holders)
    static = tf.einsum(equation, *[tf.constant(a) for a in arrays])
    want = np.einsum(equation.replace(" ", ""), *arrays)
    assert static.shape.as_list() == list(want.shape)
    weights = rng.standard_normal(want.shape).astype(np.float32)
    (grad,) = tf.gradients(tf.reduce_sum(out * weights), holders[0])
    with tf.Session() as sess:
        got, got_static, got_grad = sess.run([out, static, grad], dict(zip(holders, arrays)))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_static, want, rtol=1e-4, atol=1e-5)
    # d/dA sum(w * einsum(A, B...)) = einsum(w, B... -> A's subscripts), summing A's letters
    # that the output and other operands lack (broadcast back as ones).
    eq = equation.replace(" ", "")
    lhs, _, out_spec = eq.partition("->")
    specs = lhs.split(",")
    if "->" not in eq:
        used = "".join(specs)
        out_spec = "".join(sorted(c for c in set(used) if used.count(c) == 1))
    ones = {c: n for s, shp in zip(specs, shapes) for c, n in zip(s, shp)}
    lonely = [c for c in specs[0] if c not in out_spec and all(c not in s for s in specs[1:])]
    extra = [np.ones(ones[c], np.float32) for c in lonely]
    rule = ",".join([out_spec] + specs[1:] + lonely) + "->" + specs[0]
    np.testing.assert_allclose(got_grad, np.einsum(rule, weights, *arrays[1:], *extra),
                               rtol=1e-4, atol=1e-4)


ELLIPSIS_CASES = [("...ij,...jk->...ik", [(2, 3, 4, 5), (2, 3, 5, 6)]),
                  ("...ij,...jk", [(2, 3, 4, 5), (2, 3, 5, 6)]),
                  ("...ij,...jk->...ik", [(2, 3, 4, 5), (3, 5, 6)]),  # aligned from the right
                  ("b...ij,b...jk->b...ik", [(2, 3, 4, 5), (2, 3, 5, 6)]),
                  ("...ij->...ji", [(2, 3, 4)]), ("i...->...", [(2, 3, 4)]),
                  ("ij...->...", [(2, 3)]), ("...,...->...", [(2, 3), (2, 3)])]


@pytest.mark.parametrize("equation,shapes", ELLIPSIS_CASES, ids=[c[0] for c in ELLIPSIS_CASES])
def test_einsum_ellipses_match_numpy(equation, shapes):
    # TF 1.x's einsum takes ellipses (Kyubyong's transformer and BiDAF-style code use them);
    # the reference is np.einsum, values and static shapes, with a gradient through them.
    rng = np.random.default_rng(len(equation))
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    holders = [tf.placeholder(tf.float32, [None] * len(s)) for s in shapes]
    out = tf.einsum(equation, *holders)
    static = tf.einsum(equation, *[tf.constant(a) for a in arrays])
    want = np.einsum(equation, *arrays)
    assert static.shape.as_list() == list(want.shape)
    (grad,) = tf.gradients(tf.reduce_sum(out), holders[0])
    with tf.Session() as sess:
        got, got_grad = sess.run([out, grad], dict(zip(holders, arrays)))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    # d sum(out) / dA: one more of A's elements moves sum(out) by its coefficient, which
    # np.einsum of the same equation with A replaced by a one-hot gives (spot-checked).
    flat = rng.integers(arrays[0].size)
    onehot = np.zeros(arrays[0].size, np.float32)
    onehot[flat] = 1.0
    coefficient = np.einsum(equation, onehot.reshape(shapes[0]), *arrays[1:]).sum()
    np.testing.assert_allclose(got_grad.reshape(-1)[flat], coefficient, rtol=1e-4, atol=1e-5)


def test_einsum_refuses_what_it_cannot_do_and_matches_tensorflow():
    a = tf.zeros([2, 3])
    with pytest.raises(ValueError, match="has 2 operands, got 1 inputs"):
        tf.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match="rank 2, but subscripts 'ijk'"):
        tf.einsum("ijk->k", a)
    with pytest.raises(ValueError, match="output subscript 'z'"):
        tf.einsum("ij->z", a)
    with pytest.raises(ValueError, match="'j' is 3 in one input and 4"):
        tf.einsum("ij,jk->ik", a, tf.zeros([4, 5]))
    with pytest.raises(ValueError, match="has no '...' for the 1 dimensions"):
        tf.einsum("...ij,jk->ik", tf.zeros([5, 2, 3]), tf.zeros([3, 4]))  # TF: not summed
    with pytest.raises(ValueError, match="ranks of the inputs must be known"):  # 3 operands
        tf.einsum("...ij,j,j->...i", tf.placeholder(tf.float32), tf.ones([2]), tf.ones([2]))
    with pytest.raises(ValueError, match="'i' is 3 and 4 in input 0"):  # a diagonal: square
        tf.einsum("ii->i", tf.zeros([3, 4]))
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    rng = np.random.default_rng(7)
    q, k = (rng.standard_normal((2, 3, 4, 5)).astype(np.float32) for _ in range(2))

    def run(T):
        graph = T.Graph()
        with graph.as_default():
            qt, kt = T.constant(q), T.constant(k)
            scores = T.einsum("bhqd,bhkd->bhqk", qt, kt)
            grads = T.gradients(T.reduce_sum(T.square(scores)), [qt, kt])
            with T.Session() as sess:
                return sess.run([scores] + grads)

    for ours, theirs in zip(run(tf), run(tf1)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)
