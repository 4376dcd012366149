"""The seed example: learn A and b of y = A*x + b from noisy data (TF1 code, minitf import).

    python -m examples.linear_regression [--steps 300] [--out runs/linear] [--plot curve.png]
                                         [--logdir runs/linear_logs]

Saves a checkpoint and the training graph to --out, ready for ``minitf export``. With --logdir,
the loss, A and b are logged as TensorBoard scalars (plus histograms of A and b) at every
progress line, with the graph: ``tensorboard --logdir <logdir>``.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import minitf as tf

from .common import Progress, save_curve

TRUE_A, TRUE_B = 2.5, -1.0


def build_graph():
    """The seed's graph: placeholders, two variables, a mean-squared loss, gradient descent."""
    x = tf.placeholder(tf.float32, shape=[None], name="x")
    y = tf.placeholder(tf.float32, shape=[None], name="y")
    A = tf.get_variable("A", shape=[1], initializer=tf.random_normal_initializer())
    b = tf.Variable(tf.random_normal([1]), name="b")
    z = tf.identity(A * x + b, name="z")
    loss = tf.reduce_mean(tf.square(z - y), name="loss")
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")
    return {"x": x, "y": y, "A": A, "b": b, "z": z, "loss": loss, "train_op": train_op}


def make_data(n=500, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n).astype(np.float32)
    y = (TRUE_A * x + TRUE_B + rng.normal(0, 0.1, n)).astype(np.float32)
    return x, y


def add_summaries(g):
    """Scalars "metrics/loss", "metrics/A", "metrics/b" and histograms of A and b."""
    with tf.name_scope("metrics"):
        tf.summary.scalar("loss", g["loss"])
        tf.summary.scalar("A", g["A"][0])
        tf.summary.scalar("b", g["b"][0])
    with tf.name_scope("histograms"):
        tf.summary.histogram("A", g["A"])
        tf.summary.histogram("b", g["b"])
    g["summaries"] = tf.summary.merge_all()


def train(steps=300, out=None, plot=None, seed=0, log_every=None, logdir=None):
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        g = build_graph()
        if logdir:
            add_summaries(g)
        saver = tf.train.Saver()
    x_data, y_data = make_data(seed=seed)
    progress = Progress("linear", steps)
    log_every = log_every or max(steps // 10, 1)
    writer = tf.summary.FileWriter(logdir, graph) if logdir else None
    with tf.Session(graph=graph) as sess:
        sess.run(tf.variables_initializer(graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)))
        feed = {g["x"]: x_data, g["y"]: y_data}
        for step in range(1, steps + 1):
            _, loss = sess.run([g["train_op"], g["loss"]], feed)
            if step % log_every == 0 or step == steps:
                progress.epoch(step, loss=float(loss))
                if writer:
                    writer.add_summary(sess.run(g["summaries"], feed), step)
        a_val, b_val = sess.run([g["A"], g["b"]])
        result = {"A": float(a_val[0]), "b": float(b_val[0]), "loss": float(loss)}
        if writer:
            writer.close()
            print(f"[linear] TensorBoard logs in {logdir}: tensorboard --logdir {logdir}")
        if out:
            os.makedirs(out, exist_ok=True)
            result["checkpoint"] = saver.save(sess, os.path.join(out, "model"), global_step=steps)
            tf.train.write_graph(graph, out, "graph.pbtxt")
    if plot:
        save_curve(progress.history, plot, "linear regression")
    print(f"[linear] learned A = {result['A']:.4f} (true {TRUE_A}), "
          f"b = {result['b']:.4f} (true {TRUE_B})")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--out", default=None, help="directory for checkpoint + graph.pbtxt")
    parser.add_argument("--plot", default=None, help="write the learning curve to this PNG")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--logdir", default=None, help="write TensorBoard summaries here")
    args = parser.parse_args(argv)
    return train(args.steps, args.out, args.plot, args.seed, logdir=args.logdir)


if __name__ == "__main__":
    main()
