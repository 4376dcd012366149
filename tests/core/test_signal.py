"""tf.signal: frame, overlap_and_add, windows, stft/inverse_stft, the mel matrix, MFCCs,
dct/idct, mdct, fftshift, checked against the defining formulas in numpy, against
tf.compat.v1 (values and gradients), and as a GraphDef pipeline run by TensorFlow."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import minitf as tf
from minitf import signal as sig
from minitf.ops import complex_ops as cops

R = np.random.default_rng(11)

_BACKPROP = sys.modules["minitf.gradients"]._is_trainable(
    type("T", (), {"dtype": tf.dtypes.complex64})())
needs_backprop = pytest.mark.skipif(not _BACKPROP, reason="core/gradients.py _is_trainable "
                                    "does not yet accept complex dtypes")


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _eval(fn, *arrays):
    with tf.Graph().as_default():
        return _run(fn(*[tf.constant(a) for a in arrays]))


# == against the formulas ========================================================================
def test_frame_and_overlap_and_add_match_index_loops():
    x = R.standard_normal((2, 17))
    got, padded, axis1 = _eval(lambda t: [sig.frame(t, 5, 3), sig.frame(t, 5, 3, pad_end=True,
                                                                     pad_value=-1.0),
                                          sig.frame(tf.reshape(t, [2, 17, 1]), 4, 6, axis=1)], x)
    np.testing.assert_array_equal(got, np.stack([x[:, i:i + 5] for i in range(0, 13, 3)], 1))
    ext = np.concatenate([x, -np.ones((2, 3))], 1)  # ceil(17 / 3) = 6 frames need 20 samples
    np.testing.assert_array_equal(padded, np.stack([ext[:, i:i + 5] for i in range(0, 16, 3)], 1))
    assert axis1.shape == (2, 3, 4, 1)
    frames = R.standard_normal((3, 4, 7))
    for step in (3, 7, 2):
        want = np.zeros((3, 7 + step * 3))
        for f in range(4):
            want[:, f * step:f * step + 7] += frames[:, f]
        np.testing.assert_allclose(_eval(lambda t, s=step: sig.overlap_and_add(t, s), frames),
                                   want, rtol=1e-12)


def test_windows_match_their_formulas():
    n = np.arange(8)
    hann, hann_sym, hamming_sym, one = _eval(lambda: [
        sig.hann_window(8, dtype=tf.float64), sig.hann_window(7, periodic=False, dtype=tf.float64),
        sig.hamming_window(9, periodic=False, dtype=tf.float64), sig.hann_window(1)])
    np.testing.assert_allclose(hann, 0.5 - 0.5 * np.cos(2 * np.pi * n / 8), atol=1e-15)
    np.testing.assert_allclose(hann_sym, np.hanning(7), atol=1e-15)
    np.testing.assert_allclose(hamming_sym, np.hamming(9), atol=1e-15)
    np.testing.assert_array_equal(one, [1.0])
    vorbis = _eval(lambda: sig.vorbis_window(8, dtype=tf.float64))
    np.testing.assert_allclose(vorbis, np.sin(np.pi / 2 * np.sin(np.pi * (n + 0.5) / 8) ** 2))


def test_stft_is_windowed_rfft_of_frames_and_inverse_stft_reconstructs():
    x = R.standard_normal((2, 64))
    spec, back = _eval(lambda t: [sig.stft(t, 12, 4), sig.inverse_stft(
        sig.stft(t, 12, 4), 12, 4, window_fn=sig.inverse_stft_window_fn(4))], x)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(12) / 12)
    frames = np.stack([x[:, i:i + 12] for i in range(0, 53, 4)], 1)
    np.testing.assert_allclose(spec, np.fft.rfft(frames * window, 16), rtol=1e-10, atol=1e-12)
    assert spec.dtype == np.complex128
    # samples covered by a full set of overlapping windows come back exactly
    np.testing.assert_allclose(back[:, 8:56], x[:, 8:56], rtol=1e-10, atol=1e-12)


def _hz_to_mel(f):
    return 1127.0 * np.log(1.0 + f / 700.0)


def test_linear_to_mel_weight_matrix_is_htk_triangles():
    got = _eval(lambda: sig.linear_to_mel_weight_matrix(6, 17, 8000, 100.0, 3000.0, tf.float64))
    freqs = _hz_to_mel(np.linspace(0, 4000, 17))
    edges = np.linspace(_hz_to_mel(100.0), _hz_to_mel(3000.0), 8)
    want = np.zeros((17, 6))
    for m in range(6):
        lo, mid, hi = edges[m:m + 3]
        want[1:, m] = np.maximum(0, np.minimum((freqs[1:] - lo) / (mid - lo),
                                               (hi - freqs[1:]) / (hi - mid)))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def _dct_ref(x, kind):
    n = x.shape[-1]
    k, j = np.arange(n)[:, None], np.arange(n)[None, :]
    if kind == 1:
        m = 2 * np.cos(np.pi * k * j / (n - 1))
        m[:, 0], m[:, -1] = 1, (-1.0) ** np.arange(n)
    elif kind == 2:
        m = 2 * np.cos(np.pi * k * (2 * j + 1) / (2 * n))
    elif kind == 3:
        m = 2 * np.cos(np.pi * j * (2 * k + 1) / (2 * n))
        m[:, 0] = 1
    else:
        m = 2 * np.cos(np.pi * (2 * j + 1) * (2 * k + 1) / (4 * n))
    return x @ m.T


def test_dct_types_and_norms_match_the_cosine_sums():
    x = R.standard_normal((3, 7))
    got = _eval(lambda t: [sig.dct(t, type=k) for k in (1, 2, 3, 4)] + [
        sig.idct(sig.dct(t, norm="ortho"), norm="ortho"), sig.idct(sig.dct(t, type=3), type=3),
        sig.dct(t, n=5), sig.dct(t, n=9), sig.mfccs_from_log_mel_spectrograms(t),
        sig.dct(t, type=4, norm="ortho")], x)
    for k in (1, 2, 3, 4):
        np.testing.assert_allclose(got[k - 1], _dct_ref(x, k), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[4], x, rtol=1e-10, atol=1e-12)  # ortho: exact inverse
    np.testing.assert_allclose(got[5], 2 * 7 * x, rtol=1e-10)  # unnormalised: 2N x
    np.testing.assert_allclose(got[6], _dct_ref(x[:, :5], 2), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[7], _dct_ref(np.pad(x, [(0, 0), (0, 2)]), 2), atol=1e-12)
    np.testing.assert_allclose(got[8], _dct_ref(x, 2) / np.sqrt(2 * 7), rtol=1e-10)
    np.testing.assert_allclose(got[9], _dct_ref(x, 4) * np.sqrt(0.5 / 7), rtol=1e-10)


def test_mdct_round_trip_and_fftshift():
    x = R.standard_normal((2, 48))
    back, shifted, unshifted = _eval(lambda t: [
        sig.inverse_mdct(sig.mdct(t, 8)), sig.fftshift(t[:, :5]),
        sig.ifftshift(sig.fftshift(t[:, :5]))],
        x)
    np.testing.assert_allclose(back[:, 4:44], x[:, 4:44], rtol=1e-10, atol=1e-12)  # TDAC
    np.testing.assert_array_equal(shifted, np.fft.fftshift(x[:, :5], axes=(0, 1)))
    np.testing.assert_array_equal(unshifted, x[:, :5])


def test_signal_errors_name_the_problem():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="at least rank 1"):
            sig.frame(tf.constant(1.0), 2, 1)
        with pytest.raises(ValueError, match="frame_step must be an integer"):
            sig.overlap_and_add(tf.zeros([2, 3]), tf.constant(1.0))
        with pytest.raises(ValueError, match="dtype must be a floating point type"):
            sig.hann_window(4, dtype=tf.int32)
        with pytest.raises(ValueError, match="Types I, II, III and IV"):
            sig.dct(tf.zeros([4]), type=5)
        with pytest.raises(ValueError, match="Normalization is not supported for the Type-I"):
            sig.dct(tf.zeros([4]), type=1, norm="ortho")
        with pytest.raises(NotImplementedError, match="axis must be -1"):
            sig.idct(tf.zeros([4, 4]), axis=0)
        with pytest.raises(ValueError, match="upper_edge_hertz must not be larger than the "
                                             "Nyquist"):
            sig.linear_to_mel_weight_matrix(4, 9, 8000, 10.0, 5000.0)
        with pytest.raises(ValueError, match="lower_edge_hertz 300.0 >= upper_edge_hertz"):
            sig.linear_to_mel_weight_matrix(4, 9, 8000, 300.0, 200.0)
        with pytest.raises(ValueError, match="The frame length must be a multiple of 4"):
            sig.mdct(tf.zeros([20]), 6)


# == against TensorFlow ==========================================================================
def _pipeline(lib, smod, x):
    """A speech front end: |stft| -> mel -> log -> MFCCs (and a reconstruction)."""
    spec = smod.stft(x, 32, 16, pad_end=True)
    mags = lib.abs(spec)
    mel = lib.tensordot(mags, smod.linear_to_mel_weight_matrix(
        8, 17, 8000, 60.0, 3900.0, dtype=x.dtype), 1)
    mfcc = smod.mfccs_from_log_mel_spectrograms(lib.log(mel + 1e-3))
    back = smod.inverse_stft(spec, 32, 16, window_fn=smod.inverse_stft_window_fn(16))
    return [mfcc, back, smod.dct(x[..., :10], type=3, norm="ortho"), smod.frame(x, 7, 5)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stft_mfcc_pipeline_values_and_gradients_match_tensorflow(dtype):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    x = R.standard_normal((2, 200)).astype(dtype)
    results = []
    for lib, mod in ((tf, sig), (tf1, tf1.signal)):
        g = lib.Graph()
        with g.as_default():
            ph = lib.placeholder(lib.as_dtype(dtype), x.shape)
            outs = _pipeline(lib, mod, ph)
            if _BACKPROP:
                outs += lib.gradients(lib.add_n([lib.reduce_sum(lib.sin(o)) for o in outs]), ph)
            with lib.Session(graph=g) as sess:
                results.append(sess.run(outs, {ph: x}))
    tol = 2e-4 if dtype == np.float32 else 1e-10
    for i, (m, t) in enumerate(zip(*results)):
        assert m.shape == t.shape and m.dtype == t.dtype, i
        np.testing.assert_allclose(m, t, rtol=tol, atol=tol, err_msg=str(i))


def test_pipeline_graph_def_runs_in_tensorflow_and_back():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from minitf.protos import graph_pb2

    x = R.standard_normal((2, 120)).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        ph = tf.placeholder(tf.float32, [None, 120], name="x")
        for i, t in enumerate(_pipeline(tf, sig, ph)):
            tf.identity(t, name=f"out{i}")
        tf.identity(cops.angle(sig.stft(ph, 16, 8, fft_length=20)), name="phase")
    fetches = [f"out{i}:0" for i in range(4)] + ["phase:0"]
    with tf.Session(graph=g) as sess:
        mine = sess.run(fetches, {"x:0": x})
    theirs_graph = tf1.Graph()
    with theirs_graph.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(g.as_graph_def().SerializeToString()),
                             name="")
        with tf1.Session(graph=theirs_graph) as sess:
            theirs = sess.run(fetches, {"x:0": x})
        back = theirs_graph.as_graph_def().SerializeToString()
    for m, t in zip(mine, theirs):
        np.testing.assert_allclose(m, t, rtol=2e-4, atol=2e-4)
    with tf.Graph().as_default():
        tf.import_graph_def(graph_pb2.GraphDef.FromString(back), name="")
        again = _run(fetches, {"x:0": x})
    for m, t in zip(again, theirs):
        np.testing.assert_allclose(m, t, rtol=2e-4, atol=2e-4)
