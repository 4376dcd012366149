"""Runs a comparison script of tests/core/data against tf.compat.v1 with Keras 2 (tf_keras):
TF 2.16+ ships Keras 3, whose tf.compat.v1.layers and tf.nn.rnn_cell are gone, and
TF_USE_LEGACY_KERAS must be set before TensorFlow is imported, hence a process of its own."""

import contextlib
import importlib.util
import os
import re
import subprocess
import sys

import pytest


def run_against_tf(script: str, cases: int, source: str | None = None, tmp_path=None) -> None:
    """Skips without tensorflow and tf_keras; else runs ``script`` of tests/core/data (or,
    given ``source``, that text written to ``tmp_path/script``) from the repository's root:
    ``cases`` lines say OK (the word) and none says DIFF or FAIL."""
    if importlib.util.find_spec("tf_keras") is None or \
            importlib.util.find_spec("tensorflow") is None:
        pytest.skip("needs tensorflow and tf_keras")
    path = os.path.join(os.path.dirname(__file__), "data", script)
    if source is not None:
        path = os.path.join(tmp_path, script)
        with open(path, "w") as f:
            f.write(source)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=900,
                          cwd=root, env=dict(os.environ, TF_USE_LEGACY_KERAS="1",
                                             TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    bad = [line for line in lines if re.search(r"\b(DIFF|FAIL|FAILED)\b", line)]
    assert not bad, "\n".join(bad)
    assert sum(bool(re.search(r"\bOK\b", line)) for line in lines) == cases, done.stdout


@contextlib.contextmanager
def tf1_shape_spellings():
    """TensorFlow 2 spelling shapes as TF 1.x does ("(?, 3)", ``Dimension`` reprs), as minitf
    does, while the block formats TF's shapes (its reprs, its error messages). Only the
    spelling switches; eager mode and everything else stay as they are."""
    from tensorflow.python.framework import tensor_shape

    old = tensor_shape._TENSORSHAPE_V2_OVERRIDE
    tensor_shape._TENSORSHAPE_V2_OVERRIDE = False
    try:
        yield
    finally:
        tensor_shape._TENSORSHAPE_V2_OVERRIDE = old


def tf_side_json(program: str, *args, timeout=600, legacy_keras=True, stdin=None):
    """The JSON a side-by-side test's TensorFlow program prints last: ``program`` run with
    ``args`` in a Python process of its own (TF_USE_LEGACY_KERAS must be set before TensorFlow
    loads, and TF 1.x behaviour must not leak into this process). Skips the test where
    TensorFlow (or, for legacy Keras, tf_keras) is not installed, as in CI."""
    for needed in ("tensorflow", "tf_keras") if legacy_keras else ("tensorflow",):
        if importlib.util.find_spec(needed) is None:
            pytest.skip(f"{needed} is not installed")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    if legacy_keras:
        env["TF_USE_LEGACY_KERAS"] = "1"
    done = subprocess.run([sys.executable, "-c", program, *map(str, args)], input=stdin,
                          capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    import json

    return json.loads(done.stdout.splitlines()[-1])
