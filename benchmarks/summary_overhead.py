"""TensorBoard logging overhead: an MLP training step with and without one scalar summary.

Run: ``.venv/bin/python benchmarks/summary_overhead.py [--quick]``. The model is a 784-512-512-10
MLP trained with Adam on batches of 128. Both variants run in the same process on the same
session:

- ``train``: ``sess.run([train_op, loss], feed)``, the usual training loop;
- ``train + summary``: also fetches ``tf.summary.scalar("loss", loss)`` and hands it to a
  ``tf.summary.FileWriter`` (``add_summary(summary, step)``) every step.

They alternate in short blocks of steps (A B B A ...), so background load hits both alike; the
report gives the median step time of each and the median of the per-round ratios (the writer
thread's work lands inside the blocks that caused it, except at block boundaries). The
TensorBoard issue targets an overhead of at most 5%. ``benchmarks/train.py`` runs this too, after
its own figures. (Not named tensorboard.py: run as a script, it would shadow the tensorboard
package for everything imported after it.)
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import compare, fmt_us, machine  # noqa: E402

import minitf as tf  # noqa: E402
from minitf.export.events import summary_iterator  # noqa: E402


def build(batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(seed)
        x = tf.placeholder(tf.float32, [None, 784], name="x")
        labels = tf.placeholder(tf.int64, [None], name="labels")
        h = x
        for i, units in enumerate((512, 512, 10)):
            with tf.variable_scope(f"dense{i}"):
                w = tf.get_variable("kernel", [h.shape[-1].value, units],
                                    initializer=tf.glorot_uniform_initializer())
                b = tf.get_variable("bias", [units], initializer=tf.zeros_initializer())
                h = tf.nn.bias_add(tf.matmul(h, w), b)
                if units != 10:
                    h = tf.nn.relu(h)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=h), name="loss")
        train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
        summary = tf.summary.scalar("loss", loss)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    feed = {x: rng.standard_normal((batch, 784)).astype(np.float32),
            labels: rng.integers(0, 10, batch)}
    return sess, feed, train_op, loss, summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (CI smoke run)")
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args(argv)
    rounds = 10 if args.quick else 60
    block = 10  # steps per block

    sess, feed, train_op, loss, summary = build(args.batch)
    logdir = tempfile.mkdtemp(prefix="minitf-tb-bench-")
    writer = tf.summary.FileWriter(logdir, sess.graph)
    steps = itertools.count(1)

    def train():
        return sess.run([train_op, loss], feed)

    def train_with_summary():
        _, value, serialized = sess.run([train_op, loss, summary], feed)
        writer.add_summary(serialized, next(steps))
        return value

    print(f"minitf TensorBoard overhead, MLP 784-512-512-10 + Adam, batch {args.batch}")
    print(f"machine: {machine()}")
    for _ in range(block):  # warm-up: compiled plans, the writer thread running
        train()
        train_with_summary()
    times: dict = {"train": [], "train + summary": []}
    fns = {"train": train, "train + summary": train_with_summary}
    for r in range(rounds):
        order = list(fns) if r % 2 == 0 else list(reversed(fns))
        for name in order:
            start = time.perf_counter()
            for _ in range(block):
                fns[name]()
            times[name].append((time.perf_counter() - start) / block)
    ratios = [b / a for a, b in zip(times["train"], times["train + summary"])]
    # Logging alone, back to back: with the queue full this is the writer thread's throughput
    # (framing with CRC32C and writing), an upper bound on the per-step logging cost.
    serialized = sess.run(summary, feed)
    alone = compare({"add_summary": lambda: writer.add_summary(serialized, next(steps))},
                    repeats=5, min_time=0.05)["add_summary"]
    writer.close()
    written = sum(1 for e in summary_iterator(os.path.join(logdir, os.listdir(logdir)[0]))
                  if e.WhichOneof("what") == "summary")
    shutil.rmtree(logdir)
    base = statistics.median(times["train"])
    logged = statistics.median(times["train + summary"])
    overhead = statistics.median(ratios) - 1
    print(f"  train            {fmt_us(base)} per step (median of {rounds} blocks of {block})")
    print(f"  train + summary  {fmt_us(logged)} per step  ({written} summaries written)")
    print(f"  add_summary      {fmt_us(alone)} per call back to back (writer-bound)")
    print(f"  overhead         {overhead * 100:+.2f}% (median per-round ratio; target <= 5%) "
          f"{'OK' if overhead <= 0.05 else 'OVER TARGET'}")
    return {"train": base, "train + summary": logged, "overhead": overhead}


if __name__ == "__main__":
    main()
