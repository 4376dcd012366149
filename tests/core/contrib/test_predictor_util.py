"""tf.contrib.predictor over SavedModels and an Estimator's export, and tf.contrib.util."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import predictor, util


def _export(path):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        k = tf.placeholder(tf.float32, [], name="k")
        w = tf.Variable([[1.0], [2.0]], name="w")
        y = tf.matmul(x, w) * k
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.saved_model.simple_save(sess, str(path), {"x": x, "k": k},
                                       {"y": y, "sum": tf.reduce_sum(y)})


def test_from_saved_model_runs_the_serving_signature(tmp_path):
    _export(tmp_path / "m")
    predict = predictor.from_saved_model(str(tmp_path / "m"))
    out = predict({"x": np.array([[1.0, 1.0], [0.0, 3.0]], np.float32), "k": 2.0})
    np.testing.assert_allclose(out["y"], [[6.0], [12.0]])
    assert out["sum"] == pytest.approx(18.0)
    assert sorted(predict.feed_tensors) == ["k", "x"]
    with pytest.raises(ValueError, match=r"Unknown input keys \['z'\]"):
        predict({"z": 1.0})
    named = predictor.from_saved_model(str(tmp_path / "m"), input_names={"a": "x:0", "b": "k:0"},
                                       output_names={"out": "mul:0"})
    np.testing.assert_allclose(named({"a": [[1.0, 0.0]], "b": 3.0})["out"], [[3.0]])
    with pytest.raises(ValueError, match="Got signature_def_key 'nope'. Available signatures "
                                         r"are \['serving_default'\]"):
        predictor.from_saved_model(str(tmp_path / "m"), signature_def_key="nope")


def test_from_estimator(tmp_path):
    def model_fn(features, labels, mode):
        w = tf.get_variable("w", initializer=[[2.0], [-1.0]])
        y = tf.matmul(features["x"], w)
        return tf.estimator.EstimatorSpec(
            mode, predictions={"y": y}, loss=tf.constant(0.0),
            train_op=tf.assign_add(tf.train.get_or_create_global_step(), 1))

    est = tf.estimator.Estimator(model_fn, model_dir=str(tmp_path / "est"))
    est.train(lambda: ({"x": tf.zeros([1, 2])}, None), steps=1)
    receiver = tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.placeholder(tf.float32, [None, 2])})
    predict = predictor.from_estimator(est, receiver)
    np.testing.assert_allclose(predict({"x": [[1.0, 1.0], [3.0, 1.0]]})["y"], [[1.0], [5.0]])


def test_util_is_the_core_functions():
    proto = util.make_tensor_proto(np.array([[1, 2]], np.int32))
    np.testing.assert_array_equal(util.make_ndarray(proto), [[1, 2]])
    with tf.Graph().as_default():
        assert util.constant_value(tf.constant(3) * 2) == 6
        assert util.constant_value(tf.placeholder(tf.int32)) is None
    assert tf.contrib.util is util and tf.contrib.predictor is predictor
