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


def test_list_inputs_are_named_by_index_and_add_n_converts_outside_its_scope():
    # TF 2.21's names: convert_n_to_tensor names a list's Python elements "<arg>_<index>";
    # add_n converts its inputs first, outside its scope, each to its own dtype.
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [1], name="x")
        tf.concat([[1.0], x, [3.0]], 0)
        tf.decode_csv(["1,a"], [[0.0], [""]])
        tf.add_n([x, [2.0]])
        names = sorted(op.name for op in g.get_operations())
        assert names == sorted([
            "x", "concat/values_0", "concat/values_2", "concat/axis", "concat",
            "DecodeCSV/records", "DecodeCSV/record_defaults_0", "DecodeCSV/record_defaults_1",
            "DecodeCSV", "Const", "AddN"])
        with pytest.raises(TypeError, match=r"types \[float32, int32\] that don't all match"):
            tf.add_n([x, [2]])
