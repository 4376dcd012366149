"""tf.keras.callbacks.TensorBoard's tags and steps, as TF 1.13-1.15's (tf_keras' callbacks_v1,
checked side by side with TF 2.21 + tf_keras by a probe): epoch logs are always
``epoch_<name>``; a batch's step is the number of batches before it; an epoch's step is its
number with update_freq='epoch', else the samples seen; an integer update_freq writes a batch
once that many samples passed since the last write."""

import glob

import numpy as np
import pytest

import minitf as tf

X = np.ones((64, 2), np.float32)
Y = np.ones((64, 1), np.float32)


def _events(log_dir):
    return [(e.step, v.tag) for f in sorted(glob.glob(f"{log_dir}/events*"))
            for e in tf.train.summary_iterator(f) for v in e.summary.value]


# 64 samples in batches of 16: 4 batches an epoch, 2 epochs.
@pytest.mark.parametrize("update_freq, want", [
    ("epoch", [(0, "epoch_loss"), (1, "epoch_loss")]),
    ("batch", [(0, "batch_loss"), (1, "batch_loss"), (2, "batch_loss"), (3, "batch_loss"),
               (64, "epoch_loss"), (4, "batch_loss"), (5, "batch_loss"), (6, "batch_loss"),
               (7, "batch_loss"), (128, "epoch_loss")]),
    # 40 samples: written after the 3rd batch (48 seen, step 2), then at 96 (6th, step 5).
    (40, [(2, "batch_loss"), (64, "epoch_loss"), (5, "batch_loss"), (128, "epoch_loss")]),
])
def test_tags_and_steps(tmp_path, update_freq, want):
    with tf.Graph().as_default(), tf.Session().as_default():
        model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
        model.compile("sgd", "mse")
        model.fit(X, Y, batch_size=16, epochs=2, verbose=0, shuffle=False, callbacks=[
            tf.keras.callbacks.TensorBoard(str(tmp_path), update_freq=update_freq,
                                           write_graph=False)])
    assert _events(tmp_path) == want


def test_validation_logs_are_epoch_val(tmp_path):
    with tf.Graph().as_default(), tf.Session().as_default():
        model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
        model.compile("sgd", "mse")
        model.fit(X, Y, batch_size=16, epochs=1, verbose=0, validation_split=0.25,
                  callbacks=[tf.keras.callbacks.TensorBoard(str(tmp_path), write_graph=False)])
    assert sorted(tag for _, tag in _events(tmp_path)) == ["epoch_loss", "epoch_val_loss"]
