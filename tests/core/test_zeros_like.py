"""tf.zeros_like / tf.ones_like as TF1 builds them: a fully known shape gives zeros that do not
read their input (``optimize``), so an unfed placeholder or an uninitialized variable is not
needed; small known shapes are Consts and big ones Fills (TF's _constant_if_small)."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf


def _build(lib):
    a = lib.placeholder(lib.float32, [2, 3], name="a")
    b = lib.placeholder(lib.float32, [None, 3], name="b")
    big = lib.placeholder(lib.float32, [40, 30], name="big")
    outs = [lib.zeros_like(a), lib.zeros_like(b), lib.zeros_like(a, dtype=lib.int32),
            lib.zeros_like(b, dtype=lib.int32), lib.ones_like(a), lib.ones_like(b),
            lib.ones_like(b, dtype=lib.bool), lib.zeros_like(big), lib.ones_like(big),
            lib.zeros([40, 30]), lib.zeros_like(a, optimize=False)]
    return a, b, outs


def _structure(outs):
    return [(o.name, o.op.type, o.dtype.name, o.shape.as_list(),
             sorted(i.name for i in o.op.inputs)) for o in outs]


# What tf.compat.v1 2.21 builds for _build (recorded; the side-by-side test checks it).
_TF = [
    ("zeros_like:0", "Const", "float32", [2, 3], []),
    ("zeros_like_1:0", "ZerosLike", "float32", [None, 3], ["b:0"]),
    ("zeros_like_2:0", "Const", "int32", [2, 3], []),
    ("zeros_like_3:0", "Fill", "int32", [None, 3],
     ["zeros_like_3/Const:0", "zeros_like_3/Shape:0"]),
    ("ones_like:0", "Fill", "float32", [2, 3],
     ["ones_like/Const:0", "ones_like/Shape/shape_as_tensor:0"]),
    ("ones_like_1:0", "Fill", "float32", [None, 3], ["ones_like_1/Const:0", "ones_like_1/Shape:0"]),
    ("ones_like_2:0", "Fill", "bool", [None, 3], ["ones_like_2/Const:0", "ones_like_2/Shape:0"]),
    ("zeros_like_4:0", "Fill", "float32", [40, 30],
     ["zeros_like_4/Const:0", "zeros_like_4/shape_as_tensor:0"]),
    ("ones_like_3:0", "Fill", "float32", [40, 30],
     ["ones_like_3/Const:0", "ones_like_3/Shape/shape_as_tensor:0"]),
    ("zeros:0", "Fill", "float32", [40, 30], ["zeros/Const:0", "zeros/shape_as_tensor:0"]),
    ("zeros_like_5:0", "ZerosLike", "float32", [2, 3], ["a:0"]),
]


def test_graph_as_tensorflow_builds_it():
    with tf.Graph().as_default():
        a, b, outs = _build(tf)
        assert _structure(outs) == _TF
        with tf.Session() as sess:
            got = sess.run([outs[i] for i in (0, 2, 4, 7, 8, 9)])  # nothing fed
            np.testing.assert_array_equal(got[0], np.zeros((2, 3)))
            assert got[1].dtype == np.int32 and not got[1].any()
            np.testing.assert_array_equal(got[2], np.ones((2, 3)))
            assert (got[3].sum(), got[4].sum(), got[5].shape) == (0, 1200, (40, 30))
            fed = sess.run([outs[1]] + outs[5:7], {b: np.ones((4, 3), np.float32)})
            assert [f.shape for f in fed] == [(4, 3)] * 3 and fed[2].dtype == bool
            with pytest.raises(tf.errors.InvalidArgumentError, match="must feed"):
                sess.run(outs[10])  # optimize=False reads its input


def test_zeros_like_of_an_uninitialized_variable_and_unconnected_gradients():
    with tf.Graph().as_default():
        v = tf.Variable(np.ones((2, 2), np.float32))
        w = tf.Variable(3.0)
        grad = tf.gradients(w * 2.0, v, unconnected_gradients="zero")[0]
        with tf.Session() as sess:  # nothing initialized: TF needs neither
            np.testing.assert_array_equal(sess.run(tf.zeros_like(v)), np.zeros((2, 2)))
            np.testing.assert_array_equal(sess.run(grad), np.zeros((2, 2)))


def test_side_by_side_with_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1.Graph().as_default():
        assert _structure(_build(tf1)[2]) == _TF
