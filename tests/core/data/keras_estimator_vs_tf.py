"""minitf's tf.keras.estimator.model_to_estimator against TensorFlow 2.21 with tf_keras (run by
tests/core/legacy_tf.py with TF_USE_LEGACY_KERAS=1). TF 2.21 no longer ships
tensorflow_estimator, so TF's model_to_estimator cannot run here; what it is checked against:

1. TF reads minitf's first checkpoint (model_dir/keras/keras_model.ckpt): the Keras model's
   weights under the layers' variable names.
2. tf_keras' fit, from the same initial weights on the same batches (Adam, an L2 regularizer,
   BatchNormalization; shuffle off), ends at the weights the Estimator's training left in its
   checkpoint, which TF reads; its evaluate gives the Estimator's loss.
3. TF's SavedModel loader runs the Estimator's export: the outputs are tf_keras' predict.

Prints one OK line per check."""

import os
import tempfile

import numpy as np

import minitf

rng = np.random.RandomState(0)
X = rng.randn(40, 3).astype(np.float32)
Y = (X @ np.array([[1.5], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
BATCH, EPOCHS = 8, 3


def build(keras):
    """The same model in either library (``keras`` is the module)."""
    inp = keras.Input((3,), name="feat")
    # no bias before BatchNormalization: its gradient is rounding noise, which Adam scales up
    h = keras.layers.Dense(5, name="h", use_bias=False,
                           kernel_regularizer=keras.regularizers.l2(0.01))(inp)
    h = keras.layers.BatchNormalization(name="bn")(h)
    out = keras.layers.Dense(1, name="out")(keras.layers.Activation("tanh")(h))
    model = keras.Model(inp, out)
    model.compile(keras.optimizers.Adam(0.02), "mse", metrics=["mae"])
    return model


def minitf_side(tmp):
    tf = minitf
    with tf.Graph().as_default():
        model = build(tf.keras)
        initial = model.get_weights()
        names = [w.op.name for w in model.weights]
        config = tf.estimator.RunConfig(save_summary_steps=1000, log_step_count_steps=None)
        est = tf.keras.estimator.model_to_estimator(model, model_dir=os.path.join(tmp, "m"),
                                                    config=config)
        est.train(tf.estimator.inputs.numpy_input_fn({"feat": X}, Y, batch_size=BATCH,
                                                     num_epochs=EPOCHS, shuffle=False))
        metrics = est.evaluate(tf.estimator.inputs.numpy_input_fn(
            {"feat": X}, Y, batch_size=BATCH, shuffle=False))
        receiver = tf.estimator.export.build_raw_serving_input_receiver_fn(
            {"feat": tf.placeholder(tf.float32, [None, 3], name="feat")})
        path = os.fsdecode(est.export_saved_model(os.path.join(tmp, "export"), receiver))
    tf.summary.FileWriterCache.clear()
    return initial, names, metrics, path


def main():
    tmp = tempfile.mkdtemp()
    initial, names, metrics, path = minitf_side(tmp)
    import tensorflow as tf
    import tf_keras

    reader = tf.train.load_checkpoint(os.path.join(tmp, "m", "keras", "keras_model.ckpt"))
    for name, value in zip(names, initial):
        np.testing.assert_array_equal(reader.get_tensor(name), value)
    print("OK first checkpoint")

    model = build(tf_keras)
    model.set_weights(initial)
    model.fit(X, Y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    model_dir = os.path.join(tmp, "m")
    assert tf.train.load_variable(model_dir, "global_step") == EPOCHS * len(X) // BATCH
    for name, want in zip(names, model.get_weights()):
        np.testing.assert_allclose(tf.train.load_variable(model_dir, name), want, rtol=1e-4,
                                   atol=1e-5, err_msg=name)
    loss, mae = model.evaluate(X, Y, batch_size=BATCH, verbose=0)
    # (TF 1.x names the 'mae' metric by its function)
    np.testing.assert_allclose([metrics["loss"], metrics["mean_absolute_error"]], [loss, mae],
                               rtol=1e-4)
    print("OK training and evaluation equal tf_keras fit/evaluate")

    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], path)
        sig = meta.signature_def["serving_default"]
        out = sess.run(sig.outputs["out"].name, {sig.inputs["feat"].name: X[:7]})
    np.testing.assert_allclose(out, model.predict(X[:7], verbose=0), rtol=1e-4, atol=1e-5)
    print("OK exported SavedModel in TF equals tf_keras predict")


if __name__ == "__main__":
    main()
