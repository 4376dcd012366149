"""Attr values as TF's op_def_library and generated wrappers take them: an int attr is
int(value) for anything but a string (8.0 and 8.7 give 8, True gives 1), and None for an attr
with a default is the default (a shape's None stays the unknown shape). Expected attrs are
TF 2.21's for the same calls."""

import numpy as np
import pytest

import minitf as tf


def test_int_attrs_take_what_int_takes_except_strings():
    x = tf.zeros([1, 2, 2, 3])
    assert tf.nn.lrn(x, depth_radius=2.0).op.get_attr("depth_radius") == 2
    assert tf.nn.lrn(x, depth_radius=2.7).op.get_attr("depth_radius") == 2
    assert tf.nn.lrn(x, depth_radius=True).op.get_attr("depth_radius") == 1
    assert tf.nn.lrn(x, depth_radius=np.float32(3)).op.get_attr("depth_radius") == 3
    y = tf.quantization.fake_quant_with_min_max_args(tf.zeros([3]), num_bits=8.0)
    assert y.op.get_attr("num_bits") == 8
    for bad in ("2", b"2", [2]):
        with pytest.raises(TypeError, match="expects int"):
            tf.nn.lrn(x, depth_radius=bad)


def test_none_is_an_attrs_default():
    x = tf.zeros([1, 2, 2, 3])
    op = tf.raw_ops.LRN(input=x, depth_radius=None, bias=None, alpha=0.5).op
    assert (op.get_attr("depth_radius"), op.get_attr("bias")) == (5, 1.0)
    assert op.get_attr("alpha") == 0.5
    assert tf.raw_ops.Placeholder(dtype=tf.float32, shape=None).shape.rank is None
    with tf.Session() as sess:  # the default attrs run as given ones
        got = sess.run(op.outputs[0])
    np.testing.assert_array_equal(got, np.zeros([1, 2, 2, 3], np.float32))
