"""Node names of Python inputs to the complex-aware wrappers (TF's Abs/x, Conj/x, FFT/input),
and conversions that would drop an imaginary part (TF raises TypeError)."""

import pytest

import minitf as tf


def test_python_values_get_tf_node_names_and_complex_is_never_dropped():
    # TF names the Consts of Python inputs under the op: Abs/x, Conj/x, FFT/input.
    g = tf.Graph()
    with g.as_default():
        tf.abs([-1.0, 2.0])
        tf.abs([1 + 2j])
        tf.conj([1.0, 2.0])
        tf.fft([1j, 2])
        names = [op.name for op in g.get_operations()]
        assert names == ["Abs/x", "Abs", "Abs_1/x", "Abs_1", "Conj/x", "FFT/input", "FFT"]
        # TF raises TypeError rather than keep only the real part.
        with pytest.raises(TypeError, match=r"Expected float32, but got \(1\+2j\)"):
            tf.constant(1 + 2j, tf.float32)
        with pytest.raises(TypeError):
            tf.constant([1.0, 2.0]) * 1j


def test_real_and_imag_of_a_scalar_are_scalars():
    got = tf.Session().run([tf.math.real(tf.constant(1 + 2j)), tf.math.imag(tf.constant(1 + 2j)),
                            tf.abs(tf.constant(3 + 4j))])
    assert [g.shape for g in got] == [(), (), ()]  # a 0-d array came back as shape (1,)
    assert [float(g) for g in got] == [1.0, 2.0, 5.0]
