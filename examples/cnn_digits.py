"""A small CNN (Conv2D + MaxPool + dense) on scikit-learn's 8x8 digits, in TF1 style.

    python -m examples.cnn_digits [--epochs 20] [--out runs/cnn] [--plot cnn.png]
                                  [--logdir runs/cnn_logs]

--logdir writes TensorBoard summaries as in examples.mlp_digits.

Inputs "images" [None, 8, 8] float32; outputs "probs" [None, 10] and "classes" [None] int64.
"""

from __future__ import annotations

import minitf as tf

from . import mlp_digits


def conv(x, filters, name):
    with tf.variable_scope(name):
        k = tf.get_variable("kernel", [3, 3, x.shape[-1].value, filters],
                            initializer=tf.glorot_uniform_initializer())
        b = tf.get_variable("bias", [filters], initializer=tf.zeros_initializer())
        h = tf.nn.conv2d(x, k, strides=[1, 1, 1, 1], padding="SAME")
        return tf.nn.relu(tf.nn.bias_add(h, b))


def build_graph(learning_rate=0.002):
    images = tf.placeholder(tf.float32, [None, 8, 8], name="images")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    x = tf.expand_dims(images, -1)                       # [N, 8, 8, 1]
    x = conv(x, 16, "conv1")
    x = tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")  # 4x4
    x = conv(x, 32, "conv2")
    x = tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")  # 2x2
    x = tf.reshape(x, [-1, 2 * 2 * 32])
    x = mlp_digits.dense(x, 64, "dense", tf.nn.relu)
    logits = mlp_digits.dense(x, 10, "logits")
    return mlp_digits.classifier_head(images, labels, logits, learning_rate)


def train(epochs=20, batch_size=32, out=None, plot=None, seed=0, logdir=None, log_every=10):
    return mlp_digits.train(epochs, batch_size, out, plot, seed, name="cnn", build=build_graph,
                            logdir=logdir, log_every=log_every)


def main(argv=None):
    return mlp_digits.main(argv, default_epochs=20, train_fn=train)


if __name__ == "__main__":
    main()
