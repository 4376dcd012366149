"""tf.estimator against TF 1.15's estimator (tensorflow_estimator 1.15 source, and TF 2.21
compat.v1 graphs that rebuild what it builds): the canned DNN / Linear estimators' variable and
checkpoint names, numpy_input_fn's static batch size, pandas_input_fn, RunConfig's properties
and EstimatorSpec's validation. Expected names and values are hand-written from TF's output and
source, and numbers are computed with numpy."""

import sys

import numpy as np
import pytest

import minitf as tf

fc = tf.feature_column

# -- 1. canned DNN / Linear: TF1's partitioned scope, the head and optimizer built inside it --
# TF 1.15's _dnn_model_fn / _linear_model_fn build everything, head.create_estimator_spec (so
# the optimizer and its slots) included, inside variable_scope('dnn'|'linear', partitioner=
# min_max_variable_partitioner(max_partitions=num_ps_replicas, ...)): each variable is a
# PartitionedVariable of one part ("<name>/part_0", checkpointed as a slice of "<name>"), Adam's
# powers are made in the name scope "dnn/head", and each slot in the variable scope
# "dnn/dnn/<name>/part_0/<Opt>", which slot_creator checkpoints as "<name>/" plus the slot's
# name with len("<name>/part_0/") characters cut off: "t_0/Adam" under "dnn/", "part_0/Ftrl"
# under "linear/". The lists below are TF 2.21 compat.v1's, from graphs rebuilt as TF 1.15's.
TF_DNN_ADAM_GRAPH_VARIABLES = sorted([
    "global_step",
    "dnn/hiddenlayer_0/kernel/part_0", "dnn/hiddenlayer_0/bias/part_0",
    "dnn/logits/kernel/part_0", "dnn/logits/bias/part_0",
    "dnn/head/beta1_power", "dnn/head/beta2_power",
    "dnn/dnn/hiddenlayer_0/kernel/part_0/Adam", "dnn/dnn/hiddenlayer_0/kernel/part_0/Adam_1",
    "dnn/dnn/hiddenlayer_0/bias/part_0/Adam", "dnn/dnn/hiddenlayer_0/bias/part_0/Adam_1",
    "dnn/dnn/logits/kernel/part_0/Adam", "dnn/dnn/logits/kernel/part_0/Adam_1",
    "dnn/dnn/logits/bias/part_0/Adam", "dnn/dnn/logits/bias/part_0/Adam_1"])
TF_DNN_ADAM_CHECKPOINT_KEYS = [
    "dnn/head/beta1_power", "dnn/head/beta2_power",
    "dnn/hiddenlayer_0/bias", "dnn/hiddenlayer_0/bias/t_0/Adam",
    "dnn/hiddenlayer_0/bias/t_0/Adam_1",
    "dnn/hiddenlayer_0/kernel", "dnn/hiddenlayer_0/kernel/t_0/Adam",
    "dnn/hiddenlayer_0/kernel/t_0/Adam_1",
    "dnn/logits/bias", "dnn/logits/bias/t_0/Adam", "dnn/logits/bias/t_0/Adam_1",
    "dnn/logits/kernel", "dnn/logits/kernel/t_0/Adam", "dnn/logits/kernel/t_0/Adam_1",
    "global_step"]
TF_LINEAR_FTRL_GRAPH_VARIABLES = sorted([
    "global_step",
    "linear/linear_model/x/weights/part_0", "linear/linear_model/bias_weights/part_0",
    "linear/linear/linear_model/x/weights/part_0/Ftrl",
    "linear/linear/linear_model/x/weights/part_0/Ftrl_1",
    "linear/linear/linear_model/bias_weights/part_0/Ftrl",
    "linear/linear/linear_model/bias_weights/part_0/Ftrl_1"])
TF_LINEAR_FTRL_CHECKPOINT_KEYS = [
    "global_step",
    "linear/linear_model/bias_weights", "linear/linear_model/bias_weights/part_0/Ftrl",
    "linear/linear_model/bias_weights/part_0/Ftrl_1",
    "linear/linear_model/x/weights", "linear/linear_model/x/weights/part_0/Ftrl",
    "linear/linear_model/x/weights/part_0/Ftrl_1"]

X = np.array([0.5, -1.0, 2.0, 1.5, -0.5, 1.0, 0.25, -2.0], np.float32)
Y_CLASS = np.array([1, 0, 1, 1, 0, 1, 0, 0], np.int64)
Y_REG = np.array([1.0, -2.0, 3.0, 2.0, 0.0, 1.5, 0.5, -3.0], np.float32)


def _input(y):
    return tf.estimator.inputs.numpy_input_fn({"x": X}, y, batch_size=4, num_epochs=None,
                                              shuffle=False)


class _GraphVariables(tf.train.SessionRunHook):
    """The training graph's global variables, as begin() sees them."""

    names = None

    def begin(self):
        self.names = sorted(v.op.name for v in tf.global_variables())


def _dnn(model_dir):
    return tf.estimator.DNNClassifier([3], [fc.numeric_column("x")], model_dir=model_dir,
                                      optimizer="Adam")


def _linear(model_dir):
    return tf.estimator.LinearRegressor([fc.numeric_column("x")], model_dir=model_dir,
                                        optimizer="Ftrl")


def _keys(model_dir):
    return sorted(name for name, _ in tf.train.list_variables(model_dir))


def test_dnn_adam_variables_are_tf1s(tmp_path):
    hook = _GraphVariables()
    est = _dnn(str(tmp_path))
    est.train(_input(Y_CLASS), steps=1, hooks=[hook])
    assert hook.names == TF_DNN_ADAM_GRAPH_VARIABLES
    # Adam's powers (no slot naming involved) are saved under TF's names.
    assert {"dnn/head/beta1_power", "dnn/head/beta2_power"} <= set(_keys(str(tmp_path)))


def test_linear_ftrl_variables_are_tf1s(tmp_path):
    hook = _GraphVariables()
    _linear(str(tmp_path)).train(_input(Y_REG), steps=1, hooks=[hook])
    assert hook.names == TF_LINEAR_FTRL_GRAPH_VARIABLES


def test_dnn_adam_checkpoint_keys(tmp_path):
    _dnn(str(tmp_path)).train(_input(Y_CLASS), steps=1)
    assert _keys(str(tmp_path)) == TF_DNN_ADAM_CHECKPOINT_KEYS


def test_linear_ftrl_checkpoint_keys(tmp_path):
    _linear(str(tmp_path)).train(_input(Y_REG), steps=1)
    assert _keys(str(tmp_path)) == TF_LINEAR_FTRL_CHECKPOINT_KEYS


def test_dnn_adam_round_trip(tmp_path):
    _dnn(str(tmp_path)).train(_input(Y_CLASS), steps=1)
    keys = _keys(str(tmp_path))
    again = _dnn(str(tmp_path))
    again.train(_input(Y_CLASS), steps=1)
    assert again.get_variable_value("global_step") == 2
    assert _keys(str(tmp_path)) == keys
    # beta1_power starts at beta1 and is multiplied by it once per step: restored, not remade.
    np.testing.assert_allclose(again.get_variable_value("dnn/head/beta1_power"), 0.9 ** 3,
                               rtol=1e-6)
    np.testing.assert_allclose(again.get_variable_value("dnn/head/beta2_power"), 0.999 ** 3,
                               rtol=1e-6)


def _ftrl_reference(batches):
    """TF's Ftrl (lr 0.2, lr_power -0.5, initial accumulator 0.1, no l1/l2) on the summed
    squared error of ``w * x + b``, one step per batch of rows, in numpy."""
    lr, params = 0.2, np.zeros(2)  # (w, b)
    accum, linear = np.full(2, 0.1), np.zeros(2)
    for rows in batches:
        x, y = X[rows].astype(np.float64), Y_REG[rows].astype(np.float64)
        err = params[0] * x + params[1] - y
        grad = np.array([2 * np.sum(err * x), 2 * np.sum(err)])
        new_accum = accum + grad ** 2
        linear += grad - (np.sqrt(new_accum) - np.sqrt(accum)) / lr * params
        accum = new_accum
        params = -linear / (np.sqrt(accum) / lr)
    return params


def test_linear_ftrl_round_trip(tmp_path):
    _linear(str(tmp_path)).train(_input(Y_REG), steps=1)
    keys = _keys(str(tmp_path))
    again = _linear(str(tmp_path))
    again.train(_input(Y_REG), steps=1)
    assert again.get_variable_value("global_step") == 2
    assert _keys(str(tmp_path)) == keys
    # The second step's weights depend on the first step's accumulators: restored slots. (Each
    # train call's input_fn starts the data again: both steps see rows 0-3.)
    w, b = _ftrl_reference([slice(0, 4), slice(0, 4)])
    np.testing.assert_allclose(again.get_variable_value("linear/linear_model/x/weights"),
                               [[w]], rtol=1e-5)
    np.testing.assert_allclose(again.get_variable_value("linear/linear_model/bias_weights"),
                               [b], rtol=1e-5)


def test_tf1_model_dir_continues_training(tmp_path):
    """A model_dir laid out as TF 1.15's DNNClassifier (Adagrad) writes it: predictions use
    its weights, and training goes on from it."""
    k0 = np.array([[0.5, -1.0, 2.0]], np.float32)
    b0 = np.array([0.1, 0.2, -0.3], np.float32)
    k1 = np.array([[1.0], [0.5], [-0.25]], np.float32)
    b1 = np.array([0.05], np.float32)
    values = {"dnn/hiddenlayer_0/kernel": k0, "dnn/hiddenlayer_0/bias": b0,
              "dnn/logits/kernel": k1, "dnn/logits/bias": b1}
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        made = [tf.Variable(v, name=n) for n, v in values.items()]
        made += [tf.Variable(np.full(v.shape, 0.1, np.float32), name=f"{n}/t_0/Adagrad")
                 for n, v in values.items()]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(tf.assign(step, 5))
            tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"), global_step=5)
    est = tf.estimator.DNNClassifier([3], [fc.numeric_column("x")], model_dir=str(tmp_path))
    predict = tf.estimator.inputs.numpy_input_fn({"x": X}, batch_size=8, shuffle=False)
    logits = np.array([p["logits"] for p in est.predict(predict)])
    want = np.maximum(X[:, None] @ k0 + b0, 0) @ k1 + b1
    np.testing.assert_allclose(logits, want, rtol=1e-5)
    est.train(_input(Y_CLASS), steps=1)
    assert est.get_variable_value("global_step") == 6


def test_partitioner_arguments_are_used(tmp_path):
    """TF takes a partitioner for the Linear model's scope and the DNN's input layer (minitf
    refused them): two parts of a 5-row table, saved as one checkpoint tensor."""
    vocab = ["a", "b", "c", "d", "e"]
    feats = {"x": X, "c": np.array(vocab + vocab[:3])}
    cat = fc.categorical_column_with_vocabulary_list("c", vocab)
    lin = tf.estimator.LinearRegressor([fc.numeric_column("x"), cat], model_dir=str(tmp_path / "l"),
                                       partitioner=tf.fixed_size_partitioner(2))
    hook = _GraphVariables()
    lin.train(tf.estimator.inputs.numpy_input_fn(feats, Y_REG, batch_size=4, num_epochs=None,
                                                 shuffle=False), steps=2, hooks=[hook])
    assert {"linear/linear_model/c/weights/part_0",
            "linear/linear_model/c/weights/part_1"} <= set(hook.names)
    assert lin.get_variable_value("linear/linear_model/c/weights").shape == (5, 1)
    dnn = tf.estimator.DNNRegressor([2], [fc.embedding_column(cat, 2)],
                                    model_dir=str(tmp_path / "d"),
                                    input_layer_partitioner=tf.fixed_size_partitioner(2))
    hook = _GraphVariables()
    dnn.train(tf.estimator.inputs.numpy_input_fn(feats, Y_REG, batch_size=4, num_epochs=None,
                                                 shuffle=False), steps=2, hooks=[hook])
    table = "dnn/input_from_feature_columns/input_layer/c_embedding/embedding_weights"
    assert {f"{table}/part_0", f"{table}/part_1"} <= set(hook.names)
    assert dnn.get_variable_value(table).shape == (5, 2)


def test_dnn_batch_norm_keeps_moving_statistics_whole(tmp_path):
    """TF's BatchNormalization makes its moving statistics with the partitioner off, gamma and
    beta with it."""
    hook = _GraphVariables()
    est = tf.estimator.DNNClassifier([3], [fc.numeric_column("x")], model_dir=str(tmp_path),
                                     batch_norm=True)
    est.train(_input(Y_CLASS), steps=1, hooks=[hook])
    bn = "dnn/hiddenlayer_0/batchnorm_0/"
    assert {bn + "gamma/part_0", bn + "beta/part_0", bn + "moving_mean",
            bn + "moving_variance"} <= set(hook.names)


# -- 2. numpy_input_fn: dequeue_many's static batch size when the data repeats ----------------
def test_numpy_input_fn_static_batch_size():
    x2 = np.arange(20, dtype=np.float32).reshape(10, 2)
    with tf.Graph().as_default():
        features, labels = tf.estimator.inputs.numpy_input_fn(
            {"a": X, "b": x2[:8]}, Y_CLASS, batch_size=3, num_epochs=None, shuffle=False)()
        assert features["a"].shape.as_list() == [3]
        assert features["b"].shape.as_list() == [3, 2]
        assert labels.shape.as_list() == [3]
        with tf.train.MonitoredSession() as sess:
            got = [sess.run(labels) for _ in range(3)]
        # Batches run across the epoch boundary, always full.
        np.testing.assert_array_equal(np.concatenate(got), np.concatenate([Y_CLASS, Y_CLASS])[:9])
    with tf.Graph().as_default():
        features, labels = tf.estimator.inputs.numpy_input_fn(
            {"a": X}, Y_CLASS, batch_size=3, num_epochs=1, shuffle=False)()
        assert features["a"].shape.as_list() == [None]  # dequeue_up_to: the last may be short
        assert labels.shape.as_list() == [None]


# -- 3. pandas_input_fn -----------------------------------------------------------------------
def test_pandas_input_fn_without_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas raises ImportError
    with pytest.raises(TypeError, match="^pandas_input_fn should not be called without pandas "
                                        "installed$"):
        tf.estimator.inputs.pandas_input_fn(object(), shuffle=False)


def test_pandas_input_fn_with_pandas():
    # TF's path needs a real DataFrame (isinstance checks, x.copy(), x.index), so no stand-in.
    pd = pytest.importorskip("pandas")
    x = pd.DataFrame({"a": np.arange(5, dtype=np.int64), "b": np.arange(5) * 0.5},
                     index=np.arange(100, 105))
    y = pd.Series(np.arange(5) * 10, index=x.index)
    with tf.Graph().as_default():
        features, target = tf.estimator.inputs.pandas_input_fn(
            x, y, batch_size=2, num_epochs=None, shuffle=False)()
        assert sorted(features) == ["a", "b"] and target.shape.as_list() == [2]
        with tf.train.MonitoredSession() as sess:
            got = [sess.run((features, target)) for _ in range(3)]
        np.testing.assert_array_equal(np.concatenate([t for _, t in got]), [0, 10, 20, 30, 40, 0])
        np.testing.assert_array_equal(np.concatenate([f["b"] for f, _ in got]),
                                      [0, 0.5, 1, 1.5, 2, 0])
    with tf.Graph().as_default():
        features, target = tf.estimator.inputs.pandas_input_fn(
            x, pd.DataFrame({"a": y, "q": y * 2}), batch_size=5, shuffle=False)()
        assert sorted(features) == ["a", "b"] and sorted(target) == ["a", "q"]
    with pytest.raises(ValueError, match="shuffle must be provided"):
        tf.estimator.inputs.pandas_input_fn(x, y)
    with pytest.raises(TypeError, match="target_column must be a string type"):
        tf.estimator.inputs.pandas_input_fn(x, y, shuffle=False, target_column=1)
    with pytest.raises(ValueError, match="Cannot use name a for target column"):
        tf.estimator.inputs.pandas_input_fn(x, y, shuffle=False, target_column="a")
    with pytest.raises(ValueError, match="Index for x and y are mismatched"):
        tf.estimator.inputs.pandas_input_fn(x, pd.Series(np.arange(5)), shuffle=False)


# -- 4. RunConfig -----------------------------------------------------------------------------
def test_run_config_cluster_spec_and_worker_delay():
    config = tf.estimator.RunConfig()
    assert isinstance(config.cluster_spec, tf.train.ClusterSpec)
    assert config.cluster_spec.as_dict() == {} and config.cluster_spec == {}
    assert not config.cluster_spec
    assert config.experimental_max_worker_delay_secs is None
    config = tf.estimator.RunConfig(experimental_max_worker_delay_secs=3)
    assert config.experimental_max_worker_delay_secs == 3
    assert config.replace(experimental_max_worker_delay_secs=7) \
        .experimental_max_worker_delay_secs == 7
    assert isinstance(type(config).__dict__["experimental_max_worker_delay_secs"], property)
    with pytest.raises(ValueError, match="experimental_max_worker_delay_secs must be an "
                                         "integer if set."):
        tf.estimator.RunConfig(experimental_max_worker_delay_secs=1.5)


# -- 5. EstimatorSpec -------------------------------------------------------------------------
def test_estimator_spec_nested_metric_values():
    with tf.Graph().as_default():
        loss, a, b, update = tf.constant(1.0), tf.constant(2.0), tf.constant(3.0), tf.no_op()
        spec = tf.estimator.EstimatorSpec("eval", loss=loss,
                                          eval_metric_ops={"pair": ((a, b), update)})
        assert spec.eval_metric_ops["pair"] == ((a, b), update)
        with tf.Graph().as_default():
            other = tf.constant(0.0)
        with pytest.raises(ValueError, match="eval_metric_ops must be from the default graph"):
            tf.estimator.EstimatorSpec("eval", loss=loss,
                                       eval_metric_ops={"pair": ((a, other), update)})


def test_estimator_evaluate_nested_metric_values(tmp_path):
    def model_fn(features, labels, mode):
        w = tf.get_variable("w", [], initializer=tf.constant_initializer(0.5))
        pred = features["x"] * w
        loss = tf.reduce_mean(tf.square(pred - labels))
        m1, u1 = tf.metrics.mean(labels)
        m2, u2 = tf.metrics.mean(pred)
        train = tf.assign_add(tf.train.get_global_step(), 1)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train,
                                          eval_metric_ops={"pair": ((m1, m2), tf.group(u1, u2))})

    est = tf.estimator.Estimator(model_fn, model_dir=str(tmp_path))
    est.train(_input(Y_REG), steps=1)
    result = est.evaluate(tf.estimator.inputs.numpy_input_fn(
        {"x": X}, Y_REG, batch_size=4, num_epochs=1, shuffle=False))
    np.testing.assert_allclose(result["pair"], (Y_REG.mean(), (0.5 * X).mean()), rtol=1e-6)


def test_estimator_spec_export_outputs_only_in_predict():
    with tf.Graph().as_default():
        loss, train = tf.constant(1.0), tf.no_op()
        out = tf.estimator.export.PredictOutput(loss)
        spec = tf.estimator.EstimatorSpec("train", loss=loss, train_op=train,
                                          export_outputs={"a": out, "b": out})
        assert spec.export_outputs == {"a": out, "b": out}
        spec = tf.estimator.EstimatorSpec("eval", loss=loss, export_outputs={"a": out})
        assert spec.export_outputs == {"a": out}
        assert tf.estimator.EstimatorSpec("eval", loss=loss).export_outputs is None
        spec = tf.estimator.EstimatorSpec("infer", predictions=loss, export_outputs={"a": out})
        assert spec.export_outputs == {"a": out, "serving_default": out}


def test_estimator_spec_tensor_checks_are_tfs():
    with tf.Graph().as_default():
        step = tf.Variable(0, name="step")
        loss = tf.constant(1.0)
        # A Variable is dense-tensor-like: as train_op it stands for its op.
        spec = tf.estimator.EstimatorSpec("train", loss=loss, train_op=step)
        assert spec.train_op is step.op
        # A loss of unknown rank is compatible with a scalar: kept as it is.
        unknown = tf.placeholder(tf.float32)
        assert tf.estimator.EstimatorSpec("eval", loss=unknown).loss is unknown
        sparse = tf.SparseTensor([[0]], [1.0], [1])
        with pytest.raises(TypeError, match="loss must be Tensor"):
            tf.estimator.EstimatorSpec("eval", loss=sparse)
        with pytest.raises(TypeError, match="predictions must be Tensor"):
            tf.estimator.EstimatorSpec("infer", predictions=sparse)
