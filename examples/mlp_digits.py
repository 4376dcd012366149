"""An MLP classifier on scikit-learn's 8x8 digits (TF1 code with the minitf import).

    python -m examples.mlp_digits [--epochs 30] [--out runs/mlp] [--plot mlp.png]
                                  [--logdir runs/mlp_logs]

With --logdir, TensorBoard summaries go to <logdir>/train (batch loss and accuracy every
--log-every steps, weight histograms every epoch, the graph) and <logdir>/test (test loss and
accuracy every epoch): ``tensorboard --logdir <logdir>``.

Inputs "images" [None, 8, 8] float32; outputs "probs" [None, 10] and "classes" [None] int64.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import minitf as tf

from .common import Progress, batches, load_digits, save_curve


def dense(x, units, name, activation=None):
    with tf.variable_scope(name):
        w = tf.get_variable("kernel", [x.shape[-1].value, units],
                            initializer=tf.glorot_uniform_initializer())
        b = tf.get_variable("bias", [units], initializer=tf.zeros_initializer())
        h = tf.nn.bias_add(tf.matmul(x, w), b)
        return activation(h) if activation else h


def build_graph(learning_rate=0.003):
    images = tf.placeholder(tf.float32, [None, 8, 8], name="images")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    flat = tf.reshape(images, [-1, 64])
    h = dense(flat, 128, "hidden1", tf.nn.relu)
    h = dense(h, 64, "hidden2", tf.nn.relu)
    logits = dense(h, 10, "logits")
    return classifier_head(images, labels, logits, learning_rate)


def classifier_head(images, labels, logits, learning_rate):
    """Softmax outputs, cross-entropy loss, accuracy and an Adam step (shared with the CNN)."""
    probs = tf.nn.softmax(logits, name="probs")
    classes = tf.argmax(logits, axis=1, name="classes")
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits), name="loss")
    accuracy = tf.reduce_mean(tf.cast(tf.equal(classes, labels), tf.float32), name="accuracy")
    step = tf.train.get_or_create_global_step()
    train_op = tf.train.AdamOptimizer(learning_rate).minimize(loss, global_step=step,
                                                             name="train")
    return {"images": images, "labels": labels, "logits": logits, "probs": probs,
            "classes": classes, "loss": loss, "accuracy": accuracy, "train_op": train_op,
            "global_step": step}


def add_summaries(g):
    """TensorBoard summaries: loss/accuracy scalars (tags "metrics/loss", "metrics/accuracy")
    and a histogram per trainable variable ("histograms/<variable>")."""
    with tf.name_scope("metrics"):
        g["metrics"] = tf.summary.merge([tf.summary.scalar("loss", g["loss"]),
                                         tf.summary.scalar("accuracy", g["accuracy"])])
    with tf.name_scope("histograms"):
        g["histograms"] = tf.summary.merge([tf.summary.histogram(v.op.name, v)
                                            for v in tf.trainable_variables()])


def train(epochs=30, batch_size=32, out=None, plot=None, seed=0, name="mlp",
          build=build_graph, logdir=None, log_every=10):
    x_train, y_train, x_test, y_test = load_digits(seed)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        g = build()
        if logdir:
            add_summaries(g)
        saver = tf.train.Saver()
        init = tf.global_variables_initializer()
    rng = np.random.default_rng(seed)
    progress = Progress(name, epochs)
    test_feed = {g["images"]: x_test, g["labels"]: y_test}
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        if logdir:
            train_writer = tf.summary.FileWriter(os.path.join(logdir, "train"), sess.graph)
            test_writer = tf.summary.FileWriter(os.path.join(logdir, "test"))
        step = 0
        for epoch in range(1, epochs + 1):
            losses = []
            for idx in batches(len(x_train), batch_size, rng):
                feed = {g["images"]: x_train[idx], g["labels"]: y_train[idx]}
                step += 1
                if logdir and step % log_every == 0:
                    _, loss, summary = sess.run([g["train_op"], g["loss"], g["metrics"]], feed)
                    train_writer.add_summary(summary, step)
                else:
                    _, loss = sess.run([g["train_op"], g["loss"]], feed)
                losses.append(loss)
            if logdir:
                test_acc, summary = sess.run([g["accuracy"], g["metrics"]], test_feed)
                test_writer.add_summary(summary, step)
                train_writer.add_summary(sess.run(g["histograms"]), step)
            else:
                test_acc = sess.run(g["accuracy"], test_feed)
            progress.epoch(epoch, loss=float(np.mean(losses)), test_accuracy=float(test_acc))
        result = {"test_accuracy": float(test_acc), "loss": float(np.mean(losses))}
        if logdir:
            train_writer.close()
            test_writer.close()
            print(f"[{name}] TensorBoard logs in {logdir}: tensorboard --logdir {logdir}")
        if out:
            os.makedirs(out, exist_ok=True)
            result["checkpoint"] = saver.save(sess, os.path.join(out, "model"),
                                              global_step=g["global_step"])
            tf.train.write_graph(graph, out, "graph.pbtxt")
    if plot:
        save_curve(progress.history, plot, f"{name} on digits")
    print(f"[{name}] test accuracy {result['test_accuracy']:.4f} on {len(x_test)} images")
    return result


def main(argv=None, default_epochs=30, train_fn=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--epochs", type=int, default=default_epochs)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--out", default=None, help="directory for checkpoint + graph.pbtxt")
    parser.add_argument("--plot", default=None, help="write the learning curve to this PNG")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--logdir", default=None, help="write TensorBoard summaries here")
    parser.add_argument("--log-every", type=int, default=10,
                        help="steps between training summaries (with --logdir)")
    args = parser.parse_args(argv)
    return (train_fn or train)(epochs=args.epochs, batch_size=args.batch_size, out=args.out,
                               plot=args.plot, seed=args.seed, logdir=args.logdir,
                               log_every=args.log_every)


if __name__ == "__main__":
    main()
