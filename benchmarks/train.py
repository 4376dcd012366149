"""Training benchmark: one training step in minitf vs hand-written numpy (and tf.compat.v1).

Run: ``.venv/bin/python benchmarks/train.py [--quick]``. Targets (training issue):
- MLP 784-512-512-10, Adam, batch 128: minitf step <= 1.2x the numpy step, faster than TF;
- the seed's linear regression: <= 40 us per GradientDescent step;
- the MLP step with one scalar summary logged per step: <= 5% slower (summary_overhead.py).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import compare_with_tf, fmt_us, load_tf1, machine  # noqa: E402

import minitf as mtf  # noqa: E402

SIZES = [784, 512, 512, 10]
BATCH = 128


def init_weights(seed=0):
    rng = np.random.default_rng(seed)
    return [((rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(np.float32),
             np.zeros(b, np.float32)) for a, b in zip(SIZES, SIZES[1:])]


def graph_mlp(tf, weights):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 784], name="x")
        y = tf.placeholder(tf.int64, [None], name="y")
        h = x
        for i, (w, b) in enumerate(weights):
            h = tf.matmul(h, tf.Variable(w, name=f"W{i}")) + tf.Variable(b, name=f"b{i}")
            if i < len(weights) - 1:
                h = tf.nn.relu(h)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                             logits=h))
        train = tf.train.AdamOptimizer(1e-3).minimize(loss)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    return sess, x, y, train, loss


class NumpyMLP:
    """The same model, gradients and Adam update written by hand in numpy (float32)."""

    def __init__(self, weights, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
        self.params = [a.copy() for wb in weights for a in wb]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, eps, 0

    def step(self, x, y):
        W1, b1, W2, b2, W3, b3 = self.params
        h1 = x @ W1 + b1
        a1 = np.maximum(h1, 0)
        h2 = a1 @ W2 + b2
        a2 = np.maximum(h2, 0)
        logits = a2 @ W3 + b3
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        probs = e / e.sum(axis=1, keepdims=True)
        n = x.shape[0]
        loss = -np.log(probs[np.arange(n), y]).mean()
        d = probs
        d[np.arange(n), y] -= 1
        d /= n
        grads = [None] * 6
        grads[4], grads[5] = a2.T @ d, d.sum(axis=0)
        d = (d @ W3.T) * (h2 > 0)
        grads[2], grads[3] = a1.T @ d, d.sum(axis=0)
        d = (d @ W2.T) * (h1 > 0)
        grads[0], grads[1] = x.T @ d, d.sum(axis=0)
        self.t += 1
        # A Python float: numpy's float64 scalar would push the update into float64.
        lr_t = float(self.lr * np.sqrt(1 - self.b2**self.t) / (1 - self.b1**self.t))
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m += (g - m) * (1 - self.b1)
            v += (g * g - v) * (1 - self.b2)
            p -= lr_t * m / (np.sqrt(v) + self.eps)
        return loss


def linear_graph(tf):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, shape=[None], name="x")
        y = tf.placeholder(tf.float32, shape=[None], name="y")
        A = tf.get_variable("A", shape=[1], initializer=tf.random_normal_initializer())
        b = tf.Variable(tf.random_normal([1]), name="b")
        loss = tf.reduce_mean(tf.square(A * x + b - y))
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    return sess, x, y, train


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke run)")
    parser.add_argument("--no-tf", action="store_true", help="skip tf.compat.v1")
    args = parser.parse_args(argv)
    repeats, min_time = (3, 0.05) if args.quick else (9, 0.3)
    tf1 = None if args.no_tf else load_tf1()
    print(f"machine: {machine()}")
    print(f"tensorflow: {'tf.compat.v1 ' + tf1.VERSION if tf1 else 'not importable'}\n")

    rng = np.random.default_rng(1)
    xb = rng.standard_normal((BATCH, 784)).astype(np.float32)
    yb = rng.integers(0, 10, BATCH)
    weights = init_weights()
    sess, x, y, train, loss = graph_mlp(mtf, weights)
    ref = NumpyMLP(weights)
    # Same model, same data: the first losses agree (a correctness check of the comparison).
    first = sess.run(loss, {x: xb, y: yb})
    np.testing.assert_allclose(first, ref.step(xb, yb), rtol=1e-4)
    feed = {x: xb, y: yb}
    cands = {"minitf": lambda: sess.run(train, feed), "numpy": lambda: ref.step(xb, yb)}
    tf_cands = {}
    if tf1 is not None:
        tsess, tx, ty, ttrain, _ = graph_mlp(tf1, weights)
        tfeed = {tx: xb, ty: yb}
        tf_cands["tf.compat.v1"] = lambda: tsess.run(ttrain, tfeed)
    t = compare_with_tf(cands, tf_cands, repeats, min_time)
    print(f"MLP 784-512-512-10 Adam step, batch {BATCH}, median:")
    for name, sec in t.items():
        print(f"  {name:14s}{fmt_us(sec)}")
    ratio = t["minitf"] / t["numpy"]
    print(f"  minitf / numpy = {ratio:.3f}x   (target <= 1.2x)")
    results = {"mlp_ratio": ratio}
    if tf1 is not None:
        print(f"  tf.compat.v1 / minitf = {t['tf.compat.v1'] / t['minitf']:.2f}x   "
              "(target > 1: minitf faster)")
        results["mlp_vs_tf"] = t["tf.compat.v1"] / t["minitf"]

    lsess, lx, ly, ltrain = linear_graph(mtf)
    xs = rng.uniform(-2, 2, 500).astype(np.float32)
    ys = (2.5 * xs - 1).astype(np.float32)
    lfeed = {lx: xs, ly: ys}
    cands = {"minitf": lambda: lsess.run(ltrain, lfeed)}
    tf_cands = {}
    if tf1 is not None:
        tlsess, tlx, tly, tltrain = linear_graph(tf1)
        tlfeed = {tlx: xs, tly: ys}
        tf_cands["tf.compat.v1"] = lambda: tlsess.run(tltrain, tlfeed)
    t = compare_with_tf(cands, tf_cands, repeats, min_time / 3)
    print("\nlinear regression GradientDescent step (500 points), median:")
    for name, sec in t.items():
        print(f"  {name:14s}{fmt_us(sec)}")
    print("  target: minitf <= 40 us")
    results["linear_us"] = t["minitf"] * 1e6

    import summary_overhead  # same folder, already on sys.path

    print()
    results["summary_overhead"] = summary_overhead.main(["--quick"] if args.quick else [])[
        "overhead"]
    return results


if __name__ == "__main__":
    main()
