"""minitf's tf.estimator against TensorFlow 2.21's tf.compat.v1 (which no longer ships
tf.estimator: tensorflow_estimator stops at TF 2.15). The same deterministic model_fn body is
trained by minitf's Estimator and by a TF1 loop written out by hand (what Estimator.train
runs: global step, GradientDescent, one batch per step), then TF reads what minitf wrote:
the checkpoints (names and values), the event files, the exported SavedModels (TF's loader,
same outputs). Prints one OK line per check."""

import glob
import os
import tempfile

import numpy as np

import minitf

rng = np.random.RandomState(0)
X = rng.randn(60, 3).astype(np.float32)
Y = (X @ np.array([1.5, -2.0, 0.5], np.float32) + 0.3).astype(np.float32)
BATCH, STEPS = 20, 9


def model_fn(tf, features, labels, mode):
    """TF1 code, run by either library (``tf`` is the module)."""
    w = tf.get_variable("dense/kernel", [3, 1], initializer=tf.constant_initializer(0.1))
    b = tf.get_variable("dense/bias", [1], initializer=tf.constant_initializer(-0.2))
    pred = tf.squeeze(tf.matmul(features["x"], w) + b, 1)
    if mode == "infer":
        return pred, None, None, None
    loss = tf.losses.mean_squared_error(labels, pred)
    train = tf.train.GradientDescentOptimizer(0.05).minimize(
        loss, global_step=tf.train.get_global_step())
    return pred, loss, train, {"mae": tf.metrics.mean_absolute_error(labels, pred)}


def minitf_side(tmp):
    tf = minitf
    losses = []

    def fn(features, labels, mode):
        pred, loss, train, metrics = model_fn(tf, features, labels, mode)
        if mode == tf.estimator.ModeKeys.PREDICT:
            return tf.estimator.EstimatorSpec(mode, predictions={"y": pred})
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train,
                                          eval_metric_ops=metrics)

    class Losses(tf.train.SessionRunHook):
        def before_run(self, run_context):
            return tf.train.SessionRunArgs(tf.get_collection(tf.GraphKeys.LOSSES)[0])

        def after_run(self, run_context, run_values):
            losses.append(float(run_values.results))

    est = tf.estimator.Estimator(fn, model_dir=os.path.join(tmp, "m"),
                                 config=tf.estimator.RunConfig(log_step_count_steps=3,
                                                               save_summary_steps=3))
    inp = tf.estimator.inputs.numpy_input_fn({"x": X}, Y, batch_size=BATCH, num_epochs=None,
                                             shuffle=False)
    est.train(inp, steps=STEPS, hooks=[Losses()])
    metrics = est.evaluate(tf.estimator.inputs.numpy_input_fn({"x": X}, Y, batch_size=BATCH,
                                                              shuffle=False))
    receiver = tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.placeholder(tf.float32, [None, 3], name="x")})
    path = est.export_saved_model(os.path.join(tmp, "export"), receiver)
    columns = [tf.feature_column.numeric_column("x", [3])]
    canned = tf.estimator.LinearClassifier(columns, model_dir=os.path.join(tmp, "c"))
    canned.train(tf.estimator.inputs.numpy_input_fn({"x": X}, (Y > 0).astype(np.int64),
                                                    batch_size=BATCH, shuffle=False), steps=3)
    spec = tf.feature_column.make_parse_example_spec(columns)
    canned_path = canned.export_saved_model(
        os.path.join(tmp, "cexport"),
        tf.estimator.export.build_parsing_serving_input_receiver_fn(spec))
    canned_probs = next(canned.predict(tf.estimator.inputs.numpy_input_fn(
        {"x": X[:1]}, shuffle=False)))["probabilities"]
    tf.summary.FileWriterCache.clear()
    preds = [p["y"] for p in est.predict(tf.estimator.inputs.numpy_input_fn(
        {"x": X[:5]}, shuffle=False))]
    return est, losses, metrics, os.fsdecode(path), os.fsdecode(canned_path), canned_probs, \
        preds


def tf_side_training():
    """What Estimator.train runs, written with tf.compat.v1."""
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        x = tf.placeholder(tf.float32, [None, 3])
        y = tf.placeholder(tf.float32, [None])
        _, loss, train, metrics = model_fn(tf, {"x": x}, y, "train")
        names = sorted(v.op.name for v in tf.global_variables())
        losses = []
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for i in range(STEPS):
                lo = (i * BATCH) % len(X)
                losses.append(float(sess.run([train, loss], {x: X[lo:lo + BATCH],
                                                              y: Y[lo:lo + BATCH]})[1]))
            sess.run(tf.local_variables_initializer())
            for lo in range(0, len(X), BATCH):
                sess.run([metrics["mae"][1]], {x: X[lo:lo + BATCH], y: Y[lo:lo + BATCH]})
            mae = sess.run(metrics["mae"][0])
            assert int(sess.run(step)) == STEPS
    return losses, names, mae


def main():
    tmp = tempfile.mkdtemp()
    est, losses, metrics, path, canned_path, canned_probs, preds = minitf_side(tmp)
    import tensorflow as tf

    tf_losses, tf_names, tf_mae = tf_side_training()
    np.testing.assert_allclose(losses, tf_losses, rtol=1e-5)
    print("OK losses")
    assert est.get_variable_names() == tf_names, (est.get_variable_names(), tf_names)
    model_dir = os.path.join(tmp, "m")
    ckpt = tf.train.latest_checkpoint(model_dir)
    assert ckpt.endswith(f"model.ckpt-{STEPS}"), ckpt
    assert sorted(n for n, _ in tf.train.list_variables(model_dir)) == tf_names
    for name in tf_names:
        np.testing.assert_allclose(tf.train.load_variable(model_dir, name),
                                   est.get_variable_value(name))
    print("OK checkpoint")
    np.testing.assert_allclose(metrics["mae"], tf_mae, rtol=1e-5)
    assert set(metrics) == {"loss", "mae", "global_step"}
    print("OK metrics")
    tags = {}
    for sub in ("", "eval"):
        for f in glob.glob(os.path.join(model_dir, sub, "events.out.tfevents.*")):
            for e in tf.compat.v1.train.summary_iterator(f):
                tags.setdefault(sub, set()).update(v.tag for v in e.summary.value)
    assert {"loss", "global_step/sec"} <= tags[""], tags
    assert {"loss", "mae", "checkpoint_path"} <= tags["eval"], tags
    print("OK events")
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], path)
        sig = meta.signature_def["serving_default"]
        out = sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: X[:5]})
    np.testing.assert_allclose(out, preds, rtol=1e-5)
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], canned_path)
        assert set(meta.signature_def) == {"serving_default", "classification", "regression",
                                           "predict"}
        sig = meta.signature_def["serving_default"]
        example = tf.train.Example(features=tf.train.Features(feature={"x": tf.train.Feature(
            float_list=tf.train.FloatList(value=X[0].tolist()))}))
        scores = sess.run(sig.outputs["scores"].name,
                          {sig.inputs["inputs"].name: [example.SerializeToString()]})
    np.testing.assert_allclose(scores[0], canned_probs, rtol=1e-5)
    print("OK saved_model")


if __name__ == "__main__":
    main()
