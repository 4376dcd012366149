"""The quantized ops' side-by-side batteries: one builder source (``build`` and ``run_all``)
run here with minitf and in a TensorFlow subprocess with TF_ENABLE_ONEDNN_OPTS=0 (TF's
reference CPU kernels; its oneDNN rewrites differ). Each spec's outputs come back from TF as
``<i>_<j>`` arrays, or ``<i>_err`` with the error class's name."""

import json
import os
import subprocess
import sys

import numpy as np

import minitf as tf

_RUNNER = r'''
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf1
tf1.disable_eager_execution()
specs = json.load(open(sys.argv[1]))
a = dict(np.load(sys.argv[2]))
res = run_all(tf1, specs, a)
flat = {}
for i, r in enumerate(res):
    if isinstance(r, str):
        flat[f"{i}_err"] = np.array(r)
    else:
        for j, v in enumerate(r):
            flat[f"{i}_{j}"] = np.asarray(v)
np.savez(sys.argv[3], **flat)
'''


def tensorflow_results(build_source: str, specs, arrays, tmp_path) -> dict:
    (tmp_path / "specs.json").write_text(json.dumps(specs))
    np.savez(tmp_path / "in.npz", **arrays)
    done = subprocess.run(
        [sys.executable, "-c", build_source + _RUNNER, str(tmp_path / "specs.json"),
         str(tmp_path / "in.npz"), str(tmp_path / "out.npz")],
        capture_output=True, text=True, timeout=900,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0"))
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(np.load(tmp_path / "out.npz"))


def minitf_results(build_source: str, specs, arrays) -> list:
    space = {}
    exec(build_source, space)  # noqa: S102 - the builder the TF subprocess runs too
    return space["run_all"](tf, specs, arrays)


_INTEROP = r'''
import sys
import numpy as np
import tensorflow.compat.v1 as tf1
tf1.disable_eager_execution()
names = sys.argv[5].split(",")
g = tf1.Graph()
with g.as_default():  # minitf's GraphDef, run by TensorFlow
    tf1.import_graph_def(tf1.GraphDef.FromString(open(sys.argv[1], "rb").read()), name="")
    with tf1.Session() as s:
        out = dict(zip([f"m{i}" for i in range(len(names))], s.run(names)))
g = tf1.Graph()
with g.as_default():  # TensorFlow's own graph, for minitf to import
    exec(open(sys.argv[2]).read())
    with tf1.Session() as s:
        out.update(zip([f"t{i}" for i in range(len(names))], s.run(names)))
    open(sys.argv[3], "wb").write(g.as_graph_def().SerializeToString())
np.savez(sys.argv[4], **out)
'''


def check_graph_def_interop(graph_source: str, names: list, tmp_path):
    """``graph_source`` (code using ``t``, minitf or tf.compat.v1) built on both sides: TF runs
    minitf's GraphDef bytes and minitf runs TF's, and every tensor in ``names`` must come out
    with the same dtype and bytes as the other side computes. Returns the graph minitf
    imported from TF's bytes."""
    from minitf.export import graph_def as gdef

    def run():
        with tf.Session() as sess:
            return sess.run(names)

    g = tf.Graph()
    with g.as_default():
        exec(graph_source, {"tf": tf, "np": np})  # noqa: S102 - TF's side runs it too
        ours = run()
    (tmp_path / "m.pb").write_bytes(gdef.graph_to_graph_def(g).SerializeToString())
    (tmp_path / "graph.py").write_text(graph_source)
    done = subprocess.run(
        [sys.executable, "-c", _INTEROP, str(tmp_path / "m.pb"), str(tmp_path / "graph.py"),
         str(tmp_path / "t.pb"), str(tmp_path / "out.npz"), ",".join(names)],
        capture_output=True, text=True, timeout=600,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0"))
    assert done.returncode == 0, done.stderr[-3000:]
    want = dict(np.load(tmp_path / "out.npz"))
    g2 = gdef.graph_from_graph_def(gdef.parse_graph_def((tmp_path / "t.pb").read_bytes(), "tf"))
    with g2.as_default():
        theirs = run()
    for i, (a, b) in enumerate(zip(ours, theirs)):
        for got, ref in ((a, want[f"m{i}"]), (b, want[f"t{i}"])):
            got = np.asarray(got)
            assert got.dtype == ref.dtype and got.tobytes() == ref.tobytes(), names[i]
    return g2
