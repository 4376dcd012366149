"""tf.feature_column: every column kind against hand-built numpy expectations (one-hot and
multi-hot rows, embedding combinations, linear sums), TF's variable names and collections,
column order, ignore values, sparse and parsed inputs, gradients, and the errors for bad columns
and features. tests/core/data/feature_column_vs_tf.py compares the same against tf.compat.v1."""

import numpy as np
import pytest

import minitf as tf

from .legacy_tf import run_against_tf

fc = tf.feature_column


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
        return sess.run(fetches, feed)


def test_numeric_columns_expand_vectors_cast_and_normalize():
    price = fc.numeric_column("price")
    pair = fc.numeric_column("pair", shape=2, dtype=tf.int32, normalizer_fn=lambda x: x * 10)
    out = fc.input_layer({"price": tf.constant([1.5, -2.0]),
                          "pair": tf.constant([[1, 2], [3, 4]])}, [price, pair])
    assert out.shape.as_list() == [2, 3]  # "pair" sorts before "price"
    np.testing.assert_array_equal(_run(out), [[10, 20, 1.5], [30, 40, -2.0]])
    assert price._parse_example_spec == {"price": tf.FixedLenFeature((1,), tf.float32, None)}
    assert fc.numeric_column("d", shape=(2,), default_value=3).default_value == (3, 3)


def test_bucketized_one_hot_buckets_include_their_left_boundary():
    price = fc.numeric_column("price", shape=(2,))
    col = fc.bucketized_column(price, [0.0, 10.0, 100.0])
    x = tf.placeholder(tf.float32, [None, 2])
    out = fc.input_layer({"price": x}, [col])
    assert out.shape.as_list() == [None, 8]
    got = _run(out, {x: [[-5, 10000], [150, 10], [5, 100]]})
    want = np.zeros((3, 8), np.float32)
    for row, buckets in enumerate([(0, 3), (3, 2), (1, 3)]):
        for dim, b in enumerate(buckets):
            want[row, dim * 4 + b] = 1
    np.testing.assert_array_equal(got, want)
    assert col.name == "price_bucketized" and col._num_buckets == 8


def test_identity_indicator_counts_ids_and_drops_minus_one():
    ids = fc.categorical_column_with_identity("id", 4)
    fallback = fc.categorical_column_with_identity("od", 4, default_value=0)
    out = fc.input_layer({"id": tf.constant([[1, 1], [3, -1], [-1, -1]]),
                          "od": tf.constant([[2], [7], [-1]], tf.int64)},
                         [fc.indicator_column(ids), fc.indicator_column(fallback)])
    want = np.array([[0, 2, 0, 0, 0, 0, 1, 0],   # id 1 twice; od 2
                     [0, 0, 0, 1, 1, 0, 0, 0],   # od 7 is out of range: the default 0
                     [0, 0, 0, 0, 0, 0, 0, 0]], np.float32)
    np.testing.assert_array_equal(_run(out), want)


def test_vocabulary_list_ids_oov_buckets_and_defaults():
    words = fc.categorical_column_with_vocabulary_list("w", ["a", "b", "c"], num_oov_buckets=2)
    ints = fc.categorical_column_with_vocabulary_list("n", [10, 20], default_value=1)
    got_w, got_n = _run([fc.input_layer({"w": tf.constant([["b", "zebra"], ["", "c"]])},
                                        [fc.indicator_column(words)]),
                         fc.input_layer({"n": tf.constant([[20], [99]], tf.int64)},
                                        [fc.indicator_column(ints)])])
    np.testing.assert_array_equal(got_w[:, :3], [[0, 1, 0], [0, 0, 1]])
    assert got_w[0, 3:].sum() == 1 and got_w[1, 3:].sum() == 0  # "zebra": one OOV bucket
    np.testing.assert_array_equal(got_n, [[0, 1], [0, 1]])  # 99 gets default_value 1
    assert words.dtype == tf.string and ints.dtype == tf.int64 and words._num_buckets == 5


def test_vocabulary_files_of_strings_and_integers(tmp_path):
    (tmp_path / "w.txt").write_text("x\ny\nz\n")
    (tmp_path / "n.txt").write_text("5\n6\n7\n")
    words = fc.categorical_column_with_vocabulary_file("w", str(tmp_path / "w.txt"))
    nums = fc.categorical_column_with_vocabulary_file("n", str(tmp_path / "n.txt"),
                                                      vocabulary_size=2, dtype=tf.int64)
    assert words.vocabulary_size == 3 and nums._num_buckets == 2
    out = fc.input_layer({"w": tf.constant([["z"], ["q"]]), "n": tf.constant([6, 7])},
                         [fc.indicator_column(words), fc.indicator_column(nums)])
    # 7 lies past vocabulary_size: the default -1, no bucket.
    np.testing.assert_array_equal(_run(out), [[0, 1, 0, 0, 1], [0, 0, 0, 0, 0]])


def test_hash_buckets_are_tensorflows():
    # Buckets of "a", "abc", "hello" among 97, read from TensorFlow 2.21.
    col = fc.categorical_column_with_hash_bucket("h", 97)
    got = _run(fc.input_layer({"h": tf.constant([["a", "abc"], ["hello", ""]])},
                              [fc.indicator_column(col)]))
    assert sorted(np.nonzero(got[0])[0]) == [34, 53] and list(np.nonzero(got[1])[0]) == [22]
    # Integers hash as their decimal strings.
    as_int = fc.categorical_column_with_hash_bucket("i", 97, dtype=tf.int64)
    as_str = fc.categorical_column_with_hash_bucket("s", 97)
    a, b = _run([fc.input_layer({"i": tf.constant([[12], [-40]], tf.int64)},
                                [fc.indicator_column(as_int)]),
                 fc.input_layer({"s": tf.constant([["12"], ["-40"]])},
                                [fc.indicator_column(as_str)])])
    np.testing.assert_array_equal(a, b)


EMB = np.arange(12, dtype=np.float32).reshape(4, 3) / 4.0


@pytest.mark.parametrize("combiner", ["mean", "sqrtn", "sum"])
def test_embedding_combiners(combiner):
    ids = fc.categorical_column_with_identity("id", 4)
    col = fc.embedding_column(ids, 3, combiner=combiner, initializer=tf.constant_initializer(EMB))
    sparse = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], tf.constant([1, 3, 2], tf.int64), [3, 2])
    out = fc.input_layer({"id": sparse}, [col])
    assert out.shape.as_list() == [3, 3]  # a constant dense_shape gives the batch
    scale = {"mean": 1 / 2, "sqrtn": 1 / np.sqrt(2), "sum": 1.0}[combiner]
    want = np.stack([(EMB[1] + EMB[3]) * scale, np.zeros(3), EMB[2]])  # row 1 is empty
    np.testing.assert_allclose(_run(out), want, rtol=1e-6)


def test_weighted_columns_weight_embeddings_and_indicators():
    ids = fc.categorical_column_with_identity("id", 4)
    weighted = fc.weighted_categorical_column(ids, "wt")
    assert weighted.name == "id_weighted_by_wt"
    feats = {"id": tf.constant([[1, 3], [2, 2]]), "wt": tf.constant([[0.5, 2.0], [1.0, 3.0]])}
    emb = fc.embedding_column(weighted, 3, combiner="sum",
                              initializer=tf.constant_initializer(EMB))
    got_emb, got_ind = _run([fc.input_layer(feats, [emb]),
                             fc.input_layer(feats, [fc.indicator_column(weighted)])])
    np.testing.assert_allclose(got_emb, [0.5 * EMB[1] + 2 * EMB[3], 4 * EMB[2]], rtol=1e-6)
    np.testing.assert_allclose(got_ind, [[0, 0.5, 0, 2], [0, 0, 4, 0]])
    assert weighted._parse_example_spec == {"id": tf.VarLenFeature(tf.int64),
                                            "wt": tf.VarLenFeature(tf.float32)}


def test_input_layer_order_variable_names_and_collections():
    ids = fc.categorical_column_with_identity("b_id", 5)
    cols = [fc.numeric_column("z"), fc.embedding_column(ids, 2), fc.numeric_column("a")]
    to_vars = {}
    out = fc.input_layer({"z": tf.constant([[9.0]]), "a": tf.constant([[1.0]]),
                          "b_id": tf.constant([[4]])}, cols, weight_collections=["mine"],
                         cols_to_vars=to_vars)
    (var,) = tf.global_variables()
    assert var.name == "input_layer/b_id_embedding/embedding_weights:0"
    assert var.shape.as_list() == [5, 2]
    for key in ("mine", tf.GraphKeys.MODEL_VARIABLES, tf.GraphKeys.TRAINABLE_VARIABLES):
        assert tf.get_collection(key) == [var]
    assert to_vars[cols[1]] == [var] and to_vars[cols[0]] == []
    got, table = _run([out, var])
    np.testing.assert_allclose(got, [[1.0, *table[4], 9.0]])  # a, b_id_embedding, z
    assert out.name == "input_layer/concat:0"
    fc.input_layer({"x": tf.constant([[1]])}, [fc.embedding_column(
        fc.categorical_column_with_identity("x", 2), 1)], trainable=False)
    assert tf.trainable_variables() == [var] and len(tf.global_variables()) == 2


def test_linear_model_values_and_variables():
    price = fc.numeric_column("price")
    words = fc.categorical_column_with_vocabulary_list("w", ["a", "b", "c"])
    feats = {"price": tf.constant([2.0, -1.0]), "w": tf.constant([["a", "c"], ["", "b"]])}
    to_vars = {}
    logits = fc.linear_model(feats, [words, price], units=2, cols_to_vars=to_vars)
    assert logits.shape.as_list() == [2, 2]
    names = [v.name for v in tf.global_variables()]
    assert names == ["linear_model/price/weights:0", "linear_model/w/weights:0",
                     "linear_model/bias_weights:0"]
    assert [v.name for v in to_vars["bias"]] == ["linear_model/bias_weights:0"]
    assert [v.name for v in to_vars[words]] == ["linear_model/w/weights:0"]
    w_price = np.array([[0.5, -1.0]], np.float32)
    w_words = np.array([[1, 2], [3, 4], [5, 6]], np.float32)
    bias = np.array([0.25, -0.25], np.float32)
    mean = fc.linear_model(feats, [words], sparse_combiner="mean")
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
        for v, value in zip(tf.global_variables()[:3], (w_price, w_words, bias)):
            sess.run(v.assign(value))
        sess.run(tf.global_variables()[3].assign([[1.0], [2.0], [6.0]]))
        got, got_mean = sess.run([logits, mean])
    want = np.array([2.0, -1.0])[:, None] * w_price + np.stack(
        [w_words[0] + w_words[2], w_words[1]]) + bias
    np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(got_mean, [[3.5], [2.0]])  # (1 + 6) / 2 and 2


def test_parsed_examples_through_make_parse_example_spec():
    price = fc.numeric_column("price", default_value=-1.0)
    words = fc.categorical_column_with_vocabulary_list("w", ["a", "b"])
    cols = [price, fc.indicator_column(words)]
    spec = fc.make_parse_example_spec(cols)
    assert spec == {"price": tf.FixedLenFeature((1,), tf.float32, (-1.0,)),
                    "w": tf.VarLenFeature(tf.string)}

    def example(**feats):
        ex = tf.train.Example()
        for key, values in feats.items():
            feature = ex.features.feature[key]
            if isinstance(values[0], float):
                feature.float_list.value.extend(values)
            else:
                feature.bytes_list.value.extend(values)
        return ex.SerializeToString()

    serialized = tf.placeholder(tf.string, [None])
    parsed = tf.parse_example(serialized, spec)
    out = fc.input_layer(parsed, cols)
    got = _run(out, {serialized: [example(price=[3.0], w=[b"b", b"a", b"b"]),
                                  example(w=[b"q"])]})
    np.testing.assert_array_equal(got, [[3.0, 1, 2], [-1.0, 0, 0]])


def test_crossed_column_ids_per_row_combination():
    cross = fc.crossed_column(["a", fc.categorical_column_with_identity("b", 3)], 1000)
    assert cross.name == "a_X_b" and cross._num_buckets == 1000
    feats = {"a": tf.SparseTensor([[0, 0], [0, 1], [1, 0]], ["x", "y", "z"], [3, 2]),
             "b": tf.constant([[0, 2], [1, -1], [2, -1]])}
    ids = cross._get_sparse_tensors(fc.columns._LazyBuilder(feats)).id_tensor
    got = _run(ids)
    # Row 0: 2 x 2 combinations, row 1: 1, row 2: none (no "a").
    np.testing.assert_array_equal(got.indices, [[0, 0], [0, 1], [0, 2], [0, 3], [1, 0]])
    assert len(set(got.values[:4].tolist())) == 4 and (0 <= got.values).all() and \
        (got.values < 1000).all()
    assert list(got.dense_shape) == [3, 4]


def test_gradients_reach_embedding_and_linear_weights():
    ids = fc.categorical_column_with_identity("id", 3)
    feats = {"id": tf.constant([[0, 2], [2, -1]])}
    emb = fc.input_layer(feats, [fc.embedding_column(
        ids, 2, combiner="sum", initializer=tf.ones_initializer())])
    logits = fc.linear_model(feats, [ids])
    loss = tf.reduce_sum(emb) + tf.reduce_sum(logits)
    step = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    table, weights, bias = tf.global_variables()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step)
        got = sess.run([table, weights, bias])
    # d loss / d row = how often the id occurs (0 once, 2 twice, 1 never).
    np.testing.assert_allclose(got[0], 1 - 0.5 * np.array([[1, 1], [0, 0], [2, 2]]))
    np.testing.assert_allclose(got[1], -0.5 * np.array([[1], [0], [2]]))
    np.testing.assert_allclose(got[2], [-1.0])  # two examples


def test_features_of_unknown_rank_are_expanded_when_run():
    x = tf.placeholder(tf.float32)
    out = fc.input_layer({"x": x}, [fc.numeric_column("x")])
    np.testing.assert_array_equal(_run(out, {x: [1.0, 2.0]}), [[1.0], [2.0]])
    np.testing.assert_array_equal(_run(out, {x: [[3.0]]}), [[3.0]])


@pytest.mark.parametrize("make, error, words", [
    (lambda: fc.numeric_column("x", shape=(0,)), ValueError, "greater than 0"),
    (lambda: fc.numeric_column("x", shape=(1.5,)), TypeError, "must be integer"),
    (lambda: fc.numeric_column("x", dtype=tf.string), ValueError, "convertible to float"),
    (lambda: fc.numeric_column("x", default_value="a"), TypeError, "compatible with dtype"),
    (lambda: fc.numeric_column(1), ValueError, "key must be a string"),
    (lambda: fc.bucketized_column(fc.numeric_column("x"), [1.0, 1.0]), ValueError, "sorted"),
    (lambda: fc.bucketized_column(fc.numeric_column("x", shape=(2, 2)), [1.0]), ValueError,
     "one-dimensional"),
    (lambda: fc.categorical_column_with_identity("x", 3, default_value=5), ValueError,
     "not in range"),
    (lambda: fc.categorical_column_with_vocabulary_list("x", []), ValueError, "non-empty"),
    (lambda: fc.categorical_column_with_vocabulary_list("x", ["a"], tf.int64), ValueError,
     "do not match"),
    (lambda: fc.categorical_column_with_vocabulary_list("x", ["a"], default_value=0,
                                                        num_oov_buckets=1), ValueError,
     "Can't specify both"),
    (lambda: fc.categorical_column_with_vocabulary_file("x", ""), ValueError, "Missing"),
    (lambda: fc.categorical_column_with_hash_bucket("x", 0), ValueError, "at least 1"),
    (lambda: fc.weighted_categorical_column(fc.categorical_column_with_identity("x", 2), "w",
                                            dtype=tf.string), ValueError, "not convertible"),
    (lambda: fc.embedding_column(fc.categorical_column_with_identity("x", 2), 2,
                                 initializer=3), ValueError, "must be callable"),
    (lambda: fc.indicator_column(fc.numeric_column("x")), ValueError, "CategoricalColumn"),
    (lambda: fc.crossed_column(["a", fc.categorical_column_with_hash_bucket("b", 2)], 4),
     ValueError, "not supported for crossing"),
])
def test_bad_columns_are_refused(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_bad_features_are_refused():
    ids = fc.categorical_column_with_identity("id", 3)
    x = fc.numeric_column("x")
    ones = {"x": tf.constant([[1.0]]), "id": tf.constant([[1]])}
    with pytest.raises(ValueError, match="must be a _DenseColumn"):
        fc.input_layer(ones, [ids])
    with pytest.raises(ValueError, match="Feature y is not in features dictionary"):
        fc.input_layer(ones, [fc.numeric_column("y")])
    with pytest.raises(ValueError, match="cannot have rank 0"):
        fc.input_layer({"x": tf.constant(1.0)}, [x])
    with pytest.raises(ValueError, match="SparseTensor is not supported"):
        fc.input_layer({"x": tf.SparseTensor([[0, 0]], [1.0], [1, 1])}, [x])
    with pytest.raises(ValueError, match="Invalid input, not integer"):
        fc.input_layer({"id": tf.constant([[1.0]])}, [fc.indicator_column(ids)])
    with pytest.raises(ValueError, match="must be compatible"):
        fc.input_layer(ones, [fc.indicator_column(
            fc.categorical_column_with_vocabulary_list("id", ["a"]))])
    with pytest.raises(ValueError, match="Duplicate feature column name"):
        fc.input_layer(ones, [x, fc.numeric_column("x")])
    with pytest.raises(ValueError, match="must not be empty"):
        fc.linear_model(ones, [])
    with pytest.raises(ValueError, match="Batch size"):
        fc.input_layer({"x": tf.constant([[1.0]]), "y": tf.constant([[1.0], [2.0]])},
                       [x, fc.numeric_column("y")])
    with pytest.raises(ValueError, match="Bad dtype"):
        fc.input_layer({"id": tf.constant([[1]]), "w": tf.constant([[1]])},
                       [fc.indicator_column(fc.weighted_categorical_column(ids, "w"))])
    with pytest.raises(ValueError, match="different parse_spec"):
        fc.make_parse_example_spec([x, fc.numeric_column("x", shape=2)])


def test_against_tensorflow():
    run_against_tf("feature_column_vs_tf.py", 25)


def test_a_sparse_input_of_unknown_rank():
    """A sparse_placeholder without a shape: its rank (the dense shape's length) decides at run
    time whether it is expanded; the dense_shape tensor's own rank (always 1) used to."""
    ids = tf.sparse_placeholder(tf.int64)
    col = tf.feature_column.categorical_column_with_identity("i", 5)
    out = tf.feature_column.input_layer({"i": ids}, [tf.feature_column.indicator_column(col)])
    linear = tf.feature_column.linear_model({"i": ids}, [col])
    value = tf.SparseTensorValue([[0, 0], [2, 1]], [1, 3], [3, 2])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, lin = sess.run([out, linear], {ids: value})
    want = np.zeros((3, 5))
    want[0, 1] = want[2, 3] = 1
    np.testing.assert_array_equal(got, want)
    assert lin.shape == (3, 1)


def test_linear_model_cols_to_vars_of_a_partitioned_scope():
    # TF's _LinearModel lists a column's variables (its parts) and the bias layer's first
    # variable: of a partitioned bias, its first part only (names from TF 2.21's compat.v1)
    x = tf.feature_column.numeric_column("x")
    cols_to_vars = {}
    with tf.variable_scope("s", partitioner=tf.fixed_size_partitioner(2)):
        tf.feature_column.linear_model({"x": tf.zeros([3, 1])}, [x], units=4,
                                       cols_to_vars=cols_to_vars)
    assert [v.name for v in cols_to_vars[x]] == ["s/linear_model/x/weights/part_0:0"]
    assert [v.name for v in cols_to_vars["bias"]] == ["s/linear_model/bias_weights/part_0:0"]
    assert [v.name for v in tf.global_variables()][-2:] == [
        "s/linear_model/bias_weights/part_0:0", "s/linear_model/bias_weights/part_1:0"]
