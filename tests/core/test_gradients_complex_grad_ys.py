"""tf.gradients of a complex y needs grad_ys, as in TF: without them it is a TypeError naming
the tensor (ones would pick one of the conventions for complex derivatives silently). Real ys
keep their default of ones. Against tf.compat.v1: the same messages."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

from .legacy_tf import tf1_shape_spellings


def _messages(lib):
    """The TypeError of each call that leaves a complex y without grad_ys."""
    out = []
    with lib.Graph().as_default():
        x = lib.constant([1j, 2.0])
        partial = lib.placeholder(lib.complex64, [None, 2])
        unknown = lib.placeholder(lib.complex64)
        scalar = lib.placeholder(lib.complex128, [])
        real = lib.constant(1.0)
        for call in (lambda: lib.gradients(lib.tanh(x), x),
                     lambda: lib.gradients(partial * partial, partial),
                     lambda: lib.gradients(unknown * unknown, unknown),
                     lambda: lib.gradients(scalar * scalar, scalar),
                     lambda: lib.gradients([real * 2.0, lib.exp(x)], [real, x],
                                           grad_ys=[None, None])):
            with pytest.raises(TypeError) as info:
                call()
            out.append(str(info.value))
    return out


def test_complex_y_without_grad_ys_is_a_type_error():
    messages = _messages(tf)
    assert messages[0] == ('Gradients of complex tensors (Tensor("Tanh:0", shape=(2,), '
                           'dtype=complex128)) must set grad_ys (y.dtype = complex128)')
    assert 'shape=(?, 2), dtype=complex64)' in messages[1]
    assert messages[2].startswith(  # unknown rank: no shape, as TF's str()
        'Gradients of complex tensors (Tensor("mul_1:0", dtype=complex64))')
    assert 'shape=(), dtype=complex128)) must set grad_ys (y.dtype = complex128)' in messages[3]
    assert messages[4].startswith('Gradients of complex tensors (Tensor("Exp:0"')


def test_complex_y_with_grad_ys_and_real_ys_without():
    """Given grad_ys, the complex gradient is TF's (conj of the derivative times them); a real
    y beside it still gets ones."""
    x = tf.constant([1j, 2.0])
    w = tf.constant([1.0 + 2j, -1j])
    real = tf.constant([0.5, 3.0])
    gx, greal = tf.gradients([tf.exp(x), tf.square(real)], [x, real], grad_ys=[w, None])
    with tf.Session() as sess:
        got_x, got_real = sess.run([gx, greal])
    xv = np.array([1j, 2.0])
    np.testing.assert_allclose(got_x, np.conj(np.exp(xv)) * np.array([1.0 + 2j, -1j]))
    np.testing.assert_allclose(got_real, 2 * np.array([0.5, 3.0]))
    assert tf.gradients(tf.real(tf.exp(x)), x)[0].dtype == tf.complex128  # a real y: fine


def test_complex_messages_against_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1_shape_spellings():  # TF 1.x's "(?, 2)", as minitf's
        want = _messages(tf1)
    assert _messages(tf) == want


def test_message_names_the_device_as_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def message(lib):
        with lib.Graph().as_default(), lib.device("/cpu:0"):
            x = lib.constant([1j])
            with pytest.raises(TypeError) as info:
                lib.gradients(lib.exp(x), x)
            return str(info.value)

    assert message(tf) == message(tf1)
