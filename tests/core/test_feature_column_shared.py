"""tf.feature_column.shared_embedding_columns: one table for several categorical columns,
checked against hand-computed numpy lookups, TF's variable names and collections, gradients
into the one table, sequence input, the grouping errors, and tf.compat.v1 side by side."""

import numpy as np
import pytest

import minitf as tf

fc = tf.feature_column
TABLE = np.arange(40, dtype=np.float32).reshape(10, 4) / 10


def _features(tf_):
    return {"query": tf_.constant([[1, 2], [3, -1]], tf_.int64),
            "doc": tf_.SparseTensor([[0, 0], [1, 0], [1, 1]],
                                    tf_.constant([5, 6, 7], tf_.int64), [2, 2]),
            "doc2": tf_.constant([[4], [9]], tf_.int64),
            "doc2_w": tf_.constant([[2.0], [0.5]])}


def _model(tf_):
    """input_layer over two shared groups and a linear_model: (fetches, variable names)."""
    init = tf_.constant_initializer(TABLE)
    q = tf_.feature_column.categorical_column_with_identity("query", 10)
    d = tf_.feature_column.categorical_column_with_identity("doc", 10)
    w = tf_.feature_column.weighted_categorical_column(
        tf_.feature_column.categorical_column_with_identity("doc2", 10), "doc2_w")
    feats = _features(tf_)
    cols = tf_.feature_column.shared_embedding_columns([q, d], 4, initializer=init,
                                                       combiner="sqrtn")
    out = tf_.feature_column.input_layer(feats, cols)
    cols2 = tf_.feature_column.shared_embedding_columns(
        [w, q], 4, initializer=init, shared_embedding_collection_name="shr")
    out2 = tf_.feature_column.input_layer(feats, cols2)
    lin = tf_.feature_column.linear_model(feats, cols)
    table = tf_.get_collection("doc_query_shared_embedding")
    grad = tf_.gradients(tf_.reduce_sum(out * out), table)[0]
    names = sorted(v.name for v in tf_.global_variables())
    return [cols[0].name, cols[1].name, out, out2, lin, grad], names


def _run(fetches):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches)


def test_columns_share_one_table_under_the_collection_name():
    fetches, names = _model(tf)
    assert fetches[:2] == ["query_shared_embedding", "doc_shared_embedding"]
    # One table per group (the linear model reuses the input layer's), named by the group.
    assert names == ["input_layer/doc_query_shared_embedding/embedding_weights:0",
                     "input_layer_1/shr/embedding_weights:0",
                     "linear_model/bias_weights:0",
                     "linear_model/doc_query_shared_embedding/weights:0",
                     "linear_model/doc_query_shared_embedding_1/weights:0"]
    assert [v.name for v in tf.get_collection("shr")] == [
        "input_layer_1/shr/embedding_weights:0"]
    out, out2, lin, grad = _run(fetches[2:])
    t = TABLE
    # Columns in name order: doc, then query. sqrtn: the sum over sqrt(count); -1 is no id.
    doc = [t[5], (t[6] + t[7]) / np.sqrt(2)]
    query = [(t[1] + t[2]) / np.sqrt(2), t[3]]
    np.testing.assert_allclose(out, np.hstack([doc, query]), rtol=1e-6)
    # The weighted column ("doc2" sorts first) means over its weights: weight * row / weight.
    query_mean = [(t[1] + t[2]) / 2, t[3]]
    np.testing.assert_allclose(out2, np.hstack([[t[4], t[9]], query_mean]), rtol=1e-6)
    np.testing.assert_array_equal(lin, [[0.0], [0.0]])  # zero-initialized weights
    # d sum(out^2) / d table: 2 * out scattered back with each id's sqrtn factor.
    want = np.zeros_like(t)
    for ids, row in (([5], doc[0]), ([6, 7], doc[1]), ([1, 2], query[0]), ([3], query[1])):
        for i in ids:
            want[i] += 2 * row / np.sqrt(len(ids))
    got = np.zeros_like(t)
    np.add.at(got, grad.indices, grad.values)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_caller_order_does_not_change_the_default_name_and_sequences_share_too():
    a = fc.sequence_categorical_column_with_identity("a", 6)
    b = fc.sequence_categorical_column_with_identity("b", 6)
    cols = fc.shared_embedding_columns([b, a], 3, initializer=tf.constant_initializer(
        np.arange(18, dtype=np.float32).reshape(6, 3)))
    assert {c.shared_embedding_collection_name for c in cols} == {"a_b_shared_embedding"}
    feats = {"a": tf.SparseTensor([[0, 0], [0, 1], [1, 0]], tf.constant([1, 2, 3], tf.int64),
                                  [2, 2]),
             "b": tf.SparseTensor([[0, 0], [0, 1], [1, 0]], tf.constant([4, 5, 0], tf.int64),
                                  [2, 2])}
    dense, length = tf.contrib.feature_column.sequence_input_layer(feats, cols)
    assert len(tf.global_variables()) == 1
    got, n = _run([dense, length])
    t = np.arange(18, dtype=np.float32).reshape(6, 3)
    zero = np.zeros(3, np.float32)
    want = [[np.r_[t[1], t[4]], np.r_[t[2], t[5]]], [np.r_[t[3], t[0]], np.r_[zero, zero]]]
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(n, [2, 1])


def test_grouping_errors_name_the_columns():
    q = fc.categorical_column_with_identity("query", 10)
    with pytest.raises(ValueError, match="same number of buckets.*key='z'"):
        fc.shared_embedding_columns([q, fc.categorical_column_with_identity("z", 5)], 4)
    with pytest.raises(ValueError, match="same type.*_HashedCategoricalColumn"):
        fc.shared_embedding_columns([q, fc.categorical_column_with_hash_bucket("z", 10)], 4)
    with pytest.raises(ValueError, match="Invalid dimension 0"):
        fc.shared_embedding_columns([q], 0)
    with pytest.raises(ValueError, match="initializer must be callable"):
        fc.shared_embedding_columns([q], 2, initializer=1.0)
    with pytest.raises(ValueError, match="must be subclasses of _CategoricalColumn"):
        fc.shared_embedding_columns([fc.numeric_column("x")], 2)
    # A collection holding some other variable is refused, naming the collection.
    tf.add_to_collection("mine", tf.Variable(np.zeros((3, 2), np.float32)))
    cols = fc.shared_embedding_columns([q], 4, shared_embedding_collection_name="mine")
    with pytest.raises(ValueError, match="collection mine contains variable .* unexpected shape"):
        fc.input_layer({"query": tf.constant([[1]], tf.int64)}, cols)


def test_matches_tf_compat_v1():
    tf1 = pytest.importorskip("tensorflow").compat.v1
    fetches, names = _model(tf)
    mine = _run(fetches[2:])
    with tf1.Graph().as_default():
        theirs_fetches, theirs_names = _model(tf1)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            theirs = sess.run(theirs_fetches[2:])
    assert fetches[:2] == theirs_fetches[:2]
    assert names == theirs_names
    for a, b in zip(mine[:3], theirs[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    dense = []
    for grad in (mine[3], theirs[3]):  # IndexedSlices: compared as dense tables
        table = np.zeros_like(TABLE)
        np.add.at(table, grad.indices, grad.values)
        dense.append(table)
    np.testing.assert_allclose(dense[0], dense[1], rtol=1e-6)
