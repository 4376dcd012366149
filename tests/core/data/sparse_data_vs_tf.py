"""tf.data pipelines with SparseTensor components, built the same way in minitf and
tf.compat.v1: VarLenFeature parsing in map (before and after batch), slicing, batching and
unbatching sparse components, sparse in and out of map and filter functions, concatenate and
zip. Compares output_types/shapes/classes and every element (SparseTensorValues part by part)
until OutOfRangeError. Prints ALL OK when everything agrees."""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1  # noqa: E402

import minitf as mtf  # noqa: E402

tf1.disable_eager_execution()
tf1.disable_v2_tensorshape()  # TF 1.x's shape spelling, "(?, 3)", as minitf's


def example(ids, label):
    f = tf1.train
    feats = {"label": f.Feature(float_list=f.FloatList(value=[label]))}
    if ids is not None:
        feats["ids"] = f.Feature(int64_list=f.Int64List(value=ids))
    return f.Example(features=f.Features(feature=feats)).SerializeToString()


RECORDS = [example([3, 1, 4], 1.0), example(None, 0.0), example([5], 1.0),
           example([9, 2], 0.0), example([7, 7, 7, 7], 1.0)]
SPARSE = ([[0, 1], [2, 0], [2, 2], [3, 1]], [1.0, 2.0, 3.0, 4.0], [4, 3])


def pipelines(tf):
    spec = {"ids": tf.VarLenFeature(tf.int64), "label": tf.FixedLenFeature([], tf.float32)}
    recs = tf.data.Dataset.from_tensor_slices(np.array(RECORDS, dtype=object))
    sp_value = tf.SparseTensorValue(*SPARSE)
    return {
        "parse_then_batch": recs.map(lambda r: tf.parse_single_example(r, spec)).batch(2),
        "batch_then_parse": recs.batch(2).map(lambda r: tf.parse_example(r, spec)),
        "slices": tf.data.Dataset.from_tensor_slices(sp_value),
        "slices_batch_unbatch": tf.data.Dataset.from_tensor_slices(
            (sp_value, np.arange(4))).batch(3).unbatch(),
        "from_tensors_repeat": tf.data.Dataset.from_tensors(
            tf.SparseTensor(*SPARSE)).repeat(2).batch(2),
        "map_sparse_in_out": tf.data.Dataset.from_tensor_slices(sp_value).map(
            lambda s: (s * 2.0, tf.sparse_reduce_sum(s))),
        "filter_sparse": recs.map(lambda r: tf.parse_single_example(r, spec)).filter(
            lambda d: tf.size(d["ids"].values) > 1).map(lambda e: e["ids"]),
        "concatenate": tf.data.Dataset.from_tensor_slices(sp_value).concatenate(
            tf.data.Dataset.from_tensor_slices(sp_value)).take(6),
        "zip": tf.data.Dataset.zip((tf.data.Dataset.range(3),
                                    tf.data.Dataset.from_tensor_slices(sp_value))),
    }


def run(tf):
    out = {}
    for name in pipelines(mtf):
        graph = tf.Graph()
        with graph.as_default():
            ds = pipelines(tf)[name]
            types = tf.data.get_output_types(ds)
            shapes = tf.data.get_output_shapes(ds)
            classes = tf.data.get_output_classes(ds)
            nxt = tf.data.make_one_shot_iterator(ds).get_next()
            got = []
            with tf.Session(graph=graph) as sess:
                for _ in range(20):
                    try:
                        got.append(sess.run(nxt))
                    except tf.errors.OutOfRangeError:
                        break
            out[name] = (describe(types, shapes, classes), got)
    return out


def describe(types, shapes, classes):
    def walk(t, s, c):
        if isinstance(t, dict):
            return {k: walk(t[k], s[k], c[k]) for k in sorted(t)}
        if isinstance(t, tuple):
            return tuple(walk(*x) for x in zip(t, s, c))
        return (t.name, str(s), c.__name__)
    return walk(types, shapes, classes)


def flat(v):
    if isinstance(v, dict):
        return [x for k in sorted(v) for x in flat(v[k])]
    if hasattr(v, "dense_shape"):
        return [np.asarray(v.indices), np.asarray(v.values), np.asarray(v.dense_shape)]
    if isinstance(v, tuple):
        return [x for item in v for x in flat(item)]
    return [np.asarray(v)]


ours, theirs = run(mtf), run(tf1)
failures = []
for name in ours:
    (d_ours, v_ours), (d_tf, v_tf) = ours[name], theirs[name]
    if d_ours != d_tf:
        failures.append(f"{name}: structure {d_ours} vs TF {d_tf}")
    if len(v_ours) != len(v_tf):
        failures.append(f"{name}: {len(v_ours)} elements vs TF {len(v_tf)}")
        continue
    for i, (a, b) in enumerate(zip(v_ours, v_tf)):
        for j, (x, y) in enumerate(zip(flat(a), flat(b))):
            if x.shape != y.shape or x.dtype != y.dtype or not np.array_equal(x, y):
                failures.append(f"{name} element {i} part {j}: {x!r} vs TF {y!r}")
print("\n".join(failures) or "ALL OK")
