"""tf.vectorized_map, the FFTND family, ApproxTopK (tf.math.approx_max_k ...), tf.linalg.logm
and eigh_tridiagonal, tf.image.extract_glimpse and generate_bounding_box_proposals: TF-free
checks against numpy / hand-computed values, then the same graphs built in tf.compat.v1 (each in
its own tf1.Graph; skipped where TensorFlow is not installed)."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

from .side_by_side import run

R = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def both(build, feed_values=None):
    """``build(t)`` (t: minitf or tf.compat.v1; it returns (fetches, placeholders)) run in
    each framework: (minitf's values, TF's values)."""
    fetches, phs = build(tf)
    mine = run(fetches, dict(zip(phs, feed_values or [])))

    def tf_build(tf1):
        f, p = build(tf1)
        tf_build.feed = dict(zip(p, feed_values or []))
        return f

    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        f = tf_build(tf1)
        with tf1.Session(graph=g) as sess:
            theirs = sess.run(f, tf_build.feed)
    return mine, theirs


def assert_nested_close(a, b, rtol=1e-6, atol=1e-6):
    if isinstance(a, dict):
        assert sorted(a) == sorted(b)
        for k in a:
            assert_nested_close(a[k], b[k], rtol, atol)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_nested_close(x, y, rtol, atol)
    else:
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


# == tf.vectorized_map ===========================================================================
X = np.arange(12, dtype=np.float32).reshape(4, 3) / 3.0
Y = np.array([[1.0, -2.0, 0.5]], np.float32)


def test_vectorized_map_nested_elems_and_outputs_numpy():
    x, y = tf.constant(X), tf.constant(Y)
    out = tf.vectorized_map(
        lambda a: {"s": a[0] * a[1], "k": tf.constant(3), "t": (tf.reduce_sum(a[0]),)}, (x, y))
    assert out["s"].shape.as_list() == [4, 3] and out["k"].shape.as_list() == [4]
    got = run(out)
    np.testing.assert_allclose(got["s"], X * Y)
    np.testing.assert_array_equal(got["k"], [3, 3, 3, 3])  # loop-invariant: repeated
    np.testing.assert_allclose(got["t"][0], X.sum(1), rtol=1e-6)


def test_vectorized_map_unknown_batch_broadcasts_unit_first_dims():
    ph = tf.placeholder(tf.float32, [None, 3])
    one = tf.placeholder(tf.float32, [None, 3])  # first dim 1 at run time: broadcast
    out = tf.vectorized_map(lambda a: a["p"] - a["o"], {"p": ph, "o": one})
    assert out.shape.as_list() == [None, 3]
    got = run(out, {ph: X, one: Y})
    np.testing.assert_allclose(got, X - Y)


def test_vectorized_map_gradients_numpy():
    x, y = tf.constant(X), tf.constant(Y)
    out = tf.vectorized_map(lambda a: tf.reduce_sum(tf.square(a[0] * a[1])), [x, y])
    gx, gy = tf.gradients(out, [x, y])
    gx, gy = run([gx, gy])
    # d/dx sum((x y)^2) = 2 x y^2 per row; y (broadcast) collects every row's 2 x^2 y
    np.testing.assert_allclose(gx, 2 * X * Y ** 2, rtol=1e-6)
    np.testing.assert_allclose(gy, (2 * X ** 2 * Y).sum(0, keepdims=True), rtol=1e-5)


def test_vectorized_map_operation_output_runs_every_iteration():
    v = tf.Variable(0.0)
    out = tf.vectorized_map(lambda a: (a * 2.0, tf.group(tf.assign_add(v, 1.0))),
                            tf.constant(X))
    assert isinstance(out[1], tf.Operation)
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(out[1])
        assert sess.run(v) == 4.0
        np.testing.assert_allclose(sess.run(out[0]), X * 2)


def test_vectorized_map_errors():
    with pytest.raises(ValueError, match="scalar"):
        tf.vectorized_map(lambda a: a, tf.constant(3.0))
    with pytest.raises(TypeError, match="callable"):
        tf.vectorized_map(3, tf.constant(X))
    with pytest.raises(ValueError, match="no outputs"):
        tf.vectorized_map(lambda a: tf.identity(a).op, tf.constant(X))


def test_vectorized_map_matches_tf_values_and_gradients():
    def build(t):
        x = t.placeholder(t.float32, [None, 3])
        y = t.constant(Y)

        def fn(a):
            h = t.tanh(a["x"] * a["y"][0]) + t.reduce_mean(a["x"])
            return {"h": h, "pair": (t.reduce_max(h), t.shape(h)), "c": t.constant([1.0, 2.0])}

        out = t.vectorized_map(fn, {"x": x, "y": [y]})
        loss = t.reduce_sum(out["h"] ** 2) + t.reduce_sum(out["pair"][0])
        # TF's gradients are IndexedSlices (pfor's gathers), minitf's dense: compare values
        return [out, [t.convert_to_tensor(g) for g in t.gradients(loss, [x, y])]], [x]

    mine, theirs = both(build, [X])
    assert_nested_close(mine, theirs, rtol=1e-5, atol=2e-5)  # float32 sums in other orders


# == FFTND family ================================================================================
XC = (R.standard_normal((2, 3, 4)) + 1j * R.standard_normal((2, 3, 4))).astype(np.complex64)
XR = R.standard_normal((2, 3, 5)).astype(np.float32)


def test_fftnd_wrappers_match_numpy():
    cases = [
        (tf.signal.fftnd(XC), np.fft.fftn(XC)),
        (tf.fftnd(XC, fft_length=[5, 2], axes=[1, 2]), np.fft.fftn(XC, s=[5, 2], axes=[1, 2])),
        (tf.signal.ifftnd(XC, norm="forward"), np.fft.ifftn(XC, norm="forward")),
        (tf.signal.ifftnd(XC, [3, 4], axes=[-2, -1], norm="ortho"),
         np.fft.ifftn(XC, axes=[1, 2], norm="ortho")),
        (tf.signal.rfftnd(XR, [4, 6], axes=[-2, -1]), np.fft.rfftn(XR, s=[4, 6], axes=[1, 2])),
        (tf.rfftnd(XR, [2, 3, 4], norm="ortho"),
         np.fft.rfftn(XR, s=[2, 3, 4], axes=[0, 1, 2], norm="ortho")),
        (tf.signal.irfftnd(XC), np.fft.irfftn(XC)),
        (tf.irfftnd(XC, [5, 7], axes=[1, 2]), np.fft.irfftn(XC, s=[5, 7], axes=[1, 2])),
    ]
    got = run([t for t, _ in cases])
    for (t, want), g in zip(cases, got):
        assert t.shape.as_tuple() == want.shape == g.shape, t
        np.testing.assert_allclose(g, want, rtol=1e-4, atol=1e-4, err_msg=t.name)
    assert got[4].dtype == np.complex64 and got[6].dtype == np.float32


def test_fftnd_dtypes_and_default_complex128():
    x = tf.constant(XC.astype(np.complex128))
    assert tf.signal.fftnd(x).dtype == tf.complex128
    assert tf.signal.irfftnd(x).dtype == tf.float64
    assert tf.signal.rfftnd(tf.constant(XR.astype(np.float64))).dtype == tf.complex128


def test_fftnd_errors():
    with pytest.raises(ValueError, match="RFFT requires tf.float32 or tf.float64"):
        tf.signal.rfftnd(tf.constant(XC))
    with pytest.raises(ValueError, match="IRFFT requires tf.complex64 or tf.complex128"):
        tf.signal.irfftnd(tf.constant(XR))
    from minitf.ops.fftnd_ops import FFTND, RFFTND

    with pytest.raises(TypeError, match="not in list of allowed values"):
        FFTND(tf.constant(XR), tf.constant([5]), tf.constant([2]))
    with pytest.raises(ValueError, match="successive and ascending"):
        tf.signal.fftnd(XC, [4, 3], axes=[2, 1])
    with pytest.raises(ValueError, match="last axis"):
        tf.signal.fftnd(XC, [2, 3], axes=[0, 1])
    # lengths only known at run time: TF's kernel errors, InvalidArgumentError
    n = tf.placeholder(tf.int32, [None])
    for t, feed, msg in [(tf.signal.fftnd(XC, n, axes=[1, 2]), [3], r"fft_length must have "
                          r"shape \[2\], but got: 1"),
                         (tf.signal.fftnd(XC, n, axes=[2]), [-1], r"fft_length\[0\] must >= 0"),
                         (tf.signal.fftnd(XC, axes=[1, 2]), None, r"must have shape \[2\], "
                          r"but got: 3")]:
        with pytest.raises(tf.errors.InvalidArgumentError, match=msg):
            run(t, {n: feed} if feed is not None else None)
    # the op itself only crops real transforms (the wrappers pad first)
    short = RFFTND(tf.constant(XR), tf.constant([4, 6]), tf.constant([1, 2]))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Input dimension 1 must have length of at least 4 but got: 3"):
        run(short)


def test_fftnd_has_no_gradient_as_tf():
    x = tf.constant(XC)
    for y in (tf.signal.fftnd(x), tf.signal.irfftnd(x), tf.math.real(tf.signal.ifftnd(x))):
        with pytest.raises(LookupError, match="No gradient defined"):
            tf.gradients(tf.reduce_sum(tf.math.real(y) if y.dtype.is_complex else y), x)


def test_fftnd_graphs_match_tf_up_to_the_op():
    """TF 2.21 has no CPU kernel for the ND ops: compare what its wrappers feed them (the
    padded and scaled input, fft_length, axes); the transforms are checked against numpy."""
    def build(t):
        x = t.placeholder(t.complex64, [2, 3, 4])
        r = t.placeholder(t.float32, [2, 3, 5])
        ops = [t.signal.fftnd(x), t.signal.fftnd(x, [5, 6], axes=[1, 2], norm="ortho"),
               t.signal.ifftnd(x, [3, 2], axes=[-2, -1], norm="forward"),
               t.signal.rfftnd(r, [4, 6], axes=[1, 2], norm="forward"),
               t.signal.irfftnd(x, [4, 9], axes=[1, 2]), t.signal.irfftnd(x)]
        build.types.append([o.op.type for o in ops])
        build.shapes.append([o.shape.as_list() for o in ops])
        return [list(o.op.inputs) for o in ops], [x, r]

    build.types, build.shapes = [], []
    fetches, phs = build(tf)
    mine = run(fetches, dict(zip(phs, [XC, XR])))
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        fetches, phs = build(tf1)
    names = [[t.name for t in f] for f in fetches]
    # A session refuses a graph holding an op with no kernel here: run the rest of it.
    gd = tf1.GraphDef()
    gd.node.extend(n for n in g.as_graph_def().node if not n.op.endswith("FFTND"))
    g2 = tf1.Graph()
    with g2.as_default():
        tf1.import_graph_def(gd, name="")
        with tf1.Session(graph=g2) as sess:
            theirs = sess.run(names, {p.name: v for p, v in zip(phs, [XC, XR])})
    assert build.types[0] == build.types[1] == ["FFTND", "FFTND", "IFFTND", "RFFTND", "IRFFTND",
                                                "IRFFTND"]
    assert_nested_close(mine, theirs, rtol=1e-6, atol=1e-6)
    # TF's shape function keeps the (padded) input's shape; minitf's is the kernel's output
    assert build.shapes[1] == [[2, 3, 4], [2, 5, 6], [2, 3, 4], [2, 4, 6], [2, 4, 5], [2, 3, 4]]
    assert build.shapes[0] == [[2, 3, 4], [2, 5, 6], [2, 3, 2], [2, 4, 4], [2, 4, 9], [2, 3, 6]]


# == ApproxTopK ==================================================================================
A = np.array([[3, 1, 3, 2, 5, 5, -1, 5], [0.5, 0, 0, 1, 1, 9, 2, -0.0]], np.float32)


def test_approx_top_k_exact_with_ties_in_index_order():
    v, i = tf.math.approx_max_k(A, 3)
    v2, i2 = tf.nn.approx_min_k(A, 4)
    v3, i3 = tf.approx_top_k(A, 1, reduction_dimension=0, is_max_k=False)
    got = run([v, i, v2, i2, v3, i3])
    np.testing.assert_array_equal(got[0], [[5, 5, 5], [9, 2, 1]])
    np.testing.assert_array_equal(got[1], [[4, 5, 7], [5, 6, 3]])
    np.testing.assert_array_equal(got[2], [[-1, 1, 2, 3], [0, 0, 0, 0.5]])
    np.testing.assert_array_equal(got[3], [[6, 1, 3, 0], [1, 2, 7, 0]])  # -0 ties with 0
    np.testing.assert_array_equal(got[4], [[0.5, 0, 0, 1, 1, 5, -1, -0.0]])
    np.testing.assert_array_equal(got[5], [[1, 1, 1, 1, 1, 0, 0, 1]])
    assert type(tf.math.approx_max_k(A, 2)).__name__ == "ApproxTopK"


def test_approx_top_k_without_aggregation_gives_k_entries():
    """TF's graph-mode kernel returns k entries whether or not it aggregates (only XLA's
    jit_compile returns its larger candidate set); the static shape says k too."""
    x = R.standard_normal((2, 5000)).astype(np.float32)
    for kw in ({"recall_target": 0.5}, {"recall_target": 0.95}, {}):
        out = tf.approx_top_k(x, 10, aggregate_to_topk=False, **kw)
        assert out.values.shape.as_list() == [2, 10]
        np.testing.assert_array_equal(run(out.values), -np.sort(-x, axis=1)[:, :10])
    assert tf.approx_top_k(x[0], 4, aggregate_to_topk=False).indices.shape.as_list() == [4]


def test_approx_top_k_errors():
    with pytest.raises(TypeError, match="not in list of allowed values: float16, bfloat16"):
        tf.math.approx_max_k(tf.zeros([2, 3], tf.float64), 1)
    with pytest.raises(ValueError, match="less than minimum 0"):
        tf.approx_top_k(A, -1)
    with pytest.raises(ValueError, match=r"Invalid reduction dimension: 2. Must be within the "
                                         r"range of \[-2, 1\]"):
        tf.approx_top_k(A, 1, reduction_dimension=2)
    with pytest.raises(ValueError, match=r"Invalid recall target: 0. Valid value range"):
        tf.approx_top_k(A, 1, recall_target=0.0)
    with pytest.raises(ValueError, match="input must have last dimension >= k = 3 but was 2"):
        tf.math.approx_min_k(A, 3, reduction_dimension=0)
    with pytest.raises(ValueError, match="at least rank 1"):
        tf.approx_top_k(tf.constant(1.0), 1)
    with pytest.raises(ValueError, match="but was -1"):  # TF needs the reduction size
        tf.approx_top_k(tf.placeholder(tf.float32, [2, None]), 1)


def test_approx_top_k_gradient_numerically():
    """Central differences in float32 (the op takes no float64) on well-separated values,
    along the last and a middle dimension, for max and min."""
    x0 = (R.permutation(24).reshape(2, 3, 4) * 0.5).astype(np.float32)
    for kw in ({"k": 2}, {"k": 2, "reduction_dimension": 1, "is_max_k": False}):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, x0.shape)
            v, _ = tf.approx_top_k(tf.square(x), **kw)
            w = R.standard_normal(v.shape.as_list()).astype(np.float32)
            loss = tf.reduce_sum(v * w)
            (g,) = tf.gradients(loss, [x])
            with tf.Session() as sess:
                got = sess.run(g, {x: x0})
                num = np.zeros_like(x0)
                for j in np.ndindex(*x0.shape):
                    for sign in (1, -1):
                        xp = x0.copy()
                        xp[j] += sign * 1e-2
                        num[j] += sign * sess.run(loss, {x: xp}) / 2e-2
        np.testing.assert_allclose(got, num, rtol=2e-3, atol=2e-3)


def test_approx_top_k_matches_tf_xla_cpu():
    """TF runs ApproxTopK only through XLA: tf.function(jit_compile=True) inside a TF1 graph.
    Values, indices (ties included, no NaN: TF leaves its place unspecified) and gradients."""
    x0 = np.array([[3, 1, 3, 2, 5, 5, -1, 5, 0.25, 7], [0.5, 0, 0, 1, 1, 9, 2, 4, 4, -3]],
                  np.float32)
    configs = [{"k": 3}, {"k": 4, "is_max_k": False}, {"k": 1, "reduction_dimension": 0},
               {"k": 2, "reduction_dimension": 0, "is_max_k": False}]

    def build(t, jit):
        x = t.placeholder(t.float32, x0.shape)
        outs = []
        for kw in configs:
            v, i = jit(lambda x, kw=kw: t.approx_top_k(x * x * 0.5 + x, **kw))(x)
            w = np.linspace(-1, 2, int(np.prod(v.shape.as_list()))).reshape(v.shape.as_list())
            outs.append([v, i, t.gradients(t.reduce_sum(v * w.astype(np.float32)), x)[0]])
        return outs, [x]

    fetches, phs = build(tf, lambda f: f)
    mine = run(fetches, dict(zip(phs, [x0])))
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        fetches, phs = build(tf1, lambda f: tf1.function(f, jit_compile=True))
        with tf1.Session(graph=g) as sess:
            theirs = sess.run(fetches, dict(zip(phs, [x0])))
    assert_nested_close(mine, theirs)


def test_approx_top_k_static_shapes_and_errors_match_tf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    configs = [([3, 100], {"k": 5}), ([3, 5000], {"k": 10, "recall_target": 0.5}),
               ([5000], {"k": 10, "recall_target": 0.5}), ([3, 5000], {"k": 1}),
               ([3, 5000], {"k": 10, "recall_target": 0.95}),
               ([3, 5000], {"k": 100, "recall_target": 0.95}), ([3, 300], {"k": 100}),
               ([3, 5000], {"k": 10, "recall_target": 0.5, "reduction_input_size_override": 10**5}),
               ([3, 5000], {"k": 10, "reduction_input_size_override": 100}),
               ([7, 3000, 2], {"k": 3, "reduction_dimension": 1, "recall_target": 0.7})]
    bad = [{"k": -1}, {"k": 1, "reduction_dimension": 2}, {"k": 1, "reduction_dimension": -3},
           {"k": 1, "recall_target": 0.0}, {"k": 1, "recall_target": 1.5}, {"k": 9}]

    def build(t):  # with aggregation (TF's static shape without it is XLA's candidate set)
        shapes = [t.approx_top_k(t.zeros(s), **kw).indices.shape.as_list()
                  for s, kw in configs]
        errors = []
        for kw in bad:
            try:
                t.approx_top_k(t.zeros([2, 8]), **kw)
                errors.append(None)
            except ValueError as e:  # TF's wording, before its node description
                errors.append(str(e).split(" for '")[0])
        return shapes, errors

    mine = build(tf)
    with tf1.Graph().as_default():
        theirs = build(tf1)
    assert mine[0] == theirs[0]
    assert None not in theirs[1]
    for m, t in zip(mine[1], theirs[1]):
        assert m is not None and t in m, (m, t)


def test_approx_top_k_without_aggregation_matches_tf_graph_mode():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    x = R.standard_normal((3, 400)).astype(np.float32)
    # (TF's graph-mode CPU kernel covers max-k along the last dimension only)
    configs = [{"k": 7}, {"k": 10, "recall_target": 0.5}, {"k": 1}]

    def build(t):
        p = t.placeholder(t.float32, x.shape)
        return [list(t.approx_top_k(p, aggregate_to_topk=False, **kw)) for kw in configs], p

    fetches, p = build(tf)
    mine = run(fetches, {p: x})
    g = tf1.Graph()
    with g.as_default():
        fetches, p = build(tf1)
        with tf1.Session(graph=g) as sess:
            theirs = sess.run(fetches, {p: x})
    assert_nested_close(mine, theirs)


# == tf.linalg.logm, tf.linalg.eigh_tridiagonal ==================================================
def test_logm_inverts_expm_and_refuses_real_input():
    h = R.standard_normal((2, 3, 3)) + 1j * R.standard_normal((2, 3, 3))
    h = 0.4 * (h + np.conj(np.swapaxes(h, -1, -2)))  # Hermitian: expm by eigendecomposition
    w, v = np.linalg.eigh(h)
    a = np.einsum("bij,bj,bkj->bik", v, np.exp(w), v.conj())
    np.testing.assert_allclose(run(tf.linalg.logm(a)), h, atol=1e-10)
    with pytest.raises(TypeError, match="float64 not in list of allowed values: complex64"):
        tf.linalg.logm(np.eye(2))
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
        tf.linalg.logm(np.zeros((2, 3), np.complex64))
    with pytest.raises(ValueError, match="at least rank 2"):
        tf.linalg.logm(np.zeros(3, np.complex64))
    with pytest.raises(LookupError, match="No gradient defined"):
        x = tf.constant(a)
        tf.gradients(tf.math.real(tf.linalg.logm(x)), x)


def test_logm_matches_tf():
    mats = [R.standard_normal((3, 4, 4)) + 1j * R.standard_normal((3, 4, 4)),
            np.array([[2.0, 1, 0], [0, 2, 1], [0, 0, 2]]) + 0j,  # a Jordan block
            np.array([[-1.0, 0], [0, 2]]) + 0j, 1j * np.eye(3)]

    def build(t):
        return [t.linalg.logm(m.astype(d)) for m in mats for d in (np.complex64,
                                                                   np.complex128)], []

    mine, theirs = both(build)
    for m, t in zip(mine, theirs):
        tol = 1e-5 if m.dtype == np.complex64 else 1e-12
        np.testing.assert_allclose(m, t, rtol=tol, atol=tol)


TRI_A = R.standard_normal(7)
TRI_B = R.standard_normal(6)
TRI_DENSE = np.diag(TRI_A) + np.diag(TRI_B, 1) + np.diag(TRI_B, -1)


def test_eigh_tridiagonal_against_numpy():
    want = np.linalg.eigvalsh(TRI_DENSE)
    vals, vecs = tf.linalg.eigh_tridiagonal(TRI_A, TRI_B, eigvals_only=False)
    picked = tf.linalg.eigh_tridiagonal(TRI_A, TRI_B, select="i", select_range=[2, 4])
    lo, hi = (want[1] + want[2]) / 2, want[4]  # (lo, hi]: eigenvalues 2, 3 and 4
    in_range = tf.linalg.eigh_tridiagonal(TRI_A, TRI_B, select="v", select_range=[lo, hi])
    single = tf.linalg.eigh_tridiagonal([3.0], [])
    got = run([vals, vecs, picked, in_range, single])
    np.testing.assert_allclose(got[0], want, atol=1e-13)
    np.testing.assert_allclose(TRI_DENSE @ got[1], got[1] * got[0], atol=1e-12)
    np.testing.assert_allclose(got[1].T @ got[1], np.eye(7), atol=1e-12)
    np.testing.assert_allclose(got[2], want[2:5], atol=1e-13)
    np.testing.assert_allclose(got[3], want[2:5], atol=1e-13)
    np.testing.assert_array_equal(got[4], [3.0])
    # complex beta: the Hermitian matrix with conj(beta) below the diagonal
    bc = TRI_B * np.exp(1j * np.arange(6))
    herm = np.diag(TRI_A + 0j) + np.diag(bc, 1) + np.diag(bc.conj(), -1)
    np.testing.assert_allclose(run(tf.linalg.eigh_tridiagonal(TRI_A + 0j, bc)),
                               np.linalg.eigvalsh(herm), atol=1e-13)


def test_eigh_tridiagonal_errors():
    with pytest.raises(ValueError, match="must have the same type"):
        tf.linalg.eigh_tridiagonal(TRI_A, TRI_B.astype(np.float32))
    with pytest.raises(ValueError, match="select must have a value in"):
        tf.linalg.eigh_tridiagonal(TRI_A, TRI_B, select="x")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Got empty index range"):
        run(tf.linalg.eigh_tridiagonal(TRI_A, TRI_B, select="i", select_range=[3, 1]))


def test_eigh_tridiagonal_matches_tf():
    """Values bit for bit (the same bisection) and eigenvectors to rounding: the same seeded
    start vectors, inverse iteration and cluster re-orthogonalisation, so the same signs."""
    cluster_a, cluster_b = np.ones(4), np.array([1e-9, 0.0, 1e-9])
    configs = [(TRI_A, TRI_B, {}), (TRI_A, TRI_B, {"eigvals_only": False}),
               (TRI_A.astype(np.float32), TRI_B.astype(np.float32), {"eigvals_only": False}),
               (TRI_A, TRI_B, {"select": "i", "select_range": [1, 3], "eigvals_only": False}),
               (TRI_A, TRI_B, {"select": "v", "select_range": [-0.5, 1.0]}),
               (TRI_A, TRI_B, {"tol": np.float64(1e-3)}),
               (cluster_a, cluster_b, {"eigvals_only": False}),
               (TRI_A + 0j, TRI_B * np.exp(1j * np.arange(6)), {})]

    def build(t):
        return [t.linalg.eigh_tridiagonal(a, b, **kw) for a, b, kw in configs], []

    mine, theirs = both(build)
    for (a, _, _), m, t in zip(configs, mine, theirs):
        tol = 1e-6 if a.dtype == np.float32 else 1e-12
        assert_nested_close(m, t, rtol=tol, atol=tol)


# == tf.image.extract_glimpse (ExtractGlimpse, ExtractGlimpseV2) =================================
GIMG = np.arange(2 * 4 * 5, dtype=np.float32).reshape(2, 4, 5, 1)


def test_extract_glimpse_by_hand():
    from minitf.ops.glimpse_ops import extract_glimpse_v2

    # centered, normalized (0, 0): the 2x2 window around the center of a 4x5 image starts at
    # row 4/2 - 1 = 1, column int(5/2 - 1) = 1
    got = run(tf.image.extract_glimpse(GIMG, [2, 2], [[0.0, 0.0], [0.0, 0.0]]))
    np.testing.assert_array_equal(got[0, ..., 0], [[6, 7], [11, 12]])
    np.testing.assert_array_equal(got[1, ..., 0], [[26, 27], [31, 32]])
    # pixel offsets from the top-left corner, hanging off the image: zero noise there
    got = run(extract_glimpse_v2(GIMG, [2, 3], [[-1.0, 3.0], [3.0, -2.0]], centered=False,
                                 normalized=False, noise="zero"))
    np.testing.assert_array_equal(got[0, ..., 0], [[0, 0, 0], [3, 4, 0]])
    np.testing.assert_array_equal(got[1, ..., 0], [[0, 0, 35], [0, 0, 0]])
    assert tf.image.extract_glimpse(GIMG, [2, 3], np.zeros((2, 2), np.float32)).shape \
        .as_list() == [2, 2, 3, 1]


def test_extract_glimpse_errors_and_gradients():
    from minitf.ops.glimpse_ops import EXTRACT_GLIMPSE, extract_glimpse_v2

    with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3"):
        tf.image.extract_glimpse(GIMG[0], [2, 2], np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="Dimension must be 2 but is 3"):
        tf.image.extract_glimpse(GIMG, [2, 2, 2], np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 1"):
        tf.image.extract_glimpse(GIMG, [2, 2], np.zeros((1, 2), np.float32))
    with pytest.raises(ValueError, match="uniform_noise should not be True"):
        EXTRACT_GLIMPSE(GIMG, [2, 2], np.zeros((2, 2), np.float32), noise="gaussian")
    size = tf.placeholder(tf.int32, [2])
    g = tf.image.extract_glimpse(GIMG, size, np.zeros((2, 2), np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Expected a non-negative size"):
        run(g, {size: [2, -1]})
    bogus = extract_glimpse_v2(GIMG, [2, 2], np.zeros((2, 2), np.float32), noise="bogus")
    with pytest.raises(tf.errors.InvalidArgumentError, match="could only be uniform, gaussian"):
        run(bogus)
    x = tf.constant(GIMG)
    assert tf.gradients(tf.image.extract_glimpse(x, [2, 2], np.zeros((2, 2), np.float32)),
                        x) == [None]
    with pytest.raises(LookupError, match="No gradient defined"):
        tf.gradients(extract_glimpse_v2(x, [2, 2], np.zeros((2, 2), np.float32)), x)


def test_extract_glimpse_matches_tf():
    """Random sizes and offsets, every centered/normalized combination, both versions, with
    zero noise (deterministic); uniform noise on windows inside the image."""
    rng = np.random.default_rng(11)
    img = rng.standard_normal((3, 7, 9, 2)).astype(np.float32)
    configs = []
    for k in range(48):
        size = [int(rng.integers(1, 10)), int(rng.integers(1, 12))]
        normalized, centered = bool(k & 1), bool(k & 2)
        offs = rng.uniform(-1.5, 1.5, (3, 2)) if normalized else rng.uniform(-12, 12, (3, 2))
        offs = (np.round(offs * 4) / 4 if k % 5 == 0 else offs).astype(np.float32)
        configs.append((size, offs, {"centered": centered, "normalized": normalized,
                                     "uniform_noise": False, "noise": "zero"}))
    inside = np.array([[0.1, -0.2], [0.0, 0.0], [-0.1, 0.3]], np.float32)
    configs.append(([3, 3], inside, {}))

    def build(t):
        if t is tf:
            from minitf.ops import glimpse_ops as ops

            v1, v2 = ops.EXTRACT_GLIMPSE, ops.EXTRACT_GLIMPSE_V2
        else:
            from tensorflow.python.ops import gen_image_ops as ops

            v1, v2 = ops.extract_glimpse, ops.extract_glimpse_v2
        return [op(img, size, offs, **kw) for size, offs, kw in configs for op in (v1, v2)], []

    mine, theirs = both(build)
    for m, t in zip(mine, theirs):
        np.testing.assert_array_equal(m, t)


# == tf.image.generate_bounding_box_proposals ====================================================
def test_generate_bounding_box_proposals_by_hand():
    """One image, a 1x1 feature map, two anchors; the two boxes overlap with IoU
    72 / (150 + 81 - 72) = 0.45: both kept at threshold 0.7, the second suppressed at 0.4; the
    output is zero-padded to post_nms_topn."""
    scores = np.array([[[[0.9, 0.8]]]], np.float32)
    deltas = np.zeros((1, 1, 1, 8), np.float32)
    deltas[0, 0, 0, :4] = [0.1, 0.0, 0.0, np.log(2.0)]  # dy, dx, dh, dw: twice as wide
    anchors = np.array([[[0, 0, 10, 10, 0, 0, 9, 9]]], np.float32)
    info = np.array([[100, 100, 1, 0, 0]], np.float32)
    rois, probs = run(tf.image.generate_bounding_box_proposals(
        scores, deltas, info, anchors, min_size=1.0, post_nms_topn=3))
    # anchor 0: centre (5, 5) moves by 0.1 * 10 in y; width 10 * 2 = 20 around x = 5: clipped
    np.testing.assert_allclose(rois[0], [[1, 0, 11, 15], [0, 0, 9, 9], [0, 0, 0, 0]],
                               atol=1e-5)
    np.testing.assert_allclose(probs[0], [0.9, 0.8, 0.0])
    _, probs = run(tf.image.generate_bounding_box_proposals(
        scores, deltas, info, anchors, nms_threshold=0.4, min_size=1.0, post_nms_topn=3))
    np.testing.assert_allclose(probs[0], [0.9, 0.0, 0.0])


def test_generate_bounding_box_proposals_errors():
    args = [np.zeros((1, 1, 1, 2), np.float32), np.zeros((1, 1, 1, 8), np.float32),
            np.ones((1, 5), np.float32), np.ones((1, 1, 8), np.float32)]
    for kw, msg in [({"nms_threshold": 1.5}, "nms_threshold should be between 0 and 1"),
                    ({"pre_nms_topn": 0}, "pre_nms_topn should be greater than 0"),
                    ({"post_nms_topn": 0}, "post_nms_topn can't be 0 or less")]:
        with pytest.raises(tf.errors.InvalidArgumentError, match=msg):
            run(tf.image.generate_bounding_box_proposals(*args, **kw))
    with pytest.raises(tf.errors.OutOfRangeError, match="Box dimensions need to be 4"):
        run(tf.image.generate_bounding_box_proposals(*args[:3], np.ones((1, 1, 6), np.float32)))


def test_generate_bounding_box_proposals_graph_matches_tf():
    """TF 2.21 runs this op on GPU only: compare what graph construction gives (static shapes,
    the namedtuple, shape errors, no gradient)."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def build(t):
        out = t.image.generate_bounding_box_proposals(
            t.zeros([2, 3, 4, 2]), t.zeros([2, 3, 4, 8]), t.zeros([2, 5]),
            t.zeros([2, 12, 8]), post_nms_topn=7)
        errors = []
        for shapes in [([2, 3, 4], [2, 3, 4, 8], [2, 5], [1, 12, 8]),
                       ([2, 3, 4, 2], [2, 3, 4, 8], [2, 5, 1], [1, 12, 8])]:
            with pytest.raises(ValueError) as e:
                t.image.generate_bounding_box_proposals(*[t.zeros(s) for s in shapes])
            errors.append(str(e.value).split(" for '")[0])
        x = t.zeros([2, 3, 4, 2])
        grad = t.gradients(t.image.generate_bounding_box_proposals(
            x, t.zeros([2, 3, 4, 8]), t.zeros([2, 5]), t.zeros([2, 12, 8]))[1], x)
        return (type(out).__name__, out._fields, out[0].shape.as_list(),
                out[1].shape.as_list(), errors, grad)

    mine = build(tf)
    with tf1.Graph().as_default():
        theirs = build(tf1)
    assert mine == theirs
