"""Argument forms TF1 code passes that minitf refused (a probe of about 950 snippets side by side
with tf.compat.v1): Keras names for tf.layers' and RNN cells' activations, initializers and
regularizers, initializer classes passed uncalled, tf.unique's named result, transpose with
conjugate of an array, and strings' zeros. Expected values are hand-computed; the TF-gated test
runs the same snippets in TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

X = np.array([[1.0, -2.0, 0.5]], np.float32)


def snippets(m):
    """The probe's snippets, written once against ``m`` (minitf or tf.compat.v1)."""
    x = m.constant(X)
    dense = m.layers.dense(x, 2, activation="relu", kernel_initializer="ones",
                           bias_initializer="zeros", kernel_regularizer="l2")
    layer = m.layers.Dense(2, activation="tanh", kernel_initializer="ones")
    obj = layer(x)
    conv = m.layers.conv2d(m.reshape(x, [1, 1, 3, 1]), 1, 1, activation="sigmoid",
                           kernel_initializer="ones")
    cell = m.nn.rnn_cell.BasicRNNCell(2, activation="relu")
    _, state = m.nn.dynamic_rnn(cell, m.reshape(x, [1, 3, 1]), dtype=m.float32)
    glorot = m.get_variable("g", [2, 2], initializer=m.glorot_uniform_initializer)
    unique = m.unique(m.constant([3, 1, 3]))
    transposed = m.transpose(np.array([[1, 2]], np.int32), conjugate=True)
    return {"dense": dense, "l2": m.losses.get_regularization_loss(), "object": obj,
            "conv": conv, "rnn_shape": m.shape(state), "glorot_shape": m.shape(glorot),
            "unique_y": unique.y, "unique_idx": unique.idx, "transposed": transposed,
            "zeros": m.zeros([2], m.string)}


def run(m):
    with m.Graph().as_default():
        fetches = snippets(m)
        with m.Session() as sess:
            sess.run(m.global_variables_initializer())
            return sess.run(fetches)


def test_hand_computed():
    got = run(tf)
    np.testing.assert_allclose(got["dense"], [[0.0, 0.0]])  # relu(1 - 2 + 0.5) per unit
    assert got["l2"] == pytest.approx(0.01 * 6)  # Keras' l2: 0.01 * sum(w^2), 6 ones
    np.testing.assert_allclose(got["object"], np.tanh([[-0.5, -0.5]]), rtol=1e-6)
    np.testing.assert_allclose(got["conv"].reshape(-1), 1 / (1 + np.exp(-X[0])), rtol=1e-6)
    assert got["rnn_shape"].tolist() == [1, 2] and got["glorot_shape"].tolist() == [2, 2]
    assert got["unique_y"].tolist() == [3, 1] and got["unique_idx"].tolist() == [0, 1, 0]
    assert got["transposed"].tolist() == [[1], [2]]
    assert got["zeros"].tolist() == [b"", b""]


@pytest.mark.parametrize("batch_dims, index_shape", [(1, (2, 2, 1)), (1, (2, 2)),
                                                     (2, (2, 3, 2, 1)), (1, (2, 4, 2))])
def test_gather_nd_batch_dims(batch_dims, index_shape):
    """gather_nd within each batch row, against a numpy loop over the rows; its gradient
    counts how often each element was picked."""
    rng = np.random.default_rng(1)
    params = rng.standard_normal((2, 3, 4, 2)).astype(np.float32)
    if batch_dims == 2:
        params = params[:, :3]
    bounds = params.shape[batch_dims:batch_dims + index_shape[-1]]
    indices = np.stack([rng.integers(0, b, index_shape[:-1]) for b in bounds], -1)
    want = np.empty(index_shape[:-1] + params.shape[batch_dims + index_shape[-1]:], np.float32)
    counts = np.zeros_like(params)
    for row in np.ndindex(*params.shape[:batch_dims]):
        for at in np.ndindex(*index_shape[batch_dims:-1]):
            pick = row + tuple(indices[row + at])
            want[row + at] = params[pick]
            counts[pick] += 1
    with tf.Graph().as_default(), tf.Session() as sess:
        p = tf.constant(params)
        got = tf.gather_nd(p, tf.constant(indices.astype(np.int32)), batch_dims=batch_dims)
        grad = tf.gradients(tf.reduce_sum(got), p)[0]
        got, grad = sess.run([got, tf.convert_to_tensor(grad)])
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(grad, counts)


def test_unknown_names_are_named():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Unknown activation function: 'rleu'"):
            tf.layers.dense(tf.constant(X), 2, activation="rleu")
        with pytest.raises(ValueError, match="Unknown initializer: 'glorot'"):
            tf.layers.dense(tf.constant(X), 2, kernel_initializer="glorot")


def test_match_tensorflow():
    """The same snippets in tf.compat.v1 (with Keras 2's tf.layers, in a process of its own):
    every value equal."""
    import os

    from tests.core.legacy_tf import run_against_tf  # (not at the top: this file is a script)

    run_against_tf(os.path.abspath(__file__), cases=10)


if __name__ == "__main__":  # the comparison with tf.compat.v1 (see test_match_tensorflow)
    import tensorflow.compat.v1 as tf1

    tf1.disable_v2_behavior()
    ours, theirs = run(tf), run(tf1)
    for key in ours:
        a, b = np.asarray(ours[key]), np.asarray(theirs[key])
        same = a.shape == b.shape and (a.tolist() == b.tolist() if a.dtype == object else
                                       np.allclose(a, b, rtol=1e-6))
        print(key, "OK" if same else f"DIFF {a!r} {b!r}")
