"""TF 1.x's tensorflow.examples.tutorials.mnist: ``input_data`` reads the data sets as
tf.contrib.learn's mnist does, and ``mnist``'s model (fully_connected_feed's) is checked
against numpy: names, logits, loss, evaluation and a training step."""

import numpy as np

import minitf as tf
from minitf.contrib.learn.datasets import mnist as learn_mnist
from minitf.examples.tutorials.mnist import input_data, mnist


def test_input_data_is_the_learn_reader():
    assert input_data.read_data_sets is learn_mnist.read_data_sets
    sets = input_data.read_data_sets("unused", fake_data=True, one_hot=True)
    images, labels = sets.train.next_batch(3, fake_data=True)
    assert np.shape(images) == (3, mnist.IMAGE_PIXELS) and np.shape(labels) == (3, 10)


def test_model_loss_evaluation_and_training_against_numpy():
    tf.set_random_seed(0)  # a fixed initialisation: the test must not depend on the draw
    rng = np.random.default_rng(0)
    x = rng.random((5, mnist.IMAGE_PIXELS), dtype=np.float32)
    y = np.array([0, 3, 9, 3, 1], np.int32)
    images = tf.placeholder(tf.float32, [None, mnist.IMAGE_PIXELS])
    labels = tf.placeholder(tf.int32, [None])
    logits = mnist.inference(images, 8, 4)
    loss = mnist.loss(logits, labels)
    train = mnist.training(loss, 0.05)
    correct = mnist.evaluation(logits, labels)
    names = [v.op.name for v in tf.global_variables()]
    assert names == ["hidden1/weights", "hidden1/biases", "hidden2/weights", "hidden2/biases",
                     "softmax_linear/weights", "softmax_linear/biases", "global_step"]
    assert [op.name for op in tf.get_collection(tf.GraphKeys.SUMMARIES)] == ["loss:0"]
    feed = {images: x, labels: y}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        w = sess.run(tf.trainable_variables())
        got_logits, got_loss, got_correct = sess.run([logits, loss, correct], feed)
        sess.run(train, feed)
        after = sess.run(loss, feed)
        w_after = sess.run(tf.trainable_variables())
        step = sess.run(tf.global_variables()[-1])
    # Truncated normal of stddev 1/sqrt(fan_in): within two standard deviations.
    assert np.abs(w[0]).max() <= 2 / np.sqrt(mnist.IMAGE_PIXELS) + 1e-6
    h1 = np.maximum(x @ w[0] + w[1], 0)
    h2 = np.maximum(h1 @ w[2] + w[3], 0)
    want = h2 @ w[4] + w[5]
    np.testing.assert_allclose(got_logits, want, rtol=1e-5, atol=1e-6)
    shifted = want - want.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(got_loss, -log_p[np.arange(5), y].mean(), rtol=1e-5)
    # in_top_k(1): no logit above the label's (ties count, as TF's).
    target = got_logits[np.arange(5), y][:, None]
    assert got_correct == ((got_logits > target).sum(axis=1) == 0).sum()
    # One gradient-descent step on the softmax layer, by hand: d loss / d logits = (p - onehot) / n.
    d_logits = (np.exp(log_p) - np.eye(10)[y]) / 5
    np.testing.assert_allclose(w_after[5], w[5] - 0.05 * d_logits.sum(axis=0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(w_after[4], w[4] - 0.05 * h2.T @ d_logits, rtol=1e-5, atol=1e-7)
    assert after < got_loss and step == 1
