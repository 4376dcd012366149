"""tf.contrib.tpu without a TPU, as google-research/bert's run_classifier.py uses it
(TPUEstimator(use_tpu=False) with a TPUEstimatorSpec model_fn and params["batch_size"] input
functions): a small BERT-like classifier (embedding, mean, dense, softmax) initialised through
scaffold_fn + init_from_checkpoint, trained, evaluated with eval_metrics, predicted with and
exported, every value against numpy written from the equations (SGD steps over the same
batches); host_call and the examples/sec hook; TPUConfig / RunConfig / CrossShardOptimizer /
cluster resolvers; and the errors TF gives (plus minitf's for what needs a TPU)."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest

import minitf as tf
from minitf.errors import UnimplementedError

Modes = tf.estimator.ModeKeys
tpu = tf.contrib.tpu
V, T, D, C, N = 7, 3, 4, 3, 12  # vocab, tokens, embedding size, classes, examples
LR = 0.5
R = np.random.RandomState(5)
IDS = R.randint(0, V, size=(N, T)).astype(np.int32)
LABELS = R.randint(0, C, size=N).astype(np.int32)
EMB0 = R.randn(V, D).astype(np.float32)
W0 = R.randn(C, D).astype(np.float32)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default() as g:
        yield g
    tf.summary.FileWriterCache.clear()


# -- numpy reference ----------------------------------------------------------------------------
def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _forward(emb, w, b, ids):
    h = emb[ids].mean(1)
    return h, h @ w.T + b


def _per_example_loss(emb, w, b, ids, labels):
    _, logits = _forward(emb, w, b, ids)
    return -np.log(_softmax(logits)[np.arange(len(labels)), labels])


def _sgd(steps, batch):
    """The weights after ``steps`` SGD steps on the batches of
    Dataset(...).repeat().batch(batch) (no shuffle), and each step's loss."""
    emb, w, b = EMB0.astype(np.float64), W0.astype(np.float64), np.zeros(C)
    losses = []
    for s in range(steps):
        idx = np.arange(s * batch, (s + 1) * batch) % N
        ids, y = IDS[idx], LABELS[idx]
        h, logits = _forward(emb, w, b, ids)
        p = _softmax(logits)
        losses.append(-np.log(p[np.arange(batch), y]).mean())
        dlogits = (p - np.eye(C)[y]) / batch
        dw, db, dh = dlogits.T @ h, dlogits.sum(0), dlogits @ w
        demb = np.zeros_like(emb)
        for i in range(batch):
            for t in range(T):
                demb[ids[i, t]] += dh[i] / T
        emb, w, b = emb - LR * demb, w - LR * dw, b - LR * db
    return emb, w, b, losses


# -- the BERT-like program ----------------------------------------------------------------------
def _init_checkpoint(directory):
    """A 'pre-trained' checkpoint: bert/embeddings and bert/output_weights."""
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.get_variable("bert/embeddings", initializer=EMB0)
        tf.get_variable("bert/output_weights", initializer=W0)
        sess.run(tf.global_variables_initializer())
        return tf.train.Saver().save(sess, os.path.join(str(directory), "bert_model.ckpt"))


def _model_fn_builder(init_checkpoint, seen, host_call_fn=None, dict_metrics=False):
    """run_classifier.py's model_fn shape: features carry label_ids; the init checkpoint
    is restored in scaffold_fn (BERT's use_tpu branch, run here on the CPU)."""

    def model_fn(features, labels, mode, params):
        seen.setdefault("model_fn", []).append((mode, params.get("batch_size"),
                                                params["use_tpu"], "context" in params))
        ids = features["input_ids"]
        with tf.variable_scope("model"):
            emb = tf.get_variable("embeddings", [V, D],
                                  initializer=tf.truncated_normal_initializer(stddev=0.02))
            w = tf.get_variable("output_weights", [C, D],
                                initializer=tf.truncated_normal_initializer(stddev=0.02))
            b = tf.get_variable("output_bias", [C], initializer=tf.zeros_initializer())
        h = tf.reduce_mean(tf.nn.embedding_lookup(emb, ids), axis=1)
        logits = tf.nn.bias_add(tf.matmul(h, w, transpose_b=True), b)
        probabilities = tf.nn.softmax(logits, axis=-1)

        def tpu_scaffold():
            tf.train.init_from_checkpoint(init_checkpoint, {  # BERT's name -> name map
                "bert/embeddings": "model/embeddings",
                "bert/output_weights": "model/output_weights"})
            return tf.train.Scaffold()

        scaffold_fn = tpu_scaffold if init_checkpoint else None
        if mode == Modes.PREDICT:
            return tpu.TPUEstimatorSpec(mode, predictions={"probabilities": probabilities},
                                        scaffold_fn=scaffold_fn)
        label_ids = features["label_ids"]
        log_probs = tf.nn.log_softmax(logits, axis=-1)
        per_example_loss = -tf.reduce_sum(tf.one_hot(label_ids, depth=C) * log_probs, -1)
        loss = tf.reduce_mean(per_example_loss)
        if mode == Modes.TRAIN:
            train_op = tf.train.GradientDescentOptimizer(LR).minimize(
                loss, global_step=tf.train.get_global_step())
            host_call = None if host_call_fn is None else (host_call_fn, [
                tf.reshape(loss, [1]), tf.reshape(tf.train.get_global_step(), [1])])
            return tpu.TPUEstimatorSpec(mode, loss=loss, train_op=train_op,
                                        scaffold_fn=scaffold_fn, host_call=host_call)

        def metric_fn(per_example_loss, label_ids, logits, is_real_example):
            predictions = tf.argmax(logits, axis=-1, output_type=tf.int32)
            return {"eval_accuracy": tf.metrics.accuracy(label_ids, predictions,
                                                         weights=is_real_example),
                    "eval_loss": tf.metrics.mean(per_example_loss, weights=is_real_example)}

        tensors = [per_example_loss, label_ids, logits, tf.ones_like(loss) + 0 * logits[:, 0]]
        if dict_metrics:
            tensors = dict(zip(["per_example_loss", "label_ids", "logits", "is_real_example"],
                               tensors))
        return tpu.TPUEstimatorSpec(mode, loss=loss, eval_metrics=(metric_fn, tensors),
                                    scaffold_fn=scaffold_fn)

    return model_fn


def _input_fn_builder(seen, is_training, drop_remainder, with_labels=True):
    def input_fn(params):
        batch_size = params["batch_size"]
        seen.setdefault("input_fn", []).append(batch_size)
        data = {"input_ids": tf.constant(IDS)}
        if with_labels:
            data["label_ids"] = tf.constant(LABELS)
        d = tf.data.Dataset.from_tensor_slices(data)
        if is_training:
            d = d.repeat()
        return d.batch(batch_size, drop_remainder=drop_remainder)

    return input_fn


def _run_config(model_dir, **kwargs):
    kwargs.setdefault("save_checkpoints_steps", 1000)
    return tpu.RunConfig(
        cluster=None, master=None, model_dir=str(model_dir),
        tpu_config=tpu.TPUConfig(iterations_per_loop=kwargs.pop("iterations_per_loop", 1000),
                                 num_shards=8,
                                 per_host_input_for_training=tpu.InputPipelineConfig.PER_HOST_V2),
        **kwargs)


def _estimator(model_dir, model_fn, use_tpu=False, **kwargs):
    batches = {"train_batch_size": 4, "eval_batch_size": 5, "predict_batch_size": 5}
    batches.update({k: kwargs.pop(k) for k in list(kwargs) if k.endswith("batch_size")})
    return tpu.TPUEstimator(use_tpu=use_tpu, model_fn=model_fn,
                            config=_run_config(model_dir, **kwargs.pop("config", {})),
                            **batches, **kwargs)


def _train(tmp_path, seen, steps=5, **kwargs):
    ckpt = _init_checkpoint(tmp_path)
    est = _estimator(tmp_path / "out", _model_fn_builder(ckpt, seen, **kwargs))
    est.train(_input_fn_builder(seen, True, True), max_steps=steps)
    return est


def test_bert_classifier_train_evaluate_predict_export(tmp_path):
    seen = {}
    est = _train(tmp_path, seen)
    emb, w, b, _ = _sgd(5, 4)
    assert est.get_variable_value("global_step") == 5
    # scaffold_fn's init_from_checkpoint gave the starting point the numpy SGD starts from
    np.testing.assert_allclose(est.get_variable_value("model/embeddings"), emb, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(est.get_variable_value("model/output_weights"), w, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(est.get_variable_value("model/output_bias"), b, atol=1e-6)
    assert seen == {"input_fn": [4], "model_fn": [(Modes.TRAIN, 4, False, False)]}

    # evaluate: batches of 5, 5, 2 (drop_remainder=False off the TPU, as BERT)
    seen.clear()
    result = est.evaluate(_input_fn_builder(seen, False, False))
    emb, w, b = (est.get_variable_value(f"model/{n}")
                 for n in ("embeddings", "output_weights", "output_bias"))
    _, logits = _forward(emb, w, b, IDS)
    per_example = _per_example_loss(emb, w, b, IDS, LABELS)
    assert result["global_step"] == 5
    np.testing.assert_allclose(result["eval_accuracy"], np.mean(logits.argmax(1) == LABELS))
    np.testing.assert_allclose(result["eval_loss"], per_example.mean(), rtol=1e-5)
    batch_means = [per_example[i:i + 5].mean() for i in (0, 5, 10)]
    np.testing.assert_allclose(result["loss"], np.mean(batch_means), rtol=1e-5)
    assert seen == {"input_fn": [5], "model_fn": [(Modes.EVAL, 5, False, False)]}

    # predict
    seen.clear()
    preds = list(est.predict(_input_fn_builder(seen, False, False, with_labels=False)))
    assert len(preds) == N
    np.testing.assert_allclose(np.stack([p["probabilities"] for p in preds]),
                               _softmax(logits), rtol=1e-5, atol=1e-6)
    assert seen == {"input_fn": [5], "model_fn": [(Modes.PREDICT, 5, False, False)]}

    # export: model_fn without a batch size, use_tpu False; a SavedModel minitf loads
    seen.clear()
    receiver = tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"input_ids": tf.placeholder(tf.int32, [None, T], name="input_ids")})
    path = est.export_saved_model(str(tmp_path / "export"), receiver)
    assert seen == {"model_fn": [(Modes.PREDICT, None, False, False)]}
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, [tf.saved_model.tag_constants.SERVING], path)
        sig = meta.signature_def["serving_default"]
        out = sess.run(sig.outputs["probabilities"].name, {sig.inputs["input_ids"].name: IDS})
    np.testing.assert_allclose(out, _softmax(logits), rtol=1e-5, atol=1e-6)
    # TF 1.x's older name goes through the same override
    assert est.export_savedmodel(str(tmp_path / "export2"), receiver)


def test_eval_metrics_as_dict_and_as_estimator_spec(tmp_path):
    seen = {}
    ckpt = _init_checkpoint(tmp_path)
    est = _estimator(tmp_path / "out", _model_fn_builder(ckpt, seen, dict_metrics=True))
    # no checkpoint in model_dir: evaluation starts from scaffold_fn's init_from_checkpoint
    result = est.evaluate(_input_fn_builder(seen, False, False))
    _, logits = _forward(EMB0, W0, np.zeros(C), IDS)
    np.testing.assert_allclose(result["eval_accuracy"], np.mean(logits.argmax(1) == LABELS))
    np.testing.assert_allclose(result["eval_loss"],
                               _per_example_loss(EMB0, W0, np.zeros(C), IDS, LABELS).mean(),
                               rtol=1e-5)

    # as_estimator_spec: metric_fn(**tensors), the scaffold scaffold_fn returns, host_call hook
    x = tf.constant([[1.0, 2.0], [3.0, 1.0]])
    y = tf.constant([1, 0])
    scaffold = tf.train.Scaffold()
    calls = []

    def metric_fn(labels, logits):
        calls.append((labels, logits))
        return {"acc": tf.metrics.accuracy(labels, tf.argmax(logits, 1))}

    spec = tpu.TPUEstimatorSpec(Modes.EVAL, loss=tf.reduce_sum(x),
                                eval_metrics=(metric_fn, {"labels": y, "logits": x}),
                                scaffold_fn=lambda: scaffold,
                                host_call=(lambda v: [tf.identity(v)], [x]))
    est_spec = spec.as_estimator_spec()
    assert isinstance(est_spec, tf.estimator.EstimatorSpec)
    assert calls == [(y, x)] and set(est_spec.eval_metric_ops) == {"acc"}
    assert est_spec.scaffold is scaffold
    assert len(est_spec.evaluation_hooks) == len(est_spec.training_hooks) == 1
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        value, update = est_spec.eval_metric_ops["acc"]
        sess.run(update)
        assert sess.run(value) == 1.0


def test_host_call_runs_every_step_and_examples_per_second(tmp_path):
    logdir = str(tmp_path / "host")

    def host_fn(loss, global_step):
        with tf.contrib.summary.create_file_writer(logdir).as_default():
            with tf.contrib.summary.always_record_summaries():
                tf.contrib.summary.scalar("host_loss", loss[0], step=global_step[0])
                return tf.contrib.summary.all_summary_ops()

    seen = {}
    ckpt = _init_checkpoint(tmp_path)
    est = _estimator(tmp_path / "out", _model_fn_builder(ckpt, seen, host_call_fn=host_fn),
                     config={"log_step_count_steps": 2, "iterations_per_loop": 2,
                             "save_summary_steps": 1})
    est.train(_input_fn_builder(seen, True, True), max_steps=5)
    losses = sorted((e.step, v.simple_value)
                    for path in glob.glob(os.path.join(logdir, "events.out.tfevents.*"))
                    for e in tf.train.summary_iterator(path) if e.HasField("summary")
                    for v in e.summary.value if v.tag == "host_loss")
    assert len(losses) == 5
    np.testing.assert_allclose([v for _, v in losses], _sgd(5, 4)[3], rtol=1e-5)
    # log_step_count_steps / iterations_per_loop = every step: examples/sec = 4 x steps/sec
    tf.summary.FileWriterCache.get(str(tmp_path / "out")).flush()
    rates = {}
    for path in glob.glob(os.path.join(str(tmp_path / "out"), "events.out.tfevents.*")):
        for e in tf.train.summary_iterator(path):
            for v in e.summary.value:
                if v.tag in ("global_step/sec", "examples/sec"):
                    rates.setdefault(e.step, {})[v.tag] = v.simple_value
    assert rates and all(set(r) == {"global_step/sec", "examples/sec"} for r in rates.values())
    for r in rates.values():
        np.testing.assert_allclose(r["examples/sec"], 4 * r["global_step/sec"], rtol=1e-5)


def test_batch_sizes_follow_the_mode_and_use_tpu(tmp_path):
    """Off the TPU the global batch size is not split: 10 with num_shards=8 trains."""
    seen = {}
    est = _estimator(tmp_path, _model_fn_builder(None, seen), train_batch_size=10)
    est.train(_input_fn_builder(seen, True, True), steps=1)
    assert seen["input_fn"] == [10] and seen["model_fn"][0][:2] == (Modes.TRAIN, 10)
    # no eval_batch_size: params has no batch_size (TF's KeyError), the message names it
    est = _estimator(tmp_path, _model_fn_builder(None, seen), eval_batch_size=None)
    with pytest.raises(KeyError, match="eval_batch_size=None"):
        est.evaluate(_input_fn_builder(seen, False, False))
    # On a TPU TF checks the batch sizes first, then minitf has no TPU
    with pytest.raises(ValueError, match="train batch size 10 must be divisible by number of "
                                         "replicas 8"):
        _estimator(tmp_path, _model_fn_builder(None, seen), use_tpu=True,
                   train_batch_size=10).train(_input_fn_builder(seen, True, True), steps=1)
    on_tpu = _estimator(tmp_path, _model_fn_builder(None, seen), use_tpu=True,
                        train_batch_size=16, predict_batch_size=8)
    with pytest.raises(UnimplementedError, match="minitf has no TPU"):
        on_tpu.train(_input_fn_builder(seen, True, True), steps=1)
    with pytest.raises(ValueError, match="one of `steps` or `max_steps` must be set"):
        on_tpu.train(_input_fn_builder(seen, True, True))
    with pytest.raises(ValueError, match="Evaluate `steps` must be set on TPU"):
        on_tpu.evaluate(_input_fn_builder(seen, False, False))
    with pytest.raises(UnimplementedError, match="minitf has no TPU"):
        next(on_tpu.predict(_input_fn_builder(seen, False, False, with_labels=False)))
    with pytest.raises(ValueError, match="predict_batch_size in TPUEstimator constructor "
                                         "cannot be `None`"):
        next(_estimator(tmp_path, _model_fn_builder(None, seen), use_tpu=True,
                        predict_batch_size=None).predict(_input_fn_builder(seen, False, False)))


def test_use_tpu_true_still_evaluates_on_cpu_and_exports(tmp_path):
    """eval_on_tpu=False evaluates on the CPU and export is always CPU, as in TF."""
    seen = {}
    _train(tmp_path, seen, steps=2)
    on_tpu = _estimator(tmp_path / "out", _model_fn_builder(None, seen), use_tpu=True,
                        eval_on_tpu=False, train_batch_size=16)
    seen.clear()
    result = on_tpu.evaluate(_input_fn_builder(seen, False, False))
    assert result["global_step"] == 2
    assert seen["model_fn"] == [(Modes.EVAL, 5, False, False)]
    receiver = tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"input_ids": tf.placeholder(tf.int32, [None, T])})
    seen.clear()
    assert on_tpu.export_saved_model(str(tmp_path / "e"), receiver)
    assert seen["model_fn"] == [(Modes.PREDICT, None, False, False)]
    cpu_only = _estimator(tmp_path / "out", _model_fn_builder(None, seen), use_tpu=True,
                          train_batch_size=16, export_to_cpu=False)
    with pytest.raises(UnimplementedError, match="TPU metagraph"):
        cpu_only.export_saved_model(str(tmp_path / "e2"), receiver)
    neither = _estimator(tmp_path / "out", _model_fn_builder(None, seen), export_to_cpu=False,
                         export_to_tpu=False)
    with pytest.raises(ValueError, match="One of export_to_cpu and export_to_tpu"):
        neither.export_saved_model(str(tmp_path / "e3"), receiver)


def test_tpu_estimator_construction_errors(tmp_path):
    model_fn = _model_fn_builder(None, {})
    with pytest.raises(ValueError, match="must be provided with type `tpu_config.RunConfig`"):
        tpu.TPUEstimator(model_fn, config=tf.estimator.RunConfig(), use_tpu=False)
    with pytest.raises(ValueError, match="reserved keys"):
        _estimator(tmp_path, model_fn, params={"batch_size": 3})
    with pytest.raises(ValueError, match="`train_batch_size` cannot be `None`"):
        _estimator(tmp_path, model_fn, use_tpu=True, train_batch_size=None)
    with pytest.raises(TypeError, match="train_batch_size must be int"):
        _estimator(tmp_path, model_fn, use_tpu=True, train_batch_size=4.0)
    with pytest.raises(ValueError, match="eval_batch_size must be positive"):
        _estimator(tmp_path, model_fn, use_tpu=True, eval_batch_size=0)
    _estimator(tmp_path, model_fn, train_batch_size=None)  # fine without a TPU
    with pytest.raises(ValueError, match="export_saved_model_api_version should be 1 or 2"):
        _estimator(tmp_path, model_fn, export_saved_model_api_version=3)

    est = _estimator(tmp_path, lambda features, labels, mode: None)
    with pytest.raises(ValueError, match="does not include params argument, required by "
                                         "TPUEstimator"):
        est.train(_input_fn_builder({}, True, True), steps=1)
    with pytest.raises(ValueError, match="input_fn .* does not include params argument"):
        _estimator(tmp_path, model_fn).train(lambda: ({"x": tf.ones([1])}, None), steps=1)


def test_tpu_estimator_spec_validation():
    loss = tf.constant(1.0)
    with pytest.raises(ValueError, match="eval_metrics should be tuple or list"):
        tpu.TPUEstimatorSpec(Modes.EVAL, loss=loss, eval_metrics=lambda: {})
    with pytest.raises(ValueError, match="eval_metrics should have two elements"):
        tpu.TPUEstimatorSpec(Modes.EVAL, loss=loss, eval_metrics=(lambda: {},))
    with pytest.raises(TypeError, match=r"host_call\[0\] should be callable"):
        tpu.TPUEstimatorSpec(Modes.EVAL, loss=loss, host_call=(1, [loss]))
    with pytest.raises(ValueError, match=r"eval_metrics\[1\] should be tuple or list, or dict"):
        tpu.TPUEstimatorSpec(Modes.EVAL, loss=loss, eval_metrics=(lambda x: {}, loss))
    with pytest.raises(RuntimeError, match="length of tensors 2 does not match method args"):
        tpu.TPUEstimatorSpec(Modes.EVAL, loss=loss, eval_metrics=(lambda x: {}, [loss, loss]))
    tpu.TPUEstimatorSpec(Modes.EVAL, loss=loss, eval_metrics=(lambda *xs: {}, [loss, loss]))
    with pytest.raises(ValueError, match="Missing train_op"):
        tpu.TPUEstimatorSpec(Modes.TRAIN, loss=loss)
    with pytest.raises(ValueError, match="Missing loss"):
        tpu.TPUEstimatorSpec(Modes.EVAL)
    with pytest.raises(ValueError, match="Missing predictions"):
        tpu.TPUEstimatorSpec(Modes.PREDICT)
    with pytest.raises(ValueError, match="Loss must be scalar"):
        tpu.TPUEstimatorSpec(Modes.EVAL, loss=tf.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match="All hooks must be SessionRunHook"):
        tpu.TPUEstimatorSpec(Modes.EVAL, loss=loss, evaluation_hooks=[object()])
    spec = tpu.TPUEstimatorSpec(Modes.EVAL, loss=tf.constant([2.0]))
    assert spec.loss.shape.rank == 0 and spec.predictions == {}
    predict = tpu.TPUEstimatorSpec(Modes.PREDICT, predictions={"p": loss})
    assert set(predict.export_outputs) == {"serving_default"}


def test_tpu_config_and_run_config(tmp_path):
    config = tpu.TPUConfig()
    assert config.iterations_per_loop == 2 and config.num_shards is None
    assert config.per_host_input_for_training == tpu.InputPipelineConfig.PER_HOST_V1
    assert tpu.TPUConfig(per_host_input_for_training=False).per_host_input_for_training == \
        tpu.InputPipelineConfig.PER_SHARD_V1
    tpu.TPUConfig(iterations_per_loop="30m")
    with pytest.raises(ValueError, match="Invalid TPUConfig `iterations_per_loop`"):
        tpu.TPUConfig(iterations_per_loop=0)
    with pytest.raises(TypeError, match="TPUConfig num_shards must be int"):
        tpu.TPUConfig(num_shards="8")
    with pytest.raises(ValueError, match="num_cores_per_replica must be 1, 2, 4, 8"):
        tpu.TPUConfig(num_cores_per_replica=3)
    with pytest.raises(ValueError, match="input_partition_dims is only supported in PER_HOST_V2"):
        tpu.TPUConfig(input_partition_dims=[[1, 2]], num_cores_per_replica=2)
    with pytest.raises(ValueError, match="eval_training_input_configuration must be"):
        tpu.TPUConfig(eval_training_input_configuration=tpu.InputPipelineConfig.PER_HOST_V2)

    run = _run_config(tmp_path, save_checkpoints_steps=7)
    assert isinstance(run, tf.estimator.RunConfig)
    assert (run.master, run.evaluation_master, run.cluster) == ("", "", None)
    assert run.tpu_config.num_shards == 8 and run.save_checkpoints_steps == 7
    new = run.replace(tpu_config=tpu.TPUConfig(iterations_per_loop=3), save_summary_steps=9)
    assert (new.tpu_config.iterations_per_loop, new.save_summary_steps) == (3, 9)
    assert new.model_dir == str(tmp_path) and run.tpu_config.iterations_per_loop == 1000
    resolver = tf.contrib.cluster_resolver.SimpleClusterResolver(tf.train.ClusterSpec({}))
    assert tpu.RunConfig(cluster=resolver).master == ""
    with pytest.raises(ValueError, match="Both master and cluster are set"):
        tpu.RunConfig(master="", cluster=resolver)
    with pytest.raises(UnimplementedError, match="remote master"):
        tpu.RunConfig(master="grpc://10.0.0.2:8470")
    busy = tf.contrib.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec({"worker": ["10.0.0.2:8470"]}))
    with pytest.raises(UnimplementedError, match="one process"):
        tpu.RunConfig(cluster=busy)


def test_cross_shard_optimizer_without_tpu_context():
    v = tf.Variable([1.0, -2.0])
    loss = tf.reduce_sum(v * v)
    opt = tpu.CrossShardOptimizer(tf.train.MomentumOptimizer(0.1, 0.9))
    (grad, var), = opt.compute_gradients(loss)
    assert var is v
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(grad), [2.0, -4.0])  # 2v: one shard, no 1/n scale
    with pytest.raises(UnimplementedError, match="CrossReplicaSum"):
        opt.apply_gradients([(grad, var)])
    with pytest.raises(UnimplementedError, match="minitf has no TPU"):
        opt.minimize(loss)
    with pytest.raises(ValueError, match="Unsupported reduction"):
        tpu.CrossShardOptimizer(tf.train.GradientDescentOptimizer(0.1),
                                reduction=tf.losses.Reduction.NONE)
    bad = tpu.CrossShardOptimizer(tf.train.GradientDescentOptimizer(0.1),
                                  group_assignment=[[0, 1]])
    with pytest.raises(ValueError, match=r"permutation of range\(1\)"):
        bad.compute_gradients(loss)
    assert opt.get_slot_names() == []


def test_what_needs_a_tpu_is_refused():
    for name in ("rewrite", "shard", "replicate", "initialize_system", "shutdown_system",
                 "cross_replica_sum", "outside_compilation", "infeed_dequeue_tuple"):
        with pytest.raises(UnimplementedError, match=f"tf.contrib.tpu.{name}: minitf has no "
                                                     "TPU"):
            getattr(tpu, name)(lambda: None)
    assert tpu.core(3) == "device:TPU_REPLICATED_CORE:3"  # TF 1.15's tpu.core
    with pytest.raises(AttributeError, match="minitf provides tf.contrib.tpu"):
        tpu.TPUEmbedding  # noqa: B018
    with pytest.raises(UnimplementedError, match="Cloud TPU"):
        tf.contrib.cluster_resolver.TPUClusterResolver("my-tpu", zone="us-central1-b",
                                                       project="p")


def test_simple_cluster_resolver():
    spec = tf.train.ClusterSpec({"worker": ["a:1", "b:2"]})
    r = tf.contrib.cluster_resolver.SimpleClusterResolver(spec, master="m:0", task_type="worker",
                                                          task_id=1, rpc_layer="grpc")
    assert r.cluster_spec() is spec
    assert r.master() == "grpc://m:0"
    assert r.master("worker", 0) == "grpc://a:1"
    assert r.master("worker", 1, rpc_layer="http") == "http://b:2"
    assert (r.task_type, r.task_id, r.num_accelerators(), r.environment) == ("worker", 1, {}, "")
    assert isinstance(r, tf.contrib.cluster_resolver.ClusterResolver)
    with pytest.raises(TypeError, match="cluster_spec must be a `tf.train.ClusterSpec`"):
        tf.contrib.cluster_resolver.SimpleClusterResolver({"worker": ["a:1"]})
    with pytest.raises(TypeError, match="master must be a string"):
        tf.contrib.cluster_resolver.SimpleClusterResolver(spec, master=None)
