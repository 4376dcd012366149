"""Builds the same lookup-table graphs in minitf and tf.compat.v1 (key/value tensors, text
files by column, line number and whole line, sparse keys) and compares node names and types,
the looked-up values, sizes and exports, and the messages of an uninitialized and a
re-initialized table. Prints ALL OK when everything agrees."""

import os
import tempfile

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow.compat.v1 as tf1  # noqa: E402

import minitf as mtf  # noqa: E402

tf1.disable_eager_execution()
VOCAB = os.path.join(tempfile.mkdtemp(), "vocab.txt")
with open(VOCAB, "w") as f:
    f.write("the\t5\ncat\t7\nsat\t9\n")


def build(tf):
    kv = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        ["a", "b", "c"], [1, 2, 3], key_dtype=tf.string, value_dtype=tf.int64), -1)
    ints = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        tf.constant([3, 7], tf.int64), [0.5, 1.5]), -0.25, name="ints")
    by_line = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
        VOCAB, tf.string, 0, tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER), -1)
    by_col = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
        VOCAB, tf.string, 0, tf.int64, 1, delimiter="\t"), 0, name="by_col")
    lines = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
        VOCAB, tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER, tf.string,
        tf.lookup.TextFileIndex.WHOLE_LINE, vocab_size=2), "UNK")
    vocab = tf.lookup.StaticVocabularyTable(tf.lookup.TextFileInitializer(
        VOCAB, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64,
        tf.lookup.TextFileIndex.LINE_NUMBER), 5)
    int_vocab = tf.lookup.StaticVocabularyTable(tf.lookup.KeyValueTensorInitializer(
        tf.constant([7, 9], tf.int64), tf.constant([0, 1], tf.int64)), 3)
    words = tf.constant([["a", "z"], ["c", "b"]])
    sparse = tf.SparseTensor([[0, 0], [1, 2]], ["cat", "dog"], [2, 3])
    return [
        kv.lookup(words), kv.size(), ints.lookup(tf.constant([7, 8, 3], tf.int64)),
        by_line.lookup(tf.constant(["cat", "dog", "the"])), by_col.lookup(tf.constant(["sat"])),
        lines.lookup(tf.constant([0, 1, 2], tf.int64)), by_line.lookup(sparse).values,
        vocab.lookup(tf.constant(["the\t5", "mouse", "cat\t7", "dog", "zebra"])),
        vocab.size(), int_vocab.lookup(tf.constant([9, 8, 100, 7], tf.int64)),
        kv.export()[0],
    ], kv


BLANK = os.path.join(os.path.dirname(VOCAB), "blank.txt")
with open(BLANK, "w") as f:
    f.write("a\nb\n\nc\n")


def init_errors(tf):
    """(error class, message) of initializers TF refuses: an empty line in a vocabulary, a
    key given twice with different values."""
    graph, found = tf.Graph(), []
    with graph.as_default():
        index = tf.lookup.TextFileIndex
        tables = [
            tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
                BLANK, tf.string, index.WHOLE_LINE, tf.int64, index.LINE_NUMBER), -1),
            tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
                BLANK, tf.int64, index.LINE_NUMBER, tf.string, 0), ""),
            tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
                ["a", "b", "a"], tf.constant([1, 2, 3], tf.int64)), -1),
            tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
                tf.constant([3, 3], tf.int64), [1.5, 2.5]), -1.0)]
        same = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            ["a", "a"], tf.constant([1, 1], tf.int64)), -1)
        with tf.Session(graph=graph) as sess:
            for table in tables:
                try:
                    sess.run(table.initializer)
                    found.append(None)
                except tf.errors.OpError as e:
                    lines = [ln for ln in e.message.splitlines()
                             if "Invalid content" in ln or "HashTable has" in ln]
                    found.append((type(e).__name__, lines[-1].strip() if lines else e.message))
            sess.run(same.initializer)
            found.append(int(sess.run(same.lookup(tf.constant("a")))))
    return found


def run(tf):
    graph = tf.Graph()
    with graph.as_default():
        fetches, kv = build(tf)
        nodes = [(op.name, op.type) for op in graph.get_operations()]
        init = tf.tables_initializer()
        with tf.Session(graph=graph) as sess:
            try:
                sess.run(fetches[0])
                uninit = None
            except tf.errors.FailedPreconditionError as e:
                uninit = e.message
            sess.run(init)
            values = sess.run(fetches)
            values[-1] = sorted(values[-1].tolist())  # an export is in no particular order
            try:
                sess.run(init)
                again = None
            except tf.errors.OpError as e:
                again = type(e).__name__
    return nodes, values, uninit, again


(n_ours, v_ours, u_ours, a_ours), (n_tf, v_tf, u_tf, a_tf) = run(mtf), run(tf1)
failures = []
if n_ours != n_tf:
    failures.append(f"nodes {n_ours}\nvs TF {n_tf}")
for i, (a, b) in enumerate(zip(v_ours, v_tf)):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype or not np.array_equal(a, b):
        failures.append(f"fetch {i}: {a!r} vs TF {b!r}")
if u_ours is None or u_tf is None or "Table not initialized" not in u_ours or \
        "Table not initialized" not in u_tf:
    failures.append(f"uninitialized: {u_ours!r} vs TF {u_tf!r}")
if a_ours != a_tf:
    failures.append(f"initializing twice: {a_ours!r} vs TF {a_tf!r}")
if init_errors(mtf) != init_errors(tf1):
    failures.append(f"initializer errors: {init_errors(mtf)!r}\nvs TF {init_errors(tf1)!r}")
print("\n".join(failures) or "ALL OK")
