"""Helpers for tests that run the same graph in minitf and in tf.compat.v1 (skipped where
TensorFlow is not installed)."""

import pytest

import minitf as tf


def tf1_or_skip():
    return pytest.importorskip("tensorflow.compat.v1")


def run(fetches, feed=None):
    """``fetches`` run in a new minitf session on the default graph."""
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def tf_run(build, runs=None):
    """``build(tf1)``'s fetches run in a TensorFlow graph and session of their own (``runs``
    times, as a list, when given)."""
    tf1 = tf1_or_skip()
    g = tf1.Graph()
    with g.as_default():
        fetches = build(tf1)
        with tf1.Session(graph=g) as sess:
            if runs is None:
                return sess.run(fetches)
            return [sess.run(fetches) for _ in range(runs)]


def assert_raw_op_matches_tf(op_name: str, calls: list, rtol=1e-6):
    """``tf.raw_ops.<op_name>(**kw)`` for each ``kw`` of ``calls``: minitf's results have
    TensorFlow's dtypes, shapes and values."""
    import numpy as np

    from minitf import raw_ops

    want = tf_run(lambda tf1: [getattr(tf1.raw_ops, op_name)(**kw) for kw in calls])
    got = run([getattr(raw_ops, op_name)(**kw) for kw in calls])
    for g, t in zip(got, want):
        assert g.dtype == t.dtype and g.shape == t.shape, op_name
        np.testing.assert_allclose(g, t, rtol=rtol, err_msg=op_name)


def run_graph_def_in_minitf(graph_def: bytes, fetches, feed=None):
    """A serialized GraphDef (TF-written, say) imported into a new minitf graph and run."""
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(tf.GraphDef.FromString(graph_def), name="")
        with tf.Session(graph=g) as sess:
            return sess.run(fetches, feed)


def run_graph_def_in_tf(graph_def: bytes, fetches, feed=None):
    """A serialized GraphDef (minitf-written, say) imported into TensorFlow and run there."""
    tf1 = tf1_or_skip()
    g = tf1.Graph()
    with g.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(graph_def), name="")
        with tf1.Session(graph=g) as sess:
            return sess.run(fetches, feed)


def run_both_ways(build, fetches):
    """``build(lib)`` in a TF graph and in a minitf graph; each GraphDef run in the other
    framework: [minitf's results for TF's graph, TF's results for minitf's]."""
    tf1 = tf1_or_skip()
    theirs, mine = tf1.Graph(), tf.Graph()
    with theirs.as_default():
        build(tf1)
    with mine.as_default():
        build(tf)
    return [run_graph_def_in_minitf(theirs.as_graph_def().SerializeToString(), fetches),
            run_graph_def_in_tf(mine.as_graph_def().SerializeToString(), fetches)]
