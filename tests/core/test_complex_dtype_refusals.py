"""Complex inputs where TensorFlow 2.21 refuses them, and the complex cases it does run.

Refused at graph construction, with TF's TypeError (its OpDef type lists): CheckNumericsV2, the
segment max/min ops, ReluGrad/Relu6Grad (and Relu/Relu6), a complex SparseAdd threshold, and the
SparseSegment* family with its gradient ops. Run: ClipByValue (TF clips the real and imaginary
parts apart, and its gradient refuses complex), SparseAdd of complex values, and
SparseTensorDenseMatMul, whose complex gradient follows TF's conj/adjoint rule.
SparseDenseCwiseMul/Div take complex in TF's OpDef but TF has no CPU kernel for it; minitf's
gradient is checked by central differences instead.

TF-free tests compare with hand-computed values and TF's message texts as TF 2.21 printed them;
the tests gated on TensorFlow build the same graphs in TF side by side."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf.opdef import registered

_REAL = ("float32, float64, int32, uint8, int16, int8, int64, bfloat16, uint16, float16, "
         "uint32, uint64")
_FLOAT = "bfloat16, float16, float32, float64"
_MAX_MIN = _FLOAT + ", int8, uint8, int16, uint16, int32, uint32, int64, uint64"


def _c(v, dt):
    return np.asarray(v, dt)


def _ids(v):
    return np.asarray(v, np.int32)


def _i64(v):
    return np.asarray(v, np.int64)


# op type -> (inputs by TF's argument names, attrs, the refused parameter, TF's allowed list).
_REFUSED = {
    "CheckNumericsV2": (lambda dt: {"tensor": _c([1, 2j], dt)}, {"message": "m"}, "tensor",
                        _FLOAT),
    **{op: (lambda dt: {"data": _c([1, 2j, 3], dt), "segment_ids": _ids([0, 0, 1])}, {},
            "data", _REAL) for op in ("SegmentMax", "SegmentMin")},
    **{op: (lambda dt: {"data": _c([1, 2j, 3], dt), "segment_ids": _ids([0, 0, 1]),
                        "num_segments": np.int32(2)}, {}, "data", _REAL)
       for op in ("UnsortedSegmentMax", "UnsortedSegmentMin", "SegmentMaxV2", "SegmentMinV2")},
    **{op: (lambda dt: {"gradients": _c([1, 2j], dt), "features": _c([1, -1], dt)}, {},
            "gradients", _REAL) for op in ("ReluGrad", "Relu6Grad")},
    "Relu": (lambda dt: {"features": _c([1, 2j], dt)}, {}, "features", _REAL + ", qint8"),
    "Relu6": (lambda dt: {"features": _c([1, 2j], dt)}, {}, "features", _REAL),
    "SparseAdd": (lambda dt: {
        "a_indices": _i64([[0], [1]]), "a_values": _c([1, 2j], dt), "a_shape": _i64([3]),
        "b_indices": _i64([[1]]), "b_values": _c([1j], dt), "b_shape": _i64([3]),
        "thresh": _c(0, dt)}, {}, "thresh", _REAL),
    **{f"SparseSegment{kind}{suffix}": (
        lambda dt, suffix=suffix: {"data": _c([[1, 2j], [3, 4]], dt), "indices": _ids([0, 1]),
                                   "segment_ids": _ids([0, 0]),
                                   **({"num_segments": np.int32(2)} if suffix else {})},
        {}, "data", _REAL if kind == "Sum" else _FLOAT)
       for kind in ("Sum", "Mean", "SqrtN") for suffix in ("", "WithNumSegments")},
    **{f"SparseSegment{kind}Grad{v2}": (
        lambda dt, v2=v2: {"grad": _c([[1, 2j]], dt), "indices": _ids([0, 1]),
                           "segment_ids": _ids([0, 0]),
                           ("dense_output_dim0" if v2 else "output_dim0"): np.int32(2)},
        {}, "grad", _FLOAT)
       for kind in ("Sum", "Mean", "SqrtN") for v2 in ("", "V2")},
}
_DTYPES = [np.complex64, np.complex128]


def _message(param, dt, allowed):
    return (f"Value passed to parameter '{param}' has DataType {np.dtype(dt).name} not in list "
            f"of allowed values: {allowed}")


def _minitf_error(op_type, dt):
    inputs, attrs, _, _ = _REFUSED[op_type]
    with tf.Graph().as_default():
        with pytest.raises(TypeError) as info:
            registered()[op_type](*[tf.constant(v) for v in inputs(dt).values()], **attrs)
    return str(info.value)


@pytest.mark.parametrize("dt", _DTYPES, ids=["complex64", "complex128"])
@pytest.mark.parametrize("op_type", sorted(_REFUSED))
def test_complex_input_is_refused_at_graph_construction(op_type, dt):
    _, _, param, allowed = _REFUSED[op_type]
    assert _minitf_error(op_type, dt) == _message(param, dt, allowed)


@pytest.mark.parametrize("op_type", sorted(_REFUSED))
def test_the_same_dtypes_are_accepted(op_type):
    """The check refuses only what TF's list leaves out: float64 and float32 data build."""
    inputs, attrs, _, _ = _REFUSED[op_type]
    for dt in (np.float64, np.float32):
        with tf.Graph().as_default():
            feeds = inputs(np.complex128)
            args = [tf.constant(v.real.astype(dt) if v.dtype.kind == "c" else v)
                    for v in feeds.values()]
            registered()[op_type](*args, **attrs)


_WRAPPERS = {
    "tf.nn.relu": (lambda lib, x: lib.nn.relu(x), "features", _REAL + ", qint8"),
    "tf.nn.relu6": (lambda lib, x: lib.nn.relu6(x), "features", _REAL),
    "tf.math.segment_max": (lambda lib, x: lib.math.segment_max(x, [0, 0]), "data", _REAL),
    "tf.math.segment_min": (lambda lib, x: lib.math.segment_min(x, [0, 0]), "data", _REAL),
    "tf.math.unsorted_segment_max": (lambda lib, x: lib.math.unsorted_segment_max(x, [0, 1], 2),
                                     "data", _REAL),
    "tf.math.unsorted_segment_min": (lambda lib, x: lib.math.unsorted_segment_min(x, [0, 1], 2),
                                     "data", _REAL),
    "tf.sparse.segment_sum": (lambda lib, x: lib.sparse.segment_sum(x, [0, 1], [0, 0]), "data",
                              _REAL),
    "tf.sparse.segment_mean": (lambda lib, x: lib.sparse.segment_mean(x, [0, 1], [0, 0],
                                                                num_segments=2), "data", _FLOAT),
    "tf.check_numerics": (lambda lib, x: lib.check_numerics(x, "m"), "tensor", _FLOAT),
    "tf.maximum": (lambda lib, x: lib.maximum(x, x), "x", _MAX_MIN),
    "tf.clip_by_value": (lambda lib, x: lib.clip_by_value(x, 0, 1), "x", _MAX_MIN),
    "tf.sparse.segment_sqrt_n": (lambda lib, x: lib.sparse.segment_sqrt_n(x, [0, 1], [0, 0]),
                                 "data", _FLOAT),
}


@pytest.mark.parametrize("name", sorted(_WRAPPERS))
def test_public_wrappers_refuse_complex(name):
    build, param, allowed = _WRAPPERS[name]
    with tf.Graph().as_default():
        with pytest.raises(TypeError) as info:
            build(tf, tf.constant(np.array([1 + 1j, 2]), dtype=tf.complex128))
    assert str(info.value) == _message(param, np.complex128, allowed)


def test_tensorflow_wrappers_refuse_with_the_same_messages():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for name, (build, param, allowed) in sorted(_WRAPPERS.items()):
        with tf1.Graph().as_default():
            with pytest.raises(TypeError) as info:
                build(tf1, tf1.constant(np.array([1 + 1j, 2]), dtype=tf1.complex128))
        assert str(info.value) == _message(param, np.complex128, allowed), name


def test_tensorflow_refuses_the_same_with_the_same_message():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for op_type, (inputs, attrs, _, _) in sorted(_REFUSED.items()):
        for dt in _DTYPES:
            g = tf1.Graph()
            with g.as_default():
                kwargs = {k: tf1.constant(v) for k, v in inputs(dt).items()}
                with pytest.raises(TypeError) as info:
                    getattr(tf1.raw_ops, op_type)(**kwargs, **attrs)
            assert _minitf_error(op_type, dt) == str(info.value), op_type


# == ClipByValue: TF runs it on complex, clipping the real and imaginary parts apart ============
def _clip(t, lo, hi, dt=np.complex128):
    with tf.Graph().as_default():
        out = registered()["ClipByValue"](*[tf.constant(np.asarray(v, dt)) for v in (t, lo, hi)])
        with tf.Session() as sess:
            return sess.run(out)


def test_complex_clip_by_value_clips_each_part():
    # Worked by hand, part by part: re in [0, 2], im in [0, 0].
    got = _clip([1 + 1j, 3, -1 + 5j, 0.5 - 2j], 0, 2)
    np.testing.assert_array_equal(got, [1, 2, 0, 0.5])
    # re in [1, 1.5], im in [0.5, 1]; complex bounds of t's shape.
    got = _clip([1 + 1j, 2 + 2j, 1 - 1j, 1.2 + 0.7j], [1 + 0.5j] * 4, [1.5 + 1j] * 4,
                np.complex64)
    assert got.dtype == np.complex64
    np.testing.assert_array_equal(got, np.array([1 + 1j, 1.5 + 1j, 1 + 0.5j, 1.2 + 0.7j],
                                                np.complex64))


def test_clip_by_value_with_min_above_max_gives_min():
    # TF computes max(min(t, max), min) (TF 2.21 gave 2.5 everywhere).
    np.testing.assert_array_equal(_clip([0.0, 1, 2, 3], 2.5, 1.0, np.float64), [2.5] * 4)
    np.testing.assert_array_equal(_clip([1 + 1j, 3], 2.5, 1.0), [2.5, 2.5])


_LESS_REFUSES = _message("x", np.complex128, _REAL)


def test_complex_clip_by_value_gradient_is_refused_as_in_tensorflow():
    with tf.Graph().as_default():
        t = tf.constant(np.array([1 + 1j, 3]))
        y = registered()["ClipByValue"](t, tf.constant(0j), tf.constant(2 + 0j))
        with pytest.raises(TypeError) as info:
            tf.gradients(tf.reduce_sum(tf.real(y)), t)
    assert str(info.value) == _LESS_REFUSES


def test_complex_clip_by_value_matches_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for dt in _DTYPES:
        for n, full in ((1, False), (7, False), (17, True), (100, True)):
            bound = n if full else ()
            t, lo, hi = _cplx(n, dt), _cplx(bound, dt) - 0.5, _cplx(bound, dt) + 0.5
            g = tf1.Graph()
            with g.as_default(), tf1.Session(graph=g) as sess:
                want = sess.run(tf1.raw_ops.ClipByValue(
                    t=tf1.constant(t), clip_value_min=tf1.constant(lo),
                    clip_value_max=tf1.constant(hi)))
            np.testing.assert_array_equal(_clip(t, lo, hi, dt), want)
    g = tf1.Graph()
    with g.as_default():
        t = tf1.constant(np.array([1 + 1j, 3]))
        y = tf1.raw_ops.ClipByValue(t=t, clip_value_min=tf1.constant(0j),
                                    clip_value_max=tf1.constant(2 + 0j))
        with pytest.raises(TypeError) as info:
            tf1.gradients(tf1.reduce_sum(tf1.math.real(y)), t)
    assert str(info.value) == _LESS_REFUSES


# == gradients of complex sparse ops: central differences and TensorFlow =======================
def _numeric(sess, loss, feed, ph, x0, eps=1e-6):
    """dL/dRe + i dL/dIm by central differences (TF's convention for a real loss)."""
    num = np.zeros_like(x0)
    for j in np.ndindex(*x0.shape):
        for unit in ((1, 1j) if x0.dtype.kind == "c" else (1,)):
            for sign in (1, -1):
                x = x0.copy()
                x[j] += sign * eps * unit
                num[j] += unit * sign * sess.run(loss, {**feed, ph: x}) / (2 * eps)
    return num


def _real_loss(lib, y, w):
    return lib.reduce_sum(lib.math.real(y * lib.math.conj(lib.constant(w))))


_A_IDX = np.array([[0, 1], [1, 0], [1, 3], [2, 2], [0, 1]], np.int64)  # a repeat adds up
_RNG = np.random.default_rng(5)


def _cplx(shape, dt):
    x = _RNG.standard_normal(shape)
    return (x + 1j * _RNG.standard_normal(shape) if np.dtype(dt).kind == "c" else x).astype(dt)


def _matmul_data(adj_a, adj_b, dt):
    a_shape = np.array([4, 3] if adj_a else [3, 4], np.int64)
    idx = _A_IDX[:, ::-1].copy() if adj_a else _A_IDX
    b = _cplx((2, 4) if adj_b else (4, 2), dt)
    return idx, _cplx(5, dt), a_shape, b, _cplx((3, 2), dt)


def _matmul_loss(lib, idx, vals, shape, b, w, adj_a, adj_b):
    sp = lib.SparseTensor(lib.constant(idx), vals, lib.constant(shape))
    y = lib.sparse.sparse_dense_matmul(sp, b, adjoint_a=adj_a, adjoint_b=adj_b)
    return _real_loss(lib, y, w)


_ADJOINTS = [(False, False), (True, False), (False, True), (True, True)]


@pytest.mark.parametrize("adj_a,adj_b", _ADJOINTS)
def test_sparse_dense_matmul_complex_gradient_matches_central_differences(adj_a, adj_b):
    idx, vals, shape, b, w = _matmul_data(adj_a, adj_b, np.complex128)
    with tf.Graph().as_default():
        pv, pb = tf.placeholder(tf.complex128, vals.shape), tf.placeholder(tf.complex128, b.shape)
        loss = _matmul_loss(tf, idx, pv, shape, pb, w, adj_a, adj_b)
        feed = {pv: vals, pb: b}
        with tf.Session() as sess:
            got = sess.run(tf.gradients(loss, [pv, pb]), feed)
            num = [_numeric(sess, loss, feed, pv, vals), _numeric(sess, loss, feed, pb, b)]
    for s, n in zip(got, num):
        np.testing.assert_allclose(s, n, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dt", [np.float64, np.complex128])
@pytest.mark.parametrize("adj_a,adj_b", _ADJOINTS)
def test_sparse_dense_matmul_gradient_matches_tensorflow(adj_a, adj_b, dt):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    idx, vals, shape, b, w = _matmul_data(adj_a, adj_b, dt)

    def grads(lib):
        v, bt = lib.constant(vals), lib.constant(b)
        return lib.gradients(_matmul_loss(lib, idx, v, shape, bt, w, adj_a, adj_b), [v, bt])
    g = tf1.Graph()
    with g.as_default(), tf1.Session(graph=g) as sess:
        want = sess.run(grads(tf1))
    with tf.Graph().as_default(), tf.Session() as sess:
        got = sess.run(grads(tf))
    for s, t in zip(got, want):
        assert s.dtype == t.dtype
        np.testing.assert_allclose(s, t, rtol=1e-10, atol=1e-12)


def test_real_sparse_dense_matmul_gradient_builds_no_complex_ops():
    idx, vals, shape, b, w = _matmul_data(True, True, np.float64)
    with tf.Graph().as_default() as g:
        v, bt = tf.constant(vals), tf.constant(b)
        tf.gradients(_matmul_loss(tf, idx, v, shape, bt, w, True, True), [v, bt])
        types = {op.type for op in g.get_operations()}
    assert not {"Conj", "ConjugateTranspose"} & types, types


_SP_IDX = np.array([[0, 0], [0, 2], [1, 1]], np.int64)
_SP_SHAPE = np.array([2, 3], np.int64)


@pytest.mark.parametrize("dense_shape", [(2, 3), (3,)], ids=["same", "broadcast"])
@pytest.mark.parametrize("kind", ["mul", "truediv"])
def test_sparse_dense_cwise_complex_gradient_matches_central_differences(kind, dense_shape):
    vals, dense = _cplx(3, np.complex128), _cplx(dense_shape, np.complex128) + 2
    w = _cplx(3, np.complex128)
    with tf.Graph().as_default():
        pv = tf.placeholder(tf.complex128, vals.shape)
        pd = tf.placeholder(tf.complex128, dense.shape)
        sp = tf.SparseTensor(tf.constant(_SP_IDX), pv, tf.constant(_SP_SHAPE))
        y = sp * pd if kind == "mul" else sp / pd
        loss = _real_loss(tf, y.values, w)
        feed = {pv: vals, pd: dense}
        with tf.Session() as sess:
            got = sess.run(tf.gradients(loss, [pv, pd]), feed)
            num = [_numeric(sess, loss, feed, pv, vals), _numeric(sess, loss, feed, pd, dense)]
    for s, n in zip(got, num):
        np.testing.assert_allclose(s, n, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("op_type", ["SparseDenseCwiseMul", "SparseDenseCwiseDiv"])
def test_tensorflow_has_no_complex_kernel_for_sparse_dense_cwise(op_type):
    """Why the sweep cannot compare these with TF: its OpDef takes complex, no kernel runs it."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from tensorflow.python.framework import errors

    g = tf1.Graph()
    with g.as_default():
        out = getattr(tf1.raw_ops, op_type)(
            sp_indices=tf1.constant(_SP_IDX), sp_values=tf1.constant(_cplx(3, np.complex128)),
            sp_shape=tf1.constant(_SP_SHAPE), dense=tf1.constant(_cplx(3, np.complex128)))
        with tf1.Session(graph=g) as sess, pytest.raises(
                (errors.InvalidArgumentError, errors.NotFoundError), match="No OpKernel"):
            sess.run(out)


# == SparseAdd: complex values with a real threshold =============================================
def _sparse_add(lib, av, bv, thresh):
    a = lib.SparseTensor(lib.constant(np.array([[0], [1]], np.int64)), av,
                         lib.constant(np.array([3], np.int64)))
    b = lib.SparseTensor(lib.constant(np.array([[0], [2]], np.int64)), bv,
                         lib.constant(np.array([3], np.int64)))
    return lib.sparse.add(a, b, thresh)


_AV, _BV = np.array([3 + 4j, 1]), np.array([-3 - 3.5j, 2j])
_W = np.array([1 - 1j, 2 + 1j, 0.5 - 2j])  # weights of the dense sum


def _sparse_add_run(lib, sess_of, thresh):
    av, bv = lib.constant(_AV), lib.constant(_BV)
    s = _sparse_add(lib, av, bv, thresh)
    dense = lib.sparse.to_dense(s)
    loss = lib.reduce_sum(lib.math.real(dense * lib.math.conj(lib.constant(_W))))
    with sess_of() as sess:
        return sess.run([s.indices, s.values] + lib.gradients(loss, [av, bv]))


def test_sparse_add_of_complex_values_drops_small_sums():
    # |(3+4j) + (-3-3.5j)| = 0.5 < 0.6: index 0 drops, and with it its values' gradients.
    with tf.Graph().as_default():
        idx, vals, ga, gb = _sparse_add_run(tf, tf.Session, 0.6)
    np.testing.assert_array_equal(idx, [[1], [2]])
    np.testing.assert_array_equal(vals, [1, 2j])
    np.testing.assert_array_equal(ga, [0, 2 + 1j])
    np.testing.assert_array_equal(gb, [0, 0.5 - 2j])


@pytest.mark.parametrize("thresh", [0.0, 0.4, 0.6])
def test_sparse_add_of_complex_values_matches_tensorflow(thresh):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        want = _sparse_add_run(tf1, lambda: tf1.Session(graph=g), thresh)
    with tf.Graph().as_default():
        got = _sparse_add_run(tf, tf.Session, thresh)
    for s, t in zip(got, want):
        assert s.dtype == t.dtype
        np.testing.assert_array_equal(s, t)
