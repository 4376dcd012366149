"""Gradients at the edges where TensorFlow's kernels fix the numbers (a probe against TF 1.x's
graph mode found these differing): the quotient's gradient for tiny and huge denominators,
elu/selu just below 0, and grad_ys that broadcast against y. Expected values are hand-computed;
the TF-gated test runs the same graphs in TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

SELU_SCALE, SELU_ALPHA = 1.0507009873554805, 1.6732632423543772
EDGE = np.array([1e-20, 1e20, 3e-25], np.float32)


def build(m):
    """The probe's graphs, written once against ``m`` (minitf or tf.compat.v1)."""
    x, y = m.constant(EDGE), m.constant(EDGE)
    quotient = m.gradients(x / y, y)[0]  # RealDiv
    legacy = m.gradients(m.div(x, y), y)[0]  # Div
    below = m.constant(np.float32(-1e-8))
    elu, selu = m.nn.elu(below), m.nn.selu(below)
    acts = [elu, m.gradients(elu, below)[0], selu, m.gradients(selu, below)[0]]
    v = m.constant([1.0, 2.0, 3.0])
    scalar_gy = m.gradients(m.sin(v), v, grad_ys=m.constant(2.0))[0]
    return [quotient, legacy] + acts + [scalar_gy]


def run(m, graph):
    with graph.as_default():
        fetches = build(m)
        with m.Session(graph=graph) as sess:
            return sess.run(fetches)


def test_gradient_edges_hand_computed():
    quotient, legacy, elu, d_elu, selu, d_selu, scalar_gy = run(tf, tf.Graph())
    # -x / y / y in float32: -1/y for x == y, neither overflowing nor flushed to 0.
    want = (-1.0 / EDGE.astype(np.float64)).astype(np.float32)
    np.testing.assert_allclose(quotient, want, rtol=1e-6)
    np.testing.assert_allclose(legacy, want, rtol=1e-6)
    assert np.all(np.isfinite(quotient)) and np.all(quotient != 0)
    # exp(-1e-8) - 1 is 0 in float32 (TF's kernel), so the gradients take the x >= 0 branch.
    assert (elu, d_elu) == (0.0, 1.0)
    assert selu == 0.0 and d_selu == pytest.approx(SELU_SCALE, rel=1e-6)
    np.testing.assert_allclose(scalar_gy, 2.0 * np.cos([1.0, 2.0, 3.0]), rtol=1e-6)


def test_gradient_edges_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    ours = run(tf, tf.Graph())
    theirs = run(tf1, tf1.Graph())
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6)
