"""Writes the TensorFlow-made mutable-table fixtures into a directory (needs ``tensorflow``):

    .venv/bin/python tests/export/data/generate_mutable_tables_with_tensorflow.py tests/export/data

mutable_table_savedmodel/: a TF1 SavedModel whose signature looks ``words`` up in a
MutableHashTable ("counts", {cat: 3, dog: 5}, plus variable w = 10: ``ids``) and ``keys`` in a
DenseHashTable ("dense", {1: 0.5, 7: 2.5}: ``score``); the tables' contents are only in
variables/. mutable_table_meta/: ck.meta and checkpoint ck of a MutableHashTable "m" ({1: 10})
looking up q (placeholder_with_default [1, 2]) as "out", beside a variable v.
"""

import os
import shutil
import sys


def main(out):
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    tf.disable_resource_variables()
    saved = os.path.join(out, "mutable_table_savedmodel")
    shutil.rmtree(saved, ignore_errors=True)
    with tf.Graph().as_default():
        words = tf.placeholder(tf.string, [None], name="words")
        keys = tf.placeholder(tf.int64, [None], name="keys")
        counts = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, -1, name="counts")
        dense = tf.lookup.experimental.DenseHashTable(
            tf.int64, tf.float32, -1.0, empty_key=-5, deleted_key=-6, initial_num_buckets=8,
            name="dense")
        w = tf.Variable(10, dtype=tf.int64, name="w")
        ids = tf.identity(counts.lookup(words) + w, name="ids")
        score = tf.identity(dense.lookup(keys), name="score")
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            s.run(counts.insert(tf.constant(["cat", "dog"]), tf.constant([3, 5], tf.int64)))
            s.run(dense.insert(tf.constant([1, 7], tf.int64), tf.constant([0.5, 2.5])))
            builder = tf.saved_model.builder.SavedModelBuilder(saved)
            sig = tf.saved_model.signature_def_utils.predict_signature_def(
                {"words": words, "keys": keys}, {"ids": ids, "score": score})
            builder.add_meta_graph_and_variables(s, ["serve"],
                                                 signature_def_map={"serving_default": sig})
            builder.save()
    meta = os.path.join(out, "mutable_table_meta")
    shutil.rmtree(meta, ignore_errors=True)
    os.makedirs(meta)
    with tf.Graph().as_default():
        m = tf.lookup.experimental.MutableHashTable(tf.int64, tf.int64, -1, name="m")
        q = tf.placeholder_with_default(tf.constant([1, 2], tf.int64), [None], name="q")
        tf.identity(m.lookup(q), name="out")
        tf.Variable(1.0, name="v")
        saver = tf.train.Saver()
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            s.run(m.insert(tf.constant([1], tf.int64), tf.constant([10], tf.int64)))
            saver.save(s, os.path.join(meta, "ck"), write_state=False)


if __name__ == "__main__":
    main(sys.argv[1])
