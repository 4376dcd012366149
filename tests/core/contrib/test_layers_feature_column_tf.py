"""tf.contrib.layers' feature columns side by side with tf.compat.v1.feature_column (TF 2.21 has
no tf.contrib), where the math is the same: embedding (hash buckets, weighted ids, each
combiner), one-hot (keys, vocabulary files with OOV buckets) against indicator columns,
bucketized and real-valued inputs, crosses with a hash_key (FingerprintCat64, as core's), and
weighted_sum_from_feature_columns against linear_model with the same weights."""

import numpy as np
import pytest

import minitf as tf

tf1 = pytest.importorskip("tensorflow.compat.v1")
L = tf.contrib.layers

TABLE_W = np.sin(np.arange(60, dtype=np.float32)).reshape(20, 3)
TABLE_N = np.cos(np.arange(12, dtype=np.float32)).reshape(6, 2)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _sp(fw, rows, dtype):
    idx = [[r, c] for r, row in enumerate(rows) for c in range(len(row))]
    vals = [v for row in rows for v in row]
    width = max((len(r) for r in rows), default=0)
    return fw.SparseTensor(fw.constant(idx, fw.int64, [len(idx), 2]), fw.constant(vals, dtype),
                           fw.constant([len(rows), width], fw.int64))


def _features(fw):
    return {"w": _sp(fw, [["cat", "dog"], ["emu"], []], fw.string),
            "k": fw.constant([["b", "zz"], ["a", ""], ["c", "c"]]),
            "n": _sp(fw, [[1, 4, 1], [5], []], fw.int64),
            "nw": _sp(fw, [[0.5, 2.0, 1.0], [3.0], []], fw.float32),
            "a": _sp(fw, [["x", "y"], ["z"], ["x"]], fw.string),
            "b": _sp(fw, [[3], [4, 5], [7]], fw.int64),
            "age": fw.constant([[10.0], [40.0], [70.0]]),
            "r": fw.constant([[1.0, -2.0], [0.5, 0.0], [3.0, 1.0]])}


def _run_tf(build):
    """``build()``'s fetches in a TF graph, after its variables' and tables' initializers."""
    g = tf1.Graph()
    with g.as_default():
        fetches, after_init = build()
        with tf1.Session(graph=g) as sess:
            sess.run([tf1.global_variables_initializer(), tf1.tables_initializer()])
            sess.run(after_init)
            return sess.run(fetches)


def _run(fetches, after_init=()):
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
        sess.run(list(after_init))
        return sess.run(fetches)


@pytest.mark.parametrize("combiner", ["mean", "sqrtn", "sum"])
def test_dense_columns_match_v1_input_layer(combiner, tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("b\nc\na\n")
    mine = [
        L.embedding_column(L.sparse_column_with_hash_bucket("w", 20), 3, combiner=combiner,
                           initializer=tf.constant_initializer(TABLE_W)),
        L.embedding_column(L.weighted_sparse_column(
            L.sparse_column_with_integerized_feature("n", 6), "nw"), 2, combiner=combiner,
            initializer=tf.constant_initializer(TABLE_N)),
        L.one_hot_column(L.sparse_column_with_keys("k", ["a", "b", "c"])),
        L.one_hot_column(L.sparse_column_with_vocabulary_file("k", str(vocab), 2, 3)),
        L.one_hot_column(L.weighted_sparse_column(
            L.sparse_column_with_integerized_feature("n", 6), "nw")),
        L.bucketized_column(L.real_valued_column("age"), [18.0, 65.0]),
        L.real_valued_column("r", dimension=2)]
    feats = _features(tf)
    got = _run([L.input_from_feature_columns(feats, [c]) for c in mine])

    def build():
        fc = tf1.feature_column
        theirs = [
            fc.embedding_column(fc.categorical_column_with_hash_bucket("w", 20), 3,
                                combiner=combiner,
                                initializer=tf1.constant_initializer(TABLE_W)),
            fc.embedding_column(fc.weighted_categorical_column(
                fc.categorical_column_with_identity("n", 6), "nw"), 2, combiner=combiner,
                initializer=tf1.constant_initializer(TABLE_N)),
            fc.indicator_column(fc.categorical_column_with_vocabulary_list("k", ["a", "b", "c"])),
            fc.indicator_column(fc.categorical_column_with_vocabulary_file(
                "k", str(vocab), 3, num_oov_buckets=2)),
            fc.indicator_column(fc.weighted_categorical_column(
                fc.categorical_column_with_identity("n", 6), "nw")),
            fc.bucketized_column(fc.numeric_column("age"), [18.0, 65.0]),
            fc.numeric_column("r", shape=2)]
        feats = _features(tf1)
        return [fc.input_layer(feats, [c]) for c in theirs], []
    want = _run_tf(build)
    for g, w, c in zip(got, want, mine):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7, err_msg=c.name)


def test_crossed_columns_with_a_hash_key_match_v1_crossed_columns():
    age = L.bucketized_column(L.real_valued_column("age"), [18.0, 65.0])
    mine = [L.crossed_column([L.sparse_column_with_integerized_feature("b", 10),
                              L.sparse_column_with_hash_bucket("a", 10)], 50, hash_key=77),
            L.crossed_column([age, L.sparse_column_with_hash_bucket("a", 10)], 40,
                             hash_key=L.SPARSE_FEATURE_CROSS_DEFAULT_HASH_KEY)]
    feats = _features(tf)
    got = _run([L.input_from_feature_columns(feats, [L.one_hot_column(c)]) for c in mine])

    def build():
        fc = tf1.feature_column
        bucketized = fc.bucketized_column(fc.numeric_column("age"), [18.0, 65.0])
        theirs = [fc.crossed_column(["a", "b"], 50, hash_key=77),  # sorted by name, as contrib
                  fc.crossed_column(["a", bucketized], 40)]
        feats = _features(tf1)
        return [fc.input_layer(feats, [fc.indicator_column(c)]) for c in theirs], []
    want = _run_tf(build)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
        assert g.sum() > 0


@pytest.mark.parametrize("combiner", ["sum", "mean", "sqrtn"])
def test_weighted_sum_matches_v1_linear_model(combiner):
    mine = [L.sparse_column_with_hash_bucket("w", 20, combiner=combiner),
            L.weighted_sparse_column(L.sparse_column_with_integerized_feature(
                "n", 6, combiner=combiner), "nw"),
            L.bucketized_column(L.real_valued_column("age"), [18.0, 65.0]),
            L.real_valued_column("r", dimension=2),
            L.crossed_column([L.sparse_column_with_hash_bucket("a", 5),
                              L.sparse_column_with_integerized_feature("b", 10)], 30,
                             combiner=combiner, hash_key=9)]
    rng = np.random.RandomState(4)
    values = [rng.randn(*shape, 2).astype(np.float32) for shape in ((20,), (6,), (3,), (2,),
                                                                    (30,))]
    bias = np.float32([0.5, -0.25])
    pred, col_vars, my_bias = L.weighted_sum_from_feature_columns(_features(tf), mine, 2)
    got = _run(pred, [col_vars[c][0].assign(v) for c, v in zip(mine, values)] +
               [my_bias.assign(bias)])

    def build():
        fc = tf1.feature_column
        theirs = [fc.categorical_column_with_hash_bucket("w", 20),
                  fc.weighted_categorical_column(fc.categorical_column_with_identity("n", 6),
                                                 "nw"),
                  fc.bucketized_column(fc.numeric_column("age"), [18.0, 65.0]),
                  fc.numeric_column("r", shape=2),
                  fc.crossed_column(["a", "b"], 30, hash_key=9)]
        cols_to_vars = {}
        out = fc.linear_model(_features(tf1), theirs, units=2, sparse_combiner=combiner,
                              cols_to_vars=cols_to_vars)
        assigns = [cols_to_vars[c][0].assign(v) for c, v in zip(theirs, values)]
        return out, assigns + [cols_to_vars["bias"][0].assign(bias)]
    np.testing.assert_allclose(got, _run_tf(build), rtol=1e-5, atol=1e-6)
