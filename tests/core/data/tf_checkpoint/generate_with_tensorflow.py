"""Regenerates the TensorFlow-written checkpoints in this directory (needs ``tensorflow``).

    .venv/bin/python tests/core/data/tf_checkpoint/generate_with_tensorflow.py [--out DIR]

Real TensorFlow (``tf.compat.v1``, graph mode, ref variables) saves small variables with
``tf.train.Saver`` (the "V2" TensorBundle format):

- ``model-7.index`` / ``model-7.data-00000-of-00001`` and the ``checkpoint`` state file: one
  variable per dtype (float16/32/64, int8..64, uint8..64, bool, complex64/128, string), a
  scalar, an empty tensor, names with slashes from variable scopes, and ``global_step``;
- ``partitioned.*``: one variable split in two slices by a partitioner (read by
  test_partitioned_variables.py);
- ``expected.json``: every value of ``model-7`` as TensorFlow reads it back, with its dtype
  and shape (strings as lists of latin-1 text; complex numbers as [real, imag] pairs).

The files are committed: CI needs no TensorFlow.
"""

from __future__ import annotations

import argparse
import glob
import json
import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow.compat.v1 as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def _values() -> dict:
    rng = np.random.default_rng(20240607)
    return {
        "dense/kernel": rng.standard_normal((3, 4)).astype(np.float32),
        "dense/bias": np.array([0.5, -1.25, 3.0, np.inf], np.float32),
        "scope/inner/half": rng.standard_normal(5).astype(np.float16),
        "scope/inner/double": rng.standard_normal((2, 2)) * 1e300,
        "ints/i8": np.array([-128, 0, 127], np.int8),
        "ints/i16": np.array([-32768, 1, 32767], np.int16),
        "ints/i32": np.array([[-(2 ** 31), 5], [7, 2 ** 31 - 1]], np.int32),
        "ints/i64": np.array([-(2 ** 63), 2 ** 40 + 3, 2 ** 63 - 1], np.int64),
        "uints/u8": np.array([0, 200, 255], np.uint8),
        "uints/u16": np.array([0, 65535], np.uint16),
        "uints/u32": np.array([0, 2 ** 32 - 1], np.uint32),
        "uints/u64": np.array([0, 2 ** 64 - 1], np.uint64),
        "flags": np.array([[True, False, True]]),
        "complex/c64": np.array([1 + 2j, -3.5j], np.complex64),
        "complex/c128": np.array([[1e-300 + 1j]], np.complex128),
        "scalar": np.float32(2.5),
        "empty": np.zeros((0, 3), np.float32),
        "words": np.array([[b"hello", b""], [b"caf\xc3\xa9", bytes(range(256)) * 3]],
                          dtype=object),
        "word": np.array(b"one string scalar", dtype=object),
    }


def _jsonable(arr: np.ndarray):
    if arr.dtype == object:
        return np.vectorize(lambda b: b.decode("latin-1"), otypes=[object])(arr).tolist()
    if arr.dtype.kind == "c":
        return np.stack([arr.real, arr.imag], axis=-1).tolist()
    if arr.dtype.kind == "f":  # inf and nan are not JSON: spell them as strings
        return np.vectorize(lambda x: x if np.isfinite(x) else repr(float(x)),
                            otypes=[object])(arr.astype(np.float64)).tolist()
    return arr.tolist()


def generate(out: str) -> None:
    for path in glob.glob(os.path.join(out, "*.index")) + \
            glob.glob(os.path.join(out, "*.data-*")) + [os.path.join(out, "checkpoint")]:
        if os.path.exists(path):
            os.unlink(path)
    values = _values()
    with tf.Graph().as_default():
        variables = {}
        for name, value in values.items():
            scope, _, leaf = name.rpartition("/")
            with tf.variable_scope(scope or tf.get_variable_scope(), reuse=tf.AUTO_REUSE):
                variables[name] = tf.get_variable(leaf, initializer=tf.constant(value),
                                                  use_resource=False)
        step = tf.train.get_or_create_global_step()
        saver = tf.train.Saver(max_to_keep=1, save_relative_paths=True)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(tf.assign(step, 7))
            prefix = saver.save(sess, os.path.join(out, "model"), global_step=7,
                                write_meta_graph=False)
    reader = tf.train.load_checkpoint(prefix)
    expected = {}
    for name in sorted(reader.get_variable_to_shape_map()):
        value = reader.get_tensor(name)
        value = np.asarray(value, dtype=object if isinstance(value, bytes) else None)
        dtype = reader.get_variable_to_dtype_map()[name].name
        expected[name] = {"dtype": dtype, "shape": list(value.shape), "value": _jsonable(value)}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"tensorflow_version": tf.__version__, "prefix": os.path.basename(prefix),
                   "tensors": expected}, f, indent=1, sort_keys=True)
        f.write("\n")

    with tf.Graph().as_default():
        tf.get_variable("part", initializer=tf.constant(np.arange(8, dtype=np.float32)),
                        partitioner=tf.fixed_size_partitioner(2), use_resource=False)
        saver = tf.train.Saver(max_to_keep=1)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            saver.save(sess, os.path.join(out, "partitioned"), write_meta_graph=False,
                       write_state=False)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=HERE, help="directory to write (default: this one)")
    args = parser.parse_args(argv)
    tf.disable_eager_execution()
    tf.disable_resource_variables()
    os.makedirs(args.out, exist_ok=True)
    generate(args.out)


if __name__ == "__main__":
    main()
