"""Complex numbers and FFTs: the complex64/complex128 dtypes, feeding and fetching, Const and
TensorProto encoding (TF's scomplex_val/dcomplex_val), checkpoints, the complex ops, arithmetic
and FFT ops on complex tensors, and gradients of real losses through them (TF's convention: the
gradient with respect to z = x + iy is dL/dx + i dL/dy). Values are checked against numpy and
central differences; side by side with tf.compat.v1 where TensorFlow is installed, including
GraphDefs that go to TF and back."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import minitf as tf
from minitf import dtypes
from minitf.errors import InvalidArgumentError
from minitf.ops import complex_ops as cops
from minitf.ops import fft_ops as fops

R = np.random.default_rng(5)


def _c(*shape, dtype=np.complex128):
    return (R.standard_normal(shape) + 1j * R.standard_normal(shape)).astype(dtype)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_complex_tensors_are_backpropagated():
    """core/gradients.py treats complex tensors as differentiable (TF's _IsBackpropagatable:
    floating or complex), so the gradient tests below run rather than skip."""
    trainable = sys.modules["minitf.gradients"]._is_trainable
    for d in (dtypes.complex64, dtypes.complex128, dtypes.float32):
        assert trainable(type("T", (), {"dtype": d})())
    assert not trainable(type("T", (), {"dtype": dtypes.int32})())


# == dtypes ========================================================================================
def test_complex_dtypes_have_tf_enums_names_and_real_types():
    for d, enum, npt, real in ((dtypes.complex64, 8, np.complex64, dtypes.float32),
                               (dtypes.complex128, 18, np.complex128, dtypes.float64)):
        assert d.as_datatype_enum == enum and d.as_numpy_dtype is npt and d.real_dtype is real
        assert d.is_complex and not d.is_floating and not d.is_integer and d.size == npt(0).nbytes
        assert dtypes.as_dtype(d.name) is d and dtypes.as_dtype(enum) is d
        assert dtypes.as_dtype(np.dtype(npt)) is d and dtypes.as_dtype(enum + 100) is d  # _REF
        assert repr(d) == f"tf.{d.name}"
    assert dtypes.float32.real_dtype is dtypes.float32 and not dtypes.float64.is_complex
    with pytest.raises(TypeError, match="Cannot find minimum value of <dtype: 'complex64'>"):
        _ = dtypes.complex64.min
    with pytest.raises(TypeError, match="maximum"):
        _ = dtypes.complex128.max


def test_feed_fetch_and_const_keep_complex_values():
    x = np.array([[1 + 2j, -3.5 + 0.25j]], np.complex64)
    with tf.Graph().as_default():
        c = tf.constant(x)
        p = tf.placeholder(dtypes.complex128, [None])
        assert c.dtype == dtypes.complex64 and p.dtype == dtypes.complex128
        got_c, got_p = _run([c, p * 2], {p: np.array([1j, 2 - 1j])})
    assert got_c.dtype == np.complex64 and np.array_equal(got_c, x)
    np.testing.assert_array_equal(got_p, [2j, 4 - 2j])


# == TensorProto =================================================================================
def test_tensor_proto_encodes_complex_as_tf_does():
    from minitf.export import make_ndarray, make_tensor_proto

    # TF 2.21 gave these bytes (tensor_util.make_tensor_proto): packed (re, im) pairs in
    # scomplex_val / dcomplex_val, never tensor_content
    got = make_tensor_proto(np.array([1 + 2j, 3 + 4j], np.complex64)).SerializeToString()
    assert got == (b"\x08\x08\x12\x04\x12\x02\x08\x02J\x10\x00\x00\x80?\x00\x00\x00@\x00\x00@@"
                   b"\x00\x00\x80@")
    got = make_tensor_proto(np.complex128(1 + 2j)).SerializeToString()
    assert got == b"\x08\x12\x12\x00b\x10" + np.array([1.0, 2.0], "<f8").tobytes()
    for x in (_c(2, 3, dtype=np.complex64), _c(4), np.zeros((0, 2), np.complex64)):
        back = make_ndarray(make_tensor_proto(x))
        assert back.dtype == x.dtype and np.array_equal(back, x)


def test_tensor_proto_decodes_content_fill_rule_and_refuses_odd_pairs():
    from minitf.export import make_ndarray
    from minitf.protos import tensor_pb2

    proto = tensor_pb2.TensorProto(dtype=8)
    proto.tensor_shape.dim.add().size = 3
    proto.scomplex_val.extend([1, 2])  # one pair fills the shape (TF's last-value rule)
    np.testing.assert_array_equal(make_ndarray(proto), [1 + 2j] * 3)
    proto.scomplex_val.append(5)
    with pytest.raises(InvalidArgumentError, match=r"\(real, imaginary\) pairs, got 3"):
        make_ndarray(proto)
    content = tensor_pb2.TensorProto(dtype=18, tensor_content=np.array([1 - 1j, 2j]).tobytes())
    content.tensor_shape.dim.add().size = 2
    np.testing.assert_array_equal(make_ndarray(content), [1 - 1j, 2j])


def test_checkpoint_round_trips_complex_variables(tmp_path):
    value = _c(2, 3, dtype=np.complex64)
    for version in (None, tf.train.SaverDef.V2):
        prefix = str(tmp_path / f"m{version}")
        with tf.Graph().as_default():
            v = tf.Variable(value, name="v")
            saver = tf.train.Saver(write_version=version)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                sess.run(v.assign(v * 1j))
                saver.save(sess, prefix)
        with tf.Graph().as_default():
            v = tf.Variable(np.zeros((2, 3), np.complex64), name="v")
            with tf.Session() as sess:
                tf.train.Saver().restore(sess, prefix)
                np.testing.assert_array_equal(sess.run(v), value * 1j)
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    np.testing.assert_array_equal(tf1.train.load_checkpoint(prefix).get_tensor("v"), value * 1j)


# == ops: values and wrappers ====================================================================
def test_wrappers_build_tf_ops_and_handle_real_inputs_as_tf():
    re, im = R.standard_normal((2, 3)), R.standard_normal(3)
    with tf.Graph().as_default():
        z = cops.complex(re, im)
        r = tf.constant([-2.0, 0.0, 3.0])
        outs = [cops.real(z), cops.imag(z), cops.angle(z), tf.abs(z), cops.conj(z),
                cops.real(r), cops.imag(r), cops.angle(r)]
        assert z.op.type == "Complex" and z.dtype == dtypes.complex128
        assert tf.abs(z).op.type == "ComplexAbs" and tf.abs(z).op.name.startswith("Abs")
        assert cops.real(r) is r and cops.conj(r) is r  # no op for a real tensor, as TF
        got = _run(outs)
    zz = re + 1j * im
    for g, w in zip(got, [zz.real, zz.imag, np.angle(zz), np.abs(zz), np.conj(zz), [-2, 0, 3],
                          [0, 0, 0], [np.pi, 0, 0]]):
        np.testing.assert_allclose(g, w, rtol=1e-12 if g.dtype == np.float64 else 1e-6)
    assert got[2].dtype == np.float64 and got[7].dtype == np.float32


def test_wrapper_errors_name_the_problem():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="incorrect types: float32 float64"):
            cops.complex(tf.constant(1.0), tf.constant(1.0, tf.float64))
        with pytest.raises(TypeError, match="Expected numeric or variant tensor"):
            cops.conj(tf.constant("a"))
        with pytest.raises(TypeError, match="parameter 'real' has DataType int32"):
            cops.COMPLEX(tf.constant(1), tf.constant(2))
        with pytest.raises(TypeError, match="parameter 'input' has DataType float32"):
            cops.REAL(tf.constant(1.0), Tout=tf.float32)
        with pytest.raises(InvalidArgumentError, match="Tout=float32 is not the real type"):
            cops.REAL(tf.constant(np.complex128(1j)), Tout=tf.float32)


def test_complex_arithmetic_matmul_reductions_and_cast_match_numpy():
    a, b, m = _c(3, 4), _c(4), _c(4, 2)
    with tf.Graph().as_default():
        ta, tb, tm = tf.constant(a), tf.constant(b), tf.constant(m)
        outs = [ta + tb, ta - tb, ta * tb, ta / tb, -ta, tf.square(ta), tf.exp(ta), tf.log(ta),
                tf.sqrt(ta), tf.reciprocal(ta), tf.reduce_sum(ta, 1), tf.reduce_mean(ta, 0),
                tf.matmul(ta, tm), tf.matmul(ta, ta, adjoint_b=True),
                tf.matmul(tf.reshape(ta, [1, 3, 4]), tf.reshape(ta, [1, 3, 4]), adjoint_a=True),
                tf.transpose(ta), tf.concat([ta, ta], 0), tf.cast(ta, tf.float64),
                tf.cast(tf.constant([1.5, -2.0]), dtypes.complex64),
                tf.squared_difference(ta, tb), tf.reduce_prod(ta, 1)]
        got = _run(outs)
    want = [a + b, a - b, a * b, a / b, -a, a * a, np.exp(a), np.log(a), np.sqrt(a), 1 / a,
            a.sum(1), a.mean(0), a @ m, a @ a.conj().T, (a.conj().T @ a)[None], a.T,
            np.concatenate([a, a]), a.real, np.array([1.5, -2.0], np.complex64),
            (a - b) * np.conj(a - b), a.prod(1)]
    for i, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=1e-12, err_msg=str(i))
        assert np.asarray(g).dtype == np.asarray(w).dtype, i


# == FFT wrappers ==================================================================================
def test_fft_wrappers_infer_fft_length_pad_and_name_nodes_as_tf():
    x = R.standard_normal((2, 6))
    with tf.Graph().as_default():
        px = tf.placeholder(tf.float64, [None, None])
        spec = fops.rfft(tf.constant(x))
        padded = fops.rfft(tf.constant(x), [9])  # padded with tf.pad before RFFT, as TF's wrapper
        dynamic = fops.rfft(px)
        back = fops.irfft(spec)
        assert spec.op.name == "rfft" and spec.dtype == dtypes.complex128
        assert spec.shape.as_list() == [2, 4] and padded.shape.as_list() == [2, 5]
        assert padded.op.inputs[0].op.type == "Pad" and back.shape.as_list() == [2, 6]
        assert fops.fft(spec).op.type == "FFT" and fops.spectral.rfft is fops.rfft
        got = _run([spec, padded, dynamic, back, fops.fft2d(tf.constant(_c(3, 4)))], {px: x})
    np.testing.assert_allclose(got[0], np.fft.rfft(x), rtol=1e-12)
    np.testing.assert_allclose(got[1], np.fft.rfft(x, 9), rtol=1e-12)
    np.testing.assert_allclose(got[2], got[0], rtol=1e-12)
    np.testing.assert_allclose(got[3], x, rtol=1e-12, atol=1e-12)


def test_fft_errors_name_the_problem():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="parameter 'input' has DataType float32"):
            fops.FFT(tf.constant([1.0, 2.0]))
        with pytest.raises(ValueError, match="RFFT requires tf.float32 or tf.float64"):
            fops.rfft(tf.constant(np.array([1j, 2j])))
        with pytest.raises(ValueError, match="IRFFT requires tf.complex64 or tf.complex128"):
            fops.irfft(tf.constant([1.0, 2.0]))
        with pytest.raises(InvalidArgumentError, match="at least rank 2"):
            fops.FFT2D(tf.constant(np.ones(3, np.complex64)))
        with pytest.raises(InvalidArgumentError, match="fft_length must be non-negative"):
            fops.RFFT(tf.constant([1.0, 2.0]), [-1])
        with pytest.raises(InvalidArgumentError, match=r"Shape must be \[2\]"):
            fops.RFFT2D(tf.constant(np.ones((2, 2), np.float32)), [2])
        n = tf.placeholder(tf.int32, [1])
        y = fops.RFFT(tf.constant([1.0, 2.0]), n)
        with pytest.raises(InvalidArgumentError, match="fft_length must be non-negative"):
            _run(y, {n: [-3]})


def test_rfft3d_has_no_gradient_as_in_tf():
    with tf.Graph().as_default():
        x = tf.constant(np.ones((2, 2, 2), np.float32))
        with pytest.raises(LookupError, match="No gradient defined.*RFFT3D"):
            tf.gradients(tf.reduce_sum(cops.real(fops.rfft3d(x))), x)


# == gradients ====================================================================================
def _numeric_grad(loss_of, x, eps=1e-6):
    """dL/dRe + i dL/dIm (TF's convention) by central differences, for real or complex x."""
    parts = [1.0, 1j] if np.iscomplexobj(x) else [1.0]
    g = np.zeros_like(x)
    for j in np.ndindex(*x.shape):
        for unit in parts:
            d = np.zeros_like(x)
            d[j] = eps * unit
            g[j] += unit * (loss_of(x + d) - loss_of(x - d)) / (2 * eps)
    return g


_GRAD_CASES = {
    "complex": (lambda a, b: cops.complex(cops.real(a), b), [_c(2, 3), R.standard_normal(3)]),
    "real_imag": (lambda a: cops.complex(cops.real(a) * cops.imag(a), cops.imag(a)), [_c(2, 3)]),
    "angle_abs": (lambda a: cops.complex(cops.angle(a), tf.abs(a)), [_c(2, 3)]),
    "conj_transpose": (lambda a: cops.CONJUGATE_TRANSPOSE(a, [1, 0]) * cops.conj(a[0, 0]),
                       [_c(2, 3)]),
    "arith": (lambda a, b: a * b / (a + 3.0) - tf.square(b) + tf.exp(a) * tf.log(b)
              + tf.sqrt(a) * tf.reciprocal(b) + tf.tanh(a) + tf.sigmoid(b), [_c(2, 3), _c(3)]),
    "matmul": (lambda a, b: tf.matmul(a, b, adjoint_b=True) + tf.matmul(
        tf.reshape(a, [1, 2, 3]), tf.reshape(b, [1, 2, 3]), transpose_b=True), [_c(2, 3),
                                                                                 _c(2, 3)]),
    "prod": (lambda a: tf.reduce_prod(a, 1, keepdims=True) * tf.reduce_prod(a), [_c(2, 3)]),
    "fft": (lambda a: fops.fft(a) + fops.ifft(a) * 2.0, [_c(2, 5)]),
    "fft2d": (lambda a: fops.fft2d(a) * fops.ifft2d(a), [_c(3, 4)]),
    "fft3d": (lambda a: fops.fft3d(a) + fops.ifft3d(a), [_c(2, 2, 3)]),
    "rfft": (lambda x: fops.rfft(x) * fops.rfft(x, [9]), [R.standard_normal((2, 8))]),
    "rfft_odd_cropped": (lambda x: fops.RFFT(x, [5], Tcomplex=dtypes.complex128),
                         [R.standard_normal((2, 7))]),
    "rfft2d": (lambda x: fops.rfft2d(x), [R.standard_normal((3, 5))]),
    "irfft": (lambda a: cops.complex(fops.irfft(a), fops.irfft(a, [7])[..., :6]), [_c(2, 4)]),
    "irfft2d": (lambda a: cops.complex(fops.irfft2d(a), fops.irfft2d(a)), [_c(3, 4)]),
}


def _real_loss(out, weights):
    return tf.reduce_sum(cops.real(out) * weights[0] + cops.imag(out) * weights[1])


@pytest.mark.parametrize("name", sorted(_GRAD_CASES))
def test_gradients_through_complex_ops_numerically(name):
    build, arrays = _GRAD_CASES[name]
    with tf.Graph().as_default():
        phs = [tf.placeholder(tf.as_dtype(a.dtype), a.shape) for a in arrays]
        out = build(*phs)
        w = [R.standard_normal(out.shape.as_list()) for _ in range(2)]
        loss = _real_loss(out, w)
        grads = tf.gradients(loss, phs)
        with tf.Session() as sess:
            got = sess.run(grads, dict(zip(phs, arrays)))
            for k, (g, a) in enumerate(zip(got, arrays)):
                def loss_of(v, k=k):
                    feed = dict(zip(phs, arrays))
                    feed[phs[k]] = v
                    return sess.run(loss, feed)
                assert g.dtype == a.dtype
                np.testing.assert_allclose(g, _numeric_grad(loss_of, a), rtol=1e-5, atol=1e-6,
                                           err_msg=f"{name} input {k}")


# == against TensorFlow ==========================================================================
def _tf_value_grad(lib, mod, arrays, build):
    g = lib.Graph()
    with g.as_default():
        phs = [lib.placeholder(lib.as_dtype(a.dtype), a.shape) for a in arrays]
        out = build(lib, mod, *phs)
        w = [np.linspace(-1, 1, out.shape.num_elements()).reshape(out.shape.as_list())] * 2
        loss = lib.reduce_sum(mod.real(out) * w[0] + mod.imag(out) * w[1] * 0.5)
        fetch = [out] + lib.gradients(loss, phs)
        with lib.Session(graph=g) as sess:
            return sess.run(fetch, dict(zip(phs, arrays)))


_VS_TF = {
    "fft_ops": (lambda L, m, a, x: m.fft(a) * m.ifft2d(a) + m.rfft(x, [12])[..., :4]
                * m.complex(m.irfft(a, [7])[..., :4], m.angle(a)), [_c(3, 4), _c(3, 10).real]),
    "complex_ops": (lambda L, m, a, x: m.conj(a) * m.complex(L.abs(a), x) / (a + 1.0)
                    + L.matmul(a, a, adjoint_a=True)[:3, :] + L.exp(m.complex(x, x))
                    + L.squared_difference(a, m.complex(x, -x)),
                    [_c(3, 4), _c(3, 4).real]),
}


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("name", sorted(_VS_TF))
def test_values_and_gradients_match_tensorflow(name, dtype):
    tf2 = pytest.importorskip("tensorflow")
    tf1 = tf2.compat.v1
    build, arrays = _VS_TF[name]
    arrays = [a.astype(dtype if np.iscomplexobj(a) else np.dtype(dtype).char.lower())
              for a in arrays]
    mine_mod = type("M", (), {**{n: getattr(cops, n) for n in cops.__all__},
                              **{n: getattr(fops, n) for n in ("fft", "ifft2d", "rfft", "irfft")}})
    theirs_mod = type("T", (), {**{n: getattr(tf1, n) for n in cops.__all__},  # TF1 root names
                                **{n: getattr(tf2.signal, n) for n in ("fft", "ifft2d", "rfft",
                                                                        "irfft")}})
    mine = _tf_value_grad(tf, mine_mod, arrays, build)
    theirs = _tf_value_grad(tf1, theirs_mod, arrays, build)
    tol = 1e-4 if dtype == np.complex64 else 1e-12
    for m, t in zip(mine, theirs):
        assert m.dtype == t.dtype
        np.testing.assert_allclose(m, t, rtol=tol, atol=tol)


def test_graph_def_with_complex_consts_and_fft_ops_runs_in_tensorflow_and_back():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from minitf.protos import graph_pb2

    consts = [_c(2, 4, dtype=np.complex64), np.complex128(1 - 2j), _c(3)]
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(dtypes.complex64, [2, 4], name="x")
        r = tf.placeholder(tf.float32, [None, 6], name="r")
        a = tf.constant(consts[0], name="a")
        s = tf.constant(consts[1], name="s")
        v = tf.constant(consts[2], name="v")
        outs = {
            "fft": fops.fft(x * a), "ifft2d": fops.ifft2d(x),
            "fft3d": fops.fft3d(tf.reshape(x, [1, 2, 4])),
            "rfft": fops.rfft(r, [8]), "irfft": fops.irfft(x, [5]), "rfft2d": fops.rfft2d(r),
            "irfft2d": fops.irfft2d(x), "rfft3d": fops.rfft3d(tf.reshape(r, [-1, 2, 3])),
            "ops": cops.angle(x) + cops.real(cops.conj(x)) + cops.imag(x) + tf.abs(x),
            "cplx": cops.complex(r, r), "s": s * v, "ct": cops.CONJUGATE_TRANSPOSE(x, [1, 0]),
        }
        for k, t in outs.items():
            tf.identity(t, name="out_" + k)
    fetches = ["out_" + k + ":0" for k in outs]
    feed = {"x:0": _c(2, 4, dtype=np.complex64),
            "r:0": R.standard_normal((2, 6)).astype(np.float32)}
    with tf.Session(graph=g) as sess:
        mine = sess.run(fetches, feed)
    theirs_graph = tf1.Graph()
    with theirs_graph.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(g.as_graph_def().SerializeToString()),
                             name="")
        with tf1.Session(graph=theirs_graph) as sess:
            theirs = sess.run(fetches, feed)
        back = theirs_graph.as_graph_def().SerializeToString()
    for name, m, t in zip(fetches, mine, theirs):
        assert m.dtype == t.dtype, name
        np.testing.assert_allclose(m, t, rtol=1e-5, atol=1e-5, err_msg=name)
    with tf.Graph().as_default():
        tf.import_graph_def(graph_pb2.GraphDef.FromString(back), name="")
        again = _run(fetches, feed)
    for name, m, t in zip(fetches, again, theirs):
        np.testing.assert_allclose(m, t, rtol=1e-5, atol=1e-5, err_msg=name)


def test_tensorflow_written_complex_consts_import(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from minitf.protos import graph_pb2

    value = _c(3, 2)
    g = tf1.Graph()
    with g.as_default():
        tf1.identity(tf1.signal.fft2d(tf1.constant(value)), name="y")
        tf1.constant(np.complex64(2 + 1j), shape=[4], name="filled")
    path = os.path.join(tmp_path, "g.pb")
    with open(path, "wb") as f:
        f.write(g.as_graph_def().SerializeToString())
    with tf.Graph().as_default():
        with open(path, "rb") as f:
            tf.import_graph_def(graph_pb2.GraphDef.FromString(f.read()), name="")
        y, filled = _run(["y:0", "filled:0"])
    np.testing.assert_allclose(y, np.fft.fft2(value), rtol=1e-12)
    np.testing.assert_array_equal(filled, np.full(4, 2 + 1j, np.complex64))


def test_python_complex_constants_transpose_conjugate_and_math_names():
    c = tf.constant([[1 + 2j, 3 - 1j], [0.5j, 2]])
    assert c.dtype == tf.complex128  # TF: Python complex numbers are complex128
    t = tf.transpose(c, conjugate=True)
    assert t.op.type == "ConjugateTranspose"
    adj = tf.linalg.adjoint(c)
    want = np.conj(np.array([[1 + 2j, 3 - 1j], [0.5j, 2]])).T
    with tf.Session() as sess:
        got_t, got_adj, re, im = sess.run([t, adj, tf.math.real(c), tf.math.imag(c)])
    np.testing.assert_array_equal(got_t, want)
    np.testing.assert_array_equal(got_adj, want)
    np.testing.assert_array_equal(re, [[1, 3], [0, 2]])
    np.testing.assert_array_equal(im, [[2, -1], [0.5, 0]])
    assert tf.math.conj is tf.conj and tf.math.angle is tf.angle
    assert tf.transpose(tf.constant([[1.0, 2.0]]), conjugate=True).op.type == "Transpose"
