"""The training examples, in reduced configurations that fit CI (full runs: see README)."""

import os

import numpy as np

import minitf as tf
from examples import cnn_digits, linear_regression, mlp_digits


def test_linear_regression_recovers_a_and_b(tmp_path):
    result = linear_regression.train(steps=300, out=str(tmp_path))
    assert abs(result["A"] - linear_regression.TRUE_A) < 0.05
    assert abs(result["b"] - linear_regression.TRUE_B) < 0.05
    # The checkpoint and graph are there for `minitf export`.
    assert tf.train.latest_checkpoint(str(tmp_path)) == result["checkpoint"]
    assert os.path.exists(tmp_path / "graph.pbtxt")
    stored = dict(tf.train.list_variables(str(tmp_path)))
    assert stored["A"] == [1] and stored["b"] == [1]
    np.testing.assert_allclose(tf.train.load_variable(result["checkpoint"], "A"),
                               [result["A"]], rtol=1e-6)


def test_mlp_reaches_95_percent(tmp_path):
    # The full configuration is cheap enough for CI (a few seconds).
    result = mlp_digits.train(epochs=30, out=str(tmp_path), plot=str(tmp_path / "mlp.png"))
    assert result["test_accuracy"] >= 0.95
    assert os.path.getsize(tmp_path / "mlp.png") > 1000
    assert os.path.exists(result["checkpoint"] + ".npz")


def test_cnn_trains_in_reduced_configuration(tmp_path):
    result = cnn_digits.train(epochs=4, out=str(tmp_path))
    assert result["test_accuracy"] >= 0.85  # full run (20 epochs) reaches >= 0.97
    names = {name for name, _ in tf.train.list_variables(str(tmp_path))}
    assert {"conv1/kernel", "conv2/kernel", "dense/kernel", "logits/bias"} <= names
