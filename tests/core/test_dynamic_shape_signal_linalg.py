"""Graphs whose shapes are known only at run time, and complex inputs, through functions TF
writes in Python: ``tf.linalg.expm`` (dims unknown while building; complex64/complex128),
``tf.tensordot`` (unknown rank; axes as a tensor), ``tf.signal.frame``/``stft``/
``inverse_stft`` (unknown rank; a tensor axis), and ``tf.as_string`` on complex values.
References: numpy (eig, tensordot, slicing, rfft), hand-written strings, and tf.compat.v1
side by side in a process of its own (skipped without TensorFlow)."""

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import run_against_tf

R = np.random.default_rng(7)


def _run(fetches, feed):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _expm_ref(a):
    """exp of each (diagonalizable) matrix: V diag(exp(w)) V^-1."""
    a = np.asarray(a)
    w, v = np.linalg.eig(a)
    out = v @ (np.exp(w)[..., :, None] * np.linalg.inv(v))
    return out if a.dtype.kind == "c" else out.real


def _shape(t):
    dims = t.shape.as_tuple()
    return None if dims is None else list(dims)


# -- expm ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype,shape,feed,static", [
    (tf.float64, [None, None], (3, 3), [None, None]),
    (tf.float32, [2, None, 3], (2, 3, 3), [2, None, 3]),
    (tf.float64, [None, 2, None], (1, 2, 2), [None, 2, None]),
    (tf.float64, None, (2, 4, 4), None),
])
def test_expm_with_dims_unknown_while_building(dtype, shape, feed, static):
    with tf.Graph().as_default():
        a = tf.placeholder(dtype, shape)
        e = tf.linalg.expm(a)
        assert _shape(e) == static
        v = R.standard_normal(feed) * 1.5  # norms past the Pade bounds: squarings run
        got = _run(e, {a: v})
        tol = 1e-4 if dtype == tf.float32 else 1e-10
        np.testing.assert_allclose(got, _expm_ref(v), rtol=tol, atol=tol)


def test_expm_of_identity_with_unknown_dims():
    with tf.Graph().as_default():
        a = tf.placeholder(tf.float64, [None, None])
        np.testing.assert_allclose(_run(tf.linalg.expm(a), {a: np.eye(2)}), np.e * np.eye(2))


def test_expm_gradient_and_logm_with_unknown_dims():
    """d sum(expm(A) * C) / dA against central differences of the eig reference; logm
    undoes expm (small norms: the principal logarithm)."""
    v = R.standard_normal((3, 3))
    c = R.standard_normal((3, 3))
    with tf.Graph().as_default():
        a = tf.placeholder(tf.float64, [None, None])
        e = tf.linalg.expm(a)
        grad = tf.gradients(tf.reduce_sum(e * c), a)[0]
        back = tf.linalg.logm(tf.cast(e, tf.complex128))
        g, lv = _run([grad, back], {a: v * 0.3})
    want = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            d = np.zeros((3, 3))
            d[i, j] = 1e-6
            want[i, j] = ((_expm_ref(v * 0.3 + d) - _expm_ref(v * 0.3 - d)) * c).sum() / 2e-6
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(lv, v * 0.3, atol=1e-10)


@pytest.mark.parametrize("dtype,shape,tol", [
    (tf.complex128, [None, None], 1e-10), (tf.complex64, [2, 3, 3], 2e-4),
    (tf.complex128, [2, 3, 3], 1e-10),
])
def test_expm_of_complex_matrices(dtype, shape, tol):
    feed = (3, 3) if shape[0] is None else tuple(shape)
    v = (R.standard_normal(feed) + 1j * R.standard_normal(feed)) * 1.5
    with tf.Graph().as_default():
        a = tf.placeholder(dtype, shape)
        e = tf.linalg.expm(a)
        assert e.dtype == dtype
        got = _run(e, {a: v.astype(dtype.as_numpy_dtype)})
    np.testing.assert_allclose(got, _expm_ref(v.astype(dtype.as_numpy_dtype)), rtol=tol,
                               atol=tol * 10)


def test_expm_gradient_of_complex_matrix():
    """TF's convention for a real loss L of complex z = x + iy: dL/dx + i dL/dy."""
    v = (R.standard_normal((2, 2)) + 1j * R.standard_normal((2, 2))) * 0.5
    with tf.Graph().as_default():
        a = tf.placeholder(tf.complex128, [None, None])
        loss = tf.reduce_sum(tf.square(tf.abs(tf.linalg.expm(a))))
        g = _run(tf.gradients(loss, a)[0], {a: v})

    def loss_ref(m):
        return (np.abs(_expm_ref(m)) ** 2).sum()

    want = np.zeros((2, 2), complex)
    for i in range(2):
        for j in range(2):
            for unit in (1, 1j):
                d = np.zeros((2, 2), complex)
                d[i, j] = 1e-6 * unit
                want[i, j] += unit * (loss_ref(v + d) - loss_ref(v - d)) / 2e-6
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-7)


def test_expm_still_rejects_integers():
    with tf.Graph().as_default(), pytest.raises(ValueError, match="int32"):
        tf.linalg.expm(tf.zeros([2, 2], tf.int32))


# -- tensordot -----------------------------------------------------------------------------
@pytest.mark.parametrize("x_shape,feed,b_shape,axes,np_axes", [
    (None, (2, 4), (4, 3), 1, 1),
    (None, (2, 4), (4, 3), [[1], [0]], ([1], [0])),
    (None, (2, 4), (4, 3), [[-1], [0]], ([1], [0])),
    (None, (2, 3, 4), (3, 4, 5), 2, 2),
    (None, (2, 3, 4), (4, 2), [[2, 0], [0, 1]], ([2, 0], [0, 1])),
    (None, (2, 4), (5,), 0, 0),
    (None, (3,), (3,), 1, 1),
    ([None, 4], (2, 4), (4, 3), "tensor", ([1], [0])),
    (None, (2, 4), (4, 3), "tensor", ([1], [0])),
])
def test_tensordot_with_unknown_rank_or_tensor_axes(x_shape, feed, b_shape, axes, np_axes):
    xv = R.standard_normal(feed).astype(np.float32)
    bv = R.standard_normal(b_shape).astype(np.float32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, x_shape)
        if axes == "tensor":  # known only when the graph runs
            axes = tf.placeholder_with_default(np.array([[1], [0]], np.int32), [2, 1])
        y = tf.tensordot(x, tf.constant(bv), axes)
        c = R.standard_normal(np.tensordot(xv, bv, np_axes).shape).astype(np.float32)
        gx = tf.gradients(tf.reduce_sum(y * c), x)[0]
        got, got_gx = _run([y, gx], {x: xv})
    want = np.tensordot(xv, bv, np_axes)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # d sum(y * c) / dx, from numpy: every x entry's coefficient
    want_gx = np.zeros_like(xv)
    flat = want_gx.reshape(-1)
    for i in range(flat.size):
        e = np.zeros(xv.size, np.float32)
        e[i] = 1
        flat[i] = (np.tensordot(e.reshape(xv.shape), bv, np_axes) * c).sum()
    np.testing.assert_allclose(got_gx, want_gx, rtol=1e-5, atol=1e-5)


def test_tensordot_static_shapes():
    with tf.Graph().as_default():
        b = tf.ones([4, 3])
        assert _shape(tf.tensordot(tf.placeholder(tf.float32), b, 1)) is None
        assert _shape(tf.tensordot(tf.placeholder(tf.float32, [None, 4]), b, 1)) == [None, 3]
        assert _shape(tf.tensordot(tf.ones([2, 4]), b, tf.constant([[1], [0]]))) == [2, 3]
        axes = tf.placeholder_with_default(np.array([[1], [0]], np.int32), [2, 1])
        assert _shape(tf.tensordot(tf.ones([2, 4]), b, axes)) is None
        with pytest.raises(ValueError, match="axes"):
            tf.tensordot(tf.placeholder(tf.float32), b, 3)


# -- frame / stft / inverse_stft -----------------------------------------------------------
def _frame_ref(x, n, step, axis, pad_end=False, pad_value=0.0):
    """Frames by slicing: ``axis`` becomes (frames, samples)."""
    length = x.shape[axis]
    count = -(-length // step) if pad_end else max(0, 1 + (length - n) // step)
    if pad_end:
        widths = [(0, 0)] * x.ndim
        widths[axis] = (0, max(0, n + step * (count - 1) - length))
        x = np.pad(x, widths, constant_values=pad_value)
    if not count:
        return np.zeros(x.shape[:axis] + (0, n) + x.shape[axis + 1:], x.dtype)
    return np.stack([np.take(x, range(f * step, f * step + n), axis=axis)
                     for f in range(count)], axis=axis)


@pytest.mark.parametrize("feed,n,step,axis,pad_end", [
    ((10,), 4, 2, -1, False), ((10,), 4, 3, -1, True), ((7, 2), 3, 2, 0, False),
    ((2, 7, 3), 3, 2, 1, False), ((2, 7, 3), 3, 2, -2, True), ((2, 3), 5, 2, -1, True),
    ((3,), 5, 2, -1, False),
])
@pytest.mark.parametrize("axis_kind", ["int", "tensor"])
def test_frame_with_unknown_rank(feed, n, step, axis, pad_end, axis_kind):
    xv = R.standard_normal(feed).astype(np.float32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32)
        ax = axis if axis_kind == "int" else tf.placeholder_with_default(np.int32(axis), [])
        y = tf.signal.frame(x, n, step, pad_end=pad_end, pad_value=7.0, axis=ax)
        assert _shape(y) is None
        got = _run(y, {x: xv})
    want = _frame_ref(xv, n, step, axis % len(feed), pad_end, 7.0)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_frame_static_shapes_with_a_tensor_axis():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 7, 3])
        dynamic = tf.placeholder_with_default(np.int32(1), [])
        assert _shape(tf.signal.frame(x, 3, 2, axis=dynamic)) == [None] * 4
        assert _shape(tf.signal.frame(x, 3, 2, axis=tf.constant(1))) == [2, 3, 3, 3]
        y = tf.signal.frame(x, 3, 2, axis=dynamic)
        xv = R.standard_normal((2, 7, 3)).astype(np.float32)
        np.testing.assert_array_equal(_run(y, {x: xv}), _frame_ref(xv, 3, 2, 1))
        with pytest.raises(ValueError, match="rank 0"):
            tf.signal.frame(x, 3, 2, axis=tf.constant([1]))


def test_stft_and_inverse_stft_with_unknown_rank():
    xv = R.standard_normal((2, 1000)).astype(np.float32)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(256) / 256)  # periodic Hann
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32)
        s = tf.signal.stft(x, 256, 128)
        back = tf.signal.inverse_stft(s, 256, 128,
                                      window_fn=tf.signal.inverse_stft_window_fn(128))
        got, got_back = _run([tf.abs(s), back], {x: xv})
    frames = _frame_ref(xv.astype(np.float64), 256, 128, 1) * window
    np.testing.assert_allclose(got, np.abs(np.fft.rfft(frames, 256)), rtol=1e-4, atol=1e-3)
    assert got_back.shape == (2, 128 * 6 + 128)
    # the interior (covered by two frames) is reconstructed
    np.testing.assert_allclose(got_back[:, 128:-128], xv[:, 128:768], atol=1e-4)


# -- as_string of complex values -----------------------------------------------------------
@pytest.mark.parametrize("kwargs,want", [
    ({}, [b"(3.000000,-4.000000)", b"(-0.500000,0.000000)", b"(inf,-inf)"]),
    ({"precision": 2}, [b"(3.00,-4.00)", b"(-0.50,0.00)", b"(inf,-inf)"]),
    ({"scientific": True}, [b"(3.000000e+00,-4.000000e+00)", b"(-5.000000e-01,1.000000e-07)",
                            b"(inf,-inf)"]),
    ({"shortest": True}, [b"(3,-4)", b"(-0.5,1e-07)", b"(inf,-inf)"]),
    ({"width": 7, "fill": "0", "precision": 1},
     [b"(00003.0,-0004.0)", b"(-0000.5,00000.0)", b"(    inf,   -inf)"]),
    ({"width": 6, "fill": "-", "precision": 1},
     [b"(3.0   ,-4.0  )", b"(-0.5  ,0.0   )", b"(inf   ,-inf  )"]),
    ({"fill": "+", "shortest": True}, [b"(+3,-4)", b"(-0.5,+1e-07)", b"(+inf,-inf)"]),
])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_as_string_of_complex(kwargs, want, dtype):
    v = np.array([3 - 4j, -0.5 + 1e-7j, complex(np.inf, -np.inf)], dtype)
    with tf.Graph().as_default():
        got = _run(tf.as_string(tf.constant(v), **kwargs), None)
    assert list(got) == want


def test_as_string_of_complex_checks_attrs():
    with tf.Graph().as_default():
        x = tf.constant([1 + 2j])
        with pytest.raises(tf.errors.InvalidArgumentError, match="both scientific"):
            _run(tf.as_string(x, scientific=True, shortest=True), None)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Fill argument"):
            _run(tf.as_string(x, fill="x"), None)


# -- side by side with tf.compat.v1 --------------------------------------------------------
_VS_TF = r'''
import os
import numpy as np
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1
import minitf as mtf
tf1.disable_eager_execution()

R = np.random.default_rng(1)
M3 = R.standard_normal((3, 3)) * 1.5
C3 = (R.standard_normal((2, 3, 3)) + 1j * R.standard_normal((2, 3, 3))) * 1.5
X24 = R.standard_normal((2, 4)).astype(np.float32)
X234 = R.standard_normal((2, 3, 4)).astype(np.float32)
B43 = R.standard_normal((4, 3)).astype(np.float32)
B345 = R.standard_normal((3, 4, 5)).astype(np.float32)
B432 = R.standard_normal((4, 3, 2)).astype(np.float32)
SIG = R.standard_normal((2, 1000)).astype(np.float32)
S273 = R.standard_normal((2, 7, 3)).astype(np.float32)


def dyn(tf, v):  # an int32 scalar/array known only at run time
    v = np.asarray(v, np.int32)
    return tf.placeholder_with_default(v, v.shape)


def cases(tf):
    """name -> (placeholder dtype, placeholder shape, value, fn(x) -> output tensor)."""
    return {
        "expm_none_none": (tf.float64, [None, None], M3, lambda x: tf.linalg.expm(x)),
        "expm_2_none_3": (tf.float32, [2, None, 3], np.stack([M3, -M3]).astype(np.float32),
                          lambda x: tf.linalg.expm(x)),
        "expm_unknown_rank": (tf.float64, None, np.stack([M3, M3.T]),
                              lambda x: tf.linalg.expm(x)),
        "expm_complex128": (tf.complex128, [None, 3, 3], C3, lambda x: tf.linalg.expm(x)),
        "expm_complex64": (tf.complex64, [2, 3, 3], C3.astype(np.complex64),
                           lambda x: tf.linalg.expm(x)),
        "logm_expm": (tf.float64, [None, None], M3 * 0.3,
                      lambda x: tf.linalg.logm(tf.cast(tf.linalg.expm(x), tf.complex128))),
        "tensordot_int": (tf.float32, None, X24, lambda x: tf.tensordot(x, B43, 1)),
        "tensordot_list": (tf.float32, None, X24,
                           lambda x: tf.tensordot(x, B43, [[-1], [0]])),
        "tensordot_2": (tf.float32, None, X234, lambda x: tf.tensordot(x, B345, 2)),
        "tensordot_perm": (tf.float32, None, X234,
                           lambda x: tf.tensordot(x, B432, [[2, 1], [0, 1]])),
        "tensordot_outer": (tf.float32, None, X24, lambda x: tf.tensordot(x, B43[0], 0)),
        "tensordot_dyn_axes": (tf.float32, [None, 4], X24,
                               lambda x: tf.tensordot(x, B43, dyn(tf, [[1], [0]]))),
        "tensordot_const_axes": (tf.float32, [2, 4], X24,
                                 lambda x: tf.tensordot(x, B43, tf.constant([[1], [0]]))),
        "frame_unknown_rank": (tf.float32, None, S273,
                               lambda x: tf.signal.frame(x, 3, 2, axis=1)),
        "frame_pad_end": (tf.float32, None, S273,
                          lambda x: tf.signal.frame(x, 3, 2, True, 5.0, axis=-2)),
        "frame_tensor_axis": (tf.float32, [2, 7, 3], S273,
                              lambda x: tf.signal.frame(x, 3, 2, axis=dyn(tf, 1))),
        "frame_const_axis": (tf.float32, [2, None, 3], S273,
                             lambda x: tf.signal.frame(x, 3, 2, axis=tf.constant(1))),
        "stft": (tf.float32, None, SIG, lambda x: tf.abs(tf.signal.stft(x, 256, 128))),
        "stft_pad": (tf.float32, None, SIG[0],
                     lambda x: tf.abs(tf.signal.stft(x, 200, 80, pad_end=True))),
        "inverse_stft": (tf.float32, None, SIG, lambda x: tf.signal.inverse_stft(
            tf.signal.stft(x, 64, 16), 64, 16,
            window_fn=tf.signal.inverse_stft_window_fn(16))),
    }


def run(tf):
    out = {}
    for name, (dtype, shape, value, fn) in cases(tf).items():
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(dtype, shape)
            y = fn(x)
            real = tf.abs(y) if y.dtype.is_complex else y
            if name.startswith("logm"):  # MatrixLogarithm has no gradient (in TF neither)
                grad = tf.identity(real)
            else:
                grad = tf.gradients(tf.reduce_sum(tf.square(real)), x)[0]
                grad = tf.convert_to_tensor(grad)  # frame's gather: dense, as TF's
            shape = None if y.shape.ndims is None else [d for d in y.shape.as_list()]
            with tf.Session(graph=g) as sess:
                out[name] = (shape, sess.run([y, grad], {x: value}))
    strings = {}
    v = np.array([3 - 4j, -0.5 + 1e-7j, 12345.678, complex(np.inf, -np.nan)])
    combos = [{}, {"precision": 3}, {"scientific": True}, {"shortest": True},
              {"width": 11, "fill": "0"}, {"width": 9, "fill": "-", "precision": 2},
              {"fill": " ", "shortest": True, "precision": 4},
              {"fill": "#", "scientific": True, "precision": 0}]
    for dt in (np.complex64, np.complex128):
        for i, kw in enumerate(combos):
            g = tf.Graph()
            with g.as_default(), tf.Session(graph=g) as sess:
                strings[f"as_string_{np.dtype(dt).name}_{i}"] = list(
                    sess.run(tf.as_string(tf.constant(v.astype(dt)), **kw)))
    return out, strings


ours, ours_s = run(mtf)
theirs, theirs_s = run(tf1)
for name in theirs:
    (s1, (y1, g1)), (s2, (y2, g2)) = ours[name], theirs[name]
    tol = 2e-4 if y2.dtype in (np.float32, np.complex64) else 1e-9
    problems = []
    if s1 != s2:
        problems.append(f"static shape {s1} vs TF {s2}")
    for what, a, b in (("value", y1, y2), ("gradient", g1, g2)):
        if a.shape != b.shape or a.dtype != b.dtype:
            problems.append(f"{what} {a.shape} {a.dtype} vs TF {b.shape} {b.dtype}")
        elif not np.allclose(a, b, rtol=tol, atol=tol * np.abs(b).max(initial=1.0)):
            problems.append(f"{what} differs by {np.abs(a - b).max()}")
    print(name, "OK" if not problems else "DIFF " + "; ".join(problems))
bad = [k for k in theirs_s if ours_s[k] != theirs_s[k]]
print("as_string", "OK" if not bad else f"DIFF {[(k, ours_s[k], theirs_s[k]) for k in bad]}")
'''


def test_against_tensorflow(tmp_path):
    """Values, gradients and static shapes of the cases above agree with tf.compat.v1."""
    run_against_tf("dynamic_shape_signal_linalg_vs_tf.py", cases=21, source=_VS_TF,
                   tmp_path=tmp_path)
