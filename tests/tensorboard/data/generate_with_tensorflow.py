"""Regenerates the TensorFlow-written event file in this directory (needs ``tensorflow``).

    .venv/bin/python tests/tensorboard/data/generate_with_tensorflow.py [--out DIR]

Real TensorFlow (``tf.compat.v1`` graph mode) builds a small graph with a scalar, two
histograms, two image summaries, a text summary and a merge of them, runs it for three steps
on the fixed inputs saved in ``inputs.npz`` and writes every result with
``tf.compat.v1.summary.FileWriter(logdir, sess.graph)`` into ``tf_events.out.tfevents`` (the
file TensorFlow's C++ EventsWriter produced, renamed). tests/tensorboard/test_golden.py reads it
with minitf's reader, rebuilds every Event with minitf's encoder and summary kernels and checks
the TFRecord framing and the summary bytes are identical. The files are committed: CI needs no
TensorFlow.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow.compat.v1 as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 3


def make_inputs() -> dict:
    """Fixed inputs per step, stored without pickling (texts as fixed-width bytes)."""
    rng = np.random.default_rng(20240611)
    out = {}
    for k in range(STEPS):
        out[f"loss:{k}"] = np.float32(1.0 / (k + 1) + 0.123)
        out[f"weights:{k}"] = (rng.standard_normal(300) * (k + 1)).astype(np.float32)
        out[f"extremes:{k}"] = np.array([0.0, 0.0, 1e-13, -1e30, 7.0, -3.5, 2.2e-308, 1e20],
                                        np.float64) + k
        pics = rng.standard_normal((3, 6, 5, 1)).astype(np.float32)
        pics[1] = np.abs(pics[1])  # one all-positive image: the other normalisation branch
        pics[0, 2, 3, 0] = np.nan  # a bad pixel: bad_color
        out[f"pics:{k}"] = pics
        out[f"rgb:{k}"] = rng.integers(0, 256, (1, 4, 3, 3), dtype=np.uint8)
        out[f"notes:{k}"] = np.array([b"step %d" % k, "**bold** \u00e9".encode()])
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=HERE)
    args = parser.parse_args(argv)
    inputs = make_inputs()
    tf.disable_eager_execution()
    graph = tf.Graph()
    with graph.as_default():
        loss = tf.placeholder(tf.float32, [], name="loss")
        weights = tf.placeholder(tf.float32, [None], name="weights")
        extremes = tf.placeholder(tf.float64, [None], name="extremes")
        pics = tf.placeholder(tf.float32, [None, 6, 5, 1], name="pics")
        rgb = tf.placeholder(tf.uint8, [None, 4, 3, 3], name="rgb")
        notes = tf.placeholder(tf.string, [None], name="notes")
        with tf.name_scope("train"):
            s_loss = tf.summary.scalar("loss", loss)
        s_weights = tf.summary.histogram("weights", weights)
        s_extremes = tf.summary.histogram("extremes", extremes)
        s_pics = tf.summary.image("pics", pics, max_outputs=2)
        s_rgb = tf.summary.image("rgb", rgb, max_outputs=1)
        s_notes = tf.summary.text("notes", notes)
        merged = tf.summary.merge([s_loss, s_weights, s_extremes, s_notes])
    logdir = tempfile.mkdtemp()
    try:
        with tf.Session(graph=graph) as sess:
            writer = tf.summary.FileWriter(logdir, sess.graph)
            for k in range(STEPS):
                feed = {loss: inputs[f"loss:{k}"], weights: inputs[f"weights:{k}"],
                        extremes: inputs[f"extremes:{k}"], pics: inputs[f"pics:{k}"],
                        rgb: inputs[f"rgb:{k}"], notes: inputs[f"notes:{k}"]}
                results = sess.run([s_loss, s_weights, s_extremes, s_pics, s_rgb, s_notes,
                                    merged], feed)
                for i, summary in enumerate(results):
                    writer.add_summary(summary, global_step=10 * k + i)
            writer.close()
        (name,) = os.listdir(logdir)
        shutil.copy(os.path.join(logdir, name), os.path.join(args.out, "tf_events.out.tfevents"))
    finally:
        shutil.rmtree(logdir)
    np.savez(os.path.join(args.out, "inputs.npz"), **inputs)
    print(f"wrote {args.out}/tf_events.out.tfevents and inputs.npz (TensorFlow {tf.__version__})")


if __name__ == "__main__":
    main()
