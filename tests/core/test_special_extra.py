"""special_extra_ops (Igamma, Igammac, IgammaGradA, Betainc, Zeta, the Bessel functions, Dawsn,
Expint, FresnelCos/Sin, Spence) and signal.kaiser_window / kaiser_bessel_derived_window.

Known constants and TF's edge values run without TensorFlow; the wide grids, the gradients and
a GraphDef round trip are side by side with tf.compat.v1 (skipped without it)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minitf as tf
from minitf import errors
from minitf.ops import special_extra_ops as se

UNARY = ["bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "bessel_j0", "bessel_j1",
         "bessel_y0", "bessel_y1", "bessel_k0", "bessel_k0e", "bessel_k1", "bessel_k1e",
         "dawsn", "expint", "fresnel_cos", "fresnel_sin", "spence"]


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _eval(fn, *args, dtype=np.float64):
    with tf.Graph().as_default():
        return _run(fn(*[tf.constant(np.asarray(a, dtype)) for a in args]))


# == known values, no TensorFlow ===================================================================
def test_known_constants():
    x = np.array([0.0, 0.5, 2.0, 7.0])
    np.testing.assert_allclose(_eval(se.igamma, 1.0, x), 1 - np.exp(-x), rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(_eval(se.igammac, 1.0, x), np.exp(-x), rtol=1e-14)
    np.testing.assert_allclose(_eval(se.igamma, 0.5, x), [math.erf(math.sqrt(v)) for v in x],
                               rtol=1e-13)
    np.testing.assert_allclose(_eval(se.zeta, [2.0, 4.0], 1.0), [np.pi ** 2 / 6, np.pi ** 4 / 90],
                               rtol=1e-14)
    np.testing.assert_allclose(_eval(se.betainc, 3.0, 3.0, 0.5), 0.5, rtol=1e-14)
    np.testing.assert_allclose(_eval(se.betainc, 2.0, 1.0, 0.3), 0.09, rtol=1e-14)
    np.testing.assert_allclose(_eval(se.spence, [0.0, 1.0, 2.0]),
                               [np.pi ** 2 / 6, 0.0, -np.pi ** 2 / 12], rtol=1e-14, atol=1e-16)
    ones = [se.bessel_i0, se.bessel_i0e, se.bessel_j0]
    zeros = [se.bessel_i1, se.bessel_i1e, se.bessel_j1, se.dawsn, se.fresnel_cos, se.fresnel_sin]
    for fn in ones + zeros:
        assert _eval(fn, 0.0) == (1.0 if fn in ones else 0.0), fn.__name__
    # I0e(x) -> 1 / sqrt(2 pi x) and K0e(x) -> sqrt(pi / (2 x)) for large x.
    np.testing.assert_allclose(_eval(se.bessel_i0e, 1e8), 1 / math.sqrt(2e8 * np.pi), rtol=1e-8)
    np.testing.assert_allclose(_eval(se.bessel_k0e, 1e8), math.sqrt(np.pi / 2e8), rtol=1e-8)
    # J0(x)^2 + Y0(x)^2 ~ 2 / (pi x) and the Wronskian J1 Y0 - J0 Y1 = 2 / (pi x).
    x = np.array([0.7, 3.0, 12.0, 24.9, 25.1, 80.0])
    j0, j1, y0, y1 = (_eval(f, x) for f in (se.bessel_j0, se.bessel_j1, se.bessel_y0,
                                             se.bessel_y1))
    np.testing.assert_allclose(j1 * y0 - j0 * y1, 2 / (np.pi * x), rtol=1e-12)


def test_tf_edge_values():
    # TF 2.21 gave these (its Eigen kernels' conventions, including the odd ones).
    inf, nan = np.inf, np.nan
    cases = {
        se.bessel_j0: ([inf, -inf], [nan, nan]),
        se.bessel_y0: ([-1.0, 0.0, inf], [-inf, -inf, nan]),
        se.bessel_k1: ([-1.0, 0.0, inf], [inf, inf, 0.0]),
        se.bessel_i0: ([710.0, inf], [inf, nan]),
        se.expint: ([-1.0, 0.0, inf, 710.0], [nan, -inf, nan, inf]),
        se.spence: ([-1.0, inf], [nan, nan]),
        se.fresnel_sin: ([40000.0, -40000.0], [0.5, -0.5]),
    }
    for fn, (x, want) in cases.items():
        np.testing.assert_array_equal(_eval(fn, x), want, err_msg=fn.__name__)
    np.testing.assert_array_equal(_eval(se.igamma, [inf, -1.0, 2.0, 1.0], [inf, 1.0, 0.0, -1.0]),
                                  [0.0, nan, 0.0, nan])
    np.testing.assert_array_equal(_eval(se.igammac, [inf, inf], [inf, 3.0]), [0.0, 1.0])
    np.testing.assert_array_equal(_eval(se.zeta, [1.0, 0.5, 2.0, 2.5, 3.0],
                                        [2.0, 2.0, -2.0, -1.5, -2.0]),
                                  [inf, nan, inf, nan, nan])
    np.testing.assert_array_equal(_eval(se.betainc, nan, 2.0, [0.0, 1.0, 0.5]), [0.0, 1.0, nan])
    np.testing.assert_array_equal(_eval(se.betainc, [-1.0, 2.0], 2.0, [0.5, 1.5]), [nan, nan])


def test_dtypes_and_names():
    with tf.Graph().as_default():
        for dt in (tf.float16, tf.float32, tf.float64):
            y = se.bessel_k1e(tf.constant([1.0, 2.0], dt))
            assert y.dtype == dt
        assert se.bessel_j0(tf.constant(1.0)).op.name == "bessel_j0/BesselJ0"
        assert se.igamma(1.0, 2.0).op.name == "Igamma"
        assert se.betainc(1.0, 2.0, 0.5, name="b").op.name == "b"
        np.testing.assert_allclose(_run(se.bessel_i1e(tf.constant(np.float16(1.5)))),
                                   0.2190, rtol=1e-3)
    assert se.special.bessel_y1 is se.bessel_y1 and se.special.spence is se.spence
    assert set(se.__all__) == {"betainc", "igamma", "igammac", "zeta"}


def test_bad_inputs():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="not in list of allowed values"):
            se.bessel_i0(tf.constant([1, 2]))
        with pytest.raises(TypeError, match="allowed values: float32, float64"):
            se.zeta(tf.constant([1.0], tf.float16), tf.constant([1.0], tf.float16))
        with pytest.raises(ValueError, match="a, b and x are inconsistent"):
            se.betainc(tf.ones([2]), tf.ones([3]), 0.5)
        a = tf.placeholder(tf.float64, None)
        z = se.betainc(a, tf.ones([3], tf.float64), tf.constant(0.5, tf.float64))
        with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError,
                                                 match="Shapes of a, b, and x are inconsistent"):
            sess.run(z, {a: np.ones(2)})
        with pytest.raises(ValueError, match="Dimensions must be equal"):
            se.igamma(tf.ones([2]), tf.ones([3]))


def test_gradients_known():
    with tf.Graph().as_default():
        x = tf.constant([0.0, 0.5, 2.0], tf.float64)
        q = tf.constant(2.0, tf.float64)
        grads = tf.gradients([tf.reduce_sum(se.bessel_j1(x)), tf.reduce_sum(se.bessel_i1e(x)),
                              se.zeta(tf.constant(3.0, tf.float64), q)], [x, q])
        dj1, dz = _run([tf.gradients(tf.reduce_sum(se.bessel_j1(x)), x)[0], grads[1]])
        np.testing.assert_allclose(dj1[0], 0.5)  # TF's imputed value at 0
        np.testing.assert_allclose(dz, -3 * _eval(se.zeta, 4.0, 2.0), rtol=1e-14)
        assert tf.gradients(se.zeta(q, q), q)[0] is not None
        with pytest.raises(LookupError):
            tf.gradients(se.igamma_grad_a(q, q), q)


def test_kaiser_windows():
    with tf.Graph().as_default():
        one, k, kbd = _run([tf.signal.kaiser_window(1), tf.signal.kaiser_window(7, 4.0),
                            tf.signal.kaiser_bessel_derived_window(8, 5.0, tf.float64)])
    np.testing.assert_array_equal(one, [1.0])
    n = np.arange(7) - 3
    want = [_eval(se.bessel_i0, 4.0 * math.sqrt(1 - (v / 3) ** 2)) / _eval(se.bessel_i0, 4.0)
            for v in n]
    np.testing.assert_allclose(k, want, rtol=1e-6)
    np.testing.assert_allclose(kbd[:4] ** 2 + kbd[4:] ** 2, 1.0, rtol=1e-12)  # Princen-Bradley
    with pytest.raises(ValueError, match="floating point"):
        tf.signal.kaiser_window(4, dtype=tf.int32)


# == side by side with TensorFlow ==================================================================
_GRID = np.concatenate([[0.0, -0.0, 1e-300, 1e-10, -1e-5, 1.0, -1.0, 24.99, 25.01, 700.0],
                        np.linspace(-60, 60, 481), np.geomspace(1e-6, 1e5, 120)])


def _tf_values(name, args, dtype):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        fn = getattr(tf1.math.special, name, None) or getattr(tf1.math, name)
        out = fn(*[tf1.constant(np.asarray(a, dtype)) for a in args])
        with tf1.Session(graph=g) as sess:
            return sess.run(out)


def _assert_close(ours, theirs, rtol, atol, msg):
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=msg)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=msg)


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_unary_vs_tf(name, dtype):
    x = _GRID.astype(dtype)
    if dtype == np.float32:  # TF's float32 kernels: ~1e-7 relative, absolute near the zeros
        x = x[np.abs(x) < 80]
        if name in ("bessel_y0", "bessel_y1"):
            x = x[x > 1e-30]  # TF's float32 Y gives nan or -inf there at random; float64 -inf
    theirs = _tf_values(name, [x], dtype)
    ours = _eval(getattr(se, name), x, dtype=dtype)
    assert ours.dtype == dtype
    scale = 1e-12 if dtype == np.float64 else 1e-6
    _assert_close(ours, theirs, 1e-6 if dtype == np.float64 else 2e-6, scale, name)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_vs_tf(dtype):
    a_vals = np.concatenate([[0.0, -1.0, np.inf, np.nan, 1e-8], np.geomspace(0.01, 1e4, 30)])
    x_vals = np.concatenate([[0.0, -1.0, np.inf, np.nan], np.geomspace(1e-4, 2e4, 35)])
    a, x = (v.ravel() for v in np.meshgrid(a_vals, x_vals))
    # TF's float32 kernels iterate in float32 (ours in float64): they stray to ~1e-3 at worst.
    for name in ("igamma", "igammac"):
        _assert_close(_eval(getattr(se, name), a, x, dtype=dtype), _tf_values(name, [a, x], dtype),
                      1e-6 if dtype == np.float64 else 2e-3, 1e-12 if dtype == np.float64 else
                      2e-6, name)
    s = np.concatenate([[1.0, 0.5, 2.0, 3.0, 1.5], np.geomspace(1.01, 60, 15)])
    q = np.concatenate([[0.0, -1.0, -1.5, 1e-3], np.geomspace(0.01, 1e4, 20)])
    s, q = (v.ravel() for v in np.meshgrid(s, q))
    if dtype == np.float32:  # TF's float32 zeta answers nan or inf at q <= 0 unpredictably
        s, q = s[q > 0], q[q > 0]
    _assert_close(_eval(se.zeta, s, q, dtype=dtype), _tf_values("zeta", [s, q], dtype),
                  1e-6 if dtype == np.float64 else 2e-5, 0 if dtype == np.float64 else 1e-35,
                  "zeta")
    ab = np.concatenate([[1e-2], np.geomspace(0.1, 500, 9)])
    xs = np.concatenate([[0.0, 1.0, 1e-6], np.linspace(0.02, 0.98, 9)])
    a, b, x = (v.ravel() for v in np.meshgrid(ab, ab, xs))
    _assert_close(_eval(se.betainc, a, b, x, dtype=dtype), _tf_values("betainc", [a, b, x], dtype),
                  1e-6 if dtype == np.float64 else 1e-3, 1e-12 if dtype == np.float64 else 1e-6,
                  "betainc")  # TF's float32 betainc loses up to ~6e-4 at large a, b


def test_gradients_vs_tf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    x = np.array([0.3, 1.0, 2.5, 7.0, 30.0])
    a = np.array([[0.5], [2.0], [9.0]])
    results = []
    for lib, ns in ((tf, se), (tf1, None)):
        g = lib.Graph()
        with g.as_default():
            xt, at = lib.constant(x), lib.constant(a)
            outs = []
            for name in UNARY:
                fn = getattr(ns or tf1.math.special, name)
                outs.append(lib.gradients(lib.reduce_sum(fn(xt)), xt)[0])
            for name in ("igamma", "igammac", "zeta"):
                fn = getattr(ns or tf1.math, name)
                y = fn(at + 1.0, xt) if name == "zeta" else fn(at, xt)
                outs.extend(lib.gradients(lib.reduce_sum(y), [at, xt]))
            bt = lib.constant(np.array([1.5, 4.0, 0.7, 2.0, 3.0]))
            y = (ns or tf1.math).betainc(bt, bt + 1.0, xt / 31.0)
            outs.append(lib.gradients(lib.reduce_sum(y), xt)[0])
            with lib.Session(graph=g) as sess:
                results.append(sess.run([o for o in outs if o is not None]))
    assert len(results[0]) == len(results[1])
    for i, (m, t) in enumerate(zip(*results)):
        np.testing.assert_allclose(m, t, rtol=1e-6, atol=1e-12, err_msg=str(i))


def test_graphdef_round_trip_with_tf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    x = np.array([0.2, 1.5, 4.0, 30.0], np.float32)
    ours = tf.Graph()
    with ours.as_default():
        xt = tf.placeholder(tf.float32, [4], name="x")
        outs = [getattr(se, n)(xt) for n in UNARY]
        outs += [se.igamma(xt, xt), se.igammac(xt, 2.0), se.igamma_grad_a(xt, xt),
                 se.zeta(xt + 1.0, xt), se.betainc(xt, xt, 0.3)]
        outs.append(tf.signal.kaiser_window(6, 3.0))
        outs.append(tf.signal.kaiser_bessel_derived_window(6, 3.0))
        names = [tf.identity(o, name=f"out{i}").name for i, o in enumerate(outs)]
        with tf.Session() as sess:
            mine = sess.run(names, {"x:0": x})
    theirs_graph = tf1.Graph()
    with theirs_graph.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(ours.as_graph_def().SerializeToString()),
                             name="")
        with tf1.Session(graph=theirs_graph) as sess:
            theirs = sess.run(names, {"x:0": x})
    for name, m, t in zip(names, mine, theirs):
        np.testing.assert_allclose(m, t, rtol=2e-5, atol=1e-7, err_msg=name)  # TF's f32
        assert m.dtype == t.dtype, name


def test_tf1_names():
    assert tf.igamma is tf.math.igamma and tf.igammac is tf.math.igammac
    assert tf.betainc is tf.math.betainc and tf.zeta is tf.math.zeta
    got = tf.Session().run([tf.math.zeta(2.0, 1.0), tf.math.bessel_i0(0.0),
                            tf.math.special.bessel_j0(0.0)])
    np.testing.assert_allclose(got, [np.pi ** 2 / 6, 1.0, 1.0], rtol=1e-6)
