"""TF 1.x's ``tensorflow.examples.tutorials.mnist.mnist``: the fully_connected_feed tutorial's
two-hidden-layer model, with TF's scopes (hidden1, hidden2, softmax_linear), initializers,
loss, training op and evaluation."""

from __future__ import annotations

import math

import minitf as tf

NUM_CLASSES = 10
IMAGE_SIZE = 28
IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE

__all__ = ["IMAGE_PIXELS", "IMAGE_SIZE", "NUM_CLASSES", "evaluation", "inference", "loss",
           "training"]


def _layer(scope, inputs, n_in, n_out, relu):
    with tf.name_scope(scope):
        weights = tf.Variable(tf.truncated_normal([n_in, n_out], stddev=1.0 / math.sqrt(n_in)),
                              name="weights")
        biases = tf.Variable(tf.zeros([n_out]), name="biases")
        out = tf.matmul(inputs, weights) + biases
        return tf.nn.relu(out) if relu else out


def inference(images, hidden1_units, hidden2_units):
    """Logits ``[batch, NUM_CLASSES]`` of ``images`` (``[batch, IMAGE_PIXELS]``)."""
    hidden1 = _layer("hidden1", images, IMAGE_PIXELS, hidden1_units, relu=True)
    hidden2 = _layer("hidden2", hidden1, hidden1_units, hidden2_units, relu=True)
    return _layer("softmax_linear", hidden2, hidden2_units, NUM_CLASSES, relu=False)


def loss(logits, labels):
    """The mean sparse softmax cross-entropy of ``logits`` against int ``labels``."""
    return tf.losses.sparse_softmax_cross_entropy(labels=tf.to_int64(labels), logits=logits)


def training(loss, learning_rate):
    """A gradient-descent step on ``loss`` that counts ``global_step`` (and a "loss"
    scalar summary)."""
    tf.summary.scalar("loss", loss)
    optimizer = tf.train.GradientDescentOptimizer(learning_rate)
    global_step = tf.Variable(0, name="global_step", trainable=False)
    return optimizer.minimize(loss, global_step=global_step)


def evaluation(logits, labels):
    """How many of the batch's examples have their label as the top logit (int32)."""
    correct = tf.nn.in_top_k(logits, labels, 1)
    return tf.reduce_sum(tf.cast(correct, tf.int32))
