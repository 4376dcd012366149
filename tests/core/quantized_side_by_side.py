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
