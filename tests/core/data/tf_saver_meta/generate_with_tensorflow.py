"""Regenerates the TensorFlow-written checkpoints and meta graphs here (needs ``tensorflow``).

    .venv/bin/python tests/core/data/tf_saver_meta/generate_with_tensorflow.py [--out DIR]
    .venv/bin/python tests/core/data/tf_saver_meta/generate_with_tensorflow.py \\
        --restore PREFIX [PREFIX ...]

Real TensorFlow 1 code (``tf.compat.v1`` with v2 behaviour off: ref variables) trains a small
model with Adam for 3 steps and saves it with ``tf.train.Saver.save`` (checkpoint + ``.meta``,
whose graph holds the Saver's save/restore ops):

- ``plain/model.ckpt-3.*``: ``Saver()``: one SaveV2 and one RestoreV2;
- ``sharded/model.ckpt-3.*``: ``Saver(sharded=True)``: one SaveV2 per device (``w`` is on the
  CPU, the rest on no device: two shards), ShardedFilename and MergeV2Checkpoints;
- ``slices.*``: a bundle written by one raw SaveV2 of ``SLICES`` (name, shape-and-slice spec,
  value): slices with ``-`` extents (a whole dimension), a string slice, a whole tensor;
- ``expected.npz``: the batch (``x``, ``y``), every variable after the 3 steps
  (``saved:<name>``) and after ``STEPS`` more steps of ``train_op`` on that batch
  (``trained:<name>``), and the loss before each of those steps (``losses``).

The model has a partitioned variable (``b``, two parts, saved as one sliced tensor), so the
checkpoints and RestoreV2 hold shape-and-slice specs. ``--restore`` has TensorFlow restore each
``PREFIX`` (say, one minitf saved) twice and writes every variable to ``PREFIX.tf_built.npz``
(the graph built by this code, its Saver restoring) and ``PREFIX.tf_imported.npz`` (the graph
of ``PREFIX.meta``, through ``tf.train.import_meta_graph``). The files are committed: CI needs
no TensorFlow.
"""

from __future__ import annotations

import argparse
import os
import shutil

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow.compat.v1 as tf  # noqa: E402

tf.disable_v2_behavior()

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 5
KINDS = {"plain": False, "sharded": True}
SLICES = [("a", "2 2 -:0,1", np.array([[1.0], [3.0]], np.float32)),
          ("a", "2 2 -:1,1", np.array([[2.0], [4.0]], np.float32)),
          ("s", "3 1,2", np.array([b"x", b"yz"], dtype=object)),
          ("n", "", np.array([7, -8], np.int64))]


def batch():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((8, 3)).astype(np.float32),
            rng.standard_normal((8, 1)).astype(np.float32))


def build(sharded: bool):
    """The model, its Adam ``train_op`` and a Saver; returns (graph, saver)."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        y = tf.placeholder(tf.float32, [None, 1], name="y")
        with tf.device("/cpu:0"):
            w = tf.get_variable("w", [3, 4], initializer=tf.glorot_uniform_initializer(seed=1))
        b = tf.get_variable("b", [4], partitioner=tf.fixed_size_partitioner(2),
                            initializer=tf.constant_initializer(0.1))
        v = tf.get_variable("v", [4, 1], initializer=tf.glorot_uniform_initializer(seed=2))
        h = tf.nn.relu(tf.matmul(x, w) + b)
        tf.reduce_mean(tf.square(tf.matmul(h, v) - y), name="loss")
        step = tf.train.get_or_create_global_step()
        tf.train.AdamOptimizer(0.01).minimize(g.get_tensor_by_name("loss:0"), global_step=step,
                                              name="train_op")
        saver = tf.train.Saver(sharded=sharded, save_relative_paths=True)  # a movable fixture
    return g, saver


def variables(sess) -> dict:
    return dict(zip([v.op.name for v in tf.global_variables()],
                    sess.run(tf.global_variables())))


def generate(out: str) -> None:
    x, y = batch()
    expected = {"x": x, "y": y}
    for kind, sharded in KINDS.items():
        directory = os.path.join(out, kind)
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        g, saver = build(sharded)
        with g.as_default(), tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            feed = {"x:0": x, "y:0": y}
            for _ in range(3):
                sess.run("train_op", feed)
            saver.save(sess, os.path.join(directory, "model.ckpt"),
                       global_step=tf.train.get_global_step())
            expected.update({f"saved:{k}": a for k, a in variables(sess).items()})
            losses = [sess.run(["loss:0", "train_op"], feed)[0] for _ in range(STEPS)]
            expected.update({f"trained:{k}": a for k, a in variables(sess).items()})
            expected["losses"] = np.array(losses, np.float32)
    np.savez(os.path.join(out, "expected.npz"), **expected)
    with tf.Graph().as_default(), tf.Session() as sess:
        sess.run(tf.raw_ops.SaveV2(prefix=os.path.join(out, "slices"),
                                   tensor_names=[n for n, _, _ in SLICES],
                                   shape_and_slices=[s for _, s, _ in SLICES],
                                   tensors=[tf.constant(v) for _, _, v in SLICES]))


def restore(prefix: str) -> None:
    g, saver = build(False)
    with g.as_default(), tf.Session() as sess:
        saver.restore(sess, prefix)
        np.savez(f"{prefix}.tf_built.npz", **variables(sess))
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(f"{prefix}.meta")
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            np.savez(f"{prefix}.tf_imported.npz", **variables(sess))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=HERE)
    parser.add_argument("--restore", nargs="+")
    args = parser.parse_args()
    for prefix in args.restore or ():
        restore(prefix)
    if not args.restore:
        generate(args.out)
