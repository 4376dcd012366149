"""slim's data pipeline side by side with tf_slim on tf.compat.v1 (a process of its own, as
tf_slim needs TF1 behaviour): the same TFRecord files, written here, decoded by
TFExampleDecoder / TFSequenceExampleDecoder with every handler, and read in order by
DatasetDataProvider through tf.train.batch and prefetch_queue, give the same values."""

import json
import os

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import tf_side_json

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))

# One program, run with (tf, slim) = minitf's or tf.compat.v1 and tf_slim; prints JSON.
PROGRAM = """
import numpy as np


def listed(value):
    if hasattr(value, "dense_shape"):  # a SparseTensorValue
        return {"indices": value.indices.tolist(), "values": value.values.tolist(),
                "dense_shape": value.dense_shape.tolist()}
    value = np.asarray(value)
    return {"dtype": str(value.dtype), "shape": list(value.shape),
            "value": [v.decode() if isinstance(v, bytes) else v
                      for v in value.reshape(-1).tolist()]}


def decode_examples(tf, slim, path):
    tfd = slim.tfexample_decoder
    box_keys = ["ymin", "xmin", "ymax", "xmax"]
    keys_to_features = {
        "image/encoded": tf.FixedLenFeature((), tf.string, default_value=""),
        "image/format": tf.FixedLenFeature((), tf.string, default_value="png"),
        "image/class/label": tf.FixedLenFeature([], tf.int64,
                                                default_value=tf.zeros([], dtype=tf.int64)),
        "image/class/text": tf.FixedLenFeature((), tf.string, default_value="none"),
        "grid": tf.FixedLenFeature([6], tf.float32), "dims": tf.VarLenFeature(tf.int64),
        "ids": tf.VarLenFeature(tf.int64), "weights": tf.VarLenFeature(tf.float32),
        "maybe": tf.VarLenFeature(tf.int64),
        **{"bbox/" + k: tf.VarLenFeature(tf.float32) for k in box_keys}}
    table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        ["daisy", "rose", "tulip"], np.array([10, 20, 30], np.int64)), -1)
    handlers = {
        "image": tfd.Image(), "gray": tfd.Image(channels=1, dtype=tf.float32),
        "label": tfd.Tensor("image/class/label"),
        "grid": tfd.Tensor("grid", shape=[2, 3]),
        "grid_by_dims": tfd.Tensor("grid", shape_keys="dims"),
        "weights": tfd.Tensor("weights", default_value=-1.0),
        "boxes": tfd.BoundingBox(prefix="bbox/"),
        "sparse": tfd.SparseTensor("ids", "weights", shape=[10], densify=True),
        "sparse_value": tfd.SparseTensor("ids", "weights", shape=[10]),
        "text_id": tfd.LookupTensor("image/class/text", table),
        "maybe": tfd.BackupHandler(tfd.Tensor("maybe"), tfd.Tensor("ids")),
        "count": tfd.ItemHandlerCallback(["ids"], lambda t: tf.size(t["ids"].values)),
    }
    decoder = tfd.TFExampleDecoder(keys_to_features, handlers)
    serialized = tf.placeholder(tf.string, [])
    items = sorted(handlers)
    outputs = decoder.decode(serialized, items)
    results = []
    with tf.Session() as sess:
        sess.run(tf.tables_initializer())
        for record in tf.python_io.tf_record_iterator(path):
            values = sess.run(outputs, {serialized: record})
            results.append({item: listed(v) for item, v in zip(items, values)})
    return results


def decode_sequences(tf, slim, path):
    tfd = slim.tfexample_decoder
    box_keys = ["ymin", "xmin", "ymax", "xmax"]
    decoder = tfd.TFSequenceExampleDecoder(
        {"clip/label": tf.FixedLenFeature([], tf.int64)},
        {"box/" + k: tf.VarLenFeature(tf.float32) for k in box_keys},
        {"boxes": tfd.BoundingBoxSequence(prefix="box/"),
         "sparse_boxes": tfd.BoundingBoxSequence(prefix="box/", return_dense=False),
         "points": tfd.KeypointsSequence(keys=["ymin", "xmin"], prefix="box/"),
         "num_boxes": tfd.NumBoxesSequence(["box/ymin", "box/xmax"]),
         "label": tfd.Tensor("clip/label")})
    serialized = tf.placeholder(tf.string, [])
    items = ["boxes", "sparse_boxes", "points", "num_boxes", "label"]
    outputs = decoder.decode(serialized, items)
    results = []
    with tf.Session() as sess:
        for record in tf.python_io.tf_record_iterator(path):
            values = sess.run(outputs, {serialized: record})
            results.append({item: listed(v) for item, v in zip(items, values)})
    return results


def provide(tf, slim, pattern, shape, num_batches):
    tfd = slim.tfexample_decoder
    keys_to_features = {
        "image/encoded": tf.FixedLenFeature((), tf.string, default_value=""),
        "image/format": tf.FixedLenFeature((), tf.string, default_value="png"),
        "image/class/label": tf.FixedLenFeature([], tf.int64,
                                                default_value=tf.zeros([], dtype=tf.int64))}
    decoder = tfd.TFExampleDecoder(keys_to_features, {
        "image": tfd.Image(shape=shape), "label": tfd.Tensor("image/class/label")})
    dataset = slim.dataset.Dataset(data_sources=pattern, reader=tf.TFRecordReader,
                                   decoder=decoder, num_samples=8, items_to_descriptions={},
                                   num_classes=5)
    provider = slim.dataset_data_provider.DatasetDataProvider(
        dataset, num_readers=1, shuffle=False, common_queue_capacity=8, common_queue_min=4)
    image, label, key = provider.get(["image", "label", "record_key"])
    key = tf.string_split([key], ":").values[-1]  # the offset (file names differ)
    images, labels, keys = tf.train.batch([image, label, key], batch_size=3, capacity=6)
    batch_queue = slim.prefetch_queue.prefetch_queue([images, labels, keys], capacity=2)
    fetches = batch_queue.dequeue()
    config = tf.ConfigProto(operation_timeout_in_ms=60000)
    with tf.Session(config=config) as sess:
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        with slim.queues.QueueRunners(sess):
            got = [sess.run(fetches) for _ in range(num_batches)]
    return [[listed(v) for v in batch] for batch in got]


def run(tf, slim, data_dir):
    import os
    results = {"examples": decode_examples(tf, slim, os.path.join(data_dir, "examples")),
               "sequences": decode_sequences(tf, slim, os.path.join(data_dir, "sequences"))}
    with tf.Graph().as_default():
        results["provided"] = provide(tf, slim, os.path.join(data_dir, "train-*"), [3, 4, 3], 4)
    return results
"""

TF_SIDE = PROGRAM + """
import json, sys
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()  # tf_slim's queue-based readers and placeholders
sys.path.insert(0, sys.argv[2])
from tests.core.contrib.tf_slim_compat import patch_tf_slim_for_tf2
patch_tf_slim_for_tf2()
from tensorflow.python.ops import control_flow_ops
if not hasattr(control_flow_ops, "case"):  # moved in TF 2.x; tfexample_decoder's Image uses it
    control_flow_ops.case = tf.case
import tf_slim as slim
print(json.dumps(run(tf, slim, sys.argv[1])))
"""


def _feature(kind, values):
    field, cls = {"bytes": ("bytes_list", tf.train.BytesList),
                  "int": ("int64_list", tf.train.Int64List),
                  "float": ("float_list", tf.train.FloatList)}[kind]
    return tf.train.Feature(**{field: cls(value=list(values))})


def _write_data(data_dir):
    """examples: Examples exercising every handler (PNG, JPEG and raw images); sequences:
    SequenceExamples of per-frame boxes; train-0000i: Examples of [3, 4, 3] images."""
    rng = np.random.RandomState(3)
    with tf.Graph().as_default(), tf.Session() as sess:
        image = tf.placeholder(tf.uint8, [None, None, None])
        png, jpeg = tf.image.encode_png(image), tf.image.encode_jpeg(image, quality=90)
        encode = {"png": lambda im: sess.run(png, {image: im}),
                  "jpeg": lambda im: sess.run(jpeg, {image: im})}
        examples = []
        for i, (fmt, channels) in enumerate([("png", 3), ("jpeg", 3), ("png", 1), ("png", 4),
                                             ("jpeg", 1)]):
            pixels = rng.randint(0, 256, (5 + i, 6, channels)).astype(np.uint8)
            pixels[:, :, 0] = np.linspace(0, 255, 6).astype(np.uint8)  # some smooth structure
            n_boxes, n_ids = i % 3, (i + 1) % 4
            feature = {"image/encoded": _feature("bytes", [encode[fmt](pixels)]),
                       "image/format": _feature("bytes", [fmt.encode()]),
                       "grid": _feature("float", rng.randn(6)),
                       "dims": _feature("int", [3, 2] if i % 2 else [6]),
                       "ids": _feature("int", sorted(rng.choice(10, n_ids, replace=False))),
                       "weights": _feature("float", rng.rand(n_ids)),
                       "maybe": _feature("int", [5, 6] if i == 2 else [])}
            if i != 4:  # a default label and text
                feature["image/class/label"] = _feature("int", [i + 1])
                feature["image/class/text"] = _feature("bytes", [[b"rose", b"tulip", b"lily"]
                                                                 [i % 3]])
            for j, side in enumerate(["ymin", "xmin", "ymax", "xmax"]):
                feature[f"bbox/{side}"] = _feature("float", rng.rand(n_boxes) + j)
            examples.append(tf.train.Example(features=tf.train.Features(feature=feature)))
        train = []
        for i in range(8):
            pixels = rng.randint(0, 256, (3, 4, 3)).astype(np.uint8)
            raw = i % 4 == 1
            train.append(tf.train.Example(features=tf.train.Features(feature={
                "image/encoded": _feature("bytes", [pixels.tobytes() if raw
                                                    else encode["png"](pixels)]),
                "image/format": _feature("bytes", [b"raw" if raw else b"png"]),
                "image/class/label": _feature("int", [i % 5])})))
    sequences = []
    for t_frames in ([2, 0, 1], [0], [3, 1]):
        lists = {side: tf.train.FeatureList(feature=[
            _feature("float", rng.rand(n) + j) for n in t_frames])
            for j, side in enumerate(["ymin", "xmin", "ymax", "xmax"])}
        sequences.append(tf.train.SequenceExample(
            context=tf.train.Features(feature={"clip/label": _feature("int", [len(t_frames)])}),
            feature_lists=tf.train.FeatureLists(feature_list={
                f"box/{k}": v for k, v in lists.items()})))
    for name, records in [("examples", examples), ("sequences", sequences),
                          ("train-00000", train[:5]), ("train-00001", train[5:])]:
        with tf.python_io.TFRecordWriter(os.path.join(data_dir, name)) as writer:
            for record in records:
                writer.write(record.SerializeToString())


def _ours(data_dir):
    scope = {}
    exec(compile(PROGRAM, "slim_data_program", "exec"), scope)  # noqa: S102 - shared program
    with tf.Graph().as_default():
        return json.loads(json.dumps(scope["run"](tf, tf.contrib.slim, data_dir)))


def _assert_same(got, want, where):
    if isinstance(want, dict) and "dtype" in want:
        assert got["dtype"] == want["dtype"] and got["shape"] == want["shape"], where
        if "jpeg" in where:  # two JPEG decoders: within one level of rounding
            np.testing.assert_allclose(got["value"], want["value"], atol=1, err_msg=where)
        elif got["dtype"].startswith("float"):
            np.testing.assert_allclose(got["value"], want["value"], rtol=1e-6, err_msg=where)
        else:
            assert got["value"] == want["value"], where
    elif isinstance(want, dict):
        assert sorted(got) == sorted(want), where
        for key in want:
            _assert_same(got[key], want[key], f"{where}/{key}")
    elif isinstance(want, list) and want and isinstance(want[0], (dict, list)):
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_same(g, w, f"{where}[{i}]")
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=where)


def test_slim_data_program_matches_tf_slim(tmp_path):
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf_slim")
    pytest.importorskip("tf_keras")
    _write_data(str(tmp_path))
    want = tf_side_json(TF_SIDE, str(tmp_path), REPO)
    got = _ours(str(tmp_path))
    # JPEG examples (1 and 4) are compared within a level
    for i in (1, 4):
        for item in ("image", "gray"):
            want["examples"][i][f"{item}_jpeg"] = want["examples"][i].pop(item)
            got["examples"][i][f"{item}_jpeg"] = got["examples"][i].pop(item)
    _assert_same(got, want, "results")
    # and the provided batches are the records in order, cycling
    labels = [v for batch in got["provided"] for v in batch[1]["value"]]
    assert labels == [i % 8 % 5 for i in range(12)]


def test_slim_data_program_runs_without_tf(tmp_path):
    """The minitf half alone (CI has no TensorFlow): the values it decodes are the written
    ones where they are known exactly."""
    _write_data(str(tmp_path))
    got = _ours(str(tmp_path))
    first = got["examples"][0]
    assert first["label"]["value"] == [1] and got["examples"][4]["label"]["value"] == [0]
    assert got["examples"][4]["text_id"]["value"] == [-1]  # "none": not in the table
    assert first["text_id"]["value"] == [20]  # rose
    assert got["examples"][2]["maybe"]["value"] == [5, 6]
    assert got["sequences"][0]["num_boxes"]["value"] == [2, 0, 1]
    assert got["sequences"][2]["boxes"]["shape"] == [2, 3, 4]
    assert [len(batch[0]["value"]) for batch in got["provided"]] == [3 * 3 * 4 * 3] * 4
