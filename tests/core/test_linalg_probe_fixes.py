"""Fixes from the linalg probe against TensorFlow 2.21 (tf.compat.v1): raised-cosine windows
and stft with a run-time length, matmul's output_type, frame with a step of 0, MatrixDiagV3's
build-time size checks and static shape, Cross's error class. Values are checked against numpy
or by hand; the TF behaviour matched is noted on each test."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf.errors import FailedPreconditionError, InvalidArgumentError


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _np_raised_cosine(n, periodic, a, b):
    """TF's window: a - b cos(2 pi k / N), N = n - 1, plus 1 when periodic and n is even."""
    if n == 1:
        return np.ones(1)
    big_n = n - 1 + (1 if periodic and n % 2 == 0 else 0)
    return a - b * np.cos(2 * np.pi * np.arange(n) / big_n)


# -- F2: windows and stft with a window length known only at run time --------------------------
@pytest.mark.parametrize("fn, a, b", [(tf.signal.hann_window, 0.5, 0.5),
                                      (tf.signal.hamming_window, 0.54, 0.46)])
def test_raised_cosine_windows_take_a_fed_length(fn, a, b):
    n = tf.placeholder(tf.int32, [])
    windows = {p: fn(n, periodic=p) for p in (True, False)}
    assert windows[True].shape.as_list() == [None]
    for length in (0, 1, 2, 5, 6):
        for periodic, w in windows.items():
            got = _run(w, {n: length})
            np.testing.assert_allclose(got, _np_raised_cosine(length, periodic, a, b),
                                       atol=1e-6, err_msg=f"length {length} {periodic}")
    # TF's example: hann_window(5, periodic=False) == [0, .5, 1, .5, 0]; the static path agrees
    np.testing.assert_allclose(_run(tf.signal.hann_window(n, periodic=False), {n: 5}),
                               [0, 0.5, 1, 0.5, 0], atol=1e-6)
    np.testing.assert_allclose(_run(fn(6)), _run(windows[True], {n: 6}), atol=1e-7)


def test_stft_and_inverse_stft_take_a_fed_frame_length():
    x = np.sin(np.arange(64) / 3.0).astype(np.float32)[None]
    n = tf.placeholder(tf.int32, [])
    st = tf.signal.stft(tf.constant(x), n, 16, fft_length=32)
    inv = tf.signal.inverse_stft(st, n, 16, fft_length=32)
    assert st.shape.as_list()[-1] == 17
    got, got_inv = _run([st, inv], {n: 32})
    # numpy: 3 frames of 32 samples 16 apart, times the periodic Hann window, rfft of 32
    window = _np_raised_cosine(32, True, 0.5, 0.5)
    frames = np.stack([x[0, i * 16:i * 16 + 32] for i in range(3)]) * window
    np.testing.assert_allclose(got[0], np.fft.rfft(frames, 32), atol=1e-4)
    # the same graph with a constant frame length gives the same inverse
    want_inv = _run(tf.signal.inverse_stft(tf.constant(got), 32, 16, fft_length=32))
    np.testing.assert_allclose(got_inv, want_inv, atol=1e-5)


# -- F3: matmul's output_type ------------------------------------------------------------------
def test_matmul_output_type_takes_int8_operands_to_int32():
    a = np.array([[100, -128], [7, 127]], np.int8)
    b = np.array([[127, 2], [-128, 3]], np.int8)
    c = tf.matmul(tf.constant(a), tf.constant(b), output_type=tf.int32)
    # TF 2.21 builds BatchMatMulV3 (Tout=int32) and accumulates in int32 (no int8 wrap-around)
    assert c.op.type == "BatchMatMulV3" and c.dtype == tf.int32 and c.shape.as_list() == [2, 2]
    np.testing.assert_array_equal(_run(c), a.astype(np.int32) @ b.astype(np.int32))
    small = tf.constant([[1, 2], [3, 4]], tf.int8)
    np.testing.assert_array_equal(_run(tf.matmul(small, small, output_type="int32")),
                                  [[7, 10], [15, 22]])
    # mixed (u)int8 operands, a transpose, a batch
    u = tf.constant([[1, 2], [3, 4]], tf.uint8)
    np.testing.assert_array_equal(_run(tf.matmul(u, small, output_type=tf.int32)),
                                  [[7, 10], [15, 22]])
    np.testing.assert_array_equal(
        _run(tf.matmul(small, small, transpose_a=True, output_type=tf.int32)),
        [[10, 14], [14, 20]])
    batched = tf.matmul(tf.reshape(small, [1, 2, 2]), small, adjoint_b=True,
                        output_type=tf.int32)
    assert batched.shape.as_list() == [1, 2, 2]
    np.testing.assert_array_equal(_run(batched), [[[5, 11], [11, 25]]])


def test_matmul_output_type_errors_and_same_dtype():
    f = tf.constant([[1.5, 2.0], [3.0, 4.0]])
    same = tf.matmul(f, f, output_type=tf.float32)  # the operands' dtype: plain MatMul
    assert same.op.type == "MatMul"
    np.testing.assert_allclose(_run(same), [[8.25, 11.0], [16.5, 22.0]])
    # TF builds these and has no CPU kernel at run (rather than truncating 1.5 to 1)
    with pytest.raises(InvalidArgumentError, match="No OpKernel.*BatchMatMulV3"):
        _run(tf.matmul(f, f, output_type=tf.int32))
    i8 = tf.constant([[1, 2], [3, 4]], tf.int8)
    with pytest.raises(InvalidArgumentError, match="Tout=DT_INT64"):
        _run(tf.matmul(i8, i8, output_type=tf.int64))
    with pytest.raises(TypeError, match="Tout"):  # outside BatchMatMulV3's OpDef
        tf.matmul(i8, i8, output_type=tf.uint8)


# -- F4: frame with a step of 0 -----------------------------------------------------------------
@pytest.mark.parametrize("pad_end", [False, True])
def test_frame_step_zero_builds_then_fails_at_run(pad_end):
    frames = tf.signal.frame(tf.zeros([10]), 3, 0, pad_end=pad_end)  # was ZeroDivisionError
    assert frames.shape.as_list() == [0, 3]  # TF's numpy arithmetic: 10 // 0 == 0
    with pytest.raises(InvalidArgumentError, match="division by zero"):
        _run(frames)
    np.testing.assert_array_equal(_run(tf.signal.frame(tf.range(5), 2, 2)), [[0, 1], [2, 3]])


# -- F5: MatrixDiagV3's sizes checked at build, and its static shape ---------------------------
def test_matrix_diag_inconsistent_sizes_fail_at_build():
    d = tf.constant([1.0, 2.0, 3.0])
    ph = tf.placeholder(tf.float32, [None, 3])
    for diag, k in ((d, 0), (d, 1), (ph, 0), (ph, 1)):
        with pytest.raises(ValueError, match="num_rows and num_cols are not consistent"):
            tf.linalg.diag(diag, k=k, num_rows=5, num_cols=6)
    with pytest.raises(ValueError, match="num_rows is too small"):
        tf.linalg.diag(d, num_rows=2)
    with pytest.raises(ValueError, match="num_cols is too small"):
        tf.linalg.diag(d, num_cols=2)
    ok = tf.linalg.diag(d, num_rows=3, num_cols=5)
    assert ok.shape.as_list() == [3, 5]
    np.testing.assert_array_equal(_run(ok), np.eye(3, 5) * [1, 2, 3, 0, 0])


def test_matrix_diag_static_shape_with_a_fed_size():
    d = tf.placeholder(tf.float32, [None, 3])
    r = tf.placeholder(tf.int32, [])
    # TF's shape function counts an unknown num_rows as unset: a square 3 x 3
    out = tf.linalg.diag(d, num_rows=r)
    assert out.shape.as_list() == [None, 3, 3]
    ones = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(_run(out, {d: ones, r: 3}), np.broadcast_to(np.eye(3),
                                                                              (2, 3, 3)))
    assert tf.linalg.diag(d, num_rows=5, num_cols=r).shape.as_list() == [None, 5, 3]
    assert tf.linalg.diag(d, k=1, num_rows=r).shape.as_list() == [None, 4, 4]
    unknown_len = tf.placeholder(tf.float32, [2, None])
    assert tf.linalg.diag(unknown_len, num_rows=5).shape.as_list() == [2, 5, None]
    assert tf.linalg.diag(unknown_len).shape.as_list() == [2, None, None]


# -- F6: Cross of vectors that are not 3-long --------------------------------------------------
def test_cross_of_non_3_vectors_at_run_is_failed_precondition():
    p = tf.placeholder(tf.float32, [3, None])
    with pytest.raises(FailedPreconditionError, match="only defined for 3-element vectors"):
        _run(tf.linalg.cross(p, p), {p: np.ones((3, 4), np.float32)})
    q = tf.placeholder(tf.float32)
    with pytest.raises(InvalidArgumentError, match="at least 1D"):
        _run(tf.linalg.cross(q, q), {q: np.float32(1)})
    v = np.array([[1.0, 2.0, 3.0]], np.float32)
    w = np.array([[4.0, 5.0, 6.0]], np.float32)
    p3 = tf.placeholder(tf.float32, [None, None])
    np.testing.assert_allclose(_run(tf.linalg.cross(p3, tf.constant(w)), {p3: v}),
                               np.cross(v, w))
