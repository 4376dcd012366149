"""Regenerates the TensorFlow-written TFRecord files in this directory (needs ``tensorflow``).

    .venv/bin/python tests/core/data/tfrecord/generate_with_tensorflow.py

Real TensorFlow builds ``tf.train.Example`` records with its own protobuf classes and writes
them with ``tf.io.TFRecordWriter`` three times: ``examples.tfrecord`` (no compression),
``examples.tfrecord.gz`` (GZIP) and ``examples.tfrecord.zlib`` (ZLIB). ``expected.json`` holds
the parsing spec (``SPEC`` below) and what TensorFlow's ``tf.compat.v1.parse_example`` (the
whole file as one batch), ``parse_single_example`` (each record) and ``decode_raw`` (the
``image`` bytes) return for it, strings written as hex. tests/core/test_parsing.py parses the
files with minitf and compares; the files are committed, so CI needs no TensorFlow.
"""

from __future__ import annotations

import json
import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow.compat.v1 as tf  # noqa: E402

tf.disable_eager_execution()

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = {"examples.tfrecord": "", "examples.tfrecord.gz": "GZIP",
         "examples.tfrecord.zlib": "ZLIB"}

# key -> how to parse it; the test builds the same features with minitf.
SPEC = {
    "image": {"kind": "fixed", "shape": [], "dtype": "string"},
    "label": {"kind": "fixed", "shape": [], "dtype": "int64"},
    "weights": {"kind": "fixed", "shape": [3], "dtype": "float32"},
    "matrix": {"kind": "fixed", "shape": [2, 2], "dtype": "int64"},
    "score": {"kind": "fixed", "shape": [], "dtype": "float32", "default": 0.5},
    "name": {"kind": "fixed", "shape": [], "dtype": "string", "default": "anon"},
    "tokens": {"kind": "sequence", "shape": [], "dtype": "string"},
    "points": {"kind": "sequence", "shape": [2], "dtype": "float32", "default": -1.0},
}


def feature_of(entry):
    kind = entry["kind"]
    shape, dtype = entry["shape"], getattr(tf, entry["dtype"])
    default = entry.get("default")
    if kind == "fixed":
        return tf.FixedLenFeature(shape, dtype, default_value=default)
    return tf.FixedLenSequenceFeature(shape, dtype, allow_missing=True, default_value=default)


def _feature(values):
    train = tf.train
    if isinstance(values[0], bytes):
        return train.Feature(bytes_list=train.BytesList(value=values))
    if isinstance(values[0], float):
        return train.Feature(float_list=train.FloatList(value=values))
    return train.Feature(int64_list=train.Int64List(value=values))


def records() -> list[bytes]:
    rng = np.random.default_rng(7)
    rows = [
        {"image": [rng.integers(0, 256, 12, dtype=np.uint8).tobytes()], "label": [3],
         "weights": [0.25, -1.5, 1e-3], "matrix": [1, -2, 2**40, -(2**62)], "score": [0.75],
         "name": [b"first"], "tokens": [b"a", b"bc", b""], "points": [1.0, 2.0, 3.0, 4.0]},
        {"image": [rng.integers(0, 256, 12, dtype=np.uint8).tobytes()], "label": [-7],
         "weights": [1.0, 2.0, 3.0], "matrix": [0, 0, 0, 1], "tokens": [b"xyz"],
         "points": [5.5, 6.5]},
        {"image": [rng.integers(0, 256, 12, dtype=np.uint8).tobytes()], "label": [0],
         "weights": [3.4028234663852886e38, -0.0, 7.0], "matrix": [9, 8, 7, 6],
         "score": [-2.0], "name": [b"caf\xc3\xa9"], "unused": [1.0, 2.0]},
    ]
    return [tf.train.Example(features=tf.train.Features(
        feature={k: _feature(v) for k, v in row.items()})).SerializeToString(deterministic=True)
        for row in rows]


def _jsonable(value):
    # A scalar string fetch is bytes: as an object array, numpy would not drop trailing NULs.
    value = np.array(value, dtype=object) if isinstance(value, bytes) else np.asarray(value)
    if value.dtype == object:
        # Strings as hex: the image bytes are binary.
        return np.vectorize(lambda b: b.hex(), otypes=[object])(value).tolist() \
            if value.size else np.reshape([], value.shape).tolist()
    return value.tolist()


def main():
    data = records()
    for name, compression in FILES.items():
        options = tf.io.TFRecordOptions(compression) if compression else None
        with tf.io.TFRecordWriter(os.path.join(HERE, name), options) as writer:
            for record in data:
                writer.write(record)
    features = {k: feature_of(v) for k, v in SPEC.items()}
    with tf.Graph().as_default(), tf.Session() as sess:
        batch = sess.run(tf.parse_example(tf.constant(data), features))
        singles = [sess.run(tf.parse_single_example(tf.constant(r), features)) for r in data]
        images = sess.run(tf.decode_raw(tf.constant(batch["image"]), tf.uint8))
    expected = {
        "spec": SPEC,
        "parse_example": {k: _jsonable(v) for k, v in batch.items()},
        "parse_single_example": [{k: _jsonable(v) for k, v in s.items()} for s in singles],
        "decode_raw_image": images.tolist(),
    }
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(FILES)} record files and expected.json in {HERE}")


if __name__ == "__main__":
    main()
