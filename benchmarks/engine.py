"""Engine benchmark: Session.run against hand-written numpy (and tf.compat.v1 if importable).

Run: ``.venv/bin/python benchmarks/engine.py [--quick]``. Prints medians of interleaved
repeats and the ratios the engine issue targets:
- the seed graph (z = A*x + b): <= 10 us per Session.run and >= 20x faster than tf.compat.v1;
- MLP 784-512-512-10 forward: <= 1.10x numpy at batch 256 and <= 1.3x at batch 1.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import compare_with_tf, fmt_us, load_tf1, machine  # noqa: E402

import minitf as mtf  # noqa: E402


def seed_graph(tf):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, shape=[None], name="x")
        A = tf.get_variable("A", shape=[1], initializer=tf.random_normal_initializer())
        b = tf.Variable(tf.random_normal([1]), name="b")
        z = A * x + b
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    return sess, x, z, sess.run(A), sess.run(b)


def mlp_graph(tf, weights):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 784], name="x")
        h = x
        for i, (w, b) in enumerate(weights):
            W = tf.Variable(w, name=f"W{i}")
            B = tf.Variable(b, name=f"b{i}")
            h = tf.matmul(h, W) + B
            if i < len(weights) - 1:
                h = tf.nn.relu(h)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=graph)
    sess.run(init)
    return sess, x, h


def numpy_mlp(weights):
    def forward(x):
        h = x
        for i, (w, b) in enumerate(weights):
            h = h @ w + b
            if i < len(weights) - 1:
                h = np.maximum(h, 0)
        return h
    return forward


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (CI smoke run)")
    parser.add_argument("--no-tf", action="store_true", help="skip tf.compat.v1 even if present")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 9
    min_time = 0.02 if args.quick else 0.1
    tf1 = None if args.no_tf else load_tf1()
    print(f"machine: {machine()}")
    print(f"tensorflow: {'tf.compat.v1 ' + tf1.VERSION if tf1 else 'not importable'}\n")

    # -- seed graph ------------------------------------------------------------------------------
    sess, x, z, a_val, b_val = seed_graph(mtf)
    xv = np.array([1.0, 2.0, 3.0], np.float32)
    feed = {x: xv}
    candidates = {
        "minitf Session.run": lambda: sess.run(z, feed),
        "numpy": lambda: a_val * xv + b_val,
    }
    tf_candidates = {}
    if tf1 is not None:
        tsess, tx, tz, _, _ = seed_graph(tf1)
        tfeed = {tx: xv}
        tf_candidates["tf.compat.v1 Session.run"] = lambda: tsess.run(tz, tfeed)
    t = compare_with_tf(candidates, tf_candidates, repeats, min_time)
    print("seed graph z = A*x + b (3 elements), median per run:")
    for name, sec in t.items():
        print(f"  {name:28s}{fmt_us(sec)}")
    ratio_np = t["minitf Session.run"] / t["numpy"]
    print(f"  minitf / numpy = {ratio_np:.2f}x   (target: minitf <= 10 us)")
    results = {"seed_us": t["minitf Session.run"] * 1e6}
    if tf1 is not None:
        speedup = t["tf.compat.v1 Session.run"] / t["minitf Session.run"]
        print(f"  tf.compat.v1 / minitf = {speedup:.1f}x faster   (target: >= 20x)")
        results["seed_vs_tf"] = speedup

    # -- MLP forward -------------------------------------------------------------------------------
    rng = np.random.default_rng(0)
    sizes = [784, 512, 512, 10]
    weights = [((rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(np.float32),
                np.zeros(b, np.float32)) for a, b in zip(sizes, sizes[1:])]
    msess, mx, mout = mlp_graph(mtf, weights)
    forward = numpy_mlp(weights)
    print("\nMLP 784-512-512-10 forward, median per batch:")
    for batch in (1, 32, 256):
        xb = rng.standard_normal((batch, 784)).astype(np.float32)
        np.testing.assert_allclose(msess.run(mout, {mx: xb}), forward(xb), rtol=1e-4,
                                   atol=1e-4)
        mfeed = {mx: xb}
        cands = {"minitf": lambda f=mfeed: msess.run(mout, f), "numpy": lambda b=xb: forward(b)}
        tf_cands = {}
        if tf1 is not None:
            tsess, tx, tout = mlp_graph(tf1, weights)
            tfeed = {tx: xb}
            tf_cands["tf.compat.v1"] = lambda f=tfeed, s=tsess, o=tout: s.run(o, f)
        t = compare_with_tf(cands, tf_cands, repeats, min_time)
        ratio = t["minitf"] / t["numpy"]
        line = (f"  batch {batch:3d}: minitf {fmt_us(t['minitf'])}  numpy {fmt_us(t['numpy'])}"
                f"  ratio {ratio:.3f}x")
        if tf1 is not None:
            line += f"  tf.compat.v1 {fmt_us(t['tf.compat.v1'])}"
        print(line)
        results[f"mlp{batch}_ratio"] = ratio
    print("  targets: <= 1.10x numpy at batch 256, <= 1.3x at batch 1")

    # -- while loop --------------------------------------------------------------------------------
    # No target: what one iteration of a tf.while_loop costs (the Plan runs the condition and
    # the body as sub-plans per iteration), next to the same loop in Python and in TF's v1
    # control flow (Enter/Exit frames), which TF1 code builds.
    if tf1 is not None:
        tf1.disable_control_flow_v2()
    iterations = 1000
    print(f"\nwhile_loop, {iterations} iterations of (i + 1, acc * 0.5 + 1), median per "
          "iteration:")

    def python_loop():
        i, acc = 0, np.float32(0.0)
        while i < iterations:
            i, acc = i + 1, acc * np.float32(0.5) + np.float32(1.0)
        return acc

    loop_cands = {"minitf": _loop_runner(mtf, iterations), "numpy (Python loop)": python_loop}
    loop_tf = {"tf.compat.v1": _loop_runner(tf1, iterations)} if tf1 is not None else {}
    t = compare_with_tf(loop_cands, loop_tf, repeats, min_time)
    for name, sec in t.items():
        print(f"  {name:28s}{fmt_us(sec / iterations)}")
    results["loop_iter_us"] = t["minitf"] / iterations * 1e6
    return results


def _loop_runner(tf, iterations):
    graph = tf.Graph()
    with graph.as_default():
        n = tf.placeholder(tf.int32, [])
        _, acc = tf.while_loop(lambda i, a: i < n, lambda i, a: (i + 1, a * 0.5 + 1.0),
                               [tf.constant(0), tf.constant(0.0)])
    sess = tf.Session(graph=graph)
    assert abs(sess.run(acc, {n: iterations}) - 2.0) < 1e-6
    feed = {n: iterations}
    return lambda: sess.run(acc, feed)


if __name__ == "__main__":
    main()
