"""Erf and Lgamma kernels on float32: the vectorized path against the standard library per
element (what they were), side by side in one run, with TensorFlow's where installed.

Run: ``.venv/bin/python benchmarks/special.py``. Shape (128, 3072): BERT-base's GELU
activation for one 128-token sequence. Results are checked equal before timing."""

from __future__ import annotations

import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import compare, fmt_us, load_tf1, machine  # noqa: E402

from minitf.ops import special_ops  # noqa: E402


def bench(name, kernel, libm, values, tf1):
    x = values.astype(np.float32)
    per_element = special_ops._per_element(libm)
    assert np.array_equal(kernel(x), per_element(x))  # the same values, then the timing
    candidates = {"vectorized": lambda: kernel(x), "per element": lambda: per_element(x)}
    if tf1 is not None:
        graph = tf1.Graph()
        with graph.as_default():
            p = tf1.placeholder(tf1.float32, x.shape)
            out = getattr(tf1.math, name)(p)
        sess = tf1.Session(graph=graph)
        candidates["tf.compat.v1"] = lambda: sess.run(out, {p: x})
    t = compare(candidates, repeats=5, settle=frozenset({"tf.compat.v1"}))
    print(f"{name}, float32 (128, 3072), median per call:")
    for k, v in t.items():
        print(f"  {k:14s} {fmt_us(v)}")
    print(f"  per element / vectorized = {t['per element'] / t['vectorized']:.1f}x")


def main():
    print("machine:", machine())
    rng = np.random.default_rng(0)
    tf1 = load_tf1()
    bench("erf", special_ops.ERF.kernel, math.erf, rng.standard_normal((128, 3072)) * 2, tf1)
    bench("lgamma", special_ops.LGAMMA.kernel, special_ops._lgamma,
          rng.uniform(0.01, 10, (128, 3072)), tf1)


if __name__ == "__main__":
    main()
